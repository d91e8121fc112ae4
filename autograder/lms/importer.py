"""Import: an LMS's "download all submissions" zip → nbgrader's submitted layout,
``SUBMISSIONS/<student>/<assignment>/<files>``, with the ``timestamp.txt`` nbgrader's own
``submit`` writes (``%Y-%m-%d %H:%M:%S.%f UTC``). The file names are the LMSs' own (see each
adapter: :mod:`.moodle`, :mod:`.canvas`).

A zip keeps each file's time as the LMS server's local time, with no zone: it is read in the zone
of the assignment's due date (course.yml; UTC without one).
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..course import Assignment, Course
from .adapter import Lms, LmsError, Upload
from .roster import Person, read_roster

TIMESTAMP_FILE = "timestamp.txt"  # nbgrader's name, in the submitted folder
# nbgrader's Exchange.timestamp_format, in its default zone UTC: what `nbgrader submit` writes.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


@dataclass
class Submission:
    """One student's files in the zip, and when they were handed in."""

    person: Person
    name: str
    uploads: list[Upload]
    submitted: dt.datetime  # aware
    late: bool


@dataclass
class ImportReport:
    imported: dict[str, list[str]] = field(default_factory=dict)  # student → files written
    replaced: list[str] = field(default_factory=list)  # students whose older copy went
    kept: dict[str, str] = field(default_factory=dict)  # student → why left untouched
    late: list[str] = field(default_factory=list)  # students the LMS marks late
    unmatched: dict[str, str] = field(default_factory=dict)  # zip entry → why not imported
    problems: dict[str, str] = field(default_factory=dict)  # student → notebook problem
    who: dict[str, str] = field(default_factory=dict)  # student → LMS id and name


def import_submissions(
    course: Course, assignment_id: str, zip_path: Path, lms: Lms, submissions: Path, roster: Path | None = None
) -> ImportReport:
    """Write the submissions in an LMS zip into ``submissions`` (nbgrader's submitted layout).

    Everything is checked before anything is written: a corrupt zip or a bad roster raises
    :class:`LmsError` with nothing written. A student's folder is replaced only by a strictly
    newer submission; an equal or older one, or a folder without ``timestamp.txt``, is left alone.

    Args:
        lms: the LMS's adapter (:func:`autograder.lms.adapter_for`).
        roster: a CSV mapping the LMS's ids to student ids; without it the LMS id is the student id.
    """
    assignment = course.assignment(assignment_id)
    people = read_roster(roster).by_lms_id() if roster else None
    zone = assignment.due.tzinfo if assignment.due else dt.UTC
    report = ImportReport()
    with _open_zip(zip_path) as archive:
        found = _group_by_student(archive, lms, people, report)
        plans = []
        for student, (person, uploads) in sorted(found.items()):
            sub = _submission(person, uploads, zone, assignment, lms)
            report.who[student] = f"LMS id {person.lms_id}" + (f', "{sub.name}"' if sub.name else "")
            problem = notebook_problem(sub, assignment, lms)
            if problem:
                report.problems[student] = problem
            if sub.late:
                report.late.append(student)
            folder = Path(submissions) / student / assignment.id
            reason = _reason_to_keep(folder, sub.submitted)
            if reason:
                report.kept[student] = reason
            else:
                plans.append((folder, sub))
        for folder, sub in plans:  # only now: every check above has passed
            if folder.is_dir():
                report.replaced.append(sub.person.student_id)
            report.imported[sub.person.student_id] = _write(folder, sub, archive, assignment, lms)
    return report


def _open_zip(path: Path) -> zipfile.ZipFile:
    """The zip, every entry read once first: a truncated or damaged download fails here, not halfway."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such zip file")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise LmsError(f"{path}: not a readable zip file ({exc})") from None
    try:
        bad = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        bad = f"{exc}"
    if bad is not None:
        archive.close()
        raise LmsError(f"{path}: corrupt zip file ({bad!r} fails its check)")
    return archive


def _group_by_student(archive, lms: Lms, people, report) -> dict[str, tuple[Person, list[Upload]]]:
    found: dict[str, tuple[Person, list[Upload]]] = {}
    for entry in archive.infolist():
        if entry.is_dir():
            continue
        upload = lms.upload(entry)
        if upload is None:
            report.unmatched[entry.filename] = "not a file name this LMS writes"
        elif any(part in ("..", "") for part in upload.path.parts) or upload.path.is_absolute():
            report.unmatched[entry.filename] = "unsafe path"
        elif people is not None and upload.lms_id not in people:
            report.unmatched[entry.filename] = f"LMS id {upload.lms_id} is not in the roster"
        else:
            person = people[upload.lms_id] if people is not None else Person(upload.lms_id, upload.lms_id)
            found.setdefault(person.student_id, (person, []))[1].append(upload)
    return found


def _submission(person: Person, uploads: list[Upload], zone, assignment: Assignment, lms: Lms) -> Submission:
    submitted = lms.submitted_at(uploads, zone, assignment)
    late = any(u.late for u in uploads)
    return Submission(person, uploads[0].name, uploads, submitted.astimezone(dt.UTC), late)


def _targets(sub: Submission, assignment: Assignment, lms: Lms) -> dict[str, Upload]:
    names = {str(u.path) for u in sub.uploads}
    return {str(lms.target_path(u, assignment, names)): u for u in sub.uploads}


def notebook_problem(sub: Submission, assignment: Assignment, lms: Lms) -> str:
    """'' if the submission holds the assignment's notebook and no other, else what is wrong."""
    notebooks = sorted(
        p for p in _targets(sub, assignment, lms) if p.endswith(".ipynb") and ".ipynb_checkpoints" not in p
    )
    if assignment.notebook not in notebooks:
        found = f"found {', '.join(notebooks)}" if notebooks else "no notebook at all"
        return f"no {assignment.notebook} ({found}); imported as it is, the grader will report missing_notebook"
    if len(notebooks) > 1:
        others = ", ".join(n for n in notebooks if n != assignment.notebook)
        return f"several notebooks: {assignment.notebook} is graded, {others} kept beside it"
    return ""


def _reason_to_keep(folder: Path, submitted: dt.datetime) -> str:
    """Why the submission already in ``folder`` must stay ('' if it may be replaced)."""
    if not folder.is_dir() or not any(folder.iterdir()):
        return ""
    stamp = folder / TIMESTAMP_FILE
    text = stamp.read_text(encoding="utf-8", errors="replace").strip() if stamp.is_file() else ""
    if not text:
        return f"{folder} has no {TIMESTAMP_FILE}, so its age is unknown; left untouched"
    try:
        existing = read_timestamp(text)
    except (ValueError, OverflowError):
        raise LmsError(f"{stamp}: not a time nbgrader can read: {text[:60]!r}") from None
    if submitted <= existing:
        word = "as new as" if submitted == existing else "newer than"
        return (
            f"the submission already there ({_show(existing)}) is {word} this one ({_show(submitted)}); left untouched"
        )
    return ""


def read_timestamp(text: str) -> dt.datetime:
    """A timestamp.txt's time (aware, UTC), read as nbgrader's autograde reads it."""
    try:  # ours (and `nbgrader submit`'s): skip importing nbgrader, which takes seconds
        return dt.datetime.strptime(text, TIMESTAMP_FORMAT.replace("%Z", "UTC")).replace(tzinfo=dt.UTC)
    except ValueError:
        from nbgrader.utils import parse_utc  # any other form nbgrader accepts (zip_collect's, ...)

        return parse_utc(text).replace(tzinfo=dt.UTC)


def _write(folder: Path, sub: Submission, archive: zipfile.ZipFile, assignment: Assignment, lms: Lms) -> list[str]:
    """Write one submission beside ``folder``, then swap it in, so a crash never leaves half of one."""
    fresh = folder.parent / f".{folder.name}.importing"
    old = folder.parent / f".{folder.name}.replaced"
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    targets = _targets(sub, assignment, lms)
    for path, upload in targets.items():
        target = fresh / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(upload.entry) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    (fresh / TIMESTAMP_FILE).write_text(sub.submitted.strftime(TIMESTAMP_FORMAT), encoding="utf-8")
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return sorted(targets)


def _show(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
