"""Checks for assignment 06: object detection and segmentation (deck topic 14, applications).

    boxes           (x1, y1, x2, y2) in pixel-edge coordinates; IoU = |A ∩ B| / |A ∪ B|
    NMS             greedy: highest score first, drop a box that a kept box overlaps with IoU > t
    grid encoding   one box per cell of an S×S grid: [1, cx/c − col, cy/c − row, w/L, h/L, one-hot]
    AP              VOC all-point interpolated average precision at IoU ≥ 0.5, duplicates false
    masks           mean IoU over classes present; instances = per-class connected components;
                    Hungarian matching at IoU > 0.5 and panoptic quality

One module per check-id prefix: ``iou.py``, ``nms.py``, ``grid.py``, ``ap.py``, ``masks.py``;
``_shared.py`` generates the seeded digit canvases and shape scenes.
"""

from ._shared import digit_canvases, shape_scenes  # noqa: F401 (the notebook imports them from here)
