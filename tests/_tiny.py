"""Tiny models and easy data for the model tests: built from a config, tokenizer trained here, no network.

The data is generated so a 2-layer BERT learns it in seconds at learning rate 1e-3: capitalised first names
(and "First Last" pairs) are persons, capitalised words after "in" are locations, everything else is
lower-case "O".
"""

from __future__ import annotations

import random
from pathlib import Path

FIRST = ["Alice", "Bob", "Carla", "Dmitri", "Emma", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kofi", "Lena"]
LAST = ["Smith", "Okafor", "Tanaka", "Novak", "Garcia", "Berg"]
CITIES = ["Paris", "Lagos", "Osaka", "Lima", "Oslo", "Quito", "Hanoi", "Dakar"]
WORDS = [
    "the",
    "a",
    "saw",
    "met",
    "likes",
    "visited",
    "quickly",
    "today",
    "and",
    "then",
    "with",
    "friend",
    "went",
    "home",
    "was",
    "happy",
    "talked",
    "to",
    "yesterday",
    "walked",
]

TINY_LABELS = ["O", "B-LOC", "B-PER", "I-PER"]


def make_sentences(n: int, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    """``n`` generated sentences with their IOB2 tags."""
    rng = random.Random(seed)
    tokens, tags = [], []
    for _ in range(n):
        toks: list[str] = []
        tgs: list[str] = []
        for _ in range(rng.randint(3, 9)):
            roll = rng.random()
            if roll < 0.18:
                toks.append(rng.choice(FIRST))
                tgs.append("B-PER")
                if rng.random() < 0.4:
                    toks.append(rng.choice(LAST))
                    tgs.append("I-PER")
            elif roll < 0.28:
                toks += ["in", rng.choice(CITIES)]
                tgs += ["O", "B-LOC"]
            else:
                toks.append(rng.choice(WORDS))
                tgs.append("O")
        tokens.append(toks)
        tags.append(tgs)
    return tokens, tags


def write_conll(path: Path, tokens: list[list[str]], tags: list[list[str]]) -> Path:
    lines = []
    for toks, tgs in zip(tokens, tags, strict=True):
        lines += [f"{t}\t{g}" for t, g in zip(toks, tgs, strict=True)] + [""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_tiny_base(directory: Path, sentences: list[list[str]], *, seed: int = 0) -> Path:
    """A 2-layer BERT encoder (no head) with a cased WordPiece tokenizer trained on ``sentences``."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=200, special_tokens=special)
    tok.train_from_iterator((" ".join(s) for s in sentences), trainer=trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    fast = BertTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        do_lower_case=False,
        model_max_length=128,
    )
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    directory.mkdir(parents=True, exist_ok=True)
    BertModel(config).save_pretrained(directory)
    fast.save_pretrained(directory)
    return directory


def build_tiny_world(root: Path) -> dict[str, Path]:
    """Train/test CoNLL files and a tiny base model under ``root``."""
    train_tokens, train_tags = make_sentences(300, seed=1)
    test_tokens, test_tags = make_sentences(80, seed=2)
    root.mkdir(parents=True, exist_ok=True)
    train = write_conll(root / "train.conll", train_tokens, train_tags)
    test = write_conll(root / "test.conll", test_tokens, test_tags)
    base = build_tiny_base(root / "tiny-bert", train_tokens)
    return {"root": root, "train": train, "test": test, "base": base}
