"""Checks for assignment 05: feed-forward architectures (deck topics 7 and 14).

    autoencoder     x̂ = g(x) = decoder(encoder(x)), trained so that x̂ ≈ x;
                    reconstruction error e(x, x̂) = (1/d) Σ_k (x_k − x̂_k)²  (one number per image)
    weight sharing  a conv layer is the dense layer  flatten(y) = flatten(x) · M + b  whose matrix M
                    holds the same kernel at every output position (zeros elsewhere);
                    parameters: dense (HWC + 1)·H'W'F, locally connected (k_h k_w C + 1)·H'W'F,
                    conv (k_h k_w C + 1)·F, with H' = H − k_h + 1, W' = W − k_w + 1 ('valid')
    OCR             a small CNN on scikit-learn's 8×8 digits; confusion matrix C[true, predicted]
"""

from __future__ import annotations

import functools

import numpy as np

from . import expect
from ._core import Fail, new

# ----------------------------------------------------------------------------- data

TEST_SIZE = 360
SPLIT_SEED = 0


@functools.lru_cache(maxsize=1)
def _digits():
    from sklearn.datasets import load_digits  # ships inside scikit-learn: nothing is downloaded

    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")  # pixel values 0..16 scaled to [0, 1]
    labels = digits.target.astype("int64")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    test, train = order[:TEST_SIZE], order[TEST_SIZE:]
    return images[train], labels[train], images[test], labels[test]


def digits_split():
    """The course's fixed split of scikit-learn's 8×8 digits: ``(x_train, y_train), (x_test, y_test)``.

    Images are float32 of shape (n, 8, 8) with pixels in [0, 1]; labels are int64 in 0..9.
    1437 training and 360 test images, the same every time (the checks use this split too).
    """
    x_train, y_train, x_test, y_test = (array.copy() for array in _digits())
    return (x_train, y_train), (x_test, y_test)


# ----------------------------------------------------------------------------- references
# float64 NumPy: the truth the records are compared with.


def ref_reconstruction_error(x, x_hat):
    diff = np.asarray(x, np.float64) - np.asarray(x_hat, np.float64)
    return np.mean(np.square(diff), axis=-1)


def ref_conv_matrix(kernel, input_shape, flip=False, channels_first=False):
    """The dense matrix M with flatten(conv(x)) = flatten(x) @ M ('valid', stride 1, no bias).

    ``flip`` and ``channels_first`` build two known wrong variants, used to name a mistake.
    """
    kernel = np.asarray(kernel, np.float64)
    if flip:
        kernel = kernel[::-1, ::-1]
    kh, kw, c_in, c_out = kernel.shape
    height, width = input_shape[0], input_shape[1]
    out_h, out_w = height - kh + 1, width - kw + 1
    matrix = np.zeros((height, width, c_in, out_h, out_w, c_out))
    for p in range(out_h):
        for q in range(out_w):
            matrix[p:p + kh, q:q + kw, :, p, q, :] = kernel
    if channels_first:
        matrix = matrix.transpose(2, 0, 1, 5, 3, 4)
    return matrix.reshape(height * width * c_in, out_h * out_w * c_out)


def ref_conv(x, kernel):
    """Keras's Conv2D ('valid', stride 1, no bias): a cross-correlation, the kernel is not flipped."""
    x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    kh, kw = kernel.shape[:2]
    out_h, out_w = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    y = np.zeros((x.shape[0], out_h, out_w, kernel.shape[3]))
    for p in range(out_h):
        for q in range(out_w):
            y[:, p, q, :] = np.einsum("nabc,abco->no", x[:, p:p + kh, q:q + kw, :], kernel)
    return y


def ref_parameter_counts(input_shape, kernel_size, filters):
    height, width, channels = input_shape
    kh, kw = kernel_size
    outputs = (height - kh + 1) * (width - kw + 1) * filters
    return {
        "dense": outputs * (height * width * channels + 1),
        "local": outputs * (kh * kw * channels + 1),
        "conv": filters * (kh * kw * channels + 1),
    }


def ref_confusion_matrix(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


def _matches(actual, expected) -> bool:
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    return actual.shape == expected.shape and np.allclose(actual, expected, rtol=1e-4, atol=1e-5)


def _diagnose(actual, candidates) -> str:
    """The hint of the first known mistake whose formula reproduces the student's output."""
    for expected, hint in candidates:
        with np.errstate(all="ignore"):
            if _matches(actual, expected):
                return hint
    return ""


# ----------------------------------------------------------------------------- 1. autoencoder

_rng = np.random.default_rng(5)
ERR_X = np.round(_rng.uniform(0.0, 1.0, size=(4, 6)), 2).astype(np.float32)
ERR_X_HAT = np.round(_rng.uniform(0.0, 1.0, size=(4, 6)), 2).astype(np.float32)

error_check = new("autoencoder.error", 1,
                  "`reconstruction_error` gives each image's mean squared error over its pixels")


@error_check.probe
def _(reconstruction_error):
    return {"error": reconstruction_error(ERR_X.copy(), ERR_X_HAT.copy()),
            "error_same": reconstruction_error(ERR_X.copy(), ERR_X.copy())}


@error_check.verify
def _(r):
    expected = ref_reconstruction_error(ERR_X, ERR_X_HAT)
    error = np.asarray(r["error"], np.float64)
    if error.shape != expected.shape:
        hint = ("a single number: average over the pixel axis only (`axis=-1`), keeping one error per image"
                if error.ndim == 0 else
                "one number per pixel: you averaged over the images (axis 0); average over the pixels (`axis=-1`)"
                if error.shape == ERR_X.shape[1:] else "")
        raise Fail(f"`reconstruction_error(x, x_hat)` for x of shape {ERR_X.shape} has shape "
                   f"{error.shape}, expected {expected.shape} (one error per image)"
                   + (f": it is {hint}." if hint else "."))
    diff = ERR_X.astype(np.float64) - ERR_X_HAT
    hint = _diagnose(error, [
        (np.sum(np.square(diff), axis=-1), "It matches the *sum* of squared errors: divide by the number of "
                                           "pixels (use the mean)."),
        (np.sqrt(np.mean(np.square(diff), axis=-1)), "It matches the root of the mean squared error: "
                                                     "do not take the square root."),
        (np.mean(np.abs(diff), axis=-1), "It matches the mean *absolute* error: square the differences."),
        (np.mean(diff, axis=-1), "It matches the mean of the raw differences: square them, or positive "
                                 "and negative errors cancel."),
    ])
    expect.close(error, expected, "`reconstruction_error(x, x_hat)`", hint, **expect.ELEMENTWISE)
    expect.close(r["error_same"], np.zeros(len(ERR_X)), "`reconstruction_error(x, x)` (a perfect reconstruction)",
                 "The error of a perfect reconstruction is 0.", **expect.ELEMENTWISE)


AE_CODE, AE_HIDDEN = 3, 16
AE_X = np.random.default_rng(6).uniform(0.0, 1.0, size=(20, 64)).astype(np.float32)
AE_FAR_CODES = (1000.0 * np.random.default_rng(7).normal(size=(20, AE_CODE))).astype(np.float32)


def _dense_params(n_in, n_out):
    return n_in * n_out + n_out


ENCODER_PARAMS = _dense_params(64, AE_HIDDEN) + _dense_params(AE_HIDDEN, AE_CODE)
DECODER_PARAMS = _dense_params(AE_CODE, AE_HIDDEN) + _dense_params(AE_HIDDEN, 64)


def _unpack_autoencoder(built):
    if not (isinstance(built, (tuple, list)) and len(built) == 3):
        raise Fail("`build_autoencoder` should return three models, `(autoencoder, encoder, decoder)`; "
                   f"it returned {type(built).__name__}.")
    return built


ae_structure = new("autoencoder.structure", 2,
                   "`build_autoencoder`: 64 → hidden → code → hidden → 64, autoencoder = decoder ∘ encoder")


@ae_structure.probe
def _(build_autoencoder):
    import keras

    keras.utils.set_random_seed(0)
    autoencoder, encoder, decoder = _unpack_autoencoder(build_autoencoder(code_dim=AE_CODE, hidden=AE_HIDDEN))
    code = encoder(AE_X)
    return {
        "code": code,
        "through_both": decoder(code),
        "autoencoder": autoencoder(AE_X),
        "far": decoder(AE_FAR_CODES),
        "encoder_params": encoder.count_params(),
        "decoder_params": decoder.count_params(),
        "autoencoder_params": autoencoder.count_params(),
        "compiled": getattr(autoencoder, "optimizer", None) is not None,
    }


@ae_structure.verify
def _(r):
    call = f"`build_autoencoder(code_dim={AE_CODE}, hidden={AE_HIDDEN})`"
    code = np.asarray(r["code"])
    if code.shape != (len(AE_X), AE_CODE):
        raise Fail(f"the encoder of {call} maps {len(AE_X)} images to codes of shape {code.shape}, expected "
                   f"{(len(AE_X), AE_CODE)}: its last layer is `Dense(code_dim)`, the bottleneck.")
    expect.shape(r["autoencoder"], AE_X.shape, f"the output of the autoencoder of {call}")
    layout = {"encoder": (int(r["encoder_params"]), ENCODER_PARAMS,
                          f"64 → Dense({AE_HIDDEN}, relu) → Dense({AE_CODE})"),
              "decoder": (int(r["decoder_params"]), DECODER_PARAMS,
                          f"{AE_CODE} → Dense({AE_HIDDEN}, relu) → Dense(64, sigmoid)")}
    for name, (got, expected, shape) in layout.items():
        if got != expected:
            raise Fail(f"the {name} of {call} has {got} parameters, expected {expected} for {shape} "
                       "(each Dense layer has n_in·n_out weights and n_out biases).")
    if int(r["autoencoder_params"]) != ENCODER_PARAMS + DECODER_PARAMS or not _matches(r["autoencoder"], r["through_both"]):
        raise Fail(f"the autoencoder has {int(r['autoencoder_params'])} parameters and `autoencoder(x)` "
                   "is not `decoder(encoder(x))`: it must *reuse* the encoder and decoder (e.g. "
                   "`keras.Sequential([encoder, decoder])`), not new layers — otherwise training the "
                   "autoencoder leaves the encoder you plot untrained.")
    if np.all(code >= 0):
        raise Fail("every code value is ≥ 0 on random inputs: the code layer `Dense(code_dim)` should be "
                   "linear (no activation), so that the code can use the whole plane.")
    far = np.asarray(r["far"], np.float64)
    if np.any(far < 0) or np.any(far > 1) or not np.all(np.isfinite(far)):
        raise Fail(f"on codes far from 0 the decoder outputs values in [{np.nanmin(far):.3g}, "
                   f"{np.nanmax(far):.3g}]: pixels lie in [0, 1], so its last layer should be "
                   "`Dense(64, activation=\"sigmoid\")`.")
    if not bool(r["compiled"]):
        raise Fail("the autoencoder is not compiled: call `autoencoder.compile(optimizer=..., loss=\"mse\")` "
                   "before returning it.")


AE_TRAIN_CODE, AE_TRAIN_EPOCHS, AE_ERROR_BOUND = 8, 3, 0.045
MEAN_IMAGE_ERROR = 0.074  # test error of always predicting the mean training image

ae_training = new("autoencoder.training", 2,
                  f"after {AE_TRAIN_EPOCHS} seeded epochs, the 8-D autoencoder's test reconstruction error "
                  f"is < {AE_ERROR_BOUND}")


def train_autoencoder(build_autoencoder, seed=0, epochs=AE_TRAIN_EPOCHS, code_dim=AE_TRAIN_CODE):
    """Seeded training on the fixed split: the test images and their reconstructions.

    The check uses seed 0 and a few epochs; tests/ runs it over several seeds.
    """
    import keras

    (x_train, _), (x_test, _) = digits_split()
    x_train, x_test = x_train.reshape(len(x_train), 64), x_test.reshape(len(x_test), 64)
    keras.utils.set_random_seed(seed)
    autoencoder, _, _ = _unpack_autoencoder(build_autoencoder(code_dim=code_dim, hidden=32))
    autoencoder.fit(x_train, x_train, epochs=epochs, batch_size=32, verbose=0)
    return {"x": x_test, "x_hat": autoencoder(x_test)}


@ae_training.probe
def _(build_autoencoder):
    return train_autoencoder(build_autoencoder)


@ae_training.verify
def _(r):
    expect.shape(r["x_hat"], r["x"].shape, "the autoencoder's reconstruction of the test images")
    expect.finite(r["x_hat"], "the autoencoder's reconstruction of the test images",
                  "Training diverged: is the learning rate too large?")
    error = float(np.mean(ref_reconstruction_error(r["x"], r["x_hat"])))
    if error >= AE_ERROR_BOUND:
        raise Fail(f"after {AE_TRAIN_EPOCHS} epochs (seed 0, batch 32) `build_autoencoder(code_dim="
                   f"{AE_TRAIN_CODE})` reconstructs the test digits with mean squared error {error:.4f}; "
                   f"the bound is {AE_ERROR_BOUND} (predicting the mean image gives {MEAN_IMAGE_ERROR}). "
                   "Compile with `keras.optimizers.Adam(learning_rate=0.01)` and `loss=\"mse\"`.")


# ----------------------------------------------------------------------------- 2. weight sharing

COUNT_CASES = (((8, 8, 1), (3, 3), 16), ((28, 28, 3), (5, 5), 32), ((6, 10, 2), (3, 2), 4))

counts_check = new("weight_sharing.counts", 2,
                   "`parameter_counts`: dense vs locally connected vs conv on the same input")


@counts_check.probe
def _(parameter_counts):
    out = {}
    for i, (input_shape, kernel_size, filters) in enumerate(COUNT_CASES):
        counts = parameter_counts(input_shape, kernel_size, filters)
        if not isinstance(counts, dict):
            raise Fail(f"`parameter_counts` should return a dict with keys 'dense', 'local' and 'conv'; "
                       f"it returned {type(counts).__name__}.")
        for key in ("dense", "local", "conv"):
            if key not in counts:
                raise Fail(f"the dict returned by `parameter_counts` has no key {key!r}.")
            out[f"{key}{i}"] = int(counts[key])
    return out


def _count_mistakes(input_shape, kernel_size, filters):
    """Per quantity, the counts that known mistakes give, with a hint naming each."""
    height, width, channels = input_shape
    kh, kw = kernel_size
    positions = (height - kh + 1) * (width - kw + 1)
    same_positions = height * width
    window = kh * kw * channels
    return {
        "dense": [
            (positions * filters * height * width * channels, "You left out the biases: one per output unit."),
            (same_positions * filters * (height * width * channels + 1),
             "You used H·W output positions: with 'valid' padding there are (H − k_h + 1)(W − k_w + 1)."),
            (positions * filters * (height * width + 1), "You left out the input channels C."),
        ],
        "local": [
            (positions * filters * window, "You left out the biases: one per output unit."),
            (positions * filters * kh * kw + positions * filters, "You left out the input channels C of each window."),
            (same_positions * filters * (window + 1),
             "You used H·W output positions: with 'valid' padding there are (H − k_h + 1)(W − k_w + 1)."),
            (positions * filters * window + filters,
             "You shared the biases but not the weights: a locally connected layer shares nothing."),
        ],
        "conv": [
            (filters * window, "You left out the biases: one per filter."),
            (filters * (kh * kw + 1), "You left out the input channels C: a kernel spans k_h × k_w × C."),
            (filters * window + positions * filters,
             "You gave each output position its own bias: a conv layer shares the bias too (one per filter)."),
        ],
    }


@counts_check.verify
def _(r):
    names = {"dense": "the dense layer", "local": "the locally connected layer", "conv": "the conv layer"}
    for key in ("dense", "local", "conv"):
        for i, case in enumerate(COUNT_CASES):
            got, expected = int(r[f"{key}{i}"]), ref_parameter_counts(*case)[key]
            if got != expected:
                hint = next((h for value, h in _count_mistakes(*case)[key] if value == got), "")
                input_shape, kernel_size, filters = case
                raise Fail(f"{names[key]}'s count for input {input_shape}, kernel {kernel_size} and "
                           f"{filters} filters is {got}, expected {expected}. {hint}".strip())


def _matrix_probe(conv_as_dense_matrix, cases):
    out = {}
    for i, (kernel, input_shape) in enumerate(cases):
        out[f"m{i}"] = conv_as_dense_matrix(kernel.copy(), tuple(input_shape))
    return out


def _matrix_hint(m, kernel, input_shape, *, show_shape=True) -> str:
    expected = ref_conv_matrix(kernel, input_shape)
    m = np.asarray(m, np.float64)
    if m.shape == expected.T.shape and m.shape != expected.shape:
        return ("It is the transpose of the expected matrix: rows index the inputs (so that "
                "`x.reshape(n, -1) @ M` works), columns the outputs.")
    if m.shape != expected.shape:
        return (f"Its shape should be (H·W·C_in, H'·W'·C_out){f' = {expected.shape}' if show_shape else ''}, "
                "with H' = H − k_h + 1 and W' = W − k_w + 1 ('valid' padding).")
    if not np.any(m):
        return "It is all zeros: place the kernel over each output position's window."
    return _diagnose(m, [
        (ref_conv_matrix(kernel, input_shape, flip=True),
         "It matches the kernel flipped by 180°, the convolution of signal processing. Keras's `Conv2D` "
         "(like every deep-learning library) computes the cross-correlation: use the kernel as it is."),
        (ref_conv_matrix(kernel, input_shape, channels_first=True),
         "It matches a channels-first flattening. Keras's images are (H, W, C): flattening puts the "
         "channel index last, i.e. input (i, j, c) is row (i·W + j)·C + c."),
    ])


def _verify_matrices(r, cases, what, *, hidden=False):
    for i, (kernel, input_shape) in enumerate(cases):
        m = np.asarray(r[f"m{i}"], np.float64)
        expected = ref_conv_matrix(kernel, input_shape)
        if _matches(m, expected):
            continue
        hint = _matrix_hint(m, kernel, input_shape, show_shape=not hidden)
        if hidden:
            hint = hint or ("Check that rows (height, k_h) and columns (width, k_w) are never swapped, "
                            "and that every output position uses the whole kernel.")
            raise Fail(f"{what}, your matrix differs from the conv layer's. {hint}")
        label = (f"`conv_as_dense_matrix(kernel, {tuple(input_shape)})` with a {kernel.shape[0]}×{kernel.shape[1]} "
                 f"kernel, {kernel.shape[2]} input and {kernel.shape[3]} output channel(s)")
        if m.shape != expected.shape:
            raise Fail(f"{label} has shape {m.shape}, expected {expected.shape}. {hint}".strip())
        expect.close(m, expected, label, hint, **expect.ELEMENTWISE)


MATRIX_CASES = (
    (np.arange(1.0, 10.0).reshape(3, 3, 1, 1), (5, 5, 1)),
    (np.array([[1.0, -2.0], [3.0, 0.5]]).reshape(2, 2, 1, 1), (4, 4, 1)),
)

matrix_check = new("weight_sharing.matrix", 2,
                   "`conv_as_dense_matrix` builds the dense matrix of a one-channel conv from its shared kernel")


@matrix_check.probe
def _(conv_as_dense_matrix):
    return _matrix_probe(conv_as_dense_matrix, MATRIX_CASES)


@matrix_check.verify
def _(r):
    _verify_matrices(r, MATRIX_CASES, "one channel")


def _point_symmetric_kernel():
    # k[a, b] = k[1 − a, 1 − b]: flipping by 180° changes nothing, so this check isolates the
    # channel bookkeeping from the flip (which `weight_sharing.matrix` tests).
    values = np.arange(1.0, 13.0).reshape(2, 2, 3) * np.array([1.0, -0.5]).reshape(1, 2, 1)
    kernel = np.zeros((2, 2, 2, 3))
    kernel[0, 0] = kernel[1, 1] = values[0]
    kernel[0, 1] = kernel[1, 0] = values[1] + 20.0
    return kernel


CHANNEL_CASES = ((_point_symmetric_kernel(), (4, 4, 2)),)

channels_check = new("weight_sharing.channels", 1,
                     "`conv_as_dense_matrix` with several input channels and filters (channels-last order)")


@channels_check.probe
def _(conv_as_dense_matrix):
    return _matrix_probe(conv_as_dense_matrix, CHANNEL_CASES)


@channels_check.verify
def _(r):
    _verify_matrices(r, CHANNEL_CASES, "several channels")


HIDDEN_CASES = ((np.round(np.random.default_rng(11).normal(size=(2, 3, 2, 2)), 1), (4, 6, 2)),)

hidden_matrix_check = new("weight_sharing.hidden", 1,
                          "`conv_as_dense_matrix` on a non-square input and kernel with several channels",
                          hidden=True)


@hidden_matrix_check.probe
def _(conv_as_dense_matrix):
    return _matrix_probe(conv_as_dense_matrix, HIDDEN_CASES)


@hidden_matrix_check.verify
def _(r):
    _verify_matrices(r, HIDDEN_CASES, "On a non-square input and kernel with several channels", hidden=True)


# ----------------------------------------------------------------------------- 3. OCR with a CNN

MAX_CNN_PARAMS = 20_000


def _walk_layers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _walk_layers(layer)


cnn_structure = new("cnn.structure", 1,
                    f"`build_cnn` is a compiled CNN (≥ 1 Conv2D, ≤ {MAX_CNN_PARAMS} parameters) giving 10 probabilities")


@cnn_structure.probe
def _(build_cnn):
    import keras

    keras.utils.set_random_seed(0)
    model = build_cnn()
    _, (x_test, _) = digits_split()
    return {
        "probabilities": model(x_test[:16, :, :, None]),
        "n_conv": sum(isinstance(layer, keras.layers.Conv2D) for layer in _walk_layers(model)),
        "n_params": model.count_params(),
        "compiled": getattr(model, "optimizer", None) is not None,
    }


@cnn_structure.verify
def _(r):
    p = np.asarray(r["probabilities"], np.float64)
    if p.shape != (16, 10):
        raise Fail(f"`build_cnn()` maps 16 images of shape (8, 8, 1) to an output of shape {p.shape}, "
                   "expected (16, 10): one score per digit class.")
    if int(r["n_conv"]) < 1:
        raise Fail("`build_cnn()` has no `keras.layers.Conv2D` layer: this section is about weight sharing.")
    if int(r["n_params"]) > MAX_CNN_PARAMS:
        raise Fail(f"`build_cnn()` has {int(r['n_params'])} parameters; keep it under {MAX_CNN_PARAMS} "
                   "(8×8 images need few filters, and pooling before `Flatten` keeps the last layer small).")
    if np.any(p < -1e-6) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise Fail("the outputs of `build_cnn()` are not probabilities (each row should be ≥ 0 and sum to 1): "
                   "give the last layer `activation=\"softmax\"`, which the loss "
                   "`sparse_categorical_crossentropy` expects by default.")
    if not bool(r["compiled"]):
        raise Fail("the model is not compiled: call `model.compile(optimizer=..., "
                   "loss=\"sparse_categorical_crossentropy\", metrics=[\"accuracy\"])` before returning it.")


CNN_EPOCHS, CNN_ACCURACY_BOUND = 3, 0.93

cnn_accuracy = new("cnn.accuracy", 2,
                   f"after {CNN_EPOCHS} seeded epochs, the CNN's test accuracy is ≥ {CNN_ACCURACY_BOUND}")


def train_cnn(build_cnn, seed=0, epochs=CNN_EPOCHS):
    """Seeded training on the fixed split: predicted and true test labels.

    The check uses seed 0 and a few epochs; tests/ runs it over several seeds and longer.
    """
    import keras

    keras.utils.set_random_seed(seed)
    model = build_cnn()
    if model.count_params() > MAX_CNN_PARAMS:  # keeps grading fast; `cnn.structure` explains
        raise Fail(f"`build_cnn()` has {model.count_params()} parameters, more than {MAX_CNN_PARAMS}: "
                   "it was not trained.")
    (x_train, y_train), (x_test, y_test) = digits_split()
    model.fit(x_train[..., None], y_train, epochs=epochs, batch_size=32, verbose=0)
    scores = np.asarray(model(x_test[..., None]))
    return {"predicted": np.argmax(scores.reshape(len(x_test), -1), axis=-1), "labels": y_test}


@cnn_accuracy.probe
def _(build_cnn):
    return train_cnn(build_cnn)


@cnn_accuracy.verify
def _(r):
    accuracy = float(np.mean(np.asarray(r["predicted"]) == np.asarray(r["labels"])))
    if accuracy < CNN_ACCURACY_BOUND:
        raise Fail(f"after {CNN_EPOCHS} epochs (seed 0, batch 32) the CNN classifies {accuracy:.1%} of the "
                   f"{len(r['labels'])} test digits correctly; the bound is {CNN_ACCURACY_BOUND:.0%}. Check the "
                   "output layer (`Dense(10, activation=\"softmax\")`), the loss "
                   "(`sparse_categorical_crossentropy` for integer labels) and the learning rate "
                   "(`Adam(learning_rate=0.01)`).")


CONFUSION_CASES = (
    (np.array([0, 1, 2, 2, 1, 0, 3, 3, 3, 1, 2, 0]), np.array([0, 2, 2, 1, 1, 0, 3, 0, 1, 1, 2, 3]), 4),
    (np.array([5, 5, 1, 7, 0, 7]), np.array([5, 3, 1, 7, 0, 1]), 10),  # classes 2, 4, 6, 8, 9 never occur
)

confusion_check = new("cnn.confusion", 1,
                      "`confusion_matrix(y_true, y_pred, num_classes)` counts C[true, predicted]")


@confusion_check.probe
def _(confusion_matrix):
    return {f"c{i}": confusion_matrix(y_true.copy(), y_pred.copy(), n)
            for i, (y_true, y_pred, n) in enumerate(CONFUSION_CASES)}


@confusion_check.verify
def _(r):
    for i, (y_true, y_pred, n) in enumerate(CONFUSION_CASES):
        c = np.asarray(r[f"c{i}"])
        expected = ref_confusion_matrix(y_true, y_pred, n)
        label = f"`confusion_matrix(y_true, y_pred, num_classes={n})`"
        if c.shape != expected.shape:
            raise Fail(f"{label} has shape {c.shape}, expected {expected.shape}: size it by `num_classes`, "
                       "not by the labels that happen to occur.")
        hint = _diagnose(c, [(expected.T, "It is transposed: rows are the true classes, columns the "
                                          "predicted ones (C[i, j] = images of class i predicted as j).")])
        if not hint and int(np.sum(c)) != len(y_true):
            hint = f"Its entries add up to {int(np.sum(c))}, but there are {len(y_true)} labels: count each one once."
        expect.close(c, expected, label, hint, atol=0, rtol=0)
