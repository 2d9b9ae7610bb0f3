"""assert_not_homogeneous: outcome homogenization and pairwise similarity bounds, and their messages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from pytest_homog import (
    HomogDataError,
    HomogUsageError,
    assert_not_homogeneous,
)
from pytest_homog.errors import UndefinedMetricWarning
from pytest_homog.record import RunRecord, set_active_run

pytestmark = pytest.mark.filterwarnings("ignore::pytest_homog.errors.HomogWarning")


Y_TRUE = [["B-PER", "I-PER", "O"], ["B-LOC", "O"], ["O", "B-ORG"], ["B-PER", "O"]] * 6
GOOD = [list(s) for s in Y_TRUE]


# drops the ORG entities and every other LOC
WEAK = [["O", "O"] if s == ["O", "B-ORG"] else list(s) for s in Y_TRUE]


WEAK[1] = ["O", "O"]


@pytest.fixture
def run() -> Iterator[RunRecord]:
    record = RunRecord()
    set_active_run(record)
    yield record
    set_active_run(None)


class _Model:
    """A model as pytest-homog sees one: homog_predict gives references, predictions and texts."""

    def __init__(self, name: str, features: np.ndarray | None = None, predictions: Any = None,
                 texts: Any = None) -> None:  # fmt: skip
        self.homog_name = name
        self.features = features
        self.predictions = predictions
        self.texts = texts

    def homog_predict(self, data: Any) -> tuple[Any, Any, Any]:
        predictions = self.predictions if self.predictions is not None else data
        return data, [list(s) for s in predictions], self.texts

    def homog_features(self, data: Any) -> np.ndarray:
        assert self.features is not None
        return self.features


def test_not_homogeneous_passes_and_records(run: RunRecord) -> None:
    other = [["O"] * len(s) if s[0] == "B-PER" else list(s) for s in Y_TRUE]
    record = assert_not_homogeneous({"weak": WEAK, "other": other}, Y_TRUE, max_homogenization=1.0,
                                    max_similarity=0.5)  # fmt: skip
    assert record.passed and record.metric == "outcome_homogenization"
    assert record.value == 0.0  # they never fail the same gold entity
    assert [c.metric for c in run.checks] == ["outcome_homogenization", "max_similarity:error_consistency"]
    assert run.checks[1].details["matrix"]["names"] == ["weak", "other"]


def test_not_homogeneous_failure_shows_matrix_and_shared_units(run: RunRecord) -> None:
    texts = [["Ann", "Lee", "said"], ["Paris", "."], ["at", "ACME"], ["Bob", "ran"]] * 6
    subjects = {
        "weak": _Model("weak", predictions=WEAK, texts=texts),
        "twin": [list(s) for s in WEAK],
        "good": GOOD[:1] + WEAK[1:],
    }
    with pytest.raises(AssertionError) as info:
        assert_not_homogeneous(subjects, Y_TRUE, max_homogenization=1.5, show=2)
    text = str(info.value)
    assert text.splitlines()[0].startswith("assert_not_homogeneous: 3 subjects are homogeneous: outcome homog")
    assert "| error_consistency | weak | twin | good |" in text
    assert "| weak | 1.000 | 1.000 |" in text
    assert "units every subject fails (first 2 of 7):" in text
    assert "sentence 1, LOC at tokens 0-0: [Paris]{LOC} ." in text
    assert "sentence 2, ORG at tokens 1-1: at [ACME]{ORG}" in text
    (record,) = run.checks
    assert not record.passed and record.details["n_shared_failures"] == 7


def test_not_homogeneous_undefined_when_every_subject_is_perfect() -> None:
    with (
        pytest.warns(Warning),
        pytest.raises(AssertionError, match="undefined: every subject gets every entity"),
    ):
        assert_not_homogeneous({"a": GOOD, "b": [list(s) for s in GOOD]}, Y_TRUE)


def test_not_homogeneous_argument_errors() -> None:
    with pytest.raises(HomogUsageError, match="two or more subjects; got 1"):
        assert_not_homogeneous({"a": GOOD}, Y_TRUE)
    wanted = "assert_not_homogeneous needs a mapping of subject name -> subject; got list"
    with pytest.raises(HomogUsageError, match=wanted):
        assert_not_homogeneous([GOOD, WEAK], Y_TRUE)
    with pytest.raises(HomogUsageError, match="max_homogenization must be a number"):
        assert_not_homogeneous({"a": GOOD, "b": WEAK}, Y_TRUE, max_homogenization="high")
    with pytest.raises(HomogDataError, match="subject 'b'"):
        assert_not_homogeneous({"a": GOOD, "b": WEAK[:3]}, Y_TRUE)


E2E_HOMOG = """
import pytest
from pytest_homog import assert_not_homogeneous
from pytest_homog.record import active_run

pytestmark = pytest.mark.homog

Y_TRUE = {y_true!r}
WEAK = {weak!r}
OTHER = {other!r}


def test_shared_blind_spot():
    try:
        assert_not_homogeneous({{"weak": WEAK, "twin": WEAK}}, Y_TRUE, max_homogenization=1.5)
    finally:
        (record,) = active_run().checks
        assert record.metric == "outcome_homogenization" and not record.passed
        assert record.details["matrix"]["names"] == ["weak", "twin"]


def test_different_failures():
    assert_not_homogeneous({{"weak": WEAK, "other": OTHER}}, Y_TRUE, max_homogenization=1.5)
    assert active_run().checks[-1].passed
"""


def test_end_to_end_not_homogeneous_with_homog(pytester: pytest.Pytester) -> None:
    other = [["O"] * len(s) if s[0] == "B-PER" else list(s) for s in Y_TRUE]
    pytester.makepyfile(test_blind=E2E_HOMOG.format(y_true=Y_TRUE, weak=WEAK, other=other))
    skipped = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    skipped.assert_outcomes(skipped=2)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--homog")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: assert_not_homogeneous: 2 subjects are homogeneous: outcome homogenization "
            "* > max_homogenization 1.5",
            "*| error_consistency | weak | twin |",
            "*units every subject fails (first 5 of 7):",
            "*  sentence 1, LOC at tokens 0-0",
            "*  sentence 2, ORG at tokens 1-1",
        ]
    )


def test_shared_failures_by_sentence_and_token_show_their_text() -> None:
    texts = [["Ann", "Lee", "said"], ["Paris", "."], ["at", "ACME"], ["Bob", "ran"]] * 6
    subjects = {"weak": _Model("weak", predictions=WEAK, texts=texts), "twin": [list(s) for s in WEAK]}
    with pytest.raises(AssertionError) as info:
        assert_not_homogeneous(subjects, Y_TRUE, unit="sentence", show=1)
    assert "  sentence 1, 1 gold entities (LOC 0-0): [Paris]{LOC} ." in str(info.value)
    with pytest.raises(AssertionError) as info:
        assert_not_homogeneous(subjects, Y_TRUE, unit="token", show=1)
    assert "  sentence 1, token 0 (gold B-LOC): [Paris]{B-LOC} ." in str(info.value)


def test_all_perfect_subjects_get_a_next_step_about_the_data() -> None:
    from pytest_homog import assert_not_homogeneous

    gold = [["B-PER", "O"], ["B-LOC", "O"]] * 5
    with pytest.warns(UndefinedMetricWarning), pytest.raises(AssertionError) as info:
        assert_not_homogeneous({"a": gold, "b": gold}, gold)
    assert "Next step: every subject is right on every unit" in str(info.value)
    assert "blind spot" not in str(info.value)


def test_the_mapping_keys_name_the_subjects(run: RunRecord) -> None:
    # two models saved in folders of one name, and one model under two keys, stay distinct subjects
    same_folder = {
        "candidate": _Model("ner", predictions=WEAK),
        "incumbent": _Model("ner", predictions=GOOD[:1] + WEAK[1:]),
    }
    assert_not_homogeneous(same_folder, Y_TRUE, max_homogenization=100.0)
    assert run.checks[-1].subjects == ("candidate", "incumbent")
    copy = _Model("ner-v1", predictions=WEAK)
    with pytest.raises(AssertionError, match="2 subjects are homogeneous") as info:
        assert_not_homogeneous({"candidate": copy, "incumbent": copy}, Y_TRUE)
    assert "failure rates: candidate " in str(info.value) and run.checks[-1].subjects == ("candidate", "incumbent")
