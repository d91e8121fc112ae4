"""A worker grades one submission in a process of its own → one :class:`SubmissionResult`.

``python -m autograder.engine.worker JOB.json RESULT.json`` starts one cold;
:mod:`autograder.engine.warm` forks one from the zygote. Either way :func:`run` calls
:func:`grade_submission`, which needs only a :class:`Job` (plain paths and numbers), so that
whatever a notebook does, the worker, not the batch, is what can die or be killed.

:func:`grade_submission`, top to bottom: read the notebook (:mod:`.submission`), make a private
nbgrader course folder (its own copy of the assignment's gradebook), run nbgrader's autograde —
whose Execute (:mod:`.execute`) starts the kernel (:mod:`.kernel`: sandbox and limits) and whose
:class:`~.verdicts.ApplyVerdicts` gives the checks' verdicts in this process — read each graded
cell's score back from the gradebook, name the status, and write nbgrader's feedback with the
autograder's summary on top (:mod:`.feedback`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import nbformat

from .. import nbgrader_run, settings
from ..checks import check_ids_in
from ..checks._core import RECORDED
from ..checks._translate import edition_of
from ..results import CellResult, Status, SubmissionResult
from . import feedback, limits
from .feedback_exporter import HIGHLIGHTED
from .job import WORKER_LOG, Job
from .submission import drop_duplicate_grade_ids, read_submission, tampering

KERNELSPEC_DIR = Path(__file__).parent / "kernelspec"


def run(job_file: Path, result_file: Path, warm: bool = False) -> None:
    """Grade the job and write its result; end every process the submission left behind."""
    limits.become_subreaper()  # orphans of the kernel's children come back to us, not to init
    # nbgrader asks for the "python3" kernel: ours applies the limits (and can be forked warm).
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(KERNELSPEC_DIR), *filter(None, [os.environ.get("JUPYTER_PATH")])])
    try:
        result = grade_submission(Job.from_json(job_file.read_text(encoding="utf-8")))
        result.warm = warm
        result.save(result_file)
    finally:
        for pid in limits.children_of(os.getpid()):
            limits.kill_tree(pid)


def grade_submission(job: Job) -> SubmissionResult:
    """Autograde one submission with nbgrader and give its checks' verdicts. Never raises."""
    started = time.monotonic()
    try:
        result = _grade(job, job.folder)
    except Exception as exc:  # the grader's own failure is a status, not a crash of the batch
        result = zero_result(job, Status.GRADER_ERROR, f"{type(exc).__name__}: {exc}")
    result.seconds = round(time.monotonic() - started, 2)
    return result


def _grade(job: Job, work: Path) -> SubmissionResult:
    clock = _Phases()
    work.mkdir(parents=True, exist_ok=True)
    status, detail, nb = read_submission(Path(job.submission_dir) / job.notebook)
    if status != Status.OK:
        return zero_result(job, status, detail)
    # Graded against the source of its own edition: the same cells and points, its own prose.
    language = edition_of(nb)
    template = job.template_of(language)
    shutil.copy(template / nbgrader_run.GRADEBOOK, work / nbgrader_run.GRADEBOOK)
    shutil.copytree(template / "source", work / "source", dirs_exist_ok=True)

    release = nbformat.read(template / "release" / job.assignment_id / job.notebook, as_version=4)
    tampered = tampering(nb, release)
    drop_duplicate_grade_ids(nb)
    submitted = work / "submitted" / job.student / job.assignment_id
    submitted.mkdir(parents=True)
    nbformat.write(nb, submitted / job.notebook)

    records, probes = work / "records", work / "checks"
    records.mkdir()
    shutil.copytree(template / "checks", probes)
    os.environ.update(settings.kernel_environment(work, records, probes, job.limits, job.sandbox_plan(records, probes)))
    os.environ[settings.TIMING_FILE] = str(work / "timing.json")
    # A sandboxed kernel has a network of its own: talk to it over Unix sockets, not TCP.
    ipc = str(work / "home" / "kernel") if job.sandbox else None
    api = nbgrader_run.api(
        work,
        job.course_id,
        cell_timeout=job.cell_timeout,
        max_output_mb=job.limits.get("output_mb"),
        ipc_path=ipc,
        records=records,
        edition=language,
        highlighted=template / HIGHLIGHTED,
    )
    clock("prepare")
    outcome = api.autograde(job.assignment_id, job.student, force=True, create=True)
    clock("autograde")
    if not outcome.get("success"):
        log = (outcome.get("log") or "") + (outcome.get("error") or "")
        if "DeadKernel" not in log and "Kernel died" not in log:
            return zero_result(job, Status.GRADER_ERROR, _tail(log))
        hit = limits.limit_reached([_read(work / WORKER_LOG)], job.limits)
        if hit:
            return zero_result(job, hit[0], hit[1] + "; its kernel died")
        return zero_result(job, Status.KERNEL_DIED, _tail(log))

    autograded_dir = work / "autograded" / job.student / job.assignment_id
    autograded = nbformat.read(autograded_dir / job.notebook, as_version=4)
    cells = graded_cells(job, work, autograded)
    errors = [
        f"{o.ename}: {o.evalue}" for c in autograded.cells for o in c.get("outputs", []) if o.output_type == "error"
    ]
    hit = limits.limit_reached(errors, job.limits)
    clock("collect")
    nbgrader_run.checked(api.generate_feedback(job.assignment_id, job.student, force=True), "generate_feedback")
    clock("feedback")
    feedback_file = work / "feedback" / job.student / job.assignment_id / job.notebook.replace(".ipynb", ".html")
    timing = json.loads((work / "timing.json").read_text()) if (work / "timing.json").is_file() else {}
    if any(e.startswith("CellTimeoutError") for e in errors):
        status, detail = Status.TIMEOUT, f"a cell ran past the {job.cell_timeout:g} s time limit and was stopped"
    elif timing.get("output_cut"):
        status, detail = (
            Status.OUTPUT_LIMIT,
            (
                "the notebook printed more than the output limit "
                f"({job.limits.get('output_mb', '?')} MB); the cell was stopped"
            ),
        )
    elif hit:
        status, detail = hit[0], hit[1] + "; that cell stopped with an error"
    elif tampered:
        status, detail = Status.TAMPERED_CELLS, "graded with the original test cells; changed: " + "; ".join(tampered)
    else:
        status, detail = Status.OK, ""
    result = SubmissionResult.of(job.student, job.assignment_id, status, cells, detail)
    result.edition = None if language == "en" else language  # English records stay as they were
    feedback.add_summary(feedback_file, result)
    result.cell_seconds = timing.get("cell_seconds", 0.0)
    result.kernel_start_seconds = timing.get("kernel_start_seconds", 0.0)
    result.phases = clock.seconds
    result.autograded_dir = str(autograded_dir)
    result.feedback_dir = str(feedback_file.parent)
    return result


def graded_cells(job: Job, work: Path, autograded) -> list[CellResult]:
    """Per graded cell: its score in the private gradebook, its checks and its message."""
    from nbgrader.api import Gradebook

    notebook_id = Path(job.notebook).stem
    source = nbformat.read(work / "source" / job.assignment_id / job.notebook, as_version=4)
    source_cells = {
        c.metadata["nbgrader"]["grade_id"]: c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")
    }
    outputs = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in autograded.cells}

    cells = []
    with Gradebook(f"sqlite:///{work / nbgrader_run.GRADEBOOK}", job.course_id) as gb:
        for grade_id, source_cell in source_cells.items():
            grade = gb.find_grade(grade_id, notebook_id, job.assignment_id, job.student)
            ids = check_ids_in(source_cell.source) if source_cell.cell_type == "code" else []
            if not ids:
                # A written answer, graded by hand (nbgrader gives an unanswered one 0 at once).
                cells.append(
                    CellResult(
                        grade_id,
                        "manual",
                        float(grade.max_score),
                        grade.auto_score,
                        needs_manual=bool(grade.needs_manual_grade),
                    )
                )
                continue
            message, timed_out = output_message(outputs.get(grade_id))
            # A [recorded] line left means no verdict was given: never points for that.
            unjudged = _still_recorded(outputs.get(grade_id))
            passed = (grade.auto_score or 0) >= grade.max_score and not unjudged
            if unjudged:
                grade.auto_score, message = 0.0, "the grader gave no verdict on this check's record"
            cells.append(
                CellResult(
                    grade_id,
                    "test",
                    float(grade.max_score),
                    float(grade.auto_score or 0),
                    checks=ids,
                    passed=passed,
                    timed_out=timed_out,
                    message="" if passed else message or "the test cell did not pass",
                )
            )
        gb.db.commit()
    return cells


def _still_recorded(cell) -> bool:
    return cell is not None and any(o.output_type == "stream" and RECORDED in o.text for o in cell.outputs)


def output_message(cell) -> tuple[str, bool]:
    """The failure message a test cell's outputs show, and whether it timed out."""
    if cell is None:
        return "the test cell is missing from the notebook", False
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            if output.ename == "CellTimeoutError":
                return "the cell ran past the time limit", True
            text = output.evalue
            if output.ename == "CheckFailed":
                return text.split(": ", 1)[-1], False
            return f"{output.ename}: {text}"[:500], False
        if output.output_type == "stream" and output.name == "stderr":
            return f"the test cell wrote to stderr: {output.text.strip()[:300]}", False
    return "", False


def zero_result(job: Job, status: Status, detail: str) -> SubmissionResult:
    """Every graded cell at 0: the result of a submission that could not be run."""
    source = nbformat.read(Path(job.template) / "source" / job.assignment_id / job.notebook, as_version=4)
    cells = []
    for c in source.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("grade"):
            ids = check_ids_in(c.source) if c.cell_type == "code" else []
            cells.append(
                CellResult(
                    meta["grade_id"],
                    "test" if ids else "manual",
                    float(meta["points"]),
                    0.0,
                    checks=ids,
                    passed=False,
                    timed_out=status == Status.TIMEOUT,
                    message=detail,
                )
            )
    return SubmissionResult.of(job.student, job.assignment_id, status, cells, detail)


class _Phases:
    """Seconds spent in each phase of grading one submission (for the benchmark)."""

    def __init__(self):
        self.seconds, self._last = {}, time.monotonic()

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        self.seconds[name] = round(now - self._last, 3)
        self._last = now


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _tail(log: str, lines: int = 8) -> str:
    return " | ".join(line.strip() for line in log.strip().splitlines()[-lines:])[-1500:]


if __name__ == "__main__":
    run(*map(Path, sys.argv[1:3]))
