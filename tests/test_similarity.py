"""Similarity matrices: every entry equals its pairwise measure; the table, the plot and the errors."""

from __future__ import annotations

import sys
import warnings
from itertools import combinations
from typing import Any

import numpy as np
import pytest
from _group_corpora import corpora
from hypothesis import given, settings

from pytest_homog.errors import HomogUsageError, UndefinedMetricWarning
from pytest_homog.metrics.agreement import cohen_kappa, disagreement, error_consistency, unit_outcomes, yules_q
from pytest_homog.metrics.similarity import SimilarityMatrix, similarity_matrix

# random corpora often lack a type that a prediction uses; the label-set warning is tested on its own
pytestmark = pytest.mark.filterwarnings("ignore::pytest_homog.errors.HomogWarning")


@settings(max_examples=60, deadline=None)
@given(corpora(k=3))
def test_similarity_matrix_entries_equal_pairwise_measures(corpus: Any) -> None:
    y_true, preds = corpus
    named = dict(zip("abc", preds, strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for unit in ("sentence", "token"):
            ec = similarity_matrix(y_true, named, by="error_consistency", unit=unit)
            yq = similarity_matrix(y_true, named, by="yules_q", unit=unit)
            for (i, x), (j, y) in combinations(enumerate("abc"), 2):
                oa, ob = (
                    unit_outcomes(y_true, named[x], unit=unit),
                    unit_outcomes(y_true, named[y], unit=unit),
                )
                assert ec.values[i, j] == pytest.approx(error_consistency(oa, ob).kappa)
                assert yq.values[i, j] == pytest.approx(yules_q(oa, ob))
        dis = similarity_matrix(y_true, named, by="disagreement")
        kap = similarity_matrix(y_true, named, by="kappa")
        for (i, x), (j, y) in combinations(enumerate("abc"), 2):
            assert dis.values[i, j] == pytest.approx(1 - disagreement(named[x], named[y]))
            assert kap.values[i, j] == pytest.approx(cohen_kappa(named[x], named[y]))
    for m in (ec, yq, dis, kap):
        assert m.names == ("a", "b", "c")
        assert np.array_equal(np.diag(m.values), np.ones(3))
        assert np.allclose(m.values, m.values.T)


def test_similarity_matrix_cka_and_errors() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5))
    m = similarity_matrix(None, {"x": x, "2x": 2 * x, "noise": rng.normal(size=(40, 3))}, by="cka")
    assert m.values[0, 1] == pytest.approx(1.0)
    assert m.values[0, 2] < 0.5
    with pytest.raises(HomogUsageError, match="by must be one of"):
        similarity_matrix([["O"]], {"a": [["O"]], "b": [["O"]]}, by="double_fault")
    with pytest.raises(HomogUsageError, match="two or more"):
        similarity_matrix(None, {"x": x}, by="cka")


def test_similarity_matrix_undefined_pairs_warn_once() -> None:
    y_true = [["B-PER", "O"], ["B-LOC", "O"]]
    with pytest.warns(UndefinedMetricWarning, match=r"c_exp = 1.*\('a', 'b'\)"):
        m = similarity_matrix(y_true, {"a": y_true, "b": y_true, "c": [["O", "O"], ["B-LOC", "O"]]})
    assert m.values[0, 1] == 1.0


def test_markdown_and_plot(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    m = SimilarityMatrix(("a", "b"), np.array([[1.0, -0.125], [-0.125, 1.0]]), "error_consistency", 10)
    assert m.to_markdown(digits=2).splitlines()[2] == "| a | 1.00 | -0.12 |"
    assert m.pairs() == [("a", "b", -0.125)]
    assert m.to_dict()["values"] == [[1.0, -0.125], [-0.125, 1.0]]
    png = m.plot()
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG")
    path = m.plot(tmp_path / "m.png")
    assert path == tmp_path / "m.png" and path.read_bytes().startswith(b"\x89PNG")
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(HomogUsageError, match=r"pip install 'pytest-homog\[plot\]'"):
        m.plot()
