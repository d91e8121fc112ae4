"""The demo: release every assignment, grade the shipped sample class, and say whether every
sample student got exactly the grade ``examples/<id>.yml`` expects."""

from __future__ import annotations

from pathlib import Path

from .. import console
from ..course import Course
from ..engine import batch
from ..results import Status, SubmissionResult
from . import sample
from .release import release


def run(course: Course, ids: list[str] | None, out: Path) -> tuple[list[SubmissionResult], dict]:
    """Grade the sample class of ``ids`` (default: all) into ``out``.

    Returns every result and ``{(assignment, student): what differs from the expectation}``
    for the results that are not as expected (empty when all are).
    """
    class_dir = course.root / "examples" / "class"
    results, problems = [], {}
    for assignment in course.select(ids):
        release(course, assignment, verify=False)
        console.err.print(f"\n== {assignment.id}: {assignment.title}", soft_wrap=True)
        graded = batch.grade(course, assignment.id, class_dir, out, force=True, only_submitted=True)
        spec = sample.load_spec(course.sample_spec_path(assignment), assignment.id)
        for r in graded:
            problem = expectation_problem(spec, r)
            if problem:
                problems[(r.assignment, r.student)] = problem
        results += graded
    return results, problems


def expectation_problem(spec: sample.SampleSpec, result: SubmissionResult) -> str:
    """'' if a sample student's result is what examples/<id>.yml says, else what differs."""
    if result.student not in (sample.REFERENCE, sample.BLANK) and result.student not in {
        w.student for w in spec.wrong_answers
    }:
        return f"{result.student} is not a sample student of {spec.assignment}"
    expected = spec.expected_failures(result.student)
    if expected is None:  # the blank release
        return "" if result.score == 0 else f"the blank release scored {result.score:g}"
    if result.status != Status.OK:
        return f"status {result.status}: {result.detail}"
    got = result.failed_checks()
    if got != sorted(expected):
        return f"failed {got or 'nothing'}, expected {sorted(expected) or 'nothing'}"
    return ""
