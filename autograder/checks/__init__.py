"""The check library that notebooks' test cells call: ``check("flexible_sigmoid.forward", FlexibleSigmoid)``.

Each assignment's checks live in one module of this package (``activations.py`` for
assignment 01, ...). A module defines checks with :func:`new` and decorates a ``probe``
(runs the student's code in the kernel, returns raw outputs) and a ``verify`` (pure NumPy,
raises :class:`Fail`). Modules import Keras only inside probes, so the grader process can
re-verify records without importing TensorFlow.
"""

import importlib
import pkgutil

from ._core import (
    Check,
    CheckFailed,
    Fail,
    check,
    check_ids_in,
    get,
    load_record,
    new,
    registry,
    save_record,
    verdict,
)

__all__ = [
    "Check", "CheckFailed", "Fail", "check", "check_ids_in", "get", "load_record", "new",
    "registry", "save_record", "verdict",
]

_loaded = False


def _load_all() -> None:
    """Import every assignment's check module once (they register themselves)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_") and module.name != "expect":
            importlib.import_module(f"{__name__}.{module.name}")
