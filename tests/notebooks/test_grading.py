"""Grading with nbgrader through `scripts/grade`, on synthetic submissions made from the
student version: each must get its exact score, or be rejected with a clear message, without
stopping the others. Then the formgrader shows a submission's written answers in a browser."""
import csv
import json
import os
import subprocess
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from test_browser import BROWSER, free_port, start_lab

NOTEBOOKS = ["01-tp-spark-streaming.ipynb", "02-exercices-complementaires.ipynb"]


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

    correct = {**teacher_answers(NOTEBOOKS[0]), **teacher_answers(NOTEBOOKS[1])}
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
    submissions = {
        # student: (notebook 01, notebook 02 or None)
        "alice": (student_copy(course, NOTEBOOKS[0], correct), student_copy(course, NOTEBOOKS[1], correct)),
        "bob": (student_copy(course, NOTEBOOKS[0], right), student_copy(course, NOTEBOOKS[1], {**right, **wrong_ex})),
        "carol": (student_copy(course, NOTEBOOKS[0]), student_copy(course, NOTEBOOKS[1])),
        "dave": (student_copy(course, NOTEBOOKS[0], {"q3-reponse": q3('    panic!("je ne sais pas")')}), student_copy(course, NOTEBOOKS[1], right)),
        "erin": (student_copy(course, NOTEBOOKS[0], {"q3-reponse": q3("    loop {}")}), None),
        "frank": (student_copy(course, NOTEBOOKS[0], {"q3-reponse": q3("    42")}), student_copy(course, NOTEBOOKS[1], right)),
        "grace": (student_copy(course, NOTEBOOKS[0], edit=fake_q3_tests), None),
        "ivan": (student_copy(course, NOTEBOOKS[0], right, edit=drop_q3_tests), None),
        "judy": (
            student_copy(course, NOTEBOOKS[0], {"q3-reponse": correct["q3-reponse"].replace(
                "// BEGIN SOLUTION", '    for i in 0..20_000 { println!("bavard {i}"); }\n    // BEGIN SOLUTION')}),
            None,
        ),
    }
    for student, (first, second) in submissions.items():
        (returned / student).mkdir(parents=True)
        nbformat.write(first, returned / student / NOTEBOOKS[0])
        if second is not None:
            nbformat.write(second, returned / student / NOTEBOOKS[1])
    (returned / "heidi").mkdir()
    (returned / "heidi" / NOTEBOOKS[0]).write_text('{"cells": [ this is not JSON')

    autograde = grade(course, "autograde", str(returned))
    export = grade(course, "export", str(base / "grades.csv"))
    assert export.returncode == 0, export.stdout + export.stderr
    with open(base / "grades.csv") as f:
        scores = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(f)}
    return course, autograde, scores


EXPECTED = {
    "alice": 12,  # every automatic test passes (Q4-Q6, 5 points, are graded by hand)
    "bob": 7,  # Q3 3 + exercises 2 and 5 2 each; exercises 1 and 3 wrong
    "carol": 0,  # untouched
    "dave": 9,  # Q3 panics: 0; exercises 9
    "erin": 0,  # Q3 loops forever: interrupted, 0; notebook 2 missing
    "frank": 9,  # Q3 does not compile: 0; exercises 9
    "grace": 0,  # edited the locked Q3 tests to always pass: nbgrader restores them, they fail
    "ivan": 3,  # deleted the Q3 test cell: nbgrader adds it back, and the answer passes it
    "judy": 3,  # floods the output, but answers right
}


def test_each_submission_gets_its_exact_score(course):
    _, autograde, scores = course
    for student, points in EXPECTED.items():
        assert student in scores, f"{student} graded: {autograde.stdout[-3000:]}"
        assert scores[student] == (points, 17), f"{student}: {scores[student]}"


def test_a_notebook_that_is_not_json_is_rejected_by_name_without_stopping_the_others(course):
    _, autograde, scores = course
    assert autograde.returncode == 2, "the teacher is told that a submission was rejected"
    line = next(l for l in autograde.stdout.splitlines() if l.startswith("heidi"))
    assert "REJECTED" in line and "01-tp-spark-streaming.ipynb" in line and "not valid JSON" in line
    assert "heidi" not in scores
    assert len(scores) == len(EXPECTED)


def test_floods_are_cut_and_endless_loops_interrupted(course):
    course_dir, _, _ = course
    judy = nbformat.read(course_dir / "autograded" / "judy" / "tp-streaming" / NOTEBOOKS[0], as_version=4)
    answer = next(c for c in judy.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q3-tests")
    printed = sum(o.get("text", "").count("bavard") for o in answer.outputs)
    assert 0 < printed <= 1000, "20,000 lines printed, cut by LimitOutput to keep graded notebooks small"
    erin = nbformat.read(course_dir / "autograded" / "erin" / "tp-streaming" / NOTEBOOKS[0], as_version=4)
    errors = [o for c in erin.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert any("Timeout" in o.get("ename", "") or "interrupt" in json.dumps(o).lower() for o in errors)


def test_feedback_is_written_for_each_graded_student(course):
    course_dir, _, _ = course
    out = grade(course_dir, "feedback")
    assert out.returncode == 0, out.stdout + out.stderr
    for student in EXPECTED:
        page = course_dir / "feedback" / student / "tp-streaming" / "01-tp-spark-streaming.html"
        assert page.is_file(), student
    assert "Question 3" in (course_dir / "feedback" / "alice" / "tp-streaming" / "01-tp-spark-streaming.html").read_text()


def test_formgrader_shows_the_written_answers_for_manual_grading(course, tmp_path):
    course_dir, _, _ = course
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
