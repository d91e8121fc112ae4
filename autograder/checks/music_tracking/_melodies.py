"""The data of assignment 09's music part (shared: copied into graded kernels as it is).

**Notes as tokens.** A melody is two aligned arrays: MIDI pitches (60 = middle C, 69 = A4 = 440 Hz;
``REST`` = 0 marks a rest) and durations in quarter notes (1 = a quarter, 0.5 an eighth, 1.5 a
dotted quarter). The next-note language model reads one token per note, a (pitch, duration) pair
of a fixed vocabulary:

    pitch slot     0 for a rest, 1 + (pitch − LOWEST) for a pitch in [LOWEST, HIGHEST]  (38 slots)
    duration slot  DURATIONS.index(duration)                                           (8 slots)
    token          NUM_DURATIONS · pitch_slot + duration_slot                          (0 … 303)

**The chorales.** ``load_chorales(path)`` reads ``datasets/bach-chorale-melodies/`` (the soprano
lines of 345 Bach chorales, extracted once from music21's corpus by
``tools/extract_chorale_melodies.py``; see its README). A graded kernel needs no file: the checks
use ``FIXTURE``, the 34 chorales of that file in G major that fit the vocabulary, written
here (``g_major_chorales()``; the last ``FIXTURE_HELD_OUT`` are held out).

**Generated melodies.** ``generated_melodies(n, seed)`` draws melodies from a seed: a walk over the
degrees of a random major or minor scale (mostly steps, some leaps), in rhythms of one beat, with
rests at some phrase ends. The hidden check's inputs come from it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

REST = 0
LOWEST, HIGHEST = 48, 84  # C3 … C6
DURATIONS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
NUM_DURATIONS = len(DURATIONS)
NUM_PITCH_SLOTS = HIGHEST - LOWEST + 2  # a rest and 37 pitches
VOCAB_SIZE = NUM_PITCH_SLOTS * NUM_DURATIONS
MAJOR = (0, 2, 4, 5, 7, 9, 11)  # the scale's pitch classes above its tonic
MINOR = (0, 2, 3, 5, 7, 8, 10)  # natural minor (chorales raise the 7th too: 11)
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
FIXTURE_HELD_OUT = 7


@dataclass(frozen=True)
class Melody:
    """One melody: ``pitches`` (MIDI, ``REST`` = 0) and ``durations`` (quarters), same length."""

    name: str
    tonic: int  # pitch class of the key's tonic, 0 = C … 11 = B
    mode: str  # "major" or "minor"
    meter: str
    pitches: np.ndarray
    durations: np.ndarray

    def __len__(self) -> int:
        return len(self.pitches)

    @property
    def key(self) -> str:
        return f"{NOTE_NAMES[self.tonic]} {self.mode}"


def scale(tonic: int, mode: str) -> tuple[int, ...]:
    """The pitch classes of a key's scale, e.g. ``scale(7, "major")`` = G A B C D E F#."""
    steps = MAJOR if mode == "major" else MINOR
    return tuple(sorted((tonic + s) % 12 for s in steps))


def note_name(pitch: int) -> str:
    """``"G4"`` for 67, ``"rest"`` for ``REST``."""
    pitch = int(pitch)
    return "rest" if pitch == REST else f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def in_vocabulary(melody: Melody) -> bool:
    """Every duration is one of ``DURATIONS`` and every pitch a rest or within [LOWEST, HIGHEST]."""
    p = melody.pitches
    sounding = p[p != REST]
    return bool(np.all(np.isin(melody.durations, DURATIONS)) and np.all((sounding >= LOWEST) & (sounding <= HIGHEST)))


def parse_rows(text: str) -> list[Melody]:
    """Melodies from CSV text with the columns chorale, riemenschneider, tonic, mode, meter, pitches,
    durations (the last two space-separated); a header line, if any, is skipped."""
    melodies = []
    for row in csv.reader(io.StringIO(text)):
        if not row or row[0] == "chorale":
            continue
        name, _, tonic, mode, meter, pitches, durations = row
        melodies.append(
            Melody(
                name,
                int(tonic),
                mode,
                meter,
                np.array(pitches.split(), dtype=np.int64),
                np.array(durations.split(), dtype=np.float64),
            )
        )
    return melodies


def load_chorales(path, only_vocabulary: bool = True) -> list[Melody]:
    """The chorale melodies of ``datasets/bach-chorale-melodies/chorale_melodies.csv`` (``path``);
    with ``only_vocabulary``, those that fit the token vocabulary (326 of 345)."""
    with open(path, encoding="utf-8") as f:
        melodies = parse_rows(f.read())
    return [m for m in melodies if in_vocabulary(m)] if only_vocabulary else melodies


def g_major_chorales() -> tuple[list[Melody], list[Melody]]:
    """The checks' chorales: (training, held out), the 34 in G major of the shipped file."""
    melodies = [
        Melody(name, tonic, mode, meter, np.array(p.split(), np.int64), np.array(d.split(), np.float64))
        for name, _, tonic, mode, meter, p, d in FIXTURE
    ]
    return melodies[:-FIXTURE_HELD_OUT], melodies[-FIXTURE_HELD_OUT:]


RHYTHMS = ((1.0,), (0.5, 0.5), (1.5, 0.5), (2.0,), (0.25, 0.25, 0.5), (0.75, 0.25), (1.0, 1.0), (3.0,))
STEPS = (-4, -2, -1, 0, 1, 2, 4)
STEP_WEIGHTS = (0.04, 0.16, 0.3, 0.08, 0.26, 0.12, 0.04)


def generated_melodies(n: int, seed: int = 0, length: int = 32) -> list[Melody]:
    """``n`` seeded melodies of about ``length`` notes: a walk over the scale degrees of a random key.

    Each starts on the tonic (the one in C4 … B4), moves mostly by steps of one or two degrees
    (leaps of four now and then) within the two octaves around it, and ends on it with a half
    note; rhythms are drawn from short patterns (``RHYTHMS``); once eight notes or more have
    passed since the last rest, a rest of one beat follows a pattern with probability 0.3.
    """
    rng = np.random.default_rng(seed)
    melodies = []
    for i in range(n):
        tonic, mode = int(rng.integers(12)), ("major", "minor")[int(rng.integers(2))]
        steps = MAJOR if mode == "major" else MINOR
        base = LOWEST + tonic  # the tonic in C3 … B3: the melody stays within base … base + 24 ≤ HIGHEST
        degree, pitches, durations, since_rest = 7, [], [], 0
        while len(pitches) < length:
            for d in RHYTHMS[int(rng.integers(len(RHYTHMS)))]:
                octave, within = divmod(degree, 7)
                pitches.append(base + 12 * octave + steps[within])
                durations.append(d)
                degree = int(np.clip(degree + rng.choice(STEPS, p=STEP_WEIGHTS), 0, 14))
                since_rest += 1
            if since_rest >= 8 and rng.random() < 0.3:
                pitches.append(REST)
                durations.append(1.0)
                since_rest = 0
        pitches.append(base + 12)
        durations.append(2.0)
        melodies.append(
            Melody(
                f"generated-{seed}-{i}",
                tonic,
                mode,
                "4/4",
                np.array(pitches, dtype=np.int64),
                np.array(durations, dtype=np.float64),
            )
        )
    return melodies


# The soprano lines of the 34 chorales in G major of datasets/bach-chorale-melodies/
# chorale_melodies.csv that fit the vocabulary, in its order, as (chorale, riemenschneider, tonic, mode, meter,
# pitches, durations): tests/checks/test_music_tracking_music.py checks that they are the file's rows.
FIXTURE = (
    (
        "bwv269",
        1,
        7,
        "major",
        "3/4",
        (
            "67 67 74 71 69 67 67 69 71 69 71 74 72 71 69 67 71 71 72 74 74 72 71 69 67 71 72 74 72 71 67 71 74 "
            "72 71 69 67 69 71 69 71 74 72 71 69 67"
        ),
        ("1 2 1 1.5 0.5 1 1.5 0.5 1 2 1 2 1 1 2 2 1 1 1 1 1.5 0.5 1 2 1 2 1 2 1 3 2 1 2 1 2 1 1.5 0.5 1 2 1 2 1 1 2 2"),
    ),
    (
        "bwv267",
        5,
        7,
        "major",
        "4/4",
        (
            "74 76 74 72 71 72 74 72 71 72 71 69 71 72 74 72 71 69 67 69 67 67 69 71 72 71 69 71 69 67 67 69 71 "
            "72 74 76 71 73 74 71 72 74 76 74 72 71 72 71 76 76 76 69 74 72 71 69 72 71 69 67 69 67 65 64 62 62 "
            "67 69 71 72 74 72 71 69 71 72 69 67"
        ),
        (
            "1 1 0.5 0.5 0.5 0.5 1 0.5 0.5 1 1 1 1 1 1 0.5 0.5 0.5 0.5 1 1 1 1 1 0.5 0.5 1 1 1 1 0.5 0.5 1 1 1 1 "
            "1 1 1 0.5 0.5 1 1 0.5 0.5 1 2 1 1 1 1 1 1 1 1 1 1 1 1 1 0.5 0.5 1 1 1 1 1 1 1.5 0.5 1 0.5 0.5 1 0.5 "
            "0.5 2 1"
        ),
    ),
    (
        "bwv248.12-2",
        9,
        7,
        "major",
        "4/4",
        (
            "67 67 69 71 73 74 74 73 74 71 72 71 69 71 69 67 69 69 71 72 72 71 69 71 69 71 71 71 72 74 76 76 75 "
            "76 78 79 71 72 71 69 69 74 76 74 72 71 72 69 67"
        ),
        (
            "1 1 1 0.5 0.5 1 1 1 1 1 1 1 1 1 2 1 1 1 1 1 1 0.5 0.5 1 1 1 1 1 0.5 0.5 1 1 1 1 1 1 1 1 1 2 1 1 1 1 "
            "1 0.5 0.5 2 1"
        ),
    ),
    (
        "bwv318",
        18,
        7,
        "major",
        "4/4",
        (
            "67 67 69 71 72 74 76 74 76 78 79 74 71 73 74 72 69 71 72 71 69 67 66 67 69 71 69 67 66 64 62 67 67 "
            "69 71 72 74 76 74 67 69 71 72 71 69 67"
        ),
        ("1 0.5 0.5 1 1 1 1 2 1 1 1 1 1 1 2 1 1 1 1 1 1 2 1 1 1 1 1.5 0.5 1 1 4 1 0.5 0.5 1 1 1 1 2 1 1 1 1 1 1 2"),
    ),
    (
        "bwv32.6",
        29,
        7,
        "major",
        "4/4",
        (
            "67 69 71 69 67 66 64 62 67 69 71 72 71 69 67 71 72 74 72 71 69 71 74 74 76 74 72 71 69 71 74 72 71 "
            "69 67 69 71 67 71 72 74 72 71 69 71 69 67"
        ),
        ("1 1 1 1 1 1 1 1 1 1 1 1 1 1 2 1 1 1 1 1 1 2 1 1 1 1 1 1 2 1 1 1 0.5 0.5 1 1 2 2 0.5 0.5 1 1 1 1 1 2 2"),
    ),
    (
        "bwv115.6",
        38,
        7,
        "major",
        "4/4",
        "71 72 74 74 67 69 71 76 78 79 71 69 67 74 69 71 76 74 73 74 69 71 73 74 74 73 74 76 78 79 71 69 67",
        "1 1 1 1 1 1 2 1 1 1 1 2 2 1 1 2 1.5 0.5 2 1 1 0.5 0.5 1 1 1 2 1 1 1 1 2 2",
    ),
    (
        "bwv91.6",
        51,
        7,
        "major",
        "4/4",
        (
            "67 67 67 69 67 72 74 72 71 72 74 76 74 72 71 69 67 67 72 71 72 74 69 67 66 64 62 62 69 69 69 71 72 "
            "71 69 67 69 71 69 67 67 67 67"
        ),
        (
            "1 1 1 1 1 1 1 2 0.5 0.5 1 1 0.5 0.5 1 1 1 1 1 0.5 0.5 1 1 0.5 0.5 1 1 1 1 1 1 1 0.5 0.5 1 0.5 0.5 1 "
            "2 1 1 2 1"
        ),
    ),
    (
        "bwv151.5",
        54,
        7,
        "major",
        "4/4",
        (
            "67 74 74 74 74 76 74 72 71 69 71 73 74 76 76 74 0 74 74 74 74 71 72 74 72 71 69 74 72 71 69 69 67 69 "
            "71 72 74 74 72 71 69 71 69 67"
        ),
        (
            "1 1 1 1 1 1 0.5 0.5 1 1 0.5 0.5 1 1 1 2 1 1 1 1 1 0.5 0.5 1 0.5 0.5 1 1 1 1 1 1 0.5 0.5 0.5 0.5 1 1 "
            "1 0.5 0.5 1 1 3"
        ),
    ),
    (
        "bwv144.3",
        65,
        7,
        "major",
        "4/4",
        (
            "62 67 69 71 76 74 72 71 76 74 72 71 72 74 69 67 74 76 76 69 69 74 74 67 71 69 67 66 67 66 64 62 74 "
            "72 71 69 71 72 69 67"
        ),
        "1 1 1 1 1 1.5 0.5 1 1 1 1 1 0.5 0.5 2 1 1 1 1 1 1 1 1 1 1 1 1 1 0.5 0.5 2 1 1 1 1 1 0.5 0.5 2 1",
    ),
    (
        "bwv43.11",
        102,
        7,
        "major",
        "3/4",
        (
            "67 67 69 71 72 74 74 74 73 74 71 72 71 69 67 66 67 69 69 71 72 72 71 69 71 69 71 71 71 72 74 76 76 "
            "75 75 76 78 79 71 72 71 69 69 74 76 74 72 71 69 67"
        ),
        (
            "1 1 1 1.5 0.5 1 1 1 1 2 1 2 1 3 1 2 3 1 1 1 2 1 1.5 0.5 1 3 1 1 1 1.5 0.5 1 1 1 1 2 1 2 1 2 1 1 1 1 "
            "1.5 0.5 1 1 2 3"
        ),
    ),
    (
        "bwv268",
        124,
        7,
        "major",
        "4/4",
        (
            "71 71 71 71 76 74 74 72 72 71 67 69 69 71 72 74 72 71 69 69 67 69 69 69 69 71 69 67 67 69 67 66 66 "
            "66 67 67 69 69 71 72 74 72 71 69 67"
        ),
        ("1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 0.5 0.5 1 1 1 1 1 1 1 1 0.5 0.5 1 1 1 1 2 1 1 1 1 1 1 1 1 0.5 0.5 1 2 1"),
    ),
    (
        "bwv263",
        128,
        7,
        "major",
        "4/4",
        (
            "67 67 74 74 72 74 71 67 71 71 69 69 67 69 66 62 69 69 71 69 67 66 64 62 62 74 74 74 76 72 74 71 67 "
            "71 71 69 69 67 69 66 62 67 69 71 72 74 72 71 69 67 67"
        ),
        (
            "1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 0.5 0.5 0.5 0.5 1.5 0.5 2 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 "
            "0.5 0.5 0.5 0.5 1 0.5 0.5 2"
        ),
    ),
    (
        "bwv373",
        131,
        7,
        "major",
        "4/4",
        "71 69 67 69 74 71 67 69 67 67 67 67 69 71 69 67 62 62 64 66 67 69 66 62 67 67 67 67 69 71 69 67",
        "1 0.5 0.5 1 1 1 1 2 1 1 1 1 1 1 2 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 2 4",
    ),
    (
        "bwv332",
        136,
        7,
        "major",
        "4/4",
        ("67 71 74 71 69 71 73 74 76 74 72 71 69 67 69 71 69 67 69 71 71 69 74 74 73 74 71 72 71 69 67 67 66 67"),
        "1 1 1 1 1 1 1 1 1 0.5 0.5 1 1 0.5 0.5 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
    ),
    (
        "bwv433",
        137,
        7,
        "major",
        "4/4",
        (
            "67 67 69 71 0 71 72 71 69 0 69 67 69 71 69 67 69 69 71 69 67 67 66 67 0 71 72 71 69 0 69 67 67 66 0 "
            "66 67 66 64 64 63 64 0 67 67 66 67 0 71 72 71 69 0 69 67 69 71 69 67 69 69 71 69 67 67 66 67"
        ),
        (
            "1 1 1 2 1 1 1 1 2 1 1 1 1 1 1 2 1 1 1 1 1 1 2 4 1 1 1 1 2 1 1 1 1 2 1 1 1 1 1 1 2 2 1 1 1 1 2 1 1 1 "
            "1 2 1 1 1 1 1 1 2 1 1 1 1 1 1 2 2"
        ),
    ),
    (
        "bwv248.33-3",
        139,
        7,
        "major",
        "4/4",
        (
            "67 67 69 67 69 71 72 72 71 72 74 76 72 71 72 74 69 74 74 72 71 69 69 67 67 67 69 67 69 71 72 72 71 "
            "72 74 76 72 71 72 74 69 74 74 72 71 69 69 67"
        ),
        (
            "1 1 1 1 0.5 0.5 1 1 1 2 1 1 2 0.5 0.5 1 2 1 1 1 0.5 0.5 2 2 1 1 1 1 0.5 0.5 1 1 1 2 1 1 2 0.5 0.5 1 "
            "2 1 1 1 0.5 0.5 2 2"
        ),
    ),
    (
        "bwv414",
        148,
        7,
        "major",
        "4/4",
        (
            "71 71 72 74 71 67 69 71 72 71 69 67 67 69 71 71 69 67 69 67 71 69 71 67 64 66 67 69 71 67 67 67 69 "
            "71 71 69 67 69 67"
        ),
        "1 0.5 0.5 1 1 1 1 1 1 1 1 1 1.5 0.5 1 1 0.5 0.5 1 3 1 1 1 1 1 1 1 1 1 1 1 1.5 0.5 1 1 0.5 0.5 1 3",
    ),
    (
        "bwv379",
        151,
        7,
        "major",
        "4/4",
        "71 71 71 74 72 72 71 71 71 69 71 72 71 69 67 71 71 69 69 67 67 66 76 74 72 71 69 69 67",
        "1 1 1 1 1 1 2 1 1 1 1 1 1 2 4 1 1 1 1 1 1 2 1 1 1 1 1 1 2",
    ),
    (
        "bwv294",
        158,
        7,
        "major",
        "4/4",
        (
            "67 67 67 69 71 72 71 69 67 69 69 64 66 67 69 67 67 74 74 76 74 72 71 73 74 74 74 74 76 74 72 71 69 "
            "67 64 66 67 64 62 61 62 67 67 69 71 72 71 69 67 69 69 64 66 67 66 64 62 65 64 60 64 66 67 69 67"
        ),
        (
            "1 1 1 1 1 0.5 0.5 1 2 1 1 1 1 1 1 1 1 1 1 1 0.5 0.5 1 1 1 1 1 1 1 0.5 0.5 1 1 2 1 1 1 1 1 1 2 1 1 1 "
            "1 0.5 0.5 1 2 1 1 1 1 0.5 0.5 1 1 1 1 1 1 1 1 1 1"
        ),
    ),
    (
        "bwv264",
        159,
        7,
        "major",
        "4/4",
        "62 67 69 71 69 67 0 69 71 72 71 69 67 0 71 74 74 72 71 69 0 71 67 72 71 69 67 69 69 71 72 71 69 67",
        "1 1 1 1 1 2 1 1 1 1 1 1 2 1 1 1 1 1 1 2 1 1 1 1 1 1 2 1 1 1 1 1 1 3",
    ),
    (
        "bwv388",
        183,
        7,
        "major",
        "4/4",
        (
            "67 67 62 67 72 71 69 67 67 69 71 72 71 69 64 66 67 67 72 71 69 74 74 73 74 74 76 72 74 72 71 69 67 "
            "71 69 62 67 72 71 69 67"
        ),
        "1 1 1 1 1 1 1 1 1 0.5 0.5 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1.5 0.5 1 1 1 1 1 1 1 1 1 1 1",
    ),
    (
        "bwv391",
        222,
        7,
        "major",
        "3/4",
        (
            "67 67 69 71 67 69 69 71 72 71 72 71 71 73 74 69 71 73 74 74 73 74 69 69 71 72 74 76 74 72 71 69 76 "
            "74 72 74 72 71 72 72 71 69 67"
        ),
        "1 1 1 1 2 1 1 1 2 1 3 1 1 1 1 2 1 1 1 2 1 3 1 1 1 1 1 1 2 1 2 1 1.5 0.5 1 1.5 0.5 1 1 1 1 2 1",
    ),
    (
        "bwv411",
        246,
        7,
        "major",
        "4/4",
        (
            "67 67 67 62 67 69 71 67 69 71 73 74 78 76 74 76 74 72 76 74 72 71 69 69 68 69 71 72 72 71 67 69 71 "
            "72 72 71 72 74 72 71 69 67 69 71 69 67"
        ),
        ("1 1 1 1 1 1 2 0.5 0.5 0.5 0.5 1 1 2 2 1 1 1 1 1 1 2 2 1 1 1 1 1 1 2 1 1 1 1 1 1 2 1.5 0.5 1 1 0.5 0.5 1 2 2"),
    ),
    (
        "bwv177.4",
        248,
        7,
        "major",
        "4/4",
        (
            "74 74 74 74 76 77 76 74 72 74 71 69 67 69 71 73 74 76 74 74 79 78 76 78 79 78 76 74 74 79 74 76 71 "
            "72 74 72 71 71 69 71 72 71 69 64 66 67"
        ),
        (
            "1 1 1 0.5 0.5 1 1 1 1 1 0.5 0.5 0.5 0.5 1 1 1 1 1 1 1 1 1 1 0.5 0.5 1 1 1 1 1 1 0.5 0.5 1 1 1 1 0.5 "
            "0.5 1 1 1 1 1 1"
        ),
    ),
    (
        "bwv260",
        249,
        7,
        "major",
        "4/4",
        (
            "67 69 71 72 74 72 71 69 71 71 71 69 71 72 71 69 67 64 66 67 67 69 71 72 71 69 71 71 69 69 71 72 74 "
            "72 71 69 71 67 69 71 72 71 69 67 64 66 67"
        ),
        (
            "0.5 0.5 1 1 1 1 1 1 1 1 1 0.5 0.5 0.5 0.5 1 0.5 0.5 1 1 1 1 1 1 1 0.75 0.25 1 1 1 1 1 1 1 1 1 1 1 1 "
            "1 0.5 0.5 1 0.5 0.5 1 1"
        ),
    ),
    (
        "bwv378",
        258,
        7,
        "major",
        "4/4",
        (
            "67 67 62 67 69 71 0 74 76 74 72 74 71 0 74 72 71 69 67 69 0 71 67 72 71 69 67 0 71 72 74 74 72 71 69 "
            "0 71 67 67 69 71 72 71 74 72 69 71 72 74 0 67 69 71 72 71 69 67"
        ),
        (
            "1 1 1 1 1 2 1 1 1 1 1.5 0.5 2 1 1 1 1 1 1 2 1 1 1 1 1 1 2 1 0.5 0.5 1 1 1 1 2 1 1 1 1 1 1 2 1 1 1 1 "
            "1 1 2 1 1 1 1 1 1 2 1"
        ),
    ),
    (
        "bwv375",
        276,
        7,
        "major",
        "4/4",
        (
            "67 74 74 74 74 76 74 72 71 69 71 73 74 74 73 74 0 74 74 74 74 72 71 72 74 72 71 69 74 72 71 69 69 67 "
            "69 71 72 74 74 72 71 71 69 67"
        ),
        (
            "1 1 1 1 1 1 0.5 0.5 1 1 0.5 0.5 1 1 1 2 1 1 1 1 0.5 0.5 0.5 0.5 0.5 0.5 1 1 1 1 1 1 1 0.5 0.5 0.5 "
            "0.5 1 1 1 1 1 1 3"
        ),
    ),
    (
        "bwv69.6-a",
        293,
        7,
        "major",
        "4/4",
        (
            "62 67 69 71 72 74 72 71 76 74 72 71 72 69 67 74 76 76 69 69 74 74 67 71 69 67 66 67 64 62 74 72 71 "
            "69 71 69 67"
        ),
        "1 1 1 1 1 1.5 0.5 1 1 1 1 1 1 2 1 1 1 1 1 1 1 1 1 1 1 1 1 1 2 1 1 1 1 1 1 2 1",
    ),
    (
        "bwv112.5",
        313,
        7,
        "major",
        "4/4",
        (
            "67 69 71 72 74 72 71 69 71 71 71 69 71 72 71 69 67 69 69 67 67 69 71 72 71 69 68 69 69 71 72 74 72 "
            "71 69 71 71 71 69 71 72 71 69 67 69 69 67"
        ),
        (
            "0.5 0.5 1 1 1 1 1 1 1 1 1 0.5 0.5 0.5 0.5 1 0.75 0.25 1 1 1 1 1 1 1 1.5 0.5 1 1 1 1 1 1 1 1 1 1 1 "
            "0.5 0.5 0.5 0.5 1 0.75 0.25 1 1"
        ),
    ),
    (
        "bwv428",
        322,
        7,
        "major",
        "4/4",
        (
            "67 62 64 66 67 69 71 67 71 72 74 74 71 72 74 72 71 71 72 71 69 67 69 71 71 69 67 71 72 74 74 71 74 "
            "72 71 71 72 71 69 67 69 71 71 67 69 71 71 64 66 67 66 64 62 62 67 69 71 69 71 72 71 69 67"
        ),
        (
            "1 1 1 1 1 1 1 1 0.5 0.5 1 1 0.5 0.5 1 2 1 1 1 1 1 0.5 0.5 1 0.5 0.5 1 0.5 0.5 1 1 1 1 2 1 1 1 1 1 "
            "0.5 0.5 1 1 1 1 1 1 1 1 0.5 0.5 1 1 1 1 1 1 0.5 0.5 1 1 2 3"
        ),
    ),
    (
        "bwv251",
        329,
        7,
        "major",
        "4/4",
        (
            "74 74 74 74 76 77 76 74 72 74 71 69 67 69 71 73 74 76 74 74 79 78 76 78 79 78 76 74 74 79 74 76 71 "
            "72 74 72 71 71 69 71 72 71 69 64 66 67 66 67"
        ),
        (
            "1 1 1 0.5 0.5 1 1 1 1 1 0.5 0.5 0.5 0.5 1 1 1 1 1 1 1 1 1 1 0.5 0.5 1 1 1 1 1 1 0.5 0.5 1 1 1 1 0.5 "
            "0.5 1 1 1 0.25 0.25 1 0.5 1"
        ),
    ),
    (
        "bwv252",
        330,
        7,
        "major",
        "4/4",
        (
            "74 74 74 76 76 74 71 72 71 69 71 72 69 67 69 69 69 71 71 69 69 71 73 74 74 73 74 74 76 74 72 71 72 "
            "71 69 71 72 69 67 67"
        ),
        "1 1 1 1 1 3 1 1 1 1 0.5 0.5 2 1 1 1 1 1 1 3 1 0.5 0.5 1 1 1 3 1 1 1 1 1 3 1 1 0.5 0.5 1.5 0.5 3",
    ),
    (
        "bwv250",
        347,
        7,
        "major",
        "4/4",
        (
            "62 67 69 71 72 74 76 74 72 71 71 76 74 72 71 69 71 72 69 69 67 67 74 76 76 69 69 74 74 67 71 69 67 "
            "66 67 66 64 62 74 72 71 69 71 72 69 67"
        ),
        (
            "1 1 1 1 0.5 0.25 0.25 1 0.5 0.5 1 1 1 1 1 0.5 0.25 0.25 1 0.5 0.5 1 1 1 1 1 1 1 1 1 1 1 1 1 0.5 0.5 "
            "2 1 1 1 1 1 0.5 0.5 2 1"
        ),
    ),
    (
        "bwv248.59-6",
        362,
        7,
        "major",
        "4/4",
        (
            "67 67 69 71 69 67 69 69 71 67 69 71 72 74 72 71 69 67 69 67 71 71 69 67 66 67 69 71 69 69 67 66 67 "
            "62 67 69 71 67 69 71 72 74 72 71 69 67 69 67"
        ),
        (
            "1 0.5 0.5 1 1 1 1 1 1 0.5 0.5 1 1 1 0.5 0.5 0.5 0.5 1 1 1 1 1 1 1 0.5 0.5 1 1 1 1 1 1 1 1 1 1 0.5 "
            "0.5 1 1 1 0.5 0.5 0.5 0.5 1 1"
        ),
    ),
)
