"""pytest_homog.config: the baseline tolerance and its parser (options and ini are tested end to end in
test_plugin.py and test_report_plugin.py)."""

from __future__ import annotations

import argparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_homog.config import DEFAULT_TOLERANCE_FLOOR, Tolerance, parse_tolerance, parse_tolerance_floor


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
    assert tolerance.allowance(-2.0) == pytest.approx(max(2 * percent / 100, DEFAULT_TOLERANCE_FLOOR))
    assert parse_tolerance(str(tolerance)) == tolerance


@given(
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=-10, max_value=10, allow_nan=False),
    st.floats(min_value=0, max_value=1),
)
def test_a_relative_tolerance_allows_at_least_its_floor(share: float, baseline: float, floor: float) -> None:
    relative = Tolerance(share, relative=True, floor=floor)
    assert relative.allowance(baseline) == max(share * abs(baseline), floor)
    assert Tolerance(share, floor=floor).allowance(baseline) == share  # an absolute tolerance is taken as given


def test_the_floor_is_stated_with_a_relative_tolerance() -> None:
    assert Tolerance(0.02, relative=True, floor=0.05).describe() == "2%, at least 0.05"
    assert Tolerance(0.02).describe() == "0.02"
    assert parse_tolerance_floor("0") == 0.0
    for bad in ["2%", "-1", "abc", "nan"]:
        with pytest.raises(argparse.ArgumentTypeError, match="is not a tolerance floor"):
            parse_tolerance_floor(bad)


@pytest.mark.parametrize("bad", ["abc", "-1", "-0.5%", "5%%", "%", "", "nan", "inf", "1e999", "0.01 abs"])
def test_bad_tolerances_are_rejected(bad: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is not a tolerance"):
        parse_tolerance(bad)
