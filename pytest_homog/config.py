"""All pytest-homog settings, resolved once per session into one typed object.

Precedence for every setting: command-line option, then environment variable, then ini key, then the default.
The resolved :class:`HomogConfig` lives in ``config.stash[HOMOG_CONFIG_KEY]``; fixtures and hooks read it from
there and never look at options, ini keys or the environment themselves.

Nothing here imports torch, and nothing touches the disk: the cache directory is only named, never created.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "ENV_CACHE_DIR",
    "ENV_ENABLE",
    "HOMOG_CONFIG_KEY",
    "HomogConfig",
    "default_cache_dir",
    "parse_device",
    "parse_seed",
    "resolve_config",
]

ENV_ENABLE = "PYTEST_HOMOG"
ENV_CACHE_DIR = "PYTEST_HOMOG_CACHE"

_DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class HomogConfig:
    """Settings of one pytest session, as resolved from options, environment and ini.

    Attributes
    ----------
    enabled : bool
        Whether ``--homog`` (or ``homog = true`` or ``PYTEST_HOMOG=1``) switched the checks on.
    device : str
        ``"auto"``, ``"cpu"``, ``"mps"``, ``"cuda"`` or ``"cuda:N"``; ``auto`` picks CUDA when available.
    cache_dir : pathlib.Path
        Where fine-tuned models and other artefacts are cached. Not created until something is cached.
    seed : int
        Seed for fine-tuning, bootstrap resampling and generated data, unless a call passes its own.
    refresh : bool
        ``--homog-refresh``: rebuild cached fine-tuned models; each test that used a rebuilt one fails so
        that a person reviews the change.
    gpu_memory : str
        ``--homog-gpu-memory``: how much accelerator memory resident models may take (``24GiB`` or ``80%``);
        least recently used models are moved back to the CPU beyond it.
    """

    enabled: bool = False
    device: str = "auto"
    cache_dir: Path = Path(".")
    seed: int = 0
    # models (fixtures homog_model / homog_finetune)
    refresh: bool = False
    gpu_memory: str = "80%"


HOMOG_CONFIG_KEY = pytest.StashKey[HomogConfig]()


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Per-user cache directory: ``$XDG_CACHE_HOME/pytest-homog``, else ``~/.cache/pytest-homog``.

    Examples
    --------
    >>> default_cache_dir({"XDG_CACHE_HOME": "/tmp/xdg"}).as_posix()
    '/tmp/xdg/pytest-homog'
    """
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pytest-homog"


def parse_device(value: str) -> str:
    """Validate a device spec; used as the argparse ``type=`` of ``--homog-device``.

    Examples
    --------
    >>> parse_device("CUDA:1")
    'cuda:1'
    >>> parse_device("gpu")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: 'gpu' is not a device; use one of auto, cpu, cuda, cuda:N (N a GPU index), mps
    """
    spec = value.strip().lower()
    if not _DEVICE_RE.match(spec):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a device; use one of auto, cpu, cuda, cuda:N (N a GPU index), mps"
        )
    return spec


def parse_seed(value: str) -> int:
    """Validate a seed; used as the argparse ``type=`` of ``--homog-seed``.

    Examples
    --------
    >>> parse_seed("42")
    42
    >>> parse_seed("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: '-1' is not a seed; use an integer from 0 to 4294967295
    """
    try:
        seed = int(str(value).strip())
    except ValueError:
        seed = -1
    if not 0 <= seed <= 2**32 - 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a seed; use an integer from 0 to 4294967295")
    return seed


def _parse_bool(value: str, source: str) -> bool:
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise pytest.UsageError(f"{source}={value!r} is not a boolean; use 1/true/yes/on or 0/false/no/off")


def _from_ini(config: pytest.Config, name: str, parse: Any) -> Any:
    """Read and validate an ini value; an invalid one stops the session with a message naming the key."""
    raw = config.getini(name)
    if raw in (None, "", []):
        return None
    try:
        return parse(raw)
    except argparse.ArgumentTypeError as exc:
        raise pytest.UsageError(f"ini option {name} = {raw!r}: {exc}") from None


def resolve_config(config: pytest.Config, environ: Mapping[str, str] | None = None) -> HomogConfig:
    """Resolve every pytest-homog setting once: command line, then environment, then ini, then default."""
    env = os.environ if environ is None else environ

    enabled = bool(config.getoption("homog", default=False))
    if not enabled and ENV_ENABLE in env:
        enabled = _parse_bool(env[ENV_ENABLE], ENV_ENABLE)
    if not enabled:
        enabled = bool(config.getini("homog"))

    device = config.getoption("homog_device", default=None) or _from_ini(config, "homog_device", parse_device)

    seed = config.getoption("homog_seed", default=None)
    if seed is None:
        seed = _from_ini(config, "homog_seed", parse_seed)

    cache_dir_opt = config.getoption("homog_cache_dir", default=None)
    if cache_dir_opt:
        cache_dir = Path(cache_dir_opt)
    elif env.get(ENV_CACHE_DIR):
        cache_dir = Path(env[ENV_CACHE_DIR])
    elif config.getini("homog_cache_dir"):
        cache_dir = Path(str(config.getini("homog_cache_dir")))
        if not cache_dir.is_absolute():
            cache_dir = config.rootpath / cache_dir
    else:
        cache_dir = default_cache_dir(env)

    # models: --homog-refresh, --homog-gpu-memory
    from pytest_homog.models.cache import parse_memory

    refresh = bool(config.getoption("homog_refresh", default=False)) or bool(config.getini("homog_refresh"))
    gpu_memory = config.getoption("homog_gpu_memory", default=None) or _from_ini(
        config, "homog_gpu_memory", parse_memory
    )

    return HomogConfig(
        enabled=enabled,
        device=device or "auto",
        cache_dir=cache_dir.expanduser().absolute(),
        seed=0 if seed is None else int(seed),
        refresh=refresh,
        gpu_memory=gpu_memory or "80%",
    )
