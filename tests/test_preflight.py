"""Tests for trainwise.preflight: each check catches a deliberately broken model or data and passes a healthy one."""

from __future__ import annotations

import doctest
import importlib
import math
import random

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from trainwise.preflight import CHECKS, VERDICTS, Check, CheckResult, preflight, register_check

preflight_module = importlib.import_module("trainwise.preflight")  # trainwise.preflight is the function


def _classification(n: int = 64, classes: int = 3, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=gen)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()  # three classes, a nonlinear rule
    return x, y.clamp(max=classes - 1)


def _regression(n: int = 64, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=gen) * 4 - 2
    y = torch.sin(2 * x[:, :1]) * x[:, 1:] + x[:, :1] ** 2
    return x, (y - y.mean()) / y.std()


def _mlp(n_in: int, n_out: int, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, n_out))


def _l2(model: nn.Module) -> torch.Tensor:
    return 1e-3 * sum(p.pow(2).sum() for p in model.parameters())


# ----------------------------------------------------------------------------- healthy models


def test_healthy_classifier_passes_every_check():
    report = preflight(_mlp(4, 3), nn.CrossEntropyLoss(), _classification(), regularizer=_l2)
    assert report.passed, str(report)
    assert [r.name for r in report.results] == list(CHECKS)
    assert all(r.verdict == "pass" for r in report.results), str(report)
    assert report.task == "classification" and report.num_classes == 3


def test_healthy_regressor_passes_every_check():
    report = preflight(_mlp(2, 1), nn.MSELoss(), _regression(), weight_decay=1e-2)
    assert report.task == "regression"
    assert all(r.verdict == "pass" for r in report.results), str(report)


def test_dataloader_is_read_in_batches():
    x, y = _classification(n=96)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    report = preflight(_mlp(4, 3), nn.CrossEntropyLoss(), loader, checks=["labels", "init_loss"])
    assert report.passed
    assert report["labels"].evidence["target_shape"] == (96,)  # every batch read (fewer than 256 samples)


# ----------------------------------------------------------------------------- init loss


def test_init_loss_matches_ln_c_for_a_healthy_classifier():
    x, y = _classification()
    model = _mlp(4, 3)
    result = preflight(model, nn.CrossEntropyLoss(), (x, y), checks=["init_loss"])["init_loss"]
    assert result.verdict == "pass"
    assert result.evidence["expected"] == pytest.approx(math.log(3))
    with torch.no_grad():
        assert result.evidence["measured"] == pytest.approx(float(nn.functional.cross_entropy(model(x), y)))


def test_confident_last_bias_fails_init_loss():
    x, y = _classification()
    model = _mlp(4, 3)
    with torch.no_grad():
        # a bias of 10 on every class would cancel in the softmax; on one class the model is confidently wrong
        model[-1].bias.copy_(torch.tensor([10.0, 0.0, 0.0]))
    result = preflight(model, nn.CrossEntropyLoss(), (x, y), checks=["init_loss"])["init_loss"]
    assert result.verdict == "fail"
    assert result.evidence["measured"] > 2 * math.log(3)


def test_regression_init_loss_is_compared_with_predicting_the_mean():
    x, y = _regression()
    result = preflight(_mlp(2, 1), nn.MSELoss(), (x, y), checks=["init_loss"])["init_loss"]
    assert result.verdict == "pass"
    assert result.evidence["expected"] == pytest.approx(float(((y - y.mean()) ** 2).mean()), rel=1e-5)

    model = _mlp(2, 1)
    with torch.no_grad():
        model[-1].bias.fill_(10.0)
    assert preflight(model, nn.MSELoss(), (x, y), checks=["init_loss"])["init_loss"].verdict == "fail"


# ----------------------------------------------------------------------------- regularization


def test_regularizer_that_is_zero_fails():
    report = preflight(_mlp(4, 3), nn.CrossEntropyLoss(), _classification(), checks=["regularization"],
                       regularizer=lambda m: torch.zeros(()))
    assert report["regularization"].verdict == "fail"


def test_regularizer_detached_from_the_parameters_fails():
    report = preflight(_mlp(4, 3), nn.CrossEntropyLoss(), _classification(), checks=["regularization"],
                       regularizer=lambda m: 1e-3 * sum(p.detach().pow(2).sum() for p in m.parameters()))
    result = report["regularization"]
    assert result.verdict == "fail" and result.evidence["has_gradient"] is False


def test_l2_regularizer_raises_the_loss_by_its_value():
    x, y = _classification()
    model = _mlp(4, 3)
    result = preflight(model, nn.CrossEntropyLoss(), (x, y), checks=["regularization"],
                       regularizer=_l2)["regularization"]
    assert result.verdict == "pass"
    assert result.evidence["regularizer"] == pytest.approx(float(_l2(model).detach()), rel=1e-6)


def test_weight_decay_is_half_lambda_times_squared_norm():
    model = _mlp(4, 3)
    result = preflight(model, nn.CrossEntropyLoss(), _classification(), checks=["regularization"],
                       weight_decay=0.1)["regularization"]
    expected = 0.05 * sum(float(p.detach().pow(2).sum()) for p in model.parameters())
    assert result.verdict == "pass" and result.evidence["regularizer"] == pytest.approx(expected, rel=1e-5)


def test_no_regularizer_skips():
    report = preflight(_mlp(4, 3), nn.CrossEntropyLoss(), _classification(), checks=["regularization"])
    assert report["regularization"].verdict == "skip" and report.passed


# ----------------------------------------------------------------------------- batch independence


class BatchMixer(nn.Module):
    """Transposes with a reshape instead of .t(): rows of the result mix samples."""

    def __init__(self):
        super().__init__()
        self.net = _mlp(4, 3)

    def forward(self, x):
        return self.net(x.t().reshape(x.shape))


def test_batch_mixing_reshape_fails_independence():
    result = preflight(BatchMixer(), nn.CrossEntropyLoss(), _classification(), checks=["batch_independence"])
    assert result["batch_independence"].verdict == "fail"
    assert result["batch_independence"].evidence["leak"] > 0


def test_independent_model_passes_with_zero_cross_gradient():
    result = preflight(_mlp(4, 3), nn.CrossEntropyLoss(), _classification(),
                       checks=["batch_independence"])["batch_independence"]
    assert result.verdict == "pass" and result.evidence["leak"] == 0.0


def test_batchnorm_coupling_in_train_mode_is_expected_not_an_error():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3)).train()
    result = preflight(model, nn.CrossEntropyLoss(), _classification(),
                       checks=["batch_independence"])["batch_independence"]
    assert result.verdict == "pass", result
    assert result.evidence["batchnorm"] is True
    assert result.evidence["train_mode_leak"] > 0 and result.evidence["leak"] == 0.0
    assert model.training and model[1].training  # the caller's modes untouched


# ----------------------------------------------------------------------------- overfit and zero input


def test_too_small_model_fails_overfit():
    torch.manual_seed(0)
    result = preflight(nn.Linear(2, 1), nn.MSELoss(), _regression(), checks=["overfit"])["overfit"]
    assert result.verdict == "fail"
    assert result.evidence["final_loss"] > 0.01 * result.evidence["initial_loss"]


def test_frozen_model_fails_overfit():
    model = _mlp(2, 1).requires_grad_(False)
    result = preflight(model, nn.MSELoss(), _regression(), checks=["overfit", "zero_input"])
    assert result["overfit"].verdict == "fail" and "requires grad" in result["overfit"].measurement
    assert result["zero_input"].verdict == "skip"


def test_healthy_model_overfits_twenty_samples():
    result = preflight(_mlp(2, 1), nn.MSELoss(), _regression(), checks=["overfit"])["overfit"]
    assert result.verdict == "pass"
    assert result.evidence["samples"] == 20
    assert result.evidence["final_loss"] <= 0.01 * result.evidence["initial_loss"]


class InputIgnorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = _mlp(4, 3)

    def forward(self, x):
        return self.net(torch.zeros_like(x))


def test_model_ignoring_its_input_fails_zero_input_baseline():
    result = preflight(InputIgnorer(), nn.CrossEntropyLoss(), _classification(), checks=["zero_input"])
    zero = result["zero_input"]
    assert zero.verdict == "fail"
    assert zero.evidence["loss_real"] == zero.evidence["loss_zero_input"]


def test_model_using_its_input_passes_zero_input_baseline():
    zero = preflight(_mlp(4, 3), nn.CrossEntropyLoss(), _classification(), checks=["zero_input"])["zero_input"]
    assert zero.verdict == "pass"
    assert zero.evidence["loss_zero_input"] > 2 * zero.evidence["loss_real"]


# ----------------------------------------------------------------------------- labels


def test_labels_out_of_range_fail_and_dependent_checks_are_skipped():
    x, y = _classification()
    y = y.clone()
    y[:5] = 3  # the model has 3 outputs: classes 0..2
    report = preflight(_mlp(4, 3), nn.CrossEntropyLoss(), (x, y))
    assert report["labels"].verdict == "fail"
    assert report["labels"].evidence["label_range"] == (0, 3)
    assert "5 label(s)" in report["labels"].measurement
    for name in ("init_loss", "regularization", "overfit", "zero_input"):
        assert report[name].verdict == "skip"


def test_ignore_index_labels_are_allowed():
    x, y = _classification()
    y = y.clone()
    y[:5] = -100
    assert preflight(_mlp(4, 3), nn.CrossEntropyLoss(), (x, y), checks=["labels"])["labels"].verdict == "pass"


def test_float_class_indices_fail():
    x, y = _classification()
    result = preflight(_mlp(4, 3), nn.CrossEntropyLoss(), (x, y.float()), checks=["labels"])["labels"]
    assert result.verdict == "fail" and "integer" in result.measurement


def test_num_classes_disagreeing_with_the_output_fails():
    result = preflight(_mlp(4, 3), nn.CrossEntropyLoss(), _classification(), num_classes=5, checks=["labels"])
    assert result["labels"].verdict == "fail"


def test_column_output_against_flat_target_fails_with_broadcast_shape():
    x, y = _regression(n=32)
    result = preflight(_mlp(2, 1), nn.MSELoss(), (x, y.squeeze(1)), checks=["labels"])["labels"]
    assert result.verdict == "fail"
    assert result.evidence["broadcast_shape"] == (32, 32)  # what MSE would silently compute
    ok = preflight(_mlp(2, 1), nn.MSELoss(), (x, y), checks=["labels"])["labels"]
    assert ok.verdict == "pass"


# ----------------------------------------------------------------------------- state and registry


def test_user_model_and_rng_are_restored_bit_for_bit():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
    model[0].bias.requires_grad_(False)
    model[3].eval()
    x, y = _classification()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    modes = [m.training for m in model.modules()]
    flags = [p.requires_grad for p in model.parameters()]
    random.seed(3)
    np.random.seed(4)
    rng = (torch.get_rng_state(), random.getstate(), np.random.get_state())
    preflight(model, nn.CrossEntropyLoss(), DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True),
              regularizer=_l2)
    after = model.state_dict()
    assert all(torch.equal(state[k], after[k]) for k in state)
    assert [m.training for m in model.modules()] == modes
    assert [p.requires_grad for p in model.parameters()] == flags
    assert all(p.grad is None for p in model.parameters())
    assert torch.equal(torch.get_rng_state(), rng[0]) and random.getstate() == rng[1]
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), rng[2]))


def test_a_loaders_own_generator_is_restored():
    x, y = _classification()
    gen = torch.Generator().manual_seed(5)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=gen)
    before = gen.get_state()
    preflight(_mlp(4, 3), nn.CrossEntropyLoss(), loader, checks=["labels"])
    assert torch.equal(gen.get_state(), before)


@pytest.mark.parametrize("name", list(CHECKS))
def test_every_registered_check_returns_a_well_formed_result(name):
    report = preflight(_mlp(4, 3), nn.CrossEntropyLoss(), _classification(), checks=[name], regularizer=_l2)
    (result,) = report.results
    assert isinstance(result, CheckResult)
    assert result.name == name and result.verdict in VERDICTS and result.measurement


def test_a_new_check_is_one_registered_object():
    class AlwaysWarn(Check):
        name = "always_warn"

        def run(self, ctx):
            return self.result("warn", f"{ctx.task} with {len(ctx.target)} samples", "nothing to fix", seen=True)

    register_check(AlwaysWarn)
    try:
        report = preflight(_mlp(4, 3), nn.CrossEntropyLoss(), _classification(), checks=["always_warn"])
    finally:
        del CHECKS["always_warn"]
    assert report.passed and report["always_warn"].measurement == "classification with 64 samples"


def test_a_crashing_loss_is_reported_as_a_failed_check():
    def broken_loss(output, target):
        raise RuntimeError("shape trouble")

    report = preflight(_mlp(4, 3), broken_loss, _classification(), checks=["init_loss"], task="classification")
    assert report["init_loss"].verdict == "fail" and "shape trouble" in report["init_loss"].measurement


def test_report_renders_as_text_and_rows():
    x, y = _classification()
    y = y.clone()
    y[0] = 7
    report = preflight(_mlp(4, 3), nn.CrossEntropyLoss(), (x, y), checks=["labels", "init_loss"])
    text = str(report)
    assert "FAILED" in text.splitlines()[0] and "labels" in text and "FAIL" in text
    assert report.to_rows()[0]["name"] == "labels" and report.as_dict()["failing"] == ["labels"]


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"task": "ranking"}, ValueError, "task"),
        ({"num_classes": 1}, ValueError, "num_classes"),
        ({"checks": ["nope"]}, ValueError, "checks"),
        ({"checks": "labels"}, TypeError, "checks"),
        ({"overfit_steps": 0}, ValueError, "overfit_steps"),
        ({"overfit_lr": -1.0}, ValueError, "overfit_lr"),
        ({"weight_decay": -0.1}, ValueError, "weight_decay"),
        ({"regularizer": "l2"}, TypeError, "regularizer"),
    ],
)
def test_bad_options_raise_naming_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        preflight(_mlp(4, 3), nn.CrossEntropyLoss(), _classification(), **kwargs)


def test_bad_arguments_raise_naming_the_argument():
    data = _classification()
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        preflight(lambda x: x, nn.CrossEntropyLoss(), data)
    with pytest.raises(TypeError, match="loss_fn must be callable"):
        preflight(_mlp(4, 3), "cross_entropy", data)
    with pytest.raises(TypeError, match="data must be"):
        preflight(_mlp(4, 3), nn.CrossEntropyLoss(), data[0])
    with pytest.raises(TypeError, match="data must be"):
        preflight(_mlp(4, 3), nn.CrossEntropyLoss(), None)


def test_empty_loader_raises():
    empty = DataLoader(TensorDataset(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)), batch_size=8)
    with pytest.raises(ValueError, match="data yielded no batches"):
        preflight(_mlp(4, 3), nn.CrossEntropyLoss(), empty)


# ----------------------------------------------------------------------------- docs


def test_docstring_examples_run():
    outcome = doctest.testmod(preflight_module)
    assert outcome.attempted > 0 and outcome.failed == 0
