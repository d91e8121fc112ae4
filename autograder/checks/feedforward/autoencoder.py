"""``autoencoder.*``: x̂ = decoder(encoder(x)), trained so that x̂ ≈ x; its reconstruction error
e(x, x̂) = (1/d) Σ_k (x_k − x̂_k)², one number per image."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from .._probes import optimizer_built
from ._shared import digits_split


def ref_reconstruction_error(x, x_hat):
    diff = np.asarray(x, np.float64) - np.asarray(x_hat, np.float64)
    return np.mean(np.square(diff), axis=-1)


_rng = np.random.default_rng(5)
ERR_X = np.round(_rng.uniform(0.0, 1.0, size=(4, 6)), 2).astype(np.float32)
ERR_X_HAT = np.round(_rng.uniform(0.0, 1.0, size=(4, 6)), 2).astype(np.float32)

error_check = new(
    "autoencoder.error", 1, "`reconstruction_error` gives each image's mean squared error over its pixels"
)


@error_check.probe
def _(reconstruction_error):
    return {
        "error": reconstruction_error(ERR_X.copy(), ERR_X_HAT.copy()),
        "error_same": reconstruction_error(ERR_X.copy(), ERR_X.copy()),
    }


@error_check.verify
def _(r):
    expected = ref_reconstruction_error(ERR_X, ERR_X_HAT)
    error = np.asarray(r["error"], np.float64)
    if error.shape != expected.shape:
        hint = (
            "a single number: average over the pixel axis only (`axis=-1`), keeping one error per image"
            if error.ndim == 0
            else "one number per pixel: you averaged over the images (axis 0); average over the pixels (`axis=-1`)"
            if error.shape == ERR_X.shape[1:]
            else ""
        )
        raise Fail(
            f"`reconstruction_error(x, x_hat)` for x of shape {ERR_X.shape} has shape "
            f"{error.shape}, expected {expected.shape} (one error per image)" + (f": it is {hint}." if hint else ".")
        )
    diff = ERR_X.astype(np.float64) - ERR_X_HAT
    hint = expect.diagnose(
        error,
        [
            (
                np.sum(np.square(diff), axis=-1),
                "It matches the *sum* of squared errors: divide by the number of pixels (use the mean).",
            ),
            (
                np.sqrt(np.mean(np.square(diff), axis=-1)),
                "It matches the root of the mean squared error: do not take the square root.",
            ),
            (np.mean(np.abs(diff), axis=-1), "It matches the mean *absolute* error: square the differences."),
            (
                np.mean(diff, axis=-1),
                "It matches the mean of the raw differences: square them, or positive and negative errors cancel.",
            ),
        ],
    )
    expect.close(error, expected, "`reconstruction_error(x, x_hat)`", hint, **expect.ELEMENTWISE)
    expect.close(
        r["error_same"],
        np.zeros(len(ERR_X)),
        "`reconstruction_error(x, x)` (a perfect reconstruction)",
        "The error of a perfect reconstruction is 0.",
        **expect.ELEMENTWISE,
    )


AE_CODE, AE_HIDDEN = 3, 16
AE_X = np.random.default_rng(6).uniform(0.0, 1.0, size=(20, 64)).astype(np.float32)
AE_FAR_CODES = (1000.0 * np.random.default_rng(7).normal(size=(20, AE_CODE))).astype(np.float32)


def _dense_params(n_in, n_out):
    return n_in * n_out + n_out


ENCODER_PARAMS = _dense_params(64, AE_HIDDEN) + _dense_params(AE_HIDDEN, AE_CODE)
DECODER_PARAMS = _dense_params(AE_CODE, AE_HIDDEN) + _dense_params(AE_HIDDEN, 64)


# The hidden layers, isolated: the checks load these weights into the student's encoder and
# decoder, so that their outputs can be compared with the formula. Seeded; scaled so that about
# half the hidden pre-activations are negative and the ReLU matters.
_weights_rng = np.random.default_rng(8)
ENCODER_WEIGHTS = (
    (_weights_rng.normal(size=(64, AE_HIDDEN)) / 8.0).astype(np.float32),
    _weights_rng.normal(0.0, 0.1, size=AE_HIDDEN).astype(np.float32),
    (_weights_rng.normal(size=(AE_HIDDEN, AE_CODE)) / 4.0).astype(np.float32),
    _weights_rng.normal(0.0, 0.1, size=AE_CODE).astype(np.float32),
)
DECODER_WEIGHTS = (
    _weights_rng.normal(size=(AE_CODE, AE_HIDDEN)).astype(np.float32),
    _weights_rng.normal(0.0, 0.1, size=AE_HIDDEN).astype(np.float32),
    (_weights_rng.normal(size=(AE_HIDDEN, 64)) / 2.0).astype(np.float32),
    _weights_rng.normal(0.0, 0.1, size=64).astype(np.float32),
)
AE_CODES_IN = _weights_rng.normal(size=(20, AE_CODE)).astype(np.float32)


def _relu(z):
    return np.maximum(z, 0.0)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _identity(z):
    return z


def _two_dense(x, weights, hidden_activation, output_activation):
    """Dense(activation=hidden_activation) then Dense(activation=output_activation), float64."""
    w0, b0, w1, b1 = (np.asarray(w, np.float64) for w in weights)
    return output_activation(hidden_activation(np.asarray(x, np.float64) @ w0 + b0) @ w1 + b1)


def ref_encoder_output():
    return _two_dense(AE_X, ENCODER_WEIGHTS, _relu, _identity)


def ref_decoder_output():
    return _two_dense(AE_CODES_IN, DECODER_WEIGHTS, _relu, _sigmoid)


HIDDEN_ACTIVATIONS = {"no activation (linear)": _identity, "tanh": np.tanh, "sigmoid": _sigmoid}


def _with_weights(model, weights):
    """The model's output on fixed weights, or None if they do not fit (the counts explain)."""
    try:
        model.set_weights([np.array(w) for w in weights])
    except Exception:
        return None
    return model


def _unpack_autoencoder(built):
    if not (isinstance(built, (tuple, list)) and len(built) == 3):
        raise Fail(
            "`build_autoencoder` should return three models, `(autoencoder, encoder, decoder)`; "
            f"it returned {type(built).__name__}."
        )
    return built


ae_structure = new(
    "autoencoder.structure", 2, "`build_autoencoder`: 64 → hidden → code → hidden → 64, autoencoder = decoder ∘ encoder"
)


@ae_structure.probe
def _(build_autoencoder):
    import keras

    keras.utils.set_random_seed(0)
    autoencoder, encoder, decoder = _unpack_autoencoder(build_autoencoder(code_dim=AE_CODE, hidden=AE_HIDDEN))
    code = encoder(AE_X)
    record = {
        "code": code,
        "through_both": decoder(code),
        "autoencoder": autoencoder(AE_X),
        "far": decoder(AE_FAR_CODES),
        "encoder_params": encoder.count_params(),
        "decoder_params": decoder.count_params(),
        "autoencoder_params": autoencoder.count_params(),
        "compiled": getattr(autoencoder, "optimizer", None) is not None,
    }
    # Last, as it overwrites the trained-from-seed weights: the layers on known weights.
    if _with_weights(encoder, ENCODER_WEIGHTS) is not None:
        record["fixed_code"] = encoder(AE_X)
    if _with_weights(decoder, DECODER_WEIGHTS) is not None:
        record["fixed_decoded"] = decoder(AE_CODES_IN)
    return record


@ae_structure.verify
def _(r):
    call = f"`build_autoencoder(code_dim={AE_CODE}, hidden={AE_HIDDEN})`"
    code = np.asarray(r["code"])
    if code.shape != (len(AE_X), AE_CODE):
        raise Fail(
            f"the encoder of {call} maps {len(AE_X)} images to codes of shape {code.shape}, expected "
            f"{(len(AE_X), AE_CODE)}: its last layer is `Dense(code_dim)`, the bottleneck."
        )
    expect.shape(r["autoencoder"], AE_X.shape, f"the output of the autoencoder of {call}")
    layout = {
        "encoder": (int(r["encoder_params"]), ENCODER_PARAMS, f"64 → Dense({AE_HIDDEN}, relu) → Dense({AE_CODE})"),
        "decoder": (
            int(r["decoder_params"]),
            DECODER_PARAMS,
            f"{AE_CODE} → Dense({AE_HIDDEN}, relu) → Dense(64, sigmoid)",
        ),
    }
    for name, (got, expected, shape) in layout.items():
        if got != expected:
            raise Fail(
                f"the {name} of {call} has {got} parameters, expected {expected} for {shape} "
                "(each Dense layer has n_in·n_out weights and n_out biases)."
            )
    if int(r["autoencoder_params"]) != ENCODER_PARAMS + DECODER_PARAMS or not expect.matches(
        r["autoencoder"], r["through_both"]
    ):
        raise Fail(
            f"the autoencoder has {int(r['autoencoder_params'])} parameters and `autoencoder(x)` "
            "is not `decoder(encoder(x))`: it must *reuse* the encoder and decoder (e.g. "
            "`keras.Sequential([encoder, decoder])`), not new layers — otherwise training the "
            "autoencoder leaves the encoder you plot untrained."
        )
    if np.all(code >= 0):
        raise Fail(
            "every code value is ≥ 0 on random inputs: the code layer `Dense(code_dim)` should be "
            "linear (no activation), so that the code can use the whole plane."
        )
    far = np.asarray(r["far"], np.float64)
    # A saturated sigmoid gives exactly 0 or 1: allow float round-off, not a linear output's range.
    if np.any(far < -1e-6) or np.any(far > 1 + 1e-6) or not np.all(np.isfinite(far)):
        raise Fail(
            f"on codes far from 0 the decoder outputs values in [{np.nanmin(far):.3g}, "
            f"{np.nanmax(far):.3g}]: pixels lie in [0, 1], so its last layer should be "
            '`Dense(64, activation="sigmoid")`.'
        )
    _verify_hidden_layers(r, call)
    if not bool(r["compiled"]):
        raise Fail(
            'the autoencoder is not compiled: call `autoencoder.compile(optimizer=..., loss="mse")` '
            "before returning it."
        )


def _verify_hidden_layers(r, call):
    """The encoder and the decoder on known weights against their formula. Without the ReLU of
    their hidden layers both are affine maps with the same parameter counts, and the autoencoder
    is linear (up to the output sigmoid): it can do no better than PCA (Baldi & Hornik 1989), yet
    on the 8×8 digits it even passes the training bound. Only the activations tell it apart."""
    relu = '`Dense(hidden, activation="relu")`'
    parts = (
        ("encoder", "fixed_code", AE_X, ENCODER_WEIGHTS, _identity, ref_encoder_output, "`Dense(code_dim)` (linear)"),
        (
            "decoder",
            "fixed_decoded",
            AE_CODES_IN,
            DECODER_WEIGHTS,
            _sigmoid,
            ref_decoder_output,
            '`Dense(64, activation="sigmoid")`',
        ),
    )
    for name, key, inputs, weights, output_activation, reference, last in parts:
        if key not in r:
            raise Fail(
                f"the weights of a {relu} → {last} {name} do not fit the {name} of {call}: it must "
                "hold those two Dense layers and no other layer with weights."
            )
        outputs = r[key]
        if expect.matches(outputs, reference(), **expect.MATMUL):
            continue
        hint = expect.diagnose(
            outputs,
            [
                (
                    lambda activation=activation: _two_dense(inputs, weights, activation, output_activation),
                    f"It matches a hidden layer with {label}: give it {relu}. Without the ReLU the "
                    f"{name} is an affine map, and an autoencoder of affine maps can do no better "
                    "than PCA, the best *linear* code.",
                )
                for label, activation in HIDDEN_ACTIVATIONS.items()
            ],
            **expect.MATMUL,
        )
        raise Fail(
            f"with the weights of each layer set by the check, the {name} of {call} does not compute "
            f"{relu} → {last}. " + (hint or "Check the activation of each layer.")
        )


AE_TRAIN_CODE, AE_TRAIN_EPOCHS, AE_ERROR_BOUND = 8, 2, 0.045
MEAN_IMAGE_ERROR = 0.0727  # test error of always predicting the mean training image (0.07266 measured)

ae_training = new(
    "autoencoder.training",
    2,
    f"after {AE_TRAIN_EPOCHS} seeded epochs, the 8-D autoencoder's test reconstruction error is < {AE_ERROR_BOUND}",
)


def train_autoencoder(build_autoencoder, seed=0, epochs=AE_TRAIN_EPOCHS, code_dim=AE_TRAIN_CODE):
    """Seeded training on the fixed split: the test images and their reconstructions.

    The check uses seed 0 and a few epochs; tests/ runs it over several seeds.
    """
    import keras

    (x_train, _), (x_test, _) = digits_split()
    x_train, x_test = x_train.reshape(len(x_train), 64), x_test.reshape(len(x_test), 64)
    keras.utils.set_random_seed(seed)
    autoencoder, _, _ = _unpack_autoencoder(build_autoencoder(code_dim=code_dim, hidden=32))
    optimizer_built(autoencoder, x_train).fit(x_train, x_train, epochs=epochs, batch_size=32, verbose=0)
    return {"x": x_test, "x_hat": autoencoder(x_test)}


@ae_training.probe
def _(build_autoencoder):
    return train_autoencoder(build_autoencoder)


@ae_training.verify
def _(r):
    expect.shape(r["x_hat"], r["x"].shape, "the autoencoder's reconstruction of the test images")
    expect.finite(
        r["x_hat"],
        "the autoencoder's reconstruction of the test images",
        "Training diverged: is the learning rate too large?",
    )
    error = float(np.mean(ref_reconstruction_error(r["x"], r["x_hat"])))
    if error >= AE_ERROR_BOUND:
        raise Fail(
            f"after {AE_TRAIN_EPOCHS} epochs (seed 0, batch 32) `build_autoencoder(code_dim="
            f"{AE_TRAIN_CODE})` reconstructs the test digits with mean squared error {error:.4f}; "
            f"the bound is {AE_ERROR_BOUND} (predicting the mean image gives {MEAN_IMAGE_ERROR}). "
            'Compile with `keras.optimizers.Adam(learning_rate=0.01)` and `loss="mse"`.'
        )
