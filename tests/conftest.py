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
    """`make docs`'s work, done once per test run: nbdev_proc_nbs, then nbdev_docs (Quarto) or the static HTML fallback
    in _site/. Returns the finished process's args, returncode, stdout and stderr (its output says which path was
    taken), with the venv's package list before and after as `.packages_before` / `.packages_after` (building docs
    must not install anything). Under pytest-xdist every worker has its own session: a file lock and a stamp with the
    run's id make the first worker build and the others reuse that build (a second build would delete _site/ under a
    browser test that is reading it)."""
    import json
    import subprocess
    from types import SimpleNamespace

    from filelock import FileLock
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")        # the same in every worker of one `pytest -n` run
    stamp = ROOT / ".site_build.json"
    def packages(): return subprocess.run([sys.executable, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True).stdout
    with FileLock(str(ROOT / ".site_build.lock")):
        if run and stamp.exists():
            done = json.loads(stamp.read_text())
            if done.get("run") == run: return SimpleNamespace(**done["result"])
        before = packages()
        r = subprocess.run([sys.executable, str(ROOT / "tools" / "make_docs.py")], cwd=ROOT, env=tool_env(),
                           capture_output=True, text=True, timeout=1800)
        result = dict(args=r.args, returncode=r.returncode, stdout=r.stdout, stderr=r.stderr, packages_before=before, packages_after=packages())
        stamp.write_text(json.dumps({"run": run, "result": result}))
        return SimpleNamespace(**result)
