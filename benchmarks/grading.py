"""Benchmark: stock ``nbgrader autograde`` vs ``autograder grade`` on the same submissions.

    python benchmarks/grading.py [--assignment 01-activations] [--copies 3] [--skip-stock] [--workers N]

Builds a class of honest submissions (the sample class's reference, blank and wrong answers,
``--copies`` times over; the cheating sample is left out since only our grader catches it),
grades it with stock nbgrader (one submission at a time, cold kernel each, as nbgrader does)
and with ``autograder grade`` (parallel, warm, sandboxed), on this machine, in one run, and
prints both times, the ratio, the per-notebook overhead beyond the cells' own compute, and
whether every score is identical.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat

from autograder import course as course_mod
from autograder import nbgrader_run, settings
from autograder.authoring import sample
from autograder.results import all_results

ENV = {
    **os.environ,
    **settings.GRADED,
    "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
}


def build_class(course, assignment, folder: Path, copies: int) -> list[str]:
    notebooks = sample.submissions(course, assignment)
    honest = [s for s in notebooks if not s.startswith("cheat")]
    students = []
    for copy in range(copies):
        for student in honest:
            name = f"{student}-{copy}"
            path = folder / name / assignment.id / assignment.notebook
            path.parent.mkdir(parents=True)
            nbformat.write(notebooks[student], path)
            students.append(name)
    return students


def stock(course, assignment, submissions: Path, root: Path) -> tuple[float, dict[str, float]]:
    """Stock nbgrader: generate_assignment, then `nbgrader autograde` over the class."""
    root.mkdir(parents=True)
    shutil.copytree(submissions, root / "submitted")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        f"c.CourseDirectory.course_id = {course.id!r}\n"
        f"c.Execute.timeout = {int(assignment.timeouts.cell)}\n"
    )
    nbgrader_run.generate_assignment(root, course, assignment)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", assignment.id, "--force"],
        cwd=root,
        env=ENV,
        check=True,
        capture_output=True,
    )
    elapsed = time.monotonic() - started
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course.id) as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions(assignment.id)}
    return elapsed, scores


def ours(course, assignment, submissions: Path, out: Path, workers: int | None = None):
    started = time.monotonic()
    more = ["--workers", str(workers)] if workers else []
    subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "--course",
            str(course.root),
            "grade",
            assignment.id,
            "--submissions",
            str(submissions),
            "--out",
            str(out),
            *more,
        ],
        env=ENV,
        check=True,
        capture_output=True,
    )
    elapsed = time.monotonic() - started
    results = [r for r in all_results(out) if r.assignment == assignment.id]
    return elapsed, {r.student: r.score for r in results}, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="01-activations")
    parser.add_argument("--copies", type=int, default=3, help="copies of the honest sample class")
    parser.add_argument("--skip-stock", action="store_true", help="time only autograder grade")
    parser.add_argument("--workers", type=int, help="autograder grade's --workers (default: its own)")
    args = parser.parse_args()
    course = course_mod.load(ROOT)
    assignment = course.assignment(args.assignment)
    with tempfile.TemporaryDirectory(prefix="autograder-bench-") as tmp:
        tmp = Path(tmp)
        students = build_class(course, assignment, tmp / "submitted", args.copies)
        print(f"{len(students)} submissions of {assignment.id} on {os.cpu_count()} cores")
        if not args.skip_stock:
            stock_time, stock_scores = stock(course, assignment, tmp / "submitted", tmp / "stock")
            print(
                f"stock nbgrader autograde:  {stock_time:7.1f} s  ({stock_time / len(students):.2f} s per submission)"
            )
        our_time, our_scores, results = ours(course, assignment, tmp / "submitted", tmp / "ours", args.workers)
        print(f"autograder grade:          {our_time:7.1f} s  ({our_time / len(students):.2f} s per submission)")
        cells = sum(r.cell_seconds or 0.0 for r in results)
        workers = sum(r.seconds for r in results)
        overhead = (workers - cells) / len(results)
        print(
            f"per-notebook overhead beyond the cells' own compute: {overhead:.2f} s "
            f"(worker wall {workers / len(results):.2f} s, cells {cells / len(results):.2f} s)"
        )
        if not args.skip_stock:
            print(f"ratio: {stock_time / our_time:.1f}x faster")
            same = all(abs(stock_scores.get(s, -1) - our_scores.get(s, -2)) < 1e-9 for s in students)
            print(f"identical scores: {'yes' if same else 'NO'}")
            if not same:
                for s in students:
                    if abs(stock_scores.get(s, -1) - our_scores.get(s, -2)) >= 1e-9:
                        print(f"  {s}: stock {stock_scores.get(s)} vs ours {our_scores.get(s)}")
            summary = {
                "submissions": len(students),
                "stock_s": round(stock_time, 1),
                "ours_s": round(our_time, 1),
                "ratio": round(stock_time / our_time, 2),
                "overhead_s": round(overhead, 2),
                "identical": same,
            }
            print(json.dumps(summary))
            return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
