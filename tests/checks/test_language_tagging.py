"""Assignment 08's part-of-speech tagging checks, before its notebook: does the grammar hold what
the task promises (the next word decides "light", the previous word decides "fast", and nothing
before "light" tells its tag), does each check pass a correct student implementation, and does
each realistic mistake fail with the message that names it? The references are pinned against
independent computations: the padding against ``keras.utils.pad_sequences``, the ceiling against
the best of every possible tagger of a tiny case, enumerated.

NumPy in-process, and Keras (TensorFlow) for the ``tagger.*`` checks.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter

import numpy as np
import pytest
import yaml

from autograder.authoring import translations
from autograder.checks import _edition, _translate
from autograder.checks.language import _grammar, pad, tagger, tagging
from autograder.checks.language._grammar import AMBIGUOUS_IDS, FLAT_IDS, MAX_LEN, TAG, TAGS, WORDS

from .support import run

# --------------------------------------------------------------------------- students' implementations


def student_pad(sequences, maxlen, *, front=False, keep_last=False, value=0, repeat_last=False, dtype=np.int32):
    out = np.full((len(sequences), maxlen), value, dtype)
    for i, sequence in enumerate(sequences):
        sequence = list(sequence)
        kept = sequence[-maxlen:] if keep_last else sequence[:maxlen]
        if front:
            out[i, maxlen - len(kept) :] = kept
        else:
            out[i, : len(kept)] = kept
            if repeat_last and kept:
                out[i, len(kept) :] = kept[-1]
    return out


def student_accuracy(true_tags, pred_tags, *, mask="truth", per_sentence=False, percent=False):
    true_tags, pred_tags = np.asarray(true_tags), np.asarray(pred_tags)
    real = {"truth": true_tags != 0, "none": np.ones_like(true_tags, bool), "pred": pred_tags != 0}[mask]
    right = (true_tags == pred_tags) & real
    value = np.mean(right.sum(1) / real.sum(1)) if per_sentence else right.sum() / real.sum()
    return float(value * (100 if percent else 1))


def student_table(word_ids, tag_ids, vocab_size, *, padding=False, unseen="overall", ties="first", row0=True):
    counts = [Counter() for _ in range(vocab_size)]
    overall = Counter()
    for w, t in zip(np.ravel(word_ids), np.ravel(tag_ids)):
        if w != 0 or padding:
            counts[w][t] += 1
            overall[t] += 1

    def best(counter):
        top = max(counter.values())
        tied = [k for k, v in counter.items() if v == top]
        return max(tied) if ties == "last" else min(tied)

    table = np.zeros(vocab_size, np.int64)
    for w in range(vocab_size):
        if counts[w]:
            table[w] = best(counts[w])
        elif unseen == "overall":
            table[w] = best(overall)
    if row0:
        table[0] = 0
    return table


def student_ceiling(
    word_ids,
    tag_ids,
    words,
    before=0,
    after=0,
    *,
    all_words=False,
    mean=False,
    short=False,
    wrap=False,
    centre=True,
    count=False,
    swap=False,
):
    word_ids, tag_ids = np.asarray(word_ids), np.asarray(tag_ids)
    if swap:
        before, after = after, before
    padded = np.pad(word_ids, ((0, 0), (before, after)))
    groups = {}
    scored = word_ids != 0 if all_words else np.isin(word_ids, words)
    for i, t in zip(*np.nonzero(scored)):
        if wrap:
            key = [word_ids[i, u] if u < word_ids.shape[1] else 0 for u in range(t - before, t + after + 1)]
        else:
            key = list(padded[i, t : t + before + after + (0 if short else 1)])
        if not centre:
            del key[before]
        groups.setdefault(tuple(key), Counter())[tag_ids[i, t]] += 1
    right = [max(c.values()) for c in groups.values()]
    total = [sum(c.values()) for c in groups.values()]
    if count:
        return sum(right)
    if mean:
        return float(np.mean(np.divide(right, total)))
    return sum(right) / sum(total)


def student_tagger(
    vocab_size,
    num_tags,
    bidirectional=True,
    *,
    mask=True,
    softmax=True,
    units=32,
    dim=16,
    lr=0.01,
    loss="sparse_categorical_crossentropy",
    cell="GRU",
    ignore_flag=None,
    sizes=None,
    recurrent=True,
    compiled=True,
):
    import keras
    from keras import layers

    if sizes:
        vocab_size, num_tags = sizes
    rnn = getattr(layers, cell)(units, return_sequences=True)
    if recurrent:
        both = bidirectional if ignore_flag is None else ignore_flag  # ignore_flag: always one kind
        middle = [layers.Bidirectional(rnn) if both else rnn]
    else:
        middle = [layers.Dense(units, activation="tanh")]
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            layers.Embedding(vocab_size, dim, mask_zero=mask),
            *middle,
            layers.Dense(num_tags, activation="softmax" if softmax else None),
        ]
    )
    if compiled:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss=loss)
    return model


# --------------------------------------------------------------------------- the grammar


def padded(n, seed, width=MAX_LEN):
    words, tags = _grammar.tagged_sentences(n, seed)
    return student_pad(words, width), student_pad(tags, width)


def test_sentences_are_seeded_of_three_to_ten_words_one_tag_each():
    words, tags = _grammar.tagged_sentences(3000, seed=3)
    assert (words, tags) == _grammar.tagged_sentences(3000, seed=3)
    lengths = [len(w) for w in words]
    assert min(lengths) == 3 and max(lengths) == MAX_LEN and len(set(lengths)) == 8
    assert all(len(w) == len(t) for w, t in zip(words, tags))
    assert all(0 < i < len(WORDS) for w in words for i in w) and all(0 < i < len(TAGS) for t in tags for i in t)
    assert _grammar.sentence_text([1, 29, 9, 16, 0, 0]) == "the light box shines"
    assert _grammar.tag_text([1, 2, 3, 4, 0]) == "DET ADJ NOUN VERB"


def test_the_next_word_decides_light_and_the_previous_word_decides_fast():
    words, tags = _grammar.tagged_sentences(3000, seed=4)
    for w, t in zip(words, tags):
        for i, (word, tag) in enumerate(zip(w, t)):
            if word in AMBIGUOUS_IDS:  # never last; ADJ before a noun, NOUN before a verb
                assert i + 1 < len(w)
                assert (tag, t[i + 1]) in ((TAG["ADJ"], TAG["NOUN"]), (TAG["NOUN"], TAG["VERB"]))
            elif word in FLAT_IDS:
                assert (t[i - 1], tag) in ((TAG["DET"], TAG["ADJ"]), (TAG["VERB"], TAG["ADV"]))
            else:  # every other word has one tag
                assert tag == {"DET": 1, "ADJ": 2, "NOUN": 3, "VERB": 4, "ADV": 5, "PREP": 6}[_kind(word)]


def _kind(word):
    text = WORDS[word]
    for tag, group in (
        ("DET", _grammar.DETERMINERS),
        ("ADJ", _grammar.ADJECTIVES),
        ("NOUN", _grammar.NOUNS),
        ("VERB", _grammar.VERBS),
        ("ADV", _grammar.ADVERBS),
        ("PREP", _grammar.PREPOSITIONS),
    ):
        if text in group:
            return tag
    raise AssertionError(text)


def test_nothing_before_an_ambiguous_word_tells_its_tag():
    words, tags = padded(6000, seed=5)
    at = np.isin(words, AMBIGUOUS_IDS)
    adjective = tags[at] == TAG["ADJ"]
    assert abs(adjective.mean() - 0.5) < 0.03
    previous = np.roll(words, 1, axis=1)[at]  # the word before (the ambiguous word is never first)
    for word in np.unique(previous):
        share = adjective[previous == word].mean()
        assert abs(share - 0.5) < 0.1, (WORDS[word], share)
    # so the best left-to-right guess is the majority tag, and one word ahead decides
    assert 0.49 < tagging.ref_context_ceiling(words, tags, AMBIGUOUS_IDS) < 0.53
    assert tagging.ref_context_ceiling(words, tags, AMBIGUOUS_IDS, 2, 0) < 0.6  # windows seen few times: luck
    assert tagging.ref_context_ceiling(words, tags, AMBIGUOUS_IDS, 0, 1) == 1.0
    assert tagging.ref_context_ceiling(words, tags, FLAT_IDS) < 0.7
    assert tagging.ref_context_ceiling(words, tags, FLAT_IDS, 1, 0) == 1.0


# --------------------------------------------------------------------------- pad_batch


def test_a_correct_pad_batch_passes():
    import keras

    assert run("pad.batch", student_pad) is None
    assert run("pad.batch", lambda s, m: keras.utils.pad_sequences(s, m, padding="post", truncating="post")) is None
    assert run("pad.batch", lambda s, m: student_pad(s, m, dtype=np.int64).tolist()) is None


@pytest.mark.parametrize(
    "student, phrase",
    [
        (lambda s, m: student_pad(s, m, front=True), "padded at the front (pre-padding"),
        (lambda s, m: student_pad(s, m, front=True, keep_last=True), "the defaults of `keras.utils.pad_sequences`"),
        (lambda s, m: student_pad(s, m, keep_last=True), "kept its last `maxlen` words"),
        (lambda s, m: student_pad(s, m, value=-1), "padded with −1"),
        (lambda s, m: student_pad(s, m, repeat_last=True), "repeated each sentence's last word"),
        (lambda s, m: student_pad(s, m, dtype=np.float32), "word ids are integers"),
        (lambda s, m: student_pad(s, m + 1), "expected (n, maxlen) = (5, 5)"),
        (lambda s, m: None, "returned None"),
    ],
)
def test_each_padding_mistake_is_named(student, phrase):
    message = run("pad.batch", student)
    assert message and phrase in message, message


def test_keras_default_padding_is_the_named_front_mistake():
    import keras

    message = run("pad.batch", lambda s, m: keras.utils.pad_sequences(s, m))
    assert message and "the defaults of `keras.utils.pad_sequences`" in message, message


def test_the_padding_reference_is_keras_pad_sequences_at_the_back():
    import keras

    for _, sequences, maxlen in pad.CASES:
        for where in ("post", "pre"):
            expected = keras.utils.pad_sequences([list(s) for s in sequences], maxlen, padding=where, truncating=where)
            assert np.array_equal(pad.ref_pad_batch(sequences, maxlen, padding=where, truncating=where), expected)


# --------------------------------------------------------------------------- masked accuracy


def test_a_correct_masked_accuracy_passes():
    assert run("tagging.accuracy", student_accuracy) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"mask": "none"}, "You counted the padding"),
        ({"mask": "pred"}, "mask from the predictions"),
        ({"per_sentence": True}, "averaged the per-sentence accuracies"),
        ({"percent": True}, "returned a percentage"),
    ],
)
def test_each_accuracy_mistake_is_named(options, phrase):
    message = run("tagging.accuracy", lambda y, p: student_accuracy(y, p, **options))
    assert message and phrase in message, message


def test_an_accuracy_per_sentence_is_named():
    message = run("tagging.accuracy", lambda y, p: (np.asarray(y) == np.asarray(p)).mean(axis=1))
    assert message and "return one, over the whole batch" in message, message


def test_the_accuracy_reference_counts_words_one_by_one():
    for _, true_tags, pred_tags in tagging.ACCURACY_CASES:
        pairs = [(y, p) for ys, ps in zip(true_tags, pred_tags) for y, p in zip(ys, ps) if y != 0]
        assert tagging.ref_masked_accuracy(true_tags, pred_tags) == sum(y == p for y, p in pairs) / len(pairs)


# --------------------------------------------------------------------------- the baseline


def test_a_correct_baseline_passes():
    assert run("tagging.baseline", student_table) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"padding": True}, "Unseen words got tag 0"),
        ({"unseen": "zero"}, "Unseen words got tag 0"),
        ({"ties": "last"}, "A tie went to the larger tag id"),
        ({"row0": False}, "Row 0 (padding) got a word's tag"),
    ],
)
def test_each_baseline_mistake_is_named(options, phrase):
    message = run("tagging.baseline", lambda w, t, v: student_table(w, t, v, **options))
    assert message and phrase in message, message


def test_a_baseline_of_the_wrong_shape_or_type_is_named():
    message = run("tagging.baseline", lambda w, t, v: student_table(w, t, v)[:-1])
    assert message and "one tag per word id" in message, message
    message = run("tagging.baseline", lambda w, t, v: student_table(w, t, v).astype(float))
    assert message and "return integer tag ids" in message, message


def test_the_baseline_reference_is_the_counting_one():
    for _, words, tags, vocab_size in tagging._baseline_cases():
        assert np.array_equal(
            tagging.ref_most_frequent_tag(words, tags, vocab_size), student_table(words, tags, vocab_size)
        )


# --------------------------------------------------------------------------- the context ceiling


def test_a_correct_ceiling_passes():
    assert run("tagging.ceiling", student_ceiling) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"all_words": True}, "You scored every word"),
        ({"mean": True}, "averaged the accuracies of the windows"),
        ({"short": True}, "stops one word short"),
        ({"swap": True}, "looks the wrong way"),
        ({"centre": False}, "leaves out word t itself"),
        ({"wrap": True}, "wrapped around to its end"),
        ({"count": True}, "number of positions tagged right"),
    ],
)
def test_each_ceiling_mistake_is_named(options, phrase):
    message = run("tagging.ceiling", lambda *a, **k: student_ceiling(*a, **k, **options))
    assert message and phrase in message, message


def test_the_ceiling_is_the_best_of_every_tagger_that_sees_the_window():
    """Enumerate every function from the windows that occur to the tags these words take: the best
    one's accuracy is the ceiling (the reference's Σ max count / Σ count)."""
    words, tags = tagging.CEILING_WORDS, tagging.CEILING_TAGS
    for before, after in tagging.CEILING_WINDOWS:
        padded_words = np.pad(words, ((0, 0), (before, after)))
        positions = list(zip(*np.nonzero(np.isin(words, tagging.CEILING_SCORED))))
        keys = [tuple(padded_words[i, t : t + before + after + 1]) for i, t in positions]
        distinct = sorted(set(keys))
        best = 0
        for choice in itertools.product(
            sorted(set(tags[np.isin(words, tagging.CEILING_SCORED)])), repeat=len(distinct)
        ):
            tagger_of = dict(zip(distinct, choice))
            best = max(best, sum(tagger_of[k] == tags[i, t] for k, (i, t) in zip(keys, positions)))
        assert tagging.ref_context_ceiling(words, tags, tagging.CEILING_SCORED, before, after) == best / len(positions)


# --------------------------------------------------------------------------- hidden


def test_the_hidden_check_passes_the_reference_and_keeps_its_inputs():
    assert run("tagging.hidden", student_pad, student_accuracy, student_table, student_ceiling) is None
    for args, phrase in [
        ((lambda s, m: student_pad(s, m, front=True), student_accuracy, student_table, student_ceiling), "pre-padding"),
        ((student_pad, lambda y, p: student_accuracy(y, p, mask="none"), student_table, student_ceiling), "padding"),
        ((student_pad, student_accuracy, lambda *a: student_table(*a, ties="last"), student_ceiling), "A tie"),
        ((student_pad, student_accuracy, student_table, lambda *a, **k: student_ceiling(*a, **k, short=True)), "short"),
    ]:
        message = run("tagging.hidden", *args)
        assert message and phrase in message and "hidden" in message, message
        assert not re.search(r"\[\d", message), message  # no array of the hidden inputs


# --------------------------------------------------------------------------- the taggers


def test_a_correct_tagger_passes_both_checks():
    assert run("tagger.structure", student_tagger) is None
    assert run("tagger.causal", student_tagger) is None


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"mask": False}, "changed the outputs on their real words"),
        ({"ignore_flag": False}, "reads left to right only"),
        ({"softmax": False}, "not distributions over the tags"),
        ({"units": 64}, "expected one `GRU(32, return_sequences=True)`"),
        ({"cell": "LSTM"}, "expected one `GRU(32, return_sequences=True)`"),
        ({"dim": 8}, "Embedding(vocab_size, 16, mask_zero=True)"),
        ({"lr": 0.001}, "Adam(learning_rate=0.01)"),
        ({"loss": "mse"}, 'loss="sparse_categorical_crossentropy"'),
        ({"compiled": False}, "a model that is not compiled"),
    ],
)
def test_each_wrong_bidirectional_tagger_is_named(options, phrase):
    message = run("tagger.structure", lambda v, k, bidirectional=True: student_tagger(v, k, bidirectional, **options))
    assert message and phrase in message, message


@pytest.mark.parametrize(
    "options, phrase",
    [
        ({"ignore_flag": True}, "looks ahead"),
        ({"recurrent": False}, "nothing carries the past"),
        ({"sizes": (len(WORDS), len(TAGS))}, "with the sizes the function is given"),
        ({"mask": False}, "does not mask the padding"),
    ],
)
def test_each_wrong_forward_tagger_is_named(options, phrase):
    message = run("tagger.causal", lambda v, k, bidirectional=True: student_tagger(v, k, bidirectional, **options))
    assert message and phrase in message, message


def test_the_taggers_changes_are_far_from_the_bound():
    """The relative moves the checks compare with ``MOVED``: an unmasked or looking-ahead output moves
    by ≥ 20 × the bound on every seed, a masked or causal one by nothing."""
    import keras

    words = tagger._sentences()
    real = words != 0
    for seed in range(5):
        keras.utils.set_random_seed(seed)
        unmasked = student_tagger(len(WORDS), len(TAGS), mask=False)
        p = np.asarray(unmasked(words))
        longer = np.asarray(unmasked(np.pad(words, ((0, 0), (0, tagger.EXTRA_PADDING)))))[:, :MAX_LEN]
        assert tagger._moved(longer[real], p[real], p[real]) > 20 * tagger.MOVED
        keras.utils.set_random_seed(seed)
        masked = student_tagger(len(WORDS), len(TAGS))
        p = np.asarray(masked(words))
        longer = np.asarray(masked(np.pad(words, ((0, 0), (0, tagger.EXTRA_PADDING)))))[:, :MAX_LEN]
        assert tagger._moved(longer[real], p[real], p[real]) < tagger.MOVED / 100
        changed = words.copy()
        changed[:, 2] = tagger._other_word(words[:, 2], len(WORDS))
        assert tagger._moved(np.asarray(masked(changed))[:, 1], p[:, 1], p[real]) > 20 * tagger.MOVED


# --------------------------------------------------------------------------- editions and Persian

MODULES = ("pad.py", "tagging.py", "tagger.py", "_grammar.py")
CATALOG = translations.CHECKS / "language" / "fa.yml"


def test_every_piece_of_the_tagging_modules_has_its_persian_with_the_same_fields():
    catalog = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    for module in MODULES:
        source = (translations.CHECKS / "language" / module).read_text(encoding="utf-8")
        for piece in translations.pieces_of(source):
            assert catalog.get(piece), f"{module}: no Persian for {piece!r}"
    for english, persian in catalog.items():
        assert sorted(_translate.FIELD.findall(english)) == sorted(_translate.FIELD.findall(persian)), english


def test_the_probe_editions_hold_no_reference_and_the_visible_one_no_hidden_input():
    for module in ("pad.py", "tagging.py", "tagger.py"):
        source = (translations.CHECKS / "language" / module).read_text(encoding="utf-8")
        probe = _edition.probe_edition(source)
        assert ".verify" not in probe and "MISTAKES" not in probe
        compile(probe, module, "exec")
    visible = _edition.visible_edition((translations.CHECKS / "language" / "tagging.py").read_text(encoding="utf-8"))
    assert "HIDDEN_SEED" not in visible and "tagging.hidden" not in visible


def test_failure_messages_come_out_whole_in_persian():
    messages = [
        run("pad.batch", lambda s, m: student_pad(s, m, front=True)),
        run("tagging.accuracy", lambda y, p: student_accuracy(y, p, mask="none")),
        run("tagging.baseline", lambda w, t, v: student_table(w, t, v, ties="last")),
        run("tagging.ceiling", lambda *a, **k: student_ceiling(*a, **k, wrap=True)),
        run(
            "tagging.hidden",
            student_pad,
            student_accuracy,
            student_table,
            lambda *a, **k: student_ceiling(*a, **k, mean=True),
        ),
    ]
    for message in messages:
        persian = _translate.translate(message, "fa")
        assert _translate.persian_share(persian) > 0.5 and not persian.endswith(_translate.FALLBACK_NOTE["fa"]), persian
