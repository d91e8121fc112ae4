"""Does a notebook find the course's shipped data from wherever it is opened — beside it, in a parent
folder — and say plainly when it is not there?"""

import pytest

from autograder import find_dataset


def test_a_dataset_beside_the_notebook_or_in_a_parent_folder_is_found(tmp_path, monkeypatch):
    data = tmp_path / "datasets" / "tunes" / "notes.csv"
    data.parent.mkdir(parents=True)
    data.write_text("pitch\n60\n")
    deep = tmp_path / "students" / "ana" / "09"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_dataset("tunes/notes.csv") == data
    nearer = deep / "datasets" / "tunes" / "notes.csv"  # the copy beside the notebook wins
    nearer.parent.mkdir(parents=True)
    nearer.write_text("pitch\n62\n")
    assert find_dataset("tunes/notes.csv") == nearer


def test_a_missing_dataset_raises_or_is_none_as_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="datasets/none.csv not found"):
        find_dataset("none.csv")
    assert find_dataset("none.csv", required=False) is None
