"""``cnn.*``: OCR with a small CNN on scikit-learn's 8×8 digits; the confusion matrix C[true, predicted]."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from .._probes import layers_of, optimizer_built
from ._shared import digits_split

MAX_CNN_PARAMS = 20_000


IMPULSE_AT = (3, 3)  # the lit pixel of the locality probe


def _feature_maps(model, images):
    """The image part's maps after each layer: its layers in order while they give (n, h, w, c) maps."""
    import keras

    maps, every = images, []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        out = layer(maps, training=False)
        if len(out.shape) != 4:
            break
        maps = out
        every.append(np.asarray(maps))
    return every


def _changed_positions(lit_maps, dark_maps):
    """Per map, the positions (of h·w) where the lit pixel changed any channel, and h·w."""
    changed, positions = [], []
    for lit, dark in zip(lit_maps, dark_maps):
        response = np.abs(lit - dark).sum(axis=(0, -1))
        changed.append(int(np.sum(response > 1e-6 * max(float(response.max()), 1e-30))))
        positions.append(int(response.size))
    return changed, positions


cnn_structure = new(
    "cnn.structure",
    1,
    f"`build_cnn` is a compiled CNN (≥ 1 Conv2D, ≤ {MAX_CNN_PARAMS} parameters) giving 10 probabilities",
)


@cnn_structure.probe
def _(build_cnn):
    import keras

    keras.utils.set_random_seed(0)
    model = build_cnn()
    _, (x_test, _) = digits_split()
    dark = np.zeros((1, 8, 8, 1), np.float32)
    lit = dark.copy()
    lit[0, IMPULSE_AT[0], IMPULSE_AT[1], 0] = 1.0
    changed, positions = _changed_positions(_feature_maps(model, lit), _feature_maps(model, dark))
    return {
        "impulse_changed": np.asarray(changed, np.int64),
        "impulse_positions": np.asarray(positions, np.int64),
        "probabilities": model(x_test[:16, :, :, None]),
        "n_conv": sum(isinstance(layer, keras.layers.Conv2D) for layer in layers_of(model)),
        "n_params": model.count_params(),
        "compiled": getattr(model, "optimizer", None) is not None,
    }


@cnn_structure.verify
def _(r):
    p = np.asarray(r["probabilities"], np.float64)
    if p.shape != (16, 10):
        raise Fail(
            f"`build_cnn()` maps 16 images of shape (8, 8, 1) to an output of shape {p.shape}, "
            "expected (16, 10): one score per digit class."
        )
    if int(r["n_conv"]) < 1:
        raise Fail("`build_cnn()` has no `keras.layers.Conv2D` layer: this section is about weight sharing.")
    _verify_locality(np.asarray(r["impulse_changed"]), np.asarray(r["impulse_positions"]))
    if int(r["n_params"]) > MAX_CNN_PARAMS:
        raise Fail(
            f"`build_cnn()` has {int(r['n_params'])} parameters; keep it under {MAX_CNN_PARAMS} "
            "(8×8 images need few filters, and pooling before `Flatten` keeps the last layer small)."
        )
    if np.any(p < -1e-6) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise Fail(
            "the outputs of `build_cnn()` are not probabilities (each row should be ≥ 0 and sum to 1): "
            'give the last layer `activation="softmax"`, which the loss '
            "`sparse_categorical_crossentropy` expects by default."
        )
    if not bool(r["compiled"]):
        raise Fail(
            "the model is not compiled: call `model.compile(optimizer=..., "
            'loss="sparse_categorical_crossentropy", metrics=["accuracy"])` before returning it.'
        )


def _verify_locality(changed, positions):
    """Locality, measured: one lit pixel must change some feature map of the image part (the layers
    before `Flatten`) at more than one position. A stack of 1×1 kernels (an MLP with a token
    `Conv2D(1, 1)`) changes only the lit pixel's own position in every map: it learns no local
    feature, the Dense layers do all the work, and it still reads the digits as well as the CNN.
    (A final 1×1 map after real windows is fine: the earlier maps show the window.)"""
    if changed.size == 0:
        raise Fail(
            "`build_cnn()` flattens the image before any `Conv2D`: its conv layers must come first, "
            "on the (8, 8, 1) image, so that they see neighbouring pixels together."
        )
    if int(changed.max()) <= 1:
        raise Fail(
            f"one lit pixel of the input changes each feature map before `Flatten` (of "
            f"{', '.join(str(int(n)) for n in positions)} positions) at {int(changed.max())} position(s) only: "
            "the conv layers of `build_cnn()` look at one pixel at a time (1×1 kernels), or the first one "
            "leaves a single position, so they learn no local feature and the Dense layers do all the work — "
            "a dense network with a token convolution. Give a `Conv2D` a window (`kernel_size=3`) that "
            "slides over several positions."
        )


CNN_EPOCHS, CNN_ACCURACY_BOUND = 2, 0.93

cnn_accuracy = new(
    "cnn.accuracy", 2, f"after {CNN_EPOCHS} seeded epochs, the CNN's test accuracy is ≥ {CNN_ACCURACY_BOUND}"
)


def train_cnn(build_cnn, seed=0, epochs=CNN_EPOCHS):
    """Seeded training on the fixed split: predicted and true test labels.

    The check uses seed 0 and a few epochs; tests/ runs it over several seeds and longer.
    """
    import keras

    keras.utils.set_random_seed(seed)
    model = build_cnn()
    if model.count_params() > MAX_CNN_PARAMS:  # keeps grading fast; `cnn.structure` explains
        raise Fail(
            f"`build_cnn()` has {model.count_params()} parameters, more than {MAX_CNN_PARAMS}: it was not trained."
        )
    (x_train, y_train), (x_test, y_test) = digits_split()
    optimizer_built(model, x_train[..., None]).fit(x_train[..., None], y_train, epochs=epochs, batch_size=32, verbose=0)
    scores = np.asarray(model(x_test[..., None]))
    return {"predicted": np.argmax(scores.reshape(len(x_test), -1), axis=-1), "labels": y_test}


@cnn_accuracy.probe
def _(build_cnn):
    return train_cnn(build_cnn)


@cnn_accuracy.verify
def _(r):
    accuracy = float(np.mean(np.asarray(r["predicted"]) == np.asarray(r["labels"])))
    if accuracy < CNN_ACCURACY_BOUND:
        raise Fail(
            f"after {CNN_EPOCHS} epochs (seed 0, batch 32) the CNN classifies {accuracy:.1%} of the "
            f"{len(r['labels'])} test digits correctly; the bound is {CNN_ACCURACY_BOUND:.0%}. Check the "
            'output layer (`Dense(10, activation="softmax")`), the loss '
            "(`sparse_categorical_crossentropy` for integer labels) and the learning rate "
            "(`Adam(learning_rate=0.01)`)."
        )


def ref_confusion_matrix(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


CONFUSION_CASES = (
    (np.array([0, 1, 2, 2, 1, 0, 3, 3, 3, 1, 2, 0]), np.array([0, 2, 2, 1, 1, 0, 3, 0, 1, 1, 2, 3]), 4),
    (np.array([5, 5, 1, 7, 0, 7]), np.array([5, 3, 1, 7, 0, 1]), 10),  # classes 2, 4, 6, 8, 9 never occur
)

confusion_check = new("cnn.confusion", 1, "`confusion_matrix(y_true, y_pred, num_classes)` counts C[true, predicted]")


@confusion_check.probe
def _(confusion_matrix):
    return {
        f"c{i}": confusion_matrix(y_true.copy(), y_pred.copy(), n)
        for i, (y_true, y_pred, n) in enumerate(CONFUSION_CASES)
    }


@confusion_check.verify
def _(r):
    for i, (y_true, y_pred, n) in enumerate(CONFUSION_CASES):
        c = np.asarray(r[f"c{i}"])
        expected = ref_confusion_matrix(y_true, y_pred, n)
        label = f"`confusion_matrix(y_true, y_pred, num_classes={n})`"
        if c.shape != expected.shape:
            raise Fail(
                f"{label} has shape {c.shape}, expected {expected.shape}: size it by `num_classes`, "
                "not by the labels that happen to occur."
            )
        if c.dtype.kind not in "iu" and np.array_equal(c, expected):
            raise Fail(
                f"{label} has the right counts but dtype {c.dtype}: counts are integers "
                "(`np.zeros(..., dtype=np.int64)`), so that they print as counts and index like them."
            )
        hint = expect.diagnose(
            c,
            [
                (
                    expected.T,
                    "It is transposed: rows are the true classes, columns the "
                    "predicted ones (C[i, j] = images of class i predicted as j).",
                )
            ],
        )
        if not hint and int(np.sum(c)) != len(y_true):
            hint = f"Its entries add up to {int(np.sum(c))}, but there are {len(y_true)} labels: count each one once."
        expect.close(c, expected, label, hint, atol=0, rtol=0)
