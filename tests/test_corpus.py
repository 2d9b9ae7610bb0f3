"""The corpus: references validated and encoded once, predictions bound to them once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest

import pytest_homog.corpus as corpus_module
from pytest_homog import (
    HomogDataError,
    HomogUsageError,
    assert_f1_above,
    assert_models_diverge,
    assert_no_regression,
    assert_not_homogeneous,
    disagreement,
    f1_score,
)
from pytest_homog.corpus import Corpus, UnitRef, resolve_level, resolve_unit

GOLD = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"], ["B-PER", "O"], ["O", "O"]] * 5
A = [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG"], ["B-PER", "O"], ["O", "O"]] * 5
B = [["B-PER", "O", "O", "B-LOC"], ["O", "B-ORG"], ["O", "O"], ["O", "O"]] * 5
C = [["O", "O", "O", "B-LOC"], ["O", "O"], ["B-PER", "O"], ["O", "B-ORG"]] * 5


class Calls:
    """How often the validators and the entity reader ran."""

    def __init__(self, references: mock.Mock, predictions: mock.Mock, entities: mock.Mock) -> None:
        self.references = references
        self.predictions = predictions
        self.entities = entities

    def counts(self) -> tuple[int, int, int]:
        return self.references.call_count, self.predictions.call_count, self.entities.call_count


@contextmanager
def counting() -> Iterator[Calls]:
    with (
        mock.patch.object(corpus_module, "check_references", wraps=corpus_module.check_references) as references,
        mock.patch.object(corpus_module, "check_predictions", wraps=corpus_module.check_predictions) as predictions,
        mock.patch.object(Corpus, "read_entities", autospec=True, side_effect=Corpus.read_entities) as entities,
    ):
        yield Calls(references, predictions, entities)


def test_assert_not_homogeneous_validates_and_encodes_each_input_once() -> None:
    # the references once, each of the 3 subjects' predictions once; entities read once per tagging
    # (references and 3 predictions)
    with counting() as calls:
        assert_not_homogeneous({"a": A, "b": B, "c": C}, GOLD, max_homogenization=100.0, max_similarity=0.99)
    assert calls.counts() == (1, 3, 4)


@pytest.mark.parametrize("by", ["disagreement", "error_consistency", "f1"])
def test_assert_models_diverge_validates_and_encodes_each_input_once(by: str) -> None:
    with counting() as calls:
        assert_models_diverge(A, B, GOLD, min_gap=0.01, by=by, n_resamples=50, confidence=None)
    # the references once, each prediction once; entities read once per tagging
    assert calls.counts() == (1, 2, 3)


def test_quality_and_regression_checks_validate_each_input_once() -> None:
    with counting() as calls:
        assert_f1_above(A, GOLD, 0.1, n_resamples=50)
    assert calls.counts() == (1, 1, 2)
    with counting() as calls:
        assert_no_regression(A, B, GOLD, n_resamples=50, tolerance=0.5)
    assert calls.counts() == (1, 2, 3)


def test_bind_checks_predictions_against_the_references() -> None:
    corpus = Corpus(GOLD)
    with pytest.raises(HomogDataError, match="y_true has 20 sentences but y_pred has 19"):
        corpus.bind(A[:-1])
    with pytest.raises(HomogDataError, match="mix nested and flat input"):
        corpus.bind(["a"] * 20)
    with pytest.raises(HomogDataError, match="sentence 0 has 4 tags in y_true but 3"):
        corpus.bind([s[:3] if i == 0 else s for i, s in enumerate(A)])
    flat = Corpus(["pos", "neg"])
    with pytest.raises(HomogDataError, match="labels mix strings and integers"):
        flat.bind([1, 0])


def test_predictions_share_one_registry() -> None:
    corpus = Corpus([["B-PER", "O"], ["B-LOC"]])
    first = corpus.bind([["B-PER", "O"], ["B-ORG"]])
    second = corpus.bind([["B-ORG", "O"], ["B-LOC"]])
    assert corpus.values[first.codes[2]] == corpus.values[second.codes[0]] == "B-ORG"
    assert first.labels == {"PER", "ORG"} and corpus.gold_labels == {"PER", "LOC"}
    assert corpus.as_predictions("gold").entities is corpus.gold_entities


def test_outcomes_and_unit_refs() -> None:
    corpus = Corpus([["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]])
    predictions = corpus.bind([["B-PER", "I-PER", "O", "O"], ["O", "B-ORG"]])
    right, unit = corpus.outcomes(predictions, "entity")
    assert right.tolist() == [True, False, True] and unit.tolist() == [0, 0, 1]
    assert corpus.unit_refs("entity", np.array([1])) == [UnitRef(0, "LOC", 3, 4)]
    assert corpus.outcomes(predictions, "sentence")[0].tolist() == [False, True]
    right, _ = corpus.outcomes(predictions, "token")
    assert right.tolist() == [True, True, True, False, True, True]
    assert corpus.unit_refs("token", np.array([3])) == [UnitRef(0, "B-LOC", 3, 4)]
    labels = Corpus(["pos", "neg"])
    assert labels.outcomes(labels.bind(["pos", "pos"]), "example")[0].tolist() == [True, False]
    assert labels.unit_refs("example", np.array([1])) == [UnitRef(1, "neg")]


def test_one_level_rule_for_every_caller() -> None:
    message = "level='label' needs flat labels"
    with pytest.raises(HomogUsageError, match=message):
        f1_score(GOLD, A, level="label")
    with pytest.raises(HomogUsageError, match=message):
        disagreement(GOLD, A, level="label")
    with pytest.raises(HomogUsageError, match="level='entity' needs nested tag sequences"):
        resolve_level("entity", nested=False)
    with pytest.raises(HomogUsageError, match="level must be one of"):
        resolve_level("span", nested=True)
    assert resolve_level(None, nested=True) == "entity" and resolve_level(None, nested=False) == "label"
    assert resolve_unit(None, nested=False) == "example"
    with pytest.raises(HomogUsageError, match="unit must be one of"):
        resolve_unit("word", nested=True)


def test_corpus_checks_scheme_and_mode() -> None:
    with pytest.raises(HomogUsageError, match="scheme must be one of"):
        Corpus(GOLD, scheme="IOB3")
    with pytest.raises(HomogUsageError, match="mode must be one of"):
        Corpus(GOLD, mode="lenient")


def test_a_tag_error_names_the_subject_it_comes_from() -> None:
    from pytest_homog import assert_not_homogeneous

    gold = [["B-person", "O"]]
    with pytest.raises(HomogDataError, match=r"tag 'PER' \(b, sentence 0, position 0\) has no scheme prefix"):
        assert_not_homogeneous({"a": gold, "b": [["PER", "O"]]}, gold)
    with pytest.raises(HomogDataError, match=r"tag 'PER' \(rules, sentence 0, position 0\)"):
        _ = Corpus(gold).bind([["PER", "O"]], name="rules").entities
