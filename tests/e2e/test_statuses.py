"""Does a broken submission get a clear status and zero, without touching anyone else's grade?"""

import shutil

import pytest

from ..conftest import autograder, sample_notebook

NOTEBOOK = "01-activations.ipynb"


def reference():
    return sample_notebook("01-activations", "reference")


def _old_nbformat(path):
    import nbformat

    nb = nbformat.read(reference(), as_version=4)
    nbformat.write(nbformat.convert(nb, 3), path)


def _with_extras(path):
    shutil.copy(reference(), path)
    shutil.copy(reference(), path.with_name("scratch copy.ipynb"))
    (path.parent / "data").mkdir()
    (path.parent / "data" / "notes.txt").write_text("extra files and folders are ignored")


def _huge(path):
    import nbformat

    nb = nbformat.read(reference(), as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 50 * 2**20)]
    nbformat.write(nb, path)


FINE = {  # odd but gradable: graded normally
    "old-nbformat": _old_nbformat,
    "extra-files": _with_extras,
    "fifty-mb": _huge,
}

BROKEN = {
    "truncated-json": lambda p: p.write_text(reference().read_text()[:5000]),
    "empty-file": lambda p: p.write_bytes(b""),
    "binary-garbage": lambda p: p.write_bytes(bytes(range(256)) * 64),
    "wrong-name": lambda p: shutil.copy(reference(), p.with_name("my_homework.ipynb")),
    "no-folder": None,
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    submissions = tmp_path_factory.mktemp("broken")
    for student, make in {**BROKEN, **FINE, "good": lambda p: shutil.copy(reference(), p)}.items():
        folder = submissions / student / "01-activations"
        if make is None:
            (submissions / student).mkdir()
            continue
        folder.mkdir(parents=True)
        make(folder / NOTEBOOK)
    out = tmp_path_factory.mktemp("broken-out")
    proc = autograder("grade", "01-activations", "--submissions", submissions, "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    from autograder.results import all_results

    return {r.student: r for r in all_results(out)}, out


@pytest.mark.parametrize(
    "student,status",
    [
        ("truncated-json", "invalid_notebook"),
        ("empty-file", "invalid_notebook"),
        ("binary-garbage", "invalid_notebook"),
        ("wrong-name", "missing_notebook"),
        ("no-folder", "missing_notebook"),
    ],
)
def test_broken_submission_gets_a_status_and_zero(graded, student, status):
    results, _ = graded
    r = results[student]
    assert r.status == status and r.score == 0 and r.max_score == 22
    assert r.detail, "the status must say what is wrong"


def test_a_notebook_under_the_wrong_name_is_named_in_the_detail(graded):
    results, _ = graded
    assert "my_homework.ipynb" in results["wrong-name"].detail


@pytest.mark.parametrize("student", sorted(FINE))
def test_odd_but_valid_submissions_are_graded_normally(graded, student):
    results, _ = graded
    assert results[student].status == "ok" and results[student].score == 22, results[student]


def test_the_rest_of_the_batch_is_unaffected(graded):
    results, out = graded
    assert results["good"].status == "ok" and results["good"].score == 22
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(BROKEN) + len(FINE) + 1
