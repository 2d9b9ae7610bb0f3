"""Unit tests of pytest_homog.report: tolerance, direction, keys, baseline comparison, serialisation, rendering."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import enum
import json
import math
import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_homog import report as report_module
from pytest_homog.config import Tolerance, parse_tolerance
from pytest_homog.record import CheckRecord, RunRecord, jsonable
from pytest_homog.report import (
    Baseline,
    BaselineEntry,
    RunReport,
    assign_keys,
    baseline_chunks,
    baseline_delta,
    baseline_dict,
    compare_to_baseline,
    dumps,
    higher_is_better,
    load_baseline,
    matrix_from,
    record_key,
    render_html,
    render_markdown,
    report_chunks,
    report_dict,
    summary_lines,
    table_from,
    write_atomic,
)


def rec(value: float = 0.5, metric: str = "f1", **kw: object) -> CheckRecord:
    return CheckRecord(check=str(kw.pop("check", "c")), metric=metric, value=value, passed=True, **kw)  # type: ignore[arg-type]


# --- tolerance -------------------------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**6))
def test_absolute_tolerance_round_trips(thousandths: int) -> None:
    text = str(thousandths / 1000)
    tol = parse_tolerance(text)
    assert tol == Tolerance(thousandths / 1000, relative=False)
    assert parse_tolerance(str(tol)) == tol


@given(st.integers(min_value=0, max_value=1000))
def test_relative_tolerance(percent: int) -> None:
    tol = parse_tolerance(f"{percent}%")
    assert tol.relative and tol.amount == pytest.approx(percent / 100)
    assert tol.allowance(-2.0) == pytest.approx(2 * percent / 100)
    assert parse_tolerance(str(tol)) == tol


@pytest.mark.parametrize("bad", ["abc", "-1", "-0.5%", "5%%", "%", "", "nan", "inf", "1e999", "0.01 abs"])
def test_bad_tolerances_are_rejected(bad: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is not a tolerance"):
        parse_tolerance(bad)


# --- direction and keys ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (rec(metric="f1"), True),
        (rec(metric="Recall"), True),
        (rec(metric="divergence"), True),
        (rec(metric="disagreement", compared="high"), True),  # the name wins over the comparison
        (rec(metric="outcome_homogenization"), False),
        (rec(metric="similarity"), False),
        (rec(metric="pairwise_similarity"), False),
        (rec(metric="error_consistency"), False),
        (rec(metric="linear_cka"), False),
        (rec(metric="custom", compared="high"), False),
        (rec(metric="custom"), True),
        (rec(metric="f1", higher_is_better=False), False),  # the record's own field wins
    ],
)
def test_direction(record: CheckRecord, expected: bool) -> None:
    assert higher_is_better(record) is expected


def test_keys_number_repeats_within_a_test() -> None:
    records = [
        rec(test_id="t::a", subjects=("x",)),
        rec(test_id="t::a", subjects=("x",)),
        rec(test_id="t::a", subjects=("y",)),
        rec(test_id="t::b", subjects=("x",)),
        rec(test_id="t::a", subjects=("x",)),
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
    records = [rec(test_id=t, metric=m or "f1", subjects=tuple(s)) for t, m, s in specs]
    keys = assign_keys(records)
    assert len(set(keys)) == len(keys)
    for i, (key, record) in enumerate(zip(keys, records, strict=True)):
        earlier = sum(1 for r in records[:i] if record_key(r) == record_key(record))
        assert key == (record_key(record) if earlier == 0 else f"{record_key(record)}#{earlier + 1}")


# --- baseline comparison ---------------------------------------------------------------------------------------

# values on a 1/64 grid are exact in binary, so the boundary (a change of exactly the tolerance) is tested exactly
grid = st.integers(min_value=-256, max_value=256).map(lambda i: i / 64)


@settings(max_examples=200, deadline=None)
@given(value=grid, stored=grid, step=st.integers(min_value=0, max_value=32), hib=st.booleans(), rel=st.booleans())
def test_regression_matches_a_direct_rule(value: float, stored: float, step: int, hib: bool, rel: bool) -> None:
    tol = Tolerance(step / 32, relative=True) if rel else Tolerance(step / 64)
    record = rec(value, metric="custom", higher_is_better=hib, test_id="t")
    key = record_key(record)
    base = Baseline(path=Path("b.json"), entries={key: BaselineEntry(stored)})
    (delta,) = compare_to_baseline([record], [key], base, tol).deltas
    # oracle in exact rational arithmetic: the allowed band is [stored - allow, +inf) or (-inf, stored + allow]
    allow = Fraction(step, 32) * abs(Fraction(stored)) if rel else Fraction(step, 64)
    v, s = Fraction(value), Fraction(stored)
    expected = v < s - allow if hib else v > s + allow
    assert delta.regressed is expected
    assert delta.change == value - stored


def test_nan_values_against_a_baseline() -> None:
    base = Baseline(path=Path("b.json"), entries={"k1": BaselineEntry(0.5), "k2": BaselineEntry(math.nan)})
    cmp = compare_to_baseline([rec(math.nan), rec(0.1)], ["k1", "k2"], base, Tolerance(0.01))
    assert [d.regressed for d in cmp.deltas] == [True, False]  # a value that became undefined is a regression


def test_new_and_missing_checks() -> None:
    base = Baseline(path=Path("b.json"), entries={"old": BaselineEntry(0.5), "same": BaselineEntry(0.5)})
    cmp = compare_to_baseline([rec(), rec()], ["same", "fresh"], base, Tolerance(0.01))
    assert (cmp.new, cmp.missing, [d.key for d in cmp.deltas]) == (["fresh"], ["old"], ["same"])


def test_comparisons_made_as_tests_ended_are_reused_only_for_their_own_records() -> None:
    a, b = rec(0.40, test_id="t::a"), rec(0.70, test_id="t::b")
    keys = assign_keys([a, b])
    base = Baseline(path=Path("b.json"), entries={keys[0]: BaselineEntry(0.45), keys[1]: BaselineEntry(0.60)})
    tol = Tolerance(0.01)
    fresh = compare_to_baseline([a, b], keys, base, tol)
    made = baseline_delta(a, keys[0], base, tol)  # as the plugin makes it when the test ends
    stale = baseline_delta(rec(0.40, test_id="t::a"), keys[0], base, tol)  # an equal record
    loose = baseline_delta(a, keys[0], base, Tolerance(0.5))  # another tolerance
    assert made is not None and stale is not None and loose is not None
    assert compare_to_baseline([a, b], keys, base, tol, known={keys[0]: made}).deltas[0] is made
    for wrong in (stale, loose):
        reused = compare_to_baseline([a, b], keys, base, tol, known={keys[0]: wrong})
        assert reused.deltas[0] is not wrong and reused.deltas == fresh.deltas
    assert [d.regressed for d in fresh.deltas] == [True, False]
    report = RunReport.build(RunRecord(checks=[a, b]), base, tol, known={keys[0]: made})
    assert report.comparison is not None and report.comparison.deltas == fresh.deltas


def test_unusable_baseline_compares_nothing() -> None:
    base = Baseline(path=Path("b.json"), entries={"k": BaselineEntry(0.9)}, usable=False)
    cmp = compare_to_baseline([rec(0.1)], ["k"], base, Tolerance(0.01))
    assert (cmp.deltas, cmp.new, cmp.missing) == ([], [], [])


# --- serialisation ---------------------------------------------------------------------------------------------

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


@settings(max_examples=100, deadline=None)
@given(checks=st.lists(records, max_size=5))
def test_saved_baseline_loads_back(checks: list[CheckRecord], tmp_path_factory: pytest.TempPathFactory) -> None:
    report = RunReport.build(RunRecord(checks=checks, plugin_version="9.9"))
    path = tmp_path_factory.mktemp("b") / "baseline.json"
    write_atomic(path, dumps(baseline_dict(report)))
    base = load_baseline(path, plugin_version="9.9")
    assert base.usable and base.problems == []
    assert {k: e.value for k, e in base.entries.items()} == dict(
        zip(report.keys, (c.value for c in checks), strict=True)
    )
    report_data = json.loads(dumps(report_dict(report)))  # strict JSON: no NaN tokens
    assert report_data["summary"]["checks"] == len(checks)
    assert load_baseline(path, plugin_version="1.0").problems == [
        "written by pytest-homog 9.9, this is 1.0; values compared anyway"
    ]


def test_non_finite_values_are_written_as_null(tmp_path: Path) -> None:
    run = RunRecord(checks=[rec(math.nan, low=-math.inf, details={"x": [math.inf, 1.0]})])
    data = json.loads(dumps(report_dict(RunReport.build(run))))
    check = data["checks"][0]
    assert (check["value"], check["low"], check["details"]) == (None, None, {"x": [None, 1.0]})
    path = tmp_path / "b.json"
    write_atomic(path, dumps(baseline_dict(RunReport.build(run))))
    assert math.isnan(load_baseline(path).entries[record_key(run.checks[0])].value)


def test_missing_baseline_file_is_reported(tmp_path: Path) -> None:
    base = load_baseline(tmp_path / "nope.json")
    assert not base.usable and base.problems[0].startswith("cannot be read")


def test_a_json_report_can_serve_as_baseline(tmp_path: Path) -> None:
    run = RunRecord(checks=[rec(0.7, test_id="t")], plugin_version="1")
    path = tmp_path / "report.json"
    write_atomic(path, dumps(report_dict(RunReport.build(run))))
    assert load_baseline(path, plugin_version="1").entries == {"t::c::f1::": BaselineEntry(0.7, True)}


def test_write_atomic_keeps_the_old_file_when_the_rename_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.json"
    path.write_text("old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["r.json"]


def test_write_atomic_keeps_the_old_file_when_making_a_piece_fails(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("old")

    def pieces():
        yield "new, first half"
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError, match="render failed"):
        write_atomic(path, pieces())
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["r.json"]
    write_atomic(path, iter(["new, ", "in ", "pieces"]))
    assert path.read_text() == "new, in pieces"


# --- the two JSON writers: orjson and the json module ----------------------------------------------------------


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Point:
    x: int


# what a check author may put in details: plain data and what json_default converts
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
def test_both_json_writers_write_the_same_data(value: object) -> None:
    entry = {"details": {"x": value}}
    fast = report_module._dump(entry)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(report_module, "orjson", None)
        slow = report_module._dump(entry)
    expected = {"details": {"x": _plain(value)}}
    assert json.loads(fast) == expected
    assert json.loads(slow) == expected
    assert "\n" not in fast and "\n" not in slow  # one line each


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_every_finite_float_reads_back_exactly(value: float) -> None:
    text = dumps({"checks": [{"value": value, "low": -value}]})
    entry = json.loads(text)["checks"][0]
    assert (entry["value"], entry["low"]) == (value, -value)
    assert math.copysign(1.0, entry["value"]) == math.copysign(1.0, value)  # -0.0 stays negative


def test_both_json_writers_give_the_same_report_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checks = [
        rec(0.1 * i, test_id=f"t.py::test_{i}", low=0.05 * i, high=math.inf, subjects=("a", "b"),
            details={"per_label": {"PER": {"f1": np.float64(0.25), "support": np.int64(4)}}, "big": 2**80,
                     "level": Level.HIGH, "when": datetime.date(2026, 5, 1), "uni": "é\u2028<"})
        for i in range(4)
    ]  # fmt: skip
    report = RunReport.build(RunRecord(checks=checks, plugin_version="1"))
    fast = {name: "".join(chunks(report)) for name, chunks in (("r", report_chunks), ("b", baseline_chunks))}
    monkeypatch.setattr(report_module, "orjson", None)
    slow = {name: "".join(chunks(report)) for name, chunks in (("r", report_chunks), ("b", baseline_chunks))}
    for name in fast:
        assert json.loads(fast[name]) == json.loads(slow[name])
        assert len(fast[name].splitlines()) == len(slow[name].splitlines())
    entry = json.loads(fast["r"])["checks"][2]
    assert entry["details"]["big"] == 2**80 and entry["details"]["level"] == 3 and entry["high"] is None
    assert entry["details"]["when"] == "2026-05-01" and entry["details"]["uni"] == "é\u2028<"


def test_baselines_that_only_the_json_module_reads_still_load(tmp_path: Path) -> None:
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


# --- rendering -------------------------------------------------------------------------------------------------


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


class PerLabel:
    def to_markdown(self) -> str:
        return "| label | f1 |\n|---|---|\n| PER | 0.5 |"


def test_verbose_summary_renders_objects_with_to_markdown() -> None:
    run = RunRecord(checks=[rec(details={"per_label": PerLabel(), "worst": "sentence 12"}, n=40, level="entity")])
    lines = [line for line, _ in summary_lines(RunReport.build(run), verbose=True)]
    assert "    | PER | 0.5 |" in lines
    assert "    worst: sentence 12" in lines and "    n: 40" in lines and "    level=entity" in lines
    assert "| PER | 0.5 |" in render_markdown(RunReport.build(run))


def test_a_matrix_drawn_for_one_check_is_reused_only_for_the_same_numbers() -> None:
    def check(i: int, values: list[list[float]]) -> CheckRecord:
        return rec(test_id=f"t.py::test_{i}", details={"matrix": {"names": ["a", "b"], "values": values}})

    same = [[1.0, 0.25], [0.25, 1.0]]
    checks = [check(0, same), check(1, [row[:] for row in same]), check(2, [[1.0, -0.0], [0.0, 1.0]])]
    checks.append(check(3, [[1.0, 0.0], [0.0, 1.0]]))
    report = RunReport.build(RunRecord(checks=checks))
    page = render_html(report)
    figures = page.split("<figure>")[1:]
    assert len(figures) == 4
    assert figures[0].split("</figcaption>")[1] == figures[1].split("</figcaption>")[1]
    assert ">-0.00</text>" in figures[2] and ">-0.00</text>" not in figures[3]
    markdown = render_markdown(report)
    assert markdown.count("| a | 1.0000 | 0.2500 |") == 2 and markdown.count("| a | 1.0000 | -0.0000 |") == 1


def test_html_escapes_everything_it_shows() -> None:
    evil = "<script>alert(1)</script>"
    run = RunRecord(
        checks=[
            rec(
                test_id=evil,
                subjects=(evil,),
                details={"matrix": {"names": [evil, "b"], "values": [[1, 0], [0, 1]]}, "per_label": {evil: {"f1": 1}}},
            )
        ]
    )
    page = render_html(RunReport.build(run))
    assert "<script" not in page and "&lt;script&gt;" in page


def test_error_bar_scale_covers_values_outside_zero_one() -> None:
    run = RunRecord(checks=[rec(3.5, metric="outcome_homogenization", threshold=2.0, low=3.0, high=4.0)])
    page = render_html(RunReport.build(run))
    svg = page[page.index('<svg class="errorbar"') :]
    svg = svg[: svg.index("</svg>")]
    width = float(svg.split('viewBox="')[1].split('"')[0].split()[2])
    xs = [float(part.split('"')[1]) for part in svg.split(" cx=")[1:]]
    assert xs and all(0 <= x <= width for x in xs)
    assert 'class="threshold"' in svg and 'class="interval"' in svg
    # the scale runs from 0 to the largest number drawn (4.0) across the axis, 80 to 2120 user units
    assert xs == [round(80 + 3.5 / 4.0 * 2040)]
    assert 'class="threshold" x1="1100"' in svg and 'd="M1610 110 H2120 ' in svg


def test_error_bar_coordinates_match_a_direct_formula() -> None:
    """Every coordinate drawn is the rounded position of its number on the [min(0, ...), max(1, ...)] scale."""
    import random

    rng = random.Random(7)
    for _ in range(200):
        numbers = sorted(rng.uniform(-0.5, 1.5) for _ in range(3))
        low, value, high = numbers
        threshold, stored = rng.uniform(-0.5, 1.5), rng.uniform(-0.5, 1.5)
        record = rec(value, threshold=threshold, low=low, high=high, test_id="t")
        report = RunReport.build(
            RunRecord(checks=[record]),
            Baseline(path=Path("b.json"), entries={record_key(record): BaselineEntry(stored)}),
            Tolerance(0.01),
        )
        page = render_html(report)
        svg = page[page.index('<svg class="errorbar"') :]
        lo, hi = min(0.0, *numbers, threshold, stored), max(1.0, *numbers, threshold, stored)

        def x(v, lo=lo, hi=hi):
            return math.floor(80 + (v - lo) / (hi - lo) * 2040 + 0.5)

        assert f'cx="{x(value)}"' in svg
        assert f'class="threshold" x1="{x(threshold)}"' in svg
        assert f'd="M{x(low)} 110 H{x(high)} ' in svg
        assert f'class="baseline" d="M{x(stored)} 70 ' in svg


def test_a_line_break_in_a_label_does_not_tear_the_terminal_tables_apart() -> None:
    run = RunRecord(
        checks=[
            rec(
                test_id="t.py::test_q",
                details={
                    "per_label": {"two\nlines": {"f1": 0.5}, "plain": {"f1": 0.25}},
                    "matrix": {"names": ["a\r\nb", "c"], "values": [[1, 0], [0, 1]]},
                },
            )
        ]
    )
    lines = [line for line, _ in summary_lines(RunReport.build(run), verbose=True)]
    assert all("\n" not in line and "\r" not in line for line in lines)
    assert "    two\\nlines  0.5000" in lines and "    plain       0.2500" in lines
    assert any(line.startswith("    a\\r\\nb  1.0000") for line in lines)
