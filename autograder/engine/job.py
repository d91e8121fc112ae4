"""A :class:`Job`: everything a worker needs to grade one submission, as plain paths and numbers.

The batch writes it as ``job.json`` in the job's own folder; the worker (forked warm or started
cold, here or on another machine) reads it back. Nothing else travels between them but the
result record.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import sandbox

WORKER_LOG = "worker.log"  # in the job's folder: the worker's and its kernel's stdout and stderr


@dataclass
class Job:
    """Everything needed to grade one student's submission of one assignment."""

    course_id: str
    assignment_id: str
    notebook: str  # file name, e.g. "01-activations.ipynb"
    student: str
    submission_dir: str  # the student's <assignment> folder (nbgrader's submitted layout)
    template: str  # course root holding source/<id> and a gradebook with only the assignment (English)
    workdir: str  # private, empty folder for this job
    cell_timeout: float
    notebook_timeout: float
    limits: dict = field(default_factory=dict)  # see autograder.engine.limits.apply_kernel_limits
    sandbox: bool = False  # confine the kernel (autograder.engine.sandbox)
    templates: dict = field(default_factory=dict)  # {edition: template} of its other editions

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Job:
        return cls(**json.loads(text))

    def template_of(self, edition: str) -> Path:
        """The template of a submission's edition (the English one for any edition it lacks)."""
        return Path(self.templates.get(edition, self.template))

    @property
    def folder(self) -> Path:
        return Path(self.workdir)

    @property
    def kernel_uid(self) -> int:
        """The kernel's own unprivileged user, one per concurrent job."""
        return sandbox.KERNEL_UID_BASE + zlib.crc32(self.workdir.encode()) % 1000

    def sandbox_plan(self, records: Path, edition: Path) -> dict | None:
        """What the kernel's file system holds besides Python and the system's libraries
        (read by :func:`autograder.engine.kernel.restrict`); None if it runs unconfined."""
        if not self.sandbox:
            return None
        return {
            "writable": [str(records), str(self.folder / "home")],
            "readonly": [str(edition)],
            "uid": self.kernel_uid,
            "stage": str(self.folder / "root"),
        }
