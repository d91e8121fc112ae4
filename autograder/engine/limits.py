"""Process limits for student kernels and cleanup of everything a submission started (Linux).

* :func:`become_subreaper`: orphans of a submission's processes (a detached daemon, a double
  fork) are re-parented to its worker instead of init, so they can still be found.
* :func:`kill_tree`: freeze, then kill, a process and all its descendants.
* :func:`apply_kernel_limits`: memory, process-count, file-size and core-dump limits, set in the
  kernel before it runs student code.
* :func:`limit_reached`: which of them a notebook reached, from its errors or a dying kernel's
  last words.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
from pathlib import Path

from .. import settings
from ..results import Status

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _parents() -> dict[int, int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the fields start after the last ')'
        fields = text[text.rfind(")") + 2 :].split()
        parents[int(stat.parent.name)] = int(fields[1])
    return parents


def children_of(pid: int) -> list[int]:
    return [child for child, parent in _parents().items() if parent == pid]


def descendants(pid: int) -> list[int]:
    parents = _parents()
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current and child not in found:
                found.append(child)
                frontier.append(child)
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and every descendant; stop them first so none can fork away meanwhile."""
    seen: set[int] = set()
    for _ in range(50):
        batch = [p for p in [pid, *descendants(pid)] if p not in seen]
        if not batch:
            break
        for p in batch:
            _signal(p, signal.SIGSTOP)
        seen.update(batch)
    for p in seen:
        _signal(p, signal.SIGKILL)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def from_environment() -> dict:
    try:
        return json.loads(os.environ.get(settings.LIMITS, "{}"))
    except json.JSONDecodeError:
        return {}


def apply_kernel_limits(limits: dict) -> None:
    """Set this process's limits; children inherit them.

    Args:
        limits: ``memory_mb`` (private writable memory, RLIMIT_DATA), ``processes``
            (RLIMIT_NPROC, enforced for non-root users), ``file_mb`` (largest file written).
    """
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limits.get("memory_mb"):
        size = int(limits["memory_mb"]) * 2**20
        resource.setrlimit(resource.RLIMIT_DATA, (size, size))
    if limits.get("processes"):
        resource.setrlimit(resource.RLIMIT_NPROC, (int(limits["processes"]),) * 2)
    if limits.get("file_mb"):
        size = int(limits["file_mb"]) * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


# What each limit looks like when it is reached: in a cell's error ("ename: evalue") or in what
# a dying kernel wrote to stderr.
LIMIT_SIGNS = (
    (Status.MEMORY_LIMIT, ("MemoryError", "std::bad_alloc", "Cannot allocate memory", "OOM when allocating")),
    (Status.PROCESS_LIMIT, ("BlockingIOError", "Resource temporarily unavailable", "can't start new thread")),
    (Status.FILE_SIZE_LIMIT, ("[Errno 27]", "File too large")),
)


def limit_reached(texts: list[str], limits: dict) -> tuple[Status, str] | None:
    """(status, detail) for the first of the kernel's limits that ``texts`` show was reached."""
    said = {
        Status.MEMORY_LIMIT: f"your notebook used more than {limits.get('memory_mb', '?')} MB of memory "
        "(the memory limit)",
        Status.PROCESS_LIMIT: f"your notebook started more than {limits.get('processes', '?')} processes and "
        "threads (the process limit)",
        Status.FILE_SIZE_LIMIT: f"your notebook wrote a file larger than {limits.get('file_mb', '?')} MB "
        "(the file-size limit)",
    }
    for status, signs in LIMIT_SIGNS:
        if any(sign in text for text in texts for sign in signs):
            return status, said[status]
    return None
