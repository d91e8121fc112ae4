"""``nll.*``: costs as negative log-likelihoods, cost = −log p(y | x; θ).

Gaussian, fixed σ   ½·log(2πσ²) + (y − ŷ)²/(2σ²)      ≡ MSE/(2σ²) + const
Bernoulli, logit z  softplus(z) − y·z                  ≡ binary cross-entropy
categorical, z      −Σ_k y_k·(z_k − logsumexp(z))      ≡ categorical cross-entropy
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new

# float64 NumPy: the truth the records are compared with (tests/checks/test_training.py compares
# them with `keras.losses`).


def _f64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def ref_gaussian_nll(y, mean, sigma=1.0):
    y, mean = _f64(y, mean)
    return np.mean(0.5 * np.log(2 * np.pi * sigma**2) + (y - mean) ** 2 / (2 * sigma**2), axis=-1)


def ref_bernoulli_nll(y, logits):
    # −[y·log σ(z) + (1 − y)·log(1 − σ(z))] = log(1 + eᶻ) − y·z, with log(1 + eᶻ) = logaddexp(0, z).
    y, logits = _f64(y, logits)
    return np.mean(np.logaddexp(0.0, logits) - y * logits, axis=-1)


def ref_log_softmax(logits):
    (logits,) = _f64(logits)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def ref_categorical_nll(y, logits):
    (y,) = _f64(y)
    return -np.sum(y * ref_log_softmax(logits), axis=-1)


def _sigmoid(z):
    (z,) = _f64(z)
    return np.exp(-np.logaddexp(0.0, -z))


_rng = np.random.default_rng(3)
Y_REG = np.round(_rng.normal(size=(6, 2)), 2).astype(np.float32)
MEAN_REG = np.round(Y_REG + _rng.normal(scale=0.8, size=(6, 2)), 2).astype(np.float32)
SIGMAS = (1.0, 0.5, 2.0)
Y_BIN = np.array([[1, 0], [0, 0], [1, 1], [0, 1], [1, 0], [0.25, 0.75]], dtype=np.float32)
Z_BIN = np.array([[2.0, -1.0], [0.5, 3.0], [-1.5, 0.2], [4.0, -2.5], [-0.3, 1.1], [0.8, -0.6]], dtype=np.float32)
Y_CAT = np.eye(4, dtype=np.float32)[[0, 2, 3, 1, 2]]
Z_CAT = np.array(
    [[2.0, 1.0, -1.0, 0.5], [0.1, -0.4, 1.5, 2.0], [-2.0, 0.0, 3.0, 1.0], [1.0, 1.0, 1.0, 1.0], [0.3, 2.2, -0.7, -1.4]],
    dtype=np.float32,
)
# Sequences, shape (batch 2, time 3, features 4): a loss reduces only the last axis, as Keras's do
# (`axis=1` is the last axis only of a 2-D batch).
_seq = np.random.default_rng(7)
Y_SEQ = np.round(_seq.normal(size=(2, 3, 4)), 2).astype(np.float32)
MEAN_SEQ = np.round(Y_SEQ + _seq.normal(scale=0.8, size=(2, 3, 4)), 2).astype(np.float32)
Y_BIN_SEQ = (_seq.random((2, 3, 4)) < 0.5).astype(np.float32)
Z_SEQ = np.round(_seq.normal(scale=2.0, size=(2, 3, 4)), 2).astype(np.float32)
Y_CAT_SEQ = np.eye(4, dtype=np.float32)[_seq.integers(0, 4, size=(2, 3))]
# Extreme logits: σ(z) and softmax(z) round to exactly 0 or 1 in float32 (and in float64).
Y_BIN_EXT = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [1, 0]], dtype=np.float32)
Z_BIN_EXT = np.array([[1e4, -1e4], [1e4, -1e4], [-200.0, 150.0], [120.0, -90.0], [-30.0, 40.0]], dtype=np.float32)
Y_CAT_EXT = np.eye(3, dtype=np.float32)[[0, 1, 2, 2]]
Z_CAT_EXT = np.array(
    [[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0], [-500.0, 500.0, 90.0]], dtype=np.float32
)


# A known mistake is named when the student's values are this close to what it computes.
MISTAKE_TOL = dict(rtol=1e-4, atol=1e-6, equal_nan=True)


def _per_step(values, reference, name: str, what: str) -> None:
    """A batch of sequences: one value per sample and time step, the last axis reduced."""
    shape = tuple(np.shape(values))
    if shape != (2, 3):
        raise Fail(
            f"`{name}` returned shape {shape} for {what} of shape (2, 3, 4) (batch, time, features): "
            "reduce only the last axis, `axis=-1`, giving shape (2, 3) as `keras.losses` does — "
            "`axis=1` is the last axis only of a 2-D batch."
        )
    expect.close(
        values,
        reference,
        f"`{name}` on {what} of shape (2, 3, 4)",
        "Reduce (and normalise, for softmax) over the last axis only, `axis=-1`: `axis=1` is the last axis "
        "only of a 2-D batch.",
        **expect.ELEMENTWISE,
    )


def _per_sample(values, n: int, name: str) -> None:
    shape = tuple(np.shape(values))
    if shape != (n,):
        raise Fail(
            f"`{name}` returned shape {shape} for a batch of {n}: return one value per sample, "
            f"shape ({n},) — reduce the last axis (`axis=-1`), not the batch, as the "
            "`keras.losses` functions do."
        )


gaussian = new("nll.gaussian", 2, "`gaussian_nll` = ½·log(2πσ²) + (y − ŷ)²/(2σ²), averaged over the last axis")


@gaussian.probe
def _(gaussian_nll):
    out = {"default": gaussian_nll(Y_REG, MEAN_REG)}
    for i, sigma in enumerate(SIGMAS):
        out[f"sigma{i}"] = gaussian_nll(Y_REG, MEAN_REG, sigma=sigma)
    out["sequences"] = gaussian_nll(Y_SEQ, MEAN_SEQ, sigma=0.5)
    return out


GAUSSIAN_MISTAKES = [
    (
        lambda y, m, s: np.mean((y - m) ** 2 / (2 * s**2), axis=-1),
        "Your values equal (y − ŷ)²/(2σ²): the NLL also has the constant ½·log(2πσ²) (it does not change "
        "the minimiser, which is why MSE is the Gaussian NLL up to a constant — but this function is the NLL).",
    ),
    (
        lambda y, m, s: np.mean((y - m) ** 2, axis=-1),
        "Your values are the plain MSE: write the whole NLL, ½·log(2πσ²) + (y − ŷ)²/(2σ²).",
    ),
    (
        lambda y, m, s: np.mean(0.5 * np.log(2 * np.pi * s**2) + (y - m) ** 2 / s**2, axis=-1),
        "The squared error must be divided by 2σ², not σ² (the ½ in the exponent of the Gaussian).",
    ),
    (
        lambda y, m, s: np.mean(0.5 * np.log(2 * np.pi * s**2) + (y - m) ** 2 / (2 * s), axis=-1),
        "Divide the squared error by 2σ² (the variance), not by 2σ.",
    ),
    (
        lambda y, m, s: np.mean(0.5 * np.log(2 * np.pi * s) + (y - m) ** 2 / (2 * s**2), axis=-1),
        "The constant is ½·log(2πσ²): you used σ where the variance σ² belongs.",
    ),
    (
        lambda y, m, s: np.mean(np.log(2 * np.pi * s**2) + (y - m) ** 2 / (2 * s**2), axis=-1),
        "The constant is ½·log(2πσ²) — the normal density has √(2πσ²) in its denominator.",
    ),
    (
        lambda y, m, s: np.sum(0.5 * np.log(2 * np.pi * s**2) + (y - m) ** 2 / (2 * s**2), axis=-1),
        "You summed over the last axis: average it, as `keras.losses.mean_squared_error` does.",
    ),
]


@gaussian.verify
def _(r):
    for key, sigma in [("default", 1.0)] + [(f"sigma{i}", s) for i, s in enumerate(SIGMAS)]:
        _per_sample(r[key], len(Y_REG), "gaussian_nll")
        call = "gaussian_nll(y, y_pred)" if key == "default" else f"gaussian_nll(y, y_pred, sigma={sigma})"
        hint = expect.diagnose(r[key], GAUSSIAN_MISTAKES, Y_REG, MEAN_REG, sigma, **MISTAKE_TOL)
        expect.close(
            r[key],
            ref_gaussian_nll(Y_REG, MEAN_REG, sigma),
            f"`{call}`",
            hint or "−log N(y | ŷ, σ²) = ½·log(2πσ²) + (y − ŷ)²/(2σ²), averaged over the last axis.",
            **expect.ELEMENTWISE,
        )
    _per_step(r["sequences"], ref_gaussian_nll(Y_SEQ, MEAN_SEQ, 0.5), "gaussian_nll", "sequences")


bernoulli = new(
    "nll.bernoulli", 2, "`bernoulli_nll` = −log Bernoulli(y | σ(z)) from logits z, averaged over the last axis"
)


@bernoulli.probe
def _(bernoulli_nll):
    return {"nll": bernoulli_nll(Y_BIN, Z_BIN), "sequences": bernoulli_nll(Y_BIN_SEQ, Z_SEQ)}


BERNOULLI_MISTAKES = [
    (
        lambda y, z: -ref_bernoulli_nll(y, z),
        "Your values are the log-likelihood: the cost is its negative, −[y·log σ(z) + (1 − y)·log(1 − σ(z))].",
    ),
    (
        lambda y, z: np.mean(-y * np.log(_sigmoid(z)), axis=-1),
        "The (1 − y)·log(1 − σ(z)) term is missing: a label 0 must also cost something.",
    ),
    (
        lambda y, z: np.mean(-(y * np.log(z) + (1 - y) * np.log(1 - z)), axis=-1),
        "You used the logits as probabilities (log of a negative number is NaN): p = σ(z).",
    ),
    (
        lambda y, z: np.sum(np.logaddexp(0.0, z) - y * z, axis=-1),
        "You summed over the last axis: average it, as `keras.losses.binary_crossentropy` does.",
    ),
    (
        lambda y, z: np.mean(np.logaddexp(0.0, -z) + y * z, axis=-1),
        "Check the sign of z: −log σ(z) = log(1 + e^(−z)), and the cost is log(1 + eᶻ) − y·z.",
    ),
]


@bernoulli.verify
def _(r):
    _per_sample(r["nll"], len(Y_BIN), "bernoulli_nll")
    hint = expect.diagnose(r["nll"], BERNOULLI_MISTAKES, Y_BIN, Z_BIN, **MISTAKE_TOL)
    expect.close(
        r["nll"],
        ref_bernoulli_nll(Y_BIN, Z_BIN),
        "`bernoulli_nll(y, logits)`",
        hint or "−log p(y) = −[y·log σ(z) + (1 − y)·log(1 − σ(z))], averaged over the last axis.",
        **expect.ELEMENTWISE,
    )
    _per_step(r["sequences"], ref_bernoulli_nll(Y_BIN_SEQ, Z_SEQ), "bernoulli_nll", "labels and logits")


categorical = new("nll.categorical", 2, "`categorical_nll` = −log softmax(z)[true class] for one-hot y")


@categorical.probe
def _(categorical_nll):
    return {"nll": categorical_nll(Y_CAT, Z_CAT), "sequences": categorical_nll(Y_CAT_SEQ, Z_SEQ)}


def _softmax(z):
    return np.exp(ref_log_softmax(z))


CATEGORICAL_MISTAKES = [
    (
        lambda y, z: -ref_categorical_nll(y, z),
        "Your values are the log-likelihood: the cost is its negative, −Σ y·log softmax(z).",
    ),
    (
        lambda y, z: -np.sum(y * _softmax(z), axis=-1),
        "You forgot the log: the cost is −Σ y·log softmax(z) (use `ops.log_softmax`).",
    ),
    (lambda y, z: -np.sum(y * z, axis=-1), "You dropped the normaliser: log softmax(z) = z − log Σ exp(z), not z."),
    (
        lambda y, z: -np.sum(y * np.log(_sigmoid(z)), axis=-1),
        "You used a sigmoid per class: the classes share one distribution, softmax(z).",
    ),
    (
        lambda y, z: ref_categorical_nll(y, z) / z.shape[-1],
        "You averaged over the classes: sum y·log softmax(z) over the class axis (only one term is non-zero).",
    ),
]


@categorical.verify
def _(r):
    _per_sample(r["nll"], len(Y_CAT), "categorical_nll")
    hint = expect.diagnose(r["nll"], CATEGORICAL_MISTAKES, Y_CAT, Z_CAT, **MISTAKE_TOL)
    expect.close(
        r["nll"],
        ref_categorical_nll(Y_CAT, Z_CAT),
        "`categorical_nll(y, logits)`",
        hint or "−log p(class) = −Σ_k y_k·log softmax(z)_k.",
        **expect.ELEMENTWISE,
    )
    _per_step(r["sequences"], ref_categorical_nll(Y_CAT_SEQ, Z_SEQ), "categorical_nll", "one-hot labels and logits")


stable = new("nll.stable", 2, "both cross-entropies and their gradients are right at extreme logits (|z| up to 1e4)")


@stable.probe
def _(bernoulli_nll, categorical_nll):
    import tensorflow as tf

    out = {}
    for label, fn, y, z in (
        ("bernoulli", bernoulli_nll, Y_BIN_EXT, Z_BIN_EXT),
        ("categorical", categorical_nll, Y_CAT_EXT, Z_CAT_EXT),
    ):
        logits = tf.constant(z)
        with tf.GradientTape() as tape:
            tape.watch(logits)
            total = tf.reduce_sum(fn(y, logits))
        grad = tape.gradient(total, logits)
        out[f"{label}_nll"] = fn(y, z)
        out[f"{label}_grad"] = np.full(z.shape, np.nan) if grad is None else grad
        out[f"{label}_grad_none"] = grad is None
    # The ordinary inputs again: at extreme logits, only a formula that is right there is judged.
    out["bernoulli_ordinary"] = bernoulli_nll(Y_BIN, Z_BIN)
    out["categorical_ordinary"] = categorical_nll(Y_CAT, Z_CAT)
    return out


@stable.verify
def _(r):
    hint = (
        "At such logits σ(z) or softmax(z) is exactly 0 or 1 in floating point, so log(σ(z)) is −inf. "
        "Never take the log of a probability: −log σ(z) = softplus(−z) (`ops.softplus`), and "
        "log softmax(z) = z − logsumexp(z) (`ops.log_softmax`)."
    )
    cases = (
        (
            "bernoulli",
            "bernoulli_nll",
            Y_BIN_EXT,
            Z_BIN_EXT,
            ref_bernoulli_nll,
            (_sigmoid(Z_BIN_EXT) - Y_BIN_EXT) / Z_BIN_EXT.shape[-1],
            Y_BIN,
            Z_BIN,
        ),
        (
            "categorical",
            "categorical_nll",
            Y_CAT_EXT,
            Z_CAT_EXT,
            ref_categorical_nll,
            _softmax(Z_CAT_EXT.astype(np.float64)) - Y_CAT_EXT,
            Y_CAT,
            Z_CAT,
        ),
    )
    for label, name, y, z, reference, grad, y_ord, z_ord in cases:
        values, grads = r[f"{label}_nll"], r[f"{label}_grad"]
        _per_sample(values, len(y), name)
        if bool(r[f"{label}_grad_none"]):
            raise Fail(
                f"the gradient of `{name}` w.r.t. the logits is None: TensorFlow cannot differentiate "
                "through it. Use `keras.ops` throughout (no NumPy, no `.numpy()`)."
            )
        expect.finite(values, f"`{name}` at extreme logits", hint)
        expect.finite(
            grads,
            f"the gradient of `{name}` w.r.t. the logits at extreme logits",
            hint + " A NaN gradient with a finite value often comes from `ops.where` or a clip.",
        )
        ordinary = np.asarray(r[f"{label}_ordinary"], np.float64)
        if ordinary.shape != (len(y_ord),) or not np.allclose(ordinary, reference(y_ord, z_ord), rtol=1e-4, atol=1e-5):
            continue  # the formula itself is wrong: its own check says so; here only finiteness counts
        expect.close(values, reference(y, z), f"`{name}` at extreme logits", hint, rtol=1e-4, atol=1e-4)
        expect.close(
            grads,
            grad,
            f"the gradient of `{name}` w.r.t. the logits at extreme logits",
            hint + " (The gradient should be σ(z) − y, or softmax(z) − y.)",
            rtol=1e-4,
            atol=1e-6,
        )
