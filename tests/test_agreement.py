"""Pairwise measures: unit outcomes, error consistency, double fault, Yule's Q, McNemar, disagreement, kappa."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from _group_corpora import corpora, ref_entities, ref_outcomes
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest
from sklearn.metrics import cohen_kappa_score

from pytest_homog.errors import HomogDataError, HomogUsageError, UndefinedMetricWarning
from pytest_homog.metrics.agreement import (
    cohen_kappa,
    disagreement,
    double_fault,
    error_consistency,
    mcnemar_test,
    unit_outcomes,
    yules_q,
)

# random corpora often lack a type that a prediction uses; the label-set warning is tested on its own
pytestmark = pytest.mark.filterwarnings("ignore::pytest_homog.errors.HomogWarning")


def ref_error_consistency(a: list[bool], b: list[bool]) -> tuple[float, float, float]:
    n = len(a)
    c_obs = sum(1 for x, y in zip(a, b, strict=True) if x == y) / n
    pa, pb = sum(a) / n, sum(b) / n
    c_exp = pa * pb + (1 - pa) * (1 - pb)
    kappa = 1.0 if c_exp == 1 else (c_obs - c_exp) / (1 - c_exp)
    return c_obs, c_exp, kappa


def ref_counts(a: list[bool], b: list[bool]) -> tuple[int, int, int, int]:
    n11 = sum(1 for x, y in zip(a, b, strict=True) if x and y)
    n00 = sum(1 for x, y in zip(a, b, strict=True) if not x and not y)
    n10 = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    n01 = sum(1 for x, y in zip(a, b, strict=True) if not x and y)
    return n11, n00, n10, n01


def ref_disagreement(a: list[list[str]], b: list[list[str]]) -> float | None:
    ea = {(i, *e) for i, s in enumerate(a) for e in ref_entities(s)}
    eb = {(i, *e) for i, s in enumerate(b) for e in ref_entities(s)}
    union = ea | eb
    return None if not union else 1 - len(ea & eb) / len(union)


outcome_pairs = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.booleans(), min_size=n, max_size=n), st.lists(st.booleans(), min_size=n, max_size=n)
    )
)


@settings(max_examples=150, deadline=None)
@given(corpora(k=1), st.sampled_from(["entity", "sentence", "token"]))
def test_unit_outcomes_match_reference(corpus: Any, unit: str) -> None:
    y_true, (y_pred,) = corpus
    assert unit_outcomes(y_true, y_pred, unit=unit).tolist() == ref_outcomes(y_true, y_pred, unit)


@settings(max_examples=100, deadline=None)
@given(corpora(k=1, tags=["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]))
def test_unit_outcomes_strict_mode(corpus: Any) -> None:
    y_true, (y_pred,) = corpus
    got = unit_outcomes(y_true, y_pred, unit="entity", mode="strict")
    assert got.tolist() == ref_outcomes(y_true, y_pred, "entity", mode="strict")


def test_unit_outcomes_hand_cases() -> None:
    y_true = [["B-PER", "I-PER", "O"], ["O", "O"], ["B-LOC", "O"]]
    y_pred = [["B-PER", "O", "O"], ["B-ORG", "O"], ["B-LOC", "O"]]
    assert unit_outcomes(y_true, y_pred).tolist() == [False, True]  # PER span wrong, LOC right
    # the middle sentence has no gold entity but a predicted one: wrong as a sentence
    assert unit_outcomes(y_true, y_pred, unit="sentence").tolist() == [False, False, True]
    assert unit_outcomes(y_true, y_pred, unit="token").tolist() == [
        True,
        False,
        True,
        False,
        True,
        True,
        True,
    ]
    assert unit_outcomes(["a", "b", "a"], ["a", "a", "a"]).tolist() == [True, False, True]


def test_unit_errors() -> None:
    with pytest.raises(HomogUsageError, match="unit must be one of"):
        unit_outcomes([["O"]], [["O"]], unit="word")
    with pytest.raises(HomogUsageError, match="unit='example' is for flat labels"):
        unit_outcomes([["O"]], [["O"]], unit="example")
    with pytest.raises(HomogUsageError, match="needs tag sequences"):
        unit_outcomes(["a"], ["a"], unit="entity")
    with pytest.raises(HomogDataError, match="sentence 1 has 2 tags"):
        unit_outcomes([["O"], ["O", "O"]], [["O"], ["O"]])
    with pytest.raises(HomogDataError, match="1 sentences but y_pred has 2"):
        unit_outcomes([["O"]], [["O"], ["O"]])


@settings(max_examples=200, deadline=None)
@given(outcome_pairs)
def test_error_consistency_matches_reference(pair: tuple[list[bool], list[bool]]) -> None:
    a, b = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        got = error_consistency(a, b)
    c_obs, c_exp, kappa = ref_error_consistency(a, b)
    assert got.n == len(a)
    assert got.c_obs == pytest.approx(c_obs, abs=1e-12)
    assert got.c_exp == pytest.approx(c_exp, abs=1e-12)
    assert got.kappa == pytest.approx(kappa, abs=1e-9)
    assert -1.0 - 1e-12 <= got.kappa <= 1.0 + 1e-12


def test_error_consistency_undefined_case_warns_and_reports_one() -> None:
    for outcome in (True, False):
        with pytest.warns(UndefinedMetricWarning, match="c_exp = 1"):
            ec = error_consistency([outcome] * 5, [outcome] * 5)
        assert (ec.c_obs, ec.c_exp, ec.kappa) == (1.0, 1.0, 1.0)
    # opposite constant outcomes are defined: c_exp = 0, kappa = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert error_consistency([True] * 3, [False] * 3).kappa == 0.0


@settings(max_examples=200, deadline=None)
@given(outcome_pairs)
def test_double_fault_and_yules_q_match_reference(pair: tuple[list[bool], list[bool]]) -> None:
    a, b = pair
    n11, n00, n10, n01 = ref_counts(a, b)
    assert double_fault(a, b) == pytest.approx(n00 / len(a))
    den = n11 * n00 + n10 * n01
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        q = yules_q(a, b)
    if den:
        assert q == pytest.approx((n11 * n00 - n10 * n01) / den)
        assert not caught
    else:
        assert q == (1.0 if a == b else 0.0)
        assert any(issubclass(w.category, UndefinedMetricWarning) for w in caught)


@settings(max_examples=200, deadline=None)
@given(outcome_pairs)
def test_mcnemar_matches_scipy(pair: tuple[list[bool], list[bool]]) -> None:
    a, b = pair
    _, _, n10, n01 = ref_counts(a, b)
    result = mcnemar_test(a, b)
    assert (result.only_a, result.only_b) == (n10, n01)
    expected = 1.0 if n10 + n01 == 0 else binomtest(n10, n10 + n01, 0.5).pvalue
    assert result.p_value == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_mcnemar_large_counts_do_not_underflow() -> None:
    a = np.array([True] * 5000 + [False] * 4900)
    b = ~a
    assert mcnemar_test(a, b).p_value == pytest.approx(binomtest(4900, 9900, 0.5).pvalue, rel=1e-6)


def test_outcome_argument_errors() -> None:
    with pytest.raises(HomogDataError, match="same units"):
        error_consistency([True], [True, False])
    with pytest.raises(HomogDataError, match="no units"):
        double_fault([], [])
    with pytest.raises(HomogDataError, match="must hold booleans"):
        yules_q([0, 2], [1, 1])
    with pytest.raises(HomogDataError, match="1-D"):
        mcnemar_test([[True]], [[True]])


@settings(max_examples=150, deadline=None)
@given(corpora(k=2))
def test_disagreement_matches_reference(corpus: Any) -> None:
    _, (a, b) = corpus
    expected = ref_disagreement(a, b)
    if expected is None:
        with pytest.warns(UndefinedMetricWarning, match="neither prediction contains an entity"):
            assert disagreement(a, b) == 0.0
    else:
        assert disagreement(a, b) == pytest.approx(expected)
    flat_a = [t for s in a for t in s]
    flat_b = [t for s in b for t in s]
    token = sum(x != y for x, y in zip(flat_a, flat_b, strict=True)) / len(flat_a)
    assert disagreement(a, b, level="token") == pytest.approx(token)
    assert disagreement(flat_a, flat_b) == pytest.approx(token)  # flat input: label level


def test_disagreement_counts_over_the_corpus() -> None:
    # sentence 0 agrees on 2 entities, sentence 1 disagrees on 1: corpus-level 1 - 2/3, not a sentence mean
    a = [["B-PER", "O", "B-LOC"], ["B-ORG"]]
    b = [["B-PER", "O", "B-LOC"], ["O"]]
    assert disagreement(a, b) == pytest.approx(1 / 3)
    with pytest.raises(HomogUsageError, match="level='label' needs flat labels"):
        disagreement(a, b, level="label")


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 40).flatmap(lambda n: st.tuples(*[st.lists(st.sampled_from("abc"), min_size=n, max_size=n)] * 2)))
def test_cohen_kappa_matches_sklearn(pair: tuple[list[str], list[str]]) -> None:
    a, b = pair
    if len(set(a) | set(b)) == 1:
        with pytest.warns(UndefinedMetricWarning, match="same single label"):
            assert cohen_kappa(a, b) == 1.0
        return
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


def test_cohen_kappa_on_tags_is_token_level() -> None:
    a = [["B-PER", "O"], ["O", "B-LOC", "I-LOC"]]
    b = [["B-PER", "B-PER"], ["O", "B-LOC", "O"]]
    flat_a = [t for s in a for t in s]
    flat_b = [t for s in b for t in s]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(flat_a, flat_b))


def test_outcomes_of_the_wrong_shape_say_what_to_pass() -> None:
    with pytest.raises(HomogDataError, match=r"got shape \(2, 2\)\. Pass one boolean per unit"):
        error_consistency([[True, False], [True, True]], [True, False])
