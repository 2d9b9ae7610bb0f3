"""Perturbations: each keeps gold labels correct and aligns its tokens, one that finds nothing to change says so,
arguments are validated."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_homog.errors import HomogUsageError
from pytest_homog.metrics.tags import extract_entities
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
    is_punctuation,
    normalise_gazetteer,
)
from pytest_homog.strategies import (
    case_change,
    context_insertion,
    entity_swap,
    labelled_sentences,
    punctuation,
    typo,
    whitespace,
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


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


def test_punctuation_marks_and_gazetteers_are_checked_by_one_rule_each():
    assert is_punctuation("...") and is_punctuation("!?")
    assert not is_punctuation("") and not is_punctuation("a.") and not is_punctuation(". ")
    assert normalise_gazetteer({"PER": ["Bob Smith", ("Bob", "Smith"), "Ann"]}) == {
        "PER": (("Bob", "Smith"), ("Ann",))
    }
    with pytest.raises(HomogUsageError, match="gazetteer names must be non-empty strings"):
        normalise_gazetteer({"PER": [""]})
