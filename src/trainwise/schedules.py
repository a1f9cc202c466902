"""Schedules for any hyperparameter: pure functions of the step.

Time convention (the only one in trainwise): ``step`` is a 0-based int that counts the
optimizer updates already applied, so ``schedule(0)`` is the value used for the first
update. ``total_steps`` counts every update of the run and includes warmup. Schedules
with an end (``linear``, ``poly``, ``cosine``, ``one_cycle``) hold their final value after it.

A schedule is a small frozen, picklable object built by a factory that checks its
arguments. ``schedule(step)`` computes the value from ``step`` alone, never from the
previous value, so resuming a run means setting the step. Composite schedules are
joined from pieces (``warmup``, ``join``, ``per_epoch``).

>>> lr = cosine(0.1, total_steps=100, warmup_steps=10)
>>> lr(0), lr(5), lr(10), lr(100)
(0.0, 0.05, 0.1, 0.0)
>>> lr.describe()["name"]
'warmup'

``Scheduler`` (applies schedules to a torch optimizer) and ``ReduceOnPlateau`` (a
metric-driven controller) live in ``trainwise.adapter`` and are importable from here;
importing this module alone does not import torch.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "SCHEDULES", "ReduceOnPlateau", "Schedule", "Scheduler", "available", "constant", "cosine", "custom",
    "cyclic", "exponential", "from_function", "from_spec", "inv", "inverse_time", "join", "linear", "multistep",
    "one_cycle", "one_cycle_momentum", "one_cycle_policy", "per_epoch", "poly", "sgdr", "sigmoid", "step_decay",
    "warmup",
]


# ---------------------------------------------------------------- argument checks


def _number(name: str, value: Any, *, positive: bool = False, nonnegative: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {name}={value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {name}={value!r}")
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {name}={value!r}")
    return float(value)


def _count(name: str, value: Any, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {name}={value!r}")
    return int(value)


def _choice(name: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {name}={value!r}")
    return value


def _schedule(name: str, value: Any) -> Schedule:
    if not isinstance(value, Schedule):
        raise TypeError(f"{name} must be a Schedule, got {name}={value!r}")
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Schedule):
        return value.describe()
    if isinstance(value, tuple):
        return [_jsonable(item) for item in value]
    if callable(value):
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', repr(value))}"
    return value


# ---------------------------------------------------------------- base class


class Schedule:
    """A hyperparameter value as a pure function of the step.

    Subclasses are frozen dataclasses that implement ``_value(step)`` for a checked
    ``step``; ``name`` is the label used in reports.
    """

    name: ClassVar[str] = "schedule"

    def _value(self, step: int) -> float:
        raise NotImplementedError

    def __call__(self, step: int) -> float:
        """The value for ``step``; ValueError for a negative or non-integer step."""
        return float(self._value(_count("step", step, minimum=0)))

    def values(self, n: int) -> list[float]:
        """The values for steps ``0 .. n-1``.

        >>> constant(0.5).values(3)
        [0.5, 0.5, 0.5]
        """
        return [self(step) for step in range(_count("n", n, minimum=0))]

    def describe(self) -> dict[str, Any]:
        """JSON-able name and parameters, for reports.

        >>> step_decay(0.1, every=30, factor=0.5).describe()
        {'name': 'step_decay', 'value': 0.1, 'every': 30, 'factor': 0.5}
        """
        params = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self) if f.init}
        return {"name": self.name, **params}


# ---------------------------------------------------------------- closed-form schedules


@dataclass(frozen=True)
class _Constant(Schedule):
    name: ClassVar[str] = "constant"
    value: float

    def _value(self, step: int) -> float:
        return self.value


@dataclass(frozen=True)
class _Linear(Schedule):
    name: ClassVar[str] = "linear"
    start_value: float
    end_value: float
    steps: int

    def _value(self, step: int) -> float:
        return self.start_value + (self.end_value - self.start_value) * min(step, self.steps) / self.steps


@dataclass(frozen=True)
class _StepDecay(Schedule):
    name: ClassVar[str] = "step_decay"
    value: float
    every: int
    factor: float

    def _value(self, step: int) -> float:
        return self.value * self.factor ** (step // self.every)


@dataclass(frozen=True)
class _MultiStep(Schedule):
    name: ClassVar[str] = "multistep"
    value: float
    milestones: tuple[int, ...]
    factor: float

    def _value(self, step: int) -> float:
        return self.value * self.factor ** bisect.bisect_right(self.milestones, step)


@dataclass(frozen=True)
class _Exponential(Schedule):
    name: ClassVar[str] = "exponential"
    value: float
    gamma: float

    def _value(self, step: int) -> float:
        return self.value * self.gamma**step


@dataclass(frozen=True)
class _InverseTime(Schedule):
    name: ClassVar[str] = "inverse_time"
    value: float
    k: float

    def _value(self, step: int) -> float:
        return self.value / (1.0 + self.k * step)


@dataclass(frozen=True)
class _Inv(Schedule):
    name: ClassVar[str] = "inv"
    value: float
    gamma: float
    power: float

    def _value(self, step: int) -> float:
        return self.value * (1.0 + self.gamma * step) ** -self.power


@dataclass(frozen=True)
class _Poly(Schedule):
    name: ClassVar[str] = "poly"
    value: float
    total_steps: int
    power: float
    end_value: float

    def _value(self, step: int) -> float:
        remaining = 1.0 - min(step, self.total_steps) / self.total_steps
        return (self.value - self.end_value) * remaining**self.power + self.end_value


@dataclass(frozen=True)
class _Sigmoid(Schedule):
    name: ClassVar[str] = "sigmoid"
    value: float
    k: float
    center: float

    def _value(self, step: int) -> float:
        z = self.k * (step - self.center)
        # Two algebraically equal forms, so that exp never overflows.
        if z > 0:
            e = math.exp(-z)
            return self.value * e / (1.0 + e)
        return self.value / (1.0 + math.exp(z))


def _cos_anneal(start: float, end: float, pct: float) -> float:
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1.0)


def _linear_anneal(start: float, end: float, pct: float) -> float:
    return (end - start) * pct + start


_ANNEALS = {"cos": _cos_anneal, "linear": _linear_anneal}


@dataclass(frozen=True)
class _Cosine(Schedule):
    name: ClassVar[str] = "cosine"
    value: float
    total_steps: int
    final_value: float

    def _value(self, step: int) -> float:
        return _cos_anneal(self.value, self.final_value, min(step, self.total_steps) / self.total_steps)


@dataclass(frozen=True)
class _SGDR(Schedule):
    name: ClassVar[str] = "sgdr"
    value: float
    cycle_steps: int
    cycle_mult: int
    final_value: float
    decay: float

    def _value(self, step: int) -> float:
        # Integer walk over the cycles (logarithmically many): no float log, so a
        # restart falls exactly on the step where the previous cycle ends.
        cycle, length = 0, self.cycle_steps
        if self.cycle_mult == 1:
            cycle, step = divmod(step, length)
        else:
            while step >= length:
                step -= length
                length *= self.cycle_mult
                cycle += 1
        return _cos_anneal(self.value * self.decay**cycle, self.final_value, step / length)


@dataclass(frozen=True)
class _Cyclic(Schedule):
    name: ClassVar[str] = "cyclic"
    base_value: float
    max_value: float
    step_size_up: int
    step_size_down: int
    mode: str
    gamma: float

    def _value(self, step: int) -> float:
        period = self.step_size_up + self.step_size_down
        cycle, pos = divmod(step, period)
        if pos <= self.step_size_up:
            height = pos / self.step_size_up
        else:
            height = (period - pos) / self.step_size_down
        if self.mode == "triangular":
            amplitude = 1.0
        elif self.mode == "triangular2":
            amplitude = 0.5**cycle
        else:  # exp_range
            amplitude = self.gamma**step
        return self.base_value + (self.max_value - self.base_value) * height * amplitude


@dataclass(frozen=True)
class _OneCycle(Schedule):
    """Anneal start -> peak -> final (three_phase: start -> peak -> start -> final)."""

    name: ClassVar[str] = "one_cycle"
    start_value: float
    peak_value: float
    final_value: float
    total_steps: int
    pct_start: float
    anneal: str
    three_phase: bool

    def phases(self) -> list[tuple[float, float, float]]:
        """``(end_step, start, end)`` per phase, with torch OneCycleLR's boundaries."""
        up_end = float(self.pct_start * self.total_steps) - 1
        last = self.total_steps - 1
        if not self.three_phase:
            return [(up_end, self.start_value, self.peak_value), (last, self.peak_value, self.final_value)]
        down_end = float(2 * self.pct_start * self.total_steps) - 2
        return [
            (up_end, self.start_value, self.peak_value),
            (down_end, self.peak_value, self.start_value),
            (last, self.start_value, self.final_value),
        ]

    def _value(self, step: int) -> float:
        phases = self.phases()
        begin = 0.0
        for i, (end, start_value, end_value) in enumerate(phases):
            if step <= end or i == len(phases) - 1:
                break
            begin = end
        pct = min(1.0, (step - begin) / (end - begin))
        return _ANNEALS[self.anneal](start_value, end_value, pct)


# ---------------------------------------------------------------- composites


@dataclass(frozen=True)
class _Warmup(Schedule):
    name: ClassVar[str] = "warmup"
    schedule: Schedule
    warmup_steps: int
    start_value: float

    def _value(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.start_value + (self.schedule(0) - self.start_value) * step / self.warmup_steps
        return self.schedule(step - self.warmup_steps)


@dataclass(frozen=True)
class _Join(Schedule):
    name: ClassVar[str] = "join"
    schedules: tuple[Schedule, ...]
    boundaries: tuple[int, ...]

    def _value(self, step: int) -> float:
        i = bisect.bisect_right(self.boundaries, step)
        return self.schedules[i](step - (self.boundaries[i - 1] if i else 0))


@dataclass(frozen=True)
class _PerEpoch(Schedule):
    name: ClassVar[str] = "per_epoch"
    schedule: Schedule
    steps_per_epoch: int

    def _value(self, step: int) -> float:
        return self.schedule(step // self.steps_per_epoch)


def _checked_output(fn: Callable, value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"fn={fn!r} returned {value!r} at {where}; a schedule value must be a finite float")
    return float(value)


@dataclass(frozen=True)
class _FromFunction(Schedule):
    name: ClassVar[str] = "from_function"
    fn: Callable[[int], float]

    def _value(self, step: int) -> float:
        return _checked_output(self.fn, self.fn(step), f"step={step}")


@dataclass(frozen=True)
class _Custom(Schedule):
    name: ClassVar[str] = "custom"
    fn: Callable[[int, float], float]
    initial_value: float
    # lr_e for epochs 0..len-1, filled on demand: the fold is computed once per epoch.
    _memo: list[float] = field(default_factory=list, init=False, repr=False, compare=False)

    def _value(self, step: int) -> float:
        memo = self._memo
        while len(memo) <= step:
            epoch = len(memo)
            previous = memo[-1] if memo else self.initial_value
            memo.append(_checked_output(self.fn, self.fn(epoch, previous), f"epoch={epoch}"))
        return memo[step]


# ---------------------------------------------------------------- factories


def constant(value: float) -> Schedule:
    """``value`` at every step.

    >>> constant(3e-4)(1000)
    0.0003
    """
    return _Constant(_number("value", value))


def linear(start_value: float, end_value: float, *, steps: int) -> Schedule:
    """``start + (end - start) * min(t, steps) / steps``: a ramp, then ``end_value``.

    >>> linear(1.0, 0.0, steps=4).values(6)
    [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """
    return _Linear(_number("start_value", start_value), _number("end_value", end_value), _count("steps", steps))


def step_decay(value: float, *, every: int, factor: float) -> Schedule:
    """``value * factor ** (t // every)`` (torch ``StepLR``).

    >>> step_decay(1.0, every=2, factor=0.5).values(5)
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    return _StepDecay(_number("value", value), _count("every", every), _number("factor", factor, positive=True))


def multistep(value: float, *, milestones: Sequence[int], factor: float) -> Schedule:
    """``value * factor ** (number of milestones <= t)`` (torch ``MultiStepLR``).

    ``milestones`` must be strictly increasing non-negative ints.

    >>> multistep(1.0, milestones=[1, 3], factor=0.1).values(4)
    [1.0, 0.1, 0.1, 0.010000000000000002]
    """
    checked = tuple(_count("milestones", m, minimum=0) for m in milestones)
    if any(b <= a for a, b in zip(checked, checked[1:])):
        raise ValueError(f"milestones must be strictly increasing, got milestones={list(milestones)!r}")
    return _MultiStep(_number("value", value), checked, _number("factor", factor, positive=True))


def exponential(value: float, *, gamma: float | None = None, k: float | None = None) -> Schedule:
    """``value * gamma ** t``, or seed 002's ``a0 * exp(-k t)`` with ``gamma = exp(-k)``.

    Give exactly one of ``gamma`` and ``k``. Same values as torch ``ExponentialLR``.

    >>> exponential(1.0, gamma=0.5).values(3)
    [1.0, 0.5, 0.25]
    >>> round(exponential(1.0, k=math.log(2))(2), 12)
    0.25
    """
    if (gamma is None) == (k is None):
        raise ValueError(f"give exactly one of gamma and k, got gamma={gamma!r}, k={k!r}")
    if gamma is None:
        gamma = math.exp(-_number("k", k))
    return _Exponential(_number("value", value), _number("gamma", gamma, positive=True))


def inverse_time(value: float, *, k: float) -> Schedule:
    """Seed 002's 1/t decay: ``a0 / (1 + k t)``.

    >>> inverse_time(1.0, k=1.0).values(4)
    [1.0, 0.5, 0.3333333333333333, 0.25]
    """
    return _InverseTime(_number("value", value), _number("k", k, nonnegative=True))


def inv(value: float, *, gamma: float, power: float) -> Schedule:
    """Caffe's ``inv`` policy: ``a0 * (1 + gamma t) ** (-power)``.

    >>> inv(1.0, gamma=1.0, power=2.0).values(3)
    [1.0, 0.25, 0.1111111111111111]
    """
    return _Inv(
        _number("value", value), _number("gamma", gamma, nonnegative=True), _number("power", power, nonnegative=True)
    )


def poly(value: float, *, total_steps: int, power: float = 1.0, end_value: float = 0.0) -> Schedule:
    """``(value - end) * (1 - min(t, T) / T) ** power + end`` with ``T = total_steps``.

    >>> poly(1.0, total_steps=2, power=2.0).values(4)
    [1.0, 0.25, 0.0, 0.0]
    """
    return _Poly(
        _number("value", value),
        _count("total_steps", total_steps),
        _number("power", power, positive=True),
        _number("end_value", end_value),
    )


def sigmoid(value: float, *, k: float, center: float) -> Schedule:
    """``value / (1 + exp(k (t - center)))``: falls from ``value`` to 0 around ``center`` for k > 0.

    Caffe's ``sigmoid`` policy, ``base_lr / (1 + exp(-gamma (iter - stepsize)))``, is
    this schedule with ``k = -gamma`` and ``center = stepsize`` (so Caffe's rises for
    gamma > 0; ours falls for k > 0, the usual direction for a learning rate).

    >>> s = sigmoid(1.0, k=1.0, center=10)
    >>> s(10), round(s(0), 6), round(s(20), 6)
    (0.5, 0.999955, 4.5e-05)
    """
    return _Sigmoid(_number("value", value), _number("k", k), _number("center", center))


def cosine(
    value: float,
    *,
    total_steps: int,
    final_value: float = 0.0,
    warmup_steps: int = 0,
    warmup_start: float = 0.0,
) -> Schedule:
    """Cosine annealing from ``value`` to ``final_value`` at ``total_steps``, then constant.

    ``final + (value - final) * (1 + cos(pi t / T)) / 2`` for ``t <= T``; the same values
    as torch ``CosineAnnealingLR(T_max=total_steps, eta_min=final_value)`` up to T. With
    ``warmup_steps > 0`` a linear warmup from ``warmup_start`` is joined in front
    (``warmup``), and ``total_steps`` includes it: the cosine then spans
    ``total_steps - warmup_steps`` steps.

    >>> [round(v, 4) for v in cosine(1.0, total_steps=4).values(6)]
    [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    >>> cosine(1.0, total_steps=4, warmup_steps=2).values(5)
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    total_steps = _count("total_steps", total_steps)
    warmup_steps = _count("warmup_steps", warmup_steps, minimum=0)
    if total_steps <= warmup_steps:
        raise ValueError(
            f"total_steps includes warmup and must be > warmup_steps, "
            f"got total_steps={total_steps}, warmup_steps={warmup_steps}"
        )
    anneal = _Cosine(_number("value", value), total_steps - warmup_steps, _number("final_value", final_value))
    if warmup_steps == 0:
        return anneal
    return warmup(anneal, warmup_steps=warmup_steps, start_value=warmup_start)


def sgdr(
    value: float,
    *,
    cycle_steps: int,
    cycle_mult: int = 1,
    final_value: float = 0.0,
    decay: float = 1.0,
) -> Schedule:
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter).

    Cycle ``i`` lasts ``cycle_steps * cycle_mult ** i`` steps and anneals from
    ``value * decay ** i`` to ``final_value``. With ``decay=1`` the values are those of
    torch ``CosineAnnealingWarmRestarts(T_0=cycle_steps, T_mult=cycle_mult, eta_min=final_value)``.

    >>> s = sgdr(1.0, cycle_steps=2, cycle_mult=2, decay=0.5)
    >>> [round(v, 4) for v in s.values(7)]
    [1.0, 0.5, 0.5, 0.4268, 0.25, 0.0732, 0.25]
    """
    return _SGDR(
        _number("value", value),
        _count("cycle_steps", cycle_steps),
        _count("cycle_mult", cycle_mult),
        _number("final_value", final_value),
        _number("decay", decay, positive=True),
    )


_CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


def cyclic(
    base_value: float,
    max_value: float,
    *,
    step_size_up: int,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> Schedule:
    """Cyclical learning rate (Smith): a triangle wave between ``base_value`` and ``max_value``.

    Take the bounds from an LR range test (``trainwise.lr_finder``): ``max_value`` near
    the largest LR that still trains, ``base_value`` a few times smaller. With
    ``period = up + down``, ``cycle = t // period`` and ``x = t % period``, the height is
    ``x / up`` while rising and ``(period - x) / down`` while falling, and
    ``value = base + (max - base) * height * amplitude`` where the amplitude is 1
    (``triangular``), ``0.5 ** cycle`` (``triangular2``) or ``gamma ** t``
    (``exp_range``): torch ``CyclicLR`` semantics. ``step_size_down`` defaults to
    ``step_size_up``.

    >>> cyclic(0.0, 1.0, step_size_up=2).values(5)
    [0.0, 0.5, 1.0, 0.5, 0.0]
    >>> cyclic(0.0, 1.0, step_size_up=1, mode="triangular2").values(5)
    [0.0, 1.0, 0.0, 0.5, 0.0]
    """
    base_value, max_value = _number("base_value", base_value), _number("max_value", max_value)
    if base_value > max_value:
        raise ValueError(f"base_value must be <= max_value, got base_value={base_value}, max_value={max_value}")
    step_size_up = _count("step_size_up", step_size_up)
    step_size_down = step_size_up if step_size_down is None else _count("step_size_down", step_size_down)
    return _Cyclic(
        base_value,
        max_value,
        step_size_up,
        step_size_down,
        _choice("mode", mode, _CYCLIC_MODES),
        _number("gamma", gamma, positive=True),
    )


def _one_cycle(
    start: float, peak: float, final: float, total_steps: int, pct_start: float, anneal: str, three_phase: bool
) -> _OneCycle:
    total_steps = _count("total_steps", total_steps)
    pct_start = _number("pct_start", pct_start)
    if not isinstance(three_phase, bool):
        raise ValueError(f"three_phase must be a bool, got three_phase={three_phase!r}")
    # Every phase must span a positive number of steps, or torch's pct divides by zero.
    up_steps = pct_start * total_steps
    if not (0.0 < pct_start < 1.0 and up_steps > 1.0 and (not three_phase or 2 * up_steps < total_steps + 1)):
        raise ValueError(
            f"pct_start must lie in (0, 1) and give every phase a positive length (pct_start * total_steps > 1), "
            f"got pct_start={pct_start}, total_steps={total_steps}, three_phase={three_phase}"
        )
    anneal = _choice("anneal", anneal, tuple(_ANNEALS))
    return _OneCycle(start, peak, final, total_steps, pct_start, anneal, three_phase)


def one_cycle(
    max_value: float,
    *,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal: str = "cos",
    three_phase: bool = False,
) -> Schedule:
    """The 1cycle learning rate (Smith), exactly as torch ``OneCycleLR`` defines it.

    ``initial = max_value / div_factor`` and ``min = initial / final_div_factor``. The
    LR anneals (``cos`` or ``linear``) from initial to max until step
    ``pct_start * total_steps - 1``, then to min at step ``total_steps - 1`` and stays
    there. ``three_phase=True`` goes max -> initial by step ``2 * pct_start * total_steps - 2``
    and then initial -> min, as in the paper.

    >>> s = one_cycle(1.0, total_steps=10, pct_start=0.5, div_factor=10, anneal="linear")
    >>> s(0), s(2), s(4), round(s(9), 9), round(s(100), 9)
    (0.1, 0.55, 1.0, 1e-05, 1e-05)
    """
    max_value = _number("max_value", max_value)
    initial = max_value / _number("div_factor", div_factor, positive=True)
    final = initial / _number("final_div_factor", final_div_factor, positive=True)
    return _one_cycle(initial, max_value, final, total_steps, pct_start, anneal, three_phase)


def one_cycle_momentum(
    *,
    total_steps: int,
    base_value: float = 0.85,
    max_value: float = 0.95,
    pct_start: float = 0.3,
    anneal: str = "cos",
    three_phase: bool = False,
) -> Schedule:
    """Momentum cycled against the 1cycle LR (torch ``OneCycleLR``'s momentum).

    Momentum falls from ``max_value`` to ``base_value`` while the LR rises and climbs
    back while it falls (three_phase: stays at ``max_value`` in the last phase). As
    seed 002 advises, momentum is low early on, while the LR is high and the loss
    surface is rough, and high late, when progress needs the inertia.

    >>> m = one_cycle_momentum(total_steps=10, pct_start=0.5, anneal="linear")
    >>> m(0), m(4), m(9)
    (0.95, 0.85, 0.95)
    """
    base_value, max_value = _number("base_value", base_value), _number("max_value", max_value)
    if base_value > max_value:
        raise ValueError(f"base_value must be <= max_value, got base_value={base_value}, max_value={max_value}")
    return _one_cycle(max_value, base_value, max_value, total_steps, pct_start, anneal, three_phase)


def one_cycle_policy(
    max_lr: float,
    *,
    total_steps: int,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal: str = "cos",
    three_phase: bool = False,
) -> dict[str, Schedule]:
    """``{"lr": one_cycle(...), "momentum": one_cycle_momentum(...)}`` sharing their phases.

    >>> policy = one_cycle_policy(0.1, total_steps=100)
    >>> sorted(policy), round(policy["lr"](29), 6), round(policy["momentum"](29), 6)
    (['lr', 'momentum'], 0.1, 0.85)
    """
    shape = {"total_steps": total_steps, "pct_start": pct_start, "anneal": anneal, "three_phase": three_phase}
    return {
        "lr": one_cycle(max_lr, div_factor=div_factor, final_div_factor=final_div_factor, **shape),
        "momentum": one_cycle_momentum(base_value=base_momentum, max_value=max_momentum, **shape),
    }


def warmup(schedule: Schedule, *, warmup_steps: int, start_value: float = 0.0) -> Schedule:
    """Linear warmup joined in front of ``schedule``.

    ``start + (schedule(0) - start) * t / W`` for ``t < W``, then ``schedule(t - W)``.

    >>> warmup(constant(1.0), warmup_steps=4).values(6)
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    return _Warmup(
        _schedule("schedule", schedule), _count("warmup_steps", warmup_steps), _number("start_value", start_value)
    )


def join(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Run ``schedules[i]`` from ``boundaries[i-1]`` on, on its own local step.

    For ``boundaries[i-1] <= t < boundaries[i]`` the value is
    ``schedules[i](t - boundaries[i-1])``; ``boundaries`` are strictly increasing
    positive ints, one fewer than the schedules.

    >>> join([constant(1.0), linear(1.0, 0.0, steps=2)], [2]).values(5)
    [1.0, 1.0, 1.0, 0.5, 0.0]
    """
    pieces = tuple(_schedule("schedules", s) for s in schedules)
    cuts = tuple(_count("boundaries", b) for b in boundaries)
    if not pieces or len(cuts) != len(pieces) - 1:
        raise ValueError(
            f"boundaries must have one entry fewer than schedules, "
            f"got {len(cuts)} boundaries for {len(pieces)} schedules"
        )
    if any(b <= a for a, b in zip(cuts, cuts[1:])):
        raise ValueError(f"boundaries must be strictly increasing, got boundaries={list(boundaries)!r}")
    return _Join(pieces, cuts)


def per_epoch(schedule: Schedule, *, steps_per_epoch: int) -> Schedule:
    """Read ``schedule`` in epochs: ``value(t) = schedule(t // steps_per_epoch)``.

    >>> per_epoch(step_decay(1.0, every=1, factor=0.5), steps_per_epoch=2).values(5)
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    return _PerEpoch(_schedule("schedule", schedule), _count("steps_per_epoch", steps_per_epoch))


def from_function(fn: Callable[[int], float]) -> Schedule:
    """Wrap a user's pure function ``fn(step) -> float``.

    The value is checked when called: anything but a finite number raises ValueError.
    Use a module-level function if the schedule must be pickled.

    >>> from_function(abs).values(2)
    [0.0, 1.0]
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got fn={fn!r}")
    return _FromFunction(fn)


def custom(fn: Callable[[int, float], float], *, initial_value: float) -> Schedule:
    """A Keras-callback style schedule, like seed 001's custom scheduler.

    ``fn(epoch, lr) -> new lr`` is folded from epoch 0: ``lr_e = fn(e, lr_{e-1})`` with
    ``lr_{-1} = initial_value``, and ``schedule(e) = lr_e``. The step of this schedule
    is the EPOCH; wrap it in ``per_epoch`` to drive it with optimizer steps. The fold
    is memoized, so ``fn`` must be deterministic; it is the one schedule whose value
    depends on earlier values.

    >>> def halve_after_two(epoch, lr):
    ...     return lr if epoch < 2 else lr / 2
    >>> custom(halve_after_two, initial_value=1.0).values(4)
    [1.0, 1.0, 0.5, 0.25]
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got fn={fn!r}")
    return _Custom(fn, _number("initial_value", initial_value))


def __getattr__(name: str) -> Any:
    # The torch adapter is loaded on first use, so schedules alone never import torch; the names for the CLI
    # live in schedule_specs, which builds on the factories above.
    if name in ("Scheduler", "ReduceOnPlateau"):
        from trainwise import adapter

        return getattr(adapter, name)
    if name in ("SCHEDULES", "available", "from_spec"):
        from trainwise import schedule_specs

        return getattr(schedule_specs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
