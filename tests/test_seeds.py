"""Seeds subjects: seeds(), binding runs, the multi-bootstrap against direct loops, and the checks that take them."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pytest
import seqeval.metrics as sq
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import precision_recall_fscore_support

from pytest_homog import (
    assert_f1_above,
    assert_models_diverge,
    assert_no_regression,
    assert_not_homogeneous,
    classification_report,
    compare,
    score,
    seeds,
)
from pytest_homog.errors import HomogDataError, HomogUsageError
from pytest_homog.metrics.bootstrap import Estimate, bootstrap_indices
from pytest_homog.metrics.counts import SeedCounts, count_units
from pytest_homog.metrics.quality import report_from_counts
from pytest_homog.metrics.seed_bootstrap import multi_bootstrap_indices
from pytest_homog.seed_runs import Seeds
from pytest_homog.subjects import resolve_subject

TOL = 1e-12
METRICS = ["precision", "recall", "f1"]
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def corrupt(sentences: list[list[str]], rate: float, seed: int) -> list[list[str]]:
    """A run: each tag replaced by a random one with probability ``rate``."""
    rng = random.Random(seed)
    return [[tag if rng.random() >= rate else rng.choice(TAGS) for tag in sentence] for sentence in sentences]


def gold_corpus(n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [[rng.choice(TAGS) for _ in range(rng.randint(1, 6))] for _ in range(n)]


def drawn(n_units: int, n_runs: tuple[int, ...], n_resamples: int, seed: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The multi-bootstrap's draws, all chunks joined: units ``(B, n)`` and each side's runs ``(B, S)``."""
    chunks = list(multi_bootstrap_indices(n_units, n_runs, n_resamples, seed))
    units = np.concatenate([chunk[0] for chunk in chunks])
    runs = [np.concatenate([chunk[1][side] for chunk in chunks]) for side in range(len(n_runs))]
    return units, runs


def seqeval_metric(metric: str, average: str):
    function = {"precision": sq.precision_score, "recall": sq.recall_score, "f1": sq.f1_score}[metric]

    def measure(y_true: list, y_pred: list) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(function(y_true, y_pred, average=average, zero_division=0))

    return measure


def sklearn_metric(metric: str, average: str):
    def measure(y_true: list, y_pred: list) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)
        return float(scores[METRICS.index(metric)])

    return measure


def direct_statistic(measure, y_true: list, runs: list[list], units: np.ndarray, drawn_runs: np.ndarray) -> float:
    """Sellam et al.'s statistic, spelled out: the mean over the drawn runs of the metric on the drawn units."""
    references = [y_true[i] for i in units]
    values = [measure(references, [runs[j][i] for i in units]) for j in drawn_runs]
    return sum(values) / len(values)


# -- the multi-bootstrap against direct loops over the same draws ------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(
    data=st.data(),
    metric=st.sampled_from(METRICS),
    average=st.sampled_from(["micro", "macro", "weighted"]),
    n_runs=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_score_of_seeds_equals_direct_loops_on_the_same_draws(data, metric, average, n_runs, seed) -> None:
    lengths = data.draw(st.lists(st.integers(1, 5), min_size=2, max_size=8))
    tag = st.sampled_from(TAGS)
    # every sentence starts a gold entity, so every resample has a label to average (seqeval gives NaN without)
    gold = [["B-PER", *(data.draw(tag) for _ in range(n - 1))] for n in lengths]
    runs = [[[data.draw(tag) for _ in range(n)] for n in lengths] for _ in range(n_runs)]
    estimate = score(
        gold, seeds(*runs), metric, average=average, n_resamples=20, seed=seed, confidence=0.8, zero_division=0
    )
    measure = seqeval_metric(metric, average)
    units, (drawn_runs,) = drawn(len(gold), (n_runs,), 20, seed)
    direct = [direct_statistic(measure, gold, runs, units[r], drawn_runs[r]) for r in range(20)]
    assert estimate.value == pytest.approx(np.mean([measure(gold, run) for run in runs]), abs=TOL)
    assert (estimate.low, estimate.high) == pytest.approx(tuple(np.quantile(direct, [0.1, 0.9])), abs=TOL)
    assert estimate.standard_error == pytest.approx(np.std(direct, ddof=1), abs=TOL)
    assert (estimate.seeds, estimate.n, estimate.n_resamples, estimate.p_value) == ((n_runs,), len(gold), 20, None)


@settings(max_examples=15, deadline=None)
@given(
    data=st.data(),
    metric=st.sampled_from(METRICS),
    average=st.sampled_from(["micro", "macro"]),
    sizes=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    seed=st.integers(0, 2**16),
)
def test_compare_of_seeds_equals_direct_loops_on_the_same_draws(data, metric, average, sizes, seed) -> None:
    n = data.draw(st.integers(2, 12))
    label = st.sampled_from(["pos", "neg", "neutral"])
    gold = [data.draw(label) for _ in range(n)]
    side_a = [[data.draw(label) for _ in range(n)] for _ in range(sizes[0])]
    side_b = [[data.draw(label) for _ in range(n)] for _ in range(sizes[1])]
    subject_a = seeds(*side_a) if sizes[0] > 1 else side_a[0]
    estimate = compare(
        gold, subject_a, seeds(*side_b), metric, average=average, n_resamples=20, seed=seed, zero_division=0
    )
    measure = sklearn_metric(metric, average)
    units, (drawn_a, drawn_b) = drawn(n, sizes, 20, seed)
    direct = np.array(
        [
            direct_statistic(measure, gold, side_a, units[r], drawn_a[r])
            - direct_statistic(measure, gold, side_b, units[r], drawn_b[r])
            for r in range(20)
        ]
    )
    value = np.mean([measure(gold, run) for run in side_a]) - np.mean([measure(gold, run) for run in side_b])
    assert estimate.value == pytest.approx(value, abs=TOL)
    assert (estimate.low, estimate.high) == pytest.approx(tuple(np.quantile(direct, [0.025, 0.975])), abs=TOL)
    # compare's p-value rule, where no replicate is zero up to rounding (the two sums may round a zero apart)
    if not np.any(np.abs(direct) < 1e-9):
        expected = min(1.0, 2 * (min(np.sum(direct <= 0), np.sum(direct >= 0)) + 1) / 21)
        assert estimate.p_value == pytest.approx(expected)
    assert estimate.seeds == sizes


def test_multi_bootstrap_draws_units_as_the_ordinary_bootstrap_and_runs_with_replacement() -> None:
    units, (runs_a, runs_b) = drawn(30, (3, 5), 2500, seed=4)
    assert (units == np.concatenate(list(bootstrap_indices(30, 2500, seed=4)))).all()
    assert runs_a.shape == (2500, 3) and runs_b.shape == (2500, 5)
    assert runs_a.min() == 0 and runs_a.max() == 2 and runs_b.max() == 4
    # with replacement: a replicate repeats a run as often as chance says (1 - 3!/3^3 of rows repeat one)
    repeats = np.mean([len(set(row)) < 3 for row in runs_a.tolist()])
    assert repeats == pytest.approx(1 - 6 / 27, abs=0.03)
    # the two sides are drawn independently
    assert abs(np.corrcoef(runs_a[:, 0], runs_b[:, 0])[0, 1]) < 0.06


def test_one_run_is_resampled_as_the_ordinary_bootstrap() -> None:
    gold = gold_corpus(60, seed=1)
    run = corrupt(gold, 0.3, seed=2)
    alone = score(gold, run, n_resamples=300, seed=5, interval="percentile")
    one = score(gold, seeds(run), n_resamples=300, seed=5)
    assert (one.value, one.low, one.high, one.standard_error) == pytest.approx(
        (alone.value, alone.low, alone.high, alone.standard_error), abs=TOL
    )
    assert str(one) == str(alone).replace(", n=60", ", n=60, seeds=1")


def test_seed_spread_widens_the_interval() -> None:
    # two runs far apart on a large test set: the sentences alone would give a narrow interval around the mean,
    # the multi-bootstrap reaches towards each run, since a quarter of its replicates draw one run twice
    gold = gold_corpus(600, seed=3)
    good, poor = corrupt(gold, 0.05, seed=4), corrupt(gold, 0.6, seed=5)
    f1_good, f1_poor = score(gold, good, n_resamples=10).value, score(gold, poor, n_resamples=10).value
    pair = score(gold, seeds(good, poor), n_resamples=2000, seed=0)
    assert pair.value == pytest.approx((f1_good + f1_poor) / 2, abs=TOL)
    single = score(gold, good, n_resamples=2000, seed=0)
    assert pair.high - pair.low > 5 * (single.high - single.low)
    assert pair.low < f1_poor + 0.05 and pair.high > f1_good - 0.05


def test_estimate_str_names_the_seeds() -> None:
    assert str(Estimate(0.5, 0.4, 0.6, 0.95, 10, seeds=(3,))) == "0.500 [0.400, 0.600] 95% CI, n=10, seeds=3"
    paired = Estimate(0.1, -0.1, 0.2, 0.9, 10, p_value=0.5, seeds=(3, 1))
    assert str(paired) == "0.100 [-0.100, 0.200] 90% CI, n=10, seeds=3 vs 1, p=0.5"


# -- seeds(): what it accepts and refuses -----------------------------------------------------------------------


class Tagger:
    """A model: predicts ``predictions`` and reads the references from ``data`` (a list of tag sequences)."""

    def __init__(self, predictions: list, name: str = "tagger", references: list | None = None) -> None:
        self.predictions, self.homog_name, self.references = predictions, name, references

    def homog_predict(self, data: list) -> tuple[list, list, None]:
        return (self.references or data), self.predictions, None


def test_seeds_refuses_what_is_not_a_set_of_runs() -> None:
    run = [["B-PER", "O"]]
    with pytest.raises(HomogUsageError, match=r"at least one run; got none.*seeds\(run_seed_0"):
        seeds()
    with pytest.raises(HomogUsageError, match=r"run 1 of seeds.. is None; every run must be"):
        seeds(run, None)
    with pytest.raises(HomogUsageError, match=r"run 0 of seeds.. is a seeds subject.*seeds\(\*first.runs"):
        seeds(seeds(run), run)
    with pytest.raises(HomogUsageError, match=r"run 1 of seeds.. is a model but run 0 is predictions; all runs"):
        seeds(run, Tagger(run))
    with pytest.raises(HomogUsageError, match=r"got one list of 2 runs. Unpack it: seeds\(\*runs\)"):
        seeds([run, run])
    with pytest.raises(HomogUsageError, match="name must be a non-empty string or None; got 3"):
        seeds(run, name=3)  # type: ignore[arg-type]


def test_runs_that_do_not_predict_the_same_examples_are_refused() -> None:
    gold = [["B-PER", "O"], ["B-LOC"]]
    with pytest.raises(HomogDataError, match=r"run 1 of the seeds subject 'y_pred' does not fit the references: .*2 "):
        score(gold, seeds(gold, gold[:1]))
    with pytest.raises(
        HomogDataError, match=r"run 1 of the seeds subject 'cand' .*: 3 references against 2. Every run must"
    ):
        longer = [*gold, ["O"]]
        assert_f1_above(seeds(Tagger(gold), Tagger(longer, references=longer)), gold, 0.5, name="cand")
    relabelled = [["B-ORG", "O"], ["B-LOC"]]
    with pytest.raises(HomogDataError, match=r"run 1 of the seeds subject 'tagger' \(tagger\) .*: other labels\."):
        assert_f1_above(seeds(Tagger(gold), Tagger(gold, references=relabelled)), gold, 0.5)
    with pytest.raises(HomogUsageError, match="seeds subject of models; here it must hold predictions"):
        score(gold, seeds(Tagger(gold), Tagger(gold)))


def test_a_seeds_subject_of_models_is_named_after_its_runs() -> None:
    gold = [["B-PER", "O"], ["B-LOC"], ["O"]] * 5
    runs = [Tagger(corrupt(gold, 0.2, seed), name="candidate") for seed in range(3)]
    resolved = resolve_subject(seeds(*runs), gold)
    assert resolved.name == "candidate" and len(resolved.predictions.runs) == 3  # type: ignore[attr-defined]
    assert resolve_subject(seeds(*runs, name="ner-v2"), gold).name == "ner-v2"
    assert resolve_subject(seeds(gold, gold), gold).name == "seeds"
    assert repr(seeds(*runs)) == "Seeds(3 runs of models, name=None)"
    assert isinstance(seeds(gold), Seeds)


def test_measures_of_single_runs_refuse_a_seeds_subject_by_name() -> None:
    gold = gold_corpus(20, seed=6)
    candidate = seeds(corrupt(gold, 0.2, 1), corrupt(gold, 0.2, 2), name="candidate")
    expected = r"'candidate' is a seeds subject \(2 runs\); this measure compares single runs"
    with pytest.raises(HomogUsageError, match=expected):
        assert_models_diverge(candidate, gold, gold, min_gap=0.1, by="disagreement")
    with pytest.raises(HomogUsageError, match=expected):
        assert_not_homogeneous({"candidate": candidate, "other": gold}, gold)
    with pytest.raises(HomogUsageError, match=r"by='cka' compares the hidden states of single models, but subject"):
        assert_models_diverge(candidate, gold, gold, min_gap=0.1, by="cka")


# -- the checks and the report of a seeds subject ----------------------------------------------------------------


def test_report_of_seeds_is_the_mean_of_the_runs_reports() -> None:
    gold = gold_corpus(40, seed=7)
    runs = [corrupt(gold, 0.3, seed) for seed in range(3)]
    resolved = resolve_subject(seeds(*runs), gold)
    counts = count_units(resolved.predictions, level="entity")
    assert isinstance(counts, SeedCounts) and len(counts.runs) == 3
    report = report_from_counts(counts, zero_division=0.0)
    alone = [classification_report(gold, run, zero_division=0.0) for run in runs]
    assert report.averages["micro"].f1 == pytest.approx(np.mean([r.averages["micro"].f1 for r in alone]), abs=TOL)
    assert report["PER"].recall == pytest.approx(np.mean([r["PER"].recall for r in alone]), abs=TOL)
    assert report["PER"].support == alone[0]["PER"].support
    # the pooled counts say what the runs predicted together; gold items count once per run
    _, predicted, gold_items = counts.totals()
    assert int(gold_items.sum()) == 3 * alone[0].averages["micro"].support
    assert int(predicted.sum()) == sum(int(run.totals()[1].sum()) for run in counts.runs)


def test_quality_check_gates_the_mean_over_seeds_with_the_multi_bootstrap(run_record) -> None:
    gold = gold_corpus(80, seed=8)
    runs = [corrupt(gold, 0.15, seed) for seed in range(3)]
    candidate = seeds(*runs, name="candidate")
    expected = score(gold, candidate, n_resamples=500, seed=0, confidence=0.9, zero_division=0.0)
    estimate = assert_f1_above(candidate, gold, expected.low - 0.01, confidence=0.9, n_resamples=500, seed=0)
    assert (estimate.value, estimate.low, estimate.high, estimate.seeds) == (
        expected.value,
        expected.low,
        expected.high,
        (3,),
    )
    record = run_record.checks[-1]
    assert record.subjects == ("candidate",) and record.low == expected.low
    assert record.details["labels"]["micro"]["f1"] == pytest.approx(expected.value, abs=TOL)
    assert record.details["seeds"] == 3
    with pytest.raises(AssertionError) as failure:
        assert_f1_above(candidate, gold, expected.low + 0.01, confidence=0.9, n_resamples=500, seed=0)
    assert "lower bound of the 90% CI of entity F1 (micro)" in str(failure.value)
    assert "mean of 3 runs, 500 multi-bootstrap resamples of runs and units (seed 0)" in str(failure.value)


def test_regression_and_divergence_checks_compare_seeds_with_the_paired_multi_bootstrap() -> None:
    gold = gold_corpus(80, seed=9)
    candidate = seeds(*(corrupt(gold, 0.1, seed) for seed in range(3)))
    incumbent = seeds(*(corrupt(gold, 0.5, seed) for seed in range(10, 14)))
    expected = compare(gold, candidate, incumbent, n_resamples=400, seed=1)
    estimate = assert_no_regression(candidate, incumbent, gold, n_resamples=400, seed=1)
    assert (estimate.value, estimate.low, estimate.high, estimate.seeds) == (
        expected.value,
        expected.low,
        expected.high,
        (3, 4),
    )
    record = assert_models_diverge(candidate, incumbent, gold, min_gap=0.1, n_resamples=400, seed=1)
    assert record.value == pytest.approx(expected.value, abs=TOL) and record.low == pytest.approx(expected.low)
    with pytest.raises(AssertionError, match="assert_no_regression failed"):
        assert_no_regression(incumbent, candidate, gold, n_resamples=400, seed=1)
