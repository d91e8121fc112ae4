"""``common_activations.*``: sigmoid, tanh, ReLU, step, linear; their derivatives; autodiff; saturation."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from ._shared import logistic

# A known mistake is named when the student's output is this close to what it computes.
MISTAKE_TOL = dict(rtol=1e-3, atol=1e-4)

ACT_X = np.linspace(-5.0, 5.0, 20).astype(np.float32)  # an even count: 0 (the kink of ReLU and step) is not on it
ACT_NAMES = ("sigmoid", "tanh", "relu", "step", "linear")
DIFFERENTIABLE = ("sigmoid", "tanh", "relu")


def _ref_activations(x):
    x = np.asarray(x, dtype=np.float64)
    s, t = logistic(x), np.tanh(x)
    return {"sigmoid": s, "tanh": t, "relu": np.maximum(x, 0.0), "step": (x > 0).astype(np.float64), "linear": x}


def _ref_derivatives(x):
    x = np.asarray(x, dtype=np.float64)
    s, t = logistic(x), np.tanh(x)
    return {
        "sigmoid": s * (1 - s),
        "tanh": 1 - t * t,
        "relu": (x > 0).astype(np.float64),
        "step": np.zeros_like(x),
        "linear": np.ones_like(x),
    }


def _numbers(values, what):
    """A comparison such as `x > 0` gives booleans, which TensorFlow cannot add or multiply with floats."""
    if np.asarray(values).dtype.kind == "b":
        raise Fail(
            f"{what} returns booleans (True/False), not numbers: TensorFlow cannot multiply a bool tensor "
            'by a weight or add it to a float. Cast the comparison: `ops.cast(ops.greater(x, 0.0), "float32")`.'
        )


values = new(
    "common_activations.values",
    1,
    "sigmoid, tanh, ReLU, step and linear are right and TensorFlow can differentiate them",
)


@values.probe
def _(*functions):
    import tensorflow as tf

    out = {}
    for name, f in zip(ACT_NAMES, functions):
        x = tf.constant(ACT_X)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        out[name] = y
        if name in DIFFERENTIABLE:
            out[f"{name}_differentiable"] = tf.is_tensor(y) and tape.gradient(y, x) is not None
    return out


@values.verify
def _(r):
    x = ACT_X.astype(np.float64)
    ref = _ref_activations(x)
    mistakes = {
        "sigmoid": [(1 / (1 + np.exp(x)), "Your sigmoid matches 1/(1 + e^(+x)): the exponent is −x.")],
        "tanh": [
            (logistic(x), "Your tanh matches the sigmoid: tanh(x) = 2σ(2x) − 1, range (−1, 1)."),
            (np.tanh(x / 2), "Your tanh matches 2σ(x) − 1 = tanh(x/2): use 2σ(2x) − 1."),
        ],
        "relu": [
            (np.abs(x), "Your ReLU matches |x|: ReLU is max(0, x)."),
            (np.minimum(x, 0), "Your ReLU matches min(0, x): ReLU is max(0, x)."),
        ],
        "step": [
            (np.sign(x), "Your step matches sign(x) (−1/1): the step here is 0 for x < 0, 1 for x > 0."),
            ((x < 0).astype(float), "Your step is reversed: 0 for x < 0, 1 for x > 0."),
        ],
        "linear": [],
    }
    for name in ACT_NAMES:
        _numbers(r[name], f"`{name}(x)`")
        expect.close(
            r[name],
            ref[name],
            f"`{name}(x)`",
            expect.diagnose(r[name], mistakes[name], **MISTAKE_TOL),
            inputs={"x": x},
            **expect.ELEMENTWISE,
        )
    for name in DIFFERENTIABLE:
        if not bool(r[f"{name}_differentiable"]):
            raise Fail(
                f"TensorFlow cannot differentiate your `{name}`: on a tensor it must return a "
                "tensor built with `keras.ops` (`ops.exp`, `ops.maximum`, ...), not NumPy, "
                "so that autodiff (section 2) and training can follow it."
            )


derivatives = new(
    "common_activations.derivatives", 2, "the derivatives of sigmoid, tanh, ReLU, step and linear are right"
)


@derivatives.probe
def _(*functions):
    return {name: f(ACT_X) for name, f in zip(ACT_NAMES, functions)}


@derivatives.verify
def _(r):
    x = ACT_X.astype(np.float64)
    ref, act = _ref_derivatives(x), _ref_activations(x)
    on_input = "The formula is in terms of the activation's value: evaluate {f} first, then plug it in."
    mistakes = {
        "sigmoid": [
            (x * (1 - x), "Your σ′ matches x(1 − x). " + on_input.format(f="s = σ(x)")),
            (act["sigmoid"] * (1 + act["sigmoid"]), "Your σ′ matches σ(1 + σ): it is σ(1 − σ)."),
            (act["sigmoid"], "Your σ′ matches σ itself: σ′ = σ(1 − σ)."),
        ],
        "tanh": [
            (1 - x * x, "Your tanh′ matches 1 − x². " + on_input.format(f="t = tanh(x)")),
            (1 - act["tanh"], "Your tanh′ matches 1 − tanh(x): the tanh is squared."),
            (1 + act["tanh"] ** 2, "Your tanh′ matches 1 + tanh²: it is 1 − tanh²."),
        ],
        "relu": [
            (act["relu"], "Your ReLU′ matches ReLU itself: the slope is 1 for x > 0, 0 for x < 0."),
            ((x < 0).astype(float), "Your ReLU′ is reversed: 1 for x > 0, 0 for x < 0."),
        ],
        "step": [
            (
                act["step"],
                "Your step′ matches the step itself: a step is flat on both sides, so its "
                "derivative is 0 (except at 0, where it does not exist).",
            )
        ],
        "linear": [(x, "Your linear′ matches x: the derivative of x is 1 everywhere.")],
    }
    for name in ACT_NAMES:
        _numbers(r[name], f"the derivative `d_{name}(x)`")
        expect.close(
            r[name],
            ref[name],
            f"the derivative `d_{name}(x)`",
            expect.diagnose(r[name], mistakes[name], **MISTAKE_TOL),
            inputs={"x": x},
            **expect.ELEMENTWISE,
        )


AUTODIFF_X = np.linspace(-2.0, 2.0, 12).reshape(2, 6).astype(np.float32)  # 2-D: element-wise, shape kept
AUTODIFF_CASES = {"x**3": lambda x: 3 * x * x, "sin(x)": np.cos, "step(x)": np.zeros_like}

autodiff = new(
    "common_activations.autodiff", 1, "`autodiff_derivative(f, x)` returns f′ at every x with `tf.GradientTape`"
)


@autodiff.probe
def _(autodiff_derivative):
    from keras import ops

    functions = {
        "x**3": lambda x: x**3,
        "sin(x)": ops.sin,
        "step(x)": lambda x: ops.cast(ops.greater(x, 0.0), "float32"),
    }
    out = {}
    for i, (name, f) in enumerate(functions.items()):
        grad = autodiff_derivative(f, AUTODIFF_X)
        out[f"none{i}"] = grad is None
        out[f"d{i}"] = np.full(AUTODIFF_X.shape, np.nan) if grad is None else grad
    return out


@autodiff.verify
def _(r):
    x = AUTODIFF_X.astype(np.float64)
    for i, (name, derivative) in enumerate(AUTODIFF_CASES.items()):
        if bool(r[f"none{i}"]):
            if name == "step(x)":
                raise Fail(
                    "`autodiff_derivative` returned None for the step function: its output does "
                    "not depend differentiably on x, so `tape.gradient` returns None. The derivative "
                    "is 0 there: pass `unconnected_gradients=tf.UnconnectedGradients.ZERO`."
                )
            raise Fail(
                f"`autodiff_derivative` returned None for f(x) = {name}: the tape records only "
                "watched tensors. x is a constant, not a Variable: call `tape.watch(x)` inside "
                "the `with tf.GradientTape() as tape:` block, before computing f(x)."
            )
        ref = derivative(x)
        hint = (
            expect.diagnose(
                r[f"d{i}"],
                [
                    (
                        ref / x.size,
                        f"Your result is f′/{x.size}: you differentiated the mean of f(x). Differentiate "
                        "f(x) itself (or its sum): for an element-wise f, the gradient of sum(f(x)) is "
                        "f′ at each point.",
                    ),
                ],
                **MISTAKE_TOL,
            )
            if name != "step(x)"
            else ""
        )
        expect.close(
            r[f"d{i}"],
            ref,
            f"`autodiff_derivative(f, x)` for f(x) = {name}",
            hint,
            inputs={"x": x},
            **expect.ELEMENTWISE,
        )


def _sigmoid_prime(x):
    s = logistic(x)
    return s * (1 - s)


SATURATION_CASES = (  # (name, derivative, fraction, exact answer)
    ("sigmoid′", _sigmoid_prime, 0.01, float(np.log((1 + np.sqrt(0.99)) / (1 - np.sqrt(0.99))))),
    ("tanh′", lambda x: 1 - np.tanh(x) ** 2, 0.1, float(np.arctanh(np.sqrt(0.9)))),
    ("arctan′ = 1/(1 + x²)", lambda x: 1 / (1 + np.square(x)), 0.01, float(np.sqrt(99.0))),
    # A narrow bump that halves before x = 1: a grid that starts anywhere but 0 misses it.
    ("the bump exp(−x²/0.1)", lambda x: np.exp(-np.square(x) / 0.1), 0.5, float(np.sqrt(0.1 * np.log(2.0)))),
)
# The mistake of an absolute threshold, d_f(x) ≤ fraction: for σ′ (whose peak is 1/4) x = logit(s)
# with s(1 − s) = 0.01.
SIGMOID_ABSOLUTE = float(np.log((1 + np.sqrt(0.96)) / (1 - np.sqrt(0.96))))

saturation = new(
    "common_activations.saturation", 1, "`saturation_point(d_f, fraction)` finds where f′ falls to a fraction of f′(0)"
)


@saturation.probe
def _(saturation_point):
    return {f"x{i}": saturation_point(d_f, fraction) for i, (_, d_f, fraction, _) in enumerate(SATURATION_CASES)}


@saturation.verify
def _(r):
    for i, (name, _, fraction, exact) in enumerate(SATURATION_CASES):
        if r[f"x{i}"].size != 1:
            raise Fail(f"`saturation_point` should return one number, got an array of shape {r[f'x{i}'].shape}.")
        got = float(r[f"x{i}"].reshape(-1)[0])
        if abs(got - exact) <= 2e-3:
            continue
        hint = ""
        if i == 0 and abs(got - SIGMOID_ABSOLUTE) <= 2e-3:
            hint = (
                f" That is where σ′ ≤ {fraction} itself: the threshold is relative to the peak, "
                "fraction · d_f(0) (σ′(0) = 1/4)."
            )
        raise Fail(
            f"`saturation_point(d_f, fraction={fraction})` for {name} returned {got:.4g}, expected "
            f"{exact:.4g} (the smallest x ≥ 0 with d_f(x) ≤ fraction · d_f(0), to 1e-3).{hint}"
        )
