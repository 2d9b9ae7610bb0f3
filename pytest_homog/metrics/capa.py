"""CAPA: chance-adjusted probabilistic agreement of two subjects that give probabilities (Goel et al. 2025).

Error consistency compares right/wrong outcomes; CAPA compares the probability each subject puts on every
label, and corrects for the agreement two subjects of their accuracy would reach by chance, as kappa does
(DESIGN.md, Definitions):

- ``c_obs = mean_i sum_k p_a(k | i) p_b(k | i)``: the chance that independent draws from the two subjects'
  distributions give the same label;
- ``c_exp = pbar_a pbar_b + mean_i(1 / (K_i - 1)) (1 - pbar_a)(1 - pbar_b)``, with ``pbar`` a subject's mean
  probability of the gold label and ``K_i`` the number of labels of unit ``i``: two subjects of those
  accuracies that spread their wrong mass uniformly over the wrong labels;
- ``kappa_p = (c_obs - c_exp) / (1 - c_exp)``.

The units are examples (flat labels) or words (tags); with a ``confidence``, the paired bootstrap resamples
examples or sentences, as every interval of the package does.

References
----------
Goel, Struber, Auzina, Chandra, Kumaraguru, Kiela, Prabhu, Bethge and Geiping (2025), "Great Models Think Alike
and this Undermines AI Oversight", ICML.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_homog.errors import HomogDataError, HomogUsageError, UndefinedMetricWarning
from pytest_homog.metrics.group import check_interval_options
from pytest_homog.metrics.group_counts import interval, replicate_totals, sentence_sums

__all__ = ["UNDEFINED", "ProbabilisticAgreement", "capa", "kappa_from_totals", "per_sentence_counts"]

#: rows of a probability matrix may miss 1 by this much (float32 softmax outputs do)
ROW_SUM_TOLERANCE = 1e-4


@dataclass(frozen=True)
class ProbabilisticAgreement:
    """CAPA of two subjects (Goel et al. 2025).

    Attributes
    ----------
    kappa : float
        ``(c_obs - c_exp) / (1 - c_exp)``: 0 = as alike as chance for their accuracies, 1 = the same
        distributions, each certain; NaN when ``c_exp = 1`` (both certain and right everywhere: nothing is left
        to agree on beyond chance; with two labels, also both certain and wrong everywhere).
    c_obs, c_exp : float
        Observed and chance agreement.
    n : int
        Units (examples, or words).
    low, high : float or None
        Bounds of kappa's paired-bootstrap interval, when a ``confidence`` was asked for.
    confidence : float or None
        The interval's nominal coverage.
    """

    kappa: float
    c_obs: float
    c_exp: float
    n: int
    low: float | None = None
    high: float | None = None
    confidence: float | None = None


def _label_positions(y_true: Sequence[Any], labels: Sequence[Any] | None, k: int) -> np.ndarray:
    """The column of every gold label."""
    if labels is None:
        gold = np.asarray(y_true)
        if gold.size and (gold.dtype.kind not in "iu" or gold.min() < 0 or gold.max() >= k):
            raise HomogUsageError(
                "capa needs labels= (the label of each probability column, in order) unless y_true holds column "
                f"indices 0..{k - 1}; got y_true values such as {gold[:3].tolist()}."
            )
        return gold.astype(np.int64)
    if isinstance(labels, (str, bytes)) or len(labels) != k or len(set(labels)) != k:
        raise HomogUsageError(
            f"labels must name each of the {k} probability columns once, in order; got {labels!r}."
        )
    column = {label: i for i, label in enumerate(labels)}
    unknown = sorted({str(label) for label in y_true if label not in column})
    if unknown:
        raise HomogDataError(
            f"y_true has labels that are not among labels= {list(labels)!r}: {unknown[:5]}. Every gold label needs "
            "a probability column."
        )
    return np.fromiter((column[label] for label in y_true), dtype=np.int64, count=len(y_true))


def _probabilities(proba: Any, name: str, n: int, k: int | None) -> np.ndarray:
    """``proba`` as a float ``(n, K)`` array whose rows are probability distributions."""
    array = np.asarray(proba, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != n or (k is not None and array.shape[1] != k):
        want = f"({n}, {k if k is not None else 'K'})"
        raise HomogDataError(f"{name} must be an array of shape {want}, one row per unit; got shape {array.shape}.")
    if array.shape[1] < 2:
        raise HomogDataError(f"{name} has {array.shape[1]} probability column(s); CAPA needs at least 2 labels.")
    bad = ~np.isfinite(array).all(axis=1) | (array < 0).any(axis=1)
    bad |= np.abs(array.sum(axis=1) - 1.0) > ROW_SUM_TOLERANCE
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise HomogDataError(
            f"every row of {name} must be a probability distribution (finite, non-negative, summing to 1); row "
            f"{row} is {array[row].tolist()[:6]} (sum {float(array[row].sum()):.6g}). Pass softmax outputs, not "
            "logits."
        )
    return array


def _flatten(y_true: Any, probabilities: dict[str, Any]) -> tuple[list[Any], dict[str, Any], np.ndarray]:
    """Gold labels, each subject's probability rows and each unit's sentence: per word for tag sequences."""
    if isinstance(y_true, (str, bytes)) or not hasattr(y_true, "__len__"):
        raise HomogUsageError(f"y_true must be a sequence of labels or of tag sequences; got {type(y_true).__name__}.")
    nested = len(y_true) > 0 and not isinstance(y_true[0], (str, bytes)) and hasattr(y_true[0], "__len__")
    if not nested:
        return list(y_true), probabilities, np.arange(len(y_true))
    stacked = {}
    for name, proba in probabilities.items():
        if len(proba) != len(y_true):
            raise HomogDataError(
                f"{name} must hold one (n_words, K) array per sentence: y_true has {len(y_true)} sentences, "
                f"{name} {len(proba)}."
            )
        for i, (tags, rows) in enumerate(zip(y_true, proba, strict=True)):
            if len(rows) != len(tags):
                raise HomogDataError(f"sentence {i} has {len(tags)} tags but {name} has {len(rows)} rows for it.")
        parts = [np.asarray(rows, dtype=np.float64) for rows in proba if len(rows)]  # an empty sentence adds none
        stacked[name] = np.concatenate(parts) if parts else np.zeros((0, 0))
    lengths = np.fromiter(map(len, y_true), dtype=np.int64, count=len(y_true))
    gold = [tag for tags in y_true for tag in tags]
    return gold, stacked, np.repeat(np.arange(len(y_true)), lengths)


def per_sentence_counts(
    y_true: Any, probabilities: dict[str, Any], labels: Sequence[Any] | None
) -> tuple[np.ndarray, float, int]:
    """Validate the input and count, per example (sentence): units, each subject's probability of the gold label,
    and each pair's (``i < j``, row-major) agreement ``sum_k p_i(k) p_j(k)``; with ``1 / (K - 1)`` and the
    number of units."""
    gold, flat, sentence = _flatten(y_true, probabilities)
    if not gold:
        raise HomogDataError("capa needs at least one unit; y_true is empty.")
    k = len(labels) if labels is not None else None
    arrays = []
    for name, proba in flat.items():
        arrays.append(_probabilities(proba, name, len(gold), k))
        k = arrays[-1].shape[1]
    columns = _label_positions(gold, labels, arrays[0].shape[1])
    rows = np.arange(len(gold))
    first, second = np.triu_indices(len(arrays), 1)
    per_unit = np.concatenate(
        [
            np.ones((1, len(gold))),
            np.stack([proba[rows, columns] for proba in arrays]),
            np.stack([(arrays[i] * arrays[j]).sum(axis=1) for i, j in zip(first, second, strict=True)]),
        ]
    )
    return sentence_sums(per_unit, sentence, len(y_true)), 1.0 / (arrays[0].shape[1] - 1), len(gold)


def kappa_from_totals(
    totals: np.ndarray, chance_share: float, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """c_obs, c_exp and kappa_p of every pair from totals of :func:`per_sentence_counts` (last axis) of ``k``
    subjects; kappa_p is NaN where ``c_exp = 1``."""
    first, second = np.triu_indices(k, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        units = totals[..., :1]
        gold = totals[..., 1 : 1 + k] / units
        c_obs = totals[..., 1 + k :] / units
        gold_a, gold_b = gold[..., first], gold[..., second]
        c_exp = gold_a * gold_b + chance_share * (1.0 - gold_a) * (1.0 - gold_b)
        kappa = np.where(c_exp < 1.0, (c_obs - c_exp) / (1.0 - c_exp), np.nan)
    return c_obs, c_exp, kappa


UNDEFINED = (
    "CAPA is undefined (0 / 0) when c_exp = 1: both subjects are certain of the gold label of every unit (or, "
    "with two labels, both certain of the wrong one), so no agreement beyond chance can be measured; reported "
    "as NaN"
)


def capa(
    y_true: Any,
    proba_a: Any,
    proba_b: Any,
    *,
    labels: Sequence[Any] | None = None,
    confidence: float | None = None,
    n_resamples: int = 1000,
    seed: int | None = 0,
) -> ProbabilisticAgreement:
    """Chance-adjusted probabilistic agreement (CAPA, kappa_p) of two subjects' probabilities (Goel et al. 2025).

    ``kappa_p = (c_obs - c_exp) / (1 - c_exp)`` with ``c_obs = mean_i sum_k p_a(k) p_b(k)`` and
    ``c_exp = pbar_a pbar_b + 1 / (K - 1) (1 - pbar_a)(1 - pbar_b)``, ``pbar`` the mean probability of the gold
    label (see the module docstring). Every unit here has the same ``K`` labels, so ``mean_i(1 / (K_i - 1))`` is
    ``1 / (K - 1)``. When ``c_exp = 1`` kappa_p is 0 / 0: it is NaN, with an
    :class:`~pytest_homog.errors.UndefinedMetricWarning`.

    Parameters
    ----------
    y_true : sequence of labels, or sequence of tag sequences
        Gold labels of examples, or gold tags of sentences (CAPA is then computed per word).
    proba_a, proba_b : array-like
        For labels, ``(n_examples, K)`` arrays; for tags, one ``(n_words, K)`` array per sentence. Each row is
        a probability distribution over ``labels`` (rows may miss 1 by :data:`ROW_SUM_TOLERANCE`).
    labels : sequence, optional
        The label of each probability column, in order. Without it ``y_true`` must hold column indices.
    confidence : float, optional
        Nominal coverage of a paired-bootstrap interval over examples (sentences for tags); None computes none.
    n_resamples, seed : int
        Bootstrap replicates and seed, as in :func:`~pytest_homog.metrics.bootstrap.score`.

    Returns
    -------
    ProbabilisticAgreement

    Examples
    --------
    >>> y_true = ["pos", "neg", "pos", "neg"]
    >>> a = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]]
    >>> b = [[0.8, 0.2], [0.1, 0.9], [0.3, 0.7], [0.4, 0.6]]
    >>> result = capa(y_true, a, b, labels=["pos", "neg"])
    >>> round(result.c_obs, 4), round(result.c_exp, 4), round(result.kappa, 4)
    (0.62, 0.575, 0.1059)
    """
    confidence, n_resamples, seed = check_interval_options(confidence, n_resamples, seed)
    per_sentence, chance_share, n = per_sentence_counts(y_true, {"proba_a": proba_a, "proba_b": proba_b}, labels)
    c_obs, c_exp, kappa = (float(x[0]) for x in kappa_from_totals(per_sentence.sum(axis=0), chance_share, 2))
    if math.isnan(kappa):
        warnings.warn(UNDEFINED + ".", UndefinedMetricWarning, stacklevel=2)
    if confidence is None:
        return ProbabilisticAgreement(kappa, c_obs, c_exp, n)
    replicates = kappa_from_totals(replicate_totals(per_sentence, n_resamples, seed), chance_share, 2)[2][:, 0]
    low, high = interval(replicates, confidence)
    return ProbabilisticAgreement(kappa, c_obs, c_exp, n, low, high, confidence)
