"""find_lr: the sweep, stopping rules, data handling, exact restore, suggestions and the result's contract."""

from __future__ import annotations

import copy
import doctest
import json
import math
import random

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import trainwise.lr_finder
from trainwise.lr_finder import LRFinderResult, find_lr, is_diverged, lr_schedule, smooth

# --- fixtures and helpers ----------------------------------------------------------------------------------------


def regression_data(n: int = 256, seed: int = 0) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1 * torch.randn(n, 1, generator=g)
    return TensorDataset(x, y)


def mlp(seed: int = 0, bn: bool = False, dropout: float = 0.0) -> nn.Module:
    torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Linear(4, 16)]
    if bn:
        layers.append(nn.BatchNorm1d(16))
    layers += [nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 1)]
    return nn.Sequential(*layers)


def loader(n: int = 256, batch: int = 32, shuffle: bool = False, **kw) -> DataLoader:
    return DataLoader(regression_data(n), batch_size=batch, shuffle=shuffle, **kw)


class Scripted:
    """A loss_fn whose value is scripted per call (the graph still reaches the model, so backward works)."""

    def __init__(self, values) -> None:
        self.values, self.calls = values, 0

    def __call__(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        value = self.values(self.calls) if callable(self.values) else self.values[self.calls]
        self.calls += 1
        if isinstance(value, BaseException):
            raise value
        return output.sum() * 0.0 + value


class CountingLoader:
    """Wraps batches; counts how often it is iterated and how many batches it yields."""

    def __init__(self, batches: list) -> None:
        self.batches, self.iterations, self.yielded = batches, 0, 0

    def __iter__(self):
        self.iterations += 1
        for b in self.batches:
            self.yielded += 1
            yield b

    def __len__(self) -> int:
        return len(self.batches)


def record_lrs(opt: torch.optim.Optimizer) -> list[list[float]]:
    """The LR of every group at every optimizer step (read just before the step)."""
    seen: list[list[float]] = []
    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append([g["lr"] for g in o.param_groups]))
    return seen


def everything(model: nn.Module, opt: torch.optim.Optimizer) -> dict:
    return {
        "params": {k: v.detach().clone() for k, v in model.named_parameters()},
        "buffers": {k: v.clone() for k, v in model.named_buffers()},
        "modes": [m.training for m in model.modules()],
        "grads": {k: None if v.grad is None else v.grad.clone() for k, v in model.named_parameters()},
        "groups": [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups],
        "state": [{k: v.clone() for k, v in opt.state[p].items()} for g in opt.param_groups for p in g["params"]],
    }


def assert_unchanged(before: dict, after: dict) -> None:
    for key in ("params", "buffers"):
        assert before[key].keys() == after[key].keys()
        for name in before[key]:
            assert torch.equal(before[key][name], after[key][name]), f"{key} {name}"
    assert before["modes"] == after["modes"]
    for name, g in before["grads"].items():
        assert (g is None and after["grads"][name] is None) or torch.equal(g, after["grads"][name]), name
    assert before["groups"] == after["groups"]
    for s0, s1 in zip(before["state"], after["state"]):
        assert s0.keys() == s1.keys() and all(torch.equal(s0[k], s1[k]) for k in s0)


def trained_adam_setup() -> tuple[nn.Module, torch.optim.Optimizer]:
    model = mlp(bn=True, dropout=0.2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    for x, y in loader(batch=16):  # some prior steps, so Adam has exp_avg, exp_avg_sq, step
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return model, opt


# --- the sweep -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["exp", "linear"])
def test_lr_sequence_matches_the_formula(mode: str) -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = record_lrs(opt)
    start, end, n = 1e-5, 1.0, 12
    result = find_lr(model, opt, Scripted(lambda i: 1.0), loader(), start_lr=start, end_lr=end, num_steps=n, mode=mode)
    if mode == "exp":
        expected = [start * (end / start) ** (i / (n - 1)) for i in range(n)]
    else:
        expected = [start + (end - start) * i / (n - 1) for i in range(n)]
    assert result.lrs == pytest.approx(expected, rel=1e-12)
    assert [s[0] for s in seen] == pytest.approx(expected, rel=1e-12)
    assert lr_schedule(start, end, n, mode) == pytest.approx(expected, rel=1e-12)
    assert result.stop_reason == "completed" and result.steps_run == n


def test_smoothing_matches_the_debiased_ema() -> None:
    rng = np.random.default_rng(0)
    values = (3 + rng.normal(0, 0.3, 30)).tolist()
    for beta in (0.0, 0.9, 0.98):
        result = find_lr(mlp(), torch.optim.SGD(mlp().parameters(), lr=0.1), Scripted(values), loader(),
                         num_steps=30, smooth_beta=beta, diverge_factor=None)  # fmt: skip
        avg, expected = 0.0, []
        for i, v in enumerate(values):
            avg = beta * avg + (1 - beta) * v
            expected.append(avg / (1 - beta ** (i + 1)))
        assert result.losses == pytest.approx(values, rel=1e-6)  # float32 losses
        assert result.smoothed == pytest.approx(expected, rel=1e-6)
        assert smooth(values, beta) == pytest.approx(expected, rel=1e-12)


def test_nan_loss_stops_range_test() -> None:
    values = [1.0] * 7 + [float("nan")] + [1.0] * 20
    model = mlp()
    result = find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), Scripted(values), loader(), num_steps=20)
    assert result.stop_reason == "non-finite loss at step 7 (nan)"
    assert result.steps_run == len(result.lrs) == len(result.losses) == len(result.smoothed) == 7
    assert all(math.isfinite(v) for v in result.losses + result.smoothed)
    inf_result = find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), Scripted([2.0, 1.0, float("inf")]),
                         loader(), num_steps=20)  # fmt: skip
    assert inf_result.stop_reason == "non-finite loss at step 2 (inf)" and inf_result.steps_run == 2


def test_divergence_stops_at_the_predicted_step() -> None:
    values = [2.0 - 0.05 * i for i in range(30)] + [0.5 * 1.5**k for k in range(1, 40)]
    # Independent reading of the rule: debiased EMA, stop once it exceeds 4x the best so far.
    avg, best, expected = 0.0, math.inf, None
    for i, v in enumerate(values):
        avg = 0.9 * avg + 0.1 * v
        s = avg / (1 - 0.9 ** (i + 1))
        best = min(best, s)
        if s > 4 * best:
            expected = f"diverged at step {i} (smoothed loss {s / best:.1f}x the best)"
            break
    model = mlp()
    result = find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), Scripted(values), loader(),
                     num_steps=len(values), smooth_beta=0.9)  # fmt: skip
    assert result.stop_reason == expected
    assert result.steps_run == int(expected.split()[3]) + 1  # the diverged point is kept: it is finite
    no_stop = find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), Scripted(values), loader(),
                      num_steps=len(values), smooth_beta=0.9, diverge_factor=None)  # fmt: skip
    assert no_stop.stop_reason == "completed"


def test_negative_loss_divergence_rule() -> None:
    assert is_diverged(-2.0, -10.0, 4.0) and not is_diverged(-30.0, -10.0, 4.0)
    assert is_diverged(4.5, 1.0, 4.0) and not is_diverged(3.5, 1.0, 4.0)
    # continuous through zero: a best just below or just above 0 gives nearly the same threshold
    assert is_diverged(1e-3, -1e-9, 4.0) and is_diverged(1e-3, 1e-9, 4.0)
    model = mlp()

    def run(values: list[float]) -> LRFinderResult:
        return find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), Scripted(values), loader(),
                       num_steps=len(values), smooth_beta=0.5)  # fmt: skip

    up = run([-10.0] * 10 + [-2.0] * 10)  # -10 -> -2: divergence
    assert up.stop_reason.startswith("diverged at step") and "best -10" in up.stop_reason
    down = run([-10.0] * 10 + [-30.0] * 10)  # -10 -> -30: progress
    assert down.stop_reason == "completed"


def test_loader_shorter_than_the_sweep_is_cycled() -> None:
    x, y = torch.randn(12, 4), torch.randn(12, 1)
    data = CountingLoader([(x[i : i + 4], y[i : i + 4]) for i in range(0, 12, 4)])  # 3 batches
    model = mlp()
    result = find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), data, num_steps=20,
                     diverge_factor=None)  # fmt: skip
    assert result.steps_run == 20 and result.stop_reason == "completed"
    assert data.yielded == 20 and data.iterations == 7  # ceil(20 / 3)


def test_one_shot_iterator_that_runs_out_stops_cleanly() -> None:
    batches = iter([(torch.randn(4, 4), torch.randn(4, 1)) for _ in range(5)])
    model = mlp()
    result = find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), batches, num_steps=10)
    assert result.steps_run == 5 and result.stop_reason.startswith("train_loader ran out at step 5")


def test_dict_batches() -> None:
    x, y = torch.randn(32, 4), torch.randn(32, 1)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(4, 1)

        def forward(self, features: torch.Tensor) -> torch.Tensor:
            return self.lin(features)

    model = Net()
    batches = [{"features": x[i : i + 8], "y": y[i : i + 8]} for i in range(0, 32, 8)]
    result = find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), batches, num_steps=10)
    assert result.steps_run > 0 and all(math.isfinite(v) for v in result.losses)


def test_custom_batch_fn() -> None:
    class Record:
        def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
            self.x, self.y = x, y

    batches = [Record(torch.randn(8, 4), torch.randn(8, 1)) for _ in range(4)]
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="batch_fn"):
        find_lr(model, opt, nn.MSELoss(), batches, num_steps=5)
    result = find_lr(model, opt, nn.MSELoss(), batches, num_steps=5, batch_fn=lambda r: (r.x, r.y))
    assert result.steps_run == 5


def test_accumulation_steps_and_lrs() -> None:
    data = CountingLoader([(torch.randn(4, 4), torch.randn(4, 1)) for _ in range(10)])
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = record_lrs(opt)
    result = find_lr(model, opt, nn.MSELoss(), data, num_steps=8, accumulation_steps=3, diverge_factor=None,
                     start_lr=1e-4, end_lr=1e-2)  # fmt: skip
    assert len(seen) == 8 and data.yielded == 24  # 3 micro-batches per optimizer step
    assert [s[0] for s in seen] == pytest.approx(lr_schedule(1e-4, 1e-2, 8), rel=1e-12) == result.lrs


def test_accumulated_gradient_is_the_mean_over_micro_batches() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(8, 4), torch.randn(8, 1)

    def first_update(batches: list, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        model = nn.Linear(4, 1)
        with torch.no_grad():
            model.weight.copy_(torch.arange(4.0).view(1, 4) / 10)
            model.bias.fill_(0.3)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        after: list = []
        opt.register_step_post_hook(
            lambda o, a, k: after.append([p.detach().clone() for p in model.parameters()]) if not after else None
        )
        find_lr(model, opt, nn.MSELoss(), batches, num_steps=2, accumulation_steps=n, start_lr=0.1, end_lr=0.2)
        return after[0][0], after[0][1]

    w1, b1 = first_update([(x[:4], y[:4]), (x[4:], y[4:])], n=2)
    w2, b2 = first_update([(x, y)], n=1)
    assert not torch.equal(w1, torch.arange(4.0).view(1, 4) / 10)  # it did move
    torch.testing.assert_close(w1, w2, rtol=0, atol=1e-7)
    torch.testing.assert_close(b1, b2, rtol=0, atol=1e-7)


def test_parameter_groups_keep_their_ratios() -> None:
    model = mlp()
    opt = torch.optim.SGD([{"params": model[0].parameters(), "lr": 1e-2},
                           {"params": model[3].parameters(), "lr": 1e-3}], lr=1e-2)  # fmt: skip
    seen = record_lrs(opt)
    result = find_lr(model, opt, nn.MSELoss(), loader(), num_steps=15, diverge_factor=None, end_lr=1.0)
    assert result.group_ratios == [1.0, 0.1]
    for first, second in seen:
        assert second / first == pytest.approx(0.1, rel=1e-12)
    assert [s[0] for s in seen] == pytest.approx(result.lrs, rel=1e-12)
    assert result.group_lrs(0.5) == pytest.approx([0.5, 0.05])
    assert [g["lr"] for g in opt.param_groups] == [1e-2, 1e-3]


def test_validation_mode_uses_a_fixed_subset() -> None:
    val = CountingLoader([(torch.randn(8, 4), torch.randn(8, 1)) for _ in range(10)])
    model = mlp()
    result = find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), loader(), num_steps=15,
                     val_loader=val, val_batches=3)  # fmt: skip
    assert val.iterations == 1 and val.yielded == 3  # cached once, then reused at every step
    assert result.loss_kind == "val" and len(result.train_losses) == len(result.losses) == result.steps_run
    assert result.losses != result.train_losses


def test_loss_that_never_decreases_gives_no_suggestion_and_says_why() -> None:
    model = mlp()
    result = find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), Scripted(lambda i: 1.0 + 0.01 * i),
                     loader(), num_steps=40)  # fmt: skip
    assert result.suggestion is None and result.method is None
    assert "never decreased" in result.note
    assert result.cyclic_bounds() is None and result.group_lrs() is None


# --- restore ---------------------------------------------------------------------------------------------------


def test_model_optimizer_rng_and_modes_restored_bit_for_bit() -> None:
    model, opt = trained_adam_setup()
    model.eval()
    model[3].train()  # eval model with its dropout in train mode
    before = everything(model, opt)
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    draws = (random.random(), np.random.rand(), torch.rand(5))
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    result = find_lr(model, opt, nn.MSELoss(), loader(shuffle=True), num_steps=30)
    assert result.steps_run > 10
    assert random.random() == draws[0] and np.random.rand() == draws[1] and torch.equal(torch.rand(5), draws[2])
    assert_unchanged(before, everything(model, opt))


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_restored_when_the_loss_raises_mid_sweep(exc: BaseException) -> None:
    model, opt = trained_adam_setup()
    before = everything(model, opt)
    torch.manual_seed(3)
    draw = torch.rand(3)
    torch.manual_seed(3)
    mse = nn.MSELoss()
    calls = {"n": 0}

    def loss_fn(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        calls["n"] += 1
        if calls["n"] == 6:
            raise exc
        return mse(out, y)

    if isinstance(exc, KeyboardInterrupt):
        result = find_lr(model, opt, loss_fn, loader(shuffle=True), num_steps=20)
        assert result.stop_reason == "interrupted at step 5" and result.steps_run == 5
        assert "interrupted" in result.note
    else:
        with pytest.raises(RuntimeError, match="boom"):
            find_lr(model, opt, loss_fn, loader(shuffle=True), num_steps=20)
    assert_unchanged(before, everything(model, opt))
    assert torch.equal(torch.rand(3), draw)


def test_training_after_find_lr_equals_training_without_it() -> None:
    def train(run_finder: bool, generator: bool) -> list[torch.Tensor]:
        model = mlp(seed=1, bn=True, dropout=0.3)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        kw = {"generator": torch.Generator().manual_seed(9)} if generator else {}
        data = loader(shuffle=True, **kw)
        torch.manual_seed(123)
        if run_finder:
            find_lr(model, opt, nn.MSELoss(), data, num_steps=25)
        model.train()
        for _ in range(2):
            for x, y in data:  # shuffling and dropout draw from the RNGs find_lr used
                opt.zero_grad()
                nn.functional.mse_loss(model(x), y).backward()
                opt.step()
        return [p.detach().clone() for p in model.parameters()] + [b.clone() for b in model.buffers()]

    for generator in (False, True):
        with_finder, without = train(True, generator), train(False, generator)
        assert all(torch.equal(a, b) for a, b in zip(with_finder, without))


def test_learnable_loss_module_is_restored() -> None:
    class ScaledMSE(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.log_scale = nn.Parameter(torch.tensor(0.25))

        def forward(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return ((out - y) ** 2).mean() * self.log_scale.exp() - self.log_scale

    model, loss_fn = mlp(), ScaledMSE()
    opt = torch.optim.SGD([*model.parameters(), *loss_fn.parameters()], lr=0.1)
    find_lr(model, opt, loss_fn, loader(), num_steps=10)
    assert torch.equal(loss_fn.log_scale.detach(), torch.tensor(0.25))


def test_snapshot_on_cpu_and_device_argument() -> None:
    model, opt = trained_adam_setup()
    before = everything(model, opt)
    find_lr(model, opt, nn.MSELoss(), loader(), num_steps=10, snapshot="cpu", device="cpu")
    assert_unchanged(before, everything(model, opt))


# --- suggestions, verification, the result ----------------------------------------------------------------------


def test_default_suggestion_trains_better_than_tiny_and_huge_lrs() -> None:
    data = regression_data(512, seed=3)
    model = mlp(seed=2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    result = find_lr(model, opt, nn.MSELoss(), DataLoader(data, batch_size=32, shuffle=True), num_steps=100)
    assert result.suggestion is not None and result.method == "robust"
    assert result.suggestions["robust"] == result.suggestion

    def loss_after(lr: float, steps: int = 60) -> float:
        net = mlp(seed=2)
        o = torch.optim.Adam(net.parameters(), lr=lr)
        gen = torch.Generator().manual_seed(0)
        batches = DataLoader(data, batch_size=32, shuffle=True, generator=gen)
        done = 0
        while done < steps:
            for x, y in batches:
                o.zero_grad()
                nn.functional.mse_loss(net(x), y).backward()
                o.step()
                done += 1
        with torch.no_grad():
            final = nn.functional.mse_loss(net(data.tensors[0]), data.tensors[1]).item()
        return final if math.isfinite(final) else math.inf

    best = loss_after(result.suggestion)
    assert best < loss_after(1e-6) and best < loss_after(result.end_lr)


def test_verify_probes_candidates_and_reports_cost() -> None:
    model, opt = trained_adam_setup()
    before = everything(model, opt)
    result = find_lr(model, opt, nn.MSELoss(), loader(shuffle=True), num_steps=60, verify=4)
    v = result.verification
    assert v is not None and v["probe_steps"] == 4
    assert v["steps"] <= 4 * len(v["probes"]) and v["seconds"] > 0
    assert result.suggestion in [p["lr"] for p in v["probes"]]
    assert result.method in {m for p in v["probes"] for m in p["methods"]}
    lr_of = {m: p["lr"] for p in v["probes"] for m in p["methods"]}
    assert all(abs(math.log(lr_of[k] / s)) < math.log(1.1) for k, s in result.suggestions.items() if s is not None)
    finished = [p for p in v["probes"] if p["loss"] is not None]
    assert min(finished, key=lambda p: p["loss"])["lr"] == result.suggestion
    assert_unchanged(before, everything(model, opt))


def test_result_round_trips_through_json() -> None:
    model = mlp()
    result = find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), loader(), num_steps=30,
                     verify=2)  # fmt: skip
    data = json.loads(json.dumps(result.to_dict()))
    assert data["format"] == "trainwise.lr_finder" and data["version"] == 1
    assert LRFinderResult.from_dict(data) == result
    with pytest.raises(ValueError, match="format"):
        LRFinderResult.from_dict({**data, "format": "other"})
    with pytest.raises(ValueError, match="version"):
        LRFinderResult.from_dict({**data, "version": 99})
    with pytest.raises(ValueError, match="unknown keys"):
        LRFinderResult.from_dict({**data, "surprise": 1})


def test_cyclic_bounds() -> None:
    lrs = np.logspace(-7, 1, 101)
    x = np.log10(lrs)
    curve = (1 - np.tanh((x + 3) / 0.5) + np.exp(4 * (x + 0.7))).tolist()
    result = LRFinderResult(lrs=lrs.tolist(), losses=curve, smoothed=curve, suggestion=1e-3, method="robust",
                            suggestions={}, stop_reason="completed", steps_run=101, elapsed_s=0.0)  # fmt: skip
    base, top = result.cyclic_bounds()
    assert base == pytest.approx(top / 3) and 1e-2 < top < 10**-0.7
    start, top2 = result.cyclic_bounds(rule="turning")
    assert top2 == top and 1e-4 < start < 1e-3
    assert result.cyclic_bounds(divisor=4.0)[0] == pytest.approx(top / 4)
    with pytest.raises(ValueError, match="rule"):
        result.cyclic_bounds(rule="nope")
    with pytest.raises(ValueError, match="divisor"):
        result.cyclic_bounds(divisor=0.5)


def test_custom_method_and_on_step_callback() -> None:
    model = mlp()
    calls: list = []
    result = find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), loader(), num_steps=20,
                     method=lambda lrs, losses: lrs[3], on_step=lambda *a: calls.append(a))  # fmt: skip
    assert result.method == "<lambda>" and result.suggestion == result.lrs[3]
    assert len(calls) == result.steps_run and calls[0][0] == 0 and calls[0][1] == result.lrs[0]


# --- bad input ------------------------------------------------------------------------------------------------


def _empty():
    return iter(())


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"start_lr": 1e-3, "end_lr": 1e-5}, ValueError, "end_lr must be > start_lr, got end_lr=1e-05, start_lr=0.001"),
        ({"start_lr": 0.0}, ValueError, "start_lr must be > 0 for mode='exp'"),
        ({"start_lr": -1.0, "mode": "linear"}, ValueError, "start_lr must be >= 0"),
        ({"num_steps": 1}, ValueError, "num_steps must be >= 2, got num_steps=1"),
        ({"num_steps": 10.0}, TypeError, "num_steps must be an int"),
        ({"mode": "cosine"}, ValueError, "mode must be one of"),
        ({"smooth_beta": 1.0}, ValueError, "smooth_beta must be in \\[0, 1\\), got smooth_beta=1.0"),
        ({"smooth_beta": -0.1}, ValueError, "smooth_beta"),
        ({"diverge_factor": 1.0}, ValueError, "diverge_factor"),
        ({"accumulation_steps": 0}, ValueError, "accumulation_steps"),
        ({"val_batches": 0, "val_loader": [(torch.randn(2, 4), torch.randn(2, 1))]}, ValueError, "val_batches"),
        ({"verify": -1}, ValueError, "verify"),
        ({"method": "nope"}, ValueError, "method='nope'"),
        ({"snapshot": "disk"}, ValueError, "snapshot"),
        ({"amp": True}, ValueError, "amp=True needs a CUDA device"),
        ({"scaler": object()}, ValueError, "scaler"),
        ({"max_grad_norm": 0}, ValueError, "max_grad_norm"),
        ({"start_lr": "1e-3"}, TypeError, "start_lr must be a number"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, error: type[Exception], match: str) -> None:
    model = mlp()
    with pytest.raises(error, match=match):
        find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), loader(), **kwargs)


def test_bad_objects_are_named() -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer, got str"):
        find_lr(model, "adam", nn.MSELoss(), loader())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        find_lr(lambda x: x, opt, nn.MSELoss(), loader())  # type: ignore[arg-type]
    empty_opt = torch.optim.SGD(model.parameters(), lr=0.1)
    empty_opt.param_groups.clear()
    with pytest.raises(ValueError, match="param_groups"):
        find_lr(model, empty_opt, nn.MSELoss(), loader())
    with pytest.raises(ValueError, match="train_loader is empty"):
        find_lr(model, opt, nn.MSELoss(), [])
    with pytest.raises(ValueError, match="train_loader is empty"):
        find_lr(model, opt, nn.MSELoss(), _empty())
    with pytest.raises(ValueError, match="val_loader is empty"):
        find_lr(model, opt, nn.MSELoss(), loader(), val_loader=[])
    with pytest.raises(ValueError, match="scalar"):
        find_lr(model, opt, nn.MSELoss(reduction="none"), loader())
    assert [g["lr"] for g in opt.param_groups] == [0.1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised where CUDA is missing")
def test_cuda_device_without_cuda_is_a_clear_error() -> None:
    model = mlp()
    with pytest.raises(ValueError, match="device='cuda' but CUDA is not available"):
        find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), loader(), device="cuda")


# --- CUDA ---------------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not torch.cuda.is_available(), reason="AMP (autocast + GradScaler) and device moves need CUDA")
def test_amp_on_cuda_restores_model_scaler_and_device() -> None:
    model, opt = trained_adam_setup()
    before = everything(model, opt)
    scaler = torch.amp.GradScaler("cuda", init_scale=256.0)
    scale = scaler.state_dict()
    result = find_lr(model, opt, nn.MSELoss(), loader(), num_steps=30, device="cuda", amp=True, scaler=scaler)
    assert result.steps_run > 0
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert scaler.state_dict() == scale
    assert_unchanged(before, everything(model, opt))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA RNG state only exists with CUDA")
def test_cuda_rng_restored_after_find_lr_on_cuda() -> None:
    model = mlp(dropout=0.5).cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.cuda.manual_seed_all(5)
    draw = torch.rand(4, device="cuda")
    torch.cuda.manual_seed_all(5)
    find_lr(model, opt, nn.MSELoss(), loader(), num_steps=10)
    assert torch.equal(torch.rand(4, device="cuda"), draw)


def test_docstring_examples_run() -> None:
    assert doctest.testmod(trainwise.lr_finder).failed == 0


def test_result_is_plain_data() -> None:
    model = mlp()
    result = find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), loader(), num_steps=10)
    clone = copy.deepcopy(result)
    assert clone == result and isinstance(result.lrs, list) and isinstance(result.suggestions, dict)
