"""Serve the app from ``clastordf serve``: granian in front, the :class:`~.front.Front` ASGI app in each
worker, the Flask app in the front's threads; and what ``serve`` checks first.

Why granian. The server faces the public, so a client that is slow, or slow on purpose, must cost a
socket and a little memory, never a thread that others wait for. gunicorn's gthread workers read
requests in their threads: eight clients that never finished their headers held all 2 × 4 of them,
``/health`` included. Compared, for this app:

* granian (Rust, hyper): reads request lines and headers in its own runtime and closes a connection
  whose headers are not in within ``--http1-header-read-timeout`` (the timer does not restart with each
  byte); limits concurrent requests per worker (backpressure); restarts workers that die; stops
  gracefully, at once when idle. Its WSGI interface, though, reads the body in the Python thread, so
  dribbled bodies would hold threads: it runs our ASGI :class:`~.front.Front` instead, which reads the
  whole body first (with its own timeout and size cap) and writes answers without holding a thread.
* uvicorn (+ a2wsgi for the WSGI app): no header read timeout at all (a connection that sends half a
  request line stays open for good), and a2wsgi reads bodies in the WSGI thread too and leaks a thread
  when a client goes away mid-answer.
* gunicorn with async workers (gevent/eventlet): monkey-patching under pyoxigraph and the executor
  processes' pipes, and its timeouts are still per worker rather than per connection.

How it runs: this process binds the port itself (without ``SO_REUSEPORT``, unlike granian's default on
Linux, so a second server on the same port fails at once with a plain message instead of silently sharing
it), then starts granian's supervisor, which forks the workers; each accepts from that one socket and
makes its own app, store handle, executor pool and threads (:func:`make_front`) as it starts. A worker
that dies is replaced. SIGTERM or SIGINT stops the server: at once when idle; requests in progress get up
to :attr:`~.config.ServerConfig.shutdown_grace` seconds (a connection still sending its headers holds
the stop at most ``header_timeout``).

Other front servers: ``clastordf.server.asgi:app`` is the same front for any ASGI server (give it a
header read timeout of its own); ``clastordf.server.wsgi:app`` is the bare Flask app for a WSGI server,
without the front's protections.
"""

from __future__ import annotations

import errno
import logging
import math
import multiprocessing
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from .app import create_app
from .backend import RemoteStore
from .config import ServerConfig
from .context import EXTENSION
from .front import Front, FrontSettings
from .linkeddata import Site
from .sparql import EXECUTOR_KEY, executor_pool
from .sparql_client import BackendError

if TYPE_CHECKING:
    from flask import Flask

#: Connections the kernel queues for the workers to accept.
BACKLOG = 2048
#: Requests one worker takes at once (from granian's runtime into Python; each holds at most its body).
BACKPRESSURE = 1024


class PortInUse(OSError):
    """The port is taken, or the address cannot be listened on; the message says which, plainly."""


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` for the workers to share, or :class:`PortInUse`.

    ``SO_REUSEADDR`` (a restart need not wait for old connections to time out) but not ``SO_REUSEPORT``:
    a port some server listens on, or one a stopping server still holds, is refused. ``TCP_NODELAY``,
    which the accepted connections inherit on Linux: an answer goes out as its head and then its body,
    and with Nagle's algorithm the body waited for the client's delayed ACK, 40 ms on loopback.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise PortInUse(f"cannot listen on {host}:{port}: {e.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise PortInUse(f"port {port} is in use (another clastordf serve?)") from None
        raise PortInUse(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    return sock


def front_settings(config: ServerConfig) -> FrontSettings:
    """The front's limits from the server's settings: pages get ``threads`` threads, queries
    ``query_slots`` + 2 (the two answer refusals and cached answers while every slot is taken).

    >>> from pathlib import Path
    >>> front_settings(ServerConfig(Path("build"))).query_threads
    10
    """
    return FrontSettings(
        page_threads=config.threads,
        query_threads=config.query_slots + 2,
        queue=config.request_queue,
        body_timeout=config.body_timeout,
        max_body=config.max_request_bytes,
    )


def close_app(app: Flask) -> None:
    """Let a worker's app go: stop its query executors and its backend connections."""
    pool = app.extensions.get(EXECUTOR_KEY)
    if pool is not None:
        pool.close()
    remote = app.extensions[EXTENSION].remote
    if remote is not None:
        remote.close()


def start_app(config: ServerConfig) -> Flask:
    """One worker's Flask app, its query executors started and their store open before the worker
    serves (a fraction of a second, while the worker starts), so the first query does not wait for them.
    """
    app = create_app(config)
    if app.extensions[EXTENSION].store_dir is not None:
        with app.app_context():
            pool = executor_pool()
        if not pool.wait_ready():
            # Serve anyway: a query starts a fresh executor (the spare) if one is broken, and says so.
            logging.getLogger(__name__).warning("the query executors did not all open the store in time")
    return app


def make_front(config: ServerConfig) -> Front:
    """The ASGI app of one worker: the :class:`~.front.Front` over the Flask app, which it makes when the
    worker starts (:func:`start_app`). The worker stops with its executors when the server's main
    process is gone (:func:`watch_parent`)."""
    front = Front(partial(start_app, config), front_settings(config), close_app)  # type: ignore[arg-type]
    watch_parent(front.close)
    return front


def watch_parent(on_orphaned: Callable[[], None], interval: float = 1.0) -> threading.Thread:
    """Exit this process (after ``on_orphaned``) once its parent is gone.

    A worker whose main process was killed (``kill -9``: no signal reaches the workers) would otherwise
    keep its port-less socket, its store and its executors forever. The check is the parent pid
    changing (the orphan is re-parented), every ``interval`` seconds.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        logging.getLogger(__name__).warning("the server's main process %d is gone: this worker stops", parent)
        try:
            on_orphaned()
        finally:
            os._exit(1)

    thread = threading.Thread(target=watch, name="clastordf-parent-watch", daemon=True)
    thread.start()
    return thread


def _granian_server() -> type[Any]:
    """granian's multi-process server, made to accept on the socket :func:`listen` bound."""
    from granian._granian import SocketHolder
    from granian.server.mp import MPServer

    class Server(MPServer):
        def __init__(self, listener: socket.socket, **options: Any) -> None:
            self._listener = listener
            super().__init__(**options)

        def _init_shared_socket(self) -> None:
            # granian's own path on platforms without SO_REUSEPORT: one socket, inherited by the
            # forked workers (granian closes it in this process once the workers are stopped).
            holder: Any = SocketHolder(self._listener.fileno(), False, BACKLOG)  # type: ignore[call-arg]
            self._ssp = None
            self._shd = holder
            self._sfd = holder.get_fd()
            self._sso = self._listener

    return Server


def serve(config: ServerConfig, listener: socket.socket) -> None:
    """Serve on ``listener`` (from :func:`listen`) until SIGTERM or SIGINT. Blocks.

    Raises :class:`ValueError` when the memory budget leaves the executors too little.
    """
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LOGGING_CONFIG

    config.check_memory()
    # The workers inherit the listening socket: they must be forked (the executors they start are
    # spawned, see .executor).
    if multiprocessing.get_start_method(allow_none=True) != "fork":
        multiprocessing.set_start_method("fork", force=True)
    host, port = listener.getsockname()[:2]
    logging_config = {
        **LOGGING_CONFIG,
        "loggers": {
            **LOGGING_CONFIG["loggers"],  # type: ignore[dict-item]
            "clastordf": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
    server = _granian_server()(
        listener,
        target="clastordf.server",  # only named in granian's logs: the loader below makes the app
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=config.workers,
        blocking_threads=1,  # the ASGI event loop's; the front has its own threads
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(header_read_timeout=max(1, round(config.header_timeout * 1000))),
        websockets=False,
        backlog=BACKLOG,
        backpressure=BACKPRESSURE,
        log_access=True,
        log_dictconfig=logging_config,
        respawn_failed_workers=True,
        workers_kill_timeout=math.ceil(config.shutdown_grace),
    )
    server.serve(target_loader=partial(make_front, config), wrap_loader=False)


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
