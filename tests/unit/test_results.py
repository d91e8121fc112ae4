"""Is a result record typed in memory and unchanged on disk?"""

import json

from autograder.results import CellResult, Status, SubmissionResult, all_results, results_dir

# A result written before the record had types (an old course folder must still resume).
OLD = {
    "student": "ana",
    "assignment": "01-activations",
    "status": "tampered_cells",
    "detail": "graded with the original test cells; changed: cell test_rbf_forward edited",
    "score": 15.0,
    "max_score": 16.0,
    "manual_max_score": 0.0,
    "needs_manual_grading": False,
    "cells": [
        {
            "grade_id": "test_a",
            "max_score": 1.0,
            "timed_out": False,
            "checks": ["a.b"],
            "message": "",
            "kind": "test",
            "score": 1.0,
            "needs_manual": False,
            "passed": True,
        },
        {
            "grade_id": "why",
            "max_score": 3.0,
            "timed_out": False,
            "checks": [],
            "message": "",
            "kind": "manual",
            "score": None,
            "needs_manual": True,
            "passed": None,
        },
    ],
    "cell_seconds": 0.51,
    "kernel_start_seconds": 0.16,
    "phases": {"prepare": 0.1},
    "seconds": 1.3,
    "autograded_dir": "/out/autograded/ana/01-activations",
    "feedback_dir": "/out/feedback/ana/01-activations",
    "warm": True,
    "submitted_at": None,
    "attempts": 2,
}


def test_an_old_record_loads_typed_and_saves_back_the_same_json(tmp_path):
    r = SubmissionResult.from_dict(OLD)
    assert r.status is Status.TAMPERED_CELLS and r.cells[1].kind == "manual" and r.attempts == 2
    path = tmp_path / "ana.json"
    r.save(path)
    saved = json.loads(path.read_text())
    assert saved == {k: v for k, v in OLD.items() if v is not None}


def test_statuses_are_the_strings_grades_csv_has_always_shown():
    assert Status.MEMORY_LIMIT == "memory_limit" and f"{Status.OK}" == "ok"
    assert json.dumps(Status.KERNEL_DIED) == '"kernel_died"'


def test_scores_add_up_from_the_cells_and_written_answers_count_apart():
    cells = [
        CellResult("t1", "test", 2.0, 2.0, checks=["a.x"], passed=True),
        CellResult("t2", "test", 3.0, 0.0, checks=["a.z", "a.y"], passed=False, message="wrong"),
        CellResult("w", "manual", 4.0, None, needs_manual=True),
    ]
    r = SubmissionResult.of("ana", "01", Status.OK, cells)
    assert (r.score, r.max_score, r.manual_max_score, r.needs_manual_grading) == (2.0, 5.0, 4.0, True)
    assert r.failed_checks() == ["a.y", "a.z"] and not r.full_marks


def test_all_results_reads_every_assignment_sorted(tmp_path):
    for assignment, student in [("b", "zed"), ("a", "ana"), ("a", "bo")]:
        folder = results_dir(tmp_path, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        SubmissionResult.from_dict({**OLD, "assignment": assignment, "student": student}).save(
            folder / f"{student}.json"
        )
    assert [(r.assignment, r.student) for r in all_results(tmp_path)] == [("a", "ana"), ("a", "bo"), ("b", "zed")]
