"""Check the checks: grade small mutations of each reference solution and list the survivors.

    python tools/mutate.py 01-activations [02-recurrent ...] [--sample N] [--seed S] [--workers W]

Every mutant is the reference solution with one small edit inside a ``### BEGIN SOLUTION`` region
(an operator, a comparison, a constant, an activation or ``keras.ops`` function swapped, a
keyword argument dropped, two arguments swapped, a negation removed). All mutants of an
assignment are graded in one batch by the real grader (``autograder.engine.batch.grade``:
real kernels, real nbgrader, every check, hidden ones included). A mutant is *killed* when it
loses a point or its status is not ``ok``; a *survivor* is either equivalent to the reference
(listed, with the reason, in ``tools/mutants/<id>.yml``) or a missing check.

Prints, per assignment, the mutants, the equivalent ones, the killed ones and the score
killed / (mutants − equivalent); exits 1 if an assignment scores under ``--bar`` (90 %).
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import course as course_mod
from autograder.authoring import sample
from autograder.engine import batch

EQUIVALENTS = Path(__file__).parent / "mutants"
BINARY = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.MatMult: ast.Mult,
    ast.Mod: ast.FloorDiv,
}
COMPARE = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
# Functions a student confuses (keras.ops, numpy, tf.math alike): the attribute is renamed.
FUNCTIONS = {
    "exp": "log",
    "log": "exp",
    "tanh": "sigmoid",
    "sigmoid": "tanh",
    "sum": "mean",
    "mean": "sum",
    "max": "min",
    "min": "max",
    "maximum": "minimum",
    "minimum": "maximum",
    "relu": "tanh",
    "softmax": "sigmoid",
    "matmul": "multiply",
    "transpose": "squeeze",
    "log1p": "log",
    "expm1": "exp",
}
# Functions whose call a student forgets: the call is replaced by its first argument.
FORGOTTEN = {"abs", "square", "sqrt", "transpose", "stop_gradient", "cast", "squeeze", "exp", "tanh", "sigmoid"}
ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear", "softmax"]


@dataclass
class Mutant:
    cell: str  # the solution cell's grade id
    source: str  # the cell's code with the edit
    change: str  # "<line before> → <line after>"

    @property
    def key(self) -> str:
        return f"{self.cell}: {self.change}"


def mutants_of(cell_id: str, source: str) -> list[Mutant]:
    """Every single-edit mutant of the code between the cell's solution markers."""
    lines = source.splitlines()
    begin = [i + 1 for i, line in enumerate(lines) if "### BEGIN SOLUTION" in line]
    end = [i + 1 for i, line in enumerate(lines) if "### END SOLUTION" in line]
    regions = list(zip(begin, end))
    tree = ast.parse(source)  # the markers are comments: line numbers are the cell's own

    def in_solution(node) -> bool:
        return hasattr(node, "lineno") and any(b < node.lineno < e for b, e in regions)

    nodes = list(ast.walk(tree))
    base = ast.unparse(tree).splitlines()
    found, seen = [], set()
    for index, node in enumerate(nodes):
        if not in_solution(node):
            continue
        for edit in _edits(node):
            mutated = copy.deepcopy(tree)
            target = list(ast.walk(mutated))[index]
            try:
                if edit(target, mutated) is False:
                    continue
                text = ast.unparse(ast.fix_missing_locations(mutated))
            except Exception:  # an edit that does not apply here
                continue
            new = text.splitlines()
            if text in seen or new == base:
                continue
            seen.add(text)
            changed = [(a.strip(), b.strip()) for a, b in zip(base, new) if a != b] or [("", "")]
            found.append(Mutant(cell_id, text, f"{changed[0][0]} → {changed[0][1]}"))
    return found


def _edits(node):
    """Edits of one node: functions ``(node, tree) -> None`` that change it in place."""
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        yield lambda n, _: setattr(n, "op", BINARY[type(n.op)]())
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in COMPARE:
                yield lambda n, _, i=i: n.ops.__setitem__(i, COMPARE[type(n.ops[i])]())
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield lambda n, tree: _replace(tree, n, n.operand)
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield lambda n, _: setattr(n, "value", not n.value)
    elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        yield lambda n, _: setattr(n, "value", _other_number(n.value))
    elif isinstance(node, ast.Constant) and node.value in ACTIVATIONS:
        yield lambda n, _: setattr(n, "value", ACTIVATIONS[(ACTIVATIONS.index(n.value) + 1) % len(ACTIVATIONS)])
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if isinstance(node.func, ast.Attribute) and name in FUNCTIONS:
            yield lambda n, _: setattr(n.func, "attr", FUNCTIONS[n.func.attr])
        if name in FORGOTTEN and node.args:
            yield lambda n, tree: _replace(tree, n, n.args[0])
        for i in range(len(node.keywords)):
            if node.keywords[i].arg is not None:
                yield lambda n, _, i=i: n.keywords.pop(i)
        if len(node.args) >= 2 and ast.dump(node.args[0]) != ast.dump(node.args[1]):
            yield lambda n, _: n.args.__setitem__(slice(0, 2), [n.args[1], n.args[0]])


def _other_number(value):
    if value == 0:
        return 1
    if isinstance(value, int) or float(value).is_integer():
        return type(value)(value + 1)
    return value * 2


def _replace(tree, old, new) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(v is old for v in value):
                value[[i for i, v in enumerate(value) if v is old][0]] = new
                return
    raise ValueError("node not found")


def equivalents(assignment_id: str) -> dict[str, str]:
    """``{mutant key: why it is equivalent}`` from tools/mutants/<id>.yml."""
    path = EQUIVALENTS / f"{assignment_id}.yml"
    if not path.is_file():
        return {}
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("equivalent", {}) or {}


def run(course, assignment, sample_size: int | None, seed: int, workers: int | None) -> dict:
    source = nbformat.read(course.source_notebook(assignment), as_version=4)
    release = nbformat.read(course.release_notebook(assignment), as_version=4)
    reference = sample.filled_in(source, release)
    every = []
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and "### BEGIN SOLUTION" in cell.source:
            every += mutants_of(meta["grade_id"], cell.source)
    chosen = every if not sample_size or sample_size >= len(every) else random.Random(seed).sample(every, sample_size)
    with tempfile.TemporaryDirectory(prefix="autograder-mutants-") as tmp:
        submissions = Path(tmp) / "submitted"
        names = {}
        for i, mutant in enumerate([None, *chosen]):
            nb = copy.deepcopy(reference)
            if mutant is not None:
                next(
                    c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == mutant.cell
                ).source = mutant.source
            name = "reference" if mutant is None else f"mutant-{i:04d}"
            names[name] = mutant
            path = submissions / name / assignment.id / assignment.notebook
            path.parent.mkdir(parents=True)
            nbformat.write(nb, path)
        results = {
            r.student: r for r in batch.grade(course, assignment.id, submissions, Path(tmp) / "out", workers=workers)
        }
    if not results["reference"].full_marks:
        raise SystemExit(f"{assignment.id}: the unmutated reference does not score full marks")
    known = equivalents(assignment.id)
    survivors, equivalent, killed = [], [], 0
    for name, mutant in names.items():
        if mutant is None:
            continue
        r = results[name]
        if not r.full_marks:
            killed += 1
        elif mutant.key in known:
            equivalent.append(mutant.key)
        else:
            survivors.append(mutant.key)
    counted = len(chosen) - len(equivalent)
    return {
        "assignment": assignment.id,
        "mutants": len(chosen),
        "of": len(every),
        "equivalent": len(equivalent),
        "killed": killed,
        "score": round(killed / counted, 4) if counted else 1.0,
        "survivors": survivors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", metavar="ID", help="assignments (default: all)")
    parser.add_argument("--sample", type=int, help="grade a seeded sample of this many mutants per assignment")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--bar", type=float, default=0.9, help="the least killed fraction (default 0.9)")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args()
    course = course_mod.load(ROOT)
    summaries = []
    for assignment in course.select(args.ids):
        s = run(course, assignment, args.sample, args.seed, args.workers)
        summaries.append(s)
        print(
            f"{s['assignment']}: {s['killed']} of {s['mutants'] - s['equivalent']} non-equivalent mutants killed "
            f"({100 * s['score']:.1f} %; {s['mutants']} graded of {s['of']}, {s['equivalent']} equivalent)"
        )
        for key in s["survivors"]:
            print(f"  survived: {key}")
    if args.json:
        args.json.write_text(json.dumps(summaries, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0 if all(s["score"] >= args.bar for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
