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


def test_a_keras_layer_error_is_named_by_its_reason_not_by_keras_wrapping():
    from autograder.checks._core import describe_student_error, exception_reason

    wrapped = ValueError(
        "Exception encountered when calling L.call().\n\n\x1b[1m{{function_node __wrapped__MatMul_device_/job:"
        "localhost/replica:0/task:0/device:CPU:0}} Matrix size-incompatible: In[0]: [3,5], In[1]: [7,2] "
        "[Op:MatMul] name: \x1b[0m\n\nArguments received by L.call():\n  • x=tf.Tensor(shape=(3, 5), dtype=float32)"
    )
    assert exception_reason(wrapped) == "Matrix size-incompatible: In[0]: [3,5], In[1]: [7,2]"
    assert describe_student_error(wrapped) == (
        "your code raised ValueError: Matrix size-incompatible: In[0]: [3,5], In[1]: [7,2]."
    )


def test_an_output_that_is_none_names_the_students_function_and_the_missing_return():
    def d_sigmoid(x):
        pass

    record = probe(_check(lambda f: {"sigmoid": f(1.0)}, lambda r: None), d_sigmoid)
    message = str(record[ERROR_KEY])
    assert "`d_sigmoid`" in message and "None" in message and "return" in message


def test_nan_where_the_reference_is_nan_is_right_and_nan_elsewhere_is_named():
    from autograder.checks import expect

    expect.close([np.nan, 1.0], [np.nan, 1.0], "x")  # passes
    with pytest.raises(Fail, match=r"got nan, expected 1 \(1 of 2 values off\)|contains NaN"):
        expect.close([np.nan, np.nan], [np.nan, 1.0], "x")
    with pytest.raises(Fail, match=r"got 2, expected nan \(1 of 2 values off\)"):
        expect.close([1.0, 2.0], [1.0, np.nan], "x")
