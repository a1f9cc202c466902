"""What one layer's output says: the statistics and histograms a :class:`~trainwise.monitor.Monitor` records.

Which modules are watched (activation modules by family, layers that own weights), the summary of an output
tensor (mean, std, per-unit spread, dead and saturated fractions, a non-finite flag) computed by reductions
only, since it runs inside forward, and the fixed-bin histograms of outputs and of ``log10 |gradient|``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

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
    "reduce_output",
    "Reduced",
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
        if kind == "leaky_relu" and getattr(module, "negative_slope", None) == 0:
            kind = "relu"  # LeakyReLU(0) is a ReLU: its units can die
        if kind is None and any(p.requires_grad for p in module.parameters(recurse=False)):
            kind = "layer"
        if kind is not None:
            chosen[name or type(module).__name__] = (module, kind)
    return chosen


def first_tensor(obj: Any) -> torch.Tensor | None:
    """The first tensor in ``obj`` (a tensor, or nested tuples, lists and dicts: a module's inputs or outputs)."""
    return next(tensors_in(obj), None)


def output_stats(y: torch.Tensor, kind: str, x: torch.Tensor | None) -> tuple[np.ndarray, int]:
    """The :data:`STAT_FIELDS` of output ``y`` (and input ``x`` of a layer) as float64 values, and the number of
    values each unit produced (samples times positions): :func:`reduce_output` then :meth:`Reduced.stats`."""
    reduced = reduce_output(y, kind, x)
    return reduced.stats(), reduced.per_unit


class Reduced(NamedTuple):
    """What :func:`reduce_output` read from one output, still on its device; :meth:`stats` finishes it."""

    values: torch.Tensor | None  # per-unit variances and means, then the kind's extras, then the input's variances
    kind: str
    numel: int
    units: int
    per_unit: int  # values each unit produced (samples times positions); 0 for an empty output
    by_unit: bool  # more than one unit: the output has a batch dimension
    x_per_unit: int  # the same for the layer's input; 0 without one, 1 for an input without a batch dimension

    def stats(self) -> np.ndarray:
        """The :data:`STAT_FIELDS` (one transfer from the device, the scalars finished in numpy). The overall
        variance is put together exactly from the per-unit ones: the mean of the units' variances plus the
        variance of their means (each unit has the same count)."""
        if self.values is None:
            return np.full(len(STAT_FIELDS), math.nan)
        numel, units, per_unit = self.numel, self.units, self.per_unit
        values = self.values.cpu().numpy()
        var_u, mean_u, rest = values[:units], values[units : 2 * units], values[2 * units :]
        mean = _average(mean_u)
        with np.errstate(invalid="ignore", over="ignore"):  # a non-finite output is flagged below, not warned about
            population_var = _average(var_u) + _average(np.square(mean_u - mean))
        std = math.sqrt(max(population_var, 0.0) * numel / (numel - 1)) if numel > 1 else math.nan
        unit_std = math.sqrt(_average(var_u) * per_unit / (per_unit - 1)) if self.by_unit and per_unit > 1 else math.nan
        zero_frac = dead_frac = saturated = in_unit_std = math.nan
        if self.kind in _DEAD_KINDS:
            # ReLU outputs are >= 0: a unit is dead on this batch when its largest output is 0
            dead_frac = _average(rest[:units] == 0) if self.by_unit else math.nan
            zero_frac = float(rest[units]) / numel
            rest = rest[units + 1 :]
        if self.kind in ("tanh", "sigmoid"):
            saturated, rest = float(rest[0]) / numel, rest[1:]
        if self.x_per_unit > 1:
            in_unit_std = math.sqrt(_average(rest) * self.x_per_unit / (self.x_per_unit - 1))
        nonfinite = 0.0 if math.isfinite(mean) else 1.0  # NaN and Inf reach the mean: one flag, no extra pass
        return np.array([mean, std, unit_std, in_unit_std, zero_frac, dead_frac, saturated, nonfinite])


def reduce_output(y: torch.Tensor, kind: str, x: torch.Tensor | None) -> Reduced:
    """Read output ``y`` of a module of family ``kind`` (and the input ``x`` of a layer) into a few per-unit
    values, on their device. Reductions only, no copies and no transfer: this runs inside forward.

    Each small torch call costs ~10 us of dispatch on CPU whatever its size, so this is a handful of per-unit
    reductions concatenated into one tensor; the scalars are finished later, by :meth:`Reduced.stats`."""
    numel = y.numel()
    if numel == 0:
        return Reduced(None, kind, 0, 0, 0, False, 0)
    y = y.detach().float()
    dims, units = _unit_dims(y)
    parts = [*_unit_moments(y, dims)]
    if kind in _DEAD_KINDS:  # (count_nonzero is 5x slower than summing a comparison)
        parts += [y.amax(dim=dims), (y == 0).sum()]
    if kind == "tanh":
        parts.append((y.abs() > SATURATION).sum())
    elif kind == "sigmoid":
        parts.append(((y - 0.5).abs() > SATURATION - 0.5).sum())
    x_per_unit = 0
    if x is not None and x.is_floating_point() and x.numel() > 0:
        x_dims, x_units = _unit_dims(x)
        parts.append(_unit_moments(x.detach().float(), x_dims)[0])
        x_per_unit = x.numel() // max(x_units, 1) if x_dims else 1
    values = torch.cat([p.reshape(-1).double() for p in parts])
    return Reduced(values, kind, numel, units, numel // max(units, 1), bool(dims), x_per_unit)


def _average(values: np.ndarray) -> float:
    # np.add.reduce, not .mean(): the method's bookkeeping costs more than the sum of a few hundred values
    return float(np.add.reduce(values, dtype=np.float64)) / values.size


def _unit_moments(t: torch.Tensor, dims: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Each unit's variance (population) and mean over ``dims``, centred first so that a large mean does not
    cancel the variance's digits. Not ``torch.var_mean``: on CPU it is ~7x slower than these four calls."""
    mean = t.mean(dim=dims, keepdim=True) if dims else t.mean()
    var = torch.square(t - mean).mean(dim=dims) if dims else torch.square(t - mean).mean()
    return var, mean


def _unit_dims(t: torch.Tensor) -> tuple[tuple[int, ...], int]:
    """The dimensions to reduce over for per-unit statistics, and the number of units: features (last dim) of
    (N, F) and (N, T, F) tensors, channels (dim 1) of (N, C, ...) images; a 1-d tensor is one unit."""
    if t.dim() <= 1:
        return (), 1
    if t.dim() <= 3:
        return tuple(range(t.dim() - 1)), t.shape[-1]
    return (0, *range(2, t.dim())), t.shape[1]


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
    return _bin_counts(np.clip(values[np.isfinite(values)], low, high), low, high, bins)


def gradient_histogram(g: torch.Tensor) -> list[int]:
    """Counts of ``log10 |g|`` on :data:`GRAD_LOG10_RANGE`'s bins (zeros in the lowest bin, NaN and Inf in the
    highest), from at most :data:`HISTOGRAM_VALUES` evenly spaced entries of ``g``."""
    low, high, bins = GRAD_LOG10_RANGE
    flat = g.detach().reshape(-1)
    if flat.numel() > HISTOGRAM_VALUES:  # evenly spaced entries: the same shape at a bounded cost
        flat = flat[:: math.ceil(flat.numel() / HISTOGRAM_VALUES)]
    values = np.log10(np.abs(flat.float().cpu().numpy()) + 1e-30)
    values = np.clip(np.nan_to_num(values, nan=high, posinf=high), low, high)
    return _bin_counts(values, low, high, bins)


def _bin_counts(values: np.ndarray, low: float, high: float, bins: int) -> list[int]:
    """Counts of ``values`` (already clipped to ``[low, high]``) in ``bins`` equal bins, the last one closed.

    ``np.histogram``'s own equal-bin path does this too, then re-checks every value against the edges to undo
    rounding at an edge, which makes it ~10x slower (3 ms for 65,536 values); here the index is computed in
    float64, so only a value within ~1e-16 of an interior edge could land in its neighbour."""
    index = ((values.astype(np.float64) - low) * (bins / (high - low))).astype(np.intp)
    return np.bincount(np.minimum(index, bins - 1), minlength=bins).tolist()
