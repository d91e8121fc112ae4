"""The data of assignment 09's tracking checks, generated from a seed (shared: copied into graded
kernels as is, so it holds no reference and no verdict).

* *scenarios* — :func:`tracking_scenario`: 3–6 objects on a 100 × 100 field for 40 frames, each
  born and dying at its own frame; an object moves at constant velocity with a little process
  noise (white acceleration), some turn at a constant rate. Each frame a living object is
  detected with probability 0.9, its position blurred by measurement noise, and a few false
  alarms (Poisson, uniform on the field) come with the detections, shuffled: the tracker is not
  told which detection is whose.
* *motion windows* — :func:`motion_tracks` and :func:`motion_windows`: short single-object
  tracks, measured with a little noise, cut into windows of ``K`` positions whose ``K − 1``
  displacements are a motion model's input and whose next displacement is its target.
* the constant-velocity model's matrices — :func:`constant_velocity_model`: state
  ``[x, y, vx, vy]``, measurement ``[x, y]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIELD = 100.0  # the field is [0, FIELD]² (positions of births; objects may drift past its edge)
FRAMES = 40
P_DETECT, CLUTTER = 0.9, 1.0  # a living object's detection probability; false alarms per frame (mean)
SIGMA_R = 0.5  # measurement noise (standard deviation, per axis)
SIGMA_A = 0.05  # process noise: white acceleration (standard deviation per frame, per axis)

K = 6  # positions in a motion window: K − 1 = 5 displacements in, the next one out
MOTION_SIGMA = 0.05  # measurement noise of the motion tracks
TRAIN_SEED, TEST_SEED = 900, 901  # the motion model's training and held-out tracks


@dataclass
class Scenario:
    """One seeded scenario.

    Attributes:
        detections: a list of ``frames`` arrays, frame t's detections, shape (n_t, 2), shuffled.
        sources: a list of ``frames`` int arrays (n_t,): the object each detection came from
            (its index in ``truth``), −1 for a false alarm.
        truth: float array (frames, objects, 2), the true positions, NaN where an object is
            not alive.
        turning: bool array (objects,): which objects turn.
    """

    detections: list
    sources: list
    truth: np.ndarray
    turning: np.ndarray

    @property
    def alive(self) -> np.ndarray:
        """bool (frames, objects): which objects are alive in which frames."""
        return ~np.isnan(self.truth[..., 0])

    def truth_ids(self, frame: int) -> np.ndarray:
        """The ids of the objects alive in ``frame`` (the ground truth MOTA counts)."""
        return np.flatnonzero(self.alive[frame])


def constant_velocity_model(dt: float = 1.0, sigma_a: float = SIGMA_A, sigma_r: float = SIGMA_R):
    """``F, Q, H, R`` of the constant-velocity model with white-acceleration noise.

    State ``[x, y, vx, vy]``: x_t = F x_{t−1} + w, w ~ N(0, Q); measurement z_t = H x_t + v,
    v ~ N(0, R). Q is the covariance of a random acceleration a ~ N(0, σ_a² I) held over one
    step: position change a dt²/2, velocity change a dt.
    """
    F = np.eye(4)
    F[0, 2] = F[1, 3] = dt
    G = np.array([[dt**2 / 2, 0], [0, dt**2 / 2], [dt, 0], [0, dt]])
    Q = sigma_a**2 * G @ G.T
    H = np.zeros((2, 4))
    H[0, 0] = H[1, 1] = 1.0
    R = sigma_r**2 * np.eye(2)
    return F, Q, H, R


def _rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def tracking_scenario(
    seed: int,
    frames: int = FRAMES,
    objects: int | None = None,
    p_detect: float = P_DETECT,
    clutter: float = CLUTTER,
    sigma_r: float = SIGMA_R,
    sigma_a: float = SIGMA_A,
) -> Scenario:
    """A seeded multiple-object scenario (see the module).

    Args:
        seed: the generator's seed (the same seed gives the same scenario).
        frames: how many frames.
        objects: how many objects (default: 3–6, drawn).
        p_detect: the probability that a living object is detected in a frame.
        clutter: the mean number of false alarms per frame.
        sigma_r, sigma_a: measurement and process noise (standard deviations).
    """
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 7)) if objects is None else int(objects)
    truth = np.full((frames, n, 2), np.nan)
    turning = rng.random(n) < 0.4
    for i in range(n):
        born = 0 if i < (n + 1) // 2 else int(rng.integers(1, frames // 2))
        dies = frames if rng.random() < 0.6 else int(rng.integers(born + frames // 4, frames + 1))
        position = rng.uniform(0.15 * FIELD, 0.85 * FIELD, 2)
        heading = np.arctan2(FIELD / 2 - position[1], FIELD / 2 - position[0]) + rng.uniform(-1.0, 1.0)
        velocity = rng.uniform(1.0, 2.5) * np.array([np.cos(heading), np.sin(heading)])
        omega = rng.choice([-1, 1]) * rng.uniform(0.05, 0.15) if turning[i] else 0.0
        for t in range(born, dies):
            truth[t, i] = position
            velocity = _rotation(omega) @ velocity + sigma_a * rng.normal(size=2)
            position = position + velocity
    detections, sources = [], []
    for t in range(frames):
        alive = np.flatnonzero(~np.isnan(truth[t, :, 0]))
        seen = alive[rng.random(len(alive)) < p_detect]
        points = truth[t, seen] + sigma_r * rng.normal(size=(len(seen), 2))
        false = rng.uniform(0, FIELD, size=(int(rng.poisson(clutter)), 2))
        points = np.concatenate([points, false])
        source = np.concatenate([seen, np.full(len(false), -1)]).astype(np.int64)
        order = rng.permutation(len(points))
        detections.append(points[order])
        sources.append(source[order])
    return Scenario(detections, sources, truth, turning)


def motion_tracks(n: int, seed: int, steps: int = K + 1, turning: float = 0.5, sigma: float = MOTION_SIGMA):
    """``n`` seeded single-object tracks of ``steps`` positions: ``(measured, true)``, each (n, steps, 2).

    Speeds 1–2.5 per frame in any direction; a share ``turning`` of the tracks turns at a
    constant rate of 0.15–0.35 rad per frame (left or right), the others go straight.
    The measured positions carry Gaussian noise of standard deviation ``sigma``.
    """
    rng = np.random.default_rng(seed)
    heading = rng.uniform(-np.pi, np.pi, n)
    speed = rng.uniform(1.0, 2.5, n)
    omega = np.where(rng.random(n) < turning, rng.choice([-1.0, 1.0], n) * rng.uniform(0.15, 0.35, n), 0.0)
    angles = heading[:, None] + omega[:, None] * np.arange(steps - 1)[None]
    steps_taken = speed[:, None, None] * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    start = rng.uniform(-10, 10, (n, 1, 2))
    true = np.concatenate([start, start + np.cumsum(steps_taken, axis=1)], axis=1)
    measured = true + sigma * rng.normal(size=true.shape)
    return measured, true


def motion_windows(positions, k: int = K):
    """Windows of a motion model: ``(inputs, targets)`` from positions (n, steps, 2).

    Each run of ``k + 1`` consecutive positions gives one window: its first ``k`` positions'
    ``k − 1`` displacements in (n_windows, k − 1, 2), float32, oldest first, and the displacement
    to the next position out (n_windows, 2).
    """
    positions = np.asarray(positions, np.float64)
    moves = np.diff(positions, axis=1)
    inputs, targets = [], []
    for start in range(positions.shape[1] - k):
        inputs.append(moves[:, start : start + k - 1])
        targets.append(moves[:, start + k - 1])
    return np.concatenate(inputs).astype(np.float32), np.concatenate(targets).astype(np.float32)


def motion_data(k: int = K, train: int = 1024, test: int = 256):
    """The motion model's data: training windows of mixed tracks, held-out windows of turning ones.

    Returns ``(x_train, y_train, x_test, last_test, true_next)``: ``last_test`` (n, 2) is the last
    measured position of each held-out window, ``true_next`` (n, 2) the true position after it.
    """
    measured, _ = motion_tracks(train, TRAIN_SEED, steps=k + 1, turning=0.5)
    x_train, y_train = motion_windows(measured, k)
    measured, true = motion_tracks(test, TEST_SEED, steps=k + 1, turning=1.0)
    x_test, _ = motion_windows(measured, k)
    return x_train, y_train, x_test, measured[:, k - 1].copy(), true[:, k].copy()
