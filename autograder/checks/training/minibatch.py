"""``minibatch.*``: one epoch of mini-batches — each index once, shuffled by the generator given,
the last batch partial."""

from __future__ import annotations

import numpy as np

from .._core import Fail, new, returned, to_array

# (n, batch_size, seed): a partial last batch, an exact split, a batch larger than the data set,
# batches of one. Two epochs each, from one generator: the second must be a new order.
EPOCH_CASES = [(10, 3, 0), (12, 4, 1), (7, 10, 2), (5, 1, 3), (23, 5, 4)]
EPOCHS = 2


def ref_epochs(n, seed, epochs=EPOCHS):
    """The index order of each epoch: one permutation per epoch from one seeded generator."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for _ in range(epochs)]


def ref_sizes(n, batch_size):
    full, rest = divmod(n, batch_size)
    return [batch_size] * full + ([rest] if rest else [])


indices = new(
    "minibatch.indices",
    2,
    "`minibatch_indices` cuts one epoch into batches: each index once, shuffled by `rng`, the last batch partial",
)


@indices.probe
def _(minibatch_indices):
    out = {}
    for case, (n, batch_size, seed) in enumerate(EPOCH_CASES):
        rng = np.random.default_rng(seed)
        for epoch in range(EPOCHS):
            batches = minibatch_indices(n, batch_size, rng)
            returned(batches, "`minibatch_indices`")
            batches = [np.asarray(to_array(b, "a batch of `minibatch_indices`")).reshape(-1) for b in list(batches)]
            key = f"c{case}e{epoch}"
            out[f"{key}_sizes"] = np.array([b.size for b in batches], dtype=np.int64)
            out[f"{key}_order"] = np.concatenate(batches) if batches else np.zeros(0)
    return out


@indices.verify
def _(r):
    for case, (n, batch_size, seed) in enumerate(EPOCH_CASES):
        call = f"`minibatch_indices({n}, {batch_size}, rng)`"
        want_orders = ref_epochs(n, seed)
        orders = []
        for epoch in range(EPOCHS):
            key = f"c{case}e{epoch}"
            sizes = np.asarray(r[f"{key}_sizes"]).astype(int).tolist()
            order = np.asarray(r[f"{key}_order"], np.float64)
            nth = "" if epoch == 0 else " (its second call, one epoch later, same generator)"
            if not sizes:
                raise Fail(f"{call}{nth} returned no batches: an epoch of {n} samples has at least one.")
            if not np.all(order == np.round(order)):
                raise Fail(f"{call}{nth} returned batches of non-integer values: return indices (integers).")
            order = order.astype(int)
            _cover_each_index_once(call + nth, order, n, batch_size)
            _sizes(call + nth, sizes, n, batch_size)
            orders.append(order)
        if n > 1 and np.array_equal(orders[0], np.arange(n)):
            raise Fail(
                f"{call} returned the indices in order 0, 1, 2, …: shuffle them, `order = rng.permutation(n)`, "
                "so that every epoch sees the samples in a new order."
            )
        if n > 1 and np.array_equal(orders[0], orders[1]):
            raise Fail(
                f"two calls of {call} with the same generator gave the same order: each epoch needs a new "
                "shuffle. Draw it from the `rng` you are given (do not create a generator inside the function: "
                "`np.random.default_rng(seed)` there restarts the same sequence every epoch)."
            )
        for epoch in range(EPOCHS):
            if not np.array_equal(orders[epoch], want_orders[epoch]):
                raise Fail(
                    f"{call} has the right batches but not the order the seed gives (epoch {epoch + 1}): draw "
                    "the order once per call with `rng.permutation(n)` from the generator passed in (not "
                    "`np.random.permutation`, which ignores it), then cut it into consecutive batches — so that "
                    "a run is reproducible from its seed."
                )


def _cover_each_index_once(call, order, n, batch_size):
    counts = np.bincount(order[(order >= 0) & (order < n)], minlength=n)
    if np.any((order < 0) | (order >= n)):
        bad = int(order[(order < 0) | (order >= n)][0])
        raise Fail(f"{call} returned the index {bad}: the indices of {n} samples are 0 … {n - 1}.")
    missing, repeated = np.flatnonzero(counts == 0), np.flatnonzero(counts > 1)
    if not missing.size and not repeated.size:
        return
    rest = n % batch_size
    if not repeated.size and rest and missing.size == rest:
        raise Fail(
            f"{call} left out {rest} of the {n} samples: the last, partial batch is missing. An epoch sees "
            f"every sample once; with {n} samples in batches of {batch_size} the last batch holds the "
            f"remaining {rest} (Keras's `fit` keeps it too): `range(0, n, batch_size)`."
        )
    if repeated.size:
        raise Fail(
            f"{call} returned index {int(repeated[0])} {int(counts[repeated[0]])} times"
            + (f" and index {int(missing[0])} never" if missing.size else "")
            + ": batches drawn with replacement (`rng.integers`, `rng.choice`) repeat and skip samples. "
            "An epoch is one permutation of 0 … n−1 cut into consecutive batches: each index exactly once."
        )
    raise Fail(
        f"{call} never returned the indices {missing[:5].tolist()}: an epoch holds each of 0 … {n - 1} exactly once."
    )


def _sizes(call, sizes, n, batch_size):
    want = ref_sizes(n, batch_size)
    if sizes == want:
        return
    raise Fail(
        f"{call} returned batches of sizes {sizes}, expected {want}: every batch holds `batch_size` indices "
        "except the last, which holds what is left."
    )
