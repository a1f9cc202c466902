"""Tests for trainwise.gradcheck. Expected errors come from closed forms written here, not from the checker."""

from __future__ import annotations

import doctest
import json
import math
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import trainwise.gradcheck as gradcheck_module
from trainwise.gradcheck import check_gradients


class MatMul(torch.autograd.Function):
    """x @ w with a hand-written backward; ``ctx.wrong`` (set by the subclasses) doubles the weight gradient."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        grad_w = x.t() @ grad
        return grad @ w.t(), 2 * grad_w if ctx.wrong else grad_w


class GoodMatMul(MatMul):
    @staticmethod
    def forward(ctx, x, w):
        ctx.wrong = False
        return MatMul.forward(ctx, x, w)


class BadMatMul(MatMul):
    @staticmethod
    def forward(ctx, x, w):
        ctx.wrong = True
        return MatMul.forward(ctx, x, w)


class CustomLinear(nn.Module):
    def __init__(self, n_in: int, n_out: int, fn=BadMatMul):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) / n_in**0.5)
        self.bias = nn.Parameter(torch.zeros(n_out))
        self.fn = fn

    def forward(self, x):
        return self.fn.apply(x, self.weight) + self.bias


def _xw(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(3, 4, generator=gen).requires_grad_(), torch.randn(4, 2, generator=gen).requires_grad_())


def _row(result, name, part="loss"):
    return next(r for r in result.rows if r.name == name and r.part == part)


# ----------------------------------------------------------------------------- wrong gradients are caught


def test_wrong_backward_of_custom_function_is_caught_and_the_input_named():
    result = check_gradients(BadMatMul.apply, inputs=_xw())
    assert not result.passed
    assert result.failing == ["w"]
    w = _row(result, "w")
    # analytic = 2 n, numeric = n  ->  |2n - n| / |2n| = 1/2 for every element
    assert w.max_rel_error == pytest.approx(0.5, abs=1e-6)
    assert w.median_rel_error == pytest.approx(0.5, abs=1e-6)
    assert w.verdict == "wrong" and w.cause == "real"
    assert _row(result, "x").max_rel_error < 1e-7
    assert "failing: w" in str(result)


def test_correct_custom_function_passes():
    result = check_gradients(GoodMatMul.apply, inputs=_xw())
    assert result.passed, str(result)
    assert result.failing == []
    assert all(r.max_rel_error <= 1e-4 for r in result.rows)


def test_custom_layer_with_wrong_weight_gradient_names_that_parameter():
    torch.manual_seed(0)
    model = nn.Sequential(CustomLinear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    batch = (torch.randn(6, 4), torch.randint(0, 2, (6,)))
    result = check_gradients(model, nn.CrossEntropyLoss(), batch)
    assert result.failing == ["0.weight"]
    assert _row(result, "0.weight").max_rel_error == pytest.approx(0.5, abs=1e-6)


def test_directional_mode_catches_the_wrong_backward_too():
    result = check_gradients(BadMatMul.apply, inputs=_xw(), mode="directional")
    assert "w" in result.failing and "x" not in result.failing
    # g . v with the w-part doubled vs the true directional derivative: supported on w alone, again 1/2
    assert _row(result, "w").max_rel_error == pytest.approx(0.5, abs=1e-6)


def test_directional_mode_names_the_parameter_of_a_wrong_custom_layer():
    torch.manual_seed(0)
    model = nn.Sequential(CustomLinear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    batch = (torch.randn(6, 4), torch.randint(0, 2, (6,)))
    result = check_gradients(model, nn.CrossEntropyLoss(), batch, mode="directional")
    assert set(result.failing) == {"0.weight", "(all)"}


def test_directional_mode_costs_two_evaluations_per_direction():
    result = check_gradients(GoodMatMul.apply, inputs=_xw(), mode="directional", directions_per_tensor=3,
                             global_directions=5)
    assert result.passed
    # one value at the point, one backward, then 2 per direction: 3 per tensor on 2 tensors, plus 5 global
    assert result.evaluations == 2 + 2 * (3 * 2 + 5)
    assert [r.checked for r in result.rows] == [3, 3, 5]


def test_regularizer_is_checked_separately_from_the_data_loss():
    class BadSquareSum(torch.autograd.Function):
        @staticmethod
        def forward(ctx, p):
            ctx.save_for_backward(p)
            return (p * p).sum()

        @staticmethod
        def backward(ctx, grad):
            (p,) = ctx.saved_tensors
            return grad * p  # should be 2 * grad * p

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    batch = (torch.randn(5, 3), torch.randn(5, 1))
    result = check_gradients(model, nn.MSELoss(), batch,
                             regularizer=lambda m: 1e-3 * sum(BadSquareSum.apply(p) for p in m.parameters()))
    assert all(r.passed for r in result.rows if r.part == "loss")
    assert result.failing == [f"{n} [regularizer]" for n in ("0.weight", "0.bias", "2.weight", "2.bias")]
    assert _row(result, "2.weight", "regularizer").max_rel_error == pytest.approx(0.5, abs=1e-6)


# ----------------------------------------------------------------------------- correct models pass


def _tanh_mlp():
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1)), nn.MSELoss(), (
        torch.randn(7, 5), torch.randn(7, 1))


def _softmax_ce():
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 4)), nn.CrossEntropyLoss(), (
        torch.randn(7, 5), torch.randint(0, 4, (7,)))


def _small_cnn():
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(27, 3))
    return net, nn.CrossEntropyLoss(), (torch.randn(4, 1, 8, 8), torch.randint(0, 3, (4,)))


@pytest.mark.parametrize("build", [_tanh_mlp, _softmax_ce, _small_cnn])
@pytest.mark.parametrize("mode", ["elementwise", "directional"])
def test_correct_models_pass(build, mode):
    torch.manual_seed(0)
    model, loss_fn, batch = build()
    result = check_gradients(model, loss_fn, batch, mode=mode)
    assert result.passed, str(result)
    assert all(r.verdict not in ("suspicious", "wrong") for r in result.rows)


def test_smooth_model_has_no_kink_ops():
    torch.manual_seed(0)
    model, loss_fn, batch = _tanh_mlp()
    result = check_gradients(model, loss_fn, batch)
    assert result.kink_ops == () and sum(r.kinks for r in result.rows) == 0


# ----------------------------------------------------------------------------- kinks


@pytest.mark.parametrize("offset", [0.0, 2.0**-24])  # exactly at the kink, and within h = 1e-6 of it
def test_relu_at_a_kink_is_flagged_as_kink_not_error(offset):
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():  # binary fractions: the pre-activation of unit 0 is exactly `offset` in any precision
        net[0].weight.copy_(torch.tensor([[0.5, -0.25], [1.0, 0.5], [-0.75, 0.25]]))
        net[0].bias.copy_(torch.tensor([offset, 0.5, 0.5]))  # units 1, 2: 2.5 and 0.25
        net[2].weight.copy_(torch.tensor([[1.5, -0.5, 0.75]]))
        net[2].bias.fill_(0.125)
    batch = (torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0]]))
    result = check_gradients(net, nn.MSELoss(), batch, samples_per_tensor=None)
    assert result.passed, str(result)
    # moving W[0, 0], W[0, 1] or b[0] by +-1e-6 moves unit 0 across 0; nothing else reaches it
    assert {r.name: r.kinks for r in result.rows} == {"0.weight": 2, "0.bias": 1, "2.weight": 0, "2.bias": 0}
    assert result.kink_ops == ("relu",)

    blind = _row(check_gradients(net, nn.MSELoss(), batch, samples_per_tensor=None, detect_kinks=False), "0.weight")
    assert blind.failed_at_h
    if offset == 0.0:
        # relu'(0) = 0 in torch while the centered difference sees half the slope: relative error 1, at any h
        assert blind.max_rel_error == pytest.approx(1.0)
        assert blind.cause == "real"
    else:
        # 2**-24 from the kink: the retry with h = 1e-8 no longer crosses it
        assert blind.cause == "numerical"


@pytest.mark.parametrize(
    "fn, point",
    [
        (lambda a: a.abs().sum(), [0.0, 1.0, -2.0]),
        (lambda a: torch.clamp(1.0 - a, min=0.0).sum(), [1.0, 0.0, 3.0]),  # hinge
        (lambda a: torch.maximum(a, torch.zeros(3, dtype=a.dtype)).sum(), [0.0, 1.0, -1.0]),
        (lambda a: F.hardtanh(a).sum(), [1.0, 0.5, 2.0]),
        (lambda a: torch.where(a > 0, a, 0.1 * a).sum(), [0.0, 1.0, -1.0]),
        (lambda a: a.max(), [1.0, 1.0, 0.0]),
        (lambda a: F.max_pool1d(a.view(1, 1, 3), 3).sum(), [2.0, 2.0, 0.0]),
    ],
    ids=["abs", "clamp", "maximum", "hardtanh", "where", "max", "max_pool1d"],
)
def test_functional_kinks_are_detected(fn, point):
    result = check_gradients(fn, inputs=(torch.tensor(point, dtype=torch.float64, requires_grad=True),),
                             samples_per_tensor=None)
    assert result.rows[0].kinks >= 1, str(result)
    assert result.passed


# ----------------------------------------------------------------------------- step size


def test_failure_from_a_bad_step_is_reported_as_numerical():
    k, h = 1e5, 1e-6
    x = torch.tensor([1e-6, 2e-6], dtype=torch.float64, requires_grad=True)
    result = check_gradients(lambda t: torch.sin(k * t).sum(), inputs=(x,), h=h)
    row = result.rows[0]
    # (sin(k(x+h)) - sin(k(x-h))) / 2h = k cos(kx) * sin(kh) / (kh): relative error 1 - sin(kh)/(kh)
    assert row.max_rel_error == pytest.approx(1 - math.sin(k * h) / (k * h), rel=1e-4)
    assert row.verdict == "suspicious" and row.cause == "numerical"
    assert result.passed
    best = min(s.max_rel_error for s in result.retries)
    assert best < 1e-4
    assert "numerical" in result.verdict


def test_no_retry_steps_leaves_failure_unverified():
    result = check_gradients(BadMatMul.apply, inputs=_xw(), retry_h=())
    assert _row(result, "w").cause == "not retried" and result.retries == ()


# ----------------------------------------------------------------------------- randomness and state


class DropNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.drop, self.fc2 = nn.Linear(5, 16), nn.Dropout(0.5), nn.Linear(16, 3)
        self.bn = nn.BatchNorm1d(16)

    def forward(self, x):
        return self.fc2(self.drop(torch.tanh(self.bn(self.fc1(x)))))


@pytest.mark.parametrize("dropout", ["reseed", "off"])
def test_dropout_does_not_cause_false_failures(dropout):
    torch.manual_seed(0)
    model = DropNet().train()
    result = check_gradients(model, nn.CrossEntropyLoss(), (torch.randn(8, 5), torch.randint(0, 3, (8,))),
                             dropout=dropout)
    assert result.passed, str(result)


def test_user_model_and_rng_states_are_restored_bit_for_bit():
    torch.manual_seed(0)
    model = DropNet().train()
    model.fc1.bias.requires_grad_(False)
    model.bn.eval()
    model.fc2.weight.grad = torch.full_like(model.fc2.weight, 0.25)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    modes = [m.training for m in model.modules()]
    flags = [p.requires_grad for p in model.parameters()]
    grads = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    batch = (torch.randn(8, 5), torch.randint(0, 3, (8,)))
    x_before = batch[0].clone()
    random.seed(1)
    np.random.seed(2)
    torch_rng, py_rng, np_rng = torch.get_rng_state(), random.getstate(), np.random.get_state()

    for mode in ("elementwise", "directional"):
        check_gradients(model, nn.CrossEntropyLoss(), batch, mode=mode,
                        regularizer=lambda m: 1e-3 * sum(p.pow(2).sum() for p in m.parameters()))

    after = model.state_dict()
    assert state.keys() == after.keys()
    assert all(torch.equal(state[k], after[k]) and state[k].dtype == after[k].dtype for k in state)
    assert [m.training for m in model.modules()] == modes
    assert [p.requires_grad for p in model.parameters()] == flags
    for g, p in zip(grads, model.parameters()):
        assert (g is None and p.grad is None) or torch.equal(g, p.grad)
    assert torch.equal(torch.get_rng_state(), torch_rng)
    assert random.getstate() == py_rng
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), np_rng))
    assert torch.equal(batch[0], x_before)


def test_float64_inputs_of_a_function_are_not_modified():
    x = torch.randn(4, dtype=torch.float64, requires_grad=True)
    before = x.detach().clone()
    check_gradients(lambda t: (t**3).sum(), inputs=(x,), samples_per_tensor=None)
    assert torch.equal(x.detach(), before) and x.grad is None


# ----------------------------------------------------------------------------- calling conventions


def test_dict_batch_and_batch_fn():
    class KwNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def forward(self, x):
            return self.fc(x)

    torch.manual_seed(0)
    x, y = torch.randn(4, 3), torch.randint(0, 2, (4,))
    assert check_gradients(KwNet(), F.cross_entropy, {"x": x, "label": y}).passed
    assert check_gradients(KwNet(), F.cross_entropy, [("ignored", x, y)], batch_fn=lambda b: (b[0][1], b[0][2])).passed


def test_module_called_on_inputs_checks_inputs_and_parameters():
    torch.manual_seed(0)
    result = check_gradients(nn.Linear(3, 2), inputs=(torch.randn(4, 3, requires_grad=True),))
    assert [r.name for r in result.rows] == ["input", "weight", "bias"]
    assert result.passed


def test_result_renders_as_table_and_json():
    result = check_gradients(BadMatMul.apply, inputs=_xw())
    text = str(result)
    assert text.splitlines()[0].endswith("FAILED")
    assert "wrong (real)" in text
    data = json.loads(json.dumps(result.as_dict(), allow_nan=False))
    assert data["failing"] == ["w"] and len(data["rows"]) == 2
    assert result.to_rows()[1]["name"] == "w"


# ----------------------------------------------------------------------------- bad input


def _mlp_batch():
    return nn.Linear(3, 2), (torch.randn(4, 3), torch.randint(0, 2, (4,)))


@pytest.mark.parametrize("h", [0, -1e-6, float("nan"), float("inf"), "1e-6"])
def test_bad_step_raises_naming_h(h):
    model, batch = _mlp_batch()
    with pytest.raises(ValueError, match=r"\bh must"):
        check_gradients(model, F.cross_entropy, batch, h=h)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"mode": "fast"}, ValueError, "mode"),
        ({"dropout": "maybe"}, ValueError, "dropout"),
        ({"samples_per_tensor": 0}, ValueError, "samples_per_tensor"),
        ({"retry_h": (1e-4, -1.0)}, ValueError, "retry_h"),
        ({"mode": "directional", "directions_per_tensor": 0, "global_directions": 0}, ValueError, "directional"),
        ({"regularizer": 3.0}, TypeError, "regularizer"),
    ],
)
def test_bad_options_raise_naming_the_argument(kwargs, error, match):
    model, batch = _mlp_batch()
    with pytest.raises(error, match=match):
        check_gradients(model, F.cross_entropy, batch, **kwargs)


def test_non_scalar_loss_raises():
    model, batch = _mlp_batch()
    with pytest.raises(ValueError, match=r"loss_fn must return a scalar.*\(4,\)"):
        check_gradients(model, nn.CrossEntropyLoss(reduction="none"), batch)


def test_non_scalar_regularizer_raises():
    model, batch = _mlp_batch()
    with pytest.raises(ValueError, match="regularizer must return a scalar"):
        check_gradients(model, F.cross_entropy, batch, regularizer=lambda m: m.weight.pow(2))


def test_nothing_requiring_grad_raises():
    model, batch = _mlp_batch()
    model.requires_grad_(False)
    with pytest.raises(ValueError, match="no parameter of model requires grad"):
        check_gradients(model, F.cross_entropy, batch)
    with pytest.raises(ValueError, match="no floating tensor in inputs requires grad"):
        check_gradients(lambda t: t.sum(), inputs=(torch.randn(3),))


def test_missing_or_conflicting_arguments_raise():
    model, batch = _mlp_batch()
    with pytest.raises(TypeError, match="loss_fn is required"):
        check_gradients(model, batch=batch)
    with pytest.raises(TypeError, match="nothing to evaluate"):
        check_gradients(model)
    with pytest.raises(ValueError, match="not both"):
        check_gradients(model, F.cross_entropy, batch, inputs=(torch.randn(2, 3),))
    with pytest.raises(TypeError, match="model must be"):
        check_gradients(42, inputs=(torch.randn(3, requires_grad=True),))


def test_nan_loss_at_the_point_raises():
    with pytest.raises(ValueError, match="nan at the checked point"):
        check_gradients(lambda t: torch.log(t).sum(), inputs=(torch.tensor([-1.0, 2.0], requires_grad=True),))


# ----------------------------------------------------------------------------- docs


def test_docstring_examples_run():
    outcome = doctest.testmod(gradcheck_module)
    assert outcome.attempted > 0 and outcome.failed == 0
