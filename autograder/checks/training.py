"""Checks for assignment 03: training the weights (deck topic 11).

    cost = −log p(y | x; θ)   (negative log-likelihood)
        Gaussian, fixed σ   ½·log(2πσ²) + (y − ŷ)²/(2σ²)      ≡ MSE/(2σ²) + const
        Bernoulli, logit z  softplus(z) − y·z                  ≡ binary cross-entropy
        categorical, z      −Σ_k y_k·(z_k − logsumexp(z))      ≡ categorical cross-entropy
    first order   SGD, momentum, Nesterov, RMSProp, Adadelta, Adam, Adamax — in Keras's exact form
    second order  Newton, Levenberg–Marquardt, BFGS (scipy)

Every reference below is float64 NumPy. The update rules copy Keras 3.15's `update_step`s
(keras/src/optimizers/*.py); tests/checks/test_training.py runs the real `keras.optimizers` and
`keras.losses` against them, so the grader never needs TensorFlow to know what Keras would do.
"""

from __future__ import annotations

import numpy as np

from . import expect
from ._core import Fail, new, to_array

# ============================================================================ 1. costs as NLL


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
Z_BIN = np.array([[2.0, -1.0], [0.5, 3.0], [-1.5, 0.2], [4.0, -2.5], [-0.3, 1.1], [0.8, -0.6]],
                 dtype=np.float32)
Y_CAT = np.eye(4, dtype=np.float32)[[0, 2, 3, 1, 2]]
Z_CAT = np.array([[2.0, 1.0, -1.0, 0.5], [0.1, -0.4, 1.5, 2.0], [-2.0, 0.0, 3.0, 1.0],
                  [1.0, 1.0, 1.0, 1.0], [0.3, 2.2, -0.7, -1.4]], dtype=np.float32)
# Extreme logits: σ(z) and softmax(z) round to exactly 0 or 1 in float32 (and in float64).
Y_BIN_EXT = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [1, 0]], dtype=np.float32)
Z_BIN_EXT = np.array([[1e4, -1e4], [1e4, -1e4], [-200.0, 150.0], [120.0, -90.0], [-30.0, 40.0]],
                     dtype=np.float32)
Y_CAT_EXT = np.eye(3, dtype=np.float32)[[0, 1, 2, 2]]
Z_CAT_EXT = np.array([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0],
                      [-500.0, 500.0, 90.0]], dtype=np.float32)


def _diagnose(actual, candidates, *inputs) -> str:
    """A hint naming the known mistake whose formula reproduces the student's values."""
    actual = np.asarray(actual, dtype=np.float64)
    for formula, hint in candidates:
        with np.errstate(all="ignore"):
            guess = np.asarray(formula(*inputs), dtype=np.float64)
            if guess.shape == actual.shape and np.allclose(actual, guess, rtol=1e-4, atol=1e-6,
                                                           equal_nan=True):
                return hint
    return ""


def _per_sample(values, n: int, name: str) -> None:
    shape = tuple(np.shape(values))
    if shape != (n,):
        raise Fail(f"`{name}` returned shape {shape} for a batch of {n}: return one value per sample, "
                   f"shape ({n},) — reduce the last axis (`axis=-1`), not the batch, as the "
                   "`keras.losses` functions do.")


gaussian = new("nll.gaussian", 2,
               "`gaussian_nll` = ½·log(2πσ²) + (y − ŷ)²/(2σ²), averaged over the last axis")


@gaussian.probe
def _(gaussian_nll):
    out = {"default": gaussian_nll(Y_REG, MEAN_REG)}
    for i, sigma in enumerate(SIGMAS):
        out[f"sigma{i}"] = gaussian_nll(Y_REG, MEAN_REG, sigma=sigma)
    return out


GAUSSIAN_MISTAKES = [
    (lambda y, m, s: np.mean((y - m) ** 2 / (2 * s**2), axis=-1),
     "Your values equal (y − ŷ)²/(2σ²): the NLL also has the constant ½·log(2πσ²) (it does not change "
     "the minimiser, which is why MSE is the Gaussian NLL up to a constant — but this function is the NLL)."),
    (lambda y, m, s: np.mean((y - m) ** 2, axis=-1),
     "Your values are the plain MSE: write the whole NLL, ½·log(2πσ²) + (y − ŷ)²/(2σ²)."),
    (lambda y, m, s: np.mean(0.5 * np.log(2 * np.pi * s**2) + (y - m) ** 2 / s**2, axis=-1),
     "The squared error must be divided by 2σ², not σ² (the ½ in the exponent of the Gaussian)."),
    (lambda y, m, s: np.mean(0.5 * np.log(2 * np.pi * s**2) + (y - m) ** 2 / (2 * s), axis=-1),
     "Divide the squared error by 2σ² (the variance), not by 2σ."),
    (lambda y, m, s: np.mean(0.5 * np.log(2 * np.pi * s) + (y - m) ** 2 / (2 * s**2), axis=-1),
     "The constant is ½·log(2πσ²): you used σ where the variance σ² belongs."),
    (lambda y, m, s: np.mean(np.log(2 * np.pi * s**2) + (y - m) ** 2 / (2 * s**2), axis=-1),
     "The constant is ½·log(2πσ²) — the normal density has √(2πσ²) in its denominator."),
    (lambda y, m, s: np.sum(0.5 * np.log(2 * np.pi * s**2) + (y - m) ** 2 / (2 * s**2), axis=-1),
     "You summed over the last axis: average it, as `keras.losses.mean_squared_error` does."),
]


@gaussian.verify
def _(r):
    for key, sigma in [("default", 1.0)] + [(f"sigma{i}", s) for i, s in enumerate(SIGMAS)]:
        _per_sample(r[key], len(Y_REG), "gaussian_nll")
        call = "gaussian_nll(y, y_pred)" if key == "default" else f"gaussian_nll(y, y_pred, sigma={sigma})"
        hint = _diagnose(r[key], GAUSSIAN_MISTAKES, Y_REG, MEAN_REG, sigma)
        expect.close(r[key], ref_gaussian_nll(Y_REG, MEAN_REG, sigma), f"`{call}`",
                     hint or "−log N(y | ŷ, σ²) = ½·log(2πσ²) + (y − ŷ)²/(2σ²), averaged over the last axis.",
                     **expect.ELEMENTWISE)


bernoulli = new("nll.bernoulli", 2,
                "`bernoulli_nll` = −log Bernoulli(y | σ(z)) from logits z, averaged over the last axis")


@bernoulli.probe
def _(bernoulli_nll):
    return {"nll": bernoulli_nll(Y_BIN, Z_BIN)}


BERNOULLI_MISTAKES = [
    (lambda y, z: -ref_bernoulli_nll(y, z),
     "Your values are the log-likelihood: the cost is its negative, −[y·log σ(z) + (1 − y)·log(1 − σ(z))]."),
    (lambda y, z: np.mean(-y * np.log(_sigmoid(z)), axis=-1),
     "The (1 − y)·log(1 − σ(z)) term is missing: a label 0 must also cost something."),
    (lambda y, z: np.mean(-(y * np.log(z) + (1 - y) * np.log(1 - z)), axis=-1),
     "You used the logits as probabilities (log of a negative number is NaN): p = σ(z)."),
    (lambda y, z: np.sum(np.logaddexp(0.0, z) - y * z, axis=-1),
     "You summed over the last axis: average it, as `keras.losses.binary_crossentropy` does."),
    (lambda y, z: np.mean(np.logaddexp(0.0, -z) + y * z, axis=-1),
     "Check the sign of z: −log σ(z) = log(1 + e^(−z)), and the cost is log(1 + eᶻ) − y·z."),
]


@bernoulli.verify
def _(r):
    _per_sample(r["nll"], len(Y_BIN), "bernoulli_nll")
    hint = _diagnose(r["nll"], BERNOULLI_MISTAKES, Y_BIN, Z_BIN)
    expect.close(r["nll"], ref_bernoulli_nll(Y_BIN, Z_BIN), "`bernoulli_nll(y, logits)`",
                 hint or "−log p(y) = −[y·log σ(z) + (1 − y)·log(1 − σ(z))], averaged over the last axis.",
                 **expect.ELEMENTWISE)


categorical = new("nll.categorical", 2,
                  "`categorical_nll` = −log softmax(z)[true class] for one-hot y")


@categorical.probe
def _(categorical_nll):
    return {"nll": categorical_nll(Y_CAT, Z_CAT)}


def _softmax(z):
    return np.exp(ref_log_softmax(z))


CATEGORICAL_MISTAKES = [
    (lambda y, z: -ref_categorical_nll(y, z),
     "Your values are the log-likelihood: the cost is its negative, −Σ y·log softmax(z)."),
    (lambda y, z: -np.sum(y * _softmax(z), axis=-1),
     "You forgot the log: the cost is −Σ y·log softmax(z) (use `ops.log_softmax`)."),
    (lambda y, z: -np.sum(y * z, axis=-1),
     "You dropped the normaliser: log softmax(z) = z − log Σ exp(z), not z."),
    (lambda y, z: -np.sum(y * np.log(_sigmoid(z)), axis=-1),
     "You used a sigmoid per class: the classes share one distribution, softmax(z)."),
    (lambda y, z: ref_categorical_nll(y, z) / z.shape[-1],
     "You averaged over the classes: sum y·log softmax(z) over the class axis (only one term is non-zero)."),
]


@categorical.verify
def _(r):
    _per_sample(r["nll"], len(Y_CAT), "categorical_nll")
    hint = _diagnose(r["nll"], CATEGORICAL_MISTAKES, Y_CAT, Z_CAT)
    expect.close(r["nll"], ref_categorical_nll(Y_CAT, Z_CAT), "`categorical_nll(y, logits)`",
                 hint or "−log p(class) = −Σ_k y_k·log softmax(z)_k.", **expect.ELEMENTWISE)


stable = new("nll.stable", 2,
             "both cross-entropies and their gradients are right at extreme logits (|z| up to 1e4)")


@stable.probe
def _(bernoulli_nll, categorical_nll):
    import tensorflow as tf

    out = {}
    for label, fn, y, z in (("bernoulli", bernoulli_nll, Y_BIN_EXT, Z_BIN_EXT),
                            ("categorical", categorical_nll, Y_CAT_EXT, Z_CAT_EXT)):
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
    hint = ("At such logits σ(z) or softmax(z) is exactly 0 or 1 in floating point, so log(σ(z)) is −inf. "
            "Never take the log of a probability: −log σ(z) = softplus(−z) (`ops.softplus`), and "
            "log softmax(z) = z − logsumexp(z) (`ops.log_softmax`).")
    cases = (("bernoulli", "bernoulli_nll", Y_BIN_EXT, Z_BIN_EXT, ref_bernoulli_nll,
              (_sigmoid(Z_BIN_EXT) - Y_BIN_EXT) / Z_BIN_EXT.shape[-1], Y_BIN, Z_BIN),
             ("categorical", "categorical_nll", Y_CAT_EXT, Z_CAT_EXT, ref_categorical_nll,
              _softmax(Z_CAT_EXT.astype(np.float64)) - Y_CAT_EXT, Y_CAT, Z_CAT))
    for label, name, y, z, reference, grad, y_ord, z_ord in cases:
        values, grads = r[f"{label}_nll"], r[f"{label}_grad"]
        _per_sample(values, len(y), name)
        if bool(r[f"{label}_grad_none"]):
            raise Fail(f"the gradient of `{name}` w.r.t. the logits is None: TensorFlow cannot differentiate "
                       "through it. Use `keras.ops` throughout (no NumPy, no `.numpy()`).")
        expect.finite(values, f"`{name}` at extreme logits", hint)
        expect.finite(grads, f"the gradient of `{name}` w.r.t. the logits at extreme logits",
                      hint + " A NaN gradient with a finite value often comes from `ops.where` or a clip.")
        ordinary = np.asarray(r[f"{label}_ordinary"], np.float64)
        if ordinary.shape != (len(y_ord),) or not np.allclose(ordinary, reference(y_ord, z_ord),
                                                              rtol=1e-4, atol=1e-5):
            continue  # the formula itself is wrong: its own check says so; here only finiteness counts
        expect.close(values, reference(y, z), f"`{name}` at extreme logits", hint, rtol=1e-4, atol=1e-4)
        expect.close(grads, grad, f"the gradient of `{name}` w.r.t. the logits at extreme logits",
                     hint + " (The gradient should be σ(z) − y, or softmax(z) − y.)", rtol=1e-4, atol=1e-6)


# ============================================================================ 2. first-order update rules
# step(params, grads, state, hparams) -> (new_params, new_state); state starts as {}.
# Hyper-parameters have Keras's names; learning rates are powers of two because Keras keeps the
# learning rate in a float32 variable (0.1 would be rounded).


def ref_sgd(params, grads, state, hp):
    return params - hp["learning_rate"] * grads, state


def ref_momentum(params, grads, state, hp):
    m = hp["momentum"] * state.get("m", 0.0) - hp["learning_rate"] * grads
    return params + m, {"m": m}


def ref_nesterov(params, grads, state, hp):
    m = hp["momentum"] * state.get("m", 0.0) - hp["learning_rate"] * grads
    return params + hp["momentum"] * m - hp["learning_rate"] * grads, {"m": m}


def ref_rmsprop(params, grads, state, hp):
    v = hp["rho"] * state.get("v", 0.0) + (1 - hp["rho"]) * grads**2
    return params - hp["learning_rate"] * grads / np.sqrt(v + hp["epsilon"]), {"v": v}


def ref_adadelta(params, grads, state, hp):
    rho, eps = hp["rho"], hp["epsilon"]
    acc_grad = rho * state.get("acc_grad", 0.0) + (1 - rho) * grads**2
    acc_delta = state.get("acc_delta", 0.0)
    delta = -np.sqrt(acc_delta + eps) / np.sqrt(acc_grad + eps) * grads
    acc_delta = rho * acc_delta + (1 - rho) * delta**2
    return params + hp["learning_rate"] * delta, {"acc_grad": acc_grad, "acc_delta": acc_delta}


def ref_adam(params, grads, state, hp):
    b1, b2 = hp["beta_1"], hp["beta_2"]
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", 0.0) + (1 - b1) * grads
    v = b2 * state.get("v", 0.0) + (1 - b2) * grads**2
    alpha = hp["learning_rate"] * np.sqrt(1 - b2**t) / (1 - b1**t)  # bias correction folded into the rate
    return params - alpha * m / (np.sqrt(v) + hp["epsilon"]), {"t": t, "m": m, "v": v}


def ref_adamax(params, grads, state, hp):
    b1, b2 = hp["beta_1"], hp["beta_2"]
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", 0.0) + (1 - b1) * grads
    u = np.maximum(b2 * state.get("u", 0.0), np.abs(grads))
    return params - hp["learning_rate"] * m / ((1 - b1**t) * (u + hp["epsilon"])), {"t": t, "m": m, "u": u}


REFERENCE_RULES = {
    "sgd_step": ref_sgd, "momentum_step": ref_momentum, "nesterov_step": ref_nesterov,
    "rmsprop_step": ref_rmsprop, "adadelta_step": ref_adadelta, "adam_step": ref_adam,
    "adamax_step": ref_adamax,
}

# The Keras optimizer each rule must reproduce: class name and fixed extra arguments.
KERAS_OPTIMIZERS = {
    "sgd_step": ("SGD", {}), "momentum_step": ("SGD", {}), "nesterov_step": ("SGD", {"nesterov": True}),
    "rmsprop_step": ("RMSprop", {}), "adadelta_step": ("Adadelta", {}), "adam_step": ("Adam", {}),
    "adamax_step": ("Adamax", {}),
}

P0 = np.array([[0.5, -1.0, 0.0], [1.0, 0.25, -0.5]])
GRADS = np.stack([                                     # five steps of gradients, one column each:
    [[1.0, -2.0, 0.01], [0.0, 0.0, 0.5]],              # steady | sign flips | tiny
    [[1.0, 1.5, 0.02], [0.0, 0.0, -0.5]],              # always 0 (must not move, must not be NaN)
    [[0.5, -1.0, 0.01], [0.0, 0.3, 0.5]],              # 0 for two steps, then not | alternating
    [[0.8, 0.5, 0.03], [0.0, -0.3, -0.5]],
    [[1.2, 2.0, 0.02], [0.0, 0.6, 0.5]],
])
ZERO_GRAD = (1, 0)

_ADAM_HP = {"learning_rate": 0.125, "beta_1": 0.75, "beta_2": 0.875}
SCENARIOS = {
    "sgd_step": [{"learning_rate": 0.125}],
    "momentum_step": [{"learning_rate": 0.125, "momentum": 0.75}],
    "nesterov_step": [{"learning_rate": 0.125, "momentum": 0.75}],
    # A tiny ε first (everything but ε's place is tested), then a large ε (its place shows).
    "rmsprop_step": [{"learning_rate": 0.0625, "rho": 0.75, "epsilon": 1e-7},
                     {"learning_rate": 0.0625, "rho": 0.75, "epsilon": 0.25}],
    "adadelta_step": [{"learning_rate": 0.5, "rho": 0.75, "epsilon": 1e-2},
                      {"learning_rate": 0.5, "rho": 0.5, "epsilon": 0.25}],
    "adam_step": [{**_ADAM_HP, "epsilon": 1e-7}, {**_ADAM_HP, "epsilon": 0.25}],
    "adamax_step": [{**_ADAM_HP, "epsilon": 1e-7}, {**_ADAM_HP, "epsilon": 0.25}],
}


def run_rule(step, hp, params=P0, grads=GRADS) -> np.ndarray:
    """The parameters after each step of a NumPy rule fed a fixed gradient sequence."""
    state, out = {}, []
    for g in grads:
        params, state = step(params, g, state, dict(hp))
        out.append(params)
    return np.stack(out)


# ---------------------------------------------------------------------------- known mistakes
# Each is a whole rule written the wrong way; verify names the one that reproduces a trajectory.


def _momentum_like(apply):
    def step(params, grads, state, hp):
        mu, lr, m_old = hp["momentum"], hp["learning_rate"], state.get("m", 0.0)
        m, delta = apply(mu, lr, m_old, grads)
        return params + delta, {"m": m}
    return step


def _rmsprop_like(increment):
    def step(params, grads, state, hp):
        v = hp["rho"] * state.get("v", 0.0) + (1 - hp["rho"]) * grads**2
        return params - increment(v, grads, hp), {"v": v}
    return step


def _adadelta_like(delta_of, lr=True):
    def step(params, grads, state, hp):
        rho, eps = hp["rho"], hp["epsilon"]
        acc_grad = rho * state.get("acc_grad", 0.0) + (1 - rho) * grads**2
        acc_delta = state.get("acc_delta", 0.0)
        delta = delta_of(acc_delta, acc_grad, grads, eps)
        acc_delta = rho * acc_delta + (1 - rho) * delta**2
        return params + (hp["learning_rate"] if lr else 1.0) * delta, {"acc_grad": acc_grad,
                                                                       "acc_delta": acc_delta}
    return step


def _adam_like(change, first_t=1):
    def step(params, grads, state, hp):
        b1, b2 = hp["beta_1"], hp["beta_2"]
        t = state.get("t", first_t - 1) + 1
        m = b1 * state.get("m", 0.0) + (1 - b1) * grads
        v = b2 * state.get("v", 0.0) + (1 - b2) * grads**2
        return params - change(m, v, t, hp), {"t": t, "m": m, "v": v}
    return step


def _adamax_like(change, decay=True, absolute=True):
    def step(params, grads, state, hp):
        b1, b2 = hp["beta_1"], hp["beta_2"]
        t = state.get("t", 0) + 1
        m = b1 * state.get("m", 0.0) + (1 - b1) * grads
        g = np.abs(grads) if absolute else grads
        u = np.maximum((b2 if decay else 1.0) * state.get("u", 0.0), g)
        return params - change(m, u, t, hp), {"t": t, "m": m, "u": u}
    return step


_KERAS_ADAM = "θ ← θ − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m/(√v + ε)"
MISTAKES = {
    "sgd_step": [
        (lambda p, g, s, hp: (p + hp["learning_rate"] * g, s),
         "Your parameters move *up* the gradient: θ ← θ − η·g."),
        (lambda p, g, s, hp: (p - g, s), "The step is missing the learning rate: θ ← θ − η·g."),
    ],
    "momentum_step": [
        (_momentum_like(lambda mu, lr, m, g: (mu * m + lr * g,) * 2),  # also θ ← θ − m with m ← μm − ηg
         "Momentum sign error: your parameters move up the gradient. Keras's velocity points downhill, "
         "m ← μ·m − η·g, and is added: θ ← θ + m."),
        (_momentum_like(lambda mu, lr, m, g: (mu * m - (1 - mu) * lr * g,) * 2),
         "Your velocity is an average, m ← μ·m − (1 − μ)·η·g: Keras has no (1 − μ) factor, m ← μ·m − η·g."),
        (_momentum_like(lambda mu, lr, m, g: (mu * m - lr * g, m)),
         "You move by the *old* velocity: update m first (m ← μ·m − η·g), then θ ← θ + m."),
        (ref_sgd, "Your steps equal plain SGD's: the velocity m must be kept in `state` and carried "
                  "from one step to the next."),
    ],
    "nesterov_step": [
        (ref_momentum, "Your Nesterov steps equal plain momentum's (θ ← θ + m). Keras's Nesterov form "
                       "looks ahead along the new velocity: m ← μ·m − η·g, then θ ← θ + μ·m − η·g."),
        (_momentum_like(lambda mu, lr, m, g: (mu * m - lr * g, mu * (mu * m - lr * g) + lr * g)),
         "Check the sign of the gradient term: θ ← θ + μ·m − η·g (with the new m)."),
        (_momentum_like(lambda mu, lr, m, g: (mu * m - lr * g, mu * (mu * m - lr * g))),
         "The −η·g term is missing: θ ← θ + μ·m − η·g (with the new m)."),
        (_momentum_like(lambda mu, lr, m, g: (mu * m + lr * g, mu * (mu * m + lr * g) + lr * g)),
         "Sign error: your parameters move up the gradient. m ← μ·m − η·g, θ ← θ + μ·m − η·g."),
        (ref_sgd, "Your steps equal plain SGD's: keep the velocity m in `state` between steps."),
    ],
    "rmsprop_step": [
        (_rmsprop_like(lambda v, g, hp: hp["learning_rate"] * g / (np.sqrt(v) + hp["epsilon"])),
         "ε added in the wrong place: you divide by √v + ε; Keras's RMSprop adds ε *inside* the root, "
         "η·g/√(v + ε)."),
        (_rmsprop_like(lambda v, g, hp: hp["learning_rate"] * g / (v + hp["epsilon"])),
         "The square root is missing: divide by √(v + ε), the root-mean-square of the gradients."),
        (lambda p, g, s, hp: (p - hp["learning_rate"] * g / np.sqrt(hp["rho"] * s.get("v", 0.0) + g**2
                                                                    + hp["epsilon"]),
                              {"v": hp["rho"] * s.get("v", 0.0) + g**2}),
         "The running average needs its (1 − ρ): v ← ρ·v + (1 − ρ)·g²."),
        (lambda p, g, s, hp: (p - hp["learning_rate"] * g / np.sqrt((1 - hp["rho"]) * g**2 + hp["epsilon"]), s),
         "v is not carried between steps: keep it in `state` (v ← ρ·v + (1 − ρ)·g² uses the previous v)."),
    ],
    "adadelta_step": [
        (_adadelta_like(lambda ad, ag, g, eps: -np.sqrt(ad + eps) / np.sqrt(ag + eps) * g, lr=False),
         "Adadelta's learning rate is missing: the paper has none, but Keras multiplies the step by "
         "`learning_rate`: θ ← θ + η·Δθ."),
        (_adadelta_like(lambda ad, ag, g, eps: -(np.sqrt(ad) + eps) / (np.sqrt(ag) + eps) * g),
         "ε added in the wrong place: Keras uses √(E[Δθ²] + ε) / √(E[g²] + ε), ε inside both roots."),
        (_adadelta_like(lambda ad, ag, g, eps: -np.sqrt(ad) / np.sqrt(ag + eps) * g),
         "Your parameters never move: E[Δθ²] starts at 0, so the numerator must be √(E[Δθ²] + ε) — "
         "that ε is what starts Adadelta."),
        (_adadelta_like(lambda ad, ag, g, eps: np.sqrt(ad + eps) / np.sqrt(ag + eps) * g),
         "Sign error: Δθ = −√(E[Δθ²] + ε)/√(E[g²] + ε)·g points downhill, and θ ← θ + η·Δθ."),
    ],
    "adam_step": [
        (_adam_like(lambda m, v, t, hp: hp["learning_rate"] * m / (np.sqrt(v) + hp["epsilon"])),
         f"Your bias correction is missing: m and v start at 0, so early steps are too small. Keras: {_KERAS_ADAM}."),
        (_adam_like(lambda m, v, t, hp: hp["learning_rate"] * m / (1 - hp["beta_1"]**t) / (np.sqrt(v) + hp["epsilon"])),
         f"Only m is bias-corrected: v needs its correction too, the √(1 − β₂ᵗ). Keras: {_KERAS_ADAM}."),
        (_adam_like(lambda m, v, t, hp: hp["learning_rate"] * (m / (1 - hp["beta_1"]**t))
                    / (np.sqrt(v / (1 - hp["beta_2"]**t)) + hp["epsilon"])),
         "ε added in the wrong place: this is the paper's m̂/(√v̂ + ε). Keras adds ε to √v *before* the "
         f"bias correction: {_KERAS_ADAM}."),
        (_adam_like(lambda m, v, t, hp: hp["learning_rate"] * np.sqrt(1 - hp["beta_2"]**t) / (1 - hp["beta_1"]**t)
                    * m / np.sqrt(v + hp["epsilon"])),
         f"ε added in the wrong place: Keras adds it outside the root, √v + ε. Keras: {_KERAS_ADAM}."),
        (_adam_like(lambda m, v, t, hp: hp["learning_rate"] * np.sqrt(1 - hp["beta_2"]**t) / (1 - hp["beta_1"]**t)
                    * m / (np.sqrt(v) + hp["epsilon"]), first_t=0),
         "The step count starts at 0, so 1 − β₁⁰ = 0: increment t *before* using it (t = 1 on the first step)."),
        (_adam_like(lambda m, v, t, hp: hp["learning_rate"] * np.sqrt(1 - hp["beta_2"]**t) / (1 - hp["beta_1"]**t)
                    * m / (np.sqrt(v) + hp["epsilon"]), first_t=2),
         "The step count is off by one: t must be 1 on the first step."),
    ],
    "adamax_step": [
        (_adamax_like(lambda m, u, t, hp: hp["learning_rate"] * m / (u + hp["epsilon"])),
         "Your bias correction is missing: Keras divides by (1 − β₁ᵗ): θ ← θ − η·m/((1 − β₁ᵗ)(u + ε))."),
        (_adamax_like(lambda m, u, t, hp: hp["learning_rate"] * m / ((1 - hp["beta_1"]**t) * u + hp["epsilon"])),
         "ε added in the wrong place: Keras adds it to u before the bias correction, (1 − β₁ᵗ)·(u + ε)."),
        (_adamax_like(lambda m, u, t, hp: hp["learning_rate"] * m / (1 - hp["beta_1"]**t) / (u + hp["epsilon"]),
                      absolute=False),
         "u is an infinity norm: u ← max(β₂·u, |g|) — take the absolute value of g."),
        (_adamax_like(lambda m, u, t, hp: hp["learning_rate"] * m / (1 - hp["beta_1"]**t) / (u + hp["epsilon"]),
                      decay=False),
         "u must decay: u ← max(β₂·u, |g|), not max(u, |g|)."),
    ],
}

HINTS = {
    "sgd_step": "θ ← θ − η·g.",
    "momentum_step": "Keras: m ← μ·m − η·g, then θ ← θ + m.",
    "nesterov_step": "Keras: m ← μ·m − η·g, then θ ← θ + μ·m − η·g.",
    "rmsprop_step": "Keras: v ← ρ·v + (1 − ρ)·g², θ ← θ − η·g/√(v + ε).",
    "adadelta_step": ("Keras: E[g²] ← ρ·E[g²] + (1 − ρ)·g²; Δθ = −√(E[Δθ²] + ε)/√(E[g²] + ε)·g; "
                      "E[Δθ²] ← ρ·E[Δθ²] + (1 − ρ)·Δθ²; θ ← θ + η·Δθ."),
    "adam_step": f"Keras: t ← t + 1, m ← β₁·m + (1 − β₁)·g, v ← β₂·v + (1 − β₂)·g², {_KERAS_ADAM}.",
    "adamax_step": ("Keras: t ← t + 1, m ← β₁·m + (1 − β₁)·g, u ← max(β₂·u, |g|), "
                    "θ ← θ − η·m/((1 − β₁ᵗ)(u + ε))."),
}
RULE_POINTS = {"sgd_step": 1, "momentum_step": 2, "nesterov_step": 2, "rmsprop_step": 2,
               "adadelta_step": 2, "adam_step": 3, "adamax_step": 2}
STEP_TOLERANCE = dict(rtol=1e-4, atol=1e-6)  # on θ − θ₀: float32 or float64 solutions both pass


def _hp_text(hp: dict) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in hp.items())


TITLES = {
    "sgd_step": "keras.optimizers.SGD", "momentum_step": "keras.optimizers.SGD(momentum=μ)",
    "nesterov_step": "keras.optimizers.SGD(momentum=μ, nesterov=True)",
    "rmsprop_step": "keras.optimizers.RMSprop", "adadelta_step": "keras.optimizers.Adadelta",
    "adam_step": "keras.optimizers.Adam", "adamax_step": "keras.optimizers.Adamax",
}


def _rule_check(name: str):
    check = new(f"update.{name.removesuffix('_step')}", RULE_POINTS[name],
                f"`{name}` matches {TITLES[name]} step for step over 5 steps")

    @check.probe
    def probe(step):
        out = {}
        for s, hp in enumerate(SCENARIOS[name]):
            params, state, trajectory = P0.copy(), {}, []
            for g in GRADS:
                result = step(params, g.copy(), state, dict(hp))
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise Fail(f"`{name}` must return a pair `(new_params, new_state)`; it returned "
                               f"{type(result).__name__}.")
                params, state = result
                trajectory.append(np.array(to_array(params, f"the parameters `{name}` returned"),
                                           dtype=np.float64))
            out[f"theta{s}"] = np.stack(trajectory)
        return out

    @check.verify
    def verify(r):
        for s, hp in enumerate(SCENARIOS[name]):
            expect.shape(r[f"theta{s}"], GRADS.shape,
                         f"the parameters after each of the 5 steps of `{name}` (5 × the shape of `params`)")
            moved = r[f"theta{s}"] - P0
            want = run_rule(REFERENCE_RULES[name], hp) - P0
            with np.errstate(all="ignore"):
                if np.allclose(moved, want, **STEP_TOLERANCE):
                    continue
            hint = _diagnose(moved, [(lambda rule=rule: run_rule(rule, hp) - P0, text)
                                     for rule, text in MISTAKES[name]])
            settings = f"`{name}` with {_hp_text(hp)}"
            if not hint and not np.all(np.isfinite(moved[:, ZERO_GRAD[0], ZERO_GRAD[1]])):
                hint = ("A parameter whose gradient is always 0 became NaN or inf: 0/0. Keep ε where Keras "
                        f"puts it. {HINTS[name]}")
            for k in range(len(GRADS)):
                if np.allclose(moved[k], want[k], equal_nan=False, **STEP_TOLERANCE):
                    continue
                carry = (f" Steps 1–{k} are right, so look at what carries over between steps: the state "
                         "you return (the moving averages, the step count t)." if k else "")
                expect.close(moved[k], want[k], f"θ − θ₀ after step {k + 1} of {settings}",
                             hint or HINTS[name] + carry, **STEP_TOLERANCE)
            raise Fail(f"the trajectory of {settings} is wrong. {hint or HINTS[name]}")

    return check


for _name in REFERENCE_RULES:
    _rule_check(_name)


# ============================================================================ 3. second order


def rosenbrock(x):
    """f(x, y) = (1 − x)² + 100·(y − x²)², its gradient and Hessian (float64)."""
    x0, x1 = x
    f = (1 - x0) ** 2 + 100 * (x1 - x0**2) ** 2
    grad = np.array([-2 * (1 - x0) - 400 * x0 * (x1 - x0**2), 200 * (x1 - x0**2)])
    hess = np.array([[2 - 400 * (x1 - 3 * x0**2), -400 * x0], [-400 * x0, 200.0]])
    return f, grad, hess


QUAD_A = np.array([[3.0, 1.0], [1.0, 2.0]])
QUAD_B = np.array([1.0, -1.0])
NEWTON_CASES = {  # name: (gradient, Hessian, start)
    "quadratic ½xᵀAx − bᵀx": (lambda x: QUAD_A @ x - QUAD_B, lambda x: QUAD_A, np.array([2.0, -1.0])),
    "Rosenbrock": (lambda x: rosenbrock(x)[1], lambda x: rosenbrock(x)[2], np.array([-1.2, 1.0])),
    "saddle x² − y² + xy": (lambda x: np.array([2 * x[0] + x[1], x[0] - 2 * x[1]]),
                            lambda x: np.array([[2.0, 1.0], [1.0, -2.0]]), np.array([1.0, 2.0])),
}


def ref_newton_step(gradient, hessian, x):
    return x - np.linalg.solve(hessian(x), gradient(x))


NEWTON_MISTAKES = [
    (lambda g, H, x: x + np.linalg.solve(H, g),
     "Sign error: Newton's step is x ← x − H⁻¹·∇f (you moved by +H⁻¹·∇f)."),
    (lambda g, H, x: x - H @ g, "You multiplied by H: Newton's step *solves* H·δ = ∇f (`np.linalg.solve(H, g)`)."),
    (lambda g, H, x: x - g, "That is a gradient step with rate 1: Newton's step is x − H⁻¹·∇f."),
    (lambda g, H, x: x - g / np.diag(H),
     "You divided by the diagonal of H only: the off-diagonal curvature matters, solve H·δ = ∇f."),
    (lambda g, H, x: x - np.linalg.solve(H, g) / 2, "The step is halved: x ← x − H⁻¹·∇f."),
]

newton = new("newton.step", 2, "`newton_step` moves to x − H⁻¹∇f (the minimiser of a quadratic in one step)")


@newton.probe
def _(newton_step):
    out = {}
    for i, (gradient, hessian, start) in enumerate(NEWTON_CASES.values()):
        out[f"x{i}"] = newton_step(gradient, hessian, start.copy())
    return out


@newton.verify
def _(r):
    for i, (label, (gradient, hessian, start)) in enumerate(NEWTON_CASES.items()):
        got = np.asarray(r[f"x{i}"], np.float64)
        expect.shape(got, (2,), f"`newton_step` on the {label}")
        hint = _diagnose(got, NEWTON_MISTAKES, gradient(start), hessian(start), start)
        expect.close(got, ref_newton_step(gradient, hessian, start),
                     f"`newton_step` from {start.tolist()} on the {label}",
                     hint or "x_new = x − H(x)⁻¹·∇f(x); solve the linear system rather than invert H.",
                     **expect.FLOAT64)


# ---------------------------------------------------------------------------- Levenberg–Marquardt

EXP_X = np.linspace(0.0, 1.0, 6)
EXP_Y = np.array([1.6, 1.3, 1.05, 0.9, 0.7, 0.62])
EXP_W = np.array([1.5, -0.8])
LIN_A = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [2.0, 0.0, 1.0], [1.0, 1.0, 1.0], [-1.0, 3.0, 0.5]])
LIN_B = np.array([1.0, 0.0, -2.0, 0.5, 1.5])
LIN_W = np.array([0.3, -0.2, 0.7])


def exp_residuals_np(w):
    return w[0] * np.exp(w[1] * EXP_X) - EXP_Y


def exp_jacobian_np(w):
    e = np.exp(w[1] * EXP_X)
    return np.stack([e, w[0] * EXP_X * e], axis=1)


jacobian = new("lm.jacobian", 2, "`residuals_and_jacobian` returns r(w) and the N×P Jacobian ∂rᵢ/∂wⱼ")


@jacobian.probe
def _(residuals_and_jacobian):
    import tensorflow as tf

    x, y = tf.constant(EXP_X), tf.constant(EXP_Y)
    a, b = tf.constant(LIN_A), tf.constant(LIN_B)
    out = {}
    for label, fn, w in (("exp", lambda w: w[0] * tf.exp(w[1] * x) - y, EXP_W),
                         ("linear", lambda w: tf.linalg.matvec(a, w) - b, LIN_W)):
        r, J = residuals_and_jacobian(fn, tf.constant(w))
        out[f"{label}_r"], out[f"{label}_J"] = r, J
    return out


@jacobian.verify
def _(r):
    for label, residual, J_ref, what in (
            ("exp", exp_residuals_np(EXP_W), exp_jacobian_np(EXP_W), "rᵢ = w₀·exp(w₁xᵢ) − yᵢ"),
            ("linear", LIN_A @ LIN_W - LIN_B, LIN_A, "r = A·w − b")):
        J = np.asarray(r[f"{label}_J"], np.float64)
        expect.close(r[f"{label}_r"], residual, f"the residuals returned for {what}",
                     "Return r = residuals(w) itself, unchanged.", **expect.FLOAT64)
        if J.shape == J_ref.T.shape and J.shape != J_ref.shape:
            raise Fail(f"the Jacobian for {what} has shape {J.shape}: it is transposed. Row i holds "
                       f"∂rᵢ/∂w, so J is N×P = {J_ref.shape}; `tape.jacobian(r, w)` gives that.")
        if J.shape == (J_ref.shape[1],):
            raise Fail(f"the Jacobian for {what} has shape {J.shape}: that is the gradient of Σr "
                       "(`tape.gradient`). Levenberg–Marquardt needs every residual's gradient: "
                       "`tape.jacobian(r, w)`.")
        expect.close(J, J_ref, f"the Jacobian for {what}",
                     "Compute r inside the tape (after `tape.watch(w)`) and return `tape.jacobian(r, w)`.",
                     **expect.FLOAT64)


def ref_lm_step(r, J, lam):
    return -np.linalg.solve(J.T @ J + lam * np.eye(J.shape[1]), J.T @ r)


_rng = np.random.default_rng(7)
LM_J = np.round(_rng.normal(size=(6, 3)), 2)
LM_R = np.round(_rng.normal(size=6), 2)
LM_LAMBDAS = (0.0, 0.5, 50.0)

LM_STEP_MISTAKES = [
    (lambda r, J, lam: -ref_lm_step(r, J, lam), "Sign error: δ = −(JᵀJ + λI)⁻¹·Jᵀr points downhill."),
    (lambda r, J, lam: -np.linalg.solve(J.T @ J + lam, J.T @ r),
     "You added λ to every entry of JᵀJ: damping adds λ to the diagonal only, JᵀJ + λ·I (`np.eye`)."),
    (lambda r, J, lam: -np.linalg.solve(J.T @ J + lam * np.diag(np.diag(J.T @ J)), J.T @ r),
     "That is Marquardt's scaling λ·diag(JᵀJ): this assignment damps with λ·I, (JᵀJ + λI)·δ = −Jᵀr."),
    (lambda r, J, lam: -np.linalg.solve(J.T @ J, J.T @ r),
     "λ is ignored: your step is always Gauss–Newton's. Damping solves (JᵀJ + λI)·δ = −Jᵀr."),
    (lambda r, J, lam: -np.linalg.solve(J.T @ J + lam * np.eye(J.shape[1]), J.T @ r) / 2,
     "The step is halved: solve (JᵀJ + λI)·δ = −Jᵀr exactly."),
]

lm_step_check = new("lm.step", 2, "`lm_step` solves (JᵀJ + λI)·δ = −Jᵀr")


@lm_step_check.probe
def _(lm_step):
    return {f"delta{i}": lm_step(LM_R.copy(), LM_J.copy(), lam) for i, lam in enumerate(LM_LAMBDAS)}


@lm_step_check.verify
def _(r):
    for i, lam in enumerate(LM_LAMBDAS):
        delta = np.asarray(r[f"delta{i}"], np.float64)
        expect.shape(delta, (LM_J.shape[1],), f"`lm_step(r, J, lam={lam:g})` (one entry per parameter)")
        hint = _diagnose(delta, LM_STEP_MISTAKES, LM_R, LM_J, lam)
        expect.close(delta, ref_lm_step(LM_R, LM_J, lam), f"`lm_step(r, J, lam={lam:g})`",
                     hint or "δ = −(JᵀJ + λI)⁻¹·Jᵀr: λ = 0 is Gauss–Newton, large λ a short gradient step.",
                     **expect.FLOAT64)


def ref_update_damping(lam, old_loss, new_loss, nu=10.0):
    return (True, lam / nu) if new_loss < old_loss else (False, lam * nu)


# (old loss, new loss) of each trial step: improvements, failures and a tie (a tie is no improvement).
DAMPING_SCRIPT = [(1.0, 0.6), (0.6, 0.3), (0.3, 0.45), (0.3, 0.31), (0.3, 0.3), (0.3, 0.1), (0.1, 0.09)]
DAMPING_RUNS = [(1e-2, None), (5.0, 3.0)]  # (λ₀, ν); None: the default ν


def run_damping(update, lam, nu):
    accepted, lams = [], []
    for old, new_loss in DAMPING_SCRIPT:
        ok, lam = update(lam, old, new_loss) if nu is None else update(lam, old, new_loss, nu)
        accepted.append(bool(ok))
        lams.append(float(lam))
    return np.array(accepted), np.array(lams)


DAMPING_MISTAKES = [
    (lambda lam, old, new, nu=10.0: (new < old, lam * nu if new < old else lam / nu),
     "λ is updated the wrong way: after a successful step *decrease* it (λ/ν, towards Gauss–Newton); "
     "after a failed one *increase* it (λ·ν, towards short gradient steps)."),
    (lambda lam, old, new, nu=10.0: (new <= old, lam / nu if new <= old else lam * nu),
     "A step that does not lower the loss (new = old) must be rejected: accept only if new < old."),
    (lambda lam, old, new, nu=10.0: (new < old, lam / 10.0 if new < old else lam * 10.0),
     "Use the `nu` argument, not a fixed 10."),
    (lambda lam, old, new, nu=10.0: (new < old, lam),
     "λ never changes: divide it by ν after a success, multiply it by ν after a failure."),
]

damping = new("lm.damping", 2, "`update_damping` accepts improving steps and adapts λ (÷ν on success, ×ν on failure)")


@damping.probe
def _(update_damping):
    out = {}
    for i, (lam0, nu) in enumerate(DAMPING_RUNS):
        out[f"accepted{i}"], out[f"lam{i}"] = run_damping(update_damping, lam0, nu)
    return out


@damping.verify
def _(r):
    for i, (lam0, nu) in enumerate(DAMPING_RUNS):
        accepted, lams = run_damping(ref_update_damping, lam0, nu)
        got_accepted, got_lams = r[f"accepted{i}"].astype(bool), np.asarray(r[f"lam{i}"], np.float64)
        ok = np.array_equal(got_accepted, accepted) and np.allclose(got_lams, lams, rtol=1e-9)
        if ok:
            continue
        hint = ""
        for mistake, text in DAMPING_MISTAKES:
            wrong_accepted, wrong_lams = run_damping(mistake, lam0, nu)
            if np.array_equal(got_accepted, wrong_accepted) and np.allclose(got_lams, wrong_lams, rtol=1e-9):
                hint = text
                break
        call = f"λ₀ = {lam0:g}" + ("" if nu is None else f", nu = {nu:g}")
        k = int(np.argmax((got_accepted != accepted) | ~np.isclose(got_lams, lams, rtol=1e-9)))
        old, new_loss = DAMPING_SCRIPT[k]
        raise Fail(f"`update_damping` ({call}) goes wrong at trial {k + 1} (old loss {old:g}, new loss "
                   f"{new_loss:g}): it returned accept={bool(got_accepted[k])}, λ={got_lams[k]:.6g}; expected "
                   f"accept={bool(accepted[k])}, λ={lams[k]:.6g}. "
                   f"{hint or 'Accept iff new < old; then λ ← λ/ν, otherwise λ ← λ·ν.'}")


# A small MLP 1 → 5 → 1 (tanh) as a flat vector in Keras's layout: kernel (1, H), bias (H,),
# kernel (H, 1), bias (1,). 16 parameters, 30 points.
MLP_HIDDEN = 5
MLP_X = np.linspace(-2.0, 2.0, 30)
_rng = np.random.default_rng(11)
MLP_Y = np.sin(2.0 * MLP_X) + 0.3 * MLP_X + 0.05 * _rng.normal(size=MLP_X.shape)
MLP_W0 = np.concatenate([_rng.normal(scale=1.0, size=MLP_HIDDEN), np.zeros(MLP_HIDDEN),
                         _rng.normal(scale=0.5, size=MLP_HIDDEN), np.zeros(1)])
LM_ITERATIONS = 40
LM_THRESHOLD = 0.01  # MSE; the noise alone is 0.0025


def mlp_np(w, x):
    h = MLP_HIDDEN
    hidden = np.tanh(np.outer(x, w[:h]) + w[h:2 * h])
    return hidden @ w[2 * h:3 * h] + w[3 * h]


def mlp_mse(w):
    return float(np.mean((mlp_np(w, MLP_X) - MLP_Y) ** 2))


def mlp_residuals_tf(x, y, hidden=MLP_HIDDEN):
    """r(w) for the flat MLP, in TensorFlow (probe and notebook use the same layout)."""
    import tensorflow as tf

    x = tf.constant(np.reshape(x, (-1, 1)))
    y = tf.constant(y)

    def residuals(w):
        h = hidden
        kernel1, bias1 = tf.reshape(w[:h], (1, h)), w[h:2 * h]
        kernel2, bias2 = tf.reshape(w[2 * h:3 * h], (h, 1)), w[3 * h:]
        return tf.reshape(tf.tanh(x @ kernel1 + bias1) @ kernel2 + bias2, [-1]) - y

    return residuals


lm_fit = new("lm.fit", 2, f"`levenberg_marquardt` fits a 16-weight MLP to MSE < {LM_THRESHOLD:g} in "
                          f"{LM_ITERATIONS} iterations")


@lm_fit.probe
def _(levenberg_marquardt):
    residuals = mlp_residuals_tf(MLP_X, MLP_Y)
    w, history = levenberg_marquardt(residuals, MLP_W0.copy(), lam0=1e-2, iterations=LM_ITERATIONS, nu=10.0)
    if not isinstance(history, dict) or not {"loss", "lam", "accepted"} <= set(history):
        raise Fail("`levenberg_marquardt` must return `(w, history)` with history a dict of "
                   "'loss', 'lam' and 'accepted'.")
    return {"w": w, "loss": history["loss"], "lam": history["lam"],
            "accepted": np.asarray(history["accepted"], dtype=bool)}


@lm_fit.verify
def _(r):
    loss, lam, accepted = (np.asarray(r[k], np.float64) for k in ("loss", "lam", "accepted"))
    accepted = accepted.astype(bool)
    n = LM_ITERATIONS
    if loss.shape != (n + 1,) or lam.shape != (n,) or accepted.shape != (n,):
        raise Fail(f"with iterations={n}, history['loss'] needs {n + 1} entries (the start, then one per "
                   f"iteration) and 'lam', 'accepted' {n} each; got shapes {loss.shape}, {lam.shape}, "
                   f"{accepted.shape}.")
    expect.close(loss[0], mlp_mse(MLP_W0), "history['loss'][0]",
                 "It is the MSE, mean(r²), at w0 (before any step).", rtol=1e-6, atol=1e-9)
    expect.close(loss[-1], mlp_mse(np.asarray(r["w"], np.float64)), "history['loss'][-1]",
                 "It must be the MSE of the returned w: return the last *accepted* weights.",
                 rtol=1e-6, atol=1e-9)
    for k in range(n):
        if accepted[k] and not loss[k + 1] < loss[k]:
            raise Fail(f"iteration {k + 1} is marked accepted but the loss went from {loss[k]:.6g} to "
                       f"{loss[k + 1]:.6g}: accept a step only if it lowers the loss.")
        if not accepted[k] and not np.isclose(loss[k + 1], loss[k], rtol=1e-12):
            raise Fail(f"iteration {k + 1} was rejected, yet the loss changed ({loss[k]:.6g} → "
                       f"{loss[k + 1]:.6g}): after a rejected step keep w (and its loss), only λ changes.")
    if loss[-1] < LM_THRESHOLD:
        return
    grew = [k for k in range(1, n) if accepted[k] and lam[k] > lam[k - 1]]
    if not accepted.any():
        hint = "No step was accepted: check the sign of δ (`lm_step`) and that the trial loss is at w + δ."
    elif grew:
        hint = (f"λ grew after the accepted step {grew[0] + 1}: LM should *decrease* λ after a success "
                "(see `update_damping`); growing λ turns it into ever shorter gradient steps.")
    else:
        hint = ("Recompute r and J at the new w after every accepted step (they stay the same after a "
                "rejected one).")
    raise Fail(f"after {n} iterations the MSE is {loss[-1]:.4g}; it should be below {LM_THRESHOLD:g} "
               f"(the reference reaches about 0.002). {hint}")


# ---------------------------------------------------------------------------- BFGS with scipy

FLAT_SHAPES = [(2, 3), (3,), (3, 1), (1,)]


def _flat_weights():
    sizes = [int(np.prod(s)) for s in FLAT_SHAPES]
    values = np.arange(1, sum(sizes) + 1) * 0.5
    return [v.reshape(s) for v, s in zip(np.split(values, np.cumsum(sizes)[:-1]), FLAT_SHAPES)]


flat = new("bfgs.flatten", 2, "`flatten`/`unflatten` map weights to one float64 vector and back")


@flat.probe
def _(flatten, unflatten):
    import keras

    weights = [keras.Variable(w, dtype="float32") for w in _flat_weights()]
    vector = flatten(weights)
    out = {"vector": vector, "dtype": np.asarray(str(np.asarray(vector).dtype))}
    for label, v in (("round", vector), ("arange", np.arange(13, dtype=np.float64))):
        pieces = list(unflatten(v, weights))
        out[f"{label}_count"] = len(pieces)
        for i, piece in enumerate(pieces):
            out[f"{label}{i}"] = piece
    return out


@flat.verify
def _(r):
    weights = _flat_weights()
    expected = np.concatenate([w.ravel() for w in weights])
    vector = np.asarray(r["vector"], np.float64)
    expect.shape(vector, expected.shape, "`flatten(weights)` (one entry per weight value)")
    if not np.allclose(vector, expected):
        fortran = np.concatenate([w.ravel(order="F") for w in weights])
        reverse = np.concatenate([w.ravel() for w in weights[::-1]])
        hint = ("You flattened column by column: use row-major order, `w.reshape(-1)` / `np.ravel`."
                if np.allclose(vector, fortran) else
                "Keep the weights in their order: the first weight's values come first."
                if np.allclose(vector, reverse) else
                "Concatenate each weight's values, row-major, in the order of the list.")
        expect.close(vector, expected, "`flatten(weights)`", hint)
    if str(r["dtype"]) != "float64":
        raise Fail(f"`flatten` returned a {r['dtype']} vector: scipy's BFGS works in float64, and float32 "
                   "round-off breaks its line search. Convert with `np.asarray(w, dtype=np.float64)`.")
    for label, v in (("round", expected), ("arange", np.arange(13.0))):
        pieces = np.split(v, np.cumsum([w.size for w in weights])[:-1])
        if int(r[f"{label}_count"]) != len(weights):
            raise Fail(f"`unflatten` returned {int(r[f'{label}_count'])} arrays for {len(weights)} weights.")
        for i, (piece, shape) in enumerate(zip(pieces, FLAT_SHAPES)):
            got = np.asarray(r[f"{label}{i}"], np.float64)
            expect.shape(got, shape, f"piece {i} of `unflatten` (it must have weight {i}'s shape)")
            what = ("`unflatten(flatten(weights), weights)`" if label == "round"
                    else "`unflatten(np.arange(13.0), weights)`")
            expect.close(got, piece.reshape(shape), f"piece {i} of {what}",
                         "Piece i takes the next `weights[i].size` entries, reshaped to `weights[i].shape`.")


BFGS_X = np.round(np.random.default_rng(5).normal(size=(8, 2)), 2)
BFGS_Y = np.round(np.sin(BFGS_X[:, :1] * 1.5) + 0.5 * BFGS_X[:, 1:], 2)
_rng = np.random.default_rng(6)
BFGS_V = (np.round(_rng.normal(scale=0.6, size=13), 3), np.round(_rng.normal(scale=0.6, size=13), 3))


def tiny_mlp_value_and_grad(v, x=BFGS_X, y=BFGS_Y):
    """MSE of Dense(3, tanh) → Dense(1) at flat weights v (Keras's layout) and its gradient."""
    w1, b1, w2, b2 = v[:6].reshape(2, 3), v[6:9], v[9:12].reshape(3, 1), v[12:]
    hidden = np.tanh(x @ w1 + b1)
    error = hidden @ w2 + b2 - y
    d_out = 2 * error / error.size
    d_hidden = (d_out @ w2.T) * (1 - hidden**2)
    grad = np.concatenate([(x.T @ d_hidden).ravel(), d_hidden.sum(0), (hidden.T @ d_out).ravel(), d_out.sum(0)])
    return float(np.mean(error**2)), grad


value_and_grad = new("bfgs.gradient", 2,
                     "`make_value_and_grad(model, x, y)(v)` returns the MSE at weights v and its gradient vector")


@value_and_grad.probe
def _(make_value_and_grad):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(1)])
    fun = make_value_and_grad(model, BFGS_X.astype(np.float32), BFGS_Y.astype(np.float32))
    out = {}
    for label, v in (("a", BFGS_V[0]), ("b", BFGS_V[1]), ("a_again", BFGS_V[0])):
        result = fun(v.copy())
        if not (isinstance(result, tuple) and len(result) == 2):
            raise Fail("the function returned by `make_value_and_grad` must return a pair (loss, gradient), "
                       "as `scipy.optimize.minimize(..., jac=True)` expects.")
        loss, grad = result
        out[f"loss_{label}"] = np.asarray(to_array(loss, "the loss"), np.float64)
        out[f"grad_{label}"] = grad
        out[f"dtype_{label}"] = np.asarray(str(np.asarray(to_array(grad, "the gradient")).dtype))
    return out


@value_and_grad.verify
def _(r):
    if np.isclose(r["loss_a"], r["loss_b"], rtol=1e-9):
        raise Fail("`fun(v)` returned the same loss for two different vectors v: load v into the model first "
                   "(`w.assign(piece)` for each weight and piece of `unflatten(v, weights)`).")
    for label, v in (("a", BFGS_V[0]), ("b", BFGS_V[1]), ("a_again", BFGS_V[0])):
        loss, grad = tiny_mlp_value_and_grad(v)
        got_loss = np.asarray(r[f"loss_{label}"], np.float64)
        got_grad = np.asarray(r[f"grad_{label}"], np.float64)
        expect.shape(got_loss, (), "the loss returned by `fun(v)` (a number)")
        hint = ("Your loss is half the MSE: use the mean of the squared errors." if np.isclose(got_loss, loss / 2, rtol=1e-3)
                else "The loss is the MSE, mean((model(x) − y)²), with the model's weights set to v.")
        expect.close(got_loss, loss, "the loss returned by `fun(v)`", hint, **expect.MATMUL)
        expect.shape(got_grad, grad.shape, "the gradient returned by `fun(v)` (one entry per weight value)")
        hint = ("Flatten the gradients in the same order as the weights (`flatten(tape.gradient(loss, weights))`)."
                if np.allclose(np.sort(got_grad), np.sort(grad), rtol=5e-3, atol=5e-4)
                else "Record the loss inside `tf.GradientTape()` and flatten `tape.gradient(loss, model.trainable_weights)`.")
        expect.close(got_grad, grad, "the gradient returned by `fun(v)`", hint, **expect.MATMUL)
        if str(r[f"dtype_{label}"]) != "float64":
            raise Fail(f"the gradient returned by `fun(v)` is {r[f'dtype_{label}']}: return float64 (`flatten` "
                       "does it) — scipy's BFGS needs it.")


BFGS_ITERATIONS = 100
bfgs_run = new("bfgs.run", 1, "`run_bfgs` minimises Rosenbrock with scipy's BFGS and records the loss per iteration")


@bfgs_run.probe
def _(run_bfgs):
    calls = []

    def fun(v):
        calls.append(1)
        f, grad, _ = rosenbrock(np.asarray(v, np.float64))
        return f, grad

    x, losses = run_bfgs(fun, np.array([-1.2, 1.0]), BFGS_ITERATIONS)
    return {"x": x, "losses": losses, "calls": len(calls)}


@bfgs_run.verify
def _(r):
    losses = np.asarray(r["losses"], np.float64).reshape(-1)
    if losses.size < 2:
        raise Fail(f"`run_bfgs` recorded {losses.size} loss(es): append f(v0) first, then the loss after "
                   "each iteration from `minimize`'s `callback`.")
    expect.close(losses[0], 24.2, "the first recorded loss", "It is f(v0), before any iteration.")
    if losses.size > BFGS_ITERATIONS + 1:
        raise Fail(f"`run_bfgs` recorded {losses.size} losses for at most {BFGS_ITERATIONS} iterations: "
                   "record one per iteration (the callback), not one per function call.")
    if np.any(np.diff(losses) > 1e-12 * np.abs(losses[:-1])):
        raise Fail("the recorded losses go up: BFGS's line search only accepts decreasing steps — record "
                   "the loss at each iterate (`intermediate_result.fun`), not at every trial point.")
    expect.close(np.asarray(r["x"], np.float64), [1.0, 1.0], "the minimiser `run_bfgs` returned",
                 "Pass `jac=True` with `fun` returning (loss, gradient), method='BFGS', and "
                 "options={'maxiter': iterations}; return `result.x`.", rtol=0, atol=1e-4)
    if losses[-1] > 1e-8:
        raise Fail(f"the last recorded loss is {losses[-1]:.3g} although the minimiser is right: record "
                   "the loss of every iteration, up to the last.")


# ============================================================================ 4. comparison

# Rules handed to the student's `compare`: made up for the probe, so that no reference update
# rule (the tasks above) ever reaches student code. Two keep state, to catch shared state.


def _plain_step(params, grads, state, hp):
    return params - hp["learning_rate"] * grads, state


def _averaged_step(params, grads, state, hp):  # steps along the mean of all gradients so far
    total, n = state.get("total", 0.0) + grads, state.get("n", 0) + 1
    return params - hp["learning_rate"] * total / n, {"total": total, "n": n}


def _shrinking_sign_step(params, grads, state, hp):  # sign descent with a step ∝ 1/√t
    n = state.get("n", 0) + 1
    return params - hp["learning_rate"] / np.sqrt(n) * np.sign(grads), {"n": n}


COMPARE_RULES = {
    "plain": (_plain_step, {"learning_rate": 0.001}),
    "averaged": (_averaged_step, {"learning_rate": 0.0005}),
    "sign": (_shrinking_sign_step, {"learning_rate": 0.05}),
}
COMPARE_X0 = np.array([-1.2, 1.0])
COMPARE_ITERATIONS = 12


def reference_history(step, hp, x0=COMPARE_X0, iterations=COMPARE_ITERATIONS):
    x, state, losses = x0.copy(), {}, []
    for _ in range(iterations):
        f, grad, _ = rosenbrock(x)
        losses.append(f)
        x, state = step(x, grad, state, dict(hp))
    losses.append(rosenbrock(x)[0])
    return np.array(losses)


compare_check = new("compare.structure", 2,
                    "`compare` returns {name: {'loss', 'seconds'}} and each history is its rule's own")


@compare_check.probe
def _(compare):
    def value_and_grad(x):
        f, grad, _ = rosenbrock(np.asarray(x, np.float64))
        return f, grad

    results = compare(value_and_grad, COMPARE_X0.copy(), dict(COMPARE_RULES), COMPARE_ITERATIONS)
    if not isinstance(results, dict):
        raise Fail(f"`compare` must return a dict keyed by the rules' names; it returned {type(results).__name__}.")
    out = {"names": np.array(sorted(str(k) for k in results))}
    for name, result in results.items():
        if not isinstance(result, dict) or not {"loss", "seconds"} <= set(result):
            raise Fail(f"`compare(...)[{name!r}]` must be a dict with 'loss' and 'seconds'.")
        out[f"{name}_loss"] = result["loss"]
        out[f"{name}_seconds"] = result["seconds"]
    return out


@compare_check.verify
def _(r):
    names = sorted(COMPARE_RULES)
    expect.equal(np.asarray(r["names"]).tolist(), names, "the keys of `compare`'s result",
                 "One entry per rule, under the rule's name.")
    n = COMPARE_ITERATIONS
    for name in names:
        loss = np.asarray(r[f"{name}_loss"], np.float64).reshape(-1)
        want = reference_history(*COMPARE_RULES[name])
        if loss.shape == (n,):
            raise Fail(f"`compare(...)['{name}']['loss']` has {n} entries for iterations={n}: it needs "
                       f"{n + 1}, the loss at x0 followed by the loss after each step.")
        expect.shape(loss, (n + 1,), f"`compare(...)['{name}']['loss']`")
        if np.allclose(loss[1:], want[:-1]) or np.allclose(loss[:-1], want[1:]):
            hint = "Your history is shifted by one step: loss[0] = f(x0), loss[k] = f(x after k steps)."
        elif name != names[0] and not np.isclose(loss[0], want[0]):
            hint = "Each rule must start from x0: copy it, and do not let one rule's run change it."
        else:
            hint = ("Each rule needs its own fresh state `{}` and its own hparams; feed it the gradient at "
                    "the current x.")
        expect.close(loss, want, f"the loss history of '{name}'", hint, rtol=1e-6, atol=1e-9)
        seconds = float(np.asarray(r[f"{name}_seconds"]))
        if not (np.isfinite(seconds) and 0 <= seconds < 600):
            raise Fail(f"`compare(...)['{name}']['seconds']` is {seconds!r}: it is the wall time of the run, "
                       "`time.perf_counter()` after minus before.")
