"""Hypothesis strategies for behavioural checks: labelled sentences, text examples and perturbations.

Every strategy takes keyword-only arguments, validated when the strategy is built (a bad argument raises
``hypothesis.errors.InvalidArgument`` at once, not at the first draw). Generated examples carry correct gold
labels: a :class:`~pytest_homog.perturbations.LabelledSentence` is valid in its scheme (strict entity extraction
reads back exactly the generated entities), and perturbations keep labels correct (see
:mod:`pytest_homog.perturbations`).

Importing this module registers the hypothesis settings profile ``homog`` (deadline off, the ``too_slow`` health
check suppressed, derandomized, no example database); select it with ``pytest --hypothesis-profile=homog``. The
plugin never loads a profile on its own.

Examples
--------
>>> from hypothesis import given
>>> from pytest_homog.strategies import case_change, labelled_sentences
>>> @given(example=labelled_sentences(scheme="BILOU", max_len=6), perturbation=case_change())
... def check(example, perturbation):
...     perturbed = perturbation(example)
...     assert perturbed.perturbed.tags == example.tags
>>> check()
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from pytest_homog.errors import HomogUsageError
from pytest_homog.labelled import Entity, LabelledSentence, TextExample
from pytest_homog.metrics.tags import check_scheme
from pytest_homog.perturbations import (
    CASE_TARGETS,
    CASES,
    INSERTION_PLACES,
    PUNCTUATION_ACTIONS,
    TYPO_STYLES,
    CaseChange,
    ContextInsertion,
    EntitySwap,
    Punctuation,
    Typo,
    Whitespace,
    is_punctuation,
    normalise_gazetteer,
)

__all__ = [
    "DEFAULT_GAZETTEER",
    "DEFAULT_VOCABULARY",
    "PROFILE",
    "case_change",
    "context_insertion",
    "dataset_gazetteer",
    "entity_swap",
    "labelled_sentences",
    "punctuation",
    "register_profile",
    "text_examples",
    "typo",
    "whitespace",
]

#: Name of the settings profile this module registers.
PROFILE = "homog"


def register_profile(*, replace: bool = False) -> None:
    """Register the hypothesis settings profile ``homog``; it is not loaded.

    deadline off (models are slow and their first call slower), ``HealthCheck.too_slow`` suppressed,
    ``derandomize=True`` (the same examples on every CI run) and ``database=None`` (nothing written to disk).
    Every other setting is hypothesis' own default, inside or outside CI (hypothesis loads its ``ci`` profile
    when it sees a CI environment variable; ``homog`` does not inherit from it). A ``homog`` profile the user
    registered first is kept unless ``replace=True``.

    Examples
    --------
    >>> register_profile()
    >>> settings.get_profile("homog").derandomize
    True
    """
    if not replace:
        try:
            settings.get_profile(PROFILE)
            return
        except InvalidArgument:
            pass
    settings.register_profile(
        PROFILE,
        parent=settings.get_profile("default"),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=True,
        database=None,
    )


register_profile()

#: Context words :func:`labelled_sentences` draws when no vocabulary or dataset is given (all lower case).
DEFAULT_VOCABULARY = (
    "the", "a", "visited", "met", "in", "at", "with", "said", "today", "and", "from", "to", "of", "report",
    "people", "went", "is", "was", "she", "he", "they", "saw", "called", "left", "for", "on", "by", "team",
    "city", "yesterday", "will", "meet", "near", "about", ",", ".",
)  # fmt: skip

#: Entity names :func:`labelled_sentences` draws when no gazetteer or dataset is given.
DEFAULT_GAZETTEER: dict[str, tuple[str, ...]] = {
    "PER": ("Alice", "Bob Smith", "Maria Garcia", "Wei Zhang", "Ahmed"),
    "LOC": ("Paris", "New York", "Lagos", "Mount Everest", "Kyoto"),
    "ORG": ("Acme", "United Nations", "Mozilla", "Red Cross", "Siemens"),
    "MISC": ("Olympics", "Nobel Prize", "Python", "Euro"),
}

_INDEX = st.integers(min_value=0, max_value=2**16)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidArgument(message)


def _check_len(min_name: str, min_value: Any, max_name: str, max_value: Any, *, lowest: int) -> None:
    for name, value in ((min_name, min_value), (max_name, max_value)):
        _require(
            isinstance(value, int) and not isinstance(value, bool) and value >= lowest,
            f"{name}={value!r} must be an integer >= {lowest}.",
        )
    _require(min_value <= max_value, f"{min_name}={min_value} is larger than {max_name}={max_value}.")


def _check_scheme(scheme: Any) -> None:
    """The metric layer's scheme check, raising as a strategy's argument checks do."""
    try:
        check_scheme(scheme)
    except HomogUsageError as error:
        raise InvalidArgument(str(error)) from None


def _words(name: str, words: Any) -> tuple[str, ...]:
    _require(
        isinstance(words, Iterable) and not isinstance(words, (str, bytes)),
        f"{name} must be a sequence of words; got {words!r}.",
    )
    unique = tuple(dict.fromkeys(words))
    _require(bool(unique), f"{name} is empty; give at least one word.")
    bad = [word for word in unique if not (isinstance(word, str) and word.strip())]
    _require(not bad, f"{name} holds items that are not non-empty words: {bad[:5]!r}.")
    return unique


def _read_dataset(dataset: Any, scheme: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(tokens, tags) pairs from a list of pairs / LabelledSentences or a ``datasets.Dataset``."""
    rows: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    columns = getattr(dataset, "column_names", None)
    if columns is not None:  # a datasets.Dataset
        tag_column = next((c for c in ("tags", "ner_tags") if c in columns), None)
        _require(
            "tokens" in columns and tag_column is not None,
            f"dataset needs a 'tokens' and a 'tags' (or 'ner_tags') column; it has {list(columns)}.",
        )
        feature = getattr(getattr(dataset, "features", {}).get(tag_column), "feature", None)
        names = getattr(feature, "names", None)
        for row in dataset:
            row_tags = [names[t] if names is not None and isinstance(t, int) else t for t in row[tag_column]]
            rows.append((tuple(row["tokens"]), tuple(row_tags)))
    else:
        _require(isinstance(dataset, Iterable), f"dataset must be a list of (tokens, tags); got {dataset!r}.")
        for item in dataset:
            if isinstance(item, LabelledSentence):
                rows.append((item.tokens, item.tags))
                continue
            _require(
                isinstance(item, Sequence) and len(item) == 2,
                f"dataset items must be (tokens, tags) pairs; got {item!r}.",
            )
            rows.append((tuple(item[0]), tuple(item[1])))
    _require(bool(rows), "dataset is empty.")
    for tokens, tags in rows:
        _require(
            len(tokens) == len(tags),
            f"dataset sentence has {len(tokens)} tokens and {len(tags)} tags: {tokens!r} / {tags!r}.",
        )
    return rows


def dataset_gazetteer(
    dataset: Any, *, scheme: str = "IOB2"
) -> tuple[tuple[str, ...], dict[str, tuple[tuple[str, ...], ...]]]:
    """The context words (tag ``O``) and the entity names by type found in ``dataset``.

    ``dataset`` is a list of ``(tokens, tags)`` pairs or of LabelledSentences, or a ``datasets.Dataset`` with
    ``tokens`` and ``tags`` (or ``ner_tags``, names taken from its ClassLabel feature) columns. Entities are read
    leniently (``mode="conlleval"``), as real corpora hold the odd invalid sequence; BILOU tags, which the lenient
    reading does not know, strictly.

    Examples
    --------
    >>> words, names = dataset_gazetteer([(["I", "saw", "Paris"], ["O", "O", "B-LOC"])])
    >>> words, names
    (('I', 'saw'), {'LOC': (('Paris',),)})
    """
    from pytest_homog.errors import HomogDataError
    from pytest_homog.metrics.tags import entities_by_sentence

    _check_scheme(scheme)
    rows = [(tokens, tags) for tokens, tags in _read_dataset(dataset, scheme) if tokens]
    _require(bool(rows), "dataset has no sentence with tokens.")
    try:
        found = entities_by_sentence(
            [list(tags) for _, tags in rows], scheme=scheme, mode="strict" if scheme == "BILOU" else "conlleval"
        )
    except HomogDataError as error:
        raise InvalidArgument(f"dataset tags cannot be read in scheme {scheme}: {error}") from None
    words: dict[str, None] = {}
    names: dict[str, dict[tuple[str, ...], None]] = {}
    for (tokens, tags), entities in zip(rows, found, strict=True):
        inside: set[int] = set()
        for etype, start, end in entities:
            names.setdefault(etype, {})[tokens[start:end]] = None
            inside.update(range(start, end))
        for i, token in enumerate(tokens):
            if i not in inside and tags[i] == "O":
                words[token] = None
    return tuple(words), {etype: tuple(found) for etype, found in names.items()}


def labelled_sentences(
    *,
    scheme: str = "IOB2",
    entity_types: Sequence[str] | None = None,
    vocabulary: Sequence[str] | None = None,
    gazetteer: Mapping[str, Sequence[str | Sequence[str]]] | None = None,
    dataset: Any = None,
    dataset_scheme: str | None = None,
    min_len: int = 1,
    max_len: int = 20,
    max_entities: int | None = None,
) -> st.SearchStrategy[LabelledSentence]:
    """Sentences with gold tags valid in ``scheme``.

    Context words (tag ``O``) come from ``vocabulary``, else from the ``O`` words of ``dataset``, else from
    :data:`DEFAULT_VOCABULARY`; entity names come from ``gazetteer`` (type -> names; a name with spaces becomes
    several tokens), else from the entities of ``dataset``, else from :data:`DEFAULT_GAZETTEER` (types it lacks
    get invented capitalised names). Sentences shrink towards ``min_len`` tokens and fewer entities.

    Parameters
    ----------
    scheme : str
        One of ``IOB1, IOB2, IOE1, IOE2, IOBES, BILOU``.
    entity_types : sequence of str, optional
        Types to draw. Default: the gazetteer's or the dataset's types, else ``("PER", "LOC", "ORG")``.
    vocabulary : sequence of str, optional
        Context words.
    gazetteer : mapping, optional
        Entity type -> names.
    dataset : list of (tokens, tags) or datasets.Dataset, optional
        A corpus to take words and names from (see :func:`dataset_gazetteer`).
    dataset_scheme : str, optional
        The scheme of ``dataset``'s tags. Default: ``scheme``.
    min_len, max_len : int
        Bounds on the number of tokens (``1 <= min_len <= max_len``).
    max_entities : int, optional
        At most this many entities per sentence. Default: no bound but the length.

    Returns
    -------
    SearchStrategy of LabelledSentence

    Notes
    -----
    In IOE1 a one-token entity directly followed by an entity of the same type is written ``E-X I-X``; seqeval's
    strict IOE1 reader (and so the metric layer's, which equals it) does not read it back, so such sentences are
    not generated in IOE1.

    Examples
    --------
    >>> from hypothesis import given
    >>> from pytest_homog.metrics.tags import extract_entities
    >>> @given(labelled_sentences(scheme="IOE1", max_len=8))
    ... def check(s):
    ...     assert extract_entities(list(s.tags), scheme="IOE1", mode="strict") == list(s.entities)
    >>> check()
    >>> labelled_sentences(min_len=5, max_len=3)
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: min_len=5 is larger than max_len=3.
    """
    _check_scheme(scheme)
    _check_len("min_len", min_len, "max_len", max_len, lowest=1)
    if max_entities is not None:
        _require(
            isinstance(max_entities, int) and not isinstance(max_entities, bool) and max_entities >= 0,
            f"max_entities={max_entities!r} must be None or an integer >= 0.",
        )
    if dataset is None and dataset_scheme is not None:
        raise InvalidArgument(f"dataset_scheme={dataset_scheme!r} was given without a dataset.")
    words, names = _sentence_sources(vocabulary, gazetteer, dataset, dataset_scheme or scheme)
    names_from = "gazetteer" if gazetteer is not None else "dataset" if dataset is not None else None
    types = _entity_types(entity_types, names, names_from)
    limit = max_len if max_entities is None else max_entities
    return _sentences(scheme, words, _name_strategies(types, names), min_len, max_len, limit)


def _sentence_sources(
    vocabulary: Any, gazetteer: Any, dataset: Any, dataset_scheme: str
) -> tuple[tuple[str, ...], dict[str, tuple[tuple[str, ...], ...]]]:
    """(context words, entity names by type) from the arguments, else the dataset, else the defaults.

    Without a gazetteer or dataset the names are empty: :func:`_name_strategies` falls back to the default
    gazetteer and to invented names.
    """
    data_words: tuple[str, ...] = ()
    data_names: dict[str, tuple[tuple[str, ...], ...]] = {}
    if dataset is not None:
        data_words, data_names = dataset_gazetteer(dataset, scheme=dataset_scheme)
    if vocabulary is not None:
        words = _words("vocabulary", vocabulary)
    elif dataset is not None:
        _require(bool(data_words), "dataset has no word tagged O to use as context; pass vocabulary=.")
        words = data_words
    else:
        words = DEFAULT_VOCABULARY
    if gazetteer is None:
        return words, data_names
    _require(isinstance(gazetteer, Mapping), f"gazetteer must be a mapping type -> names; got {gazetteer!r}.")
    try:
        return words, normalise_gazetteer(gazetteer)
    except ValueError as error:
        raise InvalidArgument(str(error)) from None


def _entity_types(
    entity_types: Any, names: dict[str, tuple[tuple[str, ...], ...]], names_from: str | None
) -> tuple[str, ...]:
    """The entity types to draw: ``entity_types``, else those with names, else PER, LOC and ORG.

    ``names_from`` says where ``names`` came from (``"gazetteer"`` or ``"dataset"``), or is None for the defaults;
    then every type must have a name there.
    """
    if entity_types is None:
        types = tuple(names) if names else ("PER", "LOC", "ORG")
    else:
        types = _words("entity_types", entity_types)
    bad = [etype for etype in types if any(c.isspace() for c in etype)]
    _require(not bad, f"entity_types must not contain whitespace; got {bad!r}.")
    if names_from is not None:
        missing = [etype for etype in types if not names.get(etype)]
        _require(
            not missing,
            f"no names for entity types {missing!r} in the {names_from}; "
            "add names for them or leave them out of entity_types.",
        )
    return types


def _name_strategies(
    types: Sequence[str], names: Mapping[str, tuple[tuple[str, ...], ...]]
) -> dict[str, st.SearchStrategy[tuple[str, ...]]]:
    """For each type, names from ``names``, else from :data:`DEFAULT_GAZETTEER`, else invented capitalised ones."""
    strategies: dict[str, st.SearchStrategy[tuple[str, ...]]] = {}
    for etype in types:
        if names.get(etype):
            strategies[etype] = st.sampled_from(names[etype])
        elif etype in DEFAULT_GAZETTEER:
            strategies[etype] = st.sampled_from([tuple(name.split()) for name in DEFAULT_GAZETTEER[etype]])
        else:
            letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8)
            strategies[etype] = st.lists(letters.map(str.capitalize), min_size=1, max_size=2).map(tuple)
    return strategies


def _sentences(
    scheme: str,
    words: Sequence[str],
    names: Mapping[str, st.SearchStrategy[tuple[str, ...]]],
    min_len: int,
    max_len: int,
    max_entities: int,
) -> st.SearchStrategy[LabelledSentence]:
    """Sentences of ``min_len`` to ``max_len`` tokens holding at most ``max_entities`` entities."""
    word = st.sampled_from(words)
    entity = st.sampled_from(list(names)).flatmap(lambda etype: st.tuples(st.just(etype), names[etype]))
    # a sentence is a list of segments (a context word, or an entity type with its name): hypothesis shrinks
    # lists by deleting elements, so a failing sentence shrinks to the few segments that matter
    segment = st.one_of(word.map(lambda w: ("O", (w,))), entity)

    @st.composite
    def draw_sentence(draw: st.DrawFn) -> LabelledSentence:
        tokens: list[str] = []
        entities: list[Entity] = []
        for etype, name in draw(st.lists(segment, max_size=max_len)):
            if len(tokens) + len(name) > max_len:
                continue
            if etype != "O":
                if len(entities) >= max_entities or _unreadable_in_ioe1(scheme, entities, etype, len(tokens)):
                    continue
                entities.append((etype, len(tokens), len(tokens) + len(name)))
            tokens.extend(name)
        if len(tokens) < min_len:
            tokens.extend(draw(st.lists(word, min_size=min_len - len(tokens), max_size=min_len - len(tokens))))
        return LabelledSentence.from_entities(tokens, entities, scheme=scheme)

    return draw_sentence()


def _unreadable_in_ioe1(scheme: str, entities: Sequence[Entity], etype: str, start: int) -> bool:
    """Whether an entity of ``etype`` at ``start`` would follow a one-token entity of its type in IOE1.

    seqeval's strict IOE1 (and so the metric layer's) cannot read a one-token entity directly followed by one of
    the same type (``E-PER I-PER``); such sentences are not generated.
    """
    if scheme != "IOE1" or not entities:
        return False
    last_type, last_start, last_end = entities[-1]
    return last_end == start and last_type == etype and last_end - last_start == 1


def text_examples(
    *,
    labels: Mapping[str, Sequence[str]],
    vocabulary: Sequence[str] | None = None,
    min_words: int = 1,
    max_words: int = 12,
) -> st.SearchStrategy[TextExample]:
    """Texts for classification: neutral words with one cue phrase of the label inserted.

    ``labels`` maps each label to cue phrases that decide it (``{"positive": ["great", "loved it"], ...}``);
    context words come from ``vocabulary`` (default :data:`DEFAULT_VOCABULARY` without punctuation) and must not
    decide a label themselves. A text has ``min_words`` to ``max_words`` context words plus its cue.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(text_examples(labels={"pos": ["great"], "neg": ["awful"]}))
    ... def check(example):
    ...     assert ("great" in example.tokens) == (example.label == "pos")
    >>> check()
    >>> text_examples(labels={})
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: labels is empty; map each label to one or more cue phrases.
    """
    _require(isinstance(labels, Mapping), f"labels must be a mapping label -> cue phrases; got {labels!r}.")
    _require(bool(labels), "labels is empty; map each label to one or more cue phrases.")
    cues = {str(label): _words(f"labels[{label!r}]", phrases) for label, phrases in labels.items()}
    _check_len("min_words", min_words, "max_words", max_words, lowest=0)
    words = (
        _words("vocabulary", vocabulary)
        if vocabulary is not None
        else tuple(w for w in DEFAULT_VOCABULARY if w.isalpha())
    )
    cue_words = {w for phrases in cues.values() for phrase in phrases for w in phrase.split()}
    clash = sorted(cue_words.intersection(words))
    _require(not clash, f"vocabulary words {clash[:5]!r} are also label cues; take them out of the vocabulary.")

    @st.composite
    def draw_text(draw: st.DrawFn) -> TextExample:
        label = draw(st.sampled_from(sorted(cues)))
        cue = draw(st.sampled_from(cues[label]))
        context = draw(st.lists(st.sampled_from(words), min_size=min_words, max_size=max_words))
        at = draw(st.integers(min_value=0, max_value=len(context)))
        return TextExample(" ".join([*context[:at], cue, *context[at:]]), label)

    return draw_text()


def _sampled(name: str, value: Any, allowed: Sequence[str]) -> st.SearchStrategy[str]:
    if value is None:
        return st.sampled_from(allowed)
    values = (value,) if isinstance(value, str) else tuple(value)
    bad = [v for v in values if v not in allowed]
    _require(bool(values) and not bad, f"{name} must be among {tuple(allowed)}; got {value!r}.")
    return st.sampled_from(values)


def case_change(*, how: str | Sequence[str] | None = "lower", target: str = "entity") -> st.SearchStrategy[CaseChange]:
    """Case changes (see :class:`~pytest_homog.perturbations.CaseChange`).

    ``how``: one of ``"lower"``, ``"upper"``, ``"title"``, ``"swapcase"``, several, or None for all;
    ``target``: ``"entity"``, ``"token"``, ``"context"`` or ``"sentence"``.

    Examples
    --------
    >>> case_change(target="word")
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: target must be among ('entity', 'token', 'context', 'sentence'); got 'word'.
    """
    hows = _sampled("how", how, tuple(CASES))
    _sampled("target", target, CASE_TARGETS)
    return st.builds(CaseChange, how=hows, target=st.just(target), index=_INDEX)


def typo(*, inside_entities: bool = False, style: str | Sequence[str] | None = None) -> st.SearchStrategy[Typo]:
    """One-character typos (see :class:`~pytest_homog.perturbations.Typo`), in context words or, with
    ``inside_entities=True``, in entity names; ``style`` limits them to ``"swap"``, ``"delete"``, ``"insert"``,
    ``"replace"`` (default: all).

    Examples
    --------
    >>> from hypothesis import find
    >>> from pytest_homog.perturbations import LabelledSentence
    >>> s = LabelledSentence.from_entities(["we", "visited", "Paris"], [("LOC", 2, 3)])
    >>> p = find(typo(inside_entities=True), lambda t: True)(s)
    >>> p.changed, p.perturbed.tags == s.tags
    ((2,), True)
    """
    _require(isinstance(inside_entities, bool), f"inside_entities must be True or False; got {inside_entities!r}.")
    styles = _sampled("style", style, TYPO_STYLES)
    chars = st.sampled_from("etaoinsrhlx")
    return st.builds(
        Typo, style=styles, inside_entities=st.just(inside_entities), index=_INDEX, offset=_INDEX, char=chars
    )


def entity_swap(
    *,
    gazetteer: Mapping[str, Sequence[str | Sequence[str]]] | None = None,
    dataset: Any = None,
    scheme: str = "IOB2",
) -> st.SearchStrategy[EntitySwap]:
    """Entity swaps (see :class:`~pytest_homog.perturbations.EntitySwap`) with names from ``gazetteer``, from the
    entities of ``dataset`` (its tags read in ``scheme``), or from both; default :data:`DEFAULT_GAZETTEER`.

    Examples
    --------
    >>> entity_swap(gazetteer={"PER": []})
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: gazetteer has no names for ['PER']; give at least one name per type.
    """
    names: dict[str, list[Any]] = {}
    if gazetteer is not None:
        _require(isinstance(gazetteer, Mapping), f"gazetteer must be a mapping type -> names; got {gazetteer!r}.")
        empty = [t for t, v in gazetteer.items() if not v]
        _require(not empty, f"gazetteer has no names for {empty!r}; give at least one name per type.")
        for etype, values in gazetteer.items():
            names.setdefault(etype, []).extend(values)
    if dataset is not None:
        for etype, found in dataset_gazetteer(dataset, scheme=scheme)[1].items():
            names.setdefault(etype, []).extend(found)
    if gazetteer is None and dataset is None:
        names = {t: list(v) for t, v in DEFAULT_GAZETTEER.items()}
    try:
        swap = EntitySwap(names)
    except ValueError as error:
        raise InvalidArgument(str(error)) from None
    return st.builds(EntitySwap, st.just(swap.gazetteer), index=_INDEX, choice=_INDEX)


def punctuation(
    *, action: str | None = None, marks: Sequence[str] = (".", "!", "?", ",", ";")
) -> st.SearchStrategy[Punctuation]:
    """Adding or removing a punctuation token labelled ``O`` (see
    :class:`~pytest_homog.perturbations.Punctuation`); ``action`` is ``"add"``, ``"remove"`` or None for both.

    Examples
    --------
    >>> punctuation(marks=["..", "x"])
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: marks must be punctuation without letters, digits or spaces; got ['x'].
    """
    actions = _sampled("action", action, PUNCTUATION_ACTIONS)
    marks = _words("marks", marks)
    bad = [mark for mark in marks if not is_punctuation(mark)]
    _require(not bad, f"marks must be punctuation without letters, digits or spaces; got {bad!r}.")
    return st.builds(Punctuation, action=actions, mark=st.sampled_from(marks), index=_INDEX)


def whitespace(*, spaces: Sequence[str] = (" ", "  ", "\t", "\n", "\u00a0")) -> st.SearchStrategy[Whitespace]:
    """Stray whitespace (see :class:`~pytest_homog.perturbations.Whitespace`): around one token of a sentence,
    or in one gap between the words of a text.

    Examples
    --------
    >>> from hypothesis import find
    >>> from pytest_homog.perturbations import TextExample
    >>> find(whitespace(spaces=["\\t"]), lambda w: True)(TextExample("good film", "pos")).perturbed.text
    'good\\tfilm'
    """
    _require(
        bool(spaces) and all(isinstance(s, str) and s and s.isspace() for s in spaces),
        f"spaces must be non-empty strings of whitespace; got {spaces!r}.",
    )
    return st.builds(Whitespace, index=_INDEX, space=st.sampled_from(tuple(spaces)))


def context_insertion(
    *,
    where: str | None = None,
    phrases: Sequence[str | Sequence[str]] | None = None,
) -> st.SearchStrategy[ContextInsertion]:
    """Insert context words labelled ``O`` at the start or end (see
    :class:`~pytest_homog.perturbations.ContextInsertion`). ``phrases`` default to ``DEFAULT_CONTEXT`` for the
    chosen end; ``where`` is ``"start"``, ``"end"`` or None for both.

    Examples
    --------
    >>> from hypothesis import find
    >>> from pytest_homog.perturbations import LabelledSentence
    >>> s = LabelledSentence.from_entities(["Alice", "left"], [("PER", 0, 1)])
    >>> find(context_insertion(where="end", phrases=["as expected"]), lambda c: True)(s).perturbed.tags
    ('B-PER', 'O', 'O', 'O')
    """
    wheres = _sampled("where", where, INSERTION_PLACES)
    if phrases is None:
        return st.builds(ContextInsertion, where=wheres, index=_INDEX)
    _require(
        isinstance(phrases, Sequence) and not isinstance(phrases, str) and bool(phrases),
        f"phrases must be a non-empty sequence of phrases; got {phrases!r}.",
    )
    normalised = []
    for phrase in phrases:
        words = tuple(phrase.split()) if isinstance(phrase, str) else tuple(phrase)
        _require(bool(words) and all(isinstance(w, str) and w.strip() for w in words), f"bad phrase {phrase!r}.")
        normalised.append(words)
    return st.builds(ContextInsertion, where=wheres, phrase=st.sampled_from(normalised))
