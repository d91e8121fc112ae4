"""The class report: one self-contained HTML file, and the same numbers as CSV beside it.

Per assignment: the distribution of total scores (a histogram), every check's pass rate
(hardest first), how many submissions ended in each status (students of the class with no
submission count as ``missing``), the due date and who was late, and a table of students.
Scores come from :func:`autograder.grades.scores.class_scores` (results JSON + gradebook), exactly the
numbers in grades.csv. Plots are drawn by matplotlib's Agg backend and embedded as base64 PNG;
this is the only module that imports matplotlib, so grading never pays for it.
"""

from __future__ import annotations

import base64
import html
import io
import math
import statistics
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .. import nbgrader_run
from ..course import Assignment, Course, CourseError
from ..results import SubmissionResult, all_results
from .scores import Score, class_scores
from .table import CSV_FIELDS, csv_row, write_csv, write_rows

REPORT_DIR = "report"
MISSING = "missing"  # a student of the class (in the gradebook) with no submission
MAX_BINS = 25  # histogram bars; wider bins beyond this many points


@dataclass(frozen=True)
class CheckRate:
    id: str
    title: str
    points: float
    passed: int
    graded: int

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass
class AssignmentReport:
    assignment: Assignment
    scores: list[Score]  # graded submissions, by student
    missing: list[str]  # class students without a submission
    checks: list[CheckRate]  # hardest first
    failed: dict[str, list[str]]  # student -> checks failed

    @property
    def statuses(self) -> Counter:
        counts = Counter(s.status for s in self.scores)
        if self.missing:
            counts[MISSING] = len(self.missing)
        return counts

    @property
    def late(self) -> list[Score]:
        return [s for s in self.scores if s.seconds_late > 0]

    @property
    def total_max(self) -> float:
        return self.assignment.points + self.assignment.manual_points

    def histogram(self) -> tuple[list[float], list[int]]:
        """Bin edges and counts of the total scores: bins [k·w, (k+1)·w) from 0 past full marks,
        w = 1 point (more for big totals, at most MAX_BINS bars)."""
        width = max(1, math.ceil(self.total_max / MAX_BINS))
        bins = int(self.total_max // width) + 1
        counts = [0] * bins
        for s in self.scores:
            counts[min(max(int(s.total_score // width), 0), bins - 1)] += 1
        return [float(k * width) for k in range(bins + 1)], counts


def selected(out: Path, course: Course, ids: list[str] | None, results: list[SubmissionResult]) -> list[Assignment]:
    """The assignments to report, in course order; CourseError (one line) for an id not graded in ``out``.

    Args:
        ids: the assignments asked for (default: every assignment with graded submissions).
    """
    if not results:
        raise CourseError(f"{out}: no graded submissions here (run `autograder grade` first)")
    graded = {r.assignment for r in results}
    for aid in ids or []:
        course.assignment(aid)  # an unknown id: CourseError naming the known ones
        if aid not in graded:
            raise CourseError(f"{out}: no graded submissions of {aid} (graded: {', '.join(sorted(graded))})")
    return [a for a in course.assignments if a.id in (set(ids) if ids else graded)]


def build(
    out: Path,
    course: Course,
    ids: list[str] | None = None,
    results: list[SubmissionResult] | None = None,
    scores: list[Score] | None = None,
) -> list[AssignmentReport]:
    """The numbers of the report, per assignment (course order).

    Args:
        ids: assignments to report (default: every assignment with graded submissions in ``out``).
        results, scores: ``out``'s results and their :func:`class_scores`, if already read.
    """
    from ..checks import registry

    results = all_results(out) if results is None else results
    chosen = selected(out, course, ids, results)
    scores = class_scores(out, course, results) if scores is None else scores
    roster = class_roster(out, course)
    known = registry()
    reports = []
    for a in chosen:
        mine = [r for r in results if r.assignment == a.id]
        tally: dict[str, list[int]] = {}
        for r in mine:
            for cell in r.cells:
                for check_id in cell.checks if cell.kind == "test" else []:
                    counts = tally.setdefault(check_id, [0, 0])
                    counts[0] += bool(cell.passed)
                    counts[1] += 1
        checks = [
            CheckRate(i, known[i].title if i in known else "", known[i].points if i in known else 0.0, passed, graded)
            for i, (passed, graded) in tally.items()
        ]
        checks.sort(key=lambda c: (c.rate, c.id))
        submitted = {r.student for r in mine}
        reports.append(
            AssignmentReport(
                assignment=a,
                scores=[s for s in scores if s.assignment == a.id],
                missing=sorted(roster - submitted),
                checks=checks,
                failed={r.student: r.failed_checks() for r in mine},
            )
        )
    return reports


def class_roster(out: Path, course: Course) -> set[str]:
    """The class: every student in the gradebook (graded, or added in formgrader's Manage Students)."""
    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{Path(out) / nbgrader_run.GRADEBOOK}", course.id) as gb:
        warnings.simplefilter("ignore")
        return {s.id for s in gb.students}


# --------------------------------------------------------------------------- plots


def histogram_figure(report: AssignmentReport):
    from matplotlib.figure import Figure  # no pyplot: no global state, PNGs through Agg

    edges, counts = report.histogram()
    fig = Figure(figsize=(6.4, 2.8), layout="constrained")
    ax = fig.add_subplot()
    width = edges[1] - edges[0]
    # One-point bins: a bar centred on its score; wider bins start at their lowest score.
    bars = ax.bar(edges[:-1], counts, width=0.9 * width, align="center" if width == 1 else "edge", color="#4c72b0")
    ax.bar_label(bars, labels=[str(n) if n else "" for n in counts], fontsize=8)
    ax.axvline(report.total_max, color="#999", linestyle=":", linewidth=1)  # full marks
    ax.margins(y=0.15)
    ax.set_xlim(-0.6 if width == 1 else 0, edges[-1])
    ax.set_xlabel(
        f"total score (auto + manual − late penalty), out of {report.total_max:g}"
        + ("" if width == 1 else f"; bins of {width:g} points")
    )
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"{report.assignment.id}: score distribution ({len(report.scores)} graded)")
    return fig


def pass_rate_figure(report: AssignmentReport):
    from matplotlib.figure import Figure

    checks = report.checks
    fig = Figure(figsize=(6.4, 0.9 + 0.28 * max(len(checks), 1)), layout="constrained")
    ax = fig.add_subplot()
    # Hardest first, from the top down.
    bars = ax.barh(range(len(checks)), [100 * c.rate for c in checks], color="#dd8452")
    ax.bar_label(bars, labels=[f"{c.passed}/{c.graded}" for c in checks], fontsize=7, padding=2)
    ax.set_yticks(range(len(checks)), [c.id for c in checks], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 112)  # room for the passed/graded labels
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("submissions passing (%)")
    ax.set_title(f"{report.assignment.id}: pass rate per check, hardest first")
    return fig


def png_base64(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


# --------------------------------------------------------------------------- files


def write(out: Path, course: Course, ids: list[str] | None = None) -> Path:
    """Write ``out/report/report.html`` and its CSV files; also rewrite ``out/grades.csv``.

    Returns the HTML file's path. Nothing is written if the input is bad (CourseError).
    """
    out = Path(out).resolve()
    results = all_results(out)
    selected(out, course, ids, results)  # bad input: stop before the gradebook is touched
    scores = class_scores(out, course, results)
    reports = build(out, course, ids, results, scores)
    write_csv(out, course, scores)
    folder = out / REPORT_DIR
    folder.mkdir(exist_ok=True)
    for r in reports:
        aid = r.assignment.id
        write_rows(folder / f"{aid}-students.csv", CSV_FIELDS + ["failed_checks"], student_rows(r))
        write_rows(
            folder / f"{aid}-checks.csv",
            ["check_id", "title", "points", "passed", "graded", "pass_rate"],
            [
                {
                    "check_id": c.id,
                    "title": c.title,
                    "points": f"{c.points:g}",
                    "passed": c.passed,
                    "graded": c.graded,
                    "pass_rate": f"{c.rate:.4f}",
                }
                for c in r.checks
            ],
        )
        edges, counts = r.histogram()
        write_rows(
            folder / f"{aid}-histogram.csv",
            ["from", "to", "students"],
            [{"from": f"{a:g}", "to": f"{b:g}", "students": n} for a, b, n in zip(edges, edges[1:], counts)],
        )
    statuses = sorted({status for r in reports for status in r.statuses} - {MISSING}) + [MISSING]
    write_rows(folder / "summary.csv", SUMMARY_FIELDS + statuses, [summary_row(r, statuses) for r in reports])
    page = folder / "report.html"
    page.write_text(render(course, reports), encoding="utf-8")
    return page


# ...followed by one column per status (ok, timeout, ..., missing): the number of students.
SUMMARY_FIELDS = [
    "assignment",
    "title",
    "due",
    "points",
    "manual_points",
    "graded",
    "mean_total",
    "median_total",
    "needs_manual_grading",
    "late",
]


def summary_row(r: AssignmentReport, statuses: list[str]) -> dict:
    totals = [s.total_score for s in r.scores]
    row = {
        "assignment": r.assignment.id,
        "title": r.assignment.title,
        "due": r.assignment.due.isoformat() if r.assignment.due else "",
        "points": f"{r.assignment.points:g}",
        "manual_points": f"{r.assignment.manual_points:g}",
        "graded": len(r.scores),
        "mean_total": f"{statistics.fmean(totals):.2f}" if totals else "",
        "median_total": f"{statistics.median(totals):g}" if totals else "",
        "needs_manual_grading": sum(s.needs_manual_grading for s in r.scores),
        "late": len(r.late),
    }
    row.update({status: r.statuses.get(status, 0) for status in statuses})
    return row


def student_rows(r: AssignmentReport) -> list[dict]:
    rows = [dict(csv_row(s), failed_checks=" ".join(r.failed.get(s.student, []))) for s in r.scores]
    rows += [
        {
            "student_id": student,
            "assignment": r.assignment.id,
            "status": MISSING,
            "max_score": f"{r.assignment.points:g}",
            "manual_max_score": f"{r.assignment.manual_points:g}",
            "total_max_score": f"{r.total_max:g}",
        }
        for student in r.missing
    ]
    return rows


# --------------------------------------------------------------------------- HTML

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.2em .6em}
th{background:#f3f3f3}td{white-space:nowrap}td.w{white-space:normal}td.n{text-align:right}section{margin-bottom:3em}
.fa{direction:rtl;color:#555}img{max-width:100%}.pending{color:#a60;font-style:italic}
"""


def render(course: Course, reports: list[AssignmentReport]) -> str:
    e = html.escape
    nav = " · ".join(f'<a href="#{e(r.assignment.id)}">{e(r.assignment.id)}</a>' for r in reports)
    summary = _table(
        ["assignment", "due", "graded", "missing", "mean total", "needs manual grading", "late"],
        [
            [
                f'<a href="#{e(r.assignment.id)}">{e(r.assignment.id)}</a>',
                e(_due(r.assignment)),
                len(r.scores),
                len(r.missing),
                f"{statistics.fmean([s.total_score for s in r.scores]):.1f} / {r.total_max:g}" if r.scores else "–",
                sum(s.needs_manual_grading for s in r.scores),
                len(r.late),
            ]
            for r in reports
        ],
    )
    body = "".join(_section(course, r) for r in reports)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{e(course.title)}: class report'
        f"</title><style>{STYLE}</style></head><body><h1>{e(course.title)}: class report</h1>"
        f'<p class="fa">{e(course.title_fa)}</p><p>{nav}</p>{summary}{body}</body></html>\n'
    )


def _section(course: Course, r: AssignmentReport) -> str:
    e, a = html.escape, r.assignment
    policy = course.grading
    late_rule = (
        "no penalty"
        if policy.late_policy == "none"
        else f"{100 * policy.late_penalty_per_day:g}% of the score per started day"
    )
    statuses = _table(["status", "submissions"], [[e(k), n] for k, n in sorted(r.statuses.items())])
    checks = _table(
        ["check", "what it tests", "points", "passed", "pass rate"],
        [
            [f"<code>{e(c.id)}</code>", e(c.title), f"{c.points:g}", f"{c.passed} / {c.graded}", f"{100 * c.rate:.0f}%"]
            for c in r.checks
        ],
        wrap=(1,),
    )
    late = (
        _table(
            ["student", "handed in (UTC)", "days late", "penalty"],
            [[e(s.student), e(s.submitted_at or ""), f"{s.days_late:.2f}", f"{s.late_penalty:g}"] for s in r.late],
        )
        if r.late
        else "<p>No late submissions.</p>"
    )
    students = _table(
        ["student", "status", "auto", "manual", "late penalty", "total", "days late", "failed checks"],
        [
            [
                e(s.student),
                e(s.status),
                f"{s.auto_score:g} / {s.auto_max_score:g}",
                _manual(s),
                f"{s.late_penalty:g}" if s.late_penalty else "",
                f"<b>{s.total_score:g}</b> / {s.total_max_score:g}",
                f"{s.days_late:.2f}" if s.seconds_late else "",
                e(_failed(r, s.student)),
            ]
            for s in r.scores
        ]
        + [[e(student), MISSING, "", "", "", "", "", ""] for student in r.missing],
        wrap=(3, 7),
    )
    return (
        f'<section id="{e(a.id)}"><h2>{e(a.id)}: {e(a.title)}</h2><p class="fa">{e(a.title_fa)}</p>'
        f"<p>Due {e(_due(a))}; late policy: {e(late_rule)}. {len(r.scores)} graded, {len(r.missing)} missing."
        f'</p><img alt="score distribution of {e(a.id)}" src="data:image/png;base64,'
        f'{png_base64(histogram_figure(r))}">'
        f"<h3>Statuses</h3>{statuses}<h3>Checks, hardest first</h3>"
        f'<img alt="pass rate per check of {e(a.id)}" src="data:image/png;base64,'
        f'{png_base64(pass_rate_figure(r))}">{checks}'
        f"<h3>Late submissions</h3>{late}<h3>Students</h3>{students}</section>"
    )


def _failed(r: AssignmentReport, student: str) -> str:
    failed = r.failed.get(student, [])
    return f"all {len(failed)}" if failed and len(failed) == len(r.checks) else ", ".join(failed)


def _manual(s: Score) -> str:
    if not s.manual_max_score:
        return "–"
    shown = f"{s.manual_score:g} / {s.manual_max_score:g}"
    return shown + (' <span class="pending">needs manual grading</span>' if s.needs_manual_grading else "")


def _due(a: Assignment) -> str:
    return a.due.strftime("%Y-%m-%d %H:%M %z") if a.due else "no due date"


def _table(head: list[str], rows: list[list], wrap: tuple[int, ...] = ()) -> str:
    """An HTML table; cells are HTML already. Numbers align right; only columns in ``wrap`` wrap."""

    def cell(i, c):
        kind = "n" if isinstance(c, (int, float)) else "w" if i in wrap else ""
        return f'<td class="{kind}">{c}</td>' if kind else f"<td>{c}</td>"

    cells = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + f"</tr>{cells}</table>"
