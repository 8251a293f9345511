"""Benchmark: Reverse Classification Accuracy time per test image against K references, for every registration method,
with its accuracy beside it (issue 20). Accuracy = lung Dice of the warped references with the test image's (hidden)
ground truth: the best of the K (what RCA-max relies on) and the mean. The reference point measured in the same run is
the 'none' method (labels copied without registration): the ratio says what each registration costs over no
registration. Run: `python benchmarks/rca.py [--n-test 40 --refs 60 --k 2,4,8,16 --size 64 --workers 1]`."""
import argparse
import time

import numpy as np

from medfair.cohort import CohortConfig, generate_cohort
from medfair.core import system_info
from medfair.rca import REGISTRATION_METHODS, build_atlas
from medfair.segment import masks_to_labelmap


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-test", type=int, default=40); ap.add_argument("--refs", type=int, default=60)
    ap.add_argument("--k", default="2,4,8,16"); ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--methods", default=",".join(REGISTRATION_METHODS))
    a = ap.parse_args()
    ks = [int(x) for x in a.k.split(",")]
    c = generate_cohort(CohortConfig(n_subjects=a.n_test + a.refs, image_size=a.size), seed=0, workers=2)
    labels = masks_to_labelmap(c.masks)
    te, ref = np.arange(a.n_test), np.arange(a.n_test, a.n_test + a.refs)
    print(system_info())
    print(f"RCA atlas: {a.n_test} test images of {a.size}x{a.size} px, {a.refs} references, {a.workers} worker(s)")
    print(f"{'method':8s} {'K':>3s} {'ms/image':>9s} {'ms/registration':>16s} {'best-ref Dice':>14s} {'mean Dice':>10s} {'vs none':>8s}")
    base = {}
    methods = a.methods.split(",")
    for method in sorted(methods, key=lambda m: m != "none"):          # the reference first
        for k in ks:
            t0 = time.perf_counter()
            atlas = build_atlas(c.images[te], c.images[ref], labels[ref], k=k, method=method, workers=a.workers)
            sec = time.perf_counter() - t0
            d = atlas.registration_dice(labels[te])
            if method == "none": base[k] = sec
            ratio = f"{sec / base[k]:7.0f}x" if k in base and method != "none" else "      —"
            print(f"{method:8s} {k:3d} {1000 * sec / a.n_test:9.1f} {1000 * sec / (a.n_test * k):16.1f} {d.max(1).mean():14.3f} {d.mean():10.3f} {ratio}")


if __name__ == "__main__":
    main()
