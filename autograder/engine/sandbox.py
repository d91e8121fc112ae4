"""Confine a kernel before it runs student code (Linux, as root).

The kernel's file system is built from nothing, as an allowlist: a new mount namespace whose
root is an empty tmpfs holding, at their usual paths,

* **read-only**: Python (the environment's folder, the interpreter and its standard library,
  every ``site-packages`` but those of grader-only packages, which are empty), the course's
  package as its ``__init__`` and the probe edition of its check library (nothing else of it),
  the system's programs and shared libraries (``/usr/bin``, the dynamic loader's folders;
  ``/bin``, ``/lib*`` as the host links them), locales, time zones and fonts, the few ``/etc``
  files that the C library reads (with the kernel's own ``passwd``, ``group`` and ``hosts``),
  ``/sys/devices/system/cpu``, and whatever else the grader names (the probe edition);
* **writable**: the submission's working folder, its records and its private home (the grader
  names them), and a private, empty ``/tmp`` and ``/dev/shm``;
* a minimal ``/dev`` (null, zero, full, random, urandom) and a ``/proc`` of its own, in which
  processes of other users do not exist.

Nothing else exists for the kernel: no ``/home``, ``/root``, ``/srv``, ``/mnt``, no host ``/tmp``,
no course checkout beyond the package. It also gets a network namespace of its own (a loopback
interface that is down) and an unprivileged uid/gid, so it cannot signal the grader and the
process limit applies. Paths stay what they are on the host, so a kernel forked from a process
that has imported TensorFlow still finds the files of its later, lazy imports.

Where this is not possible (not root, no namespaces), :func:`available` says why and the
grader still enforces time, memory, process and output limits.
"""

from __future__ import annotations

import ctypes
import glob
import os
import platform
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

from .. import settings

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_DUMPABLE = 4
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
KERNEL_UID_BASE = 61000  # uids 61000-61999: one per concurrent kernel
KERNEL_USER = "student"
TMP_MB = 256  # size of the private /tmp and /dev/shm (memory-backed)

SYSTEM = (
    "/bin",
    "/usr/bin",
    "/lib64",
    "/usr/lib64",
    "/usr/lib/locale",
    "/usr/share/zoneinfo",
    "/usr/share/fonts",
    "/sys/devices/system/cpu",
)
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "host.conf", "mime.types", "fonts")
DEVICES = ("null", "zero", "full", "random", "urandom")
# In site-packages: what only the grader uses — nbgrader (it ships sample solution notebooks) and
# the course's own distribution record (its METADATA holds the README).
GRADER_ONLY = ("nbgrader", "nbgrader-*.dist-info", "dl_course_autograder-*.dist-info")


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def available() -> str | None:
    """None if kernels can be confined here, else the reason they cannot.

    Builds the whole allowlist once in a throw-away child, so that what is said here is what
    a kernel would meet.
    """
    if settings.is_set(settings.NO_SANDBOX):
        return f"{settings.NO_SANDBOX} is set"
    if not hasattr(os, "unshare") and not hasattr(_libc(), "unshare"):
        return "this platform has no Linux namespaces"
    if os.geteuid() != 0:
        return "the grader is not running as root (needed to switch kernels to their own user)"
    if platform.machine() not in SYS_PIVOT_ROOT:
        return f"pivot_root is not known on {platform.machine()}"
    scratch = Path(tempfile.mkdtemp(prefix="autograder-sandbox-probe-"))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # try it in a throw-away child
        os.close(read)
        try:
            confine([str(scratch / "work")], [], KERNEL_UID_BASE + 999, str(scratch / "root"))
            ok = os.listdir(scratch) == ["work"]  # its own folder, nothing beside it
            os.write(write, b"ok" if ok else b"the new root still shows the host's folders")
            os._exit(0)
        except BaseException as exc:  # noqa: BLE001 - any failure is the reason
            os.write(write, f"{type(exc).__name__}: {exc}".encode()[:500])
            os._exit(1)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read().decode(errors="replace")
    os.waitpid(pid, 0)
    shutil.rmtree(scratch, ignore_errors=True)
    if said != "ok":
        return f"the kernel's file system cannot be built here ({said or 'no answer'})"
    return None


def confine(
    writable: list[str], readonly: list[str], uid: int, stage: str, views: dict[str, dict[str, str]] | None = None
) -> None:
    """Confine the calling process (see the module's docstring) and continue as ``uid``.

    Args:
        writable: folders the kernel writes (its working folder, its records, its private home,
            which must come last: it is the home in the kernel's ``/etc/passwd``); they are handed
            to ``uid``.
        readonly: further files or folders the kernel may read (the probe edition).
        uid: the unprivileged user (and group) id the process continues as.
        stage: an empty folder outside every other path, where the new root is assembled.
        views: ``{folder: {name: source}}``: ``folder`` holds only these entries, each the
            file or folder ``source`` (read-only), whatever the host has there: the course's
            package with the probe edition as its check library (:func:`package_view`).
            Grader-only packages (:func:`grader_only_paths`) become empty folders.
    """
    writable = [Path(p).resolve() for p in writable if p]
    for folder in writable:
        folder.mkdir(parents=True, exist_ok=True)
        for path in [folder, *_walk(folder)]:
            os.chown(path, uid, uid, follow_symlinks=False)
    _unshare(CLONE_NEWNS | CLONE_NEWNET)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = NewRoot(Path(stage))
    for path in sorted({*system_paths(), *python_paths(), *readonly}):
        root.bind(path)
    for folder, entries in {**dict.fromkeys(grader_only_paths(), {}), **(views or {})}.items():
        root.view(folder, entries)
    root.etc(uid, home=writable[-1] if writable else Path("/"))
    for folder in writable:
        root.bind(str(folder), writable=True)
    root.enter()
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    # setuid made the process undumpable: its /proc entries would be root's, unreadable to itself
    # and its children. Core dumps stay off (RLIMIT_CORE is 0).
    _libc().prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)


def system_paths() -> list[str]:
    """The system's programs, its shared libraries (where the dynamic loader looks for them:
    ``/etc/ld.so.conf``), locales, time zones, fonts and the CPUs' description."""
    return [*SYSTEM, *_loader_paths("/etc/ld.so.conf")]


def _loader_paths(conf: str, depth: int = 0) -> list[str]:
    try:
        lines = Path(conf).read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line.startswith("include ") and depth < 4:
            for included in sorted(glob.glob(line.split(None, 1)[1])):
                found += _loader_paths(included, depth + 1)
        elif line.startswith("/"):
            found.append(line)
    return found


def python_paths() -> list[str]:
    """What this Python needs to run and import: its environment, the interpreter (and the links
    to it), the standard library and every ``site-packages`` on ``sys.path``.

    A folder on ``sys.path`` that is none of these (the folder the grader was started in, a
    checkout on ``PYTHONPATH``, the course's own package) is left out: it could hold anything.
    """
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    paths = {Path(sys.executable)}
    if sys.prefix != sys.base_prefix:  # a virtual environment: its folder is Python's alone
        paths.add(Path(sys.prefix))
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(Path(sysconfig.get_path(name)))
    if sysconfig.get_config_var("LIBDIR"):  # libpython, and the libraries the interpreter links
        paths.add(Path(sysconfig.get_config_var("LIBDIR")))
    for entry in filter(None, sys.path):
        real = Path(entry).resolve()
        if real.is_dir() and (
            real.name in {"site-packages", "dist-packages"} or any(p == real or p in real.parents for p in prefixes)
        ):
            paths.add(real)
    return sorted(str(p) for p in paths if p.exists() and p != Path("/"))


def grader_only_paths() -> list[str]:
    """Installed packages that only the grader uses (:data:`GRADER_ONLY`): a kernel never
    imports them, and finds an empty folder in their place."""
    return sorted(
        {
            str(p)
            for site in python_paths()
            if site.endswith("-packages")
            for pattern in GRADER_ONLY
            for p in Path(site).glob(pattern)
            if p.is_dir()
        }
    )


def package_view(edition: str | None) -> dict[str, dict[str, str]]:
    """The course's package as a kernel sees it: its ``__init__`` (``grading_mode``) and, as its
    check library, the probe edition in ``edition``; none of its other modules. For
    :func:`confine`'s ``views``."""
    import autograder

    package = Path(autograder.__file__).resolve().parent
    entries = {"__init__.py": str(package / "__init__.py")}
    if edition:
        entries["checks"] = str(edition)
    return {str(package): entries}


class NewRoot:
    """A root file system assembled in an empty tmpfs at ``stage``, entered with :meth:`enter`."""

    def __init__(self, stage: Path):
        self.path = stage
        stage.mkdir(mode=0o700, parents=True, exist_ok=True)
        _mount("tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=4m")
        self.bound: set[Path] = set()  # mounted here: what lies below is the host's
        self._tmpfs("/tmp", "mode=1777")
        self._dev()
        self._proc()

    def bind(self, path: str, writable: bool = False) -> None:
        """Make ``path`` appear here, read-only unless ``writable``.

        A path the host does not have is skipped; one already visible through a folder bound
        before (a folder inside ``site-packages``, say) is not bound again.
        """
        real = self._mirror(path)
        if real is None:
            return
        target = self.path / real.relative_to("/")
        if not self._inside_bound(target):
            _bind_mount(real, target, writable)
            self.bound.add(target)

    def view(self, folder: str, entries: dict[str, str]) -> None:
        """``folder`` holding only ``entries`` (``{name: source}``, read-only), whether or not
        a folder bound before shows the host's."""
        real = self._mirror(folder)
        if real is None:
            return
        target = self.path / real.relative_to("/")
        target.mkdir(parents=True, exist_ok=True)
        _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
        for name, source in entries.items():
            _bind_mount(Path(source).resolve(), target / name, writable=False)
        _mount(None, target, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        self.bound.add(target)

    def etc(self, uid: int, home: Path) -> None:
        """``/etc``: the C library's few files, and a ``passwd`` that knows only the kernel's user."""
        etc = self.path / "etc"
        etc.mkdir()
        (etc / "passwd").write_text(
            f"root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n"
            f"{KERNEL_USER}:x:{uid}:{uid}:{KERNEL_USER}:{home}:/bin/sh\n"
        )
        (etc / "group").write_text(f"root:x:0:\n{KERNEL_USER}:x:{uid}:\n")
        (etc / "hosts").write_text("127.0.0.1\tlocalhost\n::1\tlocalhost\n")
        for name in ETC:
            self.bind(f"/etc/{name}")

    def enter(self) -> None:
        """Make this the process's ``/`` (read-only but for its writable mounts) and detach the
        host's root from the namespace; the working folder stays the same path."""
        cwd = os.getcwd()
        _mount(None, self.path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.chdir(self.path)
        if _libc().syscall(SYS_PIVOT_ROOT[platform.machine()], b".", b".") != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"pivot_root: {os.strerror(errno)}")
        if _libc().umount2(b".", MNT_DETACH) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"umount of the host's root: {os.strerror(errno)}")
        os.chdir(cwd if os.path.isdir(cwd) else "/")

    def _inside_bound(self, target: Path) -> bool:
        return any(b == target or b in target.parents for b in self.bound)

    def _mirror(self, path: str) -> Path | None:
        """Create here the symbolic links on the host's way to ``path``; return where ``path``
        really is on the host (None if it does not exist)."""
        parts, current, hops = list(Path(path).parts[1:]), Path("/"), 0
        while parts:
            step = current / parts.pop(0)
            if step.is_symlink():
                hops += 1
                if hops > 40:
                    return None
                link = self.path / step.relative_to("/")
                if not self._inside_bound(link) and not link.is_symlink():
                    link.parent.mkdir(parents=True, exist_ok=True)
                    os.symlink(os.readlink(step), link)
                target = Path(os.path.normpath(current / os.readlink(step)))
                parts, current = list(target.parts[1:]) + parts, Path("/")
            elif step.exists():
                current = step
            else:
                return None
        return current

    def _tmpfs(self, path: str, options: str) -> None:
        target = self.path / path.lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"{options},size={TMP_MB}m")

    def _dev(self) -> None:
        dev = self.path / "dev"
        dev.mkdir()
        _mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k")
        for name in DEVICES:
            if os.path.exists(f"/dev/{name}"):
                (dev / name).touch()
                _mount(f"/dev/{name}", dev / name, None, MS_BIND)
        for name, target in {
            "fd": "/proc/self/fd",
            "stdin": "/proc/self/fd/0",
            "stdout": "/proc/self/fd/1",
            "stderr": "/proc/self/fd/2",
        }.items():
            os.symlink(target, dev / name)
        self._tmpfs("/dev/shm", "mode=1777")
        self.bound.add(dev)

    def _proc(self) -> None:
        """A proc file system of its own, in which processes of other users do not exist."""
        proc = self.path / "proc"
        proc.mkdir()
        try:
            _mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible")
        except OSError:  # Linux before 5.8 knows only the number
            _mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
        self.bound.add(proc)


def _bind_mount(source: Path, target: Path, writable: bool) -> None:
    if source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
    elif not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    _mount(source, target, None, MS_BIND)
    _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (0 if writable else MS_RDONLY))


def _walk(folder):
    for parent, dirs, files in os.walk(folder):
        for name in dirs + files:
            yield os.path.join(parent, name)


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
