"""pytest-homog: model quality and homogenization checks as ordinary pytest tests.

The public API is re-exported here lazily: ``import pytest_homog`` (which pytest does when it loads the plugin)
imports nothing heavy; ``from pytest_homog import f1_score`` imports the module that defines it on first use.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("pytest-homog")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "HomogCacheError": "pytest_homog.errors",
    "HomogConfig": "pytest_homog.config",
    "HomogDataError": "pytest_homog.errors",
    "HomogError": "pytest_homog.errors",
    "HomogModelError": "pytest_homog.errors",
    "HomogUsageError": "pytest_homog.errors",
    "HomogWarning": "pytest_homog.errors",
    "UndefinedMetricWarning": "pytest_homog.errors",
}
# models and data
_EXPORTS.update(
    {
        "HomogModel": "pytest_homog.models.load",
        "load_dataset": "pytest_homog.data",
    }
)

__all__ = sorted(["__version__", *_EXPORTS])

if TYPE_CHECKING:
    from pytest_homog.config import HomogConfig
    from pytest_homog.errors import (
        HomogCacheError,
        HomogDataError,
        HomogError,
        HomogModelError,
        HomogUsageError,
        HomogWarning,
        UndefinedMetricWarning,
    )

    # models and data
    from pytest_homog.data import load_dataset
    from pytest_homog.models.load import HomogModel


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_homog' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
