"""Inputs and probe helpers of assignment 02's checks (shared: copied into graded kernels as is).

Every fixed input is rounded to float32 first, so that the float64 references see exactly the
numbers a float32 cell sees.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .._core import Fail, exception_reason


def _f32(array) -> np.ndarray:
    return np.asarray(array, dtype=np.float32).astype(np.float64)


def uniform(seed: int, shape, scale: float = 0.8) -> np.ndarray:
    return _f32(np.random.default_rng(seed).uniform(-scale, scale, size=shape))


def set_weights(cell, cell_name: str, values: dict, meanings: dict) -> None:
    """Assign fixed values to the student's weights by attribute name (runs in the probe)."""
    for attr, value in values.items():
        weight = getattr(cell, attr, None)
        if weight is None or not hasattr(weight, "assign"):
            raise Fail(
                f"`{cell_name}` has no weight `self.{attr}` after it is built: create "
                f"{meanings[attr][0]} in `build` with `self.{attr} = self.add_weight(...)`."
            )
        if tuple(weight.shape) != value.shape:
            raise Fail(
                f"`{cell_name}.{attr}` ({meanings[attr][0]}) has shape {tuple(weight.shape)}, expected {value.shape}."
            )
        weight.assign(np.asarray(value, dtype=weight.dtype))


@contextlib.contextmanager
def explained(what: str, hint: str):
    """Turn an error raised by the student's cell into a Fail that quotes TensorFlow's useful line.

    Keras puts a generic "Exception encountered when calling …" first; the shape mismatch that
    explains the error is further down.
    """
    try:
        yield
    except Fail:
        raise
    except Exception as exc:
        reason = exception_reason(exc)[:240].rstrip(".")
        raise Fail(f"{what} raised {type(exc).__name__}: {reason}. {hint}") from None


def weight_facts(cell, names) -> dict:
    """Each weight's Keras name and its values as built (runs in the probe)."""
    out = {}
    for attr in names:
        weight = getattr(cell, attr, None)
        if hasattr(weight, "numpy"):
            out[f"name_{attr}"] = np.asarray(str(getattr(weight, "name", "")))
            out[f"start_{attr}"] = weight.numpy()
    return out
