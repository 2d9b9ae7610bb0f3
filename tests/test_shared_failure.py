"""Shared failure, paired-bootstrap intervals of the group measures, and units that see false positives."""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import numpy as np
import pytest
from _group_corpora import corpora, ref_entities, ref_outcomes
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_homog import divergence, outcome_homogenization, shared_failure, similarity_matrix, unit_outcomes
from pytest_homog.errors import HomogDataError, HomogUsageError
from pytest_homog.metrics.agreement import error_consistency, yules_q
from pytest_homog.metrics.bootstrap import bootstrap_indices, percentile_interval
from pytest_homog.metrics.group_counts import interval

pytestmark = pytest.mark.filterwarnings(
    "ignore::pytest_homog.errors.HomogWarning", "ignore::pytest_homog.errors.UndefinedMetricWarning"
)


# ----------------------------------------------------------------------------------------------------------
# slow direct formulas
# ----------------------------------------------------------------------------------------------------------


def ref_span_outcomes(y_true: list[list[str]], preds: list[list[list[str]]]) -> list[list[bool]]:
    """Outcomes on gold entities and every other predicted span, unit by unit, sentence by sentence."""
    rows: list[list[bool]] = [[] for _ in preds]
    for s, gold in enumerate(y_true):
        g = ref_entities(gold)
        predicted = [ref_entities(p[s]) for p in preds]
        units = sorted(g | set().union(*predicted), key=lambda e: (e[2], e[1], e[0]))
        for row, p in zip(rows, predicted, strict=True):
            row.extend((e in p) if e in g else (e not in p) for e in units)
    return rows


def ref_shared_failure(outcomes: list[list[bool]]) -> float:
    n = len(outcomes[0])
    rates = [sum(not x for x in o) / n for o in outcomes]
    systemic = sum(all(not o[i] for o in outcomes) for i in range(n)) / n
    expected = math.prod(rates)
    if min(rates) - expected <= 0:
        return math.nan
    return (systemic - expected) / (min(rates) - expected)


def outcomes_of(y_true: Any, preds: list[Any], unit: str) -> list[list[bool]]:
    if unit == "span":
        return ref_span_outcomes(y_true, preds)
    return [ref_outcomes(y_true, p, unit) for p in preds]


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-12)


# ----------------------------------------------------------------------------------------------------------
# shared failure
# ----------------------------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(corpora(k=3), st.sampled_from(["entity", "sentence", "token", "span"]), st.integers(2, 3))
def test_shared_failure_matches_direct_formula(corpus: Any, unit: str, k: int) -> None:
    y_true, preds = corpus
    preds = preds[:k]
    outcomes = outcomes_of(y_true, preds, unit)
    if not outcomes[0]:
        return
    value = shared_failure(y_true, dict(zip("abc", preds, strict=False)), unit=unit)
    assert same(float(value), ref_shared_failure(outcomes))
    assert (value.reason is None) == (not math.isnan(float(value)))


def test_shared_failure_hand_computed() -> None:
    y_true = ["pos"] * 8
    fail = lambda *units: ["neg" if i in units else "pos" for i in range(8)]  # noqa: E731
    # a fails 0-3, b fails 0-1 and 4-5: s = 2/8 = 1/2 * 1/2, independent
    assert float(shared_failure(y_true, {"a": fail(0, 1, 2, 3), "b": fail(0, 1, 4, 5)})) == 0.0
    # b's failures are inside a's: as nested as the rates allow
    assert float(shared_failure(y_true, {"a": fail(0, 1, 2, 3), "b": fail(0, 1)})) == 1.0
    # disjoint failures: s = 0, (0 - 1/8) / (1/4 - 1/8) = -1
    assert float(shared_failure(y_true, {"a": fail(0, 1, 2, 3), "b": fail(4, 5)})) == -1.0
    # three subjects: s = 1/8, prod = 1/2 * 1/2 * 1/4 = 1/16, min = 1/4 -> (1/8 - 1/16) / (1/4 - 1/16) = 1/3
    three = {"a": fail(0, 1, 2, 3), "b": fail(0, 1, 4, 5), "c": fail(0, 6)}
    assert float(shared_failure(y_true, three)) == pytest.approx(1 / 3)


def test_identical_weak_subjects_score_one_where_homogenization_cannot_reach_two() -> None:
    # two copies failing 60%: H = 0.6 / 0.36 = 1.67, under a bound of 2; shared failure is 1
    y_true = ["pos"] * 10
    weak = ["neg"] * 6 + ["pos"] * 4
    h = outcome_homogenization(y_true, {"a": weak, "b": list(weak)})
    assert float(h) == pytest.approx(1 / 0.6)
    assert float(h.shared_failure) == 1.0


def test_shared_failure_undefined_is_nan_with_a_reason() -> None:
    y_true = [["B-PER", "O"], ["B-LOC", "O"]]
    blind = [["O", "O"], ["O", "O"]]
    perfect = shared_failure(y_true, {"a": y_true, "b": blind, "c": blind})
    assert math.isnan(perfect) and "['a'] fail no entity unit" in str(perfect.reason)
    assert not perfect <= 0.5  # no bound is met
    always = shared_failure(y_true, {"a": blind, "b": [["B-PER", "O"], ["O", "O"]]})
    assert math.isnan(always) and "['a'] fail every entity unit" in str(always.reason)
    h = outcome_homogenization(y_true, {"a": y_true, "b": blind}, confidence=0.9, n_resamples=50)
    assert float(h) == 0.0 and not h.defined
    assert all(math.isnan(x) for x in (h.low, h.high, h.shared_failure.low, h.shared_failure.high))


def test_interval_options_are_checked() -> None:
    y_true = [["B-PER", "O"], ["B-LOC", "O"]]
    with pytest.raises(HomogUsageError, match="confidence must be"):
        outcome_homogenization(y_true, {"a": y_true, "b": y_true}, confidence=1.5)
    with pytest.raises(HomogUsageError, match="n_resamples must be"):
        similarity_matrix(y_true, {"a": y_true, "b": y_true}, confidence=0.9, n_resamples=0)
    h = outcome_homogenization(y_true, {"a": y_true, "b": y_true})
    assert h.low is None and h.shared_failure.low is None and h.shared_failure.n_resamples == 0


# ----------------------------------------------------------------------------------------------------------
# intervals: every replicate recomputed by the point functions on the resampled sentences
# ----------------------------------------------------------------------------------------------------------

N_RESAMPLES = 25


def resampled(values: list[Any], idx: np.ndarray) -> list[Any]:
    return [values[i] for i in idx.tolist()]


def test_interval_rule() -> None:
    assert interval(np.array([0.0, 1.0, 2.0, np.nan]), 0.4) == percentile_interval(np.array([0.0, 1.0, 2.0]), 0.4)
    low, high = interval(np.array([0.0, 1.0, np.nan, np.nan]), 0.9)
    assert math.isnan(low) and math.isnan(high)


@settings(max_examples=25, deadline=None)
@given(corpora(k=3), st.sampled_from(["entity", "sentence", "span"]), st.integers(0, 2**16))
def test_homogenization_intervals_match_a_replicate_loop(corpus: Any, unit: str, seed: int) -> None:
    y_true, preds = corpus
    named = dict(zip("abc", preds, strict=True))
    if not outcomes_of(y_true, preds, unit)[0]:
        return
    h = outcome_homogenization(y_true, named, unit=unit, confidence=0.8, n_resamples=N_RESAMPLES, seed=seed)
    homogenization, normalised = [], []
    for idx in np.concatenate(list(bootstrap_indices(len(y_true), N_RESAMPLES, seed))):
        outcomes = outcomes_of(resampled(y_true, idx), [resampled(p, idx) for p in preds], unit)
        n = len(outcomes[0])
        rates = [sum(not x for x in o) / n for o in outcomes] if n else [math.nan]
        systemic = sum(all(not o[i] for o in outcomes) for i in range(n)) / n if n else math.nan
        homogenization.append(systemic / math.prod(rates) if math.prod(rates) > 0 else math.nan)
        normalised.append(ref_shared_failure(outcomes) if n else math.nan)
    if h.defined:
        assert all(map(same, (h.low, h.high), interval(np.array(homogenization), 0.8)))
    if h.shared_failure.reason is None:
        expected = interval(np.array(normalised), 0.8)
        assert all(map(same, (h.shared_failure.low, h.shared_failure.high), expected))


@settings(max_examples=25, deadline=None)
@given(
    corpora(k=3),
    st.sampled_from(["error_consistency", "yules_q", "shared_failure", "disagreement", "kappa"]),
    st.sampled_from(["entity", "token", "span"]),
    st.integers(0, 2**16),
)
def test_similarity_intervals_match_a_replicate_loop(corpus: Any, by: str, unit: str, seed: int) -> None:
    y_true, preds = corpus
    named = dict(zip("abc", preds, strict=True))
    if by not in ("disagreement", "kappa") and not outcomes_of(y_true, preds, unit)[0]:
        return
    options: dict[str, Any] = {"by": by, "unit": unit} if by not in ("disagreement", "kappa") else {"by": by}
    m = similarity_matrix(y_true, named, confidence=0.8, n_resamples=N_RESAMPLES, seed=seed, **options)
    replicates = []
    for idx in np.concatenate(list(bootstrap_indices(len(y_true), N_RESAMPLES, seed))):
        try:
            drawn = {name: resampled(p, idx) for name, p in named.items()}
            replicates.append(similarity_matrix(resampled(y_true, idx), drawn, **options).values)
        except HomogDataError:  # a resample without units: kappa and Q take their value for identical outcomes
            replicates.append(np.full((3, 3), math.nan if by == "shared_failure" else 1.0))
    stacked = np.array(replicates)
    assert m.low is not None and m.high is not None
    for i, j in combinations(range(3), 2):
        expected = interval(stacked[:, i, j], 0.8)
        assert same(m.low[i, j], expected[0]) and same(m.high[i, j], expected[1])
        assert m.low[j, i] == m.low[i, j] or same(m.low[j, i], m.low[i, j])
    assert np.all(np.diag(m.low) == 1.0)
    assert set(m.to_dict()) == {"by", "names", "values", "n", "low", "high", "confidence"}


# ----------------------------------------------------------------------------------------------------------
# units that see false positives
# ----------------------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(corpora(k=2))
def test_span_units_match_the_direct_definition(corpus: Any) -> None:
    y_true, (a, b) = corpus
    assert unit_outcomes(y_true, a, unit="span").tolist() == ref_span_outcomes(y_true, [a])[0]
    assert unit_outcomes(y_true, a, unit="entity").tolist() == ref_outcomes(y_true, a, "entity")
    rows = ref_span_outcomes(y_true, [a, b])
    if not rows[0]:
        return
    m = similarity_matrix(y_true, {"a": a, "b": b}, unit="span")
    assert same(m.values[0, 1], error_consistency(rows[0], rows[1]).kappa)
    q = similarity_matrix(y_true, {"a": a, "b": b}, unit="span", by="yules_q")
    assert same(q.values[0, 1], yules_q(rows[0], rows[1]))
    estimate = divergence(y_true, a, b, by="error_consistency", unit="span", n_resamples=20)
    assert same(estimate.value, 1.0 - error_consistency(rows[0], rows[1]).kappa)


@settings(max_examples=40, deadline=None)
@given(corpora(k=3))
def test_span_pairs_do_not_depend_on_the_rest_of_the_group(corpus: Any) -> None:
    y_true, preds = corpus
    named = dict(zip("abc", preds, strict=True))
    if not ref_span_outcomes(y_true, preds)[0]:
        return
    group = similarity_matrix(y_true, named, unit="span", by="error_consistency")
    for (i, x), (j, y) in combinations(enumerate("abc"), 2):
        if not ref_span_outcomes(y_true, [named[x], named[y]])[0]:
            continue
        pair = similarity_matrix(y_true, {x: named[x], y: named[y]}, unit="span")
        assert same(group.values[i, j], pair.values[0, 1])


def test_shared_false_positives_count_with_span_units() -> None:
    # both invent the same MISC entity in every sentence and miss different gold entities
    y_true = [["B-PER", "O", "B-LOC", "O"]] * 10
    a = [["B-PER", "O", "O", "B-MISC"]] * 10
    b = [["O", "O", "B-LOC", "B-MISC"]] * 10
    named = {"a": a, "b": b}
    entity = outcome_homogenization(y_true, named, unit="entity")
    assert float(entity) == 0.0 and float(entity.shared_failure) == -1.0  # "they never fail together"
    # span units: PER, LOC and the shared MISC; each fails 2 of 3, together 1 of 3
    h = outcome_homogenization(y_true, named, unit="span")
    assert (h.systemic_failure_rate, h.expected_failure_rate) == pytest.approx((1 / 3, 4 / 9))
    assert float(h.shared_failure) == pytest.approx(-0.5)
    assert h.shared_failures[0] == (0, "MISC", 3, 4) and h.n_units == 30
    assert similarity_matrix(y_true, named, unit="span").values[0, 1] == pytest.approx(-0.5)
    with pytest.raises(HomogUsageError, match="unit='span' needs tag sequences"):
        unit_outcomes(["x"], ["x"], unit="span")


def test_undefined_pairs_come_first() -> None:
    y_true = ["pos"] * 4
    m = similarity_matrix(
        y_true, {"a": ["neg", "neg", "pos", "pos"], "b": ["neg", "pos", "pos", "pos"], "c": y_true}, by="shared_failure"
    )
    assert [pair[:2] for pair in m.pairs()][:2] in ([("a", "c"), ("b", "c")], [("b", "c"), ("a", "c")])
    assert m.pairs()[2] == ("a", "b", 1.0)
    assert m.to_dict()["values"][0] == [1.0, 1.0, None]  # NaN is not JSON
