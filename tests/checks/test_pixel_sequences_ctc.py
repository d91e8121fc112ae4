"""Assignment 07's CTC and CER checks, before its notebook: does each check pass a correct student
implementation, and does each realistic mistake fail with the message that names it? The
references are pinned against independent computations: α and the NLL against the brute-force
sum over every path, the Keras wiring against ``keras.ops.ctc_loss`` itself, the CER against a
full-matrix edit distance.

NumPy in-process, and Keras (TensorFlow) for ``ctc.keras_loss`` only.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from autograder.checks.pixel_sequences import cer, ctc

from .support import run

# --------------------------------------------------------------------------- students' implementations


def student_greedy(probs, blank=0, *, order="merge_first", merge=True, drop=True, digits=False, as_list=False):
    best = np.asarray(probs).argmax(axis=-1)
    if order == "drop_first":
        best = best[best != blank]
    if merge:
        best = np.array([c for i, c in enumerate(best) if i == 0 or c != best[i - 1]], np.int64)
    if drop:
        best = best[best != blank]
    if digits:
        best = best - 1
    return [int(c) for c in best] if as_list else best


def student_forward(probs, labels, blank=0, *, skip="rule", init_label=True, emission="current", dtype=np.float64):
    probs = np.asarray(probs, dtype)
    ext = [blank]
    for label in np.asarray(labels).ravel():
        ext += [int(label), blank]
    T, S = len(probs), len(ext)
    alpha = np.zeros((T, S), dtype)
    alpha[0, 0] = probs[0, blank]
    if S > 1 and init_label:
        alpha[0, 1] = probs[0, ext[1]]
    for t in range(1, T):
        p = probs[t - 1] if emission == "previous" else probs[t]
        for s in range(S):
            total = alpha[t - 1, s - 1] if s >= 1 else 0.0
            if skip == "rule" and s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                total += alpha[t - 1, s - 2]
            elif skip == "labels" and s >= 2 and ext[s] != blank:
                total += alpha[t - 1, s - 2]
            elif skip == "always" and s >= 2:
                total += alpha[t - 1, s - 2]
            if emission == "self_only":
                alpha[t, s] = alpha[t - 1, s] * p[ext[s]] + total
            else:
                alpha[t, s] = (alpha[t - 1, s] + total) * p[ext[s]]
    return alpha


def student_nll(probs, labels, blank=0, *, end="both", output="nll", log=np.log, forward=student_forward):
    alpha = forward(probs, labels, blank)
    if end == "both":
        likelihood = alpha[-1, -1] + (alpha[-1, -2] if alpha.shape[1] > 1 else 0.0)
    elif end == "blank":
        likelihood = alpha[-1, -1]
    else:
        likelihood = alpha[-1, -2] if alpha.shape[1] > 1 else alpha[-1, -1]
    if output == "likelihood":
        return float(likelihood)
    return float(log(likelihood)) if output == "log" else float(-log(likelihood))


def student_batch_loss(labels, logits, *, padded=False, softmax=False, mean=False, blank_last=False, column=False):
    from keras import ops

    labels = ops.cast(labels, "int32")
    if padded:
        label_length = ops.full((ops.shape(labels)[0],), ops.shape(labels)[1], dtype="int32")
    else:
        label_length = ops.sum(ops.cast(labels > 0, "int32"), axis=1)
    frames = ops.full((ops.shape(logits)[0],), ops.shape(logits)[1], dtype="int32")
    output = ops.softmax(logits, axis=-1) if softmax else logits
    mask = ops.shape(logits)[-1] - 1 if blank_last else 0
    loss = ops.ctc_loss(labels, output, label_length, frames, mask_index=mask)
    if column:
        return ops.expand_dims(loss, -1)
    return ops.mean(loss) if mean else loss


def student_cer(truths, predictions, *, hamming=False, lines=False, by_predictions=False, substitution=1, ratio=True):
    edits, rates = 0, []
    for truth, guess in zip(truths, predictions):
        if hamming:
            distance = sum(a != b for a, b in zip(truth, guess)) + abs(len(truth) - len(guess))
        else:
            row = list(range(len(guess) + 1))
            for i, a in enumerate(truth, start=1):
                previous, row[0] = row[0], i
                for j, b in enumerate(guess, start=1):
                    cost = substitution if a != b else 0
                    previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + cost)
            distance = row[-1]
        edits += distance
        rates.append(distance / len(truth))
    if lines:
        return sum(rates) / len(rates)
    if not ratio:
        return edits
    return edits / sum(len(g if by_predictions else t) for t, g in zip(truths, predictions))


# --------------------------------------------------------------------------- greedy decoding


def test_a_correct_greedy_decode_passes():
    assert run("ctc.greedy", student_greedy) is None
    assert run("ctc.greedy", lambda p, blank=0: student_greedy(p, as_list=True)) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"order": "drop_first"}, "dropped the blanks before merging repeats"),
        ({"merge": False}, "did not merge repeats"),
        ({"drop": False}, "did not drop the blanks"),
        ({"merge": False, "drop": False}, "returned each frame's argmax"),
        ({"digits": True}, "returned digits (class − 1)"),
    ],
)
def test_greedy_mistakes_are_named(options, phrase):
    message = run("ctc.greedy", lambda p, blank=0: student_greedy(p, **options))
    assert message and phrase in message, message


def test_a_greedy_decode_of_the_wrong_shape_or_none_is_named():
    message = run("ctc.greedy", lambda p, blank=0: student_greedy(p)[None])
    assert message and "return a 1-D array of labels" in message, message
    message = run("ctc.greedy", lambda p, blank=0: None)
    assert message and "returned None" in message, message


def test_the_greedy_reference_is_the_collapse_of_the_best_path():
    rng = np.random.default_rng(0)
    for _ in range(50):
        probs = rng.dirichlet(np.ones(4), size=int(rng.integers(1, 12)))
        best = probs.argmax(-1)
        expected = [k for k, _ in itertools.groupby(best.tolist()) if k != 0]
        assert ctc.ref_greedy_decode(probs).tolist() == expected
    assert ctc.ref_greedy_decode(ctc.GREEDY_PROBS[0]).tolist() == [7, 7]
    assert ctc.ref_greedy_decode(ctc.GREEDY_PROBS[1]).tolist() == [7]
    assert ctc.ref_greedy_decode(ctc.GREEDY_PROBS[2]).shape == (0,)
    assert all(p.dtype == np.float32 for p in ctc.GREEDY_PROBS)


# --------------------------------------------------------------------------- the α-recursion


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_correct_forward_passes(dtype):
    assert run("ctc.forward", lambda p, y, blank=0: student_forward(p, y, blank, dtype=dtype)) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"skip": "labels"}, "skip the blank between two equal labels"),
        ({"skip": "always"}, "into a blank state as well"),
        ({"skip": "never"}, "never let α skip"),
        ({"init_label": False}, "Only α_0(0) is initialised"),
        ({"emission": "previous"}, "previous frame's probability"),
        ({"emission": "self_only"}, "multiplied by the emission before summing"),
    ],
)
def test_forward_mistakes_are_named(options, phrase):
    message = run("ctc.forward", lambda p, y, blank=0: student_forward(p, y, blank, **options))
    assert message and phrase in message, message


def test_a_transposed_or_blankless_alpha_is_named():
    message = run("ctc.forward", lambda p, y, blank=0: student_forward(p, y, blank).T)
    assert message and "transposed" in message, message
    message = run("ctc.forward", lambda p, y, blank=0: student_forward(p, y, blank)[:, 1:])
    assert message and "S = 2L + 1" in message, message


def brute_force_alpha(probs, labels, blank=0):
    """α_t(s) by enumeration: the paths of frames 0..t that have spelled l'[:s + 1] and sit on l'_s."""
    ext = ctc.extended_labels(labels, blank)
    T, C = probs.shape
    alpha = np.zeros((T, len(ext)))
    for t in range(T):
        for path in itertools.product(range(C), repeat=t + 1):
            weight = np.prod(probs[np.arange(t + 1), list(path)])
            spelled = ctc.collapse(path, blank)
            for s in range(len(ext)):
                prefix = tuple(c for c in ext[: s + 1] if c != blank)
                if spelled == prefix and path[-1] == ext[s]:
                    alpha[t, s] += weight
    return alpha


@pytest.mark.parametrize("seed", range(6))
def test_the_alpha_reference_agrees_with_brute_force(seed):
    rng = np.random.default_rng(seed)
    T, C = int(rng.integers(2, 6)), int(rng.integers(2, 5))
    labels = rng.integers(1, C, size=int(rng.integers(0, 4)))
    if seed == 0:
        labels = np.array([1, 1])  # a repeat, always
    T = max(T, len(labels) + int(np.sum(labels[1:] == labels[:-1])))  # long enough to spell them
    probs = rng.dirichlet(np.ones(C), size=T)
    np.testing.assert_allclose(ctc.ref_ctc_forward(probs, labels), brute_force_alpha(probs, labels), rtol=1e-12)
    likelihood = ctc.brute_force_likelihood(probs, labels)
    assert ctc.ref_ctc_nll(probs, labels) == pytest.approx(-np.log(likelihood), rel=1e-12)


def test_the_brute_force_likelihoods_sum_to_one_over_all_label_strings():
    probs = np.random.default_rng(3).dirichlet(np.ones(3), size=4)
    strings = {ctc.collapse(path) for path in itertools.product(range(3), repeat=4)}
    assert sum(ctc.brute_force_likelihood(probs, s) for s in strings) == pytest.approx(1.0)


# --------------------------------------------------------------------------- the NLL


def test_a_correct_nll_passes():
    assert run("ctc.nll", student_nll) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"end": "blank"}, "only the paths that end on the final blank"),
        ({"end": "label"}, "only the paths that end on the last label"),
        ({"output": "likelihood"}, "returned the likelihood"),
        ({"output": "log"}, "which is negative"),
        ({"log": np.log2}, "You took log2"),
        ({"log": np.log10}, "You took log10"),
    ],
)
def test_nll_mistakes_are_named(options, phrase):
    message = run("ctc.nll", lambda p, y, blank=0: student_nll(p, y, blank, **options))
    assert message and phrase in message, message


def test_an_nll_on_a_wrong_forward_says_to_fix_the_forward_first():
    wrong = lambda p, y, blank=0: student_forward(p, y, blank, skip="labels")  # noqa: E731
    message = run("ctc.nll", lambda p, y, blank=0: student_nll(p, y, blank, forward=wrong))
    assert message and "fix `ctc_forward` first" in message, message


def test_the_hidden_check_passes_a_correct_pair_and_names_a_skip_between_repeats():
    assert run("ctc.hidden", student_forward, student_nll) is None
    wrong = lambda p, y, blank=0: student_forward(p, y, blank, skip="labels")  # noqa: E731
    message = run("ctc.hidden", wrong, lambda p, y, blank=0: student_nll(p, y, blank, forward=wrong))
    assert message and "skip the blank between two equal labels" in message, message
    message = run("ctc.hidden", student_forward, lambda p, y, blank=0: student_nll(p, y, blank, end="blank"))
    assert message and "final blank" in message, message
    assert "labels [" not in message


def test_the_hidden_line_has_a_repeated_label_and_alpha_values_far_below_the_absolute_tolerance():
    labels = ctc.HIDDEN_LABELS
    assert len(labels) == 4 and np.any(labels[1:] == labels[:-1])
    assert ctc.HIDDEN_PROBS.shape == (12, 11)
    assert ctc.ref_ctc_forward(ctc.HIDDEN_PROBS, labels)[-1].max() < 1e-7  # why rows are compared relatively


# --------------------------------------------------------------------------- Keras


def keras_losses(labels, logits, **options):
    from keras import ops

    return np.asarray(student_batch_loss(ops.convert_to_tensor(labels), ops.convert_to_tensor(logits), **options))


def test_the_keras_reference_agrees_with_keras_ctc_loss():
    np.testing.assert_allclose(
        keras_losses(ctc.KERAS_LABELS, ctc.KERAS_LOGITS),
        ctc.ref_batch_loss(ctc.KERAS_LABELS, ctc.KERAS_LOGITS),
        rtol=1e-5,
    )
    rng = np.random.default_rng(1)
    labels = np.array([[2, 2, 0], [1, 3, 1], [0, 0, 0]], np.int32)
    logits = rng.normal(size=(3, 7, 4)).astype(np.float32)
    np.testing.assert_allclose(keras_losses(labels, logits), ctc.ref_batch_loss(labels, logits), rtol=1e-5)


@pytest.mark.parametrize(
    "options, reference",
    [
        ({"padded": True}, {"lengths": "padded"}),
        ({"softmax": True}, {"softmax_twice": True}),
        ({"blank_last": True}, {"blank": 10}),
    ],
)
def test_each_keras_mistake_is_reproduced_by_the_reference(options, reference):
    np.testing.assert_allclose(
        keras_losses(ctc.KERAS_LABELS, ctc.KERAS_LOGITS, **options),
        ctc.ref_batch_loss(ctc.KERAS_LABELS, ctc.KERAS_LOGITS, **reference),
        rtol=1e-5,
    )


def test_a_correct_batch_loss_passes():
    assert run("ctc.keras_loss", student_batch_loss) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"padded": True}, "counted the padding as labels"),
        ({"softmax": True}, "passed softmax probabilities as `output`"),
        ({"mean": True}, "the mean over the batch"),
        ({"blank_last": True}, "`mask_index` = C − 1"),
        ({"column": True}, "one loss per line"),
    ],
)
def test_batch_loss_mistakes_are_named(options, phrase):
    message = run("ctc.keras_loss", lambda y, z: student_batch_loss(y, z, **options))
    assert message and phrase in message, message


# --------------------------------------------------------------------------- CER


def test_a_correct_cer_passes():
    assert run("cer.edit", student_cer) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"hamming": True}, "position by position"),
        ({"lines": True}, "averaged the per-line rates"),
        ({"by_predictions": True}, "divided by the predictions' lengths"),
        ({"substitution": 2}, "A substitution cost 2"),
        ({"ratio": False}, "returned the number of edits"),
    ],
)
def test_cer_mistakes_are_named(options, phrase):
    message = run("cer.edit", lambda t, p: student_cer(t, p, **options))
    assert message and phrase in message, message


def matrix_levenshtein(a, b):
    d = np.zeros((len(a) + 1, len(b) + 1), int)
    d[:, 0], d[0, :] = np.arange(len(a) + 1), np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (a[i - 1] != b[j - 1]))
    return int(d[-1, -1])


def test_the_cer_reference_agrees_with_a_full_matrix_edit_distance():
    rng = np.random.default_rng(5)
    digits = "0123456789"
    for _ in range(20):
        truths = ["".join(rng.choice(list(digits), int(rng.integers(1, 7)))) for _ in range(4)]
        predictions = ["".join(rng.choice(list(digits[:3]), int(rng.integers(0, 8)))) for _ in range(4)]
        edits = sum(matrix_levenshtein(t, p) for t, p in zip(truths, predictions))
        assert cer.ref_cer(truths, predictions) == pytest.approx(edits / sum(map(len, truths)))
    assert cer.ref_cer(["209"], ["2099"]) == pytest.approx(1 / 3)
    assert cer.ref_cer(["7"], ["7777"]) == pytest.approx(3.0)
    assert cer.ref_levenshtein("kitten", "sitting") == 3
