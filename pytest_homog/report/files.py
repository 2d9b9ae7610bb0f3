"""Writing report files so that a reader never sees half of one: the text reports, and the PNG heatmaps."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from pytest_homog.report.run import RunReport

__all__ = ["heatmap_file_name", "write_atomic", "write_heatmaps"]


def write_atomic(path: str | os.PathLike[str], text: str | bytes | Iterable[str]) -> None:
    """Write ``text`` (a string, its pieces in order, or bytes) to a temporary file next to ``path`` and rename
    it into place, so a reader never sees a half-written file; if making a piece fails, the old file is kept.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "r.json")
    >>> write_atomic(p, "{}")
    >>> open(p).read(), [f for f in os.listdir(os.path.dirname(p)) if f != "r.json"]
    ('{}', [])
    """
    target = Path(path)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as binary:
                binary.write(text)
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.writelines([text] if isinstance(text, str) else text)
        # mkstemp makes the file private (0600); a report is as readable as any file the user writes (junit.xml)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _umask() -> int:
    """The process's umask. Reading it means setting it: the old value is put back at once."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def heatmap_file_name(title: str, taken: set[str]) -> str:
    """The PNG file of the heatmap titled ``title`` (test id, check, detail): the title with every run of
    characters other than letters, digits, ``.``, ``_`` and ``-`` made one ``-``, a number added when another
    heatmap of the run has that name already; the name is added to ``taken``.

    Examples
    --------
    >>> taken = set()
    >>> heatmap_file_name("tests/test_a.py::test_group[x] · assert_not_homogeneous · matrix", taken)
    'tests-test_a.py-test_group-x-assert_not_homogeneous-matrix.png'
    >>> heatmap_file_name("tests/test_a.py::test_group[x] · assert_not_homogeneous · matrix", taken)
    'tests-test_a.py-test_group-x-assert_not_homogeneous-matrix-2.png'
    """
    stem = re.sub(r"[^\w.-]+", "-", title, flags=re.ASCII).strip("-.") or "heatmap"
    name, k = f"{stem}.png", 1
    while name in taken:
        k += 1
        name = f"{stem}-{k}.png"
    taken.add(name)
    return name


def write_heatmaps(report: RunReport, directory: Path) -> None:
    """Write every similarity matrix the reports show as a PNG heatmap
    (:meth:`~pytest_homog.metrics.similarity.SimilarityMatrix.plot`) into ``directory``, made if missing, one
    file per matrix named by :func:`heatmap_file_name`. What was written goes to ``report.outputs``; a file that
    cannot be written, or a missing matplotlib, to ``report.errors`` (it fails the run: the heatmaps were asked
    for)."""
    import numpy as np

    from pytest_homog.errors import HomogUsageError
    from pytest_homog.metrics.similarity import SimilarityMatrix
    from pytest_homog.report.table import shown_details

    matrices = [(title, matrix) for title, _, matrix in shown_details(report) if matrix is not None]
    if not matrices:
        return
    taken: set[str] = set()
    try:
        directory.mkdir(exist_ok=True)
        for title, (names, values, by) in matrices:
            path = directory / heatmap_file_name(title, taken)
            matrix = SimilarityMatrix(tuple(names), np.array(values, dtype=float), by or "similarity")
            write_atomic(path, cast(bytes, matrix.plot()))  # without a path, plot() gives the PNG's bytes
    except (OSError, HomogUsageError) as exc:
        report.errors.append(f"homog: could not write the heatmaps to {directory}: {exc}")
        return
    report.outputs.append(f"homog: {len(matrices)} heatmap(s) written to {directory}")
