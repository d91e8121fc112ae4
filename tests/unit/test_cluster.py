"""Grading on Dask, the parts that need no cluster: which addresses are accepted, and how a
submission's and a result's files travel as bytes (nothing outside its folder is written)."""

import pytest

from autograder.course import CourseError
from autograder.engine import cluster


@pytest.mark.parametrize("address, n", [("local:1", 1), ("local:4", 4)])
def test_local_n_is_a_number_of_worker_processes(address, n):
    assert cluster._worker_count(address) == n


@pytest.mark.parametrize("address", ["local:0", "local:", "local:two", "local:-1"])
def test_a_malformed_local_address_is_refused_in_one_line(address):
    with pytest.raises(CourseError, match="expected local:N"):
        cluster._worker_count(address)


def test_a_folder_travels_as_bytes_and_comes_back_the_same(tmp_path):
    source = tmp_path / "submission"
    (source / "data").mkdir(parents=True)
    (source / "01-activations.ipynb").write_text('{"cells": []}')
    (source / "data" / "x.csv").write_bytes(b"1,2\n")
    (source / "link").symlink_to("/etc/passwd")  # a link is not followed, so it does not travel
    packed = cluster._pack_folder(source)
    assert sorted(packed) == ["01-activations.ipynb", "data/x.csv"]
    back = cluster._unpack_folder(packed, tmp_path / "back")
    assert (back / "data" / "x.csv").read_bytes() == b"1,2\n"


def test_a_file_name_that_climbs_out_of_its_folder_is_not_written(tmp_path):
    cluster._unpack_folder({"../escaped.txt": b"x", "kept.txt": b"y"}, tmp_path / "inside")
    assert not (tmp_path / "escaped.txt").exists() and (tmp_path / "inside" / "kept.txt").read_bytes() == b"y"


def test_a_template_is_unpacked_once_per_content(tmp_path, monkeypatch):
    template = tmp_path / "template"
    (template / "source").mkdir(parents=True)
    (template / "source" / "a.txt").write_text("a")
    key, blob = cluster._pack_template(template)
    assert cluster._pack_template(template)[0] == key  # the same content, the same key
    monkeypatch.setattr(cluster._Engine, "root", classmethod(lambda cls: tmp_path / "worker"))
    monkeypatch.setattr(cluster._Engine, "templates", {})
    (tmp_path / "worker").mkdir()
    first = cluster._Engine.template(key, blob)
    assert (first / "source" / "a.txt").read_text() == "a"
    assert cluster._Engine.template(key, b"not read again") == first
