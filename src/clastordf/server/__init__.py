"""The Flask app that serves the dataset: SPARQL endpoint, linked-data pages, downloads.

``create_app`` is the factory; :func:`serve` runs it behind granian and the :mod:`.front` (ASGI:
``clastordf.server.asgi:app``; the bare WSGI app: ``clastordf.server.wsgi:app``); blueprints hold the routes:
:mod:`.sparql` (the SPARQL 1.1 Protocol) and the :mod:`.pages` package (HTML pages and dereferencing, one
blueprint per page family). The data is the embedded on-disk store, or a remote SPARQL endpoint
(:mod:`.backend`).

What the rest of clastordf (the command line) uses is imported here; the modules are the server's own.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import create_app
    from .config import ServerConfig, UnknownRelease
    from .context import ServerState, state
    from .prerender import PagesReport, prepare_pages
    from .run import BackendStatus, PortInUse, check_backend, listen, serve
    from .sparql_client import BackendError
    from .store import StoreError, prepare_store

#: Each public name and the module that holds it. They are imported when first asked for, so that a
#: query executor process, which imports only :mod:`.executor`, starts without Flask and the pages.
_PUBLIC = {
    "BackendError": "sparql_client",
    "BackendStatus": "run",
    "PagesReport": "prerender",
    "PortInUse": "run",
    "ServerConfig": "config",
    "ServerState": "context",
    "StoreError": "store",
    "UnknownRelease": "config",
    "check_backend": "run",
    "create_app": "app",
    "listen": "run",
    "prepare_pages": "prerender",
    "prepare_store": "store",
    "serve": "run",
    "state": "context",
}

__all__ = [
    "BackendError",
    "BackendStatus",
    "PagesReport",
    "PortInUse",
    "ServerConfig",
    "ServerState",
    "StoreError",
    "UnknownRelease",
    "check_backend",
    "create_app",
    "listen",
    "prepare_pages",
    "prepare_store",
    "serve",
    "state",
]


def __getattr__(name: str) -> object:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value
    return value
