"""Strategies and perturbations: generated examples are valid in their scheme, perturbations keep gold labels
correct, arguments are validated when a strategy is built."""

from __future__ import annotations

import pytest
import seqeval.scheme
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from pytest_homog.errors import HomogDataError, HomogUsageError
from pytest_homog.metrics.tags import SCHEMES, extract_entities
from pytest_homog.perturbations import (
    CaseChange,
    ContextInsertion,
    EntitySwap,
    LabelledSentence,
    Punctuation,
    TextExample,
    Typo,
    Whitespace,
    encode_tags,
)
from pytest_homog.strategies import (
    DEFAULT_GAZETTEER,
    DEFAULT_VOCABULARY,
    case_change,
    context_insertion,
    dataset_gazetteer,
    entity_swap,
    labelled_sentences,
    punctuation,
    text_examples,
    typo,
    whitespace,
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def seqeval_strict(tags, scheme):
    """Independent oracle: seqeval's strict reading of one sentence."""
    entities = seqeval.scheme.Entities([list(tags)], getattr(seqeval.scheme, scheme))
    return [(t, s, e) for _, t, s, e in (x.to_tuple() for x in entities.entities[0])]


# ---------------------------------------------------------------------------------------------------- encoding


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


# ---------------------------------------------------------------------------------------------------- sentences


@pytest.mark.parametrize("scheme", SCHEMES)
@FAST
@given(data=st.data())
def test_generated_sentences_are_valid_in_their_scheme(scheme, data):
    s = data.draw(labelled_sentences(scheme=scheme, max_len=12))
    assert 1 <= len(s.tokens) == len(s.tags) <= 12
    assert s.scheme == scheme
    # the metric layer's strict extraction and seqeval give back exactly the generated entities
    assert extract_entities(list(s.tags), scheme=scheme, mode="strict") == list(s.entities)
    assert seqeval_strict(s.tags, scheme) == list(s.entities)
    for etype, start, end in s.entities:
        assert " ".join(s.tokens[start:end]) in DEFAULT_GAZETTEER[etype]
    inside = s.entity_positions()
    assert all(t in DEFAULT_VOCABULARY for i, t in enumerate(s.tokens) if i not in inside)


@FAST
@given(
    labelled_sentences(
        scheme="BILOU",
        entity_types=["DRUG", "DOSE"],
        vocabulary=["take", "twice", "daily"],
        gazetteer={"DRUG": ["aspirin", "vitamin C"], "DOSE": ["10 mg"]},
        min_len=3,
        max_len=6,
        max_entities=1,
    )
)
def test_vocabulary_gazetteer_and_bounds_are_honoured(s):
    assert 3 <= len(s.tokens) <= 6
    assert len(s.entities) <= 1
    assert extract_entities(list(s.tags), scheme="BILOU", mode="strict") == list(s.entities)
    names = {"DRUG": {"aspirin", "vitamin C"}, "DOSE": {"10 mg"}}
    for etype, start, end in s.entities:
        assert " ".join(s.tokens[start:end]) in names[etype]
    assert all(t in {"take", "twice", "daily"} for i, t in enumerate(s.tokens) if i not in s.entity_positions())


@FAST
@given(labelled_sentences(entity_types=["GENE"], max_len=8))
def test_types_without_default_names_get_invented_capitalised_names(s):
    for _, start, end in s.entities:
        assert all(t[:1].isupper() and t.isalpha() for t in s.tokens[start:end])


DATA = [
    (["Alice", "lives", "in", "New", "York"], ["B-PER", "O", "O", "B-LOC", "I-LOC"]),
    (["Acme", "hired", "Bob"], ["B-ORG", "O", "B-PER"]),
]


@FAST
@given(labelled_sentences(dataset=DATA, scheme="IOBES", max_len=8))
def test_sentences_from_a_dataset(s):
    assert extract_entities(list(s.tags), scheme="IOBES", mode="strict") == list(s.entities)
    names = {"PER": {"Alice", "Bob"}, "LOC": {"New York"}, "ORG": {"Acme"}}
    for etype, start, end in s.entities:
        assert " ".join(s.tokens[start:end]) in names[etype]
    assert all(t in {"lives", "in", "hired"} for i, t in enumerate(s.tokens) if i not in s.entity_positions())


def test_dataset_names_in_every_scheme_equal_a_direct_reading():
    rows = [
        (list(s.tokens), list(encode_tags(s.entities, len(s.tokens), scheme=scheme)), scheme)
        for scheme in SCHEMES
        for s in [
            LabelledSentence.from_entities(["New", "York", "and", "Kyoto"], [("LOC", 0, 2), ("LOC", 3, 4)]),
            LabelledSentence.from_entities(["Alice", "Bob", "Smith"], [("PER", 0, 1), ("PER", 1, 3)]),
        ]
    ]
    for scheme in SCHEMES:
        data = [(tokens, tags) for tokens, tags, sch in rows if sch == scheme]
        words, names = dataset_gazetteer(data, scheme=scheme)
        assert words == ("and",), scheme
        assert names == {"LOC": (("New", "York"), ("Kyoto",)), "PER": (("Alice",), ("Bob", "Smith"))}, scheme
    with pytest.raises(InvalidArgument, match="cannot be read in scheme BILOU"):
        dataset_gazetteer([(["a"], ["S-X"])], scheme="BILOU")


def test_sentences_from_a_datasets_dataset_with_class_labels():
    datasets = pytest.importorskip("datasets")
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names)),
        }
    )
    ds = datasets.Dataset.from_dict(
        {"tokens": [["Ada", "Lovelace", "visited", "Rome"]], "ner_tags": [[1, 2, 0, 3]]}, features=features
    )
    s = find(labelled_sentences(dataset=ds, min_len=3, max_len=3), lambda s: len(s.entities) == 2)
    assert {(t, " ".join(s.tokens[a:b])) for t, a, b in s.entities} <= {
        ("PER", "Ada Lovelace"),
        ("LOC", "Rome"),
    }


def test_sentences_shrink_to_the_shortest_with_an_entity():
    s = find(labelled_sentences(), lambda s: len(s.entities) > 0)
    assert len(s.tokens) == 1
    assert s.tags == ("B-PER",) and s.tokens == ("Alice",)


def test_from_tags_reads_entities_strictly_and_rejects_foreign_tags():
    s = LabelledSentence.from_tags(["a", "Paris"], ["O", "S-LOC"], scheme="IOBES")
    assert s.entities == (("LOC", 1, 2),)
    with pytest.raises(HomogDataError):
        LabelledSentence.from_tags(["Paris"], ["S-LOC"], scheme="IOB2")
    with pytest.raises(HomogDataError, match="one tag per token"):
        LabelledSentence(("a",), (), "IOB2", ())


# ---------------------------------------------------------------------------------------------------- texts


@FAST
@given(text_examples(labels={"pos": ["great", "loved it"], "neg": ["awful"]}, min_words=0, max_words=4))
def test_text_examples_hold_one_cue_of_their_label(example):
    assert example.label in {"pos", "neg"}
    assert ("awful" in example.text) == (example.label == "neg")
    assert 1 <= len(example.tokens) <= 6


# ---------------------------------------------------------------------------------------------------- perturbations

PERTURBATIONS = {
    "case_change": case_change(how=None, target="entity"),
    "case_change_sentence": case_change(how=None, target="sentence"),
    "case_change_context": case_change(target="context"),
    "typo": typo(),
    "typo_inside": typo(inside_entities=True),
    "entity_swap": entity_swap(),
    "punctuation": punctuation(),
    "whitespace": whitespace(),
    "context_insertion": context_insertion(),
}


def _ioe1_unreadable(s: LabelledSentence) -> bool:
    """seqeval's strict IOE1 cannot read a one-token entity directly followed by one of the same type."""
    return s.scheme == "IOE1" and any(
        a[2] - a[1] == 1 and a[2] == b[1] and a[0] == b[0] for a, b in zip(s.entities, s.entities[1:], strict=False)
    )


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
@pytest.mark.parametrize("scheme", ["IOB1", "IOE1", "BILOU"])
@settings(FAST, max_examples=25)
@given(data=st.data())
def test_perturbations_keep_gold_labels_correct(name, scheme, data):
    s = data.draw(labelled_sentences(scheme=scheme, max_len=10))
    p = data.draw(PERTURBATIONS[name])(s)
    o, q = p.original, p.perturbed
    assert o == s and isinstance(q, LabelledSentence) and q.scheme == scheme
    if not _ioe1_unreadable(q):
        assert extract_entities(list(q.tags), scheme=scheme, mode="strict") == list(q.entities)
    assert list(q.tags) == list(encode_tags(q.entities, len(q.tokens), scheme=scheme))
    assert len(p.alignment) == len(o.tokens)
    aligned = [j for j in p.alignment if j is not None]
    assert aligned == sorted(aligned) and len(set(aligned)) == len(aligned)
    assert all(0 <= j < len(q.tokens) for j in [*aligned, *p.changed])
    span = set(p.changed)
    for i, j in enumerate(p.alignment):
        if j is None:
            continue
        if j not in span:
            assert q.tokens[j] == o.tokens[i]  # untouched tokens are the same words...
        if p.preserves_labels or j not in span:
            # ...and every aligned token keeps its entity membership and type
            assert (q.tags[j] == "O") == (o.tags[i] == "O")
            assert q.tags[j][2:] == o.tags[i][2:]
    if not p.applied:
        assert q == o and not p.changed
    # the inserted/edited tokens are the only new words
    new_positions = set(range(len(q.tokens))) - set(aligned)
    assert new_positions <= span


def test_each_perturbation_by_hand():
    s = LabelledSentence.from_entities(["Yes", "Alice", "met", "Bob", "Smith", "."], [("PER", 1, 2), ("PER", 3, 5)])
    p = CaseChange(how="upper", target="entity", index=1)(s)
    assert p.perturbed.tokens == ("Yes", "Alice", "met", "BOB", "SMITH", ".") and p.changed == (3, 4)
    p = CaseChange(target="context")(s)
    assert p.perturbed.tokens[0] == "yes" and p.changed == (0,)
    p = Typo(style="replace", inside_entities=True, index=1, offset=0, char="C")(s)
    assert p.perturbed.tokens[3] == "Cob" and p.perturbed.tags == s.tags
    p = EntitySwap({"PER": ["Bob Smith", "Ahmed"]}, index=1)(s)
    assert p.perturbed.tokens == ("Yes", "Alice", "met", "Ahmed", ".")
    assert p.alignment == (0, 1, 2, None, None, 4) and p.changed == (3,) and not p.preserves_labels
    p = Punctuation(action="remove")(s)
    assert p.perturbed.tokens[-1] == "Smith" and p.alignment[-1] is None and p.preserves_labels
    p = Whitespace(index=3, space="\t")(s)
    assert p.perturbed.tokens[3] == "\tBob\t"
    p = ContextInsertion(where="end", phrase="as usual")(s)
    assert p.perturbed.tokens[-2:] == ("as", "usual") and p.changed == (6, 7)


@FAST
@given(s=labelled_sentences(max_len=8), swap=entity_swap())
def test_entity_swap_has_a_short_reproducible_form(s, swap):
    small = swap.minimal(s)
    if swap(s).applied:
        again = eval(repr(small), {"EntitySwap": EntitySwap})
        assert again(s).perturbed == small(s).perturbed == swap(s).perturbed
        assert sum(len(n) for n in small.gazetteer.values()) == 1
    else:
        assert not small(s).applied


def test_entity_swap_picks_an_entity_it_can_change():
    s = LabelledSentence.from_entities(["Alice", "in", "Paris"], [("PER", 0, 1), ("LOC", 2, 3)])
    for index in range(3):
        assert EntitySwap({"LOC": ["Kyoto"]}, index=index)(s).perturbed.tokens == ("Alice", "in", "Kyoto")
    lower = LabelledSentence.from_entities(["alice", "in", "Paris"], [("PER", 0, 1), ("LOC", 2, 3)])
    assert CaseChange(how="lower", index=0)(lower).changed == (2,)


def test_perturbations_that_do_not_apply_leave_the_example_unchanged():
    s = LabelledSentence.from_entities(["it", "rained"], [])
    for perturbation in (
        CaseChange(),
        EntitySwap({"PER": ["Alice"]}),
        Punctuation(action="remove"),
        Typo(inside_entities=True),
    ):
        p = perturbation(s)
        assert not p.applied and p.perturbed == s and "not applied" in p.description
    alone = LabelledSentence.from_entities(["Kyoto"], [("LOC", 0, 1)])
    assert not EntitySwap({"LOC": ["Kyoto"]})(alone).applied


def test_text_perturbations():
    t = TextExample("a great film .", "pos")
    assert CaseChange(how="upper", target="sentence")(t).perturbed.text == "A GREAT FILM ."
    assert Typo(style="delete", index=0, offset=0)(t).perturbed.text == "a reat film ."
    assert Punctuation(action="add", mark="!")(t).perturbed.text == "a great film .!"
    assert Punctuation(action="remove")(t).perturbed.text == "a great film"
    assert Whitespace(index=1, space="\n")(t).perturbed.text == "a great\nfilm ."
    assert ContextInsertion(where="start", index=0)(t).perturbed.text == "Yesterday , a great film ."
    assert not EntitySwap({"PER": ["Alice"]})(t).applied
    assert all(p(t).perturbed.label == "pos" for p in (CaseChange(target="sentence"), Whitespace()))


def test_perturbations_reject_bad_arguments_and_foreign_examples():
    with pytest.raises(HomogUsageError, match="how must be one of"):
        CaseChange(how="shout")
    with pytest.raises(HomogUsageError, match="style must be one of"):
        Typo(style="smudge")
    with pytest.raises(HomogUsageError, match="one character"):
        Typo(char="ab")
    with pytest.raises(HomogUsageError, match="mark must be punctuation"):
        Punctuation(mark="a")
    with pytest.raises(HomogUsageError, match="whitespace"):
        Whitespace(space="x")
    with pytest.raises(HomogUsageError, match="phrase must be"):
        ContextInsertion(phrase=())
    with pytest.raises(HomogUsageError, match="mapping"):
        EntitySwap(["Alice"])  # type: ignore[arg-type]
    with pytest.raises(HomogUsageError, match=r"applies to a LabelledSentence or a TextExample; got tuple"):
        CaseChange()((["a"], ["O"]))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: labelled_sentences(min_len=5, max_len=3), "min_len=5 is larger than max_len=3."),
        (lambda: labelled_sentences(min_len=0), "min_len=0 must be an integer >= 1."),
        (lambda: labelled_sentences(max_len=2.5), "max_len=2.5 must be an integer >= 1."),
        (lambda: labelled_sentences(scheme="BIO"), "scheme must be one of"),
        (lambda: labelled_sentences(max_entities=-1), "max_entities=-1 must be None or an integer >= 0."),
        (lambda: labelled_sentences(vocabulary=[]), "vocabulary is empty"),
        (lambda: labelled_sentences(vocabulary="words"), "vocabulary must be a sequence of words"),
        (
            lambda: labelled_sentences(vocabulary=["ok", ""]),
            "vocabulary holds items that are not non-empty words",
        ),
        (lambda: labelled_sentences(entity_types=["NAMED ENTITY"]), "must not contain whitespace"),
        (
            lambda: labelled_sentences(gazetteer={"PER": ["Alice"]}, entity_types=["PER", "LOC"]),
            r"no names for entity types \['LOC'\] in the gazetteer",
        ),
        (lambda: labelled_sentences(gazetteer={"PER": [""]}), "gazetteer names must be non-empty"),
        (lambda: labelled_sentences(dataset=[]), "dataset is empty"),
        (lambda: labelled_sentences(dataset=[(["a"], ["O", "O"])]), "1 tokens and 2 tags"),
        (lambda: labelled_sentences(dataset_scheme="IOB1"), "without a dataset"),
        (lambda: text_examples(labels={}), "labels is empty"),
        (lambda: text_examples(labels={"pos": ["good"]}, vocabulary=["good", "film"]), "also label cues"),
        (lambda: text_examples(labels={"pos": ["good"]}, min_words=4, max_words=2), "min_words=4 is larger"),
        (lambda: case_change(how="shout"), "how must be among"),
        (lambda: case_change(target="word"), "target must be among"),
        (lambda: typo(style="smudge"), "style must be among"),
        (lambda: typo(inside_entities="yes"), "inside_entities must be True or False"),
        (lambda: entity_swap(gazetteer={"PER": []}), "gazetteer has no names"),
        (lambda: punctuation(marks=["a"]), "marks must be punctuation"),
        (lambda: punctuation(action="swap"), "action must be among"),
        (lambda: whitespace(spaces=["x"]), "spaces must be non-empty strings of whitespace"),
        (lambda: context_insertion(where="middle"), "where must be among"),
        (lambda: context_insertion(phrases=[]), "phrases must be a non-empty sequence"),
    ],
)
def test_arguments_are_validated_when_the_strategy_is_built(build, message):
    with pytest.raises(InvalidArgument, match=message):
        build()


def test_the_homog_profile_is_registered_on_import():
    profile = settings.get_profile("homog")
    assert profile.deadline is None
    assert profile.derandomize is True
    assert profile.database is None
    assert HealthCheck.too_slow in profile.suppress_health_check
