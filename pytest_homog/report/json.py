"""The JSON report (``--homog-report``) and the baseline file (``--homog-save-baseline``).

Both are strict JSON (NaN and infinities written as ``null``), indented one space per level, with each entry of the
``checks`` list on one line of compact JSON, so that reports diff line by line. The schema of each is documented
in the README.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import Any

from pytest_homog.record import jsonable
from pytest_homog.report.baseline import BASELINE_SCHEMA, REPORT_SCHEMA, SCHEMA_VERSION, Comparison, higher_is_better
from pytest_homog.report.run import RunReport, iso_time

__all__ = ["baseline_chunks", "report_chunks"]

_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_INDENTED = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=1)


def report_chunks(report: RunReport) -> Iterator[str]:
    """The JSON report (schema ``pytest-homog/report``) in pieces, each check's entry made as it is written.

    Examples
    --------
    >>> from pytest_homog.record import CheckRecord, RunRecord
    >>> run = RunRecord(checks=[CheckRecord(check="c", metric="f1", value=float("nan"), passed=False, test_id="t")])
    >>> data = json.loads("".join(report_chunks(RunReport.build(run))))
    >>> data["summary"]["failed"], data["checks"][0]["value"], data["checks"][0]["key"]
    (1, None, 't::c::f1::')
    """
    run = report.run
    head: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "version": SCHEMA_VERSION,
        "plugin_version": run.plugin_version,
        "created": iso_time(report.created),
        "started": iso_time(run.started),
        "duration": round(report.created - run.started, 3) if run.started else None,
        "summary": report.counts(),
        "checks": _report_checks(report),
        "baseline": _comparison_data(report.comparison),
    }
    if report.family is not None:  # a session's report: its family of interval gates and their flakiness
        head["family"] = report.family.to_dict()
    return _document(head)


def _report_checks(report: RunReport) -> Iterator[dict[str, Any]]:
    for record, key in zip(report.run.checks, report.keys, strict=True):
        item = record.to_dict()
        item["key"] = key
        item["higher_is_better"] = higher_is_better(record)
        delta = report.deltas.get(key)
        if delta is not None:
            item["baseline"] = {"value": delta.baseline, "change": delta.change, "regressed": delta.regressed}
        yield item


def _comparison_data(comparison: Comparison | None) -> dict[str, Any] | None:
    if comparison is None:
        return None
    base = comparison.baseline
    return {
        "path": str(base.path),
        "plugin_version": base.plugin_version,
        "created": base.created,
        "usable": base.usable,
        "problems": list(base.problems),
        "tolerance": str(comparison.tolerance),
        "compared": len(comparison.deltas),
        "regressions": [
            {
                "key": d.key,
                "baseline": d.baseline,
                "value": d.record.value,
                "change": d.change,
                "message": d.describe(),
            }
            for d in comparison.regressions
        ],
        "new": list(comparison.new),
        "missing": list(comparison.missing),
    }


def baseline_chunks(report: RunReport) -> Iterator[str]:
    """The baseline file (schema ``pytest-homog/baseline``) in pieces: the key and value of every check.

    Examples
    --------
    >>> from pytest_homog.record import CheckRecord, RunRecord
    >>> run = RunRecord(checks=[CheckRecord(check="c", metric="f1", value=0.5, passed=True, test_id="t")])
    >>> report = RunReport.build(run)
    >>> report.created = 0.0
    >>> print("".join(baseline_chunks(report)), end="")
    {
     "schema": "pytest-homog/baseline",
     "version": 1,
     "plugin_version": "",
     "created": "",
     "checks": [
      {"key":"t::c::f1::","test_id":"t","check":"c","metric":"f1","subjects":[],"value":0.5,"higher_is_better":true}
     ]
    }
    """
    return _document(
        {
            "schema": BASELINE_SCHEMA,
            "version": SCHEMA_VERSION,
            "plugin_version": report.run.plugin_version,
            "created": iso_time(report.created),
            "checks": _baseline_checks(report),
        }
    )


def _baseline_checks(report: RunReport) -> Iterator[dict[str, Any]]:
    for record, key in zip(report.run.checks, report.keys, strict=True):
        yield {
            "key": key,
            "test_id": record.test_id,
            "check": record.check,
            "metric": record.metric,
            "subjects": list(record.subjects),
            "value": record.value,
            "higher_is_better": higher_is_better(record),
        }


def _document(head: dict[str, Any]) -> Iterator[str]:
    """``head`` as indented JSON, its ``"checks"`` (an iterable of entries) written one compact entry per line;
    the entries are made as they are written, so a report of thousands of checks is never held whole."""
    separator = "{\n"
    for name, value in head.items():
        yield f"{separator} {json.dumps(name)}: "
        if name == "checks":
            yield from _entry_lines(value)
        else:  # the value's own lines, indented one more level
            yield _encode(_INDENTED, value).replace("\n", "\n ")
        separator = ",\n"
    yield "\n}\n"


def _entry_lines(entries: Iterable[Any]) -> Iterator[str]:
    separator = "[\n  "
    for entry in entries:
        yield separator + _encode(_COMPACT, entry)
        separator = ",\n  "
    yield "[]" if separator == "[\n  " else "\n ]"


def _encode(encoder: json.JSONEncoder, data: Any) -> str:
    """``data`` as JSON text; NaN and infinities as null, anything that is not plain data as ``jsonable`` makes it."""
    try:
        return encoder.encode(data)
    except (TypeError, ValueError):  # JSON has no NaN or infinity; a numpy number (say) is not JSON data
        return encoder.encode(_finite(jsonable(data)))


def _finite(value: Any) -> Any:
    """``value`` with every NaN and infinity replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
