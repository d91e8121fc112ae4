"""Checks for assignment 04: deep networks and vanishing gradients (deck topics 12–13).

The deck's update of the first layer is a product of many factors,

    W₁ ← W₁ − η · ∂L/∂ŷ · ∂ŷ/∂h₃ · ∂h₃/∂h₂ · ∂h₂/∂h₁ · ∂h₁/∂W₁,

each ∂h_k/∂h_{k−1} = diag(σ'(z_k)) W_k with σ' ≤ 1/4, so the product becomes very small.
The references below are float64 NumPy: a forward/backward pass through dense stacks
(optionally with batch normalisation and skip connections) computed from the weights the probe
recorded, so the grader can re-verify every record without TensorFlow.
"""

from __future__ import annotations

import numpy as np

from . import expect
from ._core import Fail, new

# ----------------------------------------------------------------------------- NumPy references


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1/(1+e^(−z)), without overflow


ACTIVATIONS = {  # name: (f(u), f'(u))
    "sigmoid": (_sigmoid, lambda u: _sigmoid(u) * (1.0 - _sigmoid(u))),
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


# ----------------------------------------------------------------------------- 1. layer_gradient_norms


def _random_stack(seed, dims, scale):
    rng = np.random.default_rng(seed)
    kernels = [rng.normal(0.0, scale, size=(a, b)) for a, b in zip(dims[:-1], dims[1:])]
    biases = [rng.normal(0.0, 0.3, size=b) for b in dims[1:]]
    return kernels, biases


# Visible: Dense layers with their activation inside. Hidden: Dense + separate Activation layers
# (which have no kernel), a batch norm (which needs `training=True`), a Dense without bias,
# several outputs.
NORMS_CASES = {
    "visible": dict(dims=(5, 6, 6, 4, 1), activations=("sigmoid", "sigmoid", "sigmoid", "linear"),
                    split=False, no_bias=(), batch_norm=(), seed=40, batch=8),
    "hidden": dict(dims=(4, 7, 5, 3), activations=("relu", "tanh", "sigmoid"),
                   split=True, no_bias=(1,), batch_norm=(0,), seed=41, batch=10),
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
                layers.append(keras.layers.BatchNormalization(
                    epsilon=NORMS_BN[2], gamma_initializer=keras.initializers.Constant(NORMS_BN[0]),
                    beta_initializer=keras.initializers.Constant(NORMS_BN[1])))
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
    return {"norms": np.asarray(_numpy(layer_gradient_norms(model, x, y)), dtype=np.float64).reshape(-1)}


def _numpy(value):
    """A tensor, or a list of tensors, as NumPy."""
    if hasattr(value, "numpy"):
        return value.numpy()
    if isinstance(value, (list, tuple)):
        return [_numpy(v) for v in value]
    return value


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
            hint = (" That is two per layer: return only the kernels' gradients (`layer.kernel`), "
                    "not the biases'.")
        elif got.size == n + 1:
            hint = " Skip layers that have no kernel (Input, Activation, BatchNormalization)."
        raise Fail(f"`layer_gradient_norms` returned {got.size} norms for a model with {n} Dense "
                   f"layers; expected one per Dense kernel, a 1-D array of length {n}.{hint}")
    expect.finite(got, "the norms returned by `layer_gradient_norms`",
                  "A gradient is None when the kernel is not on the tape's path: call the model "
                  "inside `with tf.GradientTape() as tape:`.")
    activations_hint = ("Your numbers are the norms of the layers' outputs (activations), not of the "
                        "gradients ∂L/∂W: take `tape.gradient(loss, kernels)` and the norm of each gradient.")
    candidates = [
        (expected[::-1], "Your norms are in reverse order: list them from the first layer (input side) "
                         "to the last (output side), in the order of `model.layers`."),
        (np.array([np.linalg.norm(h) for h in outputs]), activations_hint),
        (np.array([np.linalg.norm(h @ W + b) for h, W, b in zip([x] + outputs[:-1], kernels, biases)]),
         activations_hint),
        (np.array([np.linalg.norm(W) for W in kernels]),
         "Your numbers are the norms of the kernels W themselves, not of the gradients ∂L/∂W."),
        (expected ** 2, "Your numbers are the squared norms: take the square root (`ops.norm`, "
                        "`tf.norm` or `np.linalg.norm`)."),
        (expected * x.shape[0], "Your norms are batch-size times too large: the loss is the *mean* "
                                "squared error over the batch, not the sum."),
        (expected * y.size, "Your norms are too large by the number of entries of y: use the mean "
                            "squared error (`keras.losses.MeanSquaredError()`), not the sum."),
        (expected / 2, "Your norms are half the expected ones: the loss is mean((ŷ − y)²), without ½."),
    ]
    hint = next((h for c, h in candidates if np.allclose(got, c, rtol=1e-2, atol=1e-7)),
                "Use L = mean squared error (`keras.losses.MeanSquaredError()`) of "
                "`model(x, training=True)`, the gradients w.r.t. each Dense layer's `kernel`, "
                "and their Frobenius norms.")
    expect.close(got, expected, "the array of norms returned by `layer_gradient_norms`", hint,
                 rtol=1e-2, atol=1e-7)  # several matrix products: holds under TF32


norms_visible = new("gradients.norms", 3,
                    "`layer_gradient_norms` returns ‖∂L/∂W‖ of every Dense kernel, first layer first")


@norms_visible.probe
def _(layer_gradient_norms):
    return _norms_probe(layer_gradient_norms, "visible")


@norms_visible.verify
def _(r):
    _norms_verify(r, "visible")


norms_hidden = new("gradients.norms_hidden", 1,
                   "`layer_gradient_norms` handles Activation layers, a kernel without bias and "
                   "several outputs", hidden=True)


@norms_hidden.probe
def _(layer_gradient_norms):
    return _norms_probe(layer_gradient_norms, "hidden")


@norms_hidden.verify
def _(r):
    _norms_verify(r, "hidden")


# ----------------------------------------------------------------------------- 2. deep networks

DEPTH, WIDTH, INPUT_DIM, BATCH = 10, 32, 16, 64
DEEP_X = np.random.default_rng(7).normal(size=(BATCH, INPUT_DIM)).astype(np.float32)
DEEP_Y = np.random.default_rng(8).normal(size=(BATCH, 1)).astype(np.float32)
NAIVE_INIT = {"class_name": "RandomNormal", "config": {"stddev": 0.05}}
DECAY_BOUND = 1e-3  # the plain 10-layer sigmoid network: first/last below this
REMEDY_FACTOR = 1e3  # each remedy raises first/last at least this much above the plain network's
GLOROT_FACTOR = 1e3  # Glorot's first/last at least this much above the naive N(0, 0.05²) init's


def _network_probe(build_mlp, **options):
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


def _describe(activation, batch_norm, residual):
    parts = [f"Dense → {'BatchNormalization → ' if batch_norm else ''}{activation}"]
    if residual:
        parts.append("plus its input (h_k = h_{k−1} + f(·)) from the second hidden layer on")
    return f"{DEPTH} hidden layers ({', '.join(parts)}) and a linear Dense(1) output"


def _network_norms(r, what, activation="sigmoid", batch_norm=False, residual=False):
    """Check the record is the specified network; return its float64 gradient norms."""
    n_dense = int(r["n_dense"])
    network = f"the network built by `{what}`"
    if n_dense != DEPTH + 1:
        raise Fail(f"{network} has {n_dense} Dense layers; expected {DEPTH + 1}: {DEPTH} hidden layers "
                   "and the Dense(1) output.")
    kernels = [np.asarray(r[f"kernel{k}"], np.float64) for k in range(n_dense)]
    expected_shapes = [(INPUT_DIM, WIDTH)] + [(WIDTH, WIDTH)] * (DEPTH - 1) + [(WIDTH, 1)]
    for k, (W, s) in enumerate(zip(kernels, expected_shapes)):
        if W.shape != s:
            raise Fail(f"in {network}, Dense layer {k + 1} has a kernel of shape {W.shape}, expected {s} "
                       f"(input {INPUT_DIM} features, width {WIDTH}, one output).")
    kinds = [str(k) for k in r["kinds"]]
    n_bn = int(r["n_bn"])
    if batch_norm:
        if kinds and kinds[-1] == "BatchNormalization":
            raise Fail(f"{network} ends with BatchNormalization: batch norm belongs inside each hidden "
                       "layer (Dense → BatchNormalization → activation), not after the output, where "
                       "it cannot help the gradients of the early layers.")
        if n_bn != DEPTH:
            raise Fail(f"{network} has {n_bn} BatchNormalization layers; expected one per hidden layer "
                       f"({DEPTH}), between each hidden Dense and its activation.")
    elif n_bn:
        raise Fail(f"{network} has {n_bn} BatchNormalization layers, but `batch_norm=False` was asked.")
    biases = [np.asarray(r[f"bias{k}"], np.float64) for k in range(n_dense)]
    bn = [(r[f"gamma{k}"], r[f"beta{k}"], r[f"eps{k}"]) for k in range(n_bn)] if batch_norm else None
    activations = [activation] * DEPTH + ["linear"]
    expected = gradient_norms(kernels, biases, activations, DEEP_X, DEEP_Y, batch_norm=bn, residual=residual)
    tape = np.asarray(r["tape_norms"], np.float64)
    if np.any(~np.isfinite(tape)):
        raise Fail(f"TensorFlow found no gradient for some kernels of {network}: is every Dense layer "
                   "connected from the input to the output?")
    if tuple(np.asarray(r["output_shape"]).tolist()) != (BATCH, 1):
        raise Fail(f"{network} outputs shape {tuple(np.asarray(r['output_shape']).tolist())}, "
                   f"expected ({BATCH}, 1).")
    if not np.allclose(tape, expected, rtol=0.05, atol=0.0):
        hint = ""
        for other in ("sigmoid", "relu", "tanh", "linear"):
            if other != activation and np.allclose(
                    tape, gradient_norms(kernels, biases, [other] * DEPTH + ["linear"], DEEP_X, DEEP_Y,
                                         batch_norm=bn, residual=residual), rtol=0.05):
                hint = f" Its hidden layers behave like {other}; expected {activation}: pass `activation` on."
        if not hint and np.allclose(tape, gradient_norms(kernels, biases, activations, DEEP_X, DEEP_Y,
                                                         batch_norm=bn, residual=not residual), rtol=0.05):
            hint = (" It behaves like a network without skip connections." if residual else
                    " It behaves like a network with skip connections: add them only when `residual=True`.")
        if residual:
            hint += (" The skip adds the block's input to its output after the activation, "
                     "h_k = h_{k−1} + f(W h_{k−1} + b) (`keras.layers.Add()`), in every block but the first.")
        elif batch_norm:
            hint += " Each block is Dense (no activation inside) → BatchNormalization → Activation."
        elif not hint:
            hint = " Each block is Dense → activation, and the output a linear Dense(1)."
        raise Fail(f"{network} is not wired as asked: its gradients differ from those of "
                   f"{_describe(activation, batch_norm, residual)}.{hint}")
    return expected


def _ratio(norms):
    return float(norms[0] / norms[-1])


def plain_sigmoid_ratio() -> float:
    """First/last gradient-norm ratio of the reference plain network: sigmoid, Glorot-uniform, seeded."""
    rng = np.random.default_rng(0)
    dims = [INPUT_DIM] + [WIDTH] * DEPTH + [1]
    kernels = [rng.uniform(-1, 1, size=(a, b)) * np.sqrt(6.0 / (a + b)) for a, b in zip(dims[:-1], dims[1:])]
    biases = [np.zeros(b) for b in dims[1:]]
    return _ratio(gradient_norms(kernels, biases, ["sigmoid"] * DEPTH + ["linear"], DEEP_X, DEEP_Y))


decay = new("gradients.decay", 2,
            "the 10-layer sigmoid network's first layer gets a gradient ≥ 1000× smaller than its last")


@decay.probe
def _(build_mlp):
    return _network_probe(build_mlp)


@decay.verify
def _(r):
    norms = _network_norms(r, "build_mlp(10, 32)")
    ratio = _ratio(norms)
    if not ratio < DECAY_BOUND:
        raise Fail(f"in `build_mlp(10, 32)` the first layer's gradient norm is {ratio:.2g} × the last's; "
                   f"a plain sigmoid network with Keras's default (Glorot) initialisation should show "
                   f"a ratio below {DECAY_BOUND:g}. Use the defaults: activation='sigmoid', "
                   "kernel_initializer='glorot_uniform', zero biases.")


def _remedy_check(name, points, title, options, activation="sigmoid", batch_norm=False, residual=False):
    check = new(f"remedies.{name}", points, title)
    call = "build_mlp(10, 32, " + ", ".join(f"{k}={v!r}" for k, v in options.items()) + ")"

    @check.probe
    def probe(build_mlp):
        return _network_probe(build_mlp, **options)

    @check.verify
    def verify(r):
        norms = _network_norms(r, call, activation, batch_norm, residual)
        ratio, plain = _ratio(norms), plain_sigmoid_ratio()
        if not ratio >= REMEDY_FACTOR * plain:
            raise Fail(f"in `{call}` the first/last gradient-norm ratio is {ratio:.2g}, only "
                       f"{ratio / plain:.3g} × the plain sigmoid network's ({plain:.2g}); this remedy "
                       f"should raise it at least {REMEDY_FACTOR:g}×.")

    return check


_remedy_check("relu_he", 2, "ReLU + He initialisation raises the first/last gradient ratio ≥ 1000×",
              dict(activation="relu", kernel_initializer="he_normal"), activation="relu")
_remedy_check("batch_norm", 2, "batch normalisation in every hidden layer raises the ratio ≥ 1000×",
              dict(batch_norm=True), batch_norm=True)
_remedy_check("residual", 2, "skip connections h_k = h_{k−1} + f(·) raise the ratio ≥ 1000×",
              dict(residual=True), residual=True)


glorot = new("remedies.glorot", 2,
             "Glorot initialisation gives a first/last ratio ≥ 1000× the naive N(0, 0.05²) init's")


@glorot.probe
def _(build_mlp):
    naive = _network_probe(build_mlp, kernel_initializer=NAIVE_INIT)
    scaled = _network_probe(build_mlp, kernel_initializer="glorot_uniform")
    return {**{f"naive_{k}": v for k, v in naive.items()}, **{f"glorot_{k}": v for k, v in scaled.items()}}


@glorot.verify
def _(r):
    def part(prefix):
        return {k[len(prefix):]: v for k, v in r.items() if k.startswith(prefix)}

    naive, scaled = part("naive_"), part("glorot_")
    std = float(np.std(np.asarray(naive["kernel1"])))
    if not 0.04 < std < 0.06:
        raise Fail(f"with `kernel_initializer=NAIVE_INIT` (N(0, 0.05²)) the hidden kernels of `build_mlp` "
                   f"have standard deviation {std:.3g}, not about 0.05: pass `kernel_initializer` to "
                   "every Dense layer.")
    naive_ratio = _ratio(_network_norms(naive, "build_mlp(10, 32, kernel_initializer=NAIVE_INIT)"))
    glorot_ratio = _ratio(_network_norms(scaled, "build_mlp(10, 32, kernel_initializer='glorot_uniform')"))
    if not glorot_ratio >= GLOROT_FACTOR * naive_ratio:
        raise Fail(f"Glorot's first/last ratio ({glorot_ratio:.2g}) is only {glorot_ratio / naive_ratio:.3g} × "
                   f"the naive init's ({naive_ratio:.2g}); expected at least {GLOROT_FACTOR:g}×. "
                   "Does `build_mlp` use the `kernel_initializer` it is given?")


# ----------------------------------------------------------------------------- 3. the chain rule by hand

CHAIN_DIMS = (4, 5, 4, 3)  # x, h1, h2, h3


def chain_params(seed: int, scale: float):
    """A fixed 3-hidden-layer sigmoid chain in the deck's convention: z_k = W_k h_{k−1} + b_k."""
    rng = np.random.default_rng(seed)
    params = {}
    for k, (n_in, n_out) in enumerate(zip(CHAIN_DIMS[:-1], CHAIN_DIMS[1:]), start=1):
        params[f"W{k}"] = rng.normal(0.0, scale, size=(n_out, n_in))
        params[f"b{k}"] = rng.normal(0.0, 0.5, size=n_out)
    params["w_out"] = rng.normal(0.0, scale, size=CHAIN_DIMS[-1])
    params["b_out"] = float(rng.normal())
    x = rng.normal(size=CHAIN_DIMS[0])
    y = float(rng.normal())
    return params, x, y


CHAIN_CASES = ((20, 1.0), (21, 2.5))  # (seed, weight scale): the second saturates some units


def ref_chain(params, x, y, derivative=None):
    """The deck's factors and ∂L/∂W₁ for L = ½(ŷ − y)²; ``derivative`` swaps σ' (for diagnoses)."""
    sig_prime = derivative or (lambda z: _sigmoid(z) * (1.0 - _sigmoid(z)))
    h, zs = x, []
    for k in (1, 2, 3):
        zs.append(params[f"W{k}"] @ h + params[f"b{k}"])
        h = _sigmoid(zs[-1])
    y_hat = params["w_out"] @ h + params["b_out"]
    n1, n0 = params["W1"].shape
    factors = {
        "dL_dyhat": np.float64(y_hat - y),
        "dyhat_dh3": params["w_out"].copy(),
        "dh3_dh2": sig_prime(zs[2])[:, None] * params["W3"],
        "dh2_dh1": sig_prime(zs[1])[:, None] * params["W2"],
        "dh1_dW1": np.einsum("i,ij,k->ijk", sig_prime(zs[0]), np.eye(n1), x),
    }
    row = factors["dL_dyhat"] * factors["dyhat_dh3"] @ factors["dh3_dh2"] @ factors["dh2_dh1"]
    grad_W1 = np.tensordot(row, factors["dh1_dW1"], axes=1)
    return factors, grad_W1, zs


FACTOR_NAMES = {
    "dL_dyhat": "∂L/∂ŷ", "dyhat_dh3": "∂ŷ/∂h₃", "dh3_dh2": "∂h₃/∂h₂", "dh2_dh1": "∂h₂/∂h₁", "dh1_dW1": "∂h₁/∂W₁",
}
CHAIN_TOL = dict(rtol=1e-5, atol=1e-9)


def _chain_hint(key, got, params, x, y, k_layer=None):
    sigma = ref_chain(params, x, y, derivative=_sigmoid)[0][key]
    _, _, zs = ref_chain(params, x, y)
    candidates = [
        (sigma, "It matches σ(z) where the derivative σ'(z) = σ(z)(1 − σ(z)) belongs."),
        (-ref_chain(params, x, y)[0][key], "Its sign is flipped: for L = ½(ŷ − y)², ∂L/∂ŷ = ŷ − y."),
    ]
    if key in ("dh3_dh2", "dh2_dh1"):
        k = 3 if key == "dh3_dh2" else 2
        W = params[f"W{k}"]
        prev = _sigmoid(zs[k - 2]) * (1 - _sigmoid(zs[k - 2]))
        candidates += [
            (W, "It is W_k alone: multiply row i by σ'(z_k)_i, i.e. diag(σ'(z_k)) W_k."),
            (W * prev[None, :], "It uses σ' of the layer below: ∂h_k/∂h_{k−1} = diag(σ'(z_k)) W_k, "
                                "with z_k the pre-activation of layer k itself."),
        ]
    for candidate, hint in candidates:
        if np.shape(candidate) == np.shape(got) and np.allclose(got, candidate, **CHAIN_TOL):
            return hint
    return ""


chain_factors_check = new("chain.factors", 2,
                          "each factor of the deck's product ∂L/∂ŷ · ∂ŷ/∂h₃ · ∂h₃/∂h₂ · ∂h₂/∂h₁ · ∂h₁/∂W₁")


@chain_factors_check.probe
def _(chain_factors):
    out = {}
    for i, (seed, scale) in enumerate(CHAIN_CASES):
        params, x, y = chain_params(seed, scale)
        factors = chain_factors({k: np.copy(v) for k, v in params.items()}, x.copy(), y)
        if not isinstance(factors, dict):
            raise Fail(f"`chain_factors` returned a {type(factors).__name__}; expected a dict with keys "
                       + ", ".join(FACTOR_NAMES) + ".")
        missing = [k for k in FACTOR_NAMES if k not in factors]
        if missing:
            raise Fail(f"the dict returned by `chain_factors` has no key {missing[0]!r}.")
        for key in FACTOR_NAMES:
            out[f"{key}{i}"] = np.asarray(_numpy(factors[key]), dtype=np.float64)
    return out


@chain_factors_check.verify
def _(r):
    for i, (seed, scale) in enumerate(CHAIN_CASES):
        params, x, y = chain_params(seed, scale)
        expected, _, _ = ref_chain(params, x, y)
        for key, name in FACTOR_NAMES.items():
            got = r[f"{key}{i}"]
            expect.shape(got, expected[key].shape, f"the factor {name} (`{key}`)")
            expect.close(got, expected[key], f"the factor {name} (`{key}`)",
                         _chain_hint(key, got, params, x, y), **CHAIN_TOL)


chain_gradient = new("chain.gradient", 2,
                     "the product of the factors gives ∂L/∂W₁, the gradient autodiff computes")


@chain_gradient.probe
def _(grad_W1_by_hand):
    out = {}
    for i, (seed, scale) in enumerate(CHAIN_CASES):
        params, x, y = chain_params(seed, scale)
        out[f"grad{i}"] = np.asarray(_numpy(grad_W1_by_hand({k: np.copy(v) for k, v in params.items()},
                                                           x.copy(), y)), dtype=np.float64)
    return out


@chain_gradient.verify
def _(r):
    for i, (seed, scale) in enumerate(CHAIN_CASES):
        params, x, y = chain_params(seed, scale)
        factors, expected, zs = ref_chain(params, x, y)
        got = r[f"grad{i}"]
        if got.shape == expected.T.shape and got.shape != expected.shape:
            raise Fail(f"∂L/∂W₁ has shape {got.shape}, the shape of W₁ transposed: it must have W₁'s shape "
                       f"{expected.shape} (row j, column k = ∂L/∂(W₁)_jk).")
        expect.shape(got, expected.shape, "∂L/∂W₁ (`grad_W1_by_hand`)")
        row = factors["dL_dyhat"] * factors["dyhat_dh3"] @ factors["dh3_dh2"] @ factors["dh2_dh1"]
        hint = ""
        if np.allclose(got, np.outer(row, x), **CHAIN_TOL):
            hint = "It is missing σ'(z₁): the last factor ∂h₁/∂W₁ contains it."
        elif np.allclose(got, -expected, **CHAIN_TOL):
            hint = "Its sign is flipped: ∂L/∂ŷ = ŷ − y."
        elif np.allclose(got, ref_chain(params, x, y, derivative=_sigmoid)[1], **CHAIN_TOL):
            hint = "It uses σ(z) where σ'(z) = σ(z)(1 − σ(z)) belongs."
        expect.close(got, expected, "∂L/∂W₁ from `grad_W1_by_hand`",
                     hint or "Multiply the factors in the deck's order (a row vector times Jacobians) "
                             "and contract with ∂h₁/∂W₁ (`np.tensordot(row, dh1_dW1, axes=1)`).",
                     **CHAIN_TOL)


# ----------------------------------------------------------------------------- 4. greedy layer-wise pretraining


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
    x = _sigmoid(z @ mixing + 0.3 * rng.normal(size=(n, dim)))
    return x.astype(np.float32), y.astype(np.int32)


STAGE_WIDTHS = (24, 16)  # the probes' two stages: 32 → 24 → 16
STAGE_N, STAGE_EPOCHS, N_CLASSES = 96, 2, 8


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
    model = stage([first], second, *args, epochs=STAGE_EPOCHS)
    if not isinstance(model, keras.Model):
        raise Fail(f"`{stage.__name__}` returned a {type(model).__name__}; it must return the "
                   "temporary model it trained (a `keras.Model`).")
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
    }


def _stage_verify(r, name, out_dim, out_what):
    if float(r["first_delta"]) != 0.0 or int(r["first_weights"]):
        raise Fail(f"`{name}` changed the weights of the earlier, already trained layer (by up to "
                   f"{float(r['first_delta']):.2g}): freeze every layer in `encoders` "
                   "(`layer.trainable = False`) before compiling; only `new_layer` (and the temporary "
                   "decoder or head) may train.")
    if bool(r["first_trainable"]):
        raise Fail(f"after `{name}` the earlier layer still has `trainable=True`: set "
                   "`layer.trainable = False` for every layer in `encoders`.")
    if not bool(r["second_trainable"]) or int(r["second_weights"]) == 0 or float(r["second_delta"]) == 0.0:
        raise Fail(f"`{name}` did not train the new layer: `new_layer` must be trainable and part of "
                   "the model you fit.")
    if int(r["head_weights"]) == 0:
        raise Fail(f"the model returned by `{name}` has no temporary decoder or head with trainable "
                   "weights: put a new Dense layer after `new_layer`.")
    if int(r["out_dim"]) != out_dim:
        raise Fail(f"the model trained by `{name}` on top of a {STAGE_WIDTHS[0]}-unit layer outputs "
                   f"{int(r['out_dim'])} values per example, expected {out_dim}: {out_what}")


unsupervised = new("pretrain.unsupervised", 2,
                   "unsupervised stage: an autoencoder of the codes, only the newest layer changes")


@unsupervised.probe
def _(unsupervised_stage):
    return _stage_probe(unsupervised_stage, supervised=False)


@unsupervised.verify
def _(r):
    _stage_verify(r, "unsupervised_stage", STAGE_WIDTHS[0],
                  "the autoencoder must reconstruct its own input, the codes of the frozen layers "
                  "(not the raw x).")


supervised = new("pretrain.supervised", 2,
                 "supervised stage: a temporary softmax head, only the newest layer changes")


@supervised.probe
def _(supervised_stage):
    return _stage_probe(supervised_stage, supervised=True)


@supervised.verify
def _(r):
    _stage_verify(r, "supervised_stage", N_CLASSES,
                  f"the temporary head is a Dense({N_CLASSES}, activation='softmax') classifier.")


finetune = new("pretrain.finetune", 1,
               "fine-tuning unfreezes the pretrained layers and trains them all with a new softmax head")


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
    model = fine_tune(layers, x, y, N_CLASSES, epochs=STAGE_EPOCHS)
    if not isinstance(model, keras.Model):
        raise Fail(f"`fine_tune` returned a {type(model).__name__}; it must return the trained "
                   "`keras.Model`.")
    probabilities = np.asarray(model(x[:8]))
    return {
        "deltas": np.array([_delta(b, _weights(layer)) for b, layer in zip(before, layers)]),
        "trainable": np.array([bool(layer.trainable) for layer in layers]),
        "uses_pretrained": np.array([any(layer is m for m in model.layers) for layer in layers]),
        "probabilities": probabilities,
    }


@finetune.verify
def _(r):
    if not np.all(r["uses_pretrained"]):
        raise Fail("the fine-tuned model does not contain the pretrained layers it was given: build it "
                   "from `encoders` (`classifier(encoders, n_classes)`), not from new layers.")
    if not np.all(r["trainable"]) or not np.all(r["deltas"] > 0):
        frozen = int(np.argmin(r["deltas"] > 0)) + 1 if not np.all(r["deltas"] > 0) else \
            int(np.argmin(r["trainable"])) + 1
        raise Fail(f"fine-tuning left pretrained layer {frozen} unchanged: set `layer.trainable = True` "
                   "on every layer of `encoders` before compiling, so the whole network is fine-tuned.")
    p = np.asarray(r["probabilities"], np.float64)
    expect.shape(p, (8, N_CLASSES), "the fine-tuned model's output for 8 examples")
    expect.close(p.sum(axis=1), np.ones(8), "the sums of the fine-tuned model's outputs",
                 f"The head must be a Dense({N_CLASSES}, activation='softmax').", **expect.MATMUL)


# The notebook's comparison, shortened for grading: the same three sigmoid layers of 32 units,
# greedily pretrained without labels by the student's `unsupervised_stage` and fine-tuned by the
# student's `fine_tune`, against the same layers from the same initial weights fine-tuned from
# scratch for as many epochs. Few epochs on more examples: each `fit` costs ~0.2 s CPU whatever its
# length, each epoch adds a little, each batch almost nothing. tests/checks/test_deep.py checks the
# claim on seeds 0–4 of this budget.
BEATS_WIDTHS, BEATS_N, BEATS_TASK_SEED = (32, 32, 32), 768, 5
BEATS_PRETRAIN_EPOCHS, BEATS_FINE_TUNE_EPOCHS = 2, 2
BEATS_MARGIN = 0.1  # nats: the pretrained network's training loss must be at least this much lower
GUESSING = float(np.log(N_CLASSES))  # the cross-entropy of predicting 1/8 for every class


def beats_scratch_probe(unsupervised_stage, fine_tune, seed=0):
    """Fine-tune the layers pretrained by `unsupervised_stage` and the same fresh layers; record both.

    The graded check runs seed 0; the tests run other seeds through the same code.
    """
    import keras

    x, y = pretraining_task(seed=BEATS_TASK_SEED + seed, n=BEATS_N)
    record = {}
    for run in ("scratch", "pretrained"):
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
            raise Fail(f"`fine_tune` returned a {type(model).__name__}; it must return the trained "
                       "`keras.Model`.")
        record[f"p_{run}"] = np.asarray(model(x))
        curve = getattr(getattr(model, "history", None), "history", {}).get("loss")  # if it used `fit`
        record[f"curve_{run}"] = np.asarray(curve or [np.nan], np.float64)
        if run == "pretrained":
            record["uses_pretrained"] = np.array([any(layer is m for m in model.layers) for layer in layers])
    return record


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
    loss = {}
    for run in ("pretrained", "scratch"):
        p = np.asarray(r[f"p_{run}"], np.float64)
        what = f"the output of the {run} network after `fine_tune`"
        expect.shape(p, (BEATS_N, N_CLASSES), what)
        expect.finite(p, what, f"Fine-tuning diverged: train with `SGD(FINE_TUNE_LR)` and a "
                               f"Dense({N_CLASSES}, activation='softmax') head.")
        loss[run] = _cross_entropy(p, y)
    if loss["pretrained"] <= loss["scratch"] - BEATS_MARGIN:
        return
    summary = (f"the pretrained network does not train better than from scratch: after "
               f"{BEATS_FINE_TUNE_EPOCHS} epochs of `fine_tune`, the layers pretrained by your "
               f"`unsupervised_stage` reach a training loss of {loss['pretrained']:.3f}"
               f"{_curve(r['curve_pretrained'])}, the same layers from scratch {loss['scratch']:.3f}"
               f"{_curve(r['curve_scratch'])}; pretraining should make it at least {BEATS_MARGIN} lower.")
    deltas = np.asarray(r["pretrain_deltas"], np.float64)
    if not np.all(r["uses_pretrained"]):
        cause = ("The fine-tuned model does not contain the pretrained layers: build it from `encoders` "
                 "(`classifier(encoders, n_classes)`) so it starts from the pretrained weights.")
    elif np.any(deltas == 0):
        cause = (f"Pretraining left layer {int(np.argmin(deltas != 0)) + 1} unchanged: `unsupervised_stage` "
                 "must fit an autoencoder whose encoder is `new_layer` (trainable).")
    elif loss["pretrained"] > GUESSING - 0.05:
        cause = (f"The pretrained network is no better than guessing (log {N_CLASSES} = {GUESSING:.2f}): "
                 "`fine_tune` must train the model it returns, with `SGD(FINE_TUNE_LR)` for the given "
                 "`epochs`.")
    else:
        cause = ("Pretraining gave no head start: `unsupervised_stage` should train `new_layer` with "
                 "`Adam(0.01)` for the given `epochs`, reconstructing the frozen layers' codes, and "
                 "`fine_tune` should keep the pretrained weights (not re-initialise them).")
    raise Fail(f"{summary} {cause}")


beats_scratch = new("pretrain.beats_scratch", 1,
                    "unsupervised pretraining, then `fine_tune`, beats the same network from scratch "
                    "(a short seeded run)")


@beats_scratch.probe
def _(unsupervised_stage, fine_tune):
    return beats_scratch_probe(unsupervised_stage, fine_tune)


@beats_scratch.verify
def _(r):
    beats_scratch_verify(r)


# ----------------------------------------------------------------------------- 5. depth versus width


def tent(x):
    """The deck's composition example: the tent map t(x) = 2 min(x, 1 − x) on [0, 1]."""
    return 2.0 * np.minimum(x, 1.0 - x)


def sawtooth(x, k):
    for _ in range(k):
        x = tent(x)
    return x


SAW_X = (np.arange(257) / 256).reshape(-1, 1).astype(np.float32)  # dyadic: exact even in TF32
SAW_DEPTHS = (1, 2, 5)


def sawtooth_params(k: int) -> int:
    return 6 * k + 1  # (1·2 + 2) + (k − 1)(2·2 + 2) + (2 + 1)


sawtooth_check = new("depth.sawtooth", 2,
                     "`sawtooth_network(k)` computes t∘…∘t (k times) with k hidden ReLU layers of width 2")


def _dense_summary(model):
    import keras

    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    return {
        "units": np.array([layer.units for layer in dense] or [0]),
        "activations": np.array([getattr(layer.activation, "__name__", "?") for layer in dense] or [""]),
        "params": int(model.count_params()),
    }


@sawtooth_check.probe
def _(sawtooth_network):
    out = {}
    for k in SAW_DEPTHS:
        model = sawtooth_network(k)
        out[f"y{k}"] = np.asarray(model(SAW_X)).reshape(-1)
        out.update({f"{key}{k}": v for key, v in _dense_summary(model).items()})
    return out


@sawtooth_check.verify
def _(r):
    x = SAW_X.reshape(-1).astype(np.float64)
    for k in SAW_DEPTHS:
        units = [int(u) for u in r[f"units{k}"]]
        if units != [2] * k + [1]:
            raise Fail(f"`sawtooth_network({k})` has Dense layers of widths {units}; expected {k} hidden "
                       f"layers of width 2 and a Dense(1) output: {[2] * k + [1]}.")
        acts = [str(a) for a in r[f"activations{k}"]]
        if acts[:-1] != ["relu"] * k:
            raise Fail(f"the hidden layers of `sawtooth_network({k})` use {acts[:-1]}; expected relu.")
        got = r[f"y{k}"]
        hint = ""
        for other in (k - 1, k + 1):
            if np.allclose(got, sawtooth(x, other), atol=1e-3):
                hint = (f"It computes t applied {other} times: each hidden layer should apply one tent "
                        "(the first layer reads x, every later one reads 2a − 4b of the previous layer's "
                        "two units), and the output layer turns the last pair into t.")
        expect.close(got, sawtooth(x, k), f"`sawtooth_network({k})(x)`",
                     hint or "Use t(x) = 2·relu(x) − 4·relu(x − ½) on [0, 1]: hidden units relu(s) and "
                             "relu(s − ½) of the previous tent s, output 2a − 4b.",
                     inputs={"x": x}, rtol=0, atol=2e-3)
        if int(r[f"params{k}"]) != sawtooth_params(k):
            raise Fail(f"`sawtooth_network({k})` has {int(r[f'params{k}'])} parameters; expected "
                       f"{sawtooth_params(k)} = 6k + 1.")


BUDGETS = (31, 30, 100, 7)
budget_check = new("depth.budget", 1,
                   "`shallow_wide(n_params)`: one hidden ReLU layer, as wide as the budget allows")


@budget_check.probe
def _(shallow_wide):
    out = {}
    for budget in BUDGETS:
        out.update({f"{key}{budget}": v for key, v in _dense_summary(shallow_wide(budget)).items()})
    return out


@budget_check.verify
def _(r):
    for budget in BUDGETS:
        units = [int(u) for u in r[f"units{budget}"]]
        if len(units) != 2 or units[-1] != 1:
            raise Fail(f"`shallow_wide({budget})` has Dense layers of widths {units}; expected one hidden "
                       "layer and a Dense(1) output.")
        if str(r[f"activations{budget}"][0]) != "relu":
            raise Fail(f"the hidden layer of `shallow_wide({budget})` uses "
                       f"{str(r[f'activations{budget}'][0])}; expected relu.")
        width, params, best = units[0], int(r[f"params{budget}"]), (budget - 1) // 3
        if params > budget:
            raise Fail(f"`shallow_wide({budget})` has {params} parameters, over the budget of {budget}: "
                       "a 1 → w → 1 network has w + w (weights) + w + 1 (biases) = 3w + 1 parameters.")
        if width != best:
            raise Fail(f"`shallow_wide({budget})` has width {width}; the widest network within the budget "
                       f"has width {best} (3w + 1 ≤ {budget}).")
