import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def tool_env(**extra) -> dict:
    """Environment for subprocesses: the venv's bin first on PATH, machine-wide pip find-links ignored
    (nbdev_proc_nbs runs `pip install -e .`; it must use the venv's pip and plain PyPI)."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PIP_FIND_LINKS", None)
    env.pop("PIP_EXTRA_INDEX_URL", None)
    env["PIP_CONFIG_FILE"] = os.devnull
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def built_site():
    """`make docs`'s work, done once per test session: nbdev_proc_nbs, then nbdev_docs (Quarto) or the static
    HTML fallback in _site/. Returns the finished process (its output says which path was taken), with the venv's
    package list before and after as `.packages_before` / `.packages_after` (building docs must not install anything)."""
    import subprocess
    import sys
    def packages(): return subprocess.run([sys.executable, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True).stdout
    before = packages()
    r = subprocess.run([sys.executable, ROOT / "tools" / "make_docs.py"], cwd=ROOT, env=tool_env(),
                       capture_output=True, text=True, timeout=1800)
    r.packages_before, r.packages_after = before, packages()
    return r
