"""``caption.*``: the sequence half of image captioning, in plain NumPy.

Tokens: 0 = ``<pad>``, 1 = ``<start>``, 2 = ``<end>``, words from 3. A caption is its word ids,
without ``<start>`` and ``<end>``.

* **Teacher forcing.** ``teacher_forcing_pairs(captions, max_len)`` cuts each caption to its first
  ``max_len`` words and writes two rows of ``max_len + 1`` tokens: the decoder's inputs
  ``[<start>, w1 … wn, <pad> …]`` and its targets ``[w1 … wn, <end>, <pad> …]`` — the targets are
  the inputs shifted one step to the left, so at step t the decoder sees the words before t and
  predicts word t.
* **Greedy decoding.** ``greedy_decode(step_fn, features, max_len)`` starts from the prefix
  ``[<start>]``, asks ``step_fn(features, prefix)`` for the next token's probabilities, appends
  their argmax, and stops at ``<end>`` (not output) or after ``max_len`` words.
* **BLEU** (Papineni et al. 2002), one candidate against one reference: the clipped n-gram
  precision p_n = Σ_g min(count_cand(g), count_ref(g)) / (number of n-grams of the candidate), the
  brevity penalty BP = 1 if c > r else exp(1 − r/c) (0 for c = 0), and
  BLEU = BP · exp((1/N) Σ_{n ≤ N} log p_n), which is 0 as soon as one p_n is 0.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .. import expect
from .._core import Fail, describe_student_error, new, returned
from ._shared import END, PAD, START

# --------------------------------------------------------------------------- teacher forcing


def ref_teacher_forcing_pairs(
    captions,
    max_len,
    *,
    shift=True,
    swap=False,
    end_in_inputs=False,
    start_in_targets=False,
    pad=PAD,
    truncate=True,
):
    """The reference ``(inputs, targets)``; each keyword argument turns on one known mistake."""
    captions = [np.asarray(c, np.int64).reshape(-1) for c in captions]
    words = [c[:max_len] if truncate else c for c in captions]
    width = (max_len if truncate else max([max_len, *(len(w) for w in words)])) + 1
    inputs = np.full((len(words), width + int(end_in_inputs)), pad, np.int64)
    targets = np.full((len(words), width + int(start_in_targets)), pad, np.int64)
    for i, w in enumerate(words):
        row_in = [START, *w.tolist(), *([END] if end_in_inputs else [])]
        row_out = [*([START] if start_in_targets else []), *w.tolist(), END]
        inputs[i, : len(row_in)] = row_in
        targets[i, : len(row_out)] = row_out
    if not shift:
        targets = inputs.copy()
    if swap:
        inputs, targets = targets, inputs
    return inputs, targets


PAIR_MISTAKES = (
    (
        lambda c, m: ref_teacher_forcing_pairs(c, m, swap=True),
        "The inputs and the targets are swapped (shifted the wrong way): the inputs begin with `<start>`, "
        "the targets are the inputs shifted one step to the left and end with `<end>`.",
    ),
    (
        lambda c, m: ref_teacher_forcing_pairs(c, m, shift=False),
        "The targets are the inputs, not shifted: at step t the decoder sees the words before t and must "
        "predict word t, so `targets[t] = inputs[t + 1]` (and `<end>` after the last word).",
    ),
    (
        lambda c, m: ref_teacher_forcing_pairs(c, m, end_in_inputs=True),
        "`<end>` is in the inputs: the inputs are `[<start>, w1 … wn]`, only the targets end with `<end>` "
        "(the decoder never reads `<end>`, it predicts it).",
    ),
    (
        lambda c, m: ref_teacher_forcing_pairs(c, m, start_in_targets=True),
        "`<start>` is in the targets: the targets are `[w1 … wn, <end>]`; `<start>` is only read, never predicted.",
    ),
    (
        lambda c, m: ref_teacher_forcing_pairs(c, m, pad=END),
        "You padded with `<end>` (2): pad both rows with `<pad>` (0), which the loss masks out; "
        "`<end>` comes once, right after the last word of the targets.",
    ),
)

NO_TRUNCATION = (
    "Cut a caption longer than `max_len` to its first `max_len` words, then append `<end>`: every row "
    "has `max_len + 1` tokens."
)
PAIRS_FALLBACK = "Inputs `[<start>, w1 … wn, 0 …]`, targets `[w1 … wn, <end>, 0 …]`, both `max_len + 1` long."

PAIR_CASES = (  # (captions, max_len): one shorter, one exactly max_len, one of a single word
    ([[3, 4, 7], [3, 5, 7, 9, 11], [8]], 5),
)
LONG_CASE = ([[3, 4, 7, 9, 10, 11, 12], [6, 13]], 4)  # a caption of 7 words for max_len 4

pairs = new(
    "caption.pairs",
    1,
    "`teacher_forcing_pairs`: inputs `[<start>, w…]` and targets `[w…, <end>]`, padded with 0, cut to `max_len`",
)


def _pairs(teacher_forcing_pairs, captions, max_len):
    out = teacher_forcing_pairs([np.asarray(c, np.int64) for c in captions], max_len)
    returned(out, "`teacher_forcing_pairs`")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Fail("`teacher_forcing_pairs` should return two arrays, `(inputs, targets)`.")
    return out


@pairs.probe
def _(teacher_forcing_pairs):
    record = {}
    for i, (captions, max_len) in enumerate(PAIR_CASES):
        record[f"inputs{i}"], record[f"targets{i}"] = _pairs(teacher_forcing_pairs, captions, max_len)
    try:
        record["long_inputs"], record["long_targets"] = _pairs(teacher_forcing_pairs, *LONG_CASE)
    except Fail:
        raise
    except Exception as exc:  # a caption longer than the rows: a broadcast error, most likely
        record["long_error"] = describe_student_error(exc)
    return record


def _same(got, expected) -> bool:
    return all(np.shape(g) == np.shape(e) and np.array_equal(g, e) for g, e in zip(got, expected))


def _pairs_hint(got, captions, max_len) -> str:
    """The known mistake ``got`` is, else a hint read off its structure, else ""."""
    for mistake, hint in PAIR_MISTAKES:
        if _same(got, mistake(captions, max_len)):
            return hint
    inputs, targets = got
    expected = ref_teacher_forcing_pairs(captions, max_len)
    if np.shape(inputs) == np.shape(targets) and np.array_equal(inputs, targets):
        return PAIR_MISTAKES[1][1]
    if np.shape(inputs) == expected[1].shape and np.array_equal(inputs, expected[1]):
        return PAIR_MISTAKES[0][1]
    if np.any(np.asarray(inputs) == END):
        return PAIR_MISTAKES[2][1]
    if np.any(np.asarray(targets) == START):
        return PAIR_MISTAKES[3][1]
    for g, e in zip(got, expected):
        if np.shape(g) == e.shape and np.any((e == PAD) & (np.asarray(g) == END)):
            return PAIR_MISTAKES[4][1]
    return ""


def _verify_pairs(got, captions, max_len, what, *, hidden=False):
    got = tuple(np.asarray(g) for g in got)
    for g, name in zip(got, ("inputs", "targets")):
        if g.dtype.kind not in "iu":
            raise Fail(
                f"`teacher_forcing_pairs` returned `{name}` of dtype {g.dtype}: token ids are integers "
                "(`np.zeros(..., dtype=np.int32)`)."
            )
    expected = ref_teacher_forcing_pairs(captions, max_len)
    if _same(got, expected):
        return
    hint = _pairs_hint(got, captions, max_len)
    if hidden:
        raise Fail(
            f"`teacher_forcing_pairs` on the hidden captions gives other pairs than expected. {hint or PAIRS_FALLBACK}"
        )
    for g, e, name in zip(got, expected, ("inputs", "targets")):
        if g.shape != e.shape:
            raise Fail(
                f"`{name}` of `teacher_forcing_pairs` on {what} has shape {g.shape}, expected {e.shape}: one row "
                f"per caption, `max_len + 1` tokens each. {hint or PAIRS_FALLBACK}".strip()
            )
        for i, (row, row_expected) in enumerate(zip(g, e)):
            expect.equal(
                row, row_expected, f"row {i} of `{name}` (caption {list(captions[i])})", hint or PAIRS_FALLBACK
            )


@pairs.verify
def _(r):
    for i, (captions, max_len) in enumerate(PAIR_CASES):
        _verify_pairs((r[f"inputs{i}"], r[f"targets{i}"]), captions, max_len, f"the check's {len(captions)} captions")
    captions, max_len = LONG_CASE
    what = f"a caption of {len(captions[0])} words with `max_len={max_len}`"
    if "long_error" in r:
        raise Fail(f"`teacher_forcing_pairs` on {what} failed: {str(r['long_error'])} {NO_TRUNCATION}")
    got = (np.asarray(r["long_inputs"]), np.asarray(r["long_targets"]))
    if _same(got, ref_teacher_forcing_pairs(captions, max_len, truncate=False)) or any(
        g.ndim == 2 and g.shape[1] > max_len + 1 for g in got
    ):
        raise Fail(f"`teacher_forcing_pairs` on {what} gives rows of {got[0].shape[-1]} tokens. {NO_TRUNCATION}")
    _verify_pairs(got, captions, max_len, what)


# --------------------------------------------------------------------------- greedy decoding


SCRIPT_VOCAB = 14  # the scripted step functions' vocabulary: <pad>, <start>, <end> and 11 words


class Script:
    """A scripted ``step_fn(features, prefix) -> probs``, deterministic and pure NumPy.

    ``tokens[k][t]`` is the most likely next token at step t = len(prefix) − 1 for the k-th
    feature vector (the last entry repeats). The other tokens get small distinct masses and one
    *decoy* gets nearly as much as the top, so the top is the argmax but (unless ``confident``)
    below 0.5: neither sampling nor "the first token above 0.5" finds it. Features that are none
    of the script's get ``FALLBACK_TOKENS``.
    """

    def __init__(self, features, tokens, confident=False, seed=70):
        self.features = [np.asarray(f, np.float64) for f in features]
        self.tokens = [list(t) for t in tokens]
        rng = np.random.default_rng(seed)
        self.noise = rng.uniform(0.005, 0.04, size=(16, SCRIPT_VOCAB))
        self.top, self.decoy = (0.9, 0.3) if confident else (0.3, 0.27)

    def key(self, features):
        try:
            f = np.asarray(features, np.float64).reshape(-1)
        except (TypeError, ValueError):
            return -1
        return next((k for k, g in enumerate(self.features) if f.shape == g.shape and np.allclose(f, g)), -1)

    def __call__(self, features, prefix):
        k = self.key(features)
        tokens = self.tokens[k] if k >= 0 else FALLBACK_TOKENS
        t = min(max(int(np.size(prefix)) - 1, 0), len(tokens) - 1)
        probs = self.noise[t % len(self.noise)].copy()
        top = tokens[t]
        decoy = 3 + (top + t) % (SCRIPT_VOCAB - 3)  # a word, never the top itself
        if decoy == top:
            decoy = 3 + (decoy - 2) % (SCRIPT_VOCAB - 3)
        probs[top], probs[decoy] = self.top, self.decoy
        return probs / probs.sum()


FALLBACK_TOKENS = [5]


def ref_greedy_decode(
    step_fn,
    features,
    max_len,
    start=START,
    end=END,
    *,
    include_start=False,
    include_end=False,
    extra=0,
    pick="argmax",
    last_only=False,
):
    """The reference greedy decoder; each keyword argument turns on one known mistake."""
    prefix, words = [start], []
    while len(words) < max_len + extra:
        probs = np.asarray(step_fn(features, np.asarray(prefix[-1:] if last_only else prefix, np.int64)))
        probs = probs.astype(np.float64).reshape(-1)
        token = int(np.argmin(probs) if pick == "argmin" else np.argmax(probs))
        if token == end:
            if include_end:
                words.append(token)
            break
        words.append(token)
        prefix.append(token)
    return np.asarray(([start] if include_start else []) + words, np.int64)


GREEDY_MISTAKES = (
    (
        lambda *a: ref_greedy_decode(*a, include_end=True),
        "The caption ends with `<end>` (2): stop when the argmax is `<end>` without appending it.",
    ),
    (
        lambda *a: ref_greedy_decode(*a, include_start=True),
        "The caption begins with `<start>` (1): return the generated words only, the prefix without its `<start>`.",
    ),
    (
        lambda *a: ref_greedy_decode(*a, extra=1),
        "You generated `max_len + 1` words: stop after `max_len` words.",
    ),
    (
        lambda *a: ref_greedy_decode(*a, extra=-1),
        "You generated `max_len − 1` words: `max_len` counts the words, not the prefix with its `<start>`.",
    ),
    (
        lambda *a: ref_greedy_decode(*a, pick="argmin"),
        "You took the least likely token (`argmin`): greedy decoding takes `np.argmax(probs)`.",
    ),
    (
        lambda *a: ref_greedy_decode(*a, last_only=True),
        "You passed only the last token as the prefix: pass every token so far, `[<start>, w1 … wt]`.",
    ),
)

GREEDY_FALLBACK = (
    "At each step take `np.argmax(probs)` (not a sample, not the first probability above 0.5), append it to "
    "the prefix, and stop at `<end>` or after `max_len` words."
)
GROWS = "the prefix must begin with `<start>` and grow by one token per step"
CALL_LIMIT = 64

F_THREE, F_ENDLESS, F_LEFT, F_RIGHT, F_SILENT = (
    np.array([0.2, 0.7, 0.1, 0.9]),
    np.array([1.5, -0.3, 0.0, 0.4]),
    np.array([0.9, 0.1, 0.8, 0.0]),
    np.array([0.0, 0.8, 0.1, 0.9]),
    np.array([-1.0, 0.5, 0.5, 0.2]),
)
CONFIDENT = Script([F_THREE], [[3, 4, 7, END]], confident=True)
SCRIPT = Script(
    [F_ENDLESS, F_LEFT, F_RIGHT, F_SILENT],
    [
        [3, 3, 6, 8, 13, 3, 4, 7],  # never `<end>`
        [3, 6, 8, 13, 3, 4, 7, END],  # `<end>` after 7 words
        [3, 5, 7, 9, 10, 12, END],
        [END, 3, 4],  # `<end>` first: the empty caption
    ],
    seed=71,
)
GREEDY_CASES = (  # (name, script, features, max_len)
    ("a script that says `<end>` after three words", CONFIDENT, F_THREE, 6),
    ("a script that never says `<end>`", SCRIPT, F_ENDLESS, 5),
    ("a script that says `<end>` after exactly `max_len` words", SCRIPT, F_LEFT, 7),
    ("the same script given other features", SCRIPT, F_RIGHT, 7),
    ("a script whose first argmax is `<end>`", SCRIPT, F_SILENT, 4),
)


class _Recorder:
    """``script`` as a step function that remembers the prefixes and features it was given."""

    def __init__(self, script, features):
        self.script, self.features = script, np.asarray(features, np.float64)
        self.prefixes, self.features_ok = [], True

    def __call__(self, features, prefix):
        if len(self.prefixes) >= CALL_LIMIT:
            raise Fail(
                f"`greedy_decode` called `step_fn` {CALL_LIMIT} times for one caption without stopping: stop "
                "after `max_len` words even if `<end>` never comes."
            )
        self.prefixes.append(np.rint(np.asarray(prefix, np.float64)).astype(np.int64).reshape(-1))
        key = self.script.key(features)
        self.features_ok = self.features_ok and key >= 0 and key == self.script.key(self.features)
        return self.script(features, prefix)


def _decode(greedy_decode, script, features, max_len):
    recorder = _Recorder(script, features)
    try:
        words = greedy_decode(recorder, np.array(features), max_len)
    except (np.exceptions.AxisError, IndexError) as exc:
        if not isinstance(exc, np.exceptions.AxisError) and "too many indices" not in str(exc):
            raise
        raise Fail(
            f"{describe_student_error(exc)} `step_fn` returns a 1-D array, one probability per token of the "
            "vocabulary: the next token is `np.argmax(probs)`, over its only axis."
        ) from None
    returned(words, "`greedy_decode`")
    lengths = np.asarray([len(p) for p in recorder.prefixes], np.int64)
    tokens = np.concatenate([np.zeros(0, np.int64), *recorder.prefixes])
    return {"words": words, "lengths": lengths, "prefixes": tokens, "features_ok": recorder.features_ok}


greedy = new(
    "caption.greedy",
    1,
    "`greedy_decode`: argmax step by step from `[<start>]`, stopping at `<end>` or after `max_len` words",
)


@greedy.probe
def _(greedy_decode):
    record = {}
    for i, (_, script, features, max_len) in enumerate(GREEDY_CASES):
        for key, value in _decode(greedy_decode, script, features, max_len).items():
            record[f"case{i}_{key}"] = value
    return record


def _verify_prefixes(lengths, tokens, what, *, hidden=False):
    lengths, tokens = np.asarray(lengths, np.int64), np.asarray(tokens, np.int64)
    if lengths.size == 0:
        raise Fail(f"`greedy_decode` on {what} never called `step_fn`: ask it for each next token.")
    prefixes = np.split(tokens, np.cumsum(lengths)[:-1])
    if lengths[0] == 0:
        raise Fail(f"`greedy_decode` on {what} gave `step_fn` an empty first prefix: {GROWS}.")
    if prefixes[0][0] != START:
        raise Fail(
            f"`greedy_decode` on {what} gave `step_fn` a first prefix that begins with {int(prefixes[0][0])}: {GROWS}."
        )
    if lengths.size > 1 and np.all(lengths == 1):
        raise Fail(
            f"`greedy_decode` on {what} passed only the last token as the prefix: {GROWS} "
            "(`step_fn` reads the whole prefix)."
        )
    grows = np.array_equal(lengths, np.arange(1, lengths.size + 1)) and all(
        np.array_equal(p[:-1], q) for p, q in zip(prefixes[1:], prefixes[:-1])
    )
    if not grows:
        shown = "" if hidden else f" (`step_fn` received prefixes of lengths {lengths.tolist()})"
        raise Fail(
            f"`greedy_decode` on {what} gave `step_fn` prefixes that do not grow one token at a time: {GROWS}{shown}."
        )


def _verify_decode(r, prefix, script, features, max_len, what, *, hidden=False):
    _verify_prefixes(r[f"{prefix}_lengths"], r[f"{prefix}_prefixes"], what, hidden=hidden)
    if not bool(r[f"{prefix}_features_ok"]):
        raise Fail(
            f"`greedy_decode` on {what} called `step_fn` with other features than the `features` it was given: "
            "pass them unchanged at every step (the caption depends on the picture)."
        )
    got, expected = np.asarray(r[f"{prefix}_words"]), ref_greedy_decode(script, features, max_len)
    if got.ndim != 1:
        raise Fail(
            f"`greedy_decode` on {what} returned shape {got.shape}: return a 1-D array of the words, "
            "shape (0,) for an empty caption."
        )
    if got.size and (got.dtype.kind not in "biuf" or not np.all(np.mod(got, 1) == 0)):
        raise Fail(f"`greedy_decode` on {what} returned numbers that are not token ids: return integers.")
    if got.shape == expected.shape and np.array_equal(got, expected):
        return
    hint = next(
        (h for m, h in GREEDY_MISTAKES if _same([got], [m(script, features, max_len)])),
        GREEDY_FALLBACK,
    )
    if hidden:
        raise Fail(f"`greedy_decode` on the hidden step functions gives other captions than expected. {hint}")
    raise Fail(
        f"`greedy_decode` on {what} returned {got.astype(np.int64).tolist()}, expected {expected.tolist()}. {hint}"
    )


@greedy.verify
def _(r):
    for i, (name, script, features, max_len) in enumerate(GREEDY_CASES):
        _verify_decode(r, f"case{i}", script, features, max_len, f"{name} (`max_len={max_len}`)")


# --------------------------------------------------------------------------- BLEU


def _ngrams(tokens, n):
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def ref_bleu(
    reference,
    candidate,
    max_n=2,
    *,
    clip=True,
    brevity=True,
    swap_penalty=False,
    mean="geometric",
    orders=None,
    denominator="candidate",
):
    """The reference sentence BLEU; each keyword argument turns on one known mistake."""
    reference, candidate = list(reference), list(candidate)
    r, c = len(reference), len(candidate)
    if c == 0:
        return 0.0
    precisions = []
    for n in range(1, (max_n if orders is None else orders) + 1):
        cand, ref = _ngrams(candidate, n), _ngrams(reference, n)
        hits = sum(min(k, ref[g]) if clip else k for g, k in cand.items() if g in ref)
        total = sum((cand if denominator == "candidate" else ref).values())
        precisions.append(hits / total if total else 0.0)
    if brevity:
        penalty = 1.0 if c > r else math.exp(1 - (c / r if swap_penalty else r / c))
    else:
        penalty = 1.0
    if mean == "arithmetic":
        return penalty * sum(precisions) / len(precisions)
    if min(precisions) == 0:
        return 0.0
    return penalty * math.exp(sum(math.log(p) for p in precisions) / len(precisions))


BLEU_MISTAKES = (
    (
        dict(clip=False),
        "A repeated word counted more often than the reference has it: clip each n-gram's count at its "
        "count in the reference, `min(count_cand, count_ref)`.",
    ),
    (
        dict(brevity=False),
        "There is no brevity penalty: multiply by BP = exp(1 − r/c) when the candidate is not longer than the "
        "reference (c ≤ r), else 1.",
    ),
    (
        dict(swap_penalty=True),
        "The brevity penalty has r and c swapped: BP = exp(1 − r/c) (reference length over candidate length), "
        "at most 1.",
    ),
    (
        dict(mean="arithmetic"),
        "You averaged the precisions arithmetically: BLEU takes their geometric mean, "
        "exp((1/N) Σ log p_n), which is 0 if one p_n is 0.",
    ),
    (
        dict(orders=1),
        "Only unigrams count, whatever `max_n` is: take the precisions p_1 … p_max_n.",
    ),
    (
        dict(orders=2),
        "You always took unigrams and bigrams: use the n-grams up to `max_n` (only unigrams for `max_n=1`).",
    ),
    (
        dict(denominator="reference"),
        "You divided by the number of n-grams of the reference: p_n divides the clipped matches by the number "
        "of n-grams of the *candidate*.",
    ),
)

BLEU_FALLBACK = (
    "Check the clipped n-gram precisions p_n (matches over the candidate's n-grams) and the brevity penalty."
)

S7 = "a red disc and a blue bar".split()
BLEU_CASES = (  # (name, reference, candidate, max_n)
    ("identical sentences", S7, S7, 2),
    ("no word in common", "a red disc on the left".split(), "green bar right".split(), 2),
    ("a repeated word", S7, "a red a red a red a".split(), 2),
    ("a candidate shorter than the reference", S7, "a red disc".split(), 2),
    ("a candidate longer than the reference", "a red disc".split(), "a red disc on the left".split(), 2),
    ("a case scored on unigrams only", "a blue disc on the right".split(), "a green disc on the left".split(), 1),
    ("the right words in the wrong order", S7, "a disc red and a bar blue".split(), 2),
)

bleu_check = new(
    "caption.bleu",
    1,
    "`bleu`: clipped n-gram precisions, their geometric mean and the brevity penalty",
)


def _bleu(bleu, reference, candidate, max_n):
    value = returned(bleu(list(reference), list(candidate), max_n), "`bleu`")
    if np.size(value) != 1:
        raise Fail(f"`bleu` returned {np.size(value)} numbers: return one, the sentence's BLEU.")
    return value


@bleu_check.probe
def _(bleu):
    record = {f"case{i}": _bleu(bleu, *case[1:]) for i, case in enumerate(BLEU_CASES)}
    try:
        record["empty"] = _bleu(bleu, S7, [], 2)
    except Fail:
        raise
    except Exception as exc:  # most likely a division by c = 0
        record["empty_error"] = describe_student_error(exc)
    return record


def _bleu_hint(got, cases) -> str:
    """The known mistake the whole vector of values ``got`` is, else ""."""
    mistakes = [(lambda options=options: [ref_bleu(*c, **options) for c in cases], h) for options, h in BLEU_MISTAKES]
    return expect.diagnose(got, mistakes, rtol=0, atol=1e-9)


@bleu_check.verify
def _(r):
    cases = [case[1:] for case in BLEU_CASES]
    got = np.asarray([float(np.asarray(r[f"case{i}"]).reshape(-1)[0]) for i in range(len(cases))])
    hint = _bleu_hint(got, cases) or BLEU_FALLBACK
    for i, (name, reference, candidate, max_n) in enumerate(BLEU_CASES):
        expect.close(
            got[i],
            ref_bleu(reference, candidate, max_n),
            f"`bleu` of {name} (reference `{' '.join(reference)}`, candidate `{' '.join(candidate)}`, `max_n={max_n}`)",
            hint,
            rtol=0,
            atol=1e-9,
        )
    if "empty_error" in r:
        raise Fail(
            f"`bleu` of an empty candidate failed: {str(r['empty_error'])} With c = 0 the brevity penalty, "
            "and BLEU, is 0."
        )
    empty = float(np.asarray(r["empty"]).reshape(-1)[0])
    if not empty == 0.0:
        raise Fail(f"`bleu` of an empty candidate is {empty:.6g}: with c = 0 the brevity penalty, and BLEU, is 0.")


# --------------------------------------------------------------------------- hidden


def _hidden_cases():
    rng = np.random.default_rng(72)
    words = ("a", "red", "green", "blue", "disc", "square", "bar", "on", "the", "left", "right", "and")
    bleu_cases = []
    for i in range(20):
        reference = [words[k] for k in rng.integers(0, len(words), int(rng.integers(3, 10)))]
        candidate = list(reference)
        for _ in range(int(rng.integers(0, 4))):  # replace, delete or insert a word
            kind, at = int(rng.integers(3)), int(rng.integers(0, len(candidate) + 1))
            if kind == 0 and at < len(candidate):
                candidate[at] = words[int(rng.integers(len(words)))]
            elif kind == 1 and at < len(candidate) and len(candidate) > 1:
                del candidate[at]
            else:
                candidate.insert(at, words[int(rng.integers(len(words)))])
        if i % 7 == 6:
            candidate = candidate[: max(1, len(candidate) // 2)]
        bleu_cases.append((reference, candidate, 1 + i % 2))
    captions = [rng.integers(3, SCRIPT_VOCAB, int(rng.integers(1, 11))).tolist() for _ in range(10)]
    features = rng.normal(size=(5, 6))
    tokens = []
    for end_at in (3, None, 6, 0, 1):
        row = rng.integers(3, SCRIPT_VOCAB, 9).tolist()
        if end_at is not None:
            row[end_at] = END
        tokens.append(row)
    return bleu_cases, (captions, 7), features, Script(features, tokens, seed=73)


HIDDEN_BLEU, HIDDEN_PAIRS, HIDDEN_FEATURES, HIDDEN_SCRIPT = _hidden_cases()
HIDDEN_MAX_LEN = 6

hidden = new(
    "caption.hidden",
    1,
    "`teacher_forcing_pairs`, `greedy_decode` and `bleu` on seeded random captions, step functions and sentences",
    hidden=True,
)


@hidden.probe
def _(teacher_forcing_pairs, greedy_decode, bleu):
    record = {}
    record["inputs"], record["targets"] = _pairs(teacher_forcing_pairs, *HIDDEN_PAIRS)
    for i, features in enumerate(HIDDEN_FEATURES):
        for key, value in _decode(greedy_decode, HIDDEN_SCRIPT, features, HIDDEN_MAX_LEN).items():
            record[f"greedy{i}_{key}"] = value
    record["bleu"] = np.asarray([np.asarray(_bleu(bleu, *case), np.float64).reshape(-1)[0] for case in HIDDEN_BLEU])
    return record


@hidden.verify
def _(r):
    _verify_pairs((r["inputs"], r["targets"]), *HIDDEN_PAIRS, "the hidden captions", hidden=True)
    for i, features in enumerate(HIDDEN_FEATURES):
        _verify_decode(r, f"greedy{i}", HIDDEN_SCRIPT, features, HIDDEN_MAX_LEN, "a hidden step function", hidden=True)
    got = np.asarray(r["bleu"], np.float64).reshape(-1)
    expected = np.asarray([ref_bleu(*case) for case in HIDDEN_BLEU])
    off = int(np.sum(~(np.abs(got - expected) <= 1e-9))) if got.shape == expected.shape else len(expected)
    if off:
        hint = _bleu_hint(got, HIDDEN_BLEU) or BLEU_FALLBACK
        raise Fail(f"`bleu` on the hidden sentence pairs is off in {off} of {len(expected)} cases. {hint}")
