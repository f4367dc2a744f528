"""Small inline SVG charts for the report: monthly bars, monthly lines, sparklines.

Hand-written SVG keeps the report one self-contained file that opens offline and prints sharply, with no
plotting library and no JavaScript. Each chart carries a ``<title>`` per point (a hover tooltip in a
browser) and an ``aria-label``, so the numbers stay readable without the picture.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

Formatter = Callable[[float], str]

INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#e4e7eb"
PALETTE = ("#2f6fb0", "#d9822b", "#2e8b57", "#8e44ad")


@dataclass(frozen=True)
class Series:
    """One line of a line chart: a name and one value (or a gap) per x label."""

    name: str
    values: Sequence[float | None]


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    formatter: Formatter,
    width: int = 640,
    height: int = 220,
) -> str:
    """Vertical bars, one per label, the last one highlighted (the report's month)."""
    top, bottom, left, right = 24, 30, 56, 8
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high, tick = _range([v for v in values if v is not None], from_zero=True)
    step = plot_w / max(len(labels), 1)
    zero_y = top + plot_h * (high / (high - low))
    parts = [
        _open(width, height, title),
        *_y_axis(low, high, tick, top, plot_h, left, width - right, formatter),
    ]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        if value is None:
            continue
        y = top + plot_h * ((high - value) / (high - low))
        colour = PALETTE[0] if index == len(labels) - 1 else "#9fb8d6"
        x = left + index * step + step * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{min(y, zero_y):.1f}" width="{step * 0.7:.1f}" '
            f'height="{max(abs(zero_y - y), 0.5):.1f}" fill="{colour}">'
            f"<title>{escape(label)}: {escape(formatter(value))}</title></rect>"
        )
    parts += _x_labels(labels, left, step, height - bottom + 14)
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    formatter: Formatter,
    width: int = 640,
    height: int = 220,
) -> str:
    """One line per series over the labels; gaps where a value is missing; a legend on top."""
    top, bottom, left, right = 28, 30, 56, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high, tick = _range([v for s in series for v in s.values if v is not None])
    step = plot_w / max(len(labels) - 1, 1)
    parts = [
        _open(width, height, title),
        *_y_axis(low, high, tick, top, plot_h, left, width - right, formatter),
    ]
    for number, line in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        points = [
            (left + index * step, top + plot_h * ((high - value) / (high - low)), label, value)
            for index, (label, value) in enumerate(zip(labels, line.values, strict=True))
            if value is not None
        ]
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y, _, _) in enumerate(points))
        if path:
            parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, label, value in points:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(line.name)}, {escape(label)}: {escape(formatter(value))}</title></circle>"
            )
        legend_x = left + number * 170
        parts.append(
            f'<rect x="{legend_x}" y="6" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="15" font-size="11" fill="{INK}">{escape(line.name)}</text>'
        )
    parts += _x_labels(labels, left - step / 2, step, height - bottom + 14)
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: Sequence[float | None], *, width: int = 120, height: int = 28) -> str:
    """A tiny trend line for a KPI tile (no axes; the last point marked)."""
    numbers = [v for v in values if v is not None]
    if len(numbers) < 2:
        return ""
    low, high = min(numbers), max(numbers)
    if high == low:
        high, low = high + 1, low - 1
    step = (width - 4) / max(len(values) - 1, 1)
    points = [
        (2 + index * step, 2 + (height - 4) * ((high - value) / (high - low)))
        for index, value in enumerate(values)
        if value is not None
    ]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))
    last_x, last_y = points[-1]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-hidden="true">'
        f'<path d="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="1.5"/>'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.5" fill="{PALETTE[0]}"/></svg>'
    )


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" font-family="system-ui, sans-serif">'
        f"<title>{escape(title)}</title>"
    )


def _range(numbers: Sequence[float], *, from_zero: bool = False) -> tuple[float, float, float]:
    """The y axis as (low, high, step) on round numbers (1, 2, 2.5, 5 × 10ⁿ) covering the data."""
    values = [*numbers, 0.0] if from_zero else list(numbers)
    if not values:
        return 0.0, 1.0, 0.25
    low, high = min(values), max(values)
    if high == low:
        low, high = (low - 1.0, high + 1.0) if low == 0 else (low - abs(low) * 0.1, high + abs(high) * 0.1)
    raw_step = (high - low) / 4
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _y_axis(
    low: float,
    high: float,
    step: float,
    top: float,
    plot_h: float,
    x0: float,
    x1: float,
    formatter: Formatter,
) -> list[str]:
    parts = []
    ticks = round((high - low) / step)
    for tick in range(ticks + 1):
        value = low + step * tick
        y = top + plot_h * (1 - tick / ticks)
        parts.append(
            f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{x0 - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="{MUTED}">'
            f"{escape(formatter(value))}</text>"
        )
    return parts


def _x_labels(labels: Sequence[str], left: float, step: float, y: float) -> list[str]:
    """Every label when they fit, else every third (and always the last)."""
    every = 1 if len(labels) <= 12 else 3
    parts = []
    for index, label in enumerate(labels):
        if index % every and index != len(labels) - 1:
            continue
        x = left + index * step + step / 2
        parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" text-anchor="middle" fill="{MUTED}">'
            f"{escape(label)}</text>"
        )
    return parts
