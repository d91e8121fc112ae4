"""The grading engine: how a submission is executed, top to bottom.

1. :mod:`.batch` — ``grade()``: prepares the course folder and a template, makes one
   :class:`~.job.Job` per student, runs each in a worker, merges every result (the only writer
   of the gradebook).
2. :mod:`.warm` — the zygote that imported TensorFlow once and forks a worker (and, in it, its
   kernel) per job; the cold path starts ``python -m autograder.engine.worker`` instead.
3. :mod:`.worker` — ``grade_submission(job)``: reads the notebook (:mod:`.submission`), runs
   nbgrader's autograde in a private course folder, names the status, writes the feedback
   (:mod:`.feedback`).
4. :mod:`.execute` — nbgrader's Execute with the output cap; it starts
5. :mod:`.kernel` — the kernel, which confines itself (:mod:`.sandbox`) and takes its rlimits
   (:mod:`.limits`) before student code runs, with only the probe edition of the checks;
6. :mod:`.verdicts` — back in the worker: the checks' verdicts on the kernel's records.

Processes: the batch (CLI) → the zygote → one worker per submission → its kernel.
"""
