"""``chain.*``: the deck's chain rule by hand, ∂L/∂W₁ = ∂L/∂ŷ · ∂ŷ/∂h₃ · ∂h₃/∂h₂ · ∂h₂/∂h₁ · ∂h₁/∂W₁."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from ._shared import sigmoid, to_numpy

CHAIN_DIMS = (4, 5, 4, 3)  # x, h1, h2, h3


def chain_params(seed: int, scale: float):
    """A fixed 3-hidden-layer sigmoid chain in the deck's convention: z_k = W_k h_{k−1} + b_k."""
    rng = np.random.default_rng(seed)
    params = {}
    for k, (n_in, n_out) in enumerate(zip(CHAIN_DIMS[:-1], CHAIN_DIMS[1:]), start=1):
        params[f"W{k}"] = rng.normal(0.0, scale, size=(n_out, n_in))
        params[f"b{k}"] = rng.normal(0.0, 0.5, size=n_out)
    params["w_out"] = rng.normal(0.0, scale, size=CHAIN_DIMS[-1])
    params["b_out"] = float(rng.normal())
    x = rng.normal(size=CHAIN_DIMS[0])
    y = float(rng.normal())
    return params, x, y


CHAIN_CASES = ((20, 1.0), (21, 2.5))  # (seed, weight scale): the second saturates some units


def ref_chain(params, x, y, derivative=None):
    """The deck's factors and ∂L/∂W₁ for L = ½(ŷ − y)²; ``derivative`` swaps σ' (for diagnoses)."""
    sig_prime = derivative or (lambda z: sigmoid(z) * (1.0 - sigmoid(z)))
    h, zs = x, []
    for k in (1, 2, 3):
        zs.append(params[f"W{k}"] @ h + params[f"b{k}"])
        h = sigmoid(zs[-1])
    y_hat = params["w_out"] @ h + params["b_out"]
    n1, n0 = params["W1"].shape
    factors = {
        "dL_dyhat": np.float64(y_hat - y),
        "dyhat_dh3": params["w_out"].copy(),
        "dh3_dh2": sig_prime(zs[2])[:, None] * params["W3"],
        "dh2_dh1": sig_prime(zs[1])[:, None] * params["W2"],
        "dh1_dW1": np.einsum("i,ij,k->ijk", sig_prime(zs[0]), np.eye(n1), x),
    }
    row = factors["dL_dyhat"] * factors["dyhat_dh3"] @ factors["dh3_dh2"] @ factors["dh2_dh1"]
    grad_W1 = np.tensordot(row, factors["dh1_dW1"], axes=1)
    return factors, grad_W1, zs


FACTOR_NAMES = {
    "dL_dyhat": "∂L/∂ŷ",
    "dyhat_dh3": "∂ŷ/∂h₃",
    "dh3_dh2": "∂h₃/∂h₂",
    "dh2_dh1": "∂h₂/∂h₁",
    "dh1_dW1": "∂h₁/∂W₁",
}
CHAIN_TOL = dict(rtol=1e-5, atol=1e-9)


def _chain_hint(key, got, params, x, y, k_layer=None):
    sigma = ref_chain(params, x, y, derivative=sigmoid)[0][key]
    _, _, zs = ref_chain(params, x, y)
    candidates = [
        (sigma, "It matches σ(z) where the derivative σ'(z) = σ(z)(1 − σ(z)) belongs."),
        (-ref_chain(params, x, y)[0][key], "Its sign is flipped: for L = ½(ŷ − y)², ∂L/∂ŷ = ŷ − y."),
    ]
    if key in ("dh3_dh2", "dh2_dh1"):
        k = 3 if key == "dh3_dh2" else 2
        W = params[f"W{k}"]
        prev = sigmoid(zs[k - 2]) * (1 - sigmoid(zs[k - 2]))
        candidates += [
            (W, "It is W_k alone: multiply row i by σ'(z_k)_i, i.e. diag(σ'(z_k)) W_k."),
            (
                W * prev[None, :],
                "It uses σ' of the layer below: ∂h_k/∂h_{k−1} = diag(σ'(z_k)) W_k, "
                "with z_k the pre-activation of layer k itself.",
            ),
        ]
    for candidate, hint in candidates:
        if np.shape(candidate) == np.shape(got) and np.allclose(got, candidate, **CHAIN_TOL):
            return hint
    return ""


chain_factors_check = new(
    "chain.factors", 2, "each factor of the deck's product ∂L/∂ŷ · ∂ŷ/∂h₃ · ∂h₃/∂h₂ · ∂h₂/∂h₁ · ∂h₁/∂W₁"
)


@chain_factors_check.probe
def _(chain_factors):
    out = {}
    for i, (seed, scale) in enumerate(CHAIN_CASES):
        params, x, y = chain_params(seed, scale)
        factors = chain_factors({k: np.copy(v) for k, v in params.items()}, x.copy(), y)
        if not isinstance(factors, dict):
            raise Fail(
                f"`chain_factors` returned a {type(factors).__name__}; expected a dict with keys "
                + ", ".join(FACTOR_NAMES)
                + "."
            )
        missing = [k for k in FACTOR_NAMES if k not in factors]
        if missing:
            raise Fail(f"the dict returned by `chain_factors` has no key {missing[0]!r}.")
        for key in FACTOR_NAMES:
            out[f"{key}{i}"] = np.asarray(to_numpy(factors[key]), dtype=np.float64)
    return out


@chain_factors_check.verify
def _(r):
    for i, (seed, scale) in enumerate(CHAIN_CASES):
        params, x, y = chain_params(seed, scale)
        expected, _, _ = ref_chain(params, x, y)
        for key, name in FACTOR_NAMES.items():
            got = r[f"{key}{i}"]
            expect.shape(got, expected[key].shape, f"the factor {name} (`{key}`)")
            expect.close(
                got, expected[key], f"the factor {name} (`{key}`)", _chain_hint(key, got, params, x, y), **CHAIN_TOL
            )


chain_gradient = new("chain.gradient", 2, "the product of the factors gives ∂L/∂W₁, the gradient autodiff computes")


@chain_gradient.probe
def _(grad_W1_by_hand):
    out = {}
    for i, (seed, scale) in enumerate(CHAIN_CASES):
        params, x, y = chain_params(seed, scale)
        out[f"grad{i}"] = np.asarray(
            to_numpy(grad_W1_by_hand({k: np.copy(v) for k, v in params.items()}, x.copy(), y)), dtype=np.float64
        )
    return out


@chain_gradient.verify
def _(r):
    for i, (seed, scale) in enumerate(CHAIN_CASES):
        params, x, y = chain_params(seed, scale)
        factors, expected, zs = ref_chain(params, x, y)
        got = r[f"grad{i}"]
        if got.shape == expected.T.shape and got.shape != expected.shape:
            raise Fail(
                f"∂L/∂W₁ has shape {got.shape}, the shape of W₁ transposed: it must have W₁'s shape "
                f"{expected.shape} (row j, column k = ∂L/∂(W₁)_jk)."
            )
        expect.shape(got, expected.shape, "∂L/∂W₁ (`grad_W1_by_hand`)")
        row = factors["dL_dyhat"] * factors["dyhat_dh3"] @ factors["dh3_dh2"] @ factors["dh2_dh1"]
        hint = ""
        if np.allclose(got, np.outer(row, x), **CHAIN_TOL):
            hint = "It is missing σ'(z₁): the last factor ∂h₁/∂W₁ contains it."
        elif np.allclose(got, -expected, **CHAIN_TOL):
            hint = "Its sign is flipped: ∂L/∂ŷ = ŷ − y."
        elif np.allclose(got, ref_chain(params, x, y, derivative=sigmoid)[1], **CHAIN_TOL):
            hint = "It uses σ(z) where σ'(z) = σ(z)(1 − σ(z)) belongs."
        expect.close(
            got,
            expected,
            "∂L/∂W₁ from `grad_W1_by_hand`",
            hint
            or "Multiply the factors in the deck's order (a row vector times Jacobians) "
            "and contract with ∂h₁/∂W₁ (`np.tensordot(row, dh1_dW1, axes=1)`).",
            **CHAIN_TOL,
        )
