"""Divergence checks: two subjects must differ by at least a gap (a metric gap, disagreement, error consistency,
CAPA or CKA), on the point estimate or the lower bound of its interval."""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_homog.checks.messages import (
    EVIDENCE_CONFIDENCE,
    check_number,
    failure_message,
    family_note,
    gate_confidence,
    gate_resamples,
    gate_unit,
    gate_verdict,
    percent,
    resolve_seed,
)
from pytest_homog.errors import HomogUsageError, UndefinedMetricWarning
from pytest_homog.record import CheckRecord, record_check
from pytest_homog.run_context import RUN_SEED, RunSeed

if TYPE_CHECKING:
    from pytest_homog.metrics.bootstrap import Estimate
    from pytest_homog.subjects import Resolved

__all__ = ["DIVERGE_BY", "assert_models_diverge"]

#: ``by`` values of :func:`assert_models_diverge`.
DIVERGE_BY = ("f1", "precision", "recall", "disagreement", "error_consistency", "same_wrong_answer", "capa", "cka")
_GAP_METRIC = {
    "f1": "f1_gap",
    "precision": "precision_gap",
    "recall": "recall_gap",
    "disagreement": "disagreement",
    "error_consistency": "1-error_consistency",
    "same_wrong_answer": "1-same_wrong_answer",
    "capa": "1-capa",
    "cka": "1-cka",
}
_WHAT = {
    "f1": "|delta F1|",
    "precision": "|delta precision|",
    "recall": "|delta recall|",
    "disagreement": "disagreement",
    "error_consistency": "1 - error consistency",
    "same_wrong_answer": "1 - same wrong answer",
    "capa": "1 - CAPA",
    "cka": "1 - CKA",
}


@dataclass
class _Gap:
    """What was measured: the divergence, its interval (if any), n, what was counted, evidence and details."""

    value: float
    n: int
    counted: str | None
    evidence: list[str]
    low: float | None = None
    high: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    #: the bootstrap estimate the interval came from (its replicates give the gate's p-value)
    estimate: Estimate | None = None


def _check_options(by: object, min_gap: object, confidence: object) -> tuple[float, float | None]:
    from pytest_homog.metrics.bootstrap import check_confidence

    if not isinstance(by, str) or by not in DIVERGE_BY:
        raise HomogUsageError(f"by must be one of {', '.join(map(repr, DIVERGE_BY))}; got {by!r}.")
    gap = check_number(
        min_gap, "min_gap", strict=True, why=" (any two subjects diverge by 0 or more, so the check could never fail)"
    )
    coverage = None if confidence is None else check_confidence(confidence)
    # linear CKA has no bootstrap interval here: its point value is compared and the record says so
    return gap, None if by == "cka" else coverage


def _abs_interval(low: float, high: float) -> tuple[float, float]:
    """Interval of |d| when d lies in [low, high]."""
    if low <= 0.0 <= high:
        return 0.0, max(abs(low), abs(high))  # abs: no -0.0 in messages
    return min(abs(low), abs(high)), max(abs(low), abs(high))


def _metric_gap(
    a: Resolved, b: Resolved, by: str, level: str | None, shown: float, n_resamples: int, seed: int | None
) -> _Gap:
    from pytest_homog.metrics.bootstrap import count_pair, paired_difference

    corpus = a.corpus
    estimate = paired_difference(
        *count_pair(a.predictions, b.predictions, corpus, level=corpus.resolve_level(level)),
        metric=by,
        average="micro",
        confidence=shown,
        n_resamples=n_resamples,
        seed=seed,
        zero_division="warn",
    )
    low, high = _abs_interval(estimate.low, estimate.high)
    evidence = [
        f"delta {by} ({a.name} - {b.name}) = {estimate.value:+.4f}, {percent(shown)} CI [{estimate.low:+.4f}, "
        f"{estimate.high:+.4f}], bootstrap p = {estimate.p_value:.3g}, n = {estimate.n} sentences, "
        f"{estimate.n_resamples} paired resamples"
    ]
    details = {
        "delta": estimate.value,
        "delta_low": estimate.low,
        "delta_high": estimate.high,
        "p_value": estimate.p_value,
    }
    return _Gap(abs(estimate.value), estimate.n, estimate.level, evidence, low, high, details, estimate=estimate)


def _divergence(
    a: Resolved,
    b: Resolved,
    by: str,
    level: str | None,
    unit: str | None,
    shown: float,
    n_resamples: int,
    seed: int | None,
) -> _Gap:
    from pytest_homog.metrics.agreement import divergence_estimate, read_entities

    read_entities(a.corpus, [a.predictions, b.predictions])
    corpus = a.corpus
    counted = corpus.resolve_level(level) if by == "disagreement" else gate_unit(corpus, unit)
    reason = None if by == "disagreement" else _constant_outcomes(a, b, counted)
    with warnings.catch_warnings():
        if reason is not None:  # the reason says it, and the check fails
            warnings.simplefilter("ignore", UndefinedMetricWarning)
        estimate = divergence_estimate(
            a.predictions, b.predictions, by=by, counted=counted, confidence=shown, n_resamples=n_resamples, seed=seed
        )
    evidence = [
        f"{_WHAT[by]} = {estimate.value:.4f}, {percent(shown)} CI [{estimate.low:.4f}, {estimate.high:.4f}] "
        f"({'level' if by == 'disagreement' else 'unit'} {estimate.level}; paired bootstrap over {estimate.n} "
        f"sentences, {estimate.n_resamples} resamples)"
    ]
    details = {} if reason is None else {"undefined": reason}
    interval = (estimate.low, estimate.high)
    return _Gap(estimate.value, estimate.n, estimate.level, evidence, *interval, details, reason, estimate)


def _add_power(gap: _Gap, min_gap: float, confidence: float | None) -> None:
    """Record the divergence beyond ``min_gap`` that this data shows with 80% power, and say it in the evidence."""
    from pytest_homog.metrics.bootstrap import DETECTION_POWER, detectable_change

    spread = None if gap.estimate is None else gap.estimate.standard_error
    if spread is None or gap.reason is not None:
        return
    detectable = detectable_change(spread, confidence)
    gap.details["detectable_change"] = detectable
    line = (
        f"power: this data shows a divergence of {min_gap + detectable:.4f} or more (min_gap + {detectable:.4f}) "
        f"with {DETECTION_POWER:.0%} power (bootstrap standard error {spread:.4f} on n = {gap.n})"
    )
    if min_gap < detectable:
        line += (
            f"; min_gap {min_gap:g} is below that change, so subjects that truly diverge by between {min_gap:g} "
            f"and {min_gap + detectable:.4f} mostly fail"
        )
    gap.evidence.append(line)


def _different_wrong_answers(
    a: Resolved, b: Resolved, unit: str | None, shown: float, sampling: tuple[int, int | None]
) -> _Gap:
    """``1 - same wrong answer``: of the units both fail, the share where their wrong outputs differ, with its
    paired-bootstrap interval (a resample where the two fail nothing together is undefined)."""
    import numpy as np

    from pytest_homog.metrics.bootstrap import Estimate, standard_error
    from pytest_homog.metrics.group_counts import interval, replicate_totals
    from pytest_homog.metrics.wrong_answers import per_sentence_same_wrong

    corpus = a.corpus
    counted = gate_unit(corpus, unit)
    per_sentence = per_sentence_same_wrong([a.predictions, b.predictions], counted)
    totals = np.vstack([per_sentence.sum(axis=0), replicate_totals(per_sentence, *sampling)])
    with np.errstate(divide="ignore", invalid="ignore"):
        divergences = np.where(totals[:, 0] > 0, 1.0 - totals[:, 1] / totals[:, 0], np.nan)
    value, replicates = float(divergences[0]), divergences[1:]
    low, high = interval(replicates, shown)
    both = int(totals[0, 0])
    estimate = Estimate(
        value, low, high, shown, corpus.n_units, "1-same_wrong_answer", None, counted, None, sampling[0],
        standard_error(replicates), replicates,
    )  # fmt: skip
    reason = None
    if both == 0:
        reason = f"same wrong answer is undefined: {a.name!r} and {b.name!r} fail no {counted} unit together"
    evidence = [
        f"1 - same wrong answer = {value:.4f}, {percent(shown)} CI [{low:.4f}, {high:.4f}] (of the {both} "
        f"{counted} units both fail, the share where their wrong outputs differ; paired bootstrap over "
        f"{corpus.n_units} sentences, {sampling[0]} resamples)"
    ]
    details = {} if reason is None else {"undefined": reason}
    return _Gap(value, corpus.n_units, counted, evidence, low, high, details, reason, estimate)


def _constant_outcomes(a: Resolved, b: Resolved, unit: str) -> str | None:
    """Why error consistency is undefined for ``a`` and ``b``: a subject right (or wrong) on every unit has
    constant outcomes, so chance explains all agreement with it and kappa is 0 (or 0 / 0) whatever the other
    does; None when both have varied outcomes."""
    right, _, _ = a.corpus.group_outcomes([a.predictions, b.predictions], unit)
    if right.shape[1] == 0:
        return None  # no units: the measure raises with its own message
    for resolved, outcomes in zip((a, b), right, strict=True):
        if outcomes.all() or not outcomes.any():
            what = "right" if outcomes.all() else "wrong"
            return (
                f"error consistency is undefined: {resolved.name!r} is {what} on every {unit} unit, so its "
                "agreement with any subject is what chance gives and kappa says nothing about how alike the two "
                "are"
            )
    return None


def _capa(a: Any, b: Any, data: Any, names: tuple[str, str], shown: float, n_resamples: int, seed: int | None) -> _Gap:
    from pytest_homog.metrics.capa import UNDEFINED, capa
    from pytest_homog.subjects import model_probabilities

    read = model_probabilities(data, dict(zip(names, (a, b), strict=True)), None)
    if read is None:
        raise HomogUsageError(
            "assert_models_diverge(by='capa') compares the probabilities of two models (from the homog_model or "
            "homog_finetune fixtures); predictions have none. Compute capa(y_true, proba_a, proba_b, labels=..., "
            "confidence=0.95) on probabilities you have, or use by='error_consistency'."
        )
    y_true, probabilities, labels = read
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # the reason says it, and the check fails
        result = capa(
            y_true, *probabilities.values(), labels=labels, confidence=shown, n_resamples=n_resamples, seed=seed
        )
    reason = UNDEFINED if math.isnan(result.kappa) else None
    low, high = math.nan, math.nan  # the interval of 1 - kappa_p is its mirror image
    if result.low is not None and result.high is not None:
        low, high = 1.0 - result.high, 1.0 - result.low
    nested = bool(y_true) and isinstance(y_true[0], list)
    evidence = [
        f"1 - CAPA = {1.0 - result.kappa:.4f}, {percent(shown)} CI [{low:.4f}, {high:.4f}] "
        f"(kappa_p {result.kappa:.4f}: c_obs {result.c_obs:.4f}, c_exp {result.c_exp:.4f}; {result.n} "
        f"{'words' if nested else 'examples'}, paired bootstrap over {len(y_true)} "
        f"{'sentences' if nested else 'examples'}, {n_resamples} resamples)"
    ]
    details = {"c_obs": result.c_obs, "c_exp": result.c_exp, **({} if reason is None else {"undefined": reason})}
    level = "token" if nested else "label"
    return _Gap(1.0 - result.kappa, result.n, level, evidence, low, high, details, reason)


def _cka(a: Any, b: Any, data: Any, names: tuple[str, str], debiased: bool, level: str | None) -> _Gap:
    from pytest_homog.metrics.representation import linear_cka
    from pytest_homog.subjects import subject_features

    features_a = subject_features(a, data, names[0])
    features_b = subject_features(b, data, names[1])
    similarity = linear_cka(features_a, features_b, debiased=debiased)
    n = len(features_a)
    evidence = [
        f"linear CKA{' (debiased)' if debiased else ''} = {similarity:.4f} on {n} words (no bootstrap interval: "
        "the point value is compared)"
    ]
    details = {"interval": "none: linear CKA has no bootstrap interval here; the point value is compared"}
    return _Gap(1.0 - similarity, n, level, evidence, details=details)


def _gap_p_value(by: str, gap: _Gap, min_gap: float) -> float:
    """The gate's tail p-value: a metric gap clears ``min_gap`` when its interval lies wholly above ``min_gap`` or
    wholly below ``-min_gap``, so its p-value is the smaller of the two tails; an undefined measure proves
    nothing."""
    estimate = gap.estimate
    if gap.reason is not None or estimate is None:
        return 1.0
    if by in ("f1", "precision", "recall"):
        return min(estimate.tail_p_value(min_gap, "low"), estimate.tail_p_value(-min_gap, "high"))
    return estimate.tail_p_value(min_gap, "low")


def _record(
    by: str, gap: _Gap, min_gap: float, confidence: float | None, shown: float, passed: bool, context: dict[str, Any]
) -> CheckRecord:
    details: dict[str, Any] = {"by": by, **context["sampling"], **gap.details}
    if confidence is None:
        details.update(
            interval_low=gap.low,
            interval_high=gap.high,
            interval_confidence=shown if gap.low is not None else None,
        )
    return record_check(
        CheckRecord(
            check="assert_models_diverge",
            metric=_GAP_METRIC[by],
            value=gap.value,
            passed=passed,
            threshold=min_gap,
            compared="value" if confidence is None else "low",
            low=gap.low if confidence is not None else None,
            high=gap.high if confidence is not None else None,
            confidence=confidence,
            n=gap.n,
            level=gap.counted,
            scheme=context["scheme"],
            mode=context["mode"],
            subjects=context["subjects"],
            data=context["data"],
            details=details,
            duration=time.perf_counter() - context["started"],
        )
    )


def _failure(by: str, gap: _Gap, min_gap: float, confidence: float | None, shown: float, names: tuple[str, str]) -> str:
    what = _WHAT[by]
    if gap.reason is not None:
        return failure_message(
            f"assert_models_diverge: {names[0]!r} and {names[1]!r} cannot be shown to diverge by {by}: {gap.reason}",
            gap.evidence,
            "Next step: compare them on data where each gets some units right and some wrong, or use "
            "by='disagreement', which compares the predictions themselves.",
        )
    if confidence is None:
        verdict = f"{what} = {gap.value:.4f} is below min_gap {min_gap:g}"
        if gap.low is not None:
            verdict += f" ({shown:.0%} CI of the gap [{gap.low:.4f}, {gap.high:.4f}])"
    else:
        verdict = (
            f"the {percent(confidence)} CI of {what}, [{gap.low:.4f}, {gap.high:.4f}], does not clear min_gap "
            f"{min_gap:g} (gap {gap.value:.4f})"
        )
    return failure_message(
        f"assert_models_diverge: {names[0]!r} and {names[1]!r} do not diverge by {by}: {verdict}",
        gap.evidence,
        "Next step: the two subjects are closer than required on this data. If they are meant to be "
        "different models, change what they share (base checkpoint, training data, seed); if a smaller "
        "gap is acceptable, lower min_gap"
        + ("; with few sentences, a wide interval may be the cause: use more data." if confidence else "."),
    )


def assert_models_diverge(
    a: Any,
    b: Any,
    data: Any,
    *,
    min_gap: float,
    by: str = "f1",
    confidence: float | None = 0.95,
    level: str | None = None,
    unit: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    n_resamples: int = 1000,
    seed: int | RunSeed | None = RUN_SEED,
    debiased: bool = False,
    max_examples: int = 100,
) -> CheckRecord:
    """Assert that two subjects differ by at least ``min_gap``.

    The divergence depends on ``by``:

    ``"f1"``, ``"precision"``, ``"recall"``
        ``|metric(a) - metric(b)|`` (at ``level``); the interval comes from the paired bootstrap of
        :func:`~pytest_homog.metrics.bootstrap.compare`.
    ``"disagreement"``
        :func:`~pytest_homog.metrics.agreement.disagreement` of the two predictions at ``level``.
    ``"error_consistency"``
        ``1 - kappa`` of Geirhos et al.'s error consistency on the units of ``unit`` (0 = the same errors,
        1 = as different as chance allows). A subject right (or wrong) on every unit leaves kappa undefined:
        the check then fails and says why.
    ``"same_wrong_answer"``
        ``1 - same wrong answer`` (Kim et al. 2025, :func:`~pytest_homog.metrics.wrong_answers.same_wrong_answer`)
        on the units of ``unit``: of the units both subjects fail, the share where their wrong outputs differ.
        Subjects that fail no unit together leave it undefined: the check then fails and says why.
    ``"capa"``
        ``1 - kappa_p`` of :func:`~pytest_homog.metrics.capa.capa` (Goel et al. 2025) on the probabilities
        the two models give (``homog_probabilities(data)``: per word for tags, per example for labels), with
        its paired-bootstrap interval. Both subjects must be models that give them (the fixtures' models do).
        Where kappa_p is undefined (both certain and right everywhere) the check fails and says why.
    ``"cka"``
        ``1 - linear CKA`` of the subjects' word-pooled hidden states, ``subject.homog_features(data)``
        (Kornblith et al. 2019); both subjects must provide them. It has no interval: the point value is
        compared, whatever ``confidence`` says, and the record says so.

    With a confidence (default 0.95) the whole paired-bootstrap interval must reach ``min_gap``, i.e. its lower
    bound (for metric gaps, the interval of ``|delta|``); with ``confidence=None`` the point estimate must.
    Intervals resample sentences (examples for flat labels) once for both subjects. ``min_gap`` must be above
    0, since any two subjects diverge by 0.

    Power: ``details["detectable_change"]`` in the record is how far beyond ``min_gap`` a true divergence must lie
    for this data to show it with 80% power, :func:`~pytest_homog.metrics.bootstrap.detectable_change` of the
    bootstrap standard error; the failure message says it, and says when ``min_gap`` is below it (subjects that
    truly diverge by a little more than ``min_gap`` then mostly fail on data this size).

    ``data`` may also be generated: a hypothesis strategy of examples (``labelled_sentences(...)``,
    ``text_examples(...)``), searched for ``max_examples`` examples with ``target()`` steering toward examples
    where the models disagree (as :func:`~pytest_homog.checks.behaviour.assert_models_disagree_somewhere` searches,
    seeded with ``seed``), or a list of such examples. The subjects are then models in the sense of
    :mod:`pytest_homog.prediction_cache` (taggers, classifiers, loaded models), and the divergence is measured on the
    distinct examples seen, with their gold labels. The search looks for disagreement, so on a strategy the
    divergence describes the examples where the models differ most, not a random sample.

    Parameters
    ----------
    a, b : subject
        Models (anything with ``homog_predict(data)``) or predictions of ``data``.
    data : references or dataset
        The references (for predictions) or the data the models predict.
    min_gap : float
        Smallest divergence accepted; above 0.
    by : str
        See above.
    confidence : float, optional
        Interval coverage; None compares the point estimate. Under ``--homog-family`` the run's family makes it
        stricter where its share of alpha asks for more.
    level, unit, scheme, mode
        What is counted and how entities are read (see :mod:`pytest_homog.metrics.agreement`); ``unit`` defaults
        to ``"span"`` for tag sequences (gold entities and every span either subject predicts outside them, so
        shared false positives count) and ``"example"`` for flat labels.
    n_resamples, seed : int
        Bootstrap replicates and seed (also the seed of the search, when ``data`` is a strategy); ``seed``
        defaults to the run's ``--homog-seed`` under pytest with ``--homog``, else 0.
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
    >>> assert_models_diverge(a, b, y_true, min_gap=0.2, by="disagreement").value
    0.5
    """
    __tracebackhide__ = True
    from pytest_homog.example_subjects import is_example_data, subjects_on_examples
    from pytest_homog.metrics.bootstrap import check_n_resamples
    from pytest_homog.subjects import resolve_pair

    started = time.perf_counter()
    min_gap, requested = _check_options(by, min_gap, confidence)
    confidence = gate_confidence(requested)
    n_resamples = gate_resamples(check_n_resamples(n_resamples), confidence)
    seed = resolve_seed(seed)
    if is_example_data(data):
        if by in ("capa", "cka"):
            raise HomogUsageError(
                f"by={by!r} compares {'probabilities' if by == 'capa' else 'hidden states'} on a dataset; generated "
                "examples give predictions only. Use by='disagreement', 'error_consistency' or a metric gap, or "
                f"pass a dataset for by={by!r}."
            )
        a, b, data = subjects_on_examples(a, b, data, max_examples=max_examples, seed=seed)
    first, second = resolve_pair(a, b, data, scheme=scheme, mode=mode)
    names = (first.name, second.name)
    shown = confidence if confidence is not None else EVIDENCE_CONFIDENCE
    if by in ("f1", "precision", "recall"):
        gap = _metric_gap(first, second, by, level, shown, n_resamples, seed)
    elif by == "same_wrong_answer":
        gap = _different_wrong_answers(first, second, unit, shown, (n_resamples, seed))
    elif by == "capa":
        gap = _capa(a, b, data, names, shown, n_resamples, seed)
    elif by != "cka":
        sampling = (n_resamples, seed)
        gap = _divergence(first, second, by, level, unit, shown, *sampling)
    else:
        gap = _cka(a, b, data, names, debiased, level)
    _add_power(gap, min_gap, confidence)
    passed = gap.reason is None and (gap.value if confidence is None else gap.low) >= min_gap  # type: ignore[operator]
    if requested is not None and gap.estimate is not None:
        passed, family = gate_verdict(_gap_p_value(by, gap, min_gap), requested, passed, "pass")
        gap.details.update(family)
    context = {
        "sampling": {} if by == "cka" else {"n_resamples": n_resamples, "seed": seed},
        "scheme": scheme,
        "mode": mode,
        "subjects": names,
        "data": first.data_name,
        "started": started,
    }
    record = _record(by, gap, min_gap, confidence, shown, passed, context)
    if not passed:
        gap.evidence.extend(family_note(requested, confidence))
        raise AssertionError(_failure(by, gap, min_gap, confidence, shown, names))
    return record
