"""Homogenization: how alike the outcomes of a group of subjects are on the same references.

:func:`outcome_homogenization` measures how much more often every subject fails the same units than independent
failures would make them; :func:`similarity_matrix` gives every pair's similarity (:class:`SimilarityMatrix`, with
its Markdown table and heatmap). Both take the references and a mapping ``name -> predictions``; the units are
those of :mod:`pytest_homog.corpus`.

Subjects whose predictions use labels that never occur in the references (e.g. ``PER`` against ``person``) get
a :class:`~pytest_homog.errors.HomogWarning` naming them, because every such prediction counts as wrong. It is
a warning, not an error, because a small reference set may simply lack a class a model knows.

References
----------
Bommasani, Creel, Kumar, Jurafsky and Liang (2022), "Picking on the Same Person: Does Algorithmic Monoculture
lead to Outcome Homogenization?", NeurIPS.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pytest_homog.corpus import Corpus, Predictions, UnitRef
from pytest_homog.errors import HomogDataError, HomogUsageError, HomogWarning, UndefinedMetricWarning
from pytest_homog.metrics.agreement import (
    CONSISTENCY_UNDEFINED,
    EMPTY_UNION,
    KAPPA_UNDEFINED,
    bind_subject,
    disagreement_counts,
    kappa_codes,
    kappa_from_counts,
    read_entities,
    yules_q_counts,
)

__all__ = [
    "BY",
    "OutcomeHomogenization",
    "SimilarityMatrix",
    "bind_group",
    "check_by",
    "check_group",
    "check_label_sets",
    "cka_matrix",
    "homogenization_of",
    "outcome_homogenization",
    "similarity_matrix",
    "similarity_of",
]

#: ``by`` values of :func:`similarity_matrix`; each is a similarity (higher = more alike, 1 on the diagonal).
BY = ("error_consistency", "disagreement", "kappa", "yules_q", "cka")


def check_by(by: object) -> str:
    """Return ``by`` if it is one of :data:`BY`."""
    if not isinstance(by, str) or by not in BY:
        raise HomogUsageError(f"by must be one of {', '.join(map(repr, BY))}; got {by!r}.")
    return by


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


class OutcomeHomogenization(float):
    """Outcome homogenization (a float) with the rates it is made of.

    Attributes
    ----------
    systemic_failure_rate : float
        Share of units that every subject gets wrong.
    expected_failure_rate : float
        The share expected if the subjects failed independently: the product of their failure rates.
    failure_rates : dict of str to float
        Each subject's failure rate.
    n_units : int
        Number of units.
    unit : str
        The unit (``"entity"``, ``"sentence"``, ``"token"`` or ``"example"``).
    shared_failures : list of UnitRef
        The units every subject gets wrong, in corpus order.
    defined : bool
        False when the expected rate is 0 (some subject never fails); the value is then 0.0 by convention.
    """

    systemic_failure_rate: float
    expected_failure_rate: float
    failure_rates: dict[str, float]
    n_units: int
    unit: str
    shared_failures: list[UnitRef]
    defined: bool

    def __new__(cls, value: float, **attributes: Any) -> OutcomeHomogenization:
        obj = super().__new__(cls, value)
        for key, item in attributes.items():
            setattr(obj, key, item)
        return obj

    def __repr__(self) -> str:
        return (
            f"OutcomeHomogenization({float(self)!r}, "
            f"systemic_failure_rate={self.systemic_failure_rate!r}, "
            f"expected_failure_rate={self.expected_failure_rate!r}, "
            f"n_units={self.n_units}, unit={self.unit!r})"
        )


def homogenization_of(group: list[Predictions], unit: str) -> OutcomeHomogenization:
    """:func:`outcome_homogenization` of predictions bound to one corpus, on a resolved ``unit``."""
    corpus = group[0].corpus
    outcomes = np.stack([corpus.outcomes(predictions, unit)[0] for predictions in group])
    n_units = outcomes.shape[1]
    if n_units == 0:
        raise HomogDataError(
            f"there are no {unit} units in the references (no gold entities?); outcome homogenization needs "
            "at least one. Use unit='sentence' or data with entities."
        )
    failed = ~outcomes
    rates = failed.mean(axis=1)
    all_fail = failed.all(axis=0)
    systemic = float(all_fail.mean())
    expected = float(np.prod(rates))
    shared = corpus.unit_refs(unit, np.flatnonzero(all_fail))
    defined = expected > 0.0
    if defined:
        value = systemic / expected
    else:
        perfect = [p.name for p, rate in zip(group, rates.tolist(), strict=True) if rate == 0.0]
        warnings.warn(
            f"outcome homogenization is undefined (0 / 0): subject(s) {perfect} get every {unit} right, so "
            "no unit can be failed by every subject and the expected rate is 0; reported as 0.0.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        value = 0.0
    return OutcomeHomogenization(
        value,
        systemic_failure_rate=systemic,
        expected_failure_rate=expected,
        failure_rates={p.name: float(rate) for p, rate in zip(group, rates.tolist(), strict=True)},
        n_units=n_units,
        unit=unit,
        shared_failures=shared,
        defined=defined,
    )


def outcome_homogenization(
    y_true: Any,
    predictions: Mapping[str, Any],
    *,
    unit: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
) -> OutcomeHomogenization:
    """Outcome homogenization of two or more subjects (Bommasani et al. 2022, each unit its own group).

    The share of units that every subject fails (the systemic-failure rate) divided by the share expected if
    the subjects failed independently (the product of their failure rates). 1 means independent errors, larger
    values mean the subjects fail on the same units (a shared blind spot), smaller values that they fail on
    different units.

    When some subject fails no unit the expected rate is 0 and so is the systemic rate: the value is reported
    as 0.0 (no unit can be failed by every subject) with an
    :class:`~pytest_homog.errors.UndefinedMetricWarning`, and ``.defined`` is False.

    Parameters
    ----------
    y_true : sequence of sequences of str, or sequence of labels
        The references.
    predictions : mapping of str to predictions
        Two or more subjects' predictions of the same sentences or examples.
    unit : {"entity", "sentence", "token", "example"}, optional
        What can be failed (see :mod:`pytest_homog.corpus`). Default: gold entities for tag sequences, examples for
        flat labels.
    scheme, mode : str
        How entities are read from tags.

    Returns
    -------
    OutcomeHomogenization
        A float with the rates it is made of and the units every subject fails.

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"], ["B-ORG", "O"], ["B-PER", "O"]]
    >>> a = [["B-PER", "O"], ["O", "O"], ["O", "O"], ["B-PER", "O"]]
    >>> b = [["B-PER", "O"], ["O", "O"], ["B-ORG", "O"], ["B-PER", "O"]]
    >>> h = outcome_homogenization(y_true, {"a": a, "b": b})
    >>> float(h), h.systemic_failure_rate, h.expected_failure_rate
    (2.0, 0.25, 0.125)
    >>> h.shared_failures
    [UnitRef(sentence=1, label='LOC', start=0, end=1)]
    """
    group = bind_group(y_true, predictions, scheme, mode, "outcome_homogenization")
    return homogenization_of(group, group[0].corpus.resolve_unit(unit))


# ----------------------------------------------------------------------------------------------------------
# similarity matrix
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SimilarityMatrix:
    """Pairwise similarities of k subjects (higher = more alike, 1.0 on the diagonal).

    Attributes
    ----------
    names : tuple of str
        Subject names, in the order of the rows and columns.
    values : numpy.ndarray
        ``(k, k)`` symmetric matrix.
    by : str
        The measure (see :func:`similarity_matrix`).
    n : int, optional
        Number of units each pair was compared on.
    """

    names: tuple[str, ...]
    values: np.ndarray
    by: str
    n: int | None = None

    def pairs(self) -> list[tuple[str, str, float]]:
        """Every pair ``(name_i, name_j, value)`` with ``i < j``, most similar first."""
        k = len(self.names)
        out = [(self.names[i], self.names[j], float(self.values[i, j])) for i in range(k) for j in range(i + 1, k)]
        return sorted(out, key=lambda p: -p[2])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for run records and reports)."""
        return {"by": self.by, "names": list(self.names), "values": self.values.tolist(), "n": self.n}

    def to_markdown(self, digits: int = 3) -> str:
        """The matrix as a Markdown table.

        Examples
        --------
        >>> m = SimilarityMatrix(("a", "b"), np.array([[1.0, 0.25], [0.25, 1.0]]), "error_consistency")
        >>> print(m.to_markdown())
        | error_consistency | a | b |
        | --- | ---: | ---: |
        | a | 1.000 | 0.250 |
        | b | 0.250 | 1.000 |
        """
        lines = [
            "| " + " | ".join([self.by, *self.names]) + " |",
            "| --- |" + " ---: |" * len(self.names),
        ]
        for name, row in zip(self.names, self.values.tolist(), strict=True):
            lines.append("| " + " | ".join([name, *(f"{v:.{digits}f}" for v in row)]) + " |")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_markdown()

    def plot(self, path: str | Path | None = None, *, title: str | None = None) -> bytes | Path:
        """Draw the matrix as a heatmap with the values written in the cells, as PNG.

        Needs matplotlib (``pip install 'pytest-homog[plot]'``). Uses matplotlib's object-oriented API with
        the Agg canvas, so no global backend or pyplot state is touched.

        Parameters
        ----------
        path : str or Path, optional
            Where to write the PNG; when omitted the PNG bytes are returned.
        title : str, optional
            Figure title; default names the measure.

        Returns
        -------
        bytes or pathlib.Path
            The PNG bytes, or the path written.
        """
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as exc:
            raise HomogUsageError(
                "SimilarityMatrix.plot needs matplotlib, which is not installed; pip install 'pytest-homog[plot]'"
            ) from exc
        k = len(self.names)
        size = 1.2 + 0.8 * k
        fig = Figure(figsize=(size + 1.2, size))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        finite = self.values[np.isfinite(self.values)]
        vmin = min(0.0, float(finite.min())) if finite.size else 0.0
        image = ax.imshow(self.values, vmin=vmin, vmax=1.0, cmap="viridis")
        ax.set_xticks(range(k), labels=list(self.names), rotation=45, ha="right")
        ax.set_yticks(range(k), labels=list(self.names))
        threshold = vmin + 0.6 * (1.0 - vmin)
        for i in range(k):
            for j in range(k):
                value = float(self.values[i, j])
                ax.text(
                    j,
                    i,
                    f"{value:.2f}",
                    ha="center",
                    va="center",
                    color="black" if value > threshold else "white",
                    fontsize=9,
                )
        fig.colorbar(image, ax=ax)
        ax.set_title(title if title is not None else f"similarity: {self.by}")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        data = buffer.getvalue()
        if path is None:
            return data
        out = Path(path)
        out.write_bytes(data)
        return out


def _outcome_matrix(group: list[Predictions], unit: str) -> np.ndarray:
    corpus = group[0].corpus
    outcomes = np.stack([corpus.outcomes(predictions, unit)[0] for predictions in group])
    if outcomes.shape[1] == 0:
        raise HomogDataError(
            f"there are no {unit} units in the references (no gold entities?); use unit='sentence' or data "
            "with entities."
        )
    return outcomes


def _pair_names(names: list[str], mask: np.ndarray) -> list[tuple[str, str]]:
    ii, jj = np.nonzero(np.triu(mask, k=1))
    return [(names[i], names[j]) for i, j in zip(ii.tolist(), jj.tolist(), strict=True)]


def similarity_matrix(
    y_true: Any,
    predictions: Mapping[str, Any],
    *,
    by: str = "error_consistency",
    level: str | None = None,
    unit: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    debiased: bool = False,
) -> SimilarityMatrix:
    """Pairwise similarity of every pair of subjects, as a k x k matrix with 1.0 on the diagonal.

    ``by`` (every choice is a similarity: higher = more alike):

    ``"error_consistency"``
        kappa of :func:`~pytest_homog.metrics.agreement.error_consistency` on per-unit outcomes (``unit``); in [-1, 1].
    ``"disagreement"``
        ``1 - disagreement(a, b, level=level)``; in [0, 1]. ``y_true`` is used to validate only.
    ``"kappa"``
        :func:`~pytest_homog.metrics.agreement.cohen_kappa` of the predicted labels (tags, token by token, for
        sequences); in [-1, 1].
    ``"yules_q"``
        :func:`~pytest_homog.metrics.agreement.yules_q` on per-unit outcomes; in [-1, 1].
    ``"cka"``
        :func:`~pytest_homog.metrics.representation.linear_cka`; here ``predictions`` maps names to feature
        matrices with the same rows and ``y_true`` is ignored (pass ``None``).

    Undefined pairs take the documented value of their measure, with one
    :class:`~pytest_homog.errors.UndefinedMetricWarning` naming them. Double fault is not offered: it is
    bounded by the error rates and is not 1 on the diagonal.

    Per-unit outcomes are computed once per subject and the pairs from them with a few matrix products.

    Parameters
    ----------
    y_true : references
        Tag sequences or flat labels (``None`` for ``by="cka"``).
    predictions : mapping of str to predictions (or feature matrices)
        Two or more subjects.
    by : str
        The measure, see above.
    level : {"entity", "token", "label"}, optional
        For ``by="disagreement"``.
    unit : {"entity", "sentence", "token", "example"}, optional
        For ``by="error_consistency"`` and ``"yules_q"``.
    scheme, mode : str
        How entities are read from tags.
    debiased : bool
        For ``by="cka"``.

    Returns
    -------
    SimilarityMatrix

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"], ["B-ORG", "O"], ["B-PER", "O"]]
    >>> preds = {
    ...     "a": [["B-PER", "O"], ["O", "O"], ["O", "O"], ["B-PER", "O"]],
    ...     "b": [["B-PER", "O"], ["O", "O"], ["B-ORG", "O"], ["B-PER", "O"]],
    ... }
    >>> m = similarity_matrix(y_true, preds, by="error_consistency")
    >>> m.names, m.values.round(3).tolist()
    (('a', 'b'), [[1.0, 0.5], [0.5, 1.0]])
    """
    if check_by(by) == "cka":
        return cka_matrix(predictions, debiased)
    group = bind_group(y_true, predictions, scheme, mode, "similarity_matrix")
    return similarity_of(group, by, level, unit)


def _by_outcomes(group: list[Predictions], by: str, unit: str | None) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Error consistency or Yule's Q of every pair, from one matrix product of the outcomes."""
    outcomes = _outcome_matrix(group, group[0].corpus.resolve_unit(unit))
    k, n = outcomes.shape
    right = outcomes.astype(np.float64)
    n11 = right @ right.T
    r = right.sum(axis=1)
    n10 = r[:, None] - n11
    n01 = r[None, :] - n11
    n00 = n - n11 - n10 - n01
    if by == "error_consistency":
        _, _, values, undefined = kappa_from_counts(np.full((k, k), n), r[:, None] + 0 * n11, r[None, :] + 0 * n11, n11)
        return values, undefined, n, CONSISTENCY_UNDEFINED
    values, undefined = yules_q_counts(n11, n00, n10, n01)
    return values, undefined, n, "Yule's Q is undefined (0 / 0); reported as 1.0 for identical outcomes, 0.0 otherwise"


def _by_predictions(group: list[Predictions], by: str, level: str | None) -> tuple[np.ndarray, np.ndarray, int, str]:
    """1 - disagreement or Cohen's kappa of every pair of predictions."""
    corpus = group[0].corpus
    k = len(group)
    values = np.ones((k, k))
    undefined = np.zeros((k, k), dtype=bool)
    if by == "disagreement":
        level = corpus.resolve_level(level)
        n = 0
        for i in range(k):
            for j in range(i + 1, k):
                differ, total = disagreement_counts(group[i], group[j], level)
                undefined[i, j] = total == 0
                values[i, j] = values[j, i] = 1.0 if total == 0 else 1.0 - differ / total
                n = max(n, total)
        return (
            values,
            undefined,
            n,
            EMPTY_UNION.replace("disagreement is reported as 0.0", "similarity is reported as 1.0"),
        )
    n_codes = len(corpus.values)
    for i in range(k):
        for j in range(i + 1, k):
            value, undefined[i, j] = kappa_codes(group[i].codes, group[j].codes, n_codes)
            values[i, j] = values[j, i] = value
    return values, undefined, int(group[0].codes.size), KAPPA_UNDEFINED


def similarity_of(group: list[Predictions], by: str, level: str | None, unit: str | None) -> SimilarityMatrix:
    """:func:`similarity_matrix` of predictions bound to one corpus (``by`` other than ``"cka"``)."""
    if by in ("error_consistency", "yules_q"):
        values, undefined, n, message = _by_outcomes(group, by, unit)
    else:
        values, undefined, n, message = _by_predictions(group, by, level)
    np.fill_diagonal(values, 1.0)
    np.fill_diagonal(undefined, False)
    names = [predictions.name for predictions in group]
    pairs = _pair_names(names, undefined)
    if pairs:
        warnings.warn(f"{message}; pairs: {pairs}.", UndefinedMetricWarning, stacklevel=3)
    return SimilarityMatrix(tuple(names), values, by, n)


def cka_matrix(features: Mapping[str, Any], debiased: bool) -> SimilarityMatrix:
    """:func:`similarity_matrix` with ``by="cka"``: linear CKA of every pair of feature matrices."""
    from pytest_homog.metrics.representation import as_feature_matrix, linear_cka

    if not isinstance(features, Mapping) or len(features) < 2:
        raise HomogUsageError(
            "similarity_matrix(by='cka') compares two or more subjects' feature matrices; pass a mapping "
            f"name -> (n_units, dim) array with at least two entries; got {type(features).__name__}"
            f"{'' if not isinstance(features, Mapping) else f' with {len(features)}'}."
        )
    names = [str(name) for name in features]
    mats = [as_feature_matrix(x, name=f"features of {name!r}") for name, x in features.items()]
    k = len(mats)
    values = np.ones((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            values[i, j] = values[j, i] = linear_cka(mats[i], mats[j], debiased=debiased)
    return SimilarityMatrix(tuple(names), values, "cka", mats[0].shape[0])
