"""Property-based behavioural checks (CheckList style) with hypothesis.

"For every sentence like this, the model must ...": hypothesis generates labelled sentences and perturbations,
searches for a counterexample and shrinks it to the smallest one. The model here is a small rule-based tagger (a
gazetteer lookup) so the file runs offline in seconds; any tagger with ``predict_tags(sentences)`` or a plain
``f(sentences) -> tags`` slots in.

Run:  pytest --homog examples/test_properties.py --hypothesis-profile=homog
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_homog import (
    LabelledSentence,
    assert_directional,
    assert_invariant,
    assert_min_functionality,
    assert_models_disagree_somewhere,
    assert_models_diverge,
)
from pytest_homog.perturbations import encode_tags
from pytest_homog.strategies import (
    DEFAULT_GAZETTEER,
    case_change,
    context_insertion,
    entity_swap,
    labelled_sentences,
    punctuation,
    typo,
    whitespace,
)

pytestmark = pytest.mark.homog

WNUT_DEV = Path(__file__).parent / "data" / "wnut17" / "dev.conll"


class GazetteerTagger:
    """Tags the names it knows (longest match first, case-insensitive, stray whitespace ignored)."""

    def __init__(self, gazetteer, *, scheme: str = "IOB2") -> None:
        self.scheme = scheme
        entries = [(tuple(n.casefold().split()), t) for t, names in gazetteer.items() for n in names]
        self.names = sorted(entries, key=lambda entry: -len(entry[0]))

    def predict_tags(self, sentences: list[list[str]]) -> list[list[str]]:
        out = []
        for tokens in sentences:
            words = [t.strip().casefold() for t in tokens]
            entities, i = [], 0
            while i < len(words):
                match = next((n for n in self.names if tuple(words[i : i + len(n[0])]) == n[0]), None)
                if match is None:
                    i += 1
                    continue
                entities.append((match[1], i, i + len(match[0])))
                i += len(match[0])
            out.append(list(encode_tags(entities, len(tokens), scheme=self.scheme)))
        return out


def read_conll(path: Path) -> list[tuple[list[str], list[str]]]:
    sentences, tokens, tags = [], [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            token, tag = line.split("\t")
            tokens.append(token)
            tags.append(tag)
        elif tokens:
            sentences.append((tokens, tags))
            tokens, tags = [], []
    return sentences


# Models are built once, in session fixtures outside @given; their predictions are cached per sentence.
@pytest.fixture(scope="session")
def tagger():
    return GazetteerTagger(DEFAULT_GAZETTEER, scheme="IOBES")


SENTENCES = labelled_sentences(scheme="IOBES", max_len=15)


@pytest.mark.parametrize(
    "perturbations",
    [case_change(how=None), typo(), punctuation(), whitespace(), context_insertion()],
    ids=["case", "typo", "punctuation", "whitespace", "context"],
)
@settings(max_examples=100)
@given(example=SENTENCES, data=st.data())
def test_invariant_to_label_preserving_changes(tagger, perturbations, example, data):
    assert_invariant(tagger, example, data.draw(perturbations, label="perturbation"))


@settings(max_examples=100)
@given(example=SENTENCES, perturbation=entity_swap())
def test_swapped_in_names_are_found(tagger, example, perturbation):
    assert_directional(tagger, example, perturbation, expect="found")


def test_minimum_functionality(tagger):
    simple = [
        LabelledSentence.from_entities(
            ["Alice", "lives", "in", "Paris"], [("PER", 0, 1), ("LOC", 3, 4)], scheme="IOBES"
        ),
        LabelledSentence.from_entities(["she", "works", "for", "Red", "Cross"], [("ORG", 3, 5)], scheme="IOBES"),
        LabelledSentence.from_entities(["nothing", "to", "see"], [], scheme="IOBES"),
    ]
    assert_min_functionality(tagger, simple)


def test_not_a_clone_of_a_narrower_tagger(tagger):
    # divergence as a property: hypothesis searches (target() steering toward larger disagreement) for sentences
    # where the two taggers disagree; the check fails if they agree on every generated sentence
    narrow = GazetteerTagger({"PER": DEFAULT_GAZETTEER["PER"]}, scheme="IOBES")
    assert_models_disagree_somewhere(tagger, narrow, SENTENCES, max_examples=50, min_disagreement=0.5)


def test_diverges_from_a_narrower_tagger_on_generated_sentences(tagger):
    # the same search, measured: the disagreement over the distinct sentences hypothesis generated, with its
    # bootstrap interval, must clear min_gap; it goes into the reports like any other check
    narrow = GazetteerTagger({"PER": DEFAULT_GAZETTEER["PER"]}, scheme="IOBES")
    assert_models_diverge(tagger, narrow, SENTENCES, min_gap=0.2, by="disagreement", confidence=0.95, max_examples=50)


def test_disagreement_on_sentences_like_wnut():
    # words and entity names drawn from a real corpus (WNUT 2017 dev, CC-BY 4.0)
    wnut = read_conll(WNUT_DEV)
    full = GazetteerTagger(_names(wnut))
    without_people = GazetteerTagger({t: n for t, n in _names(wnut).items() if t != "person"})
    like_wnut = labelled_sentences(dataset=wnut, entity_types=["person", "location"], max_len=12)
    assert_models_disagree_somewhere(full, without_people, like_wnut, max_examples=30)


def _names(corpus):
    from pytest_homog.strategies import dataset_gazetteer

    return {t: [" ".join(n) for n in names] for t, names in dataset_gazetteer(corpus)[1].items()}
