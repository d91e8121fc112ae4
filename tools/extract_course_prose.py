"""Extract the Persian prose of the course's own notebooks into a small plain-text corpus, once.

    python tools/extract_course_prose.py [datasets/course-prose-fa/corpus.txt]

Assignment 08's demonstrations train character language models on it (the checks never read it).
The source is the markdown of the Persian editions, ``assignments-fa/*/*.ipynb``, in the order of
their names, and in each cell only what stands inside ``<div dir="rtl" lang="fa">``. What is not
Persian prose goes: nested left-to-right blocks (commands), code blocks and inline code, display
and inline LaTeX, tables, HTML tags, link targets, markdown's marks (headings, emphasis, list
markers), then every character outside the Persian letters, the zero-width non-joiner (U+200C,
kept: it is part of Persian spelling), the space and Persian punctuation (Latin words and ASCII
digits go with it, and the brackets they leave empty). One paragraph per line; a paragraph seen
before (the instructions every notebook repeats) is kept once, and one of fewer than
``MIN_WORDS`` words is dropped. Paragraphs are added in order until the corpus reaches
``TARGET_BYTES`` (about the first two and a half notebooks).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_BYTES = 55_000
MIN_WORDS = 4

RTL_OPEN = re.compile(r'<div dir="rtl" lang="fa">')
DIV = re.compile(r"<div\b[^>]*>|</div>")
FENCED = re.compile(r"```.*?```", re.S)
DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.S)
INLINE_MATH = re.compile(r"\$[^$\n]*\$")
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
TAG = re.compile(r"<[^>]+>")
PERSIAN_LETTERS = (
    "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقلمنهوىيپچژکگیۀ" + "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0654"
)
PUNCTUATION = "،؛؟.:!«»()—-"
KEPT = set(PERSIAN_LETTERS + PUNCTUATION + " \u200c")
ARABIC_FORMS = str.maketrans({"ي": "ی", "ك": "ک"})


def rtl_blocks(markdown: str) -> list[str]:
    """The text inside each ``<div dir="rtl" lang="fa">``, with the divs nested in it removed whole."""
    blocks = []
    for start in RTL_OPEN.finditer(markdown):
        depth, position, inner = 1, start.end(), []
        while depth and (tag := DIV.search(markdown, position)):
            if depth == 1:
                inner.append(markdown[position : tag.start()])
            if tag.group().startswith("</"):
                depth -= 1
            else:
                depth += 1
            position = tag.end()
        blocks.append("".join(inner))
    return blocks


def prose(block: str) -> list[str]:
    """The paragraphs of one block, reduced to Persian text."""
    text = FENCED.sub(" ", block)
    text = DISPLAY_MATH.sub(" ", text)
    lines = []
    for line in text.splitlines():
        if line.startswith(("    ", "\t")) or line.lstrip().startswith("|"):
            line = ""  # an indented code block, a table row
        line = re.sub(r"^\s*#+\s*", "", line)  # a heading
        line = re.sub(r"^\s*(?:[*+-]|\d+\.)\s+", "", line)  # a list item
        lines.append(line)
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", "\n".join(lines)):
        paragraph = INLINE_MATH.sub(" ", paragraph)
        paragraph = INLINE_CODE.sub(" ", paragraph)
        paragraph = LINK.sub(r"\1", paragraph)
        paragraph = TAG.sub(" ", paragraph)
        paragraph = paragraph.translate(ARABIC_FORMS)
        paragraph = "".join(c if c in KEPT else " " for c in paragraph.replace("\n", " "))
        paragraph = re.sub(r"\(\s*[^()\w\u0600-\u06ff]*\s*\)", " ", paragraph)  # brackets left empty
        paragraph = re.sub(r"«\s*»", " ", paragraph)
        paragraph = re.sub(r"(?<!\S)[.:،؛!—-]+(?!\S)", " ", paragraph)  # punctuation left alone
        paragraph = re.sub(r"\s+([.:،؛؟!)»])", r"\1", paragraph)
        paragraph = re.sub(r"([(«])\s+", r"\1", paragraph)
        paragraph = re.sub(r"\u200c+", "\u200c", paragraph)
        paragraph = re.sub(r"\s*\u200c\s*", lambda m: "\u200c" if m.group().strip(" ") else " ", paragraph)
        paragraph = re.sub(r" {2,}", " ", paragraph).strip(" .:،؛-—")
        if len(paragraph.split()) >= MIN_WORDS:
            paragraphs.append(paragraph + ("" if paragraph.endswith(("؟", "!", ".")) else "."))
    return paragraphs


def corpus(root: Path = ROOT) -> str:
    seen, kept, size = set(), [], 0
    for path in sorted(root.glob("assignments-fa/*/*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] != "markdown":
                continue
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for block in rtl_blocks(source):
                for paragraph in prose(block):
                    if paragraph not in seen and size < TARGET_BYTES:
                        seen.add(paragraph)
                        kept.append(paragraph)
                        size += len(paragraph.encode("utf-8")) + 1
    return "\n".join(kept) + "\n"


def main(target: Path) -> None:
    text = corpus()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    data = target.read_bytes()
    print(
        f"{target}: {len(data)} bytes, {len(text)} characters, {len(set(text))} distinct, {text.count(chr(10))} lines"
    )
    print(f"sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "datasets" / "course-prose-fa" / "corpus.txt"))
