"""The data of assignment 07's checks, generated from a seed (shared: copied into graded kernels).

* *digit lines* — three to six of scikit-learn's 8×8 digits side by side on an 8×64 strip, with
  random gaps of 0–2 columns and a random start, like a line of a form read by OCR; the label is
  the string of digits, encoded for CTC as classes 1 + d (0 is CTC's blank) and padded with 0.
  Training lines use the training digits of assignment 05's split, test lines its test digits.
* *captioned scenes* — one or two coloured shapes (a disc or a bar, red, green or blue) on a
  black 32×32 picture, with the caption a template writes from what is drawn: "a red disc on the
  left" for one shape, "a red disc and a blue bar" (left to right) for two. Every caption has
  a Persian twin from the same template, for the Persian edition's pictures.
"""

from __future__ import annotations

import numpy as np

LINE_HEIGHT, LINE_WIDTH, MAX_DIGITS = 8, 64, 6
BLANK, NUM_CLASSES = 0, 11  # CTC's classes: 0 the blank, 1 + d the digit d

SCENE = 32
PAD, START, END = 0, 1, 2
WORDS = ("a", "red", "green", "blue", "disc", "bar", "on", "the", "left", "right", "and")
VOCAB = ("<pad>", "<start>", "<end>", *WORDS)  # token id = index
TOKEN = {word: i for i, word in enumerate(VOCAB)}
MAX_CAPTION = 7  # words in the longest caption, "a red disc and a blue bar"
COLOURS = {"red": (1.0, 0.15, 0.1), "green": (0.1, 0.85, 0.2), "blue": (0.2, 0.35, 1.0)}
SHAPES = ("disc", "bar")
PERSIAN = {
    "red": "قرمز",
    "green": "سبز",
    "blue": "آبی",
    "disc": "دایره",
    "bar": "میله",
    "left": "چپ",
    "right": "راست",
}


def digit_lines(n: int, seed: int = 0, split: str = "train"):
    """``n`` seeded lines of 3–6 digits: ``(images, labels)``.

    Args:
        n: how many lines.
        seed: the generator's seed (the same seed gives the same lines).
        split: ``"train"`` or ``"test"``: which digits of assignment 05's split are drawn.

    Returns:
        images: float32 array (n, 8, 64), pixels in [0, 1];
        labels: int32 array (n, 6): the digits' classes 1 + d, left to right, padded with 0.
    """
    from ..vision._shared import _digit_images

    digits, digit_labels = _digit_images()[split]
    rng = np.random.default_rng(seed)
    images = np.zeros((n, LINE_HEIGHT, LINE_WIDTH), np.float32)
    labels = np.zeros((n, MAX_DIGITS), np.int32)
    for i in range(n):
        count = int(rng.integers(3, MAX_DIGITS + 1))
        picks = rng.integers(0, len(digits), count)
        gaps = rng.integers(0, 3, count)
        gaps[0] = 0
        left = int(rng.integers(0, LINE_WIDTH - (8 * count + gaps.sum()) + 1))
        for j, (pick, gap) in enumerate(zip(picks, gaps)):
            left += int(gap)
            images[i, :, left : left + 8] = digits[pick]
            labels[i, j] = digit_labels[pick] + 1
            left += 8
    return images, labels


def line_text(label) -> str:
    """A padded CTC label row as the string of its digits: ``[3, 1, 10, 0, 0, 0]`` → ``"209"``."""
    return "".join(str(int(c) - 1) for c in np.asarray(label).ravel() if c != BLANK)


def _ezafe(shape: str) -> str:
    """The Persian noun before its adjective: a final ه takes the written ezafe (دایرهٔ), others none."""
    word = PERSIAN[shape]
    return word + "\u0654" if word.endswith("ه") else word


_ROWS, _COLS = np.mgrid[0:SCENE, 0:SCENE] + 0.5  # the pixels' centres, made once (grading draws 1,024 scenes)


def _draw(image, shape, colour, centre, radius):
    rows, cols = _ROWS, _COLS
    if shape == "disc":
        inside = (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2
    else:  # a bar: twice as wide as a disc's radius is, half as tall
        inside = (np.abs(rows - centre[0]) <= radius / 2) & (np.abs(cols - centre[1]) <= radius)
    image[inside] = COLOURS[colour]


def captioned_scenes(n: int, seed: int = 0):
    """``n`` seeded scenes of one or two coloured shapes and their captions.

    Args:
        n: how many scenes.
        seed: the generator's seed.

    Returns:
        images: float32 array (n, 32, 32, 3);
        captions: a list of n lists of word ids (no ``<start>``/``<end>``), e.g. the ids of
            "a red disc on the left";
        persian: the n captions in Persian (strings), written by the same template.
    """
    rng = np.random.default_rng(seed)
    images = np.zeros((n, SCENE, SCENE, 3), np.float32)
    captions, persian = [], []
    for i in range(n):
        count = int(rng.integers(1, 3))
        shapes = [SHAPES[int(rng.integers(2))] for _ in range(count)]
        colours = [list(COLOURS)[int(rng.integers(3))] for _ in range(count)]
        radius = rng.uniform(4.0, 6.0, count)
        row = rng.uniform(7, SCENE - 7, count)
        if count == 1:
            side = "left" if rng.integers(2) == 0 else "right"
            col = rng.uniform(7, 11) if side == "left" else rng.uniform(SCENE - 11, SCENE - 7)
            _draw(images[i], shapes[0], colours[0], (row[0], col), radius[0])
            words = ["a", colours[0], shapes[0], "on", "the", side]
            fa = f"یک {_ezafe(shapes[0])} {PERSIAN[colours[0]]} در سمت {PERSIAN[side]}"
        else:
            for k, col in enumerate((rng.uniform(7, 9), rng.uniform(SCENE - 9, SCENE - 7))):
                _draw(images[i], shapes[k], colours[k], (row[k], col), radius[k])
            words = ["a", colours[0], shapes[0], "and", "a", colours[1], shapes[1]]
            fa = f"یک {_ezafe(shapes[0])} {PERSIAN[colours[0]]} و یک {_ezafe(shapes[1])} {PERSIAN[colours[1]]}"
        captions.append([TOKEN[w] for w in words])
        persian.append(fa)
    return images, captions, persian


def caption_text(tokens) -> str:
    """Word ids as words, stopping at ``<end>`` and skipping ``<pad>``/``<start>``."""
    words = []
    for t in np.asarray(tokens).ravel():
        if t == END:
            break
        if t not in (PAD, START):
            words.append(VOCAB[int(t)])
    return " ".join(words)
