"""nbconvert's HTML exporter for nbgrader's feedback, made cheap where every submission pays the same.

* ``HTMLExporter.from_notebook_node`` renders the page, then parses all of it with BeautifulSoup
  and writes it out again only to give images without one an ``alt`` text and to make
  JupyterLab's input and output areas focusable (``tabindex``). For a feedback page (≈ 0.4 MB,
  most of it CSS and highlighted code) that round trip is ≈ 0.3–0.8 s of a submission's grading;
  the same two edits made on the opening tags alone cost milliseconds.
* Most code cells of a submission are the release's, the same for every student: their
  highlighted HTML is made once per batch (:func:`write_highlighted`, into the template) and
  looked up, not lexed again by Pygments (≈ 0.1–0.3 s a submission).

Used by ``c.GenerateFeedback.exporter_class``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from traitlets import Unicode

HIGHLIGHTED = "highlighted.json"  # in a template folder: {key: highlighted HTML} of its release's code

MISSING_ALT = "No description has been provided for this image"  # nbconvert's own words
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
# JupyterLab's templates' cell input and output areas (nbgrader's classic feedback has none).
_FOCUSABLE = re.compile(r'<div\b[^>]*\sclass="[^"]*\b(?:jp-Cell-inputWrapper|jp-OutputArea-output)\b[^"]*"[^>]*>')


def accessible(html: str) -> str:
    """What ``HTMLExporter`` does to a rendered page: every ``<img>`` without ``alt`` gets
    nbconvert's text, every JupyterLab input and output area gets ``tabindex="0"`` (each as the
    tag's last attribute, where BeautifulSoup puts it).

    Args:
        html: the page as the templates rendered it.
    """
    html = _IMG.sub(lambda m: _with_attribute(m.group(0), "alt", MISSING_ALT), html)
    return _FOCUSABLE.sub(lambda m: _with_attribute(m.group(0), "tabindex", "0"), html)


def _with_attribute(tag: str, name: str, value: str) -> str:
    if re.search(rf"\s{name}\s*=", tag, re.IGNORECASE):
        return tag
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:end].rstrip()} {name}="{value}"{tag[end:]}'


class FeedbackExporter(HTMLExporter):
    """``HTMLExporter`` with the same page: its post-processing done by :func:`accessible`, the
    code cells found in :attr:`highlighted` not highlighted again."""

    highlighted = Unicode("", help="a file of highlighted code written by write_highlighted").tag(config=True)

    def from_notebook_node(self, nb, resources: dict[str, Any] | None = None, **kw: Any):
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        if self.highlighted and Path(self.highlighted).is_file() and isinstance(highlight_code, Highlight2HTML):
            known = json.loads(Path(self.highlighted).read_text(encoding="utf-8"))
            highlight_code = _Remembered(highlight_code, known)
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return accessible(html), resources


class _Remembered:
    """A highlight filter that looks a cell up before it calls ``highlight``."""

    def __init__(self, highlight: Highlight2HTML, known: dict[str, str]):
        self.highlight, self.known = highlight, known

    def __call__(self, source, language=None, metadata=None):
        found = self.known.get(_key(self.highlight, source, language, metadata))
        return found if found is not None else self.highlight(source, language, metadata)


def _key(highlight: Highlight2HTML, source: str, language, metadata) -> str:
    """What ``Highlight2HTML``'s output depends on: the source, the language (the notebook's
    lexer unless given; a cell's ``magics_language``) and the formatter's options."""
    magics = (metadata or {}).get("magics_language")
    what = [source, language or highlight.pygments_lexer, magics, highlight.extra_formatter_options]
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


def write_highlighted(template: Path, assignment_id: str, notebook: str, lexer: str = "ipython3") -> Path:
    """Highlight the code cells of ``template``'s release notebook once, as the feedback will;
    write them to ``template/highlighted.json``.

    Args:
        template: a template course folder (its ``release/<assignment>/<notebook>``).
        assignment_id, notebook: the assignment and its notebook's file name.
        lexer: the lexer the graded notebook names: run by IPython's kernel, its language_info
            says ``ipython3`` (the release, never run, says only ``python``).
    """
    nb = nbformat.read(template / "release" / assignment_id / notebook, as_version=4)
    highlight = Highlight2HTML(pygments_lexer=lexer)
    known = {
        _key(highlight, cell.source, None, cell.metadata): highlight(cell.source, None, cell.metadata)
        for cell in nb.cells
        if cell.cell_type == "code"
    }
    path = template / HIGHLIGHTED
    path.write_text(json.dumps(known), encoding="utf-8")
    return path
