"""Homogenization: how alike the outcomes of a group of subjects are on the same references.

:func:`outcome_homogenization` measures how much more often every subject fails the same units than independent
failures would make them, and :func:`shared_failure` the same on the range the failure rates allow, both with
paired-bootstrap intervals on request; :func:`similarity_matrix` (:mod:`pytest_homog.metrics.similarity`) gives
every pair's similarity. They take the references and a mapping ``name -> predictions`` (checked and bound by
:mod:`pytest_homog.metrics.group`); the units are those of :mod:`pytest_homog.corpus`.

References
----------
Bommasani, Creel, Kumar, Jurafsky and Liang (2022), "Picking on the Same Person: Does Algorithmic Monoculture
lead to Outcome Homogenization?", NeurIPS.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from pytest_homog.corpus import Predictions, UnitRef
from pytest_homog.errors import HomogDataError, UndefinedMetricWarning

# the group helpers and similarity matrices lived here first; their names stay importable from this module
from pytest_homog.metrics.group import bind_group, check_group, check_interval_options, check_label_sets
from pytest_homog.metrics.group_counts import (
    failure_columns,
    homogenization_from_totals,
    interval,
    replicate_totals,
    shared_failure_from_rates,
)
from pytest_homog.metrics.similarity import BY, SimilarityMatrix, check_by, cka_matrix, similarity_matrix, similarity_of

__all__ = [
    "BY",
    "OutcomeHomogenization",
    "SharedFailure",
    "SimilarityMatrix",
    "bind_group",
    "check_by",
    "check_group",
    "check_label_sets",
    "cka_matrix",
    "homogenization_of",
    "outcome_homogenization",
    "shared_failure",
    "similarity_matrix",
    "similarity_of",
]


class _Measured(float):
    """A float that carries the attributes it was built with."""

    def __new__(cls, value: float, **attributes: Any) -> Any:
        obj = super().__new__(cls, value)
        for key, item in attributes.items():
            setattr(obj, key, item)
        return obj


class SharedFailure(_Measured):
    """Shared failure of a group (a float): the excess of the systemic-failure rate over independence, as a share
    of the largest excess the failure rates allow, ``(s - prod f) / (min f - prod f)``.

    0 means failures as independent, 1 failures as nested as the rates allow (every unit the best subject fails,
    all the others fail too); negative values mean the subjects avoid failing together. NaN when it is
    undefined (0 / 0), with the reason in ``reason``: then it can pass no bound.

    Attributes
    ----------
    reason : str or None
        Why the measure is undefined; None when it is defined.
    low, high : float or None
        The bounds of its paired-bootstrap interval over sentences (examples), when a ``confidence`` was asked for;
        NaN when it is undefined in too many replicates (see :func:`~pytest_homog.metrics.group_counts.interval`).
    confidence : float or None
        The interval's nominal coverage.
    n_resamples : int
        Bootstrap replicates (0 without an interval).
    """

    reason: str | None
    low: float | None
    high: float | None
    confidence: float | None
    n_resamples: int

    def __repr__(self) -> str:
        text = f"SharedFailure({float(self)!r}"
        if self.low is not None:
            text += f", low={self.low!r}, high={self.high!r}, confidence={self.confidence!r}"
        return text + (f", reason={self.reason!r})" if self.reason else ")")


class OutcomeHomogenization(_Measured):
    """Outcome homogenization (a float) with the rates it is made of.

    Attributes
    ----------
    systemic_failure_rate : float
        Share of units that every subject gets wrong.
    expected_failure_rate : float
        The share expected if the subjects failed independently: the product of their failure rates.
    failure_rates : dict of str to float
        Each subject's failure rate.
    n_units : int
        Number of units.
    unit : str
        The unit (``"entity"``, ``"sentence"``, ``"token"``, ``"example"`` or ``"span"``).
    shared_failures : list of UnitRef
        The units every subject gets wrong, in corpus order.
    defined : bool
        False when the expected rate is 0 (some subject never fails); the value is then 0.0 by convention.
    shared_failure : SharedFailure
        The same failures normalised to the range the rates allow (0 = independent, 1 = as nested as
        possible); NaN with a reason when undefined.
    low, high : float or None
        The bounds of outcome homogenization's paired-bootstrap interval, when a ``confidence`` was asked for;
        NaN when the value is undefined, or undefined in too many replicates.
    confidence : float or None
        The interval's nominal coverage.
    n_sentences : int
        Sentences (examples) the bootstrap resamples.
    """

    systemic_failure_rate: float
    expected_failure_rate: float
    failure_rates: dict[str, float]
    n_units: int
    unit: str
    shared_failures: list[UnitRef]
    defined: bool
    shared_failure: SharedFailure
    low: float | None
    high: float | None
    confidence: float | None
    n_sentences: int

    def __repr__(self) -> str:
        return (
            f"OutcomeHomogenization({float(self)!r}, "
            f"systemic_failure_rate={self.systemic_failure_rate!r}, "
            f"expected_failure_rate={self.expected_failure_rate!r}, "
            f"n_units={self.n_units}, unit={self.unit!r})"
        )


def _undefined_reason(names: list[str], rates: list[float], unit: str) -> str | None:
    """Why shared failure is 0 / 0 for these failure rates, or None when it is defined."""
    perfect = [name for name, rate in zip(names, rates, strict=True) if rate == 0.0]
    if perfect:
        return (
            f"shared failure is undefined (0 / 0): subject(s) {perfect} fail no {unit} unit, so no unit can be "
            "failed by every subject whatever the others do"
        )
    always = [name for name, rate in zip(names, rates, strict=True) if rate == 1.0]
    if len(always) >= len(names) - 1:
        return (
            f"shared failure is undefined (0 / 0): subject(s) {always} fail every {unit} unit, so the units every "
            "subject fails are the failures of the remaining one whatever they are"
        )
    return None


def homogenization_of(
    group: list[Predictions],
    unit: str,
    *,
    confidence: float | None = None,
    n_resamples: int = 1000,
    seed: int | None = 0,
) -> OutcomeHomogenization:
    """:func:`outcome_homogenization` of predictions bound to one corpus, on a resolved ``unit``; the interval
    options must be valid already."""
    corpus = group[0].corpus
    right, sentence, _ = corpus.group_outcomes(group, unit)
    n_units = right.shape[1]
    if n_units == 0:
        raise HomogDataError(
            f"there are no {unit} units in the references (no gold entities?); outcome homogenization needs "
            "at least one. Use unit='sentence' or data with entities."
        )
    names = [predictions.name for predictions in group]
    failed = ~right
    rates = failed.mean(axis=1)
    all_fail = failed.all(axis=0)
    systemic = float(all_fail.mean())
    expected = float(np.prod(rates))
    indices = np.flatnonzero(all_fail)
    shared = (
        corpus.entity_refs(corpus.span_units(group), indices) if unit == "span" else corpus.unit_refs(unit, indices)
    )
    defined = expected > 0.0
    if defined:
        value = systemic / expected
    else:
        perfect = [name for name, rate in zip(names, rates.tolist(), strict=True) if rate == 0.0]
        warnings.warn(
            f"outcome homogenization is undefined (0 / 0): subject(s) {perfect} get every {unit} right, so "
            "no unit can be failed by every subject and the expected rate is 0; reported as 0.0.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        value = 0.0
    reason = _undefined_reason(names, rates.tolist(), unit)
    normalised = float(shared_failure_from_rates(np.array(systemic), rates))
    bounds: list[float | None] = [None] * 4
    if confidence is not None:
        per_sentence = failure_columns(right, sentence, corpus.n_units)
        replicates = homogenization_from_totals(replicate_totals(per_sentence, n_resamples, seed))
        bounds = [math.nan] * 4
        if defined:
            bounds[:2] = interval(replicates[0], confidence)
        if reason is None:
            bounds[2:] = interval(replicates[1], confidence)
    return OutcomeHomogenization(
        value,
        systemic_failure_rate=systemic,
        expected_failure_rate=expected,
        failure_rates={name: float(rate) for name, rate in zip(names, rates.tolist(), strict=True)},
        n_units=n_units,
        unit=unit,
        shared_failures=shared,
        defined=defined,
        shared_failure=SharedFailure(
            normalised,
            reason=reason,
            low=bounds[2],
            high=bounds[3],
            confidence=confidence,
            n_resamples=0 if confidence is None else n_resamples,
        ),
        low=bounds[0],
        high=bounds[1],
        confidence=confidence,
        n_sentences=corpus.n_units,
    )


def outcome_homogenization(
    y_true: Any,
    predictions: Mapping[str, Any],
    *,
    unit: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    confidence: float | None = None,
    n_resamples: int = 1000,
    seed: int | None = 0,
) -> OutcomeHomogenization:
    """Outcome homogenization of two or more subjects (Bommasani et al. 2022, each unit its own group).

    The share of units that every subject fails (the systemic-failure rate) divided by the share expected if
    the subjects failed independently (the product of their failure rates). 1 means independent errors, larger
    values mean the subjects fail on the same units (a shared blind spot), smaller values that they fail on
    different units. Its largest possible value is ``min f / prod f``, so for subjects that fail often it cannot
    reach a fixed bound: the result also carries :class:`SharedFailure` (``.shared_failure``), the same failures
    on the range the rates allow, which is the measure to bound.

    When some subject fails no unit the expected rate is 0 and so is the systemic rate: the value is reported
    as 0.0 (no unit can be failed by every subject) with an
    :class:`~pytest_homog.errors.UndefinedMetricWarning`, and ``.defined`` is False; shared failure is then NaN.

    With a ``confidence``, both get a paired-bootstrap interval (``.low``, ``.high``): each replicate resamples
    sentences (examples) with replacement, the same ones for every subject, and recomputes the measures from
    per-sentence counts (see :mod:`pytest_homog.metrics.group_counts`).

    Parameters
    ----------
    y_true : sequence of sequences of str, or sequence of labels
        The references.
    predictions : mapping of str to predictions
        Two or more subjects' predictions of the same sentences or examples.
    unit : {"entity", "sentence", "token", "example", "span"}, optional
        What can be failed (see :mod:`pytest_homog.corpus`). Default: gold entities for tag sequences, examples for
        flat labels. ``"span"`` adds every span a subject predicts that is not a gold entity, failed by the
        subjects that predict it.
    scheme, mode : str
        How entities are read from tags.
    confidence : float, optional
        Nominal coverage of the intervals; None (the default) computes none.
    n_resamples, seed : int
        Bootstrap replicates and seed, as in :func:`~pytest_homog.metrics.bootstrap.score`.

    Returns
    -------
    OutcomeHomogenization
        A float with the rates it is made of, the units every subject fails and the shared failure.

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"], ["B-ORG", "O"], ["B-PER", "O"]]
    >>> a = [["B-PER", "O"], ["O", "O"], ["O", "O"], ["B-PER", "O"]]
    >>> b = [["B-PER", "O"], ["O", "O"], ["B-ORG", "O"], ["B-PER", "O"]]
    >>> h = outcome_homogenization(y_true, {"a": a, "b": b})
    >>> float(h), h.systemic_failure_rate, h.expected_failure_rate
    (2.0, 0.25, 0.125)
    >>> h.shared_failures
    [UnitRef(sentence=1, label='LOC', start=0, end=1)]
    >>> float(h.shared_failure)  # (0.25 - 0.125) / (0.25 - 0.125): as nested as the rates allow
    1.0
    """
    checked = check_interval_options(confidence, n_resamples, seed)
    group = bind_group(y_true, predictions, scheme, mode, "outcome_homogenization")
    return homogenization_of(
        group, group[0].corpus.resolve_unit(unit), confidence=checked[0], n_resamples=checked[1], seed=checked[2]
    )


def shared_failure(
    y_true: Any,
    predictions: Mapping[str, Any],
    *,
    unit: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    confidence: float | None = None,
    n_resamples: int = 1000,
    seed: int | None = 0,
) -> SharedFailure:
    """Shared failure of two or more subjects: outcome homogenization on the range the failure rates allow.

    ``(s - prod f) / (min f - prod f)``, with ``s`` the share of units every subject fails and ``f`` their
    failure rates (DESIGN.md, Definitions): the excess of shared failures over independent ones, as a share of
    the largest excess the rates permit (every unit the best subject fails, all fail). 0 = independent
    failures, 1 = as nested as possible, negative = the subjects avoid failing together (its least value
    depends on the rates). Two identical subjects score 1 whatever their failure rate.

    It is undefined (0 / 0) when some subject fails no unit, or when all subjects but one fail every unit: then
    it is NaN, with ``.reason`` saying why (a NaN satisfies no bound). Arguments as in
    :func:`outcome_homogenization`; this is its ``.shared_failure``.

    Examples
    --------
    >>> y_true = ["pos", "neg", "pos", "neg"]
    >>> preds = {"a": ["neg", "pos", "pos", "neg"], "b": ["neg", "neg", "neg", "neg"]}
    >>> float(shared_failure(y_true, preds))  # they fail together 1/4 = 1/2 * 1/2 of the time: independent
    0.0
    >>> undefined = shared_failure(y_true, {"a": y_true, "b": preds["a"]})
    >>> float(undefined), "['a'] fail no example unit" in undefined.reason
    (nan, True)
    """
    with warnings.catch_warnings():
        # outcome homogenization's own 0 / 0 warning is about the other measure; this one says it in .reason
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        homogenization = outcome_homogenization(
            y_true,
            predictions,
            unit=unit,
            scheme=scheme,
            mode=mode,
            confidence=confidence,
            n_resamples=n_resamples,
            seed=seed,
        )
    return homogenization.shared_failure

