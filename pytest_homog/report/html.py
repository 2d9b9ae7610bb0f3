"""The HTML report (``--homog-html``): one self-contained page, inline CSS and SVG, no external assets, no script.

The summary table draws each estimate as an error bar against its threshold; each similarity matrix is a heatmap.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator, Sequence
from typing import Any, TypeGuard

from pytest_homog.record import CheckRecord
from pytest_homog.report.baseline import NOTHING_COMPARED, Delta
from pytest_homog.report.numbers import cell_text, format_number
from pytest_homog.report.run import RunReport, iso_time
from pytest_homog.report.table import DETAIL_LIMIT, shown_details, summary_table, table_from

__all__ = ["html_chunks"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#1b1f23}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.9em}
th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:left;vertical-align:middle;white-space:nowrap}
td:nth-child(-n+3){white-space:normal;overflow-wrap:anywhere}th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.fail td.verdict{color:#cf222e;font-weight:bold}tr.pass td.verdict{color:#1a7f37;font-weight:bold}
tr.regressed td.verdict{color:#9a6700;font-weight:bold}
.meta{color:#57606a}.problem{color:#9a6700}.regression{color:#cf222e}
figure{display:inline-block;margin:1em 2em 1em 0}figcaption{font-size:.9em;margin-bottom:.4em}
svg text{font-family:inherit}
.errorbar .axis{stroke:#d0d7de;stroke-width:10}
.errorbar .threshold{stroke:#cf222e;stroke-width:20;stroke-dasharray:30,20}
.errorbar .baseline{fill:#8c959f}.errorbar .interval{stroke:#0969da;stroke-width:15;fill:none}
.errorbar .value{fill:#1a7f37}.errorbar .value.failed{fill:#cf222e}
"""


def html_chunks(report: RunReport) -> Iterator[str]:
    """The HTML page in pieces, the rows of the checks table made as they are written: the summary table with
    each estimate drawn as an error bar, each similarity matrix as a heatmap, and the per-label tables (all of
    them when there are at most ``DETAIL_LIMIT`` checks, else of those that failed or regressed).

    Examples
    --------
    >>> from pytest_homog.record import RunRecord
    >>> run = RunRecord(checks=[CheckRecord(check="c", metric="f1", value=0.5, passed=True, test_id="t",
    ...                                     threshold=0.4, low=0.45, high=0.55, confidence=0.95)])
    >>> page = "".join(html_chunks(RunReport.build(run)))
    >>> page.startswith("<!DOCTYPE html>"), '<table id="checks"' in page, "<svg" in page, "http" in page.split(
    ...     "<svg")[0]
    (True, True, True, False)
    """
    headers, rows = summary_table(report)
    header = f'<table id="checks"><thead><tr>{_header_cells([*headers, "estimate"])}</tr></thead><tbody>'
    yield "\n".join([*_head(report), header])
    for record, key, row in zip(report.run.checks, report.keys, rows, strict=True):
        # the cells: test, check, metric, value, interval, threshold, [baseline, change,] verdict
        classes = ["", "", "", ' class="num"', *[""] * (len(row) - 5), ' class="verdict"']
        cells = "".join(f"<td{css}>{_escape(cell)}</td>" for css, cell in zip(classes, row, strict=True))
        bar = _errorbar_svg(record, report.deltas.get(key))
        yield f'<tr class="{row[-1].lower()}">{cells}<td class="bar">{bar}</td></tr>'
    yield "</tbody></table>"
    yield "\n" + "\n".join([*_details(report), "</body></html>\n"])


def _head(report: RunReport) -> list[str]:
    """The page up to the checks table: title, counts, the baseline comparison."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>pytest-homog report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>pytest-homog report</h1>",
        f'<p class="meta">pytest-homog {_escape(report.run.plugin_version)} · {_escape(iso_time(report.created))} · '
        f"{_escape(report.counts_text())}</p>",
    ]
    comparison = report.comparison
    if comparison is not None:
        base = comparison.baseline
        tolerance = _escape(comparison.tolerance.describe())
        parts.append(f"<h2>Baseline {_escape(base.path.name)} (tolerance {tolerance})</h2><ul>")
        parts += [f'<li class="problem">{_escape(p)}</li>' for p in base.problems]
        if base.usable:
            parts.append(f"<li>{comparison.counts_text()}</li>")
            if comparison.shares_nothing:
                parts.append(f'<li class="problem">{_escape(NOTHING_COMPARED)}</li>')
            parts += [f'<li class="regression">{_escape(d.describe())}</li>' for d in comparison.regressions]
        parts.append("</ul>")
    return [
        *parts,
        "<h2>Checks</h2>",
        '<p class="meta">estimate: point (green passed, red failed), interval as an error bar (blue), '
        "threshold as a dashed red line, baseline as a grey diamond</p>",
    ]


def _details(report: RunReport) -> list[str]:
    """The heatmaps and the per-label tables, after the checks table."""
    heatmaps, tables = [], []
    for title, value, matrix in shown_details(report):
        if matrix is not None:
            names, values, by = matrix
            caption = f"{title} ({by})" if by else title
            heatmaps.append(
                f"<figure><figcaption>{_escape(caption)}</figcaption>{_heatmap_svg(names, values)}</figure>"
            )
            continue
        table = table_from(value)
        if table is not None:
            tables.append(f"<h3>{_escape(title)}</h3>{_table(*table)}")
    parts = []
    if heatmaps:
        parts += ["<h2>Similarity matrices</h2>", *heatmaps]
    if tables:
        every = len(report.run.checks) <= DETAIL_LIMIT
        heading = "Per-label details" if every else "Per-label details of the checks that failed or regressed"
        parts += [f"<h2>{heading}</h2>", *tables]
    return parts


def _escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _header_cells(headers: Sequence[str]) -> str:
    return "".join(f"<th>{_escape(h)}</th>" for h in headers)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{format_number(v)}</td>'
            if isinstance(v, (int, float)) and not isinstance(v, bool)
            else f"<td>{_escape(cell_text(v))}</td>"
            for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{_header_cells(headers)}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# --- SVG ---------------------------------------------------------------------------------------------------------

# The error bar is 220 x 22 CSS pixels drawn in 10 user units per pixel, so that every coordinate is a whole
# number and still places a point to a tenth of a pixel; its colours and strokes are in _CSS.
_BAR_WIDTH, _BAR_HEIGHT, _BAR_PADDING, _UNIT = 220, 22, 8, 10


def _errorbar_svg(record: CheckRecord, delta: Delta | None) -> str:
    """The estimate as a point with its interval as an error bar, the threshold as a dashed red line, the
    baseline value (if any) as a grey diamond; the scale spans [0, 1] and every number drawn."""
    stored = delta.baseline if delta is not None else None
    drawn = [v for v in (record.value, record.low, record.high, record.threshold, stored) if _finite(v)]
    low_end, high_end = min([0.0, *drawn]), max([1.0, *drawn])
    left = _BAR_PADDING * _UNIT
    span = (_BAR_WIDTH - 2 * _BAR_PADDING) * _UNIT
    middle, bottom = _BAR_HEIGHT * _UNIT // 2, (_BAR_HEIGHT - 3) * _UNIT

    def x(value: float) -> int:  # rounded to the nearest unit
        return math.floor(left + (value - low_end) / (high_end - low_end) * span + 0.5)

    width, height = _BAR_WIDTH * _UNIT, _BAR_HEIGHT * _UNIT
    parts = [
        f'<svg class="errorbar" width="{_BAR_WIDTH}" height="{_BAR_HEIGHT}" viewBox="0 0 {width} {height}" role="img">',
        f'<line class="axis" x1="{left}" y1="{bottom}" x2="{left + span}" y2="{bottom}"/>',
    ]
    if _finite(record.threshold):
        at = x(record.threshold)
        parts.append(f'<line class="threshold" x1="{at}" y1="{_UNIT}" x2="{at}" y2="{(_BAR_HEIGHT - 1) * _UNIT}"/>')
    if _finite(stored):
        at, half = x(stored), 4 * _UNIT  # a diamond
        parts.append(
            f'<path class="baseline" d="M{at} {middle - half} L{at + half} {middle} L{at} {middle + half} '
            f'L{at - half} {middle} Z"/>'
        )
    if _finite(record.low) and _finite(record.high):
        start, end, tick = x(record.low), x(record.high), 5 * _UNIT
        parts.append(
            f'<path class="interval" d="M{start} {middle} H{end} M{start} {middle - tick} V{middle + tick} '
            f'M{end} {middle - tick} V{middle + tick}"/>'
        )
    if _finite(record.value):
        state = "value" if record.passed else "value failed"
        parts.append(f'<circle class="{state}" cx="{x(record.value)}" cy="{middle}" r="{4 * _UNIT}"/>')
    return "".join(parts) + "</svg>"


def _finite(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def _colour(t: float) -> str:
    """White to dark blue (8, 69, 148) for t in [0, 1]."""
    t = min(1.0, max(0.0, t))
    return f"#{round(255 - 247 * t):02x}{round(255 - 186 * t):02x}{round(255 - 107 * t):02x}"


def _heatmap_svg(names: Sequence[str], values: Sequence[Sequence[float]]) -> str:
    finite = [v for row in values for v in row if math.isfinite(v)]
    low_end, high_end = min([0.0, *finite]), max([1.0, *finite])
    cell, label_width = 44, max(60, 7 * max((len(n) for n in names), default=1) + 10)
    top = label_width
    size = cell * len(names)
    width, height = label_width + size + 4, top + size + 4
    parts = [
        f'<svg class="heatmap" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-size="11">'
    ]
    escaped = [_escape(name) for name in names]
    for i, name in enumerate(escaped):
        cy = top + i * cell + cell / 2 + 4
        cx = label_width + i * cell + cell / 2
        parts.append(f'<text x="{label_width - 6}" y="{cy}" text-anchor="end">{name}</text>')
        parts.append(f'<text x="{cx}" y="{top - 6}" transform="rotate(-45 {cx} {top - 6})">{name}</text>')
    span = high_end - low_end
    for i, row in enumerate(values):
        y = top + i * cell
        for j, value in enumerate(row):
            x = label_width + j * cell
            if math.isfinite(value):
                t = (value - low_end) / span if span > 0 else 0.0
                fill, shown = _colour(t), f"{value:.2f}"
            else:
                t, fill, shown = 0.0, "#eeeeee", "-"
            ink = "#ffffff" if t > 0.55 else "#1b1f23"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" stroke="#ffffff">'
                f"<title>{escaped[i]} / {escaped[j]}: {format_number(value)}</title></rect>"
                f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" text-anchor="middle" fill="{ink}">{shown}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
