"""pytest_homog.report.baseline: direction of a metric, keys of checks, reading a baseline, comparing with it."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import pytest
from _records import make_record
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_homog.config import Tolerance
from pytest_homog.record import CheckRecord, RunRecord
from pytest_homog.report import (
    Baseline,
    BaselineEntry,
    RunReport,
    assign_keys,
    baseline_delta,
    compare_to_baseline,
    higher_is_better,
    load_baseline,
    record_key,
)

# --- direction and keys ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (make_record(metric="f1"), True),
        (make_record(metric="Recall"), True),
        (make_record(metric="divergence"), True),
        (make_record(metric="disagreement", compared="high"), True),  # the name wins over the comparison
        (make_record(metric="outcome_homogenization"), False),
        (make_record(metric="similarity"), False),
        (make_record(metric="pairwise_similarity"), False),
        (make_record(metric="error_consistency"), False),
        (make_record(metric="linear_cka"), False),
        (make_record(metric="custom", compared="high"), False),
        (make_record(metric="custom"), True),
        (make_record(metric="f1", higher_is_better=False), False),  # the record's own field wins
    ],
)
def test_direction(record: CheckRecord, expected: bool) -> None:
    assert higher_is_better(record) is expected


def test_keys_number_repeats_within_a_test() -> None:
    records = [
        make_record(test_id="t::a", subjects=("x",)),
        make_record(test_id="t::a", subjects=("x",)),
        make_record(test_id="t::a", subjects=("y",)),
        make_record(test_id="t::b", subjects=("x",)),
        make_record(test_id="t::a", subjects=("x",)),
    ]
    assert assign_keys(records) == [
        "t::a::c::f1::x",
        "t::a::c::f1::x#2",
        "t::a::c::f1::y",
        "t::b::c::f1::x",
        "t::a::c::f1::x#3",
    ]


names = st.text(alphabet="abcxyz:|#,", max_size=4)


@given(st.lists(st.tuples(names, names, st.lists(names, max_size=2)), max_size=30))
def test_keys_are_unique(specs: list[tuple[str, str, list[str]]]) -> None:
    records = [make_record(test_id=t, metric=m or "f1", subjects=tuple(s)) for t, m, s in specs]
    keys = assign_keys(records)
    assert len(set(keys)) == len(keys)
    for i, (key, record) in enumerate(zip(keys, records, strict=True)):
        earlier = sum(1 for r in records[:i] if record_key(r) == record_key(record))
        assert key == (record_key(record) if earlier == 0 else f"{record_key(record)}#{earlier + 1}")


# --- comparison ------------------------------------------------------------------------------------------------

# values on a 1/64 grid are exact in binary, so the boundary (a change of exactly the tolerance) is tested exactly
grid = st.integers(min_value=-256, max_value=256).map(lambda i: i / 64)


@settings(max_examples=200, deadline=None)
@given(
    value=grid, stored=grid, step=st.integers(min_value=0, max_value=32), higher=st.booleans(), relative=st.booleans()
)
def test_regression_matches_a_direct_rule(value: float, stored: float, step: int, higher: bool, relative: bool) -> None:
    tolerance = Tolerance(step / 32, relative=True) if relative else Tolerance(step / 64)
    record = make_record(value, metric="custom", higher_is_better=higher, test_id="t")
    key = record_key(record)
    base = Baseline(path=Path("b.json"), entries={key: BaselineEntry(stored)})
    (delta,) = compare_to_baseline([record], [key], base, tolerance).deltas
    # oracle in exact rational arithmetic: the allowed band is [stored - allow, +inf) or (-inf, stored + allow]
    allow = Fraction(step, 32) * abs(Fraction(stored)) if relative else Fraction(step, 64)
    v, s = Fraction(value), Fraction(stored)
    expected = v < s - allow if higher else v > s + allow
    assert delta.regressed is expected
    assert delta.change == value - stored


def test_nan_values_against_a_baseline() -> None:
    base = Baseline(path=Path("b.json"), entries={"k1": BaselineEntry(0.5), "k2": BaselineEntry(math.nan)})
    cmp = compare_to_baseline([make_record(math.nan), make_record(0.1)], ["k1", "k2"], base, Tolerance(0.01))
    assert [d.regressed for d in cmp.deltas] == [True, False]  # a value that became undefined is a regression


def test_new_and_missing_checks() -> None:
    base = Baseline(path=Path("b.json"), entries={"old": BaselineEntry(0.5), "same": BaselineEntry(0.5)})
    cmp = compare_to_baseline([make_record(), make_record()], ["same", "fresh"], base, Tolerance(0.01))
    assert (cmp.new, cmp.missing, [d.key for d in cmp.deltas]) == (["fresh"], ["old"], ["same"])
    assert cmp.counts_text() == "1 compared, 0 regressed, 1 new, 1 missing"


def test_the_comparison_made_as_a_test_ends_is_the_one_the_report_makes() -> None:
    a, b = make_record(0.40, test_id="t::a"), make_record(0.70, test_id="t::b")
    keys = assign_keys([a, b])
    base = Baseline(path=Path("b.json"), entries={keys[0]: BaselineEntry(0.45), keys[1]: BaselineEntry(0.60)})
    tolerance = Tolerance(0.01)
    at_test_end = [baseline_delta(a, keys[0], base, tolerance), baseline_delta(b, keys[1], base, tolerance)]
    report = RunReport.build(RunRecord(checks=[a, b]), base, tolerance)
    assert report.comparison is not None and report.comparison.deltas == at_test_end
    assert [d.regressed for d in report.comparison.deltas] == [True, False]
    assert report.deltas == {keys[0]: at_test_end[0], keys[1]: at_test_end[1]}
    loose = baseline_delta(a, keys[0], base, Tolerance(0.5))  # another tolerance: another comparison
    assert loose is not None and not loose.regressed and loose != at_test_end[0]


def test_unusable_baseline_compares_nothing() -> None:
    base = Baseline(path=Path("b.json"), entries={"k": BaselineEntry(0.9)}, usable=False)
    cmp = compare_to_baseline([make_record(0.1)], ["k"], base, Tolerance(0.01))
    assert (cmp.deltas, cmp.new, cmp.missing) == ([], [], [])
    assert baseline_delta(make_record(0.1), "k", base, Tolerance(0.01)) is None


def test_describe_says_what_moved_which_way() -> None:
    record = make_record(0.40, test_id="t::a", subjects=("cand",))
    delta = baseline_delta(record, "k", Baseline(path=Path("b"), entries={"k": BaselineEntry(0.45)}), Tolerance(0.01))
    assert delta is not None
    assert delta.describe() == (
        "f1 of t::a (c [cand]) fell from 0.4500 to 0.4000 (-0.0500; higher is better, allowed 0.0100)"
    )


# --- reading a baseline ----------------------------------------------------------------------------------------


def test_missing_baseline_file_is_reported(tmp_path: Path) -> None:
    base = load_baseline(tmp_path / "nope.json")
    assert not base.usable and base.problems[0].startswith("cannot be read")


def test_baselines_with_numbers_beyond_strict_json_still_load(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    entry = '{"key": "k", "value": %s}'
    for number, expected in (("NaN", math.nan), ("1e400", math.inf), (str(2**70), float(2**70))):
        path.write_text('{"schema": "pytest-homog/baseline", "version": 1, "checks": [%s]}' % (entry % number))
        value = load_baseline(path).entries["k"].value
        assert value == expected or (math.isnan(value) and math.isnan(expected))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # a byte order mark, as some editors write
    assert load_baseline(path).entries["k"].value == float(2**70)


@pytest.mark.parametrize(
    "raw", [b"\xff\xfe\x00garbage\x80", b"\x89PNG\r\n\x1a\n\x00", b"", b'{"schema": "pytest-homog/b']
)
def test_a_baseline_that_is_not_json_text_is_reported(raw: bytes, tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(raw)
    base = load_baseline(path)
    assert not base.usable
    assert base.problems[0].startswith("not valid JSON") and "--homog-save-baseline" in base.problems[0]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"schema": "other", "version": 1, "checks": []}', "not a pytest-homog baseline"),
        ('{"schema": "pytest-homog/baseline", "version": 2, "checks": []}', "schema version 2"),
        ('{"schema": "pytest-homog/baseline", "version": 1}', "has no 'checks' list"),
    ],
)
def test_a_baseline_of_another_shape_is_reported(text: str, problem: str, tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    base = load_baseline(path)
    assert not base.usable and base.problems[0].startswith(problem)


def test_malformed_entries_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    checks = [
        {"key": "k", "value": 0.5, "higher_is_better": False},
        {"key": 1, "value": 0.5},
        {"key": "b", "value": True},
        3,
    ]
    path.write_text(json.dumps({"schema": "pytest-homog/baseline", "version": 1, "checks": checks}))
    base = load_baseline(path)
    assert base.usable and base.entries == {"k": BaselineEntry(0.5, False)}
    assert base.problems == ["3 malformed entries ignored"]
