"""Benchmark: Mondrian conformal calibration + prediction sets for 100,000 samples x 14 classes x 20 groups (issue 17:
target < 1 s), with crepes' ConformalClassifier on the same scores timed in the same run (non-smoothed p-values, so both
give the same sets; checked before timing). Run: `python benchmarks/conformal.py [--n 100000 --k 14 --groups 20]`."""
import argparse
import time

import numpy as np
from crepes import ConformalClassifier
from crepes.extras import hinge

from medfair.conformal import MondrianConformal
from medfair.core import system_info


def best_of(fn, rounds):
    t = []
    for _ in range(rounds):
        t0 = time.perf_counter(); out = fn(); t.append(time.perf_counter() - t0)
    return min(t), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000); ap.add_argument("--k", type=int, default=14)
    ap.add_argument("--groups", type=int, default=20); ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    pc, pt = rng.dirichlet(np.ones(a.k), a.n), rng.dirichlet(np.ones(a.k), a.n)
    yc = (rng.random(a.n)[:, None] > np.cumsum(pc, 1)).sum(1).clip(0, a.k - 1)
    gc, gt = rng.integers(0, a.groups, a.n), rng.integers(0, a.groups, a.n)
    ours = lambda: MondrianConformal(alpha=0.1).fit(pc, yc, gc).predict_sets(pt, gt)
    def theirs():
        cc = ConformalClassifier().fit(hinge(pc, np.arange(a.k), yc), bins=gc)
        return cc.predict_set(hinge(pt), bins=gt, confidence=0.9, smoothing=False).astype(bool)
    assert (ours() == theirs()).all(), "medfair and crepes disagree"
    t_ours, _ = best_of(ours, a.rounds)
    t_ref, _ = best_of(theirs, a.rounds)
    print(system_info())
    print(f"Mondrian conformal, {a.n:,} calibration + {a.n:,} test samples x {a.k} classes x {a.groups} groups (best of {a.rounds}):")
    print(f"  medfair {t_ours:.3f} s   crepes {t_ref:.3f} s   ratio crepes/medfair {t_ref / t_ours:.2f}x   target < 1 s: {'met' if t_ours < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
