"""Tagging schemes and entity reading, against seqeval (conlleval and strict modes)."""

from __future__ import annotations

import warnings
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import BILOU, IOB1, IOB2, IOBES, IOE1, IOE2, Entities

from pytest_homog.errors import HomogDataError, HomogUsageError, HomogWarning
from pytest_homog.metrics.quality import classification_report, f1_score
from pytest_homog.metrics.tags import (
    MODES,
    SCHEMES,
    entities_by_sentence,
    extract_entities,
)

SEQEVAL_SCHEMES = {"IOB1": IOB1, "IOB2": IOB2, "IOE1": IOE1, "IOE2": IOE2, "IOBES": IOBES, "BILOU": BILOU}
PREFIXES = {"IOB1": "IOB", "IOB2": "IOB", "IOE1": "IOE", "IOE2": "IOE", "IOBES": "IOBES", "BILOU": "BILOU"}
TYPES = ["PER", "LOC", ""]


def tag_strategy(prefixes: str) -> st.SearchStrategy[str]:
    def build(prefix: str, typ: str) -> str:
        if prefix == "O":
            return "O"
        return f"{prefix}-{typ}" if typ else prefix

    return st.builds(build, st.sampled_from(prefixes), st.sampled_from(TYPES))


def sentence_strategy(prefixes: str, max_size: int = 10) -> st.SearchStrategy[list[str]]:
    return st.lists(tag_strategy(prefixes), min_size=1, max_size=max_size)


def seqeval_conlleval(tags: list[str]) -> list[tuple[str, int, int]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [(t, s, e + 1) for t, s, e in get_entities(list(tags))]


def seqeval_strict(tags: list[str], scheme: str) -> list[tuple[str, int, int]]:
    return [(e.tag, e.start, e.end) for e in Entities([list(tags)], SEQEVAL_SCHEMES[scheme]).entities[0]]


def test_constants() -> None:
    assert SCHEMES == ("IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU")
    assert MODES == ("conlleval", "strict")


@settings(max_examples=300, deadline=None)
@given(scheme=st.sampled_from(SCHEMES), data=st.data())
def test_strict_matches_seqeval_on_scheme_tags(scheme: str, data: st.DataObject) -> None:
    tags = data.draw(sentence_strategy(PREFIXES[scheme]))
    assert extract_entities(tags, scheme=scheme, mode="strict") == seqeval_strict(tags, scheme)


@pytest.mark.filterwarnings("ignore:tags such as .* are BILOU tags")  # reading BILOU leniently is the point
@pytest.mark.filterwarnings("ignore:tag .* has a prefix mode='conlleval' does not know")  # and unknown prefixes
@settings(max_examples=300, deadline=None)
@given(tags=sentence_strategy("IOBESUL.X"))
def test_conlleval_matches_seqeval_get_entities_on_any_tags(tags: list[str]) -> None:
    for scheme in ("IOB2", "BILOU"):  # conlleval mode ignores the scheme
        assert extract_entities(tags, scheme=scheme, mode="conlleval") == seqeval_conlleval(tags)


@settings(max_examples=200, deadline=None)
@given(scheme=st.sampled_from(SCHEMES), tags=sentence_strategy("IOBESUL"))
def test_strict_rejects_what_seqeval_rejects(scheme: str, tags: list[str]) -> None:
    try:
        expected = seqeval_strict(tags, scheme)
    except (ValueError, KeyError):
        with pytest.raises(HomogDataError, match=f"outside scheme {scheme}"):
            extract_entities(tags, scheme=scheme, mode="strict")
    else:
        assert extract_entities(tags, scheme=scheme, mode="strict") == expected


@pytest.mark.filterwarnings("ignore:tags such as .* are BILOU tags")  # reading BILOU leniently is the point
@pytest.mark.parametrize(
    ("tags", "scheme", "conlleval", "strict"),
    [
        # IOB2: I after O opens an entity in conlleval mode only; a type change splits
        (["O", "I-PER", "I-PER"], "IOB2", [("PER", 1, 3)], []),
        (["B-PER", "I-LOC"], "IOB2", [("PER", 0, 1), ("LOC", 1, 2)], [("PER", 0, 1)]),
        (["B-PER", "B-PER"], "IOB2", [("PER", 0, 1), ("PER", 1, 2)], [("PER", 0, 1), ("PER", 1, 2)]),
        (["B-PER", "I-PER", "I-PER"], "IOB2", [("PER", 0, 3)], [("PER", 0, 3)]),
        # IOB1: B only separates adjacent entities of one type
        (["I-PER", "B-PER", "I-PER"], "IOB1", [("PER", 0, 1), ("PER", 1, 3)], [("PER", 0, 1), ("PER", 1, 3)]),
        (["I-PER", "I-LOC"], "IOB1", [("PER", 0, 1), ("LOC", 1, 2)], [("PER", 0, 1), ("LOC", 1, 2)]),
        # IOE2: E closes every entity
        (["I-PER", "E-PER", "E-PER"], "IOE2", [("PER", 0, 2), ("PER", 2, 3)], [("PER", 0, 2), ("PER", 2, 3)]),
        (["I-PER", "I-PER", "O"], "IOE2", [("PER", 0, 2)], []),
        # IOE1: E only separates adjacent entities of one type
        (["I-PER", "E-PER", "I-PER"], "IOE1", [("PER", 0, 2), ("PER", 2, 3)], [("PER", 0, 2), ("PER", 2, 3)]),
        # IOBES: S is a one-token entity; B without E is ill-formed
        (
            ["S-PER", "B-LOC", "E-LOC"],
            "IOBES",
            [("PER", 0, 1), ("LOC", 1, 3)],
            [("PER", 0, 1), ("LOC", 1, 3)],
        ),
        (["B-LOC", "I-LOC", "O"], "IOBES", [("LOC", 0, 2)], []),
        (["B-LOC", "S-LOC"], "IOBES", [("LOC", 0, 1), ("LOC", 1, 2)], [("LOC", 1, 2)]),
        # BILOU: U is a one-token entity, L closes one
        (
            ["U-PER", "B-LOC", "L-LOC"],
            "BILOU",
            [("PER", 0, 1), ("LOC", 1, 3)],
            [("PER", 0, 1), ("LOC", 1, 3)],
        ),
        (["B-LOC", "I-LOC"], "BILOU", [("LOC", 0, 2)], []),
        # tags without a type read as type "_"
        (["B", "I", "O"], "IOB2", [("_", 0, 2)], [("_", 0, 2)]),
        (["O", "O"], "IOB2", [], []),
    ],
)
def test_hand_written_cases(tags: list[str], scheme: str, conlleval: list, strict: list) -> None:
    assert extract_entities(tags, scheme=scheme, mode="conlleval") == conlleval == seqeval_conlleval(tags)
    assert extract_entities(tags, scheme=scheme, mode="strict") == strict == seqeval_strict(tags, scheme)


def test_extract_entities_accepts_tuples_and_numpy() -> None:
    assert extract_entities(("B-PER", "I-PER")) == [("PER", 0, 2)]
    assert extract_entities(np.array(["B-PER", "I-PER"])) == [("PER", 0, 2)]
    assert extract_entities([]) == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scheme": "IOB3"}, "scheme must be one of IOB1, IOB2.*got 'IOB3'"),
        ({"mode": "lenient"}, "mode must be one of 'conlleval', 'strict'; got 'lenient'"),
    ],
)
def test_extract_entities_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(HomogUsageError, match=match):
        extract_entities(["O"], **kwargs)


def test_strict_mode_names_the_tag_outside_the_scheme() -> None:
    with pytest.raises(HomogDataError, match=r"tag 'S-PER' \(y_true, sentence 0, position 1\) is outside scheme IOB2"):
        extract_entities(["O", "S-PER"], scheme="IOB2", mode="strict")
    with pytest.raises(HomogDataError, match="tag 'X-PER'"):
        extract_entities(["X-PER"], scheme="IOBES", mode="strict")


@settings(max_examples=150, deadline=None)
@given(
    scheme=st.sampled_from(SCHEMES),
    mode=st.sampled_from(MODES),
    data=st.data(),
)
def test_entities_by_sentence_equals_extract_entities(scheme: str, mode: str, data: st.DataObject) -> None:
    sentences = data.draw(
        st.lists(sentence_strategy(PREFIXES[scheme] if mode == "strict" else "IOBES"), min_size=1, max_size=5)
    )
    expected = [extract_entities(s, scheme=scheme, mode=mode) for s in sentences]
    assert entities_by_sentence(sentences, scheme=scheme, mode=mode) == expected


@pytest.mark.filterwarnings("ignore:tag 'X' .* has a prefix mode='conlleval' does not know")
def test_entities_by_sentence_on_odd_tags_follows_seqeval_corpus_reading() -> None:
    # seqeval reads the corpus as one sequence: "X" continues the chunk started in sentence 0
    sentences = [["B-A"], ["X", "B-A"]]
    assert seqeval_conlleval([*sentences[0], "O", *sentences[1]]) == [("A", 0, 1), ("_", 0, 3), ("A", 3, 4)]
    assert entities_by_sentence(sentences) == [[("A", 0, 1)], [("_", 0, 1), ("A", 1, 2)]]


def encode_spans(length: int, spans: list[tuple[str, int, int]], scheme: str) -> list[str]:
    """Well-formed tags of ``scheme`` for non-overlapping ``(type, start, end)`` spans (``end`` exclusive)."""
    tags = ["O"] * length
    ends = {end: typ for typ, _, end in spans}
    starts = {start: typ for typ, start, _ in spans}
    for typ, start, end in spans:
        for i in range(start, end):
            tags[i] = f"I-{typ}"
        single = end - start == 1
        if scheme == "IOB2":
            tags[start] = f"B-{typ}"
        elif scheme == "IOB1" and ends.get(start) == typ:  # B- only right after an entity of the same type
            tags[start] = f"B-{typ}"
        elif scheme == "IOE2":
            tags[end - 1] = f"E-{typ}"
        elif scheme == "IOE1" and starts.get(end) == typ:  # E- only right before an entity of the same type
            tags[end - 1] = f"E-{typ}"
        elif scheme in ("IOBES", "BILOU"):
            first, last, one = ("B", "E", "S") if scheme == "IOBES" else ("B", "L", "U")
            if single:
                tags[start] = f"{one}-{typ}"
            else:
                tags[start], tags[end - 1] = f"{first}-{typ}", f"{last}-{typ}"
    return tags


@st.composite
def spans_strategy(draw: st.DrawFn) -> tuple[int, list[tuple[str, int, int]]]:
    length = draw(st.integers(1, 12))
    cuts = sorted(draw(st.sets(st.integers(0, length), max_size=8)) | {0, length})
    spans = []
    for start, end in pairwise(cuts):
        if draw(st.booleans()):
            spans.append((draw(st.sampled_from(["PER", "LOC"])), start, end))
    return length, spans


@pytest.mark.filterwarnings("ignore:tags such as .* are BILOU tags")  # reading BILOU leniently is the point
@settings(max_examples=300, deadline=None)
@given(scheme=st.sampled_from(SCHEMES), drawn=spans_strategy())
def test_well_formed_sequences_of_every_scheme(scheme: str, drawn: tuple) -> None:
    length, spans = drawn
    tags = encode_spans(length, spans, scheme)
    strict = extract_entities(tags, scheme=scheme, mode="strict")
    assert strict == seqeval_strict(tags, scheme)
    if scheme in ("IOB2", "IOE2", "IOBES", "BILOU"):
        assert strict == spans
    assert extract_entities(tags, scheme=scheme, mode="conlleval") == seqeval_conlleval(tags)
    if scheme in ("IOB2", "IOBES"):  # the tags conlleval.pl (and seqeval's default) know: B, I, E, S, O
        assert seqeval_conlleval(tags) == spans


def test_bilou_tags_in_conlleval_mode_warn_and_say_how_to_read_them() -> None:
    tags = ["B-X", "L-X", "B-X", "L-X", "U-X"]
    # seqeval's default mode loses the first entity and runs the last two together; that is what this mode
    # does too, so it says so
    with pytest.warns(HomogWarning, match=r"'L-X' are BILOU tags.*scheme is ignored.*mode='strict', scheme='BILOU'"):
        lenient = extract_entities(tags, scheme="BILOU")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval: "L-X seems not to be NE tag"
        assert lenient == [(t, s, e + 1) for t, s, e in get_entities(tags)] == [("X", 2, 5)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert extract_entities(tags, scheme="BILOU", mode="strict") == [("X", 0, 2), ("X", 2, 4), ("X", 4, 5)]
        extract_entities(["B-X", "I-X", "E-X", "S-Y"])  # IOBES tags: no warning


@pytest.mark.parametrize("mode", MODES)
def test_a_tag_without_a_scheme_prefix_is_refused_never_sliced_into_a_type(mode: str) -> None:
    # seqeval warns "PER seems not to be NE tag" and reads it as prefix "P" with type "ER"
    assert seqeval_conlleval(["PER", "O"]) == [("ER", 0, 1)]
    message = r"tag 'PER' \(y_pred, sentence 1, position 0\) has no scheme prefix.*'P' with type 'ER'.*'I-PER'"
    with pytest.raises(HomogDataError, match=message):
        f1_score([["B-PER"], ["B-PER", "O"]], [["B-PER"], ["PER", "O"]], mode=mode)
    with pytest.raises(HomogDataError, match=r"tag 'PER' \(y_pred"):
        classification_report([["B-PER", "O"]], [["PER", "O"]], mode=mode)
    # "ORG" was read as "O" (outside) by its first character in both modes
    with pytest.raises(HomogDataError, match=r"tag 'ORG' \(y_true, sentence 0, position 0\) has no scheme prefix"):
        extract_entities(["ORG", "O"], mode=mode)
    # every tag still counts at token level, where no prefix is read
    assert f1_score([["B-PER", "O"]], [["PER", "O"]], level="token", mode=mode, labels=["B-PER", "PER", "O"]) == 0.5


def test_an_unknown_prefix_warns_naming_the_tag_and_reads_as_seqeval() -> None:
    with pytest.warns(HomogWarning, match=r"tag 'X-PER' \(y_pred, sentence 0, position 0\) has a prefix"):
        value = f1_score([["B-PER", "O"]], [["X-PER", "O"]])
    assert seqeval_conlleval(["X-PER", "O"]) == [("PER", 0, 1)]
    assert value == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert extract_entities(["B", "I", "O", "S-PER", "E-PER"]) == [("_", 0, 2), ("PER", 3, 4), ("PER", 4, 5)]


@pytest.mark.filterwarnings("ignore:tag .* has a prefix mode='conlleval' does not know")
@settings(max_examples=200, deadline=None)
@given(
    mode=st.sampled_from(MODES),
    tags=st.lists(st.one_of(tag_strategy("IOB.X"), st.sampled_from(["PER", "ORG", "Bob", "B_PER"])), min_size=1),
)
def test_tags_are_refused_exactly_when_one_has_no_scheme_prefix(mode: str, tags: list[str]) -> None:
    bare = [tag for tag in tags if len(tag) > 1 and tag[1] != "-"]
    if bare:
        with pytest.raises(HomogDataError, match=f"tag {min(bare)!r} .* has no scheme prefix"):
            extract_entities(tags, scheme="IOB2", mode=mode)
    elif mode == "conlleval":
        assert extract_entities(tags, mode=mode) == seqeval_conlleval(tags)
