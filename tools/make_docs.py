"""Build the site: `nbdev_docs` when Quarto is on PATH, otherwise a static HTML folder.

Without Quarto: `nbdev_proc_nbs` processes the notebooks into _proc/ (as nbdev_docs would), then
nbconvert renders each processed notebook to _site/<name>.html with plotly.js embedded once per
page, and _site/index.html links them in the order of the site's sidebar.
"""
from __future__ import annotations
import html
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(cmd: list[str]) -> None:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    subprocess.run(cmd, cwd=ROOT, check=True, env=env)


def static_site(out: Path = ROOT / "_site") -> list[Path]:
    from nbconvert import HTMLExporter
    import nbformat
    proc = ROOT / "_proc"
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    exporter = HTMLExporter(template_name="lab")
    pages = []
    for nb_path in sorted(proc.rglob("*.ipynb")):
        if any(p.startswith((".", "_")) for p in nb_path.relative_to(proc).parts): continue
        nb = nbformat.read(nb_path, as_version=4)
        body, _ = exporter.from_notebook_node(nb)
        dest = out / nb_path.relative_to(proc).with_suffix(".html")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(body, encoding="utf-8")
        pages.append(dest)
    links = "\n".join(f'<li><a href="{html.escape(str(p.relative_to(out)))}">{html.escape(p.stem)}</a></li>' for p in pages)
    (out / "index.html").write_text(f"<!doctype html><meta charset='utf-8'><title>medfair</title><h1>medfair</h1><ul>{links}</ul>", encoding="utf-8")
    return pages


def main() -> int:
    if shutil.which("quarto"):
        print("Quarto found: building the site with nbdev_docs into _docs/")
        _run([str(BIN / "nbdev_docs")])
        return 0
    print("Quarto not found: processing notebooks with nbdev_proc_nbs, rendering static HTML with nbconvert into _site/")
    _run([str(BIN / "nbdev_proc_nbs")])
    pages = static_site()
    print(f"wrote {len(pages)} pages under _site/ (open _site/index.html)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
