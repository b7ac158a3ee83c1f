"""Run the app under gunicorn (a production WSGI server), in-process, from ``clastordf serve``; and
what ``serve`` checks first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from .backend import RemoteStore
from .config import ServerConfig
from .linkeddata import Site
from .sparql_client import BackendError

if TYPE_CHECKING:
    from flask import Flask


class GunicornServer(BaseApplication):
    """gunicorn with our settings; each worker builds its own app (and executor pool) after forking."""

    def __init__(self, config: ServerConfig, options: dict[str, Any]):
        self.server_config = config
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from .app import create_app

        return create_app(self.server_config)


def serve(config: ServerConfig, host: str, port: int, workers: int, threads: int) -> None:
    """Serve until interrupted. Blocks."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        # A worker stuck longer than this is replaced; queries are stopped well before (query_timeout).
        "timeout": int(config.query_timeout * 3 + 30),
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        # Request limits before Flask sees the request.
        "limit_request_line": 8190,
        "limit_request_field_size": 8190,
    }
    GunicornServer(config, options).run()


@dataclass(frozen=True)
class BackendStatus:
    """The remote backend as ``serve --backend`` finds it before serving: its endpoint, the graph the
    server asks for (None: the engine's default graph), and the triples that graph holds, or, when the
    backend did not answer, why (``error``)."""

    endpoint: str
    graph: str | None
    triples: int | None = None
    error: str | None = None


def check_backend(config: ServerConfig) -> BackendStatus:
    """Count the triples of the graph ``config``'s remote backend serves, as the pages will query it.

    A backend that does not answer is no error (it may be up later, and ``/health`` will tell): the
    status says why. A bad backend setting raises :class:`ValueError` (as :meth:`RemoteStore.from_config`).
    """
    store = RemoteStore.from_config(config)
    try:
        triples = Site(store, config.base).count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    except BackendError as exc:
        return BackendStatus(store.endpoint.url, store.graph, error=exc.message)
    finally:
        store.close()
    return BackendStatus(store.endpoint.url, store.graph, triples)
