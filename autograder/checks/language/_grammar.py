"""The tagged sentences of assignment 08's part 2, generated from a seed (shared: copied into
graded kernels).

A toy English grammar writes short sentences and their part-of-speech tags::

    sentence   = subject  verb [adverb] [preposition determiner [adjective] noun]
    subject    = determiner [adjective]  ( ambiguous noun  |  ambiguous  |  noun )

Two kinds of word have two tags:

* the *ambiguous* words ("light", "cold", "dark", "round", "plain") are adjectives or nouns, and
  only the **next** word says which: "the light box shines" (light = ADJ: a noun follows) against
  "the light shines" (light = NOUN: a verb follows). The grammar chooses between the two readings
  with a fair coin drawn *after* it has written every word before the ambiguous one, so the words
  up to and including it say nothing about its tag: a tagger that reads left to right can only
  guess, one that also sees the next word can always tell;
* the *flat* adverbs ("fast", "late", "hard", "high", "low") fill the adjective slots and the
  adverb slot, and the **previous** word says which: "the fast wind" (ADJ after a determiner)
  against "moves fast" (ADV after a verb). A left-to-right tagger knows; a tagger that looks at
  the word alone (the most frequent tag) does not.

Word and tag ids index ``WORDS`` and ``TAGS``; id 0 is padding in both. Every other word has one
tag; an ambiguous word never ends a sentence (a verb always follows the subject).
"""

from __future__ import annotations

import numpy as np

PAD = 0
TAGS = ("<pad>", "DET", "ADJ", "NOUN", "VERB", "ADV", "PREP")
TAG = {tag: i for i, tag in enumerate(TAGS)}

DETERMINERS = ("the", "a", "this")
ADJECTIVES = ("big", "small", "red", "new", "soft")
NOUNS = ("box", "door", "lamp", "road", "house", "wind", "table")
VERBS = ("shines", "opens", "falls", "moves", "stays", "fades", "returns")
ADVERBS = ("slowly", "again", "today")
PREPOSITIONS = ("near", "under", "by")
AMBIGUOUS = ("light", "cold", "dark", "round", "plain")  # ADJ before a noun, NOUN before a verb
FLAT = ("fast", "late", "hard", "high", "low")  # ADJ after a determiner, ADV after a verb

WORDS = ("<pad>", *DETERMINERS, *ADJECTIVES, *NOUNS, *VERBS, *ADVERBS, *PREPOSITIONS, *AMBIGUOUS, *FLAT)
WORD = {word: i for i, word in enumerate(WORDS)}
AMBIGUOUS_IDS = tuple(WORD[w] for w in AMBIGUOUS)
FLAT_IDS = tuple(WORD[w] for w in FLAT)
MAX_LEN = 10  # the longest sentence: det adj amb noun verb adv prep det adj noun

P_AMBIGUOUS = 0.6  # the subject holds an ambiguous word
P_MODIFIER = 0.5  # … which is an adjective (a noun follows) rather than the head noun (a verb follows)
P_ADJECTIVE, P_ADVERB, P_PHRASE = 0.3, 0.4, 0.4


def tagged_sentences(n: int, seed: int = 0):
    """``n`` seeded sentences of 3–10 words and their tags: ``(words, tags)``.

    Args:
        n: how many sentences.
        seed: the generator's seed (the same seed gives the same sentences).

    Returns:
        words: a list of n lists of word ids (indices of ``WORDS``), of different lengths;
        tags: a list of n lists of tag ids (indices of ``TAGS``), one per word.
    """
    rng = np.random.default_rng(seed)
    all_words, all_tags = [], []
    for _ in range(n):
        sentence = []  # (word, tag) pairs

        def add(choices, tag, sentence=sentence):
            sentence.append((choices[int(rng.integers(len(choices)))], tag))

        add(DETERMINERS, "DET")
        if rng.random() < P_ADJECTIVE:
            add(ADJECTIVES + FLAT, "ADJ")
        if rng.random() < P_AMBIGUOUS:
            word = AMBIGUOUS[int(rng.integers(len(AMBIGUOUS)))]
            if rng.random() < P_MODIFIER:  # drawn after every word before it: they cannot tell
                sentence.append((word, "ADJ"))
                add(NOUNS, "NOUN")
            else:
                sentence.append((word, "NOUN"))
        else:
            add(NOUNS, "NOUN")
        add(VERBS, "VERB")
        if rng.random() < P_ADVERB:
            add(ADVERBS + FLAT, "ADV")
        if rng.random() < P_PHRASE:
            add(PREPOSITIONS, "PREP")
            add(DETERMINERS, "DET")
            if rng.random() < P_ADJECTIVE:
                add(ADJECTIVES + FLAT, "ADJ")
            add(NOUNS, "NOUN")
        all_words.append([WORD[w] for w, _ in sentence])
        all_tags.append([TAG[t] for _, t in sentence])
    return all_words, all_tags


def sentence_text(word_ids) -> str:
    """Word ids as words, padding skipped: ``[1, 29, 9, 16]`` → ``"the light box shines"``."""
    return " ".join(WORDS[int(i)] for i in np.asarray(word_ids).ravel() if i != PAD)


def tag_text(tag_ids) -> str:
    """Tag ids as tag names, padding skipped."""
    return " ".join(TAGS[int(i)] for i in np.asarray(tag_ids).ravel() if i != PAD)
