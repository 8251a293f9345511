"""Scheduling overhead of the Ray sweep executor against the local one (issue target: <= 2 s extra per task).

The same 8-run grid (the toy reproduction of tests/fixtures/repro, `ci` preset, 4 effects x 2 seeds) runs through the
local executor (2 subprocesses at a time) and through a localhost Ray cluster (`medfair.repro.localhost_cluster`: a
head and 2 one-CPU workers, started before the timing). Both run 2 tasks at a time, so the extra wall time per task is
(t_ray - t_local) x 2 / 8. Rounds alternate between the executors; the best round of each counts.

    .venv/bin/python benchmarks/sweep_overhead.py [--rounds 2]
"""
import argparse
import shutil
import tempfile
import time
from pathlib import Path

from medfair.repro import localhost_cluster, sweep

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "repro"
GRID = {"effect": [0.2, 0.4, 0.6, 0.8]}
SEEDS = [0, 1]
N, PARALLEL = len(GRID["effect"]) * len(SEEDS), 2


def timed(**kw) -> float:
    out = Path(tempfile.mkdtemp(prefix="mfsweep"))
    try:
        t0 = time.perf_counter()
        sweep("toy_claims", GRID, SEEDS, "ci", out, workers=PARALLEL, root=FIXTURES, progress=False, **kw)
        return time.perf_counter() - t0
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args(argv)
    t_start = time.perf_counter()
    with localhost_cluster(n_workers=PARALLEL, cpus_per_worker=1) as address:
        t_cluster = time.perf_counter() - t_start
        loc, ray = [], []
        for _ in range(a.rounds):
            loc.append(timed(executor="local"))
            ray.append(timed(executor="ray", address=address))
    tl, tr = min(loc), min(ray)
    extra = (tr - tl) * PARALLEL / N
    print(f"grid: {N} runs of the toy reproduction ({PARALLEL} at a time); cluster start {t_cluster:.1f} s (not counted)")
    print(f"local executor: {tl:.1f} s   ray executor on the localhost cluster: {tr:.1f} s   (best of {a.rounds}; all: {loc} / {ray})")
    print(f"ratio ray / local: {tr / tl:.2f}; extra per task: {extra:+.2f} s (target <= 2 s)")


if __name__ == "__main__":
    main()
