"""Input validation: tag sequences (one per sentence) and flat labels (one per example).

References are checked on their own (:func:`check_references`) and each prediction against them
(:func:`check_predictions`), so a corpus validates its references once however many predictions it scores (see
:class:`pytest_homog.corpus.Corpus`). :func:`check_sequences` and :func:`check_labels` check a pair.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from itertools import chain
from typing import Any

import numpy as np

from pytest_homog.errors import HomogDataError

__all__ = [
    "check_labels",
    "check_not_a_path_or_model",
    "check_predictions",
    "check_references",
    "check_sequences",
    "check_tag_sequences",
    "check_tag_values",
    "is_nested",
    "is_sequence",
    "shorten",
]

_SEQUENCE_TYPES = (list, tuple, np.ndarray)


def is_sequence(x: object) -> bool:
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
        return y.ndim > 1 or (y.ndim == 1 and y.dtype == object and len(y) > 0 and is_sequence(y[0]))
    if not is_sequence(y) or len(y) == 0:  # type: ignore[arg-type]
        return False
    return is_sequence(y[0])  # type: ignore[index]


def _pandas_kind(y: object) -> str | None:
    """``"DataFrame"`` or ``"Series"`` for pandas objects (found by type, so pandas is never imported here)."""
    kind = type(y).__name__
    if type(y).__module__.split(".")[0] == "pandas" and kind in ("DataFrame", "Series"):
        return kind
    return None


def _check_container(y: Any, name: str) -> Any:
    """``y`` as an ordered sequence to validate (a pandas Series becomes the list of its values); raises for
    anything that is not one, saying what to pass instead."""
    kind = _pandas_kind(y)
    if kind == "Series":
        # the values in order, as scikit-learn reads a Series; a Series of tag lists is nested input
        y = y.tolist()
    elif kind == "DataFrame":
        columns = [str(column) for column in y.columns]
        example = columns[-1] if columns else "tags"
        raise HomogDataError(
            f"{name} is a pandas DataFrame (columns {columns}); pass the one column that holds the tag lists "
            f"or labels, as a list, e.g. df[{example!r}].tolist() (iterating over a DataFrame gives its column "
            "names, not its rows)."
        )
    if isinstance(y, (Mapping, AbstractSet)):
        raise HomogDataError(
            f"{name} must be an ordered sequence (one element per sentence or example); got "
            f"{type(y).__name__}: {shorten(y)}. A mapping or a set has no order that pairs its elements with "
            "the other argument's; pass a list."
        )
    if isinstance(y, (str, bytes, os.PathLike)) or not (is_sequence(y) or hasattr(y, "__len__")):
        raise _not_a_sequence(y, name)
    if len(y) == 0:
        raise HomogDataError(f"{name} is empty; pass at least one sentence or example.")
    return y


def check_not_a_path_or_model(y: object, name: str) -> None:
    """Raise :class:`HomogDataError` when ``y``, where tags or labels are expected, is a path or a transformers
    object (a pipeline, a model), saying which fixture loads it.

    Examples
    --------
    >>> check_not_a_path_or_model("models/ner", "y_pred")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pytest_homog.errors.HomogDataError: y_pred must be ...; got str 'models/ner'. If it is the path of a model, ...
    """
    if isinstance(y, (str, os.PathLike)) or type(y).__module__.split(".")[0] == "transformers":
        raise _not_a_sequence(y, name)


def _not_a_sequence(y: object, name: str) -> HomogDataError:
    """The error for ``y`` that holds no tags or labels, saying what to do with a path or a model instead.

    In the checks ``y_true`` is the data and ``y_pred`` the subject, so each gets the fixture it needs."""
    kind = type(y).__name__
    if isinstance(y, (str, os.PathLike)):
        path = os.fspath(y)
        if name == "y_true":
            fix = f"a data file, load it with the fixture homog_dataset({path!r}) and check a model on it"
        else:
            fix = f"a model, load it with the fixture homog_model({path!r}) and pass that as the subject"
        return HomogDataError(
            f"{name} must be a sequence of tag sequences or of labels; got {kind} {path!r}. If it is the path "
            f"of {fix}."
        )
    if type(y).__module__.split(".")[0] == "transformers":
        return HomogDataError(
            f"{name} must be a sequence of tag sequences or of labels; got a transformers {kind}, which gives "
            "no predictions by itself: load it with the homog_model fixture (homog_model(pipe) for a pipeline, "
            "homog_model(model, tokenizer=...) for a model) and pass that as the subject; it predicts on the data."
        )
    return HomogDataError(f"{name} must be a sequence of tag sequences or of labels; got {kind}: {shorten(y)}.")


def shorten(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bad_label_message(name: str, value: object, where: str) -> str:
    if isinstance(value, float) and math.isnan(value):
        what = "NaN"
    else:
        what = f"{shorten(value)} ({type(value).__name__})"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        fix = (
            "labels must be strings; if these are label ids, map them to tag names first (e.g. with the "
            "model's config.id2label)."
        )
    elif value == "":
        fix = "labels must be non-empty strings; tag untagged tokens 'O'."
    else:
        fix = "labels must be strings."
    return f"{name} contains a label that is not a non-empty string: {what} at {where}; {fix}"


def _same_value(a: object, value: object) -> bool:
    if a is value:
        return True
    if isinstance(a, float) and isinstance(value, float) and math.isnan(a) and math.isnan(value):
        return True
    try:
        return type(a) is type(value) and bool(a == value)
    except Exception:  # pragma: no cover - exotic objects
        return False


def _locate(y: Sequence[Any], value: object, nested: bool) -> str:
    """Where ``value`` first occurs in ``y`` (for error messages)."""

    def same(a: object) -> bool:
        return _same_value(a, value)

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
                        f"{name} contains {shorten(tag)} ({type(tag).__name__}) at {where}; "
                        "expected a string tag there (is the input nested one level too deep?)."
                    ) from None
        raise  # pragma: no cover


def _check_tag_values(uniq: set[Any], name: str, y: Sequence[Any]) -> None:
    bad = [value for value in uniq if not isinstance(value, str) or value == ""]
    if bad:
        # name the first offending tag in corpus order, not in set order
        first = next(tag for sentence in y for tag in sentence if any(_same_value(tag, value) for value in bad))
        raise HomogDataError(_bad_label_message(name, first, _locate(y, first, nested=True)))


def _as_nested_list(y: Any, name: str) -> list[list[str]]:
    out: list[list[str]] = []
    for i, sentence in enumerate(y):
        if isinstance(sentence, list):
            out.append(sentence)
        elif isinstance(sentence, (tuple, np.ndarray)):
            out.append([str(t) if isinstance(t, np.str_) else t for t in sentence])
        else:
            raise HomogDataError(
                f"{name} mixes nested and flat input: element {i} is {shorten(sentence)} "
                f"({type(sentence).__name__}) but element 0 is a sequence of tags. Pass one list of tags per "
                "sentence, or flat labels only."
            )
    return out


def _scalar(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def check_tag_values(y: Sequence[Sequence[Any]], name: str) -> None:
    """Raise :class:`HomogDataError` for the first tag of ``y`` (nested) that is not a non-empty string."""
    _check_tag_values(_unique(chain.from_iterable(y), name, y, nested=True), name, y)


def _mixed_nesting(true_nested: bool, pred_nested: bool) -> HomogDataError:
    def shape(nested: bool) -> str:
        return "nested (one tag list per sentence)" if nested else "flat"

    return HomogDataError(
        f"y_true and y_pred mix nested and flat input: y_true is {shape(true_nested)} but y_pred is "
        f"{shape(pred_nested)}. Pass both as lists of tag lists."
    )


def _check_tag_references(y_true: Any, name: str = "y_true") -> list[list[str]]:
    true = _as_nested_list(y_true, name)
    if sum(map(len, true)) == 0:
        raise HomogDataError(f"y_true and y_pred hold {len(true)} sentences but no tags; the input is empty.")
    check_tag_values(true, name)
    return true


def _check_tag_predictions(y_pred: Any, true: list[list[str]]) -> list[list[str]]:
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
    check_tag_values(pred, "y_pred")
    return pred


def _label_kinds(y: list[Any], name: str) -> set[str]:
    """``{"str"}``, ``{"int"}`` or both; raises for a label that is neither a non-empty string nor an integer."""
    kinds: set[str] = set()
    for i, v in enumerate(y):
        if isinstance(v, str) and v != "":
            kinds.add("str")
        elif isinstance(v, int):
            kinds.add("int")
        elif is_sequence(v):
            raise HomogDataError(
                f"{name} mixes nested and flat input: element {i} is a sequence "
                f"({shorten(v)}) but element 0 is a single label."
            )
        else:
            what = "NaN" if isinstance(v, float) and math.isnan(v) else f"{shorten(v)} ({type(v).__name__})"
            if isinstance(v, float) and math.isnan(v):
                fix = "drop the examples without a label, or fill them in."
            elif isinstance(v, float) and v.is_integer():
                fix = "cast class ids to integers (e.g. y.astype(int)), or map them to label names."
            else:
                fix = "labels must be strings or integers."
            raise HomogDataError(
                f"{name} contains a label that is not a string or an integer: {what} at index {i}; {fix}"
            )
    return kinds


def _mixed_kinds(named: list[tuple[str, list[Any]]]) -> HomogDataError:
    placed = [(name, i, v) for name, y in named for i, v in enumerate(y)]
    text = next(f"{v!r} at {name} index {i}" for name, i, v in placed if isinstance(v, str))
    number = next(f"{v!r} at {name} index {i}" for name, i, v in placed if not isinstance(v, str))
    return HomogDataError(
        f"labels mix strings and integers ({text}, {number}); use one kind for y_true and y_pred "
        "(map class ids to label names, or names to ids)."
    )


def _check_label_references(y_true: Any) -> list[Any]:
    true = [_scalar(v) for v in y_true]
    if len(_label_kinds(true, "y_true")) > 1:
        raise _mixed_kinds([("y_true", true)])
    return true


def _check_label_predictions(y_pred: Any, true: list[Any]) -> list[Any]:
    pred = [_scalar(v) for v in y_pred]
    if len(true) != len(pred):
        raise HomogDataError(
            f"y_true has {len(true)} examples but y_pred has {len(pred)}; pass one prediction per example."
        )
    kinds = _label_kinds(pred, "y_pred")
    kinds.add("str" if isinstance(true[0], str) else "int")
    if len(kinds) > 1:
        raise _mixed_kinds([("y_true", true), ("y_pred", pred)])
    return pred


def check_tag_sequences(y: Any, name: str = "y_true") -> list[list[str]]:
    """Validate one corpus of nested tag sequences on its own (no predictions to pair it with).

    Examples
    --------
    >>> check_tag_sequences([("B-PER", "O")])
    [['B-PER', 'O']]
    """
    y = _check_container(y, name)
    if not is_nested(y):
        raise HomogDataError(
            f"expected one sequence of tags per sentence (nested input); got flat labels such as "
            f"{shorten(y[0])}. Wrap each sentence's tags in a list."
        )
    return _check_tag_references(y, name)


def check_references(y_true: Any) -> tuple[list[Any], bool]:
    """Validate references on their own: nested tag sequences, or flat labels.

    Returns
    -------
    references : list
        Lists of tag strings (nested) or labels (flat; numpy scalars become Python ones).
    nested : bool
        Whether the references are tag sequences.

    Examples
    --------
    >>> check_references([("B-PER", "O")])
    ([['B-PER', 'O']], True)
    >>> check_references(["pos", "neg"])
    (['pos', 'neg'], False)
    """
    y_true = _check_container(y_true, "y_true")
    if is_nested(y_true):
        return _check_tag_references(y_true), True
    return _check_label_references(y_true), False


def check_predictions(y_pred: Any, references: list[Any], nested: bool) -> list[Any]:
    """Validate predictions against references already checked by :func:`check_references`.

    Examples
    --------
    >>> check_predictions([["B-PER", "B-LOC"]], [["B-PER", "O"]], True)
    [['B-PER', 'B-LOC']]
    """
    y_pred = _check_container(y_pred, "y_pred")
    if is_nested(y_pred) != nested:
        raise _mixed_nesting(nested, not nested)
    if nested:
        return _check_tag_predictions(y_pred, references)
    return _check_label_predictions(y_pred, references)


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
    y_true = _check_container(y_true, "y_true")
    y_pred = _check_container(y_pred, "y_pred")
    nested_true, nested_pred = is_nested(y_true), is_nested(y_pred)
    if nested_true != nested_pred:
        raise _mixed_nesting(nested_true, nested_pred)
    true = check_tag_sequences(y_true)
    return true, _check_tag_predictions(y_pred, true)


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
    y_true = _check_container(y_true, "y_true")
    y_pred = _check_container(y_pred, "y_pred")
    if is_nested(y_true) or is_nested(y_pred):
        raise HomogDataError(
            "expected flat labels (one per example); got nested input (y_true "
            f"{'nested' if is_nested(y_true) else 'flat'}, "
            f"y_pred {'nested' if is_nested(y_pred) else 'flat'}). "
            "Pass both nested (tag sequences) or both flat."
        )
    true = _check_label_references(y_true)
    return true, _check_label_predictions(y_pred, true)
