"""Writes solutions/02-recurrent/02-recurrent.ipynb (the nbgrader source notebook)."""
from autograder.authoring import SourceNotebook

nb = SourceNotebook("02-recurrent", "Assignment 02 — Recurrent networks: Elman and Jordan",
                    "شبکه‌های عصبی بازگشتی: معماری جردن و المن")
nb.md(r"""
The deck sorts networks for sequences into two kinds:

| kind | the prediction at step $k$ |
|---|---|
| feed-forward (with a tapped delay line) | $\hat y_k = f(x_k, x_{k-1}, \dots, x_0;\ \theta)$ |
| recurrent | $\hat y_k = f(x_k, x_{k-1}, \dots, x_0,\ y_{k-1}, \dots, y_0;\ \theta)$ |

A recurrent network is a *temporal model*: the data is produced by a process whose **state variable**
evolves over time, and the mechanism is the same at every step — the output now relates to the state
and the input exactly as the previous output did. So one *cell*, with the same weights, is applied at
every step, and it carries something from one step to the next. The deck names two architectures that
differ in **what** they carry: the **Elman** network feeds back its hidden state, the **Jordan**
network its previous output. "The goal is to learn how the state evolves. The Jordan architecture is
not suitable. Why?" — you will answer that question with an experiment in section 4.

You will write both cells as Keras layers, build the tapped-delay inputs of a feed-forward network,
and predict a real series (yearly sunspots) and a generated one (Mackey–Glass).
""")
nb.code("""
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from pathlib import Path

import numpy as np
import keras
from keras import ops
from autograder import grading_mode
from autograder.checks import check

keras.utils.set_random_seed(0)
print("Keras", keras.__version__, "| backend:", keras.backend.backend(), "| grading:", grading_mode())
""")
nb.md(r"""
## 1. The Elman cell

An Elman network keeps a hidden state $h_t$ and feeds it back into the hidden layer:

$$h_t = f\big(W_x x_t + W_h h_{t-1} + b\big), \qquad h_0 = 0,$$

and reads its prediction from $h_t$ with a further layer ($\hat y_t = W_o h_t + b_o$, a `Dense`).

Keras splits a recurrent layer in two: a **cell** computes one step, and `keras.layers.RNN(cell)`
loops it over the time axis (and backpropagates through time). A cell is a `Layer` with

* `state_size`: the size of the state it carries (here `units`);
* `build(input_shape)`: `input_shape` is the shape of **one step's** input, `(batch, features)`;
* `call(inputs, states)`: `inputs` is $x_t$ of shape `(batch, features)`, `states` a list holding
  $h_{t-1}$; it returns `(output, [new_state])`. For Elman both are $h_t$.

Keras keeps a batch as **rows**, so $W_x x_t$ is written `x_t @ kernel`, with `kernel` $= W_x^\top$ of
shape `(features, units)`. Name the weights as Keras's own `SimpleRNN` does — `kernel` ($W_x$),
`recurrent_kernel` ($W_h$, `(units, units)`), `bias` ($b$, `(units,)`): the checks copy
`SimpleRNN`'s weights into your cell, and the two must then compute the same thing.

**Task.** Complete `ElmanCell`: declare `state_size`, create the three weights in `build` with
`self.add_weight` (initialisers: `"glorot_uniform"`, `"orthogonal"`, `"zeros"`), compute the step in
`call` with `keras.ops`, and return `units` and `activation` from `get_config`.
""")
nb.solution("elman_cell", '''
@keras.saving.register_keras_serializable(package="course")
class ElmanCell(keras.layers.Layer):
    """One step of an Elman network: h_t = f(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias).

    Use it as `keras.layers.RNN(ElmanCell(units))`.

    Args:
        units: size of the hidden state h_t (and of the output).
        activation: f, a name or a callable (default "tanh").
    """

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        ### BEGIN SOLUTION
        self.state_size = units
        self.output_size = units
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        features = input_shape[-1]
        self.kernel = self.add_weight(name="kernel", shape=(features, self.units), initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.units, self.units), initializer="orthogonal")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        ### END SOLUTION

    def call(self, inputs, states):
        ### BEGIN SOLUTION
        h_prev = states[0]
        h = self.activation(
            ops.matmul(inputs, self.kernel) + ops.matmul(h_prev, self.recurrent_kernel) + self.bias)
        return h, [h]  # the output is the new state
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation)}
        ### END SOLUTION
''')
nb.test("elman.build", "ElmanCell")
nb.test("elman.forward", "ElmanCell")
nb.md(r"""
When a sum of three terms is wrong, the output alone does not say which term is. The next check sets
every weight but one to zero — only $W_x x_t$, then only $W_h h_{t-1}$ (from a non-zero $h_0$, passed as
`initial_state`), then only $b$ — so its message can name the wrong term.
""")
nb.test("elman.terms", "ElmanCell")
nb.md(r"""
### Gradients through time

`keras.layers.RNN` differentiates the loop for you (backpropagation through time): the gradient
w.r.t. $W_h$ sums contributions from every step, each passing back through all later states. The
check below runs your cell in float64 and compares the gradient of $L = \sum_{t} G_t \odot h_t$ with
central differences $\big(L(W + \epsilon V) - L(W - \epsilon V)\big)/2\epsilon$ along fixed directions $V$.
You do not write anything for it; it catches a `call` that TensorFlow cannot differentiate, or one that
cuts the gradient between steps.
""")
nb.test("elman.gradient", "ElmanCell")
nb.test("elman.config", "ElmanCell")
nb.md(r"""
## 2. The Jordan cell

A Jordan network feeds back its previous **output** instead of its hidden state:

$$h_t = f\big(W_x x_t + W_y y_{t-1} + b\big), \qquad y_t = g\big(W_o h_t + b_o\big), \qquad y_0 = 0.$$

The state it carries is $y_t$, so `state_size` is the number of outputs, and the output layer
($W_o$, $b_o$, $g$) is part of the cell: the cell needs $y_t$ to feed it back. Here the cell feeds back
its own output, as it must when it predicts.

**Task.** Complete `JordanCell(units, output_units)`: weights `kernel` ($W_x$, `(features, units)`),
`feedback_kernel` ($W_y$, `(output_units, units)`), `bias` ($b$), `output_kernel` ($W_o$,
`(units, output_units)`), `output_bias` ($b_o$); `call` returns `(y, [y])`.
""")
nb.solution("jordan_cell", '''
@keras.saving.register_keras_serializable(package="course")
class JordanCell(keras.layers.Layer):
    """One step of a Jordan network; the state fed back is the previous output y_{t-1}.

        h_t = f(x_t @ kernel + y_{t-1} @ feedback_kernel + bias)
        y_t = g(h_t @ output_kernel + output_bias)

    Args:
        units: size of the hidden layer h_t.
        output_units: size of the output y_t (and so of the state).
        activation: f (default "tanh"); output_activation: g (default "linear").
    """

    def __init__(self, units, output_units, activation="tanh", output_activation="linear", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.output_units = output_units
        self.activation = keras.activations.get(activation)
        self.output_activation = keras.activations.get(output_activation)
        ### BEGIN SOLUTION
        self.state_size = output_units
        self.output_size = output_units
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        features = input_shape[-1]
        self.kernel = self.add_weight(name="kernel", shape=(features, self.units), initializer="glorot_uniform")
        self.feedback_kernel = self.add_weight(
            name="feedback_kernel", shape=(self.output_units, self.units), initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.output_kernel = self.add_weight(
            name="output_kernel", shape=(self.units, self.output_units), initializer="glorot_uniform")
        self.output_bias = self.add_weight(name="output_bias", shape=(self.output_units,), initializer="zeros")
        ### END SOLUTION

    def call(self, inputs, states):
        ### BEGIN SOLUTION
        y_prev = states[0]
        h = self.activation(
            ops.matmul(inputs, self.kernel) + ops.matmul(y_prev, self.feedback_kernel) + self.bias)
        y = self.output_activation(ops.matmul(h, self.output_kernel) + self.output_bias)
        return y, [y]  # the output itself is fed back
        ### END SOLUTION

    def get_config(self):
        return {**super().get_config(), "units": self.units, "output_units": self.output_units,
                "activation": keras.activations.serialize(self.activation),
                "output_activation": keras.activations.serialize(self.output_activation)}
''')
nb.test("jordan.state", "JordanCell")
nb.test("jordan.forward", "JordanCell")
nb.md(r"""
## 3. Tapped delay line: a feed-forward network that sees the past

A feed-forward network has no state: to use the past it must be **given** the past as inputs. A tapped
delay line feeds it the current input and the $d$ before it,

$$\hat y_k = f(x_k, x_{k-1}, \dots, x_{k-d};\ \theta),$$

the deck's feed-forward equation with the past cut to a window of $d$ steps. A recurrent network needs
no window: its state summarises the whole past, $\hat y_k = f(x_k, \dots, x_0, y_{k-1}, \dots, y_0;\ \theta)$.

To predict a series one step ahead, the input at step $k$ is the value $x_k$ and the target is the
next value, $y_k = x_{k+1}$. The window must never contain its own target (or anything later): a model
trained on such windows learns to copy the answer and fails on the future.

**Task.** Write `make_windows(series, d)` for a NumPy array `series` of shape `(N,)` or `(N, F)`. It
returns `(X, Y)` with one row per step $k = d, \dots, N-2$ (so $N - d - 1$ rows):
`X[i] = series[i : i + d + 1]` (the values $x_{k-d}, \dots, x_k$, oldest first, where $k = i + d$) and
`Y[i] = series[i + d + 1]` (the next value, $x_{k+1}$).
""")
nb.solution("make_windows", '''
def make_windows(series, d):
    """Tapped-delay-line inputs and one-step-ahead targets.

    Args:
        series: array of shape (N,) or (N, F), in time order.
        d: number of past steps in each window besides the current one.

    Returns:
        X: shape (N - d - 1, d + 1, ...), X[i] = series[i : i + d + 1] (oldest first).
        Y: shape (N - d - 1, ...), Y[i] = series[i + d + 1], the value after window i.
    """
    ### BEGIN SOLUTION
    series = np.asarray(series)
    X = np.stack([series[k - d:k + 1] for k in range(d, len(series) - 1)])
    Y = series[d + 1:]
    return X, Y
    ### END SOLUTION
''')
nb.test("windows.values", "make_windows")
nb.test("windows.no_leak", "make_windows")
nb.md(r"""
## 4. Why is the Jordan architecture not suitable?

Take a process whose state has **more** in it than its output. The state $s_t \in \mathbb{R}^2$ is a
damped rotation driven by a random input, and only its first coordinate is observed:

$$s_t = \rho\begin{pmatrix}\cos\omega & -\sin\omega\\ \sin\omega & \cos\omega\end{pmatrix} s_{t-1}
      + \begin{pmatrix}x_t\\ 0\end{pmatrix},\qquad y_t = s_{t,1}, \qquad x_t \sim \mathcal N(0, 1),$$

with $\rho = 0.95$ and $\omega = 2\pi/8$. The task is sequence-to-sequence: from $x_1, \dots, x_t$,
predict $y_t$ at every step. An Elman network (8 hidden units, then a `Dense(1)` read-out) and a Jordan
network (32 hidden units, so **more** weights than the Elman one) are trained on the same data from
seeded initial weights; the validation set is new sequences from the same process.

A cell that carries only the previous output knows at most $(x_t, y_{t-1})$ when it predicts $y_t$ —
even if it were fed the *true* $y_{t-1}$. `best_from_last_output` measures how well that can go at
best: the error of the least-squares linear prediction of $y_t$ from $(x_t, y_{t-1})$ on the
validation set (for this linear-Gaussian process the best prediction from those two numbers is, up to
the start-up transient, linear). It is drawn as a dotted line on the learning curves.
""")
nb.code('''
def oscillator_task(n_sequences, steps=24, seed=0, decay=0.95, period=8):
    """Sequences (x, y) of a damped 2-D rotation driven by x_t, observed through its first coordinate only."""
    rng = np.random.default_rng(seed)
    angle = 2 * np.pi / period
    A = decay * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    x = rng.normal(size=(n_sequences, steps, 1))
    state = np.zeros((n_sequences, 2))
    y = np.empty_like(x)
    for t in range(steps):
        state = state @ A.T + np.concatenate([x[:, t], np.zeros_like(x[:, t])], axis=1)
        y[:, t] = state[:, :1]
    y /= np.sqrt(0.5 / (1 - decay**2))  # the stationary std of s_t,1: y has variance ≈ 1
    return x.astype("float32"), y.astype("float32")


def best_from_last_output(x, y):
    """MSE of the best linear prediction of y_t from (x_t, y_{t-1}), the true previous output."""
    y_prev = np.concatenate([np.zeros_like(y[:, :1]), y[:, :-1]], axis=1)
    features = np.stack([x.ravel(), y_prev.ravel(), np.ones(x.size)], axis=1)
    coef, *_ = np.linalg.lstsq(features, y.ravel(), rcond=None)
    return float(np.mean((features @ coef - y.ravel()) ** 2))


def elman_network(units=8, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((None, 1)),
                              keras.layers.RNN(ElmanCell(units), return_sequences=True),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


def jordan_network(units=32, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((None, 1)),
                              keras.layers.RNN(JordanCell(units, 1), return_sequences=True)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model
''')
nb.code('''
EPOCHS = 1 if grading_mode() else 40  # a demonstration: shortened when graded

x_train, y_train = oscillator_task(256, seed=0)
x_val, y_val = oscillator_task(128, seed=1)
floor = best_from_last_output(x_val, y_val)
print(f"best linear prediction from (x_t, y_t-1): MSE {floor:.3f}")
curves, networks = {}, {}
for name, make in {"Elman": elman_network, "Jordan": jordan_network}.items():
    networks[name] = make()
    fit = networks[name].fit(x_train, y_train, validation_data=(x_val, y_val),
                             epochs=EPOCHS, batch_size=32, verbose=0)
    curves[name] = fit.history
    print(f"{name:6s} {networks[name].count_params():4d} weights | "
          f"validation MSE {fit.history['val_loss'][-1]:.3f}")
''')
nb.code('''
import matplotlib.pyplot as plt

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
for name, history in curves.items():
    line, = left.semilogy(history["loss"], label=f"{name} (train)")
    left.semilogy(history["val_loss"], "--", color=line.get_color(), label=f"{name} (validation)")
left.axhline(floor, color="gray", ls=":", label="best from $(x_t, y_{t-1})$")
left.set(xlabel="epoch", ylabel="MSE (log)", title="Learning curves")
left.legend()
right.plot(y_val[0, :, 0], "k.-", label="target $y_t$")
for name, model in networks.items():
    right.plot(model.predict(x_val[:1], verbose=0)[0, :, 0], label=name)
right.set(xlabel="step t", title="One validation sequence")
right.legend()
plt.tight_layout()
plt.show()
''')
nb.md(r"""
**Question (autograded).** Which statements are true? Put the letters of **all** true statements in
the set `JORDAN_ANSWER`.

* **a.** A Jordan network cannot be trained with backpropagation through time.
* **b.** All that a Jordan cell carries from one step to the next is its previous output $y_{t-1}$:
  its `state_size` is the number of outputs.
* **c.** When the process's state cannot be recovered from its previous output, a Jordan network cannot
  learn how that state evolves, however many hidden units it has.
* **d.** An Elman network can carry the process's state forward because $h_{t-1}$ is free: the loss does
  not force it to equal the target, so training can make it encode the state.
* **e.** The Jordan network does worse here because it has fewer weights than the Elman network.
""")
nb.solution("jordan_answer", '''
# the letters of every true statement, e.g. JORDAN_ANSWER = {"a", "e"}
### BEGIN SOLUTION
JORDAN_ANSWER = {"b", "c", "d"}
### END SOLUTION
''')
nb.test("jordan.why", "JORDAN_ANSWER")
nb.md(r"""
**Question (graded by hand).** In a few sentences: why is the Jordan architecture not suitable for
learning how a state evolves? Use the experiment above: what does each network carry from one step to
the next, and why does that decide the learning curves?
""")
nb.written("jordan_why_written", 3, r"""
A full answer (3 points) says:

1. (1 pt) What is carried: a Jordan cell's only memory is its previous output $y_{t-1}$ (state size =
   number of outputs), and the loss ties that output to the target; an Elman cell carries a hidden
   state $h_{t-1}$ of free size whose content training decides.
2. (1 pt) Why that fails: the process's state generally has more in it than the output ($s_t$ is 2-D,
   only $s_{t,1}$ is observed), so $s_{t-1}$ cannot be recovered from $y_{t-1}$. A Jordan network computes
   $\hat y_t = F(x_t, \hat y_{t-1})$ and so cannot represent the state transition $s_{t-1} \to s_t$,
   whatever its number of hidden units (its hidden layer is recomputed from $x_t$ and $y_{t-1}$ at each
   step); an Elman network can learn an internal copy of $s_t$ in $h_t$.
3. (1 pt) The experiment: the Elman network's validation MSE falls to about 0.01, far below the
   dotted line (≈ 0.25, the best prediction from $(x_t, y_{t-1})$, even with the true $y_{t-1}$); the
   Jordan network stays above that line (≈ 0.4–0.5) although it has more weights than the Elman one.
""")
nb.md(r"""
## 5. Time-series prediction: a real series and a generated one

* **Sunspots** (real): the yearly mean sunspot number, 1700–2008, from NOAA's National Geophysical
  Data Center (public domain; shipped beside this notebook in `datasets/sunspots/`, see its
  `README.md`). An irregular cycle of about 11 years.
* **Mackey–Glass** (generated): the delay differential equation
  $\dfrac{dx}{dt} = \dfrac{\beta\, x(t-\tau)}{1 + x(t-\tau)^{n}} - \gamma\, x(t)$ with $\beta = 0.2$,
  $\gamma = 0.1$, $n = 10$, $\tau = 17$ — chaotic, a classic benchmark. It is integrated below (Euler,
  step 0.1, from $x = 1.2$) and sampled every 3 time units; it is deterministic, so no seed is needed.

Each series is split **in time order**: the first 80 % trains, the last 20 % validates. Shuffling
before the split would put the future of some training points into training and test on the past —
an honest forecast is always scored on later data. Both are standardised with the *training* part's
mean and standard deviation only. Three one-step-ahead predictors of $x_{k+1}$ are compared:

* **persistence**, $\hat x_{k+1} = x_k$ — the baseline to beat;
* a **tapped-delay** feed-forward network, `Dense(16, tanh) → Dense(1)` on `make_windows` (window $d + 1$);
* an **Elman** recurrent network, `RNN(ElmanCell(16)) → Dense(1)`, trained on stretches of 40 steps of
  the training part and run over the **whole** series at prediction time, so that its state has seen
  all of the past: $\hat y_k = f(x_k, \dots, x_0;\ \theta)$.
""")
nb.code('''
def find_dataset(relative):
    """datasets/<relative> beside this notebook, else in the nearest parent folder that has it."""
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "datasets" / relative).is_file():
            return folder / "datasets" / relative
    raise FileNotFoundError(f"datasets/{relative} not found here or in any parent folder")


def mackey_glass(n, tau=17, beta=0.2, gamma=0.1, power=10, dt=0.1, every=3, warm_up=1000, x0=1.2):
    """n samples, one every `every` time units, of the Mackey–Glass series (Euler steps of dt)."""
    lag, stride = round(tau / dt), round(every / dt)
    x = np.full(lag + warm_up + n * stride, x0)
    for t in range(lag, len(x) - 1):
        delayed = x[t - lag]
        x[t + 1] = x[t] + dt * (beta * delayed / (1 + delayed**power) - gamma * x[t])
    return x[lag + warm_up::stride][:n]


sunspots = np.loadtxt(find_dataset("sunspots/sunspots_yearly.csv"), delimiter=",", skiprows=1)
SERIES = {  # name: (values, window d, time axis, its label)
    "sunspots": (sunspots[:, 1], 11, sunspots[:, 0], "year"),
    "Mackey–Glass": (mackey_glass(600), 8, 3.0 * np.arange(600), "time"),
}


def standardise(series, n_train):
    mean, std = series[:n_train].mean(), series[:n_train].std()  # training part only
    return ((series - mean) / std).astype("float32")


def fit_tapped_delay(z, n_train, d, epochs, seed=0):
    """Dense network on windows; returns its predictions of z[n_train:]."""
    X, Y = make_windows(z, d)
    in_train = np.arange(d + 1, len(z)) < n_train  # the time step of each window's target
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((d + 1,)), keras.layers.Dense(16, activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.fit(X[in_train], Y[in_train], epochs=epochs, batch_size=32, verbose=0)
    return model.predict(X[~in_train], verbose=0)[:, 0]


def fit_recurrent(z, n_train, epochs, length=40, seed=0):
    """Elman network trained on stretches of the training part; returns its predictions of z[n_train:]."""
    starts = range(0, n_train - length, 4)
    inputs = np.stack([z[s:s + length] for s in starts])[..., None]
    targets = np.stack([z[s + 1:s + length + 1] for s in starts])[..., None]
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((None, 1)),
                              keras.layers.RNN(ElmanCell(16), return_sequences=True),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.fit(inputs, targets, epochs=epochs, batch_size=16, verbose=0)
    whole_past = model.predict(z[None, :-1, None], verbose=0)[0, :, 0]  # prediction of z[k + 1] from z[:k + 1]
    return whole_past[n_train - 1:]
''')
nb.code('''
EPOCHS = 1 if grading_mode() else 60  # a demonstration: shortened when graded

forecasts = {}
for name, (series, d, *_) in SERIES.items():
    n_train = int(0.8 * len(series))
    z = standardise(series, n_train)
    forecasts[name] = {"truth": z[n_train:], "persistence": z[n_train - 1:-1],
                       "tapped delay": fit_tapped_delay(z, n_train, d, EPOCHS),
                       "Elman": fit_recurrent(z, n_train, EPOCHS)}
    scores = {k: np.mean((v - z[n_train:]) ** 2) for k, v in forecasts[name].items() if k != "truth"}
    print(f"{name:13s} validation MSE: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
''')
nb.code('''
fig, axes = plt.subplots(len(SERIES), 1, figsize=(11, 6))
for ax, (name, (_, _, time, time_label)) in zip(axes, SERIES.items()):
    n_val = len(forecasts[name]["truth"])
    for label, values in forecasts[name].items():
        style = dict(color="k", lw=2) if label == "truth" else dict(lw=1)
        ax.plot(time[-n_val:], values, label=label, **style)
    ax.set(xlabel=time_label, title=f"{name}: one-step-ahead prediction on the validation part (standardised)")
    ax.legend(ncol=4, fontsize=8)
plt.tight_layout()
plt.show()
''')
nb.save("solutions/02-recurrent/02-recurrent.ipynb")
