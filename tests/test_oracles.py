"""The metrics against independent oracles on generated and hand-written input.

Oracles: a transliteration of conlleval.pl's chunk rules, seqeval, scikit-learn, scipy's percentile and BCa bootstrap,
and every measure recomputed from scratch (direct formulas) on each resampled corpus.
"""

from __future__ import annotations

import math
import warnings
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
import seqeval.metrics as sq
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import BILOU, IOB1, IOB2, IOBES, IOE1, IOE2, Entities
from sklearn.metrics import precision_recall_fscore_support

from pytest_homog.metrics.agreement import divergence
from pytest_homog.metrics.bootstrap import Resampler, bootstrap_indices, compare, replicate_values, score
from pytest_homog.metrics.counts import unit_counts
from pytest_homog.metrics.quality import check_zero_division, f1_score, precision_score, recall_score
from pytest_homog.metrics.tags import extract_entities

SEQEVAL_SCHEMES = {"IOB1": IOB1, "IOB2": IOB2, "IOE1": IOE1, "IOE2": IOE2, "IOBES": IOBES, "BILOU": BILOU}
PREFIXES = {"IOB1": "IOB", "IOB2": "IOB", "IOE1": "IOE", "IOE2": "IOE", "IOBES": "IOBES", "BILOU": "BILOU"}
METRICS = ("precision", "recall", "f1")
_PL_END = {("B", "B"), ("B", "O"), ("I", "B"), ("I", "O"), ("E", "E"), ("E", "I"), ("E", "O")}
_PL_START = {("B", "B"), ("I", "B"), ("O", "B"), ("O", "I"), ("E", "E"), ("E", "I"), ("O", "E")}


def _split(tag: str) -> tuple[str, str]:
    if tag == "O":
        return "O", ""
    prefix, _, typ = tag.partition("-")
    return prefix, typ


def conlleval_pl(tags: list[str]) -> list[tuple[str, int, int]]:
    """Chunks of one sentence as conlleval.pl finds them, ``(type, start, end)`` with ``end`` exclusive."""
    chunks: list[tuple[str, int, int]] = []
    start: int | None = None
    prev_tag, prev_type = "O", ""
    for i, raw in enumerate([*tags, "O"]):  # the sentence boundary reads as "O"
        tag, typ = _split(raw)
        end = (prev_tag, tag) in _PL_END or (prev_tag not in ("O", ".") and prev_type != typ)
        if end and start is not None:
            chunks.append((prev_type, start, i))
            start = None
        if (prev_tag, tag) in _PL_START or (tag not in ("O", ".") and prev_type != typ):
            start = i
        prev_tag, prev_type = tag, typ
    return chunks


def _tags(prefixes: str, types: str = "XY") -> st.SearchStrategy[str]:
    return st.builds(lambda p, t: "O" if p == "O" else f"{p}-{t}", st.sampled_from(prefixes), st.sampled_from(types))


@settings(max_examples=300, deadline=None)
@given(st.lists(_tags("BIOO"), min_size=1, max_size=12))
def test_conlleval_mode_equals_conlleval_pl_on_bio_tags(tags: list[str]) -> None:
    assert extract_entities(tags) == conlleval_pl(tags)
    assert extract_entities(tags, scheme="IOB1") == conlleval_pl(tags)


@settings(max_examples=200, deadline=None)
@given(st.lists(_tags("BIEO"), min_size=1, max_size=12))
def test_conlleval_mode_differs_from_conlleval_pl_only_at_e_then_b(tags: list[str]) -> None:
    # documented: seqeval (and this mode) end an entity at E- followed by B- of its type; conlleval.pl does not
    e_then_b = any(a[0] == "E" and b[0] == "B" and a[2:] == b[2:] for a, b in pairwise(tags))
    if not e_then_b:
        assert extract_entities(tags) == conlleval_pl(tags)


def test_e_then_b_is_two_entities_as_in_seqeval() -> None:
    tags = ["B-X", "E-X", "B-X", "E-X"]
    assert extract_entities(tags) == [("X", 0, 2), ("X", 2, 4)]
    assert [(t, s, e + 1) for t, s, e in get_entities(tags)] == [("X", 0, 2), ("X", 2, 4)]
    assert conlleval_pl(tags) == [("X", 0, 4)]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        # IOB1 as conlleval.pl reads it: I- after O opens an entity; B- only separates same-type neighbours
        (["I-X", "I-X", "B-X", "I-X", "O", "I-Y"], [("X", 0, 2), ("X", 2, 4), ("Y", 5, 6)]),
        (["I-X", "I-Y", "B-Y"], [("X", 0, 1), ("Y", 1, 2), ("Y", 2, 3)]),
        (["O", "I-X", "O"], [("X", 1, 2)]),
    ],
)
def test_iob1_hand_cases_against_conlleval_pl(tags: list[str], expected: list) -> None:
    assert conlleval_pl(tags) == expected
    assert extract_entities(tags, scheme="IOB1") == expected
    assert extract_entities(tags, scheme="IOB1", mode="strict") == expected


@st.composite
def corpus_with_empty_sentences(draw: st.DrawFn, prefixes: str) -> tuple[list[list[str]], list[list[str]]]:
    lengths = draw(st.lists(st.integers(0, 5), min_size=1, max_size=6).filter(lambda ls: sum(ls) > 0))
    tag = _tags(prefixes + "O")
    gold = [[draw(tag) for _ in range(n)] for n in lengths]
    pred = [[draw(tag) for _ in range(n)] for n in lengths]
    return gold, pred


@settings(max_examples=200, deadline=None)
@given(
    scheme=st.sampled_from(list(SEQEVAL_SCHEMES)),
    mode=st.sampled_from(["conlleval", "strict"]),
    average=st.sampled_from(["micro", "macro", "weighted", None]),
    zero_division=st.sampled_from(["warn", 0, 1]),
    data=st.data(),
)
def test_entity_scores_match_seqeval_with_empty_sentences(scheme, mode, average, zero_division, data) -> None:
    gold, pred = data.draw(corpus_with_empty_sentences(PREFIXES[scheme] if mode == "strict" else "IOBES"))
    extra = {"mode": "strict", "scheme": SEQEVAL_SCHEMES[scheme]} if mode == "strict" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ours, theirs in (
            (precision_score, sq.precision_score),
            (recall_score, sq.recall_score),
            (f1_score, sq.f1_score),
        ):
            expected = theirs(gold, pred, average=average, zero_division=zero_division, **extra)
            got = ours(gold, pred, average=average, zero_division=zero_division, scheme=scheme, mode=mode)
            if average in ("macro", "weighted") and math.isnan(expected):
                # nothing to score at all: documented as the zero_division value (seqeval: mean of nothing)
                assert got == (0.0 if zero_division == "warn" else float(zero_division))
                continue
            np.testing.assert_allclose(got, expected, atol=1e-12)


def _oracle(gold: list[Any], pred: list[Any], level: str, metric: str, average: str, zd: Any, labels: Any) -> float:
    k = METRICS.index(metric)
    if level == "entity":
        fn = (sq.precision_score, sq.recall_score, sq.f1_score)[k]
        return float(fn(gold, pred, average=average, zero_division=zd))
    if level == "token":
        gold = [t for s in gold for t in s]
        pred = [t for s in pred for t in s]
        if labels is None:  # every tag but "O", as NER papers score tags
            labels = sorted(set(gold + pred) - {"O"})
            if not labels:
                return math.nan  # nothing to score
    return float(precision_recall_fscore_support(gold, pred, average=average, zero_division=zd, labels=labels)[k])


@settings(max_examples=120, deadline=None)
@given(
    level=st.sampled_from(["entity", "token", "label"]),
    average=st.sampled_from(["micro", "macro", "weighted"]),
    metric=st.sampled_from(METRICS),
    zd_pick=st.integers(0, 3),
    labels_pick=st.integers(0, 2),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_every_replicate_equals_the_metric_on_its_resample(
    level, average, metric, zd_pick, labels_pick, seed, data
) -> None:
    zd = ["warn", 0, 1, math.nan][zd_pick if level != "entity" else zd_pick % 3]  # seqeval has no nan
    if level == "label":
        n = data.draw(st.integers(1, 8))
        gold = data.draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n))
        pred = data.draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n))
        labels = [None, ["a", "c"], ["c", "zz"]][labels_pick]
    else:
        gold, pred = data.draw(corpus_with_empty_sentences("BI"))
        labels = [None, ["B-X", "O"], None][labels_pick] if level == "token" else None
    counts = unit_counts(gold, pred, level=level, labels=labels)
    zd_checked = check_zero_division(zd)
    zero_value = 0.0 if zd_checked == "warn" else float(zd_checked)
    idx = np.concatenate(list(bootstrap_indices(counts.n_units, 25, seed)))
    ours = replicate_values(Resampler(counts, average), idx, metric, average, zero_value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for value, row in zip(ours.tolist(), idx, strict=True):
            g, p = [gold[i] for i in row], [pred[i] for i in row]
            if level == "token" and not any(g):
                assert value == zero_value or (math.isnan(value) and math.isnan(zero_value))
                continue  # only empty sentences drawn: nothing to score (scikit-learn refuses empty input)
            expected = _oracle(g, p, level, metric, average, zd, labels)
            if level != "label" and math.isnan(expected):  # no entity (tag) in the resample, as above
                expected = zero_value
            assert value == pytest.approx(expected, abs=1e-12, nan_ok=True)


def _entities(sentence: list[str], scheme: str, mode: str) -> set[tuple[str, int, int]]:
    if mode == "strict":
        return {(e.tag, e.start, e.end) for e in Entities([list(sentence)], SEQEVAL_SCHEMES[scheme]).entities[0]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {(t, s, e + 1) for t, s, e in get_entities(list(sentence))}


def _naive_divergence(gold, a, b, by: str, what: str, scheme: str, mode: str) -> float:
    if by == "disagreement":
        if what == "token":
            fa, fb = [t for s in a for t in s], [t for s in b for t in s]
            return sum(x != y for x, y in zip(fa, fb, strict=True)) / len(fa) if fa else 0.0
        ea = {(i, *e) for i, s in enumerate(a) for e in _entities(s, scheme, mode)}
        eb = {(i, *e) for i, s in enumerate(b) for e in _entities(s, scheme, mode)}
        return 1 - len(ea & eb) / len(ea | eb) if ea | eb else 0.0
    outcomes = []
    for pred in (a, b):
        out = []
        for g, p in zip(gold, pred, strict=True):
            eg, ep = _entities(g, scheme, mode), _entities(p, scheme, mode)
            out.extend([e in ep for e in sorted(eg)] if what == "entity" else [eg == ep])
        outcomes.append(np.array(out, dtype=bool))
    oa, ob = outcomes
    if oa.size == 0:
        return 0.0
    c_obs = float(np.mean(oa == ob))
    pa, pb = float(oa.mean()), float(ob.mean())
    c_exp = pa * pb + (1 - pa) * (1 - pb)
    return 0.0 if c_exp == 1 else 1 - (c_obs - c_exp) / (1 - c_exp)


@settings(max_examples=60, deadline=None)
@given(
    scheme=st.sampled_from(list(SEQEVAL_SCHEMES)),
    mode=st.sampled_from(["conlleval", "strict"]),
    by_what=st.sampled_from(
        [
            ("disagreement", "entity"),
            ("disagreement", "token"),
            ("error_consistency", "entity"),
            ("error_consistency", "sentence"),
        ]
    ),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_divergence_replicates_equal_the_measure_on_each_resample(scheme, mode, by_what, seed, data) -> None:
    by, what = by_what
    prefixes = PREFIXES[scheme] if mode == "strict" else "IOBES"
    gold, a = data.draw(corpus_with_empty_sentences(prefixes))
    b = [[t if data.draw(st.booleans()) else data.draw(_tags(prefixes + "O")) for t in s] for s in gold]
    if by == "error_consistency" and what == "entity" and not any(_entities(s, scheme, mode) for s in gold):
        return  # no units: an error, tested elsewhere
    kwargs = {"level": what} if by == "disagreement" else {"unit": what}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = divergence(
            gold, a, b, by=by, scheme=scheme, mode=mode, n_resamples=30, seed=seed, confidence=0.8, **kwargs
        )
    idx = np.concatenate(list(bootstrap_indices(len(gold), 30, seed)))
    naive = [
        _naive_divergence([gold[i] for i in r], [a[i] for i in r], [b[i] for i in r], by, what, scheme, mode)
        for r in idx
    ]
    assert est.value == pytest.approx(_naive_divergence(gold, a, b, by, what, scheme, mode), abs=1e-12)
    assert (est.low, est.high) == pytest.approx(tuple(np.quantile(naive, [0.1, 0.9])), abs=1e-12)


def _scipy_interval(statistic, n: int, n_resamples: int, seed: int, confidence: float, method: str):
    from scipy.stats import bootstrap

    def vectorized(idx: np.ndarray, axis: int = -1) -> np.ndarray | float:
        rows = np.atleast_2d(idx)
        values = np.array([statistic(row) for row in rows])
        return values if idx.ndim > 1 else float(values[0])

    result = bootstrap(
        (np.arange(n),),
        vectorized,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method=method,
        rng=np.random.default_rng(seed),
        vectorized=True,
    )
    return result.confidence_interval.low, result.confidence_interval.high


@settings(max_examples=25, deadline=None)
@given(
    data=st.data(),
    seed=st.integers(0, 2**16),
    confidence=st.sampled_from([0.5, 0.8, 0.9, 0.95]),
    average=st.sampled_from(["micro", "macro"]),
    interval=st.just("percentile"),
)
def test_score_and_compare_intervals_equal_scipy_bootstrap(data, seed, confidence, average, interval) -> None:
    gold, a = data.draw(corpus_with_empty_sentences("BI"))
    assume(len(gold) >= 2)  # scipy needs two observations
    b = [[t if data.draw(st.booleans()) else data.draw(_tags("BIO")) for t in s] for s in gold]
    n, n_resamples = len(gold), 40

    def f1_of(pred: list[list[str]]):
        def statistic(row: np.ndarray) -> float:
            value = sq.f1_score([gold[i] for i in row], [pred[i] for i in row], average=average, zero_division=0)
            return 0.0 if math.isnan(value) else float(value)  # nothing to score: the zero_division value

        return statistic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        options = {"n_resamples": n_resamples, "seed": seed, "confidence": confidence, "interval": interval}
        est = score(gold, a, average=average, zero_division=0, **options)
        diff = compare(gold, a, b, average=average, zero_division=0, **options)
        fa, fb = f1_of(a), f1_of(b)
        method = "BCa" if interval == "bca" else "percentile"
        # rounded once: ours counts values equal up to rounding as ties in BCa's bias correction (seqeval's
        # replicates can differ from its value in the last bit)
        low, high = _scipy_interval(lambda r: round(fa(r), 12), n, n_resamples, seed, confidence, method)
        d_low, d_high = _scipy_interval(lambda r: round(fa(r) - fb(r), 12), n, n_resamples, seed, confidence, method)
    # scipy's BCa is NaN where the value lies outside every replicate (or the jackknife is constant); ours clips
    # the bias correction there and is checked by hand in test_bootstrap.py
    if not math.isnan(low):
        assert (est.low, est.high) == pytest.approx((low, high), abs=1e-12)
    if not math.isnan(d_low):
        assert (diff.low, diff.high) == pytest.approx((d_low, d_high), abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    ints=st.booleans(),
    as_numpy=st.booleans(),
    average=st.sampled_from(["micro", "macro", "weighted", None]),
    zero_division=st.sampled_from(["warn", 0, 1, math.nan]),
    labels_pick=st.integers(0, 2),
)
def test_label_level_matches_sklearn_when_label_sets_differ(
    data, ints, as_numpy, average, zero_division, labels_pick
) -> None:
    gold_pool, pred_pool = ([0, 1], [1, 2, 3]) if ints else (["neg", "pos"], ["pos", "neutral", "spam"])
    n = data.draw(st.integers(1, 12))
    gold = data.draw(st.lists(st.sampled_from(gold_pool), min_size=n, max_size=n))
    pred = data.draw(st.lists(st.sampled_from(pred_pool), min_size=n, max_size=n))
    labels = [None, gold_pool, [pred_pool[-1], gold_pool[0]]][labels_pick]
    y_true, y_pred = (np.array(gold), np.array(pred)) if as_numpy else (gold, pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k, ours in enumerate((precision_score, recall_score, f1_score)):
            expected = precision_recall_fscore_support(
                gold, pred, average=average, zero_division=zero_division, labels=labels
            )[k]
            got = ours(y_true, y_pred, average=average, zero_division=zero_division, labels=labels)
            np.testing.assert_allclose(np.asarray(got, float), np.asarray(expected, float), atol=1e-12, equal_nan=True)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), unit=st.sampled_from(["entity", "sentence", "token"]))
def test_shared_failures_are_the_units_every_subject_fails(data, unit) -> None:
    from pytest_homog import outcome_homogenization
    from pytest_homog.corpus import UnitRef

    gold, a = data.draw(corpus_with_empty_sentences("BI"))
    b = [[t if data.draw(st.booleans()) else data.draw(_tags("BIO")) for t in s] for s in gold]
    ents = [_entities(s, "IOB2", "conlleval") for s in gold]
    if unit == "entity" and not any(ents):
        return
    if unit == "token":
        expected = [
            UnitRef(i, tag, j, j + 1)
            for i, sentence in enumerate(gold)
            for j, tag in enumerate(sentence)
            if a[i][j] != tag and b[i][j] != tag
        ]
    elif unit == "entity":
        expected = [
            UnitRef(i, t, s, e)
            for i in range(len(gold))
            for t, s, e in sorted(ents[i], key=lambda x: (x[2], x[1]))
            if all((t, s, e) not in _entities(p[i], "IOB2", "conlleval") for p in (a, b))
        ]
    else:
        expected = [
            UnitRef(i) for i in range(len(gold)) if all(_entities(p[i], "IOB2", "conlleval") != ents[i] for p in (a, b))
        ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = outcome_homogenization(gold, {"a": a, "b": b}, unit=unit)
    assert h.shared_failures == expected
