"""What every human-readable report shows: the row of each check and the details worth a table or a heatmap.

The terminal summary, the Markdown summary and the HTML report all show the same rows and the same details; the
JSON report keeps everything as data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pytest_homog.record import CheckRecord, jsonable
from pytest_homog.report.baseline import Delta, higher_is_better
from pytest_homog.report.numbers import format_number

if TYPE_CHECKING:
    from pytest_homog.report.run import RunReport

__all__ = [
    "DETAIL_LIMIT",
    "SUMMARY_HEADERS",
    "Matrix",
    "interval_text",
    "matrix_from",
    "shown_details",
    "summary_table",
    "table_from",
    "threshold_text",
    "verdict_text",
]

# Markdown and HTML show the per-label tables of every check up to this many checks, else of the failed ones
DETAIL_LIMIT = 100

SUMMARY_HEADERS = ["test", "check", "metric", "value", "interval", "threshold", "verdict"]

#: a matrix detail as names, rows of numbers (NaN where undefined) and what it measures (``by``, may be empty)
Matrix = tuple[list[str], list[list[float]], str]


def interval_text(record: CheckRecord) -> str:
    """``[low, high] 95%`` or empty."""
    if record.low is None or record.high is None:
        return ""
    confidence = f" {record.confidence * 100:g}%" if record.confidence is not None else ""
    return f"[{format_number(record.low)}, {format_number(record.high)}]{confidence}"


def threshold_text(record: CheckRecord) -> str:
    """``low >= 0.4000``: which number was compared, how, and with what; empty without a threshold."""
    if record.threshold is None:
        return ""
    # the bound is a floor when more is better (f1 low >= 0.40; a drop's upper bound high >= -0.02) and a ceiling
    # when less is (outcome homogenization <= 2.0)
    operator = ">=" if higher_is_better(record) else "<="
    return f"{record.compared} {operator} {format_number(record.threshold)}"


def verdict_text(record: CheckRecord, delta: Delta | None) -> str:
    """``PASS``, ``FAIL``, or ``REGRESSED`` for a check that passed its threshold but not its baseline."""
    if not record.passed:
        return "FAIL"
    if delta is not None and delta.regressed:
        return "REGRESSED"
    return "PASS"


def summary_table(report: RunReport) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the check table, every cell a string; baseline and change columns when a baseline was
    compared."""
    with_baseline = report.comparison is not None and report.comparison.baseline.usable
    headers = list(SUMMARY_HEADERS)
    if with_baseline:
        headers[-1:-1] = ["baseline", "change"]
    rows = []
    for record, key in zip(report.run.checks, report.keys, strict=True):
        delta = report.deltas.get(key)
        row = [
            record.test_id or "<outside tests>",
            record.check,
            record.metric,
            format_number(record.value),
            interval_text(record),
            threshold_text(record),
        ]
        if with_baseline:
            row += [format_number(delta.baseline), f"{delta.change:+.4f}"] if delta else ["new", ""]
        row.append(verdict_text(record, delta))
        rows.append(row)
    return headers, rows


def table_from(obj: Any) -> tuple[list[str], list[list[Any]]] | None:
    """A per-label table (see record.py for the accepted shapes) as headers and rows, or ``None``.

    Examples
    --------
    >>> table_from({"PER": {"f1": 0.5}, "LOC": {"f1": 0.4, "n": 3}})
    (['label', 'f1', 'n'], [['PER', 0.5, None], ['LOC', 0.4, 3]])
    """
    if isinstance(obj, Mapping) and obj and all(isinstance(v, Mapping) for v in obj.values()):
        columns = _columns(obj.values())
        return ["label", *columns], [[str(label), *(_cell(row.get(c)) for c in columns)] for label, row in obj.items()]
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(v, Mapping) for v in obj):
        columns = _columns(obj)
        return columns, [[_cell(row.get(c)) for c in columns] for row in obj]
    return None


def _cell(value: Any) -> Any:
    """A table cell: a list of names (the subjects of a failure pattern) as words, not as a Python list.

    Examples
    --------
    >>> _cell(["a", "b"]), _cell([]), _cell(0.5)
    ('a, b', 'none', 0.5)
    """
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return ", ".join(value) if value else "none"
    return value


def _columns(rows: Any) -> list[str]:
    """Every column name of ``rows`` (mappings), in the order they first appear."""
    columns: list[str] = []
    for row in rows:
        columns.extend(str(c) for c in row if str(c) not in columns)
    return columns


def matrix_from(obj: Any) -> Matrix | None:
    """A matrix detail (``{"names", "values"}`` or an object with ``.names``/``.values``), or ``None``.

    Examples
    --------
    >>> matrix_from({"names": ["a", "b"], "values": [[1, 0.5], [0.5, 1]], "by": "cka"})
    (['a', 'b'], [[1.0, 0.5], [0.5, 1.0]], 'cka')
    """
    if isinstance(obj, Mapping):
        data: Any = obj
    elif hasattr(obj, "names") and hasattr(obj, "values"):
        data = jsonable(obj)
    else:
        return None
    if not isinstance(data, Mapping) or "names" not in data or "values" not in data:
        return None
    names = [str(n) for n in jsonable(data["names"])]
    values = jsonable(data["values"])
    if not isinstance(values, list) or len(values) != len(names):
        return None
    rows: list[list[float]] = []
    for row in values:
        if not isinstance(row, list) or len(row) != len(names):
            return None
        try:
            rows.append([math.nan if v is None else float(v) for v in row])
        except (TypeError, ValueError):
            return None
    return names, rows, str(data.get("by", ""))


def shown_details(report: RunReport) -> list[tuple[str, Any, Matrix | None]]:
    """The details that the Markdown and HTML reports show, in order, as ``(title, value, matrix or None)``:
    every similarity matrix, and the other details of every check in a run of at most ``DETAIL_LIMIT`` checks,
    else of the checks that failed or regressed (so a large run's summary stays readable, and under GitHub's
    1 MiB limit for a job summary)."""
    every = len(report.run.checks) <= DETAIL_LIMIT
    details = []
    # one assert_not_homogeneous call records its matrix twice (with the homogenization and the closest pair);
    # a matrix already shown for the same test is not shown again
    matrices_shown: set[str] = set()
    for record, key in zip(report.run.checks, report.keys, strict=True):
        shown = every or verdict_text(record, report.deltas.get(key)) != "PASS"
        for name, value in record.details.items():
            matrix = matrix_from(value)
            if matrix is not None:
                identity = json.dumps([record.test_id, matrix])
                if identity in matrices_shown:
                    continue
                matrices_shown.add(identity)
            if matrix is not None or shown:
                details.append((f"{record.test_id or '<outside tests>'} · {record.check} · {name}", value, matrix))
    return details
