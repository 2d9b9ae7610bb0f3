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

Run: ``python benchmarks/bench_coverage.py [draws]`` (default 1,000 draws per n, a minute or two on 2 cores; the
Monte Carlo standard error of a coverage near 95% is 0.7 points at 1,000 draws). Exits non-zero if a
bootstrap coverage is outside 93-97% by more than two standard errors.
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

from pytest_homog.metrics.bootstrap import compare, score  # noqa: E402
from pytest_homog.metrics.counts import unit_counts  # noqa: E402
from pytest_homog.metrics.tags import extract_entities  # noqa: E402

SIZES = (40, 300, 1287)
KINDS = ("bca", "percentile")  # the default interval, then the baseline
TARGET = (0.93, 0.97)
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


def main() -> int:
    draws = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
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
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
