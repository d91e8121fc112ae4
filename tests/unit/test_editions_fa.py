"""Is a Persian edition the English notebook with Persian prose, and are messages translated by
their English pieces?"""

import shutil

import nbformat
import pytest
import yaml

from autograder import course as course_mod
from autograder.authoring import editions
from autograder.checks import _translate
from autograder.course import CourseError

from ..conftest import ROOT

ID = "01-activations"


@pytest.fixture
def course(tmp_path):
    """A copy of the course whose 01 has a (made-up) Persian translation of every markdown cell."""
    for name in ("course.yml",):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions", symlinks=True)
    c = course_mod.load(tmp_path)
    a = c.assignment(ID)
    nb = nbformat.read(c.source_notebook(a), as_version=4)
    cells = {
        cell.id: f'<div dir="rtl" lang="fa">\n\nمتن فارسی {i}\n\n</div>'
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown"
    }
    c.translation(a, "fa").write_text(yaml.safe_dump({"cells": cells}, allow_unicode=True), encoding="utf-8")
    return c


def test_the_persian_source_has_the_english_code_ids_and_metadata(course):
    a = course.assignment(ID)
    english = nbformat.read(course.source_notebook(a), as_version=4)
    persian = editions.source(course, a, "fa")
    assert [c.id for c in persian.cells] == [c.id for c in english.cells]
    for en, fa in zip(english.cells, persian.cells):
        assert en.metadata == fa.metadata
        if en.cell_type == "code":
            assert en.source == fa.source
        else:
            assert _translate.persian_share(fa.source) > 0.9
    assert _translate.edition_of(persian) == "fa" and _translate.edition_of(english) == "en"
    assert course.editions(a) == ["en", "fa"]
    untranslated = course.assignment("00-foundations")
    course.translation(untranslated, "fa").unlink(missing_ok=True)
    assert course.editions(untranslated) == ["en"]  # an assignment without a translation has one edition


def test_a_translation_missing_a_cell_or_naming_a_stray_one_is_refused(course):
    a = course.assignment(ID)
    path = course.translation(a, "fa")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    first = next(iter(data["cells"]))
    del data["cells"][first]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CourseError, match=f"no translation of the markdown cell.s. {first}"):
        editions.source(course, a, "fa")
    data["cells"][first] = "x"
    data["cells"]["not-a-cell"] = "y"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CourseError, match="not-a-cell"):
        editions.source(course, a, "fa")


def test_the_edition_of_a_notebook_without_metadata_is_read_from_its_prose():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("این یک متن فارسی است با `code`.")])
    assert _translate.edition_of(nb) == "fa"
    nb.cells[0].source = "An English sentence with a little فارسی."
    assert _translate.edition_of(nb) == "en"


def test_messages_are_translated_piece_by_piece_with_their_values(monkeypatch):
    pieces = {
        "{what} is wrong{where}: got {actual[worst]}, expected {expected[worst]} ({int(np.sum(off))} of "
        "{error.size} values off). {hint}": "{what} نادرست است{where}: {actual[worst]} به جای "
        "{expected[worst]} ({int(np.sum(off))} از {error.size} مقدار). {hint}",
        "the output of `{name}`": "خروجی `{name}`",
        "Use |a| (`keras.ops.abs`).": "از |a| استفاده کنید (`keras.ops.abs`).",
        " at index {tuple(int(i) for i in worst)}": " در اندیس {tuple(int(i) for i in worst)}",
    }
    monkeypatch.setattr(_translate, "catalog", lambda edition: _compile(pieces))
    message = (
        "the output of `FlexibleSigmoid` is wrong at index (3,): got 0.5, expected 1.5 (2 of 9 values off). "
        "Use |a| (`keras.ops.abs`)."
    )
    out = _translate.translate(message, "fa")
    assert out == (
        "خروجی `FlexibleSigmoid` نادرست است در اندیس (3,): 0.5 به جای 1.5 (2 از 9 مقدار). "
        "از |a| استفاده کنید (`keras.ops.abs`)."
    )
    assert _translate.translate(out, "fa") == out  # already Persian
    assert _translate.translate("something nobody wrote down", "fa").endswith(_translate.FALLBACK_NOTE["fa"])
    assert _translate.translate(message, "en") == message


def _compile(pieces):
    import re

    out = []
    for english, translated in sorted(pieces.items(), key=lambda kv: -len(_translate.FIELD.sub("", kv[0]))):
        fields = _translate.FIELD.findall(english)
        parts = _translate.FIELD.split(english)
        pattern = re.escape(parts[0])
        for i, part in enumerate(parts[1:]):
            pattern += ("(.*)" if i == len(fields) - 1 and not part else "(.*?)") + re.escape(part)
        out.append((re.compile(pattern, re.S), translated, fields))
    return tuple(out)
