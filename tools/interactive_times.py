"""A source notebook run top to bottom in a fresh kernel, as a student runs it (not grading: every
demonstration trains): the total wall time and the slowest cells (the budget is 60 s).

    python tools/interactive_times.py [ID ...]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder import course as course_mod


def main(ids: list[str]) -> None:
    course = course_mod.load(Path(__file__).resolve().parents[1])
    for a in course.select(ids or None):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / a.id
            shutil.copytree(course.source_notebook(a).parent, folder)  # the notebook and its datasets
            nb = nbformat.read(folder / a.notebook, as_version=4)
            client = NotebookClient(
                nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
            )
            times, start = [], time.monotonic()
            with client.setup_kernel():
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type == "code":
                        began = time.monotonic()
                        client.execute_cell(cell, index)
                        times.append((time.monotonic() - began, cell.id))
            slowest = ", ".join(f"{cell_id} {seconds:.1f} s" for seconds, cell_id in sorted(times, reverse=True)[:4])
            print(f"{a.id}: {time.monotonic() - start:.1f} s top to bottom; slowest cells: {slowest}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
