"""Assignment 03 (training: NLL costs and optimizers): realistic mistakes fail with a message naming
them, the float64 NumPy references agree with the real `keras.optimizers` and `keras.losses`, and
the Levenberg–Marquardt bound holds over seeds (not just the graded start). What every
assignment's checks keep (the reference passes, the blank release fails, each wrong answer fails
exactly its checks, verify needs no TensorFlow) is test_contract.py's.

Real TensorFlow, in-process; the source notebook's own solution cells are the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.authoring import sample
from autograder.checks import get
from autograder.checks._core import probe
from autograder.checks.training import bfgs, lm, minibatch, newton, nll, schedule, update

from .support import define, filled, reference, run, source, topic_checks, wrong_answer_verdicts, wrong_answers

ID = "03-training"
CHECKS = topic_checks("training")


@pytest.fixture(scope="module")
def ref() -> dict:
    return reference(ID).namespace


# --------------------------------------------------------------------------- the assignment's shape


def test_the_assignment_meets_the_size_rules():
    points = sum(get(c).points for c in CHECKS)
    assert len(CHECKS) >= 10 and points >= 20
    assert points == 43


def test_the_wrong_answers_include_the_ones_the_issue_asks_for():
    assert {"adam-no-bias-correction", "momentum-sign-error", "nesterov-as-momentum", "lm-lambda-inverted"} <= set(
        wrong_answers(ID)
    )


# The phrase the first failing check's message must contain: the cause, named.
PHRASES = {
    "adam-no-bias-correction": "bias correction is missing",
    "momentum-sign-error": "Momentum sign error",
    "nesterov-as-momentum": "equal plain momentum",
    "lm-lambda-inverted": "wrong way",
    "rmsprop-eps-outside-root": "ε added in the wrong place",
    "adadelta-no-learning-rate": "learning rate is missing",
    "bernoulli-log-of-sigmoid": "softplus",
    "gaussian-without-constant": "½·log(2πσ²)",
    "newton-multiplies-by-hessian": "You multiplied by H",
    "bfgs-weights-not-loaded": "same loss",
    "compare-shared-state": "fresh state",
    "bfgs-callback-named-res": "named exactly `intermediate_result`",
    "minibatch-drops-last-batch": "the last, partial batch is missing",
    "cosine-without-clamp": "climbs back up",
}


def test_each_wrong_answer_is_named_here():
    assert sorted(wrong_answers(ID)) == sorted(PHRASES)


@pytest.mark.parametrize("student", sorted(PHRASES))
def test_each_wrong_answer_names_the_cause(student):
    verdicts = wrong_answer_verdicts(ID, student)  # that it fails exactly its checks: test_contract.py
    first = wrong_answers(ID)[student].fails[0]
    assert PHRASES[student] in verdicts[first], verdicts[first]


def test_the_inverted_damping_fails_the_fit_with_a_message_pointing_at_update_damping():
    message = wrong_answer_verdicts(ID, "lm-lambda-inverted")["lm.fit"]
    assert "update_damping" in message and "λ grew" in message


# --------------------------------------------------------------------------- every known mistake is named


@pytest.mark.parametrize("name, index", [(n, i) for n in update.MISTAKES for i in range(len(update.MISTAKES[n]))])
def test_every_update_rule_mistake_is_caught_and_named(name, index):
    mistake, hint = update.MISTAKES[name][index]
    message = run(f"update.{name.removesuffix('_step')}", mistake)
    assert message is not None and hint in message, message


@pytest.mark.parametrize(
    "check_id, mistakes, wrap",
    [
        ("nll.gaussian", nll.GAUSSIAN_MISTAKES, lambda f: lambda y, m, sigma=1.0: f(y, m, sigma)),
        ("nll.bernoulli", nll.BERNOULLI_MISTAKES, lambda f: f),
        ("nll.categorical", nll.CATEGORICAL_MISTAKES, lambda f: f),
        ("newton.step", newton.NEWTON_MISTAKES, lambda f: lambda gradient, hessian, x: f(gradient(x), hessian(x), x)),
        ("lm.step", lm.LM_STEP_MISTAKES, lambda f: f),
        ("lm.damping", lm.DAMPING_MISTAKES, lambda f: f),
    ],
)
def test_every_formula_mistake_is_caught_and_named(check_id, mistakes, wrap):
    for mistake, hint in mistakes:
        message = run(check_id, wrap(mistake))
        assert message is not None and hint in message, (hint, message)


def test_a_loss_that_reduces_the_batch_is_told_to_return_one_value_per_sample():
    message = run("nll.categorical", lambda y, z: np.mean(nll.ref_categorical_nll(y, z)))
    assert "one value per sample" in message


def test_losses_written_in_numpy_are_told_they_cannot_be_differentiated():
    bernoulli = lambda y, z: nll.ref_bernoulli_nll(np.asarray(y), np.asarray(z))
    categorical = lambda y, z: nll.ref_categorical_nll(np.asarray(y), np.asarray(z))
    assert run("nll.bernoulli", bernoulli) is None
    assert "cannot differentiate" in run("nll.stable", bernoulli, categorical)


def test_a_rule_that_returns_only_the_parameters_is_told_the_contract():
    assert "(new_params, new_state)" in run("update.sgd", lambda p, g, s, hp: p - hp["learning_rate"] * g)


def test_a_transposed_or_summed_jacobian_is_named(ref):
    import tensorflow as tf

    def transposed(residuals, w):
        r, J = ref["residuals_and_jacobian"](residuals, w)
        return r, tf.transpose(J)

    def summed(residuals, w):
        with tf.GradientTape() as tape:
            tape.watch(w)
            r = residuals(w)
        return r, tape.gradient(r, w)

    assert "transposed" in run("lm.jacobian", transposed)
    assert "tape.jacobian" in run("lm.jacobian", summed)


def test_flatten_mistakes_are_named(ref):
    unflatten = ref["unflatten"]
    column_major = lambda ws: np.concatenate([np.asarray(w, np.float64).ravel(order="F") for w in ws])
    single = lambda ws: np.concatenate([np.asarray(w, np.float32).ravel() for w in ws])
    assert "column by column" in run("bfgs.flatten", column_major, unflatten)
    assert "float64" in run("bfgs.flatten", single, unflatten)


def test_losses_that_reduce_axis_1_fail_on_sequences():
    """axis=1 is the last axis of a 2-D batch only: the (batch, time, features) inputs tell them apart."""
    from keras import ops

    gaussian = lambda y, m, sigma=1.0: ops.mean(
        0.5 * np.log(2 * np.pi * sigma**2) + ops.square(y - m) / (2 * sigma**2), axis=1
    )
    bernoulli = lambda y, z: ops.mean(ops.softplus(z) - y * z, axis=1)
    categorical = lambda y, z: -ops.sum(y * ops.log_softmax(z, axis=1), axis=-1)
    assert "reduce only the last axis" in run("nll.gaussian", gaussian)
    assert "reduce only the last axis" in run("nll.bernoulli", bernoulli)
    assert "over the last axis only" in run("nll.categorical", categorical)


def test_run_bfgs_without_maxiter_is_told_to_pass_it(ref):
    import scipy.optimize

    def run_bfgs(value_and_grad, v0, iterations):
        losses = [value_and_grad(v0)[0]]
        result = scipy.optimize.minimize(
            value_and_grad,
            v0,
            jac=True,
            method="BFGS",
            callback=lambda intermediate_result: losses.append(intermediate_result.fun),
        )
        return result.x, np.array(losses)

    assert run("bfgs.run", ref["run_bfgs"]) is None
    assert "options={'maxiter': iterations}" in run("bfgs.run", run_bfgs)


def test_a_bfgs_callback_that_is_given_the_vector_is_told_the_parameter_name():
    import scipy.optimize

    def run_bfgs(value_and_grad, v0, iterations):
        losses = [value_and_grad(v0)[0]]

        def record(state):  # scipy passes xk here: the parameter is not named intermediate_result
            losses.append(state.fun)

        result = scipy.optimize.minimize(
            value_and_grad, v0, jac=True, method="BFGS", options={"maxiter": iterations}, callback=record
        )
        return result.x, np.array(losses)

    message = run("bfgs.run", run_bfgs)
    assert "AttributeError" in message and "`intermediate_result`" in message and "the vector xk" in message


def test_an_unrelated_attribute_error_in_run_bfgs_is_reported_as_it_is():
    def run_bfgs(value_and_grad, v0, iterations):
        return value_and_grad.fun, []

    message = run("bfgs.run", run_bfgs)
    assert "AttributeError" in message and "intermediate_result" not in message


def _cut(order, batch_size):
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


MINIBATCH_MISTAKES = {
    "the last, partial batch is missing": lambda n, b, rng: _cut(rng.permutation(n), b)[: n // b],
    "drawn with replacement": lambda n, b, rng: [rng.integers(0, n, len(c)) for c in _cut(np.arange(n), b)],
    "in order 0, 1, 2": lambda n, b, rng: _cut(np.arange(n), b),
    "the same order": lambda n, b, rng: _cut(np.random.default_rng(0).permutation(n), b),
    "not the order the seed gives": lambda n, b, rng: _cut(np.random.permutation(n), b),
    "sizes": lambda n, b, rng: np.array_split(rng.permutation(n), -(-n // b)),
    "0 … 9": lambda n, b, rng: _cut(rng.permutation(n) + 1, b),
}


@pytest.mark.parametrize("phrase", sorted(MINIBATCH_MISTAKES))
def test_every_minibatch_mistake_is_named(phrase):
    message = run("minibatch.indices", MINIBATCH_MISTAKES[phrase])
    assert message is not None and phrase in message, message


def test_a_generator_of_batches_passes(ref):
    def minibatch_indices(n, batch_size, rng):
        order = rng.permutation(n)
        yield from (order[i : i + batch_size] for i in range(0, n, batch_size))

    assert run("minibatch.indices", ref["minibatch_indices"]) is None
    assert run("minibatch.indices", minibatch_indices) is None


@pytest.mark.parametrize("index", range(len(schedule.COSINE_MISTAKES)))
def test_every_cosine_decay_mistake_is_caught_and_named(index):
    mistake, hint = schedule.COSINE_MISTAKES[index]
    message = run(
        "schedule.cosine", lambda step, lr0, decay_steps, alpha=0.0: float(mistake(step, lr0, decay_steps, alpha))
    )
    assert message is not None and hint in message, message


def test_the_cosine_reference_is_keras_cosine_decay():
    import keras

    for lr0, decay_steps, alpha in schedule.COSINE_CASES + [(0.1, 1000, 0.05)]:
        keras_schedule = keras.optimizers.schedules.CosineDecay(lr0, decay_steps, alpha=alpha)
        steps = np.arange(0, decay_steps + schedule.EXTRA_STEPS + 1, max(1, decay_steps // 50))
        np.testing.assert_allclose(
            [float(keras_schedule(int(t))) for t in steps],
            schedule.ref_cosine_decay(steps, lr0, decay_steps, alpha),
            rtol=1e-6,
        )


def test_the_minibatch_cases_cover_a_partial_batch_an_exact_split_and_one_larger_than_n():
    cases = [(n % b, n < b) for n, b, _ in minibatch.EPOCH_CASES]
    assert any(rest and not larger for rest, larger in cases) and any(rest == 0 for rest, _ in cases)
    assert any(larger for _, larger in cases)


def test_a_float32_keras_ops_rule_passes():
    """The checks accept rules written with keras.ops in float32, as the issue allows."""
    from keras import ops

    def adam_step(params, grads, state, hp):
        b1, b2 = hp["beta_1"], hp["beta_2"]
        t = state.get("t", 0) + 1
        g = ops.convert_to_tensor(grads, "float32")
        m = b1 * state.get("m", ops.zeros_like(g)) + (1 - b1) * g
        v = b2 * state.get("v", ops.zeros_like(g)) + (1 - b2) * ops.square(g)
        alpha = hp["learning_rate"] * (1 - b2**t) ** 0.5 / (1 - b1**t)
        theta = ops.convert_to_tensor(params, "float32") - alpha * m / (ops.sqrt(v) + hp["epsilon"])
        return theta, {"t": t, "m": m, "v": v}

    assert run("update.adam", adam_step) is None


# --------------------------------------------------------------------------- references vs Keras


@pytest.mark.parametrize("name", list(update.REFERENCE_RULES))
def test_the_numpy_update_rules_are_keras_optimizers_exactly(name):
    """On the checks' own inputs and on random ones: the grader's truth is what Keras computes."""
    import keras

    class_name, extra = update.KERAS_OPTIMIZERS[name]
    rng = np.random.default_rng(2)
    random_params, random_grads = rng.normal(size=(3, 4)), rng.normal(scale=2.0, size=(8, 3, 4))
    for hp in update.SCENARIOS[name]:
        for params, grads in ((update.P0, update.GRADS), (random_params, random_grads)):
            optimizer = getattr(keras.optimizers, class_name)(**hp, **extra)
            variable = keras.Variable(params, dtype="float64")
            trajectory = []
            for g in grads:
                optimizer.apply_gradients([(g, variable)])
                trajectory.append(np.array(variable.numpy()))
            np.testing.assert_allclose(
                np.stack(trajectory),
                update.run_rule(update.REFERENCE_RULES[name], hp, params, grads),
                rtol=1e-12,
                atol=1e-14,
            )


def test_the_keras_conventions_the_checks_insist_on_really_change_the_steps():
    """Each ⚠ convention of the notebook makes a visible difference on the checks' inputs."""
    conventions = {
        "adam_step": "paper's m̂/(√v̂ + ε)",
        "rmsprop_step": "inside* the root",
        "adadelta_step": "learning rate is missing",
        "nesterov_step": "equal plain momentum",
    }
    for name, fragment in conventions.items():
        mistake = next(m for m, hint in update.MISTAKES[name] if fragment in hint)
        assert any(
            not np.allclose(
                update.run_rule(mistake, hp), update.run_rule(update.REFERENCE_RULES[name], hp), **update.STEP_TOLERANCE
            )
            for hp in update.SCENARIOS[name]
        )


def test_the_numpy_nlls_are_keras_losses():
    import keras

    for sigma in nll.SIGMAS:
        mse = np.asarray(keras.losses.mean_squared_error(nll.Y_REG, nll.MEAN_REG), np.float64)
        np.testing.assert_allclose(
            nll.ref_gaussian_nll(nll.Y_REG, nll.MEAN_REG, sigma),
            mse / (2 * sigma**2) + 0.5 * np.log(2 * np.pi * sigma**2),
            rtol=1e-6,
        )
    for y, z in ((nll.Y_BIN, nll.Z_BIN), (nll.Y_BIN_EXT, nll.Z_BIN_EXT)):
        np.testing.assert_allclose(
            nll.ref_bernoulli_nll(y, z), keras.losses.binary_crossentropy(y, z, from_logits=True), rtol=1e-5, atol=1e-6
        )
    for y, z in ((nll.Y_CAT, nll.Z_CAT), (nll.Y_CAT_EXT, nll.Z_CAT_EXT)):
        np.testing.assert_allclose(
            nll.ref_categorical_nll(y, z),
            keras.losses.categorical_crossentropy(y, z, from_logits=True),
            rtol=1e-5,
            atol=1e-6,
        )


def test_the_extreme_inputs_really_break_the_naive_formulas():
    with np.errstate(all="ignore"):
        p = 1 / (1 + np.exp(-nll.Z_BIN_EXT))
        naive_bce = -(nll.Y_BIN_EXT * np.log(p) + (1 - nll.Y_BIN_EXT) * np.log(1 - p))
        softmax = np.exp(nll.Z_CAT_EXT) / np.exp(nll.Z_CAT_EXT).sum(-1, keepdims=True)
        naive_cce = -np.sum(nll.Y_CAT_EXT * np.log(softmax), -1)
    assert not np.all(np.isfinite(naive_bce)) and not np.all(np.isfinite(naive_cce))


def test_the_numpy_mlps_are_the_tensorflow_and_keras_ones():
    import keras
    import tensorflow as tf

    w = lm.MLP_W0 + 0.1
    residuals = lm.mlp_residuals_tf(lm.MLP_X, lm.MLP_Y)(tf.constant(w)).numpy()
    np.testing.assert_allclose(residuals, lm.mlp_np(w, lm.MLP_X) - lm.MLP_Y, rtol=1e-12, atol=1e-12)

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((2,), dtype="float64"),
            keras.layers.Dense(3, activation="tanh", dtype="float64"),
            keras.layers.Dense(1, dtype="float64"),
        ]
    )
    v = bfgs.BFGS_V[0]
    sizes = np.cumsum([int(np.prod(x.shape)) for x in model.trainable_weights])[:-1]
    for weight, piece in zip(model.trainable_weights, np.split(v, sizes)):
        weight.assign(piece.reshape(weight.shape))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(bfgs.BFGS_X) - bfgs.BFGS_Y))
    grads = np.concatenate([g.numpy().ravel() for g in tape.gradient(loss, model.trainable_weights)])
    ref_loss, ref_grad = bfgs.tiny_mlp_value_and_grad(v)
    np.testing.assert_allclose(float(loss), ref_loss, rtol=1e-12)
    np.testing.assert_allclose(grads, ref_grad, rtol=1e-10, atol=1e-12)


def test_the_lm_reference_step_is_gauss_newton_at_zero_damping_and_a_gradient_step_at_large():
    least_squares = np.linalg.lstsq(lm.LM_J, -lm.LM_R, rcond=None)[0]
    np.testing.assert_allclose(lm.ref_lm_step(lm.LM_R, lm.LM_J, 0.0), least_squares, rtol=1e-10)
    lam = 1e8
    np.testing.assert_allclose(lm.ref_lm_step(lm.LM_R, lm.LM_J, lam), -lm.LM_J.T @ lm.LM_R / lam, rtol=1e-6)


# --------------------------------------------------------------------------- claims over seeds


def test_the_graded_lm_fit_is_deterministic(ref):
    first = probe(get("lm.fit"), ref["levenberg_marquardt"])
    second = probe(get("lm.fit"), ref["levenberg_marquardt"])
    assert all(np.array_equal(first[k], second[k]) for k in first)


def _start(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h = lm.MLP_HIDDEN
    return np.concatenate([rng.normal(size=h), np.zeros(h), rng.normal(scale=0.5, size=h), np.zeros(1)])


@pytest.mark.parametrize("seed", range(6))
def test_lm_reaches_the_bound_from_other_starts_and_inverted_damping_does_not(ref, seed):
    residuals = lm.mlp_residuals_tf(lm.MLP_X, lm.MLP_Y)
    _, history = ref["levenberg_marquardt"](residuals, _start(seed), iterations=lm.LM_ITERATIONS)
    assert history["loss"][-1] < lm.LM_THRESHOLD / 2

    inverted = define(
        sample.apply_edits(filled(source(ID)), wrong_answers(ID)["lm-lambda-inverted"].edits, "inverted")
    ).namespace
    _, history = inverted["levenberg_marquardt"](residuals, _start(seed), iterations=lm.LM_ITERATIONS)
    assert history["loss"][-1] > 2 * lm.LM_THRESHOLD
