"""Helpers that probes share (they run in the student's kernel; Keras is imported when called)."""

import contextlib
import os
import tempfile
import warnings

from ._core import Fail, quoted_error


def saved_and_loaded(model, hint: str):
    """``model`` after a ``.keras`` save and a load *without* custom_objects.

    Args:
        model: the model built from the student's layers.
        hint: what to fix when loading fails (registration, ``get_config``).
    """
    import keras

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        try:  # no custom_objects: the student's classes must be registered to load by name
            return keras.models.load_model(path)
        except Exception as exc:
            raise Fail(f"`keras.models.load_model` failed ({quoted_error(exc)}). {hint}") from None


def layers_of(model) -> list:
    """Every layer of ``model``, those of nested models (a ``Sequential`` inside a ``Model``) too;
    a ``Bidirectional`` counts as one layer (its two directions are not walked)."""
    found = []
    for layer in getattr(model, "layers", []):
        found.append(layer)
        if not hasattr(layer, "forward_layer"):
            found.extend(layers_of(layer))
    return found


def compilation(model) -> dict:
    """How ``model`` was compiled, as record entries: ``compiled``, the ``optimizer``'s class name,
    its ``learning_rate`` and the ``loss``'s name (a function's ``__name__``, else its text)."""
    import numpy as np

    optimizer, loss = getattr(model, "optimizer", None), getattr(model, "loss", None)
    return {
        "compiled": optimizer is not None,
        "optimizer": type(optimizer).__name__ if optimizer is not None else "",
        "learning_rate": float(np.asarray(optimizer.learning_rate)) if optimizer is not None else 0.0,
        "loss": getattr(loss, "__name__", str(loss)) if loss is not None else "",
    }


@contextlib.contextmanager
def eager_functions():
    """Run ``tf.function``s eagerly inside the block: for a ``fit`` of a few steps on a small model,
    tracing its train step costs more than the steps (8 Adam steps: 0.28 s eager, 0.55 s traced
    twice, ≈ 0.35 s traced once; the same losses). Not for long training: from
    about 20 steps tracing pays for itself. tf.data's warning that it stays traced is silenced
    (a test cell that writes to stderr scores 0)."""
    import tensorflow as tf

    before = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        tf.config.run_functions_eagerly(before)


def optimizer_built(model, sample):
    """``model`` with its optimizer's slots built now (Adam's moments, all zero, as its first step
    would make them), so that ``fit`` traces the train step once: slots made inside the first trace
    make Keras trace it again (≈ 0.25 s of a ``fit`` on this machine; the same steps and losses).

    Args:
        model: the student's compiled model (one not compiled is left as it is).
        sample: a batch of inputs, to build a model that has no ``keras.Input``.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "build") or getattr(optimizer, "built", False):
        return model
    if not model.built:
        if not all(hasattr(s, "shape") for s in (sample if isinstance(sample, (list, tuple)) else [sample])):
            return model  # a dataset or a generator: fit builds the model, and traces twice
        model(sample[:1] if not isinstance(sample, (list, tuple)) else [s[:1] for s in sample])
    optimizer.build(model.trainable_variables)
    return model


@contextlib.contextmanager
def graph_optimizer_off():
    """Trace ``tf.function``s inside the block without Grappler's graph rewrites: for a short
    training, rewriting the train step costs more than it saves (07's captioner, 64 steps: 0.2 s
    of 1.7 s saved, the same losses to the last bit on this machine's CPU)."""
    import tensorflow as tf

    before = tf.config.optimizer.get_experimental_options().get("disable_meta_optimizer", False)
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": before})


def built_to_train(build, builder: str, max_params: int):
    """The student's model from ``build()``, refused before a graded training that it would make
    slow (too many parameters) or that could not start (not compiled).

    Args:
        build: the student's function, called without arguments.
        builder: the call as messages name it, e.g. ``"build_detector()"``.
        max_params: the most parameters the task allows.
    """
    model = build()
    if model.count_params() > max_params:  # keeps grading fast; the structure check explains
        raise Fail(f"`{builder}` has {model.count_params()} parameters, more than {max_params}: it was not trained.")
    if getattr(model, "optimizer", None) is None:
        raise Fail(f"`{builder}` returns a model that is not compiled: it could not be trained.")
    return model


def trained_in_batches(model, inputs, targets, batch_size: int, seed: int, epochs: int = 1, loss=None):
    """``epochs`` of training steps over ``inputs``, each in a seeded order: the student's model,
    its compiled loss and its optimizer, stepped by :func:`training_step` (traced once, without
    autograph or Keras' metrics, Adam's update one fused op a variable) without Grappler
    (:func:`graph_optimizer_off`) and without the ``tf.data`` pipeline that ``fit`` builds, whose
    threads compete with the other worker on two cores (06's detector and 07's captioner: ≈ 0.6 and
    0.9 s less under grading than ``fit`` traced once).

    Args:
        model: the student's compiled model.
        inputs: an array, or a list of arrays with the same first dimension.
        targets: the targets' array.
        batch_size: a divisor of the number of samples (a short last batch would trace again).
        seed: the orders' seed (epoch e is shuffled with ``seed * 100 + e``).
        epochs: passes over the data.
        loss: ``loss(targets, outputs)`` → one loss per sample, in place of the compiled loss (see
            :func:`training_step`).
    """
    import numpy as np

    several = isinstance(inputs, (list, tuple))
    with graph_optimizer_off():
        step = training_step(model, inputs, loss)
        for epoch in range(epochs):
            order = np.random.default_rng(seed * 100 + epoch).permutation(len(targets))
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                step([a[batch] for a in inputs] if several else inputs[batch], targets[batch])
    return model


def training_step(model, sample, loss=None):
    """``step(x, y)``: one step of what ``model.train_on_batch`` does (the forward pass in training
    mode, the compiled loss with the model's own losses, the gradients, the optimizer's update), as
    a ``tf.function`` traced once, for less than Keras' own step costs to trace.

    Keras traces its step with autograph and its metrics, and writes Adam's update as ≈ 20 graph
    ops a variable: ≈ 0.5 s of the first step of 07's CRNN. Here the trace skips autograph (Keras'
    code needs no conversion) and, for a plain ``Adam`` (no decay, clipping, AMSGrad, EMA or
    schedule), the update is TensorFlow's fused ``ResourceApplyAdam`` on the optimizer's own
    moments: the same formula, ``m·lr·√(1−β₂ᵗ)/(1−β₁ᵗ)/(√v+ε)``. Any other optimizer applies its own
    ``apply_gradients``.

    Args:
        model: the student's compiled model.
        sample: a batch of inputs (or a list of them), to build the model and the optimizer's slots.
        loss: ``loss(targets, outputs)`` → one loss per sample, averaged, in place of the compiled loss
            (the model's own losses are still added): a check that trains the student's network with
            the grader's cost, so that the network is judged apart from the student's loss function.
    """
    import tensorflow as tf

    optimizer_built(model, sample)
    optimizer, variables = model.optimizer, model.trainable_variables
    fused = _fused_adam(optimizer, variables)

    @tf.function(autograph=False)
    def step(x, y):
        with tf.GradientTape() as tape:
            outputs = model(x, training=True)
            if loss is None:
                value = model.compute_loss(x=x, y=y, y_pred=outputs, training=True)
            else:
                value = tf.reduce_mean(loss(y, outputs)) + tf.add_n([0.0, *model.losses])
        gradients = tape.gradient(value, variables)
        if fused is None:
            optimizer.apply_gradients(zip(gradients, variables))
        else:
            fused(gradients)
        return value

    return step


def _fused_adam(optimizer, variables):
    """``update(gradients)`` with TensorFlow's fused Adam on ``optimizer``'s own moments, or None
    where the fused op would not be the optimizer's own update."""
    import keras
    import tensorflow as tf

    plain = (
        type(optimizer) is keras.optimizers.Adam
        and getattr(optimizer, "built", False)
        and not optimizer.amsgrad
        and not optimizer.weight_decay
        and optimizer.clipnorm is None
        and optimizer.clipvalue is None
        and optimizer.global_clipnorm is None
        and not optimizer.use_ema
        and not optimizer.gradient_accumulation_steps
        and not isinstance(optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule)
        and all(v.dtype == "float32" for v in variables)
    )
    if not plain:
        return None
    indices = [optimizer._get_variable_index(v) for v in variables]
    slots = [(optimizer._momentums[i], optimizer._velocities[i]) for i in indices]
    beta_1, beta_2, epsilon = float(optimizer.beta_1), float(optimizer.beta_2), float(optimizer.epsilon)

    def update(gradients):
        t = tf.cast(optimizer.iterations + 1, "float32")
        beta_1_power, beta_2_power = tf.pow(beta_1, t), tf.pow(beta_2, t)
        learning_rate = tf.cast(optimizer.learning_rate, "float32")
        for variable, gradient, (m, v) in zip(variables, gradients, slots):
            if gradient is None:
                continue
            if isinstance(gradient, tf.IndexedSlices):  # an embedding's: Keras' Adam moves its moments' rows only
                optimizer.update_step(gradient, variable, learning_rate)
                continue
            tf.raw_ops.ResourceApplyAdam(
                var=variable.value.handle,
                m=m.value.handle,
                v=v.value.handle,
                beta1_power=beta_1_power,
                beta2_power=beta_2_power,
                lr=learning_rate,
                beta1=beta_1,
                beta2=beta_2,
                epsilon=epsilon,
                grad=gradient,
            )
        optimizer.iterations.assign_add(1)

    return update


@contextlib.contextmanager
def fits_traced_once():
    """Inside the block, every ``Model.fit`` (the student's own calls too) first builds its model's
    optimizer (:func:`optimizer_built`): the same training, its step traced once."""
    import keras

    fit = keras.Model.fit

    def fit_traced_once(self, x=None, *args, **kwargs):
        return fit(optimizer_built(self, x), x, *args, **kwargs)

    keras.Model.fit = fit_traced_once
    try:
        yield
    finally:
        keras.Model.fit = fit
