"""pytest_homog.report.html: the HTML page, its error bars and its heatmaps."""

from __future__ import annotations

import itertools
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


def _homogeneity_record(**details: object) -> CheckRecord:
    return make_record(
        0.3, metric="shared_failure", check="assert_not_homogeneous", test_id="t.py::test_group",
        subjects=("a", "b", "c"), details={"unit": "entity", **details},
    )  # fmt: skip


def test_shared_failures_are_text_with_the_failed_span_marked() -> None:
    shared = [
        {"sentence": 4, "label": "PER", "start": 1, "end": 2,
         "text": [["Yesterday", None], ["Kim <b>", "PER"], ["met someone ...", None]]},
        {"sentence": 9, "label": "LOC", "start": 0, "end": 2},  # predictions alone give no text
    ]  # fmt: skip
    record = _homogeneity_record(shared_failures=shared, n_shared_failures=31, failure_patterns=[])
    text = page(RunReport.build(RunRecord(checks=[record])))
    units = text[text.index('<ol class="units">') :]
    units = units[: units.index("</ol>")]
    assert units.count("<li>") == 2
    assert (
        '<span class="where">sentence 4, PER at tokens 1-1</span> Yesterday <mark title="PER">Kim &lt;b&gt;'
        '<span class="label">PER</span></mark> met someone ...</li>'
    ) in units
    assert '<span class="where">sentence 9, LOC at tokens 0-1</span></li>' in units
    assert "the entity units every subject fails (first 2 of 31)" in text
    # drawn as text, not again as a table of numbers
    assert "<th>sentence</th>" not in text


def test_failure_patterns_draw_who_fails_which_units() -> None:
    patterns = [
        {"failed_by": [], "units": 40},
        {"failed_by": ["a", "b", "c"], "units": 12},
        {"failed_by": ["a", "c"], "units": 6},
    ]
    record = _homogeneity_record(
        failure_patterns=patterns, n_failure_patterns=5, failure_rates={"a": 0.3, "b": 0.2, "c": 0.25}
    )
    text = page(RunReport.build(RunRecord(checks=[record])))
    svg = text[text.index('<svg class="failures"') :]
    svg = svg[: svg.index("</svg>")]
    rows = svg.split('<g class="pattern">')[1:]
    assert len(rows) == 3 and all(row.count("<circle") == 3 for row in rows)
    # a red dot per subject in the pattern, hollow dots for the units no subject fails
    assert [row.count('fill="#cf222e" stroke') for row in rows] == [0, 3, 2]
    assert rows[0].count('fill="#ffffff"') == 3
    # bars as long as the units: 180 px for the most common pattern; the units every subject fails in red
    widths = [float(row.split('<rect x="')[1].split('width="')[1].split('"')[0]) for row in rows]
    assert widths == [180.0, 54.0, 27.0]
    assert '<rect x="' in rows[1] and 'height="12" fill="#cf222e"' in rows[1]
    assert ">30%</text>" in svg and ">20%</text>" in svg
    assert "the 3 most common of 5 failure patterns" in text


def test_a_heatmap_of_ten_long_names_keeps_its_labels_apart_and_has_a_colour_scale() -> None:
    names = [f"subject-with-a-long-name-{k}" for k in range(10)]
    values = [[1.0 if i == j else round(0.1 * abs(i - j), 2) for j in range(10)] for i in range(10)]
    record = make_record(details={"matrix": {"names": names, "values": values, "by": "error_consistency"}})
    text = page(RunReport.build(RunRecord(checks=[record])))
    svg = text[text.index('<svg class="heatmap"') :]
    svg = svg[: svg.index("</svg>")]
    width = float(svg.split('width="')[1].split('"')[0])
    labels = [part.split("</text>")[0] for part in svg.split("<text ")[1:] if "rotate(-45" in part]
    assert len(labels) == 10
    # cut to 18 characters, with the full name as the tooltip
    assert all("<title>subject-with-a-long-name-" in label and label.endswith("subject-with-a-lo…") for label in labels)
    xs = [float(label.split('x="')[1].split('"')[0]) for label in labels]
    # 45-degree labels one 44 px cell apart are 31 px apart across their baselines: twice the 11 px font and more
    assert all(b - a == 44 for a, b in itertools.pairwise(xs)) and 44 * math.sin(math.pi / 4) > 2 * 11
    # the last label, 18 characters of at most 6.5 px at 45 degrees, ends inside the picture
    assert xs[-1] + 18 * 6.5 * math.cos(math.pi / 4) <= width
    # the colour scale: ten steps from the dark end down, and its ends and middle written
    legend = svg[svg.index('<g class="legend">') :]
    assert legend.count("<rect") == 10 and [t.split(">")[1] for t in legend.split("<text")[1:]] == [
        "1</text", "0.5</text", "0</text",
    ]  # fmt: skip
    # every value is written in its cell, two decimals
    assert svg.count(">1.00</text>") == 10 and svg.count(">0.90</text>") == 2


def test_a_heatmap_cell_with_an_interval_names_it_in_its_tooltip() -> None:
    matrix = {
        "names": ["a", "b"], "values": [[1.0, 0.62], [0.62, 1.0]], "by": "shared_failure",
        "low": [[1.0, 0.45], [0.45, 1.0]], "high": [[1.0, 0.85], [0.85, 1.0]], "confidence": 0.95,
    }  # fmt: skip
    text = page(RunReport.build(RunRecord(checks=[make_record(details={"matrix": matrix})])))
    assert text.count("<title>a / b: 0.6200, 95% CI [0.4500, 0.8500]</title>") == 1
    # a matrix without intervals (or with bounds of another shape) gives the value alone
    del matrix["high"]
    text = page(RunReport.build(RunRecord(checks=[make_record(details={"matrix": matrix})])))
    assert "<title>a / b: 0.6200</title>" in text and "CI" not in text
