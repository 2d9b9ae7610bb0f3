"""Baselines: the key of a check, the direction of its metric, reading a baseline file and comparing a run with it.

Direction of a metric
    A baseline comparison needs to know which way is worse. :func:`higher_is_better` answers, in this order:
    the record's own ``higher_is_better`` field; the metric name (``f1``, ``precision``, ``recall``,
    ``accuracy``, ``divergence``, ``disagreement``, ... are better higher; ``outcome_homogenization``,
    ``similarity``, ``error_consistency``, ``cka``, ``agreement``, ``loss``, ``error_rate`` are better lower); a
    check whose threshold bounds the upper end (``compared="high"``) is better lower; anything else is better
    higher.

Key of a check
    A check is identified across runs by test id, check, metric and subjects (:func:`record_key`); when one test
    runs the same check on the same subjects more than once, the second gets ``#2`` appended, and so on.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_homog.config import Tolerance
from pytest_homog.record import CheckRecord
from pytest_homog.report.numbers import format_number

__all__ = [
    "BASELINE_SCHEMA",
    "NOTHING_COMPARED",
    "REPORT_SCHEMA",
    "SCHEMA_VERSION",
    "Baseline",
    "BaselineEntry",
    "Comparison",
    "Delta",
    "assign_keys",
    "baseline_delta",
    "compare_to_baseline",
    "higher_is_better",
    "load_baseline",
    "record_key",
]

REPORT_SCHEMA = "pytest-homog/report"
BASELINE_SCHEMA = "pytest-homog/baseline"
SCHEMA_VERSION = 1
#: the warning when a baseline shares no check with the run (:attr:`Comparison.shares_nothing`)
NOTHING_COMPARED = (
    "the baseline shares no check with this run, so nothing was compared. A check is known by test id, check, "
    "metric and subject names: were tests or subjects renamed? Write a new baseline with --homog-save-baseline; "
    "--homog-baseline-strict makes this a failure."
)

_HIGHER_IS_BETTER = frozenset(
    {"f1", "precision", "recall", "accuracy", "divergence", "disagreement", "gap", "f1_gap", "auc", "roc_auc"}
)
_LOWER_IS_BETTER = frozenset(
    {
        "outcome_homogenization",
        "homogenization",
        "similarity",
        "error_consistency",
        "kappa",
        "cka",
        "linear_cka",
        "agreement",
        "loss",
        "error_rate",
        "ece",
    }
)


def higher_is_better(record: CheckRecord) -> bool:
    """Whether a larger value of the record's metric is better (see the module docstring for the rules).

    Examples
    --------
    >>> higher_is_better(CheckRecord(check="c", metric="f1", value=0.5, passed=True))
    True
    >>> higher_is_better(CheckRecord(check="c", metric="outcome_homogenization", value=1.2, passed=True))
    False
    >>> higher_is_better(CheckRecord(check="c", metric="my_score", value=0.2, passed=True, compared="high"))
    False
    """
    if record.higher_is_better is not None:
        return bool(record.higher_is_better)
    name = str(record.metric).strip().lower()
    if name in _HIGHER_IS_BETTER:
        return True
    if name in _LOWER_IS_BETTER or "homogenization" in name or "similarity" in name:
        return False
    return record.compared != "high"


def record_key(record: CheckRecord, occurrence: int = 1) -> str:
    """Identity of a check across runs: test id, check, metric and subjects (``#n`` for the n-th repeat).

    Examples
    --------
    >>> record_key(CheckRecord(check="assert_f1_above", metric="f1", value=0.5, passed=True,
    ...                        subjects=("a",), test_id="t.py::test_q"), 2)
    't.py::test_q::assert_f1_above::f1::a#2'
    """
    key = f"{record.test_id}::{record.check}::{record.metric}::{','.join(record.subjects)}"
    return key if occurrence <= 1 else f"{key}#{occurrence}"


def assign_keys(records: Iterable[CheckRecord]) -> list[str]:
    """Keys of ``records`` in order, numbering repeats of the same key (see :func:`record_key`)."""
    seen: dict[str, int] = {}
    keys = []
    for record in records:
        first = record_key(record)
        occurrence = seen[first] = seen.get(first, 0) + 1
        keys.append(record_key(record, occurrence))
    return keys


# --- reading a baseline ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineEntry:
    """The stored value of one check, and its direction when the file says."""

    value: float
    higher_is_better: bool | None = None


@dataclass
class Baseline:
    """A baseline file as read: the stored values and whatever was wrong with the file.

    ``usable`` is false when nothing could be compared (unreadable file, not JSON, another schema); the reason is
    in ``problems`` and is reported in the summary instead of stopping the run.
    """

    path: Path
    entries: dict[str, BaselineEntry] = field(default_factory=dict)
    plugin_version: str = ""
    created: str = ""
    problems: list[str] = field(default_factory=list)
    usable: bool = True


def load_baseline(path: str | os.PathLike[str], *, plugin_version: str = "") -> Baseline:
    """Read a baseline written by ``--homog-save-baseline`` (or a JSON report); never raises on bad content.

    Parameters
    ----------
    path : path-like
        The file.
    plugin_version : str
        Version of the running plugin; a baseline from another version is noted in ``problems`` and still used.

    Examples
    --------
    >>> import tempfile, os
    >>> bad = os.path.join(tempfile.mkdtemp(), "b.json")
    >>> _ = open(bad, "w").write("{not json")
    >>> b = load_baseline(bad)
    >>> b.usable, b.problems[0].startswith("not valid JSON")
    (False, True)
    """
    baseline = Baseline(path=Path(path))
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return _unusable(baseline, f"cannot be read ({exc.strerror or exc})")
    try:
        data = json.loads(raw)  # bytes: UTF-8, -16 or -32, as the json module detects them
    except ValueError as exc:  # UnicodeDecodeError included
        return _unusable(baseline, f"not valid JSON ({exc}); write a new one with --homog-save-baseline")
    if not isinstance(data, dict) or data.get("schema") not in (BASELINE_SCHEMA, REPORT_SCHEMA):
        return _unusable(
            baseline,
            f"not a pytest-homog baseline (expected schema {BASELINE_SCHEMA!r}); write one with --homog-save-baseline",
        )
    version = data.get("version")
    if version != SCHEMA_VERSION:
        return _unusable(
            baseline,
            f"schema version {version!r}, this pytest-homog reads version {SCHEMA_VERSION}; "
            "write a new one with --homog-save-baseline",
        )
    baseline.plugin_version = str(data.get("plugin_version", ""))
    baseline.created = str(data.get("created", ""))
    if plugin_version and baseline.plugin_version != plugin_version:
        baseline.problems.append(
            f"written by pytest-homog {baseline.plugin_version or 'unknown'}, this is {plugin_version}; "
            "values compared anyway"
        )
    checks = data.get("checks")
    if not isinstance(checks, list):
        return _unusable(baseline, "has no 'checks' list")
    malformed = 0
    for item in checks:
        entry = _entry(item)
        if entry is None:
            malformed += 1
        else:
            key, baseline.entries[key] = entry
    if malformed:
        baseline.problems.append(f"{malformed} malformed entr{'y' if malformed == 1 else 'ies'} ignored")
    return baseline


def _unusable(baseline: Baseline, why: str) -> Baseline:
    baseline.problems.append(why)
    baseline.usable = False
    return baseline


def _entry(item: Any) -> tuple[str, BaselineEntry] | None:
    """One entry of a baseline's ``checks`` as ``(key, entry)``, or ``None`` when it is malformed."""
    if not isinstance(item, dict):
        return None
    key, value = item.get("key"), item.get("value")
    if not isinstance(key, str) or isinstance(value, bool):
        return None
    if value is None:  # NaN is written as null
        number = math.nan
    elif isinstance(value, (int, float)):
        number = float(value)
    else:
        return None
    direction = item.get("higher_is_better")
    return key, BaselineEntry(number, direction if isinstance(direction, bool) else None)


# --- comparing with a baseline -----------------------------------------------------------------------------------


@dataclass
class Delta:
    """One check compared with its baseline value."""

    key: str
    record: CheckRecord
    baseline: float
    higher_is_better: bool
    allowance: float
    #: whether the metric moved the wrong way by more than the allowance (judged when the comparison is made)
    regressed: bool = field(init=False)

    def __post_init__(self) -> None:
        value, stored = self.record.value, self.baseline
        if math.isnan(stored):  # nothing to compare with
            self.regressed = False
        elif math.isnan(value):  # a value that became undefined
            self.regressed = True
        else:
            worse = stored - value if self.higher_is_better else value - stored
            # the tolerance itself is allowed: a rounding error in the subtraction does not make a regression
            self.regressed = worse > self.allowance + 1e-12 * max(1.0, abs(stored))

    @property
    def change(self) -> float:
        """Measured minus stored value."""
        return self.record.value - self.baseline

    def describe(self) -> str:
        """One line for failure messages and summaries."""
        record = self.record
        subjects = f" [{', '.join(record.subjects)}]" if record.subjects else ""
        verb = "fell" if self.change < 0 else "rose"
        return (
            f"{record.metric} of {record.test_id or '<outside tests>'} ({record.check}{subjects}) {verb} from "
            f"{format_number(self.baseline)} to {format_number(record.value)} ({self.change:+.4f}; "
            f"{'higher' if self.higher_is_better else 'lower'} is better, allowed {format_number(self.allowance)})"
        )


@dataclass
class Comparison:
    """A run compared with a baseline."""

    baseline: Baseline
    tolerance: Tolerance
    deltas: list[Delta] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[Delta]:
        """Every delta that regressed."""
        return [d for d in self.deltas if d.regressed]

    @property
    def shares_nothing(self) -> bool:
        """Whether the run has checks but the baseline holds none of them (were tests or subjects renamed?)."""
        return bool(self.new) and not self.deltas

    def counts_text(self) -> str:
        """``"12 compared, 1 regressed, 0 new, 2 missing"``."""
        return (
            f"{len(self.deltas)} compared, {len(self.regressions)} regressed, {len(self.new)} new, "
            f"{len(self.missing)} missing"
        )


def baseline_delta(record: CheckRecord, key: str, baseline: Baseline, tolerance: Tolerance) -> Delta | None:
    """``record`` (keyed ``key``) compared with its stored value, or ``None`` when ``baseline`` has none or is
    unusable: one check of :func:`compare_to_baseline`, for the comparison made as each test ends.

    Examples
    --------
    >>> from pytest_homog.config import Tolerance
    >>> rec = CheckRecord(check="c", metric="f1", value=0.40, passed=True, test_id="t")
    >>> base = Baseline(path=Path("b.json"), entries={record_key(rec): BaselineEntry(0.45)})
    >>> baseline_delta(rec, record_key(rec), base, Tolerance(0.01)).regressed
    True
    >>> baseline_delta(rec, "another key", base, Tolerance(0.01)) is None
    True
    """
    entry = baseline.entries.get(key) if baseline.usable else None
    if entry is None:
        return None
    return Delta(key, record, entry.value, higher_is_better(record), tolerance.allowance(entry.value))


def compare_to_baseline(
    records: Sequence[CheckRecord], keys: Sequence[str], baseline: Baseline, tolerance: Tolerance
) -> Comparison:
    """Compare ``records`` (with their ``keys``, see :func:`assign_keys`) with ``baseline`` and list the stored
    checks that ``records`` lack.

    Examples
    --------
    >>> from pytest_homog.config import Tolerance
    >>> rec = CheckRecord(check="c", metric="f1", value=0.40, passed=True, test_id="t")
    >>> base = Baseline(path=Path("b.json"), entries={record_key(rec): BaselineEntry(0.45)})
    >>> cmp = compare_to_baseline([rec], [record_key(rec)], base, Tolerance(0.02, relative=True))
    >>> [round(d.change, 2) for d in cmp.regressions]
    [-0.05]
    """
    comparison = Comparison(baseline=baseline, tolerance=tolerance)
    if not baseline.usable:
        return comparison
    for record, key in zip(records, keys, strict=True):
        delta = baseline_delta(record, key, baseline, tolerance)
        if delta is None:
            comparison.new.append(key)
        else:
            comparison.deltas.append(delta)
    present = set(keys)
    comparison.missing = [key for key in baseline.entries if key not in present]
    return comparison
