"""Writing a report file so that a reader never sees half of it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: str | os.PathLike[str], text: str | Iterable[str]) -> None:
    """Write ``text`` (a string, or its pieces in order) to a temporary file next to ``path`` and rename it into
    place, so a reader never sees a half-written file; if making a piece fails, the old file is kept.

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
