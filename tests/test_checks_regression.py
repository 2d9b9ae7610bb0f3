"""assert_no_regression: the release gate of a candidate against a baseline, checked against compare()."""

from __future__ import annotations

import random

import pytest

from pytest_homog import HomogUsageError, assert_no_regression, compare
from pytest_homog.record import RunRecord, active_run, set_active_run


def corpus(n: int, seed: int, miss: float) -> tuple[list[list[str]], list[list[str]]]:
    """n sentences with one PER entity each; the prediction misses each with probability ``miss``."""
    rng = random.Random(seed)
    gold = [["O", "B-PER", "I-PER", "O"] for _ in range(n)]
    pred = [list(s) if rng.random() >= miss else ["O"] * 4 for s in gold]
    return gold, pred


@pytest.fixture
def run():
    previous = active_run()
    record = RunRecord()
    set_active_run(record)
    yield record
    set_active_run(previous)


def test_better_candidate_passes_and_returns_the_paired_difference(run: RunRecord) -> None:
    gold, old = corpus(200, 0, miss=0.4)
    _, new = corpus(200, 1, miss=0.1)
    est = assert_no_regression(new, old, gold)
    oracle = compare(gold, new, old, "f1", confidence=0.95, n_resamples=1000, seed=0)
    assert (est.value, est.low, est.high, est.p_value) == (oracle.value, oracle.low, oracle.high, oracle.p_value)
    [rec] = run.checks
    assert (rec.check, rec.metric, rec.passed, rec.compared, rec.threshold) == (
        "assert_no_regression",
        "f1_delta",
        True,
        "high",
        -0.0,
    )
    assert rec.higher_is_better is True and rec.high == oracle.high


def test_clear_regression_fails_with_the_evidence(run: RunRecord) -> None:
    gold, old = corpus(300, 0, miss=0.05)
    _, new = corpus(300, 1, miss=0.5)
    oracle = compare(gold, new, old, "f1", confidence=0.9, n_resamples=500, seed=3)
    assert oracle.high < 0
    with pytest.raises(AssertionError) as info:
        assert_no_regression(new, old, gold, confidence=0.9, n_resamples=500, seed=3)
    text = str(info.value)
    assert "assert_no_regression failed" in text and "at 90% confidence" in text
    assert f"upper bound {oracle.high:+.4f}" in text
    assert f"delta {oracle.value:+.4f}" in text and "n = 300 sentences" in text
    assert "Next step:" in text
    assert run.checks[-1].passed is False


def test_noise_does_not_fail_with_a_confidence_but_the_point_difference_does() -> None:
    gold, old = corpus(40, 0, miss=0.3)
    new = [list(s) for s in old]
    # one more miss than the baseline: a small drop, well inside the sampling noise of 40 sentences
    first_hit = next(i for i, s in enumerate(new) if s != ["O"] * 4)
    new[first_hit] = ["O"] * 4
    est = assert_no_regression(new, old, gold)
    assert est.value < 0 <= est.high  # the drop is not established: the interval reaches 0
    with pytest.raises(AssertionError, match="more than the tolerance 0"):
        assert_no_regression(new, old, gold, confidence=None)
    assert_no_regression(new, old, gold, confidence=None, tolerance=-est.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "accuracy"}, "metric must be one of 'precision', 'recall', 'f1'; got 'accuracy'"),
        ({"tolerance": -0.1}, "tolerance must be a number >= 0; got -0.1"),
        ({"tolerance": "1%"}, "tolerance must be a number; got '1%'"),
        ({"confidence": 1.5}, "confidence must be a number strictly between 0 and 1"),
        ({"average": None}, "average must be 'micro', 'macro' or 'weighted'; got None"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, message: str) -> None:
    gold, pred = corpus(10, 0, miss=0.2)
    with pytest.raises(HomogUsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        assert_no_regression(pred, pred, gold, **kwargs)


def test_release_gate_end_to_end(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_homog import assert_no_regression

        pytestmark = pytest.mark.homog
        GOLD = [["B-PER", "I-PER", "O"]] * 50
        GOOD = [["B-PER", "I-PER", "O"]] * 50
        BAD = [["B-PER", "I-PER", "O"]] * 10 + [["O", "O", "O"]] * 40

        def test_same():
            assert_no_regression(GOOD, GOOD, GOLD)

        def test_worse():
            assert_no_regression(BAD, GOOD, GOLD)
        """
    )
    result = pytester.runpytest("--homog")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*assert_no_regression failed: entity F1 of 'predictions (a)' is below*"])


def test_the_summary_shows_the_gate_as_a_floor_on_the_upper_bound(run: RunRecord) -> None:
    from pytest_homog.report import threshold_text

    gold, old = corpus(50, 0, miss=0.2)
    assert_no_regression(old, old, gold, tolerance=0.02)
    assert threshold_text(run.checks[-1]) == "high >= -0.0200"
