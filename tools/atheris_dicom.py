"""Coverage-guided fuzzing of medfair's DICOM readers with atheris (issue 16): `pip install atheris`, then
    python tools/atheris_dicom.py -max_total_time=180 [-seed=N]
Starts from the `medfair.dicomfuzz` seed corpus; every input must give an image or a `MedfairInputError`. Any other
exception is a finding: atheris stops, prints the stack and writes the input to crash-<hash> in the current folder.
"""
import sys
import tempfile
import warnings
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["medfair"]):
    from medfair.core import MedfairInputError
    from medfair.dicom import dicom_meta, open_dicom, read_dicom, deidentify
    from medfair.dicomfuzz import fuzz_corpus

TMP = Path(tempfile.mkdtemp())


def one_input(data: bytes):
    p = TMP / "in.dcm"
    p.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for call in (lambda: read_dicom(p), lambda: read_dicom(p, voi=True), lambda: read_dicom(p, normalize=True),
                     lambda: dicom_meta(open_dicom(p)), lambda: deidentify(p, TMP / "out.dcm", salt="fuzz")):
            try: call()
            except MedfairInputError: pass


if __name__ == "__main__":
    corpus = Path(tempfile.mkdtemp())
    for name, b in fuzz_corpus().items(): (corpus / name).write_bytes(b)
    import logging; logging.disable(logging.CRITICAL)
    atheris.Setup([sys.argv[0], *sys.argv[1:], str(corpus)], one_input)
    atheris.Fuzz()
