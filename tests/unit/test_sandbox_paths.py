"""What goes into a kernel's file system (the allowlist's parts; tests/e2e/test_sandbox.py walks
a real confined kernel)."""

import sys
import sysconfig
from pathlib import Path

import autograder
from autograder.engine import sandbox


def test_the_loader_paths_follow_includes(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text("# multiarch\n/usr/lib/x86_64-linux-gnu\n")
    (tmp_path / "ld.so.conf").write_text(f"include {tmp_path}/conf.d/*.conf\n/usr/local/lib  # local\n")
    assert sandbox._loader_paths(str(tmp_path / "ld.so.conf")) == ["/usr/lib/x86_64-linux-gnu", "/usr/local/lib"]
    assert sandbox._loader_paths(str(tmp_path / "missing.conf")) == []


def test_python_paths_hold_the_interpreter_and_site_packages_but_not_the_checkout():
    paths = sandbox.python_paths()
    assert sys.executable in paths and str(Path(sysconfig.get_path("purelib")).resolve()) in paths
    checkout = Path(autograder.__file__).resolve().parents[1]
    assert not any(Path(p) == checkout for p in paths), "the course checkout must not be bound whole"
    assert str(Path(autograder.__file__).resolve().parent) not in paths


def test_the_package_view_is_its_init_and_the_probe_edition(tmp_path):
    ((folder, entries),) = sandbox.package_view(str(tmp_path)).items()
    assert Path(folder) == Path(autograder.__file__).resolve().parent
    assert entries == {"__init__.py": str(Path(folder) / "__init__.py"), "checks": str(tmp_path)}


def test_grader_only_packages_are_emptied():
    assert any(p.endswith("/nbgrader") for p in sandbox.grader_only_paths())
