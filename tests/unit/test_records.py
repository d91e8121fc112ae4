"""Are check records plain data, and do checks speak only through their messages?"""

import os

import numpy as np
import pytest

from autograder.checks import Fail, load_record, save_record
from autograder.checks._core import ERROR_KEY, Check, CheckFailed, probe, to_array, verdict


def test_a_record_round_trips_numbers_booleans_and_text(tmp_path):
    record = {"y": np.arange(6.0).reshape(2, 3), "ok": np.asarray(True), "name": np.asarray("layer")}
    path = save_record("demo.check", record, tmp_path)
    loaded = load_record(path)
    assert set(loaded) == set(record) and np.array_equal(loaded["y"], record["y"])


def test_a_record_holding_a_pickled_object_is_rejected(tmp_path):
    np.savez(tmp_path / "evil.npz", y=np.array([object()], dtype=object))
    with pytest.raises(Fail, match="unreadable"):
        load_record(tmp_path / "evil.npz")


def test_a_missing_or_garbage_record_is_a_failure_not_a_crash(tmp_path):
    with pytest.raises(Fail, match="no record"):
        load_record(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(Fail, match="unreadable"):
        load_record(tmp_path / "junk.npz")


def test_student_outputs_that_are_not_numbers_are_refused():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    with pytest.raises(Fail, match="should be numbers"):
        to_array(AlwaysEqual(), "the output")


def test_a_failed_check_renders_its_message_without_library_frames():
    error = CheckFailed("x.y", 2, "the output has the wrong sign")
    (line,) = error._render_traceback_()
    assert "x.y" in line and "wrong sign" in line and "0/2" in line and "File" not in line


def _check(probe_fn, verify_fn):
    c = Check("t.t", 1, "title")
    c.probe(probe_fn)
    c.verify(verify_fn)
    return c


def test_a_student_exception_names_the_exception_and_becomes_a_message():
    def student():
        raise NotImplementedError()

    record = probe(_check(lambda f: {"y": f()}, lambda r: None), student)
    assert "NotImplementedError" in str(record[ERROR_KEY])
    assert verdict(_check(None, None), record).startswith("your code raised NotImplementedError")


def test_stderr_written_during_a_probe_is_captured(capfd):
    def noisy():
        os.write(2, b"C-level log line\n")
        import sys

        print("python stderr", file=sys.stderr)
        return 1.0

    record = probe(_check(lambda f: {"y": f()}, lambda r: None), noisy)
    captured = capfd.readouterr()
    assert "C-level log line" not in captured.err and "python stderr" not in captured.err
    assert "C-level log line" in captured.out  # shown to the student, on stdout
    assert float(record["y"]) == 1.0
