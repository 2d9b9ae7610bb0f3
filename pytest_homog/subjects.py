"""What a check is run on: a model with its data, or predictions with their references.

A subject with a callable ``homog_predict(data)`` attribute is a model: its predictions of ``data`` are taken
and ``data`` gives the references. Anything else is predictions, and ``data`` is the references.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Resolved", "resolve_subject"]


@dataclass(frozen=True)
class Resolved:
    """A subject made ready for the metrics.

    Attributes
    ----------
    y_true, y_pred : sequence
        References and predictions (tag sequences or flat labels).
    texts : sequence or None
        The input of every sentence (its tokens) or example, when known.
    name : str
        How reports name the subject.
    data_name : str or None
        How reports name the data.
    """

    y_true: Any
    y_pred: Any
    texts: Any
    name: str
    data_name: str | None


def resolve_subject(subject: Any, data: Any, *, name: str | None = None) -> Resolved:
    """Resolve ``subject`` against ``data`` into references and predictions.

    Examples
    --------
    >>> r = resolve_subject([["B-PER", "O"]], [["B-PER", "I-PER"]], name="v1")
    >>> r.name, r.y_pred
    ('v1', [['B-PER', 'O']])
    """
    texts = getattr(data, "texts", None)
    y_true = getattr(data, "y_true", data)
    predict = getattr(subject, "homog_predict", None)
    if callable(predict):
        y_pred = predict(data)
        label = name or getattr(subject, "name", None) or type(subject).__name__
    else:
        y_pred = subject
        label = name or "predictions"
    return Resolved(y_true, y_pred, texts, str(label), getattr(data, "name", None))
