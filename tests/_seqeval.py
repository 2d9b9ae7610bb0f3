"""seqeval as an independent oracle for the tags the perturbations and strategies write."""

from __future__ import annotations

import seqeval.scheme


def seqeval_strict(tags, scheme):
    """seqeval's strict reading of one sentence: its entities as (type, start, end)."""
    entities = seqeval.scheme.Entities([list(tags)], getattr(seqeval.scheme, scheme))
    return [(etype, start, end) for _, etype, start, end in (entity.to_tuple() for entity in entities.entities[0])]
