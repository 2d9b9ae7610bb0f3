"""assert_models_diverge: metric gaps, disagreement, error consistency and CKA, with their intervals."""

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
# misses every PER entity but the first
OTHER = [["O"] * len(s) if s[0] == "B-PER" else list(s) for s in Y_TRUE]
OTHER[0] = list(Y_TRUE[0])


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
    preds = [[[t if draw(st.booleans()) else draw(st.sampled_from(tags)) for t in s] for s in y_true] for _ in "ab"]
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
    oa, ob = unit_outcomes(Y_TRUE, OTHER), unit_outcomes(Y_TRUE, WEAK)
    record = assert_models_diverge(OTHER, WEAK, Y_TRUE, min_gap=0.5, by="error_consistency", unit="entity",
                                   confidence=None)  # fmt: skip
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
    # CKA has no interval: the point value is compared, whatever confidence says, and the record says so
    for confidence in (0.9, None):
        record = assert_models_diverge(_Model("x", x), other, Y_TRUE, min_gap=0.1, by="cka", confidence=confidence)
        assert record.compared == "value" and record.confidence is None and record.low is None
        assert record.details["interval"].startswith("none: linear CKA has no bootstrap interval")


def test_diverge_argument_errors() -> None:
    with pytest.raises(HomogUsageError, match="by must be one of"):
        assert_models_diverge(GOOD, WEAK, Y_TRUE, min_gap=0.1, by="accuracy")
    for gap in (-1, 0, 0.0):
        with pytest.raises(HomogUsageError, match=r"min_gap must be a number > 0 \(any two subjects diverge by 0"):
            assert_models_diverge(GOOD, WEAK, Y_TRUE, min_gap=gap)
    with pytest.raises(HomogUsageError, match=r"by='capa'.* compares the probabilities of two models.*have none"):
        assert_models_diverge(GOOD, WEAK, Y_TRUE, min_gap=0.1, by="capa")
    with pytest.raises(HomogUsageError, match="confidence"):
        assert_models_diverge(GOOD, WEAK, Y_TRUE, min_gap=0.1, confidence=95)
    with pytest.raises(HomogDataError, match="sentences"):
        assert_models_diverge(GOOD, WEAK[:-1], Y_TRUE, min_gap=0.1, by="disagreement")


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


def test_diversity_assertions_accept_integer_labels() -> None:
    from pytest_homog import assert_models_diverge, disagreement, outcome_homogenization

    gold = [0, 1, 0, 1, 2, 2]
    a = [0, 1, 1, 0, 2, 2]
    b = [1, 1, 0, 0, 2, 1]
    record = assert_models_diverge(a, b, gold, min_gap=0.1, by="disagreement")
    assert record.value == pytest.approx(disagreement(a, b))
    record = assert_not_homogeneous({"a": a, "b": b}, gold, max_homogenization=10.0, confidence=None)
    homogenization = outcome_homogenization(gold, {"a": a, "b": b})
    assert record.value == pytest.approx(float(homogenization.shared_failure))
    assert record.details["outcome_homogenization"]["value"] == pytest.approx(float(homogenization))


def test_no_negative_zero_in_the_gap_interval() -> None:
    from pytest_homog import assert_models_diverge

    gold = [["B-PER", "O"], ["B-LOC", "O"]] * 5
    with pytest.raises(AssertionError) as info:
        assert_models_diverge(gold, gold, gold, min_gap=0.1, confidence=None)
    assert "-0.0000" not in str(info.value)
    assert "CI of the gap [0.0000, 0.0000]" in str(info.value)
    with pytest.raises(AssertionError) as info:
        assert_models_diverge(gold, gold, gold, min_gap=0.1)
    assert "-0.0000" not in str(info.value) and "CI of |delta F1|, [0.0000, 0.0000]" in str(info.value)


# -- what passed and should not ----------------------------------------------------------------------------------


def _same_error_process(seed: int, n: int = 300) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """References with a PER and a LOC in every sentence, and two taggers that each drop every entity with
    probability 0.3: the same error process, so no true gap."""
    rng = np.random.default_rng(seed)
    gold = []
    for _ in range(n):
        tags = ["O"] * 6
        tags[int(rng.integers(0, 3))], tags[int(rng.integers(3, 6))] = "B-PER", "B-LOC"
        gold.append(tags)

    def tagger() -> list[list[str]]:
        return [[t if t == "O" or rng.random() > 0.3 else "O" for t in s] for s in gold]

    return gold, tagger(), tagger()


def test_a_gap_from_chance_alone_does_not_pass_by_default(run: RunRecord) -> None:
    # on this draw the point gap clears 0.01, as it does on most draws, though both taggers err alike
    gold, a, b = _same_error_process(seed=1)
    point = assert_models_diverge(a, b, gold, min_gap=0.01, by="f1", confidence=None)
    assert point.passed and point.value >= 0.01 and point.compared == "value"
    with pytest.raises(AssertionError, match=r"the 95% CI of \|delta F1\|, \[0\.0000, "):
        assert_models_diverge(a, b, gold, min_gap=0.01, by="f1")
    assert run.checks[-1].compared == "low" and run.checks[-1].confidence == 0.95


def test_a_perfect_subject_leaves_error_consistency_undefined_and_fails(run: RunRecord) -> None:
    # a perfect model and a copy that differs on 1 of 1,000 entities: kappa is 0 by construction, not by evidence
    gold = [["B-PER", "O"]] * 1000
    copy = [list(s) for s in gold]
    copy[7] = ["O", "O"]
    for confidence in (0.95, None):
        with pytest.raises(AssertionError) as info:
            assert_models_diverge(gold, copy, gold, min_gap=0.5, by="error_consistency", confidence=confidence)
        first = str(info.value).splitlines()[0]
        assert "cannot be shown to diverge by error_consistency: error consistency is undefined" in first
        assert "'predictions (a)' is right on every span unit" in first
        assert not run.checks[-1].passed and "undefined" in run.checks[-1].details


def _shared_hallucination(n: int = 40) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """Two taggers that invent the same ORG in every sentence and miss different gold entities."""
    gold = [["B-PER", "O", "B-LOC", "O", "O"] for _ in range(n)]
    a = [["O" if i % 4 == 0 else "B-PER", "O", "B-LOC", "O", "B-ORG"] for i in range(n)]
    b = [["B-PER", "O", "O" if i % 4 == 2 else "B-LOC", "O", "B-ORG"] for i in range(n)]
    return gold, a, b


def test_shared_false_positives_make_subjects_alike_by_default() -> None:
    gold, a, b = _shared_hallucination()
    # on gold entities alone they look less alike than chance (1 - kappa > 1)
    record = assert_models_diverge(a, b, gold, min_gap=0.5, by="error_consistency", unit="entity", confidence=None)
    assert record.value > 1.0
    with pytest.raises(AssertionError, match=r"1 - error consistency.*\(unit span;"):
        assert_models_diverge(a, b, gold, min_gap=0.5, by="error_consistency")


def test_the_record_holds_the_divergence_the_data_shows_at_80_percent_power(run: RunRecord) -> None:
    from scipy.stats import norm

    gold, a, b = _same_error_process(seed=1)
    with pytest.raises(AssertionError, match=r"power: this data shows a divergence of .*min_gap 0\.01 is below"):
        assert_models_diverge(a, b, gold, min_gap=0.01, by="f1", n_resamples=200, seed=2)
    # the standard error of the signed F1 difference, recomputed by seqeval on the same resamples
    import seqeval.metrics as sq

    diffs = []
    for row in np.concatenate(list(bootstrap_indices(len(gold), 200, 2))):
        g = [gold[i] for i in row]
        diffs.append(sq.f1_score(g, [a[i] for i in row]) - sq.f1_score(g, [b[i] for i in row]))
    se = float(np.std(diffs, ddof=1))
    expected = (norm.ppf(0.975) + norm.ppf(0.8)) * se
    assert run.checks[-1].details["detectable_change"] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("by", ["disagreement", "error_consistency"])
def test_the_divergence_measures_record_their_power_from_their_own_replicates(run: RunRecord, by: str) -> None:
    from scipy.stats import norm

    gold, a, b = _same_error_process(seed=3, n=60)
    unit = {"unit": "token"} if by == "error_consistency" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_models_diverge(a, b, gold, min_gap=0.001, by=by, confidence=None, n_resamples=50, seed=4, **unit)
    slow = _slow_replicates(gold, a, b, by, 50, 4)
    expected = norm.ppf(0.8) * float(np.std(slow, ddof=1))  # a point gate: no critical value
    assert run.checks[-1].details["detectable_change"] == pytest.approx(expected, abs=1e-12)


def test_cka_records_no_detectable_change(run: RunRecord) -> None:
    x = np.random.default_rng(0).normal(size=(50, 8))
    with pytest.raises(AssertionError):
        assert_models_diverge(_Model("x", x), _Model("y", x), Y_TRUE, min_gap=0.5, by="cka")
    assert "detectable_change" not in run.checks[-1].details  # no interval, so no standard error to state


def test_diverge_by_same_wrong_answer(run: RunRecord) -> None:
    from pytest_homog import same_wrong_answer

    gold = [["B-PER", "O"], ["B-LOC", "I-LOC"], ["O", "B-ORG"], ["B-PER", "I-PER"]] * 10
    a = [["O", "O"], ["B-PER", "I-PER"], ["O", "O"], ["B-PER", "O"]] * 10
    b = [["O", "O"], ["B-PER", "I-PER"], ["O", "B-LOC"], ["B-LOC", "I-LOC"]] * 10
    rate = same_wrong_answer(gold, a, b, unit="span").rate
    record = assert_models_diverge(a, b, gold, min_gap=0.1, by="same_wrong_answer", n_resamples=200)
    assert record.value == pytest.approx(1.0 - rate, abs=1e-12) and record.metric == "1-same_wrong_answer"
    assert record.low is not None and record.low >= 0.1 and record.compared == "low"
    with pytest.raises(AssertionError, match=r"do not diverge by same_wrong_answer: the 95% CI of 1 - same wrong"):
        assert_models_diverge(a, a, gold, min_gap=0.1, by="same_wrong_answer", n_resamples=200)
    with pytest.raises(AssertionError, match="fail no span unit together"):
        assert_models_diverge(gold, a, gold, min_gap=0.1, by="same_wrong_answer", n_resamples=200)
    with pytest.raises(HomogUsageError, match="unit='sentence' has none"):
        assert_models_diverge(a, b, gold, min_gap=0.1, by="same_wrong_answer", unit="sentence")


def test_same_wrong_answer_gap_has_its_interval_power_and_p_value(run: RunRecord) -> None:
    from pytest_homog import same_wrong_answer
    from pytest_homog.metrics.bootstrap import detectable_change

    gold = [["B-PER", "O"], ["B-LOC", "I-LOC"], ["O", "B-ORG"], ["B-PER", "I-PER"]] * 10
    a = [["O", "O"], ["B-PER", "I-PER"], ["O", "O"], ["B-PER", "O"]] * 10
    b = [["O", "O"], ["B-PER", "I-PER"], ["O", "B-LOC"], ["B-LOC", "I-LOC"]] * 10
    record = assert_models_diverge(a, b, gold, min_gap=0.1, by="same_wrong_answer", n_resamples=100, seed=3)
    slow = []
    for row in np.concatenate(list(bootstrap_indices(len(gold), 100, 3))):
        pick = row.tolist()
        rate = same_wrong_answer([gold[i] for i in pick], [a[i] for i in pick], [b[i] for i in pick], unit="span").rate
        slow.append(1.0 - rate)
    low, high = np.quantile(slow, [0.025, 0.975])
    assert (record.low, record.high) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    expected = detectable_change(float(np.std(slow, ddof=1)), 0.95)
    assert record.details["detectable_change"] == pytest.approx(expected, abs=1e-12)
    assert record.details["gate_p_value"] <= 0.025
