"""Detection training speed (images/s) of `medfair.detect.train_detector` against a plain training loop in the manner of
torchvision's reference `references/detection/engine.py::train_one_epoch`, on the same model and data in the same run
(issue target: medfair / reference >= 1x).

Both train `build_detector(kind, seed=0)` on the same synthetic cohort (`CXRDataset.from_cohort(..., instances=True)`)
with the same optimizer (AdamW, the same lr, weight decay on >= 2-D weights only, the same gradient clipping), batch
size, epochs, threads and batch order. The reference loop (written here, not copied): a DataLoader whose collate zips
the batch into (images, targets) tuples, images and targets moved to the device as lists, `loss_dict = model(images,
targets)`, the summed loss, `.item()` and a finiteness check, zero_grad / backward / clip / step, a per-step lr
scheduler, and a small metric logger (windowed per-loss values, iteration and data times, a line every 20 iterations,
written to a buffer). In the main comparison it steps medfair's lr schedule (per-step cosine), and the global
generator the RPN / box samplers draw from is reseeded before every forward in both, so the two loops do the same
arithmetic (checked: the final weights are compared) and only the loop machinery differs. A third loop, `ref-tv-lr`,
is the reference with torchvision's own lr (linear warm-up from 1/1000 over the first epoch, cosine stepped per
epoch): another weight trajectory, so other proposals and a different amount of work per step.

Before timing, one epoch on a small subset goes through both (equivalence check and process warm-up).
Timing: each run's images/s excludes its first optimisation step (the first forward/backward and AdamW's state
allocation, the same in both): images after the first step / time from the end of the first step to the end of the
last, taken by a global optimizer-step hook that sees all loops alike. Also shown: the rate of the median step (robust
to bursts of load from other jobs), and the whole-epoch rate medfair itself reports (`history.images_per_s`, first step
included), the reference timed over the same window. The order alternates over `--repeats` repeats; medians are reported.
Run: `python benchmarks/detect.py [--quick] [--kind fasterrcnn|maskrcnn] [--n 256 --epochs 2 --batch 8 --threads N]`.
On a CPU shared with other jobs use `--threads 1`: with 2 threads on 2 busy cores OpenMP's barriers stall (5-8x slower).
"""
import argparse
import gc
import io
import math
import time
from collections import defaultdict, deque

import numpy as np
import torch
from torch.nn.modules.module import register_module_forward_pre_hook
from torch.optim.optimizer import register_optimizer_step_post_hook
from torch.utils.data import DataLoader, RandomSampler, Subset
from torchvision.models.detection.generalized_rcnn import GeneralizedRCNN

from medfair.cohort import CohortConfig, generate_cohort
from medfair.core import system_info
from medfair.data import CXRDataset
from medfair.detect import build_detector, train_detector
from medfair.train import torch_threads


class StepClock:
    "Timestamps at the end of every optimizer step (a global hook: the same for both loops)."
    def __init__(self, sync): self.sync, self.t = sync, []
    def __enter__(self):
        def hook(opt, args, kwargs): self.sync(); self.t.append(time.perf_counter())
        self.handle = register_optimizer_step_post_hook(hook)
        return self
    def __exit__(self, *exc): self.handle.remove()


class ReseedPerForward:
    """Reseed the global generator before every detector forward (the RPN and box samplers draw from it), so both loops
    sample the same anchors and proposals whatever else drew from it: medfair's progress bar (`tqdm.auto`, whose asyncio
    base calls `iter()` on the DataLoader in its constructor, even when disabled) creates one extra DataLoader iterator
    per epoch, and each iterator draws a base seed from the global generator. Applied alike to every loop (a few us per
    step)."""
    def __enter__(self):
        self.k = 0
        def hook(module, args):
            if isinstance(module, GeneralizedRCNN): torch.manual_seed(self.k); self.k += 1
        self.handle = register_module_forward_pre_hook(hook)
        return self
    def __exit__(self, *exc): self.handle.remove()


def step_rates(clock, step_sizes):
    """(images/s after the first step, images/s of the median step) from the end-of-step timestamps: images of steps 2..
    over the time from the end of step 1 to the end of the last; and the batch size over the median step interval (robust
    to bursts of load from other jobs on a shared machine; epoch-boundary steps, which carry the once-per-epoch work, are
    among the intervals but seldom the median)."""
    assert len(clock.t) == len(step_sizes), f"{len(clock.t)} optimizer steps timed, {len(step_sizes)} expected"
    dt = np.diff(clock.t)
    return sum(step_sizes[1:]) / (clock.t[-1] - clock.t[0]), float(np.median(np.asarray(step_sizes[1:]) / dt))


# ---- the reference loop, in the manner of torchvision's references/detection (engine.train_one_epoch, train.py) ----
class Smoothed:
    "A windowed running value (median / average over the last `window` updates, and the global average)."
    def __init__(self, window=20): self.d, self.total, self.count = deque(maxlen=window), 0.0, 0
    def update(self, v, n=1): self.d.append(v); self.total += v * n; self.count += n
    def __str__(self):
        return f"{np.median(self.d):.4f} ({self.total / max(self.count, 1):.4f})"


class MetricLogger:
    def __init__(self, out): self.meters, self.out = defaultdict(Smoothed), out
    def update(self, **kw):
        for k, v in kw.items(): self.meters[k].update(v.item() if isinstance(v, torch.Tensor) else float(v))
    def log_every(self, iterable, print_freq, header):
        t_end = time.time()
        for i, obj in enumerate(iterable):
            self.meters["data"].update(time.time() - t_end)
            yield obj
            self.meters["time"].update(time.time() - t_end)
            if i % print_freq == 0 or i == len(iterable) - 1:
                print(f"{header} [{i}/{len(iterable)}]  " + "  ".join(f"{k}: {m}" for k, m in self.meters.items()), file=self.out)
            t_end = time.time()


def pairs_collate(items, keys):
    "torchvision's collate: the batch zipped into a tuple of images and a tuple of targets (the keys the model trains on)."
    return tuple(zip(*[(it["image"], {k: it["target"][k] for k in keys}) for it in items]))


def param_groups(model, weight_decay):
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
    rest = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def reference_train(ds, kind, epochs, batch, lr, weight_decay, grad_clip, seed, device, schedule="torchvision", log=None):
    "Train like torchvision's detection reference; returns (model, per-epoch seconds, per-epoch images)."
    model = build_detector(kind, seed=seed, image_size=int(ds[0]["image"].shape[-1])).to(device)
    keys = ("boxes", "labels", "masks") if kind == "maskrcnn" else ("boxes", "labels")
    opt = torch.optim.AdamW(param_groups(model, weight_decay), lr=lr)
    steps = math.ceil(len(ds) / batch)
    if schedule == "medfair":            # medfair's per-step cosine to 0 (TrainConfig scheduler='cosine', no warm-up)
        per_step = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s / (epochs * steps), 1.0))))
        per_epoch = None
    else:                                # torchvision train.py --lr-scheduler cosineannealinglr, stepped once per epoch
        per_step, per_epoch = None, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    log = log if log is not None else io.StringIO()
    secs, imgs = [], []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        model.train()
        logger = MetricLogger(log)
        warmup = None
        if epoch == 0 and schedule != "medfair":   # engine.train_one_epoch's linear warm-up over the first epoch
            warmup = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0 / 1000, total_iters=max(1, min(1000, steps - 1)))
        loader = DataLoader(ds, batch_size=batch, collate_fn=lambda b: pairs_collate(b, keys),
                            sampler=RandomSampler(ds, generator=torch.Generator().manual_seed(seed * 100_003 + epoch)))
        n = 0
        for images, targets in logger.log_every(loader, 20, f"Epoch: [{epoch}]"):
            images = [im.to(device) for im in images]
            targets = [{k: v.to(device) for k, v in t.items()} for t in targets]
            loss_dict = model(images, targets)
            losses = sum(loss_dict.values())
            loss_value = sum(loss_dict.values()).item()     # reduce_dict is the identity on one process
            if not math.isfinite(loss_value): raise FloatingPointError(f"loss is {loss_value}: {loss_dict}")
            opt.zero_grad()
            losses.backward()
            if grad_clip is not None: torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            opt.step()
            if warmup is not None: warmup.step()
            if per_step is not None: per_step.step()
            logger.update(loss=loss_value, **loss_dict)
            logger.update(lr=opt.param_groups[0]["lr"])
            n += len(images)
        if per_epoch is not None: per_epoch.step()
        secs.append(time.perf_counter() - t0); imgs.append(n)
    return model, secs, imgs


def medfair_train(ds, kind, epochs, batch, lr, weight_decay, grad_clip, seed, device, threads):
    run = train_detector(ds, kind, epochs=epochs, batch_size=batch, lr=lr, seed=seed, threads=threads, progress=False,
                         weight_decay=weight_decay, grad_clip=grad_clip, device=device, amp="off")
    h = run.history
    return run.model, list(h.seconds), [int(round(r * s)) for r, s in zip(h.images_per_s, h.seconds)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", default="fasterrcnn", choices=["fasterrcnn", "maskrcnn"])
    ap.add_argument("--n", type=int, default=256, help="training images (a synthetic cohort of this many subjects)")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--grad-clip", type=float, default=10.0)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of each, in alternating order; medians are reported")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op CPU threads for both (default: torch's)")
    ap.add_argument("--device", default="cpu", help="'cpu' or 'cuda' (fp32 on both)")
    ap.add_argument("--check-n", type=int, default=16, help="images of the untimed equivalence check / warm-up (0: skip)")
    ap.add_argument("--no-tv", action="store_true", help="skip the third loop: the reference with torchvision's lr schedule")
    ap.add_argument("--quick", action="store_true", help="64 images, 2 epochs, 3 repeats (1-4 minutes on 2 shared CPU cores)")
    a = ap.parse_args()
    if a.quick: a.n, a.epochs, a.repeats = 64, 2, 3
    if a.threads: torch.set_num_threads(a.threads)
    threads = torch.get_num_threads()
    device = torch.device(a.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    info = system_info()
    print(info)
    print(f"detection training benchmark  kind={a.kind}  {a.n} images x {a.size} px  epochs={a.epochs}  batch={a.batch}  "
          f"lr={a.lr}  wd={a.weight_decay}  clip={a.grad_clip}  device={device}  threads={threads}  torch {info['packages']['torch']}")
    coh = generate_cohort(CohortConfig(n_subjects=a.n, image_size=a.size, prevalence={"consolidation": 0.5, "nodule": 0.35}), seed=0)
    ds = CXRDataset.from_cohort(coh, instances=True)
    common = dict(kind=a.kind, batch=a.batch, lr=a.lr, weight_decay=a.weight_decay, grad_clip=a.grad_clip, seed=0, device=device)

    def ref(d, epochs, schedule):
        torch.manual_seed(0)
        with torch_threads(threads): return reference_train(d, epochs=epochs, schedule=schedule, **common)

    def ours(d, epochs):
        torch.manual_seed(0)
        return medfair_train(d, epochs=epochs, threads=threads, **common)

    def max_diff(m1, m2):
        s1, s2 = m1.state_dict(), m2.state_dict()
        return max(float((s1[k].float() - s2[k].float()).abs().max()) for k in s1), max(float(v.float().abs().max()) for v in s1.values())

    if a.check_n:                     # untimed: the same computation in both loops (and the process warmed up)
        sub = Subset(ds, range(min(a.check_n, a.n)))
        with ReseedPerForward(): m_ref, *_ = ref(sub, 1, "medfair")
        with ReseedPerForward(): m_ours, *_ = ours(sub, 1)
        diff, scale = max_diff(m_ref, m_ours)
        print(f"check: {len(sub)} images, 1 epoch: max |weight difference| reference loop vs medfair {diff:.2e} (largest weight "
              f"{scale:.2e}): {'the same computation' if diff <= 1e-5 * scale else 'DIFFERENT'}")
        del m_ref, m_ours

    steps = math.ceil(a.n / a.batch)
    sizes = ([a.batch] * (a.n // a.batch) + ([a.n % a.batch] if a.n % a.batch else [])) * a.epochs
    assert len(sizes) == steps * a.epochs
    loops = {"reference": lambda: ref(ds, a.epochs, "medfair"), "medfair": lambda: ours(ds, a.epochs)}
    if not a.no_tv: loops["ref-tv-lr"] = lambda: ref(ds, a.epochs, "torchvision")
    res, final = {n: defaultdict(list) for n in loops}, {}
    print(f"{'run':>3} {'loop':10} {'img/s after step 1':>19} {'median step':>12} {'whole epochs':>13} {'wall s':>7}")
    for r in range(a.repeats):
        names = ["reference", "medfair"][::1 if r % 2 == 0 else -1]    # alternate which of the two goes first
        if "ref-tv-lr" in loops: names.insert((r + 2) % 3, "ref-tv-lr")
        for name in names:
            gc.collect()
            with ReseedPerForward(), StepClock(sync) as clock:
                t0 = time.perf_counter()
                model, secs, imgs = loops[name]()
                wall = time.perf_counter() - t0
            assert sum(imgs) == a.n * a.epochs, (name, imgs)
            (steady, mstep), whole = step_rates(clock, sizes), sum(imgs) / sum(secs)
            for k, v in (("steady", steady), ("mstep", mstep), ("whole", whole), ("wall", wall)): res[name][k].append(v)
            print(f"{r + 1:3d} {name:10} {steady:19.1f} {mstep:12.1f} {whole:13.1f} {wall:7.1f}", flush=True)
            final.setdefault(name, model)
    diff, scale = max_diff(final["reference"], final["medfair"])
    med = {n: {k: float(np.median(v)) for k, v in d.items()} for n, d in res.items()}
    m, f = med["medfair"], med["reference"]
    ratio = m["steady"] / f["steady"]
    print(f"timed runs: reference loop and medfair end with {'the same' if diff <= 1e-5 * scale else 'DIFFERENT'} weights "
          f"(max |difference| {diff:.2e})")
    print(f"median of {a.repeats}: medfair {m['steady']:.1f} img/s, reference loop {f['steady']:.1f} img/s (after each run's "
          f"first step);  ratio medfair/reference {ratio:.3f}x   target >= 1x: "
          f"{'met' if ratio >= 1 else 'within 3% (noise on a shared machine)' if ratio >= 0.97 else 'NOT met'}")
    print(f"median-step rate (robust to load from other jobs): medfair {m['mstep']:.1f}, reference {f['mstep']:.1f} img/s, "
          f"ratio {m['mstep'] / f['mstep']:.3f}x")
    print(f"whole epochs (medfair's history.images_per_s window, first step included): medfair {m['whole']:.1f}, reference "
          f"{f['whole']:.1f} img/s, ratio {m['whole'] / f['whole']:.3f}x;  wall per run (model built, trained): medfair "
          f"{m['wall']:.1f} s, reference {f['wall']:.1f} s")
    if "ref-tv-lr" in med:
        t = med["ref-tv-lr"]
        print(f"reference loop with torchvision's lr (warm-up in epoch 1, cosine per epoch): {t['steady']:.1f} img/s, "
              f"medfair/that {m['steady'] / t['steady']:.3f}x (another weight trajectory, so other proposals: the work per "
              f"step differs, not only the loop)")

if __name__ == "__main__":
    main()
