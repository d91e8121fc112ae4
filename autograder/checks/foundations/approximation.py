"""``approximation.*``: one hidden layer fits a 1-D target; a grid search over width × learning rate."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new

# A known mistake is named when the student's output is this close to what it computes.
MISTAKE_TOL = dict(rtol=1e-3, atol=1e-4)

MODEL_WIDTH, MODEL_RATE = 7, 0.03
LOSS_TRUE = np.array([[0.0], [1.0], [-2.0], [0.5]], dtype=np.float32)
LOSS_PRED = np.array([[0.5], [0.0], [-1.0], [2.5]], dtype=np.float32)

model_check = new("approximation.model", 1, "`make_mlp(width, learning_rate)`: 1 → width → 1, linear output, Adam, MSE")


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
        raise Fail(
            f"{what} has Dense layers of {units} units, expected [{MODEL_WIDTH}, 1]: one hidden "
            "layer of `width` units, then one output unit."
        )
    if int(r["n_params"]) != 3 * MODEL_WIDTH + 1:
        raise Fail(
            f"{what} has {int(r['n_params'])} parameters, expected 3·width + 1 = "
            f"{3 * MODEL_WIDTH + 1} (Wⁱʰ, bⁱʰ, W°ʰ, b°ʰ): is there an extra layer?"
        )
    if not bool(r["output_linear"]):
        raise Fail(
            f"the last layer of {what} is not a linear `Dense`: for a real-valued target f° is the "
            "identity (a tanh or sigmoid output could not reach values outside its range)."
        )
    if not bool(r["compiled"]):
        raise Fail(f"{what} is not compiled: call `model.compile(optimizer=..., loss=...)` before returning it.")
    if not bool(r["adam"]):
        raise Fail(f"{what} is not compiled with `keras.optimizers.Adam`.")
    expect.close(
        r["learning_rate"],
        MODEL_RATE,
        f"the learning rate of {what}",
        "Pass it to the optimizer: `keras.optimizers.Adam(learning_rate)`.",
        rtol=1e-5,
        atol=1e-8,
    )
    expect.close(
        r["loss"],
        np.mean(np.square(LOSS_TRUE - LOSS_PRED)),
        f"the loss of {what} on a fixed pair",
        'Compile with the mean squared error, `loss="mse"`.',
        **expect.ELEMENTWISE,
    )


# The check's target: one hidden layer of any usual activation (tanh, ReLU, sigmoid, ELU) fits it
# well within the budget from every seed tried (tests/checks/test_foundations.py).
FIT_X = np.linspace(-3.0, 3.0, 64, dtype=np.float32).reshape(-1, 1)
FIT_Y = np.sin(1.5 * FIT_X).astype(np.float32)
FIT_WIDTH, FIT_RATE, FIT_STEPS = 32, 0.03, 800
FIT_BOUND = 0.03
LINE_MSE = float(np.mean(np.square(FIT_Y - np.polyval(np.polyfit(FIT_X[:, 0], FIT_Y[:, 0], 1), FIT_X))))

fits = new(
    "approximation.fits",
    1,
    f"one hidden layer of {FIT_WIDTH} units fits sin(1.5x) to MSE < {FIT_BOUND} in {FIT_STEPS} steps",
)


def train_mlp(make_mlp, seed=0, steps=FIT_STEPS):
    """Train `make_mlp(FIT_WIDTH, FIT_RATE)` full-batch on the target; its MSE and hidden activations."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = make_mlp(FIT_WIDTH, FIT_RATE)
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        raise Fail("`make_mlp` should return a compiled model: call `model.compile(optimizer=..., loss=...)`.")
    loss = keras.losses.get(model.loss) if isinstance(model.loss, str) else model.loss
    weights = model.trainable_variables
    model.optimizer.build(weights)
    x, y = tf.constant(FIT_X), tf.constant(FIT_Y)

    @tf.function
    def full_batch_steps():
        # What `fit` does on one full batch, `steps` times, as one traced loop: `fit` itself
        # costs four times as much here, nearly all of it per-call overhead.
        for _ in tf.range(steps):
            with tf.GradientTape() as tape:
                value = tf.reduce_mean(loss(y, model(x, training=True)))
            model.optimizer.apply_gradients(zip(tape.gradient(value, weights), weights))

    full_batch_steps()
    hidden = [layer.activation.__name__ for layer in model.layers[:-1] if isinstance(layer, keras.layers.Dense)]
    hidden += [layer.activation.__name__ for layer in model.layers if isinstance(layer, keras.layers.Activation)]
    return {
        "mse": float(np.mean(np.square(np.asarray(model(FIT_X)) - FIT_Y))),
        "hidden": np.asarray(", ".join(hidden) or "none"),
    }


@fits.probe
def _(make_mlp):
    return train_mlp(make_mlp)


@fits.verify
def _(r):
    mse = float(r["mse"])
    if np.isfinite(mse) and mse < FIT_BOUND:
        return
    hint = "Check the hidden activation: the network needs a non-linear fʰ (e.g. tanh)."
    if str(r["hidden"]) in {"linear", "none"}:
        hint = (
            "Your hidden layer is linear: W°ʰ(Wⁱʰx + bⁱʰ) + b°ʰ is a straight line however wide it is. "
            'Universal approximation needs a non-linear fʰ: `Dense(width, activation="tanh")`.'
        )
    raise Fail(
        f"after {FIT_STEPS} full-batch steps `make_mlp({FIT_WIDTH}, {FIT_RATE})` reaches MSE "
        f"{mse:.4g} on sin(1.5x), x in [−3, 3] (the best straight line: {LINE_MSE:.3g}; expected < {FIT_BOUND}). "
        f"Hidden activation: {r['hidden']}. {hint}"
    )


SEARCH_WIDTHS = (2, 8, 32)
SEARCH_RATES = (0.003, 0.03)
# Training error falls with width; validation error does not (the widest net overfits, or diverges
# at the large rate): selecting on training error, or the maximum, picks a different cell.
SEARCH_TRAIN = np.array([[0.30, 0.20], [0.10, 0.04], [0.02, 0.001]])
SEARCH_VAL = np.array([[0.33, 0.25], [0.12, 0.05], [0.09, 0.30]])
SEARCH_BEST = (8, 0.03)

search = new(
    "approximation.search", 2, "`grid_search` trains each configuration once and picks the lowest validation MSE"
)


@search.probe
def _(grid_search):
    calls = []

    def evaluate(width, learning_rate):
        calls.append((float(width), float(learning_rate)))
        try:
            i, j = SEARCH_WIDTHS.index(width), SEARCH_RATES.index(learning_rate)
        except ValueError:
            raise Fail(
                f"`grid_search` called `evaluate({width!r}, {learning_rate!r})`, which is not a "
                f"configuration of the grid: call `evaluate(width, learning_rate)` with a width "
                f"from {SEARCH_WIDTHS} and a rate from {SEARCH_RATES}."
            ) from None
        return {"train_mse": float(SEARCH_TRAIN[i, j]), "val_mse": float(SEARCH_VAL[i, j])}

    result = grid_search(evaluate, SEARCH_WIDTHS, SEARCH_RATES)
    try:
        best, table = result
    except (TypeError, ValueError):
        raise Fail(f"`grid_search` should return `(best, table)`, got a {type(result).__name__}.") from None
    return {
        "best": np.asarray(best, dtype=np.float64).reshape(-1),
        "table": table,
        "calls": np.asarray(calls, dtype=np.float64).reshape(-1, 2),
    }


@search.verify
def _(r):
    calls = sorted(map(tuple, r["calls"].tolist()))
    grid = sorted((float(w), float(lr)) for w in SEARCH_WIDTHS for lr in SEARCH_RATES)
    if calls != grid:
        raise Fail(
            f"`grid_search` called `evaluate` {len(calls)} times on {len(set(calls))} distinct "
            f"configurations; the budget is one training per configuration of the "
            f"{len(SEARCH_WIDTHS)} × {len(SEARCH_RATES)} grid ({len(grid)} calls): keep each result."
        )
    table = np.asarray(r["table"], dtype=np.float64)
    if table.shape == SEARCH_VAL.T.shape:
        raise Fail(f"`table` has shape {table.shape}: rows are widths, columns learning rates, {SEARCH_VAL.shape}.")
    if expect.matches(table, SEARCH_TRAIN, **MISTAKE_TOL):
        raise Fail(
            '`table` holds the training MSE: select on the validation MSE (`"val_mse"`). A wider '
            "network always fits its training data better; only held-out data shows whether it "
            "generalises."
        )
    expect.close(
        table,
        SEARCH_VAL,
        "`table` (validation MSE per width × learning rate)",
        'table[i, j] is evaluate(widths[i], learning_rates[j])["val_mse"].',
        **expect.FLOAT64,
    )
    best = r["best"]
    if best.shape != (2,):
        raise Fail(f"`best` should be the pair (width, learning_rate), got {best.size} values.")
    hint = expect.diagnose(
        best,
        [
            ((32, 0.03), "That is the lowest *training* MSE: select on validation MSE."),
            ((2, 0.003), "That is the highest validation MSE: use `argmin`, not `argmax`."),
            ((0.03, 8), "That is (learning_rate, width): return (width, learning_rate)."),
            ((1, 1), "Those are indices into the grid: return the width and rate themselves."),
        ],
        **MISTAKE_TOL,
    )
    expect.close(best, SEARCH_BEST, "`best`, the configuration with the lowest validation MSE", hint, **expect.FLOAT64)
