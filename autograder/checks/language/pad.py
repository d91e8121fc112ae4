"""``pad.*``: a batch of sentences of different lengths as one integer array.

A recurrent network takes a batch as one array (n, T), so sentences of different lengths are
**post**-padded with 0 — the words first, then zeros — and a sentence longer than T keeps its
first T words. Position t of a row is then the t-th word of its sentence, the tags line up with
the words, and ``Embedding(mask_zero=True)`` masks the zeros. Keras's
``keras.utils.pad_sequences`` pads and truncates at the *front* by default (``padding="pre"``,
``truncating="pre"``), the classic trap.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, returned


def ref_pad_batch(sequences, maxlen, *, padding="post", truncating="post", value=0, fill="value"):
    """The reference (n, maxlen) int64 array; each keyword argument turns on one known mistake:
    ``padding``/``truncating`` ``"pre"`` (Keras's defaults), ``value`` the padding id, ``fill``
    ``"last"`` repeats a sentence's last id into its padding."""
    out = np.full((len(sequences), maxlen), value, np.int64)
    for i, sequence in enumerate(sequences):
        sequence = [int(s) for s in sequence]
        kept = sequence[-maxlen:] if truncating == "pre" and len(sequence) > maxlen else sequence[:maxlen]
        if padding == "pre":
            out[i, maxlen - len(kept) :] = kept
        else:
            out[i, : len(kept)] = kept
            if fill == "last" and kept:
                out[i, len(kept) :] = kept[-1]
    return out


MISTAKES = (
    (
        lambda s, m: ref_pad_batch(s, m, padding="pre", truncating="pre"),
        'You padded and truncated at the front, the defaults of `keras.utils.pad_sequences` (`padding="pre"`, '
        '`truncating="pre"`): here the words come first and the zeros after them, and a long sentence keeps '
        'its first words (`padding="post", truncating="post"`).',
    ),
    (
        lambda s, m: ref_pad_batch(s, m, padding="pre"),
        'You padded at the front (pre-padding, the default of `keras.utils.pad_sequences`, `padding="pre"`): '
        "put the words first and the zeros after them, so that column t holds the t-th word of every sentence "
        "and the tags line up with the words.",
    ),
    (
        lambda s, m: ref_pad_batch(s, m, truncating="pre"),
        'A sentence longer than `maxlen` kept its last `maxlen` words (`truncating="pre"`, Keras\'s default): '
        "keep its first `maxlen` words, `sequence[:maxlen]`.",
    ),
    (
        lambda s, m: ref_pad_batch(s, m, value=-1),
        "You padded with −1: pad with 0, the id that `Embedding(mask_zero=True)` masks (−1 is no row of an embedding).",
    ),
    (
        lambda s, m: ref_pad_batch(s, m, fill="last"),
        "You repeated each sentence's last word into its padding: the padding is 0, which no word is, so that "
        "the mask and `masked_accuracy` can tell it from the words.",
    ),
)

CASES = (  # (what, sequences, maxlen)
    (
        "5 sentences of 3, 1, 7, 0 and 5 words with `maxlen=5`",
        ((5, 3, 8), (2,), (7, 1, 4, 6, 9, 2, 5), (), (4, 4, 4, 4, 4)),
        5,
    ),
    ("3 sentences of 2, 4 and 1 words with `maxlen=6`", ((12, 30), (1, 29, 9, 16), (7,)), 6),
)

batch = new(
    "pad.batch",
    1,
    "`pad_batch`: an (n, maxlen) integer array, words first and 0 after them, a long sentence cut to its "
    "first `maxlen` words",
)


@batch.probe
def _(pad_batch):
    record = {}
    for i, (_, sequences, maxlen) in enumerate(CASES):
        value = pad_batch([list(s) for s in sequences], maxlen)
        record[f"case{i}"] = returned(value, "`pad_batch`")
    return record


@batch.verify
def _(r):
    for i, (what, sequences, maxlen) in enumerate(CASES):
        got = np.asarray(r[f"case{i}"])
        expected = ref_pad_batch(sequences, maxlen)
        call = f"`pad_batch` on {what}"
        if got.shape != expected.shape:
            raise Fail(f"{call} has shape {got.shape}, expected (n, maxlen) = {expected.shape}.")
        if got.dtype.kind not in "iu":
            if np.array_equal(got, expected):
                raise Fail(
                    f"{call} returned {got.dtype} numbers: word ids are integers, "
                    "e.g. `np.zeros((len(sequences), maxlen), dtype=np.int32)`."
                )
            raise Fail(f"{call} returned {got.dtype} numbers, not integer word ids.")
        if not np.array_equal(got, expected):
            hint = expect.diagnose(got, MISTAKES, sequences, maxlen, rtol=0, atol=0)
            hint = hint or "Copy each sentence's first `maxlen` ids to the start of its row; leave the rest 0."
            row = int(np.argmax(np.any(got != expected, axis=1)))
            raise Fail(f"{call}: row {row} is {got[row].tolist()}, expected {expected[row].tolist()}. {hint}")
