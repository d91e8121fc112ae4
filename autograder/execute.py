"""nbgrader's Execute preprocessor with a cap on output, applied while the output streams.

nbgrader's own LimitOutput trims outputs *after* the notebook has run, by which time a cell
printing in a loop has filled the grader's memory. Here each output message is counted as it
arrives; past the cap it is dropped and one note says so.
"""

from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

OUTPUT_CUT = "[autograder] output cut: this notebook printed more than {mb:g} MB"


class LimitedExecute(Execute):
    """Execute, keeping at most ``max_output_bytes`` of output per notebook."""

    max_output_bytes = Integer(2 * 2**20, help="output kept per notebook, in bytes").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._output_bytes, self.output_cut = 0, False
        return super().preprocess(nb, resources, km)

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        self._output_bytes += sum(len(str(value)) for value in content.values())
        if self._output_bytes <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if not self.output_cut:
            self.output_cut = True
            outs.append(new_output("stream", name="stdout",
                                   text=OUTPUT_CUT.format(mb=self.max_output_bytes / 2**20) + "\n"))
        return None
