"""All pytest-homog settings, resolved once per session into one typed object.

Precedence for every setting: command-line option, then environment variable, then ini key, then the default.
The resolved :class:`HomogConfig` lives in ``config.stash[HOMOG_CONFIG_KEY]``; fixtures and hooks read it from
there and never look at options, ini keys or the environment themselves.

Nothing here imports torch, and nothing touches the disk: the cache directory is only named, never created.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "DEFAULT_TOLERANCE_FLOOR",
    "ENV_CACHE_DIR",
    "ENV_ENABLE",
    "ENV_STEP_SUMMARY",
    "HOMOG_CONFIG_KEY",
    "HomogConfig",
    "Tolerance",
    "default_cache_dir",
    "parse_alpha",
    "parse_device",
    "parse_family",
    "parse_family_size",
    "parse_memory",
    "parse_seed",
    "parse_tolerance",
    "parse_tolerance_floor",
    "resolve_config",
]

ENV_ENABLE = "PYTEST_HOMOG"
ENV_CACHE_DIR = "PYTEST_HOMOG_CACHE"
#: set by GitHub Actions: the job summary file
ENV_STEP_SUMMARY = "GITHUB_STEP_SUMMARY"

_DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


#: the smallest allowance of a relative tolerance (``--homog-tolerance-floor``): the default absolute tolerance
DEFAULT_TOLERANCE_FLOOR = 0.01


@dataclass(frozen=True)
class Tolerance:
    """How far a metric may move the wrong way from its baseline: absolute, or relative to the baseline value.

    A relative tolerance allows at least ``floor``: 2% of a similarity of 0.09 is 0.0018, well inside the noise of
    any test set, so ``allowance = max(amount * |baseline|, floor)``. An absolute tolerance is taken as given.

    Examples
    --------
    >>> Tolerance(0.02, relative=True).allowance(1.0), Tolerance(0.02, relative=True).allowance(0.09)
    (0.02, 0.01)
    >>> Tolerance(0.001).allowance(0.09)
    0.001
    >>> str(Tolerance(0.02, relative=True)), str(Tolerance(0.01))
    ('2%', '0.01')
    >>> Tolerance(0.02, relative=True).describe()
    '2%, at least 0.01'
    """

    amount: float
    relative: bool = False
    floor: float = DEFAULT_TOLERANCE_FLOOR

    def allowance(self, baseline: float) -> float:
        """The largest change the wrong way that is not a regression, for a stored value ``baseline``."""
        return max(self.amount * abs(baseline), self.floor) if self.relative else self.amount

    def describe(self) -> str:
        """The tolerance as the reports state it: a relative one with its floor."""
        return f"{self}, at least {self.floor:g}" if self.relative else str(self)

    def __str__(self) -> str:
        return f"{self.amount * 100:g}%" if self.relative else f"{self.amount:g}"


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
    report_path, markdown_path, html_path : pathlib.Path, optional
        Where to write the JSON, Markdown and HTML reports (``--homog-report``, ``--homog-markdown``,
        ``--homog-html``); ``None`` writes none.
    heatmaps_dir : pathlib.Path, optional
        Where to write every similarity matrix as a PNG heatmap (``--homog-heatmaps``).
    save_baseline_path : pathlib.Path, optional
        Where to write the measured values as a baseline (``--homog-save-baseline``).
    baseline_path : pathlib.Path, optional
        Baseline to compare each check with (``--homog-baseline``).
    tolerance : Tolerance
        How far a metric may regress from its baseline before the check fails (``--homog-tolerance``); a relative
        one allows at least its floor (``--homog-tolerance-floor``).
    allow_unusable_baseline : bool
        ``--homog-allow-unusable-baseline``: a baseline that cannot be read or is not a pytest-homog baseline is
        reported but does not fail the run.
    baseline_strict : bool
        ``--homog-baseline-strict``: the run fails unless every check was compared with the baseline and every
        stored check was run (no new, no missing checks).
    refresh : bool
        ``--homog-refresh``: rebuild cached fine-tuned models; each test that used a rebuilt one fails so
        that a person reviews the change.
    gpu_memory : str
        ``--homog-gpu-memory``: how much accelerator memory resident models may take (``24GiB`` or ``80%``);
        least recently used models are moved back to the CPU beyond it.
    step_summary_path : pathlib.Path, optional
        ``$GITHUB_STEP_SUMMARY``: the GitHub Actions job summary, to which the Markdown summary is appended.
    family : str
        ``--homog-family``: ``"none"`` (each interval gate at its own confidence), ``"bonferroni"`` or ``"holm"``
        (see :mod:`pytest_homog.family`).
    alpha : float
        ``--homog-alpha``: the chance of any false verdict in the session that a family allows.
    family_size : int, optional
        ``--homog-family-size``: the number of interval gates, declared; ``None`` counts them at collection.
    """

    enabled: bool = False
    device: str = "auto"
    cache_dir: Path = Path(".")
    seed: int = 0
    # reports and baselines
    report_path: Path | None = None
    markdown_path: Path | None = None
    html_path: Path | None = None
    heatmaps_dir: Path | None = None
    save_baseline_path: Path | None = None
    baseline_path: Path | None = None
    tolerance: Tolerance = field(default_factory=lambda: Tolerance(0.01))
    allow_unusable_baseline: bool = False
    baseline_strict: bool = False
    # models (fixtures homog_model / homog_finetune)
    refresh: bool = False
    gpu_memory: str = "80%"
    step_summary_path: Path | None = None
    # family-wise error control across the session's interval gates
    family: str = "none"
    alpha: float = 0.05
    family_size: int | None = None


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


def parse_tolerance(value: str) -> Tolerance:
    """Validate a baseline tolerance, absolute (``0.01``) or relative (``2%``); the ``type=`` of
    ``--homog-tolerance``.

    Examples
    --------
    >>> parse_tolerance("0.01")
    Tolerance(amount=0.01, relative=False, floor=0.01)
    >>> parse_tolerance("2%")
    Tolerance(amount=0.02, relative=True, floor=0.01)
    >>> parse_tolerance("5%%")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: '5%%' is not a tolerance; use a number >= 0, absolute (0.01) or relative (2%)
    """
    text = str(value).strip()
    relative = text.endswith("%")
    number = text[:-1].strip() if relative else text
    try:
        amount = float(number)
    except ValueError:
        amount = math.nan
    if not (math.isfinite(amount) and amount >= 0):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a tolerance; use a number >= 0, absolute (0.01) or relative (2%)"
        )
    return Tolerance(amount / 100 if relative else amount, relative=relative)


def parse_tolerance_floor(value: str) -> float:
    """Validate the floor of relative tolerances, a number >= 0; the ``type=`` of ``--homog-tolerance-floor``.

    Examples
    --------
    >>> parse_tolerance_floor("0.02")
    0.02
    >>> parse_tolerance_floor("2%")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: '2%' is not a tolerance floor; use an absolute number >= 0, such as 0.01
    """
    tolerance = None
    try:
        tolerance = parse_tolerance(value)
    except argparse.ArgumentTypeError:
        pass
    if tolerance is None or tolerance.relative:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a tolerance floor; use an absolute number >= 0, such as 0.01"
        )
    return tolerance.amount


#: a memory size: a number with an optional unit (k, M, G, T; KiB, MiB, GiB, TiB; B)
SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)


def parse_memory(value: str) -> str:
    """Validate a device-memory budget; used as the argparse ``type=`` of ``--homog-gpu-memory``.

    A size (``24GiB``, ``8G``, ``512MiB``, plain bytes) or a share of the device's memory (``80%``).

    Examples
    --------
    >>> parse_memory("80%"), parse_memory("24GiB")
    ('80%', '24GiB')
    >>> parse_memory("lots")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: 'lots' is not a memory budget; use a size such as 24GiB, ...
    """
    text = str(value).strip()
    if text.endswith("%"):
        try:
            share = float(text[:-1])
        except ValueError:
            share = -1.0
        if 0 < share <= 100:
            return text
    elif SIZE_RE.match(text):
        return text
    raise argparse.ArgumentTypeError(
        f"{value!r} is not a memory budget; use a size such as 24GiB, 8G, 512MiB or a share such as 80%"
    )


def parse_family(value: str) -> str:
    """Validate a family-wise error control method; the ``type=`` of ``--homog-family``.

    Examples
    --------
    >>> parse_family("Holm")
    'holm'
    >>> parse_family("fdr")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: 'fdr' is not a family; use one of none, bonferroni, holm
    """
    method = str(value).strip().lower()
    if method not in ("none", "bonferroni", "holm"):
        raise argparse.ArgumentTypeError(f"{value!r} is not a family; use one of none, bonferroni, holm")
    return method


def parse_alpha(value: str) -> float:
    """Validate the session's family-wise error rate, a number in (0, 0.5); the ``type=`` of ``--homog-alpha``.

    Examples
    --------
    >>> parse_alpha("0.1")
    0.1
    >>> parse_alpha("5%")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: '5%' is not an alpha; use a number strictly between 0 and 0.5, such as 0.05
    """
    try:
        alpha = float(str(value).strip())
    except ValueError:
        alpha = math.nan
    if not 0.0 < alpha < 0.5:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an alpha; use a number strictly between 0 and 0.5, such as 0.05"
        )
    return alpha


def parse_family_size(value: str) -> int:
    """Validate a declared family size, a whole number >= 1; the ``type=`` of ``--homog-family-size``.

    Examples
    --------
    >>> parse_family_size("50")
    50
    >>> parse_family_size("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: '0' is not a family size; use the number of interval gates, a whole number >= 1
    """
    try:
        size = int(str(value).strip())
    except ValueError:
        size = 0
    if size < 1:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a family size; use the number of interval gates, a whole number >= 1"
        )
    return size


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


def _ini_switch(config: pytest.Config, name: str) -> bool:
    """Read a boolean ini key; an invalid value stops the session with a message naming the key."""
    try:
        return bool(config.getini(name))
    # pytest's "invalid truth value 'maybe'" names neither the key nor the accepted values; pytest 9 raises it as a
    # UsageError, earlier versions as a ValueError
    except (ValueError, pytest.UsageError) as exc:
        raise pytest.UsageError(
            f"ini option {name}: {exc}; use true or false (also 1/0, yes/no, on/off, y/n, t/f)"
        ) from None


def _switch(config: pytest.Config, name: str) -> bool:
    """A boolean setting with an ini twin of the same name: on when the flag is given, else as the ini key says."""
    return bool(config.getoption(name, default=False)) or _ini_switch(config, name)


def resolve_config(config: pytest.Config, environ: Mapping[str, str] | None = None) -> HomogConfig:
    """Resolve every pytest-homog setting once: command line, then environment, then ini, then default."""
    env = os.environ if environ is None else environ

    enabled = bool(config.getoption("homog", default=False))
    if not enabled:  # PYTEST_HOMOG=0 switches off what the ini switched on
        enabled = _parse_bool(env[ENV_ENABLE], ENV_ENABLE) if ENV_ENABLE in env else _ini_switch(config, "homog")

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

    tolerance = config.getoption("homog_tolerance", default=None)
    if tolerance is None:
        tolerance = _from_ini(config, "homog_tolerance", parse_tolerance)
    floor = config.getoption("homog_tolerance_floor", default=None)
    if floor is None:
        floor = _from_ini(config, "homog_tolerance_floor", parse_tolerance_floor)

    paths = {name: _report_path(config, name, check=enabled) for name in _REPORT_OPTIONS}
    # models: --homog-refresh, --homog-gpu-memory
    refresh = _switch(config, "homog_refresh")
    gpu_memory = config.getoption("homog_gpu_memory", default=None) or _from_ini(
        config, "homog_gpu_memory", parse_memory
    )

    family = config.getoption("homog_family", default=None) or _from_ini(config, "homog_family", parse_family)
    alpha = config.getoption("homog_alpha", default=None) or _from_ini(config, "homog_alpha", parse_alpha)
    family_size = config.getoption("homog_family_size", default=None) or _from_ini(
        config, "homog_family_size", parse_family_size
    )

    return HomogConfig(
        enabled=enabled,
        device=device or "auto",
        cache_dir=cache_dir.expanduser().absolute(),
        seed=0 if seed is None else int(seed),
        report_path=paths["homog_report"],
        markdown_path=paths["homog_markdown"],
        html_path=paths["homog_html"],
        heatmaps_dir=_heatmaps_dir(config, check=enabled),
        save_baseline_path=paths["homog_save_baseline"],
        baseline_path=paths["homog_baseline"],
        tolerance=replace(tolerance or Tolerance(0.01), floor=DEFAULT_TOLERANCE_FLOOR if floor is None else floor),
        allow_unusable_baseline=_switch(config, "homog_allow_unusable_baseline"),
        baseline_strict=_switch(config, "homog_baseline_strict"),
        refresh=refresh,
        gpu_memory=gpu_memory or "80%",
        step_summary_path=Path(env[ENV_STEP_SUMMARY]) if env.get(ENV_STEP_SUMMARY) else None,
        family=family or "none",
        alpha=alpha or 0.05,
        family_size=family_size,
    )


# --- reports and baselines -------------------------------------------------------------------------------------

# option dest -> True for a file pytest-homog reads, False for one it writes
_REPORT_OPTIONS: dict[str, bool] = {
    "homog_report": False,
    "homog_markdown": False,
    "homog_html": False,
    "homog_save_baseline": False,
    "homog_baseline": True,
}


def _heatmaps_dir(config: pytest.Config, *, check: bool) -> Path | None:
    """Resolve ``--homog-heatmaps`` as a report path; when the checks are on it must be a directory, or a new one
    in an existing directory."""
    path = _report_path(config, "homog_heatmaps", check=False)
    if path is not None and check and ((path.exists() and not path.is_dir()) or not path.parent.is_dir()):
        raise pytest.UsageError(
            f"--homog-heatmaps={path}: not a directory, nor a new one in an existing directory; give a directory"
        )
    return path


def _report_path(config: pytest.Config, name: str, *, check: bool) -> Path | None:
    """Resolve a report or baseline path (command line relative to the invocation directory, ini relative to
    the rootdir) and, when the checks are on, make sure it can be used, so a typo stops the run at start-up."""
    raw = config.getoption(name, default=None)
    if raw:
        source = f"--{name.replace('_', '-')}={raw}"
        path = Path(str(raw)).expanduser()
        if not path.is_absolute():
            path = Path(config.invocation_params.dir) / path
    else:
        raw = config.getini(name)
        if not raw:
            return None
        source = f"ini option {name} = {raw}"
        path = Path(str(raw)).expanduser()
        if not path.is_absolute():
            path = config.rootpath / path
    path = path.absolute()
    if not check:
        return path
    if _REPORT_OPTIONS[name]:
        if path.is_dir():
            raise pytest.UsageError(
                f"{source}: {path} is a directory; give the baseline file in it (one written by --homog-save-baseline)"
            )
        if not path.is_file():
            raise pytest.UsageError(
                f"{source}: baseline file {path} does not exist; write one first with --homog-save-baseline, "
                "or leave the option out"
            )
    elif not path.parent.is_dir():
        raise pytest.UsageError(
            f"{source}: directory {path.parent} does not exist; create it or choose a path in an existing directory"
        )
    elif path.is_dir():
        raise pytest.UsageError(f"{source}: {path} is a directory; give a file name")
    return path
