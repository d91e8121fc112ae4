"""``autograder lab``: the course in JupyterLab 4 with nbgrader's extension.

A folder opened with ``autograder lab --dir FOLDER`` is one of two kinds:

* a **student workspace** (the default, ``<course>/.lab``, git-ignored): nbgrader's exchange
  lives in ``FOLDER/.nbgrader`` and holds every released assignment of ``assignments/``, so
  *Nbgrader → Assignment List* fetches them into ``FOLDER/<id>/``, and the **Validate** button
  runs the notebook against this course's check library;
* a **graded course folder** written by ``autograder grade`` (it holds ``gradebook.db``):
  nbgrader's **Formgrader** opens on its gradebook, for grading the written answers by hand.

Everything JupyterLab needs is written into the folder itself (``nbgrader_config.py`` and
``.jupyter/``, JupyterLab's config folder while it runs) and never into ``~/.jupyter``, whose
configuration is still read and where the student's JupyterLab settings stay.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

from . import nbgrader_run, settings
from .course import Course, CourseError

WORKSPACE = ".lab"  # the default student workspace, under the course root
HEADER = "# Written by `autograder lab`: this folder is a student workspace of the course."
STUDENT, GRADER = "student", "grader"
_QUIET = logging.getLogger("autograder.lab.exchange")  # nbgrader's "Released as: ..." is not news here
_QUIET.setLevel(logging.ERROR)

# nbgrader's lab plugins each kind of folder hides: a student has no gradebook to open, and an
# instructor grading has no assignments to fetch. JupyterLab's news prompt goes too (offline course).
HIDDEN_PLUGINS = {
    STUDENT: ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"],
    GRADER: ["@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:course-list"],
}
NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"
# What the grader's kernels read when TensorFlow starts (autograder.warm): quiet logs (nbgrader
# fails a test cell that writes to stderr) and the same CPU kernels, hence the same numbers.
KERNEL_ENV = settings.QUIET_TENSORFLOW
SERVER_EXTENSIONS = {
    STUDENT: {"assignment_list": True, "course_list": True, "validate_assignment": True, "formgrader": False},
    GRADER: {"assignment_list": False, "course_list": False, "validate_assignment": True, "formgrader": True},
}


def folder_kind(folder: Path) -> str:
    """Which kind of folder ``folder`` is, or a CourseError if it is neither and not empty.

    Refusing a foreign non-empty folder keeps ``autograder lab --dir ~`` from writing config
    files among someone's own files.
    """
    if folder.exists() and not folder.is_dir():
        raise CourseError(f"{folder}: not a folder")
    config = folder / "nbgrader_config.py"
    if (folder / nbgrader_run.GRADEBOOK).is_file() and config.is_file():
        return GRADER
    if not folder.exists() or not any(folder.iterdir()):
        return STUDENT
    if config.is_file() and config.read_text(encoding="utf-8").startswith(HEADER):
        return STUDENT
    raise CourseError(
        f"{folder}: not empty, and neither a workspace of `autograder lab` nor a "
        f"course folder written by `autograder grade` (no {nbgrader_run.GRADEBOOK})"
    )


def prepare(course: Course, folder: Path, edition: str = "en") -> str:
    """Write the nbgrader and Jupyter configuration into ``folder``; return its kind.

    Args:
        course: the course whose releases (student) or gradebook (grader) the folder serves.
        folder: a student workspace (created if missing) or a folder written by ``autograder grade``.
        edition: the language of the releases a student workspace offers (``"fa"``: Persian).
    """
    folder = folder.resolve()
    kind = folder_kind(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if kind == STUDENT:
        write_student_config(course, folder)
        publish_releases(course, folder / ".nbgrader" / "exchange", edition)
    else:
        # Written again: the folder may have moved since grading.
        nbgrader_run.write_config_file(
            folder, course.id, course.grading.late_policy, course.grading.late_penalty_per_day
        )
        write_grader_exchange(folder)
    write_jupyter_config(folder, kind)
    return kind


def write_student_config(course: Course, folder: Path) -> None:
    # Validate runs the whole notebook with nbgrader's Execute: give each cell the longest
    # per-cell limit of the course (nbgrader's default, 30 s, is shorter than some cells).
    cell_timeout = max([course.grading.timeouts.cell] + [a.timeouts.cell for a in course.assignments])
    (folder / "nbgrader_config.py").write_text(
        f"{HEADER}\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {course.id!r}\n"
        f"c.Exchange.root = {str(folder / '.nbgrader' / 'exchange')!r}\n"
        f"c.Exchange.cache = {str(folder / '.nbgrader' / 'cache')!r}\n"
        f"c.Execute.timeout = {int(cell_timeout)}\n",
        encoding="utf-8",
    )


def write_grader_exchange(folder: Path) -> None:
    """Give a graded course folder an exchange of its own, in ``.jupyter/nbgrader_config.py``
    (nbgrader reads it after the folder's own nbgrader_config.py, which `autograder grade` owns).

    Without one, Formgrader warns on every page that nbgrader's default exchange
    (/usr/local/share/nbgrader/exchange) is missing.
    """
    exchange = folder / ".nbgrader" / "exchange"
    exchange.mkdir(parents=True, exist_ok=True)
    (folder / ".jupyter").mkdir(exist_ok=True)
    (folder / ".jupyter" / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.Exchange.cache = {str(folder / '.nbgrader' / 'cache')!r}\n",
        encoding="utf-8",
    )


def publish_releases(course: Course, exchange: Path, edition: str = "en") -> list[str]:
    """Release every assignment into the exchange with nbgrader's own ``ExchangeReleaseAssignment``
    — the ``edition``'s release where there is one (``assignments-fa/``), else the English one —
    and return their ids. Fetched copies are never touched."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeError
    from nbgrader.exchange.default import ExchangeReleaseAssignment
    from traitlets.config import Config

    published = []
    for assignment in course.assignments:
        offered = edition if course.release_notebook(assignment, edition).is_file() else "en"
        if not course.release_notebook(assignment, offered).is_file():
            continue  # not released yet (`autograder release` writes it)
        c = Config()
        c.CourseDirectory.root = str(course.root)
        c.CourseDirectory.release_directory = course.release_dir_of(offered).name
        c.CourseDirectory.course_id = course.id
        c.CourseDirectory.assignment_id = assignment.id
        c.Exchange.root = str(exchange)
        try:
            ExchangeReleaseAssignment(
                coursedir=CourseDirectory(config=c),
                authenticator=Authenticator(config=c),
                config=c,
                force=True,
                log=_QUIET,
            ).start()
        except ExchangeError as exc:
            raise CourseError(f"nbgrader could not release {assignment.id} into {exchange}: {exc}") from None
        published.append(assignment.id)
    return published


def write_jupyter_config(folder: Path, kind: str) -> None:
    jupyter = folder / ".jupyter"
    (jupyter / "labconfig").mkdir(parents=True, exist_ok=True)
    extensions = {f"nbgrader.server_extensions.{name}": on for name, on in SERVER_EXTENSIONS[kind].items()}
    _write_json(
        jupyter / "jupyter_server_config.json",
        {"ServerApp": {"jpserver_extensions": extensions}, "LabApp": {"custom_css": True}},
    )
    (jupyter / "custom").mkdir(exist_ok=True)
    (jupyter / "custom" / "custom.css").write_text(CUSTOM_CSS, encoding="utf-8")
    _write_json(
        jupyter / "labconfig" / "page_config.json",
        {"disabledExtensions": {plugin: True for plugin in [*HIDDEN_PLUGINS[kind], NEWS_PLUGIN]}},
    )
    # The notebooks name the kernel "python3": make it this Python, whose site-packages hold the
    # check library, whatever other "python3" kernel the user has installed.
    _write_json(
        jupyter / "kernels" / "python3" / "kernel.json",
        {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            # Plots inline even where MPLBACKEND says otherwise (the grader's Agg, a test suite's).
            "env": {**KERNEL_ENV, "MPLBACKEND": "module://matplotlib_inline.backend_inline"},
            "metadata": {"debugger": True},
        },
    )


# JupyterLab aligns every rendered paragraph left (`.jp-RenderedHTMLCommon p { text-align: left }`),
# so the Persian edition's prose, right to left inside <div dir="rtl">, would start mid-line and end
# ragged at the left. JupyterLab serves this file only from its config folder (LabApp.custom_css).
CUSTOM_CSS = """/* Written by `autograder lab`: text in a right-to-left block starts at its right edge. */
.jp-RenderedHTMLCommon [dir="rtl"] :is(p, li, h1, h2, h3, h4, h5, h6, td, th),
.jp-RenderedHTMLCommon [dir="ltr"] :is(p, li, h1, h2, h3, h4, h5, h6, td, th) {
  text-align: start;
}
"""


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def environment(course: Course, folder: Path, base: dict | None = None) -> dict:
    """The environment JupyterLab (and its kernels, terminals and Validate) runs with in ``folder``."""
    env = dict(os.environ if base is None else base)
    jupyter = str(folder.resolve() / ".jupyter")
    # The folder's .jupyter is Jupyter's config folder (the only place JupyterLab serves a
    # custom.css from); the user's own stays on the config path, and their JupyterLab settings
    # and workspaces where they were.
    own = env.get("JUPYTER_CONFIG_DIR") or os.path.join(env.get("HOME") or str(Path.home()), ".jupyter")
    env.setdefault("JUPYTERLAB_SETTINGS_DIR", os.path.join(own, "lab", "user-settings"))
    env.setdefault("JUPYTERLAB_WORKSPACES_DIR", os.path.join(own, "lab", "workspaces"))
    env["JUPYTER_CONFIG_DIR"] = jupyter
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join([jupyter, *filter(None, [env.get("JUPYTER_CONFIG_PATH")]), own])
    env["JUPYTER_PATH"] = os.pathsep.join([jupyter, *filter(None, [env.get("JUPYTER_PATH")])])
    # `autograder check` in a JupyterLab terminal: on PATH, and finds the course from anywhere.
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    env[settings.COURSE] = str(course.root)
    env.update(KERNEL_ENV)  # also for kernels of another spec a student may pick
    return env


def command(port: int | None = None, open_browser: bool = True) -> list[str]:
    """``jupyter lab`` with this Python."""
    argv = [sys.executable, "-m", "jupyterlab"]
    if port is not None:
        argv += [f"--port={port}"]
    if not open_browser:
        argv += ["--no-browser"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv += ["--allow-root"]  # containers and CI run as root; JupyterLab refuses to start otherwise
    return argv


def launch(
    course: Course, folder: Path, port: int | None = None, open_browser: bool = True, edition: str = "en"
) -> None:
    """Prepare ``folder`` and replace this process with JupyterLab serving it (does not return)."""
    folder = folder.resolve()
    kind = prepare(course, folder, edition)
    if kind == STUDENT:
        print(
            f"JupyterLab on {folder}: Nbgrader → Assignment List fetches the released assignments "
            "of the course; Validate (notebook toolbar) runs a notebook's checks",
            file=sys.stderr,
        )
    else:
        print(
            f"JupyterLab on {folder}: Nbgrader → Formgrader opens its gradebook "
            "(Manual Grading grades the written answers)",
            file=sys.stderr,
        )
    os.chdir(folder)  # nbgrader's server extensions read nbgrader_config.py from the working folder
    argv = command(port, open_browser)
    os.execve(argv[0], argv, environment(course, folder))
