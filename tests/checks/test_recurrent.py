"""Assignment 02 (recurrent networks): the assignment's size, each realistic mistake is named by its
message, the float64 references agree with Keras, probes are deterministic, the shipped data is
what its README says, and the claim the notebook makes about Elman vs Jordan holds over seeds.
What every assignment's checks keep (the reference passes, the blank release fails, each wrong
answer fails exactly its checks, verify needs no TensorFlow) is test_contract.py's.

Real TensorFlow, in-process; the source notebook's own cells are the reference.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from autograder.authoring import sample
from autograder.checks import get
from autograder.checks._core import probe
from autograder.checks.recurrent import bptt, elman, forecast, jordan

from .support import (
    ROOT,
    calls,
    define,
    filled,
    run,
    source,
    topic_checks,
    wrong_answer_verdicts,
    wrong_answers,
)

ID = "02-recurrent"
SOURCE = source(ID)
DATA = ROOT / "datasets" / "sunspots"
CHECKS = topic_checks("recurrent")
CALLS = calls(ID)


def failures(namespace: dict) -> dict[str, str]:
    """check id -> message, for every check of the topic that fails on these objects."""
    out = {}
    for check_id in CHECKS:
        message = run(check_id, *(namespace.get(n) for n in CALLS[check_id]))
        if message is not None:
            out[check_id] = message
    return out


def _edited(cell: str, old: str, new: str) -> dict:
    """The reference with one solution cell edited (``old`` must occur exactly once)."""
    return define(sample.apply_edits(filled(SOURCE), [{"cell": cell, "replace": old, "with": new}], "test")).namespace


@pytest.fixture(scope="module")
def ref() -> dict:
    """The reference, and the section-4 task code (the seeds test trains on it)."""
    return define(filled(SOURCE), also=("oscillator_task", "best_from_last_output", "best_from_two_outputs")).namespace


# --------------------------------------------------------------------------- the assignment's shape


def test_the_assignment_meets_the_size_rules():
    points = sum(get(c).points for c in CHECKS)
    assert len(CHECKS) >= 8 and points >= 15
    assert points == 21
    written = [
        c for c in filled(SOURCE).cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
    ]
    assert [(c.metadata["nbgrader"]["grade_id"], c.metadata["nbgrader"]["points"]) for c in written] == [
        ("jordan_why_written", 3)
    ]


# --------------------------------------------------------------------------- the shipped wrong answers

# For each wrong answer: a phrase each of its failure messages must contain (the named cause).
NAMED = {
    "activation-before-recurrence": {
        "elman.forward": "applied to the whole sum",
        "elman.terms": "applied to the whole sum",
    },
    "recurrent-uses-wx": {
        "elman.forward": "Matrix size-incompatible",
        "elman.terms": "by W_x (`kernel`)",
        "elman.gradient": "`recurrent_kernel` (W_h) is None",
    },
    "truncated-bptt": {"elman.gradient": "backpropagation through time"},
    "config-forgets-activation": {"elman.config": "'activation'"},
    "jordan-feeds-back-hidden": {"jordan.state": "previous output", "jordan.forward": "feedback_kernel"},
    "jordan-tanh-output": {"jordan.forward": "`output_activation`"},
    "window-leaks-target": {"windows.values": "own window", "windows.no_leak": "look-ahead"},
    "jordan-blames-weights": {"jordan.why": "not the set of true statements"},
    "jordan-sizes-by-batch": {"jordan.state": "input_shape[-1]", "jordan.forward": "expected (3, 4)"},
    "jordan-thinks-outputs-hold-nothing": {"jordan.why": "not the set of true statements"},
    "bptt-without-time": {"bptt.gradients": "without* the path through time"},
    "bptt-current-state": {"bptt.gradients": "*previous* state"},
    "free-run-stale-window": {"forecast.free_run": "same window"},
}


def test_there_are_at_least_four_wrong_answers_and_each_is_named_here():
    assert len(wrong_answers(ID)) >= 4
    assert sorted(wrong_answers(ID)) == sorted(NAMED)


@pytest.mark.parametrize("student", sorted(NAMED))
def test_each_wrong_answer_names_its_mistake(student):
    verdicts = wrong_answer_verdicts(ID, student)  # that it fails exactly its checks: test_contract.py
    for check_id, phrase in NAMED[student].items():
        assert phrase in verdicts[check_id], verdicts[check_id]


# --------------------------------------------------------------------------- other mistakes are named

ELMAN_CALL = "ops.matmul(inputs, self.kernel) + ops.matmul(h_prev, self.recurrent_kernel) + self.bias)"


@pytest.mark.parametrize(
    "new, check_id, phrase",
    [
        (
            "ops.matmul(inputs, self.kernel) + ops.matmul(h_prev, ops.transpose(self.recurrent_kernel)) + self.bias)",
            "elman.terms",
            "transposed",
        ),
        ("ops.matmul(inputs, self.kernel) + self.bias)", "elman.forward", "ignores h_{t−1}"),
        ("ops.matmul(inputs, self.kernel) + ops.matmul(h_prev, self.recurrent_kernel))", "elman.terms", "bias"),
    ],
)
def test_elman_formula_mistakes_are_named(new, check_id, phrase):
    message = failures(_edited("elman_cell", ELMAN_CALL, new)).get(check_id)
    assert message is not None and phrase in message, message


def test_an_elman_cell_without_its_activation_is_named():
    objects = _edited("elman_cell", "h = self.activation(\n", "h = (\n")
    message = failures(objects).get("elman.forward")
    assert message is not None and "no activation" in message, message


def test_weights_made_in_init_or_a_wrong_state_size_are_named():
    in_init = _edited(
        "elman_cell",
        "        self.state_size = units\n",
        "        self.state_size = units\n        self.extra = self.add_weight(shape=(1,))\n",
    )
    assert "before it is built" in run("elman.build", in_init["ElmanCell"])
    doubled = _edited("elman_cell", "self.state_size = units", "self.state_size = 2 * units")
    assert "state_size" in run("elman.build", doubled["ElmanCell"])


def test_a_jordan_cell_that_ignores_its_feedback_is_named():
    objects = _edited("jordan_cell", "ops.matmul(y_prev, self.feedback_kernel) + ", "")
    message = failures(objects).get("jordan.forward")
    assert message is not None and "ignores y_{t−1}" in message, message


@pytest.mark.parametrize(
    "student, phrase",
    [
        (lambda s, d: (np.stack([s[k - d : k + 1][::-1] for k in range(d, len(s) - 1)]), s[d + 1 :]), "newest-first"),
        (lambda s, d: (np.stack([s[k - d : k] for k in range(d, len(s))]), s[d:]), "d + 1 values"),
        (lambda s, d: (np.stack([s[k - d : k + 1] for k in range(d, len(s) - 2)]), s[d + 1 : -1]), "shape"),
    ],
)
def test_window_mistakes_are_named(student, phrase):
    message = run("windows.values", student)
    assert message is not None and phrase in message, message


@pytest.mark.parametrize(
    "answer, verdict_ok, phrase",
    [
        ({"b", "c", "d"}, True, ""),
        (["D", " c", "b"], True, ""),
        ("bcd", True, ""),
        (set(), False, "empty"),
        ({"b", "c", "d", "z"}, False, "letters a–f"),
        ({"b", "c", "d", "f"}, False, "not the set"),
        ({"b", "c"}, False, "not the set"),
        ({"a", "b", "c", "d", "e", "f"}, False, "not the set"),
    ],
)
def test_the_multiple_choice_answer(answer, verdict_ok, phrase):
    message = run("jordan.why", answer)
    assert (message is None) == verdict_ok and phrase in (message or ""), message
    if phrase == "not the set":
        assert "{" not in message, "a wrong answer's message must not echo the letters (no oracle)"


def test_the_multiple_choice_question_is_hidden_and_has_six_statements():
    # Graded only on submission: an instant verdict on 63 sets of letters is a search, not a question.
    assert get("jordan.why").hidden
    assert jordan.JORDAN_STATEMENTS == "abcdef"
    question = next(c.source for c in filled(SOURCE).cells if "* **f.**" in c.source)
    assert all(f"* **{letter}.**" in question for letter in "abcdef")


def test_the_stored_digest_is_the_reference_answer(ref):
    assert ref["JORDAN_ANSWER"] == {"b", "c", "d"}
    assert jordan.answer_digest("bcd") == jordan.JORDAN_ANSWER_DIGEST


# --------------------------------------------------------------------------- probe inputs: no two axes alike


def test_the_jordan_probe_input_has_batch_time_features_units_and_outputs_all_different():
    batch, steps, features = jordan.JORDAN_X.shape
    assert len({batch, steps, features, 4, 2}) == 5  # JordanCell(4, 2)


def test_every_bptt_and_forecast_case_has_distinct_axes():
    for batch, steps, n_in, units, *_ in bptt.BPTT_CASES.values():
        assert len({batch, steps, n_in, units} - {1}) == len([a for a in (batch, steps, n_in, units) if a != 1])
    for batch, length, steps, _ in forecast.FORECAST_CASES.values():
        assert len({batch, length, steps} - {1}) == len([a for a in (batch, length, steps) if a != 1])


# --------------------------------------------------------------------------- the hand-written BPTT and free run


def test_the_bptt_reference_is_tensorflows_gradient():
    import tensorflow as tf

    for case in bptt.BPTT_CASES:
        x, kernel, recurrent, bias, G = bptt.bptt_inputs(case)
        weights = [tf.Variable(w) for w in (kernel, recurrent, bias)]
        with tf.GradientTape() as tape:
            h, loss = tf.zeros((x.shape[0], len(bias)), tf.float64), 0.0
            for t in range(x.shape[1]):
                h = tf.tanh(x[:, t] @ weights[0] + h @ weights[1] + weights[2])
                loss += tf.reduce_sum(G[:, t] * h)
        for want, got in zip(tape.gradient(loss, weights), bptt.ref_elman_bptt(case)):
            np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-12)


def test_every_named_bptt_mistake_differs_from_the_reference_somewhere():
    for mistake in bptt.BPTT_MISTAKES:
        assert any(
            not all(np.allclose(a, b) for a, b in zip(bptt.ref_elman_bptt(c), bptt.ref_elman_bptt(c, mistake)))
            for c in bptt.BPTT_CASES
        ), mistake


@pytest.mark.parametrize(
    "old, new, phrase",
    [
        ("(1 - h[t + 1] ** 2)", "1", "tanh's derivative"),
        ("from_next = d_z @ recurrent_kernel.T", "from_next = d_z @ recurrent_kernel", "`recurrent_kernel.T`"),
        ("for t in reversed(range(steps)):", "for t in range(steps):", "forwards in time"),
        ("return d_kernel, d_recurrent, d_bias", "return d_kernel, d_recurrent", "three gradients"),
    ],
)
def test_bptt_mistakes_are_named(old, new, phrase):
    message = run("bptt.gradients", _edited("elman_bptt", old, new)["elman_bptt"])
    assert message is not None and phrase in message, message


@pytest.mark.parametrize(
    "old, new, phrase",
    [
        (
            "np.concatenate([window[:, 1:], next_value[:, None]], axis=1)",
            "np.concatenate([next_value[:, None], window[:, :-1]], axis=1)",
            "*start*",
        ),
        (
            "np.concatenate([window[:, 1:], next_value[:, None]], axis=1)",
            "np.concatenate([window[:, :-1], next_value[:, None]], axis=1)",
            "newest value",
        ),
        ("next_value = np.ravel(predict_next(window))", "next_value = predict_next(window)", "free_run"),
        (
            "window = np.concatenate([window[:, 1:], next_value[:, None]], axis=1)",
            "window[:, :-1] = window[:, 1:]\n        window[:, -1] = next_value",
            "in place",
        ),
    ],
)
def test_free_run_mistakes_are_named(old, new, phrase):
    message = run("forecast.free_run", _edited("free_run", old, new)["free_run"])
    assert message is not None and phrase in message, message


def test_two_fed_back_outputs_and_one_past_input_predict_the_oscillator_exactly(ref):
    # The notebook's claim: the Jordan cell fails because it carries one output, not because the
    # outputs cannot carry the state (Cayley–Hamilton), and Jordan's context trace does no better.
    x, y = ref["oscillator_task"](128, seed=1)
    assert 0.2 < ref["best_from_last_output"](x, y) < 0.3
    assert ref["best_from_two_outputs"](x, y) < 1e-12
    for mu in (0.3, 0.5, 0.8):
        context, trace = np.zeros_like(y), np.zeros_like(y[:, 0])
        for t in range(y.shape[1]):
            context[:, t], trace = trace, mu * trace + y[:, t]  # s_t = mu s_{t-1} + y_{t-1}
        assert 0.35 < ref["best_linear_mse"](y, x, context) < 0.49, mu


# --------------------------------------------------------------------------- references vs Keras


def test_the_elman_reference_is_keras_simple_rnn():
    import keras

    for i, (_, _, _, units) in enumerate(elman.FORWARD_CASES):
        x, w = elman._forward_case(i)
        simple_rnn = keras.layers.SimpleRNN(units, return_sequences=True)
        simple_rnn.build(x.shape)
        for name, value in w.items():
            getattr(simple_rnn.cell, name).assign(value.astype("float32"))
        np.testing.assert_allclose(simple_rnn(x.astype("float32")), elman.ref_elman(x, w), rtol=1e-5, atol=1e-6)


def test_every_named_elman_mistake_shows_in_some_isolated_term():
    for mistake, hint in elman.ELMAN_MISTAKES:
        differs = []
        for scenario in elman.TERMS_CASES:
            w, h0 = elman._terms_case(scenario)
            h0 = np.zeros((2, 3)) if h0 is None else h0

            def step(x_t, h):
                h = mistake(x_t, h, w, np.tanh)
                return h, h

            wrong = elman.run_cell(step, elman.TERMS_X, h0)
            differs.append(not np.allclose(wrong, elman.ref_elman(elman.TERMS_X, w, h0), rtol=1e-2, atol=1e-3))
        assert any(differs), hint


def test_probes_are_deterministic(ref):
    for check_id in ("elman.forward", "elman.gradient", "jordan.state"):
        first = probe(get(check_id), *(ref[n] for n in CALLS[check_id]))
        second = probe(get(check_id), *(ref[n] for n in CALLS[check_id]))
        assert first.keys() == second.keys()
        for key in first:
            np.testing.assert_array_equal(first[key], second[key])


# --------------------------------------------------------------------------- the shipped data


def test_the_sunspot_series_is_the_one_its_readme_describes():
    csv = DATA / "sunspots_yearly.csv"
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert hashlib.sha256(csv.read_bytes()).hexdigest() in readme
    assert "Public domain" in readme
    table = np.loadtxt(csv, delimiter=",", skiprows=1)
    assert table.shape == (309, 2)
    np.testing.assert_array_equal(table[:, 0], np.arange(1700, 2009))
    assert table[:, 1].min() >= 0 and 150 < table[:, 1].max() < 200


def test_the_notebook_folder_ships_the_data_with_its_licence():
    # nbgrader copies the source folder's files into the release and into every graded copy.
    beside = SOURCE.parent / "datasets" / "sunspots"
    assert (beside / "sunspots_yearly.csv").read_bytes() == (DATA / "sunspots_yearly.csv").read_bytes()
    assert (beside / "README.md").is_file()


# --------------------------------------------------------------------------- why Jordan is unsuitable, over seeds

TRAIN_EPOCHS = 15  # the notebook trains 40; 15 already separates the two by a wide margin


@pytest.mark.timeout(300)
def test_elman_learns_the_hidden_state_task_and_jordan_cannot_on_every_seed(ref):
    for seed in range(5):
        x_train, y_train = ref["oscillator_task"](256, seed=2 * seed)
        x_val, y_val = ref["oscillator_task"](128, seed=2 * seed + 1)
        floor = ref["best_from_last_output"](x_val, y_val)
        scores = {}
        for name in ("elman_network", "jordan_network"):
            model = ref[name](seed=seed)
            history = model.fit(
                x_train, y_train, validation_data=(x_val, y_val), epochs=TRAIN_EPOCHS, batch_size=32, verbose=0
            ).history
            scores[name] = history["val_loss"][-1]
        elman, jordan = scores["elman_network"], scores["jordan_network"]
        # Elman goes far below what (x_t, y_{t-1}) allows; Jordan stays above it.
        assert elman < 0.5 * floor and jordan > floor and jordan > 5 * elman, (seed, floor, scores)
