"""The training engine under torchrun: 2 CPU processes, gloo backend, DistributedDataParallel."""
import subprocess
import sys

import torch

from conftest import BIN, ROOT, tool_env


def test_torchrun_two_processes_gloo(tmp_path):
    cmd = [str(BIN / "torchrun"), "--nproc_per_node", "2", "--master_port", "29517",
           str(ROOT / "tests" / "ddp_train_script.py"), str(tmp_path)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=tool_env(OMP_NUM_THREADS="1"))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    ranks = [torch.load(tmp_path / f"rank{i}.pt", weights_only=True) for i in range(2)]
    assert all(rk["world_size"] == 2 for rk in ranks)
    assert ranks[0]["steps"] == 256 // (16 * 2)          # each rank sees half of the data per epoch
    for k in ranks[0]["state"]:                           # DDP keeps the replicas identical
        assert torch.equal(ranks[0]["state"][k], ranks[1]["state"][k]), k
    h = ranks[0]["hist"]
    assert h["val_worst_group"][-1] > h["val_worst_group"][0]   # it learned (negative SSE rose)
    w = ranks[0]["state"]["weight"].flatten()
    assert torch.allclose(w, torch.tensor([1., -2., 0.5, 0.]), atol=0.1)
