"""End-to-end tests of the baselines: saving one, the gate that fails regressed tests, tolerances, unusable files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _checks_file import clean_env, homog_section, make_checks, save_baseline  # noqa: F401  (clean_env: autouse)

from pytest_homog import __version__


def test_saved_baseline(pytester: pytest.Pytester) -> None:
    data = json.loads(save_baseline(pytester).read_text())
    assert (data["schema"], data["version"], data["plugin_version"]) == ("pytest-homog/baseline", 1, __version__)
    assert [(c["key"], c["value"], c["higher_is_better"]) for c in data["checks"]] == [
        ("test_checks.py::test_quality_a::assert_f1_above::f1::candidate", 0.52, True),
        ("test_checks.py::test_quality_b::assert_f1_above::f1::small", 0.31, True),
        ("test_checks.py::test_not_homogeneous::assert_not_homogeneous::outcome_homogenization::a,b,c", 1.4, False),
    ]


def test_same_values_pass_the_gate(pytester: pytest.Pytester) -> None:
    base = save_baseline(pytester)
    result = pytester.runpytest("--homog", f"--homog-baseline={base}")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["baseline * (tolerance 0.01): 3 compared, 0 regressed, 0 new, 0 missing"])


def test_failing_gate_fails_each_regressed_test_and_lists_every_regression(pytester: pytest.Pytester) -> None:
    base = save_baseline(pytester)
    # f1 of quality_a drops by 0.05 (still above its threshold); homogenization rises by 0.3 (worse)
    make_checks(pytester, quality_a=0.47, homog=1.7)
    report = pytester.path / "r.json"
    result = pytester.runpytest("--homog", f"--homog-baseline={base}", f"--homog-report={report}", "-rf")
    result.assert_outcomes(passed=1, failed=3)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*pytest-homog: 1 check(s) regressed from the baseline (tolerance 0.01):",
            "*f1 of test_checks.py::test_quality_a (assert_f1_above ?candidate?) fell from 0.5200 to 0.4700 (-0.0500;"
            " higher is better, allowed 0.0100)",
            "*write a new baseline with --homog-save-baseline*",
        ]
    )
    section = homog_section(out)
    assert any("baseline" in line and "3 compared, 2 regressed" in line for line in section)
    regressed = [line for line in section if line.strip().startswith("REGRESSED")]
    assert len(regressed) == 2
    # the counts agree with the outcome: the two checks that regressed failed, as their tests did
    assert "3 checks in 3 tests: 0 passed, 3 failed (2 regressed from the baseline) in 3 tests" in section
    assert "outcome_homogenization" in regressed[1] and "rose from 1.4000 to 1.7000" in regressed[1]
    rows = {line.split()[0]: line.split()[-1] for line in section[2:5]}
    assert rows["test_checks.py::test_quality_a"] == "REGRESSED"
    assert rows["test_checks.py::test_not_homogeneous"] == "REGRESSED"
    result.stdout.fnmatch_lines(["FAILED test_checks.py::test_quality_a - pytest-homog: 1 check(s) regressed*"])
    data = json.loads(report.read_text())
    assert data["summary"]["regressions"] == 2
    assert [r["key"].split("::")[1] for r in data["baseline"]["regressions"]] == [
        "test_quality_a",
        "test_not_homogeneous",
    ]
    assert data["checks"][0]["baseline"] == {"value": 0.52, "change": pytest.approx(-0.05), "regressed": True}


def test_improvements_and_changes_within_tolerance_pass(pytester: pytest.Pytester) -> None:
    base = save_baseline(pytester)
    make_checks(pytester, quality_a=0.515, homog=1.0)  # f1 -0.005 (within 2% of 0.52), homogenization improved
    result = pytester.runpytest("--homog", f"--homog-baseline={base}", "--homog-tolerance=2%")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["baseline * (tolerance 2%, at least 0.01): 3 compared, 0 regressed*"])


def test_relative_tolerance_catches_a_drop_larger_than_it(pytester: pytest.Pytester) -> None:
    base = save_baseline(pytester)
    make_checks(pytester, quality_a=0.505)  # -0.015 > 2% of 0.52 = 0.0104
    result = pytester.runpytest("--homog", f"--homog-baseline={base}", "--homog-tolerance=2%")
    result.assert_outcomes(passed=2, failed=2)


def test_a_relative_tolerance_has_a_floor(pytester: pytest.Pytester) -> None:
    # 2% of a stored homogenization of 0.09 is 0.0018: noise on a small value; the floor allows 0.01 by default
    make_checks(pytester, homog=0.09)
    base = pytester.path / "baseline.json"
    pytester.runpytest("--homog", f"--homog-save-baseline={base}")
    make_checks(pytester, homog=0.099)
    result = pytester.runpytest("--homog", f"--homog-baseline={base}", "--homog-tolerance=2%")
    result.assert_outcomes(passed=3, failed=1)  # test_quality_b fails its own threshold
    result.stdout.fnmatch_lines(["baseline * (tolerance 2%, at least 0.01): 3 compared, 0 regressed*"])
    # a floor set lower lets the same change regress, and the message states the allowance
    pytester.makeini("[pytest]\nhomog_tolerance_floor = 0.001\n")
    result = pytester.runpytest("--homog", f"--homog-baseline={base}", "--homog-tolerance=2%", "-rf")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*regressed from the baseline (tolerance 2%, at least 0.001):",
            "*outcome_homogenization * rose from 0.0900 to 0.0990 (+0.0090; lower is better, allowed 0.0018)",
        ]
    )
    result = pytester.runpytest(
        "--homog", f"--homog-baseline={base}", "--homog-tolerance=2%", "--homog-tolerance-floor=0.01"
    )
    result.assert_outcomes(passed=3, failed=1)  # the command line beats the ini


def test_bad_tolerance_floor_fails_at_start_up(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--homog", "--homog-tolerance-floor=1%")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--homog-tolerance-floor: '1%' is not a tolerance floor; use an absolute number*"])


def test_tolerance_from_ini(pytester: pytest.Pytester) -> None:
    base = save_baseline(pytester)
    make_checks(pytester, quality_a=0.47)
    pytester.makeini(f"[pytest]\nhomog_baseline = {base.name}\nhomog_tolerance = 0.1\n")
    result = pytester.runpytest("--homog")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["baseline * (tolerance 0.1): 3 compared, 0 regressed*"])


def test_regression_of_a_failing_check_is_added_to_its_failure(pytester: pytest.Pytester) -> None:
    base = save_baseline(pytester)
    make_checks(pytester, quality_b=0.2)
    result = pytester.runpytest("--homog", f"--homog-baseline={base}")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        ["*homog baseline*", "*f1 of test_checks.py::test_quality_b*fell from 0.3100 to 0.2000*"]
    )


def test_corrupt_baseline_is_reported_not_crashed_on(pytester: pytest.Pytester) -> None:
    make_checks(pytester)
    base = pytester.path / "baseline.json"
    base.write_text('{"schema": "pytest-homog/baseline", "version": 1, "checks": [')
    report = pytester.path / "r.json"
    result = pytester.runpytest("--homog", f"--homog-baseline={base}", f"--homog-report={report}")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([f"baseline {base}: not valid JSON*", "baseline not compared"])
    baseline = json.loads(report.read_text())["baseline"]
    assert baseline["usable"] is False and baseline["problems"][0].startswith("not valid JSON")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "not a pytest-homog baseline*"),
        ('{"schema": "pytest-homog/baseline", "version": 99, "checks": []}', "schema version 99*"),
        ('{"schema": "pytest-homog/baseline", "version": 1}', "has no 'checks' list"),
    ],
)
def test_unusable_baselines_are_reported(pytester: pytest.Pytester, content: str, message: str) -> None:
    make_checks(pytester)
    base = pytester.path / "baseline.json"
    base.write_text(content)
    result = pytester.runpytest("--homog", f"--homog-baseline={base}")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([f"baseline {base}: {message}", "baseline not compared"])


def test_baseline_from_another_version_with_stale_and_malformed_checks(pytester: pytest.Pytester) -> None:
    base = save_baseline(pytester)
    data = json.loads(base.read_text())
    data["plugin_version"] = "0.0.1"
    data["checks"].append({"key": "test_gone.py::test_old::assert_f1_above::f1::x", "value": 0.9})
    data["checks"].append({"key": "broken", "value": "high"})
    base.write_text(json.dumps(data))
    make_checks(pytester, quality_a=0.45)
    result = pytester.runpytest("--homog", f"--homog-baseline={base}")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            f"baseline {base}: written by pytest-homog 0.0.1, this is {__version__}; values compared anyway",
            f"baseline {base}: 1 malformed entry ignored",
            "baseline * 3 compared, 1 regressed, 0 new, 1 missing",
            "*REGRESSED f1 of test_checks.py::test_quality_a*",
            "*missing from this run: test_gone.py::test_old::assert_f1_above::f1::x",
        ]
    )


def test_new_checks_are_listed_as_new(pytester: pytest.Pytester) -> None:
    base = save_baseline(pytester)
    pytester.makepyfile(
        test_more="""
        from pytest_homog.record import CheckRecord, record_check

        def test_extra():
            record_check(CheckRecord(check="c", metric="recall", value=0.1, passed=True))
        """
    )
    result = pytester.runpytest("--homog", f"--homog-baseline={base}")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["baseline * 3 compared, 0 regressed, 1 new, 0 missing"])
    assert any(line.split()[:1] == ["test_more.py::test_extra"] and " new " in line for line in result.stdout.lines)


def test_save_and_compare_in_one_run_writes_the_new_values(pytester: pytest.Pytester) -> None:
    base = save_baseline(pytester)
    make_checks(pytester, quality_a=0.47)
    result = pytester.runpytest("--homog", f"--homog-baseline={base}", f"--homog-save-baseline={base}")
    result.assert_outcomes(passed=2, failed=2)  # compared with the old values, so the regression still fails
    values = {c["key"].split("::")[1]: c["value"] for c in json.loads(base.read_text())["checks"]}
    assert values["test_quality_a"] == 0.47
    pytester.runpytest("--homog", f"--homog-baseline={base}").assert_outcomes(passed=3, failed=1)


def test_missing_baseline_file_fails_at_start_up(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--homog", "--homog-baseline=nope.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --homog-baseline=nope.json: baseline file * does not exist*"])


def test_the_gate_options_are_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--homog-tolerance-floor=X*", "*Default: 0.01.*"])
    help_text = " ".join(result.stdout.str().split())
    assert "allowed = max(share * |baseline|, X)" in help_text
    assert "--homog-allow-unusable-baseline let a run pass when its --homog-baseline cannot be read" in help_text
    assert "--homog-baseline-strict fail the run unless every check was compared with the baseline" in help_text
    for key in ["homog_allow_unusable_baseline (bool)", "homog_baseline_strict (bool)", "homog_tolerance_floor"]:
        assert key in help_text


def test_a_baseline_directory_is_named_as_one_at_start_up(pytester: pytest.Pytester) -> None:
    (pytester.path / "baselines").mkdir()
    result = pytester.runpytest("--homog", "--homog-baseline=baselines")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: --homog-baseline=baselines: {pytester.path / 'baselines'} is a directory; give the baseline file*"]
    )


@pytest.mark.parametrize("value", ["abc", "-1", "5%%", "nan", "inf", ""])
def test_bad_tolerance_fails_at_start_up(pytester: pytest.Pytester, value: str) -> None:
    result = pytester.runpytest("--homog", f"--homog-tolerance={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--homog-tolerance*{value!r} is not a tolerance*absolute (0.01) or relative (2%)*"])


def test_bad_ini_tolerance_fails_at_start_up(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nhomog_tolerance = 5%%\n")
    result = pytester.runpytest("--homog")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini option homog_tolerance = '5%%': '5%%' is not a tolerance*"])


def test_a_regression_outside_any_test_fails_the_session(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import os
        from pytest_homog.record import CheckRecord, record_check

        def pytest_collection_finish(session):
            value = float(os.environ.get("SUITE_F1", "0.9"))
            record_check(CheckRecord(check="suite_check", metric="f1", value=value, passed=True))
        """
    )
    pytester.makepyfile("def test_a():\n    pass\n")
    base = pytester.path / "b.json"
    pytester.runpytest("--homog", f"--homog-save-baseline={base}").assert_outcomes(passed=1)
    assert json.loads(base.read_text())["checks"][0]["key"] == "::suite_check::f1::"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SUITE_F1", "0.5")
        result = pytester.runpytest("--homog", f"--homog-baseline={base}")
    result.assert_outcomes(passed=1)  # the test itself did not regress
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*REGRESSED f1 of <outside tests> (suite_check) fell from 0.9000 to 0.5000*",
            "homog: the run fails: 1 check(s) made outside any test regressed from the baseline",
        ]
    )


def test_a_run_without_checks_keeps_the_saved_baseline(pytester: pytest.Pytester) -> None:
    base = save_baseline(pytester)
    before = base.read_text()
    result = pytester.runpytest("--homog", f"--homog-save-baseline={base}", "-k", "no_such_test")
    result.stdout.fnmatch_lines([f"homog: no checks recorded, so the baseline {base} was not written"])
    assert base.read_text() == before


# --- a gate that could not do its work fails the run ------------------------------------------------------------


def test_an_unusable_baseline_fails_a_run_whose_tests_pass(pytester: pytest.Pytester) -> None:
    make_checks(pytester, quality_b=0.5)  # every test passes
    base = pytester.path / "baseline.json"
    base.write_text("{not json")
    result = pytester.runpytest("--homog", f"--homog-baseline={base}")
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            f"baseline {base}: not valid JSON*",
            "baseline not compared",
            f"homog: the run fails: the baseline {base} could not be used, so no check was compared; *"
            "(--homog-allow-unusable-baseline lets such a run pass)",
        ]
    )


@pytest.mark.parametrize(
    "how", [["--homog-allow-unusable-baseline"], ["-o", "homog_allow_unusable_baseline=true"], ["--collect-only"]]
)
def test_an_unusable_baseline_can_be_allowed(pytester: pytest.Pytester, how: list[str]) -> None:
    make_checks(pytester, quality_b=0.5)
    base = pytester.path / "baseline.json"
    base.write_text("[1, 2]")
    result = pytester.runpytest("--homog", f"--homog-baseline={base}", *how)
    assert result.ret == pytest.ExitCode.OK  # --collect-only runs no gate
    result.stdout.fnmatch_lines([f"baseline {base}: not a pytest-homog baseline*", "baseline not compared"])
    result.stdout.no_fnmatch_line("*the run fails*")


def test_a_report_that_cannot_be_written_fails_the_run(pytester: pytest.Pytester) -> None:
    make_checks(pytester, quality_b=0.5)
    pytester.makeconftest(
        """
        import shutil

        def pytest_sessionfinish(session):
            shutil.rmtree("out")  # the report's directory is gone by the time it is written
        """
    )
    (pytester.path / "out").mkdir()
    result = pytester.runpytest("--homog", "--homog-report=out/r.json", f"--homog-html={pytester.path / 'r.html'}")
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            f"homog: HTML report written to {pytester.path / 'r.html'}",
            f"homog: could not write the JSON report to {pytester.path / 'out' / 'r.json'}: *",
            "homog: the run fails: 1 report file(s) could not be written (see above)",
        ]
    )


@pytest.mark.skipif(not Path("/proc/version").is_file(), reason="needs Linux's /proc")
def test_a_report_into_proc_fails_the_run(pytester: pytest.Pytester) -> None:
    make_checks(pytester, quality_b=0.5)
    result = pytester.runpytest("--homog", "--homog-report=/proc/version")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["homog: could not write the JSON report to /proc/version: *", "homog: the run fails*"])


def rename_the_tests(pytester: pytest.Pytester) -> None:
    """The same checks in another file: every key differs from the baseline's."""
    make_checks(pytester, quality_b=0.5)  # every test passes
    (pytester.path / "test_checks.py").rename(pytester.path / "test_renamed.py")


def test_a_baseline_that_shares_no_check_is_a_loud_warning(pytester: pytest.Pytester) -> None:
    base = save_baseline(pytester)
    rename_the_tests(pytester)
    markdown = pytester.path / "r.md"
    result = pytester.runpytest("--homog", f"--homog-baseline={base}", f"--homog-markdown={markdown}")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "baseline * 0 compared, 0 regressed, 3 new, 3 missing",
            "homog: WARNING: the baseline shares no check with this run, so nothing was compared.*renamed?*"
            "--homog-baseline-strict makes this a failure.",
        ]
    )
    assert "- ⚠️ the baseline shares no check with this run" in markdown.read_text()


@pytest.mark.parametrize("how", [["--homog-baseline-strict"], ["-o", "homog_baseline_strict=1"]])
def test_a_strict_baseline_fails_a_run_that_does_not_match_it(pytester: pytest.Pytester, how: list[str]) -> None:
    base = save_baseline(pytester)
    rename_the_tests(pytester)
    result = pytester.runpytest("--homog", f"--homog-baseline={base}", *how)
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "homog: WARNING: the baseline shares no check with this run*",
            "homog: the run fails: --homog-baseline-strict: 3 check(s) of this run are not in the baseline and 3 "
            "stored check(s) did not run; *",
        ]
    )
    # one new check is enough
    make_checks(pytester, quality_b=0.5)
    (pytester.path / "test_renamed.py").unlink()
    pytester.makepyfile(
        test_more="""
        from pytest_homog.record import CheckRecord, record_check

        def test_extra():
            record_check(CheckRecord(check="c", metric="recall", value=0.1, passed=True))
        """
    )
    result = pytester.runpytest("--homog", f"--homog-baseline={base}", *how)
    result.assert_outcomes(passed=5)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["homog: the run fails: --homog-baseline-strict: 1 check(s)*and 0 stored*"])
    result.stdout.no_fnmatch_line("*WARNING*")
