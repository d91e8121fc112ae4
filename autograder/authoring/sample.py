"""The shipped sample class: realistic submissions made from the reference solution.

``examples/<assignment>.yml`` lists wrong answers as edits of solution cells and the checks each
must fail. :func:`build_class` writes nbgrader's submitted layout::

    examples/class/<student>/<assignment>/<notebook>

with a ``reference`` student (the solution, filled in as a student would), a ``blank`` student
(the release, unedited) and one student per wrong answer.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from ..course import Assignment, Course, CourseError

REFERENCE, BLANK = "reference", "blank"
MARKER = re.compile(r"^[ \t]*(### (BEGIN|END) SOLUTION|=== (BEGIN|END) MARK SCHEME ===)[ \t]*\n?", re.M)


@dataclass
class WrongAnswer:
    student: str
    mistake: str
    edits: list[dict]
    fails: list[str]


@dataclass
class SampleSpec:
    assignment: str
    wrong_answers: list[WrongAnswer] = field(default_factory=list)

    def expected_failures(self, student: str) -> list[str] | None:
        """The checks a student must fail; None for the blank release (it fails all)."""
        if student == REFERENCE:
            return []
        if student == BLANK:
            return None
        return next(w.fails for w in self.wrong_answers if w.student == student)


def load_spec(path: Path, assignment_id: str) -> SampleSpec:
    if not path.exists():
        return SampleSpec(assignment_id)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    wrong = []
    for student, entry in (data.get("students") or {}).items():
        for key in ("mistake", "edits", "fails"):
            if key not in entry:
                raise CourseError(f"{path}: students.{student}.{key}: missing")
        wrong.append(WrongAnswer(student, entry["mistake"], entry["edits"], list(entry["fails"])))
    return SampleSpec(assignment_id, wrong)


def filled_in(source_nb, release_nb):
    """The release notebook with every solution cell answered by the source's solution.

    This is what a student who wrote the reference answer submits: the release's cells and
    metadata, the solution text without nbgrader's markers.
    """
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: MARKER.sub("", c.source)
        for c in source_nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = solutions[meta["grade_id"]]
    return nb


def apply_edits(nb, edits: list[dict], where: str):
    """Apply ``{cell, replace, with}`` edits; each ``replace`` must occur exactly once in its cell."""
    nb = copy.deepcopy(nb)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    for i, edit in enumerate(edits):
        cell = cells.get(edit.get("cell"))
        if cell is None:
            raise CourseError(f"{where}: edits[{i}].cell: no solution cell {edit.get('cell')!r}")
        count = cell.source.count(edit["replace"])
        if count != 1:
            raise CourseError(
                f"{where}: edits[{i}].replace: found {count} times in cell {edit['cell']!r}, expected exactly once"
            )
        cell.source = cell.source.replace(edit["replace"], edit["with"])
    return nb


def submissions(course: Course, assignment: Assignment) -> dict[str, object]:
    """Every sample student's notebook for one assignment, keyed by student id."""
    source = nbformat.read(course.source_notebook(assignment), as_version=4)
    release = nbformat.read(course.release_notebook(assignment), as_version=4)
    spec = load_spec(course.sample_spec_path(assignment), assignment.id)
    reference = filled_in(source, release)
    out = {REFERENCE: reference, BLANK: release}
    for wrong in spec.wrong_answers:
        out[wrong.student] = apply_edits(
            reference, wrong.edits, f"examples/{assignment.id}.yml students.{wrong.student}"
        )
    return out


def build_class(course: Course, directory: Path, assignment_ids: list[str] | None = None) -> Path:
    """Write the sample class's submissions under ``directory`` (nbgrader's submitted layout)."""
    for assignment in course.select(assignment_ids):
        for student, nb in submissions(course, assignment).items():
            path = directory / student / assignment.id / assignment.notebook
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return directory


def main() -> None:
    """``python -m autograder.authoring.sample [ID ...]``: rewrite examples/class from examples/<id>.yml."""
    import sys

    from .. import course as course_mod

    course = course_mod.load()
    ids = sys.argv[1:] or None
    build_class(course, course.root / "examples" / "class", ids)
    print(f"wrote {course.root / 'examples' / 'class'}")


if __name__ == "__main__":
    main()
