"""Writing files so that no reader ever sees half of one (every stage's outputs go through here)."""

from __future__ import annotations

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
