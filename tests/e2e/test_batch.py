"""Batch-level promises: tampering is flagged, a killed batch resumes exactly, scores repeat."""

import shutil
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from autograder.authoring import sample
from autograder.results import STATE_DIR as STATE
from autograder.results import all_results

from ..conftest import ROOT, autograder, sample_notebook, samples

CLASS = ROOT / "examples" / "class"  # the shipped class: a roster of students


def _write(nb, folder, student, assignment_id):
    path = folder / student / assignment_id / f"{assignment_id}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


# ----------------------------------------------------------------------------- tampering


def _tamper(nb, how):
    test = _cell(nb, "test_rbf_forward")
    if how == "edited":
        test.source = "print('trust me')"
    elif how == "deleted":
        nb.cells.remove(test)
    elif how == "duplicated":
        copy = nbformat.from_dict(test)
        copy.id = "a-pasted-copy"
        nb.cells.insert(nb.cells.index(test), copy)
    elif how == "points":
        test.metadata["nbgrader"]["points"] = 100
    elif how == "reordered":
        i = nb.cells.index(test)
        nb.cells[i - 1], nb.cells[i] = nb.cells[i], nb.cells[i - 1]
    return nb


@pytest.fixture(scope="module")
def tampered(tmp_path_factory, course):
    assignment = course.assignment("01-activations")
    folder = tmp_path_factory.mktemp("tampered")
    for how in ("edited", "deleted", "duplicated", "points", "reordered"):
        nb = nbformat.read(sample_notebook(assignment.id, sample.REFERENCE), as_version=4)
        _write(_tamper(nb, how), folder, how, assignment.id)
    out = tmp_path_factory.mktemp("tampered-out")
    proc = autograder("grade", assignment.id, "--submissions", folder, "--out", out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {r.student: r for r in all_results(out)}


@pytest.mark.parametrize(
    "how,said",
    [
        ("edited", "test_rbf_forward edited"),
        ("deleted", "test_rbf_forward deleted"),
        ("duplicated", "test_rbf_forward duplicated"),
        ("points", "test_rbf_forward metadata edited"),
        ("reordered", "cells reordered"),
    ],
)
def test_tampered_cells_are_flagged_and_graded_with_the_original_tests(tampered, how, said):
    r = tampered[how]
    assert r.status == "tampered_cells" and said in r.detail, r.detail
    assert r.max_score == 22 and r.score <= 22  # nothing gained


# ----------------------------------------------------------------------------- resume


def test_a_batch_killed_midway_resumes_and_grades_each_student_once(tmp_path, course):
    assignment = course.assignment("01-activations")
    submissions = tmp_path / "class"
    plan = sample.class_plan(course, sample.load_roster(course), assignment)  # the shipped class
    students = sorted(plan)
    for student in students:
        shutil.copytree(CLASS / student / assignment.id, submissions / student / assignment.id)
    out = tmp_path / "out"
    results_dir = out / STATE / "results" / assignment.id
    first = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            assignment.id,
            "--submissions",
            str(submissions),
            "--out",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and len(list(results_dir.glob("*.json"))) < 2:
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = {p.stem: p.stat().st_mtime for p in results_dir.glob("*.json")}
    assert 2 <= len(done_before) < len(students), "kill the batch while it is half done"

    second = autograder("grade", assignment.id, "--submissions", submissions, "--out", out)
    assert second.returncode == 0, second.stderr[-2000:]
    assert f"resuming: {len(done_before)} of {len(students)} already graded" in second.stderr
    for student, mtime in done_before.items():  # not graded again
        assert (results_dir / f"{student}.json").stat().st_mtime == mtime
    spec = sample.load_spec(course.sample_spec_path(assignment), assignment.id)
    from autograder.authoring.demo import expectation_problem

    results = [r for r in all_results(out)]
    assert sorted(r.student for r in results) == students
    for r in results:
        problem = expectation_problem(spec, r, plan[r.student])
        assert not problem, (r.student, problem)

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", course.id) as gb:
        assert len(gb.assignment_submissions(assignment.id)) == len(students)

    forced = autograder("grade", assignment.id, "--submissions", submissions, "--out", out, "--force")
    assert forced.returncode == 0 and "resuming" not in forced.stderr


# ----------------------------------------------------------------------------- determinism


def test_the_same_submission_graded_ten_times_gets_the_same_score(tmp_path, course):
    # 05's sgd-autoencoder trains two networks inside its checks: the score depends on training.
    assignment = course.assignment("05-feedforward")
    source = samples() / "sgd-autoencoder" / assignment.id
    for i in range(10):
        shutil.copytree(source, tmp_path / "class" / f"copy-{i}" / assignment.id)
    proc = autograder("grade", assignment.id, "--submissions", tmp_path / "class", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = all_results(tmp_path / "out")
    assert len(results) == 10
    assert {r.score for r in results} == {13.0}
    assert len({tuple(c.passed for c in r.cells) for r in results}) == 1
