"""What every LMS adapter says: how its zip names a student's file, when a submission was
handed in, where a file goes, and its gradebook CSV's columns. One subclass per LMS
(:mod:`.moodle`, :mod:`.canvas`); the importer and the export use only this interface."""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..course import Assignment, CourseError


class LmsError(CourseError):
    """Bad input (a corrupt zip, an unusable roster): one line, exit code 2, nothing written."""


@dataclass
class Upload:
    """One file of one student's submission, as named in the zip."""

    entry: zipfile.ZipInfo
    lms_id: str
    name: str  # the student's name as the LMS wrote it
    path: PurePosixPath  # where it goes inside the student's submission
    late: bool = False


class Lms:
    """An LMS's download and gradebook formats."""

    name = ""

    def upload(self, entry: zipfile.ZipInfo) -> Upload | None:
        """The upload a zip entry holds, or None if its name is not this LMS's."""
        raise NotImplementedError

    def submitted_at(self, uploads: list[Upload], zone, assignment: Assignment) -> dt.datetime:
        """When the files were handed in (aware): the newest file's time in the zip, read in ``zone``."""
        return max(dt.datetime(*u.entry.date_time, tzinfo=zone) for u in uploads)

    def target_path(self, upload: Upload, assignment: Assignment, others: set[str]) -> PurePosixPath:
        """Where an upload goes inside the student's submission (``others``: every upload's path)."""
        return upload.path

    def gradebook(self, assignment: Assignment, graded: list, roster, column: str | None):
        """``(header, rows before the students, student rows)`` of the gradebook CSV.

        Args:
            graded: ``(Person, points)`` of every student to export.
            roster: the :class:`~.roster.Roster`, or None (student ids are the LMS's ids).
            column: the grade column's header, if not the LMS's default for the assignment.
        """
        raise NotImplementedError


def points_text(points: float) -> str:
    """Points as both LMSs read them: a plain decimal, at most two places (12, 12.5, 13.33)."""
    return f"{points:.2f}".rstrip("0").rstrip(".")
