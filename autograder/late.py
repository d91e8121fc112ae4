"""Course folders graded before the package was laid out in subpackages name the late-penalty
plugin ``autograder.late.CoursePenalty`` in their nbgrader_config.py (formgrader reads it)."""

from .grades.late import CoursePenalty

__all__ = ["CoursePenalty"]
