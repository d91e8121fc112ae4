"""``ngram.*``: the n-gram language model with add-k smoothing, and perplexity.

    P(w | h) = (c(h, w) + k) / (c(h) + k·V)       h = the n − 1 ids before w,  V = vocab_size

c(h, w) counts the positions of the training ids where h is followed by w, and c(h) = Σ_w c(h, w)
the positions where h is followed by anything: the history at the very end of the training ids,
which nothing follows, is not one of them (else the probabilities of h's successors would not sum
to 1). n = 1 is the unigram: h is empty and c(h) is the number of training ids. The test ids
predicted are ``test_ids[n − 1:]``, the first whose history lies inside the test ids; the NLL is
the mean over them, in nats, and

    perplexity = exp(mean NLL)

(the geometric mean of 1 / P over the predicted ids: the number of equally likely choices that
would be as surprising). Add-k gives every successor, seen or not, probability at least
k / (c(h) + k·V) > 0, and a history never seen in training the uniform 1 / V.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import expect
from .._core import Fail, new, quoted_error, returned
from ._source import VOCAB_SIZE, markov_text, text_ids


def _sequences(ids) -> list[np.ndarray]:
    """A 1-D array is one sequence; a 2-D array, rows of independent sequences."""
    ids = np.asarray(ids, np.int64)
    return [ids] if ids.ndim == 1 else list(ids)


def ngram_counts(train, n, vocab_size, *, end_history=False):
    """c(h, w) as an array of shape (V,) * n, and c(h) (shape (V,) * (n − 1)); ``end_history`` also
    counts each sequence's final history, which nothing follows (a known mistake)."""
    counts = np.zeros((vocab_size,) * n)
    for seq in _sequences(train):
        if len(seq) >= n:
            np.add.at(counts, tuple(sliding_window_view(seq, n).T), 1.0)
    history = np.asarray(counts.sum(axis=-1))  # 0-d for n = 1
    if end_history:  # for n = 1, the empty history after the last id: c() = len(train) + 1
        for seq in _sequences(train):
            if len(seq) >= n - 1:
                history[tuple(seq[len(seq) - n + 1 :])] += 1.0
    return counts, history


def ref_token_nlls(
    train, test, n, k, vocab_size, *, denominator="kV", log=np.log, end_history=False, start=None
) -> np.ndarray:
    """−log P(w | h) of each predicted test id (an array per row for 2-D ``test``); each keyword
    argument turns on one known mistake (``MISTAKES``): ``denominator`` ``"none"`` / ``"V"`` / ``"k"``
    (c(h), c(h) + V, c(h) + k), ``log``, ``end_history``, ``start`` (the first predicted position)."""
    counts, history = ngram_counts(train, n, vocab_size, end_history=end_history)
    extra = {"kV": k * vocab_size, "none": 0.0, "V": float(vocab_size), "k": float(k)}[denominator]
    first = n - 1 if start is None else start
    out = []
    for seq in _sequences(test):
        if len(seq) < max(n, first + 1):
            out.append(np.zeros(0))
            continue
        windows = sliding_window_view(seq, n)[first - (n - 1) :]
        index = tuple(windows.T)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = (counts[index] + k) / (history[index[:-1]] + extra)
            out.append(-log(p))
    return out[0] if np.asarray(test).ndim == 1 else np.stack(out)


def ref_ngram_nll(train, test, n, k, vocab_size, *, reduce="mean", **mistakes) -> float:
    """The reference mean NLL (nats) of the predicted test ids; ``reduce="sum"`` and ``**mistakes``
    (see :func:`ref_token_nlls`) are known mistakes."""
    nlls = ref_token_nlls(train, test, n, k, vocab_size, **mistakes)
    return float(np.sum(nlls) if reduce == "sum" else np.mean(nlls))


def ref_perplexity(nll, *, base="e", average="log"):
    """exp(mean NLL); ``base`` ``"2"`` and ``average`` ``"exp"`` / ``"sum"`` / ``"none"`` are known mistakes."""
    nll = np.asarray(nll, np.float64)
    if average == "exp":
        return float(np.mean(np.exp(nll)))
    if average == "none":
        return float(np.mean(nll))
    value = np.sum(nll) if average == "sum" else np.mean(nll)
    return float(2.0**value if base == "2" else np.exp(value))


# --------------------------------------------------------------------------- inputs

PRIMER = "بابا آب داد. بابا نان داد."  # the first sentences of the old Persian primer; it ends on "د."
VOCABULARY = ["<unk>"] + sorted(set(PRIMER))  # V = 8


def primer_ids(text) -> np.ndarray:
    """A text's ids in ``VOCABULARY`` (0 for a character the primer lacks)."""
    return np.asarray([VOCABULARY.index(c) if c in VOCABULARY else 0 for c in text], np.int64)


SEEN = "نان داد. بابا آب"  # every character in the primer; "." and "د." are followed here
UNSEEN = "ماما نان داد."  # «م» is not in the primer: id 0, a count of 0, and a history never seen

# (description, test text, n, k): the test ids are the text's ids in the primer's vocabulary.
CASES = (
    ("the unigram (n = 1, k = 1) of the primer, every test character seen", SEEN, 1, 1.0),
    ("the unigram (n = 1, k = 0.5) of the primer, one test character («م») unseen", UNSEEN, 1, 0.5),
    ("the bigram (n = 2, k = 0.5) of the primer, every test character seen", SEEN, 2, 0.5),
    ("the trigram (n = 3, k = 0.1) of the primer, every test character seen", SEEN, 3, 0.1),
    ("the bigram (n = 2, k = 2) of the primer, with «م» and histories never seen", UNSEEN, 2, 2.0),
)

nll = new(
    "ngram.nll",
    2,
    "`ngram_nll`: the mean NLL (nats) of test_ids[n − 1:] under add-k smoothing, "
    "P(w | h) = (c(h, w) + k) / (c(h) + k·V)",
)


def _one_number(value, what):
    value = np.asarray(returned(value, what), np.float64)
    if value.size != 1:
        raise Fail(f"{what} returned {value.size} numbers: return one number.")
    return float(value.reshape(()))


@nll.probe
def _(ngram_nll):
    record = {}
    train = primer_ids(PRIMER)
    for i, (_, text, n, k) in enumerate(CASES):
        try:  # an error in one case (a division by c(h) = 0) is explained after the cases before it
            value = ngram_nll(train.copy(), primer_ids(text), n, k, len(VOCABULARY))
            record[f"case{i}"], record[f"error{i}"] = _one_number(value, "`ngram_nll`"), ""
        except (Fail, NotImplementedError):  # an unwritten solution says so itself
            raise
        except Exception as exc:
            record[f"case{i}"], record[f"error{i}"] = np.nan, quoted_error(exc)
    return record


MISTAKES = (
    (
        lambda *a: ref_ngram_nll(*a, denominator="none"),
        "You divided by c(h) alone: add-k adds k to each of the V counts, so the denominator is c(h) + k·V, "
        "and the probabilities of the V successors sum to 1.",
    ),
    (
        lambda *a: ref_ngram_nll(*a, denominator="V"),
        "You divided by c(h) + V: add-k adds k to each of the V counts, so the denominator is c(h) + k·V "
        "(the two agree only when k = 1).",
    ),
    (
        lambda *a: ref_ngram_nll(*a, denominator="k"),
        "You divided by c(h) + k: add-k adds k to each of the V counts, so the denominator is c(h) + k·V.",
    ),
    (
        lambda *a: ref_ngram_nll(*a, log=np.log2),
        "Your NLL is in bits (log2): use the natural logarithm, `np.log`, for nats.",
    ),
    (
        lambda *a: ref_ngram_nll(*a, end_history=True),
        "Your c(h) counts the history at the very end of the training ids, which nothing follows: count h only "
        "where a successor follows it, c(h) = Σ_w c(h, w) (else P(· | h) sums to less than 1).",
    ),
    (
        lambda train, test, n, k, v: ref_ngram_nll(train, test, n, k, v, start=n),
        "You predicted from position n: the first test id with a whole history is test_ids[n − 1] "
        "(its history is test_ids[0 : n − 1]), so predict test_ids[n − 1:].",
    ),
    (
        lambda *a: ref_ngram_nll(*a, reduce="sum"),
        "You returned the sum of the NLLs: return their mean over the predicted ids (nats per id).",
    ),
)

FALLBACK = (
    "Isolate the terms: with n = 1 the history is empty and c(h) = len(train_ids); with k close to 0 the "
    "probabilities are the counts' ratios. Then count c(h, w) over the training windows of n ids."
)


def verify_nll(got, args, what):
    expected = ref_ngram_nll(*args)
    hint = expect.diagnose(got, MISTAKES, *args, rtol=1e-6, atol=1e-9, equal_nan=True)
    expect.close(got, expected, what, hint or FALLBACK, rtol=1e-6, atol=1e-9)


@nll.verify
def _(r):
    train = primer_ids(PRIMER)
    for i, (name, text, n, k) in enumerate(CASES):
        args = (train, primer_ids(text), n, k, len(VOCABULARY))
        what = f"`ngram_nll` for {name} (train {PRIMER!r}, test {text!r})"
        error = str(r[f"error{i}"])
        if error:
            hint = (
                " A history never seen in training has c(h) = 0: with add-k the denominator c(h) + k·V is never 0 "
                "(the probability is then 1 / V)."
                if "ZeroDivision" in error
                else ""
            )
            raise Fail(f"{what} raised the error {error}.{hint}")
        verify_nll(r[f"case{i}"], args, what)


# --------------------------------------------------------------------------- hidden

HIDDEN_N, HIDDEN_K, HIDDEN_SEEDS, HIDDEN_LENGTHS = 4, 0.05, (81, 82), (2000, 600)

hidden = new(
    "ngram.hidden",
    1,
    "`ngram_nll` for a 4-gram of a longer text of the Markov source, with a small k",
    hidden=True,
)


def hidden_texts():
    return tuple(text_ids(markov_text(n, seed)) for n, seed in zip(HIDDEN_LENGTHS, HIDDEN_SEEDS))


@hidden.probe
def _(ngram_nll):
    train, test = hidden_texts()
    return {"nll": _one_number(ngram_nll(train, test, HIDDEN_N, HIDDEN_K, VOCAB_SIZE), "`ngram_nll`")}


@hidden.verify
def _(r):
    train, test = hidden_texts()
    verify_nll(r["nll"], (train, test, HIDDEN_N, HIDDEN_K, VOCAB_SIZE), "`ngram_nll` on the hidden texts")


# --------------------------------------------------------------------------- perplexity

PERPLEXITY_CASES = (
    ("one mean NLL, the Markov source's entropy rate 0.8473", 0.8472519787031288),
    ("the per-token NLLs [0.1, 0.5, 2.0, 1.2] (an array)", np.array([0.1, 0.5, 2.0, 1.2])),
    ("the per-token NLLs [0.25, 3.0] (a list)", [0.25, 3.0]),
)

PERPLEXITY_MISTAKES = (
    (lambda x: ref_perplexity(x, base="2"), "You took 2 ** NLL: the NLL is in nats, so perplexity = exp(NLL)."),
    (
        lambda x: ref_perplexity(x, average="exp"),
        "You averaged exp(NLL) over the tokens: perplexity is exp of the mean NLL, `np.exp(np.mean(nll))` (the "
        "geometric mean of 1 / P, not the arithmetic one).",
    ),
    (
        lambda x: ref_perplexity(x, average="sum"),
        "You took exp of the sum of the NLLs: perplexity is exp of their mean, `np.exp(np.mean(nll))`.",
    ),
    (lambda x: ref_perplexity(x, average="none"), "You returned the (mean) NLL: perplexity is its exp."),
)

perplexity_check = new("ngram.perplexity", 1, "`perplexity(nll)` = exp(mean NLL), for one mean NLL or per-token NLLs")


@perplexity_check.probe
def _(perplexity):
    record = {}
    for i, (_, value) in enumerate(PERPLEXITY_CASES):
        value = value.copy() if isinstance(value, (np.ndarray, list)) else value
        record[f"case{i}"] = _one_number(perplexity(value), "`perplexity`")
    return record


@perplexity_check.verify
def _(r):
    for i, (name, value) in enumerate(PERPLEXITY_CASES):
        hint = expect.diagnose(r[f"case{i}"], PERPLEXITY_MISTAKES, value, rtol=1e-6, atol=1e-9)
        expect.close(
            r[f"case{i}"],
            ref_perplexity(value),
            f"`perplexity` of {name}",
            hint or "perplexity = exp(mean NLL): `np.exp(np.mean(nll))` works for a number and for an array.",
            rtol=1e-6,
            atol=1e-9,
        )
