"""The run record stamps checks with the test that ran them, and only collects under --homog."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_a_property_test_folds_its_examples_into_one_record(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from pytest_homog.record import active_run

        def pytest_sessionfinish(session):
            for r in active_run().checks:
                print("REC", r.test_id.split("::")[1], r.metric, r.n, round(r.value, 4), r.passed,
                      r.details.get("examples"), r.details.get("failed_examples"), r.details.get("first_failure"))
        """
    )
    pytester.makepyfile(
        """
        from hypothesis import given, settings, strategies as st
        from pytest_homog.record import CheckRecord, record_example_check

        SEEN = {"all": 0, "odd": 0}

        @settings(max_examples=30, database=None, derandomize=True)
        @given(st.integers(0, 1000))
        def test_all_pass(x):
            SEEN["all"] += 1
            record_example_check(CheckRecord(check="c", metric="m", value=1.0, passed=True, subjects=("s",)))

        def test_calls():
            print("CALLS", SEEN["all"])

        def test_outside_hypothesis():
            record_example_check(CheckRecord(check="c", metric="m", value=0.5, passed=True))
        """
    )
    result = pytester.runpytest("-s", "--homog", "-p", "no:randomly")
    result.assert_outcomes(passed=3)
    out = result.stdout.str()
    calls = int(out.split("CALLS ")[1].split()[0])
    assert calls >= 2
    assert f"REC test_all_pass examples_passed {calls} 1.0 True {calls} 0 None" in out
    assert "REC test_outside_hypothesis m None 0.5 True None None None" in out  # not folded: its own record
    assert out.count("REC ") == 2


def test_failing_examples_fail_the_folded_record() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pytest_homog.record import record_example_check

    run = RunRecord()
    previous = active_run()
    set_active_run(run)

    @settings(max_examples=50, database=None, derandomize=True)
    @given(st.integers(0, 100))
    def prop(x: int) -> None:
        record_example_check(
            CheckRecord(check="c", metric="m", value=float(x), passed=x < 10, details={"x": x})
        )

    try:
        with current_test("t::p"):
            prop()
    finally:
        set_active_run(previous)
    [rec] = run.checks
    assert rec.test_id == "t::p" and rec.passed is False and rec.metric == "examples_passed"
    assert rec.n == rec.details["examples"] > rec.details["failed_examples"] > 0
    assert rec.value == (rec.n - rec.details["failed_examples"]) / rec.n
    assert rec.details["first_failure"]["x"] >= 10


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
@given(st.lists(records, max_size=5))
def test_records_round_trip_through_json(checks: list[CheckRecord]) -> None:
    run = RunRecord(checks=checks, plugin_version="9.9", started=1.5)
    assert RunRecord.from_dict(json.loads(json.dumps(run.to_dict()))) == run
