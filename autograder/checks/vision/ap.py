"""``ap.*``: average precision of one class's detections at an IoU threshold (PASCAL VOC 2010+).

Sort the detections by score (highest first, equal scores in index order). Each detection is a
true positive if some *still unmatched* true box of its own image overlaps it with IoU ≥ the
threshold — it takes the one of highest IoU — and a false positive otherwise: a second
detection of an object already found (a duplicate) is a false positive. After the k-th
detection, precision p_k = TP_k / k and recall r_k = TP_k / (number of true boxes). AP is the
area under the interpolated curve, p̃_k = max_{j ≥ k} p_j:

    AP = Σ_k (r_k − r_{k−1}) · p̃_k,   r_0 = 0.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, returned
from .iou import ref_iou


def ref_average_precision(
    pred_boxes,
    pred_scores,
    pred_images,
    true_boxes,
    true_images,
    iou_threshold=0.5,
    *,
    reuse=False,
    by_index=False,
    one_image=False,
    interpolate=True,
    mean_of_precisions=False,
):
    """The reference AP; each keyword argument turns on one known mistake (see ``_mistakes``)."""
    pred_boxes = np.asarray(pred_boxes, np.float64).reshape(-1, 4)
    true_boxes = np.asarray(true_boxes, np.float64).reshape(-1, 4)
    pred_images, true_images = np.asarray(pred_images), np.asarray(true_images)
    if one_image:
        pred_images, true_images = np.zeros(len(pred_images)), np.zeros(len(true_images))
    scores = np.asarray(pred_scores, np.float64)
    order = np.arange(len(scores)) if by_index else np.argsort(-scores, kind="stable")
    used = np.zeros(len(true_boxes), bool)
    overlaps = ref_iou(pred_boxes, true_boxes)
    tp = np.zeros(len(order))
    for k, i in enumerate(order):
        candidates = (true_images == pred_images[i]) & (reuse | ~used) & (overlaps[i] >= iou_threshold)
        if candidates.any():
            j = int(np.argmax(np.where(candidates, overlaps[i], -1)))
            used[j], tp[k] = True, 1
    if len(true_boxes) == 0 or len(tp) == 0:
        return 0.0
    hits = np.cumsum(tp)
    precision, recall = hits / np.arange(1, len(tp) + 1), hits / len(true_boxes)
    if mean_of_precisions:
        return float(np.mean(precision))
    if interpolate:
        precision = np.maximum.accumulate(precision[::-1])[::-1]
    return float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision))


def _mistakes(args):
    return (
        (
            ref_average_precision(*args, reuse=True),
            "A duplicate counted as a true positive: once a true box is matched, a second detection of "
            "it is a false positive (mark the true box as used).",
        ),
        (
            ref_average_precision(*args, by_index=True),
            "The detections were taken in index order: sort them by score, highest first.",
        ),
        (
            ref_average_precision(*args, interpolate=False),
            "You summed the raw precisions: AP uses the interpolated precision p̃_k = max over j ≥ k of p_j.",
        ),
        (
            ref_average_precision(*args, one_image=True),
            "A detection matched a true box of another image: match only within the same image.",
        ),
        (
            ref_average_precision(*args[:5], args[5] + 1e-9),
            "A detection with IoU exactly at the threshold was a false positive: the rule is IoU ≥ threshold.",
        ),
        (
            ref_average_precision(*args, mean_of_precisions=True),
            "You averaged the precision over all ranks: weight each rank's precision by the recall it adds.",
        ),
    )


# Image 0 holds two objects, image 1 one. Detections: a duplicate of object A (lower score), a hit
# on B, a miss, an exact-threshold hit, a detection in image 1 that overlaps a box of image 0 only.
RANKING = (
    np.array(
        [
            [0, 0, 10, 10],  # A, found
            [1, 0, 11, 10],  # A again: a duplicate, false positive
            [20, 0, 30, 10],  # B, found
            [50, 50, 60, 60],  # nothing
            [0, 0, 20, 10],  # image 1: C = (0, 0, 10, 10) at IoU 0.5 exactly
            [20, 0, 30, 10],  # image 1: where B is in image 0 only
        ],
        np.float64,
    ),
    np.array([0.9, 0.8, 0.7, 0.85, 0.6, 0.4]),
    np.array([0, 0, 0, 0, 1, 1]),
    np.array([[0, 0, 10, 10], [20, 0, 30, 10], [0, 0, 10, 10]], np.float64),
    np.array([0, 0, 1]),
    0.5,
)

# Two overlapping true boxes: the first detection must take the one it overlaps most (IoU 1, not
# 0.82), or the second detection, which overlaps only the other (IoU 0.54), finds it used.
OVERLAPPING = (
    np.array([[1, 0, 11, 10], [-3, 0, 7, 10]], np.float64),
    np.array([0.9, 0.8]),
    np.zeros(2, np.int64),
    np.array([[0, 0, 10, 10], [1, 0, 11, 10]], np.float64),
    np.zeros(2, np.int64),
    0.5,
)

ranking = new("ap.ranking", 1, "`average_precision`: ranked by score, matched per image, interpolated precision")
duplicates = new("ap.duplicates", 1, "`average_precision`: a second detection of a found object is a false positive")

# Five detections of one object, the best first: AP is 1 only if the four duplicates count as false.
DUPLICATES = (
    np.array([[0, 0, 10, 10], [0, 0, 10, 9], [0, 0, 9, 10], [1, 0, 10, 10], [0, 1, 10, 10]], np.float64),
    np.array([0.9, 0.8, 0.7, 0.6, 0.5]),
    np.zeros(5, np.int64),
    np.array([[0, 0, 10, 10], [30, 30, 40, 40]], np.float64),
    np.zeros(2, np.int64),
    0.5,
)


def _call(average_precision, case):
    value = average_precision(*(a.copy() if isinstance(a, np.ndarray) else a for a in case))
    returned(value, "`average_precision`")
    return np.asarray(value, np.float64)


@ranking.probe
def _(average_precision):
    return {
        "ap": _call(average_precision, RANKING),
        "overlapping": _call(average_precision, OVERLAPPING),
        "empty": _call(average_precision, (np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64), *RANKING[3:])),
    }


FALLBACK = (
    "Follow the recipe above step by step (it matches boxes with your `iou`: if a check of `iou` fails, fix it first)."
)


def _verify_ap(got, case, what):
    expected = ref_average_precision(*case)
    if np.size(got) != 1:
        raise Fail(
            f"`average_precision` on {what} returned {np.size(got)} numbers: return one, the area under the curve."
        )
    hint = next(
        (h for value, h in _mistakes(case) if abs(float(got) - value) < 1e-6 and abs(value - expected) > 1e-6), ""
    )
    expect.close(
        float(got),
        expected,
        f"`average_precision` on {what}",
        hint or FALLBACK,
        rtol=1e-6,
        atol=1e-6,
    )


@ranking.verify
def _(r):
    _verify_ap(r["ap"], RANKING, "the check's six detections in two images")
    _verify_ap(r["overlapping"], OVERLAPPING, "two detections of two overlapping true boxes")
    if abs(float(r["empty"])) > 1e-12:
        raise Fail(f"`average_precision` with no detections gave {float(r['empty']):.4g}: nothing found is AP 0.")


@duplicates.probe
def _(average_precision):
    return {"ap": _call(average_precision, DUPLICATES)}


@duplicates.verify
def _(r):
    _verify_ap(r["ap"], DUPLICATES, "five detections of one of two objects")


def _hidden_case():
    rng = np.random.default_rng(63)
    true_images = rng.integers(0, 4, size=10)
    corner = rng.uniform(0, 30, size=(10, 2))
    true_boxes = np.concatenate([corner, corner + rng.uniform(4, 10, size=(10, 2))], axis=1)
    picks = rng.integers(0, 10, size=40)
    boxes = true_boxes[picks] + rng.normal(0, 1.5, size=(40, 4))
    boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
    scores = np.round(rng.uniform(0, 1, size=40), 1)  # many ties: their order is the index order
    return boxes, scores, true_images[picks], true_boxes, true_images, 0.5


HIDDEN = _hidden_case()

hidden = new(
    "ap.hidden",
    1,
    "`average_precision` on forty noisy detections, many tied, of ten objects in four images",
    hidden=True,
)


@hidden.probe
def _(average_precision):
    return {"ap": _call(average_precision, HIDDEN)}


@hidden.verify
def _(r):
    expected = ref_average_precision(*HIDDEN)
    if np.size(r["ap"]) != 1 or abs(float(r["ap"]) - expected) > 1e-6:
        raise Fail("`average_precision` on the hidden detections is off: compare your steps with the recipe.")
