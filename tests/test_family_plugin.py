"""--homog-family end to end: the family's size under -k, parametrisation and pytest-xdist, Holm's verdicts at the
end of the session, and what the summary and the JSON report say."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable

import pytest
from _checks_file import clean_env  # noqa: F401  (autouse)

# imported once here: pytester's in-process runs drop the modules first imported inside them, and a check bound to
# a dropped copy of the run context would record into, and read the family of, a run that is over
import pytest_homog.checks.quality
import pytest_homog.checks.regression
import pytest_homog.session  # noqa: F401
from pytest_homog.metrics.bootstrap import compare, score

GOLD = [["B-PER", "O"], ["B-LOC", "O"], ["O", "B-ORG"], ["B-PER", "I-PER"], ["O", "O"]] * 24
PRED = [["B-PER", "O"], ["O", "O"], ["O", "B-ORG"], ["B-PER", "I-PER"], ["O", "O"]] * 20 + GOLD[:20]
WORSE = [["B-PER", "O"], ["O", "O"], ["O", "B-ORG"], ["B-PER", "O"], ["O", "O"]] * 8 + PRED[40:]

HEADER = f"""
import pytest
from pytest_homog import assert_f1_above, assert_no_regression

pytestmark = pytest.mark.homog
GOLD, PRED, WORSE = {GOLD!r}, {PRED!r}, {WORSE!r}
"""


def _solve(p_value: Callable[[float], float], low: float, high: float, target: float) -> float:
    """The argument in [low, high] where the increasing ``p_value`` meets ``target`` (bisection)."""
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if p_value(middle) < target else (low, middle)
    return (low + high) / 2


def quality_threshold(p_value: float) -> float:
    """The threshold at which assert_f1_above(PRED, GOLD, ...) has the tail p-value ``p_value``."""
    estimate = score(GOLD, PRED, n_resamples=1000, seed=0)
    return _solve(estimate.tail_p_value, 0.0, estimate.value, p_value)


def regression_tolerance(p_value: float) -> float:
    """The tolerance at which assert_no_regression(WORSE, PRED, GOLD, ...) has the tail p-value ``p_value``."""
    estimate = compare(GOLD, WORSE, PRED, n_resamples=1000, seed=0)
    return _solve(lambda tol: estimate.tail_p_value(-tol, "high"), 0.0, -estimate.value, p_value)


def run_json(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    result = pytester.runpytest("--homog", "--homog-report=report.json", "-p", "no:cacheprovider", *args)
    return result, json.loads((pytester.path / "report.json").read_text())


GATES = HEADER + textwrap.dedent(
    """
    @pytest.mark.parametrize("case", range(3))
    def test_cases(case):
        assert_f1_above(PRED, GOLD, 0.5, confidence=0.95)

    @pytest.mark.homog(gates=2)
    def test_two_gates():
        assert_f1_above(PRED, GOLD, 0.5, confidence=0.95)
        assert_f1_above(PRED, GOLD, 0.5, confidence=0.95)

    def test_other():
        assert_f1_above(PRED, GOLD, 0.5, confidence=0.95)
    """
)


def test_each_parametrised_case_counts_and_k_deselection_shrinks_the_family(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gates=GATES)
    result, report = run_json(pytester, "--homog-family=bonferroni")
    result.assert_outcomes(passed=5)
    assert report["family"]["size"] == 6 and report["family"]["gates"] == 6  # 3 cases + 2 + 1
    assert [check["confidence"] for check in report["checks"]] == [pytest.approx(1 - 0.1 / 6)] * 6
    result.stdout.fnmatch_lines(["homog family: bonferroni at alpha 0.05 over 6 interval gate(s) (family size 6*"])

    result, report = run_json(pytester, "--homog-family=bonferroni", "-k", "two_gates or other")
    assert report["family"]["size"] == 3
    check = report["checks"][0]
    assert check["confidence"] == pytest.approx(1 - 0.1 / 3)
    assert check["details"]["family_size"] == 3 and check["details"]["requested_confidence"] == 0.95
    assert 0 <= check["details"]["gate_p_value"] <= 0.1 / 6


def test_without_a_family_each_gate_keeps_its_confidence_and_the_bound_is_the_union(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_gates=GATES)
    result, report = run_json(pytester, "--homog-markdown=summary.md")
    assert {check["confidence"] for check in report["checks"]} == {0.95}
    markdown = (pytester.path / "summary.md").read_text()
    assert "- homog family: none, 6 interval gate(s) each at its own confidence:" in markdown
    assert "- homog flakiness: a rerun on a fresh sample" in markdown
    assert report["family"]["method"] == "none"
    assert report["family"]["false_verdict_bound"] == pytest.approx(6 * 0.025)
    assert all("gate_p_value" in check["details"] for check in report["checks"])
    result.stdout.fnmatch_lines(
        [
            "homog family: none, 6 interval gate(s) each at its own confidence: *at most 0.15 (union bound*",
            "homog flakiness: a rerun on a fresh sample of the same size flips some verdict with probability *",
            "  margin +* SE, flip *: test_gates.py::test_cases[[]0[]] assert_f1_above f1",
        ]
    )


def test_under_xdist_the_controller_knows_the_family(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(test_gates=GATES)
    result = pytester.runpytest_subprocess(
        "--homog", "--homog-family=holm", "--homog-report=report.json", "-p", "no:cacheprovider", "-n", "2"
    )
    result.assert_outcomes(passed=5)
    family = json.loads((pytester.path / "report.json").read_text())["family"]
    assert (family["size"], family["sized_by"], family["gates"]) == (6, "collection", 6)
    result.stdout.fnmatch_lines(["homog family: holm at alpha 0.05 over 6 interval gate(s) (family size 6*"])


def test_holm_passes_at_the_end_a_gate_bonferroni_fails(pytester: pytest.Pytester) -> None:
    # alpha 0.05 over 2 gates: each runs at 0.025; the second's p-value, 0.04, is within the 0.05 it asked for
    pytester.makepyfile(
        test_holm=HEADER
        + textwrap.dedent(
            f"""
            def test_clear():
                assert_f1_above(PRED, GOLD, {quality_threshold(0.001)!r}, confidence=0.9)

            def test_close():
                assert_f1_above(PRED, GOLD, {quality_threshold(0.04)!r}, confidence=0.9)
            """
        )
    )
    result, report = run_json(pytester, "--homog-family=bonferroni")
    result.assert_outcomes(passed=1, failed=1)

    result, report = run_json(pytester, "--homog-family=holm")
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    close = report["checks"][1]
    assert close["passed"] and close["details"]["verdict"] == "holm at the end of the session: pass"
    assert 0.025 < close["details"]["gate_p_value"] <= 0.05  # F1 replicates are discrete: about 0.04
    (decided,) = report["family"]["decided_at_session_end"]
    assert decided.startswith("holm decided test_holm.py::test_close assert_f1_above at the end of the session (p = ")
    result.stdout.fnmatch_lines(["homog family: holm decided test_holm.py::test_close *: pass"])


def test_holm_fails_the_run_for_a_regression_it_proves_at_the_end(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_holm=HEADER
        + textwrap.dedent(
            f"""
            def test_clear():
                assert_f1_above(PRED, GOLD, {quality_threshold(0.001)!r}, confidence=0.9)

            def test_regression():
                assert_no_regression(WORSE, PRED, GOLD, tolerance={regression_tolerance(0.04)!r}, confidence=0.9)
            """
        )
    )
    result, report = run_json(pytester, "--homog-family=holm")
    result.assert_outcomes(passed=2)  # the regression was pending when its test ran
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert not report["checks"][1]["passed"]
    result.stdout.fnmatch_lines(
        [
            "homog: the run fails: --homog-family=holm failed 1 gate(s) at the end of the session, after their tests "
            "passed: test_holm.py::test_regression assert_no_regression f1_delta"
        ]
    )


def test_a_family_too_small_for_its_gates_fails_the_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gates=GATES)
    result, report = run_json(pytester, "--homog-family=holm", "--homog-family-size=2")
    result.assert_outcomes(passed=5)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert report["family"]["sized_by"] == "--homog-family-size"
    result.stdout.fnmatch_lines(
        ["homog: the run fails: --homog-family=holm: 6 interval gates ran but the family was sized for 2 *"]
    )


def test_ini_twins_and_bad_values(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gates=GATES)
    pytester.makeini("[pytest]\nhomog_family = holm\nhomog_alpha = 0.1\nhomog_family_size = 12\n")
    _, report = run_json(pytester)
    assert (report["family"]["method"], report["family"]["alpha"], report["family"]["size"]) == ("holm", 0.1, 12)

    result = pytester.runpytest("--homog", "--homog-family=fdr")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*'fdr' is not a family; use one of none, bonferroni, holm*"])
    result = pytester.runpytest("--homog", "--homog-alpha=0.5")
    result.stderr.fnmatch_lines(["*'0.5' is not an alpha*"])

    pytester.makepyfile(test_gates=HEADER + "\n@pytest.mark.homog(gates=-1)\ndef test_bad():\n    pass\n")
    result = pytester.runpytest("--homog", "--homog-family=holm", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*homog(gates=-1) must be a whole number >= 0*"])
