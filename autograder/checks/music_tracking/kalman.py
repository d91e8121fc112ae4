"""``kalman.*``: the Kalman filter (Kalman 1960), the linear-Gaussian state-space model of a moving
object — the deck's *state variable* that evolves by the same mechanism at every step (topic 8).

    predict:  x⁻ = F x,                 P⁻ = F P Fᵀ + Q
    update:   y = z − H x⁻   (innovation),  S = H P⁻ Hᵀ + R   (its covariance),
              K = P⁻ Hᵀ S⁻¹  (gain),        x⁺ = x⁻ + K y,   P⁺ = (I − K H) P⁻

The reference uses the standard form of P⁺; the Joseph form (I − K H) P⁻ (I − K H)ᵀ + K R Kᵀ
equals it when K is the optimal gain, to float64 round-off, and passes too (it stays symmetric and
positive definite in float32, which is why filters in practice use it). States are 1-D arrays
(n,), measurements (m,); a column vector of the same numbers is accepted.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, returned
from ._tracks import constant_velocity_model

TOLERANCE = dict(rtol=1e-5, atol=1e-7)  # a float32 filter passes too

# --------------------------------------------------------------------------- references


def ref_predict(x, P, F, Q, *, noise=True, right="transpose", state="F"):
    """The reference ``(x⁻, P⁻)``; each keyword argument turns on one known mistake.

    Args:
        noise: False leaves out Q.
        right: ``"transpose"`` (F P Fᵀ), ``"none"`` (F P), ``"swapped"`` (Fᵀ P F), ``"identity"`` (P).
        state: ``"F"`` (F x), ``"FT"`` (Fᵀ x), ``"kept"`` (x).
    """
    x, P, F, Q = (np.asarray(a, np.float64) for a in (x, P, F, Q))
    covariance = {"transpose": F @ P @ F.T, "none": F @ P, "swapped": F.T @ P @ F, "identity": P}[right]
    mean = {"F": F @ x, "FT": F.T @ x, "kept": x}[state]
    return mean, covariance + (Q if noise else 0.0)


def ref_update(x, P, z, H, R, *, with_R=True, sign=1.0, gain="optimal", covariance="standard"):
    """The reference ``(x⁺, P⁺)``; each keyword argument turns on one known mistake.

    Args:
        with_R: False leaves R out of S.
        sign: −1 takes the innovation as H x − z.
        gain: ``"optimal"`` (P Hᵀ S⁻¹), ``"no_inverse"`` (P Hᵀ), ``"no_P"`` (Hᵀ S⁻¹).
        covariance: ``"standard"`` ((I − K H) P), ``"joseph"``, ``"plus"`` ((I + K H) P),
            ``"kept"`` (P unchanged), ``"no_P"`` (I − K H).
    """
    x, P, z, H, R = (np.asarray(a, np.float64) for a in (x, P, z, H, R))
    innovation = sign * (z - H @ x)
    S = H @ P @ H.T + (R if with_R else 0.0)
    K = {
        "optimal": P @ H.T @ np.linalg.inv(S),
        "no_inverse": P @ H.T,
        "no_P": H.T @ np.linalg.inv(S),
    }[gain]
    eye = np.eye(len(x))
    new_P = {
        "standard": (eye - K @ H) @ P,
        "joseph": (eye - K @ H) @ P @ (eye - K @ H).T + K @ R @ K.T,
        "plus": (eye + K @ H) @ P,
        "kept": P,
        "no_P": eye - K @ H,
    }[covariance]
    return x + K @ innovation, new_P


# --------------------------------------------------------------------------- inputs


def _spd(seed, n, scale=1.0):
    """A seeded symmetric positive-definite n × n matrix."""
    a = np.random.default_rng(seed).normal(size=(n, n))
    return scale * (a @ a.T / n + 0.5 * np.eye(n))


_F4, _Q4, _H4, _R4 = constant_velocity_model(dt=1.0, sigma_a=0.3, sigma_r=0.5)

PREDICT_CASES = (  # (name, x, P, F, Q)
    (
        "a scalar state (x = 1, P = 2, F = 3, Q = 0.5)",
        np.array([1.0]),
        np.array([[2.0]]),
        np.array([[3.0]]),
        np.array([[0.5]]),
    ),
    ("the constant-velocity model (state [x, y, vx, vy])", np.array([10.0, 20.0, 1.5, -0.5]), _spd(910, 4), _F4, _Q4),
    (
        "a 2-D state with an asymmetric F",
        np.array([0.5, -2.0]),
        _spd(911, 2, 2.0),
        np.array([[1.0, 0.8], [-0.3, 0.9]]),
        np.diag([0.2, 0.05]),
    ),
)

UPDATE_CASES = (  # (name, x, P, z, H, R)
    (
        "a scalar state measured directly (x = 2, P = 4, z = 3, H = 1, R = 1)",
        np.array([2.0]),
        np.array([[4.0]]),
        np.array([3.0]),
        np.array([[1.0]]),
        np.array([[1.0]]),
    ),
    (
        "the constant-velocity model, its position measured",
        np.array([10.0, 20.0, 1.5, -0.5]),
        _spd(912, 4),
        np.array([11.2, 19.1]),
        _H4,
        _R4,
    ),
    (
        "a 3-D state, one measured combination",
        np.array([1.0, -1.0, 0.5]),
        _spd(913, 3),
        np.array([0.3]),
        np.array([[0.5, 1.0, -1.0]]),
        np.array([[0.4]]),
    ),
    (
        "a 2-D state, both measured with correlated noise",
        np.array([0.0, 1.0]),
        _spd(914, 2, 3.0),
        np.array([1.5, 0.2]),
        np.array([[1.0, 0.0], [0.4, 1.0]]),
        np.array([[0.5, 0.2], [0.2, 0.3]]),
    ),
)


def _call(fn, name, args):
    """The student's ``(mean, covariance)`` and whether it left its inputs as they were."""
    given = [a.copy() for a in args]
    out = returned(fn(*given), f"`{name}`")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Fail(f"`{name}` should return two arrays, `(x, P)`: the mean and the covariance.")
    kept = all(np.array_equal(g, a) for g, a in zip(given, args))
    return out[0], out[1], kept


def _verify_pair(r, i, name, expected, mistakes, case, fallback):
    """x and P of case i against ``expected``, with the first known mistake that reproduces both."""
    x, P = np.asarray(r[f"x{i}"], np.float64), np.asarray(r[f"P{i}"], np.float64)
    n = len(expected[0])
    if x.size != n:
        raise Fail(f"`{name}` on {case} returned a state of shape {x.shape}, expected ({n},).")
    x = x.reshape(-1)
    expect.shape(P, (n, n), f"the covariance `{name}` returned on {case}")
    both = np.concatenate([x, P.ravel()])
    hint = expect.diagnose(
        both, [(lambda m=m: np.concatenate([m[0], m[1].ravel()]), h) for m, h in mistakes], **TOLERANCE
    )
    expect.close(x, expected[0], f"the state x `{name}` returned on {case}", hint or fallback, **TOLERANCE)
    expect.close(P, expected[1], f"the covariance P `{name}` returned on {case}", hint or fallback, **TOLERANCE)
    if not bool(r[f"kept{i}"]):
        raise Fail(
            f"`{name}` on {case} changed its arguments in place (`x += …` or `P[...] = …`): "
            "compute new arrays, so that the caller's x and P are left as they were."
        )


# --------------------------------------------------------------------------- predict

PREDICT_MISTAKES = (
    (
        dict(noise=False),
        "You left out the process noise: P⁻ = F P Fᵀ + Q (without Q the filter grows ever "
        "more certain and stops listening to the measurements).",
    ),
    (dict(right="none"), "You wrote P⁻ = F P (+ Q): the covariance of F x is F P Fᵀ, F on both sides."),
    (dict(right="swapped"), "You wrote Fᵀ P F: the covariance of F x is F P Fᵀ (`F @ P @ F.T`)."),
    (dict(right="identity"), "P⁻ is P + Q: the uncertainty must be carried through the motion too, F P Fᵀ + Q."),
    (dict(state="FT"), "The state is Fᵀ x: the motion model is x⁻ = F x (`F @ x`)."),
    (dict(state="kept"), "The state did not move: x⁻ = F x (`F @ x`)."),
)

predict = new("kalman.predict", 1, "`kalman_predict`: x⁻ = F x and P⁻ = F P Fᵀ + Q")


@predict.probe
def _(kalman_predict):
    record = {}
    for i, (_, *args) in enumerate(PREDICT_CASES):
        record[f"x{i}"], record[f"P{i}"], record[f"kept{i}"] = _call(kalman_predict, "kalman_predict", args)
    return record


@predict.verify
def _(r):
    for i, (name, *args) in enumerate(PREDICT_CASES):
        mistakes = [(ref_predict(*args, **kw), h) for kw, h in PREDICT_MISTAKES]
        _verify_pair(r, i, "kalman_predict", ref_predict(*args), mistakes, name, "x⁻ = F x, P⁻ = F P Fᵀ + Q.")


# --------------------------------------------------------------------------- update

UPDATE_MISTAKES = (
    (
        dict(with_R=False),
        "Your gain forgets the measurement noise: the innovation's covariance is "
        "S = H P Hᵀ + R, and K = P Hᵀ S⁻¹ (without R the filter trusts every measurement completely).",
    ),
    (
        dict(sign=-1.0),
        "The innovation has the wrong sign: y = z − H x (the measurement minus what the "
        "state predicts), so the update moves x towards z, not away from it.",
    ),
    (dict(covariance="plus"), "You wrote P⁺ = (I + K H) P: a measurement removes uncertainty, P⁺ = (I − K H) P."),
    (dict(covariance="kept"), "The covariance did not change: after a measurement P⁺ = (I − K H) P."),
    (dict(covariance="no_P"), "You returned I − K H as P⁺: multiply it by P, P⁺ = (I − K H) P."),
    (
        dict(gain="no_inverse"),
        "Your gain is P Hᵀ: divide by the innovation's covariance, K = P Hᵀ S⁻¹ (`P @ H.T @ np.linalg.inv(S)`).",
    ),
    (dict(gain="no_P"), "Your gain is Hᵀ S⁻¹: it starts from the state's covariance, K = P Hᵀ S⁻¹."),
)

update = new(
    "kalman.update", 2, "`kalman_update`: y = z − H x, S = H P Hᵀ + R, K = P Hᵀ S⁻¹, x⁺ = x + K y, P⁺ = (I − K H) P"
)


@update.probe
def _(kalman_update):
    record = {}
    for i, (_, *args) in enumerate(UPDATE_CASES):
        record[f"x{i}"], record[f"P{i}"], record[f"kept{i}"] = _call(kalman_update, "kalman_update", args)
    return record


@update.verify
def _(r):
    for i, (name, *args) in enumerate(UPDATE_CASES):
        mistakes = [(ref_update(*args, **kw), h) for kw, h in UPDATE_MISTAKES]
        _verify_pair(
            r,
            i,
            "kalman_update",
            ref_update(*args),
            mistakes,
            name,
            "y = z − H x, S = H P Hᵀ + R, K = P Hᵀ S⁻¹, x⁺ = x + K y, P⁺ = (I − K H) P.",
        )
