"""Authoring aid: run a source notebook's code cells in this process and list each check's verdict.

    python tools/run_inprocess.py 01-activations [--student forgot-abs] [--skip-demos]

With --student, the wrong answer's edits from examples/<id>.yml are applied first and the
failing checks are compared with its `fails` list. This is a fast loop for writing checks; the
real verdict comes from `autograder check` (real kernel, real nbgrader).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import checks, settings
from autograder import course as course_mod
from autograder.authoring import sample
from autograder.engine.verdicts import trusted_verdict

for _name, _value in settings.QUIET_TENSORFLOW.items():  # before anything imports TensorFlow
    os.environ.setdefault(_name, _value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--student", help="a wrong answer from examples/<id>.yml")
    parser.add_argument("--skip-demos", action="store_true", help="skip code cells that train (use EPOCHS/plt)")
    parser.add_argument("--times", action="store_true", help="print each code cell's wall time, slowest first")
    args = parser.parse_args()
    os.environ[settings.GRADING] = "1"
    records = Path(tempfile.mkdtemp(prefix="records-"))
    os.environ[settings.RECORD_DIR] = str(records)
    course = course_mod.load()
    assignment = course.assignment(args.assignment)
    source = nbformat.read(course.source_notebook(assignment), as_version=4)
    nb = sample.filled_in(source, source)
    expected = []
    if args.student:
        spec = sample.load_spec(course.sample_spec_path(assignment), assignment.id)
        wrong = next(w for w in spec.wrong_answers if w.student == args.student)
        nb = sample.apply_edits(nb, wrong.edits, args.student)
        expected = wrong.fails
    namespace, failed, started, cell_times = {"__name__": "__main__"}, [], time.time(), []
    os.chdir(course.source_notebook(assignment).parent)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if (
            args.skip_demos
            and not cell.metadata.get("nbgrader", {}).get("grade")
            and ("plt." in cell.source or "EPOCHS" in cell.source)
        ):
            continue
        code = cell.source.replace("### BEGIN HIDDEN TESTS", "").replace("### END HIDDEN TESTS", "")
        code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
        cell_started = time.perf_counter()
        try:
            exec(compile(code, "<cell>", "exec"), namespace)
        except checks.CheckFailed as exc:
            failed.append(exc.check_id)
            print(exc._render_traceback_()[0])
        except Exception as exc:
            print(f"cell raised {type(exc).__name__}: {exc}")
            failed.append(f"<cell {cell.metadata.get('nbgrader', {}).get('grade_id', '?')}>")
        cell_times.append((time.perf_counter() - cell_started, cell.metadata.get("nbgrader", {}).get("grade_id", "?")))
    # As the grader does: re-verify every check's record in this process (catches a fake `check`).
    for cell in nb.cells:
        for check_id in checks.check_ids_in(cell.source) if cell.cell_type == "code" else []:
            message = trusted_verdict(check_id, records)
            if message is not None and check_id not in failed:
                print(f"re-check of {check_id} failed: {message}")
                failed.append(check_id)
    if args.times:
        print("\n".join(f"{seconds:6.2f} s  {grade_id}" for seconds, grade_id in sorted(cell_times, reverse=True)))
    print(f"\n{time.time() - started:.1f} s; failed: {failed or 'none'}")
    if args.student:
        ok = sorted(failed) == sorted(expected)
        print("matches examples yml `fails`" if ok else f"MISMATCH: expected {sorted(expected)}")
        return 0 if ok else 1
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
