"""``mota.*``: the multiple-object tracking accuracy of the CLEAR MOT metrics (Bernardin &
Stiefelhagen 2008), from a sequence's correspondences.

Per frame t the input gives the ground-truth objects present (``gt_ids[t]``), the tracker's
hypotheses (``hyp_ids[t]``) and the matched pairs (``matches[t]``, (object, hypothesis) pairs, each
object and each hypothesis in at most one pair). Then

    misses          m_t   = |gt_t| − |matches_t|
    false positives fp_t  = |hyp_t| − |matches_t|
    identity switches mme_t = the matched objects whose hypothesis differs from the one they were
                          last matched to (in the latest earlier frame where they were matched at
                          all, however long ago; an object's first match is no switch)

    MOTA = 1 − Σ_t (m_t + fp_t + mme_t) / Σ_t |gt_t|

The student's ``mota(gt_ids, hyp_ids, matches)`` returns ``(score, misses, false_positives,
switches)``, the counts summed over the sequence.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, returned


def ref_mota(gt_ids, hyp_ids, matches, *, switches="last", false_positives=True, denominator="objects"):
    """The reference ``(score, misses, false_positives, switches)``; each keyword argument turns on
    one known mistake.

    Args:
        switches: ``"last"`` (against the last known correspondence), ``"previous"`` (only against
            the previous frame's), ``"first"`` (against the object's first correspondence: every
            frame after a change counts again), ``"none"``.
        false_positives: False leaves them out of the score.
        denominator: ``"objects"`` (Σ_t |gt_t|), ``"frames"``, ``"hypotheses"`` (Σ_t |hyp_t|).
    """
    misses = fps = mme = 0
    last, first, previous = {}, {}, {}
    for gt, hyp, pairs in zip(gt_ids, hyp_ids, matches):
        pairs = [(int(g), int(h)) for g, h in pairs]
        misses += len(gt) - len(pairs)
        fps += len(hyp) - len(pairs)
        now = {}
        for g, h in pairs:
            if switches == "last" and g in last and last[g] != h:
                mme += 1
            elif switches == "previous" and g in previous and previous[g] != h:
                mme += 1
            elif switches == "first" and g in first and first[g] != h:
                mme += 1
            last[g] = h
            first.setdefault(g, h)
            now[g] = h
        previous = now
    total = {
        "objects": sum(len(gt) for gt in gt_ids),
        "frames": len(gt_ids),
        "hypotheses": sum(len(hyp) for hyp in hyp_ids),
    }[denominator]
    if switches == "none":
        mme = 0
    score = 1.0 - (misses + (fps if false_positives else 0) + mme) / total
    return score, misses, fps, mme


def _case(frames):
    """(gt_ids, hyp_ids, matches) from frames written as (objects, hypotheses, pairs)."""
    return tuple([list(f[k]) for f in frames] for k in range(3))


CASES = (
    (
        "a sequence with misses and false positives, one frame with both, no switch",
        _case(
            [
                ([0, 1], [5, 6], [(0, 5), (1, 6)]),
                ([0, 1], [5, 6, 7], [(0, 5), (1, 6)]),
                ([0, 1], [6], [(1, 6)]),
                ([0, 1, 2], [5, 6], [(0, 5), (1, 6)]),
                ([0, 1, 2], [5, 6], [(0, 5), (1, 6)]),
                ([0, 1, 2], [5, 6, 8], [(0, 5), (1, 6)]),
                ([0, 1], [5, 6], [(0, 5)]),  # hypothesis 6 drifted off object 1: a miss and a false positive
            ]
        ),
    ),
    (
        "one switch that lasts four frames",
        _case(
            [
                ([0], [1], [(0, 1)]),
                ([0], [1], [(0, 1)]),
                ([0], [2], [(0, 2)]),
                ([0], [2], [(0, 2)]),
                ([0], [2], [(0, 2)]),
                ([0], [2], [(0, 2)]),
            ]
        ),
    ),
    (
        "a switch across a frame where the object is missed",
        _case(
            [
                ([3, 4], [10, 11], [(3, 10), (4, 11)]),
                ([3, 4], [11], [(4, 11)]),
                ([3, 4], [12, 11], [(3, 12), (4, 11)]),
            ]
        ),
    ),
    (
        "a switch and a switch back",
        _case(
            [
                ([0, 1], [7, 8], [(0, 7), (1, 8)]),
                ([0, 1], [8, 7], [(0, 8), (1, 7)]),
                ([0, 1], [7, 8], [(0, 7), (1, 8)]),
                ([0, 1], [7, 8, 9], [(0, 7), (1, 8)]),
            ]
        ),
    ),
    (
        "three objects, one born late, with every kind of error",
        _case(
            [
                ([0, 1], [1, 2, 9], [(0, 1), (1, 2)]),
                ([0, 1], [1, 2], [(0, 1), (1, 2)]),
                ([0, 1, 2], [1, 3], [(0, 1), (2, 3)]),
                ([0, 1, 2], [1, 3, 4], [(0, 1), (1, 4), (2, 3)]),
                ([0, 2], [3, 4], [(0, 4), (2, 3)]),
                ([0, 2], [3, 4, 8], [(0, 4), (2, 3)]),
            ]
        ),
    ),
)

COUNTS = ("score", "misses", "false_positives", "switches")

SWITCH_MISTAKES = (
    (
        dict(switches="first"),
        "You compared each match with the object's *first* hypothesis, so every frame "
        "after a switch counts again: a switch is counted once, in the frame where the hypothesis changes "
        "(compare with the hypothesis the object was last matched to, and update it).",
    ),
    (
        dict(switches="previous"),
        "You compared each match only with the previous frame's: an object missed "
        "for a frame and then matched to another hypothesis has switched too. Keep each object's last matched "
        "hypothesis, however many frames ago.",
    ),
    (
        dict(switches="none"),
        "You counted no identity switches: a switch is a matched object whose "
        "hypothesis differs from the one it was last matched to.",
    ),
)

SCORE_MISTAKES = (
    (
        dict(denominator="frames"),
        "You divided by the number of frames: MOTA divides the errors by the "
        "number of ground-truth objects summed over the frames, Σ_t |gt_t|.",
    ),
    (
        dict(denominator="hypotheses"),
        "You divided by the number of hypotheses: MOTA divides by the number of "
        "ground-truth objects summed over the frames, Σ_t |gt_t|.",
    ),
    (
        dict(false_positives=False),
        "Your score leaves out the false positives: MOTA = 1 − (misses + false positives + switches) / Σ_t |gt_t|.",
    ),
)

clear = new(
    "mota.clear",
    2,
    "`mota`: misses, false positives and identity switches (counted at the change, per CLEAR MOT) "
    "and MOTA = 1 − their sum / Σ_t |gt_t|",
)


@clear.probe
def _(mota):
    record = {}
    for i, (_, (gt, hyp, pairs)) in enumerate(CASES):
        out = returned(
            mota([list(g) for g in gt], [list(h) for h in hyp], [[tuple(p) for p in ps] for ps in pairs]), "`mota`"
        )
        if not isinstance(out, (tuple, list)) or len(out) != 4:
            raise Fail("`mota` should return four numbers: `(score, misses, false_positives, switches)`.")
        record.update({f"case{i}_{name}": value for name, value in zip(COUNTS, out)})
    return record


@clear.verify
def _(r):
    for i, (name, case) in enumerate(CASES):
        got = {key: float(np.asarray(r[f"case{i}_{key}"], np.float64).reshape(-1)[0]) for key in COUNTS}
        expected = dict(zip(COUNTS, ref_mota(*case)))
        frames = len(case[0])
        objects = sum(len(g) for g in case[0])
        what = f"`mota` on {name} ({frames} frames, {objects} ground-truth objects in all)"
        if got["misses"] != expected["misses"]:
            raise Fail(
                f"{what} counts {got['misses']:g} misses, expected {expected['misses']:g}: a miss is a ground-truth "
                "object present but in no match, Σ_t (|gt_t| − |matches_t|)."
            )
        if got["false_positives"] != expected["false_positives"]:
            raise Fail(
                f"{what} counts {got['false_positives']:g} false positives, expected "
                f"{expected['false_positives']:g}: a false positive is a hypothesis in no match, "
                "Σ_t (|hyp_t| − |matches_t|)."
            )
        if got["switches"] != expected["switches"]:
            hint = next(
                (h for kw, h in SWITCH_MISTAKES if got["switches"] == ref_mota(*case, **kw)[3]),
                "A switch is a matched object whose hypothesis differs from the one it was last matched to; an "
                "object's first match is not one.",
            )
            raise Fail(
                f"{what} counts {got['switches']:g} identity switches, expected {expected['switches']:g}. {hint}"
            )
        hint = expect.diagnose(
            got["score"], [(ref_mota(*case, **kw)[0], h) for kw, h in SCORE_MISTAKES], rtol=1e-9, atol=1e-9
        )
        expect.close(
            got["score"],
            expected["score"],
            f"the score {what}",
            hint or "MOTA = 1 − (misses + false positives + switches) / Σ_t |gt_t|.",
            rtol=1e-9,
            atol=1e-9,
        )
