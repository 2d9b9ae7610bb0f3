"""A model's outputs on some inputs, from one forward pass, kept in memory and persisted in the cache.

One pass of :func:`~pytest_homog.models.predict.forward` gives a model's predictions, its probabilities and the
word-pooled hidden states of its last layer together. :class:`ModelOutputs` keeps them for the session, shared
by every subject of the same weights, and :class:`OutputStore` persists them as entries of the cache's
``outputs`` section (:class:`~pytest_homog.models.cache.ModelCache`), so a later run, or another pytest-xdist
worker, reads them instead of running the model again, and never loads its weights.

An entry holds ``outputs.safetensors`` (arrays, never pickle) and is built, verified, locked and rebuilt when
damaged exactly as a fine-tuned model's entry is. Its key is the sha256 of everything that changes the outputs:

- the model's content: the sha256 of its cache entry's files (a fine-tune), the key of a model directory (the
  hash of its files, with the task and labels asked for), or the hash of the weights, configuration and
  tokenizer of a model object or pipeline (:func:`weights_digest`);
- the inputs' content (:func:`inputs_digest`): the words of each sentence, or the texts;
- what was asked: the predictions and probabilities, or the features of one layer (stored only for the layers a
  check asks for, since every layer of every word would be large);
- how the pass ran: batch size and bf16 (which change the last bits), the device type, and the versions of
  torch and transformers.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pytest_homog.errors import HomogWarning
from pytest_homog.models.cache import cache_key, canonical_json

if TYPE_CHECKING:
    from pytest_homog.models.cache import ModelCache
    from pytest_homog.models.predict import Forward

__all__ = ["OUTPUTS", "ModelOutputs", "OutputStore", "inputs_digest", "weights_digest"]

OUTPUTS = "outputs.safetensors"
_PREDICTIONS = ("predicted", "probabilities")
#: the layer whose features the prediction pass reads as well: the default of ``homog_features`` and CKA
DEFAULT_LAYER = -1


def inputs_digest(inputs: Sequence[Any], *, words: bool) -> str:
    """sha256 of the inputs of a forward pass: lists of words (``words``) or texts.

    Examples
    --------
    >>> inputs_digest([["a", "b"]], words=True) == inputs_digest([("a", "b")], words=True)
    True
    >>> inputs_digest(["a b"], words=False) == inputs_digest([["a", "b"]], words=True)
    False
    """
    rows = [list(x) for x in inputs] if words else list(inputs)
    return hashlib.sha256(canonical_json({"words": words, "inputs": rows}).encode("utf-8")).hexdigest()


def weights_digest(model: Any, tokenizer: Any) -> str:
    """sha256 of a model object's class, configuration and weights (names, types, shapes, bytes) and of its
    tokenizer (its vocabulary and rules, and the longest input it takes), for a model that has no files."""
    import torch

    digest = hashlib.sha256(type(model).__name__.encode("utf-8"))
    config = {k: v for k, v in model.config.to_dict().items() if k not in ("_name_or_path", "transformers_version")}
    digest.update(canonical_json(config).encode("utf-8"))
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(f"{name}\0{tensor.dtype}\0{tuple(tensor.shape)}\0".encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    backend = getattr(tokenizer, "backend_tokenizer", None)
    rules = backend.to_str() if backend is not None else canonical_json(sorted(tokenizer.get_vocab().items()))
    digest.update(rules.encode("utf-8"))
    digest.update(str(getattr(tokenizer, "model_max_length", None)).encode("utf-8"))
    return digest.hexdigest()


class OutputStore:
    """Entries of models' outputs in the ``outputs`` section of the cache.

    Parameters
    ----------
    cache : ModelCache
        The cache's ``outputs`` section.
    device_type : callable
        Gives the type of the device the models run on (``cpu``, ``cuda``, ...), asked when a key is made.
    emit : callable
        ``emit(kind, name, key, status, seconds)``: reports each fetch (``hit``, ``computed`` or ``rebuilt``).
    """

    def __init__(
        self,
        cache: ModelCache,
        device_type: Callable[[], str],
        emit: Callable[[str, str, str, str, float], None],
    ) -> None:
        self.cache = cache
        self._device_type = device_type
        self._emit = emit

    def payload(self, **what: Any) -> dict[str, Any]:
        """Everything that changes a forward pass's outputs, with ``what`` (model, inputs, part, settings)."""
        return {
            "kind": "outputs",
            **what,
            "device": self._device_type(),
            "versions": {"torch": version("torch"), "transformers": version("transformers")},
        }

    def fetch(
        self, payload: dict[str, Any], compute: Callable[[], dict[str, np.ndarray]], label: str
    ) -> dict[str, np.ndarray]:
        """The arrays stored for ``payload``, else those ``compute()`` gives, stored under the lock first.

        Another process computing the same entry is waited for, then read. A damaged entry is computed again
        with a :class:`~pytest_homog.errors.HomogWarning` naming the cause.
        """
        started = time.perf_counter()
        key = cache_key(payload)
        kind = "features" if payload.get("part") == "features" else "predict"
        entry, problem = self.cache.lookup(key)
        if entry is None:
            with self.cache.lock(key):
                entry, problem_now = self.cache.lookup(key)
                if entry is None:
                    problem = problem_now or problem
                    arrays = self._store(key, payload, compute, label, problem)
                    status = "computed" if problem is None else "rebuilt"
                    self._emit(kind, label, key, status, time.perf_counter() - started)
                    return arrays
        arrays = _read(entry)
        self._emit(kind, label, key, "hit", time.perf_counter() - started)
        return arrays

    def _store(
        self,
        key: str,
        payload: dict[str, Any],
        compute: Callable[[], dict[str, np.ndarray]],
        label: str,
        problem: str | None,
    ) -> dict[str, np.ndarray]:
        if problem is not None:
            warnings.warn(
                f"pytest-homog cache entry for the outputs of {label} was damaged ({problem}); computing them again",
                HomogWarning,
                stacklevel=5,
            )
        arrays = compute()

        def write(directory: Path) -> None:
            from safetensors.numpy import save_file

            save_file({name: np.ascontiguousarray(array) for name, array in arrays.items()}, str(directory / OUTPUTS))

        self.cache.build(key, write, payload)
        return arrays


def _read(entry: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return dict(load_file(str(entry / OUTPUTS)))


#: runs the model: ``run(predict, layer)`` is one forward pass over the inputs at hand
Run = Callable[[bool, "int | None"], "Forward"]


class ModelOutputs:
    """The outputs of one model's weights on every input they were asked about in the session.

    Shared by the subjects of those weights (one model under several names). ``identity`` gives the model's
    content key, asked only when the store needs a key; ``settings`` are the options of its passes (batch size,
    bf16) that change the outputs.
    """

    def __init__(self, store: OutputStore | None, identity: Callable[[], str], settings: dict[str, Any]) -> None:
        self.store = store
        self._identity = identity
        self._identity_value: str | None = None
        self._settings = settings
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._stored: set[tuple[Any, ...]] = set()

    def _fetch(
        self, store: OutputStore, digest: str, part: str, layer: int | None, compute: Callable[[], Any], label: str
    ) -> dict[str, np.ndarray]:
        if self._identity_value is None:
            self._identity_value = self._identity()
        what = {"model": self._identity_value, "inputs": digest, "part": part, **self._settings}
        payload = store.payload(**what, **({} if layer is None else {"layer": layer}))
        return store.fetch(payload, compute, label)

    def predictions(self, inputs: Sequence[Any], *, words: bool, run: Run, label: str) -> tuple[np.ndarray, np.ndarray]:
        """(label ids, probabilities) on ``inputs``: per word for lists of words, per text otherwise.

        The pass that computes them reads the default layer's features of word inputs too, kept in memory
        until a check asks for them (:meth:`features`).
        """
        digest = inputs_digest(inputs, words=words)
        memo = (digest, "predictions")
        if memo not in self._memo:

            def compute() -> dict[str, np.ndarray]:
                result = run(True, DEFAULT_LAYER if words else None)
                if words:
                    self._memo[(digest, "features", DEFAULT_LAYER)] = result.features
                return {"predicted": result.predicted, "probabilities": result.probabilities}

            store = self.store
            arrays = compute() if store is None else self._fetch(store, digest, "predictions", None, compute, label)
            self._memo[memo] = tuple(arrays[name] for name in _PREDICTIONS)
        predicted, probabilities = self._memo[memo]
        return predicted, probabilities

    def features(self, sentences: Sequence[Sequence[str]], *, layer: int, run: Run, label: str) -> np.ndarray:
        """Hidden states of ``layer`` pooled per word on ``sentences``: those of an earlier pass when there are
        any, else one pass for them; persisted once a check asks for them."""
        digest = inputs_digest(sentences, words=True)
        memo = (digest, "features", layer)
        if memo in self._stored or (self.store is None and memo in self._memo):
            return self._memo[memo]

        def compute() -> dict[str, np.ndarray]:
            known = self._memo.get(memo)
            return {"features": known if known is not None else run(False, layer).features}

        if self.store is None:
            self._memo[memo] = compute()["features"]
        else:
            self._memo[memo] = self._fetch(self.store, digest, "features", layer, compute, label)["features"]
            self._stored.add(memo)
        return self._memo[memo]
