"""Make the student version of a course lab (nbs/labs/*.ipynb) from its source, which holds the solutions.

The lab format (checked by tests/test_labs.py):
- The notebook opens with the raw front matter `---\\nskip_exec: true\\n---` (nbdev_test leaves labs to
  tests/test_labs.py), a `# Title` / `> summary` markdown cell, then a markdown cell with the learning objectives, the
  prerequisites and the measured run time (at most 5 minutes on a laptop CPU).
- An exercise is a markdown task, a code cell whose student-written part lies between `### BEGIN SOLUTION` and
  `### END SOLUTION` (nbgrader's markers), then a code cell tagged `check` that compares the answer with an independent
  computation and fails with an AssertionError saying what is wrong and giving a `Hint:`. A check must fail, with its
  message, when the answer is None (the student version's placeholder) or wrong, never with a TypeError or NameError.
- Answer keys to the discussion questions are markdown cells tagged `instructor`; the student version leaves them out.
- Imports sit in their own cells (tests/test_structure.py), never inside a solution region.

What this tool changes: each solution region (markers included) becomes `# YOUR CODE HERE` followed by `name = None` for
every name the solution binds at its top level (assignments, augmented and annotated assignments, for-loop and `with`
targets, `def` and `class` names, walrus targets; the bodies of top-level `if`/`with`/`try` blocks count, run once, while
loop bodies and function bodies do not: their names are the solution's temporaries), at the marker's indentation. So the student version runs top to bottom and each check fails with its own
message instead of a NameError. Outputs and execution counts are cleared; `instructor` cells are dropped.

Usage: python tools/make_student.py nbs/labs/X.ipynb [more.ipynb ...] --out DIR   (writes DIR/X.ipynb)
"""
from __future__ import annotations

import argparse
import ast
import sys
import textwrap
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
PLACEHOLDER = "# YOUR CODE HERE"
INSTRUCTOR_TAG, CHECK_TAG = "instructor", "check"


class LabFormatError(ValueError):
    "A lab notebook that breaks the format (unbalanced markers, a solution that does not parse, ...)."


def _target_names(node) -> list[str]:
    "Names bound by an assignment target: `a`, `a, (b, *c)`; attribute and subscript targets bind no new name."
    if isinstance(node, ast.Name): return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)): return [n for e in node.elts for n in _target_names(e)]
    if isinstance(node, ast.Starred): return _target_names(node.value)
    return []


def _walrus_names(node) -> list[str]:
    "Targets of `:=` inside an expression (a lambda's body is its own scope)."
    out = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.NamedExpr): out += _target_names(sub.target)
    return out


def _bound(stmts) -> list[str]:
    out = []
    for s in stmts:
        if isinstance(s, ast.Assign):
            for t in s.targets: out += _target_names(t)
            out += _walrus_names(s.value)
        elif isinstance(s, (ast.AugAssign, ast.AnnAssign)):
            out += _target_names(s.target)
            if s.value is not None: out += _walrus_names(s.value)
        elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(s.name)
        elif isinstance(s, (ast.For, ast.AsyncFor)):                 # the loop variable, not the body's temporaries
            out += _target_names(s.target) + _walrus_names(s.iter)
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            for item in s.items:
                out += _walrus_names(item.context_expr)
                if item.optional_vars is not None: out += _target_names(item.optional_vars)
            out += _bound(s.body)
        elif isinstance(s, ast.If):
            out += _walrus_names(s.test) + _bound(s.body) + _bound(s.orelse)
        elif isinstance(s, ast.While):
            out += _walrus_names(s.test)
        elif isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
            out += _bound(s.body) + _bound(s.orelse) + _bound(s.finalbody)
            for h in s.handlers:
                if h.name: out.append(h.name)
                out += _bound(h.body)
        elif isinstance(s, (ast.Import, ast.ImportFrom)):
            out += [(a.asname or a.name).split(".")[0] for a in s.names if a.name != "*"]
        elif isinstance(s, ast.Expr):
            out += _walrus_names(s.value)
    return out


def assigned_names(source: str) -> list[str]:
    "The names a piece of code binds at its own top level, in order of first appearance, without repeats."
    tree = ast.parse(textwrap.dedent(source))
    seen = []
    for n in _bound(tree.body):
        if n not in seen: seen.append(n)
    return seen


def solution_regions(source: str) -> list[tuple[int, int]]:
    "(begin, end) line indices of each solution region of a cell (marker lines included); LabFormatError when unbalanced."
    regions, start = [], None
    for i, line in enumerate(source.split("\n")):
        s = line.strip()
        if s == BEGIN:
            if start is not None: raise LabFormatError(f"line {i + 1}: {BEGIN} inside another solution region")
            start = i
        elif s == END:
            if start is None: raise LabFormatError(f"line {i + 1}: {END} without {BEGIN}")
            regions.append((start, i)); start = None
    if start is not None: raise LabFormatError(f"line {start + 1}: {BEGIN} is never closed by {END}")
    return regions


def strip_solutions(source: str) -> str:
    "The cell's source with every solution region replaced by `# YOUR CODE HERE` and a `name = None` per bound name."
    lines = source.split("\n")
    out, last = [], 0
    for b, e in solution_regions(source):
        indent = lines[b][: len(lines[b]) - len(lines[b].lstrip())]
        body = "\n".join(lines[b + 1:e])
        try: names = assigned_names(body)
        except SyntaxError as err: raise LabFormatError(f"the solution region at line {b + 1} does not parse: {err}") from err
        out += lines[last:b] + [indent + PLACEHOLDER] + [f"{indent}{n} = None" for n in names]
        last = e + 1
    return "\n".join(out + lines[last:])


def make_student(nb) -> "nbformat.NotebookNode":
    "A student version of the lab notebook `nb` (a new notebook; `nb` is not changed)."
    nb = nbformat.from_dict(nb)          # a deep copy
    cells = []
    for k, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if INSTRUCTOR_TAG in tags: continue
        if cell.cell_type == "code":
            try: cell.source = strip_solutions(cell.source)
            except LabFormatError as err: raise LabFormatError(f"cell {k}: {err}") from err
            cell.outputs, cell.execution_count = [], None
        elif BEGIN in cell.source or END in cell.source:
            raise LabFormatError(f"cell {k}: solution markers in a {cell.cell_type} cell (only code cells may hold solutions)")
        cells.append(cell)
    nb.cells = cells
    return nb


def write_student(
    src,  # path of the lab notebook (with solutions)
    out_dir,  # folder to write the student version into (created if needed)
) -> Path:
    "Write the student version of `src` to out_dir/<same name>; returns its path."
    src, out_dir = Path(src), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / src.name
    if dest.resolve() == src.resolve(): raise LabFormatError(f"refusing to overwrite the source {src} with its student version")
    nbformat.write(make_student(nbformat.read(src, as_version=4)), dest)
    return dest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Write the student version of course labs (solutions replaced by placeholders).")
    ap.add_argument("labs", nargs="+", help="lab notebooks (nbs/labs/*.ipynb)")
    ap.add_argument("--out", required=True, help="folder for the student versions")
    a = ap.parse_args(argv)
    for p in a.labs:
        try: print(write_student(p, a.out))
        except (LabFormatError, OSError) as err:
            print(f"{p}: {err}", file=sys.stderr); return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
