"""The whole method of the seeds, run on one experiment: the record behind ``trainwise demo``.

Measure only: :func:`run_demo` returns a JSON-able record (the runs, the range test, the checks, the diagnosis,
the playground, the time each stage took); the CLI shows progress and the report package draws it.
"""

from __future__ import annotations

import datetime as _dt
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from trainwise import schedules as S
from trainwise.diagnose import diagnose
from trainwise.experiments import Experiment, load_experiment
from trainwise.gradcheck import check_gradients
from trainwise.history import History
from trainwise.lr_finder import find_lr
from trainwise.monitor import Monitor
from trainwise.optimizers import make_optimizer
from trainwise.playground import run_playground
from trainwise.preflight import preflight
from trainwise.schedule_specs import from_spec
from trainwise.training import Callback, fit_experiment

__all__ = ["run_demo", "DEMO_OPTIMIZERS", "seed001_custom"]

DEMO_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
RECORD_KIND = "trainwise-demo"

ProgressFactory = Callable[[str, int], Sequence[Callback]]


def seed001_custom(epoch: int, lr: float, *, epochs: int = 10) -> float:
    """Seed 001's custom callback, by hand: keep the LR for the first 40% of epochs, then a tenth of it, then a
    hundredth for the last 20% (the seed overrode the LR per epoch and found the lowest LR gave the lowest loss)."""
    return lr / 10 if epoch > 0 and epoch in (int(0.4 * epochs), int(0.8 * epochs)) else lr


class _Stages:
    def __init__(self, on_stage: Callable[[str], None] | None):
        self.on_stage, self.seconds = on_stage, {}

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        if self.on_stage:
            self.on_stage(name)
        started = time.perf_counter()
        try:
            return fn()
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 3)


def run_demo(
    experiment: str | Experiment = "diamonds",
    *,
    quick: bool = False,
    seed: int = 0,
    progress: ProgressFactory | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the demo on ``experiment`` and return its record (see the module docstring).

    ``quick`` trains 3 epochs per schedule and 2 per optimizer instead of the experiment's epochs and half of
    them. ``progress(label, total_steps)`` may return callbacks (e.g. a progress bar) for each training run, and
    ``on_stage(name)`` is told when a stage starts.
    """
    exp = load_experiment(experiment)
    epochs = 3 if quick else exp.epochs
    opt_epochs = 2 if quick else max(2, exp.epochs // 2)
    stages = _Stages(on_stage)
    record: dict[str, Any] = {
        "format_version": 1,
        "kind": RECORD_KIND,
        "experiment": exp.name,
        "experiment_info": {
            "name": exp.name, "description": exp.description, "task": exp.task, "metric": exp.metric.name,
            "direction": exp.metric.direction, "batch_size": exp.batch_size, "epochs": epochs,
            "optimizer": exp.optimizer, "default_lr": exp.lr,
        },
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "quick": quick,
        "seed": seed,
        "runs": [],
    }

    diagnoses: dict[str, Any] = {}
    steps_per_epoch = len(exp.loaders(seed=seed)[0])

    def train(label: str, group: str, *, optimizer: str, lr: float, schedule: Any, n_epochs: int) -> History:
        callbacks = list(progress(label, n_epochs * steps_per_epoch)) if progress else []
        history = fit_experiment(
            exp, seed=seed, epochs=n_epochs, optimizer=optimizer, lr=lr, schedule=schedule,
            callbacks=[Monitor(), *callbacks],  # the doctor's instruments, on every run (default cadence: cheap)
        )
        diagnoses[label] = diagnose(history)
        record["runs"].append({"name": label, "group": group, "lr": lr, "history": history.to_dict()})
        return history

    # 0. Seed 002's checks before training: pre-flight sanity checks and a gradient check.
    def checks():
        report = preflight(exp.make_model(seed), exp.loss_fn, exp.loaders(seed=seed)[0], task=exp.task,
                           num_classes=exp.num_classes, weight_decay=1e-3, seed=seed)
        grads = check_gradients(exp.make_model(seed), exp.loss_fn, exp.sample_batch(8), seed=seed)
        return report.as_dict(), grads.as_dict()

    record["preflight"], record["gradcheck"] = stages.run("checks", checks)

    # 1. The LR range test, with the experiment's optimizer.
    def range_test():
        model = exp.make_model(seed)
        optimizer = make_optimizer(exp.optimizer, model.parameters(), lr=exp.lr)
        train_loader, _ = exp.loaders(seed=seed)
        return find_lr(model, optimizer, exp.loss_fn, train_loader, num_steps=60 if quick else 100)

    finder = stages.run("LR range test", range_test)
    record["lr_finder"] = finder.to_dict()
    lr = finder.suggestion if finder.suggestion is not None else exp.lr
    record["chosen_lr"] = {"lr": lr, "source": "range test" if finder.suggestion is not None else "experiment default"}

    # 2. Seed 001: one model and seed, six schedules.
    total = epochs * steps_per_epoch
    bounds = finder.cyclic_bounds() or (lr / 10, lr)
    policies = {
        "constant": None,
        "exponential": S.exponential(lr, gamma=0.01 ** (1 / total)),
        "cyclic": S.cyclic(bounds[0], bounds[1], step_size_up=max(1, total // 8), mode="triangular2"),
        "custom": S.per_epoch(S.custom(lambda e, v: seed001_custom(e, v, epochs=epochs), initial_value=lr),
                              steps_per_epoch=steps_per_epoch),
        "one-cycle": S.one_cycle_policy(lr, total_steps=total),
        "SGDR": from_spec("sgdr", total_steps=total, value=lr)["lr"],
    }

    def schedule_runs():
        for label, policy in policies.items():
            train(label, "schedules", optimizer=exp.optimizer, lr=lr, schedule=policy, n_epochs=epochs)

    stages.run("schedules", schedule_runs)
    record["schedules"] = {
        label: (None if p is None else {k: v.describe() for k, v in p.items()} if isinstance(p, dict) else p.describe())
        for label, p in policies.items()
    }

    # 3. Seeds 002 and 004: each optimizer at the LR its own quick range test suggests.
    def optimizer_runs():
        chosen = {}
        for name in DEMO_OPTIMIZERS:
            model = exp.make_model(seed)
            optimizer = make_optimizer(name, model.parameters(), lr=exp.lr)
            result = find_lr(model, optimizer, exp.loss_fn, exp.loaders(seed=seed)[0], num_steps=50 if quick else 80)
            chosen[name] = {"lr": result.suggestion if result.suggestion is not None else exp.lr,
                            "suggested": result.suggestion is not None, "range_test_s": round(result.elapsed_s, 3)}
            train(name, "optimizers", optimizer=name, lr=chosen[name]["lr"], schedule=None, n_epochs=opt_epochs)
        return chosen

    record["optimizer_lrs"] = stages.run("optimizers", optimizer_runs)

    # 4. Seed 002's animations: the same optimizers on 2-D surfaces.
    record["playground"] = [r.to_dict() for r in stages.run("playground", lambda: run_playground())]
    record["timings"] = dict(stages.seconds)
    record["best_run"] = _best_run(record)
    # 5. The training doctor on the best run, and what it said about every run.
    if record["best_run"] is not None:
        best = diagnoses[record["best_run"]]
        record["diagnosis"] = {
            "run": record["best_run"],
            "findings": [{**f.to_dict(), "evidence_text": f.evidence_text()} for f in best.findings],
            "per_run": {name: d.names for name, d in diagnoses.items()},
        }
    return record


def _best_run(record: dict[str, Any]) -> str | None:
    best, best_value = None, math.inf
    for run in record["runs"]:
        h = run["history"]
        sign = -1.0 if h.get("metric_direction") == "max" else 1.0
        for e in h["epochs"]:
            v = e.get("val_metric")
            if v is not None and sign * v < best_value:
                best, best_value = run["name"], sign * v
    return best
