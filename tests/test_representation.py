"""Linear CKA against a direct Gram-matrix implementation, plus its invariances and its errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pytest_homog.errors import HomogDataError
from pytest_homog.metrics.representation import linear_cka


def _hsic_biased(k: np.ndarray, l_: np.ndarray) -> float:
    n = k.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    return float(np.trace(k @ h @ l_ @ h))


def _hsic_unbiased(k: np.ndarray, l_: np.ndarray) -> float:
    # Song et al. (2007), eq. 5, written term by term.
    n = k.shape[0]
    k = k.copy()
    l_ = l_.copy()
    np.fill_diagonal(k, 0.0)
    np.fill_diagonal(l_, 0.0)
    ones = np.ones(n)
    term1 = np.trace(k @ l_)
    term2 = (ones @ k @ ones) * (ones @ l_ @ ones) / ((n - 1) * (n - 2))
    term3 = 2.0 / (n - 2) * (ones @ k @ l_ @ ones)
    return float((term1 + term2 - term3) / (n * (n - 3)))


def _reference_cka(x: np.ndarray, y: np.ndarray, debiased: bool) -> float:
    k = x @ x.T
    l_ = y @ y.T
    hsic = _hsic_unbiased if debiased else _hsic_biased
    return hsic(k, l_) / np.sqrt(hsic(k, k) * hsic(l_, l_))


_values = st.floats(-10, 10, allow_nan=False, width=32)


@st.composite
def _pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(5, 20))
    x = draw(arrays(np.float64, (n, draw(st.integers(1, 6))), elements=_values))
    y = draw(arrays(np.float64, (n, draw(st.integers(1, 6))), elements=_values))
    return x, y


def _relative_self_similarity(x: np.ndarray) -> float:
    """Unbiased HSIC of X with itself, unnormalised as in the code, relative to ||X_c||_F^4."""
    n = x.shape[0]
    # the estimator does not change when X is column-centred, and centring first keeps a large common offset
    # (rows near -5 differing by 0.25) from leaving rounding noise where the exact value is 0
    x = x - x.mean(0)
    k = x @ x.T
    scale = np.linalg.norm(x - x.mean(0)) ** 4
    return float(_hsic_unbiased(k, k) * n * (n - 3) / scale) if scale > 0 else 0.0


@settings(max_examples=150, deadline=None)
@given(_pairs(), st.booleans())
def test_matches_gram_reference(pair: tuple[np.ndarray, np.ndarray], debiased: bool) -> None:
    x, y = pair
    constant = any(np.linalg.norm(m - m.mean(0)) <= 1e-10 * max(np.linalg.norm(m), 1e-300) for m in (x, y))
    self_sim = min(_relative_self_similarity(x), _relative_self_similarity(y)) if debiased else 1.0
    if constant or self_sim <= 1e-12:
        # CKA is undefined: a constant matrix, or a debiased self-similarity that is zero up to rounding
        with pytest.raises(HomogDataError):
            linear_cka(x, y, debiased=debiased)
        return
    if self_sim < 1e-8:
        return  # between the two tolerances either answer is acceptable
    assert linear_cka(x, y, debiased=debiased) == pytest.approx(
        _reference_cka(x, y, debiased), rel=1e-6, abs=1e-6
    )


def test_invariant_to_rotation_and_scale() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 16))
    q, _ = np.linalg.qr(rng.normal(size=(16, 16)))
    for debiased in (False, True):
        assert linear_cka(x, x @ q, debiased=debiased) == pytest.approx(1.0, abs=1e-10)
        assert linear_cka(x, 0.37 * x, debiased=debiased) == pytest.approx(1.0, abs=1e-10)
        assert linear_cka(x, x + 5.0, debiased=debiased) == pytest.approx(1.0, abs=1e-10)


def test_more_features_than_units_uses_the_same_formula() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(12, 300))
    y = x[:, :40] @ rng.normal(size=(40, 200)) + rng.normal(size=(12, 200))
    for debiased in (False, True):
        assert linear_cka(x, y, debiased=debiased) == pytest.approx(_reference_cka(x, y, debiased), rel=1e-9)


def test_symmetric() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(60, 5))
    y = x[:, :3] @ rng.normal(size=(3, 7)) + rng.normal(size=(60, 7))
    for debiased in (False, True):
        forward = linear_cka(x, y, debiased=debiased)
        assert forward == pytest.approx(linear_cka(y, x, debiased=debiased), abs=1e-12)


def test_debiased_near_zero_for_independent_features() -> None:
    # With n = 500 units and 64 features each, the plain estimator of two independent matrices is far from 0
    # (of the order of d / (d + n)) while the debiased one fluctuates around 0 with a spread of order 1 / n;
    # |CKA| < 0.05 leaves a wide margin, and the biased value is checked to be clearly larger.
    for seed in range(5):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(500, 64))
        y = rng.normal(size=(500, 64))
        assert abs(linear_cka(x, y, debiased=True)) < 0.05
        assert linear_cka(x, y) > 0.1


def test_torch_tensors_accepted() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(30, 4))
    y = rng.normal(size=(30, 6))
    expected = linear_cka(x, y)
    got = linear_cka(torch.tensor(x, dtype=torch.float32, requires_grad=True), torch.tensor(y))
    assert got == pytest.approx(expected, rel=1e-5)


def test_numpy_input_does_not_import_torch() -> None:
    code = (
        "import sys, numpy as np\n"
        "from pytest_homog.metrics.representation import linear_cka\n"
        "x = np.arange(12.0).reshape(6, 2) ** 2\n"
        "linear_cka(x, x, debiased=True)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "message"),
    [
        (np.ones((5, 2)), np.ones((6, 2)), {}, "same units"),
        (np.ones((1, 2)), np.ones((1, 2)), {}, "at least 2 rows"),
        (np.eye(3), np.eye(3), {"debiased": True}, "at least 4 rows"),
        (np.array([[1.0, np.nan], [2.0, 3.0]]), np.eye(2), {}, "NaN"),
        (np.ones((5, 3)), np.arange(15.0).reshape(5, 3), {}, "zero variance"),
        (np.arange(5.0), np.arange(5.0), {}, "must be 2-D"),
        ([["a", "b"], ["c", "d"]], np.eye(2), {}, "numeric matrix"),
    ],
)
def test_errors(x: object, y: object, kwargs: dict[str, bool], message: str) -> None:
    with pytest.raises(HomogDataError, match=message):
        linear_cka(x, y, **kwargs)
