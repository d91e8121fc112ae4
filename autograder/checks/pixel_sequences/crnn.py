"""``crnn.*``: the convolutional recurrent network that reads a line of digits (Shi et al. 2016).

Convolutions see the line's pixels; pooling halves its height twice and its width once, so the
8×64 line becomes 32 frames of 2×32 features, one frame per two columns; each frame's features
are collapsed into one vector and a bidirectional GRU reads the frames in both directions, so a
frame's output knows the whole line; a ``Dense(11)`` gives each frame's logits over the blank and
the ten digits. ``keras.ops.ctc_loss`` takes those logits (it applies the log-softmax itself).
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from .._probes import compilation, layers_of
from ._shared import LINE_WIDTH, NUM_CLASSES

FRAMES = LINE_WIDTH // 2
TEST_SEED = 3
MAX_CRNN_PARAMS = 40_000
SPEC_FILTERS, SPEC_LEARNING_RATE = (16, 32), 0.01
SPEC_POOLS = ((2, 2), (2, 1))

structure = new(
    "crnn.structure",
    2,
    f"`build_crnn()` maps 8×64 lines to {FRAMES} frames of {NUM_CLASSES} logits through a bidirectional "
    "recurrence, and is compiled with `ctc_batch_loss`",
)


@structure.probe
def _(build_crnn):
    import keras

    from ._shared import digit_lines

    keras.utils.set_random_seed(0)
    model = build_crnn()
    images, _ = digit_lines(4, seed=TEST_SEED, split="test")
    layers = layers_of(model)
    convs = [layer for layer in layers if isinstance(layer, keras.layers.Conv2D)]
    pools = [layer for layer in layers if isinstance(layer, keras.layers.MaxPooling2D)]
    recurrent = [layer for layer in layers if isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional))]
    return {
        "logits": model(images[..., None]),
        "n_params": model.count_params(),
        "input_shape": np.asarray(model.input_shape[1:], np.int64),
        "filters": np.asarray([c.filters for c in convs], np.int64),
        "kernels": np.asarray([c.kernel_size for c in convs], np.int64).reshape(-1, 2),
        "activations": np.asarray([keras.activations.serialize(c.activation) for c in convs], str),
        "paddings": np.asarray([c.padding for c in convs], str),
        "pools": np.asarray([p.pool_size for p in pools], np.int64).reshape(-1, 2),
        "recurrent": np.asarray([type(layer).__name__ for layer in recurrent], str),
        "bidirectional": any(isinstance(layer, keras.layers.Bidirectional) for layer in recurrent),
        **compilation(model),
    }


@structure.verify
def _(r):
    logits = np.asarray(r["logits"], np.float64)
    if logits.shape != (4, FRAMES, NUM_CLASSES):
        raise Fail(
            f"`build_crnn()` maps 4 lines to shape {logits.shape}, expected (4, {FRAMES}, {NUM_CLASSES}): "
            "pool the height 8 → 4 → 2 and the width once (64 → 32 frames), put the width first "
            "(`Permute((2, 1, 3))`), collapse each frame to one vector (`Reshape((32, -1))`), then the GRU and "
            f"`Dense({NUM_CLASSES})`."
        )
    if not np.all(np.isfinite(logits)):
        raise Fail("`build_crnn()`'s outputs are not all finite numbers.")
    if logits.min() >= 0 and np.allclose(logits.sum(-1), 1, atol=1e-3):
        raise Fail(
            "`build_crnn()`'s frames sum to 1: they are probabilities. Return logits (`Dense(11)` without a "
            "softmax): `keras.ops.ctc_loss` applies the log-softmax itself, and would apply it twice."
        )
    recurrent = set(np.asarray(r["recurrent"]).tolist())
    if not recurrent:
        raise Fail(
            "`build_crnn()` has no recurrent layer: each frame sees only the columns under its convolutions. "
            "Read the frames in sequence with `Bidirectional(GRU(32, return_sequences=True))`."
        )
    if not bool(r["bidirectional"]):
        raise Fail(
            "`build_crnn()`'s recurrence reads the frames left to right only, so a frame knows nothing of what "
            "follows it: wrap the GRU in `Bidirectional`."
        )
    _verify_specification(r)


def _verify_specification(r):
    """Task 1.5 fixes the network (no graded training tells one architecture from another)."""
    if int(r["n_params"]) > MAX_CRNN_PARAMS:
        raise Fail(f"`build_crnn()` has {int(r['n_params'])} parameters, more than {MAX_CRNN_PARAMS}.")
    if not bool(r["compiled"]):
        raise Fail(
            "`build_crnn()` returns a model that is not compiled: call `model.compile(...)` with `ctc_batch_loss`."
        )
    filters = tuple(np.asarray(r["filters"]).tolist())
    if filters != SPEC_FILTERS:
        raise Fail(
            f"`build_crnn()`'s convolutions have {list(filters)} filters, expected {list(SPEC_FILTERS)} "
            '(3×3, ReLU, `padding="same"`).'
        )
    if tuple(np.asarray(r["input_shape"]).tolist()) != (8, 64, 1):
        raise Fail(
            f"`build_crnn()`'s input is {tuple(np.asarray(r['input_shape']).tolist())}, expected (8, 64, 1): "
            "a line is 8 pixels high and 64 wide, with one channel."
        )
    verify_convolutions(r, "build_crnn()")
    pools = tuple(tuple(p) for p in np.asarray(r["pools"]).tolist())
    if pools != SPEC_POOLS:
        raise Fail(
            f"`build_crnn()`'s poolings are {list(pools)}, expected {list(SPEC_POOLS)}: the second pools the "
            "height only, so that 32 frames are left for up to 6 digits and the blanks between them."
        )
    if str(r["loss"]) != "ctc_batch_loss":
        raise Fail(
            f"`build_crnn()` compiles with the loss {str(r['loss']) or 'None'}: pass your own function, "
            "`loss=ctc_batch_loss`."
        )
    expect.adam(r, "build_crnn()", SPEC_LEARNING_RATE)


def verify_convolutions(r, builder: str):
    """Every convolution of the task is 3×3, ReLU and `padding="same"` (``r`` holds their kernels,
    activations and paddings)."""
    kernels = {tuple(k) for k in np.asarray(r["kernels"]).tolist()}
    if kernels != {(3, 3)}:
        raise Fail(f"`{builder}`'s convolutions have kernels {sorted(kernels)}, expected 3×3 in every one.")
    activations = sorted(set(np.asarray(r["activations"]).tolist()))
    if activations != ["relu"]:
        raise Fail(
            f"`{builder}`'s convolutions use the activations {activations}, expected ReLU in every one "
            '(`activation="relu"`).'
        )
    if set(np.asarray(r["paddings"]).tolist()) != {"same"}:
        raise Fail(
            f'`{builder}`\'s convolutions need `padding="same"`: without it each one eats a pixel from every border, '
            "and the poolings no longer give the sizes the task says."
        )
