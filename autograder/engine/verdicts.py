"""An nbgrader preprocessor that gives the checks' verdicts after a graded notebook has run.

A graded kernel has only the probe edition of the check library: each test cell's ``check``
records the student's outputs and prints a ``[recorded]`` line. This preprocessor runs in the
grader's process right after execution and before nbgrader's ``SaveAutoGrades``: it verifies
each record with the full library and writes the verdict into the cell's outputs, a ✔ line for
a pass and a ``CheckFailed`` error for a failure, so nbgrader scores the cell as usual and the
feedback shows the message.
"""

from __future__ import annotations

from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from traitlets import Bool, Unicode

from ..checks import CheckFailed, check_ids_in, get, load_record, verdict
from ..checks._core import RECORDED, Fail, passed_line
from ..checks._translate import translate
from .submission import HIDDEN_REGION


class ApplyVerdicts(Preprocessor):
    """Replace each graded test cell's ``[recorded]`` lines by the grader's verdicts."""

    records = Unicode("", help="folder of the records the kernel saved").tag(config=True)
    edition = Unicode("en", help="the submission's edition: the language of the verdicts").tag(config=True)
    enabled = Bool(True, help="nbconvert runs a preprocessor only when it is enabled").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        ids = check_ids_in(cell.source) if cell.cell_type == "code" else []
        if not ids or not cell.metadata.get("nbgrader", {}).get("grade"):
            return cell, resources
        if any(o.output_type == "error" for o in cell.outputs):
            # The cell failed on its own (a NameError, a timeout): keep the error — but a hidden
            # test's traceback quotes its code, so there only the error's name and message stay.
            if HIDDEN_REGION.search(cell.source):
                cell.outputs = [_without_code(o) for o in cell.outputs]
            return cell, resources
        cell.outputs = [_without_recorded_lines(o) for o in cell.outputs]
        cell.outputs = [o for o in cell.outputs if o.output_type != "stream" or o.text]
        failures = []
        for check_id in ids:
            spec = get(check_id)
            message = trusted_verdict(check_id, Path(self.records))
            if message is None:
                cell.outputs.append(new_output("stream", name="stdout", text=passed_line(spec, self.edition)))
            else:
                failures.append(CheckFailed(check_id, spec.points, translate(message, self.edition)))
        if failures:
            first = failures[0]
            cell.outputs.append(
                new_output(
                    "error",
                    ename="CheckFailed",
                    evalue=str(first),
                    traceback=[line for f in failures for line in f._render_traceback_()],
                )
            )
        return cell, resources


def trusted_verdict(check_id: str, records: Path) -> str | None:
    """None if the record of ``check_id`` in ``records`` passes, else the failure message."""
    try:
        record = load_record(records / f"{check_id}.npz")
    except Fail as fail:
        return str(fail)
    return verdict(get(check_id), record)


def _without_code(output):
    if output.output_type == "error":
        output.traceback = [f"{output.ename}: {output.evalue}"]
    return output


def _without_recorded_lines(output):
    if output.output_type == "stream":
        output.text = "".join(line for line in output.text.splitlines(keepends=True) if not line.startswith(RECORDED))
    return output
