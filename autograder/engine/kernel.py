"""``python -m autograder.engine.kernel -f CONNECTION_FILE``: an IPython kernel under the grader's limits.

:func:`restrict` is what every graded kernel does before student code runs, whether it was
started cold (this module's main) or forked warm (:mod:`autograder.engine.warm`).
"""

import json
import os
import shutil
import sys

from .. import settings
from ..checks._edition import use_package
from . import limits, sandbox


def restrict(argv: list[str]) -> list[str]:
    """Switch to the probe edition of the check library, confine this process (if the grader
    asked for it) and apply its resource limits.

    Returns the kernel's arguments, with the connection file moved where the confined
    kernel can read it.
    """
    edition = os.environ.pop(settings.CHECKS_EDITION, None)
    if edition:  # before the sandbox replaces the full library: only probes may load from now on
        use_package(edition)
    plan = json.loads(os.environ.pop(settings.SANDBOX, "null") or "null")
    if plan:
        home = plan["writable"][-1]
        argv = list(argv)
        if "-f" in argv:  # the manager wrote it (mode 600, as root) somewhere the kernel cannot see
            i = argv.index("-f") + 1
            moved = os.path.join(home, os.path.basename(argv[i]))
            os.makedirs(home, exist_ok=True)
            shutil.copyfile(argv[i], moved)
            argv[i] = moved
        # Its file system from nothing: Python, the system's libraries, the package with the probe
        # edition as its check library, and its own folders (see autograder.sandbox).
        sandbox.confine(
            [os.getcwd(), *plan["writable"]],
            plan["readonly"],
            plan["uid"],
            plan["stage"],
            views=sandbox.package_view(edition),
        )
    limits.apply_kernel_limits(limits.from_environment())
    return argv


if __name__ == "__main__":
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=restrict(sys.argv[1:]))
