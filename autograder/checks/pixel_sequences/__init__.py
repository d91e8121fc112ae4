"""Checks for assignment 07: sequences read from and written about pixels (deck topic 14: OCR and
image captioning).

    CTC          classes 0 = blank, 1 + d = digit d (C = 11); a frame path collapses repeats, then
                 drops blanks; α-recursion over l' = [b, l1, b, l2, …, b]; NLL = −log(α_T(S) + α_T(S−1))
    CER          Σ Levenshtein(truth, prediction) / Σ len(truth) over a set of lines
    captions     tokens 0 = <pad>, 1 = <start>, 2 = <end>, words from 3; teacher forcing feeds
                 [<start>, w1 … wn] and predicts [w1 … wn, <end>]; greedy decoding; BLEU to 2-grams

One module per check-id prefix: ``ctc.py``, ``cer.py``, ``crnn.py``, ``caption.py``,
``captioner.py``; ``_shared.py`` generates the seeded digit lines and captioned scenes.
"""

from ._shared import (  # noqa: F401 (the notebook imports them from here)
    TOKEN,
    VOCAB,
    caption_text,
    captioned_scenes,
    digit_lines,
    line_text,
)
