"""The contract every assignment's checks keep, for each assignment of course.yml: the notebooks
of a topic call every check it defines, each test cell is worth its checks' points, the reference
(the source notebook's own solution cells) passes every check, the blank release fails every
check, each wrong answer of examples/<id>.yml fails exactly the checks it lists, and verify runs
in a fresh Python that cannot import TensorFlow, Keras, scipy or scikit-learn.

What is particular to an assignment (its mistakes named, its references against Keras, its claims
over seeds) is in test_<topic>.py. Real TensorFlow, in-process (see support.py).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from autograder.checks import get, save_record, verdict

from .support import (
    ASSIGNMENTS,
    TEST_CALL,
    blank_verdicts,
    calls,
    filled,
    reference_records,
    source,
    topic_checks,
    topic_of,
    wrong_answer_verdicts,
    wrong_answers,
)

CHECKS = [(a, c) for a in ASSIGNMENTS for c in sorted(calls(a))]
WRONG = [(a, s) for a in ASSIGNMENTS for s in wrong_answers(a)]
GRADER_ONLY = ("tensorflow", "keras", "scipy", "sklearn")  # the notebooks' libraries, not the grader's


@pytest.mark.parametrize("topic", sorted({topic_of(a) for a in ASSIGNMENTS}))
def test_the_notebooks_of_a_topic_call_every_check_it_defines(topic):
    # One topic per notebook (topic_of asserts it); a topic may span notebooks (07 and 07b).
    called = set().union(*(calls(a) for a in ASSIGNMENTS if topic_of(a) == topic))
    assert sorted(called) == topic_checks(topic)


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_each_test_cell_is_worth_the_points_of_its_checks(assignment_id):
    cells = [
        c
        for c in filled(source(assignment_id)).cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
    ]
    assert cells
    for cell in cells:
        ids = [check_id for check_id, _ in TEST_CALL.findall(cell.source)]
        meta = cell.metadata["nbgrader"]
        assert ids and meta["points"] == sum(get(i).points for i in ids), (meta["grade_id"], ids)


@pytest.mark.parametrize("assignment_id, check_id", CHECKS)
def test_the_reference_passes(assignment_id, check_id):
    assert verdict(get(check_id), reference_records(assignment_id)[check_id]) is None


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_the_blank_release_fails_every_check(assignment_id):
    verdicts = blank_verdicts(assignment_id)
    assert sorted(verdicts) == sorted(calls(assignment_id))
    assert [c for c, message in verdicts.items() if message is None] == []


@pytest.mark.parametrize("assignment_id, student", WRONG)
def test_each_wrong_answer_fails_exactly_its_checks(assignment_id, student):
    failed = [c for c, message in wrong_answer_verdicts(assignment_id, student).items() if message is not None]
    assert sorted(failed) == sorted(wrong_answers(assignment_id)[student].fails)


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_verify_runs_where_tensorflow_and_keras_cannot_be_imported(assignment_id, tmp_path):
    """The reference's records, verified in a fresh Python: the grader's process needs none of them."""
    for check_id, record in reference_records(assignment_id).items():
        save_record(check_id, record, tmp_path)
    script = textwrap.dedent(f"""
        import sys
        for name in {GRADER_ONLY!r}:
            sys.modules[name] = None  # any import of them now fails
        from autograder.checks import get, load_record, verdict
        for check_id in {sorted(calls(assignment_id))!r}:
            message = verdict(get(check_id), load_record({str(tmp_path)!r} + "/" + check_id + ".npz"))
            assert message is None, (check_id, message)
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "ok", proc.stderr[-2000:]
