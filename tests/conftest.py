"""Shared fixtures. Everything here is real: TensorFlow, nbgrader, Jupyter kernels.

The layers: ``tests/unit`` (in-process, no kernel, seconds), ``tests/checks`` (the check library
in-process with real TensorFlow), ``tests/e2e`` (real kernels, real nbgrader, the CLI; marked
``e2e``, so ``pytest -m "not e2e"`` is the quick loop).

Kernels and Keras write to ~/.keras, ~/.ipython, ~/.jupyter and ~/.cache/matplotlib; the
suite points all of them at a temporary folder, before any kernel or import can use them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_HOME = Path(tempfile.mkdtemp(prefix="autograder-tests-home-"))
for name, sub in {
    "KERAS_HOME": "keras",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib",
    "JUPYTER_CONFIG_DIR": "jupyter/config",
    "JUPYTER_DATA_DIR": "jupyter/data",
    "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
}.items():
    os.environ[name] = str(_HOME / sub)
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["MPLBACKEND"] = "Agg"
os.environ.pop("AUTOGRADER_COURSE", None)
# nbgrader runs `alembic` by name: make the venv's scripts findable even if not activated.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


def autograder(*args: str, cwd: Path = ROOT, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess, as a person would."""
    return subprocess.run(
        [sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def copy_course(target: Path) -> Path:
    """A private copy of the course's files, so a test never writes into the repository."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "course.yml", target / "course.yml")
    for folder in ("solutions", "assignments", "assignments-fa", "examples", "datasets"):
        if (ROOT / folder).is_dir():
            shutil.copytree(
                ROOT / folder, target / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
            )
    return target


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes, by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


_SAMPLES = _HOME / "samples"


def samples() -> Path:
    """Every sample notebook of every assignment — ``reference``, ``blank`` and each wrong answer
    of examples/<id>.yml by its id — written once per test session in nbgrader's submitted
    layout, ``samples()/<sample>/<assignment>/<notebook>``. (The shipped examples/class is a
    roster of people; tests that need one particular mistake take it from here.)"""
    if not _SAMPLES.is_dir():
        from autograder import course as course_mod
        from autograder.authoring import sample

        course = course_mod.load(ROOT)
        scratch = Path(tempfile.mkdtemp(dir=_HOME))
        for assignment in course.assignments:
            sample.write_submissions(course, assignment, scratch)
        scratch.rename(_SAMPLES)
    return _SAMPLES


def sample_notebook(assignment_id: str, name: str) -> Path:
    """One sample's notebook (see :func:`samples`)."""
    return samples() / name / assignment_id / f"{assignment_id}.ipynb"


@pytest.fixture(scope="session")
def course():
    from autograder import course as course_mod

    return course_mod.load(ROOT)


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The README's demo, run once: release + grade the whole sample class through the CLI."""
    root = copy_course(tmp_path_factory.mktemp("course"))
    out = tmp_path_factory.mktemp("demo-out")
    proc = autograder("--course", root, "demo", "--out", out)
    return proc, out


def pytest_collection_modifyitems(config, items):
    e2e = ROOT / "tests" / "e2e"
    for item in items:
        if e2e in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_HOME, ignore_errors=True)
