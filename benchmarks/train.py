"""Training throughput (images/s, forward + backward + optimizer step) of medfair's FairUNet against MONAI's BasicUNet of
about the same size (~1.9 M parameters, 4 down-sampling levels, 4 output classes), measured in the same run.

On the CPU: fp32 at 128 and 256 px, batch 8. On a GPU (when torch.cuda.is_available()): fp32, bf16 autocast, and bf16 +
channels_last. Prints images/s and the ratio FairUNet / BasicUNet for each setting.
Run: `python benchmarks/train.py [--sizes 128 256] [--batch 8] [--threads N]`.
MONAI is a benchmark-only (dev) dependency; medfair itself never imports it.
"""
import argparse
import time
import warnings

import torch
import torch.nn.functional as F

from medfair.core import system_info
from medfair.segment import FairUNet


def basic_unet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from monai.networks.nets import BasicUNet
        return BasicUNet(spatial_dims=2, in_channels=1, out_channels=4, features=(32, 32, 64, 128, 256, 32))


def n_params(m): return sum(p.numel() for p in m.parameters())


def throughput(model, size, batch, device, amp=None, channels_last=False, warmup=3, min_time=3.0, max_steps=50):
    "Images/s of training steps (forward, CE loss, backward, AdamW step) after `warmup` steps."
    g = torch.Generator().manual_seed(0)
    x = torch.rand(batch, 1, size, size, generator=g).to(device)
    y = torch.randint(0, 4, (batch, size, size), generator=g).to(device)
    model = model.to(device).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last); x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step():
        with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
            loss = F.cross_entropy(model(x).float(), y)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup): step()
    sync()
    n, t0 = 0, time.perf_counter()
    while True:
        step(); n += 1
        sync()
        el = time.perf_counter() - t0
        if el >= min_time or n >= max_steps: return batch * n / el


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads on the CPU (default: torch's)")
    ap.add_argument("--min-time", type=float, default=3.0)
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    info = system_info()
    fair = lambda: FairUNet(1, 4, base_channels=16, depth=4)
    print(f"medfair.train benchmark  batch={a.batch}  torch {info['packages']['torch']}  cpu threads={torch.get_num_threads()}")
    print(f"FairUNet(base 16, depth 4, GroupNorm): {n_params(fair()) / 1e6:.2f} M params;  "
          f"MONAI BasicUNet(32,32,64,128,256,32, InstanceNorm): {n_params(basic_unet()) / 1e6:.2f} M params")
    settings = [("cpu", "fp32", None, False)]
    if torch.cuda.is_available():
        settings += [("cuda", "fp32", None, False), ("cuda", "bf16", torch.bfloat16, False), ("cuda", "bf16+channels_last", torch.bfloat16, True)]
    print(f"{'device':6} {'precision':20} {'size':>5} {'FairUNet img/s':>15} {'BasicUNet img/s':>16} {'ratio':>6}")
    for dev, name, amp, cl in settings:
        device = torch.device(dev)
        for s in a.sizes:
            torch.manual_seed(0)  # benchmark script, not library code
            f = throughput(fair(), s, a.batch, device, amp, cl, min_time=a.min_time)
            m = throughput(basic_unet(), s, a.batch, device, amp, cl, min_time=a.min_time)
            print(f"{dev:6} {name:20} {s:5d} {f:15.1f} {m:16.1f} {f / m:6.2f}", flush=True)


if __name__ == "__main__":
    main()
