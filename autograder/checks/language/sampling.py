"""``sampling.*``: drawing the next token from a model's logits at a temperature.

    p = softmax(z / T),   next ~ p   (drawn with the ``np.random.Generator`` given),   T = 0: argmax z

T = 1 draws from the model's own distribution; T < 1 sharpens it (T → 0 is greedy decoding), T > 1
flattens it (T → ∞ is uniform). Dividing the *logits* matters: softmax(z / T) ∝ p^(1/T), a power of
the probabilities, not p / T (which the normalisation undoes). softmax(z) = softmax(z − max z): with
the largest logit subtracted, exp never overflows (exp(1000 / 0.5) is inf in any float) and the
largest term is exp(0) = 1, so the sum never underflows to 0.

Different correct samplers (``rng.choice(V, p=p)``, the inverse CDF of ``rng.random()``, the Gumbel
trick) draw different tokens from the same seed, so the checks compare the *frequencies* of many
seeded draws with p: Pearson's χ² statistic, Σ (observed − expected)² / expected, is below
``CHI2_BOUND`` for a correct sampler (a chance of about 1 in 10⁶ that a right one exceeds it) and
in the hundreds for each known mistake.
"""

from __future__ import annotations

import numpy as np

from .._core import Fail, new, quoted_error, returned

CHI2_BOUND = 35.0  # P(χ²₄ > 35) ≈ 5·10⁻⁷; fewer degrees of freedom make it rarer still

LOGITS = np.array([1.2, 0.6, 0.0, -0.4, -0.9])
TEMPERATURES = (1.0, 0.5, 2.0)
DRAWS, DRAW_SEED = 1500, 801
GREEDY_CASES = ((np.array([0.3, 2.0, -1.0, 1.6]), 0.0), (np.array([-2.0, -0.5, -3.0]), 0.0))
GREEDY_COLD = (np.array([0.3, 2.0, -1.0, 1.6]), 0.01, 20)  # logits, T, draws: the gap 0.4 / 0.01 is e^−40


def softmax(z) -> np.ndarray:
    z = np.asarray(z, np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def ref_distribution(logits, temperature, *, mistake=None) -> np.ndarray:
    """The distribution the draws should follow; ``mistake`` names one of ``MISTAKES``."""
    logits = np.asarray(logits, np.float64)
    if mistake == "times":
        return softmax(logits * temperature)
    if mistake == "probabilities":
        return softmax(softmax(logits) / temperature)
    if mistake == "ignored":
        return softmax(logits)
    if mistake == "uniform":
        return np.full(len(logits), 1.0 / len(logits))
    if mistake == "greedy":
        return np.eye(len(logits))[int(np.argmax(logits))]
    return softmax(logits / temperature)


def chi_square(draws, p) -> float:
    """Pearson's χ² of the draws' counts against p (categories of p = 0 must be empty: else inf)."""
    draws = np.asarray(draws, np.int64)
    observed = np.bincount(draws, minlength=len(p)).astype(np.float64)
    expected = len(draws) * np.asarray(p, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected > 0, (observed - expected) ** 2 / expected, np.where(observed > 0, np.inf, 0.0))
    return float(terms.sum())


def draw_token(sample_next, logits, temperature, rng, size) -> int:
    """One call of the student's sampler, as an int (a probe helper)."""
    value = returned(sample_next(logits.copy(), temperature, rng), "`sample_next`")
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    if array.size != 1 or array.dtype.kind not in "iu":
        raise Fail(
            f"`sample_next` returned {array.size} value(s) of dtype {array.dtype}: return one token id, an int "
            "(`int(rng.choice(len(p), p=p))`)."
        )
    token = int(array.reshape(()))
    if not 0 <= token < size:
        raise Fail(f"`sample_next` returned the token id {token}: ids run from 0 to len(logits) − 1 = {size - 1}.")
    return token


# --------------------------------------------------------------------------- temperature

temperature = new(
    "sampling.temperature",
    1,
    "`sample_next(logits, T, rng)`: argmax at T = 0, and draws distributed as softmax(logits / T) at T = 1, 0.5 and 2",
)


@temperature.probe
def _(sample_next):
    record = {}
    for i, (logits, t) in enumerate(GREEDY_CASES):
        try:  # dividing by T = 0 raises in the draw: the verify explains it after the distributions
            record[f"greedy{i}"] = draw_token(sample_next, logits, t, np.random.default_rng(DRAW_SEED), len(logits))
            record[f"greedy_error{i}"] = ""
        except (Fail, NotImplementedError):  # an unwritten solution says so itself
            raise
        except Exception as exc:
            record[f"greedy{i}"], record[f"greedy_error{i}"] = -1, quoted_error(exc)
    logits, t, n = GREEDY_COLD
    rng = np.random.default_rng(DRAW_SEED)
    record["cold"] = np.asarray([draw_token(sample_next, logits, t, rng, len(logits)) for _ in range(n)], np.int64)
    for i, t in enumerate(TEMPERATURES):
        rng = np.random.default_rng(DRAW_SEED + 1 + i)
        record[f"draws{i}"] = np.asarray(
            [draw_token(sample_next, LOGITS, t, rng, len(LOGITS)) for _ in range(DRAWS)], np.int64
        )
    return record


MISTAKES = {
    "times": "You multiplied the logits by T: divide them, softmax(logits / T), so that T < 1 sharpens the "
    "distribution and T > 1 flattens it.",
    "probabilities": "You applied the temperature to the probabilities (softmax(softmax(z) / T)): divide the "
    "logits, softmax(z / T).",
    "ignored": "Your draws follow softmax(logits) whatever T is: divide the logits by T before the softmax.",
    "uniform": "Your draws are uniform over the tokens: draw with the probabilities, `rng.choice(len(p), p=p)`.",
    "greedy": "You always returned the argmax: that is T = 0 only; at T > 0 draw from softmax(logits / T).",
}


def _rounded(p) -> str:
    return "[" + ", ".join(f"{x:.3f}" for x in np.asarray(p, np.float64)) + "]"


def _frequencies(draws, size) -> str:
    return _rounded(np.bincount(np.asarray(draws, np.int64), minlength=size) / max(len(draws), 1))


SAME_TOKEN = (
    "Every draw gave the same token: a generator created inside `sample_next` (`np.random.default_rng(0)`) "
    "starts again at every call. Draw with the `rng` it is given, `rng.choice(len(p), p=p)`."
)
FALLBACK = "p = softmax(logits / T); draw one token with the `rng` given, `rng.choice(len(p), p=p)`."


def verify_draws(draws, logits, t, what):
    expected = ref_distribution(logits, t)
    statistic = chi_square(draws, expected)
    if statistic <= CHI2_BOUND:
        return
    fits = {m: chi_square(draws, ref_distribution(logits, t, mistake=m)) for m in MISTAKES}
    best = min(fits, key=fits.get)  # near-uniform mistakes look alike: the one that fits best
    hint = MISTAKES[best] if fits[best] <= CHI2_BOUND else ""
    if not hint and len(set(np.asarray(draws).tolist())) == 1:
        hint = SAME_TOKEN
    raise Fail(
        f"{what}: the draws' frequencies are {_frequencies(draws, len(logits))}, softmax(logits / T) is "
        f"{_rounded(expected)} (χ² = {statistic:.1f} > {CHI2_BOUND:g}). {hint or FALLBACK}"
    )


@temperature.verify
def _(r):
    for i, t in enumerate(TEMPERATURES):
        verify_draws(r[f"draws{i}"], LOGITS, t, f"{DRAWS} draws of `sample_next({LOGITS.tolist()}, {t}, rng)`")
    for i, (logits, t) in enumerate(GREEDY_CASES):
        best, error = int(np.argmax(logits)), str(r[f"greedy_error{i}"])
        call = f"`sample_next({logits.tolist()}, 0, rng)`"
        if error:
            raise Fail(
                f"{call} raised {error}: at T = 0 return the argmax, `int(np.argmax(logits))`, before dividing "
                "(logits / 0 is inf or NaN, and so are the probabilities)."
            )
        if int(r[f"greedy{i}"]) != best:
            raise Fail(
                f"{call} returned {int(r[f'greedy{i}'])}, expected the argmax {best}: at T = 0 return "
                "`int(np.argmax(logits))` (softmax(z / T) tends to it as T → 0)."
            )
    logits, t, n = GREEDY_COLD
    cold = np.asarray(r["cold"], np.int64)
    if np.any(cold != np.argmax(logits)):
        raise Fail(
            f"{n} draws of `sample_next({logits.tolist()}, {t}, rng)` gave {cold.tolist()}: at T = {t} the "
            f"argmax has all but e^−40 of the probability. Divide the logits by T (softmax(logits / T))."
        )


# --------------------------------------------------------------------------- overflow and the generator

EXTREME_CASES = (  # float32 logits, as a network gives them
    ("logits near +1000 at T = 0.5", np.array([1000.0, 999.5, 990.0], np.float32), 0.5),
    ("logits near −1000 at T = 0.25", np.array([-1000.0, -1000.5, -1001.0], np.float32), 0.25),
    # Shifted by the smallest logit instead of the largest, these still overflow: exp(2000) is inf.
    ("logits from −1000 to +1000 at T = 1", np.array([1000.0, 999.0, -1000.0], np.float32), 1.0),
)
EXTREME_DRAWS, SEQUENCE_DRAWS, SEQUENCE_SEEDS = 400, 40, (5, 6)

stable = new(
    "sampling.stable",
    1,
    "`sample_next` subtracts the largest logit (no overflow at logits ≈ ±1000 and small T) and draws only with "
    "the `rng` it is given",
)


@stable.probe
def _(sample_next):
    record = {}
    for i, (_, logits, t) in enumerate(EXTREME_CASES):
        rng = np.random.default_rng(DRAW_SEED + 10 + i)
        try:
            draws = [draw_token(sample_next, logits, t, rng, len(logits)) for _ in range(EXTREME_DRAWS)]
            record[f"extreme{i}"], record[f"error{i}"] = np.asarray(draws, np.int64), ""
        except (Fail, NotImplementedError):  # an unwritten solution says so itself
            raise
        except Exception as exc:  # NaN probabilities from an overflow: the verify explains it
            record[f"extreme{i}"], record[f"error{i}"] = np.zeros(0, np.int64), f"{type(exc).__name__}: {exc}"[:160]
    saved = np.random.get_state()
    try:
        for key, seed, global_seed in (("first", 5, 1), ("again", 5, 2), ("other", 6, 3)):
            np.random.seed(global_seed)  # the global generator differs between the runs: it must not matter
            rng = np.random.default_rng(seed)
            record[key] = np.asarray(
                [draw_token(sample_next, LOGITS, 1.0, rng, len(LOGITS)) for _ in range(SEQUENCE_DRAWS)], np.int64
            )
    finally:
        np.random.set_state(saved)
    return record


OVERFLOW = "Subtract the largest logit before the exp (exp(2000) is inf, exp(−4000) is 0), and keep the division by T."


@stable.verify
def _(r):
    for i, (name, logits, t) in enumerate(EXTREME_CASES):
        error = str(r[f"error{i}"])
        what = f"`sample_next` with {name} ({logits.tolist()})"
        if error and "sum to 1" in error:
            raise Fail(
                f"{what} raised `{error}`: the logits are float32, and probabilities normalised in float32 do not "
                "sum to 1 as closely as `rng.choice` demands. Compute in float64, "
                "`np.asarray(logits, dtype=np.float64)`."
            )
        if error:
            raise Fail(
                f"{what} raised `{error}`: exp(logits / T) overflowed to inf (or underflowed to 0), and inf / inf "
                "or 0 / 0 is NaN. Subtract the largest logit first, z = logits / T − max(logits / T): softmax "
                "does not change, and exp(z) ≤ 1."
            )
        expected = ref_distribution(logits, t)
        draws = np.asarray(r[f"extreme{i}"], np.int64)
        statistic = chi_square(draws, expected)
        if statistic > CHI2_BOUND:
            hint = SAME_TOKEN if len(set(draws.tolist())) == 1 else OVERFLOW
            raise Fail(
                f"{what}: {EXTREME_DRAWS} draws have the frequencies {_frequencies(draws, len(logits))}, expected "
                f"about {_rounded(expected)} (χ² = {statistic:.1f}). {hint}"
            )
    first, again, other = (np.asarray(r[k], np.int64) for k in ("first", "again", "other"))
    call = f"{SEQUENCE_DRAWS} draws of `sample_next(logits, 1.0, rng)` with `rng = np.random.default_rng(5)`"
    if not np.array_equal(first, again):
        raise Fail(
            f"{call}, twice, gave different tokens: your sampler uses another generator than the `rng` it is given "
            "(`np.random.choice` or `np.random.rand` use NumPy's global one). Draw with `rng.choice(...)` (or "
            "`rng.random()`), so that a seed makes the text reproducible."
        )
    if np.array_equal(first, other):
        raise Fail(
            f"{call} and with `np.random.default_rng(6)` gave the same tokens: your sampler ignores the `rng` it is "
            "given (a generator of its own, seeded inside?). Draw with `rng.choice(...)`."
        )
