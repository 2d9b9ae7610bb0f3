"""Quality checks: precision, recall or F1 must reach a bar, on its point estimate or its interval's lower bound."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_homog.checks.messages import (
    EVIDENCE_CONFIDENCE,
    METRIC_TITLE,
    check_threshold,
    failure_message,
    family_note,
    gate_confidence,
    gate_resamples,
    gate_verdict,
    resolve_seed,
    unit_word,
)
from pytest_homog.errors import HomogUsageError
from pytest_homog.record import CheckRecord, record_check
from pytest_homog.run_context import RUN_SEED, RunSeed

if TYPE_CHECKING:
    from pytest_homog.metrics.bootstrap import Estimate
    from pytest_homog.metrics.counts import UnitCounts
    from pytest_homog.metrics.quality import Report
    from pytest_homog.subjects import Resolved

__all__ = ["assert_f1_above", "assert_precision_above", "assert_recall_above"]


@dataclass(frozen=True)
class _Bar:
    """The validated arguments of one quality check."""

    check: str
    metric: str
    threshold: float
    confidence: float | None
    scheme: str
    mode: str
    average: str
    n_resamples: int
    seed: int | None
    #: the confidence the caller asked for; ``confidence`` is the session family's when stricter
    requested: float | None = None


def _check_bar(
    check: str,
    metric: str,
    threshold: object,
    confidence: object,
    scheme: str,
    mode: str,
    average: str,
    n_resamples: object,
    seed: object,
) -> _Bar:
    from pytest_homog.metrics.bootstrap import check_confidence, check_n_resamples
    from pytest_homog.metrics.quality import check_average
    from pytest_homog.metrics.tags import check_mode, check_scheme

    bound = check_threshold(threshold)
    coverage = None if confidence is None else check_confidence(confidence)
    if check_average(average) is None:
        raise HomogUsageError(
            f"{check} needs a single number: average must be 'micro', 'macro' or 'weighted'; got None."
        )
    check_scheme(scheme)
    check_mode(mode)
    sampling = (gate_resamples(check_n_resamples(n_resamples), coverage), resolve_seed(seed))
    return _Bar(check, metric, bound, gate_confidence(coverage), scheme, mode, average, *sampling, coverage)


def _margin(bar: _Bar, estimate: Estimate) -> float:
    """How far above the threshold the metric must lie for the check to pass with 80% power."""
    from pytest_homog.metrics.bootstrap import detectable_change

    return detectable_change(estimate.standard_error or 0.0, bar.confidence)


def _record(
    bar: _Bar,
    resolved: Resolved,
    counts: UnitCounts,
    estimate: Estimate,
    report: Report,
    verdict: tuple[bool, dict[str, Any]],
    started: float,
) -> None:
    entity = counts.level == "entity"
    passed, family = verdict
    record_check(
        CheckRecord(
            check=bar.check,
            metric=bar.metric,
            value=estimate.value,
            passed=passed,
            threshold=bar.threshold,
            compared="value" if bar.confidence is None else "low",
            low=estimate.low,
            high=estimate.high,
            confidence=estimate.confidence,
            n=estimate.n,
            level=counts.level,
            scheme=bar.scheme if entity else None,
            mode=bar.mode if entity else None,
            subjects=(resolved.name,),
            data=resolved.data_name,
            details={
                "average": bar.average,
                "n_resamples": bar.n_resamples,
                "seed": bar.seed,
                "detectable_change": _margin(bar, estimate),
                **({} if estimate.seeds is None else {"seeds": estimate.seeds[0]}),
                **family,
                "worst_labels": [row._asdict() for row in report.worst(3)],
                "labels": report.to_dict(),
            },
            duration=time.perf_counter() - started,
        )
    )


def _verdict(bar: _Bar, level: str, estimate: Estimate) -> tuple[str, list[str]]:
    title = METRIC_TITLE[bar.metric]
    interval = f"[{estimate.low:.3f}, {estimate.high:.3f}]"
    percent = f"{estimate.confidence * 100:g}%"
    if bar.confidence is None:
        verdict = (
            f"{bar.check} failed: {level} {title} ({bar.average}) = {estimate.value:.3f} is below the "
            f"threshold {bar.threshold:.3f}."
        )
        return verdict, [f"{percent} CI {interval} (for reference; the point estimate was compared)"]
    verdict = (
        f"{bar.check} failed: the lower bound of the {percent} CI of {level} {title} ({bar.average}), "
        f"{estimate.low:.3f}, is below the threshold {bar.threshold:.3f} "
        f"(value {estimate.value:.3f}, CI {interval})."
    )
    return verdict, []


def _failure(bar: _Bar, resolved: Resolved, counts: UnitCounts, estimate: Estimate, report: Report) -> str:
    from pytest_homog.metrics.bootstrap import DETECTION_POWER

    level = counts.level
    verdict, evidence = _verdict(bar, level, estimate)
    how = f"level={level}" + (f", scheme={bar.scheme}, mode={bar.mode}" if level == "entity" else "")
    data_part = f" on {resolved.data_name}" if resolved.data_name else ""
    resampled = f"{bar.n_resamples} bootstrap resamples"
    if estimate.seeds is not None:  # the value is the mean over the runs of a seeds subject
        resampled = f"mean of {estimate.seeds[0]} runs, {bar.n_resamples} multi-bootstrap resamples of runs and units"
    evidence.append(
        f"subject {resolved.name}{data_part}: n={estimate.n} {unit_word(level)}, {how}, {resampled} (seed {bar.seed})"
    )
    evidence.extend(family_note(bar.requested, bar.confidence))
    evidence.append(
        f"power: the check passes with {DETECTION_POWER:.0%} power only where {METRIC_TITLE[bar.metric]} lies "
        f"{_margin(bar, estimate):.3f} or more above the threshold (bootstrap standard error "
        f"{estimate.standard_error:.3f})"
    )
    _, pred, gold = counts.totals()
    if int(pred.sum()) == 0:
        evidence.append(f"the subject predicted nothing ({'no entities' if level == 'entity' else 'no labels'}).")
    if int(gold.sum()) == 0:
        evidence.append("the references hold nothing to find (no gold items).")
    worst = report.worst(3)
    if worst:
        evidence.append("worst labels:")
        evidence.extend("  " + line for line in report.to_markdown(rows=worst).splitlines())
    if bar.confidence is not None and estimate.value >= bar.threshold:
        step = (
            f"Next step: the value clears {bar.threshold:.3f} but the interval is too wide to be sure; evaluate "
            f"on more {unit_word(level)}, or improve the worst labels above."
        )
    else:
        step = (
            "Next step: inspect the errors on the worst labels above "
            "(pytest_homog.classification_report(y_true, y_pred) lists every label); improve the model, "
            "or lower the threshold deliberately if the bar was set too high."
        )
    return failure_message(verdict, evidence, step)


def _assert_metric_above(
    check: str,
    metric: str,
    subject: Any,
    data: Any,
    threshold: float,
    *,
    confidence: float | None,
    level: str | None,
    scheme: str,
    mode: str,
    average: str,
    n_resamples: int,
    seed: int | RunSeed | None,
    name: str | None,
    labels: Sequence[Any] | None,
) -> Any:
    __tracebackhide__ = True
    from pytest_homog.metrics.bootstrap import estimate_from_counts
    from pytest_homog.metrics.counts import count_units
    from pytest_homog.metrics.quality import report_from_counts
    from pytest_homog.subjects import resolve_subject

    started = time.perf_counter()
    bar = _check_bar(check, metric, threshold, confidence, scheme, mode, average, n_resamples, seed)
    resolved = resolve_subject(subject, data, name=name, scheme=scheme, mode=mode)
    counts = count_units(resolved.predictions, level=resolved.corpus.resolve_level(level), labels=labels)
    estimate = estimate_from_counts(
        counts,
        metric=metric,
        average=average,
        confidence=EVIDENCE_CONFIDENCE if bar.confidence is None else bar.confidence,
        n_resamples=bar.n_resamples,
        seed=bar.seed,
        zero_division=0.0,
    )
    report = report_from_counts(counts, zero_division=0.0, scheme=scheme, mode=mode)
    if bar.confidence is None or bar.requested is None:
        verdict: tuple[bool, dict[str, Any]] = (bool(estimate.value >= bar.threshold), {})
    else:
        p_value = estimate.tail_p_value(bar.threshold, "low")
        verdict = gate_verdict(p_value, bar.requested, bool(estimate.low >= bar.threshold), "pass")
    passed = verdict[0]
    _record(bar, resolved, counts, estimate, report, verdict, started)
    if not passed:
        raise AssertionError(_failure(bar, resolved, counts, estimate, report))
    return estimate


def assert_f1_above(
    subject: Any,
    data: Any,
    threshold: float,
    *,
    confidence: float | None = 0.95,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    average: str = "micro",
    n_resamples: int = 1000,
    seed: int | RunSeed | None = RUN_SEED,
    name: str | None = None,
    labels: Sequence[Any] | None = None,
) -> Any:
    """Assert that F1 reaches ``threshold`` (its point estimate, or the lower bound of its interval).

    Parameters
    ----------
    subject
        A model (an object with ``homog_predict``) or predictions (see :mod:`pytest_homog.subjects`).
    data
        The data a model predicts on, or the references of the predictions.
    threshold : float
        The bar, strictly between 0 and 1.
    confidence : float, optional
        The coverage of the BCa bootstrap interval whose lower bound must reach ``threshold`` (default 0.95:
        the data must show the metric is above the bar); under ``--homog-family`` the run's family makes it
        stricter where its share of alpha asks for more. ``None``: the point estimate must reach it (a 95%
        interval is still computed and shown as evidence).
    level, scheme, mode, average
        As in :func:`pytest_homog.f1_score`; ``average`` may not be ``None``.
    n_resamples, seed : int
        Bootstrap replicates and seed (see :func:`pytest_homog.score`); ``seed`` defaults to the run's
        ``--homog-seed`` under pytest with ``--homog``, else 0.
    name : str, optional
        The subject's name in the report; it wins over the model's ``homog_name`` (its folder name).
    labels : sequence, optional
        The labels to score, as in :func:`pytest_homog.f1_score`; at token level every tag but ``"O"`` by default.

    Returns
    -------
    Estimate
        What was measured (value, interval, n).

    Raises
    ------
    AssertionError
        The bar is not reached; the message gives the value, the interval, the threshold, n, the level, scheme
        and mode, the three worst labels and a next step.
    HomogUsageError, HomogDataError
        Bad arguments or data.

    Examples
    --------
    >>> est = assert_f1_above([["B-PER", "O"], ["B-LOC"]], [["B-PER", "O"], ["B-LOC"]], 0.9)
    >>> est.value
    1.0
    >>> assert_f1_above([["B-PER", "O"], ["O"]], [["B-PER", "O"], ["B-LOC"]], 0.9)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: assert_f1_above failed: the lower bound of the 95% CI of entity F1 (micro), 0.000, is below ...
    ...
    """
    __tracebackhide__ = True
    return _assert_metric_above(
        "assert_f1_above",
        "f1",
        subject,
        data,
        threshold,
        confidence=confidence,
        level=level,
        scheme=scheme,
        mode=mode,
        average=average,
        n_resamples=n_resamples,
        seed=seed,
        name=name,
        labels=labels,
    )


def assert_precision_above(
    subject: Any,
    data: Any,
    threshold: float,
    *,
    confidence: float | None = 0.95,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    average: str = "micro",
    n_resamples: int = 1000,
    seed: int | RunSeed | None = RUN_SEED,
    name: str | None = None,
    labels: Sequence[Any] | None = None,
) -> Any:
    """Assert that precision reaches ``threshold`` (its point estimate, or the lower bound of its interval).

    Parameters
    ----------
    subject
        A model (an object with ``homog_predict``) or predictions (see :mod:`pytest_homog.subjects`).
    data
        The data a model predicts on, or the references of the predictions.
    threshold : float
        The bar, strictly between 0 and 1.
    confidence : float, optional
        The coverage of the BCa bootstrap interval whose lower bound must reach ``threshold`` (default 0.95:
        the data must show the metric is above the bar); under ``--homog-family`` the run's family makes it
        stricter where its share of alpha asks for more. ``None``: the point estimate must reach it (a 95%
        interval is still computed and shown as evidence).
    level, scheme, mode, average
        As in :func:`pytest_homog.f1_score`; ``average`` may not be ``None``.
    n_resamples, seed : int
        Bootstrap replicates and seed (see :func:`pytest_homog.score`); ``seed`` defaults to the run's
        ``--homog-seed`` under pytest with ``--homog``, else 0.
    name : str, optional
        The subject's name in the report; it wins over the model's ``homog_name`` (its folder name).
    labels : sequence, optional
        The labels to score, as in :func:`pytest_homog.f1_score`; at token level every tag but ``"O"`` by default.

    Returns
    -------
    Estimate
        What was measured (value, interval, n).

    Raises
    ------
    AssertionError
        The bar is not reached; the message gives the value, the interval, the threshold, n, the level, scheme
        and mode, the three worst labels and a next step.
    HomogUsageError, HomogDataError
        Bad arguments or data.

    Examples
    --------
    >>> assert_precision_above(["a", "b", "b"], ["a", "b", "a"], 0.5, confidence=None).value  # the point estimate
    0.6666666666666666
    """
    __tracebackhide__ = True
    return _assert_metric_above(
        "assert_precision_above",
        "precision",
        subject,
        data,
        threshold,
        confidence=confidence,
        level=level,
        scheme=scheme,
        mode=mode,
        average=average,
        n_resamples=n_resamples,
        seed=seed,
        name=name,
        labels=labels,
    )


def assert_recall_above(
    subject: Any,
    data: Any,
    threshold: float,
    *,
    confidence: float | None = 0.95,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    average: str = "micro",
    n_resamples: int = 1000,
    seed: int | RunSeed | None = RUN_SEED,
    name: str | None = None,
    labels: Sequence[Any] | None = None,
) -> Any:
    """Assert that recall reaches ``threshold`` (its point estimate, or the lower bound of its interval).

    Parameters
    ----------
    subject
        A model (an object with ``homog_predict``) or predictions (see :mod:`pytest_homog.subjects`).
    data
        The data a model predicts on, or the references of the predictions.
    threshold : float
        The bar, strictly between 0 and 1.
    confidence : float, optional
        The coverage of the BCa bootstrap interval whose lower bound must reach ``threshold`` (default 0.95:
        the data must show the metric is above the bar); under ``--homog-family`` the run's family makes it
        stricter where its share of alpha asks for more. ``None``: the point estimate must reach it (a 95%
        interval is still computed and shown as evidence).
    level, scheme, mode, average
        As in :func:`pytest_homog.f1_score`; ``average`` may not be ``None``.
    n_resamples, seed : int
        Bootstrap replicates and seed (see :func:`pytest_homog.score`); ``seed`` defaults to the run's
        ``--homog-seed`` under pytest with ``--homog``, else 0.
    name : str, optional
        The subject's name in the report; it wins over the model's ``homog_name`` (its folder name).
    labels : sequence, optional
        The labels to score, as in :func:`pytest_homog.f1_score`; at token level every tag but ``"O"`` by default.

    Returns
    -------
    Estimate
        What was measured (value, interval, n).

    Raises
    ------
    AssertionError
        The bar is not reached; the message gives the value, the interval, the threshold, n, the level, scheme
        and mode, the three worst labels and a next step.
    HomogUsageError, HomogDataError
        Bad arguments or data.

    Examples
    --------
    >>> assert_recall_above([["B-PER", "O"]], [["B-PER", "O"]], 0.5, confidence=0.9).low
    1.0
    """
    __tracebackhide__ = True
    return _assert_metric_above(
        "assert_recall_above",
        "recall",
        subject,
        data,
        threshold,
        confidence=confidence,
        level=level,
        scheme=scheme,
        mode=mode,
        average=average,
        n_resamples=n_resamples,
        seed=seed,
        name=name,
        labels=labels,
    )
