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
from pytest_homog.errors import HomogWarning, UndefinedMetricWarning
from pytest_homog.record import RunRecord, set_active_run

pytestmark = pytest.mark.filterwarnings("ignore::pytest_homog.errors.HomogWarning")


Y_TRUE = [["B-PER", "I-PER", "O"], ["B-LOC", "O"], ["O", "B-ORG"], ["B-PER", "O"]] * 6
GOOD = [list(s) for s in Y_TRUE]


# drops the ORG entities and every other LOC
WEAK = [["O", "O"] if s == ["O", "B-ORG"] else list(s) for s in Y_TRUE]


WEAK[1] = ["O", "O"]
# misses every PER entity
OTHER = [["O"] * len(s) if s[0] == "B-PER" else list(s) for s in Y_TRUE]


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
    record = assert_not_homogeneous({"weak": WEAK, "other": OTHER}, Y_TRUE, max_homogenization=1.0,
                                    max_similarity=0.5)  # fmt: skip
    assert record.passed and record.metric == "shared_failure"
    assert record.value == -1.0  # they never fail the same gold entity, as far from nested as their rates allow
    assert record.compared == "high" and record.confidence == 0.95
    assert record.low is not None and record.high is not None and record.low <= -1.0 <= record.high <= 0.5
    assert [c.metric for c in run.checks] == [
        "shared_failure", "outcome_homogenization", "max_similarity:error_consistency",
    ]  # fmt: skip
    homogenization = run.checks[1]
    assert homogenization.value == 0.0 and homogenization.passed and homogenization.compared == "high"
    assert run.checks[2].details["matrix"]["names"] == ["weak", "other"]
    assert all(check.higher_is_better is False for check in run.checks)


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
    assert text.splitlines()[0].startswith("assert_not_homogeneous: 3 subjects are homogeneous: the 95% CI of sha")
    assert "the 95% CI of outcome homogenization, [" in text.splitlines()[0]
    assert "| error_consistency | weak | twin | good |" in text
    assert "| weak | 1.000 | 1.000 |" in text
    assert "units every subject fails (first 2 of 7):" in text
    assert "sentence 1, LOC at tokens 0-0: [Paris]{LOC} ." in text
    assert "sentence 2, ORG at tokens 1-1: at [ACME]{ORG}" in text
    record = run.checks[0]
    assert not record.passed and record.details["n_shared_failures"] == 7
    assert [check.metric for check in run.checks] == ["shared_failure", "pair_shared_failure", "outcome_homogenization"]


def test_not_homogeneous_undefined_when_every_subject_is_perfect() -> None:
    with (
        pytest.warns(Warning),
        pytest.raises(
            AssertionError, match=r"shared failure is undefined \(0 / 0\): subject\(s\) \['a', 'b'\] fail no span"
        ),
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
    with pytest.raises(HomogUsageError, match=r"by='capa'.* needs every subject's probabilities"):
        assert_not_homogeneous({"a": GOOD, "b": WEAK}, Y_TRUE, by="capa")


def test_bounds_that_cannot_fail_are_refused() -> None:
    subjects = {"a": WEAK, "b": OTHER}
    for bound in (1.0, 2.0):
        with pytest.raises(HomogUsageError, match=r"max_similarity must be a number >= -1 and < 1 \(1 = identical\)"):
            assert_not_homogeneous(subjects, Y_TRUE, max_similarity=bound)
        with pytest.raises(HomogUsageError, match="max_shared_failure must be a number < 1, which no subjects"):
            assert_not_homogeneous(subjects, Y_TRUE, max_shared_failure=bound)


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
        assert_not_homogeneous({{"weak": WEAK, "twin": WEAK}}, Y_TRUE)
    finally:
        (record,) = active_run().checks
        assert record.metric == "shared_failure" and not record.passed and record.high == 1.0
        assert record.details["matrix"]["names"] == ["weak", "twin"]


def test_different_failures():
    assert_not_homogeneous({{"weak": WEAK, "other": OTHER}}, Y_TRUE)
    assert active_run().checks[-1].passed
"""


def test_end_to_end_not_homogeneous_with_homog(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_blind=E2E_HOMOG.format(y_true=Y_TRUE, weak=WEAK, other=OTHER))
    skipped = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    skipped.assert_outcomes(skipped=2)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--homog")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: assert_not_homogeneous: 2 subjects are homogeneous: the 95% CI of shared failure, "
            "[[]1.000, 1.000[]], reaches above max_shared_failure 0.5 (shared failure 1.000)",
            "*  shared failure 1.000, 95% CI [[]1.000, 1.000[]] (0 = independent failures, 1 = as nested as the "
            "failure rates allow; paired bootstrap over 24 sentences, 1000 resamples)",
            "*  same wrong answer: 'weak' and 'twin' give the same wrong output on 7 of the 7 span units both fail "
            "(1.000; 1.000 by chance)",
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
        "incumbent": _Model("ner", predictions=OTHER),
    }
    assert_not_homogeneous(same_folder, Y_TRUE)
    assert run.checks[-1].subjects == ("candidate", "incumbent")
    copy = _Model("ner-v1", predictions=WEAK)
    with pytest.raises(AssertionError, match="2 subjects are homogeneous") as info:
        assert_not_homogeneous({"candidate": copy, "incumbent": copy}, Y_TRUE)
    assert "failure rates: candidate " in str(info.value) and run.checks[-1].subjects == ("candidate", "incumbent")


# -- what passed and should not ----------------------------------------------------------------------------------


def _failing(n: int, failed: Any) -> list[list[str]]:
    """Predictions of ``n`` one-PER sentences that miss the entity of the sentences in ``failed``."""
    return [["O", "O"] if i in failed else ["B-PER", "O"] for i in range(n)]


ONE_PER = [["B-PER", "O"]] * 100


def test_two_copies_that_fail_half_the_units_fail_by_default(run: RunRecord) -> None:
    # outcome homogenization is f / f**2 = 2.0 for them: at most what two subjects failing half can reach
    copy = _failing(100, range(50))
    with pytest.raises(AssertionError, match=r"the 95% CI of shared failure, \[1\.000, 1\.000\], reaches above"):
        assert_not_homogeneous({"a": copy, "b": [list(s) for s in copy]}, ONE_PER)
    assert run.checks[0].value == 1.0 and run.checks[0].details["outcome_homogenization"]["value"] == 2.0


def test_subjects_that_share_most_of_what_their_rates_allow_fail_by_default(run: RunRecord) -> None:
    # two seeds failing 60% each, together on 52 units: 2/3 of the overlap their rates allow beyond chance;
    # outcome homogenization 1.44 passes a bound of 2, which it could not exceed (at most 1 / 0.6)
    seed0, seed1 = _failing(100, range(60)), _failing(100, [*range(52), *range(60, 68)])
    with pytest.warns(HomogWarning, match="max_homogenization 2 cannot fail at these failure rates: .* at most 1.667"):
        with pytest.raises(AssertionError) as info:
            assert_not_homogeneous({"seed0": seed0, "seed1": seed1}, ONE_PER, max_homogenization=2.0)
    first = str(info.value).splitlines()[0]
    assert "CI of shared failure, [0.533, 0.865], reaches above max_shared_failure 0.5 (shared failure 0.667)" in first
    assert "outcome homogenization" not in first
    shared, homogenization = run.checks
    assert shared.value == pytest.approx(2 / 3) and not shared.passed
    assert homogenization.passed and homogenization.value == pytest.approx(0.52 / 0.36)


def test_a_perfect_subject_does_not_make_the_group_pass(run: RunRecord) -> None:
    copy = _failing(100, range(50))
    subjects = {"perfect": list(ONE_PER), "a": copy, "b": [list(s) for s in copy]}
    with pytest.warns(UndefinedMetricWarning), pytest.raises(AssertionError) as info:
        assert_not_homogeneous(subjects, ONE_PER, max_homogenization=2.0)
    first = str(info.value).splitlines()[0]
    assert "shared failure is undefined (0 / 0): subject(s) ['perfect'] fail no span unit" in first
    assert "shared failure of 'perfect' and 'a' is undefined (0 / 0)" in first  # so is every pair it is in
    assert "Next step: a subject that fails nothing" in str(info.value)
    assert not any(check.passed for check in run.checks if check.metric != "pair_shared_failure")
    assert "undefined" in run.checks[0].details


def test_a_pair_of_near_copies_fails_a_group_that_looks_mixed(run: RunRecord) -> None:
    # the copy and the independent third subject dilute the group's shared failure (0.33); the pair's is 1
    a = _failing(200, range(100))
    third = _failing(200, range(0, 200, 2))
    with pytest.raises(AssertionError) as info:
        assert_not_homogeneous({"a": a, "copy": [list(s) for s in a], "third": third}, [["B-PER", "O"]] * 200)
    first = str(info.value).splitlines()[0]
    assert first.startswith("assert_not_homogeneous: 3 subjects are homogeneous: the 95% CI of shared failure of "
                            "'a' and 'copy', [1.000, 1.000], reaches above max_shared_failure 0.5")  # fmt: skip
    assert "pairwise shared failure:\n| shared_failure | a | copy | third |" in str(info.value)
    group, pair = run.checks
    assert group.passed and group.value == pytest.approx(1 / 3) and group.high is not None and group.high < 0.5
    assert not pair.passed and pair.details["pair"] == ["a", "copy"]


def test_shared_false_positives_count_by_default(run: RunRecord) -> None:
    # both invent the same ORG in every sentence and miss different gold entities
    gold = [["B-PER", "O", "B-LOC", "O", "O"] for _ in range(40)]
    a = [["O" if i % 4 == 0 else "B-PER", "O", "B-LOC", "O", "B-ORG"] for i in range(40)]
    b = [["B-PER", "O", "O" if i % 4 == 2 else "B-LOC", "O", "B-ORG"] for i in range(40)]
    entities = assert_not_homogeneous({"a": a, "b": b}, gold, unit="entity", max_homogenization=1.0)
    assert entities.passed and run.checks[1].value == 0.0  # on gold entities they never fail together
    with pytest.raises(AssertionError) as info:
        assert_not_homogeneous({"a": a, "b": b}, gold, show=1)
    assert "sentence 0, ORG at tokens 4-4 (predicted, not a gold entity)" in str(info.value)
    assert run.checks[-1].level == "span" and run.checks[-1].value > 0.5


def test_point_estimates_on_request_and_the_record_says_so(run: RunRecord) -> None:
    record = assert_not_homogeneous({"weak": WEAK, "other": OTHER}, Y_TRUE, confidence=None)
    assert record.compared == "value" and record.low is None and record.high is None and record.confidence is None
    assert record.details["interval"] == "none: confidence=None compares the point estimate"
    verdicts = (
        r"homogeneous: shared failure 1\.000 > max_shared_failure 0\.5; similarity of 'weak' and 'twin' by "
        r"error_consistency 1\.000 > max_similarity 0\.99\n"
    )
    with pytest.raises(AssertionError, match=verdicts):
        assert_not_homogeneous({"weak": WEAK, "twin": WEAK}, Y_TRUE, confidence=None, max_similarity=0.99)


def test_a_wide_interval_says_more_data_is_needed(run: RunRecord) -> None:
    # independent failures on 24 sentences: the point estimate is below the bound, the interval reaches above it
    third = [["O"] * len(s) if i % 8 in (1, 4) else list(s) for i, s in enumerate(Y_TRUE)]
    with pytest.raises(AssertionError) as info:
        assert_not_homogeneous({"weak": WEAK, "third": third}, Y_TRUE, max_shared_failure=0.2)
    record = run.checks[0]
    assert record.value <= 0.2 < record.high  # type: ignore[operator]
    assert "Next step: every point estimate is within its bound, but the intervals are too wide" in str(info.value)


def test_the_record_carries_the_shared_failures_text_and_who_fails_which_units(run: RunRecord) -> None:
    texts = [["Ann", "Lee", "said"], ["Paris", "."], ["at", "ACME"], ["Bob", "ran"]] * 6
    subjects = {"weak": _Model("weak", predictions=WEAK, texts=texts), "other": OTHER, "good": GOOD}
    with pytest.raises(AssertionError, match="undefined"):  # 'good' fails nothing
        assert_not_homogeneous(subjects, Y_TRUE, unit="entity", confidence=None)
    details = run.checks[0].details
    # WEAK misses the ORG entities and one LOC, OTHER the PER entities: no unit is failed by every subject
    assert details["n_shared_failures"] == 0 and details["shared_failures"] == []
    patterns = {tuple(p["failed_by"]): p["units"] for p in details["failure_patterns"]}
    assert patterns == {(): 5, ("weak",): 7, ("other",): 12}
    assert details["n_failure_patterns"] == 3
    assert [p["units"] for p in details["failure_patterns"]] == [12, 7, 5]  # the most common first

    with pytest.raises(AssertionError):
        assert_not_homogeneous({"weak": subjects["weak"], "twin": WEAK}, Y_TRUE, unit="entity", confidence=None)
    details = run.checks[-1].details
    assert details["n_shared_failures"] == 7 and len(details["shared_failures"]) == 7
    assert details["shared_failures"][0] == {
        "sentence": 1, "label": "LOC", "start": 0, "end": 1, "text": [["Paris", "LOC"], [".", None]],
    }  # fmt: skip
    assert details["shared_failures"][1]["text"] == [["at", None], ["ACME", "ORG"]]
    # predictions alone carry no text: the units are recorded without it
    assert_not_homogeneous({"a": WEAK, "b": OTHER}, Y_TRUE, unit="entity", confidence=None)
    assert all("text" not in unit for unit in run.checks[-1].details["shared_failures"])


def test_the_record_keeps_at_most_twenty_shared_failures_and_patterns(run: RunRecord) -> None:
    y_true = [["B-PER", "O"]] * 60
    miss_all = [["O", "O"]] * 60
    # six subjects: subject k fails the sentences whose index has bit k set, so every sentence has its own pattern
    subjects = {f"s{k}": [["O", "O"] if (i >> (k % 6)) & 1 else ["B-PER", "O"] for i in range(60)] for k in range(6)}
    with pytest.raises(AssertionError):
        assert_not_homogeneous({"a": miss_all, "b": miss_all}, y_true, confidence=None)
    details = run.checks[-1].details
    assert details["n_shared_failures"] == 60 and len(details["shared_failures"]) == 20
    details = assert_not_homogeneous(subjects, y_true, confidence=None, max_shared_failure=0.99).details
    assert details["n_failure_patterns"] == 60 and len(details["failure_patterns"]) == 20
    assert all(p["units"] == 1 for p in details["failure_patterns"])
