"""Every train_* entry point writes a valid AI passport when given a folder."""
import json

from medfair.classify import train_classifier
from medfair.cohort import CohortConfig, generate_cohort
from medfair.passport import validate_passport, verify_passport
from medfair.segment import train_segmentation


def _check(folder, n_train):
    p = json.loads((folder / "passport.json").read_text())
    validate_passport(p)
    assert verify_passport(p) == []
    assert (folder / "passport.html").read_text().startswith("<!DOCTYPE html>")
    sex = [r for r in p["data"]["composition"] if r["split"] == "train" and r["attribute"] == "sex"]
    assert sum(r["n"] for r in sex) == n_train
    assert p["evaluation"]["metrics"] and p["training"]["batch_log"]
    return p


def test_train_classifier_writes_passport(tmp_path):
    coh = generate_cohort(CohortConfig(n_subjects=200, image_size=32), seed=0)
    res = train_classifier(coh, epochs=1, image_size=32, width=8, device="cpu", threads=1, post_hoc=False, passport=tmp_path / "clf")
    p = _check(tmp_path / "clf", res.config["n_train"])
    assert p["training"]["method"] == "erm"


def test_train_segmentation_writes_passport(tmp_path):
    run = train_segmentation(preset="smoke", seed=0, threads=1, n_boot=20, passport=tmp_path / "seg")
    p = _check(tmp_path / "seg", len(run.splits["train"]))
    assert any(r["metric"] == "lungs/dice" for r in p["evaluation"]["metrics"])
