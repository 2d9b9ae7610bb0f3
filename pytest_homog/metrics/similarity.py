"""Similarity matrices: how alike every pair of a group of subjects is, with paired-bootstrap intervals.

:func:`similarity_matrix` takes the references and a mapping ``name -> predictions`` and gives a
:class:`SimilarityMatrix` (with its Markdown table and heatmap). With a ``confidence`` every entry gets a
paired-bootstrap interval over sentences (examples): the counts each measure is made of are kept per sentence and
every replicate's totals come from one matrix product (:mod:`pytest_homog.metrics.group_counts`).

References
----------
Geirhos, Meding and Wichmann (2020), "Beyond accuracy: quantifying trial-by-trial behaviour of CNNs and humans
by measuring error consistency", NeurIPS.
Kuncheva and Whitaker (2003), "Measures of Diversity in Classifier Ensembles and Their Relationship with the
Ensemble Accuracy", Machine Learning 51.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pytest_homog.corpus import Predictions
from pytest_homog.errors import HomogDataError, HomogUsageError, UndefinedMetricWarning
from pytest_homog.metrics.agreement import (
    CONSISTENCY_UNDEFINED,
    EMPTY_UNION,
    KAPPA_UNDEFINED,
    per_sentence_disagreement,
)
from pytest_homog.metrics.capa import UNDEFINED as CAPA_UNDEFINED
from pytest_homog.metrics.capa import kappa_from_totals, per_sentence_counts
from pytest_homog.metrics.group import bind_group, check_group, check_interval_options
from pytest_homog.metrics.group_counts import (
    interval,
    pair_columns,
    pair_counts,
    pair_measure,
    replicate_totals,
    sentence_sums,
)

__all__ = ["BY", "SimilarityMatrix", "check_by", "cka_matrix", "similarity_matrix", "similarity_of"]

#: ``by`` values of :func:`similarity_matrix`; each is a similarity (higher = more alike, 1 on the diagonal).
BY = ("error_consistency", "disagreement", "kappa", "yules_q", "shared_failure", "same_wrong_answer", "capa", "cka")


def _json_ready(matrix: np.ndarray) -> list[list[float | None]]:
    return [[None if math.isnan(x) else x for x in row] for row in matrix.tolist()]


def check_by(by: object) -> str:
    """Return ``by`` if it is one of :data:`BY`."""
    if not isinstance(by, str) or by not in BY:
        raise HomogUsageError(f"by must be one of {', '.join(map(repr, BY))}; got {by!r}.")
    return by


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
        Number of units each pair was compared on (the most any pair was compared on, where pairs differ).
    low, high : numpy.ndarray, optional
        ``(k, k)`` bounds of each entry's paired-bootstrap interval, when a ``confidence`` was asked for (1.0 on the
        diagonal; NaN where the measure is undefined in too many replicates).
    confidence : float, optional
        The intervals' nominal coverage.
    """

    names: tuple[str, ...]
    values: np.ndarray
    by: str
    n: int | None = None
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    confidence: float | None = None

    def pairs(self) -> list[tuple[str, str, float]]:
        """Every pair ``(name_i, name_j, value)`` with ``i < j``, most similar first; undefined (NaN) pairs come
        before all others, as no bound can show them dissimilar."""
        k = len(self.names)
        out = [(self.names[i], self.names[j], float(self.values[i, j])) for i in range(k) for j in range(i + 1, k)]
        return sorted(out, key=lambda p: (not math.isnan(p[2]), -p[2]))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for run records and reports); ``low``, ``high`` and ``confidence`` only when the
        matrix has intervals; undefined (NaN) entries and bounds as None, which JSON can hold."""
        out: dict[str, Any] = {"by": self.by, "names": list(self.names), "values": _json_ready(self.values)}
        out["n"] = self.n
        if self.low is not None and self.high is not None:
            out["low"], out["high"] = _json_ready(self.low), _json_ready(self.high)
            out["confidence"] = self.confidence
        return out

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
                "SimilarityMatrix.plot needs matplotlib, which is not installed; pip install 'pytest-homog[plot]'"
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


#: what each measure's undefined pairs are reported as
_UNDEFINED = {
    "error_consistency": CONSISTENCY_UNDEFINED,
    "yules_q": "Yule's Q is undefined (0 / 0); reported as 1.0 for identical outcomes, 0.0 otherwise",
    "shared_failure": (
        "shared failure is undefined (0 / 0) when one of a pair fails no unit, or the other fails every unit; "
        "reported as NaN"
    ),
    "disagreement": EMPTY_UNION.replace("disagreement is reported as 0.0", "similarity is reported as 1.0"),
    "kappa": KAPPA_UNDEFINED,
    "capa": CAPA_UNDEFINED,
    "same_wrong_answer": "same wrong answer is undefined when a pair fails no unit together; reported as NaN",
}

#: a measure of every pair ``i < j`` (row-major) from column totals (last axis): values and undefined mask
Measure = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def _on_outcomes(group: list[Predictions], by: str, unit: str) -> tuple[np.ndarray, Measure, int]:
    """Per-sentence counts and the measure of error consistency, Yule's Q or shared failure."""
    corpus = group[0].corpus
    right, sentence, spurious = corpus.group_outcomes(group, unit)
    if right.shape[1] == 0:
        raise HomogDataError(
            f"there are no {unit} units in the references (no gold entities?); use unit='sentence' or data "
            "with entities."
        )
    per_sentence = pair_columns(right, spurious, sentence, corpus.n_units)
    k = len(group)

    def measure(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return pair_measure(pair_counts(totals, k), by)

    return per_sentence, measure, int(pair_counts(per_sentence.sum(axis=0), k).n.max())


def _on_same_wrong(group: list[Predictions], unit: str) -> tuple[np.ndarray, Measure, int]:
    """Per-sentence counts (units both fail, units both fail with the same output; per pair) and their ratio."""
    from pytest_homog.metrics.wrong_answers import per_sentence_same_wrong

    k = len(group)
    per_sentence = np.concatenate(
        [per_sentence_same_wrong([group[i], group[j]], unit) for i, j in zip(*np.triu_indices(k, 1), strict=True)],
        axis=1,
    )

    def measure(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        both, same = totals[..., 0::2], totals[..., 1::2]
        undefined = both == 0
        return np.where(undefined, np.nan, same / np.where(undefined, 1.0, both)), undefined

    return per_sentence, measure, int(per_sentence[:, 0::2].sum(axis=0).max())


def _on_disagreement(group: list[Predictions], level: str) -> tuple[np.ndarray, Measure, int]:
    """Per-sentence counts (units that differ, units compared; per pair) and ``1 - disagreement``."""
    k = len(group)
    per_sentence = np.concatenate(
        [per_sentence_disagreement(group[i], group[j], level) for i, j in zip(*np.triu_indices(k, 1), strict=True)],
        axis=1,
    )

    def measure(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        differ, compared = totals[..., 0::2], totals[..., 1::2]
        undefined = compared == 0
        return np.where(undefined, 1.0, 1.0 - differ / np.where(undefined, 1.0, compared)), undefined

    return per_sentence, measure, int(per_sentence[:, 1::2].sum(axis=0).max())


def _on_labels(group: list[Predictions]) -> tuple[np.ndarray, Measure, int]:
    """Per-sentence counts (tokens, each subject's labels, each pair's equal labels) and Cohen's kappa."""
    corpus = group[0].corpus
    k, n, n_codes = len(group), corpus.n_units, len(corpus.values)
    first, second = np.triu_indices(k, 1)
    codes = np.stack([predictions.codes for predictions in group])
    label_counts = [
        np.bincount(corpus.token_unit * n_codes + row, minlength=n * n_codes).reshape(n, n_codes) for row in codes
    ]
    equal = sentence_sums(codes[first] == codes[second], corpus.token_unit, n)
    per_sentence = np.concatenate([corpus.lengths[:, None], *label_counts, equal], axis=1).astype(np.float64)

    def measure(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        size = totals[..., :1]
        counts = totals[..., 1 : 1 + k * n_codes].reshape(*totals.shape[:-1], k, n_codes)
        chance = (counts[..., first, :] * counts[..., second, :]).sum(axis=-1)
        # chance agreement is total exactly when both give one and the same label everywhere
        undefined = chance == size * size
        with np.errstate(divide="ignore", invalid="ignore"):
            p_o, p_e = totals[..., 1 + k * n_codes :] / size, chance / (size * size)
            return np.where(undefined, 1.0, (p_o - p_e) / np.where(undefined, 1.0, 1.0 - p_e)), undefined

    return per_sentence, measure, int(codes.shape[1])


def _square(pairs: np.ndarray, k: int) -> np.ndarray:
    """A symmetric ``(k, k)`` matrix with 1.0 on the diagonal from the values of the pairs ``i < j``."""
    out = np.ones((k, k))
    first, second = np.triu_indices(k, 1)
    out[first, second] = out[second, first] = pairs
    return out


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
    labels: Sequence[Any] | None = None,
    confidence: float | None = None,
    n_resamples: int = 1000,
    seed: int | None = 0,
) -> SimilarityMatrix:
    """Pairwise similarity of every pair of subjects, as a k x k matrix with 1.0 on the diagonal.

    ``by`` (every choice is a similarity: higher = more alike):

    ``"error_consistency"``
        kappa of :func:`~pytest_homog.metrics.agreement.error_consistency` on per-unit outcomes (``unit``); in [-1, 1].
    ``"disagreement"``
        ``1 - disagreement(a, b, level=level)``; in [0, 1]. ``y_true`` is used to validate only.
    ``"kappa"``
        :func:`~pytest_homog.metrics.agreement.cohen_kappa` of the predicted labels (tags, token by token, for
        sequences); in [-1, 1].
    ``"yules_q"``
        :func:`~pytest_homog.metrics.agreement.yules_q` on per-unit outcomes; in [-1, 1].
    ``"shared_failure"``
        :func:`~pytest_homog.metrics.homogenization.shared_failure` of the pair on per-unit outcomes (1 for
        identical outcomes); NaN where undefined (one of the pair fails nothing).
    ``"same_wrong_answer"``
        :func:`~pytest_homog.metrics.wrong_answers.same_wrong_answer`'s rate for the pair: of the units both fail,
        the share where they give the same wrong output (1 on the diagonal); NaN where the pair fails no unit
        together. ``unit="sentence"`` is refused.
    ``"capa"``
        :func:`~pytest_homog.metrics.capa.capa`; here ``predictions`` maps names to probabilities over
        ``labels`` (as ``capa`` takes them), or to models from the fixtures, which give their own (``y_true`` is
        then the data they predict on, see :func:`~pytest_homog.subjects.model_probabilities`); NaN where
        undefined.
    ``"cka"``
        :func:`~pytest_homog.metrics.representation.linear_cka`; here ``predictions`` maps names to feature
        matrices with the same rows and ``y_true`` is ignored (pass ``None``).

    Undefined pairs take the documented value of their measure, with one
    :class:`~pytest_homog.errors.UndefinedMetricWarning` naming them. Double fault is not offered: it is
    bounded by the error rates and is not 1 on the diagonal. With ``unit="span"`` a pair is compared on the gold
    entities and the spans at least one of the two predicts, so its value does not depend on the rest of the group.

    With a ``confidence`` every entry but CKA's gets a paired-bootstrap interval (``.low``, ``.high``): each
    replicate resamples sentences (examples) once for all subjects (:mod:`pytest_homog.metrics.group_counts`).

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
    unit : {"entity", "sentence", "token", "example", "span"}, optional
        For ``by="error_consistency"``, ``"yules_q"``, ``"shared_failure"`` and ``"same_wrong_answer"``.
    scheme, mode : str
        How entities are read from tags.
    debiased : bool
        For ``by="cka"``.
    labels : sequence, optional
        For ``by="capa"``: the label of each probability column (see :func:`~pytest_homog.metrics.capa.capa`).
    confidence, n_resamples, seed
        Coverage of the intervals (None, the default, computes none), bootstrap replicates and seed, as in
        :func:`~pytest_homog.metrics.bootstrap.score`.

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
    checked = check_interval_options(confidence, n_resamples, seed)
    if check_by(by) == "cka":
        return cka_matrix(predictions, debiased)
    if by == "capa":
        return capa_matrix(y_true, predictions, labels, checked)
    group = bind_group(y_true, predictions, scheme, mode, "similarity_matrix")
    return similarity_of(group, by, level, unit, confidence=checked[0], n_resamples=checked[1], seed=checked[2])


def similarity_of(
    group: list[Predictions],
    by: str,
    level: str | None,
    unit: str | None,
    *,
    confidence: float | None = None,
    n_resamples: int = 1000,
    seed: int | None = 0,
) -> SimilarityMatrix:
    """:func:`similarity_matrix` of predictions bound to one corpus (``by`` other than ``"capa"`` and ``"cka"``,
    which compare probabilities and hidden states); the interval options must be valid already."""
    if by in ("capa", "cka"):
        raise HomogUsageError(
            f"by={by!r} compares {'probabilities' if by == 'capa' else 'hidden states'}, not predictions; use "
            f"similarity_matrix with a mapping of name -> {'probabilities' if by == 'capa' else 'features'}."
        )
    corpus = group[0].corpus
    if by == "disagreement":
        per_sentence, measure, n = _on_disagreement(group, corpus.resolve_level(level))
    elif by == "kappa":
        per_sentence, measure, n = _on_labels(group)
    elif by == "same_wrong_answer":
        per_sentence, measure, n = _on_same_wrong(group, corpus.resolve_unit(unit))
    else:
        per_sentence, measure, n = _on_outcomes(group, by, corpus.resolve_unit(unit))
    names = [predictions.name for predictions in group]
    return _matrix(names, by, per_sentence, measure, n, (confidence, n_resamples, seed))


def _matrix(
    names: list[str],
    by: str,
    per_sentence: np.ndarray,
    measure: Measure,
    n: int,
    options: tuple[float | None, int, int | None],
) -> SimilarityMatrix:
    """The matrix of ``measure`` on the totals of ``per_sentence``, warning about undefined pairs, with intervals
    when ``options`` (confidence, n_resamples, seed) has a confidence."""
    values, undefined = measure(per_sentence.sum(axis=0))
    k = len(names)
    pairs = [(names[i], names[j]) for i, j in zip(*np.triu_indices(k, 1), strict=True)]
    if undefined.any():
        named = [pair for pair, flag in zip(pairs, undefined.tolist(), strict=True) if flag]
        warnings.warn(f"{_UNDEFINED[by]}; pairs: {named}.", UndefinedMetricWarning, stacklevel=4)
    confidence, n_resamples, seed = options
    if confidence is None:
        return SimilarityMatrix(tuple(names), _square(values, k), by, n)
    replicates = measure(replicate_totals(per_sentence, n_resamples, seed))[0]
    bounds = np.array([interval(replicates[:, pair], confidence) for pair in range(len(pairs))]).reshape(-1, 2)
    return SimilarityMatrix(
        tuple(names), _square(values, k), by, n, _square(bounds[:, 0], k), _square(bounds[:, 1], k), confidence
    )


def capa_matrix(
    y_true: Any,
    probabilities: Mapping[str, Any],
    labels: Sequence[Any] | None,
    options: tuple[float | None, int, int | None],
) -> SimilarityMatrix:
    """:func:`similarity_matrix` with ``by="capa"``: :func:`~pytest_homog.metrics.capa.capa` of every pair of
    probability inputs; ``options`` (confidence, n_resamples, seed) must be valid already."""
    check_group(
        probabilities, "similarity_matrix(by='capa')", "probabilities", "{'model_a': proba_a, 'model_b': proba_b}"
    )
    from pytest_homog.subjects import model_probabilities

    names = [str(name) for name in probabilities]
    from_models = model_probabilities(y_true, probabilities, labels)
    if from_models is not None:
        y_true, probabilities, labels = from_models
    per_sentence, chance_share, n = per_sentence_counts(
        y_true, {f"probabilities of {str(name)!r}": proba for name, proba in probabilities.items()}, labels
    )
    k = len(names)

    def measure(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        kappa = kappa_from_totals(totals, chance_share, k)[2]
        return kappa, np.isnan(kappa)

    return _matrix(names, "capa", per_sentence, measure, n, options)


def cka_matrix(features: Mapping[str, Any], debiased: bool) -> SimilarityMatrix:
    """:func:`similarity_matrix` with ``by="cka"``: linear CKA of every pair of feature matrices."""
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
