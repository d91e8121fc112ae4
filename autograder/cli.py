"""``autograder``: release, grade, check and demo the course.

Exit codes: 0 success; 1 the work was done but the verdict is negative (a check failed, the
demo's grades differ from the expected ones, a release was refused); 2 bad input (course.yml,
arguments, missing files): one line on stderr names the problem and nothing is written.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from . import __version__
from .course import CourseError

# Before anything can start a kernel: TensorFlow's C++ logs on stderr cost nbgrader points.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except CourseError as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autograder: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--course", type=Path, help="course folder holding course.yml "
                        "(default: $AUTOGRADER_COURSE or the nearest parent with course.yml)")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("release", help="generate the student versions in assignments/ through nbgrader",
                       description="Generate assignments/<id> from solutions/<id> with nbgrader, after "
                       "checking that the reference scores full marks and the blank release 0.")
    p.add_argument("ids", nargs="*", metavar="ID", help="assignments to release (default: all)")
    p.add_argument("--no-verify", action="store_true",
                   help="skip grading the reference and the blank release (faster, less safe)")
    p.set_defaults(run=cmd_release)

    p = sub.add_parser("grade", help="autograde a folder of submissions into an nbgrader gradebook",
                       description="Grade every SUBMISSIONS/<student>/<ID>/<notebook>.ipynb; write the "
                       "gradebook, grades.csv and per-student HTML feedback to --out.")
    p.add_argument("id", metavar="ID", help="the assignment")
    p.add_argument("--submissions", type=Path, required=True, help="nbgrader's submitted layout")
    p.add_argument("--out", type=Path, default=Path("out"), help="course folder for results (default: out)")
    p.add_argument("--force", action="store_true", help="regrade students already graded in --out")
    p.add_argument("--workers", type=int, help="parallel submissions (default: course.yml, else one per core)")
    p.add_argument("--cold", action="store_true",
                   help="start every worker and kernel from scratch instead of forking warm ones")
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser("check", help="grade one notebook with every check and print the table",
                       description="Self-study and 'before I submit': grade NOTEBOOK like the instructor "
                       "would (all checks, hidden ones included); exit 0 only at full marks.")
    p.add_argument("notebook", type=Path)
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("demo", help="release, grade the shipped sample class, print the grade table",
                       description="Release every assignment, grade the sample class in examples/class, "
                       "print the grade table and compare it with the expected grades.")
    p.add_argument("--out", type=Path, default=Path("out/demo"), help="results folder (default: out/demo)")
    p.add_argument("ids", nargs="*", metavar="ID", help="assignments (default: all)")
    p.set_defaults(run=cmd_demo)
    return parser


def _course(args):
    from . import course

    return course.load(args.course)


# --------------------------------------------------------------------------- commands


def cmd_release(args) -> int:
    from .release import ReleaseError, release

    course = _course(args)
    status = 0
    for assignment in course.select(args.ids):
        started = time.monotonic()
        try:
            changed = release(course, assignment, verify=not args.no_verify)
        except ReleaseError as exc:
            print(f"refused: {exc}", file=sys.stderr)
            status = 1
            continue
        what = f"{len(changed)} file(s) changed" if changed else "unchanged"
        print(f"released {assignment.id}: {what} ({time.monotonic() - started:.0f} s)")
    return status


def cmd_grade(args) -> int:
    from .grading import grade

    course = _course(args)
    course.assignment(args.id)
    results = grade(course, args.id, args.submissions, args.out, force=args.force, workers=args.workers,
                    warm=not args.cold)
    print(grade_table(results))
    out = args.out.resolve()
    print(f"\ngrades:    {out / 'grades.csv'}\ngradebook: {out / 'gradebook.db'}\n"
          f"feedback:  {out / 'feedback'}/<student>/{args.id}/")
    return 0


def cmd_check(args) -> int:
    import shutil

    from .grading import grade

    path = args.notebook.resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{args.notebook}: no such notebook")
    from . import course as course_mod

    course = course_mod.load(args.course or course_mod.find_root(path.parent))
    assignment = course.assignment_for_notebook(path)
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as tmp:
        submitted = Path(tmp) / "submitted" / "you" / assignment.id
        submitted.mkdir(parents=True)
        shutil.copyfile(path, submitted / assignment.notebook)
        print(f"grading {path.name} with every check (hidden ones included)...", file=sys.stderr)
        (result,) = grade(course, assignment.id, submitted.parent.parent, Path(tmp) / "out", progress=False)
    print(check_table(result))
    full = result["status"] == "ok" and result["score"] == result["max_score"]
    return 0 if full else 1


def cmd_demo(args) -> int:
    from . import sample
    from .grading import grade
    from .release import release

    course = _course(args)
    assignments = course.select(args.ids)
    out = args.out.resolve()
    class_dir = course.root / "examples" / "class"
    mismatches, all_results = [], []
    for assignment in assignments:
        release(course, assignment, verify=False)
        print(f"\n== {assignment.id}: {assignment.title}", file=sys.stderr)
        results = grade(course, assignment.id, class_dir, out, force=True, only_submitted=True)
        all_results += results
        spec = sample.load_spec(course.sample_spec_path(assignment), assignment.id)
        for r in results:
            problem = expectation_problem(spec, r)
            if problem:
                mismatches.append(f"{assignment.id}/{r['student']}: {problem}")
    print(grade_table(all_results, expected=True, course=course))
    print(f"\ngrades:    {out / 'grades.csv'}\ngradebook: {out / 'gradebook.db'}\n"
          f"feedback:  {out / 'feedback'}/<student>/<assignment>/*.html")
    if mismatches:
        print("\nNOT AS EXPECTED:\n  " + "\n  ".join(mismatches), file=sys.stderr)
        return 1
    print("\nevery sample student got exactly the expected grade")
    return 0


# --------------------------------------------------------------------------- tables


def failed_checks(result: dict) -> list[str]:
    return sorted(i for c in result["cells"] if c["kind"] == "test" and not c["passed"] for i in c["checks"])


def expectation_problem(spec, result: dict) -> str:
    """'' if a sample student's result is what examples/<id>.yml says, else what differs."""
    from . import sample

    if result["student"] not in (sample.REFERENCE, sample.BLANK) and \
            result["student"] not in {w.student for w in spec.wrong_answers}:
        return f"{result['student']} is not a sample student of {spec.assignment}"
    expected = spec.expected_failures(result["student"])
    if expected is None:  # the blank release
        return "" if result["score"] == 0 else f"the blank release scored {result['score']:g}"
    if result["status"] != "ok":
        return f"status {result['status']}: {result['detail']}"
    got = failed_checks(result)
    if got != sorted(expected):
        return f"failed {got or 'nothing'}, expected {sorted(expected) or 'nothing'}"
    return ""


def grade_table(results: list[dict], expected: bool = False, course=None) -> str:
    from . import sample

    specs = {}
    lines = [f"{'assignment':<20} {'student':<30} {'score':>11}  {'status':<16} failed checks"]
    lines.append("-" * len(lines[0]) + "-" * 20)
    for r in results:
        failed = failed_checks(r)
        shown = "all" if failed and r["score"] == 0 else ", ".join(failed) or "-"
        line = (f"{r['assignment']:<20} {r['student']:<30} {r['score']:>5g} / {r['max_score']:<3g}  "
                f"{r['status']:<16} {shown}")
        if expected and course is not None:
            assignment = course.assignment(r["assignment"])
            spec = specs.setdefault(r["assignment"], sample.load_spec(course.sample_spec_path(assignment),
                                                                      assignment.id))
            line += "" if not expectation_problem(spec, r) else "   <-- NOT AS EXPECTED"
        lines.append(line)
    return "\n".join(lines)


def check_table(result: dict) -> str:
    from .checks import get

    lines = []
    for c in result["cells"]:
        if c["kind"] == "manual":
            lines.append(f"  …  {c['grade_id']:<34} {'?':>4} / {c['max_score']:<3g} written answer, graded by hand")
            continue
        for check_id in c["checks"] or [c["grade_id"]]:
            mark = "✔" if c["passed"] else "✘"
            title = get(check_id).title if check_id in _known() else ""
            lines.append(f"  {mark}  {check_id:<34} {c['score']:>4g} / {c['max_score']:<3g} "
                         + (title if c["passed"] else c["message"]))
    head = (f"{result['assignment']}: {result['score']:g} / {result['max_score']:g} autograded points"
            f"  (status: {result['status']})")
    if result["status"] != "ok" and result.get("detail"):
        head += f"\n  {result['detail']}"
    if result.get("manual_max_score"):
        head += f"; {result['manual_max_score']:g} more points are graded by hand"
    return head + "\n" + "\n".join(lines)


def _known():
    from .checks import registry

    return registry()


if __name__ == "__main__":
    sys.exit(main())
