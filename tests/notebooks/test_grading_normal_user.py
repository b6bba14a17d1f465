"""Grading as a teacher without root: `scripts/grade` run by a normal user (created for the
test, see as_normal_user.sh) sets up what it needs in that user's home, sandboxes each
notebook with an unprivileged bubblewrap, and the attacks of tests/notebooks/attacks.py fail
there too: no solution read, no file of the grader written, no local service reached, no
process left, and the right answers beside them get full marks."""
import csv
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import attacks
import nbformat
import pytest
from conftest import ROOT
from test_grading import NOTEBOOKS, Listener, all_output_text, fingerprint, left_behind, student_copy, teacher_answers

USER = "tp-enseignant"
AS_USER = ROOT / "tests" / "notebooks" / "as_normal_user.sh"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creates a normal user (run as root; a normal user runs test_grading.py itself)")


def as_user(*args, env=None, timeout=3600):
    return subprocess.run([str(AS_USER), USER, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def graded():
    base = Path(tempfile.mkdtemp(prefix="tp-normal-user-"))
    try:
        out = as_user("true")
        assert out.returncode == 0, out.stderr
        shutil.chown(base, USER, USER)
        course, returned = base / "course", base / "returned"
        env = {"TP_COURSE_DIR": str(course)}
        out = as_user(str(ROOT / "scripts" / "grade"), "release", env=env)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        home = Path(os.path.expanduser(f"~{USER}"))
        lab_home = home / ".local" / "share" / "tp-spark-streaming"
        listener = Listener()
        paths = {
            "root": ROOT,
            "course": course,
            "returned": returned,
            "grader_files": [lab_home / "venv" / "bin" / "activate", lab_home / "evcxr" / "init.evcxr",
                             home / ".local" / "share" / "jupyter" / "kernels" / "rust" / "kernel.json"],
            "grader_dirs": [lab_home / "grading" / "evcxr-build", home / ".cache" / "evcxr", home],
        }
        before = fingerprint(paths["grader_files"], paths["grader_dirs"])
        correct = {**teacher_answers(NOTEBOOKS[0]), **teacher_answers(NOTEBOOKS[1])}
        for student, answers, edit in [("mallory", None, attacks.mallory(paths, listener.port)), ("victor", correct, None)]:
            (returned / student).mkdir(parents=True)
            # mallory sends notebook 01 only (the other is graded as handed out).
            for name in NOTEBOOKS[: 1 if edit else 2]:
                nbformat.write(student_copy(course, name, answers, edit), returned / student / name)
        for path in [returned, *returned.iterdir(), *returned.glob("*/*")]:
            shutil.chown(path, USER, USER)
        victim = (returned / "victor" / NOTEBOOKS[0]).read_bytes()
        with listener:
            autograde = as_user(str(ROOT / "scripts" / "grade"), "autograde", str(returned), env=env)
        export = as_user(str(ROOT / "scripts" / "grade"), "export", str(base / "grades.csv"), env=env)
        assert export.returncode == 0, export.stdout[-3000:] + export.stderr[-3000:]
        with open(base / "grades.csv") as f:
            scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
        yield {
            "autograde": autograde,
            "scores": scores,
            "course": course,
            "unchanged": fingerprint(paths["grader_files"], paths["grader_dirs"]) == before,
            "victim": (returned / "victor" / NOTEBOOKS[0]).read_bytes() == victim,
            "connections": listener.connections,
            "left_behind": left_behind(),
            "lab_home": lab_home,
        }
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_normal_user_grades_with_the_sandbox_and_gets_exact_scores(graded):
    out = graded["autograde"]
    assert "Sandbox ready" in out.stdout and "--unsafe-no-sandbox" not in out.stderr, out.stdout[-3000:] + out.stderr[-3000:]
    assert graded["scores"] == {"mallory": 0, "victor": 14}, out.stdout[-3000:]
    assert "ALERT" not in out.stdout


def test_the_set_up_lands_in_the_users_home(graded):
    lab_home = graded["lab_home"]
    for path in [lab_home / "venv" / "bin" / "jupyter", lab_home / "grading" / "evcxr-build"]:
        assert path.exists(), path
        assert path.stat().st_uid == int(subprocess.check_output(["id", "-u", USER])), f"{path} belongs to the user"


def test_attacks_fail_for_a_normal_user_too(graded):
    assert graded["unchanged"] and graded["victim"]
    assert graded["connections"] == 0 and graded["left_behind"] == []
    nb = nbformat.read(graded["course"] / "autograded" / "mallory" / "tp-streaming" / NOTEBOOKS[0], as_version=4)
    text = all_output_text(nb)
    assert "illisible" in text and "LU /" not in text and "BASE MODIFIEE" not in text
    assert not any(marker in text for marker in [*attacks.SOLUTION_MARKERS, attacks.HIDDEN_TESTS_MARKER])
