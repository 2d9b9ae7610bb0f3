"""Batched prediction and word-level hidden states.

Sentences are tokenized once, sorted by sub-word length, cut into batches padded to their own longest
member, and run under ``torch.inference_mode()`` (with bf16 autocast on CUDA when asked). Token
classification predicts one tag per word, read at the word's first sub-token (``word_ids()``); sequence
classification one label per text. Hidden states are mean-pooled over each word's sub-tokens, so models with
different tokenizers are compared on the same words.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from pytest_homog.progress import track

if TYPE_CHECKING:
    import numpy as np
    import torch

__all__ = ["encode", "length_sorted_batches", "predict_labels", "predict_tags", "word_features"]

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
    import torch

    device = _model_device(model)
    encodings = encode(tokenizer, sentences, words=True)
    lengths = [len(x) for x in encodings["input_ids"]]
    result: list[list[str]] = [[] for _ in sentences]
    pad_id = _pad_id(tokenizer)
    with torch.inference_mode(), _autocast(device, bf16):
        for indices in track(length_sorted_batches(lengths, batch_size), len(sentences), "predicting", "sentences"):
            batch = _pad(encodings, indices, pad_id, device)
            best = model(**batch).logits.argmax(-1).cpu().numpy()
            for row, i in enumerate(indices):
                tags = [outside] * len(sentences[i])
                previous = None
                for pos, word in enumerate(encodings.word_ids(i)):
                    if word is not None and word != previous:
                        tags[word] = id2label[int(best[row, pos])]
                    previous = word
                result[i] = tags
    return result


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
    import torch

    device = _model_device(model)
    encodings = encode(tokenizer, texts, words=False)
    lengths = [len(x) for x in encodings["input_ids"]]
    result: list[str] = [""] * len(texts)
    pad_id = _pad_id(tokenizer)
    with torch.inference_mode(), _autocast(device, bf16):
        for indices in track(length_sorted_batches(lengths, batch_size), len(texts), "predicting", "texts"):
            batch = _pad(encodings, indices, pad_id, device)
            best = model(**batch).logits.argmax(-1).cpu().numpy()
            for row, i in enumerate(indices):
                result[i] = id2label[int(best[row])]
    return result


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
    import numpy as np
    import torch

    device = _model_device(model)
    encodings = encode(tokenizer, sentences, words=True)
    lengths = [len(x) for x in encodings["input_ids"]]
    per_sentence: list[np.ndarray] = [np.zeros((0, 0), dtype=np.float32)] * len(sentences)
    pad_id = _pad_id(tokenizer)
    hidden = 0
    with torch.inference_mode(), _autocast(device, bf16):
        for indices in track(length_sorted_batches(lengths, batch_size), len(sentences), "predicting", "sentences"):
            batch = _pad(encodings, indices, pad_id, device)
            outputs = model(**batch, output_hidden_states=True)
            states = outputs.hidden_states[layer].float()
            hidden = states.shape[-1]
            for row, i in enumerate(indices):
                n_words = len(sentences[i])
                word_ids = encodings.word_ids(i)
                index = torch.tensor(
                    [w if w is not None else n_words for w in word_ids], device=states.device
                )
                sums = torch.zeros((n_words + 1, hidden), device=states.device)
                sums.index_add_(0, index, states[row, : len(word_ids)])
                counts = torch.bincount(index, minlength=n_words + 1).clamp(min=1).unsqueeze(1)
                per_sentence[i] = (sums / counts)[:n_words].cpu().numpy()
    if not sentences:
        return np.zeros((0, hidden), dtype=np.float32)
    return np.concatenate([p.reshape(-1, hidden) for p in per_sentence], axis=0).astype(np.float32)
