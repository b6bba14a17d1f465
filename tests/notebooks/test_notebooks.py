"""The lab's notebooks, executed headless on the real evcxr kernel with nbclient: the teacher
version runs clean and its streaming cells print Spark's layout live; the student version (made
by nbgrader) fails the answer cells' tests."""
import re
import subprocess
from collections import Counter

import nbformat
import pytest
from conftest import execute, graded_tests, make_tree, problems, stdout

RULE = "-" * 43
TIME = re.compile(r"^Time: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)$")
RECORD = re.compile(r'^\("(.*)", (\d+)\)$')
LAB_SENTENCES = ["spark streaming dstream", "spark spark streaming", "big data spark"]


def pprint_blocks(text):
    """(time, records, more) for each pprint block of `text`, checking Spark's frame."""
    lines = text.split("\n")
    blocks, i = [], 0
    while i < len(lines):
        if lines[i] != RULE:
            i += 1
            continue
        match = TIME.match(lines[i + 1])
        assert match, f"a Time: header in Spark's layout, got {lines[i + 1]!r}"
        assert lines[i + 2] == RULE
        i += 3
        records, more = [], False
        while lines[i] != "":
            if lines[i] == "...":
                more = True
            else:
                m = RECORD.match(lines[i])
                assert m, f"a record like (\"spark\", 4), got {lines[i]!r}"
                records.append((m.group(1), int(m.group(2))))
            i += 1
        blocks.append((match.group(1), records, more))
    return blocks


def cell_with(nb, text):
    return next(c for c in nb.cells if c.cell_type == "code" and text in c.source)


@pytest.fixture(scope="module")
def lab(tree):
    return execute(tree / "01-tp-spark-streaming.ipynb")


@pytest.fixture(scope="module")
def exercises(tree):
    try:
        return execute(tree / "02-exercices-complementaires.ipynb")
    finally:
        # The notebook stops the broker it started; this stops it too if the notebook did not
        # get there, so that no broker outlives the test.
        subprocess.run([str(tree.parent / "scripts" / "kafka"), "stop"], capture_output=True, timeout=60)


def test_teacher_notebooks_run_without_errors_or_panics(lab, exercises):
    for nb in (lab, exercises):
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not problems(cell), f"{cell.source[:80]!r}: {problems(cell)}"
                assert "panicked" not in stdout(cell)


def test_lab_streaming_cell_prints_every_5s_batch_in_sparks_layout(lab):
    text = stdout(cell_with(lab, "counts.pprint();"))
    blocks = pprint_blocks(text)
    # 30 s of 5 s batches (the sixth may fall on the very end of the 30 s), and the final batch
    # of the graceful stop when lines were still pending.
    assert len(blocks) >= 5, text
    from datetime import datetime
    times = [datetime.strptime(t, "%Y-%m-%d %H:%M:%S") for t, _, _ in blocks]
    assert all((b - a).total_seconds() == 5 for a, b in zip(times, times[1:])), times
    assert all(t.second % 5 == 0 for t in times), "batch times are multiples of the interval"


def test_lab_word_counts_add_up_to_what_the_server_sent(lab):
    blocks = pprint_blocks(stdout(cell_with(lab, "counts.pprint();")))
    assert not any(more for _, _, more in blocks), "the lab's batches have at most 5 distinct words"
    printed = Counter()
    for _, records, _ in blocks:
        for word, count in records:
            printed[word] += count
    check = stdout(cell_with(lab, "Ce que le serveur a envoyé"))
    sent = int(re.search(r"(\d+) phrases envoyées", check).group(1))
    assert sent >= 10, "about one sentence every 2 s for 30 s"
    expected = Counter(w for i in range(sent) for w in LAB_SENTENCES[i % 3].split(" "))
    assert printed == expected
    assert "Les comptes correspondent aux phrases envoyées." in check


def test_lab_laziness_cell_shows_map_runs_only_once_an_output_is_declared(lab):
    text = stdout(cell_with(lab, "compteur.fetch_add(1, Ordering::SeqCst);"))
    assert "map déclarée : 0 appel(s)" in text, text
    assert "start() sans sortie :" in text and "output" in text.split("start() sans sortie :")[1].split("\n")[0], text
    # One call per record of the single batch (two lines), and no more: the map ran for pprint.
    assert "après un batch avec pprint() : 2 appel(s)" in text, text


def test_answer_tests_pass_in_the_teacher_version(lab, exercises):
    for nb in (lab, exercises):
        cells = graded_tests(nb)
        assert cells, "each notebook has graded test cells"
        for cell in cells:
            assert not problems(cell), problems(cell)
            assert "réussis" in stdout(cell)


def test_rich_outputs_are_html_with_svg(lab, exercises):
    html = [
        o["data"]["text/html"]
        for nb in (lab, exercises)
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "execute_result" and "text/html" in o.get("data", {})
    ]
    assert len(html) >= 4, "timeline and window diagrams"
    assert all("<svg" in h for h in html)
    timeline = cell_with(lab, "ssc.batch_timeline()")
    assert "Records per batch" in timeline.outputs[0]["data"]["text/html"]


def test_exercises_show_stats_of_an_empty_batch_and_saved_files(exercises):
    stats = stdout(cell_with(exercises, "Trois batches, dont un vide"))
    assert "batch 1 : Statistiques des longueurs: (count: 0, mean: 0.0, stdev: nan, max: -inf, min: inf)" in stats
    live = stdout(cell_with(exercises, "foreachRDD(lambda rdd"))
    assert "Statistiques des longueurs: (count: " in live
    saved = stdout(cell_with(exercises, "On relit ce qui a été écrit"))
    assert re.search(r"comptes-\d+\.txt : \[\"_SUCCESS\", \"part-00000\", \"part-00001\"\]", saved), saved
    assert int(re.search(r"(\d+) batches sauvegardés", saved).group(1)) >= 2


OFFSETS = re.compile(r"^↳ kafka_direct_stream: offsets (.*)$", re.M)
RANGE = re.compile(r"(\S+)-(\d+) \[(\d+), (\d+)\)")


def test_kafka_section_counts_every_message_once_and_shows_each_batchs_offsets(exercises):
    """The Kafka section ran against the real broker that `scripts/kafka` started: batches in
    Spark's layout, each followed by the offset ranges it read, ranges that follow each other
    partition by partition, and the notebook's own check that every message was read once."""
    live = stdout(cell_with(exercises, "comptes_des_messages(messages.clone()).pprint();"))
    blocks = pprint_blocks(live)
    assert len(blocks) >= 4, live
    described = OFFSETS.findall(live)
    assert len(described) == len(blocks), "one line of offsets after each batch"
    ends, read = {}, 0
    for line in described:
        ranges = RANGE.findall(line)
        assert {topic for topic, *_ in ranges} == {"phrases"} and len(ranges) == 3, line
        for _, partition, start, end in ranges:
            start, end = int(start), int(end)
            assert start <= end
            assert ends.get(partition, start) == start, f"partition {partition} goes on where it stopped: {line}"
            ends[partition] = end
            read += end - start
    assert read == 60, "the 60 lines produced, each read once"
    words = sum(count for _, records, more in blocks for _, count in records)
    assert words > 0
    check = stdout(cell_with(exercises, "Vérification : chaque message envoyé"))
    assert "60 messages envoyés, 60 lus : chacun exactement une fois, dans l'ordre de sa partition." in check
    restart = stdout(cell_with(exercises, "fn flux_kafka"))
    assert "--- reprise après le batch de" in restart
    # 20 lines before the stop, 20 while stopped; a batch cut but not completed at the stop is
    # read again after the restart (its offsets were not checkpointed).
    summary = re.search(r"40 messages envoyés : (\d+) lus avant l'arrêt, (\d+) après la reprise\. Aucun perdu, aucun en double\.", restart)
    assert summary and int(summary.group(1)) + int(summary.group(2)) == 40, restart
    after = restart.split("--- reprise après le batch de")[1]
    first = re.search(r"^batch .* : (\d+) message\(s\)", after, re.M)
    assert first and int(first.group(1)) >= 20, "the first batch after the restart reads what came while stopped"
    assert "Kafka broker stopped" in stdout(cell_with(exercises, 'kafka(&["stop"])'))


def student_version(path):
    """The notebook as nbgrader hands it out (solutions replaced by a stub, hidden tests
    removed), run as grading runs it: panics as error outputs (see grading/nbgrader_config.py)."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    nb = nbformat.read(path, as_version=4)
    nb, _ = ClearSolutions(code_stub={"rust": "// VOTRE CODE ICI\ntodo!()"}).preprocess(nb, {})
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    dep = next(c for c in nb.cells if c.cell_type == "code" and ":dep dstream" in c.source)
    dep.source += "\n:preserve_vars_on_panic 0"
    return nb


@pytest.mark.parametrize("name", ["01-tp-spark-streaming.ipynb", "02-exercices-complementaires.ipynb"])
def test_answer_tests_fail_on_the_student_version(tmp_path, name):
    notebooks = make_tree(tmp_path)
    path = notebooks / name
    nbformat.write(student_version(path), path)
    assert "BEGIN SOLUTION" not in path.read_text() and "BEGIN HIDDEN TESTS" not in path.read_text()
    nb = execute(path, env={"NBGRADER_EXECUTION": "autograde"})
    cells = graded_tests(nb)
    assert cells
    for cell in cells:
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        assert errors, f"the test cell {cell.metadata['nbgrader']['grade_id']} should fail with an error"
        assert "réussis" not in stdout(cell)


def test_running_the_lab_again_from_section_3_while_its_stream_still_runs(tmp_path):
    """A student starts the stream in a cell of its own (as `ssc.start()` in PySpark), watches
    it, then runs sections 3 to 6 again, as the notebook says. The first context, whose
    variables were replaced, stops by itself and hands the server's only connection to the new
    one; the new run's counts are exactly what the server sent it. A cell other than the one
    that started the stream finds it with `StreamingContext::get_active()`."""
    notebooks = make_tree(tmp_path)
    path = notebooks / "01-tp-spark-streaming.ipynb"
    nb = nbformat.read(path, as_version=4)
    take = lambda text: nbformat.from_dict(cell_with(nb, text))
    section_3_to_5 = [take("StreamingContext::new(Duration::from_secs(5))"), take("socket_text_stream"), take("flat_map")]
    new = nbformat.v4.new_code_cell
    nb.cells = [
        take(":dep dstream"), take("use dstream::prelude::*;"), take("TcpListener::bind"),
        *section_3_to_5,
        new("counts.pprint();\nssc.start()?;"),
        new("std::thread::sleep(std::time::Duration::from_secs(7));"),
        new('{\n    let actif = StreamingContext::get_active();\n    println!("contexte actif retrouvé : {}", actif.is_some_and(|c| c.same_context(&ssc)));\n}'),
        *[nbformat.v4.new_code_cell(c.source) for c in section_3_to_5],
        new('println!("encore actif : {}", StreamingContext::get_active().is_some());'),
        take("counts.pprint();"), take("Ce que le serveur a envoyé"),
    ]
    nbformat.write(nb, path)
    ran = execute(path)
    for cell in ran.cells:
        assert not problems(cell), f"{cell.source[:80]!r}: {problems(cell)}"
    assert "contexte actif retrouvé : true" in stdout(ran.cells[8])
    assert "encore actif : false" in stdout(ran.cells[12]), "the first context stopped with its last variable"
    blocks = pprint_blocks(stdout(ran.cells[13]))
    assert sum(1 for _, records, _ in blocks if records) >= 4, "the new run receives the server's sentences"
    assert "Les comptes correspondent aux phrases envoyées." in stdout(ran.cells[14])
