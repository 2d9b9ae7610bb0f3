"""Bootstrap estimates: score, compare, the resampler and the one interval function (BCa or percentile)."""

from __future__ import annotations

import math
import random
import warnings
from pathlib import Path

import numpy as np
import pytest
import seqeval.metrics as sq
from _conll import read_conll
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import precision_recall_fscore_support

from pytest_homog.errors import HomogDataError, HomogUsageError
from pytest_homog.metrics.bootstrap import (
    Estimate,
    Resampler,
    bootstrap_indices,
    compare,
    detectable_change,
    percentile_interval,
    replicate_values,
    score,
)
from pytest_homog.metrics.counts import UnitCounts, unit_counts
from pytest_homog.metrics.quality import scores_from_totals

WNUT_TEST = Path(__file__).resolve().parents[1] / "examples" / "data" / "wnut17" / "test.conll"
TOL = 1e-12


def corrupt(sentences: list[list[str]], rate: float, seed: int) -> list[list[str]]:
    """A prediction: each tag replaced by a random one with probability ``rate``."""
    rng = random.Random(seed)
    types = sorted({t[2:] for s in sentences for t in s if t != "O"})
    choices = ["O", *(f"B-{t}" for t in types), *(f"I-{t}" for t in types)]
    return [[t if rng.random() >= rate else rng.choice(choices) for t in s] for s in sentences]


@pytest.fixture(scope="module")
def wnut() -> tuple[list[list[str]], list[list[str]]]:
    gold = read_conll(WNUT_TEST)
    return gold, corrupt(gold, 0.15, seed=1)


def test_estimate_str() -> None:
    est = Estimate(0.4181, 0.3922, 0.4449, 0.95, 1287, "f1")
    assert str(est) == "0.418 [0.392, 0.445] 95% CI, n=1287"
    assert (
        str(Estimate(0.05, -0.01, 0.1, 0.9, 10, "f1", p_value=0.0312)) == "0.050 [-0.010, 0.100] 90% CI, n=10, p=0.0312"
    )
    with pytest.raises(AttributeError):
        est.value = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("average", ["micro", "macro", "weighted"])
@pytest.mark.parametrize("metric", ["precision", "recall", "f1"])
def test_score_agrees_with_naive_bootstrap_through_seqeval(metric: str, average: str) -> None:
    gold = [
        ["B-PER", "I-PER", "O"],
        ["B-LOC", "O"],
        ["O", "B-ORG", "I-ORG"],
        ["B-PER"],
        ["B-LOC", "B-ORG"],
    ] * 3
    pred = [["B-PER", "O", "O"], ["B-LOC", "O"], ["O", "B-ORG", "I-ORG"], ["B-LOC"], ["B-LOC", "O"]] * 3
    est = score(gold, pred, metric, average=average, n_resamples=60, seed=7, confidence=0.8, interval="percentile")
    naive_fn = {"precision": sq.precision_score, "recall": sq.recall_score, "f1": sq.f1_score}[metric]
    idx = np.concatenate(list(bootstrap_indices(len(gold), 60, seed=7)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        naive = [naive_fn([gold[i] for i in row], [pred[i] for i in row], average=average) for row in idx]
        value = naive_fn(gold, pred, average=average)
    low, high = np.quantile(naive, [0.1, 0.9])
    assert est.value == pytest.approx(value, abs=TOL)
    assert est.low == pytest.approx(low, abs=TOL)
    assert est.high == pytest.approx(high, abs=TOL)
    assert (est.n, est.confidence, est.metric, est.level, est.average, est.n_resamples) == (
        15,
        0.8,
        metric,
        "entity",
        average,
        60,
    )


def test_label_level_agrees_with_naive_bootstrap_through_sklearn() -> None:
    rng = np.random.default_rng(3)
    gold = rng.choice(["a", "b", "c"], size=40).tolist()
    pred = [g if rng.random() < 0.6 else rng.choice(["a", "b", "c"]) for g in gold]
    idx = np.concatenate(list(bootstrap_indices(40, 50, seed=2)))
    for average in ("micro", "macro", "weighted"):
        est = score(
            gold, pred, "recall", average=average, n_resamples=50, seed=2, zero_division=0, interval="percentile"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            naive = [
                precision_recall_fscore_support(
                    [gold[i] for i in row], [pred[i] for i in row], average=average, zero_division=0
                )[1]
                for row in idx
            ]
        low, high = np.quantile(naive, [0.025, 0.975])
        assert (est.low, est.high) == pytest.approx((low, high), abs=TOL)


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    level=st.sampled_from(["entity", "token"]),
    average=st.sampled_from(["micro", "macro", "weighted"]),
    metric=st.sampled_from(["precision", "recall", "f1"]),
)
def test_replicate_of_all_units_once_is_the_point_value(data, level, average, metric) -> None:
    tags = st.sampled_from(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])
    lengths = data.draw(st.lists(st.integers(1, 6), min_size=1, max_size=6))
    gold = [[data.draw(tags) for _ in range(n)] for n in lengths]
    pred = [[data.draw(tags) for _ in range(n)] for n in lengths]
    counts = unit_counts(gold, pred, level=level)
    idx = np.arange(counts.n_units)[None, :]
    replicate = replicate_values(Resampler(counts, average), idx, metric, average, 0.0)[0]
    point = scores_from_totals(*counts.totals(), average=average, zero_division=0)
    assert replicate == pytest.approx(point[["precision", "recall", "f1"].index(metric)], abs=TOL)


def test_interval_contains_point_estimate(wnut) -> None:
    gold, pred = wnut
    for metric in ("precision", "recall", "f1"):
        for average in ("micro", "macro"):
            est = score(gold, pred, metric, average=average)
            assert est.low <= est.value <= est.high
            assert est.n == 1287
    token = score(gold, pred, level="token")
    assert token.low <= token.value <= token.high


def test_larger_n_narrows_the_interval(wnut) -> None:
    gold, pred = wnut
    small = score(gold[:300], pred[:300])
    large = score(gold, pred)
    assert large.high - large.low < small.high - small.low


def test_higher_confidence_widens_the_interval(wnut) -> None:
    gold, pred = wnut
    narrow = score(gold, pred, confidence=0.8)
    wide = score(gold, pred, confidence=0.99)
    assert wide.low < narrow.low and narrow.high < wide.high


def test_same_seed_same_interval(wnut) -> None:
    gold, pred = wnut
    assert score(gold, pred, seed=5) == score(gold, pred, seed=5)
    assert score(gold, pred, seed=5) != score(gold, pred, seed=6)
    assert score(gold, pred, average="macro", seed=5) == score(gold, pred, average="macro", seed=5)


def test_coverage_by_simulation() -> None:
    """Binomial data with a known rate: the 95% interval covers it in 93-97% of 400 trials."""
    rate, n, trials = 0.7, 200, 400
    rng = np.random.default_rng(20240601)
    covered = 0
    gold = ["pos"] * n
    for trial in range(trials):
        pred = np.where(rng.random(n) < rate, "pos", "neg").tolist()
        # every example is gold "pos": micro recall is the share of examples predicted right
        est = score(gold, pred, "recall", n_resamples=1000, seed=trial)
        covered += est.low <= rate <= est.high
    assert 0.93 * trials <= covered <= 0.97 * trials


def test_compare(wnut) -> None:
    gold, pred = wnut
    worse = corrupt(gold, 0.3, seed=2)
    diff = compare(gold, pred, worse)
    expected = sq.f1_score(gold, pred) - sq.f1_score(gold, worse)
    assert diff.value == pytest.approx(expected, abs=TOL)
    assert diff.low <= diff.value <= diff.high
    assert diff.low > 0
    assert diff.p_value is not None and diff.p_value < 0.01
    reverse = compare(gold, worse, pred)
    assert reverse.value == pytest.approx(-diff.value, abs=TOL)
    assert (reverse.low, reverse.high) == pytest.approx((-diff.high, -diff.low), abs=TOL)
    assert "p=" in str(diff)


def test_compare_identical_predictions(wnut) -> None:
    gold, pred = wnut
    same = compare(gold, pred, [list(s) for s in pred], average="macro")
    assert (same.value, same.low, same.high, same.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_compare_p_value_is_not_small_for_a_tiny_difference(wnut) -> None:
    gold, pred = wnut
    other = [list(s) for s in pred]
    other[0] = list(gold[0]) if other[0] != gold[0] else ["O"] * len(gold[0])
    diff = compare(gold, pred, other)
    assert diff.p_value is not None and diff.p_value > 0.2


def test_paired_difference_uses_the_same_resamples(wnut) -> None:
    gold, pred = wnut
    worse = corrupt(gold, 0.3, seed=2)
    diff = compare(gold, pred, worse, n_resamples=200, seed=3)
    a = score(gold, pred, n_resamples=200, seed=3)
    b = score(gold, worse, n_resamples=200, seed=3)
    # a paired interval is narrower than the unpaired widths would suggest
    assert diff.high - diff.low < (a.high - a.low) + (b.high - b.low)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"confidence": 0}, "confidence must be a number strictly between 0 and 1 .*got 0"),
        ({"confidence": 1.0}, "got 1.0"),
        ({"confidence": 95}, "got 95"),
        ({"confidence": math.nan}, "got nan"),
        ({"confidence": True}, "got True"),
        ({"n_resamples": 0}, "n_resamples must be a positive integer .*got 0"),
        ({"n_resamples": 10.5}, "got 10.5"),
        ({"seed": -1}, "seed must be a non-negative integer or None; got -1"),
        ({"seed": "0"}, "got '0'"),
        ({"average": None}, "average=None gives one value per label"),
        ({"average": "samples"}, "average must be one of"),
        ({"metric": "accuracy"}, "metric must be one of 'precision', 'recall', 'f1'; got 'accuracy'"),
        ({"zero_division": "zero"}, "zero_division must be"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(HomogUsageError, match=match):
        score([["B-PER"]], [["B-PER"]], **kwargs)
    with pytest.raises(HomogUsageError, match=match):
        compare([["B-PER"]], [["B-PER"]], [["O"]], **kwargs)


def test_seed_none_draws_fresh_resamples(wnut) -> None:
    gold, pred = wnut
    est = score(gold, pred, seed=None, n_resamples=100)
    assert est.low <= est.value <= est.high


def test_many_units_are_resampled_in_chunks() -> None:
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 2, size=50_000).tolist()
    pred = [g if rng.random() < 0.9 else 1 - g for g in gold]
    est = score(gold, pred, "f1", average="macro", n_resamples=200)
    assert est.low < est.value < est.high
    assert est.high - est.low < 0.02


def _pooled_both_ways(counts: UnitCounts, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    packed = Resampler(counts, "micro")
    plain = Resampler(counts, "micro")
    plain.packed = None
    return packed.pooled(idx), plain.pooled(idx), packed.packed is not None


@pytest.mark.parametrize(("per_unit_max", "packed"), [((1 << 20) - 1, True), (1 << 20, False)])
def test_bit_packing_is_used_exactly_while_no_total_can_overflow(per_unit_max: int, packed: bool) -> None:
    # two units; unit 0 has per_unit_max gold items, predictions and hits; a replicate drawing it twice
    # pools 2 * per_unit_max, which fits in 21 bits only below 2**21
    events = np.zeros(per_unit_max, dtype=np.int64)
    counts = UnitCounts(("X",), 2, "entity", events, events, events, events, events, events)
    idx = np.array([[0, 0], [0, 1], [1, 1]])
    got, plain, used = _pooled_both_ways(counts, idx)
    assert used is packed
    np.testing.assert_array_equal(got, plain)
    assert got[0].tolist() == [2.0 * per_unit_max] * 3


def test_bit_packing_round_trips_uneven_counts() -> None:
    rng = np.random.default_rng(0)
    n = 500
    gold_unit = np.repeat(np.arange(n), rng.integers(0, 4000, n))
    pred_unit = np.repeat(np.arange(n), rng.integers(0, 4000, n))
    tp_unit = np.repeat(np.arange(n), rng.integers(0, 10, n))
    z = np.zeros
    counts = UnitCounts(
        ("X",), n, "entity", tp_unit, z(len(tp_unit), np.int64), pred_unit, z(len(pred_unit), np.int64),
        gold_unit, z(len(gold_unit), np.int64),
    )  # fmt: skip
    idx = np.concatenate(list(bootstrap_indices(n, 20, 3)))
    got, plain, used = _pooled_both_ways(counts, idx)
    assert used  # 500 * 3999 < 2**21
    np.testing.assert_array_equal(got, plain)


def test_compare_p_value_counts_only_replicates_where_the_difference_is_defined() -> None:
    # precision is undefined (zero_division=nan) in every replicate that misses sentence 0, the only one with
    # a predicted entity; where defined, a beats b
    gold = [["B-PER", "O"]] * 20
    a = [["B-PER", "O"]] + [["O", "O"]] * 19
    b = [["B-LOC", "O"]] + [["O", "O"]] * 19
    est = compare(gold, a, b, "precision", zero_division=math.nan, n_resamples=500, seed=0)
    idx = np.concatenate(list(bootstrap_indices(20, 500, 0)))
    defined = int(np.sum(np.any(idx == 0, axis=1)))
    assert 0 < defined < 500
    assert est.p_value == pytest.approx(2.0 / (defined + 1))
    assert (est.value, est.low, est.high) == (1.0, 1.0, 1.0)


def test_compare_p_value_is_nan_when_no_replicate_is_defined() -> None:
    gold = [["B-PER", "O"]] * 3
    nothing = [["O", "O"]] * 3
    est = compare(gold, nothing, nothing, "precision", zero_division=math.nan, n_resamples=50)
    assert math.isnan(est.p_value) and math.isnan(est.low)


@pytest.mark.parametrize("which", ["y_pred_a", "y_pred_b"])
def test_compare_data_errors_name_the_prediction(which: str) -> None:
    gold = [["B-PER", "O"], ["B-LOC"]]
    bad = [["B-PER"], ["B-LOC"]]
    args = (gold, bad, gold) if which == "y_pred_a" else (gold, gold, bad)
    with pytest.raises(HomogDataError, match=f"y_true and {which} do not fit together: sentence 0 has 2 tags"):
        compare(*args, n_resamples=10)


def test_score_on_a_single_sentence_has_a_degenerate_interval() -> None:
    est = score([["B-PER", "O", "B-LOC"]], [["B-PER", "O", "O"]], n_resamples=50)
    assert (est.value, est.low, est.high, est.n) == (
        pytest.approx(2 / 3),
        pytest.approx(2 / 3),
        pytest.approx(2 / 3),
        1,
    )


def test_detectable_change_is_the_minimum_detectable_effect_of_a_normal_test() -> None:
    from scipy.stats import norm

    for confidence, power in ((0.95, 0.8), (0.9, 0.9), (0.5, 0.6)):
        expected = (norm.ppf(1 - (1 - confidence) / 2) + norm.ppf(power)) * 0.02
        assert detectable_change(0.02, confidence, power) == pytest.approx(expected, abs=1e-12)
    assert detectable_change(0.02, None) == pytest.approx(norm.ppf(0.8) * 0.02, abs=1e-12)
    with pytest.raises(HomogUsageError, match="power must be a number strictly between 0 and 1"):
        detectable_change(0.02, 0.95, power=1.0)


def test_the_standard_error_is_the_sd_of_the_replicates(wnut) -> None:
    gold, pred = wnut
    gold, pred = gold[:200], pred[:200]
    idx = np.concatenate(list(bootstrap_indices(len(gold), 100, seed=4)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = [sq.f1_score([gold[i] for i in row], [pred[i] for i in row]) for row in idx]
    assert score(gold, pred, n_resamples=100, seed=4).standard_error == pytest.approx(np.std(values, ddof=1), abs=1e-12)


def _naive_bca(values: np.ndarray, value: float, jackknife: np.ndarray, confidence: float) -> tuple[float, float]:
    """Efron and Tibshirani's BCa interval (1993, eq. 14.9-14.15), written out directly."""
    from scipy.stats import norm

    share = (np.sum(values < value) + np.sum(values <= value)) / (2 * len(values))
    bias = norm.ppf(share)
    d = jackknife.mean() - jackknife
    acceleration = np.sum(d**3) / (6 * np.sum(d**2) ** 1.5)
    levels = []
    for z in norm.ppf([(1 - confidence) / 2, (1 + confidence) / 2]):
        levels.append(norm.cdf(bias + (bias + z) / (1 - acceleration * (bias + z))))
    low, high = np.quantile(values, levels)
    return float(low), float(high)


@pytest.mark.parametrize("average", ["micro", "macro"])
def test_bca_interval_equals_the_textbook_formula_on_seqeval_replicates(wnut, average: str) -> None:
    gold, pred = wnut
    gold, pred, other = gold[:60], pred[:60], corrupt(gold[:60], 0.2, seed=5)
    idx = np.concatenate(list(bootstrap_indices(60, 200, seed=3)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        def f1(rows, prediction):
            return sq.f1_score([gold[i] for i in rows], [prediction[i] for i in rows], average=average)

        leave_one_out = [[i for i in range(60) if i != left] for left in range(60)]
        for predictions, est in (
            ((pred,), score(gold, pred, average=average, n_resamples=200, seed=3, confidence=0.9)),
            ((pred, other), compare(gold, pred, other, average=average, n_resamples=200, seed=3, confidence=0.9)),
        ):

            def statistic(rows, predictions=predictions):
                values = [f1(rows, p) for p in predictions]
                return values[0] - (values[1] if len(values) > 1 else 0.0)

            replicates = np.array([statistic(row) for row in idx])
            jackknife = np.array([statistic(rows) for rows in leave_one_out])
            low, high = _naive_bca(replicates, statistic(range(60)), jackknife, 0.9)
            assert (est.low, est.high) == pytest.approx((low, high), abs=TOL)
            assert est.low != pytest.approx(np.quantile(replicates, 0.05), abs=TOL)  # not the percentile interval


def test_bca_falls_back_sensibly_where_the_correction_is_undefined() -> None:
    same = [["B-PER", "O"], ["B-LOC"]] * 5
    est = score(same, same)  # every replicate equals the value: no bias, no skew
    assert (est.low, est.value, est.high) == (1.0, 1.0, 1.0)
    values = np.linspace(0.1, 0.9, 9)
    # the value below every replicate: the share is clipped, not -inf
    low, high = percentile_interval(values, 0.8, value=0.0, jackknife=np.array([0.0, 0.1, 0.3]))
    assert 0.1 <= low <= high <= 0.9
    with pytest.raises(HomogUsageError, match="interval must be 'bca' or 'percentile'; got 'BCa'"):
        score(same, same, interval="BCa")
