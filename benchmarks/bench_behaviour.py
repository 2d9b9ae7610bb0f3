"""Benchmark the behavioural checks against a hand-written invariance check on WNUT 2017 test sentences.

The model is a gazetteer tagger built from the WNUT 2017 training entities (a dictionary lookup, so the model
costs little and the checks' own overhead shows). Each of 1,000 test sentences is perturbed (case change, typo,
entity swap, punctuation, context insertion, whitespace, in turn). Two ratios, each the median of several
repeats, measured in one process on the same data:

- ``assert_invariant`` over every pair, cache cold, vs the hand-written check (predict both sentences, compare
  the aligned tags): at most 2.
- the same ``assert_invariant`` calls again with the cache warm, as hypothesis' shrinking and final replay run
  them, vs the hand-written check, which predicts again: at most 0.5.

Run: ``python benchmarks/bench_behaviour.py``. Exits non-zero if a bound is missed.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_homog.checks.behaviour import assert_invariant  # noqa: E402
from pytest_homog.metrics.tags import extract_entities  # noqa: E402
from pytest_homog.perturbations import (  # noqa: E402
    CaseChange,
    ContextInsertion,
    EntitySwap,
    LabelledSentence,
    Perturbed,
    Punctuation,
    Typo,
    Whitespace,
    encode_tags,
)
from pytest_homog.prediction_cache import clear_prediction_cache  # noqa: E402

DATA = ROOT / "examples" / "data" / "wnut17"
N_SENTENCES = 1000
REPEATS = 15


def read_conll(path: Path) -> list[LabelledSentence]:
    out, tokens, tags = [], [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            token, tag = line.split("\t")
            tokens.append(token)
            tags.append(tag)
        elif tokens:
            out.append(LabelledSentence.from_entities(tokens, extract_entities(tags, mode="conlleval")))
            tokens, tags = [], []
    return out


class GazetteerTagger:
    """Longest known name first, case-insensitive; names indexed by their first word."""

    def __init__(self, names: dict[str, set[tuple[str, ...]]]) -> None:
        self.by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for etype, found in names.items():
            for name in found:
                key = tuple(w.casefold() for w in name)
                self.by_first.setdefault(key[0], []).append((key, etype))
        for entries in self.by_first.values():
            entries.sort(key=lambda e: -len(e[0]))

    def predict_tags(self, sentences: list[list[str]]) -> list[list[str]]:
        out = []
        for tokens in sentences:
            words = [t.strip().casefold() for t in tokens]
            entities, i = [], 0
            while i < len(words):
                for key, etype in self.by_first.get(words[i], ()):
                    if tuple(words[i : i + len(key)]) == key:
                        entities.append((etype, i, i + len(key)))
                        i += len(key)
                        break
                else:
                    i += 1
            out.append(list(encode_tags(entities, len(tokens))))
        return out


def hand_written(tagger: GazetteerTagger, pairs: list[Perturbed]) -> int:
    changed = 0
    for p in pairs:
        before, after = tagger.predict_tags([list(p.original.tokens), list(p.perturbed.tokens)])
        changed += sum(before[i] != after[j] for i, j in enumerate(p.alignment) if j is not None)
    return changed


def checked(tagger: GazetteerTagger, pairs: list[Perturbed]) -> int:
    failed = 0
    for p in pairs:
        try:
            assert_invariant(tagger, p)
        except AssertionError:
            failed += 1
    return failed


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    train = read_conll(DATA / "train.conll")
    names: dict[str, set[tuple[str, ...]]] = {}
    for s in train:
        for etype, start, end in s.entities:
            names.setdefault(etype, set()).add(s.tokens[start:end])
    tagger = GazetteerTagger(names)
    gazetteer = {t: sorted(" ".join(n) for n in found) for t, found in names.items()}
    test = read_conll(DATA / "test.conll")[:N_SENTENCES]
    perturbations = [
        lambda i: CaseChange(how="lower", target="entity", index=i),
        lambda i: Typo(index=i, offset=i),
        lambda i: EntitySwap(gazetteer, index=i, choice=i),
        lambda i: Punctuation(action="add", mark="!"),
        lambda i: ContextInsertion(where="start", index=i),
        lambda i: Whitespace(index=i),
    ]
    pairs = [perturbations[i % len(perturbations)](i)(s) for i, s in enumerate(test)]

    # interleaved, so a busy machine slows all three alike
    times: dict[str, list[float]] = {"baseline": [], "cold": [], "warm": []}
    for _ in range(REPEATS):
        times["baseline"].append(timed(lambda: hand_written(tagger, pairs)))
        clear_prediction_cache()
        times["cold"].append(timed(lambda: checked(tagger, pairs)))
        times["warm"].append(timed(lambda: checked(tagger, pairs)))
    baseline, cold, warm = (statistics.median(times[k]) for k in ("baseline", "cold", "warm"))
    failures = checked(tagger, pairs)
    print(f"{len(pairs)} perturbed WNUT 2017 test sentences, {failures} invariance failures, {REPEATS} repeats")
    print(f"hand-written check: {baseline * 1000:.1f} ms")
    print(f"assert_invariant, cold cache: {cold * 1000:.1f} ms")
    print(f"assert_invariant, warm cache: {warm * 1000:.1f} ms")
    ok = True
    for name, ratio, bound in (
        ("assert_invariant_cold_vs_hand_written", cold / baseline, 2.0),
        ("assert_invariant_warm_vs_hand_written", warm / baseline, 0.5),
    ):
        print(f"RATIO {name}: {ratio:.2f} (<= {bound} required)")
        ok = ok and ratio <= bound
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
