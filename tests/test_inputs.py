"""Validation inputs against training inputs: running per-feature moments, their comparison, and the Monitor
reading both inside fit and in a user's own loop."""

import doctest
import importlib

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from trainwise import Monitor, fit
from trainwise.inputs import (
    MAX_FEATURES, InputMoments, InputRows, TokenCounts, classifier_auc, compare_inputs, compare_tokens,
    first_float_tensor, first_integer_tensor,
)

inputs_module = importlib.import_module("trainwise.inputs")


def test_module_doctests_pass():
    assert doctest.testmod(inputs_module).failed == 0


def test_moments_over_several_batches_equal_numpy_on_the_whole_set():
    rng = np.random.default_rng(0)
    data = rng.normal(3.0, 2.0, (500, 7)).astype(np.float32)
    m = InputMoments()
    for chunk in np.array_split(data, 9):
        m.add(torch.from_numpy(chunk))
    assert m.count == 500 and m.width == 7
    np.testing.assert_allclose(m.mean(), data.astype(np.float64).mean(0), rtol=1e-10)
    np.testing.assert_allclose(m.std(), data.astype(np.float64).std(0), rtol=1e-8)


def test_samples_are_flattened_and_wide_ones_read_at_evenly_spread_positions():
    images = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    m = InputMoments()
    m.add(images)
    assert m.width == 48 and len(m.mean()) == 48
    np.testing.assert_allclose(m.mean(), images.reshape(2, -1).double().mean(0).numpy())
    wide = InputMoments()
    wide.add(torch.ones(3, 3 * MAX_FEATURES + 5))
    assert wide.width == 3 * MAX_FEATURES + 5 and len(wide.mean()) <= MAX_FEATURES


def test_integers_other_widths_and_empty_batches_are_left_out():
    m = InputMoments()
    m.add(torch.randint(0, 10, (8, 4)))  # token ids: no distribution to compare in this sense
    m.add(torch.empty(0, 4))
    m.add(None)
    assert m.count == 0 and m.width is None
    m.add(torch.randn(8, 4))
    m.add(torch.randn(8, 5))  # variable-length inputs: positions would not line up
    assert m.count == 8 and m.skipped == 1


def test_non_finite_values_do_not_poison_the_moments():
    m = InputMoments()
    m.add(torch.tensor([[1.0, float("nan")], [3.0, 2.0], [5.0, float("inf")]]))
    assert m.mean().tolist() == [3.0, 2.0] and m.std()[1] == 0.0  # each feature over its finite values


def _moments(x):
    m = InputMoments()
    m.add(torch.as_tensor(x))
    return m


def test_compare_gives_the_median_shift_in_training_stds_and_the_spread_ratio():
    rng = np.random.default_rng(1)
    train = rng.standard_normal((3000, 5)) * [1, 2, 3, 4, 5]
    val = rng.standard_normal((3000, 5)) * [1, 2, 3, 4, 5] * 1.5 + np.array([1, 2, 3, 4, 5]) * 0.8
    r = compare_inputs(_moments(train), _moments(val))
    # independent expectation: per feature |mean_v - mean_t| / std_t and std_v / std_t, medians over features
    shift = np.median(np.abs(val.mean(0) - train.mean(0)) / train.std(0))
    spread = np.exp(np.median(np.log(val.std(0) / train.std(0))))
    assert r["mean_shift"] == pytest.approx(shift) and r["spread_ratio"] == pytest.approx(spread)
    assert r["mean_shift"] == pytest.approx(0.8, abs=0.1) and r["spread_ratio"] == pytest.approx(1.5, abs=0.1)
    assert r["train_samples"] == r["val_samples"] == 3000 and r["features"] == 5


def test_same_distribution_stays_within_the_sampling_noise_it_reports():
    rng = np.random.default_rng(2)
    r = compare_inputs(_moments(rng.standard_normal((400, 20))), _moments(rng.standard_normal((100, 20))))
    assert r["mean_shift"] < 3 * r["mean_shift_noise"]
    assert abs(np.log(r["spread_ratio"])) < 3 * r["log_spread_noise"]


def test_constant_features_are_not_compared_and_nothing_comparable_gives_none():
    train = np.zeros((50, 3))
    train[:, 0] = np.arange(50)
    val = np.ones((50, 3)) * 7  # constant features moved: no training scale to measure them in
    val[:, 0] = np.arange(50)
    r = compare_inputs(_moments(train), _moments(val))
    assert r["features"] == 1 and r["mean_shift"] == 0.0
    assert compare_inputs(_moments(np.zeros((50, 3))), _moments(val)) is None
    assert compare_inputs(_moments(train), _moments(np.ones((50, 4)))) is None
    assert compare_inputs(InputMoments(), _moments(val)) is None


def test_a_classifier_tells_a_one_feature_selection_apart_that_the_medians_miss():
    rng = np.random.default_rng(4)
    train, pool = rng.standard_normal((2000, 8)), rng.standard_normal((4000, 8))
    tail = pool[pool[:, 0] > 0.5][:500]  # validation drawn from one tail of one feature
    m = compare_inputs(_moments(train), _moments(tail))
    assert m["mean_shift"] < 0.2  # the median over 8 features barely moves
    auc, noise = classifier_auc(train, tail)
    assert auc > 0.75 and noise == pytest.approx(np.sqrt((2 * 500 + 1) / (12 * 500**2)))
    alike, _ = classifier_auc(train, pool[:500])
    assert abs(alike - 0.5) < 4 * noise
    wider, _ = classifier_auc(train, 2 * pool[:500])  # same means, twice the spread: the squares see it
    assert wider > 0.75


def test_repeated_training_rows_cannot_leak_across_folds():
    # 30 distinct training samples seen again and again (a tiny training set over many epochs) against fresh
    # validation samples of the same distribution: the classifier must not score rows it trained on
    rng = np.random.default_rng(5)
    tiny = np.repeat(rng.standard_normal((30, 10)), 20, axis=0)
    auc, noise = classifier_auc(tiny, rng.standard_normal((600, 10)))
    assert auc < 0.5 + 5 * noise


def test_too_few_rows_or_no_varying_feature_gives_no_auc():
    rng = np.random.default_rng(6)
    assert classifier_auc(rng.standard_normal((10, 3)), rng.standard_normal((50, 3))) is None
    assert classifier_auc(np.ones((50, 3)), rng.standard_normal((50, 3))) is None
    broken = rng.standard_normal((60, 3))
    broken[:45, 0] = np.nan  # rows with a NaN are left out: 15 finite rows remain
    assert classifier_auc(broken, rng.standard_normal((60, 3))) is None
    broken[:45, 0] = np.inf
    auc, _ = classifier_auc(rng.standard_normal((60, 3)), np.concatenate([broken, rng.standard_normal((60, 3))]))
    assert np.isfinite(auc)


def test_rows_keep_the_first_samples_at_a_bounded_width():
    rows = InputRows(capacity=5, features=4)
    rows.add(torch.arange(3 * 10, dtype=torch.float32).reshape(3, 10))
    rows.add(torch.zeros(4, 10))
    rows.add(torch.zeros(4, 7))  # another width: left out
    rows.add(torch.randint(0, 3, (4, 10)))  # integers: left out
    r = rows.rows()
    assert r.shape == (5, 4) and r[0].tolist() == [0.0, 3.0, 6.0, 9.0] and rows.width == 10


def test_the_first_float_tensor_is_found_in_args_kwargs_and_nested_containers():
    x = torch.randn(2, 3)
    ids = torch.tensor([1, 2])
    assert first_float_tensor((ids, x)) is x
    assert first_float_tensor((), {"input_ids": ids, "features": x}) is x
    assert first_float_tensor(([ids, {"a": x}],)) is x
    assert first_float_tensor((ids,), {"n": 3}) is None


# -- the Monitor reads both sides ------------------------------------------------------------------------------
def _loaders(shift=0.0, spread=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    x, xv = torch.randn(256, 6, generator=g), torch.randn(128, 6, generator=g) * spread + shift
    y, yv = x.sum(1, keepdim=True), xv.sum(1, keepdim=True)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(seed))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=64)


@pytest.mark.parametrize("shift, spread", [(0.0, 1.0), (2.0, 1.0), (0.0, 3.0)])
def test_inside_fit_the_monitor_compares_validation_inputs_with_training_inputs(shift, spread):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1))
    train, val = _loaders(shift, spread)
    h = fit(model, nn.MSELoss(), train, val_loader=val, epochs=3, lr=1e-2, callbacks=[Monitor(every=4)])
    r = h.extras["monitor"]["inputs"]
    assert r["val_samples"] == 128  # the first validation pass only, not once per epoch
    assert r["train_samples"] == 32 * len([s for s in range(24) if s in (0, 1, 2) or s % 4 == 0])
    assert r["mean_shift"] == pytest.approx(shift, abs=0.35) and r["spread_ratio"] == pytest.approx(spread, rel=0.25)
    assert (r["classifier_auc"] > 0.8) is (shift > 0 or spread > 1)
    assert not any(m._forward_pre_hooks for m in model.modules())
    found = "unrepresentative_validation" in h.diagnose().names
    assert found is (shift > 0 or spread > 1)


def test_in_a_users_loop_validating_reads_the_validation_inputs():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    train, val = _loaders(shift=1.5)
    with Monitor(model, opt, every=2) as monitor:
        for x, y in train:
            loss = nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            monitor.before_step()
            opt.step()
            monitor.after_step(loss)
        model.eval()
        with torch.no_grad(), monitor.validating():
            val_loss = float(np.mean([nn.functional.mse_loss(model(x), y).item() for x, y in val]))
        model(torch.randn(50, 6) - 9.0)  # outside the block: not validation, not read
        monitor.end_epoch(val_loss=val_loss)
    r = monitor.record["inputs"]
    assert r["val_samples"] == 128 and r["mean_shift"] == pytest.approx(1.5, abs=0.35)
    with pytest.raises(RuntimeError, match="not running"):
        with monitor.validating():
            pass


def test_eval_mode_forward_passes_in_training_are_not_read_as_training_inputs():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with Monitor(model, opt) as monitor:
        model.eval()
        model(torch.randn(5, 6) + 100)  # an evaluation between steps, outside validating()
        model.train()
        loss = model(torch.randn(4, 6)).pow(2).mean()
        loss.backward()
        monitor.before_step()
        opt.step()
        monitor.after_step(loss)
    assert monitor.record["inputs"] is None  # no validation pass: nothing to compare
    assert monitor._train_inputs.count == 4


def _zipf_batches(rng, batches, vocab=5000, offset=0, shape=(32, 40)):
    """Token batches from a Zipf-like vocabulary (word k drawn with probability ~ 1/k): rare words are new in any
    batch, which is what sampling alone leaves unseen."""
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    return [torch.from_numpy(rng.choice(vocab, size=shape, p=p) + offset) for _ in range(batches)]


def _counted(batches) -> TokenCounts:
    counts = TokenCounts()
    for b in batches:
        counts.add(b)
    return counts


def test_tokens_from_the_same_vocabulary_are_no_newer_than_a_training_batch_is_to_the_others():
    rng = np.random.default_rng(0)
    r = compare_tokens(_counted(_zipf_batches(rng, 10)), _counted(_zipf_batches(rng, 4)))
    assert r["train_batches"] == 10 and r["val_tokens"] == 4 * 32 * 40
    assert 0.02 < r["train_unseen"] < 0.2  # rare words: new in every batch, measured
    assert abs(r["val_unseen"] - r["train_unseen"]) < 5 * r["unseen_noise"] < 0.05


def test_tokens_of_another_vocabulary_are_counted_as_unseen():
    rng = np.random.default_rng(1)
    train, val = _counted(_zipf_batches(rng, 10)), _zipf_batches(rng, 4)
    for b in val:
        b[:, ::4] += 10_000  # every fourth word from a vocabulary training never used
    r = compare_tokens(train, _counted(val))
    assert r["val_unseen"] - r["train_unseen"] == pytest.approx(0.25, abs=0.05)


def test_token_counts_leave_out_floats_bools_padding_and_batches_past_the_cap():
    t = TokenCounts(max_batches=2)
    t.add(torch.tensor([[4, 4, -1], [-100, 5, 6]]))  # negative ids are padding
    t.add(torch.ones(3) > 0)
    t.add(torch.rand(2, 3))
    t.add(torch.tensor([7, 8]))
    t.add(torch.tensor([9]))  # over the cap
    assert t.batches == 2 and t.count == 6
    assert compare_tokens(TokenCounts(), t) is None and compare_tokens(t, TokenCounts()) is None
    assert first_integer_tensor((torch.ones(2) > 0, torch.rand(2)), {"ids": torch.tensor([1])}).tolist() == [1]
    for bad in (0, 2.0, True):
        with pytest.raises(ValueError, match="max_batches must be a positive int"):
            TokenCounts(max_batches=bad)


class _Bag(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.EmbeddingBag(100, 8)
        self.head = nn.Linear(8, 2)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(ids))


@pytest.mark.parametrize("other", [False, True])
def test_inside_fit_an_embedding_models_validation_vocabulary_is_compared_with_trainings(other):
    g = torch.Generator().manual_seed(0)
    x, xv = torch.randint(0, 40, (256, 12), generator=g), torch.randint(0, 40, (128, 12), generator=g)
    if other:
        xv[:, :6] += 50  # half of each validation sequence from words 50-89, never seen in training
    y, yv = (x < 20).sum(1) % 2, (xv < 20).sum(1) % 2
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    h = fit(_Bag(), nn.CrossEntropyLoss(), train, val_loader=DataLoader(TensorDataset(xv, yv), batch_size=64),
            epochs=2, lr=1e-2, callbacks=[Monitor(every=4)])  # fmt: skip
    r = h.extras["monitor"]["tokens"]
    assert h.extras["monitor"]["inputs"] is None  # no floating-point input to take moments of
    assert r["val_tokens"] == 128 * 12 and r["train_unseen"] == 0.0
    assert r["val_unseen"] == pytest.approx(0.5 if other else 0.0)
    assert ("unrepresentative_validation" in h.diagnose().names) is other


def test_tensors_in_walks_tuples_lists_and_dicts_in_order():
    from trainwise.batches import tensors_in

    a, b, c, d = (torch.full((1,), float(i)) for i in range(4))
    assert [float(t) for t in tensors_in((a, [1, {"x": b, "y": (c,)}], "s", d))] == [0.0, 1.0, 2.0, 3.0]
    assert list(tensors_in({"k": None})) == [] and list(tensors_in(a)) == [a]
    ids = torch.tensor([1, 2])
    assert first_float_tensor((ids,), {"mask": ids, "pixels": b}) is b  # integer ids skipped, kwargs after args
