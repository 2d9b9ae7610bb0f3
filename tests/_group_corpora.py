"""Small tagged corpora for the group measures' tests, and the entities and per-unit outcomes read by seqeval."""

from __future__ import annotations

import warnings

from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2, Entities

TAGS = ["O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG"]


def ref_entities(sentence: list[str], mode: str = "conlleval") -> set[tuple[str, int, int]]:
    if mode == "strict":
        return {(e.tag, e.start, e.end) for e in Entities([list(sentence)], IOB2).entities[0]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {(t, s, e + 1) for t, s, e in get_entities(list(sentence))}


def ref_outcomes(y_true: list[list[str]], y_pred: list[list[str]], unit: str, mode: str = "conlleval") -> list[bool]:
    out: list[bool] = []
    for gold, pred in zip(y_true, y_pred, strict=True):
        g, p = ref_entities(gold, mode), ref_entities(pred, mode)
        if unit == "entity":
            out.extend(e in p for e in sorted(g, key=lambda e: (e[2], e[1], e[0])))
        elif unit == "sentence":
            out.append(g == p)
        else:
            out.extend(a == b for a, b in zip(gold, pred, strict=True))
    return out


@st.composite
def corpora(draw: st.DrawFn, k: int = 2, tags: list[str] = TAGS) -> tuple[list[list[str]], list[list[list[str]]]]:
    lengths = draw(st.lists(st.integers(1, 8), min_size=1, max_size=8))
    sentence = lambda n: st.lists(st.sampled_from(tags), min_size=n, max_size=n)  # noqa: E731
    y_true = [draw(sentence(n)) for n in lengths]
    preds = []
    for _ in range(k):
        # predictions mostly copy the references so that entities are often right
        pred = [[t if draw(st.booleans()) else draw(st.sampled_from(tags)) for t in s] for s in y_true]
        preds.append(pred)
    return y_true, preds
