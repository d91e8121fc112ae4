"""What every assignment's check tests share: the course's assignments and their topics, the
source notebook's own solution as the reference, the objects each test cell passes to its check,
one-call verdicts, and (computed once per session) the verdicts on the reference, the blank
release and each wrong answer of ``examples/<id>.yml``.

Real TensorFlow and Keras, in-process: the student's code runs here, as in a student's kernel.
"""

from __future__ import annotations

import ast
import functools
import re
import symtable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from autograder import checks
from autograder.authoring import sample
from autograder.checks import get, verdict
from autograder.checks._core import probe, registry

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = {
    a["id"]: a["notebook"] for a in yaml.safe_load((ROOT / "course.yml").read_text(encoding="utf-8"))["assignments"]
}
ASSIGNMENTS = list(NOTEBOOKS)
TEST_CALL = re.compile(r"""check\("([\w.]+)"((?:,\s*\w+)*)\)""")


def source(assignment_id: str) -> Path:
    return ROOT / "solutions" / assignment_id / NOTEBOOKS[assignment_id]


def release(assignment_id: str) -> Path:
    return ROOT / "assignments" / assignment_id / NOTEBOOKS[assignment_id]


def filled(path):
    """The source notebook with its solution cells filled in as a student would write them."""
    nb = nbformat.read(path, as_version=4)
    return sample.filled_in(nb, nb)


def calls_in(nb) -> dict[str, list[str]]:
    """check id -> the names of the student objects its test cell passes."""
    calls = {}
    for cell in nb.cells:
        for check_id, args in TEST_CALL.findall(cell.source):
            calls[check_id] = [a.strip() for a in args.split(",") if a.strip()]
    return calls


def run(check_id: str, *objects) -> str | None:
    """The verdict a check gives these objects: None if it passes, else its message."""
    spec = get(check_id)
    return verdict(spec, probe(spec, *objects))


def topic_checks(topic: str) -> list[str]:
    """The ids of the checks the topic ``autograder.checks.<topic>`` defines."""
    package = f"{checks.__name__}.{topic}"
    return sorted(
        c.id
        for c in registry().values()
        if c._probe.__module__ == package or c._probe.__module__.startswith(f"{package}.")
    )


def topic_of(assignment_id: str) -> str:
    """The topic whose checks the assignment's notebook calls (one: see `test_contract`)."""
    modules = {get(i)._probe.__module__ for i in calls_in(filled(source(assignment_id)))}
    topics = {m.split(".")[2] for m in modules}
    assert len(topics) == 1, topics
    return topics.pop()


# --------------------------------------------------------------------------- running the notebook


@dataclass
class Defined:
    """What a notebook's code defines, and the ``check`` each test cell would call (a student's
    code may redefine it)."""

    namespace: dict
    checker: dict[str, object]


def _is_test(cell) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("grade")) and cell.cell_type == "code"


def _is_solution(cell) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("solution")) and cell.cell_type == "code"


def _defines(cell) -> set[str]:
    names = set()
    for node in ast.parse(cell.source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):  # a later cell's imports define globals too
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _reads(cell) -> set[str]:
    """The global names a cell reads, at its top level or inside its functions and classes."""
    names = set()

    def walk(table, top):
        for s in table.get_symbols():
            if s.is_referenced() and (s.is_global() or (top and not s.is_assigned())):
                names.add(s.get_name())
        for child in table.get_children():
            walk(child, False)

    walk(symtable.symtable(cell.source, "<cell>", "exec"), True)
    return names


def define(nb, also=()) -> Defined:
    """Run, in order, the notebook's first code cell (its imports), its solution cells, and the
    other cells that define a global a solution cell reads or one of ``also``: not the test cells,
    not the demonstrations. In the blank release, a cell that raises NotImplementedError (an
    unwritten solution, or a cell that calls one) defines what it defined until then."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    wanted = set(also).union(*(_reads(c) for c in code if _is_solution(c)))
    namespace, checker = {"__name__": "__main__"}, {}
    for i, cell in enumerate(code):
        if _is_test(cell):
            for check_id, _ in TEST_CALL.findall(cell.source):
                checker[check_id] = namespace.get("check")
        elif i == 0 or _is_solution(cell) or _defines(cell) & wanted:
            try:
                exec(compile(cell.source, "<cell>", "exec"), namespace)
            except NotImplementedError:
                pass  # the blank release: an unwritten solution, or a cell that calls one
    return Defined(namespace, checker)


def reached(nb, cells) -> set[str]:
    """The names whose behaviour an edit of these solution cells can change: what they define,
    and what the solution cells that read those names (at any remove) define."""
    solution = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if _is_solution(c)}
    names = set().union(*(_defines(solution[c]) for c in cells))
    while True:
        more = set().union(*(_defines(c) for c in solution.values() if _reads(c) & names)) - names
        if not more:
            return names
        names |= more


# --------------------------------------------------------------------------- verdicts, once per session


@functools.cache
def reference(assignment_id: str) -> Defined:
    return define(filled(source(assignment_id)))


@functools.cache
def calls(assignment_id: str) -> dict[str, list[str]]:
    return calls_in(filled(source(assignment_id)))


@functools.cache
def reference_records(assignment_id: str) -> dict[str, dict]:
    """check id -> the record its probe makes of the reference solution."""
    ns = reference(assignment_id).namespace
    return {c: probe(get(c), *(ns[n] for n in names)) for c, names in calls(assignment_id).items()}


@functools.cache
def wrong_answers(assignment_id: str) -> dict[str, sample.WrongAnswer]:
    spec = sample.load_spec(ROOT / "examples" / f"{assignment_id}.yml", assignment_id)
    return {w.student: w for w in spec.wrong_answers}


def graded(assignment_id: str, defined: Defined, check_ids) -> dict[str, str | None]:
    """check id -> verdict, as when graded: a test cell that calls a ``check`` other than the
    library's records nothing, so the grader fails its checks."""
    out = {}
    for check_id in check_ids:
        if defined.checker.get(check_id) is not checks.check:
            out[check_id] = "its test cell did not call the check library's `check`: nothing was recorded"
        else:
            out[check_id] = run(check_id, *(defined.namespace.get(n) for n in calls(assignment_id)[check_id]))
    return out


@functools.cache
def wrong_answer_verdicts(assignment_id: str, student: str) -> dict[str, str | None]:
    """check id -> verdict, for every check an edit of this wrong answer can reach (the others
    see exactly the reference's objects, and the reference passes them)."""
    wrong = wrong_answers(assignment_id)[student]
    nb = sample.apply_edits(filled(source(assignment_id)), wrong.edits, student)
    defined = define(nb)
    names = reached(nb, [edit["cell"] for edit in wrong.edits])
    affected = [
        c for c, args in calls(assignment_id).items() if names & set(args) or defined.checker.get(c) is not checks.check
    ]
    return graded(assignment_id, defined, affected)


@functools.cache
def blank_verdicts(assignment_id: str) -> dict[str, str | None]:
    """check id -> verdict on the blank release (its visible code, and the source's test calls)."""
    defined = define(nbformat.read(release(assignment_id), as_version=4))
    ns = defined.namespace
    return {c: run(c, *(ns.get(n) for n in names)) for c, names in calls(assignment_id).items()}
