"""Checks for assignment 05: feed-forward architectures (deck topics 7 and 14).

    autoencoder     x̂ = g(x) = decoder(encoder(x)), trained so that x̂ ≈ x;
                    reconstruction error e(x, x̂) = (1/d) Σ_k (x_k − x̂_k)²  (one number per image)
    weight sharing  a conv layer is the dense layer  flatten(y) = flatten(x) · M + b  whose matrix M
                    holds the same kernel at every output position (zeros elsewhere);
                    parameters: dense (HWC + 1)·H'W'F, locally connected (k_h k_w C + 1)·H'W'F,
                    conv (k_h k_w C + 1)·F, with H' = H − k_h + 1, W' = W − k_w + 1 ('valid')
    OCR             a small CNN on scikit-learn's 8×8 digits; confusion matrix C[true, predicted]

One module per check-id prefix: ``autoencoder.py``, ``weight_sharing.py``, ``cnn.py``;
``_shared.py`` holds the course's split of the digits.
"""

from ._shared import digits_split  # noqa: F401 (the notebook imports it from here)
