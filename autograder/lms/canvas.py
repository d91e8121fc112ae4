"""Canvas (``ContentZipper`` and the gradebook import).

Download: ``<lastfirst>[_late]_<user id>_<attachment id>_<file>``, the name lower-cased and
stripped of punctuation. Canvas adds ``-1``, ``-2``... to a file a student uploads again under
the same name: ``01-activations-1.ipynb`` is the assignment's notebook. Canvas stamps every file
with the time the zip was made, so a file *not* marked late never gets a time after the due date.
Gradebook: "Student", "ID", "SIS User ID", "SIS Login ID", "Section", "<title> (<assignment id>)",
and a "Points Possible" row.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import PurePosixPath

from .adapter import Lms, Upload, points_text

CANVAS_NAME = re.compile(
    r"^(?:(?P<name>[^_]*?)(?:[-_](?P<late>late))?_)?(?P<id>\d+)_(?P<attachment>\d+)_(?P<file>.+)$", re.I
)


class Canvas(Lms):
    name = "canvas"

    def upload(self, entry: zipfile.ZipInfo) -> Upload | None:
        match = CANVAS_NAME.match(PurePosixPath(entry.filename).name)
        if not match:
            return None
        return Upload(entry, match["id"], match["name"] or "", PurePosixPath(match["file"]), bool(match["late"]))

    def submitted_at(self, uploads, zone, assignment):
        submitted = super().submitted_at(uploads, zone, assignment)
        if not any(u.late for u in uploads) and assignment.due and submitted > assignment.due:
            return assignment.due  # Canvas says on time; the zip's time is when it was made
        return submitted

    def target_path(self, upload, assignment, others):
        # Canvas's -N copy of the assignment's notebook takes the notebook's name back (unless
        # the student also sent that name).
        copy = re.fullmatch(rf"{re.escape(assignment.notebook_id)}-\d+\.ipynb", str(upload.path))
        if copy and assignment.notebook not in others:
            return PurePosixPath(assignment.notebook)
        return upload.path

    def gradebook(self, assignment, graded, roster, column):
        # Canvas finds the student by "ID" (its user id), else by SIS ids, else by name, and the
        # assignment by the id in "<title> (<id>)"; "Section" must close the student columns.
        own = re.compile(rf"{re.escape(assignment.title)} \(\d+\)")
        column = column or next((c for c in (roster.columns if roster else []) if own.fullmatch(c)), assignment.title)
        header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
        possible = [["    Points Possible", "", "", "", "", points_text(assignment.points + assignment.manual_points)]]
        rows = []
        for p, points in graded:
            if roster is not None:
                ids = [p.lms_id, p.sis_user_id, p.sis_login_id, p.section]
            else:  # the student id is Canvas's user id if it is a number, else its SIS user id
                ids = [p.student_id, "", "", ""] if p.student_id.isdigit() else ["", p.student_id, "", ""]
            rows.append([p.name or p.student_id, *ids, points_text(points)])
        return header, possible, rows
