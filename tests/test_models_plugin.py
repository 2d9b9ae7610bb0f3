"""The model fixtures end to end: pytester runs, xdist workers, and a fine-tune killed by SIGKILL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# imported here so every in-process pytester run records into the one run record the checks write to
import pytest_homog.record  # noqa: F401

FINETUNE = "homog_finetune(BASE, train=TRAIN, epochs=3, learning_rate=1e-3, seed=0)"


def test_file(tiny_world) -> str:
    return textwrap.dedent(
        f"""
        import pytest

        pytestmark = pytest.mark.homog
        BASE, TRAIN = {str(tiny_world["base"])!r}, {str(tiny_world["train"])!r}
        TEST = {str(tiny_world["test"])!r}


        @pytest.fixture(scope="session")
        def tuned(homog_finetune):
            return {FINETUNE}


        def test_quality(tuned, homog_dataset):
            from seqeval.metrics import f1_score

            y_true, y_pred, words = tuned.homog_predict(homog_dataset(TEST))
            assert f1_score(y_true, y_pred) > 0.6


        def test_reused_within_the_session(tuned, homog_finetune, homog_model):
            again = {FINETUNE}
            assert again.model is tuned.model and again is {FINETUNE}  # one loaded model
            assert tuned.homog_name == "tuned" and again.homog_name.startswith("tiny-bert+token-ft-")
            assert homog_model(tuned) is tuned
        """
    )


test_file.__test__ = False  # type: ignore[attr-defined]


def test_options_in_help(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--homog-refresh*", "*--homog-gpu-memory=SIZE*"])


def test_bad_gpu_memory_value(pytester):
    result = pytester.runpytest("--homog-gpu-memory=lots")
    result.stderr.fnmatch_lines(["*--homog-gpu-memory*'lots' is not a memory budget*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    pytester.makeini("[pytest]\nhomog_gpu_memory = 200%\n")
    result = pytester.runpytest()
    result.stderr.fnmatch_lines(["*homog_gpu_memory = '200%'*not a memory budget*"])


def test_options_and_ini_twins_reach_the_config(pytester):
    pytester.makepyfile(
        """
        def test_config(homog_config, pytestconfig):
            expected = pytestconfig.getoption("expected").split(",")
            assert [str(homog_config.refresh), homog_config.gpu_memory] == expected
        """
    )
    pytester.makeconftest("def pytest_addoption(parser):\n    parser.addoption('--expected')\n")
    pytester.runpytest("--expected=False,80%").assert_outcomes(passed=1)
    pytester.runpytest("--homog-refresh", "--homog-gpu-memory=8GiB", "--expected=True,8GiB").assert_outcomes(
        passed=1
    )
    pytester.makeini("[pytest]\nhomog_refresh = true\nhomog_gpu_memory = 50%\n")
    pytester.runpytest("--expected=True,50%").assert_outcomes(passed=1)
    pytester.runpytest("--homog-gpu-memory=2G", "--expected=True,2G").assert_outcomes(passed=1)


def test_import_stays_cheap():
    code = (
        "import sys, pytest_homog.plugin; heavy = [m for m in ('torch', 'transformers', 'datasets', 'numpy') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_fixtures_end_to_end_then_cache_hit_then_refresh(pytester, tiny_world, tmp_path):
    pytester.makepyfile(test_e2e_models=test_file(tiny_world))
    args = ["--homog", f"--homog-cache-dir={tmp_path / 'cache'}", "-p", "no:cacheprovider"]

    first = pytester.runpytest(*args)
    first.assert_outcomes(passed=2)
    first.stdout.fnmatch_lines(
        ["*pytest-homog models*", "homog model fine-tune: tiny-bert+token-ft-* trained in *"]
    )
    assert "hit" not in "\n".join(line for line in first.outlines if line.startswith("homog model"))

    second = pytester.runpytest(*args)
    second.assert_outcomes(passed=2)
    second.stdout.fnmatch_lines(["homog model fine-tune: tiny-bert+token-ft-* hit in *"])
    assert "trained" not in "\n".join(line for line in second.outlines if line.startswith("homog model"))

    refreshed = pytester.runpytest(*args, "--homog-refresh")
    refreshed.assert_outcomes(failed=2)  # both tests use the rebuilt model
    refreshed.stdout.fnmatch_lines(
        [
            "*model cache refreshed by --homog-refresh; review the change, then run again*",
            "homog model fine-tune: * refreshed in *",
        ]
    )

    after = pytester.runpytest(*args)
    after.assert_outcomes(passed=2)
    after.stdout.fnmatch_lines(["homog model fine-tune: * hit in *"])


def test_unwritable_cache_dir_falls_back(pytester, tiny_world, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    pytester.makepyfile(test_e2e_models=test_file(tiny_world))
    result = pytester.runpytest("--homog", f"--homog-cache-dir={blocker / 'cache'}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*HomogWarning: pytest-homog cannot write its cache directory*"])


def test_two_xdist_workers_fine_tune_once(pytester, tiny_world, tmp_path, monkeypatch):
    pytest.importorskip("xdist")
    body = test_file(tiny_world).replace('@pytest.fixture(scope="session")', "@pytest.fixture")
    body += "\n\n@pytest.mark.parametrize('i', range(4))\ndef test_more(tuned, i):\n    assert tuned.labels\n"
    pytester.makepyfile(test_e2e_models=body)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # tiny models; two workers share the cores
    result = pytester.runpytest_subprocess(
        "--homog", f"--homog-cache-dir={tmp_path / 'cache'}", "-n", "2", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=6)
    lines = [line for line in result.outlines if line.startswith("homog model fine-tune:")]
    assert sum(" trained in " in line for line in lines) == 1, lines
    assert sum(" hit in " in line for line in lines) >= 1, lines
    assert len(list((tmp_path / "cache" / "models").iterdir())) == 1


KILLER = textwrap.dedent(
    """
    import os, pathlib, sys, time
    import torch
    torch.set_num_threads(1)
    from transformers import Trainer
    import pytest_homog.models.cache as cache_module
    from pytest_homog.config import HomogConfig
    from pytest_homog.models.session import ModelSession

    cache_dir, base, train, where = sys.argv[1:5]

    def stall():
        print("STALLED", flush=True)
        time.sleep(120)

    if where == "training":
        real_step = Trainer.training_step
        def step(self, *args, **kwargs):
            out = real_step(self, *args, **kwargs)
            if self.state.global_step >= 2:
                stall()
            return out
        Trainer.training_step = step
    else:  # weights and manifest written, not yet renamed into place
        real_replace = os.replace
        def replace(src, dst):
            if pathlib.Path(dst).parent.name == "models":
                stall()
            return real_replace(src, dst)
        cache_module.os.replace = replace

    session = ModelSession(HomogConfig(enabled=True, device="cpu", cache_dir=pathlib.Path(cache_dir)))
    session.finetune(base, train=train, epochs=3, learning_rate=1e-3, seed=0)
    print("FINISHED", flush=True)
    """
)


@pytest.mark.parametrize("where", ["training", "before-rename"])
def test_fine_tune_killed_leaves_nothing_trusted(tiny_world, tmp_path, where):
    from pytest_homog.config import HomogConfig
    from pytest_homog.models.session import ModelSession

    cache_dir = tmp_path / "cache"
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")]),
    }
    err = (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(cache_dir),
            str(tiny_world["base"]),
            str(tiny_world["train"]),
            where,
        ],
        stdout=subprocess.PIPE,
        stderr=err,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "STALLED"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        err.close()
    assert proc.returncode == -signal.SIGKILL
    stderr = (tmp_path / "stderr.txt").read_text()
    progress = [line for line in stderr.splitlines() if line.startswith("homog: ")]
    assert progress[0].startswith("homog: fine-tuning tiny-bert+token-ft-")  # shown although not a tty
    assert list((cache_dir / "models").iterdir()) == []
    assert list((cache_dir / "tmp").iterdir()) != []  # the half-built entry stays where nobody reads it

    waited: list[str] = []
    session = ModelSession(HomogConfig(enabled=True, device="cpu", cache_dir=cache_dir), report=waited.append)
    model = session.finetune(
        str(tiny_world["base"]), train=str(tiny_world["train"]), epochs=3, learning_rate=1e-3, seed=0
    )
    assert model.cache_status == "trained"
    assert not any("waiting" in line for line in waited)  # the dead process's lock was released by the OS
    assert len(list((cache_dir / "models").iterdir())) == 1


# -- names: a subject's name is its role (the fixture's name, or name=), never its folder --------------------


@pytest.fixture(scope="module")
def releases(tiny_world, tmp_path_factory) -> Path:
    """A fine-tuned tiny NER model saved twice, byte for byte: two releases, models/ner-v1 and models/ner-v3."""
    from pytest_homog.config import HomogConfig
    from pytest_homog.models.session import ModelSession

    root = tmp_path_factory.mktemp("releases")
    session = ModelSession(HomogConfig(enabled=True, device="cpu", cache_dir=root / "cache"), report=lambda m: None)
    model = session.finetune(
        str(tiny_world["base"]), train=str(tiny_world["train"]), epochs=3, learning_rate=1e-3, seed=0
    )
    for release in ("ner-v1", "ner-v3"):
        shutil.copytree(model.path, root / "models" / release)
    session.close()
    return root / "models"


def release_test_file(release: Path, test: Path) -> str:
    return textwrap.dedent(
        f"""
        import pytest
        from pytest_homog import assert_f1_above

        pytestmark = pytest.mark.homog
        RELEASE, TEST = {str(release)!r}, {str(test)!r}


        @pytest.fixture(scope="session")
        def candidate(homog_model):
            return homog_model(RELEASE)


        def test_fixture_role(candidate, homog_dataset):
            assert_f1_above(candidate, homog_dataset(TEST), 0.3)


        def test_given_name(homog_model, homog_dataset):
            assert_f1_above(homog_model(RELEASE, name="release"), homog_dataset(TEST), 0.3)
        """
    )


def test_a_new_release_in_a_new_folder_is_compared_with_the_baseline(pytester, tiny_world, releases, tmp_path):
    args = ["--homog", f"--homog-cache-dir={tmp_path / 'cache'}", "-p", "no:cacheprovider"]
    pytester.makepyfile(test_release=release_test_file(releases / "ner-v1", tiny_world["test"]))
    pytester.runpytest(*args, "--homog-save-baseline=baseline.json").assert_outcomes(passed=2)
    pytester.makepyfile(test_release=release_test_file(releases / "ner-v3", tiny_world["test"]))
    result = pytester.runpytest(*args, "--homog-baseline=baseline.json", "--homog-report=report.json")
    result.assert_outcomes(passed=2)
    report = json.loads((pytester.path / "report.json").read_text())
    assert [check["subjects"] for check in report["checks"]] == [["candidate"], ["release"]]
    baseline = report["baseline"]
    assert (baseline["compared"], baseline["new"], baseline["missing"]) == (2, [], [])


def test_an_exact_copy_under_two_names_fails_assert_not_homogeneous(pytester, tiny_world, releases, tmp_path):
    pytester.makepyfile(
        test_copy=f"""
        import pytest
        from pytest_homog import assert_not_homogeneous

        pytestmark = pytest.mark.homog
        MODELS, TEST = {str(releases)!r}, {str(tiny_world["test"])!r}


        @pytest.fixture(scope="session")
        def incumbent(homog_model):
            return homog_model(MODELS + "/ner-v1")


        def test_fixture_roles(incumbent, homog_model, homog_dataset):
            candidate = homog_model(MODELS + "/ner-v3", name="candidate")
            assert_not_homogeneous({{"candidate": candidate, "incumbent": incumbent}}, homog_dataset(TEST))


        def test_given_names(homog_model, homog_dataset):
            candidate = homog_model(MODELS + "/ner-v3", name="candidate")
            incumbent = homog_model(MODELS + "/ner-v1", name="incumbent")
            assert candidate.homog_name == "candidate" and incumbent.homog_name == "incumbent"
            assert_not_homogeneous({{"a": candidate, "b": incumbent}}, homog_dataset(TEST), max_homogenization=1e9,
                                   max_similarity=0.9)
        """
    )
    result = pytester.runpytest("--homog", f"--homog-cache-dir={tmp_path / 'cache'}", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: assert_not_homogeneous: 2 subjects are homogeneous: the 95% CI of shared failure, "
            "[[]1.000, 1.000[]], reaches above max_shared_failure 0.5*",
            "*failure rates: candidate *, incumbent *",
            "*AssertionError: assert_not_homogeneous: 2 subjects are homogeneous: *; the 95% CI of similarity of 'a' "
            "and 'b' by error_consistency, [[]1.000, 1.000[]], reaches above max_similarity 0.9*",
        ]
    )


def test_a_warm_run_reads_the_outputs_under_xdist_without_loading_the_weights(
    pytester, tiny_world, tmp_path, monkeypatch
):
    pytest.importorskip("xdist")
    body = test_file(tiny_world).split("def test_quality")[0] + textwrap.dedent(
        """
        @pytest.mark.parametrize("i", range(4))
        def test_outputs(tuned, homog_dataset, i):
            import os

            data = homog_dataset(TEST)
            y_true, y_pred, words = tuned.homog_predict(data)
            probabilities = tuned.homog_probabilities(data)[1]
            assert [len(p) for p in probabilities] == [len(p) for p in y_pred]
            assert tuned.homog_features(data).shape[0] == sum(map(len, words))
            assert tuned.weights_loaded != bool(os.environ.get("EXPECT_WARM"))
        """
    )
    pytester.makepyfile(test_e2e_outputs=body)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    args = ["--homog", f"--homog-cache-dir={tmp_path / 'cache'}", "-p", "no:cacheprovider"]
    cold = pytester.runpytest_subprocess(*args)
    cold.assert_outcomes(passed=4)
    cold.stdout.fnmatch_lines(
        ["homog model predict: tuned on test.conll * computed in *", "homog model features: tuned on * computed in *"]
    )
    monkeypatch.setenv("EXPECT_WARM", "1")
    warm = pytester.runpytest_subprocess(*args, "-n", "2", "--dist", "loadgroup")
    warm.assert_outcomes(passed=4)
    lines = [line for line in warm.outlines if line.startswith(("homog model predict:", "homog model features:"))]
    assert lines and all(" hit in " in line for line in lines), lines
