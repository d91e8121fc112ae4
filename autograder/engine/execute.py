"""nbgrader's Execute preprocessor with a cap on output, applied while the output streams.

nbgrader's own LimitOutput trims outputs *after* the notebook has run, by which time a cell
printing in a loop has filled the grader's memory. Here each output message is counted as it
arrives; past the cap it is dropped and one note says so.
"""

import asyncio
import json
import os
import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_core.utils import ensure_async
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

from .. import settings

OUTPUT_CUT = "[autograder] output cut: this notebook printed more than {mb:g} MB"


class LimitedExecute(Execute):
    """Execute, keeping at most ``max_output_bytes`` of output per notebook."""

    max_output_bytes = Integer(2 * 2**20, help="output kept per notebook, in bytes").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._output_bytes, self.output_cut, self._cell_seconds, self._cell_times = 0, False, 0.0, []
        self._started, self._kernel_ready = time.monotonic(), None
        try:
            return super().preprocess(nb, resources, km)
        finally:
            if os.environ.get(settings.TIMING_FILE):
                ready = self._kernel_ready or time.monotonic()
                with open(os.environ[settings.TIMING_FILE], "w") as f:
                    json.dump(
                        {
                            "cell_seconds": round(self._cell_seconds, 3),
                            "kernel_start_seconds": round(ready - self._started, 3),
                            "output_cut": self.output_cut,
                            "cells": self._cell_times,
                        },
                        f,
                    )

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
            outs.append(
                new_output("stream", name="stdout", text=OUTPUT_CUT.format(mb=self.max_output_bytes / 2**20) + "\n")
            )
            # Stop the flood at once rather than at the cell's time limit.
            asyncio.ensure_future(ensure_async(self.km.interrupt_kernel()))
        return None


class PromptKernelClient(AsyncKernelClient):
    """jupyter_client's kernel client, quicker to see that a kernel is ready.

    Its ``wait_for_ready`` waits 0.2 s for IOPub after the first ``kernel_info`` reply (asking
    again if IOPub's subscription had not reached the kernel yet) and 0.2 s more to find IOPub
    drained: 0.4 s for a forked kernel that answers in 0.12 s. Same steps here, in 20 ms slices.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await ensure_async(self.shell_channel.get_msg(timeout=0.05))
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:  # IOPub is connected once it delivers something (a status, a welcome)
                    await ensure_async(self.iopub_channel.get_msg(timeout=0.02))
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await ensure_async(self.is_alive()):
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while True:  # drain IOPub
            try:
                await ensure_async(self.iopub_channel.get_msg(timeout=0.02))
            except Empty:
                return
