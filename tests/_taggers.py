"""A gazetteer tagger for the behavioural tests: brittle (case-sensitive) or robust."""

from __future__ import annotations

from pytest_homog.perturbations import encode_tags


class GazetteerTagger:
    """Tags known names, longest match first. ``case_sensitive=True`` is deliberately brittle: it misses
    ``alice`` and ``' Paris '``; the robust variant compares stripped, case-folded words."""

    def __init__(self, gazetteer, *, case_sensitive: bool, scheme: str = "IOB2") -> None:
        self.case_sensitive = case_sensitive
        self.scheme = scheme
        self.calls = 0
        self.seen: list[tuple[str, ...]] = []
        names = [
            (tuple(self._normalise(word) for word in name.split()), etype)
            for etype, entity_names in gazetteer.items()
            for name in entity_names
        ]
        self.names = sorted(names, key=lambda x: -len(x[0]))

    def _normalise(self, word: str) -> str:
        return word if self.case_sensitive else word.strip().casefold()

    def predict_tags(self, sentences):
        self.calls += 1
        out = []
        for tokens in sentences:
            self.seen.append(tuple(tokens))
            words = [self._normalise(t) for t in tokens]
            entities, i = [], 0
            while i < len(words):
                for name, etype in self.names:
                    if tuple(words[i : i + len(name)]) == name:
                        entities.append((etype, i, i + len(name)))
                        i += len(name)
                        break
                else:
                    i += 1
            out.append(list(encode_tags(entities, len(tokens), scheme=self.scheme)))
        return out

