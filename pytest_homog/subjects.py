"""Subjects: what a check measures, resolved to references and predictions.

A subject is either

- a **model**: any object with a callable ``homog_predict(data)`` returning ``(y_true, y_pred, texts)`` (the
  references read from ``data``, the model's predictions of them, and the input texts or ``None``). Model
  wrappers implement it; ``data`` is passed through untouched (a path, a ``datasets.Dataset``, anything the
  model understands). An optional ``homog_name`` attribute names the model in reports.
- **predictions**: nested tag sequences (one per sentence), flat labels (one per example) or a numpy array of
  them; ``data`` then holds the references in the same shape. ``data`` may also be an object with a callable
  ``homog_references()`` that returns them.

``data`` may carry a ``homog_name`` attribute (a string) that names it in reports.

Every check starts with :func:`resolve_subject`, so a new kind of model only needs ``homog_predict``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_homog.errors import HomogModelError, HomogUsageError
from pytest_homog.metrics.tags import check_labels, check_sequences, is_nested

__all__ = ["Resolved", "resolve_subject"]


@dataclass(frozen=True)
class Resolved:
    """A subject resolved to validated references and predictions.

    Attributes
    ----------
    y_true, y_pred : list
        References and predictions: lists of tag lists (nested) or lists of labels (flat), validated.
    texts : list or None
        The inputs, when the subject is a model that returned them.
    name : str
        The subject's name in reports.
    data_name : str or None
        The data's name in reports, when it has one.
    """

    y_true: list[Any]
    y_pred: list[Any]
    texts: list[Any] | None
    name: str
    data_name: str | None

    @property
    def nested(self) -> bool:
        """Whether the subject holds tag sequences (rather than one label per example)."""
        return is_nested(self.y_true)


def _data_name(data: object) -> str | None:
    value = getattr(data, "homog_name", None)
    return value if isinstance(value, str) and value else None


def _validate(y_true: Any, y_pred: Any) -> tuple[list[Any], list[Any]]:
    if is_nested(y_true) or is_nested(y_pred):
        return check_sequences(y_true, y_pred)
    return check_labels(y_true, y_pred)


def resolve_subject(subject: Any, data: Any, *, name: str | None = None) -> Resolved:
    """Resolve a subject (a model or predictions) and its data to validated references and predictions.

    Parameters
    ----------
    subject
        A model (an object with a callable ``homog_predict``) or predictions (see the module docstring).
    data
        What the model predicts on, or the references of the predictions.
    name : str, optional
        The subject's name in reports when it has no ``homog_name``; default ``"predictions"`` for predictions
        and the model's class name for models.

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
        :func:`~pytest_homog.metrics.tags.check_sequences`).

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
    if subject is None:
        raise HomogUsageError("subject is None; pass a model or predictions.")
    if data is None:
        raise HomogUsageError(
            "data is None; pass the references (for predictions) or the data a model predicts on."
        )
    data_name = _data_name(data)
    predict = getattr(subject, "homog_predict", None)
    if callable(predict):
        label = getattr(subject, "homog_name", None) or name or type(subject).__name__
        result = predict(data)
        if not isinstance(result, tuple) or len(result) != 3:
            raise HomogModelError(
                f"{label}.homog_predict(data) must return (y_true, y_pred, texts); got "
                f"{type(result).__name__}{f' of length {len(result)}' if isinstance(result, tuple) else ''}."
            )
        y_true, y_pred, texts = result
        true, pred = _validate(y_true, y_pred)
        return Resolved(true, pred, list(texts) if texts is not None else None, str(label), data_name)
    references = data.homog_references() if callable(getattr(data, "homog_references", None)) else data
    true, pred = _validate(references, subject)
    return Resolved(true, pred, None, name or "predictions", data_name)
