"""Graded cell time per assignment, as the demo grades: three copies of the reference in one batch
with two workers; prints the median of the results' ``cell_seconds`` (the budget is 4 s).

    python tools/graded_times.py [ID ...]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder import course as course_mod
from autograder.authoring import sample
from autograder.results import all_results

COPIES, WORKERS = 3, 2


def main(ids: list[str]) -> None:
    course = course_mod.load(Path(__file__).resolve().parents[1])
    for a in course.select(ids or None):
        with tempfile.TemporaryDirectory() as tmp:
            reference = sample.submissions(course, a)[sample.REFERENCE]
            for i in range(COPIES):
                path = Path(tmp) / "submitted" / f"copy-{i}" / a.id / a.notebook
                path.parent.mkdir(parents=True)
                path.write_text(nbformat.writes(reference), encoding="utf-8")
            argv = [sys.executable, "-m", "autograder", "--course", str(course.root), "grade", a.id]
            argv += ["--submissions", f"{tmp}/submitted", "--out", f"{tmp}/out", "--workers", str(WORKERS)]
            subprocess.run(argv, check=True, capture_output=True)
            results = all_results(Path(tmp) / "out")
            times = sorted(r.cell_seconds for r in results)
            each = ", ".join(f"{t:.2f}" for t in times)
            scores = [r.score for r in results]
            print(
                f"{a.id}: median {statistics.median(times):.2f} s of graded cells ({each}); scores {scores}", flush=True
            )


if __name__ == "__main__":
    main(sys.argv[1:])
