"""Extract the soprano melody of every Bach chorale in music21's corpus to a small CSV, once.

Run at authoring time, in a virtual environment of its own (music21 is not a dependency of the
course, and no notebook imports it):

    python3 -m venv /tmp/m21 && /tmp/m21/bin/pip install music21
    /tmp/m21/bin/python tools/extract_chorale_melodies.py datasets/bach-chorale-melodies/chorale_melodies.csv

The chorales are music21's ``corpus.chorales.Iterator`` in Riemenschneider's numbering (the 371
four-part chorales, MusicXML files under ``music21/corpus/bach/`` inside music21's wheel). For
each: the part named Soprano (else the first part), ties merged (``stripTies``), grace notes
dropped, a chord read as its top note, a rest as pitch 0; the key is the score's first ``Key``
(the one its key signature names, with the mode the encoders wrote), else music21's
Krumhansl–Schmuckler estimate. A melody whose (pitches, durations) repeat an earlier chorale's
exactly is kept once (several chorales harmonise one hymn tune). One row per chorale:

    chorale,riemenschneider,tonic,mode,meter,pitches,durations

``tonic`` is the key's pitch class (0 = C … 11 = B), ``mode`` ``major`` or ``minor``, ``meter``
the first time signature ("4/4"), ``pitches`` the MIDI numbers separated by spaces (0 = rest),
``durations`` the lengths in quarter notes (``0.5`` an eighth, ``1.5`` a dotted quarter).
"""

from __future__ import annotations

import csv
import hashlib
import sys
from fractions import Fraction
from pathlib import Path


def soprano_line(score):
    parts = list(score.parts)
    part = next((p for p in parts if (p.partName or "").lower().startswith("soprano")), parts[0])
    pitches, durations = [], []
    for element in part.stripTies().flatten().notesAndRests:
        length = Fraction(element.quarterLength).limit_denominator(12)
        if length == 0:  # a grace note
            continue
        if element.isRest:
            pitch = 0
        elif element.isChord:
            pitch = max(p.midi for p in element.pitches)
        else:
            pitch = element.pitch.midi
        if pitch == 0 and pitches and pitches[-1] == 0:  # two rests in a row: one longer rest
            durations[-1] += length
            continue
        pitches.append(pitch)
        durations.append(length)
    while pitches and pitches[0] == 0:  # leading and trailing rests carry no melody
        pitches.pop(0), durations.pop(0)
    while pitches and pitches[-1] == 0:
        pitches.pop(), durations.pop()
    return pitches, durations


def key_of(score):
    keys = list(score.flatten().getElementsByClass("Key"))
    key = keys[0] if keys else score.analyze("key")
    return key.tonic.pitchClass, key.mode


def meter_of(score):
    signatures = list(score.flatten().getElementsByClass("TimeSignature"))
    return signatures[0].ratioString if signatures else ""


def number(length: Fraction) -> str:
    return str(int(length)) if length.denominator == 1 else f"{float(length):.6g}"


def main(out: Path) -> None:
    import music21
    from music21 import corpus

    rows, seen = [], set()
    for index, name in enumerate(corpus.chorales.Iterator(numberingSystem="riemenschneider", returnType="filename")):
        score = corpus.parse(name)
        pitches, durations = soprano_line(score)
        melody = (tuple(pitches), tuple(durations))
        if len(pitches) < 8 or melody in seen:
            continue
        seen.add(melody)
        tonic, mode = key_of(score)
        rows.append(
            {
                "chorale": name.split("/")[-1],
                "riemenschneider": index + 1,
                "tonic": tonic,
                "mode": mode,
                "meter": meter_of(score),
                "pitches": " ".join(str(p) for p in pitches),
                "durations": " ".join(number(d) for d in durations),
            }
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    notes = sum(len(r["pitches"].split()) for r in rows)
    print(f"{out}: {len(rows)} chorales, {notes} notes, {out.stat().st_size} bytes, music21 {music21.__version__}")
    print(f"sha256 {digest}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "datasets/bach-chorale-melodies/chorale_melodies.csv"))
