"""Does every command explain itself, and do exit codes mean what the README says?"""

import shutil

import pytest

from ..conftest import ROOT, autograder, sample_notebook


def commands() -> list[str]:
    from autograder.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return sorted(sub.choices)


def test_the_commands_are_the_ones_the_readme_documents():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert {"release", "grade", "check", "demo", "bundle", "lab", "report", "grades", "import", "export"} <= set(
        commands()
    )
    assert [c for c in commands() if f"autograder {c}" not in readme] == []


@pytest.mark.parametrize("command", ["", *commands()])
def test_every_command_has_help(command):
    proc = autograder(*([command] if command else []), "--help")
    assert proc.returncode == 0 and "usage: autograder" in proc.stdout


def test_python_dash_m_and_console_script_are_the_same_program():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "autograder"
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout == autograder("--version").stdout


def test_unknown_assignment_is_a_usage_error():
    proc = autograder("grade", "99-nope", "--submissions", ROOT / "examples" / "class")
    assert proc.returncode == 2 and "no assignment '99-nope'" in proc.stderr


def test_missing_submissions_folder_is_a_usage_error(tmp_path):
    proc = autograder("grade", "01-activations", "--submissions", tmp_path / "nowhere", "--out", tmp_path / "o")
    assert proc.returncode == 2 and "no such folder" in proc.stderr


def test_check_a_notebook_that_is_not_part_of_the_course(tmp_path):
    other = tmp_path / "other.ipynb"
    shutil.copy(ROOT / "assignments" / "01-activations" / "01-activations.ipynb", other)
    proc = autograder("--course", ROOT, "check", other)
    assert proc.returncode == 2 and "not a notebook of this course" in proc.stderr


def test_check_gives_the_reference_full_marks_and_exit_0(tmp_path):
    notebook = tmp_path / "01-activations.ipynb"
    shutil.copy(sample_notebook("01-activations", "reference"), notebook)
    proc = autograder("--course", ROOT, "check", notebook)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "01-activations: 22 / 22 autograded points" in proc.stdout
    assert "✔  flexible_sigmoid.stable" in proc.stdout  # hidden checks run too


def test_check_on_the_source_notebook_is_full_marks():
    proc = autograder("check", ROOT / "solutions" / "01-activations" / "01-activations.ipynb")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_gives_the_blank_release_zero_and_exit_1():
    proc = autograder("check", ROOT / "assignments" / "01-activations" / "01-activations.ipynb")
    assert proc.returncode == 1
    assert "01-activations: 0 / 22 autograded points" in proc.stdout
    assert "NotImplementedError" in proc.stdout  # says why: the solution is not written yet
