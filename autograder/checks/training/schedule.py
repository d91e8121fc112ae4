"""``schedule.*``: a learning-rate schedule — cosine decay as `keras.optimizers.schedules.CosineDecay`
computes it (no warm-up).

    η(t) = η₀ · ((1 − α) · ½(1 + cos(π · min(t, T) / T)) + α)

tests/checks/test_training.py compares the reference with the real Keras schedule.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import new, to_array

# (initial_learning_rate, decay_steps, alpha): α = 0 first (everything but α is tested), then
# floors; every run goes past decay_steps, where the rate must stay at its floor.
COSINE_CASES = [(0.1, 10, 0.0), (0.5, 8, 0.2), (2.0, 5, 0.1)]
EXTRA_STEPS = 4


def ref_cosine_decay(step, initial_learning_rate, decay_steps, alpha=0.0):
    t = np.minimum(step, decay_steps)
    cosine = 0.5 * (1 + np.cos(np.pi * t / decay_steps))
    return initial_learning_rate * ((1 - alpha) * cosine + alpha)


def _cosine_like(decayed):
    """A schedule η₀·decayed(t, T, α), t unclamped unless decayed clamps it."""

    def schedule(step, lr0, decay_steps, alpha):
        return lr0 * decayed(np.asarray(step, np.float64), decay_steps, alpha)

    return schedule


def _half(t, T):
    return 0.5 * (1 + np.cos(np.pi * t / T))


COSINE_MISTAKES = [
    (
        _cosine_like(lambda t, T, a: (1 - a) * _half(t, T) + a),
        "Past `decay_steps` your rate climbs back up (the cosine is periodic): clamp the step first, "
        "t = min(step, decay_steps), so the rate stays at its floor η₀·α.",
    ),
    (
        _cosine_like(lambda t, T, a: _half(np.minimum(t, T), T)),
        "α is ignored: the rate decays to the floor η₀·α, not to 0 — decayed = (1 − α)·½(1 + cos(πt/T)) + α.",
    ),
    (
        lambda t, lr0, T, a: lr0 * _half(np.minimum(t, T), T) + a,
        "α is a fraction of η₀ (the floor is η₀·α), not a rate added to it: η₀·((1 − α)·½(1 + cos(πt/T)) + α).",
    ),
    (
        lambda t, lr0, T, a: lr0 * (_half(np.minimum(t, T), T) + a),
        "The cosine part must shrink to make room for the floor: (1 − α)·½(1 + cos(πt/T)) + α, "
        "so that the rate starts at η₀.",
    ),
    (
        _cosine_like(lambda t, T, a: np.maximum(_half(np.minimum(t, T), T), a)),
        "You cut the cosine off at α: Keras blends it, (1 − α)·½(1 + cos(πt/T)) + α, which is smooth all the way.",
    ),
    (
        _cosine_like(lambda t, T, a: (1 - a) * np.cos(np.pi * np.minimum(t, T) / T) + a),
        "Without ½(1 + ·) the cosine goes from 1 to −1, so the rate turns negative: use ½(1 + cos(πt/T)), "
        "which goes from 1 to 0.",
    ),
    (
        _cosine_like(lambda t, T, a: (1 - a) * np.cos(np.pi / 2 * np.minimum(t, T) / T) + a),
        "A quarter cosine, cos(πt/2T), is a different curve: Keras's half cosine is ½(1 + cos(πt/T)).",
    ),
]

cosine = new(
    "schedule.cosine",
    2,
    "`cosine_decay(step, η₀, T, α)` matches keras.optimizers.schedules.CosineDecay, before and after T",
)


@cosine.probe
def _(cosine_decay):
    out = {}
    for case, (lr0, decay_steps, alpha) in enumerate(COSINE_CASES):
        rates = []
        for step in range(decay_steps + EXTRA_STEPS + 1):
            rate = cosine_decay(step, lr0, decay_steps, alpha)
            rates.append(np.asarray(to_array(rate, "the learning rate `cosine_decay` returned"), np.float64))
        out[f"rates{case}"] = np.stack(rates)
    return out


@cosine.verify
def _(r):
    for case, (lr0, decay_steps, alpha) in enumerate(COSINE_CASES):
        steps = np.arange(decay_steps + EXTRA_STEPS + 1)
        got = np.asarray(r[f"rates{case}"], np.float64)
        call = f"`cosine_decay(step, {lr0}, {decay_steps}, alpha={alpha})`"
        expect.shape(got, steps.shape, f"{call} for one step (one number)")
        want = ref_cosine_decay(steps, lr0, decay_steps, alpha)
        if np.allclose(got, want, rtol=1e-5, atol=1e-9):
            continue
        hint = expect.diagnose(
            got,
            [(lambda m=m: m(steps, lr0, decay_steps, alpha), text) for m, text in COSINE_MISTAKES],
            rtol=1e-5,
            atol=1e-9,
        )
        expect.close(
            got,
            want,
            f"{call} for steps 0 … {steps[-1]}",
            hint or "η(t) = η₀·((1 − α)·½(1 + cos(π·min(t, T)/T)) + α): η₀ at t = 0, η₀·α from t = T on.",
            rtol=1e-5,
            atol=1e-9,
            inputs={"step": steps},
        )
