"""Inputs and probe helpers of assignment 04's checks (shared: copied into graded kernels as is)."""

from __future__ import annotations

import numpy as np

from .._core import Fail


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1/(1+e^(−z)), without overflow


def to_numpy(value):
    """A tensor, or a list of tensors, as NumPy."""
    if hasattr(value, "numpy"):
        return value.numpy()
    if isinstance(value, (list, tuple)):
        return [to_numpy(v) for v in value]
    return value


DEPTH, WIDTH, INPUT_DIM, BATCH = 10, 32, 16, 64
DEEP_X = np.random.default_rng(7).normal(size=(BATCH, INPUT_DIM)).astype(np.float32)
DEEP_Y = np.random.default_rng(8).normal(size=(BATCH, 1)).astype(np.float32)


def network_probe(build_mlp, **options):
    """Build the student's network, record its weights and the gradient norms TensorFlow gives."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    model = build_mlp(DEPTH, WIDTH, input_dim=INPUT_DIM, seed=0, **options)
    if not isinstance(model, keras.Model):
        raise Fail(f"`build_mlp` returned a {type(model).__name__}, expected a `keras.Model`.")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    batch_norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    kernels = [layer.kernel for layer in dense]
    with tf.GradientTape() as tape:
        prediction = model(DEEP_X, training=True)
        loss = tf.reduce_mean(tf.square(tf.cast(prediction, tf.float32) - DEEP_Y))
    grads = tape.gradient(loss, kernels)
    record = {
        "kinds": np.array([type(layer).__name__ for layer in model.layers] or [""]),
        "output_shape": np.asarray(prediction.shape),
        "tape_norms": np.array([np.nan if g is None else float(tf.norm(g)) for g in grads]),
        "n_dense": len(dense),
        "n_bn": len(batch_norms),
    }
    for k, layer in enumerate(dense):
        record[f"kernel{k}"] = layer.kernel
        record[f"bias{k}"] = layer.bias if layer.use_bias else np.zeros(layer.units, np.float32)
    for k, layer in enumerate(batch_norms):
        record[f"gamma{k}"] = layer.gamma if layer.scale else np.ones(WIDTH, np.float32)
        record[f"beta{k}"] = layer.beta if layer.center else np.zeros(WIDTH, np.float32)
        record[f"eps{k}"] = layer.epsilon
    return record
