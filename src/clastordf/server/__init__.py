"""The Flask app that serves the dataset: SPARQL endpoint, linked-data pages, downloads.

``create_app`` is the factory (gunicorn: ``clastordf.server.wsgi:app``); blueprints hold the routes:
:mod:`.sparql` (the SPARQL 1.1 Protocol) and the :mod:`.pages` package (HTML pages and dereferencing, one
blueprint per page family). The data is the embedded on-disk store, or a remote SPARQL endpoint
(:mod:`.backend`).

What the rest of clastordf (the command line) uses is imported here; the modules are the server's own.
"""

from __future__ import annotations

from .app import create_app
from .config import ServerConfig, UnknownRelease
from .context import ServerState, state
from .run import BackendStatus, check_backend, serve
from .sparql_client import BackendError
from .store import StoreError, prepare_store

__all__ = [
    "BackendError",
    "BackendStatus",
    "ServerConfig",
    "ServerState",
    "StoreError",
    "UnknownRelease",
    "check_backend",
    "create_app",
    "prepare_store",
    "serve",
    "state",
]
