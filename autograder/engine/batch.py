"""The batch: every submission in its own worker process, results merged from one place.

:func:`grade` prepares an nbgrader course folder in ``--out`` (gradebook, source, release) and a
template every job copies, makes one :class:`~.job.Job` per student, runs each in a worker —
forked from the warm zygote (:mod:`.warm`) or started cold (:mod:`.worker`), each under a
wall-clock limit, in parallel — and, in this process only, so SQLite never sees two writers,
writes each result into nbgrader's gradebook, copies the autograded notebook and the feedback,
and saves the result record. Killed mid-batch, a second run resumes: finished students are not
graded again unless ``force``.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .. import console, nbgrader_run, settings
from ..checks._edition import write_package
from ..course import Assignment, Course
from ..grades import late, table
from ..results import STATE_DIR, Status, SubmissionResult, results_dir
from . import limits, sandbox
from .job import WORKER_LOG, Job
from .warm import Zygote
from .worker import zero_result

WARM_FAILED = object()
WORKER_SLACK = 30.0  # seconds a worker may use beyond the notebook limit (imports, feedback)


def grade(
    course: Course,
    assignment_id: str,
    submissions: Path,
    out: Path,
    *,
    force: bool = False,
    workers: int | None = None,
    progress: bool = True,
    warm: bool = True,
    only_submitted: bool = False,
    scheduler=None,
) -> list[SubmissionResult]:
    """Grade every ``submissions/<student>/<assignment>/`` into the course folder ``out``.

    Args:
        warm: fork workers and kernels from a zygote that has imported TensorFlow once
            (:mod:`autograder.engine.warm`); False starts every worker and kernel cold.
        only_submitted: grade only students with a folder for this assignment (otherwise a
            student folder without one is graded ``missing_notebook``).
        scheduler: grade on a Dask cluster (:mod:`autograder.engine.cluster`): ``tcp://HOST:PORT``
            of its scheduler, ``local:N`` for N worker processes on this machine, or a connected
            ``distributed.Client``; ``workers``
            is then the submissions each worker process grades at once. None: this machine's
            own pool of ``workers``.
    """
    assignment = course.assignment(assignment_id)
    out = Path(out).resolve()
    submissions = Path(submissions).resolve()
    saved = results_dir(out, assignment.id)
    saved.mkdir(parents=True, exist_ok=True)
    students = discover_students(submissions)
    if only_submitted:
        students = [s for s in students if (submissions / s / assignment.id).is_dir()]
    todo = [s for s in students if force or not (saved / f"{s}.json").is_file()]
    # Read every timestamp.txt first: a garbled one stops the batch before anything is graded.
    handed_in = {s: late.submitted_at(submissions / s / assignment.id) for s in todo}
    cluster = _connect(scheduler, workers) if scheduler and todo else None  # unreachable: stop before grading
    # The zygote imports TensorFlow (seconds, one core) while nbgrader prepares the assignment.
    zygote = start_zygote(out / STATE_DIR / "zygote.log") if warm and todo and cluster is None else None
    bar = console.Progress(len(students), len(students) - len(todo), enabled=progress)
    try:
        templates = prepare(course, assignment, out)
        confined = sandbox_note(progress) if todo and cluster is None else False
        jobs = [make_job(course, assignment, submissions, templates, student, confined) for student in todo]
        if cluster is not None:
            results = cluster.results(jobs, templates)
        else:
            results = _pooled(jobs, ready(zygote), workers or course.workers)
        with bar:
            for result in results:
                result.submitted_at = handed_in[result.student]
                merge(out, course, assignment, result, submissions / result.student / assignment.id)
                result.save(saved / f"{result.student}.json")
                bar.update(result)
    finally:
        if zygote is not None:
            zygote.close()
        if cluster is not None:
            cluster.close()
    table.write_csv(out, course)
    return [SubmissionResult.load(saved / f"{s}.json") for s in students]


def _pooled(jobs: list[Job], zygote: Zygote | None, workers: int):
    """Each job's result, in the order they finish, from a pool of ``workers`` on this machine."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_job_twice_if_its_kernel_died, job, zygote) for job in jobs]
        for future in as_completed(futures):
            yield future.result()


def _connect(scheduler, slots: int | None):
    """The Dask cluster, its workers warming up (TensorFlow's import) while nbgrader prepares."""
    from .cluster import Cluster

    cluster = Cluster(scheduler, slots=slots or 1)
    cluster.warm_up()
    return cluster


def prepare(course: Course, assignment: Assignment, out: Path) -> dict[str, Path]:
    """Make ``out`` an nbgrader course folder that knows ``assignment``, and a template course
    per edition of the assignment (gradebook with only this assignment, source, release, probe
    edition of the checks, the release's highlighted code) that every job copies. Returns
    ``{edition: template folder}``."""
    from .feedback_exporter import write_highlighted

    nbgrader_run.write_config_file(out, course.id, course.grading.late_policy, course.grading.late_penalty_per_day)
    templates = {}
    for edition in course.editions(assignment):
        name = assignment.id if edition == "en" else f"{assignment.id}.{edition}"
        template = templates[edition] = out / STATE_DIR / "template" / name
        shutil.rmtree(template, ignore_errors=True)
        template.mkdir(parents=True)
        nbgrader_run.generate_assignment(template, course, assignment, edition)
        write_package(template / "checks")  # the probe edition, the only one kernels may load
        write_highlighted(template, assignment.id, assignment.notebook)
    template = templates["en"]  # the course folder's own gradebook and source are the English ones
    if (out / nbgrader_run.GRADEBOOK).exists():
        nbgrader_run.generate_assignment(out, course, assignment)
    else:  # a new course folder is exactly the template (nbgrader would build the same again)
        shutil.copy(template / nbgrader_run.GRADEBOOK, out / nbgrader_run.GRADEBOOK)
        for folder in ("source", "release"):
            shutil.rmtree(out / folder / assignment.id, ignore_errors=True)
            shutil.copytree(template / folder / assignment.id, out / folder / assignment.id)
    return templates


def discover_students(submissions: Path) -> list[str]:
    """Every folder under ``submissions`` is a student (nbgrader's submitted layout)."""
    if not submissions.is_dir():
        raise FileNotFoundError(f"{submissions}: no such folder of submissions")
    return sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))


_sandbox_said = False


def sandbox_note(verbose: bool) -> bool:
    """Whether kernels can be confined here; if not, say why once per process."""
    global _sandbox_said
    reason = sandbox.available()
    if reason and not _sandbox_said and verbose:
        console.warn(
            f"student code runs without the sandbox: {reason}. Time, memory, process and output limits still apply."
        )
        _sandbox_said = True
    return reason is None


def work_base() -> Path:
    """Where jobs run: under the system's temporary folder, enterable (not listable) by the
    kernels' own users even when ``--out`` sits in a private folder."""
    base = Path(tempfile.gettempdir()) / f"autograder-work-{os.getuid()}"
    base.mkdir(mode=0o711, exist_ok=True)
    os.chmod(base, 0o711)
    return base


def _job_folder(prefix: str) -> str:
    folder = tempfile.mkdtemp(prefix=prefix, dir=work_base())
    os.chmod(folder, 0o711)  # the kernel's user must pass through to its own folders
    return folder


def make_job(
    course: Course,
    assignment: Assignment,
    submissions: Path,
    templates: dict[str, Path],
    student: str,
    confined: bool = False,
) -> Job:
    return Job(
        course_id=course.id,
        assignment_id=assignment.id,
        notebook=assignment.notebook,
        student=student,
        submission_dir=str(submissions / student / assignment.id),
        template=str(templates["en"]),
        templates={edition: str(t) for edition, t in templates.items() if edition != "en"},
        workdir=_job_folder(f"{assignment.id}-{student[:40]}-"),
        cell_timeout=assignment.timeouts.cell,
        notebook_timeout=assignment.timeouts.notebook,
        limits=dict(course.grading.limits),
        sandbox=confined,
    )


def start_zygote(log: Path):
    """The warm zygote, starting (see :func:`ready`), or None where it cannot start."""
    try:
        return Zygote(log)
    except Exception as exc:  # e.g. no fork on this platform: grade cold, just slower
        return _cold(exc)


def ready(zygote: Zygote | None) -> Zygote | None:
    """``zygote`` once it has imported everything, or None (said once on stderr) if it failed."""
    if zygote is None:
        return None
    try:
        zygote.wait_ready()
        return zygote
    except Exception as exc:
        zygote.close()
        return _cold(exc)


def _cold(exc: Exception) -> None:
    console.warn(f"warm kernels unavailable ({exc}); starting every kernel cold")
    return None


def run_job_twice_if_its_kernel_died(job: Job, zygote: Zygote | None = None) -> SubmissionResult:
    """:func:`run_job`, and once more in a fresh folder if its kernel died.

    A notebook that kills its kernel (``os._exit``, a crash in compiled code) kills it again, and
    keeps ``kernel_died``; a kernel lost to the machine (rare) costs the student nothing.
    """
    result = run_job(job, zygote)
    if result.status != Status.KERNEL_DIED:
        return result
    if not settings.is_set(settings.KEEP_WORK):
        shutil.rmtree(result.workdir, ignore_errors=True)
    retry = run_job(dataclasses.replace(job, workdir=_job_folder(Path(job.workdir).name[:60] + "-again-")), zygote)
    if retry.status != Status.KERNEL_DIED:
        retry.detail = (
            retry.detail + " (graded on a second try: the first kernel died: " + result.detail[-300:] + ")"
        ).strip()
    retry.attempts = 2
    return retry


def run_job(job: Job, zygote: Zygote | None = None) -> SubmissionResult:
    """Run one worker under a wall-clock limit; always return a result, whatever the notebook did."""
    work = job.folder
    work.mkdir(parents=True, exist_ok=True)
    job_file, result_file, log_file = work / "job.json", work / "result.json", work / WORKER_LOG
    job_file.write_text(job.to_json(), encoding="utf-8")
    started = time.monotonic()
    limit = job.notebook_timeout + WORKER_SLACK
    code = WARM_FAILED
    if zygote is not None and zygote.alive():
        try:
            code = zygote.run(job_file, result_file, log_file, limit)
        except Exception as exc:  # the zygote died (or was killed): this job goes cold
            log_file.write_text(f"warm worker failed ({exc}); graded cold\n", encoding="utf-8")
    if code is WARM_FAILED:
        code = run_cold(job_file, result_file, log_file, limit)
    if code is None:
        result = zero_result(job, Status.TIMEOUT, f"the notebook ran past its {job.notebook_timeout:g} s limit")
    elif result_file.is_file():
        result = SubmissionResult.load(result_file)
    else:
        tail = log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        status = Status.KERNEL_DIED if code < 0 else Status.GRADER_ERROR
        result = zero_result(job, status, f"the grading process ended with code {code}: " + " | ".join(tail))
    result.seconds = round(time.monotonic() - started, 2)
    result.workdir = job.workdir
    return result


def run_cold(job_file: Path, result_file: Path, log_file: Path, timeout: float) -> int | None:
    """A fresh ``python -m autograder.engine.worker``: its exit code, or None if it ran out of time."""
    with open(log_file, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "autograder.engine.worker", str(job_file), str(result_file)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = worker.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
    limits.kill_tree(worker.pid)
    worker.wait()
    return code


def merge(
    out: Path, course: Course, assignment: Assignment, result: SubmissionResult, handed_in: Path | None = None
) -> None:
    """Write one result into the gradebook at ``out`` and copy its notebook and feedback, and
    the submission as handed in to ``out/submitted`` (where formgrader counts submissions)."""
    from nbgrader.api import Gradebook

    student = result.student
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{out / nbgrader_run.GRADEBOOK}", course.id) as gb:
        # nbgrader's own queries trip SQLAlchemy's autoflush warnings: noise, not a problem.
        warnings.simplefilter("ignore")
        gb.update_or_create_student(student)
        # The time it was handed in, as nbgrader's autograde records it from timestamp.txt.
        gb.update_or_create_submission(assignment.id, student, timestamp=result.submitted_at)
        for cell in result.cells:
            grade = gb.find_grade(cell.grade_id, assignment.notebook_id, assignment.id, student)
            grade.auto_score = None if cell.needs_manual else cell.score
            grade.needs_manual_grade = cell.needs_manual
        gb.db.commit()
    submitted = out / "submitted" / student / assignment.id
    if handed_in is not None and handed_in.is_dir() and handed_in.resolve() != submitted.resolve():
        shutil.rmtree(submitted, ignore_errors=True)
        shutil.copytree(handed_in, submitted, symlinks=True)
    for kind in ("autograded", "feedback"):
        target = out / kind / student / assignment.id
        shutil.rmtree(target, ignore_errors=True)
        made = getattr(result, f"{kind}_dir")
        if made and Path(made).is_dir():
            shutil.copytree(made, target)
            setattr(result, f"{kind}_dir", str(target))
        else:
            setattr(result, f"{kind}_dir", None)
    if not settings.is_set(settings.KEEP_WORK):  # keep it to debug the grader itself
        shutil.rmtree(result.workdir or "", ignore_errors=True)
    result.workdir = None


def check(course: Course, notebook: Path) -> SubmissionResult:
    """Grade one notebook exactly as a batch would (every check, hidden ones included), in a
    temporary course folder: ``autograder check``."""
    assignment = course.assignment_for_notebook(notebook)
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as tmp:
        submitted = Path(tmp) / "submitted" / "you" / assignment.id
        submitted.mkdir(parents=True)
        shutil.copyfile(notebook, submitted / assignment.notebook)
        (result,) = grade(course, assignment.id, submitted.parent.parent, Path(tmp) / "out", progress=False)
    return result
