"""``flexible_sigmoid.*``: the flexible sigmoid g(x, a) = 2|a| / (1 + exp(−2|a|x)).

Its build, stability and gradient checks are made by the factories below, which
``flexible_tanh.py`` uses for the same three checks of `FlexibleTanh`.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from ._shared import (
    A_VALUES,
    DERIVATIVE_A,
    DERIVATIVE_A_PER_UNIT,
    DERIVATIVE_X,
    PER_UNIT_A,
    X_GRID,
    X_SEQUENCE,
    derivatives_probe,
    forward_probe,
    layer_gradients,
)

# float64 NumPy, written the stable way: the truth the records are compared with.


def ref_flexible_sigmoid(x, a):
    k = 2.0 * np.abs(a)
    return k / (1.0 + np.exp(np.clip(-k * x, -700, 700)))


def _sigma(z):
    return 1.0 / (1.0 + np.exp(np.clip(-z, -700, 700)))


def ref_sigmoid_dg_dx(x, a):
    """∂g/∂x = k²σ(kx)(1 − σ(kx)), k = 2|a| (the chain rule through σ(kx) brings the second k)."""
    x, a = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(a, np.float64))
    k = 2.0 * np.abs(a)
    s = _sigma(k * x)
    return k * k * s * (1.0 - s)


def ref_sigmoid_dg_da(x, a):
    """∂g/∂a = 2 sign(a) (σ(kx) + kx σ(kx)(1 − σ(kx))): dk/da = 2 sign(a), then the product rule on k σ(kx)."""
    x, a = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(a, np.float64))
    k = 2.0 * np.abs(a)
    s = _sigma(k * x)
    return 2.0 * np.sign(a) * (s + k * x * s * (1.0 - s))


# ----------------------------------------------------------------------------- build


def build_check(check, layer_name: str) -> None:
    """Give ``check`` its halves: ``layer_name`` creates its weight `a` in build()."""

    @check.probe
    def probe(Layer):
        scalar = Layer(a_init=0.7)
        before = len(scalar.weights)
        scalar.build((None, 6))
        per_unit = Layer(a_init=0.7, per_unit=True)
        per_unit.build(X_SEQUENCE.shape)  # (batch 2, time 5, features 6): only the last axis is right
        return {
            "weights_before_build": before,
            "trainable_after_build": len(scalar.trainable_weights),
            "a_shape_scalar": np.asarray(scalar.trainable_weights[0].shape) if scalar.trainable_weights else [-1],
            "a_scalar": scalar.trainable_weights[0] if scalar.trainable_weights else np.nan,
            "a_shape_per_unit": np.asarray(per_unit.trainable_weights[0].shape) if per_unit.trainable_weights else [-1],
            "a_per_unit": per_unit.trainable_weights[0] if per_unit.trainable_weights else np.nan,
        }

    @check.verify
    def verify(r):
        if int(r["weights_before_build"]) != 0:
            raise Fail(
                f"`{layer_name}` has weights before it is built: create `a` in `build()` "
                "with `self.add_weight(...)`, not in `__init__`, so its shape can follow the input."
            )
        if int(r["trainable_after_build"]) != 1:
            raise Fail(
                f"after `build((None, 6))`, `{layer_name}` has {int(r['trainable_after_build'])} "
                "trainable weights; expected exactly one, `a`."
            )
        if r["a_shape_scalar"].size != 0:
            raise Fail(
                f"with `per_unit=False`, `a` should be a scalar (shape ()), "
                f"got shape {tuple(r['a_shape_scalar'].tolist())}."
            )
        expect.close(
            r["a_scalar"], 0.7, "the initial value of `a`", "Initialise it with `keras.initializers.Constant(a_init)`."
        )
        if tuple(r["a_shape_per_unit"].tolist()) != (6,):
            raise Fail(
                "with `per_unit=True` and an input of shape (2, 5, 6) (batch, time, features), `a` should "
                f"have shape (6,), got {tuple(r['a_shape_per_unit'].tolist())}: the features are the last "
                "axis, `input_shape[-1]`, whatever the rank of the input."
            )
        expect.close(r["a_per_unit"], np.full(6, 0.7), "the initial per-unit `a`")


build = new("flexible_sigmoid.build", 1, "`FlexibleSigmoid` creates its weight `a` in build()")
build_check(build, "FlexibleSigmoid")


# ----------------------------------------------------------------------------- forward

forward = new("flexible_sigmoid.forward", 2, "`FlexibleSigmoid` computes 2|a| / (1 + exp(−2|a|x))")


@forward.probe
def _(FlexibleSigmoid):
    return forward_probe(FlexibleSigmoid, A_VALUES)


SIGMOID_MISTAKES = [
    (lambda x, a: 2 * a / (1 + np.exp(-2 * a * x)), "Your output matches 2a/(1+exp(−2ax)): use |a| (`keras.ops.abs`)."),
    (
        lambda x, a: np.abs(a) / (1 + np.exp(-np.abs(a) * x)),
        "Your output matches |a|·σ(|a|x): the deck's formula has 2|a| in both places.",
    ),
    (lambda x, a: 1 / (1 + np.exp(-2 * np.abs(a) * x)), "Your output matches σ(2|a|x): the numerator is 2|a|, not 1."),
    (
        lambda x, a: 2 * np.abs(a) / (1 + np.exp(2 * np.abs(a) * x)),
        "Your output matches 2|a|/(1+exp(+2|a|x)): the sign in the exponent is −.",
    ),
]


@forward.verify
def _(r):
    for i, a in enumerate(A_VALUES):
        y = r[f"y{i}"]
        hint = expect.diagnose(y, SIGMOID_MISTAKES, X_GRID, a)
        expect.close(
            y,
            ref_flexible_sigmoid(X_GRID, a),
            f"`FlexibleSigmoid(a_init={a})(x)`",
            hint,
            inputs={"x": X_GRID},
            **expect.ELEMENTWISE,
        )
    if "y_per_unit" in r:
        expect.close(
            r["y_per_unit"],
            ref_flexible_sigmoid(X_SEQUENCE, PER_UNIT_A),
            "`FlexibleSigmoid(per_unit=True)` with a different `a` per feature",
            "Each feature (last axis) must use its own `a`: let broadcasting pair a[j] with x[..., j].",
            **expect.ELEMENTWISE,
        )


# ----------------------------------------------------------------------------- stability (hidden)

HUGE_X = np.array([[-1e4, -1e3, -90.0, -30.0, 0.0, 30.0, 90.0, 1e3, 1e4]], dtype=np.float32)


def stable_check(check, layer_name: str, reference, a_values=(1.0, 3.0)) -> None:
    """Give ``check`` its halves: ``layer_name`` and its gradient stay finite for |x| up to 1e4."""

    @check.probe
    def probe(Layer):
        return layer_gradients(Layer, a_values, HUGE_X)

    @check.verify
    def verify(r):
        hint = (
            "exp(−2|a|x) overflows float32 for large negative x (inf/inf = NaN). "
            "Rewrite with `keras.ops.sigmoid` or `keras.ops.tanh`, which are stable."
        )
        for i, a in enumerate(a_values):
            expect.finite(r[f"y{i}"], f"`{layer_name}` at very large |x|", hint)
            expect.close(
                r[f"y{i}"], reference(HUGE_X, a), f"`{layer_name}` at very large |x|", hint, rtol=1e-4, atol=1e-4
            )
            expect.finite(r[f"grad_x{i}"], f"the gradient of `{layer_name}` w.r.t. x at very large |x|", hint)
            expect.finite(r[f"grad_a{i}"], f"the gradient of `{layer_name}` w.r.t. `a` at very large |x|", hint)


stable = new(
    "flexible_sigmoid.stable", 1, "`FlexibleSigmoid` and its gradient stay finite for |x| up to 1e4", hidden=True
)
stable_check(stable, "FlexibleSigmoid", ref_flexible_sigmoid)


# ----------------------------------------------------------------------------- gradients

GRAD_X = np.linspace(-2.0, 2.0, 9).reshape(1, 9)
GRAD_A = (0.8, -1.3)
FD_STEP = 1e-6


def gradient_check(check, layer_name: str) -> None:
    """Give ``check`` its halves: ``layer_name``'s gradients match central finite differences."""

    @check.probe
    def probe(Layer):
        import tensorflow as tf

        out = {}
        for i, a in enumerate(GRAD_A):
            layer = Layer(a_init=a, dtype="float64")
            x = tf.constant(GRAD_X, dtype=tf.float64)
            with tf.GradientTape() as tape:
                tape.watch(x)
                total = tf.reduce_sum(layer(x))
            (weight,) = layer.trainable_weights
            grad_x, grad_a = tape.gradient(total, [x, weight])
            out[f"grad_x{i}"] = np.full(GRAD_X.shape, np.nan) if grad_x is None else grad_x
            out[f"grad_a{i}"] = np.nan if grad_a is None else grad_a
            out[f"grad_x_none{i}"] = grad_x is None
            out[f"grad_a_none{i}"] = grad_a is None
            # Central differences of the student's own function: the gradient must be that
            # function's derivative, whether or not the function itself is right.
            # Row j of the batch moves x_j alone (the layer is element-wise): two calls, not 2 × 9.
            step = np.eye(GRAD_X.size) * FD_STEP
            up, down = layer(GRAD_X + step).numpy(), layer(GRAD_X - step).numpy()
            out[f"fd_x{i}"] = (np.diagonal(up - down) / (2 * FD_STEP)).reshape(GRAD_X.shape)
            weight.assign(a + FD_STEP)
            up = np.sum(layer(GRAD_X).numpy())
            weight.assign(a - FD_STEP)
            down = np.sum(layer(GRAD_X).numpy())
            out[f"fd_a{i}"] = (up - down) / (2 * FD_STEP)
        return out

    @check.verify
    def verify(r):
        for i, a in enumerate(GRAD_A):
            if bool(r[f"grad_x_none{i}"]) or bool(r[f"grad_a_none{i}"]):
                missing = "x" if bool(r[f"grad_x_none{i}"]) else "`a`"
                raise Fail(
                    f"the gradient of `{layer_name}` w.r.t. {missing} is None: TensorFlow cannot "
                    "differentiate through your `call`. Use `keras.ops` throughout, not NumPy or "
                    "`.numpy()`."
                )
            expect.close(
                r[f"grad_x{i}"],
                r[f"fd_x{i}"],
                f"∂/∂x of `{layer_name}(a_init={a})` (autodiff vs central differences)",
                "Look for a `stop_gradient`, a cast, or a custom gradient in `call`.",
                rtol=1e-5,
                atol=1e-6,
                inputs={"x": GRAD_X},
            )
            expect.close(
                r[f"grad_a{i}"],
                r[f"fd_a{i}"],
                f"∂/∂a of `{layer_name}(a_init={a})` (autodiff vs central differences)",
                "Is `a` used through `self.<weight>` inside `call` (not a copy made in `build`)?",
                rtol=1e-5,
                atol=1e-6,
            )


gradient = new(
    "flexible_sigmoid.gradient",
    1,
    "`FlexibleSigmoid`'s gradients w.r.t. x and a match central finite differences (float64)",
)
gradient_check(gradient, "FlexibleSigmoid")


# ----------------------------------------------------------------------------- analytic derivatives


def derivatives_check(check, function_name: str, ref_dg_dx, ref_dg_da, dx_mistakes, da_mistakes) -> None:
    """Give ``check`` its halves: ``function_name(x, a)`` returns the analytic (∂g/∂x, ∂g/∂a)."""

    @check.probe
    def probe(derivatives):
        return derivatives_probe(derivatives)

    @check.verify
    def verify(r):
        for i, a in enumerate((*DERIVATIVE_A, DERIVATIVE_A_PER_UNIT)):
            label = f"a = {a}" if np.ndim(a) == 0 else f"one a per feature, a = {np.asarray(a).tolist()}"
            for key, reference, mistakes, symbol in (
                ("dg_dx", ref_dg_dx, dx_mistakes, "∂g/∂x"),
                ("dg_da", ref_dg_da, da_mistakes, "∂g/∂a"),
            ):
                actual = r[f"{key}{i}"]
                hint = expect.diagnose(actual, mistakes, DERIVATIVE_X, np.asarray(a, np.float64), rtol=1e-5, atol=1e-7)
                expect.close(
                    actual,
                    reference(DERIVATIVE_X, a),
                    f"{symbol} returned by `{function_name}(x, a)` ({label})",
                    hint or "Differentiate the formula by hand, one factor at a time, and recall d|a|/da = sign(a).",
                    rtol=1e-5,
                    atol=1e-7,
                    inputs={"x": DERIVATIVE_X},
                )


def _sig(x, a):
    return _sigma(2.0 * np.abs(a) * x)


SIGMOID_DX_MISTAKES = [
    (
        lambda x, a: 2 * np.abs(a) * _sig(x, a) * (1 - _sig(x, a)),
        "Your ∂g/∂x matches 2|a|·σ(1−σ): the chain rule through σ(2|a|x) brings a second factor 2|a|.",
    ),
    (
        lambda x, a: _sig(x, a) * (1 - _sig(x, a)),
        "Your ∂g/∂x matches σ(1−σ): g is 2|a|·σ(2|a|x), so both factors 2|a| stay.",
    ),
]
SIGMOID_DA_MISTAKES = [
    (
        lambda x, a: 2 * (_sig(x, a) + 2 * np.abs(a) * x * _sig(x, a) * (1 - _sig(x, a))),
        "Your ∂g/∂a is right for a > 0 only: d|a|/da = sign(a), so the whole derivative changes sign for a < 0.",
    ),
    (
        lambda x, a: 2 * np.sign(a) * _sig(x, a),
        "Your ∂g/∂a misses a term: k = 2|a| appears twice in k·σ(kx), so the product rule gives dk/da·(σ + kx·σ(1−σ)).",
    ),
    (
        lambda x, a: 2 * np.sign(a) * 2 * np.abs(a) * x * _sig(x, a) * (1 - _sig(x, a)),
        "Your ∂g/∂a misses the term of the factor k in front: product rule, dk/da·σ(kx) + k·σ'(kx)·x·dk/da.",
    ),
    (
        lambda x, a: _sig(x, a) + 2 * np.abs(a) * x * _sig(x, a) * (1 - _sig(x, a)),
        "Your ∂g/∂a is ∂g/∂k: multiply by dk/da = 2 sign(a).",
    ),
]

derivatives = new(
    "flexible_sigmoid.derivatives", 2, "`flexible_sigmoid_derivatives(x, a)` returns the analytic ∂g/∂x and ∂g/∂a"
)
derivatives_check(
    derivatives,
    "flexible_sigmoid_derivatives",
    ref_sigmoid_dg_dx,
    ref_sigmoid_dg_da,
    SIGMOID_DX_MISTAKES,
    SIGMOID_DA_MISTAKES,
)
