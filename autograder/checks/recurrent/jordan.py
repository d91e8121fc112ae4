"""``jordan.*``: the Jordan cell h_t = f(W_x x_t + W_y y_{t−1} + b), y_t = g(W_o h_t + b_o), state
y_t; and the multiple-choice question why it is unsuitable for a task with a hidden state."""

from __future__ import annotations

import hashlib
from functools import partial

import numpy as np

from .. import expect
from .._core import Fail, new
from ._shared import explained, set_weights, uniform, weight_facts
from .elman import run_cell, verify_names_and_starts

# float64 NumPy: the truth the records are compared with.


def _identity(z):
    return z


def jordan_step(w, activation=np.tanh, output_activation=_identity):
    def step(x_t, y):
        h = activation(x_t @ w["kernel"] + y @ w["feedback_kernel"] + w["bias"])
        y = output_activation(h @ w["output_kernel"] + w["output_bias"])
        return y, y

    return step


def ref_jordan(x, w, y0=None):
    y0 = np.zeros((x.shape[0], w["output_kernel"].shape[1])) if y0 is None else y0
    return run_cell(jordan_step(w), x, y0)


JORDAN_SHAPES = {  # name: (meaning, shape for input features n, units u, output units m)
    "kernel": ("W_x", lambda n, u, m: (n, u)),
    "feedback_kernel": ("W_y", lambda n, u, m: (m, u)),
    "bias": ("b", lambda n, u, m: (u,)),
    "output_kernel": ("W_o", lambda n, u, m: (u, m)),
    "output_bias": ("b_o", lambda n, u, m: (m,)),
}


def jordan_weights(seed: int, n_in: int, units: int, n_out: int, zero=()) -> dict:
    w = {
        name: uniform(seed + i, shape(n_in, units, n_out)) for i, (name, (_, shape)) in enumerate(JORDAN_SHAPES.items())
    }
    return {name: np.zeros_like(v) if name in zero else v for name, v in w.items()}


JORDAN_SHAPE_HINT = (
    "Check the shapes: in `build`, `input_shape` is one step's (batch, features), so `kernel` is "
    "(input_shape[-1], units); in `call`, `x_t @ kernel` and `y_prev @ feedback_kernel` are "
    "(batch, units), `h @ output_kernel` is (batch, output_units)."
)


# A known mistake is named when the student's output is this close to what it computes.
MISTAKE_TOL = dict(rtol=1e-3, atol=1e-4)

# ----------------------------------------------------------------------------- the cell

# Batch 5, time 6, features 3, units 4, outputs 2: no two axes alike, so a weight sized by the
# wrong axis (`input_shape[-2]`, the batch, instead of `input_shape[-1]`) cannot pass.
JORDAN_X = uniform(600, (5, 6, 3), scale=1.5)
JORDAN_Y0 = uniform(601, (5, 2), scale=0.9)
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
    with explained(f"`RNN(JordanCell(4, 2))` on inputs of shape {x.shape}", JORDAN_SHAPE_HINT):
        outputs, state = layer(x)
    return {
        "state_size": np.ravel(np.asarray(getattr(cell, "state_size", -1))),
        "outputs": outputs,
        "state": state,
        **weight_facts(cell, JORDAN_SHAPES),
    }


@jordan_state.verify
def _(r):
    if r["state_size"].tolist() != [2]:
        raise Fail(
            f"`JordanCell(4, 2).state_size` is {r['state_size'].tolist()}, expected 2: a Jordan cell "
            "feeds back its previous output y_{t−1}, which has `output_units` values (not the "
            "hidden units)."
        )
    expect.close(
        r["state"],
        r["outputs"][:, -1],
        "the final state of `RNN(JordanCell(4, 2), return_state=True)` (it must equal the last output)",
        "A Jordan cell's new state is its output: `call` must return `(y, [y])`, not the hidden layer h_t.",
        **expect.ELEMENTWISE,
    )
    verify_names_and_starts(r, "JordanCell(4, 2)", JORDAN_SHAPES, zeros=("bias", "output_bias"))


JORDAN_MISTAKES = [  # each as the step function it computes
    (
        lambda w: jordan_step(w, output_activation=np.tanh),
        "Your cell applies tanh to the output too: y_t = g(W_o h_t + b_o) with g = `output_activation` "
        "(linear by default).",
    ),
    (
        lambda w: lambda x, y: (jordan_step(w)(x, y)[0], np.zeros_like(y)),
        "Your cell ignores y_{t−1}: use the state passed to `call` (`states[0]`) in the hidden layer.",
    ),
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
        with explained(f"`RNN(JordanCell(4, 2))` on inputs of shape {x.shape}", JORDAN_SHAPE_HINT):
            layer.build(x.shape)
            set_weights(layer.cell, "JordanCell", w, JORDAN_SHAPES)
            out[scenario] = layer(x) if y0 is None else layer(x, initial_state=[y0.astype("float32")])
    return out


@jordan_forward.verify
def _(r):
    for scenario, (_, _, description) in JORDAN_CASES.items():
        w, y0 = _jordan_case(scenario)
        expected = ref_jordan(JORDAN_X, w, y0)
        hint = ""
        if r[scenario].shape == expected.shape:
            start = np.zeros((JORDAN_X.shape[0], 2)) if y0 is None else y0
            hint = expect.diagnose(
                r[scenario],
                [(partial(run_cell, mistake(w), JORDAN_X, start), text) for mistake, text in JORDAN_MISTAKES],
                **MISTAKE_TOL,
            )
        expect.close(
            r[scenario],
            expected,
            f"the output sequence of `RNN(JordanCell(4, 2))` with {description}",
            hint
            or "h_t = f(x_t @ kernel + y_prev @ feedback_kernel + bias), y_t = g(h_t @ output_kernel + output_bias).",
            **expect.MATMUL,
        )


# ----------------------------------------------------------------------------- why Jordan is unsuitable

JORDAN_STATEMENTS = "abcdef"
# The right set of letters, as a digest: reading this file does not give the answer away.
JORDAN_ANSWER_DIGEST = "ac515b703eabd5ec596a25244d3108503bc0a00052b32f2d1f2cdc5e7d74de4b"


def answer_digest(letters: str) -> str:
    return hashlib.sha256(f"02-recurrent/jordan.why:{letters}".encode()).hexdigest()


# Hidden: with an instant verdict, 63 sets of letters are a search, not a question.
jordan_why = new("jordan.why", 2, "which statements explain why the Jordan architecture is unsuitable", hidden=True)


@jordan_why.probe
def _(answer):
    letters = sorted({str(a).strip().lower() for a in answer})
    return {"letters": np.asarray("".join(letters))}


@jordan_why.verify
def _(r):
    letters = str(r["letters"])
    if not letters:
        raise Fail('`JORDAN_ANSWER` is empty: put the letters of every true statement in it, e.g. {"a", "e"}.')
    unknown = sorted(set(letters) - set(JORDAN_STATEMENTS))
    if unknown:
        raise Fail(f"`JORDAN_ANSWER` contains {unknown}: use only the letters a–f of the statements.")
    if answer_digest(letters) != JORDAN_ANSWER_DIGEST:
        raise Fail(
            "`JORDAN_ANSWER` is not the set of true statements (all six must be right). Compare what "
            "the two cells carry from one step to the next (their `state_size`) with what the task's "
            "process carries, and reread what the two dotted lines of the learning curves show."
        )
