"""Optimizers by the names the seeds use, built from ``torch.optim``.

trainwise never re-implements an optimizer: each name maps to a ``torch.optim`` class with the defaults the
seeds recommend (momentum 0.9, seed 002).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

__all__ = ["OPTIMIZERS", "make_optimizer", "optimizer_names"]

# name -> (torch.optim class name, defaults). The classes are looked up on torch.optim at call time.
OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {}),
    "rmsprop": ("RMSprop", {}),
    "adam": ("Adam", {}),
    "adamw": ("AdamW", {}),
}


def optimizer_names() -> list[str]:
    """The optimizer names :func:`make_optimizer` accepts."""
    return list(OPTIMIZERS)


def make_optimizer(
    optimizer: str | torch.optim.Optimizer,
    params: Iterable[Any],
    *,
    lr: float,
    **options: Any,
) -> torch.optim.Optimizer:
    """Build a ``torch.optim`` optimizer from a name, or pass an existing one through unchanged.

    ``options`` (e.g. ``weight_decay=1e-4``, ``momentum=0.8``) override the name's defaults.

    >>> model = torch.nn.Linear(2, 1)
    >>> opt = make_optimizer("nesterov", model.parameters(), lr=0.1)
    >>> type(opt).__name__, opt.param_groups[0]["momentum"], opt.param_groups[0]["nesterov"]
    ('SGD', 0.9, True)
    """
    if isinstance(optimizer, torch.optim.Optimizer):
        if options:
            raise ValueError(
                f"optimizer options {sorted(options)} only apply when the optimizer is given by name; "
                "set them on your optimizer instance instead"
            )
        return optimizer
    if not isinstance(optimizer, str):
        raise TypeError(
            f"optimizer must be a name ({', '.join(OPTIMIZERS)}) or a torch.optim.Optimizer, "
            f"got {type(optimizer).__name__}"
        )
    key = optimizer.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer={optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not lr >= 0 or lr == float("inf"):
        raise ValueError(f"lr must be a finite number >= 0, got lr={lr!r}")
    class_name, defaults = OPTIMIZERS[key]
    return getattr(torch.optim, class_name)(params, lr=float(lr), **{**defaults, **options})
