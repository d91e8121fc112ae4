"""Is the Persian glossary the deck's own words, free of duplicates, and is its page up to date?

The seed (the deck's text) lives beside the repository in ../shared/seed; without it the tests
that compare with the deck are skipped, saying so.
"""

from __future__ import annotations

import importlib.util
import re

import pytest

from ..conftest import ROOT

SEED = ROOT.parent / "shared" / "seed"
ZWNJ = "\u200c"  # zero-width non-joiner: the deck's extracted text lost every one of them


def _glossary():
    spec = importlib.util.spec_from_file_location("glossary", ROOT / "tools" / "glossary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GLOSSARY = _glossary()
TERMS = GLOSSARY.load()
COURSE_TERMS = GLOSSARY.load(section="course_terms")


def _seed(name: str) -> str:
    path = SEED / name
    if not path.is_file():
        pytest.skip(f"the deck's text {path} is not here (it sits beside the repository, in ../shared/seed)")
    return re.sub(r"\s+", " ", path.read_text(encoding="utf-8"))  # a phrase may wrap across lines


def test_the_glossary_has_the_decks_main_terms():
    english = {t["en"] for t in TERMS}
    assert 40 <= len(TERMS) <= 60
    assert {
        "neural network",
        "activation functions",
        "weight sharing",
        "autoencoders",
        "recurrent networks",
        "vanishing gradients",
        "layer-by-layer training",
        "cost function",
    } <= english


def test_every_persian_term_is_the_decks_own_words():
    """Word for word as the deck writes it; the only difference allowed is a restored ZWNJ."""
    deck = _seed("deep-learning-introduction.fa.txt")
    missing = [t["fa"] for t in TERMS if t["fa"].replace(ZWNJ, "") not in deck]
    assert missing == []
    assert all(re.search(r"[\u0600-\u06FF]", t["fa"]) for t in TERMS)  # Persian, not English left as is


def test_every_english_term_is_the_english_renderings_own_words():
    rendering = _seed("deep-learning-introduction.en.md").lower()
    assert [t["en"] for t in TERMS if t["en"].lower() not in rendering] == []


def test_no_term_appears_twice_in_either_language():
    for language in ("en", "fa"):
        words = [t[language].lower() for t in TERMS + COURSE_TERMS]
        assert sorted({w for w in words if words.count(w) > 1}) == [], language


def test_glossary_page_is_generated_from_the_yaml():
    page = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    assert page == GLOSSARY.render(TERMS, COURSE_TERMS), "run: python tools/glossary.py"
    # every Persian cell (two where a standard term stands beside the deck's), the title, two headers
    spans = len(TERMS) + len(COURSE_TERMS) + sum(1 for t in TERMS if t.get("term")) + 3
    assert page.count('<span dir="rtl">') == spans


def test_readme_links_the_glossary():
    assert "(docs/glossary.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_course_terms_are_persian_and_cover_what_the_course_teaches():
    english = {t["en"] for t in COURSE_TERMS}
    assert {
        "learning rate",
        "mini-batch",
        "backpropagation through time",
        "batch normalisation",
        "residual connection",
        "convolution",
        "padding",
        "stride",
        "encoder",
        "decoder",
        "Jacobian",
        "Hessian",
        "confusion matrix",
        "teacher forcing",
        "hidden state",
        "Adam",
        "RMSProp",
        "object detection",
        "image captioning",
        "part-of-speech tagging",
        "multiple-object tracking",
        "connectionist temporal classification (CTC)",
        "greedy decoding",
    } <= english
    assert all(re.search(r"[\u0600-\u06FF]", t["fa"]) or t["en"] == t["fa"] for t in COURSE_TERMS)


def test_deck_sentences_carry_the_standard_term_beside_them():
    by_english = {t["en"]: t for t in TERMS}
    assert by_english["weight sharing"]["term"] == "اشتراک وزن‌ها"
    assert by_english["negative log-likelihood"]["term"] == "منفی لگاریتم درست‌نمایی"


def test_the_course_says_activation_function_in_one_word_everywhere():
    """The glossary's تابع فعال‌ساز (the deck's word), never the variant فعال‌سازی, in the course's
    Persian titles, its notebooks and its Persian messages."""
    term = next(t["fa"] for t in COURSE_TERMS if t["en"] == "activation function")
    assert term == "تابع فعال‌ساز"
    variants = [f"{word} فعال{ZWNJ}سازی" for word in ("تابع", "توابع")]  # "activations" (values) may be فعال‌سازی‌ها
    places = [ROOT / "course.yml", *ROOT.glob("solutions/*/*.ipynb"), *ROOT.glob("solutions/*/*.fa.yml")]
    places += [*ROOT.glob("autograder/checks/**/fa.yml"), *ROOT.glob("autograder/engine/fa.yml")]
    assert [p.relative_to(ROOT) for p in places if any(v in p.read_text(encoding="utf-8") for v in variants)] == []
