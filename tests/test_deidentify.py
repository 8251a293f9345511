"""De-identification by PS3.15's Basic Profile: every identifying value of the input, at any depth (sequences, file meta,
overlays, private blocks), is absent from the output — on a PHI-heavy synthetic file and on every file pydicom ships."""
import re
from pathlib import Path

import numpy as np
import pydicom
import pydicom.data
import pytest
from pydicom.dataset import Dataset, FileMetaDataset

from medfair.core import MedfairInputError
from medfair.dicom import _profile_action, deidentify, open_dicom, read_dicom, write_dicom

RETAINED = {"PatientSex", "PatientAge"}          # the Retain Patient Characteristics option: sex and a banded age
TEXT_VRS = {"PN", "LO", "SH", "LT", "ST", "UT", "UC", "UR", "AE", "DA", "DT", "UI", "OB", "OW", "UN"}   # what can carry identity


def _values(v):
    if isinstance(v, (bytes, bytearray)): return [bytes(v)]
    if isinstance(v, (list, tuple, pydicom.multival.MultiValue)): return [x for y in v for x in _values(y)]
    return [str(v)]


def identifying_values(ds: Dataset) -> set:
    """Every value the profile must not let through: elements it lists (any depth), private elements, text inside removed
    or replaced sequences, the file meta's AE titles — less registered UIDs (SOP classes, ...) and values the profile
    keeps elsewhere in the same file (a manufacturer that is also the institution's name is not a leak of the institution)."""
    found, kept = set(), set()
    def visit(d, inherited=False):
        for el in d:
            listed = el.tag.is_private or (_profile_action(el.tag, el.VR) is not None and el.keyword not in RETAINED)
            if el.VR == "SQ":
                for it in el.value: visit(it, inherited or listed)
                continue
            vals = [x for x in _values(el.value) if len(x) >= 5 and x.strip(b"\0 " if isinstance(x, bytes) else "\0 ")]
            if el.VR == "TM": continue                                           # times of day are kept with the shifted dates
            if (listed and el.VR not in ("US", "SS", "UL", "SL", "FL", "FD", "IS", "DS")) or (inherited and el.VR in TEXT_VRS):
                found.update(v for v in vals if not (el.VR == "UI" and v in pydicom.uid.UID_dictionary))
            elif not inherited and not listed: kept.update(vals)
    visit(ds)
    fm = getattr(ds, "file_meta", None)
    if fm is not None:
        for kw in ("SourceApplicationEntityTitle", "SendingApplicationEntityTitle", "ReceivingApplicationEntityTitle"):
            if kw in fm and len(str(fm[kw].value).strip()) >= 5: found.add(str(fm[kw].value).strip())
        kept.update(str(fm[kw].value) for kw in ("ImplementationClassUID", "ImplementationVersionName") if kw in fm)
    kept_text = [k for k in kept if isinstance(k, str)]
    return {v for v in found - kept if not (isinstance(v, str) and any(v.strip() in k for k in kept_text))}


def hits(original: set, out_path: Path) -> list:
    "Original identifying values found anywhere in the written file: every element's text at any depth, and the raw bytes."
    raw = out_path.read_bytes()
    found = []
    for v in original:
        needle = v if isinstance(v, bytes) else v.strip().encode("latin-1", "ignore")
        if len(needle) < 5: continue
        if isinstance(v, bytes): hit = needle in raw
        else: hit = re.search(rb"(?<![0-9.])" + re.escape(needle) + rb"(?![0-9.])", raw) is not None   # a UID root is not its UIDs
        if hit: found.append(v)
    return found


def phi_heavy(path: Path) -> Path:
    "A DX file carrying identifying values everywhere the issue found leaks."
    px = np.random.default_rng(0).integers(0, 4096, (16, 16)).astype(np.uint16)
    p = write_dicom(path, px, dict(subject_id="MRN7654321", sex="F", age=47.0, bits_stored=12, pixel_spacing=0.2, modality="DX",
                                   manufacturer="Acme", site="StMarysWard"), uid_entropy=["phi"])
    ds = pydicom.dcmread(p)
    ds.PatientName = "DOE^JANE^Q"
    ds.PatientBirthDate, ds.PatientAddress = "19770304", "12 Elm Street Springfield"
    ds.PatientTelecomInformation = "tel:+1-555-0134-77"
    ds.MedicalAlerts, ds.Allergies = "penicillin allergy JD", "peanuts severe JD"
    ds.PatientComments, ds.ImageComments = "Jane is anxious, call husband Bob", "Left arm cast, Dr Who said"
    ds.InstitutionName, ds.StationName = "Springfield General Hospital", "XRAYROOM7"
    ds.AccessionNumber, ds.StudyID = "ACC99887766", "STUDY5544"
    ds.OtherPatientIDsSequence = [Dataset()]; ds.OtherPatientIDsSequence[0].PatientID = "OTHER-ID-12345"
    phys = Dataset(); phys.PersonIdentificationCodeSequence = [Dataset()]
    phys.PersonIdentificationCodeSequence[0].CodeValue, phys.PersonIdentificationCodeSequence[0].CodingSchemeDesignator = "DRHOUSE77", "L"
    phys.PersonIdentificationCodeSequence[0].CodeMeaning = "Gregory House"
    phys.InstitutionName = "Princeton Plainsboro"
    ds.ReferringPhysicianIdentificationSequence = [phys]
    ds.PerformingPhysicianIdentificationSequence = [phys]
    ds.OperatorIdentificationSequence = [phys]
    mod = Dataset(); mod.PatientID = "MRN7654321-OLD"; mod.PatientName = "SMITH^JANE"
    orig = Dataset(); orig.ModifiedAttributesSequence = [mod]; orig.SourceOfPreviousValues = "RIS7"
    orig.AttributeModificationDateTime = "20200101120000"; orig.ModifyingSystem = "PACSX9"; orig.ReasonForTheAttributeModification = "COERCE"
    ds.OriginalAttributesSequence = [orig]
    item = Dataset(); item.RelationshipType, item.ValueType, item.TextValue = "CONTAINS", "TEXT", "Jane Doe MRN 7654321 seen today"
    ds.ContentSequence = [item]
    icon = Dataset(); icon.Rows = icon.Columns = 2; icon.BitsAllocated = icon.BitsStored = 8; icon.HighBit = 7
    icon.PixelRepresentation, icon.SamplesPerPixel, icon.PhotometricInterpretation = 0, 1, "MONOCHROME2"
    icon.PixelData = b"JDOE"; icon.Rows = 2; icon.Columns = 4; icon.PixelData = b"JDOEJDOE"
    ds.IconImageSequence = [icon]
    ds.add_new(0x60000010, "US", 16); ds.add_new(0x60000011, "US", 16); ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60003000, "OW", b"DOEJANEOVERLAYBITS" * 2); ds.add_new(0x60001500, "LO", "DOE JANE")
    ds.add_new(0x60004000, "LT", "overlay note about Jane Doe")
    blk = ds.private_block(0x0011, "ACME PRIVATE", create=True); blk.add_new(0x01, "LO", "Jane Doe private copy")
    ds.file_meta.SourceApplicationEntityTitle = "SPRINGFIELDPACS"
    ds.BurnedInAnnotation = "NO"
    ds.save_as(p, enforce_file_format=True)
    return p


def test_phi_heavy_file_has_no_identifying_value_left(tmp_path):
    src = phi_heavy(tmp_path / "phi.dcm")
    original = identifying_values(open_dicom(src))
    assert {"DOE^JANE^Q", "Jane Doe MRN 7654321 seen today", "MRN7654321-OLD", "DRHOUSE77", "SPRINGFIELDPACS"} <= original
    d = deidentify(src, tmp_path / "out.dcm", salt="study-salt-1")
    assert hits(original, tmp_path / "out.dcm") == []
    out = pydicom.dcmread(tmp_path / "out.dcm")
    assert out.PatientSex == "F" and out.PatientAge == "040Y"                  # retained characteristics
    assert out.PatientIdentityRemoved == "YES" and out.LongitudinalTemporalInformationModified == "MODIFIED"
    assert {c.CodeValue for c in out.DeidentificationMethodCodeSequence} == {"113100", "113107", "113108"}
    assert not any(el.tag.is_private for el in out.iterall()) and 0x60003000 not in out
    assert read_dicom(tmp_path / "out.dcm").image.shape == (16, 16)          # still an image
    # dates move together (one per-patient offset): intervals survive, the dates themselves do not
    s = open_dicom(src)
    d0 = lambda v: np.datetime64(f"{v[:4]}-{v[4:6]}-{v[6:8]}")
    assert (d0(out.StudyDate) - d0(s.StudyDate)) == (d0(out.ContentDate) - d0(s.ContentDate)) != np.timedelta64(0, "D")
    again = deidentify(src, salt="study-salt-1")
    assert (again.PatientID, again.StudyInstanceUID, again.StudyDate) == (d.PatientID, d.StudyInstanceUID, d.StudyDate)
    other = deidentify(src)                                                   # default: a fresh random salt, returned
    assert other.PatientID != d.PatientID and len(other.medfair_salt) == 32
    with pytest.raises(MedfairInputError, match="salt"): deidentify(src, salt="")


def _corpus():
    b = Path(pydicom.data.__file__).parent / "test_files"
    return sorted(f for f in b.rglob("*") if f.is_file() and f.suffix.lower() not in (".txt", ".py", ".json", ".gz", ".bz2"))


def test_every_pydicom_file_has_no_identifying_value_left(tmp_path):
    done = refused = 0
    leaks = {}
    for f in _corpus():
        try: src = open_dicom(f)
        except MedfairInputError: continue
        original = identifying_values(src)
        out = tmp_path / "o.dcm"
        try: deidentify(f, out, salt="corpus", allow_burned_in=True)
        except MedfairInputError: refused += 1; continue
        done += 1
        h = hits(original, out)
        if h: leaks[f.name] = h[:3]
    assert leaks == {}
    assert done >= 120, (done, refused)


@pytest.mark.parametrize("flag,modality,refused", [("YES", "DX", True), (" yes ", "DX", True), (["NO", "YES"], "DX", True),
                                                   (None, "US", True), (None, "DX", False), ("NO", "US", False)])
def test_burned_in_gate(tmp_path, flag, modality, refused):
    p = write_dicom(tmp_path / "b.dcm", np.zeros((8, 8), np.uint16), dict(subject_id="S1", modality="DX"), uid_entropy=[1])
    ds = pydicom.dcmread(p); ds.Modality = modality
    if flag is None: del ds.BurnedInAnnotation
    else: ds.BurnedInAnnotation = flag
    if refused:
        with pytest.raises(MedfairInputError, match="BurnedInAnnotation"): deidentify(ds, salt="s")
        assert deidentify(ds, salt="s", allow_burned_in=True).PatientIdentityRemoved == "YES"
    else: assert deidentify(ds, salt="s").PatientIdentityRemoved == "YES"
    ds.BurnedInAnnotation = "NO"; ds.RecognizableVisualFeatures = "YES"
    with pytest.raises(MedfairInputError, match="RecognizableVisualFeatures"): deidentify(ds, salt="s")
