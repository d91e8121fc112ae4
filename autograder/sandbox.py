"""Confine a kernel before it runs student code (Linux, as root): no network, a private view
of the file system, and an unprivileged user of its own.

* a new network namespace: only a loopback interface, which is down, so nothing is reachable;
* a new mount namespace in which the course's secrets (solutions, the sample class, the
  instructor's output with its gradebook, the other submissions, ``/tmp``) are covered by empty
  tmpfs mounts and only the submission's own folders are bound back, writable;
* an unprivileged uid/gid, so it cannot signal the grader, and the process limit applies.

Where this is not possible (not root, no namespaces), :func:`available` says why and the
grader still enforces time, memory, process and output limits.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 4096, 16384, 1 << 18
MNT_DETACH = 2
KERNEL_UID_BASE = 61000  # uids 61000-61999: one per concurrent kernel


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def available() -> str | None:
    """None if kernels can be confined here, else the reason they cannot."""
    if os.environ.get("AUTOGRADER_NO_SANDBOX"):
        return "AUTOGRADER_NO_SANDBOX is set"
    if not hasattr(os, "unshare") and not hasattr(_libc(), "unshare"):
        return "this platform has no Linux namespaces"
    if os.geteuid() != 0:
        return "the grader is not running as root (needed to switch kernels to their own user)"
    pid = os.fork()
    if pid == 0:  # try it in a throw-away child
        try:
            _unshare(CLONE_NEWNS | CLONE_NEWNET)
            _mount(None, "/", None, MS_REC | MS_PRIVATE)
            os._exit(0)
        except OSError:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return "creating mount and network namespaces is not permitted here"
    return None


def confine(keep: list[str], hide: list[str], uid: int) -> None:
    """Confine the calling process (see the module's docstring).

    Args:
        keep: folders the kernel needs (its working folder, its records, its private home);
            they are handed to ``uid`` and stay visible and writable.
        hide: folders to cover; a hidden folder that holds a ``keep`` folder has everything
            else in it covered instead, level by level down to the kept folder.
        uid: the unprivileged user (and group) id the process continues as.
    """
    keep = [Path(p).resolve() for p in keep if p]
    for folder in keep:
        folder.mkdir(parents=True, exist_ok=True)
        for path in [folder, *_walk(folder)]:
            os.chown(path, uid, uid, follow_symlinks=False)
    _unshare(CLONE_NEWNS | CLONE_NEWNET)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _expose([p for p in _python_paths() if not any(p == k or k in p.parents for k in keep)],
            stage=keep[-1])
    for folder in {Path(p).resolve() for p in hide if p and os.path.exists(p)}:
        _cover(folder, keep)
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _cover(path: Path, keep: list[Path]) -> None:
    """Make ``path`` empty, except for the way down to any kept folder inside it."""
    inside = [k for k in keep if k == path or path in k.parents]
    if any(k == path for k in inside):
        return
    if not inside:
        if path.is_dir() and not path.is_symlink():
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
        elif path.exists() and not path.is_symlink():
            _mount("/dev/null", path, None, MS_BIND)
        return
    for entry in path.iterdir():
        _cover(entry, keep)


def _python_paths() -> list[Path]:
    paths = {sys.prefix, sys.base_prefix, os.path.realpath(sys.executable), *filter(None, sys.path)}
    return sorted({Path(p).resolve() for p in paths if p and os.path.exists(p)})


def _expose(paths: list[Path], stage: Path) -> None:
    """Let an unprivileged user reach ``paths`` (Python itself, its packages).

    A folder on the way that others cannot enter (say /root, mode 700, holding a pyenv
    Python and perhaps the course) is replaced by an empty tmpfs that holds only the ways
    down to ``paths``; a blocked folder further down is handled in the next round.
    """
    for _ in range(8):
        blocked: dict[Path, set[str]] = {}
        for target in paths:
            for folder in reversed(target.parents):  # from / downwards
                if not os.stat(folder).st_mode & 0o001:
                    blocked.setdefault(folder, set()).add(target.relative_to(folder).parts[0])
                    break
        if not blocked:
            return
        for folder, children in blocked.items():
            held = []
            for child in sorted(children):
                place = stage / f".expose-{len(list(stage.glob('.expose-*')))}"
                place.mkdir()
                _mount(folder / child, place, None, MS_BIND | MS_REC)
                held.append((child, place))
            _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
            for child, place in held:
                (folder / child).mkdir()
                _mount(place, folder / child, None, MS_BIND | MS_REC)
                if _libc().umount2(str(place).encode(), MNT_DETACH) == 0:
                    place.rmdir()


def _walk(folder: str):
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            yield os.path.join(root, name)


def _unshare(flags: int) -> None:
    if hasattr(os, "unshare"):  # Python 3.12+
        os.unshare(flags)
        return
    if _libc().unshare(flags) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare: {os.strerror(errno)}")


def _mount(source, target, fstype, flags=0, data=None) -> None:
    encode = lambda s: None if s is None else str(s).encode()  # noqa: E731
    if _libc().mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")
