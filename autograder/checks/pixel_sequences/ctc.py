"""``ctc.*``: connectionist temporal classification (Graves et al. 2006) of one line, in NumPy, and
its wiring in Keras.

Classes: 0 is the blank, digit d is class d + 1 (C = 11). A line is T frames of softmax outputs,
``probs`` of shape (T, C). A path picks one class per frame; the collapse B merges runs of one
class, *then* drops the blanks, so "7, blank, 7" spells two 7s and "7, 7" one.

* **Greedy decoding.** ``ctc_greedy_decode(probs)``: each frame's argmax, collapsed.
* **The α-recursion.** With l' = [b, l1, b, l2, …, lL, b] (S = 2L + 1 states, labels at the odd
  indices): α_0(0) = p_0(b), α_0(1) = p_0(l1), the other α_0 = 0, and

      α_t(s) = (α_{t−1}(s) + α_{t−1}(s−1) + [s odd and l'_s ≠ l'_{s−2}] α_{t−1}(s−2)) · p_t(l'_s),

  the skip over a blank allowed only into a label that differs from the one before it. For real
  labels (never the blank) "s odd" is "l'_s ≠ b"; written by position, the rule also says what
  TensorFlow's CTC does with a label row whose padding (class 0) is counted as labels, which the
  ``ctc.keras_loss`` check needs to name that mistake.
* **The NLL.** −log(α_{T−1}(S−1) + α_{T−1}(S−2)): a path ends on the final blank or on the last
  label (α_{T−1}(0) alone when there are no labels). The reference of ``ctc.nll`` is the
  brute-force sum over every path of the tiny cases.
* **Keras.** ``keras.ops.ctc_loss(target, output, target_length, output_length, mask_index=0)``
  takes *logits* (TensorFlow applies the log-softmax itself), the padded label rows, each row's
  number of labels and each line's number of frames, and returns one loss per line, shape (B,).
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import expect
from .._core import Fail, new, returned
from ._shared import BLANK, NUM_CLASSES

# --------------------------------------------------------------------------- references


def ref_greedy_decode(probs, blank=BLANK, *, order="merge_first", merge=True, drop=True):
    """Best-path decoding of (T, C) frame probabilities: the labels, a 1-D int64 array.

    Each keyword argument turns on one known mistake (``GREEDY_MISTAKES``); other modules call it
    with ``probs`` and ``blank`` only.
    """
    best = np.asarray(probs).argmax(axis=-1).astype(np.int64).reshape(-1)
    if order == "drop_first":
        best = best[best != blank]
    if merge:
        starts_run = np.ones(len(best), bool)
        starts_run[1:] = best[1:] != best[:-1]
        best = best[starts_run]
    if drop:
        best = best[best != blank]
    return best


def extended_labels(labels, blank=BLANK) -> list[int]:
    """l' = [b, l1, b, l2, …, lL, b]."""
    out = [int(blank)]
    for label in np.asarray(labels, np.int64).reshape(-1):
        out += [int(label), int(blank)]
    return out


def ref_ctc_forward(probs, labels, blank=BLANK, *, skip="rule", init_label=True, emission="current"):
    """The reference α, shape (T, S), in probability space; each keyword argument turns on one
    known mistake (``FORWARD_MISTAKES``).

    Args:
        skip: ``"rule"`` (into a label different from the one two states back), ``"labels"``
            (into any label, equal ones too), ``"always"`` (into blanks too), ``"never"``.
        init_label: False starts from α_0(0) alone.
        emission: ``"current"`` (× p_t), ``"previous"`` (× p_{t−1}), ``"self_only"`` (only
            α_{t−1}(s) multiplied, the other terms added after the product).
    """
    probs = np.asarray(probs, np.float64)
    ext = extended_labels(labels, blank)
    T, S = len(probs), len(ext)
    alpha = np.zeros((T, S))
    alpha[0, 0] = probs[0, blank]
    if S > 1 and init_label:
        alpha[0, 1] = probs[0, ext[1]]
    for t in range(1, T):
        emit = probs[t - 1] if emission == "previous" else probs[t]
        for s in range(S):
            allowed = {
                "rule": s % 2 == 1 and s >= 2 and ext[s] != ext[s - 2],
                "labels": s % 2 == 1 and s >= 2,
                "always": s >= 2,
                "never": False,
            }[skip]
            arrived = (alpha[t - 1, s - 1] if s >= 1 else 0.0) + (alpha[t - 1, s - 2] if allowed else 0.0)
            if emission == "self_only":
                alpha[t, s] = alpha[t - 1, s] * emit[ext[s]] + arrived
            else:
                alpha[t, s] = (alpha[t - 1, s] + arrived) * emit[ext[s]]
    return alpha


def ref_ctc_nll(probs, labels, blank=BLANK, *, end="both", output="nll", log=np.log):
    """The reference −log p(labels | frames) from the reference α; each keyword argument turns on
    one known mistake (``NLL_MISTAKES``): ``end`` ``"blank"`` or ``"label"`` keeps one final
    state, ``output`` ``"likelihood"`` or ``"log"`` skips the log or its minus, ``log`` is the
    logarithm."""
    alpha = ref_ctc_forward(probs, labels, blank)
    last = alpha[-1]
    if end == "both":
        likelihood = last[-1] + (last[-2] if len(last) > 1 else 0.0)
    elif end == "blank":
        likelihood = last[-1]
    else:
        if len(last) == 1:
            raise ValueError("no label to end on")
        likelihood = last[-2]
    if output == "likelihood":
        return float(likelihood)
    with np.errstate(divide="ignore"):
        value = float(log(likelihood))
    return value if output == "log" else -value


def collapse(path, blank=BLANK) -> tuple[int, ...]:
    """B(π): merge runs, then drop blanks."""
    merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
    return tuple(int(c) for c in merged if c != blank)


def brute_force_likelihood(probs, labels, blank=BLANK) -> float:
    """p(labels | frames) as the sum over all C^T paths that collapse to ``labels`` (tiny cases only)."""
    probs = np.asarray(probs, np.float64)
    T, C = probs.shape
    if C**T > 100_000:
        raise ValueError(f"{C}^{T} paths are too many to enumerate")
    target = tuple(int(c) for c in np.asarray(labels, np.int64).reshape(-1))
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        if collapse(path, blank) == target:
            total += float(np.prod(probs[np.arange(T), list(path)]))
    return total


def log_softmax(logits):
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def ref_batch_loss(labels, logits, *, lengths="labels", softmax_twice=False, blank=BLANK, reduce=False):
    """What ``keras.ops.ctc_loss`` gives, per line, in float64; each keyword argument turns on one
    known mistake (``KERAS_MISTAKES``): ``lengths="padded"`` counts the padding as labels,
    ``softmax_twice`` passes probabilities as logits, ``blank`` is ``mask_index``, ``reduce``
    averages over the batch."""
    labels = np.asarray(labels, np.int64)
    probs = np.exp(log_softmax(logits))
    if softmax_twice:
        probs = np.exp(log_softmax(probs))
    losses = []
    for row, frames in zip(labels, probs):
        kept = row if lengths == "padded" else row[: int(np.sum(row > 0))]
        losses.append(ref_ctc_nll(frames, kept, blank))
    losses = np.asarray(losses)
    return losses.mean() if reduce else losses


# --------------------------------------------------------------------------- inputs


def frame_probs(path, seed, num_classes=NUM_CLASSES):
    """float32 (T, C) frame probabilities whose argmax per frame is ``path``."""
    rng = np.random.default_rng(seed)
    noise = rng.dirichlet(np.ones(num_classes), size=len(path)) * 0.4
    noise[np.arange(len(path)), list(path)] += 0.6
    return noise.astype(np.float32)


def random_probs(T, C, seed):
    """float32 (T, C) seeded softmax-like probabilities (each row sums to 1)."""
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(C), size=T).astype(np.float32)


# --------------------------------------------------------------------------- greedy decoding

GREEDY_MISTAKES = (
    (
        lambda p: ref_greedy_decode(p, order="drop_first"),
        'You dropped the blanks before merging repeats: then "7, blank, 7" reads as one 7. Merge runs of '
        "the same class first, then drop the blanks (the blank is what separates a doubled digit).",
    ),
    (
        lambda p: ref_greedy_decode(p, merge=False),
        "You did not merge repeats: a digit that spans several frames is one label, so merge each run of "
        "the same class into one before dropping the blanks.",
    ),
    (
        lambda p: ref_greedy_decode(p, drop=False),
        "You did not drop the blanks (class 0): after merging repeats, remove every blank.",
    ),
    (
        lambda p: ref_greedy_decode(p, merge=False, drop=False),
        "You returned each frame's argmax: collapse it, merging repeats and then dropping the blanks.",
    ),
    (
        lambda p: ref_greedy_decode(p) - 1,
        "You returned digits (class − 1): return the label classes (digit d is class d + 1).",
    ),
)

GREEDY_CASES = (
    ("frames 7, blank, 7", (7, 0, 7)),
    ("frames 7, 7", (7, 7)),
    ("frames that are all blank", (0, 0, 0, 0, 0, 0)),
    ("a line with leading and trailing blanks", (0, 0, 3, 3, 0, 5, 0, 0)),
    ("a long run of one class", (0, 2, 2, 2, 2, 2, 2, 2, 0, 0, 9, 9, 1, 1, 1, 0)),
    ("a doubled digit in a line", (4, 4, 0, 4, 0, 0, 10, 10, 0, 1)),
)
GREEDY_PROBS = tuple(frame_probs(path, seed=700 + i) for i, (_, path) in enumerate(GREEDY_CASES))

greedy = new(
    "ctc.greedy", 1, "`ctc_greedy_decode`: each frame's argmax, runs merged first, then blanks dropped (class ids)"
)


@greedy.probe
def _(ctc_greedy_decode):
    record = {}
    for i, probs in enumerate(GREEDY_PROBS):
        value = returned(ctc_greedy_decode(probs.copy()), "`ctc_greedy_decode`")
        record[f"case{i}"] = value
    return record


def _joined(outputs):
    """The decodes of every case in one array, each followed by −99 (a joint comparison)."""
    return np.concatenate([np.append(np.asarray(o, np.float64).reshape(-1), -99.0) for o in outputs])


@greedy.verify
def _(r):
    outputs = []
    for i, (name, _) in enumerate(GREEDY_CASES):
        got = np.asarray(r[f"case{i}"])
        if got.dtype.kind == "U":
            raise Fail(f"`ctc_greedy_decode` on {name} returned text: return the label classes as an integer array.")
        if got.ndim != 1:
            raise Fail(
                f"`ctc_greedy_decode` on {name} returned shape {got.shape}: return a 1-D array of labels "
                "(shape (0,) when every frame is blank)."
            )
        outputs.append(got)
    hint = expect.diagnose(
        _joined(outputs), tuple((lambda f=f: _joined(f(p) for p in GREEDY_PROBS), h) for f, h in GREEDY_MISTAKES)
    )
    hint = hint or "Take the argmax of each frame, merge runs of one class, then drop the blanks."
    for (name, path), probs, got in zip(GREEDY_CASES, GREEDY_PROBS, outputs):
        expected = ref_greedy_decode(probs)
        if got.shape != expected.shape or not np.all(got == expected):
            raise Fail(
                f"`ctc_greedy_decode` on {name} (argmax classes {list(path)}) returned "
                f"{got.astype(np.int64).tolist()}, expected {expected.tolist()}. {hint}"
            )


# --------------------------------------------------------------------------- the α-recursion

FORWARD_MISTAKES = (
    (
        lambda p, y: ref_ctc_forward(p, y, skip="labels"),
        "You let α skip the blank between two equal labels: the skip from s − 2 is allowed only when l'_s "
        'differs from l\'_{s−2}, or "3 3" could be spelled by a single run of 3s.',
    ),
    (
        lambda p, y: ref_ctc_forward(p, y, skip="always"),
        "You let α skip from s − 2 into a blank state as well: a blank (even s) is reached only from itself "
        "and from the label just before it; the skip is for a label that differs from the one two states back.",
    ),
    (
        lambda p, y: ref_ctc_forward(p, y, skip="never"),
        "You never let α skip from s − 2: a path may go straight from one label to a different next label "
        "without a blank between them, so add α_{t−1}(s−2) when l'_s is a label and l'_s ≠ l'_{s−2}.",
    ),
    (
        lambda p, y: ref_ctc_forward(p, y, init_label=False),
        "Only α_0(0) is initialised: a path may start on the first label too, so α_0(1) = p_0(l1) "
        "(`alpha[0, 1] = probs[0, labels[0]]`).",
    ),
    (
        lambda p, y: ref_ctc_forward(p, y, emission="previous"),
        "You multiplied by the previous frame's probability p_{t−1}: α_t(s) takes the emission of frame t, "
        "`probs[t, l'_s]`.",
    ),
    (
        lambda p, y: ref_ctc_forward(p, y, emission="self_only"),
        "You multiplied by the emission before summing: add the two or three α_{t−1} terms first, then "
        "multiply their sum by p_t(l'_s).",
    ),
)

FORWARD_FALLBACK = (
    "Build l' = [b, l1, b, …, lL, b], set α_0(0) and α_0(1), then follow the recursion for t ≥ 1 "
    "(every α in probability space, not log)."
)

FORWARD_CASES = (
    ("labels [3, 3] (a repeated label) over 6 frames", (3, 3), random_probs(6, 5, seed=710)),
    ("distinct labels [1, 3, 2] over 6 frames", (1, 3, 2), random_probs(6, 5, seed=711)),
    ("labels [2, 2, 4] over 4 frames, the fewest that can spell them", (2, 2, 4), random_probs(4, 5, seed=712)),
    ("an empty label sequence over 4 frames", (), random_probs(4, 5, seed=713)),
)

forward = new(
    "ctc.forward",
    2,
    "`ctc_forward`: α over l' = [b, l1, b, …, lL, b], shape (T, 2L + 1), the skip only into a different label",
)


def _labels(labels):
    return np.asarray(labels, np.int64).reshape(-1)


@forward.probe
def _(ctc_forward):
    record = {}
    for i, (_, labels, probs) in enumerate(FORWARD_CASES):
        record[f"case{i}"] = returned(ctc_forward(probs.copy(), _labels(labels)), "`ctc_forward`")
    return record


def _verify_alpha(got, probs, labels, what):
    """α against the reference, each frame's row relative to its largest value (α shrinks fast)."""
    expected = ref_ctc_forward(probs, labels)
    got = np.asarray(got, np.float64)
    T, S = expected.shape
    if got.shape != expected.shape:
        if got.shape == (S, T) and S != T:
            raise Fail(f"{what} has shape {got.shape}, expected (T, S) = {(T, S)}: it is transposed (rows are frames).")
        raise Fail(
            f"{what} has shape {got.shape}, expected (T, S) = {(T, S)}: one row per frame, one column per state of "
            "l' = [b, l1, b, …, lL, b], so S = 2L + 1."
        )
    scale = expected.max(axis=1, keepdims=True)
    mistakes = tuple((lambda f=f: f(probs, labels) / scale, h) for f, h in FORWARD_MISTAKES)
    hint = expect.diagnose(got / scale, mistakes, rtol=1e-4, atol=1e-7)
    expect.close(
        got / scale,
        expected / scale,
        f"{what}, each row divided by its largest correct value,",
        hint or FORWARD_FALLBACK,
        rtol=1e-4,
        atol=1e-7,
    )


@forward.verify
def _(r):
    for i, (name, labels, probs) in enumerate(FORWARD_CASES):
        _verify_alpha(r[f"case{i}"], probs, _labels(labels), f"`ctc_forward`'s α for {name}")


# --------------------------------------------------------------------------- the NLL

NLL_MISTAKES = (
    (
        lambda p, y: ref_ctc_nll(p, y, end="blank"),
        "You kept only the paths that end on the final blank, α_{T−1}(S−1): a path may also end on the last "
        "label, so p(y | x) = α_{T−1}(S−1) + α_{T−1}(S−2) (`alpha[-1, -1] + alpha[-1, -2]`).",
    ),
    (
        lambda p, y: ref_ctc_nll(p, y, end="label"),
        "You kept only the paths that end on the last label, α_{T−1}(S−2): a path may also end on the final "
        "blank, so p(y | x) = α_{T−1}(S−1) + α_{T−1}(S−2) (`alpha[-1, -1] + alpha[-1, -2]`).",
    ),
    (
        lambda p, y: ref_ctc_nll(p, y, output="likelihood"),
        "You returned the likelihood p(y | x): the cost is its negative log, `-np.log(p)`.",
    ),
    (
        lambda p, y: ref_ctc_nll(p, y, output="log"),
        "You returned log p(y | x), which is negative: the cost is its negative, `-np.log(p)`.",
    ),
    (
        lambda p, y: ref_ctc_nll(p, y, log=np.log2),
        "You took log2: the NLL uses the natural logarithm, `np.log`.",
    ),
    (
        lambda p, y: ref_ctc_nll(p, y, log=np.log10),
        "You took log10: the NLL uses the natural logarithm, `np.log`.",
    ),
)

NLL_FALLBACK = (
    "`ctc_nll` = −log(α_{T−1}(S−1) + α_{T−1}(S−2)) with your `ctc_forward` (α_{T−1}(0) alone when there are "
    "no labels): if `ctc.forward` fails, fix `ctc_forward` first."
)

NLL_CASES = (
    ("labels [1, 2] over 4 frames of 3 classes", (1, 2), random_probs(4, 3, seed=720)),
    ("labels [2, 2] over 5 frames of 3 classes", (2, 2), random_probs(5, 3, seed=721)),
    ("labels [3] over 3 frames of 4 classes", (3,), random_probs(3, 4, seed=722)),
    ("labels [1, 3, 1] over 5 frames of 4 classes", (1, 3, 1), random_probs(5, 4, seed=723)),
    ("no labels over 4 frames of 3 classes", (), random_probs(4, 3, seed=724)),
)
# The reference: the sum over every path that collapses to the labels (at most 4^5 = 1024 paths).
NLL_EXPECTED = tuple(-np.log(brute_force_likelihood(probs, labels)) for _, labels, probs in NLL_CASES)

nll = new("ctc.nll", 1, "`ctc_nll`: −log(α_{T−1}(S−1) + α_{T−1}(S−2)) equals the brute-force sum over every alignment")


@nll.probe
def _(ctc_nll):
    record = {}
    for i, (_, labels, probs) in enumerate(NLL_CASES):
        record[f"case{i}"] = returned(ctc_nll(probs.copy(), _labels(labels)), "`ctc_nll`")
    return record


def _verify_nll(got, expected, probs, labels, what):
    got = np.asarray(got, np.float64).reshape(-1)
    if got.size != 1:
        raise Fail(f"{what} returned {got.size} numbers: return one, the line's −log p(y | x).")
    hint = expect.diagnose(float(got[0]), NLL_MISTAKES, probs, labels, rtol=1e-4, atol=1e-6)
    expect.close(float(got[0]), expected, what, hint or NLL_FALLBACK, rtol=1e-4, atol=1e-6)


@nll.verify
def _(r):
    for i, ((name, labels, probs), expected) in enumerate(zip(NLL_CASES, NLL_EXPECTED)):
        _verify_nll(r[f"case{i}"], expected, probs, _labels(labels), f"`ctc_nll` for {name}")


# --------------------------------------------------------------------------- hidden

HIDDEN_LABELS = np.array([6, 6, 2, 9], np.int64)
HIDDEN_PROBS = random_probs(12, NUM_CLASSES, seed=730)

hidden = new("ctc.hidden", 1, "`ctc_forward` and `ctc_nll` on a longer line with a repeated digit", hidden=True)


@hidden.probe
def _(ctc_forward, ctc_nll):
    return {
        "alpha": returned(ctc_forward(HIDDEN_PROBS.copy(), HIDDEN_LABELS.copy()), "`ctc_forward`"),
        "nll": returned(ctc_nll(HIDDEN_PROBS.copy(), HIDDEN_LABELS.copy()), "`ctc_nll`"),
    }


@hidden.verify
def _(r):
    _verify_alpha(r["alpha"], HIDDEN_PROBS, HIDDEN_LABELS, "`ctc_forward`'s α on the hidden line")
    _verify_nll(
        r["nll"], ref_ctc_nll(HIDDEN_PROBS, HIDDEN_LABELS), HIDDEN_PROBS, HIDDEN_LABELS, "`ctc_nll` on the hidden line"
    )


# --------------------------------------------------------------------------- Keras

KERAS_LABELS = np.array([[4, 4, 2, 0], [3, 0, 0, 0], [5, 1, 9, 7]], np.int32)  # "332", "2", "4086"
KERAS_FRAMES = 16  # more frames than classes: `ops.shape(logits)[2]` for the frames is caught
KERAS_LOGITS = (np.random.default_rng(740).normal(size=(3, KERAS_FRAMES, NUM_CLASSES)) * 2).astype(np.float32)

KERAS_MISTAKES = (
    (
        lambda y, z: ref_batch_loss(y, z, lengths="padded"),
        "You counted the padding as labels (`target_length` = the rows' width for every line): pass each row's "
        'number of real labels, `ops.sum(ops.cast(labels > 0, "int32"), axis=1)`.',
    ),
    (
        lambda y, z: ref_batch_loss(y, z, softmax_twice=True),
        "You passed softmax probabilities as `output`: `keras.ops.ctc_loss` takes the logits and applies the "
        "log-softmax itself, so the probabilities went through a second softmax. Pass `logits` as they are.",
    ),
    (
        lambda y, z: ref_batch_loss(y, z, blank=NUM_CLASSES - 1),
        "You passed `mask_index` = C − 1 (the blank last): here the blank is class 0, so `mask_index=0`.",
    ),
)

keras_loss = new(
    "ctc.keras_loss",
    1,
    "`ctc_batch_loss(labels, logits)`: `keras.ops.ctc_loss` on logits with each row's number of labels, "
    "one loss per line",
)


@keras_loss.probe
def _(ctc_batch_loss):
    import keras

    labels = keras.ops.convert_to_tensor(KERAS_LABELS.copy())
    logits = keras.ops.convert_to_tensor(KERAS_LOGITS.copy())
    return {"loss": returned(ctc_batch_loss(labels, logits), "`ctc_batch_loss`")}


@keras_loss.verify
def _(r):
    got = np.asarray(r["loss"], np.float64)
    expected = ref_batch_loss(KERAS_LABELS, KERAS_LOGITS)
    what = "`ctc_batch_loss` on 3 lines of 3, 1 and 4 labels over 16 frames"
    if got.shape != expected.shape:
        if got.size == 1 and expect.matches(got.reshape(()), expected.mean(), rtol=1e-3, atol=1e-4):
            raise Fail(
                f"{what} returned the mean over the batch (shape {got.shape}): return the per-line losses, "
                f"shape (B,) = {expected.shape}, as `keras.ops.ctc_loss` gives them (Keras averages them itself)."
            )
        if got.size == 1:
            raise Fail(
                f"{what} returned one number (shape {got.shape}): return the per-line losses, shape (B,) = "
                f"{expected.shape}, as `keras.ops.ctc_loss` gives them."
            )
        raise Fail(f"{what} has shape {got.shape}, expected (B,) = {expected.shape}: one loss per line.")
    hint = expect.diagnose(got, KERAS_MISTAKES, KERAS_LABELS, KERAS_LOGITS, rtol=1e-3, atol=1e-4)
    expect.close(
        got,
        expected,
        what,
        hint
        or "Pass `keras.ops.ctc_loss(labels, logits, target_length, output_length, mask_index=0)`: the logits, "
        "each row's number of labels (> 0) and T frames for every line.",
        rtol=1e-3,
        atol=1e-4,
    )
