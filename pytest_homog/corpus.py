"""The corpus: references validated and encoded once, and predictions bound to them once.

A :class:`Corpus` holds one set of references (tag sequences, one per sentence, or flat labels, one per example)
for a tagging ``scheme`` and reading ``mode``. Building it validates the references and encodes them: every tag
or label gets an integer code from one registry that all predictions of the corpus share, so codes, entity keys
and labels compare across subjects. :meth:`Corpus.bind` validates one prediction against the references and
encodes it with the same registry, giving :class:`Predictions`. Entities are read from the codes on first use and
kept.

Every metric, bootstrap and assertion works from these two objects; the public functions accept plain lists and
build them at their boundary, as seqeval's ``classification_report`` builds ``Entities`` once and passes them
down.

The rules that depend only on the shape of the references live here too: the counting levels (:data:`LEVELS`,
:func:`resolve_level`) and the units that can be right or wrong (:data:`UNITS`, :func:`resolve_unit`,
:meth:`Corpus.outcomes`).

Units (see DESIGN.md, Definitions)
----------------------------------
``unit="entity"``
    The gold entities of the corpus; one is right when a predicted entity has exactly its span and type.
``unit="sentence"``
    The sentences; one is right when its predicted entity set equals its gold entity set exactly (so a
    sentence without gold entities is right when nothing is predicted in it).
``unit="token"``
    The tokens; one is right when its predicted tag equals its gold tag.
``unit="example"``
    The examples of flat (text classification) labels; one is right when its label is.
``unit="span"``
    The gold entities (right when predicted exactly) and every span, with its type, that some subject predicts
    and the references do not have (failed by each subject that predicts it), so shared false positives count.
    The spans depend on the subjects compared: see :meth:`Corpus.group_outcomes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import Any, NamedTuple

import numpy as np

from pytest_homog.errors import HomogDataError, HomogUsageError
from pytest_homog.metrics.inputs import check_predictions, check_references
from pytest_homog.metrics.tags import (
    check_bare_tags,
    check_conlleval_tags,
    check_mode,
    check_scheme,
    check_scheme_tags,
    conlleval_entities,
    parse_tag,
    strict_entities,
)
from pytest_homog.seed_runs import Seeds

__all__ = [
    "LEVELS",
    "UNITS",
    "Corpus",
    "Entities",
    "Predictions",
    "SeedPredictions",
    "UnitRef",
    "resolve_level",
    "resolve_unit",
]

LEVELS = ("entity", "token", "label")
UNITS = ("entity", "sentence", "token", "example", "span")


def resolve_level(level: object, nested: bool) -> str:
    """The level to count at: ``level`` checked against the input shape, or its default.

    Nested input (tag sequences) defaults to ``"entity"`` and allows ``"token"``; flat input is ``"label"``.

    Examples
    --------
    >>> resolve_level(None, nested=True)
    'entity'
    >>> resolve_level(None, nested=False)
    'label'
    """
    if level is None:
        return "entity" if nested else "label"
    if not isinstance(level, str) or level not in LEVELS:
        raise HomogUsageError(f"level must be one of 'entity', 'token', 'label' or None; got {level!r}.")
    if nested and level == "label":
        raise HomogUsageError(
            "level='label' needs flat labels (one per example) but the input is nested tag sequences; "
            "use level='token' to score every tag, or level='entity'."
        )
    if not nested and level != "label":
        raise HomogUsageError(
            f"level={level!r} needs nested tag sequences (one list of tags per sentence) but the input is "
            "flat labels; use level='label' or pass tag sequences."
        )
    return level


def resolve_unit(unit: object, nested: bool) -> str:
    """The unit that can be right or wrong: ``unit`` checked against the input shape, or its default.

    Examples
    --------
    >>> resolve_unit(None, nested=True), resolve_unit("sentence", nested=True)
    ('entity', 'sentence')
    """
    if unit is None:
        return "entity" if nested else "example"
    if not isinstance(unit, str) or unit not in UNITS:
        raise HomogUsageError(f"unit must be one of {', '.join(map(repr, UNITS))}; got {unit!r}.")
    if nested and unit == "example":
        raise HomogUsageError(
            "unit='example' is for flat labels (one per example); these references are tag sequences. "
            "Use unit='entity', 'sentence' or 'token'."
        )
    if not nested and unit != "example":
        raise HomogUsageError(
            f"unit={unit!r} needs tag sequences (one list of tags per sentence); these references are flat "
            "labels. Use unit='example'."
        )
    return unit


class UnitRef(NamedTuple):
    """Where a unit lives: its sentence (or example) index and, for entities and tokens, what and where.

    ``label`` is the gold entity type (entity unit), the gold tag (token unit) or the gold label (example
    unit); ``start``/``end`` (end exclusive) locate an entity or a token inside its sentence.
    """

    sentence: int
    label: Any = None
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class Entities:
    """The entities of one tagging of a corpus: parallel arrays, one element per entity, ordered by ``end``.

    ``start``/``end`` (exclusive) are positions in the corpus laid end to end with one ``O`` after each sentence
    (as seqeval reads nested input); ``type`` is a code of :attr:`Corpus.entity_types`; ``sentence`` is the
    sentence an entity ends in; ``keys`` encode (type, start, end) as one integer, unique per entity.
    """

    start: np.ndarray
    end: np.ndarray
    type: np.ndarray
    sentence: np.ndarray
    keys: np.ndarray


class Corpus:
    """References validated and encoded once, for a tagging ``scheme`` and reading ``mode``.

    Parameters
    ----------
    y_true : sequence of sequences of str, or sequence of labels
        The references: one tag list per sentence, or one label per example.
    scheme, mode : str
        How entities are read from tags (see :mod:`pytest_homog.metrics.tags`).

    Attributes
    ----------
    references : list
        The validated references (lists of tag strings, or labels).
    nested : bool
        Whether the references are tag sequences.
    scheme, mode : str
        How entities are read.
    registry : dict
        Tag or label -> code, for the references and every prediction bound so far (binding registers the
        tags a prediction adds, so codes stay comparable across subjects); ``values`` maps codes back.
    entity_types : dict
        Entity type -> code, shared by the entities of the references and of every prediction.
    n_units : int
        Number of sentences (nested) or examples (flat): what the bootstrap resamples.
    lengths : numpy.ndarray
        Tokens per sentence (1 per example for flat labels).
    token_unit : numpy.ndarray
        The sentence (example) index of every token (label).
    gold_codes : numpy.ndarray
        The code of every reference tag (label), sentences laid end to end.

    Examples
    --------
    >>> corpus = Corpus([["B-PER", "O"], ["B-LOC"]])
    >>> predictions = corpus.bind([["B-PER", "O"], ["O"]])
    >>> corpus.outcomes(predictions, "entity")[0].tolist()
    [True, False]
    """

    def __init__(self, y_true: Any, *, scheme: str = "IOB2", mode: str = "conlleval") -> None:
        check_scheme(scheme)
        check_mode(mode)
        references, nested = check_references(y_true)
        self._encode_references(references, nested, scheme, mode)

    @classmethod
    def of_valid(cls, references: list[Any], *, nested: bool, scheme: str, mode: str) -> Corpus:
        """A corpus of references (and ``scheme``, ``mode``) that the caller has validated already."""
        corpus = cls.__new__(cls)
        corpus._encode_references(references, nested, scheme, mode)
        return corpus

    def _encode_references(self, references: list[Any], nested: bool, scheme: str, mode: str) -> None:
        self.references = references
        self.nested = nested
        self.scheme = scheme
        self.mode = mode
        self.n_units = len(references)
        # the registry: tag or label -> code, and back (``values``); "O" (code 0) also separates sentences
        self.registry: dict[Any, int] = {}
        self.values: list[Any] = []
        self.entity_types: dict[str, int] = {}
        self._entity_type_names: list[str] = []
        self._prefix: list[int] = []
        self._type: list[int] = []
        self.tags_checked = False
        if nested:
            self.lengths = np.fromiter(map(len, references), dtype=np.int64, count=self.n_units)
            self.encode(["O"])
        else:
            self.lengths = np.ones(self.n_units, dtype=np.int64)
        self.token_unit = np.repeat(np.arange(self.n_units), self.lengths)
        self.gold_codes = self.encode(self._flat(references))

    def _flat(self, values: list[Any]) -> list[Any]:
        return list(chain.from_iterable(values)) if self.nested else values

    def encode(self, values: list[Any]) -> np.ndarray:
        """The codes of ``values`` (tags or labels), registering the ones not seen before."""
        registry = self.registry
        for value in set(values).difference(registry):
            registry[value] = len(self.values)
            self.values.append(value)
        return np.fromiter(map(registry.__getitem__, values), dtype=np.int64, count=len(values))

    def bind(self, y_pred: Any, *, name: str = "y_pred") -> Predictions:
        """Validate ``y_pred`` against the references and encode it; errors say what does not fit.

        A :class:`~pytest_homog.seed_runs.Seeds` of predictions binds each run and gives :class:`SeedPredictions`.

        Raises
        ------
        HomogDataError
            The predictions do not fit the references (see :func:`~pytest_homog.metrics.inputs.check_sequences`).
        """
        if isinstance(y_pred, Seeds):
            return self._bind_runs(y_pred, name)
        values = check_predictions(y_pred, self.references, self.nested)
        return Predictions(self, values, self.encode(self._flat(values)), name)

    def _bind_runs(self, runs: Seeds, name: str) -> SeedPredictions:
        if runs.are_models:
            raise HomogUsageError(
                f"{name} is a seeds subject of models; here it must hold predictions. Pass it to a check with the "
                "data the models predict on, or pass seeds() the models' predictions."
            )
        bound = []
        for position, run in enumerate(runs.runs):
            try:
                bound.append(self.bind(run, name=f"{name} run {position}"))
            except HomogDataError as exc:
                raise HomogDataError(
                    f"run {position} of the seeds subject {name!r} does not fit the references: {exc} Every run "
                    "must predict the same examples: pass runs made on the same data."
                ) from exc
        return SeedPredictions(tuple(bound), name)

    def as_predictions(self, name: str) -> Predictions:
        """The references read as one more prediction (for measures between predictions, without gold)."""
        return Predictions(self, self.references, self.gold_codes, name)

    def resolve_level(self, level: object) -> str:
        """:func:`resolve_level` for the shape of these references."""
        return resolve_level(level, self.nested)

    def resolve_unit(self, unit: object) -> str:
        """:func:`resolve_unit` for the shape of these references."""
        return resolve_unit(unit, self.nested)

    # ------------------------------------------------------------------------------------------------------
    # entities
    # ------------------------------------------------------------------------------------------------------

    @cached_property
    def _layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Where each token sits in the corpus laid end to end with separators, each position's sentence, and
        each sentence's first position."""
        positions = np.arange(self.gold_codes.size) + self.token_unit
        sentence = np.repeat(np.arange(self.n_units), self.lengths + 1)
        offsets = np.concatenate([[0], np.cumsum(self.lengths + 1)[:-1]]).astype(np.int64)
        return positions, sentence, offsets

    def _entity_type(self, name: str) -> int:
        code = self.entity_types.setdefault(name, len(self.entity_types))
        if code == len(self._entity_type_names):
            self._entity_type_names.append(name)
        return code

    def _parsed(self) -> tuple[np.ndarray, np.ndarray]:
        """Prefix class and entity-type code of every registered tag."""
        for tag in self.values[len(self._prefix) :]:
            prefix, type_name = parse_tag(tag, self.mode)
            self._prefix.append(prefix)
            self._type.append(self._entity_type(type_name))
        return np.array(self._prefix, dtype=np.int64), np.array(self._type, dtype=np.int64)

    def read_entities(self, codes: np.ndarray, tags: list[list[str]], name: str) -> Entities:
        """The entities of one tagging (codes of this corpus), read by ``scheme`` and ``mode``."""
        positions, sentence_of, _ = self._layout
        ids = np.zeros(positions.size + self.n_units, dtype=np.int64)  # 0 is the code of "O"
        ids[positions] = codes
        # a tag without a scheme prefix is never cut into a prefix and a type, and strict reading needs every
        # prefix in the scheme, whether or not check_tags ran first
        if self.mode == "conlleval":
            check_bare_tags(self._tags_of(codes), [(name, tags)])
        else:
            check_scheme_tags(self._tags_of(codes), self.scheme, [(name, tags)])
        prefix, type_ids = self._parsed()
        if self.mode == "conlleval":
            arrays = conlleval_entities(ids, prefix, type_ids)
        else:
            arrays = strict_entities(ids, prefix, type_ids, self.scheme, self._entity_type("_"))
        start = np.asarray(arrays.start, dtype=np.int64)
        end = np.asarray(arrays.end, dtype=np.int64)
        types = np.asarray(arrays.type, dtype=np.int64)
        size = ids.size + 1
        # an entity belongs to the sentence it ends in (with tags outside B/I/E/S/O, conlleval mode can run one
        # across a sentence boundary, as seqeval does)
        return Entities(start, end, types, sentence_of[end - 1], (types * size + start) * size + end)

    def _tags_of(self, *codes: np.ndarray) -> list[str]:
        """The tags that occur in ``codes``."""
        used = sum(np.bincount(array, minlength=len(self.values)) for array in codes)
        return [self.values[code] for code in np.flatnonzero(used).tolist()]

    def check_tags(self, predictions: Predictions | None = None) -> None:
        """Check the tags of the references (and ``predictions``) before their entities are read: in strict mode
        raise for the first tag (in sorted order) outside the scheme, located in the references first; in
        conlleval mode raise for a tag without a scheme prefix and warn about prefixes that mode does not know
        (BILOU's included). Each input is checked once."""
        checked = self if predictions is None else predictions
        if checked.tags_checked:
            return
        if predictions is None:
            tags = self._tags_of(self.gold_codes)
            sources = [("y_true", self.references)]
        else:
            tags = self._tags_of(self.gold_codes, predictions.codes)
            sources = [("y_true", self.references), (predictions.name, predictions.values)]
        if self.mode == "conlleval":
            check_conlleval_tags(tags, self.scheme, sources)
        else:
            check_scheme_tags(tags, self.scheme, sources)
        checked.tags_checked = True

    @cached_property
    def gold_entities(self) -> Entities:
        """The entities of the references."""
        return self.read_entities(self.gold_codes, self.references, "y_true")

    @cached_property
    def gold_labels(self) -> set[Any]:
        """The entity types of the references (nested) or their labels (flat)."""
        if self.nested:
            return {self._entity_type_names[c] for c in np.unique(self.gold_entities.type).tolist()}
        return set(self.references)

    def entity_type_name(self, code: int) -> str:
        """The entity type a code of :attr:`entity_types` stands for."""
        return self._entity_type_names[code]

    def within_sentence(self, entities: Entities) -> tuple[np.ndarray, np.ndarray]:
        """``start`` and ``end`` of every entity inside its sentence (an entity run in from an earlier sentence
        starts at 0)."""
        offsets = self._layout[2][entities.sentence]
        return np.maximum(entities.start - offsets, 0), entities.end - offsets

    def entities_by_sentence(self) -> list[list[tuple[str, int, int]]]:
        """The gold entities of every sentence as ``(type, start, end)`` inside the sentence."""
        self.check_tags()
        gold = self.gold_entities
        start, end = self.within_sentence(gold)
        names = self._entity_type_names
        out: list[list[tuple[str, int, int]]] = [[] for _ in range(self.n_units)]
        rows = zip(gold.sentence.tolist(), gold.type.tolist(), start.tolist(), end.tolist(), strict=True)
        for sentence, code, first, last in rows:
            out[sentence].append((names[code], first, last))
        return out

    # ------------------------------------------------------------------------------------------------------
    # units
    # ------------------------------------------------------------------------------------------------------

    def outcomes(self, predictions: Predictions, unit: str) -> tuple[np.ndarray, np.ndarray]:
        """Per-unit outcomes of ``predictions`` (True = right) and the sentence (example) index of every unit.

        With ``unit="span"`` the units are the gold entities and the spans ``predictions`` adds to them; to compare
        subjects on one set of spans use :meth:`group_outcomes`.
        """
        if unit == "span":
            right, sentence, _ = self.group_outcomes([predictions], unit)
            return right[0], sentence
        if unit in ("example", "token"):
            return predictions.codes == self.gold_codes, self.token_unit
        gold = self.gold_entities
        found = np.isin(gold.keys, predictions.entities.keys, assume_unique=True)
        if unit == "entity":
            return found, gold.sentence
        n = self.n_units
        n_gold = np.bincount(gold.sentence, minlength=n)
        n_pred = np.bincount(predictions.entities.sentence, minlength=n)
        n_found = np.bincount(gold.sentence[found], minlength=n)
        return (n_found == n_gold) & (n_pred == n_gold), np.arange(n)

    def unit_refs(self, unit: str, indices: np.ndarray) -> list[UnitRef]:
        """Where the units ``indices`` (of :meth:`outcomes` for ``unit``) are, with their gold label."""
        if unit == "entity":
            return self.entity_refs(self.gold_entities, indices)
        if unit == "token":
            offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])
            refs = []
            for i in indices.tolist():
                sentence = int(self.token_unit[i])
                position = i - int(offsets[sentence])
                refs.append(UnitRef(sentence, self.values[int(self.gold_codes[i])], position, position + 1))
            return refs
        if unit == "example":
            return [UnitRef(i, self.values[int(self.gold_codes[i])]) for i in indices.tolist()]
        return [UnitRef(i) for i in indices.tolist()]

    # ------------------------------------------------------------------------------------------------------
    # units shared by a group of subjects
    # ------------------------------------------------------------------------------------------------------

    def entity_refs(self, entities: Entities, indices: np.ndarray) -> list[UnitRef]:
        """Where the entities ``indices`` of ``entities`` are, with their type."""
        start, end = self.within_sentence(entities)
        names = self._entity_type_names
        return [
            UnitRef(int(entities.sentence[i]), names[int(entities.type[i])], int(start[i]), int(end[i]))
            for i in indices.tolist()
        ]

    def span_units(self, group: list[Predictions]) -> Entities:
        """The units of ``unit="span"`` for ``group``: the gold entities and every other span (with its type)
        that a subject of the group predicts, each once, ordered by end (so by sentence), then start and type."""
        parts = [self.gold_entities, *(predictions.entities for predictions in group)]
        keys = np.concatenate([part.keys for part in parts])
        _, first = np.unique(keys, return_index=True)
        start, end, types, sentence = (
            np.concatenate([getattr(part, field) for part in parts])[first]
            for field in ("start", "end", "type", "sentence")
        )
        order = np.lexsort((types, start, end))
        return Entities(start[order], end[order], types[order], sentence[order], keys[first][order])

    def group_outcomes(self, group: list[Predictions], unit: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every subject's per-unit outcomes on the same units: a ``(subjects, units)`` array (True = right), the
        sentence (example) of every unit, and which units are predicted spans outside the gold entities.

        For ``unit="span"`` the units are :meth:`span_units`; a subject gets a gold entity right when it predicts
        it, and any other span right when it does not predict it. For the other units there are no such spans
        and the rows are those of :meth:`outcomes`.
        """
        if unit != "span":
            rows = [self.outcomes(predictions, unit) for predictions in group]
            sentence = rows[0][1]
            return np.stack([right for right, _ in rows]), sentence, np.zeros(sentence.size, dtype=bool)
        units = self.span_units(group)
        spurious = ~np.isin(units.keys, self.gold_entities.keys, assume_unique=True)
        predicted = np.stack([np.isin(units.keys, p.entities.keys, assume_unique=True) for p in group])
        return predicted != spurious, units.sentence, spurious


class Predictions:
    """One subject's predictions, validated against a :class:`Corpus` and encoded with its registry.

    Attributes
    ----------
    corpus : Corpus
        The references these predictions are bound to.
    values : list
        The validated predictions (lists of tag strings, or labels).
    codes : numpy.ndarray
        The code of every predicted tag (label), sentences laid end to end.
    name : str
        Who made them, for messages.
    tags_checked : bool
        Whether :meth:`Corpus.check_tags` has checked them (it checks each input once).
    """

    def __init__(self, corpus: Corpus, values: list[Any], codes: np.ndarray, name: str) -> None:
        self.corpus = corpus
        self.values = values
        self.codes = codes
        self.name = name
        self.tags_checked = False

    @cached_property
    def entities(self) -> Entities:
        """The predicted entities."""
        if self.codes is self.corpus.gold_codes:
            return self.corpus.gold_entities
        return self.corpus.read_entities(self.codes, self.values, self.name)

    @cached_property
    def labels(self) -> set[Any]:
        """The entity types (nested) or labels (flat) these predictions use."""
        if not self.corpus.nested:
            return set(self.values)
        return {self.corpus.entity_type_name(c) for c in np.unique(self.entities.type).tolist()}


class SeedPredictions(Predictions):
    """The predictions of several runs of one model (one per seed), each bound to the same corpus.

    Only seed-aware code reads it (counting gives :class:`~pytest_homog.metrics.counts.SeedCounts`, which the
    multi-bootstrap resamples); a measure that compares single runs (agreement, homogenization) asks for the
    predictions themselves and gets an error that says so, never one run in silence.

    Attributes
    ----------
    runs : tuple of Predictions
        One per seed, in the order given.
    """

    def __init__(self, runs: tuple[Predictions, ...], name: str) -> None:
        self.corpus = runs[0].corpus
        self.runs = runs
        self.name = name
        self.tags_checked = False

    def __getattr__(self, attribute: str) -> Any:
        # only reached for what __init__ does not set: the values and codes of a single run
        if attribute in ("values", "codes"):
            raise HomogUsageError(
                f"{self.name!r} is a seeds subject ({len(self.runs)} runs); this measure compares single runs. "
                "Seeds work with score, compare, the quality checks, assert_models_diverge(by='f1', 'precision' "
                "or 'recall'), assert_no_regression and assert_stochastically_better; pass one run (runs[0]) "
                "here."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {attribute!r}")
