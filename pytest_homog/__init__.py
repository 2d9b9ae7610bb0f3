"""pytest-homog: model quality and homogenization checks as ordinary pytest tests.

The public API is re-exported here lazily: ``import pytest_homog`` (which pytest does when it loads the plugin)
imports nothing heavy; ``from pytest_homog import f1_score`` imports the module that defines it on first use.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("pytest-homog")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "HomogCacheError": "pytest_homog.errors",
    "HomogConfig": "pytest_homog.config",
    "HomogDataError": "pytest_homog.errors",
    "HomogError": "pytest_homog.errors",
    "HomogModelError": "pytest_homog.errors",
    "HomogUsageError": "pytest_homog.errors",
    "HomogWarning": "pytest_homog.errors",
    "UndefinedMetricWarning": "pytest_homog.errors",
    # diversity and homogenization
    "ErrorConsistency": "pytest_homog.metrics.diversity",
    "McNemarResult": "pytest_homog.metrics.diversity",
    "OutcomeHomogenization": "pytest_homog.metrics.diversity",
    "SimilarityMatrix": "pytest_homog.metrics.diversity",
    "assert_models_diverge": "pytest_homog.assertions",
    "assert_not_homogeneous": "pytest_homog.assertions",
    "cohen_kappa": "pytest_homog.metrics.diversity",
    "disagreement": "pytest_homog.metrics.diversity",
    "divergence": "pytest_homog.metrics.diversity",
    "double_fault": "pytest_homog.metrics.diversity",
    "error_consistency": "pytest_homog.metrics.diversity",
    "linear_cka": "pytest_homog.metrics.representation",
    "mcnemar_test": "pytest_homog.metrics.diversity",
    "outcome_homogenization": "pytest_homog.metrics.diversity",
    "similarity_matrix": "pytest_homog.metrics.diversity",
    "unit_outcomes": "pytest_homog.metrics.diversity",
    "yules_q": "pytest_homog.metrics.diversity",
}
# quality metrics, estimates and quality assertions
_EXPORTS.update(
    {
        "Estimate": "pytest_homog.metrics.stats",
        "Report": "pytest_homog.metrics.quality",
        "SCHEMES": "pytest_homog.metrics.tags",
        "assert_f1_above": "pytest_homog.assertions",
        "assert_precision_above": "pytest_homog.assertions",
        "assert_recall_above": "pytest_homog.assertions",
        "check_sequences": "pytest_homog.metrics.tags",
        "classification_report": "pytest_homog.metrics.quality",
        "compare": "pytest_homog.metrics.stats",
        "extract_entities": "pytest_homog.metrics.tags",
        "f1_score": "pytest_homog.metrics.quality",
        "precision_score": "pytest_homog.metrics.quality",
        "recall_score": "pytest_homog.metrics.quality",
        "score": "pytest_homog.metrics.stats",
    }
)

# behavioural checks and their examples (hypothesis strategies live in the public module pytest_homog.strategies)
_EXPORTS.update(
    {
        "DisagreementTracker": "pytest_homog.behaviour",
        "LabelledSentence": "pytest_homog.perturbations",
        "TextExample": "pytest_homog.perturbations",
        "assert_directional": "pytest_homog.behaviour",
        "assert_invariant": "pytest_homog.behaviour",
        "assert_min_functionality": "pytest_homog.behaviour",
        "assert_models_disagree_somewhere": "pytest_homog.behaviour",
    }
)

__all__ = sorted(["__version__", *_EXPORTS])

if TYPE_CHECKING:
    # quality metrics, estimates and quality assertions
    # diversity and homogenization
    from pytest_homog.assertions import (
        assert_f1_above,
        assert_models_diverge,
        assert_not_homogeneous,
        assert_precision_above,
        assert_recall_above,
    )
    from pytest_homog.config import HomogConfig
    from pytest_homog.errors import (
        HomogCacheError,
        HomogDataError,
        HomogError,
        HomogModelError,
        HomogUsageError,
        HomogWarning,
        UndefinedMetricWarning,
    )
    from pytest_homog.metrics.diversity import (
        ErrorConsistency,
        McNemarResult,
        OutcomeHomogenization,
        SimilarityMatrix,
        cohen_kappa,
        disagreement,
        divergence,
        double_fault,
        error_consistency,
        mcnemar_test,
        outcome_homogenization,
        similarity_matrix,
        unit_outcomes,
        yules_q,
    )

    # quality metrics, estimates and quality assertions
    from pytest_homog.metrics.quality import Report, classification_report, f1_score, precision_score, recall_score
    from pytest_homog.metrics.representation import linear_cka
    from pytest_homog.metrics.stats import Estimate, compare, score
    from pytest_homog.metrics.tags import SCHEMES, check_sequences, extract_entities

if TYPE_CHECKING:
    from pytest_homog.behaviour import (
        DisagreementTracker,
        assert_directional,
        assert_invariant,
        assert_min_functionality,
        assert_models_disagree_somewhere,
    )
    from pytest_homog.perturbations import LabelledSentence, TextExample


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_homog' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
