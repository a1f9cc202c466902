"""Schedules by name: ``fit(schedule="cosine")`` and the CLI's ``--schedule "sgdr:cycle_steps=200"``.

:func:`from_spec` turns a string into the schedules of :mod:`trainwise.schedules`, filling each factory's
arguments from the run's length; :data:`SCHEDULES` is the registry of names. Both are importable from
``trainwise.schedules`` too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from trainwise.schedules import (
    Schedule,
    _count,
    _number,
    constant,
    cosine,
    cyclic,
    exponential,
    inv,
    inverse_time,
    linear,
    multistep,
    one_cycle_policy,
    per_epoch,
    poly,
    sgdr,
    sigmoid,
    step_decay,
)

__all__ = ["SCHEDULES", "available", "from_spec"]

SCHEDULES: dict[str, Callable[..., Schedule | dict[str, Schedule]]] = {
    "constant": constant,
    "linear": linear,
    "step": step_decay,
    "multistep": multistep,
    "exp": exponential,
    "inverse_time": inverse_time,
    "inv": inv,
    "poly": poly,
    "sigmoid": sigmoid,
    "cosine": cosine,
    "warmup_cosine": cosine,
    "sgdr": sgdr,
    "cyclic": cyclic,
    "onecycle": one_cycle_policy,
}

# Default arguments per spec name, from (total_steps, value, epochs, options given).
# They are documented in from_spec's docstring; keep the two in step.
_SPEC_DEFAULTS: dict[str, Callable[[int, float, int, dict], dict[str, Any]]] = {
    "constant": lambda T, v, E, given: {"value": v},
    "linear": lambda T, v, E, given: {"start_value": v, "end_value": 0.0, "steps": T},
    "step": lambda T, v, E, given: {"value": v, "every": max(1, E // 5), "factor": 0.5},
    "multistep": lambda T, v, E, given: {"value": v, "milestones": (max(1, E // 2), max(2, 3 * E // 4)), "factor": 0.1},
    # A given k or gamma replaces the default gamma (the factory takes exactly one).
    "exp": lambda T, v, E, given: {"value": v, **({} if {"gamma", "k"} & set(given) else {"gamma": 0.01 ** (1 / T)})},
    "inverse_time": lambda T, v, E, given: {"value": v, "k": 9.0 / T},
    "inv": lambda T, v, E, given: {"value": v, "gamma": (10 ** (4 / 3) - 1) / T, "power": 0.75},
    "poly": lambda T, v, E, given: {"value": v, "total_steps": T},
    "sigmoid": lambda T, v, E, given: {"value": v, "k": 10.0 / T, "center": T / 2},
    "cosine": lambda T, v, E, given: {"value": v, "total_steps": T},
    "warmup_cosine": lambda T, v, E, given: {"value": v, "total_steps": T, "warmup_steps": min(T // 20 or 1, T - 1)},
    "sgdr": lambda T, v, E, given: {"value": v, "cycle_steps": max(1, -(-T // 7)), "cycle_mult": 2},
    "cyclic": lambda T, v, E, given: {"base_value": v / 10, "max_value": v, "step_size_up": max(1, T // 8)},
    "onecycle": lambda T, v, E, given: {"max_lr": v, "total_steps": T},
}

# Specs whose step counts are in epochs ("every N epochs"), read through per_epoch.
_EPOCH_SPECS = ("step", "multistep")

_INT_OPTIONS = {
    "steps", "every", "total_steps", "warmup_steps", "cycle_steps", "cycle_mult", "step_size_up", "step_size_down",
}  # fmt: skip


def _parse_option(schedule: str, key: str, text: str) -> Any:
    try:
        if key in _INT_OPTIONS:
            return int(text)
        if key == "milestones":
            return tuple(int(part) for part in text.split("/"))
        if key == "three_phase":
            return {"true": True, "false": False}[text.lower()]
        if key in ("mode", "anneal"):
            return text
        return float(text)
    except (ValueError, KeyError):
        kind = {"milestones": "ints separated by '/'", "three_phase": "true or false"}.get(
            key, "an int" if key in _INT_OPTIONS else "a number"
        )
        raise ValueError(f"option {key}={text!r} of schedule {schedule!r} must be {kind}") from None


def available() -> list[str]:
    """The schedule names ``from_spec`` accepts.

    >>> "sgdr" in available()
    True
    """
    return sorted(SCHEDULES)


def from_spec(spec: str, *, total_steps: int, value: float, steps_per_epoch: int = 1) -> dict[str, Schedule]:
    """Build schedules from a CLI string ``"name"`` or ``"name:key=val,key=val"``.

    Returns ``{"lr": schedule}``, plus ``"momentum"`` for ``onecycle``. ``value`` is the
    base (or peak) LR and fills the factory's first argument; ``T = total_steps``,
    ``E = T // steps_per_epoch`` epochs (at least 1). Any keyword of the factory in
    ``SCHEDULES`` may be set; defaults:

    - ``constant``: value. ``linear`` and ``poly``: from value down to 0 at T (poly: power 1).
    - ``step``: ``every=max(1, E//5)`` epochs, ``factor=0.5`` (halve every fifth of the run).
    - ``multistep``: ``milestones=E//2/(3E//4)`` epochs (``"100/200"`` form), ``factor=0.1``.
      For ``step`` and ``multistep``, ``every`` and ``milestones`` are in EPOCHS.
    - ``exp``: ``gamma = 0.01 ** (1/T)`` (falls 100x over the run), or give ``gamma`` or ``k``.
    - ``inverse_time``: ``k = 9/T`` (10x lower at T); ``inv``: ``power=0.75`` with gamma
      giving 10x lower at T; ``sigmoid``: ``center=T/2``, ``k=10/T``.
    - ``cosine``: to 0 at T; ``warmup_cosine``: the same after ``warmup_steps=T//20`` (at least 1 when T > 1).
    - ``sgdr``: ``cycle_steps=ceil(T/7)``, ``cycle_mult=2``: three cycles (1+2+4 = 7) fill the run and it ends near the bottom of the third, never on a fresh restart.
    - ``cyclic``: ``base_value=value/10``, ``max_value=value``, ``step_size_up=T//8`` (four cycles).
    - ``onecycle``: torch OneCycleLR's defaults, LR peaking at ``value``, with momentum.

    An unknown name, option or ill-typed option raises ValueError listing the valid ones.

    >>> s = from_spec("sgdr:cycle_steps=200,cycle_mult=2", total_steps=1400, value=0.1)
    >>> s["lr"].describe()["cycle_steps"], s["lr"](200)
    (200, 0.1)
    >>> from_spec("step:every=3,factor=0.5", total_steps=100, value=1.0, steps_per_epoch=10)["lr"](30)
    0.5
    """
    total_steps = _count("total_steps", total_steps)
    value = _number("value", value)
    steps_per_epoch = _count("steps_per_epoch", steps_per_epoch)
    name, _, options_text = spec.partition(":")
    name = name.strip()
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; valid schedules: {', '.join(available())}")
    factory = SCHEDULES[name]
    valid = list(inspect.signature(factory).parameters)
    given: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in options_text.split(","))):
        key, eq, text = (part.strip() for part in item.partition("="))
        if not eq or key not in valid:
            raise ValueError(
                f"unknown option {item!r} for schedule {name!r}; valid options: {', '.join(valid)} (as key=value)"
            )
        given[key] = _parse_option(name, key, text)
    epochs = max(1, total_steps // steps_per_epoch)
    built = factory(**{**_SPEC_DEFAULTS[name](total_steps, value, epochs, given), **given})
    if isinstance(built, dict):
        return built
    if name in _EPOCH_SPECS:
        built = per_epoch(built, steps_per_epoch=steps_per_epoch)
    return {"lr": built}
