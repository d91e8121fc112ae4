"""Has every assignment a Persian edition that is the English notebook with Persian prose — the
same code cells, ids and grade ids, every formula and code span of the English, the prose in
right-to-left blocks, the mark schemes translated?"""

import collections
import re

import nbformat
import pytest

from autograder import course as course_mod
from autograder.authoring import editions
from autograder.checks._translate import persian_share

from ..conftest import ROOT

COURSE = course_mod.load(ROOT)
IDS = [a.id for a in COURSE.assignments]
MATH = re.compile(r"\$\$.*?\$\$|\$[^$]+\$", re.S)
FENCE = re.compile(r"```.*?```", re.S)
CODE = re.compile(r"`[^`]+`")
LTR_BLOCK = re.compile(r'<div dir="ltr">.*?</div>', re.S)  # code blocks and reference lists, kept as written
RTL = '<div dir="rtl" lang="fa">\n\n'
MARK_SCHEME = ("=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ===")


def _pairs(assignment_id):
    a = COURSE.assignment(assignment_id)
    english = nbformat.read(COURSE.source_notebook(a), as_version=4)
    return list(zip(english.cells, editions.source(COURSE, a, "fa").cells))


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_persian_edition_has_the_english_code_cells_ids_and_grade_ids(assignment_id):
    a = COURSE.assignment(assignment_id)
    assert COURSE.editions(a) == ["en", "fa"], f"{assignment_id} has no Persian translation"
    pairs = _pairs(assignment_id)
    assert len(pairs) == len(nbformat.read(COURSE.source_notebook(a), as_version=4).cells)
    for en, fa in pairs:
        assert (en.id, en.cell_type, en.metadata) == (fa.id, fa.cell_type, fa.metadata)
        if en.cell_type == "code":
            assert en.source == fa.source, en.id


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_persian_prose_is_persian_in_right_to_left_blocks(assignment_id):
    letters = persian = 0
    for en, fa in _pairs(assignment_id):
        if en.cell_type != "markdown":
            continue
        assert RTL in fa.source, f"{en.id}: no right-to-left block"
        assert fa.source.count("<div") == fa.source.count("</div>"), en.id
        text = LTR_BLOCK.sub(" ", fa.source)
        share = persian_share(text)
        prose = len(re.findall(r"[A-Za-z\u0600-\u06FF]", text))
        letters, persian = letters + prose, persian + share * prose
    assert persian / letters > 0.85, f"only {persian / letters:.0%} of the Persian edition's prose letters are Persian"


@pytest.mark.parametrize("assignment_id", IDS)
def test_formulas_and_code_are_the_english_ones(assignment_id):
    for en, fa in _pairs(assignment_id):
        if en.cell_type != "markdown":
            continue
        for what, pattern, strip in (
            ("formulas", MATH, FENCE),
            ("code blocks", FENCE, None),
            ("code spans", CODE, FENCE),
        ):
            english, persian = (  # a span broken over two lines is the same span
                collections.Counter(
                    " ".join(m.split()) for m in pattern.findall(strip.sub(" ", cell.source) if strip else cell.source)
                )
                for cell in (en, fa)
            )
            assert english == persian, f"{en.id}: {what} differ: {list((english - persian) + (persian - english))[:4]}"


@pytest.mark.parametrize("assignment_id", IDS)
def test_written_answers_keep_a_translated_mark_scheme(assignment_id):
    written = [
        (en, fa)
        for en, fa in _pairs(assignment_id)
        if en.metadata.get("nbgrader", {}).get("solution") and en.cell_type == "markdown"
    ]
    for en, fa in written:
        for marker in MARK_SCHEME:
            assert re.search(rf"^{re.escape(marker)}$", fa.source, re.M), (
                f"{en.id}: {marker} is not on a line of its own"
            )
        scheme = fa.source.split(MARK_SCHEME[0])[1].split(MARK_SCHEME[1])[0]
        assert persian_share(scheme) > 0.6, f"{en.id}: the mark scheme is not in Persian"


@pytest.mark.parametrize("assignment_id", IDS)
def test_both_editions_end_by_pointing_to_the_glossary_in_their_own_language(assignment_id):
    last_en, last_fa = _pairs(assignment_id)[-1]
    link = "](../../docs/glossary.md)"
    assert link in last_en.source and "glossary" in last_en.source
    outside_ltr = LTR_BLOCK.sub("", last_fa.source)  # a reference list may sit in an ltr block inside
    rtl_blocks = re.findall(r'<div dir="rtl" lang="fa">(.*?)</div>', outside_ltr, re.S)
    assert any(link in block and "واژه‌نامه" in block for block in rtl_blocks), assignment_id
