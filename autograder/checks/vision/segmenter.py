"""``segmenter.*``: a small fully convolutional segmenter of the shape scenes (Long et al. 2015).

Four 3×3 convolutions with ``padding="same"``, the last two dilated by 2 (Yu & Koltun 2016), and
a 1×1 convolution to three per-pixel class probabilities (background, disc, square). Each
pixel's prediction sees a 13×13 window of the image: 1 + 2 + 2 + 2·2 + 2·2 rows and columns.

``segmenter.structure`` fixes that network and measures the window from the gradient of the
centre pixel's output, so that dropping the dilation (a 9×9 window) is named. ``segmenter.learns``
trains it briefly on 16×16 tiles and scores it on whole 32×32 scenes: a network that is fully
convolutional runs on both.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, quoted_first_sentence
from .._probes import compilation
from ._shared import SCENE

CLASSES = 3  # background, disc, square
MAX_SEGMENTER_PARAMS = 10_000
WINDOW = 13  # the receptive field Task 5.2 asks for
FIELD_INPUT = 33  # odd, so the probed pixel is the centre

structure = new(
    "segmenter.structure",
    1,
    "`build_segmenter()` is compiled, fully convolutional (any image size in, the same size out), gives "
    f"{CLASSES} class probabilities per pixel, and each pixel sees a {WINDOW}×{WINDOW} window",
)


def receptive_field(model) -> np.ndarray:
    """The input pixels the centre pixel's class-0 probability depends on: a (33, 33) boolean map,
    the union over four random images (a ReLU that is off everywhere for one image is on for
    another). Softmax outputs sum to 1, so one class, not their sum, carries the gradient."""
    import tensorflow as tf

    images = np.random.default_rng(0).uniform(0, 1, (4, FIELD_INPUT, FIELD_INPUT, 1)).astype(np.float32)
    x = tf.constant(images)
    with tf.GradientTape() as tape:
        tape.watch(x)
        centre = model(x)[:, FIELD_INPUT // 2, FIELD_INPUT // 2, 0]
    return np.abs(np.asarray(tape.gradient(centre, x))).sum(axis=(0, 3)) > 0


@structure.probe
def _(build_segmenter):
    import keras

    from ._shared import shape_scenes

    keras.utils.set_random_seed(0)
    model = build_segmenter()
    scenes, _, _ = shape_scenes(2, seed=TEST_SEED)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    record = {
        "whole": model(scenes[..., None]),
        "tile": model(scenes[:, :16, :16, None]),
        "n_params": model.count_params(),
        "filters": np.asarray([c.filters for c in convs], np.int64),
        "kernels": np.asarray([c.kernel_size for c in convs], np.int64).reshape(-1, 2),
        "dilations": np.asarray([c.dilation_rate for c in convs], np.int64).reshape(-1, 2),
        "activations": np.asarray([keras.activations.serialize(c.activation) for c in convs], str),
        **compilation(model),
    }
    try:  # a segmenter that shrinks the image has no centre pixel to probe; the shapes say why
        record["field"] = receptive_field(model)
    except Exception:  # noqa: BLE001
        record["field"] = np.zeros((FIELD_INPUT, FIELD_INPUT), bool)
    return record


def _window(field) -> tuple[int, int]:
    """Rows × columns of the smallest box around the pixels a prediction depends on."""
    rows, columns = np.nonzero(np.asarray(field, bool))
    if rows.size == 0:
        return 0, 0
    return int(rows.max() - rows.min() + 1), int(columns.max() - columns.min() + 1)


@structure.verify
def _(r):
    for key, size in (("whole", SCENE), ("tile", 16)):
        out = np.asarray(r[key], np.float64)
        if out.shape != (2, size, size, CLASSES):
            raise Fail(
                f"`build_segmenter()` maps 2 scenes of {size}×{size} pixels to shape {out.shape}, expected "
                f"(2, {size}, {size}, {CLASSES}): start from `keras.Input((None, None, 1))` (any size), keep "
                'the size with `padding="same"` and no pooling, and end with `Conv2D(3, 1)`.'
            )
    out = np.asarray(r["whole"], np.float64)
    expect.finite(out, "the segmenter's output")
    if out.min() < 0 or not np.allclose(out.sum(-1), 1, atol=1e-3):
        raise Fail(
            "the segmenter's three numbers per pixel are not probabilities summing to 1: the last layer is "
            '`Conv2D(3, 1, activation="softmax")` (a softmax over the classes, the last axis).'
        )
    if int(r["n_params"]) > MAX_SEGMENTER_PARAMS:
        raise Fail(f"`build_segmenter()` has {int(r['n_params'])} parameters, more than {MAX_SEGMENTER_PARAMS}.")
    if not bool(r["compiled"]):
        raise Fail("`build_segmenter()` returns a model that is not compiled: call `model.compile(...)`.")
    height, width = _window(r["field"])
    if (height, width) != (WINDOW, WINDOW):
        dilations = [int(d[0]) for d in np.asarray(r["dilations"]).tolist()]
        raise Fail(
            f"each pixel's prediction sees a {height}×{width} window of the image, expected {WINDOW}×{WINDOW} "
            f"(your convolutions' dilation rates: {dilations}): four 3×3 convolutions see 9×9; "
            "`dilation_rate=2` in the last two spaces their taps two pixels apart, 1 + 2 + 2 + 4 + 4 = 13."
        )
    _verify_specification(r)


SPEC_FILTERS, SPEC_KERNELS = (16, 16, 16, 16, CLASSES), ((3, 3),) * 4 + ((1, 1),)
SPEC_ACTIVATIONS = ("relu",) * 4 + ("softmax",)
SPEC_LEARNING_RATE = 0.003


def _verify_specification(r):
    """Task 5.2 fixes the network (a brief training cannot tell one architecture from another)."""
    filters = tuple(np.asarray(r["filters"]).tolist())
    if filters != SPEC_FILTERS:
        raise Fail(
            f"`build_segmenter()`'s convolutions have {list(filters)} filters, expected {list(SPEC_FILTERS)}: "
            "four 3×3 convolutions of 16 filters, then `Conv2D(3, 1)`."
        )
    kernels = tuple(tuple(k) for k in np.asarray(r["kernels"]).tolist())
    if kernels != SPEC_KERNELS:
        raise Fail(f"`build_segmenter()`'s kernels are {list(kernels)}, expected {list(SPEC_KERNELS)}.")
    activations = tuple(str(a) for a in np.asarray(r["activations"]).tolist())
    if activations != SPEC_ACTIVATIONS:
        raise Fail(
            f"`build_segmenter()`'s convolutions use the activations {list(activations)}, expected "
            f"{list(SPEC_ACTIVATIONS)}: ReLU in the four 3×3 convolutions, a softmax in the 1×1."
        )
    expect.adam(r, "build_segmenter()", SPEC_LEARNING_RATE)


# --------------------------------------------------------------------------- the segmenter trained

TRAIN_SCENES, TRAIN_SEED, TEST_SEED, SCORED_SCENES = 64, 1, 2, 64
TILE, BATCH = 16, 16
LEARNED_MIOU = 0.40  # the bound; the reference reaches 0.46–0.54 on seeds 0–9, all background 0.25

learns = new(
    "segmenter.learns",
    1,
    f"`build_segmenter()` trained one seeded epoch on {TRAIN_SCENES * 4} tiles of {TILE}×{TILE} pixels "
    f"finds the objects of {SCORED_SCENES} whole test scenes: mIoU ≥ {LEARNED_MIOU}",
)


def tiles(images: np.ndarray) -> np.ndarray:
    """The four 16×16 quarters of each 32×32 image, image after image."""
    n = len(images)
    quarters = images.reshape(n, 2, TILE, 2, TILE).transpose(0, 1, 3, 2, 4)
    return quarters.reshape(n * 4, TILE, TILE)


def train_segmenter(build_segmenter, seed=0, epochs=1):
    """Seeded training on the quarters of the training scenes (a quarter of the cost of whole
    scenes; the 16×16 tile is wider than the 13×13 window), then the predicted class of every
    pixel of the scored test scenes, whole.

    The check trains seed 0; tests/ runs seeds 0–4.
    """
    import keras

    from .._probes import built_to_train, trained_in_batches
    from ._shared import shape_scenes

    keras.utils.set_random_seed(seed)
    model = built_to_train(build_segmenter, "build_segmenter()", MAX_SEGMENTER_PARAMS)
    scenes, classes, _ = shape_scenes(TRAIN_SCENES, seed=TRAIN_SEED)
    shape = tuple(np.shape(model(tiles(scenes[:1])[..., None])))
    if shape != (4, TILE, TILE, CLASSES):  # the loss would fail on it, and its message would mislead
        raise Fail(
            f"`build_segmenter()` maps 4 tiles of {TILE}×{TILE} pixels to shape {shape}, expected "
            f"(4, {TILE}, {TILE}, {CLASSES}): it was not trained (the structure check says why)."
        )
    try:
        trained_in_batches(model, tiles(scenes)[..., None], tiles(classes), BATCH, seed=seed, epochs=epochs)
    except Exception as exc:  # noqa: BLE001 — a loss that wants one-hot targets fails on class numbers
        cause = quoted_first_sentence(exc)
        raise Fail(
            f"training `build_segmenter()` on the class masks failed ({cause}). The masks hold one class "
            'number per pixel, shape (n, H, W): `loss="sparse_categorical_crossentropy"` compares them with '
            "the (n, H, W, 3) probabilities (`categorical_crossentropy` and `mse` want one-hot masks)."
        ) from None
    test_scenes, _, _ = shape_scenes(SCORED_SCENES, seed=TEST_SEED)
    return {"predicted": np.argmax(np.asarray(model(test_scenes[..., None])), axis=-1).astype(np.int8)}


@learns.probe
def _(build_segmenter):
    return train_segmenter(build_segmenter)


def scored_classes() -> np.ndarray:
    """The true class masks of the scored test scenes (NumPy only: the grader draws them too)."""
    from ._shared import shape_scenes

    return shape_scenes(SCORED_SCENES, seed=TEST_SEED)[1]


def scored_miou(predicted) -> float:
    """Mean IoU of the predicted class masks over the classes present (Task 5.1's definition)."""
    from .masks import ref_mean_iou

    return float(ref_mean_iou(scored_classes(), np.asarray(predicted), CLASSES))


@learns.verify
def _(r):
    predicted = np.asarray(r["predicted"])
    if predicted.shape != (SCORED_SCENES, SCENE, SCENE):
        raise Fail(
            f"the trained segmenter's class masks have shape {predicted.shape}, expected "
            f"({SCORED_SCENES}, {SCENE}, {SCENE})."
        )
    score = scored_miou(predicted)
    if score >= LEARNED_MIOU:
        return
    only = np.unique(predicted)
    if 0 not in only:
        hint = (
            "no pixel is predicted background (class 0): the loss must count every pixel, the background's "
            "too (no `ignore_class`, no class weight that zeroes it)."
        )
    elif only.size == 1:
        hint = (
            f"every pixel is predicted class {int(only[0])} (0 background, 1 disc, 2 square): the network did "
            "not learn; check the loss (`sparse_categorical_crossentropy`) and the learning rate."
        )
    else:
        hint = "compare the loss and the optimizer with Task 5.2."
    raise Fail(
        f"`build_segmenter()` trained one epoch reaches a test mIoU of {score:.2f}, below {LEARNED_MIOU} "
        f"(the reference reaches 0.46–0.54; every pixel background scores 0.25): {hint}"
    )
