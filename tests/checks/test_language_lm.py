"""Assignment 08's language-model checks, before its notebook: does each check pass a correct student
implementation, and does each realistic mistake fail with the message that names it? The data and
references are pinned against independent computations: the Markov source's entropy rate against
a long sample's NLL under its own table, the n-gram reference against counting with dictionaries,
the sampling bound against the χ² distribution and several correct samplers, the learning bound
over seeds 0–4.

NumPy in-process, and Keras (TensorFlow) for the ``char_lm.*`` checks.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from autograder.authoring.translations import pieces_of
from autograder.checks import get
from autograder.checks._translate import FIELD
from autograder.checks.language import _source, char_lm, ngram, pairs, sampling, vocab

from .support import run

# --------------------------------------------------------------------------- students' implementations


def student_vocabulary(text, *, unk="first", dedupe=True, order="sorted"):
    if not dedupe:
        chars = list(text)
    else:
        chars = {"sorted": sorted(set(text)), "text": list(dict.fromkeys(text)), "other": sorted(set(text))[::-1]}[
            order
        ]
    return {"first": ["<unk>"] + chars, "none": chars, "last": chars + ["<unk>"]}[unk]


def student_encode(text, vocabulary, *, unseen="zero", shift=0, dtype=np.int64):
    index = {c: i + shift for i, c in enumerate(vocabulary)}
    if unseen == "crash":
        return np.array([index[c] for c in text], dtype)
    return np.array([index.get(c, {"zero": 0, "minus": -1}[unseen]) for c in text], dtype)


def student_decode(ids, vocabulary, *, separator="", drop_unk=False):
    chars = [vocabulary[int(i)] for i in ids]
    return separator.join(c for c in chars if not (drop_unk and c == "<unk>"))


def student_pairs(ids, context, *, shift=1, fewer=0, stride=1, many_to_one=False):
    ids = np.asarray(ids, np.int64)
    m = len(ids) - context - fewer - (shift - 1 if shift > 1 else 0)
    starts = range(0, m, stride)
    if not starts:
        return np.zeros((0, context), np.int64), np.zeros((0, context), np.int64)
    inputs = np.stack([ids[i : i + context] for i in starts])
    if many_to_one:
        return inputs, np.array([ids[i + context] for i in starts])
    return inputs, np.stack([ids[i + shift : i + shift + context] for i in starts])


def student_ngram(train, test, n, k, V, *, denominator="kV", log=np.log, end_history=False, start=None, total="mean"):
    train, test = [int(i) for i in train], [int(i) for i in test]
    pair, history = Counter(), Counter()
    for i in range(n - 1, len(train)):
        h = tuple(train[i - n + 1 : i])
        pair[h, train[i]] += 1
        if not end_history:
            history[h] += 1
    if end_history:  # every window of n - 1 ids, the last one (nothing follows it) too
        for i in range(n - 1, len(train) + 1):
            history[tuple(train[i - n + 1 : i])] += 1
    extra = {"kV": k * V, "none": 0, "V": V, "k": k}[denominator]
    nlls = []
    for i in range(n - 1 if start is None else start, len(test)):
        h = tuple(test[i - n + 1 : i])
        nlls.append(-log((pair[h, test[i]] + k) / (history[h] + extra)))
    return float(np.sum(nlls) if total == "sum" else np.mean(nlls))


def student_perplexity(nll, *, mistake=None):
    nll = np.asarray(nll, np.float64)
    return {
        None: lambda: np.exp(np.mean(nll)),
        "base2": lambda: 2 ** np.mean(nll),
        "mean_of_exp": lambda: np.mean(np.exp(nll)),
        "sum": lambda: np.exp(np.sum(nll)),
        "none": lambda: np.mean(nll),
    }[mistake]()


def student_sample(logits, temperature, rng, *, method="choice", mistake=None, shift=True, dtype=np.float64):
    logits = np.asarray(logits, dtype)
    if temperature == 0 and mistake != "divide_by_zero":
        return int(np.argmax(logits))
    if mistake == "greedy":
        return int(np.argmax(logits))
    if mistake == "uniform":
        return int(rng.integers(len(logits)))
    z = {"times": logits * temperature, "ignored": logits}.get(mistake, logits / temperature)
    if mistake == "probabilities":
        p = np.exp(logits - logits.max())
        z = p / p.sum() / temperature
    if shift:
        z = z - (z.min() if mistake == "shift_by_min" else z.max())
    p = np.exp(z)
    p = p / p.sum()
    if mistake == "global":
        return int(np.random.choice(len(p), p=p))
    if mistake == "own_rng":
        return int(np.random.default_rng(0).choice(len(p), p=p))
    if method == "inverse_cdf":
        return int(min(np.searchsorted(np.cumsum(p), rng.random(), side="right"), len(p) - 1))
    if method == "gumbel":
        with np.errstate(divide="ignore"):
            return int(np.argmax(np.log(p) + rng.gumbel(size=len(p))))
    return int(rng.choice(len(p), p=p))


def student_char_lm(vocab_size, *, recurrent="SimpleRNN", units=32, embedding=16, sequences=True, softmax=True,
                    bidirectional=False, loss="sparse_categorical_crossentropy", learning_rate=0.03, compiled=True,
                    vocab_out=None):  # fmt: skip
    import keras
    from keras import layers

    stack = [keras.Input((None,)), layers.Embedding(vocab_size, embedding)]
    if recurrent:
        cell = getattr(layers, recurrent)(units, return_sequences=sequences)
        stack.append(layers.Bidirectional(cell) if bidirectional else cell)
    stack.append(layers.Dense(vocab_out or vocab_size, activation="softmax" if softmax else None))
    model = keras.Sequential(stack)
    if compiled:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=loss)
    return model


# --------------------------------------------------------------------------- the Markov source


def test_the_entropy_rate_is_pinned_and_a_long_sample_scores_it_under_its_own_table():
    assert _source.ENTROPY_RATE == pytest.approx(0.8472519787, abs=1e-9)
    assert np.exp(_source.ENTROPY_RATE) == pytest.approx(2.3332, abs=1e-4)
    ids = _source.text_ids(_source.markov_text(300_000, seed=11)) - 1
    sample_nll = -np.mean(np.log(_source.TRANSITIONS[ids[:-2], ids[1:-1], ids[2:]]))
    assert sample_nll == pytest.approx(_source.ENTROPY_RATE, abs=0.006)  # ≈ 4 standard errors


def test_the_stationary_distribution_is_stationary_and_is_what_samples_visit():
    pi, P = _source.STATIONARY, _source.TRANSITIONS
    assert pi.min() > 0 and pi.sum() == pytest.approx(1.0)
    assert np.allclose(np.einsum("ab,abc->bc", pi, P), pi, atol=1e-12)  # (a, b) → (b, c)
    rows = _source.markov_ids(20_000, 6, seed=2) - 1
    for t in (0, 4):  # the first pair of every row is drawn from π, and so is every later one
        counts = np.zeros((_source.K, _source.K))
        np.add.at(counts, (rows[:, t], rows[:, t + 1]), 1)
        assert np.abs(counts / len(rows) - pi).max() < 0.01


def test_the_source_has_the_alphabet_a_vocabulary_numbers_as_its_ids():
    text = _source.markov_text(5000, seed=0)
    assert set(text) == set(_source.ALPHABET) and sorted(_source.ALPHABET) == list(_source.ALPHABET)
    assert _source.markov_text(5000, seed=0) == text and _source.markov_text(5000, seed=1) != text
    vocabulary = student_vocabulary(_source.ALPHABET)
    assert np.array_equal(student_encode(text, vocabulary), _source.text_ids(text))
    assert len(vocabulary) == _source.VOCAB_SIZE
    rows = _source.markov_ids(10, 17, seed=3)
    assert rows.shape == (10, 17) and rows.min() >= 1 and rows.max() <= _source.K
    assert np.array_equal(rows, _source.markov_ids(10, 17, seed=3))


def test_a_bigram_cannot_reach_the_entropy_rate_and_a_trigram_does():
    assert char_lm.baseline_perplexity(2) > 4.4
    assert char_lm.baseline_perplexity(3) == pytest.approx(np.exp(_source.ENTROPY_RATE), rel=0.03)
    assert char_lm.PERPLEXITY_BOUND == pytest.approx(3.0, abs=0.01)


# --------------------------------------------------------------------------- vocabulary


def test_a_correct_vocabulary_passes():
    assert run("vocab.build", student_vocabulary) is None
    assert run("vocab.build", lambda text: tuple(student_vocabulary(text))) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"unk": "none"}, 'There is no "<unk>"'),
        ({"unk": "last"}, '"<unk>" is last'),
        ({"dedupe": False}, "Every occurrence of a character"),
        ({"order": "text"}, "the order they first appear"),
        ({"order": "other"}, "a `set`'s order changes"),
    ],
)
def test_vocabulary_mistakes_are_named(options, phrase):
    message = run("vocab.build", lambda text: student_vocabulary(text, **options))
    assert message and phrase in message, message


def test_a_vocabulary_that_drops_the_zero_width_non_joiner_or_is_not_a_list_is_named():
    message = run("vocab.build", lambda text: [c for c in student_vocabulary(text) if c != "\u200c"])
    assert message and "zero-width non-joiner" in message, message
    message = run("vocab.build", lambda text: "".join(sorted(set(text))))
    assert message and "return a list of strings" in message, message
    message = run("vocab.build", lambda text: None)
    assert message and "returned None" in message, message


def test_a_correct_encode_and_decode_pass():
    assert run("vocab.codec", student_encode, student_decode) is None
    assert run("vocab.codec", lambda t, v: list(student_encode(t, v)), student_decode) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"unseen": "crash"}, "raised `KeyError"),
        ({"unseen": "minus"}, "got −1"),
        ({"shift": -1}, "one too small"),
        ({"shift": 1}, "one too large"),
        ({"dtype": np.float64}, "return integer ids"),
    ],
)
def test_encode_mistakes_are_named(options, phrase):
    message = run("vocab.codec", lambda t, v: student_encode(t, v, **options), student_decode)
    assert message and phrase in message, message


@pytest.mark.parametrize(
    "options, phrase",
    [({"separator": " "}, "put a space between the characters"), ({"drop_unk": True}, 'Id 0 reads as `"<unk>"`')],
)
def test_decode_mistakes_are_named(options, phrase):
    message = run("vocab.codec", student_encode, lambda ids, v: student_decode(ids, v, **options))
    assert message and phrase in message, message
    message = run("vocab.codec", student_encode, lambda ids, v: list(student_decode(ids, v)))
    assert message and "return one string" in message, message


def test_the_codec_vocabulary_is_the_sorted_vocabulary_of_its_text():
    assert list(vocab.CODEC_VOCABULARY) == student_vocabulary("بابا نان داد")
    assert set(vocab.CODEC_SEEN) <= set(vocab.CODEC_VOCABULARY) and "آ" not in vocab.CODEC_VOCABULARY
    assert 0 in vocab.CODEC_IDS


# --------------------------------------------------------------------------- pairs


def test_correct_pairs_pass():
    assert run("pairs.windows", student_pairs) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"shift": 0}, "a network that copies its input would reach a loss of 0"),
        ({"shift": 2}, "shifted by two"),
        ({"fewer": 1}, "one window too few"),
        ({"stride": 4}, "do not overlap"),
        ({"many_to_one": True}, "many to one"),
    ],
)
def test_pairs_mistakes_are_named(options, phrase):
    message = run("pairs.windows", lambda ids, c: student_pairs(ids, c, **options))
    assert message and phrase in message, message


def test_the_pairs_reference_never_shows_a_target_in_its_own_input_position():
    ids = np.random.default_rng(0).integers(0, 1000, size=50)
    inputs, targets = pairs.ref_next_token_pairs(ids, 7)
    assert inputs.shape == targets.shape == (43, 7)
    assert np.array_equal(targets[:, :-1], inputs[:, 1:]) and np.array_equal(targets[:, -1], ids[7:])
    assert not np.any(targets == inputs)  # distinct ids: nothing is copied


# --------------------------------------------------------------------------- n-grams


def test_a_correct_ngram_passes():
    assert run("ngram.nll", student_ngram) is None
    assert run("ngram.hidden", student_ngram) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"denominator": "none"}, "divided by c(h) alone"),
        ({"denominator": "V"}, "divided by c(h) + V"),
        ({"denominator": "k"}, "divided by c(h) + k:"),
        ({"log": np.log2}, "in bits (log2)"),
        ({"end_history": True}, "history at the very end"),
        ({"total": "sum"}, "returned the sum of the NLLs"),
    ],
)
def test_ngram_mistakes_are_named(options, phrase):
    message = run("ngram.nll", lambda *a: student_ngram(*a, **options))
    assert message and phrase in message, message


def test_predicting_from_position_n_is_named():
    message = run("ngram.nll", lambda tr, te, n, k, v: student_ngram(tr, te, n, k, v, start=n))
    assert message and "predicted from position n" in message, message


def test_the_hidden_ngram_check_names_a_mistake_without_its_inputs():
    message = run("ngram.hidden", lambda *a: student_ngram(*a, end_history=True))
    assert message and "history at the very end" in message and "hidden texts" in message, message
    assert "train [" not in message and "'" not in message.split(":")[0]


def test_every_ngram_mistake_is_named_by_its_own_hint_on_the_first_case_it_fails():
    """`expect.diagnose` names the first mistake of the list that matches: no earlier one may match there."""
    train, V = ngram.primer_ids(ngram.PRIMER), len(ngram.VOCABULARY)
    for j, (mistake, hint) in enumerate(ngram.MISTAKES):
        for name, text, n, k in ngram.CASES:
            args = (train, ngram.primer_ids(text), n, k, V)
            if not np.isclose(mistake(*args), ngram.ref_ngram_nll(*args), rtol=1e-6, atol=1e-9):
                earlier = [h for m, h in ngram.MISTAKES[:j] if np.isclose(m(*args), mistake(*args), rtol=1e-6)]
                assert earlier == [], (hint, name, earlier)
                break
        else:
            raise AssertionError(f"no case tells this mistake from the reference: {hint}")


@pytest.mark.parametrize("seed", range(4))
def test_the_ngram_reference_agrees_with_counting_in_dictionaries(seed):
    rng = np.random.default_rng(seed)
    V = int(rng.integers(3, 7))
    train, test = rng.integers(0, V, size=int(rng.integers(20, 80))), rng.integers(0, V, size=30)
    for n in (1, 2, 3, 4):
        k = float(rng.uniform(0.05, 2.0))
        assert ngram.ref_ngram_nll(train, test, n, k, V) == pytest.approx(student_ngram(train, test, n, k, V))
        assert ngram.ref_ngram_nll(train, test, n, k, V, end_history=True) == pytest.approx(
            student_ngram(train, test, n, k, V, end_history=True)
        )


def test_the_smoothed_probabilities_of_each_history_sum_to_one():
    train = ngram.primer_ids(ngram.PRIMER)
    for n in (1, 2, 3):
        counts, history = ngram.ngram_counts(train, n, 8)
        p = (counts + 0.3) / (history[..., None] + 0.3 * 8)
        assert np.allclose(p.sum(axis=-1), 1.0)
        _, wrong = ngram.ngram_counts(train, n, 8, end_history=True)
        assert not np.allclose(((counts + 0.3) / (wrong[..., None] + 2.4)).sum(axis=-1), 1.0)


def test_a_correct_perplexity_passes():
    assert run("ngram.perplexity", student_perplexity) is None


@pytest.mark.parametrize(
    "mistake, phrase",
    [
        ("base2", "2 ** NLL"),
        ("mean_of_exp", "averaged exp(NLL)"),
        ("sum", "exp of the sum"),
        ("none", "returned the (mean) NLL"),
    ],
)
def test_perplexity_mistakes_are_named(mistake, phrase):
    message = run("ngram.perplexity", lambda x: student_perplexity(x, mistake=mistake))
    assert message and phrase in message, message


# --------------------------------------------------------------------------- sampling


@pytest.mark.parametrize("method", ["choice", "inverse_cdf", "gumbel"])
def test_correct_samplers_pass(method):
    assert run("sampling.temperature", lambda z, t, rng: student_sample(z, t, rng, method=method)) is None
    assert run("sampling.stable", lambda z, t, rng: student_sample(z, t, rng, method=method)) is None


@pytest.mark.parametrize(
    "mistake, phrase",
    [
        ("times", "multiplied the logits by T"),
        ("probabilities", "applied the temperature to the probabilities"),
        ("ignored", "whatever T is"),
        ("uniform", "uniform over the tokens"),
        ("greedy", "always returned the argmax"),
    ],
)
def test_temperature_mistakes_are_named(mistake, phrase):
    message = run("sampling.temperature", lambda z, t, rng: student_sample(z, t, rng, mistake=mistake))
    assert message and phrase in message, message


def test_dividing_by_a_zero_temperature_or_a_generator_of_its_own_is_named():
    with np.errstate(all="ignore"):
        message = run("sampling.temperature", lambda z, t, rng: student_sample(z, t, rng, mistake="divide_by_zero"))
    assert message and "at T = 0 return the argmax" in message, message
    message = run("sampling.temperature", lambda z, t, rng: student_sample(z, t, rng, mistake="own_rng"))
    assert message and "Every draw gave the same token" in message, message


def test_a_generator_of_its_own_passes_the_distributions_but_not_the_seeded_repeat():
    own = np.random.default_rng(0)  # drawn from in turn, so the frequencies are right

    def sampler(z, t, rng):
        return student_sample(z, t, own)

    assert run("sampling.temperature", sampler) is None
    message = run("sampling.stable", sampler)
    assert message and "uses another generator than the `rng` it is given" in message, message


def test_a_sampler_that_returns_a_float_or_an_array_is_named():
    message = run("sampling.temperature", lambda z, t, rng: float(student_sample(z, t, rng)))
    assert message and "return one token id, an int" in message, message
    message = run("sampling.temperature", lambda z, t, rng: np.array([student_sample(z, t, rng)] * 2))
    assert message and "return one token id" in message, message


def test_the_chi_square_bound_is_rare_for_a_right_sampler_and_far_below_every_mistake():
    from scipy import stats

    assert stats.chi2.sf(sampling.CHI2_BOUND, df=len(sampling.LOGITS) - 1) < 1e-6
    for t in sampling.TEMPERATURES:
        right = sampling.ref_distribution(sampling.LOGITS, t)
        assert sampling.DRAWS * right.min() >= 15  # every expected count large enough for the χ² approximation
        for mistake in sampling.MISTAKES:
            wrong = sampling.ref_distribution(sampling.LOGITS, t, mistake=mistake)
            if np.allclose(wrong, right):
                continue  # multiplying by T = 1 is right
            # the χ² a perfect sample of the mistake would give against the right p
            assert sampling.DRAWS * np.sum((wrong - right) ** 2 / right) > 3 * sampling.CHI2_BOUND, (t, mistake)


def test_the_extreme_logits_overflow_without_the_max_subtracted():
    for _, logits, t in sampling.EXTREME_CASES:
        with np.errstate(all="ignore"):
            e = np.exp(logits.astype(np.float64) / t)
            assert not np.all(np.isfinite(e / e.sum()))
        assert np.all(np.isfinite(sampling.ref_distribution(logits, t)))


# --------------------------------------------------------------------------- the network


def test_the_reference_network_passes_the_structure_check():
    assert run("char_lm.structure", student_char_lm) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"bidirectional": True}, "the model looks ahead"),
        ({"recurrent": None}, "the model has no memory"),
        ({"sequences": False}, "`return_sequences=True`"),
        ({"softmax": False}, "not distributions over the characters"),
        ({"vocab_out": 8}, "with the V it is given"),
        ({"recurrent": "GRU"}, "expected one `SimpleRNN(32"),
        ({"units": 64}, "expected one `SimpleRNN(32"),
        ({"embedding": 8}, "`Embedding(vocab_size, 16)`"),
        ({"loss": "categorical_crossentropy"}, 'loss="sparse_categorical_crossentropy"'),
        ({"learning_rate": 0.001}, "Adam(learning_rate=0.03)"),
        ({"compiled": False}, "not compiled"),
    ],
)
def test_structure_mistakes_are_named(options, phrase):
    message = run("char_lm.structure", lambda v: student_char_lm(v, **options))
    assert message and phrase in message, message


def _perplexity(record):
    return float(np.exp(-np.mean(np.log(record["p_next"][:, char_lm.SKIP :]))))


@pytest.mark.parametrize("seed", range(5))
def test_the_reference_network_clears_the_learning_bound_on_every_seed(seed):
    record = char_lm.train_char_lm(student_char_lm, seed=seed)
    assert _perplexity(record) < 0.9 * char_lm.PERPLEXITY_BOUND  # margin (TF32, BLAS, another machine)
    assert _perplexity(record) > np.exp(_source.ENTROPY_RATE - char_lm.LOOKAHEAD_MARGIN)


def test_the_learning_check_passes_the_reference_and_names_a_model_that_sees_the_future():
    assert run("char_lm.learns", student_char_lm) is None
    message = run("char_lm.learns", lambda v: student_char_lm(v, bidirectional=True))
    assert message and "sees the character it is asked to predict" in message, message


def test_a_model_without_memory_is_no_better_than_a_bigram():
    record = char_lm.train_char_lm(lambda v: student_char_lm(v, recurrent=None), seed=0)
    assert _perplexity(record) > char_lm.PERPLEXITY_BOUND
    message = run("char_lm.learns", lambda v: student_char_lm(v, recurrent=None))
    assert message and "held-out perplexity" in message and "the bound is" in message, message


def test_a_model_without_an_input_layer_is_built_and_trained():
    def unbuilt(vocab_size):
        import keras
        from keras import layers

        model = keras.Sequential([layers.Embedding(vocab_size, 16), layers.SimpleRNN(32, return_sequences=True),
                                  layers.Dense(vocab_size, activation="softmax")])  # fmt: skip
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.03), loss="sparse_categorical_crossentropy")
        return model

    assert run("char_lm.structure", unbuilt) is None
    assert run("char_lm.learns", unbuilt) is None


def test_the_default_learning_rate_learns_too_little_and_is_named():
    message = run("char_lm.learns", lambda v: student_char_lm(v, learning_rate=0.001))
    assert message and "the default, 0.001" in message, message


def test_a_model_that_cannot_train_on_id_targets_is_named():
    message = run("char_lm.learns", lambda v: student_char_lm(v, loss="categorical_crossentropy"))
    assert message and 'loss="sparse_categorical_crossentropy"' in message, message


# --------------------------------------------------------------------------- the blank release


def _unwritten(*args):
    raise NotImplementedError()


def _starter_sampler(logits, temperature, rng):  # the release's starter lines, then the unwritten part
    if temperature == 0:
        return int(np.argmax(logits))
    raise NotImplementedError()


@pytest.mark.parametrize(
    "check_id, objects",
    [
        ("vocab.build", (_unwritten,)),
        ("vocab.codec", (_unwritten, _unwritten)),
        ("vocab.codec", (student_encode, _unwritten)),
        ("pairs.windows", (_unwritten,)),
        ("ngram.nll", (_unwritten,)),
        ("ngram.hidden", (_unwritten,)),
        ("ngram.perplexity", (_unwritten,)),
        ("sampling.temperature", (_starter_sampler,)),
        ("sampling.stable", (_starter_sampler,)),
        ("char_lm.structure", (_unwritten,)),
        ("char_lm.learns", (_unwritten,)),
    ],
)
def test_an_unwritten_solution_fails_each_check_saying_so(check_id, objects):
    message = run(check_id, *objects)
    assert message and "not written yet" in message, message


# --------------------------------------------------------------------------- Persian


def test_every_piece_of_the_language_model_modules_has_a_persian_translation():
    topic = Path(vocab.__file__).parent
    catalog = {}
    for path in [topic / "fa.yml", *sorted(topic.glob("fa_*.part.yml"))]:
        if path.is_file():
            catalog.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    modules = [_source, vocab, pairs, ngram, sampling, char_lm]
    missing = [
        p for m in modules for p in pieces_of(Path(m.__file__).read_text(encoding="utf-8")) if not catalog.get(p)
    ]
    assert missing == []
    for english in (p for m in modules for p in pieces_of(Path(m.__file__).read_text(encoding="utf-8"))):
        assert sorted(FIELD.findall(english)) == sorted(FIELD.findall(catalog[english])), english


@pytest.fixture
def persian_catalog(tmp_path, monkeypatch):
    """The Persian catalog with the topics' part files (``fa_*.part.yml``) merged into their ``fa.yml``,
    as they will be: ``_translate`` reads the catalogs beside the file it is told it lives in."""
    from autograder.checks import _translate

    library = Path(_translate.__file__).parent
    (tmp_path / "checks").mkdir()
    for path in [library / "fa.yml", library.parent / "engine" / "fa.yml"]:
        if path.is_file():
            target = tmp_path / path.relative_to(library.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    for topic in (p for p in library.iterdir() if p.is_dir()):
        merged = {}
        for path in [topic / "fa.yml", *sorted(topic.glob("fa_*.part.yml"))]:
            if path.is_file():
                merged.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        (tmp_path / "checks" / topic.name).mkdir()
        (tmp_path / "checks" / topic.name / "fa.yml").write_text(yaml.safe_dump(merged, allow_unicode=True))
    monkeypatch.setattr(_translate, "__file__", str(tmp_path / "checks" / "_translate.py"))
    _translate.catalog.cache_clear()
    yield _translate
    monkeypatch.undo()
    _translate.catalog.cache_clear()


def test_a_failure_message_comes_out_in_persian(persian_catalog):
    translate, share, note = (
        persian_catalog.translate,
        persian_catalog.persian_share,
        persian_catalog.FALLBACK_NOTE["fa"],
    )
    messages = {
        "ngram.nll": run("ngram.nll", lambda *a: student_ngram(*a, log=np.log2)),
        "pairs.windows": run("pairs.windows", lambda ids, c: student_pairs(ids, c, shift=0)),
        "sampling.stable": run("sampling.stable", lambda z, t, rng: student_sample(z, t, rng, mistake="global")),
        "vocab.build": run("vocab.build", lambda text: student_vocabulary(text, unk="none")),
    }
    for check_id, message in messages.items():
        persian = translate(message, "fa")
        assert share(persian) > 0.5 and not persian.endswith(note), (check_id, persian)
    for check_id in ("vocab.build", "char_lm.learns", "sampling.temperature", "ngram.hidden"):
        assert share(translate(get(check_id).title, "fa")) > 0.3, check_id


def test_a_sampler_that_shifts_by_the_smallest_logit_overflows_and_is_told_so():
    with np.errstate(over="ignore", invalid="ignore"):
        message = run("sampling.stable", lambda z, t, rng: student_sample(z, t, rng, mistake="shift_by_min"))
    assert message and "Subtract the largest logit first" in message and "−1000 to +1000" in message, message
