"""Checks for assignment 02: recurrent networks (deck topics 6, 8, 9).

    Elman   h_t = f(W_x x_t + W_h h_{t−1} + b)                    state h_t
    Jordan  h_t = f(W_x x_t + W_y y_{t−1} + b),  y_t = g(W_o h_t + b_o)   state y_t
    tapped delay line  ŷ_k = f(x_k, x_{k−1}, …, x_{k−d}; θ),  here predicting y_k = x_{k+1}
    BPTT               ∂L/∂h_t = G_t + ∂L/∂z_{t+1} W_hᵀ,  ∂L/∂z_t = ∂L/∂h_t ⊙ (1 − h_t²)
    free-running       x̂_{k+j} = f(…, x_k, x̂_{k+1}, …, x̂_{k+j−1})

Keras keeps a batch as rows, so W_x x_t is written ``x_t @ kernel`` with ``kernel`` = W_xᵀ of
shape (input features, units); the weight names are Keras's own (``SimpleRNN`` uses them too),
so the checks can copy weights between the student's cell and Keras's.

One module per check-id prefix: ``elman.py``, ``bptt.py``, ``jordan.py`` (the multiple-choice
question too), ``windows.py``, ``forecast.py``;
``_shared.py`` holds the probes' helpers.
"""
