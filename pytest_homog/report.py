"""Reports built from the run record: terminal summary, JSON, JUnit properties, Markdown, HTML, and baselines.

Everything here works on a :class:`~pytest_homog.record.RunRecord` (plain data) and imports nothing heavy: no
numpy, no matplotlib. Heatmaps and error bars in the HTML report are inline SVG.

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

import functools
import html
import json
import math
import os
import struct
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

try:  # a declared dependency: it writes and reads the JSON files several times faster than the json module
    import orjson
except ImportError:  # pragma: no cover - the json module writes the same data, only slower
    orjson = None  # type: ignore[assignment]

from pytest_homog.config import Tolerance
from pytest_homog.record import CheckRecord, RunRecord, json_default, jsonable, record_fields

__all__ = [
    "BASELINE_SCHEMA",
    "DETAIL_LIMIT",
    "REPORT_SCHEMA",
    "SCHEMA_VERSION",
    "Baseline",
    "BaselineEntry",
    "Comparison",
    "Delta",
    "RunReport",
    "assign_keys",
    "baseline_chunks",
    "baseline_delta",
    "baseline_dict",
    "compare_to_baseline",
    "higher_is_better",
    "html_chunks",
    "junit_properties",
    "load_baseline",
    "markdown_chunks",
    "record_key",
    "render_html",
    "render_markdown",
    "report_chunks",
    "report_dict",
    "summary_lines",
    "write_atomic",
]

REPORT_SCHEMA = "pytest-homog/report"
BASELINE_SCHEMA = "pytest-homog/baseline"
SCHEMA_VERSION = 1
# Markdown and HTML show the per-label tables of every check up to this many checks, else of the failed ones
DETAIL_LIMIT = 100

_HIGHER_IS_BETTER = frozenset(
    {
        "f1",
        "precision",
        "recall",
        "accuracy",
        "divergence",
        "disagreement",
        "gap",
        "f1_gap",
        "auc",
        "roc_auc",
    }
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
    try:
        return _direction(record.metric, record.compared)
    except TypeError:  # a field that cannot be a cache key: worked out without the cache
        return _direction.__wrapped__(record.metric, record.compared)


# worked out once per metric name and compared bound: every report asks, for every check
@functools.lru_cache(maxsize=4096)
def _direction(metric: str, compared: str) -> bool:
    name = metric.strip().lower()
    if name in _HIGHER_IS_BETTER:
        return True
    if name in _LOWER_IS_BETTER or "homogenization" in name or "similarity" in name:
        return False
    return compared != "high"


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
        base = f"{record.test_id}::{record.check}::{record.metric}::{','.join(record.subjects)}"  # record_key
        occurrence = seen[base] = seen.get(base, 0) + 1
        keys.append(base if occurrence == 1 else f"{base}#{occurrence}")
    return keys


# --- baselines ---------------------------------------------------------------------------------------------------


class BaselineEntry(NamedTuple):
    """A stored value of one check (a named tuple: a baseline holds one per check, and a named tuple is made
    faster than a frozen dataclass)."""

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
        data = _loads(raw)
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
    skipped = 0
    for item in checks:
        entry = _entry(item)
        if entry is None:
            skipped += 1
            continue
        baseline.entries[entry[0]] = entry[1]
    if skipped:
        baseline.problems.append(f"{skipped} malformed entr{'y' if skipped == 1 else 'ies'} ignored")
    return baseline


def _loads(raw: bytes) -> Any:
    """JSON text (bytes, UTF-8 or -16/-32 as the json module detects them) to data; raises ``ValueError``."""
    if orjson is not None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the json module reads some of what orjson refuses (NaN, integers beyond 64 bits) and words the error
    return json.loads(raw)


def _unusable(baseline: Baseline, why: str) -> Baseline:
    baseline.problems.append(why)
    baseline.usable = False
    return baseline


def _entry(item: Any) -> tuple[str, BaselineEntry] | None:
    if not isinstance(item, dict):
        return None
    key, value = item.get("key"), item.get("value")
    if not isinstance(key, str) or isinstance(value, bool):
        return None
    if value is None:
        number = math.nan
    elif isinstance(value, (int, float)):
        number = float(value)
    else:
        return None
    hib = item.get("higher_is_better")
    return key, BaselineEntry(number, hib if isinstance(hib, bool) else None)


@dataclass(slots=True)
class Delta:
    """One check compared with its baseline value (plain slots: thousands are made in a large run)."""

    key: str
    record: CheckRecord
    baseline: float
    higher_is_better: bool
    allowance: float
    #: whether the metric moved the wrong way by more than the tolerance allows (worked out when the delta is made:
    #: the reports and the summary ask for it many times)
    regressed: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        self.regressed = self._regressed_now()

    @property
    def change(self) -> float:
        """Measured minus stored value."""
        return self.record.value - self.baseline

    def _regressed_now(self) -> bool:
        value, stored = self.record.value, self.baseline
        if math.isnan(stored):
            return False
        if math.isnan(value):
            return True
        worse = stored - value if self.higher_is_better else value - stored
        return worse > self.allowance + 1e-12 * max(1.0, abs(stored))

    def describe(self) -> str:
        """One line for failure messages and summaries."""
        r = self.record
        subjects = f" [{', '.join(r.subjects)}]" if r.subjects else ""
        verb = "fell" if self.change < 0 else "rose"
        return (
            f"{r.metric} of {r.test_id or '<outside tests>'} ({r.check}{subjects}) {verb} from "
            f"{_num(self.baseline)} to {_num(r.value)} ({self.change:+.4f}; "
            f"{'higher' if self.higher_is_better else 'lower'} is better, allowed {_num(self.allowance)})"
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

    def counts_text(self, regressions: list[Delta]) -> str:
        """``"12 compared, 1 regressed, 0 new, 2 missing"``, given :attr:`regressions` (worked out once)."""
        return (
            f"{len(self.deltas)} compared, {len(regressions)} regressed, {len(self.new)} new, "
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
    records: Sequence[CheckRecord],
    keys: Sequence[str],
    baseline: Baseline,
    tolerance: Tolerance,
    *,
    known: Mapping[str, Delta] | None = None,
) -> Comparison:
    """Compare ``records`` (with their ``keys``, see :func:`assign_keys`) with ``baseline`` and list the stored
    checks that ``records`` lack. A delta in ``known`` under a record's key (made by :func:`baseline_delta` as its
    test ended) is taken as it is when it was made for that same record, stored value and allowance.

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
    entries, deltas, new, allowance = baseline.entries, comparison.deltas, comparison.new, tolerance.allowance
    known = known or {}
    for record, key in zip(records, keys, strict=True):
        entry = entries.get(key)
        if entry is None:
            new.append(key)
            continue
        delta, allowed = known.get(key), allowance(entry.value)
        if delta is None or delta.record is not record or delta.baseline != entry.value or delta.allowance != allowed:
            delta = Delta(key, record, entry.value, higher_is_better(record), allowed)
        deltas.append(delta)
    present = set(keys)
    comparison.missing = [k for k in entries if k not in present]
    return comparison


# --- the report of a run -----------------------------------------------------------------------------------------


@dataclass
class RunReport:
    """A finished run ready to be written: records, their keys and the baseline comparison, if any."""

    run: RunRecord
    comparison: Comparison | None = None
    keys: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    outputs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _rows: tuple[list[str], list[list[str]]] | None = field(default=None, repr=False, compare=False)
    _counts: dict[str, int] | None = field(default=None, repr=False, compare=False)
    _deltas: dict[str, Delta] | None = field(default=None, repr=False, compare=False)
    _details: list[Any] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        run: RunRecord,
        baseline: Baseline | None = None,
        tolerance: Tolerance | None = None,
        *,
        known: Mapping[str, Delta] | None = None,
    ) -> RunReport:
        """Key the records and compare them with ``baseline`` when given; ``known`` holds comparisons already
        made (as each test ended, by key), used for the very records they were made for."""
        keys = assign_keys(run.checks)
        comparison = None
        if baseline is not None:
            comparison = compare_to_baseline(run.checks, keys, baseline, tolerance or Tolerance(0.01), known=known)
        return cls(run=run, comparison=comparison, keys=keys)

    def delta_for(self) -> dict[str, Delta]:
        """Deltas by key (made once per report and shared: not to be edited)."""
        if self._deltas is None:
            self._deltas = {d.key: d for d in self.comparison.deltas} if self.comparison else {}
        return self._deltas

    def counts(self) -> dict[str, int]:
        """Summary counts: checks, passed, failed, tests, regressions (counted once; a fresh dict each call)."""
        if self._counts is None:
            checks = self.run.checks
            passed = sum(1 for c in checks if c.passed)
            self._counts = {
                "checks": len(checks),
                "passed": passed,
                "failed": len(checks) - passed,
                "tests": len({c.test_id for c in checks}),
                "regressions": len(self.comparison.regressions) if self.comparison else 0,
            }
        return dict(self._counts)


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds)) if seconds else ""


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def report_dict(report: RunReport) -> dict[str, Any]:
    """The JSON report (schema ``pytest-homog/report``, version 1; documented in the README)."""
    data = _report_head(report)
    data["checks"] = list(_report_checks(report))
    return data


def _report_head(report: RunReport) -> dict[str, Any]:
    """The JSON report with ``"checks"`` still to be filled in (in its place among the keys)."""
    return {
        "schema": REPORT_SCHEMA,
        "version": SCHEMA_VERSION,
        "plugin_version": report.run.plugin_version,
        "created": _iso(report.created),
        "started": _iso(report.run.started),
        "duration": round(report.created - report.run.started, 3) if report.run.started else None,
        "summary": report.counts(),
        "checks": None,
        "baseline": _comparison_dict(report.comparison),
    }


def _report_checks(report: RunReport) -> Iterator[dict[str, Any]]:
    """The entries of the JSON report's ``checks``, one at a time."""
    deltas = report.delta_for()
    for record, key in zip(report.run.checks, report.keys, strict=True):
        item = record_fields(record)
        item["key"] = key
        item["higher_is_better"] = higher_is_better(record)
        delta = deltas.get(key)
        if delta is not None:
            item["baseline"] = {"value": delta.baseline, "change": delta.change, "regressed": delta.regressed}
        yield item


def report_chunks(report: RunReport) -> Iterator[str]:
    """The text of :func:`dumps` ``(report_dict(report))`` in pieces, each check's entry made as it is written:
    a large report is never held in memory twice."""
    return _json_chunks(_report_head(report), _report_checks(report))


def _comparison_dict(comparison: Comparison | None) -> dict[str, Any] | None:
    if comparison is None:
        return None
    base = comparison.baseline
    return {
        "path": str(base.path),
        "plugin_version": base.plugin_version,
        "created": base.created,
        "usable": base.usable,
        "problems": list(base.problems),
        "tolerance": str(comparison.tolerance),
        "compared": len(comparison.deltas),
        "regressions": [
            {
                "key": d.key,
                "baseline": d.baseline,
                "value": d.record.value,
                "change": d.change,
                "message": d.describe(),
            }
            for d in comparison.regressions
        ],
        "new": list(comparison.new),
        "missing": list(comparison.missing),
    }


def baseline_dict(report: RunReport) -> dict[str, Any]:
    """The baseline file written by ``--homog-save-baseline`` (schema ``pytest-homog/baseline``)."""
    data = _baseline_head(report)
    data["checks"] = list(_baseline_checks(report))
    return data


def _baseline_head(report: RunReport) -> dict[str, Any]:
    return {
        "schema": BASELINE_SCHEMA,
        "version": SCHEMA_VERSION,
        "plugin_version": report.run.plugin_version,
        "created": _iso(report.created),
        "checks": None,
    }


def _baseline_checks(report: RunReport) -> Iterator[dict[str, Any]]:
    for r, key in zip(report.run.checks, report.keys, strict=True):
        yield {
            "key": key,
            "test_id": r.test_id,
            "check": r.check,
            "metric": r.metric,
            "subjects": list(r.subjects),
            "value": r.value,
            "higher_is_better": higher_is_better(r),
        }


def baseline_chunks(report: RunReport) -> Iterator[str]:
    """The text of :func:`dumps` ``(baseline_dict(report))`` in pieces (see :func:`report_chunks`)."""
    return _json_chunks(_baseline_head(report), _baseline_checks(report))


def write_atomic(path: str | os.PathLike[str], text: str | Iterable[str]) -> None:
    """Write ``text`` (a string, or its pieces in order) to a temporary file next to ``path`` and rename it into
    place, so a reader never sees a half-written file; if making a piece fails, the old file is kept.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "r.json")
    >>> write_atomic(p, "{}")
    >>> open(p).read(), [f for f in os.listdir(os.path.dirname(p)) if f != "r.json"]
    ('{}', [])
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", buffering=_WRITE_BUFFER) as fh:
            if isinstance(text, str):
                fh.write(text)
            else:
                fh.writelines(text)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def dumps(data: Any) -> str:
    """JSON text as pytest-homog writes it: strict JSON (NaN and infinities as ``null``), indented, with each
    entry of a ``checks`` list on one line of compact JSON, so reports diff line by line and large ones are written
    fast.

    Examples
    --------
    >>> print(dumps({"schema": "s", "checks": [{"value": float("nan")}, {"value": 1}]}))
    {
     "schema": "s",
     "checks": [
      {"value":null},
      {"value":1}
     ]
    }
    <BLANKLINE>
    """
    if not isinstance(data, dict) or not isinstance(data.get("checks"), list) or not data["checks"]:
        return _dump(data, indent=1) + "\n"
    return "".join(_json_chunks(data, data["checks"]))


def _json_chunks(head: dict[str, Any], checks: Iterable[Any]) -> Iterator[str]:
    """:func:`dumps` of ``head`` with ``head["checks"]`` replaced by ``checks``, in pieces."""
    entries = iter(checks)
    first = next(entries, _NOTHING)
    if first is _NOTHING:
        yield _dump({**head, "checks": []}, indent=1) + "\n"
        return
    sentinel = "\x00checks\x00"
    before, after = _dump({**head, "checks": sentinel}, indent=1).split(json.dumps(sentinel), 1)
    yield before + "[\n  " + _dump(first)
    for entry in entries:
        yield ",\n  " + _dump(entry)
    yield "\n ]" + after + "\n"


_NOTHING = object()
# bytes buffered before each write to a report file: a few large writes rather than many small ones
_WRITE_BUFFER = 1 << 16


# Entries are compact JSON, as orjson writes them. Anything that is not plain data goes through json_default in both
# writers: orjson is told to pass dataclasses and datetimes to it (it writes others, such as enums and UUIDs, just
# as json_default would); orjson writes NaN and infinities as null itself.
_ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME if orjson else 0
)
# no check for circular references: a cycle would fail in the fallback through jsonable() just the same
_ENCODER = json.JSONEncoder(
    allow_nan=False, ensure_ascii=False, default=json_default, check_circular=False, separators=(",", ":")
)
_INDENTED = json.JSONEncoder(allow_nan=False, ensure_ascii=False, default=json_default, indent=1)


# the C encoder behind _ENCODER, made once: JSONEncoder.encode makes a new one on every call, which costs more than
# encoding a small entry of a ``checks`` list (None where the json module has no C accelerator)
_MAKE_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODE: Any = (
    # markers, default, string encoder, indent, key and item separators, sort_keys, skipkeys, allow_nan
    _MAKE_ENCODER(None, json_default, json.encoder.encode_basestring, None, ":", ",", False, False, False)
    if _MAKE_ENCODER is not None
    else None
)


def _dump(data: Any, indent: int | None = None) -> str:
    if indent:
        try:
            return _INDENTED.encode(data)
        except (TypeError, ValueError):  # NaN, infinity, or a key json does not take
            return _INDENTED.encode(_finite(jsonable(data)))
    if orjson is not None:
        try:
            return orjson.dumps(data, default=json_default, option=_ORJSON_OPTIONS).decode()
        except TypeError:
            pass  # what orjson does not write (an integer beyond 64 bits, say): the json module writes it
    try:  # fast path: no NaN or infinity anywhere
        if _C_ENCODE is not None:
            return "".join(_C_ENCODE(data, 0))
        return _ENCODER.encode(data)
    except (TypeError, ValueError):
        return _ENCODER.encode(_finite(jsonable(data)))


# --- JUnit properties --------------------------------------------------------------------------------------------


def junit_properties(record: CheckRecord, prefix: str, delta: Delta | None = None) -> list[tuple[str, str]]:
    """``(name, value)`` pairs for a test case's ``<properties>`` in JUnit XML, named ``{prefix}.value`` etc.

    Examples
    --------
    >>> rec = CheckRecord(check="assert_f1_above", metric="f1", value=0.42, passed=True, threshold=0.4,
    ...                   low=0.41, high=0.44, confidence=0.95, n=120)
    >>> junit_properties(rec, "homog.f1")[:3]
    [('homog.f1.check', 'assert_f1_above'), ('homog.f1.value', '0.42'), ('homog.f1.passed', 'true')]
    """
    props = [
        (f"{prefix}.check", record.check),
        (f"{prefix}.value", _prop(record.value)),
        (f"{prefix}.passed", "true" if record.passed else "false"),
    ]
    for name in ("low", "high", "confidence", "threshold"):
        value = getattr(record, name)
        if value is not None:
            props.append((f"{prefix}.{name}", _prop(value)))
    if record.n is not None:
        props.append((f"{prefix}.n", str(record.n)))
    if delta is not None:  # a regression fails the test, so the comparison itself needs no property
        props.append((f"{prefix}.baseline", _prop(delta.baseline)))
    return props


def _prop(value: float) -> str:
    return repr(float(value))


def property_prefix(record: CheckRecord, occurrence: int) -> str:
    """``homog.<metric>`` for the first check of a metric in a test, ``homog.<metric>.<n>`` for the n-th."""
    base = f"homog.{record.metric}"
    return base if occurrence <= 1 else f"{base}.{occurrence}"


# --- formatting helpers ------------------------------------------------------------------------------------------


def _num(value: float | None) -> str:
    """A number as the reports show it: 4 decimals, integers as integers, very small or large in e-notation."""
    if value is None:
        return ""
    if type(value) is int:
        return str(value)
    v = float(value)
    a = abs(v)
    if 1e-3 <= a < 1000 or v == 0:
        return f"{v:.4f}"
    if not math.isfinite(v):
        return str(v)
    if v.is_integer() and a < 1e15:
        return str(int(v))
    return f"{v:.3e}" if a < 1e-3 or a >= 1e5 else f"{v:.4f}"


def _cell(value: Any) -> str:
    t = type(value)
    if t is float or t is int:
        return _num(value)
    if value is None:
        return ""
    if t is not bool and isinstance(value, (int, float)):
        return _num(value)
    return str(value)


def interval_text(record: CheckRecord) -> str:
    """``[low, high] 95%`` or empty."""
    if record.low is None or record.high is None:
        return ""
    conf = f" {record.confidence * 100:g}%" if record.confidence is not None else ""
    return f"[{_num(record.low)}, {_num(record.high)}]{conf}"


def threshold_text(record: CheckRecord) -> str:
    """``low >= 0.4000``: which number was compared, how, and with what; empty without a threshold."""
    if record.threshold is None:
        return ""
    # the bound is a floor when more is better (f1 low >= 0.40; a drop's upper bound high >= -0.02) and a ceiling
    # when less is (outcome homogenization <= 2.0)
    op = ">=" if higher_is_better(record) else "<="
    return f"{record.compared} {op} {_num(record.threshold)}"


def verdict_text(record: CheckRecord, delta: Delta | None) -> str:
    """``PASS``, ``FAIL``, or ``REGRESSED`` for a check that passed its threshold but not its baseline."""
    if not record.passed:
        return "FAIL"
    if delta is not None and delta.regressed:
        return "REGRESSED"
    return "PASS"


def table_from(obj: Any) -> tuple[list[str], list[list[Any]]] | None:
    """A per-label table (see record.py for the accepted shapes) as headers and rows, or ``None``."""
    if isinstance(obj, Mapping) and obj and all(isinstance(v, Mapping) for v in obj.values()):
        columns: list[str] = []
        for row in obj.values():
            columns.extend(str(c) for c in row if str(c) not in columns)
        return ["label", *columns], [[str(label), *(row.get(c) for c in columns)] for label, row in obj.items()]
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(v, Mapping) for v in obj):
        columns = []
        for row in obj:
            columns.extend(str(c) for c in row if str(c) not in columns)
        return columns, [[row.get(c) for c in columns] for row in obj]
    return None


def matrix_from(obj: Any) -> tuple[list[str], list[list[float]], str] | None:
    """A matrix detail (``{"names", "values"}`` or an object with ``.names``/``.values``), or ``None``."""
    if type(obj) is dict or isinstance(obj, Mapping):  # the exact type first: most details are plain dicts
        if "names" not in obj or "values" not in obj:
            return None
        data: Any = obj
    elif hasattr(obj, "names") and hasattr(obj, "values"):
        data = jsonable(obj)
    else:
        return None
    if not isinstance(data, Mapping) or "names" not in data or "values" not in data:
        return None
    names = [str(n) for n in jsonable(data["names"])]
    values = jsonable(data["values"])
    if not isinstance(values, list) or len(values) != len(names):
        return None
    rows: list[list[float]] = []
    for row in values:
        if not isinstance(row, list) or len(row) != len(names):
            return None
        try:
            rows.append([math.nan if v is None else float(v) for v in row])
        except (TypeError, ValueError):
            return None
    return names, rows, str(data.get("by", ""))


_Matrix = tuple[list[str], list[list[float]], str]


def _shown_details(report: RunReport) -> list[tuple[str, Any, _Matrix | None, tuple[tuple[str, ...], bytes] | None]]:
    """The details that the Markdown and HTML reports show, in order, as ``(title, value, matrix, matrix key)``:
    every similarity matrix, and the other details of every check in a run of at most ``DETAIL_LIMIT`` checks, else
    of the checks that failed or regressed (worked out once per report and shared: not to be edited)."""
    if report._details is None:
        every = len(report.run.checks) <= DETAIL_LIMIT
        shown_details = []
        for record, row in zip(report.run.checks, _rows(report)[1], strict=True):
            shown = every or row[-1] != "PASS"
            for name, value in record.details.items():
                matrix = matrix_from(value)
                if matrix is None and not shown:
                    continue
                title = f"{record.test_id or '<outside tests>'} · {record.check} · {name}"
                key = None if matrix is None else (tuple(matrix[0]), _bits(matrix[1]))
                shown_details.append((title, value, matrix, key))
        report._details = shown_details
    return report._details


def _bits(values: list[list[float]]) -> bytes:
    """The exact bits of a matrix's numbers: the same for two matrices shown alike (and different for 0.0 and
    -0.0, which are written differently); the key under which a matrix recorded by several checks is drawn, or
    tabled, only once."""
    flat = [v for row in values for v in row]
    return struct.pack(f"{len(flat)}d", *flat)


def _text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [[v if type(v) is str else _cell(v) for v in row] for row in rows]
    if any("\n" in text or "\r" in text for text in ("".join(r) for r in [list(headers), *cells])):
        # a line break inside a cell (a label read from data, say) would tear the table apart: shown escaped
        headers = [_one_line(h) for h in headers]
        cells = [[_one_line(c) for c in r] for r in cells]
    numeric = [
        all(isinstance(row[i], (int, float)) and not isinstance(row[i], bool) for row in rows if row[i] is not None)
        for i in range(len(headers))
    ]
    columns = zip(*cells, strict=True) if cells else [()] * len(headers)
    widths = [max(len(h), max(map(len, column), default=0)) for h, column in zip(headers, columns, strict=True)]
    # one format per table: numbers right-aligned, text left-aligned, two spaces between columns
    layout = "  ".join(("{:>%d}" if num else "{:<%d}") % w for num, w in zip(numeric, widths, strict=True))
    return [layout.format(*r).rstrip() for r in [headers, ["-" * w for w in widths], *cells]]


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


# --- terminal ----------------------------------------------------------------------------------------------------

SUMMARY_HEADERS = ["test", "check", "metric", "value", "interval", "threshold", "verdict"]


def summary_rows(report: RunReport) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the summary table (baseline and change columns when a baseline was compared); fresh
    lists, so a caller may edit them."""
    headers, rows = _rows(report)
    return list(headers), [list(row) for row in rows]


def _rows(report: RunReport) -> tuple[list[str], list[list[str]]]:
    """:func:`summary_rows` made once per report and shared, not copied: its callers only read them."""
    if report._rows is None:
        report._rows = _summary_rows(report)
    return report._rows


def _summary_rows(report: RunReport) -> tuple[list[str], list[list[str]]]:
    deltas = report.delta_for()
    with_baseline = report.comparison is not None and report.comparison.baseline.usable
    headers = list(SUMMARY_HEADERS)
    if with_baseline:
        headers[-1:-1] = ["baseline", "change"]
    rows = []
    for record, key in zip(report.run.checks, report.keys, strict=True):
        delta = deltas.get(key)
        row = [
            record.test_id or "<outside tests>",
            record.check,
            record.metric,
            _num(record.value),
            interval_text(record),
            threshold_text(record),
        ]
        if with_baseline:
            row += [_num(delta.baseline), f"{delta.change:+.4f}"] if delta else ["new", ""]
        row.append(verdict_text(record, delta))
        rows.append(row)
    return headers, rows


def summary_lines(report: RunReport, *, verbose: bool = False) -> list[tuple[str, dict[str, bool]]]:
    """Lines of the terminal summary, each with terminal markup (``{"red": True}``...)."""
    out: list[tuple[str, dict[str, bool]]] = []
    headers, rows = _rows(report)
    table = _text_table(headers, rows)
    out.append((table[0], {"bold": True}))
    out.append((table[1], {}))
    for line, row in zip(table[2:], rows, strict=True):
        verdict = row[-1]
        out.append((line, {"green": True} if verdict == "PASS" else {"red": True}))
    counts = report.counts()
    out.append(("", {}))
    out.append(
        (
            f"{counts['checks']} checks in {counts['tests']} tests: {counts['passed']} passed, "
            f"{counts['failed']} failed",
            {"bold": True, "red" if counts["failed"] else "green": True},
        )
    )
    out.extend(_baseline_lines(report.comparison))
    if verbose:
        out.extend(_detail_lines(report))
    for path in report.outputs:
        out.append((path, {}))
    for error in report.errors:
        out.append((error, {"red": True, "bold": True}))
    return out


def _baseline_lines(comparison: Comparison | None) -> list[tuple[str, dict[str, bool]]]:
    if comparison is None:
        return []
    base = comparison.baseline
    out: list[tuple[str, dict[str, bool]]] = []
    for problem in base.problems:
        out.append((f"baseline {base.path}: {problem}", {"yellow": True}))
    if not base.usable:
        out.append(("baseline not compared", {"yellow": True, "bold": True}))
        return out
    regressions = comparison.regressions
    out.append(
        (
            f"baseline {base.path} (tolerance {comparison.tolerance}): {comparison.counts_text(regressions)}",
            {"bold": True, "red" if regressions else "green": True},
        )
    )
    for delta in regressions:
        out.append((f"  REGRESSED {delta.describe()}", {"red": True}))
    shown = comparison.missing[:10]
    for key in shown:
        out.append((f"  missing from this run: {key}", {"yellow": True}))
    if len(comparison.missing) > len(shown):
        out.append((f"  ... and {len(comparison.missing) - len(shown)} more missing (see the JSON report)", {}))
    return out


def _detail_lines(report: RunReport) -> list[tuple[str, dict[str, bool]]]:
    out: list[tuple[str, dict[str, bool]]] = []
    for record in report.run.checks:
        blocks = _detail_blocks(record)
        if not blocks:
            continue
        out.append(("", {}))
        out.append((f"{record.test_id or '<outside tests>'} {record.check} {record.metric}", {"bold": True}))
        for title, lines in blocks:
            out.append((f"  {title}", {}))
            out.extend((f"    {line}", {}) for line in lines)
    return out


def _detail_blocks(record: CheckRecord) -> list[tuple[str, list[str]]]:
    blocks: list[tuple[str, list[str]]] = []
    scalars = []
    for name, value in record.details.items():
        table = table_from(value)
        matrix = matrix_from(value) if table is None else None
        if table is not None:
            blocks.append((f"{name}:", _text_table(*table)))
        elif matrix is not None:
            names, values, by = matrix
            title = f"{name} ({by}):" if by else f"{name}:"
            blocks.append((title, _text_table(["", *names], [[n, *row] for n, row in zip(names, values, strict=True)])))
        elif callable(getattr(value, "to_markdown", None)):
            blocks.append((f"{name}:", str(value.to_markdown()).splitlines()))
        elif isinstance(value, Mapping) and all(not isinstance(v, (Mapping, list, tuple)) for v in value.values()):
            scalars.append(f"{name}: " + ", ".join(f"{k}={_cell(v)}" for k, v in value.items()))
        else:
            scalars.append(f"{name}: {_cell(jsonable(value))}")
    if record.n is not None:
        scalars.insert(0, f"n: {record.n}")
    if record.level or record.scheme or record.mode:
        scalars.insert(0, ", ".join(f"{k}={v}" for k, v in _how(record)))
    if record.data:
        scalars.insert(0, f"data: {record.data}")
    if scalars and blocks:
        blocks.insert(0, ("details:", scalars))
    elif scalars:
        blocks.append(("details:", scalars))
    return blocks


def _how(record: CheckRecord) -> list[tuple[str, str]]:
    return [(k, v) for k, v in (("level", record.level), ("scheme", record.scheme), ("mode", record.mode)) if v]


# --- Markdown ----------------------------------------------------------------------------------------------------


def _md(value: Any) -> str:
    text = value if type(value) is str else _cell(value)
    if "|" in text or "\n" in text:
        return text.replace("|", "\\|").replace("\n", " ")
    return text


def _md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    out = ["| " + " | ".join(_md(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = [v if type(v) is str else _cell(v) for v in row]
        text = "".join(cells)
        if "|" in text or "\n" in text:  # escaped only in a row that needs it
            cells = [_md(v) for v in cells]
        out.append("| " + " | ".join(cells) + " |")
    return out


def render_markdown(report: RunReport) -> str:
    """The Markdown summary: counts, the check table, baseline regressions, similarity matrices, per-label tables
    (of every check when there are at most ``DETAIL_LIMIT`` checks, else of those that failed or regressed; the
    JSON report always has them all).

    Examples
    --------
    >>> run = RunRecord(checks=[CheckRecord(check="c", metric="f1", value=0.5, passed=True, test_id="t")])
    >>> print(render_markdown(RunReport.build(run)).splitlines()[0])
    ## pytest-homog: 1 check, 1 passed, 0 failed
    """
    return "".join(markdown_chunks(report))


_MD_VERDICT = {"PASS": "✅ PASS", "FAIL": "❌ FAIL"}


def markdown_chunks(report: RunReport) -> Iterator[str]:
    """The text of :func:`render_markdown` in pieces, each a whole number of lines."""
    counts = report.counts()
    plural = "" if counts["checks"] == 1 else "s"
    yield (
        f"## pytest-homog: {counts['checks']} check{plural}, {counts['passed']} passed, {counts['failed']} failed"
        + (f", {counts['regressions']} regressed" if counts["regressions"] else "")
        + "\n\n"
    )
    headers, rows = _rows(report)  # shared with the terminal summary: not to be edited
    yield "\n".join(_md_table(headers, [])) + "\n"
    for row in rows:  # every cell a string; escaped only in a row that needs it
        text = "".join(row[:-1])
        if "|" in text or "\n" in text:
            cells = " | ".join(_md(v) for v in row[:-1])
        else:
            cells = " | ".join(row[:-1])
        yield f"| {cells} | {_MD_VERDICT.get(row[-1]) or '⚠️ ' + row[-1]} |\n"
    lines: list[str] = []
    comparison = report.comparison
    if comparison is not None:
        base = comparison.baseline
        lines += ["", f"### Baseline `{base.path.name}` (tolerance {comparison.tolerance})", ""]
        lines += [f"- ⚠️ {p}" for p in base.problems]
        if base.usable:
            regressions = comparison.regressions
            lines.append(f"- {comparison.counts_text(regressions)}")
            lines += [f"- ❌ {_md(d.describe())}" for d in regressions]
            lines += [f"- missing from this run: `{k}`" for k in comparison.missing[:20]]
    matrices, tables = [], []
    written: dict[tuple[tuple[str, ...], bytes], list[str]] = {}  # a matrix recorded by several checks: one table
    # per-label tables of every check in a small run; in a large one only of the checks that need a look,
    # so the summary stays readable and under GitHub's 1 MiB limit for a job summary
    every = len(report.run.checks) <= DETAIL_LIMIT
    for title, value, matrix, table_key in _shown_details(report):
        if matrix is not None and table_key is not None:  # the key is there with every matrix
            names, values, by = matrix
            heading = f"{title} ({by})" if by else title
            matrices += ["", f"**{_md(heading)}**", ""]
            if table_key not in written:
                written[table_key] = _md_table(["", *names], [[n, *row] for n, row in zip(names, values, strict=True)])
            matrices += written[table_key]
            continue
        table = table_from(value)
        if table is not None:
            tables += ["", f"**{_md(title)}**", "", *_md_table(*table)]
        elif callable(getattr(value, "to_markdown", None)):
            tables += ["", f"**{_md(title)}**", "", str(value.to_markdown())]
    if matrices:
        lines += ["", "### Similarity matrices", *matrices]
    if tables:
        summary = "Per-label details" if every else "Per-label details of the checks that failed or regressed"
        lines += ["", f"<details><summary>{summary}</summary>", *tables, "", "</details>"]
    for line in lines:
        yield line + "\n"


# --- HTML --------------------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#1b1f23}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.9em}
th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:left;vertical-align:middle;white-space:nowrap}
td:nth-child(-n+3){white-space:normal;overflow-wrap:anywhere}th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.fail td.verdict{color:#cf222e;font-weight:bold}tr.pass td.verdict{color:#1a7f37;font-weight:bold}
tr.regressed td.verdict{color:#9a6700;font-weight:bold}
.meta{color:#57606a}.problem{color:#9a6700}.regression{color:#cf222e}
figure{display:inline-block;margin:1em 2em 1em 0}figcaption{font-size:.9em;margin-bottom:.4em}
svg text{font-family:inherit}
.errorbar .axis{stroke:#d0d7de;stroke-width:10}
.errorbar .threshold{stroke:#cf222e;stroke-width:20;stroke-dasharray:30,20}
.errorbar .baseline{fill:#8c959f}.errorbar .interval{stroke:#0969da;stroke-width:15;fill:none}
.errorbar .value{fill:#1a7f37}.errorbar .value.failed{fill:#cf222e}
"""


def _special(text: str) -> bool:
    """Whether ``text`` holds a character that HTML escapes (five substring tests beat one regex search)."""
    return "&" in text or "<" in text or ">" in text or '"' in text or "'" in text


def _e(value: Any) -> str:
    text = value if type(value) is str else str(value)
    return html.escape(text, quote=True) if _special(text) else text


# the error bar: 220 x 22 CSS pixels drawn in 10 user units per pixel, so that every coordinate is a whole number
# (formatted fast) and still places a point to a tenth of a pixel; its colours and strokes are in _CSS
_BAR_W, _BAR_H, _BAR_PAD, _BAR_UNIT = 220, 22, 8, 10
_BAR_LEFT = _BAR_PAD * _BAR_UNIT
_BAR_SPAN = (_BAR_W - 2 * _BAR_PAD) * _BAR_UNIT
_BAR_Y = _BAR_H * _BAR_UNIT // 2
_BAR_HEAD = (
    f'<svg class="errorbar" width="{_BAR_W}" height="{_BAR_H}" '
    f'viewBox="0 0 {_BAR_W * _BAR_UNIT} {_BAR_H * _BAR_UNIT}" role="img">'
    f'<line class="axis" x1="{_BAR_LEFT}" y1="{(_BAR_H - 3) * _BAR_UNIT}" x2="{_BAR_LEFT + _BAR_SPAN}" '
    f'y2="{(_BAR_H - 3) * _BAR_UNIT}"/>'
)
# the parts of the drawing, with every number that is the same in each bar written in already; %d is an x
_BAR_THRESHOLD = (
    f'<line class="threshold" x1="%d" y1="{_BAR_UNIT}" x2="%d" y2="{(_BAR_H - 1) * _BAR_UNIT}"/>'
)
_BAR_DIAMOND = 4 * _BAR_UNIT  # half the width of the baseline's diamond
_BAR_BASELINE = (  # x of the centre, of the right corner, of the centre, of the left corner
    f'<path class="baseline" d="M%d {_BAR_Y - _BAR_DIAMOND} L%d {_BAR_Y} L%d {_BAR_Y + _BAR_DIAMOND} L%d {_BAR_Y} Z"/>'
)
_BAR_INTERVAL = (  # x of the low end, of the high end, of the low end, of the high end
    f'<path class="interval" d="M%d {_BAR_Y} H%d M%d {_BAR_Y - 5 * _BAR_UNIT} V{_BAR_Y + 5 * _BAR_UNIT} '
    f'M%d {_BAR_Y - 5 * _BAR_UNIT} V{_BAR_Y + 5 * _BAR_UNIT}"/>'
)
_BAR_VALUE = f'<circle class="value" cx="%d" cy="{_BAR_Y}" r="{4 * _BAR_UNIT}"/></svg>'
_BAR_FAILED = f'<circle class="value failed" cx="%d" cy="{_BAR_Y}" r="{4 * _BAR_UNIT}"/></svg>'
_isfinite = math.isfinite


def _errorbar_svg(record: CheckRecord, delta: Delta | None) -> str:
    """The estimate as a point with its interval as an error bar, the threshold as a dashed red line, the
    baseline value (if any) as a grey diamond; the scale spans [0, 1] and every number drawn."""
    value, low, high, threshold = record.value, record.low, record.high, record.threshold
    stored = delta.baseline if delta is not None else None
    lo, hi = 0.0, 1.0  # the smallest and largest finite number drawn, as min(0.0, ...) and max(1.0, ...)
    for p in (value, low, high, threshold, stored):
        if p is not None and _isfinite(p):
            if p < lo:
                lo = p
            elif p > hi:
                hi = p
    scale = _BAR_SPAN / (hi - lo)
    shift = _BAR_LEFT + 0.5 - lo * scale  # x of v is int(shift + v * scale): rounded to the nearest unit
    svg = _BAR_HEAD  # the numbers are in the same table row
    if threshold is not None and _isfinite(threshold):
        tx = int(shift + threshold * scale)
        svg += _BAR_THRESHOLD % (tx, tx)
    if stored is not None and _isfinite(stored):
        bx = int(shift + stored * scale)
        svg += _BAR_BASELINE % (bx, bx + _BAR_DIAMOND, bx, bx - _BAR_DIAMOND)
    if low is not None and high is not None and _isfinite(low) and _isfinite(high):
        a, b = int(shift + low * scale), int(shift + high * scale)
        svg += _BAR_INTERVAL % (a, b, a, b)
    if _isfinite(value):
        return svg + (_BAR_VALUE if record.passed else _BAR_FAILED) % int(shift + value * scale)
    return svg + "</svg>"


def _colour(t: float) -> str:
    """White to dark blue for t in [0, 1]."""
    t = min(1.0, max(0.0, t))
    # 255 + (c - 255) * t for the channels (8, 69, 148) of the dark end
    return f"#{round(255 - 247 * t):02x}{round(255 - 186 * t):02x}{round(255 - 107 * t):02x}"


def _heatmap_svg(names: Sequence[str], values: Sequence[Sequence[float]]) -> str:
    finite = [v for row in values for v in row if math.isfinite(v)]
    vmin, vmax = min([0.0, *finite]), max([1.0, *finite])
    cell, label_w = 44, max(60, 7 * max((len(n) for n in names), default=1) + 10)
    top = label_w
    size = cell * len(names)
    width, height = label_w + size + 4, top + size + 4
    parts = [
        f'<svg class="heatmap" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-size="11">'
    ]
    escaped = [_e(name) for name in names]
    for i, name in enumerate(escaped):
        cy = top + i * cell + cell / 2 + 4
        cx = label_w + i * cell + cell / 2
        parts.append(f'<text x="{label_w - 6}" y="{cy}" text-anchor="end">{name}</text>')
        parts.append(f'<text x="{cx}" y="{top - 6}" transform="rotate(-45 {cx} {top - 6})">{name}</text>')
    # per column: the cell's left edge, the text's centre and the column's name, worked out once
    columns = [(label_w + j * cell, label_w + j * cell + cell / 2, f" / {name}: ") for j, name in enumerate(escaped)]
    span = vmax - vmin
    for i, row in enumerate(values):
        y0 = top + i * cell
        rect_y = f'" y="{y0}" width="{cell}" height="{cell}" fill="'
        text_y = f'" y="{y0 + cell / 2 + 4}" text-anchor="middle" fill="'
        row_name = escaped[i]
        for (x0, tx, column), v in zip(columns, row, strict=True):
            # numbers as _num and f"{v:.2f}" write them hold no character that HTML escapes
            if math.isfinite(v):
                t = (v - vmin) / span if span > 0 else 0.0
                fill, shown = _colour(t), f"{v:.2f}"
            else:
                t, fill, shown = 0.0, "#eeeeee", "-"
            parts.append(
                f'<rect x="{x0}{rect_y}{fill}" stroke="#ffffff"><title>{row_name}{column}{_num(v)}</title></rect>'
                f'<text x="{tx}{text_y}{"#ffffff" if t > 0.55 else "#1b1f23"}">{shown}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_num(v)}</td>'  # a formatted number needs no escaping
            if type(v) is float or type(v) is int
            else f"<td>{_e(_cell(v))}</td>"
            for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    cls_attr = f' class="{cls}"' if cls else ""
    return f"<table{cls_attr}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(report: RunReport) -> str:
    """One self-contained HTML page (inline CSS and SVG, no external assets, no script): the summary table with
    each estimate drawn as an error bar against its threshold, each similarity matrix as a heatmap, and the
    per-label tables (all of them when there are at most ``DETAIL_LIMIT`` checks, else of those that failed or
    regressed).

    Examples
    --------
    >>> run = RunRecord(checks=[CheckRecord(check="c", metric="f1", value=0.5, passed=True, test_id="t",
    ...                                     threshold=0.4, low=0.45, high=0.55, confidence=0.95)])
    >>> page = render_html(RunReport.build(run))
    >>> page.startswith("<!DOCTYPE html>"), '<table id="checks"' in page, "<svg" in page, "http" in page.split(
    ...     "<svg")[0]
    (True, True, True, False)
    """
    return "".join(html_chunks(report))


def html_chunks(report: RunReport) -> Iterator[str]:
    """The text of :func:`render_html` in pieces: the rows of the checks table are made as they are written."""
    counts = report.counts()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>pytest-homog report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>pytest-homog report</h1>",
        f'<p class="meta">pytest-homog {_e(report.run.plugin_version)} · {_e(_iso(report.created))} · '
        f"{counts['checks']} checks in {counts['tests']} tests: {counts['passed']} passed, "
        f"{counts['failed']} failed"
        + (f", {counts['regressions']} regressed" if counts["regressions"] else "")
        + "</p>",
    ]
    comparison = report.comparison
    if comparison is not None:
        base = comparison.baseline
        parts.append(f"<h2>Baseline {_e(base.path.name)} (tolerance {_e(comparison.tolerance)})</h2><ul>")
        parts += [f'<li class="problem">{_e(p)}</li>' for p in base.problems]
        if base.usable:
            regressions = comparison.regressions
            parts.append(f"<li>{comparison.counts_text(regressions)}</li>")
            parts += [f'<li class="regression">{_e(d.describe())}</li>' for d in regressions]
        parts.append("</ul>")
    headers, rows = _rows(report)
    head_cells = "".join(f"<th>{_e(h)}</th>" for h in [*headers, "estimate"])
    parts += [
        "<h2>Checks</h2>",
        '<p class="meta">estimate: point (green passed, red failed), interval as an error bar (blue), '
        "threshold as a dashed red line, baseline as a grey diamond</p>",
        f'<table id="checks"><thead><tr>{head_cells}</tr></thead><tbody>',
    ]
    yield "\n".join(parts)
    deltas = report.delta_for()
    thresholds: dict[str, str] = {}  # "low >= 0.4000" always needs escaping: once per distinct text
    for record, key, row in zip(report.run.checks, report.keys, rows, strict=True):
        # the cells are strings: test, check, metric, value, interval, threshold, [baseline, change,] verdict;
        # the other cells are escaped only in a row that needs it
        threshold = thresholds.get(row[5])
        if threshold is None:
            threshold = thresholds[row[5]] = _e(row[5])
        c = [_e(v) for v in row] if _special("".join(row[:5]) + "".join(row[6:])) else row
        extra = "<td>" + "</td><td>".join(c[6:-1]) + "</td>" if len(c) > 7 else ""
        yield (
            f'<tr class="{c[-1].lower()}"><td>{c[0]}</td><td>{c[1]}</td><td>{c[2]}</td><td class="num">{c[3]}</td>'
            f'<td>{c[4]}</td><td>{threshold}</td>{extra}<td class="verdict">{c[-1]}</td>'
            f'<td class="bar">{_errorbar_svg(record, deltas.get(key))}</td></tr>'
        )
    yield "</tbody></table>"
    heatmaps, tables = [], []
    drawn: dict[tuple[tuple[str, ...], bytes], str] = {}  # a matrix recorded by several checks is drawn once
    every = len(report.run.checks) <= DETAIL_LIMIT
    for title, value, matrix, drawing in _shown_details(report):
        if matrix is not None and drawing is not None:  # the key is there with every matrix
            names, values, by = matrix
            caption = f"{title} ({by})" if by else title
            svg = drawn.get(drawing)
            if svg is None:
                svg = drawn[drawing] = _heatmap_svg(names, values)
            heatmaps.append(f"<figure><figcaption>{_e(caption)}</figcaption>{svg}</figure>")
            continue
        table = table_from(value)
        if table is not None:
            tables.append(f"<h3>{_e(title)}</h3>{_html_table(*table)}")
    parts = []
    if heatmaps:
        parts += ["<h2>Similarity matrices</h2>", *heatmaps]
    if tables:
        heading = "Per-label details" if every else "Per-label details of the checks that failed or regressed"
        parts += [f"<h2>{heading}</h2>", *tables]
    parts.append("</body></html>\n")
    yield "\n" + "\n".join(parts)
