"""Early stopping: stop ``fit`` when the validation record stops improving, and give back the best weights.

A metric-driven controller, not a schedule (STYLE.md): it reads the epoch records ``fit`` writes to
``History.epochs`` — the same record the doctor reads — once per epoch. Seed 004: "the training loss keeps
falling while the validation loss falls, then rises: stop there and keep that model."
"""

from __future__ import annotations

import math
from typing import Any

import torch

from trainwise.training import Callback, TrainState, warn_if_direction_assumed

__all__ = ["EarlyStopping"]

_MONITORS = ("val_loss", "val_metric")


class EarlyStopping(Callback):
    """Stop after ``patience`` epochs without improvement of ``monitor``; optionally restore the best weights.

    Args:
        monitor: ``"val_loss"`` or ``"val_metric"`` (an :class:`~trainwise.history.EpochRecord` field).
        patience: stop after this many epochs in a row without improvement (an int >= 0; 0 stops at the first
            epoch that does not improve).
        min_delta: how much better than the best value a new value must be to count as an improvement (>= 0,
            in the monitored quantity's units).
        mode: ``"min"``, ``"max"`` or ``"auto"`` (default): ``val_loss`` is minimized; ``val_metric`` follows the
            run's metric direction (``History.metric_direction``).
        restore_best_weights: when training ends, load the weights of the best epoch back into the model. They are
            kept in memory as CPU copies of the ``state_dict`` (parameters and buffers).

    A NaN or infinite value never improves. What happened is written to ``history.extras["early_stopping"]``.

    >>> from torch.utils.data import TensorDataset
    >>> from trainwise.training import fit
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(16, 3, generator=g); y = torch.randn(16, generator=g)   # noise: nothing to learn
    >>> model = torch.nn.Sequential(torch.nn.Linear(3, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1), torch.nn.Flatten(0))
    >>> stop = EarlyStopping(patience=3)
    >>> h = fit(model, torch.nn.MSELoss(), [(x[:8], y[:8])], val_loader=[(x[8:], y[8:])], epochs=200, lr=0.01,
    ...         seed=0, callbacks=[stop])
    >>> h.status, len(h.epochs) == stop.best_epoch + 4, h.extras["early_stopping"]["restored"]
    ('stopped', True, True)
    """

    def __init__(
        self,
        *,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        if monitor not in _MONITORS:
            raise ValueError(f"monitor must be one of {_MONITORS}, got monitor={monitor!r}")
        if isinstance(patience, bool) or not isinstance(patience, int):
            raise TypeError(f"patience must be an int >= 0, got patience={patience!r} ({type(patience).__name__})")
        if patience < 0:
            raise ValueError(f"patience must be an int >= 0, got patience={patience!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)):
            raise TypeError(f"min_delta must be a number >= 0, got min_delta={min_delta!r}")
        if not (math.isfinite(min_delta) and min_delta >= 0):
            raise ValueError(f"min_delta must be a finite number >= 0, got min_delta={min_delta!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got mode={mode!r}")
        if not isinstance(restore_best_weights, bool):
            raise TypeError(f"restore_best_weights must be True or False, got {restore_best_weights!r}")
        self.monitor, self.patience, self.min_delta = monitor, patience, float(min_delta)
        self.mode, self.restore_best_weights = mode, restore_best_weights
        self._reset()

    def _reset(self) -> None:
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None
        self._direction = "min"
        self._best_state: dict[str, torch.Tensor] | None = None

    @property
    def direction(self) -> str:
        """``"min"`` or ``"max"``, resolved from ``mode`` when training starts."""
        return self._direction

    def improves(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than ``min_delta`` (NaN/Inf never do).

        >>> stop = EarlyStopping(min_delta=0.1)
        >>> stop.improves(1.0), stop.improves(float("nan"))
        (True, False)
        """
        if not math.isfinite(value):
            return False
        if self.best is None:
            return True
        if self._direction == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    # -- events ----------------------------------------------------------------------------------------------
    def on_fit_start(self, state: TrainState) -> None:
        self._reset()
        if self.mode != "auto":
            self._direction = self.mode
        elif self.monitor == "val_metric":
            warn_if_direction_assumed(state, "EarlyStopping(monitor='val_metric', mode='auto')")
            self._direction = state.history.metric_direction
        else:
            self._direction = "min"

    def on_epoch_end(self, state: TrainState) -> None:
        history = state.history
        if history.status == "diverged" or state.stop_status == "diverged" or not history.epochs:
            return
        record = history.epochs[-1]
        value = getattr(record, self.monitor)
        if value is None:
            hint = "pass val_loader to fit" if self.monitor == "val_loss" else "pass val_loader and a metric to fit"
            raise ValueError(f"EarlyStopping(monitor={self.monitor!r}) needs that value each epoch, but it is missing: {hint}")
        value = float(value)
        if self.improves(value):
            self.best, self.best_epoch, self.wait = value, record.epoch, 0
            if self.restore_best_weights:
                # CPU clones: the best weights must not move with later updates, nor take accelerator memory.
                self._best_state = {k: v.detach().to("cpu", copy=True) for k, v in state.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = record.epoch
            best = "none yet" if self.best is None else f"best {self.best:.4g} at epoch {self.best_epoch}"
            state.request_stop(
                f"early stopping at epoch {record.epoch}: {self.monitor} did not improve by more than {self.min_delta:g} "
                f"for {self.wait} epochs ({best})"
            )

    def on_fit_end(self, state: TrainState) -> None:
        restored = False
        if self.restore_best_weights and self._best_state is not None:
            last = state.history.epochs[-1].epoch if state.history.epochs else None
            if last != self.best_epoch or state.history.status == "diverged":
                state.model.load_state_dict(self._best_state)
                restored = True
        state.history.extras["early_stopping"] = self.summary(restored=restored)
        self._best_state = None

    def on_fit_error(self, state: TrainState, error: BaseException) -> None:
        self._best_state = None

    def summary(self, *, restored: bool = False) -> dict[str, Any]:
        """What early stopping saw and did, as plain data."""
        return {
            "monitor": self.monitor,
            "mode": self._direction,
            "patience": self.patience,
            "min_delta": self.min_delta,
            "best_epoch": self.best_epoch,
            "best_value": self.best,
            "stopped_epoch": self.stopped_epoch,
            "restored": restored,
        }
