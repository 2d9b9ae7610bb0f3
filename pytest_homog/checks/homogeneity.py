"""Homogeneity checks: a group of subjects must not share its failures.

The gate is shared failure (:class:`~pytest_homog.metrics.homogenization.SharedFailure`): 0 when the subjects
fail independently, 1 when their failures are as nested as their failure rates allow. The group's and every
pair's must stay at or below ``max_shared_failure``, on the high end of the paired-bootstrap interval; outcome
homogenization and a pairwise similarity can be bounded as well.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_homog.checks.messages import (
    check_number,
    family_note,
    gate_confidence,
    gate_resamples,
    gate_unit,
    gate_verdict,
    percent,
    resolve_seed,
)
from pytest_homog.errors import HomogUsageError, HomogWarning
from pytest_homog.record import CheckRecord, record_check
from pytest_homog.run_context import RUN_SEED, RunSeed

if TYPE_CHECKING:
    from pytest_homog.corpus import Corpus
    from pytest_homog.metrics.homogenization import OutcomeHomogenization, SimilarityMatrix
    from pytest_homog.subjects import Resolved

__all__ = ["DEFAULT_MAX_SHARED_FAILURE", "assert_not_homogeneous"]

#: the default bound of shared failure: independent failures score about 0, near-copies about 1, and
#: fine-tunes of one checkpoint on one data set share most of what their failure rates allow (README)
DEFAULT_MAX_SHARED_FAILURE = 0.5


@dataclass(frozen=True)
class _Options:
    """The bounds and the interval options, checked."""

    max_shared_failure: float
    max_homogenization: float | None
    max_similarity: float | None
    confidence: float | None
    n_resamples: int
    seed: int | None
    #: the confidence the caller asked for; ``confidence`` is the session family's when stricter
    requested: float | None = None


@dataclass(frozen=True)
class _Measures:
    """What the check measured: the group's homogenization and shared failure, every pair's shared failure
    (more than two subjects) and the similarity matrix by ``by``."""

    homogenization: OutcomeHomogenization
    pairs: SimilarityMatrix | None
    matrix: SimilarityMatrix


@dataclass(frozen=True)
class _Bound:
    """One bound and the measure it holds: its value, interval (None without one) and why it is undefined."""

    metric: str
    what: str
    option: str
    bound: float
    value: float
    low: float | None = None
    high: float | None = None
    reason: str | None = None
    pair: tuple[str, str] | None = None

    @property
    def compared(self) -> float:
        """The number held to the bound: the interval's high end, or the value without an interval."""
        return self.value if self.high is None else self.high

    @property
    def passed(self) -> bool:
        # NaN (an undefined measure or interval) compares False: it passes no bound
        return self.reason is None and self.compared <= self.bound


def _check_options(
    subjects: object, by: str, bounds: tuple[object, object, object], sampling: tuple[object, object, object]
) -> _Options:
    from pytest_homog.metrics.group import check_interval_options
    from pytest_homog.metrics.homogenization import check_by, check_group

    check_group(subjects, "assert_not_homogeneous", "subject", "{'candidate': model_a, 'incumbent': model_b}")
    if check_by(by) == "capa":
        raise HomogUsageError(
            "assert_not_homogeneous(by='capa') needs every subject's probabilities, which subjects do not give; "
            "compute similarity_matrix(y_true, {name: probabilities}, by='capa', labels=...) and bound its values, "
            "or use by='error_consistency'."
        )
    never_fails = ", which no subjects can exceed, so the check could never fail"
    shared = check_number(bounds[0], "max_shared_failure", minimum=-math.inf, below=1.0, why=never_fails)
    homogenization = None if bounds[1] is None else check_number(bounds[1], "max_homogenization")
    similarity = (
        None
        if bounds[2] is None
        else check_number(bounds[2], "max_similarity", minimum=-1.0, below=1.0, why=" (1 = identical)" + never_fails)
    )
    confidence, n_resamples, seed = check_interval_options(sampling[0], sampling[1], resolve_seed(sampling[2]))
    used = gate_confidence(confidence)
    return _Options(shared, homogenization, similarity, used, gate_resamples(n_resamples, used), seed, confidence)


def _measure(
    subjects: Mapping[str, Any], data: Any, group: list[Resolved], by: str, unit: str, level: str | None,
    options: _Options,
) -> _Measures:  # fmt: skip
    """Homogenization and shared failure of the resolved ``group``, its pairs' shared failure and its matrix."""
    from pytest_homog.metrics.homogenization import check_label_sets, cka_matrix, homogenization_of, similarity_of
    from pytest_homog.subjects import subject_features

    predictions = [resolved.predictions for resolved in group]
    check_label_sets(predictions)
    confidence, n_resamples, seed = options.confidence, options.n_resamples, options.seed
    homogenization = homogenization_of(predictions, unit, confidence=confidence, n_resamples=n_resamples, seed=seed)
    # with two subjects the pair is the group
    pairs = (
        similarity_of(
            predictions, "shared_failure", level, unit, confidence=confidence, n_resamples=n_resamples, seed=seed
        )
        if len(group) > 2
        else None
    )
    if by == "cka":
        features = {
            resolved.name: subject_features(subject, data, resolved.name)
            for resolved, subject in zip(group, subjects.values(), strict=True)
        }
        return _Measures(homogenization, pairs, cka_matrix(features, debiased=False))
    if by == "shared_failure" and pairs is not None:
        return _Measures(homogenization, pairs, pairs)
    # without max_similarity the matrix is evidence only: no interval needed
    shown = confidence if options.max_similarity is not None else None
    matrix = similarity_of(predictions, by, level, unit, confidence=shown, n_resamples=n_resamples, seed=seed)
    return _Measures(homogenization, pairs, matrix)


def _closest(matrix: SimilarityMatrix) -> tuple[tuple[str, str], float, float | None, float | None]:
    """The pair whose compared number (interval high end, or value) is largest, an undefined one first (no bound
    can hold it): its names, value, low and high."""
    import numpy as np

    first, second = np.triu_indices(len(matrix.names), 1)
    values = matrix.values[first, second]
    compared = values if matrix.high is None else matrix.high[first, second]
    i = int(np.argmax(np.where(np.isnan(compared), np.inf, compared)))
    low, high = (None if bounds is None else float(bounds[first[i], second[i]]) for bounds in (matrix.low, matrix.high))
    return (matrix.names[first[i]], matrix.names[second[i]]), float(values[i]), low, high


def _bounds(measures: _Measures, options: _Options, by: str) -> list[_Bound]:
    """Every bound of the check, the group's shared failure first."""
    homogenization = measures.homogenization
    shared = homogenization.shared_failure
    out = [
        _Bound("shared_failure", "shared failure", "max_shared_failure", options.max_shared_failure,
               float(shared), shared.low, shared.high, shared.reason),
    ]  # fmt: skip
    if measures.pairs is not None:
        pair, value, low, high = _closest(measures.pairs)
        reason = None
        if math.isnan(value):
            reason = (
                f"shared failure of {pair[0]!r} and {pair[1]!r} is undefined (0 / 0): one of them fails no unit, "
                "or the other fails every unit"
            )
        out.append(
            _Bound("pair_shared_failure", f"shared failure of {pair[0]!r} and {pair[1]!r}", "max_shared_failure",
                   options.max_shared_failure, value, low, high, reason, pair)
        )  # fmt: skip
    if options.max_homogenization is not None:
        out.append(
            _Bound("outcome_homogenization", "outcome homogenization", "max_homogenization",
                   options.max_homogenization, float(homogenization), homogenization.low, homogenization.high,
                   None if homogenization.defined else shared.reason)
        )  # fmt: skip
    if options.max_similarity is not None:
        pair, value, low, high = _closest(measures.matrix)
        out.append(
            _Bound(f"max_similarity:{by}", f"similarity of {pair[0]!r} and {pair[1]!r} by {by}", "max_similarity",
                   options.max_similarity, value, low, high, None, pair)
        )  # fmt: skip
    return out


def _gate(bounds: list[_Bound], options: _Options) -> tuple[bool, list[dict[str, Any]]]:
    """The call's verdict and what each bound's record says about the run's family.

    The call passes only when every bound is shown (an intersection-union test: each bound at the call's
    confidence keeps the call's chance of a false pass at that level), so it is one gate of the family, its
    p-value the largest of its bounds'. Each bound's p-value is read from its interval (the group measures keep
    no replicates)."""
    from pytest_homog.family import interval_p_value

    shown = all(bound.passed for bound in bounds)
    if options.requested is None or options.confidence is None or all(b.high is None for b in bounds):
        return shown, [{} for _ in bounds]
    p_values = [
        1.0 if bound.reason is not None else interval_p_value(bound.value, bound.high, bound.bound, options.confidence)
        for bound in bounds
        if bound.high is not None
    ]
    # a bound without an interval that failed cannot be proven later: the call is decided now
    point_failed = any(not bound.passed for bound in bounds if bound.high is None)
    passed, family = gate_verdict(1.0 if point_failed else max(p_values), options.requested, shown, "pass")
    own = iter([1.0] * len(p_values) if point_failed else p_values)
    return passed, [{} if bound.high is None else {**family, "gate_p_value": next(own)} for bound in bounds]


def _record(
    bound: _Bound,
    measures: _Measures,
    options: _Options,
    common: dict[str, Any],
    failures: dict[str, Any],
    family: dict[str, Any],
) -> CheckRecord:
    homogenization = measures.homogenization
    details: dict[str, Any] = {
        "unit": homogenization.unit,
        "n_resamples": options.n_resamples if options.confidence is not None else 0,
        "seed": options.seed,
    }
    if bound.pair is not None:
        details["pair"] = list(bound.pair)
    if bound.reason is not None:
        details["undefined"] = bound.reason
    if options.confidence is None:
        details["interval"] = "none: confidence=None compares the point estimate"
    elif bound.high is None:
        details["interval"] = "none: linear CKA has no bootstrap interval here; the point value is compared"
    if bound.metric == "shared_failure":
        details.update(
            systemic_failure_rate=homogenization.systemic_failure_rate,
            expected_failure_rate=homogenization.expected_failure_rate,
            failure_rates=dict(homogenization.failure_rates),
            outcome_homogenization={
                "value": float(homogenization), "low": homogenization.low, "high": homogenization.high,
            },
            **failures,
        )  # fmt: skip
        if measures.pairs is not None:
            details["pair_shared_failure"] = measures.pairs.to_dict()
    details["matrix"] = measures.matrix.to_dict()
    details.update(family)
    with_interval = bound.high is not None
    return record_check(
        CheckRecord(
            check="assert_not_homogeneous",
            metric=bound.metric,
            value=bound.value,
            passed=bound.passed or "verdict" in family,  # a pending bound passes until holm decides it
            threshold=bound.bound,
            compared="high" if with_interval else "value",
            low=bound.low,
            high=bound.high,
            confidence=options.confidence if with_interval else None,
            n=measures.matrix.n if bound.metric.startswith("max_similarity") else homogenization.n_units,
            details=details,
            higher_is_better=False,
            **common,
        )
    )


def _verdict(bound: _Bound, confidence: float | None) -> str:
    if bound.reason is not None:
        return bound.reason
    if bound.high is None:
        return f"{bound.what} {bound.value:.3f} > {bound.option} {bound.bound:g}"
    if math.isnan(bound.high):
        return (
            f"the {percent(confidence)} CI of {bound.what} is undefined: in too many resamples some subject fails no "
            f"unit ({bound.what} {bound.value:.3f}); use more data"
        )
    return (
        f"the {percent(confidence)} CI of {bound.what}, [{bound.low:.3f}, {bound.high:.3f}], reaches above "
        f"{bound.option} {bound.bound:g} ({bound.what} {bound.value:.3f})"
    )


def _interval_text(low: float | None, high: float | None, confidence: float | None) -> str:
    if low is None or high is None or confidence is None:
        return "point estimate (confidence=None), no interval"
    return f"{percent(confidence)} CI [{low:.3f}, {high:.3f}]"


def _evidence(measures: _Measures, options: _Options, group: list[Resolved]) -> list[str]:
    """The measures behind the verdict, and how often the subjects give the same wrong answer."""
    homogenization = measures.homogenization
    shared, units = homogenization.shared_failure, homogenization.unit
    rates = ", ".join(f"{name} {rate:.3f}" for name, rate in homogenization.failure_rates.items())
    sampling = (
        f"; paired bootstrap over {homogenization.n_sentences} sentences, {options.n_resamples} resamples"
        if options.confidence is not None
        else ""
    )
    lines = [
        f"  shared failure {float(shared):.3f}, {_interval_text(shared.low, shared.high, options.confidence)} "
        f"(0 = independent failures, 1 = as nested as the failure rates allow{sampling})",
        f"  every subject fails {len(homogenization.shared_failures)} of {homogenization.n_units} {units} units "
        f"(systemic-failure rate {homogenization.systemic_failure_rate:.4f}; "
        f"{homogenization.expected_failure_rate:.4f} if failures were independent, at most "
        f"{min(homogenization.failure_rates.values()):.4f} with these failure rates)",
        f"  outcome homogenization {float(homogenization):.3f}, "
        f"{_interval_text(homogenization.low, homogenization.high, options.confidence)} (Bommasani et al. 2022)",
        f"  failure rates: {rates}",
    ]
    return lines + _same_wrong_answers(measures, group)


def _same_wrong_answers(measures: _Measures, group: list[Resolved], most: int = 3) -> list[str]:
    """Same wrong answer (Kim et al. 2025) of the pairs that share most failures, at most ``most`` of them."""
    from pytest_homog.metrics.wrong_answers import same_wrong_answer_of

    unit = measures.homogenization.unit
    if unit == "sentence":
        return []  # every sentence is its own gold answer: no chance rate
    by_name = {resolved.name: resolved.predictions for resolved in group}
    if measures.pairs is None:
        pairs = [(group[0].name, group[1].name)]
    else:
        pairs = [(first, second) for first, second, _ in measures.pairs.pairs()[:most]]
    lines = []
    for first, second in pairs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no unit failed by both: NaN, said below
            same = same_wrong_answer_of([by_name[first], by_name[second]], unit)
        if same.n_both_wrong == 0:
            lines.append(f"  same wrong answer: {first!r} and {second!r} fail no {unit} unit together")
            continue
        lines.append(
            f"  same wrong answer: {first!r} and {second!r} give the same wrong output on {same.n_same} of the "
            f"{same.n_both_wrong} {unit} units both fail ({same.rate:.3f}; {same.chance_rate:.3f} by chance)"
        )
    return lines


def _failure(bounds: list[_Bound], measures: _Measures, options: _Options, group: list[Resolved], show: int) -> str:
    homogenization = measures.homogenization
    shared = homogenization.shared_failures
    corpus = group[0].corpus
    matrix = measures.matrix
    lines = [
        f"assert_not_homogeneous: {len(group)} subjects are homogeneous: "
        + "; ".join(_verdict(bound, options.confidence) for bound in bounds if not bound.passed),
        *_evidence(measures, options, group),
        *family_note(options.requested, options.confidence),
    ]
    if measures.pairs is not None and measures.pairs is not matrix:
        lines += ["pairwise shared failure:", measures.pairs.to_markdown()]
    lines += [f"similarity matrix ({matrix.by}{f', {matrix.n} units' if matrix.n else ''}):", matrix.to_markdown()]
    if shared:
        lines.append(f"units every subject fails (first {min(show, len(shared))} of {len(shared)}):")
        lines.extend(
            "  " + _describe_unit(ref, homogenization.unit, corpus, group[0].texts) for ref in shared[: max(show, 0)]
        )
    if all(rate == 0.0 for rate in homogenization.failure_rates.values()):
        lines.append(
            "Next step: every subject is right on every unit, so this data cannot show whether they fail alike; "
            "evaluate on more or harder data."
        )
    elif any(bound.reason is not None for bound in bounds):
        lines.append(
            "Next step: a subject that fails nothing (or everything) leaves shared failure undefined; evaluate on "
            "data where every subject fails some units and gets some right."
        )
    elif all(bound.value <= bound.bound for bound in bounds):
        lines.append(
            "Next step: every point estimate is within its bound, but the intervals are too wide to show it; "
            "evaluate on more data (or pass confidence=None to compare point estimates, which chance can pass)."
        )
    else:
        lines.append(
            "Next step: these units are a blind spot the subjects share. Look at what they have in common (base "
            "checkpoint, training data), add training data for the shared failures, or raise the bound if this "
            "level of shared failure is acceptable."
        )
    return "\n".join(lines)


def _excerpt(tokens: Sequence[str], marks: list[tuple[int, int, str]], context: int = 8) -> list[list[Any]]:
    """Tokens around the marked spans as segments ``[text, label]``: a marked span with its label, the tokens
    between spans with ``None``; ``...`` stands for the tokens left out at either end."""
    if not marks:
        first, last = 0, min(len(tokens), 2 * context)
    else:
        first = max(0, min(s for s, _, _ in marks) - context)
        last = min(len(tokens), max(e for _, e, _ in marks) + context)
    starts = {s: (e, label) for s, e, label in marks}
    segments: list[list[Any]] = []
    plain: list[str] = ["..."] if first > 0 else []
    i = first
    while i < last:
        if i in starts:
            e, label = starts[i]
            if plain:
                segments.append([" ".join(plain), None])
                plain = []
            segments.append([" ".join(map(str, tokens[i:e])), str(label)])
            i = e
        else:
            plain.append(str(tokens[i]))
            i += 1
    if last < len(tokens):
        plain.append("...")
    if plain:
        segments.append([" ".join(plain), None])
    return segments


def _window(segments: list[list[Any]]) -> str:
    """An excerpt as one line, each marked span written ``[tok tok]{label}``."""
    return " ".join(text if label is None else f"[{text}]{{{label}}}" for text, label in segments)


def _where(ref: Any, unit: str, corpus: Corpus) -> tuple[str, list[tuple[int, int, str]]]:
    """Where a unit every subject fails lives, in words, and the spans of its sentence to mark."""
    s = ref.sentence
    if unit in ("entity", "span"):
        where = f"sentence {s}, {ref.label} at tokens {ref.start}-{ref.end - 1}"
        if unit == "span" and (ref.label, ref.start, ref.end) not in corpus.entities_by_sentence()[s]:
            where += " (predicted, not a gold entity)"
        return where, [(ref.start, ref.end, ref.label)]
    if unit == "token":
        return f"sentence {s}, token {ref.start} (gold {ref.label})", [(ref.start, ref.end, ref.label)]
    marks = [(first, last, label) for label, first, last in corpus.entities_by_sentence()[s]]
    spans = ", ".join(f"{label} {first}-{last - 1}" for first, last, label in marks)
    return f"sentence {s}, {len(marks)} gold entities" + (f" ({spans})" if marks else ""), marks


def _unit_excerpt(ref: Any, unit: str, corpus: Corpus, texts: Any) -> list[list[Any]] | None:
    """The text of a unit every subject fails as :func:`_excerpt` segments, or None when the subjects gave no
    text (predictions carry none; a model subject or a dataset gives it)."""
    s = ref.sentence
    text = texts[s] if texts is not None and len(texts) > s else None
    if text is None:
        return None
    if unit == "example":
        return [[str(text)[:200], None]]
    if isinstance(text, str) or len(text) != len(corpus.references[s]):
        return None
    return _excerpt(text, _where(ref, unit, corpus)[1])


def _describe_unit(ref: Any, unit: str, corpus: Corpus, texts: Any) -> str:
    """One unit every subject fails, with its text when the subjects gave it."""
    excerpt = _unit_excerpt(ref, unit, corpus, texts)
    if unit == "example":
        shown = f"{excerpt[0][0][:100]!r} " if excerpt is not None else ""
        return f"example {ref.sentence}: {shown}(gold {ref.label!r})"
    where = _where(ref, unit, corpus)[0]
    return where if excerpt is None else f"{where}: {_window(excerpt)}"


#: how many shared failures (with their text) and failure patterns a record keeps; the message shows ``show``
_RECORDED = 20


def _failure_details(measures: _Measures, group: list[Resolved]) -> dict[str, Any]:
    """Who fails which units, for the record: the units every subject fails, each with its text when the
    subjects gave it, and the failure patterns (the sets of subjects that fail the same units, UpSet-style) with
    how many units each fails, the most common first; at most ``_RECORDED`` of each."""
    import numpy as np

    homogenization = measures.homogenization
    unit, corpus, texts = homogenization.unit, group[0].corpus, group[0].texts
    shared = []
    for ref in homogenization.shared_failures[:_RECORDED]:
        entry = ref._asdict()
        excerpt = _unit_excerpt(ref, unit, corpus, texts)
        if excerpt is not None:
            entry["text"] = excerpt
        shared.append(entry)
    right, _, _ = corpus.group_outcomes([resolved.predictions for resolved in group], unit)
    patterns, counts = np.unique(~right.T, axis=0, return_counts=True)
    names = [resolved.name for resolved in group]
    return {
        "n_shared_failures": len(homogenization.shared_failures),
        "shared_failures": shared,
        "n_failure_patterns": len(counts),
        "failure_patterns": [
            {"failed_by": [name for name, failed in zip(names, patterns[i], strict=True) if failed],
             "units": int(counts[i])}
            for i in np.argsort(-counts, kind="stable")[:_RECORDED]
        ],
    }  # fmt: skip


def _warn_if_homogenization_cannot_fail(homogenization: OutcomeHomogenization, bound: float | None) -> None:
    """Warn when ``max_homogenization`` is at or above the largest value these failure rates allow."""
    if bound is None or not homogenization.defined:
        return
    largest = min(homogenization.failure_rates.values()) / homogenization.expected_failure_rate
    if bound >= largest:
        warnings.warn(
            f"max_homogenization {bound:g} cannot fail at these failure rates: outcome homogenization is at "
            f"most {largest:.3f} (min f / prod f), reached when the subjects' failures are as nested as possible. "
            "Bound shared failure (max_shared_failure), which spans 0 to 1 at any failure rates.",
            HomogWarning,
            stacklevel=3,
        )


def assert_not_homogeneous(
    subjects: Mapping[str, Any],
    data: Any,
    *,
    max_shared_failure: float = DEFAULT_MAX_SHARED_FAILURE,
    max_homogenization: float | None = None,
    max_similarity: float | None = None,
    by: str = "error_consistency",
    confidence: float | None = 0.95,
    unit: str | None = None,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    n_resamples: int = 1000,
    seed: int | RunSeed | None = RUN_SEED,
    show: int = 5,
) -> CheckRecord:
    """Assert that two or more subjects do not share their failures beyond ``max_shared_failure``.

    Measures shared failure (:func:`~pytest_homog.metrics.homogenization.shared_failure`): the excess of the
    share of units every subject fails over the share independent failures would give, as a share of the
    largest excess their failure rates allow, ``(s - prod f) / (min f - prod f)``; 0 = independent failures,
    1 = as nested as the rates allow (two copies of one model score 1 at any failure rate). The group's
    shared failure and every pair's must stay at or below ``max_shared_failure`` (default 0.5), so a group that
    holds two near-copies fails. With a ``confidence`` (default 0.95) the high end of the paired-bootstrap
    interval (sentences resampled once for every subject) is compared, so the data must show the subjects
    are not homogeneous; ``confidence=None`` compares the point estimate and the record says so.

    ``max_homogenization`` also bounds outcome homogenization (Bommasani et al. 2022), the systemic-failure
    rate over the independent one; it is at most ``min f / prod f``, so it cannot fail for subjects that fail
    often (a :class:`~pytest_homog.errors.HomogWarning` says when the bound is above that). ``max_similarity``
    bounds every pair's similarity ``by`` (see :func:`~pytest_homog.metrics.homogenization.similarity_matrix`).

    Undefined measures fail the check with the reason: a subject that fails no unit (or all but one subject
    failing every unit) leaves shared failure 0 / 0, and the data cannot show the subjects fail differently.

    The failure message shows the measures, the share of the units two subjects both fail where they give the
    same wrong output (Kim et al. 2025), the similarity matrix and the first ``show`` units every subject fails,
    with their text (the span marked ``[tokens]{type}``).

    Parameters
    ----------
    subjects : mapping of str to subject
        Two or more models or predictions, by name: the keys name them in the message and the report, whatever
        the models' own names (one model may appear under two keys, as a copy of itself).
    data : references or dataset
        What every subject is resolved against.
    max_shared_failure : float
        Largest shared failure accepted, for the group and for every pair; below 1.
    max_homogenization : float, optional
        Largest outcome homogenization accepted.
    max_similarity : float, optional
        Largest pairwise similarity accepted; below 1.
    by : str
        Measure of the similarity matrix: ``error_consistency``, ``disagreement`` (as 1 - disagreement),
        ``kappa``, ``yules_q``, ``shared_failure`` or ``cka`` (needs ``homog_features(data)`` on every subject;
        no interval).
    confidence : float, optional
        Interval coverage; None compares point estimates. Under ``--homog-family`` the run's family makes it
        stricter where its share of alpha asks for more.
    unit : {"span", "entity", "sentence", "token", "example"}, optional
        What can be failed; default ``"span"`` for tag sequences (gold entities and every span a subject
        predicts outside them, so shared false positives count) and ``"example"`` for flat labels.
    level, scheme, mode
        As in :func:`~pytest_homog.metrics.homogenization.similarity_matrix`.
    n_resamples, seed : int
        Bootstrap replicates and seed; ``seed`` defaults to the run's ``--homog-seed``, else 0.
    show : int
        How many shared failures the message lists.

    Returns
    -------
    CheckRecord
        The group's shared-failure check.

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"], ["B-ORG", "O"], ["B-PER", "O"]] * 10
    >>> subjects = {
    ...     "a": [["B-PER", "O"], ["O", "O"], ["O", "O"], ["B-PER", "O"]] * 10,
    ...     "b": [["O", "O"], ["B-LOC", "O"], ["O", "O"], ["B-PER", "O"]] * 10,
    ... }
    >>> record = assert_not_homogeneous(subjects, y_true, confidence=None)
    >>> record.value, record.compared
    (0.0, 'value')
    """
    __tracebackhide__ = True
    from pytest_homog.subjects import resolve_subjects

    started = time.perf_counter()
    options = _check_options(
        subjects, by, (max_shared_failure, max_homogenization, max_similarity), (confidence, n_resamples, seed)
    )
    group = resolve_subjects(
        [(subject, str(name), str(name)) for name, subject in subjects.items()], data, scheme=scheme, mode=mode
    )
    measures = _measure(subjects, data, group, by, gate_unit(group[0].corpus, unit), level, options)
    _warn_if_homogenization_cannot_fail(measures.homogenization, options.max_homogenization)
    bounds = _bounds(measures, options, by)
    common = {
        "level": measures.homogenization.unit,
        "scheme": scheme,
        "mode": mode,
        "subjects": tuple(resolved.name for resolved in group),
        "data": group[0].data_name,
        "duration": time.perf_counter() - started,
    }
    failures = _failure_details(measures, group)
    passed, families = _gate(bounds, options)
    records = [
        _record(bound, measures, options, common, failures, gate) for bound, gate in zip(bounds, families, strict=True)
    ]
    if not passed:
        raise AssertionError(_failure(bounds, measures, options, group, show))
    return records[0]
