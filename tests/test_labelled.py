"""Labelled examples: tags written in every scheme read back as seqeval reads them, entities are read strictly
from tags, and bad spans, schemes and lengths are refused."""

from __future__ import annotations

import pytest
from _seqeval import seqeval_strict

from pytest_homog.errors import HomogDataError, HomogUsageError
from pytest_homog.labelled import LabelledSentence, TextExample, encode_tags, entity_positions


@pytest.mark.parametrize(
    ("scheme", "tags"),
    [
        ("IOB2", ["B-LOC", "I-LOC", "B-LOC", "O", "B-PER"]),
        ("IOB1", ["I-LOC", "I-LOC", "B-LOC", "O", "I-PER"]),
        ("IOE2", ["I-LOC", "E-LOC", "E-LOC", "O", "E-PER"]),
        ("IOE1", ["I-LOC", "E-LOC", "I-LOC", "O", "I-PER"]),
        ("IOBES", ["B-LOC", "E-LOC", "S-LOC", "O", "S-PER"]),
        ("BILOU", ["B-LOC", "L-LOC", "U-LOC", "O", "U-PER"]),
    ],
)
def test_encode_tags_hand_written(scheme, tags):
    entities = [("LOC", 0, 2), ("LOC", 2, 3), ("PER", 4, 5)]
    assert list(encode_tags(entities, 5, scheme=scheme)) == tags
    assert seqeval_strict(tags, scheme) == entities


@pytest.mark.parametrize("entities", [[("LOC", 0, 3)], [("LOC", 1, 2), ("PER", 1, 3)], [("", 0, 1)]])
def test_encode_tags_rejects_bad_spans(entities):
    with pytest.raises(HomogDataError, match="fix the spans"):
        encode_tags(entities, 2)


def test_encode_tags_rejects_unknown_scheme():
    with pytest.raises(HomogUsageError, match="scheme must be one of"):
        encode_tags([], 1, scheme="BIO")


def test_from_tags_reads_entities_strictly_and_rejects_foreign_tags():
    s = LabelledSentence.from_tags(["a", "Paris"], ["O", "S-LOC"], scheme="IOBES")
    assert s.entities == (("LOC", 1, 2),)
    with pytest.raises(HomogDataError):
        LabelledSentence.from_tags(["Paris"], ["S-LOC"], scheme="IOB2")
    with pytest.raises(HomogDataError, match="one tag per token"):
        LabelledSentence(("a",), (), "IOB2", ())


def test_a_sentence_knows_its_entity_texts_and_positions():
    sentence = LabelledSentence.from_entities(["Alice", "lives", "in", "New", "York"], [("LOC", 3, 5), ("PER", 0, 1)])
    assert sentence.entities == (("PER", 0, 1), ("LOC", 3, 5))  # in sentence order
    assert sentence.entity_text(1) == "New York" and len(sentence) == 5
    assert sentence.entity_positions() == frozenset({0, 3, 4})
    assert entity_positions(sentence.entities) == {0, 3, 4}


def test_a_text_example_splits_its_words_on_whitespace():
    assert TextExample("a  truly\tgreat film", "positive").tokens == ("a", "truly", "great", "film")
