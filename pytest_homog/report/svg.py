"""The HTML report's pictures, as inline SVG: an estimate's error bar, a similarity matrix's heatmap with its colour
scale, and the failure patterns of a group of subjects (who fails which units, UpSet-style).

Each function returns one ``<svg>`` element as text; every name in it is escaped and nothing refers outside it,
so the page stays one self-contained file. The colours and strokes of the error bar are in the page's CSS.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

from pytest_homog.report.numbers import format_number

__all__ = ["errorbar_svg", "failure_patterns_svg", "heatmap_colour", "heatmap_svg"]

#: the ends of the heatmap's colour scale: white to dark blue
_LOW, _HIGH = (255, 255, 255), (8, 69, 148)

#: the colour of a subject's dot in a failure pattern, and of the bar of the units every subject fails
_FAILED = "#cf222e"

#: a name longer than this is cut in the pictures (the full name is in the tooltip)
_NAME_CHARACTERS = 18

#: width of one character of the 11 px labels, a little over the average of a sans-serif face's letters
_CHARACTER_WIDTH = 6.5


def _escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _finite(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def _short(name: str) -> str:
    return name if len(name) <= _NAME_CHARACTERS else name[: _NAME_CHARACTERS - 1] + "…"


# --- error bar ---------------------------------------------------------------------------------------------------

# The error bar is 220 x 22 CSS pixels drawn in 10 user units per pixel, so that every coordinate is a whole
# number and still places a point to a tenth of a pixel.
_BAR_WIDTH, _BAR_HEIGHT, _BAR_PADDING, _UNIT = 220, 22, 8, 10


def errorbar_svg(
    value: float | None, low: float | None, high: float | None, threshold: float | None, stored: float | None,
    *, passed: bool,
) -> str:  # fmt: skip
    """An estimate as a point with its interval as an error bar, the threshold as a dashed red line, the
    baseline value (if any) as a grey diamond; the scale spans [0, 1] and every number drawn."""
    drawn = [v for v in (value, low, high, threshold, stored) if _finite(v)]
    low_end, high_end = min([0.0, *drawn]), max([1.0, *drawn])
    left = _BAR_PADDING * _UNIT
    span = (_BAR_WIDTH - 2 * _BAR_PADDING) * _UNIT
    middle, bottom = _BAR_HEIGHT * _UNIT // 2, (_BAR_HEIGHT - 3) * _UNIT

    def x(number: float) -> int:  # rounded to the nearest unit
        return math.floor(left + (number - low_end) / (high_end - low_end) * span + 0.5)

    width, height = _BAR_WIDTH * _UNIT, _BAR_HEIGHT * _UNIT
    parts = [
        f'<svg class="errorbar" width="{_BAR_WIDTH}" height="{_BAR_HEIGHT}" viewBox="0 0 {width} {height}" role="img">',
        f'<line class="axis" x1="{left}" y1="{bottom}" x2="{left + span}" y2="{bottom}"/>',
    ]
    if _finite(threshold):
        at = x(threshold)
        parts.append(f'<line class="threshold" x1="{at}" y1="{_UNIT}" x2="{at}" y2="{(_BAR_HEIGHT - 1) * _UNIT}"/>')
    if _finite(stored):
        at, half = x(stored), 4 * _UNIT  # a diamond
        parts.append(
            f'<path class="baseline" d="M{at} {middle - half} L{at + half} {middle} L{at} {middle + half} '
            f'L{at - half} {middle} Z"/>'
        )
    if _finite(low) and _finite(high):
        start, end, tick = x(low), x(high), 5 * _UNIT
        parts.append(
            f'<path class="interval" d="M{start} {middle} H{end} M{start} {middle - tick} V{middle + tick} '
            f'M{end} {middle - tick} V{middle + tick}"/>'
        )
    if _finite(value):
        state = "value" if passed else "value failed"
        parts.append(f'<circle class="{state}" cx="{x(value)}" cy="{middle}" r="{4 * _UNIT}"/>')
    return "".join(parts) + "</svg>"


# --- heatmap -----------------------------------------------------------------------------------------------------

_CELL, _LEGEND_STEPS, _LEGEND_WIDTH = 44, 10, 16


def heatmap_colour(t: float) -> str:
    """The colour of ``t`` in [0, 1] on the heatmap's scale, from white to dark blue.

    Examples
    --------
    >>> heatmap_colour(0.0), heatmap_colour(1.0), heatmap_colour(0.5)
    ('#ffffff', '#084594', '#84a2ca')
    """
    t = min(1.0, max(0.0, t))
    return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(_LOW, _HIGH, strict=True))


def heatmap_svg(
    names: Sequence[str], values: Sequence[Sequence[float]], intervals: Sequence[Sequence[str]] | None = None
) -> str:
    """A square matrix as a heatmap: names on both axes (the column names at 45 degrees, so that they do not
    overlap), each value written in its cell, and a colour scale from the smaller of 0 and the least value to
    the larger of 1 and the greatest; undefined values are grey with ``-``. Each cell's tooltip names the pair
    and gives its value, and its interval from ``intervals`` (text per cell) when given."""
    finite = [v for row in values for v in row if math.isfinite(v)]
    low_end, high_end = min([0.0, *finite]), max([1.0, *finite])
    span = high_end - low_end
    shown = [_short(name) for name in names]
    label = max(60.0, _CHARACTER_WIDTH * max((len(n) for n in shown), default=1) + 10)
    size = _CELL * len(names)
    legend_x = label + size + 16
    # a column name at 45 degrees reaches label * cos 45 right of its cell, above the legend: the last one needs
    # that room
    width = max(legend_x + _LEGEND_WIDTH + 40, label + size + 0.71 * label)
    height = max(label + size, label + 12 * _LEGEND_STEPS) + 4
    parts = [
        f'<svg class="heatmap" width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        'role="img" font-size="11">'
    ]
    escaped = [_escape(name) for name in names]
    for i, name in enumerate(shown):
        cy, cx = label + i * _CELL + _CELL / 2 + 4, label + i * _CELL + _CELL / 2
        tip = f"<title>{escaped[i]}</title>" if name != names[i] else ""
        parts.append(f'<text x="{label - 6}" y="{cy}" text-anchor="end">{tip}{_escape(name)}</text>')
        x, y = cx - 4, label - 6
        parts.append(f'<text x="{x}" y="{y}" transform="rotate(-45 {x} {y})">{tip}{_escape(name)}</text>')
    for i, row in enumerate(values):
        y = label + i * _CELL
        for j, value in enumerate(row):
            x = label + j * _CELL
            if math.isfinite(value):
                t = (value - low_end) / span if span > 0 else 0.0
                fill, text = heatmap_colour(t), f"{value:.2f}"
            else:
                t, fill, text = 0.0, "#eeeeee", "-"
            ink = "#ffffff" if t > 0.55 else "#1b1f23"
            interval = f", {_escape(intervals[i][j])}" if intervals is not None and intervals[i][j] else ""
            parts.append(
                f'<rect x="{x}" y="{y}" width="{_CELL}" height="{_CELL}" fill="{fill}" stroke="#ffffff">'
                f"<title>{escaped[i]} / {escaped[j]}: {format_number(value)}{interval}</title></rect>"
                f'<text x="{x + _CELL / 2}" y="{y + _CELL / 2 + 4}" text-anchor="middle" fill="{ink}">{text}</text>'
            )
    parts += _legend(legend_x, label, low_end, high_end)
    parts.append("</svg>")
    return "".join(parts)


def _legend(x: float, top: float, low_end: float, high_end: float) -> list[str]:
    """The colour scale: one step per tenth of it, the high end on top, its ends and middle written beside."""
    step = 12
    parts = [f'<g class="legend"><title>colour scale: {format_number(low_end)} to {format_number(high_end)}</title>']
    for k in range(_LEGEND_STEPS):
        t = 1 - (k + 0.5) / _LEGEND_STEPS
        parts.append(
            f'<rect x="{x:.0f}" y="{top + k * step:.0f}" width="{_LEGEND_WIDTH}" height="{step}" '
            f'fill="{heatmap_colour(t)}" stroke="#d0d7de" stroke-width="0.5"/>'
        )
    bottom = top + _LEGEND_STEPS * step
    for at, number in ((top, high_end), ((top + bottom) / 2, (low_end + high_end) / 2), (bottom, low_end)):
        parts.append(f'<text x="{x + _LEGEND_WIDTH + 4:.0f}" y="{at + 4:.0f}">{number:.2g}</text>')
    return [*parts, "</g>"]


# --- failure patterns --------------------------------------------------------------------------------------------

_COLUMN, _ROW, _BARS = 26, 18, 180


def failure_patterns_svg(
    subjects: Sequence[str], patterns: Sequence[Mapping[str, Any]], rates: Mapping[str, float]
) -> str:
    """Who fails which units, UpSet-style: one row per failure pattern (a set of subjects that fail the same
    units), a filled dot under each subject in the set, joined by a line, and a bar as long as the number of
    units the pattern holds; the pattern of every subject (the shared failures) in red, of no subject hollow.
    Under each subject's name, its failure rate."""
    shown = [_short(name) for name in subjects]
    label = max(60.0, _CHARACTER_WIDTH * max((len(n) for n in shown), default=1) + 10)
    left, top = 8, label + 16  # the failure rates are written between the names and the first row
    dots = _COLUMN * len(subjects)
    bars_x = left + dots + 12
    most = max((int(p.get("units", 0)) for p in patterns), default=1) or 1
    width = max(bars_x + _BARS + 60, left + dots + 0.71 * label)
    height = top + _ROW * len(patterns) + 4
    parts = [
        f'<svg class="failures" width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        'role="img" font-size="11">'
    ]
    column = {name: left + k * _COLUMN + _COLUMN / 2 for k, name in enumerate(subjects)}
    for name, short in zip(subjects, shown, strict=True):
        cx = column[name]
        tip = f"<title>{_escape(name)}</title>" if short != name else ""
        parts.append(
            f'<text x="{cx - 2}" y="{label - 6}" transform="rotate(-45 {cx - 2} {label - 6})">{tip}{_escape(short)}'
            "</text>"
        )
        rate = rates.get(name)
        if _finite(rate):
            parts.append(f'<text x="{cx}" y="{label + 8}" text-anchor="middle" font-size="9">{rate:.0%}</text>')
    for r, pattern in enumerate(patterns):
        parts += _pattern_row(pattern, subjects, column, top + r * _ROW + _ROW / 2, bars_x, most)
    parts.append("</svg>")
    return "".join(parts)


def _pattern_row(
    pattern: Mapping[str, Any], subjects: Sequence[str], column: Mapping[str, float], y: float, bars_x: float,
    most: int,
) -> list[str]:  # fmt: skip
    failed = [name for name in subjects if name in set(pattern.get("failed_by", ()))]
    units = int(pattern.get("units", 0))
    every = len(failed) == len(subjects)
    who = "every subject" if every else ", ".join(failed) if failed else "no subject"
    parts = [f'<g class="pattern"><title>{_escape(who)} fail(s) {units} unit(s)</title>']
    if len(failed) > 1:
        parts.append(
            f'<line x1="{column[failed[0]]}" y1="{y}" x2="{column[failed[-1]]}" y2="{y}" stroke="{_FAILED}" '
            'stroke-width="2"/>'
        )
    for name in subjects:
        fill = _FAILED if name in failed else "#ffffff" if not failed else "#d0d7de"
        parts.append(f'<circle cx="{column[name]}" cy="{y}" r="5" fill="{fill}" stroke="#8c959f" stroke-width="0.5"/>')
    length = max(1.0, units / most * _BARS)
    parts.append(
        f'<rect x="{bars_x}" y="{y - 6}" width="{length:.1f}" height="12" fill="{_FAILED if every else "#57606a"}"/>'
        f'<text x="{bars_x + length + 4:.1f}" y="{y + 4}">{units}</text></g>'
    )
    return parts
