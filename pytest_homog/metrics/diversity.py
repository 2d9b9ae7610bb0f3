"""Diversity and homogenization: how alike the outcomes of several subjects are on the same references.

Pairwise measures work on per-unit outcomes (a boolean array, ``True`` where a subject got the unit right, see
:func:`unit_outcomes`) or on predictions directly; the group measure :func:`outcome_homogenization` and
:func:`similarity_matrix` take a mapping ``name -> predictions``. Everything is pure numpy.

Units (see DESIGN.md, Definitions)
----------------------------------
``unit="entity"``
    The gold entities of the corpus; one is right when a predicted entity has exactly its span and type.
``unit="sentence"``
    The sentences; one is right when its predicted entity set equals its gold entity set exactly (so a
    sentence without gold entities is right when nothing is predicted in it).
``unit="token"``
    The tokens; one is right when its predicted tag equals its gold tag.
``unit="example"``
    The examples of flat (text classification) labels; one is right when its label is.

Subjects whose predictions use labels that never occur in the references (e.g. ``PER`` against ``person``) get
a :class:`~pytest_homog.errors.HomogWarning` naming them, because every such prediction counts as wrong. It is
a warning, not an error, because a small reference set may simply lack a class a model knows.

References
----------
Geirhos, Meding and Wichmann (2020), "Beyond accuracy: quantifying trial-by-trial behaviour of CNNs and humans
by measuring error consistency", NeurIPS.
Kuncheva and Whitaker (2003), "Measures of Diversity in Classifier Ensembles and Their Relationship with the
Ensemble Accuracy", Machine Learning 51.
Bommasani, Creel, Kumar, Jurafsky and Liang (2022), "Picking on the Same Person: Does Algorithmic Monoculture
lead to Outcome Homogenization?", NeurIPS.
Cohen (1960), "A Coefficient of Agreement for Nominal Scales".
McNemar (1947), "Note on the sampling error of the difference between correlated proportions or percentages".
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from pytest_homog.errors import HomogDataError, HomogUsageError, HomogWarning, UndefinedMetricWarning

__all__ = [
    "BY",
    "DIVERGENCE_BY",
    "LEVELS",
    "UNITS",
    "ErrorConsistency",
    "McNemarResult",
    "OutcomeHomogenization",
    "SimilarityMatrix",
    "UnitRef",
    "cohen_kappa",
    "disagreement",
    "divergence",
    "double_fault",
    "error_consistency",
    "homogenization_and_similarity",
    "mcnemar_test",
    "outcome_homogenization",
    "similarity_matrix",
    "unit_outcomes",
    "yules_q",
]

UNITS = ("entity", "sentence", "token", "example")
LEVELS = ("entity", "token", "label")
#: ``by`` values of :func:`similarity_matrix`; each is a similarity (higher = more alike, 1 on the diagonal).
BY = ("error_consistency", "disagreement", "kappa", "yules_q", "cka")


# ----------------------------------------------------------------------------------------------------------
# corpus encoding: every subject's predictions against the same references, as integer arrays
# ----------------------------------------------------------------------------------------------------------


class UnitRef(NamedTuple):
    """Where a unit lives: its sentence (or example) index and, for entities and tokens, what and where.

    ``label`` is the gold entity type (entity unit), the gold tag (token unit) or the gold label (example
    unit); ``start``/``end`` (end exclusive) locate an entity or a token inside its sentence.
    """

    sentence: int
    label: Any = None
    start: int | None = None
    end: int | None = None


@dataclass
class _Entities:
    keys: np.ndarray  # int64 code of (type, corpus position of start, corpus position of end), unique
    sentence: np.ndarray  # sentence index of each entity
    type: np.ndarray  # global type code of each entity
    start: np.ndarray  # start inside the sentence
    end: np.ndarray  # end inside the sentence (exclusive)


@dataclass
class _Encoded:
    """One subject's predictions, encoded against the references with corpus-wide codes."""

    name: str
    labels: set[Any]  # labels the prediction uses (entity types, or flat labels)
    codes: np.ndarray  # token tag codes (nested) or label codes (flat), comparable across subjects
    gold_codes: np.ndarray
    pred_entities: _Entities | None = None
    gold_entities: _Entities | None = None


@dataclass
class _Corpus:
    """References plus a shared registry of codes, so entity keys and tag codes compare across subjects."""

    y_true: Any
    scheme: str
    mode: str
    nested: bool = False
    registry: dict[Any, int] = field(default_factory=dict)  # tags or labels -> code
    types: dict[str, int] = field(default_factory=dict)  # entity types -> code
    lengths: np.ndarray | None = None
    gold_labels: set[Any] = field(default_factory=set)
    gold: _Encoded | None = None

    def code(self, values: Sequence[Any]) -> np.ndarray:
        registry = self.registry
        return np.fromiter((registry.setdefault(v, len(registry)) for v in values), np.int64, len(values))


def _check_scheme_mode(scheme: str, mode: str) -> None:
    from pytest_homog.metrics.tags import check_mode, check_scheme

    check_scheme(scheme)
    check_mode(mode)


def _entities(enc: Any, arrays: Any, types: list[str], corpus: _Corpus, offsets: np.ndarray) -> _Entities:
    codes = np.array([corpus.types.setdefault(t, len(corpus.types)) for t in types], dtype=np.int64)
    m = len(enc.true) + 1
    start = np.asarray(arrays.start, dtype=np.int64)
    end = np.asarray(arrays.end, dtype=np.int64)
    type_codes = codes[arrays.type] if len(start) else np.zeros(0, dtype=np.int64)
    # an entity belongs to the sentence it ends in (with tags outside B/I/E/S/O, conlleval mode can run one
    # across a sentence boundary, as seqeval does; it is then placed from position 0 of that sentence)
    sentence = enc.sentence[end - 1] if len(start) else np.zeros(0, dtype=np.int64)
    return _Entities(
        keys=(type_codes * m + start) * m + end,
        sentence=sentence,
        type=type_codes,
        start=np.maximum(start - offsets[sentence], 0),
        end=end - offsets[sentence],
    )


def _encode(corpus: _Corpus, y_pred: Any, name: str) -> _Encoded:
    """Validate ``y_pred`` against the references and encode both; errors name the subject."""
    from pytest_homog.metrics import tags

    try:
        if corpus.nested:
            true, pred = tags.check_sequences(corpus.y_true, y_pred)
        else:
            true, pred = tags.check_labels(corpus.y_true, y_pred)
    except HomogDataError as exc:
        raise HomogDataError(f"predictions of subject {name!r} do not fit the references: {exc}") from exc
    if not corpus.nested:
        return _Encoded(name, set(pred), corpus.code(pred), corpus.code(true))
    enc = tags.encode(true, pred)
    gold, predicted, types = tags.corpus_entities(
        enc, scheme=corpus.scheme, mode=corpus.mode, y_true=true, y_pred=pred
    )
    offsets = np.concatenate([[0], np.cumsum(enc.lengths + 1)[:-1]]).astype(np.int64)
    flat_pred = [t for sentence in pred for t in sentence]
    flat_true = [t for sentence in true for t in sentence]
    pred_entities = _entities(enc, predicted, types, corpus, offsets)
    gold_entities = _entities(enc, gold, types, corpus, offsets)
    inverse = {code: t for t, code in corpus.types.items()}
    if corpus.lengths is None:
        corpus.lengths = np.asarray(enc.lengths, dtype=np.int64)
        corpus.gold_labels = {inverse[int(c)] for c in np.unique(gold_entities.type)}
    labels = {inverse[int(c)] for c in np.unique(pred_entities.type)}
    return _Encoded(
        name, labels, corpus.code(flat_pred), corpus.code(flat_true), pred_entities, gold_entities
    )


def _corpus(y_true: Any, scheme: str, mode: str) -> _Corpus:
    from pytest_homog.metrics import tags

    _check_scheme_mode(scheme, mode)
    corpus = _Corpus(y_true=y_true, scheme=scheme, mode=mode, nested=tags.is_nested(y_true))
    # encoding the references against themselves validates them and fills the gold label set
    corpus.gold = _encode(corpus, y_true, "references")
    if not corpus.nested:
        corpus.gold_labels = set(corpus.gold.labels)
    return corpus


def _check_label_set(corpus: _Corpus, enc: _Encoded) -> None:
    unknown = enc.labels - corpus.gold_labels
    if not unknown or not corpus.gold_labels:
        return
    what = "entity types" if corpus.nested else "labels"
    known = sorted(map(str, corpus.gold_labels))
    if not enc.labels & corpus.gold_labels:
        message = (
            f"subject {enc.name!r} predicts {what} {sorted(map(str, enc.labels))}, none of which occur in "
            f"the references ({known}), so all its predictions count as wrong. If these are the same classes "
            "under other names, map its labels onto the references' before comparing."
        )
    else:
        message = (
            f"subject {enc.name!r} predicts {what} that never occur in the references: "
            f"{sorted(map(str, unknown))} (the references have {known}); every such prediction counts as "
            "wrong. Map the subject's labels onto the references' if they are the same classes under "
            "another name."
        )
    warnings.warn(message, HomogWarning, stacklevel=3)


def _resolve_unit(corpus: _Corpus, unit: str | None) -> str:
    if unit is None:
        return "entity" if corpus.nested else "example"
    if unit not in UNITS:
        raise HomogUsageError(f"unit must be one of {', '.join(map(repr, UNITS))}; got {unit!r}.")
    if corpus.nested and unit == "example":
        raise HomogUsageError(
            "unit='example' is for flat labels (one per example); these references are tag sequences. "
            "Use unit='entity', 'sentence' or 'token'."
        )
    if not corpus.nested and unit != "example":
        raise HomogUsageError(
            f"unit={unit!r} needs tag sequences (one list of tags per sentence); these references are flat "
            "labels. Use unit='example'."
        )
    return unit


def _outcomes(corpus: _Corpus, enc: _Encoded, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit outcomes (True = right) and the sentence (or example) index of every unit."""
    if unit in ("example", "token"):
        right = enc.codes == enc.gold_codes
        if unit == "example":
            return right, np.arange(len(right))
        assert corpus.lengths is not None
        return right, np.repeat(np.arange(len(corpus.lengths)), corpus.lengths)
    gold, pred = enc.gold_entities, enc.pred_entities
    assert gold is not None and pred is not None and corpus.lengths is not None
    found = np.isin(gold.keys, pred.keys, assume_unique=True)
    if unit == "entity":
        return found, gold.sentence
    n = len(corpus.lengths)
    n_gold = np.bincount(gold.sentence, minlength=n)
    n_pred = np.bincount(pred.sentence, minlength=n)
    n_found = np.bincount(gold.sentence[found], minlength=n)
    return (n_found == n_gold) & (n_pred == n_gold), np.arange(n)


def _unit_refs(corpus: _Corpus, unit: str, indices: np.ndarray) -> list[UnitRef]:
    gold = corpus.gold
    assert gold is not None
    inverse_types = {code: t for t, code in corpus.types.items()}
    inverse_codes = {code: v for v, code in corpus.registry.items()}
    refs = []
    if unit == "entity":
        entities = gold.gold_entities
        assert entities is not None
        for i in indices.tolist():
            refs.append(
                UnitRef(
                    int(entities.sentence[i]),
                    inverse_types[int(entities.type[i])],
                    int(entities.start[i]),
                    int(entities.end[i]),
                )
            )
    elif unit == "token":
        assert corpus.lengths is not None
        offsets = np.concatenate([[0], np.cumsum(corpus.lengths)[:-1]])
        sentence = np.searchsorted(offsets, indices, side="right") - 1
        for i, s in zip(indices.tolist(), sentence.tolist(), strict=True):
            pos = i - int(offsets[s])
            refs.append(UnitRef(s, inverse_codes[int(gold.gold_codes[i])], pos, pos + 1))
    elif unit == "example":
        refs = [UnitRef(i, inverse_codes[int(gold.gold_codes[i])]) for i in indices.tolist()]
    else:
        refs = [UnitRef(i) for i in indices.tolist()]
    return refs


def _as_outcomes(x: Any, name: str) -> np.ndarray:
    array = np.asarray(x)
    if array.ndim != 1:
        raise HomogDataError(
            f"{name} must be a 1-D array of per-unit outcomes; got shape {array.shape}. Pass one boolean per unit, "
            "as unit_outcomes() returns them."
        )
    if array.dtype != bool:
        if array.size and not np.isin(array, (0, 1)).all():
            raise HomogDataError(
                f"{name} must hold booleans (True = the subject got the unit right); got values such as "
                f"{array[~np.isin(array, (0, 1))][:3].tolist()}. Build outcomes with unit_outcomes()."
            )
        array = array.astype(bool)
    return array


def _pair_outcomes(correct_a: Any, correct_b: Any) -> tuple[np.ndarray, np.ndarray]:
    a = _as_outcomes(correct_a, "correct_a")
    b = _as_outcomes(correct_b, "correct_b")
    if a.shape != b.shape:
        raise HomogDataError(
            f"correct_a and correct_b must describe the same units; got {a.size} and {b.size} outcomes. "
            "Compute both with unit_outcomes() on the same references and unit."
        )
    if a.size == 0:
        raise HomogDataError(
            "there are no units to compare (0 outcomes); with unit='entity' the references "
            "need at least one gold entity."
        )
    return a, b


# ----------------------------------------------------------------------------------------------------------
# per-unit outcomes
# ----------------------------------------------------------------------------------------------------------


def unit_outcomes(
    y_true: Any, y_pred: Any, *, unit: str | None = None, scheme: str = "IOB2", mode: str = "conlleval"
) -> np.ndarray:
    """Whether ``y_pred`` gets each unit of ``y_true`` right.

    Parameters
    ----------
    y_true, y_pred : sequence of sequences of str, or sequence of labels
        References and predictions: one tag list per sentence, or one label per example.
    unit : {"entity", "sentence", "token", "example"}, optional
        What can be right or wrong (see the module docstring). Default: ``"entity"`` for tag sequences,
        ``"example"`` for flat labels.
    scheme, mode : str
        How entities are read from tags (see :mod:`pytest_homog.metrics.tags`).

    Returns
    -------
    numpy.ndarray of bool
        One outcome per unit, in corpus order (entities in sentence order, by end within a sentence).

    Examples
    --------
    >>> y_true = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]]
    >>> y_pred = [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG"]]
    >>> unit_outcomes(y_true, y_pred).tolist()
    [True, False, True]
    >>> unit_outcomes(y_true, y_pred, unit="sentence").tolist()
    [False, True]
    """
    corpus = _corpus(y_true, scheme, mode)
    unit = _resolve_unit(corpus, unit)
    enc = _encode(corpus, y_pred, "y_pred")
    return _outcomes(corpus, enc, unit)[0]


# ----------------------------------------------------------------------------------------------------------
# pairwise measures on outcomes
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorConsistency:
    """Error consistency of two subjects (Geirhos et al. 2020).

    Attributes
    ----------
    c_obs : float
        Share of units both get right or both get wrong.
    c_exp : float
        Share expected if they erred independently with their accuracies: ``p_a p_b + (1 - p_a)(1 - p_b)``.
    kappa : float
        ``(c_obs - c_exp) / (1 - c_exp)``: 0 = as consistent as chance, 1 = the same errors, negative = fewer
        shared outcomes than chance.
    n : int
        Number of units.
    """

    c_obs: float
    c_exp: float
    kappa: float
    n: int


_C_EXP_ONE = (
    "error consistency is undefined when c_exp = 1 (both subjects get every unit right, or both get every "
    "unit wrong): their outcomes are identical, so kappa is reported as 1.0"
)


def _kappa_from_counts(
    n: np.ndarray, right_a: np.ndarray, right_b: np.ndarray, both_right: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectorized error consistency from counts; returns c_obs, c_exp, kappa and the c_exp = 1 mask."""
    n = np.asarray(n, dtype=np.float64)
    both_wrong = n - right_a - right_b + both_right
    c_obs = (both_right + both_wrong) / n
    p_a = right_a / n
    p_b = right_b / n
    c_exp = p_a * p_b + (1.0 - p_a) * (1.0 - p_b)
    undefined = ((right_a == n) & (right_b == n)) | ((right_a == 0) & (right_b == 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(undefined, 1.0, (c_obs - c_exp) / np.where(undefined, 1.0, 1.0 - c_exp))
    return c_obs, c_exp, kappa, undefined


def error_consistency(correct_a: Any, correct_b: Any) -> ErrorConsistency:
    """Error consistency of two subjects' per-unit outcomes (Geirhos et al. 2020).

    ``c_obs`` is the share of units on which both are right or both are wrong, ``c_exp = p_a p_b + (1 - p_a)
    (1 - p_b)`` the share expected from their accuracies alone, and ``kappa = (c_obs - c_exp) / (1 - c_exp)``.
    The divergence used by :func:`~pytest_homog.assert_models_diverge` is ``1 - kappa``.

    When ``c_exp = 1`` (both right on every unit, or both wrong on every unit) kappa is 0 / 0; the outcomes
    are then identical, so ``kappa = 1.0`` is returned with an
    :class:`~pytest_homog.errors.UndefinedMetricWarning` (a check that the subjects diverge fails, as the
    data cannot tell them apart).

    Parameters
    ----------
    correct_a, correct_b : array-like of bool
        Per-unit outcomes of two subjects on the same units (see :func:`unit_outcomes`).

    Returns
    -------
    ErrorConsistency

    Examples
    --------
    >>> ec = error_consistency([True, True, False, False], [True, False, False, False])
    >>> ec.c_obs, ec.c_exp, ec.kappa
    (0.75, 0.5, 0.5)
    """
    a, b = _pair_outcomes(correct_a, correct_b)
    c_obs, c_exp, kappa, undefined = _kappa_from_counts(
        np.array(a.size), np.array(a.sum()), np.array(b.sum()), np.array((a & b).sum())
    )
    if bool(undefined):
        warnings.warn(_C_EXP_ONE + ".", UndefinedMetricWarning, stacklevel=2)
    return ErrorConsistency(float(c_obs), float(c_exp), float(kappa), int(a.size))


def double_fault(correct_a: Any, correct_b: Any) -> float:
    """Double-fault measure: the share of units both subjects get wrong (Kuncheva & Whitaker 2003).

    Higher means more shared failures. It is bounded by the smaller error rate, so it is not a similarity with
    1 on the diagonal and :func:`similarity_matrix` does not offer it.

    Examples
    --------
    >>> double_fault([True, False, False, True], [False, False, True, True])
    0.25
    """
    a, b = _pair_outcomes(correct_a, correct_b)
    return float(np.count_nonzero(~a & ~b) / a.size)


def _yules_q_counts(n11: Any, n00: Any, n10: Any, n01: Any) -> tuple[np.ndarray, np.ndarray]:
    n11, n00, n10, n01 = (np.asarray(x, dtype=np.float64) for x in (n11, n00, n10, n01))
    num = n11 * n00 - n10 * n01
    den = n11 * n00 + n10 * n01
    undefined = den == 0
    identical = (n10 == 0) & (n01 == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(undefined, np.where(identical, 1.0, 0.0), num / np.where(undefined, 1.0, den))
    return q, undefined


def yules_q(correct_a: Any, correct_b: Any) -> float:
    """Yule's Q statistic of two subjects' per-unit outcomes (Kuncheva & Whitaker 2003).

    ``Q = (N11 N00 - N10 N01) / (N11 N00 + N10 N01)`` where ``N11`` counts units both get right, ``N00`` units
    both get wrong, ``N10`` and ``N01`` units only one gets right. Q is in [-1, 1]: 0 for independent
    outcomes, positive when the subjects tend to be right and wrong together.

    When the denominator is 0 (no unit both get right or none both get wrong, and one subject is never right
    alone) Q is undefined: 1.0 is returned if the outcomes are identical, 0.0 otherwise, with an
    :class:`~pytest_homog.errors.UndefinedMetricWarning`.

    Examples
    --------
    >>> yules_q([True, True, True, False, False, True], [True, True, False, False, True, True])
    0.5
    """
    a, b = _pair_outcomes(correct_a, correct_b)
    q, undefined = _yules_q_counts((a & b).sum(), (~a & ~b).sum(), (a & ~b).sum(), (~a & b).sum())
    if bool(undefined):
        warnings.warn(
            f"Yule's Q is undefined (0 / 0) on these outcomes; reported as {float(q)} "
            "(1.0 for identical outcomes, 0.0 otherwise).",
            UndefinedMetricWarning,
            stacklevel=2,
        )
    return float(q)


@dataclass(frozen=True)
class McNemarResult:
    """Exact McNemar test of two subjects' per-unit outcomes.

    Attributes
    ----------
    only_a : int
        Units only subject a gets right.
    only_b : int
        Units only subject b gets right.
    p_value : float
        Two-sided exact p-value (binomial test of ``only_a`` among ``only_a + only_b`` with probability 1/2).
    """

    only_a: int
    only_b: int
    p_value: float


def _binomial_two_sided_half(k: int, n: int) -> float:
    """``min(1, 2 P(X <= min(k, n - k)))`` for ``X ~ Binomial(n, 1/2)``, computed in log space."""
    if n == 0:
        return 1.0
    low = min(k, n - k)
    i = np.arange(low + 1, dtype=np.float64)
    log_pmf = (
        math.lgamma(n + 1)
        - np.array([math.lgamma(x + 1.0) for x in i.tolist()])
        - np.array([math.lgamma(n - x + 1.0) for x in i.tolist()])
        - n * math.log(2.0)
    )
    return float(min(1.0, 2.0 * math.exp(float(np.logaddexp.reduce(log_pmf)))))


def mcnemar_test(correct_a: Any, correct_b: Any) -> McNemarResult:
    """Exact McNemar test: do two subjects differ in accuracy on the same units? (McNemar 1947).

    Only discordant units (one subject right, the other wrong) carry information; under the null hypothesis
    each is equally likely to favour either subject, so the p-value is that of a two-sided exact binomial test
    with probability 1/2 on them: ``min(1, 2 P(X <= min(only_a, only_b)))``. With no discordant unit the
    p-value is 1.0.

    Examples
    --------
    >>> r = mcnemar_test([True] * 10 + [False] * 2, [False] * 10 + [True] * 2)
    >>> r.only_a, r.only_b, round(r.p_value, 4)
    (10, 2, 0.0386)
    """
    a, b = _pair_outcomes(correct_a, correct_b)
    only_a = int(np.count_nonzero(a & ~b))
    only_b = int(np.count_nonzero(~a & b))
    return McNemarResult(only_a, only_b, _binomial_two_sided_half(only_a, only_a + only_b))


# ----------------------------------------------------------------------------------------------------------
# pairwise measures on predictions
# ----------------------------------------------------------------------------------------------------------


def _resolve_level(nested: bool, level: str | None) -> str:
    if level is None:
        return "entity" if nested else "label"
    if level not in LEVELS:
        raise HomogUsageError(f"level must be one of {', '.join(map(repr, LEVELS))}; got {level!r}.")
    if nested == (level == "label"):
        raise HomogUsageError(
            f"level={level!r} does not fit {'tag sequences' if nested else 'flat labels'}; use "
            f"{'entity or token' if nested else 'label'}."
        )
    return level


def _disagreement_counts(a: _Encoded, b: _Encoded, level: str) -> tuple[int, int]:
    """(units that differ, units compared): entity-set union/intersection or positions."""
    if level == "entity":
        assert a.pred_entities is not None and b.pred_entities is not None
        ka, kb = a.pred_entities.keys, b.pred_entities.keys
        both = int(np.intersect1d(ka, kb, assume_unique=True).size)
        union = int(ka.size + kb.size - both)
        return union - both, union
    return int(np.count_nonzero(a.codes != b.codes)), int(a.codes.size)


_EMPTY_UNION = (
    "entity-level disagreement is undefined (0 / 0): neither prediction contains an entity. The predictions "
    "agree (both empty), so disagreement is reported as 0.0"
)


def disagreement(
    y_pred_a: Any, y_pred_b: Any, *, level: str | None = None, scheme: str = "IOB2", mode: str = "conlleval"
) -> float:
    """How often two predictions differ; no references needed.

    ``level="entity"``: ``1 - |E_a ∩ E_b| / |E_a ∪ E_b|`` with ``E_a``, ``E_b`` the predicted entity sets
    (type and exact span) of the whole corpus, so sentences with more entities weigh more. When neither
    prediction has an entity the value is 0.0 (they agree), with an
    :class:`~pytest_homog.errors.UndefinedMetricWarning`. ``level="token"`` or ``"label"``: the share of
    positions (tokens or examples) where the two predictions differ.

    Parameters
    ----------
    y_pred_a, y_pred_b : sequence of sequences of str, or sequence of labels
        Two predictions of the same sentences or examples.
    level : {"entity", "token", "label"}, optional
        Default: ``"entity"`` for tag sequences, ``"label"`` for flat labels.
    scheme, mode : str
        How entities are read from tags.

    Examples
    --------
    >>> a = [["B-PER", "I-PER", "O", "B-LOC"]]
    >>> b = [["B-PER", "I-PER", "O", "B-ORG"]]
    >>> round(disagreement(a, b), 4)  # {PER, LOC} vs {PER, ORG}: 1 shared of 3
    0.6667
    >>> disagreement(a, b, level="token")
    0.25
    """
    corpus = _corpus(y_pred_a, scheme, mode)
    level = _resolve_level(corpus.nested, level)
    assert corpus.gold is not None
    enc_b = _encode(corpus, y_pred_b, "y_pred_b")
    enc_a = _Encoded(
        "y_pred_a",
        corpus.gold.labels,
        corpus.gold.codes,
        corpus.gold.codes,
        corpus.gold.pred_entities,
        corpus.gold.pred_entities,
    )
    differ, total = _disagreement_counts(enc_a, enc_b, level)
    if total == 0:
        warnings.warn(_EMPTY_UNION + ".", UndefinedMetricWarning, stacklevel=2)
        return 0.0
    return differ / total


def _kappa_codes(a: np.ndarray, b: np.ndarray, n_codes: int) -> tuple[float, bool]:
    n = a.size
    p_o = np.count_nonzero(a == b) / n
    p_e = float(np.dot(np.bincount(a, minlength=n_codes), np.bincount(b, minlength=n_codes))) / (n * n)
    # p_e = 1 exactly when both give one and the same label everywhere
    if np.all(a == a[0]) and np.all(b == a[0]):
        return 1.0, True
    return (p_o - p_e) / (1.0 - p_e), False


_KAPPA_UNDEFINED = (
    "Cohen's kappa is undefined (0 / 0): both predictions give the same single label everywhere. They are "
    "identical, so kappa is reported as 1.0"
)


def cohen_kappa(y_pred_a: Any, y_pred_b: Any) -> float:
    """Cohen's kappa between two predictions' labels (Cohen 1960), chance-corrected agreement.

    ``kappa = (p_o - p_e) / (1 - p_e)`` with ``p_o`` the share of positions with the same label and ``p_e``
    the agreement expected from each prediction's label frequencies. Tag sequences are compared tag by tag
    (token level). Equals :func:`sklearn.metrics.cohen_kappa_score`; where that is undefined (both predictions
    one and the same label everywhere) 1.0 is returned with an
    :class:`~pytest_homog.errors.UndefinedMetricWarning`.

    Examples
    --------
    >>> cohen_kappa(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    0.5
    """
    corpus = _corpus(y_pred_a, "IOB2", "conlleval")
    assert corpus.gold is not None
    enc_b = _encode(corpus, y_pred_b, "y_pred_b")
    value, undefined = _kappa_codes(corpus.gold.codes, enc_b.codes, len(corpus.registry))
    if undefined:
        warnings.warn(_KAPPA_UNDEFINED + ".", UndefinedMetricWarning, stacklevel=2)
    return float(value)


# ----------------------------------------------------------------------------------------------------------
# group measures
# ----------------------------------------------------------------------------------------------------------


def check_group(group: Any, what: str, holds: str, example: str, more: str = "") -> None:
    """Raise a :class:`~pytest_homog.errors.HomogUsageError` unless ``group`` is a mapping of two or more
    subjects, each name mapped to what it ``holds`` (shown with ``example``); ``what`` names the caller."""
    if not isinstance(group, Mapping):
        raise HomogUsageError(
            f"{what} needs a mapping of subject name -> {holds}; got {type(group).__name__}. Pass e.g. {example}."
        )
    if len(group) < 2:
        raise HomogUsageError(f"{what} compares two or more subjects; got {len(group)} ({list(group)}).{more}")


def _encode_all(
    y_true: Any, predictions: Mapping[str, Any], scheme: str, mode: str, what: str
) -> tuple[_Corpus, list[_Encoded]]:
    check_group(
        predictions, what, "predictions", "{'model_a': preds_a, 'model_b': preds_b}",
        " Add the other models' predictions.",
    )  # fmt: skip
    corpus = _corpus(y_true, scheme, mode)
    encoded = []
    for name, y_pred in predictions.items():
        enc = _encode(corpus, y_pred, str(name))
        _check_label_set(corpus, enc)
        encoded.append(enc)
    return corpus, encoded


class OutcomeHomogenization(float):
    """Outcome homogenization (a float) with the rates it is made of.

    Attributes
    ----------
    systemic_failure_rate : float
        Share of units that every subject gets wrong.
    expected_failure_rate : float
        The share expected if the subjects failed independently: the product of their failure rates.
    failure_rates : dict of str to float
        Each subject's failure rate.
    n_units : int
        Number of units.
    unit : str
        The unit (``"entity"``, ``"sentence"``, ``"token"`` or ``"example"``).
    shared_failures : list of UnitRef
        The units every subject gets wrong, in corpus order.
    defined : bool
        False when the expected rate is 0 (some subject never fails); the value is then 0.0 by convention.
    """

    systemic_failure_rate: float
    expected_failure_rate: float
    failure_rates: dict[str, float]
    n_units: int
    unit: str
    shared_failures: list[UnitRef]
    defined: bool

    def __new__(cls, value: float, **attributes: Any) -> OutcomeHomogenization:
        obj = super().__new__(cls, value)
        for key, item in attributes.items():
            setattr(obj, key, item)
        return obj

    def __repr__(self) -> str:
        return (
            f"OutcomeHomogenization({float(self)!r}, "
            f"systemic_failure_rate={self.systemic_failure_rate!r}, "
            f"expected_failure_rate={self.expected_failure_rate!r}, "
            f"n_units={self.n_units}, unit={self.unit!r})"
        )


def _homogenization(corpus: _Corpus, encoded: list[_Encoded], unit: str) -> OutcomeHomogenization:
    outcomes = np.stack([_outcomes(corpus, enc, unit)[0] for enc in encoded])
    n_units = outcomes.shape[1]
    if n_units == 0:
        raise HomogDataError(
            f"there are no {unit} units in the references (no gold entities?); outcome homogenization needs "
            "at least one. Use unit='sentence' or data with entities."
        )
    failed = ~outcomes
    rates = failed.mean(axis=1)
    all_fail = failed.all(axis=0)
    systemic = float(all_fail.mean())
    expected = float(np.prod(rates))
    shared = _unit_refs(corpus, unit, np.flatnonzero(all_fail))
    defined = expected > 0.0
    if defined:
        value = systemic / expected
    else:
        perfect = [enc.name for enc, rate in zip(encoded, rates.tolist(), strict=True) if rate == 0.0]
        warnings.warn(
            f"outcome homogenization is undefined (0 / 0): subject(s) {perfect} get every {unit} right, so "
            "no unit can be failed by every subject and the expected rate is 0; reported as 0.0.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        value = 0.0
    return OutcomeHomogenization(
        value,
        systemic_failure_rate=systemic,
        expected_failure_rate=expected,
        failure_rates={enc.name: float(r) for enc, r in zip(encoded, rates.tolist(), strict=True)},
        n_units=n_units,
        unit=unit,
        shared_failures=shared,
        defined=defined,
    )


def outcome_homogenization(
    y_true: Any,
    predictions: Mapping[str, Any],
    *,
    unit: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
) -> OutcomeHomogenization:
    """Outcome homogenization of two or more subjects (Bommasani et al. 2022, each unit its own group).

    The share of units that every subject fails (the systemic-failure rate) divided by the share expected if
    the subjects failed independently (the product of their failure rates). 1 means independent errors, larger
    values mean the subjects fail on the same units (a shared blind spot), smaller values that they fail on
    different units.

    When some subject fails no unit the expected rate is 0 and so is the systemic rate: the value is reported
    as 0.0 (no unit can be failed by every subject) with an
    :class:`~pytest_homog.errors.UndefinedMetricWarning`, and ``.defined`` is False.

    Parameters
    ----------
    y_true : sequence of sequences of str, or sequence of labels
        The references.
    predictions : mapping of str to predictions
        Two or more subjects' predictions of the same sentences or examples.
    unit : {"entity", "sentence", "token", "example"}, optional
        What can be failed (see the module docstring). Default: gold entities for tag sequences, examples for
        flat labels.
    scheme, mode : str
        How entities are read from tags.

    Returns
    -------
    OutcomeHomogenization
        A float with the rates it is made of and the units every subject fails.

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"], ["B-ORG", "O"], ["B-PER", "O"]]
    >>> a = [["B-PER", "O"], ["O", "O"], ["O", "O"], ["B-PER", "O"]]
    >>> b = [["B-PER", "O"], ["O", "O"], ["B-ORG", "O"], ["B-PER", "O"]]
    >>> h = outcome_homogenization(y_true, {"a": a, "b": b})
    >>> float(h), h.systemic_failure_rate, h.expected_failure_rate
    (2.0, 0.25, 0.125)
    >>> h.shared_failures
    [UnitRef(sentence=1, label='LOC', start=0, end=1)]
    """
    corpus, encoded = _encode_all(y_true, predictions, scheme, mode, "outcome_homogenization")
    return _homogenization(corpus, encoded, _resolve_unit(corpus, unit))


# ----------------------------------------------------------------------------------------------------------
# similarity matrix
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SimilarityMatrix:
    """Pairwise similarities of k subjects (higher = more alike, 1.0 on the diagonal).

    Attributes
    ----------
    names : tuple of str
        Subject names, in the order of the rows and columns.
    values : numpy.ndarray
        ``(k, k)`` symmetric matrix.
    by : str
        The measure (see :func:`similarity_matrix`).
    n : int, optional
        Number of units each pair was compared on.
    """

    names: tuple[str, ...]
    values: np.ndarray
    by: str
    n: int | None = None

    def pairs(self) -> list[tuple[str, str, float]]:
        """Every pair ``(name_i, name_j, value)`` with ``i < j``, most similar first."""
        k = len(self.names)
        out = [
            (self.names[i], self.names[j], float(self.values[i, j]))
            for i in range(k)
            for j in range(i + 1, k)
        ]
        return sorted(out, key=lambda p: -p[2])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for run records and reports)."""
        return {"by": self.by, "names": list(self.names), "values": self.values.tolist(), "n": self.n}

    def to_markdown(self, digits: int = 3) -> str:
        """The matrix as a Markdown table.

        Examples
        --------
        >>> m = SimilarityMatrix(("a", "b"), np.array([[1.0, 0.25], [0.25, 1.0]]), "error_consistency")
        >>> print(m.to_markdown())
        | error_consistency | a | b |
        | --- | ---: | ---: |
        | a | 1.000 | 0.250 |
        | b | 0.250 | 1.000 |
        """
        lines = [
            "| " + " | ".join([self.by, *self.names]) + " |",
            "| --- |" + " ---: |" * len(self.names),
        ]
        for name, row in zip(self.names, self.values.tolist(), strict=True):
            lines.append("| " + " | ".join([name, *(f"{v:.{digits}f}" for v in row)]) + " |")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_markdown()

    def plot(self, path: str | Path | None = None, *, title: str | None = None) -> bytes | Path:
        """Draw the matrix as a heatmap with the values written in the cells, as PNG.

        Needs matplotlib (``pip install 'pytest-homog[plot]'``). Uses matplotlib's object-oriented API with
        the Agg canvas, so no global backend or pyplot state is touched.

        Parameters
        ----------
        path : str or Path, optional
            Where to write the PNG; when omitted the PNG bytes are returned.
        title : str, optional
            Figure title; default names the measure.

        Returns
        -------
        bytes or pathlib.Path
            The PNG bytes, or the path written.
        """
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as exc:
            raise HomogUsageError(
                "SimilarityMatrix.plot needs matplotlib, which is not installed; "
                "pip install 'pytest-homog[plot]'"
            ) from exc
        k = len(self.names)
        size = 1.2 + 0.8 * k
        fig = Figure(figsize=(size + 1.2, size))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        finite = self.values[np.isfinite(self.values)]
        vmin = min(0.0, float(finite.min())) if finite.size else 0.0
        image = ax.imshow(self.values, vmin=vmin, vmax=1.0, cmap="viridis")
        ax.set_xticks(range(k), labels=list(self.names), rotation=45, ha="right")
        ax.set_yticks(range(k), labels=list(self.names))
        threshold = vmin + 0.6 * (1.0 - vmin)
        for i in range(k):
            for j in range(k):
                value = float(self.values[i, j])
                ax.text(
                    j,
                    i,
                    f"{value:.2f}",
                    ha="center",
                    va="center",
                    color="black" if value > threshold else "white",
                    fontsize=9,
                )
        fig.colorbar(image, ax=ax)
        ax.set_title(title if title is not None else f"similarity: {self.by}")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        data = buffer.getvalue()
        if path is None:
            return data
        out = Path(path)
        out.write_bytes(data)
        return out


def _outcome_matrix(corpus: _Corpus, encoded: list[_Encoded], unit: str) -> np.ndarray:
    outcomes = np.stack([_outcomes(corpus, enc, unit)[0] for enc in encoded])
    if outcomes.shape[1] == 0:
        raise HomogDataError(
            f"there are no {unit} units in the references (no gold entities?); use unit='sentence' or data "
            "with entities."
        )
    return outcomes


def _pair_names(names: list[str], mask: np.ndarray) -> list[tuple[str, str]]:
    ii, jj = np.nonzero(np.triu(mask, k=1))
    return [(names[i], names[j]) for i, j in zip(ii.tolist(), jj.tolist(), strict=True)]


def similarity_matrix(
    y_true: Any,
    predictions: Mapping[str, Any],
    *,
    by: str = "error_consistency",
    level: str | None = None,
    unit: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    debiased: bool = False,
) -> SimilarityMatrix:
    """Pairwise similarity of every pair of subjects, as a k x k matrix with 1.0 on the diagonal.

    ``by`` (every choice is a similarity: higher = more alike):

    ``"error_consistency"``
        kappa of :func:`error_consistency` on per-unit outcomes (``unit``); in [-1, 1].
    ``"disagreement"``
        ``1 - disagreement(a, b, level=level)``; in [0, 1]. ``y_true`` is used to validate only.
    ``"kappa"``
        :func:`cohen_kappa` of the predicted labels (tags, token by token, for sequences); in [-1, 1].
    ``"yules_q"``
        :func:`yules_q` on per-unit outcomes; in [-1, 1].
    ``"cka"``
        :func:`~pytest_homog.metrics.representation.linear_cka`; here ``predictions`` maps names to feature
        matrices with the same rows and ``y_true`` is ignored (pass ``None``).

    Undefined pairs take the documented value of their measure, with one
    :class:`~pytest_homog.errors.UndefinedMetricWarning` naming them. Double fault is not offered: it is
    bounded by the error rates and is not 1 on the diagonal.

    Per-unit outcomes are computed once per subject and the pairs from them with a few matrix products.

    Parameters
    ----------
    y_true : references
        Tag sequences or flat labels (``None`` for ``by="cka"``).
    predictions : mapping of str to predictions (or feature matrices)
        Two or more subjects.
    by : str
        The measure, see above.
    level : {"entity", "token", "label"}, optional
        For ``by="disagreement"``.
    unit : {"entity", "sentence", "token", "example"}, optional
        For ``by="error_consistency"`` and ``"yules_q"``.
    scheme, mode : str
        How entities are read from tags.
    debiased : bool
        For ``by="cka"``.

    Returns
    -------
    SimilarityMatrix

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"], ["B-ORG", "O"], ["B-PER", "O"]]
    >>> preds = {
    ...     "a": [["B-PER", "O"], ["O", "O"], ["O", "O"], ["B-PER", "O"]],
    ...     "b": [["B-PER", "O"], ["O", "O"], ["B-ORG", "O"], ["B-PER", "O"]],
    ... }
    >>> m = similarity_matrix(y_true, preds, by="error_consistency")
    >>> m.names, m.values.round(3).tolist()
    (('a', 'b'), [[1.0, 0.5], [0.5, 1.0]])
    """
    if by not in BY:
        raise HomogUsageError(f"by must be one of {', '.join(map(repr, BY))}; got {by!r}.")
    if by == "cka":
        return _cka_matrix(predictions, debiased)
    corpus, encoded = _encode_all(y_true, predictions, scheme, mode, "similarity_matrix")
    return _similarity(corpus, encoded, by, level, unit)


def homogenization_and_similarity(
    y_true: Any,
    predictions: Mapping[str, Any],
    *,
    by: str = "error_consistency",
    unit: str | None = None,
    level: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
) -> tuple[OutcomeHomogenization, SimilarityMatrix]:
    """:func:`outcome_homogenization` and :func:`similarity_matrix` (``by`` other than ``"cka"``) from one
    validation and encoding of the predictions; used by :func:`~pytest_homog.assert_not_homogeneous`.

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"]]
    >>> preds = {"a": [["B-PER", "O"], ["O", "O"]], "b": [["O", "O"], ["O", "O"]]}
    >>> h, m = homogenization_and_similarity(y_true, preds)
    >>> float(h), m.values.round(3).tolist()
    (1.0, [[1.0, 0.0], [0.0, 1.0]])
    """
    if by not in BY or by == "cka":
        raise HomogUsageError(f"by must be one of {', '.join(map(repr, BY[:-1]))} here; got {by!r}.")
    corpus, encoded = _encode_all(y_true, predictions, scheme, mode, "outcome_homogenization")
    unit = _resolve_unit(corpus, unit)
    return _homogenization(corpus, encoded, unit), _similarity(corpus, encoded, by, level, unit)


def _similarity(
    corpus: _Corpus, encoded: list[_Encoded], by: str, level: str | None, unit: str | None
) -> SimilarityMatrix:
    names = [enc.name for enc in encoded]
    k = len(encoded)
    values = np.ones((k, k))
    undefined = np.zeros((k, k), dtype=bool)
    n: int
    if by in ("error_consistency", "yules_q"):
        unit = _resolve_unit(corpus, unit)
        outcomes = _outcome_matrix(corpus, encoded, unit)
        n = outcomes.shape[1]
        right = outcomes.astype(np.float64)
        n11 = right @ right.T
        r = right.sum(axis=1)
        n10 = r[:, None] - n11
        n01 = r[None, :] - n11
        n00 = n - n11 - n10 - n01
        if by == "error_consistency":
            _, _, values, undefined = _kappa_from_counts(
                np.full((k, k), n), r[:, None] + 0 * n11, r[None, :] + 0 * n11, n11
            )
            message = _C_EXP_ONE
        else:
            values, undefined = _yules_q_counts(n11, n00, n10, n01)
            message = "Yule's Q is undefined (0 / 0); reported as 1.0 for identical outcomes, 0.0 otherwise"
    elif by == "disagreement":
        level = _resolve_level(corpus.nested, level)
        n = 0
        for i in range(k):
            for j in range(i + 1, k):
                differ, total = _disagreement_counts(encoded[i], encoded[j], level)
                undefined[i, j] = total == 0
                values[i, j] = values[j, i] = 1.0 if total == 0 else 1.0 - differ / total
                n = max(n, total)
        message = _EMPTY_UNION.replace("disagreement is reported as 0.0", "similarity is reported as 1.0")
    else:  # kappa
        n = int(encoded[0].codes.size)
        n_codes = len(corpus.registry)
        for i in range(k):
            for j in range(i + 1, k):
                value, undefined[i, j] = _kappa_codes(encoded[i].codes, encoded[j].codes, n_codes)
                values[i, j] = values[j, i] = value
        message = _KAPPA_UNDEFINED
    np.fill_diagonal(values, 1.0)
    np.fill_diagonal(undefined, False)
    pairs = _pair_names(names, undefined)
    if pairs:
        warnings.warn(f"{message}; pairs: {pairs}.", UndefinedMetricWarning, stacklevel=3)
    return SimilarityMatrix(tuple(names), values, by, n)


def _cka_matrix(features: Mapping[str, Any], debiased: bool) -> SimilarityMatrix:
    from pytest_homog.metrics.representation import as_feature_matrix, linear_cka

    if not isinstance(features, Mapping) or len(features) < 2:
        raise HomogUsageError(
            "similarity_matrix(by='cka') compares two or more subjects' feature matrices; pass a mapping "
            f"name -> (n_units, dim) array with at least two entries; got {type(features).__name__}"
            f"{'' if not isinstance(features, Mapping) else f' with {len(features)}'}."
        )
    names = [str(name) for name in features]
    mats = [as_feature_matrix(x, name=f"features of {name!r}") for name, x in features.items()]
    k = len(mats)
    values = np.ones((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            values[i, j] = values[j, i] = linear_cka(mats[i], mats[j], debiased=debiased)
    return SimilarityMatrix(tuple(names), values, "cka", mats[0].shape[0])


# ----------------------------------------------------------------------------------------------------------
# divergence of two subjects, with a paired bootstrap over sentences
# ----------------------------------------------------------------------------------------------------------

#: ``by`` values of :func:`divergence` (those of ``compare`` are handled by the assertions).
DIVERGENCE_BY = ("disagreement", "error_consistency")


def _per_sentence_disagreement(corpus: _Corpus, a: _Encoded, b: _Encoded, level: str) -> np.ndarray:
    """Per sentence (example): units that differ and units compared, shape ``(n_sentences, 2)``."""
    if level == "label":
        differ = (a.codes != b.codes).astype(np.float64)
        return np.stack([differ, np.ones_like(differ)], axis=1)
    assert corpus.lengths is not None
    n = len(corpus.lengths)
    if level == "token":
        sentence = np.repeat(np.arange(n), corpus.lengths)
        differ = np.bincount(sentence, weights=(a.codes != b.codes).astype(np.float64), minlength=n)
        return np.stack([differ, corpus.lengths.astype(np.float64)], axis=1)
    ea, eb = a.pred_entities, b.pred_entities
    assert ea is not None and eb is not None
    shared = np.isin(ea.keys, eb.keys, assume_unique=True)
    both = np.bincount(ea.sentence[shared], minlength=n)
    union = np.bincount(ea.sentence, minlength=n) + np.bincount(eb.sentence, minlength=n) - both
    return np.stack([union - both, union], axis=1).astype(np.float64)


def _per_sentence_consistency(corpus: _Corpus, a: _Encoded, b: _Encoded, unit: str) -> np.ndarray:
    """Per sentence (example): units, right by a, right by b, right by both; shape ``(n_sentences, 4)``."""
    oa, sentence = _outcomes(corpus, a, unit)
    ob, _ = _outcomes(corpus, b, unit)
    n = len(corpus.lengths) if corpus.lengths is not None else len(oa)
    cols = [np.ones(len(oa)), oa, ob, oa & ob]
    return np.stack([np.bincount(sentence, weights=c.astype(np.float64), minlength=n) for c in cols], axis=1)


def _divergence_from_totals(totals: np.ndarray, by: str) -> tuple[np.ndarray, np.ndarray]:
    """Divergence of every row of pooled counts, and the mask of rows where the measure is undefined."""
    if by == "disagreement":
        differ, union = totals[..., 0], totals[..., 1]
        undefined = union == 0
        return np.where(undefined, 0.0, differ / np.where(undefined, 1.0, union)), undefined
    with np.errstate(divide="ignore", invalid="ignore"):
        _, _, kappa, undefined = _kappa_from_counts(
            totals[..., 0], totals[..., 1], totals[..., 2], totals[..., 3]
        )
    return 1.0 - kappa, undefined


def divergence(
    y_true: Any,
    y_pred_a: Any,
    y_pred_b: Any,
    *,
    by: str = "disagreement",
    confidence: float = 0.95,
    level: str | None = None,
    unit: str | None = None,
    scheme: str = "IOB2",
    mode: str = "conlleval",
    n_resamples: int = 1000,
    seed: int | None = 0,
) -> Any:
    """How different two predictions are, with a paired-bootstrap confidence interval.

    ``by="disagreement"``: :func:`disagreement` at ``level``; ``by="error_consistency"``: ``1 - kappa`` of
    :func:`error_consistency` on the units of ``unit`` (0 = the same errors, 1 = as different as chance, up to
    2 for opposite outcomes). Each bootstrap replicate resamples sentences (examples for flat labels) once
    for both predictions, as :func:`~pytest_homog.metrics.stats.compare` does, and recomputes the measure from
    per-sentence counts pooled over the replicate. Replicates where the measure is undefined take its
    documented value (disagreement 0.0, kappa 1.0).

    Parameters
    ----------
    y_true : references
        Tag sequences or flat labels; used for validation, and as the units for error consistency.
    y_pred_a, y_pred_b : predictions
        Two predictions of the same sentences or examples.
    by : {"disagreement", "error_consistency"}
    confidence : float
        Coverage of the percentile interval.
    level, unit, scheme, mode
        As in :func:`disagreement` and :func:`unit_outcomes`.
    n_resamples, seed : int
        Bootstrap replicates and seed.

    Returns
    -------
    pytest_homog.metrics.stats.Estimate
        ``metric`` is ``by``, ``n`` the number of sentences (examples) resampled.

    Examples
    --------
    >>> y_true = [["B-PER", "O"], ["B-LOC", "O"], ["B-ORG", "O"], ["O", "O"]] * 5
    >>> a = [["B-PER", "O"], ["B-LOC", "O"], ["O", "O"], ["O", "O"]] * 5
    >>> b = [["B-PER", "O"], ["O", "O"], ["B-ORG", "O"], ["O", "O"]] * 5
    >>> est = divergence(y_true, a, b, n_resamples=200)
    >>> round(est.value, 3), est.low <= est.value <= est.high
    (0.667, True)
    """
    from pytest_homog.metrics.stats import (
        Estimate,
        bootstrap_indices,
        check_confidence,
        check_n_resamples,
        check_seed,
    )

    if by not in DIVERGENCE_BY:
        raise HomogUsageError(f"by must be one of {', '.join(map(repr, DIVERGENCE_BY))}; got {by!r}.")
    confidence = check_confidence(confidence)
    n_resamples = check_n_resamples(n_resamples)
    seed = check_seed(seed)
    corpus = _corpus(y_true, scheme, mode)
    enc_a = _encode(corpus, y_pred_a, "y_pred_a")
    enc_b = _encode(corpus, y_pred_b, "y_pred_b")
    if by == "disagreement":
        level = _resolve_level(corpus.nested, level)
        per_sentence = _per_sentence_disagreement(corpus, enc_a, enc_b, level)
        message = _EMPTY_UNION
    else:
        unit = _resolve_unit(corpus, unit)
        per_sentence = _per_sentence_consistency(corpus, enc_a, enc_b, unit)
        if per_sentence[:, 0].sum() == 0:
            raise HomogDataError(
                f"there are no {unit} units in the references (no gold entities?); use unit='sentence' or "
                "data with entities."
            )
        message = _C_EXP_ONE.replace(
            "kappa is reported as 1.0", "the divergence 1 - kappa is reported as 0.0"
        )
    value, undefined = _divergence_from_totals(per_sentence.sum(axis=0), by)
    if bool(undefined):
        warnings.warn(message + ".", UndefinedMetricWarning, stacklevel=2)
    n = per_sentence.shape[0]
    replicates = np.concatenate(
        [
            _divergence_from_totals(per_sentence[idx].sum(axis=1), by)[0]
            for idx in bootstrap_indices(n, n_resamples, seed)
        ]
    )
    alpha = 1.0 - confidence
    low, high = np.quantile(replicates, [alpha / 2.0, 1.0 - alpha / 2.0])
    return Estimate(
        float(value),
        float(low),
        float(high),
        confidence,
        n,
        metric=by,
        level=level if by == "disagreement" else unit,
        n_resamples=n_resamples,
    )
