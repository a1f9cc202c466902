"""borrowed()/Snapshot put back parameters, buffers, modes, optimizer, scaler and RNGs exactly (torch.equal)."""

from __future__ import annotations

import doctest
import random

import numpy as np
import pytest
import torch
from torch import nn

import trainwise.restore
from trainwise.restore import Snapshot, borrowed


def make_model() -> nn.Module:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 1))
    model.register_buffer("counter", torch.zeros(3), persistent=False)  # state_dict() would miss this one
    return model


def train_some(model: nn.Module, opt: torch.optim.Optimizer, steps: int = 3, lr: float | None = None) -> None:
    model.train()
    for _ in range(steps):
        if lr is not None:
            for g in opt.param_groups:
                g["lr"] = lr
        x = torch.randn(16, 4)
        loss = (model(x) - 1).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.counter += 1


def tensors_of(model: nn.Module) -> dict[str, torch.Tensor]:
    out = {f"p:{k}": v.detach().clone() for k, v in model.named_parameters()}
    out.update({f"b:{k}": v.clone() for k, v in model.named_buffers()})
    return out


def opt_state_of(opt: torch.optim.Optimizer) -> list[dict[str, torch.Tensor]]:
    return [{k: v.clone() for k, v in opt.state[p].items()} for g in opt.param_groups for p in g["params"]]


def assert_same_tensors(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].device == b[k].device, k
        assert torch.equal(a[k], b[k]), k


def test_parameters_buffers_and_bn_stats_restored_bit_for_bit() -> None:
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    train_some(model, opt)
    before = tensors_of(model)
    assert before["b:1.num_batches_tracked"].item() == 3
    with borrowed(model, opt):
        train_some(model, opt, steps=5, lr=1.0)
        assert not torch.equal(model[1].running_mean, before["b:1.running_mean"])
    assert_same_tensors(before, tensors_of(model))


def test_optimizer_state_and_hyperparameters_restored() -> None:
    model = make_model()
    opt = torch.optim.Adam(
        [{"params": model[0].parameters()}, {"params": model[4].parameters(), "lr": 1e-4}], lr=1e-3, betas=(0.8, 0.9)
    )
    train_some(model, opt, steps=4)
    state = opt_state_of(opt)
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    assert {"exp_avg", "exp_avg_sq", "step"} <= set(state[0])
    with borrowed(model, opt):
        train_some(model, opt, steps=3, lr=0.5)
        opt.param_groups[1]["betas"] = (0.1, 0.2)
        opt.param_groups[0]["weight_decay"] = 0.3
    assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] == groups
    after = opt_state_of(opt)
    for s0, s1 in zip(state, after):
        assert s0.keys() == s1.keys()
        for k in s0:
            assert torch.equal(s0[k], s1[k]), k
    # The restored optimizer keeps training like the original would.
    params = [p for g in opt.param_groups for p in g["params"]]
    assert all(p in opt.state for p in params if p.requires_grad)


def test_rng_states_restored() -> None:
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    expected = (random.random(), np.random.rand(), torch.rand(3))
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    with borrowed(None):
        random.random(), np.random.rand(5), torch.rand(7)
    got = (random.random(), np.random.rand(), torch.rand(3))
    assert got[0] == expected[0] and got[1] == expected[1] and torch.equal(got[2], expected[2])


def test_extra_generators_restored() -> None:
    g = torch.Generator().manual_seed(5)
    expected = torch.rand(4, generator=torch.Generator().manual_seed(5))
    with borrowed(None, generators=[g, g]):
        torch.rand(10, generator=g)
    assert torch.equal(torch.rand(4, generator=g), expected)


def test_train_eval_mode_of_every_submodule_restored() -> None:
    model = make_model().eval()
    model[3].train()  # eval model with one submodule in train mode
    modes = [m.training for m in model.modules()]
    with borrowed(model):
        model.train()
        model[1].eval()
    assert [m.training for m in model.modules()] == modes


def test_requires_grad_and_grads_restored() -> None:
    model = make_model()
    model(torch.randn(5, 4)).sum().backward()
    model[0].bias.requires_grad_(False)
    model[0].bias.grad = None
    grads = {k: (None if p.grad is None else p.grad.clone()) for k, p in model.named_parameters()}
    flags = {k: p.requires_grad for k, p in model.named_parameters()}
    with borrowed(model):
        for p in model.parameters():
            p.requires_grad_(True)
            p.grad = torch.ones_like(p)
    for k, p in model.named_parameters():
        assert p.requires_grad == flags[k]
        assert (p.grad is None) == (grads[k] is None)
        if p.grad is not None:
            assert torch.equal(p.grad, grads[k])


def test_reassigned_parameters_and_buffers_and_dtype_changes_are_undone() -> None:
    model = make_model()
    model(torch.randn(5, 4)).sum().backward()
    weight, running_mean = model[0].weight, model[1].running_mean
    before = tensors_of(model)
    grads = [p.grad.clone() for p in model.parameters()]
    with borrowed(model):
        model[0].weight = nn.Parameter(torch.zeros(8, 4))
        model[1].running_mean = torch.ones(8)
        model.double()  # like a .to(device): new .data (and grads) for every parameter
        model(torch.randn(5, 4, dtype=torch.float64)).sum().backward()
    assert model[0].weight is weight and model[1].running_mean is running_mean
    assert_same_tensors(before, tensors_of(model))
    for g, p in zip(grads, model.parameters()):
        assert p.grad.dtype == g.dtype and torch.equal(p.grad, g)


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_restored_when_the_body_raises(exc: type[BaseException]) -> None:
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_some(model, opt)
    before, state = tensors_of(model), opt_state_of(opt)
    torch.manual_seed(3)
    draw = torch.rand(2)
    torch.manual_seed(3)
    with pytest.raises(exc):
        with borrowed(model, opt):
            train_some(model, opt, lr=10.0)
            raise exc("stop")
    assert_same_tensors(before, tensors_of(model))
    assert all(torch.equal(a[k], b[k]) for a, b in zip(state, opt_state_of(opt)) for k in a)
    assert opt.param_groups[0]["lr"] == 1e-3
    assert torch.equal(torch.rand(2), draw)


def test_snapshot_restores_repeatedly_without_aliasing() -> None:
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_some(model, opt)
    before, state = tensors_of(model), opt_state_of(opt)
    snap = Snapshot(model, opt, snapshot="cpu")
    for _ in range(3):
        train_some(model, opt, lr=0.3)
        snap.restore()
        assert_same_tensors(before, tensors_of(model))
        assert all(torch.equal(a[k], b[k]) for a, b in zip(state, opt_state_of(opt)) for k in a)


def test_optimizer_only_parameters_are_borrowed_too() -> None:
    model = make_model()
    temperature = nn.Parameter(torch.tensor(1.5))  # e.g. a learnable loss parameter outside the model
    opt = torch.optim.SGD([*model.parameters(), temperature], lr=0.1)
    with borrowed(model, opt):
        (model(torch.randn(4, 4)).sum() * temperature).backward()
        opt.step()
    assert torch.equal(temperature.detach(), torch.tensor(1.5)) and temperature.grad is None


def test_grad_scaler_restored() -> None:
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=1)
    scaler.scale(model(torch.randn(2, 3)).sum()).backward()
    scaler.step(opt)
    scaler.update()
    saved = scaler.state_dict()
    with borrowed(model, opt, scaler):
        for _ in range(3):
            opt.zero_grad()
            scaler.scale(model(torch.randn(2, 3)).sum()).backward()
            scaler.step(opt)
            scaler.update()
        scaler.update(new_scale=7.0)
    assert scaler.state_dict() == saved
    assert scaler.get_scale() == saved["scale"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA to check CUDA RNG and device round trips")
def test_cuda_rng_and_device_round_trip_restored() -> None:
    model = make_model()
    before = tensors_of(model)
    torch.cuda.init()
    torch.cuda.manual_seed_all(4)
    draw = torch.rand(3, device="cuda")
    torch.cuda.manual_seed_all(4)
    with borrowed(model, snapshot="cpu"):
        model.cuda()
        torch.rand(10, device="cuda")
    assert torch.equal(torch.rand(3, device="cuda"), draw)
    assert_same_tensors(before, tensors_of(model))


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="snapshot"):
        Snapshot(make_model(), snapshot="gpu")
    with pytest.raises(TypeError, match="optimizer"):
        Snapshot(make_model(), optimizer="adam")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="model"):
        Snapshot("model")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="generators"):
        Snapshot(None, generators=[1])  # type: ignore[list-item]


def test_docstring_examples_run() -> None:
    assert doctest.testmod(trainwise.restore).failed == 0
