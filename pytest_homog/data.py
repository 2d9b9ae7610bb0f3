"""Loading evaluation and training data into ``datasets.Dataset`` objects with normalised labels.

:func:`load_dataset` (the ``homog_dataset`` fixture) reads a CoNLL file, a JSON/JSONL/CSV/parquet file, a
local dataset directory (``save_to_disk`` output), a ``datasets`` hub name when online, or takes an existing
``Dataset``/``DatasetDict``. Whatever the source, the result has the same columns:

- token classification: ``tokens`` (list of str) and ``tags`` (list of ``ClassLabel``);
- sequence classification: ``text`` (str) and ``label`` (``ClassLabel``).

Label names are stripped of surrounding white space and ordered ``O`` first, then alphabetically, so that
two files with the same labels give the same ``ClassLabel``. :func:`data_fingerprint` is a content hash of a
dataset, used as the data part of cache keys.

datasets is imported inside the functions; importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pytest_homog.errors import HomogDataError, HomogUsageError

if TYPE_CHECKING:
    import datasets

__all__ = ["data_fingerprint", "dataset_kind", "label_names", "load_dataset", "read_conll"]

_TABLE_SUFFIXES = {".json": "json", ".jsonl": "json", ".csv": "csv", ".parquet": "parquet"}
_CONLL_SUFFIXES = {".conll", ".conllu", ".bio", ".iob", ".tsv", ".txt"}
_TOKEN_GUESSES = ("tokens", "words")
_TAG_GUESSES = ("tags", "ner_tags", "labels", "ner")
_TEXT_GUESSES = ("text", "sentence", "content")
_LABEL_GUESSES = ("label", "labels", "class")


def read_conll(
    path: str | os.PathLike[str], *, token_column: int = 0, tag_column: int = -1
) -> dict[str, list]:
    """Read a CoNLL file: one token per line, columns split on white space, a blank line between sentences.

    Lines starting with ``-DOCSTART-`` are skipped. Returns ``{"tokens": [...], "tags": [...]}``, one list per
    sentence.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.conll")
    >>> _ = open(path, "w").write("Alice\\tB-PER\\nsleeps\\tO\\n\\t\\nBob\\tB-PER\\n")
    >>> read_conll(path)
    {'tokens': [['Alice', 'sleeps'], ['Bob']], 'tags': [['B-PER', 'O'], ['B-PER']]}
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HomogDataError(
            f"cannot read CoNLL file {os.fspath(path)!r}: {exc}; check the path and that it is UTF-8 text"
        ) from exc
    tokens: list[list[str]] = []
    tags: list[list[str]] = []
    sent_tokens: list[str] = []
    sent_tags: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if sent_tokens:
                tokens.append(sent_tokens)
                tags.append(sent_tags)
                sent_tokens, sent_tags = [], []
            continue
        if line.startswith("-DOCSTART-"):
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        fields = [f.strip() for f in fields]
        if len(fields) < 2:
            raise HomogDataError(
                f"{os.fspath(path)}:{lineno}: expected a token and a tag separated by a tab or space, got "
                f"{line!r}; CoNLL files have one token per line and a blank line between sentences"
            )
        try:
            sent_tokens.append(fields[token_column])
            sent_tags.append(fields[tag_column])
        except IndexError:
            raise HomogDataError(
                f"{os.fspath(path)}:{lineno}: no column {token_column} or {tag_column} in {line!r}"
            ) from None
    if sent_tokens:
        tokens.append(sent_tokens)
        tags.append(sent_tags)
    if not tokens:
        raise HomogDataError(f"CoNLL file {os.fspath(path)!r} holds no sentence; is it the right file?")
    return {"tokens": tokens, "tags": tags}


def _sort_labels(names: set[str]) -> list[str]:
    return sorted(names, key=lambda name: (name != "O", name))


def _label_name(value: Any) -> str:
    return str(value).strip()


def _column(columns: Sequence[str], asked: str | None, guesses: Sequence[str]) -> str | None:
    """The column named ``asked`` (None if there is none), or the first of ``guesses`` the dataset has."""
    if asked is not None:
        return asked if asked in columns else None
    return next((column for column in guesses if column in columns), None)


def _normalise(
    dataset: datasets.Dataset,
    *,
    tokens: str | None,
    tags: str | None,
    text: str | None,
    label: str | None,
    source: str,
) -> datasets.Dataset:
    """``dataset`` with the columns ``tokens``/``tags`` or ``text``/``label`` and ``ClassLabel`` labels."""
    columns = list(dataset.column_names)
    token_column, tag_column = _column(columns, tokens, _TOKEN_GUESSES), _column(columns, tags, _TAG_GUESSES)
    text_column, label_column = _column(columns, text, _TEXT_GUESSES), _column(columns, label, _LABEL_GUESSES)
    for asked, found, what in (
        (tokens, token_column, "tokens"),
        (tags, tag_column, "tags"),
        (text, text_column, "text"),
        (label, label_column, "label"),
    ):
        if asked is not None and found is None:
            raise HomogDataError(f"{source}: no column {asked!r} (given as {what}=); columns are {columns}")
    if token_column is not None and tag_column is not None and (text is None and label is None):
        return _token_dataset(dataset, token_column, tag_column, source)
    if text_column is not None and label_column is not None:
        return _text_dataset(dataset, text_column, label_column)
    raise HomogDataError(
        f"{source}: cannot tell the token and tag columns (or text and label columns) apart in {columns}; "
        "pass tokens=/tags= (token classification) or text=/label= (sequence classification)"
    )


def _token_dataset(dataset: datasets.Dataset, token_column: str, tag_column: str, source: str) -> datasets.Dataset:
    import datasets as hf_datasets

    feature = dataset.features[tag_column]
    inner = getattr(feature, "feature", None)
    if isinstance(feature, list) and feature:
        inner = feature[0]
    rows_tags = list(dataset[tag_column])
    if isinstance(inner, hf_datasets.ClassLabel):
        rows_tags = [[inner.int2str(int(tag)) for tag in row] for row in rows_tags]
    rows_tags = [[_label_name(tag) for tag in row] for row in rows_tags]
    rows_tokens = [[str(token) for token in row] for row in dataset[token_column]]
    for i, (row_tokens, row_tags) in enumerate(zip(rows_tokens, rows_tags, strict=True)):
        if len(row_tokens) != len(row_tags):
            raise HomogDataError(
                f"{source}: example {i} has {len(row_tokens)} tokens but {len(row_tags)} tags; each token needs one tag"
            )
    names = _sort_labels({tag for row in rows_tags for tag in row})
    features = hf_datasets.Features(
        {
            "tokens": hf_datasets.Sequence(hf_datasets.Value("string")),
            "tags": hf_datasets.Sequence(hf_datasets.ClassLabel(names=names)),
        }
    )
    index = {name: i for i, name in enumerate(names)}
    return hf_datasets.Dataset.from_dict(
        {"tokens": rows_tokens, "tags": [[index[tag] for tag in row] for row in rows_tags]}, features=features
    )


def _text_dataset(dataset: datasets.Dataset, text_column: str, label_column: str) -> datasets.Dataset:
    import datasets as hf_datasets

    feature = dataset.features[label_column]
    values = list(dataset[label_column])
    if isinstance(feature, hf_datasets.ClassLabel):
        values = [feature.int2str(int(value)) for value in values]
    values = [_label_name(value) for value in values]
    names = sorted(set(values))
    features = hf_datasets.Features({"text": hf_datasets.Value("string"), "label": hf_datasets.ClassLabel(names=names)})
    index = {name: i for i, name in enumerate(names)}
    return hf_datasets.Dataset.from_dict(
        {"text": [str(text) for text in dataset[text_column]], "label": [index[value] for value in values]},
        features=features,
    )


def load_dataset(
    source: Any,
    *,
    split: str | None = None,
    tokens: str | None = None,
    tags: str | None = None,
    text: str | None = None,
    label: str | None = None,
) -> datasets.Dataset:
    """Load ``source`` as a ``datasets.Dataset`` with normalised columns and ``ClassLabel`` labels.

    Parameters
    ----------
    source : str, path, datasets.Dataset or datasets.DatasetDict
        A CoNLL file (``.conll``, ``.bio``, ``.iob``, ``.tsv``, ``.txt``), a ``.json``/``.jsonl``/``.csv``/
        ``.parquet`` file, a directory written by ``save_to_disk``, a ``datasets`` hub name (online only),
        or a dataset object.
    split : str, optional
        Which split to take from a ``DatasetDict`` or hub dataset; needed when there are several.
    tokens, tags : str, optional
        Source column names of the words and their tags (token classification). Guessed when omitted.
    text, label : str, optional
        Source column names of the text and its label (sequence classification). Guessed when omitted.

    Returns
    -------
    datasets.Dataset
        Columns ``tokens``/``tags`` or ``text``/``label``; labels are ``ClassLabel`` named as in the source.

    Examples
    --------
    >>> import datasets
    >>> raw = datasets.Dataset.from_dict({"words": [["Bob", "ran"]], "ner": [["B-PER ", "O"]]})
    >>> dataset = load_dataset(raw)
    >>> dataset.column_names, dataset.features["tags"].feature.names
    (['tokens', 'tags'], ['O', 'B-PER'])
    """
    import datasets as hf_datasets

    columns = {"tokens": tokens, "tags": tags, "text": text, "label": label}
    if isinstance(source, hf_datasets.DatasetDict):
        source = _choose_split(source, split, "the DatasetDict")
    if isinstance(source, hf_datasets.Dataset):
        return _normalise(source, source="dataset", **columns)
    if not isinstance(source, (str, os.PathLike)):
        raise HomogUsageError(
            f"homog_dataset() takes a file, directory, dataset name or datasets.Dataset; got "
            f"{type(source).__name__}"
        )
    path = Path(source).expanduser()
    name = os.fspath(source)
    if path.is_dir():
        return _normalise(_read_directory(path, name, split), source=name, **columns)
    if path.is_file():
        return _read_file(path, name, columns)
    if _looks_like_path(name) or path.suffix:
        raise HomogDataError(f"no file or directory {name!r} (looked in {Path.cwd()}); check the path")
    return _from_hub(name, split, **columns)


def _read_directory(path: Path, name: str, split: str | None) -> datasets.Dataset:
    """A dataset written by ``save_to_disk`` (one split of it, for a ``DatasetDict``)."""
    import datasets as hf_datasets

    try:
        loaded = hf_datasets.load_from_disk(str(path))
    except Exception as exc:  # datasets raises FileNotFoundError or its own errors here
        raise HomogDataError(
            f"{name!r} is a directory but not a dataset saved by datasets' save_to_disk: {exc}"
        ) from exc
    if isinstance(loaded, hf_datasets.DatasetDict):
        loaded = _choose_split(loaded, split, name)
    return loaded


def _read_file(path: Path, name: str, columns: dict[str, str | None]) -> datasets.Dataset:
    """A table file (JSON, JSONL, CSV, parquet) read with the given columns, or a CoNLL file."""
    import datasets as hf_datasets

    suffix = path.suffix.lower()
    if suffix in _TABLE_SUFFIXES:
        try:
            if _TABLE_SUFFIXES[suffix] == "json":
                loaded = hf_datasets.Dataset.from_json(str(path))
            elif suffix == ".csv":
                loaded = hf_datasets.Dataset.from_csv(str(path))
            else:
                loaded = hf_datasets.Dataset.from_parquet(str(path))
        except Exception as exc:
            raise HomogDataError(f"cannot read {name!r} as {suffix[1:]}: {exc}") from exc
        # from_json, from_csv and from_parquet give a Dataset when reading one file
        return _normalise(cast("datasets.Dataset", loaded), source=name, **columns)
    if suffix not in _CONLL_SUFFIXES and suffix:
        raise HomogDataError(
            f"{name!r}: unknown file type {suffix!r}; use a CoNLL file (.conll, .bio, .iob, .tsv, .txt) "
            "or .json, .jsonl, .csv, .parquet"
        )
    return _normalise(
        hf_datasets.Dataset.from_dict(read_conll(path)), tokens=None, tags=None, text=None, label=None, source=name
    )


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or os.sep in name.strip("/").replace("/", "", 1)


def _choose_split(dataset_dict: Any, split: str | None, where: str) -> Any:
    if split is not None:
        if split not in dataset_dict:
            raise HomogDataError(f"{where} has no split {split!r}; its splits are {sorted(dataset_dict)}")
        return dataset_dict[split]
    if len(dataset_dict) == 1:
        return next(iter(dataset_dict.values()))
    raise HomogUsageError(f"{where} has splits {sorted(dataset_dict)}; pass split= to say which one to use")


def _from_hub(name: str, split: str | None, **columns: str | None) -> datasets.Dataset:
    import datasets as hf_datasets

    if os.environ.get("HF_DATASETS_OFFLINE", "").lower() in ("1", "true", "yes", "on") or os.environ.get(
        "HF_HUB_OFFLINE", ""
    ).lower() in ("1", "true", "yes", "on"):
        raise HomogDataError(
            f"no file or directory {name!r}, and it cannot be fetched as a datasets hub name because "
            "HF_HUB_OFFLINE/HF_DATASETS_OFFLINE is set; give a local file or directory"
        )
    try:
        loaded = hf_datasets.load_dataset(name, split=split)
    except Exception as exc:
        raise HomogDataError(f"cannot load dataset {name!r} from the hub: {exc}") from exc
    if isinstance(loaded, hf_datasets.DatasetDict):
        loaded = _choose_split(loaded, split, name)
    return _normalise(loaded, source=name, **columns)


def dataset_kind(dataset: datasets.Dataset) -> str:
    """``"token-classification"`` for ``tokens``/``tags`` datasets, ``"sequence-classification"`` otherwise.

    Examples
    --------
    >>> import datasets
    >>> dataset_kind(load_dataset(datasets.Dataset.from_dict({"text": ["hi"], "label": ["pos"]})))
    'sequence-classification'
    """
    names = set(dataset.column_names)
    if {"tokens", "tags"} <= names:
        return "token-classification"
    if {"text", "label"} <= names:
        return "sequence-classification"
    raise HomogDataError(
        f"dataset columns {sorted(names)} are neither tokens/tags nor text/label; "
        "load it with homog_dataset()"
    )


def label_names(dataset: datasets.Dataset) -> list[str]:
    """The label names of a normalised dataset, in ``ClassLabel`` order.

    Examples
    --------
    >>> import datasets
    >>> label_names(load_dataset(datasets.Dataset.from_dict({"tokens": [["a"]], "tags": [["B-X"]]})))
    ['B-X']
    """
    if dataset_kind(dataset) == "token-classification":
        return list(dataset.features["tags"].feature.names)
    return list(dataset.features["label"].names)


_FINGERPRINTS: dict[str, str] = {}


def data_fingerprint(dataset: datasets.Dataset) -> str:
    """sha256 of the dataset's content (columns as label names), the same for equal data from any source.

    Examples
    --------
    >>> import datasets
    >>> a = load_dataset(datasets.Dataset.from_dict({"tokens": [["a"]], "tags": [["O"]]}))
    >>> b = load_dataset(datasets.Dataset.from_dict({"words": [["a"]], "ner": [["O"]]}))
    >>> data_fingerprint(a) == data_fingerprint(b)
    True
    """
    memo_key = getattr(dataset, "_fingerprint", None)
    if memo_key and memo_key in _FINGERPRINTS:
        return _FINGERPRINTS[memo_key]
    kind = dataset_kind(dataset)
    names = label_names(dataset)
    columns = dataset.to_dict()
    if kind == "token-classification":
        payload: Any = [columns["tokens"], [[names[tag] for tag in row] for row in columns["tags"]]]
    else:
        payload = [columns["text"], [names[value] for value in columns["label"]]]
    digest = hashlib.sha256(json.dumps([kind, payload], ensure_ascii=False).encode("utf-8")).hexdigest()
    if memo_key:
        _FINGERPRINTS[memo_key] = digest
    return digest
