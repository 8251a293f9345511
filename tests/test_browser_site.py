"""The rendered site in a real browser (headless Chromium, network cut off): every plotly figure draws,
no console errors, every sidebar link resolves; every page has a title and a heading, shows no raw markup (directives,
Quarto attributes, front matter, widget reprs), marks itself in a grouped sidebar (Home, Course labs, Reference, Reproductions, Benchmarks), and the search box filters it;
the course page links every lab; the threshold dashboard shows a static snapshot; progress bars leave no trace. Needs Debian's chromium (`make test` installs it when it can)."""
import pytest

from browser import CHROMIUM, browser, offline_page, serve
from conftest import ROOT

pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make test installs it with apt where it can)"),
              pytest.mark.xdist_group("site")]   # with pytest-xdist: on the worker that builds the site (conftest.built_site)

FIGS_JS = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => ({
    id: d.id, svg: d.querySelectorAll('svg.main-svg').length,
    traces: (d._fullData || []).length,
    drawn: d.querySelectorAll('g.trace, g.im image, g.hm image, .barlayer .point, .boxlayer .trace').length}))"""
PAGE_JS = """() => ({title: document.title, h1: !!document.querySelector('h1'), text: document.body.innerText,
    top: (document.querySelector('main') || document.body).innerText.slice(0, 400),
    current: Array.from(document.querySelectorAll('#medfair-nav a.current')).map(a => a.href),
    groups: Array.from(document.querySelectorAll('#medfair-nav h4')).map(h => h.textContent),
    content_links: Array.from(document.querySelectorAll('a')).filter(a => !a.closest('#medfair-nav') && !a.closest('.medfair-pager')).map(a => a.href),
    images: Array.from(document.querySelectorAll('img')).map(img => ({alt: img.alt, w: img.naturalWidth}))})"""
RAW_MARKUP = ("#| ", 'target="_blank"', "VBox(children", "show_doc(")   # directives, Quarto attributes, widget reprs
GROUP_NAMES = ["Home", "Course labs", "Reference", "Reproductions", "Benchmarks"]
DRAWN_JS = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).every(
    d => d.querySelectorAll('g.trace, g.im image, g.hm image, .barlayer .point').length > 0)"""


@pytest.fixture(scope="module")
def site(built_site):
    assert built_site.returncode == 0, built_site.stdout[-2000:] + built_site.stderr[-2000:]
    if "Quarto found" in built_site.stdout: pytest.skip("Quarto built the site into _docs/ (its own layout)")
    return ROOT / "_site"


def test_every_page_renders_offline(site, tmp_path):
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert "index.html" in pages and "course.html" in pages and "benchmarks/benchmarks.html" in pages and len(pages) >= 10
    problems, n_figs, status = [], 0, {}
    with serve(site) as base, browser() as b:
        for rel in pages:
            blocked, errors = [], []
            page = offline_page(b, blocked)
            page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
            resp = page.goto(f"{base}/{rel}", wait_until="load")
            assert resp.status == 200, rel
            try: page.wait_for_function(DRAWN_JS, timeout=15_000)
            except Exception: pass  # reported figure by figure below
            figs = page.evaluate(FIGS_JS)
            n_figs += len(figs)
            for f in figs:
                if not (f["svg"] and f["traces"] and f["drawn"]): problems.append(f"{rel}: figure {f['id']} not drawn {f}")
            if errors: problems.append(f"{rel}: console errors {errors[:3]}")
            if blocked: problems.append(f"{rel}: tried the network {blocked[:3]}")
            info = page.evaluate(PAGE_JS)
            if info["title"].split(" — ")[0].strip() in ("", rel.rsplit("/", 1)[-1][:-5]): problems.append(f"{rel}: tab titled {info['title']!r}")
            if not info["h1"]: problems.append(f"{rel}: no page heading")
            leaks = [m for m in RAW_MARKUP if m in info["text"]]
            if leaks: problems.append(f"{rel}: raw markup on the page {leaks}")
            if "skip_exec" in info["top"] or info["top"].lstrip().startswith("---"): problems.append(f"{rel}: front matter shown: {info['top'][:80]!r}")
            if info["current"] != [page.url]: problems.append(f"{rel}: the sidebar marks {info['current']} as current")
            if info["groups"] != GROUP_NAMES: problems.append(f"{rel}: the sidebar's groups are {info['groups']}")
            if "0%|" in info["text"]: problems.append(f"{rel}: a progress bar's first state is shown")
            if rel == "course.html":                      # every lab is reachable from the course page, and its links resolve
                lab_pages = [p for p in pages if p.startswith("labs/")]
                linked = {h.split("/labs/")[-1] for h in info["content_links"] if "/labs/" in h}
                missing = [p for p in lab_pages if p.split("/")[-1] not in linked]
                if len(lab_pages) < 8 or missing: problems.append(f"course page: labs not linked {missing} (of {lab_pages})")
                for h in info["content_links"]:
                    if h.startswith(base) and h not in status: status[h] = page.request.get(h.split("#")[0]).status
                    if h.startswith(base) and status[h] != 200: problems.append(f"course page: link {h} broken")
            if rel == "06_fairness_audit.html":           # the dashboard: an explanation and a static snapshot (its table and ROC picture)
                if "Snapshot of the dashboard" not in info["text"] or not any(i["alt"].startswith("ROC by group") and i["w"] > 100 for i in info["images"]):
                    problems.append(f"{rel}: the threshold dashboard has no static snapshot")
            if rel == "benchmarks/benchmarks.html" and "augment.py" not in info["text"]: problems.append(f"{rel}: the benchmarks page lacks its table")
            links = page.eval_on_selector_all("#medfair-nav a", "els => els.map(a => a.href)")
            assert len(links) == len(pages), f"{rel}: sidebar has {len(links)} links for {len(pages)} pages"
            for href in links:
                if href not in status: status[href] = page.request.get(href).status   # each distinct target fetched once
                if status[href] != 200: problems.append(f"{rel}: sidebar link {href} broken")
            if rel == "index.html":                       # the search box filters the sidebar
                page.fill("#medfair-search", "reverse classification")
                shown = page.evaluate("() => Array.from(document.querySelectorAll('#medfair-nav a')).filter(a => a.offsetParent !== null).map(a => a.href)")
                if not shown or len(shown) >= len(pages) or not any("23_rca" in h for h in shown): problems.append(f"search shows {shown[:5]}")
            if rel == "06_fairness_audit.html":
                shot = tmp_path / "06_fairness_audit.png"
                page.screenshot(path=str(shot), full_page=False)
                print(f"screenshot: {shot}")
                assert shot.stat().st_size > 10_000
            page.context.close()
    assert not problems, "\n".join(problems)
    assert n_figs >= 20, f"only {n_figs} figures across the site"
