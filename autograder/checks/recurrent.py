"""Checks for assignment 02: recurrent networks (deck topics 6, 8, 9).

    Elman   h_t = f(W_x x_t + W_h h_{t−1} + b)                    state h_t
    Jordan  h_t = f(W_x x_t + W_y y_{t−1} + b),  y_t = g(W_o h_t + b_o)   state y_t
    tapped delay line  ŷ_k = f(x_k, x_{k−1}, …, x_{k−d}; θ),  here predicting y_k = x_{k+1}

Keras keeps a batch as rows, so W_x x_t is written ``x_t @ kernel`` with ``kernel`` = W_xᵀ of
shape (input features, units); the weight names are Keras's own (``SimpleRNN`` uses them too),
so the checks can copy weights between the student's cell and Keras's.
"""

from __future__ import annotations

import contextlib
import hashlib
import re

import numpy as np

from . import expect
from ._core import Fail, new
from ._probes import saved_and_loaded

# ----------------------------------------------------------------------------- references
# float64 NumPy. Every fixed input is rounded to float32 first, so that the reference sees
# exactly the numbers a float32 cell sees.


def _f32(array) -> np.ndarray:
    return np.asarray(array, dtype=np.float32).astype(np.float64)


def _uniform(seed: int, shape, scale: float = 0.8) -> np.ndarray:
    return _f32(np.random.default_rng(seed).uniform(-scale, scale, size=shape))


def _identity(z):
    return z


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


def jordan_step(w, activation=np.tanh, output_activation=_identity):
    def step(x_t, y):
        h = activation(x_t @ w["kernel"] + y @ w["feedback_kernel"] + w["bias"])
        y = output_activation(h @ w["output_kernel"] + w["output_bias"])
        return y, y
    return step


def ref_jordan(x, w, y0=None):
    y0 = np.zeros((x.shape[0], w["output_kernel"].shape[1])) if y0 is None else y0
    return run_cell(jordan_step(w), x, y0)


def ref_windows(series, d):
    series = np.asarray(series, dtype=np.float64)
    X = np.stack([series[k - d:k + 1] for k in range(d, len(series) - 1)])
    return X, series[d + 1:]


# ----------------------------------------------------------------------------- weights


ELMAN_SHAPES = {  # name: (meaning, shape as a function of input features n and units u)
    "kernel": ("W_x", lambda n, u: (n, u)),
    "recurrent_kernel": ("W_h", lambda n, u: (u, u)),
    "bias": ("b", lambda n, u: (u,)),
}
JORDAN_SHAPES = {  # name: (meaning, shape for input features n, units u, output units m)
    "kernel": ("W_x", lambda n, u, m: (n, u)),
    "feedback_kernel": ("W_y", lambda n, u, m: (m, u)),
    "bias": ("b", lambda n, u, m: (u,)),
    "output_kernel": ("W_o", lambda n, u, m: (u, m)),
    "output_bias": ("b_o", lambda n, u, m: (m,)),
}


def elman_weights(seed: int, n_in: int, units: int, zero=()) -> dict:
    w = {name: _uniform(seed + i, shape(n_in, units)) for i, (name, (_, shape)) in enumerate(ELMAN_SHAPES.items())}
    return {name: np.zeros_like(v) if name in zero else v for name, v in w.items()}


def jordan_weights(seed: int, n_in: int, units: int, n_out: int, zero=()) -> dict:
    w = {name: _uniform(seed + i, shape(n_in, units, n_out))
         for i, (name, (_, shape)) in enumerate(JORDAN_SHAPES.items())}
    return {name: np.zeros_like(v) if name in zero else v for name, v in w.items()}


def _set_weights(cell, cell_name: str, values: dict, meanings: dict) -> None:
    """Assign fixed values to the student's weights by attribute name (runs in the probe)."""
    for attr, value in values.items():
        weight = getattr(cell, attr, None)
        if weight is None or not hasattr(weight, "assign"):
            raise Fail(f"`{cell_name}` has no weight `self.{attr}` after it is built: create "
                       f"{meanings[attr][0]} in `build` with `self.{attr} = self.add_weight(...)`.")
        if tuple(weight.shape) != value.shape:
            raise Fail(f"`{cell_name}.{attr}` ({meanings[attr][0]}) has shape {tuple(weight.shape)}, "
                       f"expected {value.shape}.")
        weight.assign(np.asarray(value, dtype=weight.dtype))


@contextlib.contextmanager
def _explained(what: str, hint: str):
    """Turn an error raised by the student's cell into a Fail that quotes TensorFlow's useful line.

    Keras puts a generic "Exception encountered when calling …" first; the shape mismatch that
    explains the error is further down.
    """
    try:
        yield
    except Fail:
        raise
    except Exception as exc:
        text = re.sub(r"\x1b\[[0-9;]*m|\{\{function_node [^}]*\}\}", "", str(exc))
        lines = [line.strip() for line in text.splitlines()
                 if line.strip() and not line.startswith(("Exception encountered", "Arguments received"))]
        reason = next((line for line in lines if "ncompatible" in line or "shape" in line), lines[0] if lines else "")
        reason = re.sub(r"\s*\[Op:.*$", "", reason)[:240].rstrip(".")
        raise Fail(f"{what} raised {type(exc).__name__}: {reason}. {hint}")


ELMAN_SHAPE_HINT = ("Check the shapes in `call`: `x_t @ kernel` and `h_prev @ recurrent_kernel` must both be "
                    "(batch, units).")
JORDAN_SHAPE_HINT = ("Check the shapes in `call`: `x_t @ kernel` and `y_prev @ feedback_kernel` are "
                     "(batch, units), `h @ output_kernel` is (batch, output_units).")


# ----------------------------------------------------------------------------- diagnosis
# The realistic mistakes in an Elman step, each written as the h_t it computes from
# (x_t, h_{t−1}, weights, activation): a hint names the one the student's cell reproduces.

ELMAN_MISTAKES = [
    (lambda x, h, w, f: f(x @ w["kernel"] + w["bias"]) + h @ w["recurrent_kernel"],
     "Your cell matches f(W_x x_t + b) + W_h h_{t−1}: the activation f must be applied to the whole "
     "sum, after the recurrent term W_h h_{t−1} is added."),
    (lambda x, h, w, f: f(x @ w["kernel"] + h @ w["kernel"] + w["bias"]),
     "Your cell multiplies h_{t−1} by W_x (`kernel`): the recurrent term uses its own matrix W_h "
     "(`recurrent_kernel`)."),
    (lambda x, h, w, f: f(x @ w["kernel"] + h @ w["recurrent_kernel"].T + w["bias"]),
     "Your cell uses W_h transposed: with a batch as rows the recurrent term is `h_prev @ recurrent_kernel`."),
    (lambda x, h, w, f: x @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"],
     "Your cell applies no activation: h_t = f(…) with f = `self.activation`."),
    (lambda x, h, w, f: f(x @ w["kernel"] + w["bias"]),
     "Your cell ignores h_{t−1}: use the state passed to `call` (`states[0]`) and return the new "
     "state as `[h]`."),
    (lambda x, h, w, f: f(x @ w["kernel"] + h @ w["recurrent_kernel"]),
     "Your cell leaves out the bias b."),
]


def _diagnose(y, mistakes, run) -> str:
    """The hint of the first mistake whose output ``run(mistake)`` reproduces ``y``, else ""."""
    for mistake, hint in mistakes:
        try:
            with np.errstate(all="ignore"):
                candidate = run(mistake)
        except ValueError:  # the mistake's shapes do not fit this case
            continue
        if candidate.shape == y.shape and np.allclose(y, candidate, rtol=1e-3, atol=1e-4):
            return hint
    return ""


def _elman_hint(y, x, w, h0=None, activation=np.tanh) -> str:
    h0 = np.zeros((x.shape[0], w["kernel"].shape[1])) if h0 is None else h0

    def run(mistake):
        def step(x_t, h):
            h = mistake(x_t, h, w, activation)
            return h, h
        return run_cell(step, x, h0)

    return _diagnose(y, ELMAN_MISTAKES, run)


# ----------------------------------------------------------------------------- Elman: build

elman_build = new("elman.build", 1, "`ElmanCell` creates W_x, W_h and b in build() and declares its state size")


@elman_build.probe
def _(ElmanCell):
    cell = ElmanCell(5)
    before = len(cell.weights)
    cell.build((None, 3))
    out = {"weights_before_build": before, "n_trainable": len(cell.trainable_weights),
           "state_size": np.ravel(np.asarray(getattr(cell, "state_size", -1)))}
    for name in ELMAN_SHAPES:
        weight = getattr(cell, name, None)
        out[f"shape_{name}"] = np.asarray(weight.shape) if hasattr(weight, "shape") else np.array([-1])
    return out


@elman_build.verify
def _(r):
    if int(r["weights_before_build"]) != 0:
        raise Fail("`ElmanCell` has weights before it is built: create them in `build()` with "
                   "`self.add_weight(...)`, where the number of input features is known.")
    for name, (meaning, shape) in ELMAN_SHAPES.items():
        got = tuple(int(s) for s in r[f"shape_{name}"])
        if got == (-1,):
            raise Fail(f"after `build((None, 3))`, `ElmanCell(5)` has no weight `self.{name}` ({meaning}).")
        if got != shape(3, 5):
            raise Fail(f"`ElmanCell(5).{name}` ({meaning}) has shape {got} for 3 input features, "
                       f"expected {shape(3, 5)}.")
    if int(r["n_trainable"]) != 3:
        raise Fail(f"`ElmanCell` has {int(r['n_trainable'])} trainable weights, expected 3 (W_x, W_h, b).")
    if r["state_size"].tolist() != [5]:
        raise Fail(f"`ElmanCell(5).state_size` is {r['state_size'].tolist()}: the state h_t has "
                   "`units` = 5 values, so set `self.state_size = units` in `__init__`.")


# ----------------------------------------------------------------------------- Elman: forward

FORWARD_CASES = [  # (batch, time steps, input features, units)
    (4, 6, 3, 5),
    (1, 7, 2, 4),  # a batch of one
    (3, 1, 4, 2),  # a single time step
]


def _forward_case(i: int):
    batch, steps, n_in, units = FORWARD_CASES[i]
    x = _uniform(100 + i, (batch, steps, n_in), scale=1.5)
    return x, elman_weights(10 * i, n_in, units)


elman_forward = new("elman.forward", 3,
                    "`RNN(ElmanCell(u))` matches `SimpleRNN(u)` with copied weights (sequences, last output, state)")


@elman_forward.probe
def _(ElmanCell):
    import keras

    out = {}
    for i, (_, _, _, units) in enumerate(FORWARD_CASES):
        x, w = _forward_case(i)
        x = x.astype("float32")
        keras_rnn = keras.layers.SimpleRNN(units, return_sequences=True)
        keras_rnn.build(x.shape)
        for name, value in w.items():
            getattr(keras_rnn.cell, name).assign(value.astype("float32"))
        out[f"simple_rnn{i}"] = keras_rnn(x)  # not graded: lets tests confirm ref_elman == SimpleRNN
        copied = {name: getattr(keras_rnn.cell, name).numpy() for name in ELMAN_SHAPES}
        for sequences in (True, False):
            layer = keras.layers.RNN(ElmanCell(units), return_sequences=sequences, return_state=True)
            with _explained(f"`RNN(ElmanCell({units}))` on inputs of shape {x.shape}", ELMAN_SHAPE_HINT):
                layer.build(x.shape)
                _set_weights(layer.cell, "ElmanCell", copied, ELMAN_SHAPES)
                output, state = layer(x)
            key = "seq" if sequences else "last"
            out[f"{key}{i}"], out[f"{key}_state{i}"] = output, state
    return out


@elman_forward.verify
def _(r):
    for i, (batch, steps, n_in, units) in enumerate(FORWARD_CASES):
        x, w = _forward_case(i)
        expected = ref_elman(x, w)
        what = f"`RNN(ElmanCell({units}), return_sequences=True)` on inputs of shape {x.shape}"
        hint = _elman_hint(r[f"seq{i}"], x, w) if r[f"seq{i}"].shape == expected.shape else ""
        expect.close(r[f"seq{i}"], expected, what,
                     hint or "It differs from `keras.layers.SimpleRNN` with the same weights: "
                     "h_t = f(x_t @ kernel + h_prev @ recurrent_kernel + bias).", **expect.MATMUL)
        expect.close(r[f"last{i}"], expected[:, -1],
                     f"`RNN(ElmanCell({units}), return_sequences=False)` on inputs of shape {x.shape}",
                     "With return_sequences=False the layer returns the last output h_T.", **expect.MATMUL)
        for key in ("seq", "last"):
            expect.close(r[f"{key}_state{i}"], expected[:, -1],
                         f"the final state of `RNN(ElmanCell({units}), return_state=True)`",
                         "`call` must return `(h, [h])`: the new state is the output h_t itself.",
                         **expect.MATMUL)


# ----------------------------------------------------------------------------- Elman: term isolation

TERMS_X = _uniform(200, (2, 5, 3), scale=1.5)
TERMS_H0 = _uniform(201, (2, 3), scale=0.9)
TERMS_CASES = {  # scenario: (zeroed weights, initial state?, what is left, where to look)
    "input": (("recurrent_kernel", "bias"), False, "the input term W_x x_t alone (W_h = 0, b = 0)",
              "Look at how `kernel` multiplies `x_t`."),
    "recurrent": (("kernel", "bias"), True, "the recurrent term W_h h_{t−1} alone (W_x = 0, b = 0, h_0 ≠ 0)",
                  "Look at how `recurrent_kernel` multiplies the previous state `states[0]`."),
    "bias": (("kernel", "recurrent_kernel"), False, "the bias b alone (W_x = 0, W_h = 0)",
             "Look at how `bias` is added."),
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
        with _explained(f"`RNN(ElmanCell(3))` on inputs of shape {x.shape}", ELMAN_SHAPE_HINT):
            layer.build(x.shape)
            _set_weights(layer.cell, "ElmanCell", w, ELMAN_SHAPES)
            out[scenario] = layer(x) if h0 is None else layer(x, initial_state=[h0.astype("float32")])
    return out


@elman_terms.verify
def _(r):
    for scenario, (_, _, left, where) in TERMS_CASES.items():
        w, h0 = _terms_case(scenario)
        expected = ref_elman(TERMS_X, w, h0)
        hint = _elman_hint(r[scenario], TERMS_X, w, h0) if r[scenario].shape == expected.shape else ""
        expect.close(r[scenario], expected,
                     f"`ElmanCell`'s output with {left}", hint or where,
                     **expect.MATMUL)


# ----------------------------------------------------------------------------- Elman: gradient

GRAD_X = _uniform(400, (2, 5, 3), scale=1.5)
GRAD_G = _uniform(401, (2, 5, 3), scale=1.0)  # loss = Σ G ⊙ outputs: every output counts
GRAD_WEIGHTS = elman_weights(410, 3, 3)
GRAD_DIRECTIONS = {name: [_uniform(420 + 10 * i + j, w.shape, 1.0) for j in range(2)]
                   for i, (name, w) in enumerate(GRAD_WEIGHTS.items())}
FD_STEP = 1e-6

elman_gradient = new("elman.gradient", 2,
                     "every Elman weight gets a finite gradient equal to central differences (float64, through time)")


@elman_gradient.probe
def _(ElmanCell):
    import keras
    import tensorflow as tf

    layer = keras.layers.RNN(ElmanCell(3, dtype="float64"), return_sequences=True, dtype="float64")
    layer.build(GRAD_X.shape)
    _set_weights(layer.cell, "ElmanCell", GRAD_WEIGHTS, ELMAN_SHAPES)
    weights = [getattr(layer.cell, name) for name in GRAD_WEIGHTS]
    x, g = tf.constant(GRAD_X), tf.constant(GRAD_G)

    def loss():
        return tf.reduce_sum(tf.cast(layer(x), tf.float64) * g)

    with tf.GradientTape() as tape, _explained(
            "`RNN(ElmanCell(3, dtype=\"float64\"))`",
            "The cell must work in the layer's dtype: create weights with `add_weight` (no fixed dtype)."):
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
            raise Fail(f"the gradient w.r.t. `{name}` ({meaning}) is None: the loss does not depend on "
                       f"`self.{name}`. Is it used in `call`, through `keras.ops` (no NumPy, no `.numpy()`)?")
        expect.finite(r[f"grad_{name}"], f"the gradient w.r.t. `{name}` ({meaning})")
        for j, v in enumerate(GRAD_DIRECTIONS[name]):
            expect.close(np.sum(r[f"grad_{name}"] * v), r[f"fd_{name}_{j}"],
                         f"the gradient w.r.t. `{name}` ({meaning}) along a fixed direction "
                         "(autodiff vs central differences of your own cell)",
                         "The forward pass and its gradient disagree: gradients must flow back through "
                         "every time step (backpropagation through time). Look for `ops.stop_gradient`, "
                         "`.numpy()` or a cast on the previous state.",
                         rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------- Elman: config

CONFIG_X = _uniform(500, (2, 4, 3), scale=1.5)
CONFIG_WEIGHTS = elman_weights(510, 3, 3)

elman_config = new("elman.config", 1,
                   "`ElmanCell.get_config` round-trips `units` and `activation`; a model with it saves and loads")


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
        _set_weights(c, "ElmanCell", CONFIG_WEIGHTS, ELMAN_SHAPES)
        out[f"y_{label}"] = layer(x)

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((None, 3)), keras.layers.RNN(ElmanCell(3)), keras.layers.Dense(2)])
    loaded = saved_and_loaded(model, "Keep the `@keras.saving.register_keras_serializable` decorator "
                              "and return every constructor argument from `get_config`.")
    out["y_model"], out["y_loaded"] = model(x), loaded(x)
    return out


@elman_config.verify
def _(r):
    keys = set(r["keys"].tolist())
    missing = [k for k in ("units", "activation", "name") if k not in keys]
    if missing:
        raise Fail(f"`ElmanCell(...).get_config()` has no {', '.join(repr(k) for k in missing)}: start from "
                   "`super().get_config()` and add `units` and `activation` "
                   "(`keras.activations.serialize(self.activation)`).")
    if str(r["clone_name"]) != "elman_under_test":
        raise Fail("`ElmanCell.from_config(cell.get_config())` lost the cell's name: pass `**kwargs` "
                   "on to `super().__init__`.")
    expect.close(r["y_clone"], r["y_original"], "the output of `ElmanCell(3, activation=\"relu\")` rebuilt "
                 "from its config", "The rebuilt cell behaves differently: is `activation` saved and restored?",
                 **expect.ELEMENTWISE)
    expect.close(r["y_loaded"], r["y_model"], "the output of a model with `RNN(ElmanCell(3))` after save and load",
                 "The weights must be created with `add_weight` so that they are saved.", **expect.ELEMENTWISE)


# ----------------------------------------------------------------------------- Jordan

JORDAN_X = _uniform(600, (3, 5, 3), scale=1.5)
JORDAN_Y0 = _uniform(601, (3, 2), scale=0.9)
JORDAN_CASES = {  # scenario: (zeroed weights, initial output y_0?, description)
    "full": ((), False, "fixed non-zero weights and y_0 = 0"),
    "feedback": (("kernel",), True, "W_x = 0, so only the fed-back output W_y y_{t−1} (from a non-zero y_0) drives it"),
}


def _jordan_case(scenario: str):
    zero, with_y0, _ = JORDAN_CASES[scenario]
    return jordan_weights(610, 3, 4, 2, zero=zero), (JORDAN_Y0 if with_y0 else None)


jordan_state = new("jordan.state", 1, "`JordanCell`'s state is its output: state_size = output units, state = y_t")


@jordan_state.probe
def _(JordanCell):
    import keras

    keras.utils.set_random_seed(3)
    x = JORDAN_X.astype("float32")
    cell = JordanCell(4, 2)
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    outputs, state = layer(x)
    return {"state_size": np.ravel(np.asarray(getattr(cell, "state_size", -1))),
            "outputs": outputs, "state": state}


@jordan_state.verify
def _(r):
    if r["state_size"].tolist() != [2]:
        raise Fail(f"`JordanCell(4, 2).state_size` is {r['state_size'].tolist()}, expected 2: a Jordan cell "
                   "feeds back its previous output y_{t−1}, which has `output_units` values (not the "
                   "hidden units).")
    expect.close(r["state"], r["outputs"][:, -1],
                 "the final state of `RNN(JordanCell(4, 2), return_state=True)` (it must equal the last output)",
                 "A Jordan cell's new state is its output: `call` must return `(y, [y])`, not the hidden "
                 "layer h_t.", **expect.ELEMENTWISE)


JORDAN_MISTAKES = [  # each as the step function it computes
    (lambda w: jordan_step(w, output_activation=np.tanh),
     "Your cell applies tanh to the output too: y_t = g(W_o h_t + b_o) with g = `output_activation` "
     "(linear by default)."),
    (lambda w: lambda x, y: (jordan_step(w)(x, y)[0], np.zeros_like(y)),
     "Your cell ignores y_{t−1}: use the state passed to `call` (`states[0]`) in the hidden layer."),
]

jordan_forward = new("jordan.forward", 2, "`RNN(JordanCell(4, 2))` matches the Jordan equations on fixed weights")


@jordan_forward.probe
def _(JordanCell):
    import keras

    x = JORDAN_X.astype("float32")
    out = {}
    for scenario in JORDAN_CASES:
        w, y0 = _jordan_case(scenario)
        layer = keras.layers.RNN(JordanCell(4, 2), return_sequences=True)
        with _explained(f"`RNN(JordanCell(4, 2))` on inputs of shape {x.shape}", JORDAN_SHAPE_HINT):
            layer.build(x.shape)
            _set_weights(layer.cell, "JordanCell", w, JORDAN_SHAPES)
            out[scenario] = layer(x) if y0 is None else layer(x, initial_state=[y0.astype("float32")])
    return out


@jordan_forward.verify
def _(r):
    for scenario, (_, _, description) in JORDAN_CASES.items():
        w, y0 = _jordan_case(scenario)
        expected = ref_jordan(JORDAN_X, w, y0)
        hint = ""
        if r[scenario].shape == expected.shape:
            start = np.zeros((3, 2)) if y0 is None else y0
            hint = _diagnose(r[scenario], JORDAN_MISTAKES, lambda mistake: run_cell(mistake(w), JORDAN_X, start))
        expect.close(r[scenario], expected, f"the output sequence of `RNN(JordanCell(4, 2))` with {description}",
                     hint or "h_t = f(x_t @ kernel + y_prev @ feedback_kernel + bias), "
                     "y_t = g(h_t @ output_kernel + output_bias).", **expect.MATMUL)


# ----------------------------------------------------------------------------- tapped delay line

WINDOW_CASES = [  # (series, d)
    (_uniform(700, (10,), 2.0), 3),
    (_uniform(701, (9, 2), 2.0), 2),  # two features per time step
    (_uniform(702, (6,), 2.0), 0),    # d = 0: the current value only
]

WINDOW_MISTAKES = [
    (lambda s, d: (np.stack([s[k - d:k + 1] for k in range(d, len(s))]), s[d:]),
     "Your target is the last value of its own window: the input x_k must predict the *next* value "
     "x_{k+1}, which the window must not contain."),
    (lambda s, d: (np.stack([s[k - d:k + 1][::-1] for k in range(d, len(s) - 1)]), s[d + 1:]),
     "Your windows are newest-first: keep time order x_{k−d}, …, x_k (oldest first), as an RNN reads it."),
    (lambda s, d: (np.stack([s[k - d:k] for k in range(d, len(s))]), s[d:]),
     "Your windows hold d values x_{k−d}, …, x_{k−1}: the deck's tapped delay line also feeds the "
     "current x_k, so each window has d + 1 values."),
]


def _same(actual, expected) -> bool:
    return actual.shape == expected.shape and np.allclose(actual, expected, rtol=1e-6, atol=1e-6)


windows_values = new("windows.values", 2, "`make_windows(series, d)` builds the tapped-delay inputs and next-value targets")


@windows_values.probe
def _(make_windows):
    out = {}
    for i, (series, d) in enumerate(WINDOW_CASES):
        X, Y = make_windows(series.astype("float32"), d)
        out[f"X{i}"], out[f"Y{i}"] = X, Y
    return out


@windows_values.verify
def _(r):
    for i, (series, d) in enumerate(WINDOW_CASES):
        X_ref, Y_ref = ref_windows(series, d)
        if _same(r[f"X{i}"], X_ref) and _same(r[f"Y{i}"], Y_ref):
            continue
        hint = ""
        for mistake, text in WINDOW_MISTAKES:
            X_bad, Y_bad = mistake(series, d)
            if _same(r[f"X{i}"], X_bad) and _same(r[f"Y{i}"], Y_bad):
                hint = text
                break
        call = f"`make_windows(series, d={d})` on a series of shape {series.shape}"
        if hint:
            raise Fail(f"{call} is wrong. {hint}")
        n = len(series)
        expect.shape(r[f"X{i}"], X_ref.shape, f"X from {call}")
        expect.shape(r[f"Y{i}"], Y_ref.shape, f"Y from {call}")
        expect.close(r[f"X{i}"], X_ref, f"X from {call}",
                     f"Row i holds series[i : i + d + 1] (here rows 0…{n - d - 2}).")
        expect.close(r[f"Y{i}"], Y_ref, f"Y from {call}", "Y[i] is series[i + d + 1], the value after window i.")


LEAK_SERIES = np.arange(12, dtype=np.float64)  # each value is its own time index
LEAK_D = 4

windows_no_leak = new("windows.no_leak", 1, "no window contains its target or any later value (no look-ahead)")


@windows_no_leak.probe
def _(make_windows):
    X, Y = make_windows(LEAK_SERIES.astype("float32"), LEAK_D)
    return {"X": X, "Y": Y}


@windows_no_leak.verify
def _(r):
    X, Y = r["X"], r["Y"]
    if X.ndim != 2 or Y.ndim != 1 or len(X) != len(Y) or len(X) == 0:
        raise Fail(f"on a series of shape (12,), `make_windows` returned X of shape {X.shape} and Y of shape "
                   f"{Y.shape}: expected one window (a row of X) per target.")
    latest_input = X.max(axis=1)
    leaks = np.flatnonzero(latest_input >= Y)
    if leaks.size:
        i = int(leaks[0])
        raise Fail(f"on the series 0, 1, …, 11 (each value is its time step), window {i} contains time step "
                   f"{latest_input[i]:g} but its target is time step {Y[i]:g}: the model would see the "
                   "answer (look-ahead). Every input must come before the value it predicts.")


# ----------------------------------------------------------------------------- why Jordan is unsuitable

JORDAN_STATEMENTS = "abcde"
# The right set of letters, as a digest: reading this file does not give the answer away.
JORDAN_ANSWER_DIGEST = "ac515b703eabd5ec596a25244d3108503bc0a00052b32f2d1f2cdc5e7d74de4b"


def answer_digest(letters: str) -> str:
    return hashlib.sha256(f"02-recurrent/jordan.why:{letters}".encode()).hexdigest()


jordan_why = new("jordan.why", 2, "which statements explain why the Jordan architecture is unsuitable")


@jordan_why.probe
def _(answer):
    letters = sorted({str(a).strip().lower() for a in answer})
    return {"letters": np.asarray("".join(letters))}


@jordan_why.verify
def _(r):
    letters = str(r["letters"])
    if not letters:
        raise Fail("`JORDAN_ANSWER` is empty: put the letters of every true statement in it, e.g. {\"a\", \"e\"}.")
    unknown = sorted(set(letters) - set(JORDAN_STATEMENTS))
    if unknown:
        raise Fail(f"`JORDAN_ANSWER` contains {unknown}: use only the letters a–e of the statements.")
    if answer_digest(letters) != JORDAN_ANSWER_DIGEST:
        raise Fail(f"{{{', '.join(letters)}}} is not the set of true statements. Compare what the two cells "
                   "carry from one step to the next (their `state_size`) with what the task's process "
                   "carries, and look again at the learning curves.")
