"""Does `autograder lab` set up a JupyterLab workspace that nbgrader's Validate and Assignment
List work in, and do Validate and `autograder check` agree, as each notebook's first cell says?

The browser itself is driven in test_browser.py; these tests run nbgrader's own apps in the
workspace `autograder lab` writes, with the environment it gives JupyterLab.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import lab

from ..conftest import ROOT, autograder, sample_notebook, tree

RELEASE = ROOT / "assignments" / "01-activations" / "01-activations.ipynb"


def visible_checks(notebook) -> list[str]:
    """The check ids a release's test cells call where the student sees them (not hidden)."""
    nb = nbformat.read(notebook, as_version=4)
    return [
        c.source.split('"')[1]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.source.startswith("check(")
    ]


def nbgrader(*args, cwd, env, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def workspace(course, tmp_path_factory):
    folder = tmp_path_factory.mktemp("lab") / "workspace"
    assert lab.prepare(course, folder) == lab.STUDENT
    return folder


def test_the_workspace_releases_every_assignment_byte_for_byte_into_nbgrader_s_exchange(course, workspace):
    env = lab.environment(course, workspace)
    listed = nbgrader("list", cwd=workspace, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    ids = [a.id for a in course.assignments]
    assert len(ids) == 11
    for assignment_id in ids:  # nbgrader's own lister, reading the workspace's nbgrader_config.py
        assert f"{course.id} {assignment_id}" in listed.stdout + listed.stderr
    outbound = workspace / ".nbgrader" / "exchange" / course.id / "outbound"
    for assignment_id in ids:
        assert tree(outbound / assignment_id) == tree(ROOT / "assignments" / assignment_id)


def test_validate_and_autograder_check_agree_on_the_reference_and_the_blank_release(course, workspace):
    """The "how to check your work" cell promises: Validate and `autograder check` give the same verdict."""
    env = lab.environment(course, workspace)
    verdicts = {}
    for name, source in {"reference": sample_notebook("01-activations", "reference"), "blank": RELEASE}.items():
        notebook = workspace / name / "01-activations.ipynb"
        notebook.parent.mkdir(exist_ok=True)
        shutil.copy(source, notebook)
        validated = nbgrader("validate", notebook, cwd=workspace, env=env)
        # As the cell says, in a JupyterLab terminal: `autograder` found on its PATH, in the notebook's folder.
        checked = subprocess.run(
            ["autograder", "check", notebook.name],
            cwd=notebook.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        verdicts[name] = validated.stdout, checked
    validated, checked = verdicts["reference"]
    assert "Success! Your notebook passes all the tests." in validated
    assert checked.returncode == 0 and "01-activations: 22 / 22 autograded points" in checked.stdout

    validated, checked = verdicts["blank"]
    failing = visible_checks(RELEASE)
    assert len(failing) == 15  # 17 checks, 2 hidden (the release does not hold their code)
    assert f"VALIDATION FAILED ON {len(failing)} CELL(S)!" in validated
    for check_id in failing:
        assert f'check("{check_id}"' in validated
    assert checked.returncode == 1 and "01-activations: 0 / 22 autograded points" in checked.stdout


def test_a_second_run_keeps_the_student_s_fetched_work(course, workspace):
    fetched = workspace / "01-activations" / "01-activations.ipynb"
    fetched.parent.mkdir(exist_ok=True)
    fetched.write_text("my answers", encoding="utf-8")
    assert lab.prepare(course, workspace) == lab.STUDENT
    assert fetched.read_text(encoding="utf-8") == "my answers"


def test_lab_refuses_a_folder_it_did_not_write_and_writes_nothing(tmp_path):
    (tmp_path / "thesis.tex").write_text("years of work", encoding="utf-8")
    before = tree(tmp_path)
    proc = autograder("--course", ROOT, "lab", "--dir", tmp_path, "--no-browser")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "neither a workspace of `autograder lab`" in proc.stderr
    assert tree(tmp_path) == before


def test_lab_rejects_a_port_out_of_range(tmp_path):
    proc = autograder("--course", ROOT, "lab", "--dir", tmp_path / "ws", "--port", "70000", "--no-browser")
    assert proc.returncode == 2 and "--port 70000" in proc.stderr
    assert not (tmp_path / "ws").exists()


def test_a_graded_course_folder_opens_as_formgrader_without_an_exchange_warning(course, tmp_path):
    from autograder import nbgrader_run

    nbgrader_run.write_config_file(tmp_path, course.id)
    (tmp_path / nbgrader_run.GRADEBOOK).write_bytes(b"")
    assert lab.prepare(course, tmp_path) == lab.GRADER
    page = (tmp_path / ".jupyter" / "labconfig" / "page_config.json").read_text()
    assert "@jupyter/nbgrader:assignment-list" in page and "formgrader" not in page
    assert (tmp_path / ".nbgrader" / "exchange").is_dir()
