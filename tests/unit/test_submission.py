"""What does the grader make of a submitted notebook before any kernel runs it?"""

import copy
import json
import warnings

from autograder.engine.submission import drop_duplicate_grade_ids, read_submission, tampering
from autograder.results import Status

from .notebooks import answered, release, source, write


def test_a_missing_notebook_names_what_was_handed_in_instead(tmp_path):
    write(answered(), tmp_path / "my_homework.ipynb")
    status, detail, nb = read_submission(tmp_path / "01-activations.ipynb")
    assert status == Status.MISSING_NOTEBOOK and nb is None
    assert "no 01-activations.ipynb" in detail and "my_homework.ipynb" in detail


def test_a_file_that_is_not_a_notebook_is_invalid_and_says_why(tmp_path):
    (tmp_path / "a.ipynb").write_text('{"cells": [')
    status, detail, nb = read_submission(tmp_path / "a.ipynb")
    assert status == Status.INVALID_NOTEBOOK and nb is None and "a.ipynb is not a valid notebook" in detail


def test_a_pasted_cell_with_a_repeated_id_costs_nothing(tmp_path):
    nb = answered()
    nb.cells.append(copy.deepcopy(nb.cells[0]))  # same cell id twice
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")  # as a browser saves it (nbformat.write would fix the id)
    assert json.loads(path.read_text())["cells"][0]["id"] == json.loads(path.read_text())["cells"][-1]["id"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns while it repairs the id: that is the point
        status, _, read = read_submission(path)
    assert status == Status.OK and len({c.id for c in read.cells}) == len(read.cells)


def test_solution_edits_are_not_tampering_and_the_hidden_region_is_not_an_edit():
    assert tampering(answered(), release()) == []
    assert tampering(answered(), source()) == []  # the source's hidden tests are not "edited"


def test_every_kind_of_tampering_is_named():
    cases = {
        "cell test_f deleted": lambda nb: nb.cells.pop(2),
        "cell test_f edited": lambda nb: setattr(nb.cells[2], "source", 'check("f.forward", lambda x: 2 * x)'),
        "cell test_f metadata edited": lambda nb: nb.cells[2].metadata["nbgrader"].update(points=20),
        "cell test_f duplicated": lambda nb: nb.cells.append(copy.deepcopy(nb.cells[2])),
        "cell why changed type": lambda nb: setattr(nb.cells[4], "cell_type", "code"),
        "cells reordered": lambda nb: nb.cells.insert(2, nb.cells.pop(3)),
    }
    for said, change in cases.items():
        nb = answered()
        change(nb)
        assert said in tampering(nb, release()), said


def test_a_duplicated_graded_cell_becomes_a_plain_cell():
    nb = answered()
    nb.cells.append(copy.deepcopy(nb.cells[2]))
    drop_duplicate_grade_ids(nb)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    assert ids.count("test_f") == 1 and "nbgrader" not in nb.cells[-1].metadata
