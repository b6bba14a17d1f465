"""The project's nbgrader configuration: nbgrader 0.9.6 grading Rust notebooks on evcxr_jupyter.

`scripts/grade` runs nbgrader in a course directory whose own nbgrader_config.py loads this file,
with TP_LAB_ROOT set to the repository. The settings below make nbgrader work with the evcxr
kernel; each says why.
"""
import os
import sys

from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    Execute,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)
from nbgrader.preprocessors import overwritecells
from nbconvert.preprocessors import ClearMetadataPreprocessor

# The course folder's config exec()s this file: it has no __file__, but TP_LAB_ROOT is set.
sys.path.insert(0, os.path.join(os.environ["TP_LAB_ROOT"], "grading"))
from execute_notebook import patch_nbgrader  # noqa: E402
from rust_grading import PrepareRustKernel, RequireSuccessLine, SandboxedExecute  # noqa: E402

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "tp-spark-streaming"
c.CourseDirectory.root = os.environ.get("TP_COURSE_DIR", os.getcwd())
# scripts/grade runs several nbgrader processes at once: a writer waits (up to 5 minutes) for
# another to finish instead of failing with "database is locked".
c.CourseDirectory.db_url = f"sqlite:///{os.path.join(c.CourseDirectory.root, 'gradebook.db')}?timeout=300"

# Student version: the solution regions of a Rust cell become a stub that compiles (`todo!()`
# has any type) and fails when the tests call it. nbgrader looks the stub up by the kernel's
# language, "rust".
c.ClearSolutions.code_stub = {"rust": "// VOTRE CODE ICI\ntodo!()"}
c.ClearSolutions.text_stub = "VOTRE RÉPONSE ICI"

# Execution. A cell gets 60 s (a warm `:dep` takes ~4 s; live demos are skipped under nbgrader); a
# cell that runs longer (a student's endless loop) is interrupted and the grading goes on: evcxr
# kills its worker, so that cell and the cells that needed its variables score 0.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.Execute.raise_on_iopub_timeout = False
# After a cell's reply, how long to wait for the rest of its output: a cell that prints thousands
# of lines (then its tests' success line) is still being delivered on a busy machine; nbclient's
# 4 s default could cut it before the success line, and a right answer would score 0.
c.Execute.iopub_timeout = 30

# nbconvert validates the notebook after each preprocessor, and each validation rebuilds the
# schema's validator (76 ms): 28 times per student, 2 s of the grader's time. Validating once,
# after the last preprocessor, checks the same notebook.
c.Exporter.optimistic_validation = True

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


# Grading runs the students' code: in the sandbox of grading/sandbox.py, unless the teacher
# asked `scripts/grade autograde --unsafe-no-sandbox` (TP_GRADING_SANDBOX=off), in which case
# nbgrader's Execute runs it here, as the teacher. Either way, evcxr's bare error replies are
# completed first (see execute_notebook.fill_error_details).
if os.environ.get("TP_GRADING_SANDBOX") == "off":
    patch_nbgrader()
    execute = Execute
else:
    execute = SandboxedExecute

# nbgrader's own list, with the kernel prepared first and the test cells checked after the run.
c.Autograde.autograde_preprocessors = [
    PrepareRustKernel,
    execute,
    RequireSuccessLine,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
