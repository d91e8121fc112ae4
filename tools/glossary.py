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


def load(path: Path = DOCS / "glossary.yml") -> list[dict[str, str]]:
    """The terms, each ``{"en": ..., "fa": ...}``, in the file's order."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["terms"]


def render(terms: list[dict[str, str]]) -> str:
    """The markdown page: one table row per term, the Persian in a right-to-left span."""
    rows = [f'| {t["en"]} | <span dir="rtl">{t["fa"]}</span> |' for t in terms]
    return HEADER + "\n".join(rows) + "\n"


def main() -> None:
    target = DOCS / "glossary.md"
    target.write_text(render(load()), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
