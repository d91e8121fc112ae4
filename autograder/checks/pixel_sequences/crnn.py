"""``crnn.*``: the convolutional recurrent network that reads a line of digits (Shi et al. 2016).

Convolutions see the line's pixels, each followed by batch normalisation; 2×2 pooling halves its
height and its width twice, so the 8×64 line becomes 16 frames of 2×32 features, one frame per four
columns; each frame's features are collapsed into one vector and a bidirectional GRU reads the
frames in both directions, so a frame's output knows the whole line; a ``Dense(11)`` gives each
frame's logits over the blank and the ten digits. ``keras.ops.ctc_loss`` takes those logits (it
applies the log-softmax itself).

``crnn.learns`` trains the network under grading: 40 seeded steps of 32 lines. CTC's training has a
plateau where the network learns only that most frames are blank (CER 1); without normalisation it
lasts ≈ 100 steps, with a ``BatchNormalization`` after each convolution ≈ 15, which is what makes a
graded training possible (docs/AUTHORING.md has the measurements). The check trains with the
grader's CTC (TensorFlow's sparse-label op, the same cost as ``keras.ops.ctc_loss``, whose gradient
costs less to trace), so that the network is judged apart from the student's ``ctc_batch_loss``
(``ctc.keras_loss`` judges that), and scores the test lines with the batch's statistics: after 40
steps the moving averages that inference would use have not caught up with the weights.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, quoted_first_sentence
from .._probes import compilation, layers_of
from ._shared import LINE_HEIGHT, LINE_WIDTH, NUM_CLASSES, line_text

FRAMES = LINE_WIDTH // 4
TEST_SEED = 3
MAX_CRNN_PARAMS = 40_000
SPEC_FILTERS, SPEC_LEARNING_RATE = (16, 32), 0.01
SPEC_POOLS = ((2, 2), (2, 2))
SPEC_ORDER = ("Conv2D", "BatchNormalization", "MaxPooling2D") * 2
SOFTMAX_FRAMES = (
    "`build_crnn()`'s frames sum to 1: they are probabilities. Return logits (`Dense(11)` without a "
    "softmax): `keras.ops.ctc_loss` applies the log-softmax itself, and would apply it twice."
)

structure = new(
    "crnn.structure",
    2,
    f"`build_crnn()` maps 8×64 lines to {FRAMES} frames of {NUM_CLASSES} logits through a bidirectional "
    "recurrence, and is compiled with `ctc_batch_loss`",
)


@structure.probe
def _(build_crnn):
    import keras

    keras.utils.set_random_seed(0)
    model = build_crnn()
    layers = layers_of(model)
    convs = [layer for layer in layers if isinstance(layer, keras.layers.Conv2D)]
    pools = [layer for layer in layers if isinstance(layer, keras.layers.MaxPooling2D)]
    recurrent = [layer for layer in layers if isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional))]
    kinds = (keras.layers.Conv2D, keras.layers.BatchNormalization, keras.layers.MaxPooling2D)
    # Symbolic: the shapes without running the network (its first eager call costs ≈ 0.4 s; crnn.learns runs it).
    outputs = model(keras.KerasTensor((4, LINE_HEIGHT, LINE_WIDTH, 1)))
    return {
        "output_shape": np.asarray([-1 if d is None else d for d in outputs.shape], np.int64),
        "softmax": any(
            isinstance(layer, keras.layers.Softmax)
            or keras.activations.serialize(getattr(layer, "activation", None) or keras.activations.linear) == "softmax"
            for layer in layers
        ),
        "order": np.asarray([type(layer).__name__ for layer in layers if isinstance(layer, kinds)], str),
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
    shape = tuple(np.asarray(r["output_shape"]).tolist())
    if shape != (4, FRAMES, NUM_CLASSES):
        raise Fail(
            f"`build_crnn()` maps 4 lines to shape {shape}, expected (4, {FRAMES}, {NUM_CLASSES}): "
            "pool the height 8 → 4 → 2 and the width 64 → 32 → 16 frames, put the width first "
            "(`Permute((2, 1, 3))`), collapse each frame to one vector (`Reshape((16, -1))`), then the GRU and "
            f"`Dense({NUM_CLASSES})`."
        )
    if bool(r["softmax"]):
        raise Fail(SOFTMAX_FRAMES)
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
    order = tuple(np.asarray(r["order"]).tolist())
    if order != SPEC_ORDER:
        raise Fail(
            "`build_crnn()` needs a `BatchNormalization()` after each convolution, before its pooling (its layers "
            f"run {' → '.join(order) or 'without convolutions'}): without it CTC's training stays on its plateau, "
            "every frame the blank, for about a hundred steps, far longer than the graded training."
        )
    pools = tuple(tuple(p) for p in np.asarray(r["pools"]).tolist())
    if pools != SPEC_POOLS:
        raise Fail(
            f"`build_crnn()`'s poolings are {list(pools)}, expected {list(SPEC_POOLS)}: both halve the height "
            f"and the width, leaving {FRAMES} frames, enough for 6 digits and the blanks between equal ones."
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


# --------------------------------------------------------------------------- trained

TRAIN_SEED, TRAIN_LINES, BATCH = 1, 1280, 32
SCORED_LINES = 200
LEARNED_CER = 0.4  # the reference: 0.05–0.17 on seeds 0–4; on the plateau (every frame blank) 1.0

learns = new(
    "crnn.learns",
    2,
    f"`build_crnn()` trained {TRAIN_LINES // BATCH} seeded steps of {BATCH} lines reads {SCORED_LINES} test lines "
    f"with a character error rate of at most {LEARNED_CER}",
)


def ctc_per_line(labels, logits):
    """The grader's CTC cost of padded label rows (0 the padding) and frame logits, one per line:
    TensorFlow's sparse-label CTC, the same cost as ``keras.ops.ctc_loss``."""
    import tensorflow as tf

    labels = tf.cast(labels, tf.int32)
    frames = tf.fill([tf.shape(logits)[0]], tf.shape(logits)[1])
    sparse = tf.sparse.from_dense(labels)  # the padding's zeros dropped: a digit is class 1 + d
    logits = tf.cast(logits, tf.float32)
    return tf.nn.ctc_loss(sparse, logits, None, frames, logits_time_major=False, blank_index=0)


def train_crnn(build_crnn, seed=0):
    """Seeded training on the checks' own lines; the frame logits of the scored test lines.

    The check trains seed 0; tests/ runs it over seeds 0–4.
    """
    import keras

    from .._probes import built_to_train, trained_in_batches
    from ._shared import digit_lines

    keras.utils.set_random_seed(seed)
    model = built_to_train(build_crnn, "build_crnn()", MAX_CRNN_PARAMS)
    lines, labels = digit_lines(TRAIN_LINES, seed=TRAIN_SEED)
    try:
        trained_in_batches(model, lines[..., None], labels, BATCH, seed=seed, loss=ctc_per_line)
    except Exception as exc:  # noqa: BLE001 — a model that answers a call can still fail to train
        raise Fail(
            f"training `build_crnn()` on (lines, label rows) with CTC failed ({quoted_first_sentence(exc)}): see "
            "`crnn.structure` and the task's specification."
        ) from None
    test_lines, _ = digit_lines(SCORED_LINES, seed=TEST_SEED, split="test")
    return {"logits": model(test_lines[..., None], training=True)}  # the batch's statistics, see above


@learns.probe
def _(build_crnn):
    return train_crnn(build_crnn)


SCORED_TEXTS = """
094578 3099 8546 8518 348903 8199 192832 661265 16101 10775 995540 34593 7404 07734 57810 7813
716 48594 40701 123 831 62254 96518 73289 173853 082236 99475 824 416498 571 96830 3118
388 8193 479674 071 408 641 7043 035 814823 8386 0027 392339 11703 18375 480559 9351
455283 59876 3179 701 375 8077 951 68210 48560 3652 648 8190 2859 590 939 889278
84717 3486 813456 9825 41770 102427 14805 057404 6620 822 36498 987 377568 03326 1855 34811
58329 3068 753 631410 916787 39116 65513 867 355743 713 410 666 523393 074 343 3051
9278 7206 5967 50591 43072 96172 674 51226 757 8518 8975 899 890 1856 52078 386102
183 1345 322655 290 596344 2620 1746 0127 617 003478 352 553945 582759 103763 994 08895
1880 31139 554128 87822 3495 851 563 056075 574123 02362 760 001233 487 8167 43113 908
3480 5480 0538 37783 2442 48787 316 6027 679 132 846 083862 372166 37631 9955 769
1113 859 74024 5665 533998 861504 103 27356 8884 779207 82185 1710 43058 152918 46975 8878
168097 319 858843 3656 382556 977534 940 909 635803 817 14486 87175 7453 222 69824 372857
280 153 114 69962 0968 932833 058 996873
"""  # digit_lines(SCORED_LINES, seed=TEST_SEED, split="test")'s strings (tests/ checks it)


def scored_texts() -> list[str]:
    """The scored test lines' digit strings: the grader's own table (its verdicts need no digits
    dataset), not what the kernel reports."""
    return SCORED_TEXTS.split()


def read_texts(logits) -> list[str]:
    """Each line's greedy (best-path) reading of its frame logits, as a digit string."""
    from .ctc import ref_greedy_decode

    return [line_text(ref_greedy_decode(frames)) for frames in np.asarray(logits, np.float64)]


def character_error_rate_of(r) -> float:
    from .cer import ref_cer

    return ref_cer(scored_texts(), read_texts(r["logits"]))


@learns.verify
def _(r):
    logits = np.asarray(r["logits"], np.float64)
    if logits.ndim != 3 or logits.shape[0] != SCORED_LINES or logits.shape[-1] != NUM_CLASSES:
        raise Fail(
            f"the trained `build_crnn()` maps {SCORED_LINES} lines to shape {logits.shape}, expected "
            f"({SCORED_LINES}, frames, {NUM_CLASSES}): see `crnn.structure`."
        )
    if not np.all(np.isfinite(logits)):
        raise Fail("after training, `build_crnn()`'s outputs are not all finite numbers: the training diverged.")
    if logits.min() >= 0 and np.allclose(logits.sum(-1), 1, atol=1e-3):
        raise Fail(SOFTMAX_FRAMES)
    cer = character_error_rate_of(r)
    if cer <= LEARNED_CER:
        return
    read = read_texts(logits)
    if not any(read):
        raise Fail(
            f"after {TRAIN_LINES // BATCH} steps `build_crnn()` reads nothing: every frame of every test line is "
            "the blank (CER 1.0). That is CTC's plateau; the `BatchNormalization` after each convolution is what "
            "ends it within the graded steps (see `crnn.structure`)."
        )
    raise Fail(
        f"after {TRAIN_LINES // BATCH} steps `build_crnn()` reads the {SCORED_LINES} test lines with a character "
        f"error rate of {cer:.2f}, above {LEARNED_CER} (the specified network reaches about 0.1): check its layers "
        f"against the task (`crnn.structure`), e.g. the first test line reads {read[0]!r} for "
        f"{scored_texts()[0]!r}."
    )
