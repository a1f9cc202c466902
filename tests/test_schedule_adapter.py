"""Scheduler (schedules -> torch optimizer) and ReduceOnPlateau (against torch's decisions)."""

import doctest
import math
import random

import pytest
import torch

import trainwise.adapter as adapter
from trainwise.schedules import (
    ReduceOnPlateau,
    Scheduler,
    constant,
    cosine,
    linear,
    one_cycle_policy,
    sgdr,
)


def params(n=1):
    return [torch.nn.Parameter(torch.zeros(3)) for _ in range(n)]


def run(opt, sched, steps):
    """Train-loop order: read the values in force, optimizer.step(), then sched.step()."""
    seen = []
    for _ in range(steps):
        seen.append(sched.current())
        opt.step()
        sched.step()
    return seen


def test_drives_sgd_lr_and_momentum():
    opt = torch.optim.SGD(params(), lr=0.5, momentum=0.9)
    policy = one_cycle_policy(0.5, total_steps=40)
    sched = Scheduler(opt, policy)
    assert sched.schedules == policy
    seen = run(opt, sched, 40)
    for t, values in enumerate(seen):
        assert values == {"lr": [policy["lr"](t)], "momentum": [policy["momentum"](t)]}


def test_adam_momentum_is_beta1_and_beta2_is_schedulable():
    opt = torch.optim.Adam(params(), lr=1e-3)
    sched = Scheduler(opt, {"momentum": linear(0.95, 0.85, steps=10), "beta2": constant(0.98)})
    for _ in range(10):
        sched.step()
    assert opt.param_groups[0]["betas"] == pytest.approx((0.85, 0.98))
    assert opt.param_groups[0]["lr"] == 1e-3  # not scheduled, untouched
    beta1 = Scheduler(opt, {"beta1": constant(0.7)})
    assert beta1.current() == {"beta1": [0.7]}


def test_weight_decay_is_scheduled():
    opt = torch.optim.AdamW(params(), lr=1e-3, weight_decay=0.1)
    sched = Scheduler(opt, {"weight_decay": cosine(0.1, total_steps=10, final_value=0.01)}, step=10)
    assert opt.param_groups[0]["weight_decay"] == pytest.approx(0.01)
    assert sched.current_step == 10


def test_per_group_lists_and_ratio_keeping():
    backbone, head = params(2)
    groups = [{"params": [backbone], "lr": 0.01}, {"params": [head], "lr": 0.1}]
    s = linear(1.0, 0.0, steps=10)

    opt = torch.optim.SGD(groups, lr=1.0)
    Scheduler(opt, s, step=5)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.5, 5.0])  # ratio 10 kept

    opt = torch.optim.SGD(groups, lr=1.0)
    Scheduler(opt, s, step=5, scale_groups=False)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.5, 0.5])

    opt = torch.optim.SGD(groups, lr=1.0)
    Scheduler(opt, [constant(0.3), s], step=5)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.3, 0.5])


def test_ratio_is_one_when_first_group_starts_at_zero():
    opt = torch.optim.SGD([{"params": params(), "lr": 0.0}, {"params": params(), "lr": 0.1}], lr=1.0)
    Scheduler(opt, constant(0.2))
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.2]


def test_resume_by_step_equals_uninterrupted_run():
    def fresh():
        opt = torch.optim.SGD([{"params": params(), "lr": 0.1}, {"params": params(), "lr": 0.05}], momentum=0.9)
        return opt

    schedules = {"lr": sgdr(0.1, cycle_steps=7, cycle_mult=2), "momentum": linear(0.85, 0.95, steps=30)}
    opt = fresh()
    full = run(opt, Scheduler(opt, schedules), 60)

    opt = fresh()
    first = Scheduler(opt, schedules)
    run(opt, first, 25)
    first.multiply("lr", 1.0)
    state = first.state_dict()
    assert state == {"step": 25, "multipliers": {"lr": 1.0, "momentum": 1.0}}

    for resumed in ("set_step", "load_state_dict", "constructor"):
        opt = fresh()
        if resumed == "constructor":
            sched = Scheduler(opt, schedules, step=25)
        else:
            sched = Scheduler(opt, schedules)
            sched.set_step(25) if resumed == "set_step" else sched.load_state_dict(state)
        assert run(opt, sched, 35) == full[25:]


def test_multiplier_scales_and_survives_state_dict():
    opt = torch.optim.SGD(params(), lr=1.0)
    sched = Scheduler(opt, constant(0.2))
    sched.multiply("lr", 0.5)
    assert opt.param_groups[0]["lr"] == 0.1
    sched.multiply("lr", 0.25)  # replaces, does not compound
    assert opt.param_groups[0]["lr"] == 0.05
    again = Scheduler(torch.optim.SGD(params(), lr=1.0), constant(0.2))
    again.load_state_dict(sched.state_dict())
    assert again.current() == {"lr": [0.05]} and again.multipliers == {"lr": 0.25}
    with pytest.raises(ValueError, match="momentum"):
        sched.multiply("momentum", 0.5)
    with pytest.raises(ValueError, match="factor"):
        sched.multiply("lr", math.nan)
    with pytest.raises(ValueError, match="weight_decay"):
        sched.load_state_dict({"step": 0, "multipliers": {"weight_decay": 1.0}})


def test_tensor_lr_is_filled_in_place():
    lr = torch.tensor(0.01)
    opt = torch.optim.Adam(params(), lr=lr)
    Scheduler(opt, constant(0.003))
    assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.003)


def test_bad_hyperparameter_name_lists_the_groups_keys():
    opt = torch.optim.SGD(params(), lr=0.1)
    with pytest.raises(ValueError, match="'beta1'.*lr.*momentum"):
        Scheduler(opt, {"beta1": constant(0.9)})
    with pytest.raises(ValueError, match="nesterov"):
        Scheduler(opt, {"nesterov": constant(1.0)})
    with pytest.raises(ValueError, match="betas"):
        Scheduler(torch.optim.Adam(params()), {"betas": constant(0.9)})


def test_bad_arguments():
    with pytest.raises(TypeError, match="Optimizer"):
        Scheduler([torch.zeros(1)], constant(0.1))
    opt = torch.optim.SGD([{"params": params()}, {"params": params()}], lr=0.1)
    with pytest.raises(ValueError, match="3 schedules for 2 param groups"):
        Scheduler(opt, [constant(0.1)] * 3)
    with pytest.raises(TypeError, match="lr"):
        Scheduler(opt, {"lr": 0.1})
    with pytest.raises(ValueError, match="step"):
        Scheduler(opt, constant(0.1), step=-1)


# ---------------------------------------------------------------- ReduceOnPlateau vs torch


def torch_scales(metrics, **options):
    """The LR torch's ReduceLROnPlateau leaves after each metric, starting from lr=1.

    The configurations keep lr above 1e-7, where torch's eps (a floor on the size of a
    reduction, in LR units) never decides; ReduceOnPlateau has no such floor.
    """
    opt = torch.optim.SGD(params(), lr=1.0)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
    out = []
    for metric in metrics:
        plateau.step(metric)
        out.append(opt.param_groups[0]["lr"])
    return out


def noisy_plateaus(seed, n=80):
    rng = random.Random(seed)
    level, out = 1.0, []
    for i in range(n):
        if rng.random() < 0.15:
            level *= 0.9  # an occasional real improvement
        out.append(math.nan if i in (20, 21) else level * (1 + 0.01 * rng.random()))
    return out


CONFIGS = [
    {},
    {"factor": 0.5, "patience": 2},
    {"factor": 0.5, "patience": 3, "cooldown": 4},
    {"factor": 0.7, "patience": 1, "threshold": 0.02, "threshold_mode": "abs"},
    {"factor": 0.1, "patience": 0, "min_lr": 1e-3},
    {"factor": 0.7, "patience": 2, "mode": "max", "threshold": 0.001},
    {"factor": 0.7, "patience": 1, "mode": "max", "threshold_mode": "abs", "cooldown": 1},
]


@pytest.mark.parametrize("options", CONFIGS)
@pytest.mark.parametrize("seed", [0, 1])
def test_plateau_multipliers_match_torch(options, seed):
    metrics = noisy_plateaus(seed)
    if options.get("mode") == "max":
        metrics = [-m for m in metrics]
    ours_options = {("min_scale" if k == "min_lr" else k): v for k, v in options.items()}
    plateau = ReduceOnPlateau(**ours_options)
    # approx: at min_scale torch may keep lr one rounding error above min_lr (its eps rule).
    assert [plateau.update(m) for m in metrics] == pytest.approx(torch_scales(metrics, **options), rel=1e-12)


def test_plateau_nan_is_not_improvement_and_state_round_trips():
    plateau = ReduceOnPlateau(factor=0.5, patience=1)
    assert [plateau.update(m) for m in [1.0, math.nan, math.nan]] == [1.0, 1.0, 0.5]
    metrics = noisy_plateaus(3)
    full = ReduceOnPlateau(factor=0.5, patience=2, cooldown=2)
    expected = [full.update(m) for m in metrics]
    first = ReduceOnPlateau(factor=0.5, patience=2, cooldown=2)
    head = [first.update(m) for m in metrics[:37]]
    second = ReduceOnPlateau(factor=0.5, patience=2, cooldown=2)
    second.load_state_dict(first.state_dict())
    assert head + [second.update(m) for m in metrics[37:]] == expected
    with pytest.raises(ValueError, match="scale"):
        second.load_state_dict({"best": 1.0})


@pytest.mark.parametrize(
    ("options", "argname"),
    [
        ({"factor": 1.0}, "factor"),
        ({"factor": 0.0}, "factor"),
        ({"patience": -1}, "patience"),
        ({"patience": 1.5}, "patience"),
        ({"threshold": -0.1}, "threshold"),
        ({"threshold_mode": "percent"}, "threshold_mode"),
        ({"mode": "lowest"}, "mode"),
        ({"cooldown": -2}, "cooldown"),
        ({"min_scale": 2.0}, "min_scale"),
    ],
)
def test_plateau_bad_arguments(options, argname):
    with pytest.raises(ValueError, match=argname):
        ReduceOnPlateau(**options)


def test_docstring_examples_run():
    result = doctest.testmod(adapter)
    assert result.attempted > 5 and result.failed == 0
