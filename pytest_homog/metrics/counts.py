"""Counts per unit: true positives, predictions and gold items per label, kept per sentence or example.

Every quality metric is computed from these three counts per label (:mod:`pytest_homog.metrics.quality`), and the
bootstrap (:mod:`pytest_homog.metrics.bootstrap`) resamples them by unit, so a corpus is counted once however many
replicates are drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_homog.corpus import Corpus, Predictions, SeedPredictions
from pytest_homog.errors import HomogUsageError

__all__ = ["OUTSIDE", "SeedCounts", "UnitCounts", "count_units", "unit_counts"]

#: the tag outside every entity, left out of token-level scores unless ``labels=`` names it
OUTSIDE = "O"


@dataclass(frozen=True)
class UnitCounts:
    """True positives, predictions and gold items per label, kept per unit (sentence or example).

    Each count is an event list: ``tp_unit[k]``/``tp_label[k]`` is one true positive in unit ``tp_unit[k]`` of
    label ``labels[tp_label[k]]``; likewise for predictions and gold items.

    Attributes
    ----------
    labels : tuple
        Label names (entity types at entity level), sorted, or as given by ``labels=``.
    n_units : int
        Number of units (sentences for nested input, examples for flat).
    level : str
        ``"entity"``, ``"token"`` or ``"label"``.
    explicit_labels : bool
        Whether ``labels`` were given by the caller (then labels absent from a resample still count in
        averages).
    """

    labels: tuple[Any, ...]
    n_units: int
    level: str
    tp_unit: np.ndarray
    tp_label: np.ndarray
    pred_unit: np.ndarray
    pred_label: np.ndarray
    gold_unit: np.ndarray
    gold_label: np.ndarray
    explicit_labels: bool = False

    def totals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(tp, pred, gold)`` per label over all units."""
        n = len(self.labels)
        return (
            np.bincount(self.tp_label, minlength=n),
            np.bincount(self.pred_label, minlength=n),
            np.bincount(self.gold_label, minlength=n),
        )

    def per_unit(self, *, by_label: bool) -> np.ndarray:
        """Counts per unit: ``(n_units, 3)`` (tp, pred, gold), or ``(n_units, 3 * n_labels)`` by label."""
        n = self.n_units
        if not by_label:
            cols = [np.bincount(unit, minlength=n) for unit in (self.tp_unit, self.pred_unit, self.gold_unit)]
            return np.stack(cols, axis=1).astype(np.float64)
        n_labels = len(self.labels)
        cols = [
            np.bincount(unit * n_labels + label, minlength=n * n_labels).reshape(n, n_labels)
            for unit, label in (
                (self.tp_unit, self.tp_label),
                (self.pred_unit, self.pred_label),
                (self.gold_unit, self.gold_label),
            )
        ]
        return np.concatenate(cols, axis=1).astype(np.float64)


@dataclass(frozen=True)
class SeedCounts(UnitCounts):
    """The counts of several runs of one model (one per seed) on one corpus.

    Each run keeps its own counts in :attr:`runs`, which the metrics and the multi-bootstrap use (a run's
    metric, then the mean over runs). The counts it holds as a :class:`UnitCounts` are the runs' counts pooled
    over the union of their labels (gold items counted once per run), so "nothing predicted" and "nothing to
    find" read as for one run.
    """

    runs: tuple[UnitCounts, ...] = ()

    @classmethod
    def of_runs(cls, runs: Sequence[UnitCounts]) -> SeedCounts:
        """Pool ``runs`` (counts of one corpus at one level)."""
        first = runs[0]
        labels = first.labels if first.explicit_labels else tuple(sorted({x for run in runs for x in run.labels}))
        position = {label: i for i, label in enumerate(labels)}
        events: list[list[np.ndarray]] = [[] for _ in range(6)]
        for run in runs:
            recode = np.array([position[label] for label in run.labels], dtype=np.int64)
            pairs = ((run.tp_unit, run.tp_label), (run.pred_unit, run.pred_label), (run.gold_unit, run.gold_label))
            for i, (unit, label) in enumerate(pairs):
                events[2 * i].append(unit)
                events[2 * i + 1].append(recode[label])
        tp_unit, tp_label, pred_unit, pred_label, gold_unit, gold_label = (np.concatenate(parts) for parts in events)
        return cls(
            labels,
            first.n_units,
            first.level,
            tp_unit,
            tp_label,
            pred_unit,
            pred_label,
            gold_unit,
            gold_label,
            first.explicit_labels,
            tuple(runs),
        )


def _select_labels(found: list[Any], labels: Sequence[Any] | None) -> tuple[tuple[Any, ...], np.ndarray | None, bool]:
    """The label list to report, and the map from found label index to it (-1 = dropped)."""
    if labels is None:
        return tuple(found), None, False
    if isinstance(labels, (str, bytes)) or len(labels) == 0:
        raise HomogUsageError(f"labels must be a non-empty sequence of labels, or None; got {labels!r}.")
    chosen = tuple(labels)
    if len(set(chosen)) != len(chosen):
        raise HomogUsageError(f"labels must not repeat a label; got {list(chosen)!r}.")
    return chosen, _label_map(found, chosen), True


def _label_map(found: list[Any], chosen: tuple[Any, ...]) -> np.ndarray:
    position = {label: i for i, label in enumerate(chosen)}
    return np.array([position.get(label, -1) for label in found], dtype=np.int64)


def _remap(unit: np.ndarray, label: np.ndarray, mapping: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    if mapping is None:
        return unit, label
    new = mapping[label]
    keep = new >= 0
    return unit[keep], new[keep]


def _sorted_labels(present: np.ndarray, name_of: Any, n_codes: int) -> tuple[list[Any], np.ndarray]:
    """The names of the ``present`` codes in sorted order, and the map from code to that order (-1 = absent)."""
    names = [name_of(code) for code in present.tolist()]
    order = sorted(range(len(names)), key=names.__getitem__)
    compact = np.full(n_codes, -1, dtype=np.int64)
    compact[present[order]] = np.arange(len(order))
    return [names[i] for i in order], compact


def _entity_counts(predictions: Predictions, labels: Sequence[Any] | None) -> UnitCounts:
    corpus = predictions.corpus
    corpus.check_tags(predictions)
    gold, guess = corpus.gold_entities, predictions.entities
    size = corpus.gold_codes.size + corpus.n_units + 1
    start_at = np.full(size, -1, dtype=np.int64)
    type_at = np.full(size, -1, dtype=np.int64)
    start_at[guess.end] = guess.start
    type_at[guess.end] = guess.type
    matched = (start_at[gold.end] == gold.start) & (type_at[gold.end] == gold.type)
    present = np.union1d(gold.type, guess.type)
    found, compact = _sorted_labels(present, corpus.entity_type_name, len(corpus.entity_types))
    chosen, mapping, explicit = _select_labels(found, labels)
    tp_unit, tp_label = _remap(gold.sentence[matched], compact[gold.type[matched]], mapping)
    pred_unit, pred_label = _remap(guess.sentence, compact[guess.type], mapping)
    gold_unit, gold_label = _remap(gold.sentence, compact[gold.type], mapping)
    return UnitCounts(
        chosen, corpus.n_units, "entity", tp_unit, tp_label, pred_unit, pred_label, gold_unit, gold_label, explicit
    )


def _label_counts(predictions: Predictions, level: str, labels: Sequence[Any] | None) -> UnitCounts:
    corpus = predictions.corpus
    true, pred, unit = corpus.gold_codes, predictions.codes, corpus.token_unit
    found, compact = _sorted_labels(np.union1d(true, pred), corpus.values.__getitem__, len(corpus.values))
    true, pred = compact[true], compact[pred]
    mapping: np.ndarray | None
    if level == "token" and labels is None and OUTSIDE in found:
        # NER papers score tags without "O"; with it, an all-"O" tagger is mostly right on the majority tag
        chosen = tuple(label for label in found if label != OUTSIDE)
        mapping, explicit = _label_map(found, chosen), False
    else:
        chosen, mapping, explicit = _select_labels(found, labels)
    hit = true == pred
    tp_unit, tp_label = _remap(unit[hit], true[hit], mapping)
    pred_unit, pred_label = _remap(unit, pred, mapping)
    gold_unit, gold_label = _remap(unit, true, mapping)
    return UnitCounts(
        chosen, corpus.n_units, level, tp_unit, tp_label, pred_unit, pred_label, gold_unit, gold_label, explicit
    )


def count_units(predictions: Predictions, *, level: str, labels: Sequence[Any] | None = None) -> UnitCounts:
    """Count true positives, predictions and gold items per unit and label of predictions bound to a corpus.

    ``level`` must be resolved already (:meth:`~pytest_homog.corpus.Corpus.resolve_level`).

    Examples
    --------
    >>> corpus = Corpus([["B-PER", "O"], ["B-LOC"]])
    >>> counts = count_units(corpus.bind([["B-PER", "O"], ["O"]]), level="entity")
    >>> counts.labels, [c.tolist() for c in counts.totals()]
    (('LOC', 'PER'), [[0, 1], [0, 1], [1, 1]])
    """
    if isinstance(predictions, SeedPredictions):
        return SeedCounts.of_runs([count_units(run, level=level, labels=labels) for run in predictions.runs])
    if level == "entity":
        return _entity_counts(predictions, labels)
    return _label_counts(predictions, level, labels)


def unit_counts(
    y_true: Any,
    y_pred: Any,
    *,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    labels: Sequence[Any] | None = None,
) -> UnitCounts:
    """Validate the input and count true positives, predictions and gold items per unit and label.

    Parameters
    ----------
    y_true, y_pred
        Nested tag sequences (one per sentence) or flat labels (one per example).
    level, scheme, mode, labels
        As in :func:`~pytest_homog.metrics.quality.precision_score`.

    Examples
    --------
    >>> counts = unit_counts([["B-PER", "O"], ["B-LOC"]], [["B-PER", "O"], ["O"]])
    >>> counts.labels, [c.tolist() for c in counts.totals()]
    (('LOC', 'PER'), [[0, 1], [0, 1], [1, 1]])
    """
    corpus = Corpus(y_true, scheme=scheme, mode=mode)
    predictions = corpus.bind(y_pred)
    return count_units(predictions, level=corpus.resolve_level(level), labels=labels)
