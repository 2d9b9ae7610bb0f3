"""Turning a device spec (``auto``, ``cpu``, ``cuda``, ``cuda:N``, ``mps``) into a ``torch.device``.

torch is imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_homog.errors import HomogUsageError

if TYPE_CHECKING:
    import torch

__all__ = ["resolve_device"]


def resolve_device(spec: str = "auto", *, worker_index: int | None = None) -> torch.device:
    """Resolve a device spec to a ``torch.device``.

    Parameters
    ----------
    spec : str
        ``auto`` (CUDA when available, else CPU), ``cpu``, ``mps``, ``cuda`` or ``cuda:N``.
    worker_index : int, optional
        Index of the pytest-xdist worker; with ``auto`` or a bare ``cuda`` each worker takes GPU
        ``worker_index % device_count`` so that workers spread over the GPUs.

    Examples
    --------
    >>> str(resolve_device("cpu"))
    'cpu'
    """
    import torch

    if spec == "cpu":
        return torch.device("cpu")
    if spec == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise HomogUsageError("--homog-device=mps was asked for but MPS is not available; use auto or cpu")
        return torch.device("mps")
    cuda_ok = torch.cuda.is_available()
    if spec == "auto" and not cuda_ok:
        return torch.device("cpu")
    if not cuda_ok:
        raise HomogUsageError(
            f"--homog-device={spec} was asked for but torch sees no CUDA device "
            f"(torch {torch.__version__}); use --homog-device=auto or cpu"
        )
    count = torch.cuda.device_count()
    if spec in ("auto", "cuda"):
        return torch.device("cuda", (worker_index or 0) % count)
    index = int(spec.split(":", 1)[1])
    if index >= count:
        raise HomogUsageError(
            f"--homog-device={spec} was asked for but only {count} CUDA device(s) exist (cuda:0 to cuda:{count - 1})"
        )
    return torch.device("cuda", index)


def describe_device(spec: str) -> str:
    """A short description of what ``spec`` resolves to, for the report header.

    Examples
    --------
    >>> describe_device("cpu")
    'cpu'
    """
    if spec != "auto":
        return spec
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return "auto (torch not installed)"
    return f"auto -> {resolve_device('auto')}"
