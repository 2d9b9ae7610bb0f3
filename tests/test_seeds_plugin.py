"""Seeds end to end: homog_finetune(seeds=...) fine-tunes and caches one model per seed, and the checks gate them."""

from __future__ import annotations

import json
import textwrap

# imported here so every in-process pytester run records into the one run record the checks write to, and
# raises the one HomogUsageError class the test file catches
import pytest_homog.errors
import pytest_homog.record  # noqa: F401

SETTINGS = "train=TRAIN, epochs=3, learning_rate=1e-3, weight_decay=0.01"  # training_args reach every seed


def seeds_file(tiny_world) -> str:
    return textwrap.dedent(
        f"""
        import pytest
        from pytest_homog import assert_f1_above, assert_stochastically_better, HomogUsageError

        pytestmark = pytest.mark.homog
        BASE, TRAIN = {str(tiny_world["base"])!r}, {str(tiny_world["train"])!r}
        TEST = {str(tiny_world["test"])!r}


        @pytest.fixture(scope="session")
        def candidate(homog_finetune):
            return homog_finetune(BASE, {SETTINGS}, seeds=[0, 1, 2])


        @pytest.fixture(scope="session")
        def quick(homog_finetune):
            return homog_finetune(BASE, train=TRAIN, epochs=1, learning_rate=1e-4, seeds=[0, 1, 2])


        def test_quality_over_seeds(candidate, homog_dataset):
            estimate = assert_f1_above(candidate, homog_dataset(TEST), 0.5, confidence=0.95)
            assert estimate.seeds == (3,)


        def test_each_seed_is_the_model_of_that_seed(candidate, homog_finetune):
            assert candidate.homog_name == "candidate" and len(candidate.runs) == 3
            for seed, run in enumerate(candidate.runs):
                assert homog_finetune(BASE, {SETTINGS}, seed=seed).model is run.model


        def test_better_than_a_quick_fine_tune(candidate, quick, homog_dataset):
            assert_stochastically_better(candidate, quick, homog_dataset(TEST), max_epsilon=0.5)


        def test_seed_and_seeds_together_are_refused(homog_finetune):
            with pytest.raises(HomogUsageError, match="got seed=0 and seeds=.0, 1.; pass one"):
                homog_finetune(BASE, {SETTINGS}, seed=0, seeds=[0, 1])
            with pytest.raises(HomogUsageError, match="seeds must be a non-empty list of distinct"):
                homog_finetune(BASE, {SETTINGS}, seeds=[1, 1])
        """
    )


seeds_file.__test__ = False  # type: ignore[attr-defined]


def test_fine_tune_over_seeds_then_every_seed_is_a_cache_hit(pytester, tiny_world, tmp_path):
    pytester.makepyfile(test_e2e_seeds=seeds_file(tiny_world))
    report = tmp_path / "report.json"
    args = ["--homog", f"--homog-cache-dir={tmp_path / 'cache'}", f"--homog-report={report}", "-p", "no:cacheprovider"]

    first = pytester.runpytest(*args)
    first.assert_outcomes(passed=4)
    trained = [line for line in first.outlines if line.startswith("homog model fine-tune:")]
    assert sum(" trained in " in line for line in trained) == 6  # three seeds of each fine-tune, once each
    records = {record["check"]: record for record in json.loads(report.read_text())["checks"]}
    assert records["assert_f1_above"]["subjects"] == ["candidate"]
    assert records["assert_stochastically_better"]["subjects"] == ["candidate", "quick"]

    second = pytester.runpytest(*args)
    second.assert_outcomes(passed=4)
    again = [line for line in second.outlines if line.startswith("homog model fine-tune:")]
    assert again and all(" hit in " in line for line in again)
