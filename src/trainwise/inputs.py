"""Are the validation inputs distributed like the training inputs? Running per-feature moments of what a model
is fed, and their comparison.

A validation set drawn from another distribution (shifted, wider, noisier inputs; another preprocessing) makes
every validation number misleading, and from the loss curves alone it looks like overfitting: validation first
improves, then worsens. The inputs say it directly. :class:`InputMoments` accumulates, per feature (each value
of a flattened sample), the count, sum and sum of squares of a model's first floating-point input;
:func:`compare_inputs` reduces two of them to two scale-free numbers:

* ``mean_shift``: the median over features of ``|mean_val - mean_train| / std_train`` (how many training
  standard deviations the validation inputs moved);
* ``spread_ratio``: the geometric median over features of ``std_val / std_train`` (how much wider or narrower).

Medians over features keep a few odd features (a near-constant pixel, a heavy tail) from deciding. The
standard errors that sampling alone would give (``1/n`` terms of both sets) come with them, so a reader can
tell a real shift from a small validation set's noise.

Medians miss a shift confined to a few features (a validation set drawn from one tail of one feature) or to how
features go together. :class:`InputRows` keeps the first rows of each side and :func:`classifier_auc` asks the
general question, the way "adversarial validation" does: can a classifier tell validation inputs from training
inputs? A logistic regression on the standardized features and their squares (so that a wider or narrower
spread is visible too), scored by cross-validation; its AUC is 0.5 when the two sets are alike.
:class:`~trainwise.monitor.Monitor` feeds the training inputs of its measured steps and the first validation pass
into these; ``trainwise.diagnose`` reads the result.

Token ids (an embedding model's input) are not features whose means could move. For them :class:`TokenCounts`
keeps, batch by batch, how often each id occurs, and :func:`compare_tokens` asks the question that fits: how many
of the validation tokens are ids the training inputs never showed — against the same rate for each training batch
measured against the other training batches, which is what sampling alone gives (rare words are new in any batch).

Torch and scipy have no running per-feature moments of a stream of batches: this is that, in float64. The
regression is a few lines of torch L-BFGS rather than scikit-learn's, whose import alone would add about a second
to every monitored run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from trainwise.batches import tensors_in

__all__ = ["InputMoments", "InputRows", "TokenCounts", "classifier_auc", "compare_inputs", "compare_tokens",
           "first_float_tensor", "first_integer_tensor", "MAX_FEATURES"]

MAX_FEATURES = 4096
"""Samples with more values than this (images, long sequences) are read at every k-th value: the moments of
4096 evenly spread positions describe the distribution as well and keep the cost flat."""


class _Samples:
    """What both accumulators share: a batch flattened to ``[samples, values]`` (floating point, non-empty), and
    batches of another width than the first left out and counted in ``skipped`` (variable-length inputs: positions
    would not line up)."""

    def __init__(self) -> None:
        self._width: int | None = None  # values per sample before striding
        self.skipped = 0

    @property
    def width(self) -> int | None:
        """Values per sample (before striding); ``None`` before the first batch."""
        return self._width

    def _flat(self, batch: Any) -> torch.Tensor | None:
        if not isinstance(batch, torch.Tensor) or not batch.is_floating_point() or batch.dim() < 1 or not len(batch):
            return None
        flat = batch.detach().reshape(batch.shape[0], -1)
        if self._width is None:
            self._width = flat.shape[1]
        elif flat.shape[1] != self._width:
            self.skipped += 1
            return None
        return flat


class InputMoments(_Samples):
    """Per-feature count, sum and sum of squares of the batches given to :meth:`add` (float64, on their device).

    >>> m = InputMoments()
    >>> m.add(torch.tensor([[1.0, 10.0], [3.0, 10.0]]))
    >>> m.count, m.mean().tolist(), m.std().tolist()
    (2, [2.0, 10.0], [1.0, 0.0])
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0  # samples
        self._sum: torch.Tensor | None = None
        self._squares: torch.Tensor | None = None
        self._finite: torch.Tensor | None = None  # per feature: how many values were finite (NaN/Inf left out)

    def add(self, batch: torch.Tensor) -> None:
        """Add a batch ``[samples, ...]`` of floating-point inputs (anything else is ignored)."""
        flat = self._flat(batch)
        if flat is None:
            return
        stride = math.ceil(flat.shape[1] / MAX_FEATURES)
        values = flat[:, ::stride].double()
        total = values.sum(0)
        if bool(torch.isfinite(total).all()):  # no NaN or Inf reached a column's sum: every value is finite
            squares, counted = (values * values).sum(0), torch.full_like(total, values.shape[0])
        else:
            finite = torch.isfinite(values)
            values = torch.where(finite, values, 0.0)
            total, squares, counted = values.sum(0), (values * values).sum(0), finite.sum(0, dtype=torch.float64)
        if self._sum is None:
            self._sum, self._squares, self._finite = total, squares, counted
        else:
            self._sum += total
            self._squares += squares
            self._finite += counted
        self.count += flat.shape[0]

    def mean(self) -> np.ndarray:
        """Per-feature mean of the finite values (NaN for a feature that had none)."""
        if self._sum is None:
            return np.array([])
        return (self._sum / self._finite).cpu().numpy()

    def std(self) -> np.ndarray:
        """Per-feature (population) standard deviation of the finite values."""
        if self._squares is None:
            return np.array([])
        mean = self.mean()
        return np.sqrt(np.maximum((self._squares / self._finite).cpu().numpy() - mean * mean, 0.0))


class InputRows(_Samples):
    """The first ``capacity`` samples of the batches given to :meth:`add`, flattened (at most ``features`` evenly
    spaced values each) and kept as float32 on the CPU: what :func:`classifier_auc` reads.

    >>> r = InputRows(capacity=3)
    >>> r.add(torch.ones(2, 5)); r.add(torch.zeros(2, 5))
    >>> r.rows().shape
    (3, 5)
    """

    def __init__(self, capacity: int = 1024, features: int = 128) -> None:
        super().__init__()
        self.capacity, self.features = capacity, features
        self._parts: list[np.ndarray] = []
        self._count = 0

    def add(self, batch: torch.Tensor) -> None:
        flat = self._flat(batch) if self._count < self.capacity else None
        if flat is None:
            return
        flat = flat[: self.capacity - self._count, :: math.ceil(flat.shape[1] / self.features)]
        self._parts.append(flat.float().cpu().numpy())
        self._count += len(flat)

    def rows(self) -> np.ndarray:
        return np.concatenate(self._parts) if self._parts else np.zeros((0, 0), dtype=np.float32)


def classifier_auc(train: np.ndarray, val: np.ndarray, *, folds: int = 5, l2: float = 1e-2) -> tuple[float, float] | None:
    """Cross-validated AUC of a logistic regression telling ``val`` rows from ``train`` rows, and the AUC's
    standard error when the two are alike; ``None`` with fewer than 20 (finite) rows on a side or no varying
    feature.

    Features are standardized by the training rows (constant ones dropped, values clipped to +-10) and their
    squares added. Each side is cut to the size of the smaller one (balanced classes). Identical rows (a small
    training set seen epoch after epoch) stay in one fold, so the classifier cannot score rows it trained on.
    The regression is fitted by L-BFGS with an L2 penalty ``l2`` (per sample) in float64.

    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.standard_normal((400, 6)), rng.standard_normal((400, 6))
    >>> alike, _ = classifier_auc(a, b)
    >>> b[:, 0] = np.abs(b[:, 0]) + 0.5  # one feature of one tail
    >>> moved, noise = classifier_auc(a, b)
    >>> abs(alike - 0.5) < 4 * noise < 0.3 < moved - 0.5
    True
    """
    a, b = (np.asarray(rows, dtype=np.float64) for rows in (train, val))
    a, b = (rows[np.isfinite(rows).all(axis=1)] if rows.ndim == 2 else rows for rows in (a, b))  # NaN/Inf rows out
    n = min(len(a), len(b))
    if n < 20:
        return None
    a, b = a[:n], b[:n]
    mean, std = a.mean(0), a.std(0)
    varying = std > 1e-6 * max(float(std.max(initial=0.0)), 1e-30)
    if not varying.any():
        return None
    z = np.clip((np.concatenate([a, b])[:, varying] - mean[varying]) / std[varying], -10, 10)
    x = torch.from_numpy(np.concatenate([z, z * z - 1], axis=1))
    y = torch.cat([torch.zeros(n, dtype=torch.float64), torch.ones(n, dtype=torch.float64)])
    _, group = np.unique(np.concatenate([a, b]), axis=0, return_inverse=True)
    fold = np.asarray(group).ravel() % folds  # identical rows share a fold
    scores = np.empty(2 * n)
    for k in range(folds):
        held = fold == k
        if not held.any() or held.all():
            continue
        w = _logistic_fit(x[~held], y[~held], l2)
        scores[held] = (x[held] @ w[:-1] + w[-1]).numpy()
    auc = _auc(scores[:n], scores[n:])
    return auc, math.sqrt((2 * n + 1) / (12 * n * n))  # the Mann-Whitney AUC's standard error under no difference


def _logistic_fit(x: torch.Tensor, y: torch.Tensor, l2: float) -> torch.Tensor:
    w = torch.zeros(x.shape[1] + 1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=100, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        logits = x @ w[:-1] + w[-1]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y) + l2 * (w[:-1] ** 2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return w.detach()


def _auc(negative: np.ndarray, positive: np.ndarray) -> float:
    """P(a positive scores above a negative), ties counted half (the Mann-Whitney statistic, from average ranks)."""
    scores = np.concatenate([negative, positive])
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[np.asarray(inverse).ravel()]
    m, k = len(negative), len(positive)
    return float((ranks[m:].sum() - k * (k + 1) / 2) / (m * k))


def compare_inputs(
    train: InputMoments, val: InputMoments, train_rows: InputRows | None = None, val_rows: InputRows | None = None
) -> dict[str, Any] | None:
    """``mean_shift`` and ``spread_ratio`` of ``val`` against ``train`` (see the module docstring), with the
    standard error each would have from sampling alone, or ``None`` when either saw under 2 samples, their
    samples differ in width, or no feature varies in training. With the rows of both sides, also
    ``classifier_auc`` and its ``classifier_auc_noise`` (:func:`classifier_auc`; ``None`` when too few rows).

    >>> a, b = InputMoments(), InputMoments()
    >>> g = torch.Generator().manual_seed(0)
    >>> a.add(torch.randn(4000, 16, generator=g)); b.add(2 * torch.randn(4000, 16, generator=g) + 1)
    >>> r = compare_inputs(a, b)
    >>> round(r["mean_shift"], 1), round(r["spread_ratio"], 1), r["features"]
    (1.0, 2.0, 16)
    """
    if train.count < 2 or val.count < 2 or train.width != val.width:
        return None
    mean_t, std_t, mean_v, std_v = train.mean(), train.std(), val.mean(), val.std()
    # Constant features (blank pixels, padding) have no scale to measure a shift in.
    varying = np.isfinite(std_t) & (std_t > 1e-6 * max(float(np.nanmax(std_t, initial=0.0)), 1e-30))
    if not varying.any():
        return None
    shift = np.abs(mean_v[varying] - mean_t[varying]) / std_t[varying]
    log_spread = np.log(np.maximum(std_v[varying], 1e-12 * std_t[varying]) / std_t[varying])
    n_t, n_v = train.count, val.count
    auc = None
    if train_rows is not None and val_rows is not None and train_rows.width == val_rows.width:
        auc = classifier_auc(train_rows.rows(), val_rows.rows())
    return {
        "train_samples": n_t,
        "val_samples": n_v,
        "features": int(varying.sum()),
        "mean_shift": float(np.median(shift)),
        "spread_ratio": float(np.exp(np.median(log_spread))),
        # median |N(0, s^2)| = 0.674 s; a mean's error over std is sqrt(1/n), a log std's sqrt(1/(2n))
        "mean_shift_noise": 0.674 * math.sqrt(1 / n_t + 1 / n_v),
        "log_spread_noise": 0.674 * math.sqrt(0.5 / n_t + 0.5 / n_v),
        "classifier_auc": None if auc is None else auc[0],
        "classifier_auc_noise": None if auc is None else auc[1],
    }


class TokenCounts:
    """How often each id occurs in each batch given to :meth:`add` (integer tensors: token or category ids;
    negative ids, used for padding, are left out), for the first ``max_batches`` batches.

    >>> t = TokenCounts()
    >>> t.add(torch.tensor([[1, 2, 2], [3, -1, 1]])); t.add(torch.tensor([0.5]))  # floats are not ids
    >>> t.count, t.batches
    (5, 1)
    """

    def __init__(self, max_batches: int = 64) -> None:
        if isinstance(max_batches, bool) or not isinstance(max_batches, int) or max_batches < 1:
            raise ValueError(f"max_batches must be a positive int, got max_batches={max_batches!r}")
        self.max_batches = max_batches
        self._batches: list[tuple[torch.Tensor, torch.Tensor]] = []  # (ids, counts) per batch, on the CPU
        self.count = 0  # tokens

    @property
    def batches(self) -> int:
        return len(self._batches)

    def add(self, batch: Any) -> None:
        if (not isinstance(batch, torch.Tensor) or batch.is_floating_point() or batch.is_complex()
                or batch.dtype == torch.bool or not batch.numel() or len(self._batches) >= self.max_batches):  # fmt: skip
            return
        ids, counts = torch.unique(batch.detach().reshape(-1), return_counts=True)
        keep = ids >= 0
        if keep.any():
            self._batches.append((ids[keep].long().cpu(), counts[keep].cpu()))
            self.count += int(counts[keep].sum())


def compare_tokens(train: TokenCounts, val: TokenCounts) -> dict[str, Any] | None:
    """``val_unseen``: the share of the validation tokens whose id occurs in no training batch read;
    ``train_unseen``: the same share for each training batch against the other training batches, averaged (what
    sampling alone leaves unseen); ``unseen_noise``: the standard error of their difference. ``None`` with fewer
    than two training batches or no validation batch.

    >>> train, same, other = TokenCounts(), TokenCounts(), TokenCounts()
    >>> g = torch.Generator().manual_seed(0)
    >>> for _ in range(8): train.add(torch.randint(0, 50, (32, 24), generator=g))
    >>> same.add(torch.randint(0, 50, (64, 24), generator=g)); other.add(torch.randint(25, 75, (64, 24), generator=g))
    >>> compare_tokens(train, same)["val_unseen"], round(compare_tokens(train, other)["val_unseen"], 1)
    (0.0, 0.5)
    """
    if train.batches < 2 or not val.batches:
        return None
    ids = torch.cat([i for i, _ in train._batches])
    counts = torch.cat([c for _, c in train._batches]).double()
    known, where = torch.unique(ids, return_inverse=True)
    total = torch.zeros(len(known), dtype=torch.float64).index_add_(0, where, counts)
    own, start = [], 0
    for batch_ids, batch_counts in train._batches:  # leave one batch out: its ids that no other batch has
        end = start + len(batch_ids)
        alone = total[where[start:end]] == batch_counts.double()
        own.append(float(batch_counts[alone].sum() / batch_counts.sum()))
        start = end
    val_ids = torch.cat([i for i, _ in val._batches])
    val_counts = torch.cat([c for _, c in val._batches]).double()
    unseen = float(val_counts[~torch.isin(val_ids, known)].sum() / val_counts.sum())
    baseline, n = float(np.mean(own)), float(val_counts.sum())
    spread = float(np.std(own, ddof=1)) / math.sqrt(len(own))
    return {
        "train_batches": len(own),
        "ids_seen": len(known),
        "val_tokens": int(n),
        "val_unseen": unseen,
        "train_unseen": baseline,
        # tokens of a sequence are not independent draws, so the binomial error is a floor, not the truth; the
        # spread of the training batches' own rates carries the rest
        "unseen_noise": math.hypot(math.sqrt(max(unseen * (1 - unseen), 1 / n) / n), spread),
    }


def first_integer_tensor(args: Any, kwargs: Mapping[str, Any] | None = None) -> torch.Tensor | None:
    """The first integer tensor (not bool) among a call's arguments, searched like :func:`first_float_tensor`."""
    return next((t for t in tensors_in((args, kwargs or {})) if not t.is_floating_point() and not t.is_complex()
                 and t.dtype != torch.bool), None)  # fmt: skip


def first_float_tensor(args: Any, kwargs: Mapping[str, Any] | None = None) -> torch.Tensor | None:
    """The first floating-point tensor among a call's positional then keyword arguments (nested tuples,
    lists and dicts searched in order); ``None`` if there is none (token ids, say)."""
    return next((t for t in tensors_in((args, kwargs or {})) if t.is_floating_point()), None)
