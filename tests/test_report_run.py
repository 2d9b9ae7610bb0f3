"""pytest_homog.report.run: a run keyed, compared with its baseline and counted."""

from __future__ import annotations

from pathlib import Path

from _records import make_record

from pytest_homog.config import Tolerance
from pytest_homog.record import RunRecord
from pytest_homog.report import Baseline, BaselineEntry, RunReport


def test_counts_and_keys_of_a_run_with_a_baseline() -> None:
    checks = [make_record(0.4, test_id="t::a"), make_record(0.4, test_id="t::a"), make_record(0.9, test_id="t::b")]
    checks[2].passed = False
    base = Baseline(path=Path("b.json"), entries={"t::a::c::f1::#2": BaselineEntry(0.5)})
    report = RunReport.build(RunRecord(checks=checks), base, Tolerance(0.05))
    assert report.keys == ["t::a::c::f1::", "t::a::c::f1::#2", "t::b::c::f1::"]
    # the check that regressed failed as its test did: the counts say so
    assert report.counts() == {
        "checks": 3,
        "passed": 1,
        "failed": 2,
        "tests": 2,
        "failed_tests": 2,
        "regressions": 1,
    }
    assert list(report.deltas) == ["t::a::c::f1::#2"] and report.deltas["t::a::c::f1::#2"].regressed
    assert report.counts_text() == "3 checks in 2 tests: 1 passed, 2 failed (1 regressed from the baseline) in 2 tests"


def test_a_run_without_a_baseline_compares_nothing() -> None:
    report = RunReport.build(RunRecord(checks=[make_record()]))
    assert report.comparison is None and report.deltas == {}
    assert report.counts()["regressions"] == 0


def test_the_default_tolerance_is_one_hundredth() -> None:
    base = Baseline(path=Path("b.json"), entries={"::c::f1::": BaselineEntry(0.5)})
    report = RunReport.build(RunRecord(checks=[make_record(0.49)]), base)
    assert report.comparison is not None and report.comparison.tolerance == Tolerance(0.01)
    assert not report.deltas["::c::f1::"].regressed
