"""From a record (the JSON of a demo or of ``trainwise train --out``) to the sections of the HTML report.

Each ``_section_*`` reads one part of the record and returns a :class:`Section`, or ``None`` when the record
does not have that part, so a record of plain training runs gives a smaller report, not an error.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from trainwise.report import figures
from trainwise.report.html import Figure, Findings, Paragraph, Section, Table, render_document

__all__ = ["build_report", "write_report"]


def _name(text: Any) -> str:
    # Plotly renders a small subset of HTML inside labels; escaping makes a run name display as typed.
    return html.escape(str(text))


def _runs(record: Mapping[str, Any], group: str | None = None) -> dict[str, dict[str, Any]]:
    return {
        _name(r["name"]): r["history"]
        for r in record.get("runs", [])
        if group is None or r.get("group", "runs") == group
    }


def _metric(record: Mapping[str, Any]) -> tuple[str, str]:
    exp = record.get("experiment_info") or {}
    for r in record.get("runs", []):
        h = r["history"]
        if h.get("metric_name"):
            return h["metric_name"], h.get("metric_direction", "min")
    return exp.get("metric", "metric"), exp.get("direction", "min")


def _best(history: Mapping[str, Any], key: str, direction: str) -> float | None:
    values = [e.get(key) for e in history.get("epochs", []) if e.get(key) is not None and math.isfinite(e[key])]
    if not values:
        return None
    return max(values) if direction == "max" else min(values)


def _section_runs(record: Mapping[str, Any], group: str, title: str, intro: str) -> Section | None:
    runs = _runs(record, group)
    if not runs:
        return None
    metric, direction = _metric(record)
    blocks: list[Any] = [Paragraph(intro)]
    blocks.append(Figure(figures.epoch_curves_figure(runs, title="Training and validation loss of each run (same y-scale)"),
                         "Each panel is one run; every panel shares the y axis so small differences are visible (seed 001)."))
    blocks.append(Figure(figures.overlay_figure(
        {n: [e.get("val_loss") for e in h["epochs"]] for n, h in runs.items()},
        title="Validation loss, all runs side by side", x_label="epoch", y_label="validation loss")))
    lr_runs = {n: h["hparams"].get("lr", []) for n, h in runs.items() if h.get("hparams", {}).get("lr")}
    if lr_runs:
        blocks.append(Figure(figures.step_series_figure(lr_runs, title="Learning rate applied at every step", y_label="lr"),
                             "The values the optimizer actually used, read back from its parameter groups."))
    if any(h.get("metric_name") for h in runs.values()):
        best = {n: _best(h, "val_metric", direction) for n, h in runs.items()}
        blocks.append(Figure(figures.bar_figure(best, title=f"Best validation {metric} per run",
                                                y_label=f"{metric} ({'higher' if direction == 'max' else 'lower'} is better)")))
    return Section(title, blocks, anchor=group)


def _section_summary(record: Mapping[str, Any]) -> Section | None:
    runs = record.get("runs", [])
    if not runs:
        return None
    metric, direction = _metric(record)
    rows = []
    for r in runs:
        h = r["history"]
        last = h["epochs"][-1] if h.get("epochs") else {}
        rows.append([
            r["name"], r.get("group", "runs"), h.get("status"), r.get("lr", h.get("config", {}).get("lr")),
            last.get("train_loss"), last.get("val_loss"), last.get("val_metric"),
            _best(h, "val_metric", direction), h.get("elapsed_s"),
        ])
    scored = [i for i, row in enumerate(rows) if row[7] is not None]
    best = None
    if scored:
        best = (max if direction == "max" else min)(scored, key=lambda i: rows[i][7])
    table = Table(
        ["run", "group", "status", "lr", "train loss", "val loss", f"val {metric}", f"best val {metric}", "seconds"],
        rows, caption="Final epoch and best epoch of every run; the best run is highlighted.", highlight_row=best,
    )
    blocks: list[Any] = [table]
    timings = record.get("timings")
    if timings:
        blocks.append(Table(["stage", "seconds"], [[k, v] for k, v in timings.items()], caption="Where the time went."))
    return Section("Summary", blocks, anchor="summary")


def _section_checks(record: Mapping[str, Any]) -> Section | None:
    pre, grads = record.get("preflight"), record.get("gradcheck")
    if not pre and not grads:
        return None
    status = {"pass": "pass", "fail": "fail", "warn": "warn", "skip": "info"}
    blocks: list[Any] = [Paragraph("Seed 002's checks before a long training: is the loss at initialization what it "
                                   "should be, does regularization raise it, can the model overfit 20 samples, are "
                                   "samples independent, and are the analytic gradients right?")]
    if pre:
        items = [(status.get(r["verdict"], "info"), r["name"], r["measurement"] + (f" Fix: {r['fix']}" if r["verdict"] in ("fail", "warn") and r.get("fix") else ""))
                 for r in pre["results"]]
        blocks.append(Findings(items))
    if grads:
        rows = [[r["name"], r["part"], r["checked"], r["max_rel_error"], r["median_rel_error"], r["kinks"], r["verdict"]]
                for r in grads["rows"]]
        blocks.append(Table(["tensor", "part", "checked", "max rel. error", "median", "kinks", "verdict"], rows,
                            caption=f"Gradient check ({grads['mode']}, h={grads['h']:g}, float64): "
                                    f"{'passed' if grads['passed'] else 'FAILED'}. {grads['verdict']}"))
    return Section("Before training: sanity checks", blocks, anchor="checks")


def _section_range_test(record: Mapping[str, Any]) -> Section | None:
    result = record.get("lr_finder")
    if not result:
        return None
    blocks: list[Any] = [Paragraph(
        "Seeds 000 and 003: train from a tiny learning rate upward for a short while, record the loss, and pick "
        "the rate just left of where the loss stops falling. The model, optimizer and every RNG were restored "
        "afterwards, so the runs below start from exactly the same state."
    )]
    blocks.append(Figure(figures.range_test_figure(result), f"Stopped: {result.get('stop_reason')}."))
    chosen = result.get("method")
    rows = [[m + (" (chosen)" if m == chosen else ""), v] for m, v in (result.get("suggestions") or {}).items()]
    blocks.append(Table(["method", "suggested lr"], rows,
                        caption=f"{result.get('steps_run')} steps in {result.get('elapsed_s', 0):.2f} s.",
                        highlight_row=next((i for i, r in enumerate(rows) if r[0].endswith("(chosen)")), None)))
    if result.get("note"):
        blocks.append(Paragraph(f"Note: {result['note']}", muted=True))
    chosen_lr = record.get("chosen_lr")
    if chosen_lr:
        blocks.append(Paragraph(f"Learning rate used below: {chosen_lr['lr']:.3g} (from the {chosen_lr['source']})."))
    lrs = record.get("optimizer_lrs")
    if lrs:
        blocks.append(Table(["optimizer", "lr", "from its own range test", "range test seconds"],
                            [[n, v["lr"], "yes" if v["suggested"] else "no (default)", v["range_test_s"]] for n, v in lrs.items()],
                            caption="Each optimizer of the comparison below got its own range test."))
    return Section("LR range test", blocks, anchor="lr-range-test")


def _section_doctor(record: Mapping[str, Any]) -> Section | None:
    diagnosis = record.get("diagnosis")
    if not diagnosis:
        return None
    run_name = diagnosis["run"]
    history = next((r["history"] for r in record.get("runs", []) if r["name"] == run_name), None)
    severity = {"error": "fail", "warning": "warn", "info": "info"}
    items = []
    for f in diagnosis["findings"]:
        status = "pass" if f["name"] == "healthy" else severity.get(f["severity"], "info")
        detail = f["message"] + (f" Evidence: {f['evidence_text']}." if f.get("evidence_text") else "")
        items.append((status, f["name"], detail + (f" Fix: {f['fix']}" if f.get("fix") else "")))
    blocks: list[Any] = [
        Paragraph(f"Seeds 000, 002 and 004 teach how to read a run. The doctor watched every run of this demo and "
                  f"read the best one, {run_name}, in detail: its findings, the evidence and the fix."),
        Findings(items),
    ]
    per_run = diagnosis.get("per_run") or {}
    if per_run:
        blocks.append(Table(["run", "findings"], [[name, ", ".join(names)] for name, names in per_run.items()],
                            caption="What the doctor said about every run that was monitored."))
    monitor = (history or {}).get("extras", {}).get("monitor")
    if monitor:
        blocks.extend(_instrument_figures(monitor, run_name))
    return Section("The training doctor", blocks, anchor="doctor")


def _instrument_figures(monitor: Mapping[str, Any], run_name: str) -> list[Any]:
    """The instruments behind the diagnosis: gradient norm, update/weight ratios, activation statistics."""
    out: list[Any] = []
    grad = monitor.get("grad_norm")
    if grad:
        out.append(Figure(figures.overlay_figure({"global gradient norm": grad}, title=f"{_name(run_name)}: gradient norm at every step",
                                                 x_label="step", y_label="||g||", log_y=True)))
    params = monitor.get("params") or {}
    steps = params.get("steps") or []
    ratios = {_name(n): v["update_ratio"] for n, v in (params.get("by_name") or {}).items()
              if params.get("roles", {}).get(n) == "weight" and v.get("update_ratio")}
    if ratios and steps:
        fig = figures.overlay_figure(ratios, x=steps, title="Update / weight ratio per layer (seed 002: about 1e-3)",
                                     x_label="step", y_label="||Δw|| / ||w||", log_y=True)
        fig.add_hline(y=1e-3, line_dash="dash", line_color="#555", annotation_text="1e-3")
        out.append(Figure(fig, "Far below 1e-3 the layer learns too slowly; far above, the learning rate is too high."))
    modules = monitor.get("modules") or {}
    act_steps = monitor.get("activation_steps") or []
    dead = {f"{_name(n)} ({m['kind']})": m["dead_frac"] for n, m in modules.items() if m.get("kind") == "relu" and m.get("dead_frac")}
    if dead and act_steps:
        out.append(Figure(figures.overlay_figure(dead, x=act_steps, title="Fraction of dead ReLU outputs",
                                                 x_label="step", y_label="dead fraction")))
    stds = {f"{_name(n)} ({m['kind']})": m["std"] for n, m in modules.items() if m.get("std")}
    if stds and act_steps:
        out.append(Figure(figures.overlay_figure(stds, x=act_steps, title="Activation standard deviation per layer",
                                                 x_label="step", y_label="std", log_y=True),
                          "Scales that collapse or explode with depth point to a bad initialization."))
    out.extend(_histogram_figures(monitor))
    return out


# The monitor bins outputs other than tanh/sigmoid uniformly in the signed log u = sign(y) * log10(1 + |y| / 1e-3)
# and records the edges as values of y: drawn back in u, labelled with the y that every other whole u stands for.
def _signed_log(y: float) -> float:
    return math.copysign(math.log10(1 + abs(y) / 1e-3), y)


def _signed_log_ticks(low: float, high: float) -> dict[float, str]:
    whole = range(math.ceil(low - 1e-9), math.floor(high + 1e-9) + 1)
    return {float(u): "0" if u == 0 else f"{'-' if u < 0 else ''}{10.0 ** (abs(u) - 3):g}" for u in whole if u % 2 or u == 0}


def _first_and_last(steps: Sequence[int], counts: Sequence[Any]) -> dict[str, Any]:
    """The first and the last recorded histogram of one layer, labelled by their steps."""
    kept = [(s, c) for s, c in zip(steps, counts) if c]
    if not kept:
        return {}
    picks = [kept[0], kept[-1]] if len(kept) > 1 else [kept[0]]
    return {f"step {s}": c for s, c in picks}


def _histogram_figures(monitor: Mapping[str, Any]) -> list[Any]:
    """Per-layer distributions of activations and of log10 |gradient|, at the first and the last histogram step."""
    hist = monitor.get("histograms") or {}
    out: list[Any] = []
    modules = monitor.get("modules") or {}
    act_edges = hist.get("activation_edges") or {}
    panels, edges, ticks = {}, {}, {}
    recorded = hist.get("activations") or {}
    # the activation functions' outputs when the model has any (weight layers' outputs are their inputs)
    nonlinear = [n for n in recorded if (modules.get(n) or {}).get("kind") not in (None, "layer")]
    for name in nonlinear or list(recorded):
        counts = recorded[name]
        kind = (modules.get(name) or {}).get("kind")
        family = kind if kind in ("tanh", "sigmoid") else "default"
        if family not in act_edges:
            continue
        label = f"{_name(name)} ({kind})" if kind else _name(name)
        panels[label] = _first_and_last(hist.get("activation_steps") or [], counts)
        if family == "default":
            edges[label] = [_signed_log(e) for e in act_edges["default"]]
            ticks[label] = _signed_log_ticks(edges[label][0], edges[label][-1])
        else:
            edges[label] = act_edges[family]
    fig = figures.histograms_figure(panels, edges, ticks=ticks, title="Activations per layer, first and last "
                                    "histogram step", x_label="output value")  # fmt: skip
    if fig is not None:
        out.append(Figure(fig, "Seed 002's picture: healthy layers keep a similar spread with depth; tanh piled at "
                               "+-1 is saturated, ReLU outputs all at 0 are dead, a spread shrinking layer by "
                               "layer is a bad initialization."))  # fmt: skip
    grad_edges = hist.get("gradient_log10_edges")
    roles = (monitor.get("params") or {}).get("roles") or {}
    grads = {_name(n): _first_and_last(hist.get("gradient_steps") or [], c)
             for n, c in (hist.get("gradients") or {}).items() if roles.get(n) == "weight"}  # fmt: skip
    if grad_edges:
        fig = figures.histograms_figure(grads, {n: grad_edges for n in grads}, title="Gradients per weight, first "
                                        "and last histogram step", x_label="log10 |gradient|")  # fmt: skip
        if fig is not None:
            caption = ("Gradients that shift decades to the left from the last layer to the first are vanishing; a "
                       "mass at the right edge (10 and above) is exploding. The leftmost bin also holds exact zeros: "
                       "weights that received no gradient (dead units).")
            out.append(Figure(fig, caption))
    return out


def _section_playground(record: Mapping[str, Any]) -> Section | None:
    data = record.get("playground")
    if not data:
        return None
    from trainwise.playground import PlaygroundResult, summary
    from trainwise.report.playground import playground_figure

    blocks: list[Any] = [Paragraph(
        "Seeds 002 and 004: torch's own optimizers on 2-D loss surfaces. Press Play to watch them move: momentum "
        "overshoots along the steep axis of the ill-conditioned quadratic, and on the saddle RMSprop and Adam "
        "escape while plain SGD stalls near the saddle point."
    )]
    for item in data:
        result = PlaygroundResult.from_dict(item)
        blocks.append(Figure(playground_figure(result)))
        rows = [[r.optimizer, r.lr, r.steps, r.final_loss, r.distance_to_minimum, r.overshoots, r.escape_step]
                for r in summary(result)]
        blocks.append(Table(["optimizer", "lr", "steps", "final loss", "distance to minimum", "overshoots", "escaped at step"],
                            rows, caption=f"{result.surface}: where each optimizer ended."))
    return Section("Optimizer playground", blocks, anchor="playground")


# The order of the report: each entry builds one section from the record (or returns None).
_SECTIONS: list[Callable[[Mapping[str, Any]], Section | None]] = [
    _section_summary,
    _section_checks,
    _section_range_test,
    lambda r: _section_runs(r, "schedules", "Learning-rate schedules",
                            "The same model, data and seed trained with each schedule; only the learning rate policy differs."),
    lambda r: _section_runs(r, "optimizers", "Optimizers on the same task",
                            "Each torch optimizer trained the same model from the same weights, each at the LR its own range test suggested."),
    _section_doctor,
    _section_playground,
    lambda r: _section_runs(r, "runs", "Runs", "Training runs recorded in this file."),
]


def build_report(record: Mapping[str, Any], *, title: str | None = None) -> str:
    """The HTML report for ``record`` (self-contained; the record itself is embedded)."""
    if not isinstance(record, Mapping) or "runs" not in record:
        raise ValueError("record must be a trainwise record with a 'runs' list (from trainwise demo or train --out)")
    experiment = record.get("experiment", "")
    info = record.get("experiment_info") or {}
    sections = [s for s in (build(record) for build in _SECTIONS) if s is not None]
    subtitle = f"experiment {experiment}" + (f": {info['description']}" if info.get("description") else "")
    return render_document(title or f"trainwise report: {experiment}", subtitle, sections, data=dict(record))


def write_report(record: Mapping[str, Any], path: str | Path, *, title: str | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_report(record, title=title), encoding="utf-8")
    return path
