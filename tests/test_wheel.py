"""A non-editable install works: the wheel ships the reproduction notebooks, `medfair repro list` finds them and
`medfair repro run` runs one, with nothing of the source checkout on the path."""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["setup.py", "settings.ini", "pyproject.toml", "README.md", "MANIFEST.in", "medfair", "nbs/repro"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    "Build a wheel from a copy of the sources and install it (without dependencies: this venv has them) into a folder."
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    for rel in SOURCES:
        s, d = ROOT / rel, src / rel
        d.parent.mkdir(parents=True, exist_ok=True)
        if s.is_dir(): shutil.copytree(s, d, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
        else: shutil.copy2(s, d)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"), str(src)], check=True, timeout=600)
    whl = next((tmp / "dist").glob("medfair-*.whl"))
    site = tmp / "site"
    subprocess.run([*pip, "install", "--no-deps", "-q", "--target", str(site), str(whl)], check=True, timeout=600)
    env = {k: v for k, v in os.environ.items() if k != "MEDFAIR_REPRO_DIR"}
    env["PYTHONPATH"] = str(site)
    work = tmp / "work"
    work.mkdir()
    return whl, site, env, work


def _medfair(env, cwd, *args, timeout=900):
    code = "import sys; from medfair.cli import main; sys.argv[0] = 'medfair'; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_wheel_contains_every_reproduction(installed):
    whl, site, env, work = installed
    names = set(zipfile.ZipFile(whl).namelist())
    shipped = {n.rsplit("/", 1)[1] for n in names if n.startswith("medfair/repro_notebooks/") and n.endswith(".ipynb")}
    assert shipped == {p.name for p in (ROOT / "nbs" / "repro").glob("*.ipynb")} and shipped
    where = subprocess.run([sys.executable, "-c", "import medfair; print(medfair.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).resolve().is_relative_to(site.resolve()), where   # the wheel's copy, not the checkout


def test_wheel_offers_the_dicom_decoders_extra(installed):
    whl, *_ = installed
    z = zipfile.ZipFile(whl)
    meta = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert "Provides-Extra: dicom" in meta
    for pkg in ("pylibjpeg", "pylibjpeg-libjpeg", "pylibjpeg-openjpeg", "pyjpegls"):
        assert f'Requires-Dist: {pkg}; extra == "dicom"' in meta, pkg


def test_repro_list_and_run_from_the_wheel(installed):
    whl, site, env, work = installed
    r = _medfair(env, work, "repro", "list")
    assert r.returncode == 0, r.stderr[-2000:]
    for name in (p.stem for p in (ROOT / "nbs" / "repro").glob("*.ipynb")): assert name in r.stdout
    out = work / "run"
    r = _medfair(env, work, "repro", "run", "gender_imbalance", "--preset", "ci", "-p", "n_seeds", "2", "-p", "epochs", "1",
                 "-p", "n_boot", "50", "-p", "n_subjects", "600", "-p", "n_test", "400", "--out", str(out), "--quiet")
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "ok"
    assert Path(record["notebook"]).resolve().is_relative_to(site.resolve())   # ran the shipped notebook
    claims = json.loads((out / "metrics.json").read_text())["claims"]
    assert {c["id"] for c in claims} >= {"gap_slope", "control_gap_slope"}
    assert (out / "report.html").stat().st_size > 10_000
    assert not list(site.rglob("metrics.json"))                            # nothing written into the installed package
