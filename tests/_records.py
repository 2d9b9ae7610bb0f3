"""A check record for report tests: only what a test names differs from a passed f1 check of 0.5."""

from __future__ import annotations

from pytest_homog.record import CheckRecord


def make_record(value: float = 0.5, metric: str = "f1", **fields: object) -> CheckRecord:
    return CheckRecord(check=str(fields.pop("check", "c")), metric=metric, value=value, passed=True, **fields)  # type: ignore[arg-type]
