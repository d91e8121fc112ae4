"""Do the probes' shared helpers leave the kernel as they found it?"""

import warnings

import numpy as np
import pytest

from autograder.checks._probes import eager_functions


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
