"""Post-DAE done criterion on a small fixed setting: a weakly trained FairUNet's implausible-mask rate drops after Post-DAE,
overall and in every sex group; Dice/HD95 changes come from medfair.metrics (via compare_methods)."""
import numpy as np
import pytest
import torch

from medfair.cohort import CohortConfig, generate_cohort
from medfair.train import seeded_init_
from medfair.plausibility import (compare_methods, fit_post_dae, post_process, to_label_map, topology_report,
                                  topology_table, _standardize)
from medfair.segment import FairUNet, FairnessAwareSegmentationLoss
from medfair.train import Trainer, TrainConfig, TensorDictDataset


@pytest.fixture(scope="module")
def setting():
    coh = generate_cohort(CohortConfig(n_subjects=200, image_size=64), seed=0)
    labels = to_label_map(coh.masks)
    tr, te = np.arange(140), np.arange(140, 200)
    net = seeded_init_(FairUNet(1, 4, base_channels=8, depth=3), 0)
    crit = FairnessAwareSegmentationLoss()
    trainer = Trainer(net, lambda m, b: crit(m(b["image"]), b["labels"]),
                      TensorDictDataset(image=_standardize(coh.images[tr]), labels=torch.from_numpy(labels[tr])),
                      config=TrainConfig(epochs=6, batch_size=16, lr=3e-3, seed=0, progress=False))
    trainer.fit()
    with torch.no_grad(): weak = trainer.model.eval()(_standardize(coh.images[te])).argmax(1).numpy()
    dae = fit_post_dae(labels[tr], seed=0, epochs=40)   # cohort v2 has more shape variety (devices, AP share): 20 epochs underfit
    return dict(weak=weak, post=post_process(dae, weak), gt=labels[te], meta=coh.meta.iloc[te].reset_index(drop=True))


def test_post_dae_reduces_implausible_rate(setting):
    s = setting
    before, after = topology_table(s["weak"]), topology_table(s["post"])
    assert before.implausible.mean() >= 0.3                      # the model really is weak
    assert after.implausible.mean() < before.implausible.mean()
    assert after.topo_errors.mean() < before.topo_errors.mean()
    rb = topology_report(s["weak"], s["meta"], ["sex"]).query("metric == 'implausible'").set_index("group").estimate
    ra = topology_report(s["post"], s["meta"], ["sex"]).query("metric == 'implausible'").set_index("group").estimate
    assert (ra <= rb).all() and ra["all"] < rb["all"]
    sp = np.repeat(s["meta"].pixel_spacing.to_numpy()[:, None], 2, axis=1)
    t = compare_methods({"weak": s["weak"], "post": s["post"]}, s["gt"], s["meta"], ["sex"], spacing=sp)
    ov = t.query("group_col == 'overall'").set_index("metric")
    assert ov.loc["hd95", "Δ post"] < 0                           # islands removed: the far surface errors go
    assert ov.loc["dice", "post"] > 0.7                           # and the masks still overlap the reference


def test_post_dae_is_deterministic(setting):
    gt = setting["gt"]
    a, b = fit_post_dae(gt[:16], seed=3, epochs=1, batch_size=8), fit_post_dae(gt[:16], seed=3, epochs=1, batch_size=8)
    np.testing.assert_array_equal(post_process(a, setting["weak"][:8]), post_process(b, setting["weak"][:8]))
