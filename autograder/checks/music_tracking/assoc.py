"""``assoc.*``: data association, which detection belongs to which track — the Hungarian algorithm
(Kuhn 1955; Munkres 1957) on Euclidean distances, with a gate.

The cost of pairing track i (its predicted position) with detection j is their Euclidean distance
d_ij. A pair farther apart than the gate may not be matched, and must not stop the other pairs from
being matched: the assignment has the *most* pairs within the gate and, among those, the smallest
total distance. That is what ``scipy.optimize.linear_sum_assignment`` gives when every pair beyond
the gate costs a large constant (larger than any sum of distances) and the assigned pairs beyond
the gate are then dropped. The tracks and detections left out are returned as unmatched.

The reference here needs no SciPy (the grader's process has none): it maximises (pairs within the
gate, −total distance) exactly, by dynamic programming over the sets of detections used, which is
fine for the few tracks of a check. The check's cases do not tell the distance from its square
(both give the same assignments on them); the task asks for the distance.
"""

from __future__ import annotations

import functools

import numpy as np

from .._core import Fail, new, returned


def _distances(tracks, detections):
    tracks = np.asarray(tracks, np.float64).reshape(-1, 2)
    detections = np.asarray(detections, np.float64).reshape(-1, 2)
    return np.linalg.norm(tracks[:, None, :] - detections[None, :, :], axis=-1)


def _optimal(cost, allowed):
    """The pairs (i, j) of the best assignment: the most allowed pairs, then the least total cost."""
    n, m = cost.shape

    @functools.cache
    def best(i, used):
        if i == n:
            return 0, 0.0, ()
        count, total, pairs = best(i + 1, used)  # track i unmatched
        choice = (count, -total, pairs)
        for j in range(m):
            if allowed[i, j] and not used >> j & 1:
                c, t, p = best(i + 1, used | 1 << j)
                candidate = (c + 1, -(t + cost[i, j]), ((i, j),) + p)
                if candidate[:2] > choice[:2]:
                    choice = candidate
        return choice[0], -choice[1], choice[2]

    return list(best(0, 0)[2])


def ref_associate(tracks, detections, gate, *, method="hungarian"):
    """The reference ``(matches, unmatched_tracks, unmatched_detections)``; ``method`` turns on one
    known mistake: ``"greedy"`` (the closest pair first, then the closest of the rest),
    ``"greedy_tracks"`` (each track in turn takes its nearest free detection), ``"gate_after"``
    (the assignment on the raw distances, then pairs beyond the gate dropped), ``"no_gate"``,
    ``"strict"`` (a pair exactly ``gate`` apart counted as beyond it).

    Returns matches as a sorted list of (track, detection) pairs and the unmatched indices, sorted.
    """
    cost = _distances(tracks, detections)
    n, m = cost.shape
    within = cost < gate if method == "strict" else cost <= gate
    if method in ("hungarian", "strict"):
        pairs = _optimal(cost, within)
    elif method in ("gate_after", "no_gate"):
        # the most pairs of any distance (min(n, m)), then the least total distance
        pairs = _optimal(cost, np.ones_like(within))
        if method == "gate_after":
            pairs = [(i, j) for i, j in pairs if within[i, j]]
    elif method == "greedy":
        pairs, free_t, free_d = [], set(range(n)), set(range(m))
        for flat in np.argsort(cost, axis=None, kind="stable"):
            i, j = divmod(int(flat), m)
            if i in free_t and j in free_d and within[i, j]:
                pairs.append((i, j))
                free_t.discard(i)
                free_d.discard(j)
    elif method == "greedy_tracks":
        pairs, free_d = [], set(range(m))
        for i in range(n):
            options = [j for j in free_d if within[i, j]]
            if options:
                j = min(options, key=lambda j: cost[i, j])
                pairs.append((i, j))
                free_d.discard(j)
    else:
        raise ValueError(method)
    pairs = sorted(pairs)
    unmatched_tracks = sorted(set(range(n)) - {i for i, _ in pairs})
    unmatched_detections = sorted(set(range(m)) - {j for _, j in pairs})
    return pairs, unmatched_tracks, unmatched_detections


MISTAKES = (
    (
        "greedy",
        "You paired greedily, the closest pair first: taking one close pair can force the others "
        "into far ones (or leave them unmatched). The Hungarian algorithm minimises the *total* distance over "
        "all pairs at once: `scipy.optimize.linear_sum_assignment(cost)`.",
    ),
    (
        "greedy_tracks",
        "Each track took its nearest free detection in turn (greedy nearest neighbour): the "
        "first track's choice can rob a later one. Assign all pairs at once with "
        "`scipy.optimize.linear_sum_assignment(cost)`, which minimises the total distance.",
    ),
    (
        "gate_after",
        "You gated after the assignment: a pair beyond the gate still took part in it and "
        "blocked a pair within the gate. Gate first: give every pair beyond the gate a large cost (say 1e6) "
        "before `linear_sum_assignment`, then drop the assigned pairs whose distance exceeds the gate.",
    ),
    (
        "no_gate",
        "You matched pairs farther apart than the gate: drop every assigned pair whose distance "
        "exceeds `gate` (and give such pairs a large cost before the assignment).",
    ),
    (
        "strict",
        "You left out a pair exactly `gate` apart: only a pair *farther* than the gate is beyond it, so "
        "compare the distance with `<= gate` (and `> gate` for the pairs to drop), not `< gate`.",
    ),
)

FALLBACK = (
    "Build the cost matrix of distances, shape (tracks, detections), set the pairs beyond the gate to a "
    "large cost, run `linear_sum_assignment`, keep the assigned pairs within the gate, and return the "
    "rest as unmatched."
)

CASES = (  # (name, predicted track positions, detections, gate)
    ("two tracks where the closest pair is the wrong one", [[2.2, 1.0], [0.0, 1.0]], [[1.2, 1.0], [3.6, 1.0]], 5.0),
    ("a far pair that must not block a near one", [[0.0, 0.0], [3.0, 0.0]], [[2.0, 0.0], [10.0, 0.0]], 4.0),
    (
        "more detections than tracks",
        [[10.0, 10.0], [20.0, 12.0]],
        [[19.5, 12.4], [30.0, 30.0], [10.3, 9.6], [14.5, 11.0]],
        3.0,
    ),
    ("more tracks than detections", [[0.0, 0.0], [5.0, 5.0], [10.0, 0.0], [5.0, -5.0]], [[9.0, 0.5], [4.6, 4.2]], 2.0),
    ("a frame without detections", [[3.0, 4.0], [8.0, 1.0]], np.zeros((0, 2)), 3.0),
    # 3-4-5: track 0 and detection 0 are exactly 5.0 apart in floating point, the gate; the pair must take part in
    # the assignment at its distance (a large cost for it, as for the pairs beyond, steals detection 1 for track 0)
    ("a detection exactly the gate's distance away", [[0.0, 0.0], [-1.5, 0.0]], [[3.0, 4.0], [-0.5, 0.0]], 5.0),
)


def _hidden_case():
    """Six tracks, five of them detected (two detections crossed over), two false alarms."""
    rng = np.random.default_rng(975)
    tracks = rng.uniform(0, 12, (6, 2))
    detections = tracks[[0, 2, 1, 3, 5]] + rng.normal(scale=0.9, size=(5, 2))
    detections = np.concatenate([detections, rng.uniform(0, 12, (2, 2))])
    order = rng.permutation(len(detections))
    return tracks.round(2), detections[order].round(2), 2.5


HIDDEN_CASE = _hidden_case()


def _probe_case(associate, tracks, detections, gate):
    out = returned(
        associate(np.asarray(tracks, np.float64).copy(), np.asarray(detections, np.float64).reshape(-1, 2), gate),
        "`associate`",
    )
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        raise Fail("`associate` should return three arrays: `(matches, unmatched_tracks, unmatched_detections)`.")
    matches = np.asarray(out[0])
    return {
        "matches": matches.reshape(-1, 2) if matches.size == 0 else matches,
        "unmatched_tracks": np.asarray(out[1]).reshape(-1),
        "unmatched_detections": np.asarray(out[2]).reshape(-1),
    }


def _show(pairs):
    return "[" + ", ".join(f"({i}, {j})" for i, j in pairs) + "]" if pairs else "none"


def _pairs_of(r, prefix):
    return sorted((int(i), int(j)) for i, j in np.asarray(r[f"{prefix}matches"]).reshape(-1, 2))


def _joint_hint(r, cases) -> str:
    """The known mistake that gives the student's pairs in every case, else "" (two greedy rules agree
    on some cases, so one case alone may not tell them apart)."""
    for method, explanation in MISTAKES:
        if all(_pairs_of(r, p) == ref_associate(t, d, g, method=method)[0] for p, t, d, g in cases):
            return explanation
    return ""


def _verify_case(r, prefix, tracks, detections, gate, what, *, secret=False, hint=""):
    matches = np.asarray(r[f"{prefix}matches"])
    if matches.ndim != 2 or matches.shape[1] != 2:
        raise Fail(
            f"`associate` on {what} returned matches of shape {matches.shape}: return one row "
            "(track index, detection index) per matched pair, shape (k, 2)."
        )
    for key in ("matches", "unmatched_tracks", "unmatched_detections"):
        got = np.asarray(r[f"{prefix}{key}"])
        if got.size and (got.dtype.kind not in "iuf" or not np.all(got == np.round(got))):
            raise Fail(f"`associate` on {what} returned `{key}` that are not integer indices.")
    pairs = sorted((int(i), int(j)) for i, j in matches)
    lost_tracks = sorted(int(i) for i in np.asarray(r[f"{prefix}unmatched_tracks"]))
    lost_detections = sorted(int(j) for j in np.asarray(r[f"{prefix}unmatched_detections"]))
    expected = ref_associate(tracks, detections, gate)
    if (pairs, lost_tracks, lost_detections) == tuple(expected):
        return
    for method, explanation in MISTAKES:
        if hint:
            break
        if pairs == ref_associate(tracks, detections, gate, method=method)[0]:
            hint = explanation
    n, m = len(np.asarray(tracks).reshape(-1, 2)), len(np.asarray(detections).reshape(-1, 2))
    if not hint and pairs == sorted((j, i) for i, j in expected[0]):
        hint = (
            "Your pairs are (detection, track): each row of `matches` is (track index, detection index), "
            "the cost matrix's (row, column) when its rows are the tracks."
        )
    if secret:
        raise Fail(f"`associate` on the hidden frame gives other pairs than expected. {hint or FALLBACK}")
    if pairs != expected[0]:
        raise Fail(
            f"`associate` on {what} ({n} tracks, {m} detections, gate {gate:g}) matched {_show(pairs)}, "
            f"expected {_show(expected[0])} as (track, detection) pairs. {hint or FALLBACK}"
        )
    raise Fail(
        f"`associate` on {what} matched the right pairs but returned the unmatched tracks {lost_tracks} and "
        f"detections {lost_detections}, expected {expected[1]} and {expected[2]}: every track and every "
        "detection that is in no match is unmatched."
    )


match = new(
    "assoc.match",
    2,
    "`associate`: the Hungarian assignment of tracks to detections on distances, pairs beyond the gate left "
    "unmatched without blocking others",
)


@match.probe
def _(associate):
    record = {}
    for i, (_, tracks, detections, gate) in enumerate(CASES):
        record.update({f"case{i}_{k}": v for k, v in _probe_case(associate, tracks, detections, gate).items()})
    return record


@match.verify
def _(r):
    for i, (name, tracks, detections, gate) in enumerate(CASES):
        matches = np.asarray(r[f"case{i}_" + "matches"])
        if matches.ndim != 2 or matches.shape[1] != 2:
            _verify_case(r, f"case{i}_", tracks, detections, gate, name)  # names the shape
    hint = _joint_hint(r, [(f"case{i}_", t, d, g) for i, (_, t, d, g) in enumerate(CASES)])
    for i, (name, tracks, detections, gate) in enumerate(CASES):
        _verify_case(r, f"case{i}_", tracks, detections, gate, name, hint=hint)


hidden = new("assoc.hidden", 1, "`associate` on a crowded frame with crossed detections and false alarms", hidden=True)


@hidden.probe
def _(associate):
    return {f"h_{k}": v for k, v in _probe_case(associate, *HIDDEN_CASE).items()}


@hidden.verify
def _(r):
    _verify_case(r, "h_", *HIDDEN_CASE, "the hidden frame", secret=True)
