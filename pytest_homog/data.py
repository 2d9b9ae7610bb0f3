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
from typing import TYPE_CHECKING, Any

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
    return sorted(names, key=lambda n: (n != "O", n))


def _norm_name(value: Any) -> str:
    return str(value).strip()


def _pick(columns: Sequence[str], asked: str | None, guesses: Sequence[str]) -> str | None:
    if asked is not None:
        return asked if asked in columns else None
    return next((c for c in guesses if c in columns), None)


def _normalise(
    ds: datasets.Dataset,
    *,
    tokens: str | None,
    tags: str | None,
    text: str | None,
    label: str | None,
    source: str,
) -> datasets.Dataset:
    import datasets as hf

    columns = list(ds.column_names)
    tok_col, tag_col = _pick(columns, tokens, _TOKEN_GUESSES), _pick(columns, tags, _TAG_GUESSES)
    text_col, label_col = _pick(columns, text, _TEXT_GUESSES), _pick(columns, label, _LABEL_GUESSES)
    for asked, found, what in (
        (tokens, tok_col, "tokens"),
        (tags, tag_col, "tags"),
        (text, text_col, "text"),
        (label, label_col, "label"),
    ):
        if asked is not None and found is None:
            raise HomogDataError(f"{source}: no column {asked!r} (given as {what}=); columns are {columns}")

    if tok_col is not None and tag_col is not None and (text is None and label is None):
        feature = ds.features[tag_col]
        inner = getattr(feature, "feature", None)
        if isinstance(feature, list) and feature:
            inner = feature[0]
        rows_tags = list(ds[tag_col])
        if isinstance(inner, hf.ClassLabel):
            rows_tags = [[inner.int2str(int(t)) for t in row] for row in rows_tags]
        rows_tags = [[_norm_name(t) for t in row] for row in rows_tags]
        rows_tokens = [[str(t) for t in row] for row in ds[tok_col]]
        for i, (tk, tg) in enumerate(zip(rows_tokens, rows_tags, strict=True)):
            if len(tk) != len(tg):
                raise HomogDataError(
                    f"{source}: example {i} has {len(tk)} tokens but {len(tg)} tags; each token needs one tag"
                )
        names = _sort_labels({t for row in rows_tags for t in row})
        features = hf.Features(
            {"tokens": hf.Sequence(hf.Value("string")), "tags": hf.Sequence(hf.ClassLabel(names=names))}
        )
        index = {n: i for i, n in enumerate(names)}
        return hf.Dataset.from_dict(
            {"tokens": rows_tokens, "tags": [[index[t] for t in row] for row in rows_tags]}, features=features
        )

    if text_col is not None and label_col is not None:
        feature = ds.features[label_col]
        values = list(ds[label_col])
        if isinstance(feature, hf.ClassLabel):
            values = [feature.int2str(int(v)) for v in values]
        values = [_norm_name(v) for v in values]
        names = sorted(set(values))
        features = hf.Features({"text": hf.Value("string"), "label": hf.ClassLabel(names=names)})
        index = {n: i for i, n in enumerate(names)}
        return hf.Dataset.from_dict(
            {"text": [str(t) for t in ds[text_col]], "label": [index[v] for v in values]}, features=features
        )

    raise HomogDataError(
        f"{source}: cannot tell the token and tag columns (or text and label columns) apart in {columns}; "
        "pass tokens=/tags= (token classification) or text=/label= (sequence classification)"
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
    >>> ds = load_dataset(raw)
    >>> ds.column_names, ds.features["tags"].feature.names
    (['tokens', 'tags'], ['O', 'B-PER'])
    """
    import datasets as hf

    if isinstance(source, hf.DatasetDict):
        source = _choose_split(source, split, "the DatasetDict")
    if isinstance(source, hf.Dataset):
        return _normalise(source, tokens=tokens, tags=tags, text=text, label=label, source="dataset")
    if not isinstance(source, (str, os.PathLike)):
        raise HomogUsageError(
            f"homog_dataset() takes a file, directory, dataset name or datasets.Dataset; got "
            f"{type(source).__name__}"
        )
    path = Path(source).expanduser()
    name = os.fspath(source)
    if path.is_dir():
        try:
            loaded = hf.load_from_disk(str(path))
        except Exception as exc:  # datasets raises FileNotFoundError or its own errors here
            raise HomogDataError(
                f"{name!r} is a directory but not a dataset saved by datasets' save_to_disk: {exc}"
            ) from exc
        if isinstance(loaded, hf.DatasetDict):
            loaded = _choose_split(loaded, split, name)
        return _normalise(loaded, tokens=tokens, tags=tags, text=text, label=label, source=name)
    suffix = path.suffix.lower()
    if path.is_file() and suffix in _TABLE_SUFFIXES:
        try:
            loaded = (
                hf.Dataset.from_json(str(path))
                if _TABLE_SUFFIXES[suffix] == "json"
                else (
                    hf.Dataset.from_csv(str(path)) if suffix == ".csv" else hf.Dataset.from_parquet(str(path))
                )
            )
        except Exception as exc:
            raise HomogDataError(f"cannot read {name!r} as {suffix[1:]}: {exc}") from exc
        assert isinstance(loaded, hf.Dataset)  # from_* with one file always give a Dataset
        return _normalise(loaded, tokens=tokens, tags=tags, text=text, label=label, source=name)
    if path.is_file():
        if suffix not in _CONLL_SUFFIXES and suffix:
            raise HomogDataError(
                f"{name!r}: unknown file type {suffix!r}; use a CoNLL file (.conll, .bio, .iob, .tsv, .txt) "
                "or .json, .jsonl, .csv, .parquet"
            )
        raw = read_conll(path)
        return _normalise(
            hf.Dataset.from_dict(raw), tokens=None, tags=None, text=None, label=None, source=name
        )
    if _looks_like_path(name) or path.suffix:
        raise HomogDataError(f"no file or directory {name!r} (looked in {Path.cwd()}); check the path")
    return _from_hub(name, split, tokens=tokens, tags=tags, text=text, label=label)


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or os.sep in name.strip("/").replace("/", "", 1)


def _choose_split(dd: Any, split: str | None, where: str) -> Any:
    if split is not None:
        if split not in dd:
            raise HomogDataError(f"{where} has no split {split!r}; its splits are {sorted(dd)}")
        return dd[split]
    if len(dd) == 1:
        return next(iter(dd.values()))
    raise HomogUsageError(f"{where} has splits {sorted(dd)}; pass split= to say which one to use")


def _from_hub(name: str, split: str | None, **columns: str | None) -> datasets.Dataset:
    import datasets as hf

    if os.environ.get("HF_DATASETS_OFFLINE", "").lower() in ("1", "true", "yes", "on") or os.environ.get(
        "HF_HUB_OFFLINE", ""
    ).lower() in ("1", "true", "yes", "on"):
        raise HomogDataError(
            f"no file or directory {name!r}, and it cannot be fetched as a datasets hub name because "
            "HF_HUB_OFFLINE/HF_DATASETS_OFFLINE is set; give a local file or directory"
        )
    try:
        loaded = hf.load_dataset(name, split=split)
    except Exception as exc:
        raise HomogDataError(f"cannot load dataset {name!r} from the hub: {exc}") from exc
    if isinstance(loaded, hf.DatasetDict):
        loaded = _choose_split(loaded, split, name)
    return _normalise(loaded, source=name, **columns)


def dataset_kind(ds: datasets.Dataset) -> str:
    """``"token-classification"`` for ``tokens``/``tags`` datasets, ``"sequence-classification"`` otherwise.

    Examples
    --------
    >>> import datasets
    >>> dataset_kind(load_dataset(datasets.Dataset.from_dict({"text": ["hi"], "label": ["pos"]})))
    'sequence-classification'
    """
    names = set(ds.column_names)
    if {"tokens", "tags"} <= names:
        return "token-classification"
    if {"text", "label"} <= names:
        return "sequence-classification"
    raise HomogDataError(
        f"dataset columns {sorted(names)} are neither tokens/tags nor text/label; "
        "load it with homog_dataset()"
    )


def label_names(ds: datasets.Dataset) -> list[str]:
    """The label names of a normalised dataset, in ``ClassLabel`` order.

    Examples
    --------
    >>> import datasets
    >>> label_names(load_dataset(datasets.Dataset.from_dict({"tokens": [["a"]], "tags": [["B-X"]]})))
    ['B-X']
    """
    if dataset_kind(ds) == "token-classification":
        return list(ds.features["tags"].feature.names)
    return list(ds.features["label"].names)


_FINGERPRINTS: dict[str, str] = {}


def data_fingerprint(ds: datasets.Dataset) -> str:
    """sha256 of the dataset's content (columns as label names), the same for equal data from any source.

    Examples
    --------
    >>> import datasets
    >>> a = load_dataset(datasets.Dataset.from_dict({"tokens": [["a"]], "tags": [["O"]]}))
    >>> b = load_dataset(datasets.Dataset.from_dict({"words": [["a"]], "ner": [["O"]]}))
    >>> data_fingerprint(a) == data_fingerprint(b)
    True
    """
    memo_key = getattr(ds, "_fingerprint", None)
    if memo_key and memo_key in _FINGERPRINTS:
        return _FINGERPRINTS[memo_key]
    kind = dataset_kind(ds)
    names = label_names(ds)
    cols = ds.to_dict()
    if kind == "token-classification":
        payload: Any = [cols["tokens"], [[names[t] for t in row] for row in cols["tags"]]]
    else:
        payload = [cols["text"], [names[v] for v in cols["label"]]]
    digest = hashlib.sha256(json.dumps([kind, payload], ensure_ascii=False).encode("utf-8")).hexdigest()
    if memo_key:
        _FINGERPRINTS[memo_key] = digest
    return digest
