"""``motion.*``: a learned motion model, the Elman recurrence (deck topic 9,
h_t = tanh(W_hh h_{t−1} + W_xh x_t + b), ``keras.layers.SimpleRNN``) over an object's last
K − 1 = 5 displacements, predicting its next displacement.

The constant-velocity model predicts that the next displacement is the last one; on a track that
turns at a constant rate ω the true next one is the last one rotated by ω, so its error grows with
speed × ω. A recurrent net that has seen turning tracks learns to read the turn off the last few
displacements. ``motion.turning`` trains the student's model for one seeded epoch (64 steps of 16
windows) and compares its mean error on held-out turning tracks with the constant-velocity
model's; the probe records only the predictions, the grader computes both errors.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from .._probes import compilation, layers_of, optimizer_built
from ._tracks import K, motion_data

UNITS, LEARNING_RATE = 32, 0.01
MAX_PARAMS = 5_000
EPOCHS, BATCH = 1, 16
BOUND = 0.8  # the model's mean error on held-out turning tracks ≤ BOUND × constant velocity's
MSE_NAMES = {"mse", "mean_squared_error", "MeanSquaredError"}

structure = new(
    "motion.structure",
    1,
    f"`build_motion_model()`: {K - 1} displacements in, `SimpleRNN({UNITS})` (tanh), a linear `Dense(2)` out, "
    f"compiled with Adam({LEARNING_RATE}) and the mean squared error",
)


@structure.probe
def _(build_motion_model):
    import keras

    keras.utils.set_random_seed(0)
    model = build_motion_model()
    x = np.random.default_rng(920).normal(size=(4, K - 1, 2)).astype("float32")
    layers = layers_of(model)
    recurrent = [layer for layer in layers if isinstance(layer, keras.layers.RNN)]
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    record = {
        "output": model(x),
        "n_params": model.count_params(),
        "input_shape": np.asarray([-1 if s is None else s for s in model.input_shape[1:]], np.int64),
        "recurrent": np.asarray([type(layer).__name__ for layer in recurrent], str),
        "units": np.asarray([getattr(layer.cell, "units", -1) for layer in recurrent], np.int64),
        "rnn_activations": np.asarray(
            [
                keras.activations.serialize(layer.cell.activation)
                for layer in recurrent
                if hasattr(layer.cell, "activation")
            ],
            str,
        ),
        "last_units": dense[-1].units if dense else -1,
        "last_activation": keras.activations.serialize(dense[-1].activation) if dense else "",
        **compilation(model),
    }
    record["loss"] = type(model.loss).__name__ if record["loss"].startswith("<") else record["loss"]
    return record


@structure.verify
def _(r):
    out = np.asarray(r["output"], np.float64)
    shape_in = tuple(np.asarray(r["input_shape"]).tolist())
    if shape_in != (K - 1, 2):
        raise Fail(
            f"`build_motion_model()`'s input is {shape_in}, expected ({K - 1}, 2): the last {K - 1} displacements "
            f"(dx, dy), oldest first (`keras.Input(({K - 1}, 2))`)."
        )
    if out.shape != (4, 2):
        raise Fail(
            f"`build_motion_model()` maps 4 windows to shape {out.shape}, expected (4, 2): one next displacement "
            "per window (the recurrent layer without `return_sequences`, then `Dense(2)`)."
        )
    kinds = np.asarray(r["recurrent"]).tolist()
    if not kinds:
        raise Fail(
            "`build_motion_model()` has no recurrent layer: read the displacements in order with "
            f"`layers.SimpleRNN({UNITS})`, the Elman recurrence."
        )
    if kinds != ["SimpleRNN"]:
        raise Fail(
            f"`build_motion_model()`'s recurrent layers are {kinds}: the task asks for one `SimpleRNN({UNITS})`, "
            "the Elman recurrence of the deck (topic 9)."
        )
    units = int(np.asarray(r["units"])[0])
    if units != UNITS:
        raise Fail(f"`build_motion_model()`'s `SimpleRNN` has {units} units, expected {UNITS}.")
    activations = np.asarray(r["rnn_activations"]).tolist()
    if activations != ["tanh"]:
        raise Fail(
            f"`build_motion_model()`'s `SimpleRNN` uses the activation {activations}, expected tanh (the Elman "
            "recurrence h_t = tanh(W_hh h_{t−1} + W_xh x_t + b), Keras's default)."
        )
    last_units, last_activation = int(r["last_units"]), str(r["last_activation"])
    if last_units != 2 or last_activation != "linear":
        raise Fail(
            f"`build_motion_model()` ends with `Dense({last_units}, activation={last_activation!r})`: a displacement "
            "can be any pair of numbers, so end with a linear `Dense(2)`."
        )
    n_params = int(r["n_params"])
    if n_params > MAX_PARAMS:
        raise Fail(f"`build_motion_model()` has {n_params} parameters, more than {MAX_PARAMS}.")
    if not bool(r["compiled"]):
        raise Fail("`build_motion_model()` returns a model that is not compiled: call `model.compile(...)`.")
    expect.adam(r, "build_motion_model()", LEARNING_RATE)
    loss = str(r["loss"]) or "None"
    if loss not in MSE_NAMES:
        raise Fail(
            f"`build_motion_model()` compiles with the loss {loss}: a displacement is a regression target, so "
            '`loss="mse"` (the negative log-likelihood of a Gaussian error, up to constants).'
        )


turning = new(
    "motion.turning",
    1,
    f"`build_motion_model()` trained for {EPOCHS} seeded epoch: its mean error on held-out turning tracks is "
    f"≤ {BOUND} × the constant-velocity model's",
)


@turning.probe
def _(build_motion_model):
    import keras

    keras.utils.set_random_seed(0)
    model = build_motion_model()
    n_params = model.count_params()
    if n_params > MAX_PARAMS:  # keeps grading fast; `motion.structure` explains
        raise Fail(f"`build_motion_model()` has {n_params} parameters, more than {MAX_PARAMS}: it was not trained.")
    x_train, y_train, x_test, _, _ = motion_data()
    optimizer_built(model, x_train).fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH, verbose=0)
    return {"predicted": model(x_test)}


def errors(predicted):
    """The mean prediction errors of a model's displacements and of constant velocity, on the held-out tracks."""
    _, _, x_test, last, true_next = motion_data()
    model = float(np.mean(np.linalg.norm(last + np.asarray(predicted, np.float64) - true_next, axis=1)))
    constant = float(np.mean(np.linalg.norm(last + x_test[:, -1] - true_next, axis=1)))
    return model, constant


@turning.verify
def _(r):
    predicted = np.asarray(r["predicted"], np.float64)
    held_out = len(motion_data()[2])
    expect.shape(predicted, (held_out, 2), "the trained model's predictions on the held-out windows")
    expect.finite(
        predicted,
        "the trained model's predictions on the held-out windows",
        "Training diverged: check the learning rate (`Adam(learning_rate=0.01)`).",
    )
    learned, constant = errors(predicted)
    ratio = learned / constant
    if ratio > BOUND:
        raise Fail(
            f"after {EPOCHS} epoch (seed 0, batch {BATCH}) the model's mean error on {held_out} held-out turning "
            f"tracks is {learned:.3f}, the constant-velocity model's {constant:.3f} (ratio {ratio:.2f}; the bound "
            f"is {BOUND}). Check that the model predicts the next *displacement* from the displacements (a linear "
            "`Dense(2)` at the end), the loss (`mse`) and the learning rate (`Adam(learning_rate=0.01)`)."
        )
