"""The nbdev pipeline itself: export/clean/README in sync, papermill tags survive, docs build, CLI."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import BIN, ROOT, tool_env


def _copy_project(dst: Path) -> Path:
    shutil.copy(ROOT / "settings.ini", dst / "settings.ini")
    shutil.copytree(ROOT / "nbs", dst / "nbs", symlinks=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "nbdev.yml"))
    shutil.copytree(ROOT / "medfair", dst / "medfair", ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def _files(d: Path, pattern: str) -> dict:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob(pattern))
            if ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts}


def _changed_by(tool: str, tmp_path: Path, folder: str, pattern: str) -> list:
    "Files under `folder` that running nbdev `tool` on a copy of the project adds, removes or rewrites."
    proj = _copy_project(tmp_path)
    before = _files(proj / folder, pattern)
    subprocess.run([BIN / tool], cwd=proj, check=True, env=tool_env())
    after = _files(proj / folder, pattern)
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def test_export_leaves_no_diff(tmp_path):
    "nbdev_export on a copy of the project reproduces medfair/ exactly: the package is in sync with the notebooks."
    changed = _changed_by("nbdev_export", tmp_path, "medfair", "*.py")
    assert not changed, f"medfair/ is out of sync with nbs/ (run `make export`): {changed}"


def test_clean_leaves_no_diff(tmp_path):
    "nbdev_clean on a copy changes no notebook: every committed notebook is clean."
    changed = _changed_by("nbdev_clean", tmp_path, "nbs", "*.ipynb")
    assert not changed, f"notebooks not clean (run `make export`): {changed}"


def test_parameters_tag_survives_clean(tmp_path):
    "papermill's `parameters` tag is kept by nbdev_clean (allowed_cell_metadata_keys = tags); other metadata goes."
    proj = _copy_project(tmp_path)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("alpha = 0.1")
    cell.metadata.update(tags=["parameters"], collapsed=True, scrolled=True)
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), cell]
    path = proj / "nbs" / "zz_params.ipynb"
    nbformat.write(nb, path)
    subprocess.run([BIN / "nbdev_clean", "--fname", str(path)], cwd=proj, check=True, env=tool_env())
    md = nbformat.read(path, as_version=4).cells[1].metadata
    assert md.get("tags") == ["parameters"]
    assert "collapsed" not in md and "scrolled" not in md


def test_readme_in_sync():
    "README.md is exactly what tools/make_readme.py generates from nbs/index.ipynb."
    r = subprocess.run([sys.executable, ROOT / "tools" / "make_readme.py", "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = (ROOT / "README.md").read_text()
    assert "make repro" in text and "make test" in text


def test_readme_gives_two_commands():
    "The quick start gives exactly two commands for a fresh machine, and both are Makefile targets."
    text = (ROOT / "README.md").read_text()
    block = text.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    cmds = [l.split("#")[0].strip() for l in block.strip().splitlines() if l.split("#")[0].strip()]
    assert cmds == ["make repro", "make test"]
    mk = (ROOT / "Makefile").read_text()
    assert "\nrepro:" in mk and "\ntest:" in mk


@pytest.mark.xdist_group("site")   # the site is built once, on one worker (conftest.built_site writes _proc/ and _site/)
def test_proc_nbs_and_static_docs(built_site):
    "nbdev_proc_nbs succeeds (without Quarto) and `make docs`'s fallback renders every notebook to HTML."
    r = built_site
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert r.packages_before == r.packages_after, "building the docs changed the venv's packages"
    assert r.packages_before.count("==") > 50                      # the comparison saw a real package list
    nbs = [p for p in (ROOT / "nbs").rglob("*.ipynb")
           if not any(s.startswith((".", "_")) for s in p.relative_to(ROOT / "nbs").parts)]
    for nb in nbs:
        rel = nb.relative_to(ROOT / "nbs")
        assert (ROOT / "_proc" / rel).exists(), f"nbdev_proc_nbs did not process {rel}"
        if shutil.which("quarto") is None:
            page = ROOT / "_site" / rel.with_suffix(".html")
            assert page.exists() and page.stat().st_size > 1000, f"no HTML page for {rel}"
    if shutil.which("quarto") is None:
        assert "Quarto not found" in r.stdout
        index = (ROOT / "_site" / "index.html").read_text()
        assert "medfair-nav" in index
        assert all(f'{nb.relative_to(ROOT / "nbs").with_suffix(".html").as_posix()}"' in index for nb in nbs), "sidebar misses a page"


def test_cli_version_and_info():
    from medfair import __version__
    r = subprocess.run([BIN / "medfair", "--version"], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == f"medfair {__version__}"
    r = subprocess.run([BIN / "medfair", "info", "--json"], capture_output=True, text=True, check=True)
    info = json.loads(r.stdout)
    import torch
    assert info["gpu"] == torch.cuda.is_available()
    assert info["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    assert info["quarto"] == (shutil.which("quarto") is not None)
    assert info["packages"]["torch"] and info["packages"]["torchvision"]
    r = subprocess.run([BIN / "medfair", "info"], capture_output=True, text=True, check=True)
    for word in ("device", "GPU", "quarto", "torchvision"):
        assert word in r.stdout


def test_torchvision_runs_on_cpu():
    "The install gives a torchvision built for the installed torch (a CPU-only torch with PyPI's torchvision fails here)."
    import torch, torchvision
    from torchvision.ops import nms
    m = torchvision.models.resnet18(weights=None).eval()
    with torch.no_grad(): out = m(torch.zeros(1, 3, 64, 64))
    assert out.shape == (1, 1000)
    # a compiled torchvision op: fails to load when torch and torchvision builds do not match
    keep = nms(torch.tensor([[0., 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]]), torch.tensor([0.9, 0.8, 0.7]), 0.5)
    assert keep.tolist() == [0, 2]


def test_ci_script_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    assert "make test" in script and "set -e" in script
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111
