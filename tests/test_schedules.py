"""Schedules: independent formulas at the edges, torch's schedulers, the contract battery."""

import doctest
import json
import math
import pickle

import numpy as np
import pytest
import torch

import trainwise.schedule_specs as schedule_specs
import trainwise.schedules as S
from trainwise.schedules import (
    constant,
    cosine,
    custom,
    cyclic,
    exponential,
    from_function,
    from_spec,
    inv,
    inverse_time,
    join,
    linear,
    multistep,
    one_cycle,
    one_cycle_momentum,
    one_cycle_policy,
    per_epoch,
    poly,
    sgdr,
    sigmoid,
    step_decay,
    warmup,
)


def halve_from_epoch_3(epoch, lr):
    return lr / 2 if epoch >= 3 else lr


def square_root_decay(step):
    return 1.0 / math.sqrt(1.0 + step)


# ---------------------------------------------------------------- independent formulas at the edges


def test_constant_and_linear_edges():
    assert constant(0.3).values(3) == [0.3, 0.3, 0.3]
    s = linear(0.2, 1.0, steps=10)
    assert s(0) == 0.2
    assert s(5) == pytest.approx(0.6)
    assert s(10) == 1.0
    assert s(11) == 1.0 and s(10**9) == 1.0


def test_step_decay_and_multistep_at_boundaries():
    s = step_decay(0.1, every=5, factor=0.5)
    assert [s(4), s(5), s(9), s(10)] == pytest.approx([0.1, 0.05, 0.05, 0.025])
    m = multistep(1.0, milestones=[3, 7], factor=0.1)
    assert [m(0), m(2), m(3), m(6), m(7), m(1000)] == pytest.approx([1, 1, 0.1, 0.1, 0.01, 0.01])


def test_exponential_gamma_and_k_are_the_same_decay():
    k = 0.01
    for t in (0, 1, 100, 1000):
        assert exponential(0.5, k=k)(t) == pytest.approx(0.5 * math.exp(-k * t), rel=1e-12)
        assert exponential(0.5, gamma=math.exp(-k))(t) == pytest.approx(0.5 * math.exp(-k * t), rel=1e-12)


def test_inverse_time_inv_poly_formulas():
    for t in (0, 1, 50, 500):
        assert inverse_time(0.1, k=0.02)(t) == pytest.approx(0.1 / (1 + 0.02 * t))
        assert inv(0.1, gamma=1e-3, power=0.75)(t) == pytest.approx(0.1 * (1 + 1e-3 * t) ** -0.75)
    p = poly(1.0, total_steps=100, power=2.0, end_value=0.1)
    assert p(0) == 1.0
    assert p(50) == pytest.approx(0.9 * 0.25 + 0.1)
    assert p(100) == pytest.approx(0.1) and p(101) == pytest.approx(0.1)


def test_sigmoid_center_direction_and_no_overflow():
    s = sigmoid(2.0, k=0.5, center=20)
    assert s(20) == 1.0
    assert s(0) == pytest.approx(2.0 / (1 + math.exp(-10)))
    assert s(10**6) == 0.0
    # Caffe's sigmoid policy (rising for gamma > 0) is k = -gamma.
    caffe = sigmoid(2.0, k=-0.5, center=20)
    assert caffe(30) == pytest.approx(2.0 / (1 + math.exp(-0.5 * 10)))
    assert caffe(10**6) == 2.0


def test_cosine_with_warmup_edges():
    s = cosine(1.0, total_steps=110, final_value=0.1, warmup_steps=10, warmup_start=0.2)
    assert s(0) == 0.2
    assert s(5) == pytest.approx(0.2 + 0.8 * 5 / 10)
    assert s(10) == 1.0  # end of warmup: the peak
    assert s(60) == pytest.approx(0.55)  # half-way down the cosine
    assert s(109) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi * 99 / 100)) / 2)
    assert s(110) == 0.1 and s(10**6) == 0.1


def test_sgdr_restarts_land_on_integer_boundaries():
    s = sgdr(1.0, cycle_steps=10, cycle_mult=2, final_value=0.0, decay=0.5)
    # Cycles of 10, 20, 40 steps start at 0, 10, 30, 70.
    assert [s(0), s(10), s(30), s(70)] == [1.0, 0.5, 0.25, 0.125]
    assert s(29) == pytest.approx(0.5 * (1 + math.cos(math.pi * 19 / 20)) / 2)
    assert s(50) == pytest.approx(0.25 * 0.5)
    # A very late step: cycle i starts at 10 * (2**i - 1).
    i = 40
    assert s(10 * (2**i - 1)) == 0.5**i


def test_cyclic_modes_at_peaks_and_troughs():
    tri = cyclic(0.1, 1.0, step_size_up=4, step_size_down=6)
    assert [tri(0), tri(4), tri(10), tri(14)] == pytest.approx([0.1, 1.0, 0.1, 1.0])
    assert tri(7) == pytest.approx(0.1 + 0.9 * 3 / 6)
    tri2 = cyclic(0.1, 1.0, step_size_up=4, mode="triangular2")
    assert [tri2(4), tri2(12), tri2(20)] == pytest.approx([1.0, 0.1 + 0.45, 0.1 + 0.225])
    exp = cyclic(0.1, 1.0, step_size_up=4, mode="exp_range", gamma=0.99)
    assert exp(12) == pytest.approx(0.1 + 0.9 * 0.99**12)


def test_one_cycle_edges():
    s = one_cycle(0.1, total_steps=100, pct_start=0.25, div_factor=10, final_div_factor=100)
    assert s(0) == pytest.approx(0.01)
    assert s(24) == pytest.approx(0.1)  # the peak: step pct_start * total_steps - 1
    assert s(99) == pytest.approx(1e-4)  # the last step reaches the minimum
    assert s(100) == pytest.approx(1e-4) and s(10**6) == pytest.approx(1e-4)
    m = one_cycle_momentum(total_steps=100, pct_start=0.25, base_value=0.8, max_value=0.9)
    assert [m(0), m(24), m(99), m(500)] == pytest.approx([0.9, 0.8, 0.9, 0.9])
    three = one_cycle(0.1, total_steps=100, pct_start=0.25, div_factor=10, three_phase=True, anneal="linear")
    assert [three(24), three(48), three(99)] == pytest.approx([0.1, 0.01, 0.01 / 1e4])


def test_one_cycle_policy_pairs_lr_and_momentum():
    policy = one_cycle_policy(0.1, total_steps=50, base_momentum=0.8, max_momentum=0.9)
    assert set(policy) == {"lr", "momentum"}
    assert policy["lr"](0) == pytest.approx(0.1 / 25)
    assert policy["momentum"](0) == pytest.approx(0.9)


def test_warmup_join_per_epoch():
    w = warmup(constant(1.0), warmup_steps=4, start_value=0.2)
    assert w.values(6) == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.0])
    j = join([constant(1.0), linear(1.0, 0.0, steps=10), constant(0.5)], [5, 15])
    assert [j(4), j(5), j(10), j(14), j(15), j(99)] == pytest.approx([1.0, 1.0, 0.5, 0.1, 0.5, 0.5])
    e = per_epoch(step_decay(1.0, every=2, factor=0.1), steps_per_epoch=3)
    assert [e(5), e(6), e(11), e(12)] == pytest.approx([1.0, 0.1, 0.1, 0.01])


def test_custom_folds_keras_style_once_per_epoch():
    calls = []

    def fn(epoch, lr):
        calls.append(epoch)
        return lr * 0.5 if epoch >= 2 else lr

    s = custom(fn, initial_value=0.8)
    assert s.values(5) == [0.8, 0.8, 0.4, 0.2, 0.1]
    assert s(3) == 0.2 and s(1) == 0.8
    assert calls == [0, 1, 2, 3, 4]  # memoized: a later query does not refold


def test_user_functions_must_return_finite_floats():
    assert from_function(square_root_decay)(3) == 0.5
    with pytest.raises(ValueError, match="step=2"):
        from_function(lambda t: math.nan if t == 2 else 1.0)(2)
    with pytest.raises(ValueError, match="epoch=0"):
        custom(lambda e, lr: "fast", initial_value=1.0)(0)
    with pytest.raises(TypeError, match="fn"):
        from_function(3.0)


# ---------------------------------------------------------------- against torch.optim.lr_scheduler


def torch_trace(make, n, *, optimizer="sgd", lr=0.1):
    """LR and momentum of torch's scheduler at steps 0..n-1, read from the param group."""
    param = torch.nn.Parameter(torch.zeros(2))
    if optimizer == "sgd":
        opt = torch.optim.SGD([param], lr=lr, momentum=0.9)
    else:
        opt = torch.optim.Adam([param], lr=lr)
    sched = make(opt)
    lrs, momenta = [], []
    for _ in range(n):
        group = opt.param_groups[0]
        lrs.append(group["lr"])
        momenta.append(group["momentum"] if "momentum" in group else group["betas"][0])
        opt.step()
        sched.step()
    return lrs, momenta


def assert_same(ours, theirs):
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-10)


lr_scheduler = torch.optim.lr_scheduler


def test_cosine_matches_torch():
    theirs, _ = torch_trace(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=300, eta_min=0.002), 301)
    assert_same(cosine(0.1, total_steps=300, final_value=0.002).values(301), theirs)


@pytest.mark.parametrize("cycle_mult", [1, 2])
def test_sgdr_matches_torch(cycle_mult):
    make = lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=13, T_mult=cycle_mult, eta_min=0.001)  # noqa: E731
    theirs, _ = torch_trace(make, 400)
    assert_same(sgdr(0.1, cycle_steps=13, cycle_mult=cycle_mult, final_value=0.001).values(400), theirs)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_matches_torch(optimizer, anneal, three_phase):
    options = {"total_steps": 250, "pct_start": 0.3, "three_phase": three_phase}

    def make(opt):
        return lr_scheduler.OneCycleLR(
            opt, max_lr=0.5, anneal_strategy=anneal, base_momentum=0.8, max_momentum=0.93,
            div_factor=20.0, final_div_factor=500.0, **options,
        )  # fmt: skip

    lrs, momenta = torch_trace(make, 250, optimizer=optimizer)
    policy = one_cycle_policy(
        0.5, base_momentum=0.8, max_momentum=0.93, div_factor=20.0, final_div_factor=500.0, anneal=anneal, **options
    )
    assert_same(policy["lr"].values(250), lrs)
    assert_same(policy["momentum"].values(250), momenta)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_matches_torch(mode):
    def make(opt):
        return lr_scheduler.CyclicLR(
            opt, base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=13, mode=mode, gamma=0.995,
            cycle_momentum=False,
        )  # fmt: skip

    theirs, _ = torch_trace(make, 300)
    ours = cyclic(0.01, 0.1, step_size_up=7, step_size_down=13, mode=mode, gamma=0.995)
    assert_same(ours.values(300), theirs)


def test_exponential_step_multistep_match_torch():
    theirs, _ = torch_trace(lambda o: lr_scheduler.ExponentialLR(o, gamma=0.98), 300)
    assert_same(exponential(0.1, gamma=0.98).values(300), theirs)
    theirs, _ = torch_trace(lambda o: lr_scheduler.StepLR(o, step_size=7, gamma=0.5), 300)
    assert_same(step_decay(0.1, every=7, factor=0.5).values(300), theirs)
    theirs, _ = torch_trace(lambda o: lr_scheduler.MultiStepLR(o, milestones=[30, 80, 150], gamma=0.1), 300)
    assert_same(multistep(0.1, milestones=[30, 80, 150], factor=0.1).values(300), theirs)


# ---------------------------------------------------------------- contract battery over the registry


def typical_schedules():
    """Every registry name through from_spec, plus the combinators with typical arguments."""
    out = {}
    for name in S.available():
        for hparam, schedule in from_spec(name, total_steps=200, value=0.1, steps_per_epoch=10).items():
            out[f"{name}/{hparam}"] = schedule
    out["warmup"] = warmup(sgdr(0.1, cycle_steps=30), warmup_steps=20)
    out["join"] = join([linear(0.0, 0.1, steps=20), exponential(0.1, gamma=0.99)], [20])
    out["per_epoch"] = per_epoch(inverse_time(0.1, k=0.5), steps_per_epoch=7)
    out["from_function"] = from_function(square_root_decay)
    out["custom"] = per_epoch(custom(halve_from_epoch_3, initial_value=0.1), steps_per_epoch=10)
    out["one_cycle_three_phase"] = one_cycle(0.1, total_steps=200, three_phase=True, anneal="linear")
    return out


TYPICAL = typical_schedules()


def test_registry_and_available_agree():
    assert S.available() == sorted(S.SCHEDULES)
    assert {"onecycle", "sgdr", "cosine", "warmup_cosine", "step", "multistep", "exp", "cyclic"} <= set(S.available())


@pytest.mark.parametrize("key", sorted(TYPICAL))
def test_contract(key):
    schedule = TYPICAL[key]
    values = schedule.values(260)  # past total_steps too
    assert all(math.isfinite(v) and v >= 0 for v in values)
    assert typical_schedules()[key].values(260) == values  # deterministic
    assert pickle.loads(pickle.dumps(schedule)).values(260) == values
    description = schedule.describe()
    assert isinstance(description["name"], str) and description["name"] == schedule.name
    json.dumps(description)
    assert schedule(np.int64(17)) == values[17]
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="step"):
            schedule(bad)


def test_values_rejects_negative_count():
    with pytest.raises(ValueError, match="n="):
        constant(1.0).values(-1)


# ---------------------------------------------------------------- bad arguments name themselves


BAD_ARGUMENTS = [
    (constant, (math.nan,), {}, "value"),
    (constant, (True,), {}, "value"),
    (linear, (1.0, 0.0), {"steps": 0}, "steps"),
    (step_decay, (1.0,), {"every": 0, "factor": 0.5}, "every"),
    (step_decay, (1.0,), {"every": 2, "factor": 0.0}, "factor"),
    (multistep, (1.0,), {"milestones": [5, 5], "factor": 0.1}, "milestones"),
    (multistep, (1.0,), {"milestones": [-1, 5], "factor": 0.1}, "milestones"),
    (exponential, (1.0,), {}, "gamma"),
    (exponential, (1.0,), {"gamma": 0.9, "k": 0.1}, "gamma"),
    (exponential, (1.0,), {"gamma": -0.9}, "gamma"),
    (inverse_time, (1.0,), {"k": -1.0}, "k"),
    (inv, (1.0,), {"gamma": 0.1, "power": -1.0}, "power"),
    (poly, (1.0,), {"total_steps": 10, "power": 0.0}, "power"),
    (poly, (1.0,), {"total_steps": -10}, "total_steps"),
    (sigmoid, (1.0,), {"k": math.inf, "center": 10}, "k"),
    (cosine, (1.0,), {"total_steps": 0}, "total_steps"),
    (cosine, (1.0,), {"total_steps": 10, "warmup_steps": 10}, "warmup_steps"),
    (cosine, (1.0,), {"total_steps": 10, "warmup_steps": -1}, "warmup_steps"),
    (sgdr, (1.0,), {"cycle_steps": 0}, "cycle_steps"),
    (sgdr, (1.0,), {"cycle_steps": 10, "cycle_mult": 1.5}, "cycle_mult"),
    (sgdr, (1.0,), {"cycle_steps": 10, "decay": 0.0}, "decay"),
    (cyclic, (1.0, 0.1), {"step_size_up": 10}, "base_value"),
    (cyclic, (0.1, 1.0), {"step_size_up": 0}, "step_size_up"),
    (cyclic, (0.1, 1.0), {"step_size_up": 5, "step_size_down": 0}, "step_size_down"),
    (cyclic, (0.1, 1.0), {"step_size_up": 5, "mode": "sawtooth"}, "mode"),
    (one_cycle, (1.0,), {"total_steps": 100, "pct_start": 1.2}, "pct_start"),
    (one_cycle, (1.0,), {"total_steps": 3}, "pct_start"),
    (one_cycle, (1.0,), {"total_steps": 100, "pct_start": 0.6, "three_phase": True}, "pct_start"),
    (one_cycle, (1.0,), {"total_steps": 100, "anneal": "quadratic"}, "anneal"),
    (one_cycle, (1.0,), {"total_steps": 100, "div_factor": 0}, "div_factor"),
    (one_cycle_momentum, (), {"total_steps": 100, "base_value": 0.99, "max_value": 0.9}, "base_value"),
    (warmup, (constant(1.0),), {"warmup_steps": 0}, "warmup_steps"),
    (join, ([constant(1.0), constant(0.5)], [0]), {}, "boundaries"),
    (join, ([constant(1.0), constant(0.5), constant(0.1)], [10, 5]), {}, "boundaries"),
    (join, ([constant(1.0), constant(0.5)], [3, 6]), {}, "boundaries"),
    (per_epoch, (constant(1.0),), {"steps_per_epoch": 0}, "steps_per_epoch"),
    (custom, (halve_from_epoch_3,), {"initial_value": math.inf}, "initial_value"),
]


@pytest.mark.parametrize(("factory", "args", "kwargs", "argname"), BAD_ARGUMENTS)
def test_bad_arguments_raise_naming_the_argument(factory, args, kwargs, argname):
    with pytest.raises(ValueError, match=argname):
        factory(*args, **kwargs)


def test_composites_need_schedules():
    with pytest.raises(TypeError, match="schedule"):
        warmup(0.1, warmup_steps=3)


# ---------------------------------------------------------------- from_spec


@pytest.mark.parametrize(
    "spec",
    [
        "onecycle", "sgdr", "cosine", "sgdr:cycle_steps=200,cycle_mult=2", "step:every=3,factor=0.5",
        "exp:gamma=0.999", "exp:k=0.001", "cyclic:mode=triangular2", "warmup_cosine:warmup_steps=100", "constant",
        "linear", "poly", "inv", "inverse_time", "sigmoid", "multistep:milestones=10/20",
        "onecycle:pct_start=0.25,three_phase=true,anneal=linear", "cyclic: base_value = 0.001 , step_size_down=50",
    ],
)  # fmt: skip
def test_from_spec_accepts_documented_forms(spec):
    built = from_spec(spec, total_steps=1400, value=0.1, steps_per_epoch=20)
    assert "lr" in built
    assert all(isinstance(s, S.Schedule) for s in built.values())


@pytest.mark.parametrize("T", [1400, 1690, 100, 700])
def test_sgdr_spec_never_restarts_in_the_final_steps(T):
    # 1690 = 10 epochs x 169 steps (diamonds) once ended 3 steps into a fresh fourth cycle, at the peak LR
    sgdr_lr = from_spec("sgdr", total_steps=T, value=0.1)["lr"]
    c = -(-T // 7)  # cycles of c, 2c, 4c steps
    assert 7 * c >= T > 3 * c
    assert sgdr_lr(T - 1) < 0.1 * 0.05


def test_from_spec_defaults():
    T = 1400
    sgdr_lr = from_spec("sgdr", total_steps=T, value=0.1)["lr"]
    assert sgdr_lr.describe()["cycle_steps"] == T // 7 and sgdr_lr.describe()["cycle_mult"] == 2
    assert sgdr_lr(T // 7) == 0.1 and sgdr_lr(3 * T // 7) == 0.1  # the restarts
    assert from_spec("exp", total_steps=T, value=0.1)["lr"](T) == pytest.approx(0.001)
    cyc = from_spec("cyclic", total_steps=T, value=0.1)["lr"]
    assert cyc(0) == pytest.approx(0.01) and cyc(T // 8) == pytest.approx(0.1)
    one = from_spec("onecycle", total_steps=T, value=0.1)
    assert set(one) == {"lr", "momentum"} and max(one["lr"].values(T)) == pytest.approx(0.1)
    warm = from_spec("warmup_cosine", total_steps=T, value=0.1)["lr"]
    assert warm(0) == 0.0 and warm(T // 20) == 0.1 and warm(T) == 0.0


def test_from_spec_step_options_are_epochs():
    lr = from_spec("step:every=3,factor=0.5", total_steps=1000, value=1.0, steps_per_epoch=10)["lr"]
    assert [lr(29), lr(30), lr(60)] == [1.0, 0.5, 0.25]
    lr = from_spec("multistep:milestones=2/5", total_steps=1000, value=1.0, steps_per_epoch=10)["lr"]
    assert [lr(19), lr(20), lr(49), lr(50)] == pytest.approx([1.0, 0.1, 0.1, 0.01])


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("warmdown", "warmdown.*valid schedules: .*cosine"),
        ("sgdr:cycle_lenght=10", "cycle_lenght.*valid options: .*cycle_steps"),
        ("sgdr:cycle_steps=abc", "cycle_steps='abc'.*an int"),
        ("sgdr:cycle_steps=1.5", "cycle_steps"),
        ("exp:gamma=fast", "gamma"),
        ("multistep:milestones=10,20", "20"),
        ("onecycle:three_phase=maybe", "three_phase"),
        ("cosine:final_value", "final_value"),
        ("cyclic:mode=sawtooth", "mode"),
    ],
)
def test_from_spec_rejects_unknown_and_ill_typed(spec, match):
    with pytest.raises(ValueError, match=match):
        from_spec(spec, total_steps=1000, value=0.1)


# ---------------------------------------------------------------- docstring examples


def test_docstring_examples_run():
    result = doctest.testmod(S)
    assert result.attempted > 20 and result.failed == 0
    specs = doctest.testmod(schedule_specs)
    assert specs.attempted >= 4 and specs.failed == 0
