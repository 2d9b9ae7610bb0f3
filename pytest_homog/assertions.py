"""Assertion helpers: checks that fail a test with a verdict, the evidence and the next step.

Every helper takes the subject first and the ground truth second (see :mod:`pytest_homog.subjects`), records
what it measured with :func:`pytest_homog.record.record_check` (pass or fail), and returns what it measured.

Sections: quality assertions (``assert_f1_above``, ``assert_precision_above``, ``assert_recall_above``);
shared argument checks and message helpers are at the top.
"""

from __future__ import annotations

import math
import numbers
import time
from typing import Any

from pytest_homog.errors import HomogUsageError
from pytest_homog.record import CheckRecord, record_check

__all__ = ["assert_f1_above", "assert_precision_above", "assert_recall_above"]

# the interval shown as evidence when a check compares the point estimate (confidence=None)
EVIDENCE_CONFIDENCE = 0.95


# ----------------------------------------------------------------------------------------------------------
# shared helpers
# ----------------------------------------------------------------------------------------------------------


def check_threshold(threshold: object, name: str = "threshold") -> float:
    """Return ``threshold`` as a float if it lies strictly between 0 and 1.

    Examples
    --------
    >>> check_threshold(0.4)
    0.4
    """
    message = f"{name} must be a number strictly between 0 and 1 (e.g. 0.4); got {threshold!r}."
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise HomogUsageError(message)
    value = float(threshold)
    if math.isnan(value) or not 0.0 < value < 1.0:
        raise HomogUsageError(message)
    return value


def failure_message(verdict: str, evidence: list[str], step: str) -> str:
    """The text of a failed check: a one-line verdict, the evidence (indented), the next step.

    Examples
    --------
    >>> print(failure_message("check failed: 0.3 < 0.4.", ["n=10"], "Next step: look."))
    check failed: 0.3 < 0.4.
      n=10
    Next step: look.
    """
    return "\n".join([verdict, *("  " + line for line in evidence), step])


def _units(level: str) -> str:
    return "examples" if level == "label" else "sentences"


# ----------------------------------------------------------------------------------------------------------
# quality assertions
# ----------------------------------------------------------------------------------------------------------

_METRIC_TITLE = {"f1": "F1", "precision": "precision", "recall": "recall"}


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
    seed: int | None,
    name: str | None,
) -> Any:
    __tracebackhide__ = True
    from pytest_homog.metrics.quality import check_average, report_from_counts, unit_counts
    from pytest_homog.metrics.stats import (
        check_confidence,
        check_n_resamples,
        check_seed,
        estimate_from_counts,
    )
    from pytest_homog.metrics.tags import check_mode, check_scheme
    from pytest_homog.subjects import resolve_subject

    started = time.perf_counter()
    bound = check_threshold(threshold)
    conf = None if confidence is None else check_confidence(confidence)
    if check_average(average) is None:
        raise HomogUsageError(
            f"{check} needs a single number: average must be 'micro', 'macro' or 'weighted'; got None."
        )
    check_scheme(scheme)
    check_mode(mode)
    n_res = check_n_resamples(n_resamples)
    seed_ = check_seed(seed)

    resolved = resolve_subject(subject, data, name=name)
    counts = unit_counts(resolved.y_true, resolved.y_pred, level=level, scheme=scheme, mode=mode)
    estimate = estimate_from_counts(
        counts,
        metric=metric,
        average=average,
        confidence=EVIDENCE_CONFIDENCE if conf is None else conf,
        n_resamples=n_res,
        seed=seed_,
        zero_division=0.0,
    )
    report = report_from_counts(counts, zero_division=0.0, scheme=scheme, mode=mode)
    compared = "value" if conf is None else "low"
    measured = estimate.value if conf is None else estimate.low
    passed = bool(measured >= bound)
    worst = report.worst(3)
    how = f"level={counts.level}" + (f", scheme={scheme}, mode={mode}" if counts.level == "entity" else "")
    record_check(
        CheckRecord(
            check=check,
            metric=metric,
            value=estimate.value,
            passed=passed,
            threshold=bound,
            compared=compared,
            low=estimate.low,
            high=estimate.high,
            confidence=estimate.confidence,
            n=estimate.n,
            level=counts.level,
            scheme=scheme if counts.level == "entity" else None,
            mode=mode if counts.level == "entity" else None,
            subjects=(resolved.name,),
            data=resolved.data_name,
            details={
                "average": average,
                "n_resamples": n_res,
                "seed": seed_,
                "worst_labels": [row._asdict() for row in worst],
                "labels": report.to_dict(),
            },
            duration=time.perf_counter() - started,
        )
    )
    if passed:
        return estimate

    title = _METRIC_TITLE[metric]
    interval = f"[{estimate.low:.3f}, {estimate.high:.3f}]"
    pct = f"{estimate.confidence * 100:g}%"
    if conf is None:
        verdict = (
            f"{check} failed: {counts.level} {title} ({average}) = {estimate.value:.3f} is below the "
            f"threshold {bound:.3f}."
        )
        evidence = [f"{pct} CI {interval} (for reference; the point estimate was compared)"]
    else:
        verdict = (
            f"{check} failed: the lower bound of the {pct} CI of {counts.level} {title} ({average}), "
            f"{estimate.low:.3f}, is below the threshold {bound:.3f} "
            f"(value {estimate.value:.3f}, CI {interval})."
        )
        evidence = []
    data_part = f" on {resolved.data_name}" if resolved.data_name else ""
    evidence.append(
        f"subject {resolved.name}{data_part}: n={estimate.n} {_units(counts.level)}, {how}, "
        f"{n_res} bootstrap resamples (seed {seed_})"
    )
    _, pred, gold = counts.totals()
    if int(pred.sum()) == 0:
        evidence.append(
            f"the subject predicted nothing ({'no entities' if counts.level == 'entity' else 'no labels'})."
        )
    if int(gold.sum()) == 0:
        evidence.append("the references hold nothing to find (no gold items).")
    if worst:
        evidence.append("worst labels:")
        evidence.extend("  " + line for line in report.to_markdown(rows=worst).splitlines())
    if conf is not None and estimate.value >= bound:
        step = (
            f"Next step: the value clears {bound:.3f} but the interval is too wide to be sure; evaluate on "
            f"more {_units(counts.level)}, or improve the worst labels above."
        )
    else:
        step = (
            "Next step: inspect the errors on the worst labels above "
            "(pytest_homog.classification_report(y_true, y_pred) lists every label); improve the model, "
            "or lower the threshold deliberately if the bar was set too high."
        )
    raise AssertionError(failure_message(verdict, evidence, step))


_DOC = """
    Parameters
    ----------
    subject
        A model (an object with ``homog_predict``) or predictions (see :mod:`pytest_homog.subjects`).
    data
        The data a model predicts on, or the references of the predictions.
    threshold : float
        The bar, strictly between 0 and 1.
    confidence : float, optional
        ``None`` (default): the point estimate must reach ``threshold`` (a 95% interval is still computed and
        shown as evidence). A number in (0, 1): the lower bound of the ``confidence`` percentile-bootstrap
        interval must reach it.
    level, scheme, mode, average
        As in :func:`pytest_homog.f1_score`; ``average`` may not be ``None``.
    n_resamples, seed : int
        Bootstrap replicates and seed (see :func:`pytest_homog.score`).
    name : str, optional
        The subject's name in the report, when it has no ``homog_name``.

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
"""


def assert_f1_above(
    subject: Any,
    data: Any,
    threshold: float,
    *,
    confidence: float | None = None,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    average: str = "micro",
    n_resamples: int = 1000,
    seed: int | None = 0,
    name: str | None = None,
) -> Any:
    """Assert that F1 reaches ``threshold`` (its point estimate, or the lower bound of its interval).
    {doc}
    Examples
    --------
    >>> est = assert_f1_above([["B-PER", "O"], ["B-LOC"]], [["B-PER", "O"], ["B-LOC"]], 0.9)
    >>> est.value
    1.0
    >>> assert_f1_above([["B-PER", "O"], ["O"]], [["B-PER", "O"], ["B-LOC"]], 0.9)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: assert_f1_above failed: entity F1 (micro) = 0.667 is below the threshold 0.900.
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
    )


def assert_precision_above(
    subject: Any,
    data: Any,
    threshold: float,
    *,
    confidence: float | None = None,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    average: str = "micro",
    n_resamples: int = 1000,
    seed: int | None = 0,
    name: str | None = None,
) -> Any:
    """Assert that precision reaches ``threshold`` (its point estimate, or the lower bound of its interval).
    {doc}
    Examples
    --------
    >>> assert_precision_above(["a", "b", "b"], ["a", "b", "a"], 0.5).value
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
    )


def assert_recall_above(
    subject: Any,
    data: Any,
    threshold: float,
    *,
    confidence: float | None = None,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    average: str = "micro",
    n_resamples: int = 1000,
    seed: int | None = 0,
    name: str | None = None,
) -> Any:
    """Assert that recall reaches ``threshold`` (its point estimate, or the lower bound of its interval).
    {doc}
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
    )


for _fn in (assert_f1_above, assert_precision_above, assert_recall_above):
    _fn.__doc__ = (_fn.__doc__ or "").replace("{doc}", _DOC)
del _fn
