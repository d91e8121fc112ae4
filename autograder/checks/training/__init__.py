"""Checks for assignment 03: training the weights (deck topic 11).

    cost = −log p(y | x; θ)   (negative log-likelihood)
        Gaussian, fixed σ   ½·log(2πσ²) + (y − ŷ)²/(2σ²)      ≡ MSE/(2σ²) + const
        Bernoulli, logit z  softplus(z) − y·z                  ≡ binary cross-entropy
        categorical, z      −Σ_k y_k·(z_k − logsumexp(z))      ≡ categorical cross-entropy
    first order   SGD, momentum, Nesterov, RMSProp, Adadelta, Adam, Adamax — in Keras's exact form
    second order  Newton, Levenberg–Marquardt, BFGS (scipy)
    mini-batches  one epoch's batches (each index once, shuffled by the run's generator, the last partial)
    schedules     cosine decay η₀·((1 − α)·½(1 + cos(π·min(t, T)/T)) + α), as Keras's CosineDecay

Every reference is float64 NumPy. The update rules copy Keras 3.15's `update_step`s
(keras/src/optimizers/*.py); tests/checks/test_training.py runs the real `keras.optimizers` and
`keras.losses` against them, so the grader never needs TensorFlow to know what Keras would do.

One module per check-id prefix: ``nll.py``, ``update.py``, ``newton.py``, ``lm.py``, ``bfgs.py``,
``compare.py``, ``minibatch.py``, ``schedule.py``; ``_shared.py`` holds the Rosenbrock function that
several probes hand out.
"""
