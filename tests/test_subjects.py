"""Subjects: models or predictions resolved to predictions bound to their references."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_homog import assert_f1_above
from pytest_homog.errors import HomogDataError, HomogModelError, HomogUsageError
from pytest_homog.subjects import resolve_pair, resolve_subject, resolve_subjects

GOLD = [["B-PER", "I-PER", "O"], ["B-LOC", "O"], ["O", "B-ORG"], ["B-PER", "O"], ["B-LOC", "I-LOC"]] * 4


# misses every ORG and one LOC in four
PRED = [["B-PER", "I-PER", "O"], ["B-LOC", "O"], ["O", "O"], ["B-PER", "O"], ["B-LOC", "I-LOC"]] * 3 + [
    ["B-PER", "I-PER", "O"],
    ["O", "O"],
    ["O", "O"],
    ["B-PER", "O"],
    ["B-LOC", "I-LOC"],
]


def test_resolve_subject() -> None:
    resolved = resolve_subject(PRED, GOLD)
    assert (resolved.name, resolved.texts, resolved.data_name, resolved.nested) == (
        "predictions",
        None,
        None,
        True,
    )
    assert resolve_subject(PRED, GOLD, name="rules").name == "rules"

    class References:
        homog_name = "refs"

        def homog_references(self) -> list:
            return GOLD

    assert resolve_subject(PRED, References()).y_true == GOLD

    class Anonymous:
        def homog_predict(self, data: object) -> tuple:
            return ["a"], ["a"], None

    assert resolve_subject(Anonymous(), "data").name == "Anonymous"
    assert resolve_subject(Anonymous(), "data", name="given").name == "given"


def test_resolve_subject_errors() -> None:
    class Broken:
        def homog_predict(self, data: object) -> object:
            return ["a"], ["a"]

    with pytest.raises(
        HomogModelError,
        match=r"Broken.homog_predict\(data\) must return \(y_true, y_pred, texts\); "
        "got tuple of length 2",
    ):
        resolve_subject(Broken(), "data")
    with pytest.raises(HomogUsageError, match="subject is None"):
        resolve_subject(None, GOLD)
    with pytest.raises(HomogUsageError, match="data is None"):
        resolve_subject(PRED, None)
    with pytest.raises(HomogDataError, match="y_true has 20 sentences but y_pred has 19"):
        assert_f1_above(PRED[:-1], GOLD, 0.5)


def test_a_model_that_returns_two_values_is_told_to_return_three() -> None:
    class TwoTuple:
        def homog_predict(self, data: Any) -> tuple:
            return data, data

    with pytest.raises(HomogModelError, match=r"got tuple of length 2\. Return a 3-tuple"):
        resolve_subject(TwoTuple(), ["a"])


def test_resolve_subjects_share_one_corpus_and_check_the_references() -> None:
    a, b = resolve_subjects([(PRED, "a", "a"), (GOLD, "b", "b")], GOLD)
    assert a.corpus is b.corpus and (a.name, b.name) == ("a", "b")

    class OtherData:
        homog_name = "other"

        def homog_predict(self, data: Any) -> tuple:
            return [list(s) for s in reversed(GOLD)], GOLD, None

    with pytest.raises(HomogDataError, match="'other' was resolved against different references"):
        resolve_subjects([(PRED, "a", "a"), (OtherData(), None, "b")], GOLD)
    with pytest.raises(HomogDataError, match="subject 'b' does not fit the data: y_true has 20 sentences"):
        resolve_subjects([(PRED, "a", "a"), (PRED[:-1], None, "b")], GOLD)
    first, second = resolve_pair(PRED, PRED, GOLD)
    assert (first.name, second.name) == ("predictions (a)", "predictions (b)")


class _Named:
    """A model named after its folder, as the model fixtures name one."""

    def __init__(self, name: str, predictions: Any = None) -> None:
        self.homog_name = name
        self.predictions = predictions

    def homog_predict(self, data: Any) -> tuple:
        return data, self.predictions if self.predictions is not None else data, None


def test_a_name_the_caller_gives_wins_over_the_model_name() -> None:
    model = _Named("ner-v2", PRED)
    assert resolve_subject(model, GOLD).name == "ner-v2"
    assert resolve_subject(model, GOLD, name="candidate").name == "candidate"
    pair = [(model, "candidate", "a"), (_Named("ner-v1"), "incumbent", "b")]
    candidate, incumbent = resolve_subjects(pair, GOLD)
    assert (candidate.name, incumbent.name) == ("candidate", "incumbent")


def test_predictions_against_a_dataset_read_its_references() -> None:
    import datasets

    from pytest_homog.data import load_dataset

    words = [[f"w{i}" for i in range(len(sentence))] for sentence in GOLD]
    dataset = load_dataset(datasets.Dataset.from_dict({"tokens": words, "tags": GOLD}))
    resolved = resolve_subject(PRED, dataset)
    assert (resolved.y_true, resolved.y_pred, resolved.texts) == (GOLD, PRED, words)
    texts = load_dataset(datasets.Dataset.from_dict({"text": ["good", "bad", "fine"], "label": ["pos", "neg", "pos"]}))
    assert resolve_subject(["pos", "pos", "pos"], texts).y_true == ["pos", "neg", "pos"]
    assert_f1_above(PRED, dataset, 0.5)
