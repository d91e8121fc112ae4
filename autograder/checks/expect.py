"""Comparisons for ``verify`` functions: each raises :class:`Fail` with a message that names
the quantity, the size of the error and a hint where to look.

Tolerances: a correct float32 solution must pass on a CPU and on a GPU, where matrix
products may run in TF32 (10-bit mantissa, unit round-off ≈ 5e-4). ``ELEMENTWISE`` suits
element-wise maths; ``MATMUL`` suits anything with a matrix product in it.
"""

from __future__ import annotations

import numpy as np

from ._core import Fail

ELEMENTWISE = dict(rtol=1e-4, atol=1e-5)
MATMUL = dict(rtol=5e-3, atol=5e-4)
FLOAT64 = dict(rtol=1e-6, atol=1e-8)


def close(
    actual, expected, what: str, hint: str = "", *, rtol: float = 1e-4, atol: float = 1e-5, inputs: dict | None = None
) -> None:
    """Fail unless ``actual`` matches ``expected`` element-wise within rtol/atol.

    Args:
        actual: the student's values.
        expected: the reference values.
        what: the quantity in words, e.g. "the output of `FlexibleSigmoid`".
        hint: where to look when it is wrong.
        inputs: named input arrays (same shape as ``expected``) to quote at the worst element;
            leave out for hidden checks.
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    shape(actual, expected.shape, what)
    finite(actual, what, hint, expected=expected)
    with np.errstate(invalid="ignore"):
        error = np.abs(actual - expected)
        bound = atol + rtol * np.abs(expected)
        # NaN where the reference is NaN too is right; NaN anywhere else is off.
        off = ~((error <= bound) | (np.isnan(actual) & np.isnan(expected)))
    if not np.any(off):
        return
    gap = np.where(off, np.nan_to_num(error - bound, nan=np.inf), -np.inf)
    worst = np.unravel_index(np.argmax(gap), error.shape) if error.ndim else ()
    where = ""
    if inputs:
        where = " at " + ", ".join(f"{name}={np.asarray(value)[worst]:.6g}" for name, value in inputs.items())
    elif error.ndim:
        where = f" at index {tuple(int(i) for i in worst)}"
    raise Fail(
        f"{what} is wrong{where}: got {actual[worst]:.6g}, expected {expected[worst]:.6g} "
        f"({int(np.sum(off))} of {error.size} values off). {hint}".strip()
    )


def shape(actual, expected_shape: tuple, what: str) -> None:
    actual = np.asarray(actual)
    if tuple(actual.shape) != tuple(expected_shape):
        raise Fail(f"{what} has shape {tuple(actual.shape)}, expected {tuple(expected_shape)}.")


def finite(actual, what: str, hint: str = "", *, expected=None) -> None:
    actual = np.asarray(actual, dtype=np.float64)
    bad = ~np.isfinite(actual)
    if expected is not None:
        bad &= np.isfinite(np.asarray(expected, dtype=np.float64))
    if np.any(bad):
        kind = "NaN" if np.any(np.isnan(actual[bad])) else "inf"
        raise Fail(f"{what} contains {kind} ({int(bad.sum())} of {actual.size} values). {hint}".strip())


def equal(actual, expected, what: str, hint: str = "") -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape or not np.all(actual == expected):
        raise Fail(f"{what} is {_show(actual)}, expected {_show(expected)}. {hint}".strip())


def adam(r, builder: str, learning_rate: float) -> None:
    """Fail unless the record of :func:`_probes.compilation` is ``Adam(learning_rate=learning_rate)``.

    Args:
        r: the record (its ``optimizer`` and ``learning_rate``).
        builder: the student's function as the message names it, e.g. ``"build_crnn()"``.
        learning_rate: the task's learning rate.
    """
    if str(r["optimizer"]) != "Adam" or abs(float(r["learning_rate"]) - learning_rate) > 1e-9:
        raise Fail(
            f"`{builder}` compiles with {r['optimizer']}(learning_rate={float(r['learning_rate']):g}), "
            f"expected `keras.optimizers.Adam(learning_rate={learning_rate})`."
        )


def true(condition, message: str) -> None:
    if not bool(np.all(np.asarray(condition))):
        raise Fail(message)


def matches(actual, candidate, *, rtol: float = 1e-4, atol: float = 1e-5, equal_nan: bool = False) -> bool:
    """True if ``actual`` has the shape of ``candidate`` and its values within rtol/atol."""
    with np.errstate(all="ignore"):
        actual = np.asarray(actual, dtype=np.float64)
        candidate = np.asarray(candidate, dtype=np.float64)
        return actual.shape == candidate.shape and bool(
            np.allclose(actual, candidate, rtol=rtol, atol=atol, equal_nan=equal_nan)
        )


def diagnose(actual, mistakes, *args, rtol: float = 1e-4, atol: float = 1e-5, equal_nan: bool = False) -> str:
    """The hint of the first known mistake that reproduces ``actual``, else "".

    Args:
        actual: the student's values.
        mistakes: ``(mistake, hint)`` pairs. A mistake is the values it gives, or a function
            that computes them from ``*args``; one whose shapes do not fit (it raises
            ValueError) is skipped.
        rtol, atol, equal_nan: how close ``actual`` must be to name the mistake (see
            :func:`matches`); a check passes its own when float32 outputs need more room.
    """
    for mistake, hint in mistakes:
        if callable(mistake):
            try:
                with np.errstate(all="ignore"):
                    mistake = mistake(*args)
            except ValueError:
                continue
        if matches(actual, mistake, rtol=rtol, atol=atol, equal_nan=equal_nan):
            return hint
    return ""


def _show(array: np.ndarray) -> str:
    if array.ndim == 0:
        return repr(array.item())
    if array.size <= 8:
        return str(array.tolist())
    return f"an array of shape {array.shape}"
