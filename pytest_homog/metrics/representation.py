"""Representation similarity: linear CKA and its debiased form.

Linear centred kernel alignment (CKA) compares two feature matrices computed on the same units (here: words,
each the mean of its sub-token hidden states, so models with different tokenizers are compared on the same
rows). It is invariant to orthogonal transforms and isotropic scaling of either matrix, so two models that
learnt the same representation up to a rotation score 1.0.

References
----------
Kornblith, Norouzi, Lee and Hinton (2019), "Similarity of Neural Network Representations Revisited", ICML.
Song, Smola, Gretton, Borgwardt and Bedo (2007), "Supervised Feature Selection via Dependence Estimation",
ICML (the unbiased HSIC estimator behind the debiased CKA).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pytest_homog.errors import HomogDataError

__all__ = ["as_feature_matrix", "linear_cka"]

_DEGENERATE = 1e-10


def as_feature_matrix(x: Any, *, name: str = "X") -> np.ndarray:
    """Return ``x`` as a 2-D float64 numpy array.

    Torch tensors are detected by their methods (``detach``) and the module of their type, so torch is never
    imported here: a tensor is detached, moved to the CPU and converted to float64 through its own methods.

    Parameters
    ----------
    x : array-like or torch.Tensor
        A matrix of shape ``(n_units, n_features)``.
    name : str
        How error messages name the argument.

    Returns
    -------
    numpy.ndarray
        A ``(n_units, n_features)`` float64 array.

    Examples
    --------
    >>> as_feature_matrix([[1, 2], [3, 4]]).dtype
    dtype('float64')
    """
    if type(x).__module__.split(".")[0] == "torch" and hasattr(x, "detach"):
        x = x.detach().cpu().double().numpy()
    try:
        array = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise HomogDataError(
            f"{name} must be a numeric matrix (numpy array or torch tensor) of shape (n_units, n_features); "
            f"got a {type(x).__name__} that cannot be read as numbers ({exc})."
        ) from exc
    if array.ndim != 2:
        raise HomogDataError(
            f"{name} must be 2-D, shape (n_units, n_features); got shape {array.shape}. "
            "Reshape a single feature vector per unit with x.reshape(-1, 1)."
        )
    if not np.all(np.isfinite(array)):
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise HomogDataError(
            f"{name} contains {bad} NaN or infinite value(s); CKA needs finite features. "
            "Check the model's hidden states (overflow in half precision?)."
        )
    return array


def _debiased_dot(
    xty_sq: float, rows_x: np.ndarray, rows_y: np.ndarray, norm_x: float, norm_y: float, n: int
) -> float:
    # Unbiased HSIC estimator of Song et al. (2007) written in feature space, as in Kornblith et al.'s code;
    # the common factor 1 / (n (n - 3)) is left out because it cancels in the CKA ratio.
    return float(xty_sq - n / (n - 2.0) * rows_x.dot(rows_y) + norm_x * norm_y / ((n - 1) * (n - 2)))


def linear_cka(X: Any, Y: Any, *, debiased: bool = False) -> float:
    """Linear CKA between two feature matrices with the same rows (Kornblith et al. 2019).

    With ``X`` and ``Y`` column-centred, ``CKA = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)``, in [0, 1].
    ``debiased=True`` replaces each HSIC term by the unbiased estimator of Song et al. (2007), as in Kornblith
    et al.'s reference code: the plain estimator is biased upwards for few units and many features (two
    independent random matrices score well above 0), the debiased one is near 0 for independent features and
    can be slightly negative.

    Parameters
    ----------
    X, Y : array-like or torch.Tensor
        Feature matrices of shapes ``(n, d_x)`` and ``(n, d_y)``: row ``i`` of both describes the same unit.
        Torch tensors are accepted without this module importing torch.
    debiased : bool
        Use the unbiased HSIC estimator. Needs at least 4 rows.

    Returns
    -------
    float
        The similarity; the divergence used by the assertions is ``1 - CKA``.

    Raises
    ------
    HomogDataError
        Different numbers of rows, fewer than 2 rows (4 when debiased), NaN or infinite values, or a matrix
        with zero variance (every row the same), for which CKA is undefined.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 8))
    >>> round(linear_cka(X, 3.0 * X), 6)
    1.0
    >>> q, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    >>> round(linear_cka(X, X @ q, debiased=True), 6)
    1.0
    """
    x = as_feature_matrix(X, name="X")
    y = as_feature_matrix(Y, name="Y")
    n = x.shape[0]
    if y.shape[0] != n:
        raise HomogDataError(
            f"X and Y must describe the same units (rows): X has {n} rows, Y has {y.shape[0]}. "
            "Compute both on the same data, pooled to the same units (words)."
        )
    minimum = 4 if debiased else 2
    if n < minimum:
        raise HomogDataError(
            f"linear_cka(debiased={debiased}) needs at least {minimum} rows; got {n}. Use more units."
        )
    scales = (float(np.linalg.norm(x)), float(np.linalg.norm(y)))
    x = x - x.mean(axis=0, keepdims=True)
    y = y - y.mean(axis=0, keepdims=True)
    for matrix, scale, label in ((x, scales[0], "X"), (y, scales[1], "Y")):
        if float(np.linalg.norm(matrix)) <= 1e-10 * max(scale, np.finfo(np.float64).tiny):
            raise HomogDataError(
                f"{label} has zero variance (every row is the same), so CKA is undefined. "
                "Check that the features really depend on the input."
            )
    if n < max(x.shape[1], y.shape[1]):
        # fewer units than features: the n x n Gram matrices are the smaller products
        # (||Y^T X||_F^2 = <X X^T, Y Y^T>_F)
        k = x @ x.T
        gram_y = y @ y.T
        xty_sq = float(np.vdot(k, gram_y))
        xtx_sq = float(np.vdot(k, k))
        yty_sq = float(np.vdot(gram_y, gram_y))
    else:
        xty_sq = float(np.linalg.norm(y.T @ x) ** 2)
        xtx_sq = float(np.linalg.norm(x.T @ x) ** 2)
        yty_sq = float(np.linalg.norm(y.T @ y) ** 2)
    if debiased:
        rows_x = np.einsum("ij,ij->i", x, x)
        rows_y = np.einsum("ij,ij->i", y, y)
        norm_x = float(rows_x.sum())
        norm_y = float(rows_y.sum())
        xty_sq = _debiased_dot(xty_sq, rows_x, rows_y, norm_x, norm_y, n)
        xtx_sq = _debiased_dot(xtx_sq, rows_x, rows_x, norm_x, norm_x, n)
        yty_sq = _debiased_dot(yty_sq, rows_y, rows_y, norm_y, norm_y, n)
        # relative to ||X||_F^4, a self-similarity this small is cancellation noise around 0, not signal
        if xtx_sq <= _DEGENERATE * norm_x**2 or yty_sq <= _DEGENERATE * norm_y**2:
            raise HomogDataError(
                f"the debiased self-similarity of {'X' if xtx_sq <= _DEGENERATE * norm_x**2 else 'Y'} is not "
                f"positive on {n} rows (too few rows, or the variance sits in one row), "
                "so debiased CKA is undefined; use more rows or debiased=False."
            )
    return float(xty_sq / (np.sqrt(xtx_sq) * np.sqrt(yty_sq)))
