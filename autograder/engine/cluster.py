"""Grading on a Dask cluster: ``autograder grade ID ... --scheduler tcp://HOST:PORT`` (or ``local:N``).

The seam is the same as local grading's: one :class:`~.job.Job` in, one result out. The client
(this process) prepares the course folder and the templates as usual, then sends each job to the
cluster with the submission's files; a worker machine grades it with the local engine — the warm
zygote (started once per worker process and reused), the sandbox, the limits — and sends back the
result record, the autograded notebook and the feedback. No file system is shared: the templates
travel once per worker (a scattered blob), the submissions and results with their tasks. Only the
client writes the gradebook, the results (the journal a second run resumes from) and grades.csv.

Faults, and what happens:

* a worker dies (killed, out of memory, its machine gone): the scheduler runs its tasks again on
  other workers; the client receives each result once, so nothing is lost or doubled;
* a submission that kills every worker it lands on: after ``allowed-failures`` deaths (2 here for
  ``local:N``; a scheduler started by hand reads ``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES``)
  the scheduler gives up on it. A death counts against every submission the worker held then, so
  an innocent one queued beside the culprit may be given up with it: every submission given up is
  graded again, alone on the cluster, where a death is its own. One that kills its workers then
  too (three more tries) is graded ``grader_error`` — never a retry loop. ``worker-saturation``
  1.0 (``DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION``) keeps what a worker holds to what it
  runs, in a batch larger than twice the cluster's threads;
* the client dies: the results written so far stay; the same command resumes from them;
* the scheduler cannot be reached: one line naming it, exit 2.

Dask ships pickles between the client and the workers: run it on a network you trust.
"""

from __future__ import annotations

import atexit
import gzip
import hashlib
import io
import os
import shutil
import signal
import tarfile
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import asdict, replace
from pathlib import Path

from .. import settings
from ..course import CourseError
from ..results import Status, SubmissionResult
from .job import Job
from .worker import zero_result

CONNECT_TIMEOUT = "10s"
ALLOWED_FAILURES = 2  # worker deaths a task may cause before it is given up (3 tries in all)
LOCAL_PREFIX = "local:"
# A LocalCluster's scheduler; one started by hand reads the same from DASK_DISTRIBUTED__SCHEDULER__*.
# Saturation 1.0: in a large batch a worker holds only the tasks it is running, so a worker's death
# counts against those alone (the rest wait on the scheduler), seldom against an innocent one.
SCHEDULER_CONFIG = {
    "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.worker.profile.enabled": False,  # a worker only waits on its grading processes
}


class Cluster:
    """A connection to a Dask scheduler (or a loopback LocalCluster it started), as a context manager.

    Args:
        address: ``tcp://HOST:PORT`` of a running scheduler, ``local:N`` for N worker processes
            on this machine, on 127.0.0.1 only, or a connected ``distributed.Client`` (e.g. a
            dask-gateway cluster's ``get_client()``, whose TLS credentials an address cannot carry).
        slots: submissions graded at once per worker process (``local:N`` only; a worker started by
            hand has ``--nthreads``).
    """

    def __init__(self, address, slots: int = 1):
        import dask
        from distributed import Client, LocalCluster

        self.address, self.local = address, None
        try:
            self.owned = not isinstance(address, Client)
            if not self.owned:  # the caller's client: the caller closes it
                self.client, self.address = address, str(address.scheduler.address)
            elif address.startswith(LOCAL_PREFIX):
                n = _worker_count(address)
                with dask.config.set(SCHEDULER_CONFIG):
                    self.local = LocalCluster(
                        n_workers=n,
                        threads_per_worker=max(1, slots),
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=None,
                        worker_dashboard_address=None,
                    )
                self.client = Client(self.local)
            else:
                self.client = Client(address, timeout=CONNECT_TIMEOUT)
        except CourseError:
            raise
        except (OSError, TimeoutError, ValueError) as exc:
            raise CourseError(f"--scheduler {address}: cannot reach the Dask scheduler ({exc})") from None

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.owned:
            self.client.close()
        if self.local is not None:
            self.local.close()

    def workers(self) -> list[str]:
        return list(self.client.scheduler_info()["workers"])

    def warm_up(self) -> None:
        """Start every worker's zygote now (TensorFlow's import, seconds), while the client prepares."""
        self._warming = [
            self.client.submit(_warm_worker, workers=[w], allow_other_workers=False, pure=False) for w in self.workers()
        ]

    def results(self, jobs: Iterable[Job], templates: dict[str, Path]) -> Iterator[SubmissionResult]:
        """Grade ``jobs`` on the cluster; yield each result (its notebook and feedback in local folders)
        as it arrives, in the order they finish."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        blobs = {edition: _pack_template(path) for edition, path in templates.items()}
        # A task, not scattered data: if every worker that holds it dies, the scheduler makes it again.
        shipped = self.client.submit(_templates, blobs, key=f"templates-{os.urandom(4).hex()}")
        batch = os.urandom(4).hex()

        def submit(job: Job, phase: str):
            task = {"job": asdict(job), "submission": _pack_folder(Path(job.submission_dir))}
            # One task group per phase (key_split → "grade"): in a batch larger than twice the
            # cluster's threads the scheduler queues the rest (worker-saturation), so a worker
            # holds only what it runs.
            return self.client.submit(grade_remote, task, shipped, key=(f"{phase}-{batch}", job.student))

        futures = {submit(job, "grade"): job for job in jobs}
        suspects = []
        for future in as_completed(futures):
            job = futures.pop(future)
            shutil.rmtree(job.folder, ignore_errors=True)  # made by the client's make_job; the worker has its own
            outcome = self._outcome(future, job)
            if isinstance(outcome, KilledWorker):
                suspects.append(job)
            else:
                yield outcome
        # A worker's death counts against every task it held, the innocent beside the culprit too:
        # each suspect is graded again alone on the cluster, where a death can only be its own.
        for job in suspects:
            outcome = self._outcome(submit(job, "alone"), job)
            if isinstance(outcome, KilledWorker):
                outcome = _grader_error(
                    job,
                    f"grading this submission killed the Dask worker each time it was tried, and again each time "
                    f"it was tried alone on the cluster ({outcome}); it was given up so that the batch could go on",
                )
                outcome.attempts = 2 * (ALLOWED_FAILURES + 1)
            yield outcome

    @staticmethod
    def _outcome(future, job: Job):
        """The future's result (a KilledWorker is returned, for the caller to judge)."""
        from distributed.scheduler import KilledWorker

        try:
            return _unpack_result(future.result(), job)
        except KilledWorker as exc:
            return exc
        except Exception as exc:  # a failure of the grader itself on that worker: this student only
            return _grader_error(job, f"the Dask worker could not grade it: {type(exc).__name__}: {exc}")
        finally:
            future.release()


def _worker_count(address: str) -> int:
    text = address.removeprefix(LOCAL_PREFIX)
    if not text.isdigit() or int(text) < 1:
        raise CourseError(f"--scheduler {address}: expected local:N with N ≥ 1 worker processes, or tcp://HOST:PORT")
    return int(text)


def _grader_error(job: Job, detail: str) -> SubmissionResult:
    result = zero_result(job, Status.GRADER_ERROR, detail)
    result.attempts = 1
    return result


# --------------------------------------------------------------------------- files as bytes


def _pack_folder(folder: Path) -> dict[str, bytes]:
    """Every regular file under ``folder`` (symbolic links are not followed): {relative path: bytes}."""
    if not folder.is_dir():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _unpack_folder(files: dict[str, bytes], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        target = (folder / name).resolve()
        if not target.is_relative_to(folder.resolve()):  # a name with ../ in it: not ours to write
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


def _templates(blobs: dict) -> dict:
    return blobs


def _pack_template(folder: Path) -> tuple[str, bytes]:
    """A template folder as (content hash, compressed tar bytes): a worker unpacks each hash once."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(folder, arcname=".")
    data = buffer.getvalue()
    return hashlib.sha256(data).hexdigest()[:16], gzip.compress(data, mtime=0)


def _unpack_result(packed: dict, job: Job) -> SubmissionResult:
    result = SubmissionResult.from_dict(packed["result"])
    staging = Path(tempfile.mkdtemp(prefix=f"{job.assignment_id}-{job.student[:40]}-remote-", dir=job.folder.parent))
    for kind in ("autograded", "feedback"):
        files = packed.get(kind)
        setattr(result, f"{kind}_dir", str(_unpack_folder(files, staging / kind)) if files is not None else None)
    result.workdir = str(staging)  # merge removes it once the files are in the course folder
    return result


# --------------------------------------------------------------------------- on the worker


class _Engine:
    """This worker process's grading engine: its unpacked templates and its warm zygote."""

    lock = threading.Lock()
    templates: dict[str, Path] = {}
    zygote = None
    zygote_failed = False

    @classmethod
    def root(cls) -> Path:
        from .batch import work_base

        folder = work_base() / f"dask-{os.getpid()}"
        if not folder.is_dir():
            folder.mkdir(mode=0o711)
            atexit.register(cls.close, folder)
        return folder

    @classmethod
    def close(cls, folder: Path) -> None:
        """At the worker's exit: its zygote ends and its folder (templates, logs) goes."""
        if cls.zygote is not None:
            cls.zygote.close()
        if not settings.is_set(settings.KEEP_WORK):
            shutil.rmtree(folder, ignore_errors=True)

    @classmethod
    def template(cls, key: str, data: bytes) -> Path:
        with cls.lock:
            if key not in cls.templates:
                folder = cls.root() / "templates" / key
                if not folder.is_dir():
                    partial = folder.with_name(key + ".partial")
                    shutil.rmtree(partial, ignore_errors=True)
                    partial.mkdir(parents=True)
                    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                        tar.extractall(partial, filter="data")
                    partial.rename(folder)
                cls.templates[key] = folder
            return cls.templates[key]

    @classmethod
    def warm(cls):
        """The zygote, started on first use (None where it cannot start: this worker grades cold)."""
        from .batch import ready, start_zygote

        with cls.lock:
            if cls.zygote is not None and not cls.zygote.alive():
                cls.zygote.close()
                cls.zygote = None
            if cls.zygote is None and not cls.zygote_failed:
                _forget_nanny_environment()
                cls.zygote = ready(start_zygote(cls.root() / "zygote.log"))
                cls.zygote_failed = cls.zygote is None
            return cls.zygote


def _forget_nanny_environment() -> None:
    """Drop what a Dask nanny puts in its worker's environment (OMP_NUM_THREADS=1 and the like), so
    that kernels get the environment local grading gives them: the same threads, the same results."""
    import dask

    for name, value in (dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {}).items():
        if os.environ.get(name) == str(value):
            del os.environ[name]


def _warm_worker() -> bool:
    return _Engine.warm() is not None


def grade_remote(task: dict, templates: dict[str, tuple[str, bytes]]) -> dict:
    """Grade one submission on this worker: the task's job with this machine's paths.

    Returns the result record and the autograded notebook's and feedback's files.
    """
    from . import sandbox
    from .batch import _job_folder, run_job_twice_if_its_kernel_died

    job = Job(**task["job"])
    if os.environ.get(settings.FAULT_KILL_WORKER) == job.student:  # tests: a submission that kills its worker
        os.kill(os.getpid(), signal.SIGKILL)
    local = {edition: _Engine.template(*blob) for edition, blob in templates.items()}
    submission = Path(tempfile.mkdtemp(prefix="submission-", dir=_Engine.root()))
    try:
        _unpack_folder(task["submission"], submission)
        job = replace(
            job,
            submission_dir=str(submission),
            template=str(local["en"]),
            templates={e: str(p) for e, p in local.items() if e != "en"},
            workdir=_job_folder(f"{job.assignment_id}-{job.student[:40]}-"),
            sandbox=sandbox.available() is None,
        )
        result = run_job_twice_if_its_kernel_died(job, _Engine.warm())
        packed = {"result": result.to_dict()}
        for kind in ("autograded", "feedback"):
            made = getattr(result, f"{kind}_dir")
            packed[kind] = _pack_folder(Path(made)) if made and Path(made).is_dir() else None
        packed["result"].pop("workdir", None)
        return packed
    finally:
        shutil.rmtree(submission, ignore_errors=True)
        if not settings.is_set(settings.KEEP_WORK):
            shutil.rmtree(job.workdir, ignore_errors=True)
