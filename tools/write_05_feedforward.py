"""Writes solutions/05-feedforward/05-feedforward.ipynb (the nbgrader source notebook)."""
from autograder.authoring import SourceNotebook

nb = SourceNotebook("05-feedforward", "Assignment 05 — Feed-forward architectures: autoencoders and CNNs",
                    "شبکه‌های عصبی پیشرو: کدکننده‌های خودکار و شبکه‌های پیچشی")
nb.md(r"""
The deck names two feed-forward architectures: **autoencoders**, and **convolutional networks** — "the
same local architecture, except that the weights of every part are exactly the same" (*weight
sharing*). Among the applications it lists **image classification** and **optical character
recognition (OCR)**. This assignment builds all three on scikit-learn's 8×8 handwritten digits
(1797 images, shipped inside scikit-learn: nothing is downloaded):

1. a dense autoencoder that squeezes each 64-pixel image through a small *code* and back;
2. weight sharing made concrete: a conv layer *is* a dense layer whose weight matrix is built from
   one small kernel;
3. a small CNN that reads the digits, with its confusion matrix and its mistakes.

The split is fixed (1437 training, 360 test images, pixels scaled to $[0, 1]$); the checks use the
same one.
""")
nb.code("""
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras
from keras import layers
from autograder import grading_mode
from autograder.checks import check
from autograder.checks.feedforward import digits_split

keras.utils.set_random_seed(0)
(x_train, y_train), (x_test, y_test) = digits_split()
x_train_flat, x_test_flat = x_train.reshape(-1, 64), x_test.reshape(-1, 64)
print("train", x_train.shape, "test", x_test.shape, "| pixels in", (x_train.min(), x_train.max()),
      "| grading:", grading_mode())
""")
nb.md(r"""
## 1. A dense autoencoder

Take the deck's one-hidden-layer network $\hat y = f^o\big(W^{oh} f^h(W^{ih}x + b^{ih}) + b^{oh}\big)$ and
ask it to output its own input, $\hat y = \hat x \approx x$. If the hidden layer is narrower than $x$, the
network cannot copy: it must *encode* each image in a few numbers, the **code** $z$, from which it can
*decode* the image again. No labels are used — this is the deck's *feature learning*: the code keeps
the factors that explain how the images vary. Stacking layers gives the usual shape

$$x \in \mathbb{R}^{64} \xrightarrow{\text{Dense}(h),\ \mathrm{ReLU}} \mathbb{R}^{h}
\xrightarrow{\text{Dense}(c)} z \in \mathbb{R}^{c}
\xrightarrow{\text{Dense}(h),\ \mathrm{ReLU}} \mathbb{R}^{h}
\xrightarrow{\text{Dense}(64),\ \sigma} \hat x \in (0, 1)^{64}$$

— an **encoder** $x \mapsto z$ and a **decoder** $z \mapsto \hat x$. The code layer is linear (it may
use the whole of $\mathbb{R}^c$); the output layer is a sigmoid because pixels lie in $[0, 1]$.

How good a reconstruction is, is measured per image by the **reconstruction error**, the mean squared
error over its $d = 64$ pixels

$$e(x, \hat x) = \frac{1}{d}\sum_{k=1}^{d} (x_k - \hat x_k)^2 ,$$

and training minimises its average over the training images (Keras's `loss="mse"`).

**Task 1.1.** Write `reconstruction_error(x, x_hat)`: for arrays of shape `(n, d)` return the `n`
errors, one per image (NumPy is fine).
""")
nb.solution("reconstruction_error", '''
def reconstruction_error(x, x_hat):
    """Mean squared error of each row of `x_hat` against `x`: shape (n, d) -> (n,)."""
    ### BEGIN SOLUTION
    return np.mean(np.square(np.asarray(x) - np.asarray(x_hat)), axis=-1)
    ### END SOLUTION
''')
nb.test("autoencoder.error", "reconstruction_error")
nb.md(r"""
**Task 1.2.** Write `build_autoencoder(code_dim=2, hidden=32)` returning `(autoencoder, encoder, decoder)`:

* `encoder`: `keras.Input((64,))` → `Dense(hidden, activation="relu")` → `Dense(code_dim)` (linear);
* `decoder`: `keras.Input((code_dim,))` → `Dense(hidden, activation="relu")` → `Dense(64, activation="sigmoid")`;
* `autoencoder`: the decoder applied to the encoder — built **from those two models**, so that training
  it trains them (`keras.Sequential([encoder, decoder])` does this);
* compile the autoencoder with `keras.optimizers.Adam(learning_rate=0.01)` and `loss="mse"`.

The checks build it with a seed, look at its layout, and train it for a few epochs on the training
digits: with an 8-number code its test reconstruction error must fall below 0.045 (always answering the
average training image scores 0.074).
""")
nb.solution("build_autoencoder", '''
def build_autoencoder(code_dim=2, hidden=32):
    """A dense autoencoder for flattened 8x8 images: returns (autoencoder, encoder, decoder)."""
    ### BEGIN SOLUTION
    encoder = keras.Sequential([
        keras.Input((64,)),
        layers.Dense(hidden, activation="relu"),
        layers.Dense(code_dim),  # the code: linear, so it can use the whole plane
    ], name="encoder")
    decoder = keras.Sequential([
        keras.Input((code_dim,)),
        layers.Dense(hidden, activation="relu"),
        layers.Dense(64, activation="sigmoid"),  # pixels lie in [0, 1]
    ], name="decoder")
    autoencoder = keras.Sequential([encoder, decoder], name="autoencoder")
    autoencoder.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    ### END SOLUTION
    return autoencoder, encoder, decoder
''')
nb.test("autoencoder.structure", "build_autoencoder")
nb.test("autoencoder.training", "build_autoencoder")
nb.md(r"""
### What the code keeps

Two autoencoders are trained below, one with a 2-number code and one with a 16-number code. The grid
shows test digits (top row) and their reconstructions; the scatter plot places each test digit at its
2-D code, coloured by its label — which the autoencoder never saw. (When the notebook is graded the
training is cut to one epoch: this is a demonstration, not a graded task.)
""")
nb.code("""
EPOCHS = 1 if grading_mode() else 60

autoencoders = {}
for code_dim in (2, 16):
    keras.utils.set_random_seed(0)
    autoencoder, encoder, decoder = build_autoencoder(code_dim=code_dim)
    autoencoder.fit(x_train_flat, x_train_flat, epochs=EPOCHS, batch_size=32, verbose=0)
    autoencoders[code_dim] = (autoencoder, encoder)
    errors = reconstruction_error(x_test_flat, np.asarray(autoencoder(x_test_flat)))
    print(f"code size {code_dim:2d}: mean test reconstruction error {errors.mean():.4f} "
          f"(worst image {errors.max():.4f})")
mean_image = np.broadcast_to(x_train_flat.mean(axis=0), x_test_flat.shape)
print(f"always answering the mean training image: {reconstruction_error(x_test_flat, mean_image).mean():.4f}")
""")
nb.code("""
import matplotlib.pyplot as plt

shown = x_test_flat[:12]
rows = {"input": shown}
rows.update({f"code {d}": np.asarray(model(shown)) for d, (model, _) in autoencoders.items()})
fig, axes = plt.subplots(len(rows), len(shown), figsize=(12, 1.1 * len(rows)))
for r, (label, images) in enumerate(rows.items()):
    for c, image in enumerate(images):
        axes[r, c].imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[r, c].set_xticks([])
        axes[r, c].set_yticks([])
    axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center")
fig.suptitle("Test digits and their reconstructions")
plt.show()

codes = np.asarray(autoencoders[2][1](x_test_flat))
fig, ax = plt.subplots(figsize=(6, 5))
points = ax.scatter(codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=12, alpha=0.8)
for digit in range(10):  # write each digit at the centre of its cloud
    ax.text(*np.median(codes[y_test == digit], axis=0), str(digit), fontsize=14, weight="bold")
fig.colorbar(points, ax=ax, label="true digit")
ax.set(xlabel="$z_1$", ylabel="$z_2$", title="2-D codes of the test digits (labels unseen in training)")
plt.show()
""")
nb.md(r"""
## 2. Weight sharing: a conv layer is a dense layer with one shared kernel

Give an image $x$ of height $H$, width $W$ and $C$ channels to three layers that all produce
$F$ feature maps of size $H' \times W'$, with $H' = H - k_h + 1$ and $W' = W - k_w + 1$ (a
$k_h \times k_w$ window slid over every position that fits, "valid" padding, stride 1):

| layer | output unit $(p, q, o)$ sees | weights per output unit | parameters |
|---|---|---|---|
| dense (on the flattened image) | every pixel | its own $HWC$ | $(HWC + 1)\,H'W'F$ |
| locally connected | the $k_h\times k_w\times C$ window at $(p, q)$ | its own $k_h k_w C$ | $(k_h k_w C + 1)\,H'W'F$ |
| convolutional | the same window | **the same** $k_h k_w C$ for every $(p, q)$ | $(k_h k_w C + 1)\,F$ |

(the $+1$ is the bias). The locally connected layer is the deck's "local architecture"; making the
weights of every part exactly the same turns it into a convolution,

$$y_{p,q,o} = b_o + \sum_{a=0}^{k_h-1}\sum_{b=0}^{k_w-1}\sum_{c=0}^{C-1} x_{p+a,\,q+b,\,c}\; k_{a,b,c,o}$$

— strictly a *cross-correlation*: the kernel is not flipped, in Keras as in every deep-learning library.

**Task 2.1.** Write `parameter_counts(input_shape, kernel_size, filters)` for `input_shape = (H, W, C)`
and `kernel_size = (k_h, k_w)`, returning `{"dense": ..., "local": ..., "conv": ...}` as in the table.
""")
nb.solution("parameter_counts", '''
def parameter_counts(input_shape, kernel_size, filters):
    """Parameters of a dense, a locally connected and a conv layer with the same H' x W' x F output."""
    height, width, channels = input_shape
    kh, kw = kernel_size
    ### BEGIN SOLUTION
    outputs = (height - kh + 1) * (width - kw + 1) * filters  # units in the output feature maps
    dense = outputs * (height * width * channels + 1)  # each unit: every input, plus its bias
    local = outputs * (kh * kw * channels + 1)  # each unit: its own window, plus its bias
    conv = filters * (kh * kw * channels + 1)  # every position shares one kernel and one bias per filter
    ### END SOLUTION
    return {"dense": dense, "local": local, "conv": conv}
''')
nb.test("weight_sharing.counts", "parameter_counts")
nb.md(r"""
Keras agrees (it has dropped its locally connected layer, so that one is only counted). For the
first layer of the CNN in section 3 — an 8×8 image, 3×3 kernels, 16 filters:
""")
nb.code("""
counts = parameter_counts((8, 8, 1), (3, 3), 16)
conv = layers.Conv2D(16, (3, 3))
conv.build((None, 8, 8, 1))
dense = layers.Dense(6 * 6 * 16)  # the same 6x6x16 outputs, from the flattened image
dense.build((None, 64))
print(f"dense: {counts['dense']:6d}   (Keras: {dense.count_params()})")
print(f"local: {counts['local']:6d}")
print(f"conv:  {counts['conv']:6d}   (Keras: {conv.count_params()})")
""")
nb.md(r"""
**Task 2.2.** Make the equivalence concrete. Write `conv_as_dense_matrix(kernel, input_shape)`: given a
Keras `Conv2D` kernel of shape `(k_h, k_w, C, F)` and an input shape `(H, W, C)`, return the matrix
$M$ of shape $(HWC,\ H'W'F)$ such that, for a batch of images `x` of shape `(n, H, W, C)`,

    conv(x).reshape(n, -1) == x.reshape(n, -1) @ M + bias tiled over the H'·W' positions

Row $(i W + j) C + c$ of $M$ belongs to input pixel $(i, j, c)$ and column $(p W' + q) F + o$ to output
unit $(p, q, o)$ — NumPy's (row-major, channels-last) `reshape` order. The entry is $k_{i-p,\,j-q,\,c,\,o}$
when pixel $(i, j)$ lies in the window of position $(p, q)$, and 0 otherwise. *Hint:* a 6-D array
`M[i, j, c, p, q, o]`, one slice assignment per output position, then one `reshape`.
""")
nb.solution("conv_as_dense_matrix", '''
def conv_as_dense_matrix(kernel, input_shape):
    """The dense weight matrix (H*W*C, H'*W'*F) of a 'valid', stride-1 conv with this kernel."""
    kh, kw, c_in, c_out = kernel.shape
    height, width = input_shape[0], input_shape[1]
    out_h, out_w = height - kh + 1, width - kw + 1
    ### BEGIN SOLUTION
    # matrix[i, j, c, p, q, o]: the weight from input pixel (i, j, c) to output unit (p, q, o).
    matrix = np.zeros((height, width, c_in, out_h, out_w, c_out), dtype=kernel.dtype)
    for p in range(out_h):
        for q in range(out_w):
            # Every output position gets the same kernel over its own window: weight sharing.
            matrix[p:p + kh, q:q + kw, :, p, q, :] = kernel
    return matrix.reshape(height * width * c_in, out_h * out_w * c_out)
    ### END SOLUTION
''')
nb.test("weight_sharing.matrix", "conv_as_dense_matrix")
nb.test("weight_sharing.channels", "conv_as_dense_matrix")
nb.test("weight_sharing.hidden", "conv_as_dense_matrix")
nb.md(r"""
Now check it against a real `Conv2D` on real digits, and look at $M$: for one filter, each column
is the same 3×3 kernel placed at another position of the 8×8 image. A locally connected layer would
have the same zeros but 36 different kernels; a dense layer would have no zeros at all.
""")
nb.code("""
keras.utils.set_random_seed(0)
conv = layers.Conv2D(4, (3, 3), bias_initializer="random_normal")
images = x_test[:5, :, :, None]
conv_out = np.asarray(conv(images)).reshape(len(images), -1)
kernel, bias = (np.asarray(w) for w in conv.weights)
M = conv_as_dense_matrix(kernel, images.shape[1:])
dense_out = images.reshape(len(images), -1) @ M + np.tile(bias, 6 * 6)
print(f"M: {M.shape}, {np.count_nonzero(M)} non-zero entries, built from {kernel.size} shared weights")
print(f"largest |Conv2D(x) - (x @ M + b)| = {np.abs(conv_out - dense_out).max():.2e}")

M_one_filter = conv_as_dense_matrix(kernel[:, :, :, :1], (8, 8, 1))
fig, ax = plt.subplots(figsize=(10, 4))
limit = np.abs(M_one_filter).max()
ax.imshow(M_one_filter.T, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
ax.set(xlabel="input pixel i·8 + j", ylabel="output position p·6 + q",
       title="Columns of M (transposed) for one filter: one kernel, repeated")
plt.show()
""")
nb.md(r"""
## 3. OCR: a small CNN reads the digits

Reading handwritten characters is image classification. A CNN stacks conv layers (local features,
shared weights) with **pooling** (keep the largest value of each 2×2 block: halve the resolution),
then a dense softmax layer gives $P(\text{digit} = j \mid x)$ for $j = 0, \dots, 9$. Training
minimises the negative log-likelihood of the true labels (the deck's cost function), the
*sparse categorical cross-entropy* when labels are integers.

**Task 3.1.** Write `build_cnn()` returning a **compiled** model for inputs of shape `(8, 8, 1)`:

    Conv2D(16, 3, padding="same", activation="relu") → MaxPooling2D(2)
    → Conv2D(32, 3, padding="same", activation="relu") → MaxPooling2D(2)
    → Flatten() → Dense(10, activation="softmax")

compiled with `keras.optimizers.Adam(learning_rate=0.01)`, `loss="sparse_categorical_crossentropy"`
and `metrics=["accuracy"]`. You may change the architecture if you keep at least one `Conv2D`, at most
20,000 parameters and probabilities as output: the check trains it for **3 epochs** (seed 0,
batch 32) on the training digits and requires **≥ 93 %** test accuracy (the reference gets about 98 %).
""")
nb.solution("build_cnn", '''
def build_cnn():
    """A small compiled CNN for 8x8x1 digit images, giving 10 class probabilities."""
    ### BEGIN SOLUTION
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),  # 8x8 -> 4x4
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),  # 4x4 -> 2x2
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ], name="digits_cnn")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ### END SOLUTION
    return model
''')
nb.test("cnn.structure", "build_cnn")
nb.test("cnn.accuracy", "build_cnn")
nb.md(r"""
Trained for 20 epochs, the reference reads about 99 % of the test digits correctly (the training is
cut to one epoch when the notebook is graded):
""")
nb.code("""
EPOCHS = 1 if grading_mode() else 20

keras.utils.set_random_seed(0)
cnn = build_cnn()
cnn.summary()
cnn.fit(x_train[..., None], y_train, epochs=EPOCHS, batch_size=32, verbose=0)
predicted = np.argmax(np.asarray(cnn(x_test[..., None])), axis=-1)
print(f"test accuracy after {EPOCHS} epoch(s): {np.mean(predicted == y_test):.1%}")
""")
nb.md(r"""
**Task 3.2.** Accuracy hides *which* digits are confused. Write `confusion_matrix(y_true, y_pred,
num_classes)` returning the integer matrix $C$ of shape `(num_classes, num_classes)` with
$C_{ij}$ = the number of images of true class $i$ predicted as class $j$ (so the diagonal holds the
correct answers). Size it by `num_classes`, even if a class never occurs.
""")
nb.solution("confusion_matrix", '''
def confusion_matrix(y_true, y_pred, num_classes):
    """C[i, j] = number of samples of true class i predicted as class j."""
    ### BEGIN SOLUTION
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)  # unbuffered: repeated pairs all count
    return matrix
    ### END SOLUTION
''')
nb.test("cnn.confusion", "confusion_matrix")
nb.md(r"""
The confusion matrix of the CNN above, and the test digits it gets wrong (true → predicted):
""")
nb.code("""
matrix = confusion_matrix(y_test, predicted, 10)
fig, ax = plt.subplots(figsize=(5.5, 5))
ax.imshow(matrix, cmap="Blues")
for (i, j), count in np.ndenumerate(matrix):
    if count:
        ax.text(j, i, count, ha="center", va="center", color="white" if count > matrix.max() / 2 else "black")
ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true", title="Confusion matrix (test)")
plt.show()

wrong = np.flatnonzero(predicted != y_test)
print(f"{len(wrong)} of {len(y_test)} test digits misclassified")
shown = wrong[:16]
if len(shown):
    fig, axes = plt.subplots(1, len(shown), figsize=(1.1 * len(shown), 1.6), squeeze=False)
    for ax, index in zip(axes[0], shown):
        ax.imshow(x_test[index], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{y_test[index]}→{predicted[index]}")
        ax.axis("off")
    plt.show()
""")
nb.md(r"""
## 4. Why share weights?

Section 2 showed that the CNN's first layer needs 160 parameters where a dense layer with the same
outputs needs 37,440.

**Question (2 points, graded by hand).** Beyond the smaller number of parameters, give **two** reasons
why a convolutional layer suits OCR better than a dense layer. Write your answer in the cell below.
""")
nb.written("weight_sharing_why", 2, r"""
Full marks for two distinct reasons, each tied to images:

* **Translation equivariance.** The same kernel is applied at every position, so a stroke detector
  learned in one place works everywhere: shifting a digit shifts its feature maps instead of changing
  them. A dense layer would have to learn the same stroke separately at every position.
* **Locality.** Nearby pixels are strongly related and characters are made of local strokes; each
  unit looking at a small window builds that prior into the architecture.
* **Data efficiency / less over-fitting.** With 1437 training images, 37,440 free weights over-fit
  easily; every shared weight is trained by all 36 positions of every image (36× more evidence per
  weight).

One mark per reason (the parameter count alone, restated, earns nothing).
""")
nb.save("solutions/05-feedforward/05-feedforward.ipynb")
