"""Plotly figures built from the plain-data record of runs (the JSON that ``trainwise report`` reads).

Every function takes dicts and lists as stored in the record, never live objects, so a report can be rebuilt
from the file alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "epoch_curves_figure",
    "overlay_figure",
    "step_series_figure",
    "range_test_figure",
    "bar_figure",
    "histograms_figure",
]

_PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f"]


def _go():
    import plotly.graph_objects as go

    return go


def _nan_to_none(values: Sequence[Any]) -> list[Any]:
    return [None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v for v in values]


def _layout(fig, title: str, height: int = 420) -> Any:
    fig.update_layout(
        title={"text": title, "x": 0.01}, template="plotly_white", height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50}, legend={"orientation": "h", "y": -0.18},
    )
    return fig


def epoch_curves_figure(runs: Mapping[str, Mapping[str, Any]], *, title: str) -> Any:
    """One panel per run with its training and validation loss per epoch, all on the same y-scale (seed 001)."""
    from plotly.subplots import make_subplots

    go = _go()
    names = list(runs)
    cols = min(3, max(1, len(names)))
    rows = math.ceil(len(names) / cols)
    fig = make_subplots(rows=rows, cols=cols, shared_yaxes="all", shared_xaxes="all", subplot_titles=names,
                        horizontal_spacing=0.05, vertical_spacing=0.12)
    for i, name in enumerate(names):
        epochs = runs[name]["epochs"]
        x = [e["epoch"] + 1 for e in epochs]
        r, c = i // cols + 1, i % cols + 1
        fig.add_trace(go.Scatter(x=x, y=_nan_to_none([e["train_loss"] for e in epochs]), name="train",
                                 line={"color": _PALETTE[0]}, legendgroup="train", showlegend=i == 0), row=r, col=c)
        fig.add_trace(go.Scatter(x=x, y=_nan_to_none([e.get("val_loss") for e in epochs]), name="validation",
                                 line={"color": _PALETTE[1]}, legendgroup="val", showlegend=i == 0), row=r, col=c)
    fig.update_xaxes(title_text="epoch", row=rows)
    fig.update_yaxes(title_text="loss", col=1)
    return _layout(fig, title, height=300 * rows + 80)


def overlay_figure(
    series: Mapping[str, Sequence[float | None]], *, title: str, x_label: str, y_label: str,
    x: Sequence[float] | None = None, log_x: bool = False, log_y: bool = False,
) -> Any:
    """Several named series on one chart (e.g. every run's validation loss on one y-scale)."""
    go = _go()
    fig = go.Figure()
    for i, (name, ys) in enumerate(series.items()):
        xs = list(x) if x is not None else list(range(1, len(ys) + 1))
        fig.add_trace(go.Scatter(x=xs, y=_nan_to_none(list(ys)), name=name, mode="lines+markers" if len(ys) < 40 else "lines",
                                 line={"color": _PALETTE[i % len(_PALETTE)]}))
    fig.update_xaxes(title_text=x_label, type="log" if log_x else "linear")
    fig.update_yaxes(title_text=y_label, type="log" if log_y else "linear")
    return _layout(fig, title)


def step_series_figure(runs: Mapping[str, Sequence[float]], *, title: str, y_label: str, log_y: bool = False) -> Any:
    """Per-step series of several runs (the hyperparameter each update used), one panel per run."""
    from plotly.subplots import make_subplots

    go = _go()
    names = list(runs)
    cols = min(3, max(1, len(names)))
    rows = math.ceil(len(names) / cols)
    fig = make_subplots(rows=rows, cols=cols, shared_yaxes="all", subplot_titles=names, horizontal_spacing=0.05,
                        vertical_spacing=0.14)
    for i, name in enumerate(names):
        ys = list(runs[name])
        fig.add_trace(go.Scatter(x=list(range(len(ys))), y=_nan_to_none(ys), name=name, showlegend=False,
                                 line={"color": _PALETTE[i % len(_PALETTE)]}), row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(title_text="step", row=rows)
    fig.update_yaxes(title_text=y_label, type="log" if log_y else "linear", col=1)
    return _layout(fig, title, height=260 * rows + 80)


def range_test_figure(result: Mapping[str, Any], *, title: str = "LR range test") -> Any:
    """Raw and smoothed loss against the LR (log axis), with a marker for every suggestion method."""
    go = _go()
    lrs = result["lrs"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=lrs, y=_nan_to_none(result["losses"]), name="loss", mode="lines",
                             line={"color": "#bbbbbb"}))
    fig.add_trace(go.Scatter(x=lrs, y=_nan_to_none(result["smoothed"]), name="smoothed loss", mode="lines",
                             line={"color": _PALETTE[0], "width": 2.5}))
    suggestions = {k: v for k, v in (result.get("suggestions") or {}).items() if v is not None}
    for i, (method, lr) in enumerate(suggestions.items()):
        y = _interp_log(lrs, result["smoothed"], lr)
        chosen = method == result.get("method")
        fig.add_trace(go.Scatter(
            x=[lr], y=[y], mode="markers", name=f"{method}{' (chosen)' if chosen else ''}: {lr:.2e}",
            marker={"size": 14 if chosen else 10, "symbol": "star" if chosen else "circle",
                    "color": _PALETTE[(i + 1) % len(_PALETTE)], "line": {"width": 1, "color": "black"}},
        ))
    fig.update_xaxes(title_text="learning rate", type="log")
    from trainwise.report.charts import _LOSS_LABELS, loss_axis_range

    y_label = _LOSS_LABELS.get(result.get("loss_kind"), "training loss")
    fig.update_yaxes(title_text=y_label, range=loss_axis_range(result["smoothed"]))
    return _layout(fig, title)


def _interp_log(xs: Sequence[float], ys: Sequence[float], x: float) -> float | None:
    pts = [(a, b) for a, b in zip(xs, ys) if b is not None and math.isfinite(b) and a > 0]
    if not pts:
        return None
    best = min(pts, key=lambda p: abs(math.log(p[0]) - math.log(x)))
    return best[1]


def bar_figure(values: Mapping[str, float | None], *, title: str, y_label: str) -> Any:
    """One bar per run (e.g. its best validation metric)."""
    go = _go()
    names = list(values)
    fig = go.Figure(go.Bar(x=names, y=_nan_to_none([values[n] for n in names]),
                           marker={"color": [_PALETTE[i % len(_PALETTE)] for i in range(len(names))]}))
    finite = [v for v in _nan_to_none([values[n] for n in names]) if v is not None]
    if finite:  # zoom on the differences: bars of almost equal height are the usual case
        lo, hi = min(finite), max(finite)
        pad = (hi - lo) * 0.25 or abs(hi) * 0.02 or 1.0
        fig.update_yaxes(range=[lo - pad, hi + pad])
    fig.update_yaxes(title_text=y_label)
    return _layout(fig, title, height=360)


def histograms_figure(
    panels: Mapping[str, Mapping[str, Sequence[int] | None]], edges: Mapping[str, Sequence[float]], *, title: str,
    x_label: str, ticks: Mapping[str, Mapping[float, str]] | None = None, max_panels: int = 8,
) -> Any | None:
    """One panel per layer, its value distribution at each of a few steps overlaid (seed 002's picture of
    activations by layer): ``panels`` maps a layer to ``{step label: bin counts}``, ``edges`` a layer to its
    bin edges (in the space the bars are drawn in) and ``ticks`` optionally a layer to ``{position: label}`` for
    its x axis. Counts are shown as fractions of the layer's values. With more than ``max_panels`` layers, evenly
    spaced ones are drawn (first and last included). ``None`` when no layer has a histogram."""
    from plotly.subplots import make_subplots

    go = _go()
    names = [n for n, by_step in panels.items() if any(c for c in by_step.values())]
    if not names:
        return None
    if len(names) > max_panels:
        names = [names[round(i * (len(names) - 1) / (max_panels - 1))] for i in range(max_panels)]
    cols = min(4, len(names))
    rows = math.ceil(len(names) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, horizontal_spacing=0.04, vertical_spacing=0.16)
    labels: list[str] = []
    for i, name in enumerate(names):
        bounds = list(edges[name])
        centers = [(a + b) / 2 for a, b in zip(bounds[:-1], bounds[1:])]
        widths = [b - a for a, b in zip(bounds[:-1], bounds[1:])]
        for label, counts in panels[name].items():
            if not counts:
                continue
            total = sum(counts) or 1
            first = label not in labels  # the first bars of a step label carry its legend entry
            if first:
                labels.append(label)
            k = labels.index(label)
            bars = go.Bar(x=centers, y=[c / total for c in counts], width=widths, name=label, legendgroup=label,
                          showlegend=first, opacity=0.55,
                          marker={"color": _PALETTE[k % len(_PALETTE)]})  # fmt: skip
            fig.add_trace(bars, row=i // cols + 1, col=i % cols + 1)
        if ticks and ticks.get(name):
            fig.update_xaxes(tickvals=list(ticks[name]), ticktext=list(ticks[name].values()), row=i // cols + 1,
                             col=i % cols + 1)  # fmt: skip
    fig.update_layout(barmode="overlay", bargap=0)
    fig.update_xaxes(title_text=x_label, row=rows)
    fig.update_yaxes(title_text="fraction", col=1)
    return _layout(fig, title, height=230 * rows + 110)
