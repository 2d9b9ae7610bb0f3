"""Almost stochastic order (ASO): is one set of runs' scores better than another, allowing for overlap?

Dror et al. 2019 ("Deep Dominance - How to Properly Compare Deep Neural Models", ACL) compare two score
distributions (one score per training seed) through their quantile functions ``F^-1`` (candidate A) and
``G^-1`` (incumbent B). The violation ratio is the share of the squared Wasserstein-2 distance between them that
lies where A is below B::

    eps_W2 = integral over {t: F^-1(t) < G^-1(t)} of (F^-1(t) - G^-1(t))^2 dt  /  integral of (F^-1 - G^-1)^2 dt

0 means A is stochastically larger (every quantile of A is above B's), 1 the reverse, 0.5 no order. Its upper
confidence bound ``epsilon_min = eps_W2 - sigma / c * z_{1 - confidence}`` (with ``c = sqrt(n m / (n + m))``,
``z`` the standard normal quantile, so the bound lies above ``eps_W2``) uses ``sigma``, the standard deviation of
``c * (eps_W2* - eps_W2)`` over bootstrap resamples ``eps_W2*`` of both score sets. A is declared better when
``epsilon_min`` is below a threshold ``tau``: Dror et al. read ``tau = 0.5``; Ulmer et al. 2022 (deep-significance,
the ``deepsig`` package) find ``tau = 0.2`` keeps the Type I error near the nominal level on few runs and
recommend it, so that is the default of :func:`~pytest_homog.checks.seeds.assert_stochastically_better`.

The computation follows ``deepsig.aso`` (1.2.x), so the two agree on the same bootstrap draws: the integrals are
sums over the grid ``t = dt, 2 dt, ...`` below 1, the quantile function of ``n`` scores at ``t`` is the
``ceil(n t)``-th smallest, a resample of a score set is its quantile function at ``n`` uniform draws, a resample
with no distance at all between the two sets counts as 0.5, and the violation sum leaves out the first grid
point as deepsig's does (which moves the ratio by at most one grid step's share). The resamples are vectorised:
one sort per set and replicate, one gather of the grid quantiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from pytest_homog.errors import HomogUsageError

__all__ = ["StochasticOrder", "almost_stochastic_order", "check_scores", "order_from_draws", "violation_ratios"]

#: the integration step of deepsig's ``aso`` (its default)
DT = 0.005


@dataclass(frozen=True)
class StochasticOrder:
    """The result of the ASO test of A (candidate) against B (incumbent).

    Attributes
    ----------
    epsilon_min : float
        The upper confidence bound of the violation ratio, in [0, 1]: below ``tau`` (0.2, or 0.5 as Dror et al.
        read it) A is almost stochastically better than B.
    violation_ratio : float
        The violation ratio of the two score sets themselves.
    confidence : float
        The confidence of the bound.
    n_a, n_b : int
        The number of scores (runs) of A and of B.
    n_resamples : int
        The bootstrap resamples that estimate the ratio's spread.
    """

    epsilon_min: float
    violation_ratio: float
    confidence: float
    n_a: int
    n_b: int
    n_resamples: int

    def __str__(self) -> str:
        return (
            f"epsilon_min={self.epsilon_min:.3f} ({self.confidence:.0%} upper bound; violation ratio "
            f"{self.violation_ratio:.3f}, {self.n_a} vs {self.n_b} runs)"
        )


def check_scores(scores: Any, name: str) -> np.ndarray:
    """``scores`` as a float array of at least two finite numbers (one per run)."""
    try:
        values = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError):
        values = np.empty(0)
        valid = False
    else:
        valid = values.ndim == 1 and values.size >= 2 and bool(np.isfinite(values).all())
    if not valid:
        raise HomogUsageError(
            f"{name} must be a sequence of at least two finite scores, one per run (seed); got {scores!r}. Pass "
            "each run's score, e.g. [0.412, 0.418, 0.409], or a seeds subject with the data to score it on."
        )
    return values


def _quantiles(sorted_scores: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The empirical quantile function of each row of ``sorted_scores`` at ``points``: the ``ceil(n t)``-th
    smallest score."""
    size = sorted_scores.shape[-1]
    index = np.clip(np.ceil(size * points).astype(np.int64) - 1, 0, size - 1)
    return sorted_scores[..., index]


def violation_ratios(scores_a: np.ndarray, scores_b: np.ndarray, dt: float = DT) -> np.ndarray:
    """The violation ratio of each row pair of ``scores_a`` (``(..., n)``) and ``scores_b`` (``(..., m)``).

    Examples
    --------
    >>> violation_ratios(np.array([3.0, 4.0]), np.array([1.0, 2.0])).item()   # A above B everywhere
    0.0
    >>> round(violation_ratios(np.array([1.0, 2.0]), np.array([3.0, 4.0])).item(), 4)  # 1 - dt / (1 - dt)
    0.995
    """
    grid = np.arange(dt, 1, dt)
    f = _quantiles(np.sort(scores_a, axis=-1), grid)
    g = _quantiles(np.sort(scores_b, axis=-1), grid)
    diff = g - f
    distance = np.sum(diff**2 * dt, axis=-1)
    violated = np.where(f >= g, 0.0, diff)
    # the sum starts at the second grid point, as deepsig's does
    violation = np.sum(violated[..., 1:] ** 2 * dt, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(distance == 0, 0.5, violation / np.where(distance == 0, 1.0, distance))


def order_from_draws(
    scores_a: np.ndarray,
    scores_b: np.ndarray,
    uniforms_a: np.ndarray,
    uniforms_b: np.ndarray,
    *,
    confidence: float,
    dt: float = DT,
) -> StochasticOrder:
    """The ASO test given the bootstrap's uniform draws (``(B, n)`` and ``(B, m)``, one row per resample).

    A resample of a score set is its quantile function at the row's uniforms (a draw with replacement), so the
    same draws give the same result as ``deepsig.aso`` (see the module docstring).
    """
    ratio = float(violation_ratios(scores_a, scores_b, dt))
    resampled_a = _quantiles(np.sort(scores_a), uniforms_a)
    resampled_b = _quantiles(np.sort(scores_b), uniforms_b)
    samples = violation_ratios(resampled_a, resampled_b, dt)
    n_a, n_b = scores_a.size, scores_b.size
    scale = math.sqrt(n_a * n_b / (n_a + n_b))
    spread = float(np.std(scale * (samples - ratio)))
    bound = ratio - spread / scale * NormalDist().inv_cdf(1.0 - confidence)
    return StochasticOrder(float(np.clip(bound, 0.0, 1.0)), ratio, confidence, n_a, n_b, int(samples.shape[0]))


def almost_stochastic_order(
    scores_a: Any,
    scores_b: Any,
    *,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int | None = 0,
    dt: float = DT,
) -> StochasticOrder:
    """The almost stochastic order test (Dror et al. 2019) of scores ``a`` (candidate) against ``b``.

    Parameters
    ----------
    scores_a, scores_b : sequence of float
        One score per run (seed) of each model, higher is better; at least two each, not necessarily as many.
    confidence : float
        The confidence of the upper bound ``epsilon_min``.
    n_resamples : int
        Bootstrap resamples that estimate the spread of the violation ratio.
    seed : int or None
        Seed of the resampling.
    dt : float
        Integration step over the quantile levels (deepsig's default 0.005).

    Returns
    -------
    StochasticOrder

    Examples
    --------
    >>> result = almost_stochastic_order([0.52, 0.55, 0.54, 0.56], [0.41, 0.44, 0.43, 0.42])
    >>> result.epsilon_min, result.violation_ratio
    (0.0, 0.0)
    """
    from pytest_homog.metrics.bootstrap import check_confidence, check_n_resamples, check_seed

    a, b = check_scores(scores_a, "scores_a"), check_scores(scores_b, "scores_b")
    coverage, resamples = check_confidence(confidence), check_n_resamples(n_resamples)
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not 0.0 < dt < 0.5:
        raise HomogUsageError(f"dt must be a number strictly between 0 and 0.5 (e.g. 0.005); got {dt!r}.")
    rng = np.random.default_rng(check_seed(seed))
    uniforms_a = rng.uniform(0.0, 1.0, size=(resamples, a.size))
    uniforms_b = rng.uniform(0.0, 1.0, size=(resamples, b.size))
    return order_from_draws(a, b, uniforms_a, uniforms_b, confidence=coverage, dt=float(dt))
