"""Diversity and homogenization measures against direct, slow reference implementations written here."""

from __future__ import annotations

import sys
import warnings
from itertools import combinations
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2, Entities
from sklearn.metrics import cohen_kappa_score

from pytest_homog.errors import HomogDataError, HomogUsageError, HomogWarning, UndefinedMetricWarning
from pytest_homog.corpus import UnitRef
from pytest_homog.metrics.agreement import (
    cohen_kappa,
    disagreement,
    double_fault,
    error_consistency,
    mcnemar_test,
    unit_outcomes,
    yules_q,
)
from pytest_homog.metrics.homogenization import SimilarityMatrix, outcome_homogenization, similarity_matrix

# random corpora often lack a type that a prediction uses; the label-set warning is tested on its own
pytestmark = pytest.mark.filterwarnings("ignore::pytest_homog.errors.HomogWarning")

TAGS = ["O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG"]


# ---------------------------------------------------------------------------------------------------------- #
# references
# ---------------------------------------------------------------------------------------------------------- #


def ref_entities(sentence: list[str], mode: str = "conlleval") -> set[tuple[str, int, int]]:
    if mode == "strict":
        return {(e.tag, e.start, e.end) for e in Entities([list(sentence)], IOB2).entities[0]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {(t, s, e + 1) for t, s, e in get_entities(list(sentence))}


def ref_outcomes(
    y_true: list[list[str]], y_pred: list[list[str]], unit: str, mode: str = "conlleval"
) -> list[bool]:
    out: list[bool] = []
    for gold, pred in zip(y_true, y_pred, strict=True):
        g, p = ref_entities(gold, mode), ref_entities(pred, mode)
        if unit == "entity":
            out.extend(e in p for e in sorted(g, key=lambda e: (e[2], e[1], e[0])))
        elif unit == "sentence":
            out.append(g == p)
        else:
            out.extend(a == b for a, b in zip(gold, pred, strict=True))
    return out


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


def ref_homogenization(outcomes: list[list[bool]]) -> tuple[float, float, float]:
    n = len(outcomes[0])
    systemic = sum(1 for i in range(n) if all(not o[i] for o in outcomes)) / n
    expected = 1.0
    for o in outcomes:
        expected *= sum(1 for x in o if not x) / n
    return (systemic / expected if expected else 0.0), systemic, expected


def ref_disagreement(a: list[list[str]], b: list[list[str]]) -> float | None:
    ea = {(i, *e) for i, s in enumerate(a) for e in ref_entities(s)}
    eb = {(i, *e) for i, s in enumerate(b) for e in ref_entities(s)}
    union = ea | eb
    return None if not union else 1 - len(ea & eb) / len(union)


# ---------------------------------------------------------------------------------------------------------- #
# strategies
# ---------------------------------------------------------------------------------------------------------- #


@st.composite
def corpora(
    draw: st.DrawFn, k: int = 2, tags: list[str] = TAGS
) -> tuple[list[list[str]], list[list[list[str]]]]:
    lengths = draw(st.lists(st.integers(1, 8), min_size=1, max_size=8))
    sentence = lambda n: st.lists(st.sampled_from(tags), min_size=n, max_size=n)  # noqa: E731
    y_true = [draw(sentence(n)) for n in lengths]
    preds = []
    for _ in range(k):
        # predictions mostly copy the references so that entities are often right
        pred = [[t if draw(st.booleans()) else draw(st.sampled_from(tags)) for t in s] for s in y_true]
        preds.append(pred)
    return y_true, preds


outcome_pairs = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.booleans(), min_size=n, max_size=n), st.lists(st.booleans(), min_size=n, max_size=n)
    )
)


# ---------------------------------------------------------------------------------------------------------- #
# per-unit outcomes
# ---------------------------------------------------------------------------------------------------------- #


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


# ---------------------------------------------------------------------------------------------------------- #
# pairwise measures on outcomes
# ---------------------------------------------------------------------------------------------------------- #


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


# ---------------------------------------------------------------------------------------------------------- #
# pairwise measures on predictions
# ---------------------------------------------------------------------------------------------------------- #


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
@given(
    st.integers(2, 40).flatmap(
        lambda n: st.tuples(*[st.lists(st.sampled_from("abc"), min_size=n, max_size=n)] * 2)
    )
)
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


# ---------------------------------------------------------------------------------------------------------- #
# outcome homogenization
# ---------------------------------------------------------------------------------------------------------- #


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
    assert float(outcome_homogenization(y_true, {"a": a, "b": b, "c": c}, unit="sentence")) == pytest.approx(
        float(h)
    )


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


# ---------------------------------------------------------------------------------------------------------- #
# similarity matrix
# ---------------------------------------------------------------------------------------------------------- #


@settings(max_examples=60, deadline=None)
@given(corpora(k=3))
def test_similarity_matrix_entries_equal_pairwise_measures(corpus: Any) -> None:
    y_true, preds = corpus
    named = dict(zip("abc", preds, strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for unit in ("sentence", "token"):
            ec = similarity_matrix(y_true, named, by="error_consistency", unit=unit)
            yq = similarity_matrix(y_true, named, by="yules_q", unit=unit)
            for (i, x), (j, y) in combinations(enumerate("abc"), 2):
                oa, ob = (
                    unit_outcomes(y_true, named[x], unit=unit),
                    unit_outcomes(y_true, named[y], unit=unit),
                )
                assert ec.values[i, j] == pytest.approx(error_consistency(oa, ob).kappa)
                assert yq.values[i, j] == pytest.approx(yules_q(oa, ob))
        dis = similarity_matrix(y_true, named, by="disagreement")
        kap = similarity_matrix(y_true, named, by="kappa")
        for (i, x), (j, y) in combinations(enumerate("abc"), 2):
            assert dis.values[i, j] == pytest.approx(1 - disagreement(named[x], named[y]))
            assert kap.values[i, j] == pytest.approx(cohen_kappa(named[x], named[y]))
    for m in (ec, yq, dis, kap):
        assert m.names == ("a", "b", "c")
        assert np.array_equal(np.diag(m.values), np.ones(3))
        assert np.allclose(m.values, m.values.T)


def test_similarity_matrix_cka_and_errors() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5))
    m = similarity_matrix(None, {"x": x, "2x": 2 * x, "noise": rng.normal(size=(40, 3))}, by="cka")
    assert m.values[0, 1] == pytest.approx(1.0)
    assert m.values[0, 2] < 0.5
    with pytest.raises(HomogUsageError, match="by must be one of"):
        similarity_matrix([["O"]], {"a": [["O"]], "b": [["O"]]}, by="double_fault")
    with pytest.raises(HomogUsageError, match="two or more"):
        similarity_matrix(None, {"x": x}, by="cka")


def test_similarity_matrix_undefined_pairs_warn_once() -> None:
    y_true = [["B-PER", "O"], ["B-LOC", "O"]]
    with pytest.warns(UndefinedMetricWarning, match=r"c_exp = 1.*\('a', 'b'\)"):
        m = similarity_matrix(y_true, {"a": y_true, "b": y_true, "c": [["O", "O"], ["B-LOC", "O"]]})
    assert m.values[0, 1] == 1.0


def test_markdown_and_plot(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    m = SimilarityMatrix(("a", "b"), np.array([[1.0, -0.125], [-0.125, 1.0]]), "error_consistency", 10)
    assert m.to_markdown(digits=2).splitlines()[2] == "| a | 1.00 | -0.12 |"
    assert m.pairs() == [("a", "b", -0.125)]
    assert m.to_dict()["values"] == [[1.0, -0.125], [-0.125, 1.0]]
    png = m.plot()
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG")
    path = m.plot(tmp_path / "m.png")
    assert path == tmp_path / "m.png" and path.read_bytes().startswith(b"\x89PNG")
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(HomogUsageError, match=r"pip install 'pytest-homog\[plot\]'"):
        m.plot()
