"""The check library's core: what a check is, how it runs in a kernel, how it is re-verified.

A check has two halves:

* ``probe(*student_objects) -> record`` runs **in the student's kernel**. It calls the
  student's code on the check's fixed inputs and returns the raw outputs as a *record*:
  a flat ``{name: numpy array}`` of numbers, booleans or strings.
* ``verify(record)`` is pure NumPy. It compares a record with the reference and raises
  :class:`Fail` with a message naming what is wrong.

In a student's notebook, ``check(id, ...)`` probes and verifies at once, so the student sees
the verdict. In a graded kernel only the *probe edition* of the library exists (no verify
functions, no references: :mod:`autograder.checks._edition`): ``check`` saves the record
(``.npz``, no pickle) to ``$AUTOGRADER_RECORD_DIR``, and the grader verifies it in *its own*
process (:mod:`autograder.verdicts`) and writes the verdict into the cell's outputs before
nbgrader scores them. A monkeypatched NumPy or an object whose ``__eq__`` is always true in the
kernel cannot change that verdict, and the kernel has no reference to read or call.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RECORD_DIR_ENV = "AUTOGRADER_RECORD_DIR"
RECORDED = "[recorded]"  # starts the line a graded kernel prints in place of a verdict
ERROR_KEY = "__error__"

Record = dict[str, np.ndarray]


class Fail(Exception):
    """A check's verdict: the message says what is wrong and hints where to look."""


class CheckFailed(Exception):
    """Raised in the notebook when a check fails.

    IPython renders it through ``_render_traceback_``: the student sees the message, never
    the check library's frames (whose source lines could show hidden inputs).
    """

    def __init__(self, check_id: str, points: float, message: str):
        super().__init__(f"{check_id}: {message}")
        self.check_id, self.points, self.message = check_id, points, message

    def _render_traceback_(self):
        return [f"\x1b[0;31m✘ {self.check_id}\x1b[0m (0/{_fmt(self.points)} points): {self.message}"]


@dataclass
class Check:
    """One graded check. Use as ``c = Check(...)``, then decorate ``@c.probe`` and ``@c.verify``.

    Args:
        id: dotted name used in test cells, e.g. ``"flexible_sigmoid.forward"``.
        points: points the check is worth; the test cell's nbgrader points must match.
        title: one line shown in tables and feedback.
        hidden: hidden checks are graded like any other, but their messages must not reveal
            their inputs and their test cells are removed from released notebooks.
    """

    id: str
    points: float
    title: str
    hidden: bool = False
    _probe: Callable[..., dict] | None = field(default=None, repr=False)
    _verify: Callable[[Record], None] | None = field(default=None, repr=False)

    def probe(self, fn):
        self._probe = fn
        return fn

    def verify(self, fn):
        self._verify = fn
        return fn


_REGISTRY: dict[str, Check] = {}


def register(check: Check) -> Check:
    if check.id in _REGISTRY:
        raise ValueError(f"check {check.id!r} is defined twice")
    _REGISTRY[check.id] = check
    return check


def new(id: str, points: float, title: str, hidden: bool = False) -> Check:
    """Create and register a check (see :class:`Check`)."""
    return register(Check(id=id, points=points, title=title, hidden=hidden))


def graded_only(check_ids) -> None:
    """The student edition: these checks run and record, and only the grader gives verdicts."""
    for check_id in check_ids:
        _REGISTRY[check_id]._verify = None


def registry() -> dict[str, Check]:
    from . import _load_all

    _load_all()
    return _REGISTRY


def get(check_id: str) -> Check:
    if check_id not in _REGISTRY:
        from . import load_module_of

        load_module_of(check_id)
    checks = _REGISTRY if check_id in _REGISTRY else registry()  # not where its prefix says: all of them
    if check_id not in checks:
        raise KeyError(f"unknown check {check_id!r}: is the autograder package up to date?")
    return checks[check_id]


CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([\w.\-]+)["']""")


def check_ids_in(source: str) -> list[str]:
    """The check ids a test cell's source calls, in order."""
    return CHECK_CALL.findall(source)


# --------------------------------------------------------------------------- records


def to_array(value, what: str) -> np.ndarray:
    """A student's output as a plain array, or :class:`Fail` if it is not numbers/strings."""
    if hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()
    try:
        array = np.asarray(value)
    except Exception as exc:  # e.g. a ragged list
        raise Fail(f"{what} could not be read as an array ({quoted_error(exc)}).") from None
    if value is None:
        raise Fail(f"{what} is None: does the function end without `return`?")
    if array.dtype.kind not in "biufU":
        raise Fail(
            f"{what} should be numbers, but it is a {type(value).__name__} "
            f"(array dtype {array.dtype}). Return a tensor or a NumPy array."
        )
    return array


def returned(value, what: str):
    """``value``, or :class:`Fail` if the student's function returned None (a missing ``return``).

    Args:
        value: what the student's function returned.
        what: the call, as a student reads it (`` `iou` on 3 boxes, 4 boxes ``).
    """
    if value is None:
        raise Fail(f"{what} returned None: does the function end without `return`?")
    return value


def save_record(check_id: str, record: Record, directory: str | os.PathLike) -> Path:
    path = Path(directory) / f"{check_id}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **record)
    os.replace(tmp, path)
    return path


def load_record(path: str | os.PathLike) -> Record:
    """Load a record without pickle; raise :class:`Fail` if it is missing or malformed."""
    try:
        with np.load(path, allow_pickle=False) as data:
            record = {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise Fail("no record of this check's outputs was found: did its test cell run?") from None
    except Exception as exc:
        raise Fail(f"the record of this check's outputs is unreadable ({type(exc).__name__}).") from None
    for key, array in record.items():
        if array.dtype.kind not in "biufU":
            raise Fail(f"the record field {key!r} is malformed (dtype {array.dtype}).")
    return record


# --------------------------------------------------------------------------- running


def verdict(check: Check, record: Record) -> str | None:
    """None if the record passes ``check``, else the failure message."""
    if ERROR_KEY in record:
        return str(record[ERROR_KEY])
    try:
        check._verify(record)
    except Fail as fail:
        return str(fail)
    except Exception as exc:  # a malformed record (missing key, wrong shape)
        return f"the recorded outputs are malformed ({quoted_error(exc)})."
    return None


def probe(check: Check, *args) -> Record:
    """Run the probe on the student's objects; errors become a record with a message."""
    captured = _Captured()
    try:
        with captured:
            raw = check._probe(*args)
        record = {key: to_array(value, _recorded_as(key, args)) for key, value in raw.items()}
    except Fail as fail:
        record = {ERROR_KEY: np.asarray(str(fail))}
    except Exception as exc:
        record = {ERROR_KEY: np.asarray(describe_student_error(exc))}
    if captured.text.strip():
        print("(your code wrote this to stderr while being checked; it does not cost points)")
        print(_indent(captured.text.strip()[-2000:]))
    return record


def _recorded_as(key: str, student_objects) -> str:
    """How to name a probe's output in a message: the student's objects it came from."""
    names = [getattr(o, "__name__", None) for o in student_objects]
    names = [f"`{n}`" for n in names if n]
    return f"what {' / '.join(names)} gave for `{key}`" if names else f"the output `{key}`"


def check(check_id: str, *args) -> None:
    """Run one check in the notebook: print a pass line or raise :class:`CheckFailed`.

    Args:
        check_id: the check's id, e.g. ``"flexible_sigmoid.forward"``.
        *args: the student's objects under test (a class, a function, ...).
    """
    spec = get(check_id)
    record = probe(spec, *args)
    directory = os.environ.get(RECORD_DIR_ENV)
    if directory:
        save_record(check_id, record, directory)
    if spec._verify is None:  # a probe edition: the grader gives the verdict
        if directory:
            print(f"{RECORDED} {check_id}: outputs recorded; the grader checks them after the notebook has run")
        else:
            print(
                f"… {check_id} ({_fmt(spec.points)} points): ran; its verdict compares with a reference "
                "computed from your outputs, which only the grader has (submit, or ask for `autograder check`)"
            )
        return
    from ._translate import notebook_edition, translate

    edition = notebook_edition()  # a Persian notebook gets its verdicts in Persian
    message = verdict(spec, record)
    if message is not None:
        raise CheckFailed(check_id, spec.points, translate(message, edition))
    print(passed_line(spec, edition), end="")


def passed_line(spec: Check, edition: str = "en") -> str:
    """What a passing check prints, in the notebook and in graded feedback."""
    from ._translate import title

    return f"✔ {spec.id} ({_fmt(spec.points)}/{_fmt(spec.points)} points): {title(spec, edition)}\n"


# --------------------------------------------------------------------------- helpers


def describe_student_error(exc: BaseException) -> str:
    """Name the exception and the student's own lines, never the check library's."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _is_student_frame(f.filename)]
    where = ""
    if frames:
        last = frames[-1]
        code = f": `{last.line.strip()}`" if last.line else ""
        where = f" (in `{last.name}`{code})"
    if isinstance(exc, NotImplementedError):
        return f"your code raised NotImplementedError{where}: the solution is not written yet."
    reason = exception_reason(exc)
    detail = f": {reason}" if reason else ""
    return f"your code raised {type(exc).__name__}{detail}{where}."


KERAS_NOISE = re.compile(r"\x1b\[[0-9;]*m|\{\{function_node [^}]*\}\}|\s*\[Op:[^\]]*\](?: name: ?\S*)?")


def exception_reason(exc: BaseException) -> str:
    """The line of an exception's message that says what went wrong (at most 300 characters).

    Keras wraps an error raised inside a layer: "Exception encountered when calling X.call()."
    comes first, the real reason next, then "Arguments received by X.call():" and one bullet per
    argument (``• x=tf.Tensor(shape=(3, 5), …)``). Colour codes and TensorFlow's op names go too.
    """
    lines = []
    for line in KERAS_NOISE.sub("", str(exc)).splitlines():
        line = line.strip()
        if line.startswith("Arguments received by"):
            break  # only the arguments follow
        if line and not line.startswith("Exception encountered when calling"):
            lines.append(line)
    return lines[0][:300].rstrip() if lines else ""


def quoted_error(exc: BaseException, limit: int = 160) -> str:
    """An exception as inline code, ``TypeError: its reason``: a message quotes Python's words
    verbatim, so they read as code (left to right) inside a Persian sentence too."""
    said = f"{type(exc).__name__}: {exception_reason(exc)[:limit]}".rstrip(": ")
    return "`" + said.replace("`", "'") + "`"


def quoted_first_sentence(exc: BaseException) -> str:
    """:func:`quoted_error` cut after its reason's first sentence: TensorFlow's errors from a traced
    training step go on with the graph's node names, which say nothing to a student."""
    return quoted_error(exc, limit=len(exception_reason(exc).split(". ")[0]) + 1)


def _is_student_frame(filename: str) -> bool:
    # Notebook cells are compiled from files such as /tmp/ipykernel_123/4567.py or <ipython-input-…>.
    return "ipykernel_" in filename or filename.startswith("<ipython-input") or filename.startswith("<cell")


class _Captured:
    """Capture stderr (Python's and the C library's fd 2) and warnings while student code runs.

    nbgrader gives a test cell zero if it writes to stderr; a TensorFlow log line or a
    Keras UserWarning from a correct solution must not cost points.
    """

    def __enter__(self):
        self._buffer = io.StringIO()
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        self._stack.enter_context(contextlib.redirect_stderr(self._buffer))
        self._fd_file = None
        try:
            sys.__stderr__ and sys.__stderr__.flush()
            self._fd_file = tempfile.TemporaryFile(mode="w+b")
            self._saved_fd = os.dup(2)
            os.dup2(self._fd_file.fileno(), 2)
        except (OSError, ValueError):
            self._fd_file = None
        return self

    def __exit__(self, *exc):
        fd_text = ""
        if self._fd_file is not None:
            os.dup2(self._saved_fd, 2)
            os.close(self._saved_fd)
            self._fd_file.seek(0)
            fd_text = self._fd_file.read().decode("utf-8", "replace")
            self._fd_file.close()
        self._stack.close()
        self.text = self._buffer.getvalue() + fd_text
        return False


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _fmt(points: float) -> str:
    return f"{points:g}"
