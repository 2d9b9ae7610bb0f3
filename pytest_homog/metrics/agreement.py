"""Agreement of two subjects: pairwise measures on per-unit outcomes and on predictions.

Measures on outcomes (:func:`error_consistency`, :func:`double_fault`, :func:`yules_q`, :func:`mcnemar_test`) take
two boolean arrays, ``True`` where a subject got a unit right (see :func:`unit_outcomes` and the units of
:mod:`pytest_homog.corpus`). Measures on predictions (:func:`disagreement`, :func:`cohen_kappa`) need no
references. :func:`divergence` gives either kind with a paired-bootstrap interval. Everything is pure numpy.

References
----------
Geirhos, Meding and Wichmann (2020), "Beyond accuracy: quantifying trial-by-trial behaviour of CNNs and humans
by measuring error consistency", NeurIPS.
Kuncheva and Whitaker (2003), "Measures of Diversity in Classifier Ensembles and Their Relationship with the
Ensemble Accuracy", Machine Learning 51.
Cohen (1960), "A Coefficient of Agreement for Nominal Scales".
McNemar (1947), "Note on the sampling error of the difference between correlated proportions or percentages".
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_homog.corpus import Corpus, Entities, Predictions
from pytest_homog.errors import HomogDataError, HomogUsageError, UndefinedMetricWarning
from pytest_homog.metrics.bootstrap import (
    Estimate,
    bootstrap_indices,
    check_confidence,
    check_n_resamples,
    check_seed,
    percentile_interval,
    standard_error,
)

__all__ = [
    "DIVERGENCE_BY",
    "ErrorConsistency",
    "McNemarResult",
    "bind_subject",
    "check_divergence_by",
    "cohen_kappa",
    "disagreement",
    "divergence",
    "divergence_estimate",
    "double_fault",
    "error_consistency",
    "mcnemar_test",
    "per_sentence_disagreement",
    "read_entities",
    "unit_outcomes",
    "yules_q",
]

#: ``by`` values of :func:`divergence` (those of ``compare`` are handled by the assertions).
DIVERGENCE_BY = ("disagreement", "error_consistency")


def bind_subject(corpus: Corpus, y_pred: Any, name: str) -> Predictions:
    """:meth:`Corpus.bind` whose data errors name the subject; the entities are read at once (see
    :func:`read_entities`)."""
    read_entities(corpus, [])
    try:
        predictions = corpus.bind(y_pred, name=name)
    except HomogDataError as exc:
        raise HomogDataError(f"predictions of subject {name!r} do not fit the references: {exc}") from exc
    read_entities(corpus, [predictions])
    return predictions


def read_entities(corpus: Corpus, group: list[Predictions]) -> list[Entities]:
    """The entities of the references and of each prediction in ``group`` (tag sequences; none for flat
    labels), read now, the references first, each after :meth:`~pytest_homog.corpus.Corpus.check_tags`.

    The agreement and homogenization measures read the tags as entities whatever they count, so that one input
    gives the same errors (a tag outside the scheme in strict mode) and warnings (BILOU tags read leniently)
    for every measure, token-level ones included.
    """
    if not corpus.nested:
        return []
    corpus.check_tags()
    entities = [corpus.gold_entities]
    for predictions in group:
        corpus.check_tags(predictions)
        entities.append(predictions.entities)
    return entities


def _as_outcomes(x: Any, name: str) -> np.ndarray:
    array = np.asarray(x)
    if array.ndim != 1:
        raise HomogDataError(
            f"{name} must be a 1-D array of per-unit outcomes; got shape {array.shape}. Pass one boolean per unit, "
            "as unit_outcomes() returns them."
        )
    if array.dtype != bool:
        if array.size and not np.isin(array, (0, 1)).all():
            raise HomogDataError(
                f"{name} must hold booleans (True = the subject got the unit right); got values such as "
                f"{array[~np.isin(array, (0, 1))][:3].tolist()}. Build outcomes with unit_outcomes()."
            )
        array = array.astype(bool)
    return array


def _pair_outcomes(correct_a: Any, correct_b: Any) -> tuple[np.ndarray, np.ndarray]:
    a = _as_outcomes(correct_a, "correct_a")
    b = _as_outcomes(correct_b, "correct_b")
    if a.shape != b.shape:
        raise HomogDataError(
            f"correct_a and correct_b must describe the same units; got {a.size} and {b.size} outcomes. "
            "Compute both with unit_outcomes() on the same references and unit."
        )
    if a.size == 0:
        raise HomogDataError(
            "there are no units to compare (0 outcomes); with unit='entity' the references "
            "need at least one gold entity."
        )
    return a, b


def unit_outcomes(
    y_true: Any, y_pred: Any, *, unit: str | None = None, scheme: str = "IOB2", mode: str = "conlleval"
) -> np.ndarray:
    """Whether ``y_pred`` gets each unit of ``y_true`` right.

    Parameters
    ----------
    y_true, y_pred : sequence of sequences of str, or sequence of labels
        References and predictions: one tag list per sentence, or one label per example.
    unit : {"entity", "sentence", "token", "example", "span"}, optional
        What can be right or wrong (see :mod:`pytest_homog.corpus`). Default: ``"entity"`` for tag sequences,
        ``"example"`` for flat labels. ``"span"`` adds the spans ``y_pred`` predicts outside the gold entities
        (each one wrong); to compare subjects on one set of spans use
        :func:`~pytest_homog.metrics.similarity.similarity_matrix`.
    scheme, mode : str
        How entities are read from tags (see :mod:`pytest_homog.metrics.tags`).

    Returns
    -------
    numpy.ndarray of bool
        One outcome per unit, in corpus order (entities in sentence order, by end within a sentence).

    Examples
    --------
    >>> y_true = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]]
    >>> y_pred = [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG"]]
    >>> unit_outcomes(y_true, y_pred).tolist()
    [True, False, True]
    >>> unit_outcomes(y_true, y_pred, unit="sentence").tolist()
    [False, True]
    """
    corpus = Corpus(y_true, scheme=scheme, mode=mode)
    unit = corpus.resolve_unit(unit)
    return corpus.outcomes(bind_subject(corpus, y_pred, "y_pred"), unit)[0]


@dataclass(frozen=True)
class ErrorConsistency:
    """Error consistency of two subjects (Geirhos et al. 2020).

    Attributes
    ----------
    c_obs : float
        Share of units both get right or both get wrong.
    c_exp : float
        Share expected if they erred independently with their accuracies: ``p_a p_b + (1 - p_a)(1 - p_b)``.
    kappa : float
        ``(c_obs - c_exp) / (1 - c_exp)``: 0 = as consistent as chance, 1 = the same errors, negative = fewer
        shared outcomes than chance.
    n : int
        Number of units.
    """

    c_obs: float
    c_exp: float
    kappa: float
    n: int


CONSISTENCY_UNDEFINED = (
    "error consistency is undefined when c_exp = 1 (both subjects get every unit right, or both get every "
    "unit wrong): their outcomes are identical, so kappa is reported as 1.0"
)


def kappa_from_counts(
    n: np.ndarray, right_a: np.ndarray, right_b: np.ndarray, both_right: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectorized error consistency from counts; returns c_obs, c_exp, kappa and the c_exp = 1 mask."""
    n = np.asarray(n, dtype=np.float64)
    both_wrong = n - right_a - right_b + both_right
    c_obs = (both_right + both_wrong) / n
    p_a = right_a / n
    p_b = right_b / n
    c_exp = p_a * p_b + (1.0 - p_a) * (1.0 - p_b)
    undefined = ((right_a == n) & (right_b == n)) | ((right_a == 0) & (right_b == 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(undefined, 1.0, (c_obs - c_exp) / np.where(undefined, 1.0, 1.0 - c_exp))
    return c_obs, c_exp, kappa, undefined


def error_consistency(correct_a: Any, correct_b: Any) -> ErrorConsistency:
    """Error consistency of two subjects' per-unit outcomes (Geirhos et al. 2020).

    ``c_obs`` is the share of units on which both are right or both are wrong, ``c_exp = p_a p_b + (1 - p_a)
    (1 - p_b)`` the share expected from their accuracies alone, and ``kappa = (c_obs - c_exp) / (1 - c_exp)``.
    The divergence used by :func:`~pytest_homog.assert_models_diverge` is ``1 - kappa``.

    When ``c_exp = 1`` (both right on every unit, or both wrong on every unit) kappa is 0 / 0; the outcomes
    are then identical, so ``kappa = 1.0`` is returned with an
    :class:`~pytest_homog.errors.UndefinedMetricWarning` (a check that the subjects diverge fails, as the
    data cannot tell them apart).

    Parameters
    ----------
    correct_a, correct_b : array-like of bool
        Per-unit outcomes of two subjects on the same units (see :func:`unit_outcomes`).

    Returns
    -------
    ErrorConsistency

    Examples
    --------
    >>> ec = error_consistency([True, True, False, False], [True, False, False, False])
    >>> ec.c_obs, ec.c_exp, ec.kappa
    (0.75, 0.5, 0.5)
    """
    a, b = _pair_outcomes(correct_a, correct_b)
    c_obs, c_exp, kappa, undefined = kappa_from_counts(
        np.array(a.size), np.array(a.sum()), np.array(b.sum()), np.array((a & b).sum())
    )
    if bool(undefined):
        warnings.warn(CONSISTENCY_UNDEFINED + ".", UndefinedMetricWarning, stacklevel=2)
    return ErrorConsistency(float(c_obs), float(c_exp), float(kappa), int(a.size))


def double_fault(correct_a: Any, correct_b: Any) -> float:
    """Double-fault measure: the share of units both subjects get wrong (Kuncheva & Whitaker 2003).

    Higher means more shared failures. It is bounded by the smaller error rate, so it is not a similarity with
    1 on the diagonal and :func:`similarity_matrix` does not offer it.

    Examples
    --------
    >>> double_fault([True, False, False, True], [False, False, True, True])
    0.25
    """
    a, b = _pair_outcomes(correct_a, correct_b)
    return float(np.count_nonzero(~a & ~b) / a.size)


def yules_q_counts(n11: Any, n00: Any, n10: Any, n01: Any) -> tuple[np.ndarray, np.ndarray]:
    n11, n00, n10, n01 = (np.asarray(x, dtype=np.float64) for x in (n11, n00, n10, n01))
    num = n11 * n00 - n10 * n01
    den = n11 * n00 + n10 * n01
    undefined = den == 0
    identical = (n10 == 0) & (n01 == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(undefined, np.where(identical, 1.0, 0.0), num / np.where(undefined, 1.0, den))
    return q, undefined


def yules_q(correct_a: Any, correct_b: Any) -> float:
    """Yule's Q statistic of two subjects' per-unit outcomes (Kuncheva & Whitaker 2003).

    ``Q = (N11 N00 - N10 N01) / (N11 N00 + N10 N01)`` where ``N11`` counts units both get right, ``N00`` units
    both get wrong, ``N10`` and ``N01`` units only one gets right. Q is in [-1, 1]: 0 for independent
    outcomes, positive when the subjects tend to be right and wrong together.

    When the denominator is 0 (no unit both get right or none both get wrong, and one subject is never right
    alone) Q is undefined: 1.0 is returned if the outcomes are identical, 0.0 otherwise, with an
    :class:`~pytest_homog.errors.UndefinedMetricWarning`.

    Examples
    --------
    >>> yules_q([True, True, True, False, False, True], [True, True, False, False, True, True])
    0.5
    """
    a, b = _pair_outcomes(correct_a, correct_b)
    q, undefined = yules_q_counts((a & b).sum(), (~a & ~b).sum(), (a & ~b).sum(), (~a & b).sum())
    if bool(undefined):
        warnings.warn(
            f"Yule's Q is undefined (0 / 0) on these outcomes; reported as {float(q)} "
            "(1.0 for identical outcomes, 0.0 otherwise).",
            UndefinedMetricWarning,
            stacklevel=2,
        )
    return float(q)


@dataclass(frozen=True)
class McNemarResult:
    """Exact McNemar test of two subjects' per-unit outcomes.

    Attributes
    ----------
    only_a : int
        Units only subject a gets right.
    only_b : int
        Units only subject b gets right.
    p_value : float
        Two-sided exact p-value (binomial test of ``only_a`` among ``only_a + only_b`` with probability 1/2).
    """

    only_a: int
    only_b: int
    p_value: float


def _binomial_two_sided_half(k: int, n: int) -> float:
    """``min(1, 2 P(X <= min(k, n - k)))`` for ``X ~ Binomial(n, 1/2)``, computed in log space."""
    if n == 0:
        return 1.0
    low = min(k, n - k)
    i = np.arange(low + 1, dtype=np.float64)
    log_pmf = (
        math.lgamma(n + 1)
        - np.array([math.lgamma(x + 1.0) for x in i.tolist()])
        - np.array([math.lgamma(n - x + 1.0) for x in i.tolist()])
        - n * math.log(2.0)
    )
    return float(min(1.0, 2.0 * math.exp(float(np.logaddexp.reduce(log_pmf)))))


def mcnemar_test(correct_a: Any, correct_b: Any) -> McNemarResult:
    """Exact McNemar test: do two subjects differ in accuracy on the same units? (McNemar 1947).

    Only discordant units (one subject right, the other wrong) carry information; under the null hypothesis
    each is equally likely to favour either subject, so the p-value is that of a two-sided exact binomial test
    with probability 1/2 on them: ``min(1, 2 P(X <= min(only_a, only_b)))``. With no discordant unit the
    p-value is 1.0.

    Examples
    --------
    >>> r = mcnemar_test([True] * 10 + [False] * 2, [False] * 10 + [True] * 2)
    >>> r.only_a, r.only_b, round(r.p_value, 4)
    (10, 2, 0.0386)
    """
    a, b = _pair_outcomes(correct_a, correct_b)
    only_a = int(np.count_nonzero(a & ~b))
    only_b = int(np.count_nonzero(~a & b))
    return McNemarResult(only_a, only_b, _binomial_two_sided_half(only_a, only_a + only_b))


def disagreement_counts(a: Predictions, b: Predictions, level: str) -> tuple[int, int]:
    """(units that differ, units compared): entity-set union/intersection or positions."""
    if level == "entity":
        keys_a, keys_b = a.entities.keys, b.entities.keys
        both = int(np.intersect1d(keys_a, keys_b, assume_unique=True).size)
        union = int(keys_a.size + keys_b.size - both)
        return union - both, union
    return int(np.count_nonzero(a.codes != b.codes)), int(a.codes.size)


EMPTY_UNION = (
    "entity-level disagreement is undefined (0 / 0): neither prediction contains an entity. The predictions "
    "agree (both empty), so disagreement is reported as 0.0"
)


def disagreement(
    y_pred_a: Any, y_pred_b: Any, *, level: str | None = None, scheme: str = "IOB2", mode: str = "conlleval"
) -> float:
    """How often two predictions differ; no references needed.

    ``level="entity"``: ``1 - |E_a ∩ E_b| / |E_a ∪ E_b|`` with ``E_a``, ``E_b`` the predicted entity sets
    (type and exact span) of the whole corpus, so sentences with more entities weigh more. When neither
    prediction has an entity the value is 0.0 (they agree), with an
    :class:`~pytest_homog.errors.UndefinedMetricWarning`. ``level="token"`` or ``"label"``: the share of
    positions (tokens or examples) where the two predictions differ.

    Parameters
    ----------
    y_pred_a, y_pred_b : sequence of sequences of str, or sequence of labels
        Two predictions of the same sentences or examples.
    level : {"entity", "token", "label"}, optional
        Default: ``"entity"`` for tag sequences, ``"label"`` for flat labels.
    scheme, mode : str
        How entities are read from tags.

    Examples
    --------
    >>> a = [["B-PER", "I-PER", "O", "B-LOC"]]
    >>> b = [["B-PER", "I-PER", "O", "B-ORG"]]
    >>> round(disagreement(a, b), 4)  # {PER, LOC} vs {PER, ORG}: 1 shared of 3
    0.6667
    >>> disagreement(a, b, level="token")
    0.25
    """
    corpus = Corpus(y_pred_a, scheme=scheme, mode=mode)
    level = corpus.resolve_level(level)
    predictions_b = bind_subject(corpus, y_pred_b, "y_pred_b")
    differ, total = disagreement_counts(corpus.as_predictions("y_pred_a"), predictions_b, level)
    if total == 0:
        warnings.warn(EMPTY_UNION + ".", UndefinedMetricWarning, stacklevel=2)
        return 0.0
    return differ / total


def kappa_codes(a: np.ndarray, b: np.ndarray, n_codes: int) -> tuple[float, bool]:
    n = a.size
    p_o = np.count_nonzero(a == b) / n
    p_e = float(np.dot(np.bincount(a, minlength=n_codes), np.bincount(b, minlength=n_codes))) / (n * n)
    # p_e = 1 exactly when both give one and the same label everywhere
    if np.all(a == a[0]) and np.all(b == a[0]):
        return 1.0, True
    return (p_o - p_e) / (1.0 - p_e), False


KAPPA_UNDEFINED = (
    "Cohen's kappa is undefined (0 / 0): both predictions give the same single label everywhere. They are "
    "identical, so kappa is reported as 1.0"
)


def cohen_kappa(y_pred_a: Any, y_pred_b: Any) -> float:
    """Cohen's kappa between two predictions' labels (Cohen 1960), chance-corrected agreement.

    ``kappa = (p_o - p_e) / (1 - p_e)`` with ``p_o`` the share of positions with the same label and ``p_e``
    the agreement expected from each prediction's label frequencies. Tag sequences are compared tag by tag
    (token level). Equals :func:`sklearn.metrics.cohen_kappa_score`; where that is undefined (both predictions
    one and the same label everywhere) 1.0 is returned with an
    :class:`~pytest_homog.errors.UndefinedMetricWarning`.

    Examples
    --------
    >>> cohen_kappa(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    0.5
    """
    corpus = Corpus(y_pred_a)
    predictions_b = bind_subject(corpus, y_pred_b, "y_pred_b")
    value, undefined = kappa_codes(corpus.gold_codes, predictions_b.codes, len(corpus.values))
    if undefined:
        warnings.warn(KAPPA_UNDEFINED + ".", UndefinedMetricWarning, stacklevel=2)
    return float(value)


def per_sentence_disagreement(a: Predictions, b: Predictions, level: str) -> np.ndarray:
    """Per sentence (example): units that differ and units compared, shape ``(n_sentences, 2)``."""
    corpus = a.corpus
    n = corpus.n_units
    if level != "entity":
        differ = np.bincount(corpus.token_unit, weights=(a.codes != b.codes).astype(np.float64), minlength=n)
        return np.stack([differ, corpus.lengths.astype(np.float64)], axis=1)
    entities_a, entities_b = a.entities, b.entities
    shared = np.isin(entities_a.keys, entities_b.keys, assume_unique=True)
    both = np.bincount(entities_a.sentence[shared], minlength=n)
    union = np.bincount(entities_a.sentence, minlength=n) + np.bincount(entities_b.sentence, minlength=n) - both
    return np.stack([union - both, union], axis=1).astype(np.float64)


def _per_sentence_consistency(a: Predictions, b: Predictions, unit: str) -> np.ndarray:
    """Per sentence (example): units, right by a, right by b, right by both; shape ``(n_sentences, 4)``."""
    corpus = a.corpus
    (right_a, right_b), sentence, _ = corpus.group_outcomes([a, b], unit)
    columns = [np.ones(len(right_a)), right_a, right_b, right_a & right_b]
    return np.stack(
        [np.bincount(sentence, weights=c.astype(np.float64), minlength=corpus.n_units) for c in columns], axis=1
    )


def _divergence_from_totals(totals: np.ndarray, by: str) -> tuple[np.ndarray, np.ndarray]:
    """Divergence of every row of pooled counts, and the mask of rows where the measure is undefined."""
    if by == "disagreement":
        differ, union = totals[..., 0], totals[..., 1]
        undefined = union == 0
        return np.where(undefined, 0.0, differ / np.where(undefined, 1.0, union)), undefined
    with np.errstate(divide="ignore", invalid="ignore"):
        _, _, kappa, undefined = kappa_from_counts(totals[..., 0], totals[..., 1], totals[..., 2], totals[..., 3])
    return 1.0 - kappa, undefined


def check_divergence_by(by: object) -> str:
    """Return ``by`` if it is one of :data:`DIVERGENCE_BY`."""
    if not isinstance(by, str) or by not in DIVERGENCE_BY:
        raise HomogUsageError(f"by must be one of {', '.join(map(repr, DIVERGENCE_BY))}; got {by!r}.")
    return by


def divergence_estimate(
    a: Predictions,
    b: Predictions,
    *,
    by: str,
    counted: str,
    confidence: float,
    n_resamples: int,
    seed: int | None,
) -> Estimate:
    """:func:`divergence` of two predictions bound to one corpus; ``counted`` is the resolved level (for
    disagreement) or unit (for error consistency), and every argument must be valid already."""
    if by == "disagreement":
        per_sentence = per_sentence_disagreement(a, b, counted)
        message = EMPTY_UNION
    else:
        per_sentence = _per_sentence_consistency(a, b, counted)
        if per_sentence[:, 0].sum() == 0:
            raise HomogDataError(
                f"there are no {counted} units in the references (no gold entities?); use unit='sentence' or "
                "data with entities."
            )
        message = CONSISTENCY_UNDEFINED.replace(
            "kappa is reported as 1.0", "the divergence 1 - kappa is reported as 0.0"
        )
    value, undefined = _divergence_from_totals(per_sentence.sum(axis=0), by)
    if bool(undefined):
        warnings.warn(message + ".", UndefinedMetricWarning, stacklevel=3)
    n = per_sentence.shape[0]
    replicates = np.concatenate(
        [
            _divergence_from_totals(per_sentence[idx].sum(axis=1), by)[0]
            for idx in bootstrap_indices(n, n_resamples, seed)
        ]
    )
    low, high = percentile_interval(replicates, confidence)
    spread = standard_error(replicates)
    return Estimate(float(value), low, high, confidence, n, by, None, counted, None, n_resamples, spread, replicates)


def divergence(
    y_true: Any,
    y_pred_a: Any,
    y_pred_b: Any,
    *,
    by: str = "disagreement",
    confidence: float = 0.95,
    level: str | None = None,
    unit: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    n_resamples: int = 1000,
    seed: int | None = 0,
) -> Estimate:
    """How different two predictions are, with a paired-bootstrap confidence interval.

    ``by="disagreement"``: :func:`disagreement` at ``level``; ``by="error_consistency"``: ``1 - kappa`` of
    :func:`error_consistency` on the units of ``unit`` (0 = the same errors, 1 = as different as chance, up to
    2 for opposite outcomes; with ``unit="span"`` the units are the gold entities and the spans either
    prediction adds). Each bootstrap replicate resamples sentences (examples for flat labels) once
    for both predictions, as :func:`~pytest_homog.metrics.bootstrap.compare` does, and recomputes the measure from
    per-sentence counts pooled over the replicate. Replicates where the measure is undefined take its
    documented value (disagreement 0.0, kappa 1.0).

    Parameters
    ----------
    y_true : references
        Tag sequences or flat labels; used for validation, and as the units for error consistency.
    y_pred_a, y_pred_b : predictions
        Two predictions of the same sentences or examples.
    by : {"disagreement", "error_consistency"}
    confidence : float
        Coverage of the percentile interval.
    level, unit, scheme, mode
        As in :func:`disagreement` and :func:`unit_outcomes`.
    n_resamples, seed : int
        Bootstrap replicates and seed.

    Returns
    -------
    pytest_homog.metrics.bootstrap.Estimate
        ``metric`` is ``by``, ``n`` the number of sentences (examples) resampled.

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"], ["B-ORG", "O"], ["O", "O"]] * 5
    >>> a = [["B-PER", "O"], ["B-LOC", "O"], ["O", "O"], ["O", "O"]] * 5
    >>> b = [["B-PER", "O"], ["O", "O"], ["B-ORG", "O"], ["O", "O"]] * 5
    >>> est = divergence(y_true, a, b, n_resamples=200)
    >>> round(est.value, 3), est.low <= est.value <= est.high
    (0.667, True)
    """
    check_divergence_by(by)
    confidence = check_confidence(confidence)
    n_resamples = check_n_resamples(n_resamples)
    seed = check_seed(seed)
    corpus = Corpus(y_true, scheme=scheme, mode=mode)
    a = bind_subject(corpus, y_pred_a, "y_pred_a")
    b = bind_subject(corpus, y_pred_b, "y_pred_b")
    counted = corpus.resolve_level(level) if by == "disagreement" else corpus.resolve_unit(unit)
    return divergence_estimate(a, b, by=by, counted=counted, confidence=confidence, n_resamples=n_resamples, seed=seed)
