"""constant_loss: the loss of the best constant prediction, checked against closed forms computed here."""

import doctest
import importlib
import math

import numpy as np
import pytest
import torch
from torch import nn

from trainwise import fit
from trainwise.baselines import TargetSample, constant_loss


def _targets(n=2000, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).normal(3.0, 2.0, n).astype(np.float32))


def test_module_doctests_pass():
    assert doctest.testmod(importlib.import_module("trainwise.baselines")).failed == 0


def test_squared_error_gives_the_variance_of_the_targets():
    y = _targets()
    expected = float(np.var(y.numpy().astype(np.float64)))
    assert constant_loss(nn.MSELoss(), torch.zeros(len(y)), y) == pytest.approx(expected, rel=1e-5)


def test_absolute_error_gives_the_mean_distance_to_the_median():
    y = _targets(seed=1)
    values = y.numpy().astype(np.float64)
    expected = float(np.mean(np.abs(values - np.median(values))))
    assert constant_loss(nn.L1Loss(), torch.zeros(len(y)), y) == pytest.approx(expected, rel=1e-3)


def test_cross_entropy_gives_the_entropy_of_the_class_prior():
    labels = np.random.default_rng(2).choice(4, size=3000, p=[0.5, 0.3, 0.15, 0.05])
    p = np.bincount(labels, minlength=4) / len(labels)
    entropy = float(-(p * np.log(p)).sum())
    got = constant_loss(nn.CrossEntropyLoss(), torch.zeros(len(labels), 4), torch.from_numpy(labels))
    assert got == pytest.approx(entropy, rel=1e-4)
    assert got < math.log(4)  # a skewed prior is easier to guess than ln(C)


def test_binary_cross_entropy_on_logits_is_refined_to_the_log_odds():
    y = torch.from_numpy((np.random.default_rng(3).random(2000) < 0.2).astype(np.float32))
    p = float(y.mean())
    expected = -(p * math.log(p) + (1 - p) * math.log(1 - p))
    assert constant_loss(nn.BCEWithLogitsLoss(), torch.zeros(len(y)), y) == pytest.approx(expected, rel=1e-4)


def test_one_constant_per_output_and_per_class_map():
    y = torch.stack([_targets(seed=4), 10 * _targets(seed=5)], 1)  # two outputs of very different spread
    expected = float(np.var(y.numpy().astype(np.float64), axis=0).mean())
    assert constant_loss(nn.MSELoss(), torch.zeros(len(y), 2), y) == pytest.approx(expected, rel=1e-4)
    seg = torch.from_numpy(np.random.default_rng(6).choice(3, size=(50, 4, 4), p=[0.6, 0.3, 0.1]))
    # a class map gets one prior per pixel (a model that ignores its input can still know where the sky is)
    labels = seg.numpy().reshape(50, 16)
    entropies = []
    for pixel in labels.T:
        p = np.bincount(pixel, minlength=3) / 50
        entropies.append(-(p[p > 0] * np.log(p[p > 0])).sum())
    got = constant_loss(nn.CrossEntropyLoss(), torch.zeros(50, 3, 4, 4), seg)
    assert got == pytest.approx(float(np.mean(entropies)), rel=1e-2)


def test_an_ignored_label_is_not_a_class():
    y = torch.tensor([0, 1, 1, -100, 0, 1])
    expected = -(0.4 * math.log(0.4) + 0.6 * math.log(0.6))
    assert constant_loss(nn.CrossEntropyLoss(), torch.zeros(6, 2), y) == pytest.approx(expected, rel=1e-3)


def test_large_sets_are_subsampled_evenly():
    y = _targets(n=50_000, seed=7)
    full = float(np.var(y.numpy().astype(np.float64)))
    assert constant_loss(nn.MSELoss(), torch.zeros(len(y)), y, max_samples=5000) == pytest.approx(full, rel=0.05)


def test_a_loss_that_is_not_a_scalar_or_a_set_with_nothing_to_fit_gives_none():
    y = _targets(n=10)
    assert constant_loss(lambda out, t: out - t, torch.zeros(10), y) is None
    assert constant_loss(nn.MSELoss(), torch.zeros(0), y[:0]) is None
    assert constant_loss(nn.CrossEntropyLoss(), torch.zeros(10, 3, dtype=torch.long), y.long()) is None
    assert constant_loss(nn.MSELoss(), torch.zeros(10), y[:5]) is None  # not one target per sample


@pytest.mark.parametrize("outputs, targets, max_samples, match", [
    ([0.0], torch.zeros(1), 10, "outputs and targets must be tensors"),
    (torch.zeros(1), None, 10, "outputs and targets must be tensors"),
    (torch.zeros(1), torch.zeros(1), 0, "max_samples"),
    (torch.zeros(1), torch.zeros(1), True, "max_samples"),
])  # fmt: skip
def test_bad_input_names_the_argument(outputs, targets, max_samples, match):
    with pytest.raises((TypeError, ValueError), match=match):
        constant_loss(nn.MSELoss(), outputs, targets, max_samples=max_samples)


def test_fit_records_the_constant_prediction_of_its_validation_set():
    torch.manual_seed(0)
    x = torch.randn(256, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 4.0
    train = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 192, 32)]
    val = [(x[192:], y[192:])]
    h = fit(nn.Sequential(nn.Linear(3, 1), nn.Flatten(0)), nn.MSELoss(), train, val_loader=val, epochs=2, lr=0.05,
            seed=0)  # fmt: skip
    expected = float(np.var(y[192:].numpy().astype(np.float64)))
    assert h.extras["constant_loss"] == pytest.approx(expected, rel=1e-4)
    assert "constant_loss" not in fit(nn.Linear(3, 1), nn.MSELoss(), [(x[:8], y[:8, None])], epochs=1, lr=0.1).extras
    # and of the training targets it saw, each sample once (two epochs over the same 192)
    assert h.extras["constant_loss_train"] == pytest.approx(float(np.var(y[:192].numpy().astype(np.float64))), rel=1e-4)


def test_a_target_sample_keeps_the_first_samples_and_leaves_out_what_one_constant_cannot_fit():
    sample = TargetSample(max_samples=5)
    sample.add(torch.zeros(4, 2), torch.tensor([0, 1, 1, 1]))
    sample.add((torch.zeros(4, 2),), torch.tensor([0, 0, 0, 0]))  # outputs that are not one tensor
    sample.add(torch.zeros(4, 3), torch.tensor([2, 2, 2, 2]))  # another output shape
    sample.add(torch.zeros(4, 2), torch.tensor([0, 0, 0, 0]))  # only one more sample fits under the cap
    assert sample.count == 5
    prior = torch.tensor([2 / 5, 3 / 5])  # the labels kept: 0, 1, 1, 1, 0
    assert sample.constant_loss(nn.CrossEntropyLoss()) == pytest.approx(float(-(prior * prior.log()).sum()), rel=1e-4)
    assert TargetSample().constant_loss(nn.CrossEntropyLoss()) is None
    maps = TargetSample(max_values=1000)  # class maps of 10x10 values per sample: 10 samples fill 1000 values
    for _ in range(3):
        maps.add(torch.zeros(4, 3, 10, 10), torch.zeros(4, 10, 10, dtype=torch.long))
    assert maps.count == 10 and maps.values == 1000
    for bad in ({"max_samples": 0}, {"max_values": 2.5}, {"max_samples": True}):
        with pytest.raises(ValueError, match=f"{next(iter(bad))} must be a positive int"):
            TargetSample(**bad)
    ragged = TargetSample()
    ragged.add(torch.zeros(2, 1), torch.zeros(2, 1))
    ragged.add(torch.zeros(2, 1), torch.zeros(2, 3))  # targets that do not stack
    assert ragged.constant_loss(nn.MSELoss()) is None
