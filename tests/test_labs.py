"""Course labs (nbs/labs/*.ipynb): each keeps the lab format (tools/make_student.py describes it), runs top to bottom
with its solutions and every check passing, and — as the student version that tools/make_student.py writes — runs top
to bottom with every check cell failing with its own AssertionError message (a hint, not a NameError or TypeError) and
no other cell failing. Both versions run in one kernel that runs the lab's setup once (see `_run_both_versions`). Labs carry
`skip_exec: true`, so nbdev_test leaves them to this file."""
import importlib.util
import re
import time

import nbformat
import pytest

from conftest import ROOT

LABS = sorted((ROOT / "nbs" / "labs").glob("*.ipynb"))
KERNEL = "medfair"
CELL_TIMEOUT = 900          # seconds per cell: a lab's setup trains a model

_spec = importlib.util.spec_from_file_location("make_student", ROOT / "tools" / "make_student.py")
ms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ms)


def _tags(cell) -> list:
    return cell.get("metadata", {}).get("tags", [])


def _has_solution(cell) -> bool:
    return cell.cell_type == "code" and bool(ms.solution_regions(cell.source))


def _errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _stated_minutes(text: str) -> float:
    "The run time the header states, in minutes: the first '<number> s' or '<number> min' after 'Measured run time'."
    m = re.search(r"measured run time[^0-9]*?(\d+(?:\.\d+)?)\s*(s|sec|seconds|min|minutes)\b", text, re.I | re.S)
    assert m, "the header does not state the measured run time as '<number> s' or '<number> min'"
    return float(m.group(1)) / (60 if m.group(2).startswith("s") else 1)


def test_there_are_labs():
    assert LABS, "no lab notebook in nbs/labs/"


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_lab_format(lab):
    nb = nbformat.read(lab, as_version=4)
    cells = nb.cells
    assert cells[0].cell_type == "raw" and "skip_exec: true" in cells[0].source, \
        "a lab opens with the raw front matter '---\\nskip_exec: true\\n---' (nbdev_test must not run it)"
    first_code = next(i for i, c in enumerate(cells) if c.cell_type == "code")
    header = "\n".join(c.source for c in cells[:first_code] if c.cell_type == "markdown")
    assert header.lstrip().startswith("# ") and "\n> " in header, "a lab opens with '# Title' and a '> summary' line"
    for word in ("Learning objectives", "Prerequisites", "Measured run time"):
        assert word.lower() in header.lower(), f"the header has no {word!r}"
    assert 0 < _stated_minutes(header) <= 5, "a lab runs in at most 5 minutes on a laptop CPU"
    sol = [i for i, c in enumerate(cells) if _has_solution(c)]
    assert 3 <= len(sol) <= 6, f"a lab has 3-6 exercises, this one {len(sol)}"
    for k, i in enumerate(sol):                    # each solution is followed by a check before the next exercise starts
        nxt = sol[k + 1] if k + 1 < len(sol) else len(cells)
        assert any("check" in _tags(c) for c in cells[i + 1:nxt]), f"cell {i}: a solution cell without a check cell after it"
    for i, c in enumerate(cells):
        if "check" in _tags(c):
            assert c.cell_type == "code" and not ms.solution_regions(c.source), f"cell {i}: a check cell is code without solutions"
            assert sol and i > sol[0], f"cell {i}: a check cell before the first exercise"
        if "instructor" in _tags(c): assert c.cell_type == "markdown", f"cell {i}: instructor notes are markdown"
        if _has_solution(c):
            for b, e in ms.solution_regions(c.source):
                body = "\n".join(c.source.split("\n")[b + 1:e])
                assert not re.search(r"^\s*(import|from\s+\S+\s+import)\s", body, re.M), f"cell {i}: imports belong in the import cells"
    assert any("instructor" in _tags(c) for c in cells), "no answer key (markdown cells tagged 'instructor')"
    student = ms.make_student(nb)                   # the format is one make_student understands
    assert not any("instructor" in _tags(c) for c in student.cells)
    assert not any(ms.BEGIN in c.source for c in student.cells)


_RESET_SRC = "for _n in [n for n in list(globals()) if n not in _MEDFAIR_PREFIX_NAMES]: del globals()[_n]\ndel _n"


def _aside(client, source: str) -> None:
    "Run `source` in the client's kernel outside both notebooks (nbclient stores an executed cell into client.nb)."
    cell = nbformat.v4.new_code_cell(source)
    client.nb = nbformat.v4.new_notebook(cells=[cell])
    client.execute_cell(cell, 0)


def _run_both_versions(lab, tmp):
    """Both versions of a lab, run in one kernel so that its setup (which trains a model) runs once: the cells before the
    first exercise (identical in both versions), then the rest of the solution version (nbclient raises on the first
    failing cell), then the kernel's namespace is cut back to the names the setup defined and the rest of the student
    version runs with errors allowed. A check can only pass in the student run if the placeholder answer passes it."""
    from nbclient import NotebookClient
    sol = nbformat.read(lab, as_version=4)
    stu = nbformat.read(ms.write_student(lab, tmp / "student"), as_version=4)
    first = next(i for i, c in enumerate(sol.cells) if _has_solution(c))
    n_setup = sum(c.cell_type == "code" for c in sol.cells[:first])
    k = [i for i, c in enumerate(stu.cells) if c.cell_type == "code"]
    stu_first = k[n_setup] if n_setup < len(k) else len(stu.cells)
    assert [c.source for c in sol.cells[:first] if c.cell_type == "code"] == [c.source for c in stu.cells[:stu_first] if c.cell_type == "code"]
    client = NotebookClient(sol, kernel_name=KERNEL, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(tmp)}})
    times = {}
    with client.setup_kernel():
        t0 = time.perf_counter()
        for i, c in enumerate(sol.cells):
            if c.cell_type != "code": continue
            if i == first:
                _aside(client, "_MEDFAIR_PREFIX_NAMES = set(globals()) | {'_MEDFAIR_PREFIX_NAMES'}")
                times["setup"] = time.perf_counter() - t0
            client.nb = sol
            client.execute_cell(c, i)
        times["solution"] = time.perf_counter() - t0
        _aside(client, _RESET_SRC)
        client.nb = stu
        client.allow_errors = True
        t1 = time.perf_counter()
        for i, c in enumerate(stu.cells[stu_first:], start=stu_first):
            if c.cell_type == "code": client.execute_cell(c, i)
        times["student"] = time.perf_counter() - t1
    print(f"{lab.name}: setup {times['setup']:.0f} s, solution version {times['solution']:.0f} s, "
          f"student exercises {times['student']:.0f} s")
    return sol, stu, stu_first, times


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_solution_passes_and_student_version_fails_every_check(lab, tmp_path):
    """One test per lab (one kernel, one setup): with the solutions every check passes and no cell fails; as the student
    version every check fails with its own AssertionError and a hint, and no other cell fails."""
    sol, nb, first, times = _run_both_versions(lab, tmp_path)
    checks = [c for c in sol.cells if "check" in _tags(c)]
    assert checks and all(not _errors(c) and c.get("execution_count") for c in checks)
    assert not any(_errors(c) for c in sol.cells if c.cell_type == "code")
    assert times["solution"] < 600, f"the solution version took {times['solution']:.0f} s (the budget is 5 min on a laptop CPU)"
    problems, n_checks = [], 0
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code" or i < first: continue
        errs = _errors(c)
        if "check" in _tags(c):
            n_checks += 1
            if not errs: problems.append(f"cell {i}: the check passes on the placeholder answer"); continue
            e = errs[0]
            if e["ename"] != "AssertionError": problems.append(f"cell {i}: the check fails with {e['ename']}: {e['evalue']} (not its own message)")
            elif "Hint:" not in e["evalue"]: problems.append(f"cell {i}: the check's message has no hint: {e['evalue']!r}")
        elif errs:
            problems.append(f"cell {i}: a non-check cell fails in the student version: {errs[0]['ename']}: {errs[0]['evalue']}")
    assert n_checks >= 3
    assert not problems, "\n".join(problems)


# ---- tools/make_student.py itself ---------------------------------------------------------------------------------

def _toy_lab():
    nb = nbformat.v4.new_notebook()
    sol = nbformat.v4.new_code_cell(
        "x = 1\n### BEGIN SOLUTION\na, (b, *c) = 1, (2, 3, 4)\nd: int = 5\nd += 1\nfor i in range(2):\n    e = i\n    lst[0] = i\n"
        "def f():\n    inner = 1\nclass G: pass\nobj.attr = 2\nif (w := 3):\n    q = 1\nwhile False:\n    temp = 1\n### END SOLUTION\ny = 2")
    sol.outputs = [nbformat.v4.new_output("stream", text="old output")]
    sol.execution_count = 3
    inner = nbformat.v4.new_code_cell("def g():\n    ### BEGIN SOLUTION\n    z = 1\n    return z\n    ### END SOLUTION")
    chk = nbformat.v4.new_code_cell("assert a is not None, 'Hint: set a'")
    chk.metadata["tags"] = ["check"]
    key = nbformat.v4.new_markdown_cell("the answer is 42")
    key.metadata["tags"] = ["instructor"]
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), sol, inner, chk, key]
    return nb


def test_make_student_replaces_solutions_with_placeholders():
    nb = _toy_lab()
    st = ms.make_student(nb)
    assert st.cells[1].source == ("x = 1\n# YOUR CODE HERE\na = None\nb = None\nc = None\nd = None\ni = None\n"
                                  "f = None\nG = None\nw = None\nq = None\ny = 2")
    assert st.cells[1].outputs == [] and st.cells[1].execution_count is None
    assert st.cells[2].source == "def g():\n    # YOUR CODE HERE\n    z = None"
    assert [c.source for c in st.cells].count("the answer is 42") == 0          # the answer key is left out
    assert "check" in st.cells[3].metadata["tags"]                                # tags survive
    assert "### BEGIN SOLUTION" in nb.cells[1].source                             # the source notebook is untouched
    exec(compile("\n".join(c.source for c in st.cells if c.cell_type == "code" and "check" not in c.metadata.get("tags", [])),
                 "student", "exec"), {})                                          # the student version runs


def test_make_student_refuses_broken_markers(tmp_path):
    for src in ("### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION", "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
                "### BEGIN SOLUTION\nx = (\n### END SOLUTION"):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src)])
        with pytest.raises(ms.LabFormatError, match="cell 0"): ms.make_student(nb)


def test_make_student_cli(tmp_path):
    import subprocess
    import sys
    src = tmp_path / "lab_x.ipynb"
    nbformat.write(_toy_lab(), src)
    r = subprocess.run([sys.executable, ROOT / "tools" / "make_student.py", str(src), "--out", str(tmp_path / "out")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    st = nbformat.read(tmp_path / "out" / "lab_x.ipynb", as_version=4)
    assert "# YOUR CODE HERE" in st.cells[1].source
    r = subprocess.run([sys.executable, ROOT / "tools" / "make_student.py", str(src), "--out", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 1 and "refusing to overwrite" in r.stderr
