"""Can a student work from `autograder bundle ID` alone, and does the bundle give away nothing:
no solution code, no hidden checks or their inputs, no reference implementations?"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import course as course_mod
from autograder.authoring import sample
from autograder.checks import check_ids_in, registry
from autograder.checks._core import RECORDED

from ..conftest import ROOT, autograder

IDS = tuple(a.id for a in course_mod.load(ROOT).assignments)


@pytest.fixture(scope="session")
def bundles(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundles")
    made = {}

    def get(assignment_id: str) -> tuple[Path, str]:
        if assignment_id not in made:
            target = folder / f"{assignment_id}.zip"
            proc = autograder("bundle", assignment_id, "-o", target, timeout=600)
            assert proc.returncode == 0, proc.stderr[-3000:]
            unpacked = folder / assignment_id
            with zipfile.ZipFile(target) as zf:
                zf.extractall(unpacked)
            made[assignment_id] = (unpacked / assignment_id, proc.stdout)
        return made[assignment_id]

    return get


def texts(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8", errors="ignore")
        for p in folder.rglob("*")
        if p.is_file() and p.suffix != ".npz"
    }


def solution_lines(assignment_id: str) -> set[str]:
    """The distinctive lines of the reference solution (between BEGIN and END SOLUTION): long
    computations (an assignment or a return), and not also in the release itself or in the
    probes every graded kernel gets."""
    from autograder.checks._edition import write_package

    nb = nbformat.read(ROOT / "solutions" / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    probes = Path(tempfile.mkdtemp(prefix="probe-edition-"))
    write_package(probes)
    release = nbformat.read(ROOT / "assignments" / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    public = "\n".join([*texts(probes).values(), *(c.source for c in release.cells)])
    lines = set()
    for cell in nb.cells:
        for region in re.findall(r"### BEGIN SOLUTION(.*?)### END SOLUTION", cell.source, re.S):
            lines |= {
                line.strip()
                for line in region.splitlines()
                if len(line.strip()) >= 24
                and ("=" in line or "return " in line)
                and not line.strip().startswith("#")
                and line.strip() not in public
            }
    return lines


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_bundle_holds_no_solution_code(bundles, assignment_id):
    folder, _ = bundles(assignment_id)
    everything = texts(folder)
    # Failure messages may quote an API call (`compile(..., loss="...")`): they are meant to be read.
    messages = "\n".join(
        node.value
        for path, text in everything.items()
        if path.endswith(".py")
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )
    leaked = [
        line
        for line in solution_lines(assignment_id)
        if line in "\n".join(everything.values()) and line not in messages
    ]
    assert solution_lines(assignment_id) and not leaked, leaked[:5]


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_bundle_holds_no_hidden_check(bundles, assignment_id):
    folder, _ = bundles(assignment_id)
    everything = "\n".join(texts(folder).values())
    source = nbformat.read(ROOT / "solutions" / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    ids = {i for c in source.cells if c.cell_type == "code" for i in check_ids_in(c.source)}
    hidden = [c for i, c in registry().items() if i in ids and c.hidden]
    library = "\n".join(texts(folder / "autograder").values())
    for spec in hidden:  # the release announces a hidden check in words; nothing more of it ships
        assert spec.id not in everything and spec.title not in library, spec.id
    assert "HIDDEN TESTS" not in everything


@pytest.mark.parametrize("assignment_id", IDS)
def test_every_reference_in_the_bundle_is_a_table_lookup(bundles, assignment_id):
    folder, _ = bundles(assignment_id)
    from autograder.checks._edition import defines_checks

    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in (folder / "autograder" / "checks").rglob("*.py")]
    tree = ast.Module([node for t in trees if defines_checks(t) for node in t.body], [])  # the check modules
    topics = [p.name for p in (folder / "autograder" / "checks").iterdir() if p.is_dir() and p.name != "references"]
    assert len(topics) == 1  # the assignment's own checks, no other topic's
    references = [f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name.startswith("ref_")]
    for function in references:
        assert "_references.lookup" in ast.unparse(function), ast.unparse(function)[:300]
    verifies_left = sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        for d in node.decorator_list
        if isinstance(d, ast.Attribute) and d.attr == "verify"
    )
    assert verifies_left > 0  # the visible checks still give verdicts here


# --------------------------------------------------------------------------- running it


@pytest.fixture(scope="session")
def fresh_python(tmp_path_factory):
    """A new virtual environment that has the course's third-party packages but not the course:
    `autograder` can come only from the bundle."""
    env = tmp_path_factory.mktemp("fresh-env")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # A path line, not a site dir: the .pth files in it (the course's editable install) are not run.
    Path(site, "course-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = subprocess.run([python, "-c", "import autograder"], capture_output=True, text=True, cwd=env)
    assert probe.returncode != 0, "the fresh environment can import the course's own package"
    kernels = env / "share" / "jupyter" / "kernels" / "fresh"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "fresh",
                "language": "python",
                # Shortened demonstrations (the checks are the same), and quiet TensorFlow.
                "env": {"AUTOGRADER_GRADING": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"},
            }
        )
    )
    return env / "share" / "jupyter"


def run_in_bundle(folder: Path, nb, jupyter_path: Path, monkeypatch) -> dict[str, str]:
    """Execute ``nb`` in the bundle's folder with the fresh kernel; check id -> what it printed."""
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))
    NotebookClient(
        nb, kernel_name="fresh", timeout=300, allow_errors=True, resources={"metadata": {"path": str(folder)}}
    ).execute()
    said = {}
    for cell in nb.cells:
        for check_id in check_ids_in(cell.source) if cell.cell_type == "code" else []:
            said[check_id] = "".join(o.get("text", "") + "".join(o.get("traceback", [])) for o in cell.outputs)
    return said


def passed(text: str, check_id: str) -> bool:
    return f"✔ {check_id} " in text


def test_the_reference_passes_every_visible_check_from_the_bundle_alone(bundles, fresh_python, monkeypatch):
    folder, _ = bundles("01-activations")
    release = nbformat.read(folder / "01-activations.ipynb", as_version=4)
    source = nbformat.read(ROOT / "solutions" / "01-activations" / "01-activations.ipynb", as_version=4)
    said = run_in_bundle(folder, sample.filled_in(source, release), fresh_python, monkeypatch)
    assert len(said) == 15  # 17 checks, 2 hidden
    assert all(passed(text, i) for i, text in said.items()), said


def test_the_blank_release_fails_every_visible_check_with_a_message(bundles, fresh_python, monkeypatch):
    folder, _ = bundles("01-activations")
    blank = nbformat.read(folder / "01-activations.ipynb", as_version=4)
    said = run_in_bundle(folder, blank, fresh_python, monkeypatch)
    assert said and not any(passed(text, i) for i, text in said.items())
    # A verdict naming the check, or (where the blank release defines no class at all) Python's own
    # NameError for the student's missing object: never a traceback into the check library.
    unclear = {i: t for i, t in said.items() if f"✘ {i}" not in t and "NameError" not in t}
    assert not unclear, unclear


def test_a_wrong_answer_fails_the_same_visible_checks_as_when_graded(bundles, fresh_python, monkeypatch, course):
    folder, _ = bundles("01-activations")
    assignment = course.assignment("01-activations")
    spec = sample.load_spec(course.sample_spec_path(assignment), assignment.id)
    wrong = next(w for w in spec.wrong_answers if w.student == "forgot-abs")
    release = nbformat.read(folder / "01-activations.ipynb", as_version=4)
    source = nbformat.read(course.source_notebook(assignment), as_version=4)
    nb = sample.apply_edits(sample.filled_in(source, release), wrong.edits, wrong.student)
    said = run_in_bundle(folder, nb, fresh_python, monkeypatch)
    failed = sorted(i for i, text in said.items() if not passed(text, i))
    assert failed == sorted(i for i in wrong.fails if i in said)
    assert "|a|" in said["flexible_sigmoid.forward"]


def test_data_ships_with_the_bundle_and_checks_that_need_the_grader_say_so(bundles, fresh_python, monkeypatch):
    folder, printed = bundles("05-feedforward")
    assert "autoencoder.training" in printed  # its reference is computed from the student's outputs
    release = nbformat.read(folder / "05-feedforward.ipynb", as_version=4)
    source = nbformat.read(ROOT / "solutions" / "05-feedforward" / "05-feedforward.ipynb", as_version=4)
    said = run_in_bundle(folder, sample.filled_in(source, release), fresh_python, monkeypatch)
    assert "only the grader has" in said["autoencoder.training"] and RECORDED not in said["autoencoder.training"]
    assert all(passed(text, i) for i, text in said.items() if i != "autoencoder.training"), said
    recurrent, _ = bundles("02-recurrent")
    assert list((recurrent / "datasets" / "sunspots").glob("*.csv"))
