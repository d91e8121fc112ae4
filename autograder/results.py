"""What grading one submission produced: its :class:`Status`, its cells, its score.

A :class:`SubmissionResult` is written by the engine (one per submission, in the worker that
graded it), saved by the batch as ``OUT/.autograder/results/<assignment>/<student>.json`` (the
same JSON as before these types existed, so an old course folder resumes), and read by the
grade tables, grades.csv, the class report and the LMS export.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

STATE_DIR = ".autograder"  # in a course folder: the grader's own files (results, template, logs)
RESULTS_DIR = Path(STATE_DIR) / "results"  # <assignment>/<student>.json


class Status(StrEnum):
    """How grading a submission ended (grades.csv's ``status``, feedback, the report)."""

    OK = "ok"
    MISSING_NOTEBOOK = "missing_notebook"  # no notebook of the assignment's name was handed in
    INVALID_NOTEBOOK = "invalid_notebook"  # not a notebook nbformat can read
    TIMEOUT = "timeout"  # a cell or the whole notebook ran past its time limit
    KERNEL_DIED = "kernel_died"  # twice: the notebook killed its kernel
    OUTPUT_LIMIT = "output_limit"  # printed more than the output cap
    MEMORY_LIMIT = "memory_limit"  # reached the kernel's memory limit
    PROCESS_LIMIT = "process_limit"  # reached the kernel's process and thread limit
    FILE_SIZE_LIMIT = "file_size_limit"  # wrote a file past the kernel's file-size limit
    TAMPERED_CELLS = "tampered_cells"  # test cells or nbgrader metadata changed: graded with the originals
    GRADER_ERROR = "grader_error"  # the grader itself failed on this submission


@dataclass
class CellResult:
    """One graded cell: a test cell (its checks' verdict) or a written answer (graded by hand)."""

    grade_id: str
    kind: str  # "test" or "manual"
    max_score: float
    score: float | None  # a written answer not graded yet: nbgrader's auto score (0 or None)
    checks: list[str] = field(default_factory=list)
    passed: bool | None = None  # None for a written answer
    needs_manual: bool = False
    timed_out: bool = False
    message: str = ""  # why it did not pass


@dataclass
class SubmissionResult:
    """One student's graded submission of one assignment."""

    student: str
    assignment: str
    status: Status
    detail: str
    score: float  # autograded points
    max_score: float
    manual_max_score: float
    needs_manual_grading: bool
    cells: list[CellResult]
    # How it was graded: times, where the files went. None: not known (a submission that never ran).
    seconds: float | None = None
    cell_seconds: float | None = None
    kernel_start_seconds: float | None = None
    phases: dict | None = None
    autograded_dir: str | None = None
    feedback_dir: str | None = None
    warm: bool | None = None
    attempts: int | None = None  # 2: graded again after its first kernel died
    submitted_at: str | None = None
    edition: str | None = None  # the notebook's language when not English ("fa")
    workdir: str | None = None  # the job's folder, until the batch has merged the result

    @classmethod
    def of(
        cls, student: str, assignment: str, status: Status, cells: list[CellResult], detail: str = ""
    ) -> SubmissionResult:
        auto = [c for c in cells if c.kind != "manual"]
        manual = [c for c in cells if c.kind == "manual"]
        return cls(
            student=student,
            assignment=assignment,
            status=Status(status),
            detail=detail,
            score=round(sum(c.score or 0.0 for c in auto), 4),
            max_score=round(sum(c.max_score for c in auto), 4),
            manual_max_score=round(sum(c.max_score for c in manual), 4),
            needs_manual_grading=any(c.needs_manual for c in manual),
            cells=cells,
        )

    def failed_checks(self) -> list[str]:
        """The checks of every test cell that did not pass, sorted."""
        return sorted(i for c in self.cells if c.kind == "test" and not c.passed for i in c.checks)

    @property
    def full_marks(self) -> bool:
        return self.status == Status.OK and self.score == self.max_score

    def to_dict(self) -> dict:
        """The JSON record (fields that are None are left out, as before these types)."""
        data = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        data["status"] = str(self.status)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> SubmissionResult:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["status"] = Status(values["status"])
        values["cells"] = [CellResult(**c) for c in data.get("cells", [])]
        return cls(**values)

    def save(self, path: Path) -> None:
        """Write atomically: a batch killed mid-write leaves the old file or none."""
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> SubmissionResult:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def results_dir(out: Path, assignment_id: str) -> Path:
    return Path(out) / RESULTS_DIR / assignment_id


def all_results(out: Path) -> list[SubmissionResult]:
    """Every result saved in the course folder ``out``, by assignment and student."""
    found = [SubmissionResult.load(p) for p in sorted((Path(out) / RESULTS_DIR).glob("*/*.json"))]
    return sorted(found, key=lambda r: (r.assignment, r.student))
