"""Assignment 00 (foundations): realistic mistakes fail with a message naming them, the float64
references agree with TensorFlow/Keras, and the training bound holds over seeds and hidden
activations. What every assignment's checks keep (the reference passes, the blank release fails,
each wrong answer fails exactly its checks, verify needs no TensorFlow) is test_contract.py's.

Real TensorFlow, in-process; the source notebook's own solution cells are the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks import get
from autograder.checks.foundations import _shared, approximation, backprop, common_activations, equation, rbf_network

from .support import reference, run, topic_checks, wrong_answers

ID = "00-foundations"
CHECKS = topic_checks("foundations")


@pytest.fixture(scope="module")
def ref() -> dict:
    return reference(ID).namespace


def test_the_assignment_meets_the_size_rules():
    points = sum(get(c).points for c in CHECKS)
    assert len(CHECKS) >= 6 and points >= 10
    assert points == 27


def test_there_are_at_least_three_wrong_answers():
    assert len(wrong_answers(ID)) >= 3


# --------------------------------------------------------------------------- messages name the mistake
# Each student function is the reference with one realistic mistake; the message must name it.


# Each student `forward` below is the reference with one realistic mistake.


def _no_transposes(x, W_ih, b_ih, W_oh, b_oh, f_h, f_o):
    return f_o(f_h(x @ W_ih + b_ih) @ W_oh + b_oh)


def _w_oh_first(x, W_ih, b_ih, W_oh, b_oh, f_h, f_o):
    return f_o(f_h(x @ W_oh.T + b_ih) @ W_ih.T + b_oh)


def _samples_as_columns(x, W_ih, b_ih, W_oh, b_oh, f_h, f_o):
    return f_o(W_oh @ f_h(W_ih @ x.T + b_ih) + b_oh).T


def _swapped_biases(x, W_ih, b_ih, W_oh, b_oh, f_h, f_o):
    return f_o(f_h(x @ W_ih.T + b_oh) @ W_oh.T + b_ih)


def _b_oh_inside(x, W_ih, b_ih, W_oh, b_oh, f_h, f_o):
    return f_o(f_h(x @ W_ih.T + b_ih + b_oh) @ W_oh.T)


def _f_o_before_w_oh(x, W_ih, b_ih, W_oh, b_oh, f_h, f_o):
    return f_o(f_h(x @ W_ih.T + b_ih)) @ W_oh.T + b_oh


def _f_h_at_output(x, W_ih, b_ih, W_oh, b_oh, f_h, f_o):
    return f_h(f_h(x @ W_ih.T + b_ih) @ W_oh.T + b_oh)


def _no_f_h(x, W_ih, b_ih, W_oh, b_oh, f_h, f_o):
    return f_o((x @ W_ih.T + b_ih) @ W_oh.T + b_oh)


FORWARD_MISTAKES = {  # student -> {every check it fails: a phrase its message must contain}
    "no transposes": (_no_transposes, {"equation.shapes": "W_ih.T", "equation.order": "without transposes"}),
    "W_oh first": (_w_oh_first, {"equation.shapes": "W_ih.T", "equation.order": "W°ʰ applied first"}),
    "samples as columns": (_samples_as_columns, {"equation.shapes": "broadcast", "equation.bias": "batch axis"}),
    "biases swapped": (_swapped_biases, {"equation.shapes": "broadcast", "equation.bias": "swapped"}),
    "b_oh inside f_h": (_b_oh_inside, {"equation.shapes": "broadcast", "equation.bias": "b°ʰ was added inside fʰ"}),
    # An activation mistake shows wherever fʰ is non-linear: three checks, each naming it.
    "no f_h": (
        _no_f_h,
        {"equation.order": "without fʰ", "equation.bias": "without fʰ", "equation.output_activation": "without fʰ"},
    ),
    "f_o before W_oh": (_f_o_before_w_oh, {"equation.output_activation": "before W°ʰ"}),
    "f_h at the output": (
        _f_h_at_output,
        {
            "equation.order": "fʰ used for the output",
            "equation.bias": "fʰ used for the output",
            "equation.output_activation": "fʰ used for the output",
        },
    ),
}
EQUATION_CHECKS = [c for c in CHECKS if c.startswith("equation.") and c != "equation.keras"]


@pytest.mark.parametrize("name", list(FORWARD_MISTAKES))
def test_forward_mistakes_fail_their_checks_with_a_message_naming_them(name):
    student, expected = FORWARD_MISTAKES[name]
    messages = {c: run(c, student) for c in EQUATION_CHECKS}
    assert sorted(c for c, m in messages.items() if m is not None) == sorted(expected), messages
    for check_id, phrase in expected.items():
        assert phrase in messages[check_id], messages[check_id]


def test_a_transposed_output_is_named_by_the_shape_check():
    def columns_out(x, W_ih, b_ih, W_oh, b_oh, f_h, f_o):  # right values, (outputs, batch)
        return f_o(W_oh @ f_h(W_ih @ x.T + b_ih[:, None]) + b_oh[:, None])

    message = run("equation.shapes", columns_out)
    assert message is not None and "transpose the result back" in message, message


def _keras_network(transpose=True, output=True, biases=True):
    import keras

    def keras_network(W_ih, b_ih, W_oh, b_oh, hidden_activation, output_activation):
        model = keras.Sequential(
            [
                keras.Input((W_ih.shape[1],)),
                keras.layers.Dense(W_ih.shape[0], activation=hidden_activation),
                keras.layers.Dense(W_oh.shape[0], activation=output_activation if output else None),
            ]
        )
        for layer, W, b in zip(model.layers, (W_ih, W_oh), (b_ih, b_oh)):
            layer.set_weights([W.T if transpose else W, b if biases else np.zeros_like(b)])
        return model

    return keras_network


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"transpose": False}, "kernel of shape (inputs, units)"),
        ({"output": False}, "no output activation"),
        ({"biases": False}, "ignores the biases"),
    ],
)
def test_keras_network_mistakes_are_named(options, phrase):
    message = run("equation.keras", _keras_network(**options))
    assert message is not None and phrase in message, message


def test_a_square_untransposed_kernel_is_named_too():
    # The second Keras case is square: set_weights accepts W instead of W.T, only the values differ.
    def square_only(W_ih, b_ih, W_oh, b_oh, hidden, output):
        transpose = W_ih.shape[0] != W_ih.shape[1]
        return _keras_network(transpose=transpose)(W_ih, b_ih, W_oh, b_oh, hidden, output)

    message = run("equation.keras", square_only)
    assert message is not None and "kernel of shape (inputs, units)" in message, message


def _activation_set(ref, **overrides):
    names = ("sigmoid", "tanh", "relu", "step", "linear")
    return [overrides.get(name, ref[name]) for name in names]


@pytest.mark.parametrize(
    "override, phrase",
    [
        ({"tanh": lambda x: 2.0 / (1.0 + np.exp(-np.asarray(x))) - 1.0}, "tanh(x/2)"),
        ({"relu": lambda x: np.abs(x)}, "|x|"),
        ({"step": lambda x: np.sign(x)}, "sign(x)"),
        ({"step": lambda x: np.asarray(x) > 0}, "returns booleans"),  # `ops.greater` without the cast
    ],
)
def test_activation_mistakes_are_named(ref, override, phrase):
    message = run("common_activations.values", *_activation_set(ref, **override))
    assert message is not None and phrase in message, message


@pytest.mark.parametrize(
    "override, phrase",
    [
        ({"d_tanh": lambda x: 1 - np.asarray(x) ** 2}, "1 − x²"),
        ({"d_tanh": lambda x: 1 - np.tanh(x)}, "squared"),
        ({"d_relu": lambda x: np.maximum(x, 0)}, "ReLU itself"),
        ({"d_step": lambda x: (np.asarray(x) > 0).astype(float)}, "step itself"),
        ({"d_linear": lambda x: x}, "derivative of x is 1"),
        ({"d_relu": lambda x: np.asarray(x) > 0}, "returns booleans"),
    ],
)
def test_derivative_mistakes_are_named(ref, override, phrase):
    names = ("d_sigmoid", "d_tanh", "d_relu", "d_step", "d_linear")
    message = run("common_activations.derivatives", *[override.get(n, ref[n]) for n in names])
    assert message is not None and phrase in message, message


def test_an_autodiff_without_zero_for_unconnected_gradients_is_named():
    import tensorflow as tf

    def autodiff_derivative(f, x):
        x = tf.constant(x, dtype=tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return tape.gradient(y, x)

    message = run("common_activations.autodiff", autodiff_derivative)
    assert message is not None and "UnconnectedGradients.ZERO" in message, message


def test_saturation_mistakes_are_named():
    def largest_index(d_f, fraction=0.01):  # returns the grid index, not x
        xs = np.linspace(0.0, 100.0, 200_001)
        return float(np.argmax(np.asarray(d_f(xs)) <= fraction * d_f(0.0)))

    message = run("common_activations.saturation", largest_index)
    assert message is not None and "expected 5.986" in message, message
    coarse = lambda d_f, fraction=0.01: float(
        np.linspace(0, 100, 101)[np.argmax(d_f(np.linspace(0, 100, 101)) <= fraction * d_f(0.0))]
    )  # noqa: E731
    assert run("common_activations.saturation", coarse) is not None  # a grid of step 1 is too coarse


@pytest.mark.parametrize(
    "student, phrase",
    [
        (lambda x, c, b: rbf_network.ref_rbf_features(x, c, b).T, "rows are samples"),
        (lambda x, c, b: np.exp(-np.square(x) / b), "one column per centre"),
        (lambda x, c, b: np.exp(-np.square(x[:, None] - c[None, :]) / b**2), "not β²"),
        (lambda x, c, b: np.exp(-np.square(x[:, None] - c[None, :]) / (2 * b)), "no 2"),
        (lambda x, c, b: np.exp(-np.abs(x[:, None] - c[None, :]) / b), "squared"),
    ],
)
def test_rbf_feature_mistakes_are_named(student, phrase):
    message = run("rbf_network.features", student)
    assert message is not None and phrase in message, message


def test_rbf_fit_mistakes_are_named_and_judged_on_the_students_own_features(ref):
    correlation = lambda x, y, c, b: ref["rbf_features"](x, c, b).T @ y  # noqa: E731
    tuple_result = lambda x, y, c, b: np.linalg.lstsq(ref["rbf_features"](x, c, b), y, rcond=None)  # noqa: E731
    assert "correlation" in run("rbf_network.fit", ref["rbf_features"], correlation)
    assert "could not be read" in run("rbf_network.fit", ref["rbf_features"], tuple_result)
    wrong_features = lambda x, c, b: np.exp(-np.square(x[:, None] - c[None, :]) * b)  # noqa: E731
    consistent_fit = lambda x, y, c, b: np.linalg.lstsq(wrong_features(x, c, b), y, rcond=None)[0]  # noqa: E731
    assert run("rbf_network.fit", wrong_features, consistent_fit) is None


def _make_mlp(hidden="tanh", output=None, compiled=True, learning_rate=None, extra=False, loss="mse"):
    import keras

    def make_mlp(width, rate):
        layers = [keras.layers.Dense(width, activation=hidden)]
        if extra:
            layers.append(keras.layers.Dense(width, activation=hidden))
        model = keras.Sequential([keras.Input((1,)), *layers, keras.layers.Dense(1, activation=output)])
        if compiled:
            model.compile(optimizer=keras.optimizers.Adam(learning_rate or rate), loss=loss)
        return model

    return make_mlp


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"output": "tanh"}, "not a linear `Dense`"),
        ({"compiled": False}, "not compiled"),
        ({"learning_rate": 0.001}, "learning rate"),
        ({"extra": True}, "Dense layers of [7, 7, 1] units"),
        ({"loss": "mae"}, "mean squared error"),
    ],
)
def test_make_mlp_mistakes_are_named(options, phrase):
    message = run("approximation.model", _make_mlp(**options))
    assert message is not None and phrase in message, message


def _grid_search(pick=np.argmin, key="val_mse", transpose=False, evaluate_twice=False, swap=False, indices=False):
    def grid_search(evaluate, widths, learning_rates):
        table = np.array([[evaluate(w, r)[key] for r in learning_rates] for w in widths])
        if evaluate_twice:
            evaluate(widths[0], learning_rates[0])
        i, j = np.unravel_index(pick(table), table.shape)
        best = (i, j) if indices else (widths[i], learning_rates[j])
        return (best[::-1] if swap else best), (table.T if transpose else table)

    return grid_search


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"key": "train_mse"}, "training MSE"),
        ({"pick": np.argmax}, "argmax"),
        ({"transpose": True}, "rows are widths"),
        ({"evaluate_twice": True}, "one training per configuration"),
        ({"swap": True}, "(learning_rate, width)"),
        ({"indices": True}, "indices"),
    ],
)
def test_grid_search_mistakes_are_named(options, phrase):
    message = run("approximation.search", _grid_search(**options))
    assert message is not None and phrase in message, message


def test_grid_search_names_arguments_passed_in_the_wrong_order():
    def swapped_call(evaluate, widths, learning_rates):
        table = np.array([[evaluate(r, w)["val_mse"] for r in learning_rates] for w in widths])
        return (widths[0], learning_rates[0]), table

    message = run("approximation.search", swapped_call)
    assert message is not None and "not a configuration of the grid" in message, message


# --------------------------------------------------------------------------- references vs TensorFlow


def test_the_float64_references_agree_with_keras_and_autodiff():
    import tensorflow as tf
    from keras import ops

    x = np.linspace(-8, 8, 41)
    np.testing.assert_allclose(_shared.logistic(x), np.asarray(ops.sigmoid(x)), rtol=1e-6, atol=1e-12)
    keras_functions = {"sigmoid": ops.sigmoid, "tanh": ops.tanh, "relu": ops.relu, "linear": lambda z: z}
    grid = tf.constant(common_activations.ACT_X.astype(np.float64))
    for name, f in keras_functions.items():
        with tf.GradientTape() as tape:
            tape.watch(grid)
            y = f(grid)
        x = common_activations.ACT_X
        np.testing.assert_allclose(common_activations._ref_activations(x)[name], np.asarray(y), rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(
            common_activations._ref_derivatives(x)[name], np.asarray(tape.gradient(y, grid)), rtol=1e-7, atol=1e-12
        )


def test_the_saturation_answers_are_where_the_derivative_crosses_its_threshold():
    for name, d_f, fraction, exact in common_activations.SATURATION_CASES:
        assert np.isclose(d_f(exact), fraction * d_f(0.0), rtol=1e-9), name
        assert d_f(exact - 1e-3) > fraction * d_f(0.0) > d_f(exact + 1e-3), name
    sigmoid_prime = common_activations.SATURATION_CASES[0][1]
    assert np.isclose(sigmoid_prime(common_activations.SIGMOID_ABSOLUTE), 0.01, rtol=1e-9)


def test_the_keras_network_reference_is_keras_dense(ref):
    x, net = equation._keras_case(0)
    model = ref["keras_network"](*net, "tanh", "sigmoid")
    np.testing.assert_allclose(
        np.asarray(model(x)), equation.ref_forward(x, *net, np.tanh, _shared.logistic), rtol=1e-5, atol=1e-6
    )


def test_the_order_cases_tell_the_mistakes_apart():
    # Non-commuting, non-symmetric matrices: each diagnosed mistake gives a different output.
    Wi, Wo, x = equation.ORDER_W_IH, equation.ORDER_W_OH, equation.ORDER_X
    assert not np.allclose(Wi @ Wo, Wo @ Wi) and not np.allclose(Wi, Wi.T) and not np.allclose(Wo, Wo.T)
    outputs = [np.tanh(x @ Wi.T) @ Wo.T, np.tanh(x @ Wi) @ Wo, np.tanh(x @ Wo.T) @ Wi.T, np.tanh(x @ Wi.T @ Wo.T)]
    for i in range(len(outputs)):
        for j in range(i):
            assert not np.allclose(outputs[i], outputs[j], rtol=1e-3, atol=1e-4)


# --------------------------------------------------------------------------- the training claim


def test_the_graded_training_is_deterministic(ref):
    assert approximation.train_mlp(ref["make_mlp"])["mse"] == approximation.train_mlp(ref["make_mlp"])["mse"]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid", "elu"])
def test_every_usual_hidden_activation_fits_with_a_margin_on_every_seed(hidden, seed):
    assert approximation.train_mlp(_make_mlp(hidden=hidden), seed=seed)["mse"] < approximation.FIT_BOUND / 2


def test_a_linear_hidden_layer_cannot_pass_and_is_named():
    assert approximation.LINE_MSE > 10 * approximation.FIT_BOUND
    message = run("approximation.fits", _make_mlp(hidden=None))
    assert message is not None and "straight line" in message, message


# --------------------------------------------------------------------------- backpropagation


def test_moons_is_scikit_learns_make_moons_number_for_number():
    from sklearn.datasets import make_moons

    for n, noise, seed in [(200, 0.2, 0), (1000, 0.2, 11), (7, 0.1, 3)]:
        x, labels = _shared.moons(n, noise, seed)
        x_sk, labels_sk = make_moons(n, noise=noise, random_state=seed)
        np.testing.assert_array_equal(x, x_sk)
        np.testing.assert_array_equal(labels, labels_sk)


def _loss(x, y, W_ih, b_ih, W_oh, b_oh):
    y_hat = _shared.logistic(np.tanh(x @ W_ih.T + b_ih) @ W_oh.T + b_oh)
    return -np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)) / len(x)


@pytest.mark.parametrize("case", [backprop.VISIBLE_CASE, *backprop.HIDDEN_CASES])
def test_the_backward_reference_is_the_gradient_by_finite_differences_and_by_autodiff(case):
    import tensorflow as tf

    x, y, params = case
    grads = backprop.ref_backward(x, y, *(params[n] for n in backprop.PARAMETERS))
    for name in backprop.PARAMETERS:
        numeric = np.zeros_like(params[name])
        for index in np.ndindex(numeric.shape):
            shifted = [{**params, name: params[name].copy()} for _ in range(2)]
            shifted[0][name][index] += 1e-6
            shifted[1][name][index] -= 1e-6
            up, down = (_loss(x, y, *(p[n] for n in backprop.PARAMETERS)) for p in shifted)
            numeric[index] = (up - down) / 2e-6
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-6, atol=1e-9, err_msg=name)
    variables = {n: tf.Variable(params[n]) for n in backprop.PARAMETERS}
    with tf.GradientTape() as tape:
        hidden = tf.tanh(x @ tf.transpose(variables["W_ih"]) + variables["b_ih"])
        y_hat = tf.sigmoid(hidden @ tf.transpose(variables["W_oh"]) + variables["b_oh"])
        loss = -tf.reduce_sum(y * tf.math.log(y_hat) + (1 - y) * tf.math.log(1 - y_hat)) / len(x)
    by_tape = tape.gradient(loss, variables)
    for name in backprop.PARAMETERS:
        np.testing.assert_allclose(grads[name], by_tape[name].numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_the_backward_mistakes_are_told_apart():
    # diagnose names the first mistake that reproduces a wrong gradient: of the mistakes that change
    # a gradient (a bias mistake leaves the weights' as they are), no two may give the same values.
    x, y, params = backprop.VISIBLE_CASE
    args = [params[n] for n in backprop.PARAMETERS]
    for names, mistakes in ((("W_oh", "b_oh"), backprop.OUTPUT_MISTAKES), (("W_ih", "b_ih"), backprop.HIDDEN_MISTAKES)):
        for name in names:
            right = backprop.ref_backward(x, y, *args)[name]
            wrong = [backprop.ref_backward(x, y, *args, mistake=m)[name] for m, _ in mistakes]
            wrong = [w for w in wrong if not np.allclose(w, right, **backprop.MISTAKE_TOL)]
            assert len(wrong) >= 2, name
            for i in range(len(wrong)):
                for j in range(i):
                    assert not np.allclose(wrong[i], wrong[j], **backprop.MISTAKE_TOL), (name, i, j)


def _backward(mistake="", transpose=False, bias_axis=0, keep_batch=False, as_tuple=False):
    def backward(x, y, W_ih, b_ih, W_oh, b_oh):
        if mistake:
            grads = backprop.ref_backward(x, y, W_ih, b_ih, W_oh, b_oh, mistake=mistake)
        else:
            grads = backprop.ref_backward(x, y, W_ih, b_ih, W_oh, b_oh)
        h = np.tanh(x @ W_ih.T + b_ih)
        delta_o = (_shared.logistic(h @ W_oh.T + b_oh) - y) / len(x)
        if transpose:
            grads["W_oh"] = h.T @ delta_o
        if bias_axis != 0:
            grads["b_oh"] = delta_o.sum(axis=bias_axis)
        if keep_batch:
            grads["b_oh"] = delta_o
        return tuple(grads.values()) if as_tuple else grads

    return backward


BACKWARD_MISTAKES = {  # student -> {every check it fails: a phrase its message must contain}
    "summed loss": (
        _backward("summed loss"),
        {
            "backprop.output_layer": "N times too large",
            "backprop.hidden_layer": "δ° is already wrong",
            "backprop.other_cases": "N times too large",
        },
    ),
    "sigmoid twice": (
        _backward("sigmoid twice"),
        {
            "backprop.output_layer": "σ′ cancels",
            "backprop.hidden_layer": "δ° is already wrong",
            "backprop.other_cases": "σ′ cancels",
        },
    ),
    "sign": (
        _backward("sign"),
        {
            "backprop.output_layer": "wrong sign",
            "backprop.hidden_layer": "wrong sign",
            "backprop.other_cases": "wrong sign",
        },
    ),
    "Z for H": (
        _backward("Z for H"),
        {"backprop.output_layer": "pre-activation", "backprop.other_cases": "pre-activation"},
    ),
    "bias mean": (
        _backward("bias mean"),
        {
            "backprop.output_layer": "a mean over the batch",
            "backprop.hidden_layer": "a mean over the batch",
            "backprop.other_cases": "a mean over the batch",
        },
    ),
    "no tanh'": (
        _backward("no tanh'"),
        {"backprop.hidden_layer": "leaves out tanh′", "backprop.other_cases": "leaves out tanh′"},
    ),
    "tanh' of Z": (_backward("tanh' of Z"), {"backprop.hidden_layer": "1 − Zʰ²", "backprop.other_cases": "1 − Zʰ²"}),
    "tanh' unsquared": (
        _backward("tanh' unsquared"),
        {"backprop.hidden_layer": "squared", "backprop.other_cases": "squared"},
    ),
    "sigmoid' for tanh'": (
        _backward("sigmoid' for tanh'"),
        {"backprop.hidden_layer": "sigmoid's derivative", "backprop.other_cases": "sigmoid's derivative"},
    ),
    "transposed W_oh": (
        _backward(transpose=True),
        {"backprop.output_layer": "That is the transpose", "backprop.other_cases": "That is the transpose"},
    ),
    "bias over the wrong axis": (
        _backward(bias_axis=1),
        {"backprop.output_layer": "sums δ over the batch", "backprop.other_cases": "sums δ over the batch"},
    ),
    "bias not summed": (
        _backward(keep_batch=True),
        {"backprop.output_layer": "sums δ over the batch", "backprop.other_cases": "sums δ over the batch"},
    ),
}
BACKWARD_CHECKS = ["backprop.output_layer", "backprop.hidden_layer", "backprop.other_cases"]


@pytest.mark.parametrize("name", list(BACKWARD_MISTAKES))
def test_backward_mistakes_fail_their_checks_with_a_message_naming_them(name):
    student, expected = BACKWARD_MISTAKES[name]
    messages = {c: run(c, student) for c in BACKWARD_CHECKS}
    assert sorted(c for c, m in messages.items() if m is not None) == sorted(expected), messages
    for check_id, phrase in expected.items():
        assert phrase in messages[check_id], messages[check_id]


def test_a_backward_that_returns_a_tuple_is_told_to_return_a_dict():
    message = run("backprop.output_layer", _backward(as_tuple=True))
    assert message is not None and "should return a dict" in message, message


def test_the_hidden_backward_check_quotes_no_input():
    message = run("backprop.other_cases", _backward("no tanh'"))
    assert "on a hidden case" in message and " at x=" not in message, message


def _descent(sign=-1.0, rate=True, steps_off=0, calls_per_step=1):
    def gradient_descent(params, gradient, learning_rate, steps):
        for _ in range(steps + steps_off):
            for _ in range(calls_per_step):
                grads = gradient(params)
            params = {k: v + sign * (learning_rate if rate else 1.0) * grads[k] for k, v in params.items()}
        return params

    return gradient_descent


@pytest.mark.parametrize(
    "student, phrase",
    [
        (_descent(sign=+1.0), "It climbs"),
        (_descent(rate=False), "ignores the learning rate"),
        (_descent(steps_off=-1), "called `gradient` 5 times"),
        (_descent(calls_per_step=2), "one gradient per step"),
        (
            lambda params, gradient, learning_rate, steps: list(params.values()),
            "should return the parameters as a dict",
        ),
    ],
)
def test_gradient_descent_mistakes_are_named(student, phrase):
    message = run("backprop.descent", student)
    assert message is not None and phrase in message, message


def test_the_descent_check_names_steps_one_short_when_the_count_is_right():
    def one_short(params, gradient, learning_rate, steps):
        for step in range(steps):
            grads = gradient(params)
            if step:
                params = {k: v - learning_rate * grads[k] for k, v in params.items()}
        return params

    message = run("backprop.descent", one_short)
    assert message is not None and "one short" in message, message


@pytest.mark.parametrize("seed", range(5))
def test_the_reference_trains_past_the_accuracy_bound_from_every_seed(ref, seed):
    params = backprop.train_network(ref["backward"], ref["gradient_descent"], seed=seed)
    loss, accuracy = backprop._loss_and_accuracy(backprop.TEST_X, backprop.TEST_LABELS, *params.values())
    assert accuracy >= backprop.ACCURACY_BOUND + 0.01, (seed, accuracy)


def test_a_network_without_tanh_prime_does_not_reach_the_bound(ref):
    message = run("backprop.train", _backward("no tanh'"), ref["gradient_descent"])
    assert message is not None and "test moons right" in message, message
    climbing = run("backprop.train", ref["backward"], _descent(sign=+1.0))
    assert climbing is not None and "did not fall" in climbing, climbing
