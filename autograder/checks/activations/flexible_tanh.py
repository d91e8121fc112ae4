"""``flexible_tanh.*``: the flexible tanh g(x, a) = (1 − exp(−2|a|x)) / (a (1 + exp(−2|a|x))), = x at a = 0."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import new
from ._shared import A_VALUES, PER_UNIT_A, X_GRID, forward_probe
from .flexible_sigmoid import build_check, gradient_check, stable_check

# float64 NumPy, written the stable way: the truth the records are compared with.


def ref_flexible_tanh(x, a):
    x, a = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(a, np.float64))
    safe_a = np.where(a == 0, 1.0, a)
    return np.where(a == 0, x, np.tanh(np.abs(a) * x) / safe_a)


build = new("flexible_tanh.build", 1, "`FlexibleTanh` creates its weight `a` in build()")
build_check(build, "FlexibleTanh")


# ----------------------------------------------------------------------------- forward

forward = new("flexible_tanh.forward", 2, "`FlexibleTanh` computes (1 − exp(−2|a|x)) / (a(1 + exp(−2|a|x)))")


@forward.probe
def _(FlexibleTanh):
    return forward_probe(FlexibleTanh, A_VALUES)


TANH_MISTAKES = [
    (
        lambda x, a: np.tanh(np.abs(a) * x) / np.abs(a),
        "Your output matches tanh(|a|x)/|a|: the deck divides by a, not |a|, so the sign flips for a < 0.",
    ),
    (lambda x, a: np.tanh(a * x) / a, "Your output matches tanh(ax)/a: the exponent uses |a|."),
    (lambda x, a: np.tanh(np.abs(a) * x), "Your output matches tanh(|a|x): you forgot to divide by a."),
    (
        lambda x, a: np.tanh(2 * np.abs(a) * x) / a,
        "Your output matches tanh(2|a|x)/a: (1 − e^(−2u))/(1 + e^(−2u)) is tanh(u), not tanh(2u).",
    ),
]


@forward.verify
def _(r):
    for i, a in enumerate(A_VALUES):
        y = r[f"y{i}"]
        hint = expect.diagnose(y, TANH_MISTAKES, X_GRID, a)
        expect.close(
            y,
            ref_flexible_tanh(X_GRID, a),
            f"`FlexibleTanh(a_init={a})(x)`",
            hint,
            inputs={"x": X_GRID},
            **expect.ELEMENTWISE,
        )
    if "y_per_unit" in r:
        expect.close(
            r["y_per_unit"],
            ref_flexible_tanh(X_GRID, PER_UNIT_A),
            "`FlexibleTanh(per_unit=True)` with a different `a` per feature",
            "Each feature (last axis) must use its own `a`.",
            **expect.ELEMENTWISE,
        )


# ----------------------------------------------------------------------------- near a = 0

NEAR_ZERO_A = (0.0, 1e-8, 1e-5, 1e-3)
near_zero = new("flexible_tanh.near_zero", 1, "`FlexibleTanh` is defined at and near a = 0 by its limit, x")


@near_zero.probe
def _(FlexibleTanh):
    out = {}
    for i, a in enumerate(NEAR_ZERO_A):
        out[f"y{i}"] = FlexibleTanh(a_init=a)(X_GRID)
    return out


@near_zero.verify
def _(r):
    for i, a in enumerate(NEAR_ZERO_A):
        expect.close(
            r[f"y{i}"],
            ref_flexible_tanh(X_GRID, a),
            f"`FlexibleTanh(a_init={a:g})(x)`",
            "As a → 0, (1 − e^(−2|a|x)) / (a(1 + e^(−2|a|x))) → x, but in float32 the formula "
            "loses every digit (1 − e^(−2|a|x) rounds to 0). Write it as tanh(|a|x)/a and "
            "switch to x where |a| is tiny (`keras.ops.where`).",
            rtol=1e-3,
            atol=1e-4,
        )


# ----------------------------------------------------------------------------- stability (hidden), gradients

stable = new("flexible_tanh.stable", 1, "`FlexibleTanh` and its gradient stay finite for |x| up to 1e4", hidden=True)
stable_check(stable, "FlexibleTanh", ref_flexible_tanh)

gradient = new(
    "flexible_tanh.gradient", 1, "`FlexibleTanh`'s gradients w.r.t. x and a match central finite differences (float64)"
)
gradient_check(gradient, "FlexibleTanh")
