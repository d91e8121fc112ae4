"""Warm grading: fork workers and kernels from a process that has already imported TensorFlow.

Stock nbgrader pays a cold Python, ``import tensorflow`` and a cold kernel for every submission.
Here one *zygote* process imports TensorFlow, Keras, ipykernel and nbgrader once (it runs no
TensorFlow op, so forking it is safe) and then, per submission, forks

* a **worker** that runs :func:`autograder.engine.worker.grade_submission`, which at once forks
* its **kernel**, still before any ZeroMQ context or thread exists, which waits on a pipe until
  nbgrader's kernel manager asks for a kernel through :class:`ForkProvisioner`.

Every submission still gets fresh processes of its own; only the imports are shared.

Protocol (JSON lines): the batch writes ``{"id", "job", "result", "log"}`` to the zygote's stdin;
the zygote answers ``{"started": pid, "id"}`` and later ``{"exited": pid, "code"}``.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

from .. import settings
from . import limits

PROVISIONER = "autograder-fork-provisioner"
KERNEL_MODULE = "autograder.engine.kernel"  # the kernelspec in autograder/engine/kernelspec starts this module
PRELOAD = (
    "numpy",
    "tensorflow",
    "keras",
    "matplotlib",
    "matplotlib.pyplot",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "nbgrader.apps",
    "nbgrader.preprocessors",
    "nbconvert.exporters",
    "autograder.engine.worker",
    "autograder.checks",
)


# =========================================================================== the batch's side


class Zygote:
    """The batch's handle on one zygote process (thread-safe)."""

    def __init__(self, log: Path, env: dict[str, str] | None = None, start_timeout: float = 300):
        with open(log, "wb") as log_file:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "autograder.engine.warm"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_file,
                env={**os.environ, **settings.GRADED, **(env or {})},
                text=True,
                bufsize=1,
                start_new_session=True,
            )
        self._lock = threading.Lock()
        self._started: dict[str, int] = {}
        self._exited: dict[int, int] = {}
        self._changed = threading.Condition(self._lock)
        self._start_timeout = start_timeout
        self._reader = None

    def wait_ready(self) -> None:
        """Wait until the zygote has imported everything (it starts importing at once)."""
        if self._reader is not None:
            return
        ready = self._read_line(self._start_timeout)
        if ready != {"ready": True}:
            self.close()
            raise RuntimeError(f"the warm zygote did not start: {ready}")
        self._reader = threading.Thread(target=self._read_forever, daemon=True)
        self._reader.start()

    def run(self, job_file: Path, result_file: Path, log_file: Path, timeout: float) -> int | None:
        """Grade one job in a forked worker; its exit code, or None if it ran out of time."""
        request_id = uuid.uuid4().hex
        request = {"id": request_id, "job": str(job_file), "result": str(result_file), "log": str(log_file)}
        with self._lock:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            if not self._changed.wait_for(lambda: request_id in self._started or not self.alive(), 60):
                raise RuntimeError("the warm zygote did not answer")
            if request_id not in self._started:
                raise RuntimeError("the warm zygote died")
            pid = self._started.pop(request_id)
            done = self._changed.wait_for(lambda: pid in self._exited or not self.alive(), timeout)
        limits.kill_tree(pid)
        with self._lock:
            self._changed.wait_for(lambda: pid in self._exited or not self.alive(), 10)
            code = self._exited.pop(pid, None)
        return code if done else None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # the zygote kills its workers and exits
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def _read_line(self, timeout: float):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        try:
            return json.loads(line) if line else None
        except json.JSONDecodeError:
            return {"garbage": line}

    def _read_forever(self) -> None:
        for line in self.proc.stdout:
            message = json.loads(line)
            with self._lock:
                if "started" in message:
                    self._started[message["id"]] = message["started"]
                elif "exited" in message:
                    self._exited[message["exited"]] = message["code"]
                self._changed.notify_all()
        with self._lock:
            self._changed.notify_all()


# =========================================================================== the zygote


def serve() -> None:
    """The zygote's main loop: preload, then fork one worker per request until stdin closes."""
    from .. import skip_slow_optional_imports

    skip_slow_optional_imports()
    for module in PRELOAD:
        __import__(module)
    # Not the check modules: their verify functions and references must never be in a kernel's
    # memory, and kernels are forked from here (workers load them after forking their kernel).
    _warm_feedback_exporter()
    _warm_nbgrader_steps()
    limits.become_subreaper()
    _send({"ready": True})
    workers: set[int] = set()
    stdin = sys.stdin
    while True:
        _reap(workers)
        readable, _, _ = select.select([stdin], [], [], 0.05)
        if not readable:
            continue
        line = stdin.readline()
        if not line:
            break
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _worker_main(request)  # never returns
        workers.add(pid)
        _send({"started": pid, "id": request["id"]})
    for pid in list(workers):
        limits.kill_tree(pid)
    _reap(workers)


def _share_compiled_templates() -> None:
    """Give every Jinja environment nbconvert creates one in-memory bytecode cache.

    nbgrader builds a new exporter, and so a new Jinja environment, for every feedback file;
    compiling the templates again costs ≈ 0.15 s each time. Jinja checks each template's source
    checksum against the cache, so a changed template is still compiled afresh.
    """
    import jinja2
    from nbconvert.exporters.templateexporter import TemplateExporter

    class InMemory(jinja2.BytecodeCache):
        def __init__(self):
            self.code: dict[str, bytes] = {}

        def load_bytecode(self, bucket):
            if bucket.key in self.code:
                bucket.bytecode_from_string(self.code[bucket.key])

        def dump_bytecode(self, bucket):
            self.code[bucket.key] = bucket.bytecode_to_string()

    cache, create = InMemory(), TemplateExporter._create_environment

    def _create_environment(self):
        environment = create(self)
        environment.bytecode_cache = cache
        return environment

    TemplateExporter._create_environment = _create_environment


def _warm_nbgrader_steps() -> None:
    """Pay once here what every worker would pay again: jupyter_client's scan of the kernel
    provisioners' entry points (≈ 0.09 s), and nbgrader's metadata validation checking its own
    constant schema before every cell (≈ 0.08 s a notebook: ``jsonschema.validate`` checks the
    schema each call; a validator made once per schema validates the same way)."""
    import json
    import types

    import jsonschema
    from jupyter_client.provisioning import KernelProvisionerFactory
    from nbgrader.nbgraderformat import common

    KernelProvisionerFactory.instance()
    validators: dict[str, object] = {}

    def validate(instance, schema):
        key = json.dumps(schema, sort_keys=True)
        if key not in validators:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validators[key] = cls(schema)
        validators[key].validate(instance)

    common.jsonschema = types.SimpleNamespace(validate=validate, ValidationError=jsonschema.ValidationError)


def _warm_feedback_exporter() -> None:
    """Render a one-cell notebook as nbgrader's feedback does: imports and caches (templates,
    Markdown, syntax highlighting) are then paid once here, not once per submission."""
    import nbformat

    from .feedback_exporter import FeedbackExporter

    _share_compiled_templates()

    import nbgrader.converters.generate_feedback as feedback

    template_dir = Path(feedback.__file__).parents[1] / "server_extensions" / "formgrader" / "templates"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("*warm*"), nbformat.v4.new_code_cell("x = 1")])
    try:
        FeedbackExporter(template_name="feedback", extra_template_basedirs=[str(template_dir)]).from_notebook_node(
            nb,
            resources={
                "nbgrader": {
                    "notebook": "n",
                    "assignment": "a",
                    "student": "s",
                    "score": 0,
                    "max_score": 0,
                    "late_penalty": 0,
                }
            },
        )
    except Exception:  # only a warm-up: a template quirk must not stop the zygote
        pass


def _reap(workers: set[int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            break
        if pid in workers:
            workers.discard(pid)
            _send({"exited": pid, "code": os.waitstatus_to_exitcode(status)})
    # Orphans of a killed worker are re-parented to us (we are a subreaper): end them.
    for pid in limits.children_of(os.getpid()):
        if pid not in workers:
            limits.kill_tree(pid)


def _send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _worker_main(request: dict) -> None:
    code = 1
    try:
        os.setsid()
        _redirect_stdio(request["log"])
        prefork_kernel()
        from . import worker

        worker.run(Path(request["job"]), Path(request["result"]), warm=True)
        code = 0
    except BaseException:  # noqa: BLE001 - report and exit, never return into the zygote's loop
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _redirect_stdio(log: str) -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.close(devnull)


# =========================================================================== the kernel


# In the worker: (kernel pid, write end of its launch pipe, read end of its "bound" pipe).
_slot: tuple[int, int, int] | None = None
BOUND_TIMEOUT = 30.0  # seconds to wait for a launched kernel to bind its sockets


def prefork_kernel() -> None:
    """Fork this worker's kernel now, while the process has no threads or ZeroMQ sockets."""
    global _slot
    read_end, write_end = os.pipe()
    bound_read, bound_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(write_end)
        os.close(bound_read)
        _kernel_main(read_end, bound_write)  # never returns
    os.close(read_end)
    os.close(bound_write)
    _slot = (pid, write_end, bound_read)


def _kernel_main(read_end: int, bound_write: int) -> None:
    code = 0
    try:
        os.setpgid(0, 0)  # interrupts go to the kernel's group, not the worker's
        chunks = []
        while chunk := os.read(read_end, 65536):
            chunks.append(chunk)
        if not chunks:
            os._exit(0)  # the worker did not need a kernel
        launch = json.loads(b"".join(chunks))
        os.environ.clear()
        os.environ.update(launch["env"])
        os.chdir(launch["cwd"])
        from .kernel import restrict

        argv = restrict(launch["argv"])
        from ipykernel import kernelapp

        sys.argv = ["ipykernel_launcher", *argv]
        app = kernelapp.IPKernelApp.instance()
        app.initialize(argv)
        # Its sockets are bound: the client may connect now, without ZeroMQ's reconnect delay.
        os.write(bound_write, b"1")
        os.close(bound_write)
        app.start()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        code = 1
    os._exit(code)


class ForkedProcess:
    """Enough of ``subprocess.Popen`` for jupyter_client, for a kernel forked by this process."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum):
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """Hands nbgrader the kernel this worker forked in advance; launches normally otherwise."""

    async def launch_kernel(self, cmd, **kwargs):
        global _slot
        if _slot is None or KERNEL_MODULE not in cmd:
            return await super().launch_kernel([sys.executable, *cmd[1:]], **kwargs)
        pid, write_end, bound_read = _slot
        _slot = None
        launch = {
            "argv": cmd[cmd.index(KERNEL_MODULE) + 1 :],
            "env": dict(kwargs.get("env") or os.environ),
            "cwd": str(kwargs.get("cwd") or os.getcwd()),
        }
        data = json.dumps(launch).encode()
        while data:
            data = data[os.write(write_end, data) :]
        os.close(write_end)
        await _until_bound(bound_read)
        self.process = ForkedProcess(pid)
        self.pid = self.pgid = pid
        self.cwd = launch["cwd"]
        return self.connection_info


async def _until_bound(fd: int) -> None:
    """Wait, without blocking the event loop, until the kernel says its sockets are bound (or
    exits, or ``BOUND_TIMEOUT`` passes: nbclient then handles a kernel that died or hangs)."""
    deadline = time.monotonic() + BOUND_TIMEOUT
    try:
        while time.monotonic() < deadline:
            if select.select([fd], [], [], 0)[0]:
                return  # a byte, or the end of the pipe if the kernel is gone
            await asyncio.sleep(0.005)
    finally:
        os.close(fd)


if __name__ == "__main__":
    # Run the module's own copy, not __main__'s: the kernel slot must live in
    # `autograder.engine.warm`, where the provisioner (loaded by entry point) looks for it.
    from autograder.engine.warm import serve as serve_module

    serve_module()
    # Nothing is left to write or to end (serve ended every worker): skip the interpreter's
    # teardown of TensorFlow and the rest (≈ 1.2 s that a batch would wait for at its end).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
