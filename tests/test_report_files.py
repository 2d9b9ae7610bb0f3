"""pytest_homog.report.files: a report file is replaced whole or not at all; the PNG heatmaps."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _checks_file import clean_env, make_checks  # noqa: F401  (clean_env: autouse)

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


def test_homog_heatmaps_writes_each_matrix_as_a_png(pytester: pytest.Pytester) -> None:
    pytest.importorskip("matplotlib")  # a test dependency: installed wherever the suite runs as documented
    make_checks(pytester)
    result = pytester.runpytest("--homog", "--homog-heatmaps=heatmaps")
    result.stdout.fnmatch_lines(["homog: 1 heatmap(s) written to *heatmaps"])
    (png,) = (pytester.path / "heatmaps").iterdir()
    assert png.name == "test_checks.py-test_not_homogeneous-assert_not_homogeneous-matrix.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    assert oct(png.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_homog_heatmaps_without_matplotlib_fails_the_run(pytester: pytest.Pytester) -> None:
    make_checks(pytester)
    # a matplotlib that cannot be imported, as on a machine without the 'plot' extra
    pytester.makeconftest("import sys\nsys.modules['matplotlib'] = None\n")
    result = pytester.runpytest("--homog", "--homog-heatmaps=heatmaps")
    result.stdout.fnmatch_lines(
        [
            "*could not write the heatmaps to *heatmaps: *pip install 'pytest-homog[[]plot]'",
            "homog: the run fails: 1 report file(s) could not be written (see above)",
        ]
    )


def test_homog_heatmaps_that_names_a_file_stops_at_start_up(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("import pytest\n\n@pytest.mark.homog\ndef test_a():\n    raise SystemExit('ran')\n")
    pytester.path.joinpath("taken").write_text("")
    result = pytester.runpytest("--homog", "--homog-heatmaps=taken")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --homog-heatmaps=*taken: not a directory*"])
