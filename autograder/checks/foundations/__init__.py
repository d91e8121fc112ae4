"""Checks for assignment 00: foundations (deck topics 1–4 and 10).

    network        ŷ = f°(W°ʰ fʰ(Wⁱʰ x + bⁱʰ) + b°ʰ)    Wⁱʰ: hidden × input, W°ʰ: output × hidden
                   for a batch with one sample per row:  f°(fʰ(x Wⁱʰᵀ + bⁱʰ) W°ʰᵀ + b°ʰ)
    activations    sigmoid, tanh, ReLU, step, linear; their derivatives; autodiff; saturation
    RBF network    ŷ(x) = Σⱼ wⱼ g(x − cⱼ, β),  g(x, β) = exp(−x²/β)
    approximation  one hidden layer fits a 1-D target; a grid search over width × learning rate
    backprop       the network's backward pass (tanh hidden, sigmoid output, mean cross-entropy),
                   gradient descent, and both trained on the two moons

The network checks isolate one idea each: `equation.order` zeroes the biases and makes f° the
identity, `equation.bias` makes both matrices the identity, `equation.output_activation` zeroes
the biases and makes both matrices 2I, so a mistake fails its own check (and `equation.shapes`
when it also breaks rectangular shapes).

One module per check-id prefix: ``equation.py``, ``common_activations.py``, ``rbf_network.py``,
``approximation.py``, ``backprop.py``; ``_shared.py`` holds the activations handed to the student's
code and the two-moons data.
"""

from ._shared import moons  # noqa: F401 (the notebook imports it from here)
