"""Writes solutions/00-foundations/00-foundations.ipynb (the nbgrader source notebook)."""
from autograder.authoring import SourceNotebook
from autograder.checks import foundations as fd

nb = SourceNotebook("00-foundations",
                    "Assignment 00 — Foundations: the network equation, activations, approximation",
                    "مبانی شبکه‌های عصبی، توابع فعال‌ساز و خاصیت تقریب عمومی")
nb.md(r"""
**Why deep learning (deck, topic 1).** A neural network is a *non-linear function approximator*.
The number of layers a network needs grows with the dimension of its input, and deep networks
cannot be trained with the usual methods — hence *deep learning*, a part of machine learning whose
core is **feature learning**: learning the factors that explain the variation in the inputs.

This first assignment builds the ground everything else stands on:

1. the deck's one-hidden-layer network, written by hand in NumPy and then in Keras;
2. the common activation functions and their derivatives, checked against automatic differentiation;
3. a radial-basis-function (RBF) network built from the deck's Gaussian $g(x, \beta)$;
4. the universal approximation property, and how to choose a network's width and learning rate
   with a fixed training budget.
""")
nb.code("""
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras
import tensorflow as tf
from keras import ops
from autograder import grading_mode
from autograder.checks import check

keras.utils.set_random_seed(0)
print("Keras", keras.__version__, "| backend:", keras.backend.backend(), "| grading:", grading_mode())
""")

# ----------------------------------------------------------------------------- 1. the equation
nb.md(r"""
## 1. The network equation

The deck writes a network with one hidden layer as

$$\hat y = f^o\big(W^{oh}\, f^h(W^{ih} x + b^{ih}) + b^{oh}\big)$$

| symbol | meaning | shape |
|---|---|---|
| $x$ | one input (a column vector) | (inputs,) |
| $W^{ih}$, $b^{ih}$ | input → hidden weights and biases | (hidden, inputs), (hidden,) |
| $f^h$ | hidden activation, applied element by element | — |
| $W^{oh}$, $b^{oh}$ | hidden → output weights and biases | (outputs, hidden), (outputs,) |
| $f^o$ | output activation | — |

Read it inside out: the input meets $W^{ih}$ first, the hidden layer $h = f^h(W^{ih}x + b^{ih})$ is
computed, and only then $W^{oh}$ and $f^o$.

**Batches.** In code we stack many inputs as the *rows* of a matrix `x` of shape (batch, inputs).
Every row then needs $W^{ih}x$, and the rows of $x\,W^{ihT}$ are exactly that:

$$H = f^h\big(x\,W^{ihT} + b^{ih}\big) \in \mathbb{R}^{\text{batch}\times\text{hidden}}, \qquad
\hat Y = f^o\big(H\,W^{ohT} + b^{oh}\big) \in \mathbb{R}^{\text{batch}\times\text{outputs}}.$$

NumPy's broadcasting adds the bias vector, of shape (hidden,), to every row: each *unit* gets its own
bias, the same for every *sample*.

**Task.** Write `forward` in NumPy. `f_h` and `f_o` are functions applied element by element (e.g.
`np.tanh`). The checks isolate one idea each: the output's shape, which matrix is applied first,
where each bias goes, and the output activation.
""")
nb.solution("forward", '''
def forward(x, W_ih, b_ih, W_oh, b_oh, f_h, f_o):
    """The deck's network y = f_o(W_oh f_h(W_ih x + b_ih) + b_oh) for a batch of row samples.

    Args:
        x: inputs, shape (batch, inputs).
        W_ih, b_ih: input -> hidden weights (hidden, inputs) and biases (hidden,).
        W_oh, b_oh: hidden -> output weights (outputs, hidden) and biases (outputs,).
        f_h, f_o: hidden and output activations (element-wise functions).

    Returns:
        The outputs, shape (batch, outputs).
    """
    ### BEGIN SOLUTION
    hidden = f_h(x @ W_ih.T + b_ih)     # (batch, hidden): row i is f_h(W_ih x_i + b_ih)
    return f_o(hidden @ W_oh.T + b_oh)  # (batch, outputs)
    ### END SOLUTION
''')
nb.test("equation.shapes", "forward")
nb.test("equation.order", "forward")
nb.test("equation.bias", "forward")
nb.test("equation.output_activation", "forward")
nb.md(r"""
**Why the hidden layer matters.** No single linear threshold unit can compute XOR, but one hidden
layer can: with a step activation, hidden unit 1 computes OR, hidden unit 2 computes AND, and the
output fires for "OR but not AND". The weights below are set by hand; your `forward` does the rest.
""")
nb.code("""
def heaviside(z):
    return (np.asarray(z) > 0).astype(float)


inputs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
W_ih_xor, b_ih_xor = np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([-0.5, -1.5])  # OR, AND
W_oh_xor, b_oh_xor = np.array([[1.0, -2.0]]), np.array([-0.5])                   # OR and not AND
xor = forward(inputs, W_ih_xor, b_ih_xor, W_oh_xor, b_oh_xor, heaviside, heaviside)
for (a, b), y in zip(inputs.astype(int), xor[:, 0]):
    print(f"{a} XOR {b} = {y:.0f}")
""")
nb.md(r"""
### The same network in Keras

`keras.layers.Dense(units, activation)` computes `activation(x @ kernel + bias)`, where `kernel` has
shape **(inputs, units)**: Keras stores the *transpose* of the deck's $W$. Two `Dense` layers make
the deck's network, and `layer.set_weights([kernel, bias])` copies weights into a layer.

**Task.** Write `keras_network`: a `keras.Sequential` with an `Input` and two `Dense` layers whose
weights are copied from the NumPy arrays, so that it computes exactly what `forward` computes.
Activations are given by name (`"tanh"`, `"sigmoid"`, `"relu"`, `"linear"`).
""")
nb.solution("keras_network", '''
def keras_network(W_ih, b_ih, W_oh, b_oh, hidden_activation, output_activation):
    """The deck's one-hidden-layer network as a Keras model, with the given weights.

    Args:
        W_ih, b_ih, W_oh, b_oh: the weights in the deck's shapes (as for `forward`).
        hidden_activation, output_activation: Keras activation names, e.g. "tanh".

    Returns:
        A `keras.Sequential` model mapping (batch, inputs) to (batch, outputs).
    """
    ### BEGIN SOLUTION
    n_hidden, n_inputs = W_ih.shape
    model = keras.Sequential([
        keras.Input((n_inputs,)),
        keras.layers.Dense(n_hidden, activation=hidden_activation),
        keras.layers.Dense(W_oh.shape[0], activation=output_activation),
    ])
    hidden_layer, output_layer = model.layers
    # Dense computes x @ kernel + bias with kernel (inputs, units): the kernel is the deck's W transposed.
    hidden_layer.set_weights([W_ih.T, b_ih])
    output_layer.set_weights([W_oh.T, b_oh])
    return model
    ### END SOLUTION
''')
nb.test("equation.keras", "keras_network")
nb.md("Both implementations side by side, on random weights (float32 in Keras, float64 in NumPy):")
nb.code("""
rng = np.random.default_rng(1)
W_ih, b_ih = rng.normal(size=(5, 3)), rng.normal(size=5)
W_oh, b_oh = rng.normal(size=(2, 5)), rng.normal(size=2)
x = rng.normal(size=(4, 3))

model = keras_network(W_ih, b_ih, W_oh, b_oh, "tanh", "sigmoid")
by_numpy = forward(x, W_ih, b_ih, W_oh, b_oh, np.tanh, lambda z: 1 / (1 + np.exp(-z)))
by_keras = model(x.astype("float32")).numpy()
print("largest difference between NumPy and Keras:", float(np.max(np.abs(by_numpy - by_keras))))
model.summary()
""")

# ----------------------------------------------------------------------------- 2. activations
nb.md(r"""
## 2. Common activation functions

The deck plots four common activations, (a)–(d): sigmoid, tanh, ReLU and linear/step (here taken as
two). With their derivatives:

| name | $f(x)$ | $f'(x)$ |
|---|---|---|
| sigmoid | $\sigma(x) = \dfrac{1}{1 + e^{-x}}$ | $\sigma(x)\,\big(1 - \sigma(x)\big)$ |
| tanh | $\tanh x = \dfrac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\sigma(2x) - 1$ | $1 - \tanh^2 x$ |
| ReLU | $\max(0, x)$ | $1$ for $x > 0$, $0$ for $x < 0$ |
| step | $1$ for $x > 0$, $0$ for $x < 0$ | $0$ for $x \ne 0$ |
| linear | $x$ | $1$ |

(At $x = 0$ ReLU has a kink and the step a jump: neither has a derivative there. Libraries pick a
value by convention, not always the same one, so the checks and plots avoid that point.)

**Task.** Write each activation with `keras.ops` (`ops.exp`, `ops.maximum`, `ops.greater`, `ops.cast`,
…), so that TensorFlow can differentiate it, and its derivative from the table. Note that the
derivatives of sigmoid and tanh are written in terms of the function's *value*: compute $\sigma(x)$
first. Each function takes an array or tensor and returns one of the same shape.
""")
nb.solution("activations", '''
def sigmoid(x):
    ### BEGIN SOLUTION
    return 1.0 / (1.0 + ops.exp(-x))
    ### END SOLUTION


def tanh(x):
    ### BEGIN SOLUTION
    return 2.0 * sigmoid(2.0 * x) - 1.0
    ### END SOLUTION


def relu(x):
    ### BEGIN SOLUTION
    return ops.maximum(x, 0.0)
    ### END SOLUTION


def step(x):
    ### BEGIN SOLUTION
    return ops.cast(ops.greater(x, 0.0), "float32")
    ### END SOLUTION


def linear(x):
    ### BEGIN SOLUTION
    return x
    ### END SOLUTION


def d_sigmoid(x):
    ### BEGIN SOLUTION
    s = sigmoid(x)
    return s * (1.0 - s)
    ### END SOLUTION


def d_tanh(x):
    ### BEGIN SOLUTION
    t = tanh(x)
    return 1.0 - t * t
    ### END SOLUTION


def d_relu(x):
    ### BEGIN SOLUTION
    return ops.cast(ops.greater(x, 0.0), "float32")
    ### END SOLUTION


def d_step(x):
    ### BEGIN SOLUTION
    return ops.zeros_like(x)
    ### END SOLUTION


def d_linear(x):
    ### BEGIN SOLUTION
    return ops.ones_like(x)
    ### END SOLUTION
''')
nb.test("common_activations.values", "sigmoid", "tanh", "relu", "step", "linear")
nb.test("common_activations.derivatives", "d_sigmoid", "d_tanh", "d_relu", "d_step", "d_linear")
nb.md(r"""
### Derivatives by automatic differentiation

TensorFlow can differentiate any computation written with its operations: inside a
`tf.GradientTape()` block it records what is computed from the tensors it *watches* (variables are
watched automatically, constants must be watched with `tape.watch(x)`), and `tape.gradient(y, x)`
then gives $\partial y / \partial x$. For a non-scalar `y` it gives the gradient of `sum(y)`; for an
element-wise $f$ that is exactly $f'(x_i)$ at every point $x_i$.

**Task.** Write `autodiff_derivative(f, x)`: $f'$ at every element of `x`, by autodiff. Where `f`
does not depend differentiably on `x` (the step function), `tape.gradient` returns `None`; return
zeros instead (`unconnected_gradients=tf.UnconnectedGradients.ZERO`).
""")
nb.solution("autodiff_derivative", '''
def autodiff_derivative(f, x):
    """f'(x) element by element, by automatic differentiation.

    Args:
        f: an element-wise function written with keras.ops.
        x: an array of any shape.

    Returns:
        f' at every element of x, same shape as x.
    """
    ### BEGIN SOLUTION
    x = tf.constant(x, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)  # a constant is not followed unless watched
        y = f(x)
    # gradient of sum(f(x)): for an element-wise f, f'(x_i) in position i
    return tape.gradient(y, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    ### END SOLUTION
''')
nb.test("common_activations.autodiff", "autodiff_derivative")
nb.md(r"""
Your hand-written derivatives against autodiff, for each activation. The shaded regions are where
the derivative is below 1 % of its largest value: there the unit is **saturated**, and gradient
descent barely moves the weights that feed it.
""")
nb.code("""
import matplotlib.pyplot as plt

ACTIVATIONS = {"sigmoid": (sigmoid, d_sigmoid), "tanh": (tanh, d_tanh), "ReLU": (relu, d_relu),
               "step": (step, d_step), "linear": (linear, d_linear)}
grid = np.linspace(-7, 7, 280, dtype="float32")  # an even count: x = 0 is not on it
fig, axes = plt.subplots(1, len(ACTIVATIONS), figsize=(16, 3.2), sharex=True)
for ax, (name, (f, d_f)) in zip(axes, ACTIVATIONS.items()):
    by_hand = np.asarray(d_f(grid))
    by_autodiff = np.asarray(autodiff_derivative(f, grid))
    print(f"{name:8s} largest |hand - autodiff| = {np.max(np.abs(by_hand - by_autodiff)):.2e}")
    saturated = by_hand <= 0.01 * max(by_hand.max(), 1e-12)
    ax.fill_between(grid, -1.2, 1.2, where=saturated, color="0.9", label="saturated")
    ax.plot(grid, np.asarray(f(grid)), label="f")
    ax.plot(grid, by_hand, "--", label="f′ by hand")
    ax.plot(grid[::14], by_autodiff[::14], "o", ms=3, label="f′ by autodiff")
    ax.set(title=name, ylim=(-1.2, 1.2), xlabel="x")
axes[0].legend(fontsize=7, loc="upper left")
plt.tight_layout()
plt.show()
""")
nb.md(r"""
### Where each activation saturates

To put a number on it: call $x_s$ the smallest $x \ge 0$ at which $f'(x) \le \text{fraction}\cdot f'(0)$.

**Task.** Write `saturation_point(d_f, fraction=0.01)` for a derivative `d_f` that is largest at 0 and
falls as $x$ grows (as for sigmoid and tanh). It must be accurate to $10^{-3}$: a fine grid over
$[0, 100]$ is enough (`np.argmax` of a boolean array finds the first `True`), or bisection. `d_f`
accepts a NumPy array or a number and may return a tensor: wrap its result in `np.asarray`.
""")
nb.solution("saturation_point", '''
def saturation_point(d_f, fraction=0.01):
    """The smallest x >= 0 with d_f(x) <= fraction * d_f(0), to 1e-3."""
    ### BEGIN SOLUTION
    threshold = fraction * float(np.asarray(d_f(0.0)))
    xs = np.linspace(0.0, 100.0, 200_001)  # steps of 5e-4
    below = np.asarray(d_f(xs)) <= threshold
    return float(xs[np.argmax(below)])
    ### END SOLUTION
''')
nb.test("common_activations.saturation", "saturation_point")
nb.code("""
for name, d_f in {"sigmoid": d_sigmoid, "tanh": d_tanh}.items():
    print(f"{name:8s} f′ falls below 1 % of f′(0) for |x| > {saturation_point(d_f):.2f}")
""")
nb.md(r"""
**Question (written).** Using the plots and the numbers above: where does each of the four activations
saturate, and what does saturation mean for gradient descent on the weights feeding a saturated unit?
""")
nb.written("saturation_answer", 1, r"""
Sigmoid saturates on both sides for $|x| \gtrsim 6$ (its derivative is at most $1/4$ and falls below
1 % of that), tanh for $|x| \gtrsim 3$. ReLU saturates on the whole negative half-line (derivative 0:
a unit whose input is always negative is "dead") and never on the positive side (derivative 1).
The step's derivative is 0 everywhere it exists: it is saturated everywhere, which is why step
units cannot be trained by gradient descent. Linear never saturates (but gives no non-linearity).
The gradient reaching a unit's incoming weights is multiplied by $f'$: where $f' \approx 0$ those
weights barely change, so training stalls; through many layers these factors multiply (the deck's
vanishing gradient). Full marks: the regions for sigmoid/tanh, ReLU's negative side, step, and
the consequence (tiny gradients, slow or stalled learning).
""")

# ----------------------------------------------------------------------------- 3. RBF network
nb.md(r"""
## 3. An RBF network

The deck's radial-basis activation is the Gaussian $g(x, \beta) = \exp(-x^2/\beta)$: a bump of width
$\sqrt\beta$ around 0. An **RBF network** places $m$ such units at centres $c_1, \dots, c_m$ and adds
them up with output weights $w_j$:

$$\hat y(x) = \sum_{j=1}^{m} w_j\, g(x - c_j, \beta) = \Phi w, \qquad \Phi_{ij} = \exp\!\big(-(x_i - c_j)^2/\beta\big).$$

With the centres and $\beta$ fixed, $\hat y$ is *linear* in $w$, so the best weights for samples
$(x_i, y_i)$ solve a least-squares problem, $\min_w \lVert \Phi w - y \rVert^2$ — no gradient descent
needed.

**Task.** Write `rbf_features(x, centers, beta)`, the matrix $\Phi$ of shape (samples, units), and
`fit_rbf(x, y, centers, beta)`, the least-squares weights (`np.linalg.lstsq(Phi, y, rcond=None)`
returns a tuple whose first element is the solution).
""")
nb.solution("rbf_network", '''
def rbf_features(x, centers, beta):
    """Phi[i, j] = exp(-(x[i] - centers[j])**2 / beta); x (samples,), centers (units,)."""
    ### BEGIN SOLUTION
    distance = np.asarray(x)[:, None] - np.asarray(centers)[None, :]  # (samples, units)
    return np.exp(-np.square(distance) / beta)
    ### END SOLUTION


def fit_rbf(x, y, centers, beta):
    """The output weights w (units,) minimising ||rbf_features(x, centers, beta) @ w - y||^2."""
    ### BEGIN SOLUTION
    weights, *_ = np.linalg.lstsq(rbf_features(x, centers, beta), y, rcond=None)
    return weights
    ### END SOLUTION
''')
nb.test("rbf_network.features", "rbf_features")
nb.test("rbf_network.fit", "rbf_features", "fit_rbf")
nb.md(r"""
The 1-D target for the rest of the notebook is $y = \sin 2x + 0.3x$ on $[-3, 3]$, observed with a
little noise: a training set to fit and a validation set to judge the fit on data it has not seen.
""")
nb.code("""
def target(x):
    return np.sin(2.0 * x) + 0.3 * x


data_rng = np.random.default_rng(0)
x_train = np.sort(data_rng.uniform(-3, 3, size=(48, 1)), axis=0).astype("float32")
y_train = (target(x_train) + 0.1 * data_rng.normal(size=x_train.shape)).astype("float32")
x_val = data_rng.uniform(-3, 3, size=(48, 1)).astype("float32")
y_val = (target(x_val) + 0.1 * data_rng.normal(size=x_val.shape)).astype("float32")
x_plot = np.linspace(-3, 3, 300, dtype="float32").reshape(-1, 1)
""")
nb.md(r"""
Twelve centres, three widths. A small $\beta$ gives narrow bumps that cannot bridge the gaps between
centres: the fit sags to 0 between them. A large $\beta$ gives wide, strongly overlapping bumps: the
columns of $\Phi$ become nearly equal, and least squares fits the data only with huge weights of
opposite signs that cancel (an *ill-conditioned* problem: a tiny change in the data changes $w$
enormously). The right panel scans $\beta$: the validation error is flat over a wide range, while
the largest weight explodes — prefer the well-conditioned end of the flat range.
""")
nb.code("""
import matplotlib.pyplot as plt

centers = np.linspace(-3, 3, 12)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
left.plot(x_train[:, 0], y_train[:, 0], ".", color="0.5", label="training data")
for beta in (0.02, 0.3, 5.0):
    w = fit_rbf(x_train[:, 0], y_train[:, 0], centers, beta)
    left.plot(x_plot[:, 0], rbf_features(x_plot[:, 0], centers, beta) @ w, label=f"β = {beta}")
left.set(xlabel="x", ylabel="y", title="RBF network fits", ylim=(-2.5, 2.5))
left.legend(fontsize=8)

betas = np.geomspace(0.01, 10, 40)
weights = [fit_rbf(x_train[:, 0], y_train[:, 0], centers, b) for b in betas]
val_mse = [np.mean((rbf_features(x_val[:, 0], centers, b) @ w - y_val[:, 0]) ** 2) for b, w in zip(betas, weights)]
right.loglog(betas, val_mse, label="validation MSE")
right.loglog(betas, [np.max(np.abs(w)) for w in weights], "--", label="largest |w|")
right.set(xlabel="β", title="Choosing β")
right.legend(fontsize=8)
plt.tight_layout()
plt.show()
for beta in (0.02, 0.3, 5.0):
    w = fit_rbf(x_train[:, 0], y_train[:, 0], centers, beta)
    error = np.mean((rbf_features(x_val[:, 0], centers, beta) @ w - y_val[:, 0]) ** 2)
    print(f"β = {beta:4}: validation MSE {error:.4f}, largest |w| {np.max(np.abs(w)):.3g}")
""")

# ----------------------------------------------------------------------------- 4. approximation
nb.md(r"""
## 4. Universal approximation

The **universal approximation** property (deck, topic 10): a network with *one* hidden layer and a
non-polynomial activation (sigmoid, tanh, ReLU, …) can approximate any continuous function on a
bounded interval as closely as we like — provided the hidden layer is wide enough. The theorem says
such weights *exist*; whether training finds them, and how wide "enough" is, we measure.

**Task.** Write `make_mlp(width, learning_rate)`: a `keras.Sequential` network
$1 \to \text{width} \to 1$ — one hidden `Dense` layer with a non-linear activation (tanh is a good
choice), a linear output (the target is any real number) — compiled with
`keras.optimizers.Adam(learning_rate)` and the mean-squared-error loss.
""")
nb.solution("make_mlp", '''
def make_mlp(width, learning_rate):
    """A compiled 1 -> width -> 1 regression network: tanh hidden layer, linear output, Adam, MSE."""
    ### BEGIN SOLUTION
    model = keras.Sequential([
        keras.Input((1,)),
        keras.layers.Dense(width, activation="tanh"),
        keras.layers.Dense(1),  # f_o = identity
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model
    ### END SOLUTION
''')
nb.test("approximation.model", "make_mlp")
nb.md(rf"""
The next check trains `make_mlp({fd.FIT_WIDTH}, {fd.FIT_RATE})` for {fd.FIT_STEPS} full-batch Adam steps on
$\sin 1.5x$, $x \in [-3, 3]$, and asks for an MSE below {fd.FIT_BOUND} (the best straight line scores
{fd.LINE_MSE:.2f}): one hidden layer really does fit it, whichever usual non-linear activation you chose.

`train` below does full-batch training: with the whole training set in one batch, one epoch is one
gradient step. (A `tf.data` dataset that repeats the batch runs all the steps as one `fit` epoch,
which avoids Keras's per-epoch overhead on such a tiny problem.)
""")
nb.test("approximation.fits", "make_mlp")
nb.code('''
def train(model, x, y, steps):
    """`steps` full-batch gradient steps on (x, y); returns the model."""
    batches = tf.data.Dataset.from_tensors((x, y)).repeat()
    model.fit(batches, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
    return model


def mse(model, x, y):
    return float(np.mean((np.asarray(model(x)) - y) ** 2))
''')
nb.md(r"""
**Error against width.** Each width is trained for the same number of steps on the noise-free
target, and its error is measured on a fine grid: the approximation error falls as the hidden layer
widens, as the theorem promises (until the fixed training budget, not the width, is what limits it).
""")
nb.code("""
import matplotlib.pyplot as plt

EPOCHS = 5 if grading_mode() else 1500  # full-batch steps per network
WIDTHS = (2, 8) if grading_mode() else (1, 2, 4, 8, 16, 32, 64)

keras.utils.set_random_seed(0)
approximation_error, fitted = [], {}
for width in WIDTHS:
    model = train(make_mlp(width, 0.01), x_plot, target(x_plot), EPOCHS)
    approximation_error.append(mse(model, x_plot, target(x_plot)))
    fitted[width] = np.asarray(model(x_plot))
    print(f"width {width:3d}: MSE {approximation_error[-1]:.2e}")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
left.loglog(WIDTHS, approximation_error, "o-")
left.set(xlabel="hidden units (width)", ylabel="MSE on the target", title="Error against width")
right.plot(x_plot, target(x_plot), "k", lw=3, alpha=0.3, label="target")
for width in sorted({WIDTHS[0], WIDTHS[1], WIDTHS[len(WIDTHS) // 2], WIDTHS[-1]}):
    right.plot(x_plot, fitted[width], label=f"width {width}")
right.set(xlabel="x", ylabel="y", title="One hidden layer, growing width")
right.legend(fontsize=8, loc="lower right")
plt.tight_layout()
plt.show()
""")

# ----------------------------------------------------------------------------- 5. search
nb.md(r"""
## 5. Choosing the structure: a hyper-parameter search

The deck's topic 10 pairs universal approximation with **tuning the hyper-parameters**: the width,
the learning rate, … are not learnt by gradient descent, so we choose them by trying. A fair search
fixes the **budget**: every configuration gets the same training (here the same number of steps), and
is judged on the **validation** set — a wider network always fits its *training* data better, and
only held-out data shows whether it generalises.

**Task.** Write `grid_search(evaluate, widths, learning_rates)`. `evaluate(width, learning_rate)` trains
one network (it is expensive: call it exactly once per configuration) and returns a dict with
`"train_mse"` and `"val_mse"`. Return `(best, table)`: `table[i, j]` is the validation MSE of
`widths[i]` with `learning_rates[j]`, and `best` is the `(width, learning_rate)` pair with the lowest
validation MSE.
""")
nb.solution("grid_search", '''
def grid_search(evaluate, widths, learning_rates):
    """Evaluate every (width, learning_rate) once; return ((best_width, best_rate), val_mse_table)."""
    ### BEGIN SOLUTION
    table = np.empty((len(widths), len(learning_rates)))
    for i, width in enumerate(widths):
        for j, rate in enumerate(learning_rates):
            table[i, j] = evaluate(width, rate)["val_mse"]
    i, j = np.unravel_index(np.argmin(table), table.shape)
    return (widths[i], learning_rates[j]), table
    ### END SOLUTION
''')
nb.test("approximation.search", "grid_search")
nb.md(r"""
The real search: three widths × three learning rates, each trained for the same number of steps on
the noisy training set.
""")
nb.code("""
import matplotlib.pyplot as plt

EPOCHS = 5 if grading_mode() else 600  # the fixed budget: full-batch steps per configuration
SEARCH_WIDTHS = (4, 16) if grading_mode() else (4, 16, 64)
SEARCH_RATES = (0.01,) if grading_mode() else (0.001, 0.01, 0.1)


def evaluate(width, learning_rate):
    keras.utils.set_random_seed(0)  # the same initial draw for every configuration
    model = train(make_mlp(width, learning_rate), x_train, y_train, EPOCHS)
    return {"train_mse": mse(model, x_train, y_train), "val_mse": mse(model, x_val, y_val)}


(best_width, best_rate), table = grid_search(evaluate, SEARCH_WIDTHS, SEARCH_RATES)
print(f"best configuration: width {best_width}, learning rate {best_rate} "
      f"(validation MSE {table.min():.4f}; the noise alone gives about {0.1 ** 2:.4f})")

fig, ax = plt.subplots(figsize=(4.5, 3.5))
image = ax.imshow(np.log10(table), cmap="viridis_r")
ax.set(xticks=range(len(SEARCH_RATES)), xticklabels=SEARCH_RATES, xlabel="learning rate",
       yticks=range(len(SEARCH_WIDTHS)), yticklabels=SEARCH_WIDTHS, ylabel="width",
       title="log₁₀ validation MSE")
for (i, j), value in np.ndenumerate(table):
    ax.text(j, i, f"{value:.3f}", ha="center", va="center", color="w" if value > np.median(table) else "k")
fig.colorbar(image)
plt.tight_layout()
plt.show()
""")
nb.md(r"""
**Question (written).** Section 4 showed one hidden layer fits a 1-D target well. The deck nevertheless
argues for *deep* networks (topics 1 and 12). Give two reasons why a wide shallow network is not the
end of the story.
""")
nb.written("why_deep", 2, r"""
Any two well-argued reasons, e.g.: (1) the theorem is about existence: it does not say how many units
are needed — for some functions of a $d$-dimensional input a shallow network needs exponentially many
units in $d$, where a deep one needs far fewer (the deck: the number of layers grows with the input
dimension); (2) depth composes features: later layers reuse features computed by earlier ones
(feature learning), e.g. edges → shapes → objects, which a single layer must build from scratch;
(3) the theorem says nothing about *learning* the weights from finite data, with a fixed budget of
training, or about generalisation — our search had to be judged on validation data; (4) fewer
parameters for the same accuracy means less data and compute. 1 point per reason with a sentence of
justification.
""")
nb.save("solutions/00-foundations/00-foundations.ipynb")
