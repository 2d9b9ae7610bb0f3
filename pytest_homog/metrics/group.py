"""A group of subjects compared on the same references: checking the group, binding it to one corpus, and the
warnings about label sets that every group measure shares (:mod:`pytest_homog.metrics.homogenization`,
:mod:`pytest_homog.metrics.similarity`).

Subjects whose predictions use labels that never occur in the references (e.g. ``PER`` against ``person``) get
a :class:`~pytest_homog.errors.HomogWarning` naming them, because every such prediction counts as wrong. It is
a warning, not an error, because a small reference set may simply lack a class a model knows.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from pytest_homog.corpus import Corpus, Predictions
from pytest_homog.errors import HomogUsageError, HomogWarning
from pytest_homog.metrics.agreement import bind_subject, read_entities
from pytest_homog.metrics.bootstrap import check_confidence, check_n_resamples, check_seed

__all__ = ["bind_group", "check_group", "check_interval_options", "check_label_sets"]


def _check_label_set(corpus: Corpus, predictions: Predictions) -> None:
    gold_labels = corpus.gold_labels
    unknown = predictions.labels - gold_labels
    if not unknown or not corpus.gold_labels:
        return
    what = "entity types" if corpus.nested else "labels"
    known = sorted(map(str, corpus.gold_labels))
    if not predictions.labels & corpus.gold_labels:
        message = (
            f"subject {predictions.name!r} predicts {what} {sorted(map(str, predictions.labels))}, none of which "
            f"occur in the references ({known}), so all its predictions count as wrong. If these are the same "
            "classes under other names, map its labels onto the references' before comparing."
        )
    else:
        message = (
            f"subject {predictions.name!r} predicts {what} that never occur in the references: "
            f"{sorted(map(str, unknown))} (the references have {known}); every such prediction counts as "
            "wrong. Map the subject's labels onto the references' if they are the same classes under "
            "another name."
        )
    warnings.warn(message, HomogWarning, stacklevel=4)


def check_group(group: Any, what: str, holds: str, example: str, more: str = "") -> None:
    """Raise a :class:`~pytest_homog.errors.HomogUsageError` unless ``group`` is a mapping of two or more
    subjects, each name mapped to what it ``holds`` (shown with ``example``); ``what`` names the caller."""
    if not isinstance(group, Mapping):
        raise HomogUsageError(
            f"{what} needs a mapping of subject name -> {holds}; got {type(group).__name__}. Pass e.g. {example}."
        )
    if len(group) < 2:
        raise HomogUsageError(f"{what} compares two or more subjects; got {len(group)} ({list(group)}).{more}")


def bind_group(y_true: Any, predictions: Mapping[str, Any], scheme: str, mode: str, what: str) -> list[Predictions]:
    """Check a group of predictions (``what`` names the caller), build their corpus and bind each to it."""
    check_group(
        predictions, what, "predictions", "{'model_a': preds_a, 'model_b': preds_b}",
        " Add the other models' predictions.",
    )  # fmt: skip
    corpus = Corpus(y_true, scheme=scheme, mode=mode)
    bound = []
    for name, y_pred in predictions.items():
        bound.append(bind_subject(corpus, y_pred, str(name)))
        check_label_sets(bound[-1:])
    return bound


def check_label_sets(group: list[Predictions]) -> None:
    """Warn about every subject that predicts labels the references never use, in order (reading each one's
    entities first, see :func:`~pytest_homog.metrics.agreement.read_entities`)."""
    for predictions in group:
        read_entities(predictions.corpus, [predictions])
        _check_label_set(predictions.corpus, predictions)


def check_interval_options(
    confidence: object, n_resamples: object, seed: object
) -> tuple[float | None, int, int | None]:
    """``confidence`` (None for no interval), ``n_resamples`` and ``seed`` of a group measure, checked."""
    return (
        None if confidence is None else check_confidence(confidence),
        check_n_resamples(n_resamples),
        check_seed(seed),
    )
