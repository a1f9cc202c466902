"""Experiments: everything one training needs, in one object every trainwise tool accepts.

An :class:`Experiment` bundles a model factory, a loss, train and validation datasets that yield
``(x, y)`` pairs (the convention of :mod:`trainwise.batches`), a :class:`Metric` to judge the
validation set by, and default settings (optimizer, learning rate, batch size, epochs).
``fit``, ``find_lr``, the doctor, the gradient check, preflight, the demo and the CLI all take one.

Built-in experiments read data that installed packages ship (nothing is downloaded) and each
trains one epoch in well under a few seconds on two CPU cores:

* ``diamonds``: price from the six numeric columns of plotnine's ``diamonds.csv``, the setting of
  the learning-rate seed (6-50-50-1 ReLU MLP, L1 loss, Adam); the metric is MAE in dollars.
* ``digits``: scikit-learn's 8x8 handwritten digits with a small CNN; the metric is accuracy.
* ``co2``: next week's Mauna Loa CO2 from the previous 52 weeks with an LSTM (statsmodels'
  weekly series); the metric is MAE in ppm.

Your own experiment is a function returning an :class:`Experiment`, loaded with
``load_experiment("path/to/file.py:function")`` or ``load_experiment("package.module:function")``.
"""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import importlib
import importlib.util
import itertools
import math
import re
import reprlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, default_collate

from trainwise.batches import split_batch
from trainwise.optimizers import optimizer_names

__all__ = [
    "Metric",
    "metric_direction",
    "Experiment",
    "ExperimentError",
    "TASKS",
    "BUILTINS",
    "builtin_names",
    "load_experiment",
]

TASKS = ("regression", "classification")
DIRECTIONS = ("min", "max")


class ExperimentError(ValueError):
    """An experiment spec could not be turned into an :class:`Experiment` (the message says why)."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_positive_int(owner: str, name: str, value: object) -> None:
    if not _is_int(value):
        raise TypeError(f"{owner}.{name} must be an int, got {name}={value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{owner}.{name} must be >= 1, got {name}={value!r}")


# Words that say which way a metric's name points, for metrics given without a direction (as Keras's callbacks
# read "acc" in a monitored name). A word of the first set wins over one of the second: "top1_error" is an error.
_MIN_WORDS = frozenset(
    "loss error errors err mae mse rmse msle rmsle mape smape nll perplexity ppl cer wer ter distance dist brier "
    "logloss deviance regret hamming cost risk".split()
)
_MAX_WORDS = frozenset(
    "acc accuracy auc auroc auprc roc f1 f2 fbeta fscore precision recall r2 score iou jaccard dice kappa mcc "
    "ap map ndcg mrr bleu rouge meteor psnr ssim sensitivity specificity correct hit hits top1 top5 gain "
    "corr corrcoef pearson spearman likelihood".split()
)


def _name_words(name: str) -> list[str]:
    """``name``'s words, lower case: split at separators, camelCase and acronyms (``MSELoss`` -> mse, loss), and
    letters from a following word (``F1score`` -> f1, score; ``top1acc`` -> top1, acc)."""
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name))
    return re.findall(r"[a-z]+[0-9]*|[0-9]+", spaced.lower())


def metric_direction(name: str) -> str | None:
    """Which way is better for a metric called ``name``, read from its words: ``"min"``, ``"max"`` or ``None``.

    Words of errors and losses say ``"min"``, words of scores say ``"max"``; an error word wins over a score word
    (``top1_error``), except a last word ``score`` (scikit-learn's convention: ``d2_absolute_error_score``);
    a word ``neg`` turns it round (scikit-learn's scorers: ``test_neg_mean_squared_error``). A word with a number
    counts as itself and without it (``acc1`` is ``acc``), and the name as any known word it ends with
    (``MeanIoU`` is ``iou``); ``negative`` counts as ``neg``. ``None`` when no word says (e.g. ``"<lambda>"``).

    >>> [metric_direction(n) for n in ("accuracy", "top1_error", "R2Score", "neg_mean_squared_error", "<lambda>")]
    ['max', 'min', 'max', 'max', None]
    >>> [metric_direction(n) for n in ("MSELoss", "mIoU", "acc5", "d2_absolute_error_score", "val_neg_mse")]
    ['min', 'max', 'max', 'max', 'max']
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got name={name!r} ({type(name).__name__})")
    words = _name_words(name)
    if not words:
        return None
    candidates = set(words) | {w.rstrip("0123456789") for w in words}
    glued = "".join(words).rstrip("0123456789")  # "IoU" splits badly (io, u); glued it ends with "iou"
    candidates |= {w for w in _MIN_WORDS | _MAX_WORDS if len(w) >= 3 and glued.endswith(w)}
    if words[-1] == "score":
        found = "max"
    elif _MIN_WORDS & candidates:
        found = "min"
    elif _MAX_WORDS & candidates:
        found = "max"
    else:
        return None
    return {"min": "max", "max": "min"}[found] if {"neg", "negative"} & set(words) else found


@dataclass(frozen=True)
class Metric:
    """A number that judges a whole validation set: ``fn(outputs, targets) -> float``.

    ``direction`` says which way is better: ``"min"`` (errors) or ``"max"`` (accuracy). Left at ``"auto"`` it is
    read from the name's words (:func:`metric_direction`: ``"accuracy"`` is maximized, ``"mae"`` minimized); a
    name that says neither is minimized. ``direction_from`` records which: ``"given"``, ``"name"`` or
    ``"assumed"`` (callbacks that follow the direction then warn). ``dataclasses.replace`` keeps the direction
    worked out; pass ``direction="auto"`` with a new name to read it again.

    >>> acc = Metric("accuracy", lambda out, y: float((out.argmax(1) == y).float().mean()))
    >>> acc.direction, acc.fn(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1]))
    ('max', 0.5)
    >>> acc.better(0.9, 0.5), Metric("mae", lambda out, y: 0.0).better(0.9, 0.5)
    (True, False)
    """

    name: str
    fn: Callable[[Tensor, Tensor], float]
    direction: str = "auto"
    direction_from: str = field(default="given", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"Metric.name must be a non-empty str, got name={self.name!r}")
        if not callable(self.fn):
            raise TypeError(f"Metric.fn must be callable (outputs, targets) -> float, got fn={self.fn!r}")
        if self.direction == "auto":
            read = metric_direction(self.name)
            object.__setattr__(self, "direction", read or "min")
            object.__setattr__(self, "direction_from", "name" if read else "assumed")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"Metric.direction must be 'min', 'max' or 'auto', got direction={self.direction!r}")

    def better(self, a: float, b: float) -> bool:
        """Whether value ``a`` is strictly better than ``b``. NaN is never better; any number beats NaN.

        >>> Metric("mae", abs).better(1.0, float("nan")), Metric("mae", abs).better(float("nan"), 1.0)
        (True, False)
        """
        a, b = float(a), float(b)
        if math.isnan(a):
            return False
        if math.isnan(b):
            return True
        return a < b if self.direction == "min" else a > b


@dataclass
class Experiment:
    """Everything one training needs. Fields are validated on construction; make variants with
    ``dataclasses.replace(experiment, lr=3e-3)`` so they are validated too.

    ``train_data`` and ``val_data`` are datasets yielding ``(x, y)``; ``model_factory()`` builds a fresh
    model whose output goes straight into ``loss_fn(output, y)`` and ``metric.fn(outputs, ys)``.
    ``task`` is ``"regression"`` or ``"classification"`` (then ``num_classes`` is required: later tools
    expect an initial cross-entropy near ``ln(num_classes)``). ``optimizer`` is a name that
    :func:`trainwise.optimizers.make_optimizer` knows (sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw).

    >>> from torch.utils.data import TensorDataset
    >>> data = TensorDataset(torch.randn(8, 3), torch.randn(8))
    >>> exp = Experiment("toy", "a linear fit", lambda: nn.Sequential(nn.Linear(3, 1), nn.Flatten(0)),
    ...                  nn.MSELoss(), data, data, Metric("mse", lambda o, y: float(((o - y) ** 2).mean())),
    ...                  "regression", batch_size=4)
    >>> exp  # doctest: +NORMALIZE_WHITESPACE
    Experiment(name='toy', metric='mse' (min), task='regression', num_classes=None, batch_size=4, epochs=10,
               optimizer='adam', lr=0.001)
    >>> Experiment("toy", "", nn.Identity, nn.MSELoss(), data, data, exp.metric, "regression",
    ...            lr=0)
    Traceback (most recent call last):
    ...
    ValueError: Experiment.lr must be a positive finite number, got lr=0
    """

    name: str
    description: str
    model_factory: Callable[[], nn.Module]
    loss_fn: Callable[[Tensor, Tensor], Tensor]
    train_data: Dataset
    val_data: Dataset
    metric: Metric
    task: str
    num_classes: int | None = None
    batch_size: int = 64
    epochs: int = 10
    optimizer: str = "adam"
    lr: float = 1e-3

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"Experiment.name must be a non-empty str, got name={self.name!r}")
        if not isinstance(self.description, str):
            raise TypeError(f"Experiment.description must be a str, got {type(self.description).__name__}")
        for name in ("model_factory", "loss_fn"):
            if not callable(getattr(self, name)):
                raise TypeError(f"Experiment.{name} must be callable, got {name}={getattr(self, name)!r}")
        for name in ("train_data", "val_data"):
            if not isinstance(getattr(self, name), Dataset):
                raise TypeError(
                    f"Experiment.{name} must be a torch.utils.data.Dataset yielding (x, y), "
                    f"got {type(getattr(self, name)).__name__}"
                )
        if not isinstance(self.metric, Metric):
            raise TypeError(f"Experiment.metric must be a trainwise Metric, got {type(self.metric).__name__}")
        if self.task not in TASKS:
            raise ValueError(f"Experiment.task must be one of {TASKS}, got task={self.task!r}")
        if self.task == "classification":
            if not _is_int(self.num_classes) or self.num_classes < 2:
                raise ValueError(
                    f"Experiment.num_classes must be an int >= 2 for a classification task, "
                    f"got num_classes={self.num_classes!r}"
                )
        elif self.num_classes is not None:
            raise ValueError(f"Experiment.num_classes must be None for a regression task, got {self.num_classes!r}")
        _check_positive_int("Experiment", "batch_size", self.batch_size)
        _check_positive_int("Experiment", "epochs", self.epochs)
        if not isinstance(self.optimizer, str) or self.optimizer.lower() not in optimizer_names():
            raise ValueError(
                f"Experiment.optimizer must be one of {', '.join(optimizer_names())}, got optimizer={self.optimizer!r}"
            )
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)):
            raise TypeError(f"Experiment.lr must be a float, got lr={self.lr!r} ({type(self.lr).__name__})")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"Experiment.lr must be a positive finite number, got lr={self.lr!r}")

    def __repr__(self) -> str:
        return (
            f"Experiment(name={self.name!r}, metric={self.metric.name!r} ({self.metric.direction}), "
            f"task={self.task!r}, num_classes={self.num_classes!r}, batch_size={self.batch_size!r}, "
            f"epochs={self.epochs!r}, optimizer={self.optimizer!r}, lr={self.lr!r})"
        )

    def make_model(self, seed: int = 0) -> nn.Module:
        """A fresh model from ``model_factory`` with torch seeded by ``seed``: the same seed gives
        bit-identical weights. The caller's torch RNG state (CPU and CUDA) is left as it was.

        >>> exp = load_experiment("diamonds")
        >>> a, b = exp.make_model(seed=1), exp.make_model(seed=1)
        >>> all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
        True
        """
        if not _is_int(seed):
            raise TypeError(f"seed must be an int, got seed={seed!r}")
        # Fork and seed CUDA only when the caller already started it: torch.manual_seed would otherwise
        # queue a CUDA seeding that runs whenever CUDA starts, changing the caller's CUDA stream later.
        cuda = torch.cuda.is_available() and torch.cuda.is_initialized()
        with torch.random.fork_rng(devices=range(torch.cuda.device_count()) if cuda else []):
            torch.default_generator.manual_seed(seed)
            if cuda:
                torch.cuda.manual_seed_all(seed)
            model = self.model_factory()
        if not isinstance(model, nn.Module):
            raise TypeError(f"Experiment.model_factory must return an nn.Module, got {type(model).__name__}")
        return model

    def loaders(
        self, *, batch_size: int | None = None, seed: int = 0, shuffle: bool = True
    ) -> tuple[DataLoader, DataLoader]:
        """``(train_loader, val_loader)`` with ``batch_size`` (default: the experiment's).

        The train loader shuffles with its own ``torch.Generator`` seeded by ``seed``: a new pair of
        loaders with the same seed replays the same epochs in the same order, and iterating either
        loader never touches the global RNG. The val loader never shuffles. Iterable datasets stream
        in their own order.

        >>> train, val = load_experiment("digits").loaders(batch_size=32, seed=0)
        >>> x, y = next(iter(train))
        >>> tuple(x.shape), y.dtype
        ((32, 1, 8, 8), torch.int64)
        """
        batch_size = self.batch_size if batch_size is None else batch_size
        _check_positive_int("loaders", "batch_size", batch_size)
        if not _is_int(seed):
            raise TypeError(f"seed must be an int, got seed={seed!r}")

        def loader(data: Dataset, shuffle_it: bool) -> DataLoader:
            # Own generator also for the val loader: without one, DataLoader draws its base seed
            # from the global RNG on every iteration.
            shuffle_it = shuffle_it and not isinstance(data, IterableDataset)
            return DataLoader(
                data, batch_size=batch_size, shuffle=shuffle_it, generator=torch.Generator().manual_seed(seed)
            )

        return loader(self.train_data, bool(shuffle)), loader(self.val_data, False)

    def sample_batch(self, n: int = 20, *, split: str = "train") -> tuple[Tensor, Tensor]:
        """The first ``n`` samples of ``split`` (``"train"`` or ``"val"``) as one ``(x, y)`` batch,
        for checks such as "can the model overfit 20 samples". ``n`` larger than the split raises.

        >>> x, y = load_experiment("diamonds").sample_batch(5)
        >>> tuple(x.shape), tuple(y.shape)
        ((5, 6), (5,))
        """
        _check_positive_int("sample_batch", "n", n)
        if split not in ("train", "val"):
            raise ValueError(f"split must be 'train' or 'val', got split={split!r}")
        data = self.train_data if split == "train" else self.val_data
        if isinstance(data, IterableDataset):
            items = list(itertools.islice(iter(data), n))
        else:
            items = [data[i] for i in range(min(n, len(data)))]
        if len(items) < n:
            raise ValueError(f"sample_batch(n={n}) but the {split} split of {self.name!r} has {len(items)} samples")
        return split_batch(default_collate(items))


# ----------------------------------------------------------------------------------------- data
VAL_FRACTION = 0.2
_SPLIT_SEED = 0


class _Arrays(NamedTuple):
    """Prepared float32 arrays of one built-in (read-only, shared through the cache)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    train_index: np.ndarray  # rows (or windows) of the source that went to each split
    val_index: np.ndarray
    target_scale: float  # std used to scale the target; the metric multiplies it back


def _frozen(**arrays: np.ndarray) -> dict[str, np.ndarray]:
    for array in arrays.values():
        array.flags.writeable = False
    return arrays


def _package_file(package: str, pip_name: str, *parts: str) -> Path:
    # find_spec locates the package without importing it (importing plotnine takes seconds).
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            f"this built-in experiment reads {'/'.join(parts)} shipped with {pip_name}, which is not "
            f"installed; install it with: pip install {pip_name}",
            name=package,
        )
    path = Path(spec.origin).parent.joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: this {pip_name} does not ship it; try: pip install -U {pip_name}")
    return path


def _csv_column_indices(path: Path, names: tuple[str, ...]) -> list[int]:
    with open(path, newline="") as f:
        header = next(csv.reader(f))
    missing = [n for n in names if n not in header]
    if missing:
        raise ValueError(f"{path} lacks the columns {missing}; it has {header}")
    return [header.index(n) for n in names]


def _random_split(n: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(_SPLIT_SEED).permutation(n)
    n_train = n - round(n * VAL_FRACTION)
    return perm[:n_train], perm[n_train:]


def _stratified_split(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each class sends round(VAL_FRACTION * its count) samples to val; both splits stay in random order."""
    perm = np.random.default_rng(_SPLIT_SEED).permutation(len(labels))
    is_val = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = perm[labels[perm] == label]
        is_val[members[: round(len(members) * VAL_FRACTION)]] = True
    return perm[~is_val[perm]], perm[is_val[perm]]


_DIAMONDS_COLUMNS = ("carat", "depth", "table", "x", "y", "z", "price")


@functools.lru_cache(maxsize=None)
def _diamonds_arrays() -> _Arrays:
    """Features (carat, depth, table, x, y, z) and price, standardized with training-split statistics."""
    path = _package_file("plotnine", "plotnine", "data", "diamonds.csv")
    cols = _csv_column_indices(path, _DIAMONDS_COLUMNS)
    raw = np.loadtxt(path, delimiter=",", skiprows=1, usecols=cols, dtype=np.float64, ndmin=2)
    x, y = raw[:, :-1], raw[:, -1]
    train, val = _random_split(len(raw))
    x_mean, x_std = x[train].mean(axis=0), x[train].std(axis=0)
    y_mean, y_std = y[train].mean(), y[train].std()
    arrays = _frozen(
        x_train=((x[train] - x_mean) / x_std).astype(np.float32),
        y_train=((y[train] - y_mean) / y_std).astype(np.float32),
        x_val=((x[val] - x_mean) / x_std).astype(np.float32),
        y_val=((y[val] - y_mean) / y_std).astype(np.float32),
        train_index=train,
        val_index=val,
    )
    return _Arrays(**arrays, target_scale=float(y_std))


@functools.lru_cache(maxsize=None)
def _digits_arrays() -> _Arrays:
    """Images scaled to [0, 1], then standardized with one mean/std over all training pixels, (N, 1, 8, 8)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise ModuleNotFoundError(
            "the 'digits' experiment reads scikit-learn's digits; install it with: pip install scikit-learn",
            name="sklearn",
        ) from err
    bunch = load_digits()
    images = bunch.images.astype(np.float64) / 16.0  # pixel values are 0..16
    labels = bunch.target.astype(np.int64)
    train, val = _stratified_split(labels)
    # A scalar mean/std (not per pixel): corner pixels are always 0 and would divide by zero.
    mean, std = images[train].mean(), images[train].std()
    scaled = ((images - mean) / std).astype(np.float32)[:, None]
    arrays = _frozen(
        x_train=scaled[train], y_train=labels[train], x_val=scaled[val], y_val=labels[val],
        train_index=train, val_index=val,
    )  # fmt: skip
    return _Arrays(**arrays, target_scale=1.0)


CO2_WINDOW = 52


@functools.lru_cache(maxsize=None)
def _co2_arrays() -> _Arrays:
    """Windows of 52 weeks -> next week, made stationary.

    With the window ``w`` (52 values) and the next value ``v``: inputs ``(w - w[-1]) / s`` shaped
    (52, 1), target ``(v - w[-1]) / s``, where ``s`` is the std of the training targets' raw changes
    ``v - w[-1]``. The first 80% of windows (in time) train, the last 20% validate.
    """
    path = _package_file("statsmodels", "statsmodels", "datasets", "co2", "co2.csv")
    cols = _csv_column_indices(path, ("co2",))
    series = np.genfromtxt(path, delimiter=",", skip_header=1, usecols=cols[0], dtype=np.float64)
    missing = np.isnan(series)
    steps = np.arange(len(series))  # the dates are exactly weekly, so the row number is time
    series[missing] = np.interp(steps[missing], steps[~missing], series[~missing])
    windows = np.lib.stride_tricks.sliding_window_view(series[:-1], CO2_WINDOW)
    last = windows[:, -1]
    inputs, targets = windows - last[:, None], series[CO2_WINDOW:] - last
    n_train = len(targets) - round(len(targets) * VAL_FRACTION)
    scale = targets[:n_train].std()
    x = (inputs / scale).astype(np.float32)[:, :, None]
    y = (targets / scale).astype(np.float32)
    arrays = _frozen(
        x_train=x[:n_train], y_train=y[:n_train], x_val=x[n_train:], y_val=y[n_train:],
        train_index=np.arange(n_train), val_index=np.arange(n_train, len(y)),
    )  # fmt: skip
    return _Arrays(**arrays, target_scale=float(scale))


def _datasets(arrays: _Arrays) -> tuple[TensorDataset, TensorDataset]:
    # Copies, so an experiment that edits its tensors cannot reach the cache or another experiment.
    def tensors(x: np.ndarray, y: np.ndarray) -> TensorDataset:
        return TensorDataset(torch.from_numpy(x.copy()), torch.from_numpy(y.copy()))

    return tensors(arrays.x_train, arrays.y_train), tensors(arrays.x_val, arrays.y_val)


# ---------------------------------------------------------------------------- models and metrics
class _ScaledMAE:
    """``scale * mean(|outputs - targets|)``: MAE in the target's units when targets were divided by ``scale``."""

    def __init__(self, scale: float) -> None:
        self.scale = float(scale)

    def __call__(self, outputs: Tensor, targets: Tensor) -> float:
        if outputs.shape != targets.shape:
            # Broadcasting (N, 1) against (N,) would silently average an N x N table.
            raise ValueError(f"outputs shape {tuple(outputs.shape)} != targets shape {tuple(targets.shape)}")
        return float((outputs.detach().double() - targets.detach().double()).abs().mean()) * self.scale

    def __repr__(self) -> str:
        return f"_ScaledMAE(scale={self.scale!r})"


def _accuracy(outputs: Tensor, targets: Tensor) -> float:
    """Fraction of rows whose largest logit is at the target class; outputs (N, C), targets (N,)."""
    if outputs.dim() != 2 or targets.shape != outputs.shape[:1]:
        raise ValueError(
            f"accuracy needs outputs (N, C) and targets (N,), got {tuple(outputs.shape)} and {tuple(targets.shape)}"
        )
    return float((outputs.detach().argmax(dim=1) == targets).double().mean())


def _diamonds_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(6, 50), nn.ReLU(), nn.Linear(50, 50), nn.ReLU(), nn.Linear(50, 1), nn.Flatten(0)
    )  # fmt: skip


def _digits_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10),
    )  # fmt: skip


class _LastStepLSTM(nn.Module):
    """LSTM(1 -> 32) over the window, then Linear(32 -> 1) on the last hidden state; output (N,)."""

    def __init__(self, hidden_size: int = 32) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: Tensor) -> Tensor:
        _, (hidden, _) = self.lstm(x)
        return self.head(hidden[-1]).squeeze(-1)


# ------------------------------------------------------------------------------------ built-ins
def _diamonds() -> Experiment:
    arrays = _diamonds_arrays()
    train, val = _datasets(arrays)
    return Experiment(
        name="diamonds",
        description=(
            "Diamond price (dollars) from carat, depth, table, x, y, z (plotnine's diamonds.csv, "
            f"{len(train)} train / {len(val)} val rows, random split). Features and price standardized "
            "with training statistics; 6-50-50-1 ReLU MLP trained on L1 loss; metric: MAE in dollars."
        ),
        model_factory=_diamonds_model,
        loss_fn=nn.L1Loss(),
        train_data=train,
        val_data=val,
        metric=Metric("mae", _ScaledMAE(arrays.target_scale), "min"),
        task="regression",
        batch_size=256,
        epochs=10,
        optimizer="adam",
        lr=1e-3,
    )


def _digits() -> Experiment:
    train, val = _datasets(_digits_arrays())
    return Experiment(
        name="digits",
        description=(
            f"Handwritten digits 0-9 from scikit-learn (8x8 images, {len(train)} train / {len(val)} val, "
            "stratified split), standardized with training statistics; small CNN; cross-entropy; metric: accuracy."
        ),
        model_factory=_digits_model,
        loss_fn=nn.CrossEntropyLoss(),
        train_data=train,
        val_data=val,
        metric=Metric("accuracy", _accuracy, "max"),
        task="classification",
        num_classes=10,
        batch_size=64,
        epochs=10,
        optimizer="adam",
        lr=1e-3,
    )


def _co2() -> Experiment:
    arrays = _co2_arrays()
    train, val = _datasets(arrays)
    return Experiment(
        name="co2",
        description=(
            f"Next week's Mauna Loa CO2 (ppm) from the previous {CO2_WINDOW} weeks (statsmodels' weekly series, "
            f"1958-2001, gaps interpolated; {len(train)} train / {len(val)} later val windows). Inputs are the "
            "window minus its last value and the target the change to next week, both divided by the std of "
            "the training changes; LSTM(32) on the last step; MSE loss; metric: MAE in ppm."
        ),
        model_factory=_LastStepLSTM,
        loss_fn=nn.MSELoss(),
        train_data=train,
        val_data=val,
        metric=Metric("mae", _ScaledMAE(arrays.target_scale), "min"),
        task="regression",
        batch_size=64,
        epochs=10,
        optimizer="adam",
        lr=3e-3,
    )


BUILTINS: dict[str, Callable[[], Experiment]] = {"diamonds": _diamonds, "digits": _digits, "co2": _co2}


def builtin_names() -> list[str]:
    """Names of the built-in experiments, in registry order.

    >>> builtin_names()
    ['diamonds', 'digits', 'co2']
    """
    return list(BUILTINS)


# -------------------------------------------------------------------------------------- loading
def load_experiment(spec: str | Experiment) -> Experiment:
    """Turn ``spec`` into an :class:`Experiment`.

    ``spec`` is an Experiment (returned as is), a built-in name (see :func:`builtin_names`),
    ``"path/to/file.py:function"`` (the file is imported under a private module name, with its folder
    on ``sys.path`` only while it loads and ``function()`` runs), or ``"package.module:function"``.
    ``function()`` must return an Experiment. Anything wrong raises :class:`ExperimentError` saying what;
    an error raised inside the user's code is chained as its cause.

    >>> load_experiment("digits").metric.name
    'accuracy'
    >>> try:
    ...     load_experiment("digts")
    ... except ExperimentError as err:
    ...     print(str(err).split(";")[0])
    unknown experiment 'digts' (did you mean 'digits'?)
    """
    if isinstance(spec, Experiment):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a str or an Experiment, got {type(spec).__name__}")
    spec = spec.strip()
    if not spec:
        raise ExperimentError("empty experiment spec; give a built-in name or 'path/to/file.py:function'")
    target, sep, func_name = spec.rpartition(":")
    if not sep or not func_name.isidentifier() or not target:
        if spec in BUILTINS:
            return BUILTINS[spec]()
        if _looks_like_path(spec):
            raise ExperimentError(
                f"{spec!r} names a file but no function: write {spec.rstrip(':') + ':make_experiment'!r} "
                "with the name of the function in that file that returns the Experiment"
            )
        close = difflib.get_close_matches(spec, BUILTINS, n=1)
        raise ExperimentError(
            f"unknown experiment {spec!r}{f' (did you mean {close[0]!r}?)' if close else ''}; built-ins are "
            f"{', '.join(BUILTINS)}; for your own experiment write 'path/to/file.py:function' or "
            "'package.module:function'"
        )
    if _looks_like_path(target):
        return _call_from_file(spec, Path(target), func_name)
    try:
        module = importlib.import_module(target)
    except Exception as err:
        raise ExperimentError(
            f"cannot import module {target!r} for {spec!r}: {type(err).__name__}: {err} "
            "(to load a file, write 'path/to/file.py:function')"
        ) from err
    return _call_factory(spec, module, func_name)


def _looks_like_path(text: str) -> bool:
    return text.endswith(".py") or "/" in text or "\\" in text


def _call_from_file(spec: str, path: Path, func_name: str) -> Experiment:
    path = path.expanduser()
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "does not exist"
        raise ExperimentError(f"experiment file {str(path)!r} {what} (spec {spec!r})")
    path = path.resolve()
    # Private, stable name per file: reloading replaces the old module, and pickling can find it.
    stem = "".join(c if c.isalnum() else "_" for c in path.stem)
    module_name = f"_trainwise_experiment_{stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:10]}"
    folder = str(path.parent)
    added = folder not in sys.path
    if added:  # so the file can import its neighbours
        sys.path.insert(0, folder)
    try:
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        if module_spec is None or module_spec.loader is None:
            raise ExperimentError(f"cannot import {str(path)!r} as Python (spec {spec!r})")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module
        try:
            module_spec.loader.exec_module(module)
        except Exception as err:
            del sys.modules[module_name]
            raise ExperimentError(f"importing {str(path)!r} failed: {type(err).__name__}: {err}") from err
        return _call_factory(spec, module, func_name)
    finally:
        if added and folder in sys.path:
            sys.path.remove(folder)


def _call_factory(spec: str, module: object, func_name: str) -> Experiment:
    where = getattr(module, "__file__", None) or getattr(module, "__name__", "?")
    if not hasattr(module, func_name):
        own = sorted(
            name
            for name, value in vars(module).items()
            if callable(value) and not name.startswith("_")
            and getattr(value, "__module__", None) == getattr(module, "__name__", None)
        )  # fmt: skip
        has = f"its functions are: {', '.join(own)}" if own else "it defines no public functions"
        raise ExperimentError(f"{where} has no {func_name!r} (spec {spec!r}); {has}")
    factory = getattr(module, func_name)
    if not callable(factory):
        kind = type(factory).__name__
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        raise ExperimentError(f"{func_name!r} in {where} is {article} {kind}, not a function (spec {spec!r})")
    try:
        experiment = factory()
    except Exception as err:
        raise ExperimentError(f"{func_name}() in {where} raised {type(err).__name__}: {err}") from err
    if not isinstance(experiment, Experiment):
        raise ExperimentError(
            f"{func_name}() in {where} returned {type(experiment).__name__} {reprlib.repr(experiment)}, "
            "expected a trainwise.experiments.Experiment"
        )
    return experiment
