"""``tagger.*``: a recurrent part-of-speech tagger, one tag per word (many-to-many).

``build_tagger(vocab_size, num_tags, bidirectional=True)``: ``Embedding(vocab_size, 16,
mask_zero=True)`` → ``Bidirectional(GRU(32, return_sequences=True))`` (a plain ``GRU(32,
return_sequences=True)`` when ``bidirectional=False``) → ``Dense(num_tags, softmax)`` at every
step, compiled with Adam(0.01) and the sparse categorical cross-entropy (Keras applies the
embedding's mask to the loss: padded steps cost nothing).

The checks look at untrained networks (a graded training would cost more than the notebook's
share of the grading time: tracing a new GRU network takes ≈ 2 s on the course's machine):

* every word gets a distribution over the tags;
* the mask works: appending padding to the sentences leaves the outputs on their real words as
  they were (without ``mask_zero`` the backward direction reads the padding first);
* the bidirectional tagger's output at t moves when word t + 1 changes; the forward tagger's
  does not (it is causal), and it moves when an earlier word changes (the state carries the past).
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, quoted_error
from .._probes import compilation, layers_of
from ._grammar import MAX_LEN, TAGS, WORDS, tagged_sentences

SPEC_DIM, SPEC_UNITS, SPEC_LEARNING_RATE = 16, 32, 0.01
TEST_SEED, EXTRA_PADDING = 5, 6
CAUSAL_VOCAB, CAUSAL_TAGS = 20, 5  # not the grammar's sizes: the builder must use its arguments
CAUSAL_WORDS = np.array(
    [
        [3, 17, 8, 1, 12, 5, 9, 14],
        [6, 2, 19, 11, 4, 7, 0, 0],
        [13, 9, 9, 15, 18, 0, 0, 0],
        [10, 4, 16, 2, 6, 3, 1, 0],
    ],
    np.int32,
)
CAUSAL_LATER, CAUSAL_EARLIER = 4, 1  # the positions whose word the check changes


def _sentences():
    """The structure check's 4 sentences of the grammar, post-padded to ``MAX_LEN``."""
    words, _ = tagged_sentences(4, TEST_SEED)
    out = np.zeros((4, MAX_LEN), np.int32)
    for i, w in enumerate(words):
        out[i, : len(w)] = w
    return out


def _other_word(row_ids, vocab_size):
    """A different real word id at each position (1 … vocab_size − 1)."""
    return (row_ids % (vocab_size - 1)) + 1


def _spec(model):
    """What the check reads off the layers: embeddings, recurrent layers, dense layers, compilation."""
    import keras

    layers = layers_of(model)
    embeddings = [layer for layer in layers if isinstance(layer, keras.layers.Embedding)]
    recurrent = [layer for layer in layers if isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional))]
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    inner = [getattr(layer, "forward_layer", layer) for layer in recurrent]
    return {
        "embedding": np.asarray([(e.input_dim, e.output_dim) for e in embeddings], np.int64).reshape(-1, 2),
        "mask_zero": any(bool(getattr(e, "mask_zero", False)) for e in embeddings),
        "recurrent": np.asarray([type(layer).__name__ for layer in recurrent], str),
        "recurrent_inner": np.asarray([type(layer).__name__ for layer in inner], str),
        "units": np.asarray([getattr(layer, "units", -1) for layer in inner], np.int64),
        "dense_units": np.asarray([d.units for d in dense], np.int64),
        **compilation(model),
    }


def _moved(a, b, reference) -> float:
    """How far outputs ``a`` moved from ``b``, relative to the spread of ``reference``'s values
    (an untrained tagger's probabilities differ from each other by about 1e-2)."""
    reference = np.asarray(reference, np.float64)
    spread = max(float(reference.max() - reference.min()), 1e-6) if reference.size else 1.0
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)), initial=0.0)) / spread


MOVED = 1e-3  # relative: masked-out or causal outputs move by 0 (float noise at most); the others by ≥ 2e-2


# --------------------------------------------------------------------------- the bidirectional tagger

structure = new(
    "tagger.structure",
    2,
    "`build_tagger(vocab_size, num_tags)`: an embedding with a mask, a bidirectional GRU and a softmax at every "
    "word; appended padding changes no output on the words, the next word does",
)


@structure.probe
def _(build_tagger):
    import keras

    keras.utils.set_random_seed(0)
    model = build_tagger(len(WORDS), len(TAGS))
    words = _sentences()
    longer = np.pad(words, ((0, 0), (0, EXTRA_PADDING)))
    next_changed = words.copy()
    next_changed[:, 2] = _other_word(words[:, 2], len(WORDS))
    try:
        longer_probabilities = np.asarray(model(longer))[:, :MAX_LEN]
    except Exception as exc:
        raise Fail(
            f"`build_tagger` could not tag sentences padded to {MAX_LEN + EXTRA_PADDING} words "
            f'({quoted_error(exc)}): give the input a free length, `keras.Input((None,), dtype="int32")`.'
        ) from None
    return {
        "probabilities": model(words),
        "longer": longer_probabilities,
        "next_changed": model(next_changed),
        **_spec(model),
    }


def _verify_distributions(p, builder, shape, num_tags):
    if p.shape != shape:
        raise Fail(
            f"`{builder}` maps {shape[0]} sentences padded to {shape[1]} words to shape {p.shape}, expected "
            f"{shape}: one distribution over the {num_tags} tags per word (`return_sequences=True`, then "
            f"`Dense(num_tags)`, with the sizes the function is given)."
        )
    if not np.all(np.isfinite(p)) or p.min() < 0 or not np.allclose(p.sum(-1), 1, atol=1e-3):
        raise Fail(
            f"`{builder}`'s outputs are not distributions over the tags: end with "
            '`Dense(num_tags, activation="softmax")`.'
        )


def _verify_common_spec(r, builder, vocab_size):
    embedding = [tuple(e) for e in np.asarray(r["embedding"]).tolist()]
    if embedding != [(vocab_size, SPEC_DIM)]:
        raise Fail(
            f"`{builder}`'s embeddings are {embedding} as (input_dim, output_dim), expected "
            f"[({vocab_size}, {SPEC_DIM})]: `Embedding(vocab_size, {SPEC_DIM}, mask_zero=True)`."
        )
    if not bool(r["mask_zero"]):
        raise Fail(
            f"`{builder}`'s `Embedding` does not mask the padding (id 0): pass `mask_zero=True`, so that padded "
            "steps neither move the GRU nor count in the loss and the accuracy."
        )
    inner = np.asarray(r["recurrent_inner"]).tolist()
    units = np.asarray(r["units"]).tolist()
    if inner != ["GRU"] or units != [SPEC_UNITS]:
        found = ", ".join(f"{k}({u})" for k, u in zip(inner, units)) or "none"
        raise Fail(
            f"`{builder}`'s recurrent layers are {found}, expected one `GRU({SPEC_UNITS}, return_sequences=True)`."
        )
    if not bool(r["compiled"]):
        raise Fail(f"`{builder}` returns a model that is not compiled: call `model.compile(...)`.")
    if "sparse_categorical_crossentropy" not in str(r["loss"]).lower().replace(" ", "_"):
        raise Fail(
            f"`{builder}` compiles with the loss {str(r['loss']) or 'None'}: the targets are tag ids, use "
            '`loss="sparse_categorical_crossentropy"`.'
        )
    expect.adam(r, builder, SPEC_LEARNING_RATE)


@structure.verify
def _(r):
    builder = "build_tagger(vocab_size, num_tags)"
    words = _sentences()
    p = np.asarray(r["probabilities"], np.float64)
    _verify_distributions(p, builder, (len(words), MAX_LEN, len(TAGS)), len(TAGS))
    real = words != 0
    if _moved(np.asarray(r["longer"])[real], p[real], p[real]) > MOVED:
        raise Fail(
            f"Appending {EXTRA_PADDING} padding steps to the sentences changed the outputs on their real words: "
            "the backward direction reads the padding before the last word. Pass `mask_zero=True` to the "
            "`Embedding`, so that the GRU skips padded steps."
        )
    if _moved(np.asarray(r["next_changed"])[:, 1], p[:, 1], p[real]) <= MOVED:
        raise Fail(
            "Changing the third word of each sentence leaves the outputs on the second word as they were: the "
            "default tagger (`bidirectional=True`) reads left to right only. Wrap the GRU in `Bidirectional`, so "
            'that each word\'s tag can depend on the next word (what "light" is depends on it).'
        )
    if "Bidirectional" not in np.asarray(r["recurrent"]).tolist():
        raise Fail(
            f"`{builder}` has no `Bidirectional` layer: use `Bidirectional(GRU({SPEC_UNITS}, return_sequences=True))`."
        )
    _verify_common_spec(r, builder, len(WORDS))


# --------------------------------------------------------------------------- the forward tagger

causal = new(
    "tagger.causal",
    1,
    "`build_tagger(vocab_size, num_tags, bidirectional=False)`: a forward GRU, each tag depending on the words "
    "up to it and on no later word",
)


@causal.probe
def _(build_tagger):
    import keras

    keras.utils.set_random_seed(0)
    model = build_tagger(CAUSAL_VOCAB, CAUSAL_TAGS, bidirectional=False)
    words = CAUSAL_WORDS.copy()
    later, earlier = words.copy(), words.copy()
    later[:, CAUSAL_LATER] = _other_word(words[:, CAUSAL_LATER], CAUSAL_VOCAB)
    earlier[:, CAUSAL_EARLIER] = _other_word(words[:, CAUSAL_EARLIER], CAUSAL_VOCAB)
    return {"probabilities": model(words), "later": model(later), "earlier": model(earlier), **_spec(model)}


@causal.verify
def _(r):
    builder = f"build_tagger({CAUSAL_VOCAB}, {CAUSAL_TAGS}, bidirectional=False)"
    p = np.asarray(r["probabilities"], np.float64)
    _verify_distributions(p, builder, CAUSAL_WORDS.shape + (CAUSAL_TAGS,), CAUSAL_TAGS)
    real = CAUSAL_WORDS != 0
    if _moved(np.asarray(r["later"])[:, :CAUSAL_LATER], p[:, :CAUSAL_LATER], p[real]) > MOVED:
        raise Fail(
            f"`{builder}` looks ahead: changing word {CAUSAL_LATER + 1} of each sentence changed the outputs on the "
            f"words before it. With `bidirectional=False` use a plain `GRU({SPEC_UNITS}, return_sequences=True)`, "
            "not `Bidirectional`: a forward tagger decides each tag from the words up to it."
        )
    after = real.copy()
    after[:, : CAUSAL_EARLIER + 1] = False
    if _moved(np.asarray(r["earlier"])[after], p[after], p[real]) <= MOVED:
        raise Fail(
            f"`{builder}`'s outputs after word {CAUSAL_EARLIER + 1} do not change when that word changes: nothing "
            "carries the past. Put a recurrent layer between the embedding and the softmax, "
            f"`GRU({SPEC_UNITS}, return_sequences=True)`."
        )
    if "Bidirectional" in np.asarray(r["recurrent"]).tolist():
        raise Fail(f"`{builder}` has a `Bidirectional` layer: with `bidirectional=False` use the GRU alone.")
    _verify_common_spec(r, builder, CAUSAL_VOCAB)
