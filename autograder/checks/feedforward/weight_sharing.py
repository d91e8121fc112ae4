"""``weight_sharing.*``: a conv layer is the dense layer flatten(y) = flatten(x) · M + b whose matrix
M holds the same kernel at every output position (zeros elsewhere).

Parameters: dense (HWC + 1)·H'W'F, locally connected (k_h k_w C + 1)·H'W'F, conv (k_h k_w C + 1)·F,
with H' = H − k_h + 1, W' = W − k_w + 1 ('valid').
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new

# float64 NumPy: the truth the records are compared with.


def ref_conv_matrix(kernel, input_shape, flip=False, channels_first=False):
    """The dense matrix M with flatten(conv(x)) = flatten(x) @ M ('valid', stride 1, no bias).

    ``flip`` and ``channels_first`` build two known wrong variants, used to name a mistake.
    """
    kernel = np.asarray(kernel, np.float64)
    if flip:
        kernel = kernel[::-1, ::-1]
    kh, kw, c_in, c_out = kernel.shape
    height, width = input_shape[0], input_shape[1]
    out_h, out_w = height - kh + 1, width - kw + 1
    matrix = np.zeros((height, width, c_in, out_h, out_w, c_out))
    for p in range(out_h):
        for q in range(out_w):
            matrix[p : p + kh, q : q + kw, :, p, q, :] = kernel
    if channels_first:
        matrix = matrix.transpose(2, 0, 1, 5, 3, 4)
    return matrix.reshape(height * width * c_in, out_h * out_w * c_out)


def ref_conv(x, kernel):
    """Keras's Conv2D ('valid', stride 1, no bias): a cross-correlation, the kernel is not flipped."""
    x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    kh, kw = kernel.shape[:2]
    out_h, out_w = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    y = np.zeros((x.shape[0], out_h, out_w, kernel.shape[3]))
    for p in range(out_h):
        for q in range(out_w):
            y[:, p, q, :] = np.einsum("nabc,abco->no", x[:, p : p + kh, q : q + kw, :], kernel)
    return y


def ref_parameter_counts(input_shape, kernel_size, filters):
    height, width, channels = input_shape
    kh, kw = kernel_size
    outputs = (height - kh + 1) * (width - kw + 1) * filters
    return {
        "dense": outputs * (height * width * channels + 1),
        "local": outputs * (kh * kw * channels + 1),
        "conv": filters * (kh * kw * channels + 1),
    }


COUNT_CASES = (((8, 8, 1), (3, 3), 16), ((28, 28, 3), (5, 5), 32), ((6, 10, 2), (3, 2), 4))

counts_check = new(
    "weight_sharing.counts", 2, "`parameter_counts`: dense vs locally connected vs conv on the same input"
)


@counts_check.probe
def _(parameter_counts):
    out = {}
    for i, (input_shape, kernel_size, filters) in enumerate(COUNT_CASES):
        counts = parameter_counts(input_shape, kernel_size, filters)
        if not isinstance(counts, dict):
            raise Fail(
                f"`parameter_counts` should return a dict with keys 'dense', 'local' and 'conv'; "
                f"it returned {type(counts).__name__}."
            )
        for key in ("dense", "local", "conv"):
            if key not in counts:
                raise Fail(f"the dict returned by `parameter_counts` has no key {key!r}.")
            out[f"{key}{i}"] = int(counts[key])
    return out


def _count_mistakes(input_shape, kernel_size, filters):
    """Per quantity, the counts that known mistakes give, with a hint naming each."""
    height, width, channels = input_shape
    kh, kw = kernel_size
    positions = (height - kh + 1) * (width - kw + 1)
    same_positions = height * width
    window = kh * kw * channels
    return {
        "dense": [
            (positions * filters * height * width * channels, "You left out the biases: one per output unit."),
            (
                same_positions * filters * (height * width * channels + 1),
                "You used H·W output positions: with 'valid' padding there are (H − k_h + 1)(W − k_w + 1).",
            ),
            (positions * filters * (height * width + 1), "You left out the input channels C."),
        ],
        "local": [
            (positions * filters * window, "You left out the biases: one per output unit."),
            (positions * filters * kh * kw + positions * filters, "You left out the input channels C of each window."),
            (
                same_positions * filters * (window + 1),
                "You used H·W output positions: with 'valid' padding there are (H − k_h + 1)(W − k_w + 1).",
            ),
            (
                positions * filters * window + filters,
                "You shared the biases but not the weights: a locally connected layer shares nothing.",
            ),
        ],
        "conv": [
            (filters * window, "You left out the biases: one per filter."),
            (filters * (kh * kw + 1), "You left out the input channels C: a kernel spans k_h × k_w × C."),
            (
                filters * window + positions * filters,
                "You gave each output position its own bias: a conv layer shares the bias too (one per filter).",
            ),
        ],
    }


@counts_check.verify
def _(r):
    names = {"dense": "the dense layer", "local": "the locally connected layer", "conv": "the conv layer"}
    for key in ("dense", "local", "conv"):
        for i, case in enumerate(COUNT_CASES):
            got, expected = int(r[f"{key}{i}"]), ref_parameter_counts(*case)[key]
            if got != expected:
                hint = next((h for value, h in _count_mistakes(*case)[key] if value == got), "")
                input_shape, kernel_size, filters = case
                raise Fail(
                    f"{names[key]}'s count for input {input_shape}, kernel {kernel_size} and "
                    f"{filters} filters is {got}, expected {expected}. {hint}".strip()
                )


def _matrix_probe(conv_as_dense_matrix, cases):
    out = {}
    for i, (kernel, input_shape) in enumerate(cases):
        out[f"m{i}"] = conv_as_dense_matrix(kernel.copy(), tuple(input_shape))
    return out


def _matrix_hint(m, kernel, input_shape, *, show_shape=True) -> str:
    expected = ref_conv_matrix(kernel, input_shape)
    m = np.asarray(m, np.float64)
    if m.shape == expected.T.shape and m.shape != expected.shape:
        return (
            "It is the transpose of the expected matrix: rows index the inputs (so that "
            "`x.reshape(n, -1) @ M` works), columns the outputs."
        )
    if m.shape != expected.shape:
        return (
            f"Its shape should be (H·W·C_in, H'·W'·C_out){f' = {expected.shape}' if show_shape else ''}, "
            "with H' = H − k_h + 1 and W' = W − k_w + 1 ('valid' padding)."
        )
    if not np.any(m):
        return "It is all zeros: place the kernel over each output position's window."
    return expect.diagnose(
        m,
        [
            (
                ref_conv_matrix(kernel, input_shape, flip=True),
                "It matches the kernel flipped by 180°, the convolution of signal processing. Keras's `Conv2D` "
                "(like every deep-learning library) computes the cross-correlation: use the kernel as it is.",
            ),
            (
                ref_conv_matrix(kernel, input_shape, channels_first=True),
                "It matches a channels-first flattening. Keras's images are (H, W, C): flattening puts the "
                "channel index last, i.e. input (i, j, c) is row (i·W + j)·C + c.",
            ),
        ],
    )


def _verify_matrices(r, cases, what, *, hidden=False):
    for i, (kernel, input_shape) in enumerate(cases):
        m = np.asarray(r[f"m{i}"], np.float64)
        expected = ref_conv_matrix(kernel, input_shape)
        if expect.matches(m, expected):
            continue
        hint = _matrix_hint(m, kernel, input_shape, show_shape=not hidden)
        if hidden:
            hint = hint or (
                "Check that rows (height, k_h) and columns (width, k_w) are never swapped, "
                "and that every output position uses the whole kernel."
            )
            raise Fail(f"{what}, your matrix differs from the conv layer's. {hint}")
        label = (
            f"`conv_as_dense_matrix(kernel, {tuple(input_shape)})` with a {kernel.shape[0]}×{kernel.shape[1]} "
            f"kernel, {kernel.shape[2]} input and {kernel.shape[3]} output channel(s)"
        )
        if m.shape != expected.shape:
            raise Fail(f"{label} has shape {m.shape}, expected {expected.shape}. {hint}".strip())
        expect.close(m, expected, label, hint, **expect.ELEMENTWISE)


MATRIX_CASES = (
    (np.arange(1.0, 10.0).reshape(3, 3, 1, 1), (5, 5, 1)),
    (np.array([[1.0, -2.0], [3.0, 0.5]]).reshape(2, 2, 1, 1), (4, 4, 1)),
)

matrix_check = new(
    "weight_sharing.matrix",
    2,
    "`conv_as_dense_matrix` builds the dense matrix of a one-channel conv from its shared kernel",
)


@matrix_check.probe
def _(conv_as_dense_matrix):
    return _matrix_probe(conv_as_dense_matrix, MATRIX_CASES)


@matrix_check.verify
def _(r):
    _verify_matrices(r, MATRIX_CASES, "one channel")


def _point_symmetric_kernel():
    # k[a, b] = k[1 − a, 1 − b]: flipping by 180° changes nothing, so this check isolates the
    # channel bookkeeping from the flip (which `weight_sharing.matrix` tests).
    values = np.arange(1.0, 13.0).reshape(2, 2, 3) * np.array([1.0, -0.5]).reshape(1, 2, 1)
    kernel = np.zeros((2, 2, 2, 3))
    kernel[0, 0] = kernel[1, 1] = values[0]
    kernel[0, 1] = kernel[1, 0] = values[1] + 20.0
    return kernel


CHANNEL_CASES = ((_point_symmetric_kernel(), (4, 4, 2)),)

channels_check = new(
    "weight_sharing.channels", 1, "`conv_as_dense_matrix` with several input channels and filters (channels-last order)"
)


@channels_check.probe
def _(conv_as_dense_matrix):
    return _matrix_probe(conv_as_dense_matrix, CHANNEL_CASES)


@channels_check.verify
def _(r):
    _verify_matrices(r, CHANNEL_CASES, "several channels")


HIDDEN_CASES = ((np.round(np.random.default_rng(11).normal(size=(2, 3, 2, 2)), 1), (4, 6, 2)),)

hidden_matrix_check = new(
    "weight_sharing.hidden",
    1,
    "`conv_as_dense_matrix` on a non-square input and kernel with several channels",
    hidden=True,
)


@hidden_matrix_check.probe
def _(conv_as_dense_matrix):
    return _matrix_probe(conv_as_dense_matrix, HIDDEN_CASES)


@hidden_matrix_check.verify
def _(r):
    _verify_matrices(r, HIDDEN_CASES, "On a non-square input and kernel with several channels", hidden=True)
