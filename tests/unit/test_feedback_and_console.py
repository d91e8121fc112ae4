"""What people read: the feedback's summary and the CLI's tables."""

from autograder import console
from autograder.engine.feedback import add_summary
from autograder.results import CellResult, Status, SubmissionResult

RESULT = SubmissionResult.of(
    "ana",
    "01-activations",
    Status.MEMORY_LIMIT,
    [
        CellResult("test_f", "test", 2.0, 2.0, checks=["flexible_sigmoid.forward"], passed=True),
        CellResult("test_g", "test", 1.0, 0.0, checks=["rbf.positive"], passed=False, message="β went <negative>"),
        CellResult("why", "manual", 3.0, None, needs_manual=True),
    ],
    detail="your notebook used more than 4096 MB of memory (the memory limit)",
)


def test_the_feedback_summary_shows_points_messages_and_the_status_detail(tmp_path):
    page = tmp_path / "f.html"
    page.write_text("<html><body class='x'><p>nbgrader</p></body></html>")
    add_summary(page, RESULT)
    text = page.read_text()
    assert text.index("Autograder: 2 / 3 points (status: memory_limit)") < text.index("nbgrader")
    assert "more than 4096 MB of memory" in text and "β went &lt;negative&gt;" in text
    assert "graded by hand 3" in text and "✔ 2/2" in text and "✘ 0/1" in text


def test_the_grade_table_marks_what_is_not_as_expected():
    with console.out.capture() as out:
        console.out.print(console.grade_table([RESULT], {("01-activations", "ana"): "failed more"}))
    line = out.get().splitlines()[1]
    assert "ana" in line and "2 / 3" in line and "memory_limit" in line and "rbf.positive" in line
    assert "NOT AS EXPECTED" in line


def test_the_check_table_lists_each_check_with_its_verdict():
    text = console.check_table(RESULT)
    assert text.startswith("01-activations: 2 / 3 autograded points  (status: memory_limit)")
    assert "more than 4096 MB" in text and "3 more points are graded by hand" in text
    assert "✔  flexible_sigmoid.forward" in text and "β went <negative>" in text
