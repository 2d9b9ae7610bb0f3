"""The WNUT 2017 data of the benchmarks, read by a small CoNLL reader of their own."""

from __future__ import annotations

from pathlib import Path

WNUT = Path(__file__).resolve().parents[1] / "examples" / "data" / "wnut17"


def read_conll(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    """Tokens and tags of a two-column CoNLL file (tab or space separated, blank line between sentences)."""
    tokens: list[list[str]] = []
    tags: list[list[str]] = []
    words: list[str] = []
    labels: list[str] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            parts = line.split("\t") if "\t" in line else line.rsplit(" ", 1)
            words.append(parts[0])
            labels.append(parts[-1].strip())
        elif words:
            tokens.append(words)
            tags.append(labels)
            words, labels = [], []
    return tokens, tags
