"""``pairs.*``: the (inputs, targets) windows a recurrent language model trains on.

    inputs[i]  = ids[i     : i + context]
    targets[i] = ids[i + 1 : i + context + 1]        i = 0 … m − 1,  m = len(ids) − context

Many to many: at every position j of a window the network reads ``inputs[i, j]`` (and, through
its state, what came before it) and is scored on the *next* id, ``targets[i, j] = inputs[i, j + 1]``.
No target may be visible in its own input position: a window whose targets are its inputs lets a
network that copies its input reach a loss of zero and learn nothing about language.
"""

from __future__ import annotations

import numpy as np

from .._core import Fail, new, returned


def ref_next_token_pairs(ids, context, *, shift=1, windows="all", stride=1):
    """The reference (inputs, targets), int64; each keyword argument turns on one known mistake
    (``MISTAKES``): ``shift`` 0 or 2, ``windows`` ``"one_fewer"``, ``stride`` = context."""
    ids = np.asarray(ids, np.int64).ravel()
    m = len(ids) - context - (1 if windows == "one_fewer" else 0) - (shift - 1 if shift > 1 else 0)
    starts = np.arange(0, max(m, 0), stride)
    inputs = np.stack([ids[i : i + context] for i in starts]) if len(starts) else np.zeros((0, context), np.int64)
    targets = (
        np.stack([ids[i + shift : i + shift + context] for i in starts]) if len(starts) else np.zeros((0, context))
    )
    return inputs.astype(np.int64), targets.astype(np.int64)


PERSIAN_TEXT = "بابا آب داد."
PERSIAN_IDS = np.asarray([(["<unk>"] + sorted(set(PERSIAN_TEXT))).index(c) for c in PERSIAN_TEXT], np.int64)

# Distinct ids in the first case, so that every shift and every window reads differently.
CASES = (
    ("12 distinct ids, context 4", np.arange(10, 22, dtype=np.int64), 4),
    ("the ids of «بابا آب داد.», context 3", PERSIAN_IDS, 3),
    ("5 ids, context 4 (one window)", np.array([7, 1, 5, 2, 6], np.int64), 4),
)

windows = new(
    "pairs.windows",
    1,
    "`next_token_pairs(ids, context)`: m = len(ids) − context windows, each target row the input row shifted by "
    "one (no target visible in its own input position)",
)


@windows.probe
def _(next_token_pairs):
    record = {}
    for i, (_, ids, context) in enumerate(CASES):
        given = ids.copy()
        out = returned(next_token_pairs(given, context), "`next_token_pairs`")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise Fail(
                f"`next_token_pairs` returned a {type(out).__name__}: return the pair `(inputs, targets)`, two arrays."
            )
        record[f"inputs{i}"], record[f"targets{i}"] = out
        record[f"kept{i}"] = bool(np.array_equal(given, ids))
    return record


MISTAKES = (
    (
        lambda ids, c: ref_next_token_pairs(ids, c, shift=0),
        "Your targets are the inputs themselves, not shifted: a network that copies its input would reach a loss of "
        "0 on them and learn nothing. The target at position j is the *next* id, `targets[i] = ids[i + 1 : i + "
        "context + 1]`.",
    ),
    (
        lambda ids, c: ref_next_token_pairs(ids, c, shift=2),
        "Your targets are shifted by two: the target at position j is the id right after input j, "
        "`targets[i] = ids[i + 1 : i + context + 1]`.",
    ),
    (
        lambda ids, c: ref_next_token_pairs(ids, c, windows="one_fewer"),
        "You made one window too few: the last window's target row may end on the last id, so "
        "m = len(ids) − context (`range(len(ids) - context)`).",
    ),
    (
        lambda ids, c: ref_next_token_pairs(ids, c, stride=c),
        "Your windows do not overlap (a stride of `context`): start one at every position, i = 0 … m − 1, "
        "m = len(ids) − context.",
    ),
)

FALLBACK = (
    "inputs[i] = ids[i : i + context] and targets[i] = ids[i + 1 : i + context + 1], for i = 0 … "
    "len(ids) − context − 1."
)


def _explain(inputs, targets, ids, context):
    for mistake, hint in MISTAKES:
        wrong_inputs, wrong_targets = mistake(ids, context)
        if (
            inputs.shape == wrong_inputs.shape
            and targets.shape == wrong_targets.shape
            and np.array_equal(inputs, wrong_inputs)
            and np.array_equal(targets, wrong_targets)
        ):
            return hint
    m = len(ids) - context
    if targets.shape == (m,) and np.array_equal(targets, ids[context:]):
        return (
            "Your targets are one id per window (many to one): the recurrent model predicts at every position, so "
            "each target is a row of `context` ids, `ids[i + 1 : i + context + 1]`."
        )
    if inputs.shape == targets.shape and inputs.ndim == 2 and np.array_equal(inputs, targets):
        return MISTAKES[0][1]
    return ""


@windows.verify
def _(r):
    for i, (name, ids, context) in enumerate(CASES):
        inputs, targets = np.asarray(r[f"inputs{i}"]), np.asarray(r[f"targets{i}"])
        expected_inputs, expected_targets = ref_next_token_pairs(ids, context)
        m = len(ids) - context
        what = f"`next_token_pairs` on {name}"
        if not bool(r[f"kept{i}"]):
            raise Fail(f"{what} changed the `ids` it was given: build new arrays.")
        if inputs.shape == expected_inputs.shape and targets.shape == expected_targets.shape:
            if inputs.dtype.kind not in "iu" or targets.dtype.kind not in "iu":
                raise Fail(f"{what} returned arrays of dtype {inputs.dtype} and {targets.dtype}: return integer ids.")
            if np.array_equal(inputs, expected_inputs) and np.array_equal(targets, expected_targets):
                continue
        hint = _explain(inputs, targets, ids, context)
        if not hint and (inputs.shape != expected_inputs.shape or targets.shape != expected_targets.shape):
            raise Fail(
                f"{what} returned inputs of shape {inputs.shape} and targets of shape {targets.shape}, expected both "
                f"(m, context) = {expected_inputs.shape}: m = len(ids) − context = {len(ids)} − {context} = {m} "
                "windows of `context` ids."
            )
        if not hint and np.array_equal(inputs, expected_inputs):
            looks_ahead = inputs.ndim == 2 and targets.ndim == 2 and np.any(targets[:, :-1] != inputs[:, 1:])
            hint = (
                "Your inputs are right but not your targets: the target at position j must be the input at j + 1 "
                "(`targets[:, :-1] == inputs[:, 1:]`), with the id after the window last."
                if looks_ahead
                else "The last target of each window must be the id after the window, `ids[i + context]`."
            )
        raise Fail(f"{what} gives other windows than expected. {hint or FALLBACK}")
