"""Assignment 09's music checks (part 1), before its notebook: does each check pass a correct
student implementation, and does each realistic mistake fail with the message that names it? The
references are pinned against independent computations (loops, Counters, the spectrum of known
sines), the sampling checks hold for two ways of drawing and five random streams, and the shipped
chorales are the file their README describes.

NumPy only, in-process.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from autograder.checks import _edition
from autograder.checks.music_tracking import _melodies, melody, note_lm
from autograder.checks.music_tracking._melodies import DURATIONS, HIGHEST, LOWEST, NUM_DURATIONS, REST, VOCAB_SIZE

from .support import run

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "datasets" / "bach-chorale-melodies"
CSV = DATA / "chorale_melodies.csv"

# --------------------------------------------------------------------------- students' implementations


def student_encode(pitches, durations, *, offset=1, layout="pitch", rest="first", check_range=True, as_list=False):
    pitches, durations = np.asarray(pitches, np.int64), np.asarray(durations, np.float64)
    sounding = pitches != REST
    if check_range and np.any(sounding & ((pitches < LOWEST) | (pitches > HIGHEST))):
        raise ValueError("a pitch outside the vocabulary")
    duration_slots = np.array([DURATIONS.index(float(d)) for d in durations], np.int64)
    if rest == "midi":
        pitch_slots = pitches
    elif rest == "last":
        pitch_slots = np.where(sounding, pitches - LOWEST, HIGHEST - LOWEST + 1)
    else:
        pitch_slots = np.where(sounding, pitches - LOWEST + offset, 0)
    if layout == "duration":
        tokens = duration_slots * (HIGHEST - LOWEST + 2) + pitch_slots
    else:
        tokens = pitch_slots * NUM_DURATIONS + duration_slots
    return tokens.tolist() if as_list else tokens


def student_decode(tokens, *, swap=False, offset=1, rest=True):
    tokens = np.asarray(tokens, np.int64)
    if swap:
        pitch_slots, duration_slots = tokens % (HIGHEST - LOWEST + 2), tokens // (HIGHEST - LOWEST + 2)
    else:
        pitch_slots, duration_slots = tokens // NUM_DURATIONS, tokens % NUM_DURATIONS
    pitches = pitch_slots + LOWEST - offset
    if rest:
        pitches = np.where(pitch_slots == 0, REST, pitches)
    return pitches, np.asarray(DURATIONS)[np.minimum(duration_slots, NUM_DURATIONS - 1)]


def student_transpose(pitches, semitones, *, rests="stay", sign=1, edge="raise", in_place=False, as_float=False):
    pitches = np.asarray(pitches)
    sounding = pitches != REST
    shifted = sounding if rests == "stay" else np.ones(pitches.shape, bool)
    if in_place:
        pitches[shifted] += sign * semitones
        moved = pitches
    else:
        moved = np.where(shifted, pitches + sign * semitones, pitches)
    checked = shifted if rests == "checked" else sounding
    outside = checked & ((moved < LOWEST) | (moved > HIGHEST))
    if edge == "raise" and np.any(outside):
        raise ValueError("a note leaves the range")
    if edge == "clip":
        moved = np.where(sounding, np.clip(moved, LOWEST, HIGHEST), moved)
    if edge == "fold":
        while np.any(sounding & (moved > HIGHEST)):
            moved = np.where(sounding & (moved > HIGHEST), moved - 12, moved)
        while np.any(sounding & (moved < LOWEST)):
            moved = np.where(sounding & (moved < LOWEST), moved + 12, moved)
    return moved.astype(np.float64) if as_float else moved


def student_histogram(
    pitches, max_interval=12, *, sign=1, skip_rests=True, method="bincount", clip=False, fractions=False, absolute=False
):
    pitches = np.asarray(pitches, np.int64)
    if skip_rests:
        pitches = pitches[pitches != REST]
    steps = sign * (pitches[1:] - pitches[:-1])
    if clip:
        steps = np.clip(steps, -max_interval, max_interval)
    m = max_interval
    if absolute:
        steps = np.abs(steps)
        counts = np.bincount(steps[steps <= m], minlength=m + 1)
    elif method == "edges":
        counts = np.histogram(steps, bins=np.arange(-m, m + 1))[0]
    elif method == "centred":
        counts = np.histogram(steps, bins=np.arange(-m, m + 2) - 0.5)[0]
    elif method == "loop":
        counts = [0] * (2 * m + 1)
        for step in steps:
            if -m <= step <= m:
                counts[step + m] += 1
    else:
        kept = steps[np.abs(steps) <= m]
        counts = np.bincount(kept + m, minlength=2 * m + 1)
    if fractions:
        counts = np.asarray(counts) / max(np.sum(counts), 1)
    return counts


def student_hz(pitches, *, a4=69, precedence=False, scale=440.0):
    pitches = np.asarray(pitches, np.float64)
    if precedence:
        return scale * 2 ** (pitches - a4) / 12
    return scale * 2 ** ((pitches - a4) / 12)


def student_synth(
    pitches,
    durations,
    tempo=120,
    rate=8000,
    *,
    hz=student_hz,
    envelope=True,
    rest_tone=False,
    ignore_tempo=False,
    partials=(1.0, 0.5, 0.25),
    gain=0.3,
    stereo=False,
):
    pieces = []
    for pitch, duration in zip(pitches, durations):
        seconds = duration if ignore_tempo else duration * 60 / tempo
        n = int(round(seconds * rate))
        t = np.arange(n) / rate
        if pitch == REST and not rest_tone:
            pieces.append(np.zeros(n))
            continue
        f = float(hz(pitch))
        tone = sum(a * np.sin(2 * np.pi * (j + 1) * f * t) for j, a in enumerate(partials))
        if envelope:
            tone = tone * np.minimum(1.0, np.minimum(t / 0.01, (n - 1 - np.arange(n)) / (0.2 * n)))
        pieces.append(gain * tone)
    wave = np.concatenate(pieces).astype(np.float32)
    return np.stack([wave, wave], axis=1) if stereo else wave


def student_bigram(
    sequences, vocab_size, k, *, buffered=False, boundaries=False, axis=1, denominator="full", loop=False
):
    counts = np.zeros((vocab_size, vocab_size))
    if boundaries:
        sequences = [np.concatenate([np.asarray(s) for s in sequences])]
    for s in sequences:
        s = np.asarray(s, np.int64)
        if loop:
            for a, b in zip(s[:-1], s[1:]):
                counts[a, b] += 1
        elif buffered:
            counts[s[:-1], s[1:]] += 1
        else:
            np.add.at(counts, (s[:-1], s[1:]), 1)
    if denominator == "total":
        return (counts + k) / (counts.sum() + k * vocab_size**2)
    if denominator == "counts":
        with np.errstate(invalid="ignore", divide="ignore"):
            return (counts + k) / counts.sum(axis=axis, keepdims=True)
    return (counts + k) / (counts.sum(axis=axis, keepdims=True) + k * vocab_size)


def student_nll(
    P,
    sequences,
    *,
    log=np.log,
    per_melody=False,
    total=False,
    transposed=False,
    boundaries=False,
    perplexity=False,
    negative=True,
):
    P = np.asarray(P)
    if boundaries:
        sequences = [np.concatenate([np.asarray(s) for s in sequences])]
    logs = []
    for s in sequences:
        s = np.asarray(s, np.int64)
        logs.append(log(P[s[1:], s[:-1]] if transposed else P[s[:-1], s[1:]]))
    if per_melody:
        value = -np.mean([np.mean(x) for x in logs])
    elif total:
        value = -np.sum(np.concatenate(logs))
    else:
        value = -np.mean(np.concatenate(logs))
    if perplexity:
        return float(np.exp(value))
    return float(value if negative else -value)


def student_sample(
    P,
    first,
    length,
    temperature=1.0,
    rng=None,
    *,
    method="choice",
    salt=0,
    rule="power",
    greedy=False,
    global_rng=False,
    extra=0,
    in_place=False,
    condition=True,
):
    rng = np.random.default_rng() if rng is None else rng
    rng.random(salt)  # another random stream, as another seed would give
    P = np.asarray(P)
    tokens = [int(first)]
    for _ in range(length - 1 + extra):
        row = P[tokens[-1]] if condition else P[first]
        with np.errstate(divide="ignore"):
            if rule == "inverse":
                weights = row**temperature
            elif rule == "logits":
                weights = np.exp(row / temperature)
            elif rule == "ignored":
                weights = row.copy()
            else:
                weights = np.exp(np.log(row) / temperature)
        if in_place:
            row /= row.sum()
        q = weights / weights.sum()
        if greedy:
            tokens.append(int(np.argmax(q)))
        elif global_rng:
            tokens.append(int(np.random.choice(len(q), p=q)))
        elif method == "cdf":
            tokens.append(int(min(np.searchsorted(np.cumsum(q), rng.random(), side="right"), len(q) - 1)))
        else:
            tokens.append(int(rng.choice(len(q), p=q)))
    return np.array(tokens)


def with_options(function, **options):
    return lambda *args, **kwargs: function(*args, **kwargs, **options)


# --------------------------------------------------------------------------- tokens


def test_a_correct_encoder_and_decoder_pass():
    assert run("melody.encode", student_encode, student_decode) is None
    assert run("melody.encode", with_options(student_encode, as_list=True), student_decode) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"offset": 0}, "Without the + 1, LOWEST and a rest"),
        ({"layout": "duration"}, "in the wrong order"),
        ({"rest": "midi", "check_range": False}, "used the MIDI number as the pitch slot"),
        ({"rest": "last"}, "The rest has the last pitch slot"),
        ({"check_range": False}, "a pitch above HIGHEST (85) returned a token: raise ValueError"),
    ],
)
def test_encoder_mistakes_are_named(options, phrase):
    message = run("melody.encode", with_options(student_encode, **options), student_decode)
    assert message and phrase in message, message


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"swap": True}, "splits the token by the number of pitch slots"),
        ({"offset": 0}, "forgets the − 1"),
        ({"rest": False}, "reads pitch slot 0 as a pitch"),
    ],
)
def test_decoder_mistakes_are_named(options, phrase):
    message = run("melody.encode", student_encode, with_options(student_decode, **options))
    assert message and phrase in message, message


def test_an_encoder_that_raises_another_error_or_a_decoder_of_one_array_is_named():
    def asserting(pitches, durations):
        assert np.all((np.asarray(pitches) == REST) | (np.asarray(pitches) <= HIGHEST)), "too high"
        return student_encode(pitches, durations, check_range=False)

    message = run("melody.encode", asserting, student_decode)
    assert message and "raised AssertionError: raise ValueError" in message, message
    message = run("melody.encode", student_encode, lambda t: student_decode(t)[0])
    assert message and "two arrays, `(pitches, durations)`" in message, message


def test_the_vocabulary_gives_every_note_one_token_and_decodes_back():
    assert VOCAB_SIZE == 38 * 8 == 304
    pitches = np.repeat([REST, *range(LOWEST, HIGHEST + 1)], NUM_DURATIONS)
    durations = np.tile(DURATIONS, HIGHEST - LOWEST + 2)
    tokens = melody.ref_encode(pitches, durations)
    np.testing.assert_array_equal(np.sort(tokens), np.arange(VOCAB_SIZE))
    back = melody.ref_decode(tokens)
    np.testing.assert_array_equal(back[0], pitches)
    np.testing.assert_array_equal(back[1], durations)
    assert melody.ref_encode([REST, LOWEST, HIGHEST], [1.0, 0.25, 4.0]).tolist() == [3, 8, 303]


# --------------------------------------------------------------------------- transposition


def test_a_correct_transpose_passes():
    assert run("melody.transpose", student_transpose) is None
    assert run("melody.transpose", with_options(student_transpose, as_float=True)) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"rests": "move"}, "You moved the rests too: a rest"),
        ({"rests": "checked"}, "a rest (0 + semitones) is outside the range"),
        ({"sign": -1}, "You transposed the wrong way"),
        ({"edge": "clip"}, "You clipped the notes"),
        ({"edge": "fold"}, "You folded the notes"),
        ({"edge": "none"}, "no ValueError was raised"),
        ({"in_place": True}, "changed the array it was given"),
    ],
)
def test_transpose_mistakes_are_named(options, phrase):
    message = run("melody.transpose", with_options(student_transpose, **options))
    assert message and phrase in message, message


def test_transposition_keeps_every_interval_of_the_chorales():
    for m in _melodies.load_chorales(CSV)[:40]:
        for shift in (-5, 3, 6):
            try:
                moved = melody.ref_transpose(m.pitches, shift)
            except ValueError:
                assert m.pitches.max() + shift > HIGHEST or m.pitches[m.pitches > 0].min() + shift < LOWEST
                continue
            np.testing.assert_array_equal(moved == REST, m.pitches == REST)
            np.testing.assert_array_equal(
                melody.ref_interval_histogram(moved), melody.ref_interval_histogram(m.pitches)
            )


# --------------------------------------------------------------------------- intervals


@pytest.mark.parametrize("method", ["bincount", "centred", "loop"])
def test_a_correct_interval_histogram_passes(method):
    assert run("melody.intervals", with_options(student_histogram, method=method)) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"sign": -1}, "The steps have the wrong sign"),
        ({"skip_rests": False}, "You took steps to and from the rests"),
        ({"clip": True}, "in the end bins: leave them out"),
        ({"fractions": True}, "You returned fractions"),
        ({"method": "edges"}, "has 24 bins, expected 2 · max_interval + 1 = 25"),
        ({"absolute": True}, "you counted |step|"),
    ],
)
def test_interval_mistakes_are_named(options, phrase):
    message = run("melody.intervals", with_options(student_histogram, **options))
    assert message and phrase in message, message


def test_an_interval_histogram_that_ignores_max_interval_is_caught():
    message = run("melody.intervals", lambda p, max_interval=12: student_histogram(p, 12))
    assert message and "max_interval=5" in message, message


def test_the_interval_reference_counts_like_a_counter_and_the_chorales_move_by_steps():
    chorales = _melodies.load_chorales(CSV)
    total = sum(melody.ref_interval_histogram(m.pitches) for m in chorales)
    counter = Counter()
    for m in chorales:
        notes = [int(p) for p in m.pitches if p != REST]
        counter.update(b - a for a, b in zip(notes, notes[1:]) if abs(b - a) <= 12)
    assert total.tolist() == [counter[s] for s in range(-12, 13)]
    steps = total[10:15].sum() / total.sum()
    assert 0.8 < steps < 0.9  # 85 % of the chorales' steps are within ±2 semitones
    assert total[12 - 2] > total[12 + 2]  # and they fall by a whole step more often than they rise


# --------------------------------------------------------------------------- sound


def test_a_correct_synthesizer_passes():
    assert run("melody.synth", student_hz, student_synth) is None
    pure = with_options(student_synth, partials=(1.0,), gain=0.9)
    assert run("melody.synth", student_hz, pure) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"a4": 60}, "You put 440 Hz at MIDI 60"),
        ({"precedence": True}, "Operator precedence"),
        ({"scale": 1.0}, "You returned the ratio to A4"),
    ],
)
def test_frequency_mistakes_are_named(options, phrase):
    wrong = with_options(student_hz, **options)
    message = run("melody.synth", wrong, student_synth)
    assert message and phrase in message, message


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"hz": with_options(student_hz, a4=60)}, "2^(9/12) too high"),
        ({"envelope": False}, "which clicks"),
        ({"rest_tone": True}, "the rest is not silent"),
        ({"ignore_tempo": True}, "d · 60 / tempo seconds"),
        ({"partials": (0.3, 1.0)}, "That is an overtone"),
        ({"gain": 2.0}, "keep the samples within [−1, 1]"),
        ({"stereo": True}, "a 1-D array of samples"),
    ],
)
def test_synthesizer_mistakes_are_named(options, phrase):
    message = run("melody.synth", student_hz, with_options(student_synth, **options))
    assert message and phrase in message, message


def test_the_frequencies_and_the_spectral_peak_are_right():
    np.testing.assert_allclose(melody.ref_midi_to_hz([69, 60, 81, 57]), [440.0, 261.6255653, 880.0, 220.0])
    for hz, n, rate in ((261.63, 2000, 8000), (523.25, 4000, 8000), (196.0, 10000, 16000)):
        tone = np.sin(2 * np.pi * hz * np.arange(n) / rate)
        assert abs(melody._peak_hz(tone, rate) - hz) < rate / n / 4
    assert melody.note_lengths([1.0, 0.5], 96, 16000).tolist() == [10000, 5000]


# --------------------------------------------------------------------------- the hidden check


def test_the_hidden_check_passes_a_correct_student_and_names_a_mistake_without_the_inputs():
    assert run("melody.hidden", student_encode, student_decode, student_transpose, student_histogram) is None
    cases = [
        ({"transpose": with_options(student_transpose, edge="clip")}, "You clipped"),
        ({"transpose": with_options(student_transpose, rests="move")}, "You moved the rests"),
        ({"histogram": with_options(student_histogram, sign=-1)}, "wrong sign"),
        ({"encode": with_options(student_encode, offset=0)}, "Without the + 1"),
        ({"decode": with_options(student_decode, rest=False)}, "slot 0 as a pitch"),
    ]
    for swap, phrase in cases:
        functions = {
            "encode": student_encode,
            "decode": student_decode,
            "transpose": student_transpose,
            "histogram": student_histogram,
        }
        functions.update(swap)
        message = run("melody.hidden", *functions.values())
        assert message and phrase in message and "hidden" in message, message
        assert not re.search(r"\[-?\d+(\.\d+)?, ", message), message  # no values of the hidden inputs


def test_the_hidden_melodies_have_rests_and_reach_the_edges():
    assert all(any(p == REST for p in pitches) for pitches, _ in melody.HIDDEN_NOTES)
    raising = [s for _, p, s in melody.HIDDEN_TRANSPOSE if melody._expected_transpose(p, s) is None]
    assert 3 <= len(raising) <= len(melody.HIDDEN_TRANSPOSE) - 5
    assert {w for _, _, w in melody.HIDDEN_INTERVALS} == {3, 12}


# --------------------------------------------------------------------------- the bigram


def test_a_correct_bigram_passes():
    assert run("note_lm.bigram", student_bigram) is None
    assert run("note_lm.bigram", with_options(student_bigram, loop=True)) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"buffered": True}, "`C[a, b] += 1` with index arrays"),
        ({"boundaries": True}, "from the last note of one melody to the first note of the next"),
        ({"axis": 0}, "You normalised the columns"),
        ({"denominator": "counts"}, "The denominator lacks k · V"),
        ({"denominator": "total"}, "divided by the number of all transitions"),
    ],
)
def test_bigram_mistakes_are_named(options, phrase):
    message = run("note_lm.bigram", with_options(student_bigram, **options))
    assert message and phrase in message, message


def dictionary_bigram(sequences, V, k):
    counts = Counter((int(a), int(b)) for s in sequences for a, b in zip(s[:-1], s[1:]))
    totals = Counter()
    for (a, _), n in counts.items():
        totals[a] += n
    return np.array([[(counts[(a, b)] + k) / (totals[a] + k * V) for b in range(V)] for a in range(V)])


def test_the_bigram_reference_agrees_with_dictionary_counts_and_beats_the_unigram_on_held_out_chorales():
    for _, sequences, V, k in note_lm.BIGRAM_CASES:
        np.testing.assert_allclose(note_lm.ref_note_bigram(sequences, V, k), dictionary_bigram(sequences, V, k))
    training, held_out = note_lm._fixture_pitches()
    P = note_lm.ref_note_bigram(training, note_lm.FIXTURE_V, note_lm.FIXTURE_K)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    counts = np.bincount(np.concatenate(training), minlength=note_lm.FIXTURE_V) + note_lm.FIXTURE_K
    unigram = np.tile(counts / counts.sum(), (note_lm.FIXTURE_V, 1))
    bigram, baseline = note_lm.ref_note_nll(P, held_out), note_lm.ref_note_nll(unigram, held_out)
    assert bigram < baseline - 0.5, (bigram, baseline)  # ≈ 1.7 against ≈ 2.5 nats


# --------------------------------------------------------------------------- the NLL


def test_a_correct_nll_passes():
    assert run("note_lm.nll", student_nll) is None
    assert run("note_lm.nll", lambda P, s: np.float32(student_nll(P, s))) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"log": np.log2}, "You took log2"),
        ({"total": True}, "You returned the sum"),
        ({"transposed": True}, "You read P[next, previous]"),
        ({"boundaries": True}, "You scored the step from the last note"),
        ({"perplexity": True}, "You returned the perplexity"),
        ({"negative": False}, "which is negative"),
    ],
)
def test_nll_mistakes_are_named(options, phrase):
    message = run("note_lm.nll", with_options(student_nll, **options))
    assert message and phrase in message, message


def test_a_mean_of_melody_means_is_named_and_so_is_a_nan_from_a_one_note_melody():
    message = run("note_lm.nll", with_options(student_nll, per_melody=True))
    assert message and "You averaged each melody's mean" in message, message

    def weighted(P, sequences):  # the corpus mean as a weighted mean of melody means: NaN for one note
        means = [np.mean(np.log(P[s[:-1], s[1:]])) for s in map(np.asarray, sequences)]
        return float(-np.average(means, weights=[len(s) - 1 for s in sequences]))

    with np.errstate(all="ignore"):
        message = run("note_lm.nll", weighted)
    assert message and "a melody of one note has no transition" in message, message


def test_the_nll_reference_is_a_loop_over_transitions():
    for _, P, sequences in note_lm.NLL_CASES:
        steps = [(a, b) for s in sequences for a, b in zip(s[:-1], s[1:])]
        expected = -sum(math.log(P[a, b]) for a, b in steps) / len(steps)
        assert note_lm.ref_note_nll(P, sequences) == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------- sampling


@pytest.mark.parametrize("method", ["choice", "cdf"])
@pytest.mark.parametrize("salt", range(5))
def test_a_correct_sampler_passes_on_every_random_stream(method, salt):
    assert run("note_lm.sample", with_options(student_sample, method=method, salt=salt)) is None


@pytest.mark.parametrize("salt", range(5))
@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"rule": "inverse"}, "You raised P to the power T"),
        ({"rule": "logits"}, "softmax of P / T"),
        ({"rule": "ignored"}, "The temperature changes nothing"),
        ({"greedy": True}, "Every step took the most likely token"),
        ({"global_rng": True}, "not from `np.random`"),
        ({"extra": 1}, "`length` tokens, `first` included"),
        ({"condition": False}, "drawn from the row of the token before it"),
        ({"in_place": True}, "changed the `P` it was given"),
    ],
)
def test_sampling_mistakes_are_named_on_every_random_stream(options, phrase, salt):
    message = run("note_lm.sample", with_options(student_sample, salt=salt, **options))
    assert message and phrase in message, message


def test_the_tempered_reference_is_the_softmax_of_log_probabilities_over_t():
    for T in note_lm.CHAIN_TEMPERATURES:
        logits = np.log(note_lm.CHAIN) / T
        softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(note_lm.ref_tempered(note_lm.CHAIN, T), softmax)
    # each wrong rule is, at one of the temperatures at least, twice the tolerance from the right one
    for rule in ("inverse", "logits", "ignored"):
        gaps = [
            np.abs(note_lm.ref_tempered(note_lm.CHAIN, T, rule=rule) - note_lm.ref_tempered(note_lm.CHAIN, T)).max()
            for T in note_lm.CHAIN_TEMPERATURES
        ]
        assert max(gaps) > 2 * note_lm.CHAIN_TOLERANCE, (rule, gaps)


# --------------------------------------------------------------------------- music


@pytest.mark.parametrize("method", ["choice", "cdf"])
@pytest.mark.parametrize("salt", range(5))
def test_sampled_chorale_melodies_stay_in_g_major_on_every_random_stream(method, salt):
    assert run("note_lm.music", student_bigram, with_options(student_sample, method=method, salt=salt)) is None


@pytest.mark.parametrize("salt", range(5))
def test_a_temperature_that_flattens_or_a_transposed_bigram_strays_from_the_key(salt):
    message = run("note_lm.music", student_bigram, with_options(student_sample, rule="inverse", salt=salt))
    assert message and "are in G major" in message and "fix that first" in message, message
    message = run("note_lm.music", with_options(student_bigram, axis=0), with_options(student_sample, salt=salt))
    assert message and ("are in G major" in message or "within an octave" in message), message


def test_the_g_major_chorales_are_in_their_key_and_move_within_an_octave():
    training, held_out = note_lm._fixture_pitches()
    in_scale, within = note_lm.melody_statistics(training + held_out)
    assert in_scale > 0.97 and within == 1.0


# --------------------------------------------------------------------------- the data


def test_the_chorale_file_is_the_one_its_readme_describes():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert hashlib.sha256(CSV.read_bytes()).hexdigest() in readme
    assert "music21" in readme and "public domain" in readme.lower() and "BSD" in readme
    assert CSV.stat().st_size <= 300_000
    rows = list(csv.DictReader(CSV.open(encoding="utf-8")))
    assert len(rows) == 345
    everything = _melodies.load_chorales(CSV, only_vocabulary=False)
    assert len(everything) == 345 and all(len(m.pitches) == len(m.durations) for m in everything)
    assert len(_melodies.load_chorales(CSV)) == 326
    assert {m.mode for m in everything} == {"major", "minor"}


def test_the_checks_chorales_are_the_g_major_rows_of_the_file():
    in_g = [m for m in _melodies.load_chorales(CSV) if (m.tonic, m.mode) == (7, "major")]
    training, held_out = _melodies.g_major_chorales()
    assert len(training) == 27 and len(held_out) == _melodies.FIXTURE_HELD_OUT == 7
    assert [m.name for m in in_g] == [m.name for m in training + held_out]
    for a, b in zip(in_g, training + held_out):
        np.testing.assert_array_equal(a.pitches, b.pitches)
        np.testing.assert_array_equal(a.durations, b.durations)


def test_generated_melodies_are_seeded_and_fit_the_vocabulary():
    first, again = _melodies.generated_melodies(20, seed=3), _melodies.generated_melodies(20, seed=3)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.pitches, b.pitches)
    assert all(_melodies.in_vocabulary(m) for m in first)
    assert any(np.any(m.pitches == REST) for m in first)
    steps = sum(melody.ref_interval_histogram(m.pitches) for m in first)
    assert steps[10:15].sum() / steps.sum() > 0.6


# --------------------------------------------------------------------------- editions


def test_the_probe_editions_hold_no_reference_and_the_data_module_is_a_plain_helper(tmp_path):
    folder = Path(melody.__file__).parent
    assert _edition.leaks(ast.parse((folder / "_melodies.py").read_text(encoding="utf-8"))) == []
    _edition.write_package(tmp_path, modules={"music_tracking"})
    for name in ("melody.py", "note_lm.py"):
        text = (tmp_path / "music_tracking" / name).read_text(encoding="utf-8")
        assert "np.add.at(counts" not in text and "DURATIONS.index(float(d))" not in text, name
        assert ".verify" not in text, name
    visible = _edition.visible_edition((folder / "melody.py").read_text(encoding="utf-8"))
    assert "HIDDEN_NOTES" not in visible and "generated_melodies" not in visible


# --------------------------------------------------------------------------- Persian


def test_every_piece_of_the_music_checks_has_a_persian_twin_with_the_same_fields():
    import yaml

    from autograder.authoring.translations import pieces_of
    from autograder.checks import _translate

    folder = Path(melody.__file__).parent
    catalog = {}
    for name in ("fa.yml",):
        if (folder / name).is_file():
            catalog.update(yaml.safe_load((folder / name).read_text(encoding="utf-8")) or {})
    pieces = [p for m in ("_melodies.py", "melody.py", "note_lm.py") for p in pieces_of((folder / m).read_text())]
    assert [p for p in pieces if not catalog.get(p)] == []
    for piece in pieces:
        assert sorted(_translate.FIELD.findall(piece)) == sorted(_translate.FIELD.findall(catalog[piece])), piece


def test_a_sampler_that_underflows_at_a_small_temperature_is_named():
    def unshifted(P, first, length, temperature=1.0, rng=None):  # exp(z + max z): 0 / 0 at T = 0.001
        tokens = [int(first)]
        for _ in range(length - 1):
            with np.errstate(divide="ignore"):
                z = np.log(P[tokens[-1]]) / temperature
            q = np.exp(z + z.max())
            tokens.append(int(rng.choice(len(q), p=q / q.sum())))
        return np.array(tokens)

    message = run("note_lm.sample", unshifted)
    assert message and "T = 0.001" in message and "subtract the largest before exp" in message, message


def test_a_note_that_drops_to_silence_in_one_sample_clicks():
    def abrupt(pitches, durations, tempo=120, rate=8000):  # the envelope falls from 1 to 0 at the last sample
        pieces = []
        for pitch, duration in zip(pitches, durations):
            n = int(round(duration * 60 / tempo * rate))
            t = np.arange(n) / rate
            if pitch == REST:
                pieces.append(np.zeros(n))
                continue
            envelope = np.minimum(1.0, np.minimum(t / 0.01, (n - 1 - np.arange(n)) * n))
            pieces.append(0.4 * np.sin(2 * np.pi * student_hz(pitch) * t) * envelope)
        return np.concatenate(pieces)

    message = run("melody.synth", student_hz, abrupt)
    assert message and "jumps by" in message and "clicks" in message, message
