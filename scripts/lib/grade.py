"""The teacher's grading steps on top of nbgrader (see scripts/grade)."""
import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(os.environ["TP_LAB_ROOT"])
COURSE = Path(os.environ["TP_COURSE_DIR"])
ASSIGNMENT = "tp-streaming"
NOTEBOOKS = ["01-tp-spark-streaming.ipynb", "02-exercices-complementaires.ipynb", "03-structured-streaming-spark.ipynb"]
# A whole submission (three notebooks) gets this long before it is stopped and reported.
SUBMISSION_TIMEOUT = 30 * 60
# The gradebook, as nbgrader opens it: a writer waits for another (scripts/grade grades several
# submissions at once).
GRADEBOOK = f"sqlite:///{COURSE / 'gradebook.db'}?timeout=300"
# The grading's evcxr build folder, warmed in the sandbox before each batch and copied into each
# notebook's run (see grading/sandbox.py).
GRADING_BUILD = Path(os.environ["LAB_HOME"]) / "grading" / "evcxr-build"
# What earlier versions kept instead (a copy of evcxr's compilation cache): removed.
OLD_GRADING_CACHE = Path(os.environ["LAB_HOME"]) / "grading" / "evcxr-cache"
# The notebooks' `:dep` cells, as graded runs load them: warmed in the sandbox before a batch.
WARM_CELLS = [
    f':dep dstream = {{ path = "{ROOT}/crates/dstream" }}',
    f':clear\n:opt 0\n:dep dstream = {{ path = "{ROOT}/crates/dstream", features = ["kafka"] }}',
]
# Notebook 03's: the Spark Connect client, whose build needs protoc (5 minutes the first time on
# a machine, then seconds).
SPARK_WARM_CELL = (
    f':clear\n:opt 0\n:dep spark-lab = {{ path = "{ROOT}/crates/spark-lab" }}\n:dep dstream = {{ path = "{ROOT}/crates/dstream" }}'
)


def nbgrader(*args, timeout=None, env=None):
    """Runs the nbgrader command in the course folder; returns (exit code, output)."""
    try:
        done = subprocess.run(
            ["nbgrader", *args], cwd=COURSE, capture_output=True, text=True, timeout=timeout,
            env={**os.environ, **(env or {})},
        )
        return done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as e:
        return -1, f"stopped after {timeout} s: {e}"


def sync_source():
    """The course's source assignment is the repository's notebooks (and their data)."""
    source = COURSE / "source" / ASSIGNMENT
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(ROOT / "notebooks", source, ignore=shutil.ignore_patterns("sorties", ".ipynb_checkpoints"))


def release(_args):
    sync_source()
    code, out = nbgrader("generate_assignment", ASSIGNMENT, "--force")
    if code != 0:
        sys.exit("nbgrader could not generate the student version:\n" + out)
    released = COURSE / "release" / ASSIGNMENT
    print(f"Student version: {released}")
    for path in sorted(released.rglob("*")):
        if path.is_file():
            print("   ", path.relative_to(released))
    print("Hand these out: students put them in the notebooks/ folder of their copy of the lab.")


def check_notebook(path):
    """None if `path` is a readable notebook, else what is wrong with it."""
    try:
        json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        return f"it is not valid JSON ({e})"
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as e:  # nbformat's validation and read errors
        return f"it is not a valid notebook ({type(e).__name__}: {str(e).splitlines()[0]})"
    return None


def prepare_sandbox(unsafe):
    """The environment of the nbgrader runs: the sandbox checked and its build folder warmed, or,
    with --unsafe-no-sandbox, a warning and no sandbox."""
    if unsafe:
        print(
            "WARNING: --unsafe-no-sandbox: the students' code runs as you, with your files (the "
            "gradebook, the solutions, the other students' work) and your network within reach.",
            file=sys.stderr,
        )
        return {"TP_GRADING_SANDBOX": "off"}
    sys.path.insert(0, str(ROOT / "grading"))
    import sandbox

    # The sandbox builds offline, from the crates in cargo's registry: download those the
    # notebooks' crates need (seconds when they are there; a teacher's account that never built
    # them has none).
    fetch = subprocess.run(["cargo", "fetch", "--manifest-path", str(ROOT / "Cargo.toml")], capture_output=True, text=True)
    if fetch.returncode != 0:
        sys.exit(f"error: cargo could not download the crates the notebooks need: {fetch.stderr.strip()[-1500:]}")
    try:
        shutil.rmtree(OLD_GRADING_CACHE, ignore_errors=True)
        box = sandbox.Sandbox(os.environ["LAB_HOME"], os.environ["VENV"], GRADING_BUILD)
        start = time.time()
        cells = WARM_CELLS
        missing = [what for what, there in [("protoc", shutil.which("protoc")), ("PySpark", box.layout.spark_venv.is_dir())] if not there]
        if not missing:
            cells = [*WARM_CELLS, SPARK_WARM_CELL]
        else:
            print(
                f"WARNING: {' and '.join(missing)} not installed: notebook 03's Spark cells cannot run, "
                "and its exercise scores 0. Run scripts/spark install (as root, or after sudo apt-get "
                "install protobuf-compiler), then grade again.",
                file=sys.stderr,
            )
        box.warm(cells)
    except sandbox.SandboxError as e:
        sys.exit(f"error: {e}")
    print(f"Sandbox ready (bubblewrap; the notebooks' dependencies compiled in {time.time() - start:.0f} s).")
    # Notebooks identical to one already run in this batch are not run again (see
    # rust_grading.SandboxedExecute); a new batch starts with none.
    results = COURSE / ".executed"
    shutil.rmtree(results, ignore_errors=True)
    return {"TP_GRADING_SANDBOX": "on", "TP_GRADING_BUILD": str(GRADING_BUILD), "TP_GRADING_RESULTS": str(results)}


def gradebook_snapshot():
    """What a batch of autograding must not change: each source cell (checksum, source, locked)
    and graded cell (points) of the assignment, and every student's manual scores."""
    from nbgrader.api import Grade, GradeCell, Gradebook, SourceCell

    if not (COURSE / "gradebook.db").exists():
        return {}
    with Gradebook(GRADEBOOK) as gb:
        snapshot = {}
        for cell in gb.db.query(SourceCell).all():
            snapshot[("source cell", cell.notebook.name, cell.name)] = (cell.checksum, cell.source, cell.locked)
        for cell in gb.db.query(GradeCell).all():
            snapshot[("points", cell.notebook.name, cell.name)] = cell.max_score
        for grade in gb.db.query(Grade).all():
            notebook = grade.notebook
            key = ("manual score", notebook.assignment.student.id, notebook.name, grade.name)
            snapshot[key] = (grade.manual_score, grade.extra_credit)
        return snapshot


def changes(before, after, cleared):
    """What changed between two snapshots, except the grades of `cleared` students."""
    found = []
    for key, value in before.items():
        if key[0] == "manual score" and key[1] in cleared:
            continue
        if key not in after:
            found.append(f"{' '.join(key)}: removed")
        elif after[key] != value:
            found.append(f"{' '.join(key)}: changed")
    return found


def clear_grades(student):
    """Removes a submission whose grading failed from the gradebook: the table says FAILED, and
    the exported CSV then lists 0 with no timestamp (not a partial score)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(GRADEBOOK) as gb:
        try:
            gb.remove_submission(ASSIGNMENT, student)
        except MissingEntry:
            pass


def failure_reason(out, seconds):
    """One line for the table from a failed nbgrader run's output."""
    sandbox_errors = re.findall(r"SandboxError: (.*)", out)
    if sandbox_errors:
        return f"FAILED after {seconds:.0f} s: {sandbox_errors[-1][:600]}"
    last = "\n".join(line for line in out.splitlines() if "ERROR" in line or "Error" in line)[-1500:]
    return f"FAILED after {seconds:.0f} s: {last or out[-1500:]}"


def grade_one(folder, env):
    """Grades one student's folder; returns (student, (score, max) or None, note, cleared)."""
    student = folder.name
    missing, unreadable, found = [], [], []
    for name in NOTEBOOKS:
        path = folder / name
        if not path.exists():
            missing.append(f"{name} is missing (graded as the unanswered notebook)")
        elif issue := check_notebook(path):
            unreadable.append(f"{name}: {issue}")
        else:
            found.append(path)
    if unreadable:
        return student, None, "REJECTED: " + "; ".join(unreadable) + ". Ask the student to send the notebook again.", False
    submitted = COURSE / "submitted" / student / ASSIGNMENT
    if submitted.exists():
        shutil.rmtree(submitted)
    submitted.mkdir(parents=True)
    for path in found:
        shutil.copy(path, submitted / path.name)
    # A missing notebook is graded as the student version: it scores what an empty one does.
    for name in NOTEBOOKS:
        if not (submitted / name).exists():
            shutil.copy(COURSE / "release" / ASSIGNMENT / name, submitted / name)
    # The data the notebooks read, as handed out.
    shutil.copytree(COURSE / "release" / ASSIGNMENT / "donnees", submitted / "donnees")
    (submitted / "timestamp.txt").write_text(datetime.datetime.now().isoformat(sep=" "))
    start = time.time()
    code, out = nbgrader("autograde", ASSIGNMENT, "--student", student, "--force", timeout=SUBMISSION_TIMEOUT, env=env)
    seconds = time.time() - start
    if code != 0:
        clear_grades(student)
        note = failure_reason(out, seconds) + " No grade is recorded (0 in the CSV) until it is graded again."
        return student, None, note, True
    return student, score(student), f"graded in {seconds:.0f} s" + "".join("; " + m for m in missing), False


def share_the_gradebook():
    """Lets several nbgrader processes use the gradebook at once: WAL journal (readers never
    wait for a writer), and writers wait for each other (nbgrader_config.py sets the timeout)."""
    import sqlite3

    with sqlite3.connect(COURSE / "gradebook.db") as db:
        db.execute("PRAGMA journal_mode=WAL")


def autograde(args):
    from concurrent.futures import ThreadPoolExecutor

    returned = Path(args.folder).resolve()
    if not returned.is_dir():
        sys.exit(f"{returned} is not a folder: give the folder that holds one folder per student")
    if not (COURSE / "release" / ASSIGNMENT).is_dir():
        release(None)
    students = sorted(p for p in returned.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        sys.exit(f"{returned} holds no student folder (expected <student>/01-tp-spark-streaming.ipynb ...)")
    env = prepare_sandbox(args.unsafe_no_sandbox)
    share_the_gradebook()
    before = gradebook_snapshot()
    jobs = max(1, args.jobs)
    print(f"Grading {len(students)} submission(s), {jobs} at a time.")
    start = time.time()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = []
        for result in pool.map(lambda folder: grade_one(folder, env), students):
            results.append(result)
            student, points, note, _ = result
            shown = "—" if points is None else f"{points[0]:g}/{points[1]:g}"
            print(f"    {student}: {shown} ({note.split(':')[0] if points is None else note})", flush=True)
    cleared = {student for student, _, _, was_cleared in results if was_cleared}
    altered = changes(before, gradebook_snapshot(), cleared)
    print()
    print(f"{'student':<24} {'score':>9}  notes")
    for student, points, note, _ in results:
        shown = "—" if points is None else f"{points[0]:g}/{points[1]:g}"
        print(f"{student:<24} {shown:>9}  {note}")
    print()
    elapsed = time.time() - start
    print(f"{len(students)} submission(s) in {elapsed:.0f} s ({elapsed / len(students):.0f} s each on average, {jobs} at a time).")
    print("Scores are the automatic ones; grade the section headings (Q1, Q2) and Q4-Q6 by hand in the formgrader (scripts/lab, Nbgrader menu).")
    if altered:
        print()
        print("ALERT: this batch changed the gradebook where grading never writes (test cells, points or")
        print("manual scores); check these, and restore the gradebook from a backup if they were not yours:")
        for line in altered[:50]:
            print("   ", line)
    if altered or any(points is None for _, points, _, _ in results):
        sys.exit(2)


def score(student):
    """(score, max score) of the student's submission, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(GRADEBOOK) as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        return submission.score, submission.max_score


def export(args):
    target = Path(args.file).resolve()
    code, out = nbgrader("export", "--to", str(target))
    if code != 0:
        sys.exit("nbgrader export failed:\n" + out)
    print(f"Grade book: {target}")


def feedback(_args):
    code, out = nbgrader("generate_feedback", ASSIGNMENT, "--force")
    if code != 0:
        sys.exit("nbgrader generate_feedback failed:\n" + out)
    folder = COURSE / "feedback"
    for path in sorted(folder.rglob("*.html")):
        print("   ", path.relative_to(COURSE))
    print(f"Feedback for each student: {folder}/<student>/{ASSIGNMENT}/")


def main():
    parser = argparse.ArgumentParser(prog="scripts/grade", description="Grade the lab with nbgrader.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("release", help="make the student version to hand out").set_defaults(run=release)
    p = sub.add_parser("autograde", help="grade a folder of returned notebooks, one folder per student")
    p.add_argument("folder")
    p.add_argument(
        "--unsafe-no-sandbox", action="store_true",
        help="run the students' code without the sandbox (as you, with your files and network)",
    )
    p.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1,
        help="how many submissions to grade at once (default: one per core)",
    )
    p.set_defaults(run=autograde)
    p = sub.add_parser("export", help="write the grade book as CSV")
    p.add_argument("file", nargs="?", default="grades.csv")
    p.set_defaults(run=export)
    sub.add_parser("feedback", help="write each student's feedback as HTML").set_defaults(run=feedback)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
