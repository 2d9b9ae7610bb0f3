"""Subjects: what a check measures, resolved to references and predictions.

A subject is either

- a **model**: any object with a callable ``homog_predict(data)`` returning ``(y_true, y_pred, texts)`` (the
  references read from ``data``, the model's predictions of them, and the input texts or ``None``). Model
  wrappers implement it; ``data`` is passed through untouched (a path, a ``datasets.Dataset``, anything the
  model understands). An optional ``homog_name`` attribute names the model in reports.
  A model that also has ``homog_probabilities(data)``, returning ``(y_true, probabilities, labels)`` as
  :func:`~pytest_homog.metrics.capa.capa` takes them, can be compared by CAPA (:func:`model_probabilities`);
  the models of the fixtures have it.
- **predictions**: nested tag sequences (one per sentence), flat labels (one per example) or a numpy array of
  them; ``data`` then holds the references in the same shape. ``data`` may also be an object with a callable
  ``homog_references()`` that returns them, or a dataset from ``homog_dataset`` (its ``tags`` or ``label``
  column, as label names).

- **seeds**: several runs of one model, one per training seed (:func:`~pytest_homog.seed_runs.seeds`), each a
  model or predictions as above. Every run must read the same references from ``data``; the runs' predictions
  bind to one corpus as :class:`~pytest_homog.corpus.SeedPredictions`.

``data`` may carry a ``homog_name`` attribute (a string) that names it in reports.

A subject's name is its role, never its path: a name the caller gives (the key of the mapping passed to
``assert_not_homogeneous``, an assertion's ``name=``) wins over the model's own ``homog_name``, so two models
saved in folders of one name, or one model under two names, stay two subjects.

Every check starts with :func:`resolve_subject` (one subject) or :func:`resolve_subjects` (several on the same
data), so a new kind of model only needs ``homog_predict``. Resolving builds the
:class:`~pytest_homog.corpus.Corpus` of the references once and binds each subject's predictions to it once.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_homog.corpus import Corpus, Predictions
from pytest_homog.errors import HomogDataError, HomogModelError, HomogUsageError
from pytest_homog.metrics.inputs import check_not_a_path_or_model
from pytest_homog.seed_runs import Seeds

__all__ = [
    "Resolved",
    "model_probabilities",
    "resolve_pair",
    "resolve_subject",
    "resolve_subjects",
    "subject_features",
]


@dataclass(frozen=True)
class Resolved:
    """A subject resolved to predictions bound to the corpus of its references.

    Attributes
    ----------
    predictions : Predictions
        The subject's validated predictions, bound to the corpus of the references.
    texts : list or None
        The inputs, when the subject is a model that returned them.
    name : str
        The subject's name in reports.
    data_name : str or None
        The data's name in reports, when it has one.
    """

    predictions: Predictions
    texts: list[Any] | None
    name: str
    data_name: str | None

    @property
    def corpus(self) -> Corpus:
        """The references, validated and encoded."""
        return self.predictions.corpus

    @property
    def y_true(self) -> list[Any]:
        """The validated references: lists of tags (nested) or labels (flat)."""
        return self.corpus.references

    @property
    def y_pred(self) -> list[Any]:
        """The validated predictions, in the shape of :attr:`y_true`."""
        return self.predictions.values

    @property
    def nested(self) -> bool:
        """Whether the subject holds tag sequences (rather than one label per example)."""
        return self.corpus.nested


@dataclass(frozen=True)
class _Reading:
    """What a subject gives before validation: references, predictions, texts and names."""

    y_true: Any
    y_pred: Any
    texts: list[Any] | None
    name: str
    data_name: str | None


def _data_name(data: object) -> str | None:
    value = getattr(data, "homog_name", None)
    return value if isinstance(value, str) and value else None


def _read(subject: Any, data: Any, name: str | None) -> _Reading:
    if subject is None:
        raise HomogUsageError("subject is None; pass a model or predictions.")
    if data is None:
        raise HomogUsageError("data is None; pass the references (for predictions) or the data a model predicts on.")
    data_name = _data_name(data)
    if isinstance(subject, Seeds) and subject.are_models:
        return _read_seed_models(subject, data, name or subject.name(), data_name)
    predict = getattr(subject, "homog_predict", None)
    if callable(predict):
        label = name or getattr(subject, "homog_name", None) or type(subject).__name__
        result = predict(data)
        if not isinstance(result, tuple) or len(result) != 3:
            raise HomogModelError(
                f"{label}.homog_predict(data) must return (y_true, y_pred, texts); got "
                f"{type(result).__name__}{f' of length {len(result)}' if isinstance(result, tuple) else ''}. "
                "Return a 3-tuple: the references read from data, the predictions, and the input texts (or None)."
            )
        y_true, y_pred, texts = result
        return _Reading(y_true, y_pred, list(texts) if texts is not None else None, str(label), data_name)
    check_not_a_path_or_model(subject, "y_pred")  # before the data, whose error would hide the subject's
    label = name or (subject.name() if isinstance(subject, Seeds) else "predictions")
    if callable(getattr(data, "homog_references", None)):
        return _Reading(data.homog_references(), subject, None, label, data_name)
    if _is_dataset(data):
        references, texts = _dataset_references(data)
        return _Reading(references, subject, texts, label, data_name)
    return _Reading(data, subject, None, label, data_name)


def _read_seed_models(subject: Seeds, data: Any, name: str, data_name: str | None) -> _Reading:
    """Each run's predictions of ``data`` as one :class:`~pytest_homog.seed_runs.Seeds` of predictions; every run
    must have read the same references from it."""
    readings = [_read(run, data, None) for run in subject.runs]
    first = readings[0]
    for position, reading in enumerate(readings[1:], start=1):
        if not _equal_references(first.y_true, reading.y_true):
            sizes = (len(reading.y_true), len(first.y_true))
            how = f"{sizes[0]} references against {sizes[1]}" if sizes[0] != sizes[1] else "other labels"
            raise HomogDataError(
                f"run {position} of the seeds subject {name!r} ({reading.name}) read other examples from the data "
                f"than run 0 ({first.name}): {how}. Every run must predict the same examples: load the runs for "
                "one task and label set, and pass the same data."
            )
    runs = Seeds(tuple(reading.y_pred for reading in readings), name)
    return _Reading(first.y_true, runs, first.texts, name, data_name)


def _is_dataset(data: object) -> bool:
    """Whether ``data`` is a ``datasets.Dataset``, without importing ``datasets`` when nothing has."""
    datasets = sys.modules.get("datasets")
    return datasets is not None and isinstance(data, datasets.Dataset)


def _dataset_references(dataset: Any) -> tuple[list[Any], list[Any]]:
    """The references of a dataset from ``homog_dataset`` as label names (tags per sentence, or one label per
    example), and its texts (the sentences' words, or the texts)."""
    from pytest_homog.data import dataset_kind, label_names

    kind, names = dataset_kind(dataset), label_names(dataset)
    columns = dataset.to_dict()
    if kind == "token-classification":
        return [[names[tag] for tag in row] for row in columns["tags"]], columns["tokens"]
    return [names[value] for value in columns["label"]], columns["text"]


def resolve_subject(
    subject: Any, data: Any, *, name: str | None = None, scheme: str = "IOB2", mode: str = "conlleval"
) -> Resolved:
    """Resolve a subject (a model or predictions) and its data to predictions bound to the references.

    Parameters
    ----------
    subject
        A model (an object with a callable ``homog_predict``) or predictions (see the module docstring).
    data
        What the model predicts on, or the references of the predictions.
    name : str, optional
        The subject's name in reports; it wins over the model's ``homog_name``. Default: the model's
        ``homog_name``, else its class name, or ``"predictions"`` for predictions.
    scheme, mode : str
        How entities are read from the tags (see :mod:`pytest_homog.metrics.tags`).

    Returns
    -------
    Resolved

    Raises
    ------
    HomogUsageError
        ``subject`` or ``data`` is ``None``.
    HomogModelError
        A model's ``homog_predict`` did not return ``(y_true, y_pred, texts)``.
    HomogDataError
        References and predictions do not fit together (see
        :func:`~pytest_homog.metrics.inputs.check_sequences`).

    Examples
    --------
    >>> resolved = resolve_subject([["B-PER", "O"]], [["B-PER", "O"]], name="rules")
    >>> resolved.name, resolved.y_pred, resolved.texts
    ('rules', [['B-PER', 'O']], None)

    A model only needs ``homog_predict``:

    >>> class Echo:
    ...     homog_name = "echo"
    ...     def homog_predict(self, data):
    ...         return data, data, None
    >>> resolve_subject(Echo(), ["pos", "neg"]).name
    'echo'
    """
    reading = _read(subject, data, name)
    corpus = Corpus(reading.y_true, scheme=scheme, mode=mode)
    return Resolved(corpus.bind(reading.y_pred, name=reading.name), reading.texts, reading.name, reading.data_name)


def _element(x: Any) -> Any:
    """A sentence (tag sequence) as a list, a flat label (string or integer) as it is."""
    return list(x) if isinstance(x, (list, tuple, np.ndarray)) else x


def _equal_references(first: Any, other: Any) -> bool:
    if first is other:
        return True
    return len(first) == len(other) and all(_element(x) == _element(y) for x, y in zip(first, other, strict=True))


def _same_references(first: Any, other: Any, name: str) -> None:
    if not _equal_references(first, other):
        raise HomogDataError(
            f"subject {name!r} was resolved against different references than the first subject; compare "
            "subjects on the same data."
        )


def resolve_subjects(
    subjects: Sequence[tuple[Any, str | None, str]], data: Any, *, scheme: str = "IOB2", mode: str = "conlleval"
) -> list[Resolved]:
    """Resolve several subjects on the same data: one corpus, built from the first subject's references, and
    every subject's predictions bound to it once.

    ``subjects`` holds ``(subject, name, role)``: ``name`` as in :func:`resolve_subject`, ``role`` names the
    subject in data errors when it has no name. Every subject must give the same references.

    Examples
    --------
    >>> gold = [["B-PER", "O"], ["O", "B-LOC"]]
    >>> a, b = resolve_subjects([(gold, "a", "a"), ([["O", "O"], ["O", "O"]], "b", "b")], gold)
    >>> a.corpus is b.corpus, b.name
    (True, 'b')
    """
    readings = [(_read(subject, data, name), name or role) for subject, name, role in subjects]
    first = readings[0][0]
    try:
        corpus = Corpus(first.y_true, scheme=scheme, mode=mode)
    except HomogDataError as exc:
        raise HomogDataError(f"subject {readings[0][1]!r} does not fit the data: {exc}") from exc
    resolved = []
    for reading, label in readings:
        _same_references(first.y_true, reading.y_true, reading.name)
        try:
            predictions = corpus.bind(reading.y_pred, name=reading.name)
        except HomogDataError as exc:
            raise HomogDataError(f"subject {label!r} does not fit the data: {exc}") from exc
        resolved.append(Resolved(predictions, reading.texts, reading.name, reading.data_name))
    return resolved


def resolve_pair(
    a: Any, b: Any, data: Any, *, scheme: str = "IOB2", mode: str = "conlleval"
) -> tuple[Resolved, Resolved]:
    """Resolve two subjects on the same data (see :func:`resolve_subjects`); two subjects of one name (two
    models of a kind, two prediction lists) become ``"name (a)"`` and ``"name (b)"``, so every message tells
    them apart."""
    first, second = resolve_subjects([(a, None, "a"), (b, None, "b")], data, scheme=scheme, mode=mode)
    if first.name == second.name:
        first = dataclasses.replace(first, name=f"{first.name} (a)")
        second = dataclasses.replace(second, name=f"{second.name} (b)")
    return first, second


def subject_features(subject: Any, data: Any, name: str) -> Any:
    """The subject's word-pooled hidden states on ``data`` (``subject.homog_features(data)``), for CKA."""
    if isinstance(subject, Seeds):
        raise HomogUsageError(
            f"by='cka' compares the hidden states of single models, but subject {name!r} is a seeds subject "
            f"({len(subject.runs)} runs). Pass one run (runs[0]), or compare the seeds with by='f1'."
        )
    get = getattr(subject, "homog_features", None)
    if not callable(get):
        raise HomogUsageError(
            f"by='cka' compares hidden states, but subject {name!r} ({type(subject).__name__}) has no "
            "homog_features(data) method. Load the model with the homog_model or homog_finetune fixture, or "
            "compare predictions with by='disagreement' or by='error_consistency'."
        )
    return get(data)


def _columns(rows: Any, index: np.ndarray, k: int) -> np.ndarray:
    """Probability rows over a model's labels, as rows over ``k`` labels: its columns at ``index``, 0 elsewhere."""
    rows = np.asarray(rows, dtype=np.float64)
    out = np.zeros((len(rows), k))
    if len(rows):
        out[:, index] = rows
    return out


def model_probabilities(
    data: Any, subjects: Mapping[str, Any], labels: Sequence[Any] | None
) -> tuple[list[Any], dict[str, Any], list[Any]] | None:
    """For CAPA: the references models read from ``data``, each model's probabilities, and their label order.

    ``subjects`` maps names to models with ``homog_probabilities(data)``; ``None`` when none of them has it (the
    subjects are then probabilities given by hand, over ``labels``). Models with different label sets are
    compared over one order: ``labels`` when given, else every model's labels as they first appear; a model's
    probability of a label it does not know is 0.

    Examples
    --------
    >>> class Coin:
    ...     def __init__(self, labels):
    ...         self.labels = labels
    ...     def homog_probabilities(self, data):
    ...         return data, [[1 / len(self.labels)] * len(self.labels)] * len(data), self.labels
    >>> y_true, probabilities, order = model_probabilities(["a"], {"x": Coin(["a", "b"]), "y": Coin(["b", "c"])}, None)
    >>> order, probabilities["y"].tolist()
    (['a', 'b', 'c'], [[0.0, 0.5, 0.5]])
    """
    models = {
        str(name): subject
        for name, subject in subjects.items()
        if callable(getattr(subject, "homog_probabilities", None))
    }
    if not models:
        return None
    if len(models) != len(subjects):
        others = [str(name) for name in subjects if str(name) not in models]
        raise HomogUsageError(
            f"by='capa' compares the probabilities of models, but {others} give none (no homog_probabilities(data) "
            "method). Load them with the homog_model or homog_finetune fixture, or pass every subject's "
            "probabilities by hand with labels=."
        )
    readings = {name: model.homog_probabilities(data) for name, model in models.items()}
    first = next(iter(readings.values()))[0]
    order = list(labels) if labels is not None else list(dict.fromkeys(x for r in readings.values() for x in r[2]))
    aligned = {}
    for name, (y_true, probabilities, own) in readings.items():
        _same_references(first, y_true, name)
        unknown = [label for label in own if label not in order]
        if unknown:
            raise HomogDataError(
                f"model {name!r} gives probabilities of {unknown}, which are not among labels={order!r}."
            )
        index = np.array([order.index(label) for label in own], dtype=np.int64)
        nested = len(y_true) > 0 and isinstance(y_true[0], (list, tuple))
        aligned[name] = (
            [_columns(rows, index, len(order)) for rows in probabilities]
            if nested
            else _columns(probabilities, index, len(order))
        )
    return list(first), aligned, order
