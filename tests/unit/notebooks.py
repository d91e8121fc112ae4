"""Small notebooks for the unit tests: a release with a solution cell, a test cell (with a hidden
region in its source) and a written answer, as nbgrader's metadata marks them."""

from __future__ import annotations

import copy

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def _meta(grade_id, *, solution=False, grade=False, points=0, locked=False):
    return {
        "nbgrader": {
            "grade_id": grade_id,
            "solution": solution,
            "grade": grade,
            "points": points,
            "locked": locked,
            "schema_version": 3,
        }
    }


def release():
    return new_notebook(
        cells=[
            new_markdown_cell("# Task\nWrite `f`."),
            new_code_cell("def f(x):\n    raise NotImplementedError()", metadata=_meta("f", solution=True)),
            new_code_cell('check("f.forward", f)', metadata=_meta("test_f", grade=True, points=2, locked=True)),
            new_code_cell('check("f.gradient", f)', metadata=_meta("test_g", grade=True, points=1, locked=True)),
            new_markdown_cell("YOUR ANSWER HERE", metadata=_meta("why", solution=True, grade=True, points=3)),
        ]
    )


def source():
    """The release's source: the test cell holds a hidden region the release does not show."""
    nb = release()
    nb.cells[2].source += '\n### BEGIN HIDDEN TESTS\ncheck("f.hidden", f)\n### END HIDDEN TESTS'
    return nb


def answered(nb=None):
    nb = copy.deepcopy(nb or release())
    nb.cells[1].source = "def f(x):\n    return 2 * x"
    return nb


def write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
