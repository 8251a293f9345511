"""Throughput of medfair.augment at 256x256: per-image NumPy path, batched torch path (batch 64, CPU or the
default device) and TorchIO's equivalent transforms, measured in the same run.

Targets: our elastic (geometric) and motion at least as fast as TorchIO's per image; the batched torch path
at least 5x the per-image NumPy path at batch 64 on CPU.  Run: `python benchmarks/augment.py [--device cpu]`.
TorchIO is a benchmark-only (dev) dependency; medfair itself never imports it.
"""
import argparse
import time

import numpy as np
import torch

from medfair.augment import OPS, TORCH_OPS, augment, augment_batch, mri_phantom
from medfair.core import system_info


def rate(fn, n_items, min_time=1.0, max_reps=200):
    "Items per second of `fn` (which processes `n_items`), after one warm-up call."
    fn()
    reps, t0 = 0, time.perf_counter()
    while True:
        fn(); reps += 1
        el = time.perf_counter() - t0
        if el >= min_time or reps >= max_reps: return n_items * reps / el


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--skip-ct", action="store_true", help="skip the (slow) sinogram-space CT operations")
    a = ap.parse_args()
    S, B, dev = a.size, a.batch, torch.device(a.device)
    info = system_info()
    print(f"medfair.augment benchmark  size={S}  batch={B}  device={dev}  torch threads={torch.get_num_threads()}  "
          f"torch {info['packages']['torch']}  numpy {info['packages']['numpy']}")
    img = mri_phantom(S)
    masks = np.stack([img > 0.5, img > 0.2, img > 0.8])
    x = torch.as_tensor(np.stack([img] * B), dtype=torch.float32, device=dev)[:, None]
    mt = torch.as_tensor(np.stack([masks] * B), device=dev)

    def sync():
        if dev.type == "cuda": torch.cuda.synchronize()

    np_rates, t_rates = {}, {}
    print(f"\n{'op':<20}{'numpy img/s':>14}{'torch img/s':>14}{'torch/numpy':>13}")
    for op in OPS:
        if a.skip_ct and OPS[op].modality == "ct": continue
        rng = np.random.default_rng(0)
        m = masks if op == "geometric" else None
        np_rates[op] = rate(lambda: augment(img, op, "moderate", seed=rng, masks=m), 1, a.min_time)
        line = f"{op:<20}{np_rates[op]:>14.1f}"
        if op in TORCH_OPS:
            g = torch.Generator(device=dev); g.manual_seed(0)
            mm = mt if op == "geometric" else None
            def run_t():
                augment_batch(x, op, "moderate", generator=g, masks=mm); sync()
            t_rates[op] = rate(run_t, B, a.min_time)
            line += f"{t_rates[op]:>14.1f}{t_rates[op] / np_rates[op]:>12.1f}x"
        print(line)
    ratios = [t_rates[o] / np_rates[o] for o in t_rates]
    print(f"batched torch / per-image numpy at batch {B}: min {min(ratios):.1f}x, median {np.median(ratios):.1f}x "
          f"(target >= 5x on CPU)")

    try:
        import torchio as tio
    except ImportError:
        print("\nTorchIO not installed: skipping the TorchIO comparison"); return
    print(f"\nTorchIO {tio.__version__} on 1x{S}x{S}x1 images, one image per call (numpy rows: ours, per image)")
    subj_img = torch.as_tensor(img, dtype=torch.float32)[None, :, :, None]
    pairs = [("RandomMotion", tio.RandomMotion(), "mri_motion"),
             ("RandomGhosting", tio.RandomGhosting(), "mri_ghosting"),
             ("RandomSpike", tio.RandomSpike(), "mri_spike"),
             ("RandomBiasField", tio.RandomBiasField(), "mri_bias"),
             ("RandomElasticDeformation", tio.RandomElasticDeformation(max_displacement=(7.5, 7.5, 0)), "geometric")]
    print(f"{'TorchIO transform':<26}{'TorchIO img/s':>14}{'ours numpy':>12}{'ours/TIO':>10}{'ours torch':>12}{'torch/TIO':>11}")
    for name, tr, ours in pairs:
        def run_tio():
            tr(tio.ScalarImage(tensor=subj_img))
        r = rate(run_tio, 1, a.min_time)
        line = f"{name:<26}{r:>14.1f}{np_rates[ours]:>12.1f}{np_rates[ours] / r:>9.1f}x"
        if ours in t_rates: line += f"{t_rates[ours]:>12.1f}{t_rates[ours] / r:>10.1f}x"
        print(line)
    print("(ours 'geometric' = affine + elastic + 3 masks in one resampling, a superset of TorchIO's elastic alone)")


if __name__ == "__main__":
    main()
