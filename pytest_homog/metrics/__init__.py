"""The measuring core of pytest-homog: pure numpy, no torch.

- :mod:`pytest_homog.metrics.inputs`: validation of tag sequences and flat labels.
- :mod:`pytest_homog.metrics.tags`: tagging schemes and modes, entity extraction.
- :mod:`pytest_homog.metrics.counts`: true positives, predictions and gold items per unit and label.
- :mod:`pytest_homog.metrics.quality`: precision, recall and F1 at entity, token and label level, and the
  per-label report.
- :mod:`pytest_homog.metrics.bootstrap`: resampling, confidence intervals, estimates (``score``, ``compare``) and
  :class:`~pytest_homog.metrics.bootstrap.Estimate`.
- :mod:`pytest_homog.metrics.agreement`: how alike two subjects are (error consistency, disagreement, kappa,
  divergence with its interval).
- :mod:`pytest_homog.metrics.homogenization`: how alike a group is (outcome homogenization, shared failure).
- :mod:`pytest_homog.metrics.similarity`: how alike every pair of a group is (similarity matrices).
- :mod:`pytest_homog.metrics.group` and :mod:`pytest_homog.metrics.group_counts`: a group bound to one corpus, and
  the per-sentence counts and paired-bootstrap replicates every group measure is computed from.
- :mod:`pytest_homog.metrics.capa`: how alike two subjects' probabilities are (CAPA).
- :mod:`pytest_homog.metrics.wrong_answers`: whether shared failures are the same wrong answer.
- :mod:`pytest_homog.metrics.representation`: how alike their hidden states are (linear CKA).

The references every measure is computed on are a :class:`pytest_homog.corpus.Corpus`.
"""
