"""grades.csv: its columns and its only writer.

One row per graded submission, from :func:`autograder.grades.scores.class_scores` (the results
joined with the gradebook's manual scores and late penalties).
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..course import Course
from .scores import Score, class_scores

GRADES_CSV = "grades.csv"
# score/max_score are the autograded points (the file's first columns, kept from before manual
# grading was read); total_score = score + manual_score - late_penalty.
CSV_FIELDS = [
    "student_id",
    "assignment",
    "score",
    "max_score",
    "status",
    "manual_score",
    "manual_max_score",
    "needs_manual_grading",
    "total_score",
    "total_max_score",
    "submitted_at",
    "seconds_late",
    "days_late",
    "late_penalty",
    "detail",
]


def csv_row(score: Score) -> dict[str, str]:
    """``score`` as a row of grades.csv (:data:`CSV_FIELDS`)."""
    return {
        "student_id": score.student,
        "assignment": score.assignment,
        "score": _number(score.auto_score),
        "max_score": _number(score.auto_max_score),
        "status": score.status,
        "manual_score": _number(score.manual_score),
        "manual_max_score": _number(score.manual_max_score),
        "needs_manual_grading": "yes" if score.needs_manual_grading else "no",
        "total_score": _number(score.total_score),
        "total_max_score": _number(score.total_max_score),
        "submitted_at": score.submitted_at or "",
        "seconds_late": str(round(score.seconds_late)),
        "days_late": f"{score.days_late:.2f}",
        "late_penalty": _number(score.late_penalty),
        "detail": score.detail,
    }


def write_csv(out: Path, course: Course, scores: list[Score] | None = None) -> Path:
    """Write ``out/grades.csv`` (atomically) and return its path.

    Args:
        scores: :func:`class_scores` of ``out``, if the caller has them already.
    """
    path = Path(out) / GRADES_CSV
    rows = [csv_row(s) for s in (class_scores(out, course) if scores is None else scores)]
    write_rows(path, CSV_FIELDS, rows)
    return path


def write_rows(path: Path, fields: list[str], rows: list[dict]) -> None:
    """A CSV file with a header; missing fields are empty. Written atomically."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, restval="")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def _number(x: float) -> str:
    return f"{round(x, 4):g}"
