"""``fold.*``: a flexible activation is a rescaling that the neighbouring Dense layers absorb.

    tanh(|a|(xW + b)) / a · V + c  =  tanh(x(|a|W) + |a|b) · (V / a) + c

(per hidden unit j: column j of W and b[j] times |a_j|, row j of V divided by a_j), so a network
with `FlexibleTanh` represents exactly the functions a plain tanh network does: learning `a`
changes how training moves, not what the network can express.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new

# A Dense(5) → FlexibleTanh(per_unit=True) → Dense(2) network on 3 inputs; `a` of both signs.
FOLD_X = np.random.default_rng(140).normal(size=(8, 3))
FOLD_KERNEL = np.random.default_rng(141).normal(size=(3, 5))
FOLD_BIAS = np.random.default_rng(142).normal(size=5)
FOLD_A = np.array([0.7, -1.6, 2.2, -0.4, 1.1])
FOLD_OUT_KERNEL = np.random.default_rng(143).normal(size=(5, 2))
FOLD_OUT_BIAS = np.random.default_rng(144).normal(size=2)


def ref_flexible_tanh_network(x, kernel, bias, a, out_kernel, out_bias):
    """Dense → tanh(|a|z)/a → Dense in float64 (a ≠ 0)."""
    z = x @ kernel + bias
    return (np.tanh(np.abs(a) * z) / a) @ out_kernel + out_bias


def tanh_network(x, kernel, bias, out_kernel, out_bias):
    """Dense → plain tanh → Dense, on the student's folded weights (so no reference: the grader runs it)."""
    return np.tanh(x @ kernel + bias) @ out_kernel + out_bias


flexible_tanh = new(
    "fold.flexible_tanh",
    2,
    "`fold_flexible_tanh` folds `a` into the Dense weights: a plain tanh network gives the same outputs",
)


@flexible_tanh.probe
def _(fold_flexible_tanh):
    folded = fold_flexible_tanh(
        FOLD_KERNEL.copy(), FOLD_BIAS.copy(), FOLD_A.copy(), FOLD_OUT_KERNEL.copy(), FOLD_OUT_BIAS.copy()
    )
    if not isinstance(folded, (tuple, list)) or len(folded) != 4:
        return {"not_four": True}
    kernel, bias, out_kernel, out_bias = folded
    return {"not_four": False, "kernel": kernel, "bias": bias, "out_kernel": out_kernel, "out_bias": out_bias}


def _network_of(kernel_scale, bias_scale, out_scale):
    """The plain tanh network's output on a (mistaken) fold: each scale is per hidden unit."""
    return tanh_network(
        FOLD_X,
        FOLD_KERNEL * kernel_scale,
        FOLD_BIAS * bias_scale,
        FOLD_OUT_KERNEL * np.reshape(out_scale, (-1, 1)),
        FOLD_OUT_BIAS,
    )


@flexible_tanh.verify
def _(r):
    if bool(r["not_four"]):
        raise Fail("`fold_flexible_tanh` should return four arrays: `(kernel, bias, out_kernel, out_bias)`.")
    for key, like in (
        ("kernel", FOLD_KERNEL),
        ("bias", FOLD_BIAS),
        ("out_kernel", FOLD_OUT_KERNEL),
        ("out_bias", FOLD_OUT_BIAS),
    ):
        expect.shape(r[key], like.shape, f"the folded `{key}`")
    y = tanh_network(FOLD_X, r["kernel"], r["bias"], r["out_kernel"], r["out_bias"])
    size = np.abs(FOLD_A)
    hint = expect.diagnose(
        y,
        [
            (
                _network_of(size, size, 1 / size),
                "Your folded network computes tanh(|a|z)/|a|: the sign of a is lost. The deck's tanh(|a|z)/a "
                "divides by a itself: |a| goes into the input side, 1/a (with its sign) into the rows of `out_kernel`.",
            ),
            (_network_of(size, 1, 1 / FOLD_A), "Scale the bias too: tanh(|a|(xW + b)) = tanh(x(|a|W) + |a|b)."),
            (_network_of(size, size, 1), "Divide row j of `out_kernel` by a_j: the layer divides unit j by a_j."),
            (
                _network_of(1 / size, 1 / size, FOLD_A),
                "Your fold is the inverse one: multiply the input weights by |a| and divide the output rows by a.",
            ),
        ],
        rtol=1e-5,
        atol=1e-7,
    )
    expect.close(
        y,
        ref_flexible_tanh_network(FOLD_X, FOLD_KERNEL, FOLD_BIAS, FOLD_A, FOLD_OUT_KERNEL, FOLD_OUT_BIAS),
        "a plain tanh network on your folded weights (against the network with `FlexibleTanh`)",
        hint
        or "Unit j computes tanh(|a_j| z_j)/a_j with z = xW + b: put |a_j| into column j of W and into b[j], "
        "and 1/a_j into row j of V.",
        rtol=1e-5,
        atol=1e-7,
    )
