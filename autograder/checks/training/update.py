"""``update.*``: first-order update rules — SGD, momentum, Nesterov, RMSProp, Adadelta, Adam, Adamax —
in Keras's exact form.

The references copy Keras 3.15's `update_step`s (keras/src/optimizers/*.py);
tests/checks/test_training.py runs the real `keras.optimizers` against them, so the grader never
needs TensorFlow to know what Keras would do.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, to_array

# step(params, grads, state, hparams) -> (new_params, new_state); state starts as {}.
# Hyper-parameters have Keras's names; learning rates are powers of two because Keras keeps the
# learning rate in a float32 variable (0.1 would be rounded).


def ref_sgd(params, grads, state, hp):
    return params - hp["learning_rate"] * grads, state


def ref_momentum(params, grads, state, hp):
    m = hp["momentum"] * state.get("m", 0.0) - hp["learning_rate"] * grads
    return params + m, {"m": m}


def ref_nesterov(params, grads, state, hp):
    m = hp["momentum"] * state.get("m", 0.0) - hp["learning_rate"] * grads
    return params + hp["momentum"] * m - hp["learning_rate"] * grads, {"m": m}


def ref_rmsprop(params, grads, state, hp):
    v = hp["rho"] * state.get("v", 0.0) + (1 - hp["rho"]) * grads**2
    return params - hp["learning_rate"] * grads / np.sqrt(v + hp["epsilon"]), {"v": v}


def ref_adadelta(params, grads, state, hp):
    rho, eps = hp["rho"], hp["epsilon"]
    acc_grad = rho * state.get("acc_grad", 0.0) + (1 - rho) * grads**2
    acc_delta = state.get("acc_delta", 0.0)
    delta = -np.sqrt(acc_delta + eps) / np.sqrt(acc_grad + eps) * grads
    acc_delta = rho * acc_delta + (1 - rho) * delta**2
    return params + hp["learning_rate"] * delta, {"acc_grad": acc_grad, "acc_delta": acc_delta}


def ref_adam(params, grads, state, hp):
    b1, b2 = hp["beta_1"], hp["beta_2"]
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", 0.0) + (1 - b1) * grads
    v = b2 * state.get("v", 0.0) + (1 - b2) * grads**2
    alpha = hp["learning_rate"] * np.sqrt(1 - b2**t) / (1 - b1**t)  # bias correction folded into the rate
    return params - alpha * m / (np.sqrt(v) + hp["epsilon"]), {"t": t, "m": m, "v": v}


def ref_adamax(params, grads, state, hp):
    b1, b2 = hp["beta_1"], hp["beta_2"]
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", 0.0) + (1 - b1) * grads
    u = np.maximum(b2 * state.get("u", 0.0), np.abs(grads))
    return params - hp["learning_rate"] * m / ((1 - b1**t) * (u + hp["epsilon"])), {"t": t, "m": m, "u": u}


REFERENCE_RULES = {
    "sgd_step": ref_sgd,
    "momentum_step": ref_momentum,
    "nesterov_step": ref_nesterov,
    "rmsprop_step": ref_rmsprop,
    "adadelta_step": ref_adadelta,
    "adam_step": ref_adam,
    "adamax_step": ref_adamax,
}

# The Keras optimizer each rule must reproduce: class name and fixed extra arguments.
KERAS_OPTIMIZERS = {
    "sgd_step": ("SGD", {}),
    "momentum_step": ("SGD", {}),
    "nesterov_step": ("SGD", {"nesterov": True}),
    "rmsprop_step": ("RMSprop", {}),
    "adadelta_step": ("Adadelta", {}),
    "adam_step": ("Adam", {}),
    "adamax_step": ("Adamax", {}),
}

P0 = np.array([[0.5, -1.0, 0.0], [1.0, 0.25, -0.5]])
GRADS = np.stack(
    [  # five steps of gradients, one column each:
        [[1.0, -2.0, 0.01], [0.0, 0.0, 0.5]],  # steady | sign flips | tiny
        [[1.0, 1.5, 0.02], [0.0, 0.0, -0.5]],  # always 0 (must not move, must not be NaN)
        [[0.5, -1.0, 0.01], [0.0, 0.3, 0.5]],  # 0 for two steps, then not | alternating
        [[0.8, 0.5, 0.03], [0.0, -0.3, -0.5]],
        [[1.2, 2.0, 0.02], [0.0, 0.6, 0.5]],
    ]
)
ZERO_GRAD = (1, 0)

_ADAM_HP = {"learning_rate": 0.125, "beta_1": 0.75, "beta_2": 0.875}
SCENARIOS = {
    "sgd_step": [{"learning_rate": 0.125}],
    "momentum_step": [{"learning_rate": 0.125, "momentum": 0.75}],
    "nesterov_step": [{"learning_rate": 0.125, "momentum": 0.75}],
    # A tiny ε first (everything but ε's place is tested), then a large ε (its place shows).
    "rmsprop_step": [
        {"learning_rate": 0.0625, "rho": 0.75, "epsilon": 1e-7},
        {"learning_rate": 0.0625, "rho": 0.75, "epsilon": 0.25},
    ],
    "adadelta_step": [
        {"learning_rate": 0.5, "rho": 0.75, "epsilon": 1e-2},
        {"learning_rate": 0.5, "rho": 0.5, "epsilon": 0.25},
    ],
    "adam_step": [{**_ADAM_HP, "epsilon": 1e-7}, {**_ADAM_HP, "epsilon": 0.25}],
    "adamax_step": [{**_ADAM_HP, "epsilon": 1e-7}, {**_ADAM_HP, "epsilon": 0.25}],
}


def run_rule(step, hp, params=P0, grads=GRADS) -> np.ndarray:
    """The parameters after each step of a NumPy rule fed a fixed gradient sequence."""
    state, out = {}, []
    for g in grads:
        params, state = step(params, g, state, dict(hp))
        out.append(params)
    return np.stack(out)


# ---------------------------------------------------------------------------- known mistakes
# Each is a whole rule written the wrong way; verify names the one that reproduces a trajectory.


def _momentum_like(apply):
    def step(params, grads, state, hp):
        mu, lr, m_old = hp["momentum"], hp["learning_rate"], state.get("m", 0.0)
        m, delta = apply(mu, lr, m_old, grads)
        return params + delta, {"m": m}

    return step


def _rmsprop_like(increment):
    def step(params, grads, state, hp):
        v = hp["rho"] * state.get("v", 0.0) + (1 - hp["rho"]) * grads**2
        return params - increment(v, grads, hp), {"v": v}

    return step


def _adadelta_like(delta_of, lr=True):
    def step(params, grads, state, hp):
        rho, eps = hp["rho"], hp["epsilon"]
        acc_grad = rho * state.get("acc_grad", 0.0) + (1 - rho) * grads**2
        acc_delta = state.get("acc_delta", 0.0)
        delta = delta_of(acc_delta, acc_grad, grads, eps)
        acc_delta = rho * acc_delta + (1 - rho) * delta**2
        return params + (hp["learning_rate"] if lr else 1.0) * delta, {"acc_grad": acc_grad, "acc_delta": acc_delta}

    return step


def _adam_like(change, first_t=1):
    def step(params, grads, state, hp):
        b1, b2 = hp["beta_1"], hp["beta_2"]
        t = state.get("t", first_t - 1) + 1
        m = b1 * state.get("m", 0.0) + (1 - b1) * grads
        v = b2 * state.get("v", 0.0) + (1 - b2) * grads**2
        return params - change(m, v, t, hp), {"t": t, "m": m, "v": v}

    return step


def _adamax_like(change, decay=True, absolute=True):
    def step(params, grads, state, hp):
        b1, b2 = hp["beta_1"], hp["beta_2"]
        t = state.get("t", 0) + 1
        m = b1 * state.get("m", 0.0) + (1 - b1) * grads
        g = np.abs(grads) if absolute else grads
        u = np.maximum((b2 if decay else 1.0) * state.get("u", 0.0), g)
        return params - change(m, u, t, hp), {"t": t, "m": m, "u": u}

    return step


_KERAS_ADAM = "θ ← θ − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m/(√v + ε)"
MISTAKES = {
    "sgd_step": [
        (lambda p, g, s, hp: (p + hp["learning_rate"] * g, s), "Your parameters move *up* the gradient: θ ← θ − η·g."),
        (lambda p, g, s, hp: (p - g, s), "The step is missing the learning rate: θ ← θ − η·g."),
    ],
    "momentum_step": [
        (
            _momentum_like(lambda mu, lr, m, g: (mu * m + lr * g,) * 2),  # also θ ← θ − m with m ← μm − ηg
            "Momentum sign error: your parameters move up the gradient. Keras's velocity points downhill, "
            "m ← μ·m − η·g, and is added: θ ← θ + m.",
        ),
        (
            _momentum_like(lambda mu, lr, m, g: (mu * m - (1 - mu) * lr * g,) * 2),
            "Your velocity is an average, m ← μ·m − (1 − μ)·η·g: Keras has no (1 − μ) factor, m ← μ·m − η·g.",
        ),
        (
            _momentum_like(lambda mu, lr, m, g: (mu * m - lr * g, m)),
            "You move by the *old* velocity: update m first (m ← μ·m − η·g), then θ ← θ + m.",
        ),
        (
            ref_sgd,
            "Your steps equal plain SGD's: the velocity m must be kept in `state` and carried "
            "from one step to the next.",
        ),
    ],
    "nesterov_step": [
        (
            ref_momentum,
            "Your Nesterov steps equal plain momentum's (θ ← θ + m). Keras's Nesterov form "
            "looks ahead along the new velocity: m ← μ·m − η·g, then θ ← θ + μ·m − η·g.",
        ),
        (
            _momentum_like(lambda mu, lr, m, g: (mu * m - lr * g, mu * (mu * m - lr * g) + lr * g)),
            "Check the sign of the gradient term: θ ← θ + μ·m − η·g (with the new m).",
        ),
        (
            _momentum_like(lambda mu, lr, m, g: (mu * m - lr * g, mu * (mu * m - lr * g))),
            "The −η·g term is missing: θ ← θ + μ·m − η·g (with the new m).",
        ),
        (
            _momentum_like(lambda mu, lr, m, g: (mu * m + lr * g, mu * (mu * m + lr * g) + lr * g)),
            "Sign error: your parameters move up the gradient. m ← μ·m − η·g, θ ← θ + μ·m − η·g.",
        ),
        (ref_sgd, "Your steps equal plain SGD's: keep the velocity m in `state` between steps."),
    ],
    "rmsprop_step": [
        (
            _rmsprop_like(lambda v, g, hp: hp["learning_rate"] * g / (np.sqrt(v) + hp["epsilon"])),
            "ε added in the wrong place: you divide by √v + ε; Keras's RMSprop adds ε *inside* the root, η·g/√(v + ε).",
        ),
        (
            _rmsprop_like(lambda v, g, hp: hp["learning_rate"] * g / (v + hp["epsilon"])),
            "The square root is missing: divide by √(v + ε), the root-mean-square of the gradients.",
        ),
        (
            lambda p, g, s, hp: (
                p - hp["learning_rate"] * g / np.sqrt(hp["rho"] * s.get("v", 0.0) + g**2 + hp["epsilon"]),
                {"v": hp["rho"] * s.get("v", 0.0) + g**2},
            ),
            "The running average needs its (1 − ρ): v ← ρ·v + (1 − ρ)·g².",
        ),
        (
            lambda p, g, s, hp: (p - hp["learning_rate"] * g / np.sqrt((1 - hp["rho"]) * g**2 + hp["epsilon"]), s),
            "v is not carried between steps: keep it in `state` (v ← ρ·v + (1 − ρ)·g² uses the previous v).",
        ),
    ],
    "adadelta_step": [
        (
            _adadelta_like(lambda ad, ag, g, eps: -np.sqrt(ad + eps) / np.sqrt(ag + eps) * g, lr=False),
            "Adadelta's learning rate is missing: the paper has none, but Keras multiplies the step by "
            "`learning_rate`: θ ← θ + η·Δθ.",
        ),
        (
            _adadelta_like(lambda ad, ag, g, eps: -(np.sqrt(ad) + eps) / (np.sqrt(ag) + eps) * g),
            "ε added in the wrong place: Keras uses √(E[Δθ²] + ε) / √(E[g²] + ε), ε inside both roots.",
        ),
        (
            _adadelta_like(lambda ad, ag, g, eps: -np.sqrt(ad) / np.sqrt(ag + eps) * g),
            "Your parameters never move: E[Δθ²] starts at 0, so the numerator must be √(E[Δθ²] + ε) — "
            "that ε is what starts Adadelta.",
        ),
        (
            _adadelta_like(lambda ad, ag, g, eps: np.sqrt(ad + eps) / np.sqrt(ag + eps) * g),
            "Sign error: Δθ = −√(E[Δθ²] + ε)/√(E[g²] + ε)·g points downhill, and θ ← θ + η·Δθ.",
        ),
    ],
    "adam_step": [
        (
            _adam_like(lambda m, v, t, hp: hp["learning_rate"] * m / (np.sqrt(v) + hp["epsilon"])),
            f"Your bias correction is missing: m and v start at 0, so early steps are too small. Keras: {_KERAS_ADAM}.",
        ),
        (
            _adam_like(
                lambda m, v, t, hp: hp["learning_rate"] * m / (1 - hp["beta_1"] ** t) / (np.sqrt(v) + hp["epsilon"])
            ),
            f"Only m is bias-corrected: v needs its correction too, the √(1 − β₂ᵗ). Keras: {_KERAS_ADAM}.",
        ),
        (
            _adam_like(
                lambda m, v, t, hp: (
                    hp["learning_rate"]
                    * (m / (1 - hp["beta_1"] ** t))
                    / (np.sqrt(v / (1 - hp["beta_2"] ** t)) + hp["epsilon"])
                )
            ),
            "ε added in the wrong place: this is the paper's m̂/(√v̂ + ε). Keras adds ε to √v *before* the "
            f"bias correction: {_KERAS_ADAM}.",
        ),
        (
            _adam_like(
                lambda m, v, t, hp: (
                    hp["learning_rate"]
                    * np.sqrt(1 - hp["beta_2"] ** t)
                    / (1 - hp["beta_1"] ** t)
                    * m
                    / np.sqrt(v + hp["epsilon"])
                )
            ),
            f"ε added in the wrong place: Keras adds it outside the root, √v + ε. Keras: {_KERAS_ADAM}.",
        ),
        (
            _adam_like(
                lambda m, v, t, hp: (
                    hp["learning_rate"]
                    * np.sqrt(1 - hp["beta_2"] ** t)
                    / (1 - hp["beta_1"] ** t)
                    * m
                    / (np.sqrt(v) + hp["epsilon"])
                ),
                first_t=0,
            ),
            "The step count starts at 0, so 1 − β₁⁰ = 0: increment t *before* using it (t = 1 on the first step).",
        ),
        (
            _adam_like(
                lambda m, v, t, hp: (
                    hp["learning_rate"]
                    * np.sqrt(1 - hp["beta_2"] ** t)
                    / (1 - hp["beta_1"] ** t)
                    * m
                    / (np.sqrt(v) + hp["epsilon"])
                ),
                first_t=2,
            ),
            "The step count is off by one: t must be 1 on the first step.",
        ),
    ],
    "adamax_step": [
        (
            _adamax_like(lambda m, u, t, hp: hp["learning_rate"] * m / (u + hp["epsilon"])),
            "Your bias correction is missing: Keras divides by (1 − β₁ᵗ): θ ← θ − η·m/((1 − β₁ᵗ)(u + ε)).",
        ),
        (
            _adamax_like(lambda m, u, t, hp: hp["learning_rate"] * m / ((1 - hp["beta_1"] ** t) * u + hp["epsilon"])),
            "ε added in the wrong place: Keras adds it to u before the bias correction, (1 − β₁ᵗ)·(u + ε).",
        ),
        (
            _adamax_like(
                lambda m, u, t, hp: hp["learning_rate"] * m / (1 - hp["beta_1"] ** t) / (u + hp["epsilon"]),
                absolute=False,
            ),
            "u is an infinity norm: u ← max(β₂·u, |g|) — take the absolute value of g.",
        ),
        (
            _adamax_like(
                lambda m, u, t, hp: hp["learning_rate"] * m / (1 - hp["beta_1"] ** t) / (u + hp["epsilon"]), decay=False
            ),
            "u must decay: u ← max(β₂·u, |g|), not max(u, |g|).",
        ),
    ],
}

HINTS = {
    "sgd_step": "θ ← θ − η·g.",
    "momentum_step": "Keras: m ← μ·m − η·g, then θ ← θ + m.",
    "nesterov_step": "Keras: m ← μ·m − η·g, then θ ← θ + μ·m − η·g.",
    "rmsprop_step": "Keras: v ← ρ·v + (1 − ρ)·g², θ ← θ − η·g/√(v + ε).",
    "adadelta_step": (
        "Keras: E[g²] ← ρ·E[g²] + (1 − ρ)·g²; Δθ = −√(E[Δθ²] + ε)/√(E[g²] + ε)·g; "
        "E[Δθ²] ← ρ·E[Δθ²] + (1 − ρ)·Δθ²; θ ← θ + η·Δθ."
    ),
    "adam_step": f"Keras: t ← t + 1, m ← β₁·m + (1 − β₁)·g, v ← β₂·v + (1 − β₂)·g², {_KERAS_ADAM}.",
    "adamax_step": ("Keras: t ← t + 1, m ← β₁·m + (1 − β₁)·g, u ← max(β₂·u, |g|), θ ← θ − η·m/((1 − β₁ᵗ)(u + ε))."),
}
STEP_TOLERANCE = dict(rtol=1e-4, atol=1e-6)  # on θ − θ₀: float32 or float64 solutions both pass


def _hp_text(hp: dict) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in hp.items())


# A known mistake is named when the student's values are this close to what it computes.
MISTAKE_TOL = dict(rtol=1e-4, atol=1e-6, equal_nan=True)


def rule_check(check, name: str) -> None:
    """Give ``check`` its halves: the student's ``name`` (e.g. ``adam_step``) moves the parameters
    as the Keras optimizer does, step for step."""

    @check.probe
    def probe(step):
        out = {}
        for s, hp in enumerate(SCENARIOS[name]):
            params, state, trajectory = P0.copy(), {}, []
            for g in GRADS:
                result = step(params, g.copy(), state, dict(hp))
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise Fail(
                        f"`{name}` must return a pair `(new_params, new_state)`; it returned {type(result).__name__}."
                    )
                params, state = result
                trajectory.append(np.array(to_array(params, f"the parameters `{name}` returned"), dtype=np.float64))
            out[f"theta{s}"] = np.stack(trajectory)
        return out

    @check.verify
    def verify(r):
        for s, hp in enumerate(SCENARIOS[name]):
            expect.shape(
                r[f"theta{s}"],
                GRADS.shape,
                f"the parameters after each of the 5 steps of `{name}` (5 × the shape of `params`)",
            )
            moved = r[f"theta{s}"] - P0
            want = run_rule(REFERENCE_RULES[name], hp) - P0
            with np.errstate(all="ignore"):
                if np.allclose(moved, want, **STEP_TOLERANCE):
                    continue
            hint = expect.diagnose(
                moved,
                [(lambda rule=rule: run_rule(rule, hp) - P0, text) for rule, text in MISTAKES[name]],
                **MISTAKE_TOL,
            )
            settings = f"`{name}` with {_hp_text(hp)}"
            if not hint and not np.all(np.isfinite(moved[:, ZERO_GRAD[0], ZERO_GRAD[1]])):
                hint = (
                    "A parameter whose gradient is always 0 became NaN or inf: 0/0. Keep ε where Keras "
                    f"puts it. {HINTS[name]}"
                )
            for k in range(len(GRADS)):
                if np.allclose(moved[k], want[k], equal_nan=False, **STEP_TOLERANCE):
                    continue
                carry = (
                    f" Steps 1–{k} are right, so look at what carries over between steps: the state "
                    "you return (the moving averages, the step count t)."
                    if k
                    else ""
                )
                expect.close(
                    moved[k],
                    want[k],
                    f"θ − θ₀ after step {k + 1} of {settings}",
                    hint or HINTS[name] + carry,
                    **STEP_TOLERANCE,
                )
            raise Fail(f"the trajectory of {settings} is wrong. {hint or HINTS[name]}")


sgd = new("update.sgd", 1, "`sgd_step` matches keras.optimizers.SGD step for step over 5 steps")
rule_check(sgd, "sgd_step")
momentum = new(
    "update.momentum", 2, "`momentum_step` matches keras.optimizers.SGD(momentum=μ) step for step over 5 steps"
)
rule_check(momentum, "momentum_step")
nesterov = new(
    "update.nesterov",
    2,
    "`nesterov_step` matches keras.optimizers.SGD(momentum=μ, nesterov=True) step for step over 5 steps",
)
rule_check(nesterov, "nesterov_step")
rmsprop = new("update.rmsprop", 2, "`rmsprop_step` matches keras.optimizers.RMSprop step for step over 5 steps")
rule_check(rmsprop, "rmsprop_step")
adadelta = new("update.adadelta", 2, "`adadelta_step` matches keras.optimizers.Adadelta step for step over 5 steps")
rule_check(adadelta, "adadelta_step")
adam = new("update.adam", 3, "`adam_step` matches keras.optimizers.Adam step for step over 5 steps")
rule_check(adam, "adam_step")
adamax = new("update.adamax", 2, "`adamax_step` matches keras.optimizers.Adamax step for step over 5 steps")
rule_check(adamax, "adamax_step")
