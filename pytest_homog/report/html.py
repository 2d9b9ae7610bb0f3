"""The HTML report (``--homog-html``): one self-contained page, inline CSS and SVG, no external assets, no script.

The summary table draws each estimate as an error bar against its threshold; each similarity matrix is a heatmap;
a homogeneity check shows who fails which units (its failure patterns) and the units every subject fails, as
text with the failed span marked. The pictures are drawn by :mod:`pytest_homog.report.svg`.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pytest_homog.report.baseline import NOTHING_COMPARED
from pytest_homog.report.numbers import cell_text, format_number
from pytest_homog.report.run import RunReport, iso_time
from pytest_homog.report.svg import errorbar_svg, failure_patterns_svg, heatmap_svg
from pytest_homog.report.table import DETAIL_LIMIT, shown_details, summary_table, table_from, verdict_text

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
.errorbar .baseline{fill:#8c959f}.errorbar .interval{stroke:#0969da;stroke-width:20;fill:none}
.errorbar .value{fill:#1a7f37}.errorbar .value.failed{fill:#cf222e}
ol.units{font-size:.95em;line-height:1.9}ol.units .where{color:#57606a;margin-right:.6em}
mark{background:#ffd8d3;border-bottom:2px solid #cf222e;padding:0 .2em;border-radius:2px}
mark .label{font-size:.7em;font-weight:bold;color:#cf222e;margin-left:.3em;vertical-align:super}
"""


def html_chunks(report: RunReport) -> Iterator[str]:
    """The HTML page in pieces, the rows of the checks table made as they are written: the summary table with
    each estimate drawn as an error bar, each similarity matrix as a heatmap, and the per-label tables (all of
    them when there are at most ``DETAIL_LIMIT`` checks, else of those that failed or regressed).

    Examples
    --------
    >>> from pytest_homog.record import CheckRecord, RunRecord
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
        delta = report.deltas.get(key)
        bar = errorbar_svg(
            record.value,
            record.low,
            record.high,
            record.threshold,
            None if delta is None else delta.baseline,
            passed=record.passed,
        )
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
    """The heatmaps, the failures across subjects and the per-label tables, after the checks table."""
    failures, drawn = _failures(report)
    heatmaps, tables = [], []
    for title, value, matrix in shown_details(report):
        if matrix is not None:
            names, values, by = matrix
            caption = f"{title} ({by})" if by else title
            drawn_matrix = heatmap_svg(names, values, _intervals(value, len(names)))
            heatmaps.append(f"<figure><figcaption>{_escape(caption)}</figcaption>{drawn_matrix}</figure>")
            continue
        table = table_from(value) if id(value) not in drawn else None
        if table is not None:
            tables.append(f"<h3>{_escape(title)}</h3>{_table(*table)}")
    parts = []
    if heatmaps:
        parts += ["<h2>Similarity matrices</h2>", *heatmaps]
    if failures:
        parts += ["<h2>Failures across subjects</h2>", *failures]
    if tables:
        every = len(report.run.checks) <= DETAIL_LIMIT
        heading = "Per-label details" if every else "Per-label details of the checks that failed or regressed"
        parts += [f"<h2>{heading}</h2>", *tables]
    return parts


def _intervals(value: Any, k: int) -> list[list[str]] | None:
    """Each cell's interval as text (``95% CI [0.4500, 0.8500]``) when a matrix detail carries ``low`` and
    ``high`` (``SimilarityMatrix.to_dict`` does when the matrix has intervals), else None."""
    if not isinstance(value, Mapping):
        return None
    low, high, confidence = value.get("low"), value.get("high"), value.get("confidence")
    shapes = [m for m in (low, high) if isinstance(m, list) and len(m) == k]
    if len(shapes) != 2 or not all(isinstance(row, list) and len(row) == k for m in shapes for row in m):
        return None
    coverage = f"{confidence:.0%} " if isinstance(confidence, (int, float)) else ""
    return [
        [
            f"{coverage}CI [{format_number(a)}, {format_number(b)}]" if a is not None and b is not None else ""
            for a, b in zip(low_row, high_row, strict=True)
        ]
        for low_row, high_row in zip(shapes[0], shapes[1], strict=True)
    ]


def _failures(report: RunReport) -> tuple[list[str], set[int]]:
    """For each check that recorded its failure patterns (``assert_not_homogeneous``), shown under the rule of
    the per-label tables: who fails which units, and the units every subject fails as text with the span marked.
    Also the ids of the details drawn here, so they are not drawn again as tables."""
    every = len(report.run.checks) <= DETAIL_LIMIT
    parts: list[str] = []
    drawn: set[int] = set()
    for record, key in zip(report.run.checks, report.keys, strict=True):
        patterns = record.details.get("failure_patterns")
        if not isinstance(patterns, list) or not (every or verdict_text(record, report.deltas.get(key)) != "PASS"):
            continue
        drawn.add(id(patterns))
        units = record.details.get("unit", "")
        shown = [p for p in patterns if isinstance(p, Mapping)]
        total = record.details.get("n_failure_patterns", len(shown))
        rates = record.details.get("failure_rates")
        parts.append(f"<h3>{_escape(record.test_id or '<outside tests>')} · {_escape(record.check)}</h3>")
        parts.append(
            f"<figure><figcaption>who fails which {_escape(units)} units: the {len(shown)} most common of "
            f"{_escape(total)} failure patterns (a dot for each subject that fails the units; the units every subject "
            "fails in red; under each name its failure rate)</figcaption>"
            f"{failure_patterns_svg(record.subjects, shown, rates if isinstance(rates, Mapping) else {})}</figure>"
        )
        shared = record.details.get("shared_failures")
        if isinstance(shared, list):
            drawn.add(id(shared))
            parts += _shared_failures(shared, record.details.get("n_shared_failures", len(shared)), units)
    return parts, drawn


def _shared_failures(shared: list[Any], total: Any, units: Any) -> list[str]:
    """The units every subject fails, each with its text and the failed span marked when the record has it."""
    if not shared:
        return [f'<p class="meta">no {_escape(units)} unit is failed by every subject</p>']
    items = []
    for unit in shared:
        if not isinstance(unit, Mapping):
            continue
        where = f"sentence {unit.get('sentence')}"
        if unit.get("start") is not None and unit.get("end") is not None:
            where += f", {unit.get('label')} at tokens {unit['start']}-{int(unit['end']) - 1}"
        elif unit.get("label") is not None:
            where += f", gold {unit.get('label')}"
        text = unit.get("text")
        marked = "".join(_segment(segment) for segment in text) if isinstance(text, list) else ""
        items.append(f'<li><span class="where">{_escape(where)}</span>{marked}</li>')
    caption = f"the {_escape(units)} units every subject fails (first {len(items)} of {_escape(total)})"
    return [f'<p>{caption}</p><ol class="units">{"".join(items)}</ol>']


def _segment(segment: Any) -> str:
    """One piece of a unit's text: plain, or the marked span with its label."""
    if not isinstance(segment, (list, tuple)) or len(segment) != 2:
        return ""
    text, label = segment
    if label is None:
        return f" {_escape(text)}"
    return f' <mark title="{_escape(label)}">{_escape(text)}<span class="label">{_escape(label)}</span></mark>'


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
