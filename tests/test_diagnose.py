"""The doctor: every check against runs built by hand to show (or not show) its problem, the registry contract
(every check survives empty, NaN, negative and instrument-less runs), suppression, the result object, and errors."""

import doctest
import importlib
import json
import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from trainwise import History, Monitor, fit
from trainwise.diagnose import CHECKS, SEVERITIES, Diagnosis, Finding, Verdict, check, diagnose, doctor
from trainwise.history import EpochRecord
from trainwise.monitor import RECORD_VERSION

dx = importlib.import_module("trainwise.diagnose")  # trainwise.diagnose is the function


# -- building runs by hand -------------------------------------------------------------------------------------
def _history(losses, *, train=None, val=None, lrs=None, steps_per_epoch=None, status="completed", **config):
    h = History(losses=[float(v) for v in losses], status=status, config=dict(config))
    n = len(h.losses)
    h.hparams["lr"] = list(lrs) if lrs is not None else list(np.linspace(1e-3, 1e-5, n))  # annealed: no plateau
    if train is not None:
        per = steps_per_epoch or max(1, n // len(train))
        h.steps_per_epoch = per
        h.epochs = [EpochRecord(epoch=i, steps=min(n, (i + 1) * per), train_loss=t, val_loss=None if val is None else val[i])
                    for i, t in enumerate(train)]  # fmt: skip
    return h


def _decay(n=200, start=2.0, rate=0.03, floor=0.1, noise=0.02, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (floor + (start - floor) * np.exp(-rate * t)) * (1 + noise * rng.standard_normal(n))


def _record(*, steps=(0, 1, 2, 4, 8, 16, 32, 50, 100, 150), weights=None, modules=None, grad_norm=None, agreement=None,
            samples=64, nonfinite=None):  # fmt: skip
    """A Monitor record in the documented format. ``weights``: name -> (grad_norm, norm, update_ratio) per step;
    ``modules``: name -> (kind, {stat: values}, positions)."""
    weights = weights or {}
    steps = list(steps)
    record = {
        "version": RECORD_VERSION, "every": 50, "histogram_every": 400, "saturation": 0.99,
        "grad_norm": list(grad_norm or [1.0] * (steps[-1] + 1 if steps else 0)), "nonfinite": nonfinite,
        "agreement": {"steps": steps, "cosine": list(agreement or [0.5] * len(steps))},
        "params": {"steps": steps, "samples": [samples] * len(steps), "shapes": {}, "roles": {}, "by_name": {}},
        "activation_steps": steps, "modules": {}, "histograms": {},
    }  # fmt: skip
    for name, (g, w, u) in weights.items():
        record["params"]["shapes"][name] = [10, 10]
        record["params"]["roles"][name] = "weight"
        record["params"]["by_name"][name] = {"grad_norm": list(g), "norm": list(w), "update_ratio": list(u)}
    for name, (kind, stats, positions) in (modules or {}).items():
        entry = {"kind": kind, "positions": [positions] * len(steps)}
        for field in ("mean", "std", "unit_std", "in_unit_std", "zero_frac", "dead_frac", "saturated_frac", "nonfinite"):
            entry[field] = list(stats.get(field, [None] * len(steps)))
        record["modules"][name] = entry
    return record


def _with(record, h):
    h.extras["monitor"] = record
    return h


def _names(h, **kw):
    return set(diagnose(h, **kw).names)


# -- each check shows its problem -------------------------------------------------------------------------------
def test_module_doctests_pass():
    assert doctest.testmod(dx).failed == 0


def test_a_clean_decaying_run_is_healthy():
    h = _history(_decay(), train=[1.2, 0.5, 0.25, 0.16, 0.12], val=[1.1, 0.5, 0.26, 0.17, 0.13],
                 lrs=np.linspace(1e-3, 1e-5, 200))  # fmt: skip
    d = diagnose(h)
    assert d.names == ["healthy"] and d.healthy and d.problems == []
    assert d["healthy"].evidence["final_loss"] == pytest.approx(h.losses[-1])


def test_a_nan_loss_is_lr_too_high_with_the_step_and_lr():
    h = _history([1.0, 0.8, 0.7, math.nan], lrs=[0.5] * 4, status="diverged")
    f = diagnose(h)["lr_too_high"]
    assert f.severity == "error" and f.evidence["step"] == 3 and f.evidence["lr"] == 0.5


def test_fits_own_divergence_record_is_lr_too_high():
    # fit stops before a NaN loss reaches History.losses: the status says it
    h = _history([1.0, 0.9, 0.8], status="diverged")
    assert diagnose(h)["lr_too_high"].evidence["step"] == 3


def test_an_explosion_is_lr_too_high():
    h = _history(list(_decay(100, start=1.0, floor=0.5)) + [3.0 + 0.1 * i for i in range(100)])
    assert "lr_too_high" in _names(h)


def test_one_sample_losses_whose_medians_jump_are_no_explosion_but_a_real_one_is():
    # batch 1 on a skewed regression (zoo s497): most samples' losses are small, a few large, so medians of 32 or
    # 60 of them jump 3x by chance while the epoch means fall (0.82 -> 0.57)
    rng = np.random.default_rng(5)
    losses = list(rng.lognormal(mean=-1.5, sigma=1.6, size=600))  # one level throughout
    h = _with(_record(samples=1, steps=(0, 1, 2, 4, 8, 16, 32, 64, 100, 200)), _history(losses))
    run = dx.Run(h)
    medians = run.chunks[0]
    assert medians.max() > 2 * run.start  # a chunk's median over twice the first 32 samples' median, by chance
    assert "lr_too_high" not in _names(h)
    # a real explosion of the same run: 20x its level from step 300 on
    losses[300:] = [20 * v for v in losses[300:]]
    h = _with(_record(samples=1, steps=(0, 1, 2, 4, 8, 16, 32, 64, 100, 200)), _history(losses))
    assert "lr_too_high" in _names(h)


def test_weights_thrown_outward_by_large_steps_are_lr_too_high():
    # RMSprop at 100x on a GRU (zoo s204): updates of 1.7% of the weights per step, the weights 13x larger at the
    # end, the loss neither exploding nor climbing back
    steps = (0, 1, 2, 4, 8, 16, 32, 50, 100, 150)
    grow = list(np.geomspace(5.0, 65.0, len(steps)))
    record = _record(weights={"w1": ([1.0] * 10, grow, [0.017] * 10), "w2": ([1.0] * 10, grow, [0.017] * 10)})
    f = diagnose(_with(record, _history(_decay(200), lrs=[0.1] * 200)))["lr_too_high"]
    assert f.evidence["weight_growth"] == pytest.approx(13.0) and len(steps) == 10
    # the same growth under updates at the seeds' 1e-3 is not the step size's doing
    for name in ("w1", "w2"):
        record["params"]["by_name"][name]["update_ratio"] = [1e-3] * 10
    assert "lr_too_high" not in _names(_with(record, _history(_decay(200), lrs=[0.1] * 200)))


@pytest.mark.parametrize("ratio, final, found", [(0.07, 0.58, True), (0.07, 0.2, False), (0.03, 0.58, False)])
def test_a_poor_fit_under_steps_of_a_twentieth_of_the_weights_is_lr_too_high(ratio, final, found):
    # a transformer at Adam lr 0.1 without warmup (zoo s393): steps of 7% of the weights, no divergence, and both
    # losses end above half of what learning nothing scores; a good fit under the same steps, or a poor one under
    # steps of 3% (a model too small for its task, zoo too_small_*), is not the learning rate's
    steps = (0, 1, 2, 4, 8, 16, 32, 50, 100, 150)
    record = _record(weights={"w1": ([1.0] * 10, [3.0] * 10, [ratio] * 10), "w2": ([1.0] * 10, [3.0] * 10, [ratio] * 10)})
    train = [0.9, 0.75, 0.65, final + 0.02, final + 0.01, final]
    h = _history(_decay(200, start=0.7, floor=final, rate=0.05), train=train, val=list(train), lrs=[0.1] * 200,
                 num_classes=2)  # fmt: skip
    h.extras["constant_loss"] = 0.69
    d = diagnose(_with(record, h))
    assert ("lr_too_high" in d.names) is found and len(steps) == 10
    if found:
        assert d["lr_too_high"].evidence["update_ratio"] == pytest.approx(ratio)
        assert "underfitting" not in d.names  # the poor fit is the steps' doing


def test_a_loss_that_climbs_back_is_lr_too_high():
    down = _decay(100, start=2.0, floor=0.2, rate=0.08, noise=0.01)
    up = np.linspace(0.2, 0.9, 100) * (1 + 0.01 * np.random.default_rng(1).standard_normal(100))
    f = diagnose(_history(list(down) + list(up)))["lr_too_high"]
    assert f.evidence["given_back"] > 0.2


def test_a_classifier_worse_than_chance_is_lr_too_high():
    rng = np.random.default_rng(0)
    h = _history([0.69] * 5 + list(2.3 + 0.2 * rng.random(195)), num_classes=2)  # ln 2 = 0.69
    assert "lr_too_high" in _names(h)


@pytest.mark.parametrize("end_norm, found", [(1.2, "underfitting"), (5.5, "lr_too_high"), (40.0, "lr_too_high")])
def test_a_loss_that_climbs_back_while_the_weights_shrink_is_regularization_not_the_lr(end_norm, found):
    # Adam with L2 0.3 on moons (zoo s321): the loss falls to 0.42, then climbs back to 0.67 as the penalty pulls
    # the weights to a quarter of their norm; steps too large make the weights grow, not shrink
    n = 240
    losses = np.concatenate([np.linspace(0.69, 0.42, n // 4), np.linspace(0.42, 0.67, n - n // 4)])
    losses = losses * (1 + 0.01 * np.random.default_rng(0).standard_normal(n))
    train = [0.57, 0.43, 0.45, 0.5, 0.55, 0.6, 0.64, 0.67]
    val = [0.45, 0.40, 0.44, 0.5, 0.55, 0.6, 0.65, 0.68]
    norms = list(np.geomspace(5.0, end_norm, 10))
    record = _record(weights={n_: ([1.0] * 10, norms, [3e-3] * 10) for n_ in ("0.weight", "2.weight")})
    h = _with(record, _history(losses, train=train, val=val, lrs=[1e-2] * n, num_classes=2))
    h.extras["constant_loss"] = 0.692
    d = diagnose(h)
    other = "lr_too_high" if found == "underfitting" else "underfitting"
    assert found in d.names and other not in d.names
    if found == "underfitting":
        assert d["underfitting"].evidence["weight_growth"] == pytest.approx(1.2 / 5.0)
        assert "regularization" in d["underfitting"].message


def test_weights_that_got_no_gradient_are_left_out_of_the_update_ratio():
    # a trunk run under torch.no_grad() (zoo s428): its weights get no gradient (recorded as NaN) and never move;
    # their zero updates are not the learning rate's, so only the head's 2e-3 counts
    nan = math.nan
    frozen = _record(weights={"trunk": ([nan] * 10, [3.0] * 10, [0.0] * 10), "head": ([1.0] * 10, [3.0] * 10, [2e-3] * 10)})
    assert dx.Run(_with(frozen, _history(_decay(200), lrs=[1e-3] * 200))).update_ratio() == pytest.approx(2e-3)
    # a weight that got a gradient and still barely moved does count
    slow = _record(weights={"trunk": ([1.0] * 10, [3.0] * 10, [0.0] * 10), "head": ([1.0] * 10, [3.0] * 10, [2e-3] * 10)})
    assert dx.Run(_with(slow, _history(_decay(200), lrs=[1e-3] * 200))).update_ratio() == pytest.approx(1e-3)


def test_a_slow_straight_decline_without_instruments_is_lr_too_low():
    n = 200
    losses = np.linspace(2.30, 2.25, n) * (1 + 0.001 * np.random.default_rng(0).standard_normal(n))
    h = _history(losses, train=list(np.linspace(2.3, 2.25, 8)), val=list(np.linspace(2.31, 2.26, 8)))
    assert "lr_too_low" in _names(h)


def test_tiny_update_ratios_are_lr_too_low():
    steps = (0, 1, 2, 4, 8, 16, 32, 50, 100, 150)
    record = _record(weights={"0.weight": ([1.0] * 10, [5.0] * 10, [1e-5] * 10), "2.weight": ([1.0] * 10, [5.0] * 10, [2e-5] * 10)})
    h = _with(record, _history(np.linspace(2.3, 2.2, 200)))
    f = diagnose(h)["lr_too_low"]
    assert f.evidence["update_ratio"] == pytest.approx(1.5e-5) and len(steps) == 10


def test_updates_under_1e_3_that_leave_the_loss_above_the_constant_prediction_are_lr_too_low():
    # Adagrad at 1/1000 of its LR (zoo s163): updates of 2e-4 (above the "decade below" bound), the loss falling
    # steadily to the last epoch but still above what predicting the class prior gives (2.29)
    ratio = [2e-4] * 10
    record = _record(weights={"0.weight": ([1.0] * 10, [5.0] * 10, ratio), "2.weight": ([1.0] * 10, [5.0] * 10, ratio)})
    train, val = list(np.linspace(2.335, 2.300, 8)), list(np.linspace(2.328, 2.298, 8))
    h = _with(record, _history(np.linspace(2.34, 2.30, 184), train=train, val=val, num_classes=10))
    h.extras["constant_loss"] = 2.2936
    f = diagnose(h)["lr_too_low"]
    assert f.evidence["constant_loss"] == 2.2936 and f.evidence["update_ratio"] == pytest.approx(2e-4)
    h.extras["constant_loss"] = 2.31  # already beaten, but by a hair: 1.7% of progress in the whole run still crawls
    assert diagnose(h)["lr_too_low"].evidence["loss_decrease"] == pytest.approx(0.015, abs=0.002)
    descent = _with(record, _history(np.linspace(4.0, 2.30, 184), train=list(np.linspace(4.0, 2.30, 8)), val=val,
                                     num_classes=10))  # fmt: skip
    descent.extras["constant_loss"] = 2.31  # beaten after a real descent: the update ratio alone says little
    assert "lr_too_low" not in _names(descent)
    h.extras["constant_loss"] = 2.2936
    big = [3e-3] * 10  # updates above the 1e-3 target: the LR is not what holds it back
    record["params"]["by_name"]["0.weight"]["update_ratio"] = big
    record["params"]["by_name"]["2.weight"]["update_ratio"] = big
    assert "lr_too_low" not in _names(h)


def test_a_slow_straight_decline_under_small_updates_is_lr_too_low_even_past_the_constant_prediction():
    # Adam with eps=1 on digits (zoo s315): updates of 2e-4, the loss falling 3.5% in equal steps per epoch and
    # ending a hair under the class prior's loss; with eps=1e-8 it reaches 0.15
    ratio = [6.5e-5] * 10, [3.2e-4] * 10
    record = _record(weights={"0.weight": ([1.0] * 10, [5.0] * 10, ratio[0]), "2.weight": ([1.0] * 10, [5.0] * 10, ratio[1])})
    train, val = list(np.linspace(2.359, 2.277, 8)), list(np.linspace(2.372, 2.292, 8))
    h = _with(record, _history(np.linspace(2.36, 2.277, 184), train=train, val=val, num_classes=10))
    h.extras["constant_loss"] = 2.287
    f = diagnose(h)["lr_too_low"]
    assert f.evidence["loss_decrease"] == pytest.approx(0.035, abs=0.002) and f.evidence["update_ratio"] < 1e-3
    for name in ("0.weight", "2.weight"):  # the same curve under updates at the rule of thumb: something else
        record["params"]["by_name"][name]["update_ratio"] = [2e-3] * 10
    assert "lr_too_low" not in _names(h)


def test_a_schedule_that_takes_the_lr_to_nothing_by_mid_run_is_lr_too_low():
    # a step schedule dividing the LR by 10 every epoch (zoo s316): from epoch 3 on the loss is frozen at 0.253,
    # where a constant LR reaches 0.055
    per_epoch, epochs = 36, 8
    lrs = np.repeat(1e-2 * 0.1 ** np.arange(epochs), per_epoch)
    train = [0.647, 0.269, 0.254, 0.2528, 0.2528, 0.2528, 0.2528, 0.2528]
    losses = np.repeat(train, per_epoch)
    f = diagnose(_history(losses, train=train, val=train, lrs=lrs))["lr_too_low"]
    assert f.evidence["second_half_lr_fraction"] < 1e-3 and f.evidence["collapsed_at_step"] == 4 * per_epoch  # 1e-6: under 1e-3 of the peak
    cosine = 1e-2 * 0.5 * (1 + np.cos(np.linspace(0, math.pi, per_epoch * epochs)))  # to zero, but gradually
    assert "lr_too_low" not in _names(_history(losses, train=train, val=train, lrs=cosine))
    falling = list(np.linspace(0.6, 0.3, epochs))  # still improving at the small LR: not frozen
    assert "lr_too_low" not in _names(_history(np.repeat(falling, per_epoch), train=falling, val=falling, lrs=lrs))
    reacting = _history(losses, train=train, val=train, lrs=lrs)  # PlateauDecay cut it: validation had stalled
    reacting.extras["plateau_decay"] = {"hparam": "lr", "scales": [0.1] * epochs}
    assert "lr_too_low" not in _names(reacting)


def test_steps_of_one_sample_that_jitter_as_much_as_the_loss_are_batch_too_small():
    # batch size 1 on a regression (zoo s164-s166): one sample's squared error is chi-square-like, so the step loss
    # jitters ~1.3x its level, while consecutive one-sample gradients agree on a shared direction
    rng = np.random.default_rng(0)
    losses = _decay(1800, rate=0.005, noise=0.0) * rng.chisquare(1, 1800)
    agreeing = [0.6, 0.5, 0.55, 0.45, 0.6, 0.5, 0.55, 0.4, 0.5, 0.6]
    f = diagnose(_with(_record(agreement=agreeing, samples=1), _history(losses)))["batch_too_small"]
    assert f.evidence["batch_size"] == 1 and f.evidence["loss_jitter"] > 1.0
    # two samples per step (zoo s210): their mean squared error still jitters ~1.0x its level
    two = _decay(1800, rate=0.005, noise=0.0) * rng.chisquare(1, (1800, 2)).mean(1)
    assert "batch_too_small" in _names(_with(_record(agreement=agreeing, samples=2), _history(two)))
    # the same step losses from batches of 16 (a fitted model's heavy tail): the gradients' agreement decides
    assert "batch_too_small" not in _names(_with(_record(agreement=agreeing, samples=16), _history(losses)))
    # averaging four samples brings a chi-square's jitter down to ~0.7
    four = _decay(1800, rate=0.005, noise=0.0) * rng.chisquare(1, (1800, 4)).mean(1)
    assert "batch_too_small" not in _names(_with(_record(agreement=agreeing, samples=4), _history(four)))


def test_steps_of_two_samples_whose_gradients_disagree_are_batch_too_small_even_with_a_calm_loss():
    # batch 2 on a classification (zoo s249): early on every sample's cross-entropy is near ln(C), so the step loss
    # barely jitters, but consecutive two-sample gradients point every which way
    disagreeing = [-0.25, -0.5, -0.3, 0.4, -0.5, 0.1, -0.15, -0.45, -0.35, -0.25]
    calm = _decay(900, rate=0.005, noise=0.1)
    f = diagnose(_with(_record(agreement=disagreeing, samples=2), _history(calm)))["batch_too_small"]
    assert f.evidence["batch_size"] == 2 and f.evidence["gradient_agreement"] < 0.2
    # at batch 16 disagreeing gradients alone are no proof (steps that overshoot decorrelate them too)
    assert "batch_too_small" not in _names(_with(_record(agreement=disagreeing, samples=16), _history(calm)))


def test_steps_of_two_samples_stay_batch_too_small_beside_an_lr_too_high():
    # batch 2 with Nesterov momentum (zoo s398): the loss climbs back (the LR's sign) and jitters ~1x its level
    # (the batch's): both are reported, each with its own cure
    rng = np.random.default_rng(0)
    level = np.concatenate([_decay(600, start=0.2, rate=0.01, floor=0.02, noise=0.0), np.linspace(0.02, 0.1, 600)])
    losses = level * rng.chisquare(1, (1200, 2)).mean(1)
    agreeing = [0.6, 0.5, 0.55, 0.45, 0.6, 0.5, 0.55, 0.4, 0.5, 0.6]
    d = diagnose(_with(_record(agreement=agreeing, samples=2), _history(losses, lrs=[0.01] * 1200)))
    assert {"lr_too_high", "batch_too_small"} <= set(d.names)


def test_noisy_steps_with_disagreeing_gradients_are_batch_too_small():
    rng = np.random.default_rng(0)
    losses = _decay(300, noise=0.0) * rng.lognormal(0, 1.0, 300)
    record = _record(agreement=[0.01, -0.05, 0.02, 0.0, 0.03, -0.02, 0.01, 0.02, 0.0, 0.01], samples=3)
    f = diagnose(_with(record, _history(losses)))["batch_too_small"]
    assert f.evidence["gradient_agreement"] < 0.2 and f.evidence["batch_size"] == 3


def test_agreeing_gradients_clear_a_noisy_loss_and_a_calm_loss_clears_disagreeing_gradients():
    rng = np.random.default_rng(0)
    noisy = _decay(300, noise=0.0) * rng.lognormal(0, 1.0, 300)
    assert "batch_too_small" not in _names(_with(_record(agreement=[0.8] * 10), _history(noisy)))
    calm = _decay(300, noise=0.02)
    assert "batch_too_small" not in _names(_with(_record(agreement=[0.0] * 10), _history(calm)))


def test_jitter_as_large_as_the_loss_without_instruments_is_batch_too_small():
    losses = _decay(300, noise=0.0) * np.random.default_rng(0).lognormal(0, 1.2, 300)
    assert "batch_too_small" in _names(_history(losses))


def test_validation_turning_up_while_training_falls_is_overfitting():
    train = [1.0, 0.6, 0.4, 0.3, 0.2, 0.12, 0.08, 0.05]
    val = [1.0, 0.7, 0.55, 0.5, 0.52, 0.58, 0.66, 0.75]
    f = diagnose(_history(_decay(160), train=train, val=val))["overfitting"]
    assert f.epochs == (3, 7) and f.evidence["best_epoch"] == 3


def test_one_noisy_last_epoch_is_not_overfitting():
    # constant-LR SGD (zoo s191): validation jumps from epoch to epoch; its last epoch is high, the two before it
    # are at its best level — no trend
    train = [0.67, 0.22, 0.19, 0.18, 0.16, 0.17, 0.14, 0.15, 0.14, 0.14, 0.11, 0.14, 0.12, 0.11, 0.13, 0.11, 0.14,
             0.11, 0.11, 0.10]  # fmt: skip
    val = [0.23, 0.47, 0.22, 0.18, 0.61, 0.41, 0.29, 0.14, 0.18, 0.26, 0.128, 0.149, 0.14, 0.132, 0.134, 0.202,
           0.126, 0.132, 0.128, 0.319]  # fmt: skip
    lrs = [0.05] * 400
    assert "overfitting" not in _names(_history(_decay(400), train=train, val=val, lrs=lrs))
    val[-4:] = [0.35, 0.45, 0.55, 0.65]  # epochs climbing well above the best: a trend
    assert "overfitting" in _names(_history(_decay(400), train=train, val=val, lrs=lrs))


def test_validation_stalling_while_training_halves_is_overfitting():
    train = [1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005]
    val = [0.9, 0.6, 0.5, 0.49, 0.5, 0.5, 0.5, 0.5]
    assert "overfitting" in _names(_history(_decay(160), train=train, val=val))


def test_a_loss_still_falling_at_the_end_is_underfitting():
    train = list(np.linspace(1.0, 0.5, 10))
    val = list(np.linspace(1.0, 0.52, 10))
    f = diagnose(_history(np.linspace(1.0, 0.5, 200), train=train, val=val, lrs=np.linspace(1e-3, 1e-5, 200)))["underfitting"]
    assert f.evidence["last_quarter_share"] == pytest.approx(0.25, abs=0.01)


def _stopped(val, *, best_epoch, min_delta, monitor="val_loss", mode="min"):
    """A constant-LR run that EarlyStopping stopped at its last epoch, ``val`` its monitored values."""
    n = 36 * len(val)
    train = [2 * v for v in val]
    h = _history(np.linspace(2 * val[0], 2 * val[-1], n), train=train, val=val, lrs=[1e-2] * n)
    if monitor == "val_metric":
        for record, value in zip(h.epochs, val):
            record.val_metric = value
    h.extras["early_stopping"] = {"monitor": monitor, "mode": mode, "patience": 1, "min_delta": min_delta,
                                  "best_epoch": best_epoch, "best_value": val[best_epoch],
                                  "stopped_epoch": len(val) - 1, "restored": True}  # fmt: skip
    return h


@pytest.mark.parametrize(
    "val, best_epoch, found",
    [
        ([0.28, 0.23, 0.208], 1, True),  # the stopped epoch still gained 29% of the progress (zoo s450)
        ([1.0, 0.5, 0.3, 0.2995, 0.299], 2, False),  # crumbs after convergence: stopping was right
        ([0.28, 0.23, 0.24], 1, False),  # validation did turn: what early stopping is for
    ],
)
def test_early_stopping_that_cut_a_still_improving_run_short_is_underfitting(val, best_epoch, found):
    d = diagnose(_stopped(val, best_epoch=best_epoch, min_delta=0.05))
    f = d["underfitting"] if "underfitting" in d else None
    assert (f is not None and "EarlyStopping" in f.message) is found
    if found:
        assert f.evidence["best_epoch"] == best_epoch and f.evidence["min_delta"] == 0.05
        assert f.evidence["share"] == pytest.approx((0.23 - 0.208) / (0.28 - 0.208))
        assert f.epochs == (1, 2)


def test_early_stopping_on_a_metric_reads_its_direction():
    # accuracy maximized: 0.80 -> 0.90 -> 0.93 stopped under min_delta 0.05 still gained 30% of the progress
    h = _stopped([0.80, 0.90, 0.93], best_epoch=1, min_delta=0.05, monitor="val_metric", mode="max")
    assert "EarlyStopping" in diagnose(h)["underfitting"].message
    # minimizing an accuracy (a mis-set mode) that rose: no "still improving" in the direction it was told
    h = _stopped([0.80, 0.90, 0.93], best_epoch=0, min_delta=0.0, monitor="val_metric", mode="min")
    d = diagnose(h)
    assert "underfitting" not in d or "EarlyStopping" not in d["underfitting"].message


def test_a_real_early_stop_under_a_coarse_min_delta_is_read_from_fits_record():
    from trainwise import EarlyStopping

    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 5, generator=g)
    y = (x[:, :1] * 2 - x[:, 1:2] + 0.1 * torch.randn(512, 1, generator=g)).squeeze(1)
    model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1), nn.Flatten(0))
    train = DataLoader(TensorDataset(x[:384], y[:384]), batch_size=32, shuffle=True, generator=g)
    val = DataLoader(TensorDataset(x[384:], y[384:]), batch_size=128)
    h = fit(model, nn.MSELoss(), train, val_loader=val, epochs=30, lr=1e-3, seed=0,
            callbacks=[EarlyStopping(min_delta=1.0, patience=1)])  # fmt: skip
    assert h.status == "stopped" and len(h.epochs) == 2  # the first epoch gains under 1.0 (units of the loss)
    f = diagnose(h)["underfitting"]
    assert "EarlyStopping" in f.message and f.evidence["stopped_epoch"] == 1


def test_both_curves_still_falling_at_the_end_is_underfitting():
    # 40 full-batch updates of a Gaussian NLL (zoo s500): training's last quarter made 29% of its progress and
    # validation, decelerating, 19% (just under the 20% that validation alone needs), both falling beyond noise
    train = list(0.6 - 0.25 * (np.arange(40) / 39) ** 1.3)
    val = list(0.68 - 0.19 * (1 - (1 - np.arange(40) / 39) ** 1.2))
    h = _history(np.array(train), train=train, val=val, lrs=[1e-2] * 40)
    f = diagnose(h)["underfitting"]
    assert f.evidence["last_quarter_share"] >= 0.2 and 0 < f.evidence["val_last_quarter_share"] < 0.2
    # the same training curve with validation flat at the end (overfitting's start, or converged): no
    flat = val[:30] + [val[29]] * 10
    d = diagnose(_history(np.array(train), train=train, val=flat, lrs=[1e-2] * 40))
    assert "underfitting" not in d or "val_last_quarter_share" not in d["underfitting"].evidence


@pytest.mark.parametrize("train_final, found", [(1.13, True), (0.7, False)])
def test_validation_below_a_training_loss_raised_by_dropout_still_agrees_with_it(train_final, found):
    # dropout 0.9 on a tiny regression model (zoo s402): the training loss, measured with dropout on, stays 15%
    # above validation, which ends at the constant prediction's loss. Validation above training by more than 10%
    # is no agreement (overfitting's side). (Validation flat at the end: not "still falling".)
    train = [2.0, 1.9, 1.4, 1.3, 1.2, 1.17, 1.15, train_final]
    val = [1.10, 1.05, 1.03, 1.0, 0.98, 0.96, 0.96, 0.96]
    h = _history(_decay(160, start=2.0, floor=train_final, rate=0.05), train=train, val=val, task="regression")
    h.extras["constant_loss"] = 0.96
    assert ("underfitting" in _names(h)) is found


def test_close_and_poor_classification_is_underfitting():
    train = [2.2, 1.9, 1.85, 1.84, 1.84, 1.84]
    val = [2.1, 1.9, 1.86, 1.85, 1.85, 1.85]
    f = diagnose(_history(_decay(120, start=2.3, floor=1.84, rate=0.1), train=train, val=val, num_classes=10,
                          lrs=np.linspace(1e-3, 0, 120)))["underfitting"]  # fmt: skip
    assert f.evidence["ln_classes"] == pytest.approx(math.log(10))


@pytest.mark.parametrize("final, found", [(0.66, True), (0.3, False)])
def test_close_and_poor_against_the_constant_prediction_is_underfitting(final, found):
    # a regression has no ln(C): its yardstick is the loss of the best constant prediction, which fit records
    train = [1.2, 0.9, 0.8, final + 0.02, final + 0.01, final, final, final]
    val = [1.1, 0.9, 0.8, final + 0.02, final + 0.01, final, final, final]
    h = _history(_decay(160, start=1.3, floor=final, rate=0.05), train=train, val=val, task="regression")
    h.extras["constant_loss"] = 1.0
    d = diagnose(h)
    assert ("underfitting" in d.names) is found
    if found:
        assert d["underfitting"].evidence["constant_loss"] == 1.0
        assert d["underfitting"].evidence["fraction_of_reference"] == pytest.approx(final)
        assert "noise floor" in d["underfitting"].message  # half is not the task's floor: the message says so


def _shaped(widths, *, activation="relu"):
    """A monitor record of an MLP with the given layer widths (inputs first), its activations hooked."""
    names = [f"{2 * i}.weight" for i in range(len(widths) - 1)]
    record = _record(weights={n: ([1.0] * 10, [1.0] * 10, [1e-3] * 10) for n in names},
                     modules={str(2 * i + 1): (activation, {}, 64) for i in range(len(widths) - 2)})  # fmt: skip
    record["params"]["shapes"] = {n: [widths[i + 1], widths[i]] for i, n in enumerate(names)}
    return record


@pytest.mark.parametrize(
    "widths, final, found, limit",
    [([10, 4], 0.3, True, "linear"), ([10, 2, 1], 0.3, True, "width 2"), ([10, 1, 1], 0.25, True, "width 1"),
     ([10, 64, 1], 0.3, False, None), ([10, 4], 0.15, False, None), ([10, 64, 2, 64, 1], 0.3, True, "width 2")],
)  # fmt: skip
def test_a_model_capped_by_its_structure_is_underfitting_further_from_the_constant(widths, final, found, limit):
    # half the constant prediction's loss is the bound when nothing else is known (a healthy noisy task ends near
    # it); a linear model or a one- or two-unit bottleneck is itself a sign of too little capacity
    train = [1.2, 0.9, 0.8, final + 0.02, final + 0.01, final, final, final]
    val = [1.1, 0.9, 0.8, final + 0.02, final + 0.01, final, final, final]
    h = _with(_shaped(widths), _history(_decay(160, start=1.3, floor=final, rate=0.05), train=train, val=val,
                                        task="regression"))  # fmt: skip
    h.extras["constant_loss"] = 1.0
    d = diagnose(h)
    assert ("underfitting" in d.names) is found
    if found:
        assert d["underfitting"].evidence["capacity_limit"] == limit
        assert d["underfitting"].evidence["fraction_of_reference"] == pytest.approx(final)


def test_an_output_head_registered_before_the_body_is_not_a_bottleneck():
    # a binary classifier whose two-unit head is defined first: the parameter order puts it before the hidden
    # layers, but no later layer takes its two outputs in
    train = [1.2, 0.9, 0.8, 0.32, 0.31, 0.3, 0.3, 0.3]
    record = _shaped([10, 64, 64])
    record["params"]["shapes"] = {"head.weight": [2, 64], "0.weight": [64, 10], "2.weight": [64, 64]}
    record["params"]["roles"] = {n: "weight" for n in record["params"]["shapes"]}
    h = _with(record, _history(_decay(160, start=1.3, floor=0.3, rate=0.05), train=train, val=train))
    h.extras["constant_loss"] = 1.0
    assert "underfitting" not in _names(h)


def test_an_activation_function_makes_one_weight_layer_more_than_an_affine_map():
    # one weight matrix followed by a tanh (e.g. a squashed output) is not the affine map the rule is about
    train = [1.2, 0.9, 0.8, 0.32, 0.31, 0.3, 0.3, 0.3]
    h = _with(_shaped([10, 4]), _history(_decay(160, start=1.3, floor=0.3, rate=0.05), train=train, val=train,
                                         task="regression"))  # fmt: skip
    h.extras["constant_loss"] = 1.0
    assert "underfitting" in _names(h)
    h.extras["monitor"]["modules"] = _record(modules={"1": ("tanh", {}, 64)})["modules"]
    assert "underfitting" not in _names(h)


def test_a_plateau_of_a_model_at_its_capacity_is_explained_by_underfitting():
    # flat at the peak LR, but a linear model at 40% of the constant prediction's loss: a bigger model, not a
    # smaller LR, is what it needs
    n = 160
    losses = _decay(n, start=1.3, floor=0.4, rate=0.2, noise=0.001)
    train = [1.0, 0.41, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]
    h = _with(_shaped([10, 4]), _history(losses, train=train, val=train, lrs=[1e-2] * n, task="regression"))
    h.extras["constant_loss"] = 1.0
    d = diagnose(h)
    assert d.names == ["underfitting"]
    assert [(f.name, by) for f, by in d.suppressed] == [("plateau", "underfitting")]


def test_the_constant_prediction_is_the_yardstick_before_ln_classes():
    # 4 classes with a skewed prior: ln(4) = 1.39 would call 0.6 "not poor"; the prior's own loss (0.9) does
    train = [1.0, 0.8, 0.7, 0.62, 0.61, 0.6]
    val = [1.0, 0.8, 0.7, 0.63, 0.62, 0.61]
    h = _history(_decay(120, start=1.1, floor=0.6, rate=0.05), train=train, val=val, num_classes=4)
    assert "underfitting" not in _names(h)
    h.extras["constant_loss"] = 0.9
    assert diagnose(h)["underfitting"].evidence["constant_loss"] == 0.9


def test_a_converged_run_is_not_underfitting_for_gaining_little_from_annealing():
    # annealing that gains little is what a converged healthy run shows too (the zoo's healthy multistep run)
    train = [1.2, 0.3, 0.21, 0.205, 0.203, 0.202, 0.201, 0.2]
    val = [0.8, 0.3, 0.22, 0.215, 0.214, 0.213, 0.213, 0.212]
    lrs = 0.5 * (1 + np.cos(np.linspace(0, math.pi, 160))) * 1e-2
    h = _history(_decay(160, start=1.5, floor=0.2, rate=0.2), train=train, val=val, lrs=lrs)
    h.extras["constant_loss"] = 1.0
    assert "underfitting" not in _names(h)


def test_validation_far_below_training_is_unrepresentative():
    train = [1.0, 0.8, 0.7, 0.65, 0.6, 0.58]
    val = [0.3, 0.25, 0.22, 0.2, 0.2, 0.19]
    assert "unrepresentative_validation" in _names(_history(_decay(120), train=train, val=val))


def test_validation_that_dips_under_half_the_training_loss_on_some_epochs_only_is_not_unrepresentative():
    # a BatchNorm regression at a constant LR of 0.1 (zoo s333): the validation loss jumps from 0.034 to 0.32 from
    # epoch to epoch — half of the second half under half the training loss, the other half not
    train = [0.62, 0.17, 0.15, 0.17, 0.11, 0.095, 0.14, 0.16, 0.119, 0.084, 0.13, 0.083, 0.071, 0.131, 0.121, 0.101]
    val = [0.245, 0.111, 0.109, 0.091, 0.057, 0.173, 0.111, 0.304, 0.05, 0.097, 0.034, 0.103, 0.323, 0.037, 0.052, 0.048]
    h = _history(_decay(320, start=0.6, floor=0.1), train=train, val=val, lrs=[0.1] * 320)
    assert "unrepresentative_validation" not in _names(h)
    steady = [0.45 * t for t in train[:8]] + [0.4 * t for t in train[8:]]  # under half on every epoch
    f = diagnose(_history(_decay(320, start=0.6, floor=0.1), train=train, val=steady, lrs=[0.1] * 320))
    assert f["unrepresentative_validation"].evidence["val_to_train"] == pytest.approx(0.4)


@pytest.mark.parametrize("first_val, found", [(4.59, True), (1.0, True), (0.6, False)])
def test_validation_far_above_the_first_epochs_progressive_training_loss_is_unrepresentative(first_val, found):
    # validation targets 3x the training ones (zoo s351): after one epoch validation is 9.5x a training loss that
    # scored every batch before training on it — no time to overfit; an overfitting run starts level
    train = [0.481, 0.044, 0.012, 0.009, 0.007, 0.006, 0.007, 0.007]
    val = [first_val, 0.5, 0.55, 0.6, 0.62, 0.64, 0.66, 0.7]
    d = diagnose(_history(_decay(160, start=1.0, floor=0.007, rate=0.1), train=train, val=val))
    assert ("unrepresentative_validation" in d.names) is found
    if found:
        assert d["unrepresentative_validation"].evidence["ratio"] == pytest.approx(first_val / 0.481)


@pytest.mark.parametrize("inputs_alike", [True, False])
def test_validation_that_beat_the_constant_before_rising_past_it_is_overfitting_on_inputs_found_alike(inputs_alike):
    # 200 rows of an imbalanced task, a wide net (zoo s348): validation falls to 0.29 (the constant prediction
    # scores 0.36), then climbs to 0.84 as training reaches 0.001; its inputs are like the training ones
    train = list(np.geomspace(0.4, 0.001, 30))
    val = list(np.linspace(0.33, 0.287, 5)) + list(np.linspace(0.3, 0.84, 25))
    h = _history(_decay(600, start=0.5, floor=0.001, rate=0.01), train=train, val=val)
    h.extras["constant_loss"] = 0.364
    if inputs_alike:  # the monitor compared the inputs and found no shift
        h.extras["monitor"] = _record()
        h.extras["monitor"]["inputs"] = {"mean_shift": 0.05, "spread_ratio": 1.0, "mean_shift_noise": 0.05,
                                         "log_spread_noise": 0.04, "classifier_auc": 0.5,
                                         "classifier_auc_noise": 0.03, "val_samples": 300, "features": 20}  # fmt: skip
    d = diagnose(h)
    if inputs_alike:
        assert "overfitting" in d.names and "unrepresentative_validation" not in d.names
    else:  # without the inputs compared, the shift reading stands and explains the rise
        assert d.names == ["unrepresentative_validation"]
        assert ("overfitting", "unrepresentative_validation") in {(f.name, by) for f, by in d.suppressed}


@pytest.mark.parametrize("auc, found", [(0.5, "overfitting"), (None, "unrepresentative_validation")])
def test_memorized_noise_on_inputs_found_alike_is_overfitting_though_validation_never_beat_the_constant(auc, found):
    # training labels shuffled apart from their inputs, a wide net (zoo s424): nothing carries over, so validation
    # never beats the constant prediction (1.38) and climbs to 4.3 while training memorizes its rows. The inputs
    # were compared (a classifier on 20+ rows a side) and found alike: the validation set is like the training one,
    # and a model worse than learning nothing on it has memorized. Without the classifier's verdict (too few rows)
    # the comparison proves nothing, and worse-than-nothing keeps its reading.
    train = list(np.geomspace(1.4, 0.024, 40))
    val = list(np.linspace(1.40, 4.28, 40))
    h = _history(_decay(400, start=1.4, floor=0.02, rate=0.01), train=train, val=val, num_classes=4)
    h.extras["constant_loss"] = 1.376
    h.extras["monitor"] = _record()
    h.extras["monitor"]["inputs"] = {**_inputs(0.05, 1.0, n_val=300 if auc else 5), "classifier_auc": auc,
                                     "classifier_auc_noise": None if auc is None else 0.03}  # fmt: skip
    d = diagnose(h)
    assert found in d.names and ({"overfitting", "unrepresentative_validation"} - {found}).isdisjoint(d.names)


def test_validation_targets_a_constant_fits_are_unrepresentative_and_no_yardstick():
    # a two-class token task validated on sequences of one class only: predicting that class scores ~1e-7 on the
    # validation targets, against 0.69 on the training ones — the first loss (0.68) is no "bad initialization"
    class Bag(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed, self.head = nn.EmbeddingBag(100, 8), nn.Linear(8, 2)

        def forward(self, ids):
            return self.head(self.embed(ids))

    g = torch.Generator().manual_seed(0)
    x, xv = torch.randint(0, 40, (256, 12), generator=g), torch.randint(20, 40, (64, 12), generator=g)
    y, yv = (x < 20).sum(1) % 2, (xv < 20).sum(1) % 2
    assert set(yv.tolist()) == {0}
    torch.manual_seed(0)
    h = fit(Bag(), nn.CrossEntropyLoss(), DataLoader(TensorDataset(x, y), batch_size=32),
            val_loader=DataLoader(TensorDataset(xv, yv), batch_size=64), epochs=3, lr=1e-2)  # fmt: skip
    d = diagnose(h)
    assert h.extras["constant_loss"] < 1e-4 < 0.6 < h.extras["constant_loss_train"]
    assert "unrepresentative_validation" in d.names and "bad_initialization" not in d.names
    assert d["unrepresentative_validation"].evidence["constant_loss_train"] == h.extras["constant_loss_train"]


@pytest.mark.parametrize("val_samples, found", [(24, True), (600, False)])
def test_a_small_validation_set_jumping_at_a_constant_lr_is_unrepresentative(val_samples, found):
    # EarlyStopping judged on 24 validation rows (zoo s460): validation jumps ~20% from epoch to epoch against
    # training's 1%, at a constant LR. On a few dozen samples that is the set's own noise; on 600 the weights'
    # jitter at an undecayed LR could move validation as much, so the comparison waits for the LR to anneal.
    train = [0.67, 0.44, 0.41, 0.39, 0.38, 0.36, 0.34, 0.335, 0.327]
    val = [0.316, 0.304, 0.404, 0.435, 0.217, 0.396, 0.454, 0.377, 0.293]
    h = _history(_decay(900, start=1.3, floor=0.32, rate=0.02), train=train, val=val, lrs=[3e-3] * 900, num_classes=4)
    h.extras["constant_loss"] = 1.32
    h.extras["monitor"] = _record()
    h.extras["monitor"]["inputs"] = {**_inputs(0.05, 1.0, n_val=val_samples), "classifier_auc": None,
                                     "classifier_auc_noise": None}  # fmt: skip
    assert ("unrepresentative_validation" in _names(h)) is found


def test_validation_worse_than_untrained_while_training_improves_is_unrepresentative():
    train = [1.3, 0.9, 0.7, 0.6, 0.55, 0.52]
    val = [1.3, 1.5, 2.5, 3.3, 3.8, 4.2]
    names = _names(_history(_decay(120, start=1.4, floor=0.5), train=train, val=val, num_classes=4))
    assert "unrepresentative_validation" in names and "overfitting" not in names


def _inputs(shift, spread, n_train=700, n_val=700, features=10):
    return {"train_samples": n_train, "val_samples": n_val, "features": features, "mean_shift": shift,
            "spread_ratio": spread, "mean_shift_noise": 0.674 * math.sqrt(1 / n_train + 1 / n_val),
            "log_spread_noise": 0.674 * math.sqrt(0.5 / n_train + 0.5 / n_val)}  # fmt: skip


@pytest.mark.parametrize("shift, spread, found", [(2.0, 1.0, True), (0.0, 2.0, True), (0.0, 0.5, True),
                                                  (0.3, 1.2, False), (0.05, 0.98, False)])  # fmt: skip
def test_validation_inputs_unlike_the_training_inputs_are_unrepresentative(shift, spread, found):
    # a validation set drawn from another distribution is read off its inputs, even when its loss looks like
    # overfitting (improves, then worsens)
    train = [1.0, 0.7, 0.5, 0.4, 0.3, 0.25, 0.2, 0.18]
    val = [0.9, 0.7, 0.6, 0.62, 0.7, 0.8, 0.9, 1.0]
    record = _record()
    record["inputs"] = _inputs(shift, spread)
    d = diagnose(_with(record, _history(_decay(160), train=train, val=val)))
    assert ("unrepresentative_validation" in d.names) is found
    if found:
        f = d["unrepresentative_validation"]
        assert f.evidence["input_mean_shift"] == shift and f.evidence["input_spread_ratio"] == spread
        assert ("overfitting", "unrepresentative_validation") in {(g.name, by) for g, by in d.suppressed}
    else:
        assert "overfitting" in d.names


def test_inputs_a_classifier_tells_apart_are_unrepresentative():
    record = _record()
    record["inputs"] = {**_inputs(0.05, 1.0), "classifier_auc": 0.8, "classifier_auc_noise": 0.02}
    f = diagnose(_with(record, _history(_decay())))["unrepresentative_validation"]
    assert f.evidence["classifier_auc"] == 0.8 and "AUC 0.80" in f.message
    for auc, noise in ((0.6, 0.02), (0.8, 0.07)):  # under the 0.65 margin; within 5 noise widths of 0.5
        record["inputs"] = {**_inputs(0.05, 1.0), "classifier_auc": auc, "classifier_auc_noise": noise}
        assert "unrepresentative_validation" not in _names(_with(record, _history(_decay())))


@pytest.mark.parametrize("val_final, found", [(0.0656, False), (0.0608 * 0.93, False), (0.09, True)])
def test_an_input_difference_the_losses_do_not_feel_is_not_unrepresentative(val_final, found):
    # a CNN trained on noised digits (zoo s523): a classifier tells the noised training inputs from the clean
    # validation ones (AUC 0.99), yet validation ends within 10% of training (0.066 against 0.061) — the model is
    # measured fine; validation 50% above training is a difference the losses feel
    train = [1.70, 0.75, 0.38, 0.24, 0.17, 0.13, 0.11, 0.10, 0.086, 0.077, 0.071, 0.064, 0.0625, 0.0617, 0.0591, 0.0608]
    val = [1.18, 0.45, 0.24, 0.16, 0.147, 0.107, 0.095, 0.084, 0.081, 0.074, 0.072, 0.070, 0.069, 0.068, 0.066]
    record = _record()
    record["inputs"] = {**_inputs(0.04, 0.95, n_val=360), "classifier_auc": 0.99, "classifier_auc_noise": 0.01}
    h = _with(record, _history(_decay(192, start=2.6, floor=0.06), train=train, val=val + [val_final]))
    d = diagnose(h)
    assert ("unrepresentative_validation" in d) is found
    if found:
        assert d["unrepresentative_validation"].evidence["classifier_auc"] == 0.99


def test_an_input_shift_within_a_small_validation_set_s_noise_is_not_flagged():
    # 12 validation samples: a median shift of 0.6 training std is within 5 noise widths (5 * 0.674 * 0.29 = 0.98)
    record = _record()
    record["inputs"] = _inputs(0.6, 1.0, n_val=12)
    assert "unrepresentative_validation" not in _names(_with(record, _history(_decay())))
    record["inputs"] = _inputs(0.6, 1.0, n_val=500)
    assert "unrepresentative_validation" in _names(_with(record, _history(_decay())))


def test_relus_knocked_dead_by_large_steps_are_lr_too_high_and_dead_relu():
    dying = {"1": ("relu", {"dead_frac": [0.0, 0.0, 0.1, 0.3, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8]}, 64)}
    big = {"0.weight": ([1.0] * 10, [5.0] * 10, [0.05] * 10)}
    d = diagnose(_with(_record(modules=dying, weights=big), _history(_decay())))
    f = d["lr_too_high"]
    assert f.evidence["module"] == "1" and f.evidence["dead_before"] == 0.0 and f.evidence["dead_after"] == 0.8
    # the dead units are reported too (zoo s453): lowering the LR does not bring them back
    assert set(d.names) == {"lr_too_high", "dead_relu"}
    assert d["dead_relu"].evidence["module"] == "1"
    # the same deaths under steps of the seeds' ~1e-3: the ReLUs are the finding, not the LR
    small = {"0.weight": ([1.0] * 10, [5.0] * 10, [1e-3] * 10)}
    assert _names(_with(_record(modules=dying, weights=small), _history(_decay()))) == {"dead_relu"}
    # units dead from the first step (a negative bias) were not killed by the steps
    born_dead = {"1": ("relu", {"dead_frac": [0.9] * 10}, 64)}
    assert _names(_with(_record(modules=born_dead, weights=big), _history(_decay()))) == {"dead_relu"}


def test_validation_that_stops_improving_at_a_constant_lr_is_a_plateau():
    train = [1.0, 0.7, 0.6, 0.55, 0.5, 0.47, 0.45, 0.43, 0.42, 0.41]
    val = [0.9, 0.7, 0.6, 0.55, 0.5, 0.52, 0.48, 0.5, 0.49, 0.53]  # best 0.48 at epoch 6, not beaten since
    losses = np.interp(np.linspace(0, 9, 300), np.arange(10), train)
    d = diagnose(_history(losses, train=train, val=val, lrs=[1e-2] * 300))
    assert d.names == ["plateau"] and d["plateau"].epochs == (6, 9)
    assert d["plateau"].evidence["best_val_loss"] == 0.48
    improving = [0.9, 0.7, 0.6, 0.55, 0.5, 0.48, 0.47, 0.46, 0.45, 0.44]
    assert "plateau" not in _names(_history(losses, train=train, val=improving, lrs=[1e-2] * 300))
    assert "plateau" not in _names(_history(losses, train=train, val=val, lrs=np.linspace(1e-2, 1e-4, 300)))


def test_a_loss_still_falling_by_a_steady_fraction_of_itself_is_no_plateau():
    # a healthy run at a constant LR (zoo s442, s468): the early drop is most of the progress, so the last quarter
    # made ~1% of it, yet the loss still falls ~10% an epoch, smoothly: on a log scale it is far from flat
    n = 20
    steady = list(0.6 * np.exp(-0.5 * np.arange(n)) + 0.06 * np.exp(-0.05 * np.arange(n)))
    h = _history(_decay(400, start=0.6, floor=0.04, rate=0.02), train=steady, val=[v * 1.5 for v in steady],
                 lrs=[1e-2] * 400)  # fmt: skip
    assert "plateau" not in _names(h)
    # the same early drop followed by a noisy flat stretch is one
    rng = np.random.default_rng(0)
    flat = [0.6] + list(0.015 * (1 + 0.3 * rng.standard_normal(n - 1)))
    h = _history(_decay(400, start=0.6, floor=0.015, rate=0.05), train=flat, val=[v * 1.5 for v in flat],
                 lrs=[1e-2] * 400)  # fmt: skip
    assert "plateau" in _names(h)


def test_a_flat_training_curve_is_no_plateau_while_validation_still_falls_beyond_its_noise():
    # the built-in digits experiment at its constant default LR (zoo s467): training's last quarter made 1.4% of
    # its progress, but validation still falls 21% in its last two epochs (0.1586 -> 0.1131) — not yet time to decay
    train = [2.099, 1.0762, 0.3773, 0.2287, 0.1535, 0.1202, 0.094, 0.0861]
    val = [1.6757, 0.5785, 0.281, 0.2204, 0.1789, 0.1586, 0.1436, 0.1131]
    losses = np.interp(np.linspace(0, 7, 184), np.arange(8), [2.3, *train[1:-1], 0.0861])
    losses[-46:] = 0.0861  # the last quarter of the steps flat
    assert "plateau" not in _names(_history(losses, train=train, val=val, lrs=[1e-2] * 184))
    # the same training curve with validation flat at the end is one
    flat = val[:5] + [0.1789, 0.1795, 0.1790]
    assert "plateau" in _names(_history(losses, train=train, val=flat, lrs=[1e-2] * 184))


def test_a_stalled_loss_at_a_constant_lr_is_a_plateau():
    losses = list(_decay(60, rate=0.1, floor=0.5)) + list(0.5 * (1 + 0.02 * np.random.default_rng(0).standard_normal(140)))
    h = _history(losses, lrs=[1e-2] * 200)
    assert _names(h) == {"plateau"} and diagnose(h)["plateau"].severity == "info"
    annealed = _history(losses, lrs=np.linspace(1e-2, 1e-4, 200))
    assert "plateau" not in _names(annealed)


def test_a_stalled_loss_under_adagrad_is_no_plateau_its_steps_anneal_themselves():
    losses = list(_decay(60, rate=0.1, floor=0.5)) + list(0.5 * (1 + 0.02 * np.random.default_rng(0).standard_normal(140)))
    for name in ("adagrad", "Adagrad"):  # fit's string, or the class the Monitor records
        assert "plateau" not in _names(_history(losses, lrs=[1e-2] * 200, optimizer=name))
    assert "plateau" in _names(_history(losses, lrs=[1e-2] * 200, optimizer="adam"))
    # in a loop of one's own, the Monitor records the optimizer's class
    model = torch.nn.Linear(3, 1)
    for opt, recorded in ((torch.optim.Adagrad(model.parameters()), "Adagrad"), (None, None)):
        with Monitor(model, opt) as monitor:
            pass
        assert monitor.record["optimizer"] == recorded


def _layers(first_grad, last_grad, n=10):
    return {"0.weight": ([first_grad] * n, [5.0] * n, [1e-3] * n), "4.weight": ([last_grad] * n, [5.0] * n, [1e-3] * n)}


def test_gradients_shrinking_three_decades_toward_the_input_are_vanishing():
    h = _with(_record(weights=_layers(1e-7, 1e-2)), _history(_decay()))
    assert diagnose(h)["vanishing_gradients"].evidence["first_to_last_gradient"] == pytest.approx(1e-5)
    assert "vanishing_gradients" not in _names(_with(_record(weights=_layers(1e-3, 1e-2)), _history(_decay())))


def test_gradient_spikes_growth_and_nonfinite_gradients_are_exploding():
    spiky = [1.0] * 150 + [1e4] + [1.0] * 49
    assert "exploding_gradients" in _names(_with(_record(grad_norm=spiky), _history(_decay())))
    assert "exploding_gradients" in _names(_with(_record(weights=_layers(1e2, 1e-2)), _history(_decay())))
    event = {"step": 20, "kind": "gradient", "name": "0.weight", "detail": ""}
    f = diagnose(_with(_record(nonfinite=event), _history(_decay())))["exploding_gradients"]
    assert f.severity == "error" and f.evidence["parameter"] == "0.weight"


def test_gradients_ten_times_the_weights_before_the_first_update_are_exploding():
    # raw inputs in the thousands (zoo s176): the first gradients are 240x the weights; the first step then kills
    # every ReLU and the gradients are zero from there on, so the typical measured step shows nothing
    g = [1200.0] + [0.0] * 9
    record = _record(weights={"0.weight": (g, [5.0] * 10, [1.0] + [0.0] * 9), "2.weight": (g, [5.0] * 10, [1.0] + [0.0] * 9)})
    f = diagnose(_with(record, _history(_decay())))["exploding_gradients"]
    assert f.evidence["gradient_to_weight_at_start"] == pytest.approx(240.0) and f.steps == (0, 0)
    calm = [3.0] + [0.0] * 9  # 0.6x the weights at the start
    record = _record(weights={"0.weight": (calm, [5.0] * 10, [1e-3] * 10), "2.weight": (calm, [5.0] * 10, [1e-3] * 10)})
    assert "exploding_gradients" not in _names(_with(record, _history(_decay())))


def _matrix(start):
    """A weight matrix's (grad_norm, norm, update_ratio) over 10 measured steps: norm 5, gradients ``start`` times
    that at the first step and equal to it after."""
    return [start * 5.0] + [5.0] * 9, [5.0] * 10, [1e-3] * 10


def test_one_weight_matrix_far_over_its_weights_at_the_start_counts_on_a_log_scale():
    # a tanh RNN with amplified recurrent weights (zoo s220): at the first step the input weights' gradients are
    # 154x their norm, the recurrent ones 6x, the head's 1.4x — a median of three reads 6x and misses it; the
    # geometric mean reads (154 * 6 * 1.4) ** (1/3) = 11x
    record = _record(weights={"rnn.weight_ih_l0": _matrix(154.0), "rnn.weight_hh_l0": _matrix(6.0),
                              "head.weight": _matrix(1.4)})
    f = diagnose(_with(record, _history(_decay())))["exploding_gradients"]
    assert f.evidence["gradient_to_weight_at_start"] == pytest.approx((154 * 6 * 1.4) ** (1 / 3))
    # the same large matrix beside two calm ones (0.2x) is one layer's start, not an explosion: (154 * 0.04) ** (1/3)
    record = _record(weights={"rnn.weight_ih_l0": _matrix(154.0), "rnn.weight_hh_l0": _matrix(0.2),
                              "head.weight": _matrix(0.2)})
    assert "exploding_gradients" not in _names(_with(record, _history(_decay())))


def test_a_stall_under_exploding_gradients_is_not_reported_as_a_plateau_on_its_own():
    # a ReLU RNN with amplified recurrent weights (zoo s299): the loss stalls at a constant LR from the start
    flat = 1.0 + 0.3 * np.exp(-np.arange(300) / 10)
    h = _history(flat, lrs=[1e-2] * 300)
    assert _names(h) == {"plateau"}
    record = _record(weights={"0.weight": _matrix(40.0), "2.weight": _matrix(40.0)})
    d = diagnose(_with(record, h))
    assert d.names == ["exploding_gradients"]
    assert ("plateau", "exploding_gradients") in {(f.name, by) for f, by in d.suppressed}


def test_routine_spikes_of_one_sample_gradients_are_not_exploding():
    # batch size 1 on a task mostly fitted: most samples pass almost no gradient, every misfit one a 1000x "spike"
    # over the median; spikes that recur every few steps are the run's normal, not an explosion
    # (at first no sample is fitted yet and every one passes a gradient)
    rng = np.random.default_rng(0)
    norms = np.where(rng.random(200) < 0.25, 15.0, 0.01) * rng.lognormal(0, 0.3, 200)
    norms[:30] = 5.0 * rng.lognormal(0, 0.3, 30)
    assert "exploding_gradients" not in _names(_with(_record(grad_norm=list(norms)), _history(_decay())))
    norms[150] = 1e5  # beyond anything the run has seen: exploding
    assert "exploding_gradients" in _names(_with(_record(grad_norm=list(norms)), _history(_decay())))


def test_the_start_of_a_small_batch_run_is_its_first_32_samples():
    # batch 6, 400 steps: the loss halves within the first chunk (40 steps); the start is the level of the first
    # ceil(32 / 6) = 6 steps, not the first chunk's median
    losses = _decay(400, start=1.0, rate=0.05, floor=0.01, noise=0.0)
    h = _with(_record(samples=6), _history(losses))
    run = dx.Run(h)
    assert run.start == pytest.approx(float(np.median(losses[:6])))
    assert dx.Run(_with(_record(samples=64), _history(losses))).start == losses[0]


def test_validation_worse_than_learning_nothing_is_read_against_the_constant_prediction():
    # a regression whose first loss is low (0.1) but whose constant prediction costs 1.0: a validation loss of 0.3
    # is 3x the first loss, yet far better than learning nothing
    train = [0.2, 0.05, 0.02, 0.01, 0.005, 0.002]  # the first epoch level with validation: no gap from the start
    val = [0.3, 0.3, 0.31, 0.3, 0.3, 0.3]
    h = _history(_decay(120, start=0.1, floor=0.001), train=train, val=val, task="regression")
    assert "unrepresentative_validation" in _names(h)  # against the first loss
    h.extras["constant_loss"] = 1.0
    assert "unrepresentative_validation" not in _names(h)


def test_validation_worse_than_learning_nothing_is_not_read_for_a_model_that_started_far_worse():
    # tanh weights at N(0, 1) on a regression (zoo s409): the first loss is 179x the constant prediction's; the
    # validation loss falls from 133 to 2.9 all run — three times the constant's, but 45x better than where this
    # model started. The initialization explains it; the validation set is not shown unlike the training set.
    train = [150.0, 50.0, 20.0, 8.0, 3.0, 1.2, 0.8, 0.6, 0.45, 0.4]
    val = [133.0, 60.0, 30.0, 14.0, 8.0, 5.0, 4.0, 3.5, 3.1, 2.9]
    h = _history(_decay(300, start=179.0, floor=0.4, rate=0.05), train=train, val=val, task="regression")
    h.extras["constant_loss"] = 0.96
    h.extras["constant_loss_train"] = 1.0
    assert "unrepresentative_validation" not in _names(h)
    assert "bad_initialization" in _names(h)
    # started near the constant, the same ending is worse than learning nothing
    h.losses = [float(v) for v in _decay(300, start=1.5, floor=0.4, rate=0.05)]
    h.epochs[0].train_loss, h.epochs[0].val_loss = 1.4, 1.3
    assert "unrepresentative_validation" in _names(h)


def test_a_layer_of_silent_relus_is_dead_relu():
    dead = {"1": ("relu", {"dead_frac": [0.9] * 10, "zero_frac": [0.95] * 10}, 64)}
    f = diagnose(_with(_record(modules=dead), _history(_decay())))["dead_relu"]
    assert f.evidence == {"module": "1", "dead_fraction": 0.9}
    one_sample = {"1": ("relu", {"dead_frac": [0.9] * 10}, 1)}  # one value per unit proves nothing
    assert "dead_relu" not in _names(_with(_record(modules=one_sample), _history(_decay())))


def test_units_silent_on_every_small_batch_are_dead_relu():
    # biases at -5 on wine with batches of 16 (zoo s301): one batch of 16 proves little, ten of them do
    dead = {"1": ("relu", {"dead_frac": [1.0] * 10}, 16)}
    f = diagnose(_with(_record(modules=dead), _history(_decay())))["dead_relu"]
    assert f.evidence == {"module": "1", "dead_fraction": 1.0}
    # silent on most small batches but not all: no proof (a unit firing 10% of the time misses 16 samples 18% of
    # the time)
    flaky = {"1": ("relu", {"dead_frac": [0.9, 0.4, 0.9, 0.3, 0.9, 0.2, 0.9, 0.4, 0.9, 0.3]}, 16)}
    assert "dead_relu" not in _names(_with(_record(modules=flaky), _history(_decay())))


def test_tanh_outputs_in_their_tails_are_saturated():
    sat = {"3": ("tanh", {"saturated_frac": [0.8] * 10}, 64)}
    assert "saturated_activations" in _names(_with(_record(modules=sat), _history(_decay())))


def test_a_first_loss_far_above_ln_c_is_bad_initialization():
    losses = [25.0, 24.0, 23.0, 22.0, 21.0] + list(_decay(195))
    f = diagnose(_history(losses, num_classes=10))["bad_initialization"]
    assert f.evidence["first_loss"] == 25.0 and f.steps == (0, 0)
    assert "bad_initialization" not in _names(_history([2.3] + list(_decay(199)), num_classes=10))


@pytest.mark.parametrize("samples, found", [(64, True), (4, False)])
def test_a_first_batch_of_32_samples_or_more_gives_the_untrained_loss_on_its_own(samples, found):
    # a digits MLP whose output layer starts at std 1 (zoo s538), under SGD+momentum at 0.01: the first loss is
    # 5.41 (2.35x ln 10) but three steps later it is 1.71, so the median of the first five (4.31) is under twice
    # ln 10. On 64 samples the first loss is a steady mean: it stands alone; on 4 it could be one odd batch.
    losses = [5.41, 6.93, 4.31, 1.71, 2.39] + list(_decay(195, start=1.0, floor=0.01))
    f = diagnose(_with(_record(samples=samples), _history(losses, num_classes=10)))
    assert ("bad_initialization" in f) is found
    if found:
        assert f["bad_initialization"].evidence["first_loss"] == 5.41


def test_a_first_regression_loss_far_above_the_constant_prediction_is_bad_initialization():
    # tanh MLP with weights of std 2 on a standardized-target regression (zoo s183): first loss 302, predicting the
    # mean costs 0.95
    losses = [302.0, 280.0, 250.0, 200.0, 150.0] + list(_decay(195, start=100.0, floor=10.0))
    h = _history(losses, task="regression")
    assert "bad_initialization" not in _names(h)  # no yardstick recorded
    h.extras["constant_loss"] = 0.95
    f = diagnose(h)["bad_initialization"]
    assert f.evidence == {"first_loss": 302.0, "constant_loss": 0.95} and f.steps == (0, 0)
    h.losses[:5] = [1.9, 1.8, 1.7, 1.6, 1.5]  # outputs as spread as the targets: a normal start
    assert "bad_initialization" not in _names(h)


def test_a_first_loss_far_above_a_negative_constant_prediction_is_bad_initialization():
    # Poisson regression whose output bias is the mean count instead of its log (zoo s506): the first loss is
    # 1640 where a constant prediction scores -7.8 (a negative log-likelihood: no ratio to read)
    losses = [1640.0, 1520.0, 1330.0, 1100.0, 900.0] + list(_decay(195, start=50.0, floor=-5.0))
    h = _history(losses, task="regression")
    h.extras["constant_loss_train"] = -7.77
    f = diagnose(h)["bad_initialization"]
    assert f.evidence == {"first_loss": 1640.0, "constant_loss": -7.77} and f.steps == (0, 0)
    # a fresh Poisson model starts a few units above the constant (zoo s513: 2.2 against -8.4)
    h.losses[:5] = [2.17, 1.85, 1.45, 0.82, 0.47]
    assert "bad_initialization" not in _names(h)
    # the bound is nine times the constant's size above it: -7.77 + 69.9 = 62.2
    h.losses[:5] = [60.0] * 5
    assert "bad_initialization" not in _names(h)
    h.losses[:5] = [65.0] * 5
    assert "bad_initialization" in _names(h)


def test_validation_worse_than_learning_nothing_needs_training_to_have_beaten_it():
    # training itself ends at 14x the constant prediction (zoo s183): the model learned nothing anyone could test
    train = [149.0, 60.0, 30.0, 20.0, 15.0, 13.4]
    val = [97.0, 50.0, 35.0, 25.0, 22.0, 20.0]
    h = _history(_decay(120, start=150.0, floor=13.0), train=train, val=val, task="regression")
    h.extras["constant_loss"] = 0.95
    assert "unrepresentative_validation" not in _names(h)


def test_activation_scale_collapsing_with_depth_is_bad_initialization():
    mods = {str(i): ("relu", {"std": [10.0 ** -(2 * i)] * 10}, 64) for i in range(4)}
    f = diagnose(_with(_record(modules=mods), _history(_decay())))["bad_initialization"]
    assert f.evidence["per_layer_factor"] == pytest.approx(0.01)


@pytest.mark.parametrize("fed, found", [(17.0, True), (9.0, False), (1.2, False)])
def test_a_first_weight_layer_fed_unscaled_inputs_is_bad_initialization(fed, found):
    # diabetes's raw features (zoo s264): the first Linear sees values of std ~17 per unit; its first loss stays
    # under ten times the constant prediction's, so only the scale of what the layers are fed shows it
    mods = {"0": ("layer", {"in_unit_std": [fed] * 10, "std": [fed / 2] * 10}, 64), "1": ("relu", {}, 64),
            "2": ("layer", {"in_unit_std": [1.0] * 10}, 64)}  # fmt: skip
    record = _record(modules=mods, weights={n: ([1.0] * 10, [1.0] * 10, [1e-3] * 10) for n in ("0.weight", "2.weight")})
    d = diagnose(_with(record, _history(_decay())))
    assert ("bad_initialization" in d.names) is found
    if found:
        assert d["bad_initialization"].evidence == {"layer": "0", "input_unit_std": 17.0}
        assert "Standardize the inputs" in d["bad_initialization"].fix


def test_a_model_that_normalizes_its_own_inputs_first_is_not_fed_unscaled_inputs():
    mods = {"norm": ("layer", {"in_unit_std": [17.0] * 10}, 64), "0": ("layer", {"in_unit_std": [1.0] * 10}, 64)}
    record = _record(modules=mods, weights={"0.weight": ([1.0] * 10, [1.0] * 10, [1e-3] * 10)})
    record["params"]["roles"]["norm.weight"] = "vector"  # BatchNorm1d's scale: a vector, not a matrix
    assert "bad_initialization" not in _names(_with(record, _history(_decay())))


def test_tiny_updates_of_weights_under_exploding_gradients_blame_the_gradients_not_the_lr():
    # amplified residual branches (zoo s300): gradients 50x the weights; Adam's fixed-size steps are then a tiny
    # fraction of weights that the explosion inflated — raising the LR is not the fix
    weights = {n: ([50.0] * 10, [1.0] * 10, [1e-5] * 10) for n in ("0.weight", "2.weight")}
    d = diagnose(_with(_record(weights=weights), _history(np.linspace(1.0, 0.95, 200), lrs=[1e-3] * 200)))
    assert "exploding_gradients" in d.names and "lr_too_low" not in d.names
    assert ("lr_too_low", "exploding_gradients") in {(f.name, by) for f, by in d.suppressed}


@pytest.mark.parametrize("dead, found", [(0.9, False), (0.1, True)])
def test_a_dead_layer_has_the_scale_of_its_silence_not_of_its_initialization(dead, found):
    # BatchNorm shifted by -3 before ReLUs (zoo s327): 91% of the first layer's units are silent, its output std is
    # 0.014, and the next BatchNorm rescales what is left to 0.27 — 19x, but no initialization grew it
    mods = {"2": ("relu", {"std": [0.0143] * 10, "dead_frac": [dead] * 10}, 64),
            "5": ("relu", {"std": [0.271] * 10, "dead_frac": [0.25] * 10}, 64)}  # fmt: skip
    d = diagnose(_with(_record(modules=mods), _history(_decay())))
    assert ("bad_initialization" in d.names) is found


def test_a_flat_loss_with_dead_relus_blames_the_relus_not_the_lr():
    dead = {"1": ("relu", {"dead_frac": [1.0] * 10}, 64)}
    record = _record(modules=dead, weights={"0.weight": ([0.0] * 10, [5.0] * 10, [0.0] * 10)})
    losses = np.linspace(1.386, 1.380, 200)
    d = diagnose(_with(record, _history(losses, train=list(np.linspace(1.386, 1.38, 8)))))
    assert "dead_relu" in d.names and "lr_too_low" not in d.names
    assert ("lr_too_low", "dead_relu") in {(f.name, by) for f, by in d.suppressed}


def test_only_a_finding_that_stands_explains_another():
    # the IRNN of zoo s326: the LR explains the loss's jitter, so the jitter cannot explain away the gradients'
    # explosion in turn — a chain of explanations is read from its root
    always = lambda run: Verdict("seen", {})  # noqa: E731
    names = ["t_root", "t_middle", "t_leaf", "t_other"]
    try:
        check("t_root", severity="error", fix="-")(always)
        check("t_middle", severity="warning", fix="-", explained_by=("t_root",))(always)
        check("t_leaf", severity="warning", fix="-", explained_by=("t_middle",))(always)
        check("t_other", severity="info", fix="-", explained_by=("t_leaf", "t_root"))(always)
        d = diagnose(History(losses=[1.0, 0.9]), checks=names)
        assert d.names == ["t_root", "t_leaf"]
        assert [(f.name, by) for f, by in d.suppressed] == [("t_middle", "t_root"), ("t_other", "t_leaf")]
        d = diagnose(History(losses=[1.0, 0.9]), checks=names[1:])  # no root: the middle one stands
        assert d.names == ["t_middle", "t_other"]
        assert [(f.name, by) for f, by in d.suppressed] == [("t_leaf", "t_middle")]
    finally:
        for name in names:
            CHECKS.pop(name, None)


# -- the registry contract --------------------------------------------------------------------------------------
def _degenerate_runs():
    nan_record = _record(weights={"0.weight": ([None] * 10, [None] * 10, [None] * 10)},
                         modules={"1": ("relu", {}, 0), "2": ("tanh", {}, 64), "3": ("layer", {}, 64)},
                         grad_norm=[None] * 151, agreement=[None] * 10)  # fmt: skip
    return {
        "empty": History(),
        "one step": _history([1.0]),
        "all nan": _history([math.nan] * 50, status="diverged"),
        "negative": _history(-_decay(), train=[-1.0, -1.5, -1.8], val=[-0.9, -1.4, -1.7], num_classes=3),
        "zero": _history([0.0] * 100, train=[0.0] * 5, val=[0.0] * 5),
        "constant": _history([1.0] * 100, train=[1.0] * 5, val=[1.0] * 5),
        "missing val": _history(_decay(), train=[1.0, 0.5, 0.3, 0.2, 0.1]),
        "nan val": _history(_decay(), train=[1.0, 0.5, 0.3, 0.2, 0.1], val=[1.0, math.nan, 0.3, math.nan, 0.1]),
        "inf losses": _history([1.0, math.inf, 0.5] * 40),
        "record of nones": _with(nan_record, _history(_decay(151))),
        "empty record": _with(_record(steps=()), _history(_decay(10))),
        "unknown record version": _with({"version": 99}, _history(_decay())),
    }


@pytest.mark.parametrize("name", list(CHECKS))
@pytest.mark.parametrize("run", list(_degenerate_runs()))
def test_every_check_survives_degenerate_runs(name, run):
    history = _degenerate_runs()[run]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy "mean of empty slice" and friends either
        finding = CHECKS[name](dx.Run(history, num_classes=history.config.get("num_classes")))
    if finding is not None:
        assert isinstance(finding, Finding) and finding.name == name and finding.severity in SEVERITIES
        json.dumps(finding.to_dict(), allow_nan=False)


@pytest.mark.parametrize("name", list(CHECKS))
def test_every_check_is_documented_with_a_fix_and_known_explanations(name):
    c = CHECKS[name]
    assert c.severity in SEVERITIES and c.fix and c.description
    assert set(c.explained_by) <= set(CHECKS) and name not in c.explained_by


def test_explanations_never_go_round_in_a_circle():
    def reaches(start, target, seen=()):
        return any(n == target or (n not in seen and reaches(n, target, (*seen, n))) for n in CHECKS[start].explained_by)

    assert not [n for n in CHECKS if reaches(n, n)]


def test_the_issue_s_findings_are_all_registered():
    assert set(CHECKS) >= {"lr_too_high", "lr_too_low", "batch_too_small", "overfitting", "underfitting",
                           "unrepresentative_validation", "vanishing_gradients", "exploding_gradients", "dead_relu",
                           "saturated_activations", "bad_initialization", "plateau"}  # fmt: skip


def test_a_new_check_is_one_registered_function():
    try:
        @check("always", severity="info", fix="nothing to do")
        def _always(run):
            return Verdict("always says hello", {"steps": run.steps})

        d = diagnose(_history(_decay()))
        assert d.names == ["always"] and d["always"].evidence == {"steps": 200}
        assert diagnose(_history(_decay()), checks=["plateau"]).names == ["healthy"]
    finally:
        CHECKS.pop("always", None)


def test_registering_twice_or_with_a_bad_severity_fails():
    with pytest.raises(ValueError, match="already registered"):
        check("plateau", severity="info", fix="x")(lambda run: None)
    with pytest.raises(ValueError, match="severity must be one of"):
        check("new", severity="fatal", fix="x")
    assert "new" not in CHECKS


def test_a_check_returning_something_else_is_a_type_error():
    try:
        check("broken", severity="info", fix="x")(lambda run: "oops")
        with pytest.raises(TypeError, match="expected a Verdict"):
            diagnose(_history(_decay()))
    finally:
        CHECKS.pop("broken", None)


# -- the result object ------------------------------------------------------------------------------------------
def test_a_diagnosis_renders_as_text_dict_and_rows():
    train = [1.0, 0.6, 0.4, 0.3, 0.2, 0.12, 0.08, 0.05]
    val = [1.0, 0.7, 0.55, 0.5, 0.52, 0.58, 0.66, 0.75]
    h = _history([25.0] * 5 + list(_decay(95)) + [math.nan], train=train, val=val, status="diverged", num_classes=10)
    d = diagnose(h)
    assert d.names == ["lr_too_high", "bad_initialization"]  # errors first
    text = str(d)
    assert "2 problems found" in text and "[error] lr_too_high" in text and "fix: Lower the learning rate" in text
    # the validation rise is not read as overfitting when the steps are too large to settle
    assert "(also overfitting, explained by lr_too_high)" in text
    data = json.loads(json.dumps(d.to_dict(), allow_nan=False))
    assert [f["name"] for f in data["findings"]] == d.names
    rows = d.to_rows()
    assert set(rows[0]) == {"severity", "name", "message", "evidence", "fix"} and "step=100" in rows[0]["evidence"]
    assert "bad_initialization" in d and "plateau" not in d and len(d) == len(list(d))
    with pytest.raises(KeyError, match="no finding named 'plateau'"):
        d["plateau"]


def test_history_diagnose_delegates_with_its_config():
    h = _history([25.0] * 5 + list(_decay(195)), num_classes=10)
    assert h.diagnose().names == diagnose(h).names
    assert "bad_initialization" in h.diagnose().names
    assert "bad_initialization" not in diagnose(h, num_classes=10**6).names  # 25 < 2 ln(10**6) = 27.6
    assert diagnose(h, checks=["plateau"]).names == ["healthy"]


def test_a_fit_run_without_a_monitor_gets_the_loss_curve_checks_only():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(128, 4, generator=g)
    data = DataLoader(TensorDataset(x, x.sum(1)), batch_size=16)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1), nn.Flatten(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = fit(model, nn.MSELoss(), data, val_loader=data, epochs=5, lr=50.0, optimizer="sgd")
    d = diagnose(h)
    assert d.names == ["lr_too_high"] and d["lr_too_high"].severity == "error"


# -- errors ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "arg, kwargs, error, text",
    [
        ({"losses": [1.0]}, {}, TypeError, "history must be a trainwise History, got dict"),
        ([1.0, 0.5], {}, TypeError, "got list"),
        (None, {}, TypeError, "got NoneType"),
        (History(), {"num_classes": 1}, ValueError, "num_classes must be an int >= 2 or None, got num_classes=1"),
        (History(), {"num_classes": True}, ValueError, "num_classes=True"),
        (History(), {"num_classes": 2.0}, ValueError, "num_classes=2.0"),
        (History(), {"task": "ranking"}, ValueError, "task must be 'classification', 'regression' or None"),
        (History(), {"checks": "plateau"}, TypeError, "checks must be a list of check names"),
        (History(), {"checks": ["plateau", "nope"]}, ValueError, r"unknown checks \['nope'\]"),
    ],
)
def test_bad_input_to_diagnose_names_the_problem(arg, kwargs, error, text):
    with pytest.raises(error, match=text):
        diagnose(arg, **kwargs)


def test_values_in_the_history_config_the_doctor_cannot_use_are_read_as_unknown():
    # a multi-label run's own record (zoo round 13): task="multilabel", one "class" per label is not ln(C)'s C
    h = _history([0.69] * 5 + list(_decay(195, start=0.69, floor=0.2)), task="multilabel", num_classes=1)
    assert diagnose(h).names == ["healthy"]
    h.config.update(task="classification", num_classes=10)  # usable values are read: 0.69 is far under ln(10)
    assert diagnose(h).names == ["healthy"] and dx.Run(h, num_classes=10).chance == pytest.approx(math.log(10))
    with pytest.raises(ValueError, match="task must be"):
        diagnose(h, task="multilabel")  # given as an argument it is still an error


def test_doctor_trains_an_experiment_with_a_monitor_and_diagnoses_it():
    from trainwise.experiments import Experiment, Metric

    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 5, generator=g)
    y = (x[:, 0] > 0).long()
    data = TensorDataset(x, y)

    def make():
        return nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 2))

    exp = Experiment("toy", "sign of x0", make, nn.CrossEntropyLoss(), data, data,
                     Metric("accuracy", lambda o, t: float((o.argmax(1) == t).float().mean()), "max"),
                     "classification", num_classes=2, batch_size=16, epochs=3, lr=1e-2)  # fmt: skip
    history, diagnosis = doctor(exp, epochs=2)
    assert isinstance(diagnosis, Diagnosis)
    assert history.steps == 12 and len(history.extras["monitor"]["grad_norm"]) == 12
    assert history.config["num_classes"] == 2 and history.config["experiment"] == "toy"
    with pytest.raises(TypeError):
        doctor(42)
