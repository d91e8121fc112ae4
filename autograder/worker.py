"""``python -m autograder.worker JOB.json RESULT.json``: grade one submission in this process.

The batch runs each submission in a worker of its own (started cold here, or forked warm by
:mod:`autograder.warm`), so that whatever a notebook does, the worker, not the batch, is what
can die or be killed.
"""

import json
import os
import sys
from pathlib import Path

from . import limits
from .submission import Job, grade_submission

KERNELSPEC_DIR = Path(__file__).parent / "kernelspec"


def run(job_file: Path, result_file: Path, warm: bool = False) -> None:
    """Grade the job and write its result; end every process the submission left behind."""
    limits.become_subreaper()  # orphans of the kernel's children come back to us, not to init
    # nbgrader asks for the "python3" kernel: ours applies the limits (and can be forked warm).
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(KERNELSPEC_DIR), *filter(None, [os.environ.get("JUPYTER_PATH")])])
    try:
        result = grade_submission(Job.from_json(job_file.read_text(encoding="utf-8")))
        result["warm"] = warm
        tmp = result_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
        tmp.replace(result_file)
    finally:
        for pid in limits.children_of(os.getpid()):
            limits.kill_tree(pid)


if __name__ == "__main__":
    run(*map(Path, sys.argv[1:3]))
