"""Turning a device spec (``auto``, ``cpu``, ``cuda``, ``cuda:N``, ``mps``) into a ``torch.device``.

torch is imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_homog.errors import HomogUsageError

if TYPE_CHECKING:
    import torch

__all__ = ["available_devices", "check_device", "describe_device", "resolve_device"]


def resolve_device(spec: str = "auto", *, worker_index: int | None = None) -> torch.device:
    """Resolve a device spec to a ``torch.device``.

    Parameters
    ----------
    spec : str
        ``auto`` (CUDA when available, else CPU), ``cpu``, ``mps``, ``cuda`` or ``cuda:N``.
    worker_index : int, optional
        Index of the pytest-xdist worker; with ``auto`` or a bare ``cuda`` each worker takes GPU
        ``worker_index % device_count`` so that workers spread over the GPUs.

    Raises
    ------
    HomogUsageError
        When the device is not there; the message names the devices that are, and the fix.

    Examples
    --------
    >>> str(resolve_device("cpu"))
    'cpu'
    """
    import torch

    if spec == "cpu":
        return torch.device("cpu")
    if spec == "mps":
        if not _mps_available():
            raise _missing(spec, "MPS is not available")
        return torch.device("mps")
    cuda_ok = torch.cuda.is_available()
    if spec == "auto" and not cuda_ok:
        return torch.device("cpu")
    if not cuda_ok:
        raise _missing(spec, f"torch {torch.__version__} sees no CUDA device")
    count = torch.cuda.device_count()
    if spec in ("auto", "cuda"):
        return torch.device("cuda", (worker_index or 0) % count)
    index = int(spec.split(":", 1)[1])
    if index >= count:
        raise _missing(spec, f"only {count} CUDA device(s) exist")
    return torch.device("cuda", index)


def available_devices() -> list[str]:
    """The device specs that would resolve here, ``cpu`` first.

    Examples
    --------
    >>> available_devices()[0]
    'cpu'
    """
    import torch

    cuda = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    return ["cpu", *cuda, *(["mps"] if _mps_available() else [])]


def check_device(spec: str) -> None:
    """Make sure ``spec`` resolves on this machine, so a missing device stops the run once, at start-up.

    Raises
    ------
    HomogUsageError
        When it does not, or when torch is not installed and ``spec`` needs it.
    """
    if spec in ("auto", "cpu"):
        return
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise HomogUsageError(
            f"--homog-device={spec}: torch is not installed; install torch, or use --homog-device=auto or cpu"
        )
    resolve_device(spec)


def _missing(spec: str, why: str) -> HomogUsageError:
    return HomogUsageError(
        f"--homog-device={spec} was asked for but {why}; devices available: {', '.join(available_devices())}. "
        "Use one of them (--homog-device or ini homog_device), or auto (CUDA when present, else cpu)"
    )


def _mps_available() -> bool:
    import torch

    return hasattr(torch.backends, "mps") and torch.backends.mps.is_available()


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
