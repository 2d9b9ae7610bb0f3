"""Same wrong answer (Kim et al. 2025) against a direct count."""

from __future__ import annotations

import math
from contextlib import nullcontext
from typing import Any

import pytest
from _group_corpora import corpora, ref_entities
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_homog import same_wrong_answer
from pytest_homog.errors import HomogDataError, HomogUsageError, UndefinedMetricWarning

pytestmark = pytest.mark.filterwarnings("ignore::pytest_homog.errors.HomogWarning")


def reference(units: list[tuple[Any, Any, Any, bool, bool]]) -> tuple[float, float, int]:
    """Rate, chance rate and count from (gold, output a, output b, a fails, b fails) per unit."""
    both = [u for u in units if u[3] and u[4]]
    if not both:
        return math.nan, math.nan, 0

    def share(index: int, fail: int, gold: Any, output: Any) -> float:
        failed = [u for u in units if u[fail] and u[0] == gold]
        return sum(u[index] == output for u in failed) / len(failed)

    outputs = {u[1] for u in units} | {u[2] for u in units}
    chance = sum(sum(share(1, 3, g, o) * share(2, 4, g, o) for o in outputs) for g, *_ in both) / len(both)
    return sum(u[1] == u[2] for u in both) / len(both), chance, len(both)


def entity_units(y_true: Any, a: Any, b: Any, spans: bool) -> list[tuple[Any, Any, Any, bool, bool]]:
    units = []
    for gold, pa, pb in zip(y_true, a, b, strict=True):
        g, ea, eb = ref_entities(gold), ref_entities(pa), ref_entities(pb)
        for entity in sorted(g | ((ea | eb) if spans else set()), key=lambda e: (e[2], e[1], e[0])):
            _, start, end = entity
            in_gold = entity in g
            fail_a, fail_b = (entity in ea) != in_gold, (entity in eb) != in_gold
            units.append((tuple(gold[start:end]), tuple(pa[start:end]), tuple(pb[start:end]), fail_a, fail_b))
    return units


@settings(max_examples=100, deadline=None)
@given(corpora(k=2), st.sampled_from(["entity", "span", "token"]))
def test_same_wrong_answer_matches_a_direct_count(corpus: Any, unit: str) -> None:
    y_true, (a, b) = corpus
    if unit == "token":
        units = [
            (g, x, y, x != g, y != g)
            for sg, sa, sb in zip(y_true, a, b, strict=True)
            for g, x, y in zip(sg, sa, sb, strict=True)
        ]
    else:
        units = entity_units(y_true, a, b, spans=unit == "span")
    if not units:
        with pytest.raises(HomogDataError, match=f"there are no {unit} units"):
            same_wrong_answer(y_true, a, b, unit=unit)
        return
    rate, chance, n_both = reference(units)
    with pytest.warns(UndefinedMetricWarning) if n_both == 0 else nullcontext():
        result = same_wrong_answer(y_true, a, b, unit=unit)
    assert result.n_both_wrong == n_both and result.n_units == len(units)
    for mine, theirs in ((result.rate, rate), (result.chance_rate, chance)):
        assert (math.isnan(mine) and math.isnan(theirs)) or mine == pytest.approx(theirs, abs=1e-12)


def test_same_wrong_answer_on_labels_and_errors() -> None:
    y_true = ["cat", "cat", "dog", "dog", "cat"]
    # both fail the same four examples, always with the same wrong label: rate 1, chance below it
    a = ["dog", "bird", "cat", "bird", "cat"]
    result = same_wrong_answer(y_true, a, list(a))
    assert (result.rate, result.n_same, result.unit) == (1.0, 4, "example")
    assert result.chance_rate == pytest.approx(0.5)
    with pytest.warns(UndefinedMetricWarning, match="no unit is failed by both"):
        assert math.isnan(same_wrong_answer(y_true, y_true, a).rate)
    with pytest.raises(HomogUsageError, match="no chance rate for unit='sentence'"):
        same_wrong_answer([["O"]], [["O"]], [["O"]], unit="sentence")


@settings(max_examples=60, deadline=None)
@given(corpora(k=3), st.sampled_from(["entity", "span", "token"]))
def test_the_similarity_matrix_by_same_wrong_answer_is_each_pairs_rate(corpus: Any, unit: str) -> None:
    import itertools
    import warnings

    from pytest_homog import similarity_matrix

    y_true, preds = corpus
    named = dict(zip("abc", preds, strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        try:
            matrix = similarity_matrix(y_true, named, by="same_wrong_answer", unit=unit)
        except HomogDataError:  # no units: the pairwise measure says the same
            with pytest.raises(HomogDataError, match="there are no"):
                same_wrong_answer(y_true, named["a"], named["b"], unit=unit)
            return
        for (i, first), (j, second) in itertools.combinations(enumerate(named), 2):
            rate = same_wrong_answer(y_true, named[first], named[second], unit=unit).rate
            value = matrix.values[i, j]
            assert (math.isnan(rate) and math.isnan(value)) or value == pytest.approx(rate, abs=1e-12)
    assert matrix.values.diagonal().tolist() == [1.0, 1.0, 1.0]


def test_the_same_wrong_answer_interval_resamples_sentences() -> None:
    import warnings

    import numpy as np

    from pytest_homog import similarity_matrix
    from pytest_homog.metrics.bootstrap import bootstrap_indices

    gold = [["B-PER", "O"], ["B-LOC", "I-LOC"], ["O", "B-ORG"], ["B-PER", "I-PER"]] * 5
    a = [["O", "O"], ["B-PER", "I-PER"], ["O", "O"], ["B-PER", "O"]] * 5
    b = [["O", "O"], ["B-PER", "I-PER"], ["O", "B-LOC"], ["B-LOC", "I-LOC"]] * 5
    matrix = similarity_matrix(gold, {"a": a, "b": b}, by="same_wrong_answer", confidence=0.9, n_resamples=50, seed=1)
    rates = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # a resample where the pair fails nothing together
        for row in np.concatenate(list(bootstrap_indices(len(gold), 50, 1))):
            pick = row.tolist()
            rates.append(same_wrong_answer([gold[i] for i in pick], [a[i] for i in pick], [b[i] for i in pick]).rate)
    low, high = np.nanquantile(rates, [0.05, 0.95])
    assert (matrix.low[0, 1], matrix.high[0, 1]) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    with pytest.raises(HomogUsageError, match="unit='sentence' has none"):
        similarity_matrix(gold, {"a": a, "b": b}, by="same_wrong_answer", unit="sentence")

