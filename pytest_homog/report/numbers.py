"""How the reports write a number or a table cell as text (the JSON report keeps every number as it is)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["cell_text", "format_number"]


def format_number(value: float | None) -> str:
    """A number as the reports show it: 4 decimals, integers as integers, very small or large in e-notation.

    Examples
    --------
    >>> format_number(0.41999), format_number(3), format_number(2.0e6), format_number(1e-5), format_number(None)
    ('0.4200', '3', '2000000', '1.000e-05', '')
    """
    if value is None:
        return ""
    if type(value) is int:
        return str(value)
    number = float(value)
    size = abs(number)
    if 1e-3 <= size < 1000 or number == 0:
        return f"{number:.4f}"
    if not math.isfinite(number):
        return str(number)
    if number.is_integer() and size < 1e15:
        return str(int(number))
    return f"{number:.3e}" if size < 1e-3 or size >= 1e5 else f"{number:.4f}"


def cell_text(value: Any) -> str:
    """A table cell: numbers (numpy's too) as :func:`format_number` writes them, ``None`` as empty, else ``str``.

    Examples
    --------
    >>> cell_text(0.5), cell_text(None), cell_text(True), cell_text("PER")
    ('0.5000', '', 'True', 'PER')
    """
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value)
    return str(value)
