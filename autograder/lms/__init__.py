"""Moodle and Canvas: their "download all submissions" zips in (:mod:`.importer`), their
gradebook CSVs out (:mod:`.export`), a roster between their ids and ours (:mod:`.roster`).
Each LMS is one adapter (:mod:`.moodle`, :mod:`.canvas`) behind :class:`.adapter.Lms`."""

from .adapter import Lms, LmsError
from .canvas import Canvas
from .moodle import Moodle

ADAPTERS: dict[str, type[Lms]] = {"moodle": Moodle, "canvas": Canvas}
LMS_NAMES = tuple(ADAPTERS)


def adapter_for(name: str) -> Lms:
    """The adapter of the LMS called ``name`` (one of :data:`LMS_NAMES`)."""
    if name not in ADAPTERS:
        raise LmsError(f"unknown LMS {name!r}: expected one of {', '.join(LMS_NAMES)}")
    return ADAPTERS[name]()
