"""Homogeneity checks: a group of subjects must not fail the same units more than independent errors would, and
(optionally) no pair may be more alike than a bound."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_homog.checks.messages import check_number
from pytest_homog.record import CheckRecord, record_check

if TYPE_CHECKING:
    from pytest_homog.metrics.homogenization import OutcomeHomogenization, SimilarityMatrix
    from pytest_homog.subjects import Resolved

__all__ = ["assert_not_homogeneous"]


def _check_options(
    subjects: object, by: str, max_homogenization: object, max_similarity: object
) -> tuple[float, float | None]:
    from pytest_homog.metrics.homogenization import check_by, check_group

    check_group(subjects, "assert_not_homogeneous", "subject", "{'candidate': model_a, 'incumbent': model_b}")
    check_by(by)
    bound = check_number(max_homogenization, "max_homogenization")
    if max_similarity is None:
        return bound, None
    return bound, check_number(max_similarity, "max_similarity", minimum=-1.0)


def _measure(
    subjects: Mapping[str, Any], data: Any, group: list[Resolved], by: str, unit: str | None, level: str | None
) -> tuple[OutcomeHomogenization, SimilarityMatrix]:
    """Outcome homogenization and the similarity matrix of the resolved ``group``."""
    from pytest_homog.metrics.homogenization import check_label_sets, cka_matrix, homogenization_of, similarity_of
    from pytest_homog.subjects import subject_features

    predictions = [resolved.predictions for resolved in group]
    check_label_sets(predictions)
    unit = group[0].corpus.resolve_unit(unit)
    homogenization = homogenization_of(predictions, unit)
    if by != "cka":
        return homogenization, similarity_of(predictions, by, level, unit)
    features = {
        resolved.name: subject_features(subject, data, resolved.name)
        for resolved, subject in zip(group, subjects.values(), strict=True)
    }
    return homogenization, cka_matrix(features, debiased=False)


def _record(
    homogenization: OutcomeHomogenization,
    matrix: SimilarityMatrix,
    passed: tuple[bool, bool],
    bounds: tuple[float, float | None],
    by: str,
    common: dict[str, Any],
) -> CheckRecord:
    shared = homogenization.shared_failures
    details = {
        "unit": homogenization.unit,
        "systemic_failure_rate": homogenization.systemic_failure_rate,
        "expected_failure_rate": homogenization.expected_failure_rate,
        "failure_rates": dict(homogenization.failure_rates),
        "defined": homogenization.defined,
        "n_shared_failures": len(shared),
        "shared_failures": [ref._asdict() for ref in shared[:20]],
        "matrix": matrix.to_dict(),
    }
    record = record_check(
        CheckRecord(
            check="assert_not_homogeneous",
            metric="outcome_homogenization",
            value=float(homogenization),
            passed=passed[0],
            threshold=bounds[0],
            n=homogenization.n_units,
            details=details,
            **common,
        )
    )
    if bounds[1] is not None:
        closest = matrix.pairs()[0]
        record_check(
            CheckRecord(
                check="assert_not_homogeneous",
                metric=f"max_similarity:{by}",
                value=closest[2],
                passed=passed[1],
                threshold=bounds[1],
                n=matrix.n,
                details={"pair": [closest[0], closest[1]], "matrix": matrix.to_dict()},
                **common,
            )
        )
    return record


def _verdicts(
    homogenization: OutcomeHomogenization,
    matrix: SimilarityMatrix,
    passed: tuple[bool, bool],
    bounds: tuple[float, float | None],
    by: str,
) -> list[str]:
    verdicts = []
    if all(rate == 0.0 for rate in homogenization.failure_rates.values()):
        verdicts.append(
            f"outcome homogenization is undefined: every subject gets every {homogenization.unit} right, so the "
            "data cannot show that they fail differently"
        )
    elif not passed[0]:
        verdicts.append(f"outcome homogenization {float(homogenization):.3f} > max_homogenization {bounds[0]:g}")
    if not passed[1]:
        closest = matrix.pairs()[0]
        verdicts.append(
            f"{closest[0]!r} and {closest[1]!r} have similarity {closest[2]:.3f} by {by} > max_similarity {bounds[1]:g}"
        )
    return verdicts


def _failure(
    homogenization: OutcomeHomogenization,
    matrix: SimilarityMatrix,
    passed: tuple[bool, bool],
    bounds: tuple[float, float | None],
    by: str,
    first: Resolved,
    show: int,
) -> str:
    shared = homogenization.shared_failures
    corpus = first.corpus
    rates = ", ".join(f"{name} {rate:.3f}" for name, rate in homogenization.failure_rates.items())
    lines = [
        f"assert_not_homogeneous: {len(homogenization.failure_rates)} subjects are homogeneous: "
        + "; ".join(_verdicts(homogenization, matrix, passed, bounds, by)),
        f"  every subject fails {len(shared)} of {homogenization.n_units} {homogenization.unit} units "
        f"(systemic-failure rate {homogenization.systemic_failure_rate:.4f}; "
        f"{homogenization.expected_failure_rate:.4f} expected if failures were independent)",
        f"  failure rates: {rates}",
        f"similarity matrix ({by}{f', {matrix.n} units' if matrix.n else ''}):",
        matrix.to_markdown(),
    ]
    if shared:
        lines.append(f"units every subject fails (first {min(show, len(shared))} of {len(shared)}):")
        lines.extend(
            "  " + _describe_unit(ref, homogenization.unit, corpus.references, first.texts, corpus.scheme, corpus.mode)
            for ref in shared[: max(show, 0)]
        )
    all_perfect = all(rate == 0.0 for rate in homogenization.failure_rates.values())
    if all_perfect and passed[1]:
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
    return "\n".join(lines)


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
    """One unit every subject fails, with its text when the subjects gave it."""
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
    every pair's similarity (``by``, see :func:`~pytest_homog.metrics.homogenization.similarity_matrix`) must also
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
        Two or more models or predictions, by name: the keys name them in the message and the report, whatever
        the models' own names (one model may appear under two keys, as a copy of itself).
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
        As in :func:`~pytest_homog.metrics.homogenization.similarity_matrix`.
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
    from pytest_homog.subjects import resolve_subjects

    started = time.perf_counter()
    bounds = _check_options(subjects, by, max_homogenization, max_similarity)
    group = resolve_subjects(
        [(subject, str(name), str(name)) for name, subject in subjects.items()], data, scheme=scheme, mode=mode
    )
    homogenization, matrix = _measure(subjects, data, group, by, unit, level)
    all_perfect = all(rate == 0.0 for rate in homogenization.failure_rates.values())
    passed = (
        not all_perfect and float(homogenization) <= bounds[0],
        bounds[1] is None or matrix.pairs()[0][2] <= bounds[1],
    )
    common = {
        "level": homogenization.unit,
        "scheme": scheme,
        "mode": mode,
        "subjects": tuple(resolved.name for resolved in group),
        "data": group[0].data_name,
        "duration": time.perf_counter() - started,
    }
    record = _record(homogenization, matrix, passed, bounds, by, common)
    if not all(passed):
        raise AssertionError(_failure(homogenization, matrix, passed, bounds, by, group[0], show))
    return record
