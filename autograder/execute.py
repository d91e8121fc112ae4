"""nbgrader's Execute preprocessor with a cap on output, applied while the output streams.

nbgrader's own LimitOutput trims outputs *after* the notebook has run, by which time a cell
printing in a loop has filled the grader's memory. Here each output message is counted as it
arrives; past the cap it is dropped and one note says so.
"""

import asyncio
import json
import os
import time

from jupyter_core.utils import ensure_async
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

OUTPUT_CUT = "[autograder] output cut: this notebook printed more than {mb:g} MB"
TIMING_ENV = "AUTOGRADER_TIMING_FILE"  # where the seconds spent inside cells are written


class LimitedExecute(Execute):
    """Execute, keeping at most ``max_output_bytes`` of output per notebook."""

    max_output_bytes = Integer(2 * 2**20, help="output kept per notebook, in bytes").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._output_bytes, self.output_cut, self._cell_seconds, self._cell_times = 0, False, 0.0, []
        self._started, self._kernel_ready = time.monotonic(), None
        try:
            return super().preprocess(nb, resources, km)
        finally:
            if os.environ.get(TIMING_ENV):
                ready = self._kernel_ready or time.monotonic()
                with open(os.environ[TIMING_ENV], "w") as f:
                    json.dump({"cell_seconds": round(self._cell_seconds, 3),
                               "kernel_start_seconds": round(ready - self._started, 3),
                               "output_cut": self.output_cut, "cells": self._cell_times}, f)

    def preprocess_cell(self, cell, resources, index):
        started = time.monotonic()
        self._kernel_ready = self._kernel_ready or started
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            self._cell_seconds += time.monotonic() - started
            self._cell_times.append(round(time.monotonic() - started, 3))

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        self._output_bytes += sum(len(str(value)) for value in content.values())
        if self._output_bytes <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if not self.output_cut:
            self.output_cut = True
            outs.append(new_output("stream", name="stdout",
                                   text=OUTPUT_CUT.format(mb=self.max_output_bytes / 2**20) + "\n"))
            # Stop the flood at once rather than at the cell's time limit.
            asyncio.ensure_future(ensure_async(self.km.interrupt_kernel()))
        return None
