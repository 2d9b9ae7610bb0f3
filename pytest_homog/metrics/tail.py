"""The p-value of a gate on an interval's bound, read as the interval is read.

A gate compares one bound of a bootstrap interval with a threshold (``low >= threshold``, ``high <= threshold``).
:func:`tail_p_value` says how far into the bootstrap's tail the threshold lies: the smallest one-sided level at which
the bound reaches it, through the same quantiles as :func:`~pytest_homog.metrics.bootstrap.percentile_interval`
(percentile or BCa), so that a gate's verdict at any confidence follows from its p-value alone. The session's family
(:mod:`pytest_homog.family`) decides gates from these p-values.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from pytest_homog.metrics.bootstrap import bca_constants

__all__ = ["tail_p_value"]


def tail_p_value(
    replicates: np.ndarray,
    threshold: float,
    *,
    bound: str = "low",
    value: float | None = None,
    jackknife: np.ndarray | None = None,
) -> float:
    """The one-sided bootstrap p-value of a gate on an interval's bound, read as :func:`percentile_interval`
    reads its bounds.

    For ``bound="low"`` (the gate ``low >= threshold``) it is the smallest one-sided level ``alpha`` at which the
    interval's lower bound reaches ``threshold``, so the gate on a ``confidence`` interval holds exactly when
    ``p <= (1 - confidence) / 2``. For the percentile interval that is the share of replicates below the
    threshold, read off the same linear interpolation as the quantiles (``threshold`` at a replicate's value
    counts from that replicate); with the point ``value`` and the ``jackknife`` it is BCa's achieved
    significance level (Efron and Tibshirani 1993, 15.4): the share ``s`` mapped back through BCa's level
    correction, ``Phi(q / (1 + a q) - z0)`` with ``q = Phi^-1(s) - z0``. ``bound="high"`` (the gate ``high <=
    threshold``) is the same on the negated replicates: the share above. Replicates that are NaN are left out,
    as the interval leaves them out; none defined gives NaN.

    Examples
    --------
    >>> replicates = np.arange(11.0)          # 0, 1, ..., 10: the 10% level sits at 1.0
    >>> tail_p_value(replicates, 1.0), tail_p_value(replicates, 1.5), tail_p_value(replicates, -1.0)
    (0.1, 0.15, 0.0)
    >>> tail_p_value(replicates, 9.0, bound="high")
    0.1
    """
    if bound == "high":
        return tail_p_value(
            -np.asarray(replicates, dtype=np.float64),
            -threshold,
            value=None if value is None else -value,
            jackknife=None if jackknife is None else -np.asarray(jackknife, dtype=np.float64),
        )
    defined = np.sort(replicates[~np.isnan(replicates)])
    if defined.size == 0 or math.isnan(threshold):
        return math.nan
    share = _level_reaching(defined, threshold)
    if value is None or jackknife is None or math.isnan(value) or share in (0.0, 1.0):
        return share
    normal = NormalDist()
    bias, acceleration = bca_constants(defined, value, jackknife)
    shifted = normal.inv_cdf(share) - bias
    denominator = 1.0 + acceleration * shifted
    # where BCa falls back to the percentile level (an extreme acceleration), so does its p-value
    return normal.cdf(shifted / denominator - bias) if denominator > 0 else share


def _level_reaching(ordered: np.ndarray, threshold: float) -> float:
    """The smallest level whose linearly interpolated quantile of ``ordered`` (sorted) is at least ``threshold``."""
    size = ordered.size
    below = int(np.searchsorted(ordered, threshold, side="left"))
    if below == 0:
        return 0.0
    if below == size:
        return 1.0
    low, high = float(ordered[below - 1]), float(ordered[below])
    position = below if high == threshold else below - 1 + (threshold - low) / (high - low)
    return position / (size - 1)
