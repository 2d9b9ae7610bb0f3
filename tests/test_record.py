"""The run record stamps checks with the test that ran them, and only collects under --homog."""

from __future__ import annotations

import pytest

from pytest_homog.record import CheckRecord, RunRecord, active_run, current_test, record_check, set_active_run


def test_record_check_outside_a_session_is_a_no_op() -> None:
    previous = active_run()
    set_active_run(None)
    try:
        rec = record_check(CheckRecord(check="c", metric="f1", value=0.5, passed=True))
        assert rec.test_id == ""
    finally:
        set_active_run(previous)


def test_record_check_stamps_the_current_test() -> None:
    previous = active_run()
    run = RunRecord()
    set_active_run(run)
    try:
        with current_test("tests/x.py::test_y"):
            record_check(CheckRecord(check="c", metric="f1", value=0.5, passed=True))
        record_check(CheckRecord(check="c", metric="f1", value=0.6, passed=False, test_id="given"))
    finally:
        set_active_run(previous)
    assert [(r.test_id, r.value) for r in run.checks] == [("tests/x.py::test_y", 0.5), ("given", 0.6)]


def test_records_are_collected_under_homog(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from pytest_homog.record import active_run

        def pytest_sessionfinish(session):
            run = active_run()
            print("RECORDS", None if run is None else [(r.test_id, r.value) for r in run.checks])
        """
    )
    pytester.makepyfile(
        """
        from pytest_homog.record import CheckRecord, record_check

        def test_a():
            record_check(CheckRecord(check="c", metric="f1", value=0.25, passed=True))
        """
    )
    out = pytester.runpytest("-s", "--homog").stdout.str()
    assert "RECORDS [('test_records_are_collected_under_homog.py::test_a', 0.25)]" in out
    assert "RECORDS None" in pytester.runpytest("-s").stdout.str()
