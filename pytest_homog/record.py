"""The run record: what every check measured during a pytest session.

Assertion helpers build a :class:`CheckRecord` and hand it to :func:`record_check`. When pytest runs with
``--homog`` the plugin opens a :class:`RunRecord` for the session and stamps each record with the id of the test
that produced it; reports (terminal summary, JSON, JUnit, Markdown, HTML, baselines) are built from it. Outside
such a session :func:`record_check` does nothing, so the assertions work in plain scripts too.

Conventions for ``CheckRecord.details`` that the reports understand (anything else is kept in the JSON report and
listed under ``pytest -v``):

``details["per_label"]``
    A per-label table: a mapping ``{label: {column: value}}`` (e.g. ``{"PER": {"precision": 0.8, "recall": 0.7,
    "f1": 0.75, "support": 120}}``), a list of row mappings, or an object with a ``to_markdown()`` method.
    Shown under ``pytest -v``, in the Markdown and the HTML report.
``details["matrix"]``
    A similarity (or divergence) matrix between subjects: ``{"names": [...], "values": [[...], ...], "by":
    "error_consistency"}`` (``"by"`` optional), or any object with ``.names`` and ``.values`` (such as a
    ``SimilarityMatrix``; numpy arrays are fine). Rendered as a table in Markdown and as a heatmap in HTML.

Values in ``details`` may be numpy scalars or arrays; :meth:`CheckRecord.to_dict` turns them into plain JSON.
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any

__all__ = [
    "CheckRecord",
    "RunRecord",
    "active_run",
    "current_test",
    "jsonable",
    "record_check",
    "record_example_check",
]


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
    higher_is_better : bool, optional
        Direction of the metric, used by baselines to tell a regression from an improvement. ``None`` derives
        it from the metric name (see :func:`pytest_homog.report.baseline.higher_is_better`).

    Examples
    --------
    >>> rec = CheckRecord(check="assert_f1_above", metric="f1", value=0.42, passed=True, threshold=0.4,
    ...                   compared="low", low=0.401, high=0.44, confidence=0.95, subjects=("candidate",))
    >>> CheckRecord.from_dict(rec.to_dict()) == rec
    True
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
    higher_is_better: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-compatible data (numpy values and matrix objects converted)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if f.name == "subjects" else jsonable(value)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckRecord:
        """Rebuild a record from :meth:`to_dict` output; unknown keys (from a newer version) are ignored."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["subjects"] = tuple(str(s) for s in kwargs.get("subjects") or ())
        kwargs["details"] = dict(kwargs.get("details") or {})
        return cls(**kwargs)


@dataclass
class RunRecord:
    """Every :class:`CheckRecord` of one session, in the order the checks ran.

    Attributes
    ----------
    checks : list of CheckRecord
        The records.
    plugin_version : str
        Version of pytest-homog that ran the session.
    started : float
        Start of the session, seconds since the epoch (0 when unknown).

    Examples
    --------
    >>> run = RunRecord(plugin_version="0.1.0", started=0.0)
    >>> run.checks.append(CheckRecord(check="c", metric="f1", value=0.5, passed=True))
    >>> RunRecord.from_dict(run.to_dict()) == run
    True
    """

    checks: list[CheckRecord] = field(default_factory=list)
    plugin_version: str = ""
    started: float = 0.0
    # property tests' folded records, by (test id, check, subjects, perturbation); see record_example_check
    property_checks: dict[tuple[Any, ...], CheckRecord] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The run as plain JSON-compatible data."""
        return {
            "plugin_version": self.plugin_version,
            "started": self.started,
            "checks": [c.to_dict() for c in self.checks],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        """Rebuild a run from :meth:`to_dict` output."""
        return cls(
            checks=[CheckRecord.from_dict(c) for c in data.get("checks", ())],
            plugin_version=str(data.get("plugin_version", "")),
            started=float(data.get("started", 0.0)),
        )


_PLAIN = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    """Convert ``value`` to plain JSON data: numpy scalars and arrays, tuples, sets and matrix-like objects
    (``.names`` and ``.values``) become numbers, lists and dicts; enums become their value, and subclasses of
    ``str``, ``int`` and ``float`` the plain type; NaN and infinities stay floats (the JSON report writes them as
    ``null``); anything else unknown becomes its ``str``.

    Examples
    --------
    >>> jsonable({"a": (1, 2.5), "b": {"x"}})
    {'a': [1, 2.5], 'b': ['x']}
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): jsonable(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [jsonable(v) for v in value]
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, str):  # subclasses (numpy.str_, say) as the plain type
        return str(value)
    if isinstance(value, int):  # bool is in _PLAIN and cannot be subclassed
        return int(value)
    if isinstance(value, float):  # numpy.float64
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=repr)
    tolist = getattr(value, "tolist", None)
    if callable(tolist):  # numpy arrays and scalars
        return jsonable(tolist())
    if hasattr(value, "names") and hasattr(value, "values") and not callable(value.values):
        out = {"names": jsonable(list(value.names)), "values": jsonable(value.values)}
        by = getattr(value, "by", None)
        if isinstance(by, str):
            out["by"] = by
        return out
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return jsonable(to_dict())
    if hasattr(value, "__float__"):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    return str(value)


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


def _in_hypothesis_test() -> bool:
    """Whether the caller runs inside a hypothesis ``@given`` test (without importing hypothesis)."""
    control = sys.modules.get("hypothesis.control")
    return control is not None and bool(control.currently_in_test_context())


def record_example_check(record: CheckRecord) -> CheckRecord:
    """Record a check made on one generated example, folding a property test's examples into one record.

    Inside a hypothesis ``@given`` test a behavioural check runs once per generated (and shrunk) example; one
    row per example would bury the report. There the first example's record is added to the run and later
    examples of the same test, check and subjects update it: ``metric`` becomes ``"examples_passed"``, ``value``
    the share of examples on which the check passed, ``n`` the number of examples, ``threshold`` 1.0, and
    ``passed`` is true only if every example passed. The per-example metric and the first failing example's
    details are kept in ``details``. Outside a hypothesis test this is :func:`record_check`.
    """
    if not _in_hypothesis_test():
        return record_check(record)
    if not record.test_id:
        record.test_id = _current_test.get()
    run = _active_run
    if run is None:
        return record
    key = (record.test_id, record.check, record.subjects, str(record.details.get("perturbation", "")))
    merged = run.property_checks.get(key)
    if merged is None:
        merged = CheckRecord(
            check=record.check,
            metric="examples_passed",
            value=0.0,
            passed=True,
            threshold=1.0,
            n=0,
            level=record.level,
            scheme=record.scheme,
            mode=record.mode,
            subjects=record.subjects,
            data=record.data,
            details={"example_metric": record.metric, "examples": 0, "failed_examples": 0},
            test_id=record.test_id,
            higher_is_better=True,
        )
        run.property_checks[key] = merged
        run.checks.append(merged)
    details = merged.details
    details["examples"] += 1
    if not record.passed:
        details["failed_examples"] += 1
        details.setdefault("first_failure", {"value": record.value, **record.details})
    examples = details["examples"]
    merged.n = examples
    merged.value = (examples - details["failed_examples"]) / examples
    merged.passed = merged.passed and record.passed
    merged.duration += record.duration
    return merged
