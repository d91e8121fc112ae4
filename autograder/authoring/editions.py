"""Editions of a source notebook: the English one, and its translations.

A translation is ``solutions/<id>/<id>.<edition>.yml``: each markdown cell's text in that
language, by cell id. The edition's source notebook is the English source with those markdown
cells replaced and ``metadata.autograder.edition`` set — every code cell, cell id, grade id and
test cell is the English one, so the same checks grade both and a student can move code between
them. Persian prose is written in ``<div dir="rtl" lang="fa">`` with formulas and code
left-to-right inside it.
"""

from __future__ import annotations

import nbformat
import yaml

from ..course import Assignment, Course, CourseError

# What nbgrader's ClearSolutions writes in place of a written answer, per edition.
ANSWER_STUB = {"en": "YOUR ANSWER HERE", "fa": '<div dir="rtl" lang="fa">\n\nپاسخ خود را اینجا بنویسید.\n\n</div>'}


def source(course: Course, assignment: Assignment, edition: str = "en"):
    """The source notebook of ``edition`` (a new notebook node)."""
    nb = nbformat.read(course.source_notebook(assignment), as_version=4)  # a new node: ours to change
    if edition == "en":
        return nb
    path = course.translation(assignment, edition)
    if not path.is_file():
        raise CourseError(f"{path}: no such translation")
    cells = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("cells") or {}
    markdown = {c.id: c for c in nb.cells if c.cell_type == "markdown"}
    untranslated = [i for i in markdown if not str(cells.get(i, "")).strip()]
    if untranslated:
        raise CourseError(f"{path.name}: no translation of the markdown cell(s) {', '.join(untranslated)}")
    strays = sorted(set(cells) - set(markdown))
    if strays:
        raise CourseError(f"{path.name}: cell(s) {', '.join(strays)} are not markdown cells of {assignment.notebook}")
    for cell_id, cell in markdown.items():
        cell.source = str(cells[cell_id]).rstrip("\n")
    nb.metadata.setdefault("autograder", {})["edition"] = edition
    return nb


def translation_template(course: Course, assignment: Assignment) -> str:
    """A translation file to fill in: every markdown cell's English text, by cell id."""
    nb = nbformat.read(course.source_notebook(assignment), as_version=4)
    cells = {c.id: c.source for c in nb.cells if c.cell_type == "markdown"}
    return yaml.safe_dump({"cells": cells}, allow_unicode=True, sort_keys=False, width=1000)
