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
from pathlib import Path

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


def load_module_of(check_id: str) -> None:
    """Import the module that defines ``check_id``: each topic has one module per check-id prefix
    (``kalman.predict`` is in ``<topic>/kalman.py``), so a grading worker imports its assignment's
    few modules, not the whole library (≈ 0.14 s a submission)."""
    prefix = check_id.split(".")[0]
    for path in sorted(Path(__path__[0]).glob(f"*/{prefix}.py")):
        importlib.import_module(f"{__name__}.{path.parent.name}.{prefix}")
