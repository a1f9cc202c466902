"""Run by tests/test_distributed.py in a subprocess: two CPU processes (gloo) train one DDP model, each on its own
shard, and write what they saw to ``OUT/rank{r}.json``. Usage: ``python ddp_worker.py OUT``."""

import json
import sys
import warnings
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset

WORLD = 2


def run(rank: int, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{out}/rendezvous", rank=rank, world_size=WORLD,
                            timeout=timedelta(seconds=60))  # fmt: skip
    from trainwise import find_lr, fit

    torch.manual_seed(0)  # the same initial weights on every process, as DDP expects
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    ddp = DistributedDataParallel(model)
    g = torch.Generator().manual_seed(rank)
    x = torch.randn(256, 4, generator=g) * (1.0 if rank == 0 else 30.0)  # rank 1's shard blows up at a lower LR
    loader = DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=32)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.SGD(ddp.parameters(), lr=0.01)
    r = find_lr(ddp, opt, nn.MSELoss(), loader, start_lr=1e-6, end_lr=100.0, num_steps=80)
    restored = all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    val = find_lr(ddp, opt, nn.MSELoss(), loader, start_lr=1e-6, end_lr=100.0, num_steps=40, val_loader=loader)

    calls = [0]

    def loss_fn(out, y):  # NaN on rank 1 only, at its fourth step
        calls[0] += 1
        loss = nn.functional.mse_loss(out, y)
        return loss * float("nan") if rank == 1 and calls[0] == 4 else loss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = fit(ddp, loss_fn, loader, epochs=1, lr=1e-4, optimizer="sgd")
    result = {"lrs": r.lrs, "losses": r.losses, "suggestion": r.suggestion, "stop_reason": r.stop_reason,
              "restored": restored, "val_losses": val.losses, "fit_status": h.status, "fit_steps": h.steps,
              "fit_stop": h.stop_reason}  # fmt: skip
    with open(f"{out}/rank{rank}.json", "w") as f:
        json.dump(result, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    mp.spawn(run, args=(sys.argv[1],), nprocs=WORLD, join=True)
