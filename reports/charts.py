"""The report's charts as SVG, drawn with matplotlib from a snapshot's stored numbers only, so that the page and the
PDF show the same pictures.

The output is deterministic (the same numbers give the same bytes): a fixed ``svg.hashsalt`` for the element ids
and no date in the metadata. Text stays text (``svg.fonttype: none``): it is searchable in the PDF and scales.
A value that is not a number (``None`` for unknown, or the shared version's "<5" and "*") is never drawn as one:
a trend line breaks there and a bar is left out, with the marker written in its place; the caller says so in the
figure's caption. Arguments are tuples: the drawings are pure functions of them, kept in a small cache.
"""

from __future__ import annotations

import functools
import io
import math

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

# No display, ever: figures are drawn to SVG (and pyplot, if anything loads it, must not look for a screen).
matplotlib.use("Agg")

INK = "#1b1f24"
MUTED = "#4d5560"
LINE = "#c9ced6"
BRAND = "#1d3b6e"
BAR_WIDTH_INCHES = 5.2
TREND_WIDTH_INCHES = 4.8
TREND_HEIGHT_INCHES = 2.4
BAR_HEIGHT_PER_ROW_INCHES = 0.3
STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "psn-report",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial"],
    "font.size": 9,
    "axes.edgecolor": LINE,
    "axes.labelcolor": INK,
    "axes.titlesize": 10,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "text.color": INK,
}


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _svg(figure: Figure) -> str:
    out = io.StringIO()
    with matplotlib.rc_context(STYLE):
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    return out.getvalue()


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(STYLE):
        return Figure(figsize=(width, height), dpi=72)


# A build draws the full and the shared version, whose charts are mostly the same: each is drawn once.
@functools.lru_cache(maxsize=64)
def trend(labels: tuple[str, ...], values: tuple, *, percent: bool = False) -> str:
    """A line over the months: ``labels`` name them (a newline may split month and year), ``values`` are numbers
    or markers; the line breaks at a marker or an unknown value."""
    with matplotlib.rc_context(STYLE):
        figure = _figure(TREND_WIDTH_INCHES, TREND_HEIGHT_INCHES)
        axes = figure.add_subplot()
        xs = list(range(len(labels)))
        ys = [float(v) if is_number(v) else math.nan for v in values]
        axes.plot(xs, ys, color=BRAND, linewidth=2, marker="o", markersize=4)
        axes.set_xticks(xs, labels)
        axes.set_xlim(-0.5, len(xs) - 0.5)
        drawn = [y for y in ys if not math.isnan(y)]
        top = max(drawn, default=0)
        if percent:
            axes.set_ylim(0, 1.05)
            axes.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        else:
            axes.set_ylim(0, max(top * 1.15, 1))
            axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        for x, value in zip(xs, values, strict=True):
            if isinstance(value, str):
                axes.annotate(value, (x, 0), xytext=(0, 3), textcoords="offset points", ha="center", color=MUTED)
        axes.grid(axis="y", color=LINE, linewidth=0.6)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.tick_params(axis="x", labelsize=8)
        return _svg(figure)


@functools.lru_cache(maxsize=64)
def bars(labels: tuple[str, ...], values: tuple) -> str:
    """Horizontal bars, one per label in the given order (top to bottom); a marker is written where its bar would
    be, an unknown value leaves the row empty."""
    with matplotlib.rc_context(STYLE):
        rows = max(len(labels), 1)
        figure = _figure(BAR_WIDTH_INCHES, 0.6 + BAR_HEIGHT_PER_ROW_INCHES * rows)
        axes = figure.add_subplot()
        ys = list(range(len(labels)))
        widths = [float(v) if is_number(v) else 0.0 for v in values]
        shown = [y for y, v in zip(ys, values, strict=True) if is_number(v)]
        axes.barh(shown, [widths[y] for y in shown], color=BRAND, height=0.6)
        top = max(widths, default=0)
        for y, value in zip(ys, values, strict=True):
            text = f"{value:g}" if is_number(value) else (value if isinstance(value, str) else "")
            axes.annotate(text, (widths[y], y), xytext=(3, 0), textcoords="offset points", va="center", color=INK)
        axes.set_yticks(ys, [_short(label) for label in labels])
        axes.set_ylim(rows - 0.5, -0.5)  # an empty chart keeps one row's height (no singular axis)
        axes.set_xlim(0, max(top * 1.15, 1))
        if shown:
            axes.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        else:
            axes.set_xticks([])  # nothing is drawn: a scale would suggest zeros
        axes.grid(axis="x", color=LINE, linewidth=0.6)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        return _svg(figure)


def _short(label: str, limit: int = 32) -> str:
    """A long name shortened for the axis (the data table beside the chart has it whole)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"
