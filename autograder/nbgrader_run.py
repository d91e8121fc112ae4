"""The one place that drives nbgrader: course directories, its API, generate_assignment.

Every nbgrader step of the course (release, autograde, feedback) runs through nbgrader's own
``NbGraderAPI`` on a real nbgrader course directory with a real gradebook.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nbformat

from .course import Assignment, Course, CourseError

GRADEBOOK = "gradebook.db"

# nbgrader runs the `alembic` command when it creates a gradebook: find the one installed beside
# this Python even when the virtual environment is not activated.
_bin = os.path.dirname(sys.executable)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")


class NbgraderError(CourseError):
    """nbgrader reported a failure; the message ends with the tail of its log."""


def config(
    root: Path,
    course_id: str,
    cell_timeout: float | None = None,
    max_output_mb: float | None = None,
    ipc_path: str | None = None,
    records: str | None = None,
    edition: str | None = None,
    answer_stub: str | None = None,
    highlighted: Path | None = None,
):
    """nbgrader's configuration for a course folder.

    Args:
        cell_timeout, max_output_mb: the grader's limits on each cell and on the output.
        ipc_path: talk to kernels over Unix sockets there (a sandboxed kernel has no network).
        records, edition: where the checks' records are and the submission's edition, for the verdicts.
        answer_stub: what generate_assignment writes in place of a written answer.
        highlighted: the release's code, highlighted once for the feedback (``write_highlighted``).
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearHiddenTests,
        GetGrades,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )
    from traitlets.config import Config

    from .engine.execute import LimitedExecute
    from .engine.feedback_exporter import FeedbackExporter
    from .engine.verdicts import ApplyVerdicts

    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = course_id
    c.CourseDirectory.db_url = f"sqlite:///{Path(root) / GRADEBOOK}"
    # Feedback must never show hidden tests (nbgrader's default keeps them).
    c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ClearHiddenTests]
    c.GenerateFeedback.exporter_class = FeedbackExporter  # the same page, without a BeautifulSoup pass
    if highlighted is not None:
        c.FeedbackExporter.highlighted = str(highlighted)
    c.NbGraderAPI.log_level = "WARN"
    # nbgrader's autograde steps, with Execute replaced by one that caps output as it streams,
    # followed by the verdicts on the records the checks saved (given here, not in the kernel).
    c.Autograde.autograde_preprocessors = [
        LimitedExecute,
        ApplyVerdicts,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    c.KernelManager.client_class = "autograder.engine.execute.PromptKernelClient"
    if cell_timeout is not None:
        c.Execute.timeout = int(cell_timeout)
    if max_output_mb is not None:
        c.LimitedExecute.max_output_bytes = int(max_output_mb * 2**20)
    if records is not None:
        c.ApplyVerdicts.records = str(records)
    if edition is not None:
        c.ApplyVerdicts.edition = edition
    if answer_stub is not None:
        c.ClearSolutions.text_stub = answer_stub
    if ipc_path is not None:
        c.KernelManager.transport = "ipc"
        c.KernelManager.ip = ipc_path
    return c


def api(root: Path, course_id: str, **options):
    """nbgrader's API on the course folder ``root``, configured by :func:`config` (``options``)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    c = config(root, course_id, **options)
    return NbGraderAPI(coursedir=CourseDirectory(config=c), config=c)


def write_config_file(root: Path, course_id: str, late_policy: str = "none", penalty_per_day: float = 0.0) -> None:
    """An nbgrader_config.py, so that formgrader and nbgrader's own commands work in this folder
    too, with the course's late policy as nbgrader's late-penalty plugin."""
    (root / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        f"c.CourseDirectory.course_id = {course_id!r}\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(root / GRADEBOOK)!r}\n"
        "from nbgrader.preprocessors import GetGrades, ClearHiddenTests\n"
        "from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor\n"
        "c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ClearHiddenTests]\n"
        'c.GenerateFeedback.exporter_class = "autograder.engine.feedback_exporter.FeedbackExporter"\n'
        'c.AssignLatePenalties.plugin_class = "autograder.grades.late.CoursePenalty"\n'
        f"c.CoursePenalty.policy = {late_policy!r}\n"
        f"c.CoursePenalty.penalty_per_day = {float(penalty_per_day)!r}\n",
        encoding="utf-8",
    )


def checked(result: dict, what: str) -> dict:
    if not result.get("success"):
        log = (result.get("log") or "") + (result.get("error") or "")
        tail = " | ".join(line.strip() for line in log.strip().splitlines()[-6:])
        raise NbgraderError(f"nbgrader {what} failed: {tail}")
    return result


def generate_assignment(root: Path, course: Course, assignment: Assignment, edition: str = "en") -> Path:
    """Copy the source into ``root/source`` and run nbgrader's generate_assignment there.

    Args:
        edition: the source notebook's edition (:mod:`autograder.authoring.editions`); its
            translations (``*.<edition>.yml``) never travel with the assignment.

    Returns the release folder ``root/release/<id>``. The gradebook at ``root`` then knows the
    assignment, its notebook and every graded cell (with the source's test code).
    """
    from .authoring import editions

    source = root / "source" / assignment.id
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(
        course.source_dir / assignment.id,
        source,
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", f"{assignment.notebook_id}.*.yml"),
    )
    if edition != "en":
        nbformat.write(editions.source(course, assignment, edition), source / assignment.notebook)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / GRADEBOOK}", course.id) as gb:
        gb.update_or_create_assignment(assignment.id, duedate=assignment.due)
    checked(
        api(root, course.id, answer_stub=editions.ANSWER_STUB[edition]).generate_assignment(
            assignment.id, force=True, create=True
        ),
        f"generate_assignment {assignment.id} ({edition})",
    )
    return root / "release" / assignment.id
