"""``depth.*``: depth versus width — the sawtooth t∘…∘t with k layers of width 2, against the widest
shallow network a parameter budget allows."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new


def tent(x):
    """The deck's composition example: the tent map t(x) = 2 min(x, 1 − x) on [0, 1]."""
    return 2.0 * np.minimum(x, 1.0 - x)


def sawtooth(x, k):
    for _ in range(k):
        x = tent(x)
    return x


SAW_X = (np.arange(257) / 256).reshape(-1, 1).astype(np.float32)  # dyadic: exact even in TF32
SAW_DEPTHS = (1, 2, 5)


def sawtooth_params(k: int) -> int:
    return 6 * k + 1  # (1·2 + 2) + (k − 1)(2·2 + 2) + (2 + 1)


sawtooth_check = new(
    "depth.sawtooth", 2, "`sawtooth_network(k)` computes t∘…∘t (k times) with k hidden ReLU layers of width 2"
)


def _dense_summary(model):
    import keras

    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    return {
        "units": np.array([layer.units for layer in dense] or [0]),
        "activations": np.array([getattr(layer.activation, "__name__", "?") for layer in dense] or [""]),
        "params": int(model.count_params()),
    }


@sawtooth_check.probe
def _(sawtooth_network):
    out = {}
    for k in SAW_DEPTHS:
        model = sawtooth_network(k)
        out[f"y{k}"] = np.asarray(model(SAW_X)).reshape(-1)
        out.update({f"{key}{k}": v for key, v in _dense_summary(model).items()})
    return out


@sawtooth_check.verify
def _(r):
    x = SAW_X.reshape(-1).astype(np.float64)
    for k in SAW_DEPTHS:
        units = [int(u) for u in r[f"units{k}"]]
        if units != [2] * k + [1]:
            raise Fail(
                f"`sawtooth_network({k})` has Dense layers of widths {units}; expected {k} hidden "
                f"layers of width 2 and a Dense(1) output: {[2] * k + [1]}."
            )
        acts = [str(a) for a in r[f"activations{k}"]]
        if acts[:-1] != ["relu"] * k:
            raise Fail(f"the hidden layers of `sawtooth_network({k})` use {acts[:-1]}; expected relu.")
        got = r[f"y{k}"]
        hint = ""
        for other in (k - 1, k + 1):
            if np.allclose(got, sawtooth(x, other), atol=1e-3):
                hint = (
                    f"It computes t applied {other} times: each hidden layer should apply one tent "
                    "(the first layer reads x, every later one reads 2a − 4b of the previous layer's "
                    "two units), and the output layer turns the last pair into t."
                )
        expect.close(
            got,
            sawtooth(x, k),
            f"`sawtooth_network({k})(x)`",
            hint
            or "Use t(x) = 2·relu(x) − 4·relu(x − ½) on [0, 1]: hidden units relu(s) and "
            "relu(s − ½) of the previous tent s, output 2a − 4b.",
            inputs={"x": x},
            rtol=0,
            atol=2e-3,
        )
        if int(r[f"params{k}"]) != sawtooth_params(k):
            raise Fail(
                f"`sawtooth_network({k})` has {int(r[f'params{k}'])} parameters; expected "
                f"{sawtooth_params(k)} = 6k + 1."
            )


BUDGETS = (31, 30, 100, 7)
budget_check = new("depth.budget", 1, "`shallow_wide(n_params)`: one hidden ReLU layer, as wide as the budget allows")


@budget_check.probe
def _(shallow_wide):
    out = {}
    for budget in BUDGETS:
        out.update({f"{key}{budget}": v for key, v in _dense_summary(shallow_wide(budget)).items()})
    return out


@budget_check.verify
def _(r):
    for budget in BUDGETS:
        units = [int(u) for u in r[f"units{budget}"]]
        if len(units) != 2 or units[-1] != 1:
            raise Fail(
                f"`shallow_wide({budget})` has Dense layers of widths {units}; expected one hidden "
                "layer and a Dense(1) output."
            )
        if str(r[f"activations{budget}"][0]) != "relu":
            raise Fail(
                f"the hidden layer of `shallow_wide({budget})` uses {str(r[f'activations{budget}'][0])}; expected relu."
            )
        width, params, best = units[0], int(r[f"params{budget}"]), (budget - 1) // 3
        if params > budget:
            raise Fail(
                f"`shallow_wide({budget})` has {params} parameters, over the budget of {budget}: "
                "a 1 → w → 1 network has w + w (weights) + w + 1 (biases) = 3w + 1 parameters."
            )
        if width != best:
            raise Fail(
                f"`shallow_wide({budget})` has width {width}; the widest network within the budget "
                f"has width {best} (3w + 1 ≤ {budget})."
            )
