"""The data of assignment 06's checks, generated from a seed (shared: copied into graded kernels).

Two kinds of picture, both drawn here from a seed so nothing is downloaded:

* *digit canvases* — scikit-learn's 8×8 digits pasted on a dark square canvas at scale 1 or 2,
  one to three of them, never overlapping and never two centres in one cell of the detector's
  grid; each digit's box is the tight box of its ink, ``(x1, y1, x2, y2)`` in pixel-edge
  coordinates (a box of one pixel at column 3, row 5 is ``(3, 5, 4, 6)``), its label the digit.
  Training canvases use the training digits of assignment 05's split, test canvases its test
  digits.
* *shape scenes* — discs and squares on a dark square, some of them touching (a disc placed
  right against another object), with a class mask (0 background, 1 disc, 2 square) and an
  instance mask (0 background, 1, 2, … one number per object).
"""

from __future__ import annotations

import functools

import numpy as np

CANVAS, GRID = 32, 4  # a 32×32 canvas; the detector's 4×4 grid of 8×8-pixel cells
NUM_DIGITS = 10
SCENE = 32
BACKGROUND, DISC, SQUARE = 0, 1, 2


@functools.lru_cache(maxsize=1)
def _digit_images():
    from ..feedforward._shared import digits_split

    (x_train, y_train), (x_test, y_test) = digits_split()
    return {"train": (x_train, y_train), "test": (x_test, y_test)}


def _ink_extent(patch):
    """The tight box of a patch's ink in its own coordinates, ``(x1, y1, x2, y2)``."""
    rows, cols = np.nonzero(patch > 0)
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def digit_canvases(n: int, seed: int = 0, split: str = "train"):
    """``n`` seeded canvases of 1–3 digits: ``(images, boxes, labels)``.

    Args:
        n: how many canvases.
        seed: the generator's seed (the same seed gives the same canvases).
        split: ``"train"`` or ``"test"``: which digits of assignment 05's split are pasted.

    Returns:
        images: float32 array (n, 32, 32) with pixels in [0, 1];
        boxes: a list of n float32 arrays (k, 4), each row ``(x1, y1, x2, y2)``;
        labels: a list of n int64 arrays (k,), the digits.
    """
    digits, digit_labels = _digit_images()[split]
    rng = np.random.default_rng(seed)
    cell = CANVAS // GRID
    images = np.zeros((n, CANVAS, CANVAS), np.float32)
    boxes, labels = [], []
    for i in range(n):
        taken = np.zeros((CANVAS, CANVAS), bool)
        cells, these_boxes, these_labels = set(), [], []
        for _ in range(int(rng.integers(1, 4))):
            pick = int(rng.integers(len(digits)))
            patch = np.kron(digits[pick], np.ones((2, 2), np.float32)) if rng.random() < 0.5 else digits[pick]
            size = patch.shape[0]
            x1, y1, x2, y2 = _ink_extent(patch)  # once per digit, not per placement tried
            for _attempt in range(20):
                top, left = (int(v) for v in rng.integers(0, CANVAS - size + 1, size=2))
                box = (left + x1, top + y1, left + x2, top + y2)
                centre_cell = (int((box[1] + box[3]) / 2 // cell), int((box[0] + box[2]) / 2 // cell))
                if not taken[top : top + size, left : left + size].any() and centre_cell not in cells:
                    images[i, top : top + size, left : left + size] = patch
                    taken[top : top + size, left : left + size] = True
                    cells.add(centre_cell)
                    these_boxes.append(box)
                    these_labels.append(int(digit_labels[pick]))
                    break
        boxes.append(np.asarray(these_boxes, np.float32).reshape(-1, 4))
        labels.append(np.asarray(these_labels, np.int64))
    return images, boxes, labels


_ROWS, _COLUMNS = np.mgrid[:SCENE, :SCENE]  # drawn once: a scene's shapes are masks over this grid


def _disc(cy, cx, r):
    return (_ROWS - cy) ** 2 + (_COLUMNS - cx) ** 2 <= r**2


def _square(cy, cx, r):
    return (np.abs(_ROWS - cy) <= r) & (np.abs(_COLUMNS - cx) <= r)


def shape_scenes(n: int, seed: int = 0):
    """``n`` seeded scenes of 2–4 discs and squares: ``(images, class_masks, instance_masks)``.

    About half the scenes hold a disc placed right against another object (touching: their masks
    are 4-neighbours somewhere, never overlapping).

    Args:
        n: how many scenes.
        seed: the generator's seed.

    Returns:
        images: float32 (n, 32, 32): each object a uniform grey level in [0.5, 1] with noise;
        class_masks: int64 (n, 32, 32), 0 background, 1 disc, 2 square;
        instance_masks: int64 (n, 32, 32), 0 background, 1..k the objects.
    """
    rng = np.random.default_rng(seed)
    images = np.zeros((n, SCENE, SCENE), np.float32)
    classes = np.zeros((n, SCENE, SCENE), np.int64)
    instances = np.zeros((n, SCENE, SCENE), np.int64)
    for i in range(n):
        k = 0
        for j in range(int(rng.integers(2, 5))):
            kind = DISC if rng.random() < 0.5 else SQUARE
            r = int(rng.integers(3, 7))
            for _attempt in range(30):
                if j > 0 and rng.random() < 0.5:  # touch an object already there
                    ys, xs = np.nonzero(instances[i])
                    at = int(rng.integers(len(ys)))
                    angle = rng.uniform(0, 2 * np.pi)
                    dist = r + 1 + rng.integers(1, 4)
                    cy, cx = int(round(ys[at] + dist * np.sin(angle))), int(round(xs[at] + dist * np.cos(angle)))
                else:
                    cy, cx = (int(v) for v in rng.integers(r, SCENE - r, size=2))
                if not (r <= cy < SCENE - r and r <= cx < SCENE - r):
                    continue
                mask = (_disc if kind == DISC else _square)(cy, cx, r)
                if not (instances[i][mask] > 0).any():
                    k += 1
                    instances[i][mask] = k
                    classes[i][mask] = kind
                    images[i][mask] = rng.uniform(0.5, 1.0)
                    break
    images += rng.normal(0, 0.05, images.shape).astype(np.float32)
    return np.clip(images, 0, 1), classes, instances
