"""Sweeps on a real Ray cluster: a head and two workers started on localhost as separate processes (`ray start`), a 2 × 2
grid of the toy reproduction's `ci` preset run through it and through the local executor (same machine ⇒ the same
numbers), a failing run retried once and reported with its cell, and everything shut down. Skipped where Ray (the
`medfair[cluster]` extra) is not installed."""
import json
import socket
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import BIN, ROOT, tool_env

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'medfair[cluster]')")
RAY = BIN / "ray"
FIXTURES = ROOT / "tests" / "fixtures" / "repro"
NAME = "toy_claims"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    "A Ray head and two one-CPU workers on localhost (medfair.repro.localhost_cluster); afterwards none of its processes is left."
    from medfair.repro import localhost_cluster
    if not RAY.exists(): pytest.skip("the ray command is not installed in this environment")
    c = localhost_cluster(n_workers=2, cpus_per_worker=1)
    with c as addr:
        yield addr, c
    time.sleep(1)
    assert not c.processes(), [p.cmdline()[:3] for p in c.processes()]


def _sweep(out, *extra, timeout=900):
    cmd = [str(BIN / "medfair"), "repro", "sweep", NAME, "--root", str(FIXTURES), "-p", "effect", "0.3,0.6", "--seeds", "0,1",
           "--preset", "ci", "--out", str(out), *extra]
    return subprocess.run(cmd, cwd=ROOT, env=tool_env(RAY_USAGE_STATS_ENABLED="0"), capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow   # a real cluster: ~2.5 min with its start; in `make test-all`
@pytest.mark.xdist_group("ray_cluster")     # with pytest-xdist: both cluster tests on one worker, one cluster
def test_cluster_sweep_matches_the_local_executor(cluster, tmp_path):
    addr, _ = cluster
    r = subprocess.run([str(RAY), "status", f"--address={addr}"], env=tool_env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "2.0 CPU" in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]    # the two workers joined
    local = _sweep(tmp_path / "local", "--workers", "2")
    assert local.returncode == 0, local.stderr[-3000:]
    t0 = time.perf_counter()
    remote = _sweep(tmp_path / "ray", "--executor", "ray", "--address", addr)
    assert remote.returncode == 0, remote.stdout[-3000:] + remote.stderr[-3000:]
    for f in ("summary.csv", "claims.csv"):
        a, b = (pd.read_csv(tmp_path / d / NAME / f) for d in ("local", "ray"))
        pd.testing.assert_frame_equal(a, b)                     # the same numbers, to the last digit
    runs = pd.read_csv(tmp_path / "ray" / NAME / "runs.csv")
    assert len(runs) == 4 and (runs.status == "ok").all()
    for d in runs.run_dir:                                      # every run folder is complete, with its record
        rec = json.loads((Path(d) / "run.json").read_text())
        assert rec["status"] == "ok" and (Path(d) / "report.html").exists()
    # resumable: a second call finds every run complete and runs nothing (no run record is rewritten)
    before = {d: (Path(d) / "run.json").read_bytes() for d in runs.run_dir}
    again = _sweep(tmp_path / "ray", "--executor", "ray", "--address", addr)
    assert again.returncode == 0, again.stderr[-2000:]
    assert {d: (Path(d) / "run.json").read_bytes() for d in runs.run_dir} == before
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "ray" / NAME / "summary.csv"), pd.read_csv(tmp_path / "local" / NAME / "summary.csv"))
    assert time.perf_counter() - t0 < 600


@pytest.mark.slow   # a real cluster: ~2.5 min with its start; in `make test-all`
@pytest.mark.xdist_group("ray_cluster")
def test_cluster_reports_a_failed_run_with_its_cell_after_one_retry(cluster, tmp_path):
    addr, _ = cluster
    cmd = [str(BIN / "medfair"), "repro", "sweep", NAME, "--root", str(FIXTURES), "-p", "fail", "true", "--seeds", "0", "--preset", "ci",
           "--out", str(tmp_path), "--executor", "ray", "--address", addr]
    r = subprocess.run(cmd, cwd=ROOT, env=tool_env(RAY_USAGE_STATS_ENABLED="0"), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]                  # the sweep finishes and reports; it does not crash
    assert "failed after 2 attempt(s)" in r.stderr and "cell" in r.stderr and "asked to fail" in r.stderr, r.stderr[-3000:]
    html = (tmp_path / NAME / "summary.html").read_text()
    assert "failed 2 times" in html and "RuntimeError" in html
    runs = pd.read_csv(tmp_path / NAME / "runs.csv")
    assert (runs.status == "failed").all()
    assert len([p for p in (tmp_path / NAME).iterdir() if p.name.startswith(runs.run_dir[0].split("/")[-1] + ".")]) == 1   # the first attempt moved aside


def test_unreachable_cluster_is_a_clear_error(tmp_path):
    r = _sweep(tmp_path, "--executor", "ray", "--address", f"127.0.0.1:{_free_port()}", timeout=300)
    assert r.returncode == 2 and "cannot reach a Ray cluster" in r.stderr, r.stderr[-2000:]
