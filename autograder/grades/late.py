"""Late submissions: course.yml's late policy as an nbgrader late-penalty plugin.

Lateness is nbgrader's own: a submission's time is the ``timestamp.txt`` that ``nbgrader
submit``, ``collect`` and ``zip_collect`` write into the submitted folder (no file: on time), it
is stored as the gradebook submission's ``timestamp``, and course.yml's ``due`` is the gradebook
assignment's ``duedate``, so ``SubmittedAssignment.total_seconds_late`` (which also counts an
extension stored in the gradebook) is how late a submission is. The penalty lands where nbgrader
keeps it, ``SubmittedNotebook.late_submission_penalty``, and is capped at the score the same
way nbgrader's ``AssignLatePenalties`` caps it.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Enum, Float

from ..course import Course, CourseError

TIMESTAMP_FILE = "timestamp.txt"
SECONDS_PER_DAY = 86400


class CoursePenalty(LateSubmissionPlugin):
    """``per_day``: lose ``penalty_per_day`` of the earned score per started day late; ``none``: nothing.

    It can also be nbgrader's own plugin (``c.AssignLatePenalties.plugin_class =
    "autograder.grades.late.CoursePenalty"``), configured with ``c.CoursePenalty.policy`` etc.
    """

    policy = Enum(("none", "per_day"), default_value="none", help="course.yml's grading.late_policy").tag(config=True)
    penalty_per_day = Float(0.0, min=0.0, max=1.0, help="fraction of the earned score lost per started day late").tag(
        config=True
    )

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        """The points to take off ``score`` (None: no penalty), as nbgrader's plugin interface asks.

        Args:
            student_id: the student (unused: the policy is the same for everyone).
            score: the points the submission earned (autograded plus graded by hand).
            total_seconds_late: seconds past the due date (extensions included), 0 if on time.
        """
        if self.policy == "none" or total_seconds_late <= 0:
            return None
        started_days = math.ceil(total_seconds_late / SECONDS_PER_DAY)
        return min(score, started_days * self.penalty_per_day * score)


def plugin_for(course: Course) -> CoursePenalty:
    return CoursePenalty(policy=course.grading.late_policy, penalty_per_day=course.grading.late_penalty_per_day)


def submitted_at(folder: Path) -> str | None:
    """When the submission in ``folder`` was handed in (ISO, UTC), from nbgrader's timestamp.txt.

    None without the file or with an empty one (nbgrader then treats the submission as on time).
    Raises CourseError naming the file if it holds something that is not a time.
    """
    from nbgrader.utils import parse_utc

    path = Path(folder) / TIMESTAMP_FILE
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    if not text:
        return None
    try:
        utc = parse_utc(text)  # the same parser nbgrader's autograde uses; naive UTC
    except (ValueError, OverflowError):
        raise CourseError(f"{path}: not a time nbgrader can read: {text[:60]!r}") from None
    return utc.replace(tzinfo=dt.UTC).isoformat()


def assign_penalty(submission, plugin: CoursePenalty) -> float:
    """Store the late penalty of one submission in the gradebook and return it (0 if on time).

    Done whenever scores are computed, not only at autograde time, because a per-day penalty is
    a fraction of the score and the score grows when an instructor grades the written answers.

    Args:
        submission: the gradebook's :class:`nbgrader.api.SubmittedAssignment` (the caller commits).
        plugin: the course's policy, :func:`plugin_for`.
    """
    seconds = submission.total_seconds_late
    total = 0.0
    for notebook in submission.notebooks:
        penalty = plugin.late_submission_penalty(submission.student.id, notebook.score, seconds)
        if penalty is not None:
            penalty = max(0.0, min(penalty, notebook.score))  # capped as AssignLatePenalties caps it
            total += penalty
        notebook.late_submission_penalty = penalty
    return total
