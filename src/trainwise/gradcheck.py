"""Gradient check: compare the gradients backward computes with centered differences, in float64.

For every checked element ``x`` of a tensor (a parameter, or an input of a function) the numeric derivative is

    n = (f(x + h) - f(x - h)) / 2h

and it is compared with the analytic one ``a`` (from ``backward``) by the relative error

    e = |a - n| / max(|a|, |n|)        (0 when both are 0)

Bands (seed 002): ``e > 1e-2`` the gradient is probably wrong; ``1e-4 < e <= 1e-2`` suspicious; ``1e-7 < e <= 1e-4``
acceptable when the objective has kinks but too high for a smooth one (tanh, softmax); ``e <= 1e-7`` good.

Everything runs on a float64 deep copy; the caller's model, tensors and RNG states are left exactly as they were.

Kinks (ReLU, max, abs, clamp, hinge, pooling, comparisons) are found by recording, during every evaluation of ``f``,
on which side of its kink each input of such an op lies (see ``KinkRecorder``). When the pattern at ``x + h``
differs from the one at ``x - h`` the element is counted as a kink and left out of the error statistics.
"""

from __future__ import annotations

import copy
import inspect
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from trainwise.batches import forward, map_tensors, split_batch, tensors_in, to_device
from trainwise.kinks import KinkRecorder, same_pattern
from trainwise.restore import borrowed

__all__ = ["check_gradients", "GradCheckResult", "GradRow", "StepRetry", "MODES"]

MODES = ("elementwise", "directional")
_DROPOUT = ("reseed", "off")
_GOOD, _ACCEPTABLE, _WRONG = 1e-7, 1e-4, 1e-2
# Below FLOOR_FACTOR * eps * |f| / 2h a centered difference is round-off; two derivatives that small are "equal".
_FLOOR_FACTOR = 100.0
_EPS = torch.finfo(torch.float64).eps
_MAX_RETRIED = 10  # failing elements re-measured per tensor at each retry step


# --------------------------------------------------------------------------------------------- state


def _reseed(seed: int) -> None:
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)


def _float64_copy(obj: Any) -> Any:
    """Copy floating tensors to float64 (keeping requires_grad), recursing into tuples, lists and dicts."""

    def copy64(t: torch.Tensor) -> torch.Tensor:
        return t.detach().to(torch.float64, copy=True).requires_grad_(t.requires_grad) if t.is_floating_point() else t

    return map_tensors(obj, copy64)


def _module_copy(module: nn.Module, dropout: str) -> nn.Module:
    try:
        clone = copy.deepcopy(module)
    except Exception as exc:  # noqa: BLE001 - report which object could not be copied
        raise TypeError(f"cannot deep-copy the model ({type(module).__name__}) to check it in float64: {exc}") from exc
    clone = clone.to(torch.float64)
    if dropout == "off":
        for m in clone.modules():
            if isinstance(m, nn.modules.dropout._DropoutNd):
                m.eval()
    return clone


def _as_scalar(value: Any, what: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{what} must return a scalar tensor, got {type(value).__name__}")
    if value.numel() != 1:
        raise ValueError(f"{what} must return a scalar (one element), got shape {tuple(value.shape)}")
    return value.reshape(())


# --------------------------------------------------------------------------------------------- objective


class _Objective:
    """One scalar ``f`` (the data loss, the regularizer, or a function's output) and the tensors it is checked on."""

    def __init__(self, part: str, compute: Callable[[], torch.Tensor], tensors: list[tuple[str, torch.Tensor]],
                 seed: int):
        self.part, self.compute, self.tensors, self.seed = part, compute, tensors, seed
        self.evaluations = 0

    def value(self, detect: bool) -> tuple[float, KinkRecorder | None]:
        self.evaluations += 1
        recorder = KinkRecorder() if detect else None
        with torch.no_grad():
            _reseed(self.seed)  # same dropout masks (and other random draws) at every evaluation
            if recorder is None:
                out = self.compute()
            else:
                with recorder:
                    out = self.compute()
        return float(out), recorder

    def gradients(self) -> list[torch.Tensor]:
        self.evaluations += 1
        leaves = [t for _, t in self.tensors]
        with torch.enable_grad():
            _reseed(self.seed)
            out = self.compute()
            if not out.requires_grad:  # the value is detached from everything checked: backward gives zeros
                return [torch.zeros_like(t) for t in leaves]
            grads = torch.autograd.grad(out, leaves, allow_unused=True)
        return [torch.zeros_like(t) if g is None else g.detach() for t, g in zip(leaves, grads)]


def _input_names(fn: Callable[..., Any], inputs: Any) -> list[str]:
    """Names for a function's positional inputs, read from its signature (a custom Function's ``forward``)."""
    target: Any = fn.forward if isinstance(fn, nn.Module) else fn
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, type) and issubclass(owner, torch.autograd.Function):
        target = owner.forward
    names: list[str] = []
    try:
        for p in inspect.signature(target).parameters.values():
            if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                break
            names.append(p.name)
    except (TypeError, ValueError):
        pass
    if names and names[0] == "ctx" and owner is not None:
        names = names[1:]
    count = len(inputs) if isinstance(inputs, tuple) else 1
    return [names[i] if i < len(names) else f"input[{i}]" for i in range(count)]


def _function_objective(fn: Callable[..., Any], inputs: Any, seed: int, dropout: str) -> _Objective:
    if isinstance(inputs, list):
        inputs = tuple(inputs)
    model = _module_copy(fn, dropout) if isinstance(fn, nn.Module) else None
    call = model if model is not None else fn
    x64 = _float64_copy(inputs)
    if isinstance(x64, Mapping):
        named = list(x64.items())
    else:
        named = list(zip(_input_names(fn, x64), x64 if isinstance(x64, tuple) else (x64,)))
    tensors = [(n, t) for n, t in named if isinstance(t, torch.Tensor) and t.is_floating_point() and t.requires_grad]
    if model is not None:
        tensors += [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not tensors:
        raise ValueError(
            "nothing to check: no floating tensor in inputs requires grad"
            + (" and no parameter of the model does" if model is not None else "")
            + "; pass inputs=(x.requires_grad_(), ...)"
        )
    _reseed(seed)
    with torch.no_grad():
        sample = [o for o in tensors_in(forward(call, x64)) if o.is_floating_point()]
    if not sample:
        raise TypeError("the function must return a floating tensor (or a tuple of them), got none")
    weights: list[torch.Tensor] | None = None
    if not (len(sample) == 1 and sample[0].numel() == 1):
        # A non-scalar output is reduced to sum(u * out) with a fixed random u: this checks the vector-Jacobian
        # product that backward computes, for all outputs at once.
        gen = torch.Generator().manual_seed(seed + 1)
        weights = [torch.randn(o.shape, generator=gen, dtype=torch.float64).to(o.device) for o in sample]

    def projected() -> torch.Tensor:
        outs = [o for o in tensors_in(forward(call, x64)) if o.is_floating_point()]
        if weights is None:
            return outs[0].reshape(())
        return torch.stack([(o * w).sum() for o, w in zip(outs, weights)]).sum()

    return _Objective("loss", projected, tensors, seed)


def _module_objectives(model: nn.Module, loss_fn: Callable[..., Any], batch: Any, batch_fn: Any,
                       regularizer: Callable[[nn.Module], Any] | None, seed: int, dropout: str) -> list[_Objective]:
    copy64 = _module_copy(model, dropout)
    loss64 = _module_copy(loss_fn, dropout) if isinstance(loss_fn, nn.Module) else loss_fn
    device = next((p.device for p in copy64.parameters()), None)
    inputs, target = split_batch(batch, batch_fn)
    inputs, target = to_device(_float64_copy(inputs), device), to_device(_float64_copy(target), device)
    tensors = [(n, p) for n, p in copy64.named_parameters() if p.requires_grad]
    if not tensors:
        raise ValueError("nothing to check: no parameter of model requires grad")

    def data_loss() -> torch.Tensor:
        return _as_scalar(loss64(forward(copy64, inputs), target), "loss_fn")

    objectives = [_Objective("loss", data_loss, tensors, seed)]
    if regularizer is not None:
        objectives.append(_Objective("regularizer", lambda: _as_scalar(regularizer(copy64), "regularizer"),
                                     tensors, seed))
    return objectives


# --------------------------------------------------------------------------------------------- measuring


@dataclass
class _Point:
    where: tuple[int, ...] | int  # element index, or direction number
    measure: Callable[[float], tuple[float, float, bool, float]]  # h -> (analytic, numeric, kink, floor)
    analytic: float = math.nan
    numeric: float = math.nan
    error: float = math.nan
    kink: bool = False
    floor: float = 0.0  # round-off level of the centered difference at this step

    def run(self, h: float) -> _Point:
        a, n, kink, floor = self.measure(h)
        return _Point(self.where, self.measure, a, n, _relative_error(a, n, floor), kink, floor)

    @property
    def tiny(self) -> bool:
        return max(abs(self.analytic), abs(self.numeric)) <= self.floor

    @property
    def within_round_off(self) -> bool:
        return abs(self.analytic - self.numeric) <= self.floor


def _relative_error(a: float, n: float, floor: float = 0.0) -> float:
    """|a - n| / max(|a|, |n|); 0 when both are at most ``floor`` (0/0 included); inf when either is not finite."""
    if not (math.isfinite(a) and math.isfinite(n)):
        return math.inf
    scale = max(abs(a), abs(n))
    return 0.0 if scale <= floor else abs(a - n) / scale


def _element_measure(obj: _Objective, t: torch.Tensor, grad: torch.Tensor, idx: tuple[int, ...], detect: bool):
    analytic = float(grad[idx])

    def measure(h: float) -> tuple[float, float, bool, float]:
        with torch.no_grad():
            orig = t[idx].clone()
            hi, lo = orig + h, orig - h
            t[idx] = hi
            f_hi, rec_hi = obj.value(detect)
            t[idx] = lo
            f_lo, rec_lo = obj.value(detect)
            t[idx] = orig
        step = float(hi - lo)  # the step float64 really took, not 2h
        floor = _FLOOR_FACTOR * _EPS * max(abs(f_hi), abs(f_lo)) / step
        return analytic, (f_hi - f_lo) / step, not same_pattern(rec_hi, rec_lo), floor

    return measure


def _direction_measure(obj: _Objective, grads: list[torch.Tensor], origins: list[torch.Tensor],
                       support: list[int], seed: int, detect: bool):
    """Derivative along a random direction on the tensors in ``support``, regenerated from ``seed`` when measured
    (so only one direction is held in memory at a time)."""

    def measure(h: float) -> tuple[float, float, bool, float]:
        gen = torch.Generator().manual_seed(seed)
        moved = [(obj.tensors[i][1], origins[i], _rademacher(origins[i], gen), grads[i]) for i in support]
        # g . v; float64 rounding of x +- h v shifts the true step by ~eps |x| / h relative, far below 1e-7
        analytic = sum(float(torch.dot(g.reshape(-1), v.reshape(-1))) for _, _, v, g in moved)
        with torch.no_grad():
            for t, o, v, _ in moved:
                torch.add(o, v, alpha=h, out=t)
            f_hi, rec_hi = obj.value(detect)
            for t, o, v, _ in moved:
                torch.add(o, v, alpha=-h, out=t)
            f_lo, rec_lo = obj.value(detect)
            for t, o, _, _ in moved:
                t.copy_(o)
        floor = _FLOOR_FACTOR * _EPS * max(abs(f_hi), abs(f_lo)) / (2 * h)
        return analytic, (f_hi - f_lo) / (2 * h), not same_pattern(rec_hi, rec_lo), floor

    return measure


def _sample(numel: int, k: int, gen: torch.Generator) -> list[int]:
    if k >= numel:
        return list(range(numel))
    if numel <= 1 << 22:
        return sorted(torch.randperm(numel, generator=gen)[:k].tolist())
    chosen: set[int] = set()
    while len(chosen) < k:
        chosen.update(torch.randint(numel, (2 * k,), generator=gen).tolist())
    return sorted(chosen)[:k]


def _rademacher(like: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random +-1 entries: RMS exactly 1, so each element moves by h, as in elementwise mode; cheap to draw."""
    # signs of float32 normals: the cheapest fair coin torch's CPU generator offers (a 0 just leaves an element put)
    return torch.randn(like.shape, generator=gen).sign_().to(device=like.device, dtype=torch.float64)


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class GradRow:
    """Summary of one checked tensor (or, in directional mode, of the directions supported on it)."""

    name: str
    part: str  # "loss" or "regularizer"
    shape: tuple[int, ...]
    checked: int  # elements (elementwise) or directions (directional), kinks included
    max_rel_error: float  # over checked elements that did not cross a kink; nan when all did
    median_rel_error: float
    worst_index: tuple[int, ...] | None  # None in directional mode
    worst_analytic: float
    worst_numeric: float
    kinks: int
    below_floor: int  # both derivatives below the round-off floor, counted as error 0
    # "good" (<= 1e-7); up to 1e-4: "acceptable" (the objective has kinks), "round-off" (smooth, but |a - n| is
    # within the centered difference's round-off) or "too high" (smooth); "suspicious" (<= 1e-2); "wrong";
    # "kinks only" when every checked point crossed a kink.
    verdict: str
    cause: str | None = None  # for a failing row: "numerical" (a better h fixes it), "real", or "not retried"

    @property
    def failed_at_h(self) -> bool:
        return self.verdict in ("suspicious", "wrong")

    @property
    def passed(self) -> bool:
        return not self.failed_at_h or self.cause == "numerical"

    @property
    def label(self) -> str:
        return self.name if self.part == "loss" else f"{self.name} [{self.part}]"


@dataclass(frozen=True)
class StepRetry:
    """A failing tensor re-measured with another step: its max error over the elements that failed."""

    name: str
    part: str
    h: float
    max_rel_error: float
    checked: int
    kinks: int


def _fmt(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1e}"


def _clean(x: Any) -> Any:
    return None if isinstance(x, float) and math.isnan(x) else x


@dataclass(frozen=True)
class GradCheckResult:
    """What :func:`check_gradients` found. ``str(result)`` is a plain-text table; ``to_rows()`` feeds renderers."""

    rows: tuple[GradRow, ...]
    retries: tuple[StepRetry, ...]
    mode: str
    h: float
    depth: int  # parameterized layers (modules owning parameters); 1 for a plain function
    kink_ops: tuple[str, ...]  # ops with kinks seen in the objective
    evaluations: int

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def failing(self) -> list[str]:
        return [r.label for r in self.rows if not r.passed]

    @property
    def verdict(self) -> str:
        return _verdict_text(self)

    def to_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "name": r.name, "part": r.part, "shape": list(r.shape), "checked": r.checked,
                "max_rel_error": _clean(r.max_rel_error), "median_rel_error": _clean(r.median_rel_error),
                "worst_index": None if r.worst_index is None else list(r.worst_index),
                "analytic": _clean(r.worst_analytic), "numeric": _clean(r.worst_numeric), "kinks": r.kinks,
                "below_floor": r.below_floor, "verdict": r.verdict, "cause": r.cause, "passed": r.passed,
            }
            for r in self.rows
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed, "mode": self.mode, "h": self.h, "depth": self.depth,
            "kink_ops": list(self.kink_ops), "evaluations": self.evaluations, "failing": self.failing,
            "verdict": self.verdict, "rows": self.to_rows(),
            "retries": [
                {"name": s.name, "part": s.part, "h": s.h, "max_rel_error": _clean(s.max_rel_error),
                 "checked": s.checked, "kinks": s.kinks}
                for s in self.retries
            ],
        }

    def __str__(self) -> str:
        head = ["tensor", "shape", "checked", "max err", "median", "worst at", "kinks", "verdict"]
        body = []
        for r in self.rows:
            verdict = r.verdict if r.cause is None else f"{r.verdict} ({r.cause})"
            worst = "-" if r.worst_index is None else str(tuple(r.worst_index))
            body.append([r.label, str(tuple(r.shape)), str(r.checked), _fmt(r.max_rel_error),
                         _fmt(r.median_rel_error), worst, str(r.kinks), verdict])
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        lines = [f"gradient check ({self.mode}, h={self.h:g}, float64): {'PASSED' if self.passed else 'FAILED'}"]
        for row in [head, *body]:
            lines.append("  ".join(c.ljust(w) if i in (0, 1, 7) else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if self.failing:
            lines.append("failing: " + ", ".join(self.failing))
        lines.append(self.verdict)
        return "\n".join(lines)


def _verdict_text(res: GradCheckResult) -> str:
    parts: list[str] = []
    bad = [r for r in res.rows if not r.passed]
    if bad:
        wrong = [r.label for r in bad if r.verdict == "wrong"]
        suspicious = [r.label for r in bad if r.verdict == "suspicious"]
        if wrong:
            parts.append(f"Gradient probably wrong (relative error > 1e-2) for {', '.join(wrong)}.")
        if suspicious:
            parts.append(f"Suspicious errors (1e-4 to 1e-2) for {', '.join(suspicious)}.")
        worst = max(bad, key=lambda r: r.max_rel_error)
        parts.append(f"Worst: {worst.label}, relative error {worst.max_rel_error:.1e} (analytic "
                     f"{worst.worst_analytic:.6g} vs numeric {worst.worst_numeric:.6g}).")
        if worst.cause == "real":
            parts.append("It stays above 1e-4 with every retried step: the error is real, not numerical.")
    else:
        finite = [r.max_rel_error for r in res.rows if not math.isnan(r.max_rel_error)]
        top = max(finite) if finite else math.nan
        parts.append(f"{len(res.rows)} of {len(res.rows)} checked tensors pass; max relative error {_fmt(top)}.")
    numerical = [r for r in res.rows if r.cause == "numerical"]
    for r in numerical:
        best = min((s for s in res.retries if s.name == r.name and s.part == r.part
                    and not math.isnan(s.max_rel_error)), key=lambda s: s.max_rel_error, default=None)
        if best is not None:
            parts.append(f"{r.label} failed at h={res.h:g} ({r.max_rel_error:.1e}) but falls to "
                         f"{best.max_rel_error:.1e} with h={best.h:g}: a numerical problem, not a wrong gradient.")
    noisy = [r.label for r in res.rows if r.verdict == "round-off"]
    if noisy:
        parts.append(f"{', '.join(noisy)}: errors above 1e-7 come from small gradient elements whose difference is "
                     f"within the round-off of the centered difference at h={res.h:g}; a larger h (1e-5) measures "
                     "them better.")
    high = [r.label for r in res.rows if r.verdict == "too high"]
    if high:
        parts.append(f"{', '.join(high)}: errors above 1e-7 on an objective without kinks; in float64 a correct "
                     "gradient is usually below that - look for a float32 step or an approximation in backward.")
    kinks = sum(r.kinks for r in res.rows)
    if kinks:
        parts.append(f"{kinks} checked point(s) crossed a kink ({', '.join(res.kink_ops)}) between x-h and x+h and "
                     "were left out of the error statistics.")
    if res.depth > 1 and any(r.verdict in ("too high", "suspicious", "wrong") for r in res.rows):
        parts.append(f"The model has {res.depth} parameterized layers; relative errors grow with depth, so part "
                     "of the error in early layers can be accumulation. The bands are not loosened for depth: a "
                     "bug usually shows in one tensor, accumulation in all the early ones.")
    return " ".join(p for p in parts if p)


# --------------------------------------------------------------------------------------------- entry point


def _depth(model: Any) -> int:
    if not isinstance(model, nn.Module):
        return 1
    return max(1, sum(1 for m in model.modules() if next(m.parameters(recurse=False), None) is not None))


def _band(err: float, has_kinks: bool, round_off: bool) -> str:
    if math.isnan(err):
        return "kinks only"
    if err > _WRONG:
        return "wrong"
    if err > _ACCEPTABLE:
        return "suspicious"
    if err > _GOOD:
        return "acceptable" if has_kinks else ("round-off" if round_off else "too high")
    return "good"


def _validate(model: Any, loss_fn: Any, batch: Any, inputs: Any, regularizer: Any, mode: Any, h: Any,
              samples_per_tensor: Any, directions_per_tensor: Any, global_directions: Any, retry_h: Any,
              dropout: Any) -> None:
    if not callable(model):
        raise TypeError(f"model must be an nn.Module or a callable, got {type(model).__name__}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got mode={mode!r}")
    if dropout not in _DROPOUT:
        raise ValueError(f"dropout must be one of {_DROPOUT}, got dropout={dropout!r}")
    if isinstance(h, bool) or not isinstance(h, (int, float)) or not math.isfinite(h) or h <= 0:
        raise ValueError(f"h must be a finite number > 0, got h={h!r}")
    if not all(isinstance(s, (int, float)) and math.isfinite(s) and s > 0 for s in retry_h):
        raise ValueError(f"retry_h must hold finite numbers > 0, got retry_h={tuple(retry_h)!r}")
    samples = samples_per_tensor
    if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int) or samples < 1):
        raise ValueError(f"samples_per_tensor must be an int >= 1 or None, got samples_per_tensor={samples!r}")
    for name, value in (("directions_per_tensor", directions_per_tensor), ("global_directions", global_directions)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be an int >= 0, got {name}={value!r}")
    if mode == "directional" and directions_per_tensor == 0 and global_directions == 0:
        raise ValueError("directional mode needs directions_per_tensor > 0 or global_directions > 0")
    if batch is not None and inputs is not None:
        raise ValueError("pass either batch= (with loss_fn, for a model) or inputs= (for a function), not both")
    if batch is None and inputs is None:
        raise TypeError("nothing to evaluate: pass check_gradients(model, loss_fn, batch) or "
                        "check_gradients(fn, inputs=...)")
    if batch is not None:
        if loss_fn is None:
            raise TypeError("loss_fn is required when batch is given: check_gradients(model, loss_fn, batch)")
        if not callable(loss_fn):
            raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be an nn.Module when a batch is given, got {type(model).__name__}; "
                            "for a plain function use inputs=")
    elif loss_fn is not None:
        raise TypeError("loss_fn is only used with batch=; a function checked with inputs= must return the scalar")
    if regularizer is not None:
        if not callable(regularizer):
            raise TypeError(f"regularizer must be callable as regularizer(model), got {type(regularizer).__name__}")
        if not isinstance(model, nn.Module) or batch is None:
            raise TypeError("regularizer= needs a model checked with loss_fn and batch")


def check_gradients(
    model: nn.Module | Callable[..., Any],
    loss_fn: Callable[[Any, Any], torch.Tensor] | None = None,
    batch: Any = None,
    *,
    inputs: Any = None,
    batch_fn: Callable[[Any], tuple[Any, Any]] | None = None,
    regularizer: Callable[[nn.Module], torch.Tensor] | None = None,
    mode: str = "elementwise",
    h: float = 1e-6,
    samples_per_tensor: int | None = 10,
    directions_per_tensor: int = 2,
    global_directions: int = 2,
    retry_h: Sequence[float] = (1e-3, 1e-4, 1e-5, 1e-7, 1e-8),
    dropout: str = "reseed",
    detect_kinks: bool = True,
    seed: int = 0,
) -> GradCheckResult:
    """Compare backward's gradients with centered differences ``(f(x+h) - f(x-h)) / 2h`` in float64.

    Two ways to call it:

    * ``check_gradients(model, loss_fn, batch)``: ``f = loss_fn(model(inputs), target)`` with the batch split as in
      :mod:`trainwise.batches` (``batch_fn=`` for other layouts); checked against every parameter that requires
      grad. With ``regularizer=lambda model: ...`` the regularization term is checked separately (rows with
      ``part="regularizer"``), as seed 002 advises.
    * ``check_gradients(fn, inputs=(x, w))``: a plain function or a custom ``torch.autograd.Function``'s
      ``apply``; checked against the floating inputs that require grad (and the parameters, if ``fn`` is a module).
      A non-scalar output is reduced to ``sum(u * out)`` with a fixed random ``u``, which checks backward's
      vector-Jacobian product for all outputs at once.

    ``mode="elementwise"`` checks ``samples_per_tensor`` randomly chosen elements per tensor (``None``: all of
    them, two evaluations each). ``mode="directional"`` compares ``g . v`` (backward's gradient projected on a
    random direction ``v`` with entries +-1) with ``(f(x + h v) - f(x - h v)) / 2h``: ``directions_per_tensor``
    directions supported on each tensor plus ``global_directions`` over all of them (row ``"(all)"``), so a large
    model costs a few dozen evaluations. An error confined to a few elements of a big tensor can hide in a projection.

    A tensor fails when its largest relative error is above 1e-4 (bands of seed 002; see :class:`GradRow`). A failing
    tensor is re-measured with every step in ``retry_h``: if one of them brings each failing element below 1e-4 the
    failure is ``"numerical"`` (and does not count), otherwise ``"real"``. Deep models accumulate error; the verdict
    says so, with the depth in parameterized layers, instead of loosening the bands.

    Random layers get the same seed before every evaluation (``dropout="reseed"``), or dropout modules are put in
    eval mode (``dropout="off"``). Points that cross a kink (ReLU-family, abs, clamp/hinge, max/min and pooling,
    sort/topk, comparisons and ``where``, floor/round; the full list is in ``KinkRecorder``) between ``x - h`` and
    ``x + h`` are counted in ``kinks`` and left out of the statistics (``detect_kinks=False`` keeps them).

    The checked model is a float64 deep copy: the caller's parameters, buffers, modes, ``requires_grad`` flags,
    input tensors and RNG states (torch, NumPy, ``random``) are unchanged afterwards. A plain function is called as
    it is, so state it closes over is its own. A NaN or infinite value at the checked point raises ``ValueError``; a
    non-finite value at ``x +- h`` or a non-finite analytic gradient gives that element an infinite error, so it
    fails. Negative losses are fine.

    >>> import torch
    >>> class Square(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return grad * x  # wrong: d(x*x)/dx = 2x
    >>> result = check_gradients(Square.apply, inputs=(torch.randn(5, requires_grad=True),))
    >>> result.passed, result.failing
    (False, ['x'])
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    >>> batch = (torch.randn(8, 3), torch.randint(0, 2, (8,)))
    >>> check_gradients(net, torch.nn.functional.cross_entropy, batch).passed
    True
    """
    retry_h = tuple(retry_h)
    _validate(model, loss_fn, batch, inputs, regularizer, mode, h, samples_per_tensor, directions_per_tensor,
              global_directions, retry_h, dropout)
    h = float(h)
    detect = bool(detect_kinks) and KinkRecorder.available
    rows: list[GradRow] = []
    retries: list[StepRetry] = []
    kink_ops: set[str] = set()
    with borrowed(None):  # the model is only ever deep-copied; this puts back every global RNG
        if batch is not None:
            objectives = _module_objectives(model, loss_fn, batch, batch_fn, regularizer, seed, dropout)
        else:
            objectives = [_function_objective(model, inputs, seed, dropout)]
        gen = torch.Generator().manual_seed(seed)
        for obj in objectives:
            f0, recorder = obj.value(detect)
            if not math.isfinite(f0):
                what = "regularizer" if obj.part == "regularizer" else ("loss" if batch is not None else "output")
                raise ValueError(f"the {what} is {f0} at the checked point; gradients cannot be compared there")
            seen = recorder.kink_ops if recorder is not None else set()
            kink_ops |= seen
            grads = obj.gradients()
            for name, shape, points in _points(obj, grads, mode, samples_per_tensor, directions_per_tensor,
                                               global_directions, gen, detect):
                measured = [p.run(h) for p in points]
                row = _summarize(name, obj.part, shape, measured, bool(seen), mode)
                if row.failed_at_h:
                    row, tried = _retry(row, measured, h, retry_h)
                    retries.extend(tried)
                rows.append(row)
        evaluations = sum(o.evaluations for o in objectives)
    return GradCheckResult(tuple(rows), tuple(retries), mode, h, _depth(model), tuple(sorted(kink_ops)), evaluations)


def _points(obj: _Objective, grads: list[torch.Tensor], mode: str, samples: int | None, per_tensor: int,
            global_dirs: int, gen: torch.Generator, detect: bool):
    """Yield (row name, shape, points to measure) for one objective."""
    if mode == "elementwise":
        for (name, t), g in zip(obj.tensors, grads):
            k = t.numel() if samples is None else min(samples, t.numel())
            flat = _sample(t.numel(), k, gen)
            points = [_Point(idx, _element_measure(obj, t, g, idx, detect))
                      for idx in (tuple(int(i) for i in np.unravel_index(f, t.shape)) for f in flat)]
            yield name, tuple(t.shape), points
        return
    origins = [t.detach().clone() for _, t in obj.tensors]

    def draw() -> int:  # one seed per direction
        return int(torch.randint(2**62, (1,), generator=gen))

    for i, (name, t) in enumerate(obj.tensors):
        points = [_Point(d, _direction_measure(obj, grads, origins, [i], draw(), detect)) for d in range(per_tensor)]
        if points:
            yield name, tuple(t.shape), points
    if global_dirs:
        every = list(range(len(obj.tensors)))
        points = [_Point(d, _direction_measure(obj, grads, origins, every, draw(), detect)) for d in range(global_dirs)]
        yield "(all)", (sum(t.numel() for _, t in obj.tensors),), points


def _summarize(name: str, part: str, shape: tuple[int, ...], points: list[_Point], has_kinks: bool,
               mode: str) -> GradRow:
    valid = [p for p in points if not p.kink]
    errors = [p.error for p in valid]
    worst = max(valid, key=lambda p: p.error) if valid else None
    max_err = worst.error if worst is not None else math.nan
    return GradRow(
        name=name, part=part, shape=shape, checked=len(points), max_rel_error=max_err,
        median_rel_error=float(np.median(errors)) if errors else math.nan,
        worst_index=worst.where if (worst is not None and mode == "elementwise") else None,
        worst_analytic=worst.analytic if worst is not None else math.nan,
        worst_numeric=worst.numeric if worst is not None else math.nan,
        kinks=len(points) - len(valid), below_floor=sum(p.tiny for p in valid),
        verdict=_band(max_err, has_kinks, all(p.within_round_off for p in valid if p.error > _GOOD)),
    )


def _retry(row: GradRow, points: list[_Point], h: float, steps: tuple[float, ...]) -> tuple[GradRow, list[StepRetry]]:
    """Re-measure the failing points with other steps: does the error fall (numerical) or stay (real)?"""
    failing = sorted((p for p in points if not p.kink and p.error > _ACCEPTABLE), key=lambda p: -p.error)
    failing = failing[:_MAX_RETRIED]
    steps = tuple(s for s in steps if s != h)
    if not steps:
        return _with_cause(row, "not retried"), []
    best = [p.error for p in failing]
    tried = []
    for step in steps:
        again = [p.run(step) for p in failing]
        errs = [q.error for q in again if not q.kink]
        tried.append(StepRetry(row.name, row.part, step, max(errs) if errs else math.nan, len(again),
                               sum(q.kink for q in again)))
        best = [min(b, q.error) if not q.kink else b for b, q in zip(best, again)]
    return _with_cause(row, "numerical" if max(best) <= _ACCEPTABLE else "real"), tried


def _with_cause(row: GradRow, cause: str) -> GradRow:
    return GradRow(**{**row.__dict__, "cause": cause})
