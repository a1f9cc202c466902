"""Line charts and the JSON record of runs.

Charts are Plotly figures written as self-contained HTML (plotly.js embedded, no CDN, works offline) or
matplotlib figures written as PNG (no browser needed). The runs of one command are kept as a JSON record
(:func:`runs_record`) so that a report can be rebuilt from it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["schedule_traces", "write_line_chart", "write_range_test_plot", "runs_record", "write_runs", "read_runs"]

_RUNS_FORMAT = 1
# how an LR range test read its curve (LRFinderResult.loss_kind) -> the y-axis label
_LOSS_LABELS = {"train": "training loss", "val": "validation loss", "train_fixed_batch": "loss on a fixed training batch"}


def schedule_traces(schedules: Mapping[str, Any], total_steps: int) -> dict[str, list[float]]:
    """Evaluate each schedule at steps ``0..total_steps-1``: ``{label: values}``."""
    if not isinstance(total_steps, int) or total_steps < 1:
        raise ValueError(f"total_steps must be an int >= 1, got total_steps={total_steps!r}")
    return {label: [float(s(t)) for t in range(total_steps)] for label, s in schedules.items()}


def write_line_chart(
    series: Mapping[str, Sequence[float]],
    path: str | Path,
    *,
    title: str,
    x_label: str = "step",
    y_label: str = "value",
    log_y: bool = False,
    side_by_side: bool = False,
) -> Path:
    """Draw ``series`` (label -> y values at x = 0, 1, ...) to ``path``: ``.html`` (Plotly) or ``.png`` (matplotlib).

    ``side_by_side`` draws one small panel per series (sharing the y axis) instead of overlaying them.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".html", ".png"):
        raise ValueError(f"out must end in .html or .png, got out={str(path)!r}")
    if not series:
        raise ValueError("series is empty: nothing to draw")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".html":
        _line_chart_html(series, path, title, x_label, y_label, log_y, side_by_side)
    else:
        _line_chart_png(series, path, title, x_label, y_label, log_y, side_by_side)
    return path


def _line_chart_html(series, path, title, x_label, y_label, log_y, side_by_side) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    labels = list(series)
    cols = len(labels) if side_by_side else 1
    fig = make_subplots(rows=1, cols=cols, shared_yaxes=True, subplot_titles=labels if side_by_side else None)
    for i, label in enumerate(labels):
        ys = list(series[label])
        fig.add_trace(go.Scatter(x=list(range(len(ys))), y=ys, mode="lines", name=label), row=1, col=i + 1 if side_by_side else 1)
    fig.update_layout(title=title, template="plotly_white", height=420, width=max(700, 320 * cols))
    fig.update_xaxes(title_text=x_label)
    fig.update_yaxes(title_text=y_label, type="log" if log_y else "linear", col=1)
    fig.write_html(path, include_plotlyjs=True, full_html=True)


def _line_chart_png(series, path, title, x_label, y_label, log_y, side_by_side) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    labels = list(series)
    cols = len(labels) if side_by_side else 1
    fig, axes = plt.subplots(1, cols, figsize=(max(7, 3.2 * cols), 3.6), sharey=True, squeeze=False)
    for i, label in enumerate(labels):
        ax = axes[0][i if side_by_side else 0]
        ax.plot(range(len(series[label])), series[label], label=label, linewidth=1.6)
        if side_by_side:
            ax.set_title(label, fontsize=10)
        ax.set_xlabel(x_label)
        if log_y:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(y_label)
    if not side_by_side:
        axes[0][0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def runs_record(experiment: str, runs: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """The JSON record of several runs of one experiment: ``{label: History}`` plus any extra sections."""
    return {
        "format_version": _RUNS_FORMAT,
        "experiment": experiment,
        "runs": [{"name": name, "history": history.to_dict()} for name, history in runs.items()],
        **extra,
    }


def write_runs(record: Mapping[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, allow_nan=False), encoding="utf-8")
    return path


def read_runs(path: str | Path) -> tuple[str, dict[str, Any]]:
    """Read a record written by :func:`write_runs`: ``(experiment, {name: History})``."""
    from trainwise.history import History

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format_version") != _RUNS_FORMAT or "runs" not in data:
        raise ValueError(f"{path} is not a trainwise runs record (format_version {_RUNS_FORMAT})")
    return data.get("experiment", ""), {r["name"]: History.from_dict(r["history"]) for r in data["runs"]}


def loss_axis_range(smoothed: Sequence[float]) -> tuple[float, float] | None:
    """A y range that shows the descent: from just below the lowest smoothed loss to a bit above the first one.
    The raw losses of a diverging sweep would otherwise squash the curve into a flat line."""
    import math

    ys = [y for y in smoothed if y is not None and math.isfinite(y)]
    if len(ys) < 2:
        return None
    lo, hi = min(ys), max(ys[0], ys[len(ys) // 10])
    span = (hi - lo) or abs(hi) or 1.0
    return lo - 0.1 * span, hi + 0.5 * span


def write_range_test_plot(result: Mapping[str, Any], path: str | Path) -> Path:
    """Draw an LR range test (``LRFinderResult.to_dict()``): ``.html`` (interactive) or ``.png``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".html", ".png"):
        raise ValueError(f"out must end in .html or .png, got out={str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".html":
        from trainwise.report.figures import range_test_figure

        range_test_figure(result).write_html(path, include_plotlyjs=True, full_html=True)
        return path
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(result["lrs"], result["losses"], color="#bbbbbb", linewidth=1, label="loss")
    ax.plot(result["lrs"], result["smoothed"], color="#1f77b4", linewidth=2, label="smoothed loss")
    for method, lr in (result.get("suggestions") or {}).items():
        if lr is not None:
            chosen = method == result.get("method")
            ax.axvline(lr, linestyle="-" if chosen else ":", linewidth=2 if chosen else 1,
                       color="#d62728" if chosen else "#777777", label=f"{method}{' (chosen)' if chosen else ''}: {lr:.2e}")
    ax.set_xscale("log")
    y_range = loss_axis_range(result["smoothed"])
    if y_range:
        ax.set_ylim(*y_range)
    ax.set_xlabel("learning rate")
    ax.set_ylabel(_LOSS_LABELS.get(result.get("loss_kind"), "training loss"))
    ax.set_title("LR range test")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
