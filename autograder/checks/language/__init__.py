"""Checks for assignment 08: language modelling and part-of-speech tagging (deck topic 15).

    characters     vocabulary ["<unk>"] + sorted(set(text)); targets are the inputs shifted by one
    n-grams        add-k: P(w | h) = (c(h, w) + k) / (c(h) + kV); perplexity = exp(mean NLL) (nats)
    sampling       softmax(logits / T) from the given generator; T = 0 is the argmax
    the source     an order-2 Markov chain over " abcdef" whose entropy rate is known exactly
    tagging        0 = padding in words and tags; post-padding; accuracy over true tags != 0;
                   ambiguous words take their tag from the next word

One module per check-id prefix: ``vocab.py``, ``pairs.py``, ``ngram.py``, ``sampling.py``,
``char_lm.py``, ``pad.py``, ``tagging.py``, ``tagger.py``; ``_source.py`` holds the Markov source,
``_grammar.py`` the tagged toy grammar.
"""

from ._grammar import (  # noqa: F401 (the notebook imports them from here)
    AMBIGUOUS_IDS,
    FLAT_IDS,
    MAX_LEN,
    TAG,
    TAGS,
    WORD,
    WORDS,
    sentence_text,
    tag_text,
    tagged_sentences,
)
from ._source import ALPHABET, ENTROPY_RATE, TRANSITIONS, VOCAB_SIZE, markov_ids, markov_text, text_ids  # noqa: F401
