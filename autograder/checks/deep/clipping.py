"""``clipping.*``: clipping a list of gradients by their global norm (Pascanu et al. 2013),

    ‖g‖ = √(Σ_i ‖g_i‖²),   g_i ← g_i · c / max(‖g‖, c),

one factor for every tensor, so the direction of the whole step is kept; a list whose global
norm is at most c comes back unchanged.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new, returned
from ._shared import to_numpy


def _gradients(seed, shapes, scales):
    rng = np.random.default_rng(seed)
    return [(scale * rng.normal(size=shape)).astype(np.float32) for shape, scale in zip(shapes, scales)]


# Visible: a big kernel gradient next to small ones (over the norm: per-tensor clipping would
# clip the big one only), and the same shapes well under the norm (the no-op case).
# Hidden: under an integer max_norm, all-zero gradients (a norm of 0: no division by it), a
# one-number gradient, a list exactly at its norm.
CLIP_CASES = {
    "visible": (
        ("over the norm", _gradients(50, [(4, 3), (3,), (3, 2), (2,)], [2.0, 0.1, 0.5, 0.1]), 1.5),
        ("under the norm", _gradients(51, [(4, 3), (3,), (3, 2), (2,)], [0.05, 0.1, 0.05, 0.1]), 1.5),
    ),
    "hidden": (
        ("under an integer norm", [np.array([0.5, -0.5], np.float32), np.array([[0.25]], np.float32)], 3),
        ("all zero", [np.zeros((3, 2), np.float32), np.zeros(2, np.float32)], 1.0),
        ("one number and a vector", [np.array([3.0], np.float32), np.array([0.0, 4.0, 12.0], np.float32)], 2),
        ("exactly at the norm", [np.array([3.0, 0.0], np.float32), np.array([[4.0]], np.float32)], 5.0),
    ),
}


def ref_clip(grads, max_norm):
    norm = np.sqrt(sum(np.sum(np.square(np.float64(g))) for g in grads))
    return [np.float64(g) * (max_norm / max(norm, max_norm)) for g in grads]


def _per_tensor(grads, max_norm):
    return [np.float64(g) * (max_norm / max(np.linalg.norm(g), max_norm)) for g in grads]


def _without_sqrt(grads, max_norm):
    squares = sum(np.sum(np.square(np.float64(g))) for g in grads)
    return [np.float64(g) * (max_norm / max(squares, max_norm)) for g in grads]


def _always_scaled(grads, max_norm):
    norm = np.sqrt(sum(np.sum(np.square(np.float64(g))) for g in grads))
    with np.errstate(all="ignore"):
        return [np.float64(g) * (max_norm / norm) for g in grads]


def _by_value(grads, max_norm):
    return [np.clip(np.float64(g), -max_norm, max_norm) for g in grads]


def _mean_of_squares(grads, max_norm):
    squares = [np.square(np.float64(g)).reshape(-1) for g in grads]
    norm = np.sqrt(np.mean(np.concatenate(squares)))
    return [np.float64(g) * (max_norm / max(norm, max_norm)) for g in grads]


MISTAKES = (
    (
        _per_tensor,
        "Each tensor was clipped by its own norm: clipping by the *global* norm scales every tensor by "
        "the same factor c / max(‖g‖, c), with ‖g‖ = √(Σ_i ‖g_i‖²) over all the tensors, so the step "
        "keeps its direction.",
    ),
    (
        _without_sqrt,
        "The global norm is missing its square root: ‖g‖ = √(Σ_i ‖g_i‖²), not the sum of squares.",
    ),
    (
        _always_scaled,
        "The gradients were scaled although their global norm is under max_norm: the factor is "
        "c / max(‖g‖, c), which is 1 — the gradients unchanged — when ‖g‖ ≤ c.",
    ),
    (
        _by_value,
        "Each value was clipped to [−c, c] (clipping by value, Keras's `clipvalue`); clipping by the "
        "global norm rescales the whole list by one factor instead.",
    ),
    (
        _mean_of_squares,
        "The global norm uses the mean of the squares: ‖g‖ = √(Σ_i ‖g_i‖²) sums them.",
    ),
)


def _clip_probe(clip_by_global_norm, name):
    import tensorflow as tf

    out = {}
    for i, (_, grads, max_norm) in enumerate(CLIP_CASES[name]):
        tensors = [tf.constant(g) for g in grads]  # what `tape.gradient` returns
        clipped = clip_by_global_norm(tensors, max_norm)
        returned(clipped, "`clip_by_global_norm`")
        if not isinstance(clipped, (list, tuple)):
            raise Fail(
                f"`clip_by_global_norm` returned a {type(clipped).__name__}; expected a list with one "
                "tensor per gradient (the clipped gradients, in order)."
            )
        out[f"count{i}"] = len(clipped)
        for j, g in enumerate(clipped):
            out[f"g{i}_{j}"] = np.asarray(to_numpy(g), dtype=np.float64)
    return out


def _clip_verify(r, name):
    for i, (label, grads, max_norm) in enumerate(CLIP_CASES[name]):
        if int(r[f"count{i}"]) != len(grads):
            raise Fail(
                f"`clip_by_global_norm` returned {int(r[f'count{i}'])} tensors for {len(grads)} gradients; "
                "expected one clipped tensor per gradient, in the same order."
            )
        got = [np.asarray(r[f"g{i}_{j}"], np.float64) for j in range(len(grads))]
        expected = ref_clip(grads, max_norm)
        for j, (g, e) in enumerate(zip(got, expected)):
            expect.shape(g, e.shape, f"clipped gradient {j} ({label})")
            if not np.all(np.isfinite(g)):
                raise Fail(
                    f"`clip_by_global_norm`'s gradient {j} ({label}) has inf or nan values. With all-zero "
                    "gradients the global norm is 0: divide by max(‖g‖, c), never by ‖g‖ alone."
                    if label == "all zero"
                    else f"`clip_by_global_norm`'s gradient {j} ({label}) has inf or nan values."
                )
        if all(expect.matches(g, e, **expect.ELEMENTWISE) for g, e in zip(got, expected)):
            continue
        hint = next(
            (
                h
                for mistake, h in MISTAKES
                if all(expect.matches(g, m, **expect.ELEMENTWISE) for g, m in zip(got, mistake(grads, max_norm)))
            ),
            "Compute ‖g‖ = √(Σ_i ‖g_i‖²) over every tensor, then multiply each by c / max(‖g‖, c).",
        )
        j = next(j for j, (g, e) in enumerate(zip(got, expected)) if not expect.matches(g, e, **expect.ELEMENTWISE))
        what = f"`clip_by_global_norm`'s gradient {j} ({label}, max_norm={max_norm:g})"
        if name == "hidden":  # quote no inputs
            raise Fail(f"{what} is wrong. {hint}")
        expect.close(got[j], expected[j], what, hint, **expect.ELEMENTWISE)


global_norm = new(
    "clipping.global_norm", 2, "`clip_by_global_norm` scales all gradients by one factor, and only over the norm"
)


@global_norm.probe
def _(clip_by_global_norm):
    return _clip_probe(clip_by_global_norm, "visible")


@global_norm.verify
def _(r):
    _clip_verify(r, "visible")


global_norm_hidden = new(
    "clipping.global_norm_hidden",
    1,
    "`clip_by_global_norm` handles zero gradients, a list at its norm and an integer max_norm",
    hidden=True,
)


@global_norm_hidden.probe
def _(clip_by_global_norm):
    return _clip_probe(clip_by_global_norm, "hidden")


@global_norm_hidden.verify
def _(r):
    _clip_verify(r, "hidden")
