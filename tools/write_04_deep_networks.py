"""Writes solutions/04-deep-networks/04-deep-networks.ipynb (the nbgrader source notebook)."""
from autograder.authoring import SourceNotebook
from autograder.checks import deep

nb = SourceNotebook("04-deep-networks", "Assignment 04 — Deep networks: vanishing gradients and their remedies",
                    "شبکه‌های عصبی عمیق و محوشدگی گرادیان")
nb.md(r"""
The deck's slide on deep networks (topic 12) says the number of layers a network needs grows with the
dimension of its input, and contrasts **shallow** with **deep**, **width** with **depth**. Its next
slide (topic 13) names the problem that made deep networks hard to train for decades —
**vanishing gradients** — with one formula. For a network $x \to h_1 \to h_2 \to h_3 \to \hat y$, the
gradient step of the first layer is a product of many factors:

$$W_1 \leftarrow W_1 - \eta\;\underbrace{\frac{\partial L}{\partial \hat y}\,
\frac{\partial \hat y}{\partial h_3}\,\frac{\partial h_3}{\partial h_2}\,
\frac{\partial h_2}{\partial h_1}\,\frac{\partial h_1}{\partial W_1}}_{\text{very small}}$$

and the deck lists the remedies: change the structure (activation functions, network
configuration), change the training algorithm, or train **greedily, layer by layer**, unsupervised or
supervised. In this assignment you will

1. compute the deck's product **by hand** and check it against autodiff;
2. **measure** the gradient of every layer of a deep network and see it vanish;
3. apply each remedy — ReLU + He initialisation, Glorot initialisation, batch normalisation,
   residual connections — and measure how much it helps;
4. pretrain a deep network **greedily, layer by layer**, both ways, and compare it with training from
   scratch;
5. compare a **shallow-wide** and a **deep-narrow** network with the same number of parameters.
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

# ----------------------------------------------------------------------------- 1. chain rule
nb.md(r"""
## 1. The deck's product, by hand

Take the deck's network with three sigmoid hidden layers, in the deck's (column-vector) convention:

$$z_k = W_k h_{k-1} + b_k,\qquad h_k = \sigma(z_k)\quad(k = 1, 2, 3,\ h_0 = x),\qquad
\hat y = w_o^\top h_3 + b_o,\qquad L = \tfrac12(\hat y - y)^2 .$$

Each factor of the product is a derivative you can write down:

| factor | value | shape |
|---|---|---|
| $\partial L/\partial \hat y$ | $\hat y - y$ | scalar |
| $\partial \hat y/\partial h_3$ | $w_o^\top$ | $(n_3,)$ |
| $\partial h_k/\partial h_{k-1}$ | $\operatorname{diag}\big(\sigma'(z_k)\big)\,W_k$ — row $i$ of $W_k$ times $\sigma'(z_k)_i$ | $(n_k, n_{k-1})$ |
| $\partial h_1/\partial W_1$ | $\big[\partial (h_1)_i / \partial (W_1)_{jk}\big] = \sigma'(z_1)_i\,\delta_{ij}\,x_k$ | $(n_1, n_1, n_0)$ |

with $\sigma'(z) = \sigma(z)\,(1 - \sigma(z)) \le \tfrac14$. Multiplying left to right, the first four
factors give the row vector $\partial L/\partial h_1$; contracting it with $\partial h_1/\partial W_1$
gives $\partial L/\partial W_1$, a matrix of $W_1$'s shape. Every Jacobian
$\partial h_k/\partial h_{k-1}$ carries a $\sigma' \le \frac14$: unless the weights are large (which
saturates the sigmoid and makes $\sigma'$ smaller still), each factor shrinks the product.

**Task.** With NumPy only, write `chain_factors(params, x, y)`, returning the five factors in a dict
(keys `"dL_dyhat"`, `"dyhat_dh3"`, `"dh3_dh2"`, `"dh2_dh1"`, `"dh1_dW1"`), and `grad_W1_by_hand`,
which multiplies them in the deck's order. `params` holds `W1, b1, W2, b2, W3, b3` (with `W_k` of shape
$(n_k, n_{k-1})$), `w_out` and `b_out`; `x` is one example and `y` a number.
""")
nb.solution("chain_factors", '''
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def chain_factors(params, x, y):
    """The deck's factors ∂L/∂ŷ, ∂ŷ/∂h3, ∂h3/∂h2, ∂h2/∂h1, ∂h1/∂W1 for one example."""
    ### BEGIN SOLUTION
    def sigmoid_prime(z):
        s = sigmoid(z)
        return s * (1.0 - s)

    z1 = params["W1"] @ x + params["b1"]
    z2 = params["W2"] @ sigmoid(z1) + params["b2"]
    z3 = params["W3"] @ sigmoid(z2) + params["b3"]
    y_hat = params["w_out"] @ sigmoid(z3) + params["b_out"]
    return {
        "dL_dyhat": y_hat - y,
        "dyhat_dh3": params["w_out"],
        "dh3_dh2": sigmoid_prime(z3)[:, None] * params["W3"],  # diag(σ'(z3)) W3
        "dh2_dh1": sigmoid_prime(z2)[:, None] * params["W2"],  # diag(σ'(z2)) W2
        # ∂(h1)_i/∂(W1)_jk = σ'(z1)_i δ_ij x_k
        "dh1_dW1": np.einsum("i,ij,k->ijk", sigmoid_prime(z1), np.eye(len(z1)), x),
    }
    ### END SOLUTION
''')
nb.test("chain.factors", "chain_factors")
nb.solution("grad_W1_by_hand", '''
def grad_W1_by_hand(params, x, y):
    """∂L/∂W1 as the deck's product of factors (same shape as W1)."""
    f = chain_factors(params, x, y)
    ### BEGIN SOLUTION
    dL_dh1 = f["dL_dyhat"] * f["dyhat_dh3"] @ f["dh3_dh2"] @ f["dh2_dh1"]  # a row vector, shape (n1,)
    return np.tensordot(dL_dh1, f["dh1_dW1"], axes=1)  # sum over i of ∂L/∂(h1)_i · ∂(h1)_i/∂W1
    ### END SOLUTION
''')
nb.test("chain.gradient", "grad_W1_by_hand")
nb.md(r"""
**Autodiff agrees.** The cell below builds the same network with TensorFlow variables (in float64),
lets `tf.GradientTape` differentiate $L$, and compares. It also prints the size (largest singular
value) of each Jacobian next to $\frac14\lVert W_k\rVert$, the most it can be.
""")
nb.code("""
rng = np.random.default_rng(0)
sizes = (4, 5, 4, 3)
example = {f"W{k}": rng.normal(size=(sizes[k], sizes[k - 1])) for k in (1, 2, 3)}
example |= {f"b{k}": rng.normal(size=sizes[k]) for k in (1, 2, 3)}
example |= {"w_out": rng.normal(size=sizes[3]), "b_out": 0.1}
x_example, y_example = rng.normal(size=sizes[0]), 0.7

variables = {name: tf.Variable(value, dtype=tf.float64) for name, value in example.items()}
with tf.GradientTape() as tape:
    h = tf.constant(x_example)
    for k in (1, 2, 3):
        h = tf.sigmoid(tf.linalg.matvec(variables[f"W{k}"], h) + variables[f"b{k}"])
    loss = 0.5 * (tf.tensordot(variables["w_out"], h, 1) + variables["b_out"] - y_example) ** 2
autodiff = tape.gradient(loss, variables["W1"]).numpy()
by_hand = grad_W1_by_hand(example, x_example, y_example)
print(f"max |by hand − autodiff| = {np.max(np.abs(by_hand - autodiff)):.2e}")

factors = chain_factors(example, x_example, y_example)
for name, k in (("dh3_dh2", 3), ("dh2_dh1", 2)):
    bound = np.linalg.norm(example[f"W{k}"], 2) / 4  # σ' ≤ ¼
    print(f"‖{name}‖ = {np.linalg.norm(factors[name], 2):.3f}   ≤ ¼‖W{k}‖ = {bound:.3f}")
""")

# ----------------------------------------------------------------------------- 2. diagnosis
nb.md(r"""
## 2. Measuring the gradient of every layer

The product above has one Jacobian per layer, so in a network with ten hidden layers the first layer's
gradient has ten factors where the last layer's has one. To see it, measure $\lVert\partial L/\partial
W_k\rVert$ for every layer $k$ of a network.

**Task.** Write `layer_gradient_norms(model, x, y)`: the Frobenius norm of $\partial L/\partial W$ for
the `kernel` of every layer that has one (`Dense` layers; `Activation`, `BatchNormalization` and
`Add` layers have none), in the order of `model.layers` (input side first), as a 1-D NumPy array. $L$ is
the mean squared error (`keras.losses.MeanSquaredError()`) of `model(x, training=True)` against `y`
— `training=True` because that is how the network runs while it learns (it matters for batch
normalisation). Use `tf.GradientTape`.
""")
nb.solution("layer_gradient_norms", '''
def layer_gradient_norms(model, x, y):
    """‖∂L/∂W‖ for each layer's kernel, first layer first; L = MSE of model(x, training=True)."""
    ### BEGIN SOLUTION
    kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
    with tf.GradientTape() as tape:
        loss = keras.losses.MeanSquaredError()(y, model(x, training=True))
    return np.array([float(ops.norm(g)) for g in tape.gradient(loss, kernels)])
    ### END SOLUTION
''')
nb.test("gradients.norms", "layer_gradient_norms")
nb.test("gradients.norms_hidden", "layer_gradient_norms")
nb.md(r"""
### A deep network to measure

**Task.** Write `build_mlp`, the network every experiment below measures: `depth` hidden blocks of
`width` units and a linear `Dense(1)` output, built with the functional API. Each hidden block is

* `Dense(width)` (no activation inside it) with the given `kernel_initializer`,
* then, if `batch_norm=True`, a `BatchNormalization()` layer,
* then an `Activation(activation)` layer,
* then, if `residual=True` and the block is not the first (whose input has a different size), a skip
  connection that adds the block's input to its output, $h_k = h_{k-1} + f(h_{k-1})$
  (`keras.layers.Add()`).

The output `Dense(1)` uses the same `kernel_initializer`. The defaults — sigmoid, Keras's default
Glorot-uniform initialisation — are the "plain" network. `kernel_initializer` may be a name or a
config dict such as `NAIVE_INIT` below: pass it to each `Dense` as it is, so every layer gets its own
draw. The first line seeds Keras, so the same `seed` always gives the same weights.
""")
nb.solution("build_mlp", '''
NAIVE_INIT = {"class_name": "RandomNormal", "config": {"stddev": 0.05}}  # N(0, 0.05²) whatever the width


def build_mlp(depth, width, activation="sigmoid", kernel_initializer="glorot_uniform",
              batch_norm=False, residual=False, input_dim=16, seed=0):
    """`depth` blocks Dense → [BatchNormalization] → activation [+ skip], then a linear Dense(1)."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((input_dim,))
    h = inputs
    ### BEGIN SOLUTION
    for k in range(depth):
        z = keras.layers.Dense(width, kernel_initializer=kernel_initializer)(h)
        if batch_norm:
            z = keras.layers.BatchNormalization()(z)
        a = keras.layers.Activation(activation)(z)
        h = keras.layers.Add()([h, a]) if residual and k > 0 else a
    outputs = keras.layers.Dense(1, kernel_initializer=kernel_initializer)(h)
    ### END SOLUTION
    return keras.Model(inputs, outputs)
''')
nb.md(r"""
The check below builds `build_mlp(10, 32)` and checks that it shows the decay: the first layer's
gradient should be at least 1000 times smaller than the last layer's. The plot shows the whole
profile, on a logarithmic scale.
""")
nb.test("gradients.decay", "build_mlp")
nb.code("""
import matplotlib.pyplot as plt

rng = np.random.default_rng(1)
x_probe = rng.normal(size=(64, 16)).astype("float32")
y_probe = rng.normal(size=(64, 1)).astype("float32")

plain_norms = layer_gradient_norms(build_mlp(10, 32), x_probe, y_probe)
plt.figure(figsize=(6, 3.5))
plt.semilogy(range(1, len(plain_norms) + 1), plain_norms, "o-")
plt.xlabel("layer (1 = next to the input, 11 = output)")
plt.ylabel("‖∂L/∂W‖ (log scale)")
plt.title("10-layer sigmoid network: the gradient vanishes towards the input")
plt.show()
print(f"first / last = {plain_norms[0] / plain_norms[-1]:.1e}")
""")

# ----------------------------------------------------------------------------- 3. remedies
nb.md(r"""
## 3. Remedies, each measured

Each remedy attacks one factor of the product. We measure every one with the same yardstick, the
ratio $\lVert\partial L/\partial W_1\rVert / \lVert\partial L/\partial W_{\text{last}}\rVert$ on the
same data.

* **Activation function (ReLU + He).** ReLU's derivative is exactly 1 where the unit is active, instead
  of at most ¼. Half the units are off on average, so He initialisation doubles the variance:
  $\operatorname{Var}(W) = 2/n_\text{in}$ ($n_\text{in}$, the fan-in, is the layer's number of inputs)
  keeps the signal's size constant through the layers.
* **Initialisation scale (Glorot vs naive).** A "naive" $\mathcal N(0, 0.05^2)$ ignores the layer's
  width. Glorot's $\operatorname{Var}(W) = 2/(n_\text{in} + n_\text{out})$ keeps the variance of
  the activations (forwards) and of the gradients (backwards) roughly constant from layer to layer —
  for activations with slope 1 at 0. The sigmoid's slope is ¼, which is why even the Glorot-initialised
  plain network above vanishes; but it vanishes far less than with the naive scale.
* **Batch normalisation** (network configuration) re-centres and re-scales each pre-activation over the
  batch, $\hat z = (z - \mu_B)/\sqrt{\sigma_B^2 + \varepsilon}$, then $\gamma\hat z + \beta$: the
  sigmoid works near 0, where $\sigma'$ is largest, and the scale of $W_k$ cancels out of the Jacobian.
* **Residual (skip) connections** (network configuration): with $h_k = h_{k-1} + f(h_{k-1})$ the
  Jacobian is $\partial h_k/\partial h_{k-1} = I + \partial f/\partial h_{k-1}$; the identity gives
  the gradient a path that no $\sigma'$ shrinks.

(The deck's other lever, *changing the training algorithm*, does not change the gradient: an optimiser
such as Adam or RMSProp divides each parameter's step by a running size of its gradient, so tiny
gradients still give steps of a useful size.)

Your `build_mlp` already has every option: the checks below build each variant of the 10-layer
network and require its ratio to be at least 1000 times the plain network's (for Glorot: 1000 times
the naive network's).
""")
nb.test("remedies.relu_he", "build_mlp")
nb.test("remedies.glorot", "build_mlp")
nb.test("remedies.batch_norm", "build_mlp")
nb.test("remedies.residual", "build_mlp")
nb.code("""
variants = {
    "sigmoid, naive N(0, 0.05²)": dict(kernel_initializer=NAIVE_INIT),
    "sigmoid, Glorot (plain)": dict(),
    "ReLU + He": dict(activation="relu", kernel_initializer="he_normal"),
    "sigmoid + batch norm": dict(batch_norm=True),
    "sigmoid + residual": dict(residual=True),
}
plt.figure(figsize=(7, 4))
for label, options in variants.items():
    norms = layer_gradient_norms(build_mlp(10, 32, **options), x_probe, y_probe)
    plt.semilogy(range(1, len(norms) + 1), norms, "o-", label=f"{label}: first/last = {norms[0] / norms[-1]:.1e}")
plt.xlabel("layer")
plt.ylabel("‖∂L/∂W‖ (log scale)")
plt.title("The same 10-layer network, with each remedy")
plt.legend(fontsize=8)
plt.show()
""")

# ----------------------------------------------------------------------------- 4. pretraining
nb.md(r"""
## 4. Greedy layer-wise pretraining

Before ReLU and batch norm, deep networks were trained **one layer at a time** (Hinton et al. 2006,
Bengio et al. 2007): train the first hidden layer alone, freeze it, train the second on the first
one's outputs, and so on; then *fine-tune* the whole stack. Each stage trains a shallow network, whose
gradients do not vanish. The deck names both kinds:

* **unsupervised**: each new layer is the encoder of an **autoencoder** that reconstructs its own
  input — the *codes* (outputs) of the frozen layers below it, or $x$ itself for the first layer;
* **supervised**: each new layer is trained with a **temporary softmax head** on the labels; the head
  is thrown away and the next layer gets a new one.

The task is a seeded classification problem: 8 classes of points that lie near a 4-dimensional
surface in $(0, 1)^{32}$ (`pretraining_task`, generated by a seeded NumPy function in the course's
check library). The deep network has three sigmoid layers of 32 units and is fine-tuned with plain
SGD, which the vanishing gradients slow down most.

**Tasks.** Write the two kinds of stage and the fine-tuning. In every stage:

* freeze the layers already trained (`layer.trainable = False` for every layer in `encoders`) —
  only `new_layer` and the temporary decoder or head may change;
* train with `Adam(0.01)`, the mean squared error (autoencoder) or sparse categorical cross-entropy
  (head), `batch_size=32` and the given number of `epochs`, and **return the temporary model**.

`fine_tune` makes every layer of `encoders` trainable again, builds `classifier(encoders, n_classes)`,
trains it with `SGD(FINE_TUNE_LR)` and returns it.
""")
nb.code("""
from autograder.checks.deep import pretraining_task

N_CLASSES, WIDTHS, FINE_TUNE_LR = 8, (32, 32, 32), 0.5
x_task, y_task = pretraining_task(seed=0, n=600)


def classifier(layers, n_classes):
    \"\"\"The deep network: the given hidden layers, then a new softmax head.\"\"\"
    return keras.Sequential([keras.Input((x_task.shape[1],)), *layers,
                             keras.layers.Dense(n_classes, activation="softmax")])
""")
nb.solution("unsupervised_stage", '''
def unsupervised_stage(encoders, new_layer, x, epochs):
    """Train `new_layer` as the encoder of an autoencoder of the frozen `encoders`' codes of x."""
    ### BEGIN SOLUTION
    for layer in encoders:
        layer.trainable = False  # already trained: keep them as they are
    new_layer.trainable = True
    codes = x
    for layer in encoders:
        codes = layer(codes)  # what the new layer will see: the frozen stack's code for x
    codes = ops.convert_to_numpy(codes)
    decoder = keras.layers.Dense(codes.shape[-1], activation="sigmoid")  # codes lie in (0, 1)
    autoencoder = keras.Sequential([keras.Input((codes.shape[-1],)), new_layer, decoder])
    autoencoder.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    autoencoder.fit(codes, codes, epochs=epochs, batch_size=32, verbose=0)
    return autoencoder
    ### END SOLUTION
''')
nb.test("pretrain.unsupervised", "unsupervised_stage")
nb.solution("supervised_stage", '''
def supervised_stage(encoders, new_layer, x, y, n_classes, epochs):
    """Train `new_layer` on top of the frozen `encoders` with a temporary softmax head."""
    ### BEGIN SOLUTION
    for layer in encoders:
        layer.trainable = False
    new_layer.trainable = True
    head = keras.layers.Dense(n_classes, activation="softmax")  # temporary: dropped after this stage
    model = keras.Sequential([keras.Input((x.shape[-1],)), *encoders, new_layer, head])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return model
    ### END SOLUTION
''')
nb.test("pretrain.supervised", "supervised_stage")
nb.solution("fine_tune", '''
def fine_tune(encoders, x, y, n_classes, epochs):
    """Unfreeze the pretrained `encoders`, add a softmax head and train the whole network with SGD."""
    ### BEGIN SOLUTION
    for layer in encoders:
        layer.trainable = True
    model = classifier(encoders, n_classes)
    model.compile(optimizer=keras.optimizers.SGD(FINE_TUNE_LR), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return model
    ### END SOLUTION
''')
nb.test("pretrain.finetune", "fine_tune")
nb.md(f"""
### Pretrained versus from scratch

`greedy_pretrain` runs your stages one layer at a time. Training "from scratch" is `fine_tune` on
fresh layers: the same network, optimiser and number of epochs. The check below runs a short version
of this comparison: from the same initial weights, the three layers pretrained by your
`unsupervised_stage` ({deep.BEATS_PRETRAIN_EPOCHS} epochs per stage, {deep.BEATS_N} examples of the task), then
fine-tuned for {deep.BEATS_FINE_TUNE_EPOCHS} epochs by your `fine_tune`, must reach a training loss at least
{deep.BEATS_MARGIN} lower than the same layers fine-tuned from scratch. The cell after it runs the full
comparison, both kinds of pretraining, on one seed (the course's tests check it on several); when the
notebook is graded that cell is skipped: it trains nine models.
""")
nb.code("""
def greedy_pretrain(kind, x, y, epochs, widths=WIDTHS, seed=0):
    \"\"\"Fresh sigmoid layers, each trained by one stage of `kind` on top of the ones before it.\"\"\"
    keras.utils.set_random_seed(seed)
    layers = [keras.layers.Dense(w, activation="sigmoid") for w in widths]
    for k, layer in enumerate(layers):
        if kind == "unsupervised":
            unsupervised_stage(layers[:k], layer, x, epochs)
        elif kind == "supervised":
            supervised_stage(layers[:k], layer, x, y, N_CLASSES, epochs)
    return layers
""")
nb.test("pretrain.beats_scratch", "unsupervised_stage", "fine_tune")
nb.code("""
PRETRAIN_EPOCHS, FINE_TUNE_EPOCHS = 15, 20

if grading_mode():
    print("Skipped while grading (it trains nine models); the check above ran a short version.")
else:
    curves = {}
    for kind in ("scratch", "unsupervised", "supervised"):
        layers = greedy_pretrain(kind, x_task, y_task, PRETRAIN_EPOCHS)  # "scratch": the layers stay fresh
        keras.utils.set_random_seed(1)  # the same softmax head initialisation for all three
        model = fine_tune(layers, x_task, y_task, N_CLASSES, FINE_TUNE_EPOCHS)
        curves[kind] = model.history.history["loss"]
        print(f"{kind:12s} training loss after fine-tuning: {curves[kind][-1]:.3f}")

    plt.figure(figsize=(6, 3.5))
    for kind, loss in curves.items():
        plt.plot(range(1, len(loss) + 1), loss, "o-", ms=3, label=kind)
    plt.axhline(np.log(N_CLASSES), color="grey", ls=":", label="log 8: guessing")
    plt.xlabel("fine-tuning epoch (SGD)")
    plt.ylabel("training cross-entropy")
    plt.legend()
    plt.show()
""")

# ----------------------------------------------------------------------------- 5. depth vs width
nb.md(r"""
## 5. Depth versus width

Vanishing gradients are the price of depth; what does depth buy? Take the tent map
$t(x) = 2\min(x, 1 - x)$ on $[0, 1]$ and compose it with itself: $t^k = t \circ \dots \circ t$ is a
sawtooth with $2^{k-1}$ teeth, i.e. $2^k$ linear pieces. With ReLU units,

$$t(s) = 2\,\mathrm{relu}(s) - 4\,\mathrm{relu}(s - \tfrac12)\qquad (0 \le s \le 1),$$

so **one hidden layer of two units per tent** computes $t^k$ exactly: layer 1 computes
$\mathrm{relu}(x)$ and $\mathrm{relu}(x - \frac12)$; each later layer reads the previous tent
$s = 2a - 4b$ of the two units $a, b$ below it and computes $\mathrm{relu}(s)$, $\mathrm{relu}(s -
\frac12)$; the output is $2a - 4b$. That is $6k + 1$ parameters for $2^k$ pieces. A network with **one**
hidden ReLU layer of width $w$ is piecewise linear with at most $w + 1$ pieces, and has $3w + 1$
parameters: with the same budget it has about $2k$ pieces.

**Tasks.** `sawtooth_network(k)`: a `Sequential` model with $k$ hidden `Dense(2, activation="relu")`
layers and a `Dense(1)` output whose weights you set by hand (`layer.set_weights([kernel, bias])`,
kernels shaped (inputs, units)) so that it computes $t^k$. `shallow_wide(n_params)`: the width of the
widest one-hidden-layer network with at most `n_params` parameters.
""")
nb.solution("sawtooth_network", '''
def sawtooth_network(k):
    """k hidden Dense(2, relu) layers and a Dense(1) output computing t∘…∘t (k tents) exactly."""
    ### BEGIN SOLUTION
    model = keras.Sequential([keras.Input((1,))]
                             + [keras.layers.Dense(2, activation="relu") for _ in range(k)]
                             + [keras.layers.Dense(1)])
    read_x = np.array([[1.0, 1.0]])  # both units read x
    read_tent = np.array([[2.0, 2.0], [-4.0, -4.0]])  # both units read s = 2a − 4b
    for i, layer in enumerate(model.layers[:-1]):
        layer.set_weights([read_x if i == 0 else read_tent, np.array([0.0, -0.5])])  # relu(s), relu(s − ½)
    model.layers[-1].set_weights([np.array([[2.0], [-4.0]]), np.zeros(1)])  # t = 2a − 4b
    return model
    ### END SOLUTION
''')
nb.test("depth.sawtooth", "sawtooth_network")
nb.solution("shallow_wide", '''
def shallow_wide(n_params):
    """The widest 1 → width → 1 ReLU network with at most `n_params` parameters."""
    ### BEGIN SOLUTION
    width = (n_params - 1) // 3  # w weights + w biases in, w weights + 1 bias out: 3w + 1
    ### END SOLUTION
    return keras.Sequential([
        keras.Input((1,)),
        # random biases spread the kinks -b/w (zero biases would put them all at x = 0)
        keras.layers.Dense(width, activation="relu", kernel_initializer="he_uniform",
                           bias_initializer=keras.initializers.RandomUniform(-1, 1)),
        keras.layers.Dense(1),
    ])
''')
nb.test("depth.budget", "shallow_wide")
nb.md(r"""
### The same budget

The cell below takes $t^4$ (16 pieces) and the hand-set `sawtooth_network(4)` (25 parameters). The
one-hidden-layer network needs 16 units — `shallow_wide(49)`, kinks at $j/16$, output weights by least
squares — to do the same. Then both shapes, at the same 25-parameter budget, are **trained** by
gradient descent from a random start. (When graded, the training is skipped.)
""")
nb.code("""
EPOCHS = 0 if grading_mode() else 100  # graded: no training (the plot shows untrained networks)
K = 4
x_saw = np.linspace(0, 1, 512, dtype="float32").reshape(-1, 1)
y_saw = x_saw.copy()
for _ in range(K):
    y_saw = 2 * np.minimum(y_saw, 1 - y_saw)

deep_by_hand = sawtooth_network(K)
budget = deep_by_hand.count_params()

# A shallow network can follow 2^K pieces only with 2^K units: put its kinks at j/16 and solve for
# the output layer by linear least squares.
shallow_by_hand = shallow_wide(3 * 2**K + 1)
kinks = np.arange(2**K) / 2**K
features = np.hstack([np.maximum(x_saw - kinks, 0), np.ones_like(x_saw)])
output_weights = np.linalg.lstsq(features, y_saw, rcond=None)[0]
shallow_by_hand.layers[0].set_weights([np.ones((1, 2**K)), -kinks])
shallow_by_hand.layers[1].set_weights([output_weights[:-1], output_weights[-1]])

keras.utils.set_random_seed(0)
trained = {
    f"shallow-wide (width {(budget - 1) // 3}), trained": shallow_wide(budget),
    "deep-narrow (width 2), trained": keras.Sequential(
        [keras.Input((1,))] + [keras.layers.Dense(2, activation="relu") for _ in range(K)] + [keras.layers.Dense(1)]),
}
for model in trained.values():
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    if EPOCHS:
        model.fit(x_saw, y_saw, epochs=EPOCHS, batch_size=64, verbose=0)

by_hand = {"deep-narrow, set by hand": deep_by_hand, f"shallow, {2**K} units, set by hand": shallow_by_hand}
for label, model in (by_hand | trained).items():
    mse = float(np.mean((np.asarray(model(x_saw)) - y_saw) ** 2))
    print(f"{label:34s} {model.count_params():3d} parameters   MSE {mse:.4f}")

fig, axes = plt.subplots(1, 3, figsize=(14, 3.5))
panels = ((axes[0], by_hand, "Set by hand"), (axes[1], trained, f"Trained ({budget} parameters each)"))
for ax, models, title in panels:
    ax.plot(x_saw, y_saw, "k", lw=4, alpha=0.25, label=f"target t^{K}")
    for label, model in models.items():
        ax.plot(x_saw, np.asarray(model(x_saw)), label=f"{label} ({model.count_params()})")
    ax.set(xlabel="x", title=title)
    ax.legend(fontsize=7)
k_range = np.arange(1, 9)
params = 6 * k_range + 1
axes[2].semilogy(params, 2.0 ** k_range, "o-", label="deep: k layers of width 2 → 2^k pieces")
axes[2].semilogy(params, (params - 1) // 3 + 1, "s-", label="shallow, same budget → ≤ w + 1 pieces")
axes[2].set(xlabel="parameters", ylabel="linear pieces (log)", title="What a budget can represent")
axes[2].legend(fontsize=7)
plt.tight_layout()
plt.show()
""")
nb.md(r"""
**Discuss** (a short paragraph or a few bullet points): why can 25 parameters arranged deep represent
$t^4$ exactly, while arranged shallow they cannot — and how does the gap grow with $k$? Did gradient
descent, from a random start, find the deep network's solution? What does that say about the
difference between *what a network can represent* and *what training finds*? Connect your answer to
the deck's slides on depth versus width and on the problems of training deep networks.
""")
nb.written("depth_vs_width_discussion", 3, r"""
A full answer makes three points (1 point each):

* **Representation.** Composition multiplies linear pieces: each tent layer doubles them, so $k$
  layers of width 2 give $2^k$ pieces with $6k + 1$ parameters; one hidden layer of width $w$ gives at
  most $w + 1$ pieces with $3w + 1$ parameters. With 25 parameters the shallow network has width 8, at
  most 9 pieces, and cannot follow 16; it needs 16 units (49 parameters) here, and $2^k$ units
  ($3 \cdot 2^k + 1$ parameters, exponential in $k$) in general, against $6k + 1$ (linear) for the
  deep one. Depth helps when the function is a composition — the deck's point that the number of
  layers should grow with the problem.
* **Training.** Neither network trained from a random start finds the sawtooth: both stay near a flat
  line (MSE ≈ the target's variance, 1/12). For the deep-narrow one the solution exists but gradient
  descent does not reach it: with width 2, ReLUs die easily, and the gradient reaching the first layers
  passes through many small or zero factors (the deck's product); the exact solution also needs large,
  precisely coordinated weights. Representable is not the same as learnable.
* **Conclusion / trade-off.** Depth buys exponential expressiveness per parameter but makes
  optimisation harder; this is why the remedies (ReLU + He, normalisation, skip connections,
  layer-wise pretraining) matter, and why in practice deep networks are also made wide enough to train.
""")
nb.save("solutions/04-deep-networks/04-deep-networks.ipynb")
