"""``elman.*``: the Elman cell h_t = f(W_x x_t + W_h h_{t−1} + b), state h_t, as a Keras RNN cell.

Keras keeps a batch as rows, so W_x x_t is written ``x_t @ kernel`` with ``kernel`` = W_xᵀ of
shape (input features, units); the weight names are Keras's own (``SimpleRNN`` uses them too),
so the checks can copy weights between the student's cell and Keras's.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import expect
from .._core import Fail, new
from .._probes import saved_and_loaded
from ._shared import explained, set_weights, uniform, weight_facts

# float64 NumPy: the truth the records are compared with.


def run_cell(step, x, state0):
    """Unroll ``step(x_t, state) -> (output, state)`` over the time axis (axis 1) of ``x``."""
    state, outputs = state0, []
    for t in range(x.shape[1]):
        output, state = step(x[:, t], state)
        outputs.append(output)
    return np.stack(outputs, axis=1)


def elman_step(w, activation=np.tanh):
    def step(x_t, h):
        h = activation(x_t @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"])
        return h, h

    return step


def ref_elman(x, w, h0=None, activation=np.tanh):
    h0 = np.zeros((x.shape[0], w["kernel"].shape[1])) if h0 is None else h0
    return run_cell(elman_step(w, activation), x, h0)


ELMAN_SHAPES = {  # name: (meaning, shape as a function of input features n and units u)
    "kernel": ("W_x", lambda n, u: (n, u)),
    "recurrent_kernel": ("W_h", lambda n, u: (u, u)),
    "bias": ("b", lambda n, u: (u,)),
}


def elman_weights(seed: int, n_in: int, units: int, zero=()) -> dict:
    w = {name: uniform(seed + i, shape(n_in, units)) for i, (name, (_, shape)) in enumerate(ELMAN_SHAPES.items())}
    return {name: np.zeros_like(v) if name in zero else v for name, v in w.items()}


ELMAN_SHAPE_HINT = (
    "Check the shapes in `call`: `x_t @ kernel` and `h_prev @ recurrent_kernel` must both be (batch, units)."
)

# The realistic mistakes in an Elman step, each written as the h_t it computes from
# (x_t, h_{t−1}, weights, activation): a hint names the one the student's cell reproduces.

ELMAN_MISTAKES = [
    (
        lambda x, h, w, f: f(x @ w["kernel"] + w["bias"]) + h @ w["recurrent_kernel"],
        "Your cell matches f(W_x x_t + b) + W_h h_{t−1}: the activation f must be applied to the whole "
        "sum, after the recurrent term W_h h_{t−1} is added.",
    ),
    (
        lambda x, h, w, f: f(x @ w["kernel"] + h @ w["kernel"] + w["bias"]),
        "Your cell multiplies h_{t−1} by W_x (`kernel`): the recurrent term uses its own matrix W_h "
        "(`recurrent_kernel`).",
    ),
    (
        lambda x, h, w, f: f(x @ w["kernel"] + h @ w["recurrent_kernel"].T + w["bias"]),
        "Your cell uses W_h transposed: with a batch as rows the recurrent term is `h_prev @ recurrent_kernel`.",
    ),
    (
        lambda x, h, w, f: x @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"],
        "Your cell applies no activation: h_t = f(…) with f = `self.activation`.",
    ),
    (
        lambda x, h, w, f: f(x @ w["kernel"] + w["bias"]),
        "Your cell ignores h_{t−1}: use the state passed to `call` (`states[0]`) and return the new state as `[h]`.",
    ),
    (lambda x, h, w, f: f(x @ w["kernel"] + h @ w["recurrent_kernel"]), "Your cell leaves out the bias b."),
]


# A known mistake is named when the student's output is this close to what it computes.
MISTAKE_TOL = dict(rtol=1e-3, atol=1e-4)


def _elman_hint(y, x, w, h0=None, activation=np.tanh) -> str:
    h0 = np.zeros((x.shape[0], w["kernel"].shape[1])) if h0 is None else h0

    def run(mistake):
        def step(x_t, h):
            h = mistake(x_t, h, w, activation)
            return h, h

        return run_cell(step, x, h0)

    return expect.diagnose(y, [(partial(run, mistake), hint) for mistake, hint in ELMAN_MISTAKES], **MISTAKE_TOL)


# ----------------------------------------------------------------------------- Elman: build

elman_build = new("elman.build", 1, "`ElmanCell` creates W_x, W_h and b in build() and declares its state size")


@elman_build.probe
def _(ElmanCell):
    cell = ElmanCell(5)
    before = len(cell.weights)
    cell.build((None, 3))
    out = {
        "weights_before_build": before,
        "n_trainable": len(cell.trainable_weights),
        "state_size": np.ravel(np.asarray(getattr(cell, "state_size", -1))),
    }
    for name in ELMAN_SHAPES:
        weight = getattr(cell, name, None)
        out[f"shape_{name}"] = np.asarray(weight.shape) if hasattr(weight, "shape") else np.array([-1])
    return {**out, **weight_facts(cell, ELMAN_SHAPES)}


def verify_names_and_starts(r, cell_name: str, meanings: dict, zeros=(), orthogonal=()) -> None:
    """Each weight is named as its attribute (as Keras's own cells name theirs), biases start at
    zero, a recurrent matrix initialised "orthogonal" starts orthogonal."""
    for attr, (meaning, *_) in meanings.items():
        if f"name_{attr}" not in r:
            continue  # a missing weight is reported by the shape checks
        name = str(r[f"name_{attr}"])
        if name != attr:
            raise Fail(
                f'`{cell_name}.{attr}` ({meaning}) is named {name!r}: pass `name="{attr}"` to `add_weight`, '
                "as Keras's own cells name their weights (the name shows in `cell.weights`, "
                "`model.summary()` and saved checkpoints)."
            )
    for attr in zeros:
        if f"start_{attr}" in r and np.any(r[f"start_{attr}"] != 0):
            raise Fail(
                f"`{cell_name}.{attr}` ({meanings[attr][0]}) does not start at zero: create it with "
                '`initializer="zeros"` (without it `add_weight` draws it from "glorot_uniform").'
            )
    for attr in (a for a in orthogonal if f"start_{a}" in r):
        w = np.asarray(r[f"start_{attr}"], dtype=np.float64)
        if w.ndim != 2 or w.shape[0] != w.shape[1] or not np.allclose(w @ w.T, np.eye(len(w)), atol=1e-4):
            raise Fail(
                f"`{cell_name}.{attr}` ({meanings[attr][0]}) does not start orthogonal (W Wᵀ ≠ I): create it with "
                '`initializer="orthogonal"`, which keeps the state\'s norm through the first steps of the loop.'
            )


@elman_build.verify
def _(r):
    if int(r["weights_before_build"]) != 0:
        raise Fail(
            "`ElmanCell` has weights before it is built: create them in `build()` with "
            "`self.add_weight(...)`, where the number of input features is known."
        )
    for name, (meaning, shape) in ELMAN_SHAPES.items():
        got = tuple(int(s) for s in r[f"shape_{name}"])
        if got == (-1,):
            raise Fail(f"after `build((None, 3))`, `ElmanCell(5)` has no weight `self.{name}` ({meaning}).")
        if got != shape(3, 5):
            raise Fail(
                f"`ElmanCell(5).{name}` ({meaning}) has shape {got} for 3 input features, expected {shape(3, 5)}."
            )
    if int(r["n_trainable"]) != 3:
        raise Fail(f"`ElmanCell` has {int(r['n_trainable'])} trainable weights, expected 3 (W_x, W_h, b).")
    if r["state_size"].tolist() != [5]:
        raise Fail(
            f"`ElmanCell(5).state_size` is {r['state_size'].tolist()}: the state h_t has "
            "`units` = 5 values, so set `self.state_size = units` in `__init__`."
        )
    verify_names_and_starts(r, "ElmanCell(5)", ELMAN_SHAPES, zeros=("bias",), orthogonal=("recurrent_kernel",))


# ----------------------------------------------------------------------------- Elman: forward

FORWARD_CASES = [  # (batch, time steps, input features, units)
    (4, 6, 3, 5),
    (1, 7, 2, 4),  # a batch of one
    (3, 1, 4, 2),  # a single time step
]


def _forward_case(i: int):
    batch, steps, n_in, units = FORWARD_CASES[i]
    x = uniform(100 + i, (batch, steps, n_in), scale=1.5)
    return x, elman_weights(10 * i, n_in, units)


elman_forward = new(
    "elman.forward", 3, "`RNN(ElmanCell(u))` matches `SimpleRNN(u)` with copied weights (sequences, last output, state)"
)


@elman_forward.probe
def _(ElmanCell):
    import keras

    # One layer per case (sequences and the final state at once): under grading every Keras call
    # counts, and `return_sequences=False` is the RNN wrapper's work, not the cell's.
    # tests/checks/test_recurrent.py confirms that ref_elman is keras.layers.SimpleRNN.
    out = {}
    for i, (_, _, _, units) in enumerate(FORWARD_CASES):
        x, w = _forward_case(i)
        x = x.astype("float32")
        layer = keras.layers.RNN(ElmanCell(units), return_sequences=True, return_state=True)
        with explained(f"`RNN(ElmanCell({units}))` on inputs of shape {x.shape}", ELMAN_SHAPE_HINT):
            layer.build(x.shape)
            set_weights(layer.cell, "ElmanCell", w, ELMAN_SHAPES)
            out[f"seq{i}"], out[f"state{i}"] = layer(x)
    return out


@elman_forward.verify
def _(r):
    for i, (batch, steps, n_in, units) in enumerate(FORWARD_CASES):
        x, w = _forward_case(i)
        expected = ref_elman(x, w)
        what = f"`RNN(ElmanCell({units}), return_sequences=True)` on inputs of shape {x.shape}"
        hint = _elman_hint(r[f"seq{i}"], x, w) if r[f"seq{i}"].shape == expected.shape else ""
        expect.close(
            r[f"seq{i}"],
            expected,
            what,
            hint
            or "It differs from `keras.layers.SimpleRNN` with the same weights: "
            "h_t = f(x_t @ kernel + h_prev @ recurrent_kernel + bias).",
            **expect.MATMUL,
        )
        expect.close(
            r[f"state{i}"],
            expected[:, -1],
            f"the final state of `RNN(ElmanCell({units}), return_state=True)`",
            "`call` must return `(h, [h])`: the new state is the output h_t itself.",
            **expect.MATMUL,
        )


# ----------------------------------------------------------------------------- Elman: term isolation

TERMS_X = uniform(200, (2, 5, 3), scale=1.5)
TERMS_H0 = uniform(201, (2, 3), scale=0.9)
TERMS_CASES = {  # scenario: (zeroed weights, initial state?, what is left, where to look)
    "input": (
        ("recurrent_kernel", "bias"),
        False,
        "the input term W_x x_t alone (W_h = 0, b = 0)",
        "Look at how `kernel` multiplies `x_t`.",
    ),
    "recurrent": (
        ("kernel", "bias"),
        True,
        "the recurrent term W_h h_{t−1} alone (W_x = 0, b = 0, h_0 ≠ 0)",
        "Look at how `recurrent_kernel` multiplies the previous state `states[0]`.",
    ),
    "bias": (
        ("kernel", "recurrent_kernel"),
        False,
        "the bias b alone (W_x = 0, W_h = 0)",
        "Look at how `bias` is added.",
    ),
}


def _terms_case(scenario: str):
    zero, with_h0, *_ = TERMS_CASES[scenario]
    return elman_weights(300, 3, 3, zero=zero), (TERMS_H0 if with_h0 else None)


elman_terms = new("elman.terms", 2, "each term of the Elman step, isolated (all other weights zero), is right")


@elman_terms.probe
def _(ElmanCell):
    import keras

    out = {}
    x = TERMS_X.astype("float32")
    for scenario in TERMS_CASES:
        w, h0 = _terms_case(scenario)
        layer = keras.layers.RNN(ElmanCell(3), return_sequences=True)
        with explained(f"`RNN(ElmanCell(3))` on inputs of shape {x.shape}", ELMAN_SHAPE_HINT):
            layer.build(x.shape)
            set_weights(layer.cell, "ElmanCell", w, ELMAN_SHAPES)
            out[scenario] = layer(x) if h0 is None else layer(x, initial_state=[h0.astype("float32")])
    return out


@elman_terms.verify
def _(r):
    for scenario, (_, _, left, where) in TERMS_CASES.items():
        w, h0 = _terms_case(scenario)
        expected = ref_elman(TERMS_X, w, h0)
        hint = _elman_hint(r[scenario], TERMS_X, w, h0) if r[scenario].shape == expected.shape else ""
        expect.close(r[scenario], expected, f"`ElmanCell`'s output with {left}", hint or where, **expect.MATMUL)


# ----------------------------------------------------------------------------- Elman: gradient

GRAD_X = uniform(400, (2, 5, 3), scale=1.5)
GRAD_G = uniform(401, (2, 5, 3), scale=1.0)  # loss = Σ G ⊙ outputs: every output counts
GRAD_WEIGHTS = elman_weights(410, 3, 3)
GRAD_DIRECTIONS = {  # one random direction per weight: two forward passes each (the graded budget)
    name: [uniform(420 + 10 * i, w.shape, 1.0)] for i, (name, w) in enumerate(GRAD_WEIGHTS.items())
}
FD_STEP = 1e-6

# A guard worth little: it compares autodiff with central differences of the student's *own*
# forward pass, so any differentiable `call` passes; `bptt.gradients` is the graded derivative.
elman_gradient = new(
    "elman.gradient",
    1,
    "every Elman weight gets a finite gradient equal to central differences (float64, through time)",
)


@elman_gradient.probe
def _(ElmanCell):
    import keras
    import tensorflow as tf

    layer = keras.layers.RNN(ElmanCell(3, dtype="float64"), return_sequences=True, dtype="float64")
    layer.build(GRAD_X.shape)
    set_weights(layer.cell, "ElmanCell", GRAD_WEIGHTS, ELMAN_SHAPES)
    weights = [getattr(layer.cell, name) for name in GRAD_WEIGHTS]
    x, g = tf.constant(GRAD_X), tf.constant(GRAD_G)

    def loss():
        return tf.reduce_sum(tf.cast(layer(x), tf.float64) * g)

    with (
        tf.GradientTape() as tape,
        explained(
            '`RNN(ElmanCell(3, dtype="float64"))`',
            "The cell must work in the layer's dtype: create weights with `add_weight` (no fixed dtype).",
        ),
    ):
        total = loss()
    grads = tape.gradient(total, weights)
    out = {}
    for (name, w0), weight, grad in zip(GRAD_WEIGHTS.items(), weights, grads):
        out[f"grad_none_{name}"] = grad is None
        out[f"grad_{name}"] = np.full(w0.shape, np.nan) if grad is None else grad
        # Central differences of the student's own cell along fixed directions: the gradient
        # must be the derivative of the forward pass, whether or not the forward pass is right.
        for j, v in enumerate(GRAD_DIRECTIONS[name]):
            weight.assign(w0 + FD_STEP * v)
            up = float(loss())
            weight.assign(w0 - FD_STEP * v)
            down = float(loss())
            weight.assign(w0)
            out[f"fd_{name}_{j}"] = (up - down) / (2 * FD_STEP)
    return out


@elman_gradient.verify
def _(r):
    for name, (meaning, _) in ELMAN_SHAPES.items():
        if bool(r[f"grad_none_{name}"]):
            raise Fail(
                f"the gradient w.r.t. `{name}` ({meaning}) is None: the loss does not depend on "
                f"`self.{name}`. Is it used in `call`, through `keras.ops` (no NumPy, no `.numpy()`)?"
            )
        expect.finite(r[f"grad_{name}"], f"the gradient w.r.t. `{name}` ({meaning})")
        for j, v in enumerate(GRAD_DIRECTIONS[name]):
            expect.close(
                np.sum(r[f"grad_{name}"] * v),
                r[f"fd_{name}_{j}"],
                f"the gradient w.r.t. `{name}` ({meaning}) along a fixed direction "
                "(autodiff vs central differences of your own cell)",
                "The forward pass and its gradient disagree: gradients must flow back through "
                "every time step (backpropagation through time). Look for `ops.stop_gradient`, "
                "`.numpy()` or a cast on the previous state.",
                rtol=1e-5,
                atol=1e-7,
            )


# ----------------------------------------------------------------------------- Elman: config

CONFIG_X = uniform(500, (2, 4, 3), scale=1.5)
CONFIG_WEIGHTS = elman_weights(510, 3, 3)

elman_config = new(
    "elman.config", 1, "`ElmanCell.get_config` round-trips `units` and `activation`; a model with it saves and loads"
)


@elman_config.probe
def _(ElmanCell):
    import keras

    x = CONFIG_X.astype("float32")
    cell = ElmanCell(3, activation="relu", name="elman_under_test")
    config = cell.get_config()
    out = {"keys": np.array(sorted(config), dtype=str)}
    clone = ElmanCell.from_config(config)
    out["clone_name"] = np.asarray(clone.name)
    for label, c in (("original", cell), ("clone", clone)):
        layer = keras.layers.RNN(c, return_sequences=True)
        layer.build(x.shape)
        set_weights(c, "ElmanCell", CONFIG_WEIGHTS, ELMAN_SHAPES)
        out[f"y_{label}"] = layer(x)

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((None, 3)), keras.layers.RNN(ElmanCell(3)), keras.layers.Dense(2)])
    loaded = saved_and_loaded(
        model,
        "Keep the `@keras.saving.register_keras_serializable` decorator "
        "and return every constructor argument from `get_config`.",
    )
    out["y_model"], out["y_loaded"] = model(x), loaded(x)
    return out


@elman_config.verify
def _(r):
    keys = set(r["keys"].tolist())
    missing = [k for k in ("units", "activation", "name") if k not in keys]
    if missing:
        raise Fail(
            f"`ElmanCell(...).get_config()` has no {', '.join(repr(k) for k in missing)}: start from "
            "`super().get_config()` and add `units` and `activation` "
            "(`keras.activations.serialize(self.activation)`)."
        )
    if str(r["clone_name"]) != "elman_under_test":
        raise Fail(
            "`ElmanCell.from_config(cell.get_config())` lost the cell's name: pass `**kwargs` on to `super().__init__`."
        )
    expect.close(
        r["y_clone"],
        r["y_original"],
        'the output of `ElmanCell(3, activation="relu")` rebuilt from its config',
        "The rebuilt cell behaves differently: is `activation` saved and restored?",
        **expect.ELEMENTWISE,
    )
    expect.close(
        r["y_loaded"],
        r["y_model"],
        "the output of a model with `RNN(ElmanCell(3))` after save and load",
        "The weights must be created with `add_weight` so that they are saved.",
        **expect.ELEMENTWISE,
    )
