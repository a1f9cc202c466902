"""Benchmark: how good is the learning rate that ``fit(lr="auto")`` and the range-test suggesters pick?

    python benchmarks/bench_lr_suggestions.py --seeds 0,1,2,3 --held-out 2,3 --out benchmarks/results/lr_suggestions.md
    python benchmarks/bench_lr_suggestions.py --quick        # smoke run, <1 min

Two seeds take 11-14 min on 2 CPU cores, four seeds twice that.

Benchmark-only dependencies (not needed by trainwise; installed without pulling another torch)::

    pip install --no-deps torch-lr-finder schedulefree prodigyopt && pip install tqdm

For every workload (the built-in experiments ``diamonds`` MLP, ``digits`` CNN, ``co2`` LSTM) and every seed, each
method trains the same model (``make_model(seed)``) on the same data order (``loaders(seed=seed)``) for the
experiment's epochs, with ``fit(..., seed=seed)``; the score is the validation metric after the last epoch.

* grid: one-cycle (``schedule="onecycle"``, the experiment's optimizer, Adam) at peak LRs on a log grid: every
  half decade from 1e-4 to 1, then four more at 10^(+-1/6) and 10^(+-1/3) times the best of those, so the
  spacing is a sixth of a decade around the best. The grid-best is the reference (its winner's-curse bias makes it
  slightly optimistic: the other methods get one try each).
* auto: exactly ``fit(..., lr="auto")`` (its own short range test, then one-cycle at the suggestion; see
  ``trainwise.training._auto_lr``).
* robust / steepest / min_div10 / valley: each trainwise suggester, read from one ``find_lr`` run with its public
  defaults (1e-7 to 10, 100 steps, training loss), as a one-cycle peak. ``lr="auto"`` no longer uses those defaults,
  so the robust row is not auto's training.
* torch-lr-finder: ``LRFinder.range_test`` with the same start/end/steps (1e-7, 10, 100; its other options
  default), then its steepest-gradient suggestion (``plot(suggest_lr=True)`` on an Agg axes, its defaults
  ``skip_start=10, skip_end=5``), as a one-cycle peak.
* schedule-free AdamW: ``AdamWScheduleFree`` with its default lr 0.0025 and ``warmup_steps`` = 5% of the steps
  (its authors recommend warmup), no schedule; a callback calls ``optimizer.train()`` / ``optimizer.eval()``
  around training and validation, so it is evaluated at its averaged weights.
* Prodigy: ``Prodigy(lr=1.0)`` (its authors' advice) with cosine annealing to 0 over the run, no warmup.
* Adam 1e-3: constant LR 1e-3, no schedule (what one does without any tuning; one-cycle at peak 1e-3 is a grid point).

Identical trainings are run once: a suggester whose LR equals one already trained reuses that run.

Ratio to grid-best: ``metric / grid_best`` for a metric to minimise (MAE), ``grid_best / metric`` for one to maximise
(accuracy): 1.00 is the grid-best, larger is worse, below 1 beats the grid. A run that diverged or a method that gave
no LR counts as ``inf``.

Timing (one CPU thread; the machine may be shared): ``lr="auto"``'s range test, ``find_lr`` with its defaults and
torch-lr-finder's range test are timed ``--repeats`` times per seed, interleaved, on fresh models; the table gives
the median. One training run is the median time of the grid's trainings (all the same length). The cost of
``lr="auto"`` is ``1 + auto's range test / training``; the in-run figure ``elapsed / (elapsed - range_test_s)`` of
each ``lr="auto"`` run is reported beside it.

Seeds: ``--held-out`` names seeds that were not looked at while ``lr="auto"`` was designed; the summary is given for
the design seeds and the held-out seeds separately, then for all.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import math
import os
import platform
import shlex
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from trainwise import training  # noqa: E402
from trainwise.experiments import Experiment, load_experiment  # noqa: E402
from trainwise.lr_finder import find_lr  # noqa: E402
from trainwise.optimizers import make_optimizer  # noqa: E402
from trainwise.training import Callback, fit  # noqa: E402

START_LR, END_LR, NUM_STEPS = 1e-7, 10.0, 100  # find_lr's defaults (the suggester rows and torch-lr-finder)
SUGGESTERS = ("robust", "steepest", "min_div10", "valley")
METHODS = ("auto", *SUGGESTERS, "torch-lr-finder", "schedulefree AdamW", "Prodigy", "Adam 1e-3")
COMPETITORS = ("torch-lr-finder", "schedulefree AdamW", "Prodigy", "Adam 1e-3")
SF_LR, SF_WARMUP = 0.0025, 0.05
PRODIGY_LR = 1.0
ADAM_LR = 1e-3


@dataclass
class Run:
    """One training: the LR it used (peak for one-cycle), its final validation metric and wall time."""

    lr: float | None
    metric: float
    seconds: float
    status: str
    range_test_s: float | None = None


@dataclass
class SeedResult:
    grid: dict[float, Run] = field(default_factory=dict)
    methods: dict[str, Run] = field(default_factory=dict)
    tw_range_s: list[float] = field(default_factory=list)
    auto_range_s: list[float] = field(default_factory=list)
    tlf_range_s: list[float] = field(default_factory=list)
    tw_steps: int = 0
    auto_steps: int = 0
    tlf_steps: int = 0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------ trainings


def final_metric(history) -> float:
    last = history.epochs[-1].val_metric if history.epochs else None
    return float("nan") if history.status == "diverged" or last is None else float(last)


TRAIN_SEEDS = 1  # --train-seeds: trainings per (seed, method or LR), from inits and orders seed + 1000 k, averaged


def train(exp: Experiment, seed: int, epochs: int, build=None, **fit_options) -> Run:
    """Train ``TRAIN_SEEDS`` times (model init, data order and fit seed ``seed + 1000 k``; the data split is the
    experiment's own) and average the final metric: a single training's metric is as noisy as the differences
    between nearby LRs on some workloads. ``build(s)`` gives the model (and optimizer) of training ``s``."""
    histories = []
    for k in range(TRAIN_SEEDS):
        s = seed + 1000 * k
        options = dict(fit_options, **(build(s) if build is not None else {"model": exp.make_model(s)}))
        model = options.pop("model")
        train_loader, val_loader = exp.loaders(seed=s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            histories.append(fit(model, exp.loss_fn, train_loader, val_loader=val_loader, epochs=epochs, seed=s,
                                 metric=exp.metric, **options))  # fmt: skip
    first = histories[0]
    lr = first.config["lr"]
    metric = float(np.mean([final_metric(h) for h in histories]))  # NaN if any diverged
    status = next((h.status for h in histories if h.status == "diverged"), first.status)
    return Run(float(lr) if isinstance(lr, (int, float)) else None, metric,
               float(np.mean([h.elapsed_s for h in histories])), status, first.config.get("range_test_s"))  # fmt: skip


def one_cycle(exp: Experiment, seed: int, epochs: int, lr: float) -> Run:
    return train(exp, seed, epochs, optimizer=exp.optimizer, lr=lr, schedule="onecycle")


class ScheduleFreeModes(Callback):
    """Schedule-free optimizers keep two points: train at one (``opt.train()``), evaluate at their average
    (``opt.eval()``)."""

    def on_fit_start(self, state) -> None:
        state.optimizer.train()

    def on_epoch_start(self, state) -> None:
        state.optimizer.train()

    def on_validation_start(self, state) -> None:
        state.optimizer.eval()


def schedulefree_run(exp: Experiment, seed: int, epochs: int) -> Run:
    from schedulefree import AdamWScheduleFree

    steps = epochs * len(exp.loaders(seed=seed)[0])

    def build(s: int) -> dict:
        model = exp.make_model(s)
        opt = AdamWScheduleFree(model.parameters(), lr=SF_LR, warmup_steps=max(1, round(SF_WARMUP * steps)))
        return {"model": model, "optimizer": opt}

    return train(exp, seed, epochs, build=build, lr=SF_LR, callbacks=[ScheduleFreeModes()])


def prodigy_run(exp: Experiment, seed: int, epochs: int) -> Run:
    from prodigyopt import Prodigy

    def build(s: int) -> dict:
        model = exp.make_model(s)
        return {"model": model, "optimizer": Prodigy(model.parameters(), lr=PRODIGY_LR)}

    return train(exp, seed, epochs, build=build, lr=PRODIGY_LR, schedule="cosine")


# ----------------------------------------------------------------------------------------------- range tests


def trainwise_range_test(exp: Experiment, seed: int):
    """``find_lr`` with its public defaults, on the model, optimizer (built at ``_AUTO_START``) and loader that
    ``fit(lr="auto")`` would get."""
    model = exp.make_model(seed)
    opt = make_optimizer(exp.optimizer, model.parameters(), lr=training._AUTO_START)
    train_loader, _ = exp.loaders(seed=seed)
    start = time.perf_counter()
    result = find_lr(model, opt, exp.loss_fn, train_loader)
    return result, time.perf_counter() - start


def auto_range_test(exp: Experiment, seed: int, epochs: int) -> tuple[float, int, float]:
    """``fit(lr="auto")``'s own range test, alone (``(lr, steps run, seconds)``): what ``fit`` runs before training."""
    model = exp.make_model(seed)
    opt = make_optimizer(exp.optimizer, model.parameters(), lr=training._AUTO_START)
    train_loader, _ = exp.loaders(seed=seed)
    start = time.perf_counter()
    lr, _, _, _, steps = training._auto_lr(model, opt, exp.loss_fn, train_loader, None, None, torch.device("cpu"), 1,
                                           epochs * len(train_loader))  # fmt: skip
    return lr, steps, time.perf_counter() - start


def tlf_range_test(exp: Experiment, seed: int) -> tuple[float | None, int, float]:
    """torch-lr-finder's range test and steepest-gradient suggestion: ``(lr, steps run, seconds)``."""
    import matplotlib.pyplot as plt
    from torch_lr_finder import LRFinder

    model = exp.make_model(seed)
    opt = make_optimizer(exp.optimizer, model.parameters(), lr=training._AUTO_START)
    train_loader, _ = exp.loaders(seed=seed)
    fig, ax = plt.subplots()
    quiet = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = LRFinder(model, opt, exp.loss_fn)
        finder.range_test(train_loader, start_lr=START_LR, end_lr=END_LR, num_iter=NUM_STEPS)
        try:
            _, lr = finder.plot(ax=ax, suggest_lr=True)
        except RuntimeError:  # too few points for its suggestion (it needs skip_start + skip_end + 2)
            lr = None
    seconds = time.perf_counter() - start
    plt.close(fig)
    return (None if lr is None else float(lr)), len(finder.history["lr"]), seconds


# ------------------------------------------------------------------------------------------------- the grid


def coarse_grid() -> list[float]:
    return [10 ** (-4 + k / 2) for k in range(9)]


def refine(best: float) -> list[float]:
    return [best * 10 ** (k / 6) for k in (-2, -1, 1, 2)]


def better(exp: Experiment, a: float, b: float) -> bool:
    return exp.metric.better(a, b)


def best_of(exp: Experiment, runs: dict[float, Run]) -> tuple[float, Run]:
    best_lr = None
    for lr, run in runs.items():
        if best_lr is None or better(exp, run.metric, runs[best_lr].metric):
            best_lr = lr
    return best_lr, runs[best_lr]


def ratio(exp: Experiment, metric: float, best: float) -> float:
    if not math.isfinite(metric) or metric <= 0:
        return math.inf
    return metric / best if exp.metric.direction == "min" else best / metric


# ----------------------------------------------------------------------------------------------- one seed


def bench_seed(exp: Experiment, seed: int, epochs: int, repeats: int, quick: bool) -> SeedResult:
    out = SeedResult()
    tag = f"{exp.name} seed {seed}"

    # Range tests first, interleaved, so that a busy minute of the machine hits both.
    suggestions: dict[str, float | None] = {}
    tlf_lr = auto_lr = None
    for r in range(repeats):
        result, seconds = trainwise_range_test(exp, seed)
        out.tw_range_s.append(seconds)
        if r == 0:
            suggestions, out.tw_steps = dict(result.suggestions), result.steps_run
        elif dict(result.suggestions) != suggestions:
            raise RuntimeError(f"{tag}: the range test is not repeatable: {result.suggestions} vs {suggestions}")
        try:
            auto_lr, out.auto_steps, seconds = auto_range_test(exp, seed, epochs)
            out.auto_range_s.append(seconds)
        except ValueError:  # no LR: fit(lr="auto") will raise too, and say so below
            auto_lr = None
        lr, out.tlf_steps, seconds = tlf_range_test(exp, seed)
        out.tlf_range_s.append(seconds)
        tlf_lr = lr
    log(f"{tag}: range tests auto {out.auto_range_s and f'{statistics.median(out.auto_range_s):.2f}'}s "
        f"({out.auto_steps} steps, lr {auto_lr and f'{auto_lr:.3g}'}), "
        f"find_lr defaults {statistics.median(out.tw_range_s):.2f}s ({out.tw_steps} steps), "
        f"torch-lr-finder {statistics.median(out.tlf_range_s):.2f}s ({out.tlf_steps} steps); "
        f"suggestions {({k: None if v is None else float(f'{v:.3g}') for k, v in suggestions.items()})}, "
        f"torch-lr-finder {tlf_lr and float(f'{tlf_lr:.3g}')}")  # fmt: skip

    one_cycles: dict[float, Run] = {}

    def at(lr: float) -> Run:
        if lr not in one_cycles:
            one_cycles[lr] = one_cycle(exp, seed, epochs, lr)
        return one_cycles[lr]

    # lr="auto", exactly as a user calls it.
    try:
        auto = train(exp, seed, epochs, optimizer=exp.optimizer, lr="auto")
    except ValueError as err:  # the range test found no LR
        auto = Run(None, math.nan, math.nan, "no LR: fit raised ValueError")
        log(f"{tag}: lr='auto' raised: {err}")
    out.methods["auto"] = auto
    if auto.lr is not None:
        one_cycles[auto.lr] = Run(auto.lr, auto.metric, auto.seconds - (auto.range_test_s or 0.0), auto.status)
    if auto.lr != auto_lr:
        raise RuntimeError(f"{tag}: fit(lr='auto') chose {auto.lr}, its range test alone gave {auto_lr}")
    log(f"{tag}: auto lr={auto.lr and f'{auto.lr:.3g}'} -> {exp.metric.name} {auto.metric:.4g} "
        f"({auto.seconds:.1f}s, range test {auto.range_test_s and f'{auto.range_test_s:.2f}'}s)")

    for name in SUGGESTERS:
        lr = suggestions.get(name)
        out.methods[name] = at(lr) if lr is not None else Run(None, math.nan, math.nan, "no LR")
    out.methods["torch-lr-finder"] = at(tlf_lr) if tlf_lr is not None else Run(None, math.nan, math.nan, "no LR")
    out.methods["schedulefree AdamW"] = schedulefree_run(exp, seed, epochs)
    out.methods["Prodigy"] = prodigy_run(exp, seed, epochs)
    out.methods["Adam 1e-3"] = train(exp, seed, epochs, optimizer=exp.optimizer, lr=ADAM_LR)
    for name in METHODS[1:]:
        run = out.methods[name]
        log(f"{tag}: {name} lr={run.lr and f'{run.lr:.3g}'} -> {exp.metric.name} {run.metric:.4g}")

    # The grid (re-using nothing from the methods: its points are trained here, in order).
    grid = coarse_grid()[::4] if quick else coarse_grid()
    for lr in grid:
        out.grid[lr] = one_cycle(exp, seed, epochs, lr)
        log(f"{tag}: grid {lr:.3g} -> {out.grid[lr].metric:.4g} ({out.grid[lr].seconds:.1f}s)")
    if not quick:
        best_lr, _ = best_of(exp, out.grid)
        for lr in refine(best_lr):
            out.grid[lr] = one_cycle(exp, seed, epochs, lr)
            log(f"{tag}: grid {lr:.3g} -> {out.grid[lr].metric:.4g} ({out.grid[lr].seconds:.1f}s)")
    return out


# ------------------------------------------------------------------------------------------------- report


def fmt_lr(lr: float | None) -> str:
    return "-" if lr is None else f"{lr:.3g}"


def fmt_metric(exp: Experiment, value: float) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:.4f}" if exp.metric.direction == "max" else f"{value:.4g}"


def verdict(met: bool) -> str:
    return "met" if met else "missed"


def fmt_ratio(value: float) -> str:
    return "inf" if not math.isfinite(value) else f"{value:.3f}"


def seed_ratios(exp: Experiment, per_seed: dict[int, SeedResult], method: str) -> list[float]:
    """The method's ratio to that seed's grid-best, one per seed."""
    return [ratio(exp, r.methods[method].metric, best_of(exp, r.grid)[1].metric) for r in per_seed.values()]


def runner_up(exp: Experiment, res: SeedResult) -> float:
    """Ratio of the second-best grid point to the best: how much the grid itself scatters near its optimum."""
    best_lr, best = best_of(exp, res.grid)
    _, second = best_of(exp, {lr: run for lr, run in res.grid.items() if lr != best_lr})
    return ratio(exp, second.metric, best.metric)


@dataclass
class Costs:
    train_s: float  # one training run (median of the grid's)
    auto_s: float  # lr="auto"'s range test, alone
    default_s: float  # find_lr with its defaults
    tlf_s: float  # torch-lr-finder's range test
    in_run: float  # median of elapsed / (elapsed - range_test_s) over the lr="auto" runs

    @property
    def auto(self) -> float:
        return 1 + self.auto_s / self.train_s


def costs(per_seed: dict[int, SeedResult]) -> Costs:
    def median(values: list[float]) -> float:
        return statistics.median(values) if values else math.nan

    in_run = [r.methods["auto"].seconds / (r.methods["auto"].seconds - r.methods["auto"].range_test_s)
              for r in per_seed.values() if r.methods["auto"].range_test_s]  # fmt: skip
    return Costs(
        train_s=median([run.seconds for r in per_seed.values() for run in r.grid.values()]),
        auto_s=median([s for r in per_seed.values() for s in r.auto_range_s]),
        default_s=median([s for r in per_seed.values() for s in r.tw_range_s]),
        tlf_s=median([s for r in per_seed.values() for s in r.tlf_range_s]),
        in_run=median(in_run),
    )


RULES = {
    "auto": "`fit(lr=\"auto\")`: its own short range test, one-cycle at its suggestion",
    "robust": "`find_lr` defaults, one-cycle, peak = robust", "steepest": "same test, peak = steepest",
    "min_div10": "same test, peak = min/10", "valley": "same test, peak = valley",
    "torch-lr-finder": "one-cycle, peak = its steepest",
    "schedulefree AdamW": f"lr {SF_LR}, warmup 5%, no schedule",
    "Prodigy": f"lr {PRODIGY_LR:g}, cosine to 0", "Adam 1e-3": "constant 1e-3",
}  # fmt: skip


def summary(results, exps, seeds: list[int], title: str) -> list[str]:
    """The summary table over ``seeds``: each method's ratio to grid-best, mean over those seeds per workload."""
    names = list(results)
    subset = {n: {s: results[n][s] for s in seeds} for n in names}
    lines = [f"## Summary, {title}: ratio to grid-best (mean over seeds {', '.join(map(str, seeds))})\n"]
    lines.append("| method | LR rule | " + " | ".join(names) + " | mean | worst seed | no LR / diverged |")
    lines.append("|---|---|" + "---:|" * (len(names) + 3))
    for m in METHODS:
        per_seed = {n: seed_ratios(exps[n], subset[n], m) for n in names}
        row = [statistics.fmean(per_seed[n]) for n in names]
        worst = max(v for n in names for v in per_seed[n])
        failures = sum(not math.isfinite(v) for n in names for v in per_seed[n])
        lines.append(f"| {m} | {RULES[m]} | " + " | ".join(fmt_ratio(v) for v in row)
                     + f" | {fmt_ratio(statistics.fmean(row))} | {fmt_ratio(worst)} | {failures} of "
                     f"{len(names) * len(seeds)} |")  # fmt: skip
    return lines


def targets(results, exps, seeds: list[int], cost: dict[str, Costs] | None) -> list[str]:
    names = list(results)
    subset = {n: {s: results[n][s] for s in seeds} for n in names}
    auto = {n: seed_ratios(exps[n], subset[n], "auto") for n in names}
    lines = []
    within = all(v <= 1.01 for n in names for v in auto[n])
    lines.append(f"- `lr=\"auto\"` within 1% of grid-best on every workload and seed: **{verdict(within)}** ("
                 + "; ".join(f"{n}: {', '.join(fmt_ratio(v) for v in auto[n])}" for n in names) + ")")  # fmt: skip
    mean = {m: statistics.fmean(statistics.fmean(seed_ratios(exps[n], subset[n], m)) for n in names)
            for m in METHODS}  # fmt: skip
    others = {m: v for m, v in mean.items() if m != "auto"}
    ahead = all(mean["auto"] < v for v in others.values())
    lines.append(f"- ahead of every other method on average: **{verdict(ahead)}** (auto {fmt_ratio(mean['auto'])}; "
                 + ", ".join(f"{m} {fmt_ratio(v)}" for m, v in others.items()) + ")")  # fmt: skip
    if cost is not None:
        cheap = all(c.auto < 1.3 for c in cost.values())
        lines.append(f"- cost below 1.3x one training run: **{verdict(cheap)}** ("
                     + "; ".join(f"{n} {c.auto:.2f}x (in-run {c.in_run:.2f}x)" for n, c in cost.items()) + ")")  # fmt: skip
    return lines


def versions_line() -> str:
    versions = {}
    for pkg in ("torch", "torch-lr-finder", "schedulefree", "prodigyopt", "numpy"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[pkg] = metadata.version(pkg)
    return "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + "  "


def report(results: dict[str, dict[int, SeedResult]], exps: dict[str, Experiment], args, started: str,
           wall_s: float, loads: tuple) -> str:  # fmt: skip
    lines: list[str] = []
    add = lines.append
    names = list(results)
    held_out = [s for s in args.seeds if s in args.held_out]
    design = [s for s in args.seeds if s not in args.held_out]
    grid_size = len(next(iter(results[names[0]].values())).grid)
    add("# LR suggestion quality: `lr=\"auto\"` and the range-test suggesters against a dense LR grid\n")
    add(f"Command: `{args.command}`  ")
    add(f"Date: {started}; wall time of the whole run {wall_s / 60:.1f} min  ")
    if TRAIN_SEEDS > 1:
        add(f"Each metric is the mean of {TRAIN_SEEDS} trainings (model inits and data orders seed + 1000 k, same "
            "split; methods that read an LR off a range test read it once, on the first init; `lr=\"auto\"` runs its "
            "own test in each training)  ")
    add(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}; torch.set_num_threads(1); load average (1 min) {loads[0]:.1f} at the start, "
        f"{loads[1]:.1f} at the end (other processes shared the machine; quality numbers are deterministic, times "
        "are not)  ")  # fmt: skip
    add(versions_line())
    seeds_text = (f"design seeds {', '.join(map(str, design)) or 'none'} (`lr=\"auto\"`'s settings were chosen "
                  f"looking at these), held-out seeds {', '.join(map(str, held_out))} (not looked at before this run)"
                  if held_out else f"{', '.join(map(str, args.seeds))}")  # fmt: skip
    add(f"Seeds: {seeds_text}; epochs: {', '.join(f'{n} {args.epochs[n]}' for n in names)} "
        "(each experiment's default unless --quick); optimizer for the grid, the suggesters and auto: each "
        "experiment's (`adam`).\n")  # fmt: skip
    add("Ratio to grid-best: `metric / grid_best` for MAE (min), `grid_best / metric` for accuracy (max). 1.000 is the "
        "grid-best, larger is worse, below 1 beats the grid; `inf` = diverged, or no LR (the method refused). Mean "
        f"over seeds, then over workloads. The grid-best is the best of {grid_size} "
        "tries, so it is biased in its favour: the "
        "grid's own runner-up is given per workload below.\n")  # fmt: skip

    groups = [(design, "design seeds"), (held_out, "held-out seeds")] if held_out and design else []
    for seeds, title in [*groups, (args.seeds, "all seeds")]:
        lines.extend(summary(results, exps, seeds, title))
        add("")

    add("## `lr=\"auto\"` per seed: ratio to grid-best (held-out seeds marked *)\n")
    add("| workload | " + " | ".join(f"seed {s}{'*' if s in held_out else ''}" for s in args.seeds) + " |")
    add("|---|" + "---:|" * len(args.seeds))
    for name in names:
        exp = exps[name]
        cells = []
        for seed in args.seeds:
            res = results[name][seed]
            run = res.methods["auto"]
            cells.append(f"{fmt_ratio(ratio(exp, run.metric, best_of(exp, res.grid)[1].metric))} "
                         f"(lr {fmt_lr(run.lr)})")  # fmt: skip
        add(f"| {name} | " + " | ".join(cells) + " |")

    add("\n## Per workload: reference, range-test time and the cost of `lr=\"auto\"`\n")
    add("| workload | metric | grid-best (mean over seeds) | grid-best peak LR per seed | grid runner-up ratio | "
        "one training (s) | `lr=\"auto\"` range test (s; steps per seed) | `find_lr` defaults (s; steps) | "
        "torch-lr-finder (s; steps) | auto cost = 1 + test / training | auto cost in-run |")  # fmt: skip
    add("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    cost = {name: costs(results[name]) for name in names}
    for name in names:
        exp, per_seed, c = exps[name], results[name], cost[name]
        bests = [best_of(exp, r.grid) for r in per_seed.values()]
        edge = any(lr in (coarse_grid()[0], coarse_grid()[-1]) for lr, _ in bests)
        add(f"| {name} | {exp.metric.name} ({exp.metric.direction}) | "
            f"{fmt_metric(exp, statistics.fmean(b.metric for _, b in bests))} | "
            f"{', '.join(fmt_lr(lr) for lr, _ in bests)}{' (grid edge!)' if edge else ''} | "
            f"{', '.join(fmt_ratio(runner_up(exp, r)) for r in per_seed.values())} | {c.train_s:.2f} | "
            f"{c.auto_s:.2f}; {'/'.join(str(r.auto_steps) for r in per_seed.values())} | "
            f"{c.default_s:.2f}; {'/'.join(str(r.tw_steps) for r in per_seed.values())} | "
            f"{c.tlf_s:.2f}; {'/'.join(str(r.tlf_steps) for r in per_seed.values())} | {c.auto:.2f}x | "
            f"{c.in_run:.2f}x |")  # fmt: skip

    add("\n## Targets (issue 3), checked on this run\n")
    if held_out and design:
        add("All seeds:\n")
    lines.extend(targets(results, exps, args.seeds, cost))
    if held_out and design:
        add("\nHeld-out seeds only (" + ", ".join(map(str, held_out)) + "):\n")
        lines.extend(targets(results, exps, held_out, None))

    add("\n## Detail: every seed\n")
    add("LR is the peak of one-cycle for auto, the suggesters and torch-lr-finder; the base LR for the others.\n")
    add("| workload | seed | method | LR | final val metric | ratio |")
    add("|---|---:|---|---:|---:|---:|")
    for name in names:
        exp = exps[name]
        for seed, res in results[name].items():
            best_lr, best = best_of(exp, res.grid)
            mark = "*" if seed in held_out else ""
            add(f"| {name} | {seed}{mark} | grid-best | {fmt_lr(best_lr)} | {fmt_metric(exp, best.metric)} | 1.000 |")
            for m in METHODS:
                run = res.methods[m]
                note = f" ({run.status})" if run.lr is None or run.status != "completed" else ""
                add(f"| {name} | {seed}{mark} | {m} | {fmt_lr(run.lr)} | {fmt_metric(exp, run.metric)}{note} | "
                    f"{fmt_ratio(ratio(exp, run.metric, best.metric))} |")  # fmt: skip

    add("\n## The grids (one-cycle, peak LR: final val metric)\n")
    for name in names:
        exp = exps[name]
        for seed, res in results[name].items():
            cells = ", ".join(f"{lr:.3g}: {fmt_metric(exp, res.grid[lr].metric)}" for lr in sorted(res.grid))
            add(f"- {name}, seed {seed}: {cells}")
    return "\n".join(lines) + "\n"


def main() -> None:
    torch.set_num_threads(1)  # two threads on these small models under load are ~10-20x slower
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="diamonds,digits,co2", help="comma-separated built-in experiments")
    parser.add_argument("--seeds", default="0,1", help="comma-separated seeds")
    parser.add_argument("--held-out", default="", help="comma-separated seeds not used to design lr='auto'")
    parser.add_argument("--repeats", type=int, default=2, help="timed range tests of each library per seed")
    parser.add_argument("--train-seeds", type=int, default=1,
                        help="trainings averaged per seed and LR or method (inits and data orders seed + 1000 k)")
    parser.add_argument("--quick", action="store_true", help="digits only, 1 seed, 2 epochs, 3 grid points")
    parser.add_argument("--out", type=Path, default=None, help="also write the Markdown report to this file")
    args = parser.parse_args()
    args.command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    if args.train_seeds < 1:
        parser.error(f"--train-seeds must be >= 1, got {args.train_seeds}")
    global TRAIN_SEEDS
    TRAIN_SEEDS = args.train_seeds
    if args.quick:
        args.workloads, args.seeds, args.repeats, args.held_out = "digits", "0", 1, ""
    args.seeds = [int(s) for s in args.seeds.split(",")]
    args.held_out = {int(s) for s in args.held_out.split(",") if s}
    if not args.held_out <= set(args.seeds):
        parser.error(f"--held-out {sorted(args.held_out)} must be among --seeds {args.seeds}")
    import matplotlib

    matplotlib.use("Agg")  # torch-lr-finder draws its suggestion; nothing is shown
    started = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    exps = {name: load_experiment(name) for name in args.workloads.split(",")}
    results: dict[str, dict[int, SeedResult]] = {}
    args.epochs = {}
    for name, exp in exps.items():
        epochs = args.epochs[name] = 2 if args.quick else exp.epochs
        results[name] = {}
        for seed in args.seeds:
            results[name][seed] = bench_seed(exp, seed, epochs, args.repeats, args.quick)
            log(f"{name} seed {seed} done, {(time.perf_counter() - t0) / 60:.1f} min so far")
    text = report(results, exps, args, started, time.perf_counter() - t0, (load0, os.getloadavg()[0]))
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
