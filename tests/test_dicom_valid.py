"""Files medfair writes are valid DICOM (dicom3tools' dciodvfy: 0 errors), and `write_dicom` refuses what DICOM cannot hold."""
import shutil
import subprocess

import numpy as np
import pytest

from conftest import ROOT
from medfair.core import MedfairInputError
from medfair.dicom import read_dicom, write_dicom

DCIODVFY = shutil.which("dciodvfy")
needs_dciodvfy = pytest.mark.skipif(DCIODVFY is None, reason="dciodvfy (Debian package dicom3tools) is not installed; `make test` installs it as root")
META = dict(subject_id="S1", sex="F", age=50.0, kvp=110.0, mas=2.5, sid_mm=1800.0, bits_stored=12, pixel_spacing=0.2,
            manufacturer="medfair", model="sim", site="academic", view="PA", exposure_control="AEC")


def _errors(path) -> list[str]:
    out = subprocess.run([DCIODVFY, "-new", str(path)], capture_output=True, text=True, timeout=60)
    return [l for l in (out.stdout + out.stderr).splitlines() if l.startswith("Error")]


@needs_dciodvfy
def test_committed_samples_are_valid_dicom():
    files = sorted((ROOT / "data_samples" / "dicom").glob("*.dcm"))
    assert len(files) == 24
    assert {f.name: _errors(f) for f in files if _errors(f)} == {}


@needs_dciodvfy
@pytest.mark.parametrize("modality,photometric", [("DX", "MONOCHROME2"), ("DX", "MONOCHROME1"), ("CR", "MONOCHROME1"), ("CR", "MONOCHROME2")])
def test_written_files_are_valid_dicom(tmp_path, modality, photometric):
    px = np.random.default_rng(0).integers(0, 4096, (32, 24)).astype(np.uint16)
    p = write_dicom(tmp_path / "x.dcm", px, dict(META, modality=modality, photometric=photometric), uid_entropy=[1], window=(2000, 3000))
    assert _errors(p) == []
    assert read_dicom(p).image.shape == (32, 24)


def test_the_validator_can_fail(tmp_path):
    if DCIODVFY is None: pytest.skip("dciodvfy not installed")
    import pydicom
    p = write_dicom(tmp_path / "x.dcm", np.zeros((8, 8), np.uint16), dict(META, modality="DX"), uid_entropy=[1])
    ds = pydicom.dcmread(p); del ds.ImageLaterality; ds.save_as(p)
    assert any("ImageLaterality" in e for e in _errors(p))


@pytest.mark.parametrize("change,what", [
    (dict(pixel_spacing=0), "pixel_spacing"), (dict(pixel_spacing=-1), "pixel_spacing"), (dict(pixel_spacing=float("nan")), "pixel_spacing"),
    (dict(pixel_spacing=(0.2, 0.2, 0.2)), "pixel_spacing"), (dict(kvp=float("nan")), "kvp"), (dict(kvp=-80), "kvp"),
    (dict(subject_id="X" * 70), "subject_id"), (dict(sex="U"), "sex"), (dict(site="a\\b"), "site")])
def test_write_dicom_refuses_what_dicom_cannot_hold(tmp_path, change, what):
    with pytest.raises(MedfairInputError, match=what):
        write_dicom(tmp_path / "x.dcm", np.zeros((8, 8), np.uint16), dict(META, **change))


def test_write_dicom_refuses_bad_images_and_windows(tmp_path):
    with pytest.raises(MedfairInputError, match="empty"): write_dicom(tmp_path / "x.dcm", np.zeros((0, 0), np.uint16), META)
    with pytest.raises(MedfairInputError, match="window"): write_dicom(tmp_path / "x.dcm", np.zeros((8, 8), np.uint16), META, window=(100, 0))
    p = write_dicom(tmp_path / "u.dcm", np.zeros((8, 8), np.uint16), dict(META, sex="unknown"))
    assert read_dicom(p).meta["sex"] is None                                  # unknown is stored as empty, not as "O"
