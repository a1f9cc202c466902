"""The bridge from schedules to a torch optimizer, and the reduce-on-plateau controller.

``Scheduler`` writes schedule values into ``optimizer.param_groups``; its whole state is
the step plus one standing multiplier per hyperparameter, so resuming is setting the
step. ``ReduceOnPlateau`` is not a schedule: it reads a metric and returns a
multiplier, which ``Scheduler.multiply`` applies on top of the schedule.

>>> import torch
>>> from trainwise.schedules import cosine
>>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
>>> sched = Scheduler(opt, cosine(0.1, total_steps=100))
>>> plateau = ReduceOnPlateau(patience=0)
>>> for val_loss in [1.0, 1.2]:
...     sched.step()  # after optimizer.step()
...     sched.multiply("lr", plateau.update(val_loss))
>>> round(opt.param_groups[0]["lr"], 6) == round(0.1 * cosine(0.1, total_steps=100)(2), 6)
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from trainwise.schedules import Schedule

__all__ = ["ReduceOnPlateau", "Scheduler"]

# (param-group key, index into it or None): where a hyperparameter name is stored.
_Slot = tuple[str, int | None]


def _slot(groups: list[dict[str, Any]], name: str) -> _Slot:
    """Where hyperparameter ``name`` lives in every param group; ValueError if nowhere."""

    def has(key: str) -> bool:
        return all(key in group for group in groups)

    if name in ("beta1", "beta2") and has("betas"):
        slot: _Slot = ("betas", 0 if name == "beta1" else 1)
    elif has(name):
        slot = (name, None)
    elif name == "momentum" and has("betas"):
        slot = ("betas", 0)  # Adam-style momentum is beta1, as in torch's OneCycleLR
    else:
        keys = sorted(key for key in groups[0] if key != "params")
        extra = ["beta1", "beta2", "momentum"] if "betas" in keys else []
        raise ValueError(f"optimizer has no hyperparameter {name!r}; its param groups have: {', '.join(keys + extra)}")
    current = _read(groups[0], slot)
    if isinstance(current, bool) or not isinstance(current, (numbers.Real, torch.Tensor)):
        raise ValueError(f"{name!r} holds {current!r}, not a number; schedule a numeric hyperparameter")
    return slot


def _read(group: dict[str, Any], slot: _Slot) -> Any:
    key, index = slot
    return group[key] if index is None else group[key][index]


def _write(group: dict[str, Any], slot: _Slot, value: float) -> None:
    key, index = slot
    if index is not None:
        group[key] = tuple(value if i == index else v for i, v in enumerate(group[key]))
    elif isinstance(group[key], torch.Tensor):
        group[key].fill_(value)  # a tensor LR (capturable optimizers) must keep its identity
    else:
        group[key] = value


class Scheduler:
    """Apply schedules to a torch optimizer's param groups.

    ``schedules`` is a Schedule (the LR), a mapping from hyperparameter name to a
    Schedule, or a list/tuple with one Schedule per param group; a mapping value may
    also be such a list. Names are any numeric key present in every param group
    (``lr``, ``momentum``, ``weight_decay``, ``eps``, ...), plus ``beta1``/``beta2``
    (``betas[0]``/``betas[1]``); ``momentum`` on an optimizer with ``betas`` but no
    ``momentum`` (Adam, AdamW, NAdam) writes ``betas[0]``.

    With one schedule and several groups, ``scale_groups=True`` keeps the ratios the
    groups had at construction: group g gets ``schedule(t) * initial_g / initial_0``
    (ratio 1 when ``initial_0`` is 0). Construct the Scheduler before loading a saved
    optimizer state, so those ratios come from the configured values.

    The values for ``step`` are applied at once; call ``.step()`` after each
    ``optimizer.step()``.

    >>> import torch
    >>> from trainwise.schedules import linear
    >>> opt = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = Scheduler(opt, {"lr": linear(1.0, 0.0, steps=4), "momentum": linear(0.9, 0.8, steps=4)})
    >>> sched.step()
    >>> sched.current()
    {'lr': [0.75], 'momentum': [0.875]}
    >>> opt.param_groups[0]["betas"]
    (0.875, 0.999)
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedules: Schedule | Mapping[str, Schedule | Sequence[Schedule]] | Sequence[Schedule],
        *,
        step: int = 0,
        scale_groups: bool = True,
    ) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got optimizer={optimizer!r}")
        if not isinstance(schedules, Mapping):
            schedules = {"lr": schedules}
        self.optimizer = optimizer
        self._schedules = dict(schedules)
        groups = optimizer.param_groups
        self._slots = {name: _slot(groups, name) for name in schedules}
        # Per hyperparameter, one (schedule, ratio) per param group.
        self._plan: dict[str, list[tuple[Schedule, float]]] = {}
        for name, planned in schedules.items():
            if isinstance(planned, Schedule):
                initial = [float(_read(group, self._slots[name])) for group in groups]
                ratios = [v / initial[0] if scale_groups and initial[0] != 0 else 1.0 for v in initial]
                self._plan[name] = [(planned, ratio) for ratio in ratios]
            elif isinstance(planned, Sequence) and all(isinstance(s, Schedule) for s in planned):
                if len(planned) != len(groups):
                    raise ValueError(
                        f"schedules[{name!r}] has {len(planned)} schedules for {len(groups)} param groups"
                    )
                self._plan[name] = [(s, 1.0) for s in planned]
            else:
                raise TypeError(
                    f"schedules[{name!r}] must be a Schedule or a list of them (one per group), got {planned!r}"
                )
        self._multipliers = {name: 1.0 for name in self._plan}
        self._step = 0
        self.set_step(step)

    @property
    def current_step(self) -> int:
        """The step whose values are applied now."""
        return self._step

    @property
    def schedules(self) -> dict[str, Schedule | Sequence[Schedule]]:
        """The schedules per hyperparameter, as given (a per-group list stays a list)."""
        return dict(self._schedules)

    @property
    def multipliers(self) -> dict[str, float]:
        """The standing multiplier per hyperparameter (see ``multiply``)."""
        return dict(self._multipliers)

    def _apply(self) -> None:
        groups = self.optimizer.param_groups
        for name, plan in self._plan.items():
            if len(plan) != len(groups):
                raise RuntimeError(
                    f"the optimizer had {len(plan)} param groups when the Scheduler was built, now {len(groups)}"
                )
            for group, (schedule, ratio) in zip(groups, plan):
                _write(group, self._slots[name], schedule(self._step) * ratio * self._multipliers[name])

    def step(self) -> None:
        """Advance by one optimizer update and apply the new values."""
        self._step += 1
        self._apply()

    def set_step(self, step: int) -> None:
        """Jump to ``step`` (resume) and apply its values."""
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"step must be an int >= 0, got step={step!r}")
        self._step = int(step)
        self._apply()

    def multiply(self, name: str, factor: float) -> None:
        """From now on apply ``schedule(t) * factor`` for ``name``.

        ``factor`` replaces the previous one (it does not compound), so a controller's
        current scale can be passed every time: ``sched.multiply("lr", plateau.update(loss))``.
        """
        if name not in self._plan:
            raise ValueError(f"name {name!r} is not scheduled; scheduled: {', '.join(self._plan)}")
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not math.isfinite(factor):
            raise ValueError(f"factor must be a finite number, got factor={factor!r}")
        self._multipliers[name] = float(factor)
        self._apply()

    def current(self) -> dict[str, list[float]]:
        """The values applied now, per hyperparameter, one per param group."""
        groups = self.optimizer.param_groups
        return {name: [float(_read(group, slot)) for group in groups] for name, slot in self._slots.items()}

    def state_dict(self) -> dict[str, Any]:
        """``{"step": int, "multipliers": {name: float}}``: all a resume needs."""
        return {"step": self._step, "multipliers": dict(self._multipliers)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore ``state_dict()`` output and apply it."""
        unknown = set(state.get("multipliers", {})) - set(self._plan)
        if set(state) != {"step", "multipliers"} or unknown:
            raise ValueError(
                f"state must be {{'step', 'multipliers'}} over {sorted(self._plan)}, got keys {sorted(state)}"
                + (f" and multipliers for {sorted(unknown)}" if unknown else "")
            )
        for name, factor in state["multipliers"].items():
            self._multipliers[name] = float(factor)
        self.set_step(state["step"])


class ReduceOnPlateau:
    """Multiply a hyperparameter by ``factor`` when a metric stops improving (seed 002).

    A controller, not a schedule: it reads a metric (usually the validation loss,
    once per epoch) and ``update`` returns the current multiplier, starting at 1.0.
    Its decisions are those of torch ``ReduceLROnPlateau``: a metric improves when
    ``m < best * (1 - threshold)`` (``mode="min"``, ``threshold_mode="rel"``; ``best -
    threshold`` for ``"abs"``, mirrored for ``"max"``). After more than ``patience``
    non-improving updates the scale becomes ``max(scale * factor, min_scale)``, and the
    next ``cooldown`` updates count no bad epochs. A NaN or infinite metric never
    improves. (torch also skips reductions smaller than its ``eps`` on the LR; this
    controller works on the scale and has no such floor other than ``min_scale``.)

    >>> plateau = ReduceOnPlateau(factor=0.5, patience=1)
    >>> [plateau.update(loss) for loss in [1.0, 0.9, 0.95, 0.92, 0.93, 0.8]]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]
    """

    def __init__(
        self,
        *,
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        mode: str = "min",
        cooldown: int = 0,
        min_scale: float = 0.0,
    ) -> None:
        def real(name: str, value: Any, low: float, high: float) -> float:
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= value <= high:
                raise ValueError(f"{name} must be a number in [{low}, {high}], got {name}={value!r}")
            return float(value)

        def count(name: str, value: Any) -> int:
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, got {name}={value!r}")
            return int(value)

        self.factor = real("factor", factor, 0.0, 1.0)
        if self.factor in (0.0, 1.0):
            raise ValueError(f"factor must lie strictly between 0 and 1, got factor={factor!r}")
        self.patience = count("patience", patience)
        self.threshold = real("threshold", threshold, 0.0, math.inf)
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got threshold_mode={threshold_mode!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got mode={mode!r}")
        self.threshold_mode, self.mode = threshold_mode, mode
        self.cooldown = count("cooldown", cooldown)
        self.min_scale = real("min_scale", min_scale, 0.0, 1.0)
        self.scale = 1.0
        self.best = math.inf if mode == "min" else -math.inf
        self.bad_updates = 0
        self.cooldown_left = 0

    def _improves(self, metric: float) -> bool:
        # sign turns "max" into "min"; comparisons with NaN are False, so NaN never improves.
        sign = 1.0 if self.mode == "min" else -1.0
        if self.threshold_mode == "rel":
            return sign * metric < sign * self.best * (1.0 - sign * self.threshold)
        return sign * metric < sign * self.best - self.threshold

    def update(self, metric: float) -> float:
        """Record one metric value; return the multiplier to apply from now on."""
        metric = float(metric)
        if self._improves(metric):
            self.best = metric
            self.bad_updates = 0
        else:
            self.bad_updates += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_updates = 0
        if self.bad_updates > self.patience:
            self.scale = max(self.scale * self.factor, self.min_scale)
            self.cooldown_left = self.cooldown
            self.bad_updates = 0
        return self.scale

    def state_dict(self) -> dict[str, float | int]:
        """The controller's mutable state (its options come from the constructor)."""
        return {
            "scale": self.scale,
            "best": self.best,
            "bad_updates": self.bad_updates,
            "cooldown_left": self.cooldown_left,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore ``state_dict()`` output."""
        expected = set(self.state_dict())
        if set(state) != expected:
            raise ValueError(f"state must have keys {sorted(expected)}, got {sorted(state)}")
        self.scale, self.best = float(state["scale"]), float(state["best"])
        self.bad_updates, self.cooldown_left = int(state["bad_updates"]), int(state["cooldown_left"])
