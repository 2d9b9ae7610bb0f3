"""What a pytest run with ``--homog`` tells the code it calls: the fixture being set up, the run's seed, and its
family of interval gates.

A subject's name is its role, never its path. The model fixtures read the role from the fixture being set up:
a model that ``homog_model`` or ``homog_finetune`` makes while fixture ``candidate`` is set up, and that the
fixture returns, is named ``candidate`` (unless it was given ``name=``), so a new release saved in a new folder
keeps its name and its baseline keys. The checks read the run's seed (``--homog-seed``) as their default
``seed``. Outside such a run there is no fixture role and the seed is 0, so the checks work in plain scripts
too. The interval gates read the run's :class:`~pytest_homog.family.Family` (``--homog-family``), sized when
the tests are collected; outside such a run it is ``none``.

:class:`RunContext` is registered as a plugin when pytest runs with ``--homog``. Importing this module is
cheap: it imports nothing heavy.
"""

from __future__ import annotations

import contextvars
from collections.abc import Generator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_homog.family import Family, count_gates

if TYPE_CHECKING:
    from pytest_homog.config import HomogConfig

__all__ = [
    "FAMILY_SIZE_OUTPUT",
    "RUN_SEED",
    "FixtureRole",
    "RunContext",
    "RunSeed",
    "fixture_role",
    "homog_family",
    "run_family",
    "run_seed",
    "size_run_family",
]


class RunSeed:
    """The type of :data:`RUN_SEED`, the checks' default ``seed``: the run's ``--homog-seed`` under pytest with
    ``--homog``, else 0."""

    def __repr__(self) -> str:
        return "RUN_SEED"


#: the default ``seed`` of the checks: the run's seed (see :func:`run_seed`)
RUN_SEED: Final = RunSeed()

# one value for the whole run, a global rather than a context variable: checks run in threads the test starts
# must see it too
_seed = 0
_family = Family()
#: the key under which a pytest-xdist worker tells the controller the family size it counted
FAMILY_SIZE_OUTPUT = "homog_family_size"


def run_family() -> Family:
    """The run's family of interval gates: ``--homog-family`` under pytest with ``--homog``, else ``none``.

    Examples
    --------
    >>> run_family().method
    'none'
    """
    return _family


def homog_family(homog: HomogConfig) -> Family:
    """The family the settings ask for; a declared ``--homog-family-size`` sizes it, else collection will."""
    declared = homog.family_size is not None
    return Family(homog.family, homog.alpha, homog.family_size or 0, "--homog-family-size" if declared else "")


def size_run_family(size: int, sized_by: str) -> None:
    """Size the run's family, unless ``--homog-family-size`` declared its size."""
    global _family
    if _family.sized_by != "--homog-family-size":
        _family = replace(_family, size=size, sized_by=sized_by)


def run_seed() -> int:
    """The run's seed: ``--homog-seed`` (or ini ``homog_seed``) under pytest with ``--homog``, else 0.

    Examples
    --------
    >>> run_seed()
    0
    """
    return _seed


class FixtureRole:
    """The fixture being set up, and the models made for it.

    The model fixtures add each model they make without a ``name=`` to :attr:`made`; when the fixture returns
    one of them, :meth:`adopt` names it after the fixture.

    Examples
    --------
    >>> class Model:
    ...     homog_name = "ner-v3"
    >>> role, model = FixtureRole("candidate"), Model()
    >>> role.made.append(model)
    >>> role.adopt({"a": model}); model.homog_name
    'ner-v3'
    >>> role.adopt(model); model.homog_name
    'candidate'
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.made: list[Any] = []

    def adopt(self, value: Any) -> None:
        """Name ``value`` after the fixture if it is a model made for it (the fixture returned it)."""
        for model in self.made:
            if model is value:
                model.homog_name = self.name


_fixture: contextvars.ContextVar[FixtureRole | None] = contextvars.ContextVar("homog_fixture_role", default=None)


def fixture_role() -> FixtureRole | None:
    """The fixture being set up, when the model fixtures are called inside one under ``--homog``."""
    return _fixture.get()


class RunContext:
    """Hooks that make the fixture being set up, the run's seed and its family known to the model fixtures and
    checks."""

    name = "homog-run-context"

    def __init__(self, seed: int, family: Family | None = None) -> None:
        global _seed, _family
        self._seed_before, _seed = _seed, seed
        self._family_before, _family = _family, family or Family()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Size the family from the selected tests: after ``-k`` and ``-m`` deselection, each parametrised case
        counted. Under pytest-xdist every worker collects the same tests, counts the same size and tells the
        controller (which collects nothing itself)."""
        size_run_family(count_gates(session.items), "collection")
        output = getattr(session.config, "workeroutput", None)
        if output is not None:
            output[FAMILY_SIZE_OUTPUT] = _family.size

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, Any]:
        role = FixtureRole(fixturedef.argname)
        token = _fixture.set(role)
        try:
            value = yield
        finally:
            _fixture.reset(token)
        role.adopt(value)
        return value

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        global _seed, _family
        _seed, _family = self._seed_before, self._family_before
