"""pytest-homog: model quality and homogenization checks as ordinary pytest tests.

The public API is re-exported here lazily: ``import pytest_homog`` (which pytest does when it loads the plugin)
imports nothing heavy; ``from pytest_homog import f1_score`` imports the module that defines it on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    __version__: str

# module -> the public names it defines
_MODULES: dict[str, tuple[str, ...]] = {
    "pytest_homog.errors": (
        "HomogCacheError",
        "HomogDataError",
        "HomogError",
        "HomogModelError",
        "HomogUsageError",
        "HomogWarning",
        "UndefinedMetricWarning",
    ),
    "pytest_homog.config": ("HomogConfig",),
    "pytest_homog.metrics.inputs": ("check_sequences",),
    "pytest_homog.metrics.tags": (
        "SCHEMES",
        "extract_entities",
    ),
    "pytest_homog.metrics.quality": (
        "Report",
        "classification_report",
        "f1_score",
        "precision_score",
        "recall_score",
    ),
    "pytest_homog.metrics.bootstrap": (
        "Estimate",
        "compare",
        "score",
    ),
    "pytest_homog.metrics.agreement": (
        "ErrorConsistency",
        "McNemarResult",
        "cohen_kappa",
        "disagreement",
        "divergence",
        "double_fault",
        "error_consistency",
        "mcnemar_test",
        "unit_outcomes",
        "yules_q",
    ),
    "pytest_homog.metrics.homogenization": (
        "OutcomeHomogenization",
        "SharedFailure",
        "SimilarityMatrix",
        "outcome_homogenization",
        "shared_failure",
        "similarity_matrix",
    ),
    "pytest_homog.metrics.representation": ("linear_cka",),
    "pytest_homog.metrics.capa": (
        "ProbabilisticAgreement",
        "capa",
    ),
    "pytest_homog.metrics.wrong_answers": (
        "SameWrongAnswer",
        "same_wrong_answer",
    ),
    "pytest_homog.checks.quality": (
        "assert_f1_above",
        "assert_precision_above",
        "assert_recall_above",
    ),
    "pytest_homog.checks.divergence": ("assert_models_diverge",),
    "pytest_homog.checks.homogeneity": ("assert_not_homogeneous",),
    "pytest_homog.checks.regression": ("assert_no_regression",),
    "pytest_homog.checks.behaviour": (
        "DisagreementTracker",
        "assert_directional",
        "assert_invariant",
        "assert_min_functionality",
        "assert_models_disagree_somewhere",
    ),
    "pytest_homog.perturbations": (
        "LabelledSentence",
        "TextExample",
    ),
    "pytest_homog.data": ("load_dataset",),
    "pytest_homog.seed_runs": ("seeds",),
    "pytest_homog.checks.seeds": ("assert_stochastically_better",),
    "pytest_homog.models.load": ("HomogModel",),
}
# public name -> module that defines it
_EXPORTS: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted(["__version__", *_EXPORTS])

if TYPE_CHECKING:
    from pytest_homog.checks.behaviour import (
        DisagreementTracker,
        assert_directional,
        assert_invariant,
        assert_min_functionality,
        assert_models_disagree_somewhere,
    )
    from pytest_homog.checks.divergence import assert_models_diverge
    from pytest_homog.checks.homogeneity import assert_not_homogeneous
    from pytest_homog.checks.quality import assert_f1_above, assert_precision_above, assert_recall_above
    from pytest_homog.checks.regression import assert_no_regression
    from pytest_homog.checks.seeds import assert_stochastically_better
    from pytest_homog.config import HomogConfig
    from pytest_homog.data import load_dataset
    from pytest_homog.errors import (
        HomogCacheError,
        HomogDataError,
        HomogError,
        HomogModelError,
        HomogUsageError,
        HomogWarning,
        UndefinedMetricWarning,
    )
    from pytest_homog.metrics.agreement import (
        ErrorConsistency,
        McNemarResult,
        cohen_kappa,
        disagreement,
        divergence,
        double_fault,
        error_consistency,
        mcnemar_test,
        unit_outcomes,
        yules_q,
    )
    from pytest_homog.metrics.bootstrap import Estimate, compare, score
    from pytest_homog.metrics.capa import ProbabilisticAgreement, capa
    from pytest_homog.metrics.homogenization import (
        OutcomeHomogenization,
        SharedFailure,
        SimilarityMatrix,
        outcome_homogenization,
        shared_failure,
        similarity_matrix,
    )
    from pytest_homog.metrics.inputs import check_sequences
    from pytest_homog.metrics.quality import Report, classification_report, f1_score, precision_score, recall_score
    from pytest_homog.metrics.representation import linear_cka
    from pytest_homog.metrics.tags import SCHEMES, extract_entities
    from pytest_homog.metrics.wrong_answers import SameWrongAnswer, same_wrong_answer
    from pytest_homog.models.load import HomogModel
    from pytest_homog.perturbations import LabelledSentence, TextExample
    from pytest_homog.seed_runs import seeds


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pytest-homog")
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read from the installed metadata on first use, not at import
        value: Any = _version()
        globals()[name] = value
        return value
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_homog' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
