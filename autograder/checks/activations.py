"""Checks for assignment 01: flexible activation functions (deck topics 4–5).

    flexible sigmoid  g(x, a) = 2|a| / (1 + exp(−2|a|x))
    flexible tanh     g(x, a) = (1 − exp(−2|a|x)) / (a (1 + exp(−2|a|x)))   (= x at a = 0)
    RBF               g(x, β) = exp(−x² / β),  β > 0
"""

from __future__ import annotations

import numpy as np

from . import expect
from ._core import Fail, new
from ._probes import saved_and_loaded

# ----------------------------------------------------------------------------- references
# float64 NumPy, written the stable way. They are the truth the records are compared with.


def ref_flexible_sigmoid(x, a):
    k = 2.0 * np.abs(a)
    return k / (1.0 + np.exp(np.clip(-k * x, -700, 700)))


def ref_flexible_tanh(x, a):
    x, a = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(a, np.float64))
    safe_a = np.where(a == 0, 1.0, a)
    return np.where(a == 0, x, np.tanh(np.abs(a) * x) / safe_a)


def ref_rbf(x, beta):
    return np.exp(-np.square(x) / beta)


X_GRID = np.linspace(-4.0, 4.0, 24, dtype=np.float32).reshape(4, 6)
A_VALUES = (0.5, 1.0, 2.5, -1.5)
PER_UNIT_A = np.array([0.5, -1.0, 2.0, 0.25, -3.0, 1.5], dtype=np.float32)
HUGE_X = np.array([[-1e4, -1e3, -90.0, -30.0, 0.0, 30.0, 90.0, 1e3, 1e4]], dtype=np.float32)


def _assign_a(layer, values) -> None:
    (weight,) = layer.trainable_weights
    weight.assign(np.asarray(values, dtype=weight.dtype).reshape(weight.shape))


# ----------------------------------------------------------------------------- build


def _build_check(name: str, layer_name: str):
    check = new(f"{name}.build", 1, f"`{layer_name}` creates its weight `a` in build()")

    @check.probe
    def probe(Layer):
        scalar = Layer(a_init=0.7)
        before = len(scalar.weights)
        scalar.build((None, 6))
        per_unit = Layer(a_init=0.7, per_unit=True)
        per_unit.build((None, 6))
        return {
            "weights_before_build": before,
            "trainable_after_build": len(scalar.trainable_weights),
            "a_shape_scalar": np.asarray(scalar.trainable_weights[0].shape) if scalar.trainable_weights else [-1],
            "a_scalar": scalar.trainable_weights[0] if scalar.trainable_weights else np.nan,
            "a_shape_per_unit": np.asarray(per_unit.trainable_weights[0].shape) if per_unit.trainable_weights else [-1],
            "a_per_unit": per_unit.trainable_weights[0] if per_unit.trainable_weights else np.nan,
        }

    @check.verify
    def verify(r):
        if int(r["weights_before_build"]) != 0:
            raise Fail(f"`{layer_name}` has weights before it is built: create `a` in `build()` "
                       "with `self.add_weight(...)`, not in `__init__`, so its shape can follow the input.")
        if int(r["trainable_after_build"]) != 1:
            raise Fail(f"after `build((None, 6))`, `{layer_name}` has {int(r['trainable_after_build'])} "
                       "trainable weights; expected exactly one, `a`.")
        if r["a_shape_scalar"].size != 0:
            raise Fail(f"with `per_unit=False`, `a` should be a scalar (shape ()), "
                       f"got shape {tuple(r['a_shape_scalar'].tolist())}.")
        expect.close(r["a_scalar"], 0.7, "the initial value of `a`",
                     "Initialise it with `keras.initializers.Constant(a_init)`.")
        if tuple(r["a_shape_per_unit"].tolist()) != (6,):
            raise Fail("with `per_unit=True` and 6 input features, `a` should have shape (6,), got "
                       f"{tuple(r['a_shape_per_unit'].tolist())}: use `input_shape[-1]`.")
        expect.close(r["a_per_unit"], np.full(6, 0.7), "the initial per-unit `a`")

    return check


_build_check("flexible_sigmoid", "FlexibleSigmoid")
_build_check("flexible_tanh", "FlexibleTanh")


# ----------------------------------------------------------------------------- forward


def _forward_probe(Layer, a_values, x=X_GRID):
    out = {}
    for i, a in enumerate(a_values):
        layer = Layer(a_init=a)
        out[f"y{i}"] = layer(x)
    layer = Layer(per_unit=True)
    layer.build(x.shape)
    if tuple(layer.trainable_weights[0].shape) == PER_UNIT_A.shape:
        _assign_a(layer, PER_UNIT_A)
        out["y_per_unit"] = layer(x)
    # else: the weight's shape is the build check's business; this check tests the formula.
    return out


def _diagnose(y, x, a, candidates) -> str:
    """A hint naming the known mistake whose formula reproduces the student's output."""
    for formula, hint in candidates:
        with np.errstate(all="ignore"):
            if np.allclose(y, formula(x, a), rtol=1e-4, atol=1e-5):
                return hint
    return ""


sigmoid_forward = new("flexible_sigmoid.forward", 2, "`FlexibleSigmoid` computes 2|a| / (1 + exp(−2|a|x))")


@sigmoid_forward.probe
def _(FlexibleSigmoid):
    return _forward_probe(FlexibleSigmoid, A_VALUES)


SIGMOID_MISTAKES = [
    (lambda x, a: 2 * a / (1 + np.exp(-2 * a * x)), "Your output matches 2a/(1+exp(−2ax)): use |a| (`keras.ops.abs`)."),
    (lambda x, a: np.abs(a) / (1 + np.exp(-np.abs(a) * x)), "Your output matches |a|·σ(|a|x): the deck's formula has 2|a| in both places."),
    (lambda x, a: 1 / (1 + np.exp(-2 * np.abs(a) * x)), "Your output matches σ(2|a|x): the numerator is 2|a|, not 1."),
    (lambda x, a: 2 * np.abs(a) / (1 + np.exp(2 * np.abs(a) * x)), "Your output matches 2|a|/(1+exp(+2|a|x)): the sign in the exponent is −."),
]


@sigmoid_forward.verify
def _(r):
    for i, a in enumerate(A_VALUES):
        y = r[f"y{i}"]
        hint = _diagnose(y, X_GRID, a, SIGMOID_MISTAKES)
        expect.close(y, ref_flexible_sigmoid(X_GRID, a), f"`FlexibleSigmoid(a_init={a})(x)`", hint,
                     inputs={"x": X_GRID}, **expect.ELEMENTWISE)
    if "y_per_unit" in r:
        expect.close(r["y_per_unit"], ref_flexible_sigmoid(X_GRID, PER_UNIT_A),
                     "`FlexibleSigmoid(per_unit=True)` with a different `a` per feature",
                     "Each feature (last axis) must use its own `a`: let broadcasting pair a[j] with x[..., j].",
                     **expect.ELEMENTWISE)


tanh_forward = new("flexible_tanh.forward", 2, "`FlexibleTanh` computes (1 − exp(−2|a|x)) / (a(1 + exp(−2|a|x)))")


@tanh_forward.probe
def _(FlexibleTanh):
    return _forward_probe(FlexibleTanh, A_VALUES)


TANH_MISTAKES = [
    (lambda x, a: np.tanh(np.abs(a) * x) / np.abs(a), "Your output matches tanh(|a|x)/|a|: the deck divides by a, not |a|, so the sign flips for a < 0."),
    (lambda x, a: np.tanh(a * x) / a, "Your output matches tanh(ax)/a: the exponent uses |a|."),
    (lambda x, a: np.tanh(np.abs(a) * x), "Your output matches tanh(|a|x): you forgot to divide by a."),
    (lambda x, a: np.tanh(2 * np.abs(a) * x) / a, "Your output matches tanh(2|a|x)/a: (1 − e^(−2u))/(1 + e^(−2u)) is tanh(u), not tanh(2u)."),
]


@tanh_forward.verify
def _(r):
    for i, a in enumerate(A_VALUES):
        y = r[f"y{i}"]
        hint = _diagnose(y, X_GRID, a, TANH_MISTAKES)
        expect.close(y, ref_flexible_tanh(X_GRID, a), f"`FlexibleTanh(a_init={a})(x)`", hint,
                     inputs={"x": X_GRID}, **expect.ELEMENTWISE)
    if "y_per_unit" in r:
        expect.close(r["y_per_unit"], ref_flexible_tanh(X_GRID, PER_UNIT_A),
                     "`FlexibleTanh(per_unit=True)` with a different `a` per feature",
                     "Each feature (last axis) must use its own `a`.", **expect.ELEMENTWISE)


NEAR_ZERO_A = (0.0, 1e-8, 1e-5, 1e-3)
tanh_near_zero = new("flexible_tanh.near_zero", 1, "`FlexibleTanh` is defined at and near a = 0 by its limit, x")


@tanh_near_zero.probe
def _(FlexibleTanh):
    out = {}
    for i, a in enumerate(NEAR_ZERO_A):
        out[f"y{i}"] = FlexibleTanh(a_init=a)(X_GRID)
    return out


@tanh_near_zero.verify
def _(r):
    for i, a in enumerate(NEAR_ZERO_A):
        expect.close(r[f"y{i}"], ref_flexible_tanh(X_GRID, a), f"`FlexibleTanh(a_init={a:g})(x)`",
                     "As a → 0, (1 − e^(−2|a|x)) / (a(1 + e^(−2|a|x))) → x, but in float32 the formula "
                     "loses every digit (1 − e^(−2|a|x) rounds to 0). Write it as tanh(|a|x)/a and "
                     "switch to x where |a| is tiny (`keras.ops.where`).",
                     rtol=1e-3, atol=1e-4)


# ----------------------------------------------------------------------------- stability (hidden)


def _stable_check(name: str, layer_name: str, reference, a_values=(1.0, 3.0)):
    check = new(f"{name}.stable", 1, f"`{layer_name}` and its gradient stay finite for |x| up to 1e4",
                hidden=True)

    @check.probe
    def probe(Layer):
        import tensorflow as tf

        out = {}
        for i, a in enumerate(a_values):
            layer = Layer(a_init=a)
            x = tf.constant(HUGE_X)
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x)
                total = tf.reduce_sum(y)
            grad_x, grad_a = tape.gradient(total, [x, layer.trainable_weights[0]])
            out[f"y{i}"] = y
            out[f"grad_x{i}"] = np.full(HUGE_X.shape, np.nan) if grad_x is None else grad_x
            out[f"grad_a{i}"] = np.nan if grad_a is None else grad_a
        return out

    @check.verify
    def verify(r):
        hint = ("exp(−2|a|x) overflows float32 for large negative x (inf/inf = NaN). "
                "Rewrite with `keras.ops.sigmoid` or `keras.ops.tanh`, which are stable.")
        for i, a in enumerate(a_values):
            expect.finite(r[f"y{i}"], f"`{layer_name}` at very large |x|", hint)
            expect.close(r[f"y{i}"], reference(HUGE_X, a), f"`{layer_name}` at very large |x|", hint,
                         rtol=1e-4, atol=1e-4)
            expect.finite(r[f"grad_x{i}"], f"the gradient of `{layer_name}` w.r.t. x at very large |x|", hint)
            expect.finite(r[f"grad_a{i}"], f"the gradient of `{layer_name}` w.r.t. `a` at very large |x|", hint)

    return check


_stable_check("flexible_sigmoid", "FlexibleSigmoid", ref_flexible_sigmoid)
_stable_check("flexible_tanh", "FlexibleTanh", ref_flexible_tanh)


# ----------------------------------------------------------------------------- gradients

GRAD_X = np.linspace(-2.0, 2.0, 9).reshape(1, 9)
GRAD_A = (0.8, -1.3)
FD_STEP = 1e-6


def _gradient_check(name: str, layer_name: str, points: float):
    check = new(f"{name}.gradient", points,
                f"`{layer_name}`'s gradients w.r.t. x and a match central finite differences (float64)")

    @check.probe
    def probe(Layer):
        import tensorflow as tf

        out = {}
        for i, a in enumerate(GRAD_A):
            layer = Layer(a_init=a, dtype="float64")
            x = tf.constant(GRAD_X, dtype=tf.float64)
            with tf.GradientTape() as tape:
                tape.watch(x)
                total = tf.reduce_sum(layer(x))
            (weight,) = layer.trainable_weights
            grad_x, grad_a = tape.gradient(total, [x, weight])
            out[f"grad_x{i}"] = np.full(GRAD_X.shape, np.nan) if grad_x is None else grad_x
            out[f"grad_a{i}"] = np.nan if grad_a is None else grad_a
            out[f"grad_x_none{i}"] = grad_x is None
            out[f"grad_a_none{i}"] = grad_a is None
            # Central differences of the student's own function: the gradient must be that
            # function's derivative, whether or not the function itself is right.
            step = np.eye(GRAD_X.size).reshape(GRAD_X.size, *GRAD_X.shape) * FD_STEP
            out[f"fd_x{i}"] = np.array([
                (layer(GRAD_X + s).numpy() - layer(GRAD_X - s).numpy()).reshape(-1)[j] / (2 * FD_STEP)
                for j, s in enumerate(step)
            ]).reshape(GRAD_X.shape)
            weight.assign(a + FD_STEP)
            up = np.sum(layer(GRAD_X).numpy())
            weight.assign(a - FD_STEP)
            down = np.sum(layer(GRAD_X).numpy())
            out[f"fd_a{i}"] = (up - down) / (2 * FD_STEP)
        return out

    @check.verify
    def verify(r):
        for i, a in enumerate(GRAD_A):
            if bool(r[f"grad_x_none{i}"]) or bool(r[f"grad_a_none{i}"]):
                missing = "x" if bool(r[f"grad_x_none{i}"]) else "`a`"
                raise Fail(f"the gradient of `{layer_name}` w.r.t. {missing} is None: TensorFlow cannot "
                           "differentiate through your `call`. Use `keras.ops` throughout, not NumPy or "
                           "`.numpy()`.")
            expect.close(r[f"grad_x{i}"], r[f"fd_x{i}"],
                         f"∂/∂x of `{layer_name}(a_init={a})` (autodiff vs central differences)",
                         "Look for a `stop_gradient`, a cast, or a custom gradient in `call`.",
                         rtol=1e-5, atol=1e-6, inputs={"x": GRAD_X})
            expect.close(r[f"grad_a{i}"], r[f"fd_a{i}"],
                         f"∂/∂a of `{layer_name}(a_init={a})` (autodiff vs central differences)",
                         "Is `a` used through `self.<weight>` inside `call` (not a copy made in `build`)?",
                         rtol=1e-5, atol=1e-6)

    return check


_gradient_check("flexible_sigmoid", "FlexibleSigmoid", 2)
_gradient_check("flexible_tanh", "FlexibleTanh", 1)


# ----------------------------------------------------------------------------- RBF

RBF_BETAS = (0.5, 2.0)
rbf_forward = new("rbf.forward", 1, "`RBF` computes exp(−x²/β) and exposes β as `layer.beta`")


@rbf_forward.probe
def _(RBF):
    out = {}
    for i, beta in enumerate(RBF_BETAS):
        layer = RBF(beta_init=beta)
        out[f"y{i}"] = layer(X_GRID)
        out[f"beta{i}"] = layer.beta
        out[f"n_trainable{i}"] = len(layer.trainable_weights)
    return out


@rbf_forward.verify
def _(r):
    for i, beta in enumerate(RBF_BETAS):
        if int(r[f"n_trainable{i}"]) != 1:
            raise Fail(f"`RBF` should have one trainable weight (for β), it has {int(r[f'n_trainable{i}'])}.")
        expect.close(r[f"beta{i}"], beta, f"`RBF(beta_init={beta}).beta`",
                     "`beta` should return the positive β, e.g. `ops.exp(self.log_beta)`.")
        hint = _diagnose(r[f"y{i}"], X_GRID, beta, [
            (lambda x, b: np.exp(-np.square(x) * b), "Your output matches exp(−x²·β): divide by β."),
            (lambda x, b: np.exp(-x / b), "Your output matches exp(−x/β): the deck squares x."),
            (lambda x, b: np.exp(-np.square(x) / np.log(b)), "Your output matches exp(−x²/log β): use β itself, not its log."),
        ])
        expect.close(r[f"y{i}"], ref_rbf(X_GRID, beta), f"`RBF(beta_init={beta})(x)`", hint,
                     inputs={"x": X_GRID}, **expect.ELEMENTWISE)


rbf_positive = new("rbf.positive", 1, "`RBF` keeps β > 0 however hard training pushes it down")


@rbf_positive.probe
def _(RBF):
    import keras
    import tensorflow as tf

    layer = RBF(beta_init=1.0)
    x = tf.constant(X_GRID)
    layer(x)
    optimizer = keras.optimizers.SGD(learning_rate=5.0)
    betas = []
    for _ in range(20):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(layer(x))  # smaller when β shrinks: pushes β towards 0 and past it
        grads = tape.gradient(loss, layer.trainable_weights)
        optimizer.apply_gradients(zip(grads, layer.trainable_weights))
        betas.append(float(np.asarray(layer.beta)))
    return {"betas": np.array(betas), "y_after": layer(x)}


@rbf_positive.verify
def _(r):
    betas = r["betas"]
    if np.any(~np.isfinite(betas)) or np.any(betas <= 0):
        step = int(np.argmax(~np.isfinite(betas) | (betas <= 0)))
        raise Fail(f"after {step + 1} large gradient steps β became {betas[step]:.3g}: a raw weight can "
                   "cross zero. Train an unconstrained weight and map it to β > 0 (β = exp(log β)).")
    expect.finite(r["y_after"], "`RBF(x)` after training", "β must stay positive and finite.")


# ----------------------------------------------------------------------------- serialisation

CONFIG_KW = dict(name="act_under_test", dtype="float64", trainable=False)


config_check = new("activations.config", 1,
                   "`get_config` round-trips every constructor argument (custom and Keras's own)")


@config_check.probe
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


@config_check.verify
def _(r):
    for label, layer_name, value in (("sigmoid", "FlexibleSigmoid", np.full(4, 0.3)),
                                     ("tanh", "FlexibleTanh", np.full(4, -0.6)),
                                     ("rbf", "RBF", 2.5)):
        if str(r[f"{label}_name"]) != "act_under_test" or str(r[f"{label}_dtype"]) != "float64" \
                or bool(r[f"{label}_trainable"]):
            raise Fail(f"`{layer_name}.from_config(layer.get_config())` lost the layer's name, dtype or "
                       "trainable flag: start `get_config` from `super().get_config()` and add your arguments.")
        # Only the value: the weight's shape is the build check's business.
        expect.close(np.ravel(r[f"{label}_value"])[:1], np.ravel(value)[:1],
                     f"the initial weight of `{layer_name}` rebuilt from its config",
                     "`get_config` must return the constructor arguments (`a_init`/`beta_init`, `per_unit`).")


saving_check = new("activations.saving", 1,
                   "a model using the three layers survives a `.keras` save and load")


@saving_check.probe
def _(FlexibleSigmoid, FlexibleTanh, RBF):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(4), FlexibleSigmoid(a_init=0.4, per_unit=True),
        keras.layers.Dense(4), FlexibleTanh(a_init=1.7),
        keras.layers.Dense(4), RBF(beta_init=3.0),
    ])
    for layer in model.layers:
        if isinstance(layer, (FlexibleSigmoid, FlexibleTanh, RBF)):
            for w in layer.trainable_weights:  # weights away from their initial values
                w.assign(w.numpy() * 1.25 + 0.1)
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    loaded = saved_and_loaded(model, "Decorate each layer class with "
                              "`@keras.saving.register_keras_serializable(package=\"course\")`.")
    return {"y": model(x), "y_loaded": loaded(x)}


@saving_check.verify
def _(r):
    expect.close(r["y_loaded"], r["y"], "the loaded model's output",
                 "The trained `a` and β must be saved as weights (created with `add_weight`).",
                 **expect.ELEMENTWISE)
