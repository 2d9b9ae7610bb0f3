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
    if homog.enabled:
        config.pluginmanager.register(HomogSession(config), HomogSession.name)


@pytest.hookimpl(tryfirst=True, specname="pytest_configure")
def pytest_configure_hypothesis_profile(config: pytest.Config) -> None:
    """Register the hypothesis profile ``homog`` when ``--hypothesis-profile=homog`` asks for it.

    Runs before hypothesis' own ``pytest_configure``, which loads the profile. Hypothesis is imported only in
    that case, and the plugin never loads a profile itself.
    """
    if config.getoption("hypothesis_profile", None) == "homog":
        import pytest_homog.strategies  # noqa: F401  (registers the profile on import)


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
