"""``newton.*``: Newton's step x ← x − H⁻¹∇f."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import new
from ._shared import rosenbrock

# A known mistake is named when the student's values are this close to what it computes.
MISTAKE_TOL = dict(rtol=1e-4, atol=1e-6, equal_nan=True)

QUAD_A = np.array([[3.0, 1.0], [1.0, 2.0]])
QUAD_B = np.array([1.0, -1.0])
NEWTON_CASES = {  # name: (gradient, Hessian, start)
    "quadratic ½xᵀAx − bᵀx": (lambda x: QUAD_A @ x - QUAD_B, lambda x: QUAD_A, np.array([2.0, -1.0])),
    "Rosenbrock": (lambda x: rosenbrock(x)[1], lambda x: rosenbrock(x)[2], np.array([-1.2, 1.0])),
    "saddle x² − y² + xy": (
        lambda x: np.array([2 * x[0] + x[1], x[0] - 2 * x[1]]),
        lambda x: np.array([[2.0, 1.0], [1.0, -2.0]]),
        np.array([1.0, 2.0]),
    ),
}


def ref_newton_step(gradient, hessian, x):
    return x - np.linalg.solve(hessian(x), gradient(x))


NEWTON_MISTAKES = [
    (lambda g, H, x: x + np.linalg.solve(H, g), "Sign error: Newton's step is x ← x − H⁻¹·∇f (you moved by +H⁻¹·∇f)."),
    (lambda g, H, x: x - H @ g, "You multiplied by H: Newton's step *solves* H·δ = ∇f (`np.linalg.solve(H, g)`)."),
    (lambda g, H, x: x - g, "That is a gradient step with rate 1: Newton's step is x − H⁻¹·∇f."),
    (
        lambda g, H, x: x - g / np.diag(H),
        "You divided by the diagonal of H only: the off-diagonal curvature matters, solve H·δ = ∇f.",
    ),
    (lambda g, H, x: x - np.linalg.solve(H, g) / 2, "The step is halved: x ← x − H⁻¹·∇f."),
]

newton = new("newton.step", 2, "`newton_step` moves to x − H⁻¹∇f (the minimiser of a quadratic in one step)")


@newton.probe
def _(newton_step):
    out = {}
    for i, (gradient, hessian, start) in enumerate(NEWTON_CASES.values()):
        out[f"x{i}"] = newton_step(gradient, hessian, start.copy())
    return out


@newton.verify
def _(r):
    for i, (label, (gradient, hessian, start)) in enumerate(NEWTON_CASES.items()):
        got = np.asarray(r[f"x{i}"], np.float64)
        expect.shape(got, (2,), f"`newton_step` on the {label}")
        hint = expect.diagnose(got, NEWTON_MISTAKES, gradient(start), hessian(start), start, **MISTAKE_TOL)
        expect.close(
            got,
            ref_newton_step(gradient, hessian, start),
            f"`newton_step` from {start.tolist()} on the {label}",
            hint or "x_new = x − H(x)⁻¹·∇f(x); solve the linear system rather than invert H.",
            **expect.FLOAT64,
        )
