"""Ways to read a learning rate off an LR range test curve: pure functions over ``(lrs, losses)``.

Every suggester has the same signature, ``(lrs: Sequence[float], losses: Sequence[float]) -> float | None``, and
is registered by name in :data:`SUGGESTERS`. :func:`~trainwise.lr_finder.find_lr` hands them the *smoothed* loss
(debiased exponential average), one point per learning rate, learning rates increasing.

Common rules, written once in :func:`_curve`:

* points whose loss is NaN or +-Inf, or whose learning rate is not > 0, are dropped (a curve is read on log lr);
* negative losses are fine: only differences and positions of the loss matter, never its sign;
* a suggester returns ``None`` rather than a made-up number when the curve gives no answer (too few points, a loss
  that never decreases); :func:`curve_note` says why in words;
* the inputs are never modified.

Methods (``x = ln(lr)``, ``y`` the loss):

``robust`` (the default, :data:`DEFAULT_METHOD`)
    Fit the curve again, robustly (running median, then a local-linear LOWESS fit on ``x``), take the descent from
    the plateau before the minimum down to the minimum, and find where the fit has done 10% and 90% of that drop
    (``x10``, ``x90``): the stretch where the loss falls steadily. Suggest ``x10 + 2/3 (x90 - x10)``, a point left
    of where the loss stops falling. ``None`` when the drop is smaller than ``min_drop`` (5%) of the loss scale or
    than 3x the curve's own noise.
``steepest``
    The steepest negative slope ``dy/dx``, each slope a least-squares line through a window of ``2h+1`` points
    (``h = max(1, n // 50)``). ``None`` if the curve never slopes down.
``min_div10``
    The learning rate of the lowest loss, divided by 10 (the lowest point sits next to divergence; a decade left
    of it still trains). ``None`` if the lowest loss is the first point.
``valley``
    The longest descending stretch: the longest strictly decreasing subsequence of the loss (it may step over
    bumps), and the point two thirds of the way along it in ``x``. ``None`` if that stretch has fewer than 2 points.
``edge``
    The learning rate just left of where the loss turns up (seeds 000/003: "the point where the loss stops
    falling"; Smith's upper bound of the range): on the robust fit of ``robust``, the last point before the fit
    rises above its lowest value so far by more than ``min_rise`` (1%) of its span plus 3x its noise. It reads a
    curve that hardly falls before it turns up, where ``robust`` has no descent to measure. ``None`` if the loss
    never turns up, or already within its first 5 points.

One more, outside the registry because it wants the raw curve of a test without sampling noise (``fit(lr="auto")``
reads it on its fixed-batch losses, beside ``robust`` and ``valley``, and takes the middle of the three):

``first_rise``
    The lowest point before the loss first climbs back by more than 10% of its fall so far (counted once it has
    fallen 10% of its whole fall): where a clean descent ends, point by point.

>>> import math
>>> lrs = [10 ** (-6 + 6 * i / 100) for i in range(101)]
>>> losses = [2 - math.tanh(math.log10(lr) + 3) + max(0.0, math.log10(lr) + 1) ** 2 for lr in lrs]
>>> f"{steepest(lrs, losses):.3g}"
'0.001'
>>> sorted(SUGGESTERS)
['edge', 'min_div10', 'robust', 'steepest', 'valley']
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DEFAULT_METHOD",
    "SUGGESTERS",
    "Suggester",
    "curve_note",
    "descent_range",
    "edge",
    "first_rise",
    "min_div10",
    "robust",
    "steepest",
    "suggest",
    "valley",
]

Suggester = Callable[[Sequence[float], Sequence[float]], "float | None"]

MIN_POINTS = 5  # fewer points than this is not a curve


def _curve(lrs: Sequence[float], losses: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(lr, x = ln lr, y = loss)`` as float arrays, without non-finite losses and without lr <= 0."""
    lr = np.asarray(lrs, dtype=float).ravel()
    y = np.asarray(losses, dtype=float).ravel()
    if lr.shape != y.shape:
        raise ValueError(f"lrs and losses must have the same length, got {lr.size} lrs and {y.size} losses")
    keep = np.isfinite(y) & np.isfinite(lr) & (lr > 0)
    lr, y = lr[keep], y[keep]
    if lr.size > 1 and np.any(np.diff(lr) <= 0):
        raise ValueError("lrs must be strictly increasing")
    return lr, np.log(lr), y


def _odd(k: int) -> int:
    return k if k % 2 else k + 1


def _running_median(y: np.ndarray, width: int) -> np.ndarray:
    """Median over ``width`` points centred on each point (windows shrink at the ends): removes isolated spikes."""
    n, h = y.size, width // 2
    idx = np.clip(np.arange(n)[:, None] + np.arange(-h, h + 1)[None, :], 0, n - 1)
    return np.median(y[idx], axis=1)


def _lowess(x: np.ndarray, y: np.ndarray, span: int) -> np.ndarray:
    """Local-linear regression: at each ``x_i`` a line through the ``span`` nearest points (by index), weighted by
    the tricube of the distance to ``x_i`` (the smoother of Cleveland's LOWESS, without its reweighting passes:
    the running median before it already took the outliers out, and reweighting would also flatten the real
    blow-up at the end of the sweep)."""
    n = x.size
    k = min(n, max(3, span))
    start = np.clip(np.arange(n) - k // 2, 0, n - k)
    idx = start[:, None] + np.arange(k)[None, :]
    xw, yw = x[idx], y[idx]
    d = np.abs(xw - x[:, None])
    h = d.max(axis=1, keepdims=True) * 1.0001 + 1e-300
    w = (1 - np.clip(d / h, 0, 1) ** 3) ** 3
    sw = w.sum(axis=1)
    mx = (w * xw).sum(axis=1) / sw
    my = (w * yw).sum(axis=1) / sw
    sxx = (w * (xw - mx[:, None]) ** 2).sum(axis=1)
    sxy = (w * (xw - mx[:, None]) * (yw - my[:, None])).sum(axis=1)
    slope = np.divide(sxy, sxx, out=np.zeros(n), where=sxx > 0)
    return my + slope * (x - mx)


def _robust_fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    n = y.size
    med = _running_median(y, _odd(max(3, n // 20)))
    return _lowess(x, med, span=max(7, int(round(0.15 * n))))


@dataclass(frozen=True)
class _Descent:
    """Where the robustly fitted loss falls: ``x10``/``x90`` = 10% / 90% of the drop done, ``x_min`` = its lowest."""

    x10: float
    x90: float
    x_min: float
    falling_at_end: bool
    falling_at_start: bool


def _crossing(x: np.ndarray, fit: np.ndarray, lo: int, hi: int, level: float) -> float:
    """First ``x`` in ``(x[lo], x[hi]]`` where ``fit`` comes down to ``level`` (linear interpolation)."""
    j = lo + 1 + int(np.argmax(fit[lo + 1 : hi + 1] <= level))
    y0, y1 = fit[j - 1], fit[j]
    t = 1.0 if y0 == y1 else float(np.clip((y0 - level) / (y0 - y1), 0.0, 1.0))
    return float(x[j - 1] + t * (x[j] - x[j - 1]))


def _plateau_level(fit: np.ndarray, i_min: int, window: int) -> float:
    """The level the loss falls from on its way to ``fit[i_min]``: walking left from the minimum, the running maximum
    of ``fit`` until it stops rising (grows by less than 5% of the climb over the next ``window`` points).

    Stopping at the first plateau, rather than taking the highest point, keeps an early bump out of the descent:
    a spike in the first batches is averaged into many early points of the debiased moving average.
    """
    low = float(fit[i_min])
    climb = np.maximum.accumulate(fit[i_min::-1]) - low  # climb[k]: highest point within k steps left of the min
    for k in range(climb.size - window):
        if climb[k] > 0 and climb[k + window] - climb[k] <= 0.05 * climb[k]:
            return low + float(climb[k])
    return low + float(climb[-1])


def _descent(x: np.ndarray, y: np.ndarray, min_drop: float) -> _Descent | str:
    """The descent of the curve, or a sentence saying why there is none."""
    n = y.size
    if n < MIN_POINTS:
        return f"only {n} usable point(s) on the curve (need {MIN_POINTS})"
    fit = _robust_fit(x, y)
    i_min = int(np.argmin(fit))
    if i_min == 0:
        return f"the loss never decreased (lowest at the first learning rate, {np.exp(x[0]):.3g})"
    top = _plateau_level(fit, i_min, window=max(3, n // 10))
    low = float(fit[i_min])
    drop = top - low
    scale = max(abs(top), abs(low))
    noise = 1.4826 * float(np.median(np.abs(y - fit)))
    if drop <= min_drop * scale or drop <= 3 * noise:
        return (
            f"the loss never clearly decreased: it fell by {drop:.3g} (from {top:.4g} to {low:.4g}), less than "
            f"{min_drop:.0%} of its size or 3x its noise ({noise:.2g})"
        )
    # The descent starts at the last point before the minimum still at the plateau level.
    i_top = int(np.flatnonzero(fit[: i_min + 1] >= top)[-1])
    return _Descent(
        x10=_crossing(x, fit, i_top, i_min, top - 0.1 * drop),
        x90=_crossing(x, fit, i_top, i_min, top - 0.9 * drop),
        x_min=float(x[i_min]),
        falling_at_end=i_min >= n - max(2, n // 20),
        falling_at_start=i_top == 0 and fit[min(n - 1, max(1, n // 20))] < top - 0.1 * drop,
    )


def robust(lrs: Sequence[float], losses: Sequence[float], *, min_drop: float = 0.05) -> float | None:
    """The default suggestion: two thirds of the way through the steady descent, left of where the loss stops falling.

    The curve is fitted again robustly (running median over ``n/20`` points, then LOWESS over 15% of the points),
    so isolated spikes and noise do not move the answer much. ``top`` is the plateau the loss falls from: walking
    left from the fitted minimum, the highest point until the fit stops rising (by less than 5% of the climb over
    the next ``n/10`` points); ``drop = top - min``. ``x10`` and ``x90`` are where the fit first falls to
    ``top - 0.1 drop`` and ``top - 0.9 drop`` after the plateau; the suggestion is ``exp(x10 + 2/3 (x90 - x10))``.

    On the smoothed curve of a range test the suggestion sits right of the raw curve's steepest point: the moving
    average lags. The 2/3 was chosen on small MLP/CNN runs (SGD and Adam) against a grid of fixed-LR trainings,
    where it landed within 0.4x-4.5x of the best fixed LR on the 13 of 18 runs it answered (``None`` on the 5
    whose 100-step curve barely moved; the other methods' picks there were 7x-1000x too small). Known weakness: a
    large spike in the first ~15 batches is averaged into many early points of the debiased moving average and can
    pass for the start of the descent, moving the suggestion left.

    Returns ``None`` when the drop is at most ``min_drop`` (default 5%) of ``max(|top|, |min|)``, or at most 3 times
    the noise of the curve around the fit (robust standard deviation), or with fewer than 5 usable points.

    >>> import math
    >>> lrs = [10 ** (-7 + 8 * i / 99) for i in range(100)]
    >>> u_curve = [1 + math.tanh(-(math.log10(lr) + 3)) + math.exp(2.5 * (math.log10(lr) + 1)) for lr in lrs]
    >>> 1e-3 < robust(lrs, u_curve) < 1e-2
    True
    >>> robust(lrs, [1 + 0.1 * i for i in range(100)]) is None
    True
    """
    lr, x, y = _curve(lrs, losses)
    d = _descent(x, y, min_drop)
    if isinstance(d, str):
        return None
    return float(np.exp(d.x10 + 2.0 / 3.0 * (d.x90 - d.x10)))


def steepest(lrs: Sequence[float], losses: Sequence[float], *, half_window: int | None = None) -> float | None:
    """The learning rate where the loss falls fastest per unit of ``ln(lr)``.

    Each point's slope is the least-squares line through the ``2h+1`` points around it (``h = half_window``,
    default ``max(1, n // 50)``; windows are cut at the ends). ``None`` if no slope is negative.

    >>> steepest([1e-4, 1e-3, 1e-2, 1e-1, 1.0], [5.0, 4.0, 1.0, 0.5, 3.0])
    0.001
    """
    lr, x, y = _curve(lrs, losses)
    n = y.size
    if n < 2:
        return None
    h = max(1, n // 50) if half_window is None else half_window
    if h < 1:
        raise ValueError(f"half_window must be >= 1, got half_window={half_window}")
    slopes = np.empty(n)
    for i in range(n):
        xs, ys = x[max(0, i - h) : i + h + 1], y[max(0, i - h) : i + h + 1]
        dx = xs - xs.mean()
        slopes[i] = (dx * (ys - ys.mean())).sum() / (dx * dx).sum()
    i = int(np.argmin(slopes))
    return float(lr[i]) if slopes[i] < 0 else None


def min_div10(lrs: Sequence[float], losses: Sequence[float]) -> float | None:
    """The learning rate at the lowest loss, divided by 10; ``None`` if the lowest loss is the first point.

    >>> min_div10([1e-3, 1e-2, 1e-1, 1.0], [2.0, 1.0, 0.5, 4.0])
    0.01
    """
    lr, x, y = _curve(lrs, losses)
    if y.size < 2:
        return None
    i = int(np.argmin(y))
    return float(lr[i] / 10) if i > 0 else None


def valley(lrs: Sequence[float], losses: Sequence[float]) -> float | None:
    """Two thirds of the way along the longest descending stretch (after fastai's "valley" idea).

    The stretch is the longest strictly decreasing subsequence of the losses (found in ``O(n log n)``); it may skip
    over bumps, so noise does not cut it short. With ``a`` and ``b`` its first and last points, the suggestion is
    ``exp(x_a + 2/3 (x_b - x_a))``. ``None`` if the longest stretch has fewer than 2 points.

    >>> f"{valley([1e-4, 1e-3, 1e-2, 1e-1, 1.0], [3.0, 2.0, 1.5, 1.0, 4.0]):.3g}"
    '0.01'
    """
    lr, x, y = _curve(lrs, losses)
    n = y.size
    if n < 2:
        return None
    # Patience sorting on -y: tails[k] = smallest -y ending a decreasing run of length k+1 (as a value of -y).
    tails: list[float] = []
    tail_at: list[int] = []
    previous = [-1] * n
    for i, v in enumerate(-y):
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_at.append(i)
        else:
            tails[k] = v
            tail_at[k] = i
        previous[i] = tail_at[k - 1] if k > 0 else -1
    if len(tails) < 2:
        return None
    end = tail_at[-1]
    start = end
    while previous[start] >= 0:
        start = previous[start]
    return float(np.exp(x[start] + 2.0 / 3.0 * (x[end] - x[start])))


def first_rise(
    lrs: Sequence[float], losses: Sequence[float], *, rise: float = 0.1, min_fall: float = 0.1
) -> float | None:
    """The learning rate at the lowest loss before the loss first climbs back by more than ``rise`` (10%) of its fall
    so far: where a clean descent ends (seed 003's "the point where the loss stops falling"), read point by point.

    Meant for a curve without sampling noise, unsmoothed — ``fit(lr="auto")`` reads it on its range test's raw
    fixed-batch losses; on a noisy per-batch curve the first bump ends the descent too early. A climb only counts
    once the loss has fallen by ``min_fall`` (10%) of its whole fall over the curve (first loss to lowest), so the
    flat start's wiggles are not read as the end; both thresholds are shares of falls, unchanged by a shift of the
    loss. ``None`` if it never climbs back so, if it never falls, or with fewer than 5 usable points. Not in
    :data:`SUGGESTERS` (``find_lr`` hands those the smoothed curve).

    >>> lrs = [1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 1.0]
    >>> first_rise(lrs, [1.0, 0.9, 0.7, 0.75, 0.5, 9.0])  # 0.75 climbs back 17% of the 0.3 fall: the descent ended
    0.01
    >>> first_rise(lrs, [1.0, 0.9, 0.7, 0.72, 0.5, 9.0])  # a 7% bump is not the end; the climb to 9 is
    0.1
    """
    if not rise > 0:
        raise ValueError(f"rise must be > 0, got rise={rise}")
    if not 0 <= min_fall <= 1:
        raise ValueError(f"min_fall must be in [0, 1], got min_fall={min_fall}")
    lr, x, y = _curve(lrs, losses)
    if y.size < MIN_POINTS or not y.min() < y[0]:
        return None
    whole_fall = float(y[0] - y.min())
    lowest, at = y[0], 0
    for i in range(1, y.size):
        if y[i] < lowest:
            lowest, at = y[i], i
            continue
        fall = y[0] - lowest
        if fall > 0 and fall >= min_fall * whole_fall and y[i] - lowest > rise * fall:
            return float(lr[at])
    return None


def edge(lrs: Sequence[float], losses: Sequence[float], *, min_rise: float = 0.01) -> float | None:
    """The learning rate just left of where the loss turns up: the last point before the robust fit (running
    median, then LOWESS, as in :func:`robust`) rises above its running minimum by more than ``min_rise`` of the
    fit's whole span plus 3x the curve's noise (robust standard deviation around the fit) — both unchanged by a
    shift of the loss. ``None`` if it never does, if it does within the first 5 points (a loss that rises from the
    start has no stretch to read), or with fewer than 5 usable points.

    >>> lrs = [10 ** (-5 + 6 * i / 40) for i in range(41)]
    >>> flat_then_up = [1.0 + (0.0 if lr < 1e-2 else 3 * (lr - 1e-2) ** 0.5) for lr in lrs]
    >>> 3e-3 < edge(lrs, flat_then_up) < 1.5e-2
    True
    >>> edge(lrs, [1.0 - 0.01 * i for i in range(41)]) is None
    True
    """
    if not 0 <= min_rise:
        raise ValueError(f"min_rise must be >= 0, got min_rise={min_rise}")
    lr, x, y = _curve(lrs, losses)
    if y.size < MIN_POINTS:
        return None
    fit = _robust_fit(x, y)
    noise = 1.4826 * float(np.median(np.abs(y - fit)))
    lowest = np.minimum.accumulate(fit)
    risen = np.flatnonzero(fit - lowest > min_rise * float(fit.max() - fit.min()) + 3 * noise)
    if not len(risen) or risen[0] < MIN_POINTS:
        return None
    return float(lr[risen[0] - 1])


def descent_range(
    lrs: Sequence[float], losses: Sequence[float], *, min_drop: float = 0.05
) -> tuple[float, float] | None:
    """``(lr where the loss starts to fall, lr where it stops falling)``, read from the robust fit of ``robust``.

    The start is where 10% of the drop is done, the stop is the lowest point of the fit. ``None`` when ``robust``
    finds no descent.

    >>> import math
    >>> lrs = [10 ** (-6 + 6 * i / 99) for i in range(100)]
    >>> losses = [2 - math.tanh(math.log10(lr) + 3) + max(0.0, math.log10(lr) + 1) ** 2 for lr in lrs]
    >>> lo, hi = descent_range(lrs, losses)
    >>> 1e-5 < lo < 1e-3 < hi < 1
    True
    """
    lr, x, y = _curve(lrs, losses)
    d = _descent(x, y, min_drop)
    if isinstance(d, str):
        return None
    return float(np.exp(d.x10)), float(np.exp(d.x_min))


def curve_note(lrs: Sequence[float], losses: Sequence[float], *, min_drop: float = 0.05) -> str | None:
    """A sentence about what makes the curve hard to read, or ``None`` when it looks like a normal range test.

    >>> curve_note([1e-3, 1e-2, 1e-1, 1.0, 10.0], [1.0, 1.1, 1.3, 2.0, 5.0])
    'the loss never decreased (lowest at the first learning rate, 0.001)'
    """
    lr, x, y = _curve(lrs, losses)
    d = _descent(x, y, min_drop)
    if isinstance(d, str):
        return d
    if d.falling_at_end:
        return "the loss was still falling at the last learning rate: the best value may lie above it (raise end_lr)"
    if d.falling_at_start:
        return "the loss was already falling at the first learning rate: lower start_lr to see the whole descent"
    return None


SUGGESTERS: dict[str, Suggester] = {
    "robust": robust,
    "steepest": steepest,
    "min_div10": min_div10,
    "valley": valley,
    "edge": edge,
}
DEFAULT_METHOD = "robust"


def suggest(lrs: Sequence[float], losses: Sequence[float], method: str | Suggester = DEFAULT_METHOD) -> float | None:
    """Run one suggester, given by its name in :data:`SUGGESTERS` or as a function with the same signature.

    >>> suggest([1e-3, 1e-2, 1e-1, 1.0], [2.0, 1.0, 0.5, 4.0], "min_div10")
    0.01
    """
    if isinstance(method, str):
        if method not in SUGGESTERS:
            raise ValueError(f"unknown method={method!r}; choose one of {', '.join(SUGGESTERS)} or pass a function")
        method = SUGGESTERS[method]
    elif not callable(method):
        raise TypeError(
            f"method must be a name or a function (lrs, losses) -> float | None, got {type(method).__name__}"
        )
    value = method(lrs, losses)
    return None if value is None else float(value)
