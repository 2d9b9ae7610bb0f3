"""pytest_homog.report.terminal: the terminal summary and the JUnit properties."""

from __future__ import annotations

from pathlib import Path

from _records import make_record

from pytest_homog.config import Tolerance
from pytest_homog.record import RunRecord
from pytest_homog.report import Baseline, BaselineEntry, RunReport, baseline_delta, junit_properties, summary_lines


class PerLabel:
    def to_markdown(self) -> str:
        return "| label | f1 |\n|---|---|\n| PER | 0.5 |"


def test_verbose_summary_renders_objects_with_to_markdown() -> None:
    run = RunRecord(
        checks=[make_record(details={"per_label": PerLabel(), "worst": "sentence 12"}, n=40, level="entity")]
    )
    lines = [line for line, _ in summary_lines(RunReport.build(run), verbose=True)]
    assert "    | PER | 0.5 |" in lines
    assert "    worst: sentence 12" in lines and "    n: 40" in lines and "    level=entity" in lines


def test_a_line_break_in_a_label_does_not_tear_the_terminal_tables_apart() -> None:
    run = RunRecord(
        checks=[
            make_record(
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


def test_the_summary_marks_regressions_and_missing_checks() -> None:
    record = make_record(0.40, test_id="t::a")
    base = Baseline(path=Path("b.json"), entries={"t::a::c::f1::": BaselineEntry(0.45), "gone": BaselineEntry(1.0)})
    report = RunReport.build(RunRecord(checks=[record]), base, Tolerance(0.01))
    report.outputs.append("homog: JSON report written to r.json")
    lines = summary_lines(report)
    assert lines[2] == (lines[2][0], {"red": True}) and lines[2][0].endswith("REGRESSED")
    texts = [line for line, _ in lines]
    assert "baseline b.json (tolerance 0.01): 1 compared, 1 regressed, 0 new, 1 missing" in texts
    assert "  missing from this run: gone" in texts and texts[-1] == "homog: JSON report written to r.json"


def test_junit_properties_number_the_values_and_carry_the_baseline() -> None:
    record = make_record(0.4, n=7, low=0.3, high=0.5)
    expected = [
        ("homog.f1.2.check", "c"),
        ("homog.f1.2.value", "0.4"),
        ("homog.f1.2.passed", "true"),
        ("homog.f1.2.low", "0.3"),
        ("homog.f1.2.high", "0.5"),
        ("homog.f1.2.n", "7"),
    ]
    assert junit_properties(record, "homog.f1.2") == expected
    delta = baseline_delta(record, "k", Baseline(path=Path("b"), entries={"k": BaselineEntry(0.45)}), Tolerance(0))
    assert junit_properties(record, "homog.f1.2", delta) == [*expected, ("homog.f1.2.baseline", "0.45")]


def test_verbose_summary_writes_a_shared_failure_s_text_with_its_span_bracketed() -> None:
    shared = [{"sentence": 4, "label": "PER", "text": [["Yesterday", None], ["Kim", "PER"], ["met ...", None]]}]
    run = RunRecord(checks=[make_record(details={"shared_failures": shared})])
    lines = [line for line, _ in summary_lines(RunReport.build(run), verbose=True)]
    assert any(line.endswith("4  PER    Yesterday [Kim]{PER} met ...") for line in lines), lines
