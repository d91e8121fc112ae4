"""Each student's auto, manual and total score: the results JSON joined with the gradebook.

The grader's results say what was graded and how (status, checks); the nbgrader gradebook is
where instructors grade the written answers in formgrader (``Grade.manual_score``, which also
overrides an autograded cell's score there). So every score below is read from the gradebook
with nbgrader's own rules (``Grade.score``: the manual score if set, else the auto score, plus
extra credit), and the late penalty is recomputed and stored with it (:mod:`autograder.late`).
``grades.csv`` (:mod:`.table`) and the class report are both made from :func:`class_scores`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from .. import nbgrader_run
from ..course import Course, CourseError
from ..results import SubmissionResult, all_results


@dataclass(frozen=True)
class Score:
    """One student's graded submission of one assignment."""

    student: str
    assignment: str
    status: str
    detail: str
    auto_score: float  # autograded cells (as the gradebook has them: formgrader overrides win)
    auto_max_score: float
    manual_score: float  # written answers graded so far
    manual_max_score: float
    needs_manual_grading: bool  # a written answer still has no score
    submitted_at: str | None  # nbgrader's timestamp.txt, ISO in UTC; None: on time
    seconds_late: float  # past the due date (a gradebook extension included)
    late_penalty: float  # points taken off for lateness
    total_score: float  # auto + manual - late penalty (nbgrader's score minus its penalty)

    @property
    def total_max_score(self) -> float:
        return self.auto_max_score + self.manual_max_score

    @property
    def days_late(self) -> float:
        from .late import SECONDS_PER_DAY

        return self.seconds_late / SECONDS_PER_DAY


def class_scores(out: Path, course: Course, results: list[SubmissionResult] | None = None) -> list[Score]:
    """Every graded submission in the course folder ``out``, sorted by assignment and student.

    Also brings the gradebook up to date with course.yml (due dates) and stores each
    submission's late penalty there, so formgrader, grades.csv and the report agree.

    Args:
        out: the course folder written by ``autograder grade`` (gradebook.db, .autograder/results).
        results: the results to score (default: all of them, :func:`autograder.results.all_results`).
    """
    from nbgrader.api import Gradebook, MissingEntry

    from . import late

    out = Path(out)
    results = all_results(out) if results is None else results
    if not results:
        return []
    scores, policy = [], late.plugin_for(course)
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{out / nbgrader_run.GRADEBOOK}", course.id) as gb:
        warnings.simplefilter("ignore")  # nbgrader's queries trip SQLAlchemy's autoflush warnings
        for assignment_id in sorted({r.assignment for r in results}):
            assignment = course.assignment(assignment_id)
            gb.update_or_create_assignment(assignment.id, duedate=assignment.due)
        for r in results:
            assignment = course.assignment(r.assignment)
            try:
                notebook = gb.find_submission_notebook(assignment.notebook_id, assignment.id, r.student)
            except MissingEntry:
                raise CourseError(
                    f"{out / nbgrader_run.GRADEBOOK}: no submission of {assignment.id} by "
                    f"{r.student}; grade it again with --force"
                ) from None
            written = {c.grade_id for c in r.cells if c.kind == "manual"}
            auto = sum(g.score for g in notebook.grades if g.name not in written)
            answers = [g for g in notebook.grades if g.name in written]
            manual = sum(g.score for g in answers if not g.needs_manual_grade)
            submission = notebook.assignment
            penalty = late.assign_penalty(submission, policy)
            scores.append(
                Score(
                    student=r.student,
                    assignment=assignment.id,
                    status=r.status,
                    detail=r.detail,
                    auto_score=round(auto, 4),
                    auto_max_score=r.max_score,
                    manual_score=round(manual, 4),
                    manual_max_score=r.manual_max_score,
                    needs_manual_grading=any(g.needs_manual_grade for g in answers),
                    submitted_at=None if submission.timestamp is None else f"{submission.timestamp.isoformat()}+00:00",
                    seconds_late=submission.total_seconds_late,
                    late_penalty=round(penalty, 4),
                    total_score=round(auto + manual - penalty, 4),
                )
            )
        gb.db.commit()
    return sorted(scores, key=lambda s: (s.assignment, s.student))
