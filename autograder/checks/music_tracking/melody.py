"""``melody.*``: melodies as data — tokens, transposition, intervals and sound (deck topic 15, music
generation).

A melody is MIDI pitches (``REST`` = 0 marks a rest) and durations in quarter notes.

* **Tokens.** ``encode_notes(pitches, durations)``: pitch slot 0 for a rest, 1 + (pitch − LOWEST)
  for a note, duration slot ``DURATIONS.index(d)``, token ``NUM_DURATIONS · pitch slot + duration
  slot``; a pitch outside [LOWEST, HIGHEST] or a duration not in ``DURATIONS`` raises ValueError.
  ``decode_notes(tokens)`` inverts it.
* **Transposition.** ``transpose(pitches, semitones)`` adds ``semitones`` to every note and leaves
  the rests as they are; a note that would leave [LOWEST, HIGHEST] raises ValueError (a melody is
  never clipped or folded, which would change its intervals). The input is not modified.
* **Intervals.** ``interval_histogram(pitches, max_interval=12)``: the steps between consecutive
  *notes* (a rest is skipped: the step is taken across it), counted in 2·max_interval + 1 bins,
  bin j for a step of j − max_interval semitones; a leap larger than max_interval is not counted.
* **Sound.** ``midi_to_hz(p) = 440 · 2^((p − 69)/12)``; ``synthesize(pitches, durations, tempo,
  rate)`` gives each note round(duration · 60/tempo · rate) samples of a tone whose strongest
  partial is the note's frequency, silent rests, and an envelope that starts and ends each note
  at (nearly) zero.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, returned
from ._melodies import DURATIONS, HIGHEST, LOWEST, NUM_DURATIONS, NUM_PITCH_SLOTS, REST, VOCAB_SIZE, g_major_chorales

# --------------------------------------------------------------------------- references


def ref_encode(pitches, durations, *, offset=1, rest="first", layout="pitch"):
    """The reference tokens; each keyword argument turns on one known mistake (``ENCODE_MISTAKES``).

    Args:
        offset: a note's slot is ``pitch − LOWEST + offset`` (0: the lowest pitch takes the rest's slot).
        rest: ``"first"`` (slot 0), ``"last"`` (slot 37, the notes from 0), ``"midi"`` (the MIDI
            number as the slot).
        layout: ``"pitch"`` (NUM_DURATIONS · pitch slot + duration slot) or ``"duration"``
            (NUM_PITCH_SLOTS · duration slot + pitch slot).
    """
    p = np.asarray(pitches, np.int64).reshape(-1)
    slots_d = np.array([DURATIONS.index(float(d)) for d in np.asarray(durations, np.float64).reshape(-1)], np.int64)
    if rest == "midi":
        slots_p = p.copy()
    elif rest == "last":
        slots_p = np.where(p == REST, NUM_PITCH_SLOTS - 1, p - LOWEST)
    else:
        slots_p = np.where(p == REST, 0, p - LOWEST + offset)
    if layout == "duration":
        return slots_d * NUM_PITCH_SLOTS + slots_p
    return slots_p * NUM_DURATIONS + slots_d


def ref_decode(tokens, *, swap=False, offset=1, rest=True):
    """The reference ``(pitches, durations)``; each keyword argument turns on one known mistake:
    ``swap`` takes ``//`` and ``%`` by the number of pitch slots (the other layout), ``offset`` = 0
    forgets the − 1, ``rest`` = False decodes slot 0 as LOWEST − 1."""
    t = np.asarray(tokens, np.int64).reshape(-1)
    if swap:
        slots_p, slots_d = t % NUM_PITCH_SLOTS, t // NUM_PITCH_SLOTS
    else:
        slots_p, slots_d = t // NUM_DURATIONS, t % NUM_DURATIONS
    pitches = slots_p + LOWEST - offset
    if rest:
        pitches = np.where(slots_p == 0, REST, pitches)
    return pitches, np.asarray(DURATIONS)[np.clip(slots_d, 0, NUM_DURATIONS - 1)]


def ref_transpose(pitches, semitones, *, rests="stay", sign=1, edge="raise"):
    """The reference transposition; each keyword argument turns on one known mistake
    (``TRANSPOSE_MISTAKES``): ``rests="move"`` shifts the rests too (``"move_checked"``: and checks
    them against the range, so that any melody with a rest raises), ``sign`` = −1 goes the other
    way, ``edge`` ``"clip"``, ``"fold"`` (by octaves) or ``"none"`` instead of raising ValueError."""
    p = np.asarray(pitches, np.int64).reshape(-1)
    sounding = p != REST
    moved = p + sign * int(semitones) if rests != "stay" else np.where(sounding, p + sign * int(semitones), p)
    checked = np.ones(p.shape, bool) if rests == "move_checked" else sounding
    outside = checked & ((moved < LOWEST) | (moved > HIGHEST))
    if edge == "raise" and np.any(outside):
        raise ValueError("a note leaves [LOWEST, HIGHEST]")
    if edge == "clip":
        moved = np.where(sounding, np.clip(moved, LOWEST, HIGHEST), moved)
    elif edge == "fold":
        moved = np.where(sounding & (moved > HIGHEST), moved - 12 * ((moved - HIGHEST + 11) // 12), moved)
        moved = np.where(sounding & (moved < LOWEST), moved + 12 * ((LOWEST - moved + 11) // 12), moved)
    return moved


def ref_interval_histogram(
    pitches, max_interval=12, *, sign=1, skip_rests=True, leaps="drop", bins="centred", normalise=False
):
    """The reference counts; each keyword argument turns on one known mistake (``INTERVAL_MISTAKES``).

    Args:
        sign: −1 takes ``p[t] − p[t+1]`` (a falling step counted as rising).
        skip_rests: False takes the steps to and from the rest markers (0), which are then too
            large to count, and loses the step across each rest.
        leaps: ``"drop"`` (not counted) or ``"clip"`` (counted in the end bins).
        bins: ``"centred"`` (2m + 1 bins on the integers) or ``"edges"`` (``np.histogram`` with
            ``bins=np.arange(-m, m + 1)``: 2m bins, the last holding m − 1 and m).
        normalise: fractions instead of counts.
    """
    p = np.asarray(pitches, np.int64).reshape(-1)
    if skip_rests:
        p = p[p != REST]
    steps = sign * np.diff(p)
    if leaps == "clip":
        steps = np.clip(steps, -max_interval, max_interval)
    if bins == "edges":
        counts = np.histogram(steps, bins=np.arange(-max_interval, max_interval + 1))[0]
    else:
        kept = steps[np.abs(steps) <= max_interval]
        counts = np.bincount(kept + max_interval, minlength=2 * max_interval + 1)
    if normalise:
        return counts / max(counts.sum(), 1)
    return counts


def ref_midi_to_hz(pitches, *, a4=69, precedence=False, scale=440.0):
    """The reference frequencies; ``a4`` = 60 puts 440 Hz at middle C, ``precedence`` computes
    ``440 · 2 ** (p − 69) / 12``, ``scale`` = 1 forgets the 440."""
    p = np.asarray(pitches, np.float64)
    if precedence:
        return scale * 2.0 ** (p - a4) / 12
    return scale * 2.0 ** ((p - a4) / 12)


def note_lengths(durations, tempo, rate):
    """Samples per note: round(duration · 60 / tempo · rate)."""
    return np.round(np.asarray(durations, np.float64) * 60.0 / tempo * rate).astype(np.int64)


# --------------------------------------------------------------------------- probe helpers


def _raised(function, *args) -> str:
    """The exception's class name if ``function(*args)`` raises, else ""."""
    try:
        function(*args)
    except Exception as exc:
        return type(exc).__name__
    return ""


def _ints(value, what):
    """``value`` as int64, or Fail if it holds anything but whole numbers."""
    got = np.asarray(value)
    if got.dtype.kind == "f" and np.all(np.isfinite(got)) and np.all(got == np.round(got)):
        got = got.astype(np.int64)
    if got.dtype.kind not in "iu":
        raise Fail(f"{what} holds {got.dtype} values: return whole numbers (an integer array).")
    return got.astype(np.int64)


# --------------------------------------------------------------------------- tokens

ENCODE_CASES = (
    ("a phrase with a rest", (67, 69, 71, REST, 72, 71), (1.0, 0.5, 0.5, 1.0, 2.0, 1.0)),
    ("LOWEST, HIGHEST, a rest and every duration", (48, 84, REST, 60, 61, 83, 49, 72), DURATIONS),
)
ENCODE_ERRORS = (
    ("a pitch above HIGHEST (85)", (85,), (1.0,)),
    ("a pitch below LOWEST (47)", (47,), (1.0,)),
    ("a duration of 0.3 quarters (not one of DURATIONS)", (60,), (0.3,)),
)

ENCODE_MISTAKES = (
    (
        lambda p, d: ref_encode(p, d, offset=0),
        "A note's pitch slot is 1 + (pitch − LOWEST): slot 0 is the rest's. Without the + 1, LOWEST and a rest "
        "get the same token.",
    ),
    (
        lambda p, d: ref_encode(p, d, layout="duration"),
        "The pitch slot and the duration slot are in the wrong order: token = NUM_DURATIONS · pitch_slot + "
        "duration_slot (the eight durations of one pitch are neighbours).",
    ),
    (
        lambda p, d: ref_encode(p, d, rest="midi"),
        "You used the MIDI number as the pitch slot: the slot is 1 + (pitch − LOWEST), so that the tokens run "
        "from 0 to VOCAB_SIZE − 1.",
    ),
    (
        lambda p, d: ref_encode(p, d, rest="last"),
        "The rest has the last pitch slot: it has slot 0, and a note has slot 1 + (pitch − LOWEST).",
    ),
)
ENCODE_FALLBACK = (
    "token = NUM_DURATIONS · pitch_slot + duration_slot, pitch_slot = 0 for a rest, else 1 + (pitch − LOWEST)."
)

DECODE_MISTAKES = (
    (
        lambda t: ref_decode(t, swap=True),
        "`decode_notes` splits the token by the number of pitch slots: pitch_slot = token // NUM_DURATIONS and "
        "duration_slot = token % NUM_DURATIONS.",
    ),
    (
        lambda t: ref_decode(t, offset=0),
        "`decode_notes` forgets the − 1: a note's pitch is LOWEST + pitch_slot − 1.",
    ),
    (
        lambda t: ref_decode(t, rest=False),
        "`decode_notes` reads pitch slot 0 as a pitch: slot 0 is a rest, pitch `REST` (0).",
    ),
)
DECODE_FALLBACK = "pitch_slot = token // NUM_DURATIONS, duration_slot = token % NUM_DURATIONS; slot 0 is a rest."

encode = new(
    "melody.encode",
    1,
    "`encode_notes` / `decode_notes`: token = NUM_DURATIONS · pitch slot + duration slot (a rest is slot 0), "
    "ValueError outside the vocabulary, and back",
)


def _call_encode(encode_notes, pitches, durations):
    return encode_notes(np.array(pitches, np.int64), np.array(durations, np.float64))


def _decoded(decode_notes, tokens):
    out = returned(decode_notes(np.array(tokens, np.int64)), "`decode_notes`")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Fail("`decode_notes` should return two arrays, `(pitches, durations)`.")
    return out


@encode.probe
def _(encode_notes, decode_notes):
    record = {}
    for i, (_, pitches, durations) in enumerate(ENCODE_CASES):
        record[f"tokens{i}"] = returned(_call_encode(encode_notes, pitches, durations), "`encode_notes`")
    record["pitches"], record["durations"] = _decoded(decode_notes, np.arange(VOCAB_SIZE))
    for i, (_, pitches, durations) in enumerate(ENCODE_ERRORS):
        record[f"error{i}"] = _raised(_call_encode, encode_notes, pitches, durations)
    return record


def _verify_tokens(got, pitches, durations, what, *, hidden=False):
    got = _ints(got, what)
    expected = ref_encode(pitches, durations)
    if got.shape != expected.shape:
        raise Fail(f"{what} has shape {got.shape}, expected {expected.shape}: one token per note.")
    if np.array_equal(got, expected):
        return
    hint = expect.diagnose(got, ENCODE_MISTAKES, pitches, durations, rtol=0, atol=0) or ENCODE_FALLBACK
    if hidden:
        raise Fail(f"`encode_notes` gives other tokens than expected on the hidden melodies. {hint}")
    expect.equal(got, expected, what, hint)


def _verify_decoded(pitches, durations, tokens, what, *, hidden=False):
    expected_p, expected_d = ref_decode(tokens)
    pitches = np.asarray(pitches)
    durations = np.asarray(durations, np.float64)
    for got, expected, name in ((pitches, expected_p, "pitches"), (durations, expected_d, "durations")):
        if got.shape != expected.shape:
            raise Fail(f"the {name} of {what} have shape {got.shape}, expected {expected.shape}: one per token.")
    if np.array_equal(pitches.astype(np.float64), expected_p) and np.array_equal(durations, expected_d):
        return
    hint = ""
    for mistake, text in DECODE_MISTAKES:
        p, d = mistake(tokens)
        if np.array_equal(pitches.astype(np.float64), p) and np.array_equal(durations, d):
            hint = text
            break
    hint = hint or DECODE_FALLBACK
    if hidden:
        raise Fail(f"`decode_notes` gives other notes than expected on the hidden tokens. {hint}")
    wrong = np.flatnonzero((pitches != expected_p) | (durations != expected_d))
    t = int(np.asarray(tokens).reshape(-1)[wrong[0]])
    raise Fail(
        f"`decode_notes` turns token {t} into (pitch {pitches[wrong[0]]:g}, duration {durations[wrong[0]]:g}), "
        f"expected (pitch {expected_p[wrong[0]]:g}, duration {expected_d[wrong[0]]:g}); {len(wrong)} of "
        f"{len(expected_p)} tokens are off. {hint}"
    )


@encode.verify
def _(r):
    for i, (name, pitches, durations) in enumerate(ENCODE_CASES):
        _verify_tokens(r[f"tokens{i}"], pitches, durations, f"`encode_notes` on {name}")
    _verify_decoded(r["pitches"], r["durations"], np.arange(VOCAB_SIZE), "every token 0 … VOCAB_SIZE − 1")
    for i, (name, _, _) in enumerate(ENCODE_ERRORS):
        raised = str(r[f"error{i}"])
        if not raised:
            raise Fail(
                f"`encode_notes` on {name} returned a token: raise ValueError (`raise ValueError(...)`), since "
                "no token stands for it."
            )
        if raised != "ValueError":
            raise Fail(
                f"`encode_notes` on {name} raised {raised}: raise ValueError (`raise ValueError(...)`), since "
                "no token stands for it."
            )


# --------------------------------------------------------------------------- transposition

TRANSPOSE_CASES = (
    ("a phrase with a rest, up a fourth (+5)", (67, 69, REST, 71, 67), 5),
    ("the same phrase down a minor third (−3)", (67, 69, REST, 71, 67), -3),
    ("a melody that reaches HIGHEST exactly (+2)", (79, REST, 82, 80), 2),
    ("a melody of rests only, up an octave", (REST, REST), 12),
    ("a melody that would go above HIGHEST (+3 from 82)", (79, REST, 82, 80), 3),
    ("a melody that would go below LOWEST (−4 from 50)", (55, 50, 52), -4),
)

TRANSPOSE_MISTAKES = (
    (
        dict(rests="move"),
        "You moved the rests too: a rest (pitch `REST` = 0) has no pitch to transpose, so it stays 0 "
        "(`np.where(pitches == REST, REST, pitches + semitones)`).",
    ),
    (
        dict(rests="move_checked"),
        "You moved the rests too, and then a rest (0 + semitones) is outside the range: a rest has no pitch to "
        "transpose, so it stays `REST` and is not checked against [LOWEST, HIGHEST].",
    ),
    (dict(sign=-1), "You transposed the wrong way: +5 semitones moves every note up, to a higher MIDI number."),
    (
        dict(edge="clip"),
        "You clipped the notes that leave the range to LOWEST or HIGHEST: that changes the melody's intervals. "
        "Raise ValueError instead, so that the caller skips this transposition.",
    ),
    (
        dict(edge="fold"),
        "You folded the notes that leave the range back by an octave: that turns a step into a leap of a "
        "seventh. Raise ValueError instead, so that the caller skips this transposition.",
    ),
    (
        dict(edge="none"),
        "A note left [LOWEST, HIGHEST] and no ValueError was raised: such a melody has no tokens, so "
        "`transpose` must raise ValueError.",
    ),
)
TRANSPOSE_FALLBACK = (
    "Add `semitones` to every note, keep every rest at `REST`, and raise ValueError when a note leaves the range."
)

transpose_check = new(
    "melody.transpose",
    1,
    "`transpose`: every note moved by the semitones, rests kept, ValueError when a note leaves [LOWEST, HIGHEST], "
    "the input left as it was",
)


def _transposed(transpose, cases):
    record = {}
    for i, (_, pitches, semitones) in enumerate(cases):
        given = np.array(pitches, np.int64)
        try:
            out = transpose(given, semitones)
        except ValueError:
            record[f"raised{i}"], out = "ValueError", np.zeros(0, np.int64)
        else:
            record[f"raised{i}"] = ""
            returned(out, "`transpose`")
        record[f"result{i}"] = out
        record[f"unchanged{i}"] = np.array_equal(given, np.array(pitches, np.int64))
    return record


@transpose_check.probe
def _(transpose):
    return _transposed(transpose, TRANSPOSE_CASES)


def _expected_transpose(pitches, semitones, **mistake):
    try:
        return ref_transpose(pitches, semitones, **mistake)
    except ValueError:
        return None


def _transpose_hint(r, i, pitches, semitones) -> str:
    """The known mistake that gives case ``i``'s outcome, else ""."""
    raised = str(r[f"raised{i}"]) == "ValueError"
    for mistake, hint in TRANSPOSE_MISTAKES:
        expected = _expected_transpose(pitches, semitones, **mistake)
        if expected is None:
            if raised:
                return hint
        elif not raised and np.array_equal(np.asarray(r[f"result{i}"], np.float64).reshape(-1), expected):
            return hint
    return ""


def _verify_transpose(r, cases, *, hidden=False):
    for i in range(len(cases)):
        if not bool(r[f"unchanged{i}"]):
            raise Fail(
                "`transpose` changed the array it was given: return a new array (`pitches + semitones` makes one; "
                "`pitches += semitones` overwrites the caller's melody)."
            )
    for i, (name, pitches, semitones) in enumerate(cases):
        expected = _expected_transpose(pitches, semitones)
        raised = str(r[f"raised{i}"]) == "ValueError"
        what = "`transpose` on the hidden melodies" if hidden else f"`transpose` on {name}"
        if expected is None and raised:
            continue
        if expected is not None and not raised:
            got = _ints(r[f"result{i}"], what).reshape(-1)
            if got.shape == expected.shape and np.array_equal(got, expected):
                continue
        hint = _transpose_hint(r, i, pitches, semitones) or TRANSPOSE_FALLBACK
        if expected is None:
            if hidden:
                raise Fail(f"{what}: a note leaves the range, so it should raise ValueError. {hint}")
            got = np.asarray(r[f"result{i}"]).tolist()
            raise Fail(f"{what} returned {got}: it should raise ValueError. {hint}")
        if raised:
            raise Fail(f"{what} raised ValueError, but every note stays within [LOWEST, HIGHEST]. {hint}")
        if hidden:
            raise Fail(f"{what} gives other pitches than expected. {hint}")
        expect.equal(got, expected, what, hint)


@transpose_check.verify
def _(r):
    _verify_transpose(r, TRANSPOSE_CASES)


# --------------------------------------------------------------------------- intervals

INTERVAL_CASES = (
    ("an arch of whole steps", (60, 62, 64, 62, 60), 12),
    ("repeated notes", (64, 64, 64, 65), 12),
    ("a phrase with rests (the step is taken across a rest)", (67, REST, 69, 67, REST, 74), 12),
    ("octave leaps up and down (the end bins)", (60, 72, 60), 12),
    ("a leap larger than an octave (not counted)", (60, 76, 74), 12),
    ("`max_interval=5` and two leaps of 7", (60, 65, 67, 60, 53), 5),
    ("a single note", (60,), 12),
)

INTERVAL_MISTAKES = (
    (
        dict(sign=-1),
        "The steps have the wrong sign: a step up (60 → 62) is +2, `pitches[1:] - pitches[:-1]` "
        "(`np.diff`), counted in bin +2 + max_interval.",
    ),
    (
        dict(skip_rests=False),
        "You took steps to and from the rests: drop the rests first (`pitches[pitches != REST]`), so that the "
        "step across a rest is counted, from the note before it to the note after it.",
    ),
    (
        dict(leaps="clip"),
        "You counted the leaps larger than max_interval in the end bins: leave them out.",
    ),
    (
        dict(normalise=True),
        "You returned fractions: return the counts (whole numbers); the caller sums them over melodies.",
    ),
)
INTERVAL_FALLBACK = (
    "Drop the rests, take `np.diff`, keep the steps with |step| ≤ max_interval and count them in "
    "2 · max_interval + 1 bins: `np.bincount(steps + max_interval, minlength=2 * max_interval + 1)`."
)

intervals = new(
    "melody.intervals",
    1,
    "`interval_histogram`: steps between consecutive notes (rests skipped), 2·max_interval + 1 bins, "
    "bigger leaps not counted",
)


def _histograms(interval_histogram, cases):
    record = {}
    for i, (_, pitches, max_interval) in enumerate(cases):
        out = interval_histogram(np.array(pitches, np.int64), max_interval=max_interval)
        record[f"case{i}"] = returned(out, "`interval_histogram`")
    return record


@intervals.probe
def _(interval_histogram):
    record = _histograms(interval_histogram, INTERVAL_CASES)
    training, held_out = g_major_chorales()
    record["chorales"] = sum(
        np.asarray(returned(interval_histogram(m.pitches.copy()), "`interval_histogram`"), np.float64)
        for m in training + held_out
    )
    return record


def _verify_histogram(got, pitches, max_interval, what, *, hidden=False):
    got = np.asarray(got, np.float64)
    m = max_interval
    if got.shape != (2 * m + 1,):
        if got.shape == (2 * m,):
            raise Fail(
                f"{what} has {2 * m} bins, expected 2 · max_interval + 1 = {2 * m + 1} (one per step from −{m} to "
                f"+{m}): `np.histogram` with `bins=np.arange(-{m}, {m + 1})` has {2 * m} bins and puts {m - 1} and "
                f"{m} together in the last. Use edges halfway between the integers, `np.arange(-{m}, {m + 2}) - 0.5`, "
                f"or `np.bincount`."
            )
        if got.shape == (m + 1,):
            raise Fail(
                f"{what} has {m + 1} bins: you counted |step|. Count signed steps, from −{m} (bin 0) to +{m} "
                f"(bin {2 * m}): up and down are different motions."
            )
        raise Fail(f"{what} has shape {got.shape}, expected ({2 * m + 1},): one bin per step from −{m} to +{m}.")
    expected = ref_interval_histogram(pitches, m)
    if np.array_equal(got, expected):
        return
    hint = next(
        (
            h
            for kw, h in INTERVAL_MISTAKES
            if expect.matches(got, ref_interval_histogram(pitches, m, **kw), rtol=1e-9, atol=1e-9)
        ),
        INTERVAL_FALLBACK,
    )
    if hidden:
        raise Fail(f"`interval_histogram` gives other counts than expected on the hidden melodies. {hint}")
    steps = np.arange(-m, m + 1)
    wrong = np.flatnonzero(got != expected)
    raise Fail(
        f"{what} counts {got[wrong[0]]:g} steps of {steps[wrong[0]]:+d}, expected {expected[wrong[0]]:g} "
        f"(bin {wrong[0]}; {len(wrong)} of {2 * m + 1} bins are off). {hint}"
    )


@intervals.verify
def _(r):
    for i, (name, pitches, max_interval) in enumerate(INTERVAL_CASES):
        _verify_histogram(r[f"case{i}"], pitches, max_interval, f"`interval_histogram` on {name}")
    training, held_out = g_major_chorales()
    pitches = [m.pitches for m in training + held_out]
    got = np.asarray(r["chorales"], np.float64)
    expected = sum(ref_interval_histogram(p) for p in pitches)
    if got.shape != expected.shape or not np.array_equal(got, expected):
        raise Fail(
            "`interval_histogram` summed over the 34 G-major chorales gives other counts than the same sum of the "
            f"reference. {INTERVAL_FALLBACK}"
        )


# --------------------------------------------------------------------------- sound

HZ_PITCHES = (69, 60, 81, 48, 57, 70, 84)
SYNTH_CASES = (
    (
        "A4, a rest, C5 and E5 at 120 beats per minute and 8000 samples per second",
        (69, REST, 72, 76),
        (1.0, 0.5, 0.5, 2.0),
        120,
        8000,
    ),
    ("G3 and D4 at 96 beats per minute and 16000 samples per second", (55, 62), (1.0, 0.5), 96, 16000),
)
HZ_MISTAKES = (
    (
        lambda p: ref_midi_to_hz(p, a4=60),
        "You put 440 Hz at MIDI 60: 440 Hz is A4, MIDI 69 (middle C, 60, is 261.6 Hz): 440 · 2^((p − 69)/12).",
    ),
    (
        lambda p: ref_midi_to_hz(p, precedence=True),
        "Operator precedence: `440 * 2 ** (p - 69) / 12` divides the frequency by 12. Write "
        "`440 * 2 ** ((p - 69) / 12)`.",
    ),
    (
        lambda p: ref_midi_to_hz(p, scale=1.0),
        "You returned the ratio to A4, 2^((p − 69)/12): multiply by 440 Hz.",
    ),
)

synth = new(
    "melody.synth",
    1,
    "`midi_to_hz` = 440 · 2^((p − 69)/12); `synthesize`: round(d · 60/tempo · rate) samples per note at its "
    "frequency, silent rests, no clicks",
)


@synth.probe
def _(midi_to_hz, synthesize):
    record = {"hz": returned(midi_to_hz(np.array(HZ_PITCHES, np.int64)), "`midi_to_hz`")}
    for i, (_, pitches, durations, tempo, rate) in enumerate(SYNTH_CASES):
        wave = synthesize(np.array(pitches, np.int64), np.array(durations, np.float64), tempo=tempo, rate=rate)
        record[f"wave{i}"] = returned(wave, "`synthesize`")
    return record


def _peak_hz(segment, rate):
    """The frequency of the strongest partial of ``segment`` (zero-padded FFT, Hann window)."""
    n = len(segment)
    spectrum = np.abs(np.fft.rfft(segment * np.hanning(n), n=8 * n))
    return float(np.argmax(spectrum)) * rate / (8 * n)


def _verify_wave(wave, pitches, durations, tempo, rate, what):
    wave = np.asarray(wave, np.float64)
    lengths = note_lengths(durations, tempo, rate)
    if wave.ndim != 1:
        raise Fail(f"{what} has shape {wave.shape}: return a 1-D array of samples (mono).")
    if len(wave) != lengths.sum():
        seconds = np.asarray(durations, np.float64).sum() * 60 / tempo
        raise Fail(
            f"{what} has {len(wave)} samples, expected {int(lengths.sum())} ({seconds:g} s at {rate} samples per "
            "second): a note of d quarters lasts d · 60 / tempo seconds, round(d · 60 / tempo · rate) samples."
        )
    expect.finite(wave, what)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for pitch, start, n in zip(pitches, starts, lengths):
        segment = wave[start : start + n]
        peak = float(np.max(np.abs(segment)))
        if pitch == REST:
            if peak > 1e-4:
                raise Fail(f"{what}: the rest is not silent (its largest sample is {peak:.3g}): a rest is zeros.")
            continue
        where = f"{what}, its note of MIDI pitch {pitch}"
        if peak > 1.0 or peak < 0.05:
            raise Fail(
                f"{where}: its largest sample is {peak:.3g}; keep the samples within [−1, 1] (a player clips "
                "beyond) and loud enough to hear (a peak of 0.05 or more)."
            )
        hz, expected = _peak_hz(segment, rate), float(ref_midi_to_hz(pitch))
        if abs(hz - expected) > max(rate / n, 0.01 * expected):
            ratio = hz / expected
            hint = ""
            if abs(ratio - 2 ** (9 / 12)) < 0.02:
                hint = " It is 2^(9/12) too high: 440 Hz is MIDI 69, not 60."
            elif min(abs(ratio - 2), abs(ratio - 3)) < 0.03:
                hint = " That is an overtone: the fundamental, at the note's frequency, must be the strongest partial."
            raise Fail(
                f"{where}: its strongest partial is at {hz:.1f} Hz, expected {expected:.1f} Hz "
                f"(`midi_to_hz({pitch})`).{hint}"
            )
        if max(abs(segment[0]), abs(segment[-1])) > 0.02 * peak:
            raise Fail(
                f"{where}: the note starts or ends at {max(abs(segment[0]), abs(segment[-1])) / peak:.0%} of its "
                "peak, which clicks: multiply it by an envelope that rises from 0 and falls back to 0 at its last "
                "sample."
            )
        # A click is a jump: near its start and end a note may change from one sample to the next no faster
        # than its tone does in the middle (an envelope that drops to 0 in one step passes the test above).
        jumps = np.abs(np.diff(segment))
        middle, edge = jumps[n // 4 : 3 * n // 4], max(jumps[: n // 8].max(), jumps[-(n // 8) :].max())
        if edge > 2 * middle.max() + 1e-6:
            raise Fail(
                f"{where}: near its start or end the wave jumps by {edge / peak:.0%} of its peak from one sample to "
                "the next, more than twice its largest step in the middle of the note, which clicks: let the "
                "envelope rise from 0 and fall back to 0 over a few milliseconds, not in one step."
            )


@synth.verify
def _(r):
    got = np.asarray(r["hz"], np.float64)
    expected = ref_midi_to_hz(HZ_PITCHES)
    hint = expect.diagnose(got, HZ_MISTAKES, np.array(HZ_PITCHES)) or "f = 440 · 2^((p − 69)/12)."
    expect.close(got, expected, "`midi_to_hz`", hint, rtol=1e-6, atol=1e-9, inputs={"p": np.array(HZ_PITCHES)})
    for i, (name, pitches, durations, tempo, rate) in enumerate(SYNTH_CASES):
        _verify_wave(r[f"wave{i}"], pitches, durations, tempo, rate, f"`synthesize` on {name}")


# --------------------------------------------------------------------------- hidden


def _hidden_cases():
    from ._melodies import generated_melodies

    melodies = generated_melodies(3, seed=9091, length=40)
    tokens_of = tuple((m.pitches.tolist(), m.durations.tolist()) for m in melodies)
    shifts = []
    for m in melodies:
        high, low = int(m.pitches.max()), int(m.pitches[m.pitches != REST].min())
        shifts += [
            (m.pitches.tolist(), 4),
            (m.pitches.tolist(), -7),
            (m.pitches.tolist(), HIGHEST - high + 1),
            (m.pitches.tolist(), LOWEST - low),
        ]
    histograms = tuple((m.pitches.tolist(), w) for m in melodies for w in (12, 3))
    transpose_cases = tuple(("", tuple(p), s) for p, s in shifts)
    interval_cases = tuple(("", tuple(p), w) for p, w in histograms)
    return tokens_of, transpose_cases, interval_cases


HIDDEN_NOTES, HIDDEN_TRANSPOSE, HIDDEN_INTERVALS = _hidden_cases()

hidden = new(
    "melody.hidden",
    1,
    "`encode_notes`, `decode_notes`, `transpose` and `interval_histogram` on seeded melodies with rests, "
    "at the range's edges",
    hidden=True,
)


@hidden.probe
def _(encode_notes, decode_notes, transpose, interval_histogram):
    record = {}
    for i, (pitches, durations) in enumerate(HIDDEN_NOTES):
        tokens = returned(_call_encode(encode_notes, pitches, durations), "`encode_notes`")
        record[f"tokens{i}"] = tokens
        record[f"pitches{i}"], record[f"durations{i}"] = _decoded(decode_notes, hidden_tokens(pitches, durations))
    record.update({f"t_{k}": v for k, v in _transposed(transpose, HIDDEN_TRANSPOSE).items()})
    record.update({f"i_{k}": v for k, v in _histograms(interval_histogram, HIDDEN_INTERVALS).items()})
    return record


def hidden_tokens(pitches, durations):
    """The tokens ``decode_notes`` is given in the hidden check: every 7th token of the vocabulary,
    as many as the melody has notes (inputs, not a reference: the probe needs them)."""
    return (np.arange(len(pitches)) * 7 + len(durations)) % VOCAB_SIZE


@hidden.verify
def _(r):
    for i, (pitches, durations) in enumerate(HIDDEN_NOTES):
        _verify_tokens(r[f"tokens{i}"], pitches, durations, "`encode_notes` on the hidden melodies", hidden=True)
        _verify_decoded(
            r[f"pitches{i}"], r[f"durations{i}"], hidden_tokens(pitches, durations), "the hidden tokens", hidden=True
        )
    _verify_transpose({k[2:]: v for k, v in r.items() if k.startswith("t_")}, HIDDEN_TRANSPOSE, hidden=True)
    for i, (_, pitches, max_interval) in enumerate(HIDDEN_INTERVALS):
        _verify_histogram(
            r[f"i_case{i}"], pitches, max_interval, "`interval_histogram` on the hidden melodies", hidden=True
        )
