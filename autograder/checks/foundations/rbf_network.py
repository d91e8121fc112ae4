"""``rbf_network.*``: the RBF network ŷ(x) = Σⱼ wⱼ g(x − cⱼ, β), g(x, β) = exp(−x²/β)."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new

# A known mistake is named when the student's output is this close to what it computes.
MISTAKE_TOL = dict(rtol=1e-3, atol=1e-4)

RBF_X = np.linspace(-3.0, 3.0, 7)
RBF_CENTERS = np.array([-2.0, -0.5, 1.0, 2.5])
RBF_BETAS = (0.5, 2.0)


def ref_rbf_features(x, centers, beta):
    return np.exp(-np.square(np.asarray(x)[:, None] - np.asarray(centers)[None, :]) / beta)


rbf_features_check = new(
    "rbf_network.features", 2, "`rbf_features` gives Φ[i, j] = exp(−(xᵢ − cⱼ)²/β), one column per unit"
)


@rbf_features_check.probe
def _(rbf_features):
    return {f"phi{i}": rbf_features(RBF_X, RBF_CENTERS, beta) for i, beta in enumerate(RBF_BETAS)}


@rbf_features_check.verify
def _(r):
    n, m = len(RBF_X), len(RBF_CENTERS)
    d = RBF_X[:, None] - RBF_CENTERS[None, :]
    for i, beta in enumerate(RBF_BETAS):
        phi = r[f"phi{i}"]
        what = f"`rbf_features(x, centers, beta={beta})` with {n} samples and {m} centres"
        if phi.shape == (m, n):
            raise Fail(
                f"{what} has shape {phi.shape}: rows are samples, columns units, (samples, units) "
                f"= {(n, m)}. `x[:, None] - centers[None, :]` broadcasts to that shape."
            )
        if phi.shape != (n, m):
            raise Fail(
                f"{what} has shape {phi.shape}, expected (samples, units) = {(n, m)}: one column "
                "per centre cⱼ, g(x − cⱼ, β). `x[:, None] - centers[None, :]` gives every pair."
            )
        hint = expect.diagnose(
            phi,
            [
                (np.exp(-(d**2) * beta), "Your Φ matches exp(−(x − c)²·β): the deck divides by β."),
                (np.exp(-(d**2) / beta**2), "Your Φ matches exp(−(x − c)²/β²): the deck divides by β, not β²."),
                (np.exp(-(d**2) / (2 * beta)), "Your Φ matches exp(−(x − c)²/(2β)): the deck's g has no 2."),
                (np.exp(-np.abs(d) / beta), "Your Φ matches exp(−|x − c|/β): the distance is squared."),
                (np.exp(-d / beta), "Your Φ matches exp(−(x − c)/β): the distance is squared."),
            ],
            **MISTAKE_TOL,
        )
        expect.close(phi, ref_rbf_features(RBF_X, RBF_CENTERS, beta), what, hint, **expect.ELEMENTWISE)


_rbf_rng = np.random.default_rng(30)
RBF_FIT_X = np.sort(_rbf_rng.uniform(-3.0, 3.0, size=30))
RBF_FIT_Y = np.sin(2 * RBF_FIT_X) + 0.3 * RBF_FIT_X + 0.05 * _rbf_rng.normal(size=30)
RBF_FIT_CENTERS = np.linspace(-3.0, 3.0, 8)
RBF_FIT_BETA = 0.5

rbf_fit = new("rbf_network.fit", 1, "`fit_rbf` finds the least-squares output weights for your features")


@rbf_fit.probe
def _(rbf_features, fit_rbf):
    return {
        "phi": rbf_features(RBF_FIT_X, RBF_FIT_CENTERS, RBF_FIT_BETA),
        "w": fit_rbf(RBF_FIT_X, RBF_FIT_Y, RBF_FIT_CENTERS, RBF_FIT_BETA),
    }


@rbf_fit.verify
def _(r):
    # Judged on the student's own Φ, so a mistake in `rbf_features` does not fail this check too.
    phi, w, m = np.asarray(r["phi"], dtype=np.float64), np.asarray(r["w"], dtype=np.float64), len(RBF_FIT_CENTERS)
    if phi.shape != (len(RBF_FIT_X), m) or not np.all(np.isfinite(phi)):
        raise Fail("`rbf_features` must pass its own check first: this check fits your features.")
    if w.shape != (m,):
        raise Fail(
            f"`fit_rbf` returned shape {w.shape}, expected one weight per centre, {(m,)}. "
            "`np.linalg.lstsq` returns a tuple: the weights are its first element."
        )
    best, *_ = np.linalg.lstsq(phi, RBF_FIT_Y, rcond=None)
    hint = expect.diagnose(
        phi @ w,
        [
            (
                phi @ (phi.T @ RBF_FIT_Y),
                "Your weights match Φᵀy: that is a correlation, not the least-squares "
                "solution of Φw ≈ y (use `np.linalg.lstsq(Φ, y)`).",
            ),
        ],
        **MISTAKE_TOL,
    )
    expect.close(
        phi @ w,
        phi @ best,
        "the fitted values Φw of `fit_rbf`",
        hint or "w should minimise ‖Φw − y‖²: `np.linalg.lstsq(Φ, y, rcond=None)[0]`.",
        **expect.MATMUL,
    )
