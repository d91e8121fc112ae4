"""``detector.*``: a one-stage grid detector (YOLO v1 without its √w and its two boxes per cell).

The network maps a 32×32 canvas to a 4×4×(5 + 10) grid: per cell an objectness p (sigmoid), a
box (t_x, t_y, t_w, t_h) (sigmoids: offsets in the cell, size as a fraction of the canvas) and
ten class probabilities (softmax). Its loss on a batch, with o = 1 in the cells that hold an
object (the target of ``grid.encode``) and N = max(1, Σ o):

    L = mean over cells of BCE(o, p)  +  λ · Σ o ‖t − t̂‖² / N  +  Σ o · CE(class, q) / N,   λ = 5

The objectness term trains every cell; the box and class terms only the cells that hold an object.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, returned
from .._probes import compilation
from ._shared import GRID, NUM_DIGITS

LAMBDA_BOX = 5.0
EPSILON = 1e-7  # probabilities are clipped to [ε, 1 − ε] before the logarithms (Keras's epsilon)
CHANNELS = 5 + NUM_DIGITS
# The clipping bounds as float32 holds them (the student's loss runs in float32: 1 − 1e-7 rounds to
# 1 − 1.19e-7, which matters where a saturated sigmoid gives exactly 1).
LOW, HIGH = float(np.float32(EPSILON)), float(np.float32(1) - np.float32(EPSILON))


def ref_detection_loss(y_true, y_pred, *, box_everywhere=False, lam=LAMBDA_BOX, per_cell=False):
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    o = y_true[..., 0]
    p = np.clip(y_pred[..., 0], LOW, HIGH)
    bce = -(o * np.log(p) + (1 - o) * np.log(1 - p))
    n = o.size if per_cell else max(1.0, float(o.sum()))
    box_mask = np.ones_like(o) if box_everywhere else o
    box = np.sum(box_mask * np.sum((y_true[..., 1:5] - y_pred[..., 1:5]) ** 2, axis=-1)) / n
    q = np.clip(y_pred[..., 5:], LOW, 1.0)
    ce = np.sum(o * -np.sum(y_true[..., 5:] * np.log(q), axis=-1)) / n
    return float(np.mean(bce) + lam * box + ce)


def _mse_objectness(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    o = y_true[..., 0]
    rest = ref_detection_loss(y_true, y_pred) - _bce_term(y_true, y_pred)
    return float(np.mean((o - y_pred[..., 0]) ** 2) + rest)


def _bce_term(y_true, y_pred):
    o = np.asarray(y_true, np.float64)[..., 0]
    p = np.clip(np.asarray(y_pred, np.float64)[..., 0], LOW, HIGH)
    return float(np.mean(-(o * np.log(p) + (1 - o) * np.log(1 - p))))


MISTAKES = (
    (
        lambda t, p: ref_detection_loss(t, p, box_everywhere=True),
        "The box term counts every cell: only cells that hold an object have a box to learn (multiply by o).",
    ),
    (lambda t, p: ref_detection_loss(t, p, lam=1.0), "The box term is not weighted: multiply it by λ = 5."),
    (
        lambda t, p: ref_detection_loss(t, p, per_cell=True),
        "The box and class terms are divided by the number of cells: divide by the number of objects N = max(1, Σ o).",
    ),
    (
        _mse_objectness,
        "The objectness term is a squared error: use the binary cross-entropy −[o log p + (1 − o) log(1 − p)].",
    ),
)


def _cases():
    rng = np.random.default_rng(65)
    shape = (2, GRID, GRID, CHANNELS)

    def predictions():
        p = np.empty(shape)
        p[..., :5] = rng.uniform(0.05, 0.95, size=shape[:-1] + (5,))
        logits = rng.normal(size=shape[:-1] + (NUM_DIGITS,))
        p[..., 5:] = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        return p

    targets = np.zeros(shape)
    for b, r, c, k in ((0, 0, 1, 3), (0, 2, 2, 7), (1, 3, 0, 1)):
        targets[b, r, c, :5] = (1, *rng.uniform(0.1, 0.9, size=4))
        targets[b, r, c, 5 + k] = 1
    empty = np.zeros(shape)
    cases = {}
    cases["no objects: only the objectness term"] = (empty, predictions())
    box_only = predictions()  # perfect objectness and classes where objects are: the box term alone
    box_only[..., 0] = np.where(targets[..., 0] > 0, 1 - EPSILON, EPSILON)
    box_only[..., 5:] = np.where(targets[..., :1] > 0, targets[..., 5:], box_only[..., 5:])
    box_only[..., 5:] = np.clip(box_only[..., 5:], 0, 1)
    cases["objects whose objectness and class are right: the box term"] = (targets, box_only)
    class_only = box_only.copy()  # right objectness and boxes: the class term alone
    class_only[..., 1:5] = np.where(targets[..., :1] > 0, targets[..., 1:5], class_only[..., 1:5])
    class_only[..., 5:] = predictions()[..., 5:]
    cases["objects whose objectness and box are right: the class term"] = (targets, class_only)
    cases["a batch of two grids with three objects"] = (targets, predictions())
    saturated = predictions()  # a saturated sigmoid gives exactly 0 or 1 in float32: the clipping counts
    saturated[0, 0, 1, 0] = 0.0  # an object cell sure there is nothing
    saturated[1, 1, 1, 0] = 1.0  # an empty cell sure there is something
    saturated[0, 2, 2, 5 + 7] = 0.0  # the true class given probability 0
    cases["saturated probabilities (exactly 0 or 1)"] = (targets, saturated)
    single = np.zeros(shape)
    single[1, 2, 3, :5] = (1, 0.3, 0.6, 0.2, 0.4)
    single[1, 2, 3, 5 + 2] = 1
    cases["a batch with a single object"] = (single, predictions())
    return cases


CASES = _cases()

loss = new("detector.loss", 2, "`detection_loss`: objectness BCE everywhere + λ·box MSE and class CE where objects are")


@loss.probe
def _(detection_loss):
    from keras import ops

    out = {}
    for i, (t, p) in enumerate(CASES.values()):
        value = detection_loss(ops.convert_to_tensor(t, "float32"), ops.convert_to_tensor(p, "float32"))
        returned(value, "`detection_loss`")
        out[f"loss{i}"] = value
    return out


@loss.verify
def _(r):
    for i, (what, (t, p)) in enumerate(CASES.items()):
        got = np.asarray(r[f"loss{i}"], np.float64)
        if got.size != 1:
            raise Fail(
                f"`detection_loss` returned {got.size} numbers for {what}: return the batch's loss, "
                "one number (sum over cells, then the normalisations above)."
            )
        expected = ref_detection_loss(t, p)
        hint = expect.diagnose(got.reshape(()), MISTAKES, t, p, rtol=1e-3, atol=1e-4)
        expect.close(
            got.reshape(()),
            expected,
            f"`detection_loss` with {what}",
            hint or "Compare each term with the formula.",
            rtol=1e-3,
            atol=1e-4,
        )


# --------------------------------------------------------------------------- the detector network

TEST_SEED = 2
MAX_DETECTOR_PARAMS = 30_000

structure = new(
    "detector.structure",
    1,
    f"`build_detector()` is compiled, ≤ {MAX_DETECTOR_PARAMS} parameters, and maps 32×32 canvases to a "
    "4×4×15 grid of probabilities",
)


@structure.probe
def _(build_detector):
    import keras

    from ._shared import digit_canvases

    keras.utils.set_random_seed(0)
    model = build_detector()
    images, _, _ = digit_canvases(4, seed=TEST_SEED, split="test")
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    return {
        "grid": model(images[..., None]),
        "n_params": model.count_params(),
        "input_shape": np.asarray(model.input_shape[1:], np.int64),
        "filters": np.asarray([c.filters for c in convs], np.int64),
        "kernels": np.asarray([c.kernel_size for c in convs], np.int64).reshape(-1, 2),
        "activations": np.asarray([keras.activations.serialize(c.activation) for c in convs], str),
        "paddings": np.asarray([c.padding for c in convs], str),
        "pools": sum(isinstance(layer, keras.layers.MaxPooling2D) for layer in model.layers),
        **compilation(model),
    }


@structure.verify
def _(r):
    grid = np.asarray(r["grid"], np.float64)
    if grid.shape != (4, GRID, GRID, CHANNELS):
        raise Fail(
            f"`build_detector()` maps 4 canvases to shape {grid.shape}, expected (4, {GRID}, {GRID}, {CHANNELS}): "
            "three 2×2 poolings take 32×32 to 4×4, and a 1×1 conv gives 5 + 10 numbers per cell."
        )
    expect.finite(grid, "the detector's output")
    if grid[..., :5].min() < 0 or grid[..., :5].max() > 1:
        raise Fail(
            "the detector's objectness and box numbers are not all in [0, 1]: pass them through a sigmoid "
            "(the `GridHead` layer above does)."
        )
    if not np.allclose(grid[..., 5:].sum(-1), 1, atol=1e-3) or grid[..., 5:].min() < 0:
        raise Fail("the detector's ten class numbers do not sum to 1 in every cell: pass them through a softmax.")
    if int(r["n_params"]) > MAX_DETECTOR_PARAMS:
        raise Fail(f"`build_detector()` has {int(r['n_params'])} parameters, more than {MAX_DETECTOR_PARAMS}.")
    if not bool(r["compiled"]):
        raise Fail("`build_detector()` returns a model that is not compiled: call `model.compile(...)` with your loss.")

    _verify_specification(r)


SPEC_FILTERS, SPEC_KERNELS = (16, 32, 32, 15), ((3, 3), (3, 3), (3, 3), (1, 1))
SPEC_ACTIVATIONS, SPEC_LEARNING_RATE = ("relu", "relu", "relu", "linear"), 0.003


def _verify_specification(r):
    """Task 3.3 fixes the network (no graded training tells one architecture from another)."""
    if tuple(np.asarray(r["input_shape"]).tolist()) != (32, 32, 1):
        raise Fail(
            f"`build_detector()`'s input is {tuple(np.asarray(r['input_shape']).tolist())}, expected (32, 32, 1)."
        )
    filters = tuple(np.asarray(r["filters"]).tolist())
    if filters != SPEC_FILTERS:
        raise Fail(
            f"`build_detector()`'s convolutions have {list(filters)} filters, expected {list(SPEC_FILTERS)}: "
            "16, 32 and 32 with 3×3 kernels, then `Conv2D(15, 1)`."
        )
    kernels = tuple(tuple(k) for k in np.asarray(r["kernels"]).tolist())
    if kernels != SPEC_KERNELS:
        raise Fail(f"`build_detector()`'s kernels are {list(kernels)}, expected {list(SPEC_KERNELS)}.")
    activations = tuple(str(a) for a in np.asarray(r["activations"]).tolist())
    if activations != SPEC_ACTIVATIONS:
        raise Fail(
            f"`build_detector()`'s convolutions use the activations {list(activations)}, expected "
            f"{list(SPEC_ACTIVATIONS)}: ReLU in the three 3×3 convolutions, none in the 1×1 (`GridHead` applies the "
            "sigmoids and the softmax)."
        )
    if tuple(str(p) for p in np.asarray(r["paddings"]).tolist())[:3] != ("same",) * 3:
        raise Fail(
            '`build_detector()`\'s 3×3 convolutions need `padding="same"` (each pooling then halves 32 → 16 → 8 → 4).'
        )
    if int(r["pools"]) != 3:
        raise Fail(f"`build_detector()` has {int(r['pools'])} `MaxPooling2D` layers, expected 3.")
    if str(r["loss"]) != "detection_loss":
        raise Fail(
            f"`build_detector()` compiles with the loss {str(r['loss']) or 'None'}: pass your own function, "
            "`loss=detection_loss`."
        )
    expect.adam(r, "build_detector()", SPEC_LEARNING_RATE)
