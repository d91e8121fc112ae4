"""``activations.*``: the three layers of assignment 01 serialise (config) and save."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from .._probes import saved_and_loaded

CONFIG_KW = dict(name="act_under_test", dtype="float64", trainable=False)


config = new("activations.config", 1, "`get_config` round-trips every constructor argument (custom and Keras's own)")


@config.probe
def _(FlexibleSigmoid, FlexibleTanh, RBF):
    out = {}
    for label, layer in {
        "sigmoid": FlexibleSigmoid(a_init=0.3, per_unit=True, **CONFIG_KW),
        "tanh": FlexibleTanh(a_init=-0.6, per_unit=True, **CONFIG_KW),
        "rbf": RBF(beta_init=2.5, **CONFIG_KW),
    }.items():
        clone = type(layer).from_config(layer.get_config())
        clone.build((None, 4))
        out[f"{label}_name"] = np.asarray(clone.name)
        out[f"{label}_dtype"] = np.asarray(str(clone.dtype))
        out[f"{label}_trainable"] = clone.trainable
        if label == "rbf":
            out[f"{label}_value"] = clone.beta
        else:
            out[f"{label}_value"] = clone.weights[0] if clone.weights else np.nan
    return out


@config.verify
def _(r):
    for label, layer_name, value in (
        ("sigmoid", "FlexibleSigmoid", np.full(4, 0.3)),
        ("tanh", "FlexibleTanh", np.full(4, -0.6)),
        ("rbf", "RBF", 2.5),
    ):
        if (
            str(r[f"{label}_name"]) != "act_under_test"
            or str(r[f"{label}_dtype"]) != "float64"
            or bool(r[f"{label}_trainable"])
        ):
            raise Fail(
                f"`{layer_name}.from_config(layer.get_config())` lost the layer's name, dtype or "
                "trainable flag: start `get_config` from `super().get_config()` and add your arguments."
            )
        # Only the value: the weight's shape is the build check's business.
        expect.close(
            np.ravel(r[f"{label}_value"])[:1],
            np.ravel(value)[:1],
            f"the initial weight of `{layer_name}` rebuilt from its config",
            "`get_config` must return the constructor arguments (`a_init`/`beta_init`, `per_unit`).",
        )


saving = new("activations.saving", 1, "a model using the three layers survives a `.keras` save and load")


@saving.probe
def _(FlexibleSigmoid, FlexibleTanh, RBF):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(4),
            FlexibleSigmoid(a_init=0.4, per_unit=True),
            keras.layers.Dense(4),
            FlexibleTanh(a_init=1.7),
            keras.layers.Dense(4),
            RBF(beta_init=3.0),
        ]
    )
    for layer in model.layers:
        if isinstance(layer, (FlexibleSigmoid, FlexibleTanh, RBF)):
            for w in layer.trainable_weights:  # weights away from their initial values
                w.assign(w.numpy() * 1.25 + 0.1)
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    loaded = saved_and_loaded(
        model, 'Decorate each layer class with `@keras.saving.register_keras_serializable(package="course")`.'
    )
    return {"y": model(x), "y_loaded": loaded(x)}


@saving.verify
def _(r):
    expect.close(
        r["y_loaded"],
        r["y"],
        "the loaded model's output",
        "The trained `a` and β must be saved as weights (created with `add_weight`).",
        **expect.ELEMENTWISE,
    )
