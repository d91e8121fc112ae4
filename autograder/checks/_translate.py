"""The check library in Persian: titles and failure messages translated by their English text.

A check's message is built in English from literal pieces (``Fail("…")``, the ``what`` and
``hint`` of ``expect.close``, a title) and values (numbers, shapes, code). Each piece is listed
once in a catalog beside the code that writes it — ``checks/fa.yml`` for the shared library,
``checks/<topic>/fa.yml`` for a topic — as the English template (an f-string's fields written
as ``{expression}``, exactly as in the source) and its Persian. :func:`translate` replaces every
piece it finds in a message by its Persian, the values kept as they are, repeatedly, so a
sentence built from pieces inside pieces (a hint inside ``expect.close``'s frame) comes out whole.
``tests/checks/test_persian.py`` extracts every piece from the source and fails on one that has
no Persian: no check falls back to English silently.

Which edition a notebook is: :func:`edition_of` (its ``metadata.autograder.edition``, else the
share of Persian letters in its prose).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

EDITIONS = ("en", "fa")
FALLBACK_NOTE = {"fa": " (این پیام هنوز به فارسی ترجمه نشده است.)"}
CATALOG = "{edition}.yml"
FIELD = re.compile(r"\{[^{}]*\}")
PERSIAN = re.compile(r"[\u0600-\u06FF\uFB50-\uFDFF\uFE70-\uFEFF]")
LATIN = re.compile(r"[A-Za-z]")


def edition_of(nb) -> str:
    """``"fa"`` for a Persian edition of a notebook, else ``"en"``.

    Args:
        nb: a notebook (nbformat node or its JSON as a dict).
    """
    edition = (nb.get("metadata", {}).get("autograder") or {}).get("edition")
    if edition in EDITIONS:
        return edition
    prose = "".join(_source(c) for c in nb.get("cells", []) if c.get("cell_type") == "markdown")
    return "fa" if persian_share(prose) > 0.5 else "en"


NOT_PROSE = re.compile(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|<[^>]*>|https?://\S+", re.S)


def persian_share(text: str) -> float:
    """The share of Persian letters among the letters of ``text``'s prose: code, formulas, HTML
    tags and links aside (they stay Latin in a Persian edition)."""
    prose = NOT_PROSE.sub(" ", text)
    persian, latin = len(PERSIAN.findall(prose)), len(LATIN.findall(prose))
    return persian / (persian + latin) if persian + latin else 0.0


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


@functools.cache
def catalog(edition: str) -> tuple[tuple[re.Pattern, str, list[str]], ...]:
    """Every ``(English pattern, translation, fields)`` of ``edition``, longest English first."""
    import yaml

    here, name = Path(__file__).parent, CATALOG.format(edition=edition)
    entries: dict[str, str] = {}
    # The grader's own messages (statuses' details) are in engine/, where a kernel never looks.
    for path in [here / name, *sorted(here.glob(f"*/{name}")), here.parent / "engine" / name]:
        if path.is_file():
            entries.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    compiled = []
    for english, translated in sorted(entries.items(), key=lambda kv: -len(FIELD.sub("", kv[0]))):
        fields = FIELD.findall(english)
        parts = FIELD.split(english)
        pattern = re.escape(parts[0])
        for i, part in enumerate(parts[1:]):
            # A field that ends the piece takes the rest of the message (a hint); others the least.
            pattern += ("(.*)" if i == len(fields) - 1 and not part else "(.*?)") + re.escape(part)
        compiled.append((re.compile(pattern, re.S), translated, fields))
    return tuple(compiled)


def translate(text: str, edition: str) -> str:
    """``text`` with every catalogued English piece in ``edition``'s language (see the module)."""
    if edition == "en" or not text or (edition == "fa" and persian_share(text) > 0.5):
        return text  # nothing to do, or done already
    out = text
    for _ in range(8):  # pieces inside pieces: a few rounds at most
        before = out
        for pattern, translated, fields in catalog(edition):
            out = pattern.sub(lambda m, t=translated, f=fields: _fill(t, f, m.groups()), out)
        if out == before:
            break
    if out == text:
        return text + FALLBACK_NOTE.get(edition, "")
    return out


def _fill(translated: str, fields: list[str], values: tuple[str, ...]) -> str:
    by_field = dict(zip(fields, values))
    return FIELD.sub(lambda m: by_field.get(m.group(0), m.group(0)), translated)


def title(check, edition: str) -> str:
    """A check's title in ``edition``'s language."""
    return translate(check.title, edition) if edition != "en" else check.title


def notebook_edition() -> str:
    """The edition of the notebook this kernel runs, where Jupyter says which one it is
    (``JPY_SESSION_NAME``, set by Jupyter Server for a notebook's kernel); else ``"en"``."""
    path = os.environ.get("JPY_SESSION_NAME", "")
    if not path.endswith(".ipynb") or not os.path.isfile(path):
        return "en"
    return _edition_of_file(path, os.path.getmtime(path))


@functools.lru_cache(maxsize=8)
def _edition_of_file(path: str, mtime: float) -> str:
    import json

    try:
        with open(path, encoding="utf-8") as f:
            return edition_of(json.load(f))
    except (OSError, ValueError):
        return "en"
