"""The trend chart: score per target over past runs, drawn as inline SVG markup.

Pure drawing: it gets the series, returns escaped markup, and fetches nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

# Distinguishable on white and for the common colour-vision deficiencies (Okabe-Ito).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 150, 14, 34


def scale(values: Sequence[float]) -> tuple[float, float]:
    """The y range: the values' range padded to multiples of 5, at least 10 points tall, within 0..100."""
    if not values:
        return 0.0, 100.0
    low = max(0.0, math.floor((min(values) - 2) / 5) * 5)
    high = min(100.0, math.ceil((max(values) + 2) / 5) * 5)
    if high - low < 10:
        if high >= 100:
            low = max(0.0, high - 10)
        else:
            high = min(100.0, low + 10)
    return low, high


# One drawing, top to bottom: grid, axis labels, then each series' line, points and legend entry, all on
# the scale computed at the start.
def trend_svg(series: Mapping[str, Sequence[float | None]], labels: Sequence[str]) -> str:  # noqa: C901
    """An SVG line chart: one line per series over ``labels`` (one label per run, oldest first).

    A ``None`` value (a target not run that time) breaks the line.
    """
    known = [v for values in series.values() for v in values if v is not None]
    if not known or not labels:
        return '<p class="empty">No history yet: the trend appears after the first recorded run.</p>'
    low, high = scale(known)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = len(labels)

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - low) / (high - low))

    parts = [
        f'<svg class="trend" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">',
        "<title>Mutation score per target over the recorded runs</title>",
    ]
    step = 5 if high - low <= 30 else 10
    tick = math.ceil(low / step) * step
    while tick <= high:
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}%</text>'
        )
        tick += step
    every = max(1, math.ceil(count / 8))
    for i, label in enumerate(labels):
        if i % every == 0 or i == count - 1:
            parts.append(
                f'<text class="axis" x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    for n, (name, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        segments: list[list[str]] = [[]]
        for i, value in enumerate(values):
            if value is None:
                segments.append([])
                continue
            segments[-1].append(f"{x(i):.1f},{y(value):.1f}")
        for points in segments:
            if len(points) > 1:
                parts.append(
                    f'<polyline data-series="{escape(name)}" fill="none" stroke="{colour}" stroke-width="2" '
                    f'points="{" ".join(points)}"/>'
                )
        for i, value in enumerate(values):
            if value is not None:
                parts.append(
                    f'<circle data-series="{escape(name)}" cx="{x(i):.1f}" cy="{y(value):.1f}" r="3.5" '
                    f'fill="{colour}"><title>{escape(name)} {escape(labels[i])}: {value:.1f}%</title></circle>'
                )
        legend_y = TOP + 8 + 18 * n
        parts.append(
            f'<rect x="{WIDTH - RIGHT + 14}" y="{legend_y - 8}" width="12" height="12" fill="{colour}"/>'
            f'<text class="legend" x="{WIDTH - RIGHT + 32}" y="{legend_y + 2}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
