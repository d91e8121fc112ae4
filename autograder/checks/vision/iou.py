"""``iou.*``: intersection over union of axis-aligned boxes, every box against every box.

Boxes are ``(x1, y1, x2, y2)`` in pixel-edge coordinates (x2 > x1, y2 > y1), so a box's area is
``(x2 − x1)(y2 − y1)`` with no "+ 1" (that is the inclusive-pixel convention of the old PASCAL
VOC code), and ``IoU(A, B) = |A ∩ B| / (|A| + |B| − |A ∩ B|)``.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, returned


def ref_iou(boxes_a, boxes_b, *, plus_one=0.0, clamp=True, union="union"):
    """The reference IoU matrix; each keyword argument turns on one known mistake (``MISTAKES``)."""
    a, b = np.asarray(boxes_a, np.float64).reshape(-1, 4), np.asarray(boxes_b, np.float64).reshape(-1, 4)
    width = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]) + plus_one
    height = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]) + plus_one
    if clamp:
        width, height = np.clip(width, 0, None), np.clip(height, 0, None)
    inter = width * height
    area_a = ((a[:, 2] - a[:, 0] + plus_one) * (a[:, 3] - a[:, 1] + plus_one))[:, None]
    area_b = ((b[:, 2] - b[:, 0] + plus_one) * (b[:, 3] - b[:, 1] + plus_one))[None, :]
    divisor = {
        "union": area_a + area_b - inter,
        "sum": area_a + area_b,
        "smaller": np.minimum(area_a, area_b),
        "none": np.ones_like(inter),
    }[union]
    return inter / divisor


MISTAKES = (
    (
        lambda a, b: ref_iou(a, b, plus_one=1.0),
        "You added 1 to widths and heights (the inclusive-pixel convention of the old VOC code): "
        "here boxes are pixel-edge coordinates, so a box's width is x2 − x1.",
    ),
    (
        lambda a, b: ref_iou(a, b, clamp=False),
        "You did not clamp the overlap's width and height at 0: for boxes apart in both x and y "
        "the two negative extents multiply to a positive 'intersection'. Use max(0, ·) on each.",
    ),
    (
        lambda a, b: ref_iou(a, b, union="sum"),
        "The union counts the intersection twice: |A ∪ B| = |A| + |B| − |A ∩ B|.",
    ),
    (
        lambda a, b: ref_iou(a, b, union="smaller"),
        "You divided by the smaller box's area (intersection over minimum), not by the union.",
    ),
    (
        lambda a, b: ref_iou(a, b, union="none"),
        "You returned the intersection's area: divide it by the union's.",
    ),
)

PAIR_CASES = (
    ("disjoint boxes", (0, 0, 2, 2), (5, 5, 8, 9)),
    ("boxes apart in both x and y", (0, 0, 2, 2), (3, 4, 6, 7)),
    ("boxes that share only an edge", (0, 0, 2, 3), (2, 0, 5, 3)),
    ("boxes that share only a corner", (0, 0, 2, 2), (2, 2, 4, 4)),
    ("a box inside another", (1, 1, 3, 3), (0, 0, 4, 4)),
    ("identical boxes", (2, 3, 7, 5), (2, 3, 7, 5)),
    ("partly overlapping boxes", (0, 0, 4, 2), (2, 1, 6, 5)),
)

pairs = new("iou.pairs", 1, "`iou` of one box against one box: disjoint, touching, nested, identical, overlapping")


def _matrix(iou, a, b, what):
    value = iou(np.asarray(a, np.float32).reshape(-1, 4), np.asarray(b, np.float32).reshape(-1, 4))
    returned(value, f"`iou` on {what}")
    return value


@pairs.probe
def _(iou):
    return {f"case{i}": _matrix(iou, a, b, "one box, one box") for i, (_, a, b) in enumerate(PAIR_CASES)}


def _verify_values(got, a, b, what):
    expected = ref_iou(a, b)
    got = np.asarray(got, np.float64)
    if got.shape != expected.shape and got.size == expected.size:
        raise Fail(
            f"`iou` of {what} has shape {got.shape}, expected {expected.shape}: one row per box of the "
            "first argument, one column per box of the second."
        )
    hint = expect.diagnose(got, MISTAKES, a, b)
    expect.close(got, expected, f"`iou` of {what}", hint or "Check the intersection's corners and the union.")


@pairs.verify
def _(r):
    for i, (name, a, b) in enumerate(PAIR_CASES):
        _verify_values(r[f"case{i}"], a, b, f"{name} {a}, {b}")


MATRIX_A = np.array([[0, 0, 4, 4], [2, 2, 6, 6], [10, 0, 12, 3]], np.float64)
MATRIX_B = np.array([[1, 1, 3, 3], [0, 0, 4, 4], [5, 5, 9, 9], [11, 1, 15, 2]], np.float64)

matrix = new(
    "iou.matrix", 1, "`iou(boxes_a, boxes_b)` is the (N, M) matrix of every pair, without a Python loop over pairs"
)


@matrix.probe
def _(iou):
    return {
        "nm": _matrix(iou, MATRIX_A, MATRIX_B, "3 boxes, 4 boxes"),
        "mn": _matrix(iou, MATRIX_B, MATRIX_A, "4 boxes, 3 boxes"),
        "empty": _matrix(iou, np.zeros((0, 4)), MATRIX_A, "0 boxes, 3 boxes"),
    }


@matrix.verify
def _(r):
    for key, a, b, what in (
        ("nm", MATRIX_A, MATRIX_B, "3 boxes against 4"),
        ("mn", MATRIX_B, MATRIX_A, "4 boxes against 3"),
    ):
        got = np.asarray(r[key], np.float64)
        if got.shape != (len(a), len(b)):
            raise Fail(
                f"`iou` of {what} has shape {got.shape}, expected {(len(a), len(b))}: compare every box of "
                "the first argument with every box of the second (broadcast `a[:, None]` against `b[None, :]`)."
            )
        _verify_values(got, a, b, what)
    empty = np.asarray(r["empty"])
    if empty.shape != (0, 3):
        raise Fail(
            f"`iou` of no boxes against 3 has shape {empty.shape}, expected (0, 3): an empty matrix, not an error."
        )


def _hidden_boxes(seed, n):
    rng = np.random.default_rng(seed)
    corner = rng.uniform(0, 20, size=(n, 2))
    size = rng.uniform(0.5, 10, size=(n, 2))
    return np.concatenate([corner, corner + size], axis=1)


HIDDEN_A, HIDDEN_B = _hidden_boxes(60, 12), _hidden_boxes(61, 9)

hidden = new("iou.hidden", 1, "`iou` on many boxes with fractional coordinates", hidden=True)


@hidden.probe
def _(iou):
    return {"m": _matrix(iou, HIDDEN_A, HIDDEN_B, "12 boxes, 9 boxes")}


@hidden.verify
def _(r):
    got = np.asarray(r["m"], np.float64)
    expect.shape(got, (12, 9), "`iou` of 12 boxes against 9")
    expect.close(got, ref_iou(HIDDEN_A, HIDDEN_B), "`iou` of boxes with fractional corners", rtol=1e-4, atol=1e-5)
