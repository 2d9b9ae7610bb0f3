"""Benchmark: similarity matrix and paired-bootstrap comparisons of 7 subjects on the WNUT 2017 test set.

Seven prediction sets are made by corrupting the gold tags deterministically (each gold entity, with
probability 0.3, is dropped, retyped or shifted by one token; a different seed per set). Two ratios are
printed:

(a) ``similarity_matrix(by="error_consistency")`` over the 7 subjects, against 21 calls of seqeval's
    ``f1_score`` (one per pair) on the same data: must be <= 1.
(b) ``compare`` with 1,000 paired bootstrap replicates for each of the 21 pairs, against the same 21 seqeval
    calls: must be <= 3.
(c) ``assert_not_homogeneous`` over the 7 subjects with its defaults (shared failure of the group and of every
    pair, each with a 95% interval from 1,000 paired resamples), against one seqeval ``f1_score`` call: must be
    <= 5.

And one time: (d) ``similarity_matrix(by="error_consistency", confidence=0.95)`` over 28 subjects (378 pairs,
each entry with its interval from 1,000 paired resamples): must be under 2 s on 2 cores.

Each timing is the median of several repeats in this one process.
Run: ``python benchmarks/bench_diversity.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from itertools import combinations

import numpy as np
from _wnut import WNUT, read_conll

DATA = WNUT / "test.conll"
TYPES = ["person", "location", "group", "creative-work", "corporation", "product"]
REPEATS = 5


def spans(sentence: list[str]) -> list[tuple[str, int, int]]:
    out = []
    i = 0
    while i < len(sentence):
        if sentence[i].startswith("B-"):
            typ = sentence[i][2:]
            j = i + 1
            while j < len(sentence) and sentence[j] == f"I-{typ}":
                j += 1
            out.append((typ, i, j))
            i = j
        else:
            i += 1
    return out


def corrupt(y_true: list[list[str]], seed: int, rate: float = 0.3) -> list[list[str]]:
    """Drop, retype or shift (by one token) about ``rate`` of the gold entities."""
    rng = np.random.default_rng(seed)
    out = []
    for sentence in y_true:
        new = ["O"] * len(sentence)
        for typ, start, end in spans(sentence):
            if rng.random() < rate:
                action = rng.integers(3)
                if action == 0:
                    continue
                if action == 1:
                    typ = TYPES[(TYPES.index(typ) + 1 + int(rng.integers(len(TYPES) - 1))) % len(TYPES)]
                else:
                    shift = 1 if rng.random() < 0.5 else -1
                    start, end = start + shift, end + shift
                    if start < 0 or end > len(sentence):
                        start, end = start - shift, end - shift
            for i in range(start, end):
                new[i] = ("B-" if i == start else "I-") + typ
        out.append(new)
    return out


def median_time(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    import warnings

    from seqeval.metrics import f1_score as seqeval_f1

    from pytest_homog.checks.homogeneity import assert_not_homogeneous
    from pytest_homog.metrics.bootstrap import compare
    from pytest_homog.metrics.homogenization import similarity_matrix

    warnings.simplefilter("ignore")
    _, y_true = read_conll(DATA)
    predictions = {f"s{seed}": corrupt(y_true, seed) for seed in range(7)}
    pairs = list(combinations(predictions, 2))
    n_tokens = sum(map(len, y_true))
    print(
        f"WNUT 2017 test: {len(y_true)} sentences, {n_tokens} tokens; "
        f"{len(predictions)} subjects, {len(pairs)} pairs"
    )

    def baseline() -> None:
        for a, _ in pairs:
            seqeval_f1(y_true, predictions[a])

    def matrix() -> None:
        similarity_matrix(y_true, predictions, by="error_consistency")

    def compares() -> None:
        for a, b in pairs:
            compare(y_true, predictions[a], predictions[b], "f1", n_resamples=1000, seed=0)

    many = {f"s{seed}": corrupt(y_true, seed) for seed in range(28)}

    def one_f1() -> None:
        seqeval_f1(y_true, predictions["s0"])

    def gate() -> None:
        try:
            assert_not_homogeneous(predictions, y_true, n_resamples=1000, seed=0)
        except AssertionError:
            pass  # the verdict does not matter here, only the time to reach it

    def matrix_with_intervals() -> None:
        similarity_matrix(y_true, many, by="error_consistency", confidence=0.95, n_resamples=1000, seed=0)

    matrix()  # warm up imports and caches once
    gate()
    compare(y_true, predictions["s0"], predictions["s1"], "f1", n_resamples=1000, seed=0)
    t_base = median_time(baseline)
    t_matrix = median_time(matrix)
    t_compare = median_time(compares, repeats=3)
    t_one = median_time(one_f1)
    t_gate = median_time(gate)
    t_many = median_time(matrix_with_intervals, repeats=3)
    m = similarity_matrix(y_true, predictions, by="error_consistency")
    print(m.to_markdown())
    print(f"21 x seqeval f1_score: {t_base:.3f} s (median of {REPEATS})")
    print(f"similarity_matrix(by='error_consistency'), 7 subjects: {t_matrix:.3f} s (median of {REPEATS})")
    print(f"21 x compare(n_resamples=1000): {t_compare:.3f} s (median of 3)")
    print(f"1 x seqeval f1_score: {t_one:.3f} s (median of {REPEATS})")
    print(f"assert_not_homogeneous, 7 subjects, 1000 resamples: {t_gate:.3f} s (median of {REPEATS})")
    ratio_a = t_matrix / t_base
    ratio_b = t_compare / t_base
    ratio_c = t_gate / t_one
    print(f"RATIO similarity_matrix vs 21 seqeval f1_score: {ratio_a:.2f} (<= 1 required)")
    print(f"RATIO 21 compare(1000 paired replicates) vs 21 seqeval f1_score: {ratio_b:.2f} (<= 3 required)")
    print(f"RATIO assert_not_homogeneous(7 subjects) vs 1 seqeval f1_score: {ratio_c:.2f} (<= 5 required)")
    print(f"TIME similarity_matrix with 95% intervals, 28 subjects: {t_many:.3f} s (median of 3; < 2 s required)")
    return 0 if ratio_a <= 1.0 and ratio_b <= 3.0 and ratio_c <= 5.0 and t_many < 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
