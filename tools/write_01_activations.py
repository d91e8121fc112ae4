"""Writes solutions/01-activations/01-activations.ipynb (the nbgrader source notebook)."""
from autograder.authoring import SourceNotebook

nb = SourceNotebook("01-activations", "Assignment 01 — Flexible activation functions",
                    "توابع فعال‌سازی انعطاف‌پذیر")
nb.md(r"""
In a network $\hat y = f^o\big(W^{oh} f^h(W^{ih}x + b^{ih}) + b^{oh}\big)$ the activation functions
$f^h, f^o$ are usually fixed: sigmoid, tanh, ReLU. The deck's *flexible* activations add a trainable
parameter $a$ so that the network can also learn the **shape** of its non-linearity:

| name | formula |
|---|---|
| flexible sigmoid | $g(x, a) = \dfrac{2\lvert a\rvert}{1 + e^{-2\lvert a\rvert x}}$ |
| flexible tanh | $g(x, a) = \dfrac{1 - e^{-2\lvert a\rvert x}}{a\,(1 + e^{-2\lvert a\rvert x})}$ |
| RBF | $g(x, \beta) = e^{-x^2/\beta}$, $\ \beta > 0$ |

You will write each as a **Keras layer** with its parameter as a trainable weight, make the layers
numerically safe in float32, check their gradients, and see whether learning $a$ helps.

*Keras idioms used here:* weights are created in `build()` with `self.add_weight(...)` (so their
shape can follow the input), maths uses `keras.ops` (so autodiff works on every backend), and
`get_config()` returns the constructor arguments (so a saved model can be rebuilt).
""")
nb.code("""
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras
from keras import ops
from autograder import grading_mode
from autograder.checks import check

keras.utils.set_random_seed(0)
print("Keras", keras.__version__, "| backend:", keras.backend.backend(), "| grading:", grading_mode())
""")
nb.md(r"""
## 1. Flexible sigmoid

$g(x, a) = 2|a|\,/\,(1 + e^{-2|a|x})$ is a sigmoid stretched to the range $(0, 2|a|)$ whose slope at
0 is $|a|^2$. Note that $2|a|/(1+e^{-2|a|x}) = 2|a|\,\sigma(2|a|x)$, where $\sigma$ is the logistic
sigmoid.

**Task.** Complete `FlexibleSigmoid`:

* `build(input_shape)`: create the trainable weight `a` with `self.add_weight`, initialised to
  `a_init` — a scalar, or, if `per_unit=True`, one value per input feature (`input_shape[-1]`);
* `call(x)`: return $g(x, a)$ with `keras.ops`. It must be finite for $|x|$ up to $10^4$ in float32,
  and so must its gradient (a hidden check tests this): $e^{-2|a|x}$ overflows for $x \ll 0$;
* `get_config()`: start from `super().get_config()` and add `a_init` and `per_unit`.

The decorator registers the class, so that `keras.models.load_model` finds it by name.
""")
nb.solution("flexible_sigmoid", '''
@keras.saving.register_keras_serializable(package="course")
class FlexibleSigmoid(keras.layers.Layer):
    """Flexible sigmoid g(x, a) = 2|a| / (1 + exp(-2|a|x)) with a trainable `a`.

    Args:
        a_init: initial value of `a`.
        per_unit: if True, one `a` per input feature (last axis); otherwise one scalar.
    """

    def __init__(self, a_init=1.0, per_unit=False, **kwargs):
        super().__init__(**kwargs)
        self.a_init = a_init
        self.per_unit = per_unit

    def build(self, input_shape):
        ### BEGIN SOLUTION
        shape = (input_shape[-1],) if self.per_unit else ()
        self.a = self.add_weight(
            name="a", shape=shape,
            initializer=keras.initializers.Constant(self.a_init), trainable=True,
        )
        ### END SOLUTION

    def call(self, x):
        ### BEGIN SOLUTION
        k = 2.0 * ops.abs(self.a)
        return k * ops.sigmoid(k * x)  # sigmoid is computed stably for any x
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        return {**super().get_config(), "a_init": self.a_init, "per_unit": self.per_unit}
        ### END SOLUTION
''')
nb.test("flexible_sigmoid.build", "FlexibleSigmoid")
nb.test("flexible_sigmoid.forward", "FlexibleSigmoid")
nb.test("flexible_sigmoid.stable", "FlexibleSigmoid")
nb.md(r"""
### Gradients, checked by central differences

Autodiff gives $\partial g/\partial x$ and $\partial g/\partial a$; central differences
$\big(g(x+h) - g(x-h)\big)/2h$ approximate the same numbers with error $O(h^2)$. In float64 with
$h = 10^{-6}$ the two must agree to about 6 digits. The check below runs your layer with
`dtype="float64"` and compares them — you do not need to write anything for it, but it will catch a
`call` that TensorFlow cannot differentiate (NumPy inside `call`, `.numpy()`, a `stop_gradient`).
""")
nb.test("flexible_sigmoid.gradient", "FlexibleSigmoid")
nb.md(r"""
## 2. Flexible tanh

$g(x, a) = \dfrac{1 - e^{-2|a|x}}{a\,(1 + e^{-2|a|x})}$. Since $\dfrac{1 - e^{-2u}}{1 + e^{-2u}} = \tanh u$,
this is $\tanh(|a|x)/a$: a tanh of slope 1 at the origin whose range is $(-1/a, 1/a)$ — note the
**sign** follows $a$.

At $a = 0$ the formula is $0/0$, but its limit as $a \to 0^+$ is $x$ (because $\tanh u \approx u$):
your layer must return that limit at $a = 0$ and stay accurate for tiny $a$, where float32 turns
$1 - e^{-2|a|x}$ into $0$.

**Task.** Complete `FlexibleTanh` (same `build`/`get_config` contract as `FlexibleSigmoid`).
`keras.ops.where(cond, a, b)` evaluates both branches: make sure the branch you do *not* select
cannot produce NaN, or its gradient will.
""")
nb.solution("flexible_tanh", '''
@keras.saving.register_keras_serializable(package="course")
class FlexibleTanh(keras.layers.Layer):
    """Flexible tanh g(x, a) = (1 - exp(-2|a|x)) / (a (1 + exp(-2|a|x))) = tanh(|a|x) / a.

    At a = 0 the layer returns the limit, x.

    Args:
        a_init: initial value of `a`.
        per_unit: if True, one `a` per input feature (last axis); otherwise one scalar.
    """

    def __init__(self, a_init=1.0, per_unit=False, **kwargs):
        super().__init__(**kwargs)
        self.a_init = a_init
        self.per_unit = per_unit

    def build(self, input_shape):
        ### BEGIN SOLUTION
        shape = (input_shape[-1],) if self.per_unit else ()
        self.a = self.add_weight(
            name="a", shape=shape,
            initializer=keras.initializers.Constant(self.a_init), trainable=True,
        )
        ### END SOLUTION

    def call(self, x):
        ### BEGIN SOLUTION
        a = self.a
        is_zero = ops.equal(a, 0.0)
        safe_a = ops.where(is_zero, ops.ones_like(a), a)  # keeps the unused branch (and its gradient) finite
        # (1 - e^(-2|a|x)) / (1 + e^(-2|a|x)) = tanh(|a|x): tanh is stable for any x and exact for tiny |a|x.
        return ops.where(is_zero, x, ops.tanh(ops.abs(safe_a) * x) / safe_a)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        return {**super().get_config(), "a_init": self.a_init, "per_unit": self.per_unit}
        ### END SOLUTION
''')
nb.test("flexible_tanh.build", "FlexibleTanh")
nb.test("flexible_tanh.forward", "FlexibleTanh")
nb.test("flexible_tanh.near_zero", "FlexibleTanh")
nb.test("flexible_tanh.stable", "FlexibleTanh")
nb.test("flexible_tanh.gradient", "FlexibleTanh")
nb.md(r"""
## 3. RBF activation

The deck's radial-basis activation $g(x, \beta) = e^{-x^2/\beta}$ is a bump of width $\sqrt\beta$.
$\beta$ must stay **positive**: a gradient step can push a raw weight below zero, after which
$e^{+x^2/|\beta|}$ explodes. The standard fix is to train an unconstrained weight $\rho$ and use
$\beta = e^{\rho}$.

**Task.** Complete `RBF(beta_init)`: one trainable weight, a `beta` property returning the positive
$\beta$ as a tensor, `call` computing $e^{-x^2/\beta}$, and `get_config` with `beta_init`.
""")
nb.solution("rbf", '''
@keras.saving.register_keras_serializable(package="course")
class RBF(keras.layers.Layer):
    """Gaussian radial-basis activation g(x, beta) = exp(-x**2 / beta) with a trainable beta > 0.

    Args:
        beta_init: initial (positive) value of beta.
    """

    def __init__(self, beta_init=1.0, **kwargs):
        super().__init__(**kwargs)
        self.beta_init = beta_init

    ### BEGIN SOLUTION
    def build(self, input_shape):
        self.log_beta = self.add_weight(
            name="log_beta", shape=(),
            initializer=keras.initializers.Constant(float(np.log(self.beta_init))), trainable=True,
        )

    @property
    def beta(self):
        return ops.exp(self.log_beta)

    def call(self, x):
        return ops.exp(-ops.square(x) / ops.cast(self.beta, x.dtype))

    def get_config(self):
        return {**super().get_config(), "beta_init": self.beta_init}
    ### END SOLUTION
''')
nb.test("rbf.forward", "RBF")
nb.test("rbf.positive", "RBF")
nb.md(r"""
## 4. Saving and rebuilding

A layer is only useful if a model that contains it can be saved and loaded. The checks below
rebuild each layer from `get_config()` with a non-default name, dtype and `trainable=False`, and
round-trip a small model through a `.keras` file.
""")
nb.test("activations.config", "FlexibleSigmoid", "FlexibleTanh", "RBF")
nb.test("activations.saving", "FlexibleSigmoid", "FlexibleTanh", "RBF")
nb.md(r"""
## 5. Experiment: does a learned shape help?

The same small network, `Dense(16) → activation → Dense(1)`, is trained on a seeded 1-D regression
task, once with a fixed `tanh` and once with `FlexibleTanh(per_unit=True)`, from the same initial
weights. Watch the loss curves and the learned values of $a$. (When the notebook is graded this
section is skipped: it is a demonstration, not a graded task.)
""")
nb.code("""
EPOCHS = 150

rng = np.random.default_rng(0)
x_train = np.sort(rng.uniform(-2.0, 2.0, size=(256, 1))).astype("float32")
y_train = (np.sin(3.0 * x_train) * np.exp(-0.3 * x_train**2) + 0.05 * rng.normal(size=x_train.shape)).astype("float32")


def regressor(activation):
    keras.utils.set_random_seed(1)
    hidden = keras.layers.Dense(16, kernel_initializer="glorot_uniform")
    model = keras.Sequential([keras.Input((1,)), hidden, activation, keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


histories, models = {}, {}
if grading_mode():
    print("graded run: the experiment is skipped (it earns no points)")
else:
    for label, activation in {"fixed tanh": keras.layers.Activation("tanh"),
                              "flexible tanh": FlexibleTanh(per_unit=True)}.items():
        models[label] = regressor(activation)
        histories[label] = models[label].fit(x_train, y_train, epochs=EPOCHS, batch_size=32, verbose=0).history["loss"]
        print(f"{label:14s} final MSE {histories[label][-1]:.4f}")
    print("learned a:", np.round(models["flexible tanh"].layers[1].a.numpy(), 2))
""")
nb.code("""
import matplotlib.pyplot as plt

if histories:  # a graded run skips the experiment: nothing to plot
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    for label, loss in histories.items():
        left.semilogy(loss, label=label)
    left.set(xlabel="epoch", ylabel="training MSE (log)", title="Loss curves")
    left.legend()
    grid = np.linspace(-2, 2, 200, dtype="float32").reshape(-1, 1)
    right.plot(x_train, y_train, ".", ms=3, alpha=0.4, label="data")
    for label, model in models.items():
        right.plot(grid, model.predict(grid, verbose=0), label=label)
    right.set(xlabel="x", ylabel="y", title="Fits")
    right.legend()
    plt.tight_layout()
    plt.show()
""")
nb.save("solutions/01-activations/01-activations.ipynb")
