"""medfair.dicom under hostile input: pydicom's whole test corpus, a bounded seeded fuzz, hand-made header variants with
their correct results or named refusals, and the memory bound on a deflate bomb."""
import subprocess
import sys
import textwrap
import warnings
import zlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
import pydicom.data
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.pixels import apply_modality_lut

from medfair.core import MedfairInputError
from medfair.dicom import DicomReadError, read_dicom, dicom_meta, open_dicom, write_dicom
from medfair.dicomfuzz import fuzz_dicom


def test_pydicom_corpus_reads_correctly_or_is_refused_by_name():
    bundled = Path(pydicom.data.__file__).parent / "test_files"                 # the files pydicom ships (no downloads)
    files = sorted(str(f) for f in bundled.rglob("*") if f.is_file() and f.suffix.lower() not in (".txt", ".py", ".json", ".gz", ".bz2"))
    read = refused = 0
    for f in files:
        try:
            img = read_dicom(f)
        except MedfairInputError:
            refused += 1
            continue
        read += 1
        assert np.isfinite(img.image).all(), f
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = open_dicom(f)                                                  # pydicom's decoder and modality LUT are the reference
            ref = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
        if str(ds.get("PhotometricInterpretation", "")).strip() == "MONOCHROME1":
            lo, hi = img.history["modality_range"]
            ref = lo + hi - ref
        np.testing.assert_allclose(img.image, ref.astype(np.float32), rtol=1e-6, atol=1e-3, err_msg=f)   # 0 wrong pixels
    assert read >= 40 and refused >= 20 and read + refused == len(files)


def test_bounded_fuzz_has_no_raw_exception():
    df = fuzz_dicom(2000, seed=11)
    raw = df[df.outcome == "raw"]
    assert len(raw) == 0, raw.groupby("signature").size().to_string()
    assert (df.outcome == "ok").mean() > 0.3 and (df.outcome == "refused").mean() > 0.2   # the mutations bite, reading still works


@pytest.fixture
def dx(tmp_path):
    "A 12-bit MONOCHROME2 radiograph written by medfair, and a function that rewrites it with header changes."
    rng = np.random.default_rng(0)
    px = rng.integers(0, 4096, (16, 12)).astype(np.uint16)
    path = write_dicom(tmp_path / "dx.dcm", px, dict(subject_id="S1", sex="F", age=50.0, bits_stored=12, pixel_spacing=0.2,
                                                    modality="DX"), uid_entropy=[1], window=(2000.0, 3000.0))
    def variant(name, **changes):
        ds = pydicom.dcmread(path)
        for k, v in changes.items():
            if v is None: delattr(ds, k)
            elif isinstance(v, (str, list)) and all(isinstance(x, str) for x in ([v] if isinstance(v, str) else v)):
                tag = pydicom.datadict.tag_for_keyword(k)           # text stored as written, however malformed
                raw = "\\".join([v] if isinstance(v, str) else v).encode()
                raw += b" " * (len(raw) % 2)
                ds[tag] = pydicom.dataelem.RawDataElement(pydicom.tag.Tag(tag), pydicom.datadict.dictionary_VR(tag), len(raw), raw, 0, False, True)
            else: setattr(ds, k, v)
        out = tmp_path / f"{name}.dcm"
        with pydicom.config.disable_value_validation():
            ds.save_as(out, enforce_file_format=True)
        return out
    return px.astype(np.float64), path, variant


def _window(x, c, w):    # PS3.3 C.11.2.1.2.1, written out independently of medfair
    return np.where(x <= c - 0.5 - (w - 1) / 2, 0.0, np.where(x > c - 0.5 + (w - 1) / 2, 1.0, (x - (c - 0.5)) / (w - 1) + 0.5))


def test_rescale_is_applied_exactly_as_recorded(dx):
    px, path, variant = dx
    only_slope = read_dicom(variant("s", RescaleSlope="2", RescaleIntercept=None))
    np.testing.assert_allclose(only_slope.image, px * 2)
    assert only_slope.history["modality_lut"] == "rescale 2*x+0"
    only_icpt = read_dicom(variant("i", RescaleIntercept="-100", RescaleSlope=None))
    np.testing.assert_allclose(only_icpt.image, px - 100)
    assert only_icpt.history["modality_lut"] == "rescale 1*x-100"
    for bad, msg in (("0", "RescaleSlope is 0"), ("nan", "must be finite"), ("inf", "must be finite"), ("abc", "not a number")):
        with pytest.raises(DicomReadError, match=msg):
            read_dicom(variant(f"b{bad}", RescaleSlope=bad, RescaleIntercept="0"))


def test_negative_slope_with_a_window_is_not_inverted(dx):
    px, path, variant = dx
    img = read_dicom(variant("neg", RescaleSlope="-1", RescaleIntercept="4095", WindowCenter="2000", WindowWidth="3000"), voi=True)
    np.testing.assert_allclose(img.image, _window(4095 - px, 2000, 3000), atol=1e-6)   # dense (low modality value) stays dark


def test_windows_functions_and_index(dx):
    px, path, variant = dx
    two = variant("two", WindowCenter=["2000", "1000"], WindowWidth=["3000", "500"])
    w1 = read_dicom(two, voi=True, voi_index=1)
    np.testing.assert_allclose(w1.image, _window(px, 1000, 500), atol=1e-6)
    assert w1.history["voi"] == "file window 1: 1000/500"                      # the window applied is the one recorded
    with pytest.raises(MedfairInputError, match="voi_index"): read_dicom(two, voi=True, voi_index=2)
    with pytest.raises(MedfairInputError, match="voi_index"): read_dicom(two, voi=True, voi_index=-1)
    sig = read_dicom(variant("sig", VOILUTFunction="SIGMOID"), voi=True)
    np.testing.assert_allclose(sig.image, 1 / (1 + np.exp(-4 * (px - 2000) / 3000)), atol=1e-6)
    with pytest.raises(DicomReadError, match="VOILUTFunction"): read_dicom(variant("fn", VOILUTFunction="CUBIC"), voi=True)
    for w in ("0", "-5"):
        with pytest.raises(DicomReadError, match="window width"): read_dicom(variant(f"w{w}", WindowWidth=w), voi=True)
    with pytest.raises(DicomReadError, match="not a number"): read_dicom(variant("wc", WindowCenter="abc"), voi=True)


def _lut_item(n, first, bits, data, vr="US"):
    it = Dataset()
    it.LUTDescriptor = [n, first, bits]
    it["LUTData"] = pydicom.DataElement(0x00283006, vr, [int(v) for v in data])
    return it


def test_luts_of_any_legal_depth_and_the_8_bit_wrap(dx):
    px, path, variant = dx
    ramp9 = np.minimum(np.arange(4096) // 8, 511)
    v9 = read_dicom(variant("voi9", VOILUTSequence=[_lut_item(4096, 0, 9, ramp9)], WindowCenter=None, WindowWidth=None), voi=True)
    np.testing.assert_allclose(v9.image, ramp9[px.astype(int)] / 511, atol=1e-6)
    mod12 = np.arange(4096)[::-1]
    m12 = read_dicom(variant("mod12", ModalityLUTSequence=[_lut_item(4096, 0, 12, mod12)], RescaleSlope=None, RescaleIntercept=None))
    np.testing.assert_allclose(m12.image, mod12[px.astype(int)])
    wrap = np.arange(4096) // 8                                              # 0..511 in an 8-bit LUT: pydicom 3.0.2 wraps
    with pytest.raises(DicomReadError, match="outside the 8-bit range"):
        read_dicom(variant("wrap", VOILUTSequence=[_lut_item(4096, 0, 8, wrap)], WindowCenter=None, WindowWidth=None), voi=True)
    with pytest.raises(DicomReadError, match="DICOM allows 8 to 16"):
        read_dicom(variant("b4", VOILUTSequence=[_lut_item(4096, 0, 4, ramp9 % 16)], WindowCenter=None, WindowWidth=None), voi=True)


def test_header_variants_that_used_to_raise_raw(dx, tmp_path):
    px, path, variant = dx
    one = read_dicom(variant("sp1", ImagerPixelSpacing="0.2", PixelSpacing=None))
    assert one.spacing is None and one.meta["spacing_source"] is None          # one value: unknown spacing, not a crash
    ds = pydicom.dcmread(path)
    ds.ExposureInuAs = ""; ds.ExposureInmAs = None if "ExposureInmAs" not in ds else ds.ExposureInmAs
    assert dicom_meta(ds)["mas"] is None or np.isfinite(dicom_meta(ds)["mas"])
    fl = pydicom.dcmread(path); del fl.PixelData
    fl["FloatPixelData"] = pydicom.DataElement(0x7FE00008, "OF", px.astype(np.float32).tobytes())
    with pydicom.config.disable_value_validation(): fl.save_as(tmp_path / "float.dcm", enforce_file_format=True)
    with pytest.raises(DicomReadError, match="float pixel data"): read_dicom(tmp_path / "float.dcm")
    b = path.read_bytes()                                                    # the transfer syntax UID replaced in place by a
    i = b.index(b"1.2.840.10008.1.2.1\0")                                   # UID of the same length that is not one
    (tmp_path / "ts.dcm").write_bytes(b[:i] + b"1.2.840.10008.5.1.4\0" + b[i + 20:])
    with pytest.raises(DicomReadError, match="not a transfer syntax"): read_dicom(tmp_path / "ts.dcm")
    big = variant("rows", Rows=65535, Columns=65535)
    with pytest.raises(DicomReadError, match="max_bytes"): read_dicom(big, max_bytes=2 ** 20)


def _deflate_bomb(path: Path, inflated: int):
    "A deflated DICOM file whose data set inflates to about `inflated` bytes of pixel data."
    fm = pydicom.dataset.FileMetaDataset()
    fm.MediaStorageSOPClassUID = pydicom.uid.DigitalXRayImageStorageForPresentation
    fm.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["bomb"])
    fm.TransferSyntaxUID = pydicom.uid.DeflatedExplicitVRLittleEndian
    side = int(np.sqrt(inflated // 2))
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = fm.MediaStorageSOPClassUID, fm.MediaStorageSOPInstanceUID, "DX"
    ds.Rows = ds.Columns = side; ds.BitsAllocated = ds.BitsStored = 16; ds.HighBit = 15; ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = "MONOCHROME2"
    head = DicomBytesIO(); head.is_little_endian, head.is_implicit_VR = True, False
    pydicom.filewriter.write_file_meta_info(head, fm)
    plain = DicomBytesIO(); plain.is_little_endian, plain.is_implicit_VR = True, False
    pydicom.filewriter.write_dataset(plain, ds)                                 # the data set that gets deflated
    n = side * side * 2
    comp = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    with open(path, "wb") as f:
        f.write(b"\0" * 128 + b"DICM" + head.getvalue())
        f.write(comp.compress(plain.getvalue() + b"\xe0\x7f\x10\x00OW\0\0" + n.to_bytes(4, "little")))
        zeros = b"\0" * (1 << 20)
        for _ in range(n >> 20): f.write(comp.compress(zeros))
        f.write(comp.compress(b"\0" * (n % (1 << 20))) + comp.flush())


def test_deflate_bomb_is_refused_within_the_memory_bound(tmp_path):
    bomb = tmp_path / "bomb.dcm"
    _deflate_bomb(bomb, 512 * 2 ** 20)
    assert bomb.stat().st_size < 2 * 2 ** 20                                   # a ~1 MB file that inflates to 512 MiB
    limit = 64 * 2 ** 20
    ok = tmp_path / "ok.dcm"
    _deflate_bomb(ok, 16 * 2 ** 20)                                            # a deflated file within the bound
    code = textwrap.dedent(f"""
        import resource, sys
        from medfair.dicom import read_dicom, DicomReadError
        vm = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1]) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (vm + 4 * {limit}, vm + 4 * {limit}))   # address space: what is mapped + 4x the limit
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try: read_dicom({str(bomb)!r}, max_bytes={limit}); print("READ")
        except DicomReadError as e: print("REFUSED", "max_bytes" in str(e))
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024)
        print(read_dicom({str(ok)!r}, max_bytes={limit}).image.shape[0])       # a file within the bound reads under the same rlimit
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    lines = out.stdout.split()
    assert lines[:2] == ["REFUSED", "True"], out.stdout + out.stderr
    assert int(lines[2]) < 2 * limit, f"peak memory grew by {int(lines[2]) / 2**20:.0f} MiB"
    assert int(lines[3]) == int(np.sqrt(16 * 2 ** 20 // 2)), out.stdout + out.stderr


def test_deflated_file_within_the_bound_still_reads():
    img = read_dicom(get_testdata_file("image_dfl.dcm"))
    assert img.image.shape == (512, 512) and np.isfinite(img.image).all()


def test_deflated_stream_with_trailing_bytes_does_not_hang(tmp_path):
    "Found by atheris (tools/atheris_dicom.py): bytes after the end of the deflate stream kept the size check looping."
    p = tmp_path / "tail.dcm"
    _deflate_bomb(p, 4 * 2 ** 20)                                              # more output than one 1 MiB step
    with open(p, "ab") as f: f.write(b"\x01\x02trailing bytes after the deflate stream" * 40)
    code = f"from medfair.dicom import read_dicom\ntry: read_dicom({str(p)!r}); print('read')\nexcept Exception as e: print(type(e).__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)   # a hang fails here
    assert out.stdout.strip() in ("read", "DicomReadError"), out.stdout + out.stderr
