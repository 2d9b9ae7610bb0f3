"""Labelled examples: a sentence with its gold tags in a tagging scheme, a text with its gold label.

The behavioural checks (:mod:`pytest_homog.checks.behaviour`), the perturbations (:mod:`pytest_homog.perturbations`)
and the strategies (:mod:`pytest_homog.strategies`) all work on these. Plain deterministic Python: no hypothesis
import.

- :class:`LabelledSentence`: tokens with their gold tags in a tagging scheme (sequence labelling).
- :class:`TextExample`: a text with its gold label (text classification).
- :func:`encode_tags`: the tags of a sentence holding given entities, in a scheme.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pytest_homog.errors import HomogDataError
from pytest_homog.metrics.tags import check_scheme

__all__ = ["Entity", "Example", "LabelledSentence", "TextExample", "encode_tags", "entity_positions"]

Entity = tuple[str, int, int]
"""An entity: ``(type, start, end)`` with ``end`` exclusive, as the metric layer's ``extract_entities`` gives."""


def entity_positions(entities: Iterable[Entity]) -> set[int]:
    """Positions of tokens inside ``entities``."""
    return {position for _, start, end in entities for position in range(start, end)}


def encode_tags(entities: Iterable[Entity], length: int, *, scheme: str = "IOB2") -> tuple[str, ...]:
    """Tags of a sentence of ``length`` tokens holding ``entities``, written in ``scheme``.

    The inverse of the metric layer's strict entity extraction: reading the result back with
    ``extract_entities(tags, scheme=scheme, mode="strict")`` gives ``entities`` again. IOB1 writes ``B-`` only where
    an entity directly follows one of the same type, IOE1 writes ``E-`` only where one directly precedes one of the
    same type; the other schemes mark every boundary.

    Parameters
    ----------
    entities : iterable of (type, start, end)
        Non-overlapping spans, ``end`` exclusive.
    length : int
        Number of tokens.
    scheme : str
        One of :data:`~pytest_homog.metrics.tags.SCHEMES`.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> encode_tags([("LOC", 0, 2), ("PER", 3, 4)], 4, scheme="IOB2")
    ('B-LOC', 'I-LOC', 'O', 'B-PER')
    >>> encode_tags([("LOC", 0, 2), ("PER", 3, 4)], 4, scheme="BILOU")
    ('B-LOC', 'L-LOC', 'O', 'U-PER')
    >>> encode_tags([("LOC", 0, 1), ("LOC", 1, 2)], 2, scheme="IOB1")
    ('I-LOC', 'B-LOC')
    """
    check_scheme(scheme)
    spans = sorted(entities, key=lambda entity: entity[1])
    tags = ["O"] * length
    previous_end = 0
    for etype, start, end in spans:
        if not (isinstance(etype, str) and etype) or not 0 <= start < end <= length or start < previous_end:
            raise HomogDataError(
                f"entity {(etype, start, end)!r} is not a non-empty type with 0 <= start < end <= {length} "
                f"that starts after the previous entity (ends at {previous_end}); fix the spans."
            )
        previous_end = end
    starts = {(etype, start) for etype, start, _ in spans}
    ends = {(etype, end) for etype, _, end in spans}
    for etype, start, end in spans:
        inner = [f"I-{etype}"] * (end - start)
        if scheme == "IOB2":
            inner[0] = f"B-{etype}"
        elif scheme == "IOB1":
            if (etype, start) in ends:
                inner[0] = f"B-{etype}"
        elif scheme == "IOE2":
            inner[-1] = f"E-{etype}"
        elif scheme == "IOE1":
            if (etype, end) in starts:
                inner[-1] = f"E-{etype}"
        elif end - start == 1:
            inner[0] = f"{'S' if scheme == 'IOBES' else 'U'}-{etype}"
        else:
            inner[0] = f"B-{etype}"
            inner[-1] = f"{'E' if scheme == 'IOBES' else 'L'}-{etype}"
        tags[start:end] = inner
    return tuple(tags)


@dataclass(frozen=True)
class LabelledSentence:
    """Tokens with their gold tags in a tagging scheme.

    Build one with :meth:`from_entities` (tags written for you) or :meth:`from_tags` (entities read strictly);
    :func:`pytest_homog.strategies.labelled_sentences` generates them.

    Attributes
    ----------
    tokens : tuple of str
    tags : tuple of str
        One tag per token, valid in ``scheme``.
    scheme : str
        One of :data:`~pytest_homog.metrics.tags.SCHEMES`.
    entities : tuple of (type, start, end)
        The gold entities, ``end`` exclusive, in order.

    Examples
    --------
    >>> s = LabelledSentence.from_entities(["Alice", "lives", "in", "New", "York"], [("PER", 0, 1), ("LOC", 3, 5)])
    >>> s.tags
    ('B-PER', 'O', 'O', 'B-LOC', 'I-LOC')
    >>> s.entity_text(1)
    'New York'
    """

    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    scheme: str
    entities: tuple[Entity, ...]

    def __post_init__(self) -> None:
        check_scheme(self.scheme)
        if len(self.tokens) != len(self.tags):
            raise HomogDataError(
                f"a sentence needs one tag per token; got {len(self.tokens)} tokens and {len(self.tags)} tags: "
                f"{self.tokens!r} / {self.tags!r}."
            )

    @classmethod
    def from_entities(
        cls, tokens: Sequence[str], entities: Iterable[Entity], *, scheme: str = "IOB2"
    ) -> LabelledSentence:
        """A sentence whose tags are written from ``entities`` with :func:`encode_tags`."""
        spans = sorted((str(etype), int(start), int(end)) for etype, start, end in entities)
        spans.sort(key=lambda entity: entity[1])  # sentence order; spans of one start stay in type order
        tokens = tuple(tokens)
        return cls(tokens, encode_tags(spans, len(tokens), scheme=scheme), scheme, tuple(spans))

    @classmethod
    def from_tags(cls, tokens: Sequence[str], tags: Sequence[str], *, scheme: str = "IOB2") -> LabelledSentence:
        """A sentence whose entities are read from ``tags`` by the metric layer's strict extraction.

        Raises :class:`~pytest_homog.errors.HomogDataError` when a tag is not valid in ``scheme``.
        """
        from pytest_homog.metrics.tags import extract_entities

        spans = tuple(extract_entities(list(tags), scheme=scheme, mode="strict"))
        return cls(tuple(tokens), tuple(tags), scheme, spans)

    def entity_text(self, index: int) -> str:
        """The words of entity ``index``, joined by spaces."""
        _, start, end = self.entities[index]
        return " ".join(self.tokens[start:end])

    def entity_positions(self) -> frozenset[int]:
        """Positions of tokens inside a gold entity."""
        return frozenset(entity_positions(self.entities))

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass(frozen=True)
class TextExample:
    """A text with its gold label, for text classification.

    Examples
    --------
    >>> TextExample("a truly great film", "positive").tokens
    ('a', 'truly', 'great', 'film')
    """

    text: str
    label: str

    @property
    def tokens(self) -> tuple[str, ...]:
        """The words of ``text``, split on whitespace."""
        return tuple(self.text.split())


Example = LabelledSentence | TextExample
