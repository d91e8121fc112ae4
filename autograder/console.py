"""What the CLI shows people: tables, the progress bar, warnings — drawn with rich.

Everything goes to the terminal through :data:`out` (stdout) and :data:`err` (stderr). Piped into
a file or a CI log, tables are plain columns and the progress bar becomes one line per graded
submission.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as _RichProgress
from rich.table import Table

from .results import Status, SubmissionResult

# Piped output is not wrapped at 80 columns: lines stay greppable in logs.
out = Console(highlight=False, markup=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, markup=False, width=None if sys.stderr.isatty() else 200)


def say(text: str = "") -> None:
    out.print(text, soft_wrap=True)


def warn(text: str) -> None:
    """One line on stderr, prefixed as every message of the CLI is."""
    err.print(f"autograder: {text}", soft_wrap=True)


class Progress:
    """Done/total, ETA and the last result while a batch grades (a context manager)."""

    def __init__(self, total: int, done: int = 0, enabled: bool = True):
        self.total, self.done, self.skipped = total, done, done
        self.enabled = enabled and total > 0
        self.started = time.monotonic()
        self._bar = None
        if self.enabled and done:
            err.print(f"resuming: {done} of {total} already graded", soft_wrap=True)

    def __enter__(self):
        if self.enabled and err.is_terminal:
            self._bar = _RichProgress(
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.description}"),
                console=err,
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("", total=self.total, completed=self.done)
        return self

    def update(self, result: SubmissionResult) -> None:
        self.done += 1
        if not self.enabled:
            return
        last = f"{result.student}: {result.status} {result.score:g}/{result.max_score:g}"
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, description=last)
            return
        graded = self.done - self.skipped
        eta = (time.monotonic() - self.started) / graded * (self.total - self.done) if graded else 0
        err.print(f"{self.done}/{self.total} ETA {int(eta) // 60}:{int(eta) % 60:02d}  {last}", soft_wrap=True)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
        return False


def _table(*columns: str, header: bool = True) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold", show_header=header)
    for name in columns:
        table.add_column(name, overflow="fold")
    return table


def grade_table(results: list[SubmissionResult], problems: dict | None = None, handed_in: dict | None = None) -> Table:
    """One row per submission: score, status, failed checks.

    Args:
        problems: a sample class's ``{(assignment, student): what differs}``; rows not as expected
            are marked.
        handed_in: a sample class's ``{(assignment, student): the sample handed in}``, shown in a
            column of its own.
    """
    columns = ["assignment", "student", "score", "status", "failed checks"]
    if handed_in is not None:
        columns.insert(2, "handed in")
    table = _table(*columns)
    for r in results:
        failed = r.failed_checks()
        shown = "all" if failed and r.score == 0 else ", ".join(failed) or "-"
        if problems is not None and problems.get((r.assignment, r.student)):
            shown += "   <-- NOT AS EXPECTED"
        row = [r.assignment, r.student, f"{r.score:g} / {r.max_score:g}", r.status, shown]
        if handed_in is not None:
            row.insert(2, handed_in.get((r.assignment, r.student), ""))
        table.add_row(*row)
    return table


def check_table(result: SubmissionResult) -> str:
    """``autograder check``'s report: every check with its points and verdict."""
    from .checks import registry
    from .checks._translate import translate

    known = registry()
    head = f"{result.assignment}: {result.score:g} / {result.max_score:g} autograded points  (status: {result.status})"
    if result.status != Status.OK and result.detail:
        head += f"\n  {result.detail}"
    if result.manual_max_score:
        head += f"; {result.manual_max_score:g} more points are graded by hand"
    table = _table("", "check", "points", "verdict", header=False)
    for c in result.cells:
        if c.kind == "manual":
            table.add_row("…", c.grade_id, f"? / {c.max_score:g}", "written answer, graded by hand")
            continue
        for check_id in c.checks or [c.grade_id]:
            title = translate(known[check_id].title, result.edition or "en") if check_id in known else ""
            table.add_row(
                "✔" if c.passed else "✘",
                check_id,
                f"{c.score or 0:g} / {c.max_score:g}",
                title if c.passed else c.message,
            )
    with out.capture() as captured:
        out.print(table)
    return head + "\n" + captured.get().rstrip("\n")


def import_summary(report, lms: str) -> str:
    """An LMS import for people: what went where, and a list of what needs a look."""
    lines = []
    for student, files in report.imported.items():
        verb = "replaced" if student in report.replaced else "new"
        lines.append(f"  {verb:<9} {student:<28} {', '.join(files)}  ({report.who[student]})")
    for student, reason in report.kept.items():
        lines.append(f"  {'kept':<9} {student:<28} {reason}")
    if report.late:
        lines.append(f"late ({lms} marks them late): {', '.join(report.late)}")
    todo = [f"  {entry}: {why}" for entry, why in report.unmatched.items()]
    todo += [f"  {student}: {problem}" for student, problem in report.problems.items()]
    if todo:
        lines.append(
            f"to check ({len(report.unmatched)} file(s) not imported, "
            f"{len(report.problems)} submission(s) with a notebook problem):"
        )
        lines += todo
    lines.append(
        f"{len(report.imported)} imported, {len(report.kept)} left untouched, "
        f"{len(report.unmatched)} file(s) not matched"
    )
    return "\n".join(lines)
