"""The record of one training run: what was applied at every step and what came out of every epoch.

A :class:`History` is plain data (lists of floats and small dicts) so that every later tool — the doctor, the
report, the search — reads the same thing, and it round-trips through JSON (``to_dict``/``from_dict``).
Non-finite numbers are stored as ``None`` in JSON (browsers cannot parse ``NaN``) and come back as ``nan``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["EpochRecord", "History", "STATUSES"]

STATUSES = ("running", "completed", "stopped", "diverged", "interrupted")
_FORMAT_VERSION = 1


@dataclass
class EpochRecord:
    """One epoch's outcome. Losses are means over samples; the train figures are measured during the epoch
    (with the weights changing), the validation figures after it."""

    epoch: int
    steps: int  # optimizer updates applied by the end of this epoch, counted from the start of the run
    train_loss: float
    val_loss: float | None = None
    train_metric: float | None = None
    val_metric: float | None = None
    seconds: float = 0.0


@dataclass
class History:
    """Per-step and per-epoch record of a run.

    ``losses[i]`` is the training loss of optimizer update ``i`` (the mean over its micro-batches) and
    ``hparams[name][i]`` the value of hyperparameter ``name`` (first parameter group) that update used.
    """

    losses: list[float] = field(default_factory=list)
    hparams: dict[str, list[float]] = field(default_factory=dict)
    epochs: list[EpochRecord] = field(default_factory=list)
    metric_name: str | None = None
    metric_direction: str = "min"
    steps_per_epoch: int | None = None
    status: str = "running"
    stop_reason: str = ""
    elapsed_s: float = 0.0
    config: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    # -- views -------------------------------------------------------------------------------------------
    @property
    def steps(self) -> int:
        """Number of optimizer updates recorded."""
        return len(self.losses)

    @property
    def lrs(self) -> list[float]:
        """The learning rate applied at every step (first parameter group)."""
        return self.hparams.get("lr", [])

    def column(self, name: str) -> list[float | None]:
        """One per-epoch column, e.g. ``history.column("val_loss")``."""
        names = [f.name for f in fields(EpochRecord)]
        if name not in names:
            raise ValueError(f"unknown epoch column name={name!r}; choose one of {names}")
        return [getattr(e, name) for e in self.epochs]

    @property
    def train_loss(self) -> list[float]:
        return self.column("train_loss")  # type: ignore[return-value]

    @property
    def val_loss(self) -> list[float | None]:
        return self.column("val_loss")

    @property
    def val_metric(self) -> list[float | None]:
        return self.column("val_metric")

    def best_epoch(self) -> EpochRecord | None:
        """The epoch with the best validation metric (or validation loss when there is no metric)."""
        key = "val_metric" if self.metric_name and any(e.val_metric is not None for e in self.epochs) else "val_loss"
        scored = [e for e in self.epochs if _finite(getattr(e, key))]
        if not scored:
            return None
        sign = -1.0 if key == "val_metric" and self.metric_direction == "max" else 1.0
        return min(scored, key=lambda e: sign * getattr(e, key))

    def final(self) -> EpochRecord | None:
        """The last completed epoch."""
        return self.epochs[-1] if self.epochs else None

    def diagnose(self, **options: Any) -> Any:
        """Run the training doctor on this history (see :func:`trainwise.diagnose`)."""
        from trainwise.diagnose import diagnose  # the doctor builds on History, not the other way round

        return diagnose(self, **options)

    # -- serialisation -----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (non-finite floats become ``None``)."""
        data = asdict(self)
        data["format_version"] = _FORMAT_VERSION
        return _clean(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """Rebuild a History from :meth:`to_dict` output."""
        if not isinstance(data, dict):
            raise TypeError(f"data must be a dict from History.to_dict(), got {type(data).__name__}")
        version = data.get("format_version", _FORMAT_VERSION)
        if version != _FORMAT_VERSION:
            raise ValueError(f"unsupported History format_version={version!r} (this trainwise reads {_FORMAT_VERSION})")
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["losses"] = [_nan_if_none(v) for v in kwargs.get("losses", [])]
        kwargs["hparams"] = {k: [_nan_if_none(v) for v in vs] for k, vs in kwargs.get("hparams", {}).items()}
        kwargs["epochs"] = [
            EpochRecord(**{**e, "train_loss": _nan_if_none(e.get("train_loss"))}) for e in kwargs.get("epochs", [])
        ]
        return cls(**kwargs)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> History:
        return cls.from_dict(json.loads(text))

    def summary(self) -> dict[str, Any]:
        """The figures a table row needs: final and best epoch, time, status."""
        last, best = self.final(), self.best_epoch()
        return {
            "status": self.status,
            "steps": self.steps,
            "epochs": len(self.epochs),
            "final_train_loss": last.train_loss if last else None,
            "final_val_loss": last.val_loss if last else None,
            "final_val_metric": last.val_metric if last else None,
            "best_epoch": best.epoch if best else None,
            "best_val_metric": best.val_metric if best else None,
            "best_val_loss": best.val_loss if best else None,
            "elapsed_s": self.elapsed_s,
        }


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _nan_if_none(x: Any) -> float:
    return float("nan") if x is None else x


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj
