"""Writing files so that no reader ever sees half of one (every stage's outputs go through here), and
the date reproducible outputs carry."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it, then rename it into place.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "sub" / "out.txt"
    >>> write_atomic(target, "whole")
    >>> target.read_text(encoding="utf-8"), sorted(p.name for p in target.parent.iterdir())
    ('whole', ['out.txt'])
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def build_date() -> date | None:
    """The date ``SOURCE_DATE_EPOCH`` pins (reproducible builds), if it is set.

    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"SOURCE_DATE_EPOCH": "1715817600"}):
    ...     build_date()
    datetime.date(2024, 5, 16)
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return datetime.fromtimestamp(int(epoch), tz=UTC).date() if epoch else None


def write_durable(path: Path, text: str) -> None:
    """Write ``text`` to a new file ``path`` and flush it to disk (before a rename publishes it, so a
    crash cannot publish an empty file)."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def sync_folder(folder: Path) -> None:
    """Flush ``folder``'s entries (names created, renamed or removed in it) to disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` in one step: a reader finds the old target or the new, never no link.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> replace_symlink(folder / "current", "a")
    >>> replace_symlink(folder / "current", "b")
    >>> os.readlink(folder / "current"), sorted(p.name for p in folder.iterdir())
    ('b', ['current'])
    """
    tmp = link.with_name(f".{link.name}.new")
    tmp.unlink(missing_ok=True)  # left by a process killed here
    os.symlink(target, tmp)
    os.replace(tmp, link)


@contextmanager
def locked(folder: Path, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (``flock`` on the folder itself, so no lock file is left
    behind; the kernel drops it when the holder dies, however it dies). ``waiting`` is told when
    another process holds it.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with locked(folder):
    ...     sorted(folder.iterdir())
    []
    """
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting(f"waiting for another clastordf process writing to {folder} …")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
