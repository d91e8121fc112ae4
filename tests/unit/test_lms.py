"""Does each LMS adapter read its own zip names and write its own gradebook columns? (in-process;
tests/e2e/test_lms.py runs real zips through the CLI)"""

import datetime as dt
import zipfile
from pathlib import PurePosixPath

import pytest

from autograder.course import Assignment, Timeouts
from autograder.lms import LMS_NAMES, LmsError, adapter_for
from autograder.lms.adapter import points_text
from autograder.lms.roster import Person, read_roster

ZONE = dt.timezone(dt.timedelta(hours=3, minutes=30))
DUE = dt.datetime(2027, 1, 17, 23, 59, tzinfo=ZONE)
A = Assignment(
    "01-activations", "Flexible activation functions", "", "01-activations.ipynb", 16.0, 0.0, DUE, Timeouts(60, 600)
)
moodle, canvas = adapter_for("moodle"), adapter_for("canvas")


def entry(name, when=(2027, 1, 15, 10, 0, 0)):
    return zipfile.ZipInfo(name, date_time=when)


def test_every_lms_has_an_adapter_and_an_unknown_one_is_one_line():
    assert LMS_NAMES == ("moodle", "canvas")
    with pytest.raises(LmsError, match="unknown LMS 'blackboard'"):
        adapter_for("blackboard")


def test_moodle_names_in_folders_flat_before_4_1_and_inside_a_re_zipped_folder():
    cases = {
        "Ana Lima_3007_assignsubmission_file/01-activations.ipynb": ("3007", "Ana Lima", "01-activations.ipynb"),
        "Ana Lima_3007_assignsubmission_file/data/x.csv": ("3007", "Ana Lima", "data/x.csv"),
        "Ana Lima_3007_assignsubmission_file_01-activations.ipynb": ("3007", "Ana Lima", "01-activations.ipynb"),
        "Ana Lima_3007_assignsubmission_file_/01-activations.ipynb": ("3007", "Ana Lima", "01-activations.ipynb"),
        "download/Ana Lima_3007_assignsubmission_file/a.ipynb": ("3007", "Ana Lima", "a.ipynb"),
    }
    for name, (lms_id, person, path) in cases.items():
        upload = moodle.upload(entry(name))
        assert (upload.lms_id, upload.name, str(upload.path)) == (lms_id, person, path), name
    assert moodle.upload(entry("notes.txt")) is None


def test_canvas_names_late_marks_and_its_dash_n_copies():
    up = canvas.upload(entry("limaana_late_90013_555001_01-activations-1.ipynb"))
    assert (up.lms_id, up.name, up.late, str(up.path)) == ("90013", "limaana", True, "01-activations-1.ipynb")
    assert canvas.target_path(up, A, {"01-activations-1.ipynb"}) == PurePosixPath("01-activations.ipynb")
    both = {"01-activations-1.ipynb", "01-activations.ipynb"}  # the student sent both names: keep both
    assert canvas.target_path(up, A, both) == PurePosixPath("01-activations-1.ipynb")
    assert moodle.target_path(up, A, {"01-activations-1.ipynb"}) == PurePosixPath("01-activations-1.ipynb")
    assert canvas.upload(entry("notes.txt")) is None


def test_canvas_never_stamps_an_on_time_file_after_the_due_date():
    made = (2027, 1, 20, 9, 0, 0)  # when Canvas made the zip
    on_time = [canvas.upload(entry("limaana_90013_555001_01-activations.ipynb", made))]
    late = [canvas.upload(entry("limaana_late_90013_555001_01-activations.ipynb", made))]
    assert canvas.submitted_at(on_time, ZONE, A) == DUE
    assert canvas.submitted_at(late, ZONE, A) == dt.datetime(*made, tzinfo=ZONE)
    assert moodle.submitted_at(on_time, ZONE, A) == dt.datetime(*made, tzinfo=ZONE)


def test_gradebook_columns_per_lms():
    graded = [(Person("3007", "ana", "Ana Lima", "ana@uni.example", "s1"), 12.5)]
    header, before, rows = moodle.gradebook(A, graded, roster=None, column=None)
    assert header == ["Email address", "Assignment: Flexible activation functions (Real)"] or header[0] == "ID number"
    header, before, rows = canvas.gradebook(A, [(Person("90013", "90013"), 13.333)], roster=None, column=None)
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert before == [["    Points Possible", "", "", "", "", "16"]] and rows == [
        ["90013", "90013", "", "", "", "13.33"]
    ]
    assert [points_text(p) for p in (12, 12.5, 13.333, 0)] == ["12", "12.5", "13.33", "0"]


def test_rosters_from_moodle_canvas_and_our_own_columns(tmp_path):
    moodle_csv = tmp_path / "m.csv"
    moodle_csv.write_text(
        "\ufeffIdentifier,Full name,ID number,Email address\nParticipant 3007,Ana Lima,s1,ana@uni.example\n",
        encoding="utf-8",
    )
    (person,) = read_roster(moodle_csv).people
    assert (person.lms_id, person.student_id, person.email) == ("3007", "s1", "ana@uni.example")
    canvas_csv = tmp_path / "c.csv"
    canvas_csv.write_text(
        'Student,ID,SIS User ID,SIS Login ID,Section\n    Points Possible,,,,\n"Lima, Ana",90013,,ana@uni.example,DL\n'
    )
    (person,) = read_roster(canvas_csv).people  # "Points Possible" is not a person
    assert (person.lms_id, person.student_id) == ("90013", "ana@uni.example")
    ours = tmp_path / "o.csv"
    ours.write_text("lms_id,student_id\n1,ana\n2,ana\n")
    with pytest.raises(LmsError, match="student_id ana appears more than once"):
        read_roster(ours)
