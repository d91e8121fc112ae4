"""The pieces of English the check library shows people, found in its source, and which of them
a catalog translates (:mod:`autograder.checks._translate`).

``python -m autograder.authoring.translations fa [--write]`` lists (or, with ``--write``, adds
empty entries for) every piece without a translation, per catalog file.

A piece is a string literal or an f-string of a check module or of the shared library that is
prose (two words or more, not a docstring, not a dictionary key): a title, a ``Fail`` message,
the ``what`` or ``hint`` of a comparison, a candidate mistake's explanation. An f-string's
fields are written ``{expression}``, as in the source.

A piece that is not prose for people (a pattern, an internal error) is catalogued as itself.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import yaml

from ..checks import _translate

CHECKS = Path(_translate.__file__).parent
SHARED = ("_core.py", "expect.py", "_probes.py")  # the shared library's pieces go into checks/<edition>.yml


def pieces_of(source: str) -> list[str]:
    """Every prose piece in a module's source, in order, each once."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    keys = {id(k) for node in ast.walk(tree) if isinstance(node, ast.Dict) for k in node.keys if k is not None}
    inner = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    found = []
    for node in ast.walk(tree):
        if id(node) in docstrings or id(node) in keys or id(node) in inner:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}" for v in node.values
            )
        else:
            continue
        if _is_prose(text) and text not in found:
            found.append(text)
    return found


def _is_prose(text: str) -> bool:
    words = _translate.FIELD.sub(" ", text).split()
    return len([w for w in words if any(ch.isalpha() for ch in w)]) >= 2


def catalog_files(edition: str) -> dict[Path, list[Path]]:
    """``{catalog file: the modules whose pieces it translates}``."""
    name = _translate.CATALOG.format(edition=edition)
    engine = CHECKS.parent / "engine"
    graders = [engine / f for f in ("worker.py", "limits.py", "cluster.py")]  # what a result's detail says
    files = {CHECKS / name: [CHECKS / m for m in SHARED], engine / name: graders}
    for topic in sorted(p for p in CHECKS.iterdir() if p.is_dir() and (p / "__init__.py").is_file()):
        files[topic / name] = sorted(topic.glob("*.py"))
    return files


def missing(edition: str) -> dict[Path, list[str]]:
    """The pieces each catalog file lacks (empty lists when every piece is translated)."""
    out = {}
    for catalog, modules in catalog_files(edition).items():
        have = yaml.safe_load(catalog.read_text(encoding="utf-8")) if catalog.is_file() else {}
        have = {k for k, v in (have or {}).items() if v}
        out[catalog] = [p for m in modules for p in pieces_of(m.read_text(encoding="utf-8")) if p not in have]
    return out


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    write = "--write" in args
    edition = next((a for a in args if not a.startswith("--")), "fa")
    total = 0
    for catalog, pieces in missing(edition).items():
        total += len(pieces)
        for piece in pieces:
            print(f"{catalog.relative_to(CHECKS.parents[1])}: {piece}")
        if write and pieces:
            have = yaml.safe_load(catalog.read_text(encoding="utf-8")) if catalog.is_file() else {}
            have = dict(have or {})
            have.update({p: "" for p in pieces})
            catalog.write_text(yaml.safe_dump(have, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    print(f"{total} piece(s) without a {edition} translation")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
