"""Release: solutions/<id> (nbgrader's source) → assignments/<id> (its release), through nbgrader.

A release is refused when the source's points disagree with the check library or course.yml,
when the reference solution does not score full marks, or when the unedited release scores
anything. The release folder is only written when all is well, and only files whose bytes
change are touched, so a second run changes nothing.
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from pathlib import Path

import nbformat

from .. import nbgrader_run
from ..checks import check_ids_in, get
from ..course import Assignment, Course, CourseError
from ..engine import batch
from ..results import Status
from . import editions, sample


class ReleaseError(CourseError):
    """The source cannot be released; the message says why."""


def release(course: Course, assignment: Assignment, verify: bool = True) -> list[str]:
    """Generate, verify and write the student version of every edition (``assignments/<id>``,
    ``assignments-fa/<id>``, …). Returns the paths that changed."""
    check_points(course, assignment)
    generated = {}
    with tempfile.TemporaryDirectory(prefix="autograder-release-") as tmp:
        for edition in course.editions(assignment):
            root = Path(tmp) / edition / "course"
            generated[edition] = nbgrader_run.generate_assignment(root, course, assignment, edition)
            if verify:
                verify_release(course, assignment, generated[edition], Path(tmp) / edition, edition)
        # Written only when every edition is right.
        return [
            path
            for edition, folder in generated.items()
            for path in sync_folder(folder, course.release_dir_of(edition) / assignment.id)
        ]


def check_points(course: Course, assignment: Assignment) -> None:
    """Test cells are worth their checks' points; totals match course.yml."""
    path = course.source_notebook(assignment)
    nb = nbformat.read(path, as_version=4)
    auto = manual = 0.0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            continue
        points = float(meta.get("points", 0))
        ids = check_ids_in(cell.source) if cell.cell_type == "code" else []
        if not ids:
            manual += points
            continue
        try:
            expected = sum(get(i).points for i in ids)
        except KeyError as exc:
            raise ReleaseError(f"{path.name}: cell {meta['grade_id']}: {exc.args[0]}") from None
        if points != expected:
            raise ReleaseError(
                f"{path.name}: cell {meta['grade_id']} is worth {points:g} points, but "
                f"its checks ({', '.join(ids)}) are worth {expected:g}"
            )
        auto += points
    if auto != assignment.points:
        raise ReleaseError(
            f"course.yml: {assignment.id}.points is {assignment.points:g}, but the notebook's checks add up to {auto:g}"
        )
    if manual != assignment.manual_points:
        raise ReleaseError(
            f"course.yml: {assignment.id}.manual_points is {assignment.manual_points:g}, "
            f"but the notebook's written answers add up to {manual:g}"
        )


def verify_release(course: Course, assignment: Assignment, release_dir: Path, tmp: Path, edition: str = "en") -> None:
    """Grade the reference solution and the blank release of an edition with the real grader."""
    source = editions.source(course, assignment, edition)
    blank = nbformat.read(release_dir / assignment.notebook, as_version=4)
    submissions = tmp / "submitted"
    for student, nb in ((sample.REFERENCE, sample.filled_in(source, blank)), (sample.BLANK, blank)):
        path = submissions / student / assignment.id / assignment.notebook
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    results = {r.student: r for r in batch.grade(course, assignment.id, submissions, tmp / "out", progress=False)}
    reference, blank_result = results[sample.REFERENCE], results[sample.BLANK]
    failing = [f"{c.grade_id} ({c.message})" for c in reference.cells if c.kind == "test" and not c.passed]
    which = assignment.id if edition == "en" else f"{assignment.id} ({edition})"
    if reference.status != Status.OK or failing:
        raise ReleaseError(
            f"{which}: the reference solution fails its own tests "
            f"[{reference.status}]: " + ("; ".join(failing) or reference.detail)
        )
    passing = [c.grade_id for c in blank_result.cells if c.kind == "test" and c.passed]
    if passing:
        raise ReleaseError(
            f"{which}: the unedited release already passes "
            f"{', '.join(passing)}: these tests do not test the student's work"
        )


def sync_folder(generated: Path, target: Path) -> list[str]:
    """Make ``target`` equal ``generated``, touching only files whose bytes differ."""
    changed = []
    target.mkdir(parents=True, exist_ok=True)
    wanted = {p.relative_to(generated) for p in generated.rglob("*") if p.is_file()}
    for rel in sorted(wanted):
        src, dst = generated / rel, target / rel
        if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        changed.append(str(dst))
    for path in sorted(target.rglob("*"), reverse=True):
        rel = path.relative_to(target)
        if path.is_file() and rel not in wanted:
            path.unlink()
            changed.append(str(path))
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return changed
