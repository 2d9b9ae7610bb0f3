"""Input validation: tag sequences and flat labels, the references alone and predictions against them."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pytest_homog.errors import HomogDataError
from pytest_homog.metrics.inputs import check_labels, check_sequences
from pytest_homog.metrics.quality import f1_score
from pytest_homog.metrics.tags import (
    is_nested,
)


def test_is_nested() -> None:
    assert is_nested([["O"]])
    assert is_nested((("O",),))
    assert is_nested(np.array([["O", "O"]]))
    assert not is_nested(["O", "B-PER"])
    assert not is_nested(np.array(["a", "b"]))
    assert not is_nested([])


def test_check_sequences_returns_lists() -> None:
    true, pred = check_sequences((("B-PER", "O"),), [np.array(["O", "O"])])
    assert true == [["B-PER", "O"]]
    assert pred == [["O", "O"]]
    assert all(type(t) is str for t in pred[0])


@pytest.mark.parametrize(
    ("y_true", "y_pred", "match"),
    [
        ([], [], "y_true is empty"),
        ([["O"]], [], "y_pred is empty"),
        ([[]], [[]], "no tags; the input is empty"),
        ([["O"], ["O"]], [["O"]], "y_true has 2 sentences but y_pred has 1"),
        ([["O"], ["O", "O", "B-X"]], [["O"], ["O", "O"]], "sentence 1 has 3 tags in y_true but 2 in y_pred"),
        ([["O"]], ["O"], "mix nested and flat input: y_true is nested .* but y_pred is flat"),
        ([["O"], "O"], [["O"], ["O"]], "mixes nested and flat input: element 1 is 'O'"),
        (["O"], ["O"], "expected one sequence of tags per sentence"),
        (
            [["O", math.nan]],
            [["O", "O"]],
            "y_true contains a label that is not a non-empty string: NaN at sentence 0, position 1",
        ),
        ([["O"]], [[None]], r"y_pred contains a label .*None \(NoneType\) at sentence 0, position 0"),
        ([["O"]], [[3]], r"3 \(int\)"),
        ([["O"]], [[""]], "''"),
        ([["O"]], [[["O"]]], "nested one level too deep"),
        ("O", "O", "must be a sequence"),
    ],
)
def test_check_sequences_errors(y_true: object, y_pred: object, match: str) -> None:
    with pytest.raises(HomogDataError, match=match):
        check_sequences(y_true, y_pred)


def test_check_labels() -> None:
    assert check_labels(np.array([1, 0]), [np.int64(1), 1]) == ([1, 0], [1, 1])
    assert check_labels(("a",), ["b"]) == (["a"], ["b"])


@pytest.mark.parametrize(
    ("y_true", "y_pred", "match"),
    [
        ([], [], "y_true is empty"),
        (["a"], ["a", "b"], "y_true has 1 examples but y_pred has 2"),
        (["a"], [["a"]], "expected flat labels"),
        (["a", ["b"]], ["a", "b"], "mixes nested and flat input: element 1"),
        ([1, 0], [math.nan, 0], "not a string or an integer: NaN at index 0"),
        ([1.5], [1], r"1.5 \(float\) at index 0"),
        (["a"], [1], "mix strings and integers"),
    ],
)
def test_check_labels_errors(y_true: object, y_pred: object, match: str) -> None:
    with pytest.raises(HomogDataError, match=match):
        check_labels(y_true, y_pred)


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        check_sequences([["O"]], [["O", "O"]])


@pytest.mark.parametrize("bad", [{"a": 1, "b": 0}, {"pos", "neg"}, frozenset({1, 2})])
def test_unordered_inputs_are_rejected(bad: Any) -> None:
    good = ["pos", "neg"]
    with pytest.raises(HomogDataError, match=rf"y_true must be an ordered sequence .* got {type(bad).__name__}"):
        check_labels(bad, good)
    with pytest.raises(HomogDataError, match=r"y_pred must be an ordered sequence .* pass a list"):
        f1_score(good, bad)


def test_integer_tags_point_at_the_first_one_and_at_id2label() -> None:
    with pytest.raises(HomogDataError, match=r"\b1 \(int\) at sentence 0, position 0; .*config\.id2label"):
        check_sequences([[1, 0, 2]], [["B-X", "O", "O"]])


def test_empty_tag_message_says_to_use_o() -> None:
    with pytest.raises(HomogDataError, match=r"'' \(str\) at sentence 1, position 0; .*'O'"):
        check_sequences([["O"], ["", "B-X"]], [["O"], ["O", "B-X"]])


@pytest.mark.parametrize(
    ("y_true", "y_pred", "match"),
    [
        ([1, 0], [1.0, 0], r"1\.0 \(float\) at index 0; cast class ids to integers"),
        ([1, 0], [math.nan, 0], "NaN at index 0; drop the examples without a label"),
        (["a", "b"], [1, 0], r"mix strings and integers \('a' at y_true index 0, 1 at y_pred index 0\)"),
    ],
)
def test_flat_label_errors_show_the_value_and_the_fix(y_true: list, y_pred: list, match: str) -> None:
    with pytest.raises(HomogDataError, match=match):
        check_labels(y_true, y_pred)


def test_pandas_series_are_read_as_their_values() -> None:
    pd = pytest.importorskip("pandas")
    y_true = [["B-PER", "I-PER", "O"], ["O", "B-LOC"]]
    y_pred = [["B-PER", "I-PER", "O"], ["O", "O"]]
    # a Series of tag lists is nested input, a Series of labels flat input; the index plays no part
    assert f1_score(pd.Series(y_true), pd.Series(y_pred, index=[7, 3])) == pytest.approx(2 / 3)
    as_arrays = pd.Series([np.array(tags) for tags in y_pred])  # as a parquet file's list column reads
    assert f1_score(y_true, as_arrays) == pytest.approx(2 / 3)
    assert f1_score(pd.Series(["a", "b", "a"]), pd.Series(["a", "a", "a"])) == f1_score(
        ["a", "b", "a"], ["a", "a", "a"]
    )


def test_a_pandas_dataframe_is_refused_with_the_column_to_pass() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"tokens": [["Ann", "Lee"], ["Rome"]], "tags": [["B-PER", "I-PER"], ["B-LOC"]]})
    message = r"y_true is a pandas DataFrame \(columns \['tokens', 'tags'\]\).*df\['tags'\]\.tolist\(\)"
    with pytest.raises(HomogDataError, match=message):
        f1_score(frame, frame)
    with pytest.raises(HomogDataError, match=r"y_pred is a pandas DataFrame"):
        f1_score(frame["tags"], frame[["tags"]])


@pytest.mark.parametrize("path", ["data/test.conll", Path("data/test.conll")])
def test_a_path_says_which_fixture_loads_it(path: Any) -> None:
    with pytest.raises(HomogDataError, match=r"got (str|PosixPath|WindowsPath) .*test.conll.*homog_dataset\("):
        f1_score(path, [["O"]])
    with pytest.raises(HomogDataError, match=r"y_pred .* got (str|PosixPath|WindowsPath) .*homog_model\("):
        f1_score([["O"]], path)


def test_a_transformers_object_says_to_load_it_with_homog_model() -> None:
    module = {"__module__": "transformers.pipelines.token_classification"}  # a pipeline, as the check sees it
    pipeline_type = type("TokenClassificationPipeline", (), module)
    with pytest.raises(HomogDataError, match=r"got a transformers TokenClassificationPipeline.*homog_model\(pipe\)"):
        f1_score([["O"]], pipeline_type())
