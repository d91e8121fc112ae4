"""Late penalties and grades.csv's rows, computed as nbgrader computes them."""

import csv
import datetime as dt

import pytest

from autograder.course import CourseError
from autograder.grades.late import CoursePenalty, submitted_at
from autograder.grades.scores import Score
from autograder.grades.table import CSV_FIELDS, csv_row, write_rows

DAY = 86400


def test_per_day_takes_a_fraction_of_the_score_per_started_day_capped_at_the_score():
    policy = CoursePenalty(policy="per_day", penalty_per_day=0.1)
    assert policy.late_submission_penalty("s", 20.0, 0) is None
    assert policy.late_submission_penalty("s", 20.0, 1) == pytest.approx(2.0)  # 1 started day
    assert policy.late_submission_penalty("s", 20.0, 2.5 * DAY) == pytest.approx(6.0)  # 3 started days
    assert policy.late_submission_penalty("s", 20.0, 30 * DAY) == 20.0  # never below zero
    assert CoursePenalty(policy="none").late_submission_penalty("s", 20.0, 9 * DAY) is None


def test_the_submission_time_is_read_from_nbgraders_timestamp(tmp_path):
    assert submitted_at(tmp_path) is None  # no file: on time
    (tmp_path / "timestamp.txt").write_text("2027-01-15 10:00:00.000000 UTC")
    assert submitted_at(tmp_path) == "2027-01-15T10:00:00+00:00"
    (tmp_path / "timestamp.txt").write_text("next tuesday")
    with pytest.raises(CourseError, match="timestamp.txt: not a time nbgrader can read: 'next tuesday'"):
        submitted_at(tmp_path)


def test_a_grades_csv_row_has_every_column_formatted(tmp_path):
    score = Score(
        student="ana",
        assignment="00",
        status="ok",
        detail="",
        auto_score=17.0,
        auto_max_score=20.0,
        manual_score=2.0,
        manual_max_score=3.0,
        needs_manual_grading=True,
        submitted_at="2027-01-15T10:00:00+00:00",
        seconds_late=1.5 * DAY,
        late_penalty=3.8,
        total_score=15.2,
    )
    row = csv_row(score)
    assert list(row) == CSV_FIELDS
    assert (row["score"], row["total_max_score"], row["needs_manual_grading"], row["days_late"]) == (
        "17",
        "23",
        "yes",
        "1.50",
    )
    write_rows(tmp_path / "grades.csv", CSV_FIELDS, [row])
    with open(tmp_path / "grades.csv", newline="") as f:
        assert list(csv.DictReader(f)) == [row]
    assert not (tmp_path / "grades.tmp").exists()


def test_days_late_are_fractional_days():
    score = Score("a", "b", "ok", "", 1, 1, 0, 0, False, None, DAY * 2.25, 0, 1)
    assert score.days_late == 2.25 and score.total_max_score == 1
    assert dt.timedelta(seconds=score.seconds_late).days == 2
