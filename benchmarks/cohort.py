"""Speed of synthetic-cohort generation (images, masks and landmarks).

Usage: python benchmarks/cohort.py [n_subjects] [image_size]
Prints images/s and the time for 1,000 subjects at 256 x 256 (target: under 10 s on 2 CPU cores).
"""
import os
import sys
import time

from medfair.cohort import CohortConfig, generate_cohort


def bench(n: int, size: int, seed: int = 0) -> float:
    t = time.perf_counter()
    c = generate_cohort(CohortConfig(n_subjects=n, image_size=size), seed=seed)
    dt = time.perf_counter() - t
    assert c.images.shape == (n, size, size) and c.masks.shape == (n, 3, size, size)
    return dt


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    print(f"cpu cores visible: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    bench(5, size)  # warm caches (grids, low-pass factors)
    for s in sorted({64, 128, size}):
        m = n if s == size else min(n, 200)
        dt = bench(m, s)
        print(f"{s:4d} px: {m} subjects in {dt:6.2f} s = {m / dt:7.1f} images/s")
    dt = bench(n, size)
    print(f"RESULT {size} px: {n} subjects in {dt:.2f} s ({n / dt:.1f} images/s); "
          f"1000 subjects would take {1000 * dt / n:.2f} s (target < 10 s): {'OK' if 1000 * dt / n < 10 else 'SLOWER THAN TARGET'}")
