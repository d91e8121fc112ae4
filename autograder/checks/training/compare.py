"""``compare.*``: the student's comparison of update rules on the same problem."""

from __future__ import annotations

import numpy as np

from .. import expect
from .._core import Fail, new
from ._shared import rosenbrock

# Rules handed to the student's `compare`: made up for the probe, so that no reference update
# rule (the `update.*` tasks) ever reaches student code. Two keep state, to catch shared state.


def _plain_step(params, grads, state, hp):
    return params - hp["learning_rate"] * grads, state


def _averaged_step(params, grads, state, hp):  # steps along the mean of all gradients so far
    total, n = state.get("total", 0.0) + grads, state.get("n", 0) + 1
    return params - hp["learning_rate"] * total / n, {"total": total, "n": n}


def _shrinking_sign_step(params, grads, state, hp):  # sign descent with a step ∝ 1/√t
    n = state.get("n", 0) + 1
    return params - hp["learning_rate"] / np.sqrt(n) * np.sign(grads), {"n": n}


COMPARE_RULES = {
    "plain": (_plain_step, {"learning_rate": 0.001}),
    "averaged": (_averaged_step, {"learning_rate": 0.0005}),
    "sign": (_shrinking_sign_step, {"learning_rate": 0.05}),
}
COMPARE_X0 = np.array([-1.2, 1.0])
COMPARE_ITERATIONS = 12


def reference_history(step, hp, x0=COMPARE_X0, iterations=COMPARE_ITERATIONS):
    x, state, losses = x0.copy(), {}, []
    for _ in range(iterations):
        f, grad, _ = rosenbrock(x)
        losses.append(f)
        x, state = step(x, grad, state, dict(hp))
    losses.append(rosenbrock(x)[0])
    return np.array(losses)


compare_check = new(
    "compare.structure", 2, "`compare` returns {name: {'loss', 'seconds'}} and each history is its rule's own"
)


@compare_check.probe
def _(compare):
    def value_and_grad(x):
        f, grad, _ = rosenbrock(np.asarray(x, np.float64))
        return f, grad

    results = compare(value_and_grad, COMPARE_X0.copy(), dict(COMPARE_RULES), COMPARE_ITERATIONS)
    if not isinstance(results, dict):
        raise Fail(f"`compare` must return a dict keyed by the rules' names; it returned {type(results).__name__}.")
    out = {"names": np.array(sorted(str(k) for k in results))}
    for name, result in results.items():
        if not isinstance(result, dict) or not {"loss", "seconds"} <= set(result):
            raise Fail(f"`compare(...)[{name!r}]` must be a dict with 'loss' and 'seconds'.")
        out[f"{name}_loss"] = result["loss"]
        out[f"{name}_seconds"] = result["seconds"]
    return out


@compare_check.verify
def _(r):
    names = sorted(COMPARE_RULES)
    expect.equal(
        np.asarray(r["names"]).tolist(),
        names,
        "the keys of `compare`'s result",
        "One entry per rule, under the rule's name.",
    )
    n = COMPARE_ITERATIONS
    for name in names:
        loss = np.asarray(r[f"{name}_loss"], np.float64).reshape(-1)
        want = reference_history(*COMPARE_RULES[name])
        if loss.shape == (n,):
            raise Fail(
                f"`compare(...)['{name}']['loss']` has {n} entries for iterations={n}: it needs "
                f"{n + 1}, the loss at x0 followed by the loss after each step."
            )
        expect.shape(loss, (n + 1,), f"`compare(...)['{name}']['loss']`")
        if np.allclose(loss[1:], want[:-1]) or np.allclose(loss[:-1], want[1:]):
            hint = "Your history is shifted by one step: loss[0] = f(x0), loss[k] = f(x after k steps)."
        elif name != names[0] and not np.isclose(loss[0], want[0]):
            hint = "Each rule must start from x0: copy it, and do not let one rule's run change it."
        else:
            hint = (
                "Each rule needs its own fresh state `{}` and its own hparams; feed it the gradient at the current x."
            )
        expect.close(loss, want, f"the loss history of '{name}'", hint, rtol=1e-6, atol=1e-9)
        seconds = float(np.asarray(r[f"{name}_seconds"]))
        if not (np.isfinite(seconds) and 0 <= seconds < 600):
            raise Fail(
                f"`compare(...)['{name}']['seconds']` is {seconds!r}: it is the wall time of the run, "
                "`time.perf_counter()` after minus before."
            )
