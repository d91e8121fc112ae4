"""``note_lm.*``: the next-note language model — an add-k bigram over note tokens, its negative
log-likelihood, and sampling with a temperature (deck topics 11 and 15).

* **The bigram.** ``note_bigram(sequences, vocab_size, k)``: C[a, b] counts the transitions a → b
  *within* each melody; P[a, b] = (C[a, b] + k) / (Σ_b' C[a, b'] + k · V), so every row is a
  distribution over the next token (a context never seen gives the uniform row).
* **The NLL.** ``note_nll(P, sequences)`` = −(1/N) Σ log P[a_t, a_{t+1}] over the N transitions of
  all the melodies (a corpus mean; a melody of one note adds none), in nats. Its exponential is the
  perplexity.
* **Sampling.** ``sample_melody(P, first, length, temperature, rng)``: ``length`` tokens starting
  with ``first``, each next one drawn with ``rng`` from q ∝ P[previous]^(1/temperature) (the
  softmax of log P / T): T < 1 sharpens the distribution, T > 1 flattens it.
* **Music.** A bigram over the pitches of the chorales in G major, sampled at T = 0.5, writes
  melodies whose notes are (nearly all) in G major and move by less than an octave.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import expect
from .._core import Fail, new, returned
from ._melodies import REST, g_major_chorales, scale

# --------------------------------------------------------------------------- references


def ref_note_bigram(sequences, vocab_size, k, *, buffered=False, boundaries=False, axis=1, denominator="full"):
    """The reference P (V, V); each keyword argument turns on one known mistake (``BIGRAM_MISTAKES``).

    Args:
        buffered: ``C[a, b] += 1`` with index arrays (a pair that repeats counts once).
        boundaries: the melodies concatenated (a transition from one melody to the next counted).
        axis: 0 normalises the columns.
        denominator: ``"full"`` (row count + k·V), ``"counts"`` (without k·V), ``"total"`` (all
            transitions + k·V², a joint distribution).
    """
    V = int(vocab_size)
    counts = np.zeros((V, V))
    melodies = [np.asarray(s, np.int64).reshape(-1) for s in sequences]
    if boundaries:
        melodies = [np.concatenate(melodies)]
    for s in melodies:
        if buffered:
            counts[s[:-1], s[1:]] += 1
        else:
            np.add.at(counts, (s[:-1], s[1:]), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if denominator == "total":
            return (counts + k) / (counts.sum() + k * V * V)
        if denominator == "counts":
            return (counts + k) / counts.sum(axis=axis, keepdims=True)
        return (counts + k) / (counts.sum(axis=axis, keepdims=True) + k * V)


def ref_note_nll(P, sequences, *, log=np.log, average="transitions", transposed=False, boundaries=False, output="nll"):
    """The reference NLL; each keyword argument turns on one known mistake (``NLL_MISTAKES``):
    ``average`` ``"melodies"`` (the mean of each melody's mean) or ``"sum"``, ``transposed`` reads
    P[b, a], ``boundaries`` scores the steps between melodies, ``output`` ``"perplexity"`` or
    ``"log"`` (the mean log-probability, negative)."""
    P = np.asarray(P, np.float64)
    melodies = [np.asarray(s, np.int64).reshape(-1) for s in sequences]
    if boundaries:
        melodies = [np.concatenate(melodies)]
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of a one-note melody's no steps
        logs = [log(P[s[1:], s[:-1]] if transposed else P[s[:-1], s[1:]]) for s in melodies]
        if average == "melodies":
            value = -float(np.mean([np.mean(x) for x in logs]))
        elif average == "sum":
            value = -float(np.sum(np.concatenate(logs)))
        else:
            value = -float(np.mean(np.concatenate(logs)))
    if output == "perplexity":
        return float(np.exp(value))
    return -value if output == "log" else value


def ref_tempered(P, temperature, *, rule="power"):
    """Each row's sampling distribution at ``temperature``; ``rule`` turns on one known mistake:
    ``"power"`` (P^(1/T), right), ``"inverse"`` (P^T), ``"logits"`` (softmax(P / T): the
    probabilities taken for logits), ``"ignored"`` (P itself)."""
    P = np.asarray(P, np.float64)
    with np.errstate(divide="ignore"):
        if rule == "inverse":
            w = P**temperature
        elif rule == "logits":
            w = np.exp((P - P.max(axis=1, keepdims=True)) / temperature)
        elif rule == "ignored":
            w = P.copy()
        else:
            w = P ** (1.0 / temperature)
    return w / w.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------- the bigram

BIGRAM_CASES = (
    ("two melodies over 4 tokens, one with a pair that repeats", ([0, 1, 1, 1, 2, 1, 1], [2, 3, 0]), 4, 0.5),
    ("one melody in which tokens 1 and 3 never start a transition", ([0, 2, 0, 2, 1],), 4, 1.0),
)
FIXTURE_V, FIXTURE_K = 128, 0.01  # pitches as tokens (MIDI numbers, 0 = rest)

BIGRAM_MISTAKES = (
    (
        dict(buffered=True),
        "A pair that occurs several times in a melody was counted once: `C[a, b] += 1` with index arrays adds 1 "
        "once per distinct pair (NumPy buffers it). Use `np.add.at(C, (a, b), 1)` or a loop over the pairs.",
    ),
    (
        dict(boundaries=True),
        "You counted a transition from the last note of one melody to the first note of the next: count the "
        "pairs within each melody only.",
    ),
    (
        dict(axis=0),
        "You normalised the columns: P[a, b] = p(next = b | previous = a), so each *row* sums to 1 (`axis=1`).",
    ),
    (
        dict(denominator="counts"),
        "The denominator lacks k · V: with k added to each of the row's V counts, divide by the row's total plus "
        "k · V, or the row does not sum to 1 (and a row never seen is 0/0).",
    ),
    (
        dict(denominator="total"),
        "You divided by the number of all transitions: P[a, b] is conditional on a, so divide each row by its "
        "own total plus k · V.",
    ),
)
BIGRAM_FALLBACK = "C[a, b] counts a → b within each melody; P = (C + k) / (C.sum(axis=1, keepdims=True) + k · V)."

bigram = new(
    "note_lm.bigram",
    1,
    "`note_bigram`: P[a, b] = (C[a, b] + k) / (Σ_b C[a, b] + k·V) from the transitions within each melody, "
    "on small cases and on the G-major chorales",
)


def _fixture_pitches():
    training, held_out = g_major_chorales()
    return [m.pitches.copy() for m in training], [m.pitches.copy() for m in held_out]


@bigram.probe
def _(note_bigram):
    record = {}
    for i, (_, sequences, V, k) in enumerate(BIGRAM_CASES):
        seqs = [np.array(s, np.int64) for s in sequences]
        record[f"case{i}"] = returned(note_bigram(seqs, V, k), "`note_bigram`")
    training, held_out = _fixture_pitches()
    P = np.asarray(returned(note_bigram(training, FIXTURE_V, FIXTURE_K), "`note_bigram`"), np.float64)
    if P.shape != (FIXTURE_V, FIXTURE_V):
        raise Fail(
            f"`note_bigram` on the chorales' pitches (V = {FIXTURE_V}) has shape {P.shape}, expected "
            f"({FIXTURE_V}, {FIXTURE_V})."
        )
    steps = np.concatenate([np.stack([s[:-1], s[1:]]) for s in held_out], axis=1)
    record["held_out"] = P[steps[0], steps[1]]
    record["row_sums"] = P.sum(axis=1)
    return record


def _verify_bigram(got, sequences, V, k, what, *, tolerance=1e-6):
    got = np.asarray(got, np.float64)
    if got.shape != (V, V):
        raise Fail(f"{what} has shape {got.shape}, expected (V, V) = ({V}, {V}): row = previous token, column = next.")
    expected = ref_note_bigram(sequences, V, k)
    hint = ""
    for options, text in BIGRAM_MISTAKES:
        if expect.matches(got, ref_note_bigram(sequences, V, k, **options), rtol=tolerance, atol=1e-9, equal_nan=True):
            hint = text
            break
    expect.close(got, expected, what, hint or BIGRAM_FALLBACK, rtol=tolerance, atol=1e-9)


@bigram.verify
def _(r):
    for i, (name, sequences, V, k) in enumerate(BIGRAM_CASES):
        _verify_bigram(r[f"case{i}"], sequences, V, k, f"`note_bigram` on {name} (V = {V}, k = {k:g})")
    training, held_out = _fixture_pitches()
    expected = ref_note_bigram(training, FIXTURE_V, FIXTURE_K)
    what = f"`note_bigram` on the pitches of the 27 training chorales in G major (V = {FIXTURE_V}, k = {FIXTURE_K:g})"
    sums = np.asarray(r["row_sums"], np.float64)
    expect.close(
        sums,
        np.ones(FIXTURE_V),
        f"the row sums of {what}",
        "Every row of P is a distribution: it sums to 1.",
        rtol=1e-6,
        atol=1e-6,
    )
    steps = np.concatenate([np.stack([s[:-1], s[1:]]) for s in held_out], axis=1)
    got, want = np.asarray(r["held_out"], np.float64), expected[steps[0], steps[1]]
    if got.shape != want.shape or not expect.matches(got, want, rtol=1e-6, atol=1e-12):
        with np.errstate(divide="ignore", invalid="ignore"):
            mine, ours = -np.mean(np.log(got)), -np.mean(np.log(want))
        raise Fail(
            f"{what} gives other probabilities to the held-out chorales' transitions: their NLL is {mine:.4f} "
            f"nats with yours, {ours:.4f} with the reference. {BIGRAM_FALLBACK}"
        )


# --------------------------------------------------------------------------- the NLL


def _dirichlet(V, seed):
    return np.random.default_rng(seed).dirichlet(np.ones(V), size=V)


NLL_CASES = (
    ("two melodies of 7 and 3 notes over 5 tokens", _dirichlet(5, 31), ([0, 1, 2, 3, 4, 4, 1], [3, 3, 0])),
    ("two melodies of 7 and 4 notes over 6 tokens", _dirichlet(6, 32), ([5, 0, 5, 0, 1, 2, 2], [1, 2, 3, 4])),
    ("a melody of 5 notes and a melody of one note (no transition)", _dirichlet(5, 33), ([4, 3, 1, 1, 0], [2])),
)

NLL_MISTAKES = (
    (
        dict(log=np.log2),
        "You took log2 (bits): the NLL here is in nats, `np.log`.",
    ),
    (
        dict(average="melodies"),
        "You averaged each melody's mean: the corpus NLL is the mean over all transitions of all melodies "
        "(a long melody weighs more than a short one).",
    ),
    (dict(average="sum"), "You returned the sum: divide by the number of transitions, N."),
    (
        dict(transposed=True),
        "You read P[next, previous]: the probability of b after a is P[a, b] (row = the previous token).",
    ),
    (
        dict(boundaries=True),
        "You scored the step from the last note of one melody to the first note of the next: take the "
        "transitions within each melody.",
    ),
    (dict(output="perplexity"), "You returned the perplexity exp(NLL): return the NLL itself."),
    (
        dict(output="log"),
        "You returned the mean log-probability, which is negative: the NLL is its negative.",
    ),
)
NLL_FALLBACK = "NLL = −mean of log P[a_t, a_{t+1}] over every transition of every melody."

nll = new(
    "note_lm.nll",
    1,
    "`note_nll`: −(1/N) Σ log P[a_t, a_{t+1}] over the N transitions of all the melodies, in nats",
)


@nll.probe
def _(note_nll):
    record = {}
    for i, (_, P, sequences) in enumerate(NLL_CASES):
        seqs = [np.array(s, np.int64) for s in sequences]
        record[f"case{i}"] = returned(note_nll(P.copy(), seqs), "`note_nll`")
    return record


@nll.verify
def _(r):
    for i, (name, P, sequences) in enumerate(NLL_CASES):
        got = np.asarray(r[f"case{i}"], np.float64).reshape(-1)
        what = f"`note_nll` on {name}"
        if got.size != 1:
            raise Fail(f"{what} returned {got.size} numbers: return one, the mean over all transitions.")
        if not np.isfinite(got[0]) and any(len(s) < 2 for s in sequences):
            raise Fail(
                f"{what} is {got[0]}: a melody of one note has no transition, so it adds nothing to the sum nor "
                "to the count (the mean of its empty list of steps is NaN)."
            )
        hint = next(
            (h for kw, h in NLL_MISTAKES if expect.matches(got[0], ref_note_nll(P, sequences, **kw), rtol=1e-6)),
            NLL_FALLBACK,
        )
        expect.close(got[0], ref_note_nll(P, sequences), what, hint, rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------- sampling

CYCLE_NEXT = (2, 3, 1, 0)  # 0 → 2 → 1 → 3 → 0
CYCLE = np.eye(4)[list(CYCLE_NEXT)]
CHAIN = np.array([[0.6, 0.3, 0.1], [0.15, 0.6, 0.25], [0.25, 0.1, 0.65]])
CHAIN_STEPS = 3000
CHAIN_TEMPERATURES = (1.0, 0.5, 2.0, 0.001)  # 0.001: log P / T near −500, where exp underflows unless shifted
CHAIN_TOLERANCE = 0.075  # the largest gap between a row's frequencies and its distribution (≥ 5 σ)

SAMPLE_RULES = (
    (
        "inverse",
        "You raised P to the power T: the temperature divides the log-probabilities, q ∝ P^(1/T), so T < 1 "
        "sharpens (the likely token gets likelier) and T > 1 flattens.",
    ),
    (
        "logits",
        "You took the softmax of P / T, as if the probabilities were logits: the softmax of log(P) / T, "
        "i.e. q ∝ P^(1/T).",
    ),
    (
        "ignored",
        "The temperature changes nothing: sample from q ∝ P[previous]^(1/T), renormalised, not from P itself.",
    ),
)

sample = new(
    "note_lm.sample",
    1,
    "`sample_melody`: `length` tokens from `first`, each drawn with `rng` from P[previous]^(1/T), renormalised",
)


def _sample(sample_melody, P, first, length, temperature, seed):
    out = sample_melody(P, first, length, temperature=temperature, rng=np.random.default_rng(seed))
    return returned(out, "`sample_melody`")


@sample.probe
def _(sample_melody):
    record = {}
    for i, temperature in enumerate((1.0, 0.7)):
        record[f"cycle{i}"] = _sample(sample_melody, CYCLE.copy(), 0, 9, temperature, 40 + i)
    chain = CHAIN.copy()
    for i, temperature in enumerate(CHAIN_TEMPERATURES):
        try:
            record[f"chain{i}"] = _sample(sample_melody, chain, 0, CHAIN_STEPS, temperature, 50 + i)
        except (ValueError, FloatingPointError, ZeroDivisionError) as error:  # NaN probabilities, 0 / 0
            if temperature >= 0.01:
                raise
            record[f"chain{i}"], record[f"chain{i}_error"] = [], f"{type(error).__name__}: {error}"
    record["P_unchanged"] = np.array_equal(chain, CHAIN)
    one, two, other = (np.asarray(_sample(sample_melody, CHAIN.copy(), 1, 60, 1.0, s)) for s in (60, 60, 61))
    record["same"] = one.shape == two.shape and np.array_equal(one, two)
    record["differs"] = not (one.shape == other.shape and np.array_equal(one, other))
    return record


def transition_frequencies(tokens, V):
    """(frequencies (V, V), visits (V,)): how often each token followed each other one."""
    tokens = np.asarray(tokens, np.int64).reshape(-1)
    counts = np.zeros((V, V))
    np.add.at(counts, (tokens[:-1], tokens[1:]), 1)
    visits = counts.sum(axis=1)
    return counts / np.maximum(visits, 1)[:, None], visits


def _tokens(got, V, length, what):
    got = np.asarray(got)
    if got.ndim != 1 or len(got) != length:
        raise Fail(f"{what} returned shape {got.shape}, expected ({length},): `length` tokens, `first` included.")
    if got.dtype.kind == "f" and np.all(got == np.round(got)):
        got = got.astype(np.int64)
    if got.dtype.kind not in "iu" or got.min() < 0 or got.max() >= V:
        raise Fail(f"{what} returned values that are not token ids 0 … {V - 1}: return the sampled tokens.")
    return got.astype(np.int64)


def _chain_outcomes(r):
    """For each chain case: (what, frequencies, visits, expected q, gap) of the recorded tokens."""
    outcomes = []
    for i, temperature in enumerate(CHAIN_TEMPERATURES):
        what = f"`sample_melody` on a 3-token chain at T = {temperature:g} ({CHAIN_STEPS} steps)"
        if r.get(f"chain{i}_error"):
            raise Fail(
                f"{what} raised {r[f'chain{i}_error']}. At a small temperature log P / T is near −500 and more, "
                "and exp of it underflows to 0 (then 0 / 0 is NaN): subtract the largest before exp, "
                "q ∝ exp(z − max z) with z = log P[previous] / T, or raise P to the power 1/T."
            )
        freq, visits = transition_frequencies(_tokens(r[f"chain{i}"], 3, CHAIN_STEPS, what), 3)
        q = ref_tempered(CHAIN, temperature)
        seen = visits >= 100
        outcomes.append((what, temperature, freq, seen, q, np.where(seen[:, None], np.abs(freq - q), 0.0)))
    return outcomes


def _chain_hint(outcomes) -> str:
    """The sampling rule that every chain case's frequencies fit, if it is a known mistake, else ""."""
    for rule, hint in SAMPLE_RULES:
        if all(
            np.max(np.where(seen[:, None], np.abs(freq - ref_tempered(CHAIN, t, rule=rule)), 0.0)) <= CHAIN_TOLERANCE
            for _, t, freq, seen, _, _ in outcomes
        ) and any(gap.max() > CHAIN_TOLERANCE for *_, gap in outcomes):
            return hint
    if all(np.max(freq, axis=1)[seen].min() == 1.0 for _, _, freq, seen, _, _ in outcomes):
        return "Every step took the most likely token: draw it at random, `rng.choice(V, p=q)`."
    return ""


@sample.verify
def _(r):
    expected = [0]
    for _ in range(8):
        expected.append(CYCLE_NEXT[expected[-1]])
    outcomes = _chain_outcomes(r)
    for i, temperature in enumerate((1.0, 0.7)):
        what = f"`sample_melody` on a cycle 0 → 2 → 1 → 3 → 0 (each row of P one-hot), T = {temperature:g}"
        got = _tokens(r[f"cycle{i}"], 4, 9, what)
        if got[0] != 0:
            raise Fail(f"{what} starts with {got[0]}: the melody starts with `first` (0 here).")
        if not np.array_equal(got, expected):
            hint = (
                _chain_hint(outcomes) or "Each next token is drawn from the row of the token before it, P[tokens[-1]]."
            )
            raise Fail(f"{what} returned {got.tolist()}, expected {expected}. {hint}")
    if not bool(r["P_unchanged"]):
        raise Fail("`sample_melody` changed the `P` it was given: compute the tempered row into a new array.")
    for what, temperature, freq, seen, q, gap in outcomes:
        if gap.max() <= CHAIN_TOLERANCE:
            continue
        a = int(np.unravel_index(np.argmax(gap), gap.shape)[0])
        hint = _chain_hint(outcomes) or "Draw each next token with `rng` from q = P[previous] ** (1 / T) / its sum."
        raise Fail(
            f"{what}: after token {a} the next tokens came with frequencies {np.round(freq[a], 2).tolist()}, "
            f"expected about {np.round(q[a], 2).tolist()} (P[{a}]^(1/T), renormalised). {hint}"
        )
    if not bool(r["same"]):
        raise Fail(
            "Two calls of `sample_melody` with the same seeded `rng` gave different melodies: draw every random "
            "number from the `rng` argument (`rng.choice(V, p=q)`), not from `np.random`."
        )
    if not bool(r["differs"]):
        raise Fail(
            "Two calls of `sample_melody` with differently seeded `rng`s gave the same melody: draw the tokens "
            "with the `rng` you are given."
        )


# --------------------------------------------------------------------------- music

MUSIC_SEEDS, MUSIC_LENGTH, MUSIC_TEMPERATURE, MUSIC_FIRST = (0, 1, 2, 3), 48, 0.5, 67  # G4
IN_SCALE_FLOOR, OCTAVE_FLOOR = 0.9, 0.95

music = new(
    "note_lm.music",
    1,
    "a pitch bigram of the G-major chorales, sampled at T = 0.5: ≥ 90 % of the notes in G major, ≥ 95 % of the "
    "steps within an octave",
)


@music.probe
def _(note_bigram, sample_melody):
    training, _ = _fixture_pitches()
    P = np.asarray(returned(note_bigram(training, FIXTURE_V, FIXTURE_K), "`note_bigram`"), np.float64)
    samples = [_sample(sample_melody, P, MUSIC_FIRST, MUSIC_LENGTH, MUSIC_TEMPERATURE, seed) for seed in MUSIC_SEEDS]
    return {f"sample{i}": s for i, s in enumerate(samples)}


def melody_statistics(samples, tonic=7, mode="major"):
    """(share of the notes in the key's scale, share of the steps within an octave) of melodies of
    MIDI pitches (rests skipped)."""
    notes, steps = [], []
    for s in samples:
        p = np.asarray(s, np.int64).reshape(-1)
        p = p[p != REST]
        notes.append(p)
        steps.append(np.diff(p))
    notes, steps = np.concatenate(notes), np.concatenate(steps)
    in_scale = float(np.mean(np.isin(notes % 12, scale(tonic, mode)))) if notes.size else 0.0
    within = float(np.mean(np.abs(steps) <= 12)) if steps.size else 0.0
    return in_scale, within


@music.verify
def _(r):
    samples = [
        _tokens(r[f"sample{i}"], FIXTURE_V, MUSIC_LENGTH, f"`sample_melody` on the chorales' bigram (seed {seed})")
        for i, seed in enumerate(MUSIC_SEEDS)
    ]
    in_scale, within = melody_statistics(samples)
    first = "If `note_lm.bigram` or `note_lm.sample` fails, fix that first."
    if in_scale < IN_SCALE_FLOOR:
        raise Fail(
            f"Of the notes your model samples at T = {MUSIC_TEMPERATURE:g} from the G-major chorales' pitch bigram, "
            f"{in_scale:.0%} are in G major (the chorales have 98 %): at least {IN_SCALE_FLOOR:.0%} expected. {first}"
        )
    if within < OCTAVE_FLOOR:
        raise Fail(
            f"Of the steps your model samples at T = {MUSIC_TEMPERATURE:g} from the G-major chorales' pitch bigram, "
            f"{within:.0%} are within an octave (the chorales' are all): at least {OCTAVE_FLOOR:.0%} expected. {first}"
        )
