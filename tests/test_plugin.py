"""End-to-end tests of the plugin's switch, options, header and start-up behaviour."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_homog.config import default_cache_dir

MARKED_AND_UNMARKED = """
import pytest

@pytest.mark.homog
def test_marked():
    pass

def test_unmarked():
    pass
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PYTEST_HOMOG", raising=False)
    monkeypatch.setenv("PYTEST_HOMOG_CACHE", str(tmp_path / "homog-cache"))


def test_marked_test_is_skipped_without_homog(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MARKED_AND_UNMARKED)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED*test_marked*needs --homog*"])


def test_homog_runs_marked_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MARKED_AND_UNMARKED)
    pytester.runpytest("--homog").assert_outcomes(passed=2)


def test_module_level_pytestmark_is_skipped(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        pytestmark = pytest.mark.homog

        def test_a():
            pass

        def test_b():
            pass
        """
    )
    pytester.runpytest().assert_outcomes(skipped=2)
    pytester.runpytest("--homog").assert_outcomes(passed=2)


def test_marker_is_registered_under_strict_markers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MARKED_AND_UNMARKED)
    result = pytester.runpytest("--strict-markers", "-W", "error::pytest.PytestUnknownMarkWarning")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.no_fnmatch_line("*PytestUnknownMarkWarning*")
    assert "homog:" in pytester.runpytest("--markers").stdout.str()


def test_ini_switch(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nhomog = true\n")
    pytester.makepyfile(MARKED_AND_UNMARKED)
    pytester.runpytest().assert_outcomes(passed=2)


@pytest.mark.parametrize(("value", "passed", "skipped"), [("1", 2, 0), ("true", 2, 0), ("0", 1, 1)])
def test_env_switch(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, value: str, passed: int, skipped: int
) -> None:
    monkeypatch.setenv("PYTEST_HOMOG", value)
    pytester.makepyfile(MARKED_AND_UNMARKED)
    pytester.runpytest().assert_outcomes(passed=passed, skipped=skipped)


def test_env_switch_overrides_the_ini_switch(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # precedence: command line, then environment, then ini
    pytester.makeini("[pytest]\nhomog = true\n")
    pytester.makepyfile(MARKED_AND_UNMARKED)
    monkeypatch.setenv("PYTEST_HOMOG", "0")
    pytester.runpytest().assert_outcomes(passed=1, skipped=1)
    pytester.runpytest("--homog").assert_outcomes(passed=2)


def test_bad_ini_switch_names_the_key_and_the_values(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nhomog = maybe\n")
    pytester.makepyfile(MARKED_AND_UNMARKED)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: ini option homog: invalid truth value 'maybe'; use true or false (also 1/0*"])


def test_bad_env_switch_fails_at_start_up(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_HOMOG", "maybe")
    pytester.makepyfile(MARKED_AND_UNMARKED)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*PYTEST_HOMOG='maybe' is not a boolean*"])


def test_help_lists_the_homog_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "pytest-homog: model quality and homogenization checks:",
            "*--homog *",
            "*--homog-device=DEVICE*",
            "*--homog-cache-dir=DIR*",
            "*--homog-seed=N*",
        ]
    )
    result.stdout.fnmatch_lines(["*homog_device (string):*"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--homog-device=gpu"], "*argument --homog-device: 'gpu' is not a device; use one of auto, cpu, cuda*"),
        (["--homog-device=cuda:x"], "*argument --homog-device: 'cuda:x' is not a device*"),
        (["--homog-seed=-3"], "*argument --homog-seed: '-3' is not a seed*"),
        (["--homog-seed=abc"], "*argument --homog-seed: 'abc' is not a seed*"),
    ],
)
def test_bad_option_values_fail_at_start_up(pytester: pytest.Pytester, args: list[str], message: str) -> None:
    pytester.makepyfile(MARKED_AND_UNMARKED)
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    result.stdout.no_fnmatch_line("*passed*")


def test_bad_ini_value_fails_at_start_up(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nhomog_device = tpu\n")
    pytester.makepyfile(MARKED_AND_UNMARKED)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini option homog_device = 'tpu': 'tpu' is not a device*"])


def test_report_header_under_verbose_homog(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(MARKED_AND_UNMARKED)
    cache = tmp_path / "c"
    result = pytester.runpytest("-v", "--homog", "--homog-device=cpu", f"--homog-cache-dir={cache}")
    result.stdout.fnmatch_lines([f"homog: pytest-homog *, device cpu, cache {cache}"])
    assert "homog: pytest-homog" not in pytester.runpytest("-v").stdout.str()


def test_settings_reach_fixtures_with_precedence(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PYTEST_HOMOG_CACHE", str(tmp_path / "from-env"))
    pytester.makeini("[pytest]\nhomog_seed = 7\nhomog_device = cpu\nhomog_cache_dir = from-ini\n")
    pytester.makepyfile(
        f"""
        import pytest

        pytestmark = pytest.mark.homog

        def test_settings(homog_config, homog_seed, homog_device):
            assert homog_seed == 11            # command line beats ini
            assert homog_config.device == "cpu"
            assert str(homog_device) == "cpu"
            assert str(homog_config.cache_dir) == {str(tmp_path / "from-env")!r}   # env beats ini
        """
    )
    pytester.runpytest("--homog", "--homog-seed=11").assert_outcomes(passed=1)


def test_ini_cache_dir_is_relative_to_rootdir(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_HOMOG_CACHE")
    pytester.makeini("[pytest]\nhomog_cache_dir = .homog\n")
    pytester.makepyfile(
        """
        def test_dir(homog_config, pytestconfig):
            assert homog_config.cache_dir == pytestconfig.rootpath / ".homog"
            assert homog_config.seed == 0 and homog_config.device == "auto"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_cuda_on_a_machine_without_one_is_a_clear_error(pytester: pytest.Pytester) -> None:
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    pytester.makepyfile(
        """
        def test_device(homog_device):
            pass
        """
    )
    result = pytester.runpytest("--homog-device=cuda:1")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*--homog-device=cuda:1 was asked for but torch * sees no CUDA device; devices available: cpu*"]
    )


def test_a_missing_cuda_device_stops_a_homog_run_once_at_start_up(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a machine with two GPUs
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    pytester.makepyfile(
        """
        def test_a(homog_device):
            pass

        def test_b(homog_device):
            pass
        """
    )
    result = pytester.runpytest("--homog", "--homog-device=cuda:7")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --homog-device=cuda:7 was asked for but only 2 CUDA device(s) exist; devices available: cpu, "
            "cuda:0, cuda:1. Use one of them (--homog-device or ini homog_device), or auto (CUDA when present, "
            "else cpu)"
        ]
    )
    assert "test_a" not in result.stdout.str()
    pytester.runpytest("--homog", "--homog-device=cuda:1").assert_outcomes(passed=2)


def test_a_device_without_cuda_stops_a_homog_run_at_start_up(pytester: pytest.Pytester) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    pytester.makeini("[pytest]\nhomog_device = cuda\n")
    pytester.makepyfile("def test_a():\n    pass\n")
    result = pytester.runpytest("--homog")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --homog-device=cuda was asked for but torch * sees no CUDA device; devices*"])
    pytester.runpytest().assert_outcomes(passed=1)  # a run without --homog needs no device


@pytest.mark.parametrize("args", [[], ["--homog"]])
def test_no_files_are_created_unless_a_check_needs_them(
    pytester: pytest.Pytester, tmp_path: Path, args: list[str]
) -> None:
    pytester.makepyfile(MARKED_AND_UNMARKED)
    cache = tmp_path / "homog-cache"
    before = sorted(p.relative_to(pytester.path) for p in pytester.path.rglob("*"))
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.OK
    after = sorted(p.relative_to(pytester.path) for p in pytester.path.rglob("*") if "__pycache__" not in p.parts)
    assert after == [p for p in before if "__pycache__" not in p.parts]
    assert not cache.exists()


def test_default_cache_dir_follows_xdg() -> None:
    assert default_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/pytest-homog")
    assert default_cache_dir({}) == Path(os.path.expanduser("~")) / ".cache" / "pytest-homog"


HEAVY = ("torch", "transformers", "datasets", "hypothesis", "numpy", "sklearn", "scipy", "matplotlib")


@pytest.mark.parametrize("module", ["pytest_homog.plugin", "pytest_homog"])
def test_importing_the_plugin_imports_nothing_heavy(module: str) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        import {module}
        import pytest_homog
        pytest_homog.__version__, pytest_homog.HomogUsageError
        print(",".join(m for m in {HEAVY!r} if m in sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"importing {module} imported {out.stdout.strip()}"


def test_a_plain_pytest_run_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    """Loaded through its entry point in a repo that never passes --homog, the plugin pulls in nothing heavy."""
    pytester.makepyfile(
        f"""
        import sys

        def test_modules(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("homog")
            loaded = [m for m in {HEAVY[:4]!r} if m in sys.modules]
            assert loaded == []
        """
    )
    pytester.runpytest_subprocess("-p", "no:hypothesispytest", "-p", "no:anyio").assert_outcomes(passed=1)


def test_public_facade_is_sorted_and_resolvable() -> None:
    import pytest_homog

    assert pytest_homog.__all__ == sorted(pytest_homog.__all__)
    for name in pytest_homog.__all__:
        assert getattr(pytest_homog, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        pytest_homog.nope  # noqa: B018
