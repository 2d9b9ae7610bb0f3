"""What pytest shows: the terminal summary of the checks, and each test's JUnit XML properties."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_homog.record import CheckRecord, jsonable
from pytest_homog.report.baseline import NOTHING_COMPARED, Comparison, Delta
from pytest_homog.report.excerpts import bracketed, with_marked_text
from pytest_homog.report.numbers import cell_text
from pytest_homog.report.run import RunReport
from pytest_homog.report.table import matrix_from, summary_table, table_from

__all__ = ["junit_properties", "property_prefix", "summary_lines"]

#: a line of the terminal summary and its markup for pytest's terminal writer (``{"red": True}``...)
Line = tuple[str, dict[str, bool]]


def summary_lines(report: RunReport, *, verbose: bool = False) -> list[Line]:
    """Lines of the terminal summary, each with terminal markup (``{"red": True}``...): the check table, the
    counts, the baseline comparison, the family of interval gates and their flakiness (every gate's margin under
    ``verbose``, the closest ten otherwise), under ``verbose`` each check's details, and what was written.

    Examples
    --------
    >>> from pytest_homog.record import RunRecord
    >>> run = RunRecord(checks=[CheckRecord(check="c", metric="f1", value=0.5, passed=True, test_id="t")])
    >>> for line, markup in summary_lines(RunReport.build(run)):
    ...     print(line)
    test  check  metric  value   interval  threshold  verdict
    ----  -----  ------  ------  --------  ---------  -------
    t     c      f1      0.5000                       PASS
    <BLANKLINE>
    1 check in 1 test: 1 passed, 0 failed
    """
    headers, rows = summary_table(report)
    table = text_table(headers, rows)
    out: list[Line] = [(table[0], {"bold": True}), (table[1], {})]
    for line, row in zip(table[2:], rows, strict=True):
        out.append((line, {"green": True} if row[-1] == "PASS" else {"red": True}))
    failed = report.counts()["failed"]
    out.append(("", {}))
    out.append((report.counts_text(), {"bold": True, "red" if failed else "green": True}))
    out.extend(_baseline_lines(report.comparison))
    if report.family is not None:
        shown = len(report.family.margins) if verbose else 10
        out.extend((line, {"bold": line.startswith("homog family")}) for line in report.family.lines(shown))
    if verbose:
        out.extend(_detail_lines(report))
    out.extend((path, {}) for path in report.outputs)
    out.extend((error, {"red": True, "bold": True}) for error in report.errors)
    out.extend((f"homog: the run fails: {failure}", {"red": True, "bold": True}) for failure in report.failures)
    return out


def _baseline_lines(comparison: Comparison | None) -> list[Line]:
    if comparison is None:
        return []
    base = comparison.baseline
    out: list[Line] = [(f"baseline {base.path}: {problem}", {"yellow": True}) for problem in base.problems]
    if not base.usable:
        out.append(("baseline not compared", {"yellow": True, "bold": True}))
        return out
    regressions = comparison.regressions
    out.append(
        (
            f"baseline {base.path} (tolerance {comparison.tolerance.describe()}): {comparison.counts_text()}",
            {"bold": True, "red" if regressions else "green": True},
        )
    )
    if comparison.shares_nothing:
        out.append((f"homog: WARNING: {NOTHING_COMPARED}", {"red": True, "bold": True}))
    out.extend((f"  REGRESSED {delta.describe()}", {"red": True}) for delta in regressions)
    shown = comparison.missing[:10]
    out.extend((f"  missing from this run: {key}", {"yellow": True}) for key in shown)
    if len(comparison.missing) > len(shown):
        out.append((f"  ... and {len(comparison.missing) - len(shown)} more missing (see the JSON report)", {}))
    return out


def _detail_lines(report: RunReport) -> list[Line]:
    out: list[Line] = []
    for record in report.run.checks:
        blocks = _detail_blocks(record)
        if not blocks:
            continue
        out.append(("", {}))
        out.append((f"{record.test_id or '<outside tests>'} {record.check} {record.metric}", {"bold": True}))
        for title, lines in blocks:
            out.append((f"  {title}", {}))
            out.extend((f"    {line}", {}) for line in lines)
    return out


def _detail_blocks(record: CheckRecord) -> list[tuple[str, list[str]]]:
    """A check's details as titled blocks of lines: tables and matrices each in a block, everything else in one
    ``details:`` block that comes first."""
    blocks: list[tuple[str, list[str]]] = []
    scalars = []
    for name, value in record.details.items():
        table = table_from(with_marked_text(value, bracketed))
        matrix = matrix_from(value) if table is None else None
        if table is not None:
            blocks.append((f"{name}:", text_table(*table)))
        elif matrix is not None:
            names, values, by = matrix
            title = f"{name} ({by}):" if by else f"{name}:"
            blocks.append((title, text_table(["", *names], [[n, *row] for n, row in zip(names, values, strict=True)])))
        elif callable(getattr(value, "to_markdown", None)):
            blocks.append((f"{name}:", str(value.to_markdown()).splitlines()))
        elif isinstance(value, Mapping) and all(not isinstance(v, (Mapping, list, tuple)) for v in value.values()):
            scalars.append(f"{name}: " + ", ".join(f"{k}={cell_text(v)}" for k, v in value.items()))
        else:
            scalars.append(f"{name}: {cell_text(jsonable(value))}")
    if record.n is not None:
        scalars.insert(0, f"n: {record.n}")
    how = [(k, v) for k, v in (("level", record.level), ("scheme", record.scheme), ("mode", record.mode)) if v]
    if how:
        scalars.insert(0, ", ".join(f"{k}={v}" for k, v in how))
    if record.data:
        scalars.insert(0, f"data: {record.data}")
    if scalars:
        blocks.insert(0, ("details:", scalars))
    return blocks


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A plain-text table: numbers right-aligned, text left-aligned, two spaces between columns."""
    # a line break inside a cell (a label read from data, say) would tear the table apart: it is shown escaped
    headers = [_one_line(h) for h in headers]
    cells = [[_one_line(cell_text(v)) for v in row] for row in rows]
    numeric = [
        all(isinstance(row[i], (int, float)) and not isinstance(row[i], bool) for row in rows if row[i] is not None)
        for i in range(len(headers))
    ]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    lines = []
    for row in [headers, ["-" * w for w in widths], *cells]:
        padded = [c.rjust(w) if right else c.ljust(w) for c, w, right in zip(row, widths, numeric, strict=True)]
        lines.append("  ".join(padded).rstrip())
    return lines


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


# --- JUnit XML ---------------------------------------------------------------------------------------------------


def junit_properties(record: CheckRecord, prefix: str, delta: Delta | None = None) -> list[tuple[str, str]]:
    """``(name, value)`` pairs for a test case's ``<properties>`` in JUnit XML, named ``{prefix}.value`` etc.

    Examples
    --------
    >>> rec = CheckRecord(check="assert_f1_above", metric="f1", value=0.42, passed=True, threshold=0.4,
    ...                   low=0.41, high=0.44, confidence=0.95, n=120)
    >>> junit_properties(rec, "homog.f1")[:3]
    [('homog.f1.check', 'assert_f1_above'), ('homog.f1.value', '0.42'), ('homog.f1.passed', 'true')]
    """
    properties = [
        (f"{prefix}.check", record.check),
        (f"{prefix}.value", repr(float(record.value))),
        (f"{prefix}.passed", "true" if record.passed else "false"),
    ]
    for name in ("low", "high", "confidence", "threshold"):
        value = getattr(record, name)
        if value is not None:
            properties.append((f"{prefix}.{name}", repr(float(value))))
    if record.n is not None:
        properties.append((f"{prefix}.n", str(record.n)))
    if delta is not None:  # a regression fails the test, so the comparison itself needs no property
        properties.append((f"{prefix}.baseline", repr(float(delta.baseline))))
    return properties


def property_prefix(record: CheckRecord, occurrence: int) -> str:
    """``homog.<metric>`` for the first check of a metric in a test, ``homog.<metric>.<n>`` for the n-th.

    Examples
    --------
    >>> rec = CheckRecord(check="c", metric="f1", value=0.5, passed=True)
    >>> property_prefix(rec, 1), property_prefix(rec, 2)
    ('homog.f1', 'homog.f1.2')
    """
    base = f"homog.{record.metric}"
    return base if occurrence <= 1 else f"{base}.{occurrence}"
