"""Assignment 01 (flexible activation functions), the worked example of docs/AUTHORING.md: realistic
mistakes (|a| forgotten, the wrong limit of the tanh at a = 0, a β that training pushes below zero,
...) fail with a message naming them, and the float64 references agree with Keras. What every
assignment's checks keep (the reference passes, the blank release fails, each wrong answer fails
exactly its checks, verify needs no TensorFlow) is test_contract.py's.

Real TensorFlow, in-process; the source notebook's own solution cells are the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.authoring import sample
from autograder.checks import get
from autograder.checks.activations import _shared, flexible_sigmoid, flexible_tanh, fold, rbf

from .support import calls, define, filled, run, source, topic_checks, wrong_answer_verdicts, wrong_answers

ID = "01-activations"
CHECKS = topic_checks("activations")
SIGMOID_CALL = "return k * ops.sigmoid(k * x)  # sigmoid is computed stably for any x"
TANH_CALL = "return ops.where(is_zero, x, ops.tanh(ops.abs(safe_a) * x) / safe_a)"


def _edited(cell: str, old: str, new: str) -> dict:
    """The reference with one solution cell edited (``old`` must occur exactly once)."""
    edit = {"cell": cell, "replace": old, "with": new}
    return define(sample.apply_edits(filled(source(ID)), [edit], "test")).namespace


def failures(namespace: dict, prefix: str = "") -> dict[str, str]:
    """check id -> message, for every check (whose id starts with ``prefix``) that fails."""
    out = {}
    for check_id in CHECKS:
        if check_id.startswith(prefix):
            message = run(check_id, *(namespace[n] for n in calls(ID)[check_id]))
            if message is not None:
                out[check_id] = message
    return out


# --------------------------------------------------------------------------- the assignment's shape


def test_the_assignment_meets_the_size_rules():
    points = sum(get(c).points for c in CHECKS)
    assert len(CHECKS) >= 8 and points >= 15
    assert points == 22
    assert sorted(c for c in CHECKS if get(c).hidden) == ["flexible_sigmoid.stable", "flexible_tanh.stable"]


# --------------------------------------------------------------------------- the shipped wrong answers

# For each wrong answer: a phrase each of its failure messages must contain (the named cause). The
# student who redefines `check` records nothing: the grader fails its checks without a message.
NAMED = {
    "forgot-abs": {"flexible_sigmoid.forward": "use |a|"},
    "per-unit-axis-one": {"flexible_sigmoid.build": "the features are the last axis"},
    "tiny-a-is-x": {
        "flexible_tanh.near_zero": "not wherever |a| is tiny",
        "flexible_tanh.zero_gradient": "use x only where a == 0 exactly",
    },
    "where-nan-gradient": {"flexible_tanh.zero_gradient": "0 · NaN is NaN"},
    "sigmoid-derivative-no-sign": {"flexible_sigmoid.derivatives": "right for a > 0 only"},
    "tanh-derivative-half-quotient": {"flexible_tanh.derivatives": "quotient rule's second term"},
    "fold-sign-lost": {"fold.flexible_tanh": "the sign of a is lost"},
    "weight-in-init": {"flexible_sigmoid.build": "before it is built"},
    "naive-overflow": {"flexible_sigmoid.stable": "overflows float32"},
    "tanh-abs-denominator": {
        "flexible_tanh.forward": "divides by a, not |a|",
        "flexible_tanh.near_zero": "Divide by a itself (not |a|)",
    },
    "config-without-super": {"activations.config": "super().get_config()"},
    "unregistered": {"activations.saving": "register_keras_serializable"},
    "raw-beta": {"rbf.positive": "can cross zero"},
    "cheat-fake-check": {},
}


def test_there_are_at_least_four_wrong_answers_and_each_is_named_here():
    assert len(wrong_answers(ID)) >= 4
    assert sorted(wrong_answers(ID)) == sorted(NAMED)


@pytest.mark.parametrize("student", sorted(NAMED))
def test_each_wrong_answer_names_its_mistake(student):
    verdicts = wrong_answer_verdicts(ID, student)  # that it fails exactly its checks: test_contract.py
    for check_id, phrase in NAMED[student].items():
        assert phrase in verdicts[check_id], verdicts[check_id]


# --------------------------------------------------------------------------- the flexible sigmoid


@pytest.mark.parametrize(
    "new, phrase",
    [
        ("return 2.0 * self.a * ops.sigmoid(2.0 * self.a * x)", "use |a|"),  # |a| forgotten
        ("return ops.abs(self.a) * ops.sigmoid(ops.abs(self.a) * x)", "2|a| in both places"),
        ("return ops.sigmoid(k * x)", "the numerator is 2|a|"),
        ("return k * ops.sigmoid(-k * x)", "the sign in the exponent"),
    ],
)
def test_sigmoid_formula_mistakes_are_named(new, phrase):
    failed = failures(_edited("flexible_sigmoid", SIGMOID_CALL, new), "flexible_sigmoid.")
    assert "flexible_sigmoid.forward" in failed and phrase in failed["flexible_sigmoid.forward"], failed


def test_a_scalar_a_where_one_per_feature_is_asked_is_named():
    objects = _edited("flexible_sigmoid", "shape = (input_shape[-1],) if self.per_unit else ()", "shape = ()")
    message = run("flexible_sigmoid.build", objects["FlexibleSigmoid"])
    assert message is not None and "should have shape (6,)" in message, message


def test_a_call_autodiff_cannot_follow_is_named():
    objects = _edited("flexible_sigmoid", SIGMOID_CALL, "return k * ops.sigmoid(k * ops.stop_gradient(x))")
    message = run("flexible_sigmoid.gradient", objects["FlexibleSigmoid"])
    assert message is not None and "w.r.t. x is None" in message, message


# --------------------------------------------------------------------------- the flexible tanh


@pytest.mark.parametrize(
    "new, phrase",
    [
        # |a| forgotten: tanh(ax)/a is tanh(|a|x)/|a| (tanh is odd), named as such
        ("return ops.where(is_zero, x, ops.tanh(safe_a * x) / safe_a)", "the sign flips for a < 0"),
        ("return ops.where(is_zero, x, ops.tanh(ops.abs(safe_a) * x))", "forgot to divide by a"),
        ("return ops.where(is_zero, x, ops.tanh(2.0 * ops.abs(safe_a) * x) / safe_a)", "not tanh(2u)"),
    ],
)
def test_tanh_formula_mistakes_are_named(new, phrase):
    failed = failures(_edited("flexible_tanh", TANH_CALL, new), "flexible_tanh.")
    assert "flexible_tanh.forward" in failed and phrase in failed["flexible_tanh.forward"], failed


@pytest.mark.parametrize(
    "new, phrase",
    [
        # the deck's formula as written: 0/0 at a = 0, and every digit lost for tiny |a|
        ("e = ops.exp(-2.0 * ops.abs(a) * x)\n        return (1.0 - e) / (a * (1.0 + e))", "loses every digit"),
        # the wrong value at a = 0: the convention is x, not 0
        ("return ops.where(is_zero, ops.zeros_like(x), ops.tanh(ops.abs(safe_a) * x) / safe_a)", "not 0"),
    ],
)
def test_a_wrong_value_at_a_zero_is_named_by_the_near_zero_check(new, phrase):
    failed = failures(_edited("flexible_tanh", TANH_CALL, new), "flexible_tanh.")
    assert "flexible_tanh.forward" not in failed, failed  # right away from a = 0
    assert phrase in failed["flexible_tanh.near_zero"], failed


def test_the_near_zero_checks_probe_tiny_negative_a_and_the_gradient_at_zero():
    # The jump at a = 0 (−x from below, +x from above) is only seen with a < 0; the NaN of an
    # unguarded denominator only in the gradient at a = 0 itself.
    assert any(a < 0 for a in flexible_tanh.NEAR_ZERO_A) and 0.0 in flexible_tanh.NEAR_ZERO_A
    assert 0.0 in flexible_tanh.ZERO_GRADIENT_A and any(a < 0 for a in flexible_tanh.ZERO_GRADIENT_A)
    x = _shared.X_GRID.astype(np.float64)
    np.testing.assert_allclose(flexible_tanh.ref_flexible_tanh(x, -1e-8), -x, rtol=1e-12)


# --------------------------------------------------------------------------- RBF


@pytest.mark.parametrize(
    "new, phrase",
    [
        ("return ops.exp(-ops.square(x) * ops.cast(self.beta, x.dtype))", "divide by β"),
        ("return ops.exp(-x / ops.cast(self.beta, x.dtype))", "the deck squares x"),
        ("return ops.exp(-ops.square(x) / ops.cast(self.log_beta, x.dtype))", "not its log"),
    ],
)
def test_rbf_formula_mistakes_are_named(new, phrase):
    objects = _edited("rbf", "return ops.exp(-ops.square(x) / ops.cast(self.beta, x.dtype))", new)
    message = run("rbf.forward", objects["RBF"])
    assert message is not None and phrase in message, message


def test_a_beta_property_that_is_not_positive_beta_is_named():
    objects = _edited("rbf", "        return ops.exp(self.log_beta)\n", "        return self.log_beta\n")
    message = run("rbf.forward", objects["RBF"])
    assert message is not None and "should return the positive β" in message, message


# --------------------------------------------------------------------------- references vs Keras


def test_the_references_are_the_deck_formulas_in_keras():
    from keras import ops

    x = np.linspace(-6.0, 6.0, 49)
    for a in (*_shared.A_VALUES, 0.05, -0.05):
        k = 2.0 * abs(a)
        np.testing.assert_allclose(
            flexible_sigmoid.ref_flexible_sigmoid(x, a), np.asarray(k * ops.sigmoid(k * x)), rtol=1e-12, atol=1e-12
        )
        e = np.exp(-k * x)  # the deck's form of the tanh, fine in float64 away from a = 0
        np.testing.assert_allclose(
            flexible_tanh.ref_flexible_tanh(x, a), (1 - e) / (a * (1 + e)), rtol=1e-9, atol=1e-12
        )
    for beta in rbf.RBF_BETAS:
        np.testing.assert_allclose(rbf.ref_rbf(x, beta), np.asarray(ops.exp(-ops.square(x) / beta)), rtol=1e-12)


def test_the_tanh_reference_is_x_at_a_zero_and_odd_in_a():
    x = _shared.X_GRID.astype(np.float64)
    np.testing.assert_array_equal(flexible_tanh.ref_flexible_tanh(x, 0.0), x)
    np.testing.assert_allclose(flexible_tanh.ref_flexible_tanh(x, 1e-8), x, rtol=1e-12)
    for a in (1e-8, 0.7, 2.5):
        np.testing.assert_allclose(flexible_tanh.ref_flexible_tanh(x, -a), -flexible_tanh.ref_flexible_tanh(x, a))


@pytest.mark.parametrize(
    "g, dg_dx, dg_da",
    [
        (flexible_sigmoid.ref_flexible_sigmoid, flexible_sigmoid.ref_sigmoid_dg_dx, flexible_sigmoid.ref_sigmoid_dg_da),
        (flexible_tanh.ref_flexible_tanh, flexible_tanh.ref_tanh_dg_dx, flexible_tanh.ref_tanh_dg_da),
    ],
)
def test_the_derivative_references_match_central_differences_of_the_formulas(g, dg_dx, dg_da):
    x, h = _shared.DERIVATIVE_X, 1e-6
    for a in (*_shared.DERIVATIVE_A, _shared.DERIVATIVE_A_PER_UNIT, -0.05):
        np.testing.assert_allclose(dg_dx(x, a), (g(x + h, a) - g(x - h, a)) / (2 * h), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(dg_da(x, a), (g(x, a + h) - g(x, a - h)) / (2 * h), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "dx_mistakes, da_mistakes, dg_dx, dg_da",
    [
        (
            flexible_sigmoid.SIGMOID_DX_MISTAKES,
            flexible_sigmoid.SIGMOID_DA_MISTAKES,
            flexible_sigmoid.ref_sigmoid_dg_dx,
            flexible_sigmoid.ref_sigmoid_dg_da,
        ),
        (
            flexible_tanh.TANH_DX_MISTAKES,
            flexible_tanh.TANH_DA_MISTAKES,
            flexible_tanh.ref_tanh_dg_dx,
            flexible_tanh.ref_tanh_dg_da,
        ),
    ],
)
def test_no_named_derivative_mistake_is_right_on_the_checks_inputs(dx_mistakes, da_mistakes, dg_dx, dg_da):
    x = _shared.DERIVATIVE_X
    for mistakes, reference in ((dx_mistakes, dg_dx), (da_mistakes, dg_da)):
        for formula, hint in mistakes:
            assert any(
                not np.allclose(formula(x, np.asarray(a)), reference(x, a), rtol=1e-5, atol=1e-7)
                for a in (*_shared.DERIVATIVE_A, _shared.DERIVATIVE_A_PER_UNIT)
            ), hint


def test_the_fold_reference_is_the_flexible_tanh_layer_between_two_dense_layers():
    import keras

    x, a = fold.FOLD_X.astype("float32"), fold.FOLD_A
    hidden, output = keras.layers.Dense(5), keras.layers.Dense(2)
    hidden.build((None, 3))
    output.build((None, 5))
    hidden.set_weights([fold.FOLD_KERNEL, fold.FOLD_BIAS])
    output.set_weights([fold.FOLD_OUT_KERNEL, fold.FOLD_OUT_BIAS])
    z = hidden(x)
    y = output(keras.ops.tanh(keras.ops.abs(a.astype("float32")) * z) / a.astype("float32"))
    args = (fold.FOLD_KERNEL, fold.FOLD_BIAS, a, fold.FOLD_OUT_KERNEL, fold.FOLD_OUT_BIAS)
    np.testing.assert_allclose(np.asarray(y), fold.ref_flexible_tanh_network(fold.FOLD_X, *args), rtol=1e-4, atol=1e-5)
    assert np.any(a < 0) and np.any(a > 0)  # a fold that loses the sign of a cannot pass


@pytest.mark.parametrize(
    "mistakes, reference",
    [
        (flexible_sigmoid.SIGMOID_MISTAKES, flexible_sigmoid.ref_flexible_sigmoid),
        (flexible_tanh.TANH_MISTAKES, flexible_tanh.ref_flexible_tanh),
    ],
)
def test_no_named_mistake_is_right_on_the_checks_inputs(mistakes, reference):
    x = _shared.X_GRID
    for formula, hint in mistakes:
        assert any(not np.allclose(formula(x, a), reference(x, a), rtol=1e-3, atol=1e-4) for a in _shared.A_VALUES), (
            hint
        )
