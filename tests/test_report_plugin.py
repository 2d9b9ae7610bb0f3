"""End-to-end tests of the reports: terminal summary, JSON, JUnit, Markdown, HTML, pytest-xdist (the baselines are
in test_baseline_plugin.py)."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import hypothesis.internal.observability  # noqa: F401
import pytest
from _checks_file import clean_env, homog_section, make_checks, save_baseline  # noqa: F401  (clean_env: autouse)

from pytest_homog import __version__
from pytest_homog.report import REPORT_SCHEMA

# hypothesis's pytest plugin imports this module at the end of every run; imported here once, pytester's
# in-process runs do not re-import (and re-rewrite) hypothesis each time, which costs seconds per run.

# --- terminal summary ------------------------------------------------------------------------------------------


def test_summary_has_one_aligned_row_per_check(pytester: pytest.Pytester) -> None:
    make_checks(pytester)
    result = pytester.runpytest("--homog")
    result.assert_outcomes(passed=3, failed=1)
    section = homog_section(result.stdout.str())
    header, rule, *rows = section[:5]
    assert header.split() == ["test", "check", "metric", "value", "interval", "threshold", "verdict"]
    assert [row.split()[0] for row in rows] == [
        "test_checks.py::test_quality_a",
        "test_checks.py::test_quality_b",
        "test_checks.py::test_not_homogeneous",
    ]
    assert [row.split()[-1] for row in rows] == ["PASS", "FAIL", "PASS"]
    # aligned: the rule under the header marks each column; every row keeps to it
    gaps = [i for i, ch in enumerate(rule) if ch == " "]
    assert len(gaps) == 2 * 6
    for row in [header, *rows]:
        assert len(row) <= len(rule) and all(row[i] == " " for i in gaps), row
        assert row[rule.rindex(" ") + 1] in "TPFv"  # the verdict column starts at the same place
    assert "[0.4900, 0.5500] 95%" in rows[0]
    assert "low >= 0.4000" in rows[0]
    assert "value <= 2.0000" in rows[2]
    result.stdout.fnmatch_lines(["3 checks in 3 tests: 2 passed, 1 failed in 1 test"])
    assert not any("per_label" in line for line in section)


def test_verbose_summary_shows_per_label_tables_and_matrices(pytester: pytest.Pytester) -> None:
    make_checks(pytester)
    result = pytester.runpytest("--homog", "-v")
    section = "\n".join(homog_section(result.stdout.str()))
    assert "per_label:" in section
    assert "matrix (error_consistency):" in section
    result.stdout.fnmatch_lines(
        [
            "*label*precision*recall*f1*support*",
            "*person*0.6100*0.5500*0.5800*120*",
            "*location*0.4700*0.4100*0.4400*80*",
        ]
    )
    result.stdout.fnmatch_lines(["*a*1.0000*0.6200*0.3100*", "*c*0.3100*0.4800*1.0000*"])


def test_nothing_without_homog(pytester: pytest.Pytester) -> None:
    make_checks(pytester)
    out = pytester.path / "out"
    result = pytester.runpytest(
        f"--homog-report={out}/r.json",
        f"--homog-markdown={out}/r.md",
        f"--homog-html={out}/r.html",
        f"--homog-save-baseline={out}/b.json",
        f"--homog-baseline={out}/missing.json",
    )
    result.assert_outcomes(passed=1, skipped=3)
    assert not out.exists()
    assert not any(line.startswith("=") and " homog " in line for line in result.stdout.lines)


def test_summary_when_no_check_ran(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    pass\n")
    result = pytester.runpytest("--homog", f"--homog-report={pytester.path / 'r.json'}")
    result.assert_outcomes(passed=1)
    assert homog_section(result.stdout.str())[0] == "no checks recorded"
    assert json.loads((pytester.path / "r.json").read_text())["checks"] == []


def test_checks_in_fixtures_are_stamped_with_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_homog.record import CheckRecord, record_check

        @pytest.fixture
        def checked():
            record_check(CheckRecord(check="setup_check", metric="f1", value=0.7, passed=True))
            yield
            record_check(CheckRecord(check="teardown_check", metric="f1", value=0.8, passed=True))

        def test_a(checked):
            record_check(CheckRecord(check="call_check", metric="f1", value=0.9, passed=True))
        """
    )
    report = pytester.path / "r.json"
    pytester.runpytest("--homog", f"--homog-report={report}").assert_outcomes(passed=1)
    checks = json.loads(report.read_text())["checks"]
    assert [(c["check"], c["test_id"]) for c in checks] == [
        ("setup_check", "test_checks_in_fixtures_are_stamped_with_the_test.py::test_a"),
        ("call_check", "test_checks_in_fixtures_are_stamped_with_the_test.py::test_a"),
        ("teardown_check", "test_checks_in_fixtures_are_stamped_with_the_test.py::test_a"),
    ]


# --- JSON ------------------------------------------------------------------------------------------------------


def test_json_report(pytester: pytest.Pytester) -> None:
    make_checks(pytester)
    path = pytester.path / "reports" / "homog.json"
    path.parent.mkdir()
    result = pytester.runpytest("--homog", f"--homog-report={path}")
    result.stdout.fnmatch_lines([f"homog: JSON report written to {path}"])
    data = json.loads(path.read_text())
    assert data["schema"] == REPORT_SCHEMA
    assert data["version"] == 1
    assert data["plugin_version"] == __version__
    assert data["created"].endswith("Z") and data["started"].endswith("Z")
    assert data["summary"] == {
        "checks": 3,
        "passed": 2,
        "failed": 1,
        "tests": 3,
        "failed_tests": 1,
        "regressions": 0,
    }
    assert data["baseline"] is None
    first = data["checks"][0]
    assert first["test_id"] == "test_checks.py::test_quality_a"
    assert first["key"] == "test_checks.py::test_quality_a::assert_f1_above::f1::candidate"
    assert (first["metric"], first["value"], first["low"], first["high"]) == ("f1", 0.52, 0.49, 0.55)
    assert (first["threshold"], first["compared"], first["confidence"], first["n"]) == (0.4, "low", 0.95, 250)
    assert (first["level"], first["scheme"], first["mode"], first["data"]) == (
        "entity",
        "IOB2",
        "conlleval",
        "wnut17/test",
    )
    assert first["subjects"] == ["candidate"] and first["passed"] is True and first["higher_is_better"] is True
    assert first["details"]["per_label"]["person"]["support"] == 120
    assert data["checks"][2]["higher_is_better"] is False
    assert data["checks"][2]["details"]["matrix"]["names"] == ["a", "b", "c"]
    assert os.listdir(path.parent) == ["homog.json"]  # no temporary file left behind


def test_report_paths_from_ini_are_relative_to_rootdir(pytester: pytest.Pytester) -> None:
    make_checks(pytester)
    pytester.makeini("[pytest]\nhomog_report = out/r.json\nhomog_markdown = out/r.md\nhomog_html = out/r.html\n")
    (pytester.path / "out").mkdir()
    sub = pytester.mkdir("sub")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(sub)
        pytester.runpytest("--homog", "--rootdir", str(pytester.path), str(pytester.path))
    assert sorted(os.listdir(pytester.path / "out")) == ["r.html", "r.json", "r.md"]


def test_numpy_values_in_details_are_written_as_json(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import numpy as np
        from pytest_homog.record import CheckRecord, record_check

        class Matrix:  # like SimilarityMatrix
            names = ["x", "y"]
            values = np.array([[1.0, 0.25], [0.25, 1.0]])

        def test_a():
            record_check(CheckRecord(check="c", metric="similarity", value=float(np.float32(0.25)), passed=True,
                                     n=int(np.int64(7)), details={"matrix": Matrix(), "worst": np.arange(3),
                                     "undefined": float("nan")}))
        """
    )
    report = pytester.path / "r.json"
    pytester.runpytest("--homog", f"--homog-report={report}", f"--homog-html={pytester.path / 'r.html'}")
    details = json.loads(report.read_text())["checks"][0]["details"]
    assert details == {
        "matrix": {"names": ["x", "y"], "values": [[1.0, 0.25], [0.25, 1.0]]},
        "worst": [0, 1, 2],
        "undefined": None,
    }
    assert 'class="heatmap"' in (pytester.path / "r.html").read_text()


# --- JUnit XML -------------------------------------------------------------------------------------------------


def junit_properties(path: Path) -> dict[str, dict[str, str]]:
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        out[case.get("name", "")] = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
    return out


def test_junit_properties(pytester: pytest.Pytester) -> None:
    make_checks(pytester)
    xml = pytester.path / "junit.xml"
    pytester.runpytest("--homog", f"--junitxml={xml}")
    props = junit_properties(xml)
    assert props["test_quality_a"] == {
        "homog.f1.check": "assert_f1_above",
        "homog.f1.value": "0.52",
        "homog.f1.passed": "true",
        "homog.f1.low": "0.49",
        "homog.f1.high": "0.55",
        "homog.f1.confidence": "0.95",
        "homog.f1.threshold": "0.4",
        "homog.f1.n": "250",
    }
    assert props["test_quality_b"]["homog.f1.passed"] == "false"
    assert props["test_not_homogeneous"]["homog.outcome_homogenization.value"] == "1.4"
    assert props["test_plain"] == {}


def test_junit_numbers_repeated_metrics(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pytest_homog.record import CheckRecord, record_check

        def test_a():
            for v in (0.1, 0.2, 0.3):
                record_check(CheckRecord(check="c", metric="f1", value=v, passed=True))
        """
    )
    xml = pytester.path / "junit.xml"
    pytester.runpytest("--homog", f"--junitxml={xml}")
    props = junit_properties(xml)["test_a"]
    assert [props["homog.f1.value"], props["homog.f1.2.value"], props["homog.f1.3.value"]] == ["0.1", "0.2", "0.3"]


# --- Markdown --------------------------------------------------------------------------------------------------


def test_markdown_summary_and_github_step_summary(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    make_checks(pytester)
    step = pytester.path / "step_summary.md"
    step.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    md = pytester.path / "summary.md"
    pytester.runpytest("--homog", f"--homog-markdown={md}")
    text = md.read_text()
    lines = text.splitlines()
    assert lines[0] == "## pytest-homog: 3 checks in 3 tests: 2 passed, 1 failed in 1 test"
    assert "| test | check | metric | value | interval | threshold | verdict |" in lines
    assert any(
        line.startswith("| test_checks.py::test_quality_b | assert_f1_above |") and "FAIL" in line for line in lines
    )
    assert "**test_checks.py::test_not_homogeneous · assert_not_homogeneous · matrix (error_consistency)**" in lines
    assert "|  | a | b | c |" in lines
    assert "| b | 0.6200 | 1.0000 | 0.4800 |" in lines
    assert "| person | 0.6100 | 0.5500 | 0.5800 | 120 |" in lines
    assert step.read_text() == "# earlier step\n" + text


def test_markdown_escapes_pipes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_homog.record import CheckRecord, record_check

        @pytest.mark.parametrize("x", ["a|b"])
        def test_a(x):
            record_check(CheckRecord(check="c", metric="f1", value=0.5, passed=True, subjects=(x,)))
        """
    )
    md = pytester.path / "s.md"
    pytester.runpytest("--homog", f"--homog-markdown={md}")
    row = next(line for line in md.read_text().splitlines() if line.startswith("| test_markdown"))
    assert r"test_a[a\|b]" in row and row.count(" | ") == 6


# --- HTML ------------------------------------------------------------------------------------------------------


def write_html(pytester: pytest.Pytester) -> Path:
    make_checks(pytester)
    page = pytester.path / "report.html"
    pytester.runpytest("--homog", f"--homog-html={page}")
    return page


def test_html_is_self_contained(pytester: pytest.Pytester) -> None:
    text = write_html(pytester).read_text()
    assert text.startswith("<!DOCTYPE html>")
    for forbidden in ("<script", "<link", "src=", "url(", "@import"):
        assert forbidden not in text, forbidden
    external = [part for part in text.split('"') if part.startswith(("http:", "https:", "//"))]
    assert external == []
    assert '<table id="checks">' in text
    assert text.count('<svg class="errorbar"') == 3
    assert text.count('<svg class="heatmap"') == 1
    assert text.count('class="threshold"') == 3
    assert text.count('class="interval"') == 2  # the homogenization check has no interval
    assert "test_checks.py::test_quality_b" in text and ">FAIL<" in text


# --- start-up errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--homog-report", "--homog-markdown", "--homog-html", "--homog-save-baseline"])
def test_output_in_a_missing_directory_fails_at_start_up(pytester: pytest.Pytester, option: str) -> None:
    pytester.makepyfile("import pytest\n\n@pytest.mark.homog\ndef test_a():\n    raise SystemExit('ran')\n")
    path = pytester.path / "no-such-dir" / "out.file"
    result = pytester.runpytest("--homog", f"{option}={path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {option}={path}: directory {path.parent} does not exist*"])
    assert "collected" not in result.stdout.str()


def test_output_path_that_is_a_directory_fails_at_start_up(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--homog", f"--homog-report={pytester.path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*is a directory; give a file name*"])


def test_ini_output_in_a_missing_directory_fails_at_start_up(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nhomog_html = nowhere/r.html\n")
    result = pytester.runpytest("--homog")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: ini option homog_html = nowhere/r.html: directory * does not exist*"])


def test_write_failure_at_the_end_is_reported(pytester: pytest.Pytester) -> None:
    out = pytester.mkdir("out")
    pytester.makepyfile(
        f"""
        import shutil
        from pytest_homog.record import CheckRecord, record_check

        def test_a():
            record_check(CheckRecord(check="c", metric="f1", value=0.5, passed=True))
            shutil.rmtree({str(out)!r})
        """
    )
    result = pytester.runpytest("--homog", f"--homog-report={out}/r.json")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"homog: could not write the JSON report to {out}/r.json:*"])


# --- pytest-xdist ----------------------------------------------------------------------------------------------


def test_xdist_records_reach_the_controller_once(pytester: pytest.Pytester) -> None:
    base = save_baseline(pytester)
    make_checks(pytester, quality_a=0.47)
    pytester.makepyfile(
        test_many="""
        import pytest
        from pytest_homog.record import CheckRecord, record_check

        @pytest.mark.parametrize("i", range(20))
        def test_many(i):
            record_check(CheckRecord(check="c", metric="recall", value=i / 20, passed=True, subjects=(str(i),)))
        """
    )
    report, xml, md = pytester.path / "r.json", pytester.path / "j.xml", pytester.path / "r.md"
    result = pytester.runpytest(
        "-n",
        "2",
        "--homog",
        f"--homog-report={report}",
        f"--homog-markdown={md}",
        f"--homog-baseline={base}",
        f"--junitxml={xml}",
    )
    result.assert_outcomes(passed=22, failed=2)
    data = json.loads(report.read_text())
    keys = [c["key"] for c in data["checks"]]
    assert len(keys) == len(set(keys)) == 23
    # in collection order, whichever worker finished first
    assert [c["test_id"] for c in data["checks"] if c["metric"] == "recall"] == [
        f"test_many.py::test_many[{i}]" for i in range(20)
    ]
    assert [c["test_id"].split("::")[0] for c in data["checks"]] == ["test_checks.py"] * 3 + ["test_many.py"] * 20
    assert data["summary"]["regressions"] == 1 and data["baseline"]["compared"] == 3
    section = homog_section(result.stdout.str())
    assert sum(1 for line in section if line.startswith("test_")) == 23
    assert "23 checks in 23 tests: 21 passed, 2 failed (1 regressed from the baseline) in 2 tests" in section
    result.stdout.fnmatch_lines(["FAILED test_checks.py::test_quality_a - pytest-homog: 1 check(s) regressed*"])
    props = junit_properties(xml)
    assert props["test_quality_a"]["homog.f1.value"] == "0.47"
    assert props["test_quality_a"]["homog.f1.baseline"] == "0.52"
    assert props["test_many[7]"]["homog.recall.value"] == "0.35"
    assert md.read_text().count("| test_many.py::test_many[") == 20


def test_large_runs_show_per_label_tables_of_failed_checks_only(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_homog.record import CheckRecord, record_check

        @pytest.mark.parametrize("i", range(101))
        def test_many(i):
            record_check(CheckRecord(check="c", metric="f1", value=0.5, passed=i != 7,
                                     details={"per_label": {f"label{i}": {"f1": 0.5}}}))
        """
    )
    md, page = pytester.path / "s.md", pytester.path / "r.html"
    pytester.runpytest("--homog", f"--homog-markdown={md}", f"--homog-html={page}")
    for text in (md.read_text(), page.read_text()):
        assert "Per-label details of the checks that failed or regressed" in text
        assert "label7" in text and "label8" not in text
        assert text.count("::test_many[") >= 101  # the summary table still has every check


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_report_files_respect_the_umask(pytester: pytest.Pytester) -> None:
    make_checks(pytester)
    old = os.umask(0o022)
    try:
        names = ["r.json", "r.md", "r.html", "b.json"]
        options = ["--homog-report", "--homog-markdown", "--homog-html", "--homog-save-baseline"]
        pytester.runpytest("--homog", *(f"{o}={pytester.path / n}" for o, n in zip(options, names, strict=True)))
    finally:
        os.umask(old)
    assert {name: (pytester.path / name).stat().st_mode & 0o777 for name in names} == dict.fromkeys(names, 0o644)


def test_one_not_homogeneous_call_shows_its_matrix_once(pytester: pytest.Pytester) -> None:
    # the call records the shared failure, the closest pair, the homogenization and the most similar pair, with the
    # same matrix
    pytester.makepyfile(
        test_group="""
        import pytest
        from pytest_homog import assert_not_homogeneous

        GOLD = [["B-PER", "O", "B-LOC"], ["O", "B-PER", "I-PER"], ["B-LOC", "O", "O"], ["O", "O", "B-PER"]]
        A = [["B-PER", "O", "O"], ["O", "B-PER", "I-PER"], ["B-LOC", "O", "O"], ["O", "O", "O"]]
        B = [["B-PER", "O", "B-LOC"], ["O", "O", "O"], ["B-LOC", "O", "O"], ["O", "O", "B-PER"]]
        C = [["O", "O", "B-LOC"], ["O", "B-PER", "I-PER"], ["O", "O", "O"], ["O", "O", "B-PER"]]

        @pytest.mark.homog
        def test_group():
            assert_not_homogeneous({"a": A, "b": B, "c": C}, GOLD, max_homogenization=10, max_similarity=0.99,
                                   confidence=None)
        """
    )
    markdown, page = pytester.path / "r.md", pytester.path / "r.html"
    result = pytester.runpytest("--homog", f"--homog-markdown={markdown}", f"--homog-html={page}")
    result.assert_outcomes(passed=1)
    assert [line.split()[2] for line in homog_section(result.stdout.str())[2:6]] == [
        "shared_failure",
        "pair_shared_failure",
        "outcome_homogenization",
        "max_similarity:error_consistency",
    ]
    assert markdown.read_text().count("### Similarity matrices") == 1
    assert markdown.read_text().count("· matrix (error_consistency)**") == 1
    # and the shared failure of every pair, once
    assert markdown.read_text().count("· pair_shared_failure (shared_failure)**") == 1
    text = page.read_text()
    assert text.count('<svg class="heatmap"') == 2 and text.count('<svg class="failures"') == 1
