"""The release gate: a candidate must not be worse than its baseline, by a paired bootstrap of the difference."""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING, Any

from pytest_homog.checks.messages import (
    EVIDENCE_CONFIDENCE,
    METRIC_TITLE,
    check_number,
    failure_message,
    family_note,
    gate_confidence,
    gate_resamples,
    gate_verdict,
    percent,
    resolve_seed,
    unit_word,
)
from pytest_homog.errors import HomogUsageError, HomogWarning
from pytest_homog.record import CheckRecord, record_check
from pytest_homog.run_context import RUN_SEED, RunSeed

if TYPE_CHECKING:
    from pytest_homog.metrics.bootstrap import Estimate
    from pytest_homog.subjects import Resolved

__all__ = ["assert_no_regression"]


def _check_options(metric: str, tolerance: object, confidence: object, average: str) -> tuple[float, float | None]:
    from pytest_homog.metrics.bootstrap import check_confidence
    from pytest_homog.metrics.quality import check_average, check_metric

    check_metric(metric)
    allowed_drop = check_number(tolerance, "tolerance")
    coverage = None if confidence is None else check_confidence(confidence)
    if check_average(average) is None:
        raise HomogUsageError(
            "assert_no_regression needs a single number: average must be 'micro', 'macro' or 'weighted'; got None."
        )
    return allowed_drop, coverage


def _failure(
    estimate: Estimate,
    candidate: Resolved,
    baseline: Resolved,
    metric: str,
    allowed_drop: float,
    coverage: float | None,
    details: dict[str, Any],
) -> str:
    title = METRIC_TITLE[metric]
    interval = f"[{estimate.low:+.4f}, {estimate.high:+.4f}]"
    if coverage is None:
        verdict = (
            f"assert_no_regression failed: {estimate.level} {title} of {candidate.name!r} is "
            f"{-estimate.value:.4f} below {baseline.name!r}, more than the tolerance {allowed_drop:g} "
            f"(delta {estimate.value:+.4f})."
        )
    else:
        verdict = (
            f"assert_no_regression failed: {estimate.level} {title} of {candidate.name!r} is below "
            f"{baseline.name!r} by more than the tolerance {allowed_drop:g} at {percent(coverage)} confidence: "
            f"delta {estimate.value:+.4f}, CI {interval}, upper bound {estimate.high:+.4f} < {-allowed_drop:+g}."
        )
    entity = estimate.level == "entity"
    evidence = [
        f"delta = {title}({candidate.name}) - {title}({baseline.name}); {percent(estimate.confidence)} CI "
        f"{interval}, "
        f"bootstrap p = {estimate.p_value:.3g}",
        f"n = {estimate.n} {unit_word(estimate.level or 'entity')}, {estimate.n_resamples} paired resamples "
        f"(seed {details['seed']}), average={details['average']}"
        + (f", scheme={details['scheme']}, mode={details['mode']}" if entity else ""),
        "power: " + _detection(estimate, allowed_drop, details["detectable_change"]),
        *family_note(details["requested"], coverage),
    ]
    step = (
        "Next step: compare the two per label (pytest_homog.classification_report on each) to see where the "
        "candidate lost; fix the candidate, or raise the tolerance deliberately if the drop is acceptable."
    )
    return failure_message(verdict, evidence, step)


def _detection(estimate: Estimate, allowed_drop: float, detectable: float) -> str:
    from pytest_homog.metrics.bootstrap import DETECTION_POWER

    text = (
        f"this test set detects a drop of {detectable:.4f} beyond the tolerance with {DETECTION_POWER:.0%} power "
        f"(bootstrap standard error {estimate.standard_error:.4f} on n = {estimate.n})"
    )
    if allowed_drop < detectable:
        text += (
            f"; the tolerance {allowed_drop:g} is below it, so drops between {allowed_drop:g} and "
            f"{allowed_drop + detectable:.4f} mostly pass unseen"
        )
    return text


def _warn_if_underpowered(estimate: Estimate, allowed_drop: float, detectable: float) -> None:
    # a pass whose interval still reaches below -tolerance shows no regression only because the test set is small
    if estimate.low < -allowed_drop and allowed_drop < detectable:
        warnings.warn(
            "assert_no_regression passed without showing the absence of a regression: the "
            f"{percent(estimate.confidence)} "
            f"CI [{estimate.low:+.4f}, {estimate.high:+.4f}] reaches below {-allowed_drop or 0.0:g}, and "
            + _detection(estimate, allowed_drop, detectable)
            + f". Evaluate on more {unit_word(estimate.level or 'entity')} to see smaller regressions.",
            HomogWarning,
            stacklevel=3,
        )


def assert_no_regression(
    candidate: Any,
    baseline: Any,
    data: Any,
    *,
    metric: str = "f1",
    tolerance: float = 0.0,
    confidence: float | None = 0.95,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    average: str = "micro",
    n_resamples: int = 1000,
    seed: int | RunSeed | None = RUN_SEED,
) -> Any:
    """Assert that ``candidate`` is not worse than ``baseline`` on ``metric`` by more than ``tolerance``.

    The difference d = metric(candidate) - metric(baseline) is estimated with the paired bootstrap of
    :func:`~pytest_homog.metrics.bootstrap.compare` (the same resampled sentences for both subjects). With a
    ``confidence`` the check fails only when the regression is established at that confidence: the whole
    interval of d lies below ``-tolerance`` (its upper bound is < ``-tolerance``), so sampling noise on the test
    data cannot fail a release. With ``confidence=None`` the point difference is compared: it fails when
    d < ``-tolerance``.

    Power: ``details["detectable_change"]`` in the record is the drop beyond ``tolerance`` that the test set
    detects with 80% power, :func:`~pytest_homog.metrics.bootstrap.detectable_change` of the bootstrap standard
    error of d: ``(z_{1 - alpha/2} + z_0.8) * se`` (``z_0.8 * se`` with ``confidence=None``). The failure
    message states it, and says when the tolerance is below it. A pass whose interval still reaches below
    ``-tolerance`` (no regression shown, only none established) warns with it when the tolerance is below it:
    regressions between the tolerance and tolerance + detectable change mostly pass on such a test set.

    Parameters
    ----------
    candidate, baseline : subject
        Models (anything with ``homog_predict(data)``) or predictions of ``data``.
    data : references or dataset
        The references (for predictions) or the data the models predict.
    metric : {"f1", "precision", "recall"}
        What must not regress.
    tolerance : float
        How large a drop is accepted (absolute, >= 0).
    confidence : float, optional
        Interval coverage (default 0.95); ``None`` compares the point difference. Under ``--homog-family`` the
        run's family makes it stricter where its share of alpha asks for more.
    level, scheme, mode, average
        As in :func:`pytest_homog.f1_score`.
    n_resamples, seed : int
        Bootstrap replicates and seed; ``seed`` defaults to the run's ``--homog-seed`` under pytest with
        ``--homog``, else 0.

    Returns
    -------
    Estimate
        The paired difference candidate - baseline, with its interval and bootstrap p-value.

    Raises
    ------
    AssertionError
        The candidate regressed beyond ``tolerance``.

    Warns
    -----
    HomogWarning
        The check passed, but the test set is too small to see regressions just beyond ``tolerance`` (above).

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"]] * 10
    >>> old = [["B-PER", "O"], ["O", "O"]] * 10
    >>> new = [["B-PER", "O"], ["B-LOC", "O"]] * 10
    >>> round(assert_no_regression(new, old, y_true).value, 3)
    0.333
    """
    __tracebackhide__ = True
    from pytest_homog.metrics.bootstrap import check_n_resamples, count_pair, detectable_change, paired_difference
    from pytest_homog.subjects import resolve_pair

    started = time.perf_counter()
    allowed_drop, requested = _check_options(metric, tolerance, confidence, average)
    coverage = gate_confidence(requested)
    n_resamples = gate_resamples(check_n_resamples(n_resamples), coverage)
    seed = resolve_seed(seed)
    candidate_, baseline_ = resolve_pair(candidate, baseline, data, scheme=scheme, mode=mode)
    corpus = candidate_.corpus
    estimate = paired_difference(
        *count_pair(candidate_.predictions, baseline_.predictions, corpus, level=corpus.resolve_level(level)),
        metric=metric,
        average=average,
        confidence=EVIDENCE_CONFIDENCE if coverage is None else coverage,
        n_resamples=n_resamples,
        seed=seed,
        zero_division="warn",
    )
    family: dict[str, Any] = {}
    if coverage is None or requested is None:
        passed = bool(estimate.value >= -allowed_drop)
    else:
        p_value = estimate.tail_p_value(-allowed_drop, "high")
        passed, family = gate_verdict(p_value, requested, not estimate.high >= -allowed_drop, "failure")
    detectable = detectable_change(estimate.standard_error or 0.0, coverage)
    entity = estimate.level == "entity"
    record_check(
        CheckRecord(
            check="assert_no_regression",
            metric=f"{metric}_delta",
            value=estimate.value,
            passed=passed,
            threshold=-allowed_drop,
            compared="value" if coverage is None else "high",
            low=estimate.low,
            high=estimate.high,
            confidence=estimate.confidence,
            n=estimate.n,
            level=estimate.level,
            scheme=scheme if entity else None,
            mode=mode if entity else None,
            subjects=(candidate_.name, baseline_.name),
            data=candidate_.data_name,
            details={
                "average": average,
                "n_resamples": n_resamples,
                "seed": seed,
                "p_value": estimate.p_value,
                "detectable_change": detectable,
                **family,
            },
            duration=time.perf_counter() - started,
            higher_is_better=True,
        )
    )
    if not passed:
        details = {
            "seed": seed,
            "average": average,
            "scheme": scheme,
            "mode": mode,
            "detectable_change": detectable,
            "requested": requested,
        }
        raise AssertionError(_failure(estimate, candidate_, baseline_, metric, allowed_drop, coverage, details))
    _warn_if_underpowered(estimate, allowed_drop, detectable)
    return estimate
