"""Family-wise error control across a session (``--homog-family``), and measured flakiness.

Every interval gate proves one verdict: a quality, divergence or homogeneity gate passes only when its interval
clears the threshold, so its confidence bounds the chance of a false pass; :func:`~pytest_homog.assert_no_regression`
fails only when its interval lies beyond the tolerance, so its confidence bounds the chance of a false failure.
Each gate's ``(1 - confidence) / 2`` is that chance (one bound is compared), and over a session of ``m`` gates
the chances add up: 50 regression gates at 95% give a run with nothing changed a 72% chance of failing somewhere.
A :class:`Family` spends a session-wide ``alpha`` over the gates instead:

``bonferroni``
    every gate at the one-sided level ``alpha / m``: confidence ``1 - 2 alpha / m``;
``holm``
    Holm's step-down (Holm 1979) over the session's p-values: the smallest p-value at ``alpha / m``, the next at
    ``alpha / (m - 1)``, ..., stopping at the first that misses. A gate whose p-value is at most ``alpha / m``
    is decided when it runs (Holm decides it so whatever the others give), one above ``alpha`` (or above the
    ``(1 - confidence) / 2`` the call asked for) likewise (Holm never proves it); one in between is *pending*: its
    test goes on and Holm decides it at the end of the session, from every gate's p-value. A pending gate that
    ends up failing fails the run.

Both keep the chance that any gate of the session proves a verdict that is not true at or below ``alpha``,
whatever the gates' dependence. A gate never gets looser than the caller asked: the family's confidence is
used only where it is stricter. A stricter gate reads its bound further out in the bootstrap's tail, where 1,000
resamples leave one or two replicates beyond a 0.1% level: under control each gate draws at least
:data:`TAIL_RESAMPLES` ``/ level`` resamples, so that about 20 lie beyond its bound (``benchmarks/bench_family.py``
measures what 1,000 would give). ``m``, the family size, must be known before the gates run (see
:func:`count_gates`); a session that runs more interval gates than that fails, since its bound no longer holds.

Flakiness (:func:`settle`): each gate's margin is the distance of its compared bound from the threshold in
standard errors, the standard error read off the interval's half-width on that side (``|value - bound| / z``).
A rerun on a fresh sample of the same size gives a value that differs from this one by about ``sqrt(2)``
standard errors (both are draws around the truth), so it flips the verdict with probability ``Phi(-|margin| /
sqrt(2))``; the session's chance of some flip is ``1 - prod(1 - flip)``, the gates taken as independent.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

from pytest_homog.record import CheckRecord

__all__ = [
    "DEFAULT_ALPHA",
    "METHODS",
    "TAIL_RESAMPLES",
    "Family",
    "FamilyReport",
    "count_gates",
    "holm_rejections",
    "interval_p_value",
    "settle",
]

#: ``--homog-family`` values
METHODS = ("none", "bonferroni", "holm")
#: the session-wide chance of a false verdict that ``--homog-alpha`` allows by default
DEFAULT_ALPHA = 0.05
#: under control, a gate draws at least this many resamples per unit of its one-sided level's reciprocal, so that
#: about this many replicates lie beyond its bound
TAIL_RESAMPLES = 20
#: the gates of one process, numbered so that the records of one call stay together (an ``assert_not_homogeneous``
#: call records one row per bound)
_gate_numbers = itertools.count()
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Family:
    """How the session's interval gates share ``alpha``.

    Attributes
    ----------
    method : {"none", "bonferroni", "holm"}
    alpha : float
        The chance of any false verdict in the session that the family allows.
    size : int
        The number of interval gates the family was sized for.
    sized_by : str
        ``"--homog-family-size"``, ``"collection"`` (``homog(gates=N)`` markers of the selected tests) or ``""``
        (not sized yet).

    Examples
    --------
    >>> family = Family("bonferroni", 0.05, 10)
    >>> family.level(), round(family.confidence(0.95), 6), family.confidence(0.999), family.resamples(1000)
    (0.005, 0.99, 0.999, 4000)
    >>> Family().confidence(0.9)
    0.9
    """

    method: str = "none"
    alpha: float = DEFAULT_ALPHA
    size: int = 0
    sized_by: str = ""

    @property
    def controlled(self) -> bool:
        """Whether the family adjusts the gates (``bonferroni`` or ``holm``)."""
        return self.method != "none"

    def level(self) -> float | None:
        """The one-sided level of each gate when it runs: ``alpha / size`` (Holm's first step), or ``None``
        without control."""
        return self.alpha / max(self.size, 1) if self.controlled else None

    def confidence(self, requested: float) -> float:
        """The two-sided confidence a gate asked for ``requested`` uses: the family's when that is stricter."""
        level = self.level()
        return requested if level is None else max(requested, 1.0 - 2.0 * level)

    def resamples(self, requested: int) -> int:
        """The bootstrap resamples a gate asked for ``requested`` draws: enough for about :data:`TAIL_RESAMPLES`
        replicates beyond its bound under control, never fewer than asked."""
        level = self.level()
        return requested if level is None else max(requested, math.ceil(TAIL_RESAMPLES / level - 1e-9))

    def pending(self, p_value: float, decisive: bool, requested: float) -> bool:
        """Whether Holm decides this gate at the end of the session: its interval did not prove its verdict at
        ``alpha / size``, but its p-value is within both ``alpha`` and the level the caller asked for
        (``(1 - requested) / 2``), so other gates' p-values may let Holm prove it."""
        return self.method == "holm" and not decisive and p_value <= min(self.alpha, (1.0 - requested) / 2.0)

    def gate_details(self, p_value: float, requested: float, shows: str, pending: bool) -> dict[str, Any]:
        """What a gate records in ``details``: its p-value, the family, and the verdict its interval proves
        (``shows``: ``"pass"`` or ``"failure"``); ``requested_confidence`` when the family changed it."""
        details: dict[str, Any] = {
            "gate_p_value": p_value,
            "family": self.method,
            "family_size": self.size,
            "family_gate": next(_gate_numbers),
            "interval_shows": shows,
        }
        if self.confidence(requested) != requested:
            details["requested_confidence"] = requested
        if pending:
            details["verdict"] = "pending: holm decides at the end of the session"
        return details


def count_gates(items: Iterable[Any]) -> int:
    """The family size of the selected test items: each item marked ``homog`` counts ``gates`` (the marker's
    keyword, default 1) interval gates; unmarked items count none. Parametrised cases are items, so each counts.

    Examples
    --------
    >>> import pytest
    >>> class Item:
    ...     def __init__(self, mark): self.mark = mark
    ...     def get_closest_marker(self, name): return self.mark
    >>> count_gates([Item(pytest.mark.homog.mark), Item(pytest.mark.homog(gates=3).mark), Item(None)])
    4
    """
    import pytest

    total = 0
    for item in items:
        mark = item.get_closest_marker("homog")
        if mark is None:
            continue
        gates = mark.kwargs.get("gates", 1)
        if isinstance(gates, bool) or not isinstance(gates, int) or gates < 0:
            raise pytest.UsageError(
                f"{getattr(item, 'nodeid', item)}: homog(gates={gates!r}) must be a whole number >= 0, the number of "
                "interval gates the test runs (the family size of --homog-family counts them)"
            )
        total += gates
    return total


def holm_rejections(p_values: Sequence[float], alpha: float, size: int | None = None) -> list[bool]:
    """Holm's step-down (Holm 1979): which hypotheses are rejected at family-wise level ``alpha``, among ``size``
    (default: as many as p-values; more is conservative). NaN never rejects.

    Examples
    --------
    >>> holm_rejections([0.01, 0.04, 0.03, 0.2], 0.05)
    [True, False, False, False]
    >>> holm_rejections([0.01, 0.02, 0.03], 0.1)
    [True, True, True]
    """
    m = max(size or 0, len(p_values))
    order = sorted(range(len(p_values)), key=lambda i: math.inf if math.isnan(p_values[i]) else p_values[i])
    rejected = [False] * len(p_values)
    for rank, i in enumerate(order):
        if not p_values[i] <= alpha / (m - rank):
            break
        rejected[i] = True
    return rejected


def interval_p_value(value: float, bound: float | None, threshold: float, confidence: float) -> float:
    """The one-sided p-value of a gate on an interval's bound, read from the interval when its replicates are not
    kept: the bound's half-width ``|value - bound|`` is ``z`` standard errors (``z`` the normal quantile of
    ``(1 + confidence) / 2``), and the p-value is the normal tail beyond the threshold. It is at most ``(1 -
    confidence) / 2`` exactly when the bound clears the threshold, as the interval's own verdict says. NaN bounds
    (an undefined interval) give 1.

    Examples
    --------
    >>> round(interval_p_value(0.30, 0.40, 0.40, 0.95), 4)   # an upper bound on the threshold: 2.5%
    0.025
    >>> interval_p_value(0.3, 0.3, 0.5, 0.95), interval_p_value(0.3, float("nan"), 0.5, 0.95)
    (0.0, 1.0)
    """
    if bound is None or math.isnan(bound) or math.isnan(value):
        return 1.0
    half = abs(bound - value)
    room = (threshold - value) if bound >= value else (value - threshold)
    if half == 0.0:
        return 0.0 if room > 0 else 1.0
    z = _NORMAL.inv_cdf((1.0 + confidence) / 2.0)
    return _NORMAL.cdf(-z * room / half)


# --- the end of the session ------------------------------------------------------------------------------------


@dataclass
class FamilyReport:
    """The session's family and flakiness, for the summaries and the JSON report (see :func:`settle`).

    ``bound`` is the chance that some interval gate of the session proves a verdict that is not true: ``alpha``
    under control (while no more gates ran than the family was sized for), the sum of the gates' one-sided levels
    (the union bound) otherwise. ``failures`` say why the run fails; ``decided`` lists the gates Holm decided at
    the end of the session.
    """

    family: Family
    gates: int = 0
    point_gates: int = 0
    bound: float = 0.0
    flip_probability: float = 0.0
    margins: list[tuple[CheckRecord, float, float]] = field(default_factory=list)
    decided: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report's ``family`` entry."""
        family = self.family
        return {
            "method": family.method,
            "alpha": family.alpha,
            "size": family.size,
            "sized_by": family.sized_by,
            "gates": self.gates,
            "point_gates": self.point_gates,
            "false_verdict_bound": self.bound,
            "flip_probability": self.flip_probability,
            "flip_method": "normal approximation: Phi(-|margin| / sqrt(2)) per gate, gates independent",
            "decided_at_session_end": list(self.decided),
        }

    def lines(self, shown: int = 10) -> list[str]:
        """What the summaries say: the family and its bound, the chance of a flip, the gates closest to flipping."""
        family = self.family
        if not self.gates and not self.margins and not family.controlled:
            return []
        if family.controlled:
            head = (
                f"homog family: {family.method} at alpha {family.alpha:g} over {self.gates} interval gate(s) "
                f"(family size {family.size}, from {family.sized_by or 'nothing'})"
            )
        else:
            head = f"homog family: none, {self.gates} interval gate(s) each at its own confidence"
        lines = [
            f"{head}: the chance that some gate proves a verdict that is not true (a false pass of a gate that must "
            f"show its property, a false failure of assert_no_regression) is at most {self.bound:.3g}"
            + ("" if family.controlled else " (union bound; --homog-family=holm holds it to --homog-alpha)"),
        ]
        lines += [f"homog family: {text}" for text in self.decided]
        if self.margins:
            lines.append(
                f"homog flakiness: a rerun on a fresh sample of the same size flips some verdict with probability "
                f"{self.flip_probability:.2f} (each gate's margin in standard errors, normal approximation, gates "
                "independent)"
            )
            closest = sorted(self.margins, key=lambda row: abs(row[1]))
            for record, margin, flip in closest[:shown]:
                lines.append(
                    f"  margin {margin:+.2f} SE, flip {flip:.2f}: {record.test_id or '<outside tests>'} "
                    f"{record.check} {record.metric}"
                )
            if len(closest) > shown:
                lines.append(f"  ... and {len(closest) - shown} more (all in the JSON report)")
        return lines


def settle(records: Sequence[CheckRecord], family: Family) -> FamilyReport:
    """Finish the session's family: Holm's verdicts on pending gates (updating their records), the bound, the
    failures, and every gate's margin and flip probability (added to its record's ``details``)."""
    groups: dict[tuple[str, int], list[CheckRecord]] = {}
    for record in records:
        if "gate_p_value" in record.details:
            groups.setdefault((record.test_id, record.details["family_gate"]), []).append(record)
    report = FamilyReport(family, gates=len(groups))
    report.point_gates = sum(1 for r in records if r.compared == "value" and r.threshold is not None)
    if family.method == "holm":
        _holm(list(groups.values()), family, report)
    report.bound = _bound(list(groups.values()), family, report)
    _margins(records, report)
    return report


def _holm(gates: list[list[CheckRecord]], family: Family, report: FamilyReport) -> None:
    p_values = [max(_p(r) for r in gate) for gate in gates]
    rejected = holm_rejections(p_values, family.alpha, family.size)
    failed = []
    for gate, p_value, proven in zip(gates, p_values, rejected, strict=True):
        for record in gate:
            if not str(record.details.get("verdict", "")).startswith("pending"):
                continue
            own = (1.0 - record.details.get("requested_confidence", record.confidence or 0.0)) / 2.0
            shown = proven and p_value <= own
            record.passed = shown if record.details["interval_shows"] == "pass" else not shown
            record.details["verdict"] = f"holm at the end of the session: {'pass' if record.passed else 'fail'}"
            if not record.passed:
                failed.append(f"{record.test_id or '<outside tests>'} {record.check} {record.metric}")
        if any("holm at the end" in str(r.details.get("verdict", "")) for r in gate):
            report.decided.append(
                f"holm decided {gate[0].test_id or '<outside tests>'} {gate[0].check} at the end of the session "
                f"(p = {p_value:.3g}): {'pass' if all(r.passed for r in gate) else 'fail'}"
            )
    if failed:
        report.failures.append(
            f"--homog-family=holm failed {len(failed)} gate(s) at the end of the session, after their tests passed: "
            + "; ".join(failed)
        )


def _p(record: CheckRecord) -> float:
    p_value = record.details["gate_p_value"]
    return 1.0 if p_value is None or math.isnan(p_value) else float(p_value)


def _bound(gates: list[list[CheckRecord]], family: Family, report: FamilyReport) -> float:
    """The session's chance of a false verdict; a family too small for the gates that ran fails the run."""
    union = min(1.0, sum((1.0 - max(r.confidence or 0.0 for r in gate)) / 2.0 for gate in gates))
    if not family.controlled:
        return union
    if len(gates) <= family.size:
        # Holm proves some verdicts at levels above alpha / m: only its own guarantee bounds them
        return family.alpha if family.method == "holm" else union
    bound = min(1.0, family.alpha * len(gates) / family.size) if family.size else 1.0
    report.failures.append(
        f"--homog-family={family.method}: {len(gates)} interval gates ran but the family was sized for "
        f"{family.size} ({family.sized_by}), so the chance of a false verdict is up to {bound:.3g}, not "
        f"--homog-alpha {family.alpha:g}; mark each test with @pytest.mark.homog(gates=N), N its interval gates, "
        "or set --homog-family-size"
    )
    return bound


def _margins(records: Sequence[CheckRecord], report: FamilyReport) -> None:
    """Each gate's margin in standard errors and its chance to flip on a rerun, added to its record."""
    survive = 1.0
    for record in records:
        margin = _margin(record)
        if margin is None:
            continue
        flip = _NORMAL.cdf(-abs(margin) / math.sqrt(2.0))
        record.details["margin_se"] = margin
        record.details["flip_probability"] = flip
        report.margins.append((record, margin, flip))
        survive *= 1.0 - flip
    report.flip_probability = 1.0 - survive


def _margin(record: CheckRecord) -> float | None:
    """How far the compared number lies from the threshold, in standard errors read off the interval; positive
    on the side of the verdict. ``None`` for a record without a threshold or an interval."""
    low, high, confidence, threshold = record.low, record.high, record.confidence, record.threshold
    if threshold is None or low is None or high is None or confidence is None:
        return None
    if any(math.isnan(x) for x in (low, high, record.value)):
        return None
    z = _NORMAL.inv_cdf((1.0 + confidence) / 2.0)
    compared = {"low": low, "high": high}.get(record.compared, record.value)
    half = abs(record.value - compared) if record.compared in ("low", "high") else (high - low) / 2.0
    distance = abs(compared - threshold)
    if half == 0.0:
        return 0.0 if distance == 0.0 else math.copysign(math.inf, 1.0 if record.passed else -1.0)
    return distance / (half / z) * (1.0 if record.passed else -1.0)
