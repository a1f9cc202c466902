"""Suggesters on synthetic curves with known answers, plus one contract battery over the whole registry."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import trainwise.suggest
from trainwise.suggest import (
    DEFAULT_METHOD,
    SUGGESTERS,
    curve_note,
    descent_range,
    edge,
    first_rise,
    min_div10,
    robust,
    steepest,
    suggest,
    valley,
)

LRS = np.logspace(-7, 1, 101)  # 12.5 points per decade; 1e-3 is LRS[50]
X = np.log10(LRS)


def u_curve(center: float = -3.0, width: float = 0.5, blowup: float = -0.7) -> np.ndarray:
    """Plateau at 2, a tanh descent centred on 10**center down to 0, then a steep rise from 10**blowup."""
    return 1 - np.tanh((X - center) / width) + np.exp(4 * (X - blowup))


def ema(raw: np.ndarray, beta: float = 0.98) -> np.ndarray:
    avg, out = 0.0, []
    for i, v in enumerate(raw):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta ** (i + 1)))
    return np.array(out)


# --- known answers ---------------------------------------------------------------------------------------------


def test_steepest_finds_the_inflection_of_a_tanh_descent() -> None:
    # d/dx of -tanh((x - c)/w) is most negative at x = c exactly, a grid point here.
    assert steepest(LRS, u_curve(center=-3.0)) == pytest.approx(1e-3, rel=1e-9)
    assert steepest(LRS, u_curve(center=-5.0)) == pytest.approx(1e-5, rel=1e-9)


def test_min_div10_is_the_lowest_point_over_ten() -> None:
    y = (X + 1) ** 2  # lowest at 1e-1, a grid point
    assert min_div10(LRS, y) == pytest.approx(1e-2, rel=1e-9)


def test_valley_two_thirds_along_the_longest_decreasing_run() -> None:
    # A bump at index 10 rises (breaks a contiguous run, not the subsequence); the run is indices 0..60.
    y = np.concatenate([np.linspace(5, 1, 61), np.linspace(1.5, 9, 40)])
    y[10] = 9.0
    expected = 10 ** (X[0] + 2 / 3 * (X[60] - X[0]))
    assert valley(LRS, y) == pytest.approx(expected, rel=1e-9)


def test_robust_on_a_clean_descent_matches_the_formula() -> None:
    # Plateau 2 -> 0: the 10% and 90% levels are where tanh(u) = -0.8 and +0.8, u = (x - c) / w. The suggestion is
    # two thirds of the way from one to the other. The refit (median + LOWESS) and the plateau rule may move it a bit.
    c, w = -3.0, 0.5
    u10, u90 = -math.atanh(0.8), math.atanh(0.8)
    expected = 10 ** (c + w * (u10 + 2 / 3 * (u90 - u10)))
    got = robust(LRS, u_curve(c, w))
    assert got == pytest.approx(expected, rel=0.25)
    lo, hi = descent_range(LRS, u_curve(c, w))
    assert lo == pytest.approx(10 ** (c + w * u10), rel=0.25)
    assert 10 ** (c + 2 * w) < hi < 10**-0.5


def test_robust_ignores_a_long_flat_start() -> None:
    # 60% of the sweep flat (with a little noise), then the descent.
    rng = np.random.default_rng(0)
    y = u_curve(center=-1.5, width=0.3, blowup=0.5) + rng.normal(0, 0.01, X.size)
    got = robust(LRS, y)
    assert 10 ** (-1.5 - 0.3 * math.atanh(0.8)) < got < 10 ** (-1.5 + 0.3 * math.atanh(0.8))


@pytest.mark.parametrize("seed", range(8))
def test_robust_survives_spikes_and_noise(seed: int) -> None:
    clean = robust(LRS, ema(u_curve()))
    rng = np.random.default_rng(seed)
    noisy = u_curve() + rng.normal(0, 0.08, X.size)
    spiky = noisy.copy()
    where = rng.choice(np.arange(10, 80), size=6, replace=False)  # spikes after the first few batches
    spiky[where] += rng.uniform(1.0, 4.0, where.size)
    for curve in (noisy, spiky):  # the finder hands over the smoothed curve...
        assert clean / 3 < robust(LRS, ema(curve)) < clean * 3
    # ...and a spike in the curve itself (e.g. from beta=0) is removed by the running median.
    assert robust(LRS, u_curve()) / 3 < robust(LRS, spiky) < robust(LRS, u_curve()) * 3


# --- no answer ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SUGGESTERS))
def test_never_decreasing_curve_gives_none(name: str) -> None:
    assert SUGGESTERS[name](LRS, 1 + 0.05 * np.arange(X.size)) is None


def test_flat_noisy_curve_gives_none_with_a_note() -> None:
    rng = np.random.default_rng(1)
    y = 2 + rng.normal(0, 0.02, X.size)
    assert robust(LRS, ema(y)) is None
    assert robust(LRS, y) is None
    assert "never" in curve_note(LRS, y)
    assert "never decreased" in curve_note(LRS, 1 + 0.05 * np.arange(X.size))


def test_curve_notes_for_cut_off_curves() -> None:
    assert curve_note(LRS, u_curve()) is None
    falling = 2 - np.tanh(X + 1)  # still falling at 10
    assert "raise end_lr" in curve_note(LRS, falling)
    assert robust(LRS, falling) is not None
    early = 2 - np.tanh(X + 8) + np.exp(4 * (X + 1))  # the descent is over before 1e-7
    assert "lower start_lr" in curve_note(LRS, early)


def test_edge_is_just_left_of_where_a_flat_curve_turns_up() -> None:
    # flat at 1 (with noise) up to 1e-2, then rising: no descent for robust, a clear turn for edge
    rng = np.random.default_rng(3)
    y = 1 + rng.normal(0, 0.002, X.size) + np.where(LRS > 1e-2, np.log10(LRS / 1e-2), 0.0)
    assert robust(LRS, y) is None
    got = edge(LRS, y)
    assert 10**-2.6 < got < 10**-1.6  # within ~half a decade left of the turn at 1e-2 (the fit rounds the corner)
    # on a normal U-shaped curve it reads the bottom's right side, near where the loss turns up (not the descent)
    assert edge(LRS, u_curve()) > 10 * robust(LRS, u_curve())
    # a curve that rises from its first points has no stretch to read
    assert edge(LRS, 1 + 0.05 * np.arange(X.size)) is None
    assert edge(LRS, 2 - np.tanh(X + 1)) is None  # never turns up
    with pytest.raises(ValueError, match="min_rise"):
        edge(LRS, y, min_rise=-0.1)


def test_first_rise_is_where_a_clean_descent_ends() -> None:
    # a noiseless descent to 1e-2, then an erratic stretch (each point jumps up and down) before the blow-up:
    # the lowest point before the first climb is the end of the descent, whatever the stretch after it does
    descent = 1 - 0.5 * (1 + np.tanh((X + 3) / 0.5)) / 2
    jumps = np.where((np.arange(X.size) - np.searchsorted(LRS, 1e-2, side="right")) % 2 == 0, 0.3, -0.05)
    y = np.where(LRS <= 1e-2, descent, descent[LRS <= 1e-2][-1] + jumps + np.exp(4 * (X + 0.5)))
    got = first_rise(LRS, y)
    assert got == LRS[LRS <= 1e-2][-1]
    # the erratic stretch dips below the descent's end: the smoothed readings are pulled right of it, not this one
    assert y[LRS > 1e-2].min() < y[LRS <= 1e-2].min()
    assert first_rise(LRS, y - 7.0) == got  # a shift of the loss changes nothing
    # wiggles on the flat start, before the loss has fallen 10% of its whole fall, do not end the descent
    wiggly = y + np.where(X < -5, 1e-4 * np.sin(7 * X), 0.0)
    assert first_rise(LRS, wiggly) == got
    # a bump smaller than 10% of the fall so far is not the end; a larger one is
    bumped = descent.copy()
    i = int(np.searchsorted(LRS, 1e-3))
    fall = bumped[0] - bumped[i]
    bumped[i + 1] = bumped[i] + 0.05 * fall
    assert first_rise(LRS, bumped) is None  # the descent goes on, and never climbs back
    bumped[i + 1] = bumped[i] + 0.2 * fall
    assert first_rise(LRS, bumped) == LRS[i]
    # a curve that never falls, or is too short to read
    assert first_rise(LRS, 1 + 0.01 * np.arange(X.size)) is None
    assert first_rise([1e-3, 1e-2], [1.0, 0.5]) is None
    for bad in ({"rise": 0.0}, {"min_fall": 1.5}, {"min_fall": -0.1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            first_rise(LRS, y, **bad)


# --- the contract battery, over the registry ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SUGGESTERS))
def test_contract(name: str) -> None:
    fn = SUGGESTERS[name]
    y = u_curve() + np.random.default_rng(2).normal(0, 0.02, X.size)
    lrs_list, y_list = LRS.tolist(), y.tolist()
    got = fn(lrs_list, y_list)
    # a float inside the swept range (min_div10 may go a decade below it)
    assert isinstance(got, float) and LRS[0] / 10 <= got <= LRS[-1]
    # deterministic, same for lists, tuples and arrays, inputs untouched
    assert fn(tuple(lrs_list), tuple(y_list)) == got == fn(LRS.copy(), y.copy())
    assert y_list == y.tolist() and lrs_list == LRS.tolist()
    # only differences of the loss matter: a shifted curve, negative throughout, gives the same answer
    assert fn(LRS, y - 5.0) == pytest.approx(got, rel=1e-6)
    # non-finite points and lr <= 0 are dropped, not propagated
    with_nan = np.insert(y, [30, 60], [np.nan, np.inf])
    lrs_nan = np.insert(LRS, [30, 60], [LRS[29] * 1.0001, LRS[59] * 1.0001])
    assert fn(lrs_nan, with_nan) == pytest.approx(got, rel=0.3)
    # too short to read, or mismatched lengths
    assert fn([1e-3], [1.0]) is None and fn([], []) is None
    with pytest.raises(ValueError, match="same length"):
        fn(LRS, y[:-1])
    with pytest.raises(ValueError, match="increasing"):
        fn(LRS[::-1], y)


def test_suggest_by_name_or_function() -> None:
    y = u_curve()
    assert suggest(LRS, y) == SUGGESTERS[DEFAULT_METHOD](LRS, y)
    assert suggest(LRS, y, "steepest") == steepest(LRS, y)
    assert suggest(LRS, y, lambda lrs, losses: 0.5) == 0.5
    with pytest.raises(ValueError, match="method='nope'"):
        suggest(LRS, y, "nope")
    with pytest.raises(TypeError, match="method"):
        suggest(LRS, y, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="half_window"):
        steepest(LRS, y, half_window=0)


def test_docstring_examples_run() -> None:
    assert doctest.testmod(trainwise.suggest).failed == 0
