"""The simulated checks that the end-to-end tests of the reports and baselines run, and what they share."""

from __future__ import annotations

from pathlib import Path

import pytest

# Simulated checks: each test records what an assertion helper would and passes or fails with a plain assert.
CHECKS = """
import pytest
from pytest_homog.record import CheckRecord, record_check

F1 = {"quality_a": 0.52, "quality_b": 0.31}
HOMOG = 1.4


def f1_check(value, subject, threshold=0.4):
    rec = CheckRecord(check="assert_f1_above", metric="f1", value=value, passed=value - 0.03 >= threshold,
                      threshold=threshold, compared="low", low=value - 0.03, high=value + 0.03,
                      confidence=0.95, n=250, level="entity", scheme="IOB2", mode="conlleval",
                      subjects=(subject,), data="wnut17/test",
                      details={"per_label": {"person": {"precision": 0.61, "recall": 0.55, "f1": 0.58,
                                                        "support": 120},
                                             "location": {"precision": 0.47, "recall": 0.41, "f1": 0.44,
                                                          "support": 80}}})
    record_check(rec)
    assert rec.passed, f"f1 {value}"


@pytest.mark.homog
def test_quality_a():
    f1_check(F1["quality_a"], "candidate")


@pytest.mark.homog
def test_quality_b():
    f1_check(F1["quality_b"], "small")


@pytest.mark.homog
def test_not_homogeneous():
    rec = CheckRecord(check="assert_not_homogeneous", metric="outcome_homogenization", value=HOMOG,
                      passed=HOMOG <= 2.0, threshold=2.0, subjects=("a", "b", "c"), n=400,
                      details={"matrix": {"names": ["a", "b", "c"], "by": "error_consistency",
                                          "values": [[1.0, 0.62, 0.31], [0.62, 1.0, 0.48], [0.31, 0.48, 1.0]]}})
    record_check(rec)
    assert rec.passed


def test_plain():
    pass
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting from the environment reaches the runs under test; models are cached in a fresh directory."""
    monkeypatch.delenv("PYTEST_HOMOG", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setenv("PYTEST_HOMOG_CACHE", str(tmp_path / "homog-cache"))


def make_checks(
    pytester: pytest.Pytester, *, quality_a: float = 0.52, quality_b: float = 0.31, homog: float = 1.4
) -> None:
    """Write test_checks.py with the measured values given."""
    source = CHECKS.replace(
        'F1 = {"quality_a": 0.52, "quality_b": 0.31}', f'F1 = {{"quality_a": {quality_a}, "quality_b": {quality_b}}}'
    ).replace("HOMOG = 1.4", f"HOMOG = {homog}")
    pytester.makepyfile(test_checks=source)


def homog_section(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("=") and " homog " in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("==")), len(lines))
    return lines[start + 1 : end]


def save_baseline(pytester: pytest.Pytester) -> Path:
    make_checks(pytester)
    base = pytester.path / "baseline.json"
    result = pytester.runpytest("--homog", f"--homog-save-baseline={base}")
    result.stdout.fnmatch_lines([f"homog: baseline written to {base}"])
    return base
