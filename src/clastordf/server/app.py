"""The app factory: the Flask app serving one build, one release or a remote SPARQL endpoint."""

from __future__ import annotations

from flask import Flask

from . import pages, security, sparql
from .backend import RemoteStore
from .config import ServerConfig
from .context import EXTENSION, ServerState
from .engine import ServedStore
from .pagepack import PACK_EXTENSION, open_pack
from .store import open_store, prepare_checked_store


def create_app(config: ServerConfig, *, page_pack: bool = True) -> Flask:
    """Make the app for the build in ``config.build_dir``, or for ``config.release`` (the store is
    prepared if needed), or, with ``config.backend``, for a remote SPARQL endpoint (no store; the
    build or release folder still gives the downloads, the vocabulary page and the version).
    An unknown release raises :class:`~.config.UnknownRelease`, a bad backend :class:`ValueError`.
    Resource pages come from the build's page pack when it has one (:mod:`.prerender`), unless
    ``page_pack`` is false (every page rendered live: what the pre-renderer itself needs)."""
    config = config.resolve_release()
    app = Flask("clastordf.server")  # the package: its templates/ and static/, and its logger's name
    app.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    if config.backend:
        app.extensions[EXTENSION] = ServerState(config, None, RemoteStore.from_config(config))
    else:
        # Checked before it is opened: a damaged store is made again, or refused (StoreError).
        check = prepare_checked_store(config.data_dir, config.store_location)
        app.extensions[EXTENSION] = ServerState(
            config, check.store_dir, ServedStore(open_store(check.store_dir)), check
        )
        app.extensions[PACK_EXTENSION] = open_pack(check.store_dir, config.base) if page_pack else None

    # Before every blueprint's own hooks (the page and answer caches), after every response is made.
    app.before_request(security.check_host)
    app.after_request(security.add_security_headers)
    app.register_blueprint(sparql.bp)
    pages.register(app)
    if config.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = config.proxy_hops
        proxied = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
        # Flask's documented way to wrap the app in WSGI middleware, but wsgi_app is typed as a method.
        app.wsgi_app = proxied  # type: ignore[method-assign]
    return app
