"""How trainwise reads a batch: one convention shared by `fit`, `find_lr`, the monitor and the checks.

A batch from a loader is split into ``(inputs, target)``:

* a tuple or list ``(x, y)`` -> ``inputs=x``, ``target=y``; longer ones ``(x1, x2, ..., y)`` give
  ``inputs=(x1, x2, ...)`` and the model is called as ``model(x1, x2, ...)``;
* a mapping with one of the target keys (``"target"``, ``"y"``, ``"label"``, ``"labels"``) -> the target is that
  value and the remaining entries are passed as keyword arguments, ``model(**rest)``;
* anything else needs a ``batch_fn(batch) -> (inputs, target)`` supplied by the user.

The model is then called by :func:`forward`, and the loss as ``loss_fn(output, target)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch

__all__ = ["TARGET_KEYS", "split_batch", "forward", "to_device", "batch_size", "tensors_in", "map_tensors", "model_device"]

TARGET_KEYS = ("target", "y", "label", "labels")

BatchFn = Callable[[Any], tuple[Any, Any]]


def split_batch(batch: Any, batch_fn: BatchFn | None = None) -> tuple[Any, Any]:
    """Split ``batch`` into ``(inputs, target)`` following the module's convention.

    >>> x, y = split_batch((torch.zeros(2, 3), torch.ones(2)))
    >>> tuple(x.shape), tuple(y.shape)
    ((2, 3), (2,))
    >>> inputs, y = split_batch({"x": torch.zeros(2, 3), "y": torch.ones(2)})
    >>> sorted(inputs)
    ['x']
    """
    if batch_fn is not None:
        out = batch_fn(batch)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(
                f"batch_fn must return a pair (inputs, target), got {type(out).__name__}"
                + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
            )
        return out[0], out[1]
    if isinstance(batch, (tuple, list)):
        if len(batch) < 2:
            raise TypeError(
                f"a tuple batch needs at least (inputs, target), got length {len(batch)}; "
                "pass batch_fn=... to say how to split your batches"
            )
        if len(batch) == 2:
            return batch[0], batch[1]
        return tuple(batch[:-1]), batch[-1]
    if isinstance(batch, Mapping):
        for key in TARGET_KEYS:
            if key in batch:
                return {k: v for k, v in batch.items() if k != key}, batch[key]
        raise TypeError(
            f"a dict batch needs a target under one of {TARGET_KEYS}, got keys {sorted(map(str, batch))}; "
            "pass batch_fn=... to say how to split your batches"
        )
    raise TypeError(
        f"cannot split a batch of type {type(batch).__name__} into (inputs, target); "
        "pass batch_fn=lambda batch: (inputs, target)"
    )


def forward(model: Callable[..., Any], inputs: Any) -> Any:
    """Call ``model`` on ``inputs``: a tuple is unpacked as positional and a mapping as keyword arguments."""
    if isinstance(inputs, tuple):
        return model(*inputs)
    if isinstance(inputs, Mapping):
        return model(**inputs)
    return model(inputs)


def to_device(obj: Any, device: torch.device | str | None) -> Any:
    """Move every tensor inside ``obj`` (nested tuples, lists, dicts) to ``device``; ``None`` leaves it as is."""
    if device is None:
        return obj
    return map_tensors(obj, lambda t: t.to(device, non_blocking=True))


def map_tensors(obj: Any, fn: Callable[[torch.Tensor], Any]) -> Any:
    """``obj`` with ``fn`` applied to every tensor inside it (nested tuples, named tuples, lists, dicts); other
    values are kept as they are.

    >>> Pair = __import__("collections").namedtuple("Pair", "x y")
    >>> map_tensors({"a": Pair(torch.ones(2), 3)}, lambda t: t * 2)
    {'a': Pair(x=tensor([2., 2.]), y=3)}
    """
    if isinstance(obj, torch.Tensor):
        return fn(obj)
    if isinstance(obj, tuple):
        items = [map_tensors(o, fn) for o in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
    if isinstance(obj, list):
        return [map_tensors(o, fn) for o in obj]
    if isinstance(obj, Mapping):
        return {k: map_tensors(v, fn) for k, v in obj.items()}
    return obj


def model_device(model: torch.nn.Module) -> torch.device:
    """Where ``model`` lives: its first parameter's (or buffer's) device; the CPU for a model with neither."""
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


def batch_size(target: Any) -> int:
    """Number of samples in a batch, read from its target (first dimension), or 1 for a scalar target."""
    if isinstance(target, torch.Tensor):
        return int(target.shape[0]) if target.dim() > 0 else 1
    if isinstance(target, (tuple, list)):
        return len(target)
    if isinstance(target, Mapping) and target:
        return batch_size(next(iter(target.values())))
    return 1


def tensors_in(obj: Any) -> Iterator[torch.Tensor]:
    """Every tensor inside ``obj`` (nested tuples, lists, dict values), in order: the inputs of a call, the
    outputs of a module, the arguments of an op."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from tensors_in(item)
    elif isinstance(obj, Mapping):
        for item in obj.values():
            yield from tensors_in(item)
