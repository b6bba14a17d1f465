"""nbgrader preprocessors for grading Rust notebooks on the evcxr kernel (see nbgrader_config.py).

- `PrepareRustKernel` (before execution): the teacher's `:dep` cells load the teacher's crate;
  kernel commands in the students' cells are neutralised; each graded test cell is armoured
  against what a student's earlier cells could have set up (a panic hook, kept variables on
  panic, names that shadow the library's or the standard library's); live demonstrations (cells
  tagged `demo`) are set aside, not run.
- `SandboxedExecute` (execution): nbgrader's Execute, run inside the grading sandbox.
- `RequireSuccessLine` (after execution): a graded test cell passes only if it printed its own
  success line, with no error and nothing on stderr; otherwise it gets an error output, which
  nbgrader scores 0. The demonstrations get their source back, with a note saying why they have
  no output.
"""
import os
import re

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor

ROOT = os.environ["TP_LAB_ROOT"]

# evcxr commands (lines `:name args`) a student's cell may keep: they only show things. Every
# other command in a student's cell (`:dep`, `:preserve_vars_on_panic`, `:opt`, `:clear`,
# `:quit`, `:linker`, `:cache`, ...) is replaced by a comment in graded runs: only the teacher's
# locked cells load crates or change the kernel's settings.
HARMLESS_COMMANDS = {
    ":doc", ":efmt", ":explain", ":fmt", ":help", ":last_compile_dir", ":last_error_json",
    ":show_deps", ":t", ":time_passes", ":timing", ":type", ":types", ":vars", ":version",
}
# evcxr's own rule for a command line (evcxr/src/code_block.rs).
COMMAND = re.compile(r"^ *(:[^ ]*)( +(.*))?$")
# The teacher's `:dep` lines on the project's crates (crates/<name>): `:dep dstream = { path = ...`,
# `:dep spark-lab = { path = ...`.
DEP = re.compile(r'^ *:dep +(dstream|spark-lab) *= *\{ *path *= *"[^"]*"(.*)\} *$', re.M)

# Put at the top of every graded test cell, for graded runs only: panics are errors whatever a
# student set earlier, and inside the test block `std`, `dstream` and their preludes (`Vec`,
# `String`, `Option`, `Text`, `DStream`, ...) name the real ones even if a student's cell
# defined items with those names (block-scoped imports take precedence over the crate's items).
TEST_PREAMBLE = (
    ":preserve_vars_on_panic 0\n"
    "{{ use ::std; use ::dstream; use ::std::prelude::rust_2024::*; use ::dstream::prelude::*;{kafka} "
    "let _ = ::std::panic::take_hook();\n"
)


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


def is_teacher_cell(cell):
    """A locked, non-answer cell known to the gradebook: nbgrader's OverwriteCells has put the
    teacher's source back in it."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("locked")) and not meta.get("solution") and "grade_id" in meta


# Live demonstrations: code cells the teacher tagged `demo`, which nothing graded depends on
# (a stream shown for 30 s, a diagram, the Kafka producer). They are not run when grading: half of
# a notebook's grading time otherwise. Skipping only ever takes execution away, and never from an
# answer or test cell: a student who tags a cell of theirs `demo` only loses what it defined.
DEMO_TAG = "demo"
DEMO_NOTE = "Démonstration en direct : elle n'est pas exécutée pendant la correction (elle n'est pas notée).\n"


def is_demo(cell):
    return cell.cell_type == "code" and DEMO_TAG in cell.metadata.get("tags", []) and not nbgrader_meta(cell)


def is_graded_test(cell):
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def leading_commands(source):
    """The indices of the lines of `source` that evcxr runs as commands: like evcxr
    (evcxr/src/code_block.rs), only lines before the cell's first line of Rust code count;
    blank lines and `//` comments may come between them."""
    found = []
    for index, line in enumerate(source.split("\n")):
        if line.startswith("!") or line.startswith("//") or not line.strip():
            continue
        if not COMMAND.match(line):
            break
        found.append(index)
    return found


def neutralise_commands(source):
    """`source` with every evcxr command except the harmless ones replaced by a comment."""
    lines = source.split("\n")
    for index in leading_commands(source):
        line = lines[index]
        if COMMAND.match(line).group(1) not in HARMLESS_COMMANDS:
            lines[index] = f"// [correction] commande « {line.strip()} » ignorée : seules les cellules du sujet peuvent charger des bibliothèques ou modifier les réglages du noyau."
    return "\n".join(lines)


def teacher_dep(source, crates_dir):
    """The teacher's `:dep dstream = { path = "..." ... }` (and `spark-lab`) lines pointed at
    `crates_dir`/<name> (graded copies live in nbgrader's folders, where the notebooks' relative
    path leads nowhere), each followed by `:preserve_vars_on_panic 0`: a panic is then an `error`
    output carried by the cell's reply, not stderr text that evcxr may deliver after the reply on
    a busy machine."""
    return DEP.sub(
        lambda m: f':dep {m.group(1)} = {{ path = "{crates_dir}/{m.group(1)}"{m.group(2).rstrip()} }}\n:preserve_vars_on_panic 0',
        source,
    )


def armour_test(source):
    """A graded test cell's source with the test preamble inside its block.

    The test cells are `{ ... };` blocks (after their comment lines); the preamble opens the
    block itself and the cell's own `{` becomes a nested block, so that line numbers in
    compile errors stay close to the visible ones."""
    kafka = " use ::dstream::kafka::*;" if "KafkaRecord" in source else ""
    return TEST_PREAMBLE.format(kafka=kafka) + source + "\n}"


class PrepareRustKernel(NbGraderPreprocessor):
    """Before a graded run: the teacher's `:dep` cells load the teacher's crate, students' cells
    lose their kernel commands, graded test cells get their preamble (see `armour_test`), and
    demonstrations are emptied (nbclient skips an empty cell), their source kept in `resources`
    for `RequireSuccessLine` to put back."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if is_demo(cell):
            resources.setdefault("tp_demos", {})[index] = cell.source
            cell.source = ""
        elif is_teacher_cell(cell):
            cell.source = teacher_dep(cell.source, f"{ROOT}/crates")
            if is_graded_test(cell):
                cell.source = armour_test(cell.source)
        else:
            cell.source = neutralise_commands(cell.source)
        return cell, resources


PRINTLN = re.compile(r'println!\(\s*"([^"\\]*)"\s*\)')


def success_line(source):
    """The line a test cell prints when all its checks passed: its last `println!("...")`."""
    found = PRINTLN.findall(source)
    return found[-1] if found else None


class RequireSuccessLine(NbGraderPreprocessor):
    """After a graded run: a graded test cell passes only if it printed its success line and
    nothing on stderr, with no error. A cell that printed nothing (a panic swallowed, a kernel
    that died, a cell never reached) does not pass. Results (`execute_result`) are dropped from
    test cells: nbgrader would read the first one as the grade and ignore the errors after it."""

    def preprocess_cell(self, cell, resources, index):
        demos = resources.get("tp_demos", {})
        if index in demos:
            cell.source = demos[index]
            cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=DEMO_NOTE)]
            return cell, resources
        if not is_graded_test(cell):
            return cell, resources
        cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "execute_result"]
        expected = success_line(cell.source)
        printed = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")
        failed = any(o.get("output_type") == "error" or o.get("name") == "stderr" for o in cell.outputs)
        if expected is None or expected not in printed.split("\n") or failed:
            why = (
                f"les tests n'ont pas affiché « {expected} »" if expected else "cette cellule de tests n'a pas de ligne de réussite"
            )
            cell.outputs.insert(0, NotebookNode(
                output_type="error",
                ename="TestsNonReussis",
                evalue=f"{why} : la cellule ne compte pas comme réussie.",
                traceback=[f"TestsNonReussis: {why} : la cellule ne compte pas comme réussie."],
            ))
        return cell, resources


MEMORY = re.compile(r"memory allocation of (\d+) bytes failed")


def explain_memory_errors(nb, per_process):
    """Adds, to a cell whose process ran out of the memory allowed while grading, a sentence
    saying so (in French: students read it in their feedback)."""
    for cell in nb.cells:
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        found = MEMORY.search(text)
        if not found:
            continue
        asked = f"{int(found.group(1)) / (1 << 30):.1f}".replace(".", ",")  # French decimals
        for output in cell.outputs:
            if output.get("output_type") == "error":
                output["evalue"] += (
                    f" — la cellule a demandé {asked} Gio d'un coup ; pendant la "
                    f"correction, chaque processus est limité à {per_process >> 30} Gio."
                )
                break


class SandboxedExecute(Execute):
    """nbgrader's Execute, with the notebook run inside the grading sandbox (grading/sandbox.py):
    same kernel, same timeouts, same error replies, but the students' code sees nothing of the
    teacher's files, the gradebook or the network.

    Within a batch, a notebook identical to one already run (the same cells, data files, crate
    and grading code: an untouched or missing notebook, a shared answer) is not run again: its
    outputs are those of the first run (`TP_GRADING_RESULTS`, emptied by scripts/grade before
    each batch)."""

    def preprocess(self, nb, resources, km=None):
        import sandbox

        data_dir = resources["metadata"]["path"]
        memo = Memo(os.environ.get("TP_GRADING_RESULTS"), nb, data_dir, self.timeout)
        executed = memo.get()
        if executed is None:
            box = sandbox.Sandbox(os.environ["LAB_HOME"], os.environ["VENV"], os.environ["TP_GRADING_BUILD"])
            executed = box.run(nb, data_dir, cell_timeout=self.timeout, timeout=SANDBOX_TIMEOUT)
            explain_memory_errors(executed, sandbox.MEMORY_PER_PROCESS)
            memo.put(executed)
        return executed, resources


class Memo:
    """The outputs of notebooks already run in this batch, by what determines them."""

    def __init__(self, folder, nb, data_dir, cell_timeout):
        import hashlib
        import json
        from pathlib import Path

        self.folder = Path(folder) if folder else None
        if self.folder is None:
            return
        digest = hashlib.sha256()
        digest.update(json.dumps([[c.cell_type, c.source] for c in nb.cells]).encode())
        digest.update(str(cell_timeout).encode())
        for base, names in [
            (Path(data_dir), None),
            (Path(ROOT) / "crates", None),
            (Path(ROOT) / "grading", ["sandbox.py", "execute_notebook.py", "rust_grading.py", "evcxr/init.evcxr"]),
            (Path(ROOT) / "scripts", ["spark", "common.sh"]),
        ]:
            paths = [base / n for n in names] if names else sorted(p for p in base.rglob("*") if p.is_file())
            for path in paths:
                # Not what a run depends on: notebooks (the one run is hashed above), nbgrader's
                # submission time, build products.
                if path.suffix == ".ipynb" or path.name == "timestamp.txt" or "target" in path.parts:
                    continue
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
        self.path = self.folder / f"{digest.hexdigest()}.ipynb"

    def get(self):
        import nbformat

        if self.folder is None or not self.path.exists():
            return None
        return nbformat.read(self.path, as_version=4)

    def put(self, executed):
        import nbformat

        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        nbformat.write(executed, partial)
        partial.rename(self.path)


# One notebook's run in the sandbox, at most (cells are interrupted after Execute.timeout).
SANDBOX_TIMEOUT = 12 * 60
