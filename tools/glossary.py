"""Write docs/glossary.md from docs/glossary.yml: the deck's terms, English ↔ Persian.

    python tools/glossary.py

The Persian cells are right-to-left spans, which GitHub and Jupyter both render; the column is
right-aligned. tests/test_glossary.py fails when the markdown and the YAML disagree.
"""

from __future__ import annotations

from pathlib import Path

import yaml

DOCS = Path(__file__).resolve().parents[1] / "docs"
HEADER = """\
# Glossary: the deck's terms in English and Persian

The terms of the slide deck *Introduction to Deep Learning*
(<span dir="rtl">مقدمه بر یادگیری عمیق</span>), in the order it teaches them. The Persian is the
deck's own wording (with the zero-width non-joiners its extracted text lost put back); the English
is the wording of its English rendering. Generated from [`glossary.yml`](glossary.yml) by
`python tools/glossary.py`: edit the YAML, not this file.

| English | <span dir="rtl">فارسی</span> |
|---|---:|
"""


COURSE_HEADER = """
## The course's own terms

Terms the course uses that the deck does not name, in the standard Persian of textbooks and
courses (the English kept in brackets where readers know a term best by it). Every Persian
edition uses these words.

| English | <span dir="rtl">فارسی</span> |
|---|---:|
"""


def load(path: Path = DOCS / "glossary.yml", section: str = "terms") -> list[dict[str, str]]:
    """The terms of ``section`` (``terms``: the deck's; ``course_terms``: the course's), each
    ``{"en": ..., "fa": ...[, "term": ...]}``, in the file's order."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))[section]


def _row(t: dict[str, str]) -> str:
    fa = f'<span dir="rtl">{t["fa"]}</span>'
    if t.get("term"):  # the deck's sentence, and the standard term beside it
        fa = f'<span dir="rtl">{t["term"]}</span> (<span dir="rtl">{t["fa"]}</span>)'
    return f"| {t['en']} | {fa} |"


def render(terms: list[dict[str, str]], course_terms: list[dict[str, str]] | None = None) -> str:
    """The markdown page: one table row per term, the Persian in a right-to-left span."""
    page = HEADER + "\n".join(_row(t) for t in terms) + "\n"
    if course_terms:
        page += COURSE_HEADER + "\n".join(_row(t) for t in course_terms) + "\n"
    return page


def main() -> None:
    target = DOCS / "glossary.md"
    target.write_text(render(load(), load(section="course_terms")), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
