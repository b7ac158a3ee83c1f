"""The Flask app that serves the dataset: SPARQL endpoint, linked-data pages, downloads.

``create_app`` is the factory (gunicorn: ``clastordf.server.wsgi:app``); blueprints hold the routes:
:mod:`.sparql` (the SPARQL 1.1 Protocol) and :mod:`.pages` (HTML pages and dereferencing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from flask import Flask

from .config import ServerConfig
from .store import open_store, prepare_store


@dataclass
class ServerState:
    """What the routes share: the settings, the read-only store and where it lives."""

    config: ServerConfig
    store_dir: Path
    store: pyoxigraph.Store


def state() -> ServerState:
    """The current app's :class:`ServerState` (inside a request or app context)."""
    from flask import current_app

    return current_app.extensions["clastordf"]


def create_app(config: ServerConfig) -> Flask:
    """Make the app for the build in ``config.build_dir``, or for ``config.release`` (the store is
    prepared if needed). An unknown release raises :class:`~.config.UnknownRelease`."""
    config = config.resolve_release()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    store_dir = prepare_store(config.data_dir, config.store_location)
    app.extensions["clastordf"] = ServerState(config, store_dir, open_store(store_dir))

    from . import pages, sparql

    app.register_blueprint(sparql.bp)
    app.register_blueprint(pages.bp)
    if config.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = config.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    return app
