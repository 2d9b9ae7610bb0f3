"""Family-wise error control (pytest_homog/family.py) and the gates' p-values (metrics/bootstrap.py)."""

from __future__ import annotations

import contextlib
import math
import warnings
from statistics import NormalDist

import numpy as np
import pytest

from pytest_homog.family import Family, holm_rejections, interval_p_value, settle
from pytest_homog.metrics.bootstrap import percentile_interval, score
from pytest_homog.metrics.tail import tail_p_value
from pytest_homog.record import CheckRecord


def _holm_direct(p_values: list[float], alpha: float) -> list[bool]:
    """Holm's procedure as its adjusted p-values: max over earlier ranks of (m - rank) p, rejected at <= alpha."""
    m = len(p_values)
    order = np.argsort(p_values)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return [bool(a <= alpha) for a in adjusted]


@pytest.mark.parametrize("bca", [False, True])
def test_tail_p_value_agrees_with_the_interval_at_every_confidence(bca: bool) -> None:
    rng = np.random.default_rng(7)
    for _ in range(400):
        replicates = rng.gamma(2.0, 1.0, size=int(rng.integers(20, 400)))
        extra = {"value": float(np.median(replicates) + rng.normal(0, 0.3)), "jackknife": rng.gamma(2.0, 1.0, 30)}
        extra = extra if bca else {}
        confidence = float(rng.uniform(0.5, 0.999))
        threshold = float(rng.uniform(replicates.min() - 0.5, replicates.max() + 0.5))
        low, high = percentile_interval(replicates, confidence, **extra)
        level = (1 - confidence) / 2
        if abs(low - threshold) > 1e-9:
            assert (low >= threshold) == (tail_p_value(replicates, threshold, bound="low", **extra) <= level)
        if abs(high - threshold) > 1e-9:
            assert (high <= threshold) == (tail_p_value(replicates, threshold, bound="high", **extra) <= level)


def test_percentile_tail_p_value_is_the_share_of_replicates_beyond() -> None:
    replicates = np.random.default_rng(0).normal(size=2001)
    threshold = 0.3
    assert tail_p_value(replicates, threshold) == pytest.approx(np.mean(replicates < threshold), abs=1e-3)
    assert tail_p_value(replicates, threshold, bound="high") == pytest.approx(np.mean(replicates > threshold), abs=1e-3)
    assert math.isnan(tail_p_value(np.array([np.nan]), 0.0))


def test_estimates_keep_replicates_for_their_gates() -> None:
    gold = [["B-PER", "O"], ["B-LOC", "O"], ["O", "B-ORG"]] * 20
    pred = [["B-PER", "O"], ["O", "O"], ["O", "B-ORG"]] * 20
    estimate = score(gold, pred, n_resamples=500)
    assert estimate.replicates is not None and estimate.replicates.shape == (500,)
    # the gate low >= t holds at 95% exactly when the p-value is at most 2.5%
    for threshold in np.linspace(0.6, 0.9, 31):
        if abs(estimate.low - threshold) > 1e-9:
            assert (estimate.low >= threshold) == (estimate.tail_p_value(threshold) <= 0.025)
    assert estimate == score(gold, pred, n_resamples=500)  # replicates are not compared


@pytest.mark.parametrize("seed", range(5))
def test_holm_matches_its_adjusted_p_values(seed: int) -> None:
    p_values = list(np.random.default_rng(seed).uniform(0, 0.08, size=12))
    assert holm_rejections(p_values, 0.05) == _holm_direct(p_values, 0.05)


def test_holm_over_a_larger_family_is_bonferroni_at_its_first_step() -> None:
    assert holm_rejections([0.004, 0.02], 0.05, size=10) == [True, False]
    assert holm_rejections([0.004, float("nan")], 0.05) == [True, False]


def test_family_confidence_is_never_looser_than_asked() -> None:
    assert Family("bonferroni", 0.05, 50).confidence(0.95) == pytest.approx(0.998)
    assert Family("holm", 0.05, 1).confidence(0.95) == 0.95  # alone, alpha 0.05 would be a 90% interval
    assert Family("none", 0.05, 50).confidence(0.95) == 0.95
    assert Family("holm", 0.05, 10).pending(0.02, False, 0.95)
    assert not Family("bonferroni", 0.05, 10).pending(0.02, False, 0.95)
    assert not Family("holm", 0.05, 10).pending(0.03, False, 0.95)  # looser than the 2.5% asked
    assert Family("holm", 0.05, 10).pending(0.03, False, 0.9)


def test_interval_p_value_is_at_the_level_exactly_when_the_bound_touches() -> None:
    z = NormalDist().inv_cdf(0.975)
    assert interval_p_value(0.3, 0.3 + z * 0.05, 0.3 + z * 0.05, 0.95) == pytest.approx(0.025)
    assert interval_p_value(0.3, 0.4, 0.45, 0.95) < 0.025 < interval_p_value(0.3, 0.4, 0.35, 0.95)
    assert interval_p_value(0.7, 0.6, 0.5, 0.95) < 0.025  # a lower bound


def _gate(p_value: float, passed: bool, *, test_id: str, gate: int, pending: bool = False, shows: str = "pass"):
    details = {"gate_p_value": p_value, "family_gate": gate, "interval_shows": shows, "requested_confidence": 0.95}
    if pending:
        details["verdict"] = "pending: holm decides at the end of the session"
    return CheckRecord(check="assert_f1_above", metric="f1", value=0.5, passed=passed, threshold=0.4,
                       compared="low", low=0.45, high=0.55, confidence=1 - 0.1 / 3, test_id=test_id,
                       details=details)  # fmt: skip


def test_settle_lets_holm_decide_the_pending_gates() -> None:
    records = [
        _gate(0.001, True, test_id="t::a", gate=0),
        _gate(0.02, True, test_id="t::b", gate=1, pending=True),  # Holm: 0.02 <= 0.05 / 1 after a is rejected
        _gate(0.024, True, test_id="t::c", gate=2, pending=True, shows="failure"),
    ]
    report = settle(records, Family("holm", 0.05, 3, "collection"))
    # ranks: 0.001 <= 0.05/3, 0.02 <= 0.05/2, 0.024 <= 0.05/1 (and each within the 2.5% asked): all proven
    assert [r.passed for r in records] == [True, True, False]
    assert records[1].details["verdict"] == "holm at the end of the session: pass"
    assert report.bound == 0.05 and report.gates == 3
    assert len(report.failures) == 1 and "t::c" in report.failures[0]


def test_settle_fails_a_family_too_small_for_its_gates() -> None:
    records = [_gate(0.001, True, test_id=f"t::{i}", gate=i) for i in range(3)]
    report = settle(records, Family("bonferroni", 0.05, 2, "collection"))
    assert report.bound == pytest.approx(0.075)  # each gate at 0.05 / 2: the union bound over three
    assert "3 interval gates ran but the family was sized for 2" in report.failures[0]


def test_settle_measures_each_gate_margin_and_the_chance_of_a_flip() -> None:
    z = NormalDist().inv_cdf(0.995)
    # the bound sits one standard error (0.05 / z per unit of the half-width) above the threshold
    record = CheckRecord(check="c", metric="f1", value=0.5, passed=True, threshold=0.45 - 0.05 / z,
                         compared="low", low=0.45, high=0.55, confidence=0.99)  # fmt: skip
    report = settle([record], Family())
    assert record.details["margin_se"] == pytest.approx(1.0)
    assert report.flip_probability == pytest.approx(NormalDist().cdf(-1 / math.sqrt(2)))
    assert report.bound == 0.0  # no gate of the family: nothing recorded a p-value


GOLD = [["B-PER", "O"], ["B-LOC", "O"], ["O", "B-ORG"], ["B-PER", "I-PER"], ["O", "O"]] * 24
A = [["B-PER", "O"], ["O", "O"], ["O", "B-ORG"], ["B-PER", "I-PER"], ["O", "O"]] * 24
B = [["B-PER", "O"], ["B-LOC", "O"], ["O", "O"], ["B-PER", "O"], ["O", "O"]] * 12 + GOLD[:60]


def test_every_interval_gate_records_a_p_value_that_agrees_with_its_verdict() -> None:
    from pytest_homog import assert_models_diverge, assert_no_regression, assert_not_homogeneous
    from pytest_homog.record import RunRecord, set_active_run

    run = RunRecord()
    set_active_run(run)
    try:
        for gap in (0.02, 0.05, 0.1, 0.15, 0.2, 0.3):
            for by in ("f1", "disagreement", "error_consistency"):
                with contextlib.suppress(AssertionError):
                    assert_models_diverge(A, B, GOLD, min_gap=gap, by=by)
            for bound in (0.3, 0.6, 0.9):
                with contextlib.suppress(AssertionError):
                    assert_not_homogeneous({"a": A, "b": B}, GOLD, max_shared_failure=bound)
            for candidate, baseline in ((A, B), (B, A), (B[:60] + [["O", "O"]] * 60, B)):
                with contextlib.suppress(AssertionError), warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # passes that show no absence of a regression
                    assert_no_regression(candidate, baseline, GOLD, tolerance=gap)
    finally:
        set_active_run(None)
    verdicts = {(r.passed, r.details["interval_shows"]) for r in run.checks}
    assert {(True, "pass"), (False, "pass"), (True, "failure"), (False, "failure")} <= verdicts
    for record in run.checks:
        proven = record.details["gate_p_value"] <= 0.025
        assert record.passed == (proven if record.details["interval_shows"] == "pass" else not proven), record


def test_a_family_makes_every_gate_stricter_in_checks() -> None:
    from pytest_homog import assert_f1_above, assert_models_diverge, assert_no_regression
    from pytest_homog.run_context import RunContext

    context = RunContext(0, Family("bonferroni", 0.05, 10, "--homog-family-size"))  # as under --homog-family
    try:
        record = assert_models_diverge(A, B, GOLD, min_gap=0.01, by="disagreement")
        assert_no_regression(A, A, GOLD)
        with pytest.raises(AssertionError) as failed:
            assert_f1_above(A, GOLD, 0.85, confidence=0.95)
    finally:
        context.pytest_unconfigure(None)  # type: ignore[arg-type]
    assert record.confidence == pytest.approx(0.99)
    assert record.details["requested_confidence"] == 0.95 and record.details["family"] == "bonferroni"
    assert record.details["n_resamples"] == 4000  # 20 replicates beyond a one-sided level of 0.005
    assert "99% CI" in str(failed.value)
    assert (
        "confidence 99%, not the 95% asked for: --homog-family=bonferroni spends alpha 0.05 over 10 interval gates"
    ) in str(failed.value)
    assert assert_models_diverge(A, B, GOLD, min_gap=0.01, by="disagreement").confidence == 0.95
