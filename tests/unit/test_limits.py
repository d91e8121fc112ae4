"""Does a notebook that reached one of the kernel's limits get the status naming it?"""

import os
import resource

from autograder.engine.limits import apply_kernel_limits, limit_reached
from autograder.results import Status

LIMITS = {"memory_mb": 4096, "processes": 256, "file_mb": 64}


def test_each_limit_is_recognised_from_the_error_it_causes():
    cases = {
        "MemoryError: ": Status.MEMORY_LIMIT,
        "_ArrayMemoryError: Unable to allocate 8.00 GiB for an array": Status.MEMORY_LIMIT,
        "terminate called after throwing an instance of 'std::bad_alloc'": Status.MEMORY_LIMIT,
        "ResourceExhaustedError: OOM when allocating tensor with shape[100000,100000]": Status.MEMORY_LIMIT,
        "BlockingIOError: [Errno 11] Resource temporarily unavailable": Status.PROCESS_LIMIT,
        "RuntimeError: can't start new thread": Status.PROCESS_LIMIT,
        "OSError: [Errno 27] File too large": Status.FILE_SIZE_LIMIT,
    }
    for text, status in cases.items():
        assert limit_reached(["NameError: name 'x' is not defined", text], LIMITS)[0] == status, text


def test_the_detail_names_the_limit_in_the_students_terms():
    assert (
        limit_reached(["MemoryError: "], LIMITS)[1]
        == "your notebook used more than 4096 MB of memory (the memory limit)"
    )
    assert "more than 256 processes and threads" in limit_reached(["BlockingIOError: "], LIMITS)[1]
    assert "larger than 64 MB" in limit_reached(["OSError: [Errno 27] File too large"], LIMITS)[1]


def test_ordinary_errors_reach_no_limit():
    assert limit_reached(["ValueError: shapes (3,) and (4,) not aligned", "CellTimeoutError: "], LIMITS) is None


def test_the_limits_are_set_in_the_process_and_its_children():
    pid = os.fork()
    if pid == 0:  # in a child: the rlimits must not stay on the test runner
        apply_kernel_limits(LIMITS)
        ok = (
            resource.getrlimit(resource.RLIMIT_DATA)[0] == 4096 * 2**20
            and resource.getrlimit(resource.RLIMIT_FSIZE)[0] == 64 * 2**20
            and resource.getrlimit(resource.RLIMIT_NPROC)[0] == 256
            and resource.getrlimit(resource.RLIMIT_CORE) == (0, 0)
        )
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
