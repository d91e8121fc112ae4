"""Where does each setting come from, and what environment does a graded kernel get?"""

import json
from pathlib import Path

import autograder
from autograder import settings
from autograder.checks import _core, _edition
from autograder.engine.job import Job
from autograder.engine.sandbox import KERNEL_UID_BASE


def job(**kw):
    return Job(
        course_id="c",
        assignment_id="01",
        notebook="01.ipynb",
        student="ana",
        submission_dir="/s",
        template="/t",
        workdir="/tmp/autograder-work-0/01-ana-x",
        cell_timeout=60,
        notebook_timeout=600,
        **kw,
    )


def test_the_variables_a_kernel_reads_are_the_ones_the_grader_sets():
    # the kernel sees only autograder/__init__.py and the check library: the names live there
    assert settings.GRADING == autograder.GRADING_ENV
    assert settings.RECORD_DIR == _core.RECORD_DIR_ENV and settings.CHECKS_EDITION == _edition.EDITION_ENV
    names = [v for k, v in vars(settings).items() if k.isupper() and not k.endswith("_ENV") and isinstance(v, str)]
    assert all(n.startswith("AUTOGRADER_") for n in names) and len(set(names)) == len(names)


def test_a_graded_kernel_is_quiet_deterministic_and_has_a_home_of_its_own():
    work = Path("/tmp/job")
    env = settings.kernel_environment(work, work / "records", work / "checks", {"memory_mb": 512})
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "3" and env["PYTHONHASHSEED"] == "0" and env[settings.GRADING] == "1"
    assert json.loads(env[settings.LIMITS]) == {"memory_mb": 512} and settings.SANDBOX not in env
    homes = [
        env[k]
        for k in (
            "HOME",
            "KERAS_HOME",
            "MPLCONFIGDIR",
            "IPYTHONDIR",
            "JUPYTER_CONFIG_DIR",
            "JUPYTER_DATA_DIR",
            "JUPYTER_RUNTIME_DIR",
        )
    ]
    assert all(h.startswith("/tmp/job/home") for h in homes)


def test_a_sandboxed_job_names_its_writable_folders_home_last_and_its_own_uid():
    j = job(sandbox=True)
    plan = j.sandbox_plan(Path("/w/records"), Path("/w/checks"))
    assert plan["writable"] == ["/w/records", f"{j.workdir}/home"] and plan["readonly"] == ["/w/checks"]
    assert KERNEL_UID_BASE <= plan["uid"] < KERNEL_UID_BASE + 1000 and plan["stage"] == f"{j.workdir}/root"
    assert job().sandbox_plan(Path("/r"), Path("/c")) is None
    assert Job.from_json(j.to_json()) == j
