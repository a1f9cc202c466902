"""The training loop: `fit` and the callback events other tools plug into.

The loop is small and explicit. Events, in order::

    fit_start
      epoch_start
        batch_start -> after_backward (every micro-batch) -> before_step -> after_step (every update) -> batch_end
      validation_start -> validation_end
      epoch_end
    fit_end            (or fit_error, with the exception, when fit raises)

Every callback receives the same :class:`TrainState`; a callback stops training with
``state.request_stop(reason)``. People with their own loop use the tools directly (a ``Scheduler``, the
``Monitor``, ``find_lr``) and never need ``fit``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from trainwise import distributed
from trainwise import schedules as sched_lib
from trainwise.baselines import TargetSample, constant_loss
from trainwise.batches import batch_size, forward, model_device, split_batch, to_device
from trainwise.experiments import DIRECTIONS, metric_direction
from trainwise.history import EpochRecord, History
from trainwise.optimizers import make_optimizer
from trainwise.schedule_specs import from_spec

__all__ = [
    "Callback", "TrainState", "PlateauDecay", "NonFiniteLossError", "TrainingDivergedWarning", "AutoLRWarning", "fit",
    "fit_experiment", "evaluate",
]


class NonFiniteLossError(FloatingPointError):
    """Raised by ``fit(..., on_nonfinite="raise")`` when a loss is NaN or infinite."""


class TrainingDivergedWarning(RuntimeWarning):
    """Emitted when ``fit`` stops because the loss became NaN or infinite."""


class AutoLRWarning(UserWarning):
    """``fit(lr="auto")`` read its LR with the fallback rule: the range test showed no clear descent."""


class Callback:
    """Base class: override the events you need. Each receives the :class:`TrainState`."""

    def on_fit_start(self, state: TrainState) -> None: ...
    def on_epoch_start(self, state: TrainState) -> None: ...
    def on_batch_start(self, state: TrainState) -> None: ...
    def on_after_backward(self, state: TrainState) -> None: ...
    def on_before_step(self, state: TrainState) -> None: ...
    def on_after_step(self, state: TrainState) -> None: ...
    def on_batch_end(self, state: TrainState) -> None: ...
    def on_validation_start(self, state: TrainState) -> None: ...
    def on_validation_end(self, state: TrainState) -> None: ...
    def on_epoch_end(self, state: TrainState) -> None: ...
    def on_fit_end(self, state: TrainState) -> None: ...
    def on_fit_error(self, state: TrainState, error: BaseException) -> None:
        """Called instead of ``on_fit_end`` when ``fit`` raises (``error`` is re-raised after): release hooks here."""


@dataclass
class TrainState:
    """What the loop knows at the current event. ``step`` counts optimizer updates already applied."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    loss_fn: Callable[..., torch.Tensor]
    history: History
    scheduler: Any = None
    torch_scheduler: Any = None
    device: torch.device | None = None
    epoch: int = 0
    step: int = 0
    batch_index: int = 0
    inputs: Any = None
    target: Any = None
    outputs: Any = None
    loss: torch.Tensor | None = None
    val_outputs: torch.Tensor | None = None
    val_targets: torch.Tensor | None = None
    should_stop: bool = False
    stop_reason: str = ""
    stop_status: str = "stopped"
    extras: dict[str, Any] = field(default_factory=dict)

    def request_stop(self, reason: str, *, status: str = "stopped") -> None:
        """Ask the loop to stop after the current batch; ``reason`` ends up in ``history.stop_reason``."""
        self.should_stop, self.stop_reason, self.stop_status = True, reason, status


class PlateauDecay(Callback):
    """Decay a hyperparameter when the validation record stops improving (seed 002), inside ``fit``.

    The decision is made by a :class:`~trainwise.schedules.ReduceOnPlateau` controller (built from ``options``
    when none is given) once per validation; its multiplier is applied on top of the run's schedule, or on top
    of the constant LR when the run has none. ``monitor`` is ``"val_loss"`` or ``"val_metric"``; for the metric,
    a controller built here takes its mode from the metric's direction.

    >>> PlateauDecay(factor=0.5, patience=2).options
    {'factor': 0.5, 'patience': 2}
    """

    def __init__(self, controller: Any = None, *, monitor: str = "val_loss", hparam: str = "lr", **options: Any):
        if monitor not in ("val_loss", "val_metric"):
            raise ValueError(f"monitor must be 'val_loss' or 'val_metric', got monitor={monitor!r}")
        if controller is not None and options:
            raise ValueError(f"pass either a controller or its options, not both (got options {sorted(options)})")
        if controller is None:
            sched_lib.ReduceOnPlateau(**options)  # validate the options now, not at the first epoch
        self.monitor, self.hparam, self.options = monitor, hparam, options
        self.controller = controller
        self.scales: list[float] = []

    def on_fit_start(self, state: TrainState) -> None:
        if state.torch_scheduler is not None:
            raise ValueError("PlateauDecay cannot drive a torch LRScheduler; give fit a trainwise schedule instead")
        if self.controller is None:
            if self.monitor == "val_metric":
                warn_if_direction_assumed(state, "PlateauDecay(monitor='val_metric')")
            mode = "max" if self.monitor == "val_metric" and state.history.metric_direction == "max" else "min"
            self.controller = sched_lib.ReduceOnPlateau(**{"mode": mode, **self.options})
        if state.scheduler is None:
            # No schedule: hold each group's value exactly constant so the multiplier has a base to scale.
            constants = [sched_lib.constant(float(group[self.hparam])) for group in state.optimizer.param_groups]
            state.scheduler = sched_lib.Scheduler(state.optimizer, {self.hparam: constants}, step=state.step)

    def on_validation_end(self, state: TrainState) -> None:
        value = getattr(state.history.epochs[-1], self.monitor)
        if value is None:
            raise ValueError(f"PlateauDecay(monitor={self.monitor!r}) needs that value, but the run does not record it")
        scale = self.controller.update(value)
        self.scales.append(scale)
        state.scheduler.multiply(self.hparam, scale)
        # the record says a controller cut the value in answer to the run (the doctor reads a schedule that takes
        # the LR to nothing early differently from one that reacts to a stalled validation loss)
        state.history.extras.setdefault("plateau_decay", {"hparam": self.hparam, "scales": []})["scales"].append(scale)


def fit(
    model: torch.nn.Module,
    loss_fn: Callable[..., torch.Tensor],
    train_loader: Iterable[Any],
    *,
    val_loader: Iterable[Any] | None = None,
    epochs: int,
    optimizer: str | torch.optim.Optimizer = "adamw",
    lr: float | str = 1e-3,
    schedule: Any = None,
    callbacks: Sequence[Callback] = (),
    seed: int | None = None,
    metric: Any = None,
    batch_fn: Callable[[Any], tuple[Any, Any]] | None = None,
    optimizer_options: Mapping[str, Any] | None = None,
    accumulation_steps: int = 1,
    clip_grad_norm: float | None = None,
    device: str | torch.device | None = None,
    amp: bool = False,
    on_nonfinite: str = "stop",
) -> History:
    """Train ``model`` and return its :class:`History`.

    Args:
        optimizer: a name (``sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw``) built with ``lr`` and
            ``optimizer_options``, or a ``torch.optim.Optimizer`` you built (its own LRs are then kept unless a
            schedule overrides them).
        schedule: ``None`` (constant ``lr``); a spec string such as ``"onecycle"``, ``"sgdr"``,
            ``"cosine:warmup_steps=100"`` (see :func:`trainwise.schedules.from_spec`; ``lr`` is its peak);
            a :class:`~trainwise.schedules.Schedule` for the LR; a mapping ``{"lr": ..., "momentum": ...}``;
            or a ``torch.optim.lr_scheduler`` instance (stepped once per update).
        metric: ``metric(outputs, targets) -> float`` over a whole set, or an object with ``name``, ``fn``,
            ``direction`` (e.g. a :class:`~trainwise.Metric`, an experiment's metric). The training metric is the
            sample-weighted mean of the per-batch values; the validation metric is computed once on all validation
            outputs. Which way is better (``history.metric_direction``, followed by ``EarlyStopping`` and
            ``PlateauDecay`` on ``"val_metric"``) is the metric's ``direction`` (or torchmetrics'
            ``higher_is_better``); failing that, read from the function's name (``accuracy``, ``f1``, ``r2_score``
            are maximized, ``mae``, ``*_error``, ``*_loss`` minimized); failing that, minimized, with a warning
            from the callbacks that follow it. ``history.config["metric_direction_from"]`` says which:
            ``"given"``, ``"name"`` or ``"assumed"``.
        lr: the learning rate (the peak of a spec schedule), or ``"auto"``: an LR range test
            (:func:`trainwise.find_lr`, which restores everything it touches) picks it, and with no ``schedule``
            the run uses one-cycle peaking at that LR (with a spec string, the spec is built around it). The test
            is sized to the training: ``clamp(round(0.15 * epochs * steps_per_epoch), 40, 100)`` steps from
            ``1e-5`` to ``10``, reading the loss on one fixed training batch (never the validation data), and
            its LR is the middle of three readings of that curve (``robust``, ``valley``, ``first_rise``): it
            adds up to about a fifth of the training's time (7-23% on the benchmark's 230-1,690-step trainings),
            more below ~270 training steps where the 40-step floor applies. The range test's result is in
            ``history.extras["lr_finder"]``; ``history.config`` has ``lr`` (the peak used, which is the
            suggestion), ``lr_source="auto"``, ``range_test_s`` and ``range_test_steps``, and the test's time is
            part of ``history.elapsed_s``. When that test finds no LR, ``find_lr``'s full default range is swept
            too; if that finds none either (the loss did not fall measurably during the test), ``ValueError``
            is raised with both notes rather than guessing.
        seed: seeds python, numpy and torch before training so the run (data order, dropout) is repeatable.
        on_nonfinite: what a NaN/Inf loss does: ``"stop"`` (default) stops before applying that update, warns
            with the step and the last LR and marks the history ``diverged``; ``"raise"`` raises
            :class:`NonFiniteLossError` with the same message.

    Losses are expected to be means over the batch (``reduction="mean"``); NaN/Inf losses never reach the
    weights. With ``accumulation_steps=n`` each update averages ``n`` micro-batches. After the first validation
    pass ``history.extras["constant_loss"]`` is the validation loss of the best constant prediction (the class
    prior, the mean target: :func:`trainwise.baselines.constant_loss`), the doctor's yardstick for a poor fit;
    ``history.extras["constant_loss_train"]`` is the same on the first 10,000 training targets (the yardstick for
    the training loss, and the one that shows validation targets a constant fits: one class, one value).

    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> x = torch.randn(64, 3); y = x @ torch.tensor([1.0, -2.0, 0.5])
    >>> data = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
    >>> model = torch.nn.Linear(3, 1)
    >>> h = fit(model, lambda out, t: ((out.squeeze(1) - t) ** 2).mean(), data, epochs=30, lr=0.1, seed=0)
    >>> h.status, h.steps, h.train_loss[-1] < 0.01 * h.train_loss[0]
    ('completed', 120, True)
    """
    _check_fit_args(model, loss_fn, epochs, accumulation_steps, clip_grad_norm, on_nonfinite, callbacks)
    if seed is not None:
        _seed_everything(seed)
    device = torch.device(device) if device is not None else model_device(model)
    model.to(device)
    if amp and device.type != "cuda":
        raise ValueError(f"amp=True needs a CUDA device, got device={device}")

    started = time.perf_counter()
    auto = isinstance(lr, str)
    if auto and lr != "auto":
        raise ValueError(f"lr must be a number or 'auto', got lr={lr!r}")
    opt = make_optimizer(optimizer, model.parameters(), lr=_AUTO_START if auto else lr, **dict(optimizer_options or {}))
    steps_per_epoch = _steps_per_epoch(train_loader, accumulation_steps)
    finder = None
    if auto:
        total_steps = None if steps_per_epoch is None else epochs * steps_per_epoch
        lr, schedule, finder, test_s, test_steps = _auto_lr(
            model, opt, loss_fn, train_loader, schedule, batch_fn, device, accumulation_steps, total_steps
        )
    scheduler, torch_scheduler = _build_scheduler(schedule, opt, lr, epochs, steps_per_epoch)
    metric_name, metric_fn, direction, direction_from = _unpack_metric(metric)

    history = History(
        metric_name=metric_name,
        metric_direction=direction,
        steps_per_epoch=steps_per_epoch,
        config={
            "optimizer": optimizer if isinstance(optimizer, str) else type(optimizer).__name__,
            "lr": lr,
            "epochs": epochs,
            "seed": seed,
            "accumulation_steps": accumulation_steps,
            "schedule": _describe_schedule(schedule, scheduler),
            "metric_direction_from": direction_from,
        },
    )
    if finder is not None:
        history.config.update(lr_source="auto", range_test_s=test_s, range_test_steps=test_steps)
        history.extras["lr_finder"] = finder.to_dict()
    state = TrainState(
        model=model, optimizer=opt, loss_fn=loss_fn, history=history,
        scheduler=scheduler, torch_scheduler=torch_scheduler, device=device,
    )
    scaler = torch.amp.GradScaler("cuda") if amp else None

    def emit(event: str) -> None:
        for cb in callbacks:
            getattr(cb, event)(state)

    targets_seen = TargetSample()  # the training targets' yardstick, fitted once training is over
    emit("on_fit_start")
    try:
        for epoch in range(epochs):
            state.epoch = epoch
            epoch_started = time.perf_counter()
            model.train()
            emit("on_epoch_start")
            totals = _EpochTotals()
            micro = 0
            step_loss_sum = 0.0
            for state.batch_index, batch in enumerate(train_loader):
                inputs, target = split_batch(batch, batch_fn)
                state.inputs, state.target = to_device(inputs, device), to_device(target, device)
                emit("on_batch_start")
                with torch.autocast(device_type=device.type, enabled=amp):
                    state.outputs = forward(model, state.inputs)
                    state.loss = loss_fn(state.outputs, state.target)
                targets_seen.add(state.outputs, state.target)
                loss_value = float(state.loss.detach())
                if not distributed.all_finite(loss_value):  # every process stops together (DDP would hang)
                    what = f"non-finite loss ({loss_value})" if not math.isfinite(loss_value) else (
                        "non-finite loss on another process of the distributed run")
                    message = (
                        f"{what} at step {state.step} (epoch {epoch}, batch "
                        f"{state.batch_index}); last lr={opt.param_groups[0]['lr']:.4g}. Training stopped before "
                        "this update, so the weights are those of the previous step. Lower the learning rate "
                        "(trainwise find-lr) or clip gradients."
                    )
                    if on_nonfinite == "raise":
                        raise NonFiniteLossError(message)
                    warnings.warn(message, TrainingDivergedWarning, stacklevel=2)
                    opt.zero_grad(set_to_none=True)
                    state.request_stop(message, status="diverged")
                    break
                scaled = state.loss / accumulation_steps
                (scaler.scale(scaled) if scaler else scaled).backward()
                emit("on_after_backward")
                n = batch_size(state.target)
                totals.add(loss_value, n, _batch_metric(metric_fn, state.outputs, state.target))
                step_loss_sum += loss_value
                micro += 1
                if micro == accumulation_steps:
                    _update(state, scaler, clip_grad_norm, emit, step_loss_sum / micro)
                    micro, step_loss_sum = 0, 0.0
                emit("on_batch_end")
                if state.should_stop:
                    break
            if micro and not state.should_stop:  # a trailing partial accumulation still counts as an update
                _update(state, scaler, clip_grad_norm, emit, step_loss_sum / micro)
            if totals.count == 0:
                if state.stop_status == "diverged":
                    break
                hint = " (a generator or iterator is used up after one pass: give a list or a DataLoader)" if epoch else ""
                raise ValueError(f"train_loader is empty: it yielded no batches in epoch {epoch}{hint}")
            record = EpochRecord(epoch=epoch, steps=state.step, train_loss=totals.loss(), train_metric=totals.metric())
            if val_loader is not None and state.stop_status != "diverged":
                emit("on_validation_start")
                record.val_loss, record.val_metric, state.val_outputs, state.val_targets = evaluate(
                    model, loss_fn, val_loader, metric=metric_fn, batch_fn=batch_fn, device=device
                )
                model.train()
                if "constant_loss" not in history.extras and state.val_outputs is not None:
                    history.extras["constant_loss"] = constant_loss(loss_fn, state.val_outputs, state.val_targets)
            record.seconds = time.perf_counter() - epoch_started
            history.epochs.append(record)
            if val_loader is not None and state.stop_status != "diverged":
                emit("on_validation_end")
            emit("on_epoch_end")
            if state.should_stop:
                break
    except KeyboardInterrupt:
        state.request_stop(f"interrupted by the user at step {state.step}", status="interrupted")
        warnings.warn(state.stop_reason, RuntimeWarning, stacklevel=2)
    except BaseException as error:  # let callbacks release what they hold (hooks on the model), then re-raise
        for cb in callbacks:
            cb.on_fit_error(state, error)
        raise
    finally:
        history.elapsed_s = time.perf_counter() - started
    if state.should_stop:
        history.status, history.stop_reason = state.stop_status, state.stop_reason
    else:
        history.status, history.stop_reason = "completed", f"completed {epochs} epochs"
    train_constant = targets_seen.constant_loss(loss_fn)
    if train_constant is not None:
        history.extras["constant_loss_train"] = train_constant
    emit("on_fit_end")
    return history


def fit_experiment(
    experiment: Any,
    *,
    seed: int = 0,
    epochs: int | None = None,
    lr: float | str | None = None,
    optimizer: str | None = None,
    batch_size: int | None = None,
    schedule: Any = None,
    callbacks: Sequence[Callback] = (),
) -> History:
    """:func:`fit` on an :class:`~trainwise.experiments.Experiment`: its model (seeded), loss, loaders and metric,
    with its defaults for every option left ``None``. ``history.config`` also gets the experiment's name, task and
    number of classes, which the doctor reads (the first loss against ``ln(C)``)."""
    train_loader, val_loader = experiment.loaders(batch_size=batch_size, seed=seed)
    history = fit(
        experiment.make_model(seed), experiment.loss_fn, train_loader, val_loader=val_loader,
        epochs=epochs or experiment.epochs, optimizer=optimizer or experiment.optimizer, lr=lr or experiment.lr,
        schedule=schedule, metric=experiment.metric, seed=seed, callbacks=callbacks,
    )
    history.config.update(experiment=experiment.name, task=experiment.task, num_classes=experiment.num_classes)
    return history


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    loss_fn: Callable[..., torch.Tensor],
    loader: Iterable[Any],
    *,
    metric: Callable[[torch.Tensor, torch.Tensor], float] | None = None,
    batch_fn: Callable[[Any], tuple[Any, Any]] | None = None,
    device: str | torch.device | None = None,
) -> tuple[float, float | None, torch.Tensor | None, torch.Tensor | None]:
    """Mean loss (sample-weighted over batches) and metric of ``model`` on ``loader``, in eval mode.

    Returns ``(loss, metric, outputs, targets)``; outputs and targets are concatenated on the CPU when they are
    tensors (``None`` otherwise). The model is left in eval mode; ``fit`` switches it back.
    """
    model.eval()
    device = torch.device(device) if device is not None else model_device(model)
    total, count = 0.0, 0
    outs: list[torch.Tensor] = []
    tgts: list[torch.Tensor] = []
    for batch in loader:
        inputs, target = split_batch(batch, batch_fn)
        inputs, target = to_device(inputs, device), to_device(target, device)
        out = forward(model, inputs)
        n = batch_size(target)
        total += float(loss_fn(out, target)) * n
        count += n
        if isinstance(out, torch.Tensor) and isinstance(target, torch.Tensor):
            outs.append(out.detach().float().cpu())
            tgts.append(target.detach().cpu())
    if count == 0:
        raise ValueError("the validation loader yielded no batches")
    outputs = torch.cat(outs) if outs else None
    targets = torch.cat(tgts) if tgts else None
    value = float(metric(outputs, targets)) if metric is not None and outputs is not None else None
    return total / count, value, outputs, targets


# -- pieces of the loop --------------------------------------------------------------------------------------


def _update(state, scaler, clip_grad_norm, emit, step_loss) -> None:
    """Apply one optimizer update and record what it used."""
    opt = state.optimizer
    if scaler is not None:
        scaler.unscale_(opt)
    emit("on_before_step")
    if clip_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(state.model.parameters(), clip_grad_norm)
    history = state.history
    for name, value in _applied_hparams(opt, state.scheduler).items():
        history.hparams.setdefault(name, []).append(value)
    history.losses.append(step_loss)
    if scaler is not None:
        scaler.step(opt)
        scaler.update()
    else:
        opt.step()
    opt.zero_grad(set_to_none=True)
    state.step += 1
    if state.scheduler is not None:
        state.scheduler.step()
    if state.torch_scheduler is not None:
        state.torch_scheduler.step()
    emit("on_after_step")


_AUTO_START = 1e-3  # the LR the optimizer is built with before the range test replaces it
# lr="auto"'s range test, chosen on seeds 0-1 of benchmarks/bench_lr_suggestions.py and checked on held-out seeds
# 2-3 (numbers, reasons and the held-out miss, co2 seed 2 with no LR, in benchmarks/results/lr_suggestions.md):
_AUTO_SWEEP = (1e-5, 10.0)  # below 1e-5 the loss of a normalised net barely moves; if it does, see the fallback
_AUTO_BUDGET = 0.15  # sweep steps per training step; a sweep step also evaluates one batch (~1.35 steps' time)
_AUTO_STEPS = (40, 100)  # fewer points cannot show a descent; 100 is find_lr's default
_AUTO_MIN_DROP = 0.01  # robust's relative-drop floor: the fixed-batch curve has no sampling noise to guard against
# The moving average spans a fixed share of the sweep, ~num_steps/8 points (beta = 1 - 8/num_steps: 0.8 at 40
# steps, 0.92 at 100), so its lag is the same fraction of the LR range at every length. find_lr's 0.98 (a window of
# 50 points, for 100 steps of noisy per-batch losses) made a 40-step curve one long average: on the co2 LSTM it
# blended the erratic stretch past the optimum (where each step's loss jumps up and down) into the descent and
# moved the pick right: 0.003-0.34 over 16 inits around an optimum of 0.005-0.015 (expected metric 3.7% worse than
# the best LR's; 1.3% with this window, 0.6% with the vote below on seeds never looked at: BENCHMARKS.md).
_AUTO_SMOOTH_POINTS = 8


def _auto_lr(model, opt, loss_fn, train_loader, schedule, batch_fn, device, accumulation_steps, total_steps):
    """``lr="auto"``: run the range test, set the suggested LR on every group (keeping their ratios) and pick the
    schedule: one-cycle peaking at the suggestion unless the user named a spec.

    The test is :func:`~trainwise.lr_finder.find_lr` with four changes to its defaults, for cost and noise:

    * its length is ``clamp(round(0.15 * total_steps), 40, 100)`` steps (``total_steps`` = the training's updates;
      100 when the loader has no length), from ``1e-5`` to ``10``: a bounded fraction of the training it precedes,
      without the two flat decades below ``1e-5`` (a quarter of the default sweep);
    * the curve is the loss on one fixed training batch after each step (``find_lr``'s ``val_loader`` mode fed with
      ``train_loader``, ``val_batches=1``), not each step's own batch: the batch-to-batch spread of the training
      loss (+-15-20% on the co2 benchmark, as large as the whole descent) is gone, and a short sweep could not
      average it away. The validation data is not looked at, so it stays an honest check of the LR picked;
    * ``robust`` is read with ``min_drop=0.01`` instead of 5%; its 3x-noise test still applies;
    * the curve is smoothed over ~1/8 of the sweep (:func:`auto_smooth_beta`: beta 0.8 at 40 steps, 0.92 at
      100) instead of ``find_lr``'s fixed 0.98, whose 50-point window is longer than a short sweep.

    The suggestion is then the middle of three readings of that curve (:func:`_vote`): ``robust``, ``valley``
    and :func:`~trainwise.suggest.first_rise` on the raw losses; ``result.method`` says so and
    ``result.suggestions`` holds each reading.

    When ``robust`` sees no descent (a curve that hardly falls before it turns up: an LSTM on a short sweep), the
    same curve is read with :func:`~trainwise.suggest.edge` (the LR just left of where the loss turns up, seed
    003's rule) and an :class:`AutoLRWarning` says so. If neither answers (e.g. a loss that diverges already at
    ``1e-5``), ``find_lr``'s full default sweep (``1e-7`` to ``10``, 100 steps, read the same two ways) is run
    before giving up with ``ValueError``. The peak of one-cycle is the suggestion itself: on the
    benchmark the grid-best peak over the suggestion had no common factor.

    Returns ``(lr, schedule, result, seconds, steps)``: ``result`` is the test whose suggestion is used; seconds and
    steps count every test run.
    """
    # imported here: the range test builds on fit's pieces, not the other way round
    from trainwise.lr_finder import find_lr

    if schedule is not None and not isinstance(schedule, str):
        raise ValueError(
            "lr='auto' chooses the LR for a spec schedule (a string such as 'onecycle') or for no schedule; "
            f"a {type(schedule).__name__} carries its own values: pass lr=... yourself"
        )
    method = _auto_method()
    low, high = _AUTO_STEPS
    num_steps = high if total_steps is None else min(high, max(low, round(_AUTO_BUDGET * total_steps)))
    common = {"method": method, "batch_fn": batch_fn, "device": device, "accumulation_steps": accumulation_steps,
              "val_loader": train_loader, "val_batches": 1}  # fmt: skip
    result = _read_edge_if_no_descent(_vote(find_lr(model, opt, loss_fn, train_loader, start_lr=_AUTO_SWEEP[0],
                                                    end_lr=_AUTO_SWEEP[1], num_steps=num_steps,
                                                    smooth_beta=auto_smooth_beta(num_steps), **common)))  # fmt: skip
    seconds, steps, notes = result.elapsed_s, result.steps_run, [result.note or result.stop_reason]
    if result.suggestion is None:  # sweep the whole default range before refusing
        result = _read_edge_if_no_descent(_vote(find_lr(model, opt, loss_fn, train_loader,
                                                        smooth_beta=auto_smooth_beta(100), **common)))  # fmt: skip
        seconds, steps = seconds + result.elapsed_s, steps + result.steps_run
        notes.append(f"then from {result.start_lr:g}: {result.note or result.stop_reason}")
    if result.method == "edge":
        warnings.warn(
            f"lr='auto': the range test's loss hardly fell before it turned up ({result.note}); the LR is read "
            f"just left of where it turns up instead: {result.suggestion:.3g}",
            AutoLRWarning, stacklevel=3,
        )  # fmt: skip
    if result.suggestion is None:
        raise ValueError(
            f"lr='auto': the range test found no learning rate where the loss falls ({'; '.join(notes)}); "
            "pass lr=... yourself"
        )
    for group, value in zip(opt.param_groups, result.group_lrs()):
        group["lr"] = value
    # find_lr calls a curve read on held-aside batches "val"; here the batch is a training batch, and says so
    result = dataclasses.replace(result, loss_kind="train_fixed_batch")
    return result.suggestion, schedule if schedule is not None else "onecycle", result, seconds, steps


AUTO_VOTE = "median of robust, valley, first_rise"


def _vote(result: Any) -> Any:
    """The range test's curve read three ways, and the middle reading (geometric median) taken.

    ``robust`` (two thirds through the steady descent of the smoothed curve), ``valley`` (two thirds along its
    longest descending stretch) and ``first_rise`` (where the raw fixed-batch loss first climbs back: the end of
    the clean descent, seed 003's rule) each go wrong on some curves — ``robust`` reads a dip in the erratic
    stretch past the optimum as part of the descent, ``first_rise`` stops at a bump that Adam's first large steps
    make on a loss that then falls further, ``valley`` lands low on a long shallow descent — and rarely together.
    On benchmarks/bench_lr_expected.py's workloads the middle reading keeps each one's expected metric within
    0.6% of its best LR's (co2 LSTM, digits CNN, diamonds MLP, on inits never looked at while designing it), where
    ``robust`` alone was 1.3% off on co2.
    With two readings, their geometric mean. Without ``robust`` (no descent) the result is left as it is.
    """
    if result.suggestion is None:
        return result
    from trainwise.suggest import first_rise

    readings = {"robust": result.suggestion, "valley": result.suggestions.get("valley"),
                "first_rise": first_rise(result.lrs, result.losses)}  # fmt: skip
    values = [v for v in readings.values() if v is not None]
    chosen = float(np.exp(np.median(np.log(values))))
    return dataclasses.replace(result, suggestion=chosen, method=AUTO_VOTE,
                               suggestions={**result.suggestions, "first_rise": readings["first_rise"],
                                            AUTO_VOTE: chosen})  # fmt: skip


def auto_smooth_beta(num_steps: int) -> float:
    """``lr="auto"``'s smoothing for a sweep of ``num_steps``: a moving average over ~1/8 of its points.

    >>> auto_smooth_beta(40), auto_smooth_beta(100)
    (0.8, 0.92)
    """
    if not isinstance(num_steps, int) or num_steps < 2:
        raise ValueError(f"num_steps must be an int >= 2, got num_steps={num_steps!r}")
    return round(max(0.0, 1.0 - _AUTO_SMOOTH_POINTS / num_steps), 6)


def _read_edge_if_no_descent(result: Any) -> Any:
    """``result`` itself, or — when its suggester saw no descent — the same losses read with ``edge``.

    ``edge`` reads them smoothed as ``find_lr`` does by default (beta 0.98, what it was designed on), and the
    result then carries that curve: lightly smoothed, a curve that never fell is all noise, and a sweep's last
    exploding points widen the span that ``edge``'s threshold is a share of."""
    if result.suggestion is not None:
        return result
    from trainwise.lr_finder import smooth
    from trainwise.suggest import SUGGESTERS, edge

    smoothed = smooth(result.losses)
    value = edge(result.lrs, smoothed)
    if value is None:
        return result
    # every reading the result lists is re-read on the curve it now carries
    readings = {name: (SUGGESTERS[name] if name in SUGGESTERS else _auto_method())(result.lrs, smoothed)
                for name in result.suggestions}  # fmt: skip
    return dataclasses.replace(result, suggestion=value, method="edge", smoothed=smoothed, smooth_beta=0.98,
                               suggestions={**readings, "edge": value})  # fmt: skip


def _auto_method() -> Any:
    """``robust`` as ``lr="auto"`` reads it: a 1% drop is enough on a fixed-batch curve."""
    from trainwise.suggest import robust

    method = functools.partial(robust, min_drop=_AUTO_MIN_DROP)
    method.__name__ = f"robust(min_drop={_AUTO_MIN_DROP})"
    return method


def _applied_hparams(opt: torch.optim.Optimizer, scheduler: Any) -> dict[str, float]:
    """The first group's LR, its momentum (or Adam's beta1) and whatever else the schedule drives."""
    group = opt.param_groups[0]
    values = {"lr": float(group["lr"])}
    if "momentum" in group:
        values["momentum"] = float(group["momentum"])
    elif "betas" in group:
        values["momentum"] = float(group["betas"][0])
    if scheduler is not None:
        for name, per_group in scheduler.current().items():
            values.setdefault(name, float(per_group[0]))
    return values


class _EpochTotals:
    def __init__(self) -> None:
        self.loss_sum = self.metric_sum = 0.0
        self.count = self.metric_count = 0

    def add(self, loss: float, n: int, metric: float | None) -> None:
        self.loss_sum += loss * n
        self.count += n
        if metric is not None:
            self.metric_sum += metric * n
            self.metric_count += n

    def loss(self) -> float:
        return self.loss_sum / self.count if self.count else float("nan")

    def metric(self) -> float | None:
        return self.metric_sum / self.metric_count if self.metric_count else None


def _batch_metric(metric_fn, outputs, target) -> float | None:
    if metric_fn is None or not isinstance(outputs, torch.Tensor):
        return None
    with torch.no_grad():
        return float(metric_fn(outputs.detach().float(), target))


def _build_scheduler(schedule, opt, lr, epochs, steps_per_epoch):
    """Return ``(trainwise Scheduler or None, torch LRScheduler or None)`` for ``schedule``."""
    if schedule is None:
        return None, None
    if isinstance(schedule, torch.optim.lr_scheduler.LRScheduler):
        if schedule.optimizer is not opt:
            raise ValueError(
                "schedule is a torch scheduler bound to another optimizer; pass the optimizer it was built on "
                "as optimizer=..."
            )
        return None, schedule
    if isinstance(schedule, str):
        if steps_per_epoch is None:
            raise ValueError(f"schedule={schedule!r} needs the number of steps, but train_loader has no len()")
        schedule = from_spec(
            schedule, total_steps=epochs * steps_per_epoch, value=lr, steps_per_epoch=steps_per_epoch
        )
    elif isinstance(schedule, sched_lib.Schedule):
        schedule = {"lr": schedule}
    elif not isinstance(schedule, Mapping):
        raise TypeError(
            "schedule must be None, a spec string, a trainwise Schedule, a mapping of hyperparameter to Schedule "
            f"or a torch LRScheduler; got {type(schedule).__name__}"
        )
    schedule = _drop_momentum_if_absent(dict(schedule), opt)
    return sched_lib.Scheduler(opt, schedule), None


def _drop_momentum_if_absent(schedule: dict[str, Any], opt: torch.optim.Optimizer) -> dict[str, Any]:
    # One-cycle cycles momentum too; on an optimizer without momentum (plain SGD, Adagrad) cycling it would
    # silently turn it into another optimizer, so that part of the policy is left out.
    group = opt.param_groups[0]
    has_momentum = "betas" in group or group.get("momentum", 0) > 0
    if "momentum" in schedule and not has_momentum:
        schedule.pop("momentum")
    return schedule


def _describe_schedule(schedule: Any, scheduler: Any) -> Any:
    if schedule is None:
        return None
    if isinstance(schedule, str):
        return schedule
    if scheduler is not None:
        return {name: s.describe() for name, s in scheduler.schedules.items() if hasattr(s, "describe")}
    return type(schedule).__name__


def _unpack_metric(metric: Any) -> tuple[str | None, Callable | None, str, str]:
    """``(name, fn, direction, how)``: how the direction was learned — ``"given"`` (a :class:`Metric`'s or the
    callable's ``direction``, or torchmetrics' ``higher_is_better``), ``"name"`` (read from the name's words) or
    ``"assumed"`` (nothing said: minimized, and the callbacks that follow the direction warn)."""
    if metric is None:
        return None, None, "min", "given"
    owners = [metric]  # where a direction may be written: the object, and a partial's function
    if hasattr(metric, "fn") and hasattr(metric, "name"):
        name, fn = str(metric.name), metric.fn
        if getattr(metric, "direction_from", "given") in ("name", "assumed"):  # a Metric that read its name
            return name, fn, metric.direction, metric.direction_from
    elif callable(metric):
        if isinstance(metric, functools.partial):
            owners.append(metric.func)
        name, fn = getattr(owners[-1], "__name__", None) or type(owners[-1]).__name__, metric
    else:
        raise TypeError(f"metric must be callable or have .name and .fn, got {type(metric).__name__}")
    direction = next((d for d in (getattr(o, "direction", None) for o in owners) if d is not None), None)
    better = next((b for b in (getattr(o, "higher_is_better", None) for o in owners) if isinstance(b, bool)), None)
    if direction is None and better is not None:
        direction = "max" if better else "min"
    if direction is not None:
        if direction not in DIRECTIONS:
            raise ValueError(f"metric.direction must be 'min' or 'max', got direction={direction!r}")
        return name, fn, direction, "given"
    read = metric_direction(name)
    return name, fn, read or "min", "name" if read else "assumed"


def warn_if_direction_assumed(state: TrainState, who: str) -> None:
    """Warn that ``who`` follows a metric direction nobody gave (fit recorded ``metric_direction_from``)."""
    if state.history.config.get("metric_direction_from") == "assumed":
        warnings.warn(
            f"{who} follows the metric's direction, but metric {state.history.metric_name!r} did not say which way "
            "is better and its name does not either: it is minimized. Pass trainwise.Metric(name, fn, 'max') "
            "(or set fn.direction = 'max') if larger is better",
            UserWarning, stacklevel=2,
        )  # fmt: skip


def _steps_per_epoch(loader: Iterable[Any], accumulation_steps: int) -> int | None:
    try:
        n = len(loader)  # type: ignore[arg-type]
    except TypeError:
        return None
    if n == 0:
        raise ValueError("train_loader is empty: it has no batches")
    return math.ceil(n / accumulation_steps)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _check_fit_args(model, loss_fn, epochs, accumulation_steps, clip_grad_norm, on_nonfinite, callbacks) -> None:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got epochs={epochs!r}")
    if not isinstance(accumulation_steps, int) or accumulation_steps < 1:
        raise ValueError(f"accumulation_steps must be an int >= 1, got accumulation_steps={accumulation_steps!r}")
    if clip_grad_norm is not None and not clip_grad_norm > 0:
        raise ValueError(f"clip_grad_norm must be > 0 or None, got clip_grad_norm={clip_grad_norm!r}")
    if on_nonfinite not in ("stop", "raise"):
        raise ValueError(f"on_nonfinite must be 'stop' or 'raise', got on_nonfinite={on_nonfinite!r}")
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be trainwise.Callback instances, got {type(cb).__name__}")
