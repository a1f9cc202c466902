"""The statistics and histograms a Monitor records for one layer's output (trainwise.layer_stats)."""

import math

import numpy as np
import torch
from torch import nn

from trainwise.layer_stats import (
    GRAD_LOG10_RANGE,
    HISTOGRAM_VALUES,
    STAT_FIELDS,
    edges,
    first_tensor,
    gradient_histogram,
    histogram,
    hooked_modules,
    output_stats,
)


def _stats(y, kind, x=None):
    values, positions = output_stats(y, kind, x)
    return dict(zip(STAT_FIELDS, values.tolist())), positions


def test_relu_output_counts_zeros_and_units_dead_on_the_whole_batch():
    y = torch.tensor([[0.0, 1.0, 0.0, 2.0], [0.0, 0.0, 0.0, 3.0], [0.0, 4.0, 0.0, 0.0]])
    s, positions = _stats(y, "relu")
    assert positions == 3
    assert math.isclose(s["zero_frac"], 8 / 12, rel_tol=1e-6)
    assert s["dead_frac"] == 2 / 4  # columns 0 and 2 never fire
    assert math.isnan(s["saturated_frac"])
    assert math.isclose(s["mean"], float(y.mean()), rel_tol=1e-6) and math.isclose(s["std"], float(y.std()), rel_tol=1e-6)
    unit_std = math.sqrt(float(y.var(dim=0).mean()))  # each unit's variance over the batch, averaged
    assert math.isclose(s["unit_std"], unit_std, rel_tol=1e-6)


def test_tanh_and_sigmoid_saturation_and_images_per_channel():
    t = torch.tensor([[0.995, -0.999, 0.5, 0.0]])
    assert _stats(t, "tanh")[0]["saturated_frac"] == 0.5
    sig = torch.tensor([[0.005, 0.995, 0.5, 0.2]])
    assert _stats(sig, "sigmoid")[0]["saturated_frac"] == 0.5
    image = torch.zeros(2, 3, 4, 4)
    image[:, 1] = torch.randn(2, 4, 4).abs() + 0.1  # channel 1 alive, 0 and 2 dead
    s, positions = _stats(image, "relu")
    assert positions == 2 * 16 and math.isclose(s["dead_frac"], 2 / 3, rel_tol=1e-6)


def test_a_layer_reports_the_spread_of_its_input_and_nonfinite_outputs_are_flagged():
    x = torch.randn(64, 5) * 3
    s, _ = _stats(torch.randn(64, 2), "layer", x)
    assert math.isclose(s["in_unit_std"], math.sqrt(float(x.var(dim=0).mean())), rel_tol=1e-5)
    bad = torch.ones(4, 3)
    bad[1, 2] = math.inf
    assert _stats(bad, "layer")[0]["nonfinite"] == 1.0
    assert _stats(torch.ones(4, 3), "layer")[0]["nonfinite"] == 0.0
    empty, positions = output_stats(torch.zeros(0, 3), "relu", None)
    assert positions == 0 and np.isnan(empty).all()


def test_histograms_count_every_finite_value_in_fixed_bins():
    y = torch.tensor([-2.0, -0.5, 0.0, 0.5, 0.999, math.nan])
    counts = histogram(y, "tanh")
    assert sum(counts) == 5 and len(counts) == len(edges("tanh")) - 1
    assert counts[0] == 1 and counts[-1] == 1  # -2 clipped into the first bin, 0.999 in the last
    assert counts == np.histogram(np.clip([-2.0, -0.5, 0.0, 0.5, 0.999], -1, 1), edges("tanh"))[0].tolist()
    wide = torch.tensor([-50.0, -0.05, 0.0, 0.05, 50.0, 1e6])
    assert histogram(wide, "relu") == histogram(wide, "default")  # no range of its own: the signed-log bins
    e = edges("default")
    assert e[0] < 0 < e[-1] and np.all(np.diff(e) > 0) and 0.0 in e
    # every value lands in the bin whose real-valued edges enclose it (the edges invert the signed log)
    for v, c in zip([-50.0, -0.05, 0.05, 50.0], [-50.0, -0.05, 0.05, 50.0]):
        index = histogram(torch.tensor([v]), "default").index(1)
        assert e[index] <= c <= e[index + 1]


def test_histogram_counts_equal_numpys_on_random_values():
    g = torch.Generator().manual_seed(0)
    for kind, y in (("tanh", torch.rand(20_000, generator=g) * 2.4 - 1.2), ("default", torch.randn(20_000, generator=g) * 30)):
        low, high, bins = {"tanh": (-1.0, 1.0, 20), "default": (-5.0, 5.0, 20)}[kind]
        values = y.double().numpy()
        if kind == "default":
            values = np.sign(values) * np.log10(1 + np.abs(values) / 1e-3)
        expected = np.histogram(np.clip(values, low, high), bins, (low, high))[0].tolist()
        assert histogram(y, kind) == expected


def test_gradient_histogram_reads_log10_magnitudes_and_bounds_its_cost():
    low, high, bins = GRAD_LOG10_RANGE
    g = torch.tensor([0.0, 1e-3, -1e-3, math.nan, math.inf])
    counts = gradient_histogram(g)
    width = (high - low) / bins
    assert len(counts) == bins and sum(counts) == 5
    assert counts[0] == 1 and counts[-1] == 2  # the zero lowest; NaN and Inf highest
    assert counts[int((-3 - low) / width)] == 2
    big = torch.full((3 * HISTOGRAM_VALUES,), 0.5)
    assert sum(gradient_histogram(big)) == HISTOGRAM_VALUES


def test_hooked_modules_and_first_tensor():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Sequential(nn.Linear(4, 2), nn.ReLU()), nn.Dropout())
    model[0].requires_grad_(False)
    assert {n: k for n, (_, k) in hooked_modules(model).items()} == {"1": "tanh", "2.0": "layer", "2.1": "relu"}
    assert list(hooked_modules(nn.ReLU())) == ["ReLU"]
    # LeakyReLU with slope 0 is a ReLU, whose units can die (zoo s476); with a slope it is not
    leaky = nn.Sequential(nn.LeakyReLU(0.0), nn.LeakyReLU(0.01))
    assert {n: k for n, (_, k) in hooked_modules(leaky).items()} == {"0": "relu", "1": "leaky_relu"}
    t = torch.ones(2)
    assert first_tensor((None, [1, (t, torch.zeros(1))])) is t and first_tensor(("a", 3)) is None
