"""Instruments for a training run: what the gradients, weights and activations did, step by step.

A :class:`Monitor` watches a run and writes plain data (lists of floats, small dicts) into
``history.extras["monitor"]``; :func:`trainwise.diagnose` reads it. It works in two ways that share all
their code:

* inside :func:`trainwise.fit`: ``fit(..., callbacks=[Monitor()])``;
* in your own loop: call :meth:`Monitor.before_step` after ``backward()`` and :meth:`Monitor.after_step`
  after ``optimizer.step()``; :meth:`Monitor.end_epoch` closes an epoch and the record ends up in
  ``monitor.history``.

What is measured, and when (``step`` counts optimizer updates already applied, from 0):

* every step: the global gradient norm ``||g||`` over all parameters (before any clipping) — a NaN or Inf
  there is the cheap test for non-finite gradients. The loss and the hyperparameters the step used (``lr``,
  ``momentum`` or Adam's ``beta1``) are ``History.losses`` and ``History.hparams``; inside ``fit`` they are
  recorded by the loop and not stored twice. ``record["optimizer"]`` names the optimizer's class (Adagrad anneals
  its own steps: the doctor reads its constant LR so).
* on *measured* steps (0, 1, 2, 4, ... below ``every``, then every ``every``-th step): per parameter the
  gradient norm, the weight norm and the update ratio ``||w_after - w_before|| / ||w_before||`` (seed 002's
  rule of thumb wants it near 1e-3); per hooked module the output mean and std, the input std (layers with
  weights), the fraction of exact zeros and of dead units (ReLU family: units whose output is 0 for every
  sample and position of the batch), the fraction of saturated outputs (tanh ``|y| > 0.99``; sigmoid
  ``y < 0.01`` or ``y > 0.99``) and of non-finite outputs.
* the model's inputs (its first floating-point argument, per feature): on measured steps in training, and
  on the first validation pass (``on_validation_start``/``end`` inside ``fit``; :meth:`Monitor.validating`
  in your own loop). When monitoring ends, ``record["inputs"]`` compares them
  (:func:`trainwise.inputs.compare_inputs`): how far the validation inputs' means moved, in training standard
  deviations, how much wider they spread, and how well a classifier tells them apart (cross-validated AUC).
  A model fed only integer ids (an embedding model) has them counted instead, and ``record["tokens"]`` says how
  many validation tokens are ids the training inputs never showed (:func:`trainwise.inputs.compare_tokens`).
* on histogram steps (every ``histogram_every``-th step, from 0): ``np.histogram`` counts of each hooked
  module's output and of each weight's ``log10 |gradient|`` (at most 65,536 evenly spaced entries of a
  tensor), with the fixed bin edges in the record.

Forward hooks are registered only for the forward pass of a measured step and removed as soon as its
gradients are read, so unmeasured steps pay only for the global gradient norm. Hooks read forward passes
made in training mode (validation in ``eval()`` mode is skipped). Activations computed by functions inside a
``forward`` (``F.relu(x)``, ``torch.tanh(x)``, ``x.sigmoid()``) are not modules: a torch function mode
(:mod:`trainwise.activation_calls`), on only during the forward passes of measured steps, measures them too,
named after the module that called them (``"block.relu"``), in the order of the forward pass.

The first non-finite value is located: a non-finite gradient norm names the parameter whose gradient went
bad nearest the output; a non-finite loss inside ``fit`` replays that batch (same weights, RNG and buffers
restored afterwards) to name the first module whose output is non-finite; in your own loop,
:meth:`Monitor.locate_nonfinite` does the same replay on the inputs you give it.

The monitor never changes the model: it only reads tensors, and every hook is removed when monitoring ends
(``on_fit_end``, an exception inside ``fit``, :meth:`Monitor.close`, or leaving a ``with`` block).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn

from trainwise.activation_calls import ActivationCalls
from trainwise.batches import batch_size, forward
from trainwise.history import EpochRecord, History
from trainwise.inputs import (
    InputMoments, InputRows, TokenCounts, compare_inputs, compare_tokens, first_float_tensor, first_integer_tensor,
)
from trainwise.layer_stats import (
    ACTIVATION_KINDS,
    GRAD_LOG10_RANGE,
    HIST_RANGES,
    SATURATION,
    STAT_FIELDS,
    edges,
    first_tensor,
    gradient_histogram,
    histogram,
    hooked_modules,
    Reduced,
    reduce_output,
)
from trainwise.restore import borrowed
from trainwise.training import Callback, TrainState, _applied_hparams

__all__ = ["Monitor", "DEFAULT_EVERY", "RECORD_VERSION", "ACTIVATION_KINDS", "is_measured_step"]

RECORD_VERSION = 1
DEFAULT_EVERY = 100
"""Default cadence of the per-layer measurements. A measured step costs about one more step of a small model
(weight snapshot, norms, activation statistics, a gradient copy), so every 100 steps it adds under 1%; the
gradient norm read at every step (one pass over the gradients) costs 1-3% more on CPU, depending on how much
computation each parameter gets and how busy the machine's memory is (``benchmarks/bench_monitor.py``, single steps
interleaved: 1.5-2.3% in all on a 0.5M-parameter MLP with batch 128 on a quiet host, ~3% on a loaded one; about 1% on
a small CNN)."""



def is_measured_step(step: int, every: int) -> bool:
    """Whether ``step`` gets the per-layer measurements: 0 and the powers of two below ``every`` (the first
    steps, where initialization problems show), then every multiple of ``every``.

    >>> [s for s in range(40) if is_measured_step(s, 16)]
    [0, 1, 2, 4, 8, 16, 32]
    """
    if step % every == 0:
        return True
    return step < every and step & (step - 1) == 0


class Monitor(Callback):
    """Watch a training run: gradient norms every step, per-layer statistics on measured steps.

    Args:
        model: the model to watch. Inside ``fit`` it may be left out (fit's model is used).
        optimizer: the optimizer, for the hyperparameters of each step in your own loop (inside ``fit`` the loop
            records them). Optional.
        every: cadence of the per-layer measurements (an int >= 1; 1 measures every step).
        histogram_every: cadence of the histograms (an int >= 1, default ``8 * every``; ``None`` for the
            default). ``histograms=False`` turns them off.
        activations: hook activation modules and layers with weights (default True).

    Used by hand (the record ends in ``monitor.history``):

    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> x, y = torch.randn(32, 4), torch.randn(32, 1)
    >>> with Monitor(model, opt, every=2) as monitor:
    ...     for step in range(5):
    ...         loss = nn.functional.mse_loss(model(x), y)
    ...         opt.zero_grad(); loss.backward()
    ...         monitor.before_step()
    ...         opt.step()
    ...         monitor.after_step(loss)
    ...     _ = monitor.end_epoch(val_loss=0.5)
    >>> h = monitor.history
    >>> h.steps, len(h.extras["monitor"]["grad_norm"]), h.extras["monitor"]["params"]["steps"]
    (5, 5, [0, 1, 2, 4])
    >>> sorted(h.extras["monitor"]["modules"])
    ['0', '1', '2']
    >>> any(m._forward_hooks for m in model.modules())
    False
    """

    def __init__(
        self,
        model: nn.Module | None = None,
        optimizer: torch.optim.Optimizer | None = None,
        *,
        every: int = DEFAULT_EVERY,
        histogram_every: int | None = None,
        histograms: bool = True,
        activations: bool = True,
    ) -> None:
        if model is not None and not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module or None, got {type(model).__name__}")
        if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer or None, got {type(optimizer).__name__}")
        self.every = _cadence("every", every)
        self.histogram_every = 8 * self.every if histogram_every is None else _cadence("histogram_every", histogram_every)
        for name, flag in (("histograms", histograms), ("activations", activations)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be True or False, got {name}={flag!r}")
        self.histograms, self.activations = histograms, activations
        self._model, self._optimizer = model, optimizer
        self._history: History | None = None
        self._record: dict[str, Any] | None = None
        self._active = False
        self._in_fit = False
        self._step = 0
        self._epoch_first_step = 0
        self._handles: list[Any] = []
        self._captured: dict[str, tuple[Reduced, Any, int | None]] = {}  # name -> (reduction, histogram, batch)
        self._snapshot: list[torch.Tensor] | None = None
        self._measured_grads: list[float] = []
        self._previous_grads: list[torch.Tensor | None] | None = None
        self._spares: dict[str, list[torch.Tensor | None]] = {}  # the last measured step's copies, to write into
        self._samples = 0  # samples seen by backward since the last update (inside fit)
        self._samples_at_step: int | None = None
        self._step_grads_read = False
        self._param_names: list[str] = []
        self._params: list[nn.Parameter] = []
        self._modules: dict[str, tuple[nn.Module, str]] = {}
        self._all_modules: dict[str, nn.Module] = {}
        self._seconds = 0.0
        self._train_inputs, self._val_inputs = InputMoments(), InputMoments()
        self._train_rows, self._val_rows = InputRows(), InputRows()
        self._train_tokens, self._val_tokens = TokenCounts(), TokenCounts()
        self._val_handle: Any = None
        self._tracking: Any = None  # the running-module stack of the activation-call mode, on measured steps
        self._call_kinds: dict[str, str] = {}  # activation functions seen so far (name -> family)

    # -- the record --------------------------------------------------------------------------------------
    @property
    def history(self) -> History:
        """The History the monitor writes to (fit's inside ``fit``; its own in your loop)."""
        if self._history is None:
            raise RuntimeError("the monitor has not started: call start() (or use it in fit or a with block)")
        return self._history

    @property
    def record(self) -> dict[str, Any]:
        """The plain-data record, also at ``history.extras["monitor"]``."""
        return self.history.extras["monitor"]

    @property
    def step(self) -> int:
        """Optimizer updates seen so far."""
        return self._step

    @property
    def seconds(self) -> float:
        """Wall time spent in the monitor's own code (its step calls and hooks) since it started: what watching
        the run cost. Also ``record["seconds"]`` when it closes."""
        return self._seconds

    # -- your own loop -------------------------------------------------------------------------------------
    def start(
        self, model: nn.Module | None = None, optimizer: torch.optim.Optimizer | None = None, *, history: History | None = None
    ) -> Monitor:
        """Begin monitoring (a fresh record). ``model``/``optimizer`` override the constructor's; ``history``
        is the History to write into (default: a new one, ``monitor.history``). Returns the monitor."""
        if self._active:
            raise RuntimeError("the monitor is already running; call close() before starting it again")
        model = model if model is not None else self._model
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}: pass Monitor(model) or start(model)")
        if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer or None, got {type(optimizer).__name__}")
        if history is not None and not isinstance(history, History):
            raise TypeError(f"history must be a trainwise History or None, got {type(history).__name__}")
        self._model = model
        self._optimizer = optimizer if optimizer is not None else self._optimizer
        self._history = history if history is not None else History()
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        self._param_names = [n for n, _ in named]
        self._params = [p for _, p in named]
        self._modules = hooked_modules(model) if self.activations else {}
        self._all_modules = dict(model.named_modules())  # the running-module stack of activation calls
        self._record = _empty_record(self)
        self._history.extras["monitor"] = self._record
        self._step = 0
        self._epoch_first_step = 0
        self._step_grads_read = False
        self._previous_grads = None
        self._samples = 0
        self._seconds = 0.0
        self._train_inputs, self._val_inputs = InputMoments(), InputMoments()
        self._train_rows, self._val_rows = InputRows(), InputRows()
        self._train_tokens, self._val_tokens = TokenCounts(), TokenCounts()
        self._call_kinds = {}
        self._active = True
        self._arm()
        return self

    def before_step(self) -> None:
        """Read the gradients of the coming update: call after ``loss.backward()`` (after unscaling with AMP,
        before clipping) and before ``optimizer.step()``."""
        self._require_active("before_step")
        started = time.perf_counter()
        self._disarm()
        step, record = self._step, self._record
        measured = is_measured_step(step, self.every)
        grads = [p.grad for p in self._params]
        present = [g for g in grads if g is not None]
        norms = _norms(present)
        total = _total_norm(norms)
        record["grad_norm"].append(total)
        if not math.isfinite(total):
            self._note_nonfinite_gradient(step, norms, present)
        if not self._in_fit and self._optimizer is not None:
            for name, value in _applied_hparams(self._optimizer, None).items():
                self._history.hparams.setdefault(name, []).append(value)
        if self._previous_grads is not None or measured:  # each parameter's norm, NaN where it got no gradient
            by_param = iter(norms)
            per_param = [next(by_param) if g is not None else math.nan for g in grads]
        if self._previous_grads is not None:
            self._store_agreement(step - 1, grads, per_param)
        if measured:
            self._measured_grads = per_param
            self._snapshot = self._copies("weights", self._params)
            self._previous_grads = self._copies("grads", grads)
            self._samples_at_step = self._samples or self._samples_from_hooks()
        self._samples = 0
        if self._captured:
            self._store_activations(step)
        if self.histograms and step % self.histogram_every == 0:
            self._store_gradient_histograms(step, grads)
        self._step_grads_read = True
        self._seconds += time.perf_counter() - started

    def after_step(self, loss: float | torch.Tensor | None = None) -> None:
        """Close the update: record ``loss`` (your loop; inside ``fit`` the loop records it) and, on measured
        steps, the update ratios. A NaN or infinite loss is recorded as is and noted as the first non-finite
        value if none came before."""
        self._require_active("after_step")
        if not self._step_grads_read:
            raise RuntimeError("after_step() without before_step(): call monitor.before_step() after backward()")
        started = time.perf_counter()
        if not self._in_fit:
            if loss is None:
                raise ValueError("after_step(loss) needs the loss of the step in your own loop, got loss=None")
            value = _loss_value(loss)
            self._history.losses.append(value)
            if not math.isfinite(value):
                self._note_nonfinite(self._step, "loss", None, f"the training loss was {value}")
        if self._snapshot is not None:
            self._store_updates(self._step)
        self._step += 1
        self._step_grads_read = False
        self._arm()
        self._seconds += time.perf_counter() - started

    def end_epoch(
        self,
        *,
        train_loss: float | None = None,
        val_loss: float | None = None,
        train_metric: float | None = None,
        val_metric: float | None = None,
    ) -> EpochRecord:
        """Close an epoch of your own loop: appends an :class:`~trainwise.history.EpochRecord` to
        ``monitor.history.epochs``. ``train_loss`` defaults to the mean step loss since the last epoch
        (NaN when a step's loss was non-finite). Inside ``fit`` the loop writes the epochs itself, and also
        ``history.extras["constant_loss"]``, the doctor's yardstick for a poor fit; in your own loop set it once
        from a validation pass: ``trainwise.constant_loss(loss_fn, outputs, targets)``."""
        self._require_active("end_epoch")
        if self._in_fit:
            raise RuntimeError("end_epoch() is for your own loop; inside fit the loop records the epochs")
        for name, value in (("train_loss", train_loss), ("val_loss", val_loss), ("train_metric", train_metric),
                            ("val_metric", val_metric)):  # fmt: skip
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise TypeError(f"{name} must be a number or None, got {name}={value!r}")
        losses = self._history.losses[self._epoch_first_step :]
        if train_loss is None:
            if not losses:
                raise ValueError("end_epoch() with no steps since the last epoch and no train_loss")
            train_loss = float(np.mean(losses))
        record = EpochRecord(
            epoch=len(self._history.epochs), steps=self._step, train_loss=float(train_loss),
            val_loss=None if val_loss is None else float(val_loss),
            train_metric=None if train_metric is None else float(train_metric),
            val_metric=None if val_metric is None else float(val_metric),
        )  # fmt: skip
        self._history.epochs.append(record)
        self._epoch_first_step = len(self._history.losses)
        return record

    def locate_nonfinite(self, inputs: Any) -> dict[str, Any] | None:
        """Replay a forward pass on ``inputs`` and name the first module whose output is non-finite.

        Call it, in your own loop, when the loss came out NaN and before ``optimizer.step()`` (the weights must
        be those that produced it). The model's RNG state and buffers (BatchNorm statistics) are restored, and
        no gradient is computed. Returns the first non-finite event of the run (also at
        ``record["nonfinite"]``) or ``None`` when the replay stays finite and no event was noted.
        """
        self._require_active("locate_nonfinite")
        self._locate(inputs, self._step)
        return self._record["nonfinite"]

    @contextmanager
    def validating(self) -> Iterator[Monitor]:
        """In your own loop, run the validation pass inside this block: the monitor reads the inputs the model
        is given there (the first pass is enough; later blocks read nothing) to compare them with the training
        inputs. Inside ``fit`` the validation events do this."""
        self._require_active("validating")
        self._watch_validation()
        try:
            yield self
        finally:
            self._unwatch_validation()

    def close(self) -> None:
        """Stop monitoring: remove every hook and drop the weight snapshot. Safe to call twice."""
        self._disarm()
        self._unwatch_validation()
        self._snapshot = self._previous_grads = None
        self._spares = {}
        if self._active:
            self._record["seconds"] = self._seconds
            self._record["inputs"] = compare_inputs(self._train_inputs, self._val_inputs, self._train_rows, self._val_rows)
            self._record["tokens"] = compare_tokens(self._train_tokens, self._val_tokens)
        if self._active and not self._in_fit and self._history.status == "running":
            losses = self._history.losses
            self._history.status = "completed" if all(map(math.isfinite, losses)) else "diverged"
        self._active = False
        self._in_fit = False

    def __enter__(self) -> Monitor:
        return self if self._active else self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- inside fit --------------------------------------------------------------------------------------
    def on_fit_start(self, state: TrainState) -> None:
        if self._model is not None and self._model is not state.model:
            raise ValueError("Monitor(model) was given a different model than the one fit trains")
        self._in_fit = False
        self.start(state.model, state.optimizer, history=state.history)
        self._in_fit = True

    def on_after_backward(self, state: TrainState) -> None:
        self._samples += batch_size(state.target)

    def on_before_step(self, state: TrainState) -> None:
        self.before_step()

    def on_after_step(self, state: TrainState) -> None:
        self.after_step()

    def on_validation_start(self, state: TrainState) -> None:
        self._watch_validation()

    def on_validation_end(self, state: TrainState) -> None:
        self._unwatch_validation()

    def on_fit_end(self, state: TrainState) -> None:
        try:
            if state.history.status == "diverged" and state.inputs is not None and self._record["nonfinite"] is None:
                self._locate(state.inputs, state.step)
        finally:
            self.close()

    def on_fit_error(self, state: TrainState, error: BaseException) -> None:
        self.close()

    # -- measurements ------------------------------------------------------------------------------------
    def _require_active(self, what: str) -> None:
        if not self._active:
            raise RuntimeError(f"{what}() on a monitor that is not running: call start() first (or use a with block)")

    def _arm(self) -> None:
        """Register the forward hooks when the coming step is measured."""
        if self._handles or not is_measured_step(self._step, self.every):
            return
        hook = self._input_hook(self._train_inputs, self._train_rows, self._train_tokens, training=True)
        self._handles.append(self._model.register_forward_pre_hook(hook, with_kwargs=True))
        if not self._modules:
            return
        self._captured = {}
        with_counts = self.histograms and self._step % self.histogram_every == 0
        for name, (module, kind) in self._modules.items():
            self._handles.append(module.register_forward_hook(self._stats_hook(name, kind, with_counts)))
        self._arm_activation_calls(with_counts)

    def _arm_activation_calls(self, with_counts: bool) -> None:
        """See activation functions called inside forward (``F.relu``): :mod:`trainwise.activation_calls`'s mode,
        on only while the model's training-mode forward runs."""
        calls = ActivationCalls(self._call_hook(with_counts), skip=tuple(ACTIVATION_KINDS))
        self._tracking = calls.track(self._model, self._all_modules)
        self._tracking.__enter__()
        entered: list[bool] = []

        def enter(module: nn.Module, args: Any) -> None:
            if module.training:
                calls.__enter__()
                entered.append(True)

        def leave(module: nn.Module, args: Any, output: Any) -> None:
            if entered:
                entered.pop()
                calls.__exit__(None, None, None)

        self._handles.append(self._model.register_forward_pre_hook(enter))
        self._handles.append(self._model.register_forward_hook(leave, always_call=True))

    def _disarm(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        if self._tracking is not None:
            self._tracking.__exit__(None, None, None)
            self._tracking = None

    def _watch_validation(self) -> None:
        if self._val_handle is None and not self._val_inputs.count and not self._val_tokens.count:
            hook = self._input_hook(self._val_inputs, self._val_rows, self._val_tokens, training=False)
            self._val_handle = self._model.register_forward_pre_hook(hook, with_kwargs=True)

    def _unwatch_validation(self) -> None:
        if self._val_handle is not None:
            self._val_handle.remove()
            self._val_handle = None

    def _input_hook(self, moments: InputMoments, rows: InputRows, tokens: TokenCounts, *, training: bool) -> Callable[..., None]:
        def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            if training and not module.training:
                return
            started = time.perf_counter()
            with torch.no_grad():
                inputs = first_float_tensor(args, kwargs)
                if inputs is None:  # token or category ids (an embedding model)
                    tokens.add(first_integer_tensor(args, kwargs))
                moments.add(inputs)
                rows.add(inputs)
            self._seconds += time.perf_counter() - started

        return hook

    def _stats_hook(self, name: str, kind: str, with_counts: bool) -> Callable[..., None]:
        def hook(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
            if not module.training or name in self._captured:
                return
            started = time.perf_counter()
            y = first_tensor(output)
            if y is None or not y.is_floating_point():
                return
            x = first_tensor(inputs) if kind == "layer" else None
            # Out of the activation-call mode: its Python dispatch would double these calls' cost.
            with torch.no_grad(), torch._C.DisableTorchFunction():
                self._capture(name, kind, y, x, with_counts)
            self._seconds += time.perf_counter() - started

        return hook

    def _call_hook(self, with_counts: bool) -> Callable[[str, str, torch.Tensor], None]:
        def on_output(name: str, kind: str, y: torch.Tensor) -> None:
            if name in self._captured or not y.is_floating_point():
                return
            started = time.perf_counter()
            with torch.no_grad():
                self._capture(name, kind, y, None, with_counts)
            self._call_kinds[name] = kind
            self._seconds += time.perf_counter() - started

        return on_output

    def _capture(self, name: str, kind: str, y: torch.Tensor, x: torch.Tensor | None, with_counts: bool) -> None:
        """Read one output (and a layer's input) for the measured step: its reduction, its histogram on histogram
        steps, and the batch size it shows."""
        reduced = reduce_output(y, kind, x)
        counts = histogram(y, kind) if with_counts else None
        self._captured[name] = (reduced, counts, int(y.shape[0]) if y.dim() >= 2 else None)

    def _add_call_entries(self) -> None:
        """Give activation functions seen for the first time their entries, placed in the order of the calls
        (after the module or function that ran before them), padded for the steps measured before."""
        record = self._record
        table, hist = record["modules"], record["histograms"]["activations"]
        order, previous = list(table), None
        for name in self._captured:  # the order of the forward pass
            if name not in table:
                order.insert(order.index(previous) + 1 if previous is not None else 0, name)
            previous = name
        measured, histogrammed = len(record["activation_steps"]), len(record["histograms"]["activation_steps"])
        record["modules"] = {n: table[n] if n in table else _module_entry(self._call_kinds[n], measured) for n in order}
        record["histograms"]["activations"] = {n: hist.get(n, [None] * histogrammed) for n in order}

    def _store_activations(self, step: int) -> None:
        if any(name not in self._record["modules"] for name in self._captured):
            self._add_call_entries()
        table = self._record["modules"]
        self._record["activation_steps"].append(step)
        stats = {name: captured[0].stats().tolist() for name, captured in self._captured.items()}
        for name, entry in table.items():
            captured = self._captured.get(name)
            values = stats[name] if captured is not None else [math.nan] * len(STAT_FIELDS)
            for field, value in zip(STAT_FIELDS, values):
                entry[field].append(value)
            entry["positions"].append(captured[0].per_unit if captured is not None else 0)
        first_bad = next((n for n in self._captured if stats[n][-1] > 0), None)
        if first_bad is not None:
            self._note_nonfinite(step, "activation", first_bad, f"the output of module {first_bad!r} is non-finite")
        if any(c[1] is not None for c in self._captured.values()):
            hist = self._record["histograms"]
            hist["activation_steps"].append(step)
            for name in table:
                captured = self._captured.get(name)
                hist["activations"][name].append(captured[1] if captured is not None else None)
        self._captured = {}

    def _store_gradient_histograms(self, step: int, grads: list[torch.Tensor | None]) -> None:
        hist = self._record["histograms"]
        hist["gradient_steps"].append(step)
        for name, g in zip(self._param_names, grads):
            if g is None:
                hist["gradients"][name].append(None)
                continue
            hist["gradients"][name].append(gradient_histogram(g))

    def _store_updates(self, step: int) -> None:
        before, self._snapshot = self._snapshot, None
        with torch.no_grad():
            after = [p.detach() for p in self._params]
            weight_norms = _norms(before)
            torch._foreach_sub_(before, after)  # the snapshot becomes the update (sign aside): no new memory
            update_norms = _norms(before)
        self._spares["weights"] = before
        table = self._record["params"]
        table["steps"].append(step)
        table["samples"].append(self._samples_at_step)
        for name, g, w, u in zip(self._param_names, self._measured_grads, weight_norms, update_norms):
            entry = table["by_name"][name]
            entry["grad_norm"].append(g)
            entry["norm"].append(w)
            entry["update_ratio"].append(u / w if w > 0 else math.nan)
        # A weight is finite after the update when it was before and the update was (the norms say so).
        bad = next((n for n, w, u in zip(self._param_names, weight_norms, update_norms) if not math.isfinite(w + u)), None)
        if bad is not None:
            self._note_nonfinite(step, "parameter", bad, f"parameter {bad!r} is non-finite after the update")

    def _store_agreement(self, step: int, grads: list[torch.Tensor | None], norms: list[float]) -> None:
        """Cosine between the gradient of measured step ``step`` and that of the next step (``grads``, with their
        2-norms ``norms``, one per parameter)."""
        previous, self._previous_grads = self._previous_grads, None
        self._spares["grads"] = previous
        pairs = [(a, b, na, nb) for a, b, na, nb in zip(previous, grads, self._measured_grads, norms)
                 if a is not None and b is not None]  # fmt: skip
        if not pairs:
            return
        with torch.no_grad():
            dot = sum(float(torch.dot(a.reshape(-1).float(), b.reshape(-1).float())) for a, b, _, _ in pairs)
        norm_a, norm_b = _total_norm([p[2] for p in pairs]), _total_norm([p[3] for p in pairs])
        cosine = dot / (norm_a * norm_b) if norm_a > 0 and norm_b > 0 else math.nan
        self._record["agreement"]["steps"].append(step)
        self._record["agreement"]["cosine"].append(cosine)

    def _copies(self, role: str, tensors: list[torch.Tensor | None]) -> list[torch.Tensor | None]:
        """Detached copies of ``tensors``, written into the last measured step's copies for ``role`` where they
        still fit (same shape, dtype, device and layout): the peak memory is the same, and fresh megabyte
        allocations cost page faults — on a CPU MLP, a third of a measured step's time."""
        spare = self._spares.pop(role, None) or []
        out: list[torch.Tensor | None] = []
        with torch.no_grad():
            for i, t in enumerate(tensors):
                if t is None:
                    out.append(None)
                    continue
                t = t.detach()
                buffer = spare[i] if i < len(spare) else None
                layout = (t.shape, t.dtype, t.device, t.stride())
                if buffer is None or (buffer.shape, buffer.dtype, buffer.device, buffer.stride()) != layout:
                    buffer = torch.empty_like(t)
                if buffer.stride() != t.stride():  # a layout empty_like does not keep (overlapping, gaps)
                    buffer = t.clone(memory_format=torch.contiguous_format)
                else:
                    buffer.copy_(t)
                out.append(buffer)
        return out

    def _samples_from_hooks(self) -> int | None:
        # In your own loop nobody tells the monitor the batch size: read it off the first hooked output.
        for _, _, batch in self._captured.values():
            if batch is not None:
                return batch
        return None

    def _note_nonfinite_gradient(self, step: int, norms: list[float], present: list[torch.Tensor]) -> None:
        names = [n for n, p in zip(self._param_names, self._params) if p.grad is not None]
        bad = [n for n, g in zip(names, present) if not bool(torch.isfinite(g).all())]
        detail = f"{len(bad)} of {len(self._params)} parameters have non-finite gradients"
        if not bad:  # every entry finite, but a norm overflowed its dtype (float32: entries beyond ~1e19)
            bad = [n for n, norm in zip(names, norms) if not math.isfinite(norm)]
            largest = max((float(g.abs().max()) for g in present if g.numel()), default=math.nan)
            detail = (f"the gradient norm of {len(bad) or 'all'} of {len(self._params)} parameters overflows its "
                      f"dtype: entries up to {largest:.3g}")  # fmt: skip
        # Backward runs from the output to the input: the bad gradient nearest the output is where it began.
        name = bad[-1] if bad else None
        self._note_nonfinite(step, "gradient", name, detail)

    def _note_nonfinite(self, step: int, kind: str, name: str | None, detail: str) -> None:
        current = self._record["nonfinite"]
        # A NaN loss makes every gradient of that step NaN: the loss is the earlier symptom of the same step.
        if current is None or (kind == "loss" and current["step"] == step and current["kind"] == "gradient"):
            self._record["nonfinite"] = {"step": step, "kind": kind, "name": name, "detail": detail}

    def _locate(self, inputs: Any, step: int) -> None:
        """Replay ``inputs`` with watch hooks on every leaf module; restore RNG and buffers afterwards."""
        model = self._model
        bad_param = next((n for n, p in zip(self._param_names, self._params) if not bool(torch.isfinite(p).all())), None)
        if bad_param is not None:
            self._note_nonfinite(step, "parameter", bad_param, f"parameter {bad_param!r} is non-finite")
            return
        found: list[str] = []
        leaves = [(n, m) for n, m in model.named_modules() if not any(True for _ in m.children())]

        def watch(name: str) -> Callable[..., None]:
            def hook(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
                y = first_tensor(output)
                if not found and y is not None and y.is_floating_point() and not bool(torch.isfinite(y).all()):
                    found.append(name)

            return hook

        with borrowed(model):  # the replay leaves no trace: weights, buffers, modes, RNG states
            handles = [m.register_forward_hook(watch(n)) for n, m in leaves]
            try:
                with torch.no_grad():
                    forward(model, inputs)
            finally:
                for handle in handles:
                    handle.remove()
        if found:
            self._note_nonfinite(step, "activation", found[0], f"the output of module {found[0]!r} is the first non-finite one")
        elif self._history.status == "diverged" or not all(map(math.isfinite, self._history.losses)):
            self._note_nonfinite(step, "loss", None, "every module output is finite: the loss function made the non-finite value")


# -- helpers ----------------------------------------------------------------------------------------------


def _cadence(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int >= 1, got {name}={value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {name}={value!r}")
    return value


def _param_roles(model: nn.Module) -> dict[str, str]:
    """``"weight"`` (a matrix or kernel), ``"embedding"`` (rows looked up, so mostly zero gradients) or
    ``"vector"`` (biases, normalization scales) for each trainable parameter."""
    roles = {}
    for module_name, module in model.named_modules():
        for name, p in module.named_parameters(recurse=False):
            if p.requires_grad:
                full = f"{module_name}.{name}" if module_name else name
                embedding = isinstance(module, (nn.Embedding, nn.EmbeddingBag))
                roles[full] = "embedding" if embedding else "weight" if p.dim() >= 2 else "vector"
    return roles


def _module_entry(kind: str, measured: int = 0) -> dict[str, Any]:
    """A module's (or activation function's) statistics, NaN for the ``measured`` steps before it was seen."""
    return {"kind": kind, "positions": [0] * measured, **{f: [math.nan] * measured for f in STAT_FIELDS}}


def _empty_record(monitor: Monitor) -> dict[str, Any]:
    modules = {name: _module_entry(kind) for name, (_, kind) in monitor._modules.items()}
    return {
        "version": RECORD_VERSION,
        "every": monitor.every,
        "histogram_every": monitor.histogram_every if monitor.histograms else None,
        "saturation": SATURATION,
        "optimizer": None if monitor._optimizer is None else type(monitor._optimizer).__name__,
        "seconds": 0.0,
        "grad_norm": [],
        "nonfinite": None,
        "inputs": None,
        "tokens": None,
        "agreement": {"steps": [], "cosine": []},
        "params": {
            "steps": [],
            "samples": [],
            "shapes": {n: list(p.shape) for n, p in zip(monitor._param_names, monitor._params)},
            "roles": _param_roles(monitor._model),
            "by_name": {n: {"grad_norm": [], "norm": [], "update_ratio": []} for n in monitor._param_names},
        },
        "activation_steps": [],
        "modules": modules,
        "histograms": {
            "activation_edges": {k: edges(k).tolist() for k in HIST_RANGES},
            "gradient_log10_edges": np.linspace(*GRAD_LOG10_RANGE[:2], GRAD_LOG10_RANGE[2] + 1).tolist(),
            "activation_steps": [],
            "activations": {name: [] for name in modules},
            "gradient_steps": [],
            "gradients": {n: [] for n in monitor._param_names},
        },
    }


def _norms(tensors: list[torch.Tensor]) -> list[float]:
    """The 2-norm of each tensor, as floats: one fused kernel per dtype and device, and one transfer of the
    results instead of a sync per tensor (this runs every step). Reading the gradients is the whole cost, so BLAS
    dot products, measured too, were no faster once the gradients have left the cache."""
    if not tensors:
        return []
    norms = torch._foreach_norm(tensors)
    if all(n.is_cpu for n in norms):
        return [n.item() for n in norms]  # nothing to transfer: reading each is 3x cheaper than stacking them
    if len({n.device for n in norms}) > 1:
        norms = [n.cpu() for n in norms]
    return torch.stack(norms).double().tolist()


def _total_norm(norms: list[float]) -> float:
    """``sqrt(sum of squares)`` of per-tensor norms, without overflow for float64 norms near 1e308."""
    return math.hypot(*norms)


def _loss_value(loss: Any) -> float:
    if isinstance(loss, torch.Tensor):
        if loss.numel() != 1:
            raise ValueError(f"loss must be a scalar, got a tensor of shape {tuple(loss.shape)}")
        return loss.item()
    if isinstance(loss, bool) or not isinstance(loss, (int, float)):
        raise TypeError(f"loss must be a number or a scalar tensor, got {type(loss).__name__}")
    return float(loss)
