"""Run the app under gunicorn (a production WSGI server), in-process, from ``clastordf serve``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from .config import ServerConfig

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
        from . import create_app

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
