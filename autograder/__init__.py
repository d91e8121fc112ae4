"""Introduction to Deep Learning: the course's autograder and check library."""

import os

__version__ = "0.1.0"
GRADING_ENV = "AUTOGRADER_GRADING"  # "1" in a graded kernel (see autograder.settings)


def grading_mode() -> bool:
    """True while a notebook runs under the grader (or nbgrader's Validate).

    Notebooks use it to shorten demonstrations, e.g. ``EPOCHS = 3 if grading_mode() else 150``.
    """
    return os.environ.get(GRADING_ENV) == "1" or os.environ.get("NBGRADER_EXECUTION") in {"autograde", "validate"}


def skip_slow_optional_imports() -> None:
    """Keep jsonschema from importing its optional ``rfc3987_syntax`` (≈ 0.7 s per process, to
    validate IRIs, which nothing here does): jsonschema treats it as absent."""
    import sys

    sys.modules.setdefault("rfc3987_syntax", None)
