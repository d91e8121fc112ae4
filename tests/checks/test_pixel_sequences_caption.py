"""Assignment 07's caption checks (teacher forcing, greedy decoding, BLEU), before its notebook:
does each check pass a correct student implementation, and does each realistic mistake fail with
the message that names it? The BLEU reference is pinned against hand-computed values (and NLTK's
``sentence_bleu`` where NLTK is installed).

Plain NumPy, in-process: these checks never need TensorFlow.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from autograder.checks.pixel_sequences import caption

from .support import run

# --------------------------------------------------------------------------- teacher forcing


def student_pairs(
    captions,
    max_len,
    *,
    shift=True,
    swap=False,
    end_in_inputs=False,
    start_in_targets=False,
    pad=0,
    truncate=True,
    grow=False,
):
    width = max_len + 1
    if grow:  # rows as long as the longest caption needs
        width = max(max_len, *(len(c) for c in captions)) + 1
    inputs = np.full((len(captions), width + end_in_inputs), pad, np.int32)
    targets = np.full((len(captions), width + start_in_targets), pad, np.int32)
    for i, c in enumerate(captions):
        words = list(c[:max_len] if truncate else c)
        row_in = [1, *words] + ([2] if end_in_inputs else [])
        row_out = ([1] if start_in_targets else []) + [*words, 2]
        inputs[i, : len(row_in)] = row_in  # a broadcast error when a caption is too long
        targets[i, : len(row_out)] = row_out
    if not shift:
        targets = inputs.copy()
    return (targets, inputs) if swap else (inputs, targets)


@pytest.mark.parametrize("check_id", ["caption.pairs"])
def test_correct_pairs_pass(check_id):
    assert run(check_id, student_pairs) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"shift": False}, "The targets are the inputs, not shifted"),
        ({"swap": True}, "shifted the wrong way"),
        ({"end_in_inputs": True}, "`<end>` is in the inputs"),
        ({"start_in_targets": True}, "`<start>` is in the targets"),
        ({"pad": 2}, "You padded with `<end>`"),
        ({"truncate": False}, "Cut a caption longer than `max_len`"),
        ({"truncate": False, "grow": True}, "Cut a caption longer than `max_len`"),
    ],
)
def test_pair_mistakes_are_named(options, phrase):
    message = run("caption.pairs", lambda c, m: student_pairs(c, m, **options))
    assert message and phrase in message, message


def test_end_padding_in_the_targets_only_is_named():
    def targets_padded_with_end(captions, max_len):
        inputs, targets = student_pairs(captions, max_len)
        targets[targets == 0] = 2
        return inputs, targets

    message = run("caption.pairs", targets_padded_with_end)
    assert message and "You padded with `<end>`" in message, message


def test_pairs_as_floats_or_one_array_are_refused():
    message = run("caption.pairs", lambda c, m: tuple(a.astype(float) for a in student_pairs(c, m)))
    assert message and "token ids are integers" in message, message
    message = run("caption.pairs", lambda c, m: np.stack(student_pairs(c, m)))
    assert message and "two arrays" in message, message


# --------------------------------------------------------------------------- greedy decoding


def student_greedy(
    step_fn,
    features,
    max_len,
    start=1,
    end=2,
    *,
    keep_end=False,
    keep_start=False,
    limit=0,
    last_only=False,
    pick=np.argmax,
    blind=False,
    axis=None,
):
    prefix = [start]
    while len(prefix) - 1 < max_len + limit:
        given = prefix[-1:] if last_only else prefix
        probs = step_fn(np.zeros_like(features) if blind else features, np.array(given))
        token = int(pick(probs) if axis is None else pick(probs, axis=axis))
        if token == end and not keep_end:
            break
        prefix.append(token)
        if token == end:
            break
    return np.array(prefix if keep_start else prefix[1:], np.int64)


def student_sampler(step_fn, features, max_len, start=1, end=2):
    rng, prefix = np.random.default_rng(0), [start]
    for _ in range(max_len):
        probs = step_fn(features, np.array(prefix))
        token = int(rng.choice(len(probs), p=probs))
        if token == end:
            break
        prefix.append(token)
    return np.array(prefix[1:])


def test_a_correct_greedy_decoder_passes():
    assert run("caption.greedy", student_greedy) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"keep_end": True}, "The caption ends with `<end>`"),
        ({"keep_start": True}, "The caption begins with `<start>`"),
        ({"limit": 1}, "You generated `max_len + 1` words"),
        ({"limit": -1}, "You generated `max_len − 1` words"),
        ({"last_only": True}, "passed only the last token as the prefix"),
        ({"pick": np.argmin}, "the least likely token (`argmin`)"),
        ({"pick": np.argmax, "axis": 1}, "over its only axis"),
        ({"blind": True}, "other features than the `features`"),
        ({"limit": 10**6}, "without stopping"),
    ],
)
def test_greedy_mistakes_are_named(options, phrase):
    message = run("caption.greedy", lambda *a: student_greedy(*a, **options))
    assert message and phrase in message, message


def test_sampling_or_a_threshold_is_not_greedy_decoding():
    message = run("caption.greedy", student_sampler)
    assert message and "not a sample" in message, message

    def first_above_half(probs):
        above = np.flatnonzero(np.asarray(probs) > 0.5)
        return above[0] if above.size else 2

    message = run("caption.greedy", lambda *a: student_greedy(*a, pick=first_above_half))
    assert message and "not the first probability above 0.5" in message, message


def test_a_prefix_without_start_is_named():
    def no_start(step_fn, features, max_len, start=1, end=2):
        return student_greedy(lambda f, p: step_fn(f, p[1:]), features, max_len)

    message = run("caption.greedy", no_start)
    assert message and "must begin with `<start>` and grow by one token per step" in message, message


def test_the_scripts_put_the_argmax_below_one_half_and_depend_on_the_features():
    for _, script, features, max_len in caption.GREEDY_CASES[1:]:
        probs = script(features, np.array([1]))
        assert probs.max() < 0.5 and abs(probs.sum() - 1) < 1e-12
    left = caption.ref_greedy_decode(caption.SCRIPT, caption.F_LEFT, 7)
    right = caption.ref_greedy_decode(caption.SCRIPT, caption.F_RIGHT, 7)
    assert left.tolist() != right.tolist()
    assert caption.ref_greedy_decode(caption.SCRIPT, caption.F_SILENT, 4).shape == (0,)


# --------------------------------------------------------------------------- BLEU


def student_bleu(
    reference, candidate, max_n=2, *, clip=True, brevity=True, swapped=False, mean="geometric", n_max=None, by="cand"
):
    c, r = len(candidate), len(reference)
    if c == 0:
        return 0.0
    logs, ps = [], []
    for n in range(1, (n_max or max_n) + 1):
        cand = Counter(tuple(candidate[i : i + n]) for i in range(c - n + 1))
        ref = Counter(tuple(reference[i : i + n]) for i in range(r - n + 1))
        hits = sum(min(k, ref[g]) if clip else k * (ref[g] > 0) for g, k in cand.items())
        p = hits / max(sum((cand if by == "cand" else ref).values()), 1)
        ps.append(p)
        logs.append(math.log(p) if p > 0 else -math.inf)
    bp = 1.0 if c > r or not brevity else math.exp(1 - (c / r if swapped else r / c))
    if mean == "arithmetic":
        return bp * sum(ps) / len(ps)
    return bp * math.exp(sum(logs) / len(logs))


def test_a_correct_bleu_passes():
    assert run("caption.bleu", student_bleu) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"clip": False}, "clip each n-gram's count"),
        ({"brevity": False}, "There is no brevity penalty"),
        ({"swapped": True}, "r and c swapped"),
        ({"mean": "arithmetic"}, "averaged the precisions arithmetically"),
        ({"n_max": 1}, "Only unigrams count"),
        ({"n_max": 2}, "You always took unigrams and bigrams"),
        ({"by": "ref"}, "number of n-grams of the reference"),
    ],
)
def test_bleu_mistakes_are_named(options, phrase):
    message = run("caption.bleu", lambda r, c, n=2: student_bleu(r, c, n, **options))
    assert message and phrase in message, message


def test_a_bleu_that_divides_by_an_empty_candidate_is_named():
    def unguarded(reference, candidate, max_n=2):
        return student_bleu(reference, candidate, max_n) if candidate else math.exp(1 - len(reference) / 0)

    message = run("caption.bleu", unguarded)
    assert message and "empty candidate" in message and "ZeroDivisionError" in message, message


def test_the_bleu_reference_agrees_with_hand_computed_values():
    s7 = "a red disc and a blue bar".split()
    # "a red disc" against s7: p1 = 3/3, p2 = 2/2, c = 3 ≤ r = 7, so BLEU = BP = exp(1 − 7/3) ≈ 0.26360.
    assert caption.ref_bleu(s7, "a red disc".split()) == pytest.approx(math.exp(1 - 7 / 3), abs=1e-12)
    # "a red a red a red a" (c = r = 7, BP = 1): unigrams a×4, red×3 clipped to a×2, red×1, p1 = 3/7;
    # bigrams "a red"×3, "red a"×3 of which "a red" once in s7, p2 = 1/6; BLEU = √(3/7 · 1/6) = √(1/14).
    assert caption.ref_bleu(s7, "a red a red a red a".split()) == pytest.approx(math.sqrt(1 / 14), abs=1e-12)
    # "a red disc on the left" against "a red disc": p1 = 3/6, p2 = 2/5, c > r: BLEU = √(1/5).
    assert caption.ref_bleu("a red disc".split(), "a red disc on the left".split()) == pytest.approx(math.sqrt(0.2))
    assert caption.ref_bleu(s7, s7) == 1.0 and caption.ref_bleu(s7, []) == 0.0
    assert caption.ref_bleu(s7, "green".split(), max_n=1) == 0.0


def test_the_bleu_reference_agrees_with_nltk():
    bleu_score = pytest.importorskip("nltk.translate.bleu_score")
    cases = [case[1:3] for case in caption.BLEU_CASES if case[3] == 2] + [c[:2] for c in caption.HIDDEN_BLEU]
    for reference, candidate in cases:
        expected = bleu_score.sentence_bleu([reference], candidate, weights=(0.5, 0.5))
        assert caption.ref_bleu(reference, candidate, 2) == pytest.approx(float(expected), abs=1e-9)


def test_the_bleu_mistakes_are_told_apart_on_the_fixed_cases():
    cases = [case[1:] for case in caption.BLEU_CASES]
    vectors = [tuple(round(caption.ref_bleu(*c), 9) for c in cases)]
    vectors += [tuple(round(caption.ref_bleu(*c, **options), 9) for c in cases) for options, _ in caption.BLEU_MISTAKES]
    assert len(set(vectors)) == len(vectors)


# --------------------------------------------------------------------------- hidden


def test_correct_functions_pass_the_hidden_check():
    assert run("caption.hidden", student_pairs, student_greedy, student_bleu) is None


@pytest.mark.parametrize(
    "pairs, greedy, bleu",
    [
        (lambda c, m: student_pairs(c, m, shift=False), student_greedy, student_bleu),
        (lambda c, m: student_pairs(c, m, grow=True, truncate=False), student_greedy, student_bleu),
        (student_pairs, lambda *a: student_greedy(*a, keep_end=True), student_bleu),
        (student_pairs, lambda *a: student_greedy(*a, limit=1), student_bleu),
        (student_pairs, student_greedy, lambda r, c, n=2: student_bleu(r, c, n, clip=False)),
        (student_pairs, student_greedy, lambda r, c, n=2: student_bleu(r, c, n, n_max=1)),
    ],
)
def test_the_hidden_check_fails_mistakes_without_showing_its_inputs(pairs, greedy, bleu):
    message = run("caption.hidden", pairs, greedy, bleu)
    assert message and "hidden" in message, message
    captions, _ = caption.HIDDEN_PAIRS
    assert not any(str(list(c)) in message for c in captions), message
    assert not any(" ".join(r) in message or str(list(r)) in message for r, *_ in caption.HIDDEN_BLEU), message
    assert not any(f"{f[0]:.3}" in message for f in caption.HIDDEN_FEATURES), message


def test_the_hidden_cases_cover_long_captions_empty_captions_and_both_orders():
    captions, max_len = caption.HIDDEN_PAIRS
    assert any(len(c) > max_len for c in captions) and any(len(c) == 1 for c in captions)
    decoded = [
        caption.ref_greedy_decode(caption.HIDDEN_SCRIPT, f, caption.HIDDEN_MAX_LEN) for f in caption.HIDDEN_FEATURES
    ]
    assert {len(d) for d in decoded} >= {0, caption.HIDDEN_MAX_LEN}
    assert {n for *_, n in caption.HIDDEN_BLEU} == {1, 2} and len(caption.HIDDEN_BLEU) == 20
    values = [caption.ref_bleu(*case) for case in caption.HIDDEN_BLEU]
    assert any(v == 0 for v in values) and any(0 < v < 1 for v in values)
