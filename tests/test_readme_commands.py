"""The README's main-job command, run as a user would (its venv is the one running these tests)."""
import json
import re
import subprocess
import sys

import nbformat

from conftest import ROOT, tool_env


def test_make_repro_runs_the_headline_reproduction(tmp_path):
    runs = tmp_path / "runs"
    r = subprocess.run(["make", "repro", f"RUNS={runs}", f"VENV={sys.prefix}", "REPRO_ARGS=--quiet"], cwd=ROOT, env=tool_env(),
                       capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = runs / "gender_imbalance"
    rec = json.loads((out / "run.json").read_text())
    import torch
    assert rec["status"] == "ok" and rec["preset"] == ("gpu" if torch.cuda.is_available() else "ci")
    nb = nbformat.read(out / "gender_imbalance.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "some cells did not run"
    assert not any(o.get("output_type") == "error" for c in code for o in c.outputs)
    n_figs = sum("application/vnd.plotly.v1+json" in o.get("data", {}) for c in code for o in c.outputs)
    page = (out / "report.html").read_text()
    assert n_figs >= 1 and page.count("Plotly.newPlot(") == n_figs   # every figure interactive in the HTML
    assert not re.search(r'<script[^>]*src="https?://', page), "the report loads scripts from the network"
    assert json.loads((out / "metrics.json").read_text())
