"""Was medfair.augment's CPU thread pool worth its code (issue 15, item 4)? It was removed after this measurement.

The batched augmentation on the CPU used to spread per-image work (one random stream per image, FFTs, warps) over a pool
of `torch.get_num_threads()` single-threaded workers. medfair now does the same work item by item and lets torch
parallelise inside each op with its own intra-op threads (`medfair.augbatch._parallel`; the engine lived in `medfair.augment` when this was measured). The pool is re-created here
(`_pool_parallel`) so the comparison can be repeated. Both give identical results (one generator per image, seeded from
the batch generator), which this script checks before timing.

Measured in the same run, on the same machine state (interleaved rounds, best of each):
  1. `augment_batch` on a batch of 16 images of 64 px (`--batch`, `--size`) with the segmentation ops (the training transform);
  2. `train_segmentation(preset="ci", augment=True)` training throughput (images/s over the epochs).
Prints images/s for the pool and for torch's intra-op threads, and their ratio. Run: `python benchmarks/augment_engine.py`.
"""
import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

import medfair.augbatch as A
from medfair.core import system_info
from medfair.segment import segmentation_batch_transform, train_segmentation

_SERIAL = A._parallel          # medfair's: item by item, each torch op on torch's own intra-op threads
_EXECUTOR = {}


def _single_threaded():
    torch.get_num_threads()
    torch.set_num_threads(1)


def _pool_parallel(fn, items):
    "The removed engine: chunks of items on a pool of torch.get_num_threads() single-threaded workers."
    items = list(items)
    t = min(torch.get_num_threads(), len(items))
    if t <= 1 or threading.current_thread().name.startswith("bench-aug"):
        for it in items: fn(it)
        return
    if t not in _EXECUTOR:
        main = torch.get_num_threads()
        ex = ThreadPoolExecutor(t, thread_name_prefix="bench-aug", initializer=_single_threaded)
        ready = threading.Barrier(t)
        list(ex.map(lambda _: ready.wait(), range(t)))
        torch.set_num_threads(main)
        _EXECUTOR[t] = ex
    per = -(-len(items) // (4 * t))
    list(_EXECUTOR[t].map(lambda i: [fn(it) for it in items[i:i + per]], range(0, len(items), per)))


def use(engine: str):
    A._parallel = _pool_parallel if engine == "pool" else _SERIAL


def batch_rate(x, masks, transform, rounds, min_time=0.5):
    best = float("inf")
    for _ in range(rounds):
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < min_time:
            transform({"image": x, "masks": masks}, torch.Generator().manual_seed(reps)); reps += 1
        best = min(best, (time.perf_counter() - t0) / reps)
    return x.shape[0] / best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--size", type=int, default=64, help="image side for the augment_batch timing")
    ap.add_argument("--batch", type=int, default=16, help="batch size for the augment_batch timing")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    info = system_info()
    print(f"torch {info['packages']['torch']}, {a.threads} threads, cpu: {info.get('cpu') or info.get('processor', '?')}")
    tf = segmentation_batch_transform()
    g = torch.Generator().manual_seed(0)
    x = torch.rand(a.batch, 1, a.size, a.size, generator=g)
    masks = (torch.rand(a.batch, 3, a.size, a.size, generator=g) > 0.5).float()
    outs = {}
    for engine in ("pool", "intra-op"):
        use(engine)
        outs[engine] = tf({"image": x, "masks": masks}, torch.Generator().manual_seed(7))["image"]
    same = torch.equal(outs["pool"], outs["intra-op"])
    print(f"identical augmented batch with either engine: {same}")
    rates = {"pool": [], "intra-op": []}
    for _ in range(a.rounds):                          # interleaved: both see the same machine state
        for engine in rates:
            use(engine); rates[engine].append(batch_rate(x, masks, tf, 1))
    b = {k: max(v) for k, v in rates.items()}
    print(f"augment_batch, {a.batch} x {a.size} px, segmentation ops: pool {b['pool']:.0f} img/s, intra-op {b['intra-op']:.0f} img/s, "
          f"pool / intra-op = {b['pool'] / b['intra-op']:.2f}")
    train = {}
    for engine in ("pool", "intra-op"):
        use(engine)
        run = train_segmentation(preset="ci", seed=0, epochs=a.epochs, augment=True, threads=a.threads, evaluate=False)
        train[engine] = float(np.max(run.history.images_per_s))
    print(f"train_segmentation ci, augment on, {a.epochs} epochs: pool {train['pool']:.0f} img/s, intra-op {train['intra-op']:.0f} img/s, "
          f"pool / intra-op = {train['pool'] / train['intra-op']:.2f}")
    use("pool")


if __name__ == "__main__":
    main()
