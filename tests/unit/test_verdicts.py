"""What does the grader write into a graded test cell after the kernel has run it?"""

from nbformat.v4 import new_code_cell, new_output

from autograder.engine.verdicts import ApplyVerdicts

HIDDEN = 'x = 1\n### BEGIN HIDDEN TESTS\ncheck("jordan.why", JORDAN_ANSWER)\n### END HIDDEN TESTS'


def graded(source, outputs):
    cell = new_code_cell(source, metadata={"nbgrader": {"grade": True, "grade_id": "t", "points": 2}})
    cell.outputs = outputs
    return cell


def name_error():
    return new_output(
        "error",
        ename="NameError",
        evalue="name 'JORDAN_ANSWER' is not defined",
        traceback=['---> 3 check("jordan.why", JORDAN_ANSWER)', "### END HIDDEN TESTS", "NameError: …"],
    )


def test_a_hidden_test_that_failed_on_its_own_shows_the_error_but_not_its_code(tmp_path):
    cell, _ = ApplyVerdicts(records=str(tmp_path)).preprocess_cell(graded(HIDDEN, [name_error()]), {}, 0)
    (error,) = cell.outputs
    assert error.traceback == ["NameError: name 'JORDAN_ANSWER' is not defined"]  # still scores 0: an error


def test_a_visible_test_keeps_its_traceback(tmp_path):
    visible = 'check("jordan.why", JORDAN_ANSWER)'
    cell, _ = ApplyVerdicts(records=str(tmp_path)).preprocess_cell(graded(visible, [name_error()]), {}, 0)
    assert len(cell.outputs[0].traceback) == 3
