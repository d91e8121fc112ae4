"""Is the Persian edition graded exactly like the English one? Every sample of every assignment —
the reference, the blank release, each wrong answer of examples/<id>.yml — made from the Persian
edition and graded by the real CLI (nbgrader, warm kernels, the sandbox): the reference gets full
marks, the blank 0, each wrong answer fails exactly the checks it fails in English, and every
message and the feedback page are Persian, right to left."""

import html
import re

import nbformat
import pytest

from autograder import checks
from autograder import course as course_mod
from autograder.authoring import editions, sample
from autograder.checks._translate import FALLBACK_NOTE, persian_share
from autograder.results import all_results

from ..conftest import ROOT, autograder

COURSE = course_mod.load(ROOT)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    results, feedback = {}, {}
    for a in COURSE.assignments:  # one class per assignment: everyone hands in a sample of it
        submitted, out = tmp_path_factory.mktemp(f"submitted-{a.id}"), tmp_path_factory.mktemp(f"out-{a.id}")
        persian = sample.submissions(COURSE, a, editions.source(COURSE, a, "fa"), "fa")
        for name, nb in persian.items():
            path = submitted / name / a.id / a.notebook
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
        proc = autograder("--course", ROOT, "grade", a.id, "--submissions", submitted, "--out", out, timeout=1800)
        assert proc.returncode == 0, proc.stderr[-3000:]
        for r in all_results(out):
            results[(r.assignment, r.student)] = r
            feedback[(r.assignment, r.student)] = (
                out / "feedback" / r.student / a.id / a.notebook.replace(".ipynb", ".html")
            )
    return feedback, results


def test_every_persian_sample_was_graded_as_persian(graded):
    _, results = graded
    for a in COURSE.assignments:
        spec = sample.load_spec(COURSE.sample_spec_path(a), a.id)
        names = {sample.REFERENCE, sample.BLANK, *(w.student for w in spec.wrong_answers)}
        assert {s for (i, s) in results if i == a.id} == names, a.id
    assert all(r.edition == "fa" and r.status == "ok" for r in results.values())


def test_reference_full_marks_blank_zero_and_each_wrong_answer_its_english_checks(graded):
    _, results = graded
    for a in COURSE.assignments:
        assert results[(a.id, sample.REFERENCE)].score == a.points
        assert results[(a.id, sample.BLANK)].score == 0
        for wrong in sample.load_spec(COURSE.sample_spec_path(a), a.id).wrong_answers:
            r = results[(a.id, wrong.student)]
            assert r.failed_checks() == sorted(wrong.fails), (a.id, wrong.student)
            assert r.score == a.points - sum(checks.get(i).points for i in wrong.fails), (a.id, wrong.student)


def test_every_failure_message_is_persian_and_never_falls_back(graded):
    _, results = graded
    failures = [c for r in results.values() for c in r.cells if c.kind == "test" and not c.passed]
    assert len(failures) > 100
    for cell in failures:
        assert FALLBACK_NOTE["fa"] not in cell.message, cell
        assert persian_share(cell.message) > 0.3 or cell.message.startswith("NameError"), cell


def test_the_feedback_is_persian_and_right_to_left(graded):
    feedback, results = graded
    for (assignment_id, student), r in results.items():
        page = feedback[(assignment_id, student)].read_text(encoding="utf-8")
        assert 'dir="rtl"' in page and "نمرهٔ خودکار" in page, (assignment_id, student)
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        assert "HIDDEN TESTS" not in text
