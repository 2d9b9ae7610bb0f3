"""Checks across seeds: a candidate's runs must be almost stochastically better than the incumbent's runs."""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_homog.checks.messages import METRIC_TITLE, check_number, failure_message, resolve_seed
from pytest_homog.errors import HomogUsageError, HomogWarning
from pytest_homog.record import CheckRecord, record_check
from pytest_homog.run_context import RUN_SEED, RunSeed

if TYPE_CHECKING:
    import numpy as np

    from pytest_homog.metrics.stochastic_order import StochasticOrder
    from pytest_homog.subjects import Resolved

__all__ = ["DEFAULT_MAX_EPSILON", "assert_stochastically_better"]

#: the threshold on epsilon_min that Ulmer et al. 2022 recommend (Dror et al. 2019 read 0.5)
DEFAULT_MAX_EPSILON = 0.2


@dataclass(frozen=True)
class _Sides:
    """The scores compared, one per run, with the names and what they measure."""

    candidate: np.ndarray
    incumbent: np.ndarray
    names: tuple[str, str]
    what: str
    level: str | None = None
    n: int | None = None
    data: str | None = None


def _run_scores(resolved: Resolved, metric: str, level: str | None, average: str) -> list[float]:
    """The metric of each run of a subject (one value for a subject of one run)."""
    from pytest_homog.metrics.counts import SeedCounts, count_units
    from pytest_homog.metrics.quality import scores_from_totals

    counts = count_units(resolved.predictions, level=resolved.corpus.resolve_level(level))
    runs = counts.runs if isinstance(counts, SeedCounts) else (counts,)
    index = ("precision", "recall", "f1").index(metric)
    values = []
    for run in runs:
        tp, pred, gold = run.totals()
        scores = scores_from_totals(tp, pred, gold, average=average, zero_division=0.0, level=run.level)
        values.append(float(scores[index]))
    return values


def _sides(candidate: Any, incumbent: Any, data: Any, metric: str, options: dict[str, Any]) -> _Sides:
    from pytest_homog.metrics.quality import check_average, check_metric
    from pytest_homog.metrics.stochastic_order import check_scores
    from pytest_homog.subjects import resolve_pair

    if data is None:
        return _Sides(
            check_scores(candidate, "candidate"),
            check_scores(incumbent, "incumbent"),
            ("candidate", "incumbent"),
            "score",
        )
    metric = check_metric(metric)
    average = options["average"]
    if check_average(average) is None:
        raise HomogUsageError("average must be 'micro', 'macro' or 'weighted' to score each run; got None.")
    first, second = resolve_pair(candidate, incumbent, data, scheme=options["scheme"], mode=options["mode"])
    scores = [_run_scores(side, metric, options["level"], average) for side in (first, second)]
    level = first.corpus.resolve_level(options["level"])
    what = f"{level} {METRIC_TITLE[metric]} ({average})"
    return _Sides(
        check_scores(scores[0], f"the runs of {first.name!r}"),
        check_scores(scores[1], f"the runs of {second.name!r}"),
        (first.name, second.name),
        what,
        level,
        first.corpus.n_units,
        first.data_name,
    )


def chance_separation(n_candidate: int, n_incumbent: int) -> float:
    """The probability that every candidate run beats every incumbent run when both come from one
    distribution (continuous scores): ``1 / C(n + m, n)``. ASO then gives ``epsilon_min = 0`` whatever the
    confidence, so this is the least false-pass rate of the check with these numbers of runs.

    Examples
    --------
    >>> chance_separation(3, 3), round(chance_separation(5, 5), 4)
    (0.05, 0.004)
    """
    return 1.0 / math.comb(n_candidate + n_incumbent, n_candidate)


def _evidence(sides: _Sides, order: StochasticOrder, chance: float) -> list[str]:
    def listed(scores: np.ndarray) -> str:
        return ", ".join(f"{value:.4f}" for value in scores)

    lines = [
        f"{sides.names[0]}: {sides.candidate.size} runs, mean {sides.what} {sides.candidate.mean():.4f} "
        f"({listed(sides.candidate)})",
        f"{sides.names[1]}: {sides.incumbent.size} runs, mean {sides.what} {sides.incumbent.mean():.4f} "
        f"({listed(sides.incumbent)})",
        f"violation ratio {order.violation_ratio:.3f} (0 = every quantile of {sides.names[0]} above, 1 = below), "
        f"{order.confidence:.0%} upper bound epsilon_min {order.epsilon_min:.3f} from {order.n_resamples} "
        "bootstrap resamples",
        f"with these numbers of runs, one model's runs all beat the other's by chance with probability {chance:.3g}",
    ]
    if sides.n is not None:
        lines.append(f"each run scored on n={sides.n} {'examples' if sides.level == 'label' else 'sentences'}")
    return lines


def _record(
    sides: _Sides, order: StochasticOrder, max_epsilon: float, passed: bool, details: dict[str, Any], started: float
) -> None:
    record_check(
        CheckRecord(
            check="assert_stochastically_better",
            metric="aso_epsilon_min",
            value=order.epsilon_min,
            passed=passed,
            threshold=max_epsilon,
            compared="value",
            confidence=order.confidence,
            n=sides.n,
            level=sides.level,
            subjects=sides.names,
            data=sides.data,
            details=details,
            duration=time.perf_counter() - started,
            higher_is_better=False,
        )
    )


def assert_stochastically_better(
    candidate: Any,
    incumbent: Any,
    data: Any = None,
    *,
    max_epsilon: float = DEFAULT_MAX_EPSILON,
    confidence: float = 0.95,
    metric: str = "f1",
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    average: str = "micro",
    n_resamples: int = 1000,
    seed: int | RunSeed | None = RUN_SEED,
) -> StochasticOrder:
    """Assert that the candidate's runs are almost stochastically better than the incumbent's (ASO).

    Each side is a set of runs of one model, one per training seed. The almost stochastic order test of Dror
    et al. 2019 (:mod:`pytest_homog.metrics.stochastic_order`, as ``deepsig.aso`` computes it) gives
    ``epsilon_min``, the ``confidence`` upper bound of the share of the distance between the two score
    distributions where the candidate is worse; the check passes when it is below ``max_epsilon``. The default
    0.2 is the threshold Ulmer et al. 2022 (deep-significance) recommend for few runs; Dror et al. read 0.5,
    which passes more often when the candidate is not better.

    With few runs the test cannot keep its confidence: when all of the candidate's ``n`` runs beat all of the
    incumbent's ``m``, which happens by chance with probability ``1 / C(n + m, n)`` (1 in 20 for 3 against 3),
    ``epsilon_min`` is 0. The check warns when that chance exceeds ``1 - confidence``; use five or more runs a
    side.

    Parameters
    ----------
    candidate, incumbent
        Without ``data``: one score per run (at least two each, higher is better). With ``data``: subjects,
        usually seeds subjects (:func:`~pytest_homog.seeds`) of models or predictions, each run scored with
        ``metric`` on ``data``.
    data : optional
        The data the runs predict, or the references of their predictions.
    max_epsilon : float
        The bar for ``epsilon_min``, above 0 and at most 0.5 (above 0.5 a worse candidate would pass).
    confidence : float
        The confidence of the upper bound.
    metric, level, scheme, mode, average
        How each run is scored, as in :func:`pytest_homog.f1_score` (with ``data`` only).
    n_resamples, seed : int
        Bootstrap resamples of the test and their seed (the run's ``--homog-seed`` by default).

    Returns
    -------
    StochasticOrder

    Raises
    ------
    AssertionError
        ``epsilon_min`` is not below ``max_epsilon``; the message lists both sides' scores.

    Examples
    --------
    >>> assert_stochastically_better([0.52, 0.55, 0.54, 0.56, 0.53], [0.41, 0.44, 0.43, 0.42, 0.45]).epsilon_min
    0.0
    """
    __tracebackhide__ = True
    from pytest_homog.metrics.bootstrap import check_confidence, check_n_resamples
    from pytest_homog.metrics.stochastic_order import almost_stochastic_order

    started = time.perf_counter()
    bar = check_number(max_epsilon, "max_epsilon", strict=True)
    if bar > 0.5:
        raise HomogUsageError(
            f"max_epsilon must be above 0 and at most 0.5 (above 0.5 a worse candidate passes); got {max_epsilon!r}. "
            f"Use {DEFAULT_MAX_EPSILON} (Ulmer et al. 2022) or 0.5 (Dror et al. 2019)."
        )
    coverage, resamples, sampling_seed = (
        check_confidence(confidence),
        check_n_resamples(n_resamples),
        resolve_seed(seed),
    )
    options = {"level": level, "scheme": scheme, "mode": mode, "average": average}
    sides = _sides(candidate, incumbent, data, metric, options)
    order = almost_stochastic_order(
        sides.candidate, sides.incumbent, confidence=coverage, n_resamples=resamples, seed=sampling_seed
    )
    chance = chance_separation(sides.candidate.size, sides.incumbent.size)
    passed = order.epsilon_min < bar
    details = {
        "violation_ratio": order.violation_ratio,
        "candidate_scores": sides.candidate.tolist(),
        "incumbent_scores": sides.incumbent.tolist(),
        "scored": sides.what,
        "chance_separation": chance,
        "n_resamples": resamples,
        "seed": sampling_seed,
    }
    _record(sides, order, bar, passed, details, started)
    if chance > 1.0 - coverage:
        warnings.warn(
            f"assert_stochastically_better with {sides.candidate.size} against {sides.incumbent.size} runs: one "
            f"side's runs all beat the other's by chance with probability {chance:.3g}, more than "
            f"1 - confidence = {1.0 - coverage:.3g}, and ASO then reports epsilon_min = 0. Add runs (seeds) to "
            "each side, five or more.",
            HomogWarning,
            stacklevel=2,
        )
    if not passed:
        raise AssertionError(
            failure_message(
                f"assert_stochastically_better failed: {sides.names[0]!r} is not almost stochastically better than "
                f"{sides.names[1]!r}: epsilon_min = {order.epsilon_min:.3f} is not below max_epsilon {bar:g}.",
                _evidence(sides, order, chance),
                "Next step: if the means are close, the runs overlap and more seeds a side narrow the bound; if "
                f"{sides.names[0]!r} is lower, it is not the better model. Raise max_epsilon only deliberately "
                "(0.5 is Dror et al.'s bar and lets more worse candidates through).",
            )
        )
    return order
