"""pytest_homog.session: what travels from a pytest-xdist worker, and which worker this is (the hooks themselves
are tested end to end in test_report_plugin.py and test_models_plugin.py)."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from pytest_homog.record import CheckRecord
from pytest_homog.session import ship, unship, worker_index


def test_records_travel_from_a_worker_unchanged() -> None:
    details = {"per_label": {"PER": {"f1": np.float64(0.25)}}, "matrix": {"names": ["a"], "values": [[1]]}}
    records = [
        CheckRecord(
            check="c",
            metric="f1",
            value=0.5,
            passed=True,
            low=math.nan,
            subjects=("a", "b"),
            test_id="t",
            details=details,
        ),
        CheckRecord(check="d", metric="divergence", value=math.inf, passed=False, higher_is_better=True),
    ]
    back = unship(ship(records))
    assert [r.details for r in back] == [
        {"per_label": {"PER": {"f1": 0.25}}, "matrix": {"names": ["a"], "values": [[1]]}},
        {},
    ]
    assert math.isnan(back[0].low) and back[1].value == math.inf  # type: ignore[arg-type]
    assert [(r.check, r.subjects, r.test_id, r.higher_is_better) for r in back] == [
        ("c", ("a", "b"), "t", None),
        ("d", (), "", True),
    ]


def test_worker_index() -> None:
    def config(**workerinput: Any) -> Any:
        return SimpleNamespace(workerinput=workerinput)

    assert worker_index(config(workerid="gw3")) == 3
    assert worker_index(config(workerid="master")) is None
    assert worker_index(SimpleNamespace()) is None


def test_the_model_session_is_closed_when_pytest_ends(pytester: Any, monkeypatch: Any) -> None:
    # closing removes the run's temporary directories (a fallback cache, saved base models)
    from pytest_homog.models.session import ModelSession

    closed: list[ModelSession] = []
    monkeypatch.setattr(ModelSession, "close", lambda self: closed.append(self))
    pytester.makepyfile(
        """
        from pytest_homog.session import model_session

        def test_starts_the_model_session(request):
            assert model_session(request.config) is model_session(request.config)
        """
    )
    result = pytester.inline_run("--homog", f"--homog-cache-dir={pytester.path / 'cache'}")
    result.assertoutcome(passed=1)
    assert len(closed) == 1


REFRESHED = """
import pytest

pytestmark = pytest.mark.homog
BASE, TRAIN = {base!r}, {train!r}


@pytest.fixture(scope="session")
def tuned(homog_finetune):
    return homog_finetune(BASE, train=TRAIN, epochs=1, learning_rate=1e-3, seed=0)


@pytest.fixture(scope="session")
def subjects(tuned):
    return {{"candidate": tuned}}


@pytest.mark.parametrize("i", range(3))
def test_uses_the_model(tuned, i):
    assert tuned.labels


def test_uses_a_mapping_of_models(subjects):
    assert subjects


def test_uses_no_model():
    pass
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_refresh_fails_every_test_that_uses_a_rebuilt_model(
    pytester: Any, tiny_world: dict, tmp_path: Any, monkeypatch: Any, workers: list[str]
) -> None:
    # the session fixture is rebuilt in the setup of its first test only; later tests get the same object
    if workers:
        pytest.importorskip("xdist")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # tiny models; two workers share the cores
    pytester.makepyfile(test_refreshed=REFRESHED.format(base=str(tiny_world["base"]), train=str(tiny_world["train"])))
    args = ["--homog", f"--homog-cache-dir={tmp_path / 'cache'}", "--homog-refresh", "-p", "no:cacheprovider"]
    result = pytester.runpytest_subprocess(*args, *workers)
    result.assert_outcomes(passed=1, failed=4)
    assert result.stdout.str().count("model cache refreshed by --homog-refresh") >= 4
