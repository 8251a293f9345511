"""The reproduction runner on a tiny fixture, tests/fixtures/repro/toy_claims.ipynb (no training: a second of numpy
once its kernel is up): claims evaluated into metrics.json, a report that opens with the run header and the verdict
table, verdict lines from the CLI and a per-claim tally from sweeps, bounds refused before anything runs, Ctrl-C
recorded as 'interrupted', and no run ever deleting an earlier one."""
import json
import shutil
import signal
import subprocess
import time

import pytest

from browser import CHROMIUM, browser, offline_page, serve
from conftest import BIN, ROOT, tool_env
from medfair.repro import ReproInterrupted, claim_verdict, find_reproductions, run_reproduction

FIX = ROOT / "tests" / "fixtures" / "repro"
NAME = "toy_claims"
SLEEP_CELL = 9   # index of the `time.sleep(sleep_s)` cell in the executed notebook (papermill inserts one cell)


def medfair(*args, timeout=300, **kw):
    "`medfair repro ...` on the fixture folder, as a user would run it."
    return subprocess.run([str(BIN / "medfair"), "repro", *map(str, args), "--root", str(FIX)], cwd=ROOT, env=tool_env(),
                          capture_output=True, text=True, timeout=timeout, **kw)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    "One real run of the fixture through the console script, shared by the tests that only read its folder."
    out = tmp_path_factory.mktemp("toy") / "run"
    r = medfair("run", NAME, "-p", "n_per_group", "300", "--seed", "0", "--preset", "ci", "--out", out, "--quiet")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r, out


# --- the verdict rule: a pure function, every branch -----------------------------------------------------------
@pytest.mark.parametrize("estimate, ci, expect, margin, verdict", [
    (0.30, (0.10, 0.50), "> 0", None, "reproduced"),
    (-0.30, (-0.50, -0.10), "> 0", None, "not reproduced"),      # CI excludes 0 on the other side
    (-0.02, (0.01, 0.20), "> 0", None, "not reproduced"),        # CI excludes 0, estimate on the wrong side
    (0.10, (-0.05, 0.25), "> 0", None, "inconclusive"),          # CI contains 0
    (0.10, (0.00, 0.20), "> 0", None, "inconclusive"),           # touching is not excluding
    (-0.30, (-0.50, -0.10), "< 0", None, "reproduced"),
    (0.30, (0.10, 0.50), "< 0", None, "not reproduced"),
    (-0.10, (-0.25, 0.05), "< 0", None, "inconclusive"),
    (0.08, (0.06, 0.10), "> 0.05", None, "reproduced"),
    (0.02, (0.01, 0.03), "> 0.05", None, "not reproduced"),
    (-0.20, (-0.30, -0.15), "< -0.1", None, "reproduced"),
    (0.01, (-0.05, 0.07), "== 0", None, "reproduced"),           # control arm: the effect vanishes
    (0.10, (0.04, 0.16), "== 0", None, "not reproduced"),
    (-0.10, (-0.16, -0.04), "== 0", None, "not reproduced"),
    (0.01, (-0.02, 0.03), "== 0", 0.05, "reproduced"),           # equivalence: CI within the margin
    (0.01, (-0.10, 0.12), "== 0", 0.05, "inconclusive"),         # contains 0 but too wide
    (0.10, (0.07, 0.13), "== 0", 0.05, "not reproduced"),
    (float("nan"), (0.1, 0.2), "> 0", None, "inconclusive"),     # a missing number is a result, not an error
    (0.1, (None, 0.2), "== 0", None, "inconclusive"),
])
def test_verdict_rule(estimate, ci, expect, margin, verdict):
    assert claim_verdict(estimate, ci, expect, margin) == verdict


def test_fixture_declares_bounds_and_claims():
    spec = find_reproductions(FIX)[NAME]
    assert spec.params["fractions"].bounds == (0, 1) and spec.params["n_per_group"].bounds == (10, 100_000)
    assert [(c.id, c.expect, c.control) for c in spec.claims] == [("gap", "> 0", False), ("control_gap", "== 0", True)]
    text = spec.describe()
    assert "(bounds [0, 1])" in text and "claim control_gap:" in text and "control arm" in text


# --- a real run: metrics.json, report.html, CLI output ------------------------------------------------------------
def test_metrics_json_holds_the_verdicts(toy_run):
    _, out = toy_run
    m = json.loads((out / "metrics.json").read_text())
    assert [(c["id"], c["verdict"]) for c in m["claims"]] == [("gap", "reproduced"), ("control_gap", "reproduced")]
    for c in m["claims"]:
        entry = m["claims_input"][c["id"]]
        assert (c["estimate"], c["ci"]) == (entry["estimate"], entry["ci"])
        assert set(c) == {"id", "claim", "metric", "expect", "control", "estimate", "ci", "verdict"}
    assert m["claims"][1]["control"] is True and m["claims"][1]["expect"] == "== 0"
    rec = json.loads((out / "run.json").read_text())
    assert rec["status"] == "ok" and rec["parameters"]["n_per_group"] == 300


def test_report_opens_with_header_then_verdicts_then_figures(toy_run):
    _, out = toy_run
    page = (out / "report.html").read_text()
    header, table, title, figure = (page.index(s) for s in ('id="medfair-run"', 'id="medfair-verdicts"', 'id="Toy-claims"', "Plotly.newPlot("))
    assert header < table < title < figure
    assert "skip_exec" not in page                                    # nbdev front matter is not shown as text
    top = page[header:table]
    for s in ("<code>toy_claims</code>", "status-ok", "<th>preset</th><td>ci</td>", "<th>seed</th><td>0</td>",
              "<code>n_per_group = 300</code> (default 400)", "git commit", "<th>device</th>", "<th>started</th>", "<th>duration</th>"):
        assert s in top, s
    assert "sleep_s" not in top and "metrics_path" not in top          # only parameters that differ from the defaults
    verdicts = page[table:page.index("</table>", table)]
    assert verdicts.count('class="verdict verdict-reproduced"') == 2 and "(control arm)" in verdicts


def test_run_writes_a_valid_passport_that_verifies(toy_run):
    from medfair.passport import validate_passport, verify_passport
    _, out = toy_run
    p = json.loads((out / "passport.json").read_text())
    validate_passport(p)
    assert verify_passport(p, out) == []                                   # every output file hashes to its entry
    assert [c["id"] for c in p["evaluation"]["claims"]] == ["gap", "control_gap"]
    assert p["training"]["n_per_group"] == 300 and "metrics_path" not in p["training"]
    roles = [e["role"] for e in p["traceability"]["entries"]]
    assert roles[:3] == ["input", "config", "code"] and roles.count("output") == 3
    assert json.loads((out / "run.json").read_text())["passport_head"] == p["traceability"]["head"]
    assert "AI passport" in (out / "passport.html").read_text()
    assert '<a href="passport.html">passport.html</a>' in (out / "report.html").read_text()      # the report links it
    copy = out.parent / "tampered"
    shutil.copytree(out, copy)
    (copy / "metrics.json").write_text((copy / "metrics.json").read_text().replace('"reproduced"', '"not reproduced"', 1))
    assert any("metrics.json" in m and "changed" in m for m in verify_passport(p, copy))


def test_cli_prints_one_line_per_claim(toy_run):
    r, out = toy_run
    m = json.loads((out / "metrics.json").read_text())
    lines = r.stdout.split("claims:\n")[1].splitlines()
    assert len(lines) == 2
    gap = m["claims"][0]
    assert lines[0].split()[0] == "REPRODUCED"
    assert f"Group B scores higher than group A when the mechanism is on: {gap['estimate']:.3g} [{gap['ci'][0]:.3g}, {gap['ci'][1]:.3g}]" in lines[0]
    assert "(control arm)" in lines[1] and "expected == 0" in lines[1]


# --- refused before anything runs -------------------------------------------------------------------------------------
@pytest.mark.parametrize("key, value, message", [
    ("fractions", "0.5,2", "parameter fractions: element 1 = 2 of [0.5, 2] is outside its bounds [0, 1]"),
    ("n_per_group", "5", "parameter n_per_group: 5 is outside its bounds [10, 100000]"),
])
def test_out_of_bounds_exits_2_before_any_folder(tmp_path, key, value, message):
    out = tmp_path / "never"
    r = medfair("run", NAME, "-p", key, value, "--out", out, timeout=60)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert not out.exists()


# --- Ctrl-C -------------------------------------------------------------------------------------------------------------
def test_interrupt_in_process_is_recorded(tmp_path, monkeypatch):
    "papermill's executor swapped for one that writes a partial notebook and then gets Ctrl-C: no kernel needed."
    import nbformat
    import papermill

    def interrupted(src, dest, parameters=None, **kw):
        nb = nbformat.read(src, as_version=4)
        for i, c in enumerate(nb.cells): c.metadata["papermill"] = {"status": "completed" if i < 5 else "running" if i == 5 else "pending"}
        nbformat.write(nb, dest)
        raise KeyboardInterrupt
    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    out = tmp_path / "run"
    with pytest.raises(ReproInterrupted) as info:
        run_reproduction(NAME, out=out, root=FIX, progress=False)
    assert isinstance(info.value, KeyboardInterrupt) and info.value.run_dir == out.resolve()
    rec = json.loads((out / "run.json").read_text())
    assert (rec["status"], rec["interrupted_cell"]) == ("interrupted", 5) and "finished" in rec
    assert (out / f"{NAME}.ipynb").exists() and not (out / "metrics.json").exists()
    assert "status-interrupted" in (out / "report.html").read_text()


def test_ctrl_c_on_a_real_run(tmp_path):
    "SIGINT to `medfair repro run` while the notebook sleeps: exit 130, run.json 'interrupted', partial notebook kept."
    out = tmp_path / "run"
    p = subprocess.Popen([str(BIN / "medfair"), "repro", "run", NAME, "--root", str(FIX), "--out", str(out), "--quiet", "-p", "sleep_s", "120"],
                         cwd=ROOT, env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))   # a shell's background job would ignore SIGINT

    def sleeping() -> bool:
        try: nb = json.loads((out / f"{NAME}.ipynb").read_text())
        except (OSError, ValueError): return False
        return nb["cells"][SLEEP_CELL]["metadata"].get("papermill", {}).get("status") == "running"
    try:
        t0 = time.time()
        while not sleeping():
            assert p.poll() is None and time.time() - t0 < 120, "the run never reached the sleep cell"
            time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None: p.kill(); p.wait()
    assert p.returncode == 130, err[-3000:]
    assert "interrupted; the partial run is kept in" in err
    rec = json.loads((out / "run.json").read_text())
    assert (rec["status"], rec["interrupted_cell"]) == ("interrupted", SLEEP_CELL)
    nb = json.loads((out / f"{NAME}.ipynb").read_text())
    assert "time.sleep" in "".join(nb["cells"][SLEEP_CELL]["source"])
    assert not (out / "metrics.json").exists() and (out / "report.html").exists()


# --- never delete an earlier run ---------------------------------------------------------------------------------------
def test_existing_run_is_refused_or_moved_aside_never_deleted(toy_run, tmp_path):
    _, done = toy_run
    out = tmp_path / "run"
    shutil.copytree(done, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    r = medfair("run", NAME, "--out", out, "--quiet", timeout=60)
    assert r.returncode == 2 and "already holds a run (status ok" in r.stderr and "--force" in r.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before           # refused: not a byte changed
    r = medfair("run", NAME, "--out", out, "--quiet", "--force", "-p", "fail", "true")  # a rerun that fails
    assert r.returncode == 1 and "RuntimeError: asked to fail" in r.stderr
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("run.")]
    assert len(aside) == 1 and {p.name: p.read_bytes() for p in aside[0].iterdir()} == before   # the earlier result, intact
    rec = json.loads((out / "run.json").read_text())
    assert rec["status"] == "failed" and rec["previous_run_moved_to"] == str(aside[0])
    assert not (out / "metrics.json").exists()


# --- sweeps tally the verdicts -----------------------------------------------------------------------------------------
def test_sweep_tallies_each_claim_across_seeds(tmp_path):
    r = medfair("sweep", NAME, "-p", "effect", "0.5", "--seeds", "0,1", "--out", tmp_path, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    tally = [line.strip() for line in r.stdout.split("claims across seeds:\n")[1].splitlines()]
    assert "effect=0.5  Group B scores higher than group A when the mechanism is on: reproduced in 2/2 seeds" in tally
    assert any(line.startswith("effect=0.5  With the mechanism off, the two groups score alike: ") for line in tally)
    assert (tmp_path / NAME / "claims.csv").exists()


# --- the report in a real browser ----------------------------------------------------------------------------------------
@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make test installs it with apt where it can)")
def test_report_header_and_verdicts_visible_in_browser(toy_run, tmp_path):
    _, out = toy_run
    with serve(out) as base, browser() as b:
        blocked, errors = [], []
        page = offline_page(b, blocked)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/report.html", wait_until="load")
        page.wait_for_function("() => document.querySelector('.plotly-graph-div svg.main-svg') !== null", timeout=15_000)
        header, table = page.locator("#medfair-run"), page.locator("#medfair-verdicts")
        assert header.is_visible() and table.is_visible()
        assert header.bounding_box()["y"] < 200                                   # at the top of the page
        assert table.bounding_box()["y"] < page.locator(".plotly-graph-div").first.bounding_box()["y"]
        rows = page.locator("#medfair-verdicts tbody tr")
        assert rows.count() == 2 and rows.nth(0).locator(".verdict").inner_text() == "reproduced"
        color = rows.nth(0).locator(".verdict").evaluate("e => getComputedStyle(e).backgroundColor")
        assert color == "rgb(218, 251, 225)"                                      # coloured, green for reproduced
        assert "skip_exec" not in page.inner_text("body")
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")
        assert not errors and not blocked, (errors, blocked)
