"""``lm.*``: Levenberg–Marquardt — Jacobians by autodiff, the damped step, λ's update, a fit."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new

# A known mistake is named when the student's values are this close to what it computes.
MISTAKE_TOL = dict(rtol=1e-4, atol=1e-6, equal_nan=True)

EXP_X = np.linspace(0.0, 1.0, 6)
EXP_Y = np.array([1.6, 1.3, 1.05, 0.9, 0.7, 0.62])
EXP_W = np.array([1.5, -0.8])
LIN_A = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [2.0, 0.0, 1.0], [1.0, 1.0, 1.0], [-1.0, 3.0, 0.5]])
LIN_B = np.array([1.0, 0.0, -2.0, 0.5, 1.5])
LIN_W = np.array([0.3, -0.2, 0.7])


def exp_residuals_np(w):
    return w[0] * np.exp(w[1] * EXP_X) - EXP_Y


def exp_jacobian_np(w):
    e = np.exp(w[1] * EXP_X)
    return np.stack([e, w[0] * EXP_X * e], axis=1)


jacobian = new("lm.jacobian", 2, "`residuals_and_jacobian` returns r(w) and the N×P Jacobian ∂rᵢ/∂wⱼ")


@jacobian.probe
def _(residuals_and_jacobian):
    import tensorflow as tf

    x, y = tf.constant(EXP_X), tf.constant(EXP_Y)
    a, b = tf.constant(LIN_A), tf.constant(LIN_B)
    out = {}
    for label, fn, w in (
        ("exp", lambda w: w[0] * tf.exp(w[1] * x) - y, EXP_W),
        ("linear", lambda w: tf.linalg.matvec(a, w) - b, LIN_W),
    ):
        r, J = residuals_and_jacobian(fn, tf.constant(w))
        out[f"{label}_r"], out[f"{label}_J"] = r, J
    return out


@jacobian.verify
def _(r):
    for label, residual, J_ref, what in (
        ("exp", exp_residuals_np(EXP_W), exp_jacobian_np(EXP_W), "rᵢ = w₀·exp(w₁xᵢ) − yᵢ"),
        ("linear", LIN_A @ LIN_W - LIN_B, LIN_A, "r = A·w − b"),
    ):
        J = np.asarray(r[f"{label}_J"], np.float64)
        expect.close(
            r[f"{label}_r"],
            residual,
            f"the residuals returned for {what}",
            "Return r = residuals(w) itself, unchanged.",
            **expect.FLOAT64,
        )
        if J.shape == J_ref.T.shape and J.shape != J_ref.shape:
            raise Fail(
                f"the Jacobian for {what} has shape {J.shape}: it is transposed. Row i holds "
                f"∂rᵢ/∂w, so J is N×P = {J_ref.shape}; `tape.jacobian(r, w)` gives that."
            )
        if J.shape == (J_ref.shape[1],):
            raise Fail(
                f"the Jacobian for {what} has shape {J.shape}: that is the gradient of Σr "
                "(`tape.gradient`). Levenberg–Marquardt needs every residual's gradient: "
                "`tape.jacobian(r, w)`."
            )
        expect.close(
            J,
            J_ref,
            f"the Jacobian for {what}",
            "Compute r inside the tape (after `tape.watch(w)`) and return `tape.jacobian(r, w)`.",
            **expect.FLOAT64,
        )


def ref_lm_step(r, J, lam):
    return -np.linalg.solve(J.T @ J + lam * np.eye(J.shape[1]), J.T @ r)


_rng = np.random.default_rng(7)
LM_J = np.round(_rng.normal(size=(6, 3)), 2)
LM_R = np.round(_rng.normal(size=6), 2)
LM_LAMBDAS = (0.0, 0.5, 50.0)

LM_STEP_MISTAKES = [
    (lambda r, J, lam: -ref_lm_step(r, J, lam), "Sign error: δ = −(JᵀJ + λI)⁻¹·Jᵀr points downhill."),
    (
        lambda r, J, lam: -np.linalg.solve(J.T @ J + lam, J.T @ r),
        "You added λ to every entry of JᵀJ: damping adds λ to the diagonal only, JᵀJ + λ·I (`np.eye`).",
    ),
    (
        lambda r, J, lam: -np.linalg.solve(J.T @ J + lam * np.diag(np.diag(J.T @ J)), J.T @ r),
        "That is Marquardt's scaling λ·diag(JᵀJ): this assignment damps with λ·I, (JᵀJ + λI)·δ = −Jᵀr.",
    ),
    (
        lambda r, J, lam: -np.linalg.solve(J.T @ J, J.T @ r),
        "λ is ignored: your step is always Gauss–Newton's. Damping solves (JᵀJ + λI)·δ = −Jᵀr.",
    ),
    (
        lambda r, J, lam: -np.linalg.solve(J.T @ J + lam * np.eye(J.shape[1]), J.T @ r) / 2,
        "The step is halved: solve (JᵀJ + λI)·δ = −Jᵀr exactly.",
    ),
]

lm_step_check = new("lm.step", 2, "`lm_step` solves (JᵀJ + λI)·δ = −Jᵀr")


@lm_step_check.probe
def _(lm_step):
    return {f"delta{i}": lm_step(LM_R.copy(), LM_J.copy(), lam) for i, lam in enumerate(LM_LAMBDAS)}


@lm_step_check.verify
def _(r):
    for i, lam in enumerate(LM_LAMBDAS):
        delta = np.asarray(r[f"delta{i}"], np.float64)
        expect.shape(delta, (LM_J.shape[1],), f"`lm_step(r, J, lam={lam:g})` (one entry per parameter)")
        hint = expect.diagnose(delta, LM_STEP_MISTAKES, LM_R, LM_J, lam, **MISTAKE_TOL)
        expect.close(
            delta,
            ref_lm_step(LM_R, LM_J, lam),
            f"`lm_step(r, J, lam={lam:g})`",
            hint or "δ = −(JᵀJ + λI)⁻¹·Jᵀr: λ = 0 is Gauss–Newton, large λ a short gradient step.",
            **expect.FLOAT64,
        )


def ref_update_damping(lam, old_loss, new_loss, nu=10.0):
    return (True, lam / nu) if new_loss < old_loss else (False, lam * nu)


# (old loss, new loss) of each trial step: improvements, failures and a tie (a tie is no improvement).
DAMPING_SCRIPT = [(1.0, 0.6), (0.6, 0.3), (0.3, 0.45), (0.3, 0.31), (0.3, 0.3), (0.3, 0.1), (0.1, 0.09)]
DAMPING_RUNS = [(1e-2, None), (5.0, 3.0)]  # (λ₀, ν); None: the default ν


def run_damping(update, lam, nu):
    accepted, lams = [], []
    for old, new_loss in DAMPING_SCRIPT:
        ok, lam = update(lam, old, new_loss) if nu is None else update(lam, old, new_loss, nu)
        accepted.append(bool(ok))
        lams.append(float(lam))
    return np.array(accepted), np.array(lams)


DAMPING_MISTAKES = [
    (
        lambda lam, old, new, nu=10.0: (new < old, lam * nu if new < old else lam / nu),
        "λ is updated the wrong way: after a successful step *decrease* it (λ/ν, towards Gauss–Newton); "
        "after a failed one *increase* it (λ·ν, towards short gradient steps).",
    ),
    (
        lambda lam, old, new, nu=10.0: (new <= old, lam / nu if new <= old else lam * nu),
        "A step that does not lower the loss (new = old) must be rejected: accept only if new < old.",
    ),
    (
        lambda lam, old, new, nu=10.0: (new < old, lam / 10.0 if new < old else lam * 10.0),
        "Use the `nu` argument, not a fixed 10.",
    ),
    (
        lambda lam, old, new, nu=10.0: (new < old, lam),
        "λ never changes: divide it by ν after a success, multiply it by ν after a failure.",
    ),
]

damping = new("lm.damping", 2, "`update_damping` accepts improving steps and adapts λ (÷ν on success, ×ν on failure)")


@damping.probe
def _(update_damping):
    out = {}
    for i, (lam0, nu) in enumerate(DAMPING_RUNS):
        out[f"accepted{i}"], out[f"lam{i}"] = run_damping(update_damping, lam0, nu)
    return out


@damping.verify
def _(r):
    for i, (lam0, nu) in enumerate(DAMPING_RUNS):
        accepted, lams = run_damping(ref_update_damping, lam0, nu)
        got_accepted, got_lams = r[f"accepted{i}"].astype(bool), np.asarray(r[f"lam{i}"], np.float64)
        ok = np.array_equal(got_accepted, accepted) and np.allclose(got_lams, lams, rtol=1e-9)
        if ok:
            continue
        hint = ""
        for mistake, text in DAMPING_MISTAKES:
            wrong_accepted, wrong_lams = run_damping(mistake, lam0, nu)
            if np.array_equal(got_accepted, wrong_accepted) and np.allclose(got_lams, wrong_lams, rtol=1e-9):
                hint = text
                break
        call = f"λ₀ = {lam0:g}" + ("" if nu is None else f", nu = {nu:g}")
        k = int(np.argmax((got_accepted != accepted) | ~np.isclose(got_lams, lams, rtol=1e-9)))
        old, new_loss = DAMPING_SCRIPT[k]
        raise Fail(
            f"`update_damping` ({call}) goes wrong at trial {k + 1} (old loss {old:g}, new loss "
            f"{new_loss:g}): it returned accept={bool(got_accepted[k])}, λ={got_lams[k]:.6g}; expected "
            f"accept={bool(accepted[k])}, λ={lams[k]:.6g}. "
            f"{hint or 'Accept iff new < old; then λ ← λ/ν, otherwise λ ← λ·ν.'}"
        )


# A small MLP 1 → 5 → 1 (tanh) as a flat vector in Keras's layout: kernel (1, H), bias (H,),
# kernel (H, 1), bias (1,). 16 parameters, 30 points.
MLP_HIDDEN = 5
MLP_X = np.linspace(-2.0, 2.0, 30)
_rng = np.random.default_rng(11)
MLP_Y = np.sin(2.0 * MLP_X) + 0.3 * MLP_X + 0.05 * _rng.normal(size=MLP_X.shape)
MLP_W0 = np.concatenate(
    [
        _rng.normal(scale=1.0, size=MLP_HIDDEN),
        np.zeros(MLP_HIDDEN),
        _rng.normal(scale=0.5, size=MLP_HIDDEN),
        np.zeros(1),
    ]
)
LM_ITERATIONS = 40
LM_THRESHOLD = 0.01  # MSE; the noise alone is 0.0025


def mlp_np(w, x):
    h = MLP_HIDDEN
    hidden = np.tanh(np.outer(x, w[:h]) + w[h : 2 * h])
    return hidden @ w[2 * h : 3 * h] + w[3 * h]


def mlp_mse(w):
    return float(np.mean((mlp_np(w, MLP_X) - MLP_Y) ** 2))


def mlp_residuals_tf(x, y, hidden=MLP_HIDDEN):
    """r(w) for the flat MLP, in TensorFlow (probe and notebook use the same layout)."""
    import tensorflow as tf

    x = tf.constant(np.reshape(x, (-1, 1)))
    y = tf.constant(y)

    def residuals(w):
        h = hidden
        kernel1, bias1 = tf.reshape(w[:h], (1, h)), w[h : 2 * h]
        kernel2, bias2 = tf.reshape(w[2 * h : 3 * h], (h, 1)), w[3 * h :]
        return tf.reshape(tf.tanh(x @ kernel1 + bias1) @ kernel2 + bias2, [-1]) - y

    return residuals


lm_fit = new(
    "lm.fit", 2, f"`levenberg_marquardt` fits a 16-weight MLP to MSE < {LM_THRESHOLD:g} in {LM_ITERATIONS} iterations"
)


@lm_fit.probe
def _(levenberg_marquardt):
    residuals = mlp_residuals_tf(MLP_X, MLP_Y)
    w, history = levenberg_marquardt(residuals, MLP_W0.copy(), lam0=1e-2, iterations=LM_ITERATIONS, nu=10.0)
    if not isinstance(history, dict) or not {"loss", "lam", "accepted"} <= set(history):
        raise Fail(
            "`levenberg_marquardt` must return `(w, history)` with history a dict of 'loss', 'lam' and 'accepted'."
        )
    return {
        "w": w,
        "loss": history["loss"],
        "lam": history["lam"],
        "accepted": np.asarray(history["accepted"], dtype=bool),
    }


@lm_fit.verify
def _(r):
    loss, lam, accepted = (np.asarray(r[k], np.float64) for k in ("loss", "lam", "accepted"))
    accepted = accepted.astype(bool)
    n = LM_ITERATIONS
    if loss.shape != (n + 1,) or lam.shape != (n,) or accepted.shape != (n,):
        raise Fail(
            f"with iterations={n}, history['loss'] needs {n + 1} entries (the start, then one per "
            f"iteration) and 'lam', 'accepted' {n} each; got shapes {loss.shape}, {lam.shape}, "
            f"{accepted.shape}."
        )
    expect.close(
        loss[0],
        mlp_mse(MLP_W0),
        "history['loss'][0]",
        "It is the MSE, mean(r²), at w0 (before any step).",
        rtol=1e-6,
        atol=1e-9,
    )
    expect.close(
        loss[-1],
        mlp_mse(np.asarray(r["w"], np.float64)),
        "history['loss'][-1]",
        "It must be the MSE of the returned w: return the last *accepted* weights.",
        rtol=1e-6,
        atol=1e-9,
    )
    for k in range(n):
        if accepted[k] and not loss[k + 1] < loss[k]:
            raise Fail(
                f"iteration {k + 1} is marked accepted but the loss went from {loss[k]:.6g} to "
                f"{loss[k + 1]:.6g}: accept a step only if it lowers the loss."
            )
        if not accepted[k] and not np.isclose(loss[k + 1], loss[k], rtol=1e-12):
            raise Fail(
                f"iteration {k + 1} was rejected, yet the loss changed ({loss[k]:.6g} → "
                f"{loss[k + 1]:.6g}): after a rejected step keep w (and its loss), only λ changes."
            )
    if loss[-1] < LM_THRESHOLD:
        return
    grew = [k for k in range(1, n) if accepted[k] and lam[k] > lam[k - 1]]
    if not accepted.any():
        hint = "No step was accepted: check the sign of δ (`lm_step`) and that the trial loss is at w + δ."
    elif grew:
        hint = (
            f"λ grew after the accepted step {grew[0] + 1}: LM should *decrease* λ after a success "
            "(see `update_damping`); growing λ turns it into ever shorter gradient steps."
        )
    else:
        hint = "Recompute r and J at the new w after every accepted step (they stay the same after a rejected one)."
    raise Fail(
        f"after {n} iterations the MSE is {loss[-1]:.4g}; it should be below {LM_THRESHOLD:g} "
        f"(the reference reaches about 0.002). {hint}"
    )
