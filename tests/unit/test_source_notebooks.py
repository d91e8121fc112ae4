"""Are the source notebooks (solutions/<id>/<id>.ipynb, the one source of truth, edited in
JupyterLab) written by the course's rules? What the deleted writer scripts used to guarantee,
checked on the files themselves."""

import re

import nbformat
import pytest

from autograder import course as course_mod
from autograder.checks import check_ids_in, get

from ..conftest import ROOT

COURSE = course_mod.load(ROOT)
VISIBLE_TEST = re.compile(r'^check\("[\w.]+"(, \w+)*\)$')
HIDDEN_TEST = re.compile(
    r'^# Hidden check \([\d.]+ points?\): .+\n### BEGIN HIDDEN TESTS\ncheck\("[\w.]+"(, \w+)*\)\n'
    r"### END HIDDEN TESTS$"
)


@pytest.fixture(params=[a.id for a in COURSE.assignments])
def source(request):
    assignment = COURSE.assignment(request.param)
    return assignment, nbformat.read(COURSE.source_notebook(assignment), as_version=4)


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def test_it_is_a_clean_python3_notebook_with_unique_ids(source):
    _, nb = source
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(not c.get("outputs") and not c.get("execution_count") for c in nb.cells if c.cell_type == "code")
    ids = [c.id for c in nb.cells]
    grade_ids = [_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c)]
    assert len(set(ids)) == len(ids) and len(set(grade_ids)) == len(grade_ids)


def test_it_opens_with_both_titles_and_how_to_check(source):
    assignment, nb = source
    header, how = nb.cells[0].source, nb.cells[1].source
    assert header.startswith("# ") and assignment.title in header.splitlines()[0]
    assert f'<div dir="rtl" lang="fa">\n\n## {assignment.title_fa}\n\n</div>' in header
    assert f"autograder check {assignment.notebook}" in how and "Validate" in how


def test_students_can_edit_only_solution_cells(source):
    _, nb = source
    assert all(_nbgrader(c) for c in nb.cells[2:]), "every cell after the header is nbgrader's"
    for cell in nb.cells[2:]:
        meta = _nbgrader(cell)
        assert meta.get("schema_version") == 3, cell.id
        assert meta["locked"] == (not meta["solution"]), cell.id


def test_solution_cells_hide_their_solution_and_written_answers_carry_a_mark_scheme(source):
    _, nb = source
    for cell in nb.cells[2:]:
        meta = _nbgrader(cell)
        if meta["solution"] and cell.cell_type == "code":
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source, meta["grade_id"]
        if meta["solution"] and meta["grade"]:  # a written answer, graded by hand
            assert cell.cell_type == "markdown" and cell.source.startswith("YOUR ANSWER HERE"), meta["grade_id"]
            assert "=== BEGIN MARK SCHEME ===" in cell.source and meta["points"] > 0


def test_test_cells_are_one_call_into_the_check_library_worth_its_points(source):
    _, nb = source
    for cell in nb.cells[2:]:
        meta = _nbgrader(cell)
        if not meta["grade"] or meta["solution"]:
            continue
        (check_id,) = check_ids_in(cell.source)
        check = get(check_id)
        form = HIDDEN_TEST if check.hidden else VISIBLE_TEST
        assert form.match(cell.source), cell.source
        assert meta["grade_id"] == "test_" + check_id.replace(".", "_")
        assert meta["points"] == check.points
