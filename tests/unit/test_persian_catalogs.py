"""Does every message the grader and the check library show people have its Persian, with the
same values in it?"""

import re

import pytest
import yaml

from autograder.authoring import translations
from autograder.checks import _translate

CATALOGS = translations.catalog_files("fa")


def entries(path):
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {} if path.is_file() else {}


def test_every_piece_of_every_module_has_a_persian_translation():
    left = {
        str(path.relative_to(translations.CHECKS.parents[1])): p for path, p in translations.missing("fa").items() if p
    }
    assert left == {}, "run `python -m autograder.authoring.translations fa --write` and translate the new pieces"


@pytest.mark.parametrize("catalog", sorted(CATALOGS), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_translation_keeps_every_field_of_its_english_and_is_persian(catalog):
    for english, persian in entries(catalog).items():
        assert sorted(_translate.FIELD.findall(english)) == sorted(_translate.FIELD.findall(persian)), english
        letters = re.sub(r"`[^`]*`|\{[^{}]*\}", "", english)
        if len(re.findall(r"[A-Za-z]{3,}", letters)) >= 2 and persian != english:
            assert _translate.PERSIAN.search(persian), english


def test_a_message_built_from_pieces_comes_out_whole_in_persian_with_its_values():
    message = "the output `y` is None: does the function end without `return`?"
    english = "{what} is None: does the function end without `return`?"
    assert english in entries(translations.CHECKS / "fa.yml")
    persian = _translate.translate(message, "fa")
    assert "`y`" in persian and "`return`" in persian
    assert _translate.persian_share(persian) > 0.5 and not persian.endswith(_translate.FALLBACK_NOTE["fa"])
