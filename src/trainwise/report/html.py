"""One self-contained HTML document: plotly.js embedded once, no CDN, no network, every user string escaped.

A document is a list of :class:`Section`; each holds blocks (paragraphs, tables, findings, figures). The record
→ sections mapping for ``trainwise demo`` and ``trainwise report`` lives in :mod:`trainwise.report.story`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Section", "Paragraph", "Table", "Findings", "Figure", "render_document"]


@dataclass
class Paragraph:
    text: str
    muted: bool = False


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""
    highlight_row: int | None = None


@dataclass
class Findings:
    """Verdict lines: ``(status, title, detail)`` with status one of pass, warn, fail, info."""

    items: list[tuple[str, str, str]]


@dataclass
class Figure:
    figure: Any  # a plotly Figure
    caption: str = ""


@dataclass
class Section:
    title: str
    blocks: list[Any] = field(default_factory=list)
    anchor: str = ""


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#12344d;color:#fff;padding:22px 32px}header h1{margin:0 0 4px 0;font-size:26px}
header p{margin:0;opacity:.85}main{max-width:1200px;margin:0 auto;padding:8px 32px 40px}
nav{margin:16px 0;font-size:14px}nav a{margin-right:14px;color:#12344d}
section{background:#fff;border:1px solid #e3e3e3;border-radius:8px;padding:16px 22px;margin:18px 0}
h2{margin-top:4px;color:#12344d}p.muted{color:#666;font-size:14px}
table{border-collapse:collapse;margin:10px 0;font-size:14px}th,td{border-bottom:1px solid #e6e6e6;padding:5px 10px;text-align:right}
th{background:#f2f5f8}td:first-child,th:first-child{text-align:left}tr.best td{background:#eaf6ea;font-weight:600}
caption{text-align:left;color:#555;padding:4px 0;font-size:13px}
ul.findings{list-style:none;padding-left:0}ul.findings li{margin:6px 0;padding:6px 10px;border-left:4px solid #999;background:#f7f7f7}
li.pass{border-color:#2ca02c!important}li.fail{border-color:#d62728!important}li.warn{border-color:#ff9f1c!important}
li.info{border-color:#1f77b4!important}.tag{font-weight:700;text-transform:uppercase;font-size:12px;margin-right:8px}
.figure{margin:8px 0 18px}.figure p{margin:2px 0 0 0;color:#555;font-size:13px}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return _e(f"{value:.4g}")
    return _e(value)


def _render_block(block: Any, index: int) -> str:
    if isinstance(block, Paragraph):
        return f'<p class="{"muted" if block.muted else ""}">{_e(block.text)}</p>'
    if isinstance(block, Table):
        head = "".join(f"<th>{_e(c)}</th>" for c in block.columns)
        body = "".join(
            f'<tr class="{"best" if i == block.highlight_row else ""}">' + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
            for i, row in enumerate(block.rows)
        )
        caption = f"<caption>{_e(block.caption)}</caption>" if block.caption else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(block, Findings):
        items = "".join(
            f'<li class="{_e(status)}"><span class="tag">{_e(status)}</span><b>{_e(title)}</b> {_e(detail)}</li>'
            for status, title, detail in block.items
        )
        return f'<ul class="findings">{items}</ul>'
    if isinstance(block, Figure):
        div = block.figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"fig{index}", auto_play=False,
                                   config={"responsive": True, "displaylogo": False})
        caption = f"<p>{_e(block.caption)}</p>" if block.caption else ""
        return f'<div class="figure">{div}{caption}</div>'
    raise TypeError(f"unknown report block {type(block).__name__}")


def render_document(title: str, subtitle: str, sections: Sequence[Section], *, data: Any = None) -> str:
    """The whole HTML page. ``data`` (JSON-able), when given, is embedded so the page carries its own record."""
    from plotly.offline import get_plotlyjs

    counter = 0
    parts = []
    for n, section in enumerate(sections):
        anchor = section.anchor or f"s{n}"
        blocks = []
        for block in section.blocks:
            blocks.append(_render_block(block, counter))
            counter += 1
        parts.append(f'<section id="{_e(anchor)}"><h2>{_e(section.title)}</h2>{"".join(blocks)}</section>')
    nav = "".join(f'<a href="#{_e(s.anchor or f"s{n}")}">{_e(s.title)}</a>' for n, s in enumerate(sections))
    embedded = ""
    if data is not None:
        # Every "<" becomes \u003c (same JSON value) so no string in the record can end or confuse the script element.
        payload = json.dumps(data, allow_nan=False).replace("<", "\\u003c")
        embedded = f'<script type="application/json" id="trainwise-record">{payload}</script>'
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{_e(title)}</title>"
        f"<style>{_CSS}</style><script type=\"text/javascript\">{get_plotlyjs()}</script></head><body>"
        f"<header><h1>{_e(title)}</h1><p>{_e(subtitle)}</p></header><main><nav>{nav}</nav>{''.join(parts)}</main>"
        f"{embedded}</body></html>"
    )
