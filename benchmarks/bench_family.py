"""Benchmark family-wise error control (``--homog-family``) by simulating a suite of 50 release gates.

Each gate is an ``assert_no_regression(candidate, baseline, data)`` on its own test set: the baseline is right on
each example with probability 0.85; the candidate (a retrained model) answers afresh on every example, right with
probability 0.85 when nothing changed, ``0.85 - drop`` when it regressed. Two test-set sizes:

- 2,000 examples (about 510 on which the two models differ): the bootstrap's tail is calibrated there;
- 300 examples with the candidate answering afresh on half of them (about 38 differ): the paired bootstrap of a
  difference of right/wrong outcomes reads its variance at the observed difference, which shrinks it in the tail,
  so each gate's own interval rejects "no change" more often than its level says, the more so the stricter the
  level. No family can repair a gate's own p-value; more data does.

Every gate's p-value is what the gate records: the project's ``tail_p_value`` of the BCa paired bootstrap. Its
replicates are drawn as the gate draws them, in law: resampling examples with replacement draws the numbers of
examples the candidate wins, loses and ties on from a multinomial with the observed shares, which is how they are
drawn here (the jackknife is exact). ``none`` draws the gates' 1,000 resamples and fails a gate at p <= 0.025 (its
95% interval); ``bonferroni`` and ``holm`` draw what ``Family.resamples`` gives (20,000 for 50 gates at alpha
0.05) and fail a gate at p <= alpha / 50, or by Holm's step-down over the session's 50 p-values
(``holm_rejections``), never looser than the 0.025 each gate asked for. The row ``bonferroni, 1,000 resamples``
shows why the resamples grow.

Suites: 50 unchanged gates (the session's false-failure rate: target <= alpha under control, on 2,000 examples),
and 45 unchanged plus 5 regressed by 0.04 (false failures among the 45, and the share of the 5 regressions
caught: the power each method keeps).

Run: ``python benchmarks/bench_family.py [sessions]`` (default 300 sessions per suite, about ten minutes on a busy
2-core machine; the Monte Carlo standard error of a rate near 0.05 is 0.013). Exits non-zero when a controlled
session's false-failure rate on 2,000 examples exceeds alpha by more than two standard errors.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_homog.family import Family, holm_rejections  # noqa: E402
from pytest_homog.metrics.tail import tail_p_value  # noqa: E402

GATES = 50
RESAMPLES = 1000
ALPHA = 0.05
ASKED = 0.025  # each gate's one-sided level: its 95% interval
ACCURACY, DROP = 0.85, 0.04
#: method, and the resamples its gates draw
METHODS = (
    ("none", RESAMPLES),
    ("bonferroni, 1,000 resamples", RESAMPLES),
    ("bonferroni", Family("bonferroni", ALPHA, GATES).resamples(RESAMPLES)),
    ("holm", Family("holm", ALPHA, GATES).resamples(RESAMPLES)),
)
#: suite: test-set size, share of examples the candidate answers afresh, regressed gates
SUITES = {
    "2,000 examples, 50 unchanged": (2000, 1.0, 0),
    "2,000 examples, 45 unchanged + 5 regressed by 0.04": (2000, 1.0, 5),
    "300 examples, half answered afresh, 50 unchanged": (300, 0.5, 0),
}


def session_p_values(rng: np.random.Generator, examples: int, shares: np.ndarray, resamples: list[int]) -> np.ndarray:
    """One session: draw each gate's wins, losses and ties (``shares``: one row per gate), then each gate's recorded
    p-value at each resample count: ``(gates, len(resamples))``."""
    wins, losses, ties = rng.multinomial(examples, shares).T
    values = (wins - losses) / examples
    out = np.empty((len(wins), len(resamples)))
    for column, count in enumerate(resamples):
        # resampling examples with replacement draws wins, then losses among the rest, binomially
        drawn_wins = rng.binomial(examples, wins / examples, size=(count, len(wins)))
        rest = np.maximum(examples - wins, 1) / examples
        drawn_losses = rng.binomial(examples - drawn_wins, np.minimum(losses / examples / rest, 1.0))
        replicates = (drawn_wins - drawn_losses) / examples
        for gate, (win, loss, tie) in enumerate(zip(wins, losses, ties, strict=True)):
            jackknife = np.repeat(
                np.array([win - loss - 1, win - loss + 1, win - loss]) / (examples - 1), [win, loss, tie]
            )
            out[gate, column] = tail_p_value(
                replicates[:, gate], 0.0, bound="high", value=float(values[gate]), jackknife=jackknife
            )
    return out


def failures(p: np.ndarray, method: str) -> np.ndarray:
    """Which gates of one session (its p-values) fail under ``method``."""
    if method == "none":
        return p <= ASKED
    if method.startswith("bonferroni"):
        return p <= min(ALPHA / GATES, ASKED)
    return np.array(holm_rejections(list(p), ALPHA, GATES)) & (p <= ASKED)


def simulate(rng: np.random.Generator, sessions: int, examples: int, afresh: float, regressed: int) -> dict:
    """Per method: the session false-failure rate, the per-gate false-failure rate, the share of regressions
    caught."""
    counts = sorted({r for _, r in METHODS})
    shares = []
    for drop in [DROP] * regressed + [0.0] * (GATES - regressed):
        right = ACCURACY - drop
        wins, losses = afresh * (1 - ACCURACY) * right, afresh * ACCURACY * (1 - right)
        shares.append(np.array([wins, losses, 1.0 - wins - losses]))
    totals = {method: np.zeros(3) for method, _ in METHODS}
    for _ in range(sessions):
        p = session_p_values(rng, examples, np.array(shares), counts)
        for method, resamples in METHODS:
            failed = failures(p[:, counts.index(resamples)], method)
            totals[method] += [failed[regressed:].any(), failed[regressed:].mean(), failed[:regressed].sum()]
    return {m: t / [sessions, sessions, max(regressed * sessions, 1)] for m, t in totals.items()}


def main() -> int:
    sessions = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rng = np.random.default_rng(2024)
    se = math.sqrt(ALPHA * (1 - ALPHA) / sessions)
    print(
        f"{GATES} assert_no_regression gates per session, BCa paired bootstrap; alpha {ALPHA}; {sessions} sessions "
        f"per suite (Monte Carlo SE near alpha {se:.4f})"
    )
    print("| suite | method | resamples | session false-failure rate | per-gate rate | regressions caught |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    results = {}
    for suite, (examples, afresh, regressed) in SUITES.items():
        started = time.perf_counter()
        results[suite] = simulate(rng, sessions, examples, afresh, regressed)
        for method, resamples in METHODS:
            rate, per_gate, power = results[suite][method]
            caught = f"{power:.3f}" if regressed else "-"
            print(f"| {suite} | {method} | {resamples} | {rate:.3f} | {per_gate:.4f} | {caught} |")
        print(f"({suite}: {time.perf_counter() - started:.0f} s)")
    failed = False
    unchanged = results["2,000 examples, 50 unchanged"]
    for method in ("bonferroni", "holm"):
        rate = unchanged[method][0]
        failed |= rate > ALPHA + 2 * se
        print(f"RATIO session false-failure rate, {method} / alpha: {rate / ALPHA:.2f} (bound <= 1 + 2 SE/alpha)")
    mixed = results["2,000 examples, 45 unchanged + 5 regressed by 0.04"]
    for method in ("bonferroni", "holm"):
        lost = mixed["none"][2] - mixed[method][2]
        print(f"POWER at a drop of {DROP}: none catches {mixed['none'][2]:.3f}, {method} {mixed[method][2]:.3f} "
              f"(lost {lost:.3f})")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
