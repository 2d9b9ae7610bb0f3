"""pytest_homog.config: the baseline tolerance and its parser (options and ini are tested end to end in
test_plugin.py and test_report_plugin.py)."""

from __future__ import annotations

import argparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_homog.config import Tolerance, parse_tolerance


@given(st.integers(min_value=0, max_value=10**6))
def test_absolute_tolerance_round_trips(thousandths: int) -> None:
    text = str(thousandths / 1000)
    tolerance = parse_tolerance(text)
    assert tolerance == Tolerance(thousandths / 1000, relative=False)
    assert parse_tolerance(str(tolerance)) == tolerance


@given(st.integers(min_value=0, max_value=1000))
def test_relative_tolerance(percent: int) -> None:
    tolerance = parse_tolerance(f"{percent}%")
    assert tolerance.relative and tolerance.amount == pytest.approx(percent / 100)
    assert tolerance.allowance(-2.0) == pytest.approx(2 * percent / 100)
    assert parse_tolerance(str(tolerance)) == tolerance


@pytest.mark.parametrize("bad", ["abc", "-1", "-0.5%", "5%%", "%", "", "nan", "inf", "1e999", "0.01 abs"])
def test_bad_tolerances_are_rejected(bad: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is not a tolerance"):
        parse_tolerance(bad)
