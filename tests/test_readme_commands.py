"""The README's main-job command, run as a user would (its venv is the one running these tests)."""
import json
import re
import subprocess
import sys

import nbformat

from conftest import ROOT, tool_env


def test_make_repro_runs_the_headline_reproduction(tmp_path):
    runs = tmp_path / "runs"
    # the README's command with the small `ci` preset (its CPU default takes ~4 min and is checked by the 5-seed tally)
    r = subprocess.run(["make", "repro", f"RUNS={runs}", f"VENV={sys.prefix}", "REPRO_ARGS=--quiet --preset ci"], cwd=ROOT, env=tool_env(),
                       capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = runs / "gender_imbalance"
    rec = json.loads((out / "run.json").read_text())
    assert rec["status"] == "ok" and rec["preset"] == "ci"
    # the verdicts are printed at the end of the run, and the headline claim is reproduced
    assert re.search(r"REPRODUCED\s+The sex gap AUROC\(F\) − AUROC\(M\) rises", r.stdout), r.stdout[-3000:]
    nb = nbformat.read(out / "gender_imbalance.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "some cells did not run"
    assert not any(o.get("output_type") == "error" for c in code for o in c.outputs)
    n_figs = sum("application/vnd.plotly.v1+json" in o.get("data", {}) for c in code for o in c.outputs)
    page = (out / "report.html").read_text()
    assert n_figs >= 1 and page.count("Plotly.newPlot(") == n_figs   # every figure interactive in the HTML
    assert not re.search(r'<script[^>]*src="https?://', page), "the report loads scripts from the network"
    verdicts = {c["id"]: c["verdict"] for c in json.loads((out / "metrics.json").read_text())["claims"]}
    # the headline claim on the ci preset's fixed seed, and the control arm's null (overlay removed: no trend)
    assert verdicts["gap_slope"] == "reproduced" and verdicts["control_gap_slope"] == "reproduced", verdicts
