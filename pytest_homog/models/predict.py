"""Batched prediction, probabilities and word-level hidden states, from one forward pass.

Sentences are tokenized once, sorted by sub-word length, cut into batches padded to their own longest
member, and run under ``torch.inference_mode()`` (with bf16 autocast on CUDA when asked). :func:`forward`
reads everything a check may need from the same pass: token classification predicts one tag per word, read at
the word's first sub-token (``word_ids()``), with the softmax there as the word's probabilities; sequence
classification one label per text, with its softmax. Hidden states of one layer are mean-pooled over each
word's sub-tokens, so models with different tokenizers are compared on the same words.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from pytest_homog.progress import track

if TYPE_CHECKING:
    import torch

__all__ = [
    "Forward",
    "encode",
    "forward",
    "length_sorted_batches",
    "predict_labels",
    "predict_tags",
    "word_features",
]

DEFAULT_BATCH_SIZE = 32


def encode(tokenizer: Any, inputs: Sequence[Any], *, words: bool, max_length: int | None = None) -> Any:
    """Tokenize every input once (no padding); ``words=True`` means each input is a list of words."""
    limit = max_length or min(int(getattr(tokenizer, "model_max_length", 512) or 512), 512)
    return tokenizer(
        list(inputs) if not words else [list(w) for w in inputs],
        is_split_into_words=words,
        truncation=True,
        max_length=limit,
        padding=False,
    )


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices grouped into batches of similar length (longest first), so padding per batch is small.

    Examples
    --------
    >>> list(length_sorted_batches([3, 9, 1, 7], 2))
    [[1, 3], [0, 2]]
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def _pad(encodings: Any, indices: list[int], pad_id: int, device: torch.device) -> dict[str, torch.Tensor]:
    import torch

    ids = [encodings["input_ids"][i] for i in indices]
    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, sequence in enumerate(ids):
        input_ids[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
        mask[row, : len(sequence)] = 1
    batch = {"input_ids": input_ids, "attention_mask": mask}
    if "token_type_ids" in encodings:
        batch["token_type_ids"] = torch.zeros_like(input_ids)
    non_blocking = device.type == "cuda"
    return {name: tensor.to(device, non_blocking=non_blocking) for name, tensor in batch.items()}


def _autocast(device: torch.device, bf16: bool) -> Any:
    import torch

    if bf16 and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()


def _model_device(model: Any) -> torch.device:
    return next(model.parameters()).device


def _pad_id(tokenizer: Any) -> int:
    pad = tokenizer.pad_token_id
    if pad is None:
        pad = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
    return int(pad)


@dataclass(frozen=True)
class Forward:
    """What one forward pass over some inputs gives; what was not asked for is an empty array.

    Attributes
    ----------
    predicted : numpy.ndarray
        Label ids (int64): one per word, the sentences one after another (word inputs), or one per text.
    probabilities : numpy.ndarray
        float32 ``(units, labels)``: the softmax at each word's first sub-token, or of each text. A word with no
        sub-token (cut off by truncation) is predicted ``outside`` with probability 1.
    features : numpy.ndarray
        float32 ``(words, hidden)``: the hidden states of the layer asked for, mean-pooled over each word's
        sub-tokens; a word with no sub-token gets a row of zeros.
    """

    predicted: np.ndarray
    probabilities: np.ndarray
    features: np.ndarray


def forward(
    model: Any,
    tokenizer: Any,
    inputs: Sequence[Any],
    *,
    words: bool,
    predict: bool = True,
    layer: int | None = None,
    outside: int = 0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    bf16: bool = False,
    doing: str = "predicting",
) -> Forward:
    """One pass of ``model`` over ``inputs`` (lists of words when ``words``, else texts).

    ``predict`` reads the predictions and probabilities (per word for word inputs, per text otherwise);
    ``layer`` (word inputs only) the hidden states of that layer pooled per word; ``outside`` is the label id
    of words cut off by truncation. ``doing`` names the pass in its progress lines.
    """
    import torch

    device = _model_device(model)
    encodings = encode(tokenizer, inputs, words=words)
    lengths = [len(x) for x in encodings["input_ids"]]
    sizes = [len(x) for x in inputs] if words else [1] * len(inputs)
    offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)
    units = int(offsets[-1])
    probabilities = np.zeros((units if predict else 0, int(model.config.num_labels)), dtype=np.float32)
    probabilities[:, outside] = 1.0
    predicted = np.full(units if predict else 0, outside, dtype=np.int64)
    hidden = int(getattr(model.config, "hidden_size", 0) or 0)
    features: np.ndarray | None = None
    pad_id = _pad_id(tokenizer)
    with torch.inference_mode(), _autocast(device, bf16):
        unit = "sentences" if words else "texts"
        for indices in track(length_sorted_batches(lengths, batch_size), len(inputs), doing, unit):
            batch = _pad(encodings, indices, pad_id, device)
            outputs = model(**batch, output_hidden_states=layer is not None)
            if predict:
                logits = outputs.logits
                _read_rows(logits.argmax(-1).cpu().numpy(), indices, encodings, offsets, predicted, words)
                soft = torch.softmax(logits.float(), dim=-1).cpu().numpy()
                _read_rows(soft, indices, encodings, offsets, probabilities, words)
            if layer is not None:
                states = outputs.hidden_states[layer].float()
                if features is None:  # the width of the layer asked for, which a config may not name
                    features = np.zeros((units, states.shape[-1]), dtype=np.float32)
                _pool_words(states, indices, encodings, offsets, features)
    if features is None:
        features = np.zeros((0, hidden), dtype=np.float32)
    return Forward(predicted, probabilities, features)


def _read_rows(
    values: np.ndarray, indices: list[int], encodings: Any, offsets: np.ndarray, out: np.ndarray, words: bool
) -> None:
    """Entries of ``out`` for the batch's ``values``: at each word's first sub-token, or of each text."""
    for row, i in enumerate(indices):
        if not words:
            out[offsets[i]] = values[row]
            continue
        previous = None
        for position, word in enumerate(encodings.word_ids(i)):
            if word is not None and word != previous:
                out[offsets[i] + word] = values[row, position]
            previous = word


def _pool_words(states: torch.Tensor, indices: list[int], encodings: Any, offsets: np.ndarray, out: np.ndarray) -> None:
    """Rows of ``out`` for the batch: each word's sub-token states, averaged."""
    import torch

    hidden = states.shape[-1]
    for row, i in enumerate(indices):
        n_words = int(offsets[i + 1] - offsets[i])
        word_ids = encodings.word_ids(i)
        index = torch.tensor([w if w is not None else n_words for w in word_ids], device=states.device)
        sums = torch.zeros((n_words + 1, hidden), device=states.device)
        sums.index_add_(0, index, states[row, : len(word_ids)])
        counts = torch.bincount(index, minlength=n_words + 1).clamp(min=1).unsqueeze(1)
        out[offsets[i] : offsets[i + 1]] = (sums / counts)[:n_words].cpu().numpy()


def split_rows(rows: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    """``rows`` cut into consecutive pieces of ``sizes`` rows (one per sentence).

    Examples
    --------
    >>> [piece.tolist() for piece in split_rows(np.arange(3), [2, 0, 1])]
    [[0, 1], [], [2]]
    """
    return np.split(rows, np.cumsum(sizes)[:-1]) if len(sizes) else []


def predict_tags(
    model: Any,
    tokenizer: Any,
    sentences: Sequence[Sequence[str]],
    id2label: dict[int, str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    bf16: bool = False,
    outside: str = "O",
) -> list[list[str]]:
    """One tag per word for every sentence; words cut off by truncation get ``outside``."""
    outside_id = next(i for i, label in id2label.items() if label == outside)
    result = forward(model, tokenizer, sentences, words=True, outside=outside_id, batch_size=batch_size, bf16=bf16)
    return [[id2label[int(i)] for i in ids] for ids in split_rows(result.predicted, [len(s) for s in sentences])]


def predict_labels(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    id2label: dict[int, str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    bf16: bool = False,
) -> list[str]:
    """One label per text."""
    result = forward(model, tokenizer, texts, words=False, batch_size=batch_size, bf16=bf16)
    return [id2label[int(i)] for i in result.predicted]


def word_features(
    model: Any,
    tokenizer: Any,
    sentences: Sequence[Sequence[str]],
    *,
    layer: int = -1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    bf16: bool = False,
) -> np.ndarray:
    """Hidden states of ``layer`` mean-pooled over each word's sub-tokens: shape (total words, hidden).

    Rows follow the sentences in order and the words within each sentence. A word with no sub-token (cut off
    by truncation, or one the tokenizer drops) gets a row of zeros.
    """
    result = forward(
        model, tokenizer, sentences, words=True, predict=False, layer=layer, batch_size=batch_size, bf16=bf16
    )
    return result.features
