"""Pre-flight: the sanity checks of seed 002 (and a few close relatives) run before a long training run.

Each check is a small :class:`Check` object with a ``name`` and ``run(context) -> CheckResult``; the registry
:data:`CHECKS` holds them in the order they run, and :func:`register_check` adds one more. The checks:

* ``labels``: targets agree with outputs (class indices in ``[0, C)`` and integer for cross-entropy; for regression
  the target has the output's shape, catching the silent ``(N, 1)`` vs ``(N,)`` broadcast of MSE/L1);
* ``init_loss``: the loss at initialisation, regularization off, is what an uninformed model gets: ``ln C`` for
  softmax cross-entropy with ``C`` classes, the loss of a constant prediction of the target mean for regression;
* ``regularization``: adding the regularization term raises the loss (and the term depends on the parameters);
* ``batch_independence``: the output of sample ``i`` has zero gradient with respect to the input of sample ``j``;
* ``overfit``: a tiny subset (about 20 samples, no regularization, no dropout) can be fit: the loss falls below 1% of
  its initial value (or, for classification and binary tasks, accuracy reaches 100%) within ``overfit_steps`` Adam
  steps;
* ``zero_input``: after that training the model does worse when its inputs are replaced by zeros.

Every check works on a deep copy of the model; the caller's model and RNG states are left exactly as they were.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainwise.batches import batch_size, forward, map_tensors, split_batch, tensors_in, to_device
from trainwise.restore import borrowed, loader_generators

__all__ = ["preflight", "PreflightReport", "CheckResult", "Check", "PreflightContext", "CHECKS", "register_check",
           "TASKS", "VERDICTS"]

TASKS = ("classification", "binary", "regression")
VERDICTS = ("pass", "warn", "fail", "skip")
_MAX_EVAL_SAMPLES = 256
_INDEPENDENCE_SAMPLES = 8

_CLASSIFICATION_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss)
_BINARY_LOSSES = (nn.BCEWithLogitsLoss, nn.BCELoss)
_REGRESSION_LOSSES = (nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss)
_LOSS_FUNCTIONS = {
    F.cross_entropy: "classification", F.nll_loss: "classification",
    F.binary_cross_entropy_with_logits: "binary", F.binary_cross_entropy: "binary",
    F.mse_loss: "regression", F.l1_loss: "regression", F.smooth_l1_loss: "regression", F.huber_loss: "regression",
}


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: ``verdict`` is "pass", "warn", "fail" or "skip"; ``evidence`` holds the numbers."""

    name: str
    verdict: str
    measurement: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict != "fail"


@dataclass(frozen=True)
class PreflightReport:
    """All check results; ``passed`` is False when any check failed. ``str(report)`` is a plain-text table."""

    results: tuple[CheckResult, ...]
    task: str
    num_classes: int | None

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failing(self) -> list[str]:
        return [r.name for r in self.results if r.verdict == "fail"]

    def __getitem__(self, name: str) -> CheckResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"no check named {name!r}; ran {[r.name for r in self.results]}")

    def to_rows(self) -> list[dict[str, Any]]:
        return [{"name": r.name, "verdict": r.verdict, "measurement": r.measurement, "evidence": dict(r.evidence),
                 "fix": r.fix} for r in self.results]

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "task": self.task, "num_classes": self.num_classes,
                "failing": self.failing, "results": self.to_rows()}

    def __str__(self) -> str:
        task = self.task + (f", {self.num_classes} classes" if self.num_classes else "")
        status = "PASSED" if self.passed else f"FAILED ({len(self.failing)} of {len(self.results)} checks)"
        width = max([len("check")] + [len(r.name) for r in self.results])
        lines = [f"preflight ({task}): {status}", f"{'check'.ljust(width)}  verdict  measurement"]
        for r in self.results:
            lines.append(f"{r.name.ljust(width)}  {r.verdict.upper() if r.verdict == 'fail' else r.verdict:<7}  "
                         f"{r.measurement}")
            if r.fix and r.verdict in ("fail", "warn"):
                lines.append(f"{' ' * width}           fix: {r.fix}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------- context


def _take(obj: Any, n: int) -> Any:
    """The first ``n`` samples of every tensor inside ``obj``."""
    return map_tensors(obj, lambda t: t[:n] if t.dim() > 0 else t)


def _cat(parts: list[Any]) -> Any:
    first = parts[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(parts) if first.dim() > 0 else first
    if isinstance(first, (tuple, list)):
        return type(first)(_cat([p[i] for p in parts]) for i in range(len(first)))
    if isinstance(first, Mapping):
        return {k: _cat([p[k] for p in parts]) for k in first}
    if any(p != first for p in parts):
        raise TypeError("batches differ in a non-tensor entry")
    return first


def _first_output(out: Any) -> torch.Tensor:
    leaves = [t for t in tensors_in(out) if t.is_floating_point()]
    if not leaves:
        raise TypeError(f"the model must return a floating tensor, got {type(out).__name__}")
    return leaves[0]


def _is_single_batch(data: Any) -> bool:
    if isinstance(data, (tuple, Mapping)):
        return True
    if isinstance(data, list):
        return not (data and all(isinstance(b, (tuple, list, Mapping)) for b in data))
    return not isinstance(data, Iterable)


def _collect(data: Any, batch_fn: Any, device: torch.device | None) -> tuple[Any, Any]:
    if isinstance(data, torch.Tensor) and batch_fn is None:
        raise TypeError("data must be a DataLoader (or an iterable of batches) or one batch (inputs, target); "
                        "got a lone Tensor with no target")
    if _is_single_batch(data):
        pairs = [split_batch(data, batch_fn)]
    else:
        pairs, seen = [], 0
        for batch in data:
            pair = split_batch(batch, batch_fn)
            pairs.append(pair)
            seen += batch_size(pair[1])
            if seen >= _MAX_EVAL_SAMPLES:
                break
        if not pairs:
            raise ValueError(f"data yielded no batches (got an empty {type(data).__name__})")
    try:
        inputs, target = _cat([p[0] for p in pairs]), _cat([p[1] for p in pairs])
    except (TypeError, RuntimeError):  # batches that cannot be joined: use the first one
        inputs, target = pairs[0]
    if batch_size(target) == 0:
        raise ValueError("data must hold at least one sample, got an empty batch")
    inputs, target = _take(inputs, _MAX_EVAL_SAMPLES), _take(target, _MAX_EVAL_SAMPLES)
    return to_device(inputs, device), to_device(target, device)


def _infer_task(loss_fn: Any, target: Any) -> str:
    if isinstance(loss_fn, _CLASSIFICATION_LOSSES):
        return "classification"
    if isinstance(loss_fn, _BINARY_LOSSES):
        return "binary"
    if isinstance(loss_fn, _REGRESSION_LOSSES):
        return "regression"
    if loss_fn in _LOSS_FUNCTIONS:
        return _LOSS_FUNCTIONS[loss_fn]
    integer = isinstance(target, torch.Tensor) and not (target.is_floating_point() or target.is_complex())
    return "classification" if integer else "regression"


def _dropout_off(model: nn.Module) -> nn.Module:
    for m in model.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd):
            m.eval()
    return model


@dataclass
class _OverfitRun:
    model: nn.Module | None
    losses: list[float]
    reached_at: int | None
    accuracy: float | None
    trainable: int


class PreflightContext:
    """What a check sees: the data (already on the model's device), the task, and copies of the model.

    ``model`` is the caller's; checks use :meth:`fresh_model` (a deep copy with dropout off) and never touch it.
    """

    def __init__(self, model: nn.Module, loss_fn: Callable[..., Any], inputs: Any, target: Any, *, task: str,
                 num_classes: int | None, regularizer: Callable[[nn.Module], Any] | None,
                 overfit_samples: int, overfit_steps: int, overfit_lr: float, seed: int):
        self.model, self.loss_fn, self.inputs, self.target = model, loss_fn, inputs, target
        self.task, self.num_classes, self.regularizer = task, num_classes, regularizer
        self.overfit_samples, self.overfit_steps, self.overfit_lr, self.seed = (
            overfit_samples, overfit_steps, overfit_lr, seed)
        self.results: dict[str, CheckResult] = {}
        self._overfit: _OverfitRun | None = None

    def fresh_model(self) -> nn.Module:
        torch.manual_seed(self.seed)
        return _dropout_off(copy.deepcopy(self.model))

    def loss(self, model: nn.Module, inputs: Any = None, target: Any = None) -> torch.Tensor:
        """Data loss (no regularization) of ``model`` on ``inputs`` (default: the collected samples)."""
        inputs = self.inputs if inputs is None else inputs
        target = self.target if target is None else target
        return self.loss_fn(forward(model, inputs), target)

    @property
    def subset(self) -> tuple[Any, Any]:
        return _take(self.inputs, self.overfit_samples), _take(self.target, self.overfit_samples)

    def overfit_run(self) -> _OverfitRun:
        """Train a fresh copy on the tiny subset (cached: the overfit and zero-input checks share it)."""
        if self._overfit is None:
            self._overfit = _train_tiny(self)
        return self._overfit


def _accuracy(ctx: PreflightContext, output: torch.Tensor, target: Any) -> float | None:
    if not isinstance(target, torch.Tensor):
        return None
    if ctx.task == "classification" and not target.is_floating_point() and output.dim() >= 2:
        ignore = _ignore_index(ctx.loss_fn)
        keep = target != ignore if ignore is not None else torch.ones_like(target, dtype=torch.bool)
        hits = (output.argmax(1) == target)[keep]
        return float(hits.float().mean()) if hits.numel() else None
    if ctx.task == "binary" and output.shape == target.shape:
        logits = not isinstance(ctx.loss_fn, nn.BCELoss) and ctx.loss_fn is not F.binary_cross_entropy
        return float(((output > (0.0 if logits else 0.5)) == (target > 0.5)).float().mean())
    return None


def _ignore_index(loss_fn: Any) -> int | None:
    if isinstance(loss_fn, _CLASSIFICATION_LOSSES):
        return loss_fn.ignore_index
    return -100 if loss_fn in (F.cross_entropy, F.nll_loss) else None


def _train_tiny(ctx: PreflightContext) -> _OverfitRun:
    model = ctx.fresh_model()
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        return _OverfitRun(None, [], None, None, 0)
    model.train()
    _dropout_off(model)
    inputs, target = ctx.subset
    opt = torch.optim.Adam(params, lr=ctx.overfit_lr)
    losses: list[float] = []
    accuracy = None
    for step in range(ctx.overfit_steps + 1):
        opt.zero_grad(set_to_none=True)
        output = forward(model, inputs)
        loss = ctx.loss_fn(output, target)
        losses.append(float(loss.detach()))
        accuracy = _accuracy(ctx, _first_output(output).detach(), target)
        if not math.isfinite(losses[-1]):
            return _OverfitRun(model, losses, None, accuracy, len(params))
        if losses[-1] <= 0.01 * losses[0] or (accuracy == 1.0 and step > 0):
            return _OverfitRun(model, losses, step, accuracy, len(params))
        if step < ctx.overfit_steps:
            loss.backward()
            opt.step()
    return _OverfitRun(model, losses, None, accuracy, len(params))


# --------------------------------------------------------------------------------------------- checks


class Check:
    """A pre-flight check. Subclass, set ``name``, implement ``run``; :func:`register_check` adds it to :data:`CHECKS`.

    ``needs_labels``: skip this check when the ``labels`` check failed (the loss would crash or mean nothing).
    """

    name: str = ""
    needs_labels: bool = True

    def run(self, ctx: PreflightContext) -> CheckResult:
        raise NotImplementedError

    def result(self, verdict: str, measurement: str, fix: str = "", **evidence: Any) -> CheckResult:
        return CheckResult(self.name, verdict, measurement, evidence, fix)


CHECKS: dict[str, Check] = {}


def register_check(check: Check | type[Check]) -> Any:
    """Add a check (an instance, or a class instantiated without arguments) to :data:`CHECKS`; usable as decorator."""
    instance = check() if isinstance(check, type) else check
    if not isinstance(instance, Check) or not instance.name:
        raise TypeError(f"check must be a Check with a name, got {check!r}")
    CHECKS[instance.name] = instance
    return check


@register_check
class LabelsCheck(Check):
    name = "labels"
    needs_labels = False

    def run(self, ctx: PreflightContext) -> CheckResult:
        with torch.no_grad():
            out = _first_output(forward(ctx.fresh_model(), ctx.inputs))
        y = ctx.target
        if not isinstance(y, torch.Tensor):
            return self.result("skip", f"target is a {type(y).__name__}, not a tensor; nothing to compare")
        ev = {"output_shape": tuple(out.shape), "target_shape": tuple(y.shape), "target_dtype": str(y.dtype)}
        if not torch.isfinite(out).all():
            return self.result("fail", "the model's output at initialisation has NaN/Inf values",
                               "check the input for NaN/Inf and the initialisation", **ev)
        if ctx.task == "classification":
            return self._classes(ctx, out, y, ev)
        if y.shape != out.shape:
            how = ("same number of elements, different shape" if y.numel() == out.numel() else "different shapes")
            try:
                ev["broadcast_shape"] = tuple(torch.broadcast_shapes(out.shape, y.shape))
                what = f"; the loss would broadcast them to {ev['broadcast_shape']}"
            except RuntimeError:
                what = ""
            return self.result("fail", f"output {tuple(out.shape)} vs target {tuple(y.shape)} ({how}){what}",
                               "make the output and the target the same shape, e.g. output.squeeze(-1) or "
                               "target.unsqueeze(-1)", **ev)
        if not y.is_floating_point():
            return self.result("fail", f"target dtype {y.dtype} for a {ctx.task} loss", "use target.float()", **ev)
        if ctx.task == "binary" and not bool(((y >= 0) & (y <= 1)).all()):
            ev["target_range"] = (float(y.min()), float(y.max()))
            return self.result("fail", f"binary targets outside [0, 1]: range {ev['target_range']}",
                               "binary cross-entropy needs targets in [0, 1]", **ev)
        return self.result("pass", f"output and target both {tuple(out.shape)}, {y.dtype}", **ev)

    def _classes(self, ctx: PreflightContext, out: torch.Tensor, y: torch.Tensor, ev: dict) -> CheckResult:
        if out.dim() < 2:
            return self.result("fail", f"a classification output needs shape (N, C, ...), got {tuple(out.shape)}",
                               "return one logit per class", **ev)
        classes = out.shape[1]
        ev["num_classes"] = classes
        if ctx.num_classes is not None and ctx.num_classes != classes:
            return self.result("fail", f"the model outputs {classes} logits per sample but num_classes="
                                       f"{ctx.num_classes}", "make the last layer's width the number of classes", **ev)
        if y.is_floating_point():
            if y.shape == out.shape:
                return self.result("pass", f"class probabilities of shape {tuple(y.shape)}", **ev)
            return self.result("fail", f"cross-entropy needs integer class indices, got a {y.dtype} target of shape "
                                       f"{tuple(y.shape)}", "use target.long()", **ev)
        expected = (out.shape[0], *out.shape[2:])
        if tuple(y.shape) != expected:
            return self.result("fail", f"target shape {tuple(y.shape)}; expected {expected} for output "
                                       f"{tuple(out.shape)}", "targets hold one class index per sample", **ev)
        ignore = _ignore_index(ctx.loss_fn)
        used = y[y != ignore] if ignore is not None else y.reshape(-1)
        if used.numel():
            lo, hi = int(used.min()), int(used.max())
            ev["label_range"] = (lo, hi)
            bad = int(((used < 0) | (used >= classes)).sum())
            if bad:
                return self.result("fail", f"{bad} label(s) outside [0, {classes}): range [{lo}, {hi}]",
                                   "remap labels to 0..C-1 or widen the last layer", **ev)
        return self.result("pass", f"labels within [0, {classes}), {y.dtype}, shape {tuple(y.shape)}", **ev)


@register_check
class InitLossCheck(Check):
    name = "init_loss"

    def run(self, ctx: PreflightContext) -> CheckResult:
        with torch.no_grad():
            measured = float(ctx.loss(ctx.fresh_model()))
            expected, what = _reference_loss(ctx)
        ev = {"measured": measured, "expected": expected, "reference": what}
        if not math.isfinite(measured):
            return self.result("fail", f"loss at initialisation is {measured}", "check inputs and initialisation", **ev)
        if not (math.isfinite(expected) and expected > 0):
            return self.result("skip", f"no usable reference loss ({what} = {expected:.4g})", **ev)
        ratio = measured / expected
        ev["ratio"] = ratio
        text = f"loss at init {measured:.4g} vs {what} = {expected:.4g} (x{ratio:.2f})"
        pass_hi, fail_hi = (1.25, 2.0) if ctx.task == "classification" else (2.0, 10.0)
        if ratio > fail_hi:
            fix = ("the initial predictions are confidently wrong: initialise the last layer small (and its bias "
                   "to zero or the log class frequencies)" if ctx.task == "classification" else
                   "the initial predictions are far from the targets: initialise the last bias to the target mean, "
                   "or standardise the targets")
            return self.result("fail", text, fix, **ev)
        if ratio > pass_hi:
            return self.result("warn", text, "the initial loss is higher than an uninformed model's; scale down "
                                             "the last layer's initialisation", **ev)
        if ctx.task == "classification" and ratio < 0.75:
            return self.result("warn", text, "lower than chance before training: look for label leakage into "
                                             "the inputs", **ev)
        return self.result("pass", text, **ev)


def _reference_loss(ctx: PreflightContext) -> tuple[float, str]:
    y = ctx.target
    if ctx.task == "classification":
        with torch.no_grad():
            classes = _first_output(forward(ctx.fresh_model(), ctx.inputs)).shape[1]
        return math.log(classes), f"ln({classes})"
    mean = y.float().mean(0, keepdim=True).expand_as(y).to(y.dtype)
    if isinstance(ctx.loss_fn, nn.BCEWithLogitsLoss) or ctx.loss_fn is F.binary_cross_entropy_with_logits:
        mean = torch.logit(mean.clamp(1e-6, 1 - 1e-6))
    return float(ctx.loss_fn(mean, y)), "loss of predicting the target mean"


@register_check
class RegularizationCheck(Check):
    name = "regularization"

    def run(self, ctx: PreflightContext) -> CheckResult:
        if ctx.regularizer is None:
            return self.result("skip", "no regularizer given (pass regularizer=lambda model: ... or weight_decay=)")
        model = ctx.fresh_model()
        with torch.no_grad():
            data = float(ctx.loss(model))
        reg = ctx.regularizer(model)
        if not isinstance(reg, torch.Tensor) or reg.numel() != 1:
            return self.result("fail", f"regularizer returned {type(reg).__name__}"
                               + (f" of shape {tuple(reg.shape)}" if isinstance(reg, torch.Tensor) else ""),
                               "return a scalar tensor computed from model.parameters()")
        params = [p for p in model.parameters() if p.requires_grad]
        grads = (torch.autograd.grad(reg.reshape(()), params, allow_unused=True)
                 if reg.requires_grad and params else [])
        depends = any(g is not None and bool(g.abs().sum() > 0) for g in grads)
        term = float(reg.detach())
        total = data + term
        ev = {"data_loss": data, "regularizer": term, "total": total, "has_gradient": depends}
        text = f"loss {data:.4g} -> {total:.4g} with regularization (term {term:.3g})"
        if not math.isfinite(total) or not total > data:
            return self.result("fail", text + ": the loss did not rise",
                               "the term is zero or negative: check its sign and that it sums the parameters", **ev)
        if not depends:
            return self.result("fail", text + ", but the term has no gradient with respect to the parameters",
                               "compute it from the parameters themselves, not .data, .item() or detached copies",
                               **ev)
        return self.result("pass", text, **ev)


@register_check
class BatchIndependenceCheck(Check):
    name = "batch_independence"
    needs_labels = False

    def run(self, ctx: PreflightContext) -> CheckResult:
        n = min(batch_size(ctx.target), _INDEPENDENCE_SAMPLES)
        if n < 2:
            return self.result("skip", "needs a batch of at least 2 samples")
        inputs = _take(ctx.inputs, n)
        if not any(t.is_floating_point() and t.dim() > 0 and t.shape[0] == n for t in tensors_in(inputs)):
            return self.result("skip", "no floating input tensor with the batch as first dimension to differentiate")
        model = ctx.fresh_model()
        has_bn = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
        ev: dict[str, Any] = {"samples": n, "batchnorm": has_bn}
        if has_bn and model.training:
            ev["train_mode_leak"] = _leak(model, inputs, n)  # BatchNorm couples samples in train mode, by design
            model.eval()
        leak = _leak(model, inputs, n)
        ev["leak"] = leak
        mode = "eval mode (BatchNorm couples samples in train mode, as expected)" if has_bn else "the model's mode"
        if isinstance(leak, str):
            return self.result("fail", leak, "keep the batch as the first dimension of the output", **ev)
        if leak is None:
            return self.result("warn", "the output does not depend on the input at all",
                               "see the zero_input check", **ev)
        if leak > 1e-6:
            return self.result("fail", f"output of sample i has gradient {leak:.2g} (relative) w.r.t. the input of "
                                       f"other samples, in {mode}",
                               "a view/reshape/transpose mixes the batch dimension (e.g. x.view(-1, N) instead of "
                               "x.view(N, -1)), or an op reduces over dim 0", **ev)
        return self.result("pass", f"samples are independent in {mode} (largest cross-gradient {leak:.1g})", **ev)


def _leak(model: nn.Module, inputs: Any, n: int) -> float | str | None:
    """Largest |d out_i / d x_j| (j != i) relative to |d out_i / d x_i|, for i = 0 and n - 1."""
    xs = map_tensors(inputs, lambda t: t.detach().clone().requires_grad_(True)
                      if t.is_floating_point() and t.dim() > 0 and t.shape[0] == n else t)
    leaves = [t for t in tensors_in(xs) if t.requires_grad]
    with torch.enable_grad():
        out = _first_output(forward(model, xs))
        if out.dim() == 0 or out.shape[0] != n:
            return f"the output's first dimension is {tuple(out.shape)[:1]} for a batch of {n}"
        worst, own = 0.0, 0.0
        for i in (0, n - 1):
            grads = torch.autograd.grad(out[i].sum(), leaves, retain_graph=True, allow_unused=True)
            for g in grads:
                if g is None:
                    continue
                g = g.abs().reshape(n, -1)
                own = max(own, float(g[i].max()))
                others = torch.cat([g[:i], g[i + 1:]])
                worst = max(worst, float(others.max()) if others.numel() else 0.0)
    if own == 0.0:
        return None if worst == 0.0 else math.inf
    return worst / own


@register_check
class OverfitCheck(Check):
    name = "overfit"

    def run(self, ctx: PreflightContext) -> CheckResult:
        run = ctx.overfit_run()
        if run.trainable == 0:
            return self.result("fail", "no parameter requires grad: the model cannot learn",
                               "unfreeze the parameters (requires_grad=True)")
        first, last = run.losses[0], run.losses[-1]
        ev = {"samples": batch_size(ctx.subset[1]), "steps": len(run.losses) - 1, "initial_loss": first,
              "final_loss": last, "best_loss": min(run.losses), "accuracy": run.accuracy, "lr": ctx.overfit_lr}
        acc = "" if run.accuracy is None else f", accuracy {run.accuracy:.0%}"
        if not math.isfinite(last):
            return self.result("fail", f"loss became {last} at step {len(run.losses) - 1}",
                               f"lower overfit_lr (now {ctx.overfit_lr:g}) or look for NaN-producing ops", **ev)
        if run.reached_at is not None:
            return self.result("pass", f"fit {ev['samples']} samples in {run.reached_at} steps: loss {first:.3g} -> "
                                       f"{last:.3g}{acc}", **ev)
        return self.result("fail", f"could not fit {ev['samples']} samples in {ctx.overfit_steps} steps: loss "
                                   f"{first:.3g} -> {last:.3g} ({last / first:.1%} of initial; target 1%){acc}",
                           "the model is too small, frozen, or its output is cut off from its input; if the loss "
                           "diverged, lower overfit_lr", **ev)


@register_check
class ZeroInputCheck(Check):
    name = "zero_input"

    def run(self, ctx: PreflightContext) -> CheckResult:
        run = ctx.overfit_run()
        if run.model is None:
            return self.result("skip", "no trainable parameter; nothing was trained")
        inputs, target = ctx.subset
        zeros = map_tensors(inputs, torch.zeros_like)
        with torch.no_grad():
            real = float(ctx.loss(run.model, inputs, target))
            blank = float(ctx.loss(run.model, zeros, target))
        ev = {"loss_real": real, "loss_zero_input": blank, "trained_steps": len(run.losses) - 1}
        text = f"after the overfit run: loss {real:.3g} with real inputs vs {blank:.3g} with zeroed inputs"
        if not (math.isfinite(real) and math.isfinite(blank)):
            return self.result("fail", text, "the loss is not finite", **ev)
        if blank <= real * (1 + 1e-3) + 1e-12:
            return self.result("fail", text + ": the inputs do not help",
                               "the model ignores its input: check that forward uses it (a detach, a zeroed "
                               "mask, or an input that never reaches the output)", **ev)
        if blank < 2 * real:
            return self.result("warn", text + ": the inputs help only a little", "train longer or check the "
                                                                                 "input pipeline", **ev)
        return self.result("pass", text, **ev)


# --------------------------------------------------------------------------------------------- entry point


def _weight_decay_term(weight_decay: float) -> Callable[[nn.Module], torch.Tensor]:
    def term(model: nn.Module) -> torch.Tensor:
        # weight_decay * p in the gradient == (weight_decay / 2) * ||p||^2 in the loss
        return 0.5 * weight_decay * sum(p.pow(2).sum() for p in model.parameters() if p.requires_grad)
    return term


def preflight(
    model: nn.Module,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    data: Any,
    *,
    task: str | None = None,
    num_classes: int | None = None,
    regularizer: Callable[[nn.Module], torch.Tensor] | None = None,
    weight_decay: float | None = None,
    batch_fn: Callable[[Any], tuple[Any, Any]] | None = None,
    checks: Sequence[str] | None = None,
    overfit_samples: int = 20,
    overfit_steps: int = 300,
    overfit_lr: float = 1e-2,
    seed: int = 0,
) -> PreflightReport:
    """Run the sanity checks of seed 002 before training and return a :class:`PreflightReport`.

    ``data`` is a DataLoader (or any iterable of batches; up to 256 samples are read) or one batch, split as in
    :mod:`trainwise.batches`. ``task`` ("classification", "binary" or "regression") is inferred when not given:
    cross-entropy/NLL losses or integer targets mean classification, BCE losses binary, anything else regression.
    ``regularizer(model)`` (and/or ``weight_decay``, added as ``weight_decay / 2 * sum ||p||^2``) is used only by
    the ``regularization`` check; every other check runs without it. ``checks`` picks a subset of :data:`CHECKS` by
    name. Checks other than ``labels`` and ``batch_independence`` are skipped when ``labels`` fails, since the loss
    would crash or mean nothing. A check that raises is reported as failed with the exception as evidence.

    A NaN/Inf loss fails the check that measured it; the "1% of the initial loss" target of ``overfit`` assumes a
    loss that is 0 at a perfect fit (negative losses: use the accuracy criterion or read the evidence). The caller's
    model (parameters, buffers, modes,
    ``requires_grad``) and RNG states are unchanged: every check uses a deep copy.

    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> x = torch.randn(64, 4)
    >>> y = (x[:, 0] * x[:, 1] > 0).long()
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    >>> report = preflight(net, torch.nn.CrossEntropyLoss(), (x, y))
    >>> report.passed, report["init_loss"].verdict, report["regularization"].verdict
    (True, 'pass', 'skip')
    >>> with torch.no_grad():
    ...     net[2].bias[0] = 10.0   # confidently predicts class 0 before training
    >>> preflight(net, torch.nn.CrossEntropyLoss(), (x, y), checks=["init_loss"]).failing
    ['init_loss']
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable as loss_fn(output, target), got {type(loss_fn).__name__}")
    if data is None:
        raise TypeError("data must be a DataLoader (or an iterable of batches) or one batch, got None")
    if task is not None and task not in TASKS:
        raise ValueError(f"task must be one of {TASKS} or None, got task={task!r}")
    if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, int)
                                    or num_classes < 2):
        raise ValueError(f"num_classes must be an int >= 2, got num_classes={num_classes!r}")
    if regularizer is not None and not callable(regularizer):
        raise TypeError(f"regularizer must be callable as regularizer(model), got {type(regularizer).__name__}")
    if weight_decay is not None and not (isinstance(weight_decay, (int, float)) and weight_decay >= 0):
        raise ValueError(f"weight_decay must be a number >= 0, got weight_decay={weight_decay!r}")
    for name, value in (("overfit_samples", overfit_samples), ("overfit_steps", overfit_steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {name}={value!r}")
    if not (isinstance(overfit_lr, (int, float)) and math.isfinite(overfit_lr) and overfit_lr > 0):
        raise ValueError(f"overfit_lr must be a finite number > 0, got overfit_lr={overfit_lr!r}")
    if isinstance(checks, str):
        raise TypeError(f"checks must be a list of names, got the string {checks!r}; use checks=[{checks!r}]")
    selected = list(CHECKS) if checks is None else list(checks)
    unknown = [c for c in selected if c not in CHECKS]
    if unknown:
        raise ValueError(f"unknown check(s) {unknown} in checks; available: {list(CHECKS)}")
    if weight_decay:
        extra = _weight_decay_term(float(weight_decay))
        user = regularizer
        regularizer = extra if user is None else (lambda m: user(m) + extra(m))

    # Checks only ever touch deep copies of the model; reading the data advances the global RNGs and a loader's
    # own generator, which are put back on exit.
    with borrowed(None, generators=loader_generators(data)):
        torch.manual_seed(seed)
        device = next((p.device for p in model.parameters()), None)
        inputs, target = _collect(data, batch_fn, device)
        task = task or _infer_task(loss_fn, target)
        ctx = PreflightContext(model, loss_fn, inputs, target, task=task, num_classes=num_classes,
                               regularizer=regularizer, overfit_samples=overfit_samples,
                               overfit_steps=overfit_steps, overfit_lr=float(overfit_lr), seed=seed)
        for name in selected:
            check = CHECKS[name]
            labels = ctx.results.get("labels")
            if check.needs_labels and labels is not None and labels.verdict == "fail":
                result = check.result("skip", "skipped: the labels check failed")
            else:
                torch.manual_seed(seed)
                try:
                    result = check.run(ctx)
                except Exception as exc:  # noqa: BLE001 - a crash in the user's code is a finding, not our error
                    result = check.result("fail", f"raised {type(exc).__name__}: {exc}",
                                          "fix the error above; it happens before training starts",
                                          exception=repr(exc))
            ctx.results[name] = result
    classes = ctx.results["labels"].evidence.get("num_classes") if "labels" in ctx.results else num_classes
    return PreflightReport(tuple(ctx.results.values()), task, classes if task == "classification" else None)
