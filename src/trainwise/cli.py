"""The ``trainwise`` command. Thin: parse, call the library, render with Rich."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(
    name="trainwise",
    help="Find the learning rate, pick a schedule, check the gradients and see what is going wrong in training.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
schedule_app = typer.Typer(help="Draw and list schedules.", no_args_is_help=True)
app.add_typer(schedule_app, name="schedule")

console = Console()

# Options several commands share, declared once (Typer reads them; it does not change them).
_EXPERIMENT = typer.Argument(..., help="A built-in experiment name or path/to/file.py:function.")
_EPOCHS = typer.Option(None, help="Epochs (default: the experiment's).")
_OPTIMIZER = typer.Option(None, help="sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw.")
_BATCH_SIZE = typer.Option(None, help="Batch size (default: the experiment's).")
_TRAINING_SEED = typer.Option(0, help="Seed for weights and data order.")


@app.callback()
def _options(
    threads: int = typer.Option(
        1, "--threads", min=1,
        help="CPU threads for torch. Small models train fastest on one (more threads only add contention); "
        "raise it for large models.",
    ),
) -> None:
    import torch

    torch.set_num_threads(threads)


def main() -> None:
    app()


def _run(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except (ValueError, TypeError, FileNotFoundError, ImportError) as exc:  # the user's input, not a bug: exit 2
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from exc


# -- training ------------------------------------------------------------------------------------------------


def _progress_callback(progress: Progress, label: str, total: int):
    from trainwise.training import Callback

    class _Bar(Callback):
        """Advances a Rich progress bar once per optimizer update and shows the latest loss."""

        def on_fit_start(self, state):
            self.task = progress.add_task(label, total=total, loss="")

        def on_after_step(self, state):
            progress.update(self.task, advance=1, loss=f"loss {state.history.losses[-1]:.4g}")

        def on_fit_end(self, state):
            progress.update(self.task, completed=state.step)

    return _Bar()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[loss]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _train_runs(
    experiment: Any,
    schedules: list[str],
    *,
    epochs: Optional[int],
    lr: Optional[float],
    optimizer: Optional[str],
    batch_size: Optional[int],
    seed: int,
) -> dict[str, Any]:
    """Train ``experiment`` once per schedule spec, from the same initial weights and seed."""
    from trainwise.training import fit_experiment

    epochs = epochs or experiment.epochs
    steps = epochs * len(experiment.loaders(batch_size=batch_size, seed=seed)[0])
    runs = {}
    with _progress() as progress:
        for spec in schedules:
            runs[spec] = fit_experiment(
                experiment, seed=seed, epochs=epochs, lr=lr, optimizer=optimizer, batch_size=batch_size,
                schedule=None if spec in ("none", "constant") else spec,
                callbacks=[_progress_callback(progress, spec, steps)],
            )
    return runs


def _summary_table(title: str, runs: dict[str, Any], metric_name: Optional[str]) -> Table:
    metric = metric_name or "metric"
    table = Table(title=title, title_justify="left")
    for col, just in [("run", "left"), ("status", "left"), ("train loss", "right"), ("val loss", "right"),
                      (f"val {metric}", "right"), (f"best val {metric}", "right"), ("time", "right")]:
        table.add_column(col, justify=just)
    for name, h in runs.items():
        s = h.summary()
        table.add_row(
            name, s["status"], _fmt(s["final_train_loss"]), _fmt(s["final_val_loss"]),
            _fmt(s["final_val_metric"]), _fmt(s["best_val_metric"]), f"{s['elapsed_s']:.1f}s",
        )
    return table


def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x:.4g}"


@app.command()
def train(
    experiment: str = _EXPERIMENT,
    schedule: list[str] = typer.Option(
        ["onecycle"], "--schedule", "-s", help="Schedule spec (repeat to compare), e.g. onecycle, sgdr, 'cosine:warmup_steps=100', constant."
    ),
    epochs: Optional[int] = _EPOCHS,
    lr: Optional[float] = typer.Option(None, help="Peak learning rate (default: the experiment's)."),
    optimizer: Optional[str] = _OPTIMIZER,
    batch_size: Optional[int] = _BATCH_SIZE,
    seed: int = _TRAINING_SEED,
    out: Optional[Path] = typer.Option(None, help="Write the runs as JSON here."),
) -> None:
    """Train an experiment with one or more schedules and print a summary."""
    from trainwise.experiments import load_experiment
    from trainwise.report import runs_record, write_runs

    exp = _run(load_experiment, experiment)
    runs = _run(_train_runs, exp, schedule, epochs=epochs, lr=lr, optimizer=optimizer, batch_size=batch_size, seed=seed)
    console.print(_summary_table(f"{exp.name}: {exp.description}", runs, exp.metric.name))
    for name, h in runs.items():
        if h.status != "completed":
            console.print(f"[yellow]{name}:[/] {h.stop_reason}")
    if out is not None:
        console.print(f"runs written to {write_runs(runs_record(exp.name, runs), out)}")


@app.command()
def demo(
    out: Path = typer.Option(Path("trainwise-out"), help="Folder for the report and the record."),
    quick: bool = typer.Option(False, "--quick", help="Fewer epochs, for a first look."),
    experiment: str = typer.Option("diamonds", help="Built-in name or path/to/file.py:function."),
    seed: int = _TRAINING_SEED,
) -> None:
    """Run the seeds' whole method on one experiment and write one interactive HTML report."""
    import time

    from trainwise.demo import run_demo
    from trainwise.history import History
    from trainwise.report import write_runs
    from trainwise.report.story import write_report

    started = time.perf_counter()
    exp_name = experiment
    with _progress() as progress:

        def bars(label, total):
            return [_progress_callback(progress, label, total)]

        def stage(name):
            progress.console.print(f"[bold cyan]>[/] {name}")

        record = _run(run_demo, exp_name, quick=quick, seed=seed, progress=bars, on_stage=stage)
    runs = {r["name"]: History.from_dict(r["history"]) for r in record["runs"]}
    console.print(_summary_table(f"{record['experiment']}: every run of the demo", runs, runs and next(iter(runs.values())).metric_name))
    if record.get("best_run"):
        best = runs[record["best_run"]]
        console.print(f"best run: [bold]{record['best_run']}[/] (best val {best.metric_name} {_fmt(best.summary()['best_val_metric'])})")
    record_path = write_runs(record, out / "runs.json")
    report_path = write_report(record, out / "report.html")
    pngs = _demo_pngs(record, runs, out / "png")
    console.print(f"report: [bold]{report_path}[/]  record: {record_path}  static charts: {out / 'png'} ({len(pngs)} PNG)")
    console.print(f"done in {time.perf_counter() - started:.0f} s")


def _demo_pngs(record: dict, runs: dict, folder: Path) -> list[Path]:
    """The main charts of the report as PNG files, for papers and slides (matplotlib: no browser needed)."""
    from trainwise.playground import PlaygroundResult
    from trainwise.report import write_line_chart, write_range_test_plot
    from trainwise.report.playground import write_playground

    groups = {r["name"]: r["group"] for r in record["runs"]}
    paths = [write_range_test_plot(record["lr_finder"], folder / "lr_range_test.png")]
    for group in ("schedules", "optimizers"):
        chosen = {n: h for n, h in runs.items() if groups[n] == group}
        if chosen:
            val = {n: [v if v is not None else float("nan") for v in h.val_loss] for n, h in chosen.items()}
            paths.append(write_line_chart(val, folder / f"{group}_val_loss.png", x_label="epoch",
                                          y_label="validation loss", title=f"{group}: validation loss per epoch"))
    schedule_lrs = {n: h.lrs for n, h in runs.items() if groups[n] == "schedules"}
    if schedule_lrs:
        paths.append(write_line_chart(schedule_lrs, folder / "schedules_lr.png", y_label="lr", side_by_side=True,
                                      title="learning rate applied at each step"))
    if record.get("playground"):
        results = [PlaygroundResult.from_dict(d) for d in record["playground"]]
        paths.append(write_playground(results, folder / "playground.png"))
    return paths


@app.command("find-lr")
def find_lr_cmd(
    experiment: str = _EXPERIMENT,
    start_lr: float = typer.Option(1e-7, help="First LR of the sweep."),
    end_lr: float = typer.Option(10.0, help="Last LR of the sweep."),
    num_steps: int = typer.Option(100, help="Steps of the sweep."),
    mode: str = typer.Option("exp", help="exp or linear."),
    optimizer: Optional[str] = typer.Option(None, help="Optimizer name (default: the experiment's)."),
    method: str = typer.Option("robust", help="Which suggestion to report as the answer."),
    verify: int = typer.Option(0, help="Probe the candidate LRs with this many training steps each (0: off)."),
    val: bool = typer.Option(False, "--val", help="Read the curve from a fixed small validation subset."),
    seed: int = typer.Option(0, help="Seed for the model's initial weights and the data order."),
    out: Path = typer.Option(Path("lr_find.html"), help="The plot: .html (interactive) or .png."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the result as JSON here."),
) -> None:
    """Run the LR range test on an experiment, print the suggestion and write the plot."""
    import json

    from trainwise.experiments import load_experiment
    from trainwise.lr_finder import find_lr
    from trainwise.optimizers import make_optimizer
    from trainwise.report import write_range_test_plot

    exp = _run(load_experiment, experiment)

    def sweep():
        model = exp.make_model(seed)
        opt = make_optimizer(optimizer or exp.optimizer, model.parameters(), lr=exp.lr)
        train_loader, val_loader = exp.loaders(seed=seed)
        with _progress() as progress:
            task = progress.add_task("range test", total=num_steps, loss="")

            def on_step(step, lr, loss, smoothed):
                progress.update(task, completed=step + 1, loss=f"lr {lr:.2e} loss {smoothed:.4g}")

            return find_lr(model, opt, exp.loss_fn, train_loader, start_lr=start_lr, end_lr=end_lr,
                           num_steps=num_steps, mode=mode, method=method, verify=verify or False,
                           val_loader=val_loader if val else None, on_step=on_step)

    result = _run(sweep)
    table = Table(title=f"LR range test on {exp.name}: {result.steps_run} steps, {result.elapsed_s:.1f}s", title_justify="left")
    table.add_column("method")
    table.add_column("suggested lr", justify="right")
    for name, value in result.suggestions.items():
        chosen = name == result.method
        table.add_row(f"[bold]{name}[/] (chosen)" if chosen else name, "-" if value is None else f"{value:.3g}")
    console.print(table)
    console.print(f"stopped: {result.stop_reason}")
    if result.note:
        console.print(f"[yellow]note:[/] {result.note}")
    if result.verification:
        v = result.verification
        console.print(f"verification: {v.get('steps', '?')} extra steps, {v.get('seconds', 0):.1f}s")
    if result.suggestion is None:
        console.print("[bold red]no trustworthy suggestion[/] for this curve")
    else:
        console.print(f"suggested learning rate: [bold green]{result.suggestion:.3g}[/] ({result.method})")
        bounds = result.cyclic_bounds()
        if bounds:
            console.print(f"cyclical bounds: base {bounds[0]:.3g}, max {bounds[1]:.3g}")
    path = _run(write_range_test_plot, result.to_dict(), out)
    console.print(f"plot written to {path}")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result.to_dict(), indent=1))
        console.print(f"result written to {json_out}")


@app.command("report")
def report_cmd(
    record: Path = typer.Argument(..., help="A runs record: runs.json from trainwise demo or trainwise train --out."),
    out: Path = typer.Option(Path("report.html"), help="The HTML file to write."),
) -> None:
    """Rebuild the self-contained HTML report from a JSON record of runs."""
    import json

    from trainwise.report.story import write_report

    def build():
        if not record.exists():
            raise FileNotFoundError(f"record file not found: {record}")
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{record} is not JSON: {exc}") from exc
        return write_report(data, out)

    console.print(f"report written to {_run(build)}")


@app.command()
def playground(
    surface: list[str] = typer.Option([], "--surface", help="quadratic, saddle, rosenbrock, beale (repeat; default: all)."),
    optimizer: list[str] = typer.Option([], "--optimizer", help="Optimizer names (repeat; default: the six of the seeds)."),
    steps: Optional[int] = typer.Option(None, help="Steps per optimizer (default: each surface's own)."),
    lr: list[str] = typer.Option([], "--lr", help="One LR for all, or name=value per optimizer (repeat), e.g. --lr adam=0.05."),
    out: Path = typer.Option(Path("playground.html"), help=".html (animated), .png (static) or .json."),
) -> None:
    """Race torch's optimizers on 2-D loss surfaces and draw their paths (seeds 002 and 004)."""
    from trainwise.playground import DEFAULT_OPTIMIZERS, run_playground, summary
    from trainwise.report.playground import write_playground

    def number(text, item):
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"--lr {item!r}: give one number, or name=value for each optimizer") from None

    def lrs_option():
        if not lr:
            return None
        if len(lr) == 1 and "=" not in lr[0]:
            return number(lr[0], lr[0])
        pairs = {}
        for item in lr:
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"--lr {item!r}: give one number, or name=value for each optimizer")
            pairs[name] = number(value, item)
        return pairs

    results = _run(lambda: run_playground(surface or None, optimizers=optimizer or DEFAULT_OPTIMIZERS, steps=steps,
                                          lrs=lrs_option()))
    for result in results:
        rows = summary(result)
        stopped = any(row.stop_reason for row in rows)
        table = Table(title=result.surface, title_justify="left")
        for col in ["optimizer", "lr", "steps", "final loss", "to min", "overshoots", "escaped at"] + (["stopped"] if stopped else []):
            table.add_column(col, justify="left" if col in ("optimizer", "stopped") else "right")
        for row in rows:
            cells = [row.optimizer, f"{row.lr:.3g}", str(row.steps), f"{row.final_loss:.3g}",
                     _fmt(row.distance_to_minimum), _fmt(row.overshoots), _fmt(row.escape_step)]
            table.add_row(*cells, *([row.stop_reason or ""] if stopped else []))
        console.print(table)
    console.print(f"written to {_run(write_playground, results, out)}")


_VERDICT_STYLE = {"pass": "green", "good": "green", "acceptable": "green", "round-off": "green", "warn": "yellow",
                  "suspicious": "yellow", "skip": "dim", "fail": "bold red", "wrong": "bold red", "too high": "bold red"}


def _verdict(text: str) -> str:
    return f"[{_VERDICT_STYLE.get(text, 'white')}]{text}[/]"


@app.command("gradcheck")
def gradcheck_cmd(
    experiment: str = _EXPERIMENT,
    mode: str = typer.Option("elementwise", help="elementwise (sampled elements) or directional (fast, whole model)."),
    samples: int = typer.Option(10, help="Elements checked per tensor (elementwise mode)."),
    batch: int = typer.Option(8, help="Samples in the batch the loss is computed on."),
    h: float = typer.Option(1e-6, help="Step of the centered difference (float64)."),
    seed: int = typer.Option(0, help="Seed for the model and the sampled elements."),
) -> None:
    """Compare backward's gradients with centered differences on an experiment's model."""
    from trainwise.experiments import load_experiment
    from trainwise.gradcheck import check_gradients

    exp = _run(load_experiment, experiment)
    result = _run(lambda: check_gradients(exp.make_model(seed), exp.loss_fn, exp.sample_batch(batch), mode=mode,
                                          samples_per_tensor=samples, h=h, seed=seed))
    table = Table(title=f"gradient check on {exp.name} ({result.mode}, h={result.h:g}, float64, "
                        f"{result.evaluations} evaluations)", title_justify="left")
    for col in ("tensor", "checked", "max rel. error", "median", "kinks", "verdict"):
        table.add_column(col, justify="left" if col in ("tensor", "verdict") else "right")
    for row in result.to_rows():
        label = row["name"] if row["part"] == "loss" else f"{row['name']} ({row['part']})"
        verdict = row["verdict"] + (f" ({row['cause']})" if row["cause"] else "")
        table.add_row(label, str(row["checked"]), _fmt(row["max_rel_error"]), _fmt(row["median_rel_error"]),
                      str(row["kinks"]), _verdict(row["verdict"]) if not row["cause"] else verdict)
    console.print(table)
    console.print(("[bold green]PASSED[/] " if result.passed else "[bold red]FAILED[/] ") + result.verdict)
    if not result.passed:
        raise typer.Exit(1)


@app.command("preflight")
def preflight_cmd(
    experiment: str = _EXPERIMENT,
    weight_decay: float = typer.Option(1e-3, help="L2 strength used by the 'regularization raises the loss' check."),
    seed: int = typer.Option(0, help="Seed for the model and the checks."),
) -> None:
    """Sanity checks before a long training: loss at init, regularization, overfitting 20 samples, and more."""
    from trainwise.experiments import load_experiment
    from trainwise.preflight import preflight

    exp = _run(load_experiment, experiment)
    train_loader, _ = exp.loaders(seed=seed)
    report = _run(lambda: preflight(exp.make_model(seed), exp.loss_fn, train_loader, task=exp.task,
                                    num_classes=exp.num_classes, weight_decay=weight_decay, seed=seed))
    table = Table(title=f"preflight on {exp.name} ({report.task})", title_justify="left")
    with_fix = any(r.verdict in ("fail", "warn") for r in report.results)
    for col in ("check", "verdict", "measurement") + (("fix",) if with_fix else ()):
        table.add_column(col)
    for r in report.results:
        fix = (r.fix if r.verdict in ("fail", "warn") else "",) if with_fix else ()
        table.add_row(r.name, _verdict(r.verdict), r.measurement, *fix)
    console.print(table)
    console.print("[bold green]all checks passed[/]" if report.passed else f"[bold red]failed:[/] {', '.join(report.failing)}")
    if not report.passed:
        raise typer.Exit(1)


@app.command("doctor")
def doctor_cmd(
    experiment: str = _EXPERIMENT,
    epochs: Optional[int] = _EPOCHS,
    lr: Optional[float] = typer.Option(None, help="Learning rate (default: the experiment's)."),
    optimizer: Optional[str] = _OPTIMIZER,
    batch_size: Optional[int] = _BATCH_SIZE,
    schedule: Optional[str] = typer.Option(None, help="Schedule spec, e.g. onecycle (default: constant LR)."),
    every: Optional[int] = typer.Option(None, help="Measure per-layer statistics every N steps (default: low overhead)."),
    seed: int = _TRAINING_SEED,
    out: Optional[Path] = typer.Option(None, help="Write the run (with the instruments) as JSON here."),
) -> None:
    """Train with the instruments on and print the diagnosis: what is wrong, the evidence, and the fix."""
    from trainwise.diagnose import doctor
    from trainwise.experiments import load_experiment
    from trainwise.report import runs_record, write_runs

    exp = _run(load_experiment, experiment)
    n_epochs = epochs or exp.epochs
    with _progress() as progress:
        bar = _progress_callback(progress, exp.name, n_epochs * len(exp.loaders(batch_size=batch_size, seed=seed)[0]))
        history, diagnosis = _run(doctor, exp, epochs=n_epochs, lr=lr, optimizer=optimizer, batch_size=batch_size,
                                  schedule=schedule, seed=seed, every=every, callbacks=[bar])
    console.print(_summary_table(f"{exp.name}", {"run": history}, exp.metric.name))
    style = {"error": "bold red", "warning": "yellow", "info": "cyan"}
    table = Table(title="diagnosis", title_justify="left", show_lines=True)
    for col in ("finding", "what the run shows", "fix"):
        table.add_column(col, overflow="fold")  # a narrow terminal wraps code like fit(clip_grad_norm=1.0), never cuts it
    for f in diagnosis.findings:
        name = f"[green]{f.name}[/]" if f.name == "healthy" else f"[{style.get(f.severity, 'white')}]{f.name}[/]\n({f.severity})"
        evidence = f.evidence_text()
        table.add_row(name, f.message + (f"\n[dim]{evidence}[/]" if evidence else ""), f.fix)
    console.print(table)
    if out is not None:
        console.print(f"run written to {write_runs(runs_record(exp.name, {'doctor': history}), out)}")


@app.command("experiments")
def experiments_cmd() -> None:
    """List the built-in experiments."""
    from trainwise.experiments import BUILTINS

    table = Table(title="built-in experiments", title_justify="left")
    for col in ("name", "task", "metric", "description"):
        table.add_column(col)
    for name, make in BUILTINS.items():
        exp = make()
        table.add_row(name, exp.task, f"{exp.metric.name} ({exp.metric.direction})", exp.description)
    console.print(table)


# -- schedules -----------------------------------------------------------------------------------------------


@schedule_app.command("plot")
def schedule_plot(
    names: list[str] = typer.Argument(..., help="Schedule specs, e.g. onecycle sgdr 'cyclic:mode=triangular2'."),
    total_steps: int = typer.Option(..., "--total-steps", help="Steps to draw."),
    out: Path = typer.Option(..., "--out", help="Output file: .html (interactive) or .png."),
    lr: float = typer.Option(0.1, help="Peak / base value the specs are built around."),
    steps_per_epoch: int = typer.Option(1, help="Steps per epoch, for epoch-based specs (step, multistep)."),
    hparam: str = typer.Option("lr", help="Which hyperparameter of each spec to draw: lr or momentum."),
    overlay: bool = typer.Option(False, help="Draw all schedules on one chart instead of side by side."),
) -> None:
    """Draw one or more schedules side by side."""
    from trainwise.report import schedule_traces, write_line_chart
    from trainwise.schedule_specs import from_spec

    def build():
        if total_steps < 1:
            raise ValueError(f"--total-steps must be >= 1, got {total_steps}")
        chosen = {}
        for name in names:
            policy = from_spec(name, total_steps=total_steps, value=lr, steps_per_epoch=steps_per_epoch)
            if hparam not in policy:
                raise ValueError(f"schedule {name!r} has no {hparam!r} part; it has {sorted(policy)}")
            chosen[name] = policy[hparam]
        return schedule_traces(chosen, total_steps)

    traces = _run(build)
    path = _run(write_line_chart, traces, out, title=f"{hparam} schedules over {total_steps} steps", y_label=hparam,
                side_by_side=not overlay)
    console.print(f"wrote {path}")


@schedule_app.command("list")
def schedule_list() -> None:
    """List the schedule names ``--schedule`` and ``schedule plot`` accept."""
    from trainwise.schedules import available

    for name in available():
        console.print(name)


if __name__ == "__main__":  # pragma: no cover
    main()
