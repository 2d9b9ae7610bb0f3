"""Any tagger or classifier, called through one cache of its predictions.

Model protocol (duck-typed):

- a *tagger* is a callable ``f(sentences: list[list[str]]) -> list[list[str]]`` (one tag per token of each
  sentence), or an object with a method ``predict_tags(sentences)`` of that signature;
- a *classifier* is a callable ``f(texts: list[str]) -> list[str]`` (one label per text), or an object with a
  method ``predict_labels(texts)``.

An object without these methods but with ``predict(batch)`` of the same signature is used through it (the
project's loaded and fine-tuned models, a scikit-learn text pipeline). A model is named in reports by its
``homog_name`` or ``name`` attribute, else its ``__name__`` or class name (:func:`model_name`).

Predictions are cached per model object (weakly referenced where the object allows it) and per input (the token
tuple or the text), in an LRU of :data:`CACHE_SIZE` entries, so a property test never runs the model twice on an
example it has already seen, shrinking included. The behavioural checks (:mod:`pytest_homog.checks.behaviour`)
predict through it.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from pytest_homog.errors import HomogModelError, HomogUsageError
from pytest_homog.labelled import Example, LabelledSentence, TextExample

__all__ = [
    "CACHE_SIZE",
    "clear_prediction_cache",
    "model_name",
    "predict_examples",
    "predict_labels",
    "predict_tags",
]

#: Predictions kept per model and kind (tags or labels) before the least recently used ones are dropped.
CACHE_SIZE = 100_000

_Stores = dict[Any, "OrderedDict[Any, Any]"]
_weak_stores: weakref.WeakKeyDictionary[Any, _Stores] = weakref.WeakKeyDictionary()
_strong_stores: dict[int, tuple[Any, _Stores]] = {}


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


def _prediction_method(model: Any, name: str, what: str) -> Callable[[list[Any]], Any]:
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


def _through_cache(predict: Any, kind: str, keys: list[Any], run: Callable[[list[Any]], list[Any]]) -> list[Any]:
    """The predictions for ``keys``: cached ones looked up, the missing ones computed by ``run`` in one batch.

    The least recently used entries are dropped only after the answer is read, so a full cache never drops a
    prediction the same call asked for.
    """
    store = _store(predict, kind)
    missing = list(dict.fromkeys(key for key in keys if key not in store))
    if missing:
        store.update(zip(missing, run(missing), strict=True))
    predictions = []
    for key in keys:
        store.move_to_end(key)
        predictions.append(store[key])
    while len(store) > CACHE_SIZE:
        store.popitem(last=False)
    return predictions


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
    predict = _prediction_method(model, "predict_tags", "tagger")

    def run(batch: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
        returned = predict([list(tokens) for tokens in batch])
        if not isinstance(returned, Sequence) or isinstance(returned, str) or len(returned) != len(batch):
            length = len(returned) if hasattr(returned, "__len__") else "?"
            raise HomogModelError(
                f"the tagger returned {type(returned).__name__} of length {length} for a batch of {len(batch)} "
                "sentences; it must return one list of tags per sentence."
            )
        result = []
        for tokens, tags in zip(batch, returned, strict=True):
            tags = tuple(tags)
            if len(tags) != len(tokens) or not all(isinstance(tag, str) for tag in tags):
                raise HomogModelError(
                    f"the tagger returned {list(tags)!r} for {list(tokens)!r}; it must return one tag string per "
                    "token (align sub-word predictions to words first)."
                )
            result.append(tags)
        return result

    return _through_cache(predict, "tags", [tuple(sentence) for sentence in sentences], run)


def predict_labels(model: Any, texts: Sequence[str]) -> list[Any]:
    """Labels a classifier predicts for ``texts``, through the prediction cache.

    Examples
    --------
    >>> predict_labels(lambda batch: ["pos" if "good" in t else "neg" for t in batch], ["good film", "bad"])
    ['pos', 'neg']
    """
    predict = _prediction_method(model, "predict_labels", "classifier")

    def run(batch: list[str]) -> list[Any]:
        returned = predict(list(batch))
        if isinstance(returned, str) or not hasattr(returned, "__len__") or len(returned) != len(batch):
            raise HomogModelError(
                f"the classifier returned {returned!r} for a batch of {len(batch)} texts; it must return one label "
                "per text."
            )
        return list(returned)

    return _through_cache(predict, "labels", list(texts), run)


def predict_examples(model: Any, examples: Sequence[Example]) -> list[Any]:
    """Tags (for :class:`LabelledSentence` examples) or labels (for :class:`TextExample` ones) of ``examples``.

    Examples
    --------
    >>> predict_examples(lambda batch: ["pos" for _ in batch], [TextExample("fine", "pos")])
    ['pos']
    """
    if all(isinstance(example, LabelledSentence) for example in examples):
        return predict_tags(model, [example.tokens for example in examples])
    if all(isinstance(example, TextExample) for example in examples):
        return predict_labels(model, [example.text for example in examples])  # type: ignore[union-attr]
    raise HomogUsageError(
        "examples must all be LabelledSentence (taggers) or all TextExample (classifiers); got "
        f"{sorted({type(example).__name__ for example in examples})}. Build them with LabelledSentence.from_tags "
        "or TextExample."
    )


def model_name(model: Any) -> str:
    """How reports name ``model``: its ``homog_name`` or ``name``, else its ``__name__`` or class name.

    Examples
    --------
    >>> model_name(lambda batch: batch)
    '<lambda>'
    """
    for attribute in ("homog_name", "name"):
        name = getattr(model, attribute, None)
        if isinstance(name, str) and name:
            return name
    return str(getattr(model, "__name__", type(model).__name__))
