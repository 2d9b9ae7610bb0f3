"""assert_no_regression: the release gate of a candidate against a baseline, checked against compare()."""

from __future__ import annotations

import random
import re
import warnings

import pytest

from pytest_homog import HomogUsageError, assert_no_regression, compare
from pytest_homog.errors import HomogWarning
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
    with pytest.warns(HomogWarning, match="reaches below 0"):  # 40 sentences cannot show the absence of it
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


def _small_regression(n: int = 300) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """A baseline finding 70% of n entities and a candidate that misses 8 more: F1 about 0.02 lower."""
    gold, old = corpus(n, 0, miss=0.3)
    new = [list(s) for s in old]
    hits = [i for i, s in enumerate(new) if s != ["O"] * 4]
    for i in hits[:8]:
        new[i] = ["O"] * 4
    return gold, old, new


def _paired_standard_error(gold, new, old, n_resamples: int, seed: int) -> float:
    """The bootstrap standard error of F1(new) - F1(old), from F1 recomputed by seqeval on each resample."""
    import numpy as np
    import seqeval.metrics as sq

    from pytest_homog.metrics.bootstrap import bootstrap_indices

    diffs = []
    for row in np.concatenate(list(bootstrap_indices(len(gold), n_resamples, seed))):
        g = [gold[i] for i in row]
        diffs.append(sq.f1_score(g, [new[i] for i in row]) - sq.f1_score(g, [old[i] for i in row]))
    return float(np.std(diffs, ddof=1))


def test_the_record_holds_the_change_the_test_set_detects_at_80_percent_power(run: RunRecord) -> None:
    from scipy.stats import norm

    gold, old, new = _small_regression()
    with pytest.warns(HomogWarning):
        est = assert_no_regression(new, old, gold, tolerance=0.01, n_resamples=200, seed=1)
    se = _paired_standard_error(gold, new, old, 200, 1)
    assert est.standard_error == pytest.approx(se, abs=1e-12)
    expected = (norm.ppf(0.975) + norm.ppf(0.8)) * se
    assert run.checks[-1].details["detectable_change"] == pytest.approx(expected, abs=1e-12)
    with pytest.raises(AssertionError):
        assert_no_regression(new, old, gold, confidence=None, n_resamples=200, seed=1)
    # a gate on the point estimate has no critical value: z_0.8 * se
    assert run.checks[-1].details["detectable_change"] == pytest.approx(norm.ppf(0.8) * se, abs=1e-12)


def test_a_small_regression_that_passes_says_the_test_set_is_too_small_to_see_it() -> None:
    gold, old, new = _small_regression()
    with pytest.warns(HomogWarning, match=r"passed without showing the absence of a regression.*detects a drop of"):
        est = assert_no_regression(new, old, gold, tolerance=0.01)
    assert est.value < -0.01 <= est.high
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a pass whose interval lies above -tolerance shows it: no warning
        assert_no_regression(old, old, gold)


def test_the_failure_message_says_when_the_tolerance_is_below_the_detectable_change() -> None:
    gold, old, new = _small_regression()
    with pytest.raises(AssertionError) as info:
        assert_no_regression(new, old, gold, confidence=None)
    text = str(info.value)
    assert re.search(r"power: this test set detects a drop of 0\.\d{4} beyond the tolerance with 80% power", text)
    assert "the tolerance 0 is below it, so drops between 0 and 0." in text


def test_an_underpowered_pass_warns_under_pytest(pytester: pytest.Pytester) -> None:
    gold, old, new = _small_regression()
    pytester.makepyfile(
        f"""
        from pytest_homog import assert_no_regression

        def test_gate():
            assert_no_regression({new!r}, {old!r}, {gold!r}, tolerance=0.01)
        """
    )
    result = pytester.runpytest("--homog")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*HomogWarning: assert_no_regression passed without showing*mostly pass unseen*"])
