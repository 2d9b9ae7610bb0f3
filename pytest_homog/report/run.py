"""The report of a run: its records, the key of each, and the baseline comparison, ready to be written."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pytest_homog.config import Tolerance
from pytest_homog.family import FamilyReport
from pytest_homog.record import RunRecord
from pytest_homog.report.baseline import Baseline, Comparison, Delta, assign_keys, compare_to_baseline

__all__ = ["RunReport", "iso_time"]


@dataclass
class RunReport:
    """A finished run ready to be written: records, their keys and the baseline comparison, if any.

    ``outputs`` and ``errors`` collect what writing the report files did, for the terminal summary; ``failures``
    says why the run fails although its tests may pass (the gate could not do its work).
    """

    run: RunRecord
    comparison: Comparison | None = None
    keys: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    outputs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    #: the session's family of interval gates and its flakiness
    family: FamilyReport | None = None
    #: the comparison's deltas by key
    deltas: dict[str, Delta] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.deltas = {d.key: d for d in self.comparison.deltas} if self.comparison else {}

    @classmethod
    def build(cls, run: RunRecord, baseline: Baseline | None = None, tolerance: Tolerance | None = None) -> RunReport:
        """Key the records and compare them with ``baseline`` when given (``tolerance`` defaults to 0.01)."""
        keys = assign_keys(run.checks)
        comparison = None
        if baseline is not None:
            comparison = compare_to_baseline(run.checks, keys, baseline, tolerance or Tolerance(0.01))
        return cls(run=run, comparison=comparison, keys=keys)

    def counts(self) -> dict[str, int]:
        """Summary counts: checks; passed and failed (a check that regressed from the baseline failed, as its test
        did); tests; failed_tests (the tests of the failed checks); regressions."""
        regressed = {delta.key for delta in self.comparison.regressions} if self.comparison else set()
        checks = self.run.checks
        failed = [c for c, key in zip(checks, self.keys, strict=True) if not c.passed or key in regressed]
        return {
            "checks": len(checks),
            "passed": len(checks) - len(failed),
            "failed": len(failed),
            "tests": len({c.test_id for c in checks}),
            "failed_tests": len({c.test_id for c in failed if c.test_id}),
            "regressions": len(regressed),
        }

    def counts_text(self) -> str:
        """The counts as the summaries write them.

        Examples
        --------
        >>> from pytest_homog.record import CheckRecord
        >>> checks = [CheckRecord(check="c", metric="f1", value=v, passed=v > 0.4, test_id=t)
        ...           for v, t in [(0.5, "t1"), (0.3, "t2"), (0.2, "t2")]]
        >>> RunReport.build(RunRecord(checks=checks)).counts_text()
        '3 checks in 2 tests: 1 passed, 2 failed in 1 test'
        """
        counts = self.counts()
        text = (
            f"{_count(counts['checks'], 'check')} in {_count(counts['tests'], 'test')}: "
            f"{counts['passed']} passed, {counts['failed']} failed"
        )
        if counts["regressions"]:
            text += f" ({counts['regressions']} regressed from the baseline)"
        if counts["failed_tests"]:
            text += f" in {_count(counts['failed_tests'], 'test')}"
        return text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def iso_time(seconds: float) -> str:
    """Seconds since the epoch as ISO 8601 in UTC; empty for 0 (unknown)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds)) if seconds else ""
