"""Checks for assignment 09: music generation and multiple-object tracking (deck topic 15).

    melodies       (pitch, duration) tokens: MIDI pitches 48–84 and rests (0), eight durations;
                   soprano lines of Bach chorales (datasets/bach-chorale-melodies, music21's corpus)
    note models    a pitch bigram with add-k smoothing, its held-out NLL, sampling at a temperature
    Kalman filter  x⁻ = F x, P⁻ = F P Fᵀ + Q; K = P⁻ Hᵀ (H P⁻ Hᵀ + R)⁻¹, x⁺ = x⁻ + K y, P⁺ = (I − K H) P⁻
    association    gated Hungarian matching of tracks to detections (linear_sum_assignment)
    MOTA           1 − (misses + false positives + identity switches) / objects
    motion         a small network that predicts the next displacement of a turning object

One module per check-id prefix: ``melody.py``, ``note_lm.py``, ``kalman.py``, ``assoc.py``,
``mota.py``, ``motion.py``; ``_melodies.py`` loads the chorales and generates seeded melodies,
``_tracks.py`` generates the seeded tracking scenarios.
"""

from ._melodies import (  # noqa: F401 (the notebook imports them from here)
    DURATIONS,
    HIGHEST,
    LOWEST,
    NUM_DURATIONS,
    REST,
    VOCAB_SIZE,
    Melody,
    g_major_chorales,
    generated_melodies,
    load_chorales,
    note_name,
    scale,
)
from ._tracks import (  # noqa: F401 (the notebook imports them from here)
    K,
    Scenario,
    constant_velocity_model,
    motion_data,
    motion_tracks,
    motion_windows,
    tracking_scenario,
)
