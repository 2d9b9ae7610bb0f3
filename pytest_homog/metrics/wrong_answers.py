"""Same wrong answer: when two subjects both fail a unit, how often do they give the same wrong output?

Error consistency counts shared failures; two subjects can share a failure and still disagree on what the answer
is. Kim et al. (2025) measure, among the units both subjects get wrong, the share where they give the same wrong
output, and compare it with the share chance would give. Here chance is the rate two subjects would reach if,
for each gold answer, each drew its wrong output independently from the wrong outputs it gives for that gold
answer elsewhere in the data: ``mean over units u both fail of sum_o P_a(o | g_u) P_b(o | g_u)``, where
``P_a(o | g)`` is the share of subject a's failures on units with gold answer ``g`` where it outputs ``o``.
A rate well above chance means the subjects share not only blind spots but the same mistaken belief.

The output on a unit is what the subject predicts over it: the label (``unit="example"``), the tag
(``"token"``), or the tags over the unit's span (``"entity"``, ``"span"``), so a missed entity (all ``O``), a
wrong type and a wrong boundary are different outputs.

References
----------
Kim, Garg, Peng and Garg (2025), "Correlated Errors in Large Language Models", ICML.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_homog.corpus import Corpus, Entities, Predictions
from pytest_homog.errors import HomogDataError, HomogUsageError, UndefinedMetricWarning
from pytest_homog.metrics.agreement import bind_subject

__all__ = ["SameWrongAnswer", "per_sentence_same_wrong", "same_wrong_answer", "same_wrong_answer_of"]


@dataclass(frozen=True)
class SameWrongAnswer:
    """How often two subjects give the same wrong output where both fail (Kim et al. 2025).

    Attributes
    ----------
    rate : float
        Share of the units both fail where their outputs are the same; NaN when they fail no unit together.
    chance_rate : float
        The share expected if each drew its wrong output independently, given the gold answer, from its own
        wrong outputs (see the module docstring); NaN with ``rate``.
    n_both_wrong : int
        Units both subjects fail.
    n_same : int
        Of those, units where they give the same output.
    n_units : int
        Units compared.
    unit : str
        The unit.
    """

    rate: float
    chance_rate: float
    n_both_wrong: int
    n_same: int
    n_units: int
    unit: str


def _token_ranges(corpus: Corpus, units: Entities) -> tuple[np.ndarray, np.ndarray]:
    """Where each entity's tokens are in the corpus' tokens laid end to end (no separators)."""
    start, end = corpus.within_sentence(units)
    first = np.concatenate([[0], np.cumsum(corpus.lengths)[:-1]])[units.sentence]
    return first + start, first + end


def _outputs(corpus: Corpus, group: list[Predictions], unit: str) -> tuple[list[Any], list[Any], list[Any]]:
    """The gold answer and each subject's output on every unit of ``group_outcomes``, as hashable values."""
    if unit in ("example", "token"):
        return corpus.gold_codes.tolist(), group[0].codes.tolist(), group[1].codes.tolist()
    units = corpus.gold_entities if unit == "entity" else corpus.span_units(group)
    ranges = list(zip(*(bounds.tolist() for bounds in _token_ranges(corpus, units)), strict=True))
    gold, output_a, output_b = (
        [tuple(codes[first:last].tolist()) for first, last in ranges]
        for codes in (corpus.gold_codes, group[0].codes, group[1].codes)
    )
    return gold, output_a, output_b


def _outcomes(group: list[Predictions], unit: str) -> tuple[np.ndarray, np.ndarray]:
    """Both subjects' outcomes on every unit and the unit's sentence; raises when there are no units."""
    right, sentence, _ = group[0].corpus.group_outcomes(group, unit)
    if right.shape[1] == 0:
        raise HomogDataError(f"there are no {unit} units in the references (no gold entities?); use unit='token'.")
    return right, sentence


def _chance(gold: list[Any], output: list[Any], failed: np.ndarray) -> dict[Any, Counter[Any]]:
    """Per gold answer, how often the subject gives each wrong output."""
    table: dict[Any, Counter[Any]] = defaultdict(Counter)
    for i in np.flatnonzero(failed).tolist():
        table[gold[i]][output[i]] += 1
    return table


def same_wrong_answer(
    y_true: Any,
    y_pred_a: Any,
    y_pred_b: Any,
    *,
    unit: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
) -> SameWrongAnswer:
    """Among the units both subjects fail, the share where they give the same wrong output, with its chance rate.

    Parameters
    ----------
    y_true, y_pred_a, y_pred_b : references and two predictions
        Tag sequences (one list per sentence) or flat labels (one per example).
    unit : {"entity", "token", "example", "span"}, optional
        What can be failed (see :mod:`pytest_homog.corpus`); default ``"entity"`` for tag sequences,
        ``"example"`` for flat labels. The output on an entity or span is the tags predicted over it.
        ``"sentence"`` is refused: every sentence has its own gold answer, so there is no chance rate.
    scheme, mode : str
        How entities are read from tags.

    Returns
    -------
    SameWrongAnswer
        NaN rates, with an :class:`~pytest_homog.errors.UndefinedMetricWarning`, when no unit is failed by both.

    Examples
    --------
    >>> y_true = ["cat", "cat", "dog", "dog", "cat"]
    >>> a = ["dog", "bird", "cat", "cat", "cat"]
    >>> b = ["dog", "dog", "bird", "cat", "cat"]
    >>> result = same_wrong_answer(y_true, a, b)
    >>> result.n_both_wrong, result.n_same, result.rate, result.chance_rate
    (4, 2, 0.5, 0.5)
    """
    corpus = Corpus(y_true, scheme=scheme, mode=mode)
    unit = corpus.resolve_unit(unit)
    if unit == "sentence":
        raise HomogUsageError(
            "same_wrong_answer has no chance rate for unit='sentence' (each sentence is its own gold answer); "
            "use unit='entity', 'span' or 'token'."
        )
    return same_wrong_answer_of(
        [bind_subject(corpus, y_pred_a, "y_pred_a"), bind_subject(corpus, y_pred_b, "y_pred_b")], unit
    )


def same_wrong_answer_of(group: list[Predictions], unit: str) -> SameWrongAnswer:
    """:func:`same_wrong_answer` of two predictions bound to one corpus, on a resolved ``unit`` other than
    ``"sentence"``."""
    corpus = group[0].corpus
    right, _ = _outcomes(group, unit)
    gold, output_a, output_b = _outputs(corpus, group, unit)
    both = np.flatnonzero(~right[0] & ~right[1]).tolist()
    n_same = sum(output_a[i] == output_b[i] for i in both)
    if not both:
        warnings.warn(
            "same wrong answer is undefined: no unit is failed by both subjects; reported as NaN.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return SameWrongAnswer(math.nan, math.nan, 0, 0, right.shape[1], unit)
    table_a, table_b = _chance(gold, output_a, ~right[0]), _chance(gold, output_b, ~right[1])
    chance = 0.0
    for i in both:
        counts_a, counts_b = table_a[gold[i]], table_b[gold[i]]
        total = sum(counts_a.values()) * sum(counts_b.values())
        chance += sum(count * counts_b[output] for output, count in counts_a.items()) / total
    return SameWrongAnswer(n_same / len(both), chance / len(both), len(both), n_same, right.shape[1], unit)


def per_sentence_same_wrong(pair: list[Predictions], unit: str) -> np.ndarray:
    """Per sentence (example), the units both of ``pair`` fail and, of those, the units where their outputs are the
    same: an ``(n_sentences, 2)`` array whose column totals give the rate of :func:`same_wrong_answer_of`."""
    if unit == "sentence":
        raise HomogUsageError(
            "by='same_wrong_answer' compares outputs on units with one gold answer; unit='sentence' has none. Use "
            "unit='span', 'entity' or 'token'."
        )
    corpus = pair[0].corpus
    right, sentence = _outcomes(pair, unit)
    _, output_a, output_b = _outputs(corpus, pair, unit)
    both = ~right[0] & ~right[1]
    same = both & np.array([a == b for a, b in zip(output_a, output_b, strict=True)], dtype=bool)
    return np.stack(
        [np.bincount(sentence[mask], minlength=corpus.n_units) for mask in (both, same)], axis=1
    ).astype(np.float64)
