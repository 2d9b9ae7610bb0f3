"""assert_models_diverge, assert_not_homogeneous and the bootstrap behind them, unit and end to end."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_homog import (
    HomogDataError,
    HomogUsageError,
    assert_models_diverge,
    assert_not_homogeneous,
    disagreement,
    divergence,
    error_consistency,
    unit_outcomes,
)
from pytest_homog.checks.divergence import _abs_interval
from pytest_homog.metrics.bootstrap import bootstrap_indices, compare
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


@st.composite
def corpora(draw: st.DrawFn) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    tags = ["O", "O", "B-PER", "I-PER", "B-LOC"]
    lengths = draw(st.lists(st.integers(1, 5), min_size=2, max_size=8))
    y_true = [[draw(st.sampled_from(tags)) for _ in range(n)] for n in lengths]
    preds = [
        [[t if draw(st.booleans()) else draw(st.sampled_from(tags)) for t in s] for s in y_true] for _ in "ab"
    ]
    return y_true, preds[0], preds[1]


def _slow_replicates(y_true: Any, a: Any, b: Any, by: str, n_resamples: int, seed: int) -> list[float]:
    out = []
    for idx in np.concatenate(list(bootstrap_indices(len(y_true), n_resamples, seed))):
        t = [y_true[i] for i in idx]
        pa = [a[i] for i in idx]
        pb = [b[i] for i in idx]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if by == "disagreement":
                out.append(disagreement(pa, pb))
            else:
                ua, ub = unit_outcomes(t, pa, unit="token"), unit_outcomes(t, pb, unit="token")
                out.append(1.0 - error_consistency(ua, ub).kappa)
    return out


@settings(max_examples=40, deadline=None)
@given(corpora(), st.sampled_from(["disagreement", "error_consistency"]))
def test_divergence_bootstrap_matches_slow_resampling(corpus: Any, by: str) -> None:
    y_true, a, b = corpus
    kwargs = {"unit": "token"} if by == "error_consistency" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = divergence(y_true, a, b, by=by, confidence=0.8, n_resamples=30, seed=3, **kwargs)
    slow = _slow_replicates(y_true, a, b, by, 30, 3)
    low, high = np.quantile(slow, [0.1, 0.9])
    assert est.low == pytest.approx(low, abs=1e-9)
    assert est.high == pytest.approx(high, abs=1e-9)
    assert est.n == len(y_true) and est.n_resamples == 30 and est.confidence == 0.8


def test_abs_interval() -> None:
    assert _abs_interval(-0.1, 0.3) == (0.0, 0.3)
    assert _abs_interval(0.1, 0.3) == (0.1, 0.3)
    assert _abs_interval(-0.3, -0.1) == (0.1, 0.3)


def test_diverge_by_f1_uses_compare(run: RunRecord) -> None:
    diff = compare(Y_TRUE, GOOD, WEAK, "f1", n_resamples=300, seed=0)
    record = assert_models_diverge(GOOD, WEAK, Y_TRUE, min_gap=0.05, by="f1", confidence=0.9, n_resamples=300)
    assert record.value == pytest.approx(abs(diff.value))
    assert record.passed and record.compared == "low" and record.threshold == 0.05
    assert record.low is not None and record.low >= 0.05
    assert run.checks == [record]
    assert record.metric == "f1_gap" and record.details["p_value"] is not None


def test_diverge_fails_with_gap_interval_and_threshold(run: RunRecord) -> None:
    with pytest.raises(AssertionError) as info:
        assert_models_diverge(GOOD, WEAK, Y_TRUE, min_gap=0.5, by="disagreement", confidence=0.95)
    text = str(info.value)
    first = text.splitlines()[0]
    assert "do not diverge by disagreement" in first and "min_gap 0.5" in first
    assert "95% CI of disagreement" in first
    assert "Next step" in text
    (record,) = run.checks
    assert not record.passed and record.metric == "disagreement" and record.low is not None
    assert record.value == pytest.approx(disagreement(GOOD, WEAK))


def test_diverge_error_consistency_and_point_mode(run: RunRecord) -> None:
    oa, ob = unit_outcomes(Y_TRUE, GOOD), unit_outcomes(Y_TRUE, WEAK)
    record = assert_models_diverge(GOOD, WEAK, Y_TRUE, min_gap=0.5, by="error_consistency")
    assert record.value == pytest.approx(1 - error_consistency(oa, ob).kappa)
    assert record.compared == "value" and record.low is None
    # identical subjects never diverge, with or without an interval
    for confidence in (None, 0.9):
        with pytest.raises(AssertionError, match="1 - error consistency"):
            assert_models_diverge(WEAK, [list(s) for s in WEAK], Y_TRUE, min_gap=0.01, by="error_consistency",
                                  confidence=confidence)  # fmt: skip


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


def test_diverge_by_cka(run: RunRecord) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 8))
    same = _Model("same", x @ np.linalg.qr(rng.normal(size=(8, 8)))[0])
    with pytest.raises(AssertionError, match=r"1 - CKA = 0\.0000 is below min_gap 0\.1"):
        assert_models_diverge(_Model("x", x), same, Y_TRUE, min_gap=0.1, by="cka")
    other = _Model("other", rng.normal(size=(50, 8)))
    record = assert_models_diverge(_Model("x", x), other, Y_TRUE, min_gap=0.1, by="cka", debiased=True)
    assert record.passed and record.metric == "1-cka"
    with pytest.raises(HomogUsageError, match="has no homog_features"):
        assert_models_diverge(_Model("x", x), GOOD, Y_TRUE, min_gap=0.1, by="cka")
    with pytest.raises(HomogUsageError, match="no bootstrap interval"):
        assert_models_diverge(_Model("x", x), other, Y_TRUE, min_gap=0.1, by="cka", confidence=0.9)


def test_diverge_argument_errors() -> None:
    with pytest.raises(HomogUsageError, match="by must be one of"):
        assert_models_diverge(GOOD, WEAK, Y_TRUE, min_gap=0.1, by="accuracy")
    with pytest.raises(HomogUsageError, match="min_gap must be a number >= 0"):
        assert_models_diverge(GOOD, WEAK, Y_TRUE, min_gap=-1)
    with pytest.raises(HomogUsageError, match="confidence"):
        assert_models_diverge(GOOD, WEAK, Y_TRUE, min_gap=0.1, confidence=95)
    with pytest.raises(HomogDataError, match="sentences"):
        assert_models_diverge(GOOD, WEAK[:-1], Y_TRUE, min_gap=0.1, by="disagreement")


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
    assert text.splitlines()[0].startswith(
        "assert_not_homogeneous: 3 subjects are homogeneous: outcome homog"
    )
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


E2E = """
from pytest_homog import assert_models_diverge

Y_TRUE = {y_true!r}
GOOD = {good!r}
WEAK = {weak!r}


def test_diverge_passes():
    assert_models_diverge(GOOD, WEAK, Y_TRUE, min_gap=0.05, by="f1", confidence=0.9, n_resamples=200)


def test_diverge_fails():
    assert_models_diverge(GOOD, WEAK, Y_TRUE, min_gap=0.6, by="f1", confidence=0.9, n_resamples=200)
"""


def test_end_to_end_with_pytester(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_models=E2E.format(y_true=Y_TRUE, good=GOOD, weak=WEAK))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: assert_models_diverge: 'predictions (a)' and 'predictions (b)' do not diverge "
            "by f1: the 90% CI of |delta F1|, [[]0.*, 0.*[]], does not clear min_gap 0.6 (gap 0.*)",
            "*delta f1 (predictions (a) - predictions (b)) = +0.*, 90% CI [[]+0.*, +0.*[]], bootstrap p = *",
            "*Next step*",
        ]
    )
    result.stdout.no_fnmatch_line("*test_diverge_passes FAILED*")


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
