"""The autograder's summary at the top of nbgrader's feedback HTML: every check's points and
message, never test code or hidden inputs."""

from __future__ import annotations

import html
from pathlib import Path

from ..checks import get
from ..results import SubmissionResult


def add_summary(path: Path, result: SubmissionResult) -> None:
    """Put a table of checks (points and messages, no test code) at the top of nbgrader's feedback."""
    if not path.is_file():
        return
    rows = []
    for c in result.cells:
        if c.kind == "manual":
            shown = "graded by hand" if c.needs_manual else f"{c.score or 0:g}"
            rows.append((c.grade_id, "written answer", f"{shown} {c.max_score:g}", ""))
        else:
            mark = "✔" if c.passed else "✘"
            rows.append(
                (
                    ", ".join(c.checks) or c.grade_id,
                    "; ".join(_title(i) for i in c.checks),
                    f"{mark} {c.score or 0:g}/{c.max_score:g}",
                    c.message,
                )
            )
    body = "".join(
        f"<tr><td><code>{html.escape(name)}</code></td><td>{html.escape(title)}</td>"
        f"<td>{html.escape(points)}</td><td>{html.escape(message)}</td></tr>"
        for name, title, points, message in rows
    )
    summary = (
        '<div class="autograder-summary" style="margin:1em 2em;font-family:sans-serif">'
        f"<h2>Autograder: {result.score:g} / {result.max_score:g} points "
        f"(status: {html.escape(result.status)})</h2>"
        + (f"<p>{html.escape(result.detail)}</p>" if result.detail else "")
        + '<table border="1" cellpadding="4" style="border-collapse:collapse">'
        "<tr><th>check</th><th>what it tests</th><th>points</th><th>message</th></tr>"
        f"{body}</table></div>"
    )
    text = path.read_text(encoding="utf-8")
    at = text.find(">", text.find("<body")) + 1
    path.write_text(text[:at] + summary + text[at:], encoding="utf-8")


def _title(check_id: str) -> str:
    try:
        return get(check_id).title
    except KeyError:
        return ""
