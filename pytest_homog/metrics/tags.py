"""Tagging schemes, input validation and entity extraction.

Entities are read from tag sequences in one of two modes (see DESIGN.md, Definitions):

``mode="conlleval"``
    What conlleval.pl (the CoNLL shared tasks' scorer) and seqeval's default mode do: lenient about ill-formed
    sequences (an ``I-`` after ``O`` opens an entity, a type change closes one). conlleval.pl has no ``S-``
    tag; for it this mode follows seqeval's default, which extends conlleval.pl (``S-`` opens and closes an
    entity).
    Like seqeval's default mode, this mode ignores ``scheme``: every tag is read by its first character.
``mode="strict"``
    seqeval's strict mode (``seqeval.scheme``): an entity counts only when it is well formed in ``scheme``;
    tags whose prefix is not part of the scheme raise :class:`~pytest_homog.errors.HomogDataError`.

Entities are ``(type, start, end)`` tuples with ``end`` exclusive. The corpus-level extraction used by the
metrics works on integer-encoded tags with numpy, so it costs a few vectorized passes over the corpus.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from pytest_homog.errors import HomogDataError, HomogUsageError

__all__ = [
    "MODES",
    "SCHEMES",
    "check_labels",
    "check_mode",
    "check_scheme",
    "check_sequences",
    "entities_by_sentence",
    "extract_entities",
    "is_nested",
]

SCHEMES = ("IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU")
MODES = ("conlleval", "strict")

_SEQUENCE_TYPES = (list, tuple, np.ndarray)


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
# input validation
# ----------------------------------------------------------------------------------------------------


def _is_sequence(x: object) -> bool:
    return isinstance(x, _SEQUENCE_TYPES)


def is_nested(y: object) -> bool:
    """Whether ``y`` is nested (a sequence of tag sequences, one per sentence) rather than flat labels.

    Only the first element is looked at; :func:`check_sequences` and :func:`check_labels` check the rest.

    Examples
    --------
    >>> is_nested([["B-PER", "O"], ["O"]])
    True
    >>> is_nested(["pos", "neg"])
    False
    """
    if isinstance(y, np.ndarray):
        return y.ndim > 1 or (y.ndim == 1 and y.dtype == object and len(y) > 0 and _is_sequence(y[0]))
    if not _is_sequence(y) or len(y) == 0:  # type: ignore[arg-type]
        return False
    return _is_sequence(y[0])  # type: ignore[index]


def _check_container(y: object, name: str) -> None:
    if isinstance(y, (str, bytes)) or not (_is_sequence(y) or hasattr(y, "__len__")):
        raise HomogDataError(
            f"{name} must be a sequence of tag sequences or of labels; got {type(y).__name__}: {_short(y)}."
        )
    if len(y) == 0:  # type: ignore[arg-type]
        raise HomogDataError(f"{name} is empty; pass at least one sentence or example.")


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bad_label_message(name: str, value: object, where: str) -> str:
    if isinstance(value, float) and math.isnan(value):
        what = "NaN"
    else:
        what = f"{_short(value)} ({type(value).__name__})"
    return (
        f"{name} contains a label that is not a non-empty string: {what} at {where}; labels must be strings."
    )


def _locate(y: Sequence[Any], value: object, nested: bool) -> str:
    """Where ``value`` first occurs in ``y`` (for error messages)."""

    def same(a: object) -> bool:
        if a is value:
            return True
        if isinstance(a, float) and isinstance(value, float) and math.isnan(a) and math.isnan(value):
            return True
        try:
            return type(a) is type(value) and bool(a == value)
        except Exception:  # pragma: no cover - exotic objects
            return False

    if nested:
        for i, sentence in enumerate(y):
            for j, tag in enumerate(sentence):
                if same(tag):
                    return f"sentence {i}, position {j}"
    else:
        for i, label in enumerate(y):
            if same(label):
                return f"index {i}"
    return "an unknown position"  # pragma: no cover


def _unique(values: Any, name: str, y: Sequence[Any], nested: bool) -> set[Any]:
    try:
        return set(values)
    except TypeError:
        for i, sentence in enumerate(y if nested else [y]):
            for j, tag in enumerate(sentence):
                if not isinstance(tag, str):
                    where = f"sentence {i}, position {j}" if nested else f"index {j}"
                    raise HomogDataError(
                        f"{name} contains {_short(tag)} ({type(tag).__name__}) at {where}; "
                        "expected a string tag there (is the input nested one level too deep?)."
                    ) from None
        raise  # pragma: no cover


def _check_tag_values(uniq: set[Any], name: str, y: Sequence[Any]) -> None:
    for value in uniq:
        if not isinstance(value, str) or value == "":
            raise HomogDataError(_bad_label_message(name, value, _locate(y, value, nested=True)))


def _as_nested_list(y: Any, name: str) -> list[list[str]]:
    out: list[list[str]] = []
    for i, sentence in enumerate(y):
        if isinstance(sentence, list):
            out.append(sentence)
        elif isinstance(sentence, (tuple, np.ndarray)):
            out.append([str(t) if isinstance(t, np.str_) else t for t in sentence])
        else:
            raise HomogDataError(
                f"{name} mixes nested and flat input: element {i} is {_short(sentence)} "
                f"({type(sentence).__name__}) but element 0 is a sequence of tags. Pass one list of tags per "
                "sentence, or flat labels only."
            )
    return out


def check_sequences(y_true: Any, y_pred: Any) -> tuple[list[list[str]], list[list[str]]]:
    """Validate nested tag sequences (one per sentence) and return them as lists of lists of strings.

    Parameters
    ----------
    y_true, y_pred : sequence of sequences of str
        Gold and predicted tags, one sequence per sentence.

    Returns
    -------
    y_true, y_pred : list of list of str

    Raises
    ------
    HomogDataError
        Empty input, flat or mixed nested/flat input, different numbers of sentences, a sentence whose lengths
        differ (the message names the sentence index and both lengths), or a tag that is not a non-empty
        string (NaN, None, a number).

    Examples
    --------
    >>> check_sequences([("B-PER", "I-PER")], [["B-PER", "O"]])
    ([['B-PER', 'I-PER']], [['B-PER', 'O']])
    >>> check_sequences([["B-PER", "O"]], [["B-PER"]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pytest_homog.errors.HomogDataError: sentence 0 has 2 tags in y_true but 1 in y_pred; ...
    """
    _check_container(y_true, "y_true")
    _check_container(y_pred, "y_pred")
    nested_true, nested_pred = is_nested(y_true), is_nested(y_pred)
    if nested_true != nested_pred:
        raise HomogDataError(
            "y_true and y_pred mix nested and flat input: y_true is "
            f"{'nested (one tag list per sentence)' if nested_true else 'flat'} but y_pred is "
            f"{'nested (one tag list per sentence)' if nested_pred else 'flat'}. "
            "Pass both as lists of tag lists."
        )
    if not nested_true:
        raise HomogDataError(
            f"expected one sequence of tags per sentence (nested input); got flat labels such as "
            f"{_short(y_true[0])}. Wrap each sentence's tags in a list."
        )
    true = _as_nested_list(y_true, "y_true")
    pred = _as_nested_list(y_pred, "y_pred")
    if len(true) != len(pred):
        raise HomogDataError(
            f"y_true has {len(true)} sentences but y_pred has {len(pred)}; pass one prediction per sentence."
        )
    len_true = list(map(len, true))
    len_pred = list(map(len, pred))
    if len_true != len_pred:
        i = next(k for k, (a, b) in enumerate(zip(len_true, len_pred, strict=True)) if a != b)
        raise HomogDataError(
            f"sentence {i} has {len_true[i]} tags in y_true but {len_pred[i]} in y_pred; "
            "each prediction needs one tag per token of its sentence."
        )
    if sum(len_true) == 0:
        raise HomogDataError(f"y_true and y_pred hold {len(true)} sentences but no tags; the input is empty.")
    for name, y in (("y_true", true), ("y_pred", pred)):
        _check_tag_values(_unique(chain.from_iterable(y), name, y, nested=True), name, y)
    return true, pred


def check_labels(y_true: Any, y_pred: Any) -> tuple[list[Any], list[Any]]:
    """Validate flat labels (one per example) and return them as lists.

    Labels may be strings or integers (numpy integers become ``int``), not both; floats (NaN included),
    ``None`` and empty strings are rejected.

    Raises
    ------
    HomogDataError
        Empty input, nested or mixed input, different lengths, a label that is neither a string nor an
        integer.

    Examples
    --------
    >>> check_labels(["pos", "neg"], ["pos", "pos"])
    (['pos', 'neg'], ['pos', 'pos'])
    >>> check_labels([1, 0], [float("nan"), 0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pytest_homog.errors.HomogDataError: y_pred contains a label that is not a string or an integer: NaN ...
    """
    _check_container(y_true, "y_true")
    _check_container(y_pred, "y_pred")
    if is_nested(y_true) or is_nested(y_pred):
        raise HomogDataError(
            "expected flat labels (one per example); got nested input (y_true "
            f"{'nested' if is_nested(y_true) else 'flat'}, "
            f"y_pred {'nested' if is_nested(y_pred) else 'flat'}). "
            "Pass both nested (tag sequences) or both flat."
        )
    true = [_scalar(v) for v in y_true]
    pred = [_scalar(v) for v in y_pred]
    if len(true) != len(pred):
        raise HomogDataError(
            f"y_true has {len(true)} examples but y_pred has {len(pred)}; pass one prediction per example."
        )
    kinds: set[str] = set()
    for name, y in (("y_true", true), ("y_pred", pred)):
        for i, v in enumerate(y):
            if isinstance(v, str) and v != "":
                kinds.add("str")
            elif isinstance(v, int):
                kinds.add("int")
            elif _is_sequence(v):
                raise HomogDataError(
                    f"{name} mixes nested and flat input: element {i} is a sequence "
                    f"({_short(v)}) but element 0 is a single label."
                )
            else:
                what = (
                    "NaN" if isinstance(v, float) and math.isnan(v) else f"{_short(v)} ({type(v).__name__})"
                )
                raise HomogDataError(
                    f"{name} contains a label that is not a string or an integer: {what} at index {i}."
                )
    if len(kinds) > 1:
        raise HomogDataError("labels mix strings and integers; use one kind for y_true and y_pred.")
    return true, pred


def _scalar(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


# ----------------------------------------------------------------------------------------------------
# encoding and extraction
# ----------------------------------------------------------------------------------------------------

# conlleval tag classes (first character of a tag)
_C_O, _C_B, _C_I, _C_E, _C_S, _C_DOT, _C_OTHER = range(7)
_CONLL_CLASS = {"O": _C_O, "B": _C_B, "I": _C_I, "E": _C_E, "S": _C_S, ".": _C_DOT}

# strict prefixes
_PREFIXES = "IOBESUL"
_P = {c: i for i, c in enumerate(_PREFIXES)}
_ALL = frozenset(_PREFIXES)
_ANY, _SAME, _DIFF = 0, 1, 2

# (prev prefixes, current prefixes, tag condition), transcribed from seqeval.scheme
_Pattern = tuple[frozenset[str], frozenset[str], int]


def _pat(prev: str, cur: str, cond: int) -> _Pattern:
    return (_ALL if prev == "*" else frozenset(prev), _ALL if cur == "*" else frozenset(cur), cond)


_SCHEME_RULES: dict[str, dict[str, Any]] = {
    "IOB1": {
        "allowed": "IOB",
        "start": [
            _pat("O", "I", _ANY),
            _pat("I", "I", _DIFF),
            _pat("B", "I", _ANY),
            _pat("I", "B", _SAME),
            _pat("B", "B", _SAME),
        ],
        "inside": [_pat("B", "I", _SAME), _pat("I", "I", _SAME)],
        "end": [
            _pat("I", "I", _DIFF),
            _pat("I", "O", _ANY),
            _pat("I", "B", _ANY),
            _pat("B", "O", _ANY),
            _pat("B", "I", _DIFF),
            _pat("B", "B", _SAME),
        ],
    },
    "IOE1": {
        "allowed": "IOE",
        "start": [_pat("O", "I", _ANY), _pat("I", "I", _DIFF), _pat("E", "I", _ANY), _pat("E", "E", _SAME)],
        "inside": [_pat("I", "I", _SAME), _pat("I", "E", _SAME)],
        "end": [
            _pat("I", "I", _DIFF),
            _pat("I", "O", _ANY),
            _pat("I", "E", _DIFF),
            _pat("E", "I", _SAME),
            _pat("E", "E", _SAME),
        ],
    },
    "IOB2": {
        "allowed": "IOB",
        "start": [_pat("*", "B", _ANY)],
        "inside": [_pat("B", "I", _SAME), _pat("I", "I", _SAME)],
        "end": [
            _pat("I", "O", _ANY),
            _pat("I", "I", _DIFF),
            _pat("I", "B", _ANY),
            _pat("B", "O", _ANY),
            _pat("B", "I", _DIFF),
            _pat("B", "B", _ANY),
        ],
    },
    "IOE2": {
        "allowed": "IOE",
        "start": [
            _pat("O", "I", _ANY),
            _pat("O", "E", _ANY),
            _pat("E", "I", _ANY),
            _pat("E", "E", _ANY),
            _pat("I", "I", _DIFF),
            _pat("I", "E", _DIFF),
        ],
        "inside": [_pat("I", "E", _SAME), _pat("I", "I", _SAME)],
        "end": [_pat("E", "*", _ANY)],
    },
    "IOBES": {
        "allowed": "IOBES",
        "start": [_pat("*", "B", _ANY), _pat("*", "S", _ANY)],
        "inside": [
            _pat("B", "I", _SAME),
            _pat("B", "E", _SAME),
            _pat("I", "I", _SAME),
            _pat("I", "E", _SAME),
        ],
        "end": [_pat("S", "*", _ANY), _pat("E", "*", _ANY)],
    },
    "BILOU": {
        "allowed": "BILOU",
        "start": [_pat("*", "B", _ANY), _pat("*", "U", _ANY)],
        "inside": [
            _pat("B", "I", _SAME),
            _pat("B", "L", _SAME),
            _pat("I", "I", _SAME),
            _pat("I", "L", _SAME),
        ],
        "end": [_pat("U", "*", _ANY), _pat("L", "*", _ANY)],
    },
}


def _tables(patterns: list[_Pattern]) -> np.ndarray:
    """(3, 7, 7) boolean tables: [cond, prev prefix, current prefix] for cond ANY, SAME, DIFF."""
    table = np.zeros((3, 7, 7), dtype=bool)
    for prev, cur, cond in patterns:
        for p in prev:
            for c in cur:
                table[cond, _P[p], _P[c]] = True
    return table


_TABLES = {
    name: {k: _tables(v) for k, v in rules.items() if k != "allowed"} for name, rules in _SCHEME_RULES.items()
}


@dataclass(frozen=True)
class Encoded:
    """Tags of a corpus as integers, laid end to end with one ``O`` after each sentence (as seqeval does).

    Attributes
    ----------
    vocab : list of str
        Tag strings; ``ids`` index into it.
    true, pred : ndarray of int
        Tag ids of the flattened corpus (length ``n_tokens + n_sentences``; separators are the id of ``"O"``).
    sentence : ndarray of int
        Sentence index of each flattened position (a separator belongs to the sentence before it).
    lengths : ndarray of int
        Tokens per sentence.
    """

    vocab: list[str]
    true: np.ndarray
    pred: np.ndarray
    sentence: np.ndarray
    lengths: np.ndarray


def encode(y_true: list[list[str]], y_pred: list[list[str]]) -> Encoded:
    """Integer-encode validated nested tags (see :func:`check_sequences`) with a shared vocabulary."""
    vocab_set = set(chain.from_iterable(y_true))
    vocab_set.update(chain.from_iterable(y_pred))
    vocab_set.add("O")
    vocab = sorted(vocab_set)
    index = {tag: i for i, tag in enumerate(vocab)}
    lengths = np.fromiter(map(len, y_true), dtype=np.int64, count=len(y_true))
    n_tokens = int(lengths.sum())
    n_sent = len(lengths)
    sentence = np.repeat(np.arange(n_sent), lengths + 1)
    # flattened position of every token: its index among tokens plus the separators before it
    token_sentence = np.repeat(np.arange(n_sent), lengths)
    positions = np.arange(n_tokens) + token_sentence
    out = []
    for y in (y_true, y_pred):
        ids = np.full(n_tokens + n_sent, index["O"], dtype=np.int64)
        ids[positions] = np.fromiter(
            map(index.__getitem__, chain.from_iterable(y)), dtype=np.int64, count=n_tokens
        )
        out.append(ids)
    return Encoded(vocab, out[0], out[1], sentence, lengths)


@dataclass(frozen=True)
class EntityArrays:
    """Entities of a flattened corpus: parallel arrays, one element per entity, ordered by ``end``.

    ``start``/``end`` are flattened positions (``end`` exclusive); ``type`` indexes ``types``.
    """

    start: np.ndarray
    end: np.ndarray
    type: np.ndarray


def _conlleval_parse(tag: str) -> tuple[int, str]:
    # seqeval.metrics.sequence_labeling.get_entities, prefix form
    return _CONLL_CLASS.get(tag[0], _C_OTHER), tag[1:].split("-", maxsplit=1)[-1] or "_"


def _strict_parse(tag: str) -> tuple[int, str]:
    # seqeval.scheme.Token
    return _P.get(tag[0], -1), tag[1:].strip("-") or "_"


def parse_vocab(vocab: list[str], mode: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Prefix class and type id of every vocabulary entry, and the list of types (sorted)."""
    parse = _conlleval_parse if mode == "conlleval" else _strict_parse
    parsed = [parse(tag) for tag in vocab]
    types = sorted({t for _, t in parsed})
    type_index = {t: i for i, t in enumerate(types)}
    prefix = np.array([p for p, _ in parsed], dtype=np.int64)
    type_ids = np.array([type_index[t] for _, t in parsed], dtype=np.int64)
    return prefix, type_ids, types


def conlleval_entities(ids: np.ndarray, prefix: np.ndarray, type_ids: np.ndarray) -> EntityArrays:
    """Entities of a flattened corpus as seqeval's ``get_entities`` reads them (vectorized)."""
    tag = prefix[ids]
    typ = type_ids[ids]
    prev_tag = np.empty_like(tag)
    prev_tag[0] = _C_O
    prev_tag[1:] = tag[:-1]
    prev_type = np.empty_like(typ)
    prev_type[0] = -1  # seqeval starts with prev_type "" which equals no type
    prev_type[1:] = typ[:-1]
    type_change = prev_type != typ
    tag_bis = (tag == _C_B) | (tag == _C_S)
    prev_es = (prev_tag == _C_E) | (prev_tag == _C_S)
    prev_bi = (prev_tag == _C_B) | (prev_tag == _C_I)
    tag_ei = (tag == _C_E) | (tag == _C_I)
    end = (
        prev_es
        | (prev_bi & (tag_bis | (tag == _C_O)))
        | ((prev_tag != _C_O) & (prev_tag != _C_DOT) & type_change)
    )
    start = (
        tag_bis | ((prev_es | (prev_tag == _C_O)) & tag_ei) | ((tag != _C_O) & (tag != _C_DOT) & type_change)
    )
    # the begin offset seen at position i is the last start strictly before i (0 if none)
    last_start = np.maximum.accumulate(np.where(start, np.arange(len(ids)), 0))
    ends = np.flatnonzero(end)
    begins = last_start[ends - 1]
    return EntityArrays(start=begins, end=ends, type=prev_type[ends])


def _flag(tables: np.ndarray, prev_p: np.ndarray, cur_p: np.ndarray, same: np.ndarray) -> np.ndarray:
    return (
        tables[_ANY][prev_p, cur_p]
        | (tables[_SAME][prev_p, cur_p] & same)
        | (tables[_DIFF][prev_p, cur_p] & ~same)
    )


def strict_entities(
    ids: np.ndarray, prefix: np.ndarray, type_ids: np.ndarray, scheme: str, outside_type: int
) -> EntityArrays:
    """Entities of a flattened corpus as seqeval's strict ``Entities(..., scheme=...)`` reads them.

    ``prefix`` must be valid for ``scheme`` (see :func:`check_strict_vocab`).
    """
    tables = _TABLES[scheme]
    cur_p = prefix[ids]
    typ = type_ids[ids]
    prev_p = np.empty_like(cur_p)
    prev_p[0] = _P["O"]
    prev_p[1:] = cur_p[:-1]
    prev_t = np.empty_like(typ)
    prev_t[0] = outside_type
    prev_t[1:] = typ[:-1]
    same = prev_t == typ
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
    return EntityArrays(start=starts[ok], end=stops[ok], type=typ[starts[ok]])


def check_strict_vocab(
    vocab: list[str], prefix: np.ndarray, scheme: str, y_true: Sequence[Any], y_pred: Sequence[Any]
) -> None:
    """Raise :class:`HomogDataError` for the first tag whose prefix is not part of ``scheme``."""
    allowed = {_P[c] for c in _SCHEME_RULES[scheme]["allowed"]}
    for tag, p in zip(vocab, prefix.tolist(), strict=True):
        if p not in allowed:
            for name, y in (("y_true", y_true), ("y_pred", y_pred)):
                for i, sentence in enumerate(y):
                    if tag in sentence:
                        where = f"{name}, sentence {i}, position {list(sentence).index(tag)}"
                        break
                else:
                    continue
                break
            else:  # pragma: no cover - vocab entries come from the data
                where = "the input"
            prefixes = ", ".join(_SCHEME_RULES[scheme]["allowed"])
            raise HomogDataError(
                f"tag {tag!r} ({where}) is outside scheme {scheme} (prefixes {prefixes}) in mode='strict'; "
                "pass the scheme the data is tagged in, or mode='conlleval' to read tags leniently."
            )


def corpus_entities(
    enc: Encoded, *, scheme: str, mode: str, y_true: Sequence[Any] = (), y_pred: Sequence[Any] = ()
) -> tuple[EntityArrays, EntityArrays, list[str]]:
    """Gold and predicted entities of an encoded corpus, and the entity types their ``type`` ids index."""
    prefix, type_ids, types = parse_vocab(enc.vocab, mode)
    if mode == "conlleval":
        return (
            conlleval_entities(enc.true, prefix, type_ids),
            conlleval_entities(enc.pred, prefix, type_ids),
            types,
        )
    check_strict_vocab(enc.vocab, prefix, scheme, y_true, y_pred)
    outside = types.index("_")  # the type of "O"
    return (
        strict_entities(enc.true, prefix, type_ids, scheme, outside),
        strict_entities(enc.pred, prefix, type_ids, scheme, outside),
        types,
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
        ``"conlleval"`` equals seqeval's default ``get_entities`` (conlleval.pl-compatible for B/I/E/O tags;
        seqeval extends it for ``S-``, and so does this mode). ``"strict"`` equals seqeval's
        ``Entities(..., scheme=...)``.

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
    check_scheme(scheme)
    check_mode(mode)
    if isinstance(tags, str) or not _is_sequence(tags):
        raise HomogDataError(f"tags must be a sequence of tag strings for one sentence; got {_short(tags)}.")
    sentence = [str(t) if isinstance(t, np.str_) else t for t in tags]
    if not sentence:
        return []
    _check_tag_values(_unique(sentence, "tags", [sentence], nested=True), "tags", [sentence])
    enc = encode([sentence], [sentence])
    gold, _, types = corpus_entities(enc, scheme=scheme, mode=mode, y_true=[sentence], y_pred=[sentence])
    triples = zip(gold.type.tolist(), gold.start.tolist(), gold.end.tolist(), strict=True)
    return [(types[t], s, e) for t, s, e in triples]


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
    check_scheme(scheme)
    check_mode(mode)
    true, _ = check_sequences(sequences, sequences)
    enc = encode(true, true)
    gold, _, types = corpus_entities(enc, scheme=scheme, mode=mode, y_true=true, y_pred=true)
    offsets = np.concatenate([[0], np.cumsum(enc.lengths + 1)[:-1]])
    sentence = enc.sentence[gold.end - 1]
    start = np.maximum(gold.start - offsets[sentence], 0)
    end = gold.end - offsets[sentence]
    out: list[list[tuple[str, int, int]]] = [[] for _ in true]
    for s, t, b, e in zip(sentence.tolist(), gold.type.tolist(), start.tolist(), end.tolist(), strict=True):
        out[s].append((types[t], b, e))
    return out
