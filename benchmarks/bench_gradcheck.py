"""Benchmark: trainwise's directional gradient check vs torch.autograd.gradcheck on a ~1M-parameter MLP.

Run:  python benchmarks/bench_gradcheck.py [--batch 32] [--repeats 3]

Everything runs in this one process, in float64, on the same model and batch (784-1024-256-10 tanh MLP, 1,068,810
parameters, cross-entropy). Times are wall-clock, the best of ``--repeats`` runs of each method (the machine may be
shared; the best run is the least disturbed one). What each row measures:

* trainwise directional: ``check_gradients(mode="directional")`` with its defaults (2 directions per tensor + 2 global
  = 14 directions); checks backward against all 1,068,810 parameters through projections.
* trainwise elementwise: ``check_gradients()`` with its defaults (10 sampled elements per tensor).
* torch gradcheck fast_mode=True: ``torch.autograd.gradcheck(f, params, fast_mode=True)`` with every parameter as an
  input; it also checks all of them through random projections.
* torch gradcheck default (measured): the default (slow) mode, which perturbs every input element, run on a subset
  only: the biases of the last two layers (266 elements) as inputs, the other parameters held constant.
* torch gradcheck default (extrapolated): the measured subset time scaled by 1,068,810 / subset size. It is an
  estimate, not a measurement: every element costs two full forward passes in that mode, whichever layer it is in.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from trainwise.gradcheck import check_gradients


def build(batch: int) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 1024), nn.Tanh(), nn.Linear(1024, 256), nn.Tanh(), nn.Linear(256, 10))
    return model, torch.randn(batch, 784), torch.randint(0, 10, (batch,))


class Counted:
    """Wrap a function and count its calls (the forward evaluations torch.autograd.gradcheck makes)."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


def timed(fn, repeats: int = 1):
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each fast method; the best time is kept")
    args = parser.parse_args()
    r = args.repeats

    model, x, y = build(args.batch)
    n_params = sum(p.numel() for p in model.parameters())
    model64 = build(args.batch)[0].double()
    x64 = x.double()
    names = [n for n, _ in model64.named_parameters()]
    params = {n: p.detach().clone().requires_grad_(True) for n, p in model64.named_parameters()}

    def loss_of(*values):
        return F.cross_entropy(functional_call(model64, dict(zip(names, values)), (x64,)), y)

    # warm-up: first calls pay for allocator and kernel setup
    check_gradients(model, F.cross_entropy, (x, y), mode="directional", directions_per_tensor=1, global_directions=0)

    rows = []
    res, t = timed(lambda: check_gradients(model, F.cross_entropy, (x, y), mode="directional"), r)
    directions = sum(r.checked for r in res.rows)
    rows.append((f"trainwise directional ({directions} directions)", f"{n_params:,} (all)", res.evaluations, t,
                 res.passed))
    res, t = timed(lambda: check_gradients(model, F.cross_entropy, (x, y)), r)
    checked = sum(r.checked for r in res.rows)
    rows.append(("trainwise elementwise (10 per tensor)", f"{checked} sampled", res.evaluations, t, res.passed))

    counted = Counted(loss_of)
    ok, t = timed(lambda: torch.autograd.gradcheck(counted, tuple(params.values()), fast_mode=True), r)
    rows.append(("torch gradcheck fast_mode=True", f"{n_params:,} (all)", counted.calls // r, t, ok))

    subset = ["2.bias", "4.bias"]
    fixed = {n: p.detach() for n, p in params.items()}

    def subset_loss(*values):
        return F.cross_entropy(functional_call(model64, {**fixed, **dict(zip(subset, values))}, (x64,)), y)

    counted = Counted(subset_loss)
    n_subset = sum(params[n].numel() for n in subset)
    ok, t_sub = timed(lambda: torch.autograd.gradcheck(counted, tuple(params[n] for n in subset)), r)
    calls = counted.calls // r
    rows.append((f"torch gradcheck default, MEASURED on {'+'.join(subset)}", f"{n_subset:,}", calls, t_sub, ok))
    rows.append(("torch gradcheck default, EXTRAPOLATED to all", f"{n_params:,} (estimate)",
                 round(calls * n_params / n_subset), t_sub * n_params / n_subset, None))

    base = rows[0][3]
    head = ("method", "parameters checked", "f evals", "time (s)", "x directional", "passed")
    table = [head] + [(m, c, f"{e:,}", f"{t:.3f}", f"{t / base:.2f}", "-" if p is None else str(p))
                      for m, c, e, t, p in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    load = ", load average {:.1f}".format(os.getloadavg()[0]) if hasattr(os, "getloadavg") else ""
    print(f"MLP 784-1024-256-10 tanh, {n_params:,} parameters, batch {args.batch}, float64, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs{load}")
    for r in table:
        print("  ".join(c.ljust(w) if i in (0, 1) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    print("trainwise f evals include the value at the point and the backward pass; torch's are calls of the "
          "wrapped function.")


if __name__ == "__main__":
    main()
