"""Speed of the classification path (medfair.classify); prints ratios, asserts nothing.

1. Training images/s of the small CNN at 64 px with torch's default thread count vs threads=1
   (tiny convolutions: thread synchronisation can cost more than it saves, most on a busy machine).
2. Cost of the soft equalized-odds term relative to the BCE it is added to (forward + backward).
Usage: python benchmarks/classify.py   (timings on shared machines are noisy)
"""
import time

import torch

from medfair.classify import FairMultiTaskClassifier, FairMultiTaskLoss


def step_rate(threads, n_steps=10, batch=32, size=64):
    before = torch.get_num_threads()
    if threads: torch.set_num_threads(threads)
    try:
        g = torch.Generator().manual_seed(0)
        with torch.random.fork_rng():
            torch.manual_seed(0); model = FairMultiTaskClassifier(1, 2)
        opt = torch.optim.AdamW(model.parameters(), 1e-3)
        x = torch.rand(batch, 1, size, size, generator=g); y = (torch.rand(batch, 1, generator=g) < 0.2).float()
        crit = FairMultiTaskLoss()
        crit(model(x), y).backward()  # warm-up
        t0 = time.perf_counter()
        for _ in range(n_steps):
            opt.zero_grad(); crit(model(x), y).backward(); opt.step()
        return n_steps * batch / (time.perf_counter() - t0)
    finally: torch.set_num_threads(before)


def loss_cost(n=4096, reps=200):
    g = torch.Generator().manual_seed(0)
    z = torch.randn(n, 3, generator=g, requires_grad=True); y = (torch.rand(n, 3, generator=g) < 0.3).float()
    grp = torch.randint(0, 4, (n,), generator=g)
    def timeit(crit):
        t0 = time.perf_counter()
        for _ in range(reps): z.grad = None; crit(z, y, grp).backward()
        return (time.perf_counter() - t0) / reps
    return timeit(FairMultiTaskLoss(4)), timeit(FairMultiTaskLoss(4, fairness="eo", lambda_fair=1.0))


if __name__ == "__main__":
    default, one = step_rate(None), step_rate(1)
    print(f"small CNN training, 64 px: {default:.0f} img/s with {torch.get_num_threads()} threads, {one:.0f} img/s with 1 thread; ratio 1-thread/default = {one / default:.2f}")
    bce, eo = loss_cost()
    print(f"loss fwd+bwd on 4096×3 logits, 4 groups: BCE {bce * 1e3:.2f} ms, BCE + soft EO {eo * 1e3:.2f} ms; ratio = {eo / bce:.2f}")
