"""The autograder's summary at the top of nbgrader's feedback HTML: every check's points and
message, never test code or hidden inputs."""

from __future__ import annotations

import html
from pathlib import Path

from ..checks import get
from ..checks._translate import title, translate
from ..results import SubmissionResult

LABELS = {
    "en": {
        "head": "Autograder: {score} / {max} points (status: {status})",
        "check": "check",
        "what": "what it tests",
        "points": "points",
        "message": "message",
        "manual": "graded by hand",
        "written": "written answer",
        "dir": "ltr",
    },
    "fa": {
        "head": "نمرهٔ خودکار: {score} از {max} (وضعیت: {status})",
        "check": "بررسی",
        "what": "چه چیزی را می‌سنجد",
        "points": "امتیاز",
        "message": "پیام",
        "manual": "تصحیح دستی",
        "written": "پاسخ نوشتاری",
        "dir": "rtl",
    },
}


def add_summary(path: Path, result: SubmissionResult) -> None:
    """Put a table of checks (points and messages, no test code) at the top of nbgrader's feedback,
    in the submission's language."""
    if not path.is_file():
        return
    edition = result.edition or "en"
    say = LABELS.get(edition, LABELS["en"])
    rows = []
    for c in result.cells:
        if c.kind == "manual":
            shown = say["manual"] if c.needs_manual else f"{c.score or 0:g}"
            rows.append((c.grade_id, say["written"], f"{shown} {c.max_score:g}", ""))
        else:
            mark = "✔" if c.passed else "✘"
            titles = "; ".join(_title(i, edition) for i in c.checks)
            points = f"{mark} {c.score or 0:g}/{c.max_score:g}"
            rows.append((", ".join(c.checks) or c.grade_id, titles, points, translate(c.message, edition)))
    body = "".join(
        f"<tr><td><code>{html.escape(name)}</code></td><td>{html.escape(what)}</td>"
        f'<td dir="ltr">{html.escape(points)}</td><td>{html.escape(message)}</td></tr>'
        for name, what, points, message in rows
    )
    head = say["head"].format(score=f"{result.score:g}", max=f"{result.max_score:g}", status=result.status)
    detail = translate(result.detail, edition) if result.detail else ""
    summary = (
        f'<div class="autograder-summary" dir="{say["dir"]}" lang="{edition}" '
        'style="margin:1em 2em;font-family:sans-serif">'
        f"<h2>{html.escape(head)}</h2>"
        + (f"<p>{html.escape(detail)}</p>" if detail else "")
        + '<table border="1" cellpadding="4" style="border-collapse:collapse">'
        f"<tr><th>{say['check']}</th><th>{say['what']}</th><th>{say['points']}</th><th>{say['message']}</th></tr>"
        f"{body}</table></div>"
    )
    text = path.read_text(encoding="utf-8")
    at = text.find(">", text.find("<body")) + 1
    path.write_text(text[:at] + summary + text[at:], encoding="utf-8")


def _title(check_id: str, edition: str) -> str:
    try:
        return title(get(check_id), edition)
    except KeyError:
        return ""
