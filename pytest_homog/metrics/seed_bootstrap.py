"""The multi-bootstrap (Sellam et al. 2022, MultiBERTs): several runs of a model (one per seed) scored with
the seeds and the sentences resampled together.

A seeds subject (:func:`pytest_homog.seeds`) is counted run by run
(:class:`~pytest_homog.metrics.counts.SeedCounts`). Its value is the mean over runs of the metric. Each
replicate draws the runs with replacement and the units (sentences, or examples) with replacement, and takes
the mean over the drawn runs of each run's metric on the drawn units, so the interval holds the seed-to-seed
spread as well as the sampling of the test set. As in :mod:`pytest_homog.metrics.bootstrap`, no metric is
re-run per replicate: each run's metric comes from its pooled counts (one gather or matrix product per run and
chunk), and a run drawn ``c`` times of ``S`` weighs ``c / S``. :func:`~pytest_homog.metrics.bootstrap.score`,
:func:`~pytest_homog.metrics.bootstrap.compare` and the checks reach this module through
``estimate_from_counts`` and ``paired_difference``, which hand it counts of several runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from pytest_homog.metrics.bootstrap import (
    Estimate,
    Resampler,
    bootstrap_indices,
    estimate_from_replicates,
    point_value,
    replicate_values,
)
from pytest_homog.metrics.counts import SeedCounts, UnitCounts

__all__ = ["multi_bootstrap_indices", "seed_difference", "seed_estimate", "seed_replicate_values"]

# the runs are drawn from a stream of their own, so the units drawn are those of the ordinary bootstrap
_RUN_STREAM = 1


def multi_bootstrap_indices(
    n_units: int, n_runs: Sequence[int], n_resamples: int, seed: int | None
) -> Iterator[tuple[np.ndarray, tuple[np.ndarray, ...]]]:
    """Resampled unit indices and, for each subject, resampled run indices, in chunks of rows.

    Each chunk is ``(units, runs)``: ``units[r]`` lists the ``n_units`` units drawn in replicate ``r`` (the rows
    of :func:`bootstrap_indices` with the same ``seed``, so one run is resampled as the ordinary bootstrap
    resamples it), and ``runs[j][r]`` the ``n_runs[j]`` runs of subject ``j`` drawn with replacement in that
    replicate, independently for each subject.

    Examples
    --------
    >>> units, (runs,) = next(multi_bootstrap_indices(5, (3,), 4, seed=0))
    >>> units.shape, runs.shape, bool(runs.max() < 3)
    ((4, 5), (4, 3), True)
    >>> bool((units == next(bootstrap_indices(5, 4, seed=0))).all())
    True
    """
    run_rng = np.random.default_rng(None if seed is None else [seed, _RUN_STREAM])
    for units in bootstrap_indices(n_units, n_resamples, seed):
        yield units, tuple(run_rng.integers(0, size, size=(units.shape[0], size)) for size in n_runs)


def seed_replicate_values(
    resamplers: Sequence[Resampler],
    units: np.ndarray,
    runs: np.ndarray,
    metric: str,
    average: str | None,
    zero_value: float,
) -> np.ndarray:
    """The multi-bootstrap statistic of every replicate: the mean, over the runs drawn (rows of ``runs``, with
    repeats), of each run's metric on the units drawn (rows of ``units``).

    Each run's metric comes from its pooled counts (:func:`replicate_values`); a run drawn ``c`` times of ``S``
    weighs ``c / S``.
    """
    values = np.stack([replicate_values(each, units, metric, average, zero_value) for each in resamplers], axis=1)
    rows, size = runs.shape
    flat = (runs + (np.arange(rows) * len(resamplers))[:, None]).ravel()
    weights = np.bincount(flat, minlength=rows * len(resamplers)).reshape(rows, len(resamplers)) / size
    # a run that was not drawn adds nothing, even where its metric is undefined (NaN)
    return np.where(weights > 0, values * weights, 0.0).sum(axis=1)


def _runs_of(counts: UnitCounts) -> tuple[UnitCounts, ...]:
    return counts.runs if isinstance(counts, SeedCounts) else (counts,)


def _mean_point(runs: Sequence[UnitCounts], metric: str, average: str | None, zero_division: str | float) -> float:
    return float(np.mean([point_value(run, metric, average, zero_division) for run in runs]))


def seed_estimate(
    counts: SeedCounts,
    *,
    metric: str,
    average: str | None,
    confidence: float,
    n_resamples: int,
    seed: int | None,
    zero_division: str | float,
) -> Estimate:
    """:func:`score` of several runs: the mean over runs of the metric, with its multi-bootstrap interval.

    Each replicate draws the runs with replacement and the units with replacement, and takes the mean over the
    drawn runs of the metric on the drawn units (the multi-bootstrap of Sellam et al. 2022, MultiBERTs, sec. 3),
    so the interval holds the seed-to-seed spread as well as the sampling of the test set. The interval is the
    percentile interval of these replicates, as theirs: BCa's acceleration comes from a jackknife over one
    resampled factor and has no agreed form for two. Arguments must be valid already.
    """
    runs = counts.runs
    zero_value = 0.0 if zero_division == "warn" else float(zero_division)
    resamplers = [Resampler(run, average) for run in runs]
    replicates = np.concatenate(
        [
            seed_replicate_values(resamplers, units, drawn, metric, average, zero_value)
            for units, (drawn,) in multi_bootstrap_indices(counts.n_units, (len(runs),), n_resamples, seed)
        ]
    )
    value = _mean_point(runs, metric, average, zero_division)
    return estimate_from_replicates(
        value, replicates, counts, metric=metric, average=average, confidence=confidence, seeds=(len(runs),)
    )


def seed_difference(
    counts_a: UnitCounts,
    counts_b: UnitCounts,
    *,
    metric: str,
    average: str | None,
    confidence: float,
    n_resamples: int,
    seed: int | None,
    zero_division: str | float,
) -> Estimate:
    """:func:`compare` where either side has several runs: the difference of the means over runs, with its
    paired multi-bootstrap interval and p-value.

    Each replicate draws the units once for both sides (paired, as :func:`paired_difference`) and each side's
    runs independently, and takes the difference of the two sides' :func:`seed_replicate_values`. Counts of
    one run are a side of one run. The interval is the percentile interval (see :func:`seed_estimate`), the
    p-value as :func:`compare`'s. Arguments must be valid already.
    """
    runs_a, runs_b = _runs_of(counts_a), _runs_of(counts_b)
    zero_value = 0.0 if zero_division == "warn" else float(zero_division)
    resamplers_a = [Resampler(run, average) for run in runs_a]
    resamplers_b = [Resampler(run, average) for run in runs_b]
    parts = []
    sizes = (len(runs_a), len(runs_b))
    for units, (drawn_a, drawn_b) in multi_bootstrap_indices(counts_a.n_units, sizes, n_resamples, seed):
        parts.append(
            seed_replicate_values(resamplers_a, units, drawn_a, metric, average, zero_value)
            - seed_replicate_values(resamplers_b, units, drawn_b, metric, average, zero_value)
        )
    diffs = np.concatenate(parts)
    value = _mean_point(runs_a, metric, average, zero_division) - _mean_point(runs_b, metric, average, zero_division)
    return estimate_from_replicates(
        value, diffs, counts_a, metric=metric, average=average, confidence=confidence, paired=True, seeds=sizes
    )
