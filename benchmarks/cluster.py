"""Benchmark: local grading vs grading on Dask (``--scheduler local:N``) on the same submissions.

    python benchmarks/cluster.py [--assignment 01-activations] [--copies 2] [--dask 2x1,1x2]
    python benchmarks/cluster.py --assignment 02-recurrent --students 200 --skip-dask   # a 200-student class

Builds a class of honest submissions (the sample class's reference, blank and wrong answers, repeated
to ``--copies`` or to ``--students``), grades it in one run with ``autograder grade`` (this machine's
warm pool, ``--workers`` slots) and with ``autograder grade --scheduler local:N --workers S`` for each
layout ``NxS`` of ``--dask`` (N Dask worker processes of S slots: ``2x1`` has a zygote per process,
``1x2`` one for the machine, as local grading has), and prints the wall times, the distribution
overhead of each layout, the median worker
time per submission (the cost that a cluster of M machines divides: wall ≈ students × median / slots
/ M), and whether every score is identical.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import subprocess  # noqa: E402

import nbformat  # noqa: E402

from autograder import course as course_mod  # noqa: E402
from autograder import settings  # noqa: E402
from autograder.authoring import sample  # noqa: E402
from autograder.results import all_results  # noqa: E402

ENV = {**os.environ, **settings.GRADED, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}


def build_class(course, assignment, folder: Path, students: int) -> list[str]:
    """``students`` honest submissions, the samples in turn (the cheating sample left out)."""
    notebooks = sample.submissions(course, assignment)
    honest = sorted(s for s in notebooks if not s.startswith("cheat"))
    names = []
    for i in range(students):
        name = f"{honest[i % len(honest)]}-{i // len(honest)}"
        path = folder / name / assignment.id / assignment.notebook
        path.parent.mkdir(parents=True)
        nbformat.write(notebooks[honest[i % len(honest)]], path)
        names.append(name)
    return names


def grade(course, assignment, submissions: Path, out: Path, *more: str) -> tuple[float, list]:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "autograder", "--course", str(course.root), "grade", assignment.id]
        + ["--submissions", str(submissions), "--out", str(out), *more],
        env=ENV,
        check=True,
        capture_output=True,
    )
    return time.monotonic() - started, [r for r in all_results(out) if r.assignment == assignment.id]


def describe(label: str, wall: float, results: list) -> dict:
    seconds = [r.seconds for r in results if r.seconds is not None]
    cells = [r.cell_seconds for r in results if r.cell_seconds is not None]
    row = {
        "wall_s": round(wall, 1),
        "per_submission_s": round(wall / len(results), 2),
        "worker_median_s": round(statistics.median(seconds), 2),
        "cells_median_s": round(statistics.median(cells), 2) if cells else None,
    }
    print(
        f"{label:<34} {wall:7.1f} s  ({row['per_submission_s']:.2f} s per submission; worker median "
        f"{row['worker_median_s']:.2f} s, cells median {row['cells_median_s']} s)"
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="01-activations")
    parser.add_argument("--copies", type=int, default=2, help="copies of the honest sample class")
    parser.add_argument("--students", type=int, help="a class of this size instead of --copies")
    parser.add_argument("--workers", type=int, default=2, help="local grading's slots (default 2)")
    parser.add_argument(
        "--dask", default="2x1,1x2", help="Dask layouts, PROCESSESxSLOTS, comma-separated (default 2x1,1x2)"
    )
    parser.add_argument("--skip-dask", action="store_true", help="time only local grading")
    args = parser.parse_args()
    course = course_mod.load(ROOT)
    assignment = course.assignment(args.assignment)
    with tempfile.TemporaryDirectory(prefix="autograder-bench-") as tmp:
        tmp = Path(tmp)
        size = args.students or args.copies * len(
            [s for s in sample.submissions(course, assignment) if s[:5] != "cheat"]
        )
        students = build_class(course, assignment, tmp / "submitted", size)
        print(f"{len(students)} submissions of {assignment.id} on {os.cpu_count()} cores")
        summary = {"assignment": assignment.id, "submissions": len(students)}
        wall, local = grade(course, assignment, tmp / "submitted", tmp / "local", "--workers", str(args.workers))
        summary["local"] = describe(f"autograder grade (--workers {args.workers})", wall, local)
        for layout in [] if args.skip_dask else args.dask.split(","):
            processes, slots = layout.split("x")
            more = ("--scheduler", f"local:{processes}", "--workers", slots)
            wall, dask = grade(course, assignment, tmp / "submitted", tmp / f"dask-{layout}", *more)
            row = describe(f"  --scheduler local:{processes} --workers {slots}", wall, dask)
            row["overhead"] = round(row["wall_s"] / summary["local"]["wall_s"] - 1, 3)
            row["identical"] = {r.student: r.score for r in local} == {r.student: r.score for r in dask}
            summary[f"dask {layout}"] = row
            print(
                f"    distribution overhead on one machine: {row['overhead']:+.1%}; "
                f"identical scores: {'yes' if row['identical'] else 'NO'}"
            )
        median = summary["local"]["worker_median_s"]
        print(
            f"a cluster of M machines with S slots each grades {len(students)} submissions in about "
            f"{len(students)} × {median:.2f} s / (S × M)"
        )
        print(json.dumps(summary))
        return 0 if all(row.get("identical", True) for row in summary.values() if isinstance(row, dict)) else 1


if __name__ == "__main__":
    sys.exit(main())
