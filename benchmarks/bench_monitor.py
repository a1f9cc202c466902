"""What watching a run costs: step time of a bare training loop against the same loop under a Monitor.

    python benchmarks/bench_monitor.py                  # both designs (~25 minutes on 2 CPU cores)
    python benchmarks/bench_monitor.py --design steps   # interleaved single steps only (~8 minutes)
    python benchmarks/bench_monitor.py --quick          # a smoke run

Two models on CPU (one thread, so that other processes disturb the timings less): an MLP (784-512-256-10,
batch 128) and a CNN (two 3x3 conv layers and a linear head on 1x28x28 inputs, batch 64), trained with Adam on
random data. The configurations — bare loop; Monitor at the default cadence (every 100 steps); every 16; every
step — share one model and optimizer and take turns in blocks of 100 steps (interleaved, so that a slow minute of
the machine hits all of them; the order alternates each round; the first round is a warm-up and is dropped).
A block holds a whole number of default-cadence periods, so every block of a configuration does the same work.
Reported: the median over blocks of the mean step time, and the overhead as the median over rounds of (block time
/ the bare loop's block time in the same round) with its interquartile range — pairing blocks run seconds apart
cancels the drifts of a shared machine. Times are the CPU time of the training thread (``time.thread_time``); the
wall-clock overhead is printed too. On a busy shared machine these A/B differences are noisy at the level of a few
percent, so the last column also accounts for the cost directly: the time spent inside the monitor's own code
(``Monitor.seconds``: its step calls and hooks) over the rest of the same block's time, median over blocks.

A second design (:func:`bench_steps`) interleaves single steps in a random order and stratifies the overhead by
the monitor's kind of step; its bootstrap interval is a few times narrower than the blocks' spread.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from trainwise.monitor import DEFAULT_EVERY, Monitor, is_measured_step  # noqa: E402


def mlp() -> tuple[nn.Module, tuple[int, ...], int]:
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    return model, (1, 28, 28), 128


def cnn() -> tuple[nn.Module, tuple[int, ...], int]:
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )  # fmt: skip
    return model, (1, 28, 28), 64


class Bench:
    """One model, optimizer and data set, trained block by block under a chosen configuration.

    All configurations share the same model and optimizer, so that no configuration is faster for owning a
    luckier memory layout; each monitor keeps its own step count (its blocks follow one another in its own
    time), and between its blocks its hooks are taken off so that they cannot fire during another's."""

    def __init__(self, factory, cadences: dict[str, int | None], seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.model, shape, batch = factory()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(seed)
        self.batches = [(torch.randn(batch, *shape, generator=g), torch.randint(0, 10, (batch,), generator=g)) for _ in range(8)]
        self.monitors = {label: Monitor(self.model, self.opt, every=every).start() if every else None
                         for label, every in cadences.items()}  # fmt: skip
        for monitor in self.monitors.values():
            if monitor is not None:
                monitor._disarm()
        self.loss_fn = nn.CrossEntropyLoss()
        self.i = 0

    def block(self, label: str, steps: int) -> tuple[float, float, float]:
        """Mean CPU seconds, wall seconds, and wall seconds inside the monitor per step over ``steps`` steps under
        configuration ``label``."""
        monitor = self.monitors[label]
        if monitor is not None:
            monitor._arm()  # its hooks, if its next step is a measured one
        inside = monitor.seconds if monitor is not None else 0.0
        cpu, start = time.thread_time(), time.perf_counter()
        for _ in range(steps):
            self._train_step(monitor)
        result = (time.thread_time() - cpu) / steps, (time.perf_counter() - start) / steps
        result += ((monitor.seconds - inside) / steps if monitor is not None else 0.0,)
        if monitor is not None:
            monitor._disarm()
        return result

    def one_step(self, label: str) -> tuple[float, str]:
        """CPU seconds of one training step under configuration ``label``, and the monitor's kind of step:
        ``"histogram"``, ``"measured"``, ``"after measured"`` (it reads the gradient agreement), ``"plain"``; the
        bare loop's steps are ``"bare"``. Arming the hooks is timed (in a loop of one configuration the previous
        step's ``after_step`` does it); taking them off for the next configuration is not."""
        monitor = self.monitors[label]
        kind = "bare" if monitor is None else _kind_of_step(monitor)
        cpu = time.thread_time()
        if monitor is not None:
            monitor._arm()
        self._train_step(monitor)
        seconds = time.thread_time() - cpu
        if monitor is not None:
            monitor._disarm()
        return seconds, kind

    def _train_step(self, monitor: Monitor | None) -> None:
        x, y = self.batches[self.i % len(self.batches)]
        self.i += 1
        loss = self.loss_fn(self.model(x), y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if monitor is not None:
            monitor.before_step()
        self.opt.step()
        if monitor is not None:
            monitor.after_step(loss)
        else:
            loss.item()  # the monitor reads the loss; so does any loop that logs it

    def close(self) -> None:
        for monitor in self.monitors.values():
            if monitor is not None:
                monitor.close()


def bench(name: str, factory, blocks: int, steps: int) -> list[dict]:
    configs = {"bare loop": None, f"Monitor every {DEFAULT_EVERY} (default)": DEFAULT_EVERY, "Monitor every 16": 16,
               "Monitor every step": 1}  # fmt: skip
    runner = Bench(factory, configs)
    times: dict[str, list[tuple[float, float, float]]] = {label: [] for label in configs}
    for b in range(blocks + 1):
        order = list(configs) if b % 2 == 0 else list(reversed(configs))
        for label in order:
            t = runner.block(label, steps)
            if b:  # block 0 warms up allocators and caches
                times[label].append(t)
    runner.close()

    def overhead(label: str, which: int) -> tuple[float, float, float]:
        ratios = sorted(t[which] / b[which] - 1 for t, b in zip(times[label], times["bare loop"]))
        q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
        return statistics.median(ratios), q[0], q[2]

    def inside(label: str) -> float:
        # the monitor's own time against the rest of the same block's step time
        return statistics.median(t[2] / (t[1] - t[2]) for t in times[label])

    rows = []
    for label in configs:
        monitor = runner.monitors[label]
        rows.append({"model": name, "config": label, "cpu_ms": 1e3 * statistics.median(t[0] for t in times[label]),
                     "cpu_overhead": overhead(label, 0), "wall_overhead": overhead(label, 1), "inside": inside(label),
                     "measured_steps": len(monitor.record["params"]["steps"]) if monitor else 0})  # fmt: skip
    return rows


def _kind_of_step(monitor: Monitor) -> str:
    step = monitor.step
    if monitor.histograms and step % monitor.histogram_every == 0:
        return "histogram"
    if is_measured_step(step, monitor.every):
        return "measured"
    if step > 0 and is_measured_step(step - 1, monitor.every):
        return "after measured"
    return "plain"


def bench_steps(name: str, factory, steps: int, seed: int = 0, resamples: int = 400) -> list[dict]:
    """The same configurations, interleaved step by step: each round runs one step of each, in a random order.

    Why a second design: blocks of 100 steps run seconds apart, and on a shared machine their times differ by
    several percent from block to block, as much as the effect measured. Steps run milliseconds apart share the
    machine's moment; the random order spreads what one step leaves in the caches for the next evenly over the
    configurations. A monitor's steps are of a few kinds (plain steps pay for the gradient norm; measured,
    after-measured and histogram steps for more), so its overhead is stratified: for each kind, the median step
    time of that kind minus the bare loop's median step, weighted by how often the kind occurs in the monitor's
    own run, over the bare median. Medians keep a hiccup of the machine out; the weights keep the rare heavy
    steps in. Steps before the monitor's cadence settles (the powers of two below ``every``) are left out. The
    interval is a bootstrap over rounds (a resampled round keeps its step of every configuration together):
    2.5% and 97.5% quantiles of ``resamples`` resamplings."""
    configs = {"bare loop": None, f"Monitor every {DEFAULT_EVERY} (default)": DEFAULT_EVERY, "Monitor every 16": 16,
               "Monitor every step": 1}  # fmt: skip
    runner = Bench(factory, configs, seed=seed)
    order_rng = random.Random(seed)
    labels = list(configs)
    seconds: dict[str, list[float]] = {label: [] for label in labels}  # one entry per round, in round order
    kinds: dict[str, list[str]] = {label: [] for label in labels}
    warmup = max(configs[label] or 0 for label in labels)  # the powers of two below every, for every cadence
    for r in range(steps + warmup):
        order_rng.shuffle(labels)
        for label in labels:
            t, kind = runner.one_step(label)
            if r >= warmup:
                seconds[label].append(t)
                kinds[label].append(kind)
    runner.close()

    def overhead(t: np.ndarray, kind: np.ndarray, bare: np.ndarray) -> float:
        base = float(np.median(bare))
        return sum(np.mean(kind == k) * (float(np.median(t[kind == k])) - base) for k in np.unique(kind)) / base

    bare = np.array(seconds["bare loop"])
    draws = np.random.default_rng(seed).integers(0, steps, size=(resamples, steps))
    rows = [{"model": name, "config": "bare loop", "cpu_ms": 1e3 * float(np.median(bare))}]
    for label in configs:
        if configs[label] is None:
            continue
        t, kind = np.array(seconds[label]), np.array(kinds[label])
        boot = sorted(overhead(t[i], kind[i], bare[i]) for i in draws)
        rows.append({
            "model": name, "config": label, "overhead": overhead(t, kind, bare),
            "interval": (boot[int(0.025 * resamples)], boot[int(0.975 * resamples) - 1]),
            "kinds": {k: (float(np.mean(kind == k)), 1e3 * (float(np.median(t[kind == k])) - float(np.median(bare))))
                      for k in np.unique(kind)},
        })  # fmt: skip
    return rows


def print_steps(rows: list[dict], steps: int) -> None:
    print(f"\nInterleaved steps: {steps} rounds of one step per configuration in a random order; CPU time of the "
          "training thread; overhead stratified by the monitor's kind of step (medians), 95% bootstrap interval\n")
    print("| model | configuration | overhead | 95% interval | by kind of step: share of steps, extra ms per step |")
    print("|---|---|---:|---:|---|")
    for r in rows:
        if "overhead" not in r:
            print(f"| {r['model']} | {r['config']} ({r['cpu_ms']:.2f} ms / step) | - | - | - |")
            continue
        low, high = r["interval"]
        kinds = "; ".join(f"{k} {100 * share:.1f}%: {extra:+.3f}" for k, (share, extra) in r["kinds"].items())
        print(f"| {r['model']} | {r['config']} | {100 * r['overhead']:+.2f}% | {100 * low:+.2f}% .. {100 * high:+.2f}% "
              f"| {kinds} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few blocks and steps, for a smoke run")
    parser.add_argument("--design", choices=("both", "blocks", "steps"), default="both",
                        help="blocks of steps, single steps interleaved, or both (default)")
    parser.add_argument("--blocks", type=int, default=None, help="rounds of blocks (default 30)")
    parser.add_argument("--steps", type=int, default=DEFAULT_EVERY, help="steps per block (a multiple of the default cadence)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds of interleaved single steps (default 1600: two histogram periods of the default)")
    args = parser.parse_args()
    blocks = args.blocks or (3 if args.quick else 30)
    rounds = args.rounds or (200 if args.quick else 1600)
    torch.set_num_threads(1)
    models = (("MLP 784-512-256-10, batch 128", mlp), ("CNN 2 conv + linear, batch 64", cnn))
    print(f"torch {torch.__version__}, 1 CPU thread")
    if args.design in ("both", "blocks"):
        rows = [row for name, factory in models for row in bench(name, factory, blocks, args.steps)]
        print(f"\nBlocks: {blocks} interleaved rounds of one {args.steps}-step block per configuration; CPU time of "
              "the training thread\n")
        print("| model | configuration | ms / step | overhead: A/B (median) | A/B IQR | A/B wall clock | time inside the monitor |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for r in rows:
            if r["config"] == "bare loop":
                print(f"| {r['model']} | {r['config']} | {r['cpu_ms']:.2f} | - | - | - | - |")
                continue
            med, q1, q3 = r["cpu_overhead"]
            print(f"| {r['model']} | {r['config']} | {r['cpu_ms']:.2f} | {100 * med:+.1f}% | {100 * q1:+.1f}% .. "
                  f"{100 * q3:+.1f}% | {100 * r['wall_overhead'][0]:+.1f}% | {100 * r['inside']:+.2f}% |")
    if args.design in ("both", "steps"):
        print_steps([row for name, factory in models for row in bench_steps(name, factory, rounds)], rounds)


if __name__ == "__main__":
    main()
