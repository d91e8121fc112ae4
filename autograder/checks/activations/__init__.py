"""Checks for assignment 01: flexible activation functions (deck topics 4–5).

    flexible sigmoid  g(x, a) = 2|a| / (1 + exp(−2|a|x))
    flexible tanh     g(x, a) = (1 − exp(−2|a|x)) / (a (1 + exp(−2|a|x))) = tanh(|a|x)/a
                      (odd in a, a jump at a = 0: x there by the course's convention)
    RBF               g(x, β) = exp(−x² / β),  β > 0

One module per check-id prefix: ``flexible_sigmoid.py``, ``flexible_tanh.py``, ``rbf.py``,
``activations.py`` (config and saving of all three), ``fold.py`` (a folded into the Dense
weights); ``_shared.py`` holds the probes' inputs.
"""

from .flexible_sigmoid import ref_flexible_sigmoid  # noqa: F401 (tests reach it here)
