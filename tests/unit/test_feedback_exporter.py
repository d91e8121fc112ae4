"""Does the feedback exporter give the page nbconvert's HTMLExporter gives, without its
BeautifulSoup round trip?"""

import base64

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter

from autograder.engine.feedback_exporter import MISSING_ALT, FeedbackExporter, accessible

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
        metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}},
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
