"""``captioner.*``: a CNN encoder and a recurrent decoder that writes a scene's caption
(Vinyals et al. 2015, "Show and Tell", at toy scale).

The encoder's three 3×3 convolutions (each followed by 2×2 pooling) and a linear ``Dense(64)``
turn the 32×32 scene into the GRU's initial state h₀; the decoder reads the caption so far
(teacher forcing: ``<start>`` w₁ … wₙ) through an ``Embedding(14, 16, mask_zero=True)`` and the
GRU, and a softmax over the 14 tokens at every step gives p(w_{t+1} | w_≤t, image). Every step
sees only the words before it (the decoder is causal), and every step depends on the image.

No graded training: a new Keras model with a GRU costs ≈ 1.8 s to trace before its first step on
this course's two-core machine, more than the notebook's share of the grading budget; the
notebook's demonstration trains it (and a blind twin) instead.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from .._probes import compilation, layers_of
from ._shared import END, MAX_CAPTION, START, VOCAB
from .crnn import verify_convolutions

STEPS = MAX_CAPTION + 1
TEST_SEED = 4
MAX_CAPTIONER_PARAMS = 80_000
SPEC_FILTERS, SPEC_UNITS, SPEC_LEARNING_RATE = (16, 32, 32), 64, 0.005


def pairs(captions):
    """Teacher forcing's (inputs, targets), for the checks' own data (the notebook's task is the student's)."""
    inputs = np.zeros((len(captions), STEPS), np.int32)
    targets = np.zeros((len(captions), STEPS), np.int32)
    for i, caption in enumerate(captions):
        inputs[i, 0], inputs[i, 1 : len(caption) + 1] = START, caption
        targets[i, : len(caption)], targets[i, len(caption)] = caption, END
    return inputs, targets


# --------------------------------------------------------------------------- the network

structure = new(
    "captioner.structure",
    1,
    "`build_captioner()` maps (scenes, tokens) to a distribution over the next token at every step, each "
    "step seeing the image and only the words before it",
)


@structure.probe
def _(build_captioner):
    import keras

    from ._shared import captioned_scenes

    keras.utils.set_random_seed(0)
    model = build_captioner()
    images, captions, _ = captioned_scenes(4, seed=TEST_SEED)
    inputs, _ = pairs(captions)
    later = inputs.copy()
    later[:, 4:] = np.where(later[:, 4:] > 0, 3 + (later[:, 4:] - 2) % (len(VOCAB) - 3), 0)  # other words from step 4
    layers = layers_of(model)
    convs = [layer for layer in layers if isinstance(layer, keras.layers.Conv2D)]
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    embeddings = [layer for layer in layers if isinstance(layer, keras.layers.Embedding)]
    pools = [layer for layer in layers if isinstance(layer, keras.layers.MaxPooling2D)]
    recurrent = [layer for layer in layers if isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional))]
    return {
        "probabilities": model([images, inputs]),
        "later_words": model([images, later]),
        "other_images": model([images[::-1], inputs]),
        "n_params": model.count_params(),
        "filters": np.asarray([c.filters for c in convs], np.int64),
        "kernels": np.asarray([c.kernel_size for c in convs], np.int64).reshape(-1, 2),
        "activations": np.asarray([keras.activations.serialize(c.activation) for c in convs], str),
        "paddings": np.asarray([c.padding for c in convs], str),
        "pools": np.asarray([p.pool_size for p in pools], np.int64).reshape(-1, 2),
        "embedding": np.asarray([(e.input_dim, e.output_dim) for e in embeddings], np.int64).reshape(-1, 2),
        "dense_activations": np.asarray([keras.activations.serialize(d.activation) for d in dense], str),
        "dense_units": np.asarray([d.units for d in dense], np.int64),
        "mask_zero": any(bool(getattr(e, "mask_zero", False)) for e in embeddings),
        "recurrent": np.asarray([type(layer).__name__ for layer in recurrent], str),
        **compilation(model),
    }


@structure.verify
def _(r):
    p = np.asarray(r["probabilities"], np.float64)
    expected = (4, STEPS, len(VOCAB))
    if p.shape != expected:
        raise Fail(
            f"`build_captioner()` maps 4 scenes and their (4, {STEPS}) token rows to shape {p.shape}, expected "
            f"{expected}: one distribution over the {len(VOCAB)} tokens per step (`return_sequences=True`)."
        )
    if not np.all(np.isfinite(p)) or p.min() < 0 or not np.allclose(p.sum(-1), 1, atol=1e-3):
        raise Fail(
            "`build_captioner()`'s outputs are not distributions over the tokens: end with "
            f'`Dense({len(VOCAB)}, activation="softmax")`.'
        )
    sees_future = np.abs(np.asarray(r["later_words"], np.float64) - p)[:, :4].max() > 1e-5
    if sees_future:
        raise Fail(
            "Changing the words from step 4 on changes the predictions of steps 0–3: the decoder looks ahead. "
            "A step may see only the words before it: a plain (not `Bidirectional`) GRU over the caption so far."
        )
    if np.abs(np.asarray(r["other_images"], np.float64) - p)[:, 0].max() < 1e-5:
        raise Fail(
            "Other scenes give the same first-step predictions: the decoder does not see the image. Pass the "
            "encoder's `Dense(64)` output as the GRU's `initial_state`."
        )
    _verify_specification(r)


def _verify_specification(r):
    """Task 2.4 fixes the network; the graded training alone would not tell every design apart."""
    if int(r["n_params"]) > MAX_CAPTIONER_PARAMS:
        raise Fail(f"`build_captioner()` has {int(r['n_params'])} parameters, more than {MAX_CAPTIONER_PARAMS}.")
    if not bool(r["compiled"]):
        raise Fail("`build_captioner()` returns a model that is not compiled: call `model.compile(...)`.")
    filters = tuple(np.asarray(r["filters"]).tolist())
    if filters != SPEC_FILTERS:
        raise Fail(
            f"`build_captioner()`'s encoder has convolutions of {list(filters)} filters, expected "
            f"{list(SPEC_FILTERS)} (3×3, ReLU, each followed by a 2×2 max-pooling)."
        )
    verify_convolutions(r, "build_captioner()")
    pools = {tuple(p) for p in np.asarray(r["pools"]).tolist()}
    if pools != {(2, 2)} or len(np.asarray(r["pools"])) != 3:
        raise Fail(
            f"`build_captioner()`'s poolings are {np.asarray(r['pools']).tolist()}, expected three 2×2 "
            "(`MaxPooling2D(2)` after each convolution: 32 → 16 → 8 → 4)."
        )
    embedding = [tuple(e) for e in np.asarray(r["embedding"]).tolist()]
    if embedding != [(len(VOCAB), 16)]:
        raise Fail(
            f"`build_captioner()`'s embeddings are {embedding} as (input_dim, output_dim), expected "
            f"[({len(VOCAB)}, 16)]: `Embedding({len(VOCAB)}, 16, mask_zero=True)`, one row per token."
        )
    units = dict(zip(np.asarray(r["dense_units"]).tolist(), np.asarray(r["dense_activations"]).tolist()))
    if units.get(SPEC_UNITS) not in (None, "linear"):
        raise Fail(
            f"The encoder's `Dense({SPEC_UNITS})` uses the activation {units[SPEC_UNITS]}: leave it linear. The "
            "flattened features are large, a tanh there saturates, and its vanishing gradient starves the "
            "encoder (after training the colours the shapes are never learned)."
        )
    if not bool(r["mask_zero"]):
        raise Fail(
            "The `Embedding` does not mask `<pad>` (token 0): pass `mask_zero=True`, so that padded steps "
            "neither count in the loss nor move the GRU."
        )
    if "GRU" not in set(np.asarray(r["recurrent"]).tolist()):
        raise Fail(f"`build_captioner()`'s decoder should be a `GRU({SPEC_UNITS}, return_sequences=True)`.")
    if "sparse_categorical_crossentropy" not in str(r["loss"]).lower().replace(" ", "_"):
        raise Fail(
            f"`build_captioner()` compiles with the loss {str(r['loss']) or 'None'}: the targets are token ids, "
            'use `loss="sparse_categorical_crossentropy"`.'
        )
    expect.adam(r, "build_captioner()", SPEC_LEARNING_RATE)
