"""Where a function is not differentiable: the discrete choices (kinks and jumps) made while it runs.

A :class:`KinkRecorder` is a torch dispatch mode that records, for one evaluation of a function, on which side of
its kink every input of a non-smooth op lies (the sign of a ReLU's input, the winner of a max, the rounding of a
floor, every integer or bool tensor computed from floating inputs). Two evaluations with the same pattern
(:func:`same_pattern`) lie on the same smooth piece, so a centered difference between them is a derivative;
:func:`trainwise.check_gradients` leaves the elements whose ``x - h`` and ``x + h`` differ out of its statistics.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from trainwise.batches import tensors_in

try:  # the dispatch-mode API is what lets kinks be seen inside functional code and custom Functions
    from torch.utils._python_dispatch import TorchDispatchMode
except ImportError:  # pragma: no cover - very old torch
    TorchDispatchMode = object  # type: ignore[misc,assignment]

__all__ = ["KinkRecorder", "same_pattern"]


def _arg(args: tuple, kwargs: dict, i: int, name: str, default: Any = None) -> Any:
    return args[i] if len(args) > i else kwargs.get(name, default)


def _sides(x: torch.Tensor, points: Sequence[Any]) -> list[torch.Tensor]:
    """For each kink point, on which side of it every element of ``x`` lies (-1, 0, +1)."""
    return [torch.sign(x - p).to(torch.int8) for p in points if p is not None]


def _zero(a: tuple, k: dict) -> tuple:
    return (0.0,)


def _shrink(a: tuple, k: dict) -> tuple:
    lam = _arg(a, k, 1, "lambd", 0.5)
    return (-lam, lam)


# Pointwise ops with kinks: aten name (in-place "_" stripped) -> the kink points, read from the op's arguments.
_POINTWISE: dict[str, Callable[[tuple, dict], tuple]] = {
    **dict.fromkeys(
        ("relu", "leaky_relu", "elu", "celu", "_prelu_kernel", "rrelu_with_noise", "abs", "sign", "sgn", "heaviside"),
        _zero,
    ),
    "threshold": lambda a, k: (_arg(a, k, 1, "threshold"),),
    "hardtanh": lambda a, k: (_arg(a, k, 1, "min_val", -1.0), _arg(a, k, 2, "max_val", 1.0)),
    "hardsigmoid": lambda a, k: (-3.0, 3.0),
    "hardswish": lambda a, k: (-3.0, 3.0),
    "softshrink": _shrink,
    "hardshrink": _shrink,
    "clamp": lambda a, k: (_arg(a, k, 1, "min"), _arg(a, k, 2, "max")),
    "clip": lambda a, k: (_arg(a, k, 1, "min"), _arg(a, k, 2, "max")),
    "clamp_min": lambda a, k: (_arg(a, k, 1, "min"),),
    "clamp_max": lambda a, k: (_arg(a, k, 1, "max"),),
}
_BINARY = {"maximum", "minimum", "fmax", "fmin"}
_STEPS = {"floor", "ceil", "trunc", "frac", "round"}
_VALUE_REDUCTIONS = {"amax": torch.amax, "amin": torch.amin}
# Ops whose integer/bool outputs do not signal a kink in the objective (masks that reseeding keeps fixed).
_NOT_KINKS = {"native_dropout", "bernoulli", "isnan", "isinf", "isfinite", "isposinf", "isneginf"}


def _pre_signature(name: str, overload: str, args: tuple, kwargs: dict) -> list[torch.Tensor]:
    """Kink pattern read from the inputs, before the op runs (in-place ops overwrite them)."""
    x = args[0] if args else None
    if not isinstance(x, torch.Tensor):
        return []
    if name in _POINTWISE:
        return _sides(x, _POINTWISE[name](args, kwargs))
    if name in _BINARY or (name in ("max", "min") and overload == "other"):
        return [torch.sign(x - args[1]).to(torch.int8)]
    if name in _STEPS and x.is_floating_point():
        if name == "round":
            return [torch.round(x, decimals=_arg(args, kwargs, 1, "decimals", 0))]
        return [torch.floor(x)]
    if name in ("max", "min", "median", "nanmedian") and overload == "default":
        return [x == getattr(torch, name)(x)]
    if name in _VALUE_REDUCTIONS:
        dims = _arg(args, kwargs, 1, "dim", ()) or tuple(range(x.dim()))
        return [x == _VALUE_REDUCTIONS[name](x, dim=dims, keepdim=True)]
    if name in ("remainder", "fmod") and x.is_floating_point():
        return [torch.div(x, args[1], rounding_mode="floor")]
    if name == "linalg_vector_norm":
        order = _arg(args, kwargs, 1, "ord", 2)
        if order in (0, 1):
            return [torch.sign(x).to(torch.int8)]
        if order in (math.inf, -math.inf):
            dims = _arg(args, kwargs, 2, "dim") or tuple(range(x.dim()))
            reduce = torch.amax if order > 0 else torch.amin
            return [x.abs() == reduce(x.abs(), dim=dims, keepdim=True)]
        return []
    if name == "multi_margin_loss" and x.dim() in (1, 2):
        logits = x if x.dim() == 2 else x.unsqueeze(0)
        target = args[1].reshape(-1, 1)
        margin = _arg(args, kwargs, 3, "margin", 1)
        return [(margin - logits.gather(1, target) + logits) > 0]
    if name in ("where", "masked_fill"):  # the condition / mask decides which branch is differentiated
        cond = args[0] if name == "where" else args[1]
        return [cond.clone()] if isinstance(cond, torch.Tensor) else []
    return []


class KinkRecorder(TorchDispatchMode):
    """Records, for one evaluation of ``f``, the discrete pattern of every op that has a kink or a jump.

    Seen at the ATen level, so it covers modules (nn.ReLU, nn.MaxPool2d, ...), functional calls, tensor methods and
    the forward of custom autograd Functions alike. Covered: relu, leaky_relu, prelu, rrelu, elu/celu/selu,
    hardtanh/relu6, hardsigmoid, hardswish, soft/hardshrink, threshold, abs, sign, clamp/clip (so hinge losses,
    L1 and margin losses written with them), max/min/maximum/minimum/amax/amin/median, floor/ceil/round/trunc,
    remainder/fmod, L0/L1/Linf norms, multi_margin_loss, where/masked_fill conditions, and every op that returns
    integer or bool tensors from floating inputs (comparisons, argmax, sort, topk, the indices of max pooling).
    Not covered: kinks inside other fused kernels (e.g. multilabel_margin_loss) and Python-level branches on
    ``.item()`` values.
    """

    available = TorchDispatchMode is not object  # False only on a torch without dispatch modes

    def __init__(self) -> None:
        super().__init__()
        self.signature: list[torch.Tensor] = []
        self.kink_ops: set[str] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        kwargs = kwargs or {}
        name = func.overloadpacket.__name__
        name = name[:-1] if name.endswith("_") and not name.startswith("__") else name
        found = _pre_signature(name, func._overloadname, args, kwargs)
        out = func(*args, **kwargs)
        if any(isinstance(a, torch.Tensor) and a.is_floating_point() for a in tensors_in(list(args))):
            found += [o.clone() for o in tensors_in(out) if not (o.is_floating_point() or o.is_complex())]
        if found:
            self.signature.extend(found)
            if name not in _NOT_KINKS:
                self.kink_ops.add(name)
        return out


def same_pattern(a: KinkRecorder | None, b: KinkRecorder | None) -> bool:
    """Whether two evaluations made the same discrete choices (True when either was not recorded)."""
    if a is None or b is None:
        return True
    if len(a.signature) != len(b.signature):
        return False
    return all(x.shape == y.shape and torch.equal(x, y) for x, y in zip(a.signature, b.signature))
