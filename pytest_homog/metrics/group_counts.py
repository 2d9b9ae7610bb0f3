"""Counts of the group measures kept per sentence, and their paired-bootstrap replicates.

Every group measure (outcome homogenization, shared failure, each entry of a similarity matrix) is a function of
a few counts over units: how many units there are, how many each subject fails, how many every subject fails,
how many each pair gets right together. Those counts are summed per sentence (example, for flat labels) once.
A bootstrap replicate draws sentences with replacement, the same ones for every subject (paired, as
:func:`~pytest_homog.metrics.bootstrap.compare` does), and its counts are the drawn sentences' sums: one matrix
product of the replicates' draw counts with the per-sentence counts gives every replicate at once. The measure
follows from the counts, and the interval from
:func:`~pytest_homog.metrics.bootstrap.percentile_interval`.

References
----------
Bommasani, Creel, Kumar, Jurafsky and Liang (2022), "Picking on the Same Person: Does Algorithmic Monoculture
lead to Outcome Homogenization?", NeurIPS.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from pytest_homog.metrics.agreement import kappa_from_counts, yules_q_counts
from pytest_homog.metrics.bootstrap import bootstrap_indices, percentile_interval

__all__ = [
    "PairCounts",
    "failure_columns",
    "homogenization_from_totals",
    "interval",
    "pair_columns",
    "pair_counts",
    "pair_measure",
    "replicate_totals",
    "sentence_sums",
    "shared_failure_from_rates",
]


def sentence_sums(columns: np.ndarray, sentence: np.ndarray, n_sentences: int) -> np.ndarray:
    """Each row of ``columns`` (``(c, units)``) summed per sentence: ``(n_sentences, c)``.

    ``sentence`` (the sentence of every unit) must be non-decreasing, as the units of a corpus are.

    Examples
    --------
    >>> sentence_sums(np.array([[1, 1, 0], [0, 1, 1]]), np.array([0, 0, 2]), 3).tolist()
    [[2.0, 1.0], [0.0, 0.0], [0.0, 1.0]]
    """
    out = np.zeros((n_sentences, columns.shape[0]))
    if sentence.size:
        present, first = np.unique(sentence, return_index=True)
        out[present] = np.add.reduceat(columns, first, axis=1, dtype=np.float64).T
    return out


def replicate_totals(per_sentence: np.ndarray, n_resamples: int, seed: int | None) -> np.ndarray:
    """The column totals of every bootstrap replicate: ``(n_resamples, c)``.

    Replicate ``r`` draws the sentences of row ``r`` of
    :func:`~pytest_homog.metrics.bootstrap.bootstrap_indices` (the same draws as ``score`` and ``compare`` with the
    same seed); its totals are ``weights @ per_sentence`` with ``weights[s]`` the times sentence ``s`` was drawn.
    """
    n = per_sentence.shape[0]
    parts = []
    for idx in bootstrap_indices(n, n_resamples, seed):
        size = idx.shape[0]
        drawn = np.bincount((idx + (np.arange(size) * n)[:, None]).ravel(), minlength=size * n)
        parts.append(drawn.reshape(size, n).astype(np.float64) @ per_sentence)
    return np.concatenate(parts)


def interval(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    """:func:`~pytest_homog.metrics.bootstrap.percentile_interval` of replicates where an undefined measure is
    NaN, or NaN bounds when more than ``(1 - confidence) / 2`` of them are undefined.

    Undefined replicates (a resample where some subject fails nothing) are left out, as the percentile interval
    leaves them out; but once they are more than the share a bound cuts off, that bound could lie anywhere
    among them, so neither bound is reported and a gate on it cannot pass.

    Examples
    --------
    >>> interval(np.array([0.0, 1.0, 2.0, 3.0, 4.0]), 0.5)
    (1.0, 3.0)
    >>> interval(np.array([0.0, 1.0, np.nan, np.nan]), 0.5)
    (nan, nan)
    """
    if np.count_nonzero(np.isnan(replicates)) > (1.0 - confidence) / 2.0 * replicates.size:
        return math.nan, math.nan
    return percentile_interval(replicates, confidence)


# ----------------------------------------------------------------------------------------------------------
# outcome homogenization and shared failure of a group
# ----------------------------------------------------------------------------------------------------------


def failure_columns(right: np.ndarray, sentence: np.ndarray, n_sentences: int) -> np.ndarray:
    """Per sentence: units, units each subject fails, units every subject fails; ``(n_sentences, k + 2)``."""
    failed = ~right
    every = np.all(failed, axis=0, keepdims=True)
    columns = np.concatenate([np.ones((1, right.shape[1]), dtype=bool), failed, every])
    return sentence_sums(columns, sentence, n_sentences)


def shared_failure_from_rates(systemic: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """``(s - prod f) / (min f - prod f)`` along the last axis of ``rates``; NaN where it is 0 / 0."""
    expected = np.prod(rates, axis=-1)
    attainable = np.min(rates, axis=-1) - expected
    # the product of rates in [0, 1] never exceeds their minimum; it equals it when that minimum is 0 or every
    # other rate is 1, and then no pattern of failures can differ from independence
    defined = attainable > 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(defined, (systemic - expected) / np.where(defined, attainable, 1.0), np.nan)


def homogenization_from_totals(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outcome homogenization and shared failure from the totals of :func:`failure_columns` (last axis); NaN
    where either is undefined (no unit, or an expected rate of 0, or no attainable excess)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        units = totals[..., :1]
        rates = totals[..., 1:-1] / units
        systemic = totals[..., -1] / units[..., 0]
        expected = np.prod(rates, axis=-1)
        homogenization = np.where(expected > 0.0, systemic / np.where(expected > 0.0, expected, 1.0), np.nan)
    return homogenization, shared_failure_from_rates(systemic, rates)


# ----------------------------------------------------------------------------------------------------------
# pairs
# ----------------------------------------------------------------------------------------------------------


def pair_columns(right: np.ndarray, spurious: np.ndarray, sentence: np.ndarray, n_sentences: int) -> np.ndarray:
    """Per sentence, the counts every pair measure on outcomes is made of.

    Columns: gold units; then each subject's gold units right; then each pair's (``i < j``, row-major) gold
    units both right. With predicted spans (``spurious``), three more blocks: spans, each subject's spans right
    (not predicted), each pair's spans both right. A pair is compared on the gold units and on the spans at
    least one of the two predicts (:func:`pair_counts`), so its value does not depend on the rest of the group.
    """
    k = right.shape[0]
    blocks = [~spurious] + ([spurious] if spurious.any() else [])
    out = []
    for mask in blocks:
        kept = right[:, mask]
        pairs = [kept[i] & kept[i + 1 :] for i in range(k - 1)]
        columns = np.concatenate([np.ones((1, kept.shape[1]), dtype=bool), kept, *pairs])
        out.append(sentence_sums(columns, sentence[mask], n_sentences))
    return np.concatenate(out, axis=1)


class PairCounts(NamedTuple):
    """Units, right by the first, right by the second and right by both, for every pair ``i < j`` (last axis)."""

    n: np.ndarray
    right_a: np.ndarray
    right_b: np.ndarray
    both_right: np.ndarray


def pair_counts(totals: np.ndarray, k: int) -> PairCounts:
    """:class:`PairCounts` from totals of :func:`pair_columns` (last axis) for ``k`` subjects.

    On the spans neither member of a pair predicts (both right), the pair is not compared: they are left out of
    its units, and on the spans it does compare no unit is right for both.
    """
    first, second = np.triu_indices(k, 1)
    block = 1 + k + first.size

    def parts(offset: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        units = totals[..., offset : offset + 1]
        right = totals[..., offset + 1 : offset + 1 + k]
        return units, right[..., first], right[..., second], totals[..., offset + 1 + k : offset + block]

    units, right_a, right_b, both = parts(0)
    if totals.shape[-1] == block:
        return PairCounts(np.broadcast_to(units, both.shape), right_a, right_b, both)
    span_units, span_a, span_b, span_both = parts(block)
    # a span is compared when at least one of the pair predicts it (is wrong on it)
    return PairCounts(
        units + span_units - span_both, right_a + span_a - span_both, right_b + span_b - span_both, both
    )


def pair_measure(counts: PairCounts, by: str) -> tuple[np.ndarray, np.ndarray]:
    """Error consistency (kappa), Yule's Q or shared failure of every pair, and where it is undefined.

    Undefined kappa and Q take their documented values (see :mod:`pytest_homog.metrics.agreement`); undefined
    shared failure is NaN.
    """
    n, right_a, right_b, both = counts.n, counts.right_a, counts.right_b, counts.both_right
    with np.errstate(divide="ignore", invalid="ignore"):
        if by == "error_consistency":
            _, _, kappa, undefined = kappa_from_counts(n, right_a, right_b, both)
            return kappa, undefined
        both_wrong = n - right_a - right_b + both
        if by == "yules_q":
            return yules_q_counts(both, both_wrong, right_a - both, right_b - both)
        rates = np.stack([1.0 - right_a / n, 1.0 - right_b / n], axis=-1)
        values = shared_failure_from_rates(both_wrong / n, rates)
    return values, np.isnan(values)
