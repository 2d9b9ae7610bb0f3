"""Outcome homogenization, and what every group measure shares: checking the group, the label-set warnings."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from _group_corpora import corpora, ref_outcomes
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_homog.corpus import UnitRef
from pytest_homog.errors import HomogDataError, HomogUsageError, HomogWarning, UndefinedMetricWarning
from pytest_homog.metrics.homogenization import outcome_homogenization, similarity_matrix

# random corpora often lack a type that a prediction uses; the label-set warning is tested on its own
pytestmark = pytest.mark.filterwarnings("ignore::pytest_homog.errors.HomogWarning")


def ref_homogenization(outcomes: list[list[bool]]) -> tuple[float, float, float]:
    n = len(outcomes[0])
    systemic = sum(1 for i in range(n) if all(not o[i] for o in outcomes)) / n
    expected = 1.0
    for o in outcomes:
        expected *= sum(1 for x in o if not x) / n
    return (systemic / expected if expected else 0.0), systemic, expected


@settings(max_examples=100, deadline=None)
@given(corpora(k=3), st.sampled_from(["entity", "sentence", "token"]))
def test_homogenization_matches_reference(corpus: Any, unit: str) -> None:
    y_true, preds = corpus
    outcomes = [ref_outcomes(y_true, p, unit) for p in preds]
    if not outcomes[0]:
        with pytest.raises(HomogDataError, match="no entity units"):
            outcome_homogenization(y_true, {"a": preds[0], "b": preds[1]}, unit=unit)
        return
    value, systemic, expected = ref_homogenization(outcomes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        h = outcome_homogenization(y_true, dict(zip("abc", preds, strict=True)), unit=unit)
    assert float(h) == pytest.approx(value)
    assert h.systemic_failure_rate == pytest.approx(systemic)
    assert h.expected_failure_rate == pytest.approx(expected)
    assert h.defined == (expected > 0)
    assert len(h.shared_failures) == round(systemic * len(outcomes[0]))


def test_homogenization_hand_computed() -> None:
    # 5 gold entities; a fails #1 #2 #3, b fails #2 #3, c fails #3 #4
    y_true = [["B-PER"], ["B-LOC"], ["B-ORG"], ["B-PER"], ["B-LOC"]]
    a = [["B-PER"], ["O"], ["O"], ["O"], ["B-LOC"]]
    b = [["B-PER"], ["B-LOC"], ["O"], ["O"], ["B-LOC"]]
    c = [["B-PER"], ["B-LOC"], ["B-ORG"], ["O"], ["O"]]
    h = outcome_homogenization(y_true, {"a": a, "b": b, "c": c})
    # systemic: only #3 (sentence 3) is failed by all -> 1/5; expected: 3/5 * 2/5 * 2/5 = 12/125
    assert h.systemic_failure_rate == pytest.approx(0.2)
    assert h.expected_failure_rate == pytest.approx(12 / 125)
    assert float(h) == pytest.approx(0.2 / (12 / 125))
    assert h.failure_rates == pytest.approx({"a": 0.6, "b": 0.4, "c": 0.4})
    assert h.shared_failures == [UnitRef(3, "PER", 0, 1)]
    assert h.n_units == 5 and h.unit == "entity"
    # sentence unit on the same data gives the same picture, token too (one token per sentence)
    assert float(outcome_homogenization(y_true, {"a": a, "b": b, "c": c}, unit="sentence")) == pytest.approx(float(h))


def _simulate(seed: int, shared: float) -> float:
    # three classifiers on 3,000 examples; each fails an example independently with its own rate, and with
    # probability `shared` an example is hard and failed by all
    rng = np.random.default_rng(seed)
    n = 3000
    y_true = ["pos"] * n
    hard = rng.random(n) < shared
    preds = {}
    for name, rate in (("a", 0.3), ("b", 0.4), ("c", 0.5)):
        fail = (rng.random(n) < rate) | hard
        preds[name] = np.where(fail, "neg", "pos").tolist()
    return float(outcome_homogenization(y_true, preds))


def test_homogenization_is_one_for_independent_failures() -> None:
    # With independent failures E[systemic] = expected; the ratio of the two estimates has a relative spread
    # of about 1 / sqrt(n * 0.06) = 7.5 % per run (all-fail count ~ Binomial(3000, 0.06)), so the mean of 40
    # runs has a standard error near 1.2 %; 0.05 is four standard errors. The ratio's bias is O(1/n).
    values = [_simulate(seed, shared=0.0) for seed in range(40)]
    assert np.mean(values) == pytest.approx(1.0, abs=0.05)


def test_homogenization_above_one_when_failures_are_shared() -> None:
    # 10 % of examples failed by every model: systemic >= 0.1 + 0.9 * 0.06, expected = 0.37 * 0.46 * 0.55
    values = [_simulate(seed, shared=0.1) for seed in range(5)]
    assert min(values) > 1.5


def test_homogenization_undefined_when_a_model_is_perfect() -> None:
    y_true = [["B-PER", "O"], ["B-LOC", "O"]]
    with pytest.warns(UndefinedMetricWarning, match=r"subject\(s\) \['a', 'b'\] get every entity right"):
        h = outcome_homogenization(y_true, {"a": y_true, "b": y_true})
    assert float(h) == 0.0 and not h.defined
    with pytest.warns(UndefinedMetricWarning, match=r"\['a'\]"):
        h = outcome_homogenization(y_true, {"a": y_true, "b": [["O", "O"], ["O", "O"]]})
    assert float(h) == 0.0 and h.systemic_failure_rate == 0.0


def test_group_errors() -> None:
    y_true = [["B-PER", "O"], ["B-LOC", "O"]]
    with pytest.raises(HomogUsageError, match="two or more subjects; got 1"):
        outcome_homogenization(y_true, {"a": y_true})
    with pytest.raises(HomogUsageError, match="mapping of subject name"):
        similarity_matrix(y_true, [y_true, y_true])
    with pytest.raises(HomogDataError, match=r"subject 'b'.*2 sentences but y_pred has 1"):
        similarity_matrix(y_true, {"a": y_true, "b": y_true[:1]})
    with pytest.raises(HomogDataError, match=r"subject 'b'.*sentence 1 has 2 tags"):
        outcome_homogenization(y_true, {"a": y_true, "b": [["B-PER", "O"], ["O"]]})


def test_label_sets() -> None:
    y_true = [["B-person", "O"], ["B-location", "O"]]
    other = [["B-PER", "O"], ["B-location", "O"]]
    with pytest.warns(HomogWarning, match=r"subject 'b' predicts entity types that never occur.*\['PER'\]"):
        similarity_matrix(y_true, {"a": y_true, "b": other})
    disjoint = [["B-PER", "O"], ["B-LOC", "O"]]
    with pytest.warns(HomogWarning, match="none of which occur in the references"):
        h = outcome_homogenization(y_true, {"a": y_true, "b": disjoint})
    assert h.failure_rates["b"] == 1.0
