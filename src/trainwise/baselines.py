"""The loss a model reaches without looking at its inputs: the yardstick for "poor" on any task.

For a classifier the seeds' yardstick is ``ln(C)``, the cross-entropy of a uniform guess; a regression has none
built in (an MSE of 0.4 is good or bad depending on the targets' spread). Both are cases of one quantity: the
loss of the best *constant* prediction — the class prior for cross-entropy, the mean target for squared error,
the median for absolute error. :func:`constant_loss` finds it for any loss function by minimizing the loss over
one constant output (the same for every sample), so a training that ends at half of it has explained half of
what there is to explain, whatever the loss.

>>> import torch
>>> y = torch.tensor([0.0, 1.0, 2.0, 3.0])
>>> round(constant_loss(torch.nn.MSELoss(), torch.zeros(4), y), 4)  # the targets' variance
1.25
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

__all__ = ["constant_loss", "TargetSample"]

MAX_SAMPLES = 10_000  # enough to pin a constant's loss to well under 1%; bounds the cost on big validation sets
MAX_VALUES = 2**22  # target values a TargetSample keeps (32 MB of int64): segmentation maps stop it early


def constant_loss(
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    outputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    max_samples: int = MAX_SAMPLES,
) -> float | None:
    """The lowest value ``loss_fn`` takes when every sample gets the same output.

    ``outputs`` (a model's outputs, used only for their shape and dtype) and ``targets`` are whole sets with the
    samples along dimension 0, e.g. a validation pass. The constant has the shape of one sample's output (one
    value per output, per class and per position of a class map: a model blind to its input can still learn
    where the sky usually is) and is fitted with L-BFGS from a start that is already optimal for the common losses
    (the targets' mean for float targets of the outputs' shape; the log class frequencies for class indices), so
    other losses — absolute error, Huber, binary cross-entropy on logits — get a few steps of refinement. Beyond
    ``max_samples``, evenly spaced samples are used. Returns ``None`` when there is nothing to fit (no samples,
    non-float outputs) or ``loss_fn`` does not give a finite scalar for a constant output (a custom loss with
    needs of its own).
    """
    if not isinstance(outputs, torch.Tensor) or not isinstance(targets, torch.Tensor):
        raise TypeError(
            f"outputs and targets must be tensors, got {type(outputs).__name__} and {type(targets).__name__}"
        )
    if isinstance(max_samples, bool) or not isinstance(max_samples, int) or max_samples < 1:
        raise ValueError(f"max_samples must be a positive int, got max_samples={max_samples!r}")
    if outputs.ndim == 0 or len(outputs) == 0 or len(outputs) != len(targets) or not outputs.is_floating_point():
        return None
    if len(outputs) > max_samples:
        keep = torch.linspace(0, len(outputs) - 1, max_samples).long()
        outputs, targets = outputs[keep], targets[keep]
    outputs = outputs.detach().float()
    targets = targets.detach()
    constant = torch.nn.Parameter(_start(outputs, targets))
    fitter = torch.optim.LBFGS([constant], lr=1.0, max_iter=50, tolerance_grad=1e-9, tolerance_change=1e-12,
                               line_search_fn="strong_wolfe")  # fmt: skip

    def value() -> torch.Tensor:
        loss = loss_fn(constant.expand_as(outputs), targets)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise _NotAScalar
        return loss.reshape(())

    def closure() -> torch.Tensor:
        fitter.zero_grad()
        loss = value()
        if loss.requires_grad:
            loss.backward()
        return loss

    try:
        with torch.enable_grad():
            first = value()
            start = float(first.detach())
            if first.requires_grad:
                fitter.step(closure)
        with torch.no_grad():
            fitted = float(value())
    except (_NotAScalar, RuntimeError, ValueError, TypeError):
        return None
    # L-BFGS never returns a worse point than it was given, but a loss with a kink at the start (absolute error)
    # can leave it there; either way the lower of the two is the constant's loss
    best = min(start, fitted) if math.isfinite(start) and math.isfinite(fitted) else start
    return best if math.isfinite(best) else None


class TargetSample:
    """The targets of the first ``max_samples`` samples given to :meth:`add` (kept on the CPU, at most
    ``max_values`` values in all) and one output's shape: enough to fit the best constant prediction on the
    training set once training is over — ``fit`` keeps one, so the doctor can read the first training loss
    against the training targets, not the validation ones.

    >>> sample = TargetSample(max_samples=3)
    >>> sample.add(torch.zeros(2, 1), torch.tensor([[1.0], [3.0]])); sample.add(torch.zeros(2, 1), torch.tensor([[5.0], [9.0]]))
    >>> sample.count, round(sample.constant_loss(torch.nn.MSELoss()), 4)  # the variance of 1, 3, 5
    (3, 2.6667)
    """

    def __init__(self, max_samples: int = MAX_SAMPLES, max_values: int = MAX_VALUES) -> None:
        for name, value in (("max_samples", max_samples), ("max_values", max_values)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {name}={value!r}")
        self.max_samples, self.max_values = max_samples, max_values
        self.count = 0
        self.values = 0
        self._targets: list[torch.Tensor] = []
        self._template: torch.Tensor | None = None  # one sample's output, for the shape and dtype
        self._full = False  # no room left: every later call returns at once (fit calls this every step)

    def add(self, outputs: Any, targets: Any) -> None:
        if (self._full or not isinstance(outputs, torch.Tensor) or not isinstance(targets, torch.Tensor)
                or outputs.ndim == 0 or len(outputs) != len(targets) or not outputs.is_floating_point()):  # fmt: skip
            return
        if self._template is None:
            self._template = outputs[:1].detach().float().cpu()
        elif outputs.shape[1:] != self._template.shape[1:]:
            return  # outputs of another shape (variable-length sequences): not one constant's task
        per_sample = max(1, targets[:1].numel())  # a class map or an image target is many values per sample
        room = min(self.max_samples - self.count, (self.max_values - self.values) // per_sample)
        if room > 0:
            taken = targets[:room].detach().cpu()
            self._targets.append(taken)
            self.count += len(taken)
            self.values += taken.numel()
        self._full = room <= len(targets)  # this batch filled it (or nothing more of this size fits)

    def constant_loss(self, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> float | None:
        """:func:`constant_loss` on the kept targets; ``None`` with none kept or targets that do not stack."""
        if self._template is None or not self._targets:
            return None
        try:
            targets = torch.cat(self._targets)
        except RuntimeError:
            return None
        return constant_loss(loss_fn, self._template.expand(len(targets), *self._template.shape[1:]), targets)


class _NotAScalar(Exception):
    """``loss_fn`` gave something other than one number for a constant output."""


def _start(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """One sample's output that is already the optimal constant for squared error (the mean target) or
    cross-entropy over dimension 1 (log class frequencies); zeros when the targets say neither."""
    shape = outputs.shape[1:]
    if targets.is_floating_point() and targets.shape == outputs.shape:
        return targets.float().mean(0)
    if not targets.is_floating_point() and not targets.is_complex() and targets.ndim == outputs.ndim - 1 and shape:
        classes = shape[0]
        labels = targets.long().flatten()
        labels = labels[(labels >= 0) & (labels < classes)]  # an ignore_index such as -100 is not a class
        counts = torch.bincount(labels, minlength=classes).float() + 0.5  # no class gets log(0)
        logits = torch.log(counts / counts.sum())
        return logits.reshape(classes, *([1] * (len(shape) - 1))).expand(shape).clone()
    return torch.zeros(shape)
