"""homog_dataset: readers, label normalisation, fingerprints and bad input."""

from __future__ import annotations

import json

import datasets
import pytest

from pytest_homog.data import data_fingerprint, dataset_kind, label_names, load_dataset, read_conll
from pytest_homog.errors import HomogDataError, HomogUsageError

TOKENS = [["Alice", "lives", "in", "Paris"], ["Bob", "Smith", "left"]]
TAGS = [["B-PER", "O", "O", "B-LOC"], ["B-PER", "I-PER", "O"]]


def write_conll(path, tokens=TOKENS, tags=TAGS, sep="\t", blank="\t"):
    lines = []
    for toks, tgs in zip(tokens, tags, strict=True):
        lines += [f"{t}{sep}{g}" for t, g in zip(toks, tgs, strict=True)] + [blank]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_same_content(ds):
    assert ds.column_names == ["tokens", "tags"]
    assert ds.features["tags"].feature.names == ["O", "B-LOC", "B-PER", "I-PER"]
    names = label_names(ds)
    assert ds["tokens"][:] == TOKENS
    assert [[names[t] for t in row] for row in ds["tags"]] == TAGS


@pytest.mark.parametrize("sep,blank", [("\t", "\t"), ("\t", ""), (" ", "")])
def test_conll_reads_sentences_and_normalises_labels(tmp_path, sep, blank):
    ds = load_dataset(write_conll(tmp_path / "a.conll", sep=sep, blank=blank))
    assert_same_content(ds)
    assert dataset_kind(ds) == "token-classification"


def test_conll_skips_docstart_and_takes_last_column(tmp_path):
    path = tmp_path / "b.conll"
    path.write_text("-DOCSTART- -X- O O\n\nAlice NNP B-NP B-PER\nran VBD B-VP O\n", encoding="utf-8")
    assert read_conll(path) == {"tokens": [["Alice", "ran"]], "tags": [["B-PER", "O"]]}


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "parquet"])
def test_table_formats(tmp_path, fmt):
    if fmt in ("json", "jsonl", "parquet"):
        raw = datasets.Dataset.from_dict({"words": TOKENS, "ner_tags": TAGS})
        path = tmp_path / f"d.{fmt}"
        if fmt == "parquet":
            raw.to_parquet(str(path))
        else:
            path.write_text(
                "\n".join(json.dumps({"words": t, "ner_tags": g}) for t, g in zip(TOKENS, TAGS, strict=True))
            )
        assert_same_content(load_dataset(path))
    else:
        path = tmp_path / "d.csv"
        path.write_text("sentence,class\ngood film,pos\nbad film , neg \nfine,pos\n", encoding="utf-8")
        ds = load_dataset(path)
        assert ds.column_names == ["text", "label"]
        assert ds.features["label"].names == ["neg", "pos"]
        assert [ds.features["label"].int2str(v) for v in ds["label"]] == ["pos", "neg", "pos"]


def test_dataset_dir_dataset_and_datasetdict(tmp_path):
    raw = datasets.Dataset.from_dict({"tokens": TOKENS, "tags": TAGS})
    assert_same_content(load_dataset(raw))
    dd = datasets.DatasetDict({"train": raw, "test": raw.select([0])})
    with pytest.raises(HomogUsageError, match=r"split="):
        load_dataset(dd)
    assert len(load_dataset(dd, split="test")) == 1
    with pytest.raises(HomogDataError, match=r"no split 'dev'"):
        load_dataset(dd, split="dev")
    raw.save_to_disk(str(tmp_path / "saved"))
    assert_same_content(load_dataset(tmp_path / "saved"))


def test_classlabel_ints_become_names_and_explicit_columns():
    features = datasets.Features(
        {
            "w": datasets.Sequence(datasets.Value("string")),
            "t": datasets.Sequence(datasets.ClassLabel(names=["I-PER", "B-LOC", "O", "B-PER"])),
        }
    )
    raw = datasets.Dataset.from_dict({"w": TOKENS, "t": [[3, 2, 2, 1], [3, 0, 2]]}, features=features)
    assert_same_content(load_dataset(raw, tokens="w", tags="t"))
    with pytest.raises(HomogDataError, match=r"no column 'nope'"):
        load_dataset(raw, tokens="nope", tags="t")


def test_fingerprint_depends_on_content_only(tmp_path):
    a = load_dataset(write_conll(tmp_path / "a.conll"))
    b = load_dataset(datasets.Dataset.from_dict({"words": TOKENS, "ner": TAGS}))
    c = load_dataset(
        datasets.Dataset.from_dict({"words": TOKENS, "ner": [TAGS[0], ["B-PER", "I-PER", "B-PER"]]})
    )
    assert data_fingerprint(a) == data_fingerprint(b)
    assert data_fingerprint(a) != data_fingerprint(c)


def test_bad_input(tmp_path):
    with pytest.raises(HomogDataError, match=r"no file or directory 'missing.conll'"):
        load_dataset("missing.conll")
    binary = tmp_path / "x.conll"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(HomogDataError, match=r"cannot read CoNLL file .*UTF-8"):
        load_dataset(binary)
    one_col = tmp_path / "y.conll"
    one_col.write_text("Alice\nran\n", encoding="utf-8")
    with pytest.raises(HomogDataError, match=r"y.conll:1: expected a token and a tag"):
        load_dataset(one_col)
    empty = tmp_path / "z.conll"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(HomogDataError, match=r"holds no sentence"):
        load_dataset(empty)
    broken = tmp_path / "w.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(HomogDataError, match=r"cannot read .*w.json.* as json"):
        load_dataset(broken)
    with pytest.raises(HomogDataError, match=r"4 tokens but 3 tags"):
        load_dataset(datasets.Dataset.from_dict({"tokens": [TOKENS[0]], "tags": [TAGS[1]]}))
    with pytest.raises(HomogDataError, match=r"cannot tell"):
        load_dataset(datasets.Dataset.from_dict({"a": [1], "b": [2]}))
    with pytest.raises(HomogUsageError, match=r"got int"):
        load_dataset(3)
    with pytest.raises(HomogDataError, match=r"HF_HUB_OFFLINE"):
        load_dataset("some_hub_dataset")
