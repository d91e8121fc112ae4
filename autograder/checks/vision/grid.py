"""``grid.*``: a one-stage detector's targets on an S×S grid (YOLO v1's encoding, one box per cell).

For a box with centre (cx, cy), width w and height h on an image of side L cut into S×S cells of
side c = L/S, the cell responsible is row ⌊cy/c⌋, column ⌊cx/c⌋, and its vector of 5 + K numbers is

    [1, cx/c − column, cy/c − row, w/L, h/L, one-hot(label) over K classes]

(every other cell is all zeros). Decoding inverts it for every cell whose objectness is > the
threshold; the box's score is objectness × the largest class probability.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, returned


def ref_encode_boxes(boxes, labels, grid_size=4, image_size=32, num_classes=10):
    target = np.zeros((grid_size, grid_size, 5 + num_classes), np.float64)
    cell = image_size / grid_size
    for (x1, y1, x2, y2), label in zip(np.asarray(boxes, np.float64).reshape(-1, 4), np.asarray(labels)):
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        row, col = int(cy // cell), int(cx // cell)
        target[row, col, :5] = (1, cx / cell - col, cy / cell - row, (x2 - x1) / image_size, (y2 - y1) / image_size)
        target[row, col, 5 + int(label)] = 1
    return target


def ref_decode_grid(grid, image_size=32, threshold=0.5):
    grid = np.asarray(grid, np.float64)
    size = grid.shape[0]
    cell = image_size / size
    rows, cols = np.nonzero(grid[..., 0] > threshold)
    v = grid[rows, cols]
    cx, cy = (cols + v[:, 1]) * cell, (rows + v[:, 2]) * cell
    w, h = v[:, 3] * image_size, v[:, 4] * image_size
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1).reshape(-1, 4)
    classes = np.argmax(v[:, 5:], axis=-1) if len(v) else np.zeros(0, np.int64)
    scores = v[:, 0] * (np.max(v[:, 5:], axis=-1) if len(v) else 0)
    return boxes, scores, classes


ENCODE_CASES = (  # (boxes, labels): a wide box, a tall one, one on a cell border, two in one image
    (np.array([[2, 17, 14, 23]]), np.array([7])),  # centre (8, 20): row 2, column 1 (x and y differ)
    (np.array([[25, 1, 29, 15]]), np.array([0])),  # centre (27, 8): row 1 (on the border), column 3
    (np.array([[0, 0, 16, 16], [20, 24, 28, 32]]), np.array([3, 9])),
)


def _encode_mistakes(boxes, labels):
    out = []
    ref = ref_encode_boxes(boxes, labels)
    out.append(
        (
            np.transpose(ref, (1, 0, 2)),
            "Rows and columns are swapped: the responsible cell is `[row, column] = [⌊cy/c⌋, ⌊cx/c⌋]` "
            "(y picks the row).",
        )
    )
    wrong = ref.copy()
    on = wrong[..., 0] > 0
    rows, cols = np.nonzero(on)
    wrong[rows, cols, 1] += cols
    wrong[rows, cols, 2] += rows
    out.append((wrong, "The centre is in cells from the image's corner (cx/c): subtract the cell's column and row."))
    wrong = ref.copy()
    wrong[rows, cols, 1] = (wrong[rows, cols, 1] + cols) / 4
    wrong[rows, cols, 2] = (wrong[rows, cols, 2] + rows) / 4
    out.append(
        (wrong, "The centre is a fraction of the image (cx/L): it is the offset inside its cell, cx/c − column.")
    )
    wrong = ref.copy()
    wrong[rows, cols, 3:5] *= 4
    out.append((wrong, "Width and height are in cells (w/c): the encoding divides them by the image side L."))
    wrong = ref.copy()
    wrong[rows, cols, 3:5] = np.sqrt(wrong[rows, cols, 3:5])
    out.append((wrong, "You took √w and √h (as YOLO v1's loss does): the encoding here is w/L and h/L."))
    return out


encode = new(
    "grid.encode", 1, "`encode_boxes`: each box in the cell of its centre, as [1, offsets, size, one-hot class]"
)


@encode.probe
def _(encode_boxes):
    out = {}
    for i, (boxes, labels) in enumerate(ENCODE_CASES):
        value = encode_boxes(boxes.astype(np.float32), labels.copy(), grid_size=4, image_size=32, num_classes=10)
        returned(value, "`encode_boxes`")
        out[f"t{i}"] = value
    return out


@encode.verify
def _(r):
    for i, (boxes, labels) in enumerate(ENCODE_CASES):
        got, expected = np.asarray(r[f"t{i}"], np.float64), ref_encode_boxes(boxes, labels)
        what = f"`encode_boxes` of boxes {boxes.tolist()} with labels {labels.tolist()}"
        expect.shape(got, expected.shape, what + " (grid_size=4, num_classes=10: (S, S, 5 + K))")
        hint = expect.diagnose(got, _encode_mistakes(boxes, labels))
        expect.close(got, expected, what, hint or "Compare each cell's five numbers with the formula above.")


DECODE_GRID = np.zeros((4, 4, 15))
DECODE_GRID[2, 1, :5] = (0.9, 0.5, 0.5, 0.375, 0.1875)  # the box (6, 17, 18, 23), class 7, score 0.72
DECODE_GRID[2, 1, 5 + 7] = 0.8
DECODE_GRID[2, 1, 5 + 1] = 0.2
DECODE_GRID[0, 3, :5] = (0.7, 0.25, 0.75, 0.125, 0.25)
DECODE_GRID[0, 3, 5 + 4] = 0.6
DECODE_GRID[0, 3, 5 + 9] = 0.4
DECODE_GRID[3, 0, 0] = 0.5  # exactly at the threshold: not a detection
DECODE_GRID[3, 0, 5] = 1.0
DECODE_GRID[1, 2, 0] = 0.2  # a faint cell
DECODE_GRID[1, 3, :5] = (0.8, 0.5, 0.25, 0.25, 0.25)  # class 0 is the likeliest: (24, 6, 32, 14), score 0.56
DECODE_GRID[1, 3, 5 + 0] = 0.7
DECODE_GRID[1, 3, 5 + 2] = 0.3
EMPTY_GRID = np.full((4, 4, 15), 0.1)  # no cell above the threshold

decode = new(
    "grid.decode", 1, "`decode_grid`: boxes, scores and classes back from a grid; encode → decode is the identity"
)


@decode.probe
def _(decode_grid):
    out = {}
    grids = {"known": DECODE_GRID, "round": ROUND_TRIP_GRID, "empty": EMPTY_GRID}
    for key, grid in grids.items():
        value = decode_grid(grid.astype(np.float32), image_size=32, threshold=0.5)
        if not isinstance(value, tuple | list) or len(value) != 3:
            raise Fail("`decode_grid` should return three things: `(boxes, scores, classes)`.")
        for name, part in zip(("boxes", "scores", "classes"), value):
            out[f"{key}_{name}"] = part
    return out


# The encoding of the boxes of ENCODE_CASES[2], written out (a probe cannot call the reference):
# (0, 0, 16, 16) class 3 in cell (1, 1), (20, 24, 28, 32) class 9 in cell (3, 3).
ROUND_TRIP_GRID = np.zeros((4, 4, 15))
ROUND_TRIP_GRID[1, 1, :5] = (1, 0.0, 0.0, 0.5, 0.5)
ROUND_TRIP_GRID[1, 1, 5 + 3] = 1
ROUND_TRIP_GRID[3, 3, :5] = (1, 0.0, 0.5, 0.25, 0.25)
ROUND_TRIP_GRID[3, 3, 5 + 9] = 1


def _sorted_by_box(boxes, scores, classes):
    order = np.lexsort(np.asarray(boxes, np.float64).reshape(-1, 4).T[::-1])
    return np.asarray(boxes, np.float64).reshape(-1, 4)[order], np.asarray(scores)[order], np.asarray(classes)[order]


@decode.verify
def _(r):
    shapes = tuple(np.shape(r[f"empty_{name}"]) for name in ("boxes", "scores", "classes"))
    if shapes != ((0, 4), (0,), (0,)):
        raise Fail(
            f"`decode_grid` of a grid with no cell above the threshold returned shapes {list(shapes)}, "
            "expected [(0, 4), (0,), (0,)]: nothing found is empty arrays."
        )
    for key, grid, what in (
        ("known", DECODE_GRID, "the check's 4×4 grid"),
        ("round", ROUND_TRIP_GRID, f"the encoding of boxes {ENCODE_CASES[2][0].tolist()}"),
    ):
        expected = ref_decode_grid(grid)
        got_boxes = (
            np.asarray(r[f"{key}_boxes"], np.float64).reshape(-1, 4) if np.size(r[f"{key}_boxes"]) else np.zeros((0, 4))
        )
        if len(got_boxes) != len(expected[0]):
            hint = ""
            if key == "known" and len(got_boxes) == len(expected[0]) + 1:
                hint = " Keep a cell only if its objectness is > the threshold (the check has one at exactly 0.5)."
            raise Fail(f"`decode_grid` of {what} found {len(got_boxes)} boxes, expected {len(expected[0])}.{hint}")
        got = _sorted_by_box(got_boxes, r[f"{key}_scores"], r[f"{key}_classes"])
        want = _sorted_by_box(*expected)
        swapped = expected[0][:, [1, 0, 3, 2]]
        hint = (
            "x and y are swapped: the column gives x, the row gives y."
            if expect.matches(got[0], _sorted_by_box(swapped, *expected[1:])[0], atol=1e-3)
            else "Box = centre ± size/2, centre = (column + offset_x, row + offset_y) · c, size = (w, h) · L."
        )
        expect.close(got[0], want[0], f"the boxes `decode_grid` finds in {what}", hint, rtol=1e-4, atol=1e-3)
        expect.equal(
            np.asarray(got[2]).astype(np.int64),
            want[2],
            f"the classes `decode_grid` finds in {what}",
            "The class is the argmax of the K class probabilities.",
        )
        expect.close(
            got[1],
            want[1],
            f"the scores `decode_grid` gives in {what}",
            "A box's score is its objectness × its largest class probability.",
            rtol=1e-4,
            atol=1e-5,
        )
