"""The state of a pytest-homog run and the hooks that keep it.

:class:`HomogSession` is registered as a plugin when the checks are switched on (``--homog``): it opens the run
record, stamps each record with the id of the test that made it, adds each test's numbers to its JUnit
properties, fails a test whose checks regressed from the baseline, ships records from pytest-xdist workers to the
controller, settles the run's family of interval gates (Holm's verdicts, the session's bound, each gate's margin)
and writes the report files at the end; a run whose gate could not work (an unusable baseline, a report that could
not be written, a family too small for its gates) fails. :class:`ModelReports` shows the model cache's events
(cache hit, trained, refreshed) in the terminal summary and fails each test that used a model rebuilt by
``--homog-refresh``; it is registered when a model fixture is first used.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_homog.config import HOMOG_CONFIG_KEY, HomogConfig, Tolerance
from pytest_homog.record import CheckRecord, RunRecord, current_test, set_active_run

if TYPE_CHECKING:
    from pytest_homog.models.session import ModelSession
    from pytest_homog.report import Baseline, Delta, RunReport

__all__ = ["MODEL_EVENT", "REFRESH_MESSAGE", "HomogSession", "ModelReports", "model_session", "worker_index"]


class HomogSession:
    """Hooks that only run when the checks are switched on, so a run without ``--homog`` pays nothing for them."""

    name = "homog-session"

    def __init__(self, config: pytest.Config) -> None:
        from pytest_homog import __version__

        self.homog: HomogConfig = config.stash[HOMOG_CONFIG_KEY]
        self.run = RunRecord(plugin_version=__version__, started=time.time())
        # pytest-xdist: a worker ships its records inside its test reports; the controller collects them
        self.is_worker = hasattr(config, "workerinput")
        self.baseline: Baseline | None = None
        self.report: RunReport | None = None
        self._shipped = 0  # records already attached to a test report
        self._test_id = ""  # the test whose records are in _test_records
        self._test_records: list[CheckRecord] = []
        self._order: dict[str, int] = {}  # under pytest-xdist, on the controller: test ids in collection order

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        set_active_run(self.run)
        if self.homog.baseline_path is not None:
            from pytest_homog.report import load_baseline

            self.baseline = load_baseline(self.homog.baseline_path, plugin_version=self.run.plugin_version)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        set_active_run(None)

    # checks run in fixtures too: records made in setup and teardown are stamped with the test's id as well
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        with current_test(item.nodeid):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        with current_test(item.nodeid):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        with current_test(item.nodeid):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        new = self.run.checks[self._shipped :]
        self._shipped = len(self.run.checks)
        # records made outside any test (in a collection hook, say) travel with this report but belong to no test
        own = [r for r in new if r.test_id == item.nodeid]
        regressions = self._annotate(item, own) if own else []
        report = yield
        if new and self.is_worker:
            report.homog_checks = ship(new)
        if regressions:
            fail_on_regressions(report, regressions, self.homog.tolerance)
        return report

    def _annotate(self, item: pytest.Item, new: list[CheckRecord]) -> list[Delta]:
        """Add the new records' numbers to the test's JUnit properties, compare them with the baseline and return
        those that regressed."""
        from pytest_homog.report import assign_keys, baseline_delta, junit_properties, property_prefix

        if item.nodeid != self._test_id:
            self._test_id, self._test_records = item.nodeid, []
        earlier = self._test_records[:]
        self._test_records.extend(new)
        keys = assign_keys(self._test_records)[len(earlier) :]
        checks_of_metric = Counter(record.metric for record in earlier)  # in this test so far
        regressions = []
        for record, key in zip(new, keys, strict=True):
            delta = baseline_delta(record, key, self.baseline, self.homog.tolerance) if self.baseline else None
            if delta is not None and delta.regressed:
                regressions.append(delta)
            checks_of_metric[record.metric] += 1
            prefix = property_prefix(record, checks_of_metric[record.metric])
            item.user_properties.extend(junit_properties(record, prefix, delta))
        return regressions

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """pytest-xdist, on the controller: every worker collects the same tests; their order is kept so that the
        reports list the checks in collection order, not in the order the workers finished them."""
        if not self._order:
            self._order = {nodeid: i for i, nodeid in enumerate(ids)}

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist, on the controller: the family size each worker counted at collection (all count the
        same tests, so they agree; the largest is kept)."""
        from pytest_homog.run_context import FAMILY_SIZE_OUTPUT, run_family, size_run_family

        size = getattr(node, "workeroutput", {}).get(FAMILY_SIZE_OUTPUT)
        if size is not None and size >= run_family().size:
            size_run_family(int(size), "collection")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        shipped = getattr(report, "homog_checks", None)
        if shipped and not self.is_worker:  # under xdist, on the controller: records from a worker
            self.run.checks.extend(unship(shipped))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            return
        from pytest_homog.family import settle
        from pytest_homog.report import RunReport
        from pytest_homog.run_context import run_family

        if self._order:  # stable: the checks of one test keep their order; those of no test come first
            order = self._order
            self.run.checks.sort(key=lambda r: order.get(r.test_id, -1))
        family = settle(self.run.checks, run_family())  # Holm may change verdicts: before anything is written
        self.report = RunReport.build(self.run, self.baseline, self.homog.tolerance)
        self.report.family = family
        write_outputs(self.report, self.homog)
        # a CI gate that compared nothing, or left out a report, must not look like a pass; --collect-only is no gate
        if not session.config.getoption("collectonly", False):
            self.report.failures = gate_failures(self.report, self.homog) + family.failures
        if self.report.failures and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if self.is_worker or self.report is None:
            return
        from pytest_homog.report import summary_lines

        terminalreporter.write_sep("=", "homog")
        if not self.report.run.checks:
            terminalreporter.write_line("no checks recorded")
        for line, markup in summary_lines(self.report, verbose=config.get_verbosity() >= 1):
            terminalreporter.write_line(line, **markup)


def ship(records: list[CheckRecord]) -> str:
    """Records as JSON text, to travel inside a test report from a pytest-xdist worker to the controller."""
    return json.dumps([record.to_dict() for record in records])


def unship(text: str) -> list[CheckRecord]:
    """The records that :func:`ship` sent."""
    return [CheckRecord.from_dict(data) for data in json.loads(text)]


def fail_on_regressions(report: pytest.TestReport, regressions: list[Delta], tolerance: Tolerance) -> None:
    """Fail a test whose checks regressed from the baseline; list every regression in one message."""
    lines = [
        f"pytest-homog: {len(regressions)} check(s) regressed from the baseline (tolerance {tolerance.describe()}):"
    ]
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


def gate_failures(report: RunReport, homog: HomogConfig) -> list[str]:
    """Why the run fails although its tests may have passed: a baseline that could not be used, a strict baseline
    that did not match the run, a regression of a check made outside any test (it failed no test), a report file
    that could not be written."""
    failures = []
    comparison = report.comparison
    if comparison is not None:
        base = comparison.baseline
        if not base.usable and not homog.allow_unusable_baseline:
            failures.append(
                f"the baseline {base.path} could not be used, so no check was compared; fix it or write a new one "
                "with --homog-save-baseline (--homog-allow-unusable-baseline lets such a run pass)"
            )
        elif base.usable and homog.baseline_strict and (comparison.new or comparison.missing):
            failures.append(
                f"--homog-baseline-strict: {len(comparison.new)} check(s) of this run are not in the baseline and "
                f"{len(comparison.missing)} stored check(s) did not run; write a new baseline with "
                "--homog-save-baseline if the change is intended"
            )
        stray = [delta for delta in comparison.regressions if not delta.record.test_id]
        if stray:
            failures.append(f"{len(stray)} check(s) made outside any test regressed from the baseline")
    if report.errors:
        failures.append(f"{len(report.errors)} report file(s) could not be written (see above)")
    return failures


def write_outputs(report: RunReport, homog: HomogConfig) -> None:
    """Write every requested report file; a failure to write is collected in ``report.errors`` (it fails the run),
    not raised."""
    from pytest_homog.report import baseline_chunks, html_chunks, markdown_chunks, report_chunks

    jobs = [
        (homog.report_path, "JSON report", report_chunks),
        (homog.save_baseline_path, "baseline", baseline_chunks),
        (homog.markdown_path, "Markdown summary", markdown_chunks),
        (homog.html_path, "HTML report", html_chunks),
    ]
    for path, what, render in jobs:
        if path is None:
            continue
        if what == "baseline" and not report.run.checks:
            # a run that measured nothing (--collect-only, a -k that matched no check) keeps the old baseline
            report.outputs.append(f"homog: no checks recorded, so the baseline {path} was not written")
        elif what == "Markdown summary" and homog.step_summary_path is not None:
            text = "".join(render(report))  # written twice: to the file and to the job summary
            if _write(report, path, what, text):
                _append_step_summary(report, homog.step_summary_path, text)
        else:  # written piece by piece as it is made
            _write(report, path, what, render(report))
    if homog.heatmaps_dir is not None:
        from pytest_homog.report.files import write_heatmaps

        write_heatmaps(report, homog.heatmaps_dir)


def _write(report: RunReport, path: Path, what: str, text: str | Iterator[str]) -> bool:
    from pytest_homog.report import write_atomic

    try:
        write_atomic(path, text)
    except OSError as exc:
        report.errors.append(f"homog: could not write the {what} to {path}: {exc}")
        return False
    report.outputs.append(f"homog: {what} written to {path}")
    return True


def _append_step_summary(report: RunReport, path: Path, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        report.errors.append(f"homog: could not append the Markdown summary to {path}: {exc}")


# --- models: the model session of the run and its events -----------------------------------------------------

MODEL_EVENT = "homog_model_event"
REFRESH_MESSAGE = "model cache refreshed by --homog-refresh; review the change, then run again without it"
_MODEL_SESSION_KEY = pytest.StashKey["ModelSession"]()
_REFRESHED_KEY = pytest.StashKey[bool]()


def worker_index(config: pytest.Config) -> int | None:
    """The index of this pytest-xdist worker (``gw3`` -> 3), or ``None`` outside one."""
    worker: Any = getattr(config, "workerinput", {}).get("workerid", "")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else None


def model_session(config: pytest.Config) -> ModelSession:
    """The run's model session (what the model fixtures call), made when a fixture first needs it."""
    session = config.stash.get(_MODEL_SESSION_KEY, None)
    if session is None:
        from pytest_homog.models.session import ModelSession

        started = getattr(config, "workerinput", {}).get("homog_started")
        session = ModelSession(config.stash[HOMOG_CONFIG_KEY], worker_index=worker_index(config), started=started)
        config.stash[_MODEL_SESSION_KEY] = session
        register_model_reports(config)
    return session


def register_model_reports(config: pytest.Config) -> None:
    """Register :class:`ModelReports` once."""
    if not config.pluginmanager.has_plugin(ModelReports.name):
        config.pluginmanager.register(ModelReports(), ModelReports.name)


class ModelReports:
    """Attaches model events (cache hit, trained, refreshed) to test reports, collects them (also those sent by
    xdist workers) and prints them in the terminal summary, so a run shows which fine-tunes were cache hits.
    Registered when a model session starts (or with --homog), so a run that loads no model pays nothing."""

    name = "homog-model-reports"

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        #: the keys (as model events give them) of the models that --homog-refresh rebuilt in this process
        self.refreshed: set[str] = set()

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
                self.refreshed.add(event["key"])
        if report.when == "call" and (item.stash.get(_REFRESHED_KEY, False) or self._uses_refreshed_model(item)):
            if report.passed:
                report.outcome = "failed"
                report.longrepr = REFRESH_MESSAGE
            else:
                report.sections.append(("homog", REFRESH_MESSAGE))
        return report

    def _uses_refreshed_model(self, item: pytest.Item) -> bool:
        """Whether a fixture of ``item`` gave a rebuilt model, or a mapping or sequence holding one: a session
        fixture is rebuilt in the setup of its first test only, yet every test that uses it must fail."""
        if not self.refreshed:
            return False
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Mapping):
                members = list(value.values())
            else:
                members = list(value) if isinstance(value, (list, tuple)) else [value]
            for member in members:
                key = getattr(member, "homog_key", None)
                # events carry the start of a model's key
                if isinstance(key, str) and key and any(key.startswith(start) for start in self.refreshed):
                    return True
        return False

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.events.extend(value for name, value in report.user_properties if name == MODEL_EVENT)  # type: ignore[misc]

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        # the fallback cache and the saved base models are temporary directories of this run: remove them now
        # rather than at interpreter exit
        session = config.stash.get(_MODEL_SESSION_KEY, None)
        if session is not None:
            session.close()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.events:
            return
        terminalreporter.section("pytest-homog models")
        for event in self.events:
            took = "" if event["seconds"] is None else f" in {event['seconds']:.2f} s"
            terminalreporter.line(
                f"homog model {event['kind']}: {event['name']} [{event['key']}] {event['status']}{took}"
            )
