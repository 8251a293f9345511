"""Speed of synthetic-cohort generation (images, masks, landmarks and lesion instances).

Usage: python benchmarks/cohort.py [n_subjects] [image_size] [--reference GIT_REV]
Prints images/s and the time for 1,000 subjects at 256 x 256 (target: under 10 s on 2 CPU cores, using them:
`generate_cohort(..., workers=0)`), and the one-process time.
With --reference (default 80a12ca, the last one-device-per-site cohort), the generator of that revision
is loaded from git and timed on the same work in the same run, interleaved, so the ratio is meaningful
on a noisy machine.
"""
import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from medfair.cohort import CohortConfig, generate_cohort

ROOT = Path(__file__).resolve().parents[1]


def load_reference(rev: str):
    "medfair/cohort.py of git revision `rev` as a module (None if git or the revision is unavailable)."
    try:
        src = subprocess.run(["git", "show", f"{rev}:medfair/cohort.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    src = src.replace("from .core import", "from medfair.core import")
    path = Path(tempfile.mkdtemp()) / "cohort_reference.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("cohort_reference", path)
    mod = importlib.util.module_from_spec(spec); sys.modules[spec.name] = mod; spec.loader.exec_module(mod)
    return mod


def bench(mod, n: int, size: int, seed: int = 0, workers: int = 1) -> float:
    t = time.perf_counter()
    kw = {"workers": workers} if workers != 1 else {}
    c = mod.generate_cohort(mod.CohortConfig(n_subjects=n, image_size=size), seed=seed, **kw)
    dt = time.perf_counter() - t
    assert c.images.shape == (n, size, size) and c.masks.shape == (n, 3, size, size)
    return dt


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1000)
    ap.add_argument("size", nargs="?", type=int, default=256)
    ap.add_argument("--reference", default="80a12ca", help="git revision of the reference generator ('' = none)")
    a = ap.parse_args()
    cur = sys.modules["medfair.cohort"]
    ref = load_reference(a.reference) if a.reference else None
    print(f"cpu cores visible: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    bench(cur, 5, a.size)  # warm caches (grids, low-pass factors)
    if ref is not None: bench(ref, 5, a.size)
    for s in sorted({64, 128}):
        m = min(a.n, 200)
        dt = bench(cur, m, s)
        print(f"{s:4d} px: {m} subjects in {dt:6.2f} s = {m / dt:7.1f} images/s")
    cores = os.cpu_count() or 1
    dt1 = bench(cur, a.n, a.size)
    rt = bench(ref, a.n, a.size) if ref is not None else None
    dtw = bench(cur, a.n, a.size, workers=cores)
    print(f"one process: {a.n} subjects in {dt1:.2f} s ({a.n / dt1:.1f} images/s)")
    if rt is not None:
        print(f"REFERENCE {a.reference} (one process, the same work): {rt:.2f} s ({a.n / rt:.1f} images/s); "
              f"this generator / reference, one process each = {dt1 / rt:.2f}")
    print(f"RESULT {a.size} px, workers={cores}: {a.n} subjects (images, masks, landmarks, instances) in {dtw:.2f} s "
          f"({a.n / dtw:.1f} images/s); 1000 subjects would take {1000 * dtw / a.n:.2f} s (target < 10 s on 2 cores): "
          f"{'OK' if 1000 * dtw / a.n < 10 else 'SLOWER THAN TARGET'}")
