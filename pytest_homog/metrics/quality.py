"""Precision, recall and F1 at entity, token and label level, and the per-label report.

Definitions (DESIGN.md):

- ``level="entity"`` (default for nested input): exact ``(type, start, end)`` matches between gold and
  predicted entities, read from tag sequences in ``mode="conlleval"`` or ``mode="strict"`` (see
  :mod:`pytest_homog.metrics.tags`). Equals seqeval (``mode=None`` resp. ``mode="strict", scheme=...``).
- ``level="token"``: every tag of every sentence is one prediction, scored as scikit-learn's
  ``precision_recall_fscore_support`` scores the flattened tags with ``labels=`` every tag but ``"O"``, as NER
  papers do (an all-``"O"`` tagger scores 0, not the share of ``"O"`` tags). ``labels=`` naming ``"O"`` counts it
  like any other tag.
- ``level="label"`` (default for flat input): one label per example, as scikit-learn.

Every metric is computed from three counts per label: true positives, predictions and gold items (support),
kept per unit by :mod:`pytest_homog.metrics.counts` (which the bootstrap in :mod:`pytest_homog.metrics.bootstrap`
resamples). The public functions take plain lists, build a :class:`~pytest_homog.corpus.Corpus` once and bind the
predictions to it; :func:`precision_recall_fscore` is the one place they all call, as scikit-learn's scores all
call ``precision_recall_fscore_support``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from pytest_homog.errors import HomogUsageError, UndefinedMetricWarning
from pytest_homog.metrics.counts import SeedCounts, UnitCounts, unit_counts

__all__ = [
    "AVERAGES",
    "METRICS",
    "WARN_FOR",
    "LabelScore",
    "Report",
    "check_average",
    "check_metric",
    "check_zero_division",
    "classification_report",
    "f1_score",
    "precision_recall_fscore",
    "precision_score",
    "recall_score",
    "report_from_counts",
    "scores_from_totals",
]

AVERAGES = ("micro", "macro", "weighted", None)
METRICS = ("precision", "recall", "f1")


# ----------------------------------------------------------------------------------------------------------
# argument checks
# ----------------------------------------------------------------------------------------------------------


def check_average(average: object) -> str | None:
    """Return ``average`` if it is ``"micro"``, ``"macro"``, ``"weighted"`` or ``None``.

    Examples
    --------
    >>> check_average("macro")
    'macro'
    """
    if average is not None and (not isinstance(average, str) or average not in AVERAGES):
        raise HomogUsageError(f"average must be one of 'micro', 'macro', 'weighted' or None; got {average!r}.")
    return average


def check_zero_division(zero_division: object) -> str | float:
    """Return ``zero_division`` if it is ``"warn"``, 0, 1 or NaN (as in scikit-learn).

    Examples
    --------
    >>> check_zero_division(1)
    1.0
    """
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return "warn"
        if zero_division == "nan":
            return math.nan
    elif isinstance(zero_division, (int, float, np.integer, np.floating)) and not isinstance(zero_division, bool):
        value = float(zero_division)
        if value in (0.0, 1.0) or math.isnan(value):
            return value
    raise HomogUsageError(f'zero_division must be "warn", 0, 1 or nan (as in scikit-learn); got {zero_division!r}.')


def check_metric(metric: object) -> str:
    """Return ``metric`` if it is one of :data:`METRICS`."""
    if not isinstance(metric, str) or metric not in METRICS:
        raise HomogUsageError(f"metric must be one of 'precision', 'recall', 'f1'; got {metric!r}.")
    return metric


# ----------------------------------------------------------------------------------------------------------
# scores from counts
# ----------------------------------------------------------------------------------------------------------


def _divide(num: np.ndarray, den: np.ndarray, zero_value: float) -> tuple[np.ndarray, np.ndarray]:
    """``num / den`` with ``zero_value`` where ``den == 0``, and the mask of those places."""
    mask = den == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(num, dtype=np.float64) / np.where(mask, 1, den)
    out = np.where(mask, zero_value, out)
    return out, mask


def _nanaverage(values: np.ndarray, weights: np.ndarray | None) -> float:
    # scikit-learn's _nanaverage: NaN ignored, all-zero weights mean unweighted
    if values.shape[0] == 0:
        return math.nan
    keep = ~np.isnan(values)
    if not keep.any():
        return math.nan
    if weights is None or float(np.sum(weights[keep])) == 0.0:
        return float(np.mean(values[keep]))
    return float(np.average(values[keep], weights=weights[keep]))


def _warn(what: str, reason: str, level: str, average: str | None) -> None:
    # stacklevel 5 points at the caller of precision_score / recall_score / f1_score
    warnings.warn(
        f"{what} ill-defined and being set to 0.0 {reason} ({level} level, average={average!r}). "
        "Use the `zero_division` parameter to control this behavior.",
        UndefinedMetricWarning,
        stacklevel=5,
    )


def scores_from_totals(
    tp: np.ndarray,
    pred: np.ndarray,
    gold: np.ndarray,
    *,
    average: str | None,
    zero_division: str | float,
    warn_for: tuple[str, ...] = (),
    level: str = "entity",
) -> tuple[Any, Any, Any]:
    """Precision, recall and F1 from per-label counts, as scikit-learn computes them."""
    zero_value = 0.0 if zero_division == "warn" else float(zero_division)
    if average == "micro":
        tp, pred, gold = (np.array([x.sum()]) for x in (tp, pred, gold))
    if len(tp) == 0:  # no label at all: nothing predicted and nothing to find
        if zero_division == "warn" and warn_for:
            _warn("Precision, recall and F-score are", "as nothing was predicted or is gold", level, average)
        if average is None:
            empty = np.zeros(0, dtype=np.float64)
            return empty, empty, empty
        return zero_value, zero_value, zero_value
    precision, p_mask = _divide(tp, pred, zero_value)
    recall, r_mask = _divide(tp, gold, zero_value)
    f1, _ = _divide(2.0 * tp, (pred + gold).astype(np.float64), zero_value)
    if zero_division == "warn":
        where = "due to" if average == "micro" else "in labels with"
        if "precision" in warn_for and p_mask.any():
            _warn("Precision is", f"{where} no predicted items", level, average)
        if "recall" in warn_for and r_mask.any():
            _warn("Recall is", f"{where} no gold items", level, average)
    if average is None:
        return precision, recall, f1
    weights = gold.astype(np.float64) if average == "weighted" else None
    return _nanaverage(precision, weights), _nanaverage(recall, weights), _nanaverage(f1, weights)


#: which undefined ratios each metric warns about
WARN_FOR = {"precision": ("precision",), "recall": ("recall",), "f1": ("precision", "recall")}


def precision_recall_fscore(
    y_true: Any,
    y_pred: Any,
    *,
    level: str | None = None,
    average: str | None = "micro",
    scheme: str = "IOB2",
    mode: str = "conlleval",
    zero_division: str | float = "warn",
    labels: Sequence[Any] | None = None,
    warn_for: tuple[str, ...] = ("precision", "recall"),
) -> tuple[Any, Any, Any]:
    """Precision, recall and F1 together (one pass over the data); arguments as :func:`f1_score`.

    Examples
    --------
    >>> precision_recall_fscore([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]])
    (0.0, 0.0, 0.0)
    """
    check_average(average)
    checked_zero_division = check_zero_division(zero_division)
    counts = unit_counts(y_true, y_pred, level=level, scheme=scheme, mode=mode, labels=labels)
    tp, pred, gold = counts.totals()
    return scores_from_totals(
        tp, pred, gold, average=average, zero_division=checked_zero_division, warn_for=warn_for, level=counts.level
    )


def precision_score(
    y_true: Any,
    y_pred: Any,
    *,
    level: str | None = None,
    average: str | None = "micro",
    scheme: str = "IOB2",
    mode: str = "conlleval",
    zero_division: str | float = "warn",
    labels: Sequence[Any] | None = None,
) -> Any:
    """Precision: the share of predicted entities (tokens, labels) that are right.

    Equals seqeval's ``precision_score`` at entity level and scikit-learn's at token (without ``"O"``) and label
    level.

    Parameters
    ----------
    y_true, y_pred : sequence of sequences of str, or sequence of labels
        Gold and predicted tags, one sequence per sentence (nested), or one label per example (flat; strings
        or integers).
    level : {"entity", "token", "label"}, optional
        What is counted: exact entities (default for nested input), every tag, or one label per example
        (default for flat input).
    average : {"micro", "macro", "weighted"} or None
        ``"micro"`` pools the counts of all labels; ``"macro"`` is the unweighted mean over labels,
        ``"weighted"`` the mean weighted by support. ``None`` returns a numpy array with one value per label,
        in sorted label order (or the order of ``labels``); :func:`classification_report` gives them with
        names.
    scheme : {"IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}
        Tagging scheme, used at entity level with ``mode="strict"``.
    mode : {"conlleval", "strict"}
        How entities are read (see :mod:`pytest_homog.metrics.tags`); ``"conlleval"`` ignores ``scheme``, as
        seqeval's default mode does.
    zero_division : "warn", 0, 1 or nan
        The value of an undefined ratio (no predictions for precision, no gold items for recall, neither for
        F1), as in scikit-learn. ``"warn"`` means 0 and an
        :class:`~pytest_homog.errors.UndefinedMetricWarning`. When there is nothing at all to score (no gold
        and no predicted entity anywhere), every average is this value; seqeval returns NaN there for
        ``"macro"`` and ``"weighted"`` (the mean of no labels).
    labels : sequence, optional
        The labels (entity types at entity level) to score, in this order; others are ignored. At token level
        the default is every tag but ``"O"``.

    Returns
    -------
    float, or ndarray of float when ``average=None``

    Examples
    --------
    >>> precision_score([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-ORG"]])
    0.5
    >>> precision_score(["a", "b", "b"], ["a", "a", "b"], average="macro")
    0.75
    """
    return precision_recall_fscore(
        y_true,
        y_pred,
        level=level,
        average=average,
        scheme=scheme,
        mode=mode,
        zero_division=zero_division,
        labels=labels,
        warn_for=WARN_FOR["precision"],
    )[0]


def recall_score(
    y_true: Any,
    y_pred: Any,
    *,
    level: str | None = None,
    average: str | None = "micro",
    scheme: str = "IOB2",
    mode: str = "conlleval",
    zero_division: str | float = "warn",
    labels: Sequence[Any] | None = None,
) -> Any:
    """Recall: the share of gold entities (tokens, labels) that are predicted.

    Equals seqeval's ``recall_score`` at entity level and scikit-learn's at token (without ``"O"``) and label
    level.

    Parameters
    ----------
    y_true, y_pred : sequence of sequences of str, or sequence of labels
        Gold and predicted tags, one sequence per sentence (nested), or one label per example (flat; strings
        or integers).
    level : {"entity", "token", "label"}, optional
        What is counted: exact entities (default for nested input), every tag, or one label per example
        (default for flat input).
    average : {"micro", "macro", "weighted"} or None
        ``"micro"`` pools the counts of all labels; ``"macro"`` is the unweighted mean over labels,
        ``"weighted"`` the mean weighted by support. ``None`` returns a numpy array with one value per label,
        in sorted label order (or the order of ``labels``); :func:`classification_report` gives them with
        names.
    scheme : {"IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}
        Tagging scheme, used at entity level with ``mode="strict"``.
    mode : {"conlleval", "strict"}
        How entities are read (see :mod:`pytest_homog.metrics.tags`); ``"conlleval"`` ignores ``scheme``, as
        seqeval's default mode does.
    zero_division : "warn", 0, 1 or nan
        The value of an undefined ratio (no predictions for precision, no gold items for recall, neither for
        F1), as in scikit-learn. ``"warn"`` means 0 and an
        :class:`~pytest_homog.errors.UndefinedMetricWarning`. When there is nothing at all to score (no gold
        and no predicted entity anywhere), every average is this value; seqeval returns NaN there for
        ``"macro"`` and ``"weighted"`` (the mean of no labels).
    labels : sequence, optional
        The labels (entity types at entity level) to score, in this order; others are ignored. At token level
        the default is every tag but ``"O"``.

    Returns
    -------
    float, or ndarray of float when ``average=None``

    Examples
    --------
    >>> recall_score([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "O"]])
    0.5
    """
    return precision_recall_fscore(
        y_true,
        y_pred,
        level=level,
        average=average,
        scheme=scheme,
        mode=mode,
        zero_division=zero_division,
        labels=labels,
        warn_for=WARN_FOR["recall"],
    )[1]


def f1_score(
    y_true: Any,
    y_pred: Any,
    *,
    level: str | None = None,
    average: str | None = "micro",
    scheme: str = "IOB2",
    mode: str = "conlleval",
    zero_division: str | float = "warn",
    labels: Sequence[Any] | None = None,
) -> Any:
    """F1: the harmonic mean of precision and recall, ``2 tp / (2 tp + fp + fn)``.

    Entity F1 counts exact ``(type, start, end)`` matches, micro-averaged over all entities unless ``average``
    says otherwise (DESIGN.md, Definitions). Equals seqeval's ``f1_score`` at entity level and scikit-learn's
    at token (without ``"O"``) and label level. With ``zero_division="warn"`` a warning is emitted when
    precision or recall is undefined (for example an all-``O`` prediction).

    Parameters
    ----------
    y_true, y_pred : sequence of sequences of str, or sequence of labels
        Gold and predicted tags, one sequence per sentence (nested), or one label per example (flat; strings
        or integers).
    level : {"entity", "token", "label"}, optional
        What is counted: exact entities (default for nested input), every tag, or one label per example
        (default for flat input).
    average : {"micro", "macro", "weighted"} or None
        ``"micro"`` pools the counts of all labels; ``"macro"`` is the unweighted mean over labels,
        ``"weighted"`` the mean weighted by support. ``None`` returns a numpy array with one value per label,
        in sorted label order (or the order of ``labels``); :func:`classification_report` gives them with
        names.
    scheme : {"IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"}
        Tagging scheme, used at entity level with ``mode="strict"``.
    mode : {"conlleval", "strict"}
        How entities are read (see :mod:`pytest_homog.metrics.tags`); ``"conlleval"`` ignores ``scheme``, as
        seqeval's default mode does.
    zero_division : "warn", 0, 1 or nan
        The value of an undefined ratio (no predictions for precision, no gold items for recall, neither for
        F1), as in scikit-learn. ``"warn"`` means 0 and an
        :class:`~pytest_homog.errors.UndefinedMetricWarning`. When there is nothing at all to score (no gold
        and no predicted entity anywhere), every average is this value; seqeval returns NaN there for
        ``"macro"`` and ``"weighted"`` (the mean of no labels).
    labels : sequence, optional
        The labels (entity types at entity level) to score, in this order; others are ignored. At token level
        the default is every tag but ``"O"``.

    Returns
    -------
    float, or ndarray of float when ``average=None``

    Examples
    --------
    >>> y_true = [["O", "B-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    >>> y_pred = [["O", "B-MISC", "I-MISC", "I-MISC"], ["B-PER", "I-PER", "O"]]
    >>> f1_score(y_true, y_pred)
    0.5
    >>> f1_score(y_true, y_pred, average=None)
    array([0., 1.])
    >>> round(f1_score(y_true, y_pred, level="token"), 4)  # every tag but "O": 4 right of 5 predicted, 4 gold
    0.8889
    """
    return precision_recall_fscore(
        y_true,
        y_pred,
        level=level,
        average=average,
        scheme=scheme,
        mode=mode,
        zero_division=zero_division,
        labels=labels,
        warn_for=WARN_FOR["f1"],
    )[2]


# ----------------------------------------------------------------------------------------------------------
# report
# ----------------------------------------------------------------------------------------------------------


class LabelScore(NamedTuple):
    """One row of a :class:`Report`."""

    label: Any
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    """Per-label precision, recall, F1 and support, with micro, macro and weighted averages.

    Attributes
    ----------
    rows : tuple of LabelScore
        One row per label, in label order.
    averages : dict
        ``{"micro": LabelScore, "macro": ..., "weighted": ...}`` (``label`` is the average's name).
    level, scheme, mode : str
        How the report was counted.
    """

    rows: tuple[LabelScore, ...]
    averages: dict[str, LabelScore]
    level: str
    scheme: str
    mode: str

    @property
    def labels(self) -> list[Any]:
        """Label names in report order."""
        return [row.label for row in self.rows]

    def __getitem__(self, label: Any) -> LabelScore:
        for row in self.rows:
            if row.label == label:
                return row
        if label in self.averages:
            return self.averages[label]
        raise KeyError(label)

    def worst(self, k: int = 3) -> list[LabelScore]:
        """The ``k`` labels with the lowest F1 (ties: larger support first, then label order).

        Examples
        --------
        >>> report = classification_report([["B-A", "B-B", "B-C"]], [["B-A", "O", "B-C"]], zero_division=0)
        >>> [row.label for row in report.worst(1)]
        ['B']
        """
        if not isinstance(k, int) or isinstance(k, bool) or k < 0:
            raise HomogUsageError(f"k must be a non-negative integer; got {k!r}.")
        order = sorted(range(len(self.rows)), key=lambda i: (self.rows[i].f1, -self.rows[i].support, i))
        return [self.rows[i] for i in order[:k]]

    def to_dict(self) -> dict[str, dict[str, float]]:
        """``{label: {"precision", "recall", "f1", "support"}}`` for every label and average."""
        out: dict[str, dict[str, float]] = {}
        for row in (*self.rows, *self.averages.values()):
            out[str(row.label)] = {
                "precision": row.precision,
                "recall": row.recall,
                "f1": row.f1,
                "support": row.support,
            }
        return out

    def to_markdown(self, *, digits: int = 3, rows: Sequence[LabelScore] | None = None) -> str:
        """A Markdown table of the labels (or of ``rows``) and the averages.

        Examples
        --------
        >>> print(classification_report([["B-PER", "O"]], [["B-PER", "O"]]).to_markdown())
        | label | precision | recall | f1 | support |
        | --- | ---: | ---: | ---: | ---: |
        | PER | 1.000 | 1.000 | 1.000 | 1 |
        | micro avg | 1.000 | 1.000 | 1.000 | 1 |
        | macro avg | 1.000 | 1.000 | 1.000 | 1 |
        | weighted avg | 1.000 | 1.000 | 1.000 | 1 |
        """
        lines = ["| label | precision | recall | f1 | support |", "| --- | ---: | ---: | ---: | ---: |"]
        chosen = self.rows if rows is None else rows
        extra = list(self.averages.values()) if rows is None else []
        for row in (*chosen, *extra):
            name = f"{row.label} avg" if row in extra else str(row.label)
            lines.append(
                f"| {name} | {row.precision:.{digits}f} | {row.recall:.{digits}f} | {row.f1:.{digits}f} | "
                f"{row.support} |"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        names = [str(r.label) for r in self.rows] + [f"{k} avg" for k in self.averages]
        width = max(len("weighted avg"), *map(len, names))
        head = f"{'':>{width}}  precision     recall         f1    support"
        lines = [head, ""]
        for row in self.rows:
            lines.append(self._line(str(row.label), row, width))
        lines.append("")
        for name, row in self.averages.items():
            lines.append(self._line(f"{name} avg", row, width))
        return "\n".join(lines)

    @staticmethod
    def _line(name: str, row: LabelScore, width: int) -> str:
        return f"{name:>{width}}  {row.precision:9.3f}  {row.recall:9.3f}  {row.f1:9.3f}  {row.support:9d}"


def report_from_counts(
    counts: UnitCounts, *, zero_division: str | float = "warn", scheme: str = "IOB2", mode: str = "conlleval"
) -> Report:
    """A :class:`Report` from counts already made (lets callers count once, then report and bootstrap).

    Counts of several runs (:class:`~pytest_homog.metrics.counts.SeedCounts`) give the mean over runs of each
    run's report: a label's row is the mean over the runs that have the label (gold or predicted), and the
    averages are the means of the runs' averages, so the micro average is the value the checks report.
    """
    checked_zero_division = check_zero_division(zero_division)
    if isinstance(counts, SeedCounts):
        runs = [
            report_from_counts(run, zero_division=checked_zero_division, scheme=scheme, mode=mode)
            for run in counts.runs
        ]
        return _mean_report(runs, counts.labels, counts.level, scheme, mode)
    tp, pred, gold = counts.totals()
    p, r, f = scores_from_totals(tp, pred, gold, average=None, zero_division=checked_zero_division, level=counts.level)
    rows = tuple(
        LabelScore(label, float(p[i]), float(r[i]), float(f[i]), int(gold[i])) for i, label in enumerate(counts.labels)
    )
    averages = {}
    support = int(gold.sum())
    for avg in ("micro", "macro", "weighted"):
        precision, recall, f1 = scores_from_totals(
            tp, pred, gold, average=avg, zero_division=checked_zero_division, level=counts.level
        )
        averages[avg] = LabelScore(avg, float(precision), float(recall), float(f1), support)
    return Report(rows, averages, counts.level, scheme, mode)


def _mean_row(label: Any, rows: list[LabelScore]) -> LabelScore:
    return LabelScore(
        label,
        float(np.mean([row.precision for row in rows])),
        float(np.mean([row.recall for row in rows])),
        float(np.mean([row.f1 for row in rows])),
        rows[0].support,  # the gold items, the same in every run
    )


def _mean_report(runs: list[Report], labels: tuple[Any, ...], level: str, scheme: str, mode: str) -> Report:
    by_label: dict[Any, list[LabelScore]] = {}
    for report in runs:
        for row in report.rows:
            by_label.setdefault(row.label, []).append(row)
    rows = tuple(_mean_row(label, by_label[label]) for label in labels if label in by_label)
    averages = {name: _mean_row(name, [report.averages[name] for report in runs]) for name in runs[0].averages}
    return Report(rows, averages, level, scheme, mode)


def classification_report(
    y_true: Any,
    y_pred: Any,
    *,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    zero_division: str | float = "warn",
    labels: Sequence[Any] | None = None,
) -> Report:
    """Per-label precision, recall, F1 and support, with micro, macro and weighted averages.

    Arguments as :func:`f1_score`. The result prints as a text table, renders with ``.to_markdown()``, and
    names its weakest labels with ``.worst(k)``. Building it emits no warning; undefined values follow
    ``zero_division``.

    Examples
    --------
    >>> y_true = [["O", "B-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    >>> y_pred = [["O", "B-MISC", "I-MISC", "I-MISC"], ["B-PER", "I-PER", "O"]]
    >>> report = classification_report(y_true, y_pred)
    >>> print(report)
                  precision     recall         f1    support
    <BLANKLINE>
            MISC      0.000      0.000      0.000          1
             PER      1.000      1.000      1.000          1
    <BLANKLINE>
       micro avg      0.500      0.500      0.500          2
       macro avg      0.500      0.500      0.500          2
    weighted avg      0.500      0.500      0.500          2
    >>> report.worst(1)[0].label
    'MISC'
    """
    counts = unit_counts(y_true, y_pred, level=level, scheme=scheme, mode=mode, labels=labels)
    return report_from_counts(counts, zero_division=zero_division, scheme=scheme, mode=mode)
