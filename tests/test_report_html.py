"""pytest_homog.report.html: the HTML page, its error bars and its heatmaps."""

from __future__ import annotations

import math
import random
from pathlib import Path

from _records import make_record

from pytest_homog.config import Tolerance
from pytest_homog.record import CheckRecord, RunRecord
from pytest_homog.report import Baseline, BaselineEntry, RunReport, html_chunks, record_key


def page(report: RunReport) -> str:
    return "".join(html_chunks(report))


def test_a_matrix_recorded_twice_is_drawn_alike_and_only_the_same_numbers_alike() -> None:
    def check(i: int, values: list[list[float]]) -> CheckRecord:
        return make_record(test_id=f"t.py::test_{i}", details={"matrix": {"names": ["a", "b"], "values": values}})

    same = [[1.0, 0.25], [0.25, 1.0]]
    checks = [check(0, same), check(1, [row[:] for row in same]), check(2, [[1.0, -0.0], [0.0, 1.0]])]
    checks.append(check(3, [[1.0, 0.0], [0.0, 1.0]]))
    figures = page(RunReport.build(RunRecord(checks=checks))).split("<figure>")[1:]
    assert len(figures) == 4
    assert figures[0].split("</figcaption>")[1] == figures[1].split("</figcaption>")[1]
    assert ">-0.00</text>" in figures[2] and ">-0.00</text>" not in figures[3]


def test_html_escapes_everything_it_shows() -> None:
    evil = "<script>alert(1)</script>"
    run = RunRecord(
        checks=[
            make_record(
                test_id=evil,
                subjects=(evil,),
                details={"matrix": {"names": [evil, "b"], "values": [[1, 0], [0, 1]]}, "per_label": {evil: {"f1": 1}}},
            )
        ]
    )
    text = page(RunReport.build(run))
    assert "<script" not in text and "&lt;script&gt;" in text


def test_error_bar_scale_covers_values_outside_zero_one() -> None:
    run = RunRecord(checks=[make_record(3.5, metric="outcome_homogenization", threshold=2.0, low=3.0, high=4.0)])
    text = page(RunReport.build(run))
    svg = text[text.index('<svg class="errorbar"') :]
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
    rng = random.Random(7)
    for _ in range(200):
        numbers = sorted(rng.uniform(-0.5, 1.5) for _ in range(3))
        low, value, high = numbers
        threshold, stored = rng.uniform(-0.5, 1.5), rng.uniform(-0.5, 1.5)
        record = make_record(value, threshold=threshold, low=low, high=high, test_id="t")
        report = RunReport.build(
            RunRecord(checks=[record]),
            Baseline(path=Path("b.json"), entries={record_key(record): BaselineEntry(stored)}),
            Tolerance(0.01),
        )
        text = page(report)
        svg = text[text.index('<svg class="errorbar"') :]
        lo, hi = min(0.0, *numbers, threshold, stored), max(1.0, *numbers, threshold, stored)

        def x(v, lo=lo, hi=hi):
            return math.floor(80 + (v - lo) / (hi - lo) * 2040 + 0.5)

        assert f'cx="{x(value)}"' in svg
        assert f'class="threshold" x1="{x(threshold)}"' in svg
        assert f'd="M{x(low)} 110 H{x(high)} ' in svg
        assert f'class="baseline" d="M{x(stored)} 70 ' in svg


def test_a_failed_check_is_drawn_red_and_undefined_numbers_are_left_out() -> None:
    record = make_record(math.nan, low=math.nan, high=0.5, threshold=math.inf)
    record.passed = False
    svg = page(RunReport.build(RunRecord(checks=[record, make_record(0.2)])))
    bars = svg.split('<svg class="errorbar"')[1:]
    assert "<circle" not in bars[0] and "threshold" not in bars[0] and "interval" not in bars[0]
    assert 'class="value"' in bars[1] and '<tr class="fail">' in svg
