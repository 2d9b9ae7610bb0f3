"""The content-addressed model cache and the device-memory budget.

An entry is a directory ``<cache_dir>/models/<key>/`` holding a model saved with safetensors (never pickle),
its tokenizer, and ``homog-manifest.json`` listing every file with its size and sha256. The models' outputs
(:mod:`pytest_homog.models.outputs`) are entries of the same kind in the sibling section
``<cache_dir>/outputs/<key>/`` (:meth:`ModelCache.section`), arrays saved with safetensors. The key is the
sha256 of the canonical JSON of everything that changes the weights (:func:`cache_key`; for a fine-tune on the
CPU that includes the torch thread count, see :mod:`pytest_homog.models.session`). An entry is built
in a temporary directory inside the cache and renamed into place, under a per-key
:class:`filelock.FileLock`, so parallel pytest-xdist workers build it once and a killed build leaves only a
temporary directory nobody reads.

An entry is trusted only when :func:`verify_entry` finds nothing wrong: a well-formed manifest that lists
exactly the files in the entry, every path inside the entry (no ``..``, no absolute path, no symbolic link),
and every file with its size and sha256. Anything else is a damaged entry, rebuilt with a warning naming the
cause. Files are only ever read once they are known to be regular files inside the entry.

A cache directory that cannot be written is still read; new entries then go to a temporary directory that is
removed when the session ends (:meth:`ModelCache.close`, or at exit).

:class:`DeviceBudget` keeps models resident on an accelerator and moves the least recently used ones back to
the CPU when their total size would exceed the budget (``--homog-gpu-memory``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from pytest_homog.config import SIZE_RE as _SIZE_RE
from pytest_homog.config import parse_memory
from pytest_homog.errors import HomogCacheError, HomogUsageError, HomogWarning

__all__ = [
    "CACHE_SCHEMA",
    "MANIFEST",
    "DeviceBudget",
    "ModelCache",
    "cache_key",
    "canonical_json",
    "entry_digest",
    "hash_directory",
    "hash_file",
    "parse_memory",
]

CACHE_SCHEMA = 1
MANIFEST = "homog-manifest.json"
_CHUNK = 1 << 22
_HASHES: dict[tuple[str, int, int], str] = {}
_JSON_TYPES = {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no white space: equal values give equal text.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1.5, None]})
    '{"a":[1.5,null],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def cache_key(payload: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of ``payload`` plus the cache schema number.

    Examples
    --------
    >>> cache_key({"seed": 0}) == cache_key({"seed": 0})
    True
    >>> cache_key({"seed": 0}) == cache_key({"seed": 1})
    False
    """
    return hashlib.sha256(canonical_json({"schema": CACHE_SCHEMA, **payload}).encode("utf-8")).hexdigest()


def hash_file(path: str | os.PathLike[str]) -> str:
    """sha256 of a file, remembered for the session by (path, size, mtime) so a big file is read once.

    The cache's own integrity check reads the bytes every time instead (:func:`verify_entry`).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "f")
    >>> _ = open(p, "wb").write(b"abc")
    >>> hash_file(p)[:12]
    'ba7816bf8f01'
    """
    file_stat = os.stat(path)
    memo = (os.path.abspath(path), file_stat.st_size, file_stat.st_mtime_ns)
    if memo not in _HASHES:
        _HASHES[memo] = _read_sha256(path)
    return _HASHES[memo]


def _read_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _model_files(directory: Path) -> list[Path]:
    """Files that define a model: weights, config and tokenizer files at the top of the directory."""
    keep = (".safetensors", ".bin", ".json", ".txt", ".model", ".pt", ".msgpack", ".h5")
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and p.name != MANIFEST and p.name.endswith(keep) and not p.name.startswith(".")
    )


def hash_directory(directory: str | os.PathLike[str]) -> str:
    """sha256 over the names and contents of a model directory's weight, config and tokenizer files.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> _ = open(os.path.join(d, "config.json"), "w").write("{}")
    >>> len(hash_directory(d))
    64
    """
    digest = hashlib.sha256()
    for path in _model_files(Path(directory)):
        digest.update(f"{path.name}\0{hash_file(path)}\n".encode())
    return digest.hexdigest()


_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "m": 10**6,
    "g": 10**9,
    "t": 10**12,
    "ki": 2**10,
    "mi": 2**20,
    "gi": 2**30,
    "ti": 2**40,
}


def memory_bytes(spec: str, total: int) -> int:
    """Bytes meant by a budget ``spec`` on a device with ``total`` bytes.

    Examples
    --------
    >>> memory_bytes("50%", 1000), memory_bytes("2KiB", 0), memory_bytes("1.5G", 0)
    (500, 2048, 1500000000)
    """
    text = spec.strip()
    if text.endswith("%"):
        return int(total * float(text[:-1]) / 100)
    match = _SIZE_RE.match(text)
    if match is None:
        raise HomogUsageError(f"{spec!r} is not a memory budget; use a size such as 24GiB or a share such as 80%")
    unit = (match.group(2) or "").lower().rstrip("b")
    return int(float(match.group(1)) * _UNITS[unit])


class _Root:
    """The cache directory, or the temporary directory that replaces it for the session when it cannot be written;
    shared by the sections of one cache, so the replacement is made (and warned about) once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.checked = False
        self.remove_fallback: weakref.finalize[Any, Any] | None = None


class ModelCache:
    """Entries of fine-tuned models under ``root``; nothing is created on disk until :meth:`build` runs.

    Parameters
    ----------
    root : path
        The cache directory (``--homog-cache-dir``). Its entries are read even when it cannot be written; new
        entries then go to a temporary directory instead, with a :class:`~pytest_homog.errors.HomogWarning`,
        and that directory is removed by :meth:`close` (or at exit).
    section : str
        The folder of ``root`` that holds this cache's entries: ``models`` (fine-tuned weights) or ``outputs``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> cache = ModelCache(pathlib.Path(tempfile.mkdtemp()) / "cache")
    >>> cache.lookup("0" * 64), cache.root.exists()
    ((None, None), False)
    """

    def __init__(self, root: str | os.PathLike[str], section: str = "models") -> None:
        self._root = _Root(Path(root))
        self.name = section

    @property
    def root(self) -> Path:
        return self._root.path

    def section(self, name: str) -> ModelCache:
        """The entries of another section of the same cache directory (and the same fallback, if any)."""
        other = copy.copy(self)
        other.name = name
        return other

    def entry_dir(self, key: str) -> Path:
        return self.root / self.name / key

    def _writable_root(self) -> Path:
        if self._root.checked:
            (self.root / self.name).mkdir(exist_ok=True)
            return self.root
        try:
            (self.root / self.name).mkdir(parents=True, exist_ok=True)
            probe = self.root / f".write-test-{os.getpid()}-{uuid.uuid4().hex}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            fallback = Path(tempfile.mkdtemp(prefix="pytest-homog-cache-"))
            # At exit too: a session that never reaches close() (a crash, a plugin without the hook) still cleans up.
            self._root.remove_fallback = weakref.finalize(self._root, shutil.rmtree, fallback, ignore_errors=True)
            warnings.warn(
                f"pytest-homog cannot write its cache directory {self.root} ({exc}); using {fallback} "
                "for this session (removed when it ends), so fine-tuned models will not be reused by the next "
                "run. Set --homog-cache-dir (or PYTEST_HOMOG_CACHE) to a writable directory.",
                HomogWarning,
                stacklevel=3,
            )
            self._root.path = fallback
            (self.root / self.name).mkdir(parents=True, exist_ok=True)
        self._root.checked = True
        return self.root

    def close(self) -> None:
        """Remove the temporary directory used in place of an unwritable cache directory, if there is one."""
        if self._root.remove_fallback is not None:
            self._root.remove_fallback()

    def lookup(self, key: str) -> tuple[Path | None, str | None]:
        """``(entry_dir, None)`` when the entry for ``key`` exists and :func:`verify_entry` trusts it.

        ``(None, None)`` when there is no entry, ``(None, problem)`` when it is damaged, so the caller rebuilds
        it and can say why. The cache is not changed, so an entry can be looked up without the lock: entries
        are renamed into place whole and never changed after that. :meth:`build` replaces a damaged entry.
        """
        entry = self.entry_dir(key)
        if not os.path.lexists(entry):
            return None, None
        problem = verify_entry(entry)
        return (entry, None) if problem is None else (None, problem)

    def created(self, key: str) -> float | None:
        """When the entry for ``key`` was built (seconds since the epoch, from its manifest), if it exists."""
        try:
            manifest = json.loads((self.entry_dir(key) / MANIFEST).read_text(encoding="utf-8"))
            return float(manifest["created"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def discard(self, key: str) -> None:
        """Remove the entry for ``key`` (renamed aside first, so no reader sees it half-deleted)."""
        entry = self.entry_dir(key)
        if not os.path.lexists(entry):
            return
        trash = entry.with_name(f".trash-{key}-{uuid.uuid4().hex}")
        try:
            os.replace(entry, trash)
        except OSError as exc:
            raise HomogCacheError(f"cannot remove cache entry {entry}: {exc}") from exc
        if trash.is_symlink() or not trash.is_dir():
            trash.unlink()
        else:
            shutil.rmtree(trash, ignore_errors=True)

    @contextmanager
    def lock(self, key: str, *, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the per-key file lock; ``on_wait`` is called once if another process holds it."""
        from filelock import FileLock, Timeout

        root = self._writable_root()
        (root / "locks").mkdir(exist_ok=True)
        lock = FileLock(str(root / "locks" / f"{key}.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if on_wait is not None:
                on_wait()
            lock.acquire()
        try:
            yield
        finally:
            lock.release()

    def build(self, key: str, write: Callable[[Path], None], payload: Mapping[str, Any]) -> Path:
        """Run ``write(tmp_dir)``, add the manifest, and rename the directory into place as ``key``'s entry.

        Call it while holding :meth:`lock`. An existing entry is replaced. If ``write`` fails (or the
        process is killed) only the temporary directory remains, and it is never read as an entry.
        """
        root = self._writable_root()
        tmp_root = root / "tmp"
        tmp_root.mkdir(exist_ok=True)
        _sweep_stale(tmp_root)
        scratch = Path(tempfile.mkdtemp(prefix=f"{key[:16]}-{os.getpid()}-", dir=tmp_root))
        try:
            write(scratch)
            files = {
                name: {"size": (scratch / name).stat().st_size, "sha256": _read_sha256(scratch / name)}
                for name in sorted(_entry_files(scratch))
            }
            if not any(name.endswith(".safetensors") for name in files):
                raise HomogCacheError(f"no safetensors weights were written for cache entry {key}")
            manifest = {
                "schema": CACHE_SCHEMA,
                "key": key,
                "payload": payload,
                "files": files,
                "created": time.time(),
            }
            (scratch / MANIFEST).write_text(canonical_json(manifest), encoding="utf-8")
            self.discard(key)
            os.replace(scratch, self.entry_dir(key))
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        return self.entry_dir(key)


def entry_digest(entry: Path) -> str:
    """sha256 of the file list (names, sizes, sha256) in an entry's manifest: the identity of the entry's content,
    so an entry rebuilt to other bytes (``--homog-refresh``) has another.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> entry = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (entry / MANIFEST).write_text('{"files": {"model.safetensors": {"size": 1, "sha256": "00"}}}')
    >>> len(entry_digest(entry))
    64
    """
    manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
    return hashlib.sha256(canonical_json(manifest["files"]).encode("utf-8")).hexdigest()


def verify_entry(entry: Path) -> str | None:
    """``None`` when the entry can be trusted, else what is wrong with it.

    Trusted means: a well-formed manifest of this entry that lists exactly the files in the entry (no file
    missing, none extra), no symbolic link or path leaving the entry, and every file with its size and
    sha256. Only regular files found inside the entry are ever read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> entry = pathlib.Path(tempfile.mkdtemp()) / ("0" * 64)
    >>> entry.mkdir()
    >>> _ = (entry / MANIFEST).write_text('{"schema": 1, "key": "' + "0" * 64 + '", "files": []}')
    >>> verify_entry(entry)
    "the manifest's files are a list, not an object of file names"
    """
    if entry.is_symlink() or not entry.is_dir():
        return "the entry is not a directory"
    try:
        found = _entry_files(entry)
    except (OSError, ValueError) as exc:
        return str(exc)
    if MANIFEST not in found:
        return "no manifest"
    try:
        manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"no readable manifest: {exc}"
    files, problem = _manifest_files(manifest, entry.name)
    if problem is not None:
        return problem
    extra = sorted(found - set(files) - {MANIFEST})
    if extra:
        return f"{extra[0]} is in the entry but not in its manifest"
    if not any(name.endswith(".safetensors") for name in files):
        return "the entry holds no safetensors weights"
    for name, (size, sha256) in sorted(files.items()):
        path = entry / name
        if name not in found:
            return f"missing file {name}"
        if path.stat().st_size != size:
            return f"{name} has {path.stat().st_size} bytes, the manifest says {size}"
        if _read_sha256(path) != sha256:
            return f"{name} does not match its sha256 in the manifest"
    return None


def _entry_files(directory: Path) -> set[str]:
    """Relative POSIX paths of the regular files under ``directory``; ``ValueError`` for anything else.

    Links are never followed, so nothing outside the directory is listed.
    """
    files = set()
    for parent, folders, names in os.walk(directory):
        for name in folders + names:
            path = Path(parent) / name
            relative = path.relative_to(directory).as_posix()
            if path.is_symlink():
                raise ValueError(f"{relative} is a symbolic link")
            if name in names:
                if not path.is_file():
                    raise ValueError(f"{relative} is not a regular file")
                files.add(relative)
    return files


def _manifest_files(manifest: Any, key: str) -> tuple[dict[str, tuple[int, str]], str | None]:
    """The manifest's files as ``{path: (size, sha256)}``, or what makes the manifest malformed."""
    if not isinstance(manifest, dict):
        return {}, f"the manifest is a JSON {_JSON_TYPES.get(type(manifest), 'value')}, not an object"
    if manifest.get("schema") != CACHE_SCHEMA or manifest.get("key") != key:
        return {}, "manifest of another entry or cache schema"
    files = manifest.get("files")
    if files is None:
        return {}, "the manifest lists no files"
    if not isinstance(files, dict):
        return {}, f"the manifest's files are a {_JSON_TYPES.get(type(files), 'value')}, not an object of file names"
    checked: dict[str, tuple[int, str]] = {}
    for name, meta in files.items():
        if not _inside(name):
            return {}, f"the manifest lists {name!r}, a path outside the entry"
        if name == MANIFEST:
            return {}, "the manifest lists itself"
        size = meta.get("size") if isinstance(meta, dict) else None
        sha256 = meta.get("sha256") if isinstance(meta, dict) else None
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            return {}, f"the manifest gives {name} no size in bytes"
        if not isinstance(sha256, str) or len(sha256) != 64 or not set(sha256) <= set("0123456789abcdef"):
            return {}, f"the manifest gives {name} no sha256"
        checked[name] = (size, sha256)
    return checked, None


def _inside(name: str) -> bool:
    """Whether a manifest path names a file inside the entry: relative, POSIX, with no ``.`` or ``..`` part."""
    return (
        bool(name)
        and "\\" not in name
        and not PurePosixPath(name).is_absolute()
        and not PureWindowsPath(name).anchor
        and all(part not in ("", ".", "..") for part in name.split("/"))
    )


def _sweep_stale(tmp_root: Path, max_age: float = 24 * 3600) -> None:
    """Remove temporary build directories that killed processes left more than ``max_age`` seconds ago."""
    now = time.time()
    for path in tmp_root.iterdir():
        try:
            if now - path.stat().st_mtime > max_age:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


class DeviceBudget:
    """Least-recently-used residency of models on one accelerator under a byte budget.

    Parameters
    ----------
    budget : int
        Bytes the resident models may take together. The model being used always stays, even when it alone
        is larger.
    move : callable
        ``move(model, to_device: bool)`` places a model on the accelerator (``True``) or back on the CPU.
    size_of : callable
        Bytes a model takes on the device.

    Examples
    --------
    >>> moves = []
    >>> budget = DeviceBudget(10, move=lambda m, on: moves.append((m, on)), size_of=len)
    >>> for name in ["aaaa", "bbbb", "aaaa", "cccc"]:
    ...     budget.use(name)
    >>> budget.resident(), moves[-2:]
    (['aaaa', 'cccc'], [('bbbb', False), ('cccc', True)])
    """

    def __init__(self, budget: int, *, move: Callable[[Any, bool], None], size_of: Callable[[Any], int]) -> None:
        self.budget = budget
        self._move = move
        self._size_of = size_of
        self._resident: OrderedDict[int, tuple[Any, int]] = OrderedDict()
        self.evictions = 0

    def use(self, model: Any) -> None:
        """Make ``model`` resident (most recently used), evicting the least recently used others to fit."""
        ident = id(model)
        if ident in self._resident:
            self._resident.move_to_end(ident)
            return
        size = self._size_of(model)
        while self._resident and self.used() + size > self.budget:
            _, (old, _) = self._resident.popitem(last=False)
            self._move(old, False)
            self.evictions += 1
        self._move(model, True)
        self._resident[ident] = (model, size)

    def used(self) -> int:
        return sum(size for _, size in self._resident.values())

    def resident(self) -> list[Any]:
        """Resident objects, least recently used first."""
        return [model for model, _ in self._resident.values()]
