"""Where a setting comes from: course.yml (:mod:`autograder.course`), the command line
(:mod:`autograder.cli`), or one of the environment variables below — and the one environment
every graded kernel gets (:func:`kernel_environment`).

Three variables are defined where a graded kernel can read them, since it sees only the
package's ``__init__`` and the check library (:func:`autograder.engine.sandbox.package_view`):
``GRADING`` in ``autograder/__init__.py``, ``RECORD_DIR`` and ``CHECKS_EDITION`` in the check
library. They are listed here all the same.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import GRADING_ENV
from .checks._core import RECORD_DIR_ENV
from .checks._edition import EDITION_ENV

# --- set by people
COURSE = "AUTOGRADER_COURSE"  # the course folder (default: the nearest parent with course.yml)
NO_SANDBOX = "AUTOGRADER_NO_SANDBOX"  # any value: kernels run without the sandbox (limits still apply)
KEEP_WORK = "AUTOGRADER_KEEP_WORK"  # any value: keep each job's folder, to debug the grader itself

# --- set by the grader for its own processes
GRADING = GRADING_ENV  # "1" in a graded kernel: autograder.grading_mode() is true
RECORD_DIR = RECORD_DIR_ENV  # where a graded kernel's checks save their records
CHECKS_EDITION = EDITION_ENV  # the folder of the probe edition a graded kernel loads
LIMITS = "AUTOGRADER_LIMITS"  # JSON: the kernel's rlimits (autograder.engine.limits)
SANDBOX = "AUTOGRADER_SANDBOX"  # JSON: what the kernel's file system holds (autograder.engine.sandbox)
TIMING_FILE = "AUTOGRADER_TIMING_FILE"  # where the worker's Execute writes the seconds spent in cells
# --- fault injection, for the tests of grading on Dask (autograder.engine.cluster)
FAULT_KILL_WORKER = "AUTOGRADER_FAULT_KILL_WORKER"  # a student: a Dask worker that gets their task dies (SIGKILL)

# Every kernel of the course (graded, Validate, JupyterLab): TensorFlow's C++ logs go to stderr,
# and nbgrader gives a test cell that writes to stderr 0; oneDNN off also makes CPU results
# independent of its blocking.
QUIET_TENSORFLOW = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
# Graded kernels, and the zygote they are forked from (Python and TensorFlow read these when
# they start, so the zygote must have them in its own environment): deterministic, quiet, no GUI.
GRADED = {**QUIET_TENSORFLOW, "PYTHONHASHSEED": "0", "PYTHONWARNINGS": "ignore", "MPLBACKEND": "Agg"}


def is_set(name: str) -> bool:
    return bool(os.environ.get(name))


def kernel_environment(
    workdir: Path, records: Path, edition: Path, limits: dict, sandbox_plan: dict | None = None
) -> dict[str, str]:
    """The environment of one graded kernel.

    Args:
        workdir: the job's folder; the kernel's private home is ``workdir/home``.
        records: where its checks save their records.
        edition: the folder of the probe edition it loads.
        limits: its rlimits (:func:`autograder.engine.limits.apply_kernel_limits`).
        sandbox_plan: what its file system holds besides Python and the system's libraries
            (:func:`autograder.engine.kernel.restrict`); None: no sandbox.
    """
    home = Path(workdir) / "home"
    env = {
        **GRADED,
        GRADING: "1",
        RECORD_DIR: str(records),
        CHECKS_EDITION: str(edition),
        LIMITS: json.dumps(limits),
        # Kernels write to ~/.keras, ~/.ipython, ~/.jupyter, ~/.cache/matplotlib: a home of their own.
        "HOME": str(home),
        "KERAS_HOME": str(home / "keras"),
        "MPLCONFIGDIR": str(home / "matplotlib"),
        "IPYTHONDIR": str(home / "ipython"),
        "JUPYTER_CONFIG_DIR": str(home / "jupyter_config"),
        "JUPYTER_DATA_DIR": str(home / "jupyter_data"),
        "JUPYTER_RUNTIME_DIR": str(home / "jupyter_runtime"),
    }
    if sandbox_plan is not None:
        env[SANDBOX] = json.dumps(sandbox_plan)
    return env
