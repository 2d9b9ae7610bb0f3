"""Finding and loading models, and :class:`HomogModel`, the one model type every check accepts.

A model comes from a local directory, a hub id (only from the local Hugging Face cache when offline), or an
already-built transformers model (with its tokenizer) or pipeline. With ``HF_HUB_OFFLINE`` set, or no
network, a model that is not on disk fails at once with a message saying where it was looked for and how to
make it available, instead of waiting on network time-outs.
"""

from __future__ import annotations

import copy
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_homog.errors import HomogDataError, HomogModelError, HomogUsageError

if TYPE_CHECKING:
    import numpy as np

    from pytest_homog.models.outputs import OutputStore
    from pytest_homog.models.predict import Forward

__all__ = [
    "TASKS",
    "HomogModel",
    "check_aggregation",
    "check_head",
    "check_vocabulary",
    "load_pretrained",
    "load_tokenizer",
    "normalise_task",
    "quiet_transformers",
    "resolve_source",
    "unwrap",
]

TASKS = ("token-classification", "sequence-classification")
_TASK_ALIASES = {
    "token-classification": "token-classification",
    "ner": "token-classification",
    "token": "token-classification",
    "sequence-classification": "sequence-classification",
    "text-classification": "sequence-classification",
    "sentiment-analysis": "sequence-classification",
    "label": "sequence-classification",
}
_HUB_ID_RE = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_GENERATIVE = (
    "ForCausalLM",
    "LMHeadModel",
    "ForConditionalGeneration",
    "ForMaskedLM",
    "ForSeq2SeqLM",
    "WithLMHead",
    "ForPreTraining",
)
_PREFIX_SPACE_TYPES = {"roberta", "gpt2", "bart", "longformer", "deberta", "mpnet", "bloom", "gpt_neox"}
_TRUE = ("1", "true", "yes", "on")


def normalise_task(task: str | None) -> str | None:
    """Canonical task name: ``token-classification`` or ``sequence-classification``.

    Examples
    --------
    >>> normalise_task("ner"), normalise_task("text-classification")
    ('token-classification', 'sequence-classification')
    >>> normalise_task("summarization")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pytest_homog.errors.HomogUsageError: task='summarization' is not supported; use ...
    """
    if task is None:
        return None
    found = _TASK_ALIASES.get(str(task).strip().lower())
    if found is None:
        raise HomogUsageError(
            f"task={task!r} is not supported; use 'token-classification' or 'sequence-classification'"
        )
    return found


def _offline() -> bool:
    return any(
        os.environ.get(v, "").strip().lower() in _TRUE for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _hub_reachable(timeout: float = 0.5) -> bool:
    """Whether the hub answers a TCP connection within ``timeout`` seconds (DNS included)."""
    result: list[bool] = []

    def probe() -> None:
        try:
            endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").split("://")[-1].split("/")[0]
            with socket.create_connection((endpoint, 443), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def resolve_source(source: str | os.PathLike[str], revision: str | None = None) -> tuple[Path, str]:
    """A model directory on disk for ``source`` and a stable identity string for cache keys.

    A local directory is used as is. A hub id is looked up in the local Hugging Face cache first; when it is
    not there and the hub is offline (``HF_HUB_OFFLINE``) or unreachable, :class:`HomogModelError` is raised
    at once. When online, it is downloaded.

    Examples
    --------
    >>> import os
    >>> os.environ["HF_HUB_OFFLINE"] = "1"
    >>> resolve_source("no-such-org/no-such-model")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pytest_homog.errors.HomogModelError: model 'no-such-org/no-such-model' was not found: ...
    """
    name = os.fspath(source)
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise HomogModelError(
                f"{name!r} is a directory but holds no config.json, so it is not a transformers model; "
                "save the model with save_pretrained() into it"
            )
        return path.resolve(), "dir"  # content-addressed: the caller adds the files' hash
    if not _HUB_ID_RE.match(name) or path.exists():
        raise HomogModelError(
            f"model {name!r} was not found: no directory of that name (in {Path.cwd()}), "
            "and it is not a hub id "
            "(org/name); check the path"
        )
    from huggingface_hub import constants, try_to_load_from_cache

    cached = try_to_load_from_cache(name, "config.json", revision=revision)
    if isinstance(cached, str):
        snapshot = Path(cached).parent
        return snapshot, f"hub:{name}@{revision or snapshot.name}"
    why = "while HF_HUB_OFFLINE is set" if _offline() else "and the hub cannot be reached"
    if _offline() or not _hub_reachable():
        raise HomogModelError(
            f"model {name!r} was not found: no local directory of that name (in {Path.cwd()}), "
            f"and it is not in the Hugging Face cache ({constants.HF_HUB_CACHE}) {why}. "
            "Make it available: download it where there "
            f"is network (`huggingface-cli download {name}`) and copy the cache, or save the model with "
            "save_pretrained() and pass that directory."
        )
    from huggingface_hub import snapshot_download

    try:
        snapshot = Path(snapshot_download(name, revision=revision))
    except Exception as exc:
        raise HomogModelError(f"cannot download model {name!r} (revision {revision!r}): {exc}") from exc
    return snapshot, f"hub:{name}@{revision or snapshot.name}"


def load_tokenizer(path: str | os.PathLike[str]) -> Any:
    """The fast tokenizer saved with a model; byte-level BPE tokenizers get ``add_prefix_space=True`` so they
    accept pre-split words."""
    from transformers import AutoConfig, AutoTokenizer

    try:
        model_type = getattr(AutoConfig.from_pretrained(path), "model_type", "")
        extra = {"add_prefix_space": True} if model_type in _PREFIX_SPACE_TYPES else {}
        tokenizer = AutoTokenizer.from_pretrained(path, **extra)
    except Exception as exc:
        raise HomogModelError(
            f"cannot load the tokenizer of {os.fspath(path)!r}: {exc}; save the tokenizer next to the model "
            "with tokenizer.save_pretrained()"
        ) from exc
    check_vocabulary(tokenizer, f"the model folder {os.fspath(path)!r}")
    return tokenizer


def check_vocabulary(tokenizer: Any, owner: str) -> None:
    """Raise :class:`HomogModelError` when ``tokenizer`` knows no word, only its special tokens.

    transformers builds such a tokenizer for a model folder without tokenizer files (an empty vocabulary of
    ``[PAD]``, ``[UNK]``, ``[CLS]``, ...); it reads every word as the unknown token, so every score would be
    of a model that sees no input.
    """
    get_vocab = getattr(tokenizer, "get_vocab", None)
    if not callable(get_vocab):
        return
    vocabulary = set(get_vocab())
    if vocabulary - set(getattr(tokenizer, "all_special_tokens", ())):
        return
    raise HomogModelError(
        f"{owner} has no tokenizer of its own: the {type(tokenizer).__name__} transformers built for it knows "
        f"only its {len(vocabulary)} special tokens, so every word would be read as "
        f"{getattr(tokenizer, 'unk_token', None)!r} and every score would be meaningless. Save the tokenizer "
        "into the model's folder (tokenizer.save_pretrained(folder), next to model.save_pretrained(folder)), "
        "or load the model and pass its tokenizer: homog_model(model, tokenizer=...)."
    )


def check_head(model: Any, task: str | None) -> str:
    """The model's task, read from its head; raises for regression and generation heads.

    Examples
    --------
    >>> from transformers import BertConfig, BertForTokenClassification
    >>> tiny = BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
    ...                   intermediate_size=8)
    >>> check_head(BertForTokenClassification(tiny), None)
    'token-classification'
    """
    class_name = type(model).__name__
    config = model.config
    if class_name.endswith("ForTokenClassification"):
        found = "token-classification"
    elif class_name.endswith("ForSequenceClassification"):
        found = "sequence-classification"
        if config.problem_type == "regression" or int(config.num_labels) == 1:
            raise HomogModelError(
                f"{class_name} has a regression head (num_labels={config.num_labels}, problem_type="
                f"{config.problem_type!r}), but pytest-homog checks classifiers; load the base model with "
                "task='sequence-classification' and labels=[...] or fine-tune it with homog_finetune"
            )
    elif any(part in class_name for part in _GENERATIVE):
        raise HomogModelError(
            f"{class_name} has a generation head, but pytest-homog checks classifiers (token or sequence "
            "classification); load its base with task='token-classification' or 'sequence-classification' "
            "to put a classifier head on it, and fine-tune it with homog_finetune"
        )
    else:
        raise HomogModelError(
            f"{class_name} has no classification head; pass task='token-classification' or "
            "'sequence-classification' (and labels=[...]) or fine-tune it with homog_finetune"
        )
    if task is not None and task != found:
        raise HomogModelError(f"{class_name} is a {found} model but task={task!r} was asked for")
    return found


def load_pretrained(path: Path, task: str | None, labels: Sequence[str] | None = None) -> Any:
    """Load the model in ``path`` with the head for ``task`` (read from its config when ``task`` is None)."""
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoModelForTokenClassification

    config = AutoConfig.from_pretrained(path)
    architectures = list(getattr(config, "architectures", None) or [])
    kinds = {
        architecture: (
            "token-classification"
            if architecture.endswith("ForTokenClassification")
            else "sequence-classification"
            if architecture.endswith("ForSequenceClassification")
            else None
        )
        for architecture in architectures
    }
    if task is not None and labels is None:
        _check_trained_head(path, task, kinds)
    if task is None:
        task = next((kind for kind in kinds.values() if kind), None)
        if task is None:
            fake = type(architectures[0] if architectures else "Model", (), {"config": config})
            check_head(fake(), None)  # raises the message for generation heads and bare encoders
    auto_class = (
        AutoModelForTokenClassification
        if task == "token-classification"
        else AutoModelForSequenceClassification
    )
    kwargs: dict[str, Any] = {}
    if labels is not None:
        kwargs = {
            "num_labels": len(labels),
            "id2label": dict(enumerate(labels)),
            "label2id": {label: i for i, label in enumerate(labels)},
            "ignore_mismatched_sizes": True,
        }
    try:
        with quiet_transformers():
            model = auto_class.from_pretrained(path, **kwargs)
    except Exception as exc:
        raise HomogModelError(f"cannot load {os.fspath(path)!r} as a {task} model: {exc}") from exc
    check_head(model, task)
    model.eval()
    return model


def _check_trained_head(path: Path, task: str, kinds: dict[str, str | None]) -> None:
    """Refuse to load, with ``task`` and no labels, a checkpoint whose architectures have no ``task`` head: a
    classifier of the other task or a bare encoder. transformers would put a new, untrained head on it, and
    every score would be of random weights. (A config without architectures says nothing, so it passes.)"""
    if not kinds or task in kinds.values():
        return
    architecture = next(iter(kinds))
    other = next((kind for kind in kinds.values() if kind), None)
    what = f"a {other} model" if other else f"with no {task} head"
    new_head = (
        f"put a new head on it for fine-tuning, pass labels=[...], or fine-tune it with "
        f"homog_finetune(..., task={task!r})"
    )
    fix = f"Leave task out (or pass task={other!r}) to check it as it is; to {new_head}" if other else f"To {new_head}"
    raise HomogModelError(
        f"{os.fspath(path)!r} holds a {architecture} (config.architectures), {what}, but task={task!r} was "
        f"asked for without labels: loading it so would give it a new, untrained {task} head, and every score "
        f"would be of random weights. {fix}."
    )


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' info logging and progress bars (loading, saving) within the block."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def unwrap(model: Any, tokenizer: Any = None) -> tuple[Any, Any]:
    """(model, tokenizer) from a model, a (model, tokenizer) pair, or a transformers pipeline."""
    if isinstance(model, tuple) and len(model) == 2:
        model, tokenizer = model
    if hasattr(model, "model") and hasattr(model, "tokenizer") and not hasattr(model, "config"):
        check_aggregation(model)
        tokenizer = tokenizer or model.tokenizer
        model = model.model
    if not hasattr(model, "config") or not hasattr(model, "parameters"):
        raise HomogUsageError(
            f"homog_model() takes a directory, a hub id, a transformers model or a pipeline; got "
            f"{type(model).__name__}"
        )
    origin = getattr(model.config, "_name_or_path", "") or getattr(model, "name_or_path", "")
    if tokenizer is None:
        if origin and Path(origin).is_dir():
            tokenizer = load_tokenizer(origin)
        else:
            raise HomogUsageError(
                f"{type(model).__name__} was given without its tokenizer; pass tokenizer=... (or a pipeline)"
            )
    check_vocabulary(tokenizer, f"the {type(model).__name__} given" + (f" (from {origin!r})" if origin else ""))
    return model, tokenizer


#: pipeline aggregation strategies that mean what the predictions do: one tag per word, read at its first
#: sub-token ("none" is the pipeline's default, when no strategy was asked for)
_WORD_LEVEL_STRATEGIES = (None, "none", "first")


def check_aggregation(pipeline: Any) -> None:
    """Refuse a pipeline whose ``aggregation_strategy`` the predictions would silently ignore."""
    params = getattr(pipeline, "_postprocess_params", None) or {}
    strategy = params.get("aggregation_strategy")
    name = getattr(strategy, "value", strategy)
    if name in _WORD_LEVEL_STRATEGIES:
        return
    raise HomogUsageError(
        f"the {type(pipeline).__name__} was built with aggregation_strategy={name!r}, which pytest-homog "
        "does not apply: it scores one tag per word, read at the word's first sub-token, as "
        "aggregation_strategy='first' does. Build the pipeline without aggregation_strategy, or with "
        "aggregation_strategy='first', so that the scores are of the predictions you configured."
    )


def _is_normalised(dataset: Any) -> bool:
    import datasets as hf

    names = list(dataset.column_names)
    if names == ["tokens", "tags"]:
        return isinstance(getattr(dataset.features["tags"], "feature", None), hf.ClassLabel)
    if names == ["text", "label"]:
        return isinstance(dataset.features["label"], hf.ClassLabel)
    return False


_DATA_MEMO: dict[tuple[str, int, int], Any] = {}


def as_dataset(data: Any) -> Any:
    """A normalised ``datasets.Dataset`` from a dataset or a path (loaded once per file version)."""
    import datasets as hf

    from pytest_homog.data import load_dataset

    if isinstance(data, hf.Dataset) and _is_normalised(data):
        return data
    if isinstance(data, (str, os.PathLike)) and Path(data).is_file():
        file_stat = Path(data).stat()
        memo = (str(Path(data).resolve()), file_stat.st_size, file_stat.st_mtime_ns)
        if memo not in _DATA_MEMO:
            loaded = load_dataset(data)
            loaded.homog_name = Path(data).name  # names the data in reports
            _DATA_MEMO[memo] = loaded
        return _DATA_MEMO[memo]
    loaded = load_dataset(data)
    if isinstance(data, (str, os.PathLike)):
        loaded.homog_name = Path(data).name
    return loaded


class _Network:
    """A model's network and tokenizer, loaded on first use when made with a loader; shared by its subjects."""

    def __init__(self, model: Any = None, tokenizer: Any = None, load: Callable[[], tuple[Any, Any]] | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.load = load

    def get(self) -> tuple[Any, Any]:
        if self.load is not None:
            self.model, self.tokenizer = self.load()
            self.load = None
        return self.model, self.tokenizer


class HomogModel:
    """A classifier with its tokenizer, as every pytest-homog check sees it.

    Made by the ``homog_model`` and ``homog_finetune`` fixtures; checks call :meth:`homog_predict`,
    :meth:`homog_probabilities` and :meth:`homog_features` on it. One forward pass per dataset gives all three
    (:mod:`pytest_homog.models.outputs`); they are kept for the session, and by the fixtures in the cache, so a
    later run reads them without loading the weights.

    Attributes
    ----------
    homog_name : str
        Name used in reports: the subject's role (``name=``, or the fixture that returned it), else the
        model's folder name.
    homog_key : str
        Identity of the weights in the session: the cache key (sha256) for fine-tuned and loaded models,
        ``object:<id>`` for a model object passed in. Subjects of one key (one model under several names, or
        byte-identical copies) share the weights and the predictions.
    task : str
        ``token-classification`` or ``sequence-classification``.
    labels : list of str
        Label names in the order of the classifier's outputs.
    cache_status : str
        ``loaded``, ``hit`` (from the cache), ``trained``, ``rebuilt`` (damaged entry) or ``refreshed``.
    path : pathlib.Path or None
        Directory holding the weights, when there is one.

    Examples
    --------
    >>> from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast
    >>> import tempfile, os
    >>> vocab = os.path.join(tempfile.mkdtemp(), "vocab.txt")
    >>> _ = open(vocab, "w").write("\\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "good", "bad"]))
    >>> tok = BertTokenizerFast(vocab_file=vocab)
    >>> cfg = BertConfig(vocab_size=6, hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
    ...                  intermediate_size=8, num_labels=2, id2label={0: "neg", 1: "pos"})
    >>> model = HomogModel(BertForSequenceClassification(cfg), tok, name="tiny")
    >>> y_true, y_pred, texts = model.homog_predict({"text": ["good", "bad"], "label": ["pos", "neg"]})
    >>> y_true, len(y_pred), model.homog_features(["good bad"]).shape
    (['pos', 'neg'], 2, (2, 8))
    >>> model.homog_probabilities({"text": ["good"], "label": ["pos"]})[1].shape
    (1, 2)
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        name: str,
        task: str | None = None,
        key: str = "",
        path: Path | None = None,
        cache_status: str = "loaded",
        bf16: bool = False,
        batch_size: int = 32,
        before_use: Any = None,
        labels: Sequence[str] | None = None,
        load: Callable[[], tuple[Any, Any]] | None = None,
        identity: str | None = None,
        store: OutputStore | None = None,
    ) -> None:
        from pytest_homog.models.outputs import ModelOutputs, weights_digest

        self._network = _Network(model, tokenizer, load)
        if load is None:
            self.task = check_head(model, task)
            id2label = getattr(model.config, "id2label", None) or {}
        else:  # loaded on first use: the caller knows the task and the labels of the saved head
            self.task = str(task)
            id2label = dict(enumerate(labels or ()))
        self.homog_name = name
        self.homog_key = key
        self.path = path
        self.cache_status = cache_status
        self.bf16 = bf16
        self.batch_size = batch_size
        self._before_use = before_use
        self._read: dict[str, tuple[list[Any], list[Any], list[Any], Any]] = {}
        self.id2label = {int(k): str(v) for k, v in id2label.items()}
        self.labels = [self.id2label[i] for i in sorted(self.id2label)]
        self._outputs = ModelOutputs(
            store,
            (lambda: identity) if identity is not None else (lambda: weights_digest(*self._network.get())),
            {"batch_size": batch_size, "bf16": bf16, "task": self.task},
        )

    @property
    def model(self) -> Any:
        """The network (a transformers model), loaded now if it was not yet."""
        return self._network.get()[0]

    @property
    def tokenizer(self) -> Any:
        """The tokenizer, loaded now if it was not yet."""
        return self._network.get()[1]

    @property
    def weights_loaded(self) -> bool:
        """Whether the weights are in memory (a model from the cache loads them only for a forward pass)."""
        return self._network.load is None

    def __repr__(self) -> str:
        return f"HomogModel({self.homog_name!r}, task={self.task!r}, labels={len(self.labels)})"

    def named(self, name: str) -> HomogModel:
        """The same model under another name: a subject of its own that shares the weights, the tokenizer and
        the outputs already computed (one forward pass per dataset for all its names)."""
        subject = copy.copy(self)
        subject.homog_name = name
        return subject

    def _ready(self) -> None:
        if self._before_use is not None:
            self._before_use(self)

    def _coerce(self, data: Any) -> Any:
        if isinstance(data, dict):
            import datasets as hf

            from pytest_homog.data import load_dataset

            return load_dataset(hf.Dataset.from_dict(data))
        return as_dataset(data)

    def _outside(self) -> str:
        return "O" if "O" in self.labels else self.labels[0]

    def _run(self, inputs: Sequence[Any], words: bool) -> Callable[[bool, int | None], Forward]:
        """One forward pass over ``inputs`` (loading the weights first if they are not yet)."""
        from pytest_homog.models.predict import forward

        def run(predict: bool, layer: int | None) -> Forward:
            self._ready()
            return forward(
                self.model,
                self.tokenizer,
                inputs,
                words=words,
                predict=predict,
                layer=layer,
                outside=self.labels.index(self._outside()),
                batch_size=self.batch_size,
                bf16=self.bf16,
                doing=f"predicting with {self.homog_name}",
            )

        return run

    def _data_label(self, dataset: Any) -> str:
        data_name = getattr(dataset, "homog_name", None)
        return f"{self.homog_name} on {data_name}" if isinstance(data_name, str) else self.homog_name

    def _read_data(self, data: Any) -> tuple[list[Any], list[Any], list[Any], Any]:
        """(y_true, y_pred, texts, probabilities) on ``data``, from the outputs of one forward pass."""
        from pytest_homog.data import data_fingerprint, dataset_kind, label_names
        from pytest_homog.models.predict import split_rows

        dataset = self._coerce(data)
        kind = dataset_kind(dataset)
        if kind != self.task:
            raise HomogDataError(
                f"model {self.homog_name!r} does {self.task} but the data is for {kind} (columns "
                f"{dataset.column_names}); give it data of its task"
            )
        unknown = sorted(set(label_names(dataset)) - set(self.labels))
        if unknown:
            raise HomogDataError(
                f"the data has labels model {self.homog_name!r} does not know: {unknown}; "
                f"the model's labels are "
                f"{self.labels}. Fine-tune it on data with these labels (homog_finetune) or map the labels"
            )
        fingerprint = data_fingerprint(dataset)
        if fingerprint not in self._read:
            names = label_names(dataset)
            columns = dataset.to_dict()
            words = kind == "token-classification"
            texts = columns["tokens"] if words else columns["text"]
            predicted, rows = self._outputs.predictions(
                texts, words=words, run=self._run(texts, words), label=self._data_label(dataset)
            )
            y_pred: list[Any]
            probabilities: Any = rows
            if words:
                y_true: list[Any] = [[names[t] for t in row] for row in columns["tags"]]
                sizes = [len(sentence) for sentence in texts]
                y_pred = [[self.id2label[int(i)] for i in ids] for ids in split_rows(predicted, sizes)]
                probabilities = split_rows(rows, sizes)
            else:
                y_true = [names[v] for v in columns["label"]]
                y_pred = [self.id2label[int(i)] for i in predicted]
            self._read[fingerprint] = (y_true, y_pred, texts, probabilities)
        return self._read[fingerprint]

    def homog_predict(self, data: Any) -> tuple[list[Any], list[Any], list[Any]]:
        """``(y_true, y_pred, texts)`` on ``data`` (a dataset from ``homog_dataset``, a file path or a dict).

        Token classification: lists of tag names per sentence (word level) and the sentences' words; sequence
        classification: label names and texts.
        """
        y_true, y_pred, texts, _ = self._read_data(data)
        return list(y_true), list(y_pred), list(texts)

    def homog_probabilities(self, data: Any) -> tuple[list[Any], Any, list[str]]:
        """``(y_true, probabilities, labels)`` on ``data``, as :func:`~pytest_homog.metrics.capa.capa` takes them.

        Token classification: one ``(n_words, K)`` array per sentence, the softmax at each word's first
        sub-token; sequence classification: an ``(n_examples, K)`` array. Column ``k`` is ``labels[k]``.
        """
        y_true, _, _, probabilities = self._read_data(data)
        return list(y_true), probabilities, list(self.labels)

    def predict(self, inputs: Sequence[Any]) -> list[Any]:
        """Tags per word for lists of words (token classification), or labels for texts."""
        from pytest_homog.models.predict import predict_labels, predict_tags

        self._ready()
        if self.task == "token-classification":
            return list(
                predict_tags(
                    self.model,
                    self.tokenizer,
                    [list(s) for s in inputs],
                    self.id2label,
                    batch_size=self.batch_size,
                    bf16=self.bf16,
                    outside=self._outside(),
                )
            )
        return list(
            predict_labels(
                self.model,
                self.tokenizer,
                list(inputs),
                self.id2label,
                batch_size=self.batch_size,
                bf16=self.bf16,
            )
        )

    def homog_features(self, data: Any, *, layer: int = -1) -> np.ndarray:
        """Hidden states of ``layer`` (default the last) mean-pooled per word: shape (total words, hidden).

        ``data`` is a dataset (its ``tokens``, or its ``text`` split on white space), a file path, or a list
        of texts or of word lists. Rows follow the dataset order.
        """
        label = self.homog_name
        if isinstance(data, list) and all(isinstance(x, str) for x in data):
            sentences = [x.split() for x in data]
        elif isinstance(data, list):
            sentences = [list(x) for x in data]
        else:
            dataset = self._coerce(data)
            columns = dataset.to_dict()
            sentences = columns["tokens"] if "tokens" in columns else [t.split() for t in columns["text"]]
            label = self._data_label(dataset)
        return self._outputs.features(sentences, layer=layer, run=self._run(sentences, True), label=label)
