"""pytest hooks, command-line options and thin fixtures of pytest-homog.

Importing this module must stay cheap: it imports neither torch, transformers, datasets nor hypothesis, and
it does not touch the disk. Every implementation is imported inside the fixture or hook that needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_homog.config import (
    ENV_CACHE_DIR,
    ENV_ENABLE,
    HOMOG_CONFIG_KEY,
    HomogConfig,
    parse_device,
    parse_seed,
    resolve_config,
)
from pytest_homog.models.cache import parse_memory

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "homog: a pytest-homog check; skipped unless pytest runs with --homog (or ini homog = true, "
        f"or {ENV_ENABLE}=1)",
    )
    homog = resolve_config(config)
    config.stash[HOMOG_CONFIG_KEY] = homog
    config.pluginmanager.register(ModelReports(config), ModelReports.name)
    if homog.enabled:
        config.pluginmanager.register(HomogSession(config), HomogSession.name)


class HomogSession:
    """Hooks that only run when the checks are switched on, so a run without ``--homog`` pays nothing for them."""

    name = "homog-session"

    def __init__(self, config: pytest.Config) -> None:
        from pytest_homog.record import RunRecord

        self.config = config
        self.run = RunRecord()

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from pytest_homog.record import set_active_run

        set_active_run(self.run)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        from pytest_homog.record import set_active_run

        set_active_run(None)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        from pytest_homog.record import current_test

        with current_test(item.nodeid):
            return (yield)


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


def _homog(request: pytest.FixtureRequest) -> HomogConfig:
    return request.config.stash[HOMOG_CONFIG_KEY]


@pytest.fixture(scope="session")
def homog_config(request: pytest.FixtureRequest) -> HomogConfig:
    """The session's resolved pytest-homog settings (device, cache dir, seed, ...)."""
    return _homog(request)


@pytest.fixture(scope="session")
def homog_seed(homog_config: HomogConfig) -> int:
    """The session seed (``--homog-seed``, default 0)."""
    return homog_config.seed


@pytest.fixture(scope="session")
def homog_device(request: pytest.FixtureRequest, homog_config: HomogConfig) -> torch.device:
    """The ``torch.device`` models run on, from ``--homog-device``; under pytest-xdist each worker on
    ``auto``/``cuda`` takes GPU ``worker_index % device_count``."""
    from pytest_homog.device import resolve_device

    worker: Any = getattr(request.config, "workerinput", {}).get("workerid", "")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else None
    return resolve_device(homog_config.device, worker_index=index)


# -- models: homog_dataset, homog_model, homog_finetune ------------------------------------------------------

MODEL_EVENT = "homog_model_event"
REFRESH_MESSAGE = "model cache refreshed by --homog-refresh; review the change, then run again without it"
_MODEL_SESSION_KEY = pytest.StashKey[Any]()
_REFRESHED_KEY = pytest.StashKey[bool]()
_STARTED_KEY = pytest.StashKey[float]()


def _model_session(config: pytest.Config) -> Any:
    session = config.stash.get(_MODEL_SESSION_KEY, None)
    if session is None:
        from pytest_homog.models.session import ModelSession

        worker: Any = getattr(config, "workerinput", {}).get("workerid", "")
        index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else None
        started = getattr(config, "workerinput", {}).get("homog_started")
        session = ModelSession(config.stash[HOMOG_CONFIG_KEY], worker_index=index, started=started)
        config.stash[_MODEL_SESSION_KEY] = session
    return session


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
    return _model_session(request.config).dataset


@pytest.fixture(scope="session")
def homog_model(request: pytest.FixtureRequest) -> Any:
    """Factory: ``homog_model(source, *, task=None, revision=None, tokenizer=None, labels=None)`` loads a
    model directory, hub id, transformers model or pipeline once per session, as a ``HomogModel``."""
    return _model_session(request.config).model


@pytest.fixture(scope="session")
def homog_finetune(request: pytest.FixtureRequest) -> Any:
    """Factory: ``homog_finetune(base, *, train, task=None, epochs=3, learning_rate=5e-5, batch_size=16,
    seed=None, max_steps=None, **training_args)`` fine-tunes once and caches the weights across runs."""
    return _model_session(request.config).finetune


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    session = item.config.stash.get(_MODEL_SESSION_KEY, None)
    if session is None:
        return report
    for event in session.drain_events():
        report.user_properties.append((MODEL_EVENT, event))
        if event["status"] == "refreshed":
            item.stash[_REFRESHED_KEY] = True
    if report.when == "call" and item.stash.get(_REFRESHED_KEY, False):
        if report.passed:
            report.outcome = "failed"
            report.longrepr = REFRESH_MESSAGE
        else:
            report.sections.append(("homog", REFRESH_MESSAGE))
    return report


class ModelReports:
    """Collects the model events attached to test reports (also those sent by xdist workers) and prints them
    in the terminal summary, so a run shows which fine-tunes were cache hits."""

    name = "homog-model-reports"

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.events: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.events.extend(value for name, value in report.user_properties if name == MODEL_EVENT)  # type: ignore[misc]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.events:
            return
        terminalreporter.section("pytest-homog models")
        for event in self.events:
            took = "" if event["seconds"] is None else f" in {event['seconds']:.2f} s"
            terminalreporter.line(
                f"homog model {event['kind']}: {event['name']} [{event['key']}] {event['status']}{took}"
            )
