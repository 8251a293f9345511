"""Federated training on Flower (medfair.federated): the localhost multi-process deployment (a SuperLink process and one
SuperNode process per care setting, started and stopped here) gives bit for bit the model of the in-process simulation
(so both are deterministic functions of the configuration), and leaves no process behind."""
import re

import psutil
import pytest

pytest.importorskip("flwr", reason="Flower is not installed (pip install 'medfair[federated]')")
pytest.importorskip("ray", reason="Flower's simulation engine needs Ray (pip install 'medfair[federated]')")

from medfair.federated import FederatedConfig, run_deployment, run_federated, weights_sha256

pytestmark = pytest.mark.xdist_group("federated")     # one worker: the processes of one federation at a time

TINY = FederatedConfig(n_subjects=600, image_size=32, n_blocks=2, width=4, rounds=2, workers=1)


@pytest.mark.slow   # ~2-5 min: in `make test-all`
def test_localhost_deployment_matches_the_simulation(tmp_path):
    simulated = run_federated(TINY, "fedprox")
    res = run_deployment(TINY, "fedprox", workdir=tmp_path, timeout=600)
    assert res["weights_sha256"] == weights_sha256(simulated.model), f"logs in {res['logs']}"
    assert res["auroc"] == pytest.approx(simulated.auroc(), abs=0)
    assert all((tmp_path / f"supernode{i}.log").exists() for i in range(4))      # one SuperNode process per care setting
    port = re.search(r"127\.0\.0\.1:(\d+)", (tmp_path / "flwr_home" / "config.toml").read_text()).group(1)
    cmdlines = []
    for p in psutil.process_iter(["cmdline"]):
        cmdlines.append(" ".join(p.info["cmdline"] or []))
    left = [l for l in cmdlines if "flower-super" in l and port in l]
    assert not left, f"processes left running: {left}"
