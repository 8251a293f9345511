"""Benchmark: group-stratified bootstrap of all classification metrics (medfair.audit) vs fairlearn MetricFrame(n_boot=...).

100,000 predictions, 4 groups, every classification metric medfair computes, 1,000 bootstrap resamples.
Prints both times (same run, same machine) and their ratio. Target: medfair < 5 s and >= 10x faster.

    python benchmarks/audit.py                  # fairlearn timed on 20 resamples, scaled linearly to 1000
    python benchmarks/audit.py --fl-boot 1000   # the literal fairlearn run (about two hours on one CPU core)

fairlearn's bootstrap builds one MetricFrame per resample, so its time is linear in n_boot: the script times one
plain MetricFrame (t1) and MetricFrame(n_boot=fl_boot) (t2) and reports t1 + (t2 - t1) * n_boot / fl_boot.
"""
import argparse
import inspect
import time
import warnings

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from medfair.resampling import bootstrap_classification
from medfair.metrics import CLASSIFICATION_METRICS, classification_by_group


def data(n, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1])
    y = rng.binomial(1, np.where(g == "d", 0.2, 0.3))
    sep = np.select([g == "a", g == "b", g == "c"], [1.5, 1.3, 1.1], 0.9)
    s = 1 / (1 + np.exp(-(sep * (2 * y - 1) + rng.normal(0, 1.2, n))))
    return y, s, g


def fairlearn_metrics(threshold=0.5, spec=0.9, n_bins=10):
    "The same metrics as plain functions of (y_true, y_score) for MetricFrame."
    def conf(y, s):
        p = s >= threshold
        return (p & (y == 1)).sum(), (p & (y == 0)).sum(), (~p & (y == 0)).sum(), (~p & (y == 1)).sum()
    def ece(y, s, edges):
        b = np.searchsorted(edges[1:-1], s, side="right")
        return np.abs(np.bincount(b, weights=y - s, minlength=len(edges) - 1)).sum() / len(y)
    def tpr_at_spec(y, s):
        fpr, tpr, _ = skm.roc_curve(y, s, drop_intermediate=False)
        return tpr[fpr <= 1 - spec + 1e-12].max()
    def sdiv(a, b): return a / b if b else np.nan
    f = {
        "prevalence": lambda y, s: y.mean(),
        "auroc": skm.roc_auc_score,
        "auprc": skm.average_precision_score,
        "tpr": lambda y, s: (lambda tp, fp, tn, fn: sdiv(tp, tp + fn))(*conf(y, s)),
        "fpr": lambda y, s: (lambda tp, fp, tn, fn: sdiv(fp, fp + tn))(*conf(y, s)),
        "fnr": lambda y, s: (lambda tp, fp, tn, fn: sdiv(fn, fn + tp))(*conf(y, s)),
        "tnr": lambda y, s: (lambda tp, fp, tn, fn: sdiv(tn, tn + fp))(*conf(y, s)),
        "ppv": lambda y, s: (lambda tp, fp, tn, fn: sdiv(tp, tp + fp))(*conf(y, s)),
        "npv": lambda y, s: (lambda tp, fp, tn, fn: sdiv(tn, tn + fn))(*conf(y, s)),
        "selection_rate": lambda y, s: (s >= threshold).mean(),
        "accuracy": lambda y, s: ((s >= threshold) == y).mean(),
        "balanced_accuracy": lambda y, s: skm.balanced_accuracy_score(y, s >= threshold),
        "tpr_at_spec": tpr_at_spec,
        "brier": skm.brier_score_loss,
        "ece": lambda y, s: ece(y, s, np.linspace(0, 1, n_bins + 1)),
        "ece_mass": lambda y, s: ece(y, s, np.quantile(s, np.linspace(0, 1, n_bins + 1))),
        "underdiagnosis": lambda y, s: (lambda tp, fp, tn, fn: sdiv(fn, fn + tp))(*conf(y, s)),
    }
    assert set(f) == set(CLASSIFICATION_METRICS)
    return f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--fl-boot", type=int, default=20,
                    help="resamples actually run by fairlearn (one MetricFrame on 100k rows takes ~7 s, so 1000 take ~2 h); "
                         "its time is scaled linearly to --n-boot. Pass --fl-boot 1000 for the literal run.")
    ap.add_argument("--repeats", type=int, default=3, help="medfair timing repeats (best is reported)")
    a = ap.parse_args()
    y, s, g = data(a.n)
    groups = {"group": g}

    # warm-up (imports, first-touch allocations) on a small problem
    bootstrap_classification(y[:2000], s[:2000], {"group": g[:2000]}, n_boot=20, seed=0)
    times = []
    for r in range(a.repeats):
        t0 = time.perf_counter()
        res = bootstrap_classification(y, s, groups, n_boot=a.n_boot, seed=r)
        times.append(time.perf_counter() - t0)
    ours = min(times)
    print(f"medfair bootstrap_classification: n={a.n}, 4 groups (+overall), {len(CLASSIFICATION_METRICS)} metrics, "
          f"{a.n_boot} stratified resamples: best {ours:.2f} s of {a.repeats} (all: {', '.join(f'{t:.2f}' for t in times)})")

    from fairlearn.metrics import MetricFrame
    import fairlearn
    sig = inspect.signature(MetricFrame.__init__)
    assert "n_boot" in sig.parameters and "ci_quantiles" in sig.parameters, f"fairlearn {fairlearn.__version__}: MetricFrame{sig}"
    fl_boot = min(a.fl_boot, a.n_boot)
    fm = fairlearn_metrics()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        MetricFrame(metrics=fm, y_true=y, y_pred=s, sensitive_features=g)
        t1 = time.perf_counter() - t0
        t0 = time.perf_counter()
        mf = MetricFrame(metrics=fm, y_true=y, y_pred=s, sensitive_features=g, n_boot=fl_boot, ci_quantiles=[0.025, 0.975], random_state=0)
        fl = time.perf_counter() - t0
    fl_scaled = fl if fl_boot == a.n_boot else t1 + (fl - t1) * a.n_boot / fl_boot
    note = "" if fl_boot == a.n_boot else (f" (measured: one MetricFrame {t1:.1f} s, n_boot={fl_boot} {fl:.1f} s "
                                          f"= {fl / t1:.1f} MetricFrames; extrapolated linearly to {a.n_boot})")
    print(f"fairlearn {fairlearn.__version__} MetricFrame(n_boot={a.n_boot}, ci_quantiles=[0.025, 0.975]): {fl_scaled:.1f} s{note}")
    print(f"speed-up: {fl_scaled / ours:.1f}x   (target: medfair < 5 s and >= 10x)")

    # the two agree on the point estimates
    t = res.metrics[res.metrics.group_col == "group"].pivot(index="group", columns="metric", values="estimate")
    bg = mf.by_group[list(t.columns)].astype(float)
    print(f"max |medfair - fairlearn| over per-group point estimates: {np.nanmax(np.abs(t.to_numpy() - bg.loc[t.index].to_numpy())):.2e}")
    lo = res.metrics.query("group_col == 'group' and metric == 'auroc'").set_index("group")
    fl_lo = mf.by_group_ci[0]["auroc"]
    print("AUROC 95% CI per group (medfair stratified | fairlearn):")
    for grp in lo.index:
        print(f"  {grp}: [{lo.at[grp, 'ci_low']:.4f}, {lo.at[grp, 'ci_high']:.4f}] | [{fl_lo[grp]:.4f}, {mf.by_group_ci[1]['auroc'][grp]:.4f}]")


if __name__ == "__main__":
    main()
