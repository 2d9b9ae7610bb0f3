"""Models for pytest-homog checks: loading, fine-tuning, prediction and the model cache.

- :mod:`pytest_homog.models.load`: finding models (directory, hub id, objects) and :class:`HomogModel`;
- :mod:`pytest_homog.models.finetune`: fine-tuning with transformers ``Trainer``;
- :mod:`pytest_homog.models.predict`: one batched, length-sorted forward pass giving predictions, probabilities
  and word-level hidden states;
- :mod:`pytest_homog.models.outputs`: a model's outputs per input, kept for the session and persisted in the cache;
- :mod:`pytest_homog.models.cache`: the content-addressed cache and the device-memory budget;
- :mod:`pytest_homog.models.session`: what the fixtures share within one pytest session.

Nothing heavy is imported here; each module imports torch and transformers inside its functions.
"""

from __future__ import annotations

__all__: list[str] = []
