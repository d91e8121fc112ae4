"""Does the README's demo grade the shipped sample class exactly as examples/<id>.yml expects?"""

import csv
import html
import re

import pytest

from autograder import checks
from autograder.authoring import sample
from autograder.engine.feedback import LABELS
from autograder.results import all_results


@pytest.fixture(scope="module")
def results(demo):
    proc, out = demo
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {(r.assignment, r.student): r for r in all_results(out)}


@pytest.fixture(scope="module")
def plans(course):
    """assignment id → {student: the sample they handed in} (examples/roster.yml)."""
    roster = sample.load_roster(course)
    return {a.id: sample.class_plan(course, roster, a) for a in course.assignments}


def handed_in(results, plans, assignment_id, name):
    """The results of the students who handed in sample ``name`` of an assignment."""
    return [results[(assignment_id, s)] for s, handed in plans[assignment_id].items() if handed == name]


def test_demo_prints_the_grade_table_and_where_the_files_are(demo):
    proc, out = demo
    assert "every student got exactly the grade of what they handed in" in proc.stdout
    assert str(out / "grades.csv") in proc.stdout
    assert re.search(r"reference\s+(\d+) / \1\s+ok", proc.stdout)


def test_the_class_is_a_roster_who_hand_in_every_assignment(results, course):
    roster = sample.load_roster(course)
    assert len(roster.students) >= 15
    for assignment in course.assignments:
        graded = {s for a, s in results if a == assignment.id}
        missing = roster.missing.get(assignment.id)
        assert graded == set(roster.students) - {missing}, assignment.id
    assert roster.missing, "someone misses an assignment"
    # most of the class hands in every assignment (wrong answers spread over people)
    everything = [s for s in roster.students if all((a.id, s) in results for a in course.assignments)]
    assert len(everything) == len(roster.students) - len(set(roster.missing.values()))


def test_reference_scores_full_marks_and_blank_scores_zero(results, plans, course):
    for assignment in course.assignments:
        references = handed_in(results, plans, assignment.id, sample.REFERENCE)
        (blank,) = handed_in(results, plans, assignment.id, sample.BLANK)
        assert references and all(r.score == r.max_score == assignment.points for r in references)
        assert blank.score == 0 and blank.status == "ok"


def test_each_wrong_answer_loses_exactly_the_points_of_its_checks(results, plans, course):
    for assignment in course.assignments:
        spec = sample.load_spec(course.sample_spec_path(assignment), assignment.id)
        for wrong in spec.wrong_answers:
            (r,) = handed_in(results, plans, assignment.id, wrong.student)
            lost = sum(checks.get(i).points for i in wrong.fails)
            assert r.score == assignment.points - lost, (wrong.student, r.cells)


def test_the_late_submission_is_late_in_grades_csv(demo, course):
    _, out = demo
    roster = sample.load_roster(course)
    with open(out / "grades.csv", newline="") as f:
        rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}
    for (assignment_id, student), row in rows.items():
        late = roster.late.get(assignment_id)
        if late and late[0] == student:
            assert float(row["seconds_late"]) == pytest.approx(36 * 3600 + 60), row
        else:
            assert float(row["seconds_late"] or 0) == 0, row


def test_failure_messages_name_the_cause(results, plans, course):
    for assignment in course.assignments:
        spec = sample.load_spec(course.sample_spec_path(assignment), assignment.id)
        for wrong in spec.wrong_answers:
            (r,) = handed_in(results, plans, assignment.id, wrong.student)
            for cell in r.cells:
                if cell.kind == "test" and not cell.passed:
                    assert len(cell.message) > 30, cell
                    assert not cell.message.startswith("AssertionError"), cell


def test_grades_csv_has_one_row_per_student_and_assignment(demo, results):
    _, out = demo
    with open(out / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {(r["assignment"], r["student_id"]) for r in rows} == set(results)
    for row in rows:
        r = results[(row["assignment"], row["student_id"])]
        assert float(row["score"]) == r.score and float(row["max_score"]) == r.max_score
        assert row["status"] == r.status


def test_the_nbgrader_gradebook_holds_the_same_scores(demo, results, course):
    from nbgrader.api import Gradebook

    _, out = demo
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", course.id) as gb:
        for (assignment_id, student), r in results.items():
            submission = gb.find_submission(assignment_id, student)
            assert submission.score == pytest.approx(r.score), (assignment_id, student)


def test_feedback_shows_points_and_messages_but_no_hidden_test_code(demo, results, course):
    _, out = demo
    hidden = [c.id for c in checks.registry().values() if c.hidden]
    assert hidden, "the course should have hidden checks"
    for (assignment_id, student), r in results.items():
        name = course.assignment(assignment_id).notebook.replace(".ipynb", ".html")
        page = (out / "feedback" / student / assignment_id / name).read_text()
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        assert "HIDDEN TESTS" not in text
        for check_id in hidden:
            assert f'check("{check_id}"' not in text, (student, check_id)
        head = LABELS[r.edition or "en"]["head"].format(score=f"{r.score:g}", max=f"{r.max_score:g}", status=r.status)
        assert head in text, (student, assignment_id)  # a Persian student's page is in Persian
        for cell in r.cells:
            if cell.kind == "test" and not cell.passed:
                assert html.unescape(html.escape(cell.message))[:60] in text
