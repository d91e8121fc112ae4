"""``windows.*``: the tapped delay line ŷ_k = f(x_k, x_{k−1}, …, x_{k−d}; θ), here predicting y_k = x_{k+1}."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from ._shared import uniform


def ref_windows(series, d):
    series = np.asarray(series, dtype=np.float64)
    X = np.stack([series[k - d : k + 1] for k in range(d, len(series) - 1)])
    return X, series[d + 1 :]


WINDOW_CASES = [  # (series, d)
    (uniform(700, (10,), 2.0), 3),
    (uniform(701, (9, 2), 2.0), 2),  # two features per time step
    (uniform(702, (6,), 2.0), 0),  # d = 0: the current value only
]

WINDOW_MISTAKES = [
    (
        lambda s, d: (np.stack([s[k - d : k + 1] for k in range(d, len(s))]), s[d:]),
        "Your target is the last value of its own window: the input x_k must predict the *next* value "
        "x_{k+1}, which the window must not contain.",
    ),
    (
        lambda s, d: (np.stack([s[k - d : k + 1][::-1] for k in range(d, len(s) - 1)]), s[d + 1 :]),
        "Your windows are newest-first: keep time order x_{k−d}, …, x_k (oldest first), as an RNN reads it.",
    ),
    (
        lambda s, d: (np.stack([s[k - d : k] for k in range(d, len(s))]), s[d:]),
        "Your windows hold d values x_{k−d}, …, x_{k−1}: the deck's tapped delay line also feeds the "
        "current x_k, so each window has d + 1 values.",
    ),
]


def _same(actual, expected) -> bool:
    return actual.shape == expected.shape and np.allclose(actual, expected, rtol=1e-6, atol=1e-6)


windows_values = new(
    "windows.values", 2, "`make_windows(series, d)` builds the tapped-delay inputs and next-value targets"
)


@windows_values.probe
def _(make_windows):
    out = {}
    for i, (series, d) in enumerate(WINDOW_CASES):
        X, Y = make_windows(series.astype("float32"), d)
        out[f"X{i}"], out[f"Y{i}"] = X, Y
    return out


@windows_values.verify
def _(r):
    for i, (series, d) in enumerate(WINDOW_CASES):
        X_ref, Y_ref = ref_windows(series, d)
        if _same(r[f"X{i}"], X_ref) and _same(r[f"Y{i}"], Y_ref):
            continue
        hint = ""
        for mistake, text in WINDOW_MISTAKES:
            X_bad, Y_bad = mistake(series, d)
            if _same(r[f"X{i}"], X_bad) and _same(r[f"Y{i}"], Y_bad):
                hint = text
                break
        call = f"`make_windows(series, d={d})` on a series of shape {series.shape}"
        if hint:
            raise Fail(f"{call} is wrong. {hint}")
        n = len(series)
        expect.shape(r[f"X{i}"], X_ref.shape, f"X from {call}")
        expect.shape(r[f"Y{i}"], Y_ref.shape, f"Y from {call}")
        expect.close(
            r[f"X{i}"], X_ref, f"X from {call}", f"Row i holds series[i : i + d + 1] (here rows 0…{n - d - 2})."
        )
        expect.close(r[f"Y{i}"], Y_ref, f"Y from {call}", "Y[i] is series[i + d + 1], the value after window i.")


LEAK_SERIES = np.arange(12, dtype=np.float64)  # each value is its own time index
LEAK_D = 4

windows_no_leak = new("windows.no_leak", 1, "no window contains its target or any later value (no look-ahead)")


@windows_no_leak.probe
def _(make_windows):
    X, Y = make_windows(LEAK_SERIES.astype("float32"), LEAK_D)
    return {"X": X, "Y": Y}


@windows_no_leak.verify
def _(r):
    X, Y = r["X"], r["Y"]
    if X.ndim != 2 or Y.ndim != 1 or len(X) != len(Y) or len(X) == 0:
        raise Fail(
            f"on a series of shape (12,), `make_windows` returned X of shape {X.shape} and Y of shape "
            f"{Y.shape}: expected one window (a row of X) per target."
        )
    latest_input = X.max(axis=1)
    leaks = np.flatnonzero(latest_input >= Y)
    if leaks.size:
        i = int(leaks[0])
        raise Fail(
            f"on the series 0, 1, …, 11 (each value is its time step), window {i} contains time step "
            f"{latest_input[i]:g} but its target is time step {Y[i]:g}: the model would see the "
            "answer (look-ahead). Every input must come before the value it predicts."
        )
