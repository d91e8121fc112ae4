"""Do the probes' shared helpers leave the kernel as they found it?"""

import warnings

import numpy as np
import pytest

from autograder.checks._probes import eager_functions, fits_traced_once, optimizer_built


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
