"""Bootstrap estimates: a metric with its confidence interval, and the paired difference of two predictions.

The bootstrap here resamples units (sentences for nested input, examples for flat labels) with replacement;
its intervals are BCa by default (:func:`percentile_interval`), the percentile interval on request. It never
re-runs a metric per replicate: the data are counted once per unit (true positives, predictions and gold items,
per label when an average needs it; see :func:`pytest_homog.metrics.counts.unit_counts`); one
``(n_resamples, n)`` matrix of drawn unit indices then gives every replicate's pooled counts at once (a
gather-and-sum for micro averages, a matrix product ``weights @ counts`` per label for macro and weighted ones),
and the metric follows from the counts. BCa's jackknife subtracts each unit's counts from the totals, again
without re-running the metric.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from pytest_homog.corpus import Corpus, Predictions
from pytest_homog.errors import HomogDataError, HomogUsageError
from pytest_homog.metrics.counts import SeedCounts, UnitCounts, count_units, unit_counts
from pytest_homog.metrics.quality import (
    WARN_FOR,
    check_average,
    check_metric,
    check_zero_division,
    scores_from_totals,
)

__all__ = [
    "DETECTION_POWER",
    "INTERVALS",
    "Estimate",
    "Resampler",
    "bca_constants",
    "bootstrap_indices",
    "bootstrap_p_value",
    "check_confidence",
    "check_interval",
    "check_n_resamples",
    "check_seed",
    "compare",
    "count_pair",
    "detectable_change",
    "estimate_from_counts",
    "estimate_from_replicates",
    "jackknife_values",
    "paired_difference",
    "percentile_interval",
    "point_value",
    "replicate_values",
    "score",
    "standard_error",
]

_METRIC_INDEX = {"precision": 0, "recall": 1, "f1": 2}
_TIE = 1e-12
#: the intervals ``score`` and ``compare`` make: BCa (default) or percentile
INTERVALS = ("bca", "percentile")
#: the power at which the checks state the change their test set can detect (the usual 80%, Cohen 1988)
DETECTION_POWER = 0.8
# at most this many weights (replicates x units) are held at once
_CHUNK = 4_000_000


@dataclass(frozen=True)
class Estimate:
    """A metric value with its bootstrap confidence interval (BCa or percentile).

    Attributes
    ----------
    value : float
        The point estimate on all the data (for :func:`compare`, the difference a - b).
    low, high : float
        The bounds of the confidence interval.
    confidence : float
        The interval's nominal coverage, e.g. 0.95.
    n : int
        Number of units resampled (sentences, or examples for flat labels).
    metric : str
        ``"precision"``, ``"recall"`` or ``"f1"``.
    p_value : float or None
        For :func:`compare`: the two-sided bootstrap p-value of "no difference"; ``None`` for :func:`score`.
    level, average : str or None
        What was counted and how labels were averaged.
    n_resamples : int
        Number of bootstrap replicates.
    standard_error : float or None
        The standard deviation of the defined replicates (the bootstrap standard error), for
        :func:`detectable_change`; ``None`` where it was not computed.
    replicates, jackknife : numpy.ndarray or None
        The bootstrap replicates and, for a BCa interval, the jackknife values it was read from; kept so that a
        gate can ask :meth:`tail_p_value` how far its bound is from a threshold. Not compared, not shown.
    seeds : tuple of int or None
        When a subject is a seeds subject (:func:`~pytest_homog.seeds`): the number of runs of each subject,
        ``(3,)`` for :func:`score`, ``(3, 1)`` for :func:`compare` of three runs with one; the value is then the
        mean over runs and the interval the multi-bootstrap's. ``None`` otherwise.

    Examples
    --------
    >>> print(Estimate(0.4181, 0.3922, 0.4449, 0.95, 1287, "f1"))
    0.418 [0.392, 0.445] 95% CI, n=1287
    """

    value: float
    low: float
    high: float
    confidence: float
    n: int
    metric: str = "f1"
    p_value: float | None = None
    level: str | None = None
    average: str | None = None
    n_resamples: int = 0
    standard_error: float | None = None
    replicates: np.ndarray | None = field(default=None, compare=False, repr=False)
    jackknife: np.ndarray | None = field(default=None, compare=False, repr=False)
    seeds: tuple[int, ...] | None = None

    def tail_p_value(self, threshold: float, bound: str = "low") -> float:
        """The one-sided bootstrap p-value of the gate ``low >= threshold`` (``bound="low"``) or ``high <=
        threshold`` (``bound="high"``): see :func:`pytest_homog.metrics.tail.tail_p_value`. NaN when the replicates
        were not kept.

        Examples
        --------
        >>> est = score(["a", "b"] * 20, ["a", "b"] * 15 + ["b", "a"] * 5, "f1", n_resamples=500)
        >>> est.tail_p_value(0.9) > 0.5, est.tail_p_value(0.5) < 0.01
        (True, True)
        """
        from pytest_homog.metrics.tail import tail_p_value

        if self.replicates is None:
            return math.nan
        return tail_p_value(self.replicates, threshold, bound=bound, value=self.value, jackknife=self.jackknife)

    def __str__(self) -> str:
        text = f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}] {self.confidence * 100:g}% CI, n={self.n}"
        if self.seeds is not None:
            text += f", seeds={' vs '.join(map(str, self.seeds))}"
        if self.p_value is not None:
            text += f", p={self.p_value:.3g}"
        return text


def check_confidence(confidence: object, name: str = "confidence") -> float:
    """Return ``confidence`` as a float if it lies strictly between 0 and 1.

    Examples
    --------
    >>> check_confidence(0.9)
    0.9
    """
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, (int, float, np.integer, np.floating))
        or math.isnan(float(confidence))
        or not 0.0 < float(confidence) < 1.0
    ):
        raise HomogUsageError(f"{name} must be a number strictly between 0 and 1 (e.g. 0.95); got {confidence!r}.")
    return float(confidence)


def detectable_change(standard_error: float, confidence: float | None, power: float = DETECTION_POWER) -> float:
    """The smallest true change that a test with this standard error detects with probability ``power``.

    A gate on a two-sided ``confidence`` interval sees a change once the estimate lies ``z_{1 - alpha/2} * se``
    beyond the bound; an estimate spread normally around a true change ``delta`` gets there with probability
    ``power`` when ``delta = (z_{1 - alpha/2} + z_power) * se`` (the minimum detectable effect of a normal
    test, Cohen 1988). ``confidence=None`` is a gate on the point estimate: the critical value is 0, so
    ``delta = z_power * se``. ``standard_error`` is the bootstrap standard error of what the gate compares
    (:attr:`Estimate.standard_error`), so the change is in the metric's own units.

    Examples
    --------
    >>> round(detectable_change(0.01, 0.95), 4)     # (1.96 + 0.8416) * 0.01
    0.028
    >>> round(detectable_change(0.01, None), 4)
    0.0084
    """
    normal = NormalDist()
    critical = 0.0 if confidence is None else normal.inv_cdf(1.0 - (1.0 - check_confidence(confidence)) / 2.0)
    return (critical + normal.inv_cdf(check_confidence(power, "power"))) * float(standard_error)


def standard_error(replicates: np.ndarray) -> float:
    """The bootstrap standard error: the standard deviation of the defined (non-NaN) replicates; NaN with
    fewer than two."""
    defined = replicates[~np.isnan(replicates)]
    return float(np.std(defined, ddof=1)) if defined.size > 1 else math.nan


def check_interval(interval: object) -> str:
    """Return ``interval`` if it is one of :data:`INTERVALS`."""
    if not isinstance(interval, str) or interval not in INTERVALS:
        raise HomogUsageError(f"interval must be 'bca' or 'percentile'; got {interval!r}.")
    return interval


def check_n_resamples(n_resamples: object) -> int:
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1:
        raise HomogUsageError(f"n_resamples must be a positive integer (e.g. 1000); got {n_resamples!r}.")
    return int(n_resamples)


def check_seed(seed: object) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise HomogUsageError(f"seed must be a non-negative integer or None; got {seed!r}.")
    return int(seed)


def bootstrap_indices(n: int, n_resamples: int, seed: int | None) -> Iterator[np.ndarray]:
    """Resampled unit indices in chunks of rows: row ``r`` lists the ``n`` units drawn in replicate ``r``.

    The same ``n``, ``n_resamples`` and ``seed`` give the same rows, so two predictions compared with the same
    seed are resampled identically.

    Examples
    --------
    >>> idx = np.concatenate(list(bootstrap_indices(5, 3, seed=0)))
    >>> idx.shape, bool(idx.min() >= 0 and idx.max() < 5)
    ((3, 5), True)
    """
    rng = np.random.default_rng(seed)
    rows = max(1, _CHUNK // max(n, 1))
    for first in range(0, n_resamples, rows):
        yield rng.integers(0, n, size=(min(rows, n_resamples - first), n))


_BITS = 21  # three counts packed in one int64: each replicate total must stay below 2**21


class Resampler:
    """Pools one prediction's per-unit counts over bootstrap replicates."""

    def __init__(self, counts: UnitCounts, average: str | None) -> None:
        self.counts = counts
        self.by_label = average in ("macro", "weighted")
        self.per_unit = counts.per_unit(by_label=self.by_label)
        self.packed: np.ndarray | None = None
        limit = 1 << _BITS
        if not self.by_label and counts.n_units * int(self.per_unit.max(initial=0)) < limit:
            # one gather instead of three: tp | pred << 21 | gold << 42
            cols = self.per_unit.astype(np.int64)
            self.packed = cols[:, 0] | (cols[:, 1] << _BITS) | (cols[:, 2] << (2 * _BITS))

    def pooled(self, idx: np.ndarray) -> np.ndarray:
        """Counts of every replicate (row of ``idx``): ``(replicates, 3)`` or ``(replicates, 3 * labels)``."""
        if self.packed is not None:
            total = self.packed[idx].sum(axis=1)
            mask = (1 << _BITS) - 1
            return np.stack([total & mask, (total >> _BITS) & mask, total >> (2 * _BITS)], axis=1).astype(np.float64)
        size, n = idx.shape
        flat = (idx + (np.arange(size) * n)[:, None]).ravel()
        weights = np.bincount(flat, minlength=size * n).reshape(size, n).astype(np.float64)
        return weights @ self.per_unit


def replicate_values(
    resampler: Resampler, idx: np.ndarray, metric: str, average: str | None, zero_value: float
) -> np.ndarray:
    """The metric in every replicate (rows of ``idx``), computed from pooled counts."""
    return _values_from_pooled(resampler, resampler.pooled(idx), metric, average, zero_value)


def jackknife_values(resampler: Resampler, metric: str, average: str | None, zero_value: float) -> np.ndarray:
    """The metric with each unit left out in turn (one value per unit): the jackknife of BCa's acceleration.

    Examples
    --------
    >>> counts = unit_counts([["B-PER"], ["B-LOC"], ["O"]], [["B-PER"], ["O"], ["B-ORG"]])
    >>> jackknife_values(Resampler(counts, "micro"), "f1", "micro", 0.0).round(3).tolist()
    [0.0, 0.667, 0.667]
    """
    per_unit = resampler.counts.per_unit(by_label=resampler.by_label)
    return _values_from_pooled(resampler, per_unit.sum(axis=0) - per_unit, metric, average, zero_value)


def _values_from_pooled(
    resampler: Resampler, pooled: np.ndarray, metric: str, average: str | None, zero_value: float
) -> np.ndarray:
    """The metric of each row of pooled counts (``(rows, 3)``, or ``(rows, 3 * labels)`` by label)."""
    counts = resampler.counts
    by_label = resampler.by_label
    n_labels = len(counts.labels) if by_label else 1
    tp = pooled[:, :n_labels]
    pred = pooled[:, n_labels : 2 * n_labels]
    gold = pooled[:, 2 * n_labels :]
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "precision":
            num, den = tp, pred
        elif metric == "recall":
            num, den = tp, gold
        else:
            num, den = 2.0 * tp, pred + gold
        values = np.where(den == 0, zero_value, num / np.where(den == 0, 1.0, den))
    if not by_label:
        return values[:, 0]
    # a label absent from a resample (neither predicted nor gold) is not part of that resample's average
    present = (pred + gold > 0) if not counts.explicit_labels else np.ones_like(pred, dtype=bool)
    present &= ~np.isnan(values)
    weights = gold if average == "weighted" else np.ones_like(gold)
    weights = np.where(present, weights, 0.0)
    unweighted = np.where(present, 1.0, 0.0)
    wsum = weights.sum(axis=1)
    use = np.where(wsum[:, None] > 0, weights, unweighted)
    total = use.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(present, values, 0.0)
        mean = (out * use).sum(axis=1) / np.where(total == 0, 1.0, total)
    # no label at all in a resample: the value of an undefined metric
    return np.where(present.any(axis=1), mean, zero_value)


def point_value(counts: UnitCounts, metric: str, average: str | None, zero_division: str | float) -> float:
    """``metric`` on all of ``counts`` (no resampling): the value an estimate reports."""
    tp, pred, gold = counts.totals()
    values = scores_from_totals(
        tp,
        pred,
        gold,
        average=average,
        zero_division=zero_division,
        warn_for=WARN_FOR[metric],
        level=counts.level,
    )
    return float(values[_METRIC_INDEX[metric]])


def percentile_interval(
    replicates: np.ndarray,
    confidence: float,
    *,
    value: float | None = None,
    jackknife: np.ndarray | None = None,
) -> tuple[float, float]:
    """The bootstrap interval of ``replicates``: percentile, or BCa given the point ``value`` and ``jackknife``.

    Every bootstrap interval of the package comes from here. Alone, it is the percentile interval: the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the replicates, linearly interpolated, as
    ``scipy.stats.bootstrap(method="percentile")``. With the point ``value`` and the ``jackknife`` values (the
    measure with each unit left out), it is Efron's BCa interval (bias-corrected and accelerated; Efron and
    Tibshirani 1993, ch. 14), as ``scipy.stats.bootstrap(method="BCa")`` computes it: the same quantiles taken
    at ``Phi(z0 + (z0 + z) / (1 - a (z0 + z)))`` for ``z`` the normal quantiles of the two levels, where the
    bias correction ``z0`` is the normal quantile of the share of replicates below ``value`` (ties count half)
    and the acceleration ``a`` is the skewness of the jackknife, ``sum(d^3) / (6 sum(d^2)^1.5)`` with ``d`` the
    jackknife mean minus each jackknife value. BCa corrects the percentile interval's under-coverage when the
    replicates are biased or skewed, as a ratio such as F1 is on a few dozen sentences. Where ``value`` lies
    outside every replicate the share is clipped to ``[1 / (2B), 1 - 1 / (2B)]`` (scipy returns NaN there).

    It uses ``nanquantile``, not ``quantile``: a replicate where the measure is undefined (a metric with
    ``zero_division=nan`` on a resample with nothing to score) is NaN and must be left out, not turn the whole
    interval into NaN; on replicates without NaN (every divergence, whose undefined replicates take a
    documented value) the two agree exactly.

    Examples
    --------
    >>> percentile_interval(np.array([0.0, 1.0, 2.0, 3.0, 4.0, np.nan]), 0.5)
    (1.0, 3.0)
    >>> percentile_interval(np.array([0.0, 1.0, 2.0, 3.0, 4.0]), 0.5, value=2.0, jackknife=np.array([1.0, 2.0, 3.0]))
    (1.0, 3.0)
    """
    alpha = 1.0 - confidence
    defined = replicates[~np.isnan(replicates)]
    if defined.size == 0:
        return math.nan, math.nan
    levels = [alpha / 2.0, 1.0 - alpha / 2.0]
    if value is not None and jackknife is not None and not math.isnan(value):
        levels = _bca_levels(defined, levels, value, jackknife)
    low, high = np.quantile(defined, levels)
    return float(low), float(high)


def bca_constants(defined: np.ndarray, value: float, jackknife: np.ndarray) -> tuple[float, float]:
    """BCa's bias correction ``z0`` and acceleration ``a`` (see :func:`percentile_interval`) of the defined
    replicates, the point ``value`` and the ``jackknife`` values."""
    normal = NormalDist()
    size = defined.size
    # a replicate equal to the value up to rounding is a tie: the same counts summed in another order
    tied = np.isclose(defined, value, rtol=0.0, atol=_TIE)
    share = (np.sum((defined < value) & ~tied) + 0.5 * np.sum(tied)) / size
    bias = normal.inv_cdf(min(max(share, 0.5 / size), 1.0 - 0.5 / size))
    spread = np.nanmean(jackknife) - jackknife[~np.isnan(jackknife)]
    # a jackknife constant up to rounding has no skew (the ratio below would blow the rounding up to any value)
    spread = np.where(np.abs(spread) > _TIE, spread, 0.0)
    scale = 6.0 * float(np.sum(spread**2)) ** 1.5
    acceleration = float(np.sum(spread**3)) / scale if scale > 0 else 0.0
    return bias, acceleration


def _bca_levels(defined: np.ndarray, levels: list[float], value: float, jackknife: np.ndarray) -> list[float]:
    normal = NormalDist()
    bias, acceleration = bca_constants(defined, value, jackknife)
    adjusted = []
    for level in levels:
        shifted = bias + normal.inv_cdf(level)
        # 1 - a (z0 + z) <= 0 only for an extreme acceleration, where the correction has no meaning
        denominator = 1.0 - acceleration * shifted
        adjusted.append(normal.cdf(bias + shifted / denominator) if denominator > 0 else level)
    return adjusted


def _check_estimate_options(
    metric: str,
    average: str | None,
    confidence: float,
    n_resamples: int,
    seed: int | None,
    zero_division: str | float,
) -> tuple[str, str | None, float, int, int | None, str | float]:
    if average is None:
        raise HomogUsageError(
            "average=None gives one value per label; an estimate needs a single number: use average='micro', "
            "'macro' or 'weighted'."
        )
    return (
        check_metric(metric),
        check_average(average),
        check_confidence(confidence),
        check_n_resamples(n_resamples),
        check_seed(seed),
        check_zero_division(zero_division),
    )


def score(
    y_true: Any,
    y_pred: Any,
    metric: str = "f1",
    *,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    average: str = "micro",
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int | None = 0,
    zero_division: str | float = "warn",
    labels: Sequence[Any] | None = None,
    interval: str = "bca",
) -> Estimate:
    """A metric with its bootstrap confidence interval (BCa by default).

    The value is the metric on all the data (equal to :func:`~pytest_homog.metrics.quality.f1_score` and its
    siblings). The interval comes from the metric over ``n_resamples`` resamples of the units (sentences;
    examples for flat labels) drawn with replacement. ``interval="percentile"``: its bounds are the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the replicates, linearly interpolated, as
    ``scipy.stats.bootstrap(method="percentile")`` computes them. ``interval="bca"`` (default) takes the
    quantiles at levels corrected for the replicates' bias and skew, as ``method="BCa"`` does (see
    :func:`percentile_interval`): the percentile interval covers 93% for a nominal 95% on 40 sentences, BCa 95%
    (``benchmarks/bench_coverage.py``). Replicates where the metric is undefined (``zero_division=nan``) are
    left out. See the module docstring for how all replicates come out of one matrix product.

    ``y_pred`` may be a seeds subject (:func:`~pytest_homog.seeds`, several runs of one model): the value is
    then the mean over runs, and the interval the percentile interval of the multi-bootstrap, which resamples
    the runs and the units together (Sellam et al. 2022; :mod:`pytest_homog.metrics.seed_bootstrap`), whatever
    ``interval`` says.

    Parameters
    ----------
    y_true, y_pred
        As in :func:`~pytest_homog.metrics.quality.f1_score`.
    metric : {"f1", "precision", "recall"}
    level, scheme, mode, average, zero_division, labels
        As in :func:`~pytest_homog.metrics.quality.f1_score`; ``average`` may not be ``None``.
    confidence : float
        Nominal coverage of the interval, strictly between 0 and 1.
    n_resamples : int
        Number of bootstrap replicates.
    seed : int or None
        Seed of the resampling; the same seed gives the same interval. ``None`` draws a fresh one.
    interval : {"bca", "percentile"}
        How the interval is read from the replicates.

    Returns
    -------
    Estimate

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "I-LOC"], ["O", "B-ORG"], ["B-PER", "I-PER"]]
    >>> y_pred = [["B-PER", "O"], ["B-LOC", "O"], ["O", "B-ORG"], ["B-PER", "I-PER"]]
    >>> est = score(y_true, y_pred, n_resamples=200)
    >>> est.value, est.n, est.low <= est.value <= est.high
    (0.75, 4, True)
    """
    metric, average_, confidence, n_resamples, seed, checked_zero_division = _check_estimate_options(
        metric, average, confidence, n_resamples, seed, zero_division
    )
    checked_interval = check_interval(interval)
    counts = unit_counts(y_true, y_pred, level=level, scheme=scheme, mode=mode, labels=labels)
    return estimate_from_counts(
        counts,
        metric=metric,
        average=average_,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
        zero_division=checked_zero_division,
        interval=checked_interval,
    )


def estimate_from_counts(
    counts: UnitCounts,
    *,
    metric: str,
    average: str | None,
    confidence: float,
    n_resamples: int,
    seed: int | None,
    zero_division: str | float,
    interval: str = "bca",
) -> Estimate:
    """:func:`score` on counts already made by :func:`~pytest_homog.metrics.counts.count_units`.

    Arguments must be valid already (the assertions count once, then report and bootstrap from the counts).
    Counts of several runs (:class:`~pytest_homog.metrics.counts.SeedCounts`) go to
    :func:`~pytest_homog.metrics.seed_bootstrap.seed_estimate`.
    """
    if isinstance(counts, SeedCounts):
        from pytest_homog.metrics.seed_bootstrap import seed_estimate

        return seed_estimate(
            counts,
            metric=metric,
            average=average,
            confidence=confidence,
            n_resamples=n_resamples,
            seed=seed,
            zero_division=zero_division,
        )
    value = point_value(counts, metric, average, zero_division)
    zero_value = 0.0 if zero_division == "warn" else float(zero_division)
    resampler = Resampler(counts, average)
    replicates = np.concatenate(
        [
            replicate_values(resampler, idx, metric, average, zero_value)
            for idx in bootstrap_indices(counts.n_units, n_resamples, seed)
        ]
    )
    jackknife = jackknife_values(resampler, metric, average, zero_value) if interval == "bca" else None
    return estimate_from_replicates(
        value, replicates, counts, metric=metric, average=average, confidence=confidence, jackknife=jackknife
    )


def compare(
    y_true: Any,
    y_pred_a: Any,
    y_pred_b: Any,
    metric: str = "f1",
    *,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    average: str = "micro",
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int | None = 0,
    zero_division: str | float = "warn",
    labels: Sequence[Any] | None = None,
    interval: str = "bca",
) -> Estimate:
    """The paired difference ``metric(a) - metric(b)`` with its bootstrap interval and p-value.

    Both predictions are scored on the same resampled units in every replicate (paired bootstrap, DESIGN.md).
    ``p_value`` is the two-sided bootstrap p-value of "no difference": twice the smaller share of replicates
    on either side of zero, ``2 * min(#(d <= 0) + 1, #(d >= 0) + 1) / (B + 1)``, capped at 1, where ``B`` counts
    the replicates in which the difference is defined (all ``n_resamples`` unless ``zero_division=nan`` leaves
    a metric undefined in some; those are left out of the interval too, and the p-value is NaN when none is
    defined). It is about the smallest ``1 - confidence`` whose percentile interval excludes zero (the BCa
    interval can differ from that by its bias correction); identical predictions give 1.

    Either prediction may be a seeds subject (:func:`~pytest_homog.seeds`): the difference is then that of the
    means over runs, and each replicate draws the units once for both and each side's runs independently
    (the paired multi-bootstrap, :func:`~pytest_homog.metrics.seed_bootstrap.seed_difference`); the interval is
    the percentile interval whatever ``interval`` says.

    Parameters
    ----------
    y_true, y_pred_a, y_pred_b
        References and two predictions of them.
    metric, level, scheme, mode, average, confidence, n_resamples, seed, zero_division, labels, interval
        As in :func:`score`; the jackknife of BCa leaves out one unit from both predictions at once.

    Returns
    -------
    Estimate
        ``value`` is the difference on all the data, ``p_value`` is set.

    Examples
    --------
    >>> y_true = [["B-PER"], ["B-LOC"], ["B-ORG"], ["O"]] * 10
    >>> a = [["B-PER"], ["B-LOC"], ["B-ORG"], ["O"]] * 10
    >>> b = [["B-PER"], ["O"], ["B-ORG"], ["O"]] * 10
    >>> diff = compare(y_true, a, b, n_resamples=500)
    >>> round(diff.value, 3), diff.p_value < 0.01
    (0.2, True)
    """
    metric, average_, confidence, n_resamples, seed, checked_zero_division = _check_estimate_options(
        metric, average, confidence, n_resamples, seed, zero_division
    )
    checked_interval = check_interval(interval)
    corpus = Corpus(y_true, scheme=scheme, mode=mode)
    counts_a, counts_b = count_pair(y_pred_a, y_pred_b, corpus, level=corpus.resolve_level(level), labels=labels)
    return paired_difference(
        counts_a,
        counts_b,
        metric=metric,
        average=average_,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
        zero_division=checked_zero_division,
        interval=checked_interval,
    )


def count_pair(
    a: Any, b: Any, corpus: Corpus, *, level: str, labels: Sequence[Any] | None = None
) -> tuple[UnitCounts, UnitCounts]:
    """The counts of two predictions (plain, or :class:`~pytest_homog.corpus.Predictions` bound to ``corpus``)
    at a resolved ``level``; data errors say which of the two they are about."""
    counts = []
    for y_pred, name in ((a, "y_pred_a"), (b, "y_pred_b")):
        try:
            predictions = y_pred if isinstance(y_pred, Predictions) else corpus.bind(y_pred, name=name)
            counts.append(count_units(predictions, level=level, labels=labels))
        except HomogDataError as exc:
            raise HomogDataError(f"y_true and {name} do not fit together: {exc}") from exc
    return counts[0], counts[1]


def paired_difference(
    counts_a: UnitCounts,
    counts_b: UnitCounts,
    *,
    metric: str,
    average: str | None,
    confidence: float,
    n_resamples: int,
    seed: int | None,
    zero_division: str | float,
    interval: str = "bca",
) -> Estimate:
    """:func:`compare` on counts of two predictions of one corpus; arguments must be valid already. Counts of
    several runs on either side (:class:`~pytest_homog.metrics.counts.SeedCounts`) go to
    :func:`~pytest_homog.metrics.seed_bootstrap.seed_difference`."""
    if isinstance(counts_a, SeedCounts) or isinstance(counts_b, SeedCounts):
        from pytest_homog.metrics.seed_bootstrap import seed_difference

        return seed_difference(
            counts_a,
            counts_b,
            metric=metric,
            average=average,
            confidence=confidence,
            n_resamples=n_resamples,
            seed=seed,
            zero_division=zero_division,
        )
    scoring = (metric, average, zero_division)
    value = point_value(counts_a, *scoring) - point_value(counts_b, *scoring)
    zero_value = 0.0 if zero_division == "warn" else float(zero_division)
    parts = []
    resampler_a, resampler_b = Resampler(counts_a, average), Resampler(counts_b, average)
    for idx in bootstrap_indices(counts_a.n_units, n_resamples, seed):
        parts.append(
            replicate_values(resampler_a, idx, metric, average, zero_value)
            - replicate_values(resampler_b, idx, metric, average, zero_value)
        )
    diffs = np.concatenate(parts)
    jackknife = None
    if interval == "bca":
        jackknife = jackknife_values(resampler_a, metric, average, zero_value) - jackknife_values(
            resampler_b, metric, average, zero_value
        )
    return estimate_from_replicates(
        value, diffs, counts_a, metric=metric, average=average, confidence=confidence, jackknife=jackknife, paired=True
    )


def estimate_from_replicates(
    value: float,
    replicates: np.ndarray,
    counts: UnitCounts,
    *,
    metric: str,
    average: str | None,
    confidence: float,
    jackknife: np.ndarray | None = None,
    paired: bool = False,
    seeds: tuple[int, ...] | None = None,
) -> Estimate:
    """The :class:`Estimate` of ``value`` from its bootstrap ``replicates``: the interval (BCa given the
    ``jackknife``, else percentile), the standard error and, for a ``paired`` difference, its p-value; ``counts``
    says how many units were resampled and at which level."""
    low, high = percentile_interval(replicates, confidence, value=value, jackknife=jackknife)
    return Estimate(
        value,
        low,
        high,
        confidence,
        counts.n_units,
        metric,
        bootstrap_p_value(replicates) if paired else None,
        counts.level,
        average,
        replicates.size,
        standard_error(replicates),
        replicates,
        jackknife,
        seeds,
    )


def bootstrap_p_value(diffs: np.ndarray) -> float:
    """The two-sided bootstrap p-value of "no difference" from the replicates of a difference."""
    # replicates where either metric is undefined (zero_division=nan) are left out of the p-value, as they are
    # left out of the interval
    defined = diffs[~np.isnan(diffs)]
    if defined.size == 0:
        return math.nan
    below = int(np.sum(defined <= 0))
    above = int(np.sum(defined >= 0))
    return min(1.0, 2.0 * (min(below, above) + 1) / (defined.size + 1))
