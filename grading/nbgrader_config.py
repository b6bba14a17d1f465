"""The project's nbgrader configuration: nbgrader 0.9.6 grading Rust notebooks on evcxr_jupyter.

`scripts/grade` runs nbgrader in a course directory whose own nbgrader_config.py loads this file,
with TP_LAB_ROOT set to the repository. The settings below make nbgrader work with the evcxr
kernel; each says why.
"""
import os
import re

from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    Execute,
    IgnorePattern,
    LimitOutput,
    NbGraderPreprocessor,
    SaveAutoGrades,
)
from nbgrader.preprocessors import execute as nbgrader_execute
from nbgrader.preprocessors import overwritecells
from nbconvert.preprocessors import ClearMetadataPreprocessor

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)
ROOT = os.environ["TP_LAB_ROOT"]

c.CourseDirectory.course_id = "tp-spark-streaming"
c.CourseDirectory.root = os.environ.get("TP_COURSE_DIR", os.getcwd())

# Student version: the solution regions of a Rust cell become a stub that compiles (`todo!()`
# has any type) and fails when the tests call it. nbgrader looks the stub up by the kernel's
# language, "rust".
c.ClearSolutions.code_stub = {"rust": "// YOUR CODE HERE\ntodo!()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Execution. A cell gets 60 s (a warm `:dep` takes ~4 s, a live demo 6 s under nbgrader); a cell
# that runs longer (a student's endless loop) is interrupted and the grading goes on: evcxr
# kills its worker, so that cell and the cells that needed its variables score 0.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.Execute.raise_on_iopub_timeout = False

# A deleted or edited locked test cell is put back from the teacher's version.
c.OverwriteCells.add_missing_cells = True

# nbgrader puts a note at the top of a code cell it adds back, as a Python comment ("# ...");
# in Rust that does not compile, and the restored tests would score 0. Make it a Rust comment.
_missing_cell_transform = overwritecells.OverwriteCells.missing_cell_transform


def _missing_cell_transform_for_rust(self, *args, **kwargs):
    cell = _missing_cell_transform(self, *args, **kwargs)
    if cell.cell_type == "code" and cell.source.startswith("# "):
        cell.source = "// " + cell.source[2:]
    return cell


overwritecells.OverwriteCells.missing_cell_transform = _missing_cell_transform_for_rust

# A student printing without end cannot blow up the graded notebook.
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100


# evcxr answers a failed cell (a compile error, an interrupted cell) with an execute_reply whose
# content has status "error" but no ename/evalue/traceback. nbgrader 0.9.6 reads
# reply["content"]["ename"] there, raises KeyError and drops the whole submission. We fill those
# fields in from the cell's own error output (or a generic one) before nbgrader looks at them.
_on_cell_executed = nbgrader_execute.Execute.on_cell_executed


def _on_cell_executed_with_error_details(self, **kwargs):
    content = kwargs["execute_reply"]["content"]
    if content.get("status") == "error" and "ename" not in content:
        errors = [o for o in kwargs["cell"].get("outputs", []) if o.get("output_type") == "error"]
        first = errors[0] if errors else {}
        content["ename"] = first.get("ename", "Error")
        content["evalue"] = first.get("evalue", "the cell failed (compile error or interrupted)")
        content["traceback"] = first.get("traceback", [])
    return _on_cell_executed(self, **kwargs)


nbgrader_execute.Execute.on_cell_executed = _on_cell_executed_with_error_details


class PrepareRustKernel(NbGraderPreprocessor):
    """Two changes to the notebooks' `:dep dstream = { path = "../crates/dstream" }` cells, for
    graded runs only:

    - the path points at this repository's crate: graded copies live in nbgrader's folders,
      where the relative path leads nowhere (and the same path as the lab's reuses evcxr's warm
      compilation cache);
    - `:preserve_vars_on_panic 0` makes a panic an `error` output carried by the cell's reply.
      Otherwise a panic is only stderr text, which evcxr may deliver after the reply when the
      machine is busy: the failing test cell then shows no output and nbgrader gives it full
      marks. Losing the kernel's variables after a panic does not matter when grading.
    """

    def preprocess_cell(self, cell, resources, index):
        # Every `:dep dstream` line, with or without `features = [...]` (the Kafka section loads
        # the crate again with its `kafka` feature, after a `:clear` that resets the setting).
        dep = r'^:dep dstream = \{ path = "[^"]*"(.*)\}$'
        if cell.cell_type == "code" and re.search(dep, cell.source, flags=re.M):
            cell.source = re.sub(
                dep,
                lambda m: f':dep dstream = {{ path = "{ROOT}/crates/dstream"{m.group(1)}}}\n:preserve_vars_on_panic 0',
                cell.source,
                flags=re.M,
            )
        return cell, resources


# nbgrader's own list, with the kernel prepared first.
c.Autograde.autograde_preprocessors = [
    PrepareRustKernel,
    Execute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
