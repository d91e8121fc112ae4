"""The editions of the check library (autograder/checks/_edition.py): what the probe edition (graded
kernels) and the student edition (the bundle) keep and drop, on small sources and on the real
package; shared helpers are copied unchanged, and refused when they would carry a reference or a
verdict into a kernel. In-process and fast, but for two fresh Pythons that load a written edition.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import autograder.checks as library
from autograder.checks import _edition, _references, registry
from autograder.checks._edition import leaks, probe_edition, visible_edition, write_package

LIBRARY = Path(library.__file__).parent

SOURCE = '''
"""A check module."""
import numpy as np

from .. import expect
from .._core import new
from ._shared import GRID


def ref_square(x):
    return np.square(x)


TOL = dict(rtol=1e-6)  # only verify uses it
SECRET = 3.0  # the hidden check's input

square = new("demo.square", 1, "`square` squares")


@square.probe
def _(square):
    return {"y": square(GRID)}


@square.verify
def _(r):
    expect.close(r["y"], ref_square(GRID), "the square", **TOL)


hidden = new("demo.hidden", 1, "`square` squares a secret", hidden=True)


@hidden.probe
def _(square):
    return {"y": square(SECRET)}


@hidden.verify
def _(r):
    expect.close(r["y"], ref_square(SECRET), "the square of the secret")
'''


def names(text: str) -> set[str]:
    """The names a module's top level defines or imports."""
    out = set()
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Assign):
            out |= {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return out


def verify_functions(text: str) -> list[str]:
    return [f.name for f in ast.walk(ast.parse(text)) if isinstance(f, ast.FunctionDef) and _edition._is_verify(f)]


def references(text: str) -> dict[str, str]:
    """``ref_*`` name -> its body, as source."""
    return {
        f.name: "\n".join(ast.unparse(s) for s in f.body)
        for f in ast.walk(ast.parse(text))
        if isinstance(f, ast.FunctionDef) and f.name.startswith("ref_")
    }


# --------------------------------------------------------------------------- one module


def test_the_probe_edition_drops_verify_functions_reference_bodies_and_what_only_they_use():
    text = probe_edition(SOURCE)
    assert verify_functions(text) == [] and "TOL" not in names(text) and "expect" not in names(text)
    assert all(body.startswith("raise RuntimeError") for body in references(text).values())
    assert {"square", "hidden", "SECRET", "GRID", "new"} <= names(text)  # the probes and their inputs stay


def test_the_student_edition_drops_the_hidden_checks_and_their_inputs():
    text = visible_edition(SOURCE)
    assert "demo.hidden" not in text and "SECRET" not in names(text) and "hidden" not in names(text)
    assert len(verify_functions(text)) == 1 and "np.square" in references(text)["ref_square"]


def test_a_name_another_module_imports_stays_with_what_it_uses():
    text = probe_edition(SOURCE, keep={"TOL", "ref_square"})
    assert {"TOL", "ref_square"} <= names(text) and verify_functions(text) == []


def test_a_factory_given_a_hidden_check_goes_with_it():
    source = (
        SOURCE
        + """

def twice(check):
    @check.probe
    def _(square):
        return {"y": square(2 * SECRET)}


twice(hidden)
"""
    )
    text = visible_edition(source)
    assert "twice" not in names(text) and "SECRET" not in names(text)
    assert "twice" in names(probe_edition(source))  # a probe: graded kernels need it


def test_helpers_with_a_reference_or_a_verify_function_are_leaks():
    assert leaks(ast.parse("GRID = 1\ndef helper(x):\n    return x")) == []
    assert leaks(ast.parse("def ref_x(x):\n    return x")) == ["reference ref_x"]
    assert leaks(ast.parse("def make(check):\n    @check.verify\n    def v(r):\n        pass")) == ["verify function v"]


# --------------------------------------------------------------------------- a package


@pytest.fixture
def package(tmp_path) -> Path:
    """A small check package: a topic with a shared helper, a check module whose factory a second
    check module imports, and a name one module imports from the other for verify only."""
    root = tmp_path / "checks"
    (root / "topic").mkdir(parents=True)
    (root / "__init__.py").write_text('"""The library."""\n')
    (root / "_core.py").write_text("def new(*args, **kwargs):\n    pass\n")
    (root / "topic" / "__init__.py").write_text("from .a import ref_square  # noqa: F401\n")
    (root / "topic" / "_shared.py").write_text("GRID = [1.0, 2.0]\n")
    (root / "topic" / "a.py").write_text(
        SOURCE
        + """

def cube_check(check):
    @check.probe
    def _(cube):
        return {"y": cube(GRID)}

    @check.verify
    def _(r):
        assert r["y"] == ref_square(GRID) * GRID * TOL["rtol"]
"""
    )
    (root / "topic" / "b.py").write_text("""from .._core import new
from .a import TOL, cube_check

cube = new("demo.cube", 1, "`cube` cubes")
cube_check(cube)
WANTED_BY_VERIFY_ONLY = TOL
""")
    return root


def test_a_package_is_written_with_its_subpackages(package, tmp_path):
    written = write_package(tmp_path / "out", package=package)
    assert sorted(written) == [
        "__init__.py",
        "_core.py",
        "topic/__init__.py",
        "topic/_shared.py",
        "topic/a.py",
        "topic/b.py",
    ]
    out = tmp_path / "out"
    for helper in ("__init__.py", "_core.py", "topic/__init__.py", "topic/_shared.py"):
        assert (out / helper).read_bytes() == (package / helper).read_bytes(), helper
    a, b = (out / "topic" / "a.py").read_text(), (out / "topic" / "b.py").read_text()
    assert "cube_check" in names(a)  # b's probe needs it: it stays, without its verify
    assert "ref_square" in names(a)  # the topic's __init__ imports it: a stub stays
    assert verify_functions(a) == verify_functions(b) == [] and "TOL" not in names(a) | names(b)


@pytest.mark.parametrize(
    "helper",
    ["def ref_grid():\n    return 1\n", "def factory(check):\n    @check.verify\n    def _(r):\n        pass\n"],
)
def test_a_shared_helper_that_would_leak_is_refused(package, tmp_path, helper):
    (package / "topic" / "_shared.py").write_text(helper)
    with pytest.raises(ValueError, match="shared helper"):
        write_package(tmp_path / "out", package=package)


def test_only_the_topics_asked_for_are_written(package, tmp_path):
    (package / "other").mkdir()
    (package / "other" / "c.py").write_text('from .._core import new\nc = new("other.c", 1, "c")\n')
    written = write_package(tmp_path / "out", package=package, modules={"topic"})
    assert "other/c.py" not in written and "topic/a.py" in written and "_core.py" in written


# --------------------------------------------------------------------------- the real package


@pytest.fixture(scope="module")
def probes(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("probe-edition")
    write_package(folder)
    return folder


def _check_modules(folder: Path) -> dict[str, str]:
    texts = {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in folder.rglob("*.py")}
    return {path: text for path, text in texts.items() if _edition.defines_checks(ast.parse(text))}


def test_every_check_module_of_the_probe_edition_has_no_verify_function_and_no_reference_body(probes):
    modules = _check_modules(probes)
    assert len(modules) == len({c.id.split(".")[0] for c in registry().values()})  # one per check-id prefix
    for path, text in modules.items():
        assert verify_functions(text) == [], path
        assert all(body.startswith("raise RuntimeError") for body in references(text).values()), path


def test_the_probe_edition_copies_the_shared_helpers_unchanged_and_they_hold_only_what_probes_use(probes):
    modules = _check_modules(probes)
    helpers = [p for p in LIBRARY.rglob("*.py") if str(p.relative_to(LIBRARY)) not in modules]
    assert {"_core.py", "expect.py", "activations/_shared.py", "deep/__init__.py"} <= {
        str(p.relative_to(LIBRARY)) for p in helpers
    }
    for path in helpers:
        assert (probes / path.relative_to(LIBRARY)).read_bytes() == path.read_bytes(), path
    # A topic's helper is copied whole into graded kernels: each name it defines must be one a
    # probe edition imports, or one those use (no verify-only tolerance or table hides there).
    imported = _edition._imported({p.relative_to(probes): p.read_text() for p in probes.rglob("*.py")})
    for path in helpers:
        rel = path.relative_to(LIBRARY)
        if len(rel.parts) == 1 or rel.name == "__init__.py":
            continue  # the library's own modules; a topic's re-exports
        tree = ast.parse(path.read_text())
        defined = {n: node for node in tree.body for n in _edition._defined(node)}
        used, more = set(), set(imported.get(rel, ()))
        while more:
            used |= more
            more = {
                n.id for name in more if name in defined for n in ast.walk(defined[name]) if isinstance(n, ast.Name)
            } & set(defined) - used
        assert set(defined) <= used, (str(rel), sorted(set(defined) - used))


def test_the_student_edition_of_each_topic_holds_no_hidden_check(tmp_path):
    topics = ("activations", "deep", "feedforward", "foundations", "recurrent", "training", "vision")
    for topic in (*topics, "pixel_sequences", "language", "music_tracking"):
        folder = tmp_path / topic
        write_package(folder, edition=visible_edition, modules={topic})
        text = "\n".join(p.read_text() for p in folder.rglob("*.py"))
        hidden = [c for c in registry().values() if c.hidden]
        assert all(c.id not in text and c.title not in text for c in hidden), topic
        assert [p.name for p in folder.iterdir() if p.is_dir()] == [topic]


def test_every_check_id_is_a_literal_in_a_new_call_in_the_module_named_by_its_prefix():
    ids = []
    for path in LIBRARY.rglob("*.py"):
        here = _edition.check_ids(ast.parse(path.read_text()))
        assert all(i.split(".")[0] == path.stem for i in here), (path, here)
        ids += here
    assert sorted(ids) == sorted(registry()) and len(ids) == len(set(ids)) >= 82  # each id once, in one module


def _fresh_python(script: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(library.__file__).parents[2],
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_the_written_probe_edition_loads_and_registers_every_check_without_its_verdicts(probes):
    out = _fresh_python(f"""
        import sys
        for name in ("tensorflow", "keras"):
            sys.modules[name] = None
        from autograder.checks._edition import use_package
        use_package({str(probes)!r})
        from autograder.checks import registry
        import autograder.checks.activations as act
        checks = registry()
        assert all(c._verify is None for c in checks.values())
        try:
            act.ref_flexible_sigmoid(0.0, 1.0)
        except RuntimeError:
            print(sorted((c.id, c.points, c.title, c.hidden) for c in checks.values()))
    """)
    assert out.strip() == str(sorted((c.id, c.points, c.title, c.hidden) for c in registry().values()))


def test_a_kernel_that_loaded_a_check_module_cannot_switch_to_the_probe_edition(probes):
    out = _fresh_python(f"""
        import autograder.checks.activations.rbf
        from autograder.checks._edition import use_package
        try:
            use_package({str(probes)!r})
        except RuntimeError as error:
            print(error)
    """)
    assert "already loaded" in out and "autograder.checks.activations.rbf" in out


# --------------------------------------------------------------------------- what the bundle uses


def test_reference_tables_are_named_by_module_inside_the_package(tmp_path, monkeypatch):
    module = "autograder.checks.activations.rbf"
    assert _references.table(module) == "activations.rbf"
    key = _references.key((np.arange(3.0), 2.0), {})
    _references.write_table(module, {"ref_rbf": {key: np.ones(3)}}, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["activations.rbf.json", "activations.rbf.npz"]
    monkeypatch.setattr(_references, "TABLES", tmp_path)
    monkeypatch.setattr(_references, "_loaded", {})
    np.testing.assert_array_equal(_references.lookup(module, "ref_rbf", (np.arange(3.0), 2.0), {}), np.ones(3))
    with pytest.raises(library.Fail, match="grader"):  # a module without a table: nothing was recorded
        _references.lookup("autograder.checks.activations.flexible_tanh", "ref_flexible_tanh", (1.0,), {})


def test_a_private_import_of_a_topic_leaves_the_library_as_it_was():
    before = dict(registry())
    module = sys.modules["autograder.checks.activations.rbf"]
    calls = []

    def watch(tree):
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("ref_"):
                node.decorator_list.insert(0, ast.Name("__watch__", ast.Load()))

    def watcher(function):
        def watched(*args):
            calls.append((function.__module__, function.__name__))
            return function(*args)

        return watched

    checks = _edition.load_private("activations", watch, __watch__=watcher)
    from autograder.checks.activations._shared import X_GRID

    assert checks["rbf.forward"] is not before["rbf.forward"] and sorted(checks) == sorted(
        c for c in before if c.startswith(("rbf.", "flexible_", "activations.", "fold."))
    )
    record = {f"y{i}": np.exp(-np.square(X_GRID) / b) for i, b in enumerate((0.5, 2.0))}
    record |= {f"beta{i}": np.asarray(b) for i, b in enumerate((0.5, 2.0))} | {"n_trainable0": 1, "n_trainable1": 1}
    assert library.verdict(checks["rbf.forward"], {k: np.asarray(v) for k, v in record.items()}) is None
    assert calls == [("autograder.checks.activations.rbf", "ref_rbf")] * 2
    assert registry() == before and all(registry()[i] is before[i] for i in before)
    assert sys.modules["autograder.checks.activations.rbf"] is module
    assert library.activations.rbf is module
