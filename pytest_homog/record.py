"""The run record: what every check measured during a pytest session.

Assertion helpers build a :class:`CheckRecord` and hand it to :func:`record_check`. When pytest runs with
``--homog`` the plugin opens a :class:`RunRecord` for the session and stamps each record with the id of the test
that produced it; reports (terminal summary, JSON, JUnit, Markdown, HTML, baselines) are built from it. Outside
such a session :func:`record_check` does nothing, so the assertions work in plain scripts too.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CheckRecord", "RunRecord", "active_run", "current_test", "record_check"]


@dataclass
class CheckRecord:
    """One measured check.

    Attributes
    ----------
    check : str
        The assertion that measured it, e.g. ``"assert_f1_above"``.
    metric : str
        What was measured, e.g. ``"f1"``, ``"disagreement"``, ``"outcome_homogenization"``.
    value : float
        The point estimate.
    passed : bool
        The verdict.
    threshold : float, optional
        The bound the check compared against (``min_gap``, ``max_homogenization``, ...).
    compared : str
        Which number was compared with the threshold: ``"value"``, ``"low"`` or ``"high"``.
    low, high, confidence : float, optional
        The confidence interval, when the check carried one.
    n : int, optional
        Number of units the value was computed on.
    level, scheme, mode : str, optional
        What was counted (``entity``/``token``/``label``) and how entities were read.
    subjects : tuple of str
        Names of the subjects checked.
    data : str, optional
        Name or fingerprint of the data the check ran on.
    details : dict
        Anything else worth reporting (per-label table, similarity matrix, worst units).
    duration : float
        Seconds the check took.
    test_id : str
        pytest node id of the test that ran the check; stamped by :func:`record_check`.
    """

    check: str
    metric: str
    value: float
    passed: bool
    threshold: float | None = None
    compared: str = "value"
    low: float | None = None
    high: float | None = None
    confidence: float | None = None
    n: int | None = None
    level: str | None = None
    scheme: str | None = None
    mode: str | None = None
    subjects: tuple[str, ...] = ()
    data: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    duration: float = 0.0
    test_id: str = ""


@dataclass
class RunRecord:
    """Every :class:`CheckRecord` of one session, in the order the checks ran."""

    checks: list[CheckRecord] = field(default_factory=list)


_active_run: RunRecord | None = None
_current_test: contextvars.ContextVar[str] = contextvars.ContextVar("homog_current_test", default="")


def active_run() -> RunRecord | None:
    """The run record of the current ``--homog`` session, or ``None`` outside one."""
    return _active_run


def set_active_run(run: RunRecord | None) -> None:
    """Open (or, with ``None``, close) the session's run record; called by the plugin."""
    global _active_run
    _active_run = run


@contextmanager
def current_test(nodeid: str) -> Iterator[None]:
    """Within this block, records are stamped with ``nodeid``; used by the plugin around each test call."""
    token = _current_test.set(nodeid)
    try:
        yield
    finally:
        _current_test.reset(token)


def record_check(record: CheckRecord) -> CheckRecord:
    """Stamp ``record`` with the current test id and add it to the active run record, if there is one."""
    if not record.test_id:
        record.test_id = _current_test.get()
    run = _active_run
    if run is not None:
        run.checks.append(record)
    return record
