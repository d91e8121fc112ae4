"""``equation.*``: the network equation ŷ = f°(W°ʰ fʰ(Wⁱʰ x + bⁱʰ) + b°ʰ), in NumPy and in Keras.

For a batch with one sample per row: f°(fʰ(x Wⁱʰᵀ + bⁱʰ) W°ʰᵀ + b°ʰ). The checks isolate one idea
each: `equation.order` zeroes the biases and makes f° the identity, `equation.bias` makes both
matrices the identity, `equation.output_activation` zeroes the biases and makes both matrices 2I,
so a mistake fails its own check (and `equation.shapes` when it also breaks rectangular shapes).
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, describe_student_error, new
from ._shared import identity, logistic

# float64 NumPy: the truth records are compared with.


def ref_forward(x, W_ih, b_ih, W_oh, b_oh, f_h, f_o):
    return f_o(f_h(x @ W_ih.T + b_ih) @ W_oh.T + b_oh)


def _random_network(n_in, n_hidden, n_out, seed):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(n_hidden, n_in)),
        rng.normal(size=n_hidden),
        rng.normal(size=(n_out, n_hidden)),
        rng.normal(size=n_out),
    )


def _raise_unwritten(error) -> None:
    """An unwritten solution needs no hint about shapes: say just that."""
    if "NotImplementedError" in str(error):
        raise Fail(str(error))


def _sizes(x, W_ih, b_ih, W_oh, b_oh) -> str:
    return f"x {x.shape}, W_ih {W_ih.shape}, b_ih {b_ih.shape}, W_oh {W_oh.shape}, b_oh {b_oh.shape}"


NO_F_H = "Your output matches a network without fʰ: apply `f_h` to the hidden pre-activation."
USES_F_H_AT_OUTPUT = (
    "Your output matches fʰ used for the output too: the output layer applies `f_o` "
    "(in this case the identity or the sigmoid), not `f_h`."
)
ROW_SAMPLES = (
    "Wⁱʰ is (hidden × input), as in the deck's Wⁱʰx; with one sample per row of x the "
    "hidden layer is `f_h(x @ W_ih.T + b_ih)`, of shape (batch, hidden), and the output "
    "`f_o(h @ W_oh.T + b_oh)`, of shape (batch, outputs)."
)


# A known mistake is named when the student's output is this close to what it computes.
MISTAKE_TOL = dict(rtol=1e-3, atol=1e-4)

# ----------------------------------------------------------------------------- NumPy

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
            hint = (
                "That is the transpose: with columns as samples, transpose the result back."
                if got == (n_out, batch)
                else ROW_SAMPLES
            )
            raise Fail(
                f"with {_sizes(x, *net)}, `forward` returned shape {got}, expected "
                f"(batch, outputs) = {(batch, n_out)}. {hint}"
            )


# Batches as large as the layers: a column-sample implementation (`W @ x.T`) runs here too, so its
# bias mistake fails `equation.bias` alone, not this check as well.
ORDER_X = np.random.default_rng(7).normal(size=(3, 3))
ORDER_W_IH, _, ORDER_W_OH, _ = _random_network(3, 3, 3, seed=8)  # square: a wrong order still runs
ZERO3 = np.zeros(3)
ORDER_CASES = (("tanh", np.tanh), ("identity", identity))

order = new("equation.order", 2, "`forward` applies Wⁱʰ (transposed for row samples), fʰ, then W°ʰ")


@order.probe
def _(forward):
    return {
        f"y_{name}": forward(ORDER_X, ORDER_W_IH, ZERO3, ORDER_W_OH, ZERO3, f_h, identity) for name, f_h in ORDER_CASES
    }


@order.verify
def _(r):
    x, Wi, Wo = ORDER_X, ORDER_W_IH, ORDER_W_OH
    for name, f_h in ORDER_CASES:
        y = r[f"y_{name}"]
        hint = expect.diagnose(
            y,
            [
                (
                    f_h(x @ Wi) @ Wo,
                    "Your output matches x @ W_ih then @ W_oh, without transposes. "
                    "W_ih is (hidden × input) like the deck's Wⁱʰ: for row samples use "
                    "`x @ W_ih.T` (and `h @ W_oh.T`).",
                ),
                (
                    f_h(x @ Wo.T) @ Wi.T,
                    "Your output matches W°ʰ applied first. The input meets Wⁱʰ "
                    "(input → hidden), then fʰ, then W°ʰ (hidden → output).",
                ),
                (f_h(x @ Wo) @ Wi, "Your output matches W°ʰ applied first and no transposes."),
                (
                    f_h(x @ Wi.T @ Wo.T),
                    "Your output matches fʰ applied after both matrices: fʰ acts on "
                    "the hidden layer, between Wⁱʰ and W°ʰ.",
                ),
                (
                    x @ Wi.T @ Wo.T,
                    "Your output matches a network without fʰ: apply `f_h` to the hidden pre-activation.",
                ),
                (f_h(f_h(x @ Wi.T) @ Wo.T), USES_F_H_AT_OUTPUT),
            ],
            **MISTAKE_TOL,
        )
        expect.close(
            y,
            ref_forward(x, Wi, ZERO3, Wo, ZERO3, f_h, identity),
            f"`forward` with zero biases, f° = identity and fʰ = {name}",
            hint or ROW_SAMPLES,
            **expect.MATMUL,
        )


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
    if expect.matches(r["y_ih"], np.tanh(x) + B_IH, **MISTAKE_TOL) and expect.matches(
        r["y_oh"], np.tanh(x + B_OH), **MISTAKE_TOL
    ):
        raise Fail(
            "`forward` has bⁱʰ and b°ʰ swapped: bⁱʰ belongs to the hidden layer, "
            "fʰ(Wⁱʰx + bⁱʰ); b°ʰ to the output, W°ʰh + b°ʰ."
        )
    along_batch = (
        "the bias was added along the batch axis (sample i got b[i]). With one sample per "
        "row, `z + b` adds b[j] to unit j; if you work with columns (`W @ x.T`), add "
        "`b[:, None]`."
    )
    expect.close(
        r["y_ih"],
        np.tanh(x + B_IH),
        "`forward` with identity matrices, f° = identity, only bⁱʰ non-zero",
        expect.diagnose(
            r["y_ih"],
            [
                (np.tanh(x) + B_IH, "bⁱʰ was added after fʰ; it belongs inside: fʰ(Wⁱʰx + bⁱʰ)."),
                (np.tanh(x + B_IH[:, None]), "bⁱʰ: " + along_batch),
                (np.tanh(x), "bⁱʰ was not added at all."),
                (x + B_IH, NO_F_H),
                (np.tanh(np.tanh(x + B_IH)), USES_F_H_AT_OUTPUT),
            ],
            **MISTAKE_TOL,
        ),
        **expect.MATMUL,
    )
    expect.close(
        r["y_oh"],
        np.tanh(x) + B_OH,
        "`forward` with identity matrices, f° = identity, only b°ʰ non-zero",
        expect.diagnose(
            r["y_oh"],
            [
                (np.tanh(x + B_OH), "b°ʰ was added inside fʰ; it belongs to the output layer: f°(W°ʰh + b°ʰ)."),
                (np.tanh(x) + B_OH[:, None], "b°ʰ: " + along_batch),
                (np.tanh(x), "b°ʰ was not added at all."),
                (x + B_OH, NO_F_H),
                (np.tanh(np.tanh(x) + B_OH), USES_F_H_AT_OUTPUT),
            ],
            **MISTAKE_TOL,
        ),
        **expect.MATMUL,
    )


OUT_X = np.random.default_rng(11).normal(size=(3, 3))
OUT_W = 2.0 * EYE3  # a scale: f° before W°ʰ differs from f° after it; the same for both, so order cannot matter

output_activation = new("equation.output_activation", 1, "`forward` applies f° last, to W°ʰh + b°ʰ")


@output_activation.probe
def _(forward):
    return {"y": forward(OUT_X, OUT_W, ZERO3, OUT_W, ZERO3, np.tanh, logistic)}


@output_activation.verify
def _(r):
    x, s, t = OUT_X, logistic, np.tanh
    hint = expect.diagnose(
        r["y"],
        [
            (2 * t(2 * x), "Your output matches no output activation: apply `f_o` to W°ʰh + b°ʰ."),
            (2 * s(t(2 * x)), "Your output matches f° applied before W°ʰ: f° is the last step, f°(W°ʰh + b°ʰ)."),
            (t(2 * t(2 * x)), USES_F_H_AT_OUTPUT),
            (s(4 * x), NO_F_H),
            (s(2 * s(2 * x)), "Your output matches f° used for the hidden layer too: the hidden layer uses `f_h`."),
        ],
        **MISTAKE_TOL,
    )
    expect.close(
        r["y"],
        s(2 * t(2 * x)),
        "`forward` with fʰ = tanh, f° = sigmoid, Wⁱʰ = W°ʰ = 2I, zero biases",
        hint,
        **expect.MATMUL,
    )


# ----------------------------------------------------------------------------- in Keras

KERAS_CASES = (
    (3, 4, 2, "tanh", np.tanh, "sigmoid", logistic),
    (3, 3, 3, "sigmoid", logistic, "linear", identity),
)  # square: a missing .T still runs


def _keras_case(i):
    n_in, n_hidden, n_out = KERAS_CASES[i][:3]
    x = np.random.default_rng(200 + i).normal(size=(5, n_in)).astype(np.float32)
    return x, _random_network(n_in, n_hidden, n_out, seed=20 + i)


keras_check = new("equation.keras", 2, "`keras_network` builds the same network in Keras, with the weights copied")


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
    kernel = (
        "Keras's `Dense` computes `x @ kernel + bias` with a kernel of shape (inputs, units): "
        "copy `W_ih.T` and `W_oh.T`, not `W_ih` and `W_oh`."
    )
    for i, (n_in, n_hidden, n_out, hidden, f_h, output, f_o) in enumerate(KERAS_CASES):
        x, (Wi, bi, Wo, bo) = _keras_case(i)
        what = (
            f"`keras_network(...)` with Wⁱʰ {Wi.shape}, W°ʰ {Wo.shape}, "
            f"hidden_activation={hidden!r}, output_activation={output!r}"
        )
        if f"error{i}" in r:
            _raise_unwritten(r[f"error{i}"])
            error = str(r[f"error{i}"])
            raise Fail(f"{what}: {error} " + (kernel if "shape" in error else ""))
        if int(r[f"n_dense{i}"]) != 2:
            raise Fail(
                f"{what} has {int(r[f'n_dense{i}'])} `Dense` layers; the deck's network has "
                "two: input → hidden (Wⁱʰ, bⁱʰ, fʰ) and hidden → output (W°ʰ, b°ʰ, f°)."
            )
        hint = expect.diagnose(
            r[f"y{i}"],
            [
                (lambda: f_o(f_h(x @ Wi + bi) @ Wo + bo), kernel),
                (
                    f_h(x @ Wi.T + bi) @ Wo.T + bo,
                    "Your model's output has no output activation: pass "
                    "`activation=output_activation` to the last `Dense`.",
                ),
                (f_o(x @ Wi.T + bi) @ Wo.T + bo, "Your model's activations are swapped."),
                (
                    f_o(f_h(x @ Wi.T) @ Wo.T),
                    "Your model ignores the biases: copy them with the kernels, `layer.set_weights([W.T, b])`.",
                ),
            ],
            **MISTAKE_TOL,
        )
        expect.close(
            r[f"y{i}"], ref_forward(x, Wi, bi, Wo, bo, f_h, f_o), f"the output of {what}", hint, **expect.MATMUL
        )
