"""A small, independent CoNLL reader for the tests (the package's own reader is under test elsewhere)."""

from __future__ import annotations

from pathlib import Path

WNUT = Path(__file__).resolve().parents[1] / "examples" / "data" / "wnut17"


def read_conll(path: Path) -> list[list[str]]:
    """Tags of a CoNLL file: ``token TAB-or-space tag`` per line, a blank line between sentences."""
    sentences: list[list[str]] = []
    current: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if current:
                sentences.append(current)
                current = []
            continue
        current.append(line.split()[-1])
    if current:
        sentences.append(current)
    return sentences
