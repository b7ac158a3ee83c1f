"""The bare WSGI app, for a WSGI server: ``gunicorn 'clastordf.server.wsgi:app'`` (settings from the
environment). It has none of the front's protections against slow clients (:mod:`.front`): prefer
``clastordf serve``, or :mod:`.asgi` under an ASGI server."""

from __future__ import annotations

from .app import create_app
from .config import ServerConfig

app = create_app(ServerConfig.from_env())
