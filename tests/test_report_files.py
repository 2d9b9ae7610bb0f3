"""pytest_homog.report.files: a report file is replaced whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_homog.report import write_atomic


def test_write_atomic_keeps_the_old_file_when_the_rename_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.json"
    path.write_text("old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["r.json"]


def test_write_atomic_keeps_the_old_file_when_making_a_piece_fails(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("old")

    def pieces():
        yield "new, first half"
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError, match="render failed"):
        write_atomic(path, pieces())
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["r.json"]
    write_atomic(path, iter(["new, ", "in ", "pieces"]))
    assert path.read_text() == "new, in pieces"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_write_atomic_respects_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "r.json", "{}")
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == mode
