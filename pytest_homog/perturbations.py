"""Perturbations of labelled examples that keep their gold labels correct.

The behavioural checks (:mod:`pytest_homog.checks.behaviour`) compare a model's predictions on an example (a
:class:`~pytest_homog.labelled.LabelledSentence` or :class:`~pytest_homog.labelled.TextExample`, importable from
here too) and on a perturbed copy of it. This module holds the perturbations, as plain deterministic Python: no
hypothesis import, so a hand-written CheckList-style test can use them directly. :mod:`pytest_homog.strategies`
draws them at random.

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
from pytest_homog.labelled import Entity, Example, LabelledSentence, TextExample, encode_tags, entity_positions

__all__ = [
    "CASES",
    "CASE_TARGETS",
    "DEFAULT_CONTEXT",
    "INSERTION_PLACES",
    "PUNCTUATION_ACTIONS",
    "TYPO_STYLES",
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
    "is_punctuation",
    "normalise_gazetteer",
]



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
    """Replace tokens ``start:end`` by ``new_tokens`` (an entity of ``new_type``, or ``O`` tokens when None).

    Only ``O`` tokens are ever removed or inserted alone, so every other token keeps its label unless a new entity
    takes the span.
    """
    delta = len(new_tokens) - (end - start)
    entities: list[Entity] = []
    for entity in example.entities:
        etype, entity_start, entity_end = entity
        if entity_end <= start:
            entities.append(entity)
        elif entity_start >= end:
            entities.append((etype, entity_start + delta, entity_end + delta))
        elif not (entity_start == start and entity_end == end and new_type is not None):
            raise HomogDataError(f"cannot splice tokens {start}:{end} across entity {entity!r}.")
    if new_type is not None:
        entities.append((new_type, start, start + len(new_tokens)))
    tokens = example.tokens[:start] + tuple(new_tokens) + example.tokens[end:]
    perturbed = LabelledSentence.from_entities(tokens, entities, scheme=example.scheme)
    alignment = tuple(i if i < start else (None if i < end else i + delta) for i in range(len(example.tokens)))
    changed = tuple(range(start, start + len(new_tokens)))
    return Perturbed(example, perturbed, alignment, changed, new_type is None, kind, description)


def _text_result(example: TextExample, text: str, kind: str, description: str) -> Perturbed:
    if text == example.text:
        return _unchanged(example, kind, "the text offers nothing to change")
    return Perturbed(example, TextExample(text, example.label), (), (), True, kind, description)


def _pick(candidates: Sequence[Any], index: int) -> Any:
    return candidates[index % len(candidates)]


class _PerturbationBase:
    """What every perturbation shares: ``apply`` (or a call) dispatches on the kind of example."""

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


#: The case changes of :class:`CaseChange`, by the name its ``how`` takes.
CASES: dict[str, Callable[[str], str]] = {
    "lower": str.lower,
    "upper": str.upper,
    "title": str.title,
    "swapcase": str.swapcase,
}
#: What a :class:`CaseChange` changes (its ``target``).
CASE_TARGETS = ("entity", "token", "context", "sentence")


def _choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        raise HomogUsageError(f"{name} must be one of {tuple(allowed)}; got {value!r}.")


@dataclass(frozen=True)
class CaseChange(_PerturbationBase):
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
        _choice("how", self.how, tuple(CASES))
        _choice("target", self.target, CASE_TARGETS)

    def _edits(self, tokens: Sequence[str], entities: Sequence[Entity]) -> dict[int, str]:
        """The tokens of the target whose case the change alters, by position, changed."""
        change = CASES[self.how]
        alters = [change(token) != token for token in tokens]
        if self.target == "sentence":
            positions = [i for i, altered in enumerate(alters) if altered]
        elif self.target == "entity":
            spans = [range(start, end) for _, start, end in entities if any(alters[start:end])]
            positions = [i for i in _pick(spans, self.index) if alters[i]] if spans else []
        else:
            inside = entity_positions(entities)
            candidates = [
                i for i, altered in enumerate(alters) if altered and (self.target == "token" or i not in inside)
            ]
            positions = [_pick(candidates, self.index)] if candidates else []
        return {i: change(tokens[i]) for i in positions}

    def _sentence(self, example: LabelledSentence) -> Perturbed:
        edits = self._edits(example.tokens, example.entities)
        if not edits:
            return _unchanged(example, self.kind, f"no {self.target} whose case {self.how} changes")
        words = " ".join(example.tokens[i] for i in sorted(edits))
        return _edit_tokens(example, edits, self.kind, f"{self.how}-cased {self.target} {words!r}")

    def _text(self, example: TextExample) -> Perturbed:
        edits = self._edits(example.tokens, [])
        text = " ".join(edits.get(i, token) for i, token in enumerate(example.tokens))
        return _text_result(example, text, self.kind, f"{self.how}-cased {self.target}")


#: The styles of :class:`Typo`.
TYPO_STYLES = ("swap", "delete", "insert", "replace")


def _typo(word: str, kind: str, offset: int, char: str) -> str:
    if kind == "swap":
        pairs = [i for i in range(len(word) - 1) if word[i] != word[i + 1]]
        if not pairs:
            return word
        i = _pick(pairs, offset)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "delete":  # candidates have two or more letters, so a word never becomes empty
        i = offset % len(word)
        return word[:i] + word[i + 1 :]
    i = offset % (len(word) + (1 if kind == "insert" else 0))
    if kind == "insert":
        return word[:i] + char + word[i:]
    return word[:i] + char + word[i + 1 :] if word[i] != char else word


@dataclass(frozen=True)
class Typo(_PerturbationBase):
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
        _choice("style", self.style, TYPO_STYLES)
        if not (isinstance(self.char, str) and len(self.char) == 1 and not self.char.isspace()):
            raise HomogUsageError(f"char must be one character that is not whitespace; got {self.char!r}.")

    def _edit(self, tokens: Sequence[str], inside: frozenset[int] | None) -> tuple[int, str] | None:
        """(position, misspelt word) of the word the typo changes, or None; ``inside`` is None for a text."""
        candidates = [
            i
            for i, token in enumerate(tokens)
            if token.isalpha()
            and len(token) >= 2
            and (inside is None or (i in inside) == self.inside_entities)
            and _typo(token, self.style, self.offset, self.char) != token
        ]
        if not candidates:
            return None
        i = _pick(candidates, self.index)
        return i, _typo(tokens[i], self.style, self.offset, self.char)

    def _sentence(self, example: LabelledSentence) -> Perturbed:
        edit = self._edit(example.tokens, example.entity_positions())
        if edit is None:
            where = "entity" if self.inside_entities else "context"
            return _unchanged(example, self.kind, f"no {where} word of two or more letters")
        i, new = edit
        return _edit_tokens(example, {i: new}, self.kind, f"{self.style} typo {example.tokens[i]!r} -> {new!r}")

    def _text(self, example: TextExample) -> Perturbed:
        tokens = list(example.tokens)
        edit = self._edit(tokens, None)
        if edit is None:
            return _unchanged(example, self.kind, "no word of two or more letters")
        i, new = edit
        old, tokens[i] = tokens[i], new
        return _text_result(example, " ".join(tokens), self.kind, f"{self.style} typo {old!r} -> {new!r}")


class _Gazetteer(dict[str, tuple[tuple[str, ...], ...]]):
    """A gazetteer already normalised by :func:`normalise_gazetteer` (so drawing many swaps does not redo it)."""


def normalise_gazetteer(
    gazetteer: Mapping[str, Iterable[str | Sequence[str]]],
) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Normalise a gazetteer to ``type -> tuple of names``, each name a tuple of tokens, without duplicates.

    Examples
    --------
    >>> normalise_gazetteer({"LOC": ["New York", ("Paris",), "New York"]})
    {'LOC': (('New', 'York'), ('Paris',))}
    """
    if isinstance(gazetteer, _Gazetteer):
        return gazetteer
    normalised_gazetteer = _Gazetteer()
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
        normalised_gazetteer[str(etype)] = tuple(normalised)
    return normalised_gazetteer


@dataclass(frozen=True)
class EntitySwap(_PerturbationBase):
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
        object.__setattr__(self, "gazetteer", normalise_gazetteer(self.gazetteer))

    def __repr__(self) -> str:
        count = sum(len(names) for names in self.gazetteer.values())
        if count <= 4:
            shown = {t: [" ".join(name) for name in names] for t, names in self.gazetteer.items()}
            return f"EntitySwap({shown!r}, index={self.index}, choice={self.choice})"
        return f"EntitySwap(<{count} names of {len(self.gazetteer)} types>, index={self.index}, choice={self.choice})"

    def _choose(self, example: LabelledSentence) -> tuple[str, int, int, tuple[str, ...]] | None:
        candidates = [
            (etype, start, end, options)
            for etype, start, end in example.entities
            if (options := [name for name in self.gazetteer.get(etype, ()) if name != example.tokens[start:end]])
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
        same_type = [
            entity_start
            for entity_type, entity_start, entity_end in example.entities
            if entity_type == etype and example.tokens[entity_start:entity_end] != new
        ]
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


#: What a :class:`Punctuation` does (its ``action``).
PUNCTUATION_ACTIONS = ("add", "remove")


def is_punctuation(token: str) -> bool:
    """Whether ``token`` is non-empty and has no letter, digit or space: a mark :class:`Punctuation` can use."""
    return bool(token) and not any(c.isalnum() or c.isspace() for c in token)


@dataclass(frozen=True)
class Punctuation(_PerturbationBase):
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
        _choice("action", self.action, PUNCTUATION_ACTIONS)
        if not is_punctuation(self.mark):
            raise HomogUsageError(f"mark must be punctuation without letters, digits or spaces; got {self.mark!r}.")

    def _sentence(self, example: LabelledSentence) -> Perturbed:
        length = len(example.tokens)
        if self.action == "add":
            return _splice(example, length, length, (self.mark,), None, self.kind, f"appended {self.mark!r}")
        inside = example.entity_positions()
        candidates = [i for i, t in enumerate(example.tokens) if is_punctuation(t) and i not in inside]
        if not candidates or length == 1:
            return _unchanged(example, self.kind, "no punctuation token outside the entities")
        i = _pick(candidates, self.index)
        return _splice(example, i, i + 1, (), None, self.kind, f"removed {example.tokens[i]!r} at {i}")

    def _text(self, example: TextExample) -> Perturbed:
        if self.action == "add":
            return _text_result(example, example.text.rstrip() + self.mark, self.kind, f"appended {self.mark!r}")
        text = example.text
        candidates = [i for i, c in enumerate(text) if is_punctuation(c)]
        if not candidates:
            return _unchanged(example, self.kind, "no punctuation")
        i = _pick(candidates, self.index)
        return _text_result(example, (text[:i] + text[i + 1 :]).strip(), self.kind, f"removed {text[i]!r}")


@dataclass(frozen=True)
class Whitespace(_PerturbationBase):
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


#: Where a :class:`ContextInsertion` inserts (its ``where``).
INSERTION_PLACES = ("start", "end")
#: Context phrases :class:`ContextInsertion` uses by default: (words put at the start, words put at the end).
DEFAULT_CONTEXT = (
    (("Yesterday", ","), ("In", "fact", ","), ("According", "to", "reports", ","), ("Honestly", ",")),
    ((",", "I", "think"), (",", "as", "expected"), (",", "they", "said")),
)


@dataclass(frozen=True)
class ContextInsertion(_PerturbationBase):
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
        _choice("where", self.where, INSERTION_PLACES)
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
