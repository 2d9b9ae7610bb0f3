"""pytest hooks, command-line options and thin fixtures of pytest-homog.

Importing this module must stay cheap: it imports neither torch, transformers, datasets nor hypothesis, and
it does not touch the disk. Every implementation is imported inside the fixture or hook that needs it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_homog.config import (
    ENV_CACHE_DIR,
    ENV_ENABLE,
    HOMOG_CONFIG_KEY,
    HomogConfig,
    parse_device,
    parse_memory,
    parse_seed,
    parse_tolerance,
    resolve_config,
)

if TYPE_CHECKING:
    import torch

    from pytest_homog.record import CheckRecord
    from pytest_homog.report import Baseline, Delta, RunReport

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


def _addoption_reports(parser: pytest.Parser, group: Any) -> None:
    """Options of the reports and baselines (pytest_homog.report)."""
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
        help="how far a metric may regress from its baseline: absolute (0.01) or relative (2%%) "
        "(ini homog_tolerance). Default: 0.01.",
    )
    parser.addini("homog_report", default="", help="JSON report path, as --homog-report")
    parser.addini("homog_markdown", default="", help="Markdown summary path, as --homog-markdown")
    parser.addini("homog_html", default="", help="HTML report path, as --homog-html")
    parser.addini("homog_save_baseline", default="", help="baseline to write, as --homog-save-baseline")
    parser.addini("homog_baseline", default="", help="baseline to compare with, as --homog-baseline")
    parser.addini("homog_tolerance", default="", help="baseline tolerance, as --homog-tolerance")


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
        # a controller under pytest-xdist never builds a model itself but shows the workers' model events
        _register_model_reports(config)


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
        from pytest_homog import __version__
        from pytest_homog.record import RunRecord

        self.config = config
        self.homog: HomogConfig = config.stash[HOMOG_CONFIG_KEY]
        self.run = RunRecord(plugin_version=__version__, started=time.time())
        # pytest-xdist: a worker ships its records inside its test reports; the controller collects them
        self.is_worker = hasattr(config, "workerinput")
        self.baseline: Baseline | None = None
        self.report: RunReport | None = None
        self._shipped = 0  # records already attached to a test report
        self._item_id = ""
        self._item_records: list[CheckRecord] = []
        self._deltas: dict[str, Delta] = {}  # baseline comparisons made as each test ended, by key
        self._order: dict[str, int] = {}  # under pytest-xdist, on the controller: test ids in collection order

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from pytest_homog.record import set_active_run

        set_active_run(self.run)
        if self.homog.baseline_path is not None:
            from pytest_homog.report import load_baseline

            self.baseline = load_baseline(self.homog.baseline_path, plugin_version=self.run.plugin_version)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        from pytest_homog.record import set_active_run

        set_active_run(None)

    # checks run in fixtures too: stamp records made in setup and teardown with the test's id as well
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        from pytest_homog.record import current_test

        with current_test(item.nodeid):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        from pytest_homog.record import current_test

        with current_test(item.nodeid):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        from pytest_homog.record import current_test

        with current_test(item.nodeid):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        new = self.run.checks[self._shipped :]
        self._shipped = len(self.run.checks)
        if item.nodeid != self._item_id:
            self._item_id, self._item_records = item.nodeid, []
        # records made outside any test (in a collection hook, say) travel with this report but belong to no test
        own = [r for r in new if r.test_id == item.nodeid]
        deltas = self._annotate(item, own) if own else []
        report = yield
        if new and self.is_worker:
            report.homog_checks = _ship(new)
        regressions = [d for d in deltas if d.regressed]
        if regressions:
            _fail_on_regressions(report, regressions, self.homog.tolerance)
        return report

    def _annotate(self, item: pytest.Item, new: list[CheckRecord]) -> list[Delta]:
        """Add the new records' numbers to the test's JUnit properties; compare them with the baseline."""
        from pytest_homog.report import assign_keys, baseline_delta, junit_properties, property_prefix

        start = len(self._item_records)
        self._item_records.extend(new)
        keys = assign_keys(self._item_records)[start:]
        baseline, tolerance = self.baseline, self.homog.tolerance
        found: list[Delta] = []
        seen: dict[str, int] = {}  # checks of each metric in this test so far
        for record in self._item_records[:start]:
            seen[record.metric] = seen.get(record.metric, 0) + 1
        for record, key in zip(new, keys, strict=True):
            delta = baseline_delta(record, key, baseline, tolerance) if baseline is not None else None
            if delta is not None:
                found.append(delta)
                self._deltas[key] = delta
            occurrence = seen[record.metric] = seen.get(record.metric, 0) + 1
            item.user_properties.extend(junit_properties(record, property_prefix(record, occurrence), delta))
        return found

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """pytest-xdist, on the controller: every worker collects the same tests; their order is kept so that the
        reports list the checks in collection order, not in the order the workers finished them."""
        if not self._order:
            self._order = {nodeid: i for i, nodeid in enumerate(ids)}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        shipped = getattr(report, "homog_checks", None)
        if shipped and not self.is_worker:  # under xdist, on the controller: records from a worker
            self.run.checks.extend(_unship(shipped))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            return
        from pytest_homog.report import RunReport

        if self._order:  # stable: the checks of one test keep their order; those of no test come first
            order = self._order
            self.run.checks.sort(key=lambda r: order.get(r.test_id, -1))
        with _gc_paused():
            self.report = RunReport.build(self.run, self.baseline, self.homog.tolerance, known=self._deltas)
            _write_outputs(self.report, self.homog)
        stray = [
            d for d in (self.report.comparison.regressions if self.report.comparison else []) if not d.record.test_id
        ]
        if stray and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if self.is_worker or self.report is None:
            return
        from pytest_homog.report import summary_lines

        terminalreporter.write_sep("=", "homog")
        if not self.report.run.checks:
            terminalreporter.write_line("no checks recorded")
        with _gc_paused():
            for line, markup in summary_lines(self.report, verbose=config.get_verbosity() >= 1):
                terminalreporter.write_line(line, **markup)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the reports are built: they allocate many short-lived strings
    (freed by reference counting) that would otherwise set off full collections over every object of the
    session, which costs more than building the reports."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _ship(records: list[CheckRecord]) -> str:
    """Records as JSON text, to travel inside a test report from a pytest-xdist worker to the controller."""
    import json

    from pytest_homog.record import json_default, record_fields

    return json.dumps([record_fields(r) for r in records], default=json_default)


def _unship(text: str) -> list[CheckRecord]:
    import json

    from pytest_homog.record import CheckRecord

    return [CheckRecord.from_dict(data) for data in json.loads(text)]


def _fail_on_regressions(report: pytest.TestReport, regressions: list[Any], tolerance: Any) -> None:
    """Fail a test whose checks regressed from the baseline; list every regression in one message."""
    lines = [f"pytest-homog: {len(regressions)} check(s) regressed from the baseline (tolerance {tolerance}):"]
    lines += [f"  {d.describe()}" for d in regressions]
    lines.append(
        "If the change is intended, write a new baseline with --homog-save-baseline, or raise --homog-tolerance."
    )
    text = "\n".join(lines)
    if report.passed:
        report.outcome = "failed"
        report.longrepr = text
    elif report.failed:
        report.sections.append(("homog baseline", text))


def _write_outputs(report: RunReport, homog: HomogConfig) -> None:
    """Write every requested report file; a failure to write is reported in the summary, not raised."""
    from pytest_homog import report as rep

    # each file is written piece by piece as it is made: a report of thousands of checks is never held whole
    jobs: list[tuple[Any, str, Any]] = [
        (homog.report_path, "JSON report", rep.report_chunks),
        (homog.save_baseline_path, "baseline", rep.baseline_chunks),
        (homog.markdown_path, "Markdown summary", rep.markdown_chunks),
        (homog.html_path, "HTML report", rep.html_chunks),
    ]
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    for path, what, render in jobs:
        if path is None:
            continue
        if what == "baseline" and not report.run.checks:
            # a run that measured nothing (--collect-only, a -k that matched no check) keeps the old baseline
            report.errors.append(f"homog: no checks recorded, so the baseline {path} was not written")
            continue
        chunks = render(report)
        text = "".join(chunks) if what == "Markdown summary" and step_summary else None
        try:
            rep.write_atomic(path, chunks if text is None else text)
        except OSError as exc:
            report.errors.append(f"homog: could not write the {what} to {path}: {exc}")
            continue
        report.outputs.append(f"homog: {what} written to {path}")
        if text is not None and step_summary:
            try:
                with open(step_summary, "a", encoding="utf-8") as fh:
                    fh.write(text)
            except OSError as exc:
                report.errors.append(f"homog: could not append the Markdown summary to {step_summary}: {exc}")


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
        _register_model_reports(config)
    return session


def _register_model_reports(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(ModelReports.name):
        config.pluginmanager.register(ModelReports(config), ModelReports.name)


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
    """Factory: ``homog_model(source, *, task=None, revision=None, tokenizer=None, labels=None, name=None,
    bf16=False, batch_size=32)`` loads a model directory, hub id, transformers model or pipeline once per session,
    as a ``HomogModel`` (``name`` is its name in messages and reports)."""
    return _model_session(request.config).model


@pytest.fixture(scope="session")
def homog_finetune(request: pytest.FixtureRequest) -> Any:
    """Factory: ``homog_finetune(base, *, train, task=None, epochs=3, learning_rate=5e-5, batch_size=16,
    seed=None, max_steps=None, revision=None, name=None, bf16=False, **training_args)`` fine-tunes once and caches
    the weights across runs (``name`` is the result's name in messages and reports)."""
    return _model_session(request.config).finetune


class ModelReports:
    """Attaches model events (cache hit, trained, refreshed) to test reports, collects them (also those sent by
    xdist workers) and prints them in the terminal summary, so a run shows which fine-tunes were cache hits.
    Registered when a model session starts (or with --homog), so a run that loads no model pays nothing."""

    name = "homog-model-reports"

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.events: list[dict[str, Any]] = []

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
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
