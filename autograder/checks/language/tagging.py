"""``tagging.*``: scoring a tagger, the most-frequent-tag baseline, and what context can tell.

Arrays are post-padded (n, T) word ids and tag ids, 0 the padding in both.

* **Masked accuracy.** The share of *real* positions (true tag ≠ 0) whose predicted tag is
  the true one, over the whole batch: Σ [ŷ = y][y ≠ 0] / Σ [y ≠ 0]. Padding is not a word (a
  tagger gets it right for free), the mask comes from the truth (a prediction of 0 on a word is
  an error, not a skipped position), and a long sentence weighs more than a short one.
* **The most-frequent-tag baseline.** Each word id's most frequent tag over the real positions
  of the training data (ties: the smallest tag id); a word never seen gets the most frequent tag
  of all the real positions; row 0 (padding) gets 0.
* **The context ceiling.** For the positions whose word is one of ``words``, the best accuracy
  of *any* tagger that decides the tag at t from the words t − before … t + after (positions
  outside the array count as padding 0): group the positions by that window, give each group its
  most frequent tag, Σ_window max_k n(window, k) / Σ n. On the grammar's ambiguous words
  ("light") the words before t are independent of the tag, so before = 0 is the limit of a
  left-to-right tagger (≈ 0.5, the majority tag), while after = 1 gives 1.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .. import expect
from .._core import Fail, new, returned
from ._grammar import AMBIGUOUS_IDS, FLAT_IDS, MAX_LEN, WORDS, tagged_sentences

# --------------------------------------------------------------------------- references


def ref_masked_accuracy(true_tags, pred_tags, *, mask="truth", average="tokens", scale=1.0):
    """The reference token accuracy; each keyword argument turns on one known mistake:
    ``mask`` ``"none"`` (padding counted) or ``"predictions"`` (pred ≠ 0), ``average``
    ``"sentences"`` (the mean of per-sentence accuracies), ``scale`` 100 (a percentage)."""
    true_tags, pred_tags = np.asarray(true_tags, np.int64), np.asarray(pred_tags, np.int64)
    real = {"truth": true_tags != 0, "none": np.ones(true_tags.shape, bool), "predictions": pred_tags != 0}[mask]
    right = (true_tags == pred_tags) & real
    if average == "sentences":
        return scale * float(np.mean(right.sum(axis=1) / real.sum(axis=1)))
    return scale * float(right.sum() / real.sum())


def _counts(word_ids, tag_ids, vocab_size, padding=False):
    word_ids, tag_ids = np.asarray(word_ids, np.int64), np.asarray(tag_ids, np.int64)
    real = np.ones(word_ids.shape, bool) if padding else word_ids != 0
    counts = np.zeros((vocab_size, int(tag_ids.max()) + 1), np.int64)
    np.add.at(counts, (word_ids[real], tag_ids[real]), 1)
    return counts


def ref_most_frequent_tag(word_ids, tag_ids, vocab_size, *, padding=False, unseen="overall", ties="first", row0=0):
    """The reference (vocab_size,) table; each keyword argument turns on one known mistake:
    ``padding`` counts the padding positions, ``unseen`` ``"zero"`` leaves unseen words at 0,
    ``ties`` ``"last"`` breaks ties by the largest tag id, ``row0`` ``"overall"`` gives the
    padding row the overall tag."""
    counts = _counts(word_ids, tag_ids, vocab_size, padding)
    if ties == "last":
        table = counts.shape[1] - 1 - np.argmax(counts[:, ::-1], axis=1)
        overall = counts.shape[1] - 1 - int(np.argmax(counts.sum(axis=0)[::-1]))
    else:
        table = np.argmax(counts, axis=1)
        overall = int(np.argmax(counts.sum(axis=0)))
    seen = counts.sum(axis=1) > 0
    table[~seen] = 0 if unseen == "zero" else overall
    if row0 == 0:
        table[0] = 0
    elif not seen[0]:
        table[0] = overall
    return table.astype(np.int64)


def ref_context_ceiling(
    word_ids,
    tag_ids,
    words,
    before=0,
    after=0,
    *,
    scored="words",
    average="positions",
    window="inclusive",
    swap=False,
    centre=True,
    edges="padding",
    output="ratio",
):
    """The reference ceiling; each keyword argument turns on one known mistake: ``scored``
    ``"all"`` scores every real position, ``average`` ``"windows"`` averages each window's
    accuracy, ``window`` ``"exclusive"`` stops one word short (t + after − 1), ``swap`` exchanges
    before and after, ``centre`` False leaves word t out of the window, ``edges`` ``"wrap"``
    lets negative indices wrap around the row, ``output`` ``"count"`` returns the positions right."""
    word_ids, tag_ids = np.asarray(word_ids, np.int64), np.asarray(tag_ids, np.int64)
    if swap:
        before, after = after, before
    width = word_ids.shape[1]
    scored_at = (word_ids != 0) if scored == "all" else np.isin(word_ids, np.asarray(words, np.int64))
    stop = after if window == "inclusive" else after - 1
    groups: dict[tuple, Counter] = {}
    for i, t in zip(*np.nonzero(scored_at)):
        key = []
        for u in range(t - before, t + stop + 1):
            if u == t and not centre:
                continue
            if 0 <= u < width:
                key.append(int(word_ids[i, u]))
            elif edges == "wrap" and u < 0:
                key.append(int(word_ids[i, u]))
            else:
                key.append(0)
        groups.setdefault(tuple(key), Counter())[int(tag_ids[i, t])] += 1
    right = np.asarray([max(c.values()) for c in groups.values()], np.float64)
    total = np.asarray([sum(c.values()) for c in groups.values()], np.float64)
    if output == "count":
        return float(right.sum())
    if average == "windows":
        return float(np.mean(right / total))
    return float(right.sum() / total.sum())


# --------------------------------------------------------------------------- masked accuracy

ACCURACY_MISTAKES = (
    (
        lambda y, p: ref_masked_accuracy(y, p, mask="none"),
        "You counted the padding: a padded position is not a word, and a tagger that outputs anything there "
        "is scored on nothing. Count only the positions whose true tag is not 0.",
    ),
    (
        lambda y, p: ref_masked_accuracy(y, p, mask="predictions"),
        "You took the mask from the predictions (`pred != 0`): a word predicted as 0 would be skipped instead "
        "of counted wrong. Take it from the truth, `true_tags != 0`.",
    ),
    (
        lambda y, p: ref_masked_accuracy(y, p, average="sentences"),
        "You averaged the per-sentence accuracies: the accuracy is over the batch's words, Σ right / Σ real "
        "words, so a long sentence weighs more than a short one.",
    ),
    (
        lambda y, p: ref_masked_accuracy(y, p, scale=100.0),
        "You returned a percentage: return a share between 0 and 1.",
    ),
)

ACCURACY_TRUE = np.array(
    [
        [1, 2, 3, 4, 0, 0, 0, 0, 0, 0],
        [1, 3, 4, 5, 6, 1, 2, 3, 0, 0],
        [1, 3, 4, 0, 0, 0, 0, 0, 0, 0],
    ],
    np.int64,
)
ACCURACY_PRED = np.array(  # two slips, a 0 on a word, and tags written on the padding
    [
        [1, 3, 3, 4, 0, 3, 3, 0, 3, 0],
        [1, 3, 4, 5, 6, 1, 3, 3, 0, 4],
        [1, 0, 4, 3, 0, 0, 3, 3, 0, 0],
    ],
    np.int64,
)
ACCURACY_CASES = (
    ("3 sentences of 4, 8 and 3 words", ACCURACY_TRUE, ACCURACY_PRED),
    (
        "predictions right on every word and tags written on the padding",
        ACCURACY_TRUE,
        np.where(ACCURACY_TRUE > 0, ACCURACY_TRUE, 3),
    ),
)

accuracy = new(
    "tagging.accuracy",
    1,
    "`masked_accuracy`: the share of real words (true tag ≠ 0) tagged right, over the whole batch",
)


def _number(value, what):
    got = np.asarray(value, np.float64).reshape(-1)
    if got.size != 1:
        raise Fail(f"{what} returned {got.size} numbers: return one, over the whole batch.")
    return float(got[0])


@accuracy.probe
def _(masked_accuracy):
    record = {}
    for i, (_, true_tags, pred_tags) in enumerate(ACCURACY_CASES):
        record[f"case{i}"] = returned(masked_accuracy(true_tags.copy(), pred_tags.copy()), "`masked_accuracy`")
    return record


@accuracy.verify
def _(r):
    for i, (what, true_tags, pred_tags) in enumerate(ACCURACY_CASES):
        call = f"`masked_accuracy` on {what}"
        got = _number(r[f"case{i}"], call)
        hint = expect.diagnose(got, ACCURACY_MISTAKES, true_tags, pred_tags, rtol=1e-6, atol=1e-9)
        expect.close(
            got,
            ref_masked_accuracy(true_tags, pred_tags),
            call,
            hint or "Σ [pred = true and true ≠ 0] / Σ [true ≠ 0], over every sentence at once.",
            rtol=1e-6,
            atol=1e-9,
        )


# --------------------------------------------------------------------------- the baseline

BASELINE_MISTAKES = (
    (
        lambda w, t, v: ref_most_frequent_tag(w, t, v, unseen="zero"),
        "Unseen words got tag 0 (padding): a word that never occurs in the training data gets the most frequent "
        "tag of the real positions (word ≠ 0), the best guess without evidence. Counted over every position, "
        "padding included, that tag would be 0.",
    ),
    (
        lambda w, t, v: ref_most_frequent_tag(w, t, v, ties="last"),
        "A tie went to the larger tag id: break ties by the smallest, as `np.argmax` does (the first maximum).",
    ),
    (
        lambda w, t, v: ref_most_frequent_tag(w, t, v, row0="overall"),
        "Row 0 (padding) got a word's tag: set `table[0] = 0`, so that padding is tagged as padding.",
    ),
)

# word ids 1–6 of a vocabulary of 8; word 7 never occurs; word 5 is a tie (tags 2 and 3 once each)
BASELINE_WORDS = np.array(
    [
        [1, 4, 2, 0, 0, 0],
        [1, 5, 2, 3, 0, 0],
        [1, 4, 5, 2, 0, 0],
        [6, 4, 2, 0, 0, 0],
        [1, 2, 0, 0, 0, 0],
        [1, 6, 4, 3, 0, 0],
    ],
    np.int64,
)
BASELINE_TAGS = np.array(
    [
        [1, 2, 3, 0, 0, 0],
        [1, 3, 4, 5, 0, 0],
        [1, 3, 2, 3, 0, 0],
        [3, 3, 4, 0, 0, 0],
        [1, 3, 0, 0, 0, 0],
        [1, 2, 3, 5, 0, 0],
    ],
    np.int64,
)
BASELINE_SEED, BASELINE_SENTENCES = 81, 120

baseline = new(
    "tagging.baseline",
    1,
    "`most_frequent_tag`: each word's most frequent tag (ties: the smallest), unseen words the overall "
    "most frequent tag, padding 0",
)


def _grammar_batch(n, seed, width=MAX_LEN):
    """``tagged_sentences(n, seed)`` post-padded to ``width`` (the checks' own data)."""
    words, tags = tagged_sentences(n, seed)
    out = np.zeros((2, n, width), np.int64)
    for i, (w, t) in enumerate(zip(words, tags)):
        out[0, i, : len(w[:width])], out[1, i, : len(t[:width])] = w[:width], t[:width]
    return out[0], out[1]


def _baseline_cases():
    words, tags = _grammar_batch(BASELINE_SENTENCES, BASELINE_SEED)
    return (
        ("6 sentences over a vocabulary of 8 (word 7 never seen, word 5 a tie)", BASELINE_WORDS, BASELINE_TAGS, 8),
        (f"{BASELINE_SENTENCES} sentences of the grammar, vocabulary of {len(WORDS) + 2}", words, tags, len(WORDS) + 2),
    )


@baseline.probe
def _(most_frequent_tag):
    record = {}
    for i, (_, words, tags, vocab_size) in enumerate(_baseline_cases()):
        value = most_frequent_tag(words.copy(), tags.copy(), vocab_size)
        record[f"case{i}"] = returned(value, "`most_frequent_tag`")
    return record


def _verify_table(got, words, tags, vocab_size, call, hidden=False):
    got = np.asarray(got)
    expected = ref_most_frequent_tag(words, tags, vocab_size)
    if got.shape != expected.shape:
        raise Fail(f"{call} has shape {got.shape}, expected (vocab_size,) = {expected.shape}: one tag per word id.")
    if got.dtype.kind not in "iu":
        raise Fail(f"{call} returned {got.dtype} numbers: return integer tag ids, so that `table[word_ids]` works.")
    if not np.array_equal(got, expected):
        hint = expect.diagnose(got, BASELINE_MISTAKES, words, tags, vocab_size, rtol=0, atol=0)
        hint = hint or (
            "Count (word, tag) pairs over the real positions, take each row's argmax, give unseen words the "
            "overall most frequent tag and row 0 the tag 0."
        )
        if hidden:
            raise Fail(f"{call} is wrong for {int(np.sum(got != expected))} word ids. {hint}")
        word = int(np.argmax(got != expected))
        raise Fail(f"{call}: word {word} got tag {int(got[word])}, expected {int(expected[word])}. {hint}")


@baseline.verify
def _(r):
    for i, (what, words, tags, vocab_size) in enumerate(_baseline_cases()):
        _verify_table(r[f"case{i}"], words, tags, vocab_size, f"`most_frequent_tag` on {what}")


# --------------------------------------------------------------------------- the context ceiling

CEILING_MISTAKES = (
    (
        lambda w, t, s, b, a: ref_context_ceiling(w, t, s, b, a, scored="all"),
        "You scored every word: score only the positions whose word is one of `words` (`np.isin(word_ids, words)`).",
    ),
    (
        lambda w, t, s, b, a: ref_context_ceiling(w, t, s, b, a, average="windows"),
        "You averaged the accuracies of the windows: pool the positions, Σ_window max_k n(window, k) / Σ n, so a "
        "window seen often weighs more.",
    ),
    (
        lambda w, t, s, b, a: ref_context_ceiling(w, t, s, b, a, centre=False),
        "Your window leaves out word t itself: the tagger sees the words t − before … t + after, t included.",
    ),
    (
        lambda w, t, s, b, a: ref_context_ceiling(w, t, s, b, a, window="exclusive"),
        "Your window stops one word short: it runs from t − before to t + after *inclusive*, "
        "`before + 1 + after` words (`padded[i, t : t + before + after + 1]` once the rows are padded on both sides).",
    ),
    (
        lambda w, t, s, b, a: ref_context_ceiling(w, t, s, b, a, swap=True),
        "Your window looks the wrong way: `before` counts the words to the left of t, `after` those to its right.",
    ),
    (
        lambda w, t, s, b, a: ref_context_ceiling(w, t, s, b, a, edges="wrap"),
        "At the start of a row your window wrapped around to its end (a negative index, `row[t - 1]` at t = 0): "
        "positions outside the row count as padding, 0. Pad the rows with `before` zeros on the left and "
        "`after` on the right first (`np.pad`).",
    ),
    (
        lambda w, t, s, b, a: ref_context_ceiling(w, t, s, b, a, output="count"),
        "You returned the number of positions tagged right: divide it by the number of positions scored.",
    ),
)

# sentences of the grammar's words (1 the, 2 a, 29 light, 30 cold, 9 box, 10 door, 16 shines, 17 opens,
# 26 near); the last two rows start with "light", one of them filling the whole width, for the windows at
# the edges
CEILING_WORDS = np.array(
    [
        [1, 29, 9, 16, 0, 0],  # the light box shines
        [1, 29, 16, 0, 0, 0],  # the light shines
        [2, 29, 17, 0, 0, 0],  # a light opens
        [1, 30, 10, 17, 0, 0],  # the cold door opens
        [1, 29, 9, 17, 0, 0],  # the light box opens
        [2, 30, 16, 0, 0, 0],  # a cold shines
        [2, 29, 10, 16, 0, 0],  # a light door shines
        [29, 17, 26, 1, 30, 9],  # light opens near the cold box
        [29, 9, 16, 0, 0, 0],  # light box shines
    ],
    np.int64,
)
CEILING_TAGS = np.array(
    [
        [1, 2, 3, 4, 0, 0],
        [1, 3, 4, 0, 0, 0],
        [1, 3, 4, 0, 0, 0],
        [1, 2, 3, 4, 0, 0],
        [1, 2, 3, 4, 0, 0],
        [1, 3, 4, 0, 0, 0],
        [1, 2, 3, 4, 0, 0],
        [3, 4, 6, 1, 2, 3],
        [2, 3, 4, 0, 0, 0],
    ],
    np.int64,
)
CEILING_SCORED = (29, 30)  # light, cold
CEILING_WINDOWS = ((0, 0), (1, 0), (0, 1), (2, 1))
CEILING_SEED, CEILING_SENTENCES = 82, 150

ceiling = new(
    "tagging.ceiling",
    1,
    "`context_ceiling`: the best accuracy on the given words of any tagger that sees the words t − before … "
    "t + after, Σ max count / Σ count",
)


def _ceiling_cases():
    words, tags = _grammar_batch(CEILING_SENTENCES, CEILING_SEED)
    cases = [
        (
            f"the check's 9 sentences, scoring light and cold, before={b}, after={a}",
            CEILING_WORDS,
            CEILING_TAGS,
            CEILING_SCORED,
            b,
            a,
        )
        for b, a in CEILING_WINDOWS
    ]
    every = tuple(range(1, len(WORDS)))
    cases.append(
        (
            f"{CEILING_SENTENCES} sentences of the grammar, scoring the flat adverbs, before=1, after=0",
            words,
            tags,
            FLAT_IDS,
            1,
            0,
        )
    )
    cases.append(
        (
            f"{CEILING_SENTENCES} sentences of the grammar, scoring every word, before=0, after=0",
            words,
            tags,
            every,
            0,
            0,
        )
    )
    return cases


@ceiling.probe
def _(context_ceiling):
    record = {}
    for i, (_, words, tags, scored, before, after) in enumerate(_ceiling_cases()):
        value = context_ceiling(words.copy(), tags.copy(), scored, before=before, after=after)
        record[f"case{i}"] = returned(value, "`context_ceiling`")
    return record


def _verify_ceiling(got, words, tags, scored, before, after, call):
    got = _number(got, call)
    hint = expect.diagnose(got, CEILING_MISTAKES, words, tags, scored, before, after, rtol=1e-6, atol=1e-9)
    expect.close(
        got,
        ref_context_ceiling(words, tags, scored, before, after),
        call,
        hint
        or "Group the scored positions by the words t − before … t + after (0 outside the row), count each "
        "group's tags, and divide Σ of each group's largest count by the number of positions.",
        rtol=1e-6,
        atol=1e-9,
    )


@ceiling.verify
def _(r):
    for i, (what, words, tags, scored, before, after) in enumerate(_ceiling_cases()):
        _verify_ceiling(r[f"case{i}"], words, tags, scored, before, after, f"`context_ceiling` on {what}")


# --------------------------------------------------------------------------- hidden

HIDDEN_SEED, HIDDEN_SENTENCES, HIDDEN_WIDTH = 8813, 90, 8  # some sentences are longer than the width
HIDDEN_VOCAB = len(WORDS) + 3
HIDDEN_WINDOWS = ((1, 1), (0, 2))

hidden = new(
    "tagging.hidden",
    1,
    "`pad_batch`, `masked_accuracy`, `most_frequent_tag` and `context_ceiling` on hidden sentences of the grammar",
    hidden=True,
)


def _hidden_inputs():
    words, tags = tagged_sentences(HIDDEN_SENTENCES, HIDDEN_SEED)
    rng = np.random.default_rng(HIDDEN_SEED)
    padded_words, padded_tags = _grammar_batch(HIDDEN_SENTENCES, HIDDEN_SEED, HIDDEN_WIDTH)
    guesses = np.where(rng.random(padded_tags.shape) < 0.3, rng.integers(0, 7, padded_tags.shape), padded_tags)
    return words, padded_words, padded_tags, guesses


@hidden.probe
def _(pad_batch, masked_accuracy, most_frequent_tag, context_ceiling):
    words, padded_words, padded_tags, guesses = _hidden_inputs()
    record = {
        "padded": returned(pad_batch([list(w) for w in words], HIDDEN_WIDTH), "`pad_batch`"),
        "accuracy": returned(masked_accuracy(padded_tags.copy(), guesses.copy()), "`masked_accuracy`"),
        "table": returned(
            most_frequent_tag(padded_words.copy(), padded_tags.copy(), HIDDEN_VOCAB), "`most_frequent_tag`"
        ),
    }
    for i, (before, after) in enumerate(HIDDEN_WINDOWS):
        for name, scored in (("ambiguous", AMBIGUOUS_IDS), ("flat", FLAT_IDS)):
            value = context_ceiling(padded_words.copy(), padded_tags.copy(), scored, before=before, after=after)
            record[f"ceiling_{name}{i}"] = returned(value, "`context_ceiling`")
    return record


@hidden.verify
def _(r):
    from .pad import MISTAKES as PAD_MISTAKES
    from .pad import ref_pad_batch

    words, padded_words, padded_tags, guesses = _hidden_inputs()
    got, expected = np.asarray(r["padded"]), ref_pad_batch(words, HIDDEN_WIDTH)
    if got.shape != expected.shape or got.dtype.kind not in "iu" or not np.array_equal(got, expected):
        hint = (
            expect.diagnose(got, PAD_MISTAKES, words, HIDDEN_WIDTH, rtol=0, atol=0)
            if got.shape == expected.shape
            else ""
        )
        raise Fail(f"`pad_batch` on the hidden sentences is wrong. {hint}".strip())
    call = "`masked_accuracy` on the hidden sentences"
    value = _number(r["accuracy"], call)
    hint = expect.diagnose(value, ACCURACY_MISTAKES, padded_tags, guesses, rtol=1e-6, atol=1e-9)
    if not expect.matches(value, ref_masked_accuracy(padded_tags, guesses), rtol=1e-6, atol=1e-9):
        raise Fail(f"{call} is wrong. {hint}".strip())
    _verify_table(
        r["table"], padded_words, padded_tags, HIDDEN_VOCAB, "`most_frequent_tag` on the hidden sentences", hidden=True
    )
    for i, (before, after) in enumerate(HIDDEN_WINDOWS):
        for name, scored in (("ambiguous", AMBIGUOUS_IDS), ("flat", FLAT_IDS)):
            call = "`context_ceiling` on the hidden sentences"
            value = _number(r[f"ceiling_{name}{i}"], call)
            if not expect.matches(
                value, ref_context_ceiling(padded_words, padded_tags, scored, before, after), rtol=1e-6, atol=1e-9
            ):
                hint = expect.diagnose(
                    value, CEILING_MISTAKES, padded_words, padded_tags, scored, before, after, rtol=1e-6, atol=1e-9
                )
                raise Fail(f"{call} is wrong. {hint}".strip())
