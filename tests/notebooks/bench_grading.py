"""Grading a class: the same synthetic class graded one submission after another and then
several at once (`scripts/grade autograde --jobs N`), in two copies of one course. Prints the
wall time per student of each run and their ratio, and checks that both runs gave every test
cell of every student the same score. Run by `scripts/bench grading [CLASS_SIZE]`.

The class: the teacher's answers, each realistic answer of tests/notebooks/submissions.py, an
untouched notebook 02, and the notebooks as handed out, in turn. Every submission is made
distinct (a note of the student's own at the top of each notebook), as a class's returned
notebooks are: identical notebooks would be run once (see grading/rust_grading.py) and make
the class look faster than it is.
"""
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
import submissions  # noqa: E402
from test_grading import NOTEBOOKS, grade, student_copy, teacher_answers  # noqa: E402


def class_of(course, size):
    """`size` distinct submissions: {student: (notebook 01, notebook 02 or None)}."""
    correct = {**teacher_answers(NOTEBOOKS[0]), **teacher_answers(NOTEBOOKS[1])}
    kinds = [("correct", 0, {}, True)]
    kinds += [(name, index, answers, True) for name, (index, answers, _) in submissions.CASES.items()]
    kinds += [("sans-02", 0, {}, False), ("rendu-vide", None, {}, True)]
    students = {}
    for n in range(size):
        kind, index, answers, with_02 = kinds[n % len(kinds)]
        filled = {} if index is None else correct
        pair = [student_copy(course, NOTEBOOKS[0], filled), student_copy(course, NOTEBOOKS[1], filled) if with_02 else None]
        if answers:
            pair[index] = student_copy(course, NOTEBOOKS[index], {**correct, **answers})
        student = f"e{n + 1:02d}-{kind}"
        for nb in pair:
            if nb is not None:
                nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"Notes de {student}."))
        students[student] = tuple(pair)
    return students


def write(students, returned):
    for student, pair in students.items():
        (returned / student).mkdir(parents=True)
        for name, nb in zip(NOTEBOOKS, pair):
            if nb is not None:
                nbformat.write(nb, returned / student / name)


def cell_scores(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {
            (s.student.id, nb.name, g.name): g.auto_score
            for s in gb.assignment_submissions("tp-streaming")
            for nb in s.notebooks
            for g in nb.grades
        }


def timed_autograde(course, returned, jobs):
    start = time.monotonic()
    out = grade(course, "autograde", str(returned), "--jobs", str(jobs), timeout=4 * 3600)
    elapsed = time.monotonic() - start
    if out.returncode != 0:
        sys.exit(f"autograde --jobs {jobs} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return elapsed


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    jobs = os.cpu_count() or 2
    base = Path(tempfile.mkdtemp(prefix="tp-bench-grading-"))
    try:
        one, many = base / "sequential", base / "parallel"
        out = grade(one, "release")
        if out.returncode != 0:
            sys.exit(out.stdout + out.stderr)
        shutil.copytree(one, many)
        returned = base / "returned"
        write(class_of(one, size), returned)
        # The first run compiles the dependencies (scripts/grade warms them before each batch):
        # a first, untimed batch of one submission leaves both timed runs the same caches.
        warm = base / "warm-up"
        shutil.copytree(returned / sorted(os.listdir(returned))[0], warm / "w")
        shutil.copytree(one, base / "warm-course")
        grade(base / "warm-course", "autograde", str(warm), "--jobs", "1", timeout=3600)
        sequential = timed_autograde(one, returned, 1)
        parallel = timed_autograde(many, returned, jobs)
        a, b = cell_scores(one), cell_scores(many)
        print(f"class of {size} synthetic submissions (two notebooks each), {jobs} cores")
        print(f"  one at a time (--jobs 1): {sequential:7.1f} s, {sequential / size:5.1f} s per student")
        print(f"  {jobs} at once (--jobs {jobs}):  {parallel:7.1f} s, {parallel / size:5.1f} s per student")
        print(f"  speed-up: {sequential / parallel:.2f}x")
        same = a == b and len(a) > 0
        print(f"  scores of the {len(a)} graded cells: {'identical' if same else 'DIFFERENT'} in both runs")
        if not same:
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    print(f"    {key}: {a.get(key)} one at a time, {b.get(key)} at once")
            sys.exit(1)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
