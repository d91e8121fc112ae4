"""Checks for assignment 04: deep networks and vanishing gradients (deck topics 12–13).

The deck's update of the first layer is a product of many factors,

    W₁ ← W₁ − η · ∂L/∂ŷ · ∂ŷ/∂h₃ · ∂h₃/∂h₂ · ∂h₂/∂h₁ · ∂h₁/∂W₁,

each ∂h_k/∂h_{k−1} = diag(σ'(z_k)) W_k with σ' ≤ 1/4, so the product becomes very small.
The references are float64 NumPy: a forward/backward pass through dense stacks
(optionally with batch normalisation and skip connections) computed from the weights the probe
recorded, so the grader can re-verify every record without TensorFlow.

One module per check-id prefix: ``gradients.py``, ``remedies.py``, ``clipping.py``, ``chain.py``,
``pretrain.py``, ``depth.py``; ``_shared.py`` holds the deep network the gradient probes build and its inputs.
"""

from .pretrain import pretraining_task  # noqa: F401 (the notebook imports it from here)
