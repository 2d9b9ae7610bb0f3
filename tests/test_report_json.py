"""pytest_homog.report.json: the JSON report and the baseline file are strict JSON that reads back exactly."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
from pathlib import Path

import numpy as np
import pytest
from _records import make_record
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_homog.record import CheckRecord, RunRecord, jsonable
from pytest_homog.report import (
    BaselineEntry,
    RunReport,
    baseline_chunks,
    load_baseline,
    record_key,
    report_chunks,
    write_atomic,
)


def report_json(report: RunReport) -> str:
    return "".join(report_chunks(report))


def baseline_json(report: RunReport) -> str:
    return "".join(baseline_chunks(report))


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
opt = st.one_of(st.none(), finite)
records = st.builds(
    CheckRecord,
    check=st.text(max_size=10),
    metric=st.text(min_size=1, max_size=10),
    value=finite,
    passed=st.booleans(),
    threshold=opt,
    compared=st.sampled_from(["value", "low", "high"]),
    low=opt,
    high=opt,
    confidence=opt,
    n=st.one_of(st.none(), st.integers(0, 10**6)),
    level=st.one_of(st.none(), st.sampled_from(["entity", "token", "label"])),
    subjects=st.lists(st.text(max_size=5), max_size=3).map(tuple),
    data=st.one_of(st.none(), st.text(max_size=8)),
    details=st.dictionaries(
        st.text(max_size=5), st.one_of(finite, st.text(max_size=5), st.lists(st.integers())), max_size=3
    ),
    duration=st.floats(min_value=0, max_value=1e4),
    test_id=st.text(max_size=20),
    higher_is_better=st.one_of(st.none(), st.booleans()),
)


@settings(max_examples=100, deadline=None)
@given(checks=st.lists(records, max_size=5))
def test_saved_baseline_loads_back(checks: list[CheckRecord], tmp_path_factory: pytest.TempPathFactory) -> None:
    report = RunReport.build(RunRecord(checks=checks, plugin_version="9.9"))
    path = tmp_path_factory.mktemp("b") / "baseline.json"
    write_atomic(path, baseline_chunks(report))
    base = load_baseline(path, plugin_version="9.9")
    assert base.usable and base.problems == []
    assert {k: e.value for k, e in base.entries.items()} == dict(
        zip(report.keys, (c.value for c in checks), strict=True)
    )
    report_data = json.loads(report_json(report))  # strict JSON: no NaN tokens
    assert report_data["summary"]["checks"] == len(checks)
    assert load_baseline(path, plugin_version="1.0").problems == [
        "written by pytest-homog 9.9, this is 1.0; values compared anyway"
    ]


def test_the_files_are_indented_with_one_check_per_line() -> None:
    run = RunRecord(checks=[make_record(0.25, test_id="t::a"), make_record(0.5, test_id="t::b")], plugin_version="1")
    report = RunReport.build(run)
    report.created = 0.0
    assert baseline_json(report).splitlines() == [
        "{",
        ' "schema": "pytest-homog/baseline",',
        ' "version": 1,',
        ' "plugin_version": "1",',
        ' "created": "",',
        ' "checks": [',
        '  {"key":"t::a::c::f1::","test_id":"t::a","check":"c","metric":"f1","subjects":[],"value":0.25,'
        '"higher_is_better":true},',
        '  {"key":"t::b::c::f1::","test_id":"t::b","check":"c","metric":"f1","subjects":[],"value":0.5,'
        '"higher_is_better":true}',
        " ]",
        "}",
    ]
    lines = report_json(report).splitlines()
    assert lines[7:15] == [' "summary": {', '  "checks": 2,', *lines[9:13], '  "regressions": 0', " },"]
    assert lines[15] == ' "checks": [' and lines[16].startswith('  {"check":"c"')
    assert lines[18:] == [" ],", ' "baseline": null', "}"]
    empty = RunReport.build(RunRecord())
    assert json.loads(report_json(empty))["checks"] == [] and ' "checks": [],' in report_json(empty)


def test_non_finite_values_are_written_as_null(tmp_path: Path) -> None:
    run = RunRecord(checks=[make_record(math.nan, low=-math.inf, details={"x": [math.inf, 1.0]})])
    data = json.loads(report_json(RunReport.build(run)))
    check = data["checks"][0]
    assert (check["value"], check["low"], check["details"]) == (None, None, {"x": [None, 1.0]})
    path = tmp_path / "b.json"
    write_atomic(path, baseline_chunks(RunReport.build(run)))
    assert math.isnan(load_baseline(path).entries[record_key(run.checks[0])].value)


def test_a_json_report_can_serve_as_baseline(tmp_path: Path) -> None:
    run = RunRecord(checks=[make_record(0.7, test_id="t")], plugin_version="1")
    path = tmp_path / "report.json"
    write_atomic(path, report_chunks(RunReport.build(run)))
    assert load_baseline(path, plugin_version="1").entries == {"t::c::f1::": BaselineEntry(0.7, True)}


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Point:
    x: int


# what a check author may put in details: plain data and what record.jsonable converts
detail_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.floats(width=64),  # NaN and infinities included
        st.integers(-(2**70), 2**70),  # beyond 64 bits too
        st.text(max_size=6),
        st.sampled_from([Colour.RED, Level.HIGH, Point(3), datetime.datetime(2026, 1, 2, 3, 4, 5)]),
        st.floats(allow_nan=False, width=64).map(np.float64),
        st.integers(-(2**31), 2**31).map(np.int64),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=4), st.integers(-5, 5)), children, max_size=3),
        st.lists(st.floats(allow_nan=False, width=64), max_size=4).map(np.asarray),
    ),
    max_leaves=8,
)


def _plain(value: object) -> object:
    """The data a JSON reader gets back, worked out directly: NaN and infinities as None, the rest as
    record.jsonable makes it."""
    data = jsonable(value)

    def walk(v: object) -> object:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(data)


@settings(max_examples=300, deadline=None)
@given(detail_values)
def test_details_are_written_as_plain_data_on_one_line(value: object) -> None:
    text = report_json(RunReport.build(RunRecord(checks=[make_record(details={"x": value})])))
    assert json.loads(text)["checks"][0]["details"] == {"x": _plain(value)}
    assert sum(1 for line in text.splitlines() if line.startswith('  {"check"')) == 1  # the entry is one line


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_every_finite_float_reads_back_exactly(value: float) -> None:
    entry = json.loads(report_json(RunReport.build(RunRecord(checks=[make_record(value, low=-value)]))))["checks"][0]
    assert (entry["value"], entry["low"]) == (value, -value)
    assert math.copysign(1.0, entry["value"]) == math.copysign(1.0, value)  # -0.0 stays negative


def test_numpy_and_other_odd_values_in_the_report_files() -> None:
    checks = [
        make_record(np.float64(0.1 * i), test_id=f"t.py::test_{i}", low=0.05 * i, high=math.inf, subjects=("a", "b"),
            details={"per_label": {"PER": {"f1": np.float64(0.25), "support": np.int64(4)}}, "big": 2**80,
                     "level": Level.HIGH, "when": datetime.date(2026, 5, 1), "uni": "é\u2028<"})
        for i in range(4)
    ]  # fmt: skip
    report = RunReport.build(RunRecord(checks=checks, plugin_version="1"))
    for text in (report_json(report), baseline_json(report)):
        assert sum(1 for line in text.splitlines() if line.startswith("  {")) == 4
    entry = json.loads(report_json(report))["checks"][2]
    assert entry["details"]["big"] == 2**80 and entry["details"]["level"] == 3 and entry["high"] is None
    assert entry["details"]["when"] == "2026-05-01" and entry["details"]["uni"] == "é\u2028<"
    assert entry["details"]["per_label"] == {"PER": {"f1": 0.25, "support": 4}} and entry["value"] == 0.2
    assert [c["value"] for c in json.loads(baseline_json(report))["checks"]] == [0.0, 0.1, 0.2, 0.1 * 3]


def test_the_readme_example_has_the_fields_of_a_real_report(run_record: RunRecord) -> None:
    """The JSON report example in README.md shows what an assert_f1_above check with a baseline really writes."""
    from pytest_homog import assert_f1_above
    from pytest_homog.config import Tolerance
    from pytest_homog.report import Baseline

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("#### JSON report schema", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    example = json.loads(block)
    gold = [["B-person", "O", "B-group"], ["O", "B-person", "I-person"], ["B-group", "O", "O"]]
    assert_f1_above([["B-person", "O", "O"], ["O", "B-person", "I-person"], ["B-group", "O", "O"]], gold, 0.1)
    run_record.checks[0].test_id = "test_release.py::test_quality"
    key = record_key(run_record.checks[0])
    base = Baseline(path=Path("release.json"), entries={key: BaselineEntry(0.99)})
    real = json.loads(report_json(RunReport.build(run_record, base, Tolerance(0.02, relative=True))))
    assert real.keys() == example.keys()
    assert real["summary"].keys() == example["summary"].keys()
    check, shown = real["checks"][0], example["checks"][0]
    assert check.keys() == shown.keys() and check["details"].keys() == shown["details"].keys()
    assert check["details"]["worst_labels"][0].keys() == shown["details"]["worst_labels"][0].keys()
    assert check["data"] is None and check["baseline"].keys() == shown["baseline"].keys()
    assert real["baseline"].keys() == example["baseline"].keys()
    assert real["baseline"]["regressions"][0].keys() == example["baseline"]["regressions"][0].keys()
