"""The rules graded notebooks follow, checked without a kernel: test cells cannot be fooled by
what a student's cell defines, kernel commands belong to the teacher's locked cells, and the
grading preprocessors (grading/rust_grading.py) do what they say on cells made for the purpose."""
import os
import re
import sys

import nbformat
import pytest
from conftest import ROOT

os.environ.setdefault("TP_LAB_ROOT", str(ROOT))
sys.path.insert(0, str(ROOT / "grading"))
import rust_grading  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MACRO = re.compile(r"(::)?\b([A-Za-z_]\w*)\s*!\s*[(\[{]")


def code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


# The notebooks with graded cells: all three.
GRADED = [p for p in NOTEBOOKS if any(rust_grading.is_graded_test(c) for c in code_cells(p))]


def test_the_lab_its_exercises_and_the_spark_notebook_are_graded():
    assert [p.name for p in GRADED] == [
        "01-tp-spark-streaming.ipynb", "02-exercices-complementaires.ipynb", "03-structured-streaming-spark.ipynb",
    ]


def without_comments_and_strings(source):
    source = re.sub(r'"(?:[^"\\]|\\.)*"', '""', source)
    return re.sub(r"//[^\n]*", "", source)


@pytest.mark.parametrize("path", GRADED, ids=lambda p: p.name)
def test_graded_test_cells_use_only_fully_qualified_macros(path):
    """`assert_eq!` in a test cell would be a student's `macro_rules! assert_eq` if one of their
    cells defined it; `::std::assert_eq!` is always the standard library's."""
    tests = [c for c in code_cells(path) if rust_grading.is_graded_test(c)]
    assert tests
    for cell in tests:
        code = without_comments_and_strings(cell.source)
        for qualified, name in MACRO.findall(code):
            before = code[: code.index(name + "!")]
            assert qualified and before.endswith("::std::"), (
                f"{cell.metadata['nbgrader']['grade_id']}: write `::std::{name}!`, not `{name}!`"
            )


@pytest.mark.parametrize("path", GRADED, ids=lambda p: p.name)
def test_graded_test_cells_are_locked_and_end_with_their_own_success_line(path):
    tests = [c for c in code_cells(path) if rust_grading.is_graded_test(c)]
    lines = [rust_grading.success_line(c.source) for c in tests]
    for cell, line in zip(tests, lines):
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        assert cell.metadata["nbgrader"].get("locked"), f"{grade_id} is locked"
        assert line and "réussis" in line, f"{grade_id} ends by printing its success line"
        assert re.search(r"::std::println!\(\"" + re.escape(line) + r"\"\);\s*\};\s*$", cell.source), (
            f"{grade_id}: the success line is the block's last statement"
        )
    assert len(set(lines)) == len(lines), "each test cell has a success line of its own"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_kernel_commands_are_only_in_locked_teacher_cells(path):
    for cell in code_cells(path):
        commands = rust_grading.leading_commands(cell.source)
        if commands:
            assert rust_grading.is_teacher_cell(cell), f"{commands} in a cell students may edit"
            assert cell.metadata.get("editable") is False and cell.metadata.get("deletable") is False


def test_students_commands_become_comments_and_harmless_ones_stay():
    source = '// mes réglages\n:dep dstream={path="/tmp/faux"}\n  :dep serde = "1"\n\n:preserve_vars_on_panic 1\n:vars\n:opt 2\nlet x = 1;\n::std::println!("{x}");'
    out = rust_grading.neutralise_commands(source).split("\n")
    lines = source.split("\n")
    assert all(out[i].startswith("// [correction]") for i in (1, 2, 4, 6))
    assert [out[i] for i in (0, 3, 5, 7, 8)] == [lines[i] for i in (0, 3, 5, 7, 8)], "code after the commands is code"


def test_teacher_dep_lines_point_at_the_crate_and_keep_their_features():
    source = '// commentaire\n:clear\n:dep dstream = { path = "../crates/dstream", features = ["kafka"] }'
    out = rust_grading.teacher_dep(source, "/lab/crates")
    assert ':dep dstream = { path = "/lab/crates/dstream", features = ["kafka"] }\n:preserve_vars_on_panic 0' in out
    plain = rust_grading.teacher_dep(':dep dstream = { path = "../crates/dstream" }', "/x")
    assert plain == ':dep dstream = { path = "/x/dstream" }\n:preserve_vars_on_panic 0'
    spark = rust_grading.teacher_dep(':dep spark-lab = { path = "../crates/spark-lab" }\n:dep dstream = { path = "../crates/dstream" }', "/x")
    assert spark.startswith(':dep spark-lab = { path = "/x/spark-lab" }\n:preserve_vars_on_panic 0\n:dep dstream = { path = "/x/dstream" }')
    other = ':dep serde = { path = "/tmp/serde" }'
    assert rust_grading.teacher_dep(other, "/x") == other, "only the project's crates are the teacher's"


def test_test_cells_get_their_preamble_in_an_enclosing_block():
    out = rust_grading.armour_test('// Tests\n{\n    ::std::println!("Tests réussis.");\n};')
    assert out.startswith(":preserve_vars_on_panic 0\n{ use ::std; use ::dstream;")
    assert "::std::panic::take_hook()" in out and out.endswith("};\n}")
    assert rust_grading.success_line(out) == "Tests réussis."
    assert "use ::dstream::kafka::*;" in rust_grading.armour_test("{ let m: KafkaRecord; };")


def graded_cell(outputs):
    cell = nbformat.v4.new_code_cell('{\n    ::std::assert!(true);\n    ::std::println!("Tests de l\'exercice 9 réussis.");\n};')
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "t", "points": 2}
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def verdict(outputs):
    cell, _ = rust_grading.RequireSuccessLine().preprocess_cell(graded_cell(outputs), {}, 0)
    return cell


SUCCESS = {"output_type": "stream", "name": "stdout", "text": "Tests de l'exercice 9 réussis.\n"}


@pytest.mark.parametrize(
    "outputs, passes",
    [
        ([SUCCESS], True),
        ([], False),  # a swallowed panic, a dead kernel, a cell never reached
        ([{"output_type": "stream", "name": "stdout", "text": "autre chose\n"}], False),
        ([SUCCESS, {"output_type": "stream", "name": "stderr", "text": "thread panicked\n"}], False),
        ([SUCCESS, {"output_type": "error", "ename": "Error", "evalue": "x", "traceback": []}], False),
        ([{"output_type": "stream", "name": "stdout", "text": "Tests de l'exercice 9 réussis. (faux)\n"}], False),
    ],
)
def test_a_test_cell_passes_only_with_its_success_line_and_no_error(outputs, passes):
    cell = verdict(outputs)
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert (not errors) == passes
    if not passes:
        assert cell.outputs[0].output_type == "error", "nbgrader reads the outputs in order"
        assert "Tests de l'exercice 9 réussis." in cell.outputs[0].evalue


def test_results_are_dropped_from_test_cells_so_they_cannot_stand_for_a_grade():
    """nbgrader reads a test cell's first `execute_result` as its grade and stops there: a
    result before an error would give full marks."""
    result = {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": "Preserve vars on panic: false\n"}}
    cell = verdict([result, SUCCESS])
    assert [o.output_type for o in cell.outputs] == ["stream"]
    failed = verdict([result, {"output_type": "error", "ename": "Error", "evalue": "x", "traceback": []}])
    assert all(o.output_type == "error" for o in failed.outputs)


def test_demonstrations_are_not_run_but_answers_and_tests_always_are():
    demo = nbformat.v4.new_code_cell("ssc.await_termination_or_timeout(secs(30))?;")
    demo.metadata["tags"] = ["demo"]
    tagged_test = graded_cell([])
    tagged_test.metadata["tags"] = ["demo"]  # a student's tag: a test cell runs all the same
    answer = nbformat.v4.new_code_cell("fn f() {}")
    answer.metadata = {"tags": ["demo"], "nbgrader": {"solution": True, "grade": False, "locked": False, "grade_id": "a"}}
    nb = nbformat.v4.new_notebook(cells=[demo, tagged_test, answer])
    source = tagged_test.source
    nb, resources = rust_grading.PrepareRustKernel().preprocess(nb, {})
    assert nb.cells[0].source == "", "nbclient skips an empty cell"
    assert source in nb.cells[1].source and nb.cells[2].source == "fn f() {}"
    nb, _ = rust_grading.RequireSuccessLine().preprocess(nb, resources)
    assert nb.cells[0].source == demo.source, "the feedback shows the demonstration's code"
    assert "pas exécutée pendant la correction" in nb.cells[0].outputs[0].text


@pytest.mark.parametrize("path", GRADED, ids=lambda p: p.name)
def test_demonstrations_define_nothing_that_answers_or_tests_use(path):
    """What a demonstration defines (its `let`s, `fn`s) is not there when grading: no answer or
    test cell, and no cell that is not a demonstration, may name it (unless a cell that is run
    when grading defines it too, as notebook 03's connection cell defines `spark`, which its
    cluster demonstration defines again)."""
    cells = code_cells(path)
    definition = re.compile(r"^(?:let|fn|const|static|struct) (?:mut )?([A-Za-z_]\w*)", re.M)
    defined = set()
    for cell in cells:
        if rust_grading.is_demo(cell):
            defined |= set(definition.findall(cell.source))
    assert defined, "the notebook has demonstrations"
    defined -= {name for cell in cells if not rust_grading.is_demo(cell) for name in definition.findall(cell.source)}
    for cell in cells:
        if not rust_grading.is_demo(cell):
            commands = set(rust_grading.leading_commands(cell.source))
            code = "\n".join(line for i, line in enumerate(cell.source.split("\n")) if i not in commands)
            code = without_comments_and_strings(code)
            # Its own bindings of the same names (a parameter `mots: DStream<Text>`, a
            # `let texte`, a closure's `|mots|`) are not uses of the demonstration's.
            own = set(re.findall(r"\b([A-Za-z_]\w*)\s*:[^:]", code)) | set(re.findall(r"\blet (?:mut )?([A-Za-z_]\w*)", code))
            own |= {n for params in re.findall(r"\|([^|]*)\|", code) for n in re.findall(r"[A-Za-z_]\w*", params)}
            used = {name for name in defined - own - {"_"} if re.search(rf"(?<![.\w]){name}\b", code)}
            assert not used, f"{cell.source[:60]!r} uses {used}, defined by a demonstration"


def test_grading_fails_closed_without_bubblewrap(monkeypatch, tmp_path):
    """No sandbox, no grading: the message says how to install it, and names the explicit way
    out."""
    import sandbox

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(sandbox.SandboxError) as failure:
        sandbox.Sandbox(tmp_path, tmp_path, tmp_path)
    message = str(failure.value)
    assert "apt-get install bubblewrap" in message and "--unsafe-no-sandbox" in message
