"""pytest_homog.report.markdown: the Markdown summary."""

from __future__ import annotations

from _records import make_record

from pytest_homog.record import CheckRecord, RunRecord
from pytest_homog.report import RunReport, markdown_chunks


def markdown(report: RunReport) -> str:
    chunks = list(markdown_chunks(report))
    assert all(chunk.endswith("\n") for chunk in chunks)  # whole lines, so a summary can be appended as it is made
    return "".join(chunks)


class PerLabel:
    def to_markdown(self) -> str:
        return "| label | f1 |\n|---|---|\n| PER | 0.5 |"


def test_objects_with_to_markdown_are_shown_as_they_render() -> None:
    run = RunRecord(checks=[make_record(details={"per_label": PerLabel()})])
    assert "| PER | 0.5 |" in markdown(RunReport.build(run))


def test_every_matrix_is_tabled_with_its_own_numbers() -> None:
    def check(i: int, values: list[list[float]]) -> CheckRecord:
        return make_record(test_id=f"t.py::test_{i}", details={"matrix": {"names": ["a", "b"], "values": values}})

    same = [[1.0, 0.25], [0.25, 1.0]]
    checks = [check(0, same), check(1, [row[:] for row in same]), check(2, [[1.0, -0.0], [0.0, 1.0]])]
    checks.append(check(3, [[1.0, 0.0], [0.0, 1.0]]))
    text = markdown(RunReport.build(RunRecord(checks=checks)))
    assert text.count("| a | 1.0000 | 0.2500 |") == 2 and text.count("| a | 1.0000 | -0.0000 |") == 1


def test_pipes_and_line_breaks_in_cells_are_escaped() -> None:
    run = RunRecord(checks=[make_record(test_id="t.py::test[a|b]", details={"per_label": {"two\nlines": {"f1": 0.5}}})])
    text = markdown(RunReport.build(run))
    assert "| t.py::test[a\\|b] | c | f1 | 0.5000 |  |  | ✅ PASS |" in text
    assert "| two lines | 0.5000 |" in text


def test_a_shared_failure_s_text_is_written_with_its_span_in_bold() -> None:
    shared = [
        {"sentence": 4, "label": "PER", "text": [["Yesterday", None], ["K*m|", "PER"], ["met ...", None]]},
        {"sentence": 9, "label": "LOC"},
    ]
    run = RunRecord(checks=[make_record(test_id="t", details={"shared_failures": shared})])
    text = "".join(markdown_chunks(RunReport.build(run)))
    assert "| 4 | PER | Yesterday **K\\*m\\|**<sub>PER</sub> met ... |" in text
    assert "| 9 | LOC |  |" in text


def test_a_failure_pattern_names_its_subjects_in_words() -> None:
    patterns = [{"failed_by": ["seed0", "seed1"], "units": 40}, {"failed_by": [], "units": 12}]
    run = RunRecord(checks=[make_record(test_id="t", details={"failure_patterns": patterns})])
    text = markdown(RunReport.build(run))
    assert "| seed0, seed1 | 40 |" in text and "| none | 12 |" in text
    assert "['seed0'" not in text
