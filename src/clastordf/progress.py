"""Progress reporting: the long stages (build, release, bulk loads) say what they do as they go.

A stage takes a :data:`Progress` callable rather than printing, so the command line shows the
messages, tests silence them and a caller may collect them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

#: Where a stage sends its one-line progress messages.
Progress = Callable[[str], None]


def stderr_progress(message: str) -> None:
    """Print ``message`` on standard error at once (standard output may be a file being written).

    >>> import contextlib, io
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     stderr_progress("[graph] …")
    >>> err.getvalue()
    '[graph] …\\n'
    """
    print(message, file=sys.stderr, flush=True)
