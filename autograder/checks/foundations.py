"""Checks for assignment 00: foundations (deck topics 1–4 and 10).

    network        ŷ = f°(W°ʰ fʰ(Wⁱʰ x + bⁱʰ) + b°ʰ)    Wⁱʰ: hidden × input, W°ʰ: output × hidden
                   for a batch with one sample per row:  f°(fʰ(x Wⁱʰᵀ + bⁱʰ) W°ʰᵀ + b°ʰ)
    activations    sigmoid, tanh, ReLU, step, linear; their derivatives; autodiff; saturation
    RBF network    ŷ(x) = Σⱼ wⱼ g(x − cⱼ, β),  g(x, β) = exp(−x²/β)
    approximation  one hidden layer fits a 1-D target; a grid search over width × learning rate

The network checks isolate one idea each: `equation.order` zeroes the biases and makes f° the
identity, `equation.bias` makes both matrices the identity, `equation.output_activation` zeroes
the biases and makes both matrices 2I, so a mistake fails its own check (and `equation.shapes`
when it also breaks rectangular shapes).
"""

from __future__ import annotations

import numpy as np

from . import expect
from ._core import Fail, describe_student_error, new

# ----------------------------------------------------------------------------- references
# float64 NumPy: the truth records are compared with. Also passed to the student's `forward`
# as fʰ and f° (so they must accept whatever arrays the student's code hands them).


def identity(z):
    return z


def logistic(z):
    """σ(z) = 1/(1 + e^(−z)), stable for any z: a probe input (an f°) and the reference for `sigmoid`."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))  # stable for any z


def ref_forward(x, W_ih, b_ih, W_oh, b_oh, f_h, f_o):
    return f_o(f_h(x @ W_ih.T + b_ih) @ W_oh.T + b_oh)


def _matches(actual, candidate) -> bool:
    actual, candidate = np.asarray(actual, dtype=np.float64), np.asarray(candidate, dtype=np.float64)
    with np.errstate(all="ignore"):
        return actual.shape == candidate.shape and bool(np.allclose(actual, candidate, rtol=1e-3, atol=1e-4))


def _diagnose(actual, candidates) -> str:
    """The hint of the first known mistake whose output the student's output reproduces.

    A candidate may be a function of no arguments, for mistakes only some shapes allow.
    """
    for candidate, hint in candidates:
        if callable(candidate):
            try:
                candidate = candidate()
            except ValueError:  # this mistake is impossible with these shapes
                continue
        if _matches(actual, candidate):
            return hint
    return ""


def _random_network(n_in, n_hidden, n_out, seed):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n_hidden, n_in)), rng.normal(size=n_hidden),
            rng.normal(size=(n_out, n_hidden)), rng.normal(size=n_out))


def _raise_unwritten(error) -> None:
    """An unwritten solution needs no hint about shapes: say just that."""
    if "NotImplementedError" in str(error):
        raise Fail(str(error))


def _sizes(x, W_ih, b_ih, W_oh, b_oh) -> str:
    return (f"x {x.shape}, W_ih {W_ih.shape}, b_ih {b_ih.shape}, W_oh {W_oh.shape}, "
            f"b_oh {b_oh.shape}")


NO_F_H = "Your output matches a network without fʰ: apply `f_h` to the hidden pre-activation."
USES_F_H_AT_OUTPUT = ("Your output matches fʰ used for the output too: the output layer applies `f_o` "
                      "(in this case the identity or the sigmoid), not `f_h`.")
ROW_SAMPLES = ("Wⁱʰ is (hidden × input), as in the deck's Wⁱʰx; with one sample per row of x the "
               "hidden layer is `f_h(x @ W_ih.T + b_ih)`, of shape (batch, hidden), and the output "
               "`f_o(h @ W_oh.T + b_oh)`, of shape (batch, outputs).")

# ----------------------------------------------------------------------------- 1. the equation

SHAPE_CASES = ((3, 4, 2, 5), (1, 6, 1, 7))  # (inputs, hidden, outputs, batch): all different


def _shape_case(i):
    n_in, n_hidden, n_out, batch = SHAPE_CASES[i]
    x = np.random.default_rng(100 + i).normal(size=(batch, n_in))
    return x, _random_network(n_in, n_hidden, n_out, seed=i)


shapes = new("equation.shapes", 1, "`forward` maps a batch (batch, inputs) to (batch, outputs)")


@shapes.probe
def _(forward):
    out = {}
    for i in range(len(SHAPE_CASES)):
        x, net = _shape_case(i)
        try:
            y = forward(x, *net, np.tanh, identity)
        except Exception as exc:  # a shape mismatch names the mistake: keep it, add the hint
            out[f"error{i}"] = describe_student_error(exc)
            continue
        out[f"shape{i}"] = np.asarray(np.shape(y), dtype=np.int64)
    return out


@shapes.verify
def _(r):
    for i, (n_in, n_hidden, n_out, batch) in enumerate(SHAPE_CASES):
        x, net = _shape_case(i)
        if f"error{i}" in r:
            _raise_unwritten(r[f"error{i}"])
            raise Fail(f"with {_sizes(x, *net)}, {r[f'error{i}']} {ROW_SAMPLES}")
        got = tuple(int(n) for n in r[f"shape{i}"])
        if got != (batch, n_out):
            hint = ("That is the transpose: with columns as samples, transpose the result back."
                    if got == (n_out, batch) else ROW_SAMPLES)
            raise Fail(f"with {_sizes(x, *net)}, `forward` returned shape {got}, expected "
                       f"(batch, outputs) = {(batch, n_out)}. {hint}")


# Batches as large as the layers: a column-sample implementation (`W @ x.T`) runs here too, so its
# bias mistake fails `equation.bias` alone, not this check as well.
ORDER_X = np.random.default_rng(7).normal(size=(3, 3))
ORDER_W_IH, _, ORDER_W_OH, _ = _random_network(3, 3, 3, seed=8)  # square: a wrong order still runs
ZERO3 = np.zeros(3)
ORDER_CASES = (("tanh", np.tanh), ("identity", identity))

order = new("equation.order", 2, "`forward` applies Wⁱʰ (transposed for row samples), fʰ, then W°ʰ")


@order.probe
def _(forward):
    return {f"y_{name}": forward(ORDER_X, ORDER_W_IH, ZERO3, ORDER_W_OH, ZERO3, f_h, identity)
            for name, f_h in ORDER_CASES}


@order.verify
def _(r):
    x, Wi, Wo = ORDER_X, ORDER_W_IH, ORDER_W_OH
    for name, f_h in ORDER_CASES:
        y = r[f"y_{name}"]
        hint = _diagnose(y, [
            (f_h(x @ Wi) @ Wo, "Your output matches x @ W_ih then @ W_oh, without transposes. "
                               "W_ih is (hidden × input) like the deck's Wⁱʰ: for row samples use "
                               "`x @ W_ih.T` (and `h @ W_oh.T`)."),
            (f_h(x @ Wo.T) @ Wi.T, "Your output matches W°ʰ applied first. The input meets Wⁱʰ "
                                   "(input → hidden), then fʰ, then W°ʰ (hidden → output)."),
            (f_h(x @ Wo) @ Wi, "Your output matches W°ʰ applied first and no transposes."),
            (f_h(x @ Wi.T @ Wo.T), "Your output matches fʰ applied after both matrices: fʰ acts on "
                                   "the hidden layer, between Wⁱʰ and W°ʰ."),
            (x @ Wi.T @ Wo.T, "Your output matches a network without fʰ: apply `f_h` to the hidden "
                              "pre-activation."),
            (f_h(f_h(x @ Wi.T) @ Wo.T), USES_F_H_AT_OUTPUT),
        ])
        expect.close(y, ref_forward(x, Wi, ZERO3, Wo, ZERO3, f_h, identity),
                     f"`forward` with zero biases, f° = identity and fʰ = {name}",
                     hint or ROW_SAMPLES, **expect.MATMUL)


# Identity matrices and a batch as large as the hidden layer: a bias added along the wrong
# axis broadcasts without error, so only its values can show the mistake.
BIAS_X = np.random.default_rng(9).normal(size=(3, 3))
EYE3 = np.eye(3)
B_IH = np.array([0.5, -1.0, 2.0])
B_OH = np.array([1.0, -0.5, 0.25])

bias = new("equation.bias", 2, "`forward` adds bⁱʰ inside fʰ and b°ʰ after W°ʰ, once per sample")


@bias.probe
def _(forward):
    return {
        "y_ih": forward(BIAS_X, EYE3, B_IH, EYE3, ZERO3, np.tanh, identity),
        "y_oh": forward(BIAS_X, EYE3, ZERO3, EYE3, B_OH, np.tanh, identity),
    }


@bias.verify
def _(r):
    x = BIAS_X
    if _matches(r["y_ih"], np.tanh(x) + B_IH) and _matches(r["y_oh"], np.tanh(x + B_OH)):
        raise Fail("`forward` has bⁱʰ and b°ʰ swapped: bⁱʰ belongs to the hidden layer, "
                   "fʰ(Wⁱʰx + bⁱʰ); b°ʰ to the output, W°ʰh + b°ʰ.")
    along_batch = ("the bias was added along the batch axis (sample i got b[i]). With one sample per "
                   "row, `z + b` adds b[j] to unit j; if you work with columns (`W @ x.T`), add "
                   "`b[:, None]`.")
    expect.close(r["y_ih"], np.tanh(x + B_IH),
                 "`forward` with identity matrices, f° = identity, only bⁱʰ non-zero",
                 _diagnose(r["y_ih"], [
                     (np.tanh(x) + B_IH, "bⁱʰ was added after fʰ; it belongs inside: fʰ(Wⁱʰx + bⁱʰ)."),
                     (np.tanh(x + B_IH[:, None]), "bⁱʰ: " + along_batch),
                     (np.tanh(x), "bⁱʰ was not added at all."),
                     (x + B_IH, NO_F_H),
                     (np.tanh(np.tanh(x + B_IH)), USES_F_H_AT_OUTPUT),
                 ]), **expect.MATMUL)
    expect.close(r["y_oh"], np.tanh(x) + B_OH,
                 "`forward` with identity matrices, f° = identity, only b°ʰ non-zero",
                 _diagnose(r["y_oh"], [
                     (np.tanh(x + B_OH), "b°ʰ was added inside fʰ; it belongs to the output layer: "
                                         "f°(W°ʰh + b°ʰ)."),
                     (np.tanh(x) + B_OH[:, None], "b°ʰ: " + along_batch),
                     (np.tanh(x), "b°ʰ was not added at all."),
                     (x + B_OH, NO_F_H),
                     (np.tanh(np.tanh(x) + B_OH), USES_F_H_AT_OUTPUT),
                 ]), **expect.MATMUL)


OUT_X = np.random.default_rng(11).normal(size=(3, 3))
OUT_W = 2.0 * EYE3  # a scale: f° before W°ʰ differs from f° after it; the same for both, so order cannot matter

output_activation = new("equation.output_activation", 1, "`forward` applies f° last, to W°ʰh + b°ʰ")


@output_activation.probe
def _(forward):
    return {"y": forward(OUT_X, OUT_W, ZERO3, OUT_W, ZERO3, np.tanh, logistic)}


@output_activation.verify
def _(r):
    x, s, t = OUT_X, logistic, np.tanh
    hint = _diagnose(r["y"], [
        (2 * t(2 * x), "Your output matches no output activation: apply `f_o` to W°ʰh + b°ʰ."),
        (2 * s(t(2 * x)), "Your output matches f° applied before W°ʰ: f° is the last step, f°(W°ʰh + b°ʰ)."),
        (t(2 * t(2 * x)), USES_F_H_AT_OUTPUT),
        (s(4 * x), NO_F_H),
        (s(2 * s(2 * x)), "Your output matches f° used for the hidden layer too: the hidden layer uses `f_h`."),
    ])
    expect.close(r["y"], s(2 * t(2 * x)),
                 "`forward` with fʰ = tanh, f° = sigmoid, Wⁱʰ = W°ʰ = 2I, zero biases",
                 hint, **expect.MATMUL)


# ----------------------------------------------------------------------------- 1b. in Keras

KERAS_CASES = ((3, 4, 2, "tanh", np.tanh, "sigmoid", logistic),
               (3, 3, 3, "sigmoid", logistic, "linear", identity))  # square: a missing .T still runs


def _keras_case(i):
    n_in, n_hidden, n_out = KERAS_CASES[i][:3]
    x = np.random.default_rng(200 + i).normal(size=(5, n_in)).astype(np.float32)
    return x, _random_network(n_in, n_hidden, n_out, seed=20 + i)


keras_check = new("equation.keras", 2,
                  "`keras_network` builds the same network in Keras, with the weights copied")


@keras_check.probe
def _(keras_network):
    import keras

    out = {}
    for i, (*_, hidden, _f_h, output, _f_o) in enumerate(KERAS_CASES):
        x, net = _keras_case(i)
        try:
            model = keras_network(*net, hidden, output)
            y = model(x)
        except Exception as exc:
            out[f"error{i}"] = describe_student_error(exc)
            continue
        out[f"n_dense{i}"] = sum(isinstance(layer, keras.layers.Dense) for layer in model.layers)
        out[f"y{i}"] = y
    return out


@keras_check.verify
def _(r):
    kernel = ("Keras's `Dense` computes `x @ kernel + bias` with a kernel of shape (inputs, units): "
              "copy `W_ih.T` and `W_oh.T`, not `W_ih` and `W_oh`.")
    for i, (n_in, n_hidden, n_out, hidden, f_h, output, f_o) in enumerate(KERAS_CASES):
        x, (Wi, bi, Wo, bo) = _keras_case(i)
        what = (f"`keras_network(...)` with Wⁱʰ {Wi.shape}, W°ʰ {Wo.shape}, "
                f"hidden_activation={hidden!r}, output_activation={output!r}")
        if f"error{i}" in r:
            _raise_unwritten(r[f"error{i}"])
            error = str(r[f"error{i}"])
            raise Fail(f"{what}: {error} " + (kernel if "shape" in error else ""))
        if int(r[f"n_dense{i}"]) != 2:
            raise Fail(f"{what} has {int(r[f'n_dense{i}'])} `Dense` layers; the deck's network has "
                       "two: input → hidden (Wⁱʰ, bⁱʰ, fʰ) and hidden → output (W°ʰ, b°ʰ, f°).")
        hint = _diagnose(r[f"y{i}"], [
            (lambda: f_o(f_h(x @ Wi + bi) @ Wo + bo), kernel),
            (f_h(x @ Wi.T + bi) @ Wo.T + bo, "Your model's output has no output activation: pass "
                                             "`activation=output_activation` to the last `Dense`."),
            (f_o(x @ Wi.T + bi) @ Wo.T + bo, "Your model's activations are swapped."),
            (f_o(f_h(x @ Wi.T) @ Wo.T), "Your model ignores the biases: copy them with the kernels, "
                                        "`layer.set_weights([W.T, b])`."),
        ])
        expect.close(r[f"y{i}"], ref_forward(x, Wi, bi, Wo, bo, f_h, f_o), f"the output of {what}",
                     hint, **expect.MATMUL)


# ----------------------------------------------------------------------------- 2. activations

ACT_X = np.linspace(-5.0, 5.0, 20).astype(np.float32)  # an even count: 0 (the kink of ReLU and step) is not on it
ACT_NAMES = ("sigmoid", "tanh", "relu", "step", "linear")
DIFFERENTIABLE = ("sigmoid", "tanh", "relu")


def _ref_activations(x):
    x = np.asarray(x, dtype=np.float64)
    s, t = logistic(x), np.tanh(x)
    return {"sigmoid": s, "tanh": t, "relu": np.maximum(x, 0.0), "step": (x > 0).astype(np.float64),
            "linear": x}


def _ref_derivatives(x):
    x = np.asarray(x, dtype=np.float64)
    s, t = logistic(x), np.tanh(x)
    return {"sigmoid": s * (1 - s), "tanh": 1 - t * t, "relu": (x > 0).astype(np.float64),
            "step": np.zeros_like(x), "linear": np.ones_like(x)}


values = new("common_activations.values", 1,
             "sigmoid, tanh, ReLU, step and linear are right and TensorFlow can differentiate them")


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
        "tanh": [(logistic(x), "Your tanh matches the sigmoid: tanh(x) = 2σ(2x) − 1, range (−1, 1)."),
                 (np.tanh(x / 2), "Your tanh matches 2σ(x) − 1 = tanh(x/2): use 2σ(2x) − 1.")],
        "relu": [(np.abs(x), "Your ReLU matches |x|: ReLU is max(0, x)."),
                 (np.minimum(x, 0), "Your ReLU matches min(0, x): ReLU is max(0, x).")],
        "step": [(np.sign(x), "Your step matches sign(x) (−1/1): the step here is 0 for x < 0, 1 for x > 0."),
                 ((x < 0).astype(float), "Your step is reversed: 0 for x < 0, 1 for x > 0.")],
        "linear": [],
    }
    for name in ACT_NAMES:
        expect.close(r[name], ref[name], f"`{name}(x)`", _diagnose(r[name], mistakes[name]),
                     inputs={"x": x}, **expect.ELEMENTWISE)
    for name in DIFFERENTIABLE:
        if not bool(r[f"{name}_differentiable"]):
            raise Fail(f"TensorFlow cannot differentiate your `{name}`: on a tensor it must return a "
                       "tensor built with `keras.ops` (`ops.exp`, `ops.maximum`, ...), not NumPy, "
                       "so that autodiff (section 2) and training can follow it.")


derivatives = new("common_activations.derivatives", 2,
                  "the derivatives of sigmoid, tanh, ReLU, step and linear are right")


@derivatives.probe
def _(*functions):
    return {name: f(ACT_X) for name, f in zip(ACT_NAMES, functions)}


@derivatives.verify
def _(r):
    x = ACT_X.astype(np.float64)
    ref, act = _ref_derivatives(x), _ref_activations(x)
    on_input = "The formula is in terms of the activation's value: evaluate {f} first, then plug it in."
    mistakes = {
        "sigmoid": [(x * (1 - x), "Your σ′ matches x(1 − x). " + on_input.format(f="s = σ(x)")),
                    (act["sigmoid"] * (1 + act["sigmoid"]), "Your σ′ matches σ(1 + σ): it is σ(1 − σ)."),
                    (act["sigmoid"], "Your σ′ matches σ itself: σ′ = σ(1 − σ).")],
        "tanh": [(1 - x * x, "Your tanh′ matches 1 − x². " + on_input.format(f="t = tanh(x)")),
                 (1 - act["tanh"], "Your tanh′ matches 1 − tanh(x): the tanh is squared."),
                 (1 + act["tanh"] ** 2, "Your tanh′ matches 1 + tanh²: it is 1 − tanh².")],
        "relu": [(act["relu"], "Your ReLU′ matches ReLU itself: the slope is 1 for x > 0, 0 for x < 0."),
                 ((x < 0).astype(float), "Your ReLU′ is reversed: 1 for x > 0, 0 for x < 0.")],
        "step": [(act["step"], "Your step′ matches the step itself: a step is flat on both sides, so its "
                               "derivative is 0 (except at 0, where it does not exist).")],
        "linear": [(x, "Your linear′ matches x: the derivative of x is 1 everywhere.")],
    }
    for name in ACT_NAMES:
        expect.close(r[name], ref[name], f"the derivative `d_{name}(x)`", _diagnose(r[name], mistakes[name]),
                     inputs={"x": x}, **expect.ELEMENTWISE)


AUTODIFF_X = np.linspace(-2.0, 2.0, 12).reshape(2, 6).astype(np.float32)  # 2-D: element-wise, shape kept
AUTODIFF_CASES = {"x**3": lambda x: 3 * x * x, "sin(x)": np.cos, "step(x)": np.zeros_like}

autodiff = new("common_activations.autodiff", 1,
               "`autodiff_derivative(f, x)` returns f′ at every x with `tf.GradientTape`")


@autodiff.probe
def _(autodiff_derivative):
    from keras import ops

    functions = {"x**3": lambda x: x ** 3, "sin(x)": ops.sin,
                 "step(x)": lambda x: ops.cast(ops.greater(x, 0.0), "float32")}
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
                raise Fail("`autodiff_derivative` returned None for the step function: its output does "
                           "not depend differentiably on x, so `tape.gradient` returns None. The derivative "
                           "is 0 there: pass `unconnected_gradients=tf.UnconnectedGradients.ZERO`.")
            raise Fail(f"`autodiff_derivative` returned None for f(x) = {name}: the tape records only "
                       "watched tensors. x is a constant, not a Variable: call `tape.watch(x)` inside "
                       "the `with tf.GradientTape() as tape:` block, before computing f(x).")
        ref = derivative(x)
        hint = _diagnose(r[f"d{i}"], [
            (ref / x.size, f"Your result is f′/{x.size}: you differentiated the mean of f(x). Differentiate "
                           "f(x) itself (or its sum): for an element-wise f, the gradient of sum(f(x)) is "
                           "f′ at each point."),
        ]) if name != "step(x)" else ""
        expect.close(r[f"d{i}"], ref, f"`autodiff_derivative(f, x)` for f(x) = {name}", hint,
                     inputs={"x": x}, **expect.ELEMENTWISE)


def _sigmoid_prime(x):
    s = logistic(x)
    return s * (1 - s)


SATURATION_CASES = (  # (name, derivative, fraction, exact answer)
    ("sigmoid′", _sigmoid_prime, 0.01, float(np.log((1 + np.sqrt(0.99)) / (1 - np.sqrt(0.99))))),
    ("tanh′", lambda x: 1 - np.tanh(x) ** 2, 0.1, float(np.arctanh(np.sqrt(0.9)))),
    ("arctan′ = 1/(1 + x²)", lambda x: 1 / (1 + np.square(x)), 0.01, float(np.sqrt(99.0))),
)
# The mistake of an absolute threshold, d_f(x) ≤ fraction: for σ′ (whose peak is 1/4) x = logit(s)
# with s(1 − s) = 0.01.
SIGMOID_ABSOLUTE = float(np.log((1 + np.sqrt(0.96)) / (1 - np.sqrt(0.96))))

saturation = new("common_activations.saturation", 1,
                 "`saturation_point(d_f, fraction)` finds where f′ falls to a fraction of f′(0)")


@saturation.probe
def _(saturation_point):
    return {f"x{i}": saturation_point(d_f, fraction) for i, (_, d_f, fraction, _) in enumerate(SATURATION_CASES)}


@saturation.verify
def _(r):
    for i, (name, _, fraction, exact) in enumerate(SATURATION_CASES):
        if r[f"x{i}"].size != 1:
            raise Fail(f"`saturation_point` should return one number, got an array of shape "
                       f"{r[f'x{i}'].shape}.")
        got = float(r[f"x{i}"].reshape(-1)[0])
        if abs(got - exact) <= 2e-3:
            continue
        hint = ""
        if i == 0 and abs(got - SIGMOID_ABSOLUTE) <= 2e-3:
            hint = (f" That is where σ′ ≤ {fraction} itself: the threshold is relative to the peak, "
                    "fraction · d_f(0) (σ′(0) = 1/4).")
        raise Fail(f"`saturation_point(d_f, fraction={fraction})` for {name} returned {got:.4g}, expected "
                   f"{exact:.4g} (the smallest x ≥ 0 with d_f(x) ≤ fraction · d_f(0), to 1e-3).{hint}")


# ----------------------------------------------------------------------------- 3. RBF network

RBF_X = np.linspace(-3.0, 3.0, 7)
RBF_CENTERS = np.array([-2.0, -0.5, 1.0, 2.5])
RBF_BETAS = (0.5, 2.0)


def ref_rbf_features(x, centers, beta):
    return np.exp(-np.square(np.asarray(x)[:, None] - np.asarray(centers)[None, :]) / beta)


rbf_features_check = new("rbf_network.features", 2,
                         "`rbf_features` gives Φ[i, j] = exp(−(xᵢ − cⱼ)²/β), one column per unit")


@rbf_features_check.probe
def _(rbf_features):
    return {f"phi{i}": rbf_features(RBF_X, RBF_CENTERS, beta) for i, beta in enumerate(RBF_BETAS)}


@rbf_features_check.verify
def _(r):
    n, m = len(RBF_X), len(RBF_CENTERS)
    d = RBF_X[:, None] - RBF_CENTERS[None, :]
    for i, beta in enumerate(RBF_BETAS):
        phi = r[f"phi{i}"]
        what = f"`rbf_features(x, centers, beta={beta})` with {n} samples and {m} centres"
        if phi.shape == (m, n):
            raise Fail(f"{what} has shape {phi.shape}: rows are samples, columns units, (samples, units) "
                       f"= {(n, m)}. `x[:, None] - centers[None, :]` broadcasts to that shape.")
        if phi.shape != (n, m):
            raise Fail(f"{what} has shape {phi.shape}, expected (samples, units) = {(n, m)}: one column "
                       "per centre cⱼ, g(x − cⱼ, β). `x[:, None] - centers[None, :]` gives every pair.")
        hint = _diagnose(phi, [
            (np.exp(-d ** 2 * beta), "Your Φ matches exp(−(x − c)²·β): the deck divides by β."),
            (np.exp(-d ** 2 / beta ** 2), "Your Φ matches exp(−(x − c)²/β²): the deck divides by β, not β²."),
            (np.exp(-d ** 2 / (2 * beta)), "Your Φ matches exp(−(x − c)²/(2β)): the deck's g has no 2."),
            (np.exp(-np.abs(d) / beta), "Your Φ matches exp(−|x − c|/β): the distance is squared."),
            (np.exp(-d / beta), "Your Φ matches exp(−(x − c)/β): the distance is squared."),
        ])
        expect.close(phi, ref_rbf_features(RBF_X, RBF_CENTERS, beta), what, hint, **expect.ELEMENTWISE)


_rbf_rng = np.random.default_rng(30)
RBF_FIT_X = np.sort(_rbf_rng.uniform(-3.0, 3.0, size=30))
RBF_FIT_Y = np.sin(2 * RBF_FIT_X) + 0.3 * RBF_FIT_X + 0.05 * _rbf_rng.normal(size=30)
RBF_FIT_CENTERS = np.linspace(-3.0, 3.0, 8)
RBF_FIT_BETA = 0.5

rbf_fit = new("rbf_network.fit", 1,
              "`fit_rbf` finds the least-squares output weights for your features")


@rbf_fit.probe
def _(rbf_features, fit_rbf):
    return {"phi": rbf_features(RBF_FIT_X, RBF_FIT_CENTERS, RBF_FIT_BETA),
            "w": fit_rbf(RBF_FIT_X, RBF_FIT_Y, RBF_FIT_CENTERS, RBF_FIT_BETA)}


@rbf_fit.verify
def _(r):
    # Judged on the student's own Φ, so a mistake in `rbf_features` does not fail this check too.
    phi, w, m = np.asarray(r["phi"], dtype=np.float64), np.asarray(r["w"], dtype=np.float64), len(RBF_FIT_CENTERS)
    if phi.shape != (len(RBF_FIT_X), m) or not np.all(np.isfinite(phi)):
        raise Fail("`rbf_features` must pass its own check first: this check fits your features.")
    if w.shape != (m,):
        raise Fail(f"`fit_rbf` returned shape {w.shape}, expected one weight per centre, {(m,)}. "
                   "`np.linalg.lstsq` returns a tuple: the weights are its first element.")
    best, *_ = np.linalg.lstsq(phi, RBF_FIT_Y, rcond=None)
    hint = _diagnose(phi @ w, [
        (phi @ (phi.T @ RBF_FIT_Y), "Your weights match Φᵀy: that is a correlation, not the least-squares "
                                    "solution of Φw ≈ y (use `np.linalg.lstsq(Φ, y)`)."),
    ])
    expect.close(phi @ w, phi @ best, "the fitted values Φw of `fit_rbf`",
                 hint or "w should minimise ‖Φw − y‖²: `np.linalg.lstsq(Φ, y, rcond=None)[0]`.",
                 **expect.MATMUL)


# ----------------------------------------------------------------------------- 4. approximation

MODEL_WIDTH, MODEL_RATE = 7, 0.03
LOSS_TRUE = np.array([[0.0], [1.0], [-2.0], [0.5]], dtype=np.float32)
LOSS_PRED = np.array([[0.5], [0.0], [-1.0], [2.5]], dtype=np.float32)

model_check = new("approximation.model", 1,
                  "`make_mlp(width, learning_rate)`: 1 → width → 1, linear output, Adam, MSE")


@model_check.probe
def _(make_mlp):
    import keras

    keras.utils.set_random_seed(0)
    model = make_mlp(MODEL_WIDTH, MODEL_RATE)
    if not isinstance(model, keras.Model):
        raise Fail(f"`make_mlp` should return a compiled `keras.Model`, got {type(model).__name__}.")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    last = model.layers[-1] if model.layers else None
    optimizer = getattr(model, "optimizer", None)
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    return {
        "units": [layer.units for layer in dense],
        "output_linear": isinstance(last, keras.layers.Dense) and last.activation.__name__ == "linear",
        "n_params": model.count_params(),
        "compiled": optimizer is not None and loss is not None,
        "adam": type(optimizer).__name__ == "Adam",
        "learning_rate": float(np.asarray(optimizer.learning_rate)) if optimizer is not None else np.nan,
        "loss": float(np.mean(np.asarray(loss(LOSS_TRUE, LOSS_PRED)))) if callable(loss) else np.nan,
    }


@model_check.verify
def _(r):
    units = [int(u) for u in np.asarray(r["units"]).reshape(-1)]
    what = f"`make_mlp({MODEL_WIDTH}, {MODEL_RATE})`"
    if units != [MODEL_WIDTH, 1]:
        raise Fail(f"{what} has Dense layers of {units} units, expected [{MODEL_WIDTH}, 1]: one hidden "
                   "layer of `width` units, then one output unit.")
    if int(r["n_params"]) != 3 * MODEL_WIDTH + 1:
        raise Fail(f"{what} has {int(r['n_params'])} parameters, expected 3·width + 1 = "
                   f"{3 * MODEL_WIDTH + 1} (Wⁱʰ, bⁱʰ, W°ʰ, b°ʰ): is there an extra layer?")
    if not bool(r["output_linear"]):
        raise Fail(f"the last layer of {what} is not a linear `Dense`: for a real-valued target f° is the "
                   "identity (a tanh or sigmoid output could not reach values outside its range).")
    if not bool(r["compiled"]):
        raise Fail(f"{what} is not compiled: call `model.compile(optimizer=..., loss=...)` before returning it.")
    if not bool(r["adam"]):
        raise Fail(f"{what} is not compiled with `keras.optimizers.Adam`.")
    expect.close(r["learning_rate"], MODEL_RATE, f"the learning rate of {what}",
                 "Pass it to the optimizer: `keras.optimizers.Adam(learning_rate)`.", rtol=1e-5, atol=1e-8)
    expect.close(r["loss"], np.mean(np.square(LOSS_TRUE - LOSS_PRED)), f"the loss of {what} on a fixed pair",
                 "Compile with the mean squared error, `loss=\"mse\"`.", **expect.ELEMENTWISE)


# The check's target: one hidden layer of any usual activation (tanh, ReLU, sigmoid, ELU) fits it
# well within the budget from every seed tried (tests/checks/test_foundations.py).
FIT_X = np.linspace(-3.0, 3.0, 64, dtype=np.float32).reshape(-1, 1)
FIT_Y = np.sin(1.5 * FIT_X).astype(np.float32)
FIT_WIDTH, FIT_RATE, FIT_STEPS = 32, 0.03, 800
FIT_BOUND = 0.03
LINE_MSE = float(np.mean(np.square(FIT_Y - np.polyval(np.polyfit(FIT_X[:, 0], FIT_Y[:, 0], 1), FIT_X))))

fits = new("approximation.fits", 1,
           f"one hidden layer of {FIT_WIDTH} units fits sin(1.5x) to MSE < {FIT_BOUND} in {FIT_STEPS} steps")


def train_mlp(make_mlp, seed=0, steps=FIT_STEPS):
    """Train `make_mlp(FIT_WIDTH, FIT_RATE)` full-batch on the target; its MSE and hidden activations."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = make_mlp(FIT_WIDTH, FIT_RATE)
    batches = tf.data.Dataset.from_tensors((FIT_X, FIT_Y)).repeat()
    model.fit(batches, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
    hidden = [layer.activation.__name__ for layer in model.layers[:-1] if isinstance(layer, keras.layers.Dense)]
    hidden += [layer.activation.__name__ for layer in model.layers if isinstance(layer, keras.layers.Activation)]
    return {"mse": float(np.mean(np.square(np.asarray(model(FIT_X)) - FIT_Y))),
            "hidden": np.asarray(", ".join(hidden) or "none")}


@fits.probe
def _(make_mlp):
    return train_mlp(make_mlp)


@fits.verify
def _(r):
    mse = float(r["mse"])
    if np.isfinite(mse) and mse < FIT_BOUND:
        return
    hint = ("Check the hidden activation: the network needs a non-linear fʰ (e.g. tanh).")
    if str(r["hidden"]) in {"linear", "none"}:
        hint = ("Your hidden layer is linear: W°ʰ(Wⁱʰx + bⁱʰ) + b°ʰ is a straight line however wide it is. "
                "Universal approximation needs a non-linear fʰ: `Dense(width, activation=\"tanh\")`.")
    raise Fail(f"after {FIT_STEPS} full-batch steps `make_mlp({FIT_WIDTH}, {FIT_RATE})` reaches MSE "
               f"{mse:.4g} on sin(1.5x), x in [−3, 3] (the best straight line: {LINE_MSE:.3g}; expected < {FIT_BOUND}). "
               f"Hidden activation: {r['hidden']}. {hint}")


SEARCH_WIDTHS = (2, 8, 32)
SEARCH_RATES = (0.003, 0.03)
# Training error falls with width; validation error does not (the widest net overfits, or diverges
# at the large rate): selecting on training error, or the maximum, picks a different cell.
SEARCH_TRAIN = np.array([[0.30, 0.20], [0.10, 0.04], [0.02, 0.001]])
SEARCH_VAL = np.array([[0.33, 0.25], [0.12, 0.05], [0.09, 0.30]])
SEARCH_BEST = (8, 0.03)

search = new("approximation.search", 2,
             "`grid_search` trains each configuration once and picks the lowest validation MSE")


@search.probe
def _(grid_search):
    calls = []

    def evaluate(width, learning_rate):
        calls.append((float(width), float(learning_rate)))
        try:
            i, j = SEARCH_WIDTHS.index(width), SEARCH_RATES.index(learning_rate)
        except ValueError:
            raise Fail(f"`grid_search` called `evaluate({width!r}, {learning_rate!r})`, which is not a "
                       f"configuration of the grid: call `evaluate(width, learning_rate)` with a width "
                       f"from {SEARCH_WIDTHS} and a rate from {SEARCH_RATES}.")
        return {"train_mse": float(SEARCH_TRAIN[i, j]), "val_mse": float(SEARCH_VAL[i, j])}

    result = grid_search(evaluate, SEARCH_WIDTHS, SEARCH_RATES)
    try:
        best, table = result
    except (TypeError, ValueError):
        raise Fail(f"`grid_search` should return `(best, table)`, got a {type(result).__name__}.")
    return {"best": np.asarray(best, dtype=np.float64).reshape(-1), "table": table,
            "calls": np.asarray(calls, dtype=np.float64).reshape(-1, 2)}


@search.verify
def _(r):
    calls = sorted(map(tuple, r["calls"].tolist()))
    grid = sorted((float(w), float(lr)) for w in SEARCH_WIDTHS for lr in SEARCH_RATES)
    if calls != grid:
        raise Fail(f"`grid_search` called `evaluate` {len(calls)} times on {len(set(calls))} distinct "
                   f"configurations; the budget is one training per configuration of the "
                   f"{len(SEARCH_WIDTHS)} × {len(SEARCH_RATES)} grid ({len(grid)} calls): keep each result.")
    table = np.asarray(r["table"], dtype=np.float64)
    if table.shape == SEARCH_VAL.T.shape:
        raise Fail(f"`table` has shape {table.shape}: rows are widths, columns learning rates, "
                   f"{SEARCH_VAL.shape}.")
    if _matches(table, SEARCH_TRAIN):
        raise Fail("`table` holds the training MSE: select on the validation MSE (`\"val_mse\"`). A wider "
                   "network always fits its training data better; only held-out data shows whether it "
                   "generalises.")
    expect.close(table, SEARCH_VAL, "`table` (validation MSE per width × learning rate)",
                 "table[i, j] is evaluate(widths[i], learning_rates[j])[\"val_mse\"].", **expect.FLOAT64)
    best = r["best"]
    if best.shape != (2,):
        raise Fail(f"`best` should be the pair (width, learning_rate), got {best.size} values.")
    hint = _diagnose(best, [
        ((32, 0.03), "That is the lowest *training* MSE: select on validation MSE."),
        ((2, 0.003), "That is the highest validation MSE: use `argmin`, not `argmax`."),
        ((0.03, 8), "That is (learning_rate, width): return (width, learning_rate)."),
        ((1, 1), "Those are indices into the grid: return the width and rate themselves."),
    ])
    expect.close(best, SEARCH_BEST, "`best`, the configuration with the lowest validation MSE", hint,
                 **expect.FLOAT64)
