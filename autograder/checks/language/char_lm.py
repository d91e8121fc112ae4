"""``char_lm.*``: a recurrent character language model (Elman's recurrence, deck topics 6 and 9).

    Embedding(V, 16) → SimpleRNN(32, return_sequences=True) → Dense(V, softmax)

h_t = tanh(W_x e(w_t) + W_h h_{t−1} + b) carries everything read so far; the softmax at step t is
p(w_{t+1} | w_≤t), so the network is *causal*: its output at t cannot change when an input after t
does. The cost is the deck's negative log-likelihood (topic 11): sparse categorical cross-entropy
of the true next ids, the mean NLL per character; its exp is the perplexity.

The graded training: ``TRAIN_STEPS`` Adam steps (seeded) on windows of the Markov source of
``_source.py``, whose entropy rate H is known exactly, then the held-out perplexity. About 0.8 s on
one core: the train step's trace is most of it (the optimizer is built first, so that it is traced
once, not twice), the 60 steps ≈ 0.25 s. A bigram (n = 2)
cannot see the character two back, on which this source depends, so its perplexity stays near
4.6; exp(H) ≈ 2.33 is the best any model can do. The network must close most of that gap:
a perplexity of at most exp(H + ``LEARN_MARGIN``) ≈ 3.0 (the reference reaches 2.48–2.52 on
seeds 0–4). Below exp(H − ``LOOKAHEAD_MARGIN``) it would beat the source itself, which a model
that sees only the past cannot do: it sees the next character.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, quoted_error
from .._probes import compilation, layers_of, optimizer_built
from ._source import ENTROPY_RATE, VOCAB_SIZE, markov_ids

SPEC_EMBEDDING, SPEC_UNITS, SPEC_LEARNING_RATE = 16, 32, 0.03
STRUCTURE_VOCAB, STRUCTURE_SEED = 11, 3  # another V than the source's: `vocab_size` must be used
MAX_PARAMS = 4000  # the reference has 1,960

WINDOW, BATCH, TRAIN_STEPS = 16, 64, 60  # 3,840 windows of 16 characters, seen once
TRAIN_SEED, TEST_SEED, TEST_ROWS = 808, 809, 64
SKIP = 1  # scored from the second step of each window: every scored character has two before it
BASELINE_K = 0.1
LEARN_MARGIN, LOOKAHEAD_MARGIN = 0.25, 0.15  # nats per character
PERPLEXITY_BOUND = float(np.exp(ENTROPY_RATE + LEARN_MARGIN))

# --------------------------------------------------------------------------- the network

structure = new(
    "char_lm.structure",
    1,
    f"`build_char_lm(V)`: Embedding(V, {SPEC_EMBEDDING}) → SimpleRNN({SPEC_UNITS}, return_sequences=True) → "
    "Dense(V, softmax), a distribution over the next character at every step that sees only the steps before it",
)


@structure.probe
def _(build_char_lm):
    import keras

    keras.utils.set_random_seed(0)
    model = build_char_lm(STRUCTURE_VOCAB)
    rng = np.random.default_rng(STRUCTURE_SEED)
    ids = rng.integers(1, STRUCTURE_VOCAB, size=(4, 12))
    later = ids.copy()
    later[:, 6:] = 1 + (later[:, 6:] + rng.integers(0, STRUCTURE_VOCAB - 2, size=(4, 6))) % (STRUCTURE_VOCAB - 1)
    one = ids.copy()
    one[:, 3] = 1 + one[:, 3] % (STRUCTURE_VOCAB - 1)  # another id at step 3 only
    layers = layers_of(model)
    embeddings = [layer for layer in layers if isinstance(layer, keras.layers.Embedding)]
    recurrent = [layer for layer in layers if isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional))]
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    outputs = np.asarray(model(np.concatenate([ids, later, one])))  # one call: the rows are independent
    return {
        "probabilities": outputs[:4],
        "later_inputs": outputs[4:8],
        "one_input": outputs[8:],
        "n_params": model.count_params(),
        "embedding": np.asarray([(e.input_dim, e.output_dim) for e in embeddings], np.int64).reshape(-1, 2),
        "recurrent": np.asarray([type(layer).__name__ for layer in recurrent], str),
        "units": np.asarray([getattr(layer, "units", 0) for layer in recurrent], np.int64),
        "dense_units": np.asarray([d.units for d in dense], np.int64),
        "dense_activations": np.asarray([keras.activations.serialize(d.activation) for d in dense], str),
        **compilation(model),
    }


@structure.verify
def _(r):
    p = np.asarray(r["probabilities"], np.float64)
    expected = (4, 12, STRUCTURE_VOCAB)
    if p.shape == (4, STRUCTURE_VOCAB):
        raise Fail(
            f"`build_char_lm({STRUCTURE_VOCAB})` maps (4, 12) ids to shape {p.shape}: one prediction per window. "
            "A language model predicts at every step: `return_sequences=True` in the recurrent layer."
        )
    if p.shape != expected:
        raise Fail(
            f"`build_char_lm({STRUCTURE_VOCAB})` maps (4, 12) ids to shape {p.shape}, expected {expected}: one "
            "distribution over the V characters per step (`Dense(vocab_size)`, with the V it is given)."
        )
    if not np.all(np.isfinite(p)) or p.min() < 0 or not np.allclose(p.sum(-1), 1, atol=1e-3):
        raise Fail(
            "`build_char_lm`'s outputs are not distributions over the characters: end with "
            '`Dense(vocab_size, activation="softmax")`.'
        )
    if np.abs(np.asarray(r["later_inputs"], np.float64) - p)[:, :6].max() > 1e-5:
        raise Fail(
            "Changing the inputs from step 6 on changes the predictions of steps 0–5: the model looks ahead, so "
            "it would be scored on characters it has read. A language model may see only the steps up to t: a "
            "plain (not `Bidirectional`) recurrent layer."
        )
    if np.abs(np.asarray(r["one_input"], np.float64) - p)[:, 4:].max() < 1e-6:
        raise Fail(
            "Changing the input at step 3 changes no prediction after step 3: the model has no memory, each "
            "step sees only its own input. Put the recurrent layer, `SimpleRNN(32, return_sequences=True)`, "
            "between the embedding and the softmax."
        )
    _verify_specification(r)


def _verify_specification(r):
    """The task fixes the network: the graded training's time and bound are those of this one."""
    embedding = [tuple(e) for e in np.asarray(r["embedding"]).tolist()]
    if embedding != [(STRUCTURE_VOCAB, SPEC_EMBEDDING)]:
        raise Fail(
            f"`build_char_lm({STRUCTURE_VOCAB})`'s embeddings are {embedding} as (input_dim, output_dim), expected "
            f"[({STRUCTURE_VOCAB}, {SPEC_EMBEDDING})]: `Embedding(vocab_size, {SPEC_EMBEDDING})`, one row per id."
        )
    recurrent = np.asarray(r["recurrent"]).tolist()
    units = np.asarray(r["units"]).tolist()
    if recurrent != ["SimpleRNN"] or units != [SPEC_UNITS]:
        layers = ", ".join(f"{name}({u})" for name, u in zip(recurrent, units)) or "none"
        raise Fail(
            f"`build_char_lm`'s recurrent layers are {layers}, expected one `SimpleRNN({SPEC_UNITS}, "
            "return_sequences=True)`: Elman's recurrence, which the graded training's time and bound are set for."
        )
    if int(r["n_params"]) > MAX_PARAMS:
        raise Fail(f"`build_char_lm({STRUCTURE_VOCAB})` has {int(r['n_params'])} parameters, more than {MAX_PARAMS}.")
    dense = list(zip(np.asarray(r["dense_units"]).tolist(), np.asarray(r["dense_activations"]).tolist()))
    if dense != [(STRUCTURE_VOCAB, "softmax")]:
        raise Fail(
            f"`build_char_lm({STRUCTURE_VOCAB})`'s dense layers are {dense} as (units, activation), expected "
            f'[({STRUCTURE_VOCAB}, "softmax")]: one `Dense(vocab_size, activation="softmax")` after the recurrence.'
        )
    if not bool(r["compiled"]):
        raise Fail("`build_char_lm` returns a model that is not compiled: call `model.compile(...)`.")
    if "sparse_categorical_crossentropy" not in str(r["loss"]).lower().replace(" ", "_"):
        raise Fail(
            f"`build_char_lm` compiles with the loss {str(r['loss']) or 'None'}: the targets are ids and the outputs "
            'probabilities, so `loss="sparse_categorical_crossentropy"` (the mean NLL of the true next ids).'
        )
    expect.adam(r, "build_char_lm(vocab_size)", SPEC_LEARNING_RATE)


# --------------------------------------------------------------------------- the network learns

learns = new(
    "char_lm.learns",
    1,
    f"trained for {TRAIN_STEPS} seeded Adam steps on the Markov source, the model's held-out perplexity is at most "
    f"exp(H + {LEARN_MARGIN}) = {PERPLEXITY_BOUND:.2f}, far below a bigram's",
)


def training_data():
    """(inputs, targets) of the graded training and of the held-out text: windows of ``WINDOW`` ids."""
    train = markov_ids(BATCH * TRAIN_STEPS, WINDOW + 1, TRAIN_SEED)
    test = markov_ids(TEST_ROWS, WINDOW + 1, TEST_SEED)
    return (train[:, :-1], train[:, 1:]), (test[:, :-1], test[:, 1:])


def train_char_lm(build_char_lm, seed=0):
    """Seeded training of the student's network; the probabilities it gives the true next ids of the
    held-out windows. The check uses seed 0; tests/ runs it over seeds 0–4."""
    import keras

    keras.utils.set_random_seed(seed)
    model = build_char_lm(VOCAB_SIZE)
    (x, y), (test_x, test_y) = training_data()
    if not model.built:  # a model without `keras.Input` is built by its first call
        model(x[:1])
    if model.count_params() > MAX_PARAMS:  # keeps grading fast; `char_lm.structure` explains
        raise Fail(
            f"`build_char_lm({VOCAB_SIZE})` has {model.count_params()} parameters, more than {MAX_PARAMS}: it was "
            "not trained."
        )
    optimizer_built(model, x)
    try:  # one step per batch, in order (the windows are independent draws): `fit` without its data pipeline
        for start in range(0, len(x), BATCH):
            model.train_on_batch(x[start : start + BATCH], y[start : start + BATCH])
    except Exception as exc:
        raise Fail(
            f"Training `build_char_lm({VOCAB_SIZE})` on (windows, next ids) raised {quoted_error(exc)}: the targets "
            'are ids of shape (windows, 16), so compile with `loss="sparse_categorical_crossentropy"`.'
        ) from None
    p = np.asarray(model(test_x), np.float64)
    if p.shape != (*test_x.shape, VOCAB_SIZE):
        raise Fail(
            f"The trained model maps {test_x.shape} ids to shape {p.shape}, expected {(*test_x.shape, VOCAB_SIZE)}: "
            "`char_lm.structure` says more."
        )
    return {
        "p_next": np.take_along_axis(p, test_y[..., None], axis=-1)[..., 0],
        "sums": p.sum(axis=-1),
    }


@learns.probe
def _(build_char_lm):
    return train_char_lm(build_char_lm)


def baseline_perplexity(n=2, k=BASELINE_K) -> float:
    """The held-out perplexity of the add-k n-gram of the same training windows, on the same ids."""
    from .ngram import ref_token_nlls

    (x, y), (test_x, test_y) = training_data()
    train = np.concatenate([x, y[:, -1:]], axis=1)
    test = np.concatenate([test_x, test_y[:, -1:]], axis=1)
    nlls = ref_token_nlls(train, test, n, k, VOCAB_SIZE)  # (rows, WINDOW + 1 − (n − 1))
    return float(np.exp(np.mean(nlls[:, nlls.shape[1] - WINDOW + SKIP :])))


@learns.verify
def _(r):
    p = np.asarray(r["p_next"], np.float64)
    expect.shape(p, (TEST_ROWS, WINDOW), "the trained model's probabilities of the true next characters")
    if not np.allclose(np.asarray(r["sums"], np.float64), 1.0, atol=1e-3) or not np.all((p > 0) & (p <= 1 + 1e-6)):
        raise Fail(
            "The trained model's outputs are not distributions over the characters (each step's must be positive "
            'and sum to 1): end with `Dense(vocab_size, activation="softmax")`.'
        )
    perplexity = float(np.exp(-np.mean(np.log(p[:, SKIP:]))))
    bigram, rate = baseline_perplexity(), float(np.exp(ENTROPY_RATE))
    numbers = (
        f"after {TRAIN_STEPS} Adam steps (seed 0, batches of {BATCH} windows of {WINDOW} characters) the model's "
        f"held-out perplexity is {perplexity:.3f} (the bound is {PERPLEXITY_BOUND:.3f}; the source's entropy rate "
        f"allows exp(H) = {rate:.3f}, a bigram gets {bigram:.3f})"
    )
    if perplexity < np.exp(ENTROPY_RATE - LOOKAHEAD_MARGIN):
        raise Fail(
            f"{numbers}. That is below what any model that reads only the past can reach: the model sees the "
            "character it is asked to predict. Use a plain (not `Bidirectional`) recurrent layer."
        )
    if perplexity > PERPLEXITY_BOUND:
        hint = (
            "No better than a bigram: the model predicts as if from the current character alone, but this source "
            "depends on the two before. Check that a recurrent layer carries the state along (`SimpleRNN(32, "
            f"return_sequences=True)`) and that Adam's learning rate is {SPEC_LEARNING_RATE} (the default, 0.001, "
            f"learns little in {TRAIN_STEPS} steps)."
            if perplexity >= bigram
            else "It uses some context, but learned too little in the steps it had: check the learning rate "
            f"({SPEC_LEARNING_RATE}) and the layers of `char_lm.structure`."
        )
        raise Fail(f"{numbers}. {hint}")
