"""The prediction cache: each model runs once per input, any object with a prediction method or a plain callable
is a model, and a model that breaks the protocol gets a clear error."""

from __future__ import annotations

import pytest
from _taggers import GazetteerTagger
from hypothesis import HealthCheck, given, settings

from pytest_homog.checks.behaviour import assert_invariant
from pytest_homog.errors import HomogModelError, HomogUsageError
from pytest_homog.perturbations import CaseChange, ContextInsertion, LabelledSentence, TextExample
from pytest_homog.prediction_cache import (
    CACHE_SIZE,
    clear_prediction_cache,
    model_name,
    predict_examples,
    predict_labels,
    predict_tags,
)
from pytest_homog.record import RunRecord, set_active_run
from pytest_homog.strategies import DEFAULT_GAZETTEER, case_change, labelled_sentences

FAST = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

def test_predictions_are_cached_per_model_and_input():
    clear_prediction_cache()
    tagger = GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=False)
    s = LabelledSentence.from_entities(["Alice", "left"], [("PER", 0, 1)])
    for _ in range(3):
        assert_invariant(tagger, s, CaseChange())
    assert tagger.calls == 1 and len(tagger.seen) == 2  # original and perturbed, once each
    other = GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=False)
    assert_invariant(other, s, CaseChange())
    assert other.calls == 1  # a different model object has its own cache
    assert_invariant(tagger.predict_tags, s, CaseChange())  # a bound method shares its instance's cache
    assert tagger.calls == 1


def test_a_property_test_never_reruns_the_model_on_a_seen_example():
    clear_prediction_cache()
    tagger = GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=True)

    @settings(FAST, max_examples=100)
    @given(example=labelled_sentences(max_len=6), perturbation=case_change())
    def check(example, perturbation):
        assert_invariant(tagger, example, perturbation)

    with pytest.raises(AssertionError):
        check()  # generation, shrinking and the final replay
    assert len(tagger.seen) == len(set(tagger.seen))


def test_unweakrefable_callables_are_cached_too():
    class Slotted:
        __slots__ = ("calls",)

        def __init__(self):
            self.calls = 0

        def __call__(self, texts):
            self.calls += 1
            return ["x" for _ in texts]

    model = Slotted()
    assert predict_labels(model, ["a", "b"]) == ["x", "x"]
    assert predict_labels(model, ["b", "a", "c"]) == ["x", "x", "x"]
    assert model.calls == 2


def test_objects_with_a_predict_method_and_their_names():
    class Pipeline:  # a scikit-learn style text classifier
        homog_name = "sentiment-v2"

        def predict(self, texts):
            return ["pos" if "good" in t else "neg" for t in texts]

    run = RunRecord()
    set_active_run(run)
    try:
        assert_invariant(Pipeline(), TextExample("good film", "pos"), ContextInsertion())
    finally:
        set_active_run(None)
    assert run.checks[0].subjects == ("sentiment-v2",)

    class Tagger:
        def predict(self, sentences):
            return [["O"] * len(s) for s in sentences]

    assert predict_tags(Tagger(), [["a", "b"]]) == [("O", "O")]


def test_models_that_break_the_protocol_get_clear_errors():
    with pytest.raises(HomogModelError, match="one tag string per token"):
        predict_tags(lambda batch: [["O"] for _ in batch], [["a", "b"]])
    with pytest.raises(HomogModelError, match="one list of tags per sentence"):
        predict_tags(lambda batch: [], [["a"]])
    with pytest.raises(HomogModelError, match="one label per text"):
        predict_labels(lambda batch: "pos", ["good"])
    with pytest.raises(HomogUsageError, match="must be callable on a batch or have a predict_tags"):
        predict_tags(object(), [["a"]])



def test_examples_are_predicted_by_kind_and_mixed_kinds_are_refused():
    tagger = GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=False)
    sentence = LabelledSentence.from_entities(["Alice", "left"], [("PER", 0, 1)])
    assert predict_examples(tagger, [sentence]) == [("B-PER", "O")]
    assert predict_examples(lambda texts: ["pos"] * len(texts), [TextExample("good", "pos")]) == ["pos"]
    with pytest.raises(HomogUsageError, match=r"must all be LabelledSentence \(taggers\) or all TextExample"):
        predict_examples(tagger, [sentence, TextExample("good", "pos")])


def test_model_names_come_from_homog_name_name_or_the_class():
    class Named:
        name = "ner-v1"

    class Unnamed:
        def __call__(self, batch):
            return batch

    assert model_name(Named()) == "ner-v1"
    assert model_name(Unnamed()) == "Unnamed"

    def tagger(batch):
        return batch

    assert model_name(tagger) == "tagger"


def test_the_cache_drops_the_least_recently_used_prediction(monkeypatch):
    import pytest_homog.prediction_cache as prediction_cache

    calls: list[list[str]] = []

    def classifier(texts):
        calls.append(list(texts))
        return ["x"] * len(texts)

    monkeypatch.setattr(prediction_cache, "CACHE_SIZE", 2)
    predict_labels(classifier, ["a", "b"])
    predict_labels(classifier, ["a"])  # "a" is now the most recently used
    predict_labels(classifier, ["c"])  # drops "b"
    predict_labels(classifier, ["a", "b"])
    assert calls == [["a", "b"], ["c"], ["b"]]
    assert CACHE_SIZE == 100_000
