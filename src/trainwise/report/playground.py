"""Figures of the optimizer playground (:mod:`trainwise.playground`): optimizers racing on 2-D loss surfaces.

- :func:`playground_figure`: one animated Plotly figure per surface (contours, each optimizer's path, a marker per
  optimizer that moves over the frames, Play/Pause and a step slider);
- :func:`playground_html`: those figures as an HTML fragment (for a report section), with the numbers behind them;
- :func:`write_playground`: a self-contained ``.html`` page (one embedded plotly.js, works offline), a static
  ``.png`` (matplotlib, one panel per surface) or a ``.json`` record that :func:`read_playground` reads back.

Everything here draws from the plain data in :class:`~trainwise.playground.PlaygroundResult`; nothing is recomputed
except the surface's Hessian for the summary table of a registered surface.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trainwise.playground import SURFACES, PlaygroundResult, Trajectory, summary

__all__ = ["playground_figure", "playground_html", "write_playground", "read_playground"]

_RECORD_FORMAT = 1
_PALETTE = ["#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#17becf", "#8c564b", "#e377c2"]


def _color(name: str) -> str:
    """The same colour for an optimizer on every surface and in both backends."""
    from trainwise.optimizers import OPTIMIZERS

    names = list(OPTIMIZERS)
    index = names.index(name) if name in names else len(names) + sum(map(ord, name))
    return _PALETTE[index % len(_PALETTE)]


def _label(t: Trajectory) -> str:
    text = f"{t.optimizer} (lr {t.lr:g})"
    return f"{text}, stopped at step {t.steps}" if t.stopped else text


def _contour_values(result: PlaygroundResult) -> tuple[Any, str, Any]:
    """The grid as drawn, its label, and the map from a drawn value back to the loss.

    Surfaces whose loss spans many decades (Rosenbrock, Beale) are drawn as log10 of (loss - lowest loss on the
    grid + a small floor), so the valley floor gets contour lines too.
    """
    import numpy as np

    z = np.asarray(result.grid.z, dtype=float)
    finite = z[np.isfinite(z)]
    if not result.log_contours or finite.size == 0:
        return z, "loss", lambda v: v
    low, high = float(finite.min()), float(finite.max())
    floor = max((high - low) * 1e-9, 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log10(z - low + floor), "log10 loss", lambda v: 10.0**v + low - floor


def _contour_lines(result: PlaygroundResult, count: int = 24) -> list[tuple[float, float, list, list]]:
    """``count`` contour levels as polylines: ``(loss, darkness 0..1, xs, ys)`` with ``None`` between pieces.

    The Plotly figure draws these as line traces rather than a contour trace: plotly.js drops contour and heatmap
    traces from the plot while an animation runs without a full redraw (plotly/plotly.js#4491), and a full redraw
    per frame makes the animation stutter.
    """
    import contourpy
    import numpy as np

    z, _, to_loss = _contour_values(result)
    finite = z[np.isfinite(z)]
    if finite.size == 0 or float(finite.min()) == float(finite.max()):
        return []
    levels = np.linspace(float(finite.min()), float(finite.max()), count + 2)[1:-1]
    gen = contourpy.contour_generator(np.asarray(result.grid.xs), np.asarray(result.grid.ys), np.ma.masked_invalid(z),
                                      line_type="Separate")
    out = []
    for i, level in enumerate(levels):
        xs: list = []
        ys: list = []
        for piece in gen.lines(float(level)):
            xs += [*piece[:, 0].tolist(), None]
            ys += [*piece[:, 1].tolist(), None]
        if xs:
            out.append((float(to_loss(level)), 1 - i / max(1, count - 1), xs, ys))
    return out


def _visible_path(t: Trajectory, bounds: Any, max_points: int = 2000) -> tuple[list[float], list[float]]:
    """The path up to the first point far outside the view (three view-widths away), so a runaway trajectory
    (x^2 - y^2 is unbounded below) leaves the frame without drawing coordinates like 1e150; thinned evenly to at
    most ``max_points`` points."""
    (x0, x1), (y0, y1) = bounds
    wx, wy = x1 - x0, y1 - y0
    end = len(t.xs)
    for k, (x, y) in enumerate(zip(t.xs, t.ys)):
        if not (x0 - 3 * wx <= x <= x1 + 3 * wx and y0 - 3 * wy <= y <= y1 + 3 * wy):
            end = k + 1
            break
    idx = _even_indices(end - 1, max_points)
    return [t.xs[i] for i in idx], [t.ys[i] for i in idx]


def _rounder(bounds: Any) -> Any:
    """Round drawn coordinates to ~1e-5 of the view (far below a pixel) so the HTML stays small."""
    (x0, x1), (y0, y1) = bounds
    digits = max(0, 5 - math.floor(math.log10(max(x1 - x0, y1 - y0))))
    return lambda values: [None if v is None else round(v, digits) for v in values]


def _shade(darkness: float) -> str:
    """Blue-grey contour colour: dark for the lowest level (darkness 1), pale for the highest (darkness 0)."""
    dark, pale = (55, 80, 125), (200, 208, 222)
    r, g, b = (round(d * darkness + p * (1 - darkness)) for d, p in zip(dark, pale))
    return f"rgb({r},{g},{b})"


def _even_indices(last: int, count: int) -> list[int]:
    """At most ``count`` indices from 0 to ``last`` inclusive, evenly spread, always with both ends."""
    if last + 1 <= count:
        return list(range(last + 1))
    return sorted({round(i * last / (count - 1)) for i in range(count)})


def playground_figure(result: PlaygroundResult, *, max_frames: int = 100, frame_ms: int = 60) -> Any:
    """An animated Plotly figure of one surface: contours, every optimizer's path (faint) and a marker per
    optimizer that moves along it, with Play/Pause buttons and a slider over the steps.

    The animation has at most ``max_frames`` frames (steps are subsampled evenly, the first and last always
    included) so that the HTML stays small; a trajectory that stopped early keeps its marker at its last point.

    >>> from trainwise.playground import trajectories
    >>> fig = playground_figure(trajectories("saddle", optimizers=("sgd", "adam"), steps=150), max_frames=50)
    >>> len(fig.frames), fig.frames[-1].name
    (50, '150')
    """
    import plotly.graph_objects as go

    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 2:
        raise ValueError(f"max_frames must be an int >= 2, got max_frames={max_frames!r}")
    if isinstance(frame_ms, bool) or not isinstance(frame_ms, int) or frame_ms < 1:
        raise ValueError(f"frame_ms must be an int >= 1, got frame_ms={frame_ms!r}")
    log_note = "  (contours of log10 loss)" if result.log_contours else ""
    (x0, x1), (y0, y1) = result.bounds
    fig = go.Figure()
    rounded = _rounder(result.bounds)
    for loss, dark, xs, ys in _contour_lines(result):
        xs, ys = rounded(xs), rounded(ys)
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", line=dict(color=_shade(dark), width=1),
            showlegend=False, hovertemplate=f"loss {loss:.3g}<extra></extra>",
        ))
    for t in result.trajectories:
        xs, ys = _visible_path(t, result.bounds)
        fig.add_trace(go.Scatter(
            x=rounded(xs), y=rounded(ys), mode="lines", name=_label(t), legendgroup=t.optimizer, opacity=0.55,
            line=dict(color=_color(t.optimizer), width=2), hoverinfo="skip",
        ))
    markers_from = len(fig.data)
    for t in result.trajectories:
        fig.add_trace(go.Scatter(
            x=[t.xs[0]], y=[t.ys[0]], mode="markers", name=t.optimizer, legendgroup=t.optimizer, showlegend=False,
            marker=dict(color=_color(t.optimizer), size=12, line=dict(color="black", width=1)),
            hovertemplate=t.optimizer + "<br>x=%{x:.4g}<br>y=%{y:.4g}<extra></extra>",
        ))
    marker_ids = list(range(markers_from, len(fig.data)))
    fig.add_trace(go.Scatter(x=[result.start[0]], y=[result.start[1]], mode="markers", name="start",
                             marker=dict(symbol="circle-open", size=14, color="black", line=dict(width=2))))
    if result.minima:
        fig.add_trace(go.Scatter(x=[p[0] for p in result.minima], y=[p[1] for p in result.minima], mode="markers",
                                 name="minimum", marker=dict(symbol="star", size=16, color="gold",
                                                             line=dict(color="black", width=1))))
    if result.saddles:
        fig.add_trace(go.Scatter(x=[p[0] for p in result.saddles], y=[p[1] for p in result.saddles], mode="markers",
                                 name="saddle", marker=dict(symbol="x", size=13, color="black")))

    steps = _even_indices(max(t.steps for t in result.trajectories), max_frames)
    frames = []
    for k in steps:
        data = []
        for t in result.trajectories:
            i = min(k, t.steps)
            data.append(go.Scatter(x=[t.xs[i]], y=[t.ys[i]]))
        frames.append(go.Frame(data=data, traces=marker_ids, name=str(k)))
    fig.frames = frames
    still = {"mode": "immediate", "frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}}
    fig.update_layout(
        title=dict(text=f"{result.surface}: {result.formula}{log_note}", x=0.02),
        template="plotly_white", width=940, height=620,
        xaxis=dict(range=[x0, x1], title="x", showgrid=False, zeroline=False),
        yaxis=dict(range=[y0, y1], title="y", showgrid=False, zeroline=False),
        legend=dict(x=1.02, y=1, xanchor="left", yanchor="top", font=dict(size=11)),
        margin=dict(l=60, r=20, t=60, b=130),
        updatemenus=[dict(
            type="buttons", direction="left", x=0, y=-0.1, xanchor="left", yanchor="top", showactive=False,
            buttons=[
                dict(label="Play", method="animate",
                     args=[None, {"frame": {"duration": frame_ms, "redraw": False}, "fromcurrent": True,
                                  "transition": {"duration": 0}}]),
                dict(label="Pause", method="animate", args=[[None], still]),
            ],
        )],
        sliders=[dict(
            active=0, x=0.16, y=-0.06, len=0.84, xanchor="left", yanchor="top", pad=dict(t=0, b=0),
            currentvalue=dict(prefix="step ", visible=True),
            steps=[dict(label=f.name, method="animate", args=[[f.name], still]) for f in frames],
        )],
    )
    return fig


def _summary_table(result: PlaygroundResult) -> str:
    """The numbers behind the picture, for a registered surface (custom surfaces have no table)."""
    if result.surface not in SURFACES:
        return ""
    rows = summary(result)
    has_min, has_saddle = bool(result.minima), bool(result.saddles)
    head = ["optimizer", "lr", "steps", "final point", "final loss"]
    head += ["distance to minimum", "overshoots"] if has_min else []
    head += ["escaped at step"] if has_saddle else []
    head += ["note"]
    out = ["<table class='playground-summary'><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for r in rows:
        cells = [r.optimizer, f"{r.lr:g}", str(r.steps), f"({r.final_x:.3g}, {r.final_y:.3g})", f"{r.final_loss:.3g}"]
        if has_min:
            cells += [f"{r.distance_to_minimum:.3g}", str(r.overshoots)]
        if has_saddle:
            cells += ["never" if r.escape_step is None else str(r.escape_step)]
        cells += [r.stop_reason]
        out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return "".join(out) + "</table>"


def playground_html(
    results: PlaygroundResult | Sequence[PlaygroundResult],
    *,
    include_plotlyjs: bool = True,
    max_frames: int = 100,
) -> str:
    """An HTML fragment: per surface a heading, its description, the animated figure and a table of the numbers.

    plotly.js is embedded once, in the first figure, when ``include_plotlyjs`` is true; pass ``False`` when the
    page already embeds it.

    >>> from trainwise.playground import trajectories
    >>> text = playground_html(trajectories("quadratic", optimizers=("sgd",), steps=5), include_plotlyjs=False)
    >>> text.count("<section"), "plotly.js v" in text
    (1, False)
    """
    items = _as_results(results)
    parts = []
    for i, r in enumerate(items):
        fig = playground_figure(r, max_frames=max_frames)
        div = fig.to_html(full_html=False, include_plotlyjs=bool(include_plotlyjs) and i == 0, auto_play=False,
                          div_id=f"trainwise-playground-{i}-{''.join(c for c in r.surface if c.isalnum())}",
                          config={"displaylogo": False})
        parts.append(
            f"<section class='trainwise-playground'><h2>{html.escape(r.surface)}: <code>{html.escape(r.formula)}"
            f"</code></h2><p>{html.escape(r.description)}</p>{div}{_summary_table(r)}</section>"
        )
    return "\n".join(parts)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; color: #222; }}
section {{ margin-bottom: 3em; }}
table.playground-summary {{ border-collapse: collapse; font-size: 0.9em; }}
table.playground-summary th, table.playground-summary td {{ border-bottom: 1px solid #ddd; padding: 0.25em 0.6em;
  text-align: right; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>Each optimizer is torch's own implementation, started from the same point; press Play or drag the slider.
Faint lines are whole paths, markers the position at the slider's step.</p>
{body}
</body>
</html>
"""


def write_playground(
    results: PlaygroundResult | Sequence[PlaygroundResult],
    path: str | Path,
    *,
    title: str = "trainwise optimizer playground",
    max_frames: int = 100,
) -> Path:
    """Write playground results to ``path``: ``.html`` (animated, self-contained, works offline: one embedded
    plotly.js for all surfaces), ``.png`` (matplotlib, one panel per surface) or ``.json`` (the plain data).

    >>> import tempfile, pathlib
    >>> from trainwise.playground import run_playground
    >>> results = run_playground(["quadratic", "saddle"], optimizers=("sgd", "adam"), steps=20)
    >>> out = write_playground(results, pathlib.Path(tempfile.mkdtemp()) / "playground.html")
    >>> text = out.read_text(encoding="utf-8")
    >>> text.count("plotly.js v"), text.count("Plotly.newPlot")  # one embedded plotly.js, two figures
    (1, 2)
    """
    items = _as_results(results)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".html", ".png", ".json"):
        raise ValueError(f"path must end in .html, .png or .json, got path={str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".html":
        body = playground_html(items, include_plotlyjs=True, max_frames=max_frames)
        path.write_text(_PAGE.format(title=html.escape(title), body=body), encoding="utf-8")
    elif suffix == ".png":
        _write_png(items, path, title)
    else:
        record = {"format_version": _RECORD_FORMAT, "kind": "playground", "results": [r.to_dict() for r in items]}
        path.write_text(json.dumps(record, indent=1, allow_nan=False), encoding="utf-8")
    return path


def read_playground(path: str | Path) -> list[PlaygroundResult]:
    """Read the results from a ``.json`` file written by :func:`write_playground`.

    >>> import tempfile, pathlib
    >>> from trainwise.playground import trajectories
    >>> r = trajectories("beale", optimizers=("adam",), steps=5)
    >>> read_playground(write_playground(r, pathlib.Path(tempfile.mkdtemp()) / "p.json")) == [r]
    True
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("kind") != "playground" or data.get("format_version") != _RECORD_FORMAT:
        raise ValueError(f"{path} is not a trainwise playground record (format_version {_RECORD_FORMAT})")
    return [PlaygroundResult.from_dict(r) for r in data["results"]]


def _as_results(results: Any) -> list[PlaygroundResult]:
    items = [results] if isinstance(results, PlaygroundResult) else results
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise TypeError(f"results must be a PlaygroundResult or a sequence of them, got {type(results).__name__}")
    items = list(items)
    if not items:
        raise ValueError("results is empty: nothing to draw")
    for r in items:
        if not isinstance(r, PlaygroundResult):
            raise TypeError(f"results must hold PlaygroundResult objects, got {type(r).__name__}")
    return items


def _write_png(results: list[PlaygroundResult], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    cols = min(2, len(results))
    rows = math.ceil(len(results) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.4 * cols, 5.2 * rows), squeeze=False)
    for ax in axes.flat[len(results):]:
        ax.set_visible(False)
    for ax, r in zip(axes.flat, results):
        z, z_label, _ = _contour_values(r)
        filled = ax.contourf(r.grid.xs, r.grid.ys, z, levels=28, cmap="Blues", alpha=0.6)
        ax.contour(r.grid.xs, r.grid.ys, z, levels=28, colors="#34495e", linewidths=0.4, alpha=0.5)
        fig.colorbar(filled, ax=ax, shrink=0.85).set_label(z_label, fontsize=8)
        for t in r.trajectories:
            xs, ys = _visible_path(t, r.bounds)
            color = _color(t.optimizer)
            ax.plot(xs, ys, color=color, linewidth=1.6, label=_label(t))
            ax.plot(xs[-1:], ys[-1:], "o", color=color, markeredgecolor="black", markersize=6)
        ax.plot([r.start[0]], [r.start[1]], "o", markerfacecolor="none", markeredgecolor="black", markersize=10,
                label="start")
        if r.minima:
            ax.plot([p[0] for p in r.minima], [p[1] for p in r.minima], "*", color="gold", markeredgecolor="black",
                    markersize=15, label="minimum")
        if r.saddles:
            ax.plot([p[0] for p in r.saddles], [p[1] for p in r.saddles], "X", color="black", markersize=10,
                    label="saddle")
        (x0, x1), (y0, y1) = r.bounds
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title(f"{r.surface}: {r.formula}  ({r.steps} steps)", fontsize=10)
        ax.legend(fontsize=7, loc="best", framealpha=0.85)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
