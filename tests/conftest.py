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
