"""Assertion helpers: checks that fail a test with a verdict, the evidence and the next step.

Every helper takes the subject first and the ground truth second (see :mod:`pytest_homog.subjects`), records
what it measured with :func:`pytest_homog.record.record_check` (pass or fail), and returns what it measured.

Sections: quality assertions (``assert_f1_above``, ``assert_precision_above``, ``assert_recall_above``);
diversity and homogenization assertions (``assert_models_diverge``, ``assert_not_homogeneous``); the release
gate ``assert_no_regression``; shared
argument checks and message helpers are at the top.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_homog.errors import HomogDataError, HomogUsageError
from pytest_homog.record import CheckRecord, record_check

__all__ = [
    "assert_f1_above",
    "assert_models_diverge",
    "assert_no_regression",
    "assert_not_homogeneous",
    "assert_precision_above",
    "assert_recall_above",
]

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


# ----------------------------------------------------------------------------------------------------------
# diversity and homogenization assertions
# ----------------------------------------------------------------------------------------------------------

#: ``by`` values of :func:`assert_models_diverge`.
DIVERGE_BY = ("f1", "precision", "recall", "disagreement", "error_consistency", "cka")
_GAP_METRIC = {
    "f1": "f1_gap",
    "precision": "precision_gap",
    "recall": "recall_gap",
    "disagreement": "disagreement",
    "error_consistency": "1-error_consistency",
    "cka": "1-cka",
}
_WHAT = {
    "f1": "|delta F1|",
    "precision": "|delta precision|",
    "recall": "|delta recall|",
    "disagreement": "disagreement",
    "error_consistency": "1 - error consistency",
    "cka": "1 - CKA",
}


def _check_number(value: object, name: str, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or (
        not isinstance(value, (int, float)) and not type(value).__module__.startswith("numpy")
    ):
        raise HomogUsageError(f"{name} must be a number; got {value!r}.")
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number) or number < minimum:
        raise HomogUsageError(f"{name} must be a number >= {minimum:g}; got {value!r}.")
    return number


def _element(x: Any) -> Any:
    """A sentence (tag sequence) as a list, a flat label (string or integer) as it is."""
    return list(x) if isinstance(x, (list, tuple)) else x


def _same_references(first: Any, other: Any, name: str) -> None:
    if first is other:
        return
    if len(first) != len(other) or any(_element(x) != _element(y) for x, y in zip(first, other, strict=True)):
        raise HomogDataError(
            f"subject {name!r} was resolved against different references than the first subject; compare "
            "subjects on the same data."
        )


def _resolve(subject: Any, data: Any, name: str | None, role: str) -> Any:
    from pytest_homog.subjects import resolve_subject

    try:
        return resolve_subject(subject, data, name=name)
    except HomogDataError as exc:
        raise HomogDataError(f"subject {name or role!r} does not fit the data: {exc}") from exc


def _resolve_all(subjects: Mapping[str, Any], data: Any) -> list[Any]:
    resolved = [_resolve(subject, data, str(name), str(name)) for name, subject in subjects.items()]
    for r in resolved[1:]:
        _same_references(resolved[0].y_true, r.y_true, r.name)
    return resolved


def _resolve_pair(a: Any, b: Any, data: Any) -> tuple[Any, Any]:
    ra = _resolve(a, data, None, "a")
    rb = _resolve(b, data, None, "b")
    if ra.name == rb.name:  # two models of one name, or two prediction lists: told apart in every message
        ra = dataclasses.replace(ra, name=f"{ra.name} (a)")
        rb = dataclasses.replace(rb, name=f"{rb.name} (b)")
    _same_references(ra.y_true, rb.y_true, rb.name)
    return ra, rb


def _features(subject: Any, data: Any, name: str) -> Any:
    get = getattr(subject, "homog_features", None)
    if not callable(get):
        raise HomogUsageError(
            f"by='cka' compares hidden states, but subject {name!r} ({type(subject).__name__}) has no "
            "homog_features(data) method. Load the model with the homog_model or homog_finetune fixture, or "
            "compare predictions with by='disagreement' or by='error_consistency'."
        )
    return get(data)


def _abs_interval(low: float, high: float) -> tuple[float, float]:
    """Interval of |d| when d lies in [low, high]."""
    if low <= 0.0 <= high:
        return 0.0, max(abs(low), abs(high))  # abs: no -0.0 in messages
    return min(abs(low), abs(high)), max(abs(low), abs(high))


def assert_models_diverge(
    a: Any,
    b: Any,
    data: Any,
    *,
    min_gap: float,
    by: str = "f1",
    confidence: float | None = None,
    level: str | None = None,
    unit: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    n_resamples: int = 1000,
    seed: int | None = 0,
    debiased: bool = False,
    max_examples: int = 100,
) -> CheckRecord:
    """Assert that two subjects differ by at least ``min_gap``.

    The divergence depends on ``by``:

    ``"f1"``, ``"precision"``, ``"recall"``
        ``|metric(a) - metric(b)|`` (at ``level``); the interval comes from the paired bootstrap of
        :func:`~pytest_homog.metrics.stats.compare`.
    ``"disagreement"``
        :func:`~pytest_homog.metrics.diversity.disagreement` of the two predictions at ``level``.
    ``"error_consistency"``
        ``1 - kappa`` of Geirhos et al.'s error consistency on the units of ``unit`` (0 = the same errors,
        1 = as different as chance allows).
    ``"cka"``
        ``1 - linear CKA`` of the subjects' word-pooled hidden states, ``subject.homog_features(data)``
        (Kornblith et al. 2019); both subjects must provide them. No interval: ``confidence`` must be None.

    With ``confidence=None`` the point estimate must reach ``min_gap``; with a confidence the whole interval
    must, i.e. its lower bound (for metric gaps, the interval of ``|delta|``). Intervals are paired bootstraps
    over sentences (examples for flat labels).

    ``data`` may also be generated: a hypothesis strategy of examples (``labelled_sentences(...)``,
    ``text_examples(...)``), searched for ``max_examples`` examples with ``target()`` steering toward examples
    where the models disagree (as :func:`~pytest_homog.behaviour.assert_models_disagree_somewhere` searches,
    seeded with ``seed``), or a list of such examples. The subjects are then models in the sense of
    :mod:`pytest_homog.behaviour` (taggers, classifiers, loaded models), and the divergence is measured on the
    distinct examples seen, with their gold labels. The search looks for disagreement, so on a strategy the
    divergence describes the examples where the models differ most, not a random sample.

    Parameters
    ----------
    a, b : subject
        Models (anything with ``homog_predict(data)``) or predictions of ``data``.
    data : references or dataset
        The references (for predictions) or the data the models predict.
    min_gap : float
        Smallest divergence accepted.
    by : str
        See above.
    confidence : float, optional
        Interval coverage, e.g. 0.95.
    level, unit, scheme, mode
        What is counted and how entities are read (see :mod:`pytest_homog.metrics.diversity`).
    n_resamples, seed : int
        Bootstrap replicates and seed (also the seed of the search, when ``data`` is a strategy).
    debiased : bool
        For ``by="cka"``: use debiased CKA.
    max_examples : int
        When ``data`` is a strategy: how many examples the search draws.

    Returns
    -------
    CheckRecord
        The recorded check.

    Raises
    ------
    AssertionError
        When the divergence (its lower bound, with a confidence) is below ``min_gap``.

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"]] * 10
    >>> a = [["B-PER", "O"], ["B-LOC", "O"]] * 10
    >>> b = [["B-PER", "O"], ["O", "O"]] * 10
    >>> assert_models_diverge(a, b, y_true, min_gap=0.3, by="disagreement").value
    0.5
    """
    __tracebackhide__ = True
    from pytest_homog.metrics.stats import check_confidence

    started = time.perf_counter()
    if by not in DIVERGE_BY:
        raise HomogUsageError(f"by must be one of {', '.join(map(repr, DIVERGE_BY))}; got {by!r}.")
    min_gap = _check_number(min_gap, "min_gap")
    if confidence is not None:
        confidence = check_confidence(confidence)
    if by == "cka" and confidence is not None:
        raise HomogUsageError(
            "by='cka' has no bootstrap interval; pass confidence=None (the point value of 1 - CKA is "
            "compared with min_gap), or use by='disagreement' or 'error_consistency' for an interval."
        )
    from pytest_homog.example_subjects import is_example_data

    if is_example_data(data):
        if by == "cka":
            raise HomogUsageError(
                "by='cka' compares hidden states on a dataset; generated examples give predictions only. Use "
                "by='disagreement', 'error_consistency' or a metric gap, or pass a dataset for by='cka'."
            )
        from pytest_homog.example_subjects import subjects_on_examples

        a, b, data = subjects_on_examples(a, b, data, max_examples=max_examples, seed=seed)
    ra, rb = _resolve_pair(a, b, data)
    evidence: list[str] = []
    details: dict[str, Any] = {"by": by}
    if by != "cka":
        details.update(n_resamples=n_resamples, seed=seed)
    shown = confidence if confidence is not None else EVIDENCE_CONFIDENCE
    low = high = None
    counted = level
    if by in ("f1", "precision", "recall"):
        from pytest_homog.metrics.stats import compare

        est = compare(
            ra.y_true, ra.y_pred, rb.y_pred, by, level=level, scheme=scheme, mode=mode,
            confidence=shown, n_resamples=n_resamples, seed=seed,
        )  # fmt: skip
        value = abs(est.value)
        low, high = _abs_interval(est.low, est.high)
        counted = est.level
        evidence.append(
            f"delta {by} ({ra.name} - {rb.name}) = {est.value:+.4f}, {shown:.0%} CI [{est.low:+.4f}, "
            f"{est.high:+.4f}], bootstrap p = {est.p_value:.3g}, n = {est.n} sentences, "
            f"{est.n_resamples} paired resamples"
        )
        details.update(delta=est.value, delta_low=est.low, delta_high=est.high, p_value=est.p_value)
        n = est.n
    elif by in ("disagreement", "error_consistency"):
        from pytest_homog.metrics.diversity import divergence

        est = divergence(
            ra.y_true, ra.y_pred, rb.y_pred, by=by, confidence=shown, level=level, unit=unit, scheme=scheme,
            mode=mode, n_resamples=n_resamples, seed=seed,
        )  # fmt: skip
        value = est.value
        low, high = est.low, est.high
        counted = est.level
        evidence.append(
            f"{_WHAT[by]} = {value:.4f}, {shown:.0%} CI [{low:.4f}, {high:.4f}] "
            f"({'level' if by == 'disagreement' else 'unit'} {est.level}; paired bootstrap over {est.n} "
            f"sentences, {est.n_resamples} resamples)"
        )
        n = est.n
    else:
        from pytest_homog.metrics.representation import linear_cka

        fa = _features(a, data, ra.name)
        fb = _features(b, data, rb.name)
        similarity = linear_cka(fa, fb, debiased=debiased)
        value = 1.0 - similarity
        n = len(fa)
        evidence.append(f"linear CKA{' (debiased)' if debiased else ''} = {similarity:.4f} on {n} words")
    measured = value if confidence is None else low
    assert measured is not None
    passed = measured >= min_gap
    if confidence is None:
        details.update(
            interval_low=low, interval_high=high, interval_confidence=shown if low is not None else None
        )
    record = record_check(
        CheckRecord(
            check="assert_models_diverge",
            metric=_GAP_METRIC[by],
            value=value,
            passed=passed,
            threshold=min_gap,
            compared="value" if confidence is None else "low",
            low=low if confidence is not None else None,
            high=high if confidence is not None else None,
            confidence=confidence,
            n=n,
            level=counted,
            scheme=scheme,
            mode=mode,
            subjects=(ra.name, rb.name),
            data=ra.data_name,
            details=details,
            duration=time.perf_counter() - started,
        )
    )
    if passed:
        return record
    what = _WHAT[by]
    if confidence is None:
        verdict = f"{what} = {value:.4f} is below min_gap {min_gap:g}"
        if low is not None:
            verdict += f" ({shown:.0%} CI of the gap [{low:.4f}, {high:.4f}])"
    else:
        verdict = (
            f"the {confidence:.0%} CI of {what}, [{low:.4f}, {high:.4f}], does not clear min_gap {min_gap:g} "
            f"(gap {value:.4f})"
        )
    raise AssertionError(
        failure_message(
            f"assert_models_diverge: {ra.name!r} and {rb.name!r} do not diverge by {by}: {verdict}",
            evidence,
            "Next step: the two subjects are closer than required on this data. If they are meant to be "
            "different models, change what they share (base checkpoint, training data, seed); if a smaller "
            "gap is acceptable, lower min_gap"
            + (
                "; with few sentences, a wide interval may be the cause: use more data."
                if confidence
                else "."
            ),
        )
    )


def _window(tokens: Sequence[str], marks: list[tuple[int, int, str]], context: int = 8) -> str:
    """Tokens around the marked spans, each span written ``[tok tok]{label}``."""
    if not marks:
        first, last = 0, min(len(tokens), 2 * context)
    else:
        first = max(0, min(s for s, _, _ in marks) - context)
        last = min(len(tokens), max(e for _, e, _ in marks) + context)
    starts = {s: (e, label) for s, e, label in marks}
    out: list[str] = []
    i = first
    while i < last:
        if i in starts:
            e, label = starts[i]
            out.append("[" + " ".join(map(str, tokens[i:e])) + "]{" + str(label) + "}")
            i = e
        else:
            out.append(str(tokens[i]))
            i += 1
    return ("... " if first > 0 else "") + " ".join(out) + (" ..." if last < len(tokens) else "")


def _describe_unit(ref: Any, unit: str, y_true: Sequence[Any], texts: Any, scheme: str, mode: str) -> str:
    s = ref.sentence
    text = texts[s] if texts is not None and len(texts) > s else None
    if unit == "example":
        shown = f"{str(text)[:100]!r} " if text is not None else ""
        return f"example {s}: {shown}(gold {ref.label!r})"
    tokens = text if text is not None and not isinstance(text, str) else None
    if unit == "entity":
        marks = [(ref.start, ref.end, ref.label)]
        where = f"sentence {s}, {ref.label} at tokens {ref.start}-{ref.end - 1}"
    elif unit == "token":
        marks = [(ref.start, ref.end, ref.label)]
        where = f"sentence {s}, token {ref.start} (gold {ref.label})"
    else:
        from pytest_homog.metrics.tags import extract_entities

        marks = [(st, en, t) for t, st, en in extract_entities(y_true[s], scheme=scheme, mode=mode)]
        spans = ", ".join(f"{t} {st}-{en - 1}" for st, en, t in marks)
        where = f"sentence {s}, {len(marks)} gold entities" + (f" ({spans})" if marks else "")
    if tokens is None or len(tokens) != len(y_true[s]):
        return where  # predictions carry no text; a model subject gives it
    return f"{where}: {_window(tokens, marks)}"


def assert_not_homogeneous(
    subjects: Mapping[str, Any],
    data: Any,
    *,
    max_homogenization: float = 2.0,
    max_similarity: float | None = None,
    by: str = "error_consistency",
    unit: str | None = None,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    show: int = 5,
) -> CheckRecord:
    """Assert that two or more subjects do not fail together more than ``max_homogenization`` allows.

    Measures outcome homogenization (Bommasani et al. 2022): the share of units every subject fails divided by
    the share expected if they failed independently; 1 = independent errors. The default bound 2.0 fails
    when shared failures are twice as common as independent errors would make them. With ``max_similarity``
    every pair's similarity (``by``, see :func:`~pytest_homog.metrics.diversity.similarity_matrix`) must also
    stay at or below it. Homogenization alone does not catch exact copies of a weak model (k identical subjects
    failing a share f of the units score f / f**k, 1.67 for two copies failing 60%); bound ``max_similarity``
    too (e.g. 0.9 with ``by="error_consistency"``) to fail near-copies.

    The failure message shows the k x k similarity matrix and the first ``show`` units that every subject
    fails, with their text (the gold entity marked ``[tokens]{type}``), so the shared blind spot can be seen.

    When every subject gets every unit right homogenization is undefined and the check fails (the data cannot
    tell the subjects apart). When only some do, no unit can be failed by all: the value is 0.0 (with an
    :class:`~pytest_homog.errors.UndefinedMetricWarning`) and the homogenization bound passes.

    Parameters
    ----------
    subjects : mapping of str to subject
        Two or more models or predictions, by name.
    data : references or dataset
        What every subject is resolved against.
    max_homogenization : float
        Largest outcome homogenization accepted.
    max_similarity : float, optional
        Largest pairwise similarity accepted.
    by : str
        Measure of the similarity matrix: ``error_consistency``, ``disagreement`` (as 1 - disagreement),
        ``kappa``, ``yules_q`` or ``cka`` (needs ``homog_features(data)`` on every subject).
    unit : {"entity", "sentence", "token", "example"}, optional
        Units of homogenization and of outcome-based similarities.
    level, scheme, mode
        As in :func:`~pytest_homog.metrics.diversity.similarity_matrix`.
    show : int
        How many shared failures the message lists.

    Returns
    -------
    CheckRecord
        The homogenization check.

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"], ["B-ORG", "O"], ["B-PER", "O"]]
    >>> subjects = {
    ...     "a": [["B-PER", "O"], ["O", "O"], ["O", "O"], ["B-PER", "O"]],
    ...     "b": [["B-PER", "O"], ["O", "O"], ["B-ORG", "O"], ["B-PER", "O"]],
    ... }
    >>> assert_not_homogeneous(subjects, y_true, max_homogenization=2.5).value
    2.0
    """
    __tracebackhide__ = True
    from pytest_homog.metrics.diversity import (
        BY,
        check_group,
        homogenization_and_similarity,
        outcome_homogenization,
        similarity_matrix,
    )

    started = time.perf_counter()
    check_group(subjects, "assert_not_homogeneous", "subject", "{'candidate': model_a, 'incumbent': model_b}")
    if by not in BY:
        raise HomogUsageError(f"by must be one of {', '.join(map(repr, BY))}; got {by!r}.")
    max_homogenization = _check_number(max_homogenization, "max_homogenization")
    if max_similarity is not None:
        max_similarity = _check_number(max_similarity, "max_similarity", minimum=-1.0)
    resolved = _resolve_all(subjects, data)
    names = [r.name for r in resolved]
    y_true = resolved[0].y_true
    texts = resolved[0].texts
    predictions = {r.name: r.y_pred for r in resolved}
    if by == "cka":
        homog = outcome_homogenization(y_true, predictions, unit=unit, scheme=scheme, mode=mode)
        features = {name: _features(s, data, name) for name, s in zip(names, subjects.values(), strict=True)}
        matrix = similarity_matrix(None, features, by="cka")
    else:
        homog, matrix = homogenization_and_similarity(
            y_true, predictions, by=by, unit=unit, level=level, scheme=scheme, mode=mode
        )
    all_perfect = all(rate == 0.0 for rate in homog.failure_rates.values())
    homog_ok = not all_perfect and float(homog) <= max_homogenization
    closest = matrix.pairs()[0]
    sim_ok = max_similarity is None or closest[2] <= max_similarity
    shared = homog.shared_failures
    details = {
        "unit": homog.unit,
        "systemic_failure_rate": homog.systemic_failure_rate,
        "expected_failure_rate": homog.expected_failure_rate,
        "failure_rates": dict(homog.failure_rates),
        "defined": homog.defined,
        "n_shared_failures": len(shared),
        "shared_failures": [ref._asdict() for ref in shared[:20]],
        "matrix": matrix.to_dict(),
    }
    duration = time.perf_counter() - started
    common = dict(
        level=homog.unit, scheme=scheme, mode=mode, subjects=tuple(names), data=resolved[0].data_name
    )
    record = record_check(
        CheckRecord(
            check="assert_not_homogeneous",
            metric="outcome_homogenization",
            value=float(homog),
            passed=homog_ok,
            threshold=max_homogenization,
            n=homog.n_units,
            details=details,
            duration=duration,
            **common,
        )
    )
    if max_similarity is not None:
        record_check(
            CheckRecord(
                check="assert_not_homogeneous",
                metric=f"max_similarity:{by}",
                value=closest[2],
                passed=sim_ok,
                threshold=max_similarity,
                n=matrix.n,
                details={"pair": [closest[0], closest[1]], "matrix": matrix.to_dict()},
                duration=duration,
                **common,
            )
        )
    if homog_ok and sim_ok:
        return record
    verdicts = []
    if all_perfect:
        verdicts.append(
            f"outcome homogenization is undefined: every subject gets every {homog.unit} right, so the data "
            "cannot show that they fail differently"
        )
    elif not homog_ok:
        verdicts.append(
            f"outcome homogenization {float(homog):.3f} > max_homogenization {max_homogenization:g}"
        )
    if not sim_ok:
        verdicts.append(
            f"{closest[0]!r} and {closest[1]!r} have similarity {closest[2]:.3f} by {by} > max_similarity "
            f"{max_similarity:g}"
        )
    rates = ", ".join(f"{name} {rate:.3f}" for name, rate in homog.failure_rates.items())
    lines = [
        f"assert_not_homogeneous: {len(names)} subjects are homogeneous: " + "; ".join(verdicts),
        f"  every subject fails {len(shared)} of {homog.n_units} {homog.unit} units "
        f"(systemic-failure rate {homog.systemic_failure_rate:.4f}; "
        f"{homog.expected_failure_rate:.4f} expected if failures were independent)",
        f"  failure rates: {rates}",
        f"similarity matrix ({by}{f', {matrix.n} units' if matrix.n else ''}):",
        matrix.to_markdown(),
    ]
    if shared:
        lines.append(f"units every subject fails (first {min(show, len(shared))} of {len(shared)}):")
        lines.extend(
            "  " + _describe_unit(ref, homog.unit, y_true, texts, scheme, mode)
            for ref in shared[: max(show, 0)]
        )
    if all_perfect and sim_ok:
        lines.append(
            "Next step: every subject is right on every unit, so this data cannot show whether they fail alike; "
            "evaluate on more or harder data."
        )
    else:
        lines.append(
            "Next step: these units are a blind spot the subjects share. Look at what they have in common (base "
            "checkpoint, training data), add training data for the shared failures, or raise the bound if this "
            "level of shared failure is acceptable."
        )
    raise AssertionError("\n".join(lines))


# ----------------------------------------------------------------------------------------------------------
# release gate: candidate against baseline
# ----------------------------------------------------------------------------------------------------------


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
    seed: int | None = 0,
) -> Any:
    """Assert that ``candidate`` is not worse than ``baseline`` on ``metric`` by more than ``tolerance``.

    The difference d = metric(candidate) - metric(baseline) is estimated with the paired bootstrap of
    :func:`~pytest_homog.metrics.stats.compare` (the same resampled sentences for both subjects). With a
    ``confidence`` the check fails only when the regression is established at that confidence: the whole
    interval of d lies below ``-tolerance`` (its upper bound is < ``-tolerance``), so sampling noise on the test
    data cannot fail a release. With ``confidence=None`` the point difference is compared: it fails when
    d < ``-tolerance``.

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
        Interval coverage (default 0.95); ``None`` compares the point difference.
    level, scheme, mode, average
        As in :func:`pytest_homog.f1_score`.
    n_resamples, seed : int
        Bootstrap replicates and seed.

    Returns
    -------
    Estimate
        The paired difference candidate - baseline, with its interval and bootstrap p-value.

    Raises
    ------
    AssertionError
        The candidate regressed beyond ``tolerance``.

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"]] * 10
    >>> old = [["B-PER", "O"], ["O", "O"]] * 10
    >>> new = [["B-PER", "O"], ["B-LOC", "O"]] * 10
    >>> round(assert_no_regression(new, old, y_true).value, 3)
    0.333
    """
    __tracebackhide__ = True
    from pytest_homog.metrics.quality import check_average, check_metric
    from pytest_homog.metrics.stats import check_confidence, compare

    started = time.perf_counter()
    check_metric(metric)
    tol = _check_number(tolerance, "tolerance")
    conf = None if confidence is None else check_confidence(confidence)
    if check_average(average) is None:
        raise HomogUsageError(
            "assert_no_regression needs a single number: average must be 'micro', 'macro' or 'weighted'; got None."
        )
    rc, rb = _resolve_pair(candidate, baseline, data)
    est = compare(
        rc.y_true, rc.y_pred, rb.y_pred, metric, level=level, scheme=scheme, mode=mode, average=average,
        confidence=EVIDENCE_CONFIDENCE if conf is None else conf, n_resamples=n_resamples, seed=seed,
    )  # fmt: skip
    measured = est.value if conf is None else est.high
    passed = bool(measured >= -tol)
    record_check(
        CheckRecord(
            check="assert_no_regression",
            metric=f"{metric}_delta",
            value=est.value,
            passed=passed,
            threshold=-tol,
            compared="value" if conf is None else "high",
            low=est.low,
            high=est.high,
            confidence=est.confidence,
            n=est.n,
            level=est.level,
            scheme=scheme if est.level == "entity" else None,
            mode=mode if est.level == "entity" else None,
            subjects=(rc.name, rb.name),
            data=rc.data_name,
            details={"average": average, "n_resamples": n_resamples, "seed": seed, "p_value": est.p_value},
            duration=time.perf_counter() - started,
            higher_is_better=True,
        )
    )
    if passed:
        return est
    title = _METRIC_TITLE[metric]
    interval = f"[{est.low:+.4f}, {est.high:+.4f}]"
    if conf is None:
        verdict = (
            f"assert_no_regression failed: {est.level} {title} of {rc.name!r} is {-est.value:.4f} below "
            f"{rb.name!r}, more than the tolerance {tol:g} (delta {est.value:+.4f})."
        )
    else:
        verdict = (
            f"assert_no_regression failed: {est.level} {title} of {rc.name!r} is below {rb.name!r} by more than "
            f"the tolerance {tol:g} at {conf:.0%} confidence: delta {est.value:+.4f}, CI {interval}, upper bound "
            f"{est.high:+.4f} < {-tol:+g}."
        )
    evidence = [
        f"delta = {title}({rc.name}) - {title}({rb.name}); {est.confidence:.0%} CI {interval}, "
        f"bootstrap p = {est.p_value:.3g}",
        f"n = {est.n} {_units(est.level or 'entity')}, {est.n_resamples} paired resamples (seed {seed}), "
        f"average={average}"
        + (f", scheme={scheme}, mode={mode}" if est.level == "entity" else ""),
    ]
    step = (
        "Next step: compare the two per label (pytest_homog.classification_report on each) to see where the "
        "candidate lost; fix the candidate, or raise the tolerance deliberately if the drop is acceptable."
    )
    raise AssertionError(failure_message(verdict, evidence, step))
