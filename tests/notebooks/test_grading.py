"""Grading with nbgrader through `scripts/grade`, on synthetic submissions made from the
student version: each must get its exact score, or be rejected with a clear message, without
stopping the others. Hostile submissions (tests/notebooks/attacks.py) are graded in the same
batch: they change no grade, read no solution, write none of the grader's files, reach no local
service, leave no process behind, and fool no test cell. Then the formgrader shows a
submission's written answers in a browser."""
import csv
import hashlib
import json
import os
import socket
import subprocess
import threading
from pathlib import Path

import attacks
import nbformat
import pytest
import submissions
from conftest import ROOT
from test_browser import BROWSER, free_port, start_lab

LAB_HOME = Path(os.environ.get("TP_LAB_HOME", Path.home() / ".local/share/tp-spark-streaming"))

NOTEBOOKS = ["01-tp-spark-streaming.ipynb", "02-exercices-complementaires.ipynb", "03-structured-streaming-spark.ipynb"]
# Bob's answer to notebook 03's exercise: right, in SQL expressions rather than the teacher's
# column functions.
SPARK_SQL_ANSWER = """fn comptes_sans_mots_vides(lignes: &DataFrame) -> DataFrame {
    lignes
        .select_expr(vec!["explode(split(value, ' +')) as mot"])
        .where_(spark_lab::functions::expr("mot <> '' and lower(mot) not in ('the', 'a', 'an', 'and', 'or', 'is', 'are')"))
        .group_by([col("mot")])
        .count()
        .with_column_renamed("count(1)", "nombre")
}"""


def grade(course, *args, timeout=3600):
    env = dict(os.environ, TP_COURSE_DIR=str(course))
    return subprocess.run([str(ROOT / "scripts" / "grade"), *args], env=env, capture_output=True, text=True, timeout=timeout)


def teacher_answers(name):
    cells = nbformat.read(ROOT / "notebooks" / name, as_version=4).cells
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in cells if c.metadata.get("nbgrader", {}).get("solution")}


def student_copy(course, name, answers=None, edit=None):
    """The released student notebook, with some answer cells filled in and an optional edit."""
    nb = nbformat.read(course / "release" / "tp-streaming" / name, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if answers and grade_id in answers:
            cell.source = answers[grade_id]
    if edit:
        edit(nb)
    return nb


def own_note(nb):
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("Mes notes."))


def q3(body):
    return "fn lignes_aleatoires(texte: &str, n: usize, graine: u64) -> Vec<String> {\n" + body + "\n}"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    course = base / "course"
    out = grade(course, "release")
    assert out.returncode == 0, out.stdout + out.stderr
    released = course / "release" / "tp-streaming"
    text = "".join((released / n).read_text() for n in NOTEBOOKS)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "todo!()" in text

    correct = {**teacher_answers(NOTEBOOKS[0]), **teacher_answers(NOTEBOOKS[1]), **teacher_answers(NOTEBOOKS[2])}
    right = {k: v for k, v in correct.items() if k.endswith("reponse")}
    wrong_ex = {
        "ex1-reponse": "fn sans_mots_vides(mots: DStream<Text>) -> DStream<Text> {\n    mots\n}",
        "ex3-reponse": "fn comptes_glissants(paires: DStream<(Text, i64)>, fenetre: Duration, glissement: Duration) -> DStream<(Text, i64)> {\n    paires.reduce_by_key(|a, b| a + b)\n}",
    }

    def drop_q3_tests(nb):
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "q3-tests"]

    def fake_q3_tests(nb):
        for c in nb.cells:
            if c.metadata.get("nbgrader", {}).get("grade_id") == "q3-tests":
                c.source = 'println!("Tests de la question 3 réussis.");'

    returned = base / "returned"
    listener = Listener()
    paths = grader_paths(course, returned)
    fingerprints = fingerprint(paths["grader_files"], paths["grader_dirs"])
    submitted = {
        # student: (notebook 01, notebook 02 or None)
        "alice": (student_copy(course, NOTEBOOKS[0], correct), student_copy(course, NOTEBOOKS[1], correct)),
        "bob": (student_copy(course, NOTEBOOKS[0], right), student_copy(course, NOTEBOOKS[1], {**right, **wrong_ex})),
        "carol": (student_copy(course, NOTEBOOKS[0]), student_copy(course, NOTEBOOKS[1])),
        "dave": (student_copy(course, NOTEBOOKS[0], {"q3-reponse": q3('    panic!("je ne sais pas")')}), student_copy(course, NOTEBOOKS[1], right)),
        "erin": (student_copy(course, NOTEBOOKS[0], {"q3-reponse": q3("    loop {}")}), None),
        "frank": (student_copy(course, NOTEBOOKS[0], {"q3-reponse": q3("    42")}), student_copy(course, NOTEBOOKS[1], right)),
        "grace": (student_copy(course, NOTEBOOKS[0], edit=fake_q3_tests), None),
        "ivan": (student_copy(course, NOTEBOOKS[0], right, edit=drop_q3_tests), None),
        # judy's function prints 2,000 lines each time it is called; the Q3 tests call it 9 times:
        # 18,000 lines, 18 times what a graded notebook keeps (LimitOutput). Not more: evcxr
        # sends one message per printed line (60,000 lines took 27 s on a loaded machine), and
        # the tests have the 60 s of any cell. A flood too big for that scores as a timeout, like
        # erin's loop: with 20,000 lines a call (180,000 lines), the tests ran out of time.
        "judy": (
            student_copy(course, NOTEBOOKS[0], {"q3-reponse": correct["q3-reponse"].replace(
                "// BEGIN SOLUTION", '    for i in 0..2_000 { println!("bavard {i}"); }\n    // BEGIN SOLUTION')}),
            None,
        ),
        # Hostile submissions, graded in the same batch as their victims: alice (whose grades
        # mallory tries to change), victor and walter (whose returned notebook and hidden tests
        # mallory attacks).
        # Each attack in one notebook (the other as handed out, or right: graded once for all).
        "mallory": (student_copy(course, NOTEBOOKS[0], edit=attacks.mallory(paths, listener.port)), None),
        "oscar": (student_copy(course, NOTEBOOKS[0]), student_copy(course, NOTEBOOKS[1], attacks.silent_asserts())),
        "peggy": (student_copy(course, NOTEBOOKS[0]), student_copy(course, NOTEBOOKS[1], edit=attacks.silent_panics)),
        "quentin": (student_copy(course, NOTEBOOKS[0], correct, edit=attacks.foreign_deps), student_copy(course, NOTEBOOKS[1], correct)),
        "sybil": (student_copy(course, NOTEBOOKS[0], correct, edit=attacks.memory_hog), student_copy(course, NOTEBOOKS[1], correct)),
        "trent": (student_copy(course, NOTEBOOKS[0], right), student_copy(course, NOTEBOOKS[1], right, edit=attacks.kill_everything)),
        # Not alice's notebook to the byte (a note of his own), so that it is run again after
        # mallory's attacks rather than reused from alice's run (see SandboxedExecute).
        "victor": (student_copy(course, NOTEBOOKS[0], correct, edit=own_note), student_copy(course, NOTEBOOKS[1], correct)),
        "walter": (student_copy(course, NOTEBOOKS[0], {"q3-reponse": attacks.Q3_WITHOUT_EMPTY_CASE}), student_copy(course, NOTEBOOKS[1], right)),
    }
    # Notebook 03 (its exercise runs a query on a Spark Connect server started in the sandbox):
    # alice's is the teacher's answer, bob's another right one; the others did not send it, and
    # are graded on the student version (run once for all: see SandboxedExecute).
    spark_answers = {"alice": correct, "bob": {"spark-reponse": SPARK_SQL_ANSWER}}
    # Realistic answers (tests/notebooks/submissions.py), each beside the teacher's other answers
    # (notebook 03 as alice's: the same notebook, run once for all).
    for student, (index, answers, _) in submissions.CASES.items():
        pair = [student_copy(course, NOTEBOOKS[0], correct), student_copy(course, NOTEBOOKS[1], correct)]
        pair[index] = student_copy(course, NOTEBOOKS[index], {**correct, **answers})
        submitted[student] = tuple(pair)
        spark_answers[student] = correct
    for student, (first, second) in submitted.items():
        (returned / student).mkdir(parents=True)
        nbformat.write(first, returned / student / NOTEBOOKS[0])
        if second is not None:
            nbformat.write(second, returned / student / NOTEBOOKS[1])
        if student in spark_answers:
            nbformat.write(student_copy(course, NOTEBOOKS[2], spark_answers[student]), returned / student / NOTEBOOKS[2])
    (returned / "heidi").mkdir()
    (returned / "heidi" / NOTEBOOKS[0]).write_text('{"cells": [ this is not JSON')

    victim = (returned / "victor" / NOTEBOOKS[0]).read_bytes()
    with listener:
        autograde = grade(course, "autograde", str(returned))
    export = grade(course, "export", str(base / "grades.csv"))
    assert export.returncode == 0, export.stdout + export.stderr
    with open(base / "grades.csv") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    scores = {s: (float(r["score"]), float(r["max_score"])) for s, r in rows.items() if r["timestamp"]}
    after = {
        "fingerprints": fingerprint(paths["grader_files"], paths["grader_dirs"]) == fingerprints,
        "victim": (returned / "victor" / NOTEBOOKS[0]).read_bytes() == victim,
        "connections": listener.connections,
        "left_behind": left_behind(),
        "rows": rows,
    }
    return course, autograde, scores, after


class Listener:
    """A local service (like JupyterLab or the broker) that counts who connects to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.connections = 0

    def __enter__(self):
        def serve():
            while True:
                try:
                    conn, _ = self.sock.accept()
                except OSError:
                    return
                self.connections += 1
                conn.close()

        threading.Thread(target=serve, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.sock.close()


def grader_paths(course, returned):
    """What a graded cell must neither read nor write."""
    home = Path.home()
    return {
        "root": ROOT,
        "course": course,
        "returned": returned,
        "grader_files": [
            ROOT / "crates" / "dstream" / "src" / "lib.rs",
            ROOT / "grading" / "nbgrader_config.py",
            ROOT / "grading" / "sandbox.py",
            ROOT / "scripts" / "lib" / "grade.py",
            LAB_HOME / "venv" / "bin" / "activate",
            LAB_HOME / "evcxr" / "init.evcxr",
            home / ".local" / "share" / "jupyter" / "kernels" / "rust" / "kernel.json",
        ],
        "grader_dirs": [LAB_HOME / "grading" / "evcxr-build", home / ".cache" / "evcxr", ROOT / "crates" / "dstream" / "src"],
    }


def fingerprint(files, dirs):
    """The grader's files' contents, and whether the attack's file is in any of its folders
    (the folders themselves change: grading warms its build folder)."""
    return (
        {str(f): hashlib.sha256(f.read_bytes()).hexdigest() if f.exists() else None for f in files},
        [str(d) for d in dirs if (d / "pirate.txt").exists()],
    )


def left_behind():
    """Processes an attack started that are still running."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,args="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if any(f"sleep {mark}" in line for mark in attacks.LEFT_BEHIND)]


# The notebooks' points: 16 graded by their tests (Q3 3, exercises 1 to 5: 2, 2, 3, 2, 2, notebook
# 03's exercise 2), and 8 graded by hand (the six sections of notebook 01, 0.5 each, and Q4-Q6,
# 5 points).
MAX = 24

EXPECTED = {
    "alice": 16,  # every automatic test passes (sections and Q4-Q6, 8 points, are graded by hand)
    "bob": 11,  # Q3 3 + exercises 2, 4 and 5 2 each + notebook 03's 2 (in SQL); exercises 1 and 3 wrong
    "carol": 0,  # untouched
    "dave": 11,  # Q3 panics: 0; exercises 11
    "erin": 0,  # Q3 loops forever: interrupted, 0; notebook 2 missing
    "frank": 11,  # Q3 does not compile: 0; exercises 11
    "grace": 0,  # edited the locked Q3 tests to always pass: nbgrader restores them, they fail
    "ivan": 3,  # deleted the Q3 test cell: nbgrader adds it back, and the answer passes it
    "judy": 3,  # floods the output, but answers right
    "mallory": 0,  # attacks the gradebook, the files, the network: answers left empty
    "oscar": 0,  # wrong answers, with assert!, assert_eq!, assert_ne! shadowed by empty macros
    "peggy": 0,  # answers left todo!(), panics kept silent (own hook, :preserve_vars_on_panic 1)
    "quentin": 14,  # right answers; its own crate in the teacher's :dep cell and in a :dep of its own
    "sybil": 14,  # right answers; a cell asks for 3 GiB at once
    "victor": 14,  # right answers; mallory tried to overwrite the returned notebook
    "walter": 11,  # Q3 fails a hidden test (that mallory tried to replace); exercises right
}


def test_each_submission_gets_its_exact_score(course):
    _, autograde, scores, _ = course
    for student, points in EXPECTED.items():
        assert student in scores, f"{student} graded: {autograde.stdout[-3000:]}"
        assert scores[student] == (points, MAX), f"{student}: {scores[student]}"


def cell_scores(course_dir, student):
    """The automatic score of each graded test cell of `student`'s submission."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        submission = gb.find_submission("tp-streaming", student)
        return {g.name: g.auto_score for nb in submission.notebooks for g in nb.grades if g.cell.cell_type == "code" and g.auto_score is not None}


FULL = {"q3-tests": 3, "ex1-tests": 2, "ex2-tests": 2, "ex3-tests": 3, "ex4-tests": 2, "ex5-tests": 2, "spark-tests": 2}


@pytest.mark.parametrize("student", sorted(submissions.CASES))
def test_realistic_answers_get_what_a_fair_teacher_gives(course, student):
    """Other correct forms than the teacher's get full marks (any order within a batch, Spark's
    incremental window, PySpark's split(" ")...); the mistakes the statements name get 0."""
    course_dir, _, _, _ = course
    _, _, fair = submissions.CASES[student]
    assert cell_scores(course_dir, student) == {**FULL, **fair}


def test_a_notebook_that_is_not_json_is_rejected_by_name_without_stopping_the_others(course):
    _, autograde, scores, _ = course
    assert autograde.returncode == 2, "the teacher is told that a submission was rejected"
    line = next(l for l in autograde.stdout.splitlines() if l.startswith("heidi"))
    assert "REJECTED" in line and "01-tp-spark-streaming.ipynb" in line and "not valid JSON" in line
    assert "heidi" not in scores
    assert sorted(scores) == sorted([*EXPECTED, *submissions.CASES]), "every other submission is graded"


def graded(course_dir, student, name):
    return nbformat.read(course_dir / "autograded" / student / "tp-streaming" / name, as_version=4)


def all_output_text(nb):
    return json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)


def test_attacks_change_no_grade_read_no_solution_and_write_no_file_of_the_grader(course):
    course_dir, autograde, scores, after = course
    assert "ALERT" not in autograde.stdout, autograde.stdout[-3000:]
    assert after["fingerprints"], "the grader's files and folders are unchanged"
    assert after["victim"], "victor's returned notebook is unchanged"
    assert scores["alice"] == (16, MAX) and scores["victor"] == (14, MAX), "the victims keep their scores"
    text = all_output_text(graded(course_dir, "mallory", NOTEBOOKS[0]))
    assert "illisible" in text and "LU /" not in text, "the gradebook and the teacher's notebooks are not there"
    assert not any(marker in text for marker in [*attacks.SOLUTION_MARKERS, attacks.HIDDEN_TESTS_MARKER])
    assert "BASE MODIFIEE" not in text
    assert "Read-only file system" in text and "No such file" in text


def test_attacks_reach_no_local_service_and_leave_no_process(course):
    course_dir, _, _, after = course
    assert after["connections"] == 0, "the local service saw no connection from a graded notebook"
    assert "Connection refused" in all_output_text(graded(course_dir, "mallory", NOTEBOOKS[0]))
    assert after["left_behind"] == []


def test_shadowed_asserts_silent_panics_and_foreign_deps_fool_no_test(course):
    course_dir, _, scores, _ = course
    assert scores["oscar"] == scores["peggy"] == (0, MAX)
    quentin = graded(course_dir, "quentin", NOTEBOOKS[0])
    assert "CRATE PIRATE" not in all_output_text(quentin) and "BUILD PIRATE" not in all_output_text(quentin)
    deps = [c.source for c in quentin.cells if ":dep" in c.source]
    assert any(str(ROOT / "crates" / "dstream") in d for d in deps), "the teacher's :dep cell is back"
    assert all("/tmp/faux" not in line or line.startswith("// [correction]") for d in deps for line in d.split("\n") if ":dep" in line)
    peggy = graded(course_dir, "peggy", NOTEBOOKS[1])
    tests = [c for c in peggy.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert tests and all(any(o.output_type == "error" for o in c.outputs) for c in tests if c.cell_type == "code"), "the swallowed panics are errors"


def test_a_3_gib_cell_gets_a_clear_error_and_the_rest_is_graded(course):
    course_dir, _, scores, _ = course
    sybil = graded(course_dir, "sybil", NOTEBOOKS[0])
    hog = next(c for c in sybil.cells if "3 Gio d'un coup" in c.source)
    errors = [o for o in hog.outputs if o.output_type == "error"]
    assert errors and "3,0 Gio" in errors[0].evalue and "limité à 2 Gio" in errors[0].evalue, errors
    assert scores["sybil"] == (14, MAX)


def test_a_submission_that_kills_its_kernel_fails_alone_and_records_no_partial_score(course):
    _, autograde, scores, after = course
    line = next(l for l in autograde.stdout.splitlines() if l.startswith("trent"))
    assert "FAILED" in line and "No grade is recorded" in line, line
    assert "trent" not in scores
    row = after["rows"]["trent"]
    assert row["timestamp"] == "" and float(row["score"]) == 0, "the CSV agrees with the table: no grade"
    assert scores["victor"] == (14, MAX), "the batch went on"


def test_floods_are_cut_and_endless_loops_interrupted(course):
    course_dir, _, _, _ = course
    judy = nbformat.read(course_dir / "autograded" / "judy" / "tp-streaming" / NOTEBOOKS[0], as_version=4)
    answer = next(c for c in judy.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q3-tests")
    printed = sum(o.get("text", "").count("bavard") for o in answer.outputs)
    assert 0 < printed <= 1000, "18,000 lines printed, cut by LimitOutput to keep graded notebooks small"
    erin = nbformat.read(course_dir / "autograded" / "erin" / "tp-streaming" / NOTEBOOKS[0], as_version=4)
    errors = [o for c in erin.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert any("Timeout" in o.get("ename", "") or "interrupt" in json.dumps(o).lower() for o in errors)


def test_demonstrations_keep_their_code_but_are_not_run(course):
    course_dir, _, _, _ = course
    for name, text in [
        (NOTEBOOKS[0], "counts.pprint();"),
        (NOTEBOOKS[1], "comptes_des_messages(messages.clone()).pprint();"),
        (NOTEBOOKS[2], 'spark_script(&["start", "--cluster"])?;'),
    ]:
        demo = next(c for c in graded(course_dir, "alice", name).cells if text in c.source)
        assert len(demo.outputs) == 1 and "pas exécutée pendant la correction" in demo.outputs[0].text, demo.outputs


def test_feedback_is_written_for_each_graded_student(course):
    course_dir, _, _, _ = course
    out = grade(course_dir, "feedback")
    assert out.returncode == 0, out.stdout + out.stderr
    for student in EXPECTED:
        page = course_dir / "feedback" / student / "tp-streaming" / "01-tp-spark-streaming.html"
        assert page.is_file(), student
    assert "Question 3" in (course_dir / "feedback" / "alice" / "tp-streaming" / "01-tp-spark-streaming.html").read_text()
    page = (course_dir / "feedback" / "mallory" / "tp-streaming" / "01-tp-spark-streaming.html").read_text()
    assert not any(marker in page for marker in attacks.SOLUTION_MARKERS), "no solution in the feedback"


def test_formgrader_shows_the_written_answers_for_manual_grading(course, tmp_path):
    course_dir, _, _, _ = course
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        notebook_id = gb.find_submission_notebook(NOTEBOOKS[0].removesuffix(".ipynb"), "tp-streaming", "alice").id
    with start_lab(tmp_path, env={"TP_COURSE_DIR": str(course_dir)}) as (base, token, _):
        shot = tmp_path / "formgrader.png"
        out = subprocess.run(
            ["node", str(BROWSER / "page_text.mjs"), f"{base}/formgrader/submissions/{notebook_id}/?token={token}", str(shot)],
            capture_output=True, text=True, timeout=300, cwd=BROWSER,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        text = out.stdout
        assert "micro-batch" in text and "RDD" in text and "5 secondes" in text, text[:3000]
        keep = BROWSER / "out"
        keep.mkdir(exist_ok=True)
        (keep / "formgrader.png").write_bytes(shot.read_bytes())
