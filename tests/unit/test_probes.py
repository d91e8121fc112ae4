"""Do the probes' shared helpers leave the kernel as they found it?"""

import warnings

import numpy as np
import pytest

from autograder.checks._core import Fail
from autograder.checks._probes import (
    built_to_train,
    eager_functions,
    fits_traced_once,
    graph_optimizer_off,
    optimizer_built,
    trained_in_batches,
)


def test_eager_functions_runs_a_fit_eagerly_silently_and_restores_the_setting():
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((5, 3), np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with eager_functions():
            assert tf.config.functions_run_eagerly()
            model.fit(x, x[:, :1], epochs=1, batch_size=2, verbose=0)  # tf.data warns when eager
    assert caught == []  # a test cell that writes to stderr scores 0
    assert not tf.config.functions_run_eagerly()


def test_eager_functions_restores_the_setting_when_the_student_code_raises():
    import tensorflow as tf

    with pytest.raises(ZeroDivisionError), eager_functions():
        raise ZeroDivisionError("in the student's code")
    assert not tf.config.functions_run_eagerly()


def _fitted(prebuilt: bool, with_input: bool = True):
    import keras

    keras.utils.set_random_seed(0)
    layers = [keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
    model = keras.Sequential(([keras.Input((3,))] if with_input else []) + layers)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x = np.random.default_rng(0).random((40, 3), dtype=np.float32)
    if prebuilt:
        optimizer_built(model, x)
        assert model.optimizer.built
    return model.fit(x, x.sum(axis=1, keepdims=True), epochs=3, batch_size=8, verbose=0).history["loss"]


@pytest.mark.parametrize("with_input", [True, False])
def test_an_optimizer_built_before_fit_takes_the_same_steps(with_input):
    assert _fitted(True, with_input) == _fitted(False, with_input)


def test_a_model_compiled_without_an_optimizer_is_left_as_it_is():
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    assert optimizer_built(model, np.ones((2, 3), np.float32)) is model


def test_fits_traced_once_builds_the_optimizer_of_the_students_own_fit_and_restores_fit():
    import keras

    fit = keras.Model.fit
    with fits_traced_once():
        traced_once = _fitted(prebuilt=False)
    assert keras.Model.fit is fit
    assert traced_once == _fitted(prebuilt=False)


def _regression(traces=None):
    import keras

    class Counted(keras.layers.Layer):  # Python runs once a trace in a traced step
        def call(self, x):
            if traces is not None:
                traces.append(1)
            return x

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((3,)), Counted(), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x = np.random.default_rng(0).random((40, 3), dtype=np.float32)
    return model, x, x.sum(axis=1, keepdims=True)


def test_trained_in_batches_takes_every_sample_once_an_epoch_in_a_seeded_order_and_traces_once():
    traces = []
    model, x, y = _regression(traces)
    before = float(np.mean((np.asarray(model(x)) - y) ** 2))
    traces.clear()
    trained_in_batches(model, x, y, batch_size=8, seed=3, epochs=3)
    assert len(traces) == 1  # 15 steps, one trace
    assert model.optimizer.iterations.numpy() == 3 * 40 // 8
    assert float(np.mean((np.asarray(model(x)) - y) ** 2)) < before
    again, x2, y2 = _regression()
    trained_in_batches(again, x2, y2, batch_size=8, seed=3, epochs=3)
    np.testing.assert_array_equal(np.asarray(model(x)), np.asarray(again(x2)))  # the same seed, the same steps


def test_trained_in_batches_feeds_a_model_of_several_inputs():
    import keras

    keras.utils.set_random_seed(0)
    a, b = keras.Input((2,)), keras.Input((3,))
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([a, b]))
    model = keras.Model([a, b], out)
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(1)
    trained_in_batches(model, [rng.random((16, 2)), rng.random((16, 3))], rng.random((16, 1)), 4, seed=0)
    assert model.optimizer.iterations.numpy() == 4


def _keras_steps(model, x, y, batch_size, seed):
    order = np.random.default_rng(seed * 100).permutation(len(y))
    for start in range(0, len(order), batch_size):
        model.train_on_batch(x[order[start : start + batch_size]], y[order[start : start + batch_size]])
    return model


def _embedding_model(optimizer):
    import keras

    keras.utils.set_random_seed(0)
    tokens = keras.Input((5,), dtype="int32")
    hidden = keras.layers.GRU(4)(keras.layers.Embedding(7, 3, mask_zero=True)(tokens))
    model = keras.Model(tokens, keras.layers.Dense(1)(hidden))
    model.compile(optimizer=optimizer, loss="mse")
    x = np.random.default_rng(2).integers(0, 7, (24, 5)).astype("int32")
    return model, x, x.sum(axis=1, keepdims=True).astype("float32") / 10


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_trained_in_batches_takes_the_steps_train_on_batch_takes(optimizer):
    # Adam's fused update is the same formula as Keras' (float rounding apart); any other optimizer is its own.
    import keras

    ours, x, y = _embedding_model(keras.optimizers.get(optimizer))  # an embedding: a sparse gradient
    trained_in_batches(ours, x, y, batch_size=8, seed=1)
    theirs, _, _ = _embedding_model(keras.optimizers.get(optimizer))
    _keras_steps(theirs, x, y, batch_size=8, seed=1)
    assert ours.optimizer.iterations.numpy() == theirs.optimizer.iterations.numpy() == 3
    for a, b in zip(ours.trainable_variables, theirs.trainable_variables):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    untrained = _embedding_model("sgd")[0].trainable_variables
    assert all(not np.allclose(np.asarray(a), np.asarray(w)) for a, w in zip(ours.trainable_variables, untrained))


def test_a_decayed_or_clipped_adam_applies_its_own_update():
    import keras

    from autograder.checks._probes import _fused_adam

    optimizers = keras.optimizers.Adam(clipnorm=1.0), keras.optimizers.AdamW(), keras.optimizers.Adam(amsgrad=True)
    for optimizer in optimizers:
        model, x, _ = _embedding_model(optimizer)
        optimizer_built(model, x)
        assert _fused_adam(model.optimizer, model.trainable_variables) is None
    model, x, _ = _embedding_model(keras.optimizers.Adam(0.01))
    optimizer_built(model, x)
    assert _fused_adam(model.optimizer, model.trainable_variables) is not None


def test_graph_optimizer_off_restores_grappler_even_when_the_block_raises():
    import tensorflow as tf

    with pytest.raises(ZeroDivisionError), graph_optimizer_off():
        assert tf.config.optimizer.get_experimental_options()["disable_meta_optimizer"]
        raise ZeroDivisionError("in the student's code")
    assert not tf.config.optimizer.get_experimental_options().get("disable_meta_optimizer", False)


def test_a_model_too_large_or_not_compiled_is_refused_before_training_with_its_builder_named():
    import keras

    def large():
        model = keras.Sequential([keras.Input((100,)), keras.layers.Dense(100)])
        model.compile(optimizer="adam", loss="mse")
        return model

    with pytest.raises(Fail, match=r"`build_it\(\)` has 10100 parameters, more than 1000"):
        built_to_train(large, "build_it()", 1000)
    with pytest.raises(Fail, match="not compiled"):
        built_to_train(lambda: keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]), "build_it()", 1000)
    assert built_to_train(large, "build_it()", 20_000).count_params() == 10100
