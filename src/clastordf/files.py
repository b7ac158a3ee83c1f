"""Writing files so that no reader ever sees half of one (every stage's outputs go through here), and
the date reproducible outputs carry."""

from __future__ import annotations

import os
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
