"""Grade one submission in isolation → one result record.

This is the seam between grading logic and the batch: :func:`grade_submission` needs only a
:class:`Job` (plain paths and numbers) and returns a JSON-able dict, so the batch can run it in
a subprocess here or on a cluster later. It runs nbgrader's real autograde and feedback steps
in a private nbgrader course directory (its own copy of the assignment's gradebook). The kernel
gets only the probe edition of the check library; the verdicts are given in this process
(:mod:`autograder.verdicts`) before nbgrader scores the cells.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from . import limits as limits_mod, nbgrader_run, sandbox
from .execute import TIMING_ENV
from .kernel import SANDBOX_ENV
from .checks import check_ids_in, get
from .checks._core import RECORD_DIR_ENV, RECORDED
from .checks._edition import EDITION_ENV

# Statuses a submission can end with (grades.csv, feedback, the report).
OK = "ok"
MISSING = "missing_notebook"
INVALID = "invalid_notebook"
TIMEOUT = "timeout"
KERNEL_DIED = "kernel_died"
ERROR = "grader_error"
TAMPERED = "tampered_cells"
OUTPUT_LIMIT = "output_limit"
MEMORY_LIMIT = "memory_limit"
PROCESS_LIMIT = "process_limit"
FILE_SIZE_LIMIT = "file_size_limit"
WORKER_LOG = "worker.log"  # in the job's folder: the worker's and its kernel's stdout and stderr
HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*$", re.S | re.M)


@dataclass
class Job:
    """Everything needed to grade one student's submission of one assignment."""

    course_id: str
    assignment_id: str
    notebook: str            # file name, e.g. "01-activations.ipynb"
    student: str
    submission_dir: str      # the student's <assignment> folder (nbgrader's submitted layout)
    template: str            # course root holding source/<id> and a gradebook with only the assignment
    workdir: str             # private, empty folder for this job
    cell_timeout: float
    notebook_timeout: float
    limits: dict = field(default_factory=dict)   # see autograder.limits.apply_kernel_limits
    sandbox: bool = False                        # confine the kernel (autograder.sandbox)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Job":
        return cls(**json.loads(text))


def kernel_environment(job: Job, records: Path, edition: Path) -> dict[str, str]:
    """Environment for the kernel: quiet TensorFlow, private homes, records, grading mode, and
    (if sandboxed) what its file system holds besides Python and the system's libraries."""
    private = Path(job.workdir) / "home"
    env = {
        "AUTOGRADER_GRADING": "1",
        RECORD_DIR_ENV: str(records),
        EDITION_ENV: str(edition),
        "HOME": str(private),
        limits_mod.LIMITS_ENV: json.dumps(job.limits),
        # TensorFlow's C++ logs go to stderr, and nbgrader scores a cell that writes to stderr 0.
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_ENABLE_ONEDNN_OPTS": "0",  # also makes CPU results independent of oneDNN's blocking
        "PYTHONHASHSEED": "0",
        "PYTHONWARNINGS": "ignore",
        "MPLBACKEND": "Agg",
        "KERAS_HOME": str(private / "keras"),
        "MPLCONFIGDIR": str(private / "matplotlib"),
        "IPYTHONDIR": str(private / "ipython"),
        "JUPYTER_CONFIG_DIR": str(private / "jupyter_config"),
        "JUPYTER_DATA_DIR": str(private / "jupyter_data"),
        "JUPYTER_RUNTIME_DIR": str(private / "jupyter_runtime"),
    }
    if job.sandbox:
        uid = sandbox.KERNEL_UID_BASE + zlib.crc32(job.workdir.encode()) % 1000
        env[SANDBOX_ENV] = json.dumps({"writable": [str(records), str(private)], "readonly": [str(edition)],
                                       "uid": uid, "stage": str(Path(job.workdir) / "root")})
    return env


def grade_submission(job: Job) -> dict:
    """Autograde one submission with nbgrader and re-verify its checks. Never raises."""
    started = time.monotonic()
    work = Path(job.workdir)
    try:
        result = _grade(job, work)
    except Exception as exc:  # the grader's own failure is a status, not a crash of the batch
        result = zero_result(job, ERROR, f"{type(exc).__name__}: {exc}")
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def _grade(job: Job, work: Path) -> dict:
    clock = _Phases()
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(job.template) / nbgrader_run.GRADEBOOK, work / nbgrader_run.GRADEBOOK)
    shutil.copytree(Path(job.template) / "source", work / "source", dirs_exist_ok=True)

    status, detail, nb = read_submission(Path(job.submission_dir) / job.notebook)
    if status != OK:
        return zero_result(job, status, detail)

    release = nbformat.read(Path(job.template) / "release" / job.assignment_id / job.notebook, as_version=4)
    tampered = tampering(nb, release)
    drop_duplicate_grade_ids(nb)
    submitted = work / "submitted" / job.student / job.assignment_id
    submitted.mkdir(parents=True)
    nbformat.write(nb, submitted / job.notebook)

    records, edition = work / "records", work / "checks"
    records.mkdir()
    shutil.copytree(Path(job.template) / "checks", edition)
    os.environ.update(kernel_environment(job, records, edition))
    os.environ[TIMING_ENV] = str(work / "timing.json")
    # A sandboxed kernel has a network of its own: talk to it over Unix sockets, not TCP.
    ipc = str(work / "home" / "kernel") if job.sandbox else None
    api = nbgrader_run.api(work, job.course_id, job.cell_timeout, job.limits.get("output_mb"), ipc, records)
    clock("prepare")
    outcome = api.autograde(job.assignment_id, job.student, force=True, create=True)
    clock("autograde")
    if not outcome.get("success"):
        log = (outcome.get("log") or "") + (outcome.get("error") or "")
        if "DeadKernel" not in log and "Kernel died" not in log:
            return zero_result(job, ERROR, _tail(log))
        hit = limit_reached([_read(work / WORKER_LOG)], job.limits)
        if hit:
            return zero_result(job, hit[0], hit[1] + "; its kernel died")
        return zero_result(job, KERNEL_DIED, _tail(log))

    cells = graded_cells(job, work)
    autograded = nbformat.read(work / "autograded" / job.student / job.assignment_id / job.notebook, as_version=4)
    errors = [f"{o.ename}: {o.evalue}" for c in autograded.cells for o in c.get("outputs", [])
              if o.output_type == "error"]
    timed_out = any(e.startswith("CellTimeoutError") for e in errors)
    hit = limit_reached(errors, job.limits)
    clock("collect")
    nbgrader_run.checked(api.generate_feedback(job.assignment_id, job.student, force=True),
                         "generate_feedback")
    clock("feedback")
    feedback = work / "feedback" / job.student / job.assignment_id / job.notebook.replace(".ipynb", ".html")
    timing = json.loads((work / "timing.json").read_text()) if (work / "timing.json").is_file() else {}
    if timed_out:
        result = make_result(job, TIMEOUT, cells,
                             f"a cell ran past the {job.cell_timeout:g} s time limit and was stopped")
    elif timing.get("output_cut"):
        result = make_result(job, OUTPUT_LIMIT, cells, "the notebook printed more than the output "
                             f"limit ({job.limits.get('output_mb', '?')} MB); the cell was stopped")
    elif hit:
        result = make_result(job, hit[0], cells, hit[1] + "; that cell stopped with an error")
    elif tampered:
        result = make_result(job, TAMPERED, cells, "graded with the original test cells; changed: "
                             + "; ".join(tampered))
    else:
        result = make_result(job, OK, cells)
    add_summary_to_feedback(feedback, result)
    result["cell_seconds"] = timing.get("cell_seconds", 0.0)
    result["kernel_start_seconds"] = timing.get("kernel_start_seconds", 0.0)
    result["phases"] = clock.seconds
    result["autograded_dir"] = str(work / "autograded" / job.student / job.assignment_id)
    result["feedback_dir"] = str(feedback.parent)
    return result


def tampering(submitted, release) -> list[str]:
    """What a submission changed in the cells students may not edit (nbgrader restores them)."""
    def graded(nb):
        return [(c.metadata["nbgrader"].get("grade_id"), c) for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id")]

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


# What each of the kernel's limits (autograder.limits) looks like when it is reached: in a
# cell's error ("ename: evalue") or in what a dying kernel wrote to stderr.
LIMIT_SIGNS = (
    (MEMORY_LIMIT, ("MemoryError", "std::bad_alloc", "Cannot allocate memory", "OOM when allocating")),
    (PROCESS_LIMIT, ("BlockingIOError", "Resource temporarily unavailable", "can't start new thread")),
    (FILE_SIZE_LIMIT, ("[Errno 27]", "File too large")),
)


def limit_reached(texts: list[str], limits: dict) -> tuple[str, str] | None:
    """(status, detail) for the first of the kernel's limits that ``texts`` show was reached."""
    said = {
        MEMORY_LIMIT: f"your notebook used more than {limits.get('memory_mb', '?')} MB of memory (the memory limit)",
        PROCESS_LIMIT: f"your notebook started more than {limits.get('processes', '?')} processes and "
                       "threads (the process limit)",
        FILE_SIZE_LIMIT: f"your notebook wrote a file larger than {limits.get('file_mb', '?')} MB "
                         "(the file-size limit)",
    }
    for status, signs in LIMIT_SIGNS:
        if any(sign in text for text in texts for sign in signs):
            return status, said[status]
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


class _Phases:
    """Seconds spent in each phase of grading one submission (for the benchmark)."""

    def __init__(self):
        self.seconds, self._last = {}, time.monotonic()

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        self.seconds[name] = round(now - self._last, 3)
        self._last = now


def read_submission(path: Path):
    """(status, detail, notebook) for a submitted file; the notebook is None unless readable."""
    if not path.is_file():
        present = sorted(p.name for p in path.parent.glob("*.ipynb")) if path.parent.is_dir() else []
        hint = f" (found {', '.join(present)})" if present else ""
        return MISSING, f"no {path.name} in the submission{hint}", None
    try:
        nb = nbformat.read(path, as_version=4)
        seen = set()
        for i, cell in enumerate(nb.cells):  # a pasted cell may repeat an id: not worth a zero
            if cell.get("id") in seen:
                cell.id = f"{cell.id[:50]}-{i}"
            seen.add(cell.get("id"))
        nbformat.validate(nb)
    except Exception as exc:
        return INVALID, f"{path.name} is not a valid notebook: {str(exc).splitlines()[0][:200]}", None
    return OK, "", nb


def graded_cells(job: Job, work: Path) -> list[dict]:
    """Per graded cell: its score in the private gradebook, its checks and its message."""
    from nbgrader.api import Gradebook

    notebook_id = Path(job.notebook).stem
    source = nbformat.read(work / "source" / job.assignment_id / job.notebook, as_version=4)
    source_cells = {c.metadata["nbgrader"]["grade_id"]: c for c in source.cells
                    if c.metadata.get("nbgrader", {}).get("grade")}
    autograded = nbformat.read(work / "autograded" / job.student / job.assignment_id / job.notebook,
                               as_version=4)
    outputs = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in autograded.cells}

    cells = []
    with Gradebook(f"sqlite:///{work / nbgrader_run.GRADEBOOK}", job.course_id) as gb:
        for grade_id, source_cell in source_cells.items():
            grade = gb.find_grade(grade_id, notebook_id, job.assignment_id, job.student)
            entry = {"grade_id": grade_id, "max_score": float(grade.max_score), "timed_out": False,
                     "checks": [], "message": ""}
            ids = check_ids_in(source_cell.source) if source_cell.cell_type == "code" else []
            if not ids:
                # A written answer, graded by hand (nbgrader gives an unanswered one 0 at once).
                entry.update(kind="manual", score=grade.auto_score,
                             needs_manual=bool(grade.needs_manual_grade), passed=None)
                cells.append(entry)
                continue
            message, timed_out = output_message(outputs.get(grade_id))
            # A [recorded] line left means no verdict was given: never points for that.
            unjudged = _still_recorded(outputs.get(grade_id))
            passed = (grade.auto_score or 0) >= grade.max_score and not unjudged
            if unjudged:
                grade.auto_score, message = 0.0, "the grader gave no verdict on this check's record"
            entry.update(kind="test", checks=ids, score=float(grade.auto_score or 0), needs_manual=False,
                         passed=passed, message="" if passed else message or "the test cell did not pass",
                         timed_out=timed_out)
            cells.append(entry)
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


def make_result(job: Job, status: str, cells: list[dict], detail: str = "") -> dict:
    auto = [c for c in cells if c["kind"] != "manual"]
    manual = [c for c in cells if c["kind"] == "manual"]
    return {
        "student": job.student,
        "assignment": job.assignment_id,
        "status": status,
        "detail": detail,
        "score": round(sum(c["score"] or 0.0 for c in auto), 4),
        "max_score": round(sum(c["max_score"] for c in auto), 4),
        "manual_max_score": round(sum(c["max_score"] for c in manual), 4),
        "needs_manual_grading": any(c.get("needs_manual") for c in manual),
        "cells": cells,
    }


def zero_result(job: Job, status: str, detail: str) -> dict:
    """Every graded cell at 0: the result of a submission that could not be run."""
    source = nbformat.read(Path(job.template) / "source" / job.assignment_id / job.notebook, as_version=4)
    cells = []
    for c in source.cells:
        meta = c.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            continue
        ids = check_ids_in(c.source) if c.cell_type == "code" else []
        cells.append({"grade_id": meta["grade_id"], "kind": "test" if ids else "manual",
                      "checks": ids, "score": 0.0, "max_score": float(meta["points"]),
                      "needs_manual": False, "passed": False, "timed_out": status == TIMEOUT,
                      "message": detail})
    return make_result(job, status, cells, detail)


def add_summary_to_feedback(path: Path, result: dict) -> None:
    """Put a table of checks (points and messages, no test code) at the top of nbgrader's feedback."""
    if not path.is_file():
        return
    rows = []
    for c in result["cells"]:
        if c["kind"] == "manual":
            verdict_text = "graded by hand" if c.get("needs_manual") else f"{c['score']:g}"
            rows.append((c["grade_id"], "written answer", verdict_text, c["max_score"], ""))
            continue
        names = ", ".join(c["checks"]) or c["grade_id"]
        titles = "; ".join(_title(i) for i in c["checks"])
        rows.append((names, titles, "✔" if c["passed"] else "✘", c["max_score"], c["message"], c["score"]))
    body = "".join(
        f"<tr><td><code>{html.escape(r[0])}</code></td><td>{html.escape(r[1])}</td>"
        f"<td>{html.escape(str(r[2]))} {'' if len(r) < 6 else f'{r[5]:g}/'}{r[3]:g}</td>"
        f"<td>{html.escape(r[4])}</td></tr>"
        for r in rows
    )
    summary = (
        '<div class="autograder-summary" style="margin:1em 2em;font-family:sans-serif">'
        f"<h2>Autograder: {result['score']:g} / {result['max_score']:g} points "
        f"(status: {html.escape(result['status'])})</h2>"
        + (f"<p>{html.escape(result['detail'])}</p>" if result.get("detail") else "") +
        '<table border="1" cellpadding="4" style="border-collapse:collapse">'
        "<tr><th>check</th><th>what it tests</th><th>points</th><th>message</th></tr>"
        f"{body}</table></div>"
    )
    text = path.read_text(encoding="utf-8")
    at = text.find(">", text.find("<body")) + 1
    path.write_text(text[:at] + summary + text[at:], encoding="utf-8")


def _title(check_id: str) -> str:
    try:
        return get(check_id).title
    except KeyError:
        return ""


def _tail(log: str, lines: int = 8) -> str:
    return " | ".join(line.strip() for line in log.strip().splitlines()[-lines:])[-1500:]
