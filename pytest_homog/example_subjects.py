"""Generated examples as the subjects and data of the metric assertions.

``assert_models_diverge(a, b, examples, ...)`` accepts, as its data, a hypothesis strategy or a list of
:class:`~pytest_homog.perturbations.LabelledSentence` / :class:`~pytest_homog.perturbations.TextExample`. The
strategy is searched as :func:`~pytest_homog.checks.behaviour.assert_models_disagree_somewhere` searches it, and
both models' predictions on the distinct examples seen become two subjects (:class:`ReplayedSubject`) over one
:class:`GeneratedData`, which the metric assertions read as any other subject and data.
"""

from __future__ import annotations

import sys
from typing import Any

from pytest_homog.errors import HomogUsageError
from pytest_homog.labelled import Example, LabelledSentence, TextExample

__all__ = ["GeneratedData", "ReplayedSubject", "is_example_data", "subjects_on_examples"]


class ReplayedSubject:
    """A model's predictions on the examples a search generated, as a subject of the metric assertions."""

    def __init__(self, name: str, y_true: list[Any], y_pred: list[Any], texts: list[str]) -> None:
        self.homog_name = name
        self._result = (y_true, y_pred, texts)

    def homog_predict(self, data: Any) -> tuple[list[Any], list[Any], list[str]]:
        """(gold, predictions, texts) of the generated examples, whatever ``data`` is."""
        return self._result


class GeneratedData:
    """The distinct examples a search generated (or that were given), as the ``data`` of a metric assertion."""

    def __init__(self, examples: list[Example], generated: bool) -> None:
        self.examples = examples
        self.homog_name = f"{'generated' if generated else 'given'} examples ({len(examples)})"

    def homog_references(self) -> list[Any]:
        """The gold tags (as lists) or labels of the examples."""
        return [
            list(example.tags) if isinstance(example, LabelledSentence) else example.label for example in self.examples
        ]


def is_example_data(data: Any) -> bool:
    """Whether ``data`` is a hypothesis strategy or a non-empty list or tuple of examples (all
    :class:`~pytest_homog.perturbations.LabelledSentence` or all :class:`~pytest_homog.perturbations.TextExample`),
    without importing hypothesis when nothing has.

    Examples
    --------
    >>> is_example_data([TextExample("good", "pos")]), is_example_data([["B-PER", "O"]])
    (True, False)
    """
    if isinstance(data, (list, tuple)):
        kinds = (LabelledSentence, TextExample)
        return bool(data) and any(all(isinstance(item, kind) for item in data) for kind in kinds)
    strategies = sys.modules.get("hypothesis.strategies")
    return strategies is not None and isinstance(data, strategies.SearchStrategy)


def subjects_on_examples(
    a: Any, b: Any, examples: Any, *, max_examples: int = 100, seed: int | None = 0
) -> tuple[ReplayedSubject, ReplayedSubject, GeneratedData]:
    """Both models' predictions on ``examples`` (a strategy, searched as
    :func:`~pytest_homog.checks.behaviour.assert_models_disagree_somewhere` searches it, or a list of examples), as
    two subjects and their data for the metric assertions: the data is the distinct examples seen, in order, with
    their gold tags or labels.

    Examples
    --------
    >>> from pytest_homog.strategies import labelled_sentences
    >>> upper = lambda batch: [["B-PER" if t[:1].isupper() else "O" for t in s] for s in batch]
    >>> silent = lambda batch: [["O"] * len(s) for s in batch]
    >>> subject_a, subject_b, data = subjects_on_examples(upper, silent, labelled_sentences(max_len=4), max_examples=20)
    >>> y_true, y_pred, texts = subject_a.homog_predict(data)
    >>> len(y_true) == len(data.examples) == len(texts), subject_b.homog_name
    (True, '<lambda>')
    """
    from pytest_homog.checks.behaviour import explore
    from pytest_homog.prediction_cache import model_name

    tracker = explore(a, b, examples, max_examples=max_examples, seed=seed)
    seen = list(tracker.observed)
    if not seen:
        raise HomogUsageError("examples gave no example to compare the models on; pass a non-empty strategy or list.")
    texts = [example.text if isinstance(example, TextExample) else " ".join(example.tokens) for example in seen]
    gold = GeneratedData(seen, generated=not isinstance(examples, (list, tuple)))
    y_true = gold.homog_references()
    as_list = list if isinstance(seen[0], LabelledSentence) else (lambda prediction: prediction)
    predictions_a = [as_list(tracker.observed[example][0]) for example in seen]
    predictions_b = [as_list(tracker.observed[example][1]) for example in seen]
    return (
        ReplayedSubject(model_name(a), y_true, predictions_a, texts),
        ReplayedSubject(model_name(b), y_true, predictions_b, texts),
        gold,
    )
