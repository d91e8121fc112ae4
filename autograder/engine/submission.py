"""Reading a submitted notebook before it runs: is it a notebook, and what did the student change
in the cells they may not edit?

Pure functions on notebooks (no kernel, no nbgrader run), so they are unit-tested in-process.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from ..results import Status

HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*$", re.S | re.M)


def read_submission(path: Path):
    """(status, detail, notebook) for a submitted file; the notebook is None unless readable."""
    if not path.is_file():
        present = sorted(p.name for p in path.parent.glob("*.ipynb")) if path.parent.is_dir() else []
        hint = f" (found {', '.join(present)})" if present else ""
        return Status.MISSING_NOTEBOOK, f"no {path.name} in the submission{hint}", None
    try:
        nb = nbformat.read(path, as_version=4)
        seen = set()
        for i, cell in enumerate(nb.cells):  # a pasted cell may repeat an id: not worth a zero
            if cell.get("id") in seen:
                cell.id = f"{cell.id[:50]}-{i}"
            seen.add(cell.get("id"))
        nbformat.validate(nb)
    except Exception as exc:
        return Status.INVALID_NOTEBOOK, f"{path.name} is not a valid notebook: {str(exc).splitlines()[0][:200]}", None
    return Status.OK, "", nb


def tampering(submitted, release) -> list[str]:
    """What a submission changed in the cells students may not edit (nbgrader restores them)."""

    def graded(nb):
        return [
            (c.metadata["nbgrader"].get("grade_id"), c)
            for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")
        ]

    ours = graded(release)
    theirs = graded(submitted)
    found = []
    their_ids = [gid for gid, _ in theirs]
    for gid, cell in ours:
        count = their_ids.count(gid)
        if count == 0:
            found.append(f"cell {gid} deleted")
            continue
        if count > 1:
            found.append(f"cell {gid} duplicated")
        other = dict(theirs)[gid]
        mine, yours = cell.metadata["nbgrader"], other.metadata.get("nbgrader", {})
        if other.cell_type != cell.cell_type:
            found.append(f"cell {gid} changed type")
        elif any(mine.get(k) != yours.get(k) for k in ("points", "grade", "solution", "locked")):
            found.append(f"cell {gid} metadata edited")
        elif not mine.get("solution") and _visible(other.source) != _visible(cell.source):
            found.append(f"cell {gid} edited")
    order = [gid for gid in their_ids if gid in dict(ours)]
    expected = [gid for gid, _ in ours if gid in order]
    if list(dict.fromkeys(order)) != expected:
        found.append("cells reordered")
    return found


def drop_duplicate_grade_ids(nb) -> None:
    """A pasted copy of a graded cell becomes a plain cell: nbgrader refuses duplicate ids."""
    seen = set()
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in seen:
            del cell.metadata["nbgrader"]
        elif grade_id:
            seen.add(grade_id)


def _visible(source: str) -> str:
    """A test cell as released: hidden test regions removed (the source notebook keeps them)."""
    return HIDDEN_REGION.sub("", source).strip()
