"""Does grades.csv show auto, manual (formgrader) and total scores, and late penalties by course.yml?

One real batch: 00-foundations (27 autograded points, two written answers worth 1 + 2) for three
sample students, in a copy of the course whose late policy is 10 % of the score per started day.
``reference`` hands in 2.5 days late (nbgrader's timestamp.txt), ``numpy-sigmoid`` an hour early,
``blank`` has no timestamp.txt (on time). Manual scores are entered through nbgrader's Gradebook
API exactly as formgrader's grade handler enters them.
"""

import csv
import datetime as dt
import json
import shutil
import warnings

import pytest

from autograder import course as course_mod
from autograder.grades.late import CoursePenalty
from autograder.results import STATE_DIR as STATE

from ..conftest import autograder, copy_course, samples

ASSIGNMENT = "00-foundations"
LATE, EARLY, BLANK = "reference", "numpy-sigmoid", "blank"
RATE = 0.1
DAY = 86400


def nbgrader_timestamp(when: dt.datetime) -> str:
    """What `nbgrader submit` writes to timestamp.txt (its default format, time zone UTC)."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f %Z")


def read_grades(out):
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return {row["student_id"]: row for row in csv.DictReader(f) if row["assignment"] == ASSIGNMENT}


def grade_by_hand(out, course, student, grade_id, points):
    """Exactly what formgrader's GradeHandler.put does with a manual score."""
    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{out / 'gradebook.db'}", course.id) as gb:
        warnings.simplefilter("ignore")
        grade = gb.find_grade(grade_id, ASSIGNMENT, ASSIGNMENT, student)
        grade.manual_score = points
        grade.extra_credit = None
        grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
        gb.db.commit()


def rewrite(root, out):
    proc = autograder("--course", root, "grades", "--out", out)
    assert proc.returncode == 0, proc.stderr
    return read_grades(out)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("course"))
    text = (root / "course.yml").read_text(encoding="utf-8")
    assert "late_policy: none " in text and "late_penalty_per_day: 0.0 " in text
    text = text.replace("late_policy: none ", "late_policy: per_day ").replace(
        "late_penalty_per_day: 0.0 ", f"late_penalty_per_day: {RATE} "
    )
    (root / "course.yml").write_text(text, encoding="utf-8")
    course = course_mod.load(root)
    due = course.assignment(ASSIGNMENT).due

    submitted = tmp_path_factory.mktemp("submitted")
    for student in (LATE, EARLY, BLANK):
        shutil.copytree(samples() / student / ASSIGNMENT, submitted / student / ASSIGNMENT)
    (submitted / LATE / ASSIGNMENT / "timestamp.txt").write_text(nbgrader_timestamp(due + dt.timedelta(days=2.5)))
    (submitted / EARLY / ASSIGNMENT / "timestamp.txt").write_text(nbgrader_timestamp(due - dt.timedelta(hours=1)))

    out = tmp_path_factory.mktemp("out")
    proc = autograder("--course", root, "grade", ASSIGNMENT, "--submissions", submitted, "--out", out)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return root, course, out, read_grades(out)


def autograded(out, student) -> float:
    """The grader's own score for a student (the results JSON): grading itself is tested elsewhere."""
    return json.loads((out / STATE / "results" / ASSIGNMENT / f"{student}.json").read_text())["score"]


def test_grades_csv_shows_auto_manual_and_total_scores_with_needs_manual_grading(graded):
    _, _, out, rows = graded
    early, auto = rows[EARLY], autograded(out, EARLY)  # both written answers wait for a human
    assert (early["score"], early["max_score"], early["status"]) == (f"{auto:g}", "27", "ok")
    assert (early["manual_score"], early["manual_max_score"], early["needs_manual_grading"]) == ("0", "3", "yes")
    assert (early["total_score"], early["total_max_score"]) == (f"{auto:g}", "30")
    blank, auto = rows[BLANK], autograded(out, BLANK)  # unanswered written answers score 0: nothing to grade
    assert (blank["score"], blank["manual_score"], blank["needs_manual_grading"], blank["total_score"]) == (
        f"{auto:g}",
        "0",
        "no",
        f"{auto:g}",
    )


def test_a_manual_score_entered_in_formgrader_reaches_grades_csv_without_regrading(graded):
    root, course, out, _ = graded
    auto = autograded(out, EARLY)
    result = out / STATE / "results" / ASSIGNMENT / f"{EARLY}.json"
    before = result.read_bytes(), result.stat().st_mtime_ns

    grade_by_hand(out, course, EARLY, "saturation_answer", 1)
    row = rewrite(root, out)[EARLY]
    assert (row["score"], row["manual_score"], row["needs_manual_grading"], row["total_score"]) == (
        f"{auto:g}",
        "1",
        "yes",
        f"{auto + 1:g}",
    )  # why_deep is still ungraded

    grade_by_hand(out, course, EARLY, "why_deep", 1.5)
    row = rewrite(root, out)[EARLY]
    assert (row["score"], row["manual_score"], row["needs_manual_grading"], row["total_score"]) == (
        f"{auto:g}",
        "2.5",
        "no",
        f"{auto + 2.5:g}",
    )
    assert (result.read_bytes(), result.stat().st_mtime_ns) == before  # not regraded

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", course.id) as gb:
        assert gb.find_submission(ASSIGNMENT, EARLY).score == pytest.approx(auto + 2.5)


def test_a_submission_2_5_days_late_loses_3_started_days_of_its_score(graded):
    root, course, out, rows = graded
    late = rows[LATE]
    assert autograded(out, LATE) == 27  # the reference solution: full marks
    assert (late["seconds_late"], late["days_late"]) == (str(int(2.5 * DAY)), "2.50")
    assert late["submitted_at"].endswith("+00:00")
    assert (late["score"], late["late_penalty"], late["total_score"]) == ("27", "8.1", "18.9")  # 3 × 10 % × 27
    assert rows[EARLY]["late_penalty"] == rows[BLANK]["late_penalty"] == "0"
    assert rows[EARLY]["seconds_late"] == rows[BLANK]["seconds_late"] == "0"

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", course.id) as gb:
        submission = gb.find_submission(ASSIGNMENT, LATE)
        assert submission.total_seconds_late == 2.5 * DAY
        assert submission.late_submission_penalty == pytest.approx(8.1)

    # Written answers graded later raise the score, and the per-day penalty with it.
    grade_by_hand(out, course, LATE, "saturation_answer", 1)
    grade_by_hand(out, course, LATE, "why_deep", 2)
    late = rewrite(root, out)[LATE]
    assert (late["manual_score"], late["late_penalty"], late["total_score"]) == ("3", "9", "21")
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", course.id) as gb:
        assert gb.find_submission(ASSIGNMENT, LATE).late_submission_penalty == pytest.approx(9)


def test_nbgraders_own_late_penalty_step_with_the_course_plugin_agrees_with_grades_csv(graded):
    """The plugin is a real nbgrader LateSubmissionPlugin: nbgrader's AssignLatePenalties, told
    to use it, stores the same penalty as grades.csv shows."""
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties
    from traitlets.config import Config

    root, course, out, _ = graded
    penalty = float(rewrite(root, out)[LATE]["late_penalty"])
    db = f"sqlite:///{out / 'gradebook.db'}"
    with Gradebook(db, course.id) as gb:
        gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, LATE).late_submission_penalty = None
        gb.db.commit()
    c = Config()
    c.AssignLatePenalties.plugin_class = "autograder.grades.late.CoursePenalty"
    c.CoursePenalty.policy = "per_day"
    c.CoursePenalty.penalty_per_day = RATE
    nb = nbformat.read(out / "autograded" / LATE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    AssignLatePenalties(config=c).preprocess(
        nb, {"nbgrader": {"notebook": ASSIGNMENT, "assignment": ASSIGNMENT, "student": LATE, "db_url": db}}
    )
    with Gradebook(db, course.id) as gb:
        assert gb.find_submission(ASSIGNMENT, LATE).late_submission_penalty == pytest.approx(penalty)
        assert penalty > 0


@pytest.mark.parametrize("days_late, expected", [(0, None), (0.01, 2.0), (1.0, 2.0), (1.01, 4.0), (12, 20.0)])
def test_the_per_day_penalty_counts_started_days_and_is_capped_at_the_score(days_late, expected):
    plugin = CoursePenalty(policy="per_day", penalty_per_day=RATE)
    assert plugin.late_submission_penalty("s", 20.0, days_late * DAY) == pytest.approx(expected)
    assert CoursePenalty(policy="none", penalty_per_day=RATE).late_submission_penalty("s", 20.0, 5 * DAY) is None


def test_a_garbled_timestamp_stops_the_batch_with_one_line_before_anything_is_graded(tmp_path):
    folder = tmp_path / "submitted" / "someone" / ASSIGNMENT
    shutil.copytree(samples() / BLANK / ASSIGNMENT, folder)
    (folder / "timestamp.txt").write_text("next tuesday-ish")
    out = tmp_path / "out"
    proc = autograder("grade", ASSIGNMENT, "--submissions", tmp_path / "submitted", "--out", out)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "timestamp.txt" in proc.stderr and "next tuesday" in proc.stderr
    assert not list((out / STATE / "results").rglob("*.json"))
    assert not (out / "grades.csv").exists()


def test_grades_in_a_folder_with_nothing_graded_is_a_one_line_error_that_writes_nothing(tmp_path):
    proc = autograder("grades", "--out", tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "autograder grade" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_formgrader_sees_every_graded_submission_with_the_course_late_policy(graded):
    """Formgrader counts submissions from <out>/submitted and reads <out>/nbgrader_config.py."""
    import os

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    _, _, out, _ = graded
    config = PyFileConfigLoader("nbgrader_config.py", path=str(out)).load_config()
    here = os.getcwd()
    os.chdir(out)
    try:
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        assert api.get_assignment(ASSIGNMENT)["num_submissions"] == 3
    finally:
        os.chdir(here)
    assert (out / "submitted" / LATE / ASSIGNMENT / "timestamp.txt").is_file()
    assert config.CoursePenalty.policy == "per_day" and config.CoursePenalty.penalty_per_day == RATE
    assert config.AssignLatePenalties.plugin_class == "autograder.grades.late.CoursePenalty"
