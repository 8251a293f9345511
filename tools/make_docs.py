"""Build the site: `nbdev_docs` when Quarto is on PATH, otherwise a static HTML folder.

Without Quarto: `nbdev_proc_nbs` processes the notebooks into _proc/ (as nbdev_docs would), then
nbconvert (through medfair.htmlreport) renders each processed notebook to _site/<name>.html with
plotly.js embedded once per page and nothing loaded from the network, each page carrying a sidebar of all pages (index.ipynb is the home page).
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


NAV_CSS = ("<style>#medfair-nav{position:fixed;top:0;left:0;width:14rem;height:100%;overflow:auto;padding:1rem;"
           "background:#f7f7f9;border-right:1px solid #ddd;font:14px sans-serif}#medfair-nav a{display:block;margin:.2rem 0}"
           "body{margin-left:15rem!important}</style>")


def _order(rel: Path) -> tuple:
    return (0 if rel.stem == "index" else 1, rel.parts[:-1], rel.stem)


def static_site(out: Path = ROOT / "_site") -> list[Path]:
    "Render _proc/*.ipynb to out/*.html (index.ipynb becomes the home page), each page with a sidebar of all pages."
    from medfair.htmlreport import notebook_to_html
    proc = ROOT / "_proc"
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    rels = sorted((p.relative_to(proc) for p in proc.rglob("*.ipynb")
                   if not any(s.startswith((".", "_")) for s in p.relative_to(proc).parts)), key=_order)
    pages = []
    for rel in rels:
        body = notebook_to_html(proc / rel, title=rel.stem)   # plotly figures interactive, plotly.js inlined, no CDN
        up = "../" * (len(rel.parts) - 1)
        links = "".join(f'<a href="{up}{html.escape(r.with_suffix(".html").as_posix())}">{html.escape(r.with_suffix("").as_posix())}</a>'
                        for r in rels)
        nav = f'{NAV_CSS}<nav id="medfair-nav"><b>medfair</b>{links}</nav>'
        i = body.find(">", body.find("<body")) + 1
        body = body[:i] + nav + body[i:]
        dest = out / rel.with_suffix(".html")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(body, encoding="utf-8")
        pages.append(dest)
    return pages


def main() -> int:
    if shutil.which("quarto"):
        print("Quarto found: building the site with nbdev_docs into _docs/")
        _run([str(BIN / "nbdev_docs")])
        return 0
    print("Quarto not found: processing notebooks as nbdev_proc_nbs does, rendering static HTML with nbconvert into _site/")
    # Not the nbdev_proc_nbs command: when Quarto is missing it tries to install it and then runs `pip install -e .[dev]`
    # with the machine's pip configuration, which can swap the venv's torch for another build. Same steps, without that.
    _run([str(BIN / "python"), "-c", "from nbdev.config import get_config; from nbdev.quarto import proc_nbs, refresh_quarto_yml, "
          "nbdev_sidebar; refresh_quarto_yml(); nbdev_sidebar.__wrapped__(path=get_config().nbs_path); proc_nbs(get_config().nbs_path)"])
    pages = static_site()
    print(f"wrote {len(pages)} pages under _site/ (open _site/index.html)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
