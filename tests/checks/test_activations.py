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
from autograder.checks.activations import _shared, flexible_sigmoid, flexible_tanh, rbf

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
    assert points == 16
    assert sorted(c for c in CHECKS if get(c).hidden) == ["flexible_sigmoid.stable", "flexible_tanh.stable"]


# --------------------------------------------------------------------------- the shipped wrong answers

# For each wrong answer: a phrase each of its failure messages must contain (the named cause). The
# student who redefines `check` records nothing: the grader fails its checks without a message.
NAMED = {
    "forgot-abs": {"flexible_sigmoid.forward": "use |a|"},
    "weight-in-init": {"flexible_sigmoid.build": "before it is built"},
    "naive-overflow": {"flexible_sigmoid.stable": "overflows float32"},
    "tanh-abs-denominator": {"flexible_tanh.forward": "divides by a, not |a|"},
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
    "new",
    [
        # the deck's formula as written: 0/0 at a = 0, and every digit lost for tiny |a|
        "e = ops.exp(-2.0 * ops.abs(a) * x)\n        return (1.0 - e) / (a * (1.0 + e))",
        # the wrong limit at a = 0: it is x, not 0
        "return ops.where(is_zero, ops.zeros_like(x), ops.tanh(ops.abs(safe_a) * x) / safe_a)",
    ],
)
def test_a_wrong_limit_at_a_zero_is_named_by_the_near_zero_check(new):
    failed = failures(_edited("flexible_tanh", TANH_CALL, new), "flexible_tanh.")
    assert "flexible_tanh.forward" not in failed, failed  # right away from a = 0
    assert "switch to x where |a| is tiny" in failed["flexible_tanh.near_zero"], failed


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


def test_the_tanh_reference_is_its_limit_x_at_and_near_a_zero():
    x = _shared.X_GRID.astype(np.float64)
    np.testing.assert_array_equal(flexible_tanh.ref_flexible_tanh(x, 0.0), x)
    np.testing.assert_allclose(flexible_tanh.ref_flexible_tanh(x, 1e-8), x, rtol=1e-12)


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
