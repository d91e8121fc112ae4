"""``bptt.*``: backpropagation through time (Werbos 1990) for the Elman cell, written by hand.

    z_t = x_t W_x + h_{t−1} W_h + b,   h_t = tanh(z_t),   h_0 = 0,   L = Σ_t Σ G_t ⊙ h_t
    ∂L/∂h_t = G_t + ∂L/∂z_{t+1} W_hᵀ       (nothing comes from after the last step)
    ∂L/∂z_t = ∂L/∂h_t ⊙ (1 − h_t²)
    ∂L/∂W_x = Σ_t x_tᵀ ∂L/∂z_t,   ∂L/∂W_h = Σ_t h_{t−1}ᵀ ∂L/∂z_t,   ∂L/∂b = Σ_t Σ_batch ∂L/∂z_t

The student's ``elman_bptt(x, kernel, recurrent_kernel, bias, G)`` is NumPy; the check compares
its three gradients with the float64 reference on cases where batch, time, features and units
all differ, one of them a single step (no path through time) and one with G at the last step
only (every gradient comes back through time).
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from ._shared import uniform

BPTT_CASES = {  # name: (batch, time steps, input features, units, G only at the last step?, what it isolates)
    "one step": (3, 1, 2, 4, False, "a single time step (no path through time: only the local gradient)"),
    "last step only": (2, 5, 3, 4, True, "G non-zero at the last step only (every other gradient comes through time)"),
    "full": (4, 6, 3, 5, False, "G non-zero at every step"),
}
NAMES = ("kernel", "recurrent_kernel", "bias")
MEANINGS = {"kernel": "∂L/∂W_x", "recurrent_kernel": "∂L/∂W_h", "bias": "∂L/∂b"}


def bptt_inputs(case: str):
    """The fixed inputs of one case: x, W_x, W_h, b, G (float64, values a float32 cell would see)."""
    batch, steps, n_in, units, last_only, _ = BPTT_CASES[case]
    seed = 900 + 10 * list(BPTT_CASES).index(case)
    x = uniform(seed, (batch, steps, n_in), scale=1.5)
    kernel, recurrent, bias = (
        uniform(seed + 1, (n_in, units)),
        uniform(seed + 2, (units, units)),
        uniform(seed + 3, (units,), 0.5),
    )
    G = uniform(seed + 4, (batch, steps, units), scale=1.0)
    if last_only:
        G[:, :-1] = 0.0
    return x, kernel, recurrent, bias, G


# The realistic mistakes, each a variant of the backward pass below.
BPTT_MISTAKES = {
    "truncated": "Your gradients match backpropagation *without* the path through time: ∂L/∂h_t must "
    "also receive ∂L/∂z_{t+1} W_hᵀ from the next step (carry it backwards in the loop).",
    "no tanh derivative": "Your gradients leave out tanh's derivative: ∂L/∂z_t = ∂L/∂h_t ⊙ (1 − h_t²).",
    "h_t for W_h": "Your ∂L/∂W_h uses h_t: the recurrent term multiplies the *previous* state, so "
    "∂L/∂W_h = Σ_t h_{t−1}ᵀ ∂L/∂z_t (h_0 = 0 at the first step).",
    "W_h not transposed": "Your gradient passed back to h_{t−1} uses W_h itself: "
    "∂L/∂h_{t−1} gets ∂L/∂z_t W_hᵀ (`recurrent_kernel.T`).",
    "forward in time": "Your backward loop runs forwards in time: start at the last step, where "
    "∂L/∂h_T = G_T, and go back to t = 1.",
}


def ref_elman_bptt(case: str, mistake: str | None = None):
    """The gradients (∂L/∂W_x, ∂L/∂W_h, ∂L/∂b) of case ``case``, or those of a named mistake."""
    x, kernel, recurrent, bias, G = bptt_inputs(case)
    batch, steps, _ = x.shape
    h = [np.zeros((batch, len(bias)))]
    for t in range(steps):
        h.append(np.tanh(x[:, t] @ kernel + h[-1] @ recurrent + bias))
    grads = [np.zeros_like(kernel), np.zeros_like(recurrent), np.zeros_like(bias)]
    from_next = np.zeros((batch, len(bias)))
    order = range(steps) if mistake == "forward in time" else reversed(range(steps))
    for t in order:
        d_h = G[:, t] + (0.0 if mistake == "truncated" else from_next)
        d_z = d_h if mistake == "no tanh derivative" else d_h * (1 - h[t + 1] ** 2)
        grads[0] += x[:, t].T @ d_z
        grads[1] += (h[t + 1] if mistake == "h_t for W_h" else h[t]).T @ d_z
        grads[2] += d_z.sum(axis=0)
        from_next = d_z @ (recurrent if mistake == "W_h not transposed" else recurrent.T)
    return tuple(grads)


bptt_gradients = new(
    "bptt.gradients",
    3,
    "`elman_bptt` computes ∂L/∂W_x, ∂L/∂W_h and ∂L/∂b by backpropagation through time (NumPy, by hand)",
)


@bptt_gradients.probe
def _(elman_bptt):
    out = {}
    for i, case in enumerate(BPTT_CASES):
        grads = elman_bptt(*bptt_inputs(case))
        if not isinstance(grads, (tuple, list)) or len(grads) != 3:
            raise Fail(
                f"`elman_bptt` returned {type(grads).__name__}"
                + (f" of length {len(grads)}" if hasattr(grads, "__len__") else "")
                + ": return the three gradients `(d_kernel, d_recurrent_kernel, d_bias)`."
            )
        for name, grad in zip(NAMES, grads):
            out[f"{name}{i}"] = grad
    return out


def _same(student, grads) -> bool:
    return all(expect.matches(got, want, rtol=1e-6, atol=1e-9) for got, want in zip(student, grads))


@bptt_gradients.verify
def _(r):
    # Every mistake is computed on every case (not only on a failure), so the student edition's
    # table holds them all; a mistake is named only if it reproduces every case.
    expected = {case: ref_elman_bptt(case) for case in BPTT_CASES}
    mistakes = {m: {case: ref_elman_bptt(case, m) for case in BPTT_CASES} for m in BPTT_MISTAKES}
    student = {
        case: [np.asarray(r[f"{name}{i}"], dtype=np.float64) for name in NAMES] for i, case in enumerate(BPTT_CASES)
    }
    for case, (batch, steps, n_in, units, _, isolates) in BPTT_CASES.items():
        what = f"on x of shape {(batch, steps, n_in)} and {units} units, with {isolates}"
        for name, got, want in zip(NAMES, student[case], expected[case]):
            expect.shape(got, want.shape, f"`elman_bptt`'s {MEANINGS[name]} (the gradient for `{name}`) {what}")
    hint = next(
        (text for m, text in BPTT_MISTAKES.items() if all(_same(student[c], mistakes[m][c]) for c in BPTT_CASES)), ""
    )
    for case, (batch, steps, n_in, units, _, isolates) in BPTT_CASES.items():
        what = f"on x of shape {(batch, steps, n_in)} and {units} units, with {isolates}"
        for name, got, want in zip(NAMES, student[case], expected[case]):
            expect.close(
                got,
                want,
                f"`elman_bptt`'s {MEANINGS[name]} {what}",
                hint or f"Compare your loop with the formulas for ∂L/∂z_t and {MEANINGS[name]} above the task.",
                rtol=1e-6,
                atol=1e-9,
            )
