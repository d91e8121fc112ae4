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


def run(course: Course, ids: list[str] | None, out: Path) -> tuple[list[SubmissionResult], dict, dict]:
    """Grade the sample class (examples/class, the roster of examples/roster.yml) of ``ids``
    (default: all) into ``out``.

    Returns every result, ``{(assignment, student): what differs from the expectation}`` for the
    results that are not as expected (empty when all are) and ``{(assignment, student): the
    sample they handed in}``.
    """
    class_dir = course.root / "examples" / "class"
    roster = sample.load_roster(course)
    results, problems, handed_in = [], {}, {}
    for assignment in course.select(ids):
        release(course, assignment, verify=False)
        console.err.print(f"\n== {assignment.id}: {assignment.title}", soft_wrap=True)
        graded = batch.grade(course, assignment.id, class_dir, out, force=True, only_submitted=True)
        spec = sample.load_spec(course.sample_spec_path(assignment), assignment.id)
        plan = sample.class_plan(course, roster, assignment)
        for r in graded:
            handed_in[(r.assignment, r.student)] = plan.get(r.student, r.student)
            problem = expectation_problem(spec, r, handed_in[(r.assignment, r.student)])
            if problem:
                problems[(r.assignment, r.student)] = problem
        results += graded
    return results, problems, handed_in


def expectation_problem(spec: sample.SampleSpec, result: SubmissionResult, handed_in: str | None = None) -> str:
    """'' if a sample's result is what examples/<id>.yml says, else what differs.

    Args:
        handed_in: the sample the student handed in (default: the student is named after it).
    """
    handed_in = handed_in or result.student
    if handed_in not in (sample.REFERENCE, sample.BLANK) and handed_in not in {w.student for w in spec.wrong_answers}:
        return f"{handed_in} is not a sample of {spec.assignment}"
    expected = spec.expected_failures(handed_in)
    if expected is None:  # the blank release
        return "" if result.score == 0 else f"the blank release scored {result.score:g}"
    if result.status != Status.OK:
        return f"status {result.status}: {result.detail}"
    got = result.failed_checks()
    if got != sorted(expected):
        return f"failed {got or 'nothing'}, expected {sorted(expected) or 'nothing'}"
    return ""
