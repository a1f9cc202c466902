"""Benchmark: the LR suggestions of ``bench_lr_suggestions.py``, judged on expected metrics instead of single runs.

    python benchmarks/bench_lr_expected.py --trainings co2=40,digits=16,diamonds=6 --first-seed 100 --out benchmarks/results/lr_expected.md
    python benchmarks/bench_lr_expected.py --quick          # smoke run, ~1 min

``--first-seed 100`` runs it on seeds that ``lr="auto"``'s design never looked at (it was shaped on 0-39).

Why a second design. ``bench_lr_suggestions.py`` compares, seed by seed, one training of each method with the best
of 13 single trainings of a one-cycle LR grid. On the co2 LSTM one training's final MAE varies by 2-3% between
inits and data orders (neighbouring grid points differ as much), more than the 1% the issue's target allows, and
the best of 13 noisy points sits below what any LR gives on average: that design cannot tell a 1% miss from luck.
Every built-in experiment has a fixed data split, so a seed only chooses the model's init and the data order
(``make_model(s)``, ``loaders(seed=s)``, ``fit(seed=s)``): each method and each grid LR is trained at seeds
``first .. first + N - 1`` (``--first-seed``, default 0) and judged on its **mean** final validation metric, the
reference being the grid LR with the best mean. Comparisons are paired (every method and LR sees the same N inits and data orders), and each ratio gets a
95% interval from the per-seed differences.

The grid (one-cycle, the experiment's optimizer, Adam): the half-decades 1e-4 .. 1 at the first ``min(N, 8)``
seeds, then every sixth of a decade within half a decade of the best of those (7 LRs) at all N seeds; the
grid-best is the best mean among the LRs trained at all N seeds. The methods are those of
``bench_lr_suggestions.py`` (its docstring says how each is run): ``lr="auto"`` as a user calls it (its own range
test in every training), the four suggesters read off one ``find_lr`` run with its defaults at each seed (each
distinct LR trained once), torch-lr-finder's steepest, schedule-free AdamW, Prodigy and Adam at 1e-3.

Trainings run in ``--jobs`` processes of one thread each. Times are taken before them, alone: ``--repeats`` rounds
of (``lr="auto"``'s range test, ``find_lr`` defaults, torch-lr-finder's test, one training at the experiment's LR),
interleaved; the cost of ``lr="auto"`` is ``1 + median test / median training``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import multiprocessing as mp
import os
import platform
import shlex
import statistics
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import bench_lr_suggestions as single  # noqa: E402  (the methods, the range tests and the one-cycle trainings)

from trainwise.experiments import load_experiment  # noqa: E402

COARSE_SEEDS = 8  # seeds of the half-decade grid: enough to see where the optimum is, not to rank its neighbours
Z95 = 1.96


def fine_grid(center: float) -> list[float]:
    return [center * 10 ** (k / 6) for k in range(-3, 4)]


# ---------------------------------------------------------------------------------------------- one training


def _job(job: tuple) -> list[tuple]:
    """Trainings in a worker: ``(workload, seed, kind, key)`` -> ``[(..., lr, metric, seconds, range_test_s)]``.

    ``kind`` is ``"grid"`` (``key`` = the one-cycle peak LR), ``"method"`` (``key`` = a method's name) or
    ``"suggesters"`` (every trainwise suggester, read off one range test, each LR trained once)."""
    workload, seed, kind, key, epochs = job
    torch.set_num_threads(1)
    exp = load_experiment(workload)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "grid":
            runs = {key: single.one_cycle(exp, seed, epochs, key)}
        elif kind == "suggesters":
            runs, kind = _suggesters(exp, seed, epochs), "method"
        else:
            runs = {key: _method(exp, seed, epochs, key)}
    return [(workload, seed, kind, k, run.lr, run.metric, run.seconds, run.range_test_s) for k, run in runs.items()]


def _suggesters(exp, seed: int, epochs: int) -> dict[str, single.Run]:
    """Each trainwise suggester's LR from one ``find_lr`` run (it is repeatable), trained once per distinct LR."""
    result, _ = single.trainwise_range_test(exp, seed)
    trained: dict[float, single.Run] = {}
    runs = {}
    for name in single.SUGGESTERS:
        lr = result.suggestions.get(name)
        if lr is None:
            runs[name] = single.Run(None, math.nan, math.nan, "no LR")
            continue
        if lr not in trained:
            trained[lr] = single.one_cycle(exp, seed, epochs, lr)
        runs[name] = trained[lr]
    return runs


def _method(exp, seed: int, epochs: int, name: str) -> single.Run:
    if name == "auto":
        try:
            return single.train(exp, seed, epochs, optimizer=exp.optimizer, lr="auto")
        except ValueError:  # the range test found no LR: fit raises
            return single.Run(None, math.nan, math.nan, "no LR")
    if name == "torch-lr-finder":
        lr, _, _ = single.tlf_range_test(exp, seed)
    elif name == "schedulefree AdamW":
        return single.schedulefree_run(exp, seed, epochs)
    elif name == "Prodigy":
        return single.prodigy_run(exp, seed, epochs)
    elif name == "Adam 1e-3":
        return single.train(exp, seed, epochs, optimizer=exp.optimizer, lr=single.ADAM_LR)
    else:
        raise ValueError(f"unknown method {name!r}")
    return single.one_cycle(exp, seed, epochs, lr) if lr is not None else single.Run(None, math.nan, math.nan, "no LR")


def _init_worker() -> None:
    import matplotlib

    matplotlib.use("Agg")  # torch-lr-finder draws its suggestion; nothing is shown
    torch.set_num_threads(1)


def run_jobs(pool, jobs: list[tuple], store: dict, t0: float) -> None:
    done = 0
    for results in pool.imap_unordered(_job, jobs):
        for workload, seed, kind, key, lr, metric, seconds, range_s in results:
            store[workload][kind, key][seed] = (lr, metric, seconds, range_s)
        done += 1
        if done % 25 == 0 or done == len(jobs):
            single.log(f"{done}/{len(jobs)} jobs, {(time.perf_counter() - t0) / 60:.1f} min")


# ---------------------------------------------------------------------------------------------------- times


def timings(exp, epochs: int, repeats: int, first_seed: int) -> dict[str, float]:
    """Median seconds of each range test and of one training, measured alone and interleaved."""
    out: dict[str, list[float]] = defaultdict(list)
    for r in range(first_seed, first_seed + repeats):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with contextlib.suppress(ValueError):
                _, steps, seconds = single.auto_range_test(exp, r, epochs)
                out["auto"].append(seconds)
                out["auto_steps"].append(steps)
            result, seconds = single.trainwise_range_test(exp, r)
            out["find_lr"].append(seconds)
            _, _, seconds = single.tlf_range_test(exp, r)
            out["tlf"].append(seconds)
            start = time.perf_counter()
            single.one_cycle(exp, r, epochs, exp.lr)
            out["training"].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in out.items()}


# ------------------------------------------------------------------------------------------------- analysis


def _mean(values: dict[int, tuple], seeds: list[int]) -> float:
    return float(np.mean([values[s][1] for s in seeds]))


def _answered(values: dict[int, tuple], seeds: list[int]) -> list[int]:
    """The seeds at which a training had an LR and did not diverge."""
    return [s for s in seeds if values[s][0] is not None and math.isfinite(values[s][1])]


def analyse(exp, runs: dict, seeds: list[int]) -> dict:
    """The grid-best and, for each method, its mean, ratio to the grid-best and the ratio's 95% interval."""
    maximize = exp.metric.direction == "max"
    full = {lr: v for (kind, lr), v in runs.items() if kind == "grid" and set(v) >= set(seeds)}
    means = {lr: _mean(v, seeds) for lr, v in full.items() if len(_answered(v, seeds)) == len(seeds)}
    best_lr = (max if maximize else min)(means, key=means.get)
    best = means[best_lr]

    def rel(metric: float, ref: float) -> float:
        if not math.isfinite(metric) or metric <= 0:
            return math.inf
        return ref / metric if maximize else metric / ref

    def judged(values: dict[int, tuple]) -> dict:
        ok = _answered(values, seeds)
        out = {"failed": len(seeds) - len(ok), "lrs": [values[s][0] for s in ok]}
        if not ok:
            return {**out, "mean": math.nan, "ratio": math.inf, "low": math.inf, "high": math.inf, "ratio_ok": math.inf}
        diffs = np.array([values[s][1] - full[best_lr][s][1] for s in ok])
        half = Z95 * diffs.std(ddof=1) / math.sqrt(len(ok)) if len(ok) > 1 else math.inf
        ref = float(np.mean([full[best_lr][s][1] for s in ok]))  # the grid-best on the same seeds
        mean = _mean(values, ok)
        bounds = sorted(rel(ref + diffs.mean() + sign * half, ref) for sign in (-1, 1))
        return {**out, "mean": mean, "ratio": rel(mean, best) if not out["failed"] else math.inf,
                "ratio_ok": rel(mean, ref), "low": bounds[0], "high": bounds[1]}  # fmt: skip

    def partial(values: dict[int, tuple]) -> dict:  # a coarse point trained at the first seeds only
        mean = _mean(values, sorted(values))
        return {"n": len(values), "mean": mean, "ratio": rel(mean, best)}

    grid = {lr: {**judged(v), "n": len(v)} if set(v) >= set(seeds) else partial(v)
            for (kind, lr), v in runs.items() if kind == "grid"}  # fmt: skip
    methods = {name: judged(v) for (kind, name), v in runs.items() if kind == "method"}
    return {"best_lr": best_lr, "best": best, "grid": grid, "methods": methods, "maximize": maximize}


# --------------------------------------------------------------------------------------------------- report


def _r(value: float) -> str:
    return "inf" if not math.isfinite(value) else f"{value:.3f}"


def report(args, exps, analyses, times, started: str, wall_s: float, loads: tuple) -> str:
    lines: list[str] = []
    add = lines.append
    names = list(exps)
    add("# LR suggestion quality on expected metrics: `lr=\"auto\"` and the others against a dense LR grid\n")
    add(f"Command: `{args.command}`  ")
    add(f"Date: {started}; wall time of the whole run {wall_s / 60:.1f} min  ")
    add(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}; {args.jobs} worker processes of one thread; load average (1 min) "
        f"{loads[0]:.1f} at the start, {loads[1]:.1f} at the end  ")  # fmt: skip
    add(single.versions_line())
    add(f"Trainings per method and grid LR (seeds {args.first_seed} .. {args.first_seed} + N - 1: model init, data "
        "order and fit seed; the split is each experiment's own): "
        + ", ".join(f"{n} N={args.trainings[n]}" for n in names) + "; epochs: "
        + ", ".join(f"{n} {args.epochs[n]}" for n in names) + ".\n")  # fmt: skip
    add("Ratio to grid-best: the method's mean final validation metric over the N seeds against the best mean of "
        "the grid (`mean / best` for MAE, `best / mean` for accuracy); 1.000 is the grid-best, larger is worse. "
        "[low, high] is a 95% interval from the per-seed differences to the grid-best (paired). `inf` = the method "
        "gave no LR or diverged at some seed; the ratio over the seeds where it did is then given after it.\n")

    add("## Summary: ratio to grid-best\n")
    add("| method | " + " | ".join(names) + " | mean |")
    add("|---|" + "---:|" * (len(names) + 1))
    means_by_method = {}
    for method in single.METHODS:
        cells, values = [], []
        for name in names:
            m = analyses[name]["methods"][method]
            text = f"{_r(m['ratio'])} [{_r(m['low'])}, {_r(m['high'])}]"
            if m["failed"]:
                text += f" ({m['failed']} of {args.trainings[name]} no LR; {_r(m['ratio_ok'])} on the rest)"
            cells.append(text)
            values.append(m["ratio"])
        means_by_method[method] = float(np.mean(values))
        label = "**auto** (`fit(lr=\"auto\")`)" if method == "auto" else method
        add(f"| {label} | " + " | ".join(cells) + f" | {_r(means_by_method[method])} |")
    add("")

    add("## Per workload\n")
    for name in names:
        a, exp = analyses[name], exps[name]
        add(f"### {name} ({exp.metric.name}, {'max' if a['maximize'] else 'min'}; N={args.trainings[name]})\n")
        add(f"Grid-best: peak LR {a['best_lr']:.3g}, mean {exp.metric.name} {a['best']:.4g}. The grid (mean over "
            "the seeds it was trained at; ratio to the grid-best with its 95% interval where trained at all N):\n")
        add("| peak LR | seeds | mean | ratio |")
        add("|---:|---:|---:|---:|")
        for lr in sorted(a["grid"]):
            g = a["grid"][lr]
            interval = f" [{_r(g['low'])}, {_r(g['high'])}]" if "low" in g else ""
            add(f"| {lr:.3g} | {g['n']} | {g['mean']:.4g} | {_r(g['ratio'])}{interval} |")
        add("")
        add("| method | mean | ratio [95%] | LR: median (min .. max) over seeds | no LR / diverged |")
        add("|---|---:|---:|---|---:|")
        for method in single.METHODS:
            m = a["methods"][method]
            lrs = [lr for lr in m["lrs"] if lr is not None]
            spread = (f"{statistics.median(lrs):.3g} ({min(lrs):.3g} .. {max(lrs):.3g})" if lrs and
                      len(set(lrs)) > 1 else (f"{lrs[0]:.3g}" if lrs else "-"))  # fmt: skip
            add(f"| {method} | {m['mean']:.4g} | {_r(m['ratio'])} [{_r(m['low'])}, {_r(m['high'])}] | {spread} | "
                f"{m['failed']} |")
        add("")

    add("## Cost of `lr=\"auto\"` (times measured alone, before the trainings)\n")
    add("| workload | one training (s) | `lr=\"auto\"` range test (s; steps) | `find_lr` defaults (s) | "
        "torch-lr-finder (s) | cost = 1 + test / training |")
    add("|---|---:|---:|---:|---:|---:|")
    costs = {}
    for name in names:
        t = times[name]
        costs[name] = 1 + t.get("auto", math.nan) / t["training"]
        add(f"| {name} | {t['training']:.2f} | {t.get('auto', math.nan):.2f}; {t.get('auto_steps', 0):.0f} | "
            f"{t['find_lr']:.2f} | {t['tlf']:.2f} | {costs[name]:.2f}x |")
    add("")

    add("## Targets (issue 3), checked on this run\n")
    auto = {n: analyses[n]["methods"]["auto"] for n in names}
    within = all(auto[n]["ratio"] <= 1.01 for n in names)
    add(f"- `lr=\"auto\"` within 1% of grid-best on every workload: **{'met' if within else 'missed'}** ("
        + ", ".join(f"{n} {_r(auto[n]['ratio'])}, 95% interval [{_r(auto[n]['low'])}, {_r(auto[n]['high'])}]"
                    for n in names) + ")")  # fmt: skip
    others = {k: v for k, v in means_by_method.items() if k != "auto"}
    ahead = all(means_by_method["auto"] < v for v in others.values())
    add(f"- ahead of every other method on average: **{'met' if ahead else 'missed'}** (auto "
        f"{_r(means_by_method['auto'])}; " + ", ".join(f"{k} {_r(v)}" for k, v in others.items()) + ")")
    cheap = all(c < 1.3 for c in costs.values())
    add(f"- cost below 1.3x one training run: **{'met' if cheap else 'missed'}** ("
        + ", ".join(f"{n} {c:.2f}x" for n, c in costs.items()) + ")")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------------- main


def main() -> None:
    torch.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainings", default="co2=40,digits=16,diamonds=6",
                        help="workload=N pairs: the built-in experiments and how many seeds each is trained at")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds are first-seed .. first-seed + N - 1 (e.g. 100: seeds never used in design)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (one thread each)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds of the range tests and a training")
    parser.add_argument("--quick", action="store_true", help="digits, 2 seeds, 2 epochs, 1 timed round")
    parser.add_argument("--out", type=Path, default=None, help="also write the Markdown report to this file")
    args = parser.parse_args()
    args.command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    if args.quick:
        args.trainings, args.repeats = "digits=2", 1
    try:
        args.trainings = {k: int(v) for k, v in (pair.split("=") for pair in args.trainings.split(","))}
    except ValueError:
        parser.error(f"--trainings must look like co2=32,digits=16, got {args.trainings!r}")
    if any(n < 2 for n in args.trainings.values()) or args.jobs < 1 or args.repeats < 1 or args.first_seed < 0:
        parser.error("every N in --trainings must be >= 2, --jobs and --repeats >= 1, --first-seed >= 0")
    seeds = {name: list(range(args.first_seed, args.first_seed + n)) for name, n in args.trainings.items()}
    import matplotlib

    matplotlib.use("Agg")
    started = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    exps = {name: load_experiment(name) for name in args.trainings}
    args.epochs = {name: 2 if args.quick else exp.epochs for name, exp in exps.items()}

    times = {}
    for name, exp in exps.items():
        times[name] = timings(exp, args.epochs[name], args.repeats, args.first_seed)
        single.log(f"{name}: times {({k: round(v, 2) for k, v in times[name].items()})}")

    runs: dict[str, dict] = {name: defaultdict(dict) for name in exps}
    coarse = single.coarse_grid()[::4] if args.quick else single.coarse_grid()
    first = []
    for name, n in args.trainings.items():
        e = args.epochs[name]
        first += [(name, s, "grid", lr, e) for lr in coarse for s in seeds[name][:COARSE_SEEDS]]
        first += [(name, s, "method", m, e) for m in single.METHODS if m not in single.SUGGESTERS for s in seeds[name]]
        first += [(name, s, "suggesters", None, e) for s in seeds[name]]
    with mp.get_context("spawn").Pool(args.jobs, initializer=_init_worker) as pool:
        run_jobs(pool, first, runs, t0)
        second = []
        for name, n in args.trainings.items():
            coarse_means = {lr: _mean(runs[name]["grid", lr], seeds[name][:COARSE_SEEDS]) for lr in coarse}
            finite = {lr: v for lr, v in coarse_means.items() if math.isfinite(v)}
            center = (max if exps[name].metric.direction == "max" else min)(finite, key=finite.get)
            single.log(f"{name}: coarse grid best {center:.3g}; refining at {n} seeds")
            for lr in fine_grid(center):
                known = next((k for (kind, k) in runs[name] if kind == "grid" and math.isclose(k, lr)), lr)
                second += [(name, s, "grid", known, args.epochs[name]) for s in seeds[name]
                           if s not in runs[name]["grid", known]]  # fmt: skip
        run_jobs(pool, second, runs, t0)
    analyses = {name: analyse(exps[name], runs[name], seeds[name]) for name in args.trainings}
    text = report(args, exps, analyses, times, started, time.perf_counter() - t0, (load0, os.getloadavg()[0]))
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        raw = {name: [{"kind": kind, "key": key, "seed": s, "lr": lr, "metric": metric}
                      for (kind, key), per_seed in runs[name].items()
                      for s, (lr, metric, _, _) in sorted(per_seed.items())] for name in runs}  # fmt: skip
        args.out.with_suffix(".json").write_text(json.dumps(raw))
        single.log(f"wrote {args.out} and every training's result to {args.out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
