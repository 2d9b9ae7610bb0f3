"""What every check shares: argument checks for bounds, and the text of a failure.

A failed check says, in this order, a one-line verdict (measured value, bound, threshold), the evidence (interval,
n, a small table of the worst labels or pairs) and the next step; :func:`failure_message` lays them out.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

from pytest_homog.errors import HomogUsageError
from pytest_homog.run_context import RUN_SEED, run_family, run_seed

if TYPE_CHECKING:
    from pytest_homog.corpus import Corpus

__all__ = [
    "EVIDENCE_CONFIDENCE",
    "METRIC_TITLE",
    "check_number",
    "check_threshold",
    "failure_message",
    "family_note",
    "gate_confidence",
    "gate_resamples",
    "gate_unit",
    "gate_verdict",
    "percent",
    "resolve_seed",
    "unit_word",
]

#: the interval shown as evidence when a check compares the point estimate (confidence=None)
EVIDENCE_CONFIDENCE = 0.95

#: how messages name each quality metric
METRIC_TITLE = {"f1": "F1", "precision": "precision", "recall": "recall"}


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


def check_number(
    value: object,
    name: str,
    *,
    minimum: float = 0.0,
    strict: bool = False,
    below: float | None = None,
    why: str = "",
) -> float:
    """Return ``value`` as a float if it is a number (not NaN) at least ``minimum`` (above it when ``strict``)
    and, when ``below`` is given, under ``below``; ``why`` says what a value outside that range would do.

    Examples
    --------
    >>> check_number(2, "max_homogenization")
    2.0
    >>> check_number(1.0, "max_similarity", minimum=-1.0, below=1.0)
    Traceback (most recent call last):
    ...
    pytest_homog.errors.HomogUsageError: max_similarity must be a number >= -1 and < 1; got 1.0.
    """
    if isinstance(value, bool) or (
        not isinstance(value, (int, float)) and not type(value).__module__.startswith("numpy")
    ):
        raise HomogUsageError(f"{name} must be a number; got {value!r}.")
    number = float(value)  # type: ignore[arg-type]
    above_minimum = number > minimum if strict else number >= minimum
    if math.isnan(number) or not above_minimum or (below is not None and number >= below):
        wanted = [f"{'>' if strict else '>='} {minimum:g}"] if minimum > -math.inf else []
        wanted += [f"< {below:g}"] if below is not None else []
        raise HomogUsageError(f"{name} must be a number {' and '.join(wanted)}{why}; got {value!r}.")
    return number


def gate_confidence(confidence: float | None) -> float | None:
    """The confidence an interval gate uses: ``confidence``, or the run's family's (``--homog-family``) where that
    is stricter; ``None`` (a gate on the point estimate) stays ``None``.

    Examples
    --------
    >>> gate_confidence(0.95), gate_confidence(None)
    (0.95, None)
    """
    return None if confidence is None else run_family().confidence(confidence)


def gate_resamples(n_resamples: int, confidence: float | None) -> int:
    """The bootstrap resamples an interval gate draws: ``n_resamples``, or under the run's family enough for its
    stricter bound (see :meth:`pytest_homog.family.Family.resamples`); a point-estimate gate keeps its own.

    Examples
    --------
    >>> gate_resamples(1000, 0.95), gate_resamples(1000, None)
    (1000, 1000)
    """
    return n_resamples if confidence is None else run_family().resamples(n_resamples)


def family_note(requested: float | None, used: float | None) -> list[str]:
    """The line a failure adds when the run's family made the gate stricter than it asked; none otherwise.

    Examples
    --------
    >>> family_note(0.95, 0.95)
    []
    """
    if requested is None or used is None or used == requested:
        return []
    family = run_family()
    return [
        f"confidence {percent(used)}, not the {percent(requested)} asked for: --homog-family={family.method} spends "
        f"alpha {family.alpha:g} over {family.size} interval gates"
    ]


def gate_verdict(p_value: float, requested: float, decisive: bool, shows: str) -> tuple[bool, dict[str, Any]]:
    """An interval gate's verdict when it runs, and what it records about the run's family.

    ``decisive`` says whether the interval proved the verdict it can prove (``shows``: ``"pass"`` for a gate that
    must show its property, ``"failure"`` for one that fails only on proof); ``p_value`` is the gate's tail
    p-value, ``requested`` the confidence the caller asked for. Under ``--homog-family=holm`` a gate Holm may
    still prove at the end of the session is pending: it passes for now, and the session decides it.

    Examples
    --------
    >>> passed, details = gate_verdict(0.01, 0.95, True, "pass")
    >>> passed, details["gate_p_value"], details["family"]
    (True, 0.01, 'none')
    """
    family = run_family()
    pending = family.pending(p_value, decisive, requested)
    passed = decisive if shows == "pass" else not decisive
    return passed or pending, family.gate_details(p_value, requested, shows, pending)


def gate_unit(corpus: Corpus, unit: object) -> str:
    """The unit of a homogeneity or error-consistency gate: ``unit`` checked, or by default ``"span"`` for tag
    sequences (gold entities and every predicted span outside them, so shared false positives count) and
    ``"example"`` for flat labels."""
    if unit is None and corpus.nested:
        return "span"
    return corpus.resolve_unit(unit)


def resolve_seed(seed: object) -> int | None:
    """Return ``seed`` checked, reading :data:`~pytest_homog.run_context.RUN_SEED` (the checks' default) as the
    run's seed: ``--homog-seed`` when pytest runs with ``--homog``, else 0.

    Examples
    --------
    >>> resolve_seed(RUN_SEED), resolve_seed(7), resolve_seed(None)
    (0, 7, None)
    """
    from pytest_homog.metrics.bootstrap import check_seed

    return run_seed() if seed is RUN_SEED else check_seed(seed)


def percent(confidence: float | None) -> str:
    """A confidence as messages write it: ``95%``, and ``99.8%`` for one a family made stricter.

    Examples
    --------
    >>> percent(0.95), percent(0.998), percent(1 - 0.1 / 3)
    ('95%', '99.8%', '96.67%')
    """
    return f"{float(confidence or 0.0) * 100:.4g}%"


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


def unit_word(level: str) -> str:
    """What the bootstrap resamples at ``level``, in the plural: examples for labels, sentences otherwise."""
    return "examples" if level == "label" else "sentences"
