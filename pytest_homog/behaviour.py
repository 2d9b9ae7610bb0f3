"""Behavioural checks in the CheckList sense, usable inside hypothesis ``@given`` tests.

Model protocol (duck-typed):

- a *tagger* is a callable ``f(sentences: list[list[str]]) -> list[list[str]]`` (one tag per token of each
  sentence), or an object with a method ``predict_tags(sentences)`` of that signature;
- a *classifier* is a callable ``f(texts: list[str]) -> list[str]`` (one label per text), or an object with a
  method ``predict_labels(texts)``.

An object without these methods but with ``predict(batch)`` of the same signature is used through it (the
project's loaded and fine-tuned models, a scikit-learn text pipeline). A model is named in reports by its
``homog_name`` or ``name`` attribute, else its ``__name__`` or class name.

Which one a check needs follows from the example: a :class:`~pytest_homog.perturbations.LabelledSentence` asks a
tagger, a :class:`~pytest_homog.perturbations.TextExample` a classifier. Predictions are cached per model object
(weakly referenced where the object allows it) and per input (the token tuple or the text), in an LRU of
:data:`CACHE_SIZE` entries, so a property test never runs the model twice on an example it has already seen,
shrinking included. Build models in session fixtures, outside ``@given``.

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

import sys
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from pytest_homog.errors import HomogModelError, HomogUsageError
from pytest_homog.perturbations import Example, LabelledSentence, Perturbation, Perturbed, TextExample
from pytest_homog.record import CheckRecord, record_check, record_example_check

__all__ = [
    "CACHE_SIZE",
    "DisagreementTracker",
    "GeneratedData",
    "assert_directional",
    "assert_invariant",
    "assert_min_functionality",
    "assert_models_disagree_somewhere",
    "clear_prediction_cache",
    "is_example_data",
    "predict_labels",
    "predict_tags",
    "subjects_on_examples",
]

#: Predictions kept per model and kind (tags or labels) before the least recently used ones are dropped.
CACHE_SIZE = 100_000

_TARGET_LABEL = "homog-disagreement"
_MAX_ROWS = 40


# ----------------------------------------------------------------------------------------------------
# the model adapter and its cache
# ----------------------------------------------------------------------------------------------------

_Store = dict[Any, "OrderedDict[Any, Any]"]
_weak_stores: weakref.WeakKeyDictionary[Any, _Store] = weakref.WeakKeyDictionary()
_strong_stores: dict[int, tuple[Any, _Store]] = {}


def clear_prediction_cache() -> None:
    """Forget every cached prediction (of every model)."""
    _weak_stores.clear()
    _strong_stores.clear()


def _store(predict: Any, kind: str) -> OrderedDict[Any, Any]:
    """The LRU for the prediction function ``predict``.

    A bound method (``model.predict_tags``, a fresh object on each attribute access) is stored under its instance
    and function, so ``model`` and ``model.predict_tags`` share one cache, dropped with the model.
    """
    owner: Any = predict
    key: Any = kind
    if hasattr(predict, "__self__") and hasattr(predict, "__func__"):
        owner, key = predict.__self__, (kind, predict.__func__)
    try:
        stores = _weak_stores.get(owner)
        if stores is None:
            stores = _weak_stores[owner] = {}
    except TypeError:  # not weakly referenceable: keep it alive so its id stays its own
        entry = _strong_stores.get(id(owner))
        if entry is None or entry[0] is not owner:
            entry = _strong_stores[id(owner)] = (owner, {})
        stores = entry[1]
    return stores.setdefault(key, OrderedDict())


def _method(model: Any, name: str, what: str) -> Callable[[list[Any]], Any]:
    for attribute in (name, "predict"):
        method = getattr(model, attribute, None)
        if callable(method):
            return method
    if callable(model):
        return model
    raise HomogUsageError(
        f"a {what} must be callable on a batch or have a {name}(batch) or predict(batch) method; got "
        f"{type(model).__name__}: {model!r}. Wrap it: lambda batch: [...]."
    )


def _cached(predict: Any, kind: str, keys: list[Any], run: Callable[[list[Any]], list[Any]]) -> list[Any]:
    store = _store(predict, kind)
    missing = list(dict.fromkeys(k for k in keys if k not in store))
    if missing:
        for key, value in zip(missing, run(missing), strict=True):
            store[key] = value
            if len(store) > CACHE_SIZE:
                store.popitem(last=False)
    out = []
    for key in keys:
        store.move_to_end(key)
        out.append(store[key])
    return out


def predict_tags(model: Any, sentences: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """Tags a tagger predicts for ``sentences`` (lists of tokens), through the prediction cache.

    Only sentences the model has not seen are passed to it, in one batch.

    Examples
    --------
    >>> def shout(batch):
    ...     return [["B-X" if t.isupper() else "O" for t in tokens] for tokens in batch]
    >>> predict_tags(shout, [["HELLO", "world"]])
    [('B-X', 'O')]
    """
    predict = _method(model, "predict_tags", "tagger")

    def run(batch: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
        out = predict([list(tokens) for tokens in batch])
        if not isinstance(out, Sequence) or isinstance(out, str) or len(out) != len(batch):
            raise HomogModelError(
                f"the tagger returned {type(out).__name__} of length {len(out) if hasattr(out, '__len__') else '?'}"
                f" for a batch of {len(batch)} sentences; it must return one list of tags per sentence."
            )
        result = []
        for tokens, tags in zip(batch, out, strict=True):
            tags = tuple(tags)
            if len(tags) != len(tokens) or not all(isinstance(t, str) for t in tags):
                raise HomogModelError(
                    f"the tagger returned {list(tags)!r} for {list(tokens)!r}; it must return one tag string per "
                    "token (align sub-word predictions to words first)."
                )
            result.append(tags)
        return result

    return _cached(predict, "tags", [tuple(s) for s in sentences], run)


def predict_labels(model: Any, texts: Sequence[str]) -> list[Any]:
    """Labels a classifier predicts for ``texts``, through the prediction cache.

    Examples
    --------
    >>> predict_labels(lambda batch: ["pos" if "good" in t else "neg" for t in batch], ["good film", "bad"])
    ['pos', 'neg']
    """
    predict = _method(model, "predict_labels", "classifier")

    def run(batch: list[str]) -> list[Any]:
        out = predict(list(batch))
        if isinstance(out, str) or not hasattr(out, "__len__") or len(out) != len(batch):
            raise HomogModelError(
                f"the classifier returned {out!r} for a batch of {len(batch)} texts; it must return one label per text."
            )
        return list(out)

    return _cached(predict, "labels", list(texts), run)


def _predict(model: Any, examples: Sequence[Example]) -> list[Any]:
    if all(isinstance(e, LabelledSentence) for e in examples):
        return predict_tags(model, [e.tokens for e in examples])
    if all(isinstance(e, TextExample) for e in examples):
        return predict_labels(model, [e.text for e in examples])  # type: ignore[union-attr]
    raise HomogUsageError(
        "examples must all be LabelledSentence (taggers) or all TextExample (classifiers); got "
        f"{sorted({type(e).__name__ for e in examples})}. Build them with LabelledSentence.from_tags or TextExample."
    )


# ----------------------------------------------------------------------------------------------------
# shared helpers
# ----------------------------------------------------------------------------------------------------


def _name(model: Any) -> str:
    for attribute in ("homog_name", "name"):
        name = getattr(model, attribute, None)
        if isinstance(name, str) and name:
            return name
    return str(getattr(model, "__name__", type(model).__name__))


def _resolve(example: Any, perturbation: Any) -> Perturbed:
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
    widths = [max(len(str(r[i])) for r in [header, *shown]) for i in range(len(header))]
    lines = [
        "  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *shown]
    ]
    if len(rows) > _MAX_ROWS:
        lines.append(f"  ... {len(rows) - _MAX_ROWS} more rows")
    return "\n".join(lines)


def _aligned_rows(p: Perturbed, pred_o: Sequence[str], pred_p: Sequence[str], flagged: set[int]) -> list[list[str]]:
    """One row per token of the original and the perturbed sentence, aligned; flagged original positions marked."""
    o, q = cast(LabelledSentence, p.original), cast(LabelledSentence, p.perturbed)
    inverse = {j: i for i, j in enumerate(p.alignment) if j is not None}
    span = set(p.changed)
    rows, i, j = [], 0, 0
    while i < len(o.tokens) or j < len(q.tokens):
        if i < len(o.tokens) and p.alignment[i] is None:
            rows.append([str(i), repr(o.tokens[i]), "-", o.tags[i], pred_o[i], "-", "removed"])
            i += 1
        elif j < len(q.tokens) and j not in inverse:
            rows.append(["", "-", repr(q.tokens[j]), q.tags[j], "-", pred_p[j], "* inserted"])
            j += 1
        else:
            mark = "* " if j in span else ""
            if i in flagged:
                mark += "<- changed"
            rows.append([str(i), repr(o.tokens[i]), repr(q.tokens[j]), q.tags[j], pred_o[i], pred_p[j], mark])
            i += 1
            j += 1
    return rows


_HEADER = ("pos", "original", "perturbed", "gold", "pred original", "pred perturbed", "")


def _reproduce(check: str, p: Perturbed, perturbation: Any) -> str:
    o = p.original
    if isinstance(o, LabelledSentence):
        example = f"LabelledSentence.from_tags({list(o.tokens)!r}, {list(o.tags)!r}, scheme={o.scheme!r})"
    else:
        example = repr(o)
    if perturbation is None or isinstance(perturbation, Perturbed):
        what = "..."
    elif hasattr(perturbation, "minimal") and isinstance(o, LabelledSentence):
        what = repr(perturbation.minimal(o))
    else:
        what = repr(perturbation)
    return f"{check}(model, {example}, {what})"


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
        See the module docstring for the protocol.
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
    p = _resolve(example, perturbation)
    original, perturbed = p.original, p.perturbed
    compare_inside = p.preserves_labels if inside is None else inside
    flagged: set[int] = set()
    if isinstance(original, LabelledSentence):
        pred_o, pred_p = _predict(model, [original, perturbed])
        span = set(p.changed)
        perturbed_tags = cast(LabelledSentence, perturbed).tags
        pairs = [
            (i, j)
            for i, j in enumerate(p.alignment)
            if j is not None and (compare_inside or j not in span) and original.tags[i] == perturbed_tags[j]
        ]
        flagged = {i for i, j in pairs if pred_o[i] != pred_p[j]}
        n, level = len(pairs), "token"
    else:
        pred_o, pred_p = _predict(model, [original, perturbed])
        n, level = 1, "label"
        if pred_o != pred_p:
            flagged = {0}
    passed = not flagged
    record_example_check(
        CheckRecord(
            check="assert_invariant",
            metric="changed_predictions",
            value=float(len(flagged)),
            passed=passed,
            threshold=0.0,
            n=n,
            level=level,
            scheme=getattr(original, "scheme", None),
            subjects=(_name(model),),
            details={"perturbation": p.kind, "description": p.description, "applied": p.applied},
            duration=time.perf_counter() - started,
        )
    )
    if passed:
        return p
    if isinstance(original, LabelledSentence):
        where = "aligned tokens, inside the perturbed span too" if compare_inside else "tokens outside the span"
        evidence = _format_table(_HEADER, _aligned_rows(p, pred_o, pred_p, flagged))
        verdict = f"{len(flagged)} of {n} compared tag predictions changed under {p.kind} ({p.description})"
        evidence += f"\n  (* marks the perturbed span; compared: {where})"
    else:
        verdict = f"the predicted label changed under {p.kind} ({p.description})"
        evidence = (
            f"  original:  {original.text!r} (gold {original.label!r}) -> predicted {pred_o!r}\n"
            f"  perturbed: {perturbed.text!r} -> predicted {pred_p!r}"  # type: ignore[union-attr]
        )
    raise AssertionError(
        f"assert_invariant failed for {_name(model)}: {verdict}.\n{evidence}\n"
        f"Next step: reproduce with {_reproduce('assert_invariant', p, perturbation)}; then add {p.kind} "
        "variants to the training data (augmentation) or normalise the input before the model sees it."
        + ("" if inside is not None or not compare_inside else " To compare outside the span only, pass inside=False.")
    )


# ----------------------------------------------------------------------------------------------------
# directional expectations
# ----------------------------------------------------------------------------------------------------

_EXPECTATIONS = ("found", "not_worse")


def _entities(tags: Sequence[str], scheme: str) -> set[tuple[str, int, int]]:
    """Entities of a model's predicted tags, read leniently (``mode="conlleval"``) as the metrics do by default.

    BILOU has ``U-``/``L-`` tags that the lenient reading does not know, so BILOU predictions are read strictly
    (ill-formed entities dropped), and leniently only if they hold tags outside the scheme.
    """
    from pytest_homog.errors import HomogDataError
    from pytest_homog.metrics.tags import extract_entities

    if scheme == "BILOU":
        try:
            return set(extract_entities(list(tags), scheme=scheme, mode="strict"))
        except HomogDataError:
            pass
    return set(extract_entities(list(tags), mode="conlleval"))


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
    p = _resolve(example, perturbation)
    original, perturbed = p.original, p.perturbed
    pred_o, pred_p = _predict(model, [original, perturbed])
    vacuous = False
    detail = ""
    if callable(expect):
        passed = bool(expect(pred_o, pred_p, p))
        value = float(passed)
        label = getattr(expect, "__name__", "expect")
        detail = f"expect={label}(prediction original, prediction perturbed, perturbed) returned {passed}"
    elif isinstance(original, LabelledSentence):
        perturbed = cast(LabelledSentence, perturbed)
        found = _entities(pred_p, perturbed.scheme)
        if expect == "found":
            span = set(p.changed)
            wanted = [e for e in perturbed.entities if span.intersection(range(e[1], e[2]))]
            missed = [e for e in wanted if e not in found]
            vacuous = not wanted
            passed, value = not missed, float(len(wanted) - len(missed))
            detail = f"{len(wanted) - len(missed)} of {len(wanted)} gold entities in the perturbed span were found"
            if missed:
                detail += "; missed: " + ", ".join(
                    f"{t} {' '.join(perturbed.tokens[s:e])!r} at {s}-{e}" for t, s, e in missed
                )
        else:
            before = len(set(original.entities) & _entities(pred_o, original.scheme))
            after = len(set(perturbed.entities) & found)
            passed, value = after >= before, float(after - before)
            detail = f"exact gold entities found: {before} on the original, {after} on the perturbed sentence"
    else:
        gold = original.label
        if expect == "found":
            passed, value = pred_p == gold, float(pred_p == gold)
        else:
            passed, value = pred_o != gold or pred_p == gold, float(pred_p == gold) - float(pred_o == gold)
        detail = f"gold {gold!r}: predicted {pred_o!r} on the original, {pred_p!r} on the perturbed text"
    record_example_check(
        CheckRecord(
            check="assert_directional",
            metric=expect if isinstance(expect, str) else "expect",
            value=value,
            passed=passed,
            level="entity" if isinstance(original, LabelledSentence) else "label",
            scheme=getattr(original, "scheme", None),
            subjects=(_name(model),),
            details={
                "perturbation": p.kind,
                "description": p.description,
                "vacuous": vacuous,
                "detail": detail,
            },
            duration=time.perf_counter() - started,
        )
    )
    if passed:
        return p
    if isinstance(original, LabelledSentence):
        evidence = _format_table(_HEADER, _aligned_rows(p, pred_o, pred_p, set()))
    else:
        evidence = f"  original:  {original.text!r}\n  perturbed: {perturbed.text!r}"  # type: ignore[union-attr]
    raise AssertionError(
        f"assert_directional failed for {_name(model)} (expect={expect if isinstance(expect, str) else detail}) "
        f"under {p.kind} ({p.description}): {detail}.\n{evidence}\n"
        f"Next step: reproduce with {_reproduce('assert_directional', p, perturbation)}; add examples like the "
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
    preds = _predict(model, items)
    wrong = []
    for example, pred in zip(items, preds, strict=True):
        if isinstance(example, LabelledSentence):
            right = _entities(pred, example.scheme) == set(example.entities)
        else:
            right = pred == example.label
        if not right:
            wrong.append((example, pred))
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
            subjects=(_name(model),),
            details={"wrong": len(wrong)},
            duration=time.perf_counter() - started,
        )
    )
    if passed:
        return accuracy
    blocks = []
    for example, pred in wrong[:5]:
        if isinstance(example, LabelledSentence):
            rows = [
                [str(i), repr(t), g, q, "" if g == q else "<-"]
                for i, (t, g, q) in enumerate(zip(example.tokens, example.tags, pred, strict=True))
            ]
            blocks.append(_format_table(("pos", "token", "gold", "predicted", ""), rows))
        else:
            blocks.append(f"  {example.text!r}: gold {example.label!r}, predicted {pred!r}")
    more = f"\n  ... and {len(wrong) - 5} more" if len(wrong) > 5 else ""
    raise AssertionError(
        f"assert_min_functionality failed for {_name(model)}: accuracy {accuracy:.3f} < min_accuracy "
        f"{min_accuracy} ({len(wrong)} of {len(items)} simple cases wrong).\n" + "\n\n".join(blocks) + more + "\n"
        "Next step: these are cases the model must get right; fix the model (data, labels, training) rather "
        "than lowering min_accuracy."
    )


# ----------------------------------------------------------------------------------------------------
# divergence as a property
# ----------------------------------------------------------------------------------------------------


def _disagreement(a: Any, b: Any, example: Example) -> tuple[float, int, int]:
    """(disagreement, |intersection|, |union|) of two predictions of one example."""
    if isinstance(example, LabelledSentence):
        ea, eb = _entities(a, example.scheme), _entities(b, example.scheme)
        union = len(ea | eb)
        inter = len(ea & eb)
        return (1 - inter / union if union else 0.0), inter, union
    return float(a != b), int(a == b), 1


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
        (pred_a,) = _predict(self.a, [example])
        (pred_b,) = _predict(self.b, [example])
        value, inter, union = _disagreement(pred_a, pred_b, example)
        self.observed.setdefault(example, (pred_a, pred_b))
        self.n += 1
        self.intersection += inter
        self.union += union
        if self.worst is None or value > self.max_disagreement:
            self.max_disagreement, self.worst = value, (example, pred_a, pred_b)
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
        names = (_name(self.a), _name(self.b))
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
        evidence = ""
        if self.worst is not None:
            example, pred_a, pred_b = self.worst
            if isinstance(example, LabelledSentence):
                rows = [
                    [str(i), repr(t), g, x, y]
                    for i, (t, g, x, y) in enumerate(zip(example.tokens, example.tags, pred_a, pred_b, strict=True))
                ]
                evidence = "\nThe example with the largest disagreement:\n" + _format_table(
                    ("pos", "token", "gold", names[0], names[1]), rows
                )
            else:
                evidence = f"\nThe example with the largest disagreement: {example!r}: {pred_a!r} vs {pred_b!r}"
        want = "disagree on some example" if min_disagreement is None else f"reach {min_disagreement}"
        raise AssertionError(
            f"assert_models_disagree_somewhere failed: {names[0]} and {names[1]} did not {want} over {self.n} "
            f"generated examples (largest disagreement {self.max_disagreement:.3f}, corpus disagreement "
            f"{self.disagreement:.3f}).{evidence}\n"
            "Next step: the models behave as copies on this strategy; widen the strategy (more entity types, a "
            "dataset), raise max_examples, or treat the candidate as a clone of the other model."
        )


def assert_models_disagree_somewhere(
    a: Any,
    b: Any,
    examples: Any,
    *,
    min_disagreement: float | None = None,
    max_examples: int = 100,
    seed: int = 0,
) -> DisagreementTracker:
    """Assert two models disagree on some example drawn from ``examples``, searching with hypothesis.

    ``examples`` is a strategy (e.g. ``labelled_sentences(...)``), searched for ``max_examples`` examples with
    ``target()`` steering toward larger disagreement, seeded with ``seed`` so runs repeat; or an iterable of
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
    tracker = _explore(a, b, examples, max_examples=max_examples, seed=seed)
    tracker.assert_disagree(min_disagreement=min_disagreement)
    return tracker


def _explore(a: Any, b: Any, examples: Any, *, max_examples: int, seed: int | None) -> DisagreementTracker:
    """Show a tracker of ``a`` and ``b`` the examples of a strategy (a hypothesis search of ``max_examples``
    examples steered toward disagreement, seeded with ``seed``) or of an iterable (each once)."""
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise HomogUsageError(f"max_examples must be a positive integer; got {max_examples!r}.")
    tracker = DisagreementTracker(a, b)
    from hypothesis.strategies import SearchStrategy

    if isinstance(examples, SearchStrategy):
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
        def explore(example: Example) -> None:
            tracker.observe(example)

        (hypothesis_seed(seed)(explore) if seed is not None else explore)()
    else:
        for example in examples:
            tracker.observe(example)
    return tracker


class _Replayed:
    """A model's predictions on the examples a search generated, as a subject of the metric assertions."""

    def __init__(self, name: str, y_true: list[Any], y_pred: list[Any], texts: list[str]) -> None:
        self.homog_name = name
        self._result = (y_true, y_pred, texts)

    def homog_predict(self, data: Any) -> tuple[list[Any], list[Any], list[str]]:
        return self._result


class GeneratedData:
    """The distinct examples a search generated (or that were given), as the ``data`` of a metric assertion."""

    def __init__(self, examples: list[Example], generated: bool) -> None:
        self.examples = examples
        self.homog_name = f"{'generated' if generated else 'given'} examples ({len(examples)})"

    def homog_references(self) -> list[Any]:
        """The gold tags (as lists) or labels of the examples."""
        return [list(e.tags) if isinstance(e, LabelledSentence) else e.label for e in self.examples]


def is_example_data(data: Any) -> bool:
    """Whether ``data`` is a hypothesis strategy or a non-empty list or tuple of examples (all
    :class:`~pytest_homog.perturbations.LabelledSentence` or all :class:`~pytest_homog.perturbations.TextExample`),
    without importing hypothesis when nothing has."""
    if isinstance(data, (list, tuple)):
        return bool(data) and (
            all(isinstance(e, LabelledSentence) for e in data) or all(isinstance(e, TextExample) for e in data)
        )
    strategies = sys.modules.get("hypothesis.strategies")
    return strategies is not None and isinstance(data, strategies.SearchStrategy)


def subjects_on_examples(
    a: Any, b: Any, examples: Any, *, max_examples: int = 100, seed: int | None = 0
) -> tuple[_Replayed, _Replayed, GeneratedData]:
    """Both models' predictions on ``examples`` (a strategy, searched as :func:`assert_models_disagree_somewhere`
    searches it, or a list of examples), as two subjects and their data for the metric assertions: the data is
    the distinct examples seen, in order, with their gold tags or labels.

    Examples
    --------
    >>> from pytest_homog.strategies import labelled_sentences
    >>> upper = lambda batch: [["B-PER" if t[:1].isupper() else "O" for t in s] for s in batch]
    >>> silent = lambda batch: [["O"] * len(s) for s in batch]
    >>> ra, rb, data = subjects_on_examples(upper, silent, labelled_sentences(max_len=4), max_examples=20)
    >>> y_true, y_pred, texts = ra.homog_predict(data)
    >>> len(y_true) == len(data.examples) == len(texts), rb.homog_name
    (True, '<lambda>')
    """
    tracker = _explore(a, b, examples, max_examples=max_examples, seed=seed)
    seen = list(tracker.observed)
    if not seen:
        raise HomogUsageError("examples gave no example to compare the models on; pass a non-empty strategy or list.")
    texts = [e.text if isinstance(e, TextExample) else " ".join(e.tokens) for e in seen]
    gold = GeneratedData(seen, generated=not isinstance(examples, (list, tuple)))
    y_true = gold.homog_references()
    if isinstance(seen[0], LabelledSentence):
        preds_a = [list(tracker.observed[e][0]) for e in seen]
        preds_b = [list(tracker.observed[e][1]) for e in seen]
    else:
        preds_a = [tracker.observed[e][0] for e in seen]
        preds_b = [tracker.observed[e][1] for e in seen]
    return (
        _Replayed(_name(a), y_true, preds_a, texts),
        _Replayed(_name(b), y_true, preds_b, texts),
        gold,
    )
