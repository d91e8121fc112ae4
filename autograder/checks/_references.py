"""Reference values without reference code, for the student edition of the check library.

A visible check compares the student's outputs with a ``ref_*`` reference evaluated on the
check's fixed inputs. The student bundle ships no reference code: :mod:`autograder.bundle`
records what each reference returned on those inputs while the reference solution was
verified, and the student edition's ``ref_*`` functions look the values up here by a hash of
their arguments.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ._core import Fail

TABLES = Path(__file__).parent / "references"
_loaded: dict[str, tuple[dict, dict]] = {}


def key(args: tuple, kwargs: dict) -> str:
    """A hash of a reference's arguments (arrays by dtype, shape and bytes; functions by name)."""
    digest = hashlib.sha256()
    _feed(digest, (tuple(args), sorted(kwargs.items())))
    return digest.hexdigest()[:32]


def _feed(digest, value) -> None:
    if isinstance(value, (tuple, list)):
        digest.update(b"(")
        for item in value:
            _feed(digest, item)
        digest.update(b")")
    elif isinstance(value, dict):
        _feed(digest, sorted(value.items(), key=lambda kv: str(kv[0])))
    elif isinstance(value, str):
        digest.update(b"s" + value.encode() + b"\0")
    elif value is None:
        digest.update(b"N")
    elif callable(value) and not isinstance(value, np.ndarray):
        digest.update(b"f" + getattr(value, "__qualname__", type(value).__name__).encode() + b"\0")
    else:
        array = np.ascontiguousarray(np.asarray(value))
        digest.update(f"a{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())


def pack(value, arrays: list) -> object:
    """A JSON-able description of ``value``; its arrays are appended to ``arrays``."""
    if isinstance(value, tuple):
        return {"tuple": [pack(v, arrays) for v in value]}
    if isinstance(value, list):
        return {"list": [pack(v, arrays) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[k, pack(v, arrays)] for k, v in value.items()]}
    if value is None:
        return None
    arrays.append(np.asarray(value))
    return {"array": len(arrays) - 1, "scalar": not isinstance(value, np.ndarray)}


def unpack(description, arrays) -> object:
    if description is None:
        return None
    if "tuple" in description:
        return tuple(unpack(v, arrays) for v in description["tuple"])
    if "list" in description:
        return [unpack(v, arrays) for v in description["list"]]
    if "dict" in description:
        return {k: unpack(v, arrays) for k, v in description["dict"]}
    array = arrays[f"a{description['array']}"]
    return array.item() if description["scalar"] else array.copy()


def table(module: str) -> str:
    """The name of a check module's table: its name inside the package, e.g. ``activations.rbf``."""
    return module.removeprefix(f"{__package__}.")


def write_table(module: str, calls: dict[str, dict[str, object]], folder: Path) -> None:
    """Save ``{reference name: {key: value}}`` of ``module`` (e.g. ``autograder.checks.activations.rbf``)
    as ``activations.rbf.json`` + ``activations.rbf.npz`` (no pickle)."""
    arrays: list = []
    index = {name: {k: pack(v, arrays) for k, v in values.items()} for name, values in calls.items()}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{table(module)}.json").write_text(json.dumps(index, sort_keys=True), encoding="utf-8")
    np.savez_compressed(folder / f"{table(module)}.npz", **{f"a{i}": a for i, a in enumerate(arrays)})


def lookup(module: str, name: str, args: tuple, kwargs: dict):
    """The value ``name(*args, **kwargs)`` had when the reference solution was verified
    (``module``: the ``__name__`` of the module that defines the reference)."""
    short = table(module)
    if short not in _loaded:
        index, arrays = {}, {}  # no table: none of the module's references ran on a visible check
        if (TABLES / f"{short}.json").is_file():
            index = json.loads((TABLES / f"{short}.json").read_text(encoding="utf-8"))
            with np.load(TABLES / f"{short}.npz", allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        _loaded[short] = (index, arrays)
    index, arrays = _loaded[short]
    description = index.get(name, {}).get(key(args, kwargs), "missing")
    if description == "missing":
        # Only an answer that already differs from the reference reaches inputs the reference
        # never saw (a diagnosis of the mistake); that diagnosis needs the grader.
        raise Fail(
            "your outputs differ from the reference (the grader's message names the cause: "
            "submit, or ask for `autograder check`)."
        )
    return unpack(description, arrays)
