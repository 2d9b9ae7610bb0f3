"""The measuring core of pytest-homog: pure numpy, no torch.

- :mod:`pytest_homog.metrics.tags`: tagging schemes, input validation, entity extraction.
- :mod:`pytest_homog.metrics.quality`: precision, recall and F1 at entity, token and label level, and the
  per-label report.
- :mod:`pytest_homog.metrics.stats`: bootstrap estimates (``score``, ``compare``) and :class:`Estimate`.
- :mod:`pytest_homog.metrics.diversity`: how alike subjects' outcomes are (error consistency, disagreement,
  outcome homogenization, similarity matrices).
- :mod:`pytest_homog.metrics.representation`: how alike their hidden states are (linear CKA).
"""
