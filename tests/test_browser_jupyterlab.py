"""The audit toolkit's ipywidgets dashboard in a real JupyterLab (localhost), driven by headless Chromium:
open a notebook, run it, move a group's threshold slider, read the updated TPR."""
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request

import nbformat
import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

from browser import CHROMIUM, browser, free_port, offline_page
from conftest import BIN, tool_env

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make test installs it with apt where it can)")

SETUP = """import numpy as np
from medfair.plots import ThresholdDashboard
rng = np.random.default_rng(0)
y = rng.integers(0, 2, 600)
s = np.clip(0.35 * y + 0.65 * rng.random(600), 0, 1)
g = np.where(rng.random(600) < 0.5, "F", "M")"""


def _data():
    ns = {}
    exec(SETUP.replace("from medfair.plots import ThresholdDashboard", ""), ns)
    return ns["y"], ns["s"], ns["g"]


@pytest.fixture()
def lab(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(SETUP),
                nbformat.v4.new_code_cell("dash = ThresholdDashboard(y, s, g, thresholds=0.5, show_roc=False)\ndash.widget")]
    nbformat.write(nb, tmp_path / "dashboard.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    env = tool_env(JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
                   JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "ws"))
    proc = subprocess.Popen([str(BIN / "jupyter"), "lab", "--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
                             f"--IdentityProvider.token={token}", "--allow-root", f"--ServerApp.root_dir={tmp_path}", "--ServerApp.open_browser=False",
                             "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                            env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2); break
        except Exception:
            if proc.poll() is not None: break
            time.sleep(0.5)
    else:
        proc.kill(); pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
    yield base, token, tmp_path
    proc.terminate()
    try: proc.wait(20)
    except subprocess.TimeoutExpired: proc.kill()


def _tpr_from_table(text_rows, group):
    header = text_rows[0]
    row = next(r for r in text_rows if r and r[0] == group)
    return float(row[header.index("tpr")])


ROWS_JS = """() => Array.from(document.querySelectorAll('.jp-OutputArea .widget-html-content table tr')).map(
    tr => Array.from(tr.children).map(c => c.textContent.trim()))"""


def test_dashboard_slider_updates_tpr(lab, tmp_path):
    base, token, folder = lab
    y, s, g = _data()
    with browser() as b:
        blocked = []
        page = offline_page(b, blocked)
        page.set_default_timeout(90_000)
        page.goto(f"{base}/lab/tree/dashboard.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", state="visible")
        page.wait_for_selector("text=| Idle", timeout=90_000)          # kernel started
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        try: page.wait_for_selector(".jp-OutputArea .widget-slider", timeout=120_000)
        except Exception:
            page.screenshot(path=str(tmp_path / "failed.png")); print("failed screenshot", tmp_path / "failed.png"); raise
        page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea .widget-html-content table tr').length >= 3")
        rows = page.evaluate(ROWS_JS)
        tn, fp, fn, tp = confusion_matrix(y[g == "F"], s[g == "F"] >= 0.5, labels=[0, 1]).ravel()
        assert _tpr_from_table(rows, "F") == pytest.approx(tp / (tp + fn), abs=5e-4)
        # move the F slider as a user does: click its handle, press the arrow key 20 times (step 0.01 → 0.70)
        slider = page.locator(".jp-OutputArea .widget-slider", has_text="F").first
        handle = slider.locator(".noUi-handle").first
        handle.click()
        for _ in range(20): handle.press("ArrowRight")
        page.wait_for_function("() => Array.from(document.querySelectorAll('.jp-OutputArea .widget-readout')).some(e => e.textContent.trim() === '0.70')")
        page.wait_for_timeout(1500)
        rows = page.evaluate(ROWS_JS)
        tn, fp, fn, tp = confusion_matrix(y[g == "F"], s[g == "F"] >= 0.70 - 1e-12, labels=[0, 1]).ravel()
        assert _tpr_from_table(rows, "F") == pytest.approx(tp / (tp + fn), abs=5e-4)
        th = float(next(r for r in rows if r and r[0] == "F")[rows[0].index("threshold")])
        assert th == pytest.approx(0.70, abs=1e-9)
        page.screenshot(path=str(tmp_path / "jupyterlab_dashboard.png"))
        print(f"screenshot: {tmp_path / 'jupyterlab_dashboard.png'}")
    assert not [u for u in blocked if "127.0.0.1" not in u], blocked
