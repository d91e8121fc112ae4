"""Export: ``grades.csv``'s points in the columns each LMS's gradebook import reads (see each
adapter's :meth:`~.adapter.Lms.gradebook`)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ..course import Course
from ..grades.table import GRADES_CSV
from .adapter import Lms, LmsError
from .roster import Person, read_roster


def read_totals(out: Path, assignment_id: str) -> dict[str, float | None]:
    """Each student's points for the assignment, from ``grades.csv`` in ``out``.

    ``total_score`` (autograded + by hand − late penalty) where grades.csv has that column, else
    ``score`` (autograded). None while a written answer awaits grading by hand (or the cell is
    empty): a total without it would be wrong in the LMS.
    """
    path = Path(out) / GRADES_CSV
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (grade the assignment first)")
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r.get("assignment") == assignment_id]
    if not rows:
        raise LmsError(f"{path}: no grades for {assignment_id}")
    column = "total_score" if "total_score" in rows[0] else "score"
    return {
        r["student_id"]: None if r.get("needs_manual_grading") == "yes" or not r[column].strip() else float(r[column])
        for r in rows
    }


@dataclass
class Export:
    header: list[str]
    rows: list[list[str]]  # one per student
    left_out: dict[str, str]  # student → why not in the CSV
    before: list[list[str]] = field(default_factory=list)  # rows above the students (Canvas's "Points Possible")


def export_grades(
    course: Course, assignment_id: str, out: Path, lms: Lms, roster: Path | None = None, column: str | None = None
) -> Export:
    """The gradebook CSV for ``lms`` with every graded student of the assignment.

    Args:
        roster: maps student ids back to the LMS's people (names, emails, Canvas ids); without
            it the student id is the LMS's identifier.
        column: the grade column's header, if the LMS's item is not named as course.yml's title.
    """
    assignment = course.assignment(assignment_id)
    totals = read_totals(out, assignment_id)
    people = read_roster(roster) if roster else None
    known = people.by_student() if people else {}
    left_out, graded = {}, []
    for student, points in sorted(totals.items()):
        if points is None:
            left_out[student] = "no total yet: written answers still to grade by hand"
        elif people is not None and student not in known:
            left_out[student] = "not in the roster"
        else:
            graded.append((known.get(student) or Person(student, student), points))
    header, before, rows = lms.gradebook(assignment, graded, people, column)
    return Export(header, rows, left_out, before)


def write_export(export: Export, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(export.header)
        writer.writerows(export.before + export.rows)
    tmp.replace(path)
