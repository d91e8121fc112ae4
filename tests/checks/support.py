"""What every assignment's check tests share: the source notebook's own solution as the
reference, the objects each test cell passes to its check, and a one-call verdict."""

from __future__ import annotations

import re

import nbformat

from autograder import sample
from autograder.checks import get, verdict
from autograder.checks._core import probe, registry

TEST_CALL = re.compile(r"""check\("([\w.]+)"((?:,\s*\w+)*)\)""")


def filled(path):
    """The source notebook with its solution cells filled in as a student would write them."""
    nb = nbformat.read(path, as_version=4)
    return sample.filled_in(nb, nb)


def calls_in(nb) -> dict[str, list[str]]:
    """check id -> the names of the student objects its test cell passes."""
    calls = {}
    for cell in nb.cells:
        for check_id, args in TEST_CALL.findall(cell.source):
            calls[check_id] = [a.strip() for a in args.split(",") if a.strip()]
    return calls


def run(check_id: str, *objects) -> str | None:
    """The verdict a check gives these objects: None if it passes, else its message."""
    spec = get(check_id)
    return verdict(spec, probe(spec, *objects))


def module_checks(module) -> list[str]:
    """The ids of the checks a check module defines."""
    return sorted(c.id for c in registry().values() if c._probe.__module__ == module.__name__)


def assert_verify_needs_no(blocked: tuple[str, ...], check_ids, objects_for, folder) -> None:
    """Probe every check on the reference, then re-verify the records in a fresh Python where
    ``blocked`` cannot be imported: the grader's process must not need them."""
    import subprocess
    import sys
    import textwrap

    from autograder.checks import save_record

    for check_id in check_ids:
        save_record(check_id, probe(get(check_id), *objects_for(check_id)), folder)
    script = textwrap.dedent(f"""
        import sys
        for name in {tuple(blocked)!r}:
            sys.modules[name] = None  # any import of them now fails
        from autograder.checks import get, load_record, verdict
        for check_id in {list(check_ids)!r}:
            message = verdict(get(check_id), load_record({str(folder)!r} + "/" + check_id + ".npz"))
            assert message is None, (check_id, message)
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "ok", proc.stderr[-2000:]


def run_solution_cells(nb, namespace: dict) -> dict[str, set[str]]:
    """Run the notebook's solution cells (the student's code) in ``namespace``; return which
    cell defined which names."""
    defined_by = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            before = set(namespace)
            exec(compile(cell.source, "<cell>", "exec"), namespace)
            defined_by[meta["grade_id"]] = set(namespace) - before
    return defined_by
