"""Federated simulation at scale (issue 22): rounds per second and peak memory of `medfair.federated.run_federated`
(Flower's simulation engine, Ray backend) for 3, 10 and 30 simulated clients, printed beside a plain centralized epoch
on the same data measured in the same run. Peak memory is the largest resident set size of this process and all its
children (the Ray workers), sampled every 0.1 s. The clients are random equal shards of one cohort, so the work per
round is the same at every scale: what grows is the per-client overhead.

Run: `python benchmarks/federated.py [--clients 3 10 30] [--subjects 3000] [--rounds 3] [--workers 2]`.
"""
import argparse
import threading
import time

import psutil

from medfair.federated import FederatedConfig, federated_data, run_federated, run_reference


class PeakRSS:
    "Sample the resident memory of this process tree in a thread; `.peak` in MiB."
    def __init__(self, every=0.1):
        self.every, self.peak, self._stop = every, 0.0, threading.Event()
    def _tree(self):
        me = psutil.Process()
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try: total += p.memory_info().rss
            except psutil.Error: pass
        return total / 2 ** 20
    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree()); time.sleep(self.every)
    def __enter__(self):
        self.peak = self._tree(); self._t = threading.Thread(target=self._run, daemon=True); self._t.start(); return self
    def __exit__(self, *a):
        self._stop.set(); self._t.join()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, nargs="+", default=[3, 10, 30])
    ap.add_argument("--subjects", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    base = FederatedConfig(n_subjects=a.subjects, rounds=a.rounds, workers=a.workers, client_col="shard")
    federated_data(base.replace(n_shards=a.clients[0]))
    with PeakRSS() as m:
        t0 = time.perf_counter(); ref = run_reference(base.replace(n_shards=a.clients[0], rounds=1), "centralized"); t_epoch = time.perf_counter() - t0
    print(f"centralized: one epoch over {len(ref.scores) and sum(len(v['train']) for v in federated_data(base.replace(n_shards=a.clients[0])).splits.values())} "
          f"training images in {t_epoch:.2f} s (with one validation pass); peak memory {m.peak:.0f} MiB")
    print(f"{'clients':>8} {'rounds/s':>9} {'s/round':>8} {'vs epoch':>9} {'total s':>8} {'peak MiB':>9}   (rounds after the first; total: {a.rounds} rounds with Ray start-up)")
    for n in a.clients:
        cfg = base.replace(n_shards=n)
        with PeakRSS() as m:
            r = run_federated(cfg, "fedavg")
        el = r.history.elapsed.to_numpy()
        per_round = (el[-1] - el[1]) / (a.rounds - 1) if a.rounds > 1 else el[-1]
        print(f"{n:>8} {1 / per_round:>9.3f} {per_round:>8.2f} {per_round / t_epoch:>8.1f}x {r.seconds:>8.1f} {m.peak:>9.0f}")


if __name__ == "__main__":
    main()
