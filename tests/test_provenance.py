"""One DICOM file followed through the record chain to a trained model and its passport, and back to its original grid."""
import json

import numpy as np
import pytest

from medfair.classify import train_classifier
from medfair.cohort import CohortConfig, generate_cohort
from medfair.core import sha256_file
from medfair.data import CXRDataset, stratified_split
from medfair.dicom import write_cohort
from medfair.normalize import AdaptiveNormalizer, Normalize
from medfair.passport import classifier_passport, validate_passport, verify_passport, write_passport
from medfair.records import Compose, load_dicom
from medfair.metrics import dice_coefficient
from medfair.spatial import Standardize


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("dicom")
    coh = generate_cohort(CohortConfig(n_subjects=150, image_size=64), seed=1)
    write_cohort(coh, out, progress=False)
    return out, coh


CHAIN = Compose([Normalize(AdaptiveNormalizer("zscore")), Standardize(shape=(32, 32), mode="pad")])


def test_dicom_to_model_to_passport(folder, tmp_path):
    out, coh = folder
    ds = CXRDataset.from_folder(out, label_cols=["cardiomegaly"], pipeline=CHAIN)
    sp = stratified_split(ds.meta, by=["sex"], fractions=(0.6, 0.2, 0.2), seed=0)
    data = {k: ds.subset(v) for k, v in sp.items()}
    first = data["train"].meta.path[0]
    # the dataset's item is the chain applied to the file, and its history starts at the file
    s = data["train"].sample(0)
    np.testing.assert_array_equal(s.image, CHAIN(load_dicom(out / first)).image)
    assert [r.op for r in s.history] == ["read_dicom", "normalize", "resize"]
    assert s.history[0].stats["sha256"] == sha256_file(out / first)
    res = train_classifier(data, "erm", "cardiomegaly", "sex", epochs=1, image_size=32, seed=0, post_hoc=False, threads=1)
    p = classifier_passport(res, "provenance test", n_boot=50)
    validate_passport(p)
    assert [t["op"] for t in p["transformations"]] == ["read_dicom", "normalize", "resize"]   # no extra resize: the chain ends at 32
    assert p["transformations"][0]["stats"]["sha256"] == sha256_file(out / first)
    assert p["transformations"][1]["method"] == "zscore" and p["transformations"][2]["out_shape"] == [32, 32]
    comp = {(r["split"], r["attribute"]): 0 for r in p["data"]["composition"]}
    assert {("train", "sex"), ("val", "sex"), ("test", "sex"), ("train", "sex×age_group")} <= set(comp)
    pj, _ = write_passport(p, tmp_path)
    again = json.loads(pj.read_text())
    assert verify_passport(again) == [] and again["traceability"]["head"] == p["traceability"]["head"]


def test_spatial_steps_invert_to_the_original_grid(folder):
    out, coh = folder
    j = 3
    path = out / "dicom" / f"{coh.meta.subject_id[j]}.dcm"
    masks = coh.masks[j] > 0.5
    s = CHAIN(load_dicom(path, masks=masks, landmarks=coh.landmarks[j]))
    assert s.image.shape == (32, 32) and s.masks.shape[1:] == (32, 32)
    for k in range(masks.shape[0]):
        back = s.invert(s.masks[k], mask_mode="linear")
        assert back.shape == masks.shape[1:]
        assert dice_coefficient(back, masks[k]) > 0.9, (k, dice_coefficient(back, masks[k]))
    # a prediction on the model's grid (here: the standardized image) maps back onto the file's grid
    z = Normalize(AdaptiveNormalizer("zscore"))(load_dicom(path)).image
    assert np.corrcoef(s.invert(s.image).ravel(), z.ravel())[0, 1] > 0.95
