"""A roster: a CSV exported from the LMS that maps its ids to student ids — Moodle's grading
worksheet, Canvas's gradebook export, or any CSV with ``lms_id`` and ``student_id`` columns
(see :data:`ROSTER_COLUMNS`)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from .adapter import LmsError

# Each field and the headers it may have: ours, Moodle's grading worksheet, Canvas's gradebook export.
ROSTER_COLUMNS = {
    "lms_id": ("lms_id", "Identifier", "ID"),  # Moodle: "Participant 123"; Canvas: the user id
    "student_id": ("student_id",),
    "name": ("name", "Full name", "Student"),
    "email": ("email", "Email address"),
    "id_number": ("ID number",),
    "sis_user_id": ("SIS User ID",),
    "sis_login_id": ("SIS Login ID",),
    "section": ("Section",),
}


@dataclass(frozen=True)
class Person:
    """One student as the LMS knows them; ``student_id`` names their folder and grades.csv row."""

    lms_id: str
    student_id: str
    name: str = ""
    email: str = ""
    id_number: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""


@dataclass
class Roster:
    people: list[Person]
    columns: list[str]  # the CSV's header, to find Canvas's "<title> (<id>)" column

    def by_lms_id(self) -> dict[str, Person]:
        return {p.lms_id: p for p in self.people}

    def by_student(self) -> dict[str, Person]:
        return {p.student_id: p for p in self.people}


def read_roster(path: Path) -> Roster:
    """The people of a roster CSV. A row without a number in its LMS id column (Canvas's
    "Points Possible" row) is not a person. The student id is the first of ``student_id``,
    "ID number", "SIS User ID", "SIS Login ID", the email and the LMS id that is filled in.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: Moodle and Excel write a BOM
            rows = list(csv.reader(f))
    except (UnicodeDecodeError, csv.Error) as exc:  # e.g. an .xlsx saved under a .csv name
        raise LmsError(f"{path}: not a UTF-8 CSV file ({exc})") from None
    if not rows:
        raise LmsError(f"{path}: the roster is empty")
    header = [h.strip() for h in rows[0]]
    where = {
        name: next((header.index(h) for h in headers if h in header), None) for name, headers in ROSTER_COLUMNS.items()
    }
    if where["lms_id"] is None:
        raise LmsError(f"{path}: no LMS id column (one of {', '.join(ROSTER_COLUMNS['lms_id'])})")
    people = []
    for row in rows[1:]:
        cell = {name: row[i].strip() if i is not None and i < len(row) else "" for name, i in where.items()}
        number = re.search(r"(\d+)$", cell["lms_id"])
        if not number:
            continue
        cell["lms_id"] = number.group(1)
        cell["student_id"] = next(
            v
            for v in (
                cell["student_id"],
                cell["id_number"],
                cell["sis_user_id"],
                cell["sis_login_id"],
                cell["email"],
                cell["lms_id"],
            )
            if v
        )
        people.append(Person(**cell))
    for key in ("lms_id", "student_id"):
        seen = [getattr(p, key) for p in people]
        twice = sorted({v for v in seen if seen.count(v) > 1})
        if twice:
            raise LmsError(f"{path}: {key} {', '.join(twice)} appears more than once")
    return Roster(people, header)
