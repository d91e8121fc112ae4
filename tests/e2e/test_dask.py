"""Grading on Dask (`autograder grade --scheduler`), with a real scheduler and real workers on
127.0.0.1: does a class get the scores of local grading, and does a batch survive a worker killed
mid-batch, a submission that kills every worker it lands on, and its own client killed?"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import settings
from autograder.authoring import sample
from autograder.authoring.demo import expectation_problem
from autograder.results import STATE_DIR, all_results

from ..conftest import ROOT, autograder

ASSIGNMENT = "01-activations"  # the quickest notebook: the tests are about the batch, not the checks
CLASS = ROOT / "examples" / "class"
POISON = "poison-pill"  # the workers' fault injection: a worker that gets this student's task dies
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackCluster:
    """`dask scheduler` and `dask worker` processes (each under its nanny), on 127.0.0.1.

    Args:
        folder: where the logs go.
        workers: worker processes.
        threads: submissions each worker grades at once (`--nthreads`).
    """

    def __init__(self, folder: Path, workers: int = 2, threads: int = 1):
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "2",  # as the README starts a scheduler
            "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
            settings.FAULT_KILL_WORKER: POISON,
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        common = {"env": env, "stdin": subprocess.DEVNULL, "start_new_session": True}
        self.scheduler = subprocess.Popen(
            [BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"],
            stdout=open(folder / "scheduler.log", "wb"),
            stderr=subprocess.STDOUT,
            **common,
        )
        self.nannies = [
            subprocess.Popen(
                [BIN / "dask", "worker", self.address, "--nthreads", str(threads), "--host", "127.0.0.1"]
                + ["--no-dashboard"],
                stdout=open(folder / f"worker-{i}.log", "wb"),
                stderr=subprocess.STDOUT,
                **common,
            )
            for i in range(workers)
        ]
        self.wait_for_workers(workers)

    def wait_for_workers(self, n: int, timeout: float = 120) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(n, timeout=timeout)

    def worker_processes(self) -> list[int]:
        """The worker processes under the nannies (what a SIGKILL of 'the worker' hits)."""
        import psutil

        return [c.pid for n in self.nannies for c in psutil.Process(n.pid).children() if "python" in c.name()]

    def close(self) -> None:
        for proc in [*self.nannies, self.scheduler]:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in [*self.nannies, self.scheduler]:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = LoopbackCluster(tmp_path_factory.mktemp("dask"))
    yield c
    c.close()


@pytest.fixture(scope="module")
def crowded_cluster(tmp_path_factory):
    """One worker grading two submissions at once: whatever kills it kills its neighbour's grading."""
    c = LoopbackCluster(tmp_path_factory.mktemp("dask-crowded"), workers=1, threads=2)
    yield c
    c.close()


def _class(folder: Path, course, n: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The first n students of the shipped class (wrong answers among them), plus ``extra``
    {student: shipped student whose notebook they hand in}; {student: the sample handed in}."""
    assignment = course.assignment(ASSIGNMENT)
    plan = sample.class_plan(course, sample.load_roster(course), assignment)
    wrong = [s for s in sorted(plan) if plan[s] not in (sample.REFERENCE, sample.BLANK)]
    chosen = (wrong[: n // 2] + [s for s in sorted(plan) if s not in wrong])[:n]
    handed = {s: plan[s] for s in chosen}
    for student, like in {**{s: s for s in chosen}, **(extra or {})}.items():
        shutil.copytree(CLASS / like / ASSIGNMENT, folder / student / ASSIGNMENT)
        handed.setdefault(student, plan[like])
    return handed


def _grade(submissions: Path, out: Path, *more: str) -> subprocess.CompletedProcess:
    return autograder("grade", ASSIGNMENT, "--submissions", submissions, "--out", out, *more, timeout=900)


def _summary(out: Path) -> dict[str, tuple]:
    return {r.student: (str(r.status), r.score, tuple(r.failed_checks())) for r in all_results(out)}


def _graded_once(out: Path, course, students) -> None:
    from nbgrader.api import Gradebook

    assert sorted(r.student for r in all_results(out)) == sorted(students)
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", course.id) as gb:
        assert len(gb.assignment_submissions(ASSIGNMENT)) == len(students)
    for student in students:  # the files came back from the workers
        assert (out / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
        assert (out / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()


def test_the_sample_class_graded_on_dask_gets_exactly_the_scores_of_local_grading(cluster, tmp_path, course):
    handed = _class(tmp_path / "class", course, 18)  # the whole shipped class of the assignment
    on_dask = _grade(tmp_path / "class", tmp_path / "dask", "--scheduler", cluster.address)
    assert on_dask.returncode == 0, on_dask.stderr[-3000:]
    local = _grade(tmp_path / "class", tmp_path / "local")
    assert local.returncode == 0, local.stderr[-3000:]
    assert _summary(tmp_path / "dask") == _summary(tmp_path / "local")
    spec = sample.load_spec(course.sample_spec_path(course.assignment(ASSIGNMENT)), ASSIGNMENT)
    for r in all_results(tmp_path / "dask"):
        assert not expectation_problem(spec, r, handed[r.student]), r.student
    _graded_once(tmp_path / "dask", course, handed)
    assert (tmp_path / "dask" / "grades.csv").read_text() == (tmp_path / "local" / "grades.csv").read_text()


def test_a_worker_killed_mid_batch_loses_no_student_and_grades_none_twice(cluster, tmp_path, course):
    handed = _class(tmp_path / "class", course, 8)
    out = tmp_path / "out"
    results = out / STATE_DIR / "results" / ASSIGNMENT
    batch = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(tmp_path / "class")]
        + ["--out", str(out), "--scheduler", cluster.address],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not list(results.glob("*.json")):
        time.sleep(0.2)
    victim = cluster.worker_processes()[0]
    os.kill(victim, signal.SIGKILL)  # in the middle of grading someone
    _, stderr = batch.communicate(timeout=900)
    assert batch.returncode == 0, stderr[-3000:]
    assert len(list(results.glob("*.json"))) == len(handed)
    _graded_once(out, course, handed)
    spec = sample.load_spec(course.sample_spec_path(course.assignment(ASSIGNMENT)), ASSIGNMENT)
    for r in all_results(out):
        assert not expectation_problem(spec, r, handed[r.student]), (r.student, r.detail)
    cluster.wait_for_workers(2)  # the nanny has started its worker again


def test_a_submission_that_kills_every_worker_it_lands_on_ends_as_grader_error(cluster, tmp_path, course):
    handed = _class(tmp_path / "class", course, 3, extra={POISON: "ali-rezaei"})
    out = tmp_path / "out"
    proc = _grade(tmp_path / "class", out, "--scheduler", cluster.address)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = {r.student: r for r in all_results(out)}
    assert sorted(summary) == sorted(handed)
    poisoned = summary.pop(POISON)
    assert poisoned.status == "grader_error" and poisoned.score == 0
    assert "killed the Dask worker each time it was tried" in poisoned.detail, poisoned.detail
    assert "alone on the cluster" in poisoned.detail, poisoned.detail
    assert poisoned.attempts == 6  # three tries beside others, three alone: never a loop
    assert all(r.status == "ok" for r in summary.values()), {s: r.detail for s, r in summary.items()}
    cluster.wait_for_workers(2)


def test_a_submission_graded_beside_one_that_kills_the_worker_each_time_still_gets_its_grade(
    crowded_cluster, tmp_path, course
):
    # Both run at once on the one worker, three times: Dask gives both up; graded again alone, the
    # innocent one gets its grade and the culprit is named.
    handed = _class(tmp_path / "class", course, 1, extra={POISON: "ali-rezaei"})
    proc = _grade(tmp_path / "class", tmp_path / "out", "--scheduler", crowded_cluster.address)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = {r.student: r for r in all_results(tmp_path / "out")}
    assert sorted(summary) == sorted(handed)
    assert summary.pop(POISON).status == "grader_error"
    spec = sample.load_spec(course.sample_spec_path(course.assignment(ASSIGNMENT)), ASSIGNMENT)
    for r in summary.values():
        assert r.status == "ok", r.detail
        assert not expectation_problem(spec, r, handed[r.student]), r.student


def test_a_client_killed_mid_batch_resumes_from_the_results_already_written(tmp_path, course):
    handed = _class(tmp_path / "class", course, 6)
    out = tmp_path / "out"
    results = out / STATE_DIR / "results" / ASSIGNMENT
    first = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(tmp_path / "class")]
        + ["--out", str(out), "--scheduler", "local:2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and len(list(results.glob("*.json"))) < 2:
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)  # the client and the LocalCluster it started
    first.wait()
    done = {p.stem: p.stat().st_mtime for p in results.glob("*.json")}
    assert 2 <= len(done) < len(handed), "kill the client while the batch is half done"
    second = _grade(tmp_path / "class", out, "--scheduler", "local:2")
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"resuming: {len(done)} of {len(handed)} already graded" in second.stderr
    for student, mtime in done.items():
        assert (results / f"{student}.json").stat().st_mtime == mtime  # not graded again
    _graded_once(out, course, handed)


def test_an_unreachable_scheduler_is_one_clear_line_and_exit_2(tmp_path, course):
    _class(tmp_path / "class", course, 1)
    proc = _grade(tmp_path / "class", tmp_path / "out", "--scheduler", f"tcp://127.0.0.1:{_free_port()}")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask scheduler" in lines[0], proc.stderr
    assert not list((tmp_path / "out").glob("autograded/*")), "nothing was graded"


@pytest.mark.parametrize("address", ["local:0", "local:two", "http://127.0.0.1:1"])
def test_a_malformed_scheduler_address_is_refused(tmp_path, course, address):
    _class(tmp_path / "class", course, 1)
    proc = _grade(tmp_path / "class", tmp_path / "out", "--scheduler", address)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
