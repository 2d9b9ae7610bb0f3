"""The quality checks: assert_f1_above, assert_precision_above, assert_recall_above."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_homog import (
    Estimate,
    assert_f1_above,
    assert_precision_above,
    assert_recall_above,
    f1_score,
    precision_score,
    recall_score,
)
from pytest_homog.errors import HomogUsageError
from pytest_homog.record import RunRecord, set_active_run

WNUT_TEST = Path(__file__).resolve().parents[1] / "examples" / "data" / "wnut17" / "test.conll"
GOLD = [["B-PER", "I-PER", "O"], ["B-LOC", "O"], ["O", "B-ORG"], ["B-PER", "O"], ["B-LOC", "I-LOC"]] * 4


# misses every ORG and one LOC in four
PRED = [["B-PER", "I-PER", "O"], ["B-LOC", "O"], ["O", "O"], ["B-PER", "O"], ["B-LOC", "I-LOC"]] * 3 + [
    ["B-PER", "I-PER", "O"],
    ["O", "O"],
    ["O", "O"],
    ["B-PER", "O"],
    ["B-LOC", "I-LOC"],
]


@pytest.fixture
def run() -> Iterator[RunRecord]:
    record = RunRecord()
    set_active_run(record)
    try:
        yield record
    finally:
        set_active_run(None)


def test_pass_returns_the_estimate_and_records_it(run: RunRecord) -> None:
    est = assert_f1_above(PRED, GOLD, 0.5)  # the lower bound of the 95% interval clears 0.5
    assert isinstance(est, Estimate)
    assert est.value == pytest.approx(f1_score(GOLD, PRED), abs=1e-12)
    assert est.n == 20
    (check,) = run.checks
    assert (check.check, check.metric, check.passed, check.threshold, check.compared) == (
        "assert_f1_above",
        "f1",
        True,
        0.5,
        "low",
    )
    assert check.confidence == 0.95 and est.low >= 0.5
    assert (check.level, check.scheme, check.mode, check.n) == ("entity", "IOB2", "conlleval", 20)
    assert check.value == est.value and (check.low, check.high) == (est.low, est.high)
    assert check.subjects == ("predictions",)
    assert check.details["worst_labels"][0]["label"] == "ORG"
    assert check.duration > 0


def test_precision_and_recall(run: RunRecord) -> None:
    assert assert_precision_above(PRED, GOLD, 0.99).value == precision_score(GOLD, PRED) == 1.0
    with pytest.raises(AssertionError, match="recall"):
        assert_recall_above(PRED, GOLD, 0.9)
    assert recall_score(GOLD, PRED) < 0.9
    assert [c.passed for c in run.checks] == [True, False]
    assert [c.metric for c in run.checks] == ["precision", "recall"]


def test_failure_message_with_point_estimate(run: RunRecord) -> None:
    value = f1_score(GOLD, PRED)
    with pytest.raises(AssertionError) as info:
        assert_f1_above(PRED, GOLD, 0.9, confidence=None)
    message = str(info.value)
    lines = message.splitlines()
    assert lines[0] == f"assert_f1_above failed: entity F1 (micro) = {value:.3f} is below the threshold 0.900."
    assert "95% CI [" in message and "point estimate was compared" in message
    assert "n=20 sentences, level=entity, scheme=IOB2, mode=conlleval" in message
    assert "| ORG | 0.000 | 0.000 | 0.000 | 4 |" in message
    table = [line for line in lines if line.lstrip().startswith("|")]
    assert len(table) == 5  # header, separator, the three worst labels
    assert lines[-1].startswith("Next step:")
    (check,) = run.checks
    assert not check.passed


def test_confidence_compares_the_lower_bound(run: RunRecord) -> None:
    # the point estimate clears 0.75 but the interval reaches below it: it passes on the point estimate only
    est = assert_f1_above(PRED, GOLD, 0.75, confidence=None)
    assert est.value >= 0.75 > est.low
    with pytest.raises(AssertionError) as info:
        assert_f1_above(PRED, GOLD, 0.75)  # the default burden: the interval must show it
    message = str(info.value)
    assert message.startswith("assert_f1_above failed: the lower bound of the 95% CI of entity F1 (micro), ")
    assert f"is below the threshold 0.750 (value {est.value:.3f}, CI [{est.low:.3f}, {est.high:.3f}])" in message
    assert "interval is too wide" in message
    assert [c.compared for c in run.checks] == ["value", "low"]
    assert run.checks[1].confidence == 0.95
    # a lower confidence gives a narrower interval that clears the bar
    assert assert_f1_above(PRED, GOLD, 0.6, confidence=0.5).low >= 0.6


def test_the_record_holds_the_margin_the_check_needs_at_80_percent_power(run: RunRecord) -> None:
    from scipy.stats import norm

    est = assert_f1_above(PRED, GOLD, 0.5, confidence=0.9)
    expected = (norm.ppf(0.95) + norm.ppf(0.8)) * est.standard_error
    assert run.checks[-1].details["detectable_change"] == pytest.approx(expected, abs=1e-12)
    with pytest.raises(AssertionError, match=r"power: the check passes with 80% power only where F1 lies 0\.\d{3}"):
        assert_f1_above(PRED, GOLD, 0.95, confidence=None)
    assert run.checks[-1].details["detectable_change"] == pytest.approx(norm.ppf(0.8) * est.standard_error)


def test_label_level_subject(run: RunRecord) -> None:
    gold = ["pos", "neg", "pos", "neg"] * 10
    pred = ["pos", "neg", "pos", "pos"] * 10
    est = assert_f1_above(pred, gold, 0.7, average="macro", confidence=None)
    assert est.level == "label"
    with pytest.raises(AssertionError, match=r"(?s)label F1 \(micro\) = 0.750 .*n=40 examples, level=label,"):
        assert_f1_above(pred, gold, 0.8, confidence=None)
    assert run.checks[-1].scheme is None


def test_message_when_nothing_is_predicted() -> None:
    all_o = [["O"] * len(s) for s in GOLD]
    with pytest.raises(AssertionError, match="predicted nothing"):
        assert_f1_above(all_o, GOLD, 0.1)


def test_model_subject(run: RunRecord) -> None:
    class Model:
        homog_name = "tiny-ner"

        def __init__(self) -> None:
            self.seen: object = None

        def homog_predict(self, data: object) -> tuple:
            self.seen = data
            return GOLD, PRED, ["text"] * len(GOLD)

    class Data:
        homog_name = "wnut17-test"

    model, data = Model(), Data()
    est = assert_f1_above(model, data, 0.5)
    assert model.seen is data
    assert est.value == pytest.approx(f1_score(GOLD, PRED))
    assert run.checks[0].subjects == ("tiny-ner",)
    assert run.checks[0].data == "wnut17-test"
    with pytest.raises(AssertionError, match="subject tiny-ner on wnut17-test: n=20"):
        assert_f1_above(model, data, 0.99)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"threshold": 0}, "threshold must be a number strictly between 0 and 1 .*got 0"),
        ({"threshold": 1}, "got 1"),
        ({"threshold": 40}, "got 40"),
        ({"threshold": -0.1}, "got -0.1"),
        ({"threshold": math.nan}, "got nan"),
        ({"threshold": "0.4"}, "got '0.4'"),
        ({"threshold": True}, "got True"),
        (
            {"threshold": 0.5, "confidence": 1.0},
            "confidence must be a number strictly between 0 and 1 .*got 1.0",
        ),
        ({"threshold": 0.5, "confidence": 0}, "got 0"),
        ({"threshold": 0.5, "average": None}, "average must be 'micro', 'macro' or 'weighted'; got None"),
        ({"threshold": 0.5, "average": "mean"}, "got 'mean'"),
        ({"threshold": 0.5, "level": "chunk"}, "level must be one of"),
        ({"threshold": 0.5, "scheme": "BIO"}, "scheme must be one of"),
        ({"threshold": 0.5, "mode": "lenient"}, "mode must be one of"),
        ({"threshold": 0.5, "n_resamples": 0}, "n_resamples must be a positive integer"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str, run: RunRecord) -> None:
    threshold = kwargs.pop("threshold")
    with pytest.raises(HomogUsageError, match=match):
        assert_f1_above(PRED, GOLD, threshold, **kwargs)
    assert run.checks == []  # nothing was measured


def test_without_an_active_run_nothing_is_recorded() -> None:
    assert assert_f1_above(PRED, GOLD, 0.5).value > 0.5


def test_end_to_end_under_pytest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_ner_quality_gate=f"""
        from pathlib import Path

        import pytest
        from pytest_homog import assert_f1_above
        from pytest_homog.record import active_run

        pytestmark = pytest.mark.homog


        def read_conll(path):
            sentences, current = [], []
            for line in Path(path).read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    if current:
                        sentences.append(current)
                        current = []
                    continue
                current.append(line.split()[-1])
            if current:
                sentences.append(current)
            return sentences


        GOLD = read_conll({str(WNUT_TEST)!r})
        # a weak tagger: finds persons only
        PRED = [[t if t.endswith("person") else "O" for t in s] for s in GOLD]


        def test_good_enough():
            assert_f1_above(GOLD, GOLD, 0.9, confidence=0.95)


        def test_not_good_enough():
            assert_f1_above(PRED, GOLD, 0.70, confidence=0.95)


        def test_zz_every_check_was_recorded():
            checks = active_run().checks
            assert [c.passed for c in checks] == [True, False]
            assert checks[1].test_id.endswith("test_not_good_enough")
        """
    )
    result = pytester.runpytest("--homog")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*assert_f1_above failed: the lower bound of the 95% CI of entity F1 (micro), 0.*, is below the "
            "threshold 0.700 (value 0.*, CI [[]0.*, 0.*[]])*",
            "*n=1287 sentences, level=entity, scheme=IOB2, mode=conlleval*",
            "*worst labels:*",
            "*| label | precision | recall | f1 | support |*",
            "*| group | 0.000 | 0.000 | 0.000 | 165 |*",
            "*Next step:*",
        ]
    )
    assert "_assert_metric_above" not in result.stdout.str()  # helper frames are hidden

    skipped = pytester.runpytest()
    skipped.assert_outcomes(skipped=3)


def test_an_all_o_tagger_fails_a_token_level_gate(pytester: pytest.Pytester) -> None:
    # 2 entity tags in 11: counting "O" as a label, the all-"O" tagger would score 9/11 = 0.818 and pass
    pytester.makepyfile(
        test_token_gate="""
        from pytest_homog import assert_f1_above

        GOLD = [["B-PER", "I-PER", "O", "O", "O", "O", "O", "O", "O", "O", "O"]] * 30


        def test_all_o():
            assert_f1_above([["O"] * 11] * 30, GOLD, 0.8, level="token")


        def test_scikit_learn_number_on_request():
            labels = ["B-PER", "I-PER", "O"]
            assert_f1_above([["O"] * 11] * 30, GOLD, 0.8, level="token", labels=labels)
        """
    )
    result = pytester.runpytest("--homog")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*the lower bound of the 95% CI of token F1 (micro), 0.000, is below the threshold 0.800*", "*nothing*"]
    )


def test_the_checks_take_the_run_seed_by_default(pytester: pytest.Pytester) -> None:
    import json

    pytester.makepyfile(
        test_seeded=f"""
        from pytest_homog import assert_f1_above, assert_models_diverge

        GOLD, PRED = {GOLD!r}, {PRED!r}


        def test_default_seed():
            assert_f1_above(PRED, GOLD, 0.1, n_resamples=50)  # few resamples: the interval shows the seed
            assert_models_diverge(PRED, GOLD, GOLD, min_gap=0.01, by="disagreement", confidence=None)


        def test_given_seed():
            assert_f1_above(PRED, GOLD, 0.1, n_resamples=50, seed=3)
        """
    )
    checks = {}
    for seed in (0, 5):
        pytester.runpytest("--homog", f"--homog-seed={seed}", f"--homog-report={seed}.json").assert_outcomes(passed=2)
        checks[seed] = json.loads((pytester.path / f"{seed}.json").read_text())["checks"]
    quality, divergence, given = zip(checks[0], checks[5], strict=True)
    assert (quality[0]["details"]["seed"], quality[1]["details"]["seed"]) == (0, 5)
    assert (quality[0]["low"], quality[0]["high"]) != (quality[1]["low"], quality[1]["high"])
    assert [check["details"]["seed"] for check in divergence] == [0, 5]
    assert given[0]["details"]["seed"] == given[1]["details"]["seed"] == 3 and given[0]["low"] == given[1]["low"]
    with pytest.raises(AssertionError, match=r"bootstrap resamples \(seed 0\)"):
        assert_f1_above(PRED, GOLD, 0.99)  # outside a pytest run with --homog the seed is 0
