"""The package's structure, checked: no module reaches into another's private names, and every public callable documents
its parameters (so the rendered API pages say what each one means)."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "medfair"


def _private_imports(path: Path) -> list[str]:
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("medfair")):
            bad += [f"{path.name}:{node.lineno} imports {a.name} from {node.module}" for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")]
    return bad


def test_no_private_imports_across_modules():
    bad = [b for p in sorted(PKG.glob("*.py")) if p.name != "_modidx.py" for b in _private_imports(p)]
    assert not bad, "\n".join(bad)


def test_private_import_check_can_fail(tmp_path):
    p = tmp_path / "m.py"
    p.write_text("from .metrics import _secret\nfrom .records import register_op as _alias\n")
    assert _private_imports(p) == ["m.py:1 imports _secret from metrics"]


def test_every_public_parameter_is_documented():
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "check_docs.py")], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


def test_no_notebook_mixes_imports_with_code():
    "nbdev's docs processing executes every cell with an import: a cell that also uses earlier state breaks `make docs`."
    import importlib.util
    import nbformat
    spec = importlib.util.spec_from_file_location("split_import_cells", ROOT / "tools" / "split_import_cells.py")
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    mixed = {}
    for p in sorted((ROOT / "nbs").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in p.parts: continue
        n = mod.split(nbformat.read(p, as_version=4))          # on a copy in memory: counts the cells it would split
        if n: mixed[str(p.relative_to(ROOT))] = n
    assert mixed == {}, f"run `python tools/split_import_cells.py nbs/*.ipynb`: {mixed}"


def test_every_notebook_opens_with_the_medfair_kernel():
    "JupyterLab picks the project's kernel (installed by `make`) without asking: every notebook names it in its kernelspec."
    import json
    wrong = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "nbs").rglob("*.ipynb"))
             if not any(s.startswith((".", "_")) for s in p.relative_to(ROOT / "nbs").parts)
             and json.loads(p.read_text()).get("metadata", {}).get("kernelspec", {}).get("name") != "medfair"]
    assert not wrong, f"kernelspec is not 'medfair' in {wrong}"


def test_slow_cells_have_a_make_target():
    "Cells flagged `#| slow` (or `#| gpu`) are skipped by `make test`; `make test-all` runs them (with gpu only where CUDA is)."
    import configparser
    flags = configparser.ConfigParser(); flags.read(ROOT / "settings.ini")
    assert set(flags["DEFAULT"]["tst_flags"].split()) == {"slow", "gpu"}
    r = subprocess.run(["make", "-n", "test-all"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert 'nbdev_test' in r.stdout and '--flags "slow' in r.stdout and 'torch.cuda.is_available()' in r.stdout
    test = subprocess.run(["make", "-n", "test"], capture_output=True, text=True, cwd=ROOT).stdout
    assert "--flags" not in test                    # the CI command leaves them out
    assert '-m "not slow"' in test and '-m "not slow"' not in r.stdout   # pytest's `slow` tests: test-all only


def test_committed_notebooks_are_lean():
    "Every tracked notebook stays under 500 KB (pre-binned histograms, PNG images: re-executing one must not bloat the repository)."
    tracked = subprocess.run(["git", "ls-files", "*.ipynb"], capture_output=True, text=True, cwd=ROOT)
    files = [ROOT / f for f in tracked.stdout.split()] if tracked.returncode == 0 else sorted((ROOT / "nbs").rglob("*.ipynb"))
    assert files, "no notebook found"
    big = {str(p.relative_to(ROOT)): p.stat().st_size // 1000 for p in files if p.exists() and p.stat().st_size > 500_000}
    assert not big, f"notebooks over 500 KB (size in KB): {big}"
