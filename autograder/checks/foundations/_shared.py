"""What the checks of assignment 00 hand to the student's code (shared: copied into graded kernels
as is): the functions passed as fʰ and f°, float64 NumPy so that they accept whatever arrays the
student's code hands them (``logistic`` is also the reference for the student's sigmoid), and the
two-moons data the backward pass is trained on (the notebook imports ``moons`` too)."""

from __future__ import annotations

import numpy as np


def identity(z):
    return z


def logistic(z):
    """σ(z) = 1/(1 + e^(−z)), stable for any z: a probe input (an f°) and the reference for `sigmoid`."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))  # stable for any z


def moons(n_samples, noise, seed):
    """Two interleaving half-circles, labels 0 and 1: ``sklearn.datasets.make_moons(n_samples,
    noise=noise, random_state=seed)`` number for number (tests/checks/test_foundations.py), in
    NumPy so that a kernel need not import scikit-learn. Returns x (n_samples, 2), labels (n_samples,)."""
    rng = np.random.RandomState(seed)  # make_moons's generator: the same draws in the same order
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer, inner = np.linspace(0, np.pi, n_outer), np.linspace(0, np.pi, n_inner)
    x = np.stack(
        [np.append(np.cos(outer), 1 - np.cos(inner)), np.append(np.sin(outer), 1 - np.sin(inner) - 0.5)], axis=1
    )
    labels = np.append(np.zeros(n_outer), np.ones(n_inner))
    order = rng.permutation(n_samples)
    x, labels = x[order], labels[order]
    return x + rng.normal(scale=noise, size=x.shape), labels
