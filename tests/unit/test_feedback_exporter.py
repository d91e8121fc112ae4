"""Does the feedback exporter give the page nbconvert's HTMLExporter gives, without its
BeautifulSoup round trip?"""

import base64
import json

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter

from autograder.engine.feedback_exporter import MISSING_ALT, FeedbackExporter, accessible, write_highlighted

PIXEL = base64.b64encode(bytes.fromhex("89504e470d0a1a0a")).decode()  # any bytes: only the tag matters


def _notebook():
    v4 = nbformat.v4
    plot = v4.new_code_cell("plot()", execution_count=1)
    plot.outputs = [v4.new_output("display_data", data={"image/png": PIXEL, "text/plain": "<Figure>"})]
    return v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# Title\n\n![](figure.png) and ![a figure](other.png), $x > 0$ <b>bold</b>"),
            v4.new_code_cell("x = 1 > 0  # a comparison\nprint('<tag>')", execution_count=2),
            plot,
            v4.new_markdown_cell('<img src="raw.png"/> <img src="alt.png" alt="said">'),
        ],
        metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}},  # as a kernel ran it
    )


@pytest.mark.parametrize("template", ["lab", "classic"])
def test_the_page_is_the_html_exporters_page_once_beautifulsoup_reads_it(template):
    nb = _notebook()
    stock, _ = HTMLExporter(template_name=template).from_notebook_node(nb)
    ours, _ = FeedbackExporter(template_name=template).from_notebook_node(nb)
    assert str(BeautifulSoup(ours, features="html.parser")) == stock
    assert ours.count(f'alt="{MISSING_ALT}"') == 2  # the raw <img> and the plot (Markdown gives alt="")


def test_an_image_gets_alt_text_only_where_it_has_none():
    page = '<img src="a.png"><img src="b.png" alt="b"/><IMG SRC="c.png" />'
    assert accessible(page) == (
        f'<img src="a.png" alt="{MISSING_ALT}"><img src="b.png" alt="b"/><IMG SRC="c.png" alt="{MISSING_ALT}"/>'
    )


def test_jupyterlab_input_and_output_areas_become_focusable_once():
    page = '<div class="jp-Cell-inputWrapper x"><div class="jp-OutputArea-output" tabindex="1"><div class="y">'
    assert accessible(page) == (
        '<div class="jp-Cell-inputWrapper x" tabindex="0"><div class="jp-OutputArea-output" tabindex="1">'
        '<div class="y">'
    )


def _template(tmp_path, nb):
    release = tmp_path / "release" / "a1"
    release.mkdir(parents=True)
    nbformat.write(nb, release / "a1.ipynb")
    return write_highlighted(tmp_path, "a1", "a1.ipynb", lexer=nb.metadata.language_info.pygments_lexer)


def test_code_highlighted_once_per_batch_gives_the_same_page(tmp_path):
    nb = _notebook()
    highlighted = _template(tmp_path, nb)
    nb.cells.append(nbformat.v4.new_code_cell("y = 2  # only this student's"))  # not in the release
    fresh, _ = FeedbackExporter(template_name="classic").from_notebook_node(nb)
    remembered, _ = FeedbackExporter(template_name="classic", highlighted=str(highlighted)).from_notebook_node(nb)
    assert remembered == fresh
    assert "only this student" in remembered


def test_a_cell_of_the_release_is_looked_up_not_highlighted_again(tmp_path):
    nb = _notebook()
    highlighted = _template(tmp_path, nb)
    known = json.loads(highlighted.read_text())
    assert len(known) == 2  # the release's two code cells
    highlighted.write_text(json.dumps({k: f"<pre>remembered {i}</pre>" for i, k in enumerate(sorted(known))}))
    page, _ = FeedbackExporter(template_name="classic", highlighted=str(highlighted)).from_notebook_node(nb)
    assert page.count("<pre>remembered") == 2
