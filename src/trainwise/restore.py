"""Borrow a model (and its optimizer) for a while, then put everything back exactly as it was.

Tools that train on the user's model to *measure* something (the LR range test, gradient checks, preflight, the
doctor) must leave no trace. :func:`borrowed` is the one place that knows what "everything" is:

* every parameter reachable from the module(s) or the optimizer: its value, ``requires_grad``, ``.grad`` and the
  device/dtype it lived on (a ``model.to(device)`` done while borrowing is undone);
* every buffer, persistent or not (BatchNorm ``running_mean``, ``running_var``, ``num_batches_tracked``), and
  which tensor objects each submodule holds (a buffer or parameter reassigned while borrowing is put back);
* the train/eval flag of every submodule, one by one (``model.eval()`` with one submodule in train mode stays so);
* the optimizer's ``state`` (deep copies of its tensors, e.g. Adam's ``exp_avg``, ``exp_avg_sq``, ``step``), its
  ``param_groups`` hyperparameters (``lr``, ``betas``, ``weight_decay``, ...) and ``defaults``;
* an AMP ``GradScaler`` (scale, growth tracker and the rest of its attributes);
* every global random number generator: Python's ``random``, NumPy's legacy global ``np.random``, torch's CPU
  generator, every CUDA device's generator when CUDA is initialized, and any extra ``torch.Generator`` passed in
  ``generators=`` (for instance a ``DataLoader``'s own ``generator``).

Snapshots live in memory only (no temporary files). ``snapshot="cpu"`` keeps the copies of tensors on the CPU,
which frees accelerator memory for the borrower; restoring copies them back to where they were.

The restore is exact: values are copied, never recomputed, so ``torch.equal`` holds for every tensor.

Not covered, by design: state kept outside these objects (a learning-rate scheduler's ``last_epoch``, a data
iterator's position, NumPy ``Generator`` instances, an MPS generator), and CUDA RNG state when CUDA was not yet
initialized at snapshot time (there is then no state to save; call ``torch.cuda.init()`` first if the borrower
will initialize CUDA).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["Snapshot", "borrowed", "loader_generators"]

SNAPSHOT_PLACES = ("same", "cpu")


@dataclass
class _Held:
    """A saved tensor and the device it must go back to."""

    value: torch.Tensor
    device: torch.device


def _hold(t: torch.Tensor, place: str) -> _Held:
    target = torch.device("cpu") if place == "cpu" else t.device
    return _Held(t.detach().to(target, copy=True), t.device)


def _save_tree(obj: Any, place: str) -> Any:
    """Deep copy of a nested structure (dicts, lists, tuples), tensors copied with :func:`_hold`."""
    if isinstance(obj, torch.Tensor):
        return _hold(obj, place)
    if isinstance(obj, dict):
        return {k: _save_tree(v, place) for k, v in obj.items()}
    if type(obj) in (list, tuple):
        return type(obj)(_save_tree(v, place) for v in obj)
    return copy.deepcopy(obj)


def _load_tree(obj: Any) -> Any:
    """A fresh copy of a structure saved by :func:`_save_tree` (the snapshot itself is never handed out)."""
    if isinstance(obj, _Held):
        return obj.value.to(obj.device, copy=True)
    if isinstance(obj, dict):
        return {k: _load_tree(v) for k, v in obj.items()}
    if type(obj) in (list, tuple):
        return type(obj)(_load_tree(v) for v in obj)
    return copy.deepcopy(obj)


def _fits(t: torch.Tensor, saved: _Held) -> bool:
    return t.device == saved.device and t.dtype == saved.value.dtype and t.shape == saved.value.shape


def _put(t: torch.Tensor, saved: _Held) -> None:
    """Write ``saved`` into ``t``: in place when layout allows (keeps storage identity), else by swapping ``.data``."""
    if _fits(t, saved):
        with torch.no_grad():
            t.copy_(saved.value)
    else:
        t.data = saved.value.to(saved.device, copy=True)


class Snapshot:
    """Everything :func:`borrowed` saves, with :meth:`restore` to put it back (as often as needed).

    ``restore()`` can be called several times, e.g. to start several probes from the same initial state; each
    call hands out fresh copies, so the snapshot itself is never modified.

    >>> model = nn.Linear(2, 1)
    >>> snap = Snapshot(model)
    >>> before = model.weight.detach().clone()
    >>> with torch.no_grad():
    ...     _ = model.weight.add_(1.0)
    >>> snap.restore()
    >>> torch.equal(model.weight, before)
    True
    """

    def __init__(
        self,
        model: nn.Module | Iterable[nn.Module] | None = None,
        optimizer: torch.optim.Optimizer | None = None,
        scaler: Any = None,
        *,
        generators: Iterable[torch.Generator] = (),
        snapshot: str = "same",
        rng: bool = True,
    ) -> None:
        if snapshot not in SNAPSHOT_PLACES:
            raise ValueError(f"snapshot must be one of {SNAPSHOT_PLACES}, got snapshot={snapshot!r}")
        modules = _as_modules(model)
        if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")

        # Which objects each submodule holds; values are saved once per unique tensor (shared weights).
        self._module_state: list[tuple[nn.Module, bool, dict[str, Any], dict[str, Any]]] = []
        params: dict[int, torch.Tensor] = {}
        buffers: dict[int, torch.Tensor] = {}
        seen: set[int] = set()
        for root in modules:
            for m in root.modules():
                if id(m) in seen:
                    continue
                seen.add(id(m))
                self._module_state.append((m, m.training, dict(m._parameters), dict(m._buffers)))
                params.update((id(p), p) for p in m._parameters.values() if p is not None)
                buffers.update((id(b), b) for b in m._buffers.values() if b is not None)
        if optimizer is not None:  # parameters outside the model (e.g. a learnable loss) are borrowed too
            for group in optimizer.param_groups:
                params.update((id(p), p) for p in group["params"])

        self._params = [
            (p, _hold(p, snapshot), p.requires_grad, None if p.grad is None else _hold(p.grad, snapshot))
            for p in params.values()
        ]
        self._buffers = [(b, _hold(b, snapshot)) for b in buffers.values()]

        self._optimizer = optimizer
        if optimizer is not None:
            self._groups = [
                (g, g["params"], _save_tree({k: v for k, v in g.items() if k != "params"}, snapshot))
                for g in optimizer.param_groups
            ]
            self._opt_state = [(p, _save_tree(st, snapshot)) for p, st in optimizer.state.items()]
            self._opt_defaults = _save_tree(optimizer.defaults, snapshot)

        self._scaler = scaler
        if scaler is not None:
            self._scaler_vars = copy.deepcopy(vars(scaler))

        self._generators = [(g, g.get_state()) for g in _unique(generators)]

        self._rng = rng
        if rng:
            self._py_rng = random.getstate()
            self._np_rng = np.random.get_state()
            self._torch_rng = torch.get_rng_state()
            cuda = torch.cuda.is_available() and torch.cuda.is_initialized()
            self._cuda_rng = torch.cuda.get_rng_state_all() if cuda else None

    def restore(self) -> None:
        """Put back everything saved at construction."""
        for m, training, ps, bs in self._module_state:
            m.training = training
            for held, saved in ((m._parameters, ps), (m._buffers, bs)):
                if not _same_objects(held, saved):
                    held.clear()
                    held.update(saved)
        for p, value, requires_grad, grad in self._params:
            _put(p, value)
            p.requires_grad_(requires_grad)
            if grad is None:
                p.grad = None
            elif p.grad is not None and _fits(p.grad, grad):
                with torch.no_grad():
                    p.grad.copy_(grad.value)
            else:
                p.grad = grad.value.to(grad.device, copy=True)
        for b, value in self._buffers:
            _put(b, value)

        opt = self._optimizer
        if opt is not None:
            groups = []
            for group, params, saved in self._groups:
                group.clear()
                group.update(_load_tree(saved))
                group["params"] = params
                groups.append(group)
            opt.param_groups[:] = groups
            opt.state.clear()
            for p, st in self._opt_state:
                opt.state[p] = _load_tree(st)
            opt.defaults.clear()
            opt.defaults.update(_load_tree(self._opt_defaults))

        if self._scaler is not None:
            state = vars(self._scaler)
            state.clear()
            state.update(copy.deepcopy(self._scaler_vars))

        for g, state in self._generators:
            g.set_state(state)

        if self._rng:
            random.setstate(self._py_rng)
            np.random.set_state(self._np_rng)
            torch.set_rng_state(self._torch_rng)
            if self._cuda_rng is not None:
                torch.cuda.set_rng_state_all(self._cuda_rng)


@contextmanager
def borrowed(
    model: nn.Module | Iterable[nn.Module] | None,
    optimizer: torch.optim.Optimizer | None = None,
    scaler: Any = None,
    *,
    generators: Iterable[torch.Generator] = (),
    snapshot: str = "same",
    rng: bool = True,
) -> Iterator[Snapshot]:
    """Context manager: snapshot ``model`` (a module or several), ``optimizer``, ``scaler`` and RNGs; restore on exit.

    The restore runs in ``finally``, so it also happens when the body raises (including ``KeyboardInterrupt``).
    The yielded :class:`Snapshot` can ``restore()`` mid-way to start again from the initial state.

    Arguments: ``generators`` are extra ``torch.Generator`` objects to save (e.g. ``loader.generator``);
    ``snapshot="cpu"`` keeps tensor copies on the CPU; ``rng=False`` leaves the global RNGs alone.

    >>> model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)).eval()
    >>> opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    >>> before = [t.clone() for t in model.state_dict().values()]
    >>> with borrowed(model, opt):
    ...     _ = model.train()
    ...     opt.param_groups[0]["lr"] = 10.0
    ...     model(torch.randn(8, 3)).sum().backward()
    ...     opt.step()
    >>> all(torch.equal(a, b) for a, b in zip(before, model.state_dict().values()))
    True
    >>> model.training, opt.param_groups[0]["lr"], len(opt.state)
    (False, 0.001, 0)
    """
    snap = Snapshot(model, optimizer, scaler, generators=generators, snapshot=snapshot, rng=rng)
    try:
        yield snap
    finally:
        snap.restore()


def _as_modules(model: nn.Module | Iterable[nn.Module] | None) -> list[nn.Module]:
    if model is None:
        return []
    if isinstance(model, nn.Module):
        return [model]
    if isinstance(model, Iterable) and not isinstance(model, (str, bytes, torch.Tensor)):
        modules = list(model)
        for m in modules:
            if not isinstance(m, nn.Module):
                raise TypeError(f"model must be an nn.Module or modules, got an item of type {type(m).__name__}")
        return modules
    raise TypeError(f"model must be an nn.Module (or several), got {type(model).__name__}")


def _same_objects(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return list(a) == list(b) and all(a[k] is v for k, v in b.items())


def _unique(generators: Iterable[torch.Generator]) -> list[torch.Generator]:
    out: dict[int, torch.Generator] = {}
    for g in generators:
        if not isinstance(g, torch.Generator):
            raise TypeError(f"generators must hold torch.Generator objects, got {type(g).__name__}")
        out.setdefault(id(g), g)
    return list(out.values())


def loader_generators(loader: Any) -> list[torch.Generator]:
    """The ``torch.Generator`` objects a ``DataLoader`` draws from (its own, its sampler's, its batch sampler's
    sampler's), for ``borrowed(..., generators=...)``. Iterating a loader advances them; a loader without its own
    generator draws from the global torch RNG, which :func:`borrowed` restores anyway.

    >>> g = torch.Generator().manual_seed(0)
    >>> data = torch.utils.data.TensorDataset(torch.arange(4.0))
    >>> loader_generators(torch.utils.data.DataLoader(data, shuffle=True, generator=g)) == [g]
    True
    """
    found: dict[int, torch.Generator] = {}
    for obj in (
        loader,
        getattr(loader, "sampler", None),
        getattr(getattr(loader, "batch_sampler", None), "sampler", None),
    ):
        g = getattr(obj, "generator", None)
        if isinstance(g, torch.Generator):
            found.setdefault(id(g), g)
    return list(found.values())
