"""Benchmark the coverage of the 95% intervals of ``score`` and ``compare`` by simulation.

The population is every sentence of WNUT 2017 (train, dev and test: 5,690 sentences) with two simulated taggers
whose errors cluster by sentence, as real taggers' do: each sentence has a difficulty shared by both taggers;
each gold entity is found with a probability that falls with it, and spurious entities appear at a rate that
grows with it. The true values are the population's entity F1 of tagger a and the difference a - b. Each draw
takes n sentences at random (with replacement, i.e. from the population's distribution of sentences) and asks
whether the interval holds the true value. Target: 93-97% at 95% for n = 40, 300 and 1,287 sentences.

The intervals are BCa (the default of ``score`` and ``compare``). Baselines, on the same draws and resamples:
the percentile interval (``interval="percentile"``, the previous default, which under-covers at small n), and
the normal interval of the delta method (F1 as a ratio of per-sentence sums, linearised:
``z_s = 2 tp_s - F1 (pred_s + gold_s)``, standard error ``sd(z) / (mean(pred + gold) sqrt(n))``), the usual
analytic interval for a ratio estimator over clustered units.

The gates, on the same population and sample sizes, with their defaults (95% intervals, 1,000 resamples):

- ``assert_models_diverge(a, b, by="f1", min_gap=g)`` for a strong and a weak simulated tagger, under its null:
  ``g`` is the population's own gap ``|F1(a) - F1(b)|``, so a pass claims more gap than there is (the boundary
  of the null, where a false pass is most likely). Power: the pass rate at ``min_gap=0.01``.
- ``assert_not_homogeneous({a, b}, max_shared_failure=m)``, with ``b`` a tagger that copies ``a`` on 70% of the
  sentences (shared failure about 0.5) under its null: ``m`` is the population's own shared failure, so a pass
  claims less shared failure than there is. Power: the pass rate at the default bound (0.5) of a pair whose
  ``b`` copies ``a`` on 40% of the sentences (shared failure about 0.1).

Target: false passes at most 5% (the gates compare one end of a two-sided 95% interval, so about 2.5%).

Run: ``python benchmarks/bench_coverage.py [draws] [gate_draws]`` (default 1,000 draws per n for coverage and
400 for the gates, a few minutes on 2 cores; the Monte Carlo standard error of a coverage near 95% is 0.7 points
at 1,000 draws, of a rate near 5% 1.1 points at 400). Exits non-zero if a bootstrap coverage is outside 93-97%,
or a false-pass rate above 5%, by more than two standard errors.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _wnut import WNUT, read_conll  # noqa: E402

from pytest_homog.checks.divergence import assert_models_diverge  # noqa: E402
from pytest_homog.checks.homogeneity import DEFAULT_MAX_SHARED_FAILURE, assert_not_homogeneous  # noqa: E402
from pytest_homog.metrics.bootstrap import compare, score  # noqa: E402
from pytest_homog.metrics.counts import unit_counts  # noqa: E402
from pytest_homog.metrics.homogenization import shared_failure  # noqa: E402
from pytest_homog.metrics.tags import extract_entities  # noqa: E402

SIZES = (40, 300, 1287)
KINDS = ("bca", "percentile")  # the default interval, then the baseline
TARGET = (0.93, 0.97)
MAX_FALSE_PASS = 0.05
POWER_GAP = 0.01  # the min_gap at which the divergence gate's power is stated
NEAR_SHARE, FAR_SHARE = 0.7, 0.4  # how often the second tagger copies the first: shared failure near 0.5 and 0.1
Z = 1.959963984540054  # standard normal 97.5% quantile


def tagger(
    gold: list[list[str]], difficulty: np.ndarray, skill: float, rng: np.random.Generator
) -> list[list[str]]:
    """Predictions of ``gold``: entities kept with probability ``skill * (1 - difficulty)``, the rest dropped,
    and a spurious one-token entity on an ``O`` token with probability ``difficulty / 2`` per sentence."""
    out = []
    for tags, hard in zip(gold, difficulty.tolist(), strict=True):
        pred = ["O"] * len(tags)
        for _, start, end in extract_entities(tags):
            if rng.random() < skill * (1.0 - hard):
                pred[start:end] = tags[start:end]
        empty = [i for i, tag in enumerate(pred) if tag == "O" and tags[i] == "O"]
        if empty and rng.random() < hard / 2:
            pred[int(rng.choice(empty))] = "B-" + str(rng.choice(["person", "location", "product"]))
        out.append(pred)
    return out


def per_sentence(gold: list[list[str]], pred: list[list[str]]) -> np.ndarray:
    """True positives, predictions and gold entities of every sentence: ``(n, 3)``."""
    return unit_counts(gold, pred).per_unit(by_label=False)


def f1_of(counts: np.ndarray) -> float:
    tp, pred, gold = counts.sum(axis=0)
    return 2.0 * tp / (pred + gold)


def linearised(counts: np.ndarray) -> np.ndarray:
    """Per-sentence influence of micro F1 (delta method), scaled so that its mean's sd is F1's sd."""
    f1 = f1_of(counts)
    return (2.0 * counts[:, 0] - f1 * (counts[:, 1] + counts[:, 2])) / (counts[:, 1] + counts[:, 2]).mean()


def delta_interval(value: float, z: np.ndarray) -> tuple[float, float]:
    half = Z * z.std(ddof=1) / math.sqrt(z.size)
    return value - half, value + half


def passes(gate: object, *args: object, **kwargs: object) -> bool:
    try:
        gate(*args, **kwargs)  # type: ignore[operator]
    except AssertionError:
        return False
    return True


def copying(a: list[list[str]], b: list[list[str]], share: float, rng: np.random.Generator) -> list[list[str]]:
    """A tagger that copies ``a`` on a ``share`` of the sentences and predicts as ``b`` on the rest: the larger the
    share, the more its failures nest in ``a``'s."""
    return [x if rng.random() < share else y for x, y in zip(a, b, strict=True)]


def gate_rates(gold: list[list[str]], draws: int) -> bool:
    """Print the false-pass rate and the power of the divergence and homogeneity gates; True if a false-pass
    rate is above :data:`MAX_FALSE_PASS` by more than two Monte Carlo standard errors."""
    rng = np.random.default_rng(2025)
    difficulty = rng.beta(2.0, 2.0, size=len(gold))
    strong, weak = tagger(gold, difficulty, 0.9, rng), tagger(gold, difficulty, 0.75, rng)
    near, far = copying(strong, weak, NEAR_SHARE, rng), copying(strong, weak, FAR_SHARE, rng)
    gap = abs(f1_of(per_sentence(gold, strong)) - f1_of(per_sentence(gold, weak)))
    near_shared = float(shared_failure(gold, {"a": strong, "b": near}, unit="span"))
    far_shared = float(shared_failure(gold, {"a": strong, "b": far}, unit="span"))
    print(
        f"\ngates (population values): |F1 gap| {gap:.4f}; shared failure (span units) {near_shared:.4f} for a "
        f"tagger copying another on {NEAR_SHARE:.0%} of sentences, {far_shared:.4f} on {FAR_SHARE:.0%}; "
        f"{draws} draws per n"
    )
    print(
        f"| n | diverge false pass (min_gap = gap) | diverge power (min_gap {POWER_GAP}) | not_homogeneous false "
        f"pass (bound = {near_shared:.4f}) | not_homogeneous power (shared {far_shared:.4f}, default bound "
        f"{DEFAULT_MAX_SHARED_FAILURE}) | time |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    failed = False
    se = math.sqrt(MAX_FALSE_PASS * (1 - MAX_FALSE_PASS) / draws)
    for n in SIZES:
        started = time.perf_counter()
        rates = np.zeros(4)
        for draw in range(draws):
            idx = rng.integers(0, len(gold), size=n).tolist()
            g, a, b = [gold[i] for i in idx], [strong[i] for i in idx], [weak[i] for i in idx]
            rates += [
                passes(assert_models_diverge, a, b, g, min_gap=gap, seed=draw),
                passes(assert_models_diverge, a, b, g, min_gap=POWER_GAP, seed=draw),
                passes(assert_not_homogeneous, {"a": a, "b": [near[i] for i in idx]}, g, max_shared_failure=near_shared,
                       seed=draw),
                passes(assert_not_homogeneous, {"a": a, "b": [far[i] for i in idx]}, g, seed=draw),
            ]
        rates /= draws
        cells = " | ".join(f"{r * 100:.1f}%" for r in rates)
        print(f"| {n} | {cells} | {time.perf_counter() - started:.0f} s |")
        failed |= max(rates[0], rates[2]) > MAX_FALSE_PASS + 2 * se
    print(f"FALSE PASS target <= {MAX_FALSE_PASS:.0%} (both gates): {'missed' if failed else 'met'}")
    return failed


def main() -> int:
    draws = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    gate_draws = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    gold = [tags for part in ("train", "dev", "test") for tags in read_conll(WNUT / f"{part}.conll")[1]]
    rng = np.random.default_rng(2017)
    difficulty = rng.beta(2.0, 2.0, size=len(gold))
    pred_a = tagger(gold, difficulty, 0.9, rng)
    pred_b = tagger(gold, difficulty, 0.8, rng)
    counts_a, counts_b = per_sentence(gold, pred_a), per_sentence(gold, pred_b)
    true_f1 = f1_of(counts_a)
    true_diff = true_f1 - f1_of(counts_b)
    print(
        f"population: {len(gold)} WNUT 2017 sentences; entity F1 a {true_f1:.4f}, b {f1_of(counts_b):.4f}, "
        f"a - b {true_diff:.4f}; {draws} draws per n, 1000 resamples per interval"
    )
    warnings.simplefilter("ignore")
    failed = False
    se = math.sqrt(0.95 * 0.05 / draws)
    print(
        "| n | score BCa | score percentile | score delta method | compare BCa | compare percentile "
        "| compare delta method | Monte Carlo SE | time |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in SIZES:
        started = time.perf_counter()
        hits = np.zeros(6)
        for draw in range(draws):
            idx = rng.integers(0, len(gold), size=n).tolist()
            g, a, b = [gold[i] for i in idx], [pred_a[i] for i in idx], [pred_b[i] for i in idx]
            sample_a, sample_b = counts_a[idx], counts_b[idx]
            wald = delta_interval(f1_of(sample_a), linearised(sample_a))
            wald_diff = delta_interval(
                f1_of(sample_a) - f1_of(sample_b), linearised(sample_a) - linearised(sample_b)
            )
            intervals = [
                *((est.low, est.high, true_f1) for est in (score(g, a, seed=draw, interval=kind) for kind in KINDS)),
                (*wald, true_f1),
                *(
                    (diff.low, diff.high, true_diff)
                    for diff in (compare(g, a, b, seed=draw, interval=kind) for kind in KINDS)
                ),
                (*wald_diff, true_diff),
            ]
            hits += [low <= truth <= high for low, high, truth in intervals]
        coverage = hits / draws
        cells = " | ".join(f"{c * 100:.1f}%" for c in coverage)
        print(f"| {n} | {cells} | {se * 100:.1f} pts | {time.perf_counter() - started:.0f} s |")
        for value in (coverage[0], coverage[3]):
            failed |= value < TARGET[0] - 2 * se or value > TARGET[1] + 2 * se
    print(f"COVERAGE target {TARGET[0]:.0%}-{TARGET[1]:.0%} (score and compare BCa): {'missed' if failed else 'met'}")
    failed |= gate_rates(gold, gate_draws)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
