"""The Markdown summary (``--homog-markdown``, also appended to ``$GITHUB_STEP_SUMMARY``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pytest_homog.report.baseline import NOTHING_COMPARED
from pytest_homog.report.excerpts import with_marked_text
from pytest_homog.report.numbers import cell_text
from pytest_homog.report.run import RunReport
from pytest_homog.report.table import DETAIL_LIMIT, shown_details, summary_table, table_from

__all__ = ["markdown_chunks"]

_VERDICTS = {"PASS": "✅ PASS", "FAIL": "❌ FAIL", "REGRESSED": "⚠️ REGRESSED"}


def markdown_chunks(report: RunReport) -> Iterator[str]:
    """The Markdown summary in pieces, each a whole number of lines: counts, the check table, the family of interval
    gates and their flakiness, baseline regressions, similarity matrices, per-label tables (of every check when
    there are at most ``DETAIL_LIMIT`` checks, else of those that failed or regressed; the JSON report always has
    them all).

    Examples
    --------
    >>> from pytest_homog.record import CheckRecord, RunRecord
    >>> run = RunRecord(checks=[CheckRecord(check="c", metric="f1", value=0.5, passed=True, test_id="t")])
    >>> print("".join(markdown_chunks(RunReport.build(run))), end="")
    ## pytest-homog: 1 check in 1 test: 1 passed, 0 failed
    <BLANKLINE>
    | test | check | metric | value | interval | threshold | verdict |
    |---|---|---|---|---|---|---|
    | t | c | f1 | 0.5000 |  |  | ✅ PASS |
    """
    yield f"## pytest-homog: {report.counts_text()}\n\n"
    headers, rows = summary_table(report)
    for line in _table(headers, [[*row[:-1], _VERDICTS[row[-1]]] for row in rows]):
        yield line + "\n"
    lines = _family_lines(report) + _baseline_lines(report)
    matrices, tables = [], []
    for title, value, matrix in shown_details(report):
        if matrix is not None:
            names, values, by = matrix
            matrices += ["", f"**{_escape(f'{title} ({by})' if by else title)}**", ""]
            matrices += _table(["", *names], [[n, *row] for n, row in zip(names, values, strict=True)])
            continue
        table = table_from(with_marked_text(value, _marked))
        if table is not None:
            tables += ["", f"**{_escape(title)}**", "", *_table(*table)]
        elif callable(getattr(value, "to_markdown", None)):
            tables += ["", f"**{_escape(title)}**", "", str(value.to_markdown())]
    if matrices:
        lines += ["", "### Similarity matrices", *matrices]
    if tables:
        every = len(report.run.checks) <= DETAIL_LIMIT
        summary = "Per-label details" if every else "Per-label details of the checks that failed or regressed"
        lines += ["", f"<details><summary>{summary}</summary>", *tables, "", "</details>"]
    for line in lines:
        yield line + "\n"


def _family_lines(report: RunReport) -> list[str]:
    """The family of interval gates and the flakiness, as a list under the table."""
    family = [] if report.family is None else report.family.lines()
    return ["", *(f"- {_escape(line.strip())}" for line in family)] if family else []


def _baseline_lines(report: RunReport) -> list[str]:
    comparison = report.comparison
    if comparison is None:
        return []
    base = comparison.baseline
    lines = ["", f"### Baseline `{base.path.name}` (tolerance {comparison.tolerance.describe()})", ""]
    lines += [f"- ⚠️ {problem}" for problem in base.problems]
    if base.usable:
        lines.append(f"- {comparison.counts_text()}")
        if comparison.shares_nothing:
            lines.append(f"- ⚠️ {NOTHING_COMPARED}")
        lines += [f"- ❌ {_escape(d.describe())}" for d in comparison.regressions]
        lines += [f"- missing from this run: `{key}`" for key in comparison.missing[:20]]
    return lines


def _marked(words: str, label: str | None) -> str:
    """A piece of a unit's text: the failed span in bold with its label after it.

    Examples
    --------
    >>> print(_marked("Kim", "PER"), _marked("at *noon*", None))
    **Kim**<sub>PER</sub> at \\*noon\\*
    """
    return _plain(words) if label is None else f"**{_plain(words)}**<sub>{_plain(label)}</sub>"


def _plain(text: Any) -> str:
    """Words as Markdown shows them: the characters that would start emphasis, code or HTML escaped."""
    return "".join("\\" + c if c in "\\`*_<>[]" else c for c in str(text))


def _escape(value: Any) -> str:
    """A table cell's text: a pipe would end the cell and a line break the row."""
    return cell_text(value).replace("|", "\\|").replace("\n", " ")


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(_escape(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_escape(v) for v in row) + " |" for row in rows]
    return lines
