"""Write nbgrader *source* notebooks from Python, with metadata that cannot drift.

The notebook in ``solutions/<id>/<id>.ipynb`` is the source of truth; this module is how an
author (or a script) writes one without hand-editing nbgrader metadata. Test cells are
one-liners into the check library and take their points from the check's registered points.

Example::

    nb = SourceNotebook("01-activations", "Flexible activation functions", "توابع فعال‌سازی انعطاف‌پذیر")
    nb.md("## 1. Flexible sigmoid ...")
    nb.solution("flexible_sigmoid", '''
    class FlexibleSigmoid(keras.layers.Layer):
        def call(self, x):
            ### BEGIN SOLUTION
            ...
            ### END SOLUTION
    ''')
    nb.test("flexible_sigmoid.forward", "FlexibleSigmoid")
    nb.save("solutions/01-activations/01-activations.ipynb")
"""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import nbformat

from . import checks

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class SourceNotebook:
    """An nbgrader source notebook being written cell by cell.

    Args:
        assignment_id: the assignment's id in course.yml.
        title: the English title (a level-1 heading).
        title_fa: the Persian title, shown right-to-left under the English one.
    """

    def __init__(self, assignment_id: str, title: str, title_fa: str = ""):
        self.assignment_id = assignment_id
        self.nb = nbformat.v4.new_notebook()
        self.nb.metadata = {
            "kernelspec": dict(KERNELSPEC),
            "language_info": {"name": "python"},
        }
        header = f"# {title}\n"
        if title_fa:
            header += f'\n<div dir="rtl" lang="fa">\n\n## {title_fa}\n\n</div>\n'
        self._add(nbformat.v4.new_markdown_cell(header), "header")
        self._add(nbformat.v4.new_markdown_cell(HOW_TO_CHECK.format(id=assignment_id)), "how-to-check")

    # ------------------------------------------------------------------ cell kinds
    def md(self, text: str) -> None:
        """Teaching text (read-only for students)."""
        self._add(nbformat.v4.new_markdown_cell(_clean(text)), readonly=True)

    def code(self, source: str) -> None:
        """Code given to the student: setup, demonstrations, plots (read-only)."""
        self._add(nbformat.v4.new_code_cell(_clean(source)), readonly=True)

    def solution(self, grade_id: str, source: str) -> None:
        """A cell the student edits; the part between BEGIN/END SOLUTION is removed on release."""
        source = _clean(source)
        if "### BEGIN SOLUTION" not in source:
            raise ValueError(f"solution cell {grade_id!r} has no ### BEGIN SOLUTION block")
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = _meta(grade_id, solution=True)
        self._add(cell, grade_id)

    def test(self, check_id: str, *args: str) -> None:
        """A test cell: one call into the check library, worth the check's points."""
        spec = checks.get(check_id)
        call = f'check("{check_id}"{"".join(", " + a for a in args)})'
        if spec.hidden:
            unit = "point" if spec.points == 1 else "points"
            source = (f"# Hidden check ({spec.points:g} {unit}): {spec.title}. It runs when graded.\n"
                      f"### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS")
        else:
            source = call
        grade_id = "test_" + check_id.replace(".", "_")
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = _meta(grade_id, grade=True, points=spec.points)
        self._add(cell, grade_id)

    def written(self, grade_id: str, points: float, answer: str) -> None:
        """A written answer, graded by hand in formgrader. ``answer`` is the model answer."""
        text = f"=== BEGIN MARK SCHEME ===\n\n{_clean(answer)}\n\n=== END MARK SCHEME ===\n"
        cell = nbformat.v4.new_markdown_cell("YOUR ANSWER HERE\n\n" + text)
        cell.metadata["nbgrader"] = _meta(grade_id, solution=True, grade=True, points=points)
        self._add(cell, grade_id)

    # ------------------------------------------------------------------ output
    def save(self, path: str | Path) -> Path:
        if not any("BEGIN HIDDEN TESTS" in c.source for c in self.nb.cells):
            how = next(c for c in self.nb.cells if c.id == "how-to-check")
            how.source = how.source[:how.source.index(HIDDEN_NOTE)].rstrip() + "\n\nBoth give the same verdict."
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.validate(self.nb)
        path.write_text(nbformat.writes(self.nb) + "\n", encoding="utf-8")
        return path

    def _add(self, cell, name: str | None = None, readonly: bool = False) -> None:
        index = len(self.nb.cells)
        # Stable ids: regenerating a notebook must not change a byte.
        cell.id = name or hashlib.sha1(f"{self.assignment_id}:{index}".encode()).hexdigest()[:12]
        if readonly and "nbgrader" not in cell.metadata:
            cell.metadata["nbgrader"] = _meta(f"cell-{cell.id}", locked=True)
        self.nb.cells.append(cell)


def _meta(grade_id: str, *, solution=False, grade=False, points=0, locked=None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": (not solution) if locked is None else locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return meta


def _clean(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


HOW_TO_CHECK = """\
**How to check your work.** Write your code only in the cells marked `YOUR CODE HERE`
(delete the `raise NotImplementedError()` line). Each test cell below a task calls the
course's check library and prints ✔ or a message saying what is wrong and where to look.
Before you submit, run *Kernel → Restart Kernel and Run All Cells…*, then either press
**Validate** in the notebook's toolbar (`autograder lab` opens the course in JupyterLab with
it) or run, in a terminal in this notebook's folder:

    autograder check {id}.ipynb

On the checks you can see, both give the same verdict. Some checks are hidden: `autograder
check` runs them too, as the grader will, on inputs you do not see (Validate cannot), so test
your code beyond the visible examples."""
HIDDEN_NOTE = "On the checks you can see, both give the same verdict. Some checks are hidden"
