"""The data of assignment 08's language-model checks, generated from a seed (shared: copied into
graded kernels as it is).

*The Markov source.* A character source whose order is known, so that the best any model can do is
known exactly: an order-2 Markov chain over ``ALPHABET`` (a space and six letters). Its transition
table P(next | two previous), ``TRANSITIONS[a, b, c]`` = P(c | a, b), is drawn once from a Dirichlet
distribution of small concentration (0.2), so that most pairs have two or three likely successors.
The pairs (a, b) form an ordinary Markov chain, (a, b) → (b, c) with probability P(c | a, b); its
stationary distribution ``STATIONARY[a, b]`` weighs each pair's conditional entropy into the
source's **entropy rate**

    H = −Σ_{a,b} π(a, b) Σ_c P(c | a, b) log P(c | a, b)   (nats per character),

``ENTROPY_RATE`` ≈ 0.847 nats (1.22 bits): no predictor of the next character, however it was
trained, has a lower expected NLL on text from this source, and a perfect one has exactly H, a
perplexity of exp(H) ≈ 2.33. Every sample starts from the stationary distribution, so every
position of it is distributed alike.

Characters are numbered as ``build_vocabulary`` numbers them: id 0 is ``"<unk>"`` and the sorted
alphabet follows, so a character's id is 1 + its index in ``ALPHABET`` (``VOCAB_SIZE`` = 8).
"""

from __future__ import annotations

import bisect

import numpy as np

ALPHABET = " abcdef"  # sorted: the space comes first
K = len(ALPHABET)
VOCAB_SIZE = K + 1  # "<unk>" and the alphabet
TABLE_SEED, CONCENTRATION = 1, 0.2


def _transitions() -> np.ndarray:
    return np.random.default_rng(TABLE_SEED).dirichlet(np.full(K, CONCENTRATION), size=(K, K))


def _stationary(transitions) -> np.ndarray:
    """π over pairs (a, b): the left eigenvector of the pair chain's matrix for eigenvalue 1."""
    chain = np.zeros((K * K, K * K))
    for a in range(K):
        for b in range(K):
            chain[a * K + b, b * K : (b + 1) * K] = transitions[a, b]
    values, vectors = np.linalg.eig(chain.T)
    pi = np.real(vectors[:, np.argmin(np.abs(values - 1.0))])
    return (pi / pi.sum()).reshape(K, K)


TRANSITIONS = _transitions()  # (K, K, K): TRANSITIONS[a, b, c] = P(c | a, b)
STATIONARY = _stationary(TRANSITIONS)  # (K, K): the stationary probability of each pair
ENTROPY_RATE = float(-np.sum(STATIONARY[..., None] * TRANSITIONS * np.log(TRANSITIONS)))  # nats per character
_CUMULATIVE = np.cumsum(TRANSITIONS, axis=-1)


def markov_text(n: int, seed: int = 0) -> str:
    """``n`` characters of the Markov source, one chain started from its stationary distribution.

    Args:
        n: how many characters.
        seed: the generator's seed (the same seed gives the same text).
    """
    rng = np.random.default_rng(seed)
    a, b = divmod(int(rng.choice(K * K, p=STATIONARY.ravel())), K)
    cumulative = _CUMULATIVE.reshape(K * K, K).tolist()
    out = [a, b]
    for u in rng.random(max(n - 2, 0)).tolist():
        c = min(bisect.bisect_right(cumulative[a * K + b], u), K - 1)
        out.append(c)
        a, b = b, c
    return "".join(ALPHABET[i] for i in out[:n])


def markov_ids(rows: int, length: int, seed: int = 0) -> np.ndarray:
    """``rows`` independent stretches of the source, each ``length`` characters, as vocabulary ids.

    Each row starts from the stationary distribution; the rows are drawn side by side (fast), so
    they are not the rows of one ``markov_text``.

    Returns:
        int64 array (rows, length) of ids 1 … K (1 + the index in ``ALPHABET``; 0, ``"<unk>"``,
        never occurs).
    """
    rng = np.random.default_rng(seed)
    out = np.empty((rows, max(length, 2)), np.int64)
    first = rng.choice(K * K, size=rows, p=STATIONARY.ravel())
    out[:, 0], out[:, 1] = np.divmod(first, K)
    uniform = rng.random((rows, out.shape[1]))
    for t in range(2, out.shape[1]):
        cumulative = _CUMULATIVE[out[:, t - 2], out[:, t - 1]]
        out[:, t] = np.minimum((uniform[:, t, None] >= cumulative).sum(axis=1), K - 1)
    return out[:, :length] + 1


def text_ids(text: str) -> np.ndarray:
    """The ids of a text of the source's alphabet (1 + the index in ``ALPHABET``), int64."""
    return np.asarray([1 + ALPHABET.index(c) for c in text], np.int64)
