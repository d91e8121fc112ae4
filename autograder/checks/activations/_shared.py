"""The inputs and probe helpers of assignment 01's checks (shared: copied into graded kernels as is)."""

from __future__ import annotations

import numpy as np

X_GRID = np.linspace(-4.0, 4.0, 24, dtype=np.float32).reshape(4, 6)
A_VALUES = (0.5, 1.0, 2.5, -1.5)
PER_UNIT_A = np.array([0.5, -1.0, 2.0, 0.25, -3.0, 1.5], dtype=np.float32)
# Per-unit layers see a sequence: batch, time and features all differ, so `input_shape[1]` or a
# broadcast over the wrong axis cannot pass by coincidence (on 2-D inputs axis 1 is the last).
X_SEQUENCE = np.linspace(-4.0, 4.0, 2 * 5 * 6, dtype=np.float32).reshape(2, 5, 6)


def assign_a(layer, values) -> None:
    (weight,) = layer.trainable_weights
    weight.assign(np.asarray(values, dtype=weight.dtype).reshape(weight.shape))


def forward_probe(Layer, a_values, x=X_GRID):
    out = {}
    for i, a in enumerate(a_values):
        layer = Layer(a_init=a)
        out[f"y{i}"] = layer(x)
    layer = Layer(per_unit=True)
    layer.build(X_SEQUENCE.shape)
    if tuple(layer.trainable_weights[0].shape) == PER_UNIT_A.shape:
        assign_a(layer, PER_UNIT_A)
        out["y_per_unit"] = layer(X_SEQUENCE)
    # else: the weight's shape is the build check's business; this check tests the formula.
    return out


# The analytic derivatives ∂g/∂x and ∂g/∂a the student writes in NumPy: a scalar `a` of either
# sign, then one `a` per feature (last axis).
DERIVATIVE_X = np.linspace(-3.0, 3.0, 12).reshape(3, 4)
DERIVATIVE_A = (0.8, -1.3, 2.0)
DERIVATIVE_A_PER_UNIT = np.array([0.5, -2.0, 1.5, -0.3])


def layer_gradients(Layer, a_values, x) -> dict:
    """For each ``a`` (index i): the layer's output ``y{i}`` on ``x`` and the gradients of its sum
    w.r.t. x and a (NaN where the gradient is None; ``grad_x_none{i}``/``grad_a_none{i}`` say so)."""
    import tensorflow as tf

    out = {}
    for i, a in enumerate(a_values):
        layer = Layer(a_init=a)
        x_t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x_t)
            y = layer(x_t)
            total = tf.reduce_sum(y)
        grad_x, grad_a = tape.gradient(total, [x_t, layer.trainable_weights[0]])
        out[f"y{i}"] = y
        out[f"grad_x_none{i}"] = grad_x is None
        out[f"grad_a_none{i}"] = grad_a is None
        out[f"grad_x{i}"] = np.full(np.shape(x), np.nan) if grad_x is None else grad_x
        out[f"grad_a{i}"] = np.nan if grad_a is None else grad_a
    return out


def derivatives_probe(derivatives):
    out = {}
    for i, a in enumerate((*DERIVATIVE_A, DERIVATIVE_A_PER_UNIT)):
        dg_dx, dg_da = derivatives(DERIVATIVE_X.copy(), np.copy(a))
        out[f"dg_dx{i}"], out[f"dg_da{i}"] = dg_dx, dg_da
    return out
