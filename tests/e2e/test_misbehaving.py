"""Does the grader survive whatever a notebook does, and give it a clear status and zero for what
it broke, while every other student's grade stays exactly right?

Every bomb here is capped by the limits under test (course.yml's grading limits and timeouts,
lowered for this class), never by luck.
"""

import subprocess
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder import checks
from autograder.authoring import sample
from autograder.engine import sandbox
from autograder.results import all_results

from ..conftest import autograder, copy_course

ID, NB = "01-activations", "01-activations.ipynb"
# Code a student puts at the end of the RBF solution cell (it runs before most test cells).
AFTER_RBF = '    def get_config(self):\n        return {**super().get_config(), "beta_init": self.beta_init}'

BEHAVIOUR = {
    "sys-exit": "import sys\nsys.exit(3)",
    "os-exit": "import os\nos._exit(1)",
    "kills-parent": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
    "kills-group": (
        "import os, signal\ntry:\n    os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)\n"
        "except Exception as e:\n    print(e)"
    ),
    "infinite-loop": "while True:\n    pass",
    "memory-bomb": "hog = []\nwhile True:\n    hog.append(bytearray(50 * 2**20))",
    "fork-bomb": "import os, time\nfor _ in range(10000):\n    os.fork() or time.sleep(300)",
    "big-file": (
        "import os\nwith open(os.path.expanduser('~/big.bin'), 'wb') as f:\n    for _ in range(100):\n"
        "        f.write(bytes(2**20))"
    ),
    "detached-daemon": (
        "import subprocess\nsubprocess.Popen(['sleep', '613.37'], start_new_session=True,"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
    ),
    "output-flood": "import sys\nfor i in range(10**9):\n    sys.stdout.write('x' * 10000 + '\\n')",
    "network": (
        "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 80), timeout=3)\n    print('NETWORK')\n"
        "except OSError as e:\n    print('no network:', e)"
    ),
    "reads-secrets": (
        "import glob\nfound = [p for p in glob.glob('{solutions}/*/*.ipynb')"
        " if 'BEGIN SOLUTION' in open(p, errors='ignore').read()]\nprint('SECRETS', found)"
    ),
    "reads-checks": (
        "import glob, re\nfrom autograder.checks import get\nimport autograder.checks.activations as act\n"
        "files = [p for p in glob.glob('{library}/**/*.py', recursive=True)"
        " if re.search(r'(?m)^@\\w+[.]verify$', open(p, errors='ignore').read())]\n"
        "print('LIBRARY-FILES', files)\n"
        "try:\n    act.ref_flexible_sigmoid(0.0, 1.0)\n    callable_ref = True\n"
        "except RuntimeError:\n    callable_ref = False\n"
        "print('REFERENCES', get('flexible_sigmoid.forward')._verify is not None, callable_ref)"
    ),
}
LIBRARY = str(Path(checks.__file__).parent)  # the full check library: verify functions, references
SANDBOXED = sandbox.available() is None
needs_sandbox = pytest.mark.skipif(not SANDBOXED, reason=f"no sandbox here: {sandbox.available()}")


def _with(code: str):
    body = "\n".join(line for line in code.splitlines())
    return [{"cell": "rbf", "replace": AFTER_RBF, "with": AFTER_RBF + "\n\n\n" + body}]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("course"))
    config = yaml.safe_load((root / "course.yml").read_text())
    config["grading"]["limits"] = {"memory_mb": 2048, "processes": 200, "file_mb": 64, "output_mb": 1}
    entry = next(a for a in config["assignments"] if a["id"] == ID)
    entry["timeouts"] = {"cell": 20, "notebook": 90}
    (root / "course.yml").write_text(yaml.safe_dump(config, allow_unicode=True))

    from autograder import course as course_mod

    course = course_mod.load(root)
    reference = sample.submissions(course, course.assignment(ID))[sample.REFERENCE]
    submissions = tmp_path_factory.mktemp("misbehaving")
    students = {"good-1": reference, "good-2": reference}
    for name, code in BEHAVIOUR.items():
        if name == "fork-bomb" and not SANDBOXED:
            continue  # only a kernel with its own user is capped by the process limit
        code = code.replace("{solutions}", str(root / "solutions")).replace("{library}", LIBRARY)
        students[name] = sample.apply_edits(reference, _with(code), name)
    for name, nb in students.items():
        path = submissions / name / ID / NB
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    out = tmp_path_factory.mktemp("misbehaving-out")
    started = time.monotonic()
    proc = autograder("--course", root, "grade", ID, "--submissions", submissions, "--out", out, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {r.student: r for r in all_results(out)}, out, time.monotonic() - started


def outputs(out, student):
    nb = nbformat.read(out / "autograded" / student / ID / NB, as_version=4)
    return "".join(
        o.get("text", "") + o.get("ename", "") + ": " + o.get("evalue", "")
        for c in nb.cells
        for o in c.get("outputs", [])
    )


def test_every_other_student_keeps_full_marks(batch):
    results, _, _ = batch
    for good in ("good-1", "good-2"):
        assert results[good].status == "ok" and results[good].score == 22, results[good]


def test_sys_exit_is_just_an_error_in_that_cell(batch):
    results, out, _ = batch
    assert results["sys-exit"].status == "ok" and "SystemExit" in outputs(out, "sys-exit")


def test_a_kernel_that_dies_gets_kernel_died_and_zero(batch):
    r = batch[0]["os-exit"]
    assert r.status == "kernel_died" and r.score == 0 and r.detail


def test_killing_the_graders_processes_hurts_nobody(batch):
    results, out, _ = batch
    for student in ("kills-parent", "kills-group"):
        assert results[student].status in {"ok", "kernel_died"}
        if SANDBOXED:  # the kernel's own user may not signal the grader at all
            assert results[student].status == "ok", results[student].detail


def test_an_infinite_loop_is_cut_by_the_cell_limit(batch):
    results, out, _ = batch
    r = results["infinite-loop"]
    assert r.status == "timeout" and "time limit" in r.detail
    assert r.score == 22, "the loop came after the class: the checks still run and pass"


def feedback(out, student):
    return (out / "feedback" / student / ID / NB.replace(".ipynb", ".html")).read_text(encoding="utf-8")


def test_a_memory_bomb_is_capped_by_the_memory_limit_and_says_so(batch):
    results, out, _ = batch
    r = results["memory-bomb"]
    assert r.status == "memory_limit", r
    assert "more than 2048 MB of memory" in r.detail and "more than 2048 MB of memory" in feedback(out, "memory-bomb")


@needs_sandbox
def test_a_fork_bomb_is_capped_by_the_process_limit_and_says_so(batch):
    # Refused forks, or TensorFlow aborting when it cannot start a thread: either way the cap held.
    r = batch[0]["fork-bomb"]
    assert r.status == "process_limit", r
    assert "more than 200 processes and threads" in r.detail


def test_a_file_past_the_size_limit_is_cut_and_says_so(batch):
    results, out, _ = batch
    r = results["big-file"]
    assert r.status == "file_size_limit", r
    assert "larger than 64 MB" in r.detail and "larger than 64 MB" in feedback(out, "big-file")
    assert r.score == 22, "the file came after the class: the checks still run and pass"


def test_no_process_outlives_its_submission(batch):
    # the detached daemon (`sleep 613.37`) and, when sandboxed, every process of a kernel's own
    # user (the fork bomb's sleepers included) were killed
    ps = subprocess.run(["ps", "-eo", "uid=,args="], capture_output=True, text=True).stdout
    assert "sleep 613.37" not in ps
    kernel_users = [
        line
        for line in ps.splitlines()
        if sandbox.KERNEL_UID_BASE <= int(line.split()[0]) < sandbox.KERNEL_UID_BASE + 1000
    ]
    assert not kernel_users, kernel_users


def test_an_output_flood_is_cut_while_it_streams(batch):
    results, out, _ = batch
    r = results["output-flood"]
    assert r.status == "output_limit" and "output limit" in r.detail
    assert r.score == 22, "the flood came after the class: the checks still run and pass"
    size = (out / "autograded" / "output-flood" / ID / NB).stat().st_size
    assert size < 3 * 2**20, "the notebook kept more than the 1 MB output cap"
    assert "output cut" in outputs(out, "output-flood")


@needs_sandbox
def test_student_code_has_no_network(batch):
    text = outputs(batch[1], "network")
    assert "NETWORK" not in text and "no network" in text


@needs_sandbox
def test_student_code_cannot_read_the_solutions(batch):
    found = [
        line.split("SECRETS", 1)[1].strip()
        for line in outputs(batch[1], "reads-secrets").splitlines()
        if "SECRETS" in line
    ]
    assert found == ["[]"]  # it ran, and found no solution notebook


def test_student_code_can_neither_call_nor_see_the_checks_verdicts_or_references(batch):
    text = outputs(batch[1], "reads-checks")
    assert "REFERENCES False False" in text  # the kernel has the probe edition only


@needs_sandbox
def test_student_code_cannot_read_the_full_check_library(batch):
    assert "LIBRARY-FILES []" in outputs(batch[1], "reads-checks")


def test_the_batch_took_bounded_time(batch):
    _, _, seconds = batch
    assert seconds < 900
