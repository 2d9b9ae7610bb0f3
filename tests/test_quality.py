"""Precision, recall and F1 against seqeval (entity level) and scikit-learn (token and label level)."""

from __future__ import annotations

import math
import warnings
from itertools import chain
from pathlib import Path

import numpy as np
import pytest
import seqeval.metrics as sq
from _conll import read_conll
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.scheme import BILOU, IOB1, IOB2, IOBES, IOE1, IOE2
from sklearn.metrics import precision_recall_fscore_support

from pytest_homog.errors import HomogDataError, HomogUsageError, UndefinedMetricWarning
from pytest_homog.metrics.counts import unit_counts
from pytest_homog.metrics.quality import (
    classification_report,
    f1_score,
    precision_recall_fscore,
    precision_score,
    recall_score,
)

WNUT = Path(__file__).resolve().parents[1] / "examples" / "data" / "wnut17"
SEQEVAL_SCHEMES = {"IOB1": IOB1, "IOB2": IOB2, "IOE1": IOE1, "IOE2": IOE2, "IOBES": IOBES, "BILOU": BILOU}
PREFIXES = {"IOB1": "IOB", "IOB2": "IOB", "IOE1": "IOE", "IOE2": "IOE", "IOBES": "IOBES", "BILOU": "BILOU"}
AVERAGES = ["micro", "macro", "weighted", None]
TOL = 1e-12


def tag(prefix: str, typ: str) -> str:
    if prefix == "O":
        return "O"
    return f"{prefix}-{typ}" if typ else prefix


def corpus_pair(prefixes: str, types: tuple[str, ...] = ("PER", "LOC", "ORG")) -> st.SearchStrategy:
    """Two nested tag corpora of the same shape; the prediction copies gold tags part of the time."""
    tags = st.builds(tag, st.sampled_from(prefixes), st.sampled_from(types))

    @st.composite
    def build(draw: st.DrawFn) -> tuple[list[list[str]], list[list[str]]]:
        lengths = draw(st.lists(st.integers(1, 8), min_size=1, max_size=6))
        gold = [[draw(tags) for _ in range(n)] for n in lengths]
        pred = [[t if draw(st.booleans()) else draw(tags) for t in sentence] for sentence in gold]
        return gold, pred

    return build()


def seqeval_prf(gold: list, pred: list, average: str | None, mode: str, scheme: str, zero_division: object):
    kwargs: dict = {"average": average, "zero_division": zero_division}
    if mode == "strict":
        kwargs.update(mode="strict", scheme=SEQEVAL_SCHEMES[scheme])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (
            sq.precision_score(gold, pred, **kwargs),
            sq.recall_score(gold, pred, **kwargs),
            sq.f1_score(gold, pred, **kwargs),
        )


def ours_prf(gold: list, pred: list, **kwargs: object) -> tuple:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (
            precision_score(gold, pred, **kwargs),
            recall_score(gold, pred, **kwargs),
            f1_score(gold, pred, **kwargs),
        )


def assert_close(ours: object, ref: object) -> None:
    np.testing.assert_allclose(np.asarray(ours, dtype=float), np.asarray(ref, dtype=float), rtol=0, atol=TOL)


def has_entities(gold: list, pred: list, **kwargs: str) -> bool:
    return bool(unit_counts(gold, pred, **kwargs).labels)


# -- entity level: seqeval parity --------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    pair=corpus_pair("BIO"), average=st.sampled_from(AVERAGES), zero_division=st.sampled_from(["warn", 0, 1])
)
def test_entity_conlleval_matches_seqeval_iob2(pair, average, zero_division) -> None:
    gold, pred = pair
    if average in ("macro", None) and not has_entities(gold, pred):
        return  # seqeval averages an empty label set to nan; covered by test_no_entities_at_all
    ref = seqeval_prf(gold, pred, average, "conlleval", "IOB2", zero_division)
    assert_close(ours_prf(gold, pred, average=average, zero_division=zero_division), ref)


@pytest.mark.filterwarnings("ignore:tags such as .* are BILOU tags")  # reading BILOU leniently is the point
@pytest.mark.filterwarnings("ignore:tag .* has a prefix mode='conlleval' does not know")  # and unknown prefixes
@settings(max_examples=150, deadline=None)
@given(pair=corpus_pair("IOBESUL.X"), average=st.sampled_from(AVERAGES))
def test_entity_conlleval_matches_seqeval_on_any_tags(pair, average) -> None:
    gold, pred = pair
    if average in ("macro", None) and not has_entities(gold, pred):
        return
    ref = seqeval_prf(gold, pred, average, "conlleval", "IOB2", "warn")
    for scheme in ("IOB2", "BILOU"):  # conlleval mode ignores the scheme, as seqeval's default mode
        assert_close(ours_prf(gold, pred, average=average, scheme=scheme), ref)


@settings(max_examples=200, deadline=None)
@given(
    scheme=st.sampled_from(list(SEQEVAL_SCHEMES)),
    average=st.sampled_from(AVERAGES),
    zero_division=st.sampled_from(["warn", 0, 1]),
    data=st.data(),
)
def test_entity_strict_matches_seqeval_every_scheme(scheme, average, zero_division, data) -> None:
    gold, pred = data.draw(corpus_pair(PREFIXES[scheme]))
    if average in ("macro", None) and not has_entities(gold, pred, mode="strict", scheme=scheme):
        return
    ref = seqeval_prf(gold, pred, average, "strict", scheme, zero_division)
    ours = ours_prf(gold, pred, average=average, mode="strict", scheme=scheme, zero_division=zero_division)
    assert_close(ours, ref)


@settings(max_examples=100, deadline=None)
@given(scheme=st.sampled_from(list(SEQEVAL_SCHEMES)), data=st.data())
def test_entity_conlleval_every_scheme(scheme, data) -> None:
    gold, pred = data.draw(corpus_pair(PREFIXES[scheme]))
    ref = seqeval_prf(gold, pred, "micro", "conlleval", scheme, "warn")
    assert_close(ours_prf(gold, pred, scheme=scheme), ref)


@settings(max_examples=100, deadline=None)
@given(pair=corpus_pair("BIO"))
def test_counts_per_sentence_match_seqeval_sentence_by_sentence(pair) -> None:
    gold, pred = pair
    per_unit = unit_counts(gold, pred).per_unit(by_label=False)
    for k, (g, p) in enumerate(zip(gold, pred, strict=True)):
        ents_g = set(sq.sequence_labeling.get_entities(g))
        ents_p = set(sq.sequence_labeling.get_entities(p))
        assert per_unit[k].tolist() == [len(ents_g & ents_p), len(ents_p), len(ents_g)]


def test_no_entities_at_all() -> None:
    gold, pred = [["O", "O"]], [["O", "O"]]
    with pytest.warns(UndefinedMetricWarning, match="zero_division"):
        assert f1_score(gold, pred) == 0.0
    for average in ("micro", "macro", "weighted"):
        assert f1_score(gold, pred, average=average, zero_division=1) == 1.0
    assert f1_score(gold, pred, average=None, zero_division=0).shape == (0,)


@pytest.mark.parametrize(
    ("gold", "pred", "kwargs", "expected"),
    [
        # a partial span is a miss in both directions
        ([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]], {}, (0.0, 0.0, 0.0)),
        # a wrong type is a miss
        ([["B-PER", "O"]], [["B-LOC", "O"]], {}, (0.0, 0.0, 0.0)),
        # conlleval: I- after O opens an entity; strict does not count it
        ([["B-PER", "I-PER"]], [["I-PER", "I-PER"]], {}, (1.0, 1.0, 1.0)),
        ([["B-PER", "I-PER"]], [["I-PER", "I-PER"]], {"mode": "strict"}, (0.0, 0.0, 0.0)),
        # entities never run across sentences
        ([["B-PER"], ["I-PER"]], [["B-PER"], ["I-PER"]], {}, (1.0, 1.0, 1.0)),
        # IOBES: an unclosed B- is no entity in strict mode
        (
            [["S-PER", "B-LOC", "E-LOC"]],
            [["S-PER", "B-LOC", "I-LOC"]],
            {"mode": "strict", "scheme": "IOBES"},
            (1.0, 0.5, 2 / 3),
        ),
        # BILOU: U- is a single-token entity
        ([["U-PER", "O"]], [["U-PER", "O"]], {"mode": "strict", "scheme": "BILOU"}, (1.0, 1.0, 1.0)),
        # IOE2: E closes an entity
        (
            [["I-PER", "E-PER", "E-PER"]],
            [["I-PER", "I-PER", "E-PER"]],
            {"mode": "strict", "scheme": "IOE2"},
            (0.0, 0.0, 0.0),
        ),
        # IOB1: B- separates two adjacent entities of one type
        ([["I-PER", "B-PER"]], [["I-PER", "I-PER"]], {"mode": "strict", "scheme": "IOB1"}, (0.0, 0.0, 0.0)),
    ],
)
def test_hand_written_entity_cases(gold, pred, kwargs, expected) -> None:
    ours = precision_recall_fscore(gold, pred, zero_division=0, **kwargs)
    assert_close(ours, expected)
    mode = kwargs.get("mode", "conlleval")
    scheme = kwargs.get("scheme", "IOB2")
    assert_close(ours, seqeval_prf(gold, pred, "micro", mode, scheme, 0))


def test_labels_select_entity_types() -> None:
    gold = [["B-PER", "O", "B-LOC"], ["B-ORG", "I-ORG"]]
    pred = [["B-PER", "O", "O"], ["B-ORG", "O"]]
    per_label = f1_score(gold, pred, average=None, zero_division=0)  # LOC, ORG, PER
    assert_close(per_label, [0.0, 0.0, 1.0])
    assert f1_score(gold, pred, labels=["PER"]) == 1.0
    assert_close(f1_score(gold, pred, average=None, labels=["PER", "MISC"], zero_division=0), [1.0, 0.0])


# -- token and label level: scikit-learn parity ------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    pair=corpus_pair("BIO"),
    average=st.sampled_from(AVERAGES),
    zero_division=st.sampled_from(["warn", 0, 1, np.nan]),
)
def test_token_level_matches_sklearn_without_o(pair, average, zero_division) -> None:
    gold, pred = pair
    flat_gold, flat_pred = list(chain.from_iterable(gold)), list(chain.from_iterable(pred))
    entity_tags = sorted(set(flat_gold + flat_pred) - {"O"})
    if not entity_tags:
        return  # nothing but "O": nothing to score, tested below
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = precision_recall_fscore_support(
            flat_gold, flat_pred, average=average, zero_division=zero_division, labels=entity_tags
        )
        with_o = precision_recall_fscore_support(flat_gold, flat_pred, average=average, zero_division=zero_division)
    ours = ours_prf(gold, pred, level="token", average=average, zero_division=zero_division)
    labels = sorted(set(flat_gold + flat_pred))
    ours_with_o = ours_prf(gold, pred, level="token", average=average, zero_division=zero_division, labels=labels)
    for mine, theirs in (*zip(ours, ref[:3], strict=True), *zip(ours_with_o, with_o[:3], strict=True)):
        np.testing.assert_allclose(
            np.asarray(mine, float), np.asarray(theirs, float), atol=TOL, equal_nan=True
        )


def test_token_level_leaves_o_out_so_an_all_o_tagger_scores_zero() -> None:
    gold = [["B-PER", "O", "O", "O", "O", "O", "O", "O", "O", "O", "O"]]
    all_o = [["O"] * 11]
    assert f1_score(gold, all_o, level="token", zero_division=0) == 0.0
    # scikit-learn's number on every tag, "O" included, when labels= names it
    assert f1_score(gold, all_o, level="token", labels=["B-PER", "O"]) == pytest.approx(10 / 11)
    report = classification_report(gold, all_o, level="token", zero_division=0)
    assert report.labels == ["B-PER"]
    assert f1_score([["O", "O"]], [["O", "O"]], level="token", zero_division=1) == 1.0  # nothing to score


labels_strategy = st.one_of(
    st.lists(st.sampled_from(["pos", "neg", "neutral"]), min_size=1, max_size=30),
    st.lists(st.integers(0, 3), min_size=1, max_size=30),
)


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    average=st.sampled_from(AVERAGES),
    zero_division=st.sampled_from(["warn", 0, 1, np.nan]),
    use_labels=st.booleans(),
)
def test_label_level_matches_sklearn(data, average, zero_division, use_labels) -> None:
    gold = data.draw(labels_strategy)
    pool = sorted(set(gold))
    pred = data.draw(st.lists(st.sampled_from([*pool, pool[0]]), min_size=len(gold), max_size=len(gold)))
    labels = None
    if use_labels:
        extra = "other" if isinstance(gold[0], str) else 9
        labels = [*data.draw(st.lists(st.sampled_from(pool), min_size=1, unique=True)), extra]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = precision_recall_fscore_support(
            gold, pred, average=average, zero_division=zero_division, labels=labels
        )
    ours = ours_prf(gold, pred, average=average, zero_division=zero_division, labels=labels)
    for mine, theirs in zip(ours, ref[:3], strict=True):
        np.testing.assert_allclose(
            np.asarray(mine, float), np.asarray(theirs, float), atol=TOL, equal_nan=True
        )


def test_label_level_is_default_for_flat_input() -> None:
    assert f1_score(["a", "b", "b"], ["a", "a", "b"]) == pytest.approx(2 / 3, abs=TOL)
    assert f1_score(
        np.array([1, 0, 1]), np.array([1, 1, 1]), average="macro", zero_division=0
    ) == pytest.approx(0.4)


# -- WNUT 2017 ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wnut_test() -> list[list[str]]:
    return read_conll(WNUT / "test.conll")


def test_wnut_against_itself(wnut_test) -> None:
    assert len(wnut_test) == 1287
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for mode in ("conlleval", "strict"):
            assert f1_score(wnut_test, wnut_test, mode=mode) == 1.0
            assert f1_score(wnut_test, wnut_test, mode=mode, average="macro") == 1.0


def test_wnut_against_all_o_warns_zero_division(wnut_test) -> None:
    all_o = [["O"] * len(sentence) for sentence in wnut_test]
    with pytest.warns(UndefinedMetricWarning, match="zero_division"):
        assert f1_score(wnut_test, all_o) == 0.0
    with pytest.warns(UndefinedMetricWarning, match="zero_division"):
        assert precision_score(wnut_test, all_o) == 0.0
    assert recall_score(wnut_test, all_o) == 0.0


def test_wnut_report(wnut_test) -> None:
    report = classification_report(wnut_test, wnut_test)
    assert report.labels == ["corporation", "creative-work", "group", "location", "person", "product"]
    assert sum(row.support for row in report.rows) == report.averages["micro"].support == 1079
    assert report["person"].f1 == 1.0


# -- report ------------------------------------------------------------------------------------------------


def test_report_matches_per_label_scores_and_seqeval() -> None:
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O", "B-PER"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O", "O"]]
    report = classification_report(gold, pred, zero_division=0)
    ref = sq.classification_report(gold, pred, output_dict=True, zero_division=0)
    for row in report.rows:
        assert row.precision == pytest.approx(ref[row.label]["precision"], abs=TOL)
        assert row.recall == pytest.approx(ref[row.label]["recall"], abs=TOL)
        assert row.f1 == pytest.approx(ref[row.label]["f1-score"], abs=TOL)
        assert row.support == ref[row.label]["support"]
    for avg in ("micro", "macro", "weighted"):
        assert report.averages[avg].f1 == pytest.approx(ref[f"{avg} avg"]["f1-score"], abs=TOL)
    assert [row.label for row in report.worst(2)] == ["LOC", "PER"]  # PER ties ORG on F1, has more support
    assert report.worst(0) == []
    markdown = report.to_markdown()
    assert markdown.splitlines()[0] == "| label | precision | recall | f1 | support |"
    assert "| PER | 1.000 | 0.500 | 0.667 | 2 |" in markdown
    assert "micro avg" in str(report)
    assert report.to_dict()["PER"]["support"] == 2
    with pytest.raises(KeyError):
        report["MISC"]
    with pytest.raises(HomogUsageError, match="k must be a non-negative integer; got -1"):
        report.worst(-1)


# -- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"average": "avg"}, "average must be one of 'micro', 'macro', 'weighted' or None; got 'avg'"),
        ({"level": "span"}, "level must be one of 'entity', 'token', 'label' or None; got 'span'"),
        ({"level": "label"}, "level='label' needs flat labels"),
        ({"scheme": "BIO"}, "scheme must be one of .*got 'BIO'"),
        ({"mode": None}, "mode must be one of 'conlleval', 'strict'; got None"),
        ({"zero_division": 2}, 'zero_division must be "warn", 0, 1 or nan .*got 2'),
        ({"zero_division": "ignore"}, "got 'ignore'"),
        ({"labels": []}, "labels must be a non-empty sequence"),
        ({"labels": ["PER", "PER"]}, "must not repeat a label"),
    ],
)
def test_bad_arguments(kwargs, match) -> None:
    with pytest.raises(HomogUsageError, match=match):
        f1_score([["B-PER"]], [["B-PER"]], **kwargs)


def test_flat_input_rejects_entity_level() -> None:
    with pytest.raises(HomogUsageError, match="level='entity' needs nested tag sequences"):
        f1_score(["a"], ["a"], level="entity")


@pytest.mark.parametrize(
    ("gold", "pred", "kwargs", "match"),
    [
        ([["O"], ["O"]], [["O"]], {}, "y_true has 2 sentences but y_pred has 1"),
        ([["O", "O"]], [["O"]], {}, "sentence 0 has 2 tags in y_true but 1 in y_pred"),
        ([], [], {}, "y_true is empty"),
        ([["O"]], ["O"], {}, "mix nested and flat input"),
        ([["O", math.nan]], [["O", "O"]], {}, "NaN at sentence 0, position 1"),
        ([["S-PER"]], [["O"]], {"mode": "strict"}, "tag 'S-PER' .* is outside scheme IOB2"),
        (["a", "b"], ["a"], {}, "y_true has 2 examples but y_pred has 1"),
        (["a", None], ["a", "b"], {}, r"None \(NoneType\) at index 1"),
    ],
)
def test_bad_data(gold, pred, kwargs, match) -> None:
    with pytest.raises(HomogDataError, match=match):
        f1_score(gold, pred, **kwargs)


def test_zero_division_nan_at_entity_level_follows_sklearn() -> None:
    gold, pred = [["B-PER", "O"], ["B-LOC", "O"]], [["O", "O"], ["B-LOC", "B-ORG"]]
    p, r, f = precision_recall_fscore(gold, pred, average=None, zero_division=np.nan)  # LOC, ORG, PER
    assert_close(r[[0, 2]], [1.0, 0.0])
    assert math.isnan(p[2]) and math.isnan(r[1])
    assert_close(f, [1.0, 0.0, 0.0])
    # macro averages ignore the NaN entries, as scikit-learn does
    macro = precision_recall_fscore(gold, pred, average="macro", zero_division=np.nan)
    assert_close(macro, [0.5, 0.5, 1 / 3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        precision_recall_fscore(gold, pred, zero_division=np.nan)
