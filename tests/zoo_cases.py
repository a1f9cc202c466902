"""The zoo: deliberately broken training runs on small CPU tasks, and healthy ones, each with the finding
the doctor must give. Shared by ``tests/test_zoo.py`` (one test per case) and ``benchmarks/zoo.py`` (the
recall/precision table).

Every run goes through :func:`trainwise.fit` with a default :class:`trainwise.Monitor` and takes about one to
three seconds on one CPU core. Data are synthetic (generated here from a seed) or ship with scikit-learn
(digits, breast cancer, wine). ``held_out`` says which round a case belongs to: round 0 (``CASES`` as first
written) is the zoo the thresholds were chosen on; rounds 1, 2 and 3 (``HELD_OUT``, ``HELD_OUT_2``,
``HELD_OUT_3``) were each written later with seeds, sizes, widths and tasks never looked at, and run once; the
comments above each round say what their misses changed in the doctor before the next round was written.

Scoring: a broken case is *found* when its ``expected`` finding is reported (recall). Every problem
finding reported on any case is *correct* when it is the case's ``expected`` finding or one of its
``acceptable`` ones — other true consequences of the same defect, e.g. saturated tanh units after a far too
large initialization (precision). On a healthy case every problem finding is wrong.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from trainwise.diagnose import Diagnosis, diagnose
from trainwise.history import History
from trainwise.monitor import Monitor
from trainwise.training import TrainingDivergedWarning, fit

__all__ = ["Case", "CASES", "run_case", "score"]


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    expected: str | None  # the finding that must be reported; None for a healthy run
    train: Callable[[], History] = field(repr=False)
    acceptable: tuple[str, ...] = ()
    held_out: int = 0  # 0: the thresholds were chosen looking at it; 1, 2: held-out rounds (see HELD_OUT)


def run_case(case: Case) -> tuple[History, Diagnosis]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrainingDivergedWarning)
        history = case.train()
    return history, diagnose(history)


def score(results: dict[str, set[str]]) -> dict[str, float]:
    """Recall over broken cases and precision over all reported problem findings, from ``{case: names}``."""
    by_name = {c.name: c for c in CASES}
    broken = [n for n in results if by_name[n].expected is not None]
    found = sum(by_name[n].expected in results[n] for n in broken)
    reported = sum(len(names) for names in results.values())
    correct = sum(len(names & {by_name[n].expected, *by_name[n].acceptable}) for n, names in results.items())
    return {
        "recall": found / len(broken) if broken else math.nan,
        "precision": correct / reported if reported else 1.0,
        "broken": len(broken),
        "found": found,
        "reported": reported,
        "correct": correct,
    }


# ------------------------------------------------------------------------------------------------ data
def _split(x: np.ndarray, y: np.ndarray, n_val: int, seed: int):
    perm = np.random.default_rng(seed).permutation(len(x))
    val, train = perm[:n_val], perm[n_val:]
    mean, std = x[train].mean(0), x[train].std(0)
    std[std < 1e-8] = 1.0  # constant features (blank pixels) stay constant instead of blowing up
    x = ((x - mean) / std).astype(np.float32)
    return (x[train], y[train]), (x[val], y[val])


@functools.lru_cache(maxsize=None)
def _digits(seed: int = 0):
    from sklearn.datasets import load_digits

    d = load_digits()
    return _split(d.data.astype(np.float64), d.target.astype(np.int64), 360, seed)


@functools.lru_cache(maxsize=None)
def _breast_cancer(seed: int = 0):
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    return _split(d.data.astype(np.float64), d.target.astype(np.int64), 200, seed)


@functools.lru_cache(maxsize=None)
def _wine(seed: int = 0):
    from sklearn.datasets import load_wine

    d = load_wine()
    return _split(d.data.astype(np.float64), d.target.astype(np.int64), 50, seed)


@functools.lru_cache(maxsize=None)
def _teacher(n: int = 3000, dim: int = 10, classes: int = 4, seed: int = 0):
    """Labels from a random two-layer tanh network: learnable by an MLP, not by a line."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    w1, w2 = rng.standard_normal((dim, 32)) / math.sqrt(dim), rng.standard_normal((32, classes))
    y = np.argmax(np.tanh(x @ w1 * 2.0) @ w2, axis=1).astype(np.int64)
    return _split(x, y, n // 4, seed)


@functools.lru_cache(maxsize=None)
def _rings(n: int = 3000, classes: int = 3, seed: int = 0):
    """Points in the plane labelled by which ring (radius band) they fall in."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, (n, 2))
    y = np.minimum((np.hypot(x[:, 0], x[:, 1]) / 1.5 * classes).astype(np.int64), classes - 1)
    return _split(x, y, n // 4, seed)


@functools.lru_cache(maxsize=None)
def _waves(n: int = 3000, dim: int = 8, seed: int = 0):
    """Regression: a sum of sines of random projections plus 10% noise, target standardized."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    w = rng.standard_normal((dim, 4)) / math.sqrt(dim)
    y = np.sin(2.0 * x @ w).sum(1) + 0.1 * rng.standard_normal(n)
    (xt, yt), (xv, yv) = _split(x, y, n // 4, seed)
    mean, std = yt.mean(), yt.std()
    return (xt, ((yt - mean) / std).astype(np.float32)), (xv, ((yv - mean) / std).astype(np.float32))


@functools.lru_cache(maxsize=None)
def _sequences(n: int = 2000, length: int = 30, seed: int = 0):
    """Regression on sequences: the target is the scaled sum of the first 10 of 30 noise values."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, length, 1)).astype(np.float32)
    y = (x[:, :10, 0].sum(1) / math.sqrt(10)).astype(np.float32)
    n_val = n // 4
    return (x[n_val:], y[n_val:]), (x[:n_val], y[:n_val])


# ---------------------------------------------------------------------------------------------- models
def _mlp(sizes: list[int], act: type[nn.Module] = nn.ReLU, seed: int = 0, squeeze: bool = False) -> nn.Module:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    if squeeze:
        layers.append(nn.Flatten(0))
    return nn.Sequential(*layers)


def _cnn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10),
    )  # fmt: skip


class _RNNRegressor(nn.Module):
    """A tanh RNN over the sequence, then a linear head on the last hidden state; recurrent weights scaled."""

    def __init__(self, recurrent_scale: float = 1.0, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.rnn = nn.RNN(1, 32, batch_first=True)
        self.head = nn.Linear(32, 1)
        with torch.no_grad():
            self.rnn.weight_hh_l0.mul_(recurrent_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, hidden = self.rnn(x)
        return self.head(hidden[-1]).squeeze(-1)


class _FunctionalMLP(nn.Module):
    """Linear layers with the activation called as a function inside forward (``F.relu``, ``torch.tanh``,
    ``torch.sigmoid``), as many models are written: no activation modules to hook."""

    def __init__(self, sizes: list[int], act: str, seed: int = 0, squeeze: bool = False) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.act = {"relu": torch.nn.functional.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[act]
        self.squeeze = squeeze

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            x = self.act(layer(x))
        x = self.layers[-1](x)
        return x.squeeze(-1) if self.squeeze else x


def _init_weights(model: nn.Module, std: float, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, std)
            nn.init.zeros_(m.bias)
    return model


def _kill_relus(model: nn.Module, bias: float) -> nn.Module:
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for m in linears[:-1]:
            m.bias.fill_(bias)
    return model


# ---------------------------------------------------------------------------------------------- training
def _accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    return float((out.argmax(1) == y).float().mean())


def _train(
    model: nn.Module,
    data,
    *,
    epochs: int,
    lr: float,
    optimizer: str = "adam",
    batch_size: int = 64,
    schedule: str | None = None,
    seed: int = 0,
    val=None,
    weight_decay: float = 0.0,
    classes: int | None = None,
) -> History:
    (xt, yt), (xv, yv) = data
    if val is not None:
        xv, yv = val
    train = TensorDataset(torch.from_numpy(xt), torch.from_numpy(yt))
    valid = TensorDataset(torch.from_numpy(xv), torch.from_numpy(yv))
    train_loader = DataLoader(train, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    val_loader = DataLoader(valid, batch_size=512)
    classification = classes is not None
    history = fit(
        model,
        nn.CrossEntropyLoss() if classification else nn.MSELoss(),
        train_loader,
        val_loader=val_loader,
        epochs=epochs,
        optimizer=optimizer,
        lr=lr,
        schedule=schedule,
        seed=seed,
        metric=_accuracy if classification else None,
        optimizer_options={"weight_decay": weight_decay} if weight_decay else None,
        callbacks=[Monitor()],
    )
    history.config.update(task="classification" if classification else "regression", num_classes=classes)
    return history


def _shifted(data, shift: float):
    """The same task, but the validation inputs moved by ``shift`` standard deviations."""
    (xt, yt), (xv, yv) = data
    return xv + np.float32(shift), yv


# ------------------------------------------------------------------------------------------------ cases
CASES: list[Case] = [
    # -- learning rate ------------------------------------------------------------------------------------
    Case("lr_x100_adam_digits", "Adam at 100x its usual LR (0.1) on the digits MLP", "lr_too_high",
         lambda: _train(_mlp([64, 128, 64, 10]), _digits(), epochs=8, lr=0.1, classes=10),
         acceptable=("dead_relu", "batch_too_small", "exploding_gradients", "plateau")),
    Case("lr_x100_sgd_waves", "SGD at 100x a good LR (3.0) on a regression MLP: diverges", "lr_too_high",
         lambda: _train(_mlp([8, 64, 64, 1], squeeze=True), _waves(), epochs=8, lr=3.0, optimizer="sgd"),
         acceptable=("exploding_gradients",)),
    Case("lr_x100_momentum_teacher", "SGD+momentum at 100x (10.0) on a teacher classification task", "lr_too_high",
         lambda: _train(_mlp([10, 64, 64, 4], seed=3), _teacher(seed=3), epochs=8, lr=10.0, optimizer="momentum", classes=4),
         acceptable=("exploding_gradients", "dead_relu")),
    Case("lr_div1000_adam_digits", "Adam at 1/1000 of its usual LR (1e-6) on the digits MLP", "lr_too_low",
         lambda: _train(_mlp([64, 128, 64, 10]), _digits(), epochs=8, lr=1e-6, classes=10),
         acceptable=("underfitting",)),
    Case("lr_div1000_sgd_waves", "SGD at 1/1000 of a good LR (3e-5) on the regression MLP", "lr_too_low",
         lambda: _train(_mlp([8, 64, 64, 1], squeeze=True, seed=5), _waves(seed=5), epochs=8, lr=3e-5, optimizer="momentum"),
         acceptable=("underfitting",)),
    # -- batch size ---------------------------------------------------------------------------------------
    Case("batch_1_teacher", "batch size 1 instead of 64 on the teacher task (Adam 1e-3)", "batch_too_small",
         lambda: _train(_mlp([10, 64, 64, 4]), _teacher(n=1200), epochs=2, lr=1e-3, batch_size=1, classes=4),
         acceptable=("lr_too_high",)),
    Case("batch_1_wine", "batch size 1 on wine (Adam 1e-3)", "batch_too_small",
         lambda: _train(_mlp([13, 32, 3], seed=7), _wine(seed=7), epochs=6, lr=1e-3, batch_size=1, classes=3),
         acceptable=("lr_too_high", "overfitting")),
    # -- generalization -----------------------------------------------------------------------------------
    Case("overfit_tiny_breast_cancer", "40 training samples of breast cancer, a wide MLP, no regularization",
         "overfitting",
         lambda: _train(_mlp([30, 256, 256, 2]), _tiny(_breast_cancer(), 40), epochs=60, lr=3e-3, batch_size=8, classes=2)),
    Case("overfit_tiny_digits", "60 training digits, a wide MLP, no regularization", "overfitting",
         lambda: _train(_mlp([64, 256, 256, 10], seed=2), _tiny(_digits(seed=2), 60), epochs=60, lr=3e-3, batch_size=8,
                        classes=10)),
    Case("too_small_rings", "one hidden unit for a three-ring classification", "underfitting",
         lambda: _train(_mlp([2, 1, 3]), _rings(), epochs=10, lr=1e-2, schedule="cosine", classes=3)),
    Case("too_small_waves", "a linear model for a sum of sines", "underfitting",
         lambda: _train(_mlp([8, 1], squeeze=True, seed=4), _waves(seed=4), epochs=10, lr=1e-2, schedule="cosine"),
         ),
    Case("val_shifted_teacher", "validation inputs moved by 2 standard deviations", "unrepresentative_validation",
         lambda: _train(_mlp([10, 64, 64, 4]), _teacher(), epochs=10, lr=1e-3, schedule="cosine", classes=4,
                        val=_shifted(_teacher(), 2.0)),
         acceptable=("overfitting",)),
    Case("plateau_rings", "the rings MLP with Adam at a constant 5e-2: the loss stalls at a noise floor", "plateau",
         lambda: _train(_mlp([2, 32, 32, 3]), _rings(n=6000), epochs=10, lr=5e-2, classes=3),
         acceptable=("lr_too_high",)),
    # -- activations, gradients and initialization --------------------------------------------------------
    Case("exploding_rnn", "a tanh RNN with recurrent weights scaled 3x, SGD at 0.1", "exploding_gradients",
         lambda: _train(_RNNRegressor(3.0), _sequences(), epochs=5, lr=0.1, optimizer="sgd"),
         acceptable=("lr_too_high",)),
    Case("deep_sigmoid_teacher", "a 10-layer sigmoid MLP trained with SGD", "vanishing_gradients",
         lambda: _train(_mlp([10] + [32] * 9 + [4], act=nn.Sigmoid), _teacher(), epochs=6, lr=0.1, optimizer="momentum",
                        classes=4),
         acceptable=("underfitting", "lr_too_low", "plateau")),
    Case("init_large_tanh", "a tanh MLP initialized with weights of std 1 (about 8x too large)", "bad_initialization",
         lambda: _train(_init_weights(_mlp([64, 128, 128, 10], act=nn.Tanh), 1.0), _digits(), epochs=6, lr=1e-3,
                        classes=10),
         acceptable=("saturated_activations", "vanishing_gradients", "overfitting")),
    Case("init_large_relu", "a 6-layer ReLU MLP initialized with weights of std 1", "bad_initialization",
         lambda: _train(_init_weights(_mlp([10] + [64] * 5 + [4]), 1.0), _teacher(), epochs=6, lr=1e-3, classes=4),
         acceptable=("exploding_gradients", "lr_too_high", "overfitting")),
    Case("init_small_relu", "a 6-layer ReLU MLP initialized with weights of std 1e-3", "bad_initialization",
         lambda: _train(_init_weights(_mlp([64] + [64] * 5 + [10]), 1e-3), _digits(), epochs=6, lr=0.03,
                        optimizer="momentum", classes=10),
         # the ReLUs of the deepest layers die too (measured): a true consequence of the same defect
         acceptable=("vanishing_gradients", "dead_relu", "lr_too_low", "underfitting", "plateau")),
    Case("dead_relu_bias", "hidden biases set to -4: most ReLUs never fire", "dead_relu",
         lambda: _train(_kill_relus(_mlp([10, 64, 64, 4]), -4.0), _teacher(), epochs=6, lr=1e-3, classes=4),
         acceptable=("bad_initialization", "underfitting", "vanishing_gradients")),
    Case("dead_relu_bias_digits", "hidden biases of a digits MLP set to -6", "dead_relu",
         lambda: _train(_kill_relus(_mlp([64, 128, 64, 10], seed=6), -6.0), _digits(seed=6), epochs=6, lr=1e-3,
                        classes=10),
         acceptable=("bad_initialization", "underfitting", "vanishing_gradients")),
    # -- healthy ------------------------------------------------------------------------------------------
    Case("healthy_digits_mlp", "digits MLP, Adam 1e-3, one-cycle", None,
         lambda: _train(_mlp([64, 128, 64, 10]), _digits(), epochs=8, lr=3e-3, schedule="onecycle", classes=10)),
    Case("healthy_digits_cnn", "digits CNN, Adam 3e-3, cosine", None,
         lambda: _train(_cnn(), _digits(), epochs=6, lr=3e-3, schedule="cosine", classes=10)),
    Case("healthy_teacher", "teacher task MLP, Adam, cosine", None,
         lambda: _train(_mlp([10, 64, 64, 4]), _teacher(), epochs=10, lr=3e-3, schedule="cosine", classes=4)),
    Case("healthy_rings", "the rings with 32 hidden units", None,
         lambda: _train(_mlp([2, 32, 32, 3]), _rings(), epochs=10, lr=1e-2, schedule="cosine", classes=3)),
    Case("healthy_waves", "the regression MLP, Adam, one-cycle", None,
         lambda: _train(_mlp([8, 64, 64, 1], squeeze=True), _waves(), epochs=10, lr=3e-3, schedule="onecycle")),
    Case("healthy_tanh_digits", "a tanh MLP with its default initialization", None,
         lambda: _train(_mlp([64, 128, 128, 10], act=nn.Tanh), _digits(), epochs=6, lr=1e-3, schedule="cosine",
                        classes=10)),
    Case("healthy_breast_cancer", "breast cancer, small MLP with weight decay", None,
         lambda: _train(_mlp([30, 32, 2], seed=8), _breast_cancer(seed=8), epochs=20, lr=3e-3, batch_size=16,
                        schedule="cosine", weight_decay=1e-2, classes=2)),
    Case("healthy_sgd_waves", "regression MLP, SGD with momentum 0.03, cosine, other seed", None,
         lambda: _train(_mlp([8, 64, 64, 1], squeeze=True, seed=9), _waves(n=4000, seed=9), epochs=10, lr=0.03,
                        optimizer="momentum", schedule="cosine")),
]


# Held out: written before any of them was run, with seeds, sizes, widths and tasks the thresholds were never
# looked at on; their results are reported as they came out.
HELD_OUT: list[Case] = [
    Case("lr_x100_adam_teacher_s11", "Adam at 0.1 on a 5-class, 16-d teacher task, width 48", "lr_too_high",
         lambda: _train(_mlp([16, 48, 48, 5], seed=11), _teacher(n=2000, dim=16, classes=5, seed=11), epochs=8, lr=0.1,
                        classes=5),
         acceptable=("dead_relu", "exploding_gradients", "plateau", "batch_too_small")),
    Case("lr_div1000_adam_rings_s12", "Adam at 1e-5 (1/1000 of 1e-2) on the rings", "lr_too_low",
         lambda: _train(_mlp([2, 32, 32, 3], seed=12), _rings(n=2000, seed=12), epochs=8, lr=1e-5, classes=3),
         acceptable=("underfitting",)),
    Case("batch_1_breast_cancer_s13", "batch size 1 instead of 16 on breast cancer", "batch_too_small",
         lambda: _train(_mlp([30, 32, 2], seed=13), _breast_cancer(seed=13), epochs=2, lr=1e-3, batch_size=1, classes=2),
         acceptable=("lr_too_high",)),
    Case("overfit_tiny_teacher_s14", "30 training samples of the teacher task, a wide MLP", "overfitting",
         lambda: _train(_mlp([10, 256, 256, 4], seed=14), _tiny(_teacher(seed=14), 30), epochs=60, lr=3e-3, batch_size=8,
                        classes=4)),
    Case("too_small_digits_s15", "a 2-unit bottleneck for the 10 digits", "underfitting",
         lambda: _train(_mlp([64, 2, 10], seed=15), _digits(seed=15), epochs=10, lr=1e-2, schedule="cosine", classes=10)),
    Case("val_wider_waves_s16", "validation inputs drawn twice as wide as the training inputs", "unrepresentative_validation",
         lambda: _train(_mlp([8, 64, 64, 1], squeeze=True, seed=16), _waves(seed=16), epochs=10, lr=3e-3, schedule="onecycle",
                        val=_widened(_waves(seed=16), 2.0)),
         acceptable=("overfitting",)),
    Case("deep_sigmoid_digits_s17", "an 8-layer sigmoid MLP on digits, SGD with momentum", "vanishing_gradients",
         lambda: _train(_mlp([64] + [48] * 7 + [10], act=nn.Sigmoid, seed=17), _digits(seed=17), epochs=6, lr=0.1,
                        optimizer="momentum", classes=10),
         acceptable=("underfitting", "lr_too_low", "plateau")),
    Case("init_large_relu_digits_s18", "a 4-layer ReLU MLP on digits with weights of std 0.5", "bad_initialization",
         lambda: _train(_init_weights(_mlp([64, 96, 96, 96, 10], seed=18), 0.5, seed=18), _digits(seed=18), epochs=6,
                        lr=1e-3, classes=10),
         acceptable=("exploding_gradients", "lr_too_high", "overfitting")),
    Case("init_small_tanh_teacher_s19", "a 5-layer tanh MLP with weights of std 1e-3", "bad_initialization",
         lambda: _train(_init_weights(_mlp([10] + [64] * 4 + [4], act=nn.Tanh, seed=19), 1e-3, seed=19),
                        _teacher(seed=19), epochs=6, lr=0.03, optimizer="momentum", classes=4),
         acceptable=("vanishing_gradients", "lr_too_low", "underfitting", "plateau")),
    Case("dead_relu_rings_s20", "hidden biases of the rings MLP set to -3", "dead_relu",
         lambda: _train(_kill_relus(_mlp([2, 32, 32, 3], seed=20), -3.0), _rings(seed=20), epochs=8, lr=1e-2, classes=3),
         acceptable=("bad_initialization", "underfitting", "vanishing_gradients")),
    Case("exploding_rnn_s21", "a tanh RNN with recurrent weights scaled 3.5x, SGD at 0.1", "exploding_gradients",
         lambda: _train(_RNNRegressor(3.5, seed=21), _sequences(seed=21), epochs=5, lr=0.1, optimizer="sgd"),
         acceptable=("lr_too_high",)),
    Case("plateau_cnn_s22", "the digits CNN with Adam at a constant 1e-2", "plateau",
         lambda: _train(_cnn(seed=22), _digits(seed=22), epochs=8, lr=1e-2, classes=10),
         acceptable=("lr_too_high", "overfitting")),
    Case("healthy_wine_s23", "wine, small MLP, Adam 3e-3, cosine, batch 16", None,
         lambda: _train(_mlp([13, 32, 3], seed=23), _wine(seed=23), epochs=30, lr=3e-3, batch_size=16, schedule="cosine",
                        classes=3)),
    Case("healthy_teacher_wide_s24", "a 5-class, 16-d teacher task, width 128, one-cycle", None,
         lambda: _train(_mlp([16, 128, 128, 5], seed=24), _teacher(n=4000, dim=16, classes=5, seed=24), epochs=8, lr=2e-3,
                        schedule="onecycle", classes=5)),
    Case("healthy_cnn_s25", "the digits CNN, Adam 2e-3, one-cycle", None,
         lambda: _train(_cnn(seed=25), _digits(seed=25), epochs=6, lr=2e-3, schedule="onecycle", classes=10)),
    Case("healthy_waves_nesterov_s26", "12-d regression, Nesterov 0.05, cosine", None,
         lambda: _train(_mlp([12, 64, 64, 1], squeeze=True, seed=26), _waves(dim=12, seed=26), epochs=10, lr=0.05,
                        optimizer="nesterov", schedule="cosine")),
    Case("healthy_rings_gelu_s27", "the rings with GELU units, width 64", None,
         lambda: _train(_mlp([2, 64, 64, 3], act=nn.GELU, seed=27), _rings(seed=27), epochs=10, lr=5e-3, schedule="cosine",
                        classes=3)),
]
# Round 2: written after round 1's misses led to one change (batch_too_small now needs loss jitter as well as
# gradient disagreement; see the module docstring of trainwise.diagnose), and run once, as they came out.
HELD_OUT_2: list[Case] = [
    Case("lr_x100_sgd_teacher_s31", "SGD at 10 (100x 0.1) on a 3-class, 12-d teacher task", "lr_too_high",
         lambda: _train(_mlp([12, 64, 64, 3], seed=31), _teacher(n=2400, dim=12, classes=3, seed=31), epochs=6, lr=10.0,
                        optimizer="sgd", classes=3),
         acceptable=("exploding_gradients", "dead_relu")),
    Case("lr_x100_adam_waves_s32", "Adam at 0.3 (100x 3e-3) on the regression MLP", "lr_too_high",
         lambda: _train(_mlp([8, 64, 64, 1], squeeze=True, seed=32), _waves(seed=32), epochs=8, lr=0.3),
         acceptable=("exploding_gradients", "dead_relu", "plateau", "batch_too_small")),
    Case("lr_div1000_momentum_digits_s33", "SGD+momentum at 1e-4 (1/1000 of 0.1) on the digits MLP", "lr_too_low",
         lambda: _train(_mlp([64, 128, 64, 10], seed=33), _digits(seed=33), epochs=6, lr=1e-4, optimizer="momentum",
                        classes=10),
         acceptable=("underfitting",)),
    Case("batch_1_rings_s34", "batch size 1 instead of 64 on the rings", "batch_too_small",
         lambda: _train(_mlp([2, 32, 32, 3], seed=34), _rings(n=800, seed=34), epochs=2, lr=1e-3, batch_size=1,
                        classes=3),
         acceptable=("lr_too_high",)),
    Case("batch_1_digits_s35", "batch size 1 instead of 64 on the digits MLP", "batch_too_small",
         lambda: _train(_mlp([64, 128, 64, 10], seed=35), _digits(seed=35), epochs=1, lr=1e-3, batch_size=1, classes=10),
         acceptable=("lr_too_high",)),
    Case("overfit_tiny_waves_s36", "40 regression samples, a wide MLP, no regularization", "overfitting",
         lambda: _train(_mlp([8, 256, 256, 1], squeeze=True, seed=36), _tiny(_waves(seed=36), 40), epochs=80, lr=3e-3,
                        batch_size=8)),
    Case("too_small_teacher_s37", "a linear model for the teacher task", "underfitting",
         lambda: _train(_mlp([10, 4], seed=37), _teacher(seed=37), epochs=10, lr=1e-2, schedule="cosine", classes=4)),
    Case("val_noisy_digits_s38", "validation images with strong added noise", "unrepresentative_validation",
         lambda: _train(_mlp([64, 128, 64, 10], seed=38), _digits(seed=38), epochs=8, lr=3e-3, schedule="onecycle",
                        classes=10, val=_noised(_digits(seed=38), 2.0, seed=38)),
         acceptable=("overfitting",)),
    Case("deep_sigmoid_waves_s39", "a 10-layer sigmoid regression MLP, SGD with momentum", "vanishing_gradients",
         lambda: _train(_mlp([8] + [32] * 9 + [1], act=nn.Sigmoid, squeeze=True, seed=39), _waves(seed=39), epochs=6,
                        lr=0.05, optimizer="momentum"),
         acceptable=("underfitting", "lr_too_low", "plateau")),
    Case("init_large_tanh_teacher_s40", "a tanh MLP with weights of std 2", "bad_initialization",
         lambda: _train(_init_weights(_mlp([10, 64, 64, 4], act=nn.Tanh, seed=40), 2.0, seed=40), _teacher(seed=40),
                        epochs=6, lr=1e-3, classes=4),
         acceptable=("saturated_activations", "vanishing_gradients", "overfitting")),
    Case("init_small_relu_teacher_s41", "a 5-layer ReLU MLP with weights of std 1e-2", "bad_initialization",
         lambda: _train(_init_weights(_mlp([10] + [64] * 4 + [4], seed=41), 1e-2, seed=41), _teacher(seed=41), epochs=6,
                        lr=0.03, optimizer="momentum", classes=4),
         acceptable=("vanishing_gradients", "dead_relu", "lr_too_low", "underfitting", "plateau")),
    Case("dead_relu_digits_s42", "hidden biases of a digits MLP set to -8", "dead_relu",
         lambda: _train(_kill_relus(_mlp([64, 64, 64, 10], seed=42), -8.0), _digits(seed=42), epochs=6, lr=1e-3,
                        classes=10),
         acceptable=("bad_initialization", "underfitting", "vanishing_gradients")),
    Case("exploding_rnn_s43", "a tanh RNN with recurrent weights scaled 3x, SGD at 0.1, other seed", "exploding_gradients",
         lambda: _train(_RNNRegressor(3.0, seed=43), _sequences(seed=43), epochs=5, lr=0.1, optimizer="sgd"),
         acceptable=("lr_too_high",)),
    Case("plateau_rings_s44", "4 rings, Adam at a constant 4e-2", "plateau",
         lambda: _train(_mlp([2, 32, 32, 4], seed=44), _rings(n=5000, classes=4, seed=44), epochs=10, lr=4e-2, classes=4),
         acceptable=("lr_too_high",)),
    Case("healthy_digits_wide_s45", "digits, one hidden layer of 256, Adam 1e-3, cosine, batch 32", None,
         lambda: _train(_mlp([64, 256, 10], seed=45), _digits(seed=45), epochs=6, lr=1e-3, batch_size=32,
                        schedule="cosine", classes=10)),
    Case("healthy_teacher_momentum_s46", "teacher task, SGD+momentum 0.05, cosine", None,
         lambda: _train(_mlp([10, 64, 64, 4], seed=46), _teacher(seed=46), epochs=10, lr=0.05, optimizer="momentum",
                        schedule="cosine", classes=4)),
    Case("healthy_breast_cancer_s47", "breast cancer, width 64, Adam 1e-3, one-cycle, batch 32", None,
         lambda: _train(_mlp([30, 64, 2], seed=47), _breast_cancer(seed=47), epochs=15, lr=1e-3, batch_size=32,
                        schedule="onecycle", classes=2)),
    Case("healthy_waves_tanh_s48", "the regression with tanh units, Adam 3e-3, cosine", None,
         lambda: _train(_mlp([8, 64, 64, 1], act=nn.Tanh, squeeze=True, seed=48), _waves(seed=48), epochs=10, lr=3e-3,
                        schedule="cosine")),
]
# Round 3: written after round 2's misses led to four changes in trainwise.diagnose (the starting loss of a
# one-sample batch is its first chunk's median; "worse than chance" for lr_too_high; validation "worse than
# untrained" replaces "never improved"; validation jitter only counts once the LR is annealed), run once, as is.
HELD_OUT_3: list[Case] = [
    Case("lr_x100_adam_cnn_s51", "the digits CNN with Adam at 0.3 (100x 3e-3)", "lr_too_high",
         lambda: _train(_cnn(seed=51), _digits(seed=51), epochs=5, lr=0.3, classes=10),
         acceptable=("dead_relu", "exploding_gradients", "plateau", "batch_too_small")),
    Case("lr_div1000_adam_teacher_s52", "Adam at 3e-6 (1/1000 of 3e-3) on a 3-class, 16-d teacher task", "lr_too_low",
         lambda: _train(_mlp([16, 64, 64, 3], seed=52), _teacher(n=2400, dim=16, classes=3, seed=52), epochs=8, lr=3e-6,
                        classes=3),
         acceptable=("underfitting",)),
    Case("batch_1_wine_s53", "batch size 1 on wine, width 64", "batch_too_small",
         lambda: _train(_mlp([13, 64, 3], seed=53), _wine(seed=53), epochs=5, lr=1e-3, batch_size=1, classes=3),
         acceptable=("lr_too_high", "overfitting")),
    Case("overfit_tiny_digits_s54", "40 training digits, one hidden layer of 512, no regularization", "overfitting",
         lambda: _train(_mlp([64, 512, 10], seed=54), _tiny(_digits(seed=54), 40), epochs=50, lr=3e-3, batch_size=8,
                        classes=10)),
    Case("too_small_rings_s55", "two hidden units for four rings", "underfitting",
         lambda: _train(_mlp([2, 2, 4], seed=55), _rings(classes=4, seed=55), epochs=10, lr=1e-2, schedule="cosine",
                        classes=4)),
    Case("val_shifted_rings_s56", "the rings with validation inputs moved by 1.5 standard deviations",
         "unrepresentative_validation",
         lambda: _train(_mlp([2, 32, 32, 3], seed=56), _rings(seed=56), epochs=10, lr=1e-2, schedule="cosine", classes=3,
                        val=_shifted(_rings(seed=56), 1.5)),
         acceptable=("overfitting",)),
    Case("deep_sigmoid_rings_s57", "a 9-layer sigmoid MLP on the rings, SGD with momentum", "vanishing_gradients",
         lambda: _train(_mlp([2] + [24] * 8 + [3], act=nn.Sigmoid, seed=57), _rings(seed=57), epochs=6, lr=0.1,
                        optimizer="momentum", classes=3),
         acceptable=("underfitting", "lr_too_low", "plateau")),
    Case("init_large_relu_waves_s58", "a 5-layer ReLU regression MLP with weights of std 0.8", "bad_initialization",
         lambda: _train(_init_weights(_mlp([8] + [64] * 4 + [1], squeeze=True, seed=58), 0.8, seed=58), _waves(seed=58),
                        epochs=6, lr=1e-3),
         acceptable=("exploding_gradients", "lr_too_high", "overfitting")),
    Case("dead_relu_waves_s59", "hidden biases of the regression MLP set to -5", "dead_relu",
         lambda: _train(_kill_relus(_mlp([8, 64, 64, 1], squeeze=True, seed=59), -5.0), _waves(seed=59), epochs=6,
                        lr=1e-3),
         acceptable=("bad_initialization", "underfitting", "vanishing_gradients")),
    Case("exploding_rnn_s60", "a tanh RNN with recurrent weights scaled 3x, SGD at 0.08", "exploding_gradients",
         lambda: _train(_RNNRegressor(3.0, seed=60), _sequences(seed=60), epochs=5, lr=0.08, optimizer="sgd"),
         acceptable=("lr_too_high",)),
    Case("plateau_teacher_s61", "the teacher task with Adam at a constant 2e-2 on 8000 samples", "plateau",
         lambda: _train(_mlp([10, 64, 64, 4], seed=61), _teacher(n=8000, seed=61), epochs=10, lr=2e-2, classes=4),
         acceptable=("lr_too_high", "overfitting")),
    Case("healthy_rings_s62", "the rings, width 48, Adam 5e-3, one-cycle", None,
         lambda: _train(_mlp([2, 48, 48, 3], seed=62), _rings(seed=62), epochs=10, lr=5e-3, schedule="onecycle", classes=3)),
    Case("healthy_cnn_s63", "the digits CNN, Adam 1e-3, cosine", None,
         lambda: _train(_cnn(seed=63), _digits(seed=63), epochs=5, lr=1e-3, schedule="cosine", classes=10)),
    Case("healthy_waves_s64", "a 6-d regression, Adam 2e-3, one-cycle", None,
         lambda: _train(_mlp([6, 64, 64, 1], squeeze=True, seed=64), _waves(dim=6, seed=64), epochs=10, lr=2e-3,
                        schedule="onecycle")),
]
# Round 4: written after round 3, when three changes in trainwise.diagnose answered the misses of rounds 1-3 (the
# Monitor compares validation inputs with training inputs; ReLUs knocked dead under updates over 10x the seeds'
# 1e-3 are lr_too_high; a validation loss that stops improving at an undecayed LR is a plateau). Written before
# any of it was run, with new seeds, tasks, widths and two new kinds of distribution shift (validation left
# unstandardized; validation drawn from one tail of one feature), and run once, as is.
HELD_OUT_4: list[Case] = [
    Case("lr_x100_adam_breast_cancer_s71", "Adam at 0.3 (100x 3e-3) on breast cancer, two layers of 64",
         "lr_too_high",
         lambda: _train(_mlp([30, 64, 64, 2], seed=71), _breast_cancer(seed=71), epochs=15, lr=0.3, batch_size=32,
                        classes=2),
         acceptable=("dead_relu", "exploding_gradients", "plateau", "batch_too_small")),
    Case("lr_x100_momentum_waves_s72", "SGD+momentum at 5.0 (100x 0.05) on a 10-d regression", "lr_too_high",
         lambda: _train(_mlp([10, 64, 64, 1], squeeze=True, seed=72), _waves(dim=10, seed=72), epochs=8, lr=5.0,
                        optimizer="momentum"),
         acceptable=("exploding_gradients", "dead_relu")),
    Case("lr_div1000_adam_cnn_s73", "the digits CNN with Adam at 3e-6 (1/1000 of 3e-3)", "lr_too_low",
         lambda: _train(_cnn(seed=73), _digits(seed=73), epochs=6, lr=3e-6, classes=10),
         acceptable=("underfitting",)),
    Case("lr_div1000_sgd_rings_s74", "plain SGD at 1e-4 (1/1000 of 0.1) on the rings", "lr_too_low",
         lambda: _train(_mlp([2, 48, 48, 3], seed=74), _rings(seed=74), epochs=8, lr=1e-4, optimizer="sgd",
                        classes=3),
         acceptable=("underfitting",)),
    Case("batch_1_teacher_s75", "batch size 1 on a 3-class, 12-d teacher task", "batch_too_small",
         lambda: _train(_mlp([12, 64, 64, 3], seed=75), _teacher(n=1000, dim=12, classes=3, seed=75), epochs=2,
                        lr=1e-3, batch_size=1, classes=3),
         acceptable=("lr_too_high",)),
    Case("overfit_tiny_digits_s76", "50 training digits, two layers of 384, no regularization", "overfitting",
         lambda: _train(_mlp([64, 384, 384, 10], seed=76), _tiny(_digits(seed=76), 50), epochs=60, lr=1e-3,
                        batch_size=10, classes=10)),
    Case("too_small_teacher_s77", "a 2-unit bottleneck for a 5-class, 16-d teacher task", "underfitting",
         lambda: _train(_mlp([16, 2, 5], seed=77), _teacher(dim=16, classes=5, seed=77), epochs=10, lr=1e-2,
                        schedule="cosine", classes=5)),
    Case("val_unstandardized_digits_s78", "validation pixels left raw (0-16) while training ones are standardized",
         "unrepresentative_validation",
         lambda: _train(_mlp([64, 128, 64, 10], seed=78), _digits(seed=78), epochs=8, lr=3e-3, schedule="onecycle",
                        classes=10, val=_raw_digits_val(seed=78)),
         acceptable=("overfitting",)),
    Case("val_one_tail_waves_s79", "validation drawn only from samples whose first feature is above 0.5",
         "unrepresentative_validation",
         lambda: _train(_mlp([8, 64, 64, 1], squeeze=True, seed=79), _waves(seed=79), epochs=10, lr=3e-3,
                        schedule="cosine", val=_one_tail(_waves(seed=79), feature=0, above=0.5)),
         acceptable=("overfitting",)),
    Case("deep_sigmoid_breast_cancer_s80", "a 10-layer sigmoid MLP on breast cancer, SGD with momentum",
         "vanishing_gradients",
         lambda: _train(_mlp([30] + [32] * 9 + [2], act=nn.Sigmoid, seed=80), _breast_cancer(seed=80), epochs=10,
                        lr=0.1, batch_size=16, optimizer="momentum", classes=2),
         acceptable=("underfitting", "lr_too_low", "plateau")),
    Case("init_large_relu_teacher_s81", "a 6-layer ReLU MLP with weights of std 0.7 on a 5-class teacher task",
         "bad_initialization",
         lambda: _train(_init_weights(_mlp([16] + [96] * 5 + [5], seed=81), 0.7, seed=81),
                        _teacher(dim=16, classes=5, seed=81), epochs=6, lr=1e-3, classes=5),
         acceptable=("exploding_gradients", "lr_too_high", "overfitting")),
    Case("init_small_tanh_digits_s82", "a 5-layer tanh MLP on digits with weights of std 1e-3",
         "bad_initialization",
         lambda: _train(_init_weights(_mlp([64] + [96] * 4 + [10], act=nn.Tanh, seed=82), 1e-3, seed=82),
                        _digits(seed=82), epochs=6, lr=0.03, optimizer="momentum", classes=10),
         acceptable=("vanishing_gradients", "lr_too_low", "underfitting", "plateau")),
    Case("dead_relu_teacher_s83", "hidden biases of a width-96 MLP set to -5", "dead_relu",
         lambda: _train(_kill_relus(_mlp([12, 96, 96, 3], seed=83), -5.0), _teacher(n=2400, dim=12, classes=3, seed=83),
                        epochs=6, lr=1e-3, classes=3),
         acceptable=("bad_initialization", "underfitting", "vanishing_gradients")),
    Case("exploding_rnn_s84", "a tanh RNN with recurrent weights scaled 2.8x, SGD at 0.12", "exploding_gradients",
         lambda: _train(_RNNRegressor(2.8, seed=84), _sequences(seed=84), epochs=5, lr=0.12, optimizer="sgd"),
         acceptable=("lr_too_high",)),
    Case("plateau_waves_s85", "the regression MLP with Adam at a constant 1e-2 on 6000 samples", "plateau",
         lambda: _train(_mlp([8, 64, 64, 1], squeeze=True, seed=85), _waves(n=6000, seed=85), epochs=12, lr=1e-2),
         acceptable=("lr_too_high", "overfitting")),
    Case("healthy_cnn_s86", "the digits CNN, Adam 2e-3, cosine", None,
         lambda: _train(_cnn(seed=86), _digits(seed=86), epochs=6, lr=2e-3, schedule="cosine", classes=10)),
    Case("healthy_teacher_multistep_s87", "teacher task, Adam 3e-3, 10x decays at half and three quarters", None,
         lambda: _train(_mlp([10, 64, 64, 4], seed=87), _teacher(seed=87), epochs=12, lr=3e-3, schedule="multistep",
                        classes=4)),
    Case("healthy_breast_cancer_sgd_s88", "breast cancer, SGD+momentum 0.01, cosine, weight decay 1e-3", None,
         lambda: _train(_mlp([30, 64, 2], seed=88), _breast_cancer(seed=88), epochs=20, lr=0.01, batch_size=16,
                        optimizer="momentum", schedule="cosine", weight_decay=1e-3, classes=2)),
    Case("healthy_wine_gelu_s89", "wine, GELU width 32, Adam 3e-3, cosine, batch 16", None,
         lambda: _train(_mlp([13, 32, 3], act=nn.GELU, seed=89), _wine(seed=89), epochs=30, lr=3e-3, batch_size=16,
                        schedule="cosine", classes=3)),
    Case("healthy_tanh_digits_s90", "digits, one tanh layer of 256, Adam 1e-3, one-cycle", None,
         lambda: _train(_mlp([64, 256, 10], act=nn.Tanh, seed=90), _digits(seed=90), epochs=6, lr=1e-3,
                        schedule="onecycle", classes=10)),
]
# Round 5: written after round 4, when one change answered its misses (the Monitor also asks a classifier to tell
# validation inputs from training inputs: cross-validated AUC, "adversarial validation"), and after the Monitor
# learned to measure activation functions called inside forward (F.relu): several models here are written that
# way. New seeds, a concept shift (validation columns permuted: every input distribution unchanged), a units change
# in three of eight columns; run once, as is.
HELD_OUT_5: list[Case] = [
    Case("lr_x100_adam_functional_teacher_s91", "Adam at 0.2 (100x 2e-3) on an MLP written with F.relu",
         "lr_too_high",
         lambda: _train(_FunctionalMLP([12, 64, 64, 3], "relu", seed=91), _teacher(n=2400, dim=12, classes=3, seed=91),
                        epochs=8, lr=0.2, classes=3),
         acceptable=("dead_relu", "exploding_gradients", "plateau", "batch_too_small")),
    Case("lr_x100_sgd_breast_cancer_s92", "plain SGD at 20 (100x 0.2) on breast cancer", "lr_too_high",
         lambda: _train(_mlp([30, 64, 2], seed=92), _breast_cancer(seed=92), epochs=10, lr=20.0, batch_size=16,
                        optimizer="sgd", classes=2),
         acceptable=("exploding_gradients", "dead_relu")),
    Case("lr_div1000_momentum_waves_s93", "SGD+momentum at 5e-5 (1/1000 of 0.05) on a 6-d regression", "lr_too_low",
         lambda: _train(_mlp([6, 64, 64, 1], squeeze=True, seed=93), _waves(dim=6, seed=93), epochs=8, lr=5e-5,
                        optimizer="momentum"),
         acceptable=("underfitting",)),
    Case("batch_1_waves_s94", "batch size 1 on the regression MLP", "batch_too_small",
         lambda: _train(_mlp([8, 64, 64, 1], squeeze=True, seed=94), _waves(n=800, seed=94), epochs=1, lr=1e-3,
                        batch_size=1),
         acceptable=("lr_too_high",)),
    Case("overfit_tiny_teacher_s95", "40 samples of a 5-class, 16-d teacher task, two layers of 512", "overfitting",
         lambda: _train(_mlp([16, 512, 512, 5], seed=95), _tiny(_teacher(dim=16, classes=5, seed=95), 40), epochs=60,
                        lr=1e-3, batch_size=8, classes=5)),
    Case("too_small_rings_linear_s96", "a linear model for three rings", "underfitting",
         lambda: _train(_mlp([2, 3], seed=96), _rings(seed=96), epochs=10, lr=1e-2, schedule="cosine", classes=3)),
    Case("val_permuted_teacher_s97", "validation columns permuted: each input's distribution unchanged, the task not",
         "unrepresentative_validation",
         lambda: _train(_mlp([10, 64, 64, 4], seed=97), _teacher(seed=97), epochs=10, lr=3e-3, schedule="cosine",
                        classes=4, val=_permuted(_teacher(seed=97), seed=97)),
         acceptable=("overfitting",)),
    Case("val_units_waves_s98", "three of eight validation columns in other units (x3)", "unrepresentative_validation",
         lambda: _train(_mlp([8, 64, 64, 1], squeeze=True, seed=98), _waves(seed=98), epochs=10, lr=3e-3,
                        schedule="onecycle", val=_scaled_columns(_waves(seed=98), (1, 4, 6), 3.0)),
         acceptable=("overfitting",)),
    Case("deep_sigmoid_functional_s99", "a 9-layer MLP written with torch.sigmoid, SGD with momentum",
         "vanishing_gradients",
         lambda: _train(_FunctionalMLP([10] + [32] * 8 + [4], "sigmoid", seed=99), _teacher(seed=99), epochs=6, lr=0.1,
                        optimizer="momentum", classes=4),
         acceptable=("underfitting", "lr_too_low", "plateau")),
    Case("init_large_tanh_functional_s100", "an MLP written with torch.tanh, weights of std 1.5, on digits",
         "bad_initialization",
         lambda: _train(_init_weights(_FunctionalMLP([64, 128, 128, 10], "tanh", seed=100), 1.5, seed=100),
                        _digits(seed=100), epochs=6, lr=1e-3, classes=10),
         acceptable=("saturated_activations", "vanishing_gradients", "overfitting")),
    Case("init_small_relu_teacher_s101", "a 6-layer ReLU MLP with weights of std 1e-3 on a 5-class teacher task",
         "bad_initialization",
         lambda: _train(_init_weights(_mlp([16] + [64] * 5 + [5], seed=101), 1e-3, seed=101),
                        _teacher(dim=16, classes=5, seed=101), epochs=6, lr=0.03, optimizer="momentum", classes=5),
         acceptable=("vanishing_gradients", "dead_relu", "lr_too_low", "underfitting", "plateau")),
    Case("dead_relu_functional_waves_s102", "an MLP written with F.relu, hidden biases set to -6", "dead_relu",
         lambda: _train(_kill_relus(_FunctionalMLP([8, 64, 64, 1], "relu", seed=102, squeeze=True), -6.0),
                        _waves(seed=102), epochs=6, lr=1e-3),
         acceptable=("bad_initialization", "underfitting", "vanishing_gradients")),
    Case("exploding_rnn_s103", "a tanh RNN with recurrent weights scaled 3.2x, SGD at 0.1", "exploding_gradients",
         lambda: _train(_RNNRegressor(3.2, seed=103), _sequences(seed=103), epochs=5, lr=0.1, optimizer="sgd"),
         acceptable=("lr_too_high",)),
    Case("plateau_digits_s104", "the digits MLP with Adam at a constant 2e-2", "plateau",
         lambda: _train(_mlp([64, 128, 64, 10], seed=104), _digits(seed=104), epochs=10, lr=2e-2, classes=10),
         acceptable=("lr_too_high", "overfitting")),
    Case("healthy_functional_teacher_s105", "an MLP written with F.relu, Adam 3e-3, cosine", None,
         lambda: _train(_FunctionalMLP([10, 64, 64, 4], "relu", seed=105), _teacher(seed=105), epochs=10, lr=3e-3,
                        schedule="cosine", classes=4)),
    Case("healthy_cnn_s106", "the digits CNN, Adam 1e-3, one-cycle", None,
         lambda: _train(_cnn(seed=106), _digits(seed=106), epochs=6, lr=1e-3, schedule="onecycle", classes=10)),
    Case("healthy_waves_gelu_s107", "the regression with GELU units, Adam 2e-3, cosine", None,
         lambda: _train(_mlp([8, 64, 64, 1], act=nn.GELU, squeeze=True, seed=107), _waves(seed=107), epochs=10,
                        lr=2e-3, schedule="cosine")),
    Case("healthy_breast_cancer_adamw_s108", "breast cancer, width 48, AdamW with weight decay 1e-2, cosine", None,
         lambda: _train(_mlp([30, 48, 2], seed=108), _breast_cancer(seed=108), epochs=20, lr=3e-3, batch_size=16,
                        optimizer="adamw", schedule="cosine", weight_decay=1e-2, classes=2)),
    Case("healthy_rings_functional_tanh_s109", "the rings with an MLP written with torch.tanh, Adam 5e-3, cosine", None,
         lambda: _train(_FunctionalMLP([2, 48, 48, 3], "tanh", seed=109), _rings(seed=109), epochs=10, lr=5e-3,
                        schedule="cosine", classes=3)),
]
HELD_OUT = [Case(c.name, c.description, c.expected, c.train, c.acceptable, held_out=1) for c in HELD_OUT]
HELD_OUT_3 = [Case(c.name, c.description, c.expected, c.train, c.acceptable, held_out=3) for c in HELD_OUT_3]
HELD_OUT_2 = [Case(c.name, c.description, c.expected, c.train, c.acceptable, held_out=2) for c in HELD_OUT_2]
HELD_OUT_4 = [Case(c.name, c.description, c.expected, c.train, c.acceptable, held_out=4) for c in HELD_OUT_4]
HELD_OUT_5 = [Case(c.name, c.description, c.expected, c.train, c.acceptable, held_out=5) for c in HELD_OUT_5]
CASES += HELD_OUT + HELD_OUT_2 + HELD_OUT_3 + HELD_OUT_4 + HELD_OUT_5


def _noised(data, std: float, seed: int):
    """The same task, but Gaussian noise of ``std`` added to the validation inputs."""
    (xt, yt), (xv, yv) = data
    noise = np.random.default_rng(seed).standard_normal(xv.shape).astype(np.float32)
    return xv + np.float32(std) * noise, yv


def _widened(data, factor: float):
    """The same task, but validation inputs spread ``factor`` times wider."""
    (xt, yt), (xv, yv) = data
    return xv * np.float32(factor), yv


def _tiny(data, n: int):
    (xt, yt), val = data
    return (xt[:n], yt[:n]), val


def _raw_digits_val(seed: int):
    """The validation digits of ``_digits(seed)`` with their pixels as they come (0-16): the training inputs are
    standardized, the validation ones were forgotten."""
    from sklearn.datasets import load_digits

    d = load_digits()
    val = np.random.default_rng(seed).permutation(len(d.data))[:360]  # the same split as _split
    return d.data[val].astype(np.float32), d.target[val].astype(np.int64)


def _one_tail(data, feature: int, above: float):
    """The same task, but validation keeps only the samples whose ``feature`` is above ``above``."""
    (xt, yt), (xv, yv) = data
    keep = xv[:, feature] > above
    return xv[keep], yv[keep]


def _permuted(data, seed: int):
    """The same inputs' distribution, but the validation columns in another order: the task itself changed."""
    (xt, yt), (xv, yv) = data
    return xv[:, np.random.default_rng(seed).permutation(xv.shape[1])], yv


def _scaled_columns(data, columns: tuple[int, ...], factor: float):
    """Validation columns ``columns`` multiplied by ``factor`` (recorded in other units)."""
    (xt, yt), (xv, yv) = data
    xv = xv.copy()
    xv[:, list(columns)] *= np.float32(factor)
    return xv, yv
