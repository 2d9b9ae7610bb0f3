"""Almost stochastic order: the computation against deepsig on the same draws, and assert_stochastically_better."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_homog import assert_stochastically_better, seeds
from pytest_homog.checks.seeds import DEFAULT_MAX_EPSILON, chance_separation
from pytest_homog.errors import HomogUsageError, HomogWarning
from pytest_homog.metrics.stochastic_order import (
    DT,
    almost_stochastic_order,
    order_from_draws,
    violation_ratios,
)


@pytest.fixture(scope="module")
def deepsig_aso():
    """deepsig's ASO (a test dependency), the oracle of the tests that compare with it."""
    return pytest.importorskip("deepsig.aso")


# scores as runs give them: a few distinct values, ties allowed (two seeds can reach the same F1)
score_sets = st.lists(st.integers(0, 40).map(lambda k: 0.3 + k / 200), min_size=2, max_size=7)


def deepsig_draws(seed: int, n_resamples: int, n_a: int, n_b: int) -> tuple[np.ndarray, np.ndarray]:
    """The uniforms deepsig's aso draws: resample i seeds numpy's global generator with seed + i, then draws n_a
    and n_b uniforms."""
    uniforms_a, uniforms_b = [], []
    for offset in range(1, n_resamples + 1):
        generator = np.random.RandomState(seed + offset)
        uniforms_a.append(generator.uniform(0, 1, n_a))
        uniforms_b.append(generator.uniform(0, 1, n_b))
    return np.array(uniforms_a), np.array(uniforms_b)


@settings(max_examples=100, deadline=None)
@given(a=score_sets, b=score_sets)
def test_violation_ratio_equals_deepsig(deepsig_aso, a, b) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deepsig warns where the two sets are equal (ratio 0.5)
        expected = deepsig_aso.compute_violation_ratio(np.array(a), np.array(b), dt=DT)
    assert violation_ratios(np.array(a), np.array(b)).item() == pytest.approx(expected, rel=1e-12, abs=1e-12)


@settings(max_examples=12, deadline=None)
@given(a=score_sets, b=score_sets, seed=st.integers(0, 10_000), confidence=st.sampled_from([0.95, 0.99]))
def test_epsilon_min_equals_deepsig_on_the_same_draws(deepsig_aso, a, b, seed, confidence) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = deepsig_aso.aso(
            a, b, confidence_level=confidence, num_bootstrap_iterations=40, seed=seed, show_progress=False
        )
    uniforms_a, uniforms_b = deepsig_draws(seed, 40, len(a), len(b))
    ours = order_from_draws(np.array(a), np.array(b), uniforms_a, uniforms_b, confidence=confidence)
    # the same draws and the same sums: only the normal quantile differs (statistics.NormalDist against scipy's),
    # in the last digits
    assert ours.epsilon_min == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert (ours.n_a, ours.n_b, ours.n_resamples, ours.confidence) == (len(a), len(b), 40, confidence)


def test_own_draws_agree_with_deepsig_within_the_bootstrap_error(deepsig_aso) -> None:
    # different draws: both estimate sigma, the spread of the resampled ratios, from 400 resamples, so
    # epsilon_min - ratio (proportional to sigma) differs by their Monte Carlo error alone. The standard error of a
    # standard deviation from B draws is sigma * sqrt((kurtosis - 1) / (4 B)) (kurtosis of the ratios, measured
    # here on deepsig's draws); the two estimates are independent, so their difference stays within 4 * sqrt(2)
    # of those but for 1 run in 10^4.
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.50, 0.02, 6), rng.normal(0.49, 0.02, 6)
    ours = almost_stochastic_order(a, b, n_resamples=400, seed=3)
    expected = deepsig_aso.aso(a, b, num_bootstrap_iterations=400, seed=3, show_progress=False)
    ratio = deepsig_aso.compute_violation_ratio(a, b, dt=DT)
    assert ours.violation_ratio == pytest.approx(ratio, rel=1e-12)
    uniforms_a, uniforms_b = deepsig_draws(3, 400, 6, 6)
    resampled = violation_ratios(
        np.sort(a)[np.ceil(6 * uniforms_a).astype(int) - 1], np.sort(b)[np.ceil(6 * uniforms_b).astype(int) - 1]
    )
    centred = resampled - resampled.mean()
    kurtosis = np.mean(centred**4) / np.mean(centred**2) ** 2
    relative_error = np.sqrt((kurtosis - 1) / (4 * 400))
    assert ours.epsilon_min - ratio == pytest.approx(expected - ratio, rel=4 * np.sqrt(2) * relative_error)


def test_order_reads_the_direction_of_the_scores() -> None:
    better, worse = [0.52, 0.55, 0.54, 0.56, 0.53], [0.41, 0.44, 0.43, 0.42, 0.45]
    assert almost_stochastic_order(better, worse).epsilon_min == 0.0
    # 1 less the first grid point's share (dt / (1 - dt)), which the violation sum leaves out as deepsig's does
    reverse = almost_stochastic_order(worse, better)
    assert reverse.violation_ratio == pytest.approx(1 - DT / (1 - DT), rel=1e-9) and reverse.epsilon_min > 0.99
    same = almost_stochastic_order([0.4, 0.5, 0.6], [0.4, 0.5, 0.6], n_resamples=200)
    assert same.violation_ratio == 0.5
    assert str(almost_stochastic_order(better, worse)) == (
        "epsilon_min=0.000 (95% upper bound; violation ratio 0.000, 5 vs 5 runs)"
    )


@pytest.mark.parametrize(
    ("scores", "match"),
    [
        ([0.5], "scores_a must be a sequence of at least two finite scores"),
        ([0.5, float("nan")], "scores_a must be"),
        ("0.5, 0.6", "scores_a must be"),
        ([[0.5, 0.6]], "scores_a must be"),
    ],
)
def test_scores_are_checked(scores, match) -> None:
    with pytest.raises(HomogUsageError, match=match):
        almost_stochastic_order(scores, [0.1, 0.2])


def test_dt_is_checked() -> None:
    with pytest.raises(HomogUsageError, match=r"dt must be a number strictly between 0 and 0\.5"):
        almost_stochastic_order([0.1, 0.2], [0.1, 0.2], dt=0)


# -- assert_stochastically_better ---------------------------------------------------------------------------------


def test_passes_on_a_clearly_better_candidate_and_records_it(run_record) -> None:
    order = assert_stochastically_better([0.52, 0.55, 0.54, 0.56, 0.53], [0.41, 0.44, 0.43, 0.42, 0.45])
    assert order.epsilon_min == 0.0
    record = run_record.checks[-1]
    assert (record.check, record.metric, record.value, record.threshold, record.passed) == (
        "assert_stochastically_better",
        "aso_epsilon_min",
        0.0,
        DEFAULT_MAX_EPSILON,
        True,
    )
    assert record.higher_is_better is False and record.subjects == ("candidate", "incumbent")
    assert record.details["candidate_scores"] == [0.52, 0.55, 0.54, 0.56, 0.53]
    assert record.details["chance_separation"] == pytest.approx(1 / 252)


def test_fails_on_overlapping_runs_with_the_evidence() -> None:
    rng = np.random.default_rng(0)
    candidate, incumbent = rng.normal(0.50, 0.02, 6).tolist(), rng.normal(0.50, 0.02, 6).tolist()
    with pytest.raises(AssertionError) as failure:
        assert_stochastically_better(candidate, incumbent, seed=0)
    text = str(failure.value)
    assert text.startswith(
        "assert_stochastically_better failed: 'candidate' is not almost stochastically better than 'incumbent': "
        "epsilon_min = "
    )
    assert "is not below max_epsilon 0.2." in text
    assert "  candidate: 6 runs, mean score " in text and "  violation ratio " in text
    assert "Next step:" in text


def test_threshold_of_dror_et_al_passes_more() -> None:
    candidate, incumbent = [0.50, 0.52, 0.51, 0.53, 0.49, 0.52], [0.49, 0.51, 0.50, 0.52, 0.50, 0.48]
    order = almost_stochastic_order(candidate, incumbent, seed=0)
    assert 0.2 <= order.epsilon_min < 0.5
    assert assert_stochastically_better(candidate, incumbent, max_epsilon=0.5, seed=0) == order
    with pytest.raises(AssertionError):
        assert_stochastically_better(candidate, incumbent, seed=0)


def test_few_runs_warn_that_chance_separates_them() -> None:
    assert chance_separation(3, 3) == pytest.approx(0.05) and chance_separation(2, 2) == pytest.approx(1 / 6)
    with pytest.warns(HomogWarning, match=r"2 against 2 runs: .* by chance with probability 0.167, more than"):
        assert_stochastically_better([0.6, 0.7], [0.4, 0.5])


@pytest.mark.parametrize("bad", [0, 0.6, -0.1, "0.2", True])
def test_max_epsilon_is_checked(bad) -> None:
    with pytest.raises(HomogUsageError, match="max_epsilon must be"):
        assert_stochastically_better([0.5, 0.6, 0.7], [0.1, 0.2, 0.3], max_epsilon=bad)


def test_seeds_subjects_are_scored_run_by_run(run_record) -> None:
    tags = ["O", "B-PER", "I-PER", "B-LOC"]
    rng = random.Random(0)
    gold = [[rng.choice(tags) for _ in range(rng.randint(1, 6))] for _ in range(60)]

    def run(rate: float, seed: int) -> list[list[str]]:
        draw = random.Random(seed)
        return [[t if draw.random() >= rate else draw.choice(tags) for t in sentence] for sentence in gold]

    candidate = seeds(*(run(0.1, seed) for seed in range(5)), name="candidate")
    incumbent = seeds(*(run(0.4, seed) for seed in range(10, 15)), name="incumbent")
    order = assert_stochastically_better(candidate, incumbent, gold)
    assert order.epsilon_min == 0.0
    record = run_record.checks[-1]
    assert record.subjects == ("candidate", "incumbent") and record.n == 60 and record.level == "entity"
    assert record.details["scored"] == "entity F1 (micro)" and len(record.details["incumbent_scores"]) == 5
    with pytest.raises(AssertionError, match=r"'incumbent' is not almost stochastically better than 'candidate'"):
        assert_stochastically_better(incumbent, candidate, gold)
    with pytest.raises(HomogUsageError, match=r"the runs of 'candidate' must be a sequence of at least two"):
        assert_stochastically_better(seeds(gold, name="candidate"), incumbent, gold)
