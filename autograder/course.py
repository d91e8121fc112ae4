"""course.yml: load and validate the course, its assignments and its grading policy.

A problem is reported as one :class:`CourseError` line naming the field, e.g.
``course.yml: assignments[1].points: expected a number >= 0, got 'ten'``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

COURSE_FILE = "course.yml"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class CourseError(Exception):
    """A problem with the course's files, reported as one line; the CLI exits with code 2."""


@dataclass(frozen=True)
class Timeouts:
    cell: float
    notebook: float


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    title_fa: str
    notebook: str
    points: float
    manual_points: float
    due: dt.datetime | None
    timeouts: Timeouts

    @property
    def notebook_id(self) -> str:
        return Path(self.notebook).stem


@dataclass(frozen=True)
class Grading:
    workers: int
    timeouts: Timeouts
    late_policy: str
    late_penalty_per_day: float
    limits: tuple = ()  # (name, value) pairs for autograder.limits.apply_kernel_limits


LIMIT_DEFAULTS = {"memory_mb": 4096, "processes": 256, "file_mb": 256, "output_mb": 2}


@dataclass(frozen=True)
class Course:
    root: Path
    id: str
    title: str
    title_fa: str
    grading: Grading
    assignments: tuple[Assignment, ...] = field(default_factory=tuple)

    # ------------------------------------------------------------------ paths
    @property
    def source_dir(self) -> Path:
        return self.root / "solutions"

    @property
    def release_dir(self) -> Path:
        return self.root / "assignments"

    def release_dir_of(self, edition: str = "en") -> Path:
        """Where an edition's student versions go: ``assignments/`` (English), ``assignments-fa/``, …"""
        return self.release_dir if edition == "en" else self.root / f"assignments-{edition}"

    def source_notebook(self, a: Assignment) -> Path:
        return self.source_dir / a.id / a.notebook

    def release_notebook(self, a: Assignment, edition: str = "en") -> Path:
        return self.release_dir_of(edition) / a.id / a.notebook

    def translation(self, a: Assignment, edition: str) -> Path:
        """The translation of the source notebook's prose into ``edition`` (``<id>.fa.yml`` beside it)."""
        return self.source_dir / a.id / f"{a.notebook_id}.{edition}.yml"

    def editions(self, a: Assignment) -> list[str]:
        """The assignment's editions: English, and every language it has a translation for."""
        from .checks._translate import EDITIONS

        return ["en"] + [e for e in EDITIONS if e != "en" and self.translation(a, e).is_file()]

    def sample_spec_path(self, a: Assignment) -> Path:
        return self.root / "examples" / f"{a.id}.yml"

    # ------------------------------------------------------------------ lookup
    def assignment(self, assignment_id: str) -> Assignment:
        for a in self.assignments:
            if a.id == assignment_id:
                return a
        known = ", ".join(a.id for a in self.assignments)
        raise CourseError(f"no assignment {assignment_id!r} in {COURSE_FILE} (known: {known})")

    def select(self, ids: list[str] | None) -> list[Assignment]:
        return [self.assignment(i) for i in ids] if ids else list(self.assignments)

    def assignment_for_notebook(self, path: Path) -> Assignment:
        for a in self.assignments:
            if Path(path).name == a.notebook:
                return a
        raise CourseError(
            f"{path}: not a notebook of this course (expected one of: "
            + ", ".join(a.notebook for a in self.assignments)
            + ")"
        )

    @property
    def workers(self) -> int:
        return self.grading.workers or os.cpu_count() or 1


def find_root(start: Path | None = None) -> Path:
    """The course root: ``$AUTOGRADER_COURSE``, else the nearest folder upwards holding course.yml."""
    from . import settings

    if os.environ.get(settings.COURSE):
        return Path(os.environ[settings.COURSE]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / COURSE_FILE).is_file():
            return folder
    raise CourseError(f"no {COURSE_FILE} here or in any parent folder (set AUTOGRADER_COURSE)")


def load(root: Path | str | None = None) -> Course:
    root = Path(root).resolve() if root else find_root()
    path = root / COURSE_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise CourseError(f"{COURSE_FILE}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return parse(data, root)


def parse(data, root: Path) -> Course:
    r = _Reader(data, COURSE_FILE)
    course = r.section("course")
    grading = r.section("grading")
    default_timeouts = _timeouts(grading.section("timeouts"), None)
    late_policy = grading.text("late_policy", default="none")
    if late_policy not in {"none", "per_day"}:
        grading.fail("late_policy", f"expected 'none' or 'per_day', got {late_policy!r}")
    policy = Grading(
        workers=int(grading.number("workers", default=0, integer=True)),
        timeouts=default_timeouts,
        late_policy=late_policy,
        late_penalty_per_day=grading.number("late_penalty_per_day", default=0.0, maximum=1.0),
        limits=_limits(grading.section("limits", required=False)),
    )
    assignments = []
    items = r.get("assignments", list)
    if not items:
        r.fail("assignments", "expected at least one assignment")
    seen = set()
    for i, item in enumerate(items):
        a = _Reader(item, f"{COURSE_FILE}: assignments[{i}]", prefix=f"assignments[{i}].")
        aid = a.text("id")
        if not ID_PATTERN.match(aid):
            a.fail("id", f"expected lower-case letters, digits, '-' or '_', got {aid!r}")
        if aid in seen:
            a.fail("id", f"{aid!r} is used twice")
        seen.add(aid)
        notebook = a.text("notebook")
        if not notebook.endswith(".ipynb") or "/" in notebook:
            a.fail("notebook", f"expected a file name ending in .ipynb, got {notebook!r}")
        if not (root / "solutions" / aid / notebook).is_file():
            a.fail("notebook", f"solutions/{aid}/{notebook} does not exist")
        timeouts = _timeouts(a.section("timeouts", required=False), default_timeouts)
        assignments.append(
            Assignment(
                id=aid,
                title=a.text("title"),
                title_fa=a.text("title_fa", default=""),
                notebook=notebook,
                points=a.number("points"),
                manual_points=a.number("manual_points", default=0.0),
                due=a.datetime("due"),
                timeouts=timeouts,
            )
        )
    return Course(
        root=root,
        id=course.text("id"),
        title=course.text("title"),
        title_fa=course.text("title_fa", default=""),
        grading=policy,
        assignments=tuple(assignments),
    )


def _limits(r: _Reader | None) -> tuple:
    values = dict(LIMIT_DEFAULTS)
    if r is not None:
        for key in r.data:
            if key not in LIMIT_DEFAULTS:
                r.fail(key, f"unknown limit (known: {', '.join(LIMIT_DEFAULTS)})")
            values[key] = r.number(key, minimum=1, integer=True)
    return tuple((k, int(v)) for k, v in values.items())


def _timeouts(r: _Reader | None, default: Timeouts | None) -> Timeouts:
    if r is None:
        return default
    cell = r.number("cell", default=default.cell if default else None, minimum=1)
    notebook = r.number("notebook", default=default.notebook if default else None, minimum=1)
    if notebook < cell:
        r.fail("notebook", f"the notebook timeout ({notebook:g} s) is shorter than the cell timeout ({cell:g} s)")
    return Timeouts(cell, notebook)


_MISSING = object()


class _Reader:
    """Typed access to one mapping of course.yml, failing with the field's full name."""

    def __init__(self, data, where: str, prefix: str = ""):
        self.where, self.prefix = where, prefix
        self.top = COURSE_FILE
        if not isinstance(data, dict):
            raise CourseError(f"{where}: expected a mapping, got {type(data).__name__}")
        self.data = data

    def fail(self, key: str, problem: str):
        raise CourseError(f"{self.top}: {self.prefix}{key}: {problem}")

    def get(self, key, kind, default=_MISSING):
        if key not in self.data or self.data[key] is None:
            if default is _MISSING:
                self.fail(key, "missing")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind in (int, float) and isinstance(value, bool)):
            self.fail(key, f"expected {_kind_name(kind)}, got {value!r}")
        return value

    def section(self, key: str, required: bool = True) -> _Reader | None:
        value = self.get(key, dict, _MISSING if required else None)
        return (
            None if value is None else _Reader(value, f"{self.top}: {self.prefix}{key}", prefix=f"{self.prefix}{key}.")
        )

    def text(self, key: str, default=_MISSING) -> str:
        value = self.get(key, str, default)
        if value is not None and not str(value).strip() and default is _MISSING:
            self.fail(key, "must not be empty")
        return value

    def number(self, key, default=_MISSING, minimum=0.0, maximum=None, integer=False) -> float:
        value = self.get(key, (int, float), default)
        if value is None:
            self.fail(key, "missing")
        if integer and int(value) != value:
            self.fail(key, f"expected a whole number, got {value!r}")
        if value < minimum:
            self.fail(key, f"expected a number >= {minimum:g}, got {value!r}")
        if maximum is not None and value > maximum:
            self.fail(key, f"expected a number <= {maximum:g}, got {value!r}")
        return float(value)

    def datetime(self, key: str):
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            parsed = value
        else:
            try:
                parsed = dt.datetime.fromisoformat(str(value))
            except ValueError:
                self.fail(key, f"expected an ISO date-time such as 2027-01-17T23:59:00+03:30, got {value!r}")
        if parsed.tzinfo is None:
            self.fail(key, "needs a time zone, e.g. 2027-01-17T23:59:00+03:30")
        return parsed


def _kind_name(kind) -> str:
    names = {str: "text", dict: "a mapping", list: "a list", (int, float): "a number"}
    return names.get(kind, getattr(kind, "__name__", str(kind)))
