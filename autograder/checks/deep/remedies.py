"""``remedies.*``: ReLU + He, batch normalisation, skip connections and Glorot's initialisation each
keep the first layer's gradient from vanishing."""

from __future__ import annotations

import numpy as np

from .._core import Fail, new
from ._shared import network_probe
from .gradients import gradient_ratio, network_norms, plain_sigmoid_ratio

NAIVE_INIT = {"class_name": "RandomNormal", "config": {"stddev": 0.05}}
REMEDY_FACTOR = 1e3  # each remedy raises first/last at least this much above the plain network's
GLOROT_FACTOR = 1e3  # Glorot's first/last at least this much above the naive N(0, 0.05²) init's


def remedy_check(check, options, activation="sigmoid", batch_norm=False, residual=False) -> None:
    """Give ``check`` its halves: ``build_mlp(10, 32, **options)`` raises the first/last gradient
    ratio at least REMEDY_FACTOR × above the plain sigmoid network's."""
    call = "build_mlp(10, 32, " + ", ".join(f"{k}={v!r}" for k, v in options.items()) + ")"

    @check.probe
    def probe(build_mlp):
        return network_probe(build_mlp, **options)

    @check.verify
    def verify(r):
        norms = network_norms(r, call, activation, batch_norm, residual)
        ratio, plain = gradient_ratio(norms), plain_sigmoid_ratio()
        if not ratio >= REMEDY_FACTOR * plain:
            raise Fail(
                f"in `{call}` the first/last gradient-norm ratio is {ratio:.2g}, only "
                f"{ratio / plain:.3g} × the plain sigmoid network's ({plain:.2g}); this remedy "
                f"should raise it at least {REMEDY_FACTOR:g}×."
            )


relu_he_check = new("remedies.relu_he", 2, "ReLU + He initialisation raises the first/last gradient ratio ≥ 1000×")
remedy_check(relu_he_check, dict(activation="relu", kernel_initializer="he_normal"), activation="relu")
batch_norm_check = new("remedies.batch_norm", 2, "batch normalisation in every hidden layer raises the ratio ≥ 1000×")
remedy_check(batch_norm_check, dict(batch_norm=True), batch_norm=True)
residual_check = new("remedies.residual", 2, "skip connections h_k = h_{k−1} + f(·) raise the ratio ≥ 1000×")
remedy_check(residual_check, dict(residual=True), residual=True)


glorot = new(
    "remedies.glorot", 2, "Glorot initialisation gives a first/last ratio ≥ 1000× the naive N(0, 0.05²) init's"
)


@glorot.probe
def _(build_mlp):
    naive = network_probe(build_mlp, kernel_initializer=NAIVE_INIT)
    scaled = network_probe(build_mlp, kernel_initializer="glorot_uniform")
    return {**{f"naive_{k}": v for k, v in naive.items()}, **{f"glorot_{k}": v for k, v in scaled.items()}}


@glorot.verify
def _(r):
    def part(prefix):
        return {k[len(prefix) :]: v for k, v in r.items() if k.startswith(prefix)}

    naive, scaled = part("naive_"), part("glorot_")
    std = float(np.std(np.asarray(naive["kernel1"])))
    if not 0.04 < std < 0.06:
        raise Fail(
            f"with `kernel_initializer=NAIVE_INIT` (N(0, 0.05²)) the hidden kernels of `build_mlp` "
            f"have standard deviation {std:.3g}, not about 0.05: pass `kernel_initializer` to "
            "every Dense layer."
        )
    output_std = float(np.std(np.asarray(naive[f"kernel{int(naive['n_dense']) - 1}"])))
    if not 0.025 < output_std < 0.08:  # 32 draws of N(0, 0.05²); Glorot's default would give ≈ 0.25
        raise Fail(
            f"with `kernel_initializer=NAIVE_INIT` (N(0, 0.05²)) the output Dense(1) kernel of `build_mlp` "
            f"has standard deviation {output_std:.3g}, not about 0.05: the output layer uses the same "
            "`kernel_initializer`."
        )
    naive_ratio = gradient_ratio(network_norms(naive, "build_mlp(10, 32, kernel_initializer=NAIVE_INIT)"))
    glorot_ratio = gradient_ratio(network_norms(scaled, "build_mlp(10, 32, kernel_initializer='glorot_uniform')"))
    if not glorot_ratio >= GLOROT_FACTOR * naive_ratio:
        raise Fail(
            f"Glorot's first/last ratio ({glorot_ratio:.2g}) is only {glorot_ratio / naive_ratio:.3g} × "
            f"the naive init's ({naive_ratio:.2g}); expected at least {GLOROT_FACTOR:g}×. "
            "Does `build_mlp` use the `kernel_initializer` it is given?"
        )
