"""Build the site: `nbdev_docs` when Quarto is on PATH, otherwise a static HTML folder.

Without Quarto: `nbdev_proc_nbs` processes the notebooks into _proc/ (as nbdev_docs would), then
nbconvert (through medfair.htmlreport) renders each processed notebook to _site/<name>.html with
plotly.js embedded once per page and nothing loaded from the network. Each page is titled from its notebook (front
matter or first heading); show_doc cells appear as their rendered markdown (no directives, no Quarto attributes);
widgets as a note (no kernel runs on a static page); a grouped sidebar (Home, Course labs, Reference, Reproductions, Benchmarks — benchmarks/README.md)
marks the current page and filters by a search box over titles and headings; previous/next links close each page.
"""
from __future__ import annotations
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(cmd: list[str]) -> None:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    subprocess.run(cmd, cwd=ROOT, check=True, env=env)


SITE_CSS = """<style>
#medfair-nav{position:fixed;top:0;left:0;width:15rem;height:100%;overflow:auto;padding:1rem;box-sizing:border-box;
  background:#f7f7f9;border-right:1px solid #ddd;font:14px/1.35 sans-serif}
#medfair-nav a{display:block;margin:.15rem 0;padding:.1rem .3rem;color:#1f4e79;text-decoration:none;border-radius:3px}
#medfair-nav a:hover{background:#e6ecf3}
#medfair-nav a.current{background:#1f4e79;color:#fff;font-weight:600}
#medfair-nav h4{margin:.9rem 0 .2rem;font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#666}
#medfair-search{width:100%;box-sizing:border-box;margin:.5rem 0;padding:.3rem;font:13px sans-serif}
body{margin-left:16rem!important}
.medfair-title{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;padding-left:.5rem}.medfair-title h1{margin-top:.5rem}.medfair-title .lead{font-size:1.05em;color:#444}
.medfair-pager{display:flex;justify-content:space-between;margin:2rem 0 1rem;padding-top:1rem;border-top:1px solid #ddd;font:14px sans-serif}
.jp-RenderedHTMLCommon table{display:block;overflow-x:auto;max-width:100%}
.medfair-widget{border:1px dashed #999;padding:.6rem;background:#fafafa;font:14px sans-serif}
</style>"""
SEARCH_JS = """<script>
document.addEventListener('DOMContentLoaded', function () {
  var box = document.getElementById('medfair-search');
  if (!box) return;
  box.addEventListener('input', function () {
    var q = box.value.trim().toLowerCase();
    document.querySelectorAll('#medfair-nav a').forEach(function (a) {
      a.style.display = (!q || (a.dataset.search || '').indexOf(q) >= 0) ? '' : 'none';
    });
  });
});
</script>"""
GROUPS = (("", "Home"), ("labs", "Course labs"), ("ref", "Reference"), ("repro", "Reproductions"), ("benchmarks", "Benchmarks"))
BENCHMARKS = Path("benchmarks/benchmarks.ipynb")             # the page made from benchmarks/README.md
_ATTRS = re.compile(r'\{target="_blank"[^}]*\}')             # Quarto link attributes nbdev's show_doc writes
_WIDGET = "application/vnd.jupyter.widget-view+json"
_IPYNB_LINK = re.compile(r'href="(?!https?:)([^"#]+)\.ipynb(#[^"]*)?"')
_PROGRESS = re.compile(r"\d+%\|")                        # tqdm's widget text: "write DICOM:   0%|          | 0/24"


def _order(rel: Path) -> tuple:
    return ([g for g, _ in GROUPS].index(_group(rel)), rel.stem != "course", rel.stem)   # the course guide heads the labs


def _group(rel: Path) -> str:
    if rel.stem == "index" and len(rel.parts) == 1: return ""
    if rel.stem == "course" and len(rel.parts) == 1: return "labs"
    return rel.parts[0] if len(rel.parts) > 1 and rel.parts[0] in ("labs", "repro", "benchmarks") else "ref"


def _front_matter(nb) -> dict:
    "The YAML front matter nbdev's processing puts in a leading raw cell (title, description), or {}."
    import yaml
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.startswith("---"):
            try: return yaml.safe_load(cell.source.strip().strip("-")) or {}
            except yaml.YAMLError: return {}
        if cell.source.strip(): break
    return {}


def prepare(nb, stem: str) -> tuple[str, str, str]:
    """Make a processed notebook readable as a static page (in place): show_doc cells become their markdown (no
    `#| echo: false` source, no Quarto link attributes), directive lines leave code cells, widgets become a note.
    Returns (title, description, search text)."""
    import nbformat
    fm = _front_matter(nb)
    heads = []
    cells = []
    for c in nb.cells:
        if c.cell_type == "code":
            lines = c.source.split("\n")
            directives = [l for l in lines if l.startswith("#|")]
            if any("echo: false" in d for d in directives) and c.outputs and all("text/markdown" in o.get("data", {}) for o in c.outputs):
                cells.append(nbformat.v4.new_markdown_cell(_ATTRS.sub("", "\n\n".join(o["data"]["text/markdown"] for o in c.outputs))))
                continue
            c.source = "\n".join(l for l in lines if not l.startswith("#|")).strip("\n")
            for o in c.get("outputs", []):
                d = o.get("data", {})
                if _WIDGET in d:                          # no kernel here: explain, and show the widget's own snapshot if it has one
                    plain = "".join(d.get("text/plain", ""))
                    if _PROGRESS.search(plain):             # a progress bar: its saved text is its first state (0 %), not news
                        o["data"] = {}
                    else:
                        o["data"] = {"text/html": '<div class="medfair-widget"><b>Interactive widget</b>: live only in a running '
                                     "notebook (open it in JupyterLab with <code>make lab</code>); "
                                     + ("below, a snapshot of its state when the notebook was run." if "text/html" in d else
                                        "this page has no kernel to run it.") + "</div>" + "".join(d.get("text/html", ""))}
                elif "text/markdown" in d: d["text/markdown"] = _ATTRS.sub("", d["text/markdown"])
            c.outputs = [o for o in c.get("outputs", []) if o.get("output_type") not in ("display_data", "execute_result") or o.get("data")]
        elif c.cell_type == "markdown":
            c.source = _ATTRS.sub("", c.source)
            heads += [l.lstrip("#").strip() for l in c.source.splitlines() if l.startswith("#")]
        cells.append(c)
    nb.cells = cells
    title = str(fm.get("title") or next((h for h in heads), None) or stem)
    desc = str(fm.get("description") or "")
    return title, desc, " ".join([stem, title, desc, *heads]).lower()


def static_site(out: Path = ROOT / "_site") -> list[Path]:
    """Render _proc/*.ipynb to out/*.html (index.ipynb becomes the home page): each page titled from its notebook, with a
    grouped sidebar (current page marked, a search box over titles and headings) and previous/next links."""
    import nbformat
    from medfair.htmlreport import notebook_to_html
    proc = ROOT / "_proc"
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    rels = sorted([p.relative_to(proc) for p in proc.rglob("*.ipynb")
                   if not any(s.startswith((".", "_")) for s in p.relative_to(proc).parts)] + [BENCHMARKS], key=_order)
    nbs, meta = {}, {}
    for rel in rels:
        nb = (nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell((ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8"))])
              if rel == BENCHMARKS else nbformat.read(proc / rel, as_version=4))
        meta[rel] = prepare(nb, rel.stem)
        nbs[rel] = nb
    pages = []
    for k, rel in enumerate(rels):
        title, desc, _ = meta[rel]
        up = "../" * (len(rel.parts) - 1)
        href = lambda r: up + html.escape(r.with_suffix(".html").as_posix())
        nav = [f'<nav id="medfair-nav"><b>medfair</b><input id="medfair-search" type="search" placeholder="Search pages" aria-label="Search pages">']
        for g, label in GROUPS:
            members = [r for r in rels if _group(r) == g]
            if not members: continue
            nav.append(f"<h4>{label}</h4>")
            for r in members:
                cur = ' class="current" aria-current="page"' if r == rel else ""
                nav.append(f'<a href="{href(r)}"{cur} title="{html.escape(r.with_suffix("").as_posix())}" '
                           f'data-search="{html.escape(meta[r][2])}">{html.escape(meta[r][0])}</a>')
        nav.append("</nav>")
        prev_ = f'<a rel="prev" href="{href(rels[k - 1])}">← {html.escape(meta[rels[k - 1]][0])}</a>' if k > 0 else "<span></span>"
        next_ = f'<a rel="next" href="{href(rels[k + 1])}">{html.escape(meta[rels[k + 1]][0])} →</a>' if k + 1 < len(rels) else "<span></span>"
        head = f'<div class="medfair-title"><h1>{html.escape(title)}</h1>' + (f'<p class="lead">{html.escape(desc)}</p>' if desc else "") + "</div>"
        body = notebook_to_html(nbs[rel], title=f"{title} — medfair", extra_head=SITE_CSS + SEARCH_JS, prepend_html=head)
        i = body.find(">", body.find("<body")) + 1
        body = body[:i] + "".join(nav) + body[i:]
        body = body.replace("</body>", f'<nav class="medfair-pager">{prev_}{next_}</nav></body>', 1)
        body = _IPYNB_LINK.sub(r'href="\1.html\2"', body)   # links between notebooks point at their pages (Quarto does the same)
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
