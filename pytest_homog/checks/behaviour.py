"""Behavioural checks in the CheckList sense, usable inside hypothesis ``@given`` tests.

A model is a tagger or a classifier as :mod:`pytest_homog.prediction_cache` defines them (a callable on a batch,
or an object with ``predict_tags``, ``predict_labels`` or ``predict``). Which one a check needs follows from the
example: a :class:`~pytest_homog.perturbations.LabelledSentence` asks a tagger, a
:class:`~pytest_homog.perturbations.TextExample` a classifier. Every prediction goes through the prediction
cache, so a property test never runs the model twice on an example it has already seen, shrinking included.
Build models in session fixtures, outside ``@given``.

Checks:

- :func:`assert_invariant`: the prediction does not change under a perturbation that keeps the gold labels.
- :func:`assert_directional`: the prediction on the perturbed input moves as ``expect`` says.
- :func:`assert_min_functionality`: simple cases the model must get right (a minimum functionality test).
- :class:`DisagreementTracker` and :func:`assert_models_disagree_somewhere`: divergence as a property, two
  models must disagree somewhere on generated examples; hypothesis' ``target()`` steers the search toward larger
  disagreement.

Every check records a :class:`~pytest_homog.record.CheckRecord`, whether it passes or fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from pytest_homog.checks.messages import resolve_seed
from pytest_homog.errors import HomogDataError, HomogUsageError
from pytest_homog.labelled import Example, LabelledSentence, TextExample
from pytest_homog.perturbations import Perturbation, Perturbed
from pytest_homog.prediction_cache import model_name, predict_examples
from pytest_homog.record import CheckRecord, record_check, record_example_check
from pytest_homog.run_context import RUN_SEED, RunSeed

__all__ = [
    "DisagreementTracker",
    "assert_directional",
    "assert_invariant",
    "assert_min_functionality",
    "assert_models_disagree_somewhere",
    "explore",
    "predicted_entities",
]

_TARGET_LABEL = "homog-disagreement"
_MAX_ROWS = 40
_EXPECTATIONS = ("found", "not_worse")


# ----------------------------------------------------------------------------------------------------
# shared helpers
# ----------------------------------------------------------------------------------------------------


def predicted_entities(tags: Sequence[str], scheme: str) -> set[tuple[str, int, int]]:
    """Entities of a model's predicted tags, read leniently (``mode="conlleval"``) as the metrics do by default.

    BILOU has ``U-``/``L-`` tags that the lenient reading does not know, so BILOU predictions are read strictly
    (ill-formed entities dropped), and leniently only if they hold tags outside the scheme.

    Examples
    --------
    >>> predicted_entities(["I-PER", "O"], "IOB2")
    {('PER', 0, 1)}
    >>> sorted(predicted_entities(["B-PER", "L-PER", "O", "U-LOC"], "BILOU"))
    [('LOC', 3, 4), ('PER', 0, 2)]
    """
    from pytest_homog.metrics.tags import extract_entities

    if scheme == "BILOU":
        try:
            return set(extract_entities(list(tags), scheme=scheme, mode="strict"))
        except HomogDataError:
            pass
    return set(extract_entities(list(tags), mode="conlleval"))


def _resolve(example: Any, perturbation: Any) -> Perturbed:
    """The :class:`Perturbed` pair a check compares: ``example`` perturbed, or ``example`` itself."""
    if perturbation is None:
        if isinstance(example, Perturbed):
            return example
        raise HomogUsageError(
            f"pass a perturbation (e.g. CaseChange()) or a Perturbed as the example; got {type(example).__name__} "
            "and no perturbation."
        )
    if isinstance(perturbation, Perturbed):
        if perturbation.original != example:
            raise HomogUsageError("the Perturbed passed as perturbation was built from another example.")
        return perturbation
    if not callable(perturbation):
        raise HomogUsageError(
            f"perturbation must be a Perturbation (CaseChange, Typo, ...) or a callable example -> Perturbed; got "
            f"{perturbation!r}."
        )
    result = perturbation(example)
    if not isinstance(result, Perturbed):
        raise HomogUsageError(f"perturbation {perturbation!r} returned {type(result).__name__}, not a Perturbed.")
    return result


def _format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    shown = list(rows[:_MAX_ROWS])
    widths = [max(len(str(row[column])) for row in [header, *shown]) for column in range(len(header))]
    lines = [
        "  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *shown]
    ]
    if len(rows) > _MAX_ROWS:
        lines.append(f"  ... {len(rows) - _MAX_ROWS} more rows")
    return "\n".join(lines)


_ALIGNED_HEADER = ("pos", "original", "perturbed", "gold", "pred original", "pred perturbed", "")


def _aligned_rows(pair: Perturbed, before: Sequence[str], after: Sequence[str], flagged: set[int]) -> list[list[str]]:
    """One row per token of the original and the perturbed sentence, aligned; flagged original positions marked.

    ``before`` and ``after`` are the predicted tags of the original and of the perturbed sentence.
    """
    original, perturbed = cast(LabelledSentence, pair.original), cast(LabelledSentence, pair.perturbed)
    inverse = {j: i for i, j in enumerate(pair.alignment) if j is not None}
    span = set(pair.changed)
    rows, i, j = [], 0, 0
    while i < len(original.tokens) or j < len(perturbed.tokens):
        if i < len(original.tokens) and pair.alignment[i] is None:
            rows.append([str(i), repr(original.tokens[i]), "-", original.tags[i], before[i], "-", "removed"])
            i += 1
        elif j < len(perturbed.tokens) and j not in inverse:
            rows.append(["", "-", repr(perturbed.tokens[j]), perturbed.tags[j], "-", after[j], "* inserted"])
            j += 1
        else:
            mark = "* " if j in span else ""
            if i in flagged:
                mark += "<- changed"
            tokens = [repr(original.tokens[i]), repr(perturbed.tokens[j])]
            rows.append([str(i), *tokens, perturbed.tags[j], before[i], after[j], mark])
            i += 1
            j += 1
    return rows


def _reproduce(check: str, pair: Perturbed, perturbation: Any) -> str:
    """The call that reproduces a failure, with the example written out and the smallest equivalent perturbation."""
    original = pair.original
    if isinstance(original, LabelledSentence):
        example = (
            f"LabelledSentence.from_tags({list(original.tokens)!r}, {list(original.tags)!r}, "
            f"scheme={original.scheme!r})"
        )
    else:
        example = repr(original)
    if perturbation is None or isinstance(perturbation, Perturbed):
        what = "..."
    elif hasattr(perturbation, "minimal") and isinstance(original, LabelledSentence):
        what = repr(perturbation.minimal(original))
    else:
        what = repr(perturbation)
    return f"{check}(model, {example}, {what})"


def _record_perturbation_check(
    check: str, metric: str, model: Any, pair: Perturbed, started: float, details: dict[str, Any], **fields: Any
) -> None:
    """Record one invariance or directional check on ``pair`` (folded per property test)."""
    record_example_check(
        CheckRecord(
            check=check,
            metric=metric,
            scheme=getattr(pair.original, "scheme", None),
            subjects=(model_name(model),),
            details={"perturbation": pair.kind, "description": pair.description, **details},
            duration=time.perf_counter() - started,
            **fields,
        )
    )


# ----------------------------------------------------------------------------------------------------
# invariance
# ----------------------------------------------------------------------------------------------------


def assert_invariant(
    model: Any,
    example: Example | Perturbed,
    perturbation: Perturbation | Callable[..., Perturbed] | None = None,
    *,
    inside: bool | None = None,
) -> Perturbed:
    """Assert the model's prediction does not change under ``perturbation``.

    Taggers: the predicted tag of every aligned token (:attr:`Perturbed.alignment`) must be the same on the
    original and the perturbed sentence. Tokens inside the perturbed span are compared too when the perturbation
    preserves their gold labels (case changes, typos, whitespace: the edited token keeps its tag, so its
    prediction should not move); with an entity swap the span holds a different entity and only tokens outside
    it are compared. ``inside=True`` / ``False`` forces either. Inserted tokens (context, punctuation) have no
    counterpart and are not compared, nor are tokens whose gold tag itself changed (in IOB1 and IOE1, removing a
    token between two entities of one type turns ``I-`` into ``B-`` or ``E-``). Classifiers: the predicted label
    must not change.

    Parameters
    ----------
    model : tagger or classifier
        See :mod:`pytest_homog.prediction_cache` for the protocol.
    example : LabelledSentence, TextExample or Perturbed
        The example, or an already perturbed one (then leave ``perturbation`` out).
    perturbation : Perturbation or callable, optional
        E.g. ``CaseChange(how="lower")`` or one drawn from :mod:`pytest_homog.strategies`.
    inside : bool, optional
        Compare the aligned tokens inside the perturbed span (edited in place; replaced and inserted tokens have
        no counterpart). Default: when the perturbation preserves labels.

    Returns
    -------
    Perturbed
        The perturbation that was checked.

    Raises
    ------
    AssertionError
        With the original and perturbed tokens aligned, the gold tags, both predictions, and how to reproduce.

    Examples
    --------
    >>> from pytest_homog.perturbations import CaseChange, LabelledSentence
    >>> names = {"alice": "PER"}
    >>> def tagger(batch):
    ...     return [["B-" + names[t.lower()] if t.lower() in names else "O" for t in s] for s in batch]
    >>> s = LabelledSentence.from_entities(["I", "met", "Alice"], [("PER", 2, 3)])
    >>> _ = assert_invariant(tagger, s, CaseChange(how="upper"))
    """
    __tracebackhide__ = True
    started = time.perf_counter()
    pair = _resolve(example, perturbation)
    compare_inside = pair.preserves_labels if inside is None else inside
    before, after = predict_examples(model, [pair.original, pair.perturbed])
    flagged, compared = _changed_predictions(pair, before, after, compare_inside)
    _record_perturbation_check(
        "assert_invariant",
        "changed_predictions",
        model,
        pair,
        started,
        {"applied": pair.applied},
        value=float(len(flagged)),
        passed=not flagged,
        threshold=0.0,
        n=compared,
        level="token" if isinstance(pair.original, LabelledSentence) else "label",
    )
    if not flagged:
        return pair
    raise AssertionError(
        _invariance_failure(model, pair, perturbation, before, after, flagged, compared, compare_inside, inside)
    )


def _changed_predictions(pair: Perturbed, before: Any, after: Any, compare_inside: bool) -> tuple[set[int], int]:
    """(original positions whose prediction changed, number compared); a classifier's one label is position 0."""
    original = pair.original
    if not isinstance(original, LabelledSentence):
        return ({0} if before != after else set()), 1
    span = set(pair.changed)
    perturbed_tags = cast(LabelledSentence, pair.perturbed).tags
    compared = [
        (i, j)
        for i, j in enumerate(pair.alignment)
        if j is not None and (compare_inside or j not in span) and original.tags[i] == perturbed_tags[j]
    ]
    return {i for i, j in compared if before[i] != after[j]}, len(compared)


def _invariance_failure(
    model: Any,
    pair: Perturbed,
    perturbation: Any,
    before: Any,
    after: Any,
    flagged: set[int],
    compared: int,
    compare_inside: bool,
    inside: bool | None,
) -> str:
    original, perturbed = pair.original, pair.perturbed
    if isinstance(original, LabelledSentence):
        where = "aligned tokens, inside the perturbed span too" if compare_inside else "tokens outside the span"
        evidence = _format_table(_ALIGNED_HEADER, _aligned_rows(pair, before, after, flagged))
        verdict = (
            f"{len(flagged)} of {compared} compared tag predictions changed under {pair.kind} ({pair.description})"
        )
        evidence += f"\n  (* marks the perturbed span; compared: {where})"
    else:
        verdict = f"the predicted label changed under {pair.kind} ({pair.description})"
        evidence = (
            f"  original:  {original.text!r} (gold {original.label!r}) -> predicted {before!r}\n"
            f"  perturbed: {perturbed.text!r} -> predicted {after!r}"  # type: ignore[union-attr]
        )
    return (
        f"assert_invariant failed for {model_name(model)}: {verdict}.\n{evidence}\n"
        f"Next step: reproduce with {_reproduce('assert_invariant', pair, perturbation)}; then add {pair.kind} "
        "variants to the training data (augmentation) or normalise the input before the model sees it."
        + ("" if inside is not None or not compare_inside else " To compare outside the span only, pass inside=False.")
    )


# ----------------------------------------------------------------------------------------------------
# directional expectations
# ----------------------------------------------------------------------------------------------------


def assert_directional(
    model: Any,
    example: Example | Perturbed,
    perturbation: Perturbation | Callable[..., Perturbed] | None = None,
    *,
    expect: str | Callable[[Any, Any, Perturbed], bool],
) -> Perturbed:
    """Assert the prediction on the perturbed input moves the way ``expect`` states.

    ``expect``:

    - ``"found"``: taggers: every gold entity of the perturbed sentence that overlaps the perturbed span (the
      swapped-in name, the lower-cased entity, the misspelt name) is predicted with its exact span and type;
      when the span holds no entity the check passes vacuously (recorded as such). Classifiers: the perturbed
      text gets its gold label.
    - ``"not_worse"``: taggers: at least as many gold entities are predicted exactly on the perturbed sentence as
      on the original; classifiers: if the original was classified right, so is the perturbed text.
    - a callable ``expect(prediction_original, prediction_perturbed, perturbed) -> bool``: any other direction
      (e.g. ``lambda before, after, p: after == "negative"``); the check passes when it returns True.

    Predicted entities are read leniently (``mode="conlleval"``), as a model's output may be ill-formed (BILOU
    strictly: the lenient reading has no ``U-``/``L-``).

    Examples
    --------
    >>> from pytest_homog.perturbations import EntitySwap, LabelledSentence
    >>> def capitalised(batch):
    ...     return [["B-LOC" if t[:1].isupper() else "O" for t in s] for s in batch]
    >>> s = LabelledSentence.from_entities(["in", "Paris"], [("LOC", 1, 2)])
    >>> _ = assert_directional(capitalised, s, EntitySwap({"LOC": ["Kyoto"]}), expect="found")
    """
    __tracebackhide__ = True
    started = time.perf_counter()
    if not (callable(expect) or expect in _EXPECTATIONS):
        raise HomogUsageError(
            f"expect must be one of {_EXPECTATIONS} or a callable (before, after, perturbed) -> bool; got {expect!r}."
        )
    pair = _resolve(example, perturbation)
    before, after = predict_examples(model, [pair.original, pair.perturbed])
    vacuous = False
    if callable(expect):
        passed = bool(expect(before, after, pair))
        value = float(passed)
        label = getattr(expect, "__name__", "expect")
        detail = f"expect={label}(prediction original, prediction perturbed, perturbed) returned {passed}"
    elif isinstance(pair.original, LabelledSentence):
        passed, value, vacuous, detail = _tagger_direction(pair, before, after, expect)
    else:
        passed, value, detail = _classifier_direction(pair.original, before, after, expect)
    _record_perturbation_check(
        "assert_directional",
        expect if isinstance(expect, str) else "expect",
        model,
        pair,
        started,
        {"vacuous": vacuous, "detail": detail},
        value=value,
        passed=passed,
        level="entity" if isinstance(pair.original, LabelledSentence) else "label",
    )
    if passed:
        return pair
    raise AssertionError(_directional_failure(model, pair, perturbation, expect, before, after, detail))


def _tagger_direction(pair: Perturbed, before: Any, after: Any, expect: str) -> tuple[bool, float, bool, str]:
    """(passed, value, vacuous, detail) of a tagger's ``"found"`` or ``"not_worse"`` expectation."""
    original, perturbed = cast(LabelledSentence, pair.original), cast(LabelledSentence, pair.perturbed)
    found = predicted_entities(after, perturbed.scheme)
    if expect == "not_worse":
        right_before = len(set(original.entities) & predicted_entities(before, original.scheme))
        right_after = len(set(perturbed.entities) & found)
        detail = f"exact gold entities found: {right_before} on the original, {right_after} on the perturbed sentence"
        return right_after >= right_before, float(right_after - right_before), False, detail
    span = set(pair.changed)
    wanted = [entity for entity in perturbed.entities if span.intersection(range(entity[1], entity[2]))]
    missed = [entity for entity in wanted if entity not in found]
    detail = f"{len(wanted) - len(missed)} of {len(wanted)} gold entities in the perturbed span were found"
    if missed:
        detail += "; missed: " + ", ".join(
            f"{etype} {' '.join(perturbed.tokens[start:end])!r} at {start}-{end}" for etype, start, end in missed
        )
    return not missed, float(len(wanted) - len(missed)), not wanted, detail


def _classifier_direction(original: TextExample, before: Any, after: Any, expect: str) -> tuple[bool, float, str]:
    """(passed, value, detail) of a classifier's ``"found"`` or ``"not_worse"`` expectation."""
    gold = original.label
    detail = f"gold {gold!r}: predicted {before!r} on the original, {after!r} on the perturbed text"
    if expect == "found":
        return after == gold, float(after == gold), detail
    return before != gold or after == gold, float(after == gold) - float(before == gold), detail


def _directional_failure(
    model: Any, pair: Perturbed, perturbation: Any, expect: Any, before: Any, after: Any, detail: str
) -> str:
    if isinstance(pair.original, LabelledSentence):
        evidence = _format_table(_ALIGNED_HEADER, _aligned_rows(pair, before, after, set()))
    else:
        evidence = f"  original:  {pair.original.text!r}\n  perturbed: {pair.perturbed.text!r}"  # type: ignore[union-attr]
    return (
        f"assert_directional failed for {model_name(model)} (expect={expect if isinstance(expect, str) else detail}) "
        f"under {pair.kind} ({pair.description}): {detail}.\n{evidence}\n"
        f"Next step: reproduce with {_reproduce('assert_directional', pair, perturbation)}; add examples like the "
        "perturbed one to the training data."
    )


# ----------------------------------------------------------------------------------------------------
# minimum functionality
# ----------------------------------------------------------------------------------------------------


def assert_min_functionality(model: Any, examples: Example | Iterable[Example], *, min_accuracy: float = 1.0) -> float:
    """Assert the model gets at least ``min_accuracy`` of simple cases exactly right (a minimum functionality test).

    A sentence counts as right when the set of predicted entities (read leniently) equals its gold entities; a
    text when the predicted label equals the gold label. ``examples`` may be one example, a list, or generated
    ones inside ``@given``.

    Returns
    -------
    float
        The accuracy.

    Examples
    --------
    >>> from pytest_homog.perturbations import TextExample
    >>> classifier = lambda batch: ["pos" if "good" in t else "neg" for t in batch]
    >>> assert_min_functionality(classifier, [TextExample("good", "pos"), TextExample("bad", "neg")])
    1.0
    """
    __tracebackhide__ = True
    started = time.perf_counter()
    if isinstance(min_accuracy, bool) or not isinstance(min_accuracy, (int, float)) or not 0 <= min_accuracy <= 1:
        raise HomogUsageError(f"min_accuracy must be a number in [0, 1]; got {min_accuracy!r}.")
    items = [examples] if isinstance(examples, (LabelledSentence, TextExample)) else list(examples)
    if not items:
        raise HomogUsageError("examples is empty; give at least one LabelledSentence or TextExample.")
    predictions = predict_examples(model, items)
    wrong = [
        (example, prediction)
        for example, prediction in zip(items, predictions, strict=True)
        if not _is_right(example, prediction)
    ]
    accuracy = 1 - len(wrong) / len(items)
    passed = accuracy >= min_accuracy
    record_check(
        CheckRecord(
            check="assert_min_functionality",
            metric="accuracy",
            value=accuracy,
            passed=passed,
            threshold=float(min_accuracy),
            n=len(items),
            level="entity" if isinstance(items[0], LabelledSentence) else "label",
            subjects=(model_name(model),),
            details={"wrong": len(wrong)},
            duration=time.perf_counter() - started,
        )
    )
    if passed:
        return accuracy
    blocks = [_wrong_case(example, prediction) for example, prediction in wrong[:5]]
    more = f"\n  ... and {len(wrong) - 5} more" if len(wrong) > 5 else ""
    raise AssertionError(
        f"assert_min_functionality failed for {model_name(model)}: accuracy {accuracy:.3f} < min_accuracy "
        f"{min_accuracy} ({len(wrong)} of {len(items)} simple cases wrong).\n" + "\n\n".join(blocks) + more + "\n"
        "Next step: these are cases the model must get right; fix the model (data, labels, training) rather "
        "than lowering min_accuracy."
    )


def _is_right(example: Example, prediction: Any) -> bool:
    if isinstance(example, LabelledSentence):
        return predicted_entities(prediction, example.scheme) == set(example.entities)
    return bool(prediction == example.label)


def _wrong_case(example: Example, prediction: Any) -> str:
    if isinstance(example, LabelledSentence):
        rows = [
            [str(i), repr(token), gold, predicted, "" if gold == predicted else "<-"]
            for i, (token, gold, predicted) in enumerate(zip(example.tokens, example.tags, prediction, strict=True))
        ]
        return _format_table(("pos", "token", "gold", "predicted", ""), rows)
    return f"  {example.text!r}: gold {example.label!r}, predicted {prediction!r}"


# ----------------------------------------------------------------------------------------------------
# divergence as a property
# ----------------------------------------------------------------------------------------------------


def _disagreement(prediction_a: Any, prediction_b: Any, example: Example) -> tuple[float, int, int]:
    """(disagreement, |intersection|, |union|) of two predictions of one example."""
    if isinstance(example, LabelledSentence):
        entities_a = predicted_entities(prediction_a, example.scheme)
        entities_b = predicted_entities(prediction_b, example.scheme)
        union = len(entities_a | entities_b)
        intersection = len(entities_a & entities_b)
        return (1 - intersection / union if union else 0.0), intersection, union
    return float(prediction_a != prediction_b), int(prediction_a == prediction_b), 1


class DisagreementTracker:
    """Accumulates how much two models disagree on the examples it is shown.

    Call :meth:`observe` once per example inside a ``@given`` test: it predicts with both models (through the
    prediction cache), adds the example to the running totals and, inside hypothesis, calls
    ``hypothesis.target(disagreement, label=label)`` (default ``"homog-disagreement"``) so the search moves toward
    examples where the models disagree more. Afterwards :meth:`assert_disagree` checks they disagreed somewhere.
    hypothesis accepts one observation per label and example: give each tracker used in one test its own
    ``label``.

    Disagreement of one example (DESIGN.md): entity level ``1 - |E_a & E_b| / |E_a | E_b|`` over the predicted
    entity sets (0 when both are empty); label level 1 when the labels differ. :attr:`disagreement` is the corpus
    value: ``1 - sum|E_a & E_b| / sum|E_a | E_b|`` (labels: share of examples that differ).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from pytest_homog.strategies import labelled_sentences
    >>> upper = lambda batch: [["B-X" if t[:1].isupper() else "O" for t in s] for s in batch]
    >>> silent = lambda batch: [["O"] * len(s) for s in batch]
    >>> tracker = DisagreementTracker(upper, silent)
    >>> @settings(max_examples=20, database=None)
    ... @given(labelled_sentences(max_len=5))
    ... def explore(example):
    ...     tracker.observe(example)
    >>> explore()
    >>> tracker.assert_disagree()
    1.0
    """

    def __init__(self, a: Any, b: Any, *, label: str = _TARGET_LABEL) -> None:
        self.a, self.b = a, b
        self.label = label
        self.n = 0
        self.intersection = 0
        self.union = 0
        self.max_disagreement = 0.0
        self.worst: tuple[Example, Any, Any] | None = None
        # every distinct example observed, in order, with the two predictions
        self.observed: dict[Example, tuple[Any, Any]] = {}

    @property
    def disagreement(self) -> float:
        """Corpus disagreement over every observed example (0.0 before any)."""
        return 1 - self.intersection / self.union if self.union else 0.0

    def observe(self, example: Example) -> float:
        """Predict ``example`` with both models, add it to the totals, steer hypothesis; return its disagreement."""
        (prediction_a,) = predict_examples(self.a, [example])
        (prediction_b,) = predict_examples(self.b, [example])
        value, intersection, union = _disagreement(prediction_a, prediction_b, example)
        self.observed.setdefault(example, (prediction_a, prediction_b))
        self.n += 1
        self.intersection += intersection
        self.union += union
        if self.worst is None or value > self.max_disagreement:
            self.max_disagreement, self.worst = value, (example, prediction_a, prediction_b)
        from hypothesis import target
        from hypothesis.control import currently_in_test_context

        if currently_in_test_context():
            target(value, label=self.label)
        return value

    def assert_disagree(self, *, min_disagreement: float | None = None) -> float:
        """Assert some observed example made the models disagree (by at least ``min_disagreement`` when given).

        Returns the largest disagreement of one example.
        """
        __tracebackhide__ = True
        if min_disagreement is not None and not (
            isinstance(min_disagreement, (int, float)) and 0 < min_disagreement <= 1
        ):
            raise HomogUsageError(f"min_disagreement must be None or a number in (0, 1]; got {min_disagreement!r}.")
        if self.n == 0:
            raise HomogUsageError("no example was observed; call tracker.observe(example) inside a @given test first.")
        bound = min_disagreement if min_disagreement is not None else 0.0
        passed = self.max_disagreement > 0 and self.max_disagreement >= bound
        names = (model_name(self.a), model_name(self.b))
        record_check(
            CheckRecord(
                check="assert_models_disagree_somewhere",
                metric="max_disagreement",
                value=self.max_disagreement,
                passed=passed,
                threshold=min_disagreement,
                n=self.n,
                level="entity" if isinstance(self.worst and self.worst[0], LabelledSentence) else "label",
                subjects=names,
                details={"corpus_disagreement": self.disagreement},
            )
        )
        if passed:
            return self.max_disagreement
        want = "disagree on some example" if min_disagreement is None else f"reach {min_disagreement}"
        raise AssertionError(
            f"assert_models_disagree_somewhere failed: {names[0]} and {names[1]} did not {want} over {self.n} "
            f"generated examples (largest disagreement {self.max_disagreement:.3f}, corpus disagreement "
            f"{self.disagreement:.3f}).{self._worst_example(names)}\n"
            "Next step: the models behave as copies on this strategy; widen the strategy (more entity types, a "
            "dataset), raise max_examples, or treat the candidate as a clone of the other model."
        )

    def _worst_example(self, names: tuple[str, str]) -> str:
        if self.worst is None:
            return ""
        example, prediction_a, prediction_b = self.worst
        if not isinstance(example, LabelledSentence):
            return f"\nThe example with the largest disagreement: {example!r}: {prediction_a!r} vs {prediction_b!r}"
        rows = [
            [str(i), repr(token), gold, tag_a, tag_b]
            for i, (token, gold, tag_a, tag_b) in enumerate(
                zip(example.tokens, example.tags, prediction_a, prediction_b, strict=True)
            )
        ]
        return "\nThe example with the largest disagreement:\n" + _format_table(
            ("pos", "token", "gold", names[0], names[1]), rows
        )


def assert_models_disagree_somewhere(
    a: Any,
    b: Any,
    examples: Any,
    *,
    min_disagreement: float | None = None,
    max_examples: int = 100,
    seed: int | RunSeed | None = RUN_SEED,
) -> DisagreementTracker:
    """Assert two models disagree on some example drawn from ``examples``, searching with hypothesis.

    ``examples`` is a strategy (e.g. ``labelled_sentences(...)``), searched for ``max_examples`` examples with
    ``target()`` steering toward larger disagreement, seeded with ``seed`` (default: the run's ``--homog-seed``
    under pytest with ``--homog``, else 0) so runs repeat; or an iterable of
    examples, each observed once. Call it from a plain test function, not inside ``@given``. Fails unless some
    example's disagreement is above 0 (or at least ``min_disagreement``).

    Returns
    -------
    DisagreementTracker
        With ``max_disagreement``, the corpus ``disagreement`` and the ``worst`` example.

    Examples
    --------
    >>> from pytest_homog.strategies import labelled_sentences
    >>> upper = lambda batch: [["B-PER" if t[:1].isupper() else "O" for t in s] for s in batch]
    >>> silent = lambda batch: [["O"] * len(s) for s in batch]
    >>> tracker = assert_models_disagree_somewhere(upper, silent, labelled_sentences(), max_examples=30)
    >>> tracker.max_disagreement
    1.0
    """
    __tracebackhide__ = True
    tracker = explore(a, b, examples, max_examples=max_examples, seed=resolve_seed(seed))
    tracker.assert_disagree(min_disagreement=min_disagreement)
    return tracker


def explore(a: Any, b: Any, examples: Any, *, max_examples: int, seed: int | None) -> DisagreementTracker:
    """Show a tracker of ``a`` and ``b`` the examples of a strategy (a hypothesis search of ``max_examples``
    examples steered toward disagreement, seeded with ``seed``) or of an iterable (each once)."""
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise HomogUsageError(f"max_examples must be a positive integer; got {max_examples!r}.")
    tracker = DisagreementTracker(a, b)
    from hypothesis.strategies import SearchStrategy

    if not isinstance(examples, SearchStrategy):
        for example in examples:
            tracker.observe(example)
        return tracker
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hypothesis_seed

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(examples)
    def search(example: Example) -> None:
        tracker.observe(example)

    (hypothesis_seed(seed)(search) if seed is not None else search)()
    return tracker
