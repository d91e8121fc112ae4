"""Editions of the check library: the same source with the parts a reader must not see removed.

A *check module* (one that calls ``new(...)``) holds, side by side, what must run where the
student's code runs (probes and the inputs they use) and what must not be readable there
(``verify`` functions, the ``ref_*`` reference implementations, tolerances, hidden checks).
Editions are made from its source by editing its syntax tree, so authors keep writing one
module per check-id prefix:

* the **probe edition** (graded kernels): every ``@<check>.verify`` function is removed,
  ``ref_*`` functions become stubs, and whatever only they used is dropped. Verdicts are given
  by the grader, outside the kernel.
* the **student edition** (the bundle): also drops the hidden checks (their probes and inputs);
  see :mod:`autograder.bundle` for how its visible verdicts work without references.

Every other module of the package (the library's core, a topic's ``_shared.py`` of inputs and
probe helpers) is a *shared helper*: it is copied as it is, so it must hold no ``ref_*``
function and no verify function. :func:`write_package` tells the two apart by their content and
refuses a helper that would carry a reference or a verdict into a kernel.
"""

from __future__ import annotations

import ast
from pathlib import Path

REFERENCE_PREFIX = "ref_"
EDITION_ENV = "AUTOGRADER_CHECKS_EDITION"  # a graded kernel's folder holding the probe edition


def probe_edition(source: str, keep=frozenset()) -> str:
    """``source`` without verify functions, with reference stubs, minus what is left unused.

    ``keep``: names other modules import from this one (they stay, and what they use).
    """
    tree = ast.parse(source)
    _remove(tree, _is_verify)
    _stub_references(tree)
    _drop_unused(tree, keep)
    return ast.unparse(tree) + "\n"


def visible_edition(source: str, keep=frozenset()) -> str:
    """``source`` without hidden checks (their probes, verifies, inputs and factories)."""
    tree = ast.parse(source)
    hidden = _hidden_check_names(tree)
    factories = {f.name for f in tree.body if isinstance(f, ast.FunctionDef) and _creates_hidden(f)}
    _remove(
        tree,
        lambda node: (
            _decorated_by(node, hidden)
            or _assigns(node, hidden)
            or _uses(node, hidden)
            or _calls(node, factories)
            or (isinstance(node, ast.FunctionDef) and node.name in factories)
        ),
    )
    _drop_unused(tree, keep)
    return ast.unparse(tree) + "\n"


def defines_checks(tree) -> bool:
    """A check module calls ``new(...)``; any other module is a shared helper."""
    return any(_is_new_call(node) for node in ast.walk(tree))


def check_ids(tree) -> list[str]:
    """The ids of the checks a module defines: the literal first argument of each ``new(...)``."""
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if _is_new_call(node)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ]


def leaks(tree) -> list[str]:
    """What a shared helper must not hold, since it is copied into kernels as it is."""
    return [
        f"{'reference' if node.name.startswith(REFERENCE_PREFIX) else 'verify function'} {node.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and (node.name.startswith(REFERENCE_PREFIX) or _is_verify(node))
    ]


# --------------------------------------------------------------------------- what to remove


def _is_verify(node) -> bool:
    return isinstance(node, ast.FunctionDef) and any(
        isinstance(d, ast.Attribute) and d.attr == "verify" for d in node.decorator_list
    )


def _is_new_call(node) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "new"


def _is_hidden_new(node) -> bool:
    return _is_new_call(node) and any(
        k.arg == "hidden" and isinstance(k.value, ast.Constant) and k.value.value is True for k in node.keywords
    )


def _hidden_check_names(tree) -> set[str]:
    return {
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign) and _is_hidden_new(node.value)
        for t in node.targets
        if isinstance(t, ast.Name)
    }


def _creates_hidden(function: ast.FunctionDef) -> bool:
    return any(_is_hidden_new(node) for node in ast.walk(function))


def _decorated_by(node, names: set[str]) -> bool:
    return isinstance(node, ast.FunctionDef) and any(
        isinstance(d, ast.Attribute) and isinstance(d.value, ast.Name) and d.value.id in names
        for d in node.decorator_list
    )


def _assigns(node, names: set[str]) -> bool:
    return isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in names for t in node.targets)


def _uses(node, names: set[str]) -> bool:
    """A statement such as ``stable_check(stable, ...)``: it gives a hidden check its halves."""
    return isinstance(node, ast.Expr) and any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _calls(node, names: set[str]) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id in names
    )


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


def _drop_unused(tree, keep=frozenset()) -> None:
    """Drop top-level definitions, and names imported from the package's own modules, that
    nothing left uses and no other module imports (``keep``), until none is left to drop."""
    while True:
        loads = [
            {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            for node in tree.body
        ]

        def needed(i, name, loads=loads):
            return name in keep or name == "__all__" or any(name in used for j, used in enumerate(loads) if j != i)

        body, dropped = [], False
        for i, node in enumerate(tree.body):
            if isinstance(node, ast.ImportFrom) and node.level:  # from .x import a, b
                names = [a for a in node.names if a.name == "*" or needed(i, a.asname or a.name)]
                dropped |= len(names) < len(node.names)
                node.names = names
                if not names:
                    continue
            elif (names := _defined(node)) and _removable(node) and not any(needed(i, n) for n in names):
                dropped = True
                continue
            body.append(node)
        tree.body = body
        if not dropped:
            return


# --------------------------------------------------------------------------- packages


def write_package(target, edition=probe_edition, modules=None, package=None) -> list[str]:
    """Write the check package's ``edition`` into the folder ``target``, subpackages included.

    Check modules get ``edition``; shared helpers are copied as they are, once they are known to
    hold no reference and no verify function (else ValueError). A name one module imports from
    another stays in the other's edition, with whatever it uses.

    Args:
        target: the folder to write (created).
        edition: ``(source, keep) -> source``, applied to each check module; ``keep`` is the set
            of names other modules import from it.
        modules: names of the topics (subpackages) to include (default: all); the library's
            own modules (this folder's files) always are.
        package: the folder to read (default: the check library itself).

    Returns the paths written, relative to ``target``.
    """
    package, target = Path(package or Path(__file__).parent), Path(target)
    sources = {
        path.relative_to(package): path.read_text(encoding="utf-8")
        for path in sorted(package.rglob("*.py"))
        if modules is None or path.parent == package or path.relative_to(package).parts[0] in modules
    }
    trees = {path: ast.parse(text, str(path)) for path, text in sources.items()}
    checks = {path for path, tree in trees.items() if defines_checks(tree)}
    for path in sources.keys() - checks:
        if found := leaks(trees[path]):
            raise ValueError(
                f"{path}: a shared helper (it defines no check) is copied into every graded "
                f"kernel as it is, but it holds {', '.join(found)}: move it into the check "
                "module that uses it"
            )
    keep = {path: set() for path in sources}
    while True:  # until every name a module imports is in the edition of the module it comes from
        texts = {
            path: edition(text, frozenset(keep[path])) if path in checks else text for path, text in sources.items()
        }
        wanted = _imported(texts)
        if all(wanted.get(path, set()) <= keep[path] for path in sources):
            break
        for path, names in wanted.items():
            keep[path] |= names
    for path, text in texts.items():
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_text(text, encoding="utf-8")
    return [str(path) for path in texts]


def _imported(texts: dict[Path, str]) -> dict[Path, set[str]]:
    """For each module, the names other modules of the package import from it (relative imports)."""
    wanted: dict[Path, set[str]] = {}
    for path, text in texts.items():
        for node in ast.walk(ast.parse(text)):
            if not (isinstance(node, ast.ImportFrom) and node.level):
                continue
            base = path.parent.parts[: len(path.parent.parts) - (node.level - 1)]
            where = base + tuple(node.module.split(".")) if node.module else base
            for alias in node.names:
                if not node.module and _module(texts, where + (alias.name,)):
                    continue  # `from . import expect`: a module, not a name
                if source := _module(texts, where):
                    wanted.setdefault(source, set()).add(alias.name)
    return wanted


def _module(texts, parts: tuple) -> Path | None:
    """The file of the module ``parts`` (a dotted name, split), if the package has it."""
    for path in (Path(*parts).with_suffix(".py") if parts else None, Path(*parts, "__init__.py")):
        if path in texts:
            return path
    return None


def load_private(topic: str, transform, **names) -> dict:
    """The checks of ``topic`` (e.g. ``"activations"``) from a private import of its modules: each
    module's syntax tree goes through ``transform`` and gets ``names`` as globals before it runs.
    The loaded library (its modules, its registry) is left as it was.

    The bundle watches the references this way (:mod:`autograder.bundle`).
    """
    import importlib
    import importlib.machinery
    import pkgutil
    import sys

    from . import _core

    prefix = f"{_core.__package__}.{topic}"

    def ours(name):
        return name == prefix or name.startswith(f"{prefix}.")

    class Loader(importlib.machinery.SourceFileLoader):
        def get_code(self, fullname):  # from the source every time, never from a cached .pyc
            path = self.get_filename(fullname)
            tree = ast.parse(self.get_data(path))
            transform(tree)
            return compile(ast.fix_missing_locations(tree), path, "exec", dont_inherit=True)

        def exec_module(self, module):
            module.__dict__.update(names)
            super().exec_module(module)

    class Finder:
        @staticmethod
        def find_spec(name, path, target=None):
            if not ours(name):
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            spec.loader = Loader(name, spec.origin)
            return spec

    saved_modules = {name: sys.modules.pop(name) for name in list(sys.modules) if ours(name)}
    saved = dict(_core._REGISTRY)
    _core._REGISTRY.clear()
    sys.meta_path.insert(0, Finder)
    try:
        package = importlib.import_module(prefix)
        for info in pkgutil.walk_packages(getattr(package, "__path__", []), prefix=f"{prefix}."):
            importlib.import_module(info.name)
        return dict(_core._REGISTRY)
    finally:
        sys.meta_path.remove(Finder)
        for name in [name for name in sys.modules if ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved_modules)
        for name, module in saved_modules.items():  # a parent's attribute names the private copy now
            parent, _, child = name.rpartition(".")
            setattr(sys.modules[parent], child, module)
        _core._REGISTRY.clear()
        _core._REGISTRY.update(saved)


def use_package(folder: str) -> None:
    """Make ``autograder.checks`` load its modules from ``folder`` from now on.

    Called in a graded kernel before student code runs (the original folder is then hidden
    by the sandbox). Of the full library, only modules identical in ``folder`` may have been
    loaded (this one and the core); no check, no topic.
    """
    import sys

    import autograder.checks as package

    from . import _core

    here = Path(package.__file__).parent
    loaded = [
        name
        for name, module in list(sys.modules.items())
        if name.startswith(f"{package.__name__}.") and module is not None and not _same_file(module, here, Path(folder))
    ]
    if loaded or _core._REGISTRY:
        raise RuntimeError(f"the full check library is already loaded in this kernel: {sorted(loaded)}")
    package.__path__[:] = [str(folder)]


def _same_file(module, here: Path, folder: Path) -> bool:
    """A loaded module (not a package: its own path would stay here) that ``folder`` holds unchanged."""
    if hasattr(module, "__path__") or not getattr(module, "__file__", None):
        return False
    path = Path(module.__file__)
    if not path.is_relative_to(here):
        return False
    copy = folder / path.relative_to(here)
    return copy.is_file() and copy.read_bytes() == path.read_bytes()
