"""The check library that notebooks' test cells call: ``check("flexible_sigmoid.forward", FlexibleSigmoid)``.

Each assignment's checks live in one subpackage of this package, its *topic* (``activations/``
for assignment 01, ...), one module per check-id prefix: ``activations/flexible_sigmoid.py``
defines every ``flexible_sigmoid.*`` check. A module defines checks with :func:`new` and
decorates a ``probe`` (runs the student's code in the kernel, returns raw outputs) and a
``verify`` (pure NumPy, raises :class:`Fail`). Modules import Keras only inside probes, so the
grader process can re-verify records without importing TensorFlow.
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
    "Check",
    "CheckFailed",
    "Fail",
    "check",
    "check_ids_in",
    "get",
    "load_record",
    "new",
    "registry",
    "save_record",
    "verdict",
]

_loaded = False


def _load_all() -> None:
    """Import every module of the package once, subpackages included (check modules register
    their checks)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        importlib.import_module(module.name)
