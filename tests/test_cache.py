"""The model cache: keys, atomic entries, damage detection, unwritable directories, device-memory budget."""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import pytest
import torch

from pytest_homog.config import HomogConfig
from pytest_homog.errors import HomogCacheError, HomogWarning
from pytest_homog.models import finetune as finetune_module
from pytest_homog.models.cache import (
    MANIFEST,
    DeviceBudget,
    ModelCache,
    cache_key,
    canonical_json,
    hash_directory,
    hash_file,
    memory_bytes,
    parse_memory,
    verify_entry,
)
from pytest_homog.models.session import ModelSession

KEY = "a" * 64


def writer(content: bytes = b"weights"):
    def write(tmp):
        (tmp / "model.safetensors").write_bytes(content)
        (tmp / "config.json").write_text("{}")

    return write


def test_key_is_canonical_and_sensitive_to_every_field():
    base = {"seed": 0, "hyper": {"lr": 1e-3, "epochs": 3}, "train": "abc"}
    assert cache_key(base) == cache_key({"train": "abc", "hyper": {"epochs": 3, "lr": 1e-3}, "seed": 0})
    assert canonical_json(base) == '{"hyper":{"epochs":3,"lr":0.001},"seed":0,"train":"abc"}'
    variants = [{**base, "seed": 1}, {**base, "train": "abd"}, {**base, "hyper": {"lr": 1e-3, "epochs": 4}}]
    assert len({cache_key(v) for v in [base, *variants]}) == 4


def test_file_hash_follows_content(tmp_path):
    path = tmp_path / "w.bin"
    path.write_bytes(b"one")
    first = hash_file(path)
    path.write_bytes(b"two!")
    assert hash_file(path) != first
    assert hash_directory(tmp_path) != ""


def test_nothing_is_created_until_a_build(tmp_path):
    cache = ModelCache(tmp_path / "cache")
    assert cache.lookup(KEY) == (None, None)
    assert not (tmp_path / "cache").exists()


def test_build_then_lookup(tmp_path):
    cache = ModelCache(tmp_path / "cache")
    with cache.lock(KEY):
        entry = cache.build(KEY, writer(), {"seed": 0})
    assert entry == tmp_path / "cache" / "models" / KEY
    assert cache.lookup(KEY) == (entry, None)
    manifest = json.loads((entry / MANIFEST).read_text())
    assert set(manifest["files"]) == {"model.safetensors", "config.json"}
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []


@pytest.mark.parametrize("damage", ["truncate", "flip", "remove", "no-manifest"])
def test_damaged_entry_is_detected_and_replaced_by_a_rebuild(tmp_path, damage):
    cache = ModelCache(tmp_path / "cache")
    entry = cache.build(KEY, writer(b"0123456789"), {})
    weights = entry / "model.safetensors"
    if damage == "truncate":
        weights.write_bytes(b"01234")
    elif damage == "flip":
        weights.write_bytes(b"0123456780")
    elif damage == "remove":
        weights.unlink()
    else:
        (entry / MANIFEST).unlink()
    problem = verify_entry(entry)
    assert problem is not None
    found, why = cache.lookup(KEY)
    assert found is None and why == problem
    assert cache.build(KEY, writer(b"0123456789"), {}) == entry  # the rebuild replaces the damaged entry
    assert cache.lookup(KEY) == (entry, None) and weights.read_bytes() == b"0123456789"


def rewrite_manifest(entry, change):
    manifest = json.loads((entry / MANIFEST).read_text())
    change(manifest)
    (entry / MANIFEST).write_text(json.dumps(manifest))


def flip_last_byte(path):
    content = bytearray(path.read_bytes())
    content[-1] ^= 0xFF
    path.write_bytes(bytes(content))


def drop_weights_line_and_flip_weights(entry):
    rewrite_manifest(entry, lambda manifest: manifest["files"].pop("model.safetensors"))
    flip_last_byte(entry / "model.safetensors")


def empty_files_and_truncated_weights(entry):
    rewrite_manifest(entry, lambda manifest: manifest.update(files={}))
    weights = entry / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:10])


def outside_file(entry):
    """A file next to the cache, named by a path that climbs out of the entry, with its true size and sha256."""
    secret = entry.parent.parent.parent / "secret"
    secret.write_bytes(b"not for the cache")
    return secret


def traversal(entry):
    meta = {"size": outside_file(entry).stat().st_size, "sha256": hash_file(outside_file(entry))}
    rewrite_manifest(entry, lambda manifest: manifest["files"].update({"../../../secret": meta}))


def absolute_path(entry):
    meta = {"size": outside_file(entry).stat().st_size, "sha256": hash_file(outside_file(entry))}
    rewrite_manifest(entry, lambda manifest: manifest["files"].update({str(outside_file(entry)): meta}))


def symlink_out(entry):
    (entry / "config.json").unlink()
    (entry / "config.json").symlink_to(outside_file(entry))


# Each way a manifest or an entry can be wrong, and the cause the rebuild warning names.
CORRUPTIONS = {
    "no weights line, flipped weights": (
        drop_weights_line_and_flip_weights,
        r"model\.safetensors is in the entry but not in its manifest",
    ),
    "no files, truncated weights": (empty_files_and_truncated_weights, r"\S+ is in the entry but not in its manifest"),
    "empty file record": (
        lambda entry: rewrite_manifest(entry, lambda manifest: manifest.update(files={"model.safetensors": {}})),
        r"the manifest gives model\.safetensors no size in bytes",
    ),
    "files as a list": (
        lambda entry: rewrite_manifest(entry, lambda manifest: manifest.update(files=list(manifest["files"]))),
        r"the manifest's files are a list, not an object of file names",
    ),
    "path traversal": (traversal, r"the manifest lists '\.\./\.\./\.\./secret', a path outside the entry"),
    "absolute path": (absolute_path, r"the manifest lists '/.*secret', a path outside the entry"),
    "symbolic link out": (symlink_out, r"config\.json is a symbolic link"),
    "extra pickle weights": (
        lambda entry: (entry / "pytorch_model.bin").write_bytes(b"pickle"),
        r"pytorch_model\.bin is in the entry but not in its manifest",
    ),
    "manifest not an object": (
        lambda entry: (entry / MANIFEST).write_text("[]"),
        r"the manifest is a JSON list, not an object",
    ),
    "manifest listing itself": (
        lambda entry: rewrite_manifest(entry, lambda manifest: manifest["files"].update({MANIFEST: {}})),
        r"the manifest lists itself",
    ),
    "no sha256": (
        lambda entry: rewrite_manifest(entry, lambda manifest: manifest["files"]["config.json"].update(sha256=1)),
        r"the manifest gives config\.json no sha256",
    ),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_every_manifest_corruption_is_a_damaged_entry(tmp_path, corruption):
    damage, cause = CORRUPTIONS[corruption]
    cache = ModelCache(tmp_path / "cache")
    entry = cache.build(KEY, writer(b"0123456789"), {})
    damage(entry)
    found, problem = cache.lookup(KEY)
    assert found is None and re.fullmatch(cause, problem)


def test_a_path_leaving_the_entry_is_never_read(tmp_path):
    cache = ModelCache(tmp_path / "cache")
    entry = cache.build(KEY, writer(), {})
    traversal(entry)
    with files_opened() as opened:
        assert cache.lookup(KEY)[0] is None
    assert opened and all(path.is_relative_to(entry) for path in opened)


_OPENED: list[Path] | None = None


def _record_open(event, args):
    reads = event in ("open", "os.listdir", "os.scandir")
    if _OPENED is not None and reads and isinstance(args[0], (str, os.PathLike)):
        _OPENED.append(Path(os.path.abspath(args[0])))


@contextlib.contextmanager
def files_opened():
    """Every path opened or listed inside the block (audit events, so no way of reading a file escapes)."""
    global _OPENED
    if not getattr(files_opened, "hooked", False):
        sys.addaudithook(_record_open)
        files_opened.hooked = True
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None


def test_failed_build_leaves_no_entry(tmp_path):
    cache = ModelCache(tmp_path / "cache")

    def fail(tmp):
        (tmp / "model.safetensors").write_bytes(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        cache.build(KEY, fail, {})
    assert cache.lookup(KEY) == (None, None)
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []


def test_build_without_safetensors_is_refused(tmp_path):
    cache = ModelCache(tmp_path / "cache")
    with pytest.raises(HomogCacheError, match="no safetensors"):
        cache.build(KEY, lambda tmp: (tmp / "pytorch_model.bin").write_bytes(b"pickle"), {})
    assert cache.lookup(KEY) == (None, None)


def test_leftover_temporary_directory_is_never_read(tmp_path):
    cache = ModelCache(tmp_path / "cache")
    leftover = tmp_path / "cache" / "tmp" / f"{KEY[:16]}-999-x"
    leftover.mkdir(parents=True)
    (leftover / "model.safetensors").write_bytes(b"partial")
    assert cache.lookup(KEY) == (None, None)


def test_unwritable_cache_dir_falls_back_with_a_warning(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = ModelCache(blocker / "cache")
    with pytest.warns(HomogWarning, match=r"cannot write its cache directory .*using .* for this session"):
        entry = cache.build(KEY, writer(), {})
    assert cache.root != blocker / "cache"
    assert cache.lookup(KEY) == (entry, None)


def test_lock_reports_waiting(tmp_path):
    from filelock import FileLock

    cache = ModelCache(tmp_path / "cache")
    waited = []
    with cache.lock(KEY, on_wait=lambda: waited.append(1)):
        pass
    assert waited == []
    held = threading.Event()

    def hold():  # another holder (as another xdist worker would be)
        with FileLock(str(tmp_path / "cache" / "locks" / f"{KEY}.lock")):
            held.set()
            time.sleep(0.3)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    with cache.lock(KEY, on_wait=lambda: waited.append(1)):
        pass
    holder.join()
    assert waited == [1]


class Fake:
    def __init__(self, name, size):
        self.name, self.size = name, size

    def __repr__(self):
        return self.name


def test_device_budget_evicts_least_recently_used():
    moves = []
    budget = DeviceBudget(10, move=lambda m, on: moves.append((m.name, on)), size_of=lambda m: m.size)
    a, b, c, big = Fake("a", 4), Fake("b", 4), Fake("c", 4), Fake("big", 30)
    budget.use(a)
    budget.use(b)
    budget.use(a)  # a is now the most recently used
    assert moves == [("a", True), ("b", True)]
    budget.use(c)  # 12 > 10: b goes back to the cpu, not a
    assert moves[-2:] == [("b", False), ("c", True)]
    assert [m.name for m in budget.resident()] == ["a", "c"] and budget.used() == 8
    budget.use(big)  # larger than the budget alone: everything else leaves, it stays
    assert [m.name for m in budget.resident()] == ["big"] and budget.evictions == 3
    budget.use(a)
    assert [m.name for m in budget.resident()] == ["a"]


def test_memory_budget_parsing():
    assert memory_bytes("24GiB", 0) == 24 * 2**30
    assert memory_bytes("512MB", 0) == 512 * 10**6
    assert memory_bytes("80%", 1000) == 800
    assert memory_bytes("1000", 0) == 1000
    for bad in ["0%", "120%", "lots", "-1G", ""]:
        with pytest.raises(argparse.ArgumentTypeError, match="is not a memory budget"):
            parse_memory(bad)


def test_directory_hash_ignores_manifest_and_hidden_files(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"w")
    first = hash_directory(tmp_path)
    (tmp_path / MANIFEST).write_text("{}")
    (tmp_path / ".gitattributes").write_text("x")
    assert hash_directory(tmp_path) == first
    os.utime(tmp_path / "model.safetensors", ns=(1, 1))
    assert hash_directory(tmp_path) == first


def test_the_fallback_directory_goes_with_the_cache(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    closed, collected = ModelCache(blocker / "cache"), ModelCache(blocker / "cache")
    with pytest.warns(HomogWarning, match="removed when it ends"):
        closed.build(KEY, writer(), {})
        collected.build(KEY, writer(), {})
    fallbacks = [closed.root, collected.root]
    assert all(fallback.is_dir() for fallback in fallbacks)
    closed.close()
    del collected  # a session that never closes its cache: the directory goes with the object (or at exit)
    gc.collect()
    assert not any(fallback.exists() for fallback in fallbacks)


# -- through the fine-tuning session, with the tiny model ----------------------------------------------------

TRAIN = {"seed": 0, "max_steps": 1, "learning_rate": 1e-3, "batch_size": 16}


def session_on(cache_dir):
    config = HomogConfig(enabled=True, device="cpu", cache_dir=cache_dir)
    return ModelSession(config, report=lambda message: None)


@pytest.fixture(scope="module")
def trained(tiny_world, tmp_path_factory):
    """One real fine-tune: its entry is copied into each test's cache, and its files stand in for retraining."""
    model = session_on(tmp_path_factory.mktemp("cache")).finetune(
        str(tiny_world["base"]), train=str(tiny_world["train"]), **TRAIN
    )
    return model.path


@pytest.fixture
def trainings(trained, monkeypatch):
    """Training replaced by a copy of the trained files (as a rebuild with the same seed writes): counts runs."""
    runs = []

    def copy_trained(base_dir, train_data, output_dir, **options):
        runs.append(options["name"])
        for path in trained.iterdir():
            if path.name != MANIFEST:
                shutil.copy(path, output_dir / path.name)

    monkeypatch.setattr(finetune_module, "train", copy_trained)
    return runs


def finetune_in(cache_dir, tiny_world):
    return session_on(cache_dir).finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), **TRAIN)


def stored(trained, cache_dir):
    entry = cache_dir / "models" / trained.name
    shutil.copytree(trained, entry)
    return entry


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_a_corrupt_entry_is_rebuilt_with_a_warning_naming_the_cause(
    corruption, trained, trainings, tiny_world, tmp_path
):
    damage, cause = CORRUPTIONS[corruption]
    damage(stored(trained, tmp_path / "cache"))
    with pytest.warns(HomogWarning, match=rf"cache entry for .* was damaged \({cause}\); rebuilding it"):
        model = finetune_in(tmp_path / "cache", tiny_world)
    assert model.cache_status == "rebuilt" and len(trainings) == 1
    assert verify_entry(model.path) is None and not (model.path / "pytorch_model.bin").exists()
    assert model.predict([["Alice", "met", "Bob"]])


def test_a_read_only_cache_is_read(trained, trainings, tiny_world, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    stored(trained, cache_dir)
    before = sorted((path, path.stat().st_mtime_ns) for path in cache_dir.rglob("*"))
    with read_only(cache_dir, monkeypatch), warnings.catch_warnings():
        warnings.simplefilter("error")
        model = finetune_in(cache_dir, tiny_world)
    assert model.cache_status == "hit" and trainings == [] and model.path.parent.parent == cache_dir
    assert sorted((path, path.stat().st_mtime_ns) for path in cache_dir.rglob("*")) == before


def test_a_damaged_entry_of_a_read_only_cache_is_rebuilt_elsewhere_and_removed_at_the_end(
    trained, trainings, tiny_world, tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    cache_dir = tmp_path / "cache"
    flip_last_byte(stored(trained, cache_dir) / "model.safetensors")
    session = session_on(cache_dir)
    with read_only(cache_dir, monkeypatch), pytest.warns(HomogWarning) as caught:
        model = session.finetune(str(tiny_world["base"]), train=str(tiny_world["train"]), **TRAIN)
        base = session.model(str(tiny_world["base"]), task="token-classification", labels=["O", "B-X"])
        session.finetune((base.model, base.tokenizer), train=str(tiny_world["train"]), **TRAIN)
    assert [str(warning.message).split(" (")[0] for warning in caught] == [
        f"pytest-homog cannot write its cache directory {cache_dir}",
        f"pytest-homog cache entry for {model.homog_name} was damaged",
    ]
    assert model.cache_status == "rebuilt" and not model.path.is_relative_to(cache_dir)
    assert {path.name.split("-")[2] for path in (tmp_path / "temp").iterdir()} == {"cache", "base"}
    session.close()
    assert list((tmp_path / "temp").iterdir()) == []


@contextlib.contextmanager
def read_only(directory, monkeypatch):
    """``directory`` made read-only, for root too (whom permissions do not stop): writing under it fails."""

    def refuse(write):
        def guarded(path, *args, **kwargs):
            if Path(path).is_relative_to(directory):
                raise PermissionError(13, "Permission denied", str(path))
            return write(path, *args, **kwargs)

        return guarded

    for name in ("mkdir", "write_bytes", "write_text", "touch"):
        monkeypatch.setattr(Path, name, refuse(getattr(Path, name)))
    folders = [directory, *(path for path in directory.rglob("*") if path.is_dir())]
    for folder in folders:
        folder.chmod(0o555)
    try:
        yield
    finally:
        for folder in folders:
            folder.chmod(0o755)


def test_cpu_fine_tunes_are_keyed_by_the_thread_count(trained, trainings, tiny_world, tmp_path):
    stored(trained, tmp_path / "cache")
    threads = torch.get_num_threads()
    one = finetune_in(tmp_path / "cache", tiny_world)
    torch.set_num_threads(2 if threads == 1 else 1)
    try:
        other = finetune_in(tmp_path / "cache", tiny_world)
    finally:
        torch.set_num_threads(threads)
    assert one.cache_status == "hit" and other.cache_status == "trained"
    assert one.homog_key != other.homog_key
    assert finetune_in(tmp_path / "cache", tiny_world).cache_status == "hit"
