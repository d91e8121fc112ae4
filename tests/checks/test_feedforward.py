"""Assignment 05 (feed-forward architectures): realistic mistakes fail with a message naming them,
the float64 references agree with Keras, and the training bounds hold over seeds (not just the
graded seed 0). What every assignment's checks keep (the reference passes, the blank release
fails, each wrong answer fails exactly its checks, verify needs no TensorFlow) is
test_contract.py's.

Real TensorFlow, in-process; the source notebook's own solution cells are the reference.
"""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest

from autograder.checks import get
from autograder.checks.feedforward import autoencoder, cnn, digits_split, weight_sharing

from .support import reference, run, source, topic_checks, wrong_answers

ID = "05-feedforward"
CHECKS = topic_checks("feedforward")


@pytest.fixture(scope="module")
def ref() -> dict:
    return reference(ID).namespace


# --------------------------------------------------------------------------- the assignment's shape


def test_the_assignment_meets_the_size_rules():
    points = sum(get(c).points for c in CHECKS)
    assert len(CHECKS) >= 6 and points >= 10
    assert points == 15


def test_there_are_at_least_three_wrong_answers():
    assert len(wrong_answers(ID)) >= 3


# --------------------------------------------------------------------------- messages name the mistake


def _matrix_cases():
    ref = weight_sharing.ref_conv_matrix
    return {
        "transposed": (lambda k, s: ref(k, s).T, "transpose"),
        "channels first": (lambda k, s: ref(k, s, channels_first=True), "channels-first"),
        "same padding": (lambda k, s: np.zeros((s[0] * s[1] * k.shape[2], s[0] * s[1] * k.shape[3])), "'valid'"),
        "zeros": (lambda k, s: np.zeros_like(ref(k, s)), "all zeros"),
    }


@pytest.mark.parametrize("name", list(_matrix_cases()))
def test_conv_matrix_mistakes_are_named(name):
    student, phrase = _matrix_cases()[name]
    check_id = "weight_sharing.channels" if name == "channels first" else "weight_sharing.matrix"
    message = run(check_id, student)
    assert message is not None and phrase in message, message


def test_the_hidden_check_catches_swapped_height_and_width_without_quoting_shapes():
    def swapped(kernel, input_shape):  # reads (W, H) for (H, W): invisible on square inputs
        return weight_sharing.ref_conv_matrix(kernel, (input_shape[1], input_shape[0], input_shape[2]))

    def garbled(kernel, input_shape):  # right shape, wrong values
        return weight_sharing.ref_conv_matrix(kernel, input_shape) + 1.0

    assert run("weight_sharing.matrix", swapped) is None and run("weight_sharing.channels", swapped) is None
    for student in (swapped, garbled):
        message = run("weight_sharing.hidden", student)
        assert message is not None and not re.search(r"\d+, \d+", message), message
    assert "swapped" in run("weight_sharing.hidden", garbled)


def test_the_flip_check_cases_are_really_flip_symmetric():
    matrix = weight_sharing.ref_conv_matrix
    for kernel, shape in weight_sharing.CHANNEL_CASES:
        assert np.array_equal(matrix(kernel, shape), matrix(kernel, shape, flip=True))
    for kernel, shape in weight_sharing.MATRIX_CASES + weight_sharing.HIDDEN_CASES:
        assert not np.array_equal(matrix(kernel, shape), matrix(kernel, shape, flip=True))


def _counts_with(**overrides):
    def parameter_counts(input_shape, kernel_size, filters):
        counts = weight_sharing.ref_parameter_counts(input_shape, kernel_size, filters)
        height, width, channels = input_shape
        kh, kw = kernel_size
        positions = (height - kh + 1) * (width - kw + 1)
        context = dict(H=height, W=width, C=channels, kh=kh, kw=kw, F=filters, P=positions)
        counts.update({key: eval(formula, {}, context) for key, formula in overrides.items()})
        return counts

    return parameter_counts


@pytest.mark.parametrize(
    "overrides, phrase",
    [
        ({"dense": "H * W * F * (H * W * C + 1)"}, "'valid' padding"),
        ({"local": "P * F * kh * kw * C"}, "biases"),
        ({"local": "P * F * kh * kw * C + F"}, "shares nothing"),
        ({"conv": "F * (kh * kw + 1)"}, "input channels"),
        ({"conv": "F * kh * kw * C + P * F"}, "shares the bias"),
    ],
)
def test_parameter_count_mistakes_are_named(overrides, phrase):
    message = run("weight_sharing.counts", _counts_with(**overrides))
    assert message is not None and phrase in message, message


@pytest.mark.parametrize(
    "student, phrase",
    [
        (lambda x, x_hat: np.mean((x - x_hat) ** 2), "a single number"),
        (lambda x, x_hat: np.mean((x - x_hat) ** 2, axis=0), "averaged over the images"),
        (lambda x, x_hat: np.sqrt(np.mean((x - x_hat) ** 2, axis=-1)), "square root"),
        (lambda x, x_hat: np.mean(np.abs(x - x_hat), axis=-1), "absolute"),
    ],
)
def test_reconstruction_error_mistakes_are_named(student, phrase):
    message = run("autoencoder.error", student)
    assert message is not None and phrase in message, message


def _autoencoder_builder(
    code_activation=None, output_activation="sigmoid", compiled=True, extra_hidden=False, hidden_activation="relu"
):
    import keras
    from keras import layers

    def build_autoencoder(code_dim=2, hidden=32):
        encoder_layers = [layers.Dense(hidden, activation=hidden_activation)]
        if extra_hidden:
            encoder_layers.append(layers.Dense(hidden, activation="relu"))
        encoder = keras.Sequential(
            [keras.Input((64,)), *encoder_layers, layers.Dense(code_dim, activation=code_activation)]
        )
        decoder = keras.Sequential(
            [
                keras.Input((code_dim,)),
                layers.Dense(hidden, activation=hidden_activation),
                layers.Dense(64, activation=output_activation),
            ]
        )
        autoencoder = keras.Sequential([encoder, decoder])
        if compiled:
            autoencoder.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
        return autoencoder, encoder, decoder

    return build_autoencoder


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"code_activation": "relu"}, "linear"),
        ({"output_activation": None}, "sigmoid"),
        ({"compiled": False}, "not compiled"),
        ({"extra_hidden": True}, "the encoder"),
        ({"hidden_activation": None}, "no activation (linear)"),
        ({"hidden_activation": "tanh"}, "tanh"),
        ({"hidden_activation": "sigmoid"}, "a hidden layer with sigmoid"),
    ],
)
def test_autoencoder_structure_mistakes_are_named(options, phrase):
    message = run("autoencoder.structure", _autoencoder_builder(**options))
    assert message is not None and phrase in message, message


def _cnn_builder(kind):
    import keras
    from keras import layers

    def build_cnn():
        if kind == "dense only":
            body = [layers.Flatten(), layers.Dense(32, activation="relu")]
        elif kind == "token conv":  # an MLP in disguise: a 1x1 conv, then dense layers
            body = [layers.Conv2D(1, 1), layers.Flatten(), layers.Dense(64, activation="relu")]
        elif kind == "whole-image kernel":  # an 8x8 'valid' kernel: one position, a dense layer
            body = [layers.Conv2D(16, 8, activation="relu"), layers.Flatten()]
        elif kind == "down to 1x1":  # windows first, then pooled to one position: a real CNN
            body = [layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(6), layers.Flatten()]
        elif kind == "too big":
            body = [layers.Conv2D(64, 3, padding="same", activation="relu"), layers.Flatten()]
        else:
            body = [layers.Conv2D(8, 3, activation="relu"), layers.Flatten()]
        model = keras.Sequential([keras.Input((8, 8, 1)), *body, layers.Dense(10, activation="softmax")])
        if kind != "not compiled":
            model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
        return model

    return build_cnn


@pytest.mark.parametrize(
    "kind, phrase",
    [
        ("dense only", "no `keras.layers.Conv2D`"),
        ("too big", "parameters"),
        ("not compiled", "not compiled"),
        ("token conv", "token convolution"),
        ("whole-image kernel", "(of 1 positions) at 1 position(s) only"),
    ],
)
def test_cnn_structure_mistakes_are_named(kind, phrase):
    message = run("cnn.structure", _cnn_builder(kind))
    assert message is not None and phrase in message, message


def test_a_token_conv_reads_the_digits_so_only_the_locality_probe_catches_it():
    assert _accuracy(cnn.train_cnn(_cnn_builder("token conv"))) >= cnn.CNN_ACCURACY_BOUND
    assert run("cnn.structure", _cnn_builder("default")) is None  # a 'valid' conv, no pooling: local
    assert run("cnn.structure", _cnn_builder("down to 1x1")) is None  # the earlier map shows the window


def test_a_too_big_cnn_is_not_trained_under_grading():
    message = run("cnn.accuracy", _cnn_builder("too big"))
    assert message is not None and "not trained" in message


def test_a_confusion_matrix_of_floats_is_named():
    def floats(y_true, y_pred, num_classes):
        return cnn.ref_confusion_matrix(y_true, y_pred, num_classes).astype(np.float64)

    message = run("cnn.confusion", floats)
    assert message is not None and "integers" in message


def test_a_confusion_matrix_sized_by_the_labels_is_named():
    def by_labels(y_true, y_pred, num_classes):
        n = int(max(np.max(y_true), np.max(y_pred))) + 1
        return cnn.ref_confusion_matrix(y_true, y_pred, n)

    message = run("cnn.confusion", by_labels)
    assert message is not None and "num_classes" in message


def test_a_linear_autoencoder_passes_the_training_bound_so_only_the_structure_check_catches_it():
    """Why `autoencoder.structure` recomputes the hidden layers: without their ReLU the parameter
    counts are the same and the linear autoencoder trains to about PCA's error, under the bound."""
    linear = _autoencoder_builder(hidden_activation=None)
    record = autoencoder.train_autoencoder(linear)
    assert np.mean(autoencoder.ref_reconstruction_error(record["x"], record["x_hat"])) < autoencoder.AE_ERROR_BOUND
    assert "linear" in run("autoencoder.structure", linear)


def test_the_hidden_layer_weights_make_the_relu_matter():
    """Half the hidden pre-activations negative on the fixed inputs: relu, linear, tanh differ."""
    for inputs, (w0, b0, _, _) in (
        (autoencoder.AE_X, autoencoder.ENCODER_WEIGHTS),
        (autoencoder.AE_CODES_IN, autoencoder.DECODER_WEIGHTS),
    ):
        pre = inputs @ w0 + b0
        assert 0.3 < np.mean(pre < 0) < 0.7


# --------------------------------------------------------------------------- references vs Keras


def test_the_conv_matrix_reference_is_keras_conv2d_as_a_dense_layer():
    import keras

    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 5, 7, 2)).astype(np.float32)
    conv = keras.layers.Conv2D(3, (2, 3), bias_initializer="random_normal")
    conv.build(x.shape)
    kernel, bias = (np.asarray(w, np.float64) for w in conv.weights)
    y = np.asarray(conv(x), np.float64)
    m = weight_sharing.ref_conv_matrix(kernel, x.shape[1:])
    positions = y.shape[1] * y.shape[2]
    np.testing.assert_allclose(x.reshape(3, -1) @ m + np.tile(bias, positions), y.reshape(3, -1), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(weight_sharing.ref_conv(x, kernel) + bias, y, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", weight_sharing.COUNT_CASES)
def test_the_parameter_count_reference_matches_keras(case):
    import keras

    (height, width, channels), kernel_size, filters = case
    counts = weight_sharing.ref_parameter_counts(*case)
    conv = keras.layers.Conv2D(filters, kernel_size)
    conv.build((None, height, width, channels))
    outputs = (height - kernel_size[0] + 1) * (width - kernel_size[1] + 1) * filters
    dense = keras.layers.Dense(outputs)
    dense.build((None, height * width * channels))
    assert counts["conv"] == conv.count_params() and counts["dense"] == dense.count_params()
    assert counts["local"] == outputs * (kernel_size[0] * kernel_size[1] * channels + 1)


def test_the_digits_split_is_fixed_disjoint_and_covers_every_class():
    (x_train, y_train), (x_test, y_test) = digits_split()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() <= 1.0
    assert set(np.unique(y_test)) == set(range(10))
    flat_train = {row.tobytes() for row in x_train.reshape(len(x_train), -1)}
    assert sum(row.tobytes() in flat_train for row in x_test.reshape(len(x_test), -1)) < 5  # a few duplicate scans
    x_test[0] = -1.0  # callers get copies: mutating one cannot change what the checks see
    assert digits_split()[1][0].min() >= 0.0


def test_the_stated_mean_image_baseline_is_right():
    (x_train, _), (x_test, _) = digits_split()
    mean_image = x_train.reshape(len(x_train), -1).mean(axis=0)
    baseline = np.mean(autoencoder.ref_reconstruction_error(x_test.reshape(len(x_test), -1), mean_image[None]))
    assert abs(baseline - autoencoder.MEAN_IMAGE_ERROR) < 5e-5  # right to its last digit
    assert f"scores {autoencoder.MEAN_IMAGE_ERROR})" in _notebook_cells()["e5176ad00f14"]


def _notebook_cells() -> dict[str, str]:
    return {cell.id: cell.source for cell in nbformat.read(source(ID), as_version=4).cells}


def test_the_notebook_s_parameter_counts_are_those_of_the_cnn_it_builds(ref):
    """Section 4 quotes the dense layer with the outputs of the CNN's first layer, which pads
    ('same'): 8·8·16 outputs, not the 6·6·16 of a 'valid' conv."""
    import keras

    first = next(layer for layer in ref["build_cnn"]().layers if isinstance(layer, keras.layers.Conv2D))
    _, height, width, filters = first.output.shape
    dense = (8 * 8 + 1) * height * width * filters
    cells = _notebook_cells()
    assert f"needs (64 + 1)·{height * width * filters:,} = {dense:,}" in cells["ae2c45dd60d5"]
    assert f"{first.count_params()} parameters" in cells["ae2c45dd60d5"]
    assert f"the {dense:,} free weights" in cells["weight_sharing_why"]
    assert f"all {height * width}\n  positions" in cells["weight_sharing_why"]
    assert "37,440" not in cells["ae2c45dd60d5"] + cells["weight_sharing_why"]


# --------------------------------------------------------------------------- training claims over seeds


def _accuracy(record) -> float:
    return float(np.mean(record["predicted"] == record["labels"]))


def test_the_graded_cnn_training_is_deterministic(ref):
    first, second = cnn.train_cnn(ref["build_cnn"]), cnn.train_cnn(ref["build_cnn"])
    assert np.array_equal(first["predicted"], second["predicted"])


@pytest.mark.parametrize("seed", range(5))
def test_the_graded_short_trainings_pass_on_every_seed(ref, seed):
    assert _accuracy(cnn.train_cnn(ref["build_cnn"], seed=seed)) >= cnn.CNN_ACCURACY_BOUND
    record = autoencoder.train_autoencoder(ref["build_autoencoder"], seed=seed)
    assert np.mean(autoencoder.ref_reconstruction_error(record["x"], record["x_hat"])) < autoencoder.AE_ERROR_BOUND


FULL_EPOCHS, FULL_ACCURACY = 20, 0.97  # the notebook's demonstration: "about 99 %"


@pytest.mark.parametrize("seed", range(3))
def test_full_training_reaches_the_stated_accuracy(ref, seed):
    assert _accuracy(cnn.train_cnn(ref["build_cnn"], seed=seed, epochs=FULL_EPOCHS)) >= FULL_ACCURACY
