"""``nms.*``: greedy non-maximum suppression.

Visit the boxes from the highest score down (equal scores: the lower index first); keep a box
unless a box already *kept* overlaps it with IoU > the threshold. With ``classes``, a box is
suppressed only by kept boxes of its own class. The result is the kept indices, highest score
first.
"""

from __future__ import annotations

import numpy as np

from .._core import Fail, new, returned
from .iou import ref_iou


def ref_nms(boxes, scores, iou_threshold=0.5, classes=None, *, order="score", chained=False):
    """The reference NMS; ``order`` ("index", "reversed") and ``chained`` turn on known mistakes."""
    boxes, scores = np.asarray(boxes, np.float64).reshape(-1, 4), np.asarray(scores, np.float64)
    classes = np.zeros(len(scores), np.int64) if classes is None else np.asarray(classes)
    overlaps = ref_iou(boxes, boxes)
    visit = {
        "score": lambda: np.argsort(-scores, kind="stable"),
        "index": lambda: np.arange(len(scores)),
        "reversed": lambda: np.argsort(scores, kind="stable")[::-1],  # np.argsort(scores)[::-1]
    }[order]()
    kept, visited = [], []
    for i in visit:
        if all(classes[j] != classes[i] or overlaps[i, j] <= iou_threshold for j in (visited if chained else kept)):
            kept.append(int(i))
        visited.append(int(i))
    return np.asarray(kept, np.int64)


def _at_least(boxes, scores, iou_threshold=0.5, classes=None):  # IoU ≥ threshold suppresses
    return ref_nms(boxes, scores, iou_threshold - 1e-9, classes)


USES_IOU = "`nms` compares boxes with your `iou`: if a check of `iou` fails, fix `iou` first."

MISTAKES = (
    (
        lambda *a: sorted(ref_nms(*a).tolist()),
        "The kept boxes are right but in index order: return them highest score first.",
    ),
    (
        lambda *a: ref_nms(*a, order="index"),
        "You visited the boxes in index order: greedy NMS starts from the highest score "
        "(`np.argsort(-scores)`), so the best box of each cluster survives.",
    ),
    (
        lambda *a: ref_nms(*a, chained=True),
        "A box you had already suppressed went on suppressing others: compare each box only with the boxes you *kept*.",
    ),
    (
        lambda *a: ref_nms(*a, order="reversed"),
        "Of two boxes with equal scores you kept the higher index: `np.argsort(scores)[::-1]` reverses "
        'ties; sort by `-scores` with `kind="stable"` so the lower index comes first.',
    ),
    (
        _at_least,
        "A box whose IoU equals the threshold was suppressed: suppress only when IoU > threshold.",
    ),
    (
        lambda b, s, t=0.5, c=None: ref_nms(b, s, t),
        "You ignored `classes`: a box is suppressed only by a kept box of the same class.",
    ),
)

# A cluster with a chain (0 overlaps 2 overlaps 3, 0 not 3), a pair at IoU exactly 0.5, a pair whose
# lower index has the lower score, and a tie.
GREEDY_BOXES = np.array(
    [
        [0, 0, 10, 10],  # 0: the cluster's best
        [20, 20, 30, 30],  # 1: alone
        [3, 0, 13, 10],  # 2: IoU(0, 2) = 0.538 → suppressed by 0
        [6, 0, 16, 10],  # 3: IoU(0, 3) = 0.25, IoU(2, 3) = 0.538 → kept (2 was suppressed)
        [40, 0, 44, 1],  # 4
        [40, 0, 42, 1],  # 5: IoU(4, 5) = 0.5 exactly → kept
        [60, 0, 64, 4],  # 6: IoU(6, 7) = 0.8, lower score → suppressed by 7
        [60, 0, 64, 5],  # 7
        [80, 0, 84, 4],  # 8: ties with 9 on score; the lower index wins
        [80, 0, 84, 5],  # 9: suppressed by 8
    ],
    np.float64,
)
GREEDY_SCORES = np.array([0.9, 0.5, 0.6, 0.3, 0.8, 0.7, 0.4, 0.45, 0.35, 0.35])
GREEDY_THRESHOLD = 0.5

greedy = new("nms.greedy", 1, "`nms(boxes, scores, iou_threshold)`: the greedy kept set, highest score first")


def _kept(nms, *args):
    kept = nms(*(a.copy() if isinstance(a, np.ndarray) else a for a in args))
    returned(kept, "`nms`")
    return np.asarray(kept).reshape(-1)


@greedy.probe
def _(nms):
    return {"kept": _kept(nms, GREEDY_BOXES, GREEDY_SCORES, GREEDY_THRESHOLD)}


def _verify_kept(got, args, what):
    expected = ref_nms(*args)
    got = np.asarray(got)
    if got.dtype == bool:
        raise Fail(f"`nms` on {what} returned a boolean mask: return the kept *indices*, highest score first.")
    if got.dtype.kind not in "iu":
        if got.size and not np.all(np.mod(got, 1) == 0):
            raise Fail(f"`nms` on {what} returned {got.tolist()}: return integer indices into `boxes`.")
        got = got.astype(np.int64)
    if got.tolist() == expected.tolist():
        return
    hint = next((h for m, h in MISTAKES if list(np.asarray(m(*args)).tolist()) == got.tolist()), USES_IOU)
    raise Fail(f"`nms` on {what} kept {got.tolist()}, expected {expected.tolist()}. {hint}".strip())


@greedy.verify
def _(r):
    _verify_kept(r["kept"], (GREEDY_BOXES, GREEDY_SCORES, GREEDY_THRESHOLD), "the ten boxes of the check")


CLASS_BOXES = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [0, 1, 10, 11], [30, 30, 40, 40]], np.float64)
CLASS_SCORES = np.array([0.9, 0.8, 0.7, 0.6])
CLASS_LABELS = np.array([3, 5, 3, 5])

per_class = new("nms.per_class", 1, "`nms(..., classes=…)` suppresses only within a class")


@per_class.probe
def _(nms):
    return {
        "kept": _kept(nms, CLASS_BOXES, CLASS_SCORES, 0.5, CLASS_LABELS),
        "none": _kept(nms, CLASS_BOXES, CLASS_SCORES, 0.5, None),
    }


@per_class.verify
def _(r):
    _verify_kept(r["none"], (CLASS_BOXES, CLASS_SCORES, 0.5, None), "four boxes with `classes=None`")
    _verify_kept(r["kept"], (CLASS_BOXES, CLASS_SCORES, 0.5, CLASS_LABELS), "four boxes of classes [3, 5, 3, 5]")


def _hidden_case():
    rng = np.random.default_rng(62)
    centres = rng.uniform(0, 40, size=(30, 2))
    sizes = rng.uniform(4, 12, size=(30, 2))
    boxes = np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1)
    return boxes, np.round(rng.permutation(30) / 30 + 0.01, 1), rng.integers(0, 3, size=30)  # many ties


HIDDEN_BOXES, HIDDEN_SCORES, HIDDEN_CLASSES = _hidden_case()

hidden = new("nms.hidden", 1, "`nms` on thirty crowded boxes of three classes", hidden=True)


@hidden.probe
def _(nms):
    return {"kept": _kept(nms, HIDDEN_BOXES, HIDDEN_SCORES, 0.4, HIDDEN_CLASSES)}


@hidden.verify
def _(r):
    got, expected = (
        np.asarray(r["kept"]).astype(np.int64).tolist(),
        ref_nms(HIDDEN_BOXES, HIDDEN_SCORES, 0.4, HIDDEN_CLASSES),
    )
    if got != expected.tolist():
        raise Fail(
            f"`nms` on thirty crowded boxes kept {len(got)} boxes, expected {len(expected)} (or another set or order)."
        )
