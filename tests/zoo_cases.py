"""The zoo: deliberately broken training runs on small CPU tasks, and healthy ones, each with the finding
the doctor must give. Shared by ``tests/test_zoo.py`` (one test per case) and ``benchmarks/zoo.py`` (the
recall/precision table).

Every run goes through :func:`trainwise.fit` with a default :class:`trainwise.Monitor` and takes about one to
three seconds on one CPU core. Data are synthetic (generated here from a seed) or ship with scikit-learn
(digits, breast cancer, wine, and its generators). ``held_out`` says which round a case belongs to: round 0
(``CASES`` as first written) is the zoo the thresholds were chosen on; rounds 1 to 13 (``HELD_OUT``,
``HELD_OUT_2`` ... ``HELD_OUT_13``) were each written later with seeds, sizes, widths and tasks never looked at,
and run once; the comments above each round say what their misses changed in the doctor before the next round
was written.

Scoring: a broken case is *found* when its ``expected`` finding is reported (recall). Every problem
finding reported on any case is *correct* when it is the case's ``expected`` finding or one of its
``acceptable`` ones — other true consequences of the same defect, e.g. saturated tanh units after a far too
large initialization (precision). On a healthy case every problem finding is wrong.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler

import trainwise
from trainwise.baselines import constant_loss
from trainwise.diagnose import Diagnosis, diagnose
from trainwise.history import History
from trainwise.monitor import Monitor
from trainwise.early_stopping import EarlyStopping
from trainwise.training import PlateauDecay, TrainingDivergedWarning, fit, fit_experiment
from trainwise import schedules

__all__ = ["Case", "CASES", "run_case", "score"]


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    expected: str | None  # the finding that must be reported; None for a healthy run
    train: Callable[[], History] = field(repr=False)
    acceptable: tuple[str, ...] = ()
    held_out: int = 0  # 0: the thresholds were chosen looking at it; 1-19: held-out rounds (see HELD_OUT)


def _held_out_case(held_out: int) -> Callable[..., Case]:
    """The Case constructor of a blind round's block: ``(name, description, expected, train, acceptable=())``, its
    cases tagged ``held_out``."""

    def case(name: str, desc: str, expected: str | None, train: Callable[[], History], acceptable=()) -> Case:
        return Case(name, desc, expected, train, acceptable=tuple(acceptable), held_out=held_out)

    return case


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
def _split(x: np.ndarray, y: np.ndarray, n_val: int, seed: int, standardize: bool = True):
    perm = np.random.default_rng(seed).permutation(len(x))
    val, train = perm[:n_val], perm[n_val:]
    if standardize:
        mean, std = x[train].mean(0), x[train].std(0)
        std[std < 1e-8] = 1.0  # constant features (blank pixels) stay constant instead of blowing up
        x = (x - mean) / std
    x = x.astype(np.float32)
    return (x[train], y[train]), (x[val], y[val])


@functools.lru_cache(maxsize=None)
def _digits(seed: int = 0):
    from sklearn.datasets import load_digits

    d = load_digits()
    return _split(d.data.astype(np.float64), d.target.astype(np.int64), 360, seed)


@functools.lru_cache(maxsize=None)
def _breast_cancer(seed: int = 0, standardize: bool = True):
    """Breast cancer; with ``standardize=False`` its features as they come (areas in the hundreds to thousands)."""
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    return _split(d.data.astype(np.float64), d.target.astype(np.int64), 200, seed, standardize)


@functools.lru_cache(maxsize=None)
def _wine(seed: int = 0, standardize: bool = True):
    """Wine; with ``standardize=False`` its features as they come (proline in the hundreds to over a thousand)."""
    from sklearn.datasets import load_wine

    d = load_wine()
    return _split(d.data.astype(np.float64), d.target.astype(np.int64), 50, seed, standardize)


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
def _mlp(sizes: list[int], act: type[nn.Module] = nn.ReLU, seed: int = 0, squeeze: bool = False,
         norm: str | None = None, dropout: float | None = None) -> nn.Module:
    """Linear layers with ``act`` between them; ``norm="layer"`` or ``"batch"`` puts LayerNorm or BatchNorm1d
    before each activation, ``dropout`` a Dropout after it."""
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            if norm is not None:
                layers.append(nn.LayerNorm(b) if norm == "layer" else nn.BatchNorm1d(b))
            layers.append(act())
            if dropout is not None:
                layers.append(nn.Dropout(dropout))
    if squeeze:
        layers.append(nn.Flatten(0))
    return nn.Sequential(*layers)


def _cnn(seed: int = 0, channels: tuple[int, int] = (16, 32), act: type[nn.Module] = nn.ReLU) -> nn.Module:
    """Two 3x3 conv layers with ``channels`` channels, ``act`` after each, and a linear head, on the 8x8 digits."""
    c1, c2 = channels
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, c1, 3, padding=1), act(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), act(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2 * 2 * 2, 10),
    )  # fmt: skip


class _RecurrentRegressor(nn.Module):
    """A GRU, LSTM or ReLU/tanh RNN over the sequence, then a linear head on the last hidden state; the
    recurrent (hidden-to-hidden) weights scaled by ``recurrent_scale``."""

    def __init__(self, cell: str, hidden: int = 32, recurrent_scale: float = 1.0, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        if cell == "gru":
            self.rnn: nn.RNNBase = nn.GRU(1, hidden, batch_first=True)
        elif cell == "lstm":
            self.rnn = nn.LSTM(1, hidden, batch_first=True)
        else:
            self.rnn = nn.RNN(1, hidden, nonlinearity=cell, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        with torch.no_grad():
            self.rnn.weight_hh_l0.mul_(recurrent_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).squeeze(-1)


class _FunctionalMLP(nn.Module):
    """Linear layers with the activation called as a function inside forward (``F.relu``, ``torch.tanh``,
    ``torch.sigmoid``), as many models are written: no activation modules to hook."""

    def __init__(self, sizes: list[int], act: str, seed: int = 0, squeeze: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        functions = {"relu": torch.nn.functional.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
                     "gelu": torch.nn.functional.gelu}  # fmt: skip
        self.act, self.squeeze, self.dropout = functions[act], squeeze, dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            x = torch.nn.functional.dropout(self.act(layer(x)), self.dropout, self.training)
        x = self.layers[-1](x)
        return x.squeeze(-1) if self.squeeze else x


def _init_weights(model: nn.Module, std: float, seed: int = 0) -> nn.Module:
    """Every linear and convolution weight drawn from N(0, std^2), biases zero."""
    torch.manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(m.weight, 0.0, std)
            nn.init.zeros_(m.bias)
    return model


def _kill_relus(model: nn.Module, bias: float) -> nn.Module:
    """Every hidden linear layer's bias set to ``bias`` (the output layer's left alone): a large negative one
    silences the ReLUs after them; any large one pushes sigmoid or tanh units into their tails."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for m in linears[:-1]:
            m.bias.fill_(bias)
    return model


# ---------------------------------------------------------------------------------------------- training
def _accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    return float((out.argmax(1) == y).float().mean())


class _Rows(Dataset):
    """Inputs and targets indexed by a list of rows at once: a whole batch per ``__getitem__``."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[rows], self.y[rows]


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
    train = _Rows(torch.from_numpy(xt), torch.from_numpy(yt))
    valid = _Rows(torch.from_numpy(xv), torch.from_numpy(yv))
    # the batches DataLoader(shuffle=True, generator=g) makes, bit for bit (the same sampler draws the same
    # permutation from the same generator), gathered in one indexing per batch instead of one per sample
    g = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train, batch_size=None, sampler=BatchSampler(RandomSampler(train, generator=g), batch_size, False),
                              generator=g)  # fmt: skip
    val_loader = DataLoader(valid, batch_size=None, sampler=BatchSampler(SequentialSampler(valid), 512, False))
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
         lambda: _train(_RecurrentRegressor("tanh", recurrent_scale=3.0),
                        _sequences(), epochs=5, lr=0.1, optimizer="sgd"),
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
         lambda: _train(_RecurrentRegressor("tanh", recurrent_scale=3.5, seed=21),
                        _sequences(seed=21), epochs=5, lr=0.1, optimizer="sgd"),
         acceptable=("lr_too_high",)),
    # Designed as a plateau; relabelled healthy in round 16's session on its measurements: the training loss still
    # halves every epoch to the end (0.023, 0.014, 0.008) and validation falls 13% an epoch; the same run with the LR
    # decayed (cosine) ends worse (validation 0.051 against 0.031), and four more epochs at 1e-2 gain 4%.
    Case("healthy_cnn_constant_adam_s22", "the digits CNN with Adam at a constant 1e-2", None,
         lambda: _train(_cnn(seed=22), _digits(seed=22), epochs=8, lr=1e-2, classes=10)),
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
         lambda: _train(_RecurrentRegressor("tanh", recurrent_scale=3.0, seed=43),
                        _sequences(seed=43), epochs=5, lr=0.1, optimizer="sgd"),
         acceptable=("lr_too_high",)),
    Case("plateau_rings_s44", "4 rings, Adam at a constant 4e-2", "plateau",
         lambda: _train(_mlp([2, 32, 32, 4], seed=44), _rings(n=5000, classes=4, seed=44), epochs=10, lr=4e-2, classes=4),
         # dead_relu added with round 18's review: 62% of ReLU '3' is silent on a whole batch (median over the
         # measured steps), as s435 (which already accepts it) — true of the measurements
         acceptable=("lr_too_high", "dead_relu")),
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
         lambda: _train(_RecurrentRegressor("tanh", recurrent_scale=3.0, seed=60),
                        _sequences(seed=60), epochs=5, lr=0.08, optimizer="sgd"),
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
         lambda: _train(_RecurrentRegressor("tanh", recurrent_scale=2.8, seed=84),
                        _sequences(seed=84), epochs=5, lr=0.12, optimizer="sgd"),
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
         lambda: _train(_RecurrentRegressor("tanh", recurrent_scale=3.2, seed=103),
                        _sequences(seed=103), epochs=5, lr=0.1, optimizer="sgd"),
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


# --------------------------------------------------------------------------------------------------------------
# Round 6: written blind by a separate session that never read the doctor's code nor ran the doctor on them (it
# checked each defect on the raw measurements only), after the change that measures "poor" against the best constant
# prediction; run once, as is.
#
# New here: tasks from scikit-learn's generators (moons, circles, ``make_classification``, Friedman #1) and two
# synthetic ones (a checkerboard, a three-arm spiral); model shapes the doctor has not seen (a residual MLP, MLPs
# with LayerNorm or BatchNorm1d, GRU, LSTM and tanh-RNN regressors, a narrower and a wider digits CNN); optimizers and
# schedules not used before (RMSprop, Adagrad, Nesterov with warmup-cosine, "step", "sgdr"); new kinds of
# distribution shift (validation rotated, translated by a pixel, split by the target instead of at random); two
# cases of saturated activations from unscaled inputs, and exploding gradients from an unscaled regression target.
# First run: recall 34/37, precision 43/46, no healthy run flagged. What its misses changed afterwards: a small-batch
# run's starting loss is its first 32 samples' level (not the median of a first chunk in which the loss had already
# fallen 10x: s122 read as unrepresentative); "worse than learning nothing" is read against the best constant
# prediction; a gradient spike must also be a magnitude the run has not reached before (s120's routine one-sample
# spikes read as exploding).

# ------------------------------------------------------------------------------------------------ data
@functools.lru_cache(maxsize=None)
def _moons(n: int = 2000, noise: float = 0.15, seed: int = 0):
    """Two interleaved half-moons (``sklearn.datasets.make_moons``)."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n, noise=noise, random_state=seed)
    return _split(x.astype(np.float64), y.astype(np.int64), n // 4, seed)


@functools.lru_cache(maxsize=None)
def _circles(n: int = 2000, noise: float = 0.08, factor: float = 0.5, seed: int = 0):
    """A circle inside another (``sklearn.datasets.make_circles``): no line separates them."""
    from sklearn.datasets import make_circles

    x, y = make_circles(n, noise=noise, factor=factor, random_state=seed)
    return _split(x.astype(np.float64), y.astype(np.int64), n // 4, seed)


@functools.lru_cache(maxsize=None)
def _classification(n: int = 3000, features: int = 20, informative: int = 8, classes: int = 3,
                    flip_y: float = 0.01, seed: int = 0):
    """Gaussian clusters on the vertices of a hypercube (``sklearn.datasets.make_classification``)."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n, n_features=features, n_informative=informative, n_redundant=2, n_classes=classes,
                               n_clusters_per_class=2, flip_y=flip_y, class_sep=1.5, random_state=seed)
    return _split(x.astype(np.float64), y.astype(np.int64), n // 4, seed)


def _standardized_target(data):
    (xt, yt), (xv, yv) = data
    mean, std = yt.mean(), yt.std()
    return (xt, ((yt - mean) / std).astype(np.float32)), (xv, ((yv - mean) / std).astype(np.float32))


@functools.lru_cache(maxsize=None)
def _friedman(n: int = 3000, noise: float = 0.5, seed: int = 0, standardize: bool = True):
    """Regression: Friedman #1 (``sklearn.datasets.make_friedman1``, 10 uniform inputs of which 5 matter),
    target standardized; with ``standardize=False`` the inputs as generated (uniform on [0, 1])."""
    from sklearn.datasets import make_friedman1

    x, y = make_friedman1(n, n_features=10, noise=noise, random_state=seed)
    return _standardized_target(_split(x, y, n // 4, seed, standardize))


@functools.lru_cache(maxsize=None)
def _checkerboard(n: int = 4000, cells: int = 4, seed: int = 0):
    """Points in a square labelled by the colour of the ``cells`` x ``cells`` checkerboard square they fall in."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, cells, (n, 2))
    y = (np.floor(x[:, 0]) + np.floor(x[:, 1])).astype(np.int64) % 2
    return _split(x, y, n // 4, seed)


@functools.lru_cache(maxsize=None)
def _spiral(n: int = 3000, arms: int = 3, turns: float = 1.25, seed: int = 0):
    """Points on ``arms`` interleaved spiral arms with a little noise, labelled by arm."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, arms, n)
    t = rng.uniform(0.1, 1.0, n)
    angle = 2 * math.pi * (turns * t + y / arms) + rng.normal(0.0, 0.15, n)
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], 1)
    return _split(x, y.astype(np.int64), n // 4, seed)


def _rotated(data, degrees: float):
    """The same task, but the (2-d) validation inputs rotated by ``degrees`` about the origin."""
    (xt, yt), (xv, yv) = data
    a = math.radians(degrees)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], dtype=np.float32)
    return (xv @ rotation.T).astype(np.float32), yv


def _translated_digits_val(seed: int, pixels: int):
    """The validation digits of ``_digits(seed)`` moved ``pixels`` to the right inside their 8x8 frame (the
    columns entering on the left are blank), standardized with the training statistics as ``_split`` does."""
    from sklearn.datasets import load_digits

    d = load_digits()
    perm = np.random.default_rng(seed).permutation(len(d.data))
    val, train = perm[:360], perm[360:]
    x = d.data.astype(np.float64)
    mean, std = x[train].mean(0), x[train].std(0)
    std[std < 1e-8] = 1.0
    images = x[val].reshape(-1, 8, 8)
    moved = np.zeros_like(images)
    moved[:, :, pixels:] = images[:, :, :-pixels]
    return ((moved.reshape(-1, 64) - mean) / std).astype(np.float32), d.target[val].astype(np.int64)


@functools.lru_cache(maxsize=None)
def _friedman_split_by_target(n: int = 3000, seed: int = 0):
    """Friedman #1 with the validation set taken as the quarter of samples with the largest targets (the data
    sorted by target and cut, instead of a random split)."""
    from sklearn.datasets import make_friedman1

    x, y = make_friedman1(n, n_features=10, noise=0.5, random_state=seed)
    order = np.argsort(y)
    train, val = order[: n - n // 4], order[n - n // 4:]
    mean, std = x[train].mean(0), x[train].std(0)
    x = ((x - mean) / std).astype(np.float32)
    return _standardized_target(((x[train], y[train]), (x[val], y[val])))


@functools.lru_cache(maxsize=None)
def _friedman_raw_target(n: int = 3000, scale: float = 100.0, seed: int = 0):
    """Friedman #1 with standardized inputs but the target left in raw units and multiplied by ``scale`` (a
    target in the thousands)."""
    from sklearn.datasets import make_friedman1

    x, y = make_friedman1(n, n_features=10, noise=0.5, random_state=seed)
    (xt, yt), (xv, yv) = _split(x, y * scale, n // 4, seed)
    return (xt, yt.astype(np.float32)), (xv, yv.astype(np.float32))


@functools.lru_cache(maxsize=None)
def _window_sum(n: int = 2000, length: int = 40, start: int = 0, stop: int = 5, seed: int = 0):
    """Regression on sequences of ``length`` noise values: the target is the scaled sum of the values at positions
    ``start`` to ``stop`` (negative positions count from the end; ``stop=0`` is the end)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, length, 1)).astype(np.float32)
    window = x[:, start:stop if stop != 0 else None, 0]
    y = (window.sum(1) / math.sqrt(window.shape[1])).astype(np.float32)
    n_val = n // 4
    return (x[n_val:], y[n_val:]), (x[:n_val], y[:n_val])


# ---------------------------------------------------------------------------------------------- models
class _ResMLP(nn.Module):
    """An input layer, ``blocks`` residual blocks ``h + W2 relu(W1 h)`` and a linear head."""

    def __init__(self, d_in: int, width: int, blocks: int, d_out: int, seed: int = 0, squeeze: bool = False) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.inp = nn.Linear(d_in, width)
        self.act = nn.ReLU()
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width)) for _ in range(blocks)
        )
        self.head = nn.Linear(width, d_out)
        self.squeeze = squeeze

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.inp(x))
        for block in self.blocks:
            h = h + block(h)
        out = self.head(h)
        return out.squeeze(-1) if self.squeeze else out


def _kill_conv_relus(model: nn.Module, bias: float) -> nn.Module:
    """Set the bias of every convolution, 1-d or 2-d (each feeds a ReLU), to ``bias``."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv1d, nn.Conv2d)):
                m.bias.fill_(bias)
    return model


# ------------------------------------------------------------------------------------------------ cases
_HIGH = ("dead_relu", "exploding_gradients", "plateau", "batch_too_small")  # adaptive optimizers at 100x
_LOW = ("underfitting",)
_VAL = ("overfitting",)
_SIGMOID = ("underfitting", "lr_too_low", "plateau")
_DEAD = ("bad_initialization", "underfitting", "vanishing_gradients")

_CASES: list[Case] = [
    # -- learning rate ------------------------------------------------------------------------------------
    Case("lr_x100_adam_spiral_s111", "Adam at 0.5 (100x 5e-3) on the three-arm spiral, two layers of 64", "lr_too_high",
         lambda: _train(_mlp([2, 64, 64, 3], seed=111), _spiral(seed=111), epochs=8, lr=0.5, classes=3),
         acceptable=_HIGH),
    Case("lr_x100_nesterov_friedman_s112", "Nesterov at 5.0 (100x 0.05) on Friedman #1", "lr_too_high",
         lambda: _train(_mlp([10, 64, 64, 1], squeeze=True, seed=112), _friedman(seed=112), epochs=8, lr=5.0,
                        optimizer="nesterov"),
         acceptable=("exploding_gradients", "dead_relu")),
    Case("lr_x100_rmsprop_resmlp_s113", "RMSprop at 0.1 (100x 1e-3) on a residual MLP, 3-class classification",
         "lr_too_high",
         lambda: _train(_ResMLP(20, 64, 2, 3, seed=113), _classification(seed=113), epochs=8, lr=0.1,
                        optimizer="rmsprop", classes=3),
         acceptable=_HIGH),
    Case("lr_x100_adamw_wide_cnn_s114", "a wider digits CNN (32/64 channels) with AdamW at 0.2 (100x 2e-3)",
         "lr_too_high",
         lambda: _train(_cnn(seed=114, channels=(32, 64)), _digits(seed=114), epochs=5, lr=0.2, optimizer="adamw",
                        classes=10),
         acceptable=_HIGH),
    Case("lr_div1000_adam_circles_s115", "Adam at 5e-6 (1/1000 of 5e-3) on the circles", "lr_too_low",
         lambda: _train(_mlp([2, 64, 64, 2], seed=115), _circles(seed=115), epochs=8, lr=5e-6, classes=2),
         acceptable=_LOW),
    Case("lr_div1000_momentum_layernorm_s116", "SGD+momentum at 5e-5 (1/1000 of 0.05) on a LayerNorm MLP",
         "lr_too_low",
         lambda: _train(_mlp([20, 64, 64, 3], seed=116, norm="layer"), _classification(seed=116), epochs=8, lr=5e-5,
                        optimizer="momentum", classes=3),
         acceptable=_LOW),
    Case("lr_div1000_adagrad_spiral_s117", "Adagrad at 3e-5 (1/1000 of 3e-2) on the spiral", "lr_too_low",
         lambda: _train(_mlp([2, 64, 64, 3], seed=117), _spiral(seed=117), epochs=8, lr=3e-5, optimizer="adagrad",
                        classes=3),
         acceptable=_LOW),
    # -- batch size ---------------------------------------------------------------------------------------
    Case("batch_1_moons_s118", "batch size 1 instead of 64 on the moons", "batch_too_small",
         lambda: _train(_mlp([2, 64, 64, 2], seed=118), _moons(n=600, seed=118), epochs=2, lr=1e-3, batch_size=1,
                        classes=2),
         acceptable=("lr_too_high",)),
    Case("batch_1_layernorm_s119", "batch size 1 on a LayerNorm MLP, 20-d 3-class classification",
         "batch_too_small",
         lambda: _train(_mlp([20, 64, 64, 3], seed=119, norm="layer"), _classification(n=800, seed=119), epochs=2,
                        lr=1e-3, batch_size=1, classes=3),
         acceptable=("lr_too_high",)),
    Case("batch_1_momentum_circles_s120", "batch size 1 on the circles with SGD+momentum 0.01", "batch_too_small",
         lambda: _train(_mlp([2, 64, 64, 2], seed=120), _circles(n=800, seed=120), epochs=2, lr=0.01,
                        optimizer="momentum", batch_size=1, classes=2),
         acceptable=("lr_too_high",)),
    # -- generalization -----------------------------------------------------------------------------------
    Case("overfit_tiny_classification_s121", "40 samples of a 20-d 3-class task, two layers of 512, no regularization",
         "overfitting",
         lambda: _train(_mlp([20, 512, 512, 3], seed=121), _tiny(_classification(seed=121), 40), epochs=60, lr=1e-3,
                        batch_size=8, classes=3)),
    Case("overfit_tiny_friedman_s122", "30 samples of Friedman #1, two layers of 256, no regularization", "overfitting",
         lambda: _train(_mlp([10, 256, 256, 1], squeeze=True, seed=122), _tiny(_friedman(seed=122), 30), epochs=80,
                        lr=3e-3, batch_size=6)),
    Case("overfit_tiny_digits_resmlp_s123", "50 training digits, a residual MLP of width 256, no regularization",
         "overfitting",
         lambda: _train(_ResMLP(64, 256, 2, 10, seed=123), _tiny(_digits(seed=123), 50), epochs=50, lr=1e-3,
                        batch_size=10, classes=10)),
    Case("too_small_circles_s124", "a linear model for two concentric circles", "underfitting",
         lambda: _train(_mlp([2, 2], seed=124), _circles(seed=124), epochs=10, lr=1e-2, schedule="cosine", classes=2)),
    Case("too_small_checkerboard_s125", "two hidden units for a 4x4 checkerboard", "underfitting",
         lambda: _train(_mlp([2, 2, 2], seed=125), _checkerboard(seed=125), epochs=10, lr=1e-2, schedule="cosine",
                        classes=2)),
    Case("too_small_spiral_s126", "a 1-unit bottleneck for the three-arm spiral", "underfitting",
         lambda: _train(_mlp([2, 1, 3], seed=126), _spiral(seed=126), epochs=10, lr=1e-2, schedule="cosine",
                        classes=3)),
    Case("val_rotated_moons_s127", "validation moons rotated by 90 degrees", "unrepresentative_validation",
         lambda: _train(_mlp([2, 64, 64, 2], seed=127), _moons(seed=127), epochs=8, lr=3e-3, schedule="cosine",
                        classes=2, val=_rotated(_moons(seed=127), 90.0)),
         acceptable=_VAL),
    Case("val_translated_digits_s128", "validation digits moved one pixel to the right in their frame",
         "unrepresentative_validation",
         lambda: _train(_mlp([64, 128, 64, 10], seed=128), _digits(seed=128), epochs=8, lr=3e-3, schedule="onecycle",
                        classes=10, val=_translated_digits_val(seed=128, pixels=1)),
         acceptable=_VAL),
    Case("val_split_by_target_friedman_s129", "Friedman #1 split by sorted target: validation is the top quarter",
         "unrepresentative_validation",
         lambda: _train(_mlp([10, 64, 64, 1], squeeze=True, seed=129), _friedman_split_by_target(seed=129), epochs=10,
                        lr=3e-3, schedule="cosine"),
         acceptable=_VAL),
    # -- activations, gradients and initialization --------------------------------------------------------
    Case("deep_sigmoid_moons_s130", "a 10-layer sigmoid MLP on the moons, SGD with momentum", "vanishing_gradients",
         lambda: _train(_mlp([2] + [32] * 9 + [2], act=nn.Sigmoid, seed=130), _moons(seed=130), epochs=6, lr=0.1,
                        optimizer="momentum", classes=2),
         acceptable=_SIGMOID),
    Case("deep_sigmoid_friedman_s131", "a 12-layer sigmoid regression MLP, Nesterov", "vanishing_gradients",
         lambda: _train(_mlp([10] + [32] * 11 + [1], act=nn.Sigmoid, squeeze=True, seed=131), _friedman(seed=131),
                        epochs=6, lr=0.05, optimizer="nesterov"),
         acceptable=_SIGMOID),
    Case("deep_sigmoid_sgd_digits_s132", "a 9-layer sigmoid MLP of width 64 on digits, plain SGD",
         "vanishing_gradients",
         lambda: _train(_mlp([64] + [64] * 8 + [10], act=nn.Sigmoid, seed=132), _digits(seed=132), epochs=6, lr=0.5,
                        optimizer="sgd", classes=10),
         acceptable=_SIGMOID),
    # the recurrent weights scaled at the start are an initialization defect too: bad_initialization is acceptable
    Case("exploding_gru_s133", "a GRU with recurrent weights scaled 4x, SGD at 0.1", "exploding_gradients",
         lambda: _train(_RecurrentRegressor("gru", recurrent_scale=4.0, seed=133), _sequences(seed=133), epochs=4,
                        lr=0.1, optimizer="sgd"),
         acceptable=("lr_too_high", "bad_initialization")),
    Case("exploding_tanh_rnn_long_s134",
         "a tanh RNN with recurrent weights scaled 3x on 40-step sequences, Nesterov 0.03", "exploding_gradients",
         lambda: _train(_RecurrentRegressor("tanh", recurrent_scale=3.0, seed=134), _window_sum(seed=134), epochs=4,
                        lr=0.03, optimizer="nesterov"),
         acceptable=("lr_too_high", "bad_initialization")),
    Case("exploding_raw_target_friedman_s135", "Friedman #1 with the target left in raw units x100, SGD at 0.01",
         "exploding_gradients",
         lambda: _train(_mlp([10, 64, 64, 1], squeeze=True, seed=135), _friedman_raw_target(seed=135), epochs=6,
                        lr=0.01, optimizer="sgd"),
         acceptable=("lr_too_high",)),
    Case("init_large_resmlp_s136", "a residual MLP with weights of std 1 on the checkerboard", "bad_initialization",
         lambda: _train(_init_weights(_ResMLP(2, 64, 3, 2, seed=136), 1.0, seed=136), _checkerboard(seed=136),
                        epochs=6, lr=1e-3, classes=2),
         acceptable=("exploding_gradients", "lr_too_high", "overfitting")),
    Case("init_large_tanh_moons_s137", "a tanh MLP on the moons with weights of std 3", "bad_initialization",
         lambda: _train(_init_weights(_mlp([2, 64, 64, 2], act=nn.Tanh, seed=137), 3.0, seed=137), _moons(seed=137),
                        epochs=6, lr=1e-3, classes=2),
         acceptable=("saturated_activations", "vanishing_gradients", "overfitting")),
    Case("init_small_relu_friedman_s138", "a 6-layer ReLU regression MLP with weights of std 1e-3",
         "bad_initialization",
         lambda: _train(_init_weights(_mlp([10] + [64] * 5 + [1], squeeze=True, seed=138), 1e-3, seed=138),
                        _friedman(seed=138), epochs=6, lr=0.01, optimizer="momentum"),
         acceptable=("vanishing_gradients", "dead_relu", "lr_too_low", "underfitting", "plateau")),
    Case("init_small_cnn_s139", "the digits CNN with convolution and linear weights of std 1e-3",
         "bad_initialization",
         lambda: _train(_init_weights(_cnn(seed=139), 1e-3, seed=139), _digits(seed=139), epochs=5, lr=0.03,
                        optimizer="momentum", classes=10),
         acceptable=("vanishing_gradients", "dead_relu", "lr_too_low", "underfitting", "plateau")),
    Case("dead_relu_moons_s140", "hidden biases of the moons MLP set to -4", "dead_relu",
         lambda: _train(_kill_relus(_mlp([2, 64, 64, 2], seed=140), -4.0), _moons(seed=140), epochs=6, lr=1e-3,
                        classes=2),
         acceptable=_DEAD),
    Case("dead_relu_narrow_cnn_s141", "a narrower digits CNN (8/16 channels) with convolution biases set to -3",
         "dead_relu",
         lambda: _train(_kill_conv_relus(_cnn(seed=141, channels=(8, 16)), -3.0), _digits(seed=141), epochs=5, lr=1e-3,
                        classes=10),
         acceptable=_DEAD),
    Case("dead_relu_nesterov_classification_s142", "hidden biases set to -6 on a 20-d task, Nesterov 0.01",
         "dead_relu",
         lambda: _train(_kill_relus(_mlp([20, 96, 96, 3], seed=142), -6.0), _classification(seed=142), epochs=6,
                        lr=0.01, optimizer="nesterov", classes=3),
         acceptable=_DEAD),
    # unscaled inputs act on the first layer exactly like first-layer weights that many times too large
    Case("saturated_tanh_raw_breast_cancer_s143", "a tanh MLP fed breast cancer's raw features (areas in the 1000s)",
         "saturated_activations",
         lambda: _train(_mlp([30, 64, 2], act=nn.Tanh, seed=143),
                        _breast_cancer(seed=143, standardize=False), epochs=15, lr=1e-3,
                        batch_size=16, classes=2),
         acceptable=("vanishing_gradients", "underfitting", "bad_initialization")),
    Case("saturated_sigmoid_raw_wine_s144", "a sigmoid MLP fed wine's raw features (proline in the 100s-1000s)",
         "saturated_activations",
         lambda: _train(_mlp([13, 32, 3], act=nn.Sigmoid, seed=144),
                        _wine(seed=144, standardize=False), epochs=30, lr=1e-3,
                        batch_size=16, classes=3),
         acceptable=("vanishing_gradients", "underfitting", "bad_initialization")),
    Case("plateau_noisy_labels_s145", "20% of labels flipped, 8000 samples, width 16, Adam at a constant 1e-2",
         "plateau",
         lambda: _train(_mlp([20, 16, 3], seed=145), _classification(n=8000, flip_y=0.2, seed=145), epochs=10,
                        lr=1e-2, classes=3),
         acceptable=("lr_too_high", "overfitting")),
    Case("plateau_momentum_friedman_s146", "Friedman #1 with heavy noise, width 16, SGD+momentum at a constant 0.05",
         "plateau",
         lambda: _train(_mlp([10, 16, 1], squeeze=True, seed=146), _friedman(n=6000, noise=3.0, seed=146),
                        epochs=10, lr=0.05, optimizer="momentum"),
         acceptable=("lr_too_high", "overfitting")),
    Case("plateau_rmsprop_moons_s147", "noisy moons (noise 0.3), RMSprop at a constant 3e-3", "plateau",
         lambda: _train(_mlp([2, 32, 32, 2], seed=147), _moons(n=6000, noise=0.3, seed=147), epochs=10, lr=3e-3,
                        optimizer="rmsprop", classes=2),
         acceptable=("lr_too_high", "overfitting")),
    # -- healthy ------------------------------------------------------------------------------------------
    Case("healthy_moons_s148", "the moons, width 64, Adam 3e-3, cosine", None,
         lambda: _train(_mlp([2, 64, 64, 2], seed=148), _moons(seed=148), epochs=8, lr=3e-3, schedule="cosine",
                        classes=2)),
    Case("healthy_resmlp_checkerboard_s149", "a residual MLP on the checkerboard, AdamW 3e-3, one-cycle", None,
         lambda: _train(_ResMLP(2, 64, 2, 2, seed=149), _checkerboard(seed=149), epochs=12, lr=3e-3,
                        optimizer="adamw", schedule="onecycle", classes=2)),
    Case("healthy_layernorm_spiral_s150", "a LayerNorm MLP on the spiral, Adam 5e-3, cosine", None,
         lambda: _train(_mlp([2, 64, 64, 3], seed=150, norm="layer"), _spiral(seed=150), epochs=10, lr=5e-3,
                        schedule="cosine", classes=3)),
    Case("healthy_batchnorm_nesterov_s151", "a BatchNorm1d MLP on a 20-d task, Nesterov 0.05, warmup-cosine", None,
         lambda: _train(_mlp([20, 64, 64, 3], seed=151, norm="batch"), _classification(seed=151), epochs=10, lr=0.05,
                        optimizer="nesterov", schedule="warmup_cosine", classes=3)),
    Case("healthy_gru_s152", "a GRU regressor on the sum of the last 5 of 30 values, Adam 3e-3, cosine", None,
         lambda: _train(_RecurrentRegressor("gru", seed=152), _window_sum(length=30, start=-5, stop=0, seed=152),
                        epochs=6, lr=3e-3, schedule="cosine")),
    Case("healthy_friedman_rmsprop_s153", "Friedman #1, RMSprop 1e-3, step decay", None,
         lambda: _train(_mlp([10, 64, 64, 1], squeeze=True, seed=153), _friedman(seed=153), epochs=10, lr=1e-3,
                        optimizer="rmsprop", schedule="step")),
    Case("healthy_wide_cnn_adagrad_s154", "a wider digits CNN (32/64 channels), Adagrad 1e-2", None,
         lambda: _train(_cnn(seed=154, channels=(32, 64)), _digits(seed=154), epochs=5, lr=1e-2, optimizer="adagrad",
                        classes=10)),
    Case("healthy_wine_tanh_sgdr_s155", "wine, a tanh MLP, Adam 3e-3, warm restarts (sgdr), batch 16", None,
         lambda: _train(_mlp([13, 32, 3], act=nn.Tanh, seed=155), _wine(seed=155), epochs=30, lr=3e-3, batch_size=16,
                        schedule="sgdr", classes=3)),
    Case("healthy_lstm_s156", "an LSTM regressor on the sum of the last 5 of 30 values, Adam 1e-2, cosine", None,
         lambda: _train(_RecurrentRegressor("lstm", seed=156), _window_sum(length=30, start=-5, stop=0, seed=156),
                        epochs=6, lr=1e-2, schedule="cosine")),
]
HELD_OUT_6: list[Case] = [Case(c.name, c.description, c.expected, c.train, c.acceptable, held_out=6) for c in _CASES]
CASES += HELD_OUT_6


# --------------------------------------------------------------------------------------------------------------
# Round 7: written blind like round 6 (a separate session that never read the doctor's code nor ran the doctor;
# every defect checked on raw measurements, 36 of 37 against a control run with the defect removed), after the
# changes that round 6's misses made; run once, as is.
#
# Round 7 of the zoo: written blind by a session that never read the doctor's code nor ran the doctor on them; each
# defect was checked on the raw measurements only (losses, the monitor's gradient norms, per-layer gradient norms, dead and
# saturated fractions, update ratios), most against a control run with the defect removed (see verification.md).
#
# New here: Gaussian blobs (``make_blobs``) in 5 and 7 classes, a 3-d "bumps" regression (and an extrapolation split of
# it), a sequence "range" task (max - min), Friedman #1 with noisy targets (plateaus) and with its inputs in percent,
# validation sequences longer than the training ones, anisotropically stretched validation blobs, a training set with
# 1% corrupt rows, Hardtanh and sigmoid nets fed raw features, batch size 1 with Adam, momentum and RMSprop, AdamW,
# Adagrad and RMSprop at extreme LRs, weight decay and several schedules on the healthy runs.
#
# First run: recall 29/37 = 0.78, precision 36/43 = 0.84, no healthy run flagged. Four labels were changed after
# it, each to what the issue itself defines or to the rule earlier rounds followed: lr_too_high is acceptable on the
# two runs that diverge to NaN (s175, s177; the issue lists divergence under lr_too_high, and every diverging
# exploding-gradient case of rounds 1-6 accepts it), bad_initialization on the two runs fed raw breast-cancer
# features (s176 starts at 37x ln 2, the issue's own symptom; s184's first layer saturates at once: unscaled
# inputs act like a first layer initialized that many times too large, as round 6's s143/s144 accept). What the
# misses changed in the doctor: lr_too_low also when updates under 1e-3 leave a still-falling loss above the best
# constant prediction's (which takes only the output bias: s163); overfitting reads the level of the epochs after
# the best, not the last alone (one noisy epoch: s191); exploding_gradients also when the gradients are 10x the
# weights before the first update (s175, s176, whose gradients then die with its ReLUs); bad_initialization for
# regressions, a first loss 10x the constant prediction's (s183); "validation worse than learning nothing" only when
# training beat that reference itself (s183); batch_too_small when steps of fewer than 8 samples jitter as much as
# the loss (s164-s166, and rounds 5-6's s94, s120).

# ------------------------------------------------------------------------------------------------ data
@functools.lru_cache(maxsize=None)
def _blobs(n: int = 2400, centers: int = 5, dim: int = 6, spread: float = 2.5, seed: int = 0, standardize: bool = True,
           box: float = 6.0):
    """Isotropic Gaussian blobs (``sklearn.datasets.make_blobs``), ``centers`` classes in ``dim`` dimensions,
    centers drawn in ``[-box, box]``; with ``standardize=False`` the raw coordinates."""
    from sklearn.datasets import make_blobs

    x, y = make_blobs(n, n_features=dim, centers=centers, cluster_std=spread, center_box=(-box, box), random_state=seed)
    return _split(x.astype(np.float64), y.astype(np.int64), n // 4, seed, standardize)


def _in_percent(data):
    """The same task with every input (training and validation alike) multiplied by 100: fractions given in percent."""
    return _scaled_inputs(data, 100.0)


def _stretched(data, axis: int, factor: float):
    """The same task, but validation inputs stretched ``factor`` times along one feature and squeezed
    ``1/factor`` along the next (an anisotropic change of the input distribution)."""
    (xt, yt), (xv, yv) = data
    xv = xv.copy()
    xv[:, axis] *= np.float32(factor)
    xv[:, (axis + 1) % xv.shape[1]] /= np.float32(factor)
    return xv, yv


def _bumps_xy(n: int, rng: np.random.Generator, low: float = -2.0, high: float = 2.0, first=None, noise: float = 0.05):
    x = rng.uniform(low, high, (n, 3))
    if first is not None:
        x[:, 0] = rng.uniform(first[0], first[1], n)
    y = np.sin(1.5 * x[:, 0]) * np.cos(x[:, 1]) + 0.5 * np.tanh(2.0 * x[:, 2]) + noise * rng.standard_normal(n)
    return x, y


def _bumps_raw(n: int, seed: int, noise: float = 0.05):
    rng = np.random.default_rng(seed)
    x, y = _bumps_xy(n, rng, noise=noise)
    return _split(x, y, n // 4, seed, standardize=False)


@functools.lru_cache(maxsize=None)
def _bumps(n: int = 2400, seed: int = 0, noise: float = 0.05):
    """Regression: ``sin(1.5 x0) cos(x1) + 0.5 tanh(2 x2)`` plus Gaussian noise of std ``noise`` on uniform inputs
    in [-2, 2]^3, target standardized (inputs left as they are: already of unit scale)."""
    return _standardized_target(_bumps_raw(n, seed, noise))


@functools.lru_cache(maxsize=None)
def _bumps_extrapolated(n: int = 2400, seed: int = 0):
    """``_bumps`` for training, but validation inputs with ``x0`` in [2, 4], outside the training range [-2, 2]
    (an extrapolation split), standardized with the training target's statistics."""
    (xt, yt), _ = _bumps_raw(n, seed)
    xv, yv = _bumps_xy(n // 4, np.random.default_rng(seed + 1000), first=(2.0, 4.0))
    return _standardized_target(((xt, yt), (xv.astype(np.float32), yv)))


@functools.lru_cache(maxsize=None)
def _ranges(n: int = 2000, length: int = 20, seed: int = 0):
    """Regression on sequences of ``length`` noise values: the target is their range (max - min), standardized."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, length, 1)).astype(np.float32)
    y = x[:, :, 0].max(1) - x[:, :, 0].min(1)
    n_val = n // 4
    mean, std = y[n_val:].mean(), y[n_val:].std()
    y = ((y - mean) / std).astype(np.float32)
    return (x[n_val:], y[n_val:]), (x[:n_val], y[:n_val])


def _corrupted_rows(data, fraction: float, factor: float, seed: int):
    """The same task, but ``fraction`` of the training rows (inputs only) multiplied by ``factor``: a few corrupt
    records (a unit mix-up) in the training set; validation stays clean."""
    (xt, yt), val = data
    xt = xt.copy()
    rows = np.random.default_rng(seed).choice(len(xt), int(fraction * len(xt)), replace=False)
    xt[rows] *= np.float32(factor)
    return (xt, yt), val


def _longer_val_sequences(data, length: int, seed: int):
    """Validation sequences ``length`` long instead of the training ones' length, with the target (sum of the
    first 5 values, scaled) defined as in training: the model must carry its memory over many more steps."""
    (xt, yt), (xv, yv) = data
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((len(xv), length, 1)).astype(np.float32)
    y = (x[:, :5, 0].sum(1) / math.sqrt(5)).astype(np.float32)
    return x, y


# ------------------------------------------------------------------------------------------------ cases
def _deep(d_in: int, width: int, depth: int, d_out: int, act=nn.ReLU, seed: int = 0, squeeze: bool = False):
    return _mlp([d_in] + [width] * depth + [d_out], act=act, seed=seed, squeeze=squeeze)


_CASES_7: list[Case] = [
    # -- learning rate too high (x100) ----------------------------------------------------------------------
    Case("lr_x100_adamw_blobs7_s157", "AdamW at 100x its usual LR (0.3) on a 7-class blob MLP", "lr_too_high",
         lambda: _train(_mlp([8, 96, 96, 7], seed=157), _blobs(centers=7, dim=8, spread=3.0, seed=157), epochs=10,
                        lr=0.3, optimizer="adamw", classes=7, seed=157),
         acceptable=("underfitting", "dead_relu", "exploding_gradients")),
    Case("lr_x100_nesterov_bumps_s158", "Nesterov SGD at 100x a good LR (3.0) on the bumps regression: diverges",
         "lr_too_high",
         lambda: _train(_mlp([3, 64, 64, 1], seed=158, squeeze=True), _bumps(seed=158), epochs=10, lr=3.0,
                        optimizer="nesterov", seed=158),
         acceptable=("exploding_gradients",)),
    Case("lr_x100_rmsprop_cnn_s159", "RMSprop at 100x its usual LR (0.1) on the digits CNN", "lr_too_high",
         lambda: _train(_cnn(seed=159, channels=(12, 24)), _digits(seed=159), epochs=6, lr=0.1, optimizer="rmsprop",
                        classes=10, seed=159, batch_size=128),
         acceptable=("underfitting", "dead_relu", "exploding_gradients")),
    Case("lr_x100_sgd_friedman_s160", "Plain SGD at 100x a good LR (10.0) on a Friedman #1 MLP", "lr_too_high",
         lambda: _train(_mlp([10, 128, 1], seed=160, squeeze=True), _friedman(seed=160), epochs=10, lr=10.0,
                        optimizer="sgd", seed=160, batch_size=32),
         acceptable=("exploding_gradients",)),
    # -- learning rate too low (x1/1000) --------------------------------------------------------------------
    Case("lr_div1000_adam_ranges_gru_s161", "Adam at 1/1000 of its usual LR (2e-6) on a GRU learning a sequence's range",
         "lr_too_low",
         lambda: _train(_RecurrentRegressor("gru", hidden=24, seed=161), _ranges(seed=161), epochs=6, lr=2e-6,
                        optimizer="adam", seed=161),
         acceptable=("underfitting",)),
    Case("lr_div1000_momentum_blobs_s162", "SGD+momentum at 1/1000 of a good LR (5e-5) on a 5-class blob MLP",
         "lr_too_low",
         lambda: _train(_mlp([6, 64, 64, 5], seed=162), _blobs(seed=162), epochs=10, lr=5e-5, optimizer="momentum",
                        classes=5, seed=162, batch_size=32),
         acceptable=("underfitting",)),
    Case("lr_div1000_adagrad_digits_s163", "Adagrad at 1/1000 of a good LR (3e-5) on a wide digits MLP", "lr_too_low",
         lambda: _train(_mlp([64, 256, 10], seed=163), _digits(seed=163), epochs=8, lr=3e-5, optimizer="adagrad",
                        classes=10, seed=163),
         acceptable=("underfitting",)),
    # -- batch size 1 -------------------------------------------------------------------------------------
    Case("batch1_adam_friedman_s164", "Batch size 1 with Adam at 1e-3 on a small Friedman #1 (the default is 64)",
         "batch_too_small",
         lambda: _train(_mlp([10, 64, 64, 1], seed=164, squeeze=True), _friedman(n=800, seed=164), epochs=3, lr=1e-3,
                        optimizer="adam", seed=164, batch_size=1),
         acceptable=()),
    Case("batch1_momentum_bumps_s165", "Batch size 1 with SGD+momentum at 0.01 on a small bumps regression",
         "batch_too_small",
         lambda: _train(_mlp([3, 64, 64, 1], seed=165, squeeze=True), _bumps(n=800, seed=165), epochs=3, lr=0.01,
                        optimizer="momentum", seed=165, batch_size=1),
         acceptable=("dead_relu", "underfitting")),
    Case("batch1_rmsprop_bumps_s166", "Batch size 1 with RMSprop at 1e-3 on a small bumps regression", "batch_too_small",
         lambda: _train(_mlp([3, 64, 64, 1], seed=166, squeeze=True), _bumps(n=800, seed=166), epochs=3, lr=1e-3,
                        optimizer="rmsprop", seed=166, batch_size=1),
         acceptable=()),
    # -- overfitting ----------------------------------------------------------------------------------------
    Case("overfit_tiny_blobs7_s167", "A 256-wide MLP on 40 samples of overlapping 7-class blobs, 100 epochs, no regularization",
         "overfitting",
         lambda: _train(_mlp([8, 256, 256, 7], seed=167), _tiny(_blobs(centers=7, dim=8, spread=3.0, seed=167), 40),
                        epochs=100, lr=1e-3, optimizer="adam", classes=7, seed=167),
         acceptable=()),
    Case("overfit_tiny_noisy_classif_s168", "A wide MLP on 60 samples of a 20-feature task with 20% flipped labels, 80 epochs",
         "overfitting",
         lambda: _train(_mlp([20, 256, 256, 3], seed=168), _tiny(_classification(flip_y=0.2, seed=168), 60),
                        epochs=80, lr=1e-3, optimizer="adam", classes=3, seed=168, batch_size=32),
         acceptable=()),
    Case("overfit_tiny_cnn_digits_s169", "The digits CNN on 50 training images, 60 epochs, no regularization",
         "overfitting",
         lambda: _train(_cnn(seed=169, channels=(32, 64)), _tiny(_digits(seed=169), 50), epochs=60, lr=2e-3,
                        optimizer="adam", classes=10, seed=169),
         acceptable=()),
    # -- underfitting (model far too small) ------------------------------------------------------------------
    Case("underfit_width2_digits_s170", "A digits MLP squeezed through 2 hidden units", "underfitting",
         lambda: _train(_mlp([64, 2, 10], seed=170), _digits(seed=170), epochs=15, lr=3e-3, optimizer="adam",
                        classes=10, seed=170),
         acceptable=()),
    Case("underfit_linear_bumps_s171", "A linear model (no hidden layer) on the non-linear bumps regression",
         "underfitting",
         lambda: _train(_mlp([3, 1], seed=171, squeeze=True), _bumps(seed=171), epochs=15, lr=1e-2, optimizer="adam",
                        seed=171),
         acceptable=()),
    Case("underfit_width3_spiral_s172", "An MLP with one hidden layer of 3 ReLUs on the three-arm spiral", "underfitting",
         lambda: _train(_mlp([2, 3, 3], seed=172), _spiral(seed=172), epochs=15, lr=1e-2, optimizer="adam", classes=3,
                        seed=172),
         acceptable=()),
    # -- vanishing gradients ---------------------------------------------------------------------------------
    Case("vanish_sigmoid12_blobs_s173", "A 12-hidden-layer sigmoid MLP (width 32) on blobs, SGD+momentum",
         "vanishing_gradients",
         lambda: _train(_deep(6, 32, 12, 5, act=nn.Sigmoid, seed=173), _blobs(seed=173), epochs=10, lr=0.05,
                        optimizer="momentum", classes=5, seed=173),
         acceptable=("underfitting",)),
    Case("vanish_fsigmoid10_bumps_s174", "A 10-hidden-layer sigmoid MLP, activation called as a function, on bumps",
         "vanishing_gradients",
         lambda: _train(_FunctionalMLP([3] + [48] * 10 + [1], "sigmoid", seed=174, squeeze=True), _bumps(seed=174),
                        epochs=10, lr=0.02, optimizer="sgd", seed=174, batch_size=32),
         acceptable=("underfitting",)),
    Case("vanish_sigmoid9_digits_s201", "A 9-hidden-layer sigmoid MLP (width 64) on the digits, Nesterov SGD", "vanishing_gradients",
         lambda: _train(_deep(64, 64, 9, 10, act=nn.Sigmoid, seed=201), _digits(seed=201), epochs=8, lr=0.05,
                        optimizer="nesterov", classes=10, seed=201),
         acceptable=("underfitting",)),
    # -- exploding gradients -----------------------------------------------------------------------------------
    Case("explode_relu_rnn_s175", "A ReLU RNN with its recurrent weights scaled 2.5x over 40 steps", "exploding_gradients",
         lambda: _train(_RecurrentRegressor("relu", hidden=32, recurrent_scale=2.5, seed=175),
                        _window_sum(length=40, seed=175), epochs=5, lr=0.01, optimizer="momentum", seed=175),
         acceptable=("bad_initialization", "lr_too_high")),
    Case("explode_raw_cancer_s176", "Nesterov SGD on breast cancer with its raw features (areas in the thousands)",
         "exploding_gradients",
         lambda: _train(_mlp([30, 64, 2], seed=176), _breast_cancer(seed=176, standardize=False), epochs=10, lr=0.01,
                        optimizer="nesterov", classes=2, seed=176, batch_size=32),
         acceptable=("dead_relu", "underfitting", "vanishing_gradients", "bad_initialization")),
    Case("explode_outlier_rows_bumps_s177", "SGD+momentum on bumps where 1% of the training rows are corrupted to 100x scale",
         "exploding_gradients",
         lambda: _train(_mlp([3, 64, 64, 1], seed=177, squeeze=True), _corrupted_rows(_bumps(seed=177), 0.01, 100.0, 177),
                        epochs=8, lr=0.02, optimizer="momentum", seed=177),
         acceptable=("lr_too_high",)),
    # -- dead ReLUs ---------------------------------------------------------------------------------------
    Case("dead_relu_bias_blobs_s178", "Hidden ReLU biases set to -10 on a blob MLP", "dead_relu",
         lambda: _train(_kill_relus(_mlp([6, 128, 128, 5], seed=178), -10.0), _blobs(seed=178), epochs=8, lr=1e-3,
                        optimizer="adam", classes=5, seed=178),
         acceptable=("bad_initialization", "underfitting", "vanishing_gradients")),
    Case("dead_relu_conv_bias_s179", "Convolution biases set to -6 in a digits CNN", "dead_relu",
         lambda: _train(_kill_conv_relus(_cnn(seed=179, channels=(8, 16)), -6.0), _digits(seed=179), epochs=6,
                        lr=1e-3, optimizer="adamw", classes=10, seed=179),
         acceptable=("bad_initialization", "underfitting", "vanishing_gradients")),
    Case("dead_frelu_bias_friedman_s180", "F.relu MLP (activation called in forward) with hidden biases set to -8",
         "dead_relu",
         lambda: _train(_kill_relus(_FunctionalMLP([10, 96, 96, 1], "relu", seed=180, squeeze=True), -8.0),
                        _friedman(seed=180), epochs=8, lr=1e-3, optimizer="adam", seed=180),
         acceptable=("bad_initialization", "underfitting", "vanishing_gradients")),
    # -- bad initialization -------------------------------------------------------------------------------
    Case("init_large_relu_digits_s181", "Every weight drawn with std 1.0 (15-30x the default) in a 3-layer digits MLP",
         "bad_initialization",
         lambda: _train(_init_weights(_mlp([64, 256, 256, 10], seed=181), 1.0, seed=181), _digits(seed=181),
                        epochs=8, lr=1e-3, optimizer="adam", classes=10, seed=181),
         acceptable=("exploding_gradients", "underfitting")),
    Case("init_tiny_tanh_deep_s182", "Weights drawn with std 1e-3 in a 6-hidden-layer tanh MLP on blobs",
         "bad_initialization",
         lambda: _train(_init_weights(_deep(6, 64, 6, 5, act=nn.Tanh, seed=182), 1e-3, seed=182), _blobs(seed=182),
                        epochs=8, lr=0.02, optimizer="momentum", classes=5, seed=182),
         acceptable=("vanishing_gradients", "underfitting")),
    Case("init_large_tanh_bumps_s183", "Weights drawn with std 2.0 in a tanh MLP on bumps", "bad_initialization",
         lambda: _train(_init_weights(_mlp([3, 128, 128, 1], act=nn.Tanh, seed=183, squeeze=True), 2.0, seed=183),
                        _bumps(seed=183), epochs=10, lr=1e-3, optimizer="adam", seed=183),
         acceptable=("saturated_activations", "exploding_gradients", "underfitting")),
    # -- saturated activations -------------------------------------------------------------------------------
    Case("saturated_sigmoid_raw_cancer_s184", "A sigmoid MLP fed breast cancer's raw features (areas in the thousands)",
         "saturated_activations",
         lambda: _train(_mlp([30, 64, 64, 2], act=nn.Sigmoid, seed=184), _breast_cancer(seed=184, standardize=False),
                        epochs=10, lr=1e-3, optimizer="adam", classes=2, seed=184, batch_size=32),
         acceptable=("underfitting", "bad_initialization")),
    Case("saturated_hardtanh_raw_wine_s185", "A Hardtanh MLP fed wine's raw features (proline near 1000)",
         "saturated_activations",
         lambda: _train(_mlp([13, 64, 3], act=nn.Hardtanh, seed=185), _wine(seed=185, standardize=False), epochs=30,
                        lr=1e-3, optimizer="adam", classes=3, seed=185, batch_size=16),
         # unscaled inputs are a bad initialization by the issue's definition (as for round 7's other raw inputs)
         acceptable=("underfitting", "bad_initialization")),
    Case("saturated_tanh_percent_friedman_s186", "A tanh MLP on Friedman #1 with its [0, 1] inputs given in percent (x100)",
         "saturated_activations",
         lambda: _train(_mlp([10, 64, 64, 1], act=nn.Tanh, seed=186, squeeze=True), _in_percent(_friedman(seed=186, standardize=False)),
                        epochs=10, lr=1e-3, optimizer="adam", seed=186),
         acceptable=("bad_initialization",)),  # inputs 100x their scale: the issue's bad initialization too
    # -- unrepresentative validation -----------------------------------------------------------------------
    Case("val_extrapolation_bumps_s187", "Bumps regression validated on x0 in [2, 4], outside training's [-2, 2]",
         "unrepresentative_validation",
         lambda: _train(_mlp([3, 64, 64, 1], seed=187, squeeze=True), _bumps_extrapolated(seed=187), epochs=15,
                        lr=3e-3, optimizer="adam", seed=187),
         acceptable=()),
    Case("val_stretched_blobs_s188", "Blob MLP validated on inputs stretched 4x on one axis and squeezed on the next",
         "unrepresentative_validation",
         lambda: _train(_mlp([6, 64, 64, 5], seed=188), _blobs(seed=188), epochs=10, lr=3e-3, optimizer="adam",
                        classes=5, seed=188, val=_stretched(_blobs(seed=188), 0, 4.0)),
         acceptable=()),
    Case("val_longer_sequences_gru_s189", "GRU trained on 15-step sequences, validated on 60-step ones",
         "unrepresentative_validation",
         lambda: _train(_RecurrentRegressor("gru", hidden=32, seed=189), _window_sum(length=15, seed=189), epochs=8,
                        lr=3e-3, optimizer="adam", seed=189,
                        val=_longer_val_sequences(_window_sum(length=15, seed=189), 60, 189)),
         acceptable=()),
    # -- plateau (constant LR, should be decayed) ------------------------------------------------------------
    Case("plateau_const_adam_friedman_s190", "Adam at a constant 1e-2 for 20 epochs on a noisy Friedman #1: stalls at a level a decay beats",
         "plateau",
         lambda: _train(_mlp([10, 64, 64, 1], seed=190, squeeze=True), _friedman(seed=190, noise=1.5), epochs=20, lr=1e-2,
                        optimizer="adam", seed=190, batch_size=32),
         acceptable=()),
    Case("plateau_const_sgd_friedman_s191", "Plain SGD at a constant 0.3 for 20 epochs on a noisy Friedman #1", "plateau",
         lambda: _train(_mlp([10, 64, 1], seed=191, squeeze=True), _friedman(seed=191, noise=1.5), epochs=20, lr=0.3,
                        optimizer="sgd", seed=191, batch_size=32),
         acceptable=()),
    Case("plateau_const_nesterov_friedman_s192", "Nesterov SGD at a constant 0.05 for 20 epochs on a noisy Friedman #1",
         "plateau",
         lambda: _train(_mlp([10, 96, 1], seed=192, squeeze=True), _friedman(seed=192, noise=1.5), epochs=20, lr=0.05,
                        optimizer="nesterov", seed=192, batch_size=32),
         acceptable=()),
    # -- healthy ----------------------------------------------------------------------------------------------
    Case("healthy_adamw_cosine_blobs7_s193", "AdamW 3e-3 with cosine decay and weight decay 1e-4 on 7-class blobs",
         None,
         lambda: _train(_mlp([8, 96, 96, 7], seed=193), _blobs(centers=7, dim=8, spread=3.0, seed=193), epochs=15,
                        lr=3e-3, optimizer="adamw", schedule="cosine", classes=7, seed=193, weight_decay=1e-4)),
    Case("healthy_gru_onecycle_window_s194", "A GRU with one-cycle Adam summing the last 6 of 25 values", None,
         lambda: _train(_RecurrentRegressor("gru", hidden=32, seed=194), _window_sum(length=25, start=-6, stop=0, seed=194), epochs=8,
                        lr=5e-3, optimizer="adam", schedule="onecycle", seed=194)),
    Case("healthy_lstm_cosine_window_s195", "An LSTM with cosine Adam summing values 12 to 17 of 20", None,
         lambda: _train(_RecurrentRegressor("lstm", hidden=32, seed=195), _window_sum(length=20, start=-8, stop=-3, seed=195),
                        epochs=8, lr=5e-3, optimizer="adam", schedule="cosine", seed=195)),
    Case("healthy_cnn_nesterov_warmup_s196", "The digits CNN with Nesterov, warmup-cosine and weight decay 5e-3, batch 128", None,
         lambda: _train(_cnn(seed=196, channels=(16, 32)), _digits(seed=196), epochs=10, lr=0.05, optimizer="nesterov",
                        schedule="warmup_cosine", classes=10, seed=196, batch_size=128, weight_decay=5e-3)),
    Case("healthy_resmlp_step_friedman_s197", "A 3-block residual MLP with AdamW, step decay and weight decay", None,
         lambda: _train(_ResMLP(10, 64, 3, 1, seed=197, squeeze=True), _friedman(seed=197), epochs=15, lr=2e-3,
                        optimizer="adamw", schedule="step", seed=197, weight_decay=1e-3)),
    Case("healthy_tanh_sgdr_bumps_s198", "A tanh MLP with Adam and SGDR restarts on bumps, batch 32", None,
         lambda: _train(_mlp([3, 64, 64, 1], act=nn.Tanh, seed=198, squeeze=True), _bumps(seed=198), epochs=15,
                        lr=3e-3, optimizer="adam", schedule="sgdr", seed=198, batch_size=32)),
    Case("healthy_rmsprop_cosine_wine_s199", "RMSprop with cosine decay on wine, batch 16", None,
         lambda: _train(_mlp([13, 32, 3], seed=199), _wine(seed=199), epochs=25, lr=1e-3, optimizer="rmsprop",
                        schedule="cosine", classes=3, seed=199, batch_size=16)),
    Case("healthy_momentum_onecycle_classif_s200", "SGD+momentum with one-cycle and weight decay 5e-4 on make_classification, batch 256",
         None,
         lambda: _train(_mlp([20, 128, 128, 3], seed=200), _classification(seed=200), epochs=15, lr=0.1,
                        optimizer="momentum", schedule="onecycle", classes=3, seed=200, batch_size=256,
                        weight_decay=5e-4)),
]

HELD_OUT_7: list[Case] = [Case(c.name, c.description, c.expected, c.train, c.acceptable, held_out=7) for c in _CASES_7]
CASES += HELD_OUT_7


# --------------------------------------------------------------------------------------------------------------
# Round 8: written blind like rounds 6 and 7, after round 7's misses changed the doctor (see above); this time the
# writer was given the issue's definitions of the findings (including that a divergence is lr_too_high and unscaled
# inputs a bad initialization) so that "acceptable" follows them. Run once, as is.
#
# New here: a sector classification, a "ripple" regression, a counting and a lagged-sum sequence task; an LSTM
# regressor; a residual MLP with amplified branches; batch size 2; GELU, SiLU, LeakyReLU and ELU networks; training
# labels partly flipped (validation clean) and a validation target offset.
#
# First run: recall 26/32 = 0.81, precision 37/37 = 1.00, no healthy run flagged. What its misses changed: lr_too_high
# also when the weights grow tenfold under steps over 1e-2 of their norm (s204, whose loss neither exploded nor
# climbed back); batch_too_small for steps of one or two samples whose loss jitters as much as three samples' would
# (s210, batch 2). Left as misses, each just on the wrong side of a bound: s215, s216, s220, s229 (tests/test_zoo.py).

@functools.lru_cache(maxsize=None)
def _sectors(n: int = 3000, classes: int = 6, seed: int = 0):
    """Points in the unit square labelled by the angular sector they fall in; inside the disc of radius 0.45 the
    label is the opposite sector's (``classes`` classes, none separable by a line)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, 2))
    angle = np.arctan2(x[:, 1], x[:, 0]) + math.pi
    y = (angle / (2 * math.pi) * classes).astype(np.int64) % classes
    inner = np.hypot(x[:, 0], x[:, 1]) < 0.45
    y[inner] = (y[inner] + classes // 2) % classes
    return _split(x, y.astype(np.int64), n // 4, seed)


def _ripple_xy(n: int, rng: np.random.Generator, dim: int, noise: float):
    x = rng.standard_normal((n, dim))
    r = np.sqrt((x[:, :3] ** 2).sum(1))
    y = np.cos(2.0 * r) * np.exp(-r * r / 8.0) + 0.5 * x[:, 0] * x[:, 1] + 0.3 * x[:, 3] + noise * rng.standard_normal(n)
    return x, y


@functools.lru_cache(maxsize=None)
def _ripple(n: int = 3000, dim: int = 6, noise: float = 0.1, seed: int = 0):
    """Regression: a radial ripple ``cos(2r) exp(-r^2/8)`` of the first three of ``dim`` Gaussian inputs, plus
    ``x0 x1 / 2 + 0.3 x3`` and Gaussian noise of std ``noise``; target standardized."""
    x, y = _ripple_xy(n, np.random.default_rng(seed), dim, noise)
    return _standardized_target(_split(x, y, n // 4, seed))


@functools.lru_cache(maxsize=None)
def _counts(n: int = 2000, length: int = 24, seed: int = 0):
    """Regression on sequences of ``length`` noise values: the target is how many of them exceed 0.5,
    standardized with the training statistics."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, length, 1)).astype(np.float32)
    y = (x[:, :, 0] > 0.5).sum(1).astype(np.float64)
    n_val = n // 4
    mean, std = y[n_val:].mean(), y[n_val:].std()
    y = ((y - mean) / std).astype(np.float32)
    return (x[n_val:], y[n_val:]), (x[:n_val], y[:n_val])


@functools.lru_cache(maxsize=None)
def _lagged(n: int = 2000, length: int = 20, lag: int = 3, seed: int = 0, val_scale: float = 1.0):
    """Regression on sequences: the target is the product-free linear read-out ``(x[-1-lag] + x[-1]) / sqrt(2)``
    of ``length`` noise values. With ``val_scale`` != 1 the validation sequences (and so their targets) are drawn
    ``val_scale`` times wider: a validation set from another distribution."""
    rng = np.random.default_rng(seed)
    n_val = n // 4
    x = rng.standard_normal((n, length, 1)).astype(np.float32)
    x[:n_val] *= np.float32(val_scale)
    y = ((x[:, -1 - lag, 0] + x[:, -1, 0]) / math.sqrt(2.0)).astype(np.float32)
    return (x[n_val:], y[n_val:]), (x[:n_val], y[:n_val])


def _noisy_train_labels(data, fraction: float, classes: int, seed: int):
    """The same task, but ``fraction`` of the training labels replaced by uniformly random classes (a noisy
    labelling process); the validation labels stay clean."""
    (xt, yt), val = data
    rng = np.random.default_rng(seed)
    yt = yt.copy()
    rows = rng.choice(len(yt), int(fraction * len(yt)), replace=False)
    yt[rows] = rng.integers(0, classes, len(rows))
    return (xt, yt), val


def _offset_val_target(data, offset: float):
    """The same regression task, but validation targets moved by ``offset`` (standardized units): measured with
    another, miscalibrated instrument."""
    (xt, yt), (xv, yv) = data
    return (xt, yt), (xv, (yv + np.float32(offset)).astype(np.float32))


# ----------------------------------------------------------------------------------------------- models
def _amplified_res(d_in: int, width: int, blocks: int, d_out: int, gain: float, seed: int = 0, squeeze: bool = False):
    """A residual MLP whose residual branches' weights are multiplied by ``gain``: every block multiplies the
    scale of the stream, so activations and gradients grow geometrically with depth."""
    model = _ResMLP(d_in, width, blocks, d_out, seed=seed, squeeze=squeeze)
    with torch.no_grad():
        for block in model.blocks:
            for m in block:
                if isinstance(m, nn.Linear):
                    m.weight.mul_(gain)
    return model


# ------------------------------------------------------------------------------------------------ cases
_CASES_8: list[Case] = [
    # -- learning rate too high (x100) --------------------------------------------------------------------
    Case("r8_lr_x100_adamw_classification_s202", "AdamW at 100x its usual LR (0.1) on a make_classification MLP",
         "lr_too_high",
         lambda: _train(_mlp([20, 128, 128, 3], seed=202), _classification(seed=202), epochs=8, lr=0.1,
                        optimizer="adamw", seed=202, classes=3),
         acceptable=("dead_relu",)),
    Case("r8_lr_x100_nesterov_ripple_s203", "Nesterov SGD at 100x a good LR (5.0) on a regression MLP: diverges",
         "lr_too_high",
         lambda: _train(_mlp([6, 64, 64, 1], squeeze=True, seed=203), _ripple(seed=203), epochs=8, lr=5.0,
                        optimizer="nesterov", seed=203),
         acceptable=("exploding_gradients",)),
    Case("r8_lr_x100_rmsprop_counts_gru_s204", "RMSprop at 100x its usual LR (0.1) on a GRU counting task",
         "lr_too_high",
         lambda: _train(_RecurrentRegressor("gru", hidden=24, seed=204), _counts(seed=204), epochs=6, lr=0.1,
                        optimizer="rmsprop", seed=204),
         acceptable=("exploding_gradients", "underfitting", "plateau")),
    Case("r8_lr_x100_sgd_classification_gelu_s205",
         "plain SGD at 100x a good LR (10.0) on a GELU MLP for make_classification: diverges", "lr_too_high",
         lambda: _train(_mlp([20, 96, 96, 3], act=nn.GELU, seed=205), _classification(seed=205), epochs=8, lr=10.0,
                        optimizer="sgd", seed=205, classes=3),
         acceptable=("exploding_gradients",)),
    # -- learning rate too low (/1000) --------------------------------------------------------------------
    Case("r8_lr_div1000_sgd_blobs_elu_s206", "plain SGD at 1/1000 of a good LR (1e-4) on an ELU MLP for blobs",
         "lr_too_low",
         lambda: _train(_mlp([6, 64, 64, 5], act=nn.ELU, seed=206), _blobs(seed=206), epochs=10, lr=1e-4,
                        optimizer="sgd", seed=206, classes=5),
         acceptable=("underfitting",)),
    Case("r8_lr_div1000_adamw_cnn_digits_s207", "AdamW at 1/1000 of its usual LR (1e-6) on the digits CNN",
         "lr_too_low",
         lambda: _train(_cnn(seed=207, channels=(8, 16)), _digits(seed=207), epochs=6, lr=1e-6, optimizer="adamw",
                        seed=207, classes=10),
         acceptable=("underfitting",)),
    Case("r8_lr_div1000_adagrad_ripple_s208", "Adagrad at 1/1000 of a good LR (3e-5) on the ripple regression",
         "lr_too_low",
         lambda: _train(_mlp([6, 64, 64, 1], squeeze=True, seed=208), _ripple(seed=208), epochs=10, lr=3e-5,
                        optimizer="adagrad", seed=208),
         acceptable=("underfitting",)),
    # -- batch too small ----------------------------------------------------------------------------------
    Case("r8_batch_1_adam_sectors_s209", "batch size 1 instead of 64 on the sector task (Adam 1e-3)",
         "batch_too_small",
         lambda: _train(_mlp([2, 64, 64, 6], seed=209), _sectors(n=1000, seed=209), epochs=2, lr=1e-3,
                        batch_size=1, seed=209, classes=6)),
    Case("r8_batch_2_momentum_ripple_s210", "batch size 2 instead of 64 on the ripple regression (momentum 0.005)",
         "batch_too_small",
         lambda: _train(_mlp([6, 64, 64, 1], squeeze=True, seed=210), _ripple(n=1600, seed=210), epochs=3, lr=0.005,
                        optimizer="momentum", batch_size=2, seed=210)),
    Case("r8_batch_1_rmsprop_blobs_leaky_s211", "batch size 1 on a LeakyReLU MLP for blobs (RMSprop 1e-3)",
         "batch_too_small",
         lambda: _train(_mlp([6, 64, 64, 5], act=nn.LeakyReLU, seed=211), _blobs(n=1200, seed=211), epochs=2,
                        lr=1e-3, optimizer="rmsprop", batch_size=1, seed=211, classes=5)),
    # -- overfitting --------------------------------------------------------------------------------------
    Case("r8_overfit_tiny_sectors_s212", "a 256-wide MLP on 80 training points of the sector task, no regularization",
         "overfitting",
         lambda: _train(_mlp([2, 256, 256, 6], seed=212), _tiny(_sectors(seed=212), 80), epochs=150, lr=3e-3,
                        batch_size=16, seed=212, classes=6)),
    Case("r8_overfit_tiny_blobs_s213", "a 256-wide MLP on 100 training points of overlapping blobs, 60 epochs",
         "overfitting",
         lambda: _train(_mlp([6, 256, 256, 5], seed=213), _tiny(_blobs(seed=213), 100), epochs=60, lr=3e-3,
                        batch_size=16, seed=213, classes=5)),
    Case("r8_overfit_tiny_ripple_s214", "a 256-wide MLP on 100 noisy regression samples, no regularization",
         "overfitting",
         lambda: _train(_mlp([6, 256, 256, 1], squeeze=True, seed=214), _tiny(_ripple(noise=0.4, seed=214), 100),
                        epochs=150, lr=3e-3, batch_size=32, seed=214)),
    # -- underfitting -------------------------------------------------------------------------------------
    Case("r8_underfit_linear_sectors_s215", "a linear model (no hidden layer) on the non-linear sector task",
         "underfitting",
         lambda: _train(_mlp([2, 6], seed=215), _sectors(seed=215), epochs=10, lr=1e-2, seed=215, classes=6)),
    Case("r8_underfit_width2_friedman_s216", "an MLP with 2 hidden units on Friedman #1", "underfitting",
         lambda: _train(_mlp([10, 2, 1], squeeze=True, seed=216), _friedman(seed=216), epochs=10, lr=1e-2,
                        seed=216),
         acceptable=("plateau",)),
    Case("r8_underfit_cnn_1channel_digits_s217", "a CNN with one channel per conv layer on the digits",
         "underfitting",
         lambda: _train(_cnn(seed=217, channels=(1, 1)), _digits(seed=217), epochs=8, lr=1e-2, seed=217, classes=10)),
    # -- vanishing gradients ------------------------------------------------------------------------------
    Case("r8_vanishing_sigmoid_12_classification_s218", "a 12-layer sigmoid MLP (width 32) trained with momentum SGD",
         "vanishing_gradients",
         lambda: _train(_mlp([20] + [32] * 12 + [3], act=nn.Sigmoid, seed=218), _classification(seed=218),
                        epochs=8, lr=0.05, optimizer="momentum", seed=218, classes=3),
         acceptable=("underfitting", "plateau", "bad_initialization")),
    Case("r8_vanishing_functional_tanh_16_ripple_s219",
         "a 16-layer tanh MLP (torch.tanh in forward, default init) trained with plain SGD", "vanishing_gradients",
         lambda: _train(_FunctionalMLP([6] + [48] * 16 + [1], "tanh", seed=219, squeeze=True), _ripple(seed=219),
                        epochs=8, lr=0.05, optimizer="sgd", seed=219),
         acceptable=("underfitting", "plateau", "bad_initialization")),
    # -- exploding gradients ------------------------------------------------------------------------------
    Case("r8_exploding_tanh_rnn_s220",
         "a tanh RNN with its recurrent weights scaled 4x over 30 steps (momentum SGD 1e-3)", "exploding_gradients",
         lambda: _train(_RecurrentRegressor("tanh", hidden=32, recurrent_scale=4.0, seed=220),
                        _lagged(length=30, seed=220), epochs=5, lr=1e-3, optimizer="momentum", seed=220),
         acceptable=("bad_initialization", "saturated_activations", "underfitting")),
    Case("r8_exploding_amplified_resmlp_s221", "a 10-block residual MLP whose branch weights are scaled 2x (Adam 1e-3)",
         "exploding_gradients",
         lambda: _train(_amplified_res(6, 64, 10, 1, gain=2.0, seed=221, squeeze=True), _ripple(seed=221), epochs=6,
                        lr=1e-3, optimizer="adam", seed=221),
         acceptable=("bad_initialization",)),
    # -- dead ReLUs ---------------------------------------------------------------------------------------
    Case("r8_dead_relu_bias_blobs_s222", "every hidden ReLU of a blobs MLP given bias -6 (Adam 1e-3)", "dead_relu",
         lambda: _train(_kill_relus(_mlp([6, 64, 64, 5], seed=222), -6.0), _blobs(seed=222), epochs=8, lr=1e-3,
                        seed=222, classes=5),
         acceptable=("underfitting", "plateau", "vanishing_gradients", "bad_initialization")),
    Case("r8_dead_relu_conv_bias_digits_s223", "both conv layers of the digits CNN given bias -4 (Adam 1e-3)",
         "dead_relu",
         lambda: _train(_kill_conv_relus(_cnn(seed=223, channels=(8, 16)), -4.0), _digits(seed=223), epochs=6,
                        lr=1e-3, seed=223, classes=10),
         acceptable=("underfitting", "plateau", "vanishing_gradients", "bad_initialization")),
    # -- saturated activations ----------------------------------------------------------------------------
    Case("r8_saturated_tanh_init_friedman_s224", "a tanh MLP with weights drawn from N(0, 1) on Friedman #1",
         "saturated_activations",
         lambda: _train(_init_weights(_mlp([10, 128, 128, 1], act=nn.Tanh, seed=224, squeeze=True), 1.0, seed=224),
                        _friedman(seed=224), epochs=8, lr=1e-3, seed=224),
         acceptable=("bad_initialization", "exploding_gradients", "underfitting", "overfitting")),
    Case("r8_saturated_sigmoid_raw_cancer_s225", "a sigmoid MLP on breast-cancer features left unscaled",
         "saturated_activations",
         lambda: _train(_mlp([30, 64, 64, 2], act=nn.Sigmoid, seed=225), _breast_cancer(seed=225, standardize=False),
                        epochs=15, lr=1e-3, batch_size=32, seed=225, classes=2),
         acceptable=("bad_initialization", "underfitting")),
    # -- bad initialization -------------------------------------------------------------------------------
    Case("r8_bad_init_large_classification_s226", "a ReLU MLP with weights drawn from N(0, 2^2) (Adam 1e-3)",
         "bad_initialization",
         lambda: _train(_init_weights(_mlp([20, 128, 128, 128, 3], seed=226), 2.0, seed=226),
                        _classification(seed=226), epochs=8, lr=1e-3, seed=226, classes=3),
         acceptable=("exploding_gradients", "underfitting", "overfitting")),
    Case("r8_bad_init_tiny_deep_sectors_s227", "a 6-layer ReLU MLP with weights drawn from N(0, 0.01^2) (momentum 0.05)",
         "bad_initialization",
         lambda: _train(_init_weights(_mlp([2] + [64] * 6 + [6], seed=227), 0.01, seed=227), _sectors(seed=227),
                        epochs=8, lr=0.05, optimizer="momentum", seed=227, classes=6),
         acceptable=("vanishing_gradients", "underfitting", "plateau", "dead_relu")),
    Case("r8_bad_init_raw_wine_s228", "a ReLU MLP on wine features left unscaled (proline in the hundreds)",
         "bad_initialization",
         lambda: _train(_mlp([13, 64, 64, 3], seed=228), _wine(seed=228, standardize=False), epochs=30, lr=1e-3,
                        batch_size=16, seed=228, classes=3),
         acceptable=("exploding_gradients", "dead_relu", "underfitting")),
    # -- unrepresentative validation ----------------------------------------------------------------------
    Case("r8_unrep_noisy_train_labels_s229", "40% of the training labels random, validation labels clean",
         "unrepresentative_validation",
         lambda: _train(_mlp([2, 128, 128, 6], seed=229), _noisy_train_labels(_sectors(seed=229), 0.4, 6, 229),
                        epochs=10, lr=2e-3, seed=229, classes=6)),
    Case("r8_unrep_offset_val_target_s230", "validation targets measured with a +1.5 std offset (regression)",
         "unrepresentative_validation",
         lambda: _train(_mlp([6, 64, 64, 1], squeeze=True, seed=230), _offset_val_target(_ripple(seed=230), 1.5),
                        epochs=10, lr=2e-3, seed=230)),
    Case("r8_unrep_wider_val_sequences_lstm_s231", "validation sequences drawn 3x wider than the training ones (LSTM)",
         "unrepresentative_validation",
         lambda: _train(_RecurrentRegressor("lstm", hidden=24, seed=231),
                        _lagged(seed=231, val_scale=3.0), epochs=6, lr=5e-3,
                        seed=231)),
    # -- plateau ------------------------------------------------------------------------------------------
    Case("r8_plateau_const_momentum_ripple_s232",
         "momentum SGD at a constant 0.05 for 30 epochs on the noisy ripple regression: flat for the last third",
         "plateau",
         lambda: _train(_mlp([6, 64, 64, 1], squeeze=True, seed=232), _ripple(n=1600, noise=0.3, seed=232),
                        epochs=30, lr=0.05, optimizer="momentum", batch_size=32, seed=232)),
    Case("r8_plateau_const_adam_sectors_s233",
         "Adam at a constant 1e-2 for 25 epochs on the sector task: flat and noisy for the last half", "plateau",
         lambda: _train(_mlp([2, 64, 64, 6], seed=233), _sectors(n=2000, seed=233), epochs=25, lr=1e-2,
                        batch_size=32, seed=233, classes=6),
         acceptable=("lr_too_high",)),
    # -- healthy ------------------------------------------------------------------------------------------
    Case("r8_healthy_gelu_sectors_cosine_s234", "GELU MLP, AdamW 3e-3 with weight decay, cosine schedule", None,
         lambda: _train(_mlp([2, 128, 128, 6], act=nn.GELU, seed=234), _sectors(seed=234), epochs=20, lr=3e-3,
                        optimizer="adamw", schedule="cosine", weight_decay=1e-4, seed=234, classes=6)),
    Case("r8_healthy_cnn_digits_onecycle_s235", "the digits CNN (8/16 channels), Adam 1e-2 one-cycle", None,
         lambda: _train(_cnn(seed=235, channels=(8, 16)), _digits(seed=235), epochs=10, lr=1e-2, schedule="onecycle",
                        seed=235, classes=10)),
    Case("r8_healthy_gru_lagged_warmup_cosine_s236", "a GRU on the lagged read-out task, Adam 1e-2, warm-up + cosine",
         None,
         lambda: _train(_RecurrentRegressor("gru", hidden=24, seed=236), _lagged(seed=236, lag=2), epochs=10, lr=1e-2,
                        schedule="warmup_cosine", seed=236)),
    Case("r8_healthy_silu_friedman_step_s237", "SiLU MLP on Friedman #1, momentum SGD 0.05 with step decay", None,
         lambda: _train(_mlp([10, 64, 64, 1], act=nn.SiLU, squeeze=True, seed=237), _friedman(seed=237), epochs=20,
                        lr=0.05, optimizer="momentum", schedule="step", seed=237)),
    Case("r8_healthy_resmlp_ripple_cosine_s238", "a 3-block residual MLP on the ripple regression, AdamW cosine", None,
         lambda: _train(_ResMLP(6, 48, 3, 1, seed=238, squeeze=True), _ripple(n=4000, seed=238), epochs=12, lr=2e-3,
                        optimizer="adamw", schedule="cosine", weight_decay=1e-4, seed=238)),
    Case("r8_healthy_lstm_lagged_cosine_s239", "an LSTM on the lagged read-out task, Adam 1e-2 cosine", None,
         lambda: _train(_RecurrentRegressor("lstm", hidden=24, seed=239),
                        _lagged(seed=239), epochs=10, lr=1e-2, schedule="cosine",
                        seed=239)),
    Case("r8_healthy_leaky_blobs_nesterov_sgdr_s240", "LeakyReLU MLP on blobs, Nesterov 0.05 with SGDR, batch 128",
         None,
         lambda: _train(_mlp([6, 64, 64, 5], act=nn.LeakyReLU, seed=240), _blobs(seed=240), epochs=20, lr=0.05,
                        optimizer="nesterov", schedule="sgdr", batch_size=128, seed=240, classes=5)),
    Case("r8_healthy_elu_classification_rmsprop_s241",
         "ELU MLP on make_classification, RMSprop 2e-3 cosine with weight decay, batch 128", None,
         lambda: _train(_mlp([20, 128, 64, 3], act=nn.ELU, seed=241), _classification(seed=241), epochs=20, lr=2e-3,
                        optimizer="rmsprop", schedule="cosine", weight_decay=1e-4, batch_size=128, seed=241,
                        classes=3)),
]

HELD_OUT_8: list[Case] = [Case(c.name, c.description, c.expected, c.train, c.acceptable, held_out=8) for c in _CASES_8]
CASES += HELD_OUT_8


# --------------------------------------------------------------------------------------------------------------
# Round 9: written blind like rounds 6-8 (the issue's definitions given), after round 8's misses changed the doctor
# (see above); run once, as is.
#
# New here: scikit-learn's iris, diabetes (also its raw, unscaled inputs and target), Gaussian quantiles, Hastie's
# 10-2, the swiss roll and S-curve, make_regression; sequences of one of three motifs read by a 1-D conv net; token
# sequences read by an embedding model, with a validation set from a domain whose words never appear in training;
# dropout in healthy runs; batch sizes 8 to 256.
#
# First run: recall 28/34 = 0.82, precision 44/47 = 0.94, one healthy run of 8 flagged (s280, diabetes: underfitting).
# What its misses changed: for steps of one or two samples either sign of sampling noise is enough — a jittering loss
# or disagreeing gradients (s249, batch 2 on a classification whose cross-entropy barely jitters early; s250).
# Left as misses: s258, s264, s272, s273 and the healthy s280 (tests/test_zoo.py says why).

# ---------------------------------------------------------------------------------------------- data
@functools.lru_cache(maxsize=None)
def _quantiles(n: int = 3000, dim: int = 4, classes: int = 3, seed: int = 0):
    """Nested Gaussian shells (``sklearn.datasets.make_gaussian_quantiles``): the class is the radius band."""
    from sklearn.datasets import make_gaussian_quantiles

    x, y = make_gaussian_quantiles(n_samples=n, n_features=dim, n_classes=classes, random_state=seed)
    return _split(x.astype(np.float64), y.astype(np.int64), n // 4, seed)


def _quantiles_moved_val(n: int, dim: int, classes: int, seed: int, shift: float):
    """Validation points drawn from Gaussian shells centred ``shift`` away along every axis (labels by their own
    radius bands), standardized with the training statistics of ``_quantiles(n, dim, classes, seed)``."""
    from sklearn.datasets import make_gaussian_quantiles

    x_all, _ = make_gaussian_quantiles(n_samples=n, n_features=dim, n_classes=classes, random_state=seed)
    perm = np.random.default_rng(seed).permutation(n)
    train = perm[n // 4:]
    mean, std = x_all[train].mean(0), x_all[train].std(0)
    xv, yv = make_gaussian_quantiles(mean=np.full(dim, shift), n_samples=n // 4, n_features=dim, n_classes=classes,
                                     random_state=seed + 1000)
    return ((xv - mean) / std).astype(np.float32), yv.astype(np.int64)


@functools.lru_cache(maxsize=None)
def _hastie(n: int = 3000, seed: int = 0):
    """``make_hastie_10_2``: 10 Gaussian inputs, class 1 when the sum of their squares exceeds 9.34."""
    from sklearn.datasets import make_hastie_10_2

    x, y = make_hastie_10_2(n_samples=n, random_state=seed)
    return _split(x.astype(np.float64), (y > 0).astype(np.int64), n // 4, seed)


@functools.lru_cache(maxsize=None)
def _swiss_roll(n: int = 3000, noise: float = 0.2, seed: int = 0):
    """Regression: the position ``t`` along a swiss roll (``make_swiss_roll``) from its 3-d point, standardized."""
    from sklearn.datasets import make_swiss_roll

    x, t = make_swiss_roll(n_samples=n, noise=noise, random_state=seed)
    return _standardized_target(_split(x, t, n // 4, seed))


@functools.lru_cache(maxsize=None)
def _s_curve(n: int = 3000, noise: float = 0.05, seed: int = 0):
    """Regression: the position ``t`` along an S curve (``make_s_curve``) from its 3-d point, standardized."""
    from sklearn.datasets import make_s_curve

    x, t = make_s_curve(n_samples=n, noise=noise, random_state=seed)
    return _standardized_target(_split(x, t, n // 4, seed))


@functools.lru_cache(maxsize=None)
def _regression(n: int = 2000, features: int = 20, informative: int = 10, noise: float = 10.0, seed: int = 0,
                n_val: int | None = None):
    """``make_regression`` (a random linear target plus noise), target standardized."""
    from sklearn.datasets import make_regression

    x, y = make_regression(n_samples=n, n_features=features, n_informative=informative, noise=noise,
                           random_state=seed)
    return _standardized_target(_split(x, y, n // 4 if n_val is None else n_val, seed))


@functools.lru_cache(maxsize=None)
def _regression_clean_val(n: int = 2000, features: int = 20, informative: int = 10, noise: float = 60.0,
                          seed: int = 0):
    """``make_regression`` with heavy noise on the training targets but the validation targets noise-free (the
    exact linear function): a validation set measured another way than the training set."""
    from sklearn.datasets import make_regression

    x, y, coef = make_regression(n_samples=n, n_features=features, n_informative=informative, noise=0.0,
                                 coef=True, random_state=seed)
    rng = np.random.default_rng(seed + 7)
    perm = rng.permutation(n)
    val, train = perm[: n // 4], perm[n // 4:]
    y_noisy = y + noise * rng.standard_normal(n)
    mean, std = x[train].mean(0), x[train].std(0)
    xs = ((x - mean) / std).astype(np.float32)
    ym, ys = y_noisy[train].mean(), y_noisy[train].std()
    yt = ((y_noisy[train] - ym) / ys).astype(np.float32)
    yv = ((y[val] - ym) / ys).astype(np.float32)
    return (xs[train], yt), (xs[val], yv)


@functools.lru_cache(maxsize=None)
def _diabetes(seed: int = 0, raw_inputs: bool = False, raw_target: bool = False):
    """The diabetes regression (442 patients, 10 features, ``load_diabetes(scaled=False)``): inputs standardized
    unless ``raw_inputs`` (ages, blood pressures, serum values in the tens to hundreds), target standardized
    unless ``raw_target`` (disease progression, 25 to 346)."""
    from sklearn.datasets import load_diabetes

    d = load_diabetes(scaled=False)
    data = _split(d.data.astype(np.float64), d.target.astype(np.float64), 100, seed, standardize=not raw_inputs)
    if raw_target:
        (xt, yt), (xv, yv) = data
        return (xt, yt.astype(np.float32)), (xv, yv.astype(np.float32))
    return _standardized_target(data)


@functools.lru_cache(maxsize=None)
def _iris(seed: int = 0):
    from sklearn.datasets import load_iris

    d = load_iris()
    return _split(d.data.astype(np.float64), d.target.astype(np.int64), 40, seed)


_MOTIFS = np.array([
    [0.0, 1.0, 2.0, 3.0, 2.0, 1.0, 0.0],
    [0.0, -1.0, -2.0, -3.0, -2.0, -1.0, 0.0],
    [3.0, -3.0, 3.0, -3.0, 3.0, -3.0, 3.0],
]) * 0.8  # fmt: skip


@functools.lru_cache(maxsize=None)
def _motifs(n: int = 2000, length: int = 48, seed: int = 0):
    """Sequence classification: unit Gaussian noise of ``length`` steps with one of three 7-step motifs (a bump, a
    dip, a zig-zag) added at a random place; the class is the motif."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, length))
    y = rng.integers(0, 3, n)
    where = rng.integers(0, length - 7, n)
    for i in range(n):
        x[i, where[i]:where[i] + 7] += _MOTIFS[y[i]]
    n_val = n // 4
    x = x.astype(np.float32)
    return (x[n_val:], y[n_val:].astype(np.int64)), (x[:n_val], y[:n_val].astype(np.int64))


def _token_batch(rng: np.random.Generator, n: int, length: int, unseen_fraction: float = 0.0):
    """Token sequences over a vocabulary of 50: 0-9 positive words, 10-19 negative words, 20-29 neutral filler,
    30-39 / 40-49 positive / negative words of another domain. Each sequence has 3 to 8 sentiment words among
    filler; the label is 1 when positive words outnumber negative ones (a tie is broken by the first sentiment
    word). ``unseen_fraction`` of the sentiment words are written with the other domain's words."""
    x = rng.integers(20, 30, (n, length))
    y = np.zeros(n, dtype=np.int64)
    for i in range(n):
        k = int(rng.integers(3, 9))
        places = rng.choice(length, k, replace=False)
        polarity = rng.integers(0, 2, k)  # 1 positive, 0 negative
        other = rng.random(k) < unseen_fraction
        words = np.where(polarity == 1, rng.integers(0, 10, k), rng.integers(10, 20, k)) + np.where(other, 30, 0)
        x[i, places] = words
        pos, neg = int(polarity.sum()), int(k - polarity.sum())
        y[i] = 1 if pos > neg else 0 if neg > pos else int(polarity[np.argsort(places)[0]])
    return x.astype(np.int64), y


@functools.lru_cache(maxsize=None)
def _tokens(n: int = 2400, length: int = 24, seed: int = 0, unseen_val: float = 0.0, n_train: int | None = None):
    """Sentiment-like classification of token sequences (see ``_token_batch``). ``unseen_val``: the fraction of
    the validation sequences' sentiment words taken from another domain's vocabulary, never seen in training.
    ``n_train``: keep only that many training sequences."""
    rng = np.random.default_rng(seed)
    n_val = n // 4
    xt, yt = _token_batch(rng, n - n_val, length)
    xv, yv = _token_batch(rng, n_val, length, unseen_fraction=unseen_val)
    if n_train is not None:
        xt, yt = xt[:n_train], yt[:n_train]
    return (xt, yt), (xv, yv)


# ---------------------------------------------------------------------------------------------- models
class _Conv1dNet(nn.Module):
    """Two 1-d convolutions (kernel 7 and 5) with ReLU and pooling over a single-channel sequence, global max
    pooling, a linear head."""

    def __init__(self, channels: tuple[int, int] = (16, 32), classes: int = 3, seed: int = 0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        c1, c2 = channels
        self.net = nn.Sequential(
            nn.Conv1d(1, c1, 7, padding=3), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(c1, c2, 5, padding=2), nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten(),
            nn.Dropout(dropout), nn.Linear(c2, classes),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.unsqueeze(1))


class _TokenNet(nn.Module):
    """Embedding of each token, mean over the sequence, a ReLU hidden layer, a linear head."""

    def __init__(self, vocab: int = 50, dim: int = 16, hidden: int = 32, classes: int = 2, seed: int = 0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.embed = nn.Embedding(vocab, dim)
        self.head = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, classes))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(tokens).mean(1))


# ---------------------------------------------------------------------------------------------- round 9
_CASES_9: list[Case] = [
    # -- learning rate far too high
    Case("r9_lr_x100_momentum_quantiles_s242",
         "SGD with momentum at 100x a good LR (3.0 instead of 0.03) on a Gaussian-quantiles MLP: diverges",
         "lr_too_high",
         lambda: _train(_mlp([4, 64, 64, 3], seed=242), _quantiles(seed=242), epochs=8, lr=3.0, optimizer="momentum",
                        seed=242, classes=3),
         acceptable=("exploding_gradients", "dead_relu", "underfitting", "plateau")),
    Case("r9_lr_x100_nesterov_conv1d_motifs_s243",
         "Nesterov SGD at 100x a good LR (3.0 instead of 0.03) on a 1-d conv net for motif sequences: blows up",
         "lr_too_high",
         lambda: _train(_Conv1dNet(seed=243), _motifs(seed=243), epochs=6, lr=3.0, optimizer="nesterov", seed=243,
                        classes=3),
         acceptable=("exploding_gradients", "dead_relu", "underfitting", "plateau")),
    Case("r9_lr_x100_rmsprop_swissroll_s244", "RMSprop at 100x its usual LR (0.1) on a swiss-roll regression MLP",
         "lr_too_high",
         lambda: _train(_mlp([3, 64, 64, 1], squeeze=True, seed=244), _swiss_roll(seed=244), epochs=8, lr=0.1,
                        optimizer="rmsprop", seed=244),
         acceptable=("exploding_gradients", "dead_relu")),
    # -- learning rate far too low
    Case("r9_lr_div1000_sgd_hastie_s245", "plain SGD at 1/1000 of a good LR (1e-4) on a Hastie 10.2 MLP",
         "lr_too_low",
         lambda: _train(_mlp([10, 64, 64, 2], seed=245), _hastie(seed=245), epochs=10, lr=1e-4, optimizer="sgd",
                        seed=245, classes=2),
         acceptable=("underfitting", "plateau")),
    Case("r9_lr_div1000_adam_tokens_s246", "Adam at 1/1000 of its usual LR (1e-6) on an embedding model of tokens",
         "lr_too_low",
         lambda: _train(_TokenNet(seed=246), _tokens(seed=246), epochs=8, lr=1e-6, optimizer="adam", seed=246,
                        classes=2),
         acceptable=("underfitting", "plateau")),
    Case("r9_lr_div1000_nesterov_diabetes_s247", "Nesterov SGD at 1/1000 of a good LR (1e-5) on the diabetes regression",
         "lr_too_low",
         lambda: _train(_mlp([10, 32, 32, 1], squeeze=True, seed=247), _diabetes(seed=247), epochs=30, lr=1e-5,
                        optimizer="nesterov", batch_size=32, seed=247),
         acceptable=("underfitting",)),
    # -- batch far too small
    Case("r9_batch_1_sgd_scurve_s248", "batch size 1 instead of 64 on the S-curve regression (plain SGD 0.05)",
         "batch_too_small",
         lambda: _train(_mlp([3, 64, 64, 1], squeeze=True, seed=248), _s_curve(n=800, seed=248), epochs=2, lr=0.05,
                        optimizer="sgd", batch_size=1, seed=248),
         acceptable=()),
    Case("r9_batch_2_adam_quantiles_s249", "batch size 2 instead of 64 on Gaussian quantiles (Adam 1e-3)",
         "batch_too_small",
         lambda: _train(_mlp([4, 64, 64, 3], seed=249), _quantiles(n=1200, seed=249), epochs=2, lr=1e-3,
                        optimizer="adam", batch_size=2, seed=249, classes=3),
         acceptable=("underfitting",)),
    Case("r9_batch_1_rmsprop_conv1d_s250", "batch size 1 instead of 64 on the 1-d conv motif net (RMSprop 1e-3)",
         "batch_too_small",
         lambda: _train(_Conv1dNet(channels=(8, 16), seed=250), _motifs(n=600, seed=250), epochs=2, lr=1e-3,
                        optimizer="rmsprop", batch_size=1, seed=250, classes=3),
         acceptable=()),
    # -- overfitting
    Case("r9_overfit_digits_80_wide_s251", "a 256-wide MLP on 80 training digits with no regularization, 60 epochs",
         "overfitting",
         lambda: _train(_mlp([64, 256, 256, 10], seed=251), _tiny(_digits(251), 80), epochs=60, lr=1e-3,
                        optimizer="adam", batch_size=8, seed=251, classes=10),
         acceptable=()),
    Case("r9_overfit_hastie_100_s252",
         "a 128-wide MLP on 100 Hastie 10.2 training samples, no regularization, 60 epochs", "overfitting",
         lambda: _train(_mlp([10, 128, 128, 2], seed=252), _tiny(_hastie(n=1000, seed=252), 100), epochs=60,
                        lr=1e-3, optimizer="adam", batch_size=16, seed=252, classes=2),
         acceptable=()),
    Case("r9_overfit_tokens_100_s253", "a wide embedding model on 100 token sequences, no regularization, 60 epochs",
         "overfitting",
         lambda: _train(_TokenNet(dim=64, hidden=256, seed=253), _tokens(seed=253, n_train=100), epochs=60,
                        lr=3e-3, optimizer="adam", batch_size=20, seed=253, classes=2),
         acceptable=()),
    # -- underfitting
    Case("r9_underfit_linear_hastie_s254", "a linear model on Hastie 10.2 (the class depends on a sum of squares)",
         "underfitting",
         lambda: _train(_mlp([10, 2], seed=254), _hastie(seed=254), epochs=10, lr=1e-2, optimizer="adam", seed=254,
                        classes=2),
         acceptable=("plateau",)),
    Case("r9_underfit_width2_swissroll_s255", "an MLP with 2 hidden units for the swiss-roll regression",
         "underfitting",
         lambda: _train(_mlp([3, 2, 1], squeeze=True, seed=255), _swiss_roll(seed=255), epochs=10, lr=1e-2,
                        optimizer="adam", seed=255),
         acceptable=("plateau", "dead_relu")),
    Case("r9_underfit_conv1d_1channel_s256", "a 1-d conv net with 1 and 2 channels for the three-motif sequences",
         "underfitting",
         lambda: _train(_Conv1dNet(channels=(1, 2), seed=256), _motifs(seed=256), epochs=8, lr=3e-3,
                        optimizer="adam", seed=256, classes=3),
         acceptable=()),
    # -- vanishing gradients
    Case("r9_vanishing_sigmoid_12_regression_s257",
         "a 12-layer sigmoid MLP (width 32) on make_regression, momentum SGD 0.05", "vanishing_gradients",
         lambda: _train(_deep(20, 32, 12, 1, nn.Sigmoid, seed=257, squeeze=True), _regression(seed=257), epochs=8,
                        lr=0.05, optimizer="momentum", seed=257),
         acceptable=("underfitting", "plateau")),
    Case("r9_vanishing_tanh_16_scurve_s258", "a 16-layer tanh MLP (width 48, default init) on the S-curve regression",
         "vanishing_gradients",
         lambda: _train(_deep(3, 48, 16, 1, nn.Tanh, seed=258, squeeze=True), _s_curve(seed=258), epochs=8,
                        lr=0.01, optimizer="momentum", seed=258),
         acceptable=("bad_initialization", "underfitting", "plateau")),
    # -- dead ReLUs
    Case("r9_dead_relu_bias_quantiles_s259", "hidden biases initialized to -4 in a ReLU MLP on Gaussian quantiles",
         "dead_relu",
         lambda: _train(_kill_relus(_mlp([4, 128, 128, 3], seed=259), -4.0), _quantiles(seed=259), epochs=8, lr=1e-3,
                        optimizer="adam", seed=259, classes=3),
         acceptable=("bad_initialization", "underfitting", "vanishing_gradients", "plateau")),
    Case("r9_dead_relu_conv1d_bias_s260", "convolution biases initialized to -5 in the 1-d conv motif net",
         "dead_relu",
         lambda: _train(_kill_conv_relus(_Conv1dNet(seed=260), -5.0), _motifs(seed=260), epochs=6, lr=1e-3,
                        optimizer="adam", seed=260, classes=3),
         acceptable=("bad_initialization", "underfitting", "vanishing_gradients", "plateau")),
    Case("r9_dead_relu_deep_diabetes_s261", "hidden biases -3 in a 3-hidden-layer ReLU MLP on the diabetes regression",
         "dead_relu",
         lambda: _train(_kill_relus(_mlp([10, 64, 64, 64, 1], squeeze=True, seed=261), -3.0), _diabetes(seed=261),
                        epochs=30, lr=1e-3, optimizer="adamw", batch_size=32, seed=261),
         acceptable=("bad_initialization", "underfitting", "vanishing_gradients", "plateau")),
    # -- bad initialization
    Case("r9_badinit_std1_relu_digits_s262", "weights drawn with std 1.0 in a 256-wide 4-layer ReLU MLP on digits",
         "bad_initialization",
         lambda: _train(_init_weights(_mlp([64, 256, 256, 256, 10], seed=262), 1.0, seed=262), _digits(262),
                        epochs=6, lr=1e-3, optimizer="adam", seed=262, classes=10),
         acceptable=("exploding_gradients", "underfitting")),
    Case("r9_badinit_std1e-3_deep_relu_hastie_s263", "weights drawn with std 1e-3 in a 6-hidden-layer ReLU MLP on Hastie",
         "bad_initialization",
         lambda: _train(_init_weights(_deep(10, 64, 6, 2, nn.ReLU, seed=263), 1e-3, seed=263), _hastie(seed=263),
                        epochs=8, lr=1e-3, optimizer="adam", seed=263, classes=2),
         acceptable=("vanishing_gradients", "underfitting", "plateau", "dead_relu")),
    Case("r9_badinit_raw_inputs_diabetes_s264",
         "diabetes features as recorded (blood pressures, serum values in the hundreds) into a ReLU MLP",
         "bad_initialization",
         lambda: _train(_mlp([10, 64, 64, 1], squeeze=True, seed=264), _diabetes(seed=264, raw_inputs=True),
                        epochs=30, lr=1e-3, optimizer="adam", batch_size=32, seed=264),
         acceptable=("exploding_gradients", "dead_relu")),
    # -- saturated activations
    Case("r9_saturated_tanh_std1_quantiles_s265",
         "tanh MLP (width 128) with weights drawn at std 1.0 on 6-d Gaussian quantiles", "saturated_activations",
         lambda: _train(_init_weights(_mlp([6, 128, 128, 3], act=nn.Tanh, seed=265), 1.0, seed=265),
                        _quantiles(dim=6, seed=265), epochs=8, lr=1e-3, optimizer="adam", seed=265, classes=3),
         acceptable=("bad_initialization", "underfitting")),
    Case("r9_saturated_sigmoid_bias_regression_s266",
         "sigmoid MLP with every hidden bias initialized to +6 on make_regression", "saturated_activations",
         lambda: _train(_kill_relus(_mlp([20, 64, 64, 1], act=nn.Sigmoid, squeeze=True, seed=266), 6.0),
                        _regression(seed=266), epochs=8, lr=1e-3, optimizer="adam", seed=266),
         acceptable=("bad_initialization", "vanishing_gradients", "underfitting", "plateau")),
    # -- exploding gradients
    Case("r9_exploding_relu_rnn_s267", "a ReLU RNN with its recurrent weights scaled x3 on a sequence sum task",
         "exploding_gradients",
         lambda: _train(_RecurrentRegressor("relu", hidden=32, recurrent_scale=3.0, seed=267), _window_sum(length=30, start=0, stop=5, seed=267),
                        epochs=4, lr=1e-3, optimizer="adam", seed=267),
         acceptable=("bad_initialization", "underfitting")),
    Case("r9_exploding_amplified_res_s268", "a 6-block residual MLP with residual branches x2.5 on make_regression",
         "exploding_gradients",
         lambda: _train(_amplified_res(20, 64, 6, 1, gain=2.5, seed=268, squeeze=True), _regression(seed=268),
                        epochs=6, lr=1e-3, optimizer="adam", seed=268),
         acceptable=("bad_initialization", "underfitting")),
    Case("r9_exploding_raw_target_diabetes_s269",
         "the diabetes target left in raw units (25 to 346) with MSE and plain SGD 1e-3: blows up in epoch 4",
         "exploding_gradients",
         lambda: _train(_mlp([10, 32, 32, 1], squeeze=True, seed=269), _diabetes(seed=269, raw_target=True),
                        epochs=20, lr=1e-3, optimizer="sgd", batch_size=32, seed=269),
         acceptable=("lr_too_high",)),
    # -- unrepresentative validation
    Case("r9_unrep_val_moved_quantiles_s270",
         "validation points from Gaussian shells centred 1.5 away along every axis", "unrepresentative_validation",
         lambda: _train(_mlp([4, 64, 64, 3], seed=270), _quantiles(seed=270), epochs=10, lr=3e-3, optimizer="adam",
                        seed=270, classes=3, val=_quantiles_moved_val(3000, 4, 3, 270, 1.5)),
         acceptable=("overfitting",)),
    Case("r9_unrep_val_clean_targets_s271",
         "noisy training targets but noise-free validation targets (make_regression)", "unrepresentative_validation",
         lambda: _train(_mlp([20, 64, 64, 1], squeeze=True, seed=271), _regression_clean_val(seed=271), epochs=10,
                        lr=1e-3, optimizer="adam", seed=271),
         acceptable=()),
    Case("r9_unrep_val_other_domain_tokens_s272",
         "validation token sequences with 60% of their sentiment words from another domain's vocabulary",
         "unrepresentative_validation",
         lambda: _train(_TokenNet(seed=272), _tokens(seed=272, unseen_val=0.6), epochs=10, lr=3e-3, optimizer="adam",
                        seed=272, classes=2),
         acceptable=("overfitting",)),
    # -- plateau at a constant LR
    Case("r9_plateau_rmsprop_constant_swissroll_s273",
         "RMSprop at a constant 1e-2 for 12 epochs on the swiss-roll regression: the loss stalls at a noisy floor",
         "plateau",
         lambda: _train(_mlp([3, 64, 64, 1], squeeze=True, seed=273), _swiss_roll(seed=273), epochs=12, lr=1e-2,
                        optimizer="rmsprop", seed=273),
         # dead_relu added later: 65% of ReLU '3' is silent on a whole batch (median over the measured steps)
         acceptable=("lr_too_high", "dead_relu")),
    Case("r9_plateau_rmsprop_constant_scurve_s274",
         "RMSprop at a constant 1e-2 for 12 epochs on the S-curve regression", "plateau",
         lambda: _train(_mlp([3, 64, 64, 1], squeeze=True, seed=274), _s_curve(seed=274), epochs=12, lr=1e-2,
                        optimizer="rmsprop", seed=274),
         acceptable=("lr_too_high",)),
    Case("r9_plateau_adamw_constant_scurve_s275",
         "AdamW at a constant 3e-2 for 12 epochs on the S-curve regression: flat for the second half", "plateau",
         lambda: _train(_mlp([3, 64, 64, 1], squeeze=True, seed=275), _s_curve(seed=275), epochs=12, lr=3e-2,
                        optimizer="adamw", seed=275),
         acceptable=("lr_too_high",)),
    # -- healthy
    Case("r9_healthy_iris_adam_cosine_s276", "a small MLP on iris, Adam 1e-2 with cosine decay, batch 16", None,
         lambda: _train(_mlp([4, 32, 3], seed=276), _iris(276), epochs=40, lr=1e-2, optimizer="adam",
                        schedule="cosine", batch_size=16, seed=276, classes=3)),
    Case("r9_healthy_conv1d_dropout_onecycle_s277", "the 1-d conv motif net with dropout, AdamW one-cycle, batch 32",
         None,
         lambda: _train(_Conv1dNet(seed=277, dropout=0.2), _motifs(seed=277), epochs=6, lr=3e-3, optimizer="adamw",
                        schedule="onecycle", batch_size=32, seed=277, classes=3)),
    Case("r9_healthy_tokens_warmup_cosine_s278", "the embedding token model, Adam with warmup then cosine, batch 128",
         None,
         lambda: _train(_TokenNet(seed=278), _tokens(n=3000, seed=278), epochs=20, lr=1e-2, optimizer="adam",
                        schedule="warmup_cosine", batch_size=128, seed=278, classes=2)),
    Case("r9_healthy_scurve_nesterov_cosine_s279", "an MLP on the S-curve regression, Nesterov SGD with cosine, batch 32",
         None,
         lambda: _train(_mlp([3, 64, 64, 1], squeeze=True, seed=279), _s_curve(seed=279), epochs=10, lr=0.05,
                        optimizer="nesterov", schedule="cosine", batch_size=32, seed=279)),
    Case("r9_healthy_diabetes_step_s280", "a small MLP on diabetes with weight decay, AdamW with step decay, batch 16",
         None,
         lambda: _train(_mlp([10, 16, 1], squeeze=True, seed=280), _diabetes(seed=280), epochs=30, lr=3e-3,
                        optimizer="adamw", schedule="step", batch_size=16, weight_decay=1e-2, seed=280)),
    Case("r9_healthy_quantiles_dropout_batch256_s281",
         "a 3-layer dropout MLP on 4000 Gaussian-quantile points, Adam cosine, batch 256", None,
         lambda: _train(_mlp([4, 128, 128, 3], seed=281, dropout=0.1), _quantiles(n=4000, seed=281), epochs=20,
                        lr=3e-3, optimizer="adam", schedule="cosine", batch_size=256, seed=281, classes=3)),
    Case("r9_healthy_hastie_wide_sgdr_s282", "a 128-wide MLP on Hastie 10.2, momentum SGD with warm restarts, batch 128",
         None,
         lambda: _train(_mlp([10, 128, 128, 2], seed=282), _hastie(n=6000, seed=282), epochs=14, lr=0.05,
                        optimizer="momentum", schedule="sgdr", batch_size=128, seed=282, classes=2)),
    Case("r9_healthy_regression_deep_rmsprop_s283",
         "a 4-hidden-layer MLP on make_regression, RMSprop with cosine decay, batch 64", None,
         lambda: _train(_mlp([20, 64, 64, 64, 64, 1], squeeze=True, seed=283), _regression(n=4000, seed=283), epochs=12,
                        lr=1e-3, optimizer="rmsprop", schedule="cosine", seed=283)),
]

HELD_OUT_9: list[Case] = [Case(c.name, c.description, c.expected, c.train, c.acceptable, held_out=9) for c in _CASES_9]
CASES += HELD_OUT_9


# --------------------------------------------------------------------------------------------------------------
# Round 10: written blind like rounds 6-9 (the issue's definitions given), after round 9's change; a shorter round
# (28 cases) reusing the zoo's tasks and models in new combinations, plus a validation set of 10 samples and a last
# layer initialized far too large. Run once, as is.
#
# First run: recall 19/22 = 0.86, precision 26/29 = 0.90, no healthy run of 6 flagged. What its misses changed:
# dead_relu also with batches too small to prove silence alone (16 samples), when every measured batch shows it
# (s301). Left as misses: s299, s300, s305 (tests/test_zoo.py says why).

def _few_val(data, n: int):
    """The same task with only the first ``n`` validation samples kept (a validation set far too small)."""
    (xt, yt), (xv, yv) = data
    return xv[:n], yv[:n]


def _big_last_layer(model: nn.Module, gain: float) -> nn.Module:
    """The output layer's weight multiplied by ``gain`` (logits far from zero at the start)."""
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        last.weight.mul_(gain)
    return model


_CASES_10: list[Case] = [
    # ------------------------------------------------------------------------------------------- broken
    Case("r10_wine_momentum_diverges_s284",
         "Wine MLP with SGD+momentum at lr 1.5: the loss blows up to non-finite values in the first epoch.",
         "lr_too_high",
         lambda: _train(_mlp([13, 64, 64, 3], seed=284), _wine(seed=284), epochs=5, lr=1.5, optimizer="momentum",
                        batch_size=16, classes=3, seed=284),
         acceptable=("exploding_gradients", "dead_relu", "underfitting")),
    Case("r10_hastie_adam_chaotic_s285",
         "Hastie 10-2 MLP with Adam at lr 0.3 (a 300x too large step): the loss bounces at a poor level.",
         "lr_too_high",
         lambda: _train(_mlp([10, 64, 64, 2], seed=285), _hastie(seed=285), epochs=12, lr=0.3, optimizer="adam",
                        classes=2, seed=285),
         acceptable=("dead_relu", "underfitting", "plateau", "exploding_gradients", "batch_too_small")),
    Case("r10_friedman_onecycle_peak_too_high_s286",
         "Friedman #1 regression, SGD+nesterov on a one-cycle schedule whose peak lr (2.0) is far too high: "
         "the loss explodes as the LR warms up.",
         "lr_too_high",
         lambda: _train(_mlp([10, 64, 64, 1], seed=286, squeeze=True), _friedman(seed=286), epochs=10, lr=2.0,
                        optimizer="nesterov", schedule="onecycle", seed=286),
         acceptable=("exploding_gradients", "dead_relu")),
    Case("r10_digits_sgd_crawl_s287",
         "Digits MLP with plain SGD at lr 3e-4: the loss creeps down almost linearly, far from fitted.",
         "lr_too_low",
         lambda: _train(_mlp([64, 128, 10], seed=287), _digits(seed=287), epochs=12, lr=3e-4, optimizer="sgd",
                        batch_size=32, classes=10, seed=287),
         acceptable=("underfitting",)),
    Case("r10_swissroll_adamw_tiny_lr_s288",
         "Swiss-roll regression with AdamW at lr 3e-6: tiny updates, the loss barely moves.",
         "lr_too_low",
         lambda: _train(_mlp([3, 64, 64, 1], seed=288, squeeze=True), _swiss_roll(seed=288), epochs=10, lr=3e-6,
                        optimizer="adamw", seed=288),
         acceptable=("underfitting", "plateau")),
    Case("r10_circles_batch2_s289",
         "Circles MLP with plain SGD lr 0.02 on batches of 2: the per-step loss is pure jitter.",
         "batch_too_small",
         lambda: _train(_mlp([2, 32, 32, 2], seed=289), _circles(n=700, seed=289), epochs=4, lr=0.02,
                        optimizer="sgd", batch_size=2, classes=2, seed=289),
         acceptable=("lr_too_high",)),
    Case("r10_quantiles_rmsprop_batch1_s290",
         "Gaussian-quantiles MLP with RMSprop lr 1e-3 on batches of one sample: very noisy training loss.",
         "batch_too_small",
         lambda: _train(_mlp([4, 48, 48, 3], seed=290), _quantiles(n=900, seed=290), epochs=3, lr=1e-3,
                        optimizer="rmsprop", batch_size=1, classes=3, seed=290),
         acceptable=("lr_too_high", "underfitting")),
    Case("r10_digits_80_samples_wide_s291",
         "Digits with only 80 training images and a wide MLP trained with Adam for 60 epochs: training loss goes "
         "to zero while the validation loss turns up.",
         "overfitting",
         lambda: _train(_mlp([64, 256, 256, 10], seed=291), _tiny(_digits(seed=291), 80), epochs=60, lr=3e-3,
                        optimizer="adam", batch_size=16, classes=10, seed=291),
         acceptable=()),
    Case("r10_teacher_noisy_labels_memorized_s292",
         "Teacher task with 40% of the training labels randomized, a wide MLP and Adam for 40 epochs: it "
         "memorizes the noise, validation loss climbs.",
         "overfitting",
         lambda: _train(_mlp([10, 256, 256, 4], seed=292),
                        _noisy_train_labels(_teacher(n=1600, seed=292), 0.4, 4, 292), epochs=40, lr=2e-3,
                        optimizer="adam", classes=4, seed=292),
         acceptable=("unrepresentative_validation",)),
    Case("r10_circles_linear_s293",
         "A linear classifier on concentric circles: training and validation loss both stuck near ln 2.",
         "underfitting",
         lambda: _train(_mlp([2, 2], seed=293), _circles(seed=293), epochs=10, lr=1e-2, optimizer="adam",
                        classes=2, seed=293),
         acceptable=("plateau",)),
    Case("r10_spiral_width3_s294",
         "Three-arm spiral with a 3-unit-wide tanh MLP: too little capacity, both losses stay high and close.",
         "underfitting",
         lambda: _train(_mlp([2, 3, 3, 3], act=nn.Tanh, seed=294), _spiral(seed=294), epochs=12, lr=3e-3,
                        optimizer="adam", classes=3, seed=294),
         acceptable=("plateau",)),
    Case("r10_moons_val_rotated_s295",
         "Moons MLP whose validation points were rotated by 90 degrees (another distribution): validation loss "
         "far above training from the first epoch.",
         "unrepresentative_validation",
         lambda: _train(_mlp([2, 64, 64, 2], seed=295), _moons(seed=295), epochs=10, lr=3e-3, optimizer="adam",
                        classes=2, seed=295, val=_rotated(_moons(seed=295), 90.0)),
         acceptable=("overfitting",)),
    Case("r10_blobs_noisy_train_clean_val_s296",
         "Blobs with 50% of the training labels randomized but clean validation labels, small MLP: validation "
         "loss far below training loss.",
         "unrepresentative_validation",
         lambda: _train(_mlp([6, 32, 5], seed=296),
                        _noisy_train_labels(_blobs(seed=296, spread=1.5), 0.5, 5, 296), epochs=10, lr=3e-3,
                        optimizer="adam", classes=5, seed=296),
         acceptable=()),
    Case("r10_classification_val_of_10_s297",
         "make_classification MLP validated on only 10 samples: the validation loss jumps wildly from epoch to "
         "epoch compared with training.",
         "unrepresentative_validation",
         lambda: _train(_mlp([20, 64, 64, 3], seed=297), _classification(seed=297), epochs=12, lr=3e-3,
                        optimizer="adam", classes=3, seed=297, val=_few_val(_classification(seed=297), 10)),
         acceptable=()),
    Case("r10_teacher_deep_sigmoid_s298",
         "Ten sigmoid layers (default init) on the teacher task with SGD+momentum: gradients shrink by orders of "
         "magnitude toward the input, the early layers barely learn.",
         "vanishing_gradients",
         lambda: _train(_deep(10, 64, 10, 4, act=nn.Sigmoid, seed=298), _teacher(n=2000, seed=298), epochs=6, lr=0.05,
                        optimizer="momentum", classes=4, seed=298),
         acceptable=("underfitting", "plateau", "lr_too_low")),
    Case("r10_relu_rnn_recurrent_x2_s299",
         "ReLU RNN on window sums with the recurrent weights scaled 2.8x: gradients through time explode.",
         "exploding_gradients",
         lambda: _train(_RecurrentRegressor("relu", hidden=32, recurrent_scale=2.8, seed=299),
                        _window_sum(n=1200, length=30, seed=299), epochs=6, lr=1e-3, optimizer="sgd", seed=299),
         acceptable=("bad_initialization", "lr_too_high", "underfitting")),
    Case("r10_amplified_resmlp_s300",
         "A residual MLP (8 blocks) whose branch weights are amplified 2x, on ripple regression with SGD: the "
         "stream and its gradients grow geometrically with depth.",
         "exploding_gradients",
         lambda: _train(_amplified_res(6, 48, 8, 1, gain=2.0, seed=300, squeeze=True), _ripple(n=2000, seed=300), epochs=5,
                        lr=1e-4, optimizer="sgd", seed=300),
         acceptable=("bad_initialization", "lr_too_high", "underfitting")),
    Case("r10_wine_dead_biases_s301",
         "Wine MLP whose hidden biases start at -5: nearly every ReLU is off for every sample.",
         "dead_relu",
         lambda: _train(_kill_relus(_mlp([13, 64, 64, 3], seed=301), -5.0), _wine(seed=301), epochs=15, lr=1e-3,
                        optimizer="adam", batch_size=16, classes=3, seed=301),
         acceptable=("underfitting", "bad_initialization", "vanishing_gradients", "plateau")),
    Case("r10_cancer_tanh_std2_s302",
         "Breast-cancer tanh MLP (128 wide) initialized with weight std 2: hidden tanh units pinned at +-1.",
         "saturated_activations",
         lambda: _train(_init_weights(_mlp([30, 128, 128, 2], act=nn.Tanh, seed=302), 2.0, seed=302),
                        _breast_cancer(seed=302), epochs=12, lr=1e-3, optimizer="adam", batch_size=32, classes=2,
                        seed=302),
         acceptable=("bad_initialization", "exploding_gradients", "overfitting", "underfitting")),
    Case("r10_digits_relu_std05_s303",
         "Digits ReLU MLP (4 hidden layers of 128) with weight std 0.5: activations grow ~5x per layer, initial "
         "loss in the hundreds instead of ln 10.",
         "bad_initialization",
         lambda: _train(_init_weights(_deep(64, 128, 4, 10, seed=303), 0.5, seed=303), _digits(seed=303), epochs=8,
                        lr=1e-3, optimizer="adam", classes=10, seed=303),
         acceptable=("exploding_gradients", "overfitting", "underfitting")),
    Case("r10_cancer_raw_inputs_s304",
         "Breast-cancer MLP fed the raw features (areas in the thousands): the first layer acts as if initialized "
         "far too large.",
         "bad_initialization",
         lambda: _train(_mlp([30, 64, 64, 2], seed=304), _breast_cancer(seed=304, standardize=False), epochs=12,
                        lr=1e-3, optimizer="adam", batch_size=32, classes=2, seed=304),
         acceptable=("exploding_gradients", "dead_relu", "lr_too_high")),
    Case("r10_sectors_momentum_flat_s305",
         "Sectors MLP with SGD+momentum at a constant lr 0.1 for 30 epochs: the loss stops improving early and "
         "hovers; an LR decay would take it lower.",
         "plateau",
         lambda: _train(_mlp([2, 64, 64, 6], seed=305), _sectors(seed=305), epochs=30, lr=0.1,
                        optimizer="momentum", classes=6, seed=305),
         acceptable=("lr_too_high", "batch_too_small")),
    # ------------------------------------------------------------------------------------------- healthy
    Case("r10_digits_cnn_adam_s306",
         "Digits CNN with Adam lr 1e-3 and a cosine decay, 8 epochs: a good fit.",
         None,
         lambda: _train(_cnn(seed=306), _digits(seed=306), epochs=8, lr=2e-3, optimizer="adam", schedule="cosine",
                        classes=10, seed=306)),
    Case("r10_friedman_adamw_cosine_s307",
         "Friedman #1 MLP with AdamW 3e-3 and cosine decay: fits close to the noise level.",
         None,
         lambda: _train(_mlp([10, 64, 64, 1], seed=307, squeeze=True), _friedman(seed=307), epochs=20, lr=3e-3,
                        optimizer="adamw", schedule="cosine", seed=307)),
    Case("r10_tokens_embedding_s308",
         "Token-sentiment embedding network with Adam 3e-3, warmup-cosine, 12 epochs.",
         None,
         lambda: _train(_TokenNet(seed=308), _tokens(seed=308), epochs=12, lr=3e-3, optimizer="adam",
                        schedule="warmup_cosine", classes=2, seed=308)),
    Case("r10_motifs_conv1d_s309",
         "Motif classification with a 1-d CNN, Adam 2e-3 and cosine decay.",
         None,
         lambda: _train(_Conv1dNet(seed=309), _motifs(seed=309), epochs=10, lr=2e-3, optimizer="adam",
                        schedule="cosine", classes=3, seed=309)),
    Case("r10_scurve_nesterov_onecycle_s310",
         "S-curve regression MLP with SGD+nesterov on a one-cycle schedule peaking at 0.05.",
         None,
         lambda: _train(_mlp([3, 64, 64, 1], seed=310, squeeze=True), _s_curve(seed=310), epochs=15, lr=0.05,
                        optimizer="nesterov", schedule="onecycle", seed=310)),
    Case("r10_sequences_gru_s311",
         "GRU on the sum of the last 5 of 20 values with Adam 3e-3 and cosine decay.",
         None,
         lambda: _train(_RecurrentRegressor("gru", hidden=32, seed=311),
                        _window_sum(n=1200, length=20, start=-5, stop=0, seed=311), epochs=10, lr=3e-3,
                        optimizer="adam", schedule="cosine", seed=311)),
]

HELD_OUT_10: list[Case] = [Case(c.name, c.description, c.expected, c.train, c.acceptable, held_out=10) for c in _CASES_10]
CASES += HELD_OUT_10


# --------------------------------------------------------------------------------------------------------------
# Round 11: written blind like rounds 6-10 (the issue's definitions given), after the changes that round 10's and
# the older misses made (underfitting for a model its structure caps; unscaled inputs as bad_initialization; tiny
# updates under exploding gradients are the explosion's); run once, as is.
#
# New here: BatchNorm and LayerNorm networks, a GRU and a one-block self-attention classifier on tokens, Friedman
# #2/#3 and sparse-uncorrelated regression, optimizers built by hand (SGD momentum 0.99, Adam with eps=1), an LR
# step schedule dividing by 10 every epoch, L2 far too strong, an identity-initialized ReLU RNN, norm-layer shifts
# and gains, a validation set of one class.
#
# First run: recall 16/22 = 0.73, precision 24/27 = 0.89, no healthy run of 6 flagged. What its misses changed:
# only a finding that stands explains another (s326: the LR explained the jitter, which had explained away the
# gradients' explosion); lr_too_low for a slow straight decline under updates below 1e-3 even past the constant
# prediction's loss (s315, Adam with eps=1), and for a schedule that holds the LR under 1/1000 of its peak for the
# second half while the loss froze (s316); a loss that climbs back while the weights shrink is regularization, not
# the LR (s321, L2 0.3); a mostly dead layer's scale says nothing of the initialization (s327); validation "far
# below" training must be so on three epochs in four (s333, a BatchNorm net whose validation jumps 10x). Left as a
# miss: s314 (tests/test_zoo.py says why).

# ---------------------------------------------------------------------------------------------- data
@functools.lru_cache(maxsize=None)
def _friedman2(n: int = 2400, noise: float = 0.0, seed: int = 0, standardize: bool = True):
    """Regression: Friedman #2 (``make_friedman2``: 4 inputs on very different scales, 0-100, 40pi-560pi, 0-1,
    1-11), target standardized; with ``standardize=False`` the inputs as generated."""
    from sklearn.datasets import make_friedman2

    x, y = make_friedman2(n, noise=noise, random_state=seed)
    return _standardized_target(_split(x, y, n // 4, seed, standardize))


@functools.lru_cache(maxsize=None)
def _friedman3(n: int = 2400, noise: float = 0.0, seed: int = 0):
    """Regression: Friedman #3 (``make_friedman3``, an arctan of the same 4 inputs), inputs and target standardized."""
    from sklearn.datasets import make_friedman3

    x, y = make_friedman3(n, noise=noise, random_state=seed)
    return _standardized_target(_split(x, y, n // 4, seed))


@functools.lru_cache(maxsize=None)
def _sparse_linear(n: int = 2400, features: int = 10, seed: int = 0):
    """Regression: ``make_sparse_uncorrelated`` (4 of ``features`` Gaussian inputs enter linearly, unit noise),
    target standardized."""
    from sklearn.datasets import make_sparse_uncorrelated

    x, y = make_sparse_uncorrelated(n, n_features=features, random_state=seed)
    return _standardized_target(_split(x, y, n // 4, seed))


def _only_class(data, label: int):
    """The validation samples of one class only."""
    (xt, yt), (xv, yv) = data
    keep = yv == label
    return xv[keep], yv[keep]


# ------------------------------------------------------------------------------------------------ models
class _TinyAttention(nn.Module):
    """Token classifier: embedding plus learned positions, one single-head self-attention block (q, k, v and
    output projections, residual, LayerNorm), a ReLU feed-forward block with residual and LayerNorm, mean pooling
    and a linear head."""

    def __init__(self, vocab: int = 50, length: int = 24, dim: int = 32, classes: int = 2, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(length, dim) * 0.1)
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.head = nn.Linear(dim, classes)
        self.scale = 1.0 / math.sqrt(dim)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.embed(tokens) + self.pos[: tokens.shape[1]]
        att = torch.softmax(self.q(h) @ self.k(h).transpose(1, 2) * self.scale, dim=-1)
        h = self.norm1(h + self.o(att @ self.v(h)))
        h = self.norm2(h + self.ff(h))
        return self.head(h.mean(1))


class _GRUClassifier(nn.Module):
    """Token classifier: embedding, a one-layer GRU, a linear head on the last hidden state."""

    def __init__(self, vocab: int = 50, dim: int = 16, hidden: int = 32, classes: int = 2, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.embed = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(tokens))
        return self.head(out[:, -1])


def _scaled_init(model: nn.Module, gain: float, seed: int = 0, layers: tuple[type[nn.Module], ...] = (nn.Linear,)) -> nn.Module:
    """Every weight of the ``layers`` kinds drawn Kaiming-normal (std sqrt(2/fan_in)) times ``gain``, biases zero."""
    torch.manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, layers):
            fan_in = nn.init._calculate_fan_in_and_fan_out(m.weight)[0]
            nn.init.normal_(m.weight, 0.0, gain * math.sqrt(2.0 / fan_in))
            nn.init.zeros_(m.bias)
    return model


def _norm_shift(model: nn.Module, weight: float | None = None, bias: float | None = None) -> nn.Module:
    """Every BatchNorm/LayerNorm's affine weight (gain) and/or bias (shift) set to the given value."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.LayerNorm)):
                if weight is not None:
                    m.weight.fill_(weight)
                if bias is not None:
                    m.bias.fill_(bias)
    return model


def _with_optimizer(make_model, data, make_opt, **kw):
    """Train through ``_train`` with a torch optimizer built by ``make_opt(model)`` (options the names lack)."""
    model = make_model()
    return _train(model, data, optimizer=make_opt(model), **kw)


@functools.lru_cache(maxsize=None)
def _friedman2_shifted_val(n: int = 2400, seed: int = 0, col: int = 0, low: float = 100.0, high: float = 200.0):
    """Friedman #2 whose validation samples have input ``col`` drawn from [``low``, ``high``] instead of its training
    range (0-100, 40pi-560pi, 0-1, 1-11): a validation set from a shifted range, standardized with the training
    statistics (inputs and target)."""
    from sklearn.datasets import make_friedman2

    x, y = make_friedman2(n, noise=0.0, random_state=seed)
    perm = np.random.default_rng(seed).permutation(n)
    train = perm[n // 4:]
    xv, _ = make_friedman2(n // 4, noise=0.0, random_state=seed + 1000)
    xv[:, col] = np.random.default_rng(seed + 1000).uniform(low, high, n // 4)
    yv = np.sqrt(xv[:, 0] ** 2 + (xv[:, 1] * xv[:, 2] - 1 / (xv[:, 1] * xv[:, 3])) ** 2)
    mean, std = x[train].mean(0), x[train].std(0)
    xs = ((x[train] - mean) / std).astype(np.float32)
    xvs = ((xv - mean) / std).astype(np.float32)
    return _standardized_target(((xs, y[train]), (xvs, yv)))




class _IRNN(nn.Module):
    """A ReLU RNN whose recurrent weights start as ``scale`` times the identity (Le et al.'s IRNN recipe), a linear
    head on the last hidden state."""

    def __init__(self, hidden: int = 32, scale: float = 1.0, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.rnn = nn.RNN(1, hidden, nonlinearity="relu", batch_first=True)
        self.head = nn.Linear(hidden, 1)
        with torch.no_grad():
            self.rnn.weight_hh_l0.copy_(scale * torch.eye(hidden))
            self.rnn.bias_hh_l0.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).squeeze(-1)


def _sgd_momentum(lr: float, momentum: float = 0.99):
    """A hand-built SGD with the given momentum (the optimizer names stop at 0.9)."""
    return lambda model: torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)


def _adam_eps(lr: float, eps: float):
    """A hand-built Adam with the given ``eps``."""
    return lambda model: torch.optim.Adam(model.parameters(), lr=lr, eps=eps)


_CASES_11: list[Case] = [
    # ------------------------------------------------------------------------------------------- broken
    Case("r11_deep_relu_momentum_lr03_s312",
         "An 8-hidden-layer He-initialized ReLU MLP on digits with SGD+momentum at a constant lr 0.3 and no warmup: "
         "the loss blows up to non-finite values in the second epoch.",
         "lr_too_high",
         lambda: _train(_scaled_init(_deep(64, 64, 8, 10, seed=312), 1.0, seed=312), _digits(seed=312), epochs=6,
                        lr=0.3, optimizer="momentum", classes=10, seed=312),
         acceptable=("exploding_gradients", "dead_relu")),
    Case("r11_friedman3_momentum_099_s313",
         "Friedman #3 MLP with SGD at lr 0.05 and momentum 0.99 (an effective step of 5): the training and "
         "validation losses swing up and down by 5-10x from epoch to epoch.",
         "lr_too_high",
         lambda: _with_optimizer(lambda: _mlp([4, 64, 64, 1], seed=313, squeeze=True), _friedman3(seed=313),
                                 _sgd_momentum(0.05), epochs=12, lr=0.05, seed=313),
         acceptable=("dead_relu",)),
    Case("r11_attention_adam_lr005_s314",
         "A one-block self-attention classifier on token sequences with Adam at lr 0.05: layer outputs "
         "grow 10-150x, the loss jumps to 1.6 in the first steps and then sits at ln 2, the accuracy at chance.",
         "lr_too_high",
         lambda: _train(_TinyAttention(seed=314), _tokens(n=1200, seed=314), epochs=6, lr=0.05, optimizer="adam",
                        classes=2, seed=314),
         acceptable=("underfitting",)),
    Case("r11_digits_adam_eps1_s315",
         "Digits MLP with Adam at lr 1e-3 but eps=1.0 (larger than the gradients' RMS): the updates are tiny and "
         "the loss creeps down linearly.",
         "lr_too_low",
         lambda: _with_optimizer(lambda: _mlp([64, 128, 10], seed=315), _digits(seed=315), _adam_eps(1e-3, 1.0),
                                 epochs=8, lr=1e-3, classes=10, seed=315),
         acceptable=("underfitting",)),
    Case("r11_friedman_step_decay_every_epoch_s316",
         "Friedman #1 MLP with SGD+momentum at lr 0.01 on a step schedule dividing the LR by 10 every epoch: from "
         "the fourth epoch on the LR is 1e-5 or less and the loss freezes while it was still falling fast.",
         "lr_too_low",
         lambda: _train(_mlp([10, 64, 64, 1], seed=316, squeeze=True), _friedman(seed=316), epochs=8, lr=0.01,
                        optimizer="momentum", schedule="step:every=1,factor=0.1", seed=316),
         acceptable=("underfitting",)),
    Case("r11_wine_batchnorm_batch4_s317",
         "A BatchNorm MLP on wine trained with plain SGD on batches of 4: batch statistics of 4 samples make the "
         "per-step loss jump wildly.",
         "batch_too_small",
         lambda: _train(_mlp([13, 32, 32, 3], norm="batch", seed=317), _wine(seed=317), epochs=8, lr=0.05,
                        optimizer="sgd", batch_size=4, classes=3, seed=317),
         acceptable=()),
    Case("r11_friedman3_layernorm_adam_batch1_s318",
         "A LayerNorm MLP on Friedman #3 with Adam lr 1e-3 on batches of one sample: the per-step loss spans "
         "orders of magnitude.",
         "batch_too_small",
         lambda: _train(_mlp([4, 64, 64, 1], norm="layer", seed=318, squeeze=True), _friedman3(n=280, seed=318),
                        epochs=3, lr=1e-3, optimizer="adam", batch_size=1, seed=318),
         acceptable=()),
    Case("r11_attention_150_sequences_s319",
         "The self-attention classifier trained on only 150 token sequences for 20 epochs with Adam: training loss "
         "goes to ~0 while the validation loss turns up.",
         "overfitting",
         lambda: _train(_TinyAttention(seed=319), _tokens(n=1000, seed=319, n_train=150), epochs=20, lr=3e-3,
                        optimizer="adam", batch_size=16, classes=2, seed=319),
         acceptable=()),
    Case("r11_friedman2_120_rows_wide_s320",
         "Friedman #2 with noise, only 120 training rows and a 256-wide MLP trained 45 epochs with Adam: training "
         "loss keeps falling while the validation loss creeps up.",
         "overfitting",
         lambda: _train(_mlp([4, 256, 256, 1], seed=320, squeeze=True), _tiny(_friedman2(noise=150.0, seed=320), 120),
                        epochs=45, lr=3e-3, optimizer="adam", batch_size=16, seed=320),
         acceptable=()),
    Case("r11_moons_adam_l2_03_s321",
         "Moons MLP with Adam and a coupled L2 penalty of 0.3 (weight_decay=0.3): the weights are pulled to zero, "
         "training and validation loss both drift back up toward ln 2.",
         "underfitting",
         lambda: _train(_mlp([2, 64, 64, 2], seed=321), _moons(seed=321), epochs=10, lr=3e-3, optimizer="adam",
                        weight_decay=0.3, classes=2, seed=321),
         acceptable=()),
    Case("r11_tokens_gru_hidden2_s322",
         "A GRU classifier with only 2 hidden units on token sequences, Adam at 0.03 (update ratios 0.02-0.05): "
         "training and validation loss stay together near ln 2 for five epochs and are still falling, far from "
         "fitted, when training ends.",
         "underfitting",
         lambda: _train(_GRUClassifier(hidden=2, seed=322), _tokens(n=1200, seed=322), epochs=8, lr=0.03,
                        optimizer="adam", classes=2, seed=322),
         acceptable=()),
    Case("r11_digits_val_only_sixes_s323",
         "Digits MLP validated only on the images of the digit 6 (an easy class): the validation loss ends at a "
         "quarter of the training loss.",
         "unrepresentative_validation",
         lambda: _train(_mlp([64, 128, 10], seed=323), _digits(seed=323), epochs=8, lr=1e-3, optimizer="adam",
                        classes=10, seed=323, val=_only_class(_digits(seed=323), 6)),
         acceptable=()),
    Case("r11_friedman2_val_shifted_range_s324",
         "Friedman #2 MLP validated on samples whose third input lies in [1, 1.5] instead of the training range "
         "[0, 1]: validation loss tens of times the training loss from the first epoch.",
         "unrepresentative_validation",
         lambda: _train(_mlp([4, 64, 64, 1], seed=324, squeeze=True),
                        _friedman2_shifted_val(seed=324, col=2, low=1.0, high=1.5), epochs=10, lr=3e-3,
                        optimizer="adam", seed=324),
         acceptable=()),
    Case("r11_sparse_linear_sigmoid10_s325",
         "Ten sigmoid layers (default init) on sparse-uncorrelated linear regression with SGD+momentum: the "
         "gradient shrinks ~7x per layer toward the input and the loss stays at the constant prediction's.",
         "vanishing_gradients",
         lambda: _train(_deep(10, 48, 10, 1, act=nn.Sigmoid, seed=325, squeeze=True), _sparse_linear(seed=325),
                        epochs=8, lr=0.05, optimizer="momentum", seed=325),
         acceptable=("underfitting",)),
    Case("r11_irnn_identity_101_s326",
         "A ReLU RNN whose recurrent weights start at 1.01 x identity (an IRNN without gradient clipping) on "
         "40-step sequences with SGD: gradient norms of tens to 1e14, the loss jumps by orders of magnitude and "
         "ends non-finite.",
         "exploding_gradients",
         lambda: _train(_IRNN(32, 1.01, seed=326), _window_sum(n=1200, length=40, start=-5, stop=0, seed=326),
                        epochs=6, lr=1e-3, optimizer="sgd", seed=326),
         acceptable=("lr_too_high", "bad_initialization")),
    Case("r11_hastie_batchnorm_shift_minus3_s327",
         "A BatchNorm MLP on Hastie 10-2 whose BatchNorm shifts start at -3: the normalized pre-activations sit "
         "three standard deviations below zero and nearly every first-layer ReLU is off.",
         "dead_relu",
         lambda: _train(_norm_shift(_mlp([10, 64, 64, 2], norm="batch", seed=327), bias=-3.0), _hastie(seed=327),
                        epochs=8, lr=1e-3, optimizer="adam", classes=2, seed=327),
         acceptable=("underfitting",)),
    Case("r11_wine_layernorm_gain5_tanh_s328",
         "A tanh MLP on wine whose LayerNorm gains start at 5: the tanh inputs have std 5 and 60-70% of the "
         "units sit at +-1.",
         "saturated_activations",
         lambda: _train(_norm_shift(_mlp([13, 64, 64, 3], act=nn.Tanh, norm="layer", seed=328), weight=5.0),
                        _wine(seed=328), epochs=20, lr=1e-3, optimizer="adam", batch_size=16, classes=3, seed=328),
         acceptable=()),
    Case("r11_iris_functional_sigmoid_bias6_s329",
         "An MLP calling torch.sigmoid in forward, hidden biases set to +6, on iris with SGD+momentum: every "
         "hidden unit outputs ~1, the first layer's gradient is ~1e-6 and nothing is learned.",
         "saturated_activations",
         lambda: _train(_kill_relus(_FunctionalMLP([4, 32, 32, 3], "sigmoid", seed=329), 6.0), _iris(seed=329),
                        epochs=30, lr=0.01, optimizer="momentum", batch_size=16, classes=3, seed=329),
         acceptable=("vanishing_gradients", "underfitting")),
    Case("r11_friedman2_raw_inputs_s330",
         "Friedman #2 with its inputs as generated (0-100, 125-1760, 0-1, 1-11) into a ReLU MLP: first-layer "
         "outputs of std ~300, an initial loss in the hundreds to thousands against a constant-prediction loss of 1.",
         "bad_initialization",
         lambda: _train(_mlp([4, 64, 64, 1], seed=330, squeeze=True), _friedman2(seed=330, standardize=False),
                        epochs=10, lr=1e-3, optimizer="adam", seed=330),
         acceptable=("exploding_gradients", "underfitting", "dead_relu")),
    Case("r11_digits_logits_x50_s331",
         "Digits MLP whose output layer's weights are multiplied by 50: logits of std ~11 and an initial loss "
         "near 13 against ln 10 = 2.3.",
         "bad_initialization",
         lambda: _train(_big_last_layer(_mlp([64, 64, 10], seed=331), 50.0), _digits(seed=331), epochs=6, lr=1e-3,
                        optimizer="adam", classes=10, seed=331),
         acceptable=("exploding_gradients", "overfitting")),
    Case("r11_friedman3_leaky_deep_gain13_s332",
         "A 10-hidden-layer LeakyReLU MLP initialized at 1.3x the He scale on Friedman #3 with SGD: activation std "
         "grows ~1.3x per layer, the initial loss is ~40x the constant prediction's and spikes into the thousands.",
         "bad_initialization",
         lambda: _train(_scaled_init(_deep(4, 64, 10, 1, act=nn.LeakyReLU, seed=332, squeeze=True), 1.3, seed=332),
                        _friedman3(seed=332), epochs=6, lr=1e-4, optimizer="sgd", seed=332),
         acceptable=("exploding_gradients", "lr_too_high")),
    Case("r11_friedman_batchnorm_constant_lr_s333",
         "A BatchNorm MLP on Friedman #1 with SGD+momentum at a constant lr 0.1: after a few epochs the loss "
         "hovers at a noisy floor that a decaying LR goes well below.",
         "plateau",
         lambda: _train(_mlp([10, 64, 64, 1], norm="batch", seed=333, squeeze=True), _friedman(n=2000, seed=333),
                        epochs=16, lr=0.1, optimizer="momentum", seed=333),
         acceptable=("lr_too_high",)),
    # ------------------------------------------------------------------------------------------- healthy
    Case("r11_cancer_batchnorm_adam_cosine_s334",
         "A BatchNorm MLP on breast cancer with Adam 1e-3, batches of 32, cosine decay: healthy.",
         None,
         lambda: _train(_mlp([30, 64, 64, 2], norm="batch", seed=334), _breast_cancer(seed=334), epochs=15, lr=1e-3,
                        optimizer="adam", batch_size=32, schedule="cosine", classes=2, seed=334)),
    Case("r11_tokens_attention_warmup_cosine_s335",
         "The self-attention classifier on 900 token sequences with Adam and warmup + cosine: healthy.",
         None,
         lambda: _train(_TinyAttention(seed=335), _tokens(n=1200, seed=335), epochs=8, lr=5e-3, optimizer="adam",
                        schedule="warmup_cosine", classes=2, seed=335)),
    Case("r11_tokens_gru_adam_s336",
         "A 32-unit GRU classifier on 16-token sequences with Adam 5e-3 and cosine decay: healthy.",
         None,
         lambda: _train(_GRUClassifier(hidden=32, seed=336), _tokens(n=1600, length=16, seed=336), epochs=8, lr=5e-3,
                        optimizer="adam", schedule="cosine", classes=2, seed=336)),
    Case("r11_friedman2_adamw_cosine_s337",
         "Friedman #2 (standardized) with a 64-64 MLP, AdamW 3e-3 and cosine decay: healthy.",
         None,
         lambda: _train(_mlp([4, 64, 64, 1], seed=337, squeeze=True), _friedman2(seed=337), epochs=12, lr=3e-3,
                        optimizer="adamw", schedule="cosine", seed=337)),
    Case("r11_sparse_linear_layernorm_gelu_nesterov_s338",
         "A LayerNorm GELU MLP on sparse-uncorrelated regression with Nesterov SGD 0.01 and cosine decay: healthy "
         "(the loss floor is the unit noise, ~0.08 of the target variance).",
         None,
         lambda: _train(_mlp([10, 64, 64, 1], act=nn.GELU, norm="layer", seed=338, squeeze=True),
                        _sparse_linear(seed=338), epochs=10, lr=0.01, optimizer="nesterov", schedule="cosine",
                        seed=338)),
    Case("r11_digits_cnn_weight_decay_step_s339",
         "The digits CNN (8 and 16 channels) with SGD+momentum 0.05, weight decay 5e-4 and a step schedule halving "
         "the LR every 3 epochs: healthy.",
         None,
         lambda: _train(_cnn(seed=339, channels=(8, 16)), _digits(seed=339), epochs=8, lr=0.05, optimizer="momentum",
                        weight_decay=5e-4, schedule="step:every=3", classes=10, seed=339)),
]

HELD_OUT_11: list[Case] = [Case(c.name, c.description, c.expected, c.train, c.acceptable, held_out=11) for c in _CASES_11]
CASES += HELD_OUT_11


# --------------------------------------------------------------------------------------------------------------
# Round 12: written blind like rounds 6-11 (the issue's definitions given), after round 11's changes and the token
# comparison (validation tokens whose ids training never showed); run once, as is.
#
# New here: digits CNNs with BatchNorm and stride-2 convolutions, a six-layer sigmoid CNN, a tanh CNN, a 20-layer
# BatchNorm MLP, an embedding over a five-token vocabulary, a model calling F.gelu; Adagrad far above and below its
# default LR, a triangular cyclical schedule peaking far too high, an exponential decay collapsing the LR in the
# first epoch, AdamW with far too much weight decay; a 90/10 class imbalance (with a balanced validation set),
# training rows duplicated ten times, validation targets in another unit, 0-255 pixels, a regression head whose
# bias starts at the raw target mean, a one-unit bottleneck.
#
# First run: recall 15/20 = 0.75, precision 19/22 = 0.86, no healthy run of 6 flagged. What its misses changed:
# validation at twice the first epoch's training loss is unrepresentative — that loss scores every batch before
# training on it, so it measures unseen data of the training distribution, and no run overfits in its first epoch
# (s351, validation targets x3; s352, a balanced validation set for a 90/10 training set); "worse than learning
# nothing" is not read when validation beat that loss first on inputs found alike, overfitting's shape (s348). Left
# as misses: s343, s354 (tests/test_zoo.py says why).

# ---------------------------------------------------------------------------------------------- data
@functools.lru_cache(maxsize=None)
def _imbalanced(n: int = 2400, minority: float = 0.1, seed: int = 0, balanced_val: bool = False, sep: float = 1.0):
    """Two classes in proportions ``1 - minority`` / ``minority`` (``make_classification``: 12 features, 5
    informative, 2% flipped labels, class separation ``sep``), inputs standardized. With ``balanced_val`` the
    validation set holds as many samples of each class (more samples drawn from the same generator) while the
    training set keeps the imbalanced mix."""
    from sklearn.datasets import make_classification

    x, y = make_classification(3 * n, n_features=12, n_informative=5, n_redundant=2, n_classes=2,
                               n_clusters_per_class=2, weights=[1 - minority], flip_y=0.02, class_sep=sep,
                               random_state=seed)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(x))
    x, y = x[perm], y[perm]
    n_val = n // 4
    train = np.arange(n_val, n)
    if balanced_val:
        rest = np.arange(n, len(x))
        val = np.concatenate([rest[y[rest] == 0][: n_val // 2], rest[y[rest] == 1][: n_val // 2]])
    else:
        val = np.arange(n_val)
    mean, std = x[train].mean(0), x[train].std(0)
    xs = ((x - mean) / std).astype(np.float32)
    return (xs[train], y[train].astype(np.int64)), (xs[val], y[val].astype(np.int64))


def _duplicated(data, unique: int, copies: int):
    """Only ``unique`` distinct training rows, each repeated ``copies`` times (a data set padded with duplicates)."""
    (xt, yt), val = data
    return (np.tile(xt[:unique], (copies,) + (1,) * (xt.ndim - 1)), np.tile(yt[:unique], copies)), val


def _scaled_val_target(data, factor: float):
    """Regression whose validation targets are multiplied by ``factor`` (another unit than the training targets)."""
    (xt, yt), (xv, yv) = data
    return xv, (yv * np.float32(factor)).astype(np.float32)


@functools.lru_cache(maxsize=None)
def _digits_scaled(seed: int = 0, scale: float = 1.0):
    """Digits with the pixels as they are (0-16) times ``scale``, not standardized: ``scale=1/16`` gives [0, 1]
    intensities, ``scale=16`` the 0-255 range of 8-bit images."""
    from sklearn.datasets import load_digits

    d = load_digits()
    (xt, yt), (xv, yv) = _split(d.data.astype(np.float64), d.target.astype(np.int64), 360, seed, standardize=False)
    return (xt * np.float32(scale), yt), (xv * np.float32(scale), yv)


@functools.lru_cache(maxsize=None)
def _majority_token(n: int = 2000, vocab: int = 5, length: int = 15, seed: int = 0):
    """Sequences of ``length`` tokens from a vocabulary of ``vocab``; the class is the most frequent token (ties to
    the smallest id)."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(vocab, 2.0), n)
    x = np.stack([rng.choice(vocab, length, p=pi) for pi in p]).astype(np.int64)
    counts = np.stack([(x == v).sum(1) for v in range(vocab)], 1)
    y = counts.argmax(1).astype(np.int64)
    n_val = n // 4
    return (x[n_val:], y[n_val:]), (x[:n_val], y[:n_val])



# ------------------------------------------------------------------------------------------------ models
class _StridedBNCNN(nn.Module):
    """Digits CNN: a 3x3 conv, then two stride-2 3x3 convs (8x8 -> 4x4 -> 2x2), each followed by BatchNorm2d
    and ReLU, then a linear head."""

    def __init__(self, channels: tuple[int, int, int] = (16, 32, 32), seed: int = 0, batchnorm: bool = True) -> None:
        super().__init__()
        torch.manual_seed(seed)
        c1, c2, c3 = channels
        norm = (lambda c: nn.BatchNorm2d(c)) if batchnorm else (lambda c: nn.Identity())
        self.net = nn.Sequential(
            nn.Unflatten(1, (1, 8, 8)),
            nn.Conv2d(1, c1, 3, padding=1), norm(c1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), norm(c2), nn.ReLU(),
            nn.Conv2d(c2, c3, 3, stride=2, padding=1), norm(c3), nn.ReLU(),
            nn.Flatten(), nn.Linear(c3 * 4, 10),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class _DeepCNN(nn.Module):
    """Digits CNN of ``depth`` 3x3 convs (``channels`` channels, padding 1, no pooling) with ``act`` after each,
    global average pooling and a linear head."""

    def __init__(self, depth: int = 6, channels: int = 16, act=nn.ReLU, seed: int = 0, dropout: float = 0.0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        layers: list[nn.Module] = [nn.Unflatten(1, (1, 8, 8))]
        c = 1
        for _ in range(depth):
            layers += [nn.Conv2d(c, channels, 3, padding=1), act()]
            c = channels
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(channels, 10))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _head_bias(model: nn.Module, value: float) -> nn.Module:
    """The output layer's bias set to ``value``."""
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        last.bias.fill_(value)
    return model


def _uniform_first(model: nn.Module, low: float, high: float, seed: int = 0) -> nn.Module:
    """The first linear layer's weights drawn uniform on [``low``, ``high``], its bias zero."""
    torch.manual_seed(seed + 1)
    first = [m for m in model.modules() if isinstance(m, nn.Linear)][0]
    with torch.no_grad():
        first.weight.uniform_(low, high)
        first.bias.zero_()
    return model


_CASES_12: list[Case] = [
    # ------------------------------------------------------------------------------------------- broken
    Case("r12_digits_bncnn_momentum_lr2_s340",
         "A digits CNN with BatchNorm and stride-2 convolutions trained with SGD+momentum at lr 2.0: BatchNorm keeps "
         "it finite, but the validation loss jumps to ~47 after the first epoch and the accuracy ends at chance "
         "(9%) with 97% of the last ReLUs dead.",
         "lr_too_high",
         lambda: _train(_StridedBNCNN(seed=340), _digits(seed=340), epochs=4, lr=2.0, optimizer="momentum", classes=10,
                        seed=340),
         acceptable=("dead_relu", "underfitting")),
    Case("r12_waves_cyclic_peak_1_s341",
         "Waves regression with SGD+momentum on a triangular cyclical schedule between 0.1 and 1.0 (about 30x too "
         "high): the loss swings above the constant prediction's and the second ReLU layer ends entirely dead.",
         "lr_too_high",
         lambda: _train(_mlp([8, 64, 64, 1], seed=341, squeeze=True), _waves(n=2400, seed=341), epochs=8, lr=1.0,
                        optimizer="momentum", schedule="cyclic", seed=341),
         acceptable=("dead_relu", "underfitting")),
    Case("r12_quantiles_gelu_adagrad_lr1_s342",
         "A Gaussian-quantiles MLP calling F.gelu in forward, trained with Adagrad at lr 1.0 (100x its default): the "
         "loss jumps to hundreds in the first steps, and the validation loss keeps jumping between 0.16 and 0.65.",
         "lr_too_high",
         lambda: _train(_FunctionalMLP([4, 64, 64, 3], "gelu", seed=342), _quantiles(seed=342), epochs=8, lr=1.0,
                        optimizer="adagrad", classes=3, seed=342),
         acceptable=("exploding_gradients",)),
    Case("r12_digits_wide_adagrad_1e4_s343",
         "A wide-shallow digits MLP (one hidden layer of 1024) with Adagrad at lr 1e-4 (100x below its default): "
         "update ratios ~5e-4, the loss creeps from 2.33 to 2.0 in five epochs.",
         "lr_too_low",
         lambda: _train(_mlp([64, 1024, 10], seed=343), _digits(seed=343), epochs=5, lr=1e-4, optimizer="adagrad",
                        classes=10, seed=343),
         acceptable=("underfitting",)),
    Case("r12_scurve_exp_decay_088_s344",
         "S-curve regression with Adam 3e-3 on an exponential schedule with gamma 0.88 per step: the LR falls 100x "
         "within the first epoch and below 1e-7 in the second, and the loss freezes at ~0.17 for the last seven "
         "epochs (a constant LR reaches 0.004).",
         "lr_too_low",
         lambda: _train(_mlp([3, 64, 64, 1], seed=344, squeeze=True), _s_curve(seed=344), epochs=8, lr=3e-3,
                        optimizer="adam", schedule="exp:gamma=0.88", seed=344),
         acceptable=("underfitting",)),
    Case("r12_digits_bncnn_batch2_s345",
         "The BatchNorm digits CNN trained on 300 images with SGD+momentum on batches of 2: batch statistics of two "
         "samples make the per-step loss jump between ~0.002 and 4.4.",
         "batch_too_small",
         lambda: _train(_StridedBNCNN(seed=345), _tiny(_digits(seed=345), 300), epochs=2, lr=0.01, optimizer="momentum",
                        batch_size=2, classes=10, seed=345),
         acceptable=()),
    Case("r12_majority_tokens_adagrad_batch1_s346",
         "An embedding bag over a five-token vocabulary (class: the most frequent token) trained with Adagrad 0.05 on "
         "batches of one sequence: the per-step loss spans orders of magnitude.",
         "batch_too_small",
         lambda: _train(_TokenNet(vocab=5, dim=8, classes=5, seed=346), _majority_token(n=640, seed=346), epochs=2, lr=0.05, optimizer="adagrad",
                        batch_size=1, classes=5, seed=346),
         acceptable=()),
    Case("r12_classification_80_rows_x10_s347",
         "make_classification with only 80 distinct training rows, each duplicated ten times, and a 256-wide MLP "
         "trained with Adam: training loss goes to ~0 while the validation loss climbs from its minimum at epoch 3.",
         "overfitting",
         lambda: _train(_mlp([20, 256, 256, 3], seed=347), _duplicated(_classification(seed=347), 80, 10), epochs=12,
                        lr=1e-3, optimizer="adam", classes=3, seed=347),
         acceptable=()),
    Case("r12_imbalanced_200_rows_wide_s348",
         "A 90/10 imbalanced binary task with only 200 training rows (about 20 of the minority class) and a 256-wide "
         "MLP trained 30 epochs: the validation loss bottoms out within five epochs and then climbs to over twice the "
         "constant prediction's while the training loss goes to ~0.",
         "overfitting",
         lambda: _train(_mlp([12, 256, 256, 2], seed=348), _tiny(_imbalanced(seed=348), 200), epochs=30, lr=2e-3,
                        optimizer="adam", batch_size=16, classes=2, seed=348),
         acceptable=()),
    Case("r12_spiral_adamw_wd5_s349",
         "Three-arm spiral MLP with AdamW at lr 1e-2 and decoupled weight decay 5.0 (every step shrinks the weights "
         "by 5%): training and validation losses stay together near 1.0 (ln 3 = 1.1), the accuracy near 40%.",
         "underfitting",
         lambda: _train(_mlp([2, 64, 64, 3], seed=349), _spiral(seed=349), epochs=10, lr=1e-2, optimizer="adamw",
                        weight_decay=5.0, classes=3, seed=349),
         acceptable=()),
    Case("r12_digits_bottleneck_1_s350",
         "A digits MLP with a one-unit bottleneck in the middle (64-128-1-128-10): ten classes through one number, "
         "training and validation losses stay near 1.3-1.4 (about 45% accuracy).",
         "underfitting",
         lambda: _train(_mlp([64, 128, 1, 128, 10], seed=350), _digits(seed=350), epochs=10, lr=3e-3, optimizer="adam",
                        classes=10, seed=350),
         acceptable=()),
    Case("r12_swissroll_val_targets_x3_s351",
         "Swiss-roll regression whose validation targets are three times the training ones (another unit): the "
         "validation loss stays ~500x the training loss from the first epoch.",
         "unrepresentative_validation",
         lambda: _train(_mlp([3, 64, 64, 1], seed=351, squeeze=True), _swiss_roll(seed=351), epochs=8, lr=3e-3,
                        optimizer="adam", seed=351, val=_scaled_val_target(_swiss_roll(seed=351), 3.0)),
         acceptable=()),
    Case("r12_imbalanced_balanced_val_s352",
         "A model trained on a 90/10 class mix but validated on a 50/50 one: the validation loss is four to seven "
         "times the training loss, near ln 2 for the whole run, and jumps about from epoch to epoch.",
         "unrepresentative_validation",
         lambda: _train(_mlp([12, 64, 64, 2], seed=352), _imbalanced(seed=352, balanced_val=True), epochs=10, lr=2e-3,
                        optimizer="adam", classes=2, seed=352),
         acceptable=()),
    Case("r12_digits_sigmoid_cnn6_s353",
         "A six-conv sigmoid CNN (8 channels, default init, global average pooling) on digits with SGD+momentum 0.05: "
         "the gradient shrinks by five to six orders of magnitude from the head to the first conv (~2e-6 of the "
         "head's) and the loss stays at ln 10.",
         "vanishing_gradients",
         lambda: _train(_DeepCNN(6, 8, act=nn.Sigmoid, seed=353), _digits(seed=353), epochs=2, lr=0.05,
                        optimizer="momentum", classes=10, seed=353),
         acceptable=("underfitting", "plateau", "lr_too_low")),
    Case("r12_teacher_batchnorm_depth20_s354",
         "A 20-hidden-layer BatchNorm ReLU MLP (width 32) on the teacher task with SGD+momentum: the weight gradients "
         "grow ~20x from the last layer to the first, first-layer update ratios near 0.05, and the loss barely moves "
         "below ln 4.",
         "exploding_gradients",
         lambda: _train(_mlp([10] + [32] * 20 + [4], norm="batch", seed=354), _teacher(n=2000, seed=354), epochs=3,
                        lr=0.01, optimizer="momentum", classes=4, seed=354),
         acceptable=("underfitting",)),
    Case("r12_digits01_negative_uniform_init_s355",
         "A wide digits MLP on [0, 1] pixel intensities whose first-layer weights were drawn from U(-0.1, 0.01) (a "
         "sign slip in a custom init): with non-negative inputs every hidden ReLU is off for every image and nothing "
         "is learned.",
         "dead_relu",
         lambda: _train(_uniform_first(_mlp([64, 1024, 10], seed=355), -0.1, 0.01, seed=355),
                        _digits_scaled(seed=355, scale=1 / 16), epochs=6, lr=1e-3, optimizer="adam", classes=10,
                        seed=355),
         acceptable=("underfitting", "bad_initialization", "vanishing_gradients", "plateau")),
    Case("r12_digits_tanh_cnn_gain5_s356",
         "A tanh digits CNN whose conv weights start at 5x the He scale: conv outputs of std 5-6, 54-64% of the tanh "
         "units pinned at +-1 throughout.",
         "saturated_activations",
         lambda: _train(_scaled_init(_cnn(seed=356, act=nn.Tanh), 5.0, seed=356, layers=(nn.Conv2d,)), _digits(seed=356), epochs=4, lr=1e-3,
                        optimizer="adam", classes=10, seed=356),
         acceptable=("bad_initialization", "underfitting")),
    Case("r12_digits_cnn_pixels_255_s357",
         "The digits CNN fed 0-255 pixel values (8-bit images never scaled): first conv outputs of std ~65, gradient "
         "norms up to ~400 and an initial loss near 22 against ln 10.",
         "bad_initialization",
         lambda: _train(_cnn(seed=357), _digits_scaled(seed=357, scale=16.0), epochs=5, lr=1e-3, optimizer="adam",
                        classes=10, seed=357),
         acceptable=("exploding_gradients",)),
    Case("r12_friedman_head_bias_raw_mean_s358",
         "Friedman #1 with a standardized target, but the regression head's bias initialized to the raw target's "
         "mean (14.5): an initial loss near 220 against a constant-prediction loss of 1.",
         "bad_initialization",
         lambda: _train(_head_bias(_mlp([10, 64, 64, 1], seed=358, squeeze=True), 14.5), _friedman(n=2400, seed=358),
                        epochs=8, lr=3e-3, optimizer="adam", seed=358),
         acceptable=("exploding_gradients", "underfitting", "dead_relu")),
    Case("r12_majority_tokens_const_momentum_s359",
         "The five-token embedding bag with SGD+momentum at a constant lr 0.3 for 14 epochs: after two epochs the "
         "training loss wanders between 0.02 and 0.29 without settling and the validation loss jumps about; a cosine "
         "decay from the same LR reaches 0.01.",
         "plateau",
         lambda: _train(_TokenNet(vocab=5, dim=8, classes=5, seed=359), _majority_token(seed=359), epochs=14, lr=0.3, optimizer="momentum",
                        classes=5, seed=359),
         acceptable=("lr_too_high",)),
    # ------------------------------------------------------------------------------------------- healthy
    Case("r12_digits_bncnn_adamw_cosine_s360",
         "The BatchNorm stride-2 digits CNN with AdamW 3e-3 and cosine decay, 4 epochs: healthy.",
         None,
         lambda: _train(_StridedBNCNN(seed=360), _digits(seed=360), epochs=4, lr=3e-3, optimizer="adamw",
                        schedule="cosine", classes=10, seed=360)),
    Case("r12_imbalanced_dropout_adam_cosine_s361",
         "A 90/10 imbalanced binary task (well separated) with a dropout-0.3 MLP, Adam 2e-3 and cosine decay: healthy "
         "(the validation loss sits a little below the training loss, which is measured with dropout on).",
         None,
         lambda: _train(_mlp([12, 64, 64, 2], dropout=0.3, seed=361), _imbalanced(seed=361, sep=3.0), epochs=10,
                        lr=2e-3, optimizer="adam", schedule="cosine", classes=2, seed=361)),
    Case("r12_majority_tokens_warmup_cosine_s362",
         "The five-token embedding bag with Adam 1e-2 and warmup + cosine: healthy.",
         None,
         lambda: _train(_TokenNet(vocab=5, dim=8, classes=5, seed=362), _majority_token(seed=362), epochs=10, lr=1e-2, optimizer="adam",
                        schedule="warmup_cosine", classes=5, seed=362)),
    Case("r12_friedman_wide_shallow_sgdr_s363",
         "Friedman #1 with a wide-shallow MLP (one hidden layer of 1024), Adam 3e-3 with warm restarts (SGDR): "
         "healthy.",
         None,
         lambda: _train(_mlp([10, 1024, 1], seed=363, squeeze=True), _friedman(seed=363), epochs=12, lr=3e-3,
                        optimizer="adam", schedule="sgdr", seed=363)),
    Case("r12_scurve_narrow_deep_layernorm_exp_s364",
         "S-curve regression with a narrow-deep LayerNorm GELU MLP (8 hidden layers of 16), Adam 3e-3 on an "
         "exponential decay (100x over the run), batches of 128: healthy.",
         None,
         lambda: _train(_mlp([3] + [16] * 8 + [1], act=nn.GELU, norm="layer", seed=364, squeeze=True),
                        _s_curve(seed=364), epochs=8, lr=3e-3, optimizer="adam", batch_size=128, schedule="exp",
                        seed=364)),
    Case("r12_quantiles_gelu_fn_cyclic_s365",
         "A Gaussian-quantiles MLP calling F.gelu in forward, Adam on a triangular cyclical schedule between 5e-4 "
         "and 5e-3: healthy.",
         None,
         lambda: _train(_FunctionalMLP([4, 64, 64, 3], "gelu", seed=365), _quantiles(seed=365), epochs=12, lr=5e-3, optimizer="adam",
                        schedule="cyclic", classes=3, seed=365)),
]

HELD_OUT_12: list[Case] = [Case(c.name, c.description, c.expected, c.train, c.acceptable, held_out=12) for c in _CASES_12]
CASES += HELD_OUT_12


# --------------------------------------------------------------------------------------------------------------
# Round 13: written blind like rounds 6-12 (the issue's definitions given), after round 12's changes; pointed at the
# paths other than _train's defaults: a third of the cases train in a hand-written loop with a Monitor used by hand
# (the README's recipe), the rest call fit directly with L1, Huber, BCE-with-logits (multi-label), NLL after
# log_softmax or label smoothing, gradient accumulation or clipping; multi-output regression, multi-label
# classification, an autoencoder, a model with two inputs. Run once, as is.
#
# First run: it stopped at its second case — the doctor refused the task="multilabel" a case wrote into
# history.config; with values it cannot use read as unknown (the one change before the round's figures): recall
# 16/18 = 0.89, precision 18/20 = 0.90, no healthy run of 6 flagged. Left as misses: s373, s374 (tests/test_zoo.py
# says why).

# ---------------------------------------------------------------------------------------------- data
@functools.lru_cache(maxsize=None)
def _multi_target(n: int = 2400, dim: int = 8, outputs: int = 3, noise: float = 0.1, seed: int = 0,
                  scale: float = 1.0, clean_val: bool = False):
    """Multi-output regression: ``outputs`` targets from a random tanh network, each standardized. With
    ``clean_val`` only the training targets carry the noise (``noise`` in target standard deviations)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    w1 = rng.standard_normal((dim, 24)) / math.sqrt(dim)
    w2 = rng.standard_normal((24, outputs)) / math.sqrt(24)
    f = np.tanh(1.5 * x @ w1) @ w2
    f = (f - f.mean(0)) / f.std(0)
    eps = noise * rng.standard_normal(f.shape)
    (xt, yt), (xv, yv) = _split(x, np.concatenate([f + eps, f], 1), n // 4, seed)
    yt, yv = yt[:, :outputs], (yv[:, outputs:] if clean_val else yv[:, :outputs])
    return (xt * np.float32(scale), yt.astype(np.float32)), (xv * np.float32(scale), yv.astype(np.float32))


@functools.lru_cache(maxsize=None)
def _multi_label(n: int = 2400, dim: int = 12, labels: int = 5, seed: int = 0):
    """Multi-label classification: each of ``labels`` 0/1 targets is whether a random quadratic form of the
    inputs is above its median (float targets for BCEWithLogits)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    scores = []
    for _ in range(labels):
        a = rng.standard_normal((dim, 3)) / math.sqrt(dim)
        z = np.tanh(x @ a)
        scores.append(z[:, 0] * z[:, 1] + 0.5 * z[:, 2])
    s = np.stack(scores, 1)
    y = (s > np.median(s, 0)).astype(np.float32)
    return _split(x, y, n // 4, seed)


@functools.lru_cache(maxsize=None)
def _two_inputs(n: int = 2400, seed: int = 0, noise: float = 0.1):
    """Regression with two inputs: a 6-d 'user' vector and a 6-d 'item' vector; the target is a nonlinear
    match score of the two (standardized). Returns ((xa, xb, y) train, (xa, xb, y) val)."""
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((n, 6)), rng.standard_normal((n, 6))
    pa, pb = rng.standard_normal((6, 4)) / math.sqrt(6), rng.standard_normal((6, 4)) / math.sqrt(6)
    y = (np.tanh(a @ pa) * np.tanh(b @ pb)).sum(1) + 0.3 * np.sin(a[:, 0] + b[:, 0])
    y = (y - y.mean()) / y.std() + noise * rng.standard_normal(n)
    (xt, yt), (xv, yv) = _split(np.concatenate([a, b], 1), y, n // 4, seed)
    return (xt[:, :6], xt[:, 6:], yt.astype(np.float32)), (xv[:, :6], xv[:, 6:], yv.astype(np.float32))


def _digits_ae(seed: int = 0):
    """Digits images (standardized pixels) as both input and target: an autoencoder's data."""
    (xt, _), (xv, _) = _digits(seed)
    return (xt, xt), (xv, xv)


def _scaled_inputs(data, factor: float):
    """The same task with every input (training and validation) multiplied by ``factor``."""
    (xt, yt), (xv, yv) = data
    return (xt * np.float32(factor), yt), (xv * np.float32(factor), yv)


def _concat_inputs(data):
    """A two-input task flattened for a one-input model: both inputs concatenated."""
    (ta, tb, ty), (va, vb, vy) = data
    return (np.concatenate([ta, tb], 1), ty), (np.concatenate([va, vb], 1), vy)


# ---------------------------------------------------------------------------------------------- models
class _AutoEncoder(nn.Module):
    def __init__(self, d: int = 64, hidden: int = 32, code: int = 12, act=nn.ReLU, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.encoder = nn.Sequential(nn.Linear(d, hidden), act(), nn.Linear(hidden, code))
        self.decoder = nn.Sequential(nn.Linear(code, hidden), act(), nn.Linear(hidden, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class _TwoTower(nn.Module):
    """Two input towers whose outputs are concatenated and read by a head: ``model(a, b)``."""

    def __init__(self, width: int = 32, act=nn.ReLU, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.tower_a = nn.Sequential(nn.Linear(6, width), act())
        self.tower_b = nn.Sequential(nn.Linear(6, width), act())
        self.head = nn.Sequential(nn.Linear(2 * width, width), act(), nn.Linear(width, 1))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.tower_a(a), self.tower_b(b)], 1)).squeeze(1)


class _LogSoftmaxMLP(nn.Module):
    """An MLP that returns log-probabilities (for NLLLoss)."""

    def __init__(self, sizes, seed: int = 0) -> None:
        super().__init__()
        self.net = _mlp(sizes, seed=seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.net(x), dim=1)


def _gain(model: nn.Module, gain: float, layers=(nn.Linear,)) -> nn.Module:
    """Every weight of the given layer types multiplied by ``gain``."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, layers):
                m.weight.mul_(gain)
    return model


def _set_bias(modules, value: float) -> None:
    with torch.no_grad():
        for m in modules:
            m.bias.fill_(value)


def _dead_two_tower(seed: int) -> nn.Module:
    model = _TwoTower(width=48, seed=seed)
    _set_bias([model.tower_a[0], model.tower_b[0], model.head[0]], -4.0)
    return model


# ---------------------------------------------------------------------------------------------- training
def _label_accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    """Multi-label accuracy: the fraction of (sample, label) pairs predicted right."""
    return float(((out > 0).float() == y).float().mean())


def _class_accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    return float((out.argmax(1) == y).float().mean())


def _batches(tensors, batch_size: int, g: torch.Generator | None):
    n = len(tensors[0])
    order = torch.randperm(n, generator=g) if g is not None else torch.arange(n)
    for i in range(0, n, batch_size):
        rows = order[i:i + batch_size]
        yield tuple(t[rows] for t in tensors)


class _Loader:
    """A re-iterable list of batches, reshuffled each pass with its own generator."""

    def __init__(self, tensors, batch_size: int, seed: int | None) -> None:
        self.tensors, self.batch_size = tensors, batch_size
        self.g = torch.Generator().manual_seed(seed) if seed is not None else None

    def __iter__(self):
        return _batches(self.tensors, self.batch_size, self.g)

    def __len__(self) -> int:
        return math.ceil(len(self.tensors[0]) / self.batch_size)


def _fit(model, loss_fn, data, *, epochs: int, lr: float, optimizer: str = "adam", batch_size: int = 64,
         seed: int = 0, metric=None, task: str = "regression", classes: int | None = None, **kw):
    """``trainwise.fit`` called directly with ``loss_fn`` (any loss) and a default Monitor."""
    (xt, yt), (xv, yv) = data
    train = _Loader((torch.as_tensor(xt), torch.as_tensor(yt)), batch_size, seed)
    val = _Loader((torch.as_tensor(xv), torch.as_tensor(yv)), 512, None)
    history = fit(model, loss_fn, train, val_loader=val, epochs=epochs, optimizer=optimizer, lr=lr, seed=seed,
                  metric=metric, callbacks=[Monitor()], **kw)
    history.config.update(task=task, num_classes=classes)
    return history


def _loop(model, loss_fn, train, val, *, epochs: int, make_opt, batch_size: int = 64, seed: int = 0,
          task: str = "regression", classes: int | None = None, make_sched=None, metric=None, stop_nonfinite=True):
    """A hand-written training loop with a Monitor used by hand. ``train``/``val`` are tuples of arrays whose
    last entry is the target and the rest the model's inputs (``model(*inputs)``)."""
    torch.manual_seed(seed)
    train = tuple(torch.as_tensor(a) for a in train)
    val = tuple(torch.as_tensor(a) for a in val)
    opt = make_opt(model.parameters())
    sched = make_sched(opt, epochs * math.ceil(len(train[0]) / batch_size)) if make_sched else None
    g = torch.Generator().manual_seed(seed)
    stopped = False
    with Monitor(model, opt) as monitor:
        for epoch in range(epochs):
            model.train()
            for batch in _batches(train, batch_size, g):
                *inputs, y = batch
                loss = loss_fn(model(*inputs), y)
                opt.zero_grad()
                loss.backward()
                monitor.before_step()
                if stop_nonfinite and not torch.isfinite(loss):
                    monitor.after_step(loss)
                    stopped = True
                    break
                opt.step()
                if sched is not None:
                    sched.step()
                monitor.after_step(loss)
            model.eval()
            with monitor.validating(), torch.no_grad():
                *inputs, y = val
                out = model(*inputs)
                val_loss = float(loss_fn(out, y))
            vm = metric(out, y) if metric is not None else None
            monitor.end_epoch(val_loss=val_loss, val_metric=vm)
            if epoch == 0:
                monitor.history.extras["constant_loss"] = constant_loss(loss_fn, out, y)
            if stopped:
                break
        history = monitor.history
    history.config.update(task=task, num_classes=classes)
    return history


def _adam(lr, **kw):
    return lambda params: torch.optim.Adam(params, lr=lr, **kw)


def _adamw(lr, **kw):
    return lambda params: torch.optim.AdamW(params, lr=lr, **kw)


def _sgd(lr, **kw):
    return lambda params: torch.optim.SGD(params, lr=lr, **kw)


def _cosine(opt, total):
    return torch.optim.lr_scheduler.CosineAnnealingLR(opt, total)


def _onecycle(peak):
    return lambda opt, total: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=peak, total_steps=total)


_MSE, _L1, _HUBER = nn.MSELoss(), nn.L1Loss(), nn.HuberLoss(delta=1.0)
_BCE, _NLL = nn.BCEWithLogitsLoss(), nn.NLLLoss()


def _mt(seed, **kw):
    return _multi_target(seed=seed, **kw)


def _ml(seed, **kw):
    return _multi_label(seed=seed, **kw)


def _ti(seed, **kw):
    return _two_inputs(seed=seed, **kw)


# ---------------------------------------------------------------------------------------------- cases
_CASES_13: list[Case] = [
    # ------------------------------------------------------------------------------------------ broken
    Case("r13_loop_multitarget_sgd_lr6_diverges_s366",
         "Hand-written loop, 3-output regression MLP, SGD+momentum at lr 6: the loss blows up to inf/NaN in "
         "the first epoch.",
         "lr_too_high",
         lambda: _loop(_mlp([8, 64, 64, 3], seed=366), _MSE, *_mt(366), epochs=4,
                       make_opt=_sgd(6.0, momentum=0.9), seed=366),
         acceptable=("exploding_gradients", "dead_relu")),
    Case("r13_fit_multilabel_bce_adam_lr03_s367",
         "fit with BCEWithLogits on a 5-label task, Adam at lr 0.3: the loss spikes to ~24 in the first steps, the "
         "second hidden layer's ReLUs all die and the loss sits at the constant-prediction level.",
         "lr_too_high",
         lambda: _fit(_mlp([12, 64, 64, 5], seed=367), _BCE, _ml(367), epochs=10, lr=0.3, seed=367,
                      metric=_label_accuracy, task="multilabel"),
         acceptable=("dead_relu", "underfitting", "plateau")),
    Case("r13_fit_huber_clipped_sgd_lr8_s368",
         "fit with Huber loss on 3-output regression, plain SGD at lr 8 with clip_grad_norm=1: clipping keeps the "
         "loss finite but every step overshoots, the loss bounces far above a fitted level.",
         "lr_too_high",
         lambda: _fit(_mlp([8, 64, 64, 3], seed=368), _HUBER, _mt(368), epochs=10, lr=8.0, optimizer="sgd",
                      seed=368, clip_grad_norm=1.0),
         acceptable=("dead_relu", "underfitting")),
    Case("r13_fit_l1_adam_1e5_s369",
         "fit with L1 loss on 3-output regression, Adam at lr 1e-5: tiny updates, the loss creeps down linearly.",
         "lr_too_low",
         lambda: _fit(_mlp([8, 64, 64, 3], seed=369), _L1, _mt(369), epochs=10, lr=1e-5, seed=369),
         acceptable=("underfitting",)),
    Case("r13_loop_autoencoder_sgd_1e3_s370",
         "Hand-written loop, digits autoencoder with plain SGD at lr 1e-3: the reconstruction loss barely moves.",
         "lr_too_low",
         lambda: _loop(_AutoEncoder(seed=370), _MSE, *_digits_ae(370), epochs=10, make_opt=_sgd(1e-3),
                       batch_size=32, seed=370),
         acceptable=("underfitting",)),
    Case("r13_fit_nll_sgd_batch2_s371",
         "fit with NLLLoss on log_softmax outputs (teacher task, 4 classes), SGD lr 0.05 on batches of 2: the "
         "per-step loss is pure jitter.",
         "batch_too_small",
         lambda: _fit(_LogSoftmaxMLP([10, 64, 64, 4], seed=371), _NLL, _teacher(n=1200, seed=371), epochs=2,
                      lr=0.05, optimizer="sgd", batch_size=2, seed=371, metric=_class_accuracy,
                      task="classification", classes=4),
         acceptable=("lr_too_high", "underfitting")),
    Case("r13_loop_two_tower_120_rows_s373",
         "Hand-written loop, a two-input (two-tower) regression model on only 120 training rows, Adam 3e-3 for "
         "80 epochs: training loss goes to ~0 while validation stalls at ~0.44 (0.06 with all rows): a gap of "
         "memorisation.",
         "overfitting",
         lambda: _loop(_TwoTower(width=64, seed=373), _MSE, *(lambda d: ((d[0][0][:120], d[0][1][:120],
                       d[0][2][:120]), d[1]))(_ti(373)), epochs=80, make_opt=_adam(3e-3), batch_size=16, seed=373),
         acceptable=()),
    Case("r13_fit_label_smoothing_digits_100_s374",
         "fit with CrossEntropy(label_smoothing=0.1) on 100 training digits, a wide MLP, Adam 3e-3 for 60 "
         "epochs: training loss sits at its smoothing floor from epoch 4 while validation stalls far above.",
         "overfitting",
         lambda: _fit(_mlp([64, 256, 256, 10], seed=374), nn.CrossEntropyLoss(label_smoothing=0.1),
                      _tiny(_digits(374), 100), epochs=60, lr=3e-3, batch_size=10, seed=374,
                      metric=_class_accuracy, task="classification", classes=10),
         acceptable=()),
    Case("r13_fit_huber_linear_multitarget_s375",
         "fit with Huber loss, a single linear layer on the two-input match score (both inputs concatenated; the "
         "target is a product of the two): train and validation equal and both near the constant -- too small a model.",
         "underfitting",
         lambda: _fit(_mlp([12, 1], seed=375, squeeze=True), _HUBER, _concat_inputs(_ti(375)), epochs=12, lr=1e-2,
                      seed=375),
         acceptable=("plateau",)),
    Case("r13_loop_multilabel_two_epochs_s376",
         "Hand-written loop, 5-label BCE task, AdamW 1e-3 stopped after 2 epochs: both losses still falling "
         "steeply at the end.",
         "underfitting",
         lambda: _loop(_mlp([12, 64, 64, 5], seed=376), _BCE, *_ml(376), epochs=2, make_opt=_adamw(1e-3),
                       batch_size=64, seed=376, task="multilabel", metric=_label_accuracy),
         acceptable=()),
    Case("r13_fit_l1_multitarget_clean_val_s377",
         "fit with L1 loss on 3-output regression whose training targets carry heavy noise (1.0 sd) while the "
         "validation targets are noise-free: validation loss sits far below training loss.",
         "unrepresentative_validation",
         lambda: _fit(_mlp([8, 64, 64, 3], seed=377), _L1, _mt(377, noise=1.0, clean_val=True), epochs=10,
                      lr=1e-3, seed=377),
         acceptable=()),
    Case("r13_loop_deep_sigmoid_multilabel_s379",
         "Hand-written loop, 10-layer sigmoid MLP on the 5-label task with SGD lr 0.1: the early layers get "
         "gradients orders of magnitude smaller than the last and the loss hardly moves.",
         "vanishing_gradients",
         lambda: _loop(_mlp([12] + [32] * 10 + [5], act=nn.Sigmoid, seed=379), _BCE, *_ml(379), epochs=6,
                       make_opt=_sgd(0.1), batch_size=32, seed=379, task="multilabel", metric=_label_accuracy),
         acceptable=("underfitting", "lr_too_low", "plateau")),
    Case("r13_fit_deep_relu_gain45_clipped_s380",
         "fit with MSE on 3-output regression, an 8-layer ReLU MLP whose weights are 4.5x PyTorch's default scale, "
         "clip_grad_norm=1 with SGD lr 0.01: the raw gradient norm is in the thousands every step (clipping only "
         "hides it).",
         "exploding_gradients",
         lambda: _fit(_gain(_mlp([8] + [64] * 8 + [3], seed=380), 4.5), _MSE, _mt(380), epochs=6, lr=0.01,
                      optimizer="sgd", seed=380, clip_grad_norm=1.0),
         acceptable=("bad_initialization",)),
    Case("r13_loop_two_tower_dead_bias_s381",
         "Hand-written loop, two-input regression whose hidden biases start at -4: almost every ReLU is silent "
         "from the first step.",
         "dead_relu",
         lambda: _loop(_dead_two_tower(381), _MSE, *_ti(381), epochs=6, make_opt=_adam(1e-3), batch_size=32,
                       seed=381),
         acceptable=("underfitting", "vanishing_gradients")),
    Case("r13_fit_multilabel_tanh_gain10_s382",
         "fit with BCEWithLogits on the 5-label task, a tanh MLP with every weight 10x its default scale: the "
         "hidden tanh units sit at +-1.",
         "saturated_activations",
         lambda: _fit(_gain(_mlp([12, 64, 64, 5], act=nn.Tanh, seed=382), 10.0), _BCE, _ml(382), epochs=6,
                      lr=1e-3, seed=382, metric=_label_accuracy, task="multilabel"),
         acceptable=("bad_initialization", "vanishing_gradients", "underfitting")),
    Case("r13_fit_smoothing_teacher_inputs_x300_s383",
         "fit with CrossEntropy(label_smoothing=0.05) on the teacher task whose inputs are 300x their "
         "standardized scale (unscaled features): the first loss is far above ln(4).",
         "bad_initialization",
         lambda: _fit(_mlp([10, 64, 64, 4], seed=383), nn.CrossEntropyLoss(label_smoothing=0.05),
                      _scaled_inputs(_teacher(seed=383), 300.0),
                      epochs=6, lr=1e-3, seed=383, metric=_class_accuracy, task="classification", classes=4),
         acceptable=("exploding_gradients",)),
    Case("r13_loop_autoencoder_out_bias_8_s384",
         "Hand-written loop, digits autoencoder whose output layer starts with a bias of +8 on standardized "
         "pixels: the first reconstruction loss is ~65x the constant-prediction loss.",
         "bad_initialization",
         lambda: _loop(_head_bias(_AutoEncoder(seed=384), 8.0), _MSE, *_digits_ae(384), epochs=8,
                       make_opt=_adam(1e-3), batch_size=32, seed=384),
         acceptable=("underfitting",)),
    Case("r13_fit_multitarget_momentum_const_lr03_s385",
         "fit with MSE on 3-output regression, SGD+momentum at a constant lr 0.3 for 16 epochs: the loss stalls "
         "and bounces at ~0.035 from epoch 8 on; the same run on a cosine decay gets to ~0.018.",
         "plateau",
         lambda: _fit(_mlp([8, 64, 64, 3], seed=385), _MSE, _mt(385, noise=0.05), epochs=16, lr=0.3,
                      optimizer="momentum", seed=385),
         acceptable=()),
    # ------------------------------------------------------------------------------------------ healthy
    Case("r13_fit_multilabel_bce_adamw_cosine_s386",
         "fit with BCEWithLogits on the 5-label task, AdamW 3e-3 on a cosine schedule: a good run.",
         None,
         lambda: _fit(_mlp([12, 64, 64, 5], seed=386), _BCE, _ml(386), epochs=12, lr=3e-3, optimizer="adamw",
                      schedule="cosine", seed=386, metric=_label_accuracy, task="multilabel")),
    Case("r13_loop_two_tower_adamw_cosine_s387",
         "Hand-written loop, two-input regression, AdamW 3e-3 with torch's cosine annealing: a good run.",
         None,
         lambda: _loop(_TwoTower(seed=387), _MSE, *_ti(387), epochs=12, make_opt=_adamw(3e-3), batch_size=32,
                       seed=387, make_sched=_cosine)),
    Case("r13_fit_nll_digits_accumulate4_s388",
         "fit with NLLLoss on log_softmax digits MLP, batches of 16 with accumulation_steps=4, AdamW 2e-3 cosine: "
         "a good run.",
         None,
         lambda: _fit(_LogSoftmaxMLP([64, 128, 10], seed=388), _NLL, _digits(388), epochs=10, lr=2e-3,
                      optimizer="adamw", batch_size=16, seed=388, schedule="cosine", accumulation_steps=4,
                      metric=_class_accuracy, task="classification", classes=10)),
    Case("r13_loop_autoencoder_adam_onecycle_s389",
         "Hand-written loop, digits autoencoder with Adam under torch's OneCycleLR (peak 5e-3): a good run.",
         None,
         lambda: _loop(_AutoEncoder(seed=389), _MSE, *_digits_ae(389), epochs=12, make_opt=_adam(5e-3),
                       batch_size=32, seed=389, make_sched=_onecycle(5e-3))),
    Case("r13_fit_l1_multitarget_clipped_cosine_s390",
         "fit with L1 loss on 3-output regression, Adam 3e-3 cosine with clip_grad_norm=1: a good run.",
         None,
         lambda: _fit(_mlp([8, 64, 64, 3], seed=390), _L1, _mt(390), epochs=12, lr=3e-3, seed=390,
                      schedule="cosine", clip_grad_norm=1.0)),
    Case("r13_fit_smoothing_teacher_nesterov_cosine_s391",
         "fit with CrossEntropy(label_smoothing=0.1) on the teacher task, SGD+nesterov 0.05 on a cosine schedule: "
         "a good run.",
         None,
         lambda: _fit(_mlp([10, 64, 64, 4], seed=391), nn.CrossEntropyLoss(label_smoothing=0.1), _teacher(seed=391),
                      epochs=12, lr=0.05, optimizer="nesterov", schedule="cosine", seed=391,
                      metric=_class_accuracy, task="classification", classes=4)),
]

HELD_OUT_13: list[Case] = [Case(c.name, c.description, c.expected, c.train, c.acceptable, held_out=13) for c in _CASES_13]
CASES += HELD_OUT_13


# --------------------------------------------------------------------------------------------------------------
# Round 14: written blind like rounds 6-13 (the issue's definitions given), after round 13's changes; runs as
# practitioners write them: data sets plotnine and scikit-learn ship (diamonds — the seeds' own example —, mpg,
# mtcars, economics, faithful, linnerud), torch building blocks (TransformerEncoderLayer, GroupNorm, Conv1d, residual
# blocks, EmbeddingBag, weight tying, heavy dropout), fit's schedule= and hand-written loops with a torch
# lr_scheduler; SGD+Nesterov, RMSprop, AdamW, Adagrad, per-parameter-group LRs. Run once, as is.
#
# First run: recall 13/18 = 0.72, precision 19/24 = 0.79, 1 of 7 healthy runs flagged (s417, a plateau at a
# constant LR that a cosine decay improves by ~3%: left as the writer labelled it). One label added after it,
# each true of the raw measurements: dead_relu on s392. What its misses changed (each with a unit test in
# tests/test_diagnose.py): a poor fit under steps of 5% of the weights is lr_too_high (s393, and round 11's s314);
# steps of one or two samples are batch_too_small beside an LR found too high (s398); validation below a training
# loss that dropout raises agrees with it (s402); "worse than learning nothing" is not read for a model that
# started ten times above that loss (s409). Left as misses: s399, s400, s417 (tests/test_zoo.py says why).

_CE = nn.CrossEntropyLoss()


# ---------------------------------------------------------------------------------------------- data
def _standardize(xt, xv):
    mean, std = xt.mean(0), xt.std(0)
    std = np.where(std < 1e-8, 1.0, std)
    return ((xt - mean) / std).astype(np.float32), ((xv - mean) / std).astype(np.float32)


def _target(yt, yv):
    mean, std = yt.mean(), yt.std()
    return ((yt - mean) / std).astype(np.float32), ((yv - mean) / std).astype(np.float32)


@functools.lru_cache(maxsize=None)
def _diamonds(n: int = 2400, seed: int = 0, raw_inputs: bool = False, raw_price: bool = False,
              predict: str = "price"):
    """plotnine's diamonds, ``n`` rows drawn at random, a quarter for validation. Inputs: carat, depth, table, x, y,
    z and the ordinal codes of cut, color, clarity. ``predict="price"``: log price, standardized (``raw_price``:
    the price in dollars as it comes). ``predict="cut"``: the cut (5 classes) from the other columns with the
    price among the inputs."""
    from plotnine.data import diamonds as d

    rng = np.random.default_rng(seed)
    d = d.iloc[rng.permutation(len(d))[:n]]
    cols = [d.carat, d.depth, d.table, d.x, d.y, d.z, d.color.cat.codes, d.clarity.cat.codes]
    if predict == "cut":
        x = np.stack(cols + [d.price], 1).astype(np.float64)
        y = d.cut.cat.codes.to_numpy().astype(np.int64)
    else:
        x = np.stack(cols + [d.cut.cat.codes], 1).astype(np.float64)
        y = d.price.to_numpy().astype(np.float64)
    n_val = n // 4
    xt, xv, yt, yv = x[n_val:], x[:n_val], y[n_val:], y[:n_val]
    xt, xv = (xt.astype(np.float32), xv.astype(np.float32)) if raw_inputs else _standardize(xt, xv)
    if predict == "price":
        if raw_price:
            yt, yv = yt.astype(np.float32), yv.astype(np.float32)
        else:
            yt, yv = _target(np.log(yt), np.log(yv))
    return (xt, yt), (xv, yv)


@functools.lru_cache(maxsize=None)
def _mpg(seed: int = 0):
    """plotnine's mpg: highway miles per gallon (standardized) from displacement, year, cylinders and one-hot
    drive train and vehicle class; 234 cars, 58 for validation."""
    from plotnine.data import mpg as d

    num = np.stack([d.displ, d.year, d.cyl], 1).astype(np.float64)
    onehot = np.concatenate([np.eye(k)[codes] for k, codes in
                             ((3, d.drv.astype("category").cat.codes), (7, d["class"].astype("category").cat.codes))], 1)
    x = np.concatenate([num, onehot], 1)
    y = d.hwy.to_numpy().astype(np.float64)
    perm = np.random.default_rng(seed).permutation(len(d))
    x, y = x[perm], y[perm]
    n_val = 58
    xt, xv = _standardize(x[n_val:], x[:n_val])
    yt, yv = _target(y[n_val:], y[:n_val])
    return (xt, yt), (xv, yv)


@functools.lru_cache(maxsize=None)
def _faithful(seed: int = 0, short_val: bool = False):
    """plotnine's faithful: the waiting time to the next eruption (standardized) from the eruption's length;
    272 eruptions, 68 for validation. ``short_val``: the validation set is 40 eruptions of the short cluster
    (under 2.3 minutes) only, where waiting times hardly vary."""
    from plotnine.data import faithful as d

    x = d.eruptions.to_numpy().astype(np.float64)[:, None]
    y = d.waiting.to_numpy().astype(np.float64)
    perm = np.random.default_rng(seed).permutation(len(d))
    x, y = x[perm], y[perm]
    if short_val:
        short = np.flatnonzero(x[:, 0] < 2.3)[:40]
        val = np.zeros(len(x), bool)
        val[short] = True
        xt, xv, yt, yv = x[~val], x[val], y[~val], y[val]
    else:
        xt, xv, yt, yv = x[68:], x[:68], y[68:], y[:68]
    xt, xv = _standardize(xt, xv)
    yt, yv = _target(yt, yv)
    return (xt, yt), (xv, yv)


@functools.lru_cache(maxsize=None)
def _economics(window: int = 12, calm_val: bool = False, seed: int = 0, level: bool = False):
    """plotnine's economics: next month's change in unemployment (thousands, standardized on training) from the
    previous ``window`` monthly changes. Validation: a random quarter of the windows, or with ``calm_val`` the
    windows whose target month falls in Jan 1993 - Dec 2000 (the long quiet expansion) and training all others.
    ``level``: the series is the median duration of unemployment (centred, scaled by its std) instead."""
    from plotnine.data import economics as d

    u = d.unemploy.to_numpy().astype(np.float64)
    dif = np.diff(u)
    if level:  # the median unemployment duration itself (weeks), not its changes
        dif = d.uempmed.to_numpy().astype(np.float64)[1:]
        dif = dif - dif.mean()
    dates = d.date.to_numpy()[1:]
    x = np.stack([dif[i:i + window] for i in range(len(dif) - window)])
    y = dif[window:]
    when = dates[window:]
    if calm_val:
        val = (when >= np.datetime64("1993-01-01")) & (when < np.datetime64("2001-01-01"))
    else:
        val = np.zeros(len(x), bool)
        val[np.random.default_rng(seed).permutation(len(x))[:len(x) // 4]] = True
    scale = dif.std()
    xt, xv = (x[~val] / scale).astype(np.float32), (x[val] / scale).astype(np.float32)
    yt, yv = (y[~val] / scale).astype(np.float32), (y[val] / scale).astype(np.float32)
    return (xt, yt), (xv, yv)


@functools.lru_cache(maxsize=None)
def _linnerud(seed: int = 0):
    """scikit-learn's linnerud: weight, waist, pulse (standardized) from chins, situps, jumps; 20 men, 6 for
    validation."""
    from sklearn.datasets import load_linnerud

    d = load_linnerud()
    perm = np.random.default_rng(seed).permutation(20)
    x, y = d.data[perm].astype(np.float64), d.target[perm].astype(np.float64)
    xt, xv = _standardize(x[6:], x[:6])
    yt, yv = _standardize(y[6:], y[:6])
    return (xt, yt), (xv, yv)


@functools.lru_cache(maxsize=None)
def _mtcars(raw_inputs: bool = False, seed: int = 0):
    """plotnine's mtcars: mpg (standardized) from disp, hp, drat, wt, qsec; 32 cars, 8 for validation;
    ``raw_inputs``: the columns as they come (displacement and horsepower in the hundreds)."""
    from plotnine.data import mtcars as d

    x = np.stack([d.disp, d.hp, d.drat, d.wt, d.qsec], 1).astype(np.float64)
    y = d.mpg.to_numpy().astype(np.float64)
    perm = np.random.default_rng(seed).permutation(len(d))
    x, y = x[perm], y[perm]
    xt, xv = (x[8:].astype(np.float32), x[:8].astype(np.float32)) if raw_inputs else _standardize(x[8:], x[:8])
    yt, yv = _target(y[8:], y[:8])
    return (xt, yt), (xv, yv)


@functools.lru_cache(maxsize=None)
def _markov_text(n: int = 3000, vocab: int = 40, context: int = 3, seed: int = 0):
    """Next-token prediction on a text drawn from a sparse random Markov chain (each token has 3 likely
    successors): ``context`` previous tokens in, the next token out."""
    rng = np.random.default_rng(seed)
    succ = rng.integers(0, vocab, (vocab, 3))
    probs = np.array([0.6, 0.3, 0.1])
    text = [int(rng.integers(vocab))]
    for _ in range(n + context):
        text.append(int(succ[text[-1], rng.choice(3, p=probs)]))
    text = np.array(text)
    x = np.stack([text[i:i + context] for i in range(n)]).astype(np.int64)
    y = text[context:context + n].astype(np.int64)
    n_val = n // 4
    return (x[n_val:], y[n_val:]), (x[:n_val], y[:n_val])


# --------------------------------------------------------------------------------------------------- models
class _ResBlocks(nn.Module):
    """Linear stem, ``blocks`` residual blocks ``x + Linear(ReLU(Linear(x)))``, linear head. ``branch_gain``
    multiplies each block's weights at init (the branches too large: the signal grows at every skip)."""

    def __init__(self, d_in, width, blocks, d_out, branch_gain=1.0, seed=0, squeeze=True):
        super().__init__()
        torch.manual_seed(seed)
        self.stem = nn.Linear(d_in, width)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))
                                    for _ in range(blocks))
        self.head = nn.Linear(width, d_out)
        self.squeeze = squeeze
        with torch.no_grad():
            for b in self.blocks:
                for m in b:
                    if isinstance(m, nn.Linear):
                        m.weight.mul_(branch_gain)

    def forward(self, x):
        h = self.stem(x)
        for b in self.blocks:
            h = h + b(h)
        out = self.head(h)
        return out.squeeze(-1) if self.squeeze else out


class _GNConv(nn.Module):
    """Conv1d -> GroupNorm -> ReLU, twice, global average pooling, a linear head: a windowed series regressor."""

    def __init__(self, channels=16, groups=4, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.net = nn.Sequential(
            nn.Conv1d(1, channels, 3, padding=1), nn.GroupNorm(groups, channels), nn.ReLU(),
            nn.Conv1d(channels, channels, 3, padding=1), nn.GroupNorm(groups, channels), nn.ReLU(),
            nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(channels, 1))

    def forward(self, x):
        return self.net(x.unsqueeze(1)).squeeze(-1)


class _Transformer(nn.Module):
    """Token + position embeddings, one ``nn.TransformerEncoderLayer``, mean pooling, a linear head."""

    def __init__(self, vocab=50, length=24, d=32, heads=4, ff=64, classes=2, seed=0, dropout=0.0):
        super().__init__()
        torch.manual_seed(seed)
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(length, d) * 0.02)
        self.enc = nn.TransformerEncoderLayer(d, heads, ff, dropout=dropout, batch_first=True)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        h = self.enc(self.tok(x) + self.pos[: x.shape[1]])
        return self.head(h.mean(1))


class _Bag(nn.Module):
    """``nn.EmbeddingBag`` (mean) over the tokens, a ReLU hidden layer, a linear head."""

    def __init__(self, vocab=50, dim=32, hidden=32, classes=2, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.bag = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x):
        return self.mlp(self.bag(x))


class _TiedLM(nn.Module):
    """A next-token model with weight tying: embed the context tokens, concatenate, a tanh hidden layer back to
    the embedding width, logits against the (shared) embedding matrix. ``emb_std``: the embedding's init std
    (``nn.Embedding``'s default is 1, which, tied to the output, makes the first logits huge)."""

    def __init__(self, vocab=40, dim=64, context=3, seed=0, emb_std=1.0):
        super().__init__()
        torch.manual_seed(seed)
        self.emb = nn.Embedding(vocab, dim)
        nn.init.normal_(self.emb.weight, 0.0, emb_std)
        self.hidden = nn.Linear(context * dim, dim)
        self.act = nn.Tanh()
        self.out_bias = nn.Parameter(torch.zeros(vocab))

    def forward(self, x):
        h = self.act(self.hidden(self.emb(x).flatten(1)))
        return h @ self.emb.weight.t() + self.out_bias


def _normal_init(model, std, seed):
    """Every Linear weight from N(0, std^2) and biases zero (``nn.init.normal_`` left at its default std=1)."""
    torch.manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, std)
            nn.init.zeros_(m.bias)
    return model


def _bias_init(model, value):
    """A custom init that sets every hidden Linear's bias to ``value`` (the output layer left alone)."""
    lin = [m for m in model.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for m in lin[:-1]:
            m.bias.fill_(value)
    return model


def _groups(model, lrs, opt="adam", **kw):
    """An optimizer with one parameter group per top-level child, each with its own LR (``lrs`` in order)."""
    kids = [c for c in model.children() if any(True for _ in c.parameters())]
    groups = [{"params": list(c.parameters()), "lr": lr} for c, lr in zip(kids, lrs)]
    cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "rmsprop": torch.optim.RMSprop,
           "sgd": torch.optim.SGD}[opt]
    return cls(groups, **kw)


def _warmup(steps):
    """Linear warmup over ``steps`` updates then constant, as a torch LambdaLR factory for ``_loop``."""
    return lambda opt, total: torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / steps))


def _warmup_cosine(steps):
    def make(opt, total):
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / steps) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    return make


def _step_lr(every, gamma):
    return lambda opt, total: torch.optim.lr_scheduler.StepLR(opt, every, gamma)


def _rmsprop(lr, **kw):
    return lambda params: torch.optim.RMSprop(params, lr=lr, **kw)


def _adagrad(lr, **kw):
    return lambda params: torch.optim.Adagrad(params, lr=lr, **kw)


def _tok(seed, **kw):
    return _tokens(n=kw.pop("n", 1600), length=kw.pop("length", 20), seed=seed, **kw)




_case14 = _held_out_case(14)


HELD_OUT_14: list[Case] = [
    # ------------------------------------------------------------------------------------------------ broken
    _case14("r14_diamonds_cut_raw_price_input_s392",
       "Diamonds cut (5 classes) from the other columns, the price (hundreds to ~18,000 dollars) fed in unscaled "
       "next to standardized columns: the first loss is far above ln(5).",
       "bad_initialization",
       lambda: _train(_mlp([9, 64, 64, 5], seed=392), _diamonds(seed=392, predict="cut", raw_inputs=True),
                      epochs=6, lr=1e-3, optimizer="adam", classes=5, seed=392),
            # dead_relu added after the first run: 55% of ReLU '3''s units silent on every batch from step 0, 64% later
            ("underfitting", "exploding_gradients", "dead_relu")),
    _case14("r14_tokens_transformer_adam_lr01_no_warmup_s393",
       "A one-layer TransformerEncoderLayer classifier on token sequences with Adam at lr 0.1 and no warmup.",
       "lr_too_high",
       lambda: _train(_Transformer(seed=393), _tok(393), epochs=4, lr=0.1, optimizer="adam", classes=2, seed=393)),
    _case14("r14_loop_mpg_rmsprop_lr005_s394",
       "Hand-written loop on plotnine's mpg (highway mpg), RMSprop at lr 0.05: the loss bounces.",
       "lr_too_high",
       lambda: _loop(_mlp([13, 64, 64, 1], seed=394, squeeze=True), _MSE, *_mpg(394), epochs=40,
                     make_opt=_rmsprop(0.05), batch_size=16, seed=394), ("exploding_gradients", "dead_relu")),
    _case14("r14_diamonds_nesterov_onecycle_peak3_s395",
       "Diamonds log price, SGD+Nesterov on fit's one-cycle schedule peaking at lr 3: the loss blows up as the "
       "LR warms up.",
       "lr_too_high",
       lambda: _train(_mlp([9, 64, 64, 1], seed=395, squeeze=True), _diamonds(seed=395), epochs=6, lr=3.0,
                      optimizer="nesterov", schedule="onecycle", seed=395), ("exploding_gradients", "dead_relu")),
    _case14("r14_loop_economics_groupnorm_adam_1e5_s396",
       "Hand-written loop, a Conv1d+GroupNorm regressor of next month's median unemployment duration, Adam at lr 1e-5 "
       "with a cosine lr_scheduler: the loss hardly moves.",
       "lr_too_low",
       lambda: _loop(_GNConv(seed=396), _MSE, *_economics(seed=396, level=True), epochs=10, make_opt=_adamw(1e-5),
                     batch_size=32, seed=396, make_sched=lambda o, t: torch.optim.lr_scheduler.CosineAnnealingLR(o, t)), ("underfitting",)),
    _case14("r14_faithful_adagrad_1e4_s397",
       "Old Faithful waiting time from eruption length, Adagrad at lr 1e-4: tiny, shrinking steps.",
       "lr_too_low",
       lambda: _train(_mlp([1, 32, 32, 1], seed=397, squeeze=True), _faithful(seed=397), epochs=40, lr=1e-4,
                      optimizer="adagrad", batch_size=16, seed=397), ("underfitting",)),
    _case14("r14_diamonds_nesterov_batch2_s398",
       "Diamonds log price with SGD+Nesterov (lr 0.01) on batches of 2: the per-step loss is jitter.",
       "batch_too_small",
       lambda: _train(_mlp([9, 64, 64, 1], seed=398, squeeze=True), _diamonds(n=1400, seed=398), epochs=1,
                      lr=0.01, optimizer="nesterov", batch_size=2, seed=398), ("lr_too_high",)),
    _case14("r14_loop_tokens_embeddingbag_sgd_batch1_s399",
       "Hand-written loop, an EmbeddingBag text classifier trained with SGD at lr 0.05 one sequence at a time.",
       "batch_too_small",
       lambda: _loop(_Bag(seed=399), _CE, *_tok(399, n=1200), epochs=1, make_opt=_sgd(0.05), batch_size=1,
                     seed=399, task="classification", classes=2, metric=_class_accuracy),
            # added after the first run: after its one epoch validation is at 82% and training at 93% of the constant
            ("underfitting",)),
    _case14("r14_linnerud_wide_adam_100_epochs_s400",
       "scikit-learn's linnerud (14 training men, 3 targets) with a 256-wide MLP and Adam for 100 epochs: the "
       "training loss goes to zero while validation turns up.",
       "overfitting",
       lambda: _train(_mlp([3, 256, 256, 3], seed=400), _linnerud(seed=400), epochs=100, lr=1e-3,
                      optimizer="adam", batch_size=16, seed=400)),
    _case14("r14_loop_mtcars_wide_rmsprop_s401",
       "Hand-written loop on mtcars (24 training cars) with a 128-wide MLP and RMSprop for 200 epochs: "
       "memorizes the cars, validation loss climbs.",
       "overfitting",
       lambda: _loop(_mlp([5, 128, 128, 1], seed=401, squeeze=True), _MSE, *_mtcars(seed=401), epochs=200,
                     make_opt=_rmsprop(1e-3), batch_size=8, seed=401)),
    _case14("r14_diamonds_dropout09_tiny_s402",
       "Diamonds log price with a 16-unit MLP and Dropout(0.9) after each hidden layer: the model cannot fit.",
       "underfitting",
       lambda: _train(_mlp([9, 16, 16, 1], seed=402, squeeze=True, dropout=0.9), _diamonds(seed=402), epochs=8,
                      lr=1e-3, optimizer="adam", seed=402)),
    _case14("r14_economics_val_calm_1990s_s404",
       "Next month's median unemployment duration from the last 12 months; the validation set is the calm "
       "1993-2000 expansion, training every other month incl. the 2008-2012 surge: validation loss far below training.",
       "unrepresentative_validation",
       lambda: _train(_mlp([12, 32, 32, 1], seed=404, squeeze=True), _economics(calm_val=True, level=True), epochs=8,
                      lr=1e-3, optimizer="adam", batch_size=32, seed=404)),
    _case14("r14_loop_mpg_deep_sigmoid_nesterov_s406",
       "Hand-written loop, mpg with 8 sigmoid hidden layers, SGD+Nesterov and a StepLR scheduler: the early "
       "layers get almost no gradient.",
       "vanishing_gradients",
       lambda: _loop(_mlp([13] + [64] * 8 + [1], act=nn.Sigmoid, seed=406, squeeze=True), _MSE, *_mpg(406),
                     epochs=40, make_opt=_sgd(0.01, momentum=0.9, nesterov=True), batch_size=16, seed=406,
                     make_sched=_step_lr(200, 0.5)), ("underfitting",)),
    _case14("r14_diamonds_resnet_branch_gain3_s407",
       "Diamonds log price with a 6-block residual MLP whose branches are initialized 3x too large: the signal "
       "and the gradients grow at every skip.",
       "exploding_gradients",
       lambda: _train(_ResBlocks(9, 64, 6, 1, branch_gain=3.0, seed=407), _diamonds(seed=407), epochs=5, lr=1e-3,
                      optimizer="adam", seed=407), ("bad_initialization", "underfitting")),
    _case14("r14_diamonds_bias_minus2_init_s408",
       "Diamonds log price with a custom init that sets hidden biases to -2: every ReLU is off and the net "
       "predicts a constant.",
       "dead_relu",
       lambda: _train(_bias_init(_mlp([9, 64, 64, 64, 1], seed=408, squeeze=True), -2.0), _diamonds(seed=408),
                      epochs=5, lr=1e-3, optimizer="adam", seed=408), ("underfitting",)),
    _case14("r14_mpg_tanh_normal_init_std1_s409",
       "mpg with a tanh MLP whose weights were drawn by nn.init.normal_ at its default std 1: the hidden tanh "
       "units sit at +-1.",
       "saturated_activations",
       lambda: _train(_normal_init(_mlp([13, 128, 128, 1], act=nn.Tanh, seed=409, squeeze=True), 1.0, 409),
                      _mpg(409), epochs=30, lr=1e-3, optimizer="adam", batch_size=16, seed=409), ("bad_initialization", "underfitting")),
    _case14("r14_markov_tied_embedding_std1_s410",
       "A next-token model with the output tied to nn.Embedding at its default N(0,1) init: the first logits "
       "are huge and the first loss far above ln(40).",
       "bad_initialization",
       lambda: _train(_TiedLM(seed=410, emb_std=1.0), _markov_text(seed=410), epochs=5, lr=1e-3,
                      optimizer="adam", classes=40, seed=410)),
    _case14("r14_diamonds_momentum_constant_lr_s411",
       "Diamonds log price with SGD+momentum at a constant lr 0.05 for 20 epochs: the loss flattens early and "
       "stays noisy; a decayed LR would go lower.",
       "plateau",
       lambda: _train(_mlp([9, 64, 64, 1], seed=411, squeeze=True), _diamonds(n=1600, seed=411), epochs=20,
                      lr=0.05, optimizer="momentum", batch_size=32, seed=411)),
    # ------------------------------------------------------------------------------------------------ healthy
    _case14("r14_diamonds_logprice_adamw_onecycle_s413",
       "Diamonds log price, AdamW (wd 1e-4) on a one-cycle schedule peaking at 3e-3.", None,
       lambda: _train(_mlp([9, 64, 64, 1], seed=413, squeeze=True), _diamonds(seed=413), epochs=6, lr=3e-3,
                      optimizer="adamw", schedule="onecycle", weight_decay=1e-4, seed=413)),
    _case14("r14_loop_tokens_transformer_warmup_cosine_s414",
       "Hand-written loop, a TransformerEncoderLayer classifier with AdamW at 3e-3 and a warmup-cosine LambdaLR.",
       None,
       lambda: _loop(_Transformer(seed=414), _CE, *_tok(414), epochs=6, make_opt=_adamw(3e-3), batch_size=64,
                     seed=414, make_sched=_warmup_cosine(30), task="classification", classes=2,
                     metric=_class_accuracy)),
    _case14("r14_tokens_embeddingbag_adagrad_s415",
       "An EmbeddingBag text classifier with Adagrad at lr 0.05.", None,
       lambda: _train(_Bag(seed=415), _tok(415), epochs=6, lr=0.05, optimizer="adagrad", classes=2, seed=415)),
    _case14("r14_markov_tied_embedding_small_init_s416",
       "The weight-tied next-token model with the embedding at N(0, 0.1^2), Adam on a cosine schedule.", None,
       lambda: _train(_TiedLM(seed=416, emb_std=0.1), _markov_text(seed=416), epochs=5, lr=1e-2,
                      optimizer="adam", schedule="cosine", classes=40, seed=416)),
    _case14("r14_mpg_resnet_param_groups_s417",
       "mpg with a 2-block residual MLP, Adam with per-child LRs (stem 3e-3, blocks 1e-3, head 3e-3) and no "
       "schedule.", None,
       lambda: _with_optimizer(lambda: _ResBlocks(13, 32, 2, 1, seed=417), _mpg(417),
                                lambda m: _groups(m, [3e-3, 1e-3, 3e-3]), lr=1e-3, epochs=40, batch_size=16,
                                seed=417)),
    _case14("r14_loop_economics_groupnorm_rmsprop_step_s418",
       "Hand-written loop, the Conv1d+GroupNorm regressor of next month's median unemployment duration with RMSprop 1e-3 and StepLR.", None,
       lambda: _loop(_GNConv(seed=418), _MSE, *_economics(seed=418, level=True), epochs=15, make_opt=_rmsprop(1e-3),
                     batch_size=32, seed=418, make_sched=_step_lr(100, 0.5))),
    _case14("r14_faithful_nesterov_cosine_s419",
       "Old Faithful waiting time from eruption length, SGD+Nesterov 0.02 on a cosine schedule.", None,
       lambda: _train(_mlp([1, 32, 32, 1], seed=419, squeeze=True), _faithful(seed=419), epochs=12, lr=0.02,
                      optimizer="nesterov", schedule="cosine", batch_size=16, seed=419)),
]

CASES += HELD_OUT_14


# --------------------------------------------------------------------------------------------------------------
# Round 15: written blind like rounds 6-14 (the issue's definitions given), after round 14's changes: the bugs
# people make in their own training loops, every case a hand-written loop with a Monitor used by hand —
# zero_grad forgotten, reduction="sum", softmax before CrossEntropyLoss, a sigmoid into BCEWithLogitsLoss, labels
# shuffled apart from their inputs, eval() left on in training, a per-epoch scheduler stepped per batch, a warmup
# that never ends, a scheduler never stepped, clipping at 1e-3, a trunk under torch.no_grad(), an (N, 1) output
# broadcast against (N,) targets, validation rows drawn from the training set, a validation loss from one 6-row
# batch — each labelled with what the recorded numbers show against a control with the bug fixed (each case's
# ``bug=False`` is its control). Run once, as is.
#
# First run: recall 14/18 = 0.78, precision 19/23 = 0.83, 1 of 6 healthy runs flagged (s442, a training loss flat
# at a constant LR while validation still inches down: read as a plateau). What its misses changed (each with a
# unit test in tests/test_diagnose.py): weights that got no gradient are left out of the update ratio (s428); on
# inputs a classifier compared with rows enough and found alike, validation worse than learning nothing is
# memorization, overfitting (s424). Left as misses: s435, s437, s442 (tests/test_zoo.py says why).

# ---------------------------------------------------------------------------------------------- helpers
def _bin_accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    return float(((out > 0).float() == y).float().mean())


def _as_binary(data):
    (xt, yt), (xv, yv) = data
    return (xt, yt.astype(np.float32)), (xv, yv.astype(np.float32))


def _shuffled_labels(data, seed: int):
    """The training labels permuted apart from their inputs (a bug in a custom Dataset); validation intact."""
    (xt, yt), val = data
    return (xt, yt[np.random.default_rng(seed).permutation(len(yt))]), val


def _val_from_train(data, n: int, seed: int):
    """The validation set drawn from the training rows (the split done after augmentation / on the wrong array)."""
    (xt, yt), _ = data
    rows = np.random.default_rng(seed).permutation(len(xt))[:n]
    return (xt, yt), (xt[rows], yt[rows])


def _small(data, n: int):
    (xt, yt), val = data
    return (xt[:n], yt[:n]), val


class _FrozenTrunk(nn.Module):
    """A trunk whose forward runs under ``torch.no_grad()`` (meant for a pretrained feature extractor, left in
    on a freshly initialized one): only the head learns, on random features."""

    def __init__(self, d_in: int, width: int, classes: int, seed: int) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.trunk = nn.Sequential(nn.Linear(d_in, width), nn.ReLU(), nn.Linear(width, 8), nn.ReLU())
        self.head = nn.Linear(8, classes)

    def forward(self, x):
        with torch.no_grad():
            h = self.trunk(x)
        return self.head(h)


def _quiet(loss_fn, message: str):
    """``loss_fn`` with the warning that starts with ``message`` silenced: a case's bug, not news for the test log."""

    def quiet(*args):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=message)
            return loss_fn(*args)

    return quiet


def _hand(model, data, *, seed: int, epochs: int, make_opt, loss: str = "ce", batch_size: int = 64,
          classes: int | None = None, zero_grad: bool = True, reduction: str = "mean", softmax_first: bool = False,
          sigmoid_first: bool = False, eval_in_train: bool = False, make_sched=None, sched_per_batch: bool = False,
          sched_step: bool = True, clip: float | None = None, unsqueezed_target: bool = False,
          val_last_batch: int | None = None, accumulate: int = 1):
    """A hand-written loop with a Monitor used by hand, and switches for the usual mistakes in one."""
    torch.manual_seed(seed)
    (xt, yt), (xv, yv) = data
    train = (torch.as_tensor(xt), torch.as_tensor(yt))
    xv, yv = torch.as_tensor(xv), torch.as_tensor(yv)
    if loss == "ce":
        crit, metric, task = nn.CrossEntropyLoss(reduction=reduction), _class_accuracy, "classification"
    elif loss == "bce":
        crit, metric, task = nn.BCEWithLogitsLoss(reduction=reduction), _bin_accuracy, "classification"
    else:
        crit, metric, task = nn.MSELoss(reduction=reduction), None, "regression"
    if unsqueezed_target:  # the bug torch warns about ("Using a target size ... different to the input size")
        crit = _quiet(crit, "Using a target size")

    def forward(x):
        out = model(x)
        if softmax_first:
            out = torch.softmax(out, 1)
        if sigmoid_first:
            out = torch.sigmoid(out)
        if loss == "mse" and not unsqueezed_target:
            out = out.squeeze(-1)
        elif loss == "bce":
            out = out.squeeze(-1)
        return out

    opt = make_opt(model.parameters())
    sched = make_sched(opt) if make_sched is not None else None
    g = torch.Generator().manual_seed(seed)
    gv = torch.Generator().manual_seed(seed + 7)
    with Monitor(model, opt) as monitor:
        for epoch in range(epochs):
            model.eval() if eval_in_train else model.train()
            pending = []
            for i, (x, y) in enumerate(_batches(train, batch_size, g)):
                out = forward(x)
                loss_value = crit(out, y)
                if zero_grad and i % accumulate == 0:
                    opt.zero_grad()
                (loss_value / accumulate).backward()
                pending.append(float(loss_value.detach()) / (len(y) if reduction == "sum" else 1))
                if (i + 1) % accumulate:
                    continue  # accumulating: no optimizer step, nothing for the monitor yet
                monitor.before_step()
                if not math.isfinite(pending[-1]):
                    monitor.after_step(pending[-1])
                    break
                if clip is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                opt.step()
                if sched is not None and sched_step and sched_per_batch:
                    sched.step()
                monitor.after_step(sum(pending) / len(pending))
                pending = []
            if sched is not None and sched_step and not sched_per_batch:
                sched.step()
            model.eval()
            with monitor.validating(), torch.no_grad():
                out = forward(xv)
                full = nn.CrossEntropyLoss() if loss == "ce" else nn.BCEWithLogitsLoss() if loss == "bce" else nn.MSELoss()
                if unsqueezed_target:
                    full = _quiet(nn.MSELoss(), "Using a target size")
                if val_last_batch is not None:  # the loss of the last batch of a shuffled loader, not the mean
                    rows = torch.randperm(len(xv), generator=gv)[-val_last_batch:]
                    val_loss = float(crit(out[rows], yv[rows]) / (len(rows) if reduction == "sum" else 1))
                else:
                    val_loss = float(crit(out, yv) / (len(yv) if reduction == "sum" else 1))
                vm = metric(out, yv) if metric is not None else None
            monitor.end_epoch(val_loss=val_loss, val_metric=vm)
            if epoch == 0:
                monitor.history.extras["constant_loss"] = constant_loss(full, out, yv)
            if not math.isfinite(monitor.history.losses[-1]):
                break
        history = monitor.history
    history.config.update(task=task, num_classes=classes if loss == "ce" else (2 if loss == "bce" else None))
    return history


_case15 = _held_out_case(15)


_D = lambda s: _digits(s)
_T = lambda s, **kw: _teacher(seed=s, **kw)


def _steplr(every, gamma):
    return lambda opt: torch.optim.lr_scheduler.StepLR(opt, every, gamma)


def _never_ending_warmup(steps):
    return lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda k: min(1.0, (k + 1) / steps))


# Each entry: name, description, expected, acceptable, train(bug=True), so a control is the same call with bug=False.
def _specs15():
    return [
        ("r15_loop_digits_momentum_no_zero_grad_s420",
         "Hand loop on the digits MLP, SGD momentum 0.9 at lr 0.02, optimizer.zero_grad() forgotten: the gradients "
         "pile up step after step.", "lr_too_high", ("exploding_gradients", "dead_relu"),
         lambda bug=True: _hand(_mlp([64, 128, 64, 10], seed=420), _D(420), seed=420, epochs=3, classes=10,
                                make_opt=_sgd(0.02, momentum=0.9), zero_grad=not bug)),
        ("r15_loop_waves_sgd_reduction_sum_s421",
         "Hand loop, regression MLP, SGD at lr 0.05 with MSELoss(reduction='sum') on batches of 128: the step is 128x "
         "the one meant.", "lr_too_high", ("exploding_gradients",),
         lambda bug=True: _hand(_mlp([8, 64, 64, 1], seed=421), _waves(seed=421), seed=421, epochs=6, loss="mse",
                                batch_size=128, make_opt=_sgd(0.05), reduction="sum" if bug else "mean")),
        ("r15_loop_teacher_softmax_before_ce_s422",
         "Hand loop, teacher task (4 classes), softmax applied in the model before CrossEntropyLoss (a double softmax), "
         "SGD at lr 0.1.", "underfitting", (),
         lambda bug=True: _hand(_mlp([10, 64, 64, 4], seed=422), _T(422), seed=422, epochs=6, classes=4,
                                make_opt=_sgd(0.1), softmax_first=bug)),
        ("r15_loop_cancer_sigmoid_into_bce_logits_s423",
         "Hand loop, breast cancer, a sigmoid output fed to BCEWithLogitsLoss (squashed twice), SGD lr 0.05.",
         "underfitting", (),
         lambda bug=True: _hand(_mlp([30, 32, 1], seed=423), _as_binary(_breast_cancer(seed=423)), seed=423,
                                epochs=25, loss="bce", batch_size=32, make_opt=_sgd(0.05), sigmoid_first=bug)),
        ("r15_loop_teacher_labels_shuffled_wide_s424",
         "Hand loop, teacher task on 600 rows whose labels were permuted apart from their inputs, a wide MLP with Adam "
         "for 40 epochs: it memorizes noise.", "overfitting", (),
         lambda bug=True: _hand(_mlp([10, 256, 256, 4], seed=424),
                                _shuffled_labels(_small(_T(424), 600), 424) if bug else _small(_T(424), 600),
                                seed=424, epochs=40, classes=4, make_opt=_adam(3e-3))),
        ("r15_loop_digits_step_lr_per_batch_s425",
         "Hand loop, digits MLP, SGD lr 0.1 with StepLR(step_size=2, gamma=0.5) meant per epoch but stepped every "
         "batch: the LR halves every 2 steps and is ~0 after the first epoch.", "lr_too_low", ("underfitting",),
         lambda bug=True: _hand(_mlp([64, 64, 10], seed=425), _D(425), seed=425, epochs=8, classes=10,
                                make_opt=_sgd(0.1), make_sched=_steplr(2, 0.5), sched_per_batch=bug)),
        ("r15_loop_waves_warmup_never_ends_s426",
         "Hand loop, regression MLP, Adam lr 1e-3 under a linear warmup written for 100,000 steps in a run of ~180: "
         "the LR never leaves 1e-3 x step/100000.", "lr_too_low", ("underfitting",),
         lambda bug=True: _hand(_mlp([8, 64, 64, 1], seed=426), _waves(seed=426), seed=426, epochs=5, loss="mse",
                                make_opt=_adam(1e-3), make_sched=_never_ending_warmup(100_000 if bug else 20),
                                sched_per_batch=True)),
        ("r15_loop_teacher_clip_norm_1e3_s427",
         "Hand loop, teacher task, SGD lr 0.1 with clip_grad_norm_(params, 1e-3) (meant 1.0): every step is ~1e-4 long.",
         "lr_too_low", ("underfitting",),
         lambda bug=True: _hand(_mlp([10, 64, 64, 4], seed=427), _T(427), seed=427, epochs=6, classes=4,
                                make_opt=_sgd(0.1), clip=1e-3 if bug else 1.0)),
        ("r15_loop_digits_frozen_trunk_no_grad_s428",
         "Hand loop, digits: the trunk's forward under torch.no_grad() (8 random ReLU features), only a linear head "
         "learns; Adam lr 3e-3.", "underfitting", (),
         lambda bug=True: _hand(_FrozenTrunk(64, 64, 10, 428) if bug else _mlp([64, 64, 8, 10], seed=428), _D(428),
                                seed=428, epochs=8, classes=10, make_opt=_adam(3e-3))),
        ("r15_loop_friedman_target_broadcast_s429",
         "Hand loop, Friedman regression, MSELoss(out, y) with out (N, 1) and y (N,): the loss broadcasts to N x N and "
         "the best the model can do is the mean.", "underfitting", (),
         lambda bug=True: _hand(_mlp([10, 64, 64, 1], seed=429), _friedman(seed=429), seed=429, epochs=6, loss="mse",
                                make_opt=_adam(1e-3), unsqueezed_target=bug)),
        ("r15_loop_teacher_batch_size_1_s430",
         "Hand loop, teacher task, DataLoader batch_size left at its default of 1, SGD lr 0.02: 600 very noisy steps an "
         "epoch.", "batch_too_small", (),
         lambda bug=True: _hand(_mlp([10, 64, 64, 4], seed=430), _small(_T(430), 600), seed=430, epochs=2, classes=4,
                                make_opt=_sgd(0.02), batch_size=1 if bug else 64)),
        ("r15_loop_teacher_init_normal_std1_deep_s431",
         "Hand loop, teacher task, a 6-layer ReLU MLP initialized with nn.init.normal_(w) (std 1 instead of "
         "~1/sqrt(fan_in)), Adam 1e-3.", "bad_initialization", ("exploding_gradients", "underfitting"),
         lambda bug=True: _hand(_normal_init(_mlp([10] + [64] * 5 + [4], seed=431), 1.0 if bug else 0.15, 431), _T(431),
                                seed=431, epochs=5, classes=4, make_opt=_adam(1e-3))),
        ("r15_loop_digits_tanh_init_std001_s432",
         "Hand loop, digits, an 8-layer tanh MLP initialized with normal(0, 0.01) as in old tutorials, SGD lr 0.1: the "
         "signal and the gradients shrink layer by layer.", "vanishing_gradients", ("bad_initialization", "underfitting"),
         lambda bug=True: _hand(_normal_init(_mlp([64] + [64] * 7 + [10], act=nn.Tanh, seed=432), 0.01 if bug else 0.125,
                                             432), _D(432), seed=432, epochs=6, classes=10, make_opt=_sgd(0.1))),
        ("r15_loop_wine_raw_features_tanh_s433",
         "Hand loop, wine with its features as they come (proline in the hundreds to over a thousand) into a tanh MLP, "
         "Adam 1e-3.", "saturated_activations", ("bad_initialization", "underfitting", "exploding_gradients"),
         lambda bug=True: _hand(_mlp([13, 64, 64, 3], act=nn.Tanh, seed=433), _wine(seed=433, standardize=not bug),
                                seed=433, epochs=30, classes=3, batch_size=16, make_opt=_adam(1e-3))),
        ("r15_loop_teacher_scheduler_never_stepped_s435",
         "Hand loop, teacher task, SGD momentum lr 0.3 with a StepLR(5, 0.1) built but sched.step() never called: the "
         "loss stalls at the level the high constant LR allows.", "plateau", ("lr_too_high", "dead_relu"),
         lambda bug=True: _hand(_mlp([10, 64, 64, 4], seed=435), _T(435), seed=435, epochs=15, classes=4,
                                make_opt=_sgd(0.3, momentum=0.9), make_sched=_steplr(5, 0.1), sched_step=not bug)),
        ("r15_loop_digits_val_rows_from_train_s436",
         "Hand loop, digits on 400 training rows, the validation set 300 of those same rows; a wide MLP with dropout "
         "0.5 trained by Adam 30 epochs.", "unrepresentative_validation", (),
         lambda bug=True: _hand(_mlp([64, 256, 256, 10], seed=436, dropout=0.5),
                                _val_from_train(_small(_D(436), 400), 300, 436) if bug else _small(_D(436), 400),
                                seed=436, epochs=30, classes=10, make_opt=_adam(1e-3))),
        ("r15_loop_teacher_val_loss_of_last_batch_s437",
         "Hand loop, teacher task, the validation loss taken from the last batch of a shuffled loader (6 rows) "
         "instead of the whole set.", "unrepresentative_validation", (),
         lambda bug=True: _hand(_mlp([10, 64, 64, 4], seed=437), _T(437), seed=437, epochs=10, classes=4,
                                make_opt=_adam(1e-3), val_last_batch=6 if bug else None)),
        ("r15_loop_cancer_eval_mode_in_training_s438",
         "Hand loop, breast cancer on 120 rows, a wide MLP with dropout 0.5, model.eval() left on for training "
         "(dropout off) by a validation call at the top of the loop; Adam 1e-3 for 60 epochs.", "overfitting", (),
         lambda bug=True: _hand(_mlp([30, 256, 256, 1], seed=438, dropout=0.5), _small(_as_binary(_breast_cancer(seed=438)), 120),
                                seed=438, epochs=60, loss="bce", batch_size=16, make_opt=_adam(1e-3), eval_in_train=bug)),
        # ------------------------------------------------------------------------------------------------ healthy
        ("r15_loop_digits_adam_correct_s439",
         "Hand loop written correctly: digits MLP, Adam 1e-3, zero_grad, mean loss, eval for validation.", None, (),
         lambda bug=False: _hand(_mlp([64, 128, 64, 10], seed=439), _D(439), seed=439, epochs=8, classes=10,
                                 make_opt=_adam(1e-3))),
        ("r15_loop_friedman_sgd_step_lr_per_epoch_s440",
         "Hand loop written correctly: Friedman regression MLP, SGD momentum lr 0.02 with StepLR(4, 0.3) stepped once "
         "per epoch.", None, (),
         lambda bug=False: _hand(_mlp([10, 64, 64, 1], seed=440), _friedman(seed=440), seed=440, epochs=12, loss="mse",
                                 make_opt=_sgd(0.02, momentum=0.9), make_sched=_steplr(4, 0.3))),
        ("r15_loop_teacher_grad_accumulation_4_s441",
         "Hand loop with gradient accumulation done right: loss / 4, zero_grad every 4 batches of 16, Adam 2e-3.",
         None, (),
         lambda bug=False: _hand(_mlp([10, 64, 64, 4], seed=441), _T(441), seed=441, epochs=8, classes=4, batch_size=16,
                                 make_opt=_adam(2e-3), accumulate=4)),
        ("r15_loop_cancer_bce_logits_correct_s442",
         "Hand loop written correctly: breast cancer, logits into BCEWithLogitsLoss, SGD momentum lr 0.01.", None, (),
         lambda bug=False: _hand(_mlp([30, 32, 1], seed=442), _as_binary(_breast_cancer(seed=442)), seed=442,
                                 epochs=20, loss="bce", batch_size=32, make_opt=_sgd(0.01, momentum=0.9))),
        ("r15_loop_digits_cnn_warmup_ends_s443",
         "Hand loop written correctly: the digits CNN, Adam 2e-3 under a 50-step linear warmup that ends.", None, (),
         lambda bug=False: _hand(_cnn(seed=443), _D(443), seed=443, epochs=8, classes=10, make_opt=_adam(2e-3),
                                 make_sched=_never_ending_warmup(50), sched_per_batch=True)),
        ("r15_loop_friedman_clip_1_adam_s444",
         "Hand loop written correctly: Friedman regression, Adam 1e-3, clip_grad_norm_ at 1.0 after backward.", None, (),
         lambda bug=False: _hand(_mlp([10, 64, 64, 1], seed=444), _friedman(seed=444), seed=444, epochs=12, loss="mse",
                                 make_opt=_adam(1e-3), clip=1.0)),
    ]


HELD_OUT_15: list[Case] = [_case15(name, desc, expected, train, acc) for name, desc, expected, acc, train in _specs15()]

CASES += HELD_OUT_15


# --------------------------------------------------------------------------------------------------------------
# Round 16: written blind like rounds 6-15 (the issue's definitions given), after round 15's changes: trainwise's own
# training features used well and badly — schedule specs (cyclical, warm restarts, exponential, poly, one-cycle,
# multistep, warmup_cosine), PlateauDecay, EarlyStopping, lr="auto", gradient accumulation, the built-in
# experiments — each labelled with what the recorded numbers show against a control with the mistake fixed (each
# case's ``bug=False``). Healthy runs include warm restarts and cyclical schedules. Run once, as is.
#
# First run: recall 13/17 = 0.76, precision 17/21 = 0.81, 2 of 6 healthy runs flagged (s467, s468: plateaus read on
# training curves still falling ~10-25% an epoch after a large early drop). One label added after it, as the zoo
# labels the same defect elsewhere: exploding_gradients on s452. What its misses changed (each with a unit test in
# tests/test_diagnose.py): a training loss still falling by a steady fraction of itself on a log scale is no plateau
# (s468, round 15's s442; round 1's plateau_cnn_s22 turned out to be such a run and is relabelled healthy); on a
# validation set of fewer than 50 samples, validation jumping three times more than training is unrepresentative at
# any LR (s460). Left as misses: s450, s451, s453, s467 (tests/test_zoo.py says why).

# ---------------------------------------------------------------------------------------------- helpers
def _fit16(model, data, *, epochs, lr, seed, classes=None, optimizer="adam", batch_size=64, schedule=None,
           callbacks=(), accumulation_steps=1, clip_grad_norm=None, optimizer_options=None, val=None):
    """``trainwise.fit`` with a default Monitor plus ``callbacks``, on the zoo's shuffled row batches (the same
    loaders as ``zoo_cases._train``), exposing the options ``_train`` does not."""
    (xt, yt), (xv, yv) = data
    if val is not None:
        xv, yv = val
    train = _Rows(torch.from_numpy(np.ascontiguousarray(xt)), torch.from_numpy(np.ascontiguousarray(yt)))
    valid = _Rows(torch.from_numpy(np.ascontiguousarray(xv)), torch.from_numpy(np.ascontiguousarray(yv)))
    g = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train, batch_size=None, sampler=BatchSampler(RandomSampler(train, generator=g), batch_size, False),
                              generator=g)  # fmt: skip
    val_loader = DataLoader(valid, batch_size=None, sampler=BatchSampler(SequentialSampler(valid), 512, False))
    classification = classes is not None
    history = trainwise.fit(
        model, nn.CrossEntropyLoss() if classification else nn.MSELoss(), train_loader, val_loader=val_loader,
        epochs=epochs, optimizer=optimizer, lr=lr, schedule=schedule, seed=seed,
        metric=_accuracy if classification else None, optimizer_options=optimizer_options,
        accumulation_steps=accumulation_steps, clip_grad_norm=clip_grad_norm,
        callbacks=[Monitor(), *callbacks],
    )
    history.config.update(task="classification" if classification else "regression", num_classes=classes)
    return history


def _tiny_val(data, n):
    train, (xv, yv) = data
    return train, (xv[:n], yv[:n])


def _experiment(name, *, seed, **kw):
    return fit_experiment(trainwise.load_experiment(name), seed=seed, callbacks=[Monitor()], **kw)


_case16 = _held_out_case(16)




def _specs16():
    # (name, description, expected, acceptable, train(bug) -- bug=False is the control with the mistake fixed)
    return [
        ("r16_teacher_adam_cyclic_peak_05_s445",
         "Teacher task (4 classes), Adam on the 'cyclic' spec with lr=0.5 as its peak (base 0.05): the peak copied "
         "from an SGD recipe, 100x what Adam takes.", "lr_too_high", ("dead_relu",),
         lambda bug=True: _fit16(_mlp([10, 64, 64, 4], seed=445), _T(445), epochs=8, lr=0.5 if bug else 5e-3,
                                 seed=445, classes=4, schedule="cyclic")),
        ("r16_waves_momentum_sgdr_every_4_steps_peak_05_s446",
         "Waves regression, SGD momentum 0.9 with warm restarts every 4 steps (sgdr:cycle_steps=4,cycle_mult=1) at "
         "peak 0.5: the LR returns to its peak every 4 steps and the model never settles.", "lr_too_high", ("exploding_gradients", "dead_relu"),
         lambda bug=True: _fit16(_mlp([8, 64, 64, 1], seed=446, squeeze=True), _waves(seed=446), epochs=8,
                                 lr=0.5 if bug else 0.05, seed=446, optimizer="momentum",
                                 schedule="sgdr:cycle_steps=4,cycle_mult=1")),
        ("r16_digits_adam_exp_gamma_09_s447",
         "Digits MLP, Adam 1e-3 on 'exp:gamma=0.9' meant per epoch but applied per step: the LR is ~1e-5 after 45 "
         "steps and ~1e-10 by epoch 10.", "lr_too_low", ("underfitting",),
         lambda bug=True: _fit16(_mlp([64, 64, 10], seed=447), _D(447), epochs=10, lr=1e-3, seed=447, classes=10,
                                 schedule="exp:gamma=0.9" if bug else "exp")),
        ("r16_friedman_sgd_poly_power_12_s448",
         "Friedman regression, SGD momentum lr 0.02 under 'poly:power=12': the LR falls 3x in the first tenth of "
         "the run and 100x by a third of it.", "lr_too_low", ("underfitting",),
         lambda bug=True: _fit16(_mlp([10, 64, 64, 1], seed=448, squeeze=True), _friedman(seed=448), epochs=10,
                                 lr=0.02, seed=448, optimizer="momentum",
                                 schedule="poly:power=12" if bug else "poly")),
        ("r16_teacher_sgd_onecycle_peak_1e3_s449",
         "Teacher task, plain SGD under 'onecycle' with peak lr 1e-3 (the Adam habit; SGD wants ~0.1 here).",
         "lr_too_low", ("underfitting",),
         lambda bug=True: _fit16(_mlp([10, 64, 64, 4], seed=449), _T(449), epochs=6, lr=1e-3 if bug else 0.1,
                                 seed=449, classes=4, optimizer="sgd", schedule="onecycle")),
        ("r16_friedman_early_stopping_min_delta_005_s450",
         "Friedman regression, SGD momentum lr 0.01, EarlyStopping(patience=1, min_delta=0.05): min_delta meant as "
         "5% but counted in loss units, so the run stops at epoch 3 while the loss is still falling fast.",
         "underfitting", (),
         lambda bug=True: _fit16(_mlp([10, 64, 64, 1], seed=450, squeeze=True), _friedman(seed=450), epochs=14,
                                 lr=0.01, seed=450, optimizer="momentum",
                                 callbacks=[EarlyStopping(patience=1, min_delta=0.05 if bug else 0.0)])),
        ("r16_friedman_plateau_decay_patience_0_factor_01_s451",
         "Friedman regression, SGD momentum lr 0.01 with PlateauDecay(patience=0, factor=0.1, threshold=0.1): each "
         "epoch that does not cut the validation loss by 10% cuts the LR 10x, down to 1e-6 by the end.",
         "lr_too_low", (),
         lambda bug=True: _fit16(_mlp([10, 64, 64, 1], seed=451, squeeze=True), _friedman(seed=451), epochs=14,
                                 lr=0.01, seed=451, optimizer="momentum",
                                 callbacks=[PlateauDecay(patience=0, factor=0.1, threshold=0.1) if bug
                                            else PlateauDecay(patience=2, factor=0.5)])),
        ("r16_cancer_raw_features_lr_auto_s452",
         "Breast cancer with its raw features (areas in the thousands), lr='auto': the range test cannot undo "
         "unscaled inputs; the first loss is far above ln 2.", "bad_initialization",
         # exploding_gradients added after the first run, as round 6's explode_raw_cancer_s176 labels the same defect
         ("underfitting", "dead_relu", "exploding_gradients"),
         lambda bug=True: _fit16(_mlp([30, 64, 64, 2], seed=452), _breast_cancer(seed=452, standardize=not bug),
                                 epochs=10, lr="auto", seed=452, classes=2, batch_size=32)),
        ("r16_teacher_deep_relu_warmup_cosine_adam_005_s453",
         "Teacher task, a 6-layer ReLU MLP, Adam on 'warmup_cosine' peaking at 0.05: the short warmup ends at 10x "
         "a sane peak: most units of the deeper ReLU layers end dead.", "dead_relu", ("lr_too_high",),
         lambda bug=True: _fit16(_mlp([10, 128, 128, 128, 128, 128, 4], seed=453), _T(453), epochs=6,
                                 lr=0.05 if bug else 3e-3, seed=453, classes=4, schedule="warmup_cosine")),
        ("r16_waves_sgd_multistep_factor_10_s454",
         "Waves regression, SGD lr 0.05 on 'multistep:milestones=3/6,factor=10' (10 written for 0.1): the LR "
         "rises 10x at epoch 3 and again at 6.", "lr_too_high", ("exploding_gradients",),
         lambda bug=True: _fit16(_mlp([8, 64, 64, 1], seed=454, squeeze=True), _waves(seed=454), epochs=9, lr=0.05,
                                 seed=454, optimizer="sgd",
                                 schedule="multistep:milestones=3/6,factor=" + ("10" if bug else "0.1"))),
        ("r16_teacher_small_wide_cosine_long_s455",
         "Teacher task on 300 training rows, a 512-wide MLP with Adam 3e-3 on a cosine schedule for 60 epochs: "
         "it memorizes the rows.", "overfitting", (),
         lambda bug=True: _fit16(_mlp([10, 512, 512, 4], seed=455), _small(_T(455), 300) if bug else _T(455),
                                 epochs=60 if bug else 8, lr=3e-3, seed=455, classes=4, schedule="cosine")),
        ("r16_digits_batch_2_no_accumulation_s456",
         "Digits MLP, Adam 1e-3 on batches of 2 (accumulation_steps left at 1); the control accumulates 32 "
         "micro-batches of 2 per update.", "batch_too_small", (),
         lambda bug=True: _fit16(_mlp([64, 64, 10], seed=456), _small(_D(456), 700), epochs=3, lr=1e-3, seed=456,
                                 classes=10, batch_size=2, accumulation_steps=1 if bug else 32)),
        ("r16_teacher_early_stopping_accuracy_mode_min_s458",
         "Teacher task, Adam 1e-3, EarlyStopping(monitor='val_metric', mode='min', patience=1) on accuracy: it "
         "waits for the accuracy to fall and stops two epochs in, while everything is still improving.",
         "underfitting", (),
         lambda bug=True: _fit16(_mlp([10, 64, 64, 4], seed=458), _T(458), epochs=12, lr=1e-3, seed=458, classes=4,
                                 callbacks=[EarlyStopping(monitor="val_metric", mode="min" if bug else "max",
                                                          patience=1)])),
        ("r16_experiment_digits_lr_03_s459",
         "The built-in 'digits' experiment (small CNN, Adam) run with lr=0.3 instead of its 1e-3, 4 epochs.",
         "lr_too_high", ("dead_relu",),
         lambda bug=True: _experiment("digits", seed=459, epochs=4, lr=0.3 if bug else None)),
        ("r16_teacher_early_stopping_val_24_rows_s460",
         "Teacher task, Adam 3e-3, batch 16, EarlyStopping(patience=4) on a validation set of 24 rows: the "
         "validation loss jumps from epoch to epoch far more than the training loss.",
         "unrepresentative_validation", (),
         lambda bug=True: _fit16(_mlp([10, 64, 64, 4], seed=460), _tiny_val(_T(460), 24) if bug else _T(460),
                                 epochs=12, lr=3e-3, seed=460, classes=4, batch_size=16,
                                 callbacks=[EarlyStopping(patience=4)])),
        ("r16_teacher_deep_sigmoid_lr_auto_s461",
         "Teacher task, a 10-layer sigmoid MLP trained with lr='auto' (one-cycle around the range test's pick): "
         "the first layers get almost no gradient.", "vanishing_gradients", ("underfitting",),
         lambda bug=True: _fit16(_mlp([10] + [64] * 9 + [4], act=nn.Sigmoid, seed=461) if bug
                                 else _mlp([10] + [64] * 9 + [4], norm="layer", seed=461), _T(461),
                                 epochs=6, lr="auto", seed=461, classes=4)),
        ("r16_experiment_diamonds_sgd_1e4_s462",
         "The built-in 'diamonds' experiment (L1 loss) with plain SGD at lr 1e-4 for 2 epochs (its Adam 1e-3 "
         "swapped for SGD without raising the LR).", "lr_too_low", ("underfitting",),
         lambda bug=True: _experiment("diamonds", seed=462, epochs=2, optimizer="sgd" if bug else None,
                                      lr=1e-4 if bug else None, batch_size=512)),
        # ---------------------------------------------------------------------------------------- healthy
        ("r16_digits_adam_sgdr_default_s463",
         "Digits MLP, Adam 3e-3 on the default 'sgdr' spec (three cosine cycles, 1+2+4): the loss jumps at each "
         "restart by design.", None, (),
         lambda bug=False: _fit16(_mlp([64, 128, 10], seed=463), _D(463), epochs=12, lr=3e-3, seed=463, classes=10,
                                  schedule="sgdr")),
        ("r16_teacher_momentum_cyclic_triangular2_s464",
         "Teacher task, SGD momentum on 'cyclic:mode=triangular2' between 0.01 and 0.1.", None, (),
         lambda bug=False: _fit16(_mlp([10, 64, 64, 4], seed=464), _T(464), epochs=10, lr=0.1, seed=464, classes=4,
                                  optimizer="momentum", schedule="cyclic:mode=triangular2")),
        ("r16_teacher_lr_auto_onecycle_s465",
         "Teacher task, lr='auto' with no schedule (the range test's pick as a one-cycle peak).", None, (),
         lambda bug=False: _fit16(_mlp([10, 64, 64, 4], seed=465), _T(465), epochs=8, lr="auto", seed=465, classes=4)),
        ("r16_waves_adamw_sgdr_restart_every_epoch_s466",
         "Waves regression, AdamW 3e-3 with a warm restart every epoch (sgdr:cycle_steps=36,cycle_mult=1): the "
         "per-step loss saw-tooths, the epochs improve.", None, (),
         lambda bug=False: _fit16(_mlp([8, 64, 64, 1], seed=466, squeeze=True), _waves(seed=466), epochs=20, lr=3e-3,
                                  seed=466, optimizer="adamw", schedule="sgdr:cycle_steps=36,cycle_mult=1")),
        ("r16_experiment_digits_defaults_s467",
         "The built-in 'digits' experiment with its own settings, 8 epochs.", None, (),
         lambda bug=False: _experiment("digits", seed=467, epochs=8)),
        ("r16_friedman_adam_plateau_decay_early_stopping_clip_s468",
         "Friedman regression, Adam 3e-3 with clip_grad_norm=1, PlateauDecay(patience=1, factor=0.5) and "
         "EarlyStopping(patience=4), 2 micro-batches accumulated per update.", None, (),
         lambda bug=False: _fit16(_mlp([10, 64, 64, 1], seed=468, squeeze=True), _friedman(seed=468), epochs=16,
                                  lr=3e-3, seed=468, batch_size=32, accumulation_steps=2, clip_grad_norm=1.0,
                                  callbacks=[PlateauDecay(patience=1, factor=0.5), EarlyStopping(patience=4)])),
    ]


HELD_OUT_16: list[Case] = [_case16(name, desc, expected, train, acc) for name, desc, expected, acc, train in _specs16()]

CASES += HELD_OUT_16


# --------------------------------------------------------------------------------------------------------------
# Round 17: written blind like rounds 6-16 (the issue's definitions given), after round 16's changes: the instrument
# findings (vanishing and exploding gradients, dead ReLUs, saturated activations, bad initialization) in 1-D/2-D
# CNNs, deep plain and residual MLPs, post-LN and pre-LN transformers, embedding models, an autoencoder and LSTMs —
# wrong init gains and stds, biases set badly, LeakyReLU(0), Hardtanh/Hardsigmoid — and healthy runs of the same
# architectures set up well. Run once, as is.
#
# First run: recall 14/16 = 0.88, precision 19/23 = 0.83, 2 of 5 healthy runs flagged (s487 a plateau on a 6-epoch
# curve still falling; s490 underfitting at 59% of the constant's loss). What its misses changed (a unit test in
# tests/test_layer_stats.py): LeakyReLU with slope 0 is watched as a ReLU, whose units can die (s476). Left as
# misses: s480, s482, s487, s490 (tests/test_zoo.py says why).

_case17 = _held_out_case(17)


# ------------------------------------------------------------------------------------------------ models
def _init17(model, fn, seed):
    torch.manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            fn(m.weight)
            nn.init.zeros_(m.bias)
    return model


def _plain17(sizes, act, seed, squeeze=False, norm=False):
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            if norm:
                layers.append(nn.LayerNorm(b))
            layers.append(act())
    if squeeze:
        layers.append(nn.Flatten(0))
    return nn.Sequential(*layers)


def _conv1d_stack(depth, act, seed, channels=16, bn=False, classes=3):
    """``depth`` 1-d convolutions (kernel 5) over a single-channel sequence, ``act`` after each, global average
    pooling and a linear head."""
    torch.manual_seed(seed)
    layers = [nn.Unflatten(1, (1, -1))]
    c = 1
    for _ in range(depth):
        layers.append(nn.Conv1d(c, channels, 5, padding=2))
        if bn:
            layers.append(nn.BatchNorm1d(channels))
        layers.append(act())
        c = channels
    layers += [nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(channels, classes)]
    return nn.Sequential(*layers)


def _conv2d_stack(depth, seed, channels=16, bn=False, act=nn.ReLU):
    """``depth`` 3x3 convolutions on the 8x8 digits (no pooling), ``act`` after each, global average pool, head."""
    torch.manual_seed(seed)
    layers = [nn.Unflatten(1, (1, 8, 8))]
    c = 1
    for _ in range(depth):
        layers.append(nn.Conv2d(c, channels, 3, padding=1))
        if bn:
            layers.append(nn.BatchNorm2d(channels))
        layers.append(act())
        c = channels
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 10)]
    return nn.Sequential(*layers)


class _Res(nn.Module):
    """Residual MLP ``h + W2 relu(W1 norm(h))``; ``norm`` LayerNorm (pre-LN) or identity."""

    def __init__(self, d_in, width, blocks, d_out, seed, norm=True, branch_init=None, squeeze=True):
        super().__init__()
        torch.manual_seed(seed)
        self.inp = nn.Linear(d_in, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width) if norm else nn.Identity(), nn.Linear(width, width), nn.ReLU(),
                          nn.Linear(width, width)) for _ in range(blocks))
        self.out_norm = nn.LayerNorm(width) if norm else nn.Identity()
        self.head = nn.Linear(width, d_out)
        self.squeeze = squeeze
        if branch_init is not None:
            torch.manual_seed(seed + 1)
            for b in self.blocks:
                for m in b:
                    if isinstance(m, nn.Linear):
                        branch_init(m.weight)

    def forward(self, x):
        h = self.inp(x)
        for b in self.blocks:
            h = h + b(h)
        out = self.head(self.out_norm(h))
        return out.squeeze(-1) if self.squeeze else out


class _Tfm(nn.Module):
    """A small transformer encoder classifier over tokens (vocabulary 50): embedding + learned positions,
    ``layers`` encoder layers (post-LN or pre-LN), mean pooling and a linear head."""

    def __init__(self, seed, layers=2, d=32, norm_first=True, length=24, classes=2, emb_std=None):
        super().__init__()
        torch.manual_seed(seed)
        self.emb = nn.Embedding(50, d)
        self.pos = nn.Parameter(torch.randn(length, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, 4, 64, dropout=0.0, batch_first=True, norm_first=norm_first)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)
        if emb_std is not None:
            nn.init.normal_(self.emb.weight, 0.0, emb_std)

    def forward(self, x):
        h = self.enc(self.emb(x) + self.pos)
        return self.head(h.mean(1))


class _BagModel(nn.Module):
    """Embedding bag (mean of token vectors) -> Linear -> act -> Linear head."""

    def __init__(self, seed, d=32, hidden=64, act=nn.ReLU, emb_std=None, classes=2):
        super().__init__()
        torch.manual_seed(seed)
        self.emb = nn.Embedding(50, d)
        self.fc = nn.Linear(d, hidden)
        self.act = act()
        self.head = nn.Linear(hidden, classes)
        if emb_std is not None:
            nn.init.normal_(self.emb.weight, 0.0, emb_std)

    def forward(self, x):
        return self.head(self.act(self.fc(self.emb(x).mean(1))))


class _LSTMReg(nn.Module):
    """LSTM over the sequence, linear head on the last hidden state; forget-gate bias set to ``forget_bias``."""

    def __init__(self, seed, hidden=32, forget_bias=1.0):
        super().__init__()
        torch.manual_seed(seed)
        self.rnn = nn.LSTM(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        with torch.no_grad():
            for name, p in self.rnn.named_parameters():
                if name.startswith("bias"):
                    p.zero_()
            self.rnn.bias_ih_l0[hidden:2 * hidden].fill_(forget_bias)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).squeeze(-1)


def _autoencoder(seed, act=nn.ReLU, depth=2, width=32, code=8, bias=None):
    """A digits (64 pixels, standardized) autoencoder: encoder 64-width*depth-code, mirrored decoder."""
    sizes = [64] + [width] * depth + [code] + [width] * depth + [64]
    model = _plain17(sizes, act, seed)
    if bias is not None:
        with torch.no_grad():
            for m in [m for m in model if isinstance(m, nn.Linear)][:-1]:
                m.bias.fill_(bias)
    return model


def _ae_data(seed):
    (xt, _), (xv, _) = _digits(seed=seed)
    return (xt, xt), (xv, xv)


def _xavier(gain):
    return lambda w: nn.init.xavier_normal_(w, gain=gain)


def _ortho(gain):
    return lambda w: nn.init.orthogonal_(w, gain=gain)


def _kaiming(scale=1.0):
    def f(w):
        nn.init.kaiming_normal_(w, nonlinearity="relu")
        with torch.no_grad():
            w.mul_(scale)
    return f


def _normal17(std):
    return lambda w: nn.init.normal_(w, 0.0, std)


def _set_bias17(model, kinds, value, skip_last=True):
    ms = [m for m in model.modules() if isinstance(m, kinds)]
    with torch.no_grad():
        for m in (ms[:-1] if skip_last else ms):
            m.bias.fill_(value)
    return model


def _set_head_bias(model, values):
    with torch.no_grad():
        model.head.bias.copy_(torch.tensor(values))
    return model


# -------------------------------------------------------------------------------------------- train fns
def _t470(defect=True):
    m = _conv1d_stack(8, nn.Sigmoid if defect else nn.ReLU, 470)
    return _train(m, _motifs(n=1200, seed=470), epochs=6, lr=3e-3, classes=3, seed=470)


def _t471(defect=True):
    m = _init17(_plain17([10] + [64] * 14 + [4], nn.Tanh, 471), _xavier(0.4 if defect else 5 / 3), 471)
    return _train(m, _teacher(n=2000, seed=471), epochs=8, lr=1e-2, optimizer="momentum", classes=4, seed=471)


def _t473(defect=True):
    m = _init17(_plain17([10] + [64] * 12 + [4], nn.ReLU, 473), _ortho(3.0 if defect else math.sqrt(2)), 473)
    return _train(m, _teacher(n=2000, seed=473), epochs=8, lr=1e-3, classes=4, seed=473)


def _t474(defect=True):
    m = _init17(_conv2d_stack(7, 474, bn=not defect), _kaiming(2.5), 474)
    return _train(m, _digits(seed=474), epochs=3, lr=1e-3, classes=10, seed=474, batch_size=64)


def _t475(defect=True):
    m = _Res(10, 64, 16, 1, 475, norm=not defect, branch_init=_kaiming(1.0))
    (data) = _friedman(n=2000, seed=475)
    return _train(m, data, epochs=8, lr=1e-3, seed=475)


def _t476(defect=True):
    m = _plain17([10, 64, 64, 64, 4], lambda: nn.LeakyReLU(0.0), 476)
    if defect:
        _set_bias17(m, nn.Linear, -3.0)
    return _train(m, _teacher(n=2000, seed=476), epochs=8, lr=1e-3, classes=4, seed=476)


def _t477(defect=True):
    m = _BagModel(477)
    if defect:
        with torch.no_grad():
            m.fc.bias.fill_(-4.0)
    return _train(m, _tokens(n=2000, seed=477), epochs=8, lr=3e-3, classes=2, seed=477)


def _t478(defect=True):
    m = _conv1d_stack(3, nn.ReLU, 478)
    if defect:
        _set_bias17(m, nn.Conv1d, -4.0, skip_last=False)
    return _train(m, _motifs(n=1200, seed=478), epochs=6, lr=3e-3, classes=3, seed=478)


def _t479(defect=True):
    m = _plain17([10, 128, 128, 128, 4], nn.Hardtanh, 479)
    if defect:
        _init17(m, _normal17(4.0 / math.sqrt(64)), 479)
    return _train(m, _teacher(n=2000, seed=479), epochs=8, lr=1e-3, classes=4, seed=479)


def _t480(defect=True):
    m = _plain17([10, 64, 64, 1], nn.Hardsigmoid, 480, squeeze=True)
    if defect:
        _set_bias17(m, nn.Linear, 5.0)
    return _train(m, _friedman(n=2000, seed=480), epochs=8, lr=1e-3, seed=480)


def _t481(defect=True):
    m = _autoencoder(481, act=nn.Tanh, depth=1, width=64, code=16, bias=3.0 if defect else None)
    return _train(m, _ae_data(481), epochs=8, lr=1e-3, seed=481)


def _t482(defect=True):
    m = _BagModel(482, emb_std=40.0 if defect else None, classes=2)
    return _train(m, _tokens(n=2000, seed=482), epochs=6, lr=3e-3, classes=2, seed=482)


def _t483(defect=True):
    m = _init17(_conv2d_stack(6, 483), _normal17(0.02) if defect else _kaiming(1.0), 483)
    return _train(m, _digits(seed=483), epochs=5, lr=1e-3, classes=10, seed=483)


def _t484(defect=True):
    m = _Tfm(484, layers=1)
    if defect:
        _set_head_bias(m, [9.0, -9.0])
    return _train(m, _tokens(n=1600, seed=484), epochs=5, lr=1e-3, classes=2, seed=484)


def _t485(defect=True):
    m = _Tfm(485, layers=2, norm_first=not defect)
    return _train(m, _tokens(n=1600, seed=485), epochs=5, lr=3e-2 if defect else 1e-3, classes=2, seed=485)


def _t486(defect=True):
    m = _LSTMReg(486, forget_bias=-4.0 if defect else 1.0)
    return _train(m, _window_sum(n=1200, length=40, start=0, stop=5, seed=486), epochs=5, lr=3e-3, seed=486)


# healthy
def _t487():
    m = _LSTMReg(487, forget_bias=1.0)
    return _train(m, _window_sum(n=1200, length=30, start=-5, stop=0, seed=487), epochs=6, lr=3e-3, seed=487)


def _t488():
    return _train(_conv1d_stack(3, nn.ReLU, 488, bn=True), _motifs(n=1200, seed=488), epochs=6, lr=3e-3, classes=3,
                  seed=488)


def _t489():
    return _train(_Res(10, 64, 12, 1, 489, norm=True), _friedman(n=2000, seed=489), epochs=6, lr=1e-3, seed=489)


def _t490():
    return _train(_Tfm(490, layers=2), _tokens(n=1600, seed=490), epochs=6, lr=1e-3, classes=2, seed=490,
                  schedule="warmup_cosine")


def _t492():
    return _train(
        _init17(_plain17([10] + [64] * 14 + [4], nn.Tanh, 492), _xavier(5 / 3), 492), _teacher(n=3000, seed=492),
        epochs=4, lr=5e-3, optimizer="momentum", classes=4, seed=492)


_UF17 = ("underfitting",)
HELD_OUT_17: list[Case] = [
    _case17("r17_conv1d_8_sigmoid_motifs_s470", "8 stacked 1-d convolutions with sigmoid on the motifs task", "vanishing_gradients", _t470, _UF17),
    _case17("r17_tanh14_xavier_gain04_s471", "14-layer tanh MLP, xavier gain 0.4, momentum SGD", "vanishing_gradients", _t471, ("bad_initialization", "underfitting")),
    _case17("r17_relu12_orthogonal_gain3_s473", "12-layer ReLU MLP with orthogonal init gain 3", "exploding_gradients", _t473, ("bad_initialization",)),
    _case17("r17_conv2d_7_kaiming_x25_nobn_s474", "7 plain 3x3 convs on digits, kaiming std x2.5, no BatchNorm", "bad_initialization", _t474, ("exploding_gradients",)),
    _case17("r17_resmlp16_nonorm_kaiming_branches_s475", "16-block residual MLP without normalization, kaiming on both branch layers", "exploding_gradients", _t475, ("bad_initialization",)),
    _case17("r17_leaky0_bias_minus3_s476", "LeakyReLU(negative_slope=0) MLP with hidden biases -3", "dead_relu", _t476, ("underfitting", "vanishing_gradients")),
    _case17("r17_embedding_bag_relu_bias_minus4_s477", "embedding-bag classifier, hidden ReLU bias -4", "dead_relu", _t477, ("underfitting", "vanishing_gradients")),
    _case17("r17_conv1d_bias_minus4_s478", "3-conv 1-d net on motifs, conv biases -4", "dead_relu", _t478, ("underfitting", "vanishing_gradients")),
    _case17("r17_hardtanh_std05_s479", "Hardtanh MLP with weights N(0, 0.5^2)", "saturated_activations", _t479, ("bad_initialization", "overfitting")),
    _case17("r17_hardsigmoid_bias5_s480", "Hardsigmoid regression MLP with hidden biases +5", "saturated_activations", _t480, ("underfitting", "vanishing_gradients")),
    _case17("r17_tanh_autoencoder_bias3_s481", "tanh digits autoencoder with hidden biases +3", "saturated_activations", _t481, ("underfitting", "vanishing_gradients")),
    _case17("r17_embedding_std40_s482", "embedding-bag classifier with embeddings N(0, 40^2)", "bad_initialization", _t482),
    _case17("r17_conv2d_6_std002_s483", "6 plain 3x3 convs on digits, weights N(0, 0.02^2)", "bad_initialization", _t483, ("vanishing_gradients", "underfitting")),
    _case17("r17_transformer_head_bias9_s484", "1-layer pre-LN transformer, head bias (+9, -9)", "bad_initialization", _t484, _UF17),
    _case17("r17_postln_transformer_adam_003_s485", "2-layer post-LN transformer, Adam 0.03, no warmup", "lr_too_high", _t485, _UF17),
    _case17("r17_lstm_forget_bias_minus4_s486", "LSTM, forget-gate bias -4, target at the start of 40 steps", "underfitting", _t486, ("vanishing_gradients",)),
    _case17("r17_lstm_forget_bias1_s487", "LSTM, forget bias 1, target in the last 5 of 30 steps", None, _t487),
    _case17("r17_conv1d_bn_motifs_s488", "3-conv 1-d net with BatchNorm on motifs", None, _t488),
    _case17("r17_preln_resmlp12_s489", "12-block pre-LN residual MLP on friedman", None, _t489),
    _case17("r17_preln_transformer_warmup_s490", "2-layer pre-LN transformer with warmup_cosine", None, _t490),
    _case17("r17_tanh14_xavier_tanh_gain_s492", "14-layer tanh MLP with xavier gain 5/3", None, _t492),
]

CASES += HELD_OUT_17

# --------------------------------------------------------------------------------------------------------------
# After round 17, a review of the standing misses changed three checks (each with a unit test in
# tests/test_diagnose.py, each checked on every cached zoo history: no other case's findings changed except by
# dead_relu, below): an EarlyStopping that stopped a run whose last epochs still made a fifth of its progress, in
# gains under its min_delta, is underfitting (s450); the gradient-to-weight ratio before the first update is
# averaged over the weight matrices on a log scale, so one matrix 150x over its weights counts (s220; s299, whose
# stall is then explained by it rather than reported as a plateau); dead_relu is reported beside lr_too_high, which
# may have killed the units (s453) — dead_relu was added to the acceptable findings of s44 and s273, whose
# measurements show it (62% and 65% of a layer silent), as s435 already had it.


# --------------------------------------------------------------------------------------------------------------
# Round 18: written blind like rounds 6-17 (the issue's definitions given), after the review above: everyday tabular
# and time-series work — store-spend regression with store/weekday embeddings beside numeric columns, imbalanced
# (95/5) fraud classification, Poisson count targets (PoissonNLLLoss), heteroscedastic noise (GaussianNLLLoss),
# multi-output regression, GRU and 1-D conv forecasters on seasonal series split by time, full-batch training,
# gradient accumulation — with the torch optimizers earlier rounds lacked (NAdam, RAdam, Adamax, Adadelta, ASGD, plain
# SGD) passed to fit as instances. Run once, as is.
#
# First run: recall 14/17 = 0.82, precision 20/27 = 0.74, 3 of 7 healthy runs flagged (s512 and s515 plateaus at a
# constant LR whose cosine controls end no better; s513 a Poisson head with gradients 17x its weights under RAdam).
# Three labels added after it, each true of the raw measurements (below, at the cases). What its misses changed
# (each with a unit test in tests/test_diagnose.py): with one- or few-sample steps, "the loss exploded to twice its
# start" must clear three standard errors of both medians (s497: batch-1 losses so skewed that their medians jump 3x
# while the epoch means fall); a first loss nine times a negative constant prediction's magnitude above it is a bad
# initialization (s506: a Poisson bias at the mean count instead of its log); a training curve still falling (a
# fifth of its progress in the last quarter) while validation still falls beyond its noise is underfitting (s500:
# 40 full-batch updates); a flat training curve is no plateau while validation still falls beyond its noise (round
# 16's healthy s467). Left as misses: s498, s512, s513, s515 (tests/test_zoo.py says why).

_case18 = _held_out_case(18)


# ------------------------------------------------------------------------------------------------ training
def _fit18(model, data, *, loss, epochs, opt, seed, batch_size=64, classes=None, metric=None, schedule=None,
           accumulation_steps=1, task=None):
    """``fit`` with a ``torch.optim`` instance built by ``opt(params)``, a default Monitor, shuffled batches."""
    (xt, yt), (xv, yv) = data
    train = _Rows(torch.as_tensor(xt), torch.as_tensor(yt))
    valid = _Rows(torch.as_tensor(xv), torch.as_tensor(yv))
    g = torch.Generator().manual_seed(seed)
    bs = len(train) if batch_size is None else batch_size  # None: full batch, one update per epoch
    train_loader = DataLoader(train, batch_size=None, sampler=BatchSampler(RandomSampler(train, generator=g), bs, False),
                              generator=g)  # fmt: skip
    val_loader = DataLoader(valid, batch_size=None, sampler=BatchSampler(SequentialSampler(valid), 512, False))
    optimizer = opt(model.parameters())
    history = fit(model, loss, train_loader, val_loader=val_loader, epochs=epochs, optimizer=optimizer,
                  lr=optimizer.param_groups[0]["lr"], schedule=schedule, seed=seed,
                  metric=metric if metric is not None else (_accuracy if classes else None),
                  accumulation_steps=accumulation_steps, callbacks=[Monitor()])  # fmt: skip
    history.config.update(task=task or ("classification" if classes else "regression"), num_classes=classes)
    return history


def _opt18(cls, **kw):
    return lambda params: cls(params, **kw)


def _f32(*arrays):
    return tuple(np.asarray(a, dtype=np.float32) for a in arrays)


# ------------------------------------------------------------------------------------------------ data
def _shop(n=2400, seed=0, raw=False, ids=0, n_val=600, noise=0.3):
    """Tabular regression: 4 numeric columns (income, age, tenure, visits) and 2 categorical ones (store of 12,
    weekday of 7), optionally a customer id of ``ids`` levels (new customers in validation). The target (weekly
    spend, standardized) is nonlinear in the numbers plus a store and a weekday effect. Inputs are one float
    matrix ``[numeric..., store, weekday(, id)]``; with ``raw=True`` the numeric columns keep their units
    (income in dollars, age in years...) instead of being standardized."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 4))
    store, day = rng.integers(0, 12, n), rng.integers(0, 7, n)
    s_eff, d_eff = rng.normal(0, 0.8, 12), rng.normal(0, 0.5, 7)
    y = 1.2 * np.tanh(1.5 * z[:, 0]) + 0.8 * z[:, 1] * z[:, 2] + 0.5 * np.sin(2 * z[:, 3]) + s_eff[store] + d_eff[day]
    cols = [store, day]
    if ids:
        # customers: training rows from ids 0..ids-1 (2-3 rows each), validation rows from unseen customers
        cust = np.concatenate([rng.integers(0, ids, n - n_val), np.full(n_val, ids)])
        c_eff = rng.normal(0, 1.0, ids + 1)
        y = y + c_eff[cust] * 0.0  # the id carries no signal of its own: anything learnt from it is noise
        cols.append(cust)
    y = y + rng.normal(0, noise, n)
    y = (y - y[:-n_val].mean()) / y[:-n_val].std()
    units = np.array([[52000, 14000], [41, 12], [5, 3], [12, 5]], dtype=float)
    num = z * units[:, 1] + units[:, 0] if raw else z
    x = np.column_stack([num] + cols)
    tr, va = slice(0, n - n_val), slice(n - n_val, n)
    return _f32(x[tr], y[tr]), _f32(x[va], y[va])


class _ShopNet(nn.Module):
    """Numeric columns next to store and weekday embeddings (and a customer-id embedding), then an MLP."""

    def __init__(self, seed, width=64, act=nn.ReLU, ids=0, emb=4, depth=2, out=1, n_num=4):
        super().__init__()
        torch.manual_seed(seed)
        self.n_num = n_num
        self.store, self.day = nn.Embedding(12, emb), nn.Embedding(7, emb)
        self.cust = nn.Embedding(ids + 1, 16, padding_idx=ids) if ids else None  # the last id: unknown customer
        d = n_num + 2 * emb + (16 if ids else 0)
        layers = []
        for _ in range(depth):
            layers += [nn.Linear(d, width), act()]
            d = width
        layers.append(nn.Linear(d, out))
        self.mlp = nn.Sequential(*layers)
        self.out = out

    def forward(self, x):
        parts = [x[:, : self.n_num], self.store(x[:, self.n_num].long()), self.day(x[:, self.n_num + 1].long())]
        if self.cust is not None:
            parts.append(self.cust(x[:, self.n_num + 2].long()))
        y = self.mlp(torch.cat(parts, 1))
        return y.squeeze(1) if self.out == 1 else y


def _series(seed=0, n=2000, window=24, noise=0.3, calm_after=None, calm_noise=0.03, raw=False, val_frac=0.2):
    """Hourly-like seasonal series: level 200, slow trend, daily (24) and weekly (168) cycles, noise. Windows of
    ``window`` past values predict the next one; validation is the LAST ``val_frac`` of the windows (split by
    time). Scaled by the training part's mean and std unless ``raw`` (then inputs keep their level ~200 while the
    target is still standardized). ``calm_after``: from that fraction of the series on, the noise is
    ``calm_noise`` (a quieter sensor)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n + window)
    s = 200 + 0.01 * t + 30 * np.sin(2 * np.pi * t / 24) + 15 * np.sin(2 * np.pi * t / 168 + 1.0)
    sd = np.full(len(t), noise * 30)
    if calm_after is not None:
        sd[int(calm_after * len(t)):] = calm_noise * 30
    s = s + rng.normal(0, 1, len(t)) * sd
    x = np.stack([s[i: i + window] for i in range(n)])
    y = s[window: window + n]
    cut = int(n * (1 - val_frac))
    mu, sigma = s[: cut + window].mean(), s[: cut + window].std()
    y = (y - mu) / sigma
    if not raw:
        x = (x - mu) / sigma
    return _f32(x[:cut], y[:cut]), _f32(x[cut:], y[cut:])


class _GRUForecaster(nn.Module):
    def __init__(self, seed, hidden=32):
        super().__init__()
        torch.manual_seed(seed)
        self.gru = nn.GRU(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        h, _ = self.gru(x.unsqueeze(-1))
        return self.head(h[:, -1]).squeeze(1)


class _ConvForecaster(nn.Module):
    def __init__(self, seed, channels=16, act=nn.ReLU, window=24):
        super().__init__()
        torch.manual_seed(seed)
        self.net = nn.Sequential(nn.Unflatten(1, (1, -1)), nn.Conv1d(1, channels, 5, padding=2), act(),
                                 nn.Conv1d(channels, channels, 5, padding=2), act(), nn.Flatten(),
                                 nn.Linear(channels * window, 1))  # fmt: skip

    def forward(self, x):
        return self.net(x).squeeze(1)


def _mlp18(sizes, act, seed, squeeze=True):
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    if squeeze:
        layers.append(nn.Flatten(0))
    return nn.Sequential(*layers)


def _fraud(n=3000, seed=0, minority=0.05, n_val=750, val_only_majority=False):
    """Imbalanced binary classification (95/5): 10 standardized features, the rare class lives in a curved region.
    ``val_only_majority``: the validation rows are drawn from the majority class only (a later month in which
    no fraud was labelled yet)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n * 3, 10))
    score = x[:, 0] + 0.8 * x[:, 1] ** 2 - 0.6 * x[:, 2] * x[:, 3] + 0.3 * rng.standard_normal(n * 3)
    y = (score > np.quantile(score, 1 - minority)).astype(np.int64)
    x, y = x[:n], y[:n]
    tr, va = slice(0, n - n_val), slice(n - n_val, n)
    xv, yv = x[va], y[va]
    if val_only_majority:
        keep = yv == 0
        xv, yv = xv[keep], yv[keep]
    return (x[tr].astype(np.float32), y[tr]), (xv.astype(np.float32), yv)


def _counts18(n=2400, seed=0, n_val=600):
    """Count targets: Poisson with log rate 1.8 + 0.5 x0 - 0.4 x1 + 0.5 tanh(x2 x3) (mean count about 7)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 6))
    rate = np.exp(1.8 + 0.5 * x[:, 0] - 0.4 * x[:, 1] + 0.5 * np.tanh(x[:, 2] * x[:, 3]))
    y = rng.poisson(rate).astype(np.float32)
    return _f32(x[:-n_val], y[:-n_val]), _f32(x[-n_val:], y[-n_val:])


def _hetero(n=2400, seed=0, n_val=600):
    """Heteroscedastic regression: y = sin(2 x0) + 0.5 x1 + noise with std 0.1 + 0.6 |x0|."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    y = np.sin(2 * x[:, 0]) + 0.5 * x[:, 1] + rng.standard_normal(n) * (0.1 + 0.6 * np.abs(x[:, 0]))
    return _f32(x[:-n_val], y[:-n_val]), _f32(x[-n_val:], y[-n_val:])


def _multi(n=2400, seed=0, n_val=600, noise=0.1):
    """Multi-output regression: 3 standardized targets (a building's heating load, cooling load, peak power)
    from 8 features through a random tanh layer."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8))
    w1, w2 = rng.standard_normal((8, 16)) / math.sqrt(8), rng.standard_normal((16, 3)) / 2
    y = np.tanh(x @ w1 * 1.5) @ w2 + noise * rng.standard_normal((n, 3))
    y = (y - y[:-n_val].mean(0)) / y[:-n_val].std(0)
    return _f32(x[:-n_val], y[:-n_val]), _f32(x[-n_val:], y[-n_val:])


class _Gaussian(nn.Module):
    """Outputs (mean, log variance)."""

    def __init__(self, seed, d_in=4, width=64):
        super().__init__()
        torch.manual_seed(seed)
        self.body = nn.Sequential(nn.Linear(d_in, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                                  nn.Linear(width, 2))  # fmt: skip

    def forward(self, x):
        return self.body(x)


def _gaussian_nll(out, y):
    return nn.functional.gaussian_nll_loss(out[:, 0], y, out[:, 1].clamp(-10, 10).exp())


_POISSON = nn.PoissonNLLLoss(log_input=True, full=False)


def _poisson_net(seed, width=64):
    return _mlp18([6, width, width, 1], nn.ReLU, seed)


# ------------------------------------------------------------------------------------------------ cases
def _t493(defect=True):
    """Store-spend regression with embeddings, NAdam at lr 0.3 (0.003 in the control)."""
    return _fit18(_ShopNet(493), _shop(seed=493), loss=nn.MSELoss(), epochs=10, seed=493,
                  opt=_opt18(torch.optim.NAdam, lr=0.3 if defect else 3e-3))


def _t494(defect=True):
    """Poisson count regression, plain SGD (no momentum) at lr 0.5 (0.01 in the control)."""
    return _fit18(_poisson_net(494), _counts18(seed=494), loss=_POISSON, epochs=10, seed=494,
                  opt=_opt18(torch.optim.SGD, lr=0.5 if defect else 0.01))


def _t495(defect=True):
    """GRU forecaster, Adadelta at lr 1e-3 as if it were Adam (its default 1.0 in the control)."""
    return _fit18(_GRUForecaster(495), _series(seed=495, n=1500), loss=nn.MSELoss(), epochs=8, seed=495,
                  opt=_opt18(torch.optim.Adadelta, lr=1e-3 if defect else 1.0))


def _t496(defect=True):
    """Multi-output regression, full-batch plain SGD at lr 1e-3 (0.3 in the control), 150 updates."""
    return _fit18(_mlp18([8, 64, 64, 3], nn.ReLU, 496, squeeze=False), _multi(seed=496), loss=nn.MSELoss(),
                  epochs=150, batch_size=None, seed=496, opt=_opt18(torch.optim.SGD, lr=1e-3 if defect else 0.3))


def _t497(defect=True):
    """Store-spend regression on 300 rows with embeddings, Adamax lr 2e-3, batch size 1: 2 epochs of 300 steps
    (control: batch 16 for 10 epochs)."""
    return _fit18(_ShopNet(497), _shop(seed=497, n=500, n_val=200), loss=nn.MSELoss(), epochs=2 if defect else 10,
                  seed=497, batch_size=1 if defect else 16, opt=_opt18(torch.optim.Adamax, lr=2e-3))


def _t498(defect=True):
    """Store-spend regression with a customer-id embedding (unseen customers in validation); control: no id."""
    ids = 500 if defect else 0
    return _fit18(_ShopNet(498, ids=ids), _shop(seed=498, n=1600, n_val=400, ids=ids, noise=1.0), loss=nn.MSELoss(),
                  epochs=30, seed=498, opt=_opt18(torch.optim.NAdam, lr=2e-3))


def _t499(defect=True):
    """Store-spend regression, Adam with L2 weight_decay 0.3 (1e-4 in the control)."""
    return _fit18(_ShopNet(499), _shop(seed=499), loss=nn.MSELoss(), epochs=10, seed=499,
                  opt=_opt18(torch.optim.Adam, lr=3e-3, weight_decay=0.3 if defect else 1e-4))


def _t500(defect=True):
    """Heteroscedastic GaussianNLL, full batch (1,800 rows), RAdam lr 0.01, stopped after 40 updates (the control
    runs 400 full-batch updates)."""
    return _fit18(_Gaussian(500), _hetero(seed=500), loss=_gaussian_nll, epochs=40 if defect else 400, seed=500,
                  batch_size=None, opt=_opt18(torch.optim.RAdam, lr=1e-2))


def _t501(defect=True):
    """Conv forecaster, time split; the sensor was replaced near the end so the validation weeks are 10x quieter
    (same noise throughout in the control)."""
    return _fit18(_ConvForecaster(501), _series(seed=501, calm_after=0.8 if defect else None), loss=nn.MSELoss(),
                  epochs=8, seed=501, opt=_opt18(torch.optim.Adam, lr=2e-3))


def _t502(defect=True):
    """Fraud classifier (95/5) whose validation month has no positives labelled yet (a random slice of the
    labelled rows in the control)."""
    return _fit18(_mlp18([10, 64, 64, 2], nn.ReLU, 502, squeeze=False), _fraud(seed=502, val_only_majority=defect),
                  loss=nn.CrossEntropyLoss(), epochs=10, seed=502, classes=2, opt=_opt18(torch.optim.NAdam, lr=2e-3))


def _t503(defect=True):
    """10-hidden-layer sigmoid MLP on the multi-output task, ASGD lr 0.2 (2 hidden sigmoid layers in the control)."""
    return _fit18(_mlp18([8] + [32] * (10 if defect else 2) + [3], nn.Sigmoid, 503, squeeze=False),
                  _multi(seed=503), loss=nn.MSELoss(), epochs=6, seed=503, opt=_opt18(torch.optim.ASGD, lr=0.2))


def _t504(defect=True):
    """ReLU net on the count data, Poisson loss, Adamax at lr 0.3 (0.003 in the control)."""
    return _fit18(_poisson_net(504, width=32), _counts18(seed=504), loss=_POISSON, epochs=10, seed=504,
                  opt=_opt18(torch.optim.Adamax, lr=0.3 if defect else 3e-3))


def _t505(defect=True):
    """Tanh MLP forecaster fed the raw series (level ~200; target standardized); scaled inputs in the control."""
    return _fit18(_mlp18([24, 64, 64, 1], nn.Tanh, 505), _series(seed=505, raw=defect), loss=nn.MSELoss(),
                  epochs=10, seed=505, opt=_opt18(torch.optim.Adam, lr=2e-3))


def _t506(defect=True):
    """Poisson regression whose output bias was initialised to the mean count (~7) instead of its log (~2)."""
    model = _poisson_net(506)
    with torch.no_grad():
        ymean = float(_counts18(seed=506)[0][1].mean())
        model[-2].bias.fill_(ymean if defect else math.log(ymean))
    return _fit18(model, _counts18(seed=506), loss=_POISSON, epochs=10, seed=506, opt=_opt18(torch.optim.Adam, lr=2e-3))


def _t507(defect=True):
    """Store-spend regression with the numeric columns left in their units (income in dollars...)."""
    return _fit18(_ShopNet(507), _shop(seed=507, raw=defect), loss=nn.MSELoss(), epochs=10, seed=507,
                  opt=_opt18(torch.optim.Adam, lr=2e-3))


def _t508(defect=True):
    """Multi-output regression, RAdam at a constant lr 0.05 with batch 32 (cosine decay in the control)."""
    return _fit18(_mlp18([8, 64, 64, 3], nn.ReLU, 508, squeeze=False), _multi(seed=508, noise=0.02),
                  loss=nn.MSELoss(), epochs=12, seed=508, batch_size=32, opt=_opt18(torch.optim.RAdam, lr=0.05),
                  schedule=None if defect else "cosine")


def _t509(defect=True):
    """Store-spend regression whose hidden Linear biases were initialised to -2 (default init in the control)."""
    model = _ShopNet(509)
    if defect:
        with torch.no_grad():
            for m in list(model.mlp)[:-1]:
                if isinstance(m, nn.Linear):
                    m.bias.fill_(-2.0)
    return _fit18(model, _shop(seed=509), loss=nn.MSELoss(), epochs=10, seed=509, opt=_opt18(torch.optim.Adam, lr=1e-3))


# ----------------------------------------------------------------------------------------------- healthy
def _t510():
    return _fit18(_ShopNet(510), _shop(seed=510), loss=nn.MSELoss(), epochs=10, seed=510,
                  opt=_opt18(torch.optim.NAdam, lr=3e-3), schedule="cosine")


def _t511():
    return _fit18(_GRUForecaster(511), _series(seed=511, n=1000), loss=nn.MSELoss(), epochs=8, seed=511,
                  opt=_opt18(torch.optim.Adam, lr=5e-3), schedule="cosine")


def _t512():
    w = torch.tensor([1.0, 6.0])
    return _fit18(_mlp18([10, 64, 64, 2], nn.ReLU, 512, squeeze=False), _fraud(seed=512),
                  loss=nn.CrossEntropyLoss(weight=w), epochs=10, seed=512, classes=2,
                  opt=_opt18(torch.optim.AdamW, lr=3e-3, weight_decay=1e-2))


def _t513():
    return _fit18(_poisson_net(513), _counts18(seed=513), loss=_POISSON, epochs=10, seed=513,
                  opt=_opt18(torch.optim.RAdam, lr=3e-3))


def _t514():
    return _fit18(_Gaussian(514), _hetero(seed=514), loss=_gaussian_nll, epochs=8, seed=514,
                  opt=_opt18(torch.optim.Adamax, lr=5e-3), schedule="cosine")


def _t515():
    return _fit18(_ConvForecaster(515), _series(seed=515), loss=nn.MSELoss(), epochs=8, seed=515,
                  opt=_opt18(torch.optim.Adadelta, lr=1.0))


def _t516():
    return _fit18(_mlp18([8, 64, 64, 3], nn.ReLU, 516, squeeze=False), _multi(seed=516), loss=nn.MSELoss(),
                  epochs=10, seed=516, batch_size=16, accumulation_steps=4, opt=_opt18(torch.optim.SGD, lr=0.1, momentum=0.0))


_UF18 = ("underfitting",)
HELD_OUT_18: list[Case] = [
    _case18("r18_shop_embeddings_nadam_lr03_s493", "store-spend regression with store/weekday embeddings, NAdam lr 0.3", "lr_too_high", _t493, ("dead_relu",)),
    _case18("r18_poisson_counts_sgd_lr05_s494", "Poisson count regression, plain SGD (no momentum) lr 0.5", "lr_too_high", _t494,
        # exploding_gradients added after the first run: the gradients reach 7e6x the weights before the loss
        # turns non-finite (a divergence; the zoo accepts it on its other diverging runs)
        ("exploding_gradients",)),
    _case18("r18_gru_forecaster_adadelta_lr1e3_s495", "GRU forecaster on a seasonal series (split by time), Adadelta lr 1e-3", "lr_too_low", _t495, _UF18),
    _case18("r18_multioutput_full_batch_sgd_lr1e3_s496", "3-output regression, full-batch plain SGD lr 1e-3 for 150 updates", "lr_too_low", _t496, _UF18),
    _case18("r18_shop_embeddings_adamax_batch1_s497", "store-spend regression on 300 rows, Adamax, batch size 1", "batch_too_small", _t497),
    _case18("r18_shop_customer_id_embedding_s498", "store-spend regression with a customer-id embedding (2-3 rows per id, new customers in validation)", "overfitting", _t498,
        # unrepresentative_validation added after the first run: validation rows come from customers training never
        # saw, and a classifier tells the inputs apart by their id column (AUC 0.99)
        ("unrepresentative_validation",)),
    _case18("r18_shop_adam_l2_weight_decay_03_s499", "store-spend regression, Adam with L2 weight_decay 0.3", "underfitting", _t499),
    _case18("r18_gaussian_nll_full_batch_40_updates_s500", "heteroscedastic GaussianNLL regression, full batch, RAdam lr 0.01, 40 epochs = 40 updates", "underfitting", _t500),
    _case18("r18_conv_forecaster_val_after_sensor_change_s501", "1-d conv forecaster, time split, validation weeks 10x quieter (new sensor)", "unrepresentative_validation", _t501),
    _case18("r18_fraud_val_month_without_positives_s502", "95/5 fraud classifier, validation month with no positives labelled", "unrepresentative_validation", _t502),
    _case18("r18_multioutput_sigmoid10_asgd_s503", "3-output regression, 10 hidden sigmoid layers, ASGD lr 0.2", "vanishing_gradients", _t503, _UF18),
    _case18("r18_poisson_counts_adamax_lr03_s504", "Poisson count regression, ReLU MLP, Adamax lr 0.3", "lr_too_high", _t504, ("dead_relu", "underfitting")),
    _case18("r18_tanh_forecaster_raw_series_s505", "tanh MLP forecaster fed the unscaled series (level ~200), standardized target", "saturated_activations", _t505,
        # unrepresentative_validation added after the first run: split by time on a trending series, the later
        # windows' inputs sit 0.35 training SDs higher (a classifier: AUC 0.67) and validation jumps 0.47-0.81
        ("bad_initialization", "unrepresentative_validation")),
    _case18("r18_poisson_output_bias_mean_count_s506", "Poisson regression, output bias set to the mean count instead of its log", "bad_initialization", _t506, ("underfitting", "exploding_gradients")),
    _case18("r18_shop_embeddings_raw_numeric_columns_s507", "store-spend regression with numeric columns in their units (income in dollars)", "bad_initialization", _t507, ("exploding_gradients", "dead_relu", "underfitting")),
    _case18("r18_multioutput_radam_constant_lr005_s508", "3-output regression, RAdam at a constant lr 0.05, batch 32", "plateau", _t508),
    _case18("r18_shop_embeddings_hidden_bias_minus2_s509", "store-spend regression, hidden Linear biases initialised to -2", "dead_relu", _t509, ("underfitting", "vanishing_gradients")),
    _case18("r18_shop_embeddings_nadam_cosine_s510", "store-spend regression with embeddings, NAdam 3e-3, cosine", None, _t510),
    _case18("r18_gru_forecaster_adam_cosine_s511", "GRU forecaster on a seasonal series (split by time), Adam 5e-3, cosine", None, _t511),
    _case18("r18_fraud_class_weights_adamw_s512", "95/5 fraud classifier with class weights (1, 6), AdamW", None, _t512),
    _case18("r18_poisson_counts_radam_s513", "Poisson count regression, RAdam 3e-3", None, _t513),
    _case18("r18_gaussian_nll_adamax_cosine_s514", "heteroscedastic GaussianNLL regression, Adamax 5e-3, cosine", None, _t514),
    _case18("r18_conv_forecaster_adadelta_s515", "1-d conv forecaster (split by time), Adadelta at its default lr 1.0", None, _t515),
    _case18("r18_multioutput_sgd_accumulation4_s516", "3-output regression, plain SGD 0.1, batch 16 with accumulation_steps=4", None, _t516),
]

CASES += HELD_OUT_18


# --------------------------------------------------------------------------------------------------------------
# Round 19: written blind like rounds 6-18 (the issue's definitions given), after round 18's changes, aimed at false
# alarms: 13 healthy runs as practitioners set them up well (constant Adam and SGD+momentum to convergence, 30% label
# noise, Student-t and Laplace noise under Huber and L1, class-weighted CE on 85/12/3 classes, a GRU and a one-layer
# transformer, a BatchNorm CNN trained on noised digits, 60 epochs of AdamW on breast cancer, one-cycle, step decay,
# warmup+cosine, label smoothing with early stopping) and 11 broken ones, each a healthy set-up with one thing
# changed. Run once, as is.
#
# First run: recall 8/11 = 0.73, precision 9/16 = 0.56, 6 of 13 healthy runs flagged (s518, s519, s529 underfitting
# on tasks whose noise floor sits above half the constant prediction's loss; s524, s527 plateaus at a constant LR;
# s523 unrepresentative validation: the training digits are noised on purpose). What its misses changed (each with a
# unit test in tests/test_diagnose.py): validation inputs unlike the training inputs are not reported when validation
# ends within 10% of training — augmentation (s523) and a trend under a split by time (round 18's s515) move the
# inputs, not what validation measures; on a first batch of 32 or more samples the first loss alone is the untrained
# model's (s538, whose loss fell under twice ln 10 within three steps at a high LR; also round 17's s482). Left as
# misses: s518, s519, s524, s527, s529, s533, s539 (tests/test_zoo.py says why).

_case19 = _held_out_case(19)


# ------------------------------------------------------------------------------------------------ training
class _Noisy(Dataset):
    """Rows with fresh Gaussian noise of ``std`` added to the inputs each time they are drawn (augmentation)."""

    def __init__(self, x, y, std, seed):
        self.x, self.y, self.std = x, y, std
        self.g = torch.Generator().manual_seed(seed + 7)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, rows):
        x = self.x[rows]
        return x + self.std * torch.randn(x.shape, generator=self.g), self.y[rows]


def _fit19(model, data, *, loss, epochs, seed, opt="adam", lr=1e-3, batch_size=64, classes=None, schedule=None,
           options=None, clip=None, callbacks=(), augment=0.0, task=None):
    """``fit`` with a default Monitor on shuffled batches (``augment``: input noise std added per draw)."""
    (xt, yt), (xv, yv) = data
    xt, yt, xv, yv = (torch.as_tensor(a) for a in (xt, yt, xv, yv))
    train = _Noisy(xt, yt, augment, seed) if augment else _Rows(xt, yt)
    valid = _Rows(xv, yv)
    g = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train, batch_size=None, sampler=BatchSampler(RandomSampler(train, generator=g), batch_size, False),
                              generator=g)  # fmt: skip
    val_loader = DataLoader(valid, batch_size=None, sampler=BatchSampler(SequentialSampler(valid), 512, False))
    history = fit(model, loss, train_loader, val_loader=val_loader, epochs=epochs, optimizer=opt, lr=lr,
                  schedule=schedule, seed=seed, metric=_accuracy if classes else None, optimizer_options=options,
                  clip_grad_norm=clip, callbacks=[*callbacks, Monitor()])  # fmt: skip
    history.config.update(task=task or ("classification" if classes else "regression"), num_classes=classes)
    return history


def _net(sizes, act=nn.ReLU, seed=0, norm=None, dropout=None, squeeze=False):
    """Linear layers, ``norm`` ("batch"/"layer") before each hidden activation, ``dropout`` after it."""
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            if norm:
                layers.append(nn.BatchNorm1d(b) if norm == "batch" else nn.LayerNorm(b))
            layers.append(act())
            if dropout:
                layers.append(nn.Dropout(dropout))
    if squeeze:
        layers.append(nn.Flatten(0))
    return nn.Sequential(*layers)


def _f32_19(*a):
    return tuple(np.asarray(v, dtype=np.float32) for v in a)


# ------------------------------------------------------------------------------------------------ data
def _noisy_teacher(seed, flip=0.3, n=3000, n_train=None):
    """``_teacher`` (10 inputs, 4 classes) with ``flip`` of the labels, in training AND validation, replaced by
    uniformly random classes: an irreducible error (Bayes accuracy about 1 - 0.75 * flip)."""
    (xt, yt), (xv, yv) = _teacher(n=n, dim=10, classes=4, seed=seed)
    rng = np.random.default_rng(seed + 1)
    yt, yv = yt.copy(), yv.copy()
    for y in (yt, yv):
        rows = rng.random(len(y)) < flip
        y[rows] = rng.integers(0, 4, rows.sum())
    if n_train is not None:
        xt, yt = xt[:n_train], yt[:n_train]
    return (xt, yt), (xv, yv)


def _heavy(seed, n=3000, df=2.0, scale=0.5, clean_val=False, laplace=False):
    """Regression on 8 standard-normal inputs: a smooth nonlinear signal (std ~1) plus heavy-tailed noise
    (Student-t with ``df`` degrees of freedom, or Laplace), times ``scale``. ``clean_val``: the validation
    targets are the signal alone (an outlier-free, noise-free validation set)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8))
    w = rng.standard_normal((8, 3)) / math.sqrt(8)
    f = np.tanh(2 * x @ w[:, 0]) + 0.6 * np.sin(2 * x @ w[:, 1]) + 0.5 * (x @ w[:, 2]) ** 2
    f = (f - f.mean()) / f.std()
    noise = rng.laplace(0, 1, n) if laplace else rng.standard_t(df, n)
    y = f + scale * noise
    nv = n // 4
    yv = f[:nv] if clean_val else y[:nv]
    return _f32_19(x[nv:], y[nv:]), _f32_19(x[:nv], yv)


def _imbalanced19(seed, n=6000):
    """3 classes at 85/12/3 percent from a nonlinear rule on 12 inputs (a little label noise)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 12))
    w = rng.standard_normal((12, 2)) / math.sqrt(12)
    s = np.tanh(2 * x @ w[:, 0]) + 0.7 * (x @ w[:, 1]) + 0.3 * rng.standard_normal(n)
    q1, q2 = np.quantile(s, [0.85, 0.97])
    y = np.where(s > q2, 2, np.where(s > q1, 1, 0)).astype(np.int64)
    nv = n // 4
    return (x[nv:].astype(np.float32), y[nv:]), (x[:nv].astype(np.float32), y[:nv])


def _tokens19(seed, n=2000, length=16, vocab=12):
    """Token sequences; the label is which of tokens 1, 2, 3 occurs most often (ties to the lowest)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, vocab, (n, length))
    counts = np.stack([(x == t).sum(1) for t in (1, 2, 3)], 1)
    y = counts.argmax(1).astype(np.int64)
    nv = n // 4
    return (x[nv:].astype(np.int64), y[nv:]), (x[:nv].astype(np.int64), y[:nv])


def _sums(seed, n=2000, length=10):
    """Sequences of 10 noise values; target: the sum of the first 3 minus the sum of the last 3, scaled, plus
    N(0, 0.3^2) noise (the best achievable MSE is about 0.09 of a target variance of about 1.09)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, length, 1))
    y = (x[:, :3, 0].sum(1) - x[:, -3:, 0].sum(1)) / math.sqrt(6) + 0.3 * rng.standard_normal(n)
    nv = n // 4
    return _f32_19(x[nv:], y[nv:]), _f32_19(x[:nv], y[:nv])


# ------------------------------------------------------------------------------------------------ models
class _TinyTransformer(nn.Module):
    def __init__(self, seed, vocab=12, length=16, d=32, classes=3):
        super().__init__()
        torch.manual_seed(seed)
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(0.02 * torch.randn(length, d))
        self.enc = nn.TransformerEncoderLayer(d, 4, 64, dropout=0.0, batch_first=True)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        return self.head(self.enc(self.emb(x) + self.pos).mean(1))


class _GRU(nn.Module):
    def __init__(self, seed, hidden=32):
        super().__init__()
        torch.manual_seed(seed)
        self.rnn = nn.GRU(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1]).squeeze(-1)


def _cnn19(seed):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64, 10),
    )  # fmt: skip


class _BCE19(nn.Module):
    """BCEWithLogitsLoss on a 1-output model with integer 0/1 targets."""

    def __init__(self):
        super().__init__()
        self.f = nn.BCEWithLogitsLoss()

    def forward(self, out, y):
        return self.f(out.squeeze(-1), y.float())


def _bin_acc(out, y):
    return float(((out.squeeze(-1) > 0).long() == y).float().mean())


_CE19 = nn.CrossEntropyLoss()


# ------------------------------------------------------------------------------------------------ healthy
def _t517(defect=True):
    """Teacher MLP, Adam at a constant 1e-3, batch 128, 25 epochs. Control: 50 epochs with cosine."""
    return _fit19(_net([10, 64, 64, 4], seed=517), _teacher(seed=517), loss=_CE19, epochs=25 if defect else 50,
                  seed=517, lr=1e-3, batch_size=128, classes=4, schedule=None if defect else "cosine")


def _t518(defect=True):
    """Teacher with 30% random labels in train and val, dropout MLP, AdamW, 25 epochs. Control: cosine, 50 ep."""
    return _fit19(_net([10, 64, 64, 4], seed=518, dropout=0.2), _noisy_teacher(518), loss=_CE19,
                  epochs=25 if defect else 50, seed=518, opt="adamw", lr=1e-3, options={"weight_decay": 0.01},
                  classes=4, schedule=None if defect else "cosine")


def _t519(defect=True):
    """Heavy-tailed (t, df 2) regression, Huber loss, LayerNorm MLP, Adam 1e-3 step decay, 20 ep. Ctl: 40 ep."""
    return _fit19(_net([8, 64, 64, 1], seed=519, norm="layer", squeeze=True), _heavy(519), loss=nn.HuberLoss(),
                  epochs=20 if defect else 40, seed=519, lr=2e-3, schedule="step")


def _t520(defect=True):
    """85/12/3 imbalanced classes, class weights (1, 2, 4), BatchNorm+dropout MLP, SGD+momentum 0.05, cosine, 8 ep."""
    loss = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 4.0]))
    return _fit19(_net([12, 64, 64, 3], seed=520, norm="batch", dropout=0.2), _imbalanced19(520), loss=loss,
                  epochs=8 if defect else 16, seed=520, opt="momentum", lr=0.05, classes=3, schedule="cosine")


def _t521(defect=True):
    """GRU on noisy sequence sums, Adam 5e-3 warmup+cosine, 8 epochs. Control: 16 epochs."""
    return _fit19(_GRU(521), _sums(521), loss=nn.MSELoss(), epochs=8 if defect else 16, seed=521, lr=5e-3,
                  batch_size=64, schedule="warmup_cosine")


def _t522(defect=True):
    """1-layer transformer (d 32, 4 heads), majority-token task, AdamW 2e-3 warmup+cosine, clip 1.0, 8 ep."""
    return _fit19(_TinyTransformer(522), _tokens19(522), loss=_CE19, epochs=8 if defect else 16, seed=522,
                  opt="adamw", lr=2e-3, batch_size=32, classes=3, schedule="warmup_cosine", clip=1.0)


def _t523(defect=True):
    """BatchNorm CNN (8, 16 channels) on digits with Gaussian input-noise augmentation (std 0.3), Adam 1e-2, cosine,
    batch 128, 16 epochs. Control: 32 epochs."""
    return _fit19(_cnn19(523), _digits(523), loss=_CE19, epochs=16 if defect else 32, seed=523, lr=1e-2,
                  batch_size=128, classes=10, augment=0.3, schedule="cosine")


def _t524(defect=True):
    """Breast cancer (369 rows), dropout MLP, AdamW wd 0.05, 60 epochs batch 32. Control: 30 epochs."""
    return _fit19(_net([30, 32, 2], seed=524, dropout=0.3), _breast_cancer(524), loss=_CE19,
                  epochs=60 if defect else 30, seed=524, opt="adamw", lr=1e-3, batch_size=32,
                  options={"weight_decay": 0.05}, classes=2)


def _t525(defect=True):
    """Friedman regression, LayerNorm MLP, one-cycle Adam peak 1e-2, 20 ep. Control: 40 epochs."""
    return _fit19(_net([10, 64, 64, 1], seed=525, norm="layer", squeeze=True), _friedman(seed=525),
                  loss=nn.MSELoss(), epochs=20 if defect else 40, seed=525, lr=1e-2, schedule="onecycle")


def _t526(defect=True):
    """Noisy Friedman regression (noise 1.0), SGD+momentum 0.9 at a constant 0.01, 30 ep. Control: 60 ep cosine."""
    return _fit19(_net([10, 64, 64, 1], seed=526, squeeze=True), _friedman(noise=1.0, seed=526), loss=nn.MSELoss(),
                  epochs=30 if defect else 60, seed=526, opt="momentum", lr=0.01,
                  schedule=None if defect else "cosine")


def _t527(defect=True):
    """Noisy moons (noise 0.35), BCE on one logit, tanh MLP, Adam 1e-2 constant, 8 epochs. Ctl: 24 ep cosine."""
    h = _fit19(_net([2, 32, 32, 1], act=nn.Tanh, seed=527), _moons(noise=0.35, seed=527), loss=_BCE19(),
               epochs=8 if defect else 24, seed=527, lr=1e-2, batch_size=32, schedule=None if defect else "cosine",
               task="classification")
    return h


def _t528(defect=True):
    """Digits MLP, label smoothing 0.1, SGD+nesterov 0.05, clip 5 (rarely reached), early stopping
    (patience 3, min_delta 2e-3) within 40 epochs. Control: 80 epochs, no early stopping."""
    stop = [EarlyStopping(patience=3, min_delta=2e-3)] if defect else []
    return _fit19(_net([64, 128, 10], seed=528), _digits(528), loss=nn.CrossEntropyLoss(label_smoothing=0.1),
                  epochs=40 if defect else 80, seed=528, opt="nesterov", lr=0.05, clip=5.0, classes=10, callbacks=stop)


def _t529(defect=True):
    """Laplace-noise regression, L1 loss, dropout MLP, Adam 1e-3 constant, 30 epochs. Control: 60 ep cosine."""
    return _fit19(_net([8, 64, 64, 1], seed=529, dropout=0.1, squeeze=True), _heavy(529, laplace=True, scale=0.7),
                  loss=nn.L1Loss(), epochs=30 if defect else 60, seed=529, lr=1e-3,
                  schedule=None if defect else "cosine")


# ------------------------------------------------------------------------------------------------ broken
def _t530(defect=True):
    """_t526 with SGD+momentum at lr 0.5 instead of 0.01: diverges."""
    return _fit19(_net([8, 64, 64, 1], seed=530, squeeze=True), _waves(seed=530), loss=nn.MSELoss(), epochs=20,
                  seed=530, opt="momentum", lr=0.5 if defect else 0.01)


def _t531(defect=True):
    """_t517 (teacher MLP) with Adam at 3e-5 instead of 1e-3 for 15 epochs."""
    return _fit19(_net([10, 64, 64, 4], seed=531), _teacher(seed=531), loss=_CE19, epochs=15, seed=531,
                  lr=3e-5 if defect else 1e-3, classes=4)


def _t532(defect=True):
    """_t518 set-up with 600 training rows, no dropout, no weight decay, wide 256-256 MLP, Adam 3e-3, 60 epochs."""
    data = _noisy_teacher(532, flip=0.3, n_train=600)
    if defect:
        return _fit19(_net([10, 256, 256, 4], seed=532), data, loss=_CE19, epochs=60, seed=532, lr=3e-3, classes=4)
    return _fit19(_net([10, 64, 64, 4], seed=532, dropout=0.3), data, loss=_CE19, epochs=60, seed=532, opt="adamw",
                  lr=1e-3, options={"weight_decay": 0.05}, classes=4)


def _t533(defect=True):
    """Ring-band classification (3 classes) with a 4-unit hidden layer, Adam 1e-2, 15 ep. Control: 64-64 MLP."""
    model = _net([2, 4, 3], seed=533) if defect else _net([2, 64, 64, 3], seed=533)
    return _fit19(model, _rings(seed=533), loss=_CE19, epochs=15, seed=533, lr=1e-2, classes=3)


def _t534(defect=True):
    """_t519-style heavy-tailed regression trained with MSE, validated on the clean signal (no noise, no outliers)."""
    return _fit19(_net([8, 64, 64, 1], seed=534, norm="layer", squeeze=True), _heavy(534, df=3.0, clean_val=defect),
                  loss=nn.MSELoss(), epochs=15, seed=534, lr=1e-3)


def _t535(defect=True):
    """_t517's teacher with an 8-hidden-layer sigmoid MLP, SGD+momentum 0.05, 15 ep. Control: ReLU + LayerNorm."""
    if defect:
        model = _net([10] + [64] * 8 + [4], act=nn.Sigmoid, seed=535)
    else:
        model = _net([10] + [64] * 8 + [4], act=nn.ReLU, seed=535, norm="layer")
    return _fit19(model, _teacher(seed=535), loss=_CE19, epochs=15, seed=535, opt="momentum", lr=0.05, classes=4)


def _t536(defect=True):
    """Friedman regression, ReLU MLP whose hidden biases start at -2.5 (every unit silent). Adam 1e-3. Control: default init."""
    model = _net([10, 64, 64, 1], seed=536, squeeze=True)
    if defect:
        with torch.no_grad():
            for m in [m for m in model if isinstance(m, nn.Linear)][:-1]:
                m.bias.fill_(-2.5)
    return _fit19(model, _friedman(seed=536), loss=nn.MSELoss(), epochs=15, seed=536, lr=1e-3)


def _t537(defect=True):
    """Tanh MLP (128-128) on the teacher task with hidden weights drawn N(0, 1) (pre-activations std 3 and 10):
    40% and 80% of the tanh units pinned near +-1. Adam 1e-3. Control: default init."""
    model = _net([10, 128, 128, 4], act=nn.Tanh, seed=537)
    if defect:
        torch.manual_seed(538)
        with torch.no_grad():
            for m in [m for m in model if isinstance(m, nn.Linear)][:-1]:
                m.weight.normal_(0, 1.0)
    return _fit19(model, _teacher(seed=537), loss=_CE19, epochs=15, seed=537, lr=1e-3, classes=4)


def _t538(defect=True):
    """Digits ReLU MLP whose output layer is initialised with std 1.0 (logits std ~10, initial loss >> ln 10)."""
    model = _net([64, 128, 10], seed=538)
    if defect:
        torch.manual_seed(539)
        with torch.no_grad():
            model[-1].weight.normal_(0, 1.0)
    return _fit19(model, _digits(538), loss=_CE19, epochs=10, seed=538, opt="momentum", lr=0.01, classes=10)


def _t539(defect=True):
    """Friedman regression, Adam at a constant 5e-3, batch 32, 25 ep: the loss stalls for the second half.
    Control: the same with cosine decay."""
    return _fit19(_net([10, 64, 64, 1], seed=539, squeeze=True), _friedman(seed=539), loss=nn.MSELoss(), epochs=25,
                  seed=539, lr=5e-3, batch_size=32, schedule=None if defect else "cosine")


def _t540(defect=True):
    """_t519-style heavy-tailed Huber regression (750 rows) with batch size 2, SGD+momentum 0.01, 4 epochs.
    Control: batch 32 for 16 epochs (still less wall time than the batch-2 run)."""
    return _fit19(_net([8, 64, 64, 1], seed=540, squeeze=True), _heavy(540, n=1000), loss=nn.HuberLoss(),
                  epochs=4 if defect else 16, seed=540, opt="momentum", lr=0.01, batch_size=2 if defect else 32)


_UF19 = ("underfitting",)
HELD_OUT_19: list[Case] = [
    # -- healthy --------------------------------------------------------------------------------------------
    _case19("r19_teacher_adam_constant_1e3_s517", "teacher MLP, Adam at a constant 1e-3, batch 128, 25 epochs", None, _t517),
    _case19("r19_label_noise_30pct_dropout_adamw_s518", "4-class teacher with 30% random labels in train and validation, dropout MLP, AdamW", None, _t518),
    _case19("r19_heavy_tailed_huber_layernorm_step_s519", "Student-t (df 2) noise regression, Huber loss, LayerNorm MLP, step decay", None, _t519),
    _case19("r19_imbalanced_weighted_ce_batchnorm_sgd_s520", "85/12/3 classes, class-weighted CE, BatchNorm+dropout MLP, SGD+momentum cosine, 8 epochs", None, _t520),
    _case19("r19_gru_noisy_sums_warmup_cosine_s521", "GRU on noisy sequence sums, Adam warmup+cosine, 8 epochs", None, _t521),
    _case19("r19_tiny_transformer_majority_token_s522", "1-layer transformer on a majority-token task, AdamW warmup+cosine, clip 1.0", None, _t522),
    _case19("r19_digits_bn_cnn_noise_augmentation_s523", "BatchNorm CNN on digits with Gaussian input-noise augmentation, Adam cosine", None, _t523),
    _case19("r19_breast_cancer_dropout_adamw_60ep_s524", "breast cancer (369 rows), dropout MLP, AdamW weight decay 0.05, 60 epochs", None, _t524),
    _case19("r19_friedman_layernorm_onecycle_s525", "Friedman regression, LayerNorm MLP, one-cycle", None, _t525),
    _case19("r19_noisy_friedman_sgd_momentum_constant_s526", "noisy Friedman regression, SGD+momentum at a constant 0.01, 30 epochs", None, _t526),
    _case19("r19_noisy_moons_bce_tanh_8ep_s527", "noisy moons, BCE on one logit, tanh MLP, Adam 1e-2 constant, 8 epochs", None, _t527),
    _case19("r19_digits_label_smoothing_early_stopping_s528", "digits MLP, label smoothing 0.1, Nesterov SGD, clip 5, early stopping", None, _t528),
    _case19("r19_laplace_noise_l1_dropout_adam_s529", "Laplace-noise regression, L1 loss, dropout MLP, Adam 1e-3 constant, 30 epochs", None, _t529),
    # -- broken ---------------------------------------------------------------------------------------------
    _case19("r19_waves_sgd_momentum_lr05_s530", "waves regression, SGD+momentum at lr 0.5 (0.01 is right)", "lr_too_high", _t530, ("dead_relu", "underfitting")),
    _case19("r19_teacher_adam_lr3e5_s531", "teacher MLP, Adam at 3e-5 for 15 epochs", "lr_too_low", _t531, _UF19),
    _case19("r19_label_noise_600_rows_wide_unregularized_s532", "30% label noise, 600 rows, wide MLP without dropout or weight decay, 60 epochs", "overfitting", _t532),
    _case19("r19_rings_4_hidden_units_s533", "ring-band classification with a 4-unit hidden layer", "underfitting", _t533),
    _case19("r19_heavy_tailed_mse_clean_validation_s534", "heavy-tailed noise regression, validation targets without noise", "unrepresentative_validation", _t534),
    _case19("r19_teacher_8_sigmoid_layers_sgd_s535", "teacher task, 8 hidden sigmoid layers, SGD+momentum", "vanishing_gradients", _t535, _UF19),
    _case19("r19_friedman_hidden_bias_minus2p5_s536", "Friedman regression, hidden biases initialised to -2.5", "dead_relu", _t536, ("bad_initialization", "underfitting", "vanishing_gradients")),
    _case19("r19_teacher_tanh_unit_normal_weights_s537", "tanh MLP with hidden weights drawn N(0, 1)", "saturated_activations", _t537, ("bad_initialization",)),
    _case19("r19_digits_output_layer_std1_s538", "digits MLP with the output layer initialised N(0, 1): initial loss ~5.4 vs ln 10", "bad_initialization", _t538),
    _case19("r19_friedman_adam_constant_5e3_stall_s539", "Friedman regression, Adam at a constant 5e-3, batch 32, loss stalls", "plateau", _t539),
    _case19("r19_heavy_tailed_huber_batch2_s540", "heavy-tailed Huber regression with batch size 2", "batch_too_small", _t540),
]
CASES += HELD_OUT_19


# ================================================================================================================
# Round 20: written blind like rounds 6-19 (the issue's definitions given), after round 19's changes: the issue's
# own list of broken runs — LR x100 and x1/1000, batch size 1, no regularization on a tiny training set, a model far
# too small, a deep sigmoid net, weights initialized far too large and far too small, ReLUs killed by a negative
# bias, validation from another distribution — and healthy runs, on ground the zoo had not used: plotnine's
# penguins, seals, txhousing, midwest, msleep, meat and luv_colours; scikit-learn's Hastie 10-2, Gaussian quantiles,
# 12 blobs and low-rank matrices; attention pooling, an MLP-Mixer, a dilated TCN, depthwise-separable convs, weight
# and spectral norm; SELU, Softplus, Mish, PReLU, ELU; AdamW, Nesterov, RMSprop with momentum, Adagrad. Each
# training function's ``defect=False`` is the control its writer checked the label against. Its first run: recall
# 16/16, precision 20/21, one healthy run of 8 flagged (a plateau on Adagrad at its constant LR, whose steps anneal
# themselves: the one change after it).
_case20 = _held_out_case(20)

# ----------------------------------------------------------------------------------------------------------------
# data: ((x_train, y_train), (x_val, y_val)) as torch tensors (float32 inputs; int64 classes or float32 targets)
# ----------------------------------------------------------------------------------------------------------------

def _split20(x, y, n_val, seed):
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(x))
    va, tr = idx[:n_val], idx[n_val:]
    return (x[tr], y[tr]), (x[va], y[va])


def _std20(data, standardize_x=True, standardize_y=False):
    """Standardize with the training statistics only; return torch tensors."""
    (xt, yt), (xv, yv) = data
    xt, xv = np.asarray(xt, np.float64), np.asarray(xv, np.float64)
    if standardize_x:
        mu, sd = xt.mean(0), xt.std(0)
        sd[sd == 0] = 1.0
        xt, xv = (xt - mu) / sd, (xv - mu) / sd
    if standardize_y:
        mu, sd = yt.mean(0), yt.std(0)
        yt, yv = (yt - mu) / sd, (yv - mu) / sd
    t = lambda a: torch.as_tensor(np.asarray(a, np.float32))
    if np.issubdtype(np.asarray(yt).dtype, np.integer):
        ty = lambda a: torch.as_tensor(np.asarray(a, np.int64))
    else:
        ty = t
    return (t(xt), ty(yt)), (t(xv), ty(yv))


def _penguins20(seed, target="species"):
    """Palmer penguins (plotnine.data.penguins), complete rows: 4 measurements, sex, island one-hot."""
    from plotnine.data import penguins

    df = penguins.dropna().reset_index(drop=True)
    num = df[["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]].to_numpy(np.float64)
    sex = (df["sex"].astype(str) == "male").to_numpy(np.float64)[:, None]
    island = np.stack([(df["island"].astype(str) == k).to_numpy(np.float64) for k in ("Biscoe", "Dream", "Torgersen")], 1)
    species = df["species"].cat.codes.to_numpy(np.int64)
    if target == "species":
        return np.concatenate([num, sex, island], 1), species
    return np.concatenate([num, island], 1), sex[:, 0].astype(np.int64), species  # sex from measurements


def _seals20(seed):
    """plotnine.data.seals: the seal-movement vector field, (lat, long) -> (delta_long, delta_lat)."""
    from plotnine.data import seals

    x = seals[["lat", "long"]].to_numpy(np.float64)
    y = seals[["delta_long", "delta_lat"]].to_numpy(np.float64)
    return _std20(_split20(x, y, 289, seed), True, True)


def _blobs20(seed, n=4000, centers=12, dim=16, std=3.0):
    from sklearn.datasets import make_blobs

    x, y = make_blobs(n_samples=n, centers=centers, n_features=dim, cluster_std=std, center_box=(-10, 10),
                      random_state=seed)
    return _std20(_split20(x, y.astype(np.int64), n // 4, seed))


def _txhousing20(seed, standardize=True):
    """plotnine.data.txhousing, complete rows: log median price from city (one-hot), date and month (its sine and
    cosine; with ``standardize=False`` the raw year and month number, nothing scaled)."""
    from plotnine.data import txhousing

    df = txhousing.dropna().reset_index(drop=True)
    cities = sorted(df["city"].unique())
    onehot = np.stack([(df["city"] == c).to_numpy(np.float64) for c in cities], 1)
    ang = 2 * np.pi * (df["month"].to_numpy(np.float64) - 1) / 12
    if standardize:
        x = np.concatenate([onehot, df[["date"]].to_numpy(np.float64), np.sin(ang)[:, None], np.cos(ang)[:, None]], 1)
    else:
        x = np.concatenate([onehot, df[["date", "month"]].to_numpy(np.float64)], 1)
    y = np.log(df["median"].to_numpy(np.float64))
    return _std20(_split20(x, y, 1500, seed), standardize, True)


def _midwest20(seed):
    """plotnine.data.midwest: county poverty rate from demographics (log sizes, percentages, state one-hot)."""
    from plotnine.data import midwest

    df = midwest
    cols = ["percwhite", "percblack", "percamerindan", "percasian", "perchsd", "percollege", "percprof",
            "inmetro"]
    logs = np.log(df[["area", "poptotal", "popdensity"]].to_numpy(np.float64))
    states = np.stack([(df["state"] == s).to_numpy(np.float64) for s in ("IL", "IN", "MI", "OH", "WI")], 1)
    x = np.concatenate([logs, df[cols].to_numpy(np.float64), states], 1)
    y = df["percbelowpoverty"].to_numpy(np.float64)
    return x, y


def _msleep20(seed):
    """plotnine.data.msleep: total sleep of 83 mammals from log body weight, diet, order and conservation status."""
    from plotnine.data import msleep

    df = msleep
    lw = np.log(df[["bodywt"]].to_numpy(np.float64))
    vore = np.stack([(df["vore"] == v).to_numpy(np.float64) for v in ("herbi", "omni", "carni", "insecti")], 1)
    orders = sorted(df["order"].unique())
    order = np.stack([(df["order"] == o).to_numpy(np.float64) for o in orders], 1)
    cons = np.stack([(df["conservation"] == c).to_numpy(np.float64) for c in ("lc", "domesticated", "vu", "nt", "en")], 1)
    x = np.concatenate([lw, vore, order, cons], 1)
    y = df["sleep_total"].to_numpy(np.float64)
    return x, y


_LUV_FAMILIES20 = (("grey", "gray", "black", "white", "snow", "ivory", "azure", "linen", "seashell", "honeydew", "mintcream",
                    "ghostwhite", "whitesmoke", "gainsboro", "lavenderblush"),
                   ("blue", "navy", "turquoise", "cyan", "aquamarine", "steel", "skyblue", "slateblue"),
                   ("green", "olive", "chartreuse", "lime", "seagreen"),
                   ("red", "maroon", "firebrick", "tomato", "coral", "salmon", "crimson"),
                   ("yellow", "gold", "khaki", "goldenrod", "wheat", "lemonchiffon", "cornsilk"),
                   ("pink", "magenta", "orchid", "violet", "purple", "plum", "thistle", "lavender"),
                   ("orange", "brown", "sienna", "tan", "chocolate", "peru", "burlywood", "bisque", "peach", "moccasin"))


def _luv20(seed):
    """plotnine.data.luv_colours: R's named colours in CIE Luv, labelled by the colour family their name says."""
    from plotnine.data import luv_colours

    x, y = [], []
    for row in luv_colours.itertuples():
        name = row.col
        for k, fam in enumerate(_LUV_FAMILIES20[1:], 1):       # chromatic families first (e.g. "slategray" is grey)
            if any(w in name for w in fam):
                label = k
                break
        else:
            label = 0 if any(w in name for w in _LUV_FAMILIES20[0]) else -1
        if ("gray" in name or "grey" in name) and label != 0:
            label = 0
        if label >= 0:
            x.append([row.L, row.u, row.v])
            y.append(label)
    return np.array(x, np.float64), np.array(y, np.int64)


def _meat20(seed, window=24):
    """plotnine.data.meat: monthly US red-meat production 1954-2023 (beef, veal, pork, lamb), log-differenced;
    from the last ``window`` months of the four series predict next month's change in beef.
    Inputs are (samples, 4 channels, window)."""
    from plotnine.data import meat

    recent = meat[meat["date"].dt.year >= 1954]            # the war and post-war years swing far wider
    v = np.log(recent[["beef", "veal", "pork", "lamb_and_mutton"]].to_numpy(np.float64))
    d = np.diff(v, axis=0)
    d = (d - d.mean(0)) / d.std(0)
    xs = np.stack([d[i:i + window].T for i in range(len(d) - window)])
    ys = d[window:, 0]
    return xs, ys


def _hastie20(seed, n=4000):
    from sklearn.datasets import make_hastie_10_2

    x, y = make_hastie_10_2(n_samples=n, random_state=seed)
    return _std20(_split20(x, (y > 0).astype(np.int64), n // 4, seed))


def _quantiles20(seed, n=3000, dim=6, classes=5):
    from sklearn.datasets import make_gaussian_quantiles

    x, y = make_gaussian_quantiles(n_samples=n, n_features=dim, n_classes=classes, random_state=seed)
    return _std20(_split20(x, y.astype(np.int64), n // 4, seed))


def _lowrank20(seed, n=3000, dim=40):
    """Inputs with a decaying spectrum (``make_low_rank_matrix``, standardized); target linear plus a tanh ridge plus
    noise, standardized."""
    from sklearn.datasets import make_low_rank_matrix

    x = make_low_rank_matrix(n_samples=n, n_features=dim, effective_rank=6, tail_strength=0.2, random_state=seed)
    x = (x - x.mean(0)) / x.std(0)
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((dim, 2)) / math.sqrt(dim)
    y = x @ w[:, 0] + 0.7 * np.tanh(2 * x @ w[:, 1]) + 0.3 * rng.standard_normal(n)
    return _std20(_split20(x, y, n // 4, seed), False, True)


def _loaders20(data, batch, seed, val_batch=1024):
    (xt, yt), (xv, yv) = data
    g = torch.Generator().manual_seed(seed)
    train = DataLoader(_Rows(xt, yt), batch_size=None,
                       sampler=BatchSampler(RandomSampler(range(len(xt)), generator=g), batch, False))
    val = DataLoader(_Rows(xv, yv), batch_size=None,
                     sampler=BatchSampler(SequentialSampler(range(len(xv))), val_batch, False))
    return train, val


def _fit20(model, loss_fn, data, *, epochs, batch, lr, seed, optimizer="adam", schedule=None, options=None,
           classes=None, every=100, callbacks=()):
    train, val = _loaders20(data, batch, seed)
    if isinstance(schedule, str) and schedule.startswith("cosine"):
        schedule = schedules.cosine(lr, total_steps=epochs * len(train))
    h = fit(model, loss_fn, train, val_loader=val, epochs=epochs, optimizer=optimizer, lr=lr, schedule=schedule,
            seed=seed, metric=_accuracy if classes else None, optimizer_options=options,
            callbacks=[Monitor(every=every), *callbacks])
    h.config.update(task="classification" if classes else "regression", num_classes=classes)
    return h


def _loop20(model, loss_fn, opt, data, *, epochs, batch, seed, classes=None, every=100, sched=None):
    """A hand-written loop with a Monitor by hand. ``sched(step) -> lr`` optional."""
    torch.manual_seed(seed)
    (xt, yt), (xv, yv) = data
    g = torch.Generator().manual_seed(seed)
    m = Monitor(model, opt, every=every).start()
    step = 0
    try:
        for _ in range(epochs):
            model.train()
            tot, cnt = 0.0, 0
            perm = torch.randperm(len(xt), generator=g)
            for i in range(0, len(xt), batch):
                rows = perm[i:i + batch]
                if sched is not None:
                    for group in opt.param_groups:
                        group["lr"] = sched(step)
                opt.zero_grad()
                loss = loss_fn(model(xt[rows]), yt[rows])
                loss.backward()
                m.before_step()
                opt.step()
                m.after_step(loss)
                step += 1
                tot += loss.item() * len(rows)
                cnt += len(rows)
            model.eval()
            with torch.no_grad(), m.validating():
                out = model(xv)
                vloss = float(loss_fn(out, yv))
            if "constant_loss" not in m.history.extras:
                m.history.extras["constant_loss"] = trainwise.constant_loss(loss_fn, out, yv)
            m.end_epoch(train_loss=tot / cnt, val_loss=vloss, val_metric=_accuracy(out, yv) if classes else None)
    finally:
        m.close()
    h = m.history
    h.config.update(task="classification" if classes else "regression", num_classes=classes, seed=seed,
                    optimizer=type(opt).__name__, lr=opt.defaults["lr"] if sched is None else sched(0), epochs=epochs)
    return h


def _mlp20(sizes, act, *, dropout=0.0, final_bias=True):
    layers = []
    for i in range(len(sizes) - 2):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), act()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(sizes[-2], sizes[-1], bias=final_bias))
    return nn.Sequential(*layers)


class _Squeeze20(nn.Module):
    def forward(self, x):
        return x.squeeze(-1)


def _mse20(out, y):
    return F.mse_loss(out, y)


def _txseries20(seed, window=24):
    """plotnine.data.txhousing: monthly log sales of the 26 cities with a complete record; from the last
    ``window`` months (relative to the last one) predict next month's log sales (relative to the last one)."""
    from plotnine.data import txhousing

    xs, ys = [], []
    for _, df in txhousing.sort_values(["city", "date"]).groupby("city"):
        s = df["sales"].to_numpy(np.float64)
        if np.isnan(s).any():
            continue
        s = np.log(s)
        for i in range(len(s) - window):
            xs.append(s[i:i + window] - s[i + window - 1])
            ys.append(s[i + window] - s[i + window - 1])
    x, y = np.array(xs)[:, None, :], np.array(ys)
    (xt, yt), (xv, yv) = _split20(x, y, 1000, seed)
    sx, my, sy = xt.std(), yt.mean(), yt.std()
    t = lambda a: torch.as_tensor(np.asarray(a, np.float32))
    return (t(xt / sx), t((yt - my) / sy)), (t(xv / sx), t((yv - my) / sy))


def _meat_data20(seed):
    x, y = _meat20(seed)
    (xt, yt), (xv, yv) = _split20(x, y, 235, seed)
    t = lambda a: torch.as_tensor(np.asarray(a, np.float32))
    sy = yt.std()
    return (t(xt), t(yt / sy)), (t(xv), t(yv / sy))


def _luv_data20(seed):
    x, y = _luv20(seed)
    return _std20(_split20(x, y, 160, seed))


def _midwest_data20(seed, n_train=None, log_target=False):
    """Midwest counties split 327/110 (the first ``n_train`` training counties only, if given); inputs standardized,
    target (the poverty rate, or its log) standardized with the training statistics."""
    x, y = _midwest20(seed)
    if log_target:
        y = np.log(y)
    (xt, yt), (xv, yv) = _split20(x, y, 110, seed)
    if n_train:
        xt, yt = xt[:n_train], yt[:n_train]
    return _std20(((xt, yt), (xv, yv)), True, True)


# ----------------------------------------------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------------------------------------------

class _AttnPool20(nn.Module):
    """Each scalar feature becomes a token (a shared per-token MLP of value and feature embedding); a learned
    query pools the tokens with attention; a head classifies."""

    def __init__(self, n_features, classes, dim=32, heads=4):
        super().__init__()
        self.feat = nn.Parameter(torch.randn(n_features, dim) * 0.1)
        self.value = nn.Linear(1, dim)
        self.token = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.query = nn.Parameter(torch.randn(1, 1, dim) * 0.1)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, classes))

    def forward(self, x):
        tok = self.token(self.value(x.unsqueeze(-1)) + self.feat)          # (B, F, dim)
        pooled, _ = self.attn(self.query.expand(len(x), -1, -1), tok, tok, need_weights=False)
        return self.head(pooled.squeeze(1))


class _MixerBlock20(nn.Module):
    def __init__(self, tokens, dim, token_hidden, channel_hidden, dropout=0.0):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(nn.Linear(tokens, token_hidden), nn.GELU(), nn.Dropout(dropout),
                                       nn.Linear(token_hidden, tokens))
        self.channel_mlp = nn.Sequential(nn.Linear(dim, channel_hidden), nn.GELU(), nn.Dropout(dropout),
                                         nn.Linear(channel_hidden, dim))

    def forward(self, x):                                                     # (B, tokens, dim)
        x = x + self.token_mlp(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.norm2(x))


class _Mixer20(nn.Module):
    """A small MLP-Mixer over a multichannel series: patches of ``patch`` steps are the tokens."""

    def __init__(self, channels=4, length=24, patch=3, dim=32, depth=2, out=1, dropout=0.0):
        super().__init__()
        self.patch = patch
        self.embed = nn.Linear(channels * patch, dim)
        self.blocks = nn.Sequential(*[_MixerBlock20(length // patch, dim, 32, 2 * dim, dropout) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, out)

    def forward(self, x):                                                     # (B, C, L)
        b, c, l = x.shape
        p = x.reshape(b, c, l // self.patch, self.patch).permute(0, 2, 1, 3).reshape(b, l // self.patch, c * self.patch)
        return self.out(self.norm(self.blocks(self.embed(p))).mean(1)).squeeze(-1)


class _DilatedTCN20(nn.Module):
    """Causal dilated 1-D convolutions (dilations 1, 2, 4, 8) with residual connections; the last step predicts."""

    def __init__(self, channels_in=1, width=32, dilations=(1, 2, 4, 8)):
        super().__init__()
        self.inp = nn.Conv1d(channels_in, width, 1)
        self.convs = nn.ModuleList(nn.Conv1d(width, width, 3, dilation=d) for d in dilations)
        self.acts = nn.ModuleList(nn.ReLU() for _ in dilations)
        self.dil = dilations
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        h = self.inp(x)
        for conv, act, d in zip(self.convs, self.acts, self.dil):
            h = h + act(conv(F.pad(h, (2 * d, 0))))
        return self.out(h[:, :, -1]).squeeze(-1)


class _DWSep20(nn.Module):
    """Depthwise-separable 1-D convolutions (a per-channel conv, then a 1x1 mix), global average pooling."""

    def __init__(self, channels=4, width=32, kernel=5):
        super().__init__()
        self.dw1 = nn.Conv1d(channels, channels, kernel, padding=kernel // 2, groups=channels)
        self.pw1 = nn.Conv1d(channels, width, 1)
        self.act1 = nn.Hardswish()
        self.dw2 = nn.Conv1d(width, width, kernel, padding=kernel // 2, groups=width)
        self.pw2 = nn.Conv1d(width, width, 1)
        self.act2 = nn.Hardswish()
        self.out = nn.Linear(2 * width, 1)

    def forward(self, x):
        h = self.act1(self.pw1(self.dw1(x)))
        h = self.act2(self.pw2(self.dw2(h)))
        return self.out(torch.cat([h.mean(-1), h[:, :, -1]], 1)).squeeze(-1)


# ----------------------------------------------------------------------------------------------------------------
# the cases: broken (541-556), healthy (557-564)
# ----------------------------------------------------------------------------------------------------------------

def _t541_20(defect=True):
    """LR x100: AdamW at 0.3 instead of 3e-3 on a SELU MLP, Gaussian-quantile classes (5 shells in 6-D)."""
    seed = 541
    torch.manual_seed(seed)
    data = _quantiles20(seed)
    model = nn.Sequential(nn.Linear(6, 128), nn.SELU(), nn.Linear(128, 128), nn.SELU(), nn.Linear(128, 5))
    return _fit20(model, nn.CrossEntropyLoss(), data, epochs=20, batch=64, lr=0.3 if defect else 3e-3, seed=seed,
                  optimizer="adamw", options=dict(weight_decay=1e-4), classes=5)


def _t542_20(defect=True):
    """LR x100: SGD with Nesterov momentum at 2.0 instead of 0.02, Softplus MLP on the seals' vector field."""
    seed = 542
    torch.manual_seed(seed)
    data = _seals20(seed)
    model = nn.Sequential(nn.Linear(2, 96), nn.Softplus(), nn.Linear(96, 96), nn.Softplus(), nn.Linear(96, 2))
    return _fit20(model, _mse20, data, epochs=60, batch=32, lr=2.0 if defect else 0.02, seed=seed,
                  optimizer="nesterov", every=50)


def _t543_20(defect=True):
    """LR /1000: RMSprop with momentum 0.9 at 1e-6 instead of 1e-3, Mish MLP, 20 Gaussian blobs in 16-D
    (hand-written loop)."""
    seed = 543
    torch.manual_seed(seed)
    data = _blobs20(seed, n=4000, centers=20, dim=16, std=4.0)
    model = nn.Sequential(nn.Linear(16, 128), nn.Mish(), nn.Linear(128, 128), nn.Mish(), nn.Linear(128, 20))
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-6 if defect else 1e-3, momentum=0.9)
    return _loop20(model, nn.CrossEntropyLoss(), opt, data, epochs=15, batch=64, seed=seed, classes=20)


def _t544_20(defect=True):
    """LR /1000: Adagrad at 5e-5 instead of 5e-2, PReLU MLP, log median house price of Texas cities."""
    seed = 544
    torch.manual_seed(seed)
    data = _txhousing20(seed)
    model = nn.Sequential(nn.Linear(49, 128), nn.PReLU(128), nn.Linear(128, 64), nn.PReLU(64), nn.Linear(64, 1),
                          _Squeeze20())
    return _fit20(model, _mse20, data, epochs=12, batch=64, lr=5e-5 if defect else 5e-2, seed=seed,
                  optimizer="adagrad")


def _t545_20(defect=True):
    """Batch size 1 instead of 64 (same SGD-momentum LR), Mish MLP on Hastie's 10-D chi-square problem."""
    seed = 545
    torch.manual_seed(seed)
    data = _hastie20(seed, n=2000)
    model = nn.Sequential(nn.Linear(10, 64), nn.Mish(), nn.Linear(64, 64), nn.Mish(), nn.Linear(64, 2))
    return _fit20(model, nn.CrossEntropyLoss(), data, epochs=4 if defect else 30, batch=1 if defect else 64,
                  lr=0.02, seed=seed, optimizer="momentum", classes=2, every=100 if defect else 50)


def _t546_20(defect=True):
    """No regularization on 50 mammals: a 512-wide 3-layer ELU MLP, AdamW with no weight decay, 400 full-batch
    epochs predicting total sleep (control: dropout 0.5 and weight decay 0.5; hand-written loop)."""
    seed = 546
    torch.manual_seed(seed)
    x, y = _msleep20(seed)
    data = _std20(_split20(x, y, 33, seed), True, True)
    model = _mlp20([x.shape[1], 512, 512, 512, 1], nn.ELU, dropout=0.0 if defect else 0.5)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0 if defect else 0.5)
    loss = lambda out, t: F.mse_loss(out.squeeze(-1), t)
    return _loop20(model, loss, opt, data, epochs=400, batch=64, seed=seed, every=20)


def _t547_20(defect=True):
    """No regularization on 40 counties: attention-pooling network (feature tokens), AdamW without weight decay,
    400 full-batch epochs predicting the poverty rate (control: weight decay 0.3, dropout in the head, 100 epochs)."""
    seed = 547
    torch.manual_seed(seed)
    data = _midwest_data20(seed, n_train=40)
    model = _AttnPool20(16, 1, dim=48)
    if not defect:
        model.head.insert(3, nn.Dropout(0.3))
    return _fit20(nn.Sequential(model, _Squeeze20()), _mse20, data, epochs=400 if defect else 100, batch=40,
                  lr=1e-3, seed=seed, optimizer="adamw", options=dict(weight_decay=0.0 if defect else 0.3), every=20)

def _t548_20(defect=True):
    """Model far too small: one hidden layer of 2 PReLU units for Hastie's 10-D chi-square problem, Adam
    (control: 32 units)."""
    seed = 548
    torch.manual_seed(seed)
    data = _hastie20(seed, n=4000)
    h = 2 if defect else 32
    model = nn.Sequential(nn.Linear(10, h), nn.PReLU(), nn.Linear(h, 2))
    return _fit20(model, nn.CrossEntropyLoss(), data, epochs=40, batch=32, lr=1e-2, seed=seed, optimizer="adam",
                  classes=2, every=50)


def _t549_20(defect=True):
    """Stopped far too early: a depthwise-separable 1-D conv net on the meat series, 3 epochs of Adam at a healthy
    LR while both losses still fall (control: 60 epochs)."""
    seed = 549
    torch.manual_seed(seed)
    data = _meat_data20(seed)
    model = _DWSep20()
    return _fit20(model, _mse20, data, epochs=3 if defect else 60, batch=32, lr=1e-3, seed=seed, optimizer="adam",
                  every=10)


def _t550_20(defect=True):
    """Deep sigmoid net: 10 sigmoid layers of 64 (control: the same depth with ReLU and Kaiming init), SGD with
    momentum, Gaussian-quantile classes (5 shells in 6-D)."""
    seed = 550
    torch.manual_seed(seed)
    data = _quantiles20(seed)
    model = _mlp20([6] + [64] * 10 + [5], nn.Sigmoid if defect else nn.ReLU)
    if not defect:
        for mod in model:
            if isinstance(mod, nn.Linear):
                nn.init.kaiming_normal_(mod.weight, nonlinearity="relu")
                nn.init.zeros_(mod.bias)
    return _fit20(model, nn.CrossEntropyLoss(), data, epochs=25, batch=64, lr=0.05, seed=seed, optimizer="momentum",
                  classes=5, every=50)


def _t551_20(defect=True):
    """Weights initialized far too large: N(0, (8/sqrt(fan_in))^2) in a 6-layer LeakyReLU MLP (control: Kaiming),
    Adam, 20 Gaussian blobs."""
    seed = 551
    torch.manual_seed(seed)
    data = _blobs20(seed, n=4000, centers=20, dim=16, std=4.0)
    model = _mlp20([16] + [128] * 5 + [20], nn.LeakyReLU)
    for mod in model:
        if isinstance(mod, nn.Linear):
            if defect:
                nn.init.normal_(mod.weight, 0.0, 8.0 / math.sqrt(mod.in_features))
            else:
                nn.init.kaiming_normal_(mod.weight, a=0.01, nonlinearity="leaky_relu")
            nn.init.zeros_(mod.bias)
    return _fit20(model, nn.CrossEntropyLoss(), data, epochs=12, batch=64, lr=1e-3, seed=seed, optimizer="adam",
                  classes=20, every=50)


def _t552_20(defect=True):
    """Weights initialized far too small: N(0, 0.01^2) in an 8-layer tanh MLP (control: Xavier), SGD with momentum,
    8-class make_classification."""
    seed = 552
    torch.manual_seed(seed)
    from sklearn.datasets import make_classification
    x, y = make_classification(n_samples=3000, n_features=20, n_informative=10, n_redundant=4, n_classes=8,
                               n_clusters_per_class=2, class_sep=1.5, random_state=seed)
    data = _std20(_split20(x, y.astype(np.int64), 750, seed))
    model = _mlp20([20] + [100] * 8 + [8], nn.Tanh)
    for mod in model:
        if isinstance(mod, nn.Linear):
            if defect:
                nn.init.normal_(mod.weight, 0.0, 0.01)
            else:
                nn.init.xavier_normal_(mod.weight, gain=5 / 3)
            nn.init.zeros_(mod.bias)
    return _fit20(model, nn.CrossEntropyLoss(), data, epochs=15, batch=64, lr=0.05, seed=seed, optimizer="momentum",
                  classes=8, every=50)


def _t553_20(defect=True):
    """ReLUs killed by a bias of -4 in every hidden layer (control: zero bias), Adam, 7 colour families of R's named
    colours in CIE Luv."""
    seed = 553
    torch.manual_seed(seed)
    data = _luv_data20(seed)
    model = _mlp20([3, 128, 128, 128, 7], nn.ReLU)
    for mod in list(model)[:-1]:
        if isinstance(mod, nn.Linear):
            nn.init.constant_(mod.bias, -4.0 if defect else 0.0)
    return _fit20(model, nn.CrossEntropyLoss(), data, epochs=40, batch=32, lr=1e-3, seed=seed, optimizer="adam",
                  classes=7, every=50)


def _t554_20(defect=True):
    """Validation from another distribution: sex of penguins from their measurements, trained on Adelie and
    Chinstrap, validated on Gentoo (much larger birds; control: a random split). Weight-normed MLP, hand loop."""
    seed = 554
    torch.manual_seed(seed)
    x, y, species = _penguins20(seed, target="sex")
    if defect:
        tr, va = species != 2, species == 2
        data = _std20(((x[tr], y[tr]), (x[va], y[va])))
    else:
        data = _std20(_split20(x, y, int((species == 2).sum()), seed))
    wn = nn.utils.parametrizations.weight_norm
    model = nn.Sequential(wn(nn.Linear(7, 64)), nn.SiLU(), wn(nn.Linear(64, 64)), nn.SiLU(), nn.Linear(64, 2))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    return _loop20(model, nn.CrossEntropyLoss(), opt, data, epochs=60, batch=32, seed=seed, classes=2, every=25)


def _t555_20(defect=True):
    """Saturated tanh: the Texas house-price inputs fed unscaled, the date as a raw year (2000-2015) and the month as
    1-12 (control: standardized), tanh MLP, Adam."""
    seed = 555
    torch.manual_seed(seed)
    data = _txhousing20(seed, standardize=not defect)
    model = nn.Sequential(nn.Linear(data[0][0].shape[1], 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1), _Squeeze20())
    return _fit20(model, _mse20, data, epochs=10, batch=64, lr=1e-3, seed=seed, optimizer="adam")


def _t556_20(defect=True):
    """Plateau: SGD with momentum held at 0.1 for 24 epochs on make_sparse_uncorrelated (y = x1 + 2 x2 - 2 x3 - 1.5 x4
    + noise), the loss flat after the third epoch (control: the same peak, cosine-decayed)."""
    seed = 556
    torch.manual_seed(seed)
    from sklearn.datasets import make_sparse_uncorrelated
    x, y = make_sparse_uncorrelated(n_samples=10000, n_features=10, random_state=seed)
    data = _std20(_split20(x, y, 2000, seed), True, True)
    model = nn.Sequential(nn.Linear(10, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 1), _Squeeze20())
    return _fit20(model, _mse20, data, epochs=24, batch=64, lr=0.1, seed=seed, optimizer="momentum",
                  schedule=None if defect else "cosine")


def _t557_20(defect=True):
    """Healthy: attention pooling over feature tokens, AdamW (wd 1e-2) with cosine decay, Hastie's 10-D problem.
    ``defect=False`` trains it twice as long (the longer control)."""
    seed = 557
    torch.manual_seed(seed)
    data = _hastie20(seed, n=4000)
    return _fit20(_AttnPool20(10, 2), nn.CrossEntropyLoss(), data, epochs=20 if defect else 40, batch=64, lr=3e-3,
                  seed=seed, optimizer="adamw", options=dict(weight_decay=1e-2), schedule="cosine", classes=2)


def _t558_20(defect=True):
    """Healthy: MLP-Mixer over 3-month patches of the meat series, dropout 0.1 and weight decay 0.1, AdamW with
    one-cycle (control: twice as long)."""
    seed = 558
    torch.manual_seed(seed)
    data = _meat_data20(seed)
    epochs = 20 if defect else 40
    steps = epochs * math.ceil(len(data[0][0]) / 32)
    return _fit20(_Mixer20(dim=24, dropout=0.1), _mse20, data, epochs=epochs, batch=32, lr=2e-3, seed=seed,
                  optimizer="adamw", options=dict(weight_decay=0.1),
                  schedule=schedules.one_cycle_policy(2e-3, total_steps=steps), every=50)


def _t559_20(defect=True):
    """Healthy: dilated causal TCN on monthly Texas sales (next month from the last 24), AdamW with cosine decay."""
    seed = 559
    torch.manual_seed(seed)
    data = _txseries20(seed)
    return _fit20(_DilatedTCN20(), _mse20, data, epochs=15 if defect else 30, batch=64, lr=2e-3, seed=seed,
                  optimizer="adamw", options=dict(weight_decay=1e-2), schedule="cosine")


def _t560_20(defect=True):
    """Healthy: weight-normed Softplus MLP on the seals' vector field, Adam, LR stepped down 5x at 50% and 75% of the
    run (hand-written loop; control: twice as long)."""
    seed = 560
    torch.manual_seed(seed)
    data = _seals20(seed)
    wn = nn.utils.parametrizations.weight_norm
    model = nn.Sequential(wn(nn.Linear(2, 128)), nn.Softplus(), wn(nn.Linear(128, 128)), nn.Softplus(),
                          nn.Linear(128, 2))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    epochs = 120 if defect else 240
    spe = math.ceil(len(data[0][0]) / 32)
    sched = schedules.multistep(3e-3, milestones=[epochs * spe // 2, epochs * spe * 3 // 4], factor=0.2)
    return _loop20(model, _mse20, opt, data, epochs=epochs, batch=32, seed=seed, sched=sched)


def _t561_20(defect=True):
    """Healthy: GELU MLP with a spectral-norm hidden layer on Gaussian-quantile classes (5 shells in 6-D), AdamW with
    cosine decay (control: twice as long)."""
    seed = 561
    torch.manual_seed(seed)
    data = _quantiles20(seed)
    sn = nn.utils.parametrizations.spectral_norm
    model = nn.Sequential(nn.Linear(6, 128), nn.GELU(), sn(nn.Linear(128, 128)), nn.GELU(), nn.Linear(128, 5))
    return _fit20(model, nn.CrossEntropyLoss(), data, epochs=60 if defect else 120, batch=64, lr=3e-3, seed=seed,
                  optimizer="adamw", options=dict(weight_decay=1e-2), schedule="cosine", classes=5, every=50)


def _t562_20(defect=True):
    """Healthy: small Softplus MLP with dropout and weight decay, Adagrad, log poverty rate of 327 midwest counties
    (control: twice as long)."""
    seed = 562
    torch.manual_seed(seed)
    data = _midwest_data20(seed, log_target=True)
    model = nn.Sequential(nn.Linear(16, 32), nn.Softplus(), nn.Dropout(0.2), nn.Linear(32, 1), _Squeeze20())
    return _fit20(model, _mse20, data, epochs=60 if defect else 120, batch=32, lr=0.02, seed=seed,
                  optimizer="adagrad", options=dict(weight_decay=1e-3), every=50)


def _t563_20(defect=True):
    """Healthy: PReLU MLP on inputs with a decaying spectrum (make_low_rank_matrix), RMSprop with momentum and
    weight decay 1e-2, LR decayed by cosine in a hand-written loop (control: twice as long)."""
    seed = 563
    torch.manual_seed(seed)
    data = _lowrank20(seed)
    model = nn.Sequential(nn.Linear(40, 32), nn.PReLU(32), nn.Linear(32, 32), nn.PReLU(32), nn.Linear(32, 1),
                          _Squeeze20())
    opt = torch.optim.RMSprop(model.parameters(), lr=3e-4, momentum=0.9, weight_decay=1e-2)
    epochs = 30 if defect else 60
    sched = schedules.cosine(3e-4, total_steps=epochs * math.ceil(len(data[0][0]) / 32))
    return _loop20(model, _mse20, opt, data, epochs=epochs, batch=32, seed=seed, sched=sched, every=50)


def _t564_20(defect=True):
    """Healthy: penguin species from measurements, sex and island; a small Mish MLP, SGD with Nesterov momentum,
    cosine decay and weight decay 1e-2 (hand-written loop; control: twice as long)."""
    seed = 564
    torch.manual_seed(seed)
    x, y = _penguins20(seed)
    data = _std20(_split20(x, y, 100, seed))
    model = nn.Sequential(nn.Linear(8, 32), nn.Mish(), nn.Linear(32, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2)
    epochs = 30 if defect else 60
    sched = schedules.cosine(0.05, total_steps=epochs * math.ceil(len(data[0][0]) / 16))
    return _loop20(model, nn.CrossEntropyLoss(), opt, data, epochs=epochs, batch=16, seed=seed, classes=3, sched=sched,
                   every=25)


HELD_OUT_20: list[Case] = [
    _case20("lr_x100_adamw_selu_quantiles_s541",
          "AdamW at 0.3 (healthy 3e-3, x100) on a SELU MLP classifying 5 Gaussian-quantile shells in 6-D.",
          "lr_too_high", _t541_20, ["exploding_gradients", "underfitting"]),
    _case20("lr_x100_nesterov_softplus_seals_s542",
          "SGD with Nesterov momentum at 2.0 (healthy 0.02, x100) on a Softplus MLP fitting the seals' vector field.",
          "lr_too_high", _t542_20, ["exploding_gradients"]),
    _case20("lr_div1000_rmsprop_mish_blobs_s543",
          "RMSprop with momentum at 1e-6 (healthy 1e-3, /1000), Mish MLP, 20 Gaussian blobs in 16-D; hand-written loop.",
          "lr_too_low", _t543_20, ["underfitting"]),
    _case20("lr_div1000_adagrad_prelu_txhousing_s544",
          "Adagrad at 5e-5 (healthy 5e-2, /1000), PReLU MLP, log median house price of Texas cities.",
          "lr_too_low", _t544_20, ["underfitting"]),
    _case20("batch1_sgd_mish_hastie_s545",
          "Batch size 1 (default 64) at SGD-momentum LR 0.02, Mish MLP on Hastie's 10-D chi-square problem.",
          "batch_too_small", _t545_20),
    _case20("no_reg_wide_elu_msleep50_s546",
          "50 mammals, a 3x512 ELU MLP, no dropout or weight decay, 400 full-batch AdamW epochs on total sleep; "
          "hand-written loop.", "overfitting", _t546_20),
    _case20("no_reg_attnpool_midwest40_s547",
          "40 midwest counties, an attention-pooling feature-token network without weight decay or dropout, 400 "
          "full-batch AdamW epochs on the poverty rate.", "overfitting", _t547_20),
    _case20("two_unit_prelu_hastie_s548",
          "A hidden layer of 2 PReLU units for Hastie's 10-D chi-square problem, trained to convergence.",
          "underfitting", _t548_20),
    _case20("stopped_early_dwsep_conv_meat_s549",
          "Depthwise-separable 1-D conv net on the meat-production series, stopped after 3 epochs while both losses "
          "still fall (Adam at a healthy 1e-3).", "underfitting", _t549_20),
    _case20("sigmoid_deep10_quantiles_s550",
          "10 sigmoid layers of 64 with default init, SGD momentum, Gaussian-quantile shells.",
          "vanishing_gradients", _t550_20, ["underfitting"]),
    _case20("init_x8_leaky_deep_blobs_s551",
          "Weights drawn with std 8/sqrt(fan_in) in a 6-layer LeakyReLU MLP, 20 Gaussian blobs, Adam.",
          "bad_initialization", _t551_20, ["exploding_gradients"]),
    _case20("init_tiny_tanh_deep_classif_s552",
          "Weights drawn with std 0.01 in a tanh MLP with 8 hidden layers of 100, 8-class make_classification, "
          "SGD momentum.",
          "bad_initialization", _t552_20, ["vanishing_gradients", "underfitting"]),
    _case20("relu_bias_minus4_luv_s553",
          "Every hidden ReLU layer's bias set to -4 (standardized inputs), 7 colour families of R's colours in CIE Luv.",
          "dead_relu", _t553_20, ["underfitting", "vanishing_gradients"]),
    _case20("val_gentoo_train_adelie_chinstrap_s554",
          "Penguin sex from measurements, trained on Adelie and Chinstrap, validated on the much larger Gentoo; "
          "weight-normed SiLU MLP, hand-written loop.", "unrepresentative_validation", _t554_20, ["overfitting"]),
    _case20("raw_year_tanh_txhousing_s555",
          "Texas house prices with the year (2000-2015) and month number fed unscaled into a tanh MLP.",
          "saturated_activations", _t555_20, ["underfitting", "vanishing_gradients"]),
    _case20("constant_lr_plateau_sparse_uncorr_s556",
          "SGD momentum held at 0.1 for 24 epochs on make_sparse_uncorrelated; the loss flat from the second epoch.",
          "plateau", _t556_20),
    _case20("healthy_attnpool_hastie_s557",
          "Attention pooling over feature tokens, AdamW with weight decay and cosine decay, Hastie's 10-D problem.",
          None, _t557_20),
    _case20("healthy_mixer_meat_s558",
          "Small MLP-Mixer over 3-month patches of the meat series, dropout and weight decay, AdamW one-cycle.",
          None, _t558_20),
    _case20("healthy_dilated_tcn_txsales_s559",
          "Dilated causal TCN forecasting next month's sales of 26 Texas cities, AdamW with cosine decay.",
          None, _t559_20),
    _case20("healthy_weightnorm_seals_s560",
          "Weight-normed Softplus MLP on the seals' vector field, Adam with two step decays; hand-written loop.",
          None, _t560_20),
    _case20("healthy_specnorm_quantiles_s561",
          "GELU MLP with a spectral-norm hidden layer on Gaussian-quantile shells, AdamW with cosine decay.",
          None, _t561_20),
    _case20("healthy_adagrad_midwest_s562",
          "Small Softplus MLP with dropout and weight decay, Adagrad, log poverty rate of 327 midwest counties.",
          None, _t562_20),
    _case20("healthy_rmsprop_lowrank_s563",
          "PReLU MLP on low-rank inputs, RMSprop with momentum and weight decay, cosine decay; hand-written loop.",
          None, _t563_20),
    _case20("healthy_nesterov_penguins_s564",
          "Penguin species from measurements, small Mish MLP, SGD Nesterov with cosine decay and weight decay; "
          "hand-written loop.", None, _t564_20),
]
CASES += HELD_OUT_20


# ================================================================================================================
# Round 21: written blind like rounds 6-20 (the issue's definitions given), after round 20's change: images and
# sequences — small CNNs and ResNet-style nets (BatchNorm, GroupNorm, global pooling) on digits as 1x8x8 images and on
# generated bars and blobs; 1-D CNNs, GRUs, LSTMs and small transformers (positional embeddings, padding masks) on
# generated sequences — the issue's list of broken runs (LR x100 and x1/1000, batch 2, no regularization on 60
# images, a GRU of 2 units, a deep sigmoid CNN, init too large and too small, ReLUs under a bias of -5, transposed
# validation digits, a plateau at a constant LR, a recurrent weight x4) and ten healthy runs, two on noisy tasks. Its
# first run: recall 14/14, precision 17/21, three healthy runs of 10 flagged (two noise floors read as underfitting,
# a transformer whose dropout keeps training above validation), one explosion with lr_too_high beside it.
_case21 = _held_out_case(21)

# ----------------------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------------------

_DIGITS_CACHE21 = {}


def _digit_images21(seed, n_val=360):
    """scikit-learn's 8x8 digits as 1x8x8 images (pixels 0..16 scaled to 0..1, then standardized with the
    training set's single mean/std), split at random (``seed``) into training and ``n_val`` validation images."""
    if "d" not in _DIGITS_CACHE21:
        from sklearn.datasets import load_digits

        d = load_digits()
        _DIGITS_CACHE21["d"] = (d.data.astype(np.float32) / 16.0, d.target.astype(np.int64))
    x, y = _DIGITS_CACHE21["d"]
    perm = np.random.default_rng(seed).permutation(len(x))
    x, y = torch.tensor(x[perm]).reshape(-1, 1, 8, 8), torch.tensor(y[perm])
    xt, yt, xv, yv = x[n_val:], y[n_val:], x[:n_val], y[:n_val]
    mean, std = xt.mean(), xt.std()
    return ((xt - mean) / std, yt), ((xv - mean) / std, yv)


def _bars21(n, seed, size=12, noise=0.3):
    """Images with one bar at one of 4 orientations (0, 45, 90, 135 degrees) at a random place and length, on
    Gaussian pixel noise; the label is the orientation."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1, size, size)).astype(np.float32) * noise
    y = rng.integers(0, 4, n)
    dirs = [(0, 1), (1, 1), (1, 0), (1, -1)]
    for i in range(n):
        dr, dc = dirs[y[i]]
        length = rng.integers(5, 9)
        r0 = rng.integers(0, size)
        c0 = rng.integers(0, size)
        amp = rng.uniform(0.8, 1.2)
        for k in range(-(length // 2), length - length // 2):
            r, c = r0 + k * dr, c0 + k * dc
            if 0 <= r < size and 0 <= c < size:
                x[i, 0, r, c] += amp
    return torch.tensor(x), torch.tensor(y, dtype=torch.int64)


def _blobs21(n, seed, size=12, max_blobs=4, noise=0.15):
    """Images with 1..``max_blobs`` Gaussian blobs at random places; the label is the count minus one."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    x = rng.standard_normal((n, 1, size, size)).astype(np.float32) * noise
    y = rng.integers(0, max_blobs, n)
    for i in range(n):
        centres = []
        while len(centres) < y[i] + 1:
            c = rng.uniform(1.0, size - 2.0, 2)
            if all(np.hypot(*(c - o)) > 3.0 for o in centres):
                centres.append(c)
        for cy, cx in centres:
            x[i, 0] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 0.9 ** 2))
    return torch.tensor(x), torch.tensor(y, dtype=torch.int64)


def _standardize21(xt, xv):
    """Standardize images or signals with the training set's single mean and std."""
    mean, std = xt.mean(), xt.std()
    return (xt - mean) / std, (xv - mean) / std


def _loader21(x, y, batch, seed=None, shuffle=True, aug=None):
    """A DataLoader handing out whole batches of ``_Rows``; ``aug(x_batch, generator)`` augments training batches."""
    ds = _Rows(x, y) if aug is None else _AugRows21(x, y, aug, seed)
    if shuffle:
        sampler = BatchSampler(RandomSampler(ds, generator=torch.Generator().manual_seed(seed)), batch, False)
    else:
        sampler = BatchSampler(SequentialSampler(ds), batch, False)
    return DataLoader(ds, batch_size=None, sampler=sampler)


class _AugRows21(_Rows):
    """``_Rows`` whose batches go through ``aug`` with its own seeded generator."""

    def __init__(self, x, y, aug, seed):
        super().__init__(x, y)
        self.aug, self.gen = aug, torch.Generator().manual_seed(seed + 1000)

    def __getitem__(self, rows):
        x, y = super().__getitem__(rows)
        return self.aug(x, self.gen), y


def _shift_aug21(max_shift=1, noise=0.0):
    """Random translation by up to ``max_shift`` pixels (edge pixels replicated into the border), plus optional
    Gaussian pixel noise."""

    def aug(x, gen):
        n, _, h, w = x.shape
        pad = F.pad(x, (max_shift,) * 4, mode="replicate")
        dr = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
        dc = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
        out = torch.stack([pad[i, :, dr[i]:dr[i] + h, dc[i]:dc[i] + w] for i in range(n)])
        if noise:
            out = out + noise * torch.randn(out.shape, generator=gen)
        return out

    return aug


def _fit21(model, train_loader, val_loader, *, epochs, optimizer, lr, seed, schedule=None, task="classification",
           num_classes=None, loss_fn=None, callbacks=(), **kwargs):
    if loss_fn is None:
        loss_fn = F.cross_entropy if task == "classification" else F.mse_loss
    h = fit(model, loss_fn, train_loader, val_loader=val_loader, epochs=epochs, optimizer=optimizer, lr=lr,
            schedule=schedule, seed=seed, metric=_accuracy if task == "classification" else None,
            callbacks=[Monitor(), *callbacks], **kwargs)
    h.config.update(task=task, num_classes=num_classes)
    return h


def _hand_loop21(model, opt, train_batches, val_x, val_y, *, epochs, loss_fn, metric=None, lr_at=None, clip=None,
                 task="classification", num_classes=None, every=100, train_y=None):
    """The same instruments in a hand-written loop. ``train_batches(epoch)`` yields (x, y) batches;
    ``lr_at(step)`` (optional) sets the LR of every parameter group before each update; ``train_y`` (the training
    targets) gives ``constant_loss_train`` as ``fit`` does."""
    m = Monitor(model, opt, every=every).start()
    if metric is not None:
        m.history.metric_name, m.history.metric_direction = metric.__name__, "max"
    step, started = 0, time.perf_counter()
    try:
        for epoch in range(epochs):
            model.train()
            total, count, diverged = 0.0, 0, False
            for xb, yb in train_batches(epoch):
                if lr_at is not None:
                    for group in opt.param_groups:
                        group["lr"] = lr_at(step)
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                m.before_step()
                if not torch.isfinite(loss):  # never apply a non-finite update: stop here, as fit does
                    m.after_step(loss)
                    diverged = True
                    break
                if clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), clip)
                opt.step()
                m.after_step(loss)
                step += 1
                total += loss.item() * len(yb)
                count += len(yb)
            model.eval()
            with torch.no_grad(), m.validating():
                out = torch.cat([model(val_x[i:i + 500]) for i in range(0, len(val_x), 500)])
            val_loss = float(loss_fn(out, val_y))
            if epoch == 0:
                m.history.extras["constant_loss"] = trainwise.constant_loss(loss_fn, out, val_y)
                if train_y is not None:
                    ty = train_y[:10_000]
                    m.history.extras["constant_loss_train"] = trainwise.constant_loss(
                        loss_fn, out[:1].expand(len(ty), *out.shape[1:]), ty)
            m.end_epoch(train_loss=float("nan") if diverged else total / max(count, 1), val_loss=val_loss,
                        val_metric=None if metric is None else metric(out, val_y))
            if epoch == 0:
                m.history.steps_per_epoch = step
            if diverged:
                m.history.status = "diverged"
                m.history.stop_reason = f"non-finite loss at step {step}"
                break
    finally:
        m.close()
    m.history.elapsed_s = time.perf_counter() - started
    m.history.config.update(task=task, num_classes=num_classes, optimizer=type(opt).__name__.lower(),
                            lr=opt.param_groups[0]["lr"] if lr_at is None else lr_at(0), epochs=epochs)
    return m.history


def _batches21(x, y, batch, seed):
    """Shuffled batches of (x, y), a fresh order per epoch from a seeded generator."""
    gen = torch.Generator().manual_seed(seed)

    def batches(epoch):
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            rows = perm[i:i + batch]
            yield x[rows], y[rows]

    return batches


def _motif21(n, seed, vocab=12, min_len=8, max_len=20, motif=(3, 5, 7)):
    """Token sequences (ids 1..vocab-1, 0 = padding at the end) of random length; label 1 when ``motif`` occurs
    as a contiguous run (planted in half of them), else 0 (removed where it occurs by chance)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, max_len), dtype=np.int64)
    y = rng.integers(0, 2, n)
    k = len(motif)
    for i in range(n):
        length = rng.integers(min_len, max_len + 1)
        seq = rng.integers(1, vocab, length)
        if y[i]:
            at = rng.integers(0, length - k + 1)
            seq[at:at + k] = motif
        else:
            for j in range(length - k + 1):
                if tuple(seq[j:j + k]) == tuple(motif):
                    seq[j + k - 1] = 1 + (seq[j + k - 1] % (vocab - 1))
        x[i, :length] = seq
    return torch.tensor(x), torch.tensor(y, dtype=torch.int64)


def _sine_classes21(n, seed, length=64, classes=4, noise=0.5, amp=1.0, offset=0.0):
    """1-D signals (n, 1, length): a sine whose frequency band is the class, random phase and amplitude, plus
    Gaussian noise; ``amp`` scales the whole signal and ``offset`` is added (raw sensor units)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    t = np.arange(length)
    freq = (1.5 + 1.5 * y + rng.uniform(-0.4, 0.4, n)) / length
    phase = rng.uniform(0, 2 * np.pi, n)
    a = rng.uniform(0.7, 1.3, n)
    x = a[:, None] * np.sin(2 * np.pi * freq[:, None] * t[None] + phase[:, None]) + noise * rng.standard_normal((n, length))
    return torch.tensor(offset + amp * x[:, None, :], dtype=torch.float32), torch.tensor(y, dtype=torch.int64)


def _forecast21(n, seed, length=40, noise=0.3, horizon=1):
    """Next-value forecasting: windows (n, length, 1) of a sum of two sines with random frequencies and phases
    plus Gaussian noise; the target is the (noisy) value ``horizon`` steps after the window."""
    rng = np.random.default_rng(seed)
    t = np.arange(length + horizon)
    f1, f2 = rng.uniform(0.02, 0.08, n), rng.uniform(0.1, 0.2, n)
    p1, p2 = rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 2 * np.pi, n)
    clean = np.sin(2 * np.pi * f1[:, None] * t + p1[:, None]) + 0.5 * np.sin(2 * np.pi * f2[:, None] * t + p2[:, None])
    s = clean + noise * rng.standard_normal(clean.shape)
    return (torch.tensor(s[:, :length, None], dtype=torch.float32),
            torch.tensor(s[:, length + horizon - 1], dtype=torch.float32))


def _adding21(n, seed, length=30):
    """The adding problem: inputs (n, length, 2) of uniform values and a marker channel with two ones; the target
    is the sum of the two marked values."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(0, 1, (n, length))
    m = np.zeros((n, length))
    for i in range(n):
        a, b = rng.choice(length, 2, replace=False)
        m[i, a] = m[i, b] = 1.0
    y = (v * m).sum(1)
    return torch.tensor(np.stack([v, m], -1), dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


def _window_vote21(n, seed, length=20, start=4, window=5):
    """Bit sequences (n, length, 1); the label is 1 when most of the ``window`` bits from position ``start`` on
    are ones (the model must remember them through the rest of the sequence)."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, (n, length))
    y = (bits[:, start:start + window].sum(1) * 2 > window).astype(np.int64)
    return torch.tensor(bits[..., None], dtype=torch.float32), torch.tensor(y, dtype=torch.int64)


# ----------------------------------------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------------------------------------


def _norm21(kind, c):
    return nn.BatchNorm2d(c) if kind == "bn" else nn.GroupNorm(4, c)


class _ResBlock21(nn.Module):
    """conv-norm-relu-conv-norm plus the identity, then relu."""

    def __init__(self, c, norm="bn"):
        super().__init__()
        self.conv1, self.norm1, self.relu1 = nn.Conv2d(c, c, 3, padding=1, bias=False), _norm21(norm, c), nn.ReLU()
        self.conv2, self.norm2, self.relu2 = nn.Conv2d(c, c, 3, padding=1, bias=False), _norm21(norm, c), nn.ReLU()

    def forward(self, x):
        return self.relu2(x + self.norm2(self.conv2(self.relu1(self.norm1(self.conv1(x))))))


class _ResNet21(nn.Module):
    """A small ResNet: stem conv, residual blocks, a stride-2 conv, more blocks, global average pooling, linear."""

    def __init__(self, c=24, blocks=(1, 1), classes=10, norm="bn", in_ch=1):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_ch, c, 3, padding=1, bias=False), _norm21(norm, c), nn.ReLU())
        self.stage1 = nn.Sequential(*[_ResBlock21(c, norm) for _ in range(blocks[0])])
        self.down = nn.Sequential(nn.Conv2d(c, 2 * c, 3, stride=2, padding=1, bias=False), _norm21(norm, 2 * c), nn.ReLU())
        self.stage2 = nn.Sequential(*[_ResBlock21(2 * c, norm) for _ in range(blocks[1])])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(2 * c, classes)

    def forward(self, x):
        x = self.stage2(self.down(self.stage1(self.stem(x))))
        return self.head(self.pool(x).flatten(1))


# ----------------------------------------------------------------------------------------------------------
# cases
# ----------------------------------------------------------------------------------------------------------


def _train_lr_x100_resnet21(defect=True, seed=565):
    """ResNet (BatchNorm, GAP) on digits, SGD with momentum 0.9; healthy LR 0.05, the defect x100 = 5.0."""
    (xt, yt), (xv, yv) = _digit_images21(seed)
    torch.manual_seed(seed)
    model = _ResNet21(c=16)
    lr = 5.0 if defect else 0.05
    return _fit21(model, _loader21(xt, yt, 64, seed), _loader21(xv, yv, 360, shuffle=False), epochs=8,
                  optimizer=torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9), lr=lr, seed=seed,
                  num_classes=10)


class _TokenTransformer21(nn.Module):
    """Token embedding (0 = padding) + learned positions + a CLS token, a pre-norm nn.TransformerEncoder with the
    padding mask, a LayerNorm and a linear head on the CLS position."""

    def __init__(self, vocab=12, d=32, heads=4, layers=2, max_len=20, classes=2, dropout=0.1):
        super().__init__()
        self.embed = nn.Embedding(vocab, d, padding_idx=0)
        self.cls = nn.Parameter(0.02 * torch.randn(1, 1, d))
        self.pos = nn.Parameter(torch.randn(1, max_len + 1, d))
        layer = nn.TransformerEncoderLayer(d, heads, 2 * d, dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, tokens):
        n, length = tokens.shape
        h = torch.cat([self.cls.expand(n, -1, -1), self.embed(tokens)], 1) + self.pos[:, :length + 1]
        mask = torch.cat([torch.zeros(n, 1, dtype=torch.bool), tokens == 0], 1)
        h = self.encoder(h, src_key_padding_mask=mask)
        return self.head(self.norm(h[:, 0]))


def _train_lr_x1000th_transformer21(defect=True, seed=566):
    """The transformer (CLS token, learned positions, padding mask) detecting token 3 followed by token 5, AdamW
    (weight decay 0.01) at a constant LR, 12 epochs, hand-written loop; healthy LR 1e-3, the defect 1e-6."""
    xt, yt = _motif21(2000, seed, motif=(3, 5))
    xv, yv = _motif21(500, seed + 10_000, motif=(3, 5))
    torch.manual_seed(seed)
    model = _TokenTransformer21()
    lr = 1e-6 if defect else 1e-3
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    return _hand_loop21(model, opt, _batches21(xt, yt, 64, seed), xv, yv, epochs=12, loss_fn=F.cross_entropy,
                        metric=_accuracy, num_classes=2, train_y=yt)


def _conv1d_net21(classes=4, c=16, act=nn.ReLU, in_ch=1):
    return nn.Sequential(
        nn.Conv1d(in_ch, c, 7, padding=3), act(), nn.MaxPool1d(2),
        nn.Conv1d(c, 2 * c, 5, padding=2), act(), nn.MaxPool1d(2),
        nn.Conv1d(2 * c, 2 * c, 3, padding=1), act(),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(2 * c, classes))


def _train_batch2_conv1d21(defect=True, seed=567):
    """1-D CNN classifying the frequency band of noisy sines (4 classes), Adam 5e-3, hand-written loop; the
    defect is a batch of 2 signals (control: 32), same LR and epochs."""
    xt, yt = _sine_classes21(800, seed, noise=1.5)
    xv, yv = _sine_classes21(600, seed + 10_000, noise=1.5)
    torch.manual_seed(seed)
    model = _conv1d_net21()
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    return _hand_loop21(model, opt, _batches21(xt, yt, 2 if defect else 32, seed), xv, yv, epochs=10,
                        loss_fn=F.cross_entropy, metric=_accuracy, num_classes=4, train_y=yt)


def _wide_cnn21(classes=10, dropout=0.0, c=32, hidden=256):
    return nn.Sequential(
        nn.Conv2d(1, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(dropout), nn.Linear(2 * c * 16, hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, classes))


def _train_overfit_tiny_digits21(defect=True, seed=568, regularize=False):
    """A wide CNN (~0.6M weights) on 60 training digits, Adam 1e-3, batch 16, 80 epochs, no regularization.
    Control: the full training set (1,437 images), 8 epochs. ``regularize=True`` (with the defect) keeps the 60
    images and adds shift augmentation, dropout 0.3 and weight decay (AdamW 0.05) instead."""
    (xt, yt), (xv, yv) = _digit_images21(seed)
    if defect:
        xt, yt = xt[:60], yt[:60]
    torch.manual_seed(seed)
    model = _wide_cnn21(dropout=0.3 if regularize else 0.0)
    aug = _shift_aug21(1, 0.2) if regularize else None
    opt = (torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05) if regularize
           else torch.optim.Adam(model.parameters(), lr=1e-3))
    return _fit21(model, _loader21(xt, yt, 16, seed, aug=aug), _loader21(xv, yv, 360, shuffle=False),
                  epochs=80 if defect else 8, optimizer=opt, lr=1e-3, seed=seed, num_classes=10)


class _RowGRU21(nn.Module):
    """Reads an image row by row (a sequence of 8 rows of 8 pixels) with a GRU; a linear head on the last state."""

    def __init__(self, hidden, classes=10, in_dim=8):
        super().__init__()
        self.gru = nn.GRU(in_dim, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out[:, -1])


def _train_gru2_row_digits21(defect=True, seed=569):
    """Digits read row by row by a GRU of 2 units (control: 64 units); Adam 3e-3 with cosine decay, 20 epochs,
    hand-written loop."""
    (xt, yt), (xv, yv) = _digit_images21(seed)
    xt, xv = xt.reshape(-1, 8, 8), xv.reshape(-1, 8, 8)
    torch.manual_seed(seed)
    model = _RowGRU21(2 if defect else 64)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    epochs, per_epoch = 20, math.ceil(len(xt) / 64)
    lr_at = schedules.cosine(3e-3, total_steps=epochs * per_epoch)
    return _hand_loop21(model, opt, _batches21(xt, yt, 64, seed), xv, yv, epochs=epochs, loss_fn=F.cross_entropy,
                        metric=_accuracy, num_classes=10, lr_at=lr_at, train_y=yt)


class _DeepConv21(nn.Module):
    """``depth`` 3x3 conv layers of ``c`` channels, each followed by ``act``; global average pooling; linear."""

    def __init__(self, depth=8, c=16, act=nn.Sigmoid, classes=4, init=None):
        super().__init__()
        layers, cin = [], 1
        for _ in range(depth):
            layers += [nn.Conv2d(cin, c, 3, padding=1), act()]
            cin = c
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(c, classes)
        if init is not None:
            for mod in self.modules():
                if isinstance(mod, (nn.Conv2d, nn.Linear)):
                    init(mod)

    def forward(self, x):
        return self.head(self.pool(self.features(x)).flatten(1))


def _kaiming21(mod):
    nn.init.kaiming_normal_(mod.weight, nonlinearity="relu")
    nn.init.zeros_(mod.bias)


def _train_deep_sigmoid_bars21(defect=True, seed=570):
    """Bar orientation (4 classes, 12x12, standardized) with 8 conv layers (12 channels) + sigmoid, SGD momentum 0.9, LR 0.01,
    12 epochs. Control: the same net with ReLU and He (Kaiming) initialization."""
    xt, yt = _bars21(1500, seed)
    xv, yv = _bars21(500, seed + 10_000)
    xt, xv = _standardize21(xt, xv)
    torch.manual_seed(seed)
    model = _DeepConv21(c=12, act=nn.Sigmoid) if defect else _DeepConv21(c=12, act=nn.ReLU, init=_kaiming21)
    return _fit21(model, _loader21(xt, yt, 64, seed), _loader21(xv, yv, 500, shuffle=False), epochs=12,
                  optimizer="momentum", lr=0.01, seed=seed, num_classes=4)


class _DigitCNN21(nn.Module):
    """conv(16)-relu-conv(32)-relu-maxpool-conv(32)-relu-conv(32)-relu-maxpool-flatten-linear(64)-relu-linear."""

    def __init__(self, classes=10, c=16, size=8):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * c, 2 * c, 3, padding=1), nn.ReLU(), nn.Conv2d(2 * c, 2 * c, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(2 * c * (size // 4) ** 2, 64), nn.ReLU(),
                                        nn.Linear(64, classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def _train_init_large_digits21(defect=True, seed=571):
    """A 4-conv CNN on digits, Adam 1e-3, 10 epochs; the defect initializes every weight N(0, 1) (about 20x the
    default scale of a 3x3x16 conv). Control: PyTorch's default initialization."""
    (xt, yt), (xv, yv) = _digit_images21(seed)
    torch.manual_seed(seed)
    model = _DigitCNN21()
    if defect:
        for mod in model.modules():
            if isinstance(mod, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(mod.weight, 0.0, 1.0)
    return _fit21(model, _loader21(xt, yt, 64, seed), _loader21(xv, yv, 360, shuffle=False), epochs=10,
                  optimizer="adam", lr=1e-3, seed=seed, num_classes=10)


def _train_init_small_blobs21(defect=True, seed=572):
    """Count Gaussian blobs (1-4) in 12x12 images with the 4-conv CNN, SGD momentum 0.9, LR 0.01 with cosine
    decay, 10 epochs;
    the defect initializes every weight N(0, 0.01) and the biases 0 (the default scale is 0.03-0.19).
    Control: PyTorch's default initialization."""
    xt, yt = _blobs21(2000, seed)
    xv, yv = _blobs21(500, seed + 10_000)
    xt, xv = _standardize21(xt, xv)
    torch.manual_seed(seed)
    model = _DigitCNN21(classes=4, size=12)
    if defect:
        for mod in model.modules():
            if isinstance(mod, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(mod.weight, 0.0, 0.01)
                nn.init.zeros_(mod.bias)
    return _fit21(model, _loader21(xt, yt, 64, seed), _loader21(xv, yv, 500, shuffle=False), epochs=10,
                  optimizer="momentum", lr=0.01, schedule="cosine", seed=seed, num_classes=4)


def _train_dead_relu_digits21(defect=True, seed=573):
    """The 4-conv CNN on digits, Adam 1e-3, 10 epochs; the defect sets the bias of 3/4 of the units of every conv
    layer and of the hidden linear layer to -5 (a botched bias init): those ReLUs never fire again.
    Control: default initialization."""
    (xt, yt), (xv, yv) = _digit_images21(seed)
    torch.manual_seed(seed)
    model = _DigitCNN21()
    if defect:
        gen = torch.Generator().manual_seed(seed)
        for mod in model.modules():
            if isinstance(mod, nn.Conv2d) or (isinstance(mod, nn.Linear) and mod.out_features == 64):
                rows = torch.randperm(mod.bias.numel(), generator=gen)[:3 * mod.bias.numel() // 4]
                with torch.no_grad():
                    mod.bias[rows] = -5.0
    return _fit21(model, _loader21(xt, yt, 64, seed), _loader21(xv, yv, 360, shuffle=False), epochs=10,
                  optimizer="adam", lr=1e-3, seed=seed, num_classes=10)


def _train_saturated_tanh_signals21(defect=True, seed=574):
    """A tanh 1-D CNN classifying the frequency band of noisy sines recorded in raw units (amplitude ~30, noise
    std 15), Adam 1e-3, 12 epochs; the defect feeds the raw signals. Control: the same signals standardized
    with the training set's mean and std."""
    xt, yt = _sine_classes21(1500, seed, noise=0.5, amp=5.0, offset=100.0)
    xv, yv = _sine_classes21(500, seed + 10_000, noise=0.5, amp=5.0, offset=100.0)
    if not defect:
        xt, xv = _standardize21(xt, xv)
    torch.manual_seed(seed)
    model = _conv1d_net21(act=nn.Tanh)
    return _fit21(model, _loader21(xt, yt, 64, seed), _loader21(xv, yv, 500, shuffle=False), epochs=12,
                  optimizer="adam", lr=1e-3, seed=seed, num_classes=4)


def _train_transposed_val_digits21(defect=True, seed=575):
    """A GroupNorm ResNet on digits, AdamW 2e-3 with cosine decay, 8 epochs; the defect: the validation images
    went through a loader that swaps height and width (transposed digits). Control: validation images as is."""
    (xt, yt), (xv, yv) = _digit_images21(seed)
    if defect:
        xv = xv.transpose(2, 3).contiguous()
    torch.manual_seed(seed)
    model = _ResNet21(c=16, norm="gn")
    return _fit21(model, _loader21(xt, yt, 64, seed), _loader21(xv, yv, 360, shuffle=False), epochs=8,
                  optimizer="adamw", lr=2e-3, schedule="cosine", seed=seed, num_classes=10)


class _SeqRegressor21(nn.Module):
    """An LSTM/GRU/RNN over (batch, time, features) with a linear head on the last state: one value per sequence."""

    def __init__(self, cell="lstm", in_dim=1, hidden=32, out=1, **kwargs):
        super().__init__()
        self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](in_dim, hidden, batch_first=True, **kwargs)
        self.head = nn.Linear(hidden, out)
        self.out = out

    def forward(self, x):
        h, _ = self.rnn(x)
        y = self.head(h[:, -1])
        return y.squeeze(1) if self.out == 1 else y


def _train_clean_val_forecast21(defect=True, seed=576):
    """An LSTM forecasting the next value of noisy two-sine windows (noise std 0.5), Adam 3e-3 with cosine decay,
    12 epochs, hand-written loop; the defect: the validation windows come from a cleaner recording (noise std
    0.05). Control: validation windows with the training noise level."""
    xt, yt = _forecast21(2000, seed, noise=0.5)
    xv, yv = _forecast21(500, seed + 10_000, noise=0.05 if defect else 0.5)
    torch.manual_seed(seed)
    model = _SeqRegressor21("lstm", hidden=32)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    epochs, per_epoch = 12, math.ceil(len(xt) / 64)
    return _hand_loop21(model, opt, _batches21(xt, yt, 64, seed), xv, yv, epochs=epochs, loss_fn=F.mse_loss,
                        lr_at=schedules.cosine(3e-3, total_steps=epochs * per_epoch), task="regression",
                        train_y=yt)


def _train_plateau_digits21(defect=True, seed=577):
    """The 4-conv CNN on digits, Adam 5e-3, batch 64, 20 epochs at a constant LR: the training loss stops
    improving after ~6 epochs and hovers. Control: the same run with the LR divided by 10 after epoch 10."""
    (xt, yt), (xv, yv) = _digit_images21(seed)
    torch.manual_seed(seed)
    model = _DigitCNN21()
    per_epoch = math.ceil(len(xt) / 64)
    schedule = None if defect else schedules.multistep(5e-3, milestones=[10 * per_epoch], factor=0.1)
    return _fit21(model, _loader21(xt, yt, 64, seed), _loader21(xv, yv, 360, shuffle=False), epochs=20,
                  optimizer="adam", lr=5e-3, schedule=schedule, seed=seed, num_classes=10)


def _train_exploding_rnn21(defect=True, seed=578, clip=None):
    """A vanilla tanh RNN (32 units) forecasting the next value of noisy two-sine windows of 50 steps, SGD with
    momentum 0.9, LR 0.02, no gradient clipping, 12 epochs, hand-written loop; the defect scales the recurrent
    weight matrix by 4 (spectral radius 0.64 -> 2.6). Control: the default recurrent initialization.
    ``clip`` (an extra control) clips the gradient norm."""
    xt, yt = _forecast21(2000, seed, noise=0.1, length=50)
    xv, yv = _forecast21(500, seed + 10_000, noise=0.1, length=50)
    torch.manual_seed(seed)
    model = _SeqRegressor21("rnn", hidden=32, nonlinearity="tanh")
    if defect:
        with torch.no_grad():
            model.rnn.weight_hh_l0.mul_(4.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    return _hand_loop21(model, opt, _batches21(xt, yt, 64, seed), xv, yv, epochs=12, loss_fn=F.mse_loss,
                        task="regression", train_y=yt, clip=clip)


# ---------------------------------------------------------------------------------------------- healthy runs


def _train_healthy_resnet_digits21(defect=True, seed=579):
    """Healthy: a BatchNorm ResNet on digits, SGD momentum 0.9, LR 0.05 with cosine decay, weight decay 5e-4,
    12 epochs. Control (``defect=False``): the same for 24 epochs."""
    (xt, yt), (xv, yv) = _digit_images21(seed)
    torch.manual_seed(seed)
    model = _ResNet21(c=16)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    return _fit21(model, _loader21(xt, yt, 64, seed), _loader21(xv, yv, 360, shuffle=False),
                  epochs=12 if defect else 24, optimizer=opt, lr=0.05, schedule="cosine", seed=seed, num_classes=10)


def _train_healthy_bars_onecycle21(defect=True, seed=580):
    """Healthy: bar orientation (4 classes, 12x12, on pixel noise, standardized) with the 4-conv CNN in He
    initialization, SGD with the one-cycle policy (LR peak 0.05, momentum cycled 0.95-0.85), weight decay 1e-3, 14 epochs.
    Control: the same for 28 epochs."""
    xt, yt = _bars21(2000, seed)
    xv, yv = _bars21(500, seed + 10_000)
    xt, xv = _standardize21(xt, xv)
    torch.manual_seed(seed)
    model = _DigitCNN21(classes=4, size=12)
    for mod in model.modules():  # He init for the layers followed by a ReLU
        if isinstance(mod, nn.Conv2d) or (isinstance(mod, nn.Linear) and mod.out_features == 64):
            _kaiming21(mod)
    epochs = 14 if defect else 28
    policy = schedules.one_cycle_policy(0.05, total_steps=epochs * math.ceil(len(xt) / 64))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    return _fit21(model, _loader21(xt, yt, 64, seed), _loader21(xv, yv, 500, shuffle=False),
                  epochs=epochs, optimizer=opt, lr=0.05, schedule=policy, seed=seed, num_classes=4)


def _train_healthy_gru_vote21(defect=True, seed=581):
    """Healthy: a GRU (32 units) reading 20-bit sequences, classifying whether most of bits 4-8 are ones (a
    memory task: 11 more bits follow); Adam 1e-2 with cosine decay, 14 epochs, hand-written loop.
    Control: the same for 28 epochs."""
    xt, yt = _window_vote21(3000, seed)
    xv, yv = _window_vote21(1000, seed + 10_000)
    torch.manual_seed(seed)
    model = _SeqRegressor21("gru", hidden=32, out=2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    epochs = 14 if defect else 28
    lr_at = schedules.cosine(1e-2, total_steps=epochs * math.ceil(len(xt) / 64))
    return _hand_loop21(model, opt, _batches21(xt, yt, 64, seed), xv, yv, epochs=epochs, loss_fn=F.cross_entropy,
                        metric=_accuracy, num_classes=2, lr_at=lr_at, train_y=yt)


def _train_healthy_transformer_bigram21(defect=True, seed=582):
    """Healthy: a 2-layer transformer encoder (CLS token, learned positions, padding mask) detecting token 3
    immediately followed by token 5 in variable-length token sequences (8-20 tokens, 0 = padding); AdamW 5e-3
    (weight decay 0.01), one epoch of linear warmup then cosine decay, 10 epochs, hand-written loop.
    Control: the same for 20 epochs."""
    xt, yt = _motif21(4000, seed, motif=(3, 5))
    xv, yv = _motif21(500, seed + 10_000, motif=(3, 5))
    torch.manual_seed(seed)
    model = _TokenTransformer21()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.01)
    epochs, per_epoch = (10 if defect else 20), math.ceil(len(xt) / 64)
    lr_at = schedules.cosine(5e-3, total_steps=epochs * per_epoch, warmup_steps=per_epoch)
    return _hand_loop21(model, opt, _batches21(xt, yt, 64, seed), xv, yv, epochs=epochs, loss_fn=F.cross_entropy,
                        metric=_accuracy, num_classes=2, lr_at=lr_at, train_y=yt)


class _Forecaster1d21(nn.Module):
    """1-D CNN forecaster: conv-relu, two strided conv-relu, flatten, linear -> one value."""

    def __init__(self, length=40, c=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(1, c, 5, padding=2), nn.ReLU(), nn.Conv1d(c, c, 5, padding=2, stride=2), nn.ReLU(),
            nn.Conv1d(c, c, 5, padding=2, stride=2), nn.ReLU(), nn.Flatten(), nn.Linear(c * (length // 4), 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


def _train_healthy_noisy_forecast21(defect=True, seed=583):
    """Healthy, noisy targets: a 1-D CNN (16 channels) forecasting the next value of two-sine windows buried in
    heavy noise (noise std 0.8 on a signal of std ~0.8; the inputs are as noisy as the target), 6,000 windows,
    AdamW 2e-3 (weight decay 0.1) with cosine decay, 8 epochs: the loss stays high (the noise variance alone is
    0.64). Control: the same for 16 epochs."""
    xt, yt = _forecast21(6000, seed, noise=0.8)
    xv, yv = _forecast21(1000, seed + 10_000, noise=0.8)
    xt, xv = xt.transpose(1, 2), xv.transpose(1, 2)
    torch.manual_seed(seed)
    model = _Forecaster1d21(c=16)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.1)
    return _fit21(model, _loader21(xt, yt, 64, seed), _loader21(xv, yv, 1000, shuffle=False),
                  epochs=8 if defect else 16, optimizer=opt, lr=2e-3, schedule="cosine", seed=seed,
                  task="regression")


def _noisy_labels21(y, frac, classes, seed):
    """Replace a fraction ``frac`` of the labels by a uniformly drawn class (possibly the same one)."""
    gen = torch.Generator().manual_seed(seed)
    flip = torch.rand(len(y), generator=gen) < frac
    return torch.where(flip, torch.randint(0, classes, (len(y),), generator=gen), y)


class _SmallDigitCNN21(nn.Module):
    """conv(16)-relu-maxpool-conv(32)-relu-maxpool-dropout-flatten-linear."""

    def __init__(self, classes=10, c=16, dropout=0.3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(dropout), nn.Linear(2 * c * 4, classes))

    def forward(self, x):
        return self.net(x)


def _train_healthy_label_noise_digits21(defect=True, seed=584):
    """Healthy, noisy labels: digits where 40% of the labels (training and validation alike) were replaced by a
    random class; a small CNN with dropout 0.3, AdamW 2e-3 (weight decay 0.05) with cosine decay, 20 epochs. The
    best achievable cross-entropy is about 1.45 (ln 10 = 2.30). Control: the same for 40 epochs."""
    (xt, yt), (xv, yv) = _digit_images21(seed)
    yt, yv = _noisy_labels21(yt, 0.4, 10, seed), _noisy_labels21(yv, 0.4, 10, seed + 1)
    torch.manual_seed(seed)
    model = _SmallDigitCNN21()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
    return _fit21(model, _loader21(xt, yt, 64, seed), _loader21(xv, yv, 360, shuffle=False),
                  epochs=20 if defect else 40, optimizer=opt, lr=2e-3, schedule="cosine", seed=seed, num_classes=10)


def _train_healthy_lstm_adding21(defect=True, seed=585):
    """Healthy: an LSTM (32 units) on the adding problem (sequences of 15 (value, marker) pairs; the target is the
    sum of the two marked values), the output bias started at the mean target, RMSprop 5e-3 with 100 warmup steps
    and cosine decay, 15 epochs, hand-written loop.
    Control: the same for 30 epochs."""
    xt, yt = _adding21(6000, seed, length=15)
    xv, yv = _adding21(1000, seed + 10_000, length=15)
    torch.manual_seed(seed)
    model = _SeqRegressor21("lstm", in_dim=2, hidden=32)
    with torch.no_grad():  # start the output at the mean target (about 1.0) rather than at 0
        model.head.bias.fill_(float(yt.mean()))
    opt = torch.optim.RMSprop(model.parameters(), lr=5e-3)
    epochs = 15 if defect else 30
    lr_at = schedules.cosine(5e-3, total_steps=epochs * math.ceil(len(xt) / 64), warmup_steps=100)
    return _hand_loop21(model, opt, _batches21(xt, yt, 64, seed), xv, yv, epochs=epochs, loss_fn=F.mse_loss,
                        task="regression", lr_at=lr_at, train_y=yt)


def _flip_aug21(x, gen):
    """Random horizontal and vertical flips (label-preserving for blob counts)."""
    n = len(x)
    h = torch.rand(n, generator=gen) < 0.5
    v = torch.rand(n, generator=gen) < 0.5
    x = torch.where(h[:, None, None, None], x.flip(3), x)
    return torch.where(v[:, None, None, None], x.flip(2), x)


def _train_healthy_gn_resnet_blobs21(defect=True, seed=586):
    """Healthy: count Gaussian blobs (1-4) in 12x12 images with a GroupNorm ResNet, random flips, SGD momentum 0.9
    at LR 0.05 with cosine decay and weight decay 5e-4, 16 epochs. Control: the same for 32 epochs."""
    xt, yt = _blobs21(2500, seed)
    xv, yv = _blobs21(500, seed + 10_000)
    xt, xv = _standardize21(xt, xv)
    torch.manual_seed(seed)
    model = _ResNet21(c=16, classes=4, norm="gn")
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    epochs = 16 if defect else 32
    return _fit21(model, _loader21(xt, yt, 64, seed, aug=_flip_aug21), _loader21(xv, yv, 500, shuffle=False),
                  epochs=epochs, optimizer=opt, lr=0.05, schedule="cosine", seed=seed, num_classes=4)


class _ReverseTransformer21(nn.Module):
    """Token embedding + learned positions, a pre-norm nn.TransformerEncoder, a linear read-out per position;
    returns (batch, vocab, length) logits for ``F.cross_entropy`` against (batch, length) targets."""

    def __init__(self, vocab=10, d=48, heads=4, layers=2, length=8, dropout=0.0):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, length, d))
        layer = nn.TransformerEncoderLayer(d, heads, 2 * d, dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, vocab)

    def forward(self, tokens):
        h = self.encoder(self.embed(tokens) + self.pos[:, :tokens.shape[1]])
        return self.out(self.norm(h)).transpose(1, 2)


def _reverse21(n, seed, length=8, vocab=10):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab, (n, length))
    return torch.tensor(x), torch.tensor(x[:, ::-1].copy())


def _train_healthy_transformer_reverse21(defect=True, seed=587):
    """Healthy: a 2-layer transformer encoder reversing sequences of 8 tokens (per-position softmax over 10
    tokens), Adam 3e-3 with 100 warmup steps then cosine decay, 10 epochs. Control: the same for 20 epochs."""
    xt, yt = _reverse21(3000, seed)
    xv, yv = _reverse21(500, seed + 10_000)
    torch.manual_seed(seed)
    model = _ReverseTransformer21()
    epochs = 10 if defect else 20
    schedule = schedules.cosine(3e-3, total_steps=epochs * math.ceil(len(xt) / 64), warmup_steps=100)
    return _fit21(model, _loader21(xt, yt, 64, seed), _loader21(xv, yv, 500, shuffle=False), epochs=epochs,
                  optimizer="adam", lr=3e-3, schedule=schedule, seed=seed, num_classes=10)


def _signal_flip_aug21(x, gen):
    """Random sign flips and time reversals of 1-D signals (both leave a random-phase sine a random-phase sine)."""
    n = len(x)
    sign = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)[:, None, None]
    rev = torch.rand(n, generator=gen) < 0.5
    return torch.where(rev[:, None, None], x.flip(2), x) * sign


class _RegConv1d21(nn.Module):
    """The 1-D CNN with dropout before the linear head."""

    def __init__(self, classes=4, c=16, dropout=0.3):
        super().__init__()
        self.features = _conv1d_net21(classes, c)[:-1]
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(2 * c, classes)

    def forward(self, x):
        return self.head(self.drop(self.features(x)))


def _train_healthy_small_signals21(defect=True, seed=588, n_train=160):
    """Healthy, small data done right: 160 noisy sine signals (4 frequency bands), a 1-D CNN with dropout 0.1,
    AdamW 3e-3 with weight decay 0.05 and cosine decay, random sign flips and time reversals, batch 32,
    160 epochs (800 updates). Control: the same for 320 epochs (``n_train`` changes the training set size)."""
    xt, yt = _sine_classes21(n_train, seed, noise=1.0)
    xv, yv = _sine_classes21(1000, seed + 10_000, noise=1.0)
    torch.manual_seed(seed)
    model = _RegConv1d21(dropout=0.1)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
    return _fit21(model, _loader21(xt, yt, 32, seed, aug=_signal_flip_aug21), _loader21(xv, yv, 1000, shuffle=False),
                  epochs=160 if defect else 320, optimizer=opt, lr=3e-3, schedule="cosine", seed=seed, num_classes=4)


# ----------------------------------------------------------------------------------------------------------
# the round
# ----------------------------------------------------------------------------------------------------------

HELD_OUT_21: list[Case] = [
    _case21("lr_x100_resnet_digits_s565",
            "BatchNorm ResNet on 8x8 digits, SGD momentum 0.9 at LR 5.0 (100x the healthy 0.05): the loss jumps "
            "around chance level, validation loss up to 3,000, weights grow 20-90x.",
            "lr_too_high", _train_lr_x100_resnet21, acceptable=["dead_relu"]),
    _case21("lr_x1000th_transformer_bigram_s566",
            "Transformer encoder (CLS token, padding mask) detecting a token bigram, AdamW at LR 1e-6 (1/1000 of "
            "the healthy 1e-3), hand-written loop: the loss creeps down linearly, update/weight ratios ~1e-5.",
            "lr_too_low", _train_lr_x1000th_transformer21, acceptable=["underfitting"]),
    _case21("batch2_conv1d_sine_bands_s567",
            "1-D CNN classifying noisy sine frequency bands with batches of 2 signals (Adam 5e-3, hand-written "
            "loop): the step losses jitter wildly and the validation loss jumps from epoch to epoch.",
            "batch_too_small", _train_batch2_conv1d21),
    _case21("overfit_wide_cnn_60_digits_s568",
            "Wide CNN (~0.6M weights) trained 80 epochs on 60 digit images with no regularization: the training "
            "loss goes to 3e-4 while the validation loss turns up after epoch ~10.",
            "overfitting", _train_overfit_tiny_digits21),
    _case21("gru2_row_digits_s569",
            "Digits read row by row by a GRU of 2 units (hand-written loop, cosine-decayed Adam): training and "
            "validation loss both stall near 1.89 (chance 2.30), 34% accuracy.",
            "underfitting", _train_gru2_row_digits21),
    _case21("deep_sigmoid_cnn_bars_s570",
            "8-layer sigmoid CNN on bar orientation, SGD momentum: the gradient of the first conv is 1e-8 of the "
            "last one's, and the loss never leaves ln 4.",
            "vanishing_gradients", _train_deep_sigmoid_bars21, acceptable=["underfitting"]),
    _case21("init_std1_cnn_digits_s571",
            "4-conv CNN on digits with every weight drawn N(0, 1): activations grow ~10x per layer, the first "
            "loss is 5.7e5 instead of ln 10.",
            "bad_initialization", _train_init_large_digits21, acceptable=["exploding_gradients", "underfitting"]),
    _case21("init_std001_cnn_blobs_s572",
            "4-conv CNN counting blobs with every weight drawn N(0, 0.01): activations shrink ~8x per layer, the "
            "logits are ~1e-6 and the loss stays at ln 4 for the whole run.",
            "bad_initialization", _train_init_small_blobs21, acceptable=["underfitting", "dead_relu"]),
    _case21("dead_relu_bias_minus5_cnn_digits_s573",
            "4-conv CNN on digits where 3/4 of the units of every conv and hidden layer start with bias -5: those "
            "ReLUs output 0 for every input for the whole run.",
            "dead_relu", _train_dead_relu_digits21, acceptable=["underfitting"]),
    _case21("tanh_conv1d_raw_signals_s574",
            "Tanh 1-D CNN fed unnormalized sensor signals (offset 100, amplitude 5): over 90% of the first tanh "
            "layer's outputs are at +-1 and learning crawls.",
            "saturated_activations", _train_saturated_tanh_signals21,
            acceptable=["underfitting", "exploding_gradients"]),
    _case21("transposed_val_digits_gn_resnet_s575",
            "GroupNorm ResNet on digits whose validation images were transposed by the loader: validation stays "
            "at chance (loss rising) while training converges.",
            "unrepresentative_validation", _train_transposed_val_digits21, acceptable=["overfitting"]),
    _case21("clean_val_lstm_forecast_s576",
            "LSTM next-value forecaster trained on noisy windows (noise std 0.5) but validated on a cleaner "
            "recording (noise std 0.05): the validation loss is a third of the training loss.",
            "unrepresentative_validation", _train_clean_val_forecast21),
    _case21("plateau_constant_lr_cnn_digits_s577",
            "4-conv CNN on digits with Adam at a constant 5e-3 for 20 epochs: the loss stops improving after ~6 "
            "epochs and hovers; dividing the LR by 10 at epoch 10 takes it ~45x lower.",
            "plateau", _train_plateau_digits21, acceptable=["lr_too_high"]),
    _case21("exploding_rnn_recurrent_x4_s578",
            "Vanilla tanh RNN forecaster with the recurrent matrix scaled by 4 and no clipping (hand-written "
            "loop): gradient norms of 924 and 339 against a median of 1.3, the weights blow up and the loss "
            "stays 2.5-3x the control's.",
            "exploding_gradients", _train_exploding_rnn21, acceptable=["bad_initialization"]),
    _case21("healthy_bn_resnet_digits_sgd_cosine_s579",
            "Healthy: BatchNorm ResNet on digits, SGD momentum with cosine decay and weight decay; 99.7% "
            "validation accuracy.",
            None, _train_healthy_resnet_digits21),
    _case21("healthy_cnn_bars_onecycle_s580",
            "Healthy: 4-conv CNN (He init) on bar orientation with the one-cycle policy and weight decay; "
            "99.6% validation accuracy.",
            None, _train_healthy_bars_onecycle21),
    _case21("healthy_gru_window_vote_s581",
            "Healthy: GRU remembering a vote over 5 early bits of a 20-bit sequence, cosine-decayed Adam, "
            "hand-written loop; solved (loss 8e-4).",
            None, _train_healthy_gru_vote21),
    _case21("healthy_transformer_bigram_mask_s582",
            "Healthy: transformer encoder with CLS token and padding mask detecting a token bigram in "
            "variable-length sequences, AdamW with warmup and cosine decay, hand-written loop; 100% accuracy.",
            None, _train_healthy_transformer_bigram21),
    _case21("healthy_noisy_conv1d_forecast_s583",
            "Healthy, noisy: 1-D CNN forecasting a two-sine signal buried in noise as strong as the signal; the "
            "validation MSE (0.93 against 1.26 for a constant) is as low as a longer or bigger run gets.",
            None, _train_healthy_noisy_forecast21),
    _case21("healthy_label_noise_digits_s584",
            "Healthy, noisy: digits with 40% random labels, a small CNN with dropout and weight decay; the "
            "validation loss 1.47 is near the best achievable ~1.45.",
            None, _train_healthy_label_noise_digits21),
    _case21("healthy_lstm_adding_rmsprop_s585",
            "Healthy: LSTM on the adding problem (15 steps), RMSprop with warmup and cosine decay, hand-written "
            "loop; MSE 2e-4 against 0.16 for a constant.",
            None, _train_healthy_lstm_adding21),
    _case21("healthy_gn_resnet_blobs_flips_s586",
            "Healthy: GroupNorm ResNet counting blobs with random flips, SGD momentum with cosine decay and weight "
            "decay; 99.6% accuracy.",
            None, _train_healthy_gn_resnet_blobs21),
    _case21("healthy_transformer_reverse_s587",
            "Healthy: transformer encoder reversing 8-token sequences, per-position softmax, Adam with warmup "
            "and cosine decay; solved.",
            None, _train_healthy_transformer_reverse21),
    _case21("healthy_small_data_signals_regularized_s588",
            "Healthy: 160 training signals, a small 1-D CNN with dropout, weight decay and sign/time-flip "
            "augmentation, cosine-decayed AdamW; 97% validation accuracy, no validation upturn.",
            None, _train_healthy_small_signals21),
]
CASES += HELD_OUT_21
