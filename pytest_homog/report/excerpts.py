"""A unit's text with its failed span marked, as each report writes it.

A homogeneity check records the units every subject fails with their text as segments ``[words, label]``: the
failed span with its label, the context around it with ``None`` (see ``checks/homogeneity.py``). The terminal
writes a span ``[words]{label}``, as the failure message does; the Markdown summary in bold with the label after
it; the HTML page draws the segments itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["bracketed", "with_marked_text"]


def with_marked_text(value: Any, mark: Callable[[str, str | None], str]) -> Any:
    """Rows that carry a unit's text as segments, with the text as one string of the pieces ``mark(words,
    label)`` makes (``label`` is None for the context), joined by spaces; any other value as it is.

    Examples
    --------
    >>> rows = [{"sentence": 3, "text": [["so met", None], ["Kim", "PER"], ["at noon", None]]}]
    >>> with_marked_text(rows, bracketed)
    [{'sentence': 3, 'text': 'so met [Kim]{PER} at noon'}]
    """
    if not isinstance(value, list):
        return value
    marked = []
    for row in value:
        segments = row.get("text") if isinstance(row, dict) else None
        if isinstance(segments, list):
            pieces = [
                mark(str(words), None if label is None else str(label))
                for words, label in (s for s in segments if isinstance(s, (list, tuple)) and len(s) == 2)
            ]
            row = {**row, "text": " ".join(pieces)}
        marked.append(row)
    return marked


def bracketed(words: str, label: str | None) -> str:
    """A piece of a unit's text as the terminal writes it: a failed span ``[words]{label}``, context as it is.

    Examples
    --------
    >>> bracketed("Kim", "PER"), bracketed("met", None)
    ('[Kim]{PER}', 'met')
    """
    return words if label is None else f"[{words}]{{{label}}}"
