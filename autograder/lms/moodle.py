"""Moodle (``mod/assign``'s downloader and "Import grades → CSV file").

Download: ``<Full Name>_<participant id>_assignsubmission_file/<file>`` when "download
submissions in folders" is on (``..._file_/`` before Moodle 4.1), else flat
``<Full Name>_<participant id>_assignsubmission_file_<file>``. The participant id is the
assignment's own number for the user, shown as "Participant 123" in its grading worksheet.
Gradebook: an "ID number" or "Email address" column, which Moodle maps to the user by itself,
and "Assignment: <title> (Real)", which it maps to the grade item of that name.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import PurePosixPath

from .adapter import Lms, LmsError, Upload, points_text

MOODLE_NAME = re.compile(r"^(?P<name>.*?)_(?P<id>\d+)_assignsubmission_[a-z]+(?:_(?P<file>.*))?$")


class Moodle(Lms):
    name = "moodle"

    def upload(self, entry: zipfile.ZipInfo) -> Upload | None:
        parts = PurePosixPath(entry.filename).parts
        for i, part in enumerate(parts):  # a re-zipped download may sit inside a folder of its own
            match = MOODLE_NAME.match(part)
            if not match:
                continue
            inside = parts[i + 1 :]
            if inside and not match["file"]:  # "download submissions in folders"
                path = PurePosixPath(*inside)
            elif not inside and match["file"]:  # flat: the file name follows the prefix
                path = PurePosixPath(match["file"])
            else:
                return None
            return Upload(entry, match["id"], match["name"], path)
        return None

    def gradebook(self, assignment, graded, roster, column):
        # Moodle maps the first header named like one of its user fields ("ID number", "Email
        # address") to the user, and "Assignment: <name> (Real)" to the grade item <name>.
        with_roster = roster is not None
        if with_roster and all(p.id_number for p, _ in graded):
            ident, key = "ID number", "id_number"
        elif all((p.email if with_roster else p.student_id).count("@") == 1 for p, _ in graded):
            ident, key = "Email address", "email" if with_roster else "student_id"
        elif not with_roster:
            ident, key = "ID number", "student_id"
        else:
            raise LmsError("the roster has neither an ID number nor an email address for every student")
        names = with_roster and any(p.name for p, _ in graded)
        header = (["Full name"] if names else []) + [ident, column or f"Assignment: {assignment.title} (Real)"]
        rows = [([p.name] if names else []) + [getattr(p, key), points_text(points)] for p, points in graded]
        return header, [], rows
