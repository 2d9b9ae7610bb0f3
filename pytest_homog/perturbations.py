"""Labelled examples and perturbations that keep their gold labels correct.

The behavioural checks (:mod:`pytest_homog.checks.behaviour`) compare a model's predictions on an example and on a
perturbed copy of it. This module holds the pieces, as plain deterministic Python: no hypothesis import, so a
hand-written CheckList-style test can use them directly. :mod:`pytest_homog.strategies` draws them at random.

- :class:`LabelledSentence`: tokens with their gold tags in a tagging scheme (sequence labelling).
- :class:`TextExample`: a text with its gold label (text classification).
- Perturbations (:class:`CaseChange`, :class:`Typo`, :class:`EntitySwap`, :class:`Punctuation`,
  :class:`Whitespace`, :class:`ContextInsertion`): frozen dataclasses whose ``apply(example)`` (or call) returns a
  :class:`Perturbed`. Their integer fields (``index``, ``offset``, ...) are taken modulo the number of candidates
  the example offers, so any value applies to any example. When an example offers no candidate (no entity to
  swap, no punctuation to remove) the result is the unchanged example with ``applied == False``.
- :class:`Perturbed`: the original, the perturbed copy, and how their tokens align.

Gold labels stay correct: edited tokens keep their tags, inserted tokens are tagged ``O``, and a swapped-in entity
is tagged afresh in the example's scheme, however many tokens it has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_homog.errors import HomogDataError, HomogUsageError
from pytest_homog.metrics.tags import SCHEMES

__all__ = [
    "SCHEMES",
    "CaseChange",
    "ContextInsertion",
    "EntitySwap",
    "Example",
    "LabelledSentence",
    "Perturbation",
    "Perturbed",
    "Punctuation",
    "TextExample",
    "Typo",
    "Whitespace",
    "encode_tags",
]

Entity = tuple[str, int, int]
"""An entity: ``(type, start, end)`` with ``end`` exclusive, as the metric layer's ``extract_entities`` gives."""


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise HomogUsageError(f"scheme must be one of {SCHEMES}; got {scheme!r}.")


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
        One of :data:`SCHEMES`.

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
    _check_scheme(scheme)
    spans = sorted(entities, key=lambda e: e[1])
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
        n = end - start
        inner = [f"I-{etype}"] * n
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
        elif n == 1:
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
        One of :data:`SCHEMES`.
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
        _check_scheme(self.scheme)
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
        spans = tuple(sorted((str(t), int(s), int(e)) for t, s, e in entities))
        spans = tuple(sorted(spans, key=lambda x: x[1]))
        tokens = tuple(tokens)
        return cls(tokens, encode_tags(spans, len(tokens), scheme=scheme), scheme, spans)

    @classmethod
    def from_tags(cls, tokens: Sequence[str], tags: Sequence[str], *, scheme: str = "IOB2") -> LabelledSentence:
        """A sentence whose entities are read from ``tags`` by the metric layer's strict extraction.

        Raises :class:`~pytest_homog.errors.HomogDataError` when a tag is not valid in ``scheme``.
        """
        from pytest_homog.metrics.tags import extract_entities

        _check_scheme(scheme)
        spans = tuple((t, s, e) for t, s, e in extract_entities(list(tags), scheme=scheme, mode="strict"))
        return cls(tuple(tokens), tuple(tags), scheme, spans)

    def entity_text(self, index: int) -> str:
        """The words of entity ``index``, joined by spaces."""
        _, start, end = self.entities[index]
        return " ".join(self.tokens[start:end])

    def entity_positions(self) -> frozenset[int]:
        """Positions of tokens inside a gold entity."""
        return frozenset(i for _, s, e in self.entities for i in range(s, e))

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


@dataclass(frozen=True)
class Perturbed:
    """An example, a perturbed copy of it, and how their tokens align.

    Attributes
    ----------
    original, perturbed : LabelledSentence or TextExample
        Both carry correct gold labels.
    alignment : tuple of (int or None)
        For sentences, one entry per original token: its position in ``perturbed``, or ``None`` when the token
        was removed or replaced (an entity swapped for another). Empty for text examples.
    changed : tuple of int
        The perturbed span: positions in ``perturbed`` that were edited in place or inserted. Empty for text
        examples and when nothing applied.
    preserves_labels : bool
        True when every aligned token keeps its gold label, edited ones included (case changes, typos, whitespace,
        punctuation, insertions of ``O`` context). Then a model should predict the same tags at every aligned
        position, inside the perturbed span too. False for entity swaps, whose span holds a different entity.
        (In IOB1 and IOE1 a token's tag can still change from ``I-`` to ``B-``/``E-`` when a removal makes two
        entities of one type adjacent; its entity and type stay the same.)
    kind : str
        The perturbation's name (``"case_change"``, ``"typo"``, ...).
    description : str
        What was done, in words.
    applied : bool
        False when the example offered nothing to perturb; then ``perturbed == original``.
    """

    original: Example
    perturbed: Example
    alignment: tuple[int | None, ...]
    changed: tuple[int, ...]
    preserves_labels: bool
    kind: str
    description: str
    applied: bool = True


def _unchanged(example: Example, kind: str, why: str) -> Perturbed:
    alignment = tuple(range(len(example.tokens))) if isinstance(example, LabelledSentence) else ()
    return Perturbed(example, example, alignment, (), True, kind, f"not applied: {why}", applied=False)


def _edit_tokens(example: LabelledSentence, edits: Mapping[int, str], kind: str, description: str) -> Perturbed:
    """Replace tokens in place; tags, entities and alignment stay as they are."""
    tokens = list(example.tokens)
    for i, token in edits.items():
        tokens[i] = token
    perturbed = LabelledSentence(tuple(tokens), example.tags, example.scheme, example.entities)
    alignment = tuple(range(len(tokens)))
    return Perturbed(example, perturbed, alignment, tuple(sorted(edits)), True, kind, description)


def _splice(
    example: LabelledSentence,
    start: int,
    end: int,
    new_tokens: Sequence[str],
    new_type: str | None,
    kind: str,
    description: str,
) -> Perturbed:
    """Replace tokens ``start:end`` by ``new_tokens`` (an entity of ``new_type``, or ``O`` tokens when None)."""
    delta = len(new_tokens) - (end - start)
    entities: list[Entity] = []
    for etype, s, e in example.entities:
        if e <= start:
            entities.append((etype, s, e))
        elif s >= end:
            entities.append((etype, s + delta, e + delta))
        elif not (s == start and e == end and new_type is not None):
            raise HomogDataError(f"cannot splice tokens {start}:{end} across entity {(etype, s, e)!r}.")
    if new_type is not None:
        entities.append((new_type, start, start + len(new_tokens)))
    tokens = example.tokens[:start] + tuple(new_tokens) + example.tokens[end:]
    perturbed = LabelledSentence.from_entities(tokens, entities, scheme=example.scheme)
    alignment = tuple(i if i < start else (None if i < end else i + delta) for i in range(len(example.tokens)))
    changed = tuple(range(start, start + len(new_tokens)))
    preserves = new_type is None and end == start  # pure insertion of O tokens
    return Perturbed(example, perturbed, alignment, changed, preserves, kind, description)


def _text_result(example: TextExample, text: str, kind: str, description: str) -> Perturbed:
    if text == example.text:
        return _unchanged(example, kind, "the text offers nothing to change")
    return Perturbed(example, TextExample(text, example.label), (), (), True, kind, description)


def _pick(candidates: Sequence[Any], index: int) -> Any:
    return candidates[index % len(candidates)]


class _Base:
    kind = "perturbation"

    def apply(self, example: Example) -> Perturbed:
        """Perturb ``example``; see the class docstring for what changes."""
        if isinstance(example, LabelledSentence):
            return self._sentence(example)
        if isinstance(example, TextExample):
            return self._text(example)
        raise HomogUsageError(
            f"{type(self).__name__} applies to a LabelledSentence or a TextExample; got {type(example).__name__}: "
            f"{example!r}. Build one with LabelledSentence.from_tags(tokens, tags) or TextExample(text, label)."
        )

    def __call__(self, example: Example) -> Perturbed:
        return self.apply(example)

    def _sentence(self, example: LabelledSentence) -> Perturbed:  # pragma: no cover - overridden
        raise NotImplementedError

    def _text(self, example: TextExample) -> Perturbed:  # pragma: no cover - overridden
        raise NotImplementedError


_CASES: dict[str, Callable[[str], str]] = {
    "lower": str.lower,
    "upper": str.upper,
    "title": str.title,
    "swapcase": str.swapcase,
}
_TARGETS = ("entity", "token", "context", "sentence")


def _choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        raise HomogUsageError(f"{name} must be one of {tuple(allowed)}; got {value!r}.")


@dataclass(frozen=True)
class CaseChange(_Base):
    """Change the letter case of one entity, one token, one context token or the whole sentence.

    ``how`` is ``"lower"``, ``"upper"``, ``"title"`` or ``"swapcase"``; ``target`` is ``"entity"`` (every token of
    one gold entity), ``"token"`` (any one token), ``"context"`` (one token outside the entities) or
    ``"sentence"``; ``index`` picks the entity or token among those whose case the change alters. Gold labels are
    unchanged. On a text example ``"entity"`` and ``"context"`` find nothing; use ``"token"`` or ``"sentence"``.

    Examples
    --------
    >>> s = LabelledSentence.from_entities(["I", "met", "Alice"], [("PER", 2, 3)])
    >>> p = CaseChange(how="lower", target="entity")(s)
    >>> p.perturbed.tokens, p.changed, p.perturbed.tags
    (('I', 'met', 'alice'), (2,), ('O', 'O', 'B-PER'))
    """

    how: str = "lower"
    target: str = "entity"
    index: int = 0
    kind = "case_change"

    def __post_init__(self) -> None:
        _choice("how", self.how, tuple(_CASES))
        _choice("target", self.target, _TARGETS)

    def _positions(self, tokens: Sequence[str], entities: Sequence[Entity]) -> list[int]:
        inside = {i for _, s, e in entities for i in range(s, e)}
        if self.target == "sentence":
            return list(range(len(tokens)))
        if self.target == "entity":
            change = _CASES[self.how]
            spans = [(s, e) for _, s, e in entities if any(change(tokens[i]) != tokens[i] for i in range(s, e))]
            if not spans:
                return []
            s, e = _pick(spans, self.index)
            return list(range(s, e))
        candidates = [i for i in range(len(tokens)) if self.target == "token" or i not in inside]
        candidates = [i for i in candidates if _CASES[self.how](tokens[i]) != tokens[i]]
        return [_pick(candidates, self.index)] if candidates else []

    def _sentence(self, example: LabelledSentence) -> Perturbed:
        change = _CASES[self.how]
        positions = self._positions(example.tokens, example.entities)
        edits = {i: change(example.tokens[i]) for i in positions if change(example.tokens[i]) != example.tokens[i]}
        if not edits:
            return _unchanged(example, self.kind, f"no {self.target} whose case {self.how} changes")
        words = " ".join(example.tokens[i] for i in sorted(edits))
        return _edit_tokens(example, edits, self.kind, f"{self.how}-cased {self.target} {words!r}")

    def _text(self, example: TextExample) -> Perturbed:
        tokens = list(example.tokens)
        positions = self._positions(tokens, [])
        for i in positions:
            tokens[i] = _CASES[self.how](tokens[i])
        return _text_result(example, " ".join(tokens), self.kind, f"{self.how}-cased {self.target}")


_TYPOS = ("swap", "delete", "insert", "replace")


def _typo(word: str, kind: str, offset: int, char: str) -> str:
    if kind == "swap":
        pairs = [i for i in range(len(word) - 1) if word[i] != word[i + 1]]
        if not pairs:
            return word
        i = _pick(pairs, offset)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "delete":
        if len(word) < 2:
            return word
        i = offset % len(word)
        return word[:i] + word[i + 1 :]
    i = offset % (len(word) + (1 if kind == "insert" else 0))
    if kind == "insert":
        return word[:i] + char + word[i:]
    return word[:i] + char + word[i + 1 :] if word[i] != char else word


@dataclass(frozen=True)
class Typo(_Base):
    """A one-character typo in one word: ``style`` is ``"swap"`` (two neighbouring letters), ``"delete"``,
    ``"insert"`` or ``"replace"`` (with ``char``).

    With ``inside_entities=False`` the word is a context word (tag ``O``); with True it is a word of an entity,
    which stays the same entity (a misspelt name is still the name). Only alphabetic words of two or more letters
    are candidates; ``index`` picks the word, ``offset`` the place in it. Gold labels are unchanged.

    Examples
    --------
    >>> s = LabelledSentence.from_entities(["we", "visited", "Paris"], [("LOC", 2, 3)])
    >>> Typo(style="swap", index=1, offset=0)(s).perturbed.tokens
    ('we', 'ivsited', 'Paris')
    >>> Typo(style="delete", inside_entities=True, offset=4)(s).perturbed.tokens
    ('we', 'visited', 'Pari')
    """

    style: str = "swap"
    inside_entities: bool = False
    index: int = 0
    offset: int = 0
    char: str = "x"
    kind = "typo"

    def __post_init__(self) -> None:
        _choice("style", self.style, _TYPOS)
        if not (isinstance(self.char, str) and len(self.char) == 1 and not self.char.isspace()):
            raise HomogUsageError(f"char must be one character that is not whitespace; got {self.char!r}.")

    def _candidates(self, tokens: Sequence[str], inside: frozenset[int] | None) -> list[int]:
        out = []
        for i, token in enumerate(tokens):
            if not (token.isalpha() and len(token) >= 2):
                continue
            if inside is not None and (i in inside) != self.inside_entities:
                continue
            if _typo(token, self.style, self.offset, self.char) != token:
                out.append(i)
        return out

    def _sentence(self, example: LabelledSentence) -> Perturbed:
        candidates = self._candidates(example.tokens, example.entity_positions())
        if not candidates:
            where = "entity" if self.inside_entities else "context"
            return _unchanged(example, self.kind, f"no {where} word of two or more letters")
        i = _pick(candidates, self.index)
        new = _typo(example.tokens[i], self.style, self.offset, self.char)
        return _edit_tokens(example, {i: new}, self.kind, f"{self.style} typo {example.tokens[i]!r} -> {new!r}")

    def _text(self, example: TextExample) -> Perturbed:
        tokens = list(example.tokens)
        candidates = self._candidates(tokens, None)
        if not candidates:
            return _unchanged(example, self.kind, "no word of two or more letters")
        i = _pick(candidates, self.index)
        old, tokens[i] = tokens[i], _typo(tokens[i], self.style, self.offset, self.char)
        return _text_result(example, " ".join(tokens), self.kind, f"{self.style} typo {old!r} -> {tokens[i]!r}")


class _Gazetteer(dict[str, tuple[tuple[str, ...], ...]]):
    """A gazetteer already normalised by :func:`_names` (so drawing many swaps does not redo it)."""


def _names(gazetteer: Mapping[str, Iterable[str | Sequence[str]]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Normalise a gazetteer to ``type -> tuple of names``, each name a tuple of tokens, without duplicates."""
    if isinstance(gazetteer, _Gazetteer):
        return gazetteer
    out = _Gazetteer()
    for etype, names in gazetteer.items():
        normalised: dict[tuple[str, ...], None] = {}
        for name in names:
            tokens = tuple(name.split()) if isinstance(name, str) else tuple(name)
            if not tokens or not all(isinstance(t, str) and t for t in tokens):
                raise HomogUsageError(
                    f"gazetteer names must be non-empty strings (or sequences of words); got {name!r} for "
                    f"type {etype!r}."
                )
            normalised[tokens] = None
        out[str(etype)] = tuple(normalised)
    return out


@dataclass(frozen=True)
class EntitySwap(_Base):
    """Replace one gold entity by another name of the same type, tagged afresh in the example's scheme.

    ``gazetteer`` maps entity types to names (strings split on whitespace, or sequences of words); ``index``
    picks the entity among those whose type has another name, and ``choice`` the new name among those that
    differ from the current one. The new name may
    have a different number of words; later tokens shift and :attr:`Perturbed.alignment` follows them. Entity
    swaps do not preserve labels inside the span (a different entity stands there), so
    :func:`~pytest_homog.checks.behaviour.assert_invariant` compares predictions outside it only.

    Examples
    --------
    >>> s = LabelledSentence.from_entities(["I", "saw", "Paris", "today"], [("LOC", 2, 3)], scheme="IOBES")
    >>> p = EntitySwap({"LOC": ["Paris", "New York"]})(s)
    >>> p.perturbed.tokens, p.perturbed.tags
    (('I', 'saw', 'New', 'York', 'today'), ('O', 'O', 'B-LOC', 'E-LOC', 'O'))
    >>> p.alignment, p.changed
    ((0, 1, None, 4), (2, 3))
    """

    gazetteer: Mapping[str, Any] = field(repr=False)
    index: int = 0
    choice: int = 0
    kind = "entity_swap"

    def __post_init__(self) -> None:
        if not isinstance(self.gazetteer, Mapping):
            raise HomogUsageError(
                f"gazetteer must be a mapping from entity type to names; got {type(self.gazetteer).__name__}."
            )
        object.__setattr__(self, "gazetteer", _names(self.gazetteer))

    def __repr__(self) -> str:
        n = sum(len(names) for names in self.gazetteer.values())
        if n <= 4:
            shown = {t: [" ".join(name) for name in names] for t, names in self.gazetteer.items()}
            return f"EntitySwap({shown!r}, index={self.index}, choice={self.choice})"
        return f"EntitySwap(<{n} names of {len(self.gazetteer)} types>, index={self.index}, choice={self.choice})"

    def _choose(self, example: LabelledSentence) -> tuple[str, int, int, tuple[str, ...]] | None:
        candidates = [
            (etype, start, end, options)
            for etype, start, end in example.entities
            if (options := [n for n in self.gazetteer.get(etype, ()) if n != example.tokens[start:end]])
        ]
        if not candidates:
            return None
        etype, start, end, options = _pick(candidates, self.index)
        return etype, start, end, _pick(options, self.choice)

    def minimal(self, example: LabelledSentence) -> EntitySwap:
        """An equivalent swap for ``example`` whose gazetteer holds only the swapped-in name (short to print)."""
        chosen = self._choose(example)
        if chosen is None:
            return EntitySwap({})
        etype, start, _, new = chosen
        same_type = [s for t, s, e in example.entities if t == etype and example.tokens[s:e] != new]
        return EntitySwap({etype: [new]}, index=same_type.index(start))

    def _sentence(self, example: LabelledSentence) -> Perturbed:
        chosen = self._choose(example)
        if chosen is None:
            return _unchanged(example, self.kind, "no entity whose type has another name in the gazetteer")
        etype, start, end, new = chosen
        old_text, new_text = " ".join(example.tokens[start:end]), " ".join(new)
        return _splice(example, start, end, new, etype, self.kind, f"{etype} {old_text!r} -> {new_text!r}")

    def _text(self, example: TextExample) -> Perturbed:
        return _unchanged(example, self.kind, "a text example has no entities")


def _is_punctuation(token: str) -> bool:
    return bool(token) and not any(c.isalnum() or c.isspace() for c in token)


@dataclass(frozen=True)
class Punctuation(_Base):
    """Add or remove a punctuation token labelled ``O``.

    ``action="add"`` appends ``mark`` as a token at the end of a sentence (and to the end of a text);
    ``action="remove"`` deletes one punctuation token outside the entities (``index`` picks which; for a text, the
    punctuation at the end of a word). Gold labels of the other tokens are unchanged.

    Examples
    --------
    >>> s = LabelledSentence.from_entities(["Alice", "left", "."], [("PER", 0, 1)])
    >>> Punctuation(action="remove")(s).perturbed.tokens
    ('Alice', 'left')
    >>> Punctuation(action="add", mark="!")(s).perturbed.tokens
    ('Alice', 'left', '.', '!')
    """

    action: str = "add"
    mark: str = "."
    index: int = 0
    kind = "punctuation"

    def __post_init__(self) -> None:
        _choice("action", self.action, ("add", "remove"))
        if not _is_punctuation(self.mark) or any(c.isspace() for c in self.mark):
            raise HomogUsageError(f"mark must be punctuation without letters, digits or spaces; got {self.mark!r}.")

    def _sentence(self, example: LabelledSentence) -> Perturbed:
        n = len(example.tokens)
        if self.action == "add":
            return _splice(example, n, n, (self.mark,), None, self.kind, f"appended {self.mark!r}")
        inside = example.entity_positions()
        candidates = [i for i, t in enumerate(example.tokens) if _is_punctuation(t) and i not in inside]
        if not candidates or n == 1:
            return _unchanged(example, self.kind, "no punctuation token outside the entities")
        i = _pick(candidates, self.index)
        result = _splice(example, i, i + 1, (), None, self.kind, f"removed {example.tokens[i]!r} at {i}")
        return Perturbed(example, result.perturbed, result.alignment, (), True, self.kind, result.description)

    def _text(self, example: TextExample) -> Perturbed:
        if self.action == "add":
            return _text_result(example, example.text.rstrip() + self.mark, self.kind, f"appended {self.mark!r}")
        text = example.text
        candidates = [i for i, c in enumerate(text) if _is_punctuation(c)]
        if not candidates:
            return _unchanged(example, self.kind, "no punctuation")
        i = _pick(candidates, self.index)
        return _text_result(example, (text[:i] + text[i + 1 :]).strip(), self.kind, f"removed {text[i]!r}")


_SPACES = (" ", "  ", "\t", "\n", "\u00a0")


@dataclass(frozen=True)
class Whitespace(_Base):
    """Stray whitespace.

    Token level (sentences): the words are already split, so whitespace can only reach a model as padding around
    a token, as text pipelines that split on single spaces leave it: token ``index`` gets ``space`` on both sides
    (``"Paris"`` -> ``" Paris "``). Text level: the ``index``-th gap between words becomes ``space`` (a double
    space, a tab, a newline). Gold labels are unchanged.

    Examples
    --------
    >>> s = LabelledSentence.from_entities(["in", "Paris"], [("LOC", 1, 2)])
    >>> Whitespace(index=1)(s).perturbed.tokens
    ('in', ' Paris ')
    >>> Whitespace(space="\\t")(TextExample("good film", "pos")).perturbed.text
    'good\\tfilm'
    """

    index: int = 0
    space: str = " "
    kind = "whitespace"

    def __post_init__(self) -> None:
        if not self.space or not self.space.isspace():
            raise HomogUsageError(f"space must be a non-empty string of whitespace; got {self.space!r}.")

    def _sentence(self, example: LabelledSentence) -> Perturbed:
        if not example.tokens:
            return _unchanged(example, self.kind, "the sentence is empty")
        i = self.index % len(example.tokens)
        padded = f"{self.space}{example.tokens[i]}{self.space}"
        return _edit_tokens(
            example, {i: padded}, self.kind, f"padded token {i} {example.tokens[i]!r} with {self.space!r}"
        )

    def _text(self, example: TextExample) -> Perturbed:
        words = example.text.split()
        if len(words) < 2:
            return _unchanged(example, self.kind, "the text has no gap between words")
        gap = self.index % (len(words) - 1)
        text = " ".join(words[: gap + 1]) + (self.space if self.space != " " else "  ") + " ".join(words[gap + 1 :])
        return _text_result(example, text, self.kind, f"gap {gap} became {self.space!r}")


#: Context phrases :class:`ContextInsertion` uses by default: (words put at the start, words put at the end).
DEFAULT_CONTEXT = (
    (("Yesterday", ","), ("In", "fact", ","), ("According", "to", "reports", ","), ("Honestly", ",")),
    ((",", "I", "think"), (",", "as", "expected"), (",", "they", "said")),
)


@dataclass(frozen=True)
class ContextInsertion(_Base):
    """Insert words labelled ``O`` at the start or the end: ``("Yesterday", ",")`` before, ``(",", "I",
    "think")`` after. ``phrase=None`` takes ``DEFAULT_CONTEXT[where]`` entry ``index``. The inserted words are the
    perturbed span; every original token keeps its tag.

    Examples
    --------
    >>> s = LabelledSentence.from_entities(["Alice", "left"], [("PER", 0, 1)])
    >>> p = ContextInsertion(where="start")(s)
    >>> p.perturbed.tokens, p.perturbed.tags, p.alignment
    (('Yesterday', ',', 'Alice', 'left'), ('O', 'O', 'B-PER', 'O'), (2, 3))
    """

    where: str = "start"
    phrase: tuple[str, ...] | None = None
    index: int = 0
    kind = "context_insertion"

    def __post_init__(self) -> None:
        _choice("where", self.where, ("start", "end"))
        if self.phrase is not None:
            phrase = tuple(self.phrase.split()) if isinstance(self.phrase, str) else tuple(self.phrase)
            if not phrase or not all(isinstance(w, str) and w and not w.isspace() for w in phrase):
                raise HomogUsageError(f"phrase must be one or more non-empty words; got {self.phrase!r}.")
            object.__setattr__(self, "phrase", phrase)

    def _words(self) -> tuple[str, ...]:
        if self.phrase is not None:
            return self.phrase
        return tuple(_pick(DEFAULT_CONTEXT[0 if self.where == "start" else 1], self.index))

    def _sentence(self, example: LabelledSentence) -> Perturbed:
        at = 0 if self.where == "start" else len(example.tokens)
        words = self._words()
        return _splice(example, at, at, words, None, self.kind, f"inserted {' '.join(words)!r} at the {self.where}")

    def _text(self, example: TextExample) -> Perturbed:
        words = " ".join(self._words())
        text = f"{words} {example.text}" if self.where == "start" else f"{example.text} {words}"
        return _text_result(example, text, self.kind, f"inserted {words!r} at the {self.where}")


Perturbation = CaseChange | Typo | EntitySwap | Punctuation | Whitespace | ContextInsertion
