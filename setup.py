"""Packaging for medfair: every setting comes from settings.ini (nbdev 2 layout).

Written without `pkg_resources` (gone from recent setuptools): requirement strings are
passed through as they are and validated by setuptools itself.
"""
from configparser import ConfigParser
from pathlib import Path
import shlex
import shutil
import setuptools
from setuptools.command.build_py import build_py

cfg = ConfigParser(delimiters=["="])
cfg.read("settings.ini", encoding="utf-8")
cfg = cfg["DEFAULT"]

licenses = {
    "apache2": ("Apache Software License 2.0", "OSI Approved :: Apache Software License"),
}
statuses = ["1 - Planning", "2 - Pre-Alpha", "3 - Alpha", "4 - Beta",
            "5 - Production/Stable", "6 - Mature", "7 - Inactive"]
lic = licenses[cfg["license"]]
min_python = cfg["min_python"]
py_versions = ["3.10", "3.11", "3.12", "3.13"]

requirements = shlex.split(cfg.get("requirements", ""))
dev_requirements = shlex.split(cfg.get("dev_requirements", ""))
dicom_requirements = shlex.split(cfg.get("dicom_requirements", ""))   # decoders for compressed DICOM: pip install "medfair[dicom]"
federated_requirements = shlex.split(cfg.get("federated_requirements", ""))   # Flower + its Ray simulation engine: pip install "medfair[federated]"
cluster_requirements = shlex.split(cfg.get("cluster_requirements", ""))   # Ray for `medfair repro sweep --executor ray`: pip install "medfair[cluster]"
console_scripts = [s.strip() for s in cfg.get("console_scripts", "").split() if s.strip()]

class BuildWithReproductions(build_py):
    "Ship the reproduction notebooks (nbs/repro/*.ipynb) inside the package, as medfair/repro_notebooks/."
    def run(self):
        super().run()
        src = Path("nbs") / "repro"
        if not src.is_dir(): return
        dst = Path(self.build_lib) / cfg["lib_path"] / "repro_notebooks"
        dst.mkdir(parents=True, exist_ok=True)
        for nb in sorted(src.glob("*.ipynb")): shutil.copy2(nb, dst / nb.name)


setuptools.setup(
    cmdclass={"build_py": BuildWithReproductions},
    name=cfg["lib_name"],
    version=cfg["version"],
    license=lic[0],
    classifiers=[
        "Development Status :: " + statuses[int(cfg["status"])],
        "Intended Audience :: " + cfg["audience"].title(),
        "Natural Language :: " + cfg["language"].title(),
        "License :: " + lic[1],
    ] + ["Programming Language :: Python :: " + v for v in py_versions[py_versions.index(min_python):]],
    url=cfg["git_url"],
    packages=setuptools.find_packages(include=["medfair", "medfair.*"]),
    include_package_data=True,
    install_requires=requirements,
    extras_require={"dev": dev_requirements, "dicom": dicom_requirements, "federated": federated_requirements, "cluster": cluster_requirements},
    python_requires=">=" + min_python,
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    zip_safe=False,
    entry_points={"console_scripts": console_scripts, "nbdev": [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
    author=cfg["author"],
    author_email=cfg["author_email"],
    description=cfg["description"],
    keywords=cfg["keywords"],
)
