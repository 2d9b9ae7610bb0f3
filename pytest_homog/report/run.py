"""The report of a run: its records, the key of each, and the baseline comparison, ready to be written."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pytest_homog.config import Tolerance
from pytest_homog.record import RunRecord
from pytest_homog.report.baseline import Baseline, Comparison, Delta, assign_keys, compare_to_baseline

__all__ = ["RunReport", "iso_time"]


@dataclass
class RunReport:
    """A finished run ready to be written: records, their keys and the baseline comparison, if any.

    ``outputs`` and ``errors`` collect what writing the report files did, for the terminal summary.
    """

    run: RunRecord
    comparison: Comparison | None = None
    keys: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    outputs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
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
        """Summary counts: checks, passed, failed, tests, regressions."""
        checks = self.run.checks
        passed = sum(1 for c in checks if c.passed)
        return {
            "checks": len(checks),
            "passed": passed,
            "failed": len(checks) - passed,
            "tests": len({c.test_id for c in checks}),
            "regressions": len(self.comparison.regressions) if self.comparison else 0,
        }


def iso_time(seconds: float) -> str:
    """Seconds since the epoch as ISO 8601 in UTC; empty for 0 (unknown)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds)) if seconds else ""
