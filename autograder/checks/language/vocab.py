"""``vocab.*``: a character vocabulary, and text to ids and back.

    build_vocabulary(text) = ["<unk>"] + sorted(set(text))       id 0 is the unknown character
    encode(text, vocabulary) = [id of each character], 0 for one the vocabulary lacks (int64)
    decode(ids, vocabulary) = "".join(vocabulary[i] for i in ids)

Sorted, so that the same text gives the same ids in every run of Python (a ``set``'s order of
strings changes from one run to the next: ``PYTHONHASHSEED``); ``"<unk>"`` first, so that a
character met only in new text (a test set, a user's prompt) still has an id. Persian text keeps
its zero-width non-joiner (U+200C, the half-space of «می‌خواهم») as a character of its own.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, returned

UNK = "<unk>"
ZWNJ = "\u200c"


def ref_build_vocabulary(text, *, unk="first", dedupe=True, order="sorted"):
    """The reference vocabulary; each keyword argument turns on one known mistake (``BUILD_MISTAKES``):
    ``unk`` ``"none"`` / ``"last"`` / ``"sorted_in"``, ``dedupe=False`` keeps every occurrence,
    ``order="text"`` the order of first appearance."""
    if not dedupe:
        chars = list(text)
    elif order == "text":
        chars = list(dict.fromkeys(text))
    else:
        chars = sorted(set(text))
    if unk == "none":
        return chars
    if unk == "last":
        return chars + [UNK]
    if unk == "sorted_in":
        return sorted(set(chars) | {UNK})
    return [UNK] + chars


def ref_encode(text, vocabulary, *, shift=0, unseen=0):
    """The reference ids (int64); ``shift`` and ``unseen`` are known mistakes (``ENCODE_MISTAKES``)."""
    index = {c: i for i, c in enumerate(vocabulary)}
    return np.asarray([index[c] + shift if c in index else unseen for c in text], np.int64)


def ref_decode(ids, vocabulary, *, separator=""):
    return separator.join(vocabulary[int(i)] for i in np.asarray(ids).ravel())


# --------------------------------------------------------------------------- building

BUILD_CASES = (
    ("hello world", "a short English text"),
    ("بابا آب داد. بابا نان داد.", "a Persian sentence"),
    ("می\u200cخواهم بخوانم", "a Persian text with a zero-width non-joiner"),
    ("", "the empty text"),
)

build = new(
    "vocab.build",
    1,
    '`build_vocabulary(text)` = ["<unk>"] + the sorted distinct characters of the text (a list of strings)',
)


def _as_strings(value, what):
    """A student's list of strings as a record entry (a list, or a tuple, of str)."""
    value = returned(value, what)
    if not isinstance(value, (list, tuple)):
        raise Fail(f"{what} returned a {type(value).__name__}: return a list of strings, one per character.")
    if not all(isinstance(c, str) for c in value):
        raise Fail(f"{what} returned a list with items that are not strings: return a list of strings.")
    return value


@build.probe
def _(build_vocabulary):
    record = {}
    for i, (text, _) in enumerate(BUILD_CASES):
        record[f"case{i}"] = np.asarray(_as_strings(build_vocabulary(text), "`build_vocabulary`"), str)
    return record


BUILD_MISTAKES = (
    (
        lambda t: ref_build_vocabulary(t, unk="none"),
        'There is no "<unk>": put it first, so that id 0 is the unknown character; without it every id is '
        "shifted by one and a character the text lacks has no id.",
    ),
    (
        lambda t: ref_build_vocabulary(t, unk="last"),
        '"<unk>" is last: put it first, `["<unk>"] + sorted(set(text))`, so that id 0 is the unknown character.',
    ),
    (
        lambda t: ref_build_vocabulary(t, unk="sorted_in"),
        '"<unk>" was sorted with the characters: put it first, `["<unk>"] + sorted(set(text))`.',
    ),
    (
        lambda t: ref_build_vocabulary(t, dedupe=False),
        "Every occurrence of a character is in the list: keep each character once, `sorted(set(text))`.",
    ),
    (
        lambda t: ref_build_vocabulary(t, order="text"),
        "The characters are in the order they first appear in the text: sort them, `sorted(set(text))`, so that "
        "a vocabulary does not depend on which text came first.",
    ),
)


BUILD_FALLBACK = 'Return the list `["<unk>"] + sorted(set(text))`.'


def _listed(vocabulary) -> str:
    return "[" + ", ".join(repr(c) for c in vocabulary) + "]"


@build.verify
def _(r):
    for i, (text, name) in enumerate(BUILD_CASES):
        got = [str(c) for c in np.asarray(r[f"case{i}"]).ravel()]
        expected = ref_build_vocabulary(text)
        if got == expected:
            continue
        what = f"`build_vocabulary({text!r})` ({name})"
        hint = next((h for mistake, h in BUILD_MISTAKES if got == mistake(text)), "")
        if not hint and len(got) == len(expected) and sorted(got) == sorted(expected):
            hint = (
                "The right characters in another order: a `set`'s order changes from one run of Python to the next, "
                'so sort it, `sorted(set(text))`, after `"<unk>"`.'
            )
        if not hint and ZWNJ in text and ZWNJ not in got:
            hint = (
                "The zero-width non-joiner (U+200C, the half-space inside «می‌خواهم») is a character of the text: "
                "keep it."
            )
        raise Fail(f"{what} is {_listed(got)}, expected {_listed(expected)}. {hint or BUILD_FALLBACK}")


# --------------------------------------------------------------------------- encoding and decoding

CODEC_VOCABULARY = ("<unk>", " ", "ا", "ب", "د", "ن")  # build_vocabulary("بابا نان داد")
CODEC_SEEN = "نان داد بابا"  # every character is in the vocabulary
CODEC_UNSEEN = "بابا آب داد"  # «آ» is not
CODEC_IDS = np.array([3, 2, 5, 2, 1, 0, 4], np.int64)  # "بانا <unk>د": one id is 0


def codec_ids(text) -> np.ndarray:
    """The ids of a text of ``CODEC_SEEN``'s characters (the probe decodes them)."""
    return np.asarray([CODEC_VOCABULARY.index(c) for c in text], np.int64)


codec = new(
    "vocab.codec",
    1,
    "`encode(text, vocabulary)` gives each character's id (0 for one the vocabulary lacks) and "
    "`decode(ids, vocabulary)` joins their characters back into the text",
)


@codec.probe
def _(encode, decode):
    vocabulary = list(CODEC_VOCABULARY)
    seen = returned(encode(CODEC_SEEN, vocabulary), "`encode`")
    record = {"seen": seen, "vocabulary_kept": vocabulary == list(CODEC_VOCABULARY)}
    try:
        record["unseen"] = returned(encode(CODEC_UNSEEN, list(CODEC_VOCABULARY)), "`encode`")
        record["unseen_error"] = ""
    except (Fail, NotImplementedError):  # an unwritten solution says so itself
        raise
    except Exception as exc:  # the usual KeyError of a dictionary lookup: the verify explains it
        record["unseen"] = np.zeros(0, np.int64)
        record["unseen_error"] = f"{type(exc).__name__}: {exc}"[:120]
    for key in ("seen", "unseen"):
        array = np.asarray(record[key])
        record[f"{key}_dtype"] = array.dtype.kind if array.size else "i"
    for key, ids in (("round_trip", codec_ids(CODEC_SEEN)), ("with_unknown", CODEC_IDS.copy())):
        text = returned(decode(ids, list(CODEC_VOCABULARY)), "`decode`")
        if not isinstance(text, str):
            raise Fail(
                f'`decode` returned a {type(text).__name__}: return one string, `"".join(vocabulary[i] for i in ids)`.'
            )
        record[key] = text
    return record


ENCODE_MISTAKES = (
    (
        lambda t: ref_encode(t, CODEC_VOCABULARY, shift=-1),
        'Every id is one too small: a character\'s id is its index in the vocabulary, `"<unk>"` included '
        "(`vocabulary.index(c)`, or a dictionary built with `enumerate(vocabulary)`).",
    ),
    (
        lambda t: ref_encode(t, CODEC_VOCABULARY, shift=1),
        "Every id is one too large: a character's id is its index in the vocabulary (`enumerate` counts from 0).",
    ),
    (
        lambda t: ref_encode(t, CODEC_VOCABULARY, unseen=-1),
        'A character the vocabulary lacks got −1: give it 0, the id of `"<unk>"` (`index.get(c, 0)`).',
    ),
    (
        lambda t: ref_encode(t, CODEC_VOCABULARY, unseen=len(CODEC_VOCABULARY)),
        'A character the vocabulary lacks got the id len(vocabulary): give it 0, the id of `"<unk>"` '
        "(`index.get(c, 0)`).",
    ),
)


DECODE_FALLBACK = 'Join the characters `vocabulary[i]` of the ids, `"".join(...)`.'


def _verify_ids(got, text, dtype, what):
    expected = ref_encode(text, CODEC_VOCABULARY)
    got = np.asarray(got)
    expect.shape(got, expected.shape, f"{what} (one id per character)")
    if str(dtype) not in ("i", "u"):
        raise Fail(f"{what} has dtype kind {str(dtype)!r}: return integer ids, `np.array(ids, dtype=np.int64)`.")
    if not np.array_equal(got.astype(np.int64), expected):
        hint = next((h for mistake, h in ENCODE_MISTAKES if np.array_equal(got, mistake(text))), "")
        expect.equal(
            got.astype(np.int64),
            expected,
            what,
            hint or "A character's id is its index in the vocabulary, 0 if it lacks it.",
        )


@codec.verify
def _(r):
    if not bool(r["vocabulary_kept"]):
        raise Fail("`encode` changed the `vocabulary` list it was given: leave it as it is.")
    _verify_ids(r["seen"], CODEC_SEEN, r["seen_dtype"], f"`encode({CODEC_SEEN!r}, vocabulary)`")
    error = str(r["unseen_error"])
    if error:
        raise Fail(
            f"`encode({CODEC_UNSEEN!r}, vocabulary)` raised `{error}`: «آ» is not in the vocabulary. A character "
            'the vocabulary lacks gets id 0, `"<unk>"`: `index.get(c, 0)` instead of `index[c]`.'
        )
    _verify_ids(r["unseen"], CODEC_UNSEEN, r["unseen_dtype"], f"`encode({CODEC_UNSEEN!r}, vocabulary)`, «آ» unseen,")
    for key, ids in (("round_trip", ref_encode(CODEC_SEEN, CODEC_VOCABULARY)), ("with_unknown", CODEC_IDS)):
        got, expected = str(r[key]), ref_decode(ids, CODEC_VOCABULARY)
        if got == expected:
            continue
        what = f"`decode({ids.tolist()}, vocabulary)`"
        hint = ""
        if got == ref_decode(ids, CODEC_VOCABULARY, separator=" "):
            hint = 'You put a space between the characters: join them with nothing, `"".join(...)`.'
        elif got == ref_decode(ids, CODEC_VOCABULARY).replace(UNK, ""):
            hint = 'Id 0 reads as `"<unk>"` (`vocabulary[0]`): keep it, so that an unknown character shows.'
        raise Fail(f"{what} is {got!r}, expected {expected!r}. {hint or DECODE_FALLBACK}")
