"""Moodle and Canvas: their "download all submissions" zips in, their gradebook CSVs out.

**Import** turns an LMS download into nbgrader's submitted layout,
``SUBMISSIONS/<student>/<assignment>/<files>``, with the ``timestamp.txt`` nbgrader's own
``submit`` writes (``%Y-%m-%d %H:%M:%S.%f UTC``). The file names are the LMSs' own, read from
their sources:

* Moodle (``mod/assign``'s downloader): ``<Full Name>_<participant id>_assignsubmission_file/<file>``
  when "download submissions in folders" is on (``..._file_/`` before Moodle 4.1), else flat
  ``<Full Name>_<participant id>_assignsubmission_file_<file>``. The participant id is the
  assignment's own number for the user, shown as "Participant 123" in its grading worksheet.
* Canvas (``ContentZipper``): ``<lastfirst>[_late]_<user id>_<attachment id>_<file>``, the name
  lower-cased and stripped of punctuation. Canvas adds ``-1``, ``-2``... to a file a student
  uploads again under the same name: ``01-activations-1.ipynb`` is the assignment's notebook.

A zip keeps each file's time as the LMS server's local time, with no zone: it is read in the zone
of the assignment's due date (course.yml; UTC without one). Canvas stamps every file with the
time the zip was made, so a Canvas file *not* marked late never gets a time after the due date.

**Export** writes ``grades.csv``'s points in the columns each LMS's gradebook import reads:
Moodle's "Import grades → CSV file" (an "ID number" or "Email address" column, which it maps to
the user by itself, and "Assignment: <title> (Real)", which it maps to the grade item of that
name) and Canvas's gradebook import ("Student", "ID", "SIS User ID", "SIS Login ID", "Section",
"<title> (<assignment id>)", and a "Points Possible" row).

**Roster** (``--roster``): a CSV exported from the LMS that maps its ids to student ids: Moodle's
grading worksheet, Canvas's gradebook export, or any CSV with ``lms_id`` and ``student_id``
columns (see :data:`ROSTER_COLUMNS`).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .course import Assignment, Course, CourseError

LMS_NAMES = ("moodle", "canvas")
TIMESTAMP_FILE = "timestamp.txt"   # nbgrader's name, in the submitted folder
# nbgrader's Exchange.timestamp_format, in its default zone UTC: what `nbgrader submit` writes.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"

MOODLE_NAME = re.compile(r"^(?P<name>.*?)_(?P<id>\d+)_assignsubmission_[a-z]+(?:_(?P<file>.*))?$")
CANVAS_NAME = re.compile(
    r"^(?:(?P<name>[^_]*?)(?:[-_](?P<late>late))?_)?(?P<id>\d+)_(?P<attachment>\d+)_(?P<file>.+)$", re.I)


class LmsError(CourseError):
    """Bad input (a corrupt zip, an unusable roster): one line, exit code 2, nothing written."""


# --------------------------------------------------------------------------- roster

# Each field and the headers it may have: ours, Moodle's grading worksheet, Canvas's gradebook export.
ROSTER_COLUMNS = {
    "lms_id": ("lms_id", "Identifier", "ID"),   # Moodle: "Participant 123"; Canvas: the user id
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
    columns: list[str]    # the CSV's header, to find Canvas's "<title> (<id>)" column

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
        raise LmsError(f"{path}: not a UTF-8 CSV file ({exc})")
    if not rows:
        raise LmsError(f"{path}: the roster is empty")
    header = [h.strip() for h in rows[0]]
    where = {name: next((header.index(h) for h in headers if h in header), None)
             for name, headers in ROSTER_COLUMNS.items()}
    if where["lms_id"] is None:
        raise LmsError(f"{path}: no LMS id column (one of {', '.join(ROSTER_COLUMNS['lms_id'])})")
    people = []
    for row in rows[1:]:
        cell = {name: row[i].strip() if i is not None and i < len(row) else "" for name, i in where.items()}
        number = re.search(r"(\d+)$", cell["lms_id"])
        if not number:
            continue
        cell["lms_id"] = number.group(1)
        cell["student_id"] = next(v for v in (cell["student_id"], cell["id_number"], cell["sis_user_id"],
                                              cell["sis_login_id"], cell["email"], cell["lms_id"]) if v)
        people.append(Person(**cell))
    for key in ("lms_id", "student_id"):
        seen = [getattr(p, key) for p in people]
        twice = sorted({v for v in seen if seen.count(v) > 1})
        if twice:
            raise LmsError(f"{path}: {key} {', '.join(twice)} appears more than once")
    return Roster(people, header)


# --------------------------------------------------------------------------- import


@dataclass
class Upload:
    """One file of one student's submission, as named in the zip."""

    entry: zipfile.ZipInfo
    lms_id: str
    name: str            # the student's name as the LMS wrote it
    path: PurePosixPath  # where it goes inside the student's submission
    late: bool = False


@dataclass
class Submission:
    """One student's files in the zip, and when they were handed in."""

    person: Person
    name: str
    uploads: list[Upload]
    submitted: dt.datetime   # aware
    late: bool


@dataclass
class ImportReport:
    imported: dict[str, list[str]] = field(default_factory=dict)   # student → files written
    replaced: list[str] = field(default_factory=list)               # students whose older copy went
    kept: dict[str, str] = field(default_factory=dict)              # student → why left untouched
    late: list[str] = field(default_factory=list)                   # students the LMS marks late
    unmatched: dict[str, str] = field(default_factory=dict)         # zip entry → why not imported
    problems: dict[str, str] = field(default_factory=dict)          # student → notebook problem
    who: dict[str, str] = field(default_factory=dict)               # student → LMS id and name


def moodle_upload(entry: zipfile.ZipInfo) -> Upload | None:
    """The upload a Moodle zip entry holds, or None if its name is not Moodle's."""
    parts = PurePosixPath(entry.filename).parts
    for i, part in enumerate(parts):  # a re-zipped download may sit inside a folder of its own
        match = MOODLE_NAME.match(part)
        if not match:
            continue
        inside = parts[i + 1:]
        if inside and not match["file"]:      # "download submissions in folders"
            path = PurePosixPath(*inside)
        elif not inside and match["file"]:    # flat: the file name follows the prefix
            path = PurePosixPath(match["file"])
        else:
            return None
        return Upload(entry, match["id"], match["name"], path)
    return None


def canvas_upload(entry: zipfile.ZipInfo) -> Upload | None:
    """The upload a Canvas zip entry holds, or None if its name is not Canvas's."""
    match = CANVAS_NAME.match(PurePosixPath(entry.filename).name)
    if not match:
        return None
    return Upload(entry, match["id"], match["name"] or "", PurePosixPath(match["file"]), bool(match["late"]))


PARSERS = {"moodle": moodle_upload, "canvas": canvas_upload}


def import_submissions(course: Course, assignment_id: str, zip_path: Path, lms: str, submissions: Path,
                       roster: Path | None = None) -> ImportReport:
    """Write the submissions in an LMS zip into ``submissions`` (nbgrader's submitted layout).

    Everything is checked before anything is written: a corrupt zip or a bad roster raises
    :class:`LmsError` with nothing written. A student's folder is replaced only by a strictly
    newer submission; an equal or older one, or a folder without ``timestamp.txt``, is left alone.

    Args:
        lms: "moodle" or "canvas".
        roster: a CSV mapping the LMS's ids to student ids; without it the LMS id is the student id.
    """
    assignment = course.assignment(assignment_id)
    people = read_roster(roster).by_lms_id() if roster else None
    zone = assignment.due.tzinfo if assignment.due else dt.timezone.utc
    report = ImportReport()
    with _open_zip(zip_path) as archive:
        found = _group_by_student(archive, PARSERS[lms], people, report)
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
        raise LmsError(f"{path}: not a readable zip file ({exc})")
    try:
        bad = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        bad = f"{exc}"
    if bad is not None:
        archive.close()
        raise LmsError(f"{path}: corrupt zip file ({bad!r} fails its check)")
    return archive


def _group_by_student(archive, parse, people, report) -> dict[str, tuple[Person, list[Upload]]]:
    found: dict[str, tuple[Person, list[Upload]]] = {}
    for entry in archive.infolist():
        if entry.is_dir():
            continue
        upload = parse(entry)
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


def _submission(person: Person, uploads: list[Upload], zone, assignment: Assignment, lms: str) -> Submission:
    late = any(u.late for u in uploads)
    submitted = max(dt.datetime(*u.entry.date_time, tzinfo=zone) for u in uploads)
    if lms == "canvas" and not late and assignment.due and submitted > assignment.due:
        submitted = assignment.due  # Canvas says on time; the zip's time is when it was made
    return Submission(person, uploads[0].name, uploads, submitted.astimezone(dt.timezone.utc), late)


def target_path(upload: Upload, assignment: Assignment, lms: str, others: set[str]) -> PurePosixPath:
    """Where an upload goes: its own path, except that Canvas's ``-N`` copy of the assignment's
    notebook takes the notebook's name back (unless the student also sent that name)."""
    copy = re.fullmatch(rf"{re.escape(assignment.notebook_id)}-\d+\.ipynb", str(upload.path))
    if lms == "canvas" and copy and assignment.notebook not in others:
        return PurePosixPath(assignment.notebook)
    return upload.path


def _targets(sub: Submission, assignment: Assignment, lms: str) -> dict[str, Upload]:
    names = {str(u.path) for u in sub.uploads}
    return {str(target_path(u, assignment, lms, names)): u for u in sub.uploads}


def notebook_problem(sub: Submission, assignment: Assignment, lms: str) -> str:
    """'' if the submission holds the assignment's notebook and no other, else what is wrong."""
    notebooks = sorted(p for p in _targets(sub, assignment, lms)
                       if p.endswith(".ipynb") and ".ipynb_checkpoints" not in p)
    if assignment.notebook not in notebooks:
        found = f"found {', '.join(notebooks)}" if notebooks else "no notebook at all"
        return (f"no {assignment.notebook} ({found}); imported as it is, "
                "the grader will report missing_notebook")
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
        raise LmsError(f"{stamp}: not a time nbgrader can read: {text[:60]!r}")
    if submitted <= existing:
        word = "as new as" if submitted == existing else "newer than"
        return (f"the submission already there ({_show(existing)}) is {word} this one "
                f"({_show(submitted)}); left untouched")
    return ""


def read_timestamp(text: str) -> dt.datetime:
    """A timestamp.txt's time (aware, UTC), read as nbgrader's autograde reads it."""
    try:  # ours (and `nbgrader submit`'s): skip importing nbgrader, which takes seconds
        return dt.datetime.strptime(text, TIMESTAMP_FORMAT.replace("%Z", "UTC")).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        from nbgrader.utils import parse_utc  # any other form nbgrader accepts (zip_collect's, ...)

        return parse_utc(text).replace(tzinfo=dt.timezone.utc)


def _write(folder: Path, sub: Submission, archive: zipfile.ZipFile, assignment: Assignment,
           lms: str) -> list[str]:
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
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_import(report: ImportReport, lms: str) -> str:
    """The import's summary for people: what went where, and a list of what needs a look."""
    lines = []
    for student, files in report.imported.items():
        verb = "replaced" if student in report.replaced else "new"
        lines.append(f"  {verb:<9} {student:<28} {', '.join(files)}  ({report.who[student]})")
    for student, reason in report.kept.items():
        lines.append(f"  {'kept':<9} {student:<28} {reason}")
    if report.late:
        lines.append(f"late ({lms} marks them late): {', '.join(report.late)}")
    todo = [f"  {entry}: {why}" for entry, why in report.unmatched.items()]
    todo += [f"  {student}: {problem}" for student, problem in report.problems.items()]
    if todo:
        lines.append(f"to check ({len(report.unmatched)} file(s) not imported, "
                     f"{len(report.problems)} submission(s) with a notebook problem):")
        lines += todo
    lines.append(f"{len(report.imported)} imported, {len(report.kept)} left untouched, "
                 f"{len(report.unmatched)} file(s) not matched")
    return "\n".join(lines)


# --------------------------------------------------------------------------- export


def read_totals(out: Path, assignment_id: str) -> dict[str, float | None]:
    """Each student's points for the assignment, from ``grades.csv`` in ``out``.

    ``total_score`` (autograded + by hand − late penalty) where grades.csv has that column, else
    ``score`` (autograded). None while a written answer awaits grading by hand (or the cell is
    empty): a total without it would be wrong in the LMS.
    """
    path = Path(out) / "grades.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (grade the assignment first)")
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r.get("assignment") == assignment_id]
    if not rows:
        raise LmsError(f"{path}: no grades for {assignment_id}")
    column = "total_score" if "total_score" in rows[0] else "score"
    return {r["student_id"]: None if r.get("needs_manual_grading") == "yes" or not r[column].strip()
            else float(r[column]) for r in rows}


@dataclass
class Export:
    header: list[str]
    rows: list[list[str]]
    left_out: dict[str, str]   # student → why not in the CSV


def export_grades(course: Course, assignment_id: str, out: Path, lms: str, roster: Path | None = None,
                  column: str | None = None) -> Export:
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
    if lms == "moodle":
        header, rows = _moodle(assignment, graded, people is not None, column)
    else:
        header, rows = _canvas(assignment, graded, people, column)
    return Export(header, rows, left_out)


def _moodle(assignment: Assignment, graded, with_roster: bool, column: str | None):
    # Moodle maps the first header named like one of its user fields ("ID number", "Email
    # address") to the user, and "Assignment: <name> (Real)" to the grade item <name>.
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
    return header, rows


def _canvas(assignment: Assignment, graded, roster: Roster | None, column: str | None):
    # Canvas finds the student by "ID" (its user id), else by SIS ids, else by name, and the
    # assignment by the id in "<title> (<id>)"; "Section" must close the student columns.
    own = re.compile(rf"{re.escape(assignment.title)} \(\d+\)")
    column = column or next((c for c in (roster.columns if roster else []) if own.fullmatch(c)), assignment.title)
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
    rows = [["    Points Possible", "", "", "", "", points_text(assignment.points + assignment.manual_points)]]
    for p, points in graded:
        if roster is not None:
            ids = [p.lms_id, p.sis_user_id, p.sis_login_id, p.section]
        else:  # the student id is Canvas's user id if it is a number, else its SIS user id
            ids = [p.student_id, "", "", ""] if p.student_id.isdigit() else ["", p.student_id, "", ""]
        rows.append([p.name or p.student_id, *ids, points_text(points)])
    return header, rows


def points_text(points: float) -> str:
    """Points as both LMSs read them: a plain decimal, at most two places (12, 12.5, 13.33)."""
    return f"{points:.2f}".rstrip("0").rstrip(".")


def write_export(export: Export, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(export.header)
        writer.writerows(export.rows)
    tmp.replace(path)
