"""``masks.*``: semantic and instance segmentation scores.

mean IoU        per class k, IoU_k = |T_k ∩ P_k| / |T_k ∪ P_k| over every pixel of every image,
                averaged over the classes whose union is not empty
instances       the connected components (4-neighbours) of each class's mask, numbered 1, 2, …
                class by class, in scipy.ndimage.label's order within a class; 0 is background
matching        true and predicted instances paired by the Hungarian algorithm on IoU
                (scipy.optimize.linear_sum_assignment), a pair counting only if IoU > 0.5
panoptic quality PQ = Σ_{(t, p) ∈ TP} IoU(t, p) / (|TP| + |FP|/2 + |FN|/2)   (Kirillov et al. 2019)
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, returned


def ref_mean_iou(true_mask, pred_mask, num_classes, *, absent_as_zero=False, per_image=False, background=True):
    """The reference mean IoU; each keyword argument turns on one known mistake."""
    if per_image:
        return float(np.mean([ref_mean_iou(a, b, num_classes) for a, b in zip(true_mask, pred_mask)]))
    t, p = np.asarray(true_mask).reshape(-1), np.asarray(pred_mask).reshape(-1)
    scores = []
    for k in range(0 if background else 1, num_classes):
        union = np.sum((t == k) | (p == k))
        if union or absent_as_zero:
            scores.append(np.sum((t == k) & (p == k)) / max(union, 1))
    return float(np.mean(scores))


def _pixel_accuracy(t, p, num_classes):
    return float(np.mean(np.asarray(t) == np.asarray(p)))


MEAN_IOU_MISTAKES = (
    (
        lambda t, p, k: ref_mean_iou(t, p, k, absent_as_zero=True),
        "A class absent from both masks counted as IoU 0: average only over classes whose union is not empty.",
    ),
    (
        lambda t, p, k: ref_mean_iou(t, p, k, per_image=True),
        "You averaged per image, then over images: count every pixel of every image per class, "
        "then average over classes.",
    ),
    (_pixel_accuracy, "That is the pixel accuracy: mean IoU averages |T ∩ P| / |T ∪ P| per class."),
    (
        lambda t, p, k: ref_mean_iou(t, p, k, background=False),
        "You left out the background class 0: it is a class like the others here.",
    ),
)


def _mean_iou_case():
    rng = np.random.default_rng(64)
    t = rng.choice(4, size=(3, 6, 7), p=[0.5, 0.3, 0.2, 0.0])  # class 3 never occurs
    p = t.copy()
    flip = rng.random(t.shape) < 0.3
    p[flip] = rng.choice(3, size=int(flip.sum()))
    t[2] = 0  # image 2 holds only background in truth
    return t, p, 4


MEAN_IOU_CASE = _mean_iou_case()

mean_iou = new(
    "masks.mean_iou", 1, "`mean_iou(true_mask, pred_mask, num_classes)` over all pixels, classes present only"
)


@mean_iou.probe
def _(mean_iou):
    t, p, k = MEAN_IOU_CASE
    return {"m": mean_iou(t.copy(), p.copy(), k), "perfect": mean_iou(t.copy(), t.copy(), k)}


@mean_iou.verify
def _(r):
    t, p, k = MEAN_IOU_CASE
    for key, pred, what in (("m", p, "the check's three 6×7 masks"), ("perfect", t, "a mask against itself")):
        got = np.asarray(r[key], np.float64)
        if got.size != 1:
            raise Fail(f"`mean_iou` on {what} returned {got.size} numbers: return one, the mean over classes.")
        expected = ref_mean_iou(t, pred, k)
        hint = next(
            (
                h
                for f, h in MEAN_IOU_MISTAKES
                if abs(f(t, pred, k) - expected) > 1e-9 and abs(f(t, pred, k) - float(got)) < 1e-6
            ),
            "",
        )
        expect.close(
            float(got),
            expected,
            f"`mean_iou` on {what}",
            hint or "Per class: intersection over union of its pixels.",
            rtol=1e-6,
            atol=1e-6,
        )


def _label(mask, diagonal=False):
    """Connected components of a boolean mask, numbered 1, 2, … in scan order (what
    ``scipy.ndimage.label`` gives): NumPy only, so the grader needs no SciPy."""
    mask = np.asarray(mask, bool)
    labels = np.zeros(mask.shape, np.int64)
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)] + ([(-1, -1), (-1, 1), (1, -1), (1, 1)] if diagonal else [])
    count = 0
    for start in zip(*np.nonzero(mask)):
        if labels[start]:
            continue
        count += 1
        labels[start], stack = count, [start]
        while stack:
            y, x = stack.pop()
            for dy, dx in steps:
                ny, nx = y + dy, x + dx
                if 0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1] and mask[ny, nx] and not labels[ny, nx]:
                    labels[ny, nx] = count
                    stack.append((ny, nx))
    return labels, count


def _best_assignment(scores):
    """The one-to-one pairing (rows, columns) of largest total score, by dynamic programming over
    subsets of columns (exact, like the Hungarian algorithm; the checks' matrices are tiny)."""
    scores = np.asarray(scores, np.float64)
    if scores.shape[0] > scores.shape[1]:
        columns, rows = _best_assignment(scores.T)
        order = np.argsort(rows)
        return rows[order], columns[order]
    n, m = scores.shape
    best = {0: (0.0, ())}  # used columns (bit mask) -> (total, column of each row so far)
    for i in range(n):
        following = {}
        for used, (total, picked) in best.items():
            for j in range(m):
                if not used >> j & 1:
                    key, value = used | 1 << j, (total + scores[i, j], (*picked, j))
                    if key not in following or value[0] > following[key][0]:
                        following[key] = value
        best = following
    _, picked = max(best.values(), key=lambda v: v[0]) if best else (0.0, ())
    return np.arange(len(picked)), np.asarray(picked, np.int64)


def ref_instances_from_mask(class_mask):
    class_mask = np.asarray(class_mask)
    instances = np.zeros(class_mask.shape, np.int64)
    count = 0
    for k in np.unique(class_mask):
        if k == 0:
            continue
        labelled, n = _label(class_mask == k)
        instances[labelled > 0] = labelled[labelled > 0] + count
        count += n
    return instances


def _same_partition(a, b) -> bool:
    """True if the two instance maps group the same pixels (whatever the numbers)."""
    a, b = np.asarray(a).reshape(-1), np.asarray(b).reshape(-1)
    if a.shape != b.shape or not np.array_equal(a == 0, b == 0):
        return False
    pairs = set(zip(a[a > 0].tolist(), b[b > 0].tolist()))
    return len(pairs) == len(set(a[a > 0].tolist())) == len(set(b[b > 0].tolist()))


# A disc-class blob touching a square (different classes: two instances), two squares touching at a
# corner only (diagonal: not 4-neighbours, so two instances) and one more disc-class blob.
INSTANCE_MASK = np.zeros((9, 12), np.int64)
INSTANCE_MASK[1:4, 1:4] = 1  # a disc-class blob
INSTANCE_MASK[1:4, 4:7] = 2  # a square touching it
INSTANCE_MASK[5:7, 0:2] = 2
INSTANCE_MASK[7:9, 2:4] = 2  # touches the previous square only at a corner
INSTANCE_MASK[5:9, 7:12] = 1

instances = new("masks.instances", 1, "`instances_from_mask`: connected components class by class, 4-neighbours")


@instances.probe
def _(instances_from_mask):
    got = instances_from_mask(INSTANCE_MASK.copy())
    returned(got, "`instances_from_mask`")
    return {"instances": got}


@instances.verify
def _(r):
    got = np.asarray(r["instances"])
    expect.shape(got, INSTANCE_MASK.shape, "`instances_from_mask`'s map")
    if _same_partition(got, ref_instances_from_mask(INSTANCE_MASK)):
        return
    if _same_partition(got, _label(INSTANCE_MASK > 0)[0]):
        raise Fail(
            "`instances_from_mask` labelled the foreground as a whole: the disc and the square that touch "
            "became one instance. Label each class's mask separately (`ndimage.label(class_mask == k)`)."
        )
    merged_corner = np.zeros_like(INSTANCE_MASK)
    count = 0
    for k in (1, 2):
        lab, n = _label(INSTANCE_MASK == k, diagonal=True)
        merged_corner[lab > 0] = lab[lab > 0] + count
        count += n
    if _same_partition(got, merged_corner):
        raise Fail(
            "`instances_from_mask` joined two squares that touch only at a corner: use 4-neighbours "
            "(scipy's default structure), not 8."
        )
    if _same_partition(got, INSTANCE_MASK):
        raise Fail("`instances_from_mask` returned the class mask: number each connected component of each class.")
    raise Fail(
        f"`instances_from_mask` found {len(np.unique(got[got > 0]))} instances, expected "
        f"{len(np.unique(ref_instances_from_mask(INSTANCE_MASK))) - 1}: label each class's components, "
        "numbering them on after the previous class's."
    )


def _iou_matrix(true_instances, pred_instances):
    t, p = np.asarray(true_instances).reshape(-1), np.asarray(pred_instances).reshape(-1)
    t_ids, p_ids = np.unique(t[t > 0]), np.unique(p[p > 0])
    m = np.zeros((len(t_ids), len(p_ids)))
    for i, a in enumerate(t_ids):
        for j, b in enumerate(p_ids):
            inter = np.sum((t == a) & (p == b))
            m[i, j] = inter / np.sum((t == a) | (p == b)) if inter else 0.0
    return t_ids, p_ids, m


def ref_match_instances(true_instances, pred_instances, iou_threshold=0.5):
    t_ids, p_ids, m = _iou_matrix(true_instances, pred_instances)
    rows, cols = _best_assignment(m)
    pairs = [(int(t_ids[i]), int(p_ids[j]), float(m[i, j])) for i, j in zip(rows, cols) if m[i, j] > iou_threshold]
    return pairs, len(p_ids) - len(pairs), len(t_ids) - len(pairs)


def ref_panoptic_quality(true_instances, pred_instances):
    pairs, fp, fn = ref_match_instances(true_instances, pred_instances)
    denominator = len(pairs) + fp / 2 + fn / 2
    return sum(iou for *_, iou in pairs) / denominator if denominator else 1.0


# True: three objects; predicted: one split in two, one merged with a neighbour, one good, one extra.
TRUE_INSTANCES = np.zeros((8, 14), np.int64)
TRUE_INSTANCES[1:5, 1:5] = 1
TRUE_INSTANCES[1:5, 6:9] = 2
TRUE_INSTANCES[1:5, 9:12] = 3
PRED_INSTANCES = np.zeros((8, 14), np.int64)
PRED_INSTANCES[1:5, 1:3] = 4  # half of object 1 (IoU 0.5: not a match)
PRED_INSTANCES[1:5, 3:5] = 7  # the other half
PRED_INSTANCES[1:5, 6:12] = 2  # objects 2 and 3 merged (IoU 0.5 with each: no match)
PRED_INSTANCES[6:8, 0:3] = 9  # nothing there
GOOD_TRUE = TRUE_INSTANCES.copy()
GOOD_TRUE[6:8, 5:10] = 4
GOOD_PRED = PRED_INSTANCES.copy()
GOOD_PRED[6:8, 5:9] = 5  # IoU 0.8 with true 4

# Two good matches far apart in id order (true 1 ↔ predicted 7, true 2 ↔ predicted 5), and a
# scene where both maps are empty (PQ 1 by convention: nothing to find, nothing found).
ORDER_TRUE = np.zeros((6, 12), np.int64)
ORDER_TRUE[1:5, 1:5], ORDER_TRUE[1:5, 7:11] = 1, 2
ORDER_PRED = np.zeros((6, 12), np.int64)
ORDER_PRED[1:5, 7:10], ORDER_PRED[1:5, 1:5], ORDER_PRED[5:6, 0:2] = 5, 7, 6
EMPTY = np.zeros((4, 4), np.int64)

pq = new("masks.pq", 2, "`match_instances` pairs instances one-to-one by IoU > 0.5, `panoptic_quality` scores them")


@pq.probe
def _(match_instances, panoptic_quality):
    out = {}
    cases = {"a": (TRUE_INSTANCES, PRED_INSTANCES), "b": (GOOD_TRUE, GOOD_PRED), "c": (ORDER_TRUE, ORDER_PRED)}
    for key, (t, p) in {**cases, "empty": (EMPTY, EMPTY)}.items():
        matched = match_instances(t.copy(), p.copy())
        if not isinstance(matched, tuple | list) or len(matched) != 3:
            raise Fail("`match_instances` should return three things: `(pairs, false_positives, false_negatives)`.")
        pairs, fp, fn = matched
        out[f"{key}_pairs"] = np.asarray([(int(a), int(b)) for a, b, *_ in pairs], np.int64).reshape(-1, 2)
        out[f"{key}_fp"], out[f"{key}_fn"] = int(fp), int(fn)
        out[f"{key}_pq"] = panoptic_quality(t.copy(), p.copy())
    return out


@pq.verify
def _(r):
    for key, (t, p), what in (
        ("a", (TRUE_INSTANCES, PRED_INSTANCES), "a split, a merge and an extra instance"),
        ("b", (GOOD_TRUE, GOOD_PRED), "the same plus one good match"),
        ("c", (ORDER_TRUE, ORDER_PRED), "two good matches and an extra instance"),
        ("empty", (EMPTY, EMPTY), "two empty maps"),
    ):
        pairs, fp, fn = ref_match_instances(t, p)
        got = sorted(map(tuple, np.asarray(r[f"{key}_pairs"]).tolist()))
        if got != sorted((a, b) for a, b, _ in pairs):
            _, _, m = _iou_matrix(t, p)
            hint = (
                " A pair counts only if its IoU is > 0.5 (a half, or a merge of two, is exactly 0.5: no match)."
                if len(got) > len(pairs)
                else ""
            )
            raise Fail(
                f"`match_instances` on {what} paired (true, predicted) {got}, "
                f"expected {sorted((a, b) for a, b, _ in pairs)}.{hint}"
            )
        got_fp, got_fn = r[f"{key}_fp"], r[f"{key}_fn"]
        if (got_fp, got_fn) != (fp, fn):
            raise Fail(
                f"`match_instances` on {what} counted {got_fp} false positives and {got_fn} false "
                f"negatives, expected {fp} and {fn}: every unpaired prediction is a false positive, every unpaired "
                "true instance a false negative."
            )
        got_pq, expected = float(np.asarray(r[f"{key}_pq"])), ref_panoptic_quality(t, p)
        tp_only = sum(i for *_, i in pairs) / len(pairs) if pairs else 0.0
        hint = (
            "You averaged the IoU of the matched pairs only (that is the segmentation quality SQ): "
            "PQ divides by |TP| + |FP|/2 + |FN|/2."
            if pairs and abs(got_pq - tp_only) < 1e-6 and abs(tp_only - expected) > 1e-6
            else "PQ = Σ IoU over matched pairs / (|TP| + |FP|/2 + |FN|/2)."
        )
        expect.close(got_pq, expected, f"`panoptic_quality` on {what}", hint, rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------- touching objects

INTERIOR, BOUNDARY = 1, 2


def _neighbours_differ(labels, diagonal=False):
    """True where a pixel has a 4-neighbour (8 with ``diagonal``) of another label; the image's
    edge counts as background."""
    padded = np.pad(labels, 1)
    differ = np.zeros(labels.shape, bool)
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)] + ([(-1, -1), (-1, 1), (1, -1), (1, 1)] if diagonal else [])
    h, w = labels.shape
    for dy, dx in steps:
        differ |= padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] != labels
    return differ


def ref_boundary_targets(instance_mask):
    instance_mask = np.asarray(instance_mask)
    out = np.where(instance_mask > 0, INTERIOR, 0)
    out[(instance_mask > 0) & _neighbours_differ(instance_mask)] = BOUNDARY
    return out


def _boundary_mistakes(instance_mask):
    inside = instance_mask > 0
    against_background = np.where(inside, INTERIOR, 0)
    against_background[inside & _neighbours_differ(inside.astype(np.int64))] = BOUNDARY
    thick = np.where(inside, INTERIOR, 0)
    thick[inside & _neighbours_differ(instance_mask, diagonal=True)] = BOUNDARY
    outside = ref_boundary_targets(instance_mask)
    outside[~inside & _neighbours_differ(instance_mask)] = BOUNDARY
    return (
        (
            against_background,
            "Only the pixels next to the background are boundary: a pixel next to *another object* is "
            "boundary too, or two touching objects stay one blob. Compare each pixel's instance number "
            "with its neighbours'.",
        ),
        (thick, "Diagonal neighbours made the boundary thicker: compare with the 4 neighbours only."),
        (outside, "Background pixels were marked as boundary: only pixels of an object can be its boundary."),
    )


# A disc (instance 1) touching a square (2), and a square apart (3) on the image's edge.
TOUCHING = np.zeros((10, 16), np.int64)
TOUCHING[(np.mgrid[:10, :16][0] - 4) ** 2 + (np.mgrid[:10, :16][1] - 4) ** 2 <= 9] = 1
TOUCHING[2:7, 8:11] = 2
TOUCHING[0:4, 13:16] = 3

boundary = new("masks.boundary", 1, "`boundary_targets`: an object's pixels next to another label are its boundary")


@boundary.probe
def _(boundary_targets):
    got = boundary_targets(TOUCHING.copy())
    returned(got, "`boundary_targets`")
    return {"targets": got}


@boundary.verify
def _(r):
    got = np.asarray(r["targets"])
    expected = ref_boundary_targets(TOUCHING)
    expect.shape(got, expected.shape, "`boundary_targets`'s map")
    if np.array_equal(got, expected):
        return
    hint = next((h for m, h in _boundary_mistakes(TOUCHING) if np.array_equal(got, m)), "")
    off = int(np.sum(got != expected))
    raise Fail(
        f"`boundary_targets` of two touching objects and one apart gets {off} pixels wrong "
        f"(0 background, 1 interior, 2 boundary). {hint}".strip()
    )
