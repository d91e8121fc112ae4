"""Editions of a check module: the same source with the parts a reader must not see removed.

A check module holds, side by side, what must run where the student's code runs (probes and the
inputs they use) and what must not be readable there (``verify`` functions, the ``ref_*``
reference implementations, tolerances, hidden checks). Editions are made from the module's
source by editing its syntax tree, so authors keep writing one module per assignment:

* the **probe edition** (graded kernels): every ``@<check>.verify`` function is removed,
  ``ref_*`` functions become stubs, and whatever only they used is dropped. Verdicts are given
  by the grader, outside the kernel.
* the **student edition** (the bundle): also drops the hidden checks (their probes and inputs);
  see :mod:`autograder.bundle` for how its visible verdicts work without references.
"""

from __future__ import annotations

import ast

REFERENCE_PREFIX = "ref_"
EDITION_ENV = "AUTOGRADER_CHECKS_EDITION"  # a graded kernel's folder holding the probe edition


def probe_edition(source: str) -> str:
    """``source`` without verify functions, with reference stubs, minus what is left unused."""
    tree = ast.parse(source)
    _remove(tree, _is_verify)
    _stub_references(tree)
    _drop_unused(tree)
    return ast.unparse(tree) + "\n"


def visible_edition(source: str) -> str:
    """``source`` without hidden checks (their probes, verifies, inputs and factories)."""
    tree = ast.parse(source)
    hidden = _hidden_check_names(tree)
    factories = {f.name for f in tree.body if isinstance(f, ast.FunctionDef) and _creates_hidden(f)}
    _remove(tree, lambda node: _decorated_by(node, hidden) or _assigns(node, hidden)
            or _calls(node, factories) or (isinstance(node, ast.FunctionDef) and node.name in factories))
    _drop_unused(tree)
    return ast.unparse(tree) + "\n"


# --------------------------------------------------------------------------- what to remove


def _is_verify(node) -> bool:
    return isinstance(node, ast.FunctionDef) and any(
        isinstance(d, ast.Attribute) and d.attr == "verify" for d in node.decorator_list)


def _is_new_call(node) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "new"


def _is_hidden_new(node) -> bool:
    return _is_new_call(node) and any(
        k.arg == "hidden" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in node.keywords)


def _hidden_check_names(tree) -> set[str]:
    return {t.id for node in tree.body if isinstance(node, ast.Assign) and _is_hidden_new(node.value)
            for t in node.targets if isinstance(t, ast.Name)}


def _creates_hidden(function: ast.FunctionDef) -> bool:
    return any(_is_hidden_new(node) for node in ast.walk(function))


def _decorated_by(node, names: set[str]) -> bool:
    return isinstance(node, ast.FunctionDef) and any(
        isinstance(d, ast.Attribute) and isinstance(d.value, ast.Name) and d.value.id in names
        for d in node.decorator_list)


def _assigns(node, names: set[str]) -> bool:
    return isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in names for t in node.targets)


def _calls(node, names: set[str]) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id in names)


def _remove(tree, predicate) -> None:
    """Remove every statement (at any depth) for which ``predicate`` holds."""
    for node in ast.walk(tree):
        for attr in ("body", "orelse", "finalbody"):
            block = getattr(node, attr, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                kept = [s for s in block if not predicate(s)]
                setattr(node, attr, kept or [ast.Pass()])


def _stub_references(tree) -> None:
    """``ref_*`` functions keep their name (factories pass them along) but lose their body."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith(REFERENCE_PREFIX):
            node.body = [ast.parse(f"raise RuntimeError('{node.name} is not available here')").body[0]]
            node.decorator_list = []


# --------------------------------------------------------------------------- unused code


def _defined(node) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _removable(node) -> bool:
    """Only definitions without side effects may go: plain functions, and values that are not
    a check being registered (``x = new(...)``) or a decorated function (decorators register)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return not node.decorator_list
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return not any(_is_new_call(n) for n in ast.walk(node))
    return False


def _drop_unused(tree) -> None:
    """Drop top-level definitions that nothing left uses, until none is left to drop."""
    while True:
        used: dict[int, set[str]] = {}
        for i, node in enumerate(tree.body):
            used[i] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        unused = []
        for i, node in enumerate(tree.body):
            names = _defined(node)
            if names and _removable(node) and not any(
                    names & used[j] for j in used if j != i) and "__all__" not in names:
                unused.append(i)
        if not unused:
            return
        tree.body = [node for i, node in enumerate(tree.body) if i not in unused]


# --------------------------------------------------------------------------- packages

SHARED = ("__init__", "_core", "expect", "_probes")  # hold no inputs, references or verdicts


def write_package(target, edition=probe_edition, modules=None) -> list[str]:
    """Write the check package's ``edition`` into the folder ``target``.

    Args:
        target: the folder to write (created).
        edition: ``str -> str`` applied to each assignment's check module.
        modules: names of the assignment modules to include (default: all).

    Returns the module names written.
    """
    from pathlib import Path

    here, target = Path(__file__).parent, Path(target)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(here.glob("*.py")):
        name = path.stem
        if name in SHARED:
            text = path.read_text(encoding="utf-8")
        elif name.startswith("_") or (modules is not None and name not in modules):
            continue
        else:
            text = edition(path.read_text(encoding="utf-8"))
        (target / path.name).write_text(text, encoding="utf-8")
        written.append(name)
    return written


def use_package(folder: str) -> None:
    """Make ``autograder.checks`` load its check modules from ``folder`` from now on.

    Called in a graded kernel before student code runs (the original folder is then hidden
    by the sandbox). Nothing of the full library may have been loaded in this process.
    """
    import sys

    from . import _core
    import autograder.checks as package

    loaded = [m for m in sys.modules if m.startswith("autograder.checks.")
              and m.rsplit(".", 1)[1] not in SHARED + ("_edition",)]
    if loaded or _core._REGISTRY:
        raise RuntimeError(f"the full check library is already loaded in this kernel: {loaded}")
    package.__path__[:] = [str(folder)]
