"""The Flask app that serves the dataset: SPARQL endpoint, linked-data pages, downloads.

``create_app`` is the factory (gunicorn: ``clastordf.server.wsgi:app``); blueprints hold the routes:
:mod:`.sparql` (the SPARQL 1.1 Protocol) and :mod:`.pages` (HTML pages and dereferencing). The data
is the embedded on-disk store, or a remote SPARQL endpoint (:mod:`.backend`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from flask import Flask

from .backend import RemoteStore
from .config import ServerConfig
from .store import open_store, prepare_store


@dataclass
class ServerState:
    """What the routes share: the settings and the data, read-only: the embedded store (and where it
    lives, for the query executors) or a :class:`~.backend.RemoteStore` (then ``store_dir`` is None)."""

    config: ServerConfig
    store_dir: Path | None
    store: pyoxigraph.Store | RemoteStore

    @property
    def remote(self) -> RemoteStore | None:
        """The remote backend, if the data is one."""
        return self.store if isinstance(self.store, RemoteStore) else None


def state() -> ServerState:
    """The current app's :class:`ServerState` (inside a request or app context)."""
    from flask import current_app

    return current_app.extensions["clastordf"]


def create_app(config: ServerConfig) -> Flask:
    """Make the app for the build in ``config.build_dir``, or for ``config.release`` (the store is
    prepared if needed), or, with ``config.backend``, for a remote SPARQL endpoint (no store; the
    build or release folder still gives the downloads, the vocabulary page and the version).
    An unknown release raises :class:`~.config.UnknownRelease`, a bad backend :class:`ValueError`."""
    config = config.resolve_release()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    if config.backend:
        app.extensions["clastordf"] = ServerState(config, None, RemoteStore.from_config(config))
    else:
        store_dir = prepare_store(config.data_dir, config.store_location)
        app.extensions["clastordf"] = ServerState(config, store_dir, open_store(store_dir))

    from . import pages, sparql

    app.register_blueprint(sparql.bp)
    app.register_blueprint(pages.bp)
    if config.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = config.proxy_hops
        proxied = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
        # Flask's documented way to wrap the app in WSGI middleware, but wsgi_app is typed as a method.
        app.wsgi_app = proxied  # type: ignore[method-assign]
    return app
