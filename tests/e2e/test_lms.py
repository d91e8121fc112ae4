"""Do Moodle's and Canvas's "download all submissions" zips land in nbgrader's submitted layout,
and do the grades go back in the CSV columns each LMS's gradebook import reads?

The zips are real zip files built here from the sample class's notebooks, named the way Moodle
(mod/assign's downloader) and Canvas (ContentZipper) name them.
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path

import pytest

from autograder.authoring import sample

from ..conftest import ROOT, autograder, samples
from ..conftest import tree as files  # every file under a folder and its bytes

ASSIGNMENT = "01-activations"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
TITLE = "Flexible activation functions"  # course.yml's title of 01-activations
CANVAS_COLUMN = f"{TITLE} (4242)"  # Canvas's "<title> (<assignment id>)"
# The samples of 01 (reference, blank, each wrong answer) are the students the LMS sends.
STUDENTS = sorted(
    [sample.REFERENCE, sample.BLANK]
    + [w.student for w in sample.load_spec(ROOT / "examples" / f"{ASSIGNMENT}.yml", ASSIGNMENT).wrong_answers]
)
ZONE = dt.timezone(dt.timedelta(hours=3, minutes=30))  # the zone of course.yml's due dates
DUE = dt.datetime(2027, 1, 17, 23, 59, tzinfo=ZONE)  # 01-activations' due date


def nbgrader_time(*local) -> str:
    """timestamp.txt as nbgrader's submit writes it, for a zip time in the due date's zone."""
    when = dt.datetime(*local, tzinfo=ZONE).astimezone(dt.UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def notebook(student: str) -> bytes:
    return (samples() / student / ASSIGNMENT / NOTEBOOK).read_bytes()


# Each sample student's identity in the two LMSs. Their "ID number" (Moodle) and "SIS User ID"
# (Canvas) are their sample names, so a roster maps both LMSs to the same student ids.
PEOPLE = {
    s: {
        "moodle": str(3000 + 7 * i),
        "canvas": str(90000 + 13 * i),
        "full": s.replace("-", " ").title(),
        "lastfirst": "".join(reversed(s.split("-"))),  # Canvas: sortable name, no punctuation
        "email": f"{s}@uni.example",
    }
    for i, s in enumerate(STUDENTS)
}


def add(archive: zipfile.ZipFile, name: str, data: bytes | str, when: tuple) -> None:
    archive.writestr(zipfile.ZipInfo(name, date_time=when), data)


def moodle_zip(
    path: Path, students, when=lambda i: (2027, 1, 15, 10, i, 0), content=notebook, extras: bool = True
) -> Path:
    """Moodle 4.x with "download submissions in folders": <Full Name>_<participant id>_assignsubmission_file/."""
    with zipfile.ZipFile(path, "w") as z:
        for i, s in enumerate(students):
            folder = f"{PEOPLE[s]['full']}_{PEOPLE[s]['moodle']}_assignsubmission_file"
            if s == "tanh-abs-denominator":
                folder += "_"  # Moodle before 4.1 ended the folder name with "_"
            name = "my homework.ipynb" if extras and s == "weight-in-init" else NOTEBOOK
            add(z, f"{folder}/{name}", content(s), when(i))
            if extras and s == "raw-beta":
                add(z, f"{folder}/data.csv", "x,y\n1,2\n", when(i))
            if extras and s == "naive-overflow":
                add(z, f"{folder}/scratch.ipynb", content(s), when(i))
        if extras:
            add(z, "notes.txt", "not a submission", (2027, 1, 16, 0, 0, 0))
            add(z, f"Ghost Student_31337_assignsubmission_file/{NOTEBOOK}", notebook("blank"), (2027, 1, 16, 0, 0, 0))
    return path


def moodle_roster(path: Path) -> Path:
    """Moodle's grading worksheet ("Download grading worksheet"), as it writes it."""
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "Identifier",
                "Full name",
                "ID number",
                "Email address",
                "Status",
                "Grade",
                "Maximum Grade",
                "Grade can be changed",
                "Last modified (submission)",
            ]
        )
        for s in STUDENTS:
            w.writerow(
                [
                    f"Participant {PEOPLE[s]['moodle']}",
                    PEOPLE[s]["full"],
                    s,
                    PEOPLE[s]["email"],
                    "Submitted for grading",
                    "",
                    "16.00",
                    "Yes",
                    "Friday, 15 January 2027, 10:00 AM",
                ]
            )
    return path


CANVAS_MADE = (2027, 1, 20, 9, 0, 0)  # Canvas stamps every file with the time it made the zip


def canvas_zip(path: Path, students) -> Path:
    """Canvas: <lastfirst>[_late]_<user id>_<attachment id>_<file>, one flat folder."""
    with zipfile.ZipFile(path, "w") as z:
        for i, s in enumerate(students):
            late = "_late" if s == "cheat-fake-check" else ""
            name = f"{ASSIGNMENT}-1.ipynb" if s == "forgot-abs" else NOTEBOOK  # uploaded a second time
            entry = f"{PEOPLE[s]['lastfirst']}{late}_{PEOPLE[s]['canvas']}_{555000 + i}_{name}"
            add(z, entry, notebook(s), CANVAS_MADE)
        add(z, "notes.txt", "not a submission", CANVAS_MADE)
    return path


def canvas_roster(path: Path) -> Path:
    """Canvas's gradebook export (Grades → Export), with its "Points Possible" row."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", CANVAS_COLUMN, "Current Score", "Final Score"]
        )
        w.writerow(["    Points Possible", "", "", "", "", "16.00", "(read only)", "(read only)"])
        for s in STUDENTS:
            last, _, first = PEOPLE[s]["full"].rpartition(" ")
            w.writerow(
                [f"{first}, {last}".strip(", "), PEOPLE[s]["canvas"], s, PEOPLE[s]["email"], "DL 2027", "", "", ""]
            )
    return path


def import_zip(zip_path, lms, submissions, roster=None):
    args = ["import", ASSIGNMENT, zip_path, "--lms", lms, "--submissions", submissions]
    return autograder(*args, *(["--roster", roster] if roster else []))


def to_check(stdout: str) -> dict[str, str]:
    """The import's "to check" list: file or student → what is wrong."""
    lines = stdout.split("to check", 1)[1].splitlines()[1:]
    return dict(line.strip().split(": ", 1) for line in lines if line.startswith("  "))


# ----------------------------------------------------------------------------- Moodle


@pytest.fixture(scope="module")
def moodle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("moodle")
    zip_path = moodle_zip(tmp / "DL-Flexible activation functions-77.zip", STUDENTS)
    proc = import_zip(zip_path, "moodle", tmp / "submitted", moodle_roster(tmp / "worksheet.csv"))
    return proc, tmp / "submitted"


def test_moodle_zip_maps_every_student_by_participant_id_through_the_roster(moodle):
    proc, submitted = moodle
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in submitted.iterdir()) == STUDENTS  # no ghost, no "notes.txt" folder
    for i, s in enumerate(STUDENTS):
        got = files(submitted / s / ASSIGNMENT)
        expected = {"timestamp.txt": nbgrader_time(2027, 1, 15, 10, i, 0).encode()}
        if s == "weight-in-init":
            expected["my homework.ipynb"] = notebook(s)
        else:
            expected[NOTEBOOK] = notebook(s)
        if s == "raw-beta":
            expected["data.csv"] = b"x,y\n1,2\n"  # the student's data goes beside the notebook
        if s == "naive-overflow":
            expected["scratch.ipynb"] = notebook(s)
        assert got == expected, s


def test_moodle_import_lists_what_it_could_not_match_and_every_notebook_problem(moodle):
    proc, _ = moodle
    assert to_check(proc.stdout) == {
        "notes.txt": "not a file name this LMS writes",
        f"Ghost Student_31337_assignsubmission_file/{NOTEBOOK}": "LMS id 31337 is not in the roster",
        "weight-in-init": f"no {NOTEBOOK} (found my homework.ipynb); imported as it is, "
        "the grader will report missing_notebook",
        "naive-overflow": f"several notebooks: {NOTEBOOK} is graded, scratch.ipynb kept beside it",
    }
    assert f"{len(STUDENTS)} imported, 0 left untouched, 2 file(s) not matched" in proc.stdout


def test_flat_moodle_zip_without_roster_names_students_by_participant_id(tmp_path):
    """Without "download submissions in folders" Moodle writes <prefix>_<file> at the top."""
    zip_path = tmp_path / "flat.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        for s in ("reference", "blank"):
            add(
                z,
                f"{PEOPLE[s]['full']}_{PEOPLE[s]['moodle']}_assignsubmission_file_{NOTEBOOK}",
                notebook(s),
                (2027, 1, 16, 8, 0, 0),
            )
    proc = import_zip(zip_path, "moodle", tmp_path / "submitted")
    assert proc.returncode == 0, proc.stderr
    assert files(tmp_path / "submitted") == {
        f"{PEOPLE[s]['moodle']}/{ASSIGNMENT}/{name}": data
        for s in ("reference", "blank")
        for name, data in ((NOTEBOOK, notebook(s)), ("timestamp.txt", b"2027-01-16 04:30:00.000000 UTC"))
    }


# ----------------------------------------------------------------------------- Canvas


@pytest.fixture(scope="module")
def canvas(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("canvas")
    zip_path = canvas_zip(tmp / "submissions.zip", STUDENTS)
    proc = import_zip(zip_path, "canvas", tmp / "submitted", canvas_roster(tmp / "gradebook.csv"))
    return proc, tmp / "submitted"


def test_canvas_zip_maps_students_by_user_id_and_undoes_the_resubmission_suffix(canvas):
    proc, submitted = canvas
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in submitted.iterdir()) == STUDENTS
    for s in STUDENTS:
        assert sorted(files(submitted / s / ASSIGNMENT)) == [NOTEBOOK, "timestamp.txt"], s
        assert (submitted / s / ASSIGNMENT / NOTEBOOK).read_bytes() == notebook(s), s
    assert to_check(proc.stdout) == {"notes.txt": "not a file name this LMS writes"}


def test_canvas_late_file_keeps_its_time_and_an_on_time_one_is_never_after_the_due_date(canvas):
    proc, submitted = canvas
    stamp = {s: (submitted / s / ASSIGNMENT / "timestamp.txt").read_text() for s in STUDENTS}
    assert stamp.pop("cheat-fake-check") == nbgrader_time(*CANVAS_MADE)  # "2027-01-20 05:30:00.000000 UTC"
    assert set(stamp.values()) == {nbgrader_time(2027, 1, 17, 23, 59)}  # the due date, in UTC
    assert "late (canvas marks them late): cheat-fake-check" in proc.stdout


def test_moodle_and_canvas_downloads_of_one_class_give_the_same_notebooks(moodle, canvas):
    (_, from_moodle), (_, from_canvas) = moodle, canvas
    for s in STUDENTS:
        if s not in ("weight-in-init", "naive-overflow", "raw-beta"):  # their Moodle uploads differ on purpose
            assert files(from_moodle / s / ASSIGNMENT)[NOTEBOOK] == files(from_canvas / s / ASSIGNMENT)[NOTEBOOK]


# ----------------------------------------------------------------------------- never older over newer


def test_an_older_or_equal_download_never_replaces_a_newer_submission(tmp_path):
    roster = moodle_roster(tmp_path / "worksheet.csv")
    submitted = tmp_path / "submitted"
    newer = moodle_zip(tmp_path / "newer.zip", STUDENTS)
    assert import_zip(newer, "moodle", submitted, roster).returncode == 0
    before = files(submitted)

    # An earlier download (Jan 14) in which everyone still had the blank release.
    older = moodle_zip(
        tmp_path / "older.zip",
        STUDENTS,
        when=lambda i: (2027, 1, 14, 9, 0, 0),
        content=lambda s: notebook("blank"),
        extras=False,
    )
    proc = import_zip(older, "moodle", submitted, roster)
    assert proc.returncode == 0, proc.stderr
    assert files(submitted) == before
    assert proc.stdout.count("is newer than this one") == len(STUDENTS)
    assert f"0 imported, {len(STUDENTS)} left untouched" in proc.stdout

    proc = import_zip(newer, "moodle", submitted, roster)  # the same download again
    assert files(submitted) == before
    assert proc.stdout.count("is as new as this one") == len(STUDENTS)

    # A later download for raw-beta only: its folder is replaced whole (data.csv is gone).
    latest = moodle_zip(
        tmp_path / "latest.zip",
        ["raw-beta"],
        when=lambda i: (2027, 1, 17, 12, 0, 0),
        content=lambda s: notebook("reference"),
        extras=False,
    )
    proc = import_zip(latest, "moodle", submitted, roster)
    assert proc.returncode == 0, proc.stderr
    assert files(submitted / "raw-beta" / ASSIGNMENT) == {
        NOTEBOOK: notebook("reference"),
        "timestamp.txt": nbgrader_time(2027, 1, 17, 12, 0, 0).encode(),
    }
    assert {k: v for k, v in files(submitted).items() if not k.startswith("raw-beta/")} == {
        k: v for k, v in before.items() if not k.startswith("raw-beta/")
    }
    assert "replaced  raw-beta" in proc.stdout


def test_a_folder_without_timestamp_is_left_untouched(tmp_path):
    submitted = tmp_path / "submitted"
    hand_made = submitted / PEOPLE["reference"]["moodle"] / ASSIGNMENT / NOTEBOOK
    hand_made.parent.mkdir(parents=True)
    hand_made.write_text("{}")
    proc = import_zip(moodle_zip(tmp_path / "m.zip", ["reference"], extras=False), "moodle", submitted)
    assert proc.returncode == 0
    assert hand_made.read_text() == "{}"
    assert "has no timestamp.txt, so its age is unknown; left untouched" in proc.stdout


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("damage", ["truncated", "checksum", "not a zip"])
def test_a_corrupt_zip_is_one_line_exit_2_and_nothing_written(tmp_path, damage):
    data = moodle_zip(tmp_path / "good.zip", STUDENTS).read_bytes()
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "checksum":  # flip a byte inside the first (stored, uncompressed) notebook
        at = data.index(b'"cells"')
        data = data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1 :]
    else:
        data = b"<html>session expired</html>"
    bad = tmp_path / "bad.zip"
    bad.write_bytes(data)
    proc = import_zip(bad, "moodle", tmp_path / "submitted")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "bad.zip" in proc.stderr
    assert not (tmp_path / "submitted").exists()


def test_a_roster_without_an_lms_id_column_is_a_usage_error(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nAnn,ann@uni.example\n")
    proc = import_zip(moodle_zip(tmp_path / "m.zip", STUDENTS), "moodle", tmp_path / "submitted", roster)
    assert proc.returncode == 2 and "no LMS id column" in proc.stderr
    assert not (tmp_path / "submitted").exists()


def test_a_zip_with_nothing_of_the_lms_exits_1(tmp_path):
    proc = import_zip(moodle_zip(tmp_path / "m.zip", STUDENTS), "canvas", tmp_path / "submitted")
    assert proc.returncode == 1
    assert f"0 imported, 0 left untouched, {len(STUDENTS) + 4} file(s) not matched" in proc.stdout


# ----------------------------------------------------------------------------- export


def write_grades(out: Path, rows: list[dict]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "grades.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_export_reads_total_score_and_leaves_out_answers_still_to_grade(tmp_path):
    """With total_score (auto + manual − late penalty) grades.csv's score is not what the LMS gets."""
    columns = ["student_id", "assignment", "score", "needs_manual_grading", "total_score"]
    write_grades(
        tmp_path,
        [
            dict(zip(columns, row))
            for row in [
                ("90000", ASSIGNMENT, "16", "no", "14.5"),
                ("90013", ASSIGNMENT, "12", "yes", "12"),
                ("s-77", ASSIGNMENT, "3.3333", "no", "3.3333"),
                ("90000", "00-foundations", "1", "no", "1"),
            ]
        ],
    )
    proc = autograder("export", ASSIGNMENT, "--lms", "canvas", "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert read_csv(tmp_path / f"{ASSIGNMENT}-canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", TITLE],
        ["    Points Possible", "", "", "", "", "22"],
        ["90000", "90000", "", "", "", "14.5"],
        ["s-77", "", "s-77", "", "", "3.33"],  # not a Canvas user id: Canvas finds it by SIS id
    ]
    assert "left out 90013: no total yet: written answers still to grade by hand" in proc.stdout


def test_export_without_total_score_uses_score_and_moodle_maps_emails(tmp_path):
    write_grades(
        tmp_path,
        [
            {"student_id": "ann@uni.example", "assignment": ASSIGNMENT, "score": "9", "max_score": "16"},
            {"student_id": "bob@uni.example", "assignment": ASSIGNMENT, "score": "16", "max_score": "16"},
        ],
    )
    proc = autograder("export", ASSIGNMENT, "--lms", "moodle", "--out", tmp_path, "-o", tmp_path / "m.csv")
    assert proc.returncode == 0, proc.stderr
    assert read_csv(tmp_path / "m.csv") == [
        ["Email address", f"Assignment: {TITLE} (Real)"],
        ["ann@uni.example", "9"],
        ["bob@uni.example", "16"],
    ]


def test_export_without_grades_is_a_usage_error(tmp_path):
    proc = autograder("export", ASSIGNMENT, "--lms", "moodle", "--out", tmp_path)
    assert proc.returncode == 2 and "grades.csv: no such file" in proc.stderr


# ----------------------------------------------------------------------------- the round trip

GRADED = ["blank", "forgot-abs", "reference", "weight-in-init"]  # a few, to stay fast


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """Moodle zip → import → autograder grade → export for Moodle and for Canvas."""
    tmp = tmp_path_factory.mktemp("round-trip")
    worksheet, gradebook = moodle_roster(tmp / "worksheet.csv"), canvas_roster(tmp / "gradebook.csv")
    proc = import_zip(moodle_zip(tmp / "moodle.zip", GRADED), "moodle", tmp / "submitted", worksheet)
    assert proc.returncode == 0, proc.stderr
    out = tmp / "out"
    proc = autograder("grade", ASSIGNMENT, "--submissions", tmp / "submitted", "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(out / "grades.csv", newline="") as f:
        grades = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == ASSIGNMENT}
    exports = {}
    for lms, roster in (("moodle", worksheet), ("canvas", gradebook)):
        proc = autograder("export", ASSIGNMENT, "--lms", lms, "--out", out, "--roster", roster)
        assert proc.returncode == 0, proc.stderr
        exports[lms] = read_csv(out / f"{ASSIGNMENT}-{lms}.csv")
    return grades, exports


def test_round_trip_grades_what_the_lms_sent(round_trip):
    grades, _ = round_trip
    assert {s: (float(r["total_score"]), r["status"]) for s, r in grades.items()} == {
        "blank": (0.0, "ok"),
        "forgot-abs": (20.0, "ok"),
        "reference": (22.0, "ok"),
        "weight-in-init": (0.0, "missing_notebook"),
    }  # uploaded as "my homework.ipynb"
    assert "found my homework.ipynb" in grades["weight-in-init"]["detail"]
    # The grader read the imported timestamp.txt: 10:0i in the due date's zone (+03:30) is 06:3i UTC.
    assert {s: r["submitted_at"] for s, r in grades.items()} == {
        s: f"2027-01-15T06:3{i}:00+00:00" for i, s in enumerate(GRADED)
    }


def test_round_trip_moodle_export_is_its_gradebook_import_format(round_trip):
    grades, exports = round_trip
    header, *rows = exports["moodle"]
    assert header == ["Full name", "ID number", f"Assignment: {TITLE} (Real)"]
    assert {r[1]: (r[0], float(r[2])) for r in rows} == {
        s: (PEOPLE[s]["full"], float(grades[s]["total_score"])) for s in GRADED
    }


def test_round_trip_canvas_export_is_its_gradebook_import_format(round_trip):
    grades, exports = round_trip
    header, points, *rows = exports["canvas"]
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", CANVAS_COLUMN]
    assert points == ["    Points Possible", "", "", "", "", "22"]
    assert {r[2]: (r[1], r[3], r[4], float(r[5])) for r in rows} == {
        s: (PEOPLE[s]["canvas"], PEOPLE[s]["email"], "DL 2027", float(grades[s]["total_score"])) for s in GRADED
    }


@pytest.mark.parametrize("command", ["import", "export"])
def test_import_and_export_explain_themselves(command):
    proc = autograder(command, "--help")
    assert proc.returncode == 0 and f"usage: autograder {command}" in proc.stdout and "--lms" in proc.stdout
