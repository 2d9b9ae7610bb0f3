"""Generated examples as subjects and data: ``assert_models_diverge`` over a strategy or a list of examples
measures the distinct examples seen, as the written-out formula does."""

from __future__ import annotations

import pytest
from _taggers import GazetteerTagger
from hypothesis import strategies as st

from pytest_homog import assert_models_diverge
from pytest_homog.errors import HomogUsageError, UndefinedMetricWarning
from pytest_homog.example_subjects import GeneratedData, is_example_data, subjects_on_examples
from pytest_homog.metrics.quality import f1_score
from pytest_homog.perturbations import LabelledSentence, TextExample
from pytest_homog.strategies import DEFAULT_GAZETTEER, labelled_sentences


def _direct_disagreement(predictions_a, predictions_b) -> float:
    """Entity-set disagreement over a corpus, written out: 1 - sum |A & B| / sum |A | B| (IOB2 entities)."""
    intersection = union = 0
    for tags_a, tags_b in zip(predictions_a, predictions_b, strict=True):
        entities_a = {(tag[2:], start, end) for start, end, tag in _spans(tags_a)}
        entities_b = {(tag[2:], start, end) for start, end, tag in _spans(tags_b)}
        intersection, union = intersection + len(entities_a & entities_b), union + len(entities_a | entities_b)
    return 1 - intersection / union if union else 0.0


def _spans(tags):
    out, start = [], None
    for i, tag in enumerate([*tags, "O"]):
        if start is not None and not (tag.startswith("I-") and tag[2:] == tags[start][2:]):
            out.append((start, i, tags[start]))
            start = None
        if tag.startswith("B-") or (tag.startswith("I-") and start is None):
            start = i
    return out


def test_diverge_over_a_strategy_measures_the_distinct_examples_seen(brittle, robust, run_record):
    strategy = labelled_sentences(max_len=6, gazetteer={"PER": ["alice", "Alice"], "LOC": ["Paris"]})
    record = assert_models_diverge(brittle, robust, strategy, min_gap=0.05, by="disagreement", max_examples=40,
                                   confidence=None)  # fmt: skip
    assert record.passed and record.data.startswith("generated examples (")
    n_seen = int(record.data.split("(")[1].rstrip(")"))
    assert record.n == n_seen and 1 <= n_seen <= 40
    # the same examples again, as a list: the value is the direct formula on the two taggers' predictions
    subject_a, subject_b, data = subjects_on_examples(brittle, robust, strategy, max_examples=40, seed=0)
    assert len(data.examples) == n_seen
    _, predictions_a, _ = subject_a.homog_predict(data)
    _, predictions_b, _ = subject_b.homog_predict(data)
    assert record.value == pytest.approx(_direct_disagreement(predictions_a, predictions_b), abs=1e-12)
    again = assert_models_diverge(brittle, robust, data.examples, min_gap=0.01, by="disagreement", confidence=None)
    assert again.value == record.value and again.data == f"given examples ({n_seen})"
    assert record.subjects == ("GazetteerTagger (a)", "GazetteerTagger (b)")  # same class name: told apart


def test_diverge_over_generated_data_fails_for_copies(robust, run_record):
    twin = GazetteerTagger(DEFAULT_GAZETTEER, case_sensitive=False)
    with pytest.raises(AssertionError) as info:
        assert_models_diverge(robust, twin, labelled_sentences(max_len=5), min_gap=0.01, by="disagreement",
                              max_examples=25)  # fmt: skip
    assert "generated examples" in str(info.value) or "0.0000" in str(info.value)
    assert run_record.checks[-1].passed is False and run_record.checks[-1].value == 0.0


def test_diverge_gap_over_generated_data_uses_the_strategy_gold_labels(robust, run_record):

    def silent(batch):
        return [["O"] * len(s) for s in batch]

    examples = [
        LabelledSentence.from_entities(["Alice", "met", "Bob", "Smith"], [("PER", 0, 1), ("PER", 2, 4)]),
        LabelledSentence.from_entities(["in", "Paris", "today"], [("LOC", 1, 2)]),
        LabelledSentence.from_entities(["nothing", "here"], []),
    ]
    with pytest.warns(UndefinedMetricWarning, match="no predicted items"):  # silent predicts no entity
        record = assert_models_diverge(robust, silent, examples, min_gap=0.5, by="f1", confidence=None)
    gold = [list(e.tags) for e in examples]
    f1_robust = f1_score(gold, robust.predict_tags([list(e.tokens) for e in examples]))
    assert record.value == pytest.approx(abs(f1_robust - 0.0), abs=1e-12) and f1_robust == 1.0


def test_diverge_over_generated_data_refuses_cka_and_bad_max_examples(brittle, robust):
    with pytest.raises(HomogUsageError, match="by='cka' compares hidden states"):
        assert_models_diverge(brittle, robust, labelled_sentences(), min_gap=0.1, by="cka")
    with pytest.raises(HomogUsageError, match="max_examples must be a positive integer; got 0"):
        assert_models_diverge(brittle, robust, labelled_sentences(), min_gap=0.1, by="disagreement", max_examples=0)


def test_diverge_over_text_examples_compares_labels(run_record):
    def positive(batch):
        return ["positive"] * len(batch)

    def by_word(batch):
        return ["positive" if "good" in t else "negative" for t in batch]

    examples = [TextExample("a good film", "positive"), TextExample("a dull film", "negative")] * 2
    record = assert_models_diverge(positive, by_word, examples, min_gap=0.4, by="disagreement", confidence=None)
    # two distinct examples; they differ on the second
    assert record.value == 0.5 and record.n == 2


def test_example_data_is_a_strategy_or_a_list_of_one_kind_of_example():
    sentence = LabelledSentence.from_entities(["Alice"], [("PER", 0, 1)])
    text = TextExample("good", "pos")
    assert is_example_data(labelled_sentences()) and is_example_data(st.just(text))
    assert is_example_data([sentence]) and is_example_data((text, text))
    assert not is_example_data([]) and not is_example_data([sentence, text])
    assert not is_example_data([["B-PER"]]) and not is_example_data("examples/data/test.conll")


def test_generated_data_holds_the_gold_labels_and_says_where_they_came_from():
    sentence = LabelledSentence.from_entities(["Alice", "left"], [("PER", 0, 1)])
    data = GeneratedData([sentence], generated=False)
    assert data.homog_references() == [["B-PER", "O"]] and data.homog_name == "given examples (1)"
    texts = GeneratedData([TextExample("good", "pos")], generated=True)
    assert texts.homog_references() == ["pos"] and texts.homog_name == "generated examples (1)"


def test_subjects_on_no_example_are_refused(robust):
    with pytest.raises(HomogUsageError, match="gave no example"):
        subjects_on_examples(robust, robust, iter(()))
