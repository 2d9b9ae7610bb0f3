"""Benchmark the measuring core against seqeval on the WNUT 2017 test set (1,287 sentences).

Two ratios, each the median of several repeats, measured in one process on the same data:

- ``score(..., n_resamples=1000)`` (entity F1 with a bootstrap interval) vs one seqeval ``f1_score`` call:
  at most 2 (a naive bootstrap through seqeval costs about 1,000 calls).
- entity-level ``f1_score`` alone vs seqeval's ``f1_score``: at most 0.5.

Run: ``python benchmarks/bench_metrics.py``. Exits non-zero if a bound is missed.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _wnut import WNUT, read_conll  # noqa: E402
from seqeval.metrics import f1_score as seqeval_f1  # noqa: E402

from pytest_homog.metrics.bootstrap import score  # noqa: E402
from pytest_homog.metrics.quality import f1_score  # noqa: E402

WNUT_TEST = WNUT / "test.conll"
REPEATS = 15


def noisy(gold: list[list[str]], rate: float = 0.1, seed: int = 0) -> list[list[str]]:
    """A prediction of ``gold``: each tag replaced by a random tag with probability ``rate``."""
    rng = random.Random(seed)
    types = sorted({t[2:] for s in gold for t in s if t != "O"})
    choices = ["O", *(f"B-{t}" for t in types), *(f"I-{t}" for t in types)]
    return [[t if rng.random() >= rate else rng.choice(choices) for t in s] for s in gold]


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    _, gold = read_conll(WNUT_TEST)
    pred = noisy(gold)
    assert len(gold) == 1287, len(gold)
    warnings.simplefilter("ignore")
    ours, theirs = f1_score(gold, pred), seqeval_f1(gold, pred)
    if abs(ours - theirs) > 1e-12:
        print(f"f1_score {ours!r} differs from seqeval {theirs!r}")
        return 1
    # warm up both, then alternate so that load on the machine hits both alike
    seqeval_times, f1_times, score_times = [], [], []
    for _ in range(3):
        seqeval_f1(gold, pred), f1_score(gold, pred), score(gold, pred, n_resamples=1000)
    for _ in range(REPEATS):
        seqeval_times.append(seconds(lambda: seqeval_f1(gold, pred)))
        f1_times.append(seconds(lambda: f1_score(gold, pred)))
        score_times.append(seconds(lambda: score(gold, pred, n_resamples=1000)))
    base = statistics.median(seqeval_times)
    f1_time = statistics.median(f1_times)
    score_time = statistics.median(score_times)
    est = score(gold, pred, n_resamples=1000)
    print(f"WNUT 2017 test: {len(gold)} sentences, {sum(map(len, gold))} tokens; entity F1 {est}")
    print(
        f"seqeval f1_score: {base * 1e3:.1f} ms; f1_score: {f1_time * 1e3:.1f} ms; "
        f"score(n_resamples=1000): {score_time * 1e3:.1f} ms (medians of {REPEATS})"
    )
    failed = False
    for name, ratio, bound in (
        ("score_1000_resamples_vs_seqeval_f1", score_time / base, 2.0),
        ("f1_score_vs_seqeval_f1", f1_time / base, 0.5),
    ):
        print(f"RATIO {name}: {ratio:.2f} (<= {bound:g} required)")
        failed |= ratio > bound
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
