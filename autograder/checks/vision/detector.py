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
from .._core import Fail, new, quoted_first_sentence, returned
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


# --------------------------------------------------------------------------- the detector trained

TRAIN_CANVASES, TRAIN_SEED, LEARN_EPOCHS, BATCH = 512, 1, 4, 32
SCORED_CANVASES, DECODE_THRESHOLD = 100, 0.3
LEARNED_AP = 0.3  # the bound; the reference reaches 0.47–0.63 on seeds 0–7 (tests/checks/test_vision.py: 0–4)

learns = new(
    "detector.learns",
    2,
    f"`build_detector()` trained {LEARN_EPOCHS} seeded epochs on {TRAIN_CANVASES} canvases "
    f"(targets from `encode_boxes`) finds the test digits: class-agnostic AP@0.5 ≥ {LEARNED_AP}",
)


def train_detector(build_detector, encode_boxes, seed=0, epochs=LEARN_EPOCHS):
    """Seeded training on canvases encoded by the student's ``encode_boxes`` (the kernel has no
    reference): the grids of the scored test canvases.

    The check trains seed 0 for a few epochs; tests/ runs it over seeds 0–4.
    """
    import keras

    from .._probes import built_to_train, trained_in_batches
    from ._shared import digit_canvases

    keras.utils.set_random_seed(seed)
    model = built_to_train(build_detector, "build_detector()", MAX_DETECTOR_PARAMS)
    images, boxes, labels = digit_canvases(TRAIN_CANVASES, seed=TRAIN_SEED, split="train")
    targets = np.stack([np.asarray(encode_boxes(b.copy(), lab.copy()), np.float32) for b, lab in zip(boxes, labels)])
    if targets.shape != (TRAIN_CANVASES, GRID, GRID, CHANNELS):
        raise Fail(
            f"`encode_boxes` gave targets of shape {targets.shape[1:]}, expected ({GRID}, {GRID}, {CHANNELS}): "
            "the detector trains on them; see `grid.encode`."
        )
    try:
        trained_in_batches(model, images[..., None], targets, BATCH, seed=seed, epochs=epochs)
    except Exception as exc:  # noqa: BLE001 — a loss that works on numbers can fail once fit traces it
        cause = quoted_first_sentence(exc)
        raise Fail(
            f"training `build_detector()` failed ({cause}). `fit` traces `detection_loss` into a "
            "graph: write every step with `keras.ops` (a NumPy function needs numbers, and a traced loss has "
            "symbolic tensors; `np.clip` or `np.log` pass the loss check above, which calls it on numbers)."
        ) from None
    test_images, _, _ = digit_canvases(SCORED_CANVASES, seed=TEST_SEED, split="test")
    return {"grids": model(test_images[..., None])}


@learns.probe
def _(build_detector, encode_boxes):
    return train_detector(build_detector, encode_boxes)


# The true boxes of the scored canvases (``digit_canvases(SCORED_CANVASES, seed=TEST_SEED,
# split="test")``), written out so that the grader scores a trained detector without scikit-learn,
# whose digits the canvases are drawn from; tests/checks/test_vision.py regenerates them. One line
# per canvas, its boxes as x1,y1,x2,y2 separated by spaces.
SCORED_BOXES = """
17,7,27,23 7,6,13,14 11,23,17,31
18,21,24,29
7,5,19,21 22,12,28,20
6,7,12,15 3,17,8,25 15,8,27,24
10,14,20,30 21,1,27,9
9,15,15,23 18,3,30,19
4,4,10,12
10,0,16,8
14,7,22,23
21,12,27,20 16,22,22,30
6,13,12,21
2,2,8,10
20,6,25,14 10,14,22,30
9,1,21,17 24,16,30,24 16,20,22,28
14,1,24,17
25,9,31,17 9,7,21,23 24,1,29,9
17,20,23,28
19,5,25,13
5,4,17,20 19,24,26,32
14,19,20,27
7,6,12,14 17,3,29,19
9,24,15,32 11,14,17,22
13,3,25,19
11,7,23,23
5,11,17,27 23,14,29,22
18,19,24,27 6,12,12,20 18,0,26,16
16,11,28,27
4,14,16,30
24,6,31,14 9,9,15,17
8,3,20,19 21,24,27,32
2,9,14,25 21,16,27,24
19,4,25,12 19,24,26,32 5,1,15,17
9,2,21,18
2,4,14,20
5,10,11,18 15,15,27,31
6,8,18,24 24,24,31,32
14,9,19,17 17,0,24,8
19,3,25,11 20,11,27,19 4,11,14,27
6,1,18,17 18,21,24,29
8,4,15,12 25,8,31,16
5,16,17,32 17,6,23,14
17,11,29,27 4,23,10,31
17,16,29,32
13,6,19,14
6,1,18,17
3,15,9,23 20,20,26,28
12,23,18,31 3,0,9,8 16,1,22,9
13,16,27,32 22,4,28,12 2,22,8,30
14,14,20,22
13,10,25,26
6,9,18,25
23,15,29,23
22,10,28,18
15,13,21,21
6,12,18,28
14,16,20,24
17,0,29,16
7,13,19,29 8,5,14,13
11,5,23,21 17,23,23,31 4,21,10,29
14,16,20,24 2,2,8,10
18,18,24,26 11,0,23,16
11,10,23,26
1,23,7,31
6,10,12,18 21,14,26,22
13,8,25,24
6,10,18,26
10,6,22,22 25,11,31,19 11,22,17,30
16,3,28,19
23,12,29,20 6,3,18,19
11,6,23,22 20,24,26,32 2,3,8,11
7,15,19,31 22,5,28,13
12,3,26,19 21,21,27,29
13,13,19,21 3,11,9,19
18,0,28,16
19,14,24,22
9,16,21,32
25,6,32,14 8,3,20,19 4,20,10,28
22,13,28,21
21,23,27,31 14,7,26,23 2,22,8,30
11,4,23,20 2,12,8,20
11,17,17,25
7,9,21,25 24,16,30,24
14,2,26,18
9,11,21,27
3,1,15,17 23,7,29,15
4,12,16,28 21,1,27,9
11,5,23,21 9,21,16,29 19,22,26,30
20,20,26,28 12,7,18,15 25,3,31,11
19,10,29,26
9,4,15,12 25,5,31,13
4,0,16,16
19,2,25,10
19,12,25,20
11,14,17,22 5,24,11,32 20,12,26,20
21,10,27,18 11,23,17,31
4,6,16,22
4,12,18,28 7,1,13,9
4,1,10,9 18,4,30,20
24,5,30,13 22,24,28,32
6,2,18,18
"""


def scored_boxes() -> list:
    """The true boxes of the scored canvases: a list of float32 arrays (k, 4)."""
    return [
        np.asarray([[float(v) for v in box.split(",")] for box in line.split()], np.float32).reshape(-1, 4)
        for line in SCORED_BOXES.strip("\n").split("\n")
    ]


def agnostic_ap(grids, threshold=DECODE_THRESHOLD):
    """Class-agnostic AP@0.5 of the scored test canvases' grids: decoded, suppressed per class, as
    the notebook's demonstration scores them (every detection taken as "a digit"). The true boxes
    are the grader's own table (``SCORED_BOXES``), not what the kernel reports."""
    from .ap import ref_average_precision
    from .grid import ref_decode_grid
    from .nms import ref_nms

    true_boxes = scored_boxes()[: len(grids)]
    found = []
    for i, grid in enumerate(grids):
        boxes, scores, classes = ref_decode_grid(grid, threshold=threshold)
        kept = ref_nms(boxes, scores, 0.5, classes)
        found.append((boxes[kept], scores[kept], np.full(len(kept), i)))
    return ref_average_precision(
        np.concatenate([f[0] for f in found]).reshape(-1, 4),
        np.concatenate([f[1] for f in found]),
        np.concatenate([f[2] for f in found]),
        np.concatenate(true_boxes),
        np.concatenate([np.full(len(b), i) for i, b in enumerate(true_boxes)]),
    )


@learns.verify
def _(r):
    grids = np.asarray(r["grids"], np.float64)
    if grids.shape != (SCORED_CANVASES, GRID, GRID, CHANNELS):
        raise Fail(
            f"the trained detector maps {SCORED_CANVASES} canvases to shape {grids.shape}, expected "
            f"({SCORED_CANVASES}, {GRID}, {GRID}, {CHANNELS}): see `detector.structure`."
        )
    expect.finite(grids, "the trained detector's output")
    ap = agnostic_ap(grids)
    if ap < LEARNED_AP:
        raise Fail(
            f"after {LEARN_EPOCHS} epochs on {TRAIN_CANVASES} canvases (seed 0, batch {BATCH}) the detector's "
            f"class-agnostic AP@0.5 on {SCORED_CANVASES} test canvases is {ap:.3f}; the bound is {LEARNED_AP}. "
            "It does not learn where the digits are: check `detection_loss` (its objectness term trains every "
            "cell, the box term only object cells, λ = 5) and `build_detector`'s layers and `Adam(0.003)`. It "
            "trains on the targets of your `encode_boxes`: if `grid.encode` fails, fix it first."
        )
