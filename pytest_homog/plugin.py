"""The pytest plugin of pytest-homog: command-line options and ini keys, the ``homog`` marker, and thin fixtures.

Importing this module must stay cheap: it imports neither torch, transformers, datasets nor hypothesis, and
it does not touch the disk. Every implementation is imported inside the fixture or hook that needs it; the run's
state and the hooks that keep it are in :mod:`pytest_homog.session`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_homog.config import (
    ENV_CACHE_DIR,
    ENV_ENABLE,
    HOMOG_CONFIG_KEY,
    HomogConfig,
    parse_alpha,
    parse_device,
    parse_family,
    parse_family_size,
    parse_memory,
    parse_seed,
    parse_tolerance,
    parse_tolerance_floor,
    resolve_config,
)

if TYPE_CHECKING:
    import torch

SKIP_REASON = "needs --homog"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("homog", "pytest-homog: model quality and homogenization checks")
    group.addoption(
        "--homog",
        action="store_true",
        default=False,
        help=f"run tests marked homog and switch on pytest-homog's checks (ini homog, env {ENV_ENABLE}=1). "
        "Default: off.",
    )
    group.addoption(
        "--homog-device",
        type=parse_device,
        default=None,
        metavar="DEVICE",
        help="device for models: auto, cpu, cuda, cuda:N or mps (ini homog_device). Default: auto.",
    )
    group.addoption(
        "--homog-cache-dir",
        default=None,
        metavar="DIR",
        help=f"directory for cached fine-tuned models (env {ENV_CACHE_DIR}, ini homog_cache_dir). "
        "Default: $XDG_CACHE_HOME/pytest-homog or ~/.cache/pytest-homog.",
    )
    group.addoption(
        "--homog-seed",
        type=parse_seed,
        default=None,
        metavar="N",
        help="seed for fine-tuning, bootstrap and generated data (ini homog_seed). Default: 0.",
    )
    # models: cache refresh and accelerator memory budget
    group.addoption(
        "--homog-refresh",
        action="store_true",
        default=None,
        help="rebuild cached fine-tuned models; each test that used a rebuilt model fails so that a person "
        "reviews it, then run again without the flag (ini homog_refresh). Default: off.",
    )
    group.addoption(
        "--homog-gpu-memory",
        type=parse_memory,
        default=None,
        metavar="SIZE",
        help="accelerator memory that resident models may take, e.g. 24GiB or 80%%; least recently used "
        "models move back to the CPU beyond it (ini homog_gpu_memory). Default: 80%%.",
    )
    parser.addini("homog_refresh", type="bool", default=False, help="rebuild models, as --homog-refresh")
    parser.addini("homog_gpu_memory", default="", help="accelerator memory budget, as --homog-gpu-memory")
    parser.addini("homog", type="bool", default=False, help="switch pytest-homog's checks on, as --homog does")
    parser.addini("homog_device", default="", help="device for models, as --homog-device")
    parser.addini("homog_cache_dir", default="", help="cache directory, as --homog-cache-dir")
    parser.addini("homog_seed", default="", help="seed, as --homog-seed")
    _addoption_reports(parser, group)
    _addoption_baseline(parser, group)
    _addoption_family(parser, group)


def _addoption_family(parser: pytest.Parser, group: Any) -> None:
    """Options of family-wise error control across the session's interval gates (pytest_homog.family)."""
    group.addoption(
        "--homog-family",
        type=parse_family,
        default=None,
        metavar="METHOD",
        help="share --homog-alpha over every interval gate of the run: bonferroni, holm (Holm's step-down; gates it "
        "cannot decide when they run are decided at the end) or none (each gate at its own confidence) "
        "(ini homog_family). Default: none.",
    )
    group.addoption(
        "--homog-alpha",
        type=parse_alpha,
        default=None,
        metavar="ALPHA",
        help="the chance of any false verdict among the run's interval gates that --homog-family allows "
        "(ini homog_alpha). Default: 0.05.",
    )
    group.addoption(
        "--homog-family-size",
        type=parse_family_size,
        default=None,
        metavar="N",
        help="the number of interval gates of the run, declared (ini homog_family_size). Default: counted from the "
        "selected tests, each marked homog counting its homog(gates=N), 1 when not given.",
    )
    parser.addini("homog_family", default="", help="family-wise error control, as --homog-family")
    parser.addini("homog_alpha", default="", help="session-wide alpha, as --homog-alpha")
    parser.addini("homog_family_size", default="", help="declared family size, as --homog-family-size")


def _addoption_reports(parser: pytest.Parser, group: Any) -> None:
    """Options of the report files (pytest_homog.report)."""
    group.addoption(
        "--homog-report",
        default=None,
        metavar="PATH",
        help="write every measured value to PATH as JSON (ini homog_report). Default: none.",
    )
    group.addoption(
        "--homog-markdown",
        default=None,
        metavar="PATH",
        help="write a Markdown summary to PATH, also appended to $GITHUB_STEP_SUMMARY when set "
        "(ini homog_markdown). Default: none.",
    )
    group.addoption(
        "--homog-html",
        default=None,
        metavar="PATH",
        help="write a self-contained HTML report to PATH (ini homog_html). Default: none.",
    )
    group.addoption(
        "--homog-heatmaps",
        default=None,
        metavar="DIR",
        help="write every similarity matrix as a PNG heatmap into DIR, made if missing; needs matplotlib, "
        "pip install 'pytest-homog[plot]' (ini homog_heatmaps). Default: none.",
    )
    parser.addini("homog_report", default="", help="JSON report path, as --homog-report")
    parser.addini("homog_markdown", default="", help="Markdown summary path, as --homog-markdown")
    parser.addini("homog_html", default="", help="HTML report path, as --homog-html")
    parser.addini("homog_heatmaps", default="", help="directory of the PNG heatmaps, as --homog-heatmaps")


def _addoption_baseline(parser: pytest.Parser, group: Any) -> None:
    """Options of the baselines a run saves and is compared with (pytest_homog.report.baseline)."""
    group.addoption(
        "--homog-save-baseline",
        default=None,
        metavar="PATH",
        help="write the measured values to PATH as a baseline for later runs (ini homog_save_baseline). Default: none.",
    )
    group.addoption(
        "--homog-baseline",
        default=None,
        metavar="PATH",
        help="compare each check with the value stored in baseline PATH and fail checks that regressed "
        "(ini homog_baseline). Default: none.",
    )
    group.addoption(
        "--homog-tolerance",
        type=parse_tolerance,
        default=None,
        metavar="TOL",
        help="how far a metric may regress from its baseline: absolute (0.01) or relative (2%%), a relative one "
        "allowing at least --homog-tolerance-floor (ini homog_tolerance). Default: 0.01.",
    )
    group.addoption(
        "--homog-tolerance-floor",
        type=parse_tolerance_floor,
        default=None,
        metavar="X",
        help="the smallest change a relative tolerance allows: allowed = max(share * |baseline|, X), so noise on "
        "small values is not a regression (ini homog_tolerance_floor). Default: 0.01.",
    )
    group.addoption(
        "--homog-allow-unusable-baseline",
        action="store_true",
        default=False,
        help="let a run pass when its --homog-baseline cannot be read or is not a pytest-homog baseline (it is "
        "reported either way) (ini homog_allow_unusable_baseline). Default: such a run fails.",
    )
    group.addoption(
        "--homog-baseline-strict",
        action="store_true",
        default=False,
        help="fail the run unless every check was compared with the baseline and every stored check ran: no new, "
        "no missing checks (ini homog_baseline_strict). Default: off; a baseline that shares no check with the "
        "run is a warning.",
    )
    parser.addini("homog_save_baseline", default="", help="baseline to write, as --homog-save-baseline")
    parser.addini("homog_baseline", default="", help="baseline to compare with, as --homog-baseline")
    parser.addini("homog_tolerance", default="", help="baseline tolerance, as --homog-tolerance")
    parser.addini("homog_tolerance_floor", default="", help="floor of a relative tolerance, as --homog-tolerance-floor")
    parser.addini(
        "homog_allow_unusable_baseline",
        type="bool",
        default=False,
        help="let a run with an unusable baseline pass, as --homog-allow-unusable-baseline",
    )
    parser.addini("homog_baseline_strict", type="bool", default=False, help="as --homog-baseline-strict")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "homog: a pytest-homog check; skipped unless pytest runs with --homog (or ini homog = true, "
        f"or {ENV_ENABLE}=1); homog(gates=N): it runs N interval gates (default 1), for --homog-family",
    )
    homog = resolve_config(config)
    config.stash[HOMOG_CONFIG_KEY] = homog
    if homog.enabled and not hasattr(config, "workerinput"):  # under pytest-xdist the controller has checked
        _check_device(homog.device)
    if homog.enabled:
        from pytest_homog.progress import attach
        from pytest_homog.run_context import RunContext, homog_family
        from pytest_homog.session import HomogSession, register_model_reports

        attach(config)  # long work (fine-tuning, prediction) shows its progress on this run's terminal
        config.pluginmanager.register(RunContext(homog.seed, homog_family(homog)), RunContext.name)
        config.pluginmanager.register(HomogSession(config), HomogSession.name)
        # a controller under pytest-xdist never builds a model itself but shows the workers' model events
        register_model_reports(config)


def _check_device(spec: str) -> None:
    """A device that is not there stops the run at start-up, once, rather than in every test that needs it.
    torch is imported only when a device other than auto or cpu was asked for."""
    from pytest_homog.device import check_device
    from pytest_homog.errors import HomogUsageError

    try:
        check_device(spec)
    except HomogUsageError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(tryfirst=True, specname="pytest_configure")
def pytest_configure_hypothesis_profile(config: pytest.Config) -> None:
    """Register the hypothesis profile ``homog`` when ``--hypothesis-profile=homog`` asks for it.

    Runs before hypothesis' own ``pytest_configure``, which loads the profile. Hypothesis is imported only in
    that case, and the plugin never loads a profile itself.
    """
    if config.getoption("hypothesis_profile", None) == "homog":
        import pytest_homog.strategies  # noqa: F401  (registers the profile on import)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    homog = config.stash.get(HOMOG_CONFIG_KEY, None)
    if homog is None or not homog.enabled or config.get_verbosity() < 1:
        return None
    from pytest_homog import __version__
    from pytest_homog.device import describe_device

    return [f"homog: pytest-homog {__version__}, device {describe_device(homog.device)}, cache {homog.cache_dir}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    homog = config.stash.get(HOMOG_CONFIG_KEY, None)
    if homog is not None and homog.enabled:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if item.get_closest_marker("homog") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def homog_config(request: pytest.FixtureRequest) -> HomogConfig:
    """The session's resolved pytest-homog settings (device, cache dir, seed, ...)."""
    return request.config.stash[HOMOG_CONFIG_KEY]


@pytest.fixture(scope="session")
def homog_seed(homog_config: HomogConfig) -> int:
    """The session seed (``--homog-seed``, default 0)."""
    return homog_config.seed


@pytest.fixture(scope="session")
def homog_device(request: pytest.FixtureRequest, homog_config: HomogConfig) -> torch.device:
    """The ``torch.device`` models run on, from ``--homog-device``; under pytest-xdist each worker on
    ``auto``/``cuda`` takes GPU ``worker_index % device_count``."""
    from pytest_homog.device import resolve_device
    from pytest_homog.session import worker_index

    return resolve_device(homog_config.device, worker_index=worker_index(request.config))


# -- models: homog_dataset, homog_model, homog_finetune ------------------------------------------------------

_STARTED_KEY = pytest.StashKey[float]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: give workers the run's start time, so --homog-refresh rebuilds an entry once per run."""
    import time

    node.workerinput["homog_started"] = node.config.stash.setdefault(_STARTED_KEY, time.time())


@pytest.fixture(scope="session")
def homog_dataset(request: pytest.FixtureRequest) -> Any:
    """Factory: ``homog_dataset(source, *, split=None, tokens=None, tags=None, text=None, label=None)``
    gives a ``datasets.Dataset`` with columns ``tokens``/``tags`` or ``text``/``label`` (labels as
    ``ClassLabel``)."""
    from pytest_homog.session import model_session

    return model_session(request.config).dataset


@pytest.fixture(scope="session")
def homog_model(request: pytest.FixtureRequest) -> Any:
    """Factory: ``homog_model(source, *, task=None, revision=None, tokenizer=None, labels=None, name=None,
    bf16=False, batch_size=32)`` loads a model directory, hub id, transformers model or pipeline once per session,
    as a ``HomogModel`` (``name`` is its name in messages and reports)."""
    from pytest_homog.session import model_session

    return model_session(request.config).model


@pytest.fixture(scope="session")
def homog_finetune(request: pytest.FixtureRequest) -> Any:
    """Factory: ``homog_finetune(base, *, train, task=None, epochs=3, learning_rate=5e-5, batch_size=16,
    seed=None, max_steps=None, revision=None, name=None, bf16=False, seeds=None, **training_args)`` fine-tunes once and
    caches the weights across runs (``name`` is the result's name in messages and reports); ``seeds=[0, 1, 2]``
    fine-tunes one model per seed and returns them as one seeds subject."""
    from pytest_homog.session import model_session

    return model_session(request.config).finetune
