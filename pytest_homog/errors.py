"""Exceptions raised by pytest-homog.

Every project exception subclasses a built-in exception as well as :class:`HomogError`, so code that already
catches ``ValueError`` or ``OSError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "HomogCacheError",
    "HomogDataError",
    "HomogError",
    "HomogModelError",
    "HomogUsageError",
    "HomogWarning",
    "UndefinedMetricWarning",
]


class HomogError(Exception):
    """Base class of every exception raised by pytest-homog."""


class HomogUsageError(HomogError, ValueError):
    """An argument or option has a value that cannot be used; the message names it, the value and the fix."""


class HomogDataError(HomogError, ValueError):
    """Input data (tags, labels, predictions, a dataset file) is malformed or inconsistent."""


class HomogModelError(HomogError, RuntimeError):
    """A model cannot be loaded, fine-tuned or used for the task asked of it."""


class HomogCacheError(HomogError, OSError):
    """The model cache cannot be read or written."""


class HomogWarning(UserWarning):
    """Base class of the warnings pytest-homog emits."""


class UndefinedMetricWarning(HomogWarning):
    """A metric is undefined on the given input (for example no positive predictions); see ``zero_division``."""
