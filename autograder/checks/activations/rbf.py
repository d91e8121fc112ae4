"""``rbf.*``: the radial basis function g(x, β) = exp(−x² / β), β > 0, β trained."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from ._shared import X_GRID


def ref_rbf(x, beta):  # float64 NumPy: the truth the records are compared with
    return np.exp(-np.square(x) / beta)


RBF_BETAS = (0.5, 2.0)
forward = new("rbf.forward", 1, "`RBF` computes exp(−x²/β) and exposes β as `layer.beta`")


@forward.probe
def _(RBF):
    out = {}
    for i, beta in enumerate(RBF_BETAS):
        layer = RBF(beta_init=beta)
        out[f"y{i}"] = layer(X_GRID)
        out[f"beta{i}"] = layer.beta
        out[f"n_trainable{i}"] = len(layer.trainable_weights)
    return out


@forward.verify
def _(r):
    for i, beta in enumerate(RBF_BETAS):
        if int(r[f"n_trainable{i}"]) != 1:
            raise Fail(f"`RBF` should have one trainable weight (for β), it has {int(r[f'n_trainable{i}'])}.")
        expect.close(
            r[f"beta{i}"],
            beta,
            f"`RBF(beta_init={beta}).beta`",
            "`beta` should return the positive β, e.g. `ops.exp(self.log_beta)`.",
        )
        hint = expect.diagnose(
            r[f"y{i}"],
            [
                (lambda x, b: np.exp(-np.square(x) * b), "Your output matches exp(−x²·β): divide by β."),
                (lambda x, b: np.exp(-x / b), "Your output matches exp(−x/β): the deck squares x."),
                (
                    lambda x, b: np.exp(-np.square(x) / np.log(b)),
                    "Your output matches exp(−x²/log β): use β itself, not its log.",
                ),
            ],
            X_GRID,
            beta,
        )
        expect.close(
            r[f"y{i}"],
            ref_rbf(X_GRID, beta),
            f"`RBF(beta_init={beta})(x)`",
            hint,
            inputs={"x": X_GRID},
            **expect.ELEMENTWISE,
        )


positive = new("rbf.positive", 1, "`RBF` keeps β > 0 however hard training pushes it down")


@positive.probe
def _(RBF):
    import keras
    import tensorflow as tf

    layer = RBF(beta_init=1.0)
    x = tf.constant(X_GRID)
    layer(x)
    optimizer = keras.optimizers.SGD(learning_rate=5.0)
    betas = []
    for _ in range(20):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(layer(x))  # smaller when β shrinks: pushes β towards 0 and past it
        grads = tape.gradient(loss, layer.trainable_weights)
        optimizer.apply_gradients(zip(grads, layer.trainable_weights))
        betas.append(float(np.asarray(layer.beta)))
    return {"betas": np.array(betas), "y_after": layer(x)}


@positive.verify
def _(r):
    betas = r["betas"]
    if np.any(~np.isfinite(betas)) or np.any(betas <= 0):
        step = int(np.argmax(~np.isfinite(betas) | (betas <= 0)))
        raise Fail(
            f"after {step + 1} large gradient steps β became {betas[step]:.3g}: a raw weight can "
            "cross zero. Train an unconstrained weight and map it to β > 0 (β = exp(log β))."
        )
    expect.finite(r["y_after"], "`RBF(x)` after training", "β must stay positive and finite.")
