"""What one layer's output says: the statistics and histograms a :class:`~trainwise.monitor.Monitor` records.

Which modules are watched (activation modules by family, layers that own weights), the summary of an output
tensor (mean, std, per-unit spread, dead and saturated fractions, a non-finite flag) computed by reductions
only, since it runs inside forward, and the fixed-bin histograms of outputs and of ``log10 |gradient|``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from trainwise.batches import tensors_in

__all__ = [
    "ACTIVATION_KINDS",
    "SATURATION",
    "STAT_FIELDS",
    "HIST_RANGES",
    "GRAD_LOG10_RANGE",
    "HISTOGRAM_VALUES",
    "hooked_modules",
    "first_tensor",
    "output_stats",
    "edges",
    "histogram",
    "gradient_histogram",
]

ACTIVATION_KINDS: dict[type[nn.Module], str] = {
    nn.ReLU: "relu",
    nn.ReLU6: "relu",
    nn.LeakyReLU: "leaky_relu",
    nn.PReLU: "leaky_relu",
    nn.ELU: "elu",
    nn.SELU: "elu",
    nn.CELU: "elu",
    nn.GELU: "gelu",
    nn.SiLU: "silu",
    nn.Mish: "silu",
    nn.Softplus: "softplus",
    nn.Tanh: "tanh",
    nn.Hardtanh: "tanh",
    nn.Sigmoid: "sigmoid",
    nn.Hardsigmoid: "sigmoid",
}
"""Activation modules the monitor hooks, and the family each belongs to (which statistics apply)."""

SATURATION = 0.99  # seed 002: a tanh unit at +-1 passes no gradient; 0.99 leaves 2% of its slope (1 - 0.99**2)
_DEAD_KINDS = ("relu",)
# Histograms use uniform bins in a fixed transformed space, so np.histogram takes its fast path (no sort):
# tanh outputs as they are on [-1, 1], sigmoid outputs on [0, 1], any other output through the signed log
# u = sign(y) * log10(1 + |y| / 1e-3) on [-5, 5] (edges at +-1e-3 * (10**k - 1): 0, 9e-3, 0.099, ..., 100), and
# gradients as log10 |g| on [-10, 1]. Values outside a range are counted in its end bins.
HIST_RANGES = {"tanh": (-1.0, 1.0, 20), "sigmoid": (0.0, 1.0, 20), "default": (-5.0, 5.0, 20)}
GRAD_LOG10_RANGE = (-10.0, 1.0, 22)
HISTOGRAM_VALUES = 65536  # gradient histograms read at most this many evenly spaced entries of a tensor
STAT_FIELDS = ("mean", "std", "unit_std", "in_unit_std", "zero_frac", "dead_frac", "saturated_frac", "nonfinite")


def hooked_modules(model: nn.Module) -> dict[str, tuple[nn.Module, str]]:
    """Leaf modules that are activations (their family) or own weights (``"layer"``), in registration order."""
    chosen: dict[str, tuple[nn.Module, str]] = {}
    for name, module in model.named_modules():
        if any(True for _ in module.children()):
            continue
        kind = ACTIVATION_KINDS.get(type(module))
        if kind is None and any(p.requires_grad for p in module.parameters(recurse=False)):
            kind = "layer"
        if kind is not None:
            chosen[name or type(module).__name__] = (module, kind)
    return chosen


def first_tensor(obj: Any) -> torch.Tensor | None:
    """The first tensor in ``obj`` (a tensor, or nested tuples, lists and dicts: a module's inputs or outputs)."""
    return next(tensors_in(obj), None)


def output_stats(y: torch.Tensor, kind: str, x: torch.Tensor | None) -> tuple[torch.Tensor, int]:
    """The :data:`STAT_FIELDS` of output ``y`` (and input ``x`` of a layer) as one tensor, and the number of
    values each unit produced (samples times positions). Reductions only, no copies: this runs inside forward."""
    y = y.detach().float()
    nan = torch.tensor(math.nan)
    numel = y.numel()
    if numel == 0:
        return torch.full((len(STAT_FIELDS),), math.nan), 0
    dims, units = _unit_dims(y)
    positions = numel // max(units, 1)
    mean, std, unit_std = _spread(y, dims, units)
    in_unit_std = _spread(x.detach().float(), *_unit_dims(x))[2] if x is not None and x.is_floating_point() and x.numel() else nan
    if kind in _DEAD_KINDS:
        zero_frac = (y == 0).float().mean()
        # ReLU outputs are >= 0: a unit is dead on this batch when its largest output is 0
        dead_frac = (y.amax(dim=dims) == 0).float().mean() if dims else nan
    else:
        zero_frac = dead_frac = nan
    if kind == "tanh":
        saturated = (y.abs() > SATURATION).float().mean()
    elif kind == "sigmoid":
        saturated = ((y - 0.5).abs() > SATURATION - 0.5).float().mean()
    else:
        saturated = nan
    nonfinite = (~torch.isfinite(mean)).float()  # NaN and Inf reach the mean: one flag, no extra pass
    return torch.stack([mean, std, unit_std, in_unit_std, zero_frac, dead_frac, saturated, nonfinite]), positions


def _unit_dims(t: torch.Tensor) -> tuple[tuple[int, ...], int]:
    """The dimensions to reduce over for per-unit statistics, and the number of units: features (last dim) of
    (N, F) and (N, T, F) tensors, channels (dim 1) of (N, C, ...) images; a 1-d tensor is one unit."""
    if t.dim() <= 1:
        return (), 1
    if t.dim() <= 3:
        return tuple(range(t.dim() - 1)), t.shape[-1]
    return (0, *range(2, t.dim())), t.shape[1]


def _spread(t: torch.Tensor, dims: tuple[int, ...], units: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mean, std, and the root mean over units of each unit's variance across samples and positions — how much
    a layer's output varies with its input, leaving out offsets (biases) that do not."""
    n = t.numel()
    mean = t.mean()
    square = (t * t).mean()
    std = ((square - mean * mean).clamp(min=0) * n / (n - 1)).sqrt() if n > 1 else torch.tensor(math.nan)
    per_unit = n // max(units, 1)
    if not dims or per_unit < 2:
        return mean, std, torch.tensor(math.nan)
    unit_means = t.mean(dim=dims)
    unit_var = (square - (unit_means * unit_means).mean()).clamp(min=0) * per_unit / (per_unit - 1)
    return mean, std, unit_var.sqrt()


def edges(kind: str) -> np.ndarray:
    """The bin edges of :func:`histogram` for outputs of family ``kind`` ("tanh", "sigmoid", "default"), in the
    outputs' own units (the signed-log bins of "default" mapped back: 0, +-9e-3, +-0.099, ..., +-100)."""
    low, high, bins = HIST_RANGES[kind]
    uniform = np.linspace(low, high, bins + 1)
    if kind != "default":
        return uniform
    return np.sign(uniform) * 1e-3 * (10 ** np.abs(uniform) - 1)


def histogram(y: torch.Tensor, kind: str) -> list[int]:
    """Counts of ``y``'s finite values in :func:`edges` ``(kind)``'s bins (any family without its own range uses
    "default"); values outside the range go to its end bins."""
    kind = kind if kind in HIST_RANGES else "default"
    low, high, bins = HIST_RANGES[kind]
    values = y.detach().float().reshape(-1)
    if kind == "default":
        values = torch.sign(values) * torch.log10(1 + values.abs() / 1e-3)
    values = values.cpu().numpy()
    values = np.clip(values[np.isfinite(values)], low, high)
    return np.histogram(values, bins, (low, high))[0].tolist()


def gradient_histogram(g: torch.Tensor) -> list[int]:
    """Counts of ``log10 |g|`` on :data:`GRAD_LOG10_RANGE`'s bins (zeros in the lowest bin, NaN and Inf in the
    highest), from at most :data:`HISTOGRAM_VALUES` evenly spaced entries of ``g``."""
    low, high, bins = GRAD_LOG10_RANGE
    flat = g.detach().reshape(-1)
    if flat.numel() > HISTOGRAM_VALUES:  # evenly spaced entries: the same shape at a bounded cost
        flat = flat[:: math.ceil(flat.numel() / HISTOGRAM_VALUES)]
    values = np.log10(np.abs(flat.float().cpu().numpy()) + 1e-30)
    values = np.clip(np.nan_to_num(values, nan=high, posinf=high), low, high)
    return np.histogram(values, bins, (low, high))[0].tolist()
