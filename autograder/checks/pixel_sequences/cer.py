"""``cer.*``: the character error rate of a set of read lines.

CER = Σ_i lev(truth_i, prediction_i) / Σ_i |truth_i|, with lev the Levenshtein distance (the
fewest substitutions, insertions and deletions that turn one string into the other, Levenshtein
1966): D[i, j] = min(D[i−1, j] + 1, D[i, j−1] + 1, D[i−1, j−1] + [a_i ≠ b_j]). A corpus ratio, not
the mean of per-line rates, and it can exceed 1 (a prediction with many extra characters).
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, returned


def ref_levenshtein(a: str, b: str, *, substitution: int = 1) -> int:
    """The edit distance between two strings (``substitution`` = 2: a substitution costs a
    deletion and an insertion, a known mistake)."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        diagonal, row[0] = row[0], i
        for j, y in enumerate(b, start=1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (substitution if x != y else 0))
    return row[-1]


def ref_hamming(a: str, b: str) -> int:
    """Position-by-position mismatches plus the length difference (a known mistake)."""
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


def ref_cer(truths, predictions, *, distance="levenshtein", substitution=1, average="corpus", divide_by="truths"):
    """The reference CER; each keyword argument turns on one known mistake (``MISTAKES``); other
    modules call it with ``truths`` and ``predictions`` only.

    Args:
        distance: ``"levenshtein"`` or ``"hamming"``.
        substitution: what a substitution costs (2: a deletion and an insertion).
        average: ``"corpus"`` (Σ edits / Σ lengths), ``"lines"`` (the mean of per-line rates),
            ``"none"`` (the total edits, not divided).
        divide_by: ``"truths"`` or ``"predictions"``: whose lengths are the denominator.
    """
    truths, predictions = [str(t) for t in truths], [str(p) for p in predictions]
    if distance == "hamming":
        edits = [ref_hamming(t, p) for t, p in zip(truths, predictions)]
    else:
        edits = [ref_levenshtein(t, p, substitution=substitution) for t, p in zip(truths, predictions)]
    lengths = np.asarray([len(s) for s in (truths if divide_by == "truths" else predictions)], np.float64)
    edits = np.asarray(edits, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if average == "none":
            return float(edits.sum())
        if average == "lines":
            return float(np.mean(edits / lengths))
        return float(edits.sum() / lengths.sum())


MISTAKES = (
    (
        lambda t, p: ref_cer(t, p, distance="hamming"),
        "You compared the strings position by position (a Hamming distance): one inserted or deleted "
        "character shifts every later one, so use the Levenshtein dynamic programme, which aligns them.",
    ),
    (
        lambda t, p: ref_cer(t, p, average="lines"),
        "You averaged the per-line rates: the CER is a corpus ratio, the total edits over the total length "
        "of the truths, so a short line weighs less than a long one.",
    ),
    (
        lambda t, p: ref_cer(t, p, divide_by="predictions"),
        "You divided by the predictions' lengths: divide by the truths' total length, Σ |truth|.",
    ),
    (
        lambda t, p: ref_cer(t, p, substitution=2),
        "A substitution cost 2 (a deletion and an insertion): it is one edit, "
        "`D[i-1, j-1] + (a_i != b_j)` with cost 1.",
    ),
    (
        lambda t, p: ref_cer(t, p, average="none"),
        "You returned the number of edits: divide it by the truths' total length.",
    ),
)

CASES = (
    ("a substitution", ["209"], ["299"]),
    ("an insertion", ["2091"], ["20491"]),  # in the middle: an insertion at the start is the first row's
    ("a deletion", ["4407"], ["407"]),
    ("an empty prediction", ["53", "17"], ["", "17"]),
    ("a prediction longer than its truth", ["7"], ["7777"]),
    ("a corpus of lines of different lengths", ["2091", "55", "380714", "6"], ["2901", "555", "38714", ""]),
)

edit = new(
    "cer.edit", 1, "`character_error_rate`: Σ Levenshtein edits over Σ the truths' lengths, for the whole corpus"
)


@edit.probe
def _(character_error_rate):
    record = {}
    for i, (_, truths, predictions) in enumerate(CASES):
        record[f"case{i}"] = returned(character_error_rate(list(truths), list(predictions)), "`character_error_rate`")
    return record


@edit.verify
def _(r):
    for i, (name, truths, predictions) in enumerate(CASES):
        got = np.asarray(r[f"case{i}"], np.float64).reshape(-1)
        what = f"`character_error_rate({truths}, {predictions})` ({name})"
        if got.size != 1:
            raise Fail(f"{what} returned {got.size} numbers: return one, the rate over all the lines.")
        hint = expect.diagnose(float(got[0]), MISTAKES, truths, predictions, rtol=1e-6, atol=1e-9)
        expect.close(
            float(got[0]),
            ref_cer(truths, predictions),
            what,
            hint
            or "Count the fewest substitutions, insertions and deletions per line, sum them, and divide by Σ |truth|.",
            rtol=1e-6,
            atol=1e-9,
        )
