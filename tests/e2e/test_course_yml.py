"""Is a broken course.yml reported in one line naming the field, with exit code 2 and no writes?"""

import pytest
import yaml

from ..conftest import ROOT, autograder, copy_course, tree

BROKEN = {
    "points is text": (
        lambda d, i: d["assignments"][i].update(points="ten"),
        "assignments[{i}].points: expected a number, got 'ten'",
    ),
    "negative points": (
        lambda d, i: d["assignments"][i].update(points=-1),
        "assignments[{i}].points: expected a number >= 0",
    ),
    "missing title": (lambda d, i: d["assignments"][i].pop("title"), "assignments[{i}].title: missing"),
    "notebook absent": (
        lambda d, i: d["assignments"][i].update(notebook="nope.ipynb"),
        "assignments[{i}].notebook: solutions/01-activations/nope.ipynb does not exist",
    ),
    "duplicate id": (
        lambda d, i: d["assignments"].append(dict(d["assignments"][i])),
        "assignments[{n}].id: '01-activations' is used twice",
    ),
    "bad id": (lambda d, i: d["assignments"][i].update(id="Week 1!"), "assignments[{i}].id: expected lower-case"),
    "due without zone": (
        lambda d, i: d["assignments"][i].update(due="2027-01-17T23:59:00"),
        "assignments[{i}].due: needs a time zone",
    ),
    "cell timeout > notebook": (
        lambda d, i: d["assignments"][i].update(timeouts={"cell": 900, "notebook": 60}),
        "assignments[{i}].timeouts.notebook: the notebook timeout (60 s) is shorter",
    ),
    "no course section": (lambda d, i: d.pop("course"), "course: missing"),
    "late policy": (
        lambda d, i: d["grading"].update(late_policy="sometimes"),
        "grading.late_policy: expected 'none' or 'per_day'",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_course_yml_gets_one_clear_line_and_exit_2(tmp_path, case):
    root = copy_course(tmp_path / "course")
    data = yaml.safe_load((root / "course.yml").read_text())
    mutate, expected = BROKEN[case]
    i = next(k for k, a in enumerate(data["assignments"]) if a["id"] == "01-activations")
    expected = expected.format(i=i, n=len(data["assignments"]))
    mutate(data, i)
    (root / "course.yml").write_text(yaml.safe_dump(data, allow_unicode=True))
    before = tree(root)
    proc = autograder("--course", root, "release", "--no-verify")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], proc.stderr
    assert tree(root) == before, "nothing may be written when course.yml is invalid"


def test_course_yml_that_is_not_yaml(tmp_path):
    root = copy_course(tmp_path / "course")
    (root / "course.yml").write_text("course: [unclosed\n")
    proc = autograder("--course", root, "release")
    assert proc.returncode == 2 and "course.yml: not valid YAML" in proc.stderr


def test_the_shipped_course_yml_is_valid(course):
    assert course.assignments and all(a.points > 0 for a in course.assignments)
    for a in course.assignments:
        assert (ROOT / "solutions" / a.id / a.notebook).is_file()
        assert a.due is not None and a.title_fa
