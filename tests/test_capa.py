"""CAPA against the reference formula (Goel et al. 2025), for labels and per word for tags."""

from __future__ import annotations

import math
import warnings
from itertools import combinations, pairwise
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_homog import capa, similarity_matrix
from pytest_homog.errors import HomogDataError, HomogUsageError, UndefinedMetricWarning
from pytest_homog.metrics.bootstrap import bootstrap_indices
from pytest_homog.metrics.group_counts import interval


def reference_capa(gold: list[int], a: list[list[float]], b: list[list[float]]) -> float:
    """The definition, unit by unit: c_obs, c_exp with mean(1 / (K_i - 1)), kappa_p."""
    n = len(gold)
    c_obs = sum(sum(pa * pb for pa, pb in zip(a[i], b[i], strict=True)) for i in range(n)) / n
    pbar_a = sum(a[i][gold[i]] for i in range(n)) / n
    pbar_b = sum(b[i][gold[i]] for i in range(n)) / n
    share = sum(1 / (len(a[i]) - 1) for i in range(n)) / n
    c_exp = pbar_a * pbar_b + share * (1 - pbar_a) * (1 - pbar_b)
    return (c_obs - c_exp) / (1 - c_exp) if c_exp < 1 else math.nan


@st.composite
def probabilities(draw: st.DrawFn, n: int, k: int) -> np.ndarray:
    weights = draw(st.lists(st.lists(st.integers(0, 9), min_size=k, max_size=k), min_size=n, max_size=n))
    rows = np.array(weights, dtype=np.float64) + np.eye(k)[0]  # no all-zero row
    return rows / rows.sum(axis=1, keepdims=True)


@st.composite
def labelled(draw: st.DrawFn) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    k = draw(st.integers(2, 5))
    n = draw(st.integers(1, 30))
    labels = [f"L{i}" for i in range(k)]
    gold = draw(st.lists(st.sampled_from(labels), min_size=n, max_size=n))
    return gold, draw(probabilities(n, k)), draw(probabilities(n, k)), labels


@settings(max_examples=150, deadline=None)
@given(labelled())
def test_capa_matches_the_reference_formula(data: Any) -> None:
    gold, a, b, labels = data
    index = [labels.index(g) for g in gold]
    expected = reference_capa(index, a.tolist(), b.tolist())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = capa(gold, a, b, labels=labels)
        by_index = capa(index, a, b)
    # the warning comes exactly when the measure is undefined
    assert len(caught) == (2 if math.isnan(expected) else 0)
    assert (math.isnan(result.kappa) and math.isnan(expected)) or result.kappa == pytest.approx(expected, abs=1e-12)
    assert by_index.c_obs == pytest.approx(result.c_obs) and result.n == len(gold)


@pytest.mark.filterwarnings("ignore::pytest_homog.errors.UndefinedMetricWarning")
@settings(max_examples=60, deadline=None)
@given(labelled(), st.lists(st.integers(0, 4), min_size=1, max_size=6), st.integers(0, 2**16))
def test_capa_per_word_pools_words_and_resamples_sentences(data: Any, cuts: list[int], seed: int) -> None:
    gold, a, b, labels = data
    # cut the examples into sentences (some empty) and read them as tags
    bounds = sorted({min(c * 5, len(gold)) for c in cuts} | {0, len(gold)})
    spans = [*pairwise(bounds), (len(gold), len(gold))]
    y_true = [gold[s:e] for s, e in spans]
    per_word = capa(y_true, [a[s:e] for s, e in spans], [b[s:e] for s, e in spans], labels=labels)
    flat = capa(gold, a, b, labels=labels)
    np.testing.assert_allclose(
        [per_word.kappa, per_word.c_obs, per_word.c_exp], [flat.kappa, flat.c_obs, flat.c_exp], equal_nan=True
    )
    with_interval = capa(
        y_true, [a[s:e] for s, e in spans], [b[s:e] for s, e in spans], labels=labels, confidence=0.8,
        n_resamples=20, seed=seed,
    )  # fmt: skip
    replicates = []
    for idx in np.concatenate(list(bootstrap_indices(len(y_true), 20, seed))):
        words = [w for i in idx.tolist() for w in range(*spans[i])]
        if not words:
            replicates.append(math.nan)
            continue
        replicates.append(reference_capa([labels.index(gold[w]) for w in words], a[words].tolist(), b[words].tolist()))
    expected = interval(np.array(replicates), 0.8)
    for mine, theirs in zip((with_interval.low, with_interval.high), expected, strict=True):
        assert mine is not None
        assert (math.isnan(mine) and math.isnan(theirs)) or mine == pytest.approx(theirs, abs=1e-12)


def test_capa_hand_computed_and_undefined() -> None:
    same = [[1.0, 0.0], [0.0, 1.0]]
    # two certain, identical subjects that are always right: c_exp = 1
    with pytest.warns(UndefinedMetricWarning, match=r"c_exp = 1"):
        assert math.isnan(capa([0, 1], same, same).kappa)
    # certain, identical and always wrong on two labels: c_obs = 1, c_exp = 1 as well
    with pytest.warns(UndefinedMetricWarning):
        capa([1, 0], same, same)
    # certain, identical, half right: c_obs = 1, c_exp = 1/4 + 1/4 -> kappa 1
    assert capa([0, 0], same, same).kappa == 1.0
    # uniform subjects: c_obs = 1/3, pbar = 1/3, c_exp = 1/9 + 1/2 * 4/9 = 1/3 -> kappa 0
    uniform = [[1 / 3] * 3] * 4
    assert capa([0, 1, 2, 0], uniform, uniform).kappa == pytest.approx(0.0, abs=1e-12)


def test_capa_input_errors() -> None:
    good = [[0.5, 0.5], [0.2, 0.8]]
    with pytest.raises(HomogDataError, match=r"row 1 is \[0.2, 0.9\] \(sum 1.1\).*not logits"):
        capa(["a", "b"], good, [[0.5, 0.5], [0.2, 0.9]], labels=["a", "b"])
    with pytest.raises(HomogDataError, match=r"proba_b must be an array of shape \(2, 2\).*got shape \(2, 3\)"):
        capa(["a", "b"], good, [[0.5, 0.5, 0.0]] * 2, labels=["a", "b"])
    with pytest.raises(HomogDataError, match=r"not among labels=.*\['c'\]"):
        capa(["a", "c"], good, good, labels=["a", "b"])
    with pytest.raises(HomogUsageError, match="name each of the 2 probability columns once"):
        capa(["a", "b"], good, good, labels=["a", "a"])
    with pytest.raises(HomogUsageError, match="needs labels="):
        capa(["a", "b"], good, good)
    with pytest.raises(HomogDataError, match="at least 2 labels"):
        capa([0, 0], [[1.0], [1.0]], [[1.0], [1.0]])
    with pytest.raises(HomogDataError, match="sentence 0 has 2 tags but proba_a has 1 rows"):
        capa([["B-X", "O"]], [np.array([[0.5, 0.5]])], [np.array([[0.5, 0.5]] * 2)], labels=["B-X", "O"])
    with pytest.raises(HomogDataError, match="y_true has 1 sentences, proba_b 2"):
        capa([["O"]], [np.array([[0.5, 0.5]])], [np.array([[0.5, 0.5]])] * 2, labels=["B-X", "O"])
    with pytest.raises(HomogDataError, match="y_true is empty"):
        capa([], [], [], labels=["a", "b"])


@pytest.mark.filterwarnings("ignore::pytest_homog.errors.UndefinedMetricWarning")
@settings(max_examples=40, deadline=None)
@given(labelled(), st.integers(0, 2**16))
def test_capa_matrix_entries_and_intervals_equal_pairwise_capa(data: Any, seed: int) -> None:
    gold, a, b, labels = data
    named = {"a": a, "b": b, "c": (a + b) / 2}
    m = similarity_matrix(gold, named, by="capa", labels=labels, confidence=0.9, n_resamples=30, seed=seed)
    assert m.names == ("a", "b", "c") and m.n == len(gold) and m.low is not None and m.high is not None
    for (i, x), (j, y) in combinations(enumerate("abc"), 2):
        pair = capa(gold, named[x], named[y], labels=labels, confidence=0.9, n_resamples=30, seed=seed)
        np.testing.assert_allclose(
            [m.values[i, j], m.low[i, j], m.high[i, j]], [pair.kappa, pair.low, pair.high], equal_nan=True
        )
    with pytest.raises(HomogUsageError, match=r"similarity_matrix\(by='capa'\) compares two or more"):
        similarity_matrix(gold, {"a": a}, by="capa", labels=labels)
    with pytest.raises(HomogDataError, match="probabilities of 'b' must be an array of shape"):
        similarity_matrix(gold, {"a": a, "b": a[:, :1]}, by="capa", labels=labels)


def test_similarity_of_predictions_refuses_capa() -> None:
    from pytest_homog.metrics.group import bind_group
    from pytest_homog.metrics.similarity import similarity_of

    group = bind_group(["a", "b"], {"x": ["a", "b"], "y": ["b", "b"]}, "IOB2", "conlleval", "test")
    with pytest.raises(HomogUsageError, match="by='capa' compares probabilities, not predictions"):
        similarity_of(group, "capa", None, None)


# -- models give their probabilities: by="capa" on the fixtures' models ------------------------------------------


def tiny_tagger(base: Any, seed: int) -> Any:
    """A token classifier built from the tiny base's configuration, with weights drawn from ``seed``."""
    import torch
    from _tiny import TINY_LABELS
    from transformers import AutoConfig, BertForTokenClassification

    torch.manual_seed(seed)
    config = AutoConfig.from_pretrained(
        base, id2label=dict(enumerate(TINY_LABELS)), label2id={tag: i for i, tag in enumerate(TINY_LABELS)}
    )
    return BertForTokenClassification(config).eval()


def probabilities_by_hand(network: Any, tokenizer: Any, sentences: list[list[str]]) -> list[np.ndarray]:
    """The softmax at each word's first sub-token, one sentence at a time, without pytest-homog."""
    import torch

    out = []
    for words in sentences:
        encoded = tokenizer([words], is_split_into_words=True, return_tensors="pt", truncation=True)
        with torch.no_grad():
            soft = torch.softmax(network(**encoded).logits[0], dim=-1).numpy()
        firsts = {}
        for position, word in enumerate(encoded.word_ids(0)):
            if word is not None:
                firsts.setdefault(word, position)
        out.append(np.stack([soft[firsts[w]] for w in range(len(words))]))
    return out


@pytest.fixture(scope="module")
def tiny_models(tiny_world, tmp_path_factory):
    from _tiny import TINY_LABELS

    from pytest_homog.config import HomogConfig
    from pytest_homog.models.load import load_tokenizer
    from pytest_homog.models.session import ModelSession

    cache = tmp_path_factory.mktemp("cache")
    session = ModelSession(HomogConfig(enabled=True, device="cpu", cache_dir=cache), report=lambda m: None)
    tokenizer = load_tokenizer(tiny_world["base"])
    networks = [tiny_tagger(tiny_world["base"], seed) for seed in (0, 1)]
    models = [session.model(network, tokenizer=tokenizer, name=f"seed{i}") for i, network in enumerate(networks)]
    data = session.dataset(str(tiny_world["test"]))
    sentences = data["tokens"]
    by_hand = [probabilities_by_hand(network, tokenizer, sentences) for network in networks]
    names = data.features["tags"].feature.names
    y_true = [[names[t] for t in row] for row in data["tags"]]
    return models, data, y_true, by_hand, TINY_LABELS


def test_capa_of_model_subjects_equals_capa_of_their_probabilities_by_hand(tiny_models):
    from pytest_homog import assert_models_diverge

    (a, b), data, y_true, (proba_a, proba_b), labels = tiny_models
    expected = capa(y_true, proba_a, proba_b, labels=labels, confidence=0.95, seed=0)
    matrix = similarity_matrix(data, {"a": a, "b": b}, by="capa", confidence=0.95, seed=0)
    assert matrix.values[0, 1] == pytest.approx(expected.kappa, abs=1e-6)
    assert (matrix.low[0, 1], matrix.high[0, 1]) == pytest.approx((expected.low, expected.high), abs=1e-6)
    gap = 1 - expected.kappa
    record = assert_models_diverge(a, b, data, min_gap=min(gap, 1.0) / 2, by="capa", confidence=None)
    assert record.value == pytest.approx(gap, abs=1e-6) and record.metric == "1-capa"
    assert record.details["interval_low"] == pytest.approx(1 - expected.high, abs=1e-6)


def test_capa_of_models_and_predictions_together_is_refused(tiny_models):
    (a, _), data, y_true, _, _ = tiny_models
    with pytest.raises(HomogUsageError, match=r"\['rules'\] give none .*homog_probabilities"):
        similarity_matrix(data, {"a": a, "rules": y_true}, by="capa")
