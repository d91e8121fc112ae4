"""Does a graded kernel see only its allowlist, however hard it looks?

Before grading, decoys are placed where a real instructor's machine has them: a full copy of the
course's solutions in a fresh folder under /tmp, another under $HOME, another beside the course
checkout, and a world-readable gradebook.db of "another course" in a fourth place. A graded
notebook then walks / and reads every file it can, tries to create a file in every folder it
finds, and, like the cheat this sandbox exists for, runs the solution cells of any solution
notebook it finds. It must find nothing, write nowhere but its own folders, and gain nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from pathlib import Path

import nbformat
import pytest

from autograder.engine import sandbox
from autograder.engine.batch import work_base
from autograder.results import all_results

from ..conftest import ROOT, autograder, copy_course

ID, NB = "01-activations", "01-activations.ipynb"
SANDBOXED = sandbox.available() is None
pytestmark = pytest.mark.skipif(not SANDBOXED, reason=f"no sandbox here: {sandbox.available()}")
TOKEN = uuid.uuid4().hex  # written into every decoy; the notebook holds it only in two halves

# Runs in the graded kernel, first thing in the notebook. Strings it looks for are assembled at
# run time: its own notebook (which it can read, in its working folder) must not match them.
WALKER = """
import hashlib, json, os, stat, time
needle_solution = ("BEGIN " + "SOLUTION").encode()
needle_token = ("{head}" + "{tail}").encode()
started, files, writable, found_token, found_solution, gradebooks, checks = time.monotonic(), {{}}, [], [], [], [], {{}}
for folder, dirs, names in os.walk("/"):
    if folder in ("/proc", "/sys", "/dev"):
        dirs[:] = []
        continue
    probe = os.path.join(folder, ".written-by-student")
    try:
        with open(probe, "x"):
            pass
        os.remove(probe)
        writable.append(folder)
    except OSError:
        pass
    for name in names:
        path = os.path.join(folder, name)
        try:
            real = os.path.realpath(path)
            if not stat.S_ISREG(os.stat(real).st_mode):
                continue
            with open(real, "rb") as f:
                data = f.read(2**18)
        except OSError:
            continue
        files.setdefault(os.path.dirname(real), []).append(os.path.basename(real))
        if needle_token in data:
            found_token.append(real)
        if needle_solution in data:
            found_solution.append(real)
        if name == "gradebook.db":
            gradebooks.append(real)
        if "/autograder/checks/" in real and real.endswith(".py"):
            checks[real] = hashlib.sha256(open(real, "rb").read()).hexdigest()
    if time.monotonic() - started > {seconds} or sum(map(len, files.values())) > {most}:
        break
others = [p for p in os.listdir("/proc") if p.isdigit() and os.stat("/proc/" + p).st_uid != os.getuid()]
with open("seen.json", "w") as f:
    json.dump({{"files": files, "writable": writable, "token": found_token, "solution": found_solution,
               "gradebooks": gradebooks, "checks": checks, "uid": os.getuid(), "home": os.path.expanduser("~"),
               "others_in_proc": others, "seconds": time.monotonic() - started, "cwd": os.getcwd()}}, f)
for path in found_solution:  # the cheat: define the graded classes from a solution notebook
    try:
        for cell in json.load(open(path))["cells"]:
            if needle_solution.decode() in "".join(cell["source"]):
                exec("".join(cell["source"]), globals())
    except Exception:
        pass
print("WALKED", sum(map(len, files.values())), "files;", len(found_solution), "with solutions")
"""


@pytest.fixture(scope="module")
def decoys():
    """Solution copies and another course's gradebook where the old denylist never looked."""
    name = f"autograder-decoy-{TOKEN[:8]}"
    fourth = next(Path(p) for p in ("/srv", "/opt", "/var/tmp") if Path(p).is_dir())
    places = {"tmp": Path("/tmp") / name, "home": Path.home() / name, "beside-checkout": ROOT.parent / name}
    made = []
    for folder in places.values():
        shutil.copytree(ROOT / "solutions", folder / "solutions", symlinks=True)
        (folder / "TOKEN.txt").write_text(TOKEN)
        made.append(folder)
    gradebook = fourth / name / "gradebook.db"
    gradebook.parent.mkdir()
    made.append(gradebook.parent)
    with sqlite3.connect(gradebook) as db:
        db.execute("CREATE TABLE grade (student TEXT, score REAL, note TEXT)")
        db.execute("INSERT INTO grade VALUES ('someone-else', 17.5, ?)", (TOKEN,))
    for path in [gradebook, gradebook.parent]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    places["gradebook"] = gradebook
    yield places
    for folder in made:
        shutil.rmtree(folder, ignore_errors=True)


def _as_another_user(paths: list[Path]) -> list[bool]:
    """Whether an unprivileged user (a kernel's uid, outside any sandbox) can read each path."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            os.setgroups([])
            os.setgid(sandbox.KERNEL_UID_BASE + 998)
            os.setuid(sandbox.KERNEL_UID_BASE + 998)
            os.write(write, json.dumps([os.access(p, os.R_OK) for p in paths]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        answer = f.read()
    os.waitpid(pid, 0)
    return json.loads(answer)


@pytest.fixture(scope="module", params=["warm", "cold"])
def walked(decoys, tmp_path_factory, request):
    """The walker graded by a kernel forked from the zygote (warm), or started afresh (cold)."""
    root = copy_course(tmp_path_factory.mktemp("course"))
    import yaml

    config = yaml.safe_load((root / "course.yml").read_text())
    entry = next(a for a in config["assignments"] if a["id"] == ID)
    entry["timeouts"] = {"cell": 300, "notebook": 600}
    (root / "course.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    release = nbformat.read(ROOT / "assignments" / ID / NB, as_version=4)
    cell = next(c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "flexible_sigmoid")
    cell.source = WALKER.format(head=TOKEN[:16], tail=TOKEN[16:], seconds=240, most=400_000) + "\n" + cell.source
    submissions = tmp_path_factory.mktemp("walkers")
    path = submissions / "walker" / ID / NB
    path.parent.mkdir(parents=True)
    nbformat.write(release, path)
    out = tmp_path_factory.mktemp("walker-out")
    cold = ["--cold"] if request.param == "cold" else []
    proc = autograder("--course", root, "grade", ID, "--submissions", submissions, "--out", out, *cold, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = {r.student: r for r in all_results(out)}["walker"]
    assert result.warm == (request.param == "warm"), "graded the other way than asked"
    seen = json.loads((out / "autograded" / "walker" / ID / "seen.json").read_text())
    return result, seen, out


def test_the_decoys_are_there_for_anyone_outside_the_sandbox(decoys):
    # The control: without the sandbox, any user of the machine reads these (not $HOME's: /root is 700).
    outside_home = [decoys["tmp"] / "TOKEN.txt", decoys["beside-checkout"] / "TOKEN.txt", decoys["gradebook"]]
    assert _as_another_user(outside_home) == [True, True, True]


def test_the_walk_ran_and_read_python_and_the_system(walked):
    _, seen, _ = walked
    assert sum(map(len, seen["files"].values())) > 1000, seen["files"]
    import sysconfig

    assert any(_inside(d, [os.path.realpath(sysconfig.get_path("purelib"))]) for d in seen["files"])
    assert seen["uid"] >= sandbox.KERNEL_UID_BASE


def test_no_decoy_solution_or_gradebook_is_found(walked):
    _, seen, _ = walked
    assert seen["token"] == []
    assert seen["solution"] == []
    assert seen["gradebooks"] == []


def test_the_walker_gains_nothing(walked):
    result, _, _ = walked
    assert result.status == "ok", result.detail
    assert result.score == 0


def _inside(path: str, prefixes) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def test_every_readable_file_is_on_the_allowlist(walked):
    _, seen, _ = walked
    files = [os.path.join(folder, name) for folder, names in seen["files"].items() for name in names]
    job = str(Path(seen["cwd"]).parents[2])  # <job>/autograded/<student>/<assignment>
    python = [os.path.realpath(p) for p in sandbox.python_paths()]
    system = [os.path.realpath(p) for p in sandbox.system_paths()] + python
    etc = [f"/etc/{name}" for name in (*sandbox.ETC, "passwd", "group", "hosts")]
    package = [str(ROOT / "autograder" / "__init__.py"), str(ROOT / "autograder" / "checks")]  # the probe edition
    outside = [f for f in files if not _inside(f, [*system, *etc, *package, "/tmp", "/dev/shm", job])]
    assert outside == [], outside[:20]  # (the private /tmp holds the job's own folders)
    # and so nothing of the host's /tmp, of the other places people keep courses, or of the
    # checkout but its Python environment and the package's view
    for place in ("/home", "/srv", "/mnt", "/opt", "/var", "/media", str(work_base())):
        assert not [f for f in files if _inside(f, [place]) and not _inside(f, [*system, job])], place
    checkout = [f for f in files if _inside(f, [str(ROOT)])]
    assert checkout and all(_inside(f, [*package, *python]) for f in checkout), checkout[:10]
    assert all(_inside(f, python) for f in files if _inside(f, ["/root"]))


def test_the_check_library_the_kernel_can_read_is_the_probe_edition(walked):
    _, seen, out = walked
    edition = out / ".autograder" / "template" / ID / "checks"
    expected = {str(p.relative_to(edition)): hashlib.sha256(p.read_bytes()).hexdigest() for p in edition.rglob("*.py")}
    assert seen["checks"], "the walk did not reach the check library"
    for path, digest in seen["checks"].items():
        inside = path.split("/autograder/checks/", 1)[1]
        assert expected.get(inside) == digest, f"{path} is not the probe edition"


def test_the_kernel_writes_only_in_its_own_folders(walked):
    _, seen, _ = walked
    job = Path(seen["cwd"]).parents[2]
    own = [seen["cwd"], seen["home"], str(job / "records"), "/tmp", "/dev/shm"]
    assert seen["writable"], "it could not even write in its working folder"
    assert [d for d in seen["writable"] if not _inside(d, own)] == []
    assert _inside(seen["cwd"], seen["writable"]) and "/tmp" in seen["writable"]


def test_the_kernel_sees_no_process_of_another_user(walked):
    _, seen, _ = walked
    assert seen["others_in_proc"] == []
