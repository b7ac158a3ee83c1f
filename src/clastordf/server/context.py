"""What the routes of one app share: its settings and its data (see :func:`state`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from .backend import RemoteStore
from .config import ServerConfig
from .engine import ServedStore
from .store import StoreCheck


@dataclass
class ServerState:
    """What the routes share: the settings and the data, read-only: the embedded store (a
    :class:`~.engine.ServedStore`, and where it lives, for the query executors) or a
    :class:`~.backend.RemoteStore` (then ``store_dir`` is None); and what the embedded store's check found
    when this app opened it (``/health`` reports it)."""

    config: ServerConfig
    store_dir: Path | None
    store: ServedStore | RemoteStore
    store_check: StoreCheck | None = None

    @property
    def remote(self) -> RemoteStore | None:
        """The remote backend, if the data is one."""
        return self.store if isinstance(self.store, RemoteStore) else None


#: Where :func:`~.app.create_app` keeps the :class:`ServerState` in ``app.extensions``.
EXTENSION = "clastordf"


def state() -> ServerState:
    """The current app's :class:`ServerState` (inside a request or app context)."""
    return current_app.extensions[EXTENSION]
