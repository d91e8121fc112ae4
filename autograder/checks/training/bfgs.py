"""``bfgs.*``: BFGS with scipy — weights as one float64 vector, its loss and gradient, a run."""

from __future__ import annotations

import re

import numpy as np

from .. import expect
from .._core import Fail, new, to_array
from ._shared import rosenbrock

FLAT_SHAPES = [(2, 3), (3,), (3, 1), (1,)]


def _flat_weights():
    sizes = [int(np.prod(s)) for s in FLAT_SHAPES]
    values = np.arange(1, sum(sizes) + 1) * 0.5
    return [v.reshape(s) for v, s in zip(np.split(values, np.cumsum(sizes)[:-1]), FLAT_SHAPES)]


flat = new("bfgs.flatten", 2, "`flatten`/`unflatten` map weights to one float64 vector and back")


@flat.probe
def _(flatten, unflatten):
    import keras

    weights = [keras.Variable(w, dtype="float32") for w in _flat_weights()]
    vector = flatten(weights)
    out = {"vector": vector, "dtype": np.asarray(str(np.asarray(vector).dtype))}
    for label, v in (("round", vector), ("arange", np.arange(13, dtype=np.float64))):
        pieces = list(unflatten(v, weights))
        out[f"{label}_count"] = len(pieces)
        for i, piece in enumerate(pieces):
            out[f"{label}{i}"] = piece
    return out


@flat.verify
def _(r):
    weights = _flat_weights()
    expected = np.concatenate([w.ravel() for w in weights])
    vector = np.asarray(r["vector"], np.float64)
    expect.shape(vector, expected.shape, "`flatten(weights)` (one entry per weight value)")
    if not np.allclose(vector, expected):
        fortran = np.concatenate([w.ravel(order="F") for w in weights])
        reverse = np.concatenate([w.ravel() for w in weights[::-1]])
        hint = (
            "You flattened column by column: use row-major order, `w.reshape(-1)` / `np.ravel`."
            if np.allclose(vector, fortran)
            else "Keep the weights in their order: the first weight's values come first."
            if np.allclose(vector, reverse)
            else "Concatenate each weight's values, row-major, in the order of the list."
        )
        expect.close(vector, expected, "`flatten(weights)`", hint)
    if str(r["dtype"]) != "float64":
        raise Fail(
            f"`flatten` returned a {r['dtype']} vector: scipy's BFGS works in float64, and float32 "
            "round-off breaks its line search. Convert with `np.asarray(w, dtype=np.float64)`."
        )
    for label, v in (("round", expected), ("arange", np.arange(13.0))):
        pieces = np.split(v, np.cumsum([w.size for w in weights])[:-1])
        if int(r[f"{label}_count"]) != len(weights):
            raise Fail(f"`unflatten` returned {int(r[f'{label}_count'])} arrays for {len(weights)} weights.")
        for i, (piece, shape) in enumerate(zip(pieces, FLAT_SHAPES)):
            got = np.asarray(r[f"{label}{i}"], np.float64)
            expect.shape(got, shape, f"piece {i} of `unflatten` (it must have weight {i}'s shape)")
            what = (
                "`unflatten(flatten(weights), weights)`"
                if label == "round"
                else "`unflatten(np.arange(13.0), weights)`"
            )
            expect.close(
                got,
                piece.reshape(shape),
                f"piece {i} of {what}",
                "Piece i takes the next `weights[i].size` entries, reshaped to `weights[i].shape`.",
            )


BFGS_X = np.round(np.random.default_rng(5).normal(size=(8, 2)), 2)
BFGS_Y = np.round(np.sin(BFGS_X[:, :1] * 1.5) + 0.5 * BFGS_X[:, 1:], 2)
_rng = np.random.default_rng(6)
BFGS_V = (np.round(_rng.normal(scale=0.6, size=13), 3), np.round(_rng.normal(scale=0.6, size=13), 3))


def tiny_mlp_value_and_grad(v, x=BFGS_X, y=BFGS_Y):
    """MSE of Dense(3, tanh) → Dense(1) at flat weights v (Keras's layout) and its gradient."""
    w1, b1, w2, b2 = v[:6].reshape(2, 3), v[6:9], v[9:12].reshape(3, 1), v[12:]
    hidden = np.tanh(x @ w1 + b1)
    error = hidden @ w2 + b2 - y
    d_out = 2 * error / error.size
    d_hidden = (d_out @ w2.T) * (1 - hidden**2)
    grad = np.concatenate([(x.T @ d_hidden).ravel(), d_hidden.sum(0), (hidden.T @ d_out).ravel(), d_out.sum(0)])
    return float(np.mean(error**2)), grad


value_and_grad = new(
    "bfgs.gradient", 2, "`make_value_and_grad(model, x, y)(v)` returns the MSE at weights v and its gradient vector"
)


@value_and_grad.probe
def _(make_value_and_grad):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(1)])
    fun = make_value_and_grad(model, BFGS_X.astype(np.float32), BFGS_Y.astype(np.float32))
    out = {}
    for label, v in (("a", BFGS_V[0]), ("b", BFGS_V[1]), ("a_again", BFGS_V[0])):
        result = fun(v.copy())
        if not (isinstance(result, tuple) and len(result) == 2):
            raise Fail(
                "the function returned by `make_value_and_grad` must return a pair (loss, gradient), "
                "as `scipy.optimize.minimize(..., jac=True)` expects."
            )
        loss, grad = result
        out[f"loss_{label}"] = np.asarray(to_array(loss, "the loss"), np.float64)
        out[f"grad_{label}"] = grad
        out[f"dtype_{label}"] = np.asarray(str(np.asarray(to_array(grad, "the gradient")).dtype))
    return out


@value_and_grad.verify
def _(r):
    if np.isclose(r["loss_a"], r["loss_b"], rtol=1e-9):
        raise Fail(
            "`fun(v)` returned the same loss for two different vectors v: load v into the model first "
            "(`w.assign(piece)` for each weight and piece of `unflatten(v, weights)`)."
        )
    for label, v in (("a", BFGS_V[0]), ("b", BFGS_V[1]), ("a_again", BFGS_V[0])):
        loss, grad = tiny_mlp_value_and_grad(v)
        got_loss = np.asarray(r[f"loss_{label}"], np.float64)
        got_grad = np.asarray(r[f"grad_{label}"], np.float64)
        expect.shape(got_loss, (), "the loss returned by `fun(v)` (a number)")
        hint = (
            "Your loss is half the MSE: use the mean of the squared errors."
            if np.isclose(got_loss, loss / 2, rtol=1e-3)
            else "The loss is the MSE, mean((model(x) − y)²), with the model's weights set to v."
        )
        expect.close(got_loss, loss, "the loss returned by `fun(v)`", hint, **expect.MATMUL)
        expect.shape(got_grad, grad.shape, "the gradient returned by `fun(v)` (one entry per weight value)")
        hint = (
            "Flatten the gradients in the same order as the weights (`flatten(tape.gradient(loss, weights))`)."
            if np.allclose(np.sort(got_grad), np.sort(grad), rtol=5e-3, atol=5e-4)
            else "Record the loss inside `tf.GradientTape()` and flatten "
            "`tape.gradient(loss, model.trainable_weights)`."
        )
        expect.close(got_grad, grad, "the gradient returned by `fun(v)`", hint, **expect.MATMUL)
        if str(r[f"dtype_{label}"]) != "float64":
            raise Fail(
                f"the gradient returned by `fun(v)` is {r[f'dtype_{label}']}: return float64 (`flatten` "
                "does it) — scipy's BFGS needs it."
            )


BFGS_ITERATIONS = 100
FEW_ITERATIONS = 5  # BFGS needs about 30 on Rosenbrock from (−1.2, 1)
# What a callback that reads the OptimizeResult's fields gets when scipy hands it the vector xk.
CALLBACK_GOT_A_VECTOR = re.compile(r"'numpy\.ndarray' object has no attribute '(fun|x|nit|jac|hess_inv|message)'")
bfgs_run = new("bfgs.run", 1, "`run_bfgs` minimises Rosenbrock with scipy's BFGS and records the loss per iteration")


@bfgs_run.probe
def _(run_bfgs):
    calls = []

    def fun(v):
        calls.append(1)
        f, grad, _ = rosenbrock(np.asarray(v, np.float64))
        return f, grad

    try:
        x, losses = run_bfgs(fun, np.array([-1.2, 1.0]), BFGS_ITERATIONS)
    except AttributeError as exc:
        if not CALLBACK_GOT_A_VECTOR.search(str(exc)):
            raise
        raise Fail(
            f"`run_bfgs` raised AttributeError: {exc}. Your callback was given the current point (a NumPy "
            "vector), not scipy's OptimizeResult: `minimize` passes the OptimizeResult only to a callback whose "
            "one parameter is named exactly `intermediate_result`; with any other name (`res`, `r`, `state`) "
            "it passes the vector xk. Name the parameter `intermediate_result`, e.g. "
            "`callback=lambda intermediate_result: losses.append(intermediate_result.fun)`."
        ) from None
    _, few = run_bfgs(fun, np.array([-1.2, 1.0]), FEW_ITERATIONS)  # stops early: `maxiter` is passed on
    return {"x": x, "losses": losses, "calls": len(calls), "few_losses": few}


@bfgs_run.verify
def _(r):
    losses = np.asarray(r["losses"], np.float64).reshape(-1)
    if losses.size < 2:
        raise Fail(
            f"`run_bfgs` recorded {losses.size} loss(es): append f(v0) first, then the loss after "
            "each iteration from `minimize`'s `callback`."
        )
    expect.close(losses[0], 24.2, "the first recorded loss", "It is f(v0), before any iteration.")
    if losses.size > BFGS_ITERATIONS + 1:
        raise Fail(
            f"`run_bfgs` recorded {losses.size} losses for at most {BFGS_ITERATIONS} iterations: "
            "record one per iteration (the callback), not one per function call."
        )
    if np.any(np.diff(losses) > 1e-12 * np.abs(losses[:-1])):
        raise Fail(
            "the recorded losses go up: BFGS's line search only accepts decreasing steps — record "
            "the loss at each iterate (`intermediate_result.fun`), not at every trial point."
        )
    expect.close(
        np.asarray(r["x"], np.float64),
        [1.0, 1.0],
        "the minimiser `run_bfgs` returned",
        "Pass `jac=True` with `fun` returning (loss, gradient), method='BFGS', and "
        "options={'maxiter': iterations}; return `result.x`.",
        rtol=0,
        atol=1e-4,
    )
    few = np.asarray(r["few_losses"], np.float64).reshape(-1)
    if few.size != FEW_ITERATIONS + 1:
        raise Fail(
            f"`run_bfgs(fun, v0, iterations={FEW_ITERATIONS})` recorded {few.size} losses, expected "
            f"{FEW_ITERATIONS + 1} (f(v0), then one per iteration; BFGS needs about 30 iterations here): pass "
            "`options={'maxiter': iterations}` to `minimize`, so that it stops after `iterations`."
        )
    if losses[-1] > 1e-8:
        raise Fail(
            f"the last recorded loss is {losses[-1]:.3g} although the minimiser is right: record "
            "the loss of every iteration, up to the last."
        )
