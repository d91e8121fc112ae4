"""The shipped sample class: realistic submissions made from the reference solution.

``examples/<assignment>.yml`` lists wrong answers (by id) as edits of solution cells and the
checks each must fail. With the reference solution (filled in as a student would) and the blank
release they are an assignment's *samples* (:func:`submissions`).

``examples/roster.yml`` is the class: students who each hand in every assignment. Each of an
assignment's wrong answers goes to exactly one student, one student hands in the blank release,
one hands in nothing, one hands in late, some work in the Persian edition, and everyone else
hands in the reference (:func:`class_plan`). :func:`build_class` writes it in nbgrader's
submitted layout, ``examples/class/<student>/<assignment>/<notebook>`` (+ ``timestamp.txt``),
so the demo's report, grades.csv and formgrader show what an instructor would see, and the demo
still proves every mistake loses exactly its points.
"""

from __future__ import annotations

import copy
import re
import shutil
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


def submissions(course: Course, assignment: Assignment, source=None, edition: str = "en") -> dict[str, object]:
    """Every sample notebook of one assignment (``reference``, ``blank``, each wrong answer by id).

    Args:
        source, edition: another edition's source notebook and its name (default: English).
    """
    source = source or nbformat.read(course.source_notebook(assignment), as_version=4)
    release = nbformat.read(course.release_notebook(assignment, edition), as_version=4)
    spec = load_spec(course.sample_spec_path(assignment), assignment.id)
    reference = filled_in(source, release)
    out = {REFERENCE: reference, BLANK: release}
    for wrong in spec.wrong_answers:
        out[wrong.student] = apply_edits(
            reference, wrong.edits, f"examples/{assignment.id}.yml students.{wrong.student}"
        )
    return out


def write_submissions(course: Course, assignment: Assignment, folder: Path, names: list[str] | None = None) -> Path:
    """Write samples (``reference``, ``blank``, wrong answers; default: all) as students of
    ``folder``, in nbgrader's submitted layout: ``folder/<sample>/<assignment>/<notebook>``."""
    for name, nb in submissions(course, assignment).items():
        if names is None or name in names:
            _write(nb, folder / name / assignment.id / assignment.notebook)
    return folder


def _write(nb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- the class

ROSTER = "roster.yml"


@dataclass
class Roster:
    students: list[str]
    blank: dict[str, str]  # assignment → the student who hands in the release unedited
    missing: dict[str, str]  # assignment → the student who hands in nothing
    late: dict[str, tuple[str, str]]  # assignment → (student, when: nbgrader's timestamp.txt)
    persian: list[str]  # who works in the Persian edition, where there is one


def load_roster(course: Course) -> Roster:
    path = course.root / "examples" / ROSTER
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise CourseError(f"{path}: the sample class has no roster") from None
    students = [str(s) for s in data.get("students") or []]
    late = {a: (str(v["student"]), str(v["submitted"])) for a, v in (data.get("late") or {}).items()}
    roster = Roster(
        students,
        dict(data.get("blank") or {}),
        dict(data.get("missing") or {}),
        late,
        [str(s) for s in data.get("persian") or []],
    )
    named = [*roster.blank.values(), *roster.missing.values(), *(s for s, _ in late.values()), *roster.persian]
    unknown = sorted(set(named) - set(students))
    if unknown or len(set(students)) != len(students):
        raise CourseError(f"{path}: {', '.join(unknown) or 'a student appears twice'}: not one student of the roster")
    return roster


def class_plan(course: Course, roster: Roster, assignment: Assignment) -> dict[str, str]:
    """``{student: the sample they hand in}`` for one assignment (a student who hands in nothing
    is absent). Every wrong answer goes to one student; the wrong answers of the assignments are
    spread over the class (the pool is rotated by three students per assignment)."""
    spec = load_spec(course.sample_spec_path(assignment), assignment.id)
    blank, missing = roster.blank.get(assignment.id), roster.missing.get(assignment.id)
    pool = [s for s in roster.students if s not in (blank, missing)]
    if len(spec.wrong_answers) > len(pool):
        raise CourseError(
            f"examples/{ROSTER}: {len(pool)} students for {len(spec.wrong_answers)} wrong answers "
            f"of {assignment.id}; add students"
        )
    shift = 3 * [a.id for a in course.assignments].index(assignment.id) % len(pool)
    pool = pool[shift:] + pool[:shift]
    plan = {student: REFERENCE for student in pool}
    plan.update({student: wrong.student for student, wrong in zip(pool, spec.wrong_answers)})
    if blank:
        plan[blank] = BLANK
    return dict(sorted(plan.items()))


def build_class(course: Course, directory: Path, assignment_ids: list[str] | None = None) -> Path:
    """Write the sample class under ``directory`` (nbgrader's submitted layout)."""
    from . import editions

    roster = load_roster(course)
    for assignment in course.select(assignment_ids):
        for folder in directory.glob(f"*/{assignment.id}"):
            shutil.rmtree(folder)
        samples = {"en": submissions(course, assignment)}
        if "fa" in course.editions(assignment):
            samples["fa"] = submissions(course, assignment, editions.source(course, assignment, "fa"), "fa")
        for student, sample in class_plan(course, roster, assignment).items():
            edition = "fa" if student in roster.persian and "fa" in samples else "en"
            folder = directory / student / assignment.id
            _write(samples[edition][sample], folder / assignment.notebook)
            late = roster.late.get(assignment.id)
            if late and late[0] == student:
                (folder / "timestamp.txt").write_text(late[1], encoding="utf-8")
    for student in directory.iterdir():  # one who no longer hands in anything leaves the class
        if student.is_dir() and not any(student.iterdir()):
            student.rmdir()
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
