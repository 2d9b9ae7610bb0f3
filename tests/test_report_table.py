"""pytest_homog.report.table: the rows and details every human-readable report shows."""

from __future__ import annotations

from pathlib import Path

from _records import make_record

from pytest_homog.config import Tolerance
from pytest_homog.record import RunRecord
from pytest_homog.report import Baseline, BaselineEntry, RunReport, matrix_from, summary_table, table_from
from pytest_homog.report.table import DETAIL_LIMIT, shown_details


def test_table_and_matrix_shapes() -> None:
    assert table_from({"PER": {"f1": 0.5}, "LOC": {"f1": 0.4, "n": 3}}) == (
        ["label", "f1", "n"],
        [["PER", 0.5, None], ["LOC", 0.4, 3]],
    )
    assert table_from([{"label": "PER", "f1": 0.5}]) == (["label", "f1"], [["PER", 0.5]])
    assert table_from({"a": 1}) is None and table_from([]) is None
    assert matrix_from({"names": ["a", "b"], "values": [[1, 0.5], [0.5, 1]]}) == (
        ["a", "b"],
        [[1.0, 0.5], [0.5, 1.0]],
        "",
    )
    assert matrix_from({"names": ["a", "b"], "values": [[1, 0.5], [0.5]]}) is None  # ragged
    assert matrix_from({"names": ["a"], "values": [["x"]]}) is None


def test_rows_show_the_baseline_and_the_verdict() -> None:
    records = [
        make_record(0.40, test_id="t::a", threshold=0.3, compared="low", low=0.35, high=0.45, confidence=0.95),
        make_record(0.70, test_id="t::b"),
        make_record(1.5, metric="outcome_homogenization", threshold=2.0),
    ]
    records[2].passed = False
    base = Baseline(path=Path("b.json"), entries={"t::a::c::f1::": BaselineEntry(0.45)})
    headers, rows = summary_table(RunReport.build(RunRecord(checks=records), base, Tolerance(0.01)))
    assert headers == ["test", "check", "metric", "value", "interval", "threshold", "baseline", "change", "verdict"]
    assert rows == [
        ["t::a", "c", "f1", "0.4000", "[0.3500, 0.4500] 95%", "low >= 0.3000", "0.4500", "-0.0500", "REGRESSED"],
        ["t::b", "c", "f1", "0.7000", "", "", "new", "", "PASS"],
        ["<outside tests>", "c", "outcome_homogenization", "1.5000", "", "value <= 2.0000", "new", "", "FAIL"],
    ]


def test_a_large_run_shows_the_details_of_the_checks_to_look_at_and_every_matrix() -> None:
    matrix = {"names": ["a", "b"], "values": [[1, 0], [0, 1]]}
    records = [
        make_record(test_id=f"t::{i}", details={"per_label": {"PER": {"f1": 0.5}}}) for i in range(DETAIL_LIMIT + 1)
    ]
    records[3].passed = False
    records[5].details["matrix"] = matrix
    shown = shown_details(RunReport.build(RunRecord(checks=records)))
    assert [(title, found is not None) for title, _, found in shown] == [
        ("t::3 · c · per_label", False),
        ("t::5 · c · matrix", True),
    ]
    assert len(shown_details(RunReport.build(RunRecord(checks=records[:DETAIL_LIMIT])))) == DETAIL_LIMIT + 1
