"""Experiments: the built-ins' data, splits and scaling (checked against the raw files), seeded models and
loaders, that each built-in learns with its defaults, and loading user experiments with every error."""

import csv
import dataclasses
import doctest
import importlib.util
import math
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

import trainwise.experiments as ex
from trainwise.experiments import (
    BUILTINS,
    Experiment,
    ExperimentError,
    Metric,
    builtin_names,
    load_experiment,
    metric_direction,
)

# ------------------------------------------------------------------------------------------ helpers


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # These models are tiny: a second intra-op thread does not speed them up, and on a busy 2-core
    # machine its synchronisation made an epoch ten times slower.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _package_dir(name):
    return Path(importlib.util.find_spec(name).origin).parent


@pytest.fixture(scope="module")
def diamonds_raw():
    """Columns carat, depth, table, x, y, z, price read with the csv module (independent of the loader)."""
    with open(_package_dir("plotnine") / "data" / "diamonds.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    cols = ["carat", "depth", "table", "x", "y", "z", "price"]
    return np.array([[float(r[c]) for c in cols] for r in rows])


@pytest.fixture(scope="module")
def co2_series():
    """Weekly CO2 with each gap filled on the straight line between its neighbours."""
    with open(_package_dir("statsmodels") / "datasets" / "co2" / "co2.csv", newline="") as f:
        values = [float(r["co2"]) if r["co2"] else None for r in csv.DictReader(f)]
    filled = list(values)
    for i, v in enumerate(values):
        if v is None:
            p = max(j for j in range(i) if values[j] is not None)
            q = min(j for j in range(i + 1, len(values)) if values[j] is not None)
            filled[i] = values[p] + (values[q] - values[p]) * (i - p) / (q - p)
    return np.array(filled)


def _tensors(dataset):
    return dataset.tensors[0], dataset.tensors[1]


def _toy(**changes):
    data = TensorDataset(torch.randn(10, 3), torch.randn(10))
    fields = dict(
        name="toy",
        description="linear",
        model_factory=lambda: nn.Sequential(nn.Linear(3, 1), nn.Flatten(0)),
        loss_fn=nn.MSELoss(),
        train_data=data,
        val_data=data,
        metric=Metric("mse", lambda o, y: float(((o - y) ** 2).mean())),
        task="regression",
    )
    return Experiment(**{**fields, **changes})


def _train(exp, epochs, seed=0):
    """Plain PyTorch: Adam at the experiment's lr over its train loader; returns val predictions."""
    model = exp.make_model(seed)
    opt = torch.optim.Adam(model.parameters(), lr=exp.lr)
    train, _ = exp.loaders(seed=seed)
    for _ in range(epochs):
        model.train()
        for x, y in train:
            opt.zero_grad()
            exp.loss_fn(model(x), y).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        return model(exp.val_data.tensors[0])


# ---------------------------------------------------------------------------------------- built-ins


def test_builtin_names_match_the_registry():
    assert builtin_names() == ["diamonds", "digits", "co2"] == list(BUILTINS)
    for name in builtin_names():
        assert load_experiment(name).name == name


@pytest.mark.parametrize(
    "name, x_shape, y_dtype, n_total, task, num_classes, metric, direction",
    [
        ("diamonds", (6,), torch.float32, 53940, "regression", None, "mae", "min"),
        ("digits", (1, 8, 8), torch.int64, 1797, "classification", 10, "accuracy", "max"),
        ("co2", (52, 1), torch.float32, 2284 - 52, "regression", None, "mae", "min"),
    ],
)
def test_builtin_shapes_dtypes_and_fields(name, x_shape, y_dtype, n_total, task, num_classes, metric, direction):
    exp = load_experiment(name)
    (xt, yt), (xv, yv) = _tensors(exp.train_data), _tensors(exp.val_data)
    assert xt.shape[1:] == xv.shape[1:] == x_shape and xt.dtype == xv.dtype == torch.float32
    assert yt.dtype == yv.dtype == y_dtype and yt.dim() == yv.dim() == 1
    assert len(xt) == len(yt) and len(xv) == len(yv) and len(xt) + len(xv) == n_total
    assert abs(len(xv) / n_total - 0.2) < 0.01
    assert (exp.task, exp.num_classes, exp.metric.name, exp.metric.direction) == (task, num_classes, metric, direction)
    assert exp.description
    x, y = exp.sample_batch(8)
    out = exp.make_model(0)(x)
    expected_out = (8, num_classes) if num_classes else (8,)
    assert tuple(out.shape) == expected_out
    assert math.isfinite(exp.loss_fn(out, y).item())
    assert isinstance(exp.metric.fn(out, y), float)


def test_builtin_defaults():
    d, g, c = (load_experiment(n) for n in ("diamonds", "digits", "co2"))
    assert (d.optimizer, d.lr, d.batch_size, d.epochs) == ("adam", 1e-3, 256, 10)
    assert isinstance(d.loss_fn, nn.L1Loss) and isinstance(c.loss_fn, nn.MSELoss)
    assert isinstance(g.loss_fn, nn.CrossEntropyLoss)
    assert [p.shape for p in d.make_model().parameters()] == [(50, 6), (50,), (50, 50), (50,), (1, 50), (1,)]
    lstm = c.make_model().lstm
    assert (lstm.input_size, lstm.hidden_size, lstm.num_layers, lstm.batch_first) == (1, 32, 1, True)


def test_diamonds_split_is_a_deterministic_80_20_partition():
    first = ex._diamonds_arrays()
    ex._diamonds_arrays.cache_clear()
    second = ex._diamonds_arrays()
    assert np.array_equal(first.train_index, second.train_index) and np.array_equal(first.val_index, second.val_index)
    both = np.concatenate([first.train_index, first.val_index])
    assert np.array_equal(np.sort(both), np.arange(53940))
    assert len(first.val_index) == round(0.2 * 53940)
    assert not np.array_equal(first.train_index, np.sort(first.train_index))  # shuffled, not the file's order


def test_diamonds_standardizes_features_and_price_with_training_statistics_only(diamonds_raw):
    arrays = ex._diamonds_arrays()
    train, val = diamonds_raw[arrays.train_index], diamonds_raw[arrays.val_index]
    mean, std = train.mean(axis=0), train.std(axis=0)
    exp = load_experiment("diamonds")
    (xt, yt), (xv, yv) = _tensors(exp.train_data), _tensors(exp.val_data)
    np.testing.assert_allclose(xt.numpy(), (train[:, :6] - mean[:6]) / std[:6], atol=1e-5)
    np.testing.assert_allclose(xv.numpy(), (val[:, :6] - mean[:6]) / std[:6], atol=1e-5)
    np.testing.assert_allclose(yt.numpy(), (train[:, 6] - mean[6]) / std[6], atol=1e-5)
    np.testing.assert_allclose(yv.numpy(), (val[:, 6] - mean[6]) / std[6], atol=1e-5)
    # statistics of the whole file would give different numbers: the check above can tell
    full_mean = diamonds_raw.mean(axis=0)
    assert not np.allclose(xv.numpy(), (val[:, :6] - full_mean[:6]) / diamonds_raw[:, :6].std(axis=0), atol=1e-5)
    # the metric is in dollars
    outputs = torch.randn(len(yv))
    dollars = np.abs(outputs.double().numpy() * std[6] + mean[6] - val[:, 6]).mean()
    assert exp.metric.fn(outputs, yv) == pytest.approx(dollars, rel=1e-6)


def test_digits_split_is_stratified_and_pixels_use_training_statistics():
    from sklearn.datasets import load_digits

    digits = load_digits()
    arrays = ex._digits_arrays()
    assert np.array_equal(np.sort(np.concatenate([arrays.train_index, arrays.val_index])), np.arange(1797))
    for label in range(10):
        count = int((digits.target == label).sum())
        assert int((digits.target[arrays.val_index] == label).sum()) == round(0.2 * count)
    pixels = digits.images / 16.0
    mean, std = pixels[arrays.train_index].mean(), pixels[arrays.train_index].std()
    exp = load_experiment("digits")
    np.testing.assert_allclose(
        exp.val_data.tensors[0].numpy()[:, 0], (pixels[arrays.val_index] - mean) / std, atol=1e-5
    )
    assert torch.equal(exp.train_data.tensors[1], torch.from_numpy(digits.target[arrays.train_index]).long())
    assert exp.metric.fn(torch.eye(10)[exp.val_data.tensors[1]], exp.val_data.tensors[1]) == 1.0


def test_co2_windows_are_stationary_chronological_and_scaled_by_training_changes(co2_series):
    n = len(co2_series) - 52
    windows = np.stack([co2_series[i : i + 52] for i in range(n)])
    last = windows[:, -1]
    changes = co2_series[52:] - last
    n_val = round(0.2 * n)
    n_train = n - n_val
    scale = changes[:n_train].std()
    exp = load_experiment("co2")
    (xt, yt), (xv, yv) = _tensors(exp.train_data), _tensors(exp.val_data)
    assert len(yt) == n_train and len(yv) == n_val
    np.testing.assert_allclose(xt.numpy()[..., 0], (windows[:n_train] - last[:n_train, None]) / scale, atol=1e-5)
    np.testing.assert_allclose(xv.numpy()[..., 0], (windows[n_train:] - last[n_train:, None]) / scale, atol=1e-5)
    np.testing.assert_allclose(yt.numpy(), changes[:n_train] / scale, atol=1e-5)
    np.testing.assert_allclose(yv.numpy(), changes[n_train:] / scale, atol=1e-5)
    # MAE in ppm: predicting "no change" costs the mean absolute weekly change
    assert exp.metric.fn(torch.zeros_like(yv), yv) == pytest.approx(np.abs(changes[n_train:]).mean(), rel=1e-5)


# ------------------------------------------------------------------------------- learning, honestly


def test_diamonds_learns_val_mae_below_half_of_predicting_the_mean(diamonds_raw):
    arrays = ex._diamonds_arrays()
    price_train, price_val = diamonds_raw[arrays.train_index, 6], diamonds_raw[arrays.val_index, 6]
    baseline = np.abs(price_val - price_train.mean()).mean()
    predictions = _train(load_experiment("diamonds"), epochs=2).double().numpy()
    mae = np.abs(predictions * price_train.std() + price_train.mean() - price_val).mean()
    assert mae < 0.5 * baseline, (mae, baseline)


def test_digits_learns_accuracy_above_80_percent_in_3_epochs():
    exp = load_experiment("digits")
    logits = _train(exp, epochs=3)
    accuracy = (logits.argmax(dim=1) == exp.val_data.tensors[1]).double().mean().item()
    assert accuracy > 0.8


def test_co2_lstm_beats_the_no_change_forecast_in_4_epochs(co2_series):
    exp = load_experiment("co2")
    changes = co2_series[52:] - co2_series[51:-1]
    n_train = len(changes) - round(0.2 * len(changes))
    scale = changes[:n_train].std()
    naive = np.abs(changes[n_train:]).mean()
    predictions = _train(exp, epochs=4).double().numpy() * scale
    mae = np.abs(predictions - changes[n_train:]).mean()
    # weekly CO2 is noisy: least squares on the same windows reaches 0.78 of the naive error; seeds 0-5
    # reach 0.79-0.83 after 4 epochs, so ask for 0.9
    assert mae < 0.9 * naive, (mae, naive)


# ----------------------------------------------------------------------------------- models, loaders


def _params(model):
    return [t.detach().clone() for t in [*model.parameters(), *model.buffers()]]


@pytest.mark.parametrize("name", ["diamonds", "digits", "co2"])
def test_make_model_is_seeded_and_leaves_the_global_rng_alone(name):
    exp = load_experiment(name)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = _params(exp.make_model(seed=7))
    assert torch.equal(before, torch.get_rng_state())
    torch.manual_seed(999)  # a different global state must not matter
    b = _params(exp.make_model(seed=7))
    c = _params(exp.make_model(seed=8))
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    assert not all(torch.equal(p, q) for p, q in zip(a, c))


def test_make_model_rejects_bad_seed_and_a_factory_that_returns_no_module():
    with pytest.raises(TypeError, match="seed"):
        _toy().make_model(seed=1.5)
    with pytest.raises(TypeError, match="model_factory must return an nn.Module, got int"):
        _toy(model_factory=lambda: 3).make_model()


def _epoch(loader):
    return torch.cat([y for _, y in loader])


def test_loaders_replay_the_same_order_for_the_same_seed_and_keep_val_in_order():
    exp = load_experiment("co2")
    train_a, val = exp.loaders(seed=3)
    train_b, _ = exp.loaders(seed=3)
    train_c, _ = exp.loaders(seed=4)
    first = _epoch(train_a)
    assert torch.equal(first, _epoch(train_b))
    assert not torch.equal(first, _epoch(train_c))
    assert not torch.equal(first, _epoch(train_a))  # the next epoch is another order
    assert torch.equal(torch.sort(first).values, torch.sort(exp.train_data.tensors[1]).values)
    assert torch.equal(_epoch(val), exp.val_data.tensors[1])
    unshuffled, _ = exp.loaders(shuffle=False)
    assert torch.equal(_epoch(unshuffled), exp.train_data.tensors[1])


def test_loaders_batch_size_and_global_rng_untouched():
    exp = load_experiment("diamonds")
    train, val = exp.loaders()
    assert train.batch_size == val.batch_size == 256
    train, val = exp.loaders(batch_size=1000, seed=1)
    assert len(train) == math.ceil(len(exp.train_data) / 1000)
    before = torch.get_rng_state()
    for loader in (train, val):
        for _ in loader:
            pass
    assert torch.equal(before, torch.get_rng_state())
    with pytest.raises(ValueError, match="batch_size"):
        exp.loaders(batch_size=0)
    with pytest.raises(TypeError, match="batch_size"):
        exp.loaders(batch_size=2.0)


def test_sample_batch_is_the_first_n_samples():
    exp = load_experiment("digits")
    x, y = exp.sample_batch(20)
    assert torch.equal(x, exp.train_data.tensors[0][:20]) and torch.equal(y, exp.train_data.tensors[1][:20])
    xv, _ = exp.sample_batch(3, split="val")
    assert torch.equal(xv, exp.val_data.tensors[0][:3])
    with pytest.raises(ValueError, match="has 10 samples"):
        _toy().sample_batch(11)
    with pytest.raises(ValueError, match="split"):
        exp.sample_batch(2, split="test")


def test_experiments_are_fresh_objects_over_a_shared_cache():
    hits = ex._co2_arrays.cache_info().hits
    a, b = load_experiment("co2"), load_experiment("co2")
    assert ex._co2_arrays.cache_info().hits >= hits + 1
    assert a is not b and a.train_data is not b.train_data
    a.train_data.tensors[0].zero_()
    assert b.train_data.tensors[0].abs().sum() > 0
    assert load_experiment("co2").train_data.tensors[0].abs().sum() > 0


@pytest.mark.parametrize("name", ["diamonds", "digits", "co2"])
def test_builtins_pickle(name):
    exp = load_experiment(name)
    copy = pickle.loads(pickle.dumps(exp))
    x, y = exp.sample_batch(5)
    model = exp.make_model(0)
    assert copy.metric.fn(model(x), y) == exp.metric.fn(model(x), y)
    assert all(torch.equal(p, q) for p, q in zip(_params(copy.make_model(0)), _params(model)))


def test_missing_plotnine_gives_the_install_hint(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "plotnine" else real(name, *a))
    ex._diamonds_arrays.cache_clear()
    try:
        with pytest.raises(ModuleNotFoundError, match="pip install plotnine"):
            load_experiment("diamonds")
    finally:
        ex._diamonds_arrays.cache_clear()


# -------------------------------------------------------------------------------------------- metric


def test_metric_direction_and_better():
    low, high = Metric("mae", abs), Metric("accuracy", abs, "max")
    assert low.better(1.0, 2.0) and not low.better(2.0, 1.0) and not low.better(1.0, 1.0)
    assert high.better(2.0, 1.0) and not high.better(1.0, 2.0)
    nan = float("nan")
    for m in (low, high):
        assert m.better(5.0, nan) and not m.better(nan, 5.0) and not m.better(nan, nan)
    assert low.better(1.0, math.inf) and high.better(1.0, -math.inf)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("accuracy", "max"), ("balanced_accuracy", "max"), ("top1_acc", "max"), ("f1_score", "max"),
        ("R2Score", "max"), ("MulticlassAUROC", "max"), ("mean_iou", "max"), ("ndcg", "max"),
        ("mae", "min"), ("MeanSquaredError", "min"), ("val_loss", "min"), ("top1_error", "min"),
        ("word_error_rate", "min"), ("perplexity", "min"),
        ("neg_mean_squared_error", "max"), ("neg_log_loss", "max"),  # scikit-learn's scorer names
        ("<lambda>", None), ("metric", None), ("my_thing", None), ("", None),
        ("accuracy_scaled", "max"), ("recaller", None),  # whole words only: "recaller" is not "recall"
        # acronyms, glued words and numbers (torchmetrics' and torch's class names)
        ("MSELoss", "min"), ("NLLLoss", "min"), ("CrossEntropyLoss", "min"), ("IoU", "max"), ("MeanIoU", "max"),
        ("mIoU", "max"), ("AUCScore", "max"), ("F1score", "max"), ("acc1", "max"), ("top1acc", "max"),
        # scikit-learn: a final "score" is a score even after an error word; "neg" anywhere turns it round
        ("d2_absolute_error_score", "max"), ("test_neg_mean_squared_error", "max"), ("val_neg_mse", "max"),
        ("matthews_corrcoef", "max"), ("log_likelihood", "max"), ("negative_log_likelihood", "min"),
    ],
)
def test_metric_direction_reads_the_words_of_the_name(name, expected):
    assert metric_direction(name) == expected


def test_metric_direction_rejects_a_non_string():
    with pytest.raises(TypeError, match="name must be a str"):
        metric_direction(3)


def test_metric_direction_auto_reads_the_name_and_says_how_it_knew():
    assert (Metric("accuracy", abs).direction, Metric("accuracy", abs).direction_from) == ("max", "name")
    assert (Metric("rmse", abs).direction, Metric("rmse", abs).direction_from) == ("min", "name")
    assert (Metric("custom", abs).direction, Metric("custom", abs).direction_from) == ("min", "assumed")
    assert (Metric("custom", abs, "max").direction, Metric("custom", abs, "max").direction_from) == ("max", "given")
    assert Metric("accuracy", abs, "min").direction == "min"  # an explicit direction always wins
    # replace keeps the direction worked out (now given); direction="auto" reads the new name
    renamed = dataclasses.replace(Metric("custom", abs), name="accuracy")
    assert (renamed.direction, renamed.direction_from) == ("min", "given")
    reread = dataclasses.replace(Metric("custom", abs), name="accuracy", direction="auto")
    assert (reread.direction, reread.direction_from) == ("max", "name")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(name="", fn=abs), TypeError, "Metric.name"),
        (dict(name="m", fn=3), TypeError, "Metric.fn"),
        (dict(name="m", fn=abs, direction="down"), ValueError, "direction='down'"),
    ],
)
def test_metric_rejects_bad_fields(kwargs, error, match):
    with pytest.raises(error, match=match):
        Metric(**kwargs)


def test_metric_is_frozen_and_builtin_metrics_reject_mismatched_shapes():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Metric("m", abs).direction = "max"
    mae = load_experiment("co2").metric
    with pytest.raises(ValueError, match="shape"):
        mae.fn(torch.zeros(4, 1), torch.zeros(4))
    accuracy = load_experiment("digits").metric
    with pytest.raises(ValueError, match="accuracy"):
        accuracy.fn(torch.zeros(4), torch.zeros(4))


# ---------------------------------------------------------------------------------- bad experiments


@pytest.mark.parametrize(
    "changes, error, match",
    [
        (dict(name=""), TypeError, "Experiment.name"),
        (dict(description=None), TypeError, "Experiment.description"),
        (dict(model_factory="mlp"), TypeError, "Experiment.model_factory"),
        (dict(loss_fn=None), TypeError, "Experiment.loss_fn"),
        (dict(train_data=[(1, 2)]), TypeError, "Experiment.train_data"),
        (dict(val_data=torch.zeros(3)), TypeError, "Experiment.val_data"),
        (dict(metric="mae"), TypeError, "Experiment.metric"),
        (dict(task="ranking"), ValueError, "task='ranking'"),
        (dict(task="classification"), ValueError, "num_classes=None"),
        (dict(task="classification", num_classes=1), ValueError, "num_classes=1"),
        (dict(num_classes=3), ValueError, "num_classes must be None for a regression"),
        (dict(batch_size=0), ValueError, "batch_size=0"),
        (dict(batch_size=True), TypeError, "batch_size"),
        (dict(epochs=-1), ValueError, "epochs=-1"),
        (dict(optimizer="lbfgs"), ValueError, "optimizer='lbfgs'"),
        (dict(lr=-1e-3), ValueError, "lr=-0.001"),
        (dict(lr=float("nan")), ValueError, "lr=nan"),
        (dict(lr="1e-3"), TypeError, "lr='1e-3'"),
    ],
)
def test_experiment_rejects_bad_fields(changes, error, match):
    with pytest.raises(error, match=match):
        _toy(**changes)


def test_replace_revalidates_and_classification_needs_num_classes():
    exp = _toy(task="classification", num_classes=3)
    assert dataclasses.replace(exp, lr=0.1).lr == 0.1
    with pytest.raises(ValueError, match="epochs"):
        dataclasses.replace(exp, epochs=0)


# ---------------------------------------------------------------------------------- loading user code

GOOD_FILE = """
import torch
from torch.utils.data import TensorDataset
from trainwise.experiments import Experiment, Metric
from helper_for_exp import WIDTH          # a neighbour of this file

def make():
    x = torch.randn(16, WIDTH)
    return Experiment("mine", "user file", lambda: torch.nn.Linear(WIDTH, 1), torch.nn.MSELoss(),
                      TensorDataset(x, x[:, 0]), TensorDataset(x, x[:, 0]), Metric("mse", lambda o, y: 0.0),
                      "regression")

def broken():
    raise RuntimeError("no data here")

def wrong():
    return {"name": "mine"}

NOT_A_FUNCTION = 42
"""


@pytest.fixture()
def user_file(tmp_path):
    (tmp_path / "helper_for_exp.py").write_text("WIDTH = 4\n")
    path = tmp_path / "my_exp.py"
    path.write_text(GOOD_FILE)
    yield path
    sys.modules.pop("helper_for_exp", None)


def test_load_from_a_file_and_leave_sys_path_as_it_was(user_file):
    path_before = list(sys.path)
    exp = load_experiment(f"{user_file}:make")
    assert exp.name == "mine" and exp.sample_batch(2)[0].shape == (2, 4)
    assert sys.path == path_before
    again = load_experiment(f"{user_file}:make")
    assert again is not exp


def test_load_from_a_module_and_pass_an_experiment_through(tmp_path, monkeypatch):
    package = tmp_path / "tw_user_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "exps.py").write_text("from trainwise.experiments import load_experiment\n"
                                     "def co2():\n    return load_experiment('co2')\n")  # fmt: skip
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        exp = load_experiment("tw_user_pkg.exps:co2")
        assert exp.name == "co2"
        assert load_experiment(exp) is exp
    finally:
        for name in ("tw_user_pkg", "tw_user_pkg.exps"):
            sys.modules.pop(name, None)


@pytest.mark.parametrize(
    "spec, match",
    [
        ("digts", r"unknown experiment 'digts' \(did you mean 'digits'\?\); built-ins are diamonds, digits, co2"),
        ("", "empty"),
        ("{dir}/nope.py:make", "nope.py' does not exist"),
        ("{dir}:make", "is a directory"),
        ("{file}", "names a file but no function"),
        ("{file}:", "names a file but no function"),
        ("{file}:missing", r"has no 'missing'.*its functions are: broken, make, wrong"),
        ("{file}:NOT_A_FUNCTION", "'NOT_A_FUNCTION' .* is an int, not a function"),
        ("{file}:broken", r"broken\(\) .* raised RuntimeError: no data here"),
        ("{file}:wrong", r"wrong\(\) .* returned dict \{'name': 'mine'\}, expected a trainwise"),
        ("tw_no_such_module_xyz:make", "cannot import module 'tw_no_such_module_xyz'"),
        ("{bad}:make", "importing .* failed: SyntaxError"),
    ],
)
def test_load_errors_say_what_is_wrong(spec, match, user_file):
    bad = user_file.parent / "bad_syntax.py"
    bad.write_text("def make(:\n")
    spec = spec.format(dir=user_file.parent, file=user_file, bad=bad)
    with pytest.raises(ExperimentError, match=match) as info:
        load_experiment(spec)
    if spec.endswith(":broken"):
        assert isinstance(info.value.__cause__, RuntimeError)
    assert isinstance(info.value, ValueError)


def test_load_rejects_a_spec_that_is_not_text():
    with pytest.raises(TypeError, match="got int"):
        load_experiment(3)


# ---------------------------------------------------------------------------------------------- docs


def test_docstring_examples_run():
    result = doctest.testmod(ex, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
