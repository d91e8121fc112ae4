"""``pretrain.*``: greedy layer-wise pretraining (unsupervised and supervised stages), fine-tuning,
and whether pretraining beats training from scratch."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from .._probes import eager_functions, fits_traced_once
from ._shared import sigmoid


def pretraining_task(seed: int = 0, n: int = 1200, dim: int = 32, classes: int = 8, latent: int = 4):
    """The seeded classification task: 8 classes of points near a 4-D manifold in (0, 1)^32.

    Each class is a cluster in a 4-D latent space, mapped to 32 features by a fixed random linear
    map and a sigmoid, plus noise: the inputs have structure an autoencoder can find.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 1.0, size=(classes, latent))
    mixing = rng.normal(0.0, 1.5, size=(latent, dim))
    y = rng.integers(0, classes, size=n)
    z = centres[y] + 0.5 * rng.normal(size=(n, latent))
    x = sigmoid(z @ mixing + 0.3 * rng.normal(size=(n, dim)))
    return x.astype(np.float32), y.astype(np.int32)


STAGE_WIDTHS = (24, 16)  # the probes' two stages: 32 → 24 → 16
# 97 = 3·32 + 1 examples: ⌈97/32⌉ = 4 batches of 32 an epoch, where any other batch size near 32 gives 3.
STAGE_N, STAGE_EPOCHS, N_CLASSES, BATCH_SIZE = 97, 2, 8, 32
STAGE_OPTIMIZER, FINE_TUNE_OPTIMIZER = ("Adam", 0.01), ("SGD", 0.5)  # the notebook's Adam(0.01), SGD(FINE_TUNE_LR)


def _weights(layer):
    return [np.array(w.numpy(), copy=True) for w in layer.weights]


def _delta(before, after):
    return max(float(np.max(np.abs(a - b))) for a, b in zip(before, after))


def _output_dim(model, *inputs):
    """The number of outputs per example of a model fed either x or the codes (whichever it takes)."""
    for batch in inputs:
        try:
            return int(np.asarray(model(batch[:2])).shape[-1])
        except Exception:
            continue
    raise Fail("the model returned by the stage accepts neither x nor the frozen layers' codes as input.")


def _training(model):
    """How ``model`` was compiled and how many steps it took (-1: not compiled by Keras)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "iterations"):
        return {"optimizer": "", "learning_rate": -1.0, "steps": -1}
    return {
        "optimizer": type(optimizer).__name__,
        "learning_rate": float(np.asarray(optimizer.learning_rate)),
        "steps": int(np.asarray(optimizer.iterations)),
    }


def _training_verify(r, name, expected_optimizer, what):
    if int(r["steps"]) < 0:  # trained without `compile`: nothing to compare
        return
    kind, rate = expected_optimizer
    got_kind, got_rate = str(r["optimizer"]), float(r["learning_rate"])
    if got_kind != kind or not np.isclose(got_rate, rate, rtol=1e-6):
        raise Fail(
            f"`{name}` trained {what} with {got_kind}(learning_rate={got_rate:g}); the task asks for "
            f"{kind}({rate:g}): pass the optimizer to `compile` (`keras.optimizers.{kind}({rate:g})`)."
        )
    batches = -(-STAGE_N // BATCH_SIZE)
    if int(r["steps"]) != STAGE_EPOCHS * batches:
        raise Fail(
            f"`{name}` took {int(r['steps'])} gradient steps on {STAGE_N} examples with epochs={STAGE_EPOCHS}; "
            f"`fit(..., epochs=epochs, batch_size={BATCH_SIZE})` takes {STAGE_EPOCHS} × ⌈{STAGE_N}/{BATCH_SIZE}⌉ = "
            f"{STAGE_EPOCHS * batches}: train for the given `epochs` with batch_size={BATCH_SIZE}."
        )


def _stage_probe(stage, supervised):
    """One stage on top of an already trained (frozen) layer: the second stage of a greedy run."""
    import keras

    keras.utils.set_random_seed(0)
    x, y = pretraining_task(seed=3, n=STAGE_N)
    first = keras.layers.Dense(STAGE_WIDTHS[0], activation="sigmoid")
    second = keras.layers.Dense(STAGE_WIDTHS[1], activation="sigmoid")
    first.build((None, x.shape[1]))
    second.build((None, STAGE_WIDTHS[0]))
    args = (x, y, N_CLASSES) if supervised else (x,)
    w1_start, w2_start = _weights(first), _weights(second)
    with eager_functions():  # 8 steps: tracing them would cost more than running them
        model = stage([first], second, *args, epochs=STAGE_EPOCHS)
    if not isinstance(model, keras.Model):
        raise Fail(
            f"`{stage.__name__}` returned a {type(model).__name__}; it must return the "
            "temporary model it trained (a `keras.Model`)."
        )
    owned = {id(w): "first" for w in first.weights} | {id(w): "second" for w in second.weights}
    owners = [owned.get(id(w), "head") for w in model.trainable_weights]
    return {
        "first_delta": _delta(w1_start, _weights(first)),
        "second_delta": _delta(w2_start, _weights(second)),
        "first_trainable": bool(first.trainable),
        "second_trainable": bool(second.trainable),
        "first_weights": owners.count("first"),
        "second_weights": owners.count("second"),
        "head_weights": owners.count("head"),
        "out_dim": _output_dim(model, x, np.asarray(first(x))),
        "row_sums": _row_sums(model, x, np.asarray(first(x))),
        **_training(model),
    }


def _row_sums(model, *inputs):
    for batch in inputs:
        try:
            return np.asarray(model(batch[:4]), np.float64).sum(axis=-1)
        except Exception:
            continue
    return np.full(4, np.nan)


def _stage_verify(r, name, out_dim, out_what):
    if float(r["first_delta"]) != 0.0 or int(r["first_weights"]):
        raise Fail(
            f"`{name}` changed the weights of the earlier, already trained layer (by up to "
            f"{float(r['first_delta']):.2g}): freeze every layer in `encoders` "
            "(`layer.trainable = False`) before compiling; only `new_layer` (and the temporary "
            "decoder or head) may train."
        )
    if bool(r["first_trainable"]):
        raise Fail(
            f"after `{name}` the earlier layer still has `trainable=True`: set "
            "`layer.trainable = False` for every layer in `encoders`."
        )
    if not bool(r["second_trainable"]) or int(r["second_weights"]) == 0 or float(r["second_delta"]) == 0.0:
        raise Fail(
            f"`{name}` did not train the new layer: `new_layer` must be trainable and part of the model you fit."
        )
    if int(r["head_weights"]) == 0:
        raise Fail(
            f"the model returned by `{name}` has no temporary decoder or head with trainable "
            "weights: put a new Dense layer after `new_layer`."
        )
    if int(r["out_dim"]) != out_dim:
        raise Fail(
            f"the model trained by `{name}` on top of a {STAGE_WIDTHS[0]}-unit layer outputs "
            f"{int(r['out_dim'])} values per example, expected {out_dim}: {out_what}"
        )
    _training_verify(r, name, STAGE_OPTIMIZER, "its temporary model")


unsupervised = new(
    "pretrain.unsupervised", 2, "unsupervised stage: an autoencoder of the codes, only the newest layer changes"
)


@unsupervised.probe
def _(unsupervised_stage):
    return _stage_probe(unsupervised_stage, supervised=False)


@unsupervised.verify
def _(r):
    _stage_verify(
        r,
        "unsupervised_stage",
        STAGE_WIDTHS[0],
        "the autoencoder must reconstruct its own input, the codes of the frozen layers (not the raw x).",
    )


supervised = new("pretrain.supervised", 2, "supervised stage: a temporary softmax head, only the newest layer changes")


@supervised.probe
def _(supervised_stage):
    return _stage_probe(supervised_stage, supervised=True)


@supervised.verify
def _(r):
    _stage_verify(
        r,
        "supervised_stage",
        N_CLASSES,
        f"the temporary head is a Dense({N_CLASSES}, activation='softmax') classifier.",
    )
    sums = np.asarray(r["row_sums"], np.float64)
    if not np.allclose(sums, 1.0, atol=1e-4):
        raise Fail(
            f"the outputs of the model trained by `supervised_stage` do not sum to 1 over the classes "
            f"(sums {', '.join(f'{v:.3g}' for v in sums)}): the temporary head is a "
            f"Dense({N_CLASSES}, activation='softmax') classifier."
        )


finetune = new(
    "pretrain.finetune", 1, "fine-tuning unfreezes the pretrained layers and trains them all with a new softmax head"
)


@finetune.probe
def _(fine_tune):
    import keras

    keras.utils.set_random_seed(0)
    x, y = pretraining_task(seed=4, n=STAGE_N)
    layers = [keras.layers.Dense(w, activation="sigmoid") for w in STAGE_WIDTHS]
    layers[0].build((None, x.shape[1]))
    layers[1].build((None, STAGE_WIDTHS[0]))
    for layer in layers:  # as greedy pretraining leaves them
        layer.trainable = False
    before = [_weights(layer) for layer in layers]
    with eager_functions():
        model = fine_tune(layers, x, y, N_CLASSES, epochs=STAGE_EPOCHS)
    if not isinstance(model, keras.Model):
        raise Fail(f"`fine_tune` returned a {type(model).__name__}; it must return the trained `keras.Model`.")
    probabilities = np.asarray(model(x[:8]))
    return {
        "deltas": np.array([_delta(b, _weights(layer)) for b, layer in zip(before, layers)]),
        "trainable": np.array([bool(layer.trainable) for layer in layers]),
        "uses_pretrained": np.array([any(layer is m for m in model.layers) for layer in layers]),
        "probabilities": probabilities,
        **_training(model),
    }


@finetune.verify
def _(r):
    if not np.all(r["uses_pretrained"]):
        raise Fail(
            "the fine-tuned model does not contain the pretrained layers it was given: build it "
            "from `encoders` (`classifier(encoders, n_classes)`), not from new layers."
        )
    if not np.all(r["trainable"]) or not np.all(r["deltas"] > 0):
        frozen = (
            int(np.argmin(r["deltas"] > 0)) + 1 if not np.all(r["deltas"] > 0) else int(np.argmin(r["trainable"])) + 1
        )
        raise Fail(
            f"fine-tuning left pretrained layer {frozen} unchanged: set `layer.trainable = True` "
            "on every layer of `encoders` before compiling, so the whole network is fine-tuned."
        )
    _training_verify(r, "fine_tune", FINE_TUNE_OPTIMIZER, "the whole network")
    p = np.asarray(r["probabilities"], np.float64)
    expect.shape(p, (8, N_CLASSES), "the fine-tuned model's output for 8 examples")
    expect.close(
        p.sum(axis=1),
        np.ones(8),
        "the sums of the fine-tuned model's outputs",
        f"The head must be a Dense({N_CLASSES}, activation='softmax').",
        **expect.MATMUL,
    )


# The notebook's comparison, shortened for grading: a sigmoid layer of 32 units pretrained
# without labels by the student's `unsupervised_stage`, then fine-tuned by the
# student's `fine_tune`, against the same layers from the same initial weights fine-tuned from
# scratch for as many epochs. Each `fit` costs ~0.4 s CPU whatever its length (few epochs on more
# examples: each epoch adds a little, each batch almost nothing), so the graded run skips the
# scratch run: from scratch, the reference `fine_tune` reaches SCRATCH_LOSS[seed], a number
# tests/checks/test_deep.py recomputes on seeds 0–4 together with the claim itself. One layer, not
# a stack: stacking (a stage on top of frozen layers) is what `pretrain.unsupervised` probes.
BEATS_WIDTHS, BEATS_N, BEATS_TASK_SEED = (32,), 768, 5
BEATS_PRETRAIN_EPOCHS, BEATS_FINE_TUNE_EPOCHS = 2, 2
BEATS_MARGIN = 0.1  # nats: the pretrained network's training loss must be at least this much lower
SCRATCH_LOSS = (1.165, 1.078, 1.250, 1.196, 1.151)  # seeds 0–4, the reference `fine_tune` from scratch
SCRATCH_TOLERANCE = 0.05  # nats: what TF32 or another BLAS may move the recomputed value
GUESSING = float(np.log(N_CLASSES))  # the cross-entropy of predicting 1/8 for every class


def beats_scratch_probe(unsupervised_stage, fine_tune, seed=0, runs=("pretrained",)):
    """Fine-tune the layers pretrained by `unsupervised_stage` (and, in ``runs``, the same fresh
    layers); record the outputs.

    Args:
        unsupervised_stage, fine_tune: the student's functions.
        seed: the graded check runs seed 0; the tests run seeds 0–4 through the same code.
        runs: "pretrained", and "scratch" to train the fresh layers too (the tests do).
    """
    x, y = pretraining_task(seed=BEATS_TASK_SEED + seed, n=BEATS_N)
    with fits_traced_once():  # 48 steps a fit: traced once, not run eagerly
        return _beats_scratch_runs(unsupervised_stage, fine_tune, seed, runs, x, y)


def _beats_scratch_runs(unsupervised_stage, fine_tune, seed, runs, x, y):
    import keras

    record = {}
    for run in ("scratch", "pretrained"):
        if run not in runs:
            continue
        keras.utils.set_random_seed(seed)  # the same initial weights for both runs
        layers = [keras.layers.Dense(w, activation="sigmoid") for w in BEATS_WIDTHS]
        for layer, fan_in in zip(layers, (x.shape[1],) + BEATS_WIDTHS[:-1]):
            layer.build((None, fan_in))
        if run == "pretrained":
            start = [_weights(layer) for layer in layers]
            for k, layer in enumerate(layers):
                unsupervised_stage(layers[:k], layer, x, epochs=BEATS_PRETRAIN_EPOCHS)
            record["pretrain_deltas"] = np.array([_delta(s, _weights(layer)) for s, layer in zip(start, layers)])
        keras.utils.set_random_seed(seed + 1)  # the same softmax head for both runs
        model = fine_tune(layers, x, y, N_CLASSES, epochs=BEATS_FINE_TUNE_EPOCHS)
        if not isinstance(model, keras.Model):
            raise Fail(f"`fine_tune` returned a {type(model).__name__}; it must return the trained `keras.Model`.")
        record[f"p_{run}"] = np.asarray(model(x))
        curve = getattr(getattr(model, "history", None), "history", {}).get("loss")  # if it used `fit`
        record[f"curve_{run}"] = np.asarray(curve or [np.nan], np.float64)
        if run == "pretrained":
            record["uses_pretrained"] = np.array([any(layer is m for m in model.layers) for layer in layers])
    return record


def scratch_loss(r, seed=0):
    """The from-scratch training loss: recomputed if the record has the run, else the stored one."""
    if "p_scratch" not in r:
        return SCRATCH_LOSS[seed]
    _, y = pretraining_task(seed=BEATS_TASK_SEED + seed, n=BEATS_N)
    return _cross_entropy(np.asarray(r["p_scratch"], np.float64), y)


def _cross_entropy(p, y):
    """Mean sparse categorical cross-entropy, clipped as Keras clips it."""
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1.0))))


def _curve(values):
    values = np.asarray(values, np.float64)
    if values.size == 0 or not np.all(np.isfinite(values)):
        return ""
    return " (loss by epoch: " + " → ".join(f"{v:.2f}" for v in values) + ")"


def beats_scratch_verify(r, seed=0):
    _, y = pretraining_task(seed=BEATS_TASK_SEED + seed, n=BEATS_N)
    p = np.asarray(r["p_pretrained"], np.float64)
    what = "the output of the pretrained network after `fine_tune`"
    expect.shape(p, (BEATS_N, N_CLASSES), what)
    expect.finite(
        p,
        what,
        f"Fine-tuning diverged: train with `SGD(FINE_TUNE_LR)` and a Dense({N_CLASSES}, activation='softmax') head.",
    )
    loss = {"pretrained": _cross_entropy(p, y), "scratch": scratch_loss(r, seed)}
    if loss["pretrained"] <= loss["scratch"] - BEATS_MARGIN:
        return
    summary = (
        f"the pretrained network does not train better than from scratch: after "
        f"{BEATS_FINE_TUNE_EPOCHS} epochs of `fine_tune`, the layers pretrained by your "
        f"`unsupervised_stage` reach a training loss of {loss['pretrained']:.3f}"
        f"{_curve(r['curve_pretrained'])}, the same layers from scratch {loss['scratch']:.3f}; "
        f"pretraining should make it at least {BEATS_MARGIN} lower."
    )
    deltas = np.asarray(r["pretrain_deltas"], np.float64)
    if not np.all(r["uses_pretrained"]):
        cause = (
            "The fine-tuned model does not contain the pretrained layers: build it from `encoders` "
            "(`classifier(encoders, n_classes)`) so it starts from the pretrained weights."
        )
    elif np.any(deltas == 0):
        cause = (
            f"Pretraining left layer {int(np.argmin(deltas != 0)) + 1} unchanged: `unsupervised_stage` "
            "must fit an autoencoder whose encoder is `new_layer` (trainable)."
        )
    elif loss["pretrained"] > GUESSING - 0.05:
        cause = (
            f"The pretrained network is no better than guessing (log {N_CLASSES} = {GUESSING:.2f}): "
            "`fine_tune` must train the model it returns, with `SGD(FINE_TUNE_LR)` for the given "
            "`epochs`."
        )
    else:
        cause = (
            "Pretraining gave no head start: `unsupervised_stage` should train `new_layer` with "
            "`Adam(0.01)` for the given `epochs`, reconstructing the frozen layers' codes, and "
            "`fine_tune` should keep the pretrained weights (not re-initialise them)."
        )
    raise Fail(f"{summary} {cause}")


beats_scratch = new(
    "pretrain.beats_scratch",
    1,
    "unsupervised pretraining, then `fine_tune`, beats the same network from scratch (a short seeded run)",
)


@beats_scratch.probe
def _(unsupervised_stage, fine_tune):
    return beats_scratch_probe(unsupervised_stage, fine_tune)


@beats_scratch.verify
def _(r):
    beats_scratch_verify(r)
