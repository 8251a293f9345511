"""Run by tests/test_ddp.py under `torchrun --nproc_per_node 2` (gloo on CPU)."""
import sys
from pathlib import Path

import torch
from torch import nn

from medfair.train import Trainer, TrainConfig, TensorDictDataset, dist_info

out = Path(sys.argv[1])
g = torch.Generator().manual_seed(0)
x = torch.randn(256, 4, generator=g)
y = x @ torch.tensor([1., -2., 0.5, 0.]) + 0.05 * torch.randn(256, generator=g)
ds = TensorDictDataset(x=x, y=y)
model = nn.Linear(4, 1)
with torch.no_grad():  # same initial weights on every rank without global seeding
    model.weight.copy_(torch.zeros(1, 4)); model.bias.zero_()
loss = lambda m, b: nn.functional.mse_loss(m(b["x"]).squeeze(-1), b["y"])
ev = lambda m, loader, dev: {"worst_group": -sum(nn.functional.mse_loss(m(b["x"]).squeeze(-1), b["y"], reduction="sum").item() for b in loader)}
tr = Trainer(model, loss, ds, ds, ev, TrainConfig(epochs=20, batch_size=16, lr=0.05, scheduler="none", weight_decay=0.0, progress=False, grad_clip=None))
hist = tr.fit()
info = dist_info()
torch.save({"state": {k: v.clone() for k, v in model.state_dict().items()}, "hist": hist.to_dict("list"),
            "world_size": torch.distributed.get_world_size(), "steps": tr.steps_per_epoch}, out / f"rank{info['rank']}.pt")
torch.distributed.destroy_process_group()
