"""``autograder``: release, grade, check and demo the course.

This module only parses the command line and hands each command to the module that does it
(:mod:`autograder.engine`, :mod:`autograder.authoring`, :mod:`autograder.grades`,
:mod:`autograder.lms`, :mod:`autograder.lab`); what people see is drawn by :mod:`autograder.console`.

Exit codes: 0 success; 1 the work was done but the verdict is negative (a check failed, the
demo's grades differ from the expected ones, a release was refused); 2 bad input (course.yml,
arguments, missing files): one line on stderr names the problem and nothing is written.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import __version__, skip_slow_optional_imports
from .checks._translate import EDITIONS
from .course import CourseError

# Before anything can start a kernel: TensorFlow's C++ logs on stderr cost nbgrader points.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
skip_slow_optional_imports()


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
    parser.add_argument(
        "--course",
        type=Path,
        help="course folder holding course.yml (default: $AUTOGRADER_COURSE or the nearest parent with course.yml)",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser(
        "release",
        help="generate the student versions in assignments/ through nbgrader",
        description="Generate assignments/<id> from solutions/<id> with nbgrader, after "
        "checking that the reference scores full marks and the blank release 0.",
    )
    p.add_argument("ids", nargs="*", metavar="ID", help="assignments to release (default: all)")
    p.add_argument(
        "--no-verify", action="store_true", help="skip grading the reference and the blank release (faster, less safe)"
    )
    p.set_defaults(run=cmd_release)

    p = sub.add_parser(
        "grade",
        help="autograde a folder of submissions into an nbgrader gradebook",
        description="Grade every SUBMISSIONS/<student>/<ID>/<notebook>.ipynb; write the "
        "gradebook, grades.csv and per-student HTML feedback to --out.",
    )
    p.add_argument("id", metavar="ID", help="the assignment")
    p.add_argument("--submissions", type=Path, required=True, help="nbgrader's submitted layout")
    p.add_argument("--out", type=Path, default=Path("out"), help="course folder for results (default: out)")
    p.add_argument("--force", action="store_true", help="regrade students already graded in --out")
    p.add_argument("--workers", type=int, help="parallel submissions (default: course.yml, else one per core)")
    p.add_argument(
        "--cold", action="store_true", help="start every worker and kernel from scratch instead of forking warm ones"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on a Dask cluster: tcp://HOST:PORT of its scheduler, or local:N for N worker processes on "
        "this machine (--workers is then the submissions each worker process grades at once)",
    )
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser(
        "check",
        help="grade one notebook with every check and print the table",
        description="Self-study and 'before I submit': grade NOTEBOOK like the instructor "
        "would (all checks, hidden ones included); exit 0 only at full marks.",
    )
    p.add_argument("notebook", type=Path)
    p.set_defaults(run=cmd_check)

    p = sub.add_parser(
        "bundle",
        help="write a zip a student can work from alone (visible checks only)",
        description="Write ID's released notebook, its data and the student edition of "
        "the check library (visible checks, no hidden inputs, references or solutions) "
        "to a zip.",
    )
    p.add_argument("id", metavar="ID", help="the assignment")
    p.add_argument("-o", "--output", type=Path, help="the zip to write (default: bundles/<ID>[.fa].zip)")
    p.add_argument("--language", choices=EDITIONS, default="en", help="the notebook's edition: en or fa (Persian)")
    p.set_defaults(run=cmd_bundle)

    p = sub.add_parser(
        "demo",
        help="release, grade the shipped sample class, print the grade table",
        description="Release every assignment, grade the sample class in examples/class, "
        "print the grade table and compare it with the expected grades.",
    )
    p.add_argument("--out", type=Path, default=Path("out/demo"), help="results folder (default: out/demo)")
    p.add_argument("ids", nargs="*", metavar="ID", help="assignments (default: all)")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser(
        "grades",
        help="rewrite grades.csv after manual grading in formgrader, without regrading",
        description="Rewrite OUT/grades.csv from the results and the gradebook: auto, "
        "manual (formgrader) and total scores, late penalties.",
    )
    p.add_argument("--out", type=Path, default=Path("out"), help="course folder written by grade (default: out)")
    p.set_defaults(run=cmd_grades)

    p = sub.add_parser(
        "report",
        help="class report: one HTML file with plots, and the same numbers as CSV",
        description="Write OUT/report/report.html (plots embedded) and OUT/report/*.csv: "
        "per assignment the score histogram, pass rate per check, statuses, late "
        "submissions and a table of students. Also rewrites OUT/grades.csv.",
    )
    p.add_argument("ids", nargs="*", metavar="ID", help="assignments (default: every graded one)")
    p.add_argument("--out", type=Path, default=Path("out"), help="course folder written by grade (default: out)")
    p.set_defaults(run=cmd_report)

    p = sub.add_parser(
        "lab",
        help="open the course in JupyterLab with nbgrader's Assignment List, Validate and Formgrader",
        description="Students: open a workspace (default: .lab in the course) whose "
        "Assignment List holds the released assignments and whose Validate button "
        "runs the course's checks. Instructors: --dir a folder written by "
        "`autograder grade` opens nbgrader's Formgrader on its gradebook.",
    )
    p.add_argument(
        "--dir", type=Path, help="student workspace, or a graded course folder (default: .lab in the course)"
    )
    p.add_argument("--port", type=int, help="port to serve on (default: JupyterLab's, 8888)")
    p.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    p.add_argument(
        "--language",
        choices=EDITIONS,
        default="en",
        help="the edition a student workspace offers: en (English) or fa (Persian, فارسی)",
    )
    p.set_defaults(run=cmd_lab)

    from .lms import LMS_NAMES as lms_names  # noqa: N811 - a local name for the choices

    p = sub.add_parser(
        "import",
        help="turn a Moodle or Canvas 'download all submissions' zip into the submitted layout",
        description="Write the submissions in ZIP into SUBMISSIONS/<student>/<ID>/ with "
        "nbgrader's timestamp.txt; never replace a newer submission with an older one; "
        "list the files it could not match.",
    )
    p.add_argument("id", metavar="ID", help="the assignment")
    p.add_argument("zip", type=Path, metavar="ZIP", help="the LMS's download")
    p.add_argument("--lms", choices=lms_names, required=True)
    p.add_argument("--submissions", type=Path, required=True, help="nbgrader's submitted layout to write into")
    p.add_argument(
        "--roster",
        type=Path,
        help="CSV mapping LMS ids to student ids (Moodle's grading "
        "worksheet, Canvas's gradebook export, or lms_id,student_id)",
    )
    p.set_defaults(run=cmd_import)

    p = sub.add_parser(
        "export",
        help="write grades.csv as a CSV for Moodle's or Canvas's gradebook import",
        description="Write the assignment's points from OUT/grades.csv in the columns the "
        "LMS's gradebook CSV import reads.",
    )
    p.add_argument("id", metavar="ID", help="the assignment")
    p.add_argument("--lms", choices=lms_names, required=True)
    p.add_argument("--out", type=Path, default=Path("out"), help="course folder holding grades.csv (default: out)")
    p.add_argument("--roster", type=Path, help="the same roster as for import: student ids → the LMS's people")
    p.add_argument(
        "--column",
        help="header of the grade column (default: Moodle 'Assignment: <title> (Real)'; "
        "Canvas '<title> (<id>)' from the roster, else '<title>')",
    )
    p.add_argument("-o", "--output", type=Path, help="CSV to write (default: OUT/<ID>-<lms>.csv)")
    p.set_defaults(run=cmd_export)
    return parser


def _course(args):
    from . import course

    return course.load(args.course)


# --------------------------------------------------------------------------- commands


def cmd_release(args) -> int:
    from .authoring.release import ReleaseError, release

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
    from . import console
    from .engine.batch import grade

    course = _course(args)
    course.assignment(args.id)
    results = grade(
        course,
        args.id,
        args.submissions,
        args.out,
        force=args.force,
        workers=args.workers,
        warm=not args.cold,
        scheduler=args.scheduler,
    )
    console.out.print(console.grade_table(results))
    out = args.out.resolve()
    print(
        f"\ngrades:    {out / 'grades.csv'}\ngradebook: {out / 'gradebook.db'}\n"
        f"feedback:  {out / 'feedback'}/<student>/{args.id}/"
    )
    return 0


def cmd_check(args) -> int:
    from . import console
    from . import course as course_mod
    from .engine.batch import check

    path = args.notebook.resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{args.notebook}: no such notebook")
    course = course_mod.load(args.course or course_mod.find_root(path.parent))
    course.assignment_for_notebook(path)  # not a notebook of the course: exit 2 before grading
    print(f"grading {path.name} with every check (hidden ones included)...", file=sys.stderr)
    result = check(course, path)
    console.say(console.check_table(result))
    return 0 if result.full_marks else 1


def cmd_lab(args) -> int:
    from . import lab

    course = _course(args)
    if args.port is not None and not 0 < args.port < 65536:
        raise CourseError(f"--port {args.port}: expected a port number between 1 and 65535")
    folder = args.dir or course.root / lab.WORKSPACE
    lab.launch(course, folder, port=args.port, open_browser=not args.no_browser, edition=args.language)
    return 0  # not reached: launch() replaces this process with JupyterLab


def cmd_bundle(args) -> int:
    from .authoring.bundle import bundle

    course = _course(args)
    assignment = course.assignment(args.id)
    name = assignment.id if args.language == "en" else f"{assignment.id}.{args.language}"
    target = (args.output or course.root / "bundles" / f"{name}.zip").resolve()
    started = time.monotonic()
    made = bundle(course, assignment, target, edition=args.language)
    print(
        f"wrote {target}: {len(made['files'])} files, {len(made['checks'])} visible checks "
        f"({time.monotonic() - started:.0f} s)"
    )
    if made["graded_only"]:
        print(
            "verdicts only from the grader (their reference depends on the student's outputs): "
            + ", ".join(made["graded_only"])
        )
    return 0


def cmd_grades(args) -> int:
    from .grades.scores import class_scores
    from .grades.table import write_csv

    course = _course(args)
    out = args.out.resolve()
    rows = class_scores(out, course)
    if not rows:
        raise CourseError(f"{out}: no graded submissions here (run `autograder grade` first)")
    path = write_csv(out, course, rows)
    pending = sum(r.needs_manual_grading for r in rows)
    late = sum(r.seconds_late > 0 for r in rows)
    print(f"{path}: {len(rows)} submissions, {pending} still need manual grading, {late} late")
    return 0


def cmd_report(args) -> int:
    from .grades import report

    course = _course(args)
    started = time.monotonic()
    page = report.write(args.out.resolve(), course, args.ids)
    print(f"report: {page}  ({time.monotonic() - started:.1f} s)\nCSV:    {page.parent}/*.csv")
    return 0


def cmd_demo(args) -> int:
    from . import console
    from .authoring import demo
    from .grades import report

    course = _course(args)
    out = args.out.resolve()
    results, problems, handed_in = demo.run(course, args.ids, out)
    console.out.print(console.grade_table(results, problems, handed_in))
    print(
        f"\ngrades:    {out / 'grades.csv'}\ngradebook: {out / 'gradebook.db'}\n"
        f"feedback:  {out / 'feedback'}/<student>/<assignment>/*.html"
    )
    print(f"report:    {report.write(out, course, [a.id for a in course.select(args.ids)])}")
    if problems:
        lines = [f"{assignment}/{student}: {problem}" for (assignment, student), problem in problems.items()]
        print("\nNOT AS EXPECTED:\n  " + "\n  ".join(lines), file=sys.stderr)
        return 1
    print("\nevery student got exactly the grade of what they handed in")
    return 0


def cmd_import(args) -> int:
    from . import console
    from .lms import adapter_for
    from .lms.importer import import_submissions

    course = _course(args)
    report = import_submissions(course, args.id, args.zip, adapter_for(args.lms), args.submissions, args.roster)
    print(f"{args.id} from {args.zip} ({args.lms}) into {args.submissions.resolve()}:")
    print(console.import_summary(report, args.lms))
    # 1 only if the zip held nothing for any student (a re-import of the same zip is fine).
    return 0 if report.imported or report.kept else 1


def cmd_export(args) -> int:
    from .lms import adapter_for
    from .lms.export import export_grades, write_export

    course = _course(args)
    export = export_grades(course, args.id, args.out, adapter_for(args.lms), args.roster, args.column)
    path = args.output or args.out / f"{args.id}-{args.lms}.csv"
    if export.rows:
        write_export(export, path)
        print(
            f"wrote {len(export.rows)} grade(s) for {args.lms} to {path.resolve()}\ncolumns: {', '.join(export.header)}"
        )
    for student, why in export.left_out.items():
        print(f"  left out {student}: {why}")
    return 0 if export.rows else 1


if __name__ == "__main__":
    sys.exit(main())
