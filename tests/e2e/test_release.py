"""Is assignments/ exactly what nbgrader generates from solutions/, and are bad sources refused?"""

import json

import yaml

from ..conftest import ROOT, autograder, copy_course, tree


def test_assignments_are_in_sync_with_solutions_and_release_is_idempotent(tmp_path):
    root = copy_course(tmp_path / "course")
    first = autograder("--course", root, "release", "--no-verify")
    assert first.returncode == 0, first.stderr
    for edition in ("assignments", "assignments-fa"):  # English, Persian
        assert tree(root / edition) == tree(ROOT / edition), (
            f"{edition}/ is stale: run `autograder release` and commit the result"
        )
    again = autograder("--course", root, "release", "--no-verify")
    assert again.returncode == 0 and "file(s) changed" not in again.stdout
    assert again.stdout.count("unchanged") == len(yaml.safe_load((root / "course.yml").read_text())["assignments"])


def test_the_sample_class_is_in_sync_with_examples_yml(tmp_path):
    import os
    import subprocess
    import sys

    root = copy_course(tmp_path / "course")
    import shutil

    shutil.rmtree(root / "examples" / "class")
    env = {**os.environ, "AUTOGRADER_COURSE": str(root)}
    subprocess.run([sys.executable, "-m", "autograder.authoring.sample"], env=env, check=True, capture_output=True)
    assert tree(root / "examples" / "class") == tree(ROOT / "examples" / "class"), (
        "examples/class is stale: run `python -m autograder.authoring.sample` and commit the result"
    )


def _edit_source(root, cell_id, old, new):
    path = root / "solutions" / "01-activations" / "01-activations.ipynb"
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == cell_id)
    text = "".join(cell["source"])
    assert old in text
    cell["source"] = text.replace(old, new)
    path.write_text(json.dumps(nb, indent=1))


def test_a_source_whose_reference_fails_its_own_tests_is_refused(tmp_path):
    root = copy_course(tmp_path / "course")
    _edit_source(root, "flexible_sigmoid", "k = 2.0 * ops.abs(self.a)", "k = 2.0 * self.a")
    before = tree(root / "assignments")
    proc = autograder("--course", root, "release", "01-activations")
    assert proc.returncode == 1
    assert "reference solution fails its own tests" in proc.stderr
    assert "test_flexible_sigmoid_forward" in proc.stderr
    assert tree(root / "assignments") == before


def test_a_release_whose_tests_pass_unedited_is_refused(tmp_path):
    root = copy_course(tmp_path / "course")
    # build() and call() lose their solution markers: their code would ship in the release,
    # so the release passes the sigmoid's tests before the student writes anything.
    path = root / "solutions" / "01-activations" / "01-activations.ipynb"
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "flexible_sigmoid")
    lines, dropped = "".join(cell["source"]).split("\n"), {"BEGIN": 0, "END": 0}
    kept = []
    for line in lines:
        kind = "BEGIN" if "### BEGIN SOLUTION" in line else "END" if "### END SOLUTION" in line else None
        if kind and dropped[kind] < 2:  # the markers of build() and call(); get_config keeps its own
            dropped[kind] += 1
            continue
        kept.append(line)
    cell["source"] = "\n".join(kept)
    path.write_text(json.dumps(nb, indent=1))
    proc = autograder("--course", root, "release", "01-activations")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "unedited release already passes" in proc.stderr and "test_flexible_sigmoid_forward" in proc.stderr


def test_points_that_disagree_with_the_check_library_are_refused(tmp_path):
    root = copy_course(tmp_path / "course")
    path = root / "solutions" / "01-activations" / "01-activations.ipynb"
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "test_rbf_forward")
    cell["metadata"]["nbgrader"]["points"] = 5
    path.write_text(json.dumps(nb, indent=1))
    proc = autograder("--course", root, "release", "01-activations")
    assert proc.returncode == 1 and "test_rbf_forward is worth 5 points, but its checks" in proc.stderr


def test_course_yml_points_must_equal_the_checks_total(tmp_path):
    root = copy_course(tmp_path / "course")
    data = yaml.safe_load((root / "course.yml").read_text())
    next(a for a in data["assignments"] if a["id"] == "01-activations")["points"] = 99
    (root / "course.yml").write_text(yaml.safe_dump(data, allow_unicode=True))
    proc = autograder("--course", root, "release", "--no-verify", "01-activations")
    assert proc.returncode == 1 and "points is 99, but the notebook's checks add up to" in proc.stderr
