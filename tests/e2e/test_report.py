"""Does `autograder report` plot and tabulate exactly the class's numbers?

Checked on the README's demo (the shipped sample class, graded once per session by the `demo`
fixture, whose last step writes the report): every plotted number is recomputed here
independently, from grades.csv and from the results JSON.
"""

import base64
import csv
import io
import re
import shutil
from collections import Counter

import pytest

from autograder import checks
from autograder.grades import report
from autograder.results import all_results

from ..conftest import ROOT, autograder, tree


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def out(demo):
    proc, out = demo
    assert f"report:    {out / 'report' / 'report.html'}" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def the_class():
    return sorted(p.name for p in (ROOT / "examples" / "class").iterdir() if p.is_dir())


def sections(html_text):
    """assignment id -> its part of the page."""
    parts = html_text.split('<section id="')[1:]
    return {part[: part.index('"')]: part for part in parts}


def test_the_report_is_one_html_file_with_its_plots_embedded_as_png(out, course):
    import matplotlib.image

    page = (out / "report" / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2 * len(course.assignments)  # a histogram and a pass-rate chart each
    for data in images:
        png = base64.b64decode(data, validate=True)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        height, width, _ = matplotlib.image.imread(io.BytesIO(png), format="png").shape
        assert height >= 200 and width >= 500
    assert not re.search(r'(src|href)="(?!data:|#)', page), "the page must not load anything from elsewhere"


def test_every_student_of_the_class_is_in_every_assignments_table(out, course, the_class):
    page = sections((out / "report" / "report.html").read_text(encoding="utf-8"))
    assert list(page) == [a.id for a in course.assignments]
    for assignment_id, part in page.items():
        for student in the_class:
            assert f"<tr><td>{student}</td>" in part, (assignment_id, student)
        students = read_csv(out / "report" / f"{assignment_id}-students.csv")
        assert sorted(r["student_id"] for r in students) == the_class


def test_the_histogram_counts_are_the_total_scores_in_grades_csv(out, course):
    grades = read_csv(out / "grades.csv")
    for r in report.build(out, course):
        totals = [float(g["total_score"]) for g in grades if g["assignment"] == r.assignment.id]
        bins = read_csv(out / "report" / f"{r.assignment.id}-histogram.csv")
        assert float(bins[0]["from"]) == 0 and float(bins[-1]["to"]) > r.total_max
        for i, b in enumerate(bins):
            last = i == len(bins) - 1
            expected = sum(float(b["from"]) <= t and (last or t < float(b["to"])) for t in totals)
            assert int(b["students"]) == expected, (r.assignment.id, b)
        assert sum(int(b["students"]) for b in bins) == len(totals) > 0
        plotted = report.histogram_figure(r).axes[0].patches  # the bars drawn into the PNG
        assert [round(p.get_height()) for p in plotted] == [int(b["students"]) for b in bins]


def test_the_pass_rate_of_each_check_is_the_fraction_of_submissions_passing_it(out, course):
    results = all_results(out)
    for r in report.build(out, course):
        passed, graded = Counter(), Counter()
        for result in results:
            if result.assignment != r.assignment.id:
                continue
            for cell in result.cells:
                for check_id in cell.checks:
                    graded[check_id] += 1
                    passed[check_id] += bool(cell.passed)
        rows = read_csv(out / "report" / f"{r.assignment.id}-checks.csv")
        assert {row["check_id"] for row in rows} == set(graded)
        for row in rows:
            check_id = row["check_id"]
            assert (int(row["passed"]), int(row["graded"])) == (passed[check_id], graded[check_id])
            assert float(row["pass_rate"]) == pytest.approx(passed[check_id] / graded[check_id], abs=1e-4)
            assert row["title"] == checks.get(check_id).title
        rates = [float(row["pass_rate"]) for row in rows]
        assert rates == sorted(rates), "hardest checks first"
        ax = report.pass_rate_figure(r).axes[0]
        assert [t.get_text() for t in ax.get_yticklabels()] == [row["check_id"] for row in rows]
        assert [p.get_width() for p in ax.patches] == pytest.approx([100 * x for x in rates], abs=0.01)


def test_statuses_count_every_submission_and_every_student_without_one(out, course, the_class):
    results = all_results(out)
    summary = {row["assignment"]: row for row in read_csv(out / "report" / "summary.csv")}
    assert list(summary) == [a.id for a in course.assignments]
    for assignment in course.assignments:
        statuses = Counter(r.status for r in results if r.assignment == assignment.id)
        row = summary[assignment.id]
        graded = sum(statuses.values())
        assert int(row["graded"]) == graded > 0
        assert int(row["missing"]) == len(the_class) - graded
        for status, n in statuses.items():
            assert int(row[status]) == n, (assignment.id, status)
        assert row["due"] == assignment.due.isoformat()


def test_report_of_one_assignment_and_a_bad_id(out, course, tmp_path):
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    proc = autograder("report", "01-activations", "--out", copy)
    assert proc.returncode == 0, proc.stderr
    assert [row["assignment"] for row in read_csv(copy / "report" / "summary.csv")] == ["01-activations"]
    assert list(sections((copy / "report" / "report.html").read_text())) == ["01-activations"]

    before = tree(copy)
    proc = autograder("report", "01-activation", "--out", copy)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "01-activation" in proc.stderr
    assert tree(copy) == before  # nothing written
    proc = autograder("report", "--out", tmp_path / "nothing-graded")
    assert proc.returncode == 2 and "autograder grade" in proc.stderr
    assert not (tmp_path / "nothing-graded").exists()
