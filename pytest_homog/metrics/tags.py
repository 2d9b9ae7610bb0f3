"""Tagging schemes and modes, and entity extraction (input validation is in :mod:`pytest_homog.metrics.inputs`).

Entities are read from tag sequences in one of two modes (see DESIGN.md, Definitions):

``mode="conlleval"``
    What conlleval.pl (the CoNLL shared tasks' scorer) and seqeval's default mode do: lenient about ill-formed
    sequences (an ``I-`` after ``O`` opens an entity, a type change closes one). This mode is seqeval's
    default, which equals conlleval.pl on B/I/O tags (IOB1, IOB2) and extends it where conlleval.pl has no
    rule: ``S-`` opens and closes an entity, and an ``E-`` followed by a ``B-`` of the same type ends one
    entity and starts the next (conlleval.pl has no rule for that pair and runs the two into one chunk, so
    ``B-X E-X B-X E-X`` is two entities here and one for conlleval.pl).
    Like seqeval's default mode, this mode ignores ``scheme``: every tag is read by its first character.
    BILOU's ``U-`` and ``L-`` are not conlleval prefixes (adjacent entities merge or are lost), so tags with
    them get a :class:`~pytest_homog.errors.HomogWarning` pointing at ``mode="strict", scheme="BILOU"``.
``mode="strict"``
    seqeval's strict mode (``seqeval.scheme``): an entity counts only when it is well formed in ``scheme``;
    tags whose prefix is not part of the scheme raise :class:`~pytest_homog.errors.HomogDataError`.

Entities are ``(type, start, end)`` tuples with ``end`` exclusive. The corpus-level extraction used by the
metrics works on integer-encoded tags with numpy, so it costs a few vectorized passes over the corpus.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_homog.errors import HomogDataError, HomogUsageError, HomogWarning
from pytest_homog.metrics.inputs import check_tag_sequences, check_tag_values, is_nested, is_sequence, shorten

__all__ = [
    "MODES",
    "SCHEMES",
    "EntityArrays",
    "check_bare_tags",
    "check_conlleval_tags",
    "check_mode",
    "check_scheme",
    "check_scheme_tags",
    "conlleval_entities",
    "entities_by_sentence",
    "extract_entities",
    "is_bare_tag",
    "is_nested",
    "parse_tag",
    "strict_entities",
]

SCHEMES = ("IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU")
MODES = ("conlleval", "strict")


# ----------------------------------------------------------------------------------------------------
# argument checks
# ----------------------------------------------------------------------------------------------------


def check_scheme(scheme: object) -> str:
    """Return ``scheme`` if it is one of :data:`SCHEMES`, else raise :class:`HomogUsageError`.

    Examples
    --------
    >>> check_scheme("IOBES")
    'IOBES'
    """
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise HomogUsageError(f"scheme must be one of {', '.join(SCHEMES)}; got {scheme!r}.")
    return scheme


def check_mode(mode: object) -> str:
    """Return ``mode`` if it is one of :data:`MODES`, else raise :class:`HomogUsageError`.

    Examples
    --------
    >>> check_mode("strict")
    'strict'
    """
    if not isinstance(mode, str) or mode not in MODES:
        raise HomogUsageError(f"mode must be one of {', '.join(repr(m) for m in MODES)}; got {mode!r}.")
    return mode


# ----------------------------------------------------------------------------------------------------
# encoding and extraction
# ----------------------------------------------------------------------------------------------------

# conlleval tag classes (first character of a tag)
_C_O, _C_B, _C_I, _C_E, _C_S, _C_DOT, _C_OTHER = range(7)
_CONLL_CLASS = {"O": _C_O, "B": _C_B, "I": _C_I, "E": _C_E, "S": _C_S, ".": _C_DOT}

# strict prefixes
_PREFIXES = "IOBESUL"
_PREFIX = {c: i for i, c in enumerate(_PREFIXES)}
_ALL = frozenset(_PREFIXES)
_ANY, _SAME, _DIFF = 0, 1, 2

# (prev prefixes, current prefixes, tag condition), transcribed from seqeval.scheme
_Pattern = tuple[frozenset[str], frozenset[str], int]


def _pattern(prev: str, current: str, cond: int) -> _Pattern:
    return (_ALL if prev == "*" else frozenset(prev), _ALL if current == "*" else frozenset(current), cond)


_SCHEME_RULES: dict[str, dict[str, Any]] = {
    "IOB1": {
        "allowed": "IOB",
        "start": [
            _pattern("O", "I", _ANY),
            _pattern("I", "I", _DIFF),
            _pattern("B", "I", _ANY),
            _pattern("I", "B", _SAME),
            _pattern("B", "B", _SAME),
        ],
        "inside": [_pattern("B", "I", _SAME), _pattern("I", "I", _SAME)],
        "end": [
            _pattern("I", "I", _DIFF),
            _pattern("I", "O", _ANY),
            _pattern("I", "B", _ANY),
            _pattern("B", "O", _ANY),
            _pattern("B", "I", _DIFF),
            _pattern("B", "B", _SAME),
        ],
    },
    "IOE1": {
        "allowed": "IOE",
        "start": [
            _pattern("O", "I", _ANY),
            _pattern("I", "I", _DIFF),
            _pattern("E", "I", _ANY),
            _pattern("E", "E", _SAME),
        ],
        "inside": [_pattern("I", "I", _SAME), _pattern("I", "E", _SAME)],
        "end": [
            _pattern("I", "I", _DIFF),
            _pattern("I", "O", _ANY),
            _pattern("I", "E", _DIFF),
            _pattern("E", "I", _SAME),
            _pattern("E", "E", _SAME),
        ],
    },
    "IOB2": {
        "allowed": "IOB",
        "start": [_pattern("*", "B", _ANY)],
        "inside": [_pattern("B", "I", _SAME), _pattern("I", "I", _SAME)],
        "end": [
            _pattern("I", "O", _ANY),
            _pattern("I", "I", _DIFF),
            _pattern("I", "B", _ANY),
            _pattern("B", "O", _ANY),
            _pattern("B", "I", _DIFF),
            _pattern("B", "B", _ANY),
        ],
    },
    "IOE2": {
        "allowed": "IOE",
        "start": [
            _pattern("O", "I", _ANY),
            _pattern("O", "E", _ANY),
            _pattern("E", "I", _ANY),
            _pattern("E", "E", _ANY),
            _pattern("I", "I", _DIFF),
            _pattern("I", "E", _DIFF),
        ],
        "inside": [_pattern("I", "E", _SAME), _pattern("I", "I", _SAME)],
        "end": [_pattern("E", "*", _ANY)],
    },
    "IOBES": {
        "allowed": "IOBES",
        "start": [_pattern("*", "B", _ANY), _pattern("*", "S", _ANY)],
        "inside": [
            _pattern("B", "I", _SAME),
            _pattern("B", "E", _SAME),
            _pattern("I", "I", _SAME),
            _pattern("I", "E", _SAME),
        ],
        "end": [_pattern("S", "*", _ANY), _pattern("E", "*", _ANY)],
    },
    "BILOU": {
        "allowed": "BILOU",
        "start": [_pattern("*", "B", _ANY), _pattern("*", "U", _ANY)],
        "inside": [
            _pattern("B", "I", _SAME),
            _pattern("B", "L", _SAME),
            _pattern("I", "I", _SAME),
            _pattern("I", "L", _SAME),
        ],
        "end": [_pattern("U", "*", _ANY), _pattern("L", "*", _ANY)],
    },
}


def _tables(patterns: list[_Pattern]) -> np.ndarray:
    """(3, 7, 7) boolean tables: [cond, prev prefix, current prefix] for cond ANY, SAME, DIFF."""
    table = np.zeros((3, 7, 7), dtype=bool)
    for prev, current, cond in patterns:
        for p in prev:
            for c in current:
                table[cond, _PREFIX[p], _PREFIX[c]] = True
    return table


_TABLES = {name: {k: _tables(v) for k, v in rules.items() if k != "allowed"} for name, rules in _SCHEME_RULES.items()}


@dataclass(frozen=True)
class EntityArrays:
    """Entities of a flattened corpus: parallel arrays, one element per entity, ordered by ``end``.

    ``start``/``end`` are flattened positions (``end`` exclusive); ``type`` indexes ``types``.
    """

    start: np.ndarray
    end: np.ndarray
    type: np.ndarray


def parse_tag(tag: str, mode: str) -> tuple[int, str]:
    """The prefix class of ``tag`` and its entity type, as ``mode`` reads them (``"_"`` for no type).

    ``mode="conlleval"`` reads as seqeval's ``get_entities`` does, ``mode="strict"`` as ``seqeval.scheme.Token``.

    Examples
    --------
    >>> parse_tag("B-PER", "conlleval")[1], parse_tag("O", "strict")[1]
    ('PER', '_')
    """
    if mode == "conlleval":
        return _CONLL_CLASS.get(tag[0], _C_OTHER), tag[1:].split("-", maxsplit=1)[-1] or "_"
    return _PREFIX.get(tag[0], -1), tag[1:].strip("-") or "_"


def conlleval_entities(ids: np.ndarray, prefix: np.ndarray, type_ids: np.ndarray) -> EntityArrays:
    """Entities of a flattened corpus as seqeval's ``get_entities`` reads them (vectorized)."""
    tag = prefix[ids]
    type_id = type_ids[ids]
    prev_tag = np.empty_like(tag)
    prev_tag[0] = _C_O
    prev_tag[1:] = tag[:-1]
    prev_type = np.empty_like(type_id)
    prev_type[0] = -1  # seqeval starts with prev_type "" which equals no type
    prev_type[1:] = type_id[:-1]
    type_change = prev_type != type_id
    tag_bis = (tag == _C_B) | (tag == _C_S)
    prev_es = (prev_tag == _C_E) | (prev_tag == _C_S)
    prev_bi = (prev_tag == _C_B) | (prev_tag == _C_I)
    tag_ei = (tag == _C_E) | (tag == _C_I)
    end = prev_es | (prev_bi & (tag_bis | (tag == _C_O))) | ((prev_tag != _C_O) & (prev_tag != _C_DOT) & type_change)
    start = tag_bis | ((prev_es | (prev_tag == _C_O)) & tag_ei) | ((tag != _C_O) & (tag != _C_DOT) & type_change)
    # the begin offset seen at position i is the last start strictly before i (0 if none)
    last_start = np.maximum.accumulate(np.where(start, np.arange(len(ids)), 0))
    ends = np.flatnonzero(end)
    begins = last_start[ends - 1]
    return EntityArrays(start=begins, end=ends, type=prev_type[ends])


def _flag(tables: np.ndarray, prev_p: np.ndarray, cur_p: np.ndarray, same: np.ndarray) -> np.ndarray:
    return tables[_ANY][prev_p, cur_p] | (tables[_SAME][prev_p, cur_p] & same) | (tables[_DIFF][prev_p, cur_p] & ~same)


def strict_entities(
    ids: np.ndarray, prefix: np.ndarray, type_ids: np.ndarray, scheme: str, outside_type: int
) -> EntityArrays:
    """Entities of a flattened corpus as seqeval's strict ``Entities(..., scheme=...)`` reads them.

    ``prefix`` must be valid for ``scheme`` (see :func:`check_scheme_tags`).
    """
    tables = _TABLES[scheme]
    cur_p = prefix[ids]
    type_id = type_ids[ids]
    prev_p = np.empty_like(cur_p)
    prev_p[0] = _PREFIX["O"]
    prev_p[1:] = cur_p[:-1]
    prev_t = np.empty_like(type_id)
    prev_t[0] = outside_type
    prev_t[1:] = type_id[:-1]
    same = prev_t == type_id
    start = _flag(tables["start"], prev_p, cur_p, same)
    inside = _flag(tables["inside"], prev_p, cur_p, same)
    endf = _flag(tables["end"], prev_p, cur_p, same)
    n = len(ids)
    # first position >= j that is not inside the entity running into it
    not_inside = np.where(inside, n, np.arange(n))
    next_stop = np.minimum.accumulate(not_inside[::-1])[::-1]
    starts = np.flatnonzero(start)
    starts = starts[starts + 1 < n]
    stops = next_stop[starts + 1]
    if len(starts) > 1 and np.any(starts[1:] < stops[:-1]):
        # a start inside a running entity is skipped, as seqeval walks past the entity (happens in IOB1)
        keep = np.zeros(len(starts), dtype=bool)
        pos = -1
        for k, (s, e) in enumerate(zip(starts.tolist(), stops.tolist(), strict=True)):
            if s >= pos:
                keep[k] = True
                pos = e
        starts, stops = starts[keep], stops[keep]
    ok = endf[stops]
    return EntityArrays(start=starts[ok], end=stops[ok], type=type_id[starts[ok]])


def _first_place(tag: str, sources: Sequence[tuple[str, Sequence[Sequence[str]]]]) -> str:
    """Where ``tag`` first occurs in ``sources`` (pairs of a name such as ``"y_true"`` and tag sequences)."""
    places = (
        f"{name}, sentence {i}, position {list(row).index(tag)}"
        for name, y in sources
        for i, row in enumerate(y)
        if tag in row
    )
    return next(places, "the input")


def is_bare_tag(tag: str) -> bool:
    """Whether ``tag`` has no scheme prefix: it is longer than one character and its second is not ``-``.

    Reading such a tag by its first character would cut ``PER`` into a prefix ``P`` and a type ``ER``.

    Examples
    --------
    >>> is_bare_tag("PER"), is_bare_tag("B-PER"), is_bare_tag("O"), is_bare_tag("B")
    (True, False, False, False)
    """
    return len(tag) > 1 and tag[1] != "-"


def check_bare_tags(tags: Sequence[str], sources: Sequence[tuple[str, Sequence[Sequence[str]]]]) -> None:
    """Raise :class:`HomogDataError` for the first of ``tags`` (sorted) without a scheme prefix (see
    :func:`is_bare_tag`), in either mode; the message says where it first occurs in ``sources``."""
    bare = sorted(tag for tag in tags if is_bare_tag(tag))
    if not bare:
        return
    tag = bare[0]
    raise HomogDataError(
        f"tag {tag!r} ({_first_place(tag, sources)}) has no scheme prefix: a tag is 'O', or a prefix, '-' and "
        f"an entity type (B-PER, I-PER); read by its first character it would be prefix {tag[0]!r} with type "
        f"{tag[1:]!r}. Tag the data in a scheme; for IO tags (bare types), write 'I-{tag}': mode='conlleval' "
        "reads a run of I- tags as one entity."
    )


def check_scheme_tags(tags: Sequence[str], scheme: str, sources: Sequence[tuple[str, Sequence[Sequence[str]]]]) -> None:
    """Raise :class:`HomogDataError` for the first of ``tags`` (sorted) without a scheme prefix or whose prefix
    is not part of ``scheme``; the message says where it first occurs in ``sources``, pairs of a name
    (``"y_true"``) and tag sequences."""
    check_bare_tags(tags, sources)
    allowed = _SCHEME_RULES[scheme]["allowed"]
    outside = sorted(tag for tag in tags if tag[0] not in allowed)
    if not outside:
        return
    tag = outside[0]
    prefixes = ", ".join(allowed)
    raise HomogDataError(
        f"tag {tag!r} ({_first_place(tag, sources)}) is outside scheme {scheme} (prefixes {prefixes}) in "
        "mode='strict'; pass the scheme the data is tagged in, or mode='conlleval' to read tags leniently."
    )


def check_conlleval_tags(
    tags: Sequence[str], scheme: str, sources: Sequence[tuple[str, Sequence[Sequence[str]]]]
) -> None:
    """What ``mode="conlleval"`` says about ``tags`` before reading them: raise for a tag without a scheme
    prefix; warn about BILOU tags and about other prefixes it does not know (read as seqeval's default mode
    reads them)."""
    check_bare_tags(tags, sources)
    bilou = sorted(tag for tag in tags if tag[:2] in ("U-", "L-"))
    if bilou:
        warnings.warn(
            f"tags such as {bilou[0]!r} are BILOU tags, which mode='conlleval' does not know (as in seqeval's "
            "default mode, U- and L- end an entity only at a type change, so adjacent entities merge or are "
            f"lost){'; scheme is ignored in this mode' if scheme == 'BILOU' else ''}. "
            "Pass mode='strict', scheme='BILOU' to read them as BILOU.",
            HomogWarning,
            stacklevel=4,
        )
    unknown = sorted(tag for tag in tags if tag != "O" and tag[0] not in "BIES" and tag[:2] not in ("U-", "L-"))
    if unknown:
        tag = unknown[0]
        warnings.warn(
            f"tag {tag!r} ({_first_place(tag, sources)}) has a prefix mode='conlleval' does not know (it knows "
            "B-, I-, E-, S- and O); as in seqeval's default mode, such a tag starts or ends an entity only "
            "where the entity type changes. Check the tags, or pass mode='strict' with the data's scheme to "
            "refuse them.",
            HomogWarning,
            stacklevel=4,
        )


def extract_entities(
    tags: Sequence[str], *, scheme: str = "IOB2", mode: str = "conlleval"
) -> list[tuple[str, int, int]]:
    """Entities of one sentence as ``(type, start, end)`` tuples, ``end`` exclusive, in order.

    Parameters
    ----------
    tags : sequence of str
        The tags of one sentence.
    scheme : {"IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}
        Tagging scheme; used by ``mode="strict"`` only. ``mode="conlleval"`` ignores it, as seqeval's default
        mode does.
    mode : {"conlleval", "strict"}
        ``"conlleval"`` equals seqeval's default ``get_entities`` (equal to conlleval.pl on B/I/O tags;
        seqeval extends it for ``S-`` and for ``E-`` followed by ``B-``, see the module docstring, and so does
        this mode). ``"strict"`` equals seqeval's ``Entities(..., scheme=...)``.

    Raises
    ------
    HomogUsageError
        Unknown ``scheme`` or ``mode``.
    HomogDataError
        A tag that is not a non-empty string; in strict mode a tag outside ``scheme``.

    Examples
    --------
    >>> extract_entities(["B-PER", "I-PER", "O", "I-LOC"])
    [('PER', 0, 2), ('LOC', 3, 4)]
    >>> extract_entities(["B-PER", "I-PER", "O", "I-LOC"], mode="strict")
    [('PER', 0, 2)]
    >>> extract_entities(["S-PER", "B-LOC", "E-LOC"], scheme="IOBES", mode="strict")
    [('PER', 0, 1), ('LOC', 1, 3)]
    """
    from pytest_homog.corpus import Corpus

    check_scheme(scheme)
    check_mode(mode)
    if isinstance(tags, str) or not is_sequence(tags):
        raise HomogDataError(f"tags must be a sequence of tag strings for one sentence; got {shorten(tags)}.")
    sentence = [str(t) if isinstance(t, np.str_) else t for t in tags]
    if not sentence:
        return []
    check_tag_values([sentence], "tags")
    return Corpus.of_valid([sentence], nested=True, scheme=scheme, mode=mode).entities_by_sentence()[0]


def entities_by_sentence(
    sequences: Any, *, scheme: str = "IOB2", mode: str = "conlleval"
) -> list[list[tuple[str, int, int]]]:
    """Entities of every sentence of a corpus, in one vectorized pass; offsets are within each sentence.

    The corpus is read as the metrics read it (and as seqeval reads nested input). For B/I/E/S/O tags and in
    strict mode this equals ``[extract_entities(s, scheme=scheme, mode=mode) for s in sequences]``, only
    faster. With tags whose first character is none of B/I/E/S/O, ``mode="conlleval"`` can (as seqeval does)
    start an entity in an earlier sentence; such an entity is listed in the sentence where it ends, from
    position 0.

    Parameters
    ----------
    sequences : sequence of sequences of str
        Tags, one sequence per sentence.
    scheme, mode
        As in :func:`extract_entities`.

    Returns
    -------
    list of list of (type, start, end)

    Examples
    --------
    >>> entities_by_sentence([["B-PER", "I-PER", "O"], ["O", "B-LOC"]])
    [[('PER', 0, 2)], [('LOC', 1, 2)]]
    """
    from pytest_homog.corpus import Corpus

    check_scheme(scheme)
    check_mode(mode)
    references = check_tag_sequences(sequences)
    return Corpus.of_valid(references, nested=True, scheme=scheme, mode=mode).entities_by_sentence()
