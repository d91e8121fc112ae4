"""``autograder bundle ID``: a zip a student can work from with no instructor and no course repo.

The zip holds the released notebook, the data it reads, a ``requirements.txt`` and the
**student edition** of the check library: the shared core plus the assignment's check module
with its hidden checks removed (their probes, inputs and verdicts) and every ``ref_*``
reference replaced by a table of the values it returned on the visible checks' fixed inputs.
Those values are recorded here, by running the reference solution in a real kernel and
verifying its records while the references are watched. A check whose reference is evaluated
on the student's own outputs cannot be tabulated; in the bundle it records and says that the
grader gives its verdict.
"""

from __future__ import annotations

import ast
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import yaml

from .. import settings
from ..checks import _core, _edition, _references, check_ids_in
from ..course import Assignment, Course, CourseError

REQUIREMENTS = ("tensorflow-cpu", "keras", "numpy", "matplotlib", "scipy", "scikit-learn", "jupyterlab", "pyyaml")


def bundle(course: Course, assignment: Assignment, target: Path, edition: str = "en") -> dict:
    """Write the student bundle of ``assignment`` to the zip ``target``.

    Args:
        edition: the notebook's edition; a translated one ships the translations of exactly the
            messages its checks can show.

    Returns what went in: ``{"files": [...], "checks": [...], "graded_only": [...]}``.
    """
    release = course.release_notebook(assignment, edition)
    if not release.is_file():
        raise CourseError(f"{release}: not released yet; run `autograder release {assignment.id}`")
    module = module_for(course, assignment)
    with tempfile.TemporaryDirectory(prefix="autograder-bundle-") as tmp:
        records = reference_records(course, assignment, Path(tmp) / "records")
        visible = check_ids_in_notebook(release)
        tables, graded_only = reference_tables(module, visible, records)
        stage = Path(tmp) / assignment.id
        shutil.copytree(
            release.parent, stage, symlinks=False, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
        )
        package = stage / "autograder"
        package.mkdir()
        shutil.copy(Path(__file__).parents[1] / "__init__.py", package / "__init__.py")  # grading_mode
        _edition.write_package(
            package / "checks",
            modules={module},
            edition=lambda source, keep: student_edition(source, graded_only, keep),
        )
        for name, table in tables.items():
            _references.write_table(name, table, package / "checks" / "references")
        if edition != "en":
            write_catalogs(package / "checks", edition)
        (stage / "requirements.txt").write_text(requirements(), encoding="utf-8")
        (stage / "README.txt").write_text(readme(course, assignment, graded_only), encoding="utf-8")
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        files = sorted(p for p in stage.rglob("*") if p.is_file())
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in files:
                zf.write(path, Path(assignment.id) / path.relative_to(stage))
    return {"files": [str(p.relative_to(stage)) for p in files], "checks": visible, "graded_only": sorted(graded_only)}


def write_catalogs(checks: Path, edition: str) -> None:
    """Beside each written module folder, the translations of the pieces its modules show."""
    from . import translations

    full = {catalog.parent: catalog for catalog in translations.catalog_files(edition)}
    for folder in [checks, *sorted(p for p in checks.iterdir() if p.is_dir() and p.name != "references")]:
        source = full.get(translations.CHECKS if folder == checks else translations.CHECKS / folder.name)
        if source is None or not source.is_file():
            continue
        known = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        shown = {p for m in folder.glob("*.py") for p in translations.pieces_of(m.read_text(encoding="utf-8"))}
        kept = {k: v for k, v in known.items() if k in shown}
        (folder / source.name).write_text(yaml.safe_dump(kept, allow_unicode=True, width=1000), encoding="utf-8")


def check_ids_in_notebook(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [i for c in nb.cells if c.cell_type == "code" for i in check_ids_in(c.source)]


def module_for(course: Course, assignment: Assignment) -> str:
    """The topic (subpackage of the check library) that defines the assignment's checks."""
    registry = _core.registry()
    ids = check_ids_in_notebook(course.source_notebook(assignment))
    modules = {registry[i]._probe.__module__.split(".")[2] for i in ids if i in registry}
    if len(modules) != 1:
        raise CourseError(f"{assignment.id}: its checks come from {sorted(modules) or 'no module'}, expected one")
    return modules.pop()


# --------------------------------------------------------------------------- the reference's values


def reference_records(course: Course, assignment: Assignment, folder: Path) -> Path:
    """Run the reference solution in a real kernel, as the grader would, saving every record."""
    from nbclient import NotebookClient

    folder.mkdir(parents=True)
    source = course.source_notebook(assignment)
    nb = nbformat.read(source, as_version=4)
    # The grader's kernel settings (autograder.settings), and where to save records.
    env = {**settings.GRADED, settings.GRADING: "1", settings.RECORD_DIR: str(folder)}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(
            nb,
            timeout=int(assignment.timeouts.cell),
            kernel_name="python3",
            resources={"metadata": {"path": str(source.parent)}},
        ).execute()
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return folder


def reference_tables(module: str, check_ids: list[str], records: Path):
    """What each ``ref_*`` of the topic ``module`` returned while the visible checks verified the
    reference's records (``{check module: {reference: {key: value}}}``), and the checks whose
    references depend on those records.

    Each check is verified twice: on the record and on a copy with every float nudged by one
    unit in the last place. A reference call made with the same arguments both times used only
    the check's fixed inputs and goes in the table; a check with any other call is graded only.
    """
    first, second = {}, {}
    for calls, nudge in ((first, False), (second, True)):
        checks = _watched_checks(module, calls)
        for check_id in check_ids:
            record = _core.load_record(records / f"{check_id}.npz")
            calls[check_id] = []
            _watch.current = calls[check_id]
            message = _core.verdict(checks[check_id], _nudged(record, nudge))
            if message is not None and not nudge:
                raise CourseError(f"the reference solution fails {check_id}: {message}")
    tables: dict[str, dict[str, dict[str, object]]] = {}
    graded_only = set()
    for check_id in check_ids:
        fixed = {(m, n, k) for m, n, k, _ in second.get(check_id, [])}
        for where, name, call_key, value in first[check_id]:
            if (where, name, call_key) in fixed:
                tables.setdefault(where, {}).setdefault(name, {})[call_key] = value
            else:
                graded_only.add(check_id)
    return tables, graded_only


class _watch:
    current: list | None = None


def _watched_checks(module: str, calls: dict) -> dict:
    """The topic's checks, from a private import of its modules whose ``ref_*`` functions are watched."""

    def watch(tree):
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith(_edition.REFERENCE_PREFIX):
                node.decorator_list.insert(0, ast.Name("__watch__", ast.Load()))

    return _edition.load_private(module, watch, __watch__=_watcher)


def _watcher(function):
    def watched(*args, **kwargs):
        value = function(*args, **kwargs)
        if _watch.current is not None:
            _watch.current.append((function.__module__, function.__name__, _references.key(args, kwargs), value))
        return value

    watched.__name__ = watched.__qualname__ = function.__name__
    return watched


def _nudged(record: dict, nudge: bool) -> dict:
    """``record`` with every float one unit in the last place larger: far inside every
    tolerance, yet any value computed from it hashes differently."""
    if not nudge:
        return record
    return {k: np.nextafter(v, np.inf).astype(v.dtype) if v.dtype.kind == "f" else v for k, v in record.items()}


# --------------------------------------------------------------------------- the student edition


def student_edition(source: str, graded_only: set[str], keep=frozenset()) -> str:
    """The module without hidden checks, its references replaced by table look-ups."""
    tree = ast.parse(_edition.visible_edition(source, keep))
    graded_only = set(graded_only) & set(_edition.check_ids(tree))  # those this module defines
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith(_edition.REFERENCE_PREFIX):
            node.args = ast.parse("def f(*args, **kwargs): pass").body[0].args
            node.body = ast.parse(f"return _references.lookup(__name__, {node.name!r}, args, kwargs)").body
            node.decorator_list = []
    tree.body.insert(_after_docstring(tree), ast.parse("from autograder.checks import _references").body[0])
    if graded_only:
        tree.body.append(ast.parse(f"_core_graded_only({sorted(graded_only)!r})").body[0])
        tree.body.insert(
            _after_docstring(tree),
            ast.parse("from autograder.checks._core import graded_only as _core_graded_only").body[0],
        )
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _after_docstring(tree) -> int:
    """Where an import may go: after the docstring and any ``from __future__`` import."""
    at = 0
    for node in tree.body:
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and at == 0
        if not (docstring or (isinstance(node, ast.ImportFrom) and node.module == "__future__")):
            break
        at += 1
    return at


def requirements() -> str:
    """The versions this course was built with, of what the notebook and its checks import."""
    import importlib.metadata as md

    lines = []
    for name in REQUIREMENTS:
        try:
            lines.append(f"{name}=={md.version(name)}")
        except md.PackageNotFoundError:
            lines.append(name)
    return "\n".join(lines) + "\n"


def readme(course: Course, assignment: Assignment, graded_only: set[str]) -> str:
    note = ""
    if graded_only:
        note = (
            "\nThese checks compare with a reference computed from your own outputs, so only the\n"
            "grader can give their verdict (they say so when they run): " + ", ".join(sorted(graded_only)) + "\n"
        )
    return f"""{assignment.title} — {course.title}

Work in this folder:

    python -m venv .venv && .venv/bin/pip install -r requirements.txt
    .venv/bin/jupyter lab {assignment.notebook}

Run every cell. Each test cell prints ✔ or a message saying what is wrong and where to look.
The checks run here from ./autograder (the student edition of the course's check library:
visible checks only, no solutions). Hidden checks run only when your work is graded.
{note}"""
