"""Can a notebook cheat its way to points? Student code runs in the same kernel as the probes,
so the kernel gets only the probe edition of the check library and the grader gives every
verdict in its own process, from the recorded outputs."""

import nbformat
import pytest

from autograder.authoring import sample

from ..conftest import ROOT, autograder

SIGMOID_FORMULA = "k = 2.0 * ops.abs(self.a)"
WRONG_FORMULA = "k = 2.0 * self.a"  # forgot |a|: fails flexible_sigmoid.forward

CHEATS = {
    # numpy's comparisons patched to always pass, and a wrong formula behind them
    "patches-numpy": [
        (
            "flexible_sigmoid",
            SIGMOID_FORMULA,
            WRONG_FORMULA
            + """
        import numpy, numpy.testing
        numpy.allclose = lambda *a, **k: True
        numpy.testing.assert_allclose = lambda *a, **k: None
        numpy.array_equal = lambda *a, **k: True""",
        )
    ],
    # the check library's own in-kernel verdict patched away
    "patches-verdict": [
        (
            "flexible_sigmoid",
            SIGMOID_FORMULA,
            WRONG_FORMULA
            + """
        import autograder.checks._core as _core
        _core.verdict = lambda *a, **k: None""",
        )
    ],
    # outputs that claim to equal anything
    "always-equal": [
        (
            "flexible_sigmoid",
            "return k * ops.sigmoid(k * x)  # sigmoid is computed stably for any x",
            """class AlwaysEqual:
            shape = (4, 6)
            def __eq__(self, other): return True
            def __array__(self, *a, **k): raise TypeError("no")
        return AlwaysEqual()""",
        )
    ],
    # a correct solution that warns and writes to stderr must lose nothing
    "noisy-but-right": [
        (
            "flexible_sigmoid",
            SIGMOID_FORMULA,
            SIGMOID_FORMULA
            + """
        import sys, warnings
        warnings.warn("a warning from student code")
        print("student debug output on stderr", file=sys.stderr)""",
        )
    ],
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, course):
    assignment = course.assignment("01-activations")
    reference = sample.submissions(course, assignment)[sample.REFERENCE]
    submissions = tmp_path_factory.mktemp("cheats")
    for student, edits in CHEATS.items():
        nb = sample.apply_edits(reference, [{"cell": c, "replace": r, "with": w} for c, r, w in edits], student)
        path = submissions / student / assignment.id / assignment.notebook
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    out = tmp_path_factory.mktemp("cheats-out")
    proc = autograder("grade", assignment.id, "--submissions", submissions, "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    from autograder.results import all_results

    return {r.student: r for r in all_results(out)}


def cell(result, check_id):
    return next(c for c in result.cells if check_id in c.checks)


def test_patching_numpy_comparisons_gains_nothing(graded):
    forward = cell(graded["patches-numpy"], "flexible_sigmoid.forward")
    assert forward.score == 0 and "|a|" in forward.message


def test_patching_the_check_library_in_the_kernel_changes_no_verdict(graded):
    forward = cell(graded["patches-verdict"], "flexible_sigmoid.forward")
    assert forward.score == 0 and "|a|" in forward.message


def test_an_object_whose_eq_is_always_true_scores_zero(graded):
    r = graded["always-equal"]
    assert cell(r, "flexible_sigmoid.forward").score == 0
    assert cell(r, "flexible_sigmoid.stable").score == 0


def test_warnings_and_stderr_from_student_code_cost_nothing(graded):
    r = graded["noisy-but-right"]
    assert r.score == r.max_score, [c for c in r.cells if not c.passed]


def test_a_redefined_check_function_scores_nothing_for_the_checks_it_faked(demo):
    from autograder import course as course_mod
    from autograder.results import all_results

    _, out = demo
    course = course_mod.load(ROOT)
    assignment = course.assignment("01-activations")
    plan = sample.class_plan(course, sample.load_roster(course), assignment)
    (student,) = [s for s, handed in plan.items() if handed == "cheat-fake-check"]
    r = next(r for r in all_results(out) if (r.assignment, r.student) == (assignment.id, student))
    for check_id in ("rbf.forward", "rbf.positive", "activations.config", "activations.saving"):
        assert cell(r, check_id).score == 0
        assert "no record" in cell(r, check_id).message
