"""``forecast.*``: a free-running (multi-step, closed-loop) forecast with a one-step predictor.

    x̂_{k+1} = f(x_{k−d}, …, x_k),  x̂_{k+2} = f(x_{k−d+1}, …, x_k, x̂_{k+1}),  …

The student's ``free_run(predict_next, window, steps)`` feeds each prediction back as the newest
value of the window. The check hands it a fixed non-linear autoregressive predictor (NumPy, so
that the probe is fast and exact) whose weights differ per lag, so a window in the wrong order or
not shifted gives other numbers; batch, window length and steps all differ.
"""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from ._shared import uniform

FORECAST_CASES = {  # name: (batch, window length d + 1, steps, predictor returns (batch, 1)?)
    "several steps": (3, 4, 7, False),
    "one step": (2, 5, 1, False),
    "Keras-shaped predictions": (4, 3, 6, True),
}


def ar_weights(length: int) -> np.ndarray:
    """Weights of the fixed predictor, one per lag (oldest first), none alike."""
    return uniform(800 + length, (length,), scale=0.9)


def ar_predictor(window, keras_shaped=False):
    """The fixed one-step predictor the check hands to `free_run`: tanh of a weighted window."""
    window = np.asarray(window, dtype=np.float64)
    prediction = np.tanh(window @ ar_weights(window.shape[1]) + 0.3) * 1.5
    return prediction[:, None] if keras_shaped else prediction


def forecast_window(case: str) -> np.ndarray:
    batch, length, _, _ = FORECAST_CASES[case]
    return uniform(810 + length, (batch, length), scale=1.5)


FORECAST_MISTAKES = {
    "window never updated": "Every step of your forecast predicts from the same window: after each "
    "step drop the oldest value and append the prediction, then predict again from the new window.",
    "prediction put first": "Your forecast puts each prediction at the *start* of the window: the window "
    "is oldest first, so drop `window[:, 0]` and append the prediction at the end.",
    "newest value dropped": "Your forecast drops the newest value instead of the oldest: keep "
    "`window[:, 1:]` and append the prediction after it.",
}


def ref_free_run(case: str, mistake: str | None = None) -> np.ndarray:
    """The reference forecast of case ``case`` (batch, steps), or that of a named mistake."""
    _, _, steps, _ = FORECAST_CASES[case]
    window, forecast = forecast_window(case), []
    for _ in range(steps):
        next_value = ar_predictor(window)
        forecast.append(next_value)
        if mistake == "prediction put first":
            window = np.concatenate([next_value[:, None], window[:, :-1]], axis=1)
        elif mistake == "newest value dropped":
            window = np.concatenate([window[:, :-1], next_value[:, None]], axis=1)
        elif mistake != "window never updated":
            window = np.concatenate([window[:, 1:], next_value[:, None]], axis=1)
    return np.stack(forecast, axis=1)


free_run_check = new(
    "forecast.free_run",
    2,
    "`free_run` feeds each prediction back as the newest value of the window (a closed-loop forecast)",
)


@free_run_check.probe
def _(free_run):
    out = {}
    for i, (case, (_, _, steps, keras_shaped)) in enumerate(FORECAST_CASES.items()):
        window = forecast_window(case)
        given = window.copy()
        calls = []

        def predict_next(w, keras_shaped=keras_shaped, calls=calls):
            calls.append(np.shape(w))
            return ar_predictor(w, keras_shaped)

        out[f"forecast{i}"] = free_run(predict_next, given, steps)
        out[f"calls{i}"] = len(calls)
        out[f"window_kept{i}"] = bool(np.array_equal(given, window))
    return out


@free_run_check.verify
def _(r):
    for i, (case, (batch, length, steps, keras_shaped)) in enumerate(FORECAST_CASES.items()):
        expected = ref_free_run(case)
        mistakes = {m: ref_free_run(case, m) for m in FORECAST_MISTAKES}  # all of them: the tables hold each
        call = f"`free_run(predict_next, window, steps={steps})` with a window of shape {(batch, length)}" + (
            " and a predictor that returns shape (batch, 1), as a Keras model does" if keras_shaped else ""
        )
        got = np.asarray(r[f"forecast{i}"], dtype=np.float64)
        expect.shape(got, expected.shape, f"the forecast of {call} (one column per step)")
        if int(r[f"calls{i}"]) != steps:
            raise Fail(
                f"{call} called `predict_next` {int(r[f'calls{i}'])} times: call it once per step, on the "
                "window that ends with the latest prediction."
            )
        hint = expect.diagnose(got, list(zip(mistakes.values(), FORECAST_MISTAKES.values())), rtol=1e-6, atol=1e-9)
        expect.close(
            got,
            expected,
            f"the forecast of {call}",
            hint or "Column j must be predict_next of the window whose last j values are your own predictions.",
            rtol=1e-6,
            atol=1e-9,
        )
        if not bool(r[f"window_kept{i}"]):
            raise Fail(
                f"{call} changed the caller's `window` in place: build each new window as a new array "
                "(`np.concatenate`), so that the caller's data is left as it was."
            )
