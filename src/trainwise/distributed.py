"""Agreement between the processes of a distributed run (``torch.distributed``: DDP on several GPUs or machines).

In a DDP run every process sees its own batches, so each would record its own range-test curve, stop at its own
step, and suggest its own LR; worse, a process that skips a backward pass (its loss came out NaN) leaves the
others waiting in DDP's gradient all-reduce for ever. Range tests of today's tools hang or disagree this way.
trainwise's loops ask these helpers instead: the loss of a step is the mean over all processes (the loss of the
global batch), so every process draws the same curve, takes the same decisions, stops at the same step and
suggests the same LR. Outside a distributed run (or in a single process) they return their input unchanged and
cost nothing.

torch.distributed has the collectives but no "mean of this Python number over the processes": this is that.
"""

from __future__ import annotations

import math

import torch
import torch.distributed as dist

__all__ = ["active", "all_finite", "mean", "sums"]


def active() -> bool:
    """Whether this process is one of several in an initialized process group."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _device() -> torch.device:
    # NCCL reduces CUDA tensors only; gloo (and others) CPU tensors
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def sums(values: list[float]) -> list[float]:
    """The sums over all processes of each of ``values`` (float64; unchanged outside a distributed run)."""
    if not active():
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=_device())
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def mean(value: float) -> float:
    """The mean of ``value`` over all processes: NaN or infinite when it is so on any of them."""
    if not active():
        return value
    return sums([value])[0] / dist.get_world_size()


def all_finite(value: float) -> bool:
    """Whether ``value`` is finite on every process (each process must call it at the same point)."""
    finite = math.isfinite(value)
    if not active():
        return finite
    return sums([0.0 if finite else 1.0])[0] == 0
