"""The README's main-job command, run as a user would (its venv is the one running these tests)."""
import re
import subprocess
import sys

import nbformat

from conftest import ROOT, tool_env


def test_make_repro_writes_notebook_and_offline_html(tmp_path):
    runs = tmp_path / "runs"
    r = subprocess.run(["make", "repro", f"RUNS={runs}", f"VENV={sys.prefix}"], cwd=ROOT, env=tool_env(),
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    nb_path, html_path = runs / "00_cohort" / "00_cohort.ipynb", runs / "00_cohort" / "00_cohort.html"
    nb = nbformat.read(nb_path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "some cells did not run"
    assert not any(o.get("output_type") == "error" for c in code for o in c.outputs)
    n_figs = sum("application/vnd.plotly.v1+json" in o.get("data", {}) for c in code for o in c.outputs)
    page = html_path.read_text()
    assert n_figs >= 4 and page.count("Plotly.newPlot(") == n_figs   # every figure interactive in the HTML
    assert not re.search(r'<script[^>]*src="https?://', page), "the report loads scripts from the network"
