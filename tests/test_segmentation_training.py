"""Issue 7.4 DONE criterion: on the `ci` preset the trained FairUNet reaches held-out lung Dice >= 0.90 on synthetic images
(64 px, 240 training images, 8 epochs; about a minute or two on a CPU core)."""
import numpy as np
import torch

from medfair.segment import STRUCTURES, train_segmentation


def test_ci_preset_reaches_lung_dice_090():
    threads = torch.get_num_threads()
    run = train_segmentation(preset="ci", seed=0, threads=1, n_boot=200)
    assert torch.get_num_threads() == threads                      # the thread setting is restored
    ev = run.evaluation
    test_idx = run.splits["test"]
    assert len(set(test_idx) & set(run.splits["train"])) == 0 and len(set(test_idx) & set(run.splits["val"])) == 0
    assert ev.config["n_images"] == len(test_idx) >= 60
    lungs = ev.per_image[ev.per_image.structure == "lungs"]
    assert np.isclose(ev.mean("lungs"), lungs.dice.mean())
    assert ev.mean("lungs") >= 0.90, ev.table("lungs", ["dice"])
    # every group is reported with a CI around its estimate, distances are in mm
    t = ev.table("lungs", ["dice", "hd95"])
    assert {"sex", "age_group", "site", "device"} <= set(t.group_col)
    assert ((t.dice_lo <= t.dice) & (t.dice <= t.dice_hi)).all()
    assert ev.config["distance_unit"] == "mm"
    assert set(ev.per_image.structure) == set(STRUCTURES)
    # selection used the validation worst group
    h = run.history
    assert run.trainer.best_epoch == int(h.loc[h.val_worst_group.idxmax(), "epoch"])
