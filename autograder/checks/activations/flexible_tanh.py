"""``flexible_tanh.*``: the flexible tanh g(x, a) = (1 − exp(−2|a|x)) / (a (1 + exp(−2|a|x))) = tanh(|a|x)/a.

g is odd in a and jumps at a = 0: g → −x as a → 0⁻ and +x as a → 0⁺. The deck's formula is 0/0 at
a = 0; the course's convention there is g(x, 0) = x (a choice, not a limit).
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from ._shared import A_VALUES, PER_UNIT_A, X_GRID, X_SEQUENCE, forward_probe, layer_gradients
from .flexible_sigmoid import build_check, derivatives_check, gradient_check, stable_check

# float64 NumPy, written the stable way: the truth the records are compared with.


def ref_flexible_tanh(x, a):
    x, a = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(a, np.float64))
    safe_a = np.where(a == 0, 1.0, a)
    return np.where(a == 0, x, np.tanh(np.abs(a) * x) / safe_a)


def ref_tanh_dg_dx(x, a):
    """∂g/∂x = (|a|/a)(1 − tanh²(|a|x)) = sign(a)(1 − tanh²(|a|x)), for a ≠ 0."""
    x, a = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(a, np.float64))
    return np.sign(a) * (1.0 - np.tanh(np.abs(a) * x) ** 2)


def ref_tanh_dg_da(x, a):
    """∂g/∂a = (|a| x (1 − tanh²(|a|x)) − tanh(|a|x)) / a², for a ≠ 0 (quotient rule, sign(a)·a = |a|)."""
    x, a = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(a, np.float64))
    t = np.tanh(np.abs(a) * x)
    return (np.abs(a) * x * (1.0 - t**2) - t) / a**2


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
            ref_flexible_tanh(X_SEQUENCE, PER_UNIT_A),
            "`FlexibleTanh(per_unit=True)` with a different `a` per feature",
            "Each feature (last axis) must use its own `a`.",
            **expect.ELEMENTWISE,
        )


# ----------------------------------------------------------------------------- near a = 0

NEAR_ZERO_A = (0.0, 1e-8, 1e-5, 1e-3, -1e-8, -1e-5, -1e-3)
near_zero = new(
    "flexible_tanh.near_zero", 1, "`FlexibleTanh` is accurate for tiny |a| of either sign and returns x at a = 0"
)


@near_zero.probe
def _(FlexibleTanh):
    out = {}
    for i, a in enumerate(NEAR_ZERO_A):
        out[f"y{i}"] = FlexibleTanh(a_init=a)(X_GRID)
    return out


NEAR_ZERO_HINT = (
    "In float32 the deck's (1 − e^(−2|a|x)) / (a(1 + e^(−2|a|x))) loses every digit for tiny |a| "
    "(1 − e^(−2|a|x) rounds to 0) and is 0/0 at a = 0. Write it as tanh(|a|x)/a, which float32 "
    "computes accurately for any a ≠ 0, and return x only where a == 0 exactly (`keras.ops.where`)."
)


@near_zero.verify
def _(r):
    for i, a in enumerate(NEAR_ZERO_A):
        mistakes = [
            (
                lambda x, a: np.where(a == 0, np.zeros_like(x), np.nan),
                "At a = 0 the deck's formula is 0/0; the course's convention there is g(x, 0) = x, not 0.",
            ),
            (
                lambda x, a: np.where(a < 0, x, np.nan),
                f"At a = {a:g} your layer returns +x, but tanh(|a|x)/a ≈ sign(a)·x = −x for tiny negative a: "
                "g is odd in a and jumps from −x to +x at a = 0. Divide by a itself (not |a|), and use x only "
                "where a == 0 exactly, not wherever |a| is tiny.",
            ),
        ]
        hint = expect.diagnose(r[f"y{i}"], mistakes, X_GRID, np.float64(a), equal_nan=False)
        expect.close(
            r[f"y{i}"],
            ref_flexible_tanh(X_GRID, a),
            f"`FlexibleTanh(a_init={a:g})(x)`",
            hint or NEAR_ZERO_HINT,
            rtol=1e-3,
            atol=1e-4,
        )


# ----------------------------------------------------------------------------- the gradient at a = 0

ZERO_GRADIENT_A = (0.0, -1e-7)
zero_gradient = new(
    "flexible_tanh.zero_gradient", 1, "`FlexibleTanh`'s gradients are finite at a = 0 and right just below it"
)


@zero_gradient.probe
def _(FlexibleTanh):
    return layer_gradients(FlexibleTanh, ZERO_GRADIENT_A, X_GRID)


WHERE_NAN_HINT = (
    "`keras.ops.where` differentiates both branches: the branch it does not select gets a zero "
    "gradient, but 0 · NaN is NaN. At a = 0, tanh(|a|x)/a is 0/0, so divide by a safe denominator "
    "(a where a ≠ 0, 1 where a == 0) and the unused branch stays finite."
)


@zero_gradient.verify
def _(r):
    for i, a in enumerate(ZERO_GRADIENT_A):
        if bool(r[f"grad_x_none{i}"]) or bool(r[f"grad_a_none{i}"]):
            missing = "x" if bool(r[f"grad_x_none{i}"]) else "`a`"
            raise Fail(
                f"the gradient of `FlexibleTanh(a_init={a:g})` w.r.t. {missing} is None: TensorFlow cannot "
                "differentiate through your `call`. Use `keras.ops` throughout, not NumPy or `.numpy()`."
            )
        expect.finite(r[f"grad_a{i}"], f"∂/∂a of `FlexibleTanh(a_init={a:g})`", WHERE_NAN_HINT)
        expect.finite(r[f"grad_x{i}"], f"∂/∂x of `FlexibleTanh(a_init={a:g})`", WHERE_NAN_HINT)
        # At a = 0 the layer is x (∂/∂x = 1); at a = −1e−7 it is tanh(|a|x)/a (∂/∂x = sign(a)·sech² ≈ −1).
        expected = np.ones(X_GRID.shape) if a == 0 else ref_tanh_dg_dx(X_GRID, a)
        expect.close(
            r[f"grad_x{i}"],
            expected,
            f"∂/∂x of `FlexibleTanh(a_init={a:g})`",
            "At a = 0 the layer returns x, whose slope is 1; for any a ≠ 0, however tiny, it is "
            "tanh(|a|x)/a, whose slope at the origin is sign(a). Divide by a (not |a|), and use x only "
            "where a == 0 exactly.",
            **expect.ELEMENTWISE,
        )


# ----------------------------------------------------------------------------- stability (hidden), gradients

stable = new("flexible_tanh.stable", 1, "`FlexibleTanh` and its gradient stay finite for |x| up to 1e4", hidden=True)
stable_check(stable, "FlexibleTanh", ref_flexible_tanh)

gradient = new(
    "flexible_tanh.gradient", 1, "`FlexibleTanh`'s gradients w.r.t. x and a match central finite differences (float64)"
)
gradient_check(gradient, "FlexibleTanh")


# ----------------------------------------------------------------------------- analytic derivatives


def _t(x, a):
    return np.tanh(np.abs(a) * x)


TANH_DX_MISTAKES = [
    (
        lambda x, a: 1 - _t(x, a) ** 2,
        "Your ∂g/∂x matches 1 − tanh²(|a|x): that is right for a > 0 only; "
        "∂g/∂x = (|a|/a)(1 − tanh²) = sign(a)(1 − tanh²).",
    ),
    (
        lambda x, a: np.abs(a) * (1 - _t(x, a) ** 2),
        "Your ∂g/∂x matches |a|(1 − tanh²(|a|x)): you forgot to divide by a.",
    ),
]
TANH_DA_MISTAKES = [
    (
        lambda x, a: (a * x * (1 - _t(x, a) ** 2) - _t(x, a)) / a**2,
        "Your ∂g/∂a is right for a > 0 only: d|a|/da = sign(a), so the first term is "
        "sign(a)·x(1 − tanh²)·a / a² = |a|x(1 − tanh²)/a².",
    ),
    (
        lambda x, a: np.abs(a) * x * (1 - _t(x, a) ** 2) / a**2,
        "Your ∂g/∂a misses the quotient rule's second term, −tanh(|a|x)/a².",
    ),
    (
        lambda x, a: (np.abs(a) * x * (1 - _t(x, a) ** 2) + _t(x, a)) / a**2,
        "Your ∂g/∂a has the quotient rule's second term with the wrong sign: it is −tanh(|a|x)/a².",
    ),
]

derivatives = new(
    "flexible_tanh.derivatives", 2, "`flexible_tanh_derivatives(x, a)` returns the analytic ∂g/∂x and ∂g/∂a (a ≠ 0)"
)
derivatives_check(
    derivatives, "flexible_tanh_derivatives", ref_tanh_dg_dx, ref_tanh_dg_da, TANH_DX_MISTAKES, TANH_DA_MISTAKES
)
