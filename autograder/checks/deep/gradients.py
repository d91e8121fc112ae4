"""``gradients.*``: the gradient norms of every layer of a deep network; their decay towards the input.

The references are a forward/backward pass through dense stacks (optionally with batch
normalisation and skip connections) in float64 NumPy, from the weights the probe recorded.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from ._shared import BATCH, DEEP_X, DEEP_Y, DEPTH, INPUT_DIM, WIDTH, network_probe, sigmoid, to_numpy

ACTIVATIONS = {  # name: (f(u), f'(u))
    "sigmoid": (sigmoid, lambda u: sigmoid(u) * (1.0 - sigmoid(u))),
    "tanh": (np.tanh, lambda u: 1.0 - np.tanh(u) ** 2),
    "relu": (lambda u: np.maximum(u, 0.0), lambda u: (u > 0).astype(np.float64)),
    "linear": (lambda u: u, np.ones_like),
}


def stack_gradients(kernels, biases, activations, x, y, *, batch_norm=None, residual=False):
    """∂L/∂W of every kernel of a dense stack, L = mean((ŷ − y)²) over all entries.

    Layer k computes z = h W_k + b_k, then (if ``batch_norm``) the training-mode batch norm
    γ ẑ + β with ẑ = (z − mean) / √(var + ε), then its activation, then (if ``residual`` and
    0 < k < last) adds its input: h_k = h_{k−1} + f(·). The last layer never has batch norm
    or a skip.

    Args:
        kernels, biases: per-layer arrays, kernels shaped (fan_in, fan_out) as in Keras.
        activations: one name of :data:`ACTIVATIONS` per layer.
        batch_norm: None, or one (γ, β, ε) (or None: no batch norm) per layer except the last.
        residual: add skip connections around the hidden layers after the first.

    Returns:
        (gradients, outputs): the kernels' gradients, and each layer's output h_k.
    """
    h = np.asarray(x, np.float64)
    n_layers = len(kernels)
    caches, outputs = [], []
    for k in range(n_layers):
        W, b = np.asarray(kernels[k], np.float64), np.asarray(biases[k], np.float64)
        z = h @ W + b
        norm = None
        if batch_norm is not None and k < n_layers - 1 and batch_norm[k] is not None:
            gamma, beta, eps = (np.asarray(v, np.float64) for v in batch_norm[k])
            std = np.sqrt(z.var(axis=0) + eps)
            z_hat = (z - z.mean(axis=0)) / std
            norm, u = (gamma, std, z_hat), gamma * z_hat + beta
        else:
            u = z
        skip = residual and 0 < k < n_layers - 1
        caches.append((h, u, norm, skip))
        a = ACTIVATIONS[activations[k]][0](u)
        h = h + a if skip else a
        outputs.append(h)
    grad_h = 2.0 * (h - np.asarray(y, np.float64)) / h.size
    grads = [None] * n_layers
    for k in reversed(range(n_layers)):
        h_in, u, norm, skip = caches[k]
        grad_u = grad_h * ACTIVATIONS[activations[k]][1](u)
        if norm is not None:
            gamma, std, z_hat = norm
            g_hat = grad_u * gamma
            grad_z = (g_hat - g_hat.mean(axis=0) - z_hat * (g_hat * z_hat).mean(axis=0)) / std
        else:
            grad_z = grad_u
        grads[k] = h_in.T @ grad_z
        grad_h = grad_z @ np.asarray(kernels[k], np.float64).T + (grad_h if skip else 0.0)
    return grads, outputs


def gradient_norms(*args, **kwargs) -> np.ndarray:
    grads, _ = stack_gradients(*args, **kwargs)
    return np.array([np.linalg.norm(g) for g in grads])


# ----------------------------------------------------------------------------- layer_gradient_norms


def _random_stack(seed, dims, scale):
    rng = np.random.default_rng(seed)
    kernels = [rng.normal(0.0, scale, size=(a, b)) for a, b in zip(dims[:-1], dims[1:])]
    biases = [rng.normal(0.0, 0.3, size=b) for b in dims[1:]]
    return kernels, biases


# Visible: Dense layers with their activation inside. Hidden: Dense + separate Activation layers
# (which have no kernel), a batch norm (which needs `training=True`), a Dense without bias,
# several outputs.
NORMS_CASES = {
    "visible": dict(
        dims=(5, 6, 6, 4, 1),
        activations=("sigmoid", "sigmoid", "sigmoid", "linear"),
        split=False,
        no_bias=(),
        batch_norm=(),
        seed=40,
        batch=8,
    ),
    "hidden": dict(
        dims=(4, 7, 5, 3),
        activations=("relu", "tanh", "sigmoid"),
        split=True,
        no_bias=(1,),
        batch_norm=(0,),
        seed=41,
        batch=10,
    ),
}
NORMS_BN = (1.5, 0.1, 1e-3)  # γ, β, ε of the hidden case's batch norm


def _norms_case(name):
    case = NORMS_CASES[name]
    kernels, biases = _random_stack(case["seed"], case["dims"], 0.8)
    for k in case["no_bias"]:
        biases[k] = np.zeros_like(biases[k])
    rng = np.random.default_rng(case["seed"] + 100)
    x = rng.normal(size=(case["batch"], case["dims"][0])).astype(np.float32)
    y = rng.uniform(size=(case["batch"], case["dims"][-1])).astype(np.float32)
    return case, [k.astype(np.float32) for k in kernels], [b.astype(np.float32) for b in biases], x, y


def _keras_stack(case, kernels, biases):
    import keras

    layers = [keras.Input((case["dims"][0],))]
    for k, (W, b, act) in enumerate(zip(kernels, biases, case["activations"])):
        use_bias = k not in case["no_bias"]
        if case["split"]:
            layers.append(keras.layers.Dense(W.shape[1], use_bias=use_bias))
            if k in case["batch_norm"]:
                layers.append(
                    keras.layers.BatchNormalization(
                        epsilon=NORMS_BN[2],
                        gamma_initializer=keras.initializers.Constant(NORMS_BN[0]),
                        beta_initializer=keras.initializers.Constant(NORMS_BN[1]),
                    )
                )
            layers.append(keras.layers.Activation(act))
        else:
            layers.append(keras.layers.Dense(W.shape[1], activation=act, use_bias=use_bias))
    model = keras.Sequential(layers)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    for layer, W, b in zip(dense, kernels, biases):
        layer.set_weights([W, b] if layer.use_bias else [W])
    return model


def _norms_probe(layer_gradient_norms, name):
    case, kernels, biases, x, y = _norms_case(name)
    model = _keras_stack(case, kernels, biases)
    return {"norms": np.asarray(to_numpy(layer_gradient_norms(model, x, y)), dtype=np.float64).reshape(-1)}


def _norms_verify(r, name):
    case, kernels, biases, x, y = _norms_case(name)
    batch_norm = [NORMS_BN if k in case["batch_norm"] else None for k in range(len(kernels) - 1)]
    grads, outputs = stack_gradients(kernels, biases, case["activations"], x, y, batch_norm=batch_norm)
    expected = np.array([np.linalg.norm(g) for g in grads])
    got = np.asarray(r["norms"], np.float64)
    n = len(kernels)
    if got.shape != expected.shape:
        hint = ""
        if got.size == 2 * n:
            hint = " That is two per layer: return only the kernels' gradients (`layer.kernel`), not the biases'."
        elif got.size == n + 1:
            hint = " Skip layers that have no kernel (Input, Activation, BatchNormalization)."
        raise Fail(
            f"`layer_gradient_norms` returned {got.size} norms for a model with {n} Dense "
            f"layers; expected one per Dense kernel, a 1-D array of length {n}.{hint}"
        )
    expect.finite(
        got,
        "the norms returned by `layer_gradient_norms`",
        "A gradient is None when the kernel is not on the tape's path: call the model "
        "inside `with tf.GradientTape() as tape:`.",
    )
    activations_hint = (
        "Your numbers are the norms of the layers' outputs (activations), not of the "
        "gradients ∂L/∂W: take `tape.gradient(loss, kernels)` and the norm of each gradient."
    )
    candidates = [
        (
            expected[::-1],
            "Your norms are in reverse order: list them from the first layer (input side) "
            "to the last (output side), in the order of `model.layers`.",
        ),
        (np.array([np.linalg.norm(h) for h in outputs]), activations_hint),
        (
            np.array([np.linalg.norm(h @ W + b) for h, W, b in zip([x] + outputs[:-1], kernels, biases)]),
            activations_hint,
        ),
        (
            np.array([np.linalg.norm(W) for W in kernels]),
            "Your numbers are the norms of the kernels W themselves, not of the gradients ∂L/∂W.",
        ),
        (
            expected**2,
            "Your numbers are the squared norms: take the square root (`ops.norm`, `tf.norm` or `np.linalg.norm`).",
        ),
        (
            expected * x.shape[0],
            "Your norms are batch-size times too large: the loss is the *mean* "
            "squared error over the batch, not the sum.",
        ),
        (
            expected * y.size,
            "Your norms are too large by the number of entries of y: use the mean "
            "squared error (`keras.losses.MeanSquaredError()`), not the sum.",
        ),
        (expected / 2, "Your norms are half the expected ones: the loss is mean((ŷ − y)²), without ½."),
    ]
    hint = next(
        (h for c, h in candidates if np.allclose(got, c, rtol=1e-2, atol=1e-7)),
        "Use L = mean squared error (`keras.losses.MeanSquaredError()`) of "
        "`model(x, training=True)`, the gradients w.r.t. each Dense layer's `kernel`, "
        "and their Frobenius norms.",
    )
    expect.close(
        got, expected, "the array of norms returned by `layer_gradient_norms`", hint, rtol=1e-2, atol=1e-7
    )  # several matrix products: holds under TF32


norms_visible = new(
    "gradients.norms", 3, "`layer_gradient_norms` returns ‖∂L/∂W‖ of every Dense kernel, first layer first"
)


@norms_visible.probe
def _(layer_gradient_norms):
    return _norms_probe(layer_gradient_norms, "visible")


@norms_visible.verify
def _(r):
    _norms_verify(r, "visible")


norms_hidden = new(
    "gradients.norms_hidden",
    1,
    "`layer_gradient_norms` handles Activation layers, a kernel without bias and several outputs",
    hidden=True,
)


@norms_hidden.probe
def _(layer_gradient_norms):
    return _norms_probe(layer_gradient_norms, "hidden")


@norms_hidden.verify
def _(r):
    _norms_verify(r, "hidden")


DECAY_BOUND = 1e-3  # the plain 10-layer sigmoid network: first/last below this


def _describe(activation, batch_norm, residual):
    parts = [f"Dense → {'BatchNormalization → ' if batch_norm else ''}{activation}"]
    if residual:
        parts.append("plus its input (h_k = h_{k−1} + f(·)) from the second hidden layer on")
    return f"{DEPTH} hidden layers ({', '.join(parts)}) and a linear Dense(1) output"


def network_norms(r, what, activation="sigmoid", batch_norm=False, residual=False):
    """Check the record is the specified network; return its float64 gradient norms."""
    n_dense = int(r["n_dense"])
    network = f"the network built by `{what}`"
    if n_dense != DEPTH + 1:
        raise Fail(
            f"{network} has {n_dense} Dense layers; expected {DEPTH + 1}: {DEPTH} hidden layers "
            "and the Dense(1) output."
        )
    kernels = [np.asarray(r[f"kernel{k}"], np.float64) for k in range(n_dense)]
    expected_shapes = [(INPUT_DIM, WIDTH)] + [(WIDTH, WIDTH)] * (DEPTH - 1) + [(WIDTH, 1)]
    for k, (W, s) in enumerate(zip(kernels, expected_shapes)):
        if W.shape != s:
            raise Fail(
                f"in {network}, Dense layer {k + 1} has a kernel of shape {W.shape}, expected {s} "
                f"(input {INPUT_DIM} features, width {WIDTH}, one output)."
            )
    kinds = [str(k) for k in r["kinds"]]
    n_bn = int(r["n_bn"])
    if batch_norm:
        if kinds and kinds[-1] == "BatchNormalization":
            raise Fail(
                f"{network} ends with BatchNormalization: batch norm belongs inside each hidden "
                "layer (Dense → BatchNormalization → activation), not after the output, where "
                "it cannot help the gradients of the early layers."
            )
        if n_bn != DEPTH:
            raise Fail(
                f"{network} has {n_bn} BatchNormalization layers; expected one per hidden layer "
                f"({DEPTH}), between each hidden Dense and its activation."
            )
    elif n_bn:
        raise Fail(f"{network} has {n_bn} BatchNormalization layers, but `batch_norm=False` was asked.")
    biases = [np.asarray(r[f"bias{k}"], np.float64) for k in range(n_dense)]
    bn = [(r[f"gamma{k}"], r[f"beta{k}"], r[f"eps{k}"]) for k in range(n_bn)] if batch_norm else None
    activations = [activation] * DEPTH + ["linear"]
    expected = gradient_norms(kernels, biases, activations, DEEP_X, DEEP_Y, batch_norm=bn, residual=residual)
    tape = np.asarray(r["tape_norms"], np.float64)
    if np.any(~np.isfinite(tape)):
        raise Fail(
            f"TensorFlow found no gradient for some kernels of {network}: is every Dense layer "
            "connected from the input to the output?"
        )
    if tuple(np.asarray(r["output_shape"]).tolist()) != (BATCH, 1):
        raise Fail(f"{network} outputs shape {tuple(np.asarray(r['output_shape']).tolist())}, expected ({BATCH}, 1).")
    if not np.allclose(tape, expected, rtol=0.05, atol=0.0):
        hint = ""
        for other in ("sigmoid", "relu", "tanh", "linear"):
            if other != activation and np.allclose(
                tape,
                gradient_norms(
                    kernels, biases, [other] * DEPTH + ["linear"], DEEP_X, DEEP_Y, batch_norm=bn, residual=residual
                ),
                rtol=0.05,
            ):
                hint = f" Its hidden layers behave like {other}; expected {activation}: pass `activation` on."
        if not hint and np.allclose(
            tape,
            gradient_norms(kernels, biases, activations, DEEP_X, DEEP_Y, batch_norm=bn, residual=not residual),
            rtol=0.05,
        ):
            hint = (
                " It behaves like a network without skip connections."
                if residual
                else " It behaves like a network with skip connections: add them only when `residual=True`."
            )
        if residual:
            hint += (
                " The skip adds the block's input to its output after the activation, "
                "h_k = h_{k−1} + f(W h_{k−1} + b) (`keras.layers.Add()`), in every block but the first."
            )
        elif batch_norm:
            hint += " Each block is Dense (no activation inside) → BatchNormalization → Activation."
        elif not hint:
            hint = " Each block is Dense → activation, and the output a linear Dense(1)."
        raise Fail(
            f"{network} is not wired as asked: its gradients differ from those of "
            f"{_describe(activation, batch_norm, residual)}.{hint}"
        )
    return expected


def gradient_ratio(norms):
    return float(norms[0] / norms[-1])


def plain_sigmoid_ratio() -> float:
    """First/last gradient-norm ratio of the reference plain network: sigmoid, Glorot-uniform, seeded."""
    rng = np.random.default_rng(0)
    dims = [INPUT_DIM] + [WIDTH] * DEPTH + [1]
    kernels = [rng.uniform(-1, 1, size=(a, b)) * np.sqrt(6.0 / (a + b)) for a, b in zip(dims[:-1], dims[1:])]
    biases = [np.zeros(b) for b in dims[1:]]
    return gradient_ratio(gradient_norms(kernels, biases, ["sigmoid"] * DEPTH + ["linear"], DEEP_X, DEEP_Y))


decay = new(
    "gradients.decay", 2, "the 10-layer sigmoid network's first layer gets a gradient ≥ 1000× smaller than its last"
)


@decay.probe
def _(build_mlp):
    return network_probe(build_mlp)


@decay.verify
def _(r):
    norms = network_norms(r, "build_mlp(10, 32)")
    ratio = gradient_ratio(norms)
    if not ratio < DECAY_BOUND:
        raise Fail(
            f"in `build_mlp(10, 32)` the first layer's gradient norm is {ratio:.2g} × the last's; "
            f"a plain sigmoid network with Keras's default (Glorot) initialisation should show "
            f"a ratio below {DECAY_BOUND:g}. Use the defaults: activation='sigmoid', "
            "kernel_initializer='glorot_uniform', zero biases."
        )
