"""The face the server shows clients: an ASGI app that runs the Flask (WSGI) app in threads, but only
for requests that have fully arrived, and only while their answer is being made.

A WSGI server's thread serves one connection from its first byte to its last, so a few clients that send
their headers or body slowly, or read the answer slowly, hold every thread (under gunicorn's gthread
workers eight such clients froze the server, ``/health`` included). Here the HTTP server in front
(granian, see :mod:`.run`) reads the request line and headers, within ``header_timeout``; this app
then reads the body asynchronously, within ``body_timeout`` and at most ``max_body`` bytes, and only
then hands the request to a thread. The answer goes out asynchronously as well, a batch of chunks at a
time (each batch made in a thread, then sent without one, each send within ``send_timeout``), so a
client that reads slowly holds no thread either.

Repeats: a GET the app answered 200 with a body it marked reusable (``environ[REUSE]``: an answer
over the immutable data, the same for every client) is kept, within ``memo_bytes``, under the request
line and every header the answer may depend on; the same request again is answered here, in the event
loop, without a thread or the app (``If-None-Match`` gives 304), so the cost of a repeat is the HTTP
server's alone.

Lanes: requests for the ``query_paths`` (``/sparql``) run in threads of their own, everything else
(pages, downloads, ``/health``) in others, so pages never wait behind queries. A lane takes at most
``threads + queue`` requests at once; one more is answered 503 with ``Retry-After`` at once.

The app is made in each worker process as it starts (ASGI lifespan ``startup``; or at the first
request, under an ASGI server without lifespan events), never in the process that imports this module.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import unquote_to_bytes

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

#: An answer goes out in batches of about this many bytes (one trip to a thread each).
BATCH_BYTES = 256 * 1024

#: The WSGI environ key the app sets (to True) on a request whose 200 answer any identical request may
#: get again: the front then keeps it (see the module's description).
REUSE = "clastordf.reusable"

#: The headers an answer may depend on besides the request line: the negotiated type, the host (absolute
#: URLs), what a proxy says of the original request. A request with any other conditional header, or a
#: cookie, always goes to the app.
_KEY_HEADERS = (
    b"host",
    b"accept",
    b"x-forwarded-host",
    b"x-forwarded-proto",
    b"x-forwarded-port",
    b"x-forwarded-prefix",
)
_BYPASS_HEADERS = frozenset(
    {b"if-match", b"if-modified-since", b"if-unmodified-since", b"if-range", b"range", b"cookie"}
)


@dataclass(frozen=True)
class FrontSettings:
    """The limits the front applies (see the module's description)."""

    #: Threads answering pages, downloads and ``/health``.
    page_threads: int = 4
    #: Threads answering requests for ``query_paths``.
    query_threads: int = 6
    #: Requests a lane holds waiting for a thread; one more is answered 503.
    queue: int = 64
    #: Seconds a client has to send the body once the headers are in; then 408.
    body_timeout: float = 10.0
    #: Bytes a request body may hold; more: 413 (the rest is not read).
    max_body: int = 100_000
    #: Seconds a client may take to accept each batch of an answer; then the connection is dropped.
    send_timeout: float = 30.0
    #: Paths (and what lies below them) whose requests run in the query lane.
    query_paths: tuple[str, ...] = ("/sparql",)
    #: Seconds to tell a client to wait after a 503 for a full lane.
    retry_after: int = 1
    #: Bytes of reusable answers kept to answer repeats without the app (0: none).
    memo_bytes: int = 32 * 1024 * 1024


@dataclass(frozen=True)
class _Kept:
    """A reusable answer: its headers as sent, its body and its ETag (the quoted value, or None)."""

    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes | None
    cost: int


class Memo:
    """Reusable answers by request key, least recently used first out, within ``max_bytes`` (keys,
    headers and bodies all count); one answer may take at most an eighth of it.

    >>> memo = Memo(10_000)
    >>> memo.put(("GET", "/a"), [(b"etag", b'"x"')], b"hello") and memo.get(("GET", "/a")).body
    b'hello'
    >>> memo.put(("GET", "/b"), [], b"x" * 2000), memo.get(("GET", "/b")) is None
    (False, True)
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry = max_bytes // 8
        self.size = 0
        self._kept: OrderedDict[tuple[Any, ...], _Kept] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, key: tuple[Any, ...]) -> _Kept | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            return kept

    def put(self, key: tuple[Any, ...], headers: list[tuple[bytes, bytes]], body: bytes) -> bool:
        """Keep an answer; False when it is too large to keep."""
        cost = len(body) + sum(len(n) + len(v) for n, v in headers) + sum(len(k) for k in key if k) + 200
        if cost > self.max_entry:
            return False
        etag = next((v for n, v in headers if n == b"etag" and not v.startswith(b"W/")), None)
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self.size -= old.cost
            self._kept[key] = _Kept(headers, body, etag, cost)
            self.size += cost
            while self.size > self.max_bytes:
                _, dropped = self._kept.popitem(last=False)
                self.size -= dropped.cost
        return True


def memo_key(scope: Scope) -> tuple[Any, ...] | None:
    """The key of a request a kept answer may serve: GET only, without a body-related or conditional
    header the front does not handle itself; None otherwise.

    >>> memo_key({"method": "GET", "raw_path": b"/a", "query_string": b"q=1",
    ...           "headers": [(b"host", b"h"), (b"accept", b"text/html"), (b"user-agent", b"x")]})
    ('/', b'/a', b'q=1', b'h', b'text/html', None, None, None, None)
    >>> memo_key({"method": "GET", "path": "/a", "headers": [(b"range", b"bytes=0-1")]}) is None
    True
    """
    if scope.get("method") != "GET":
        return None
    found: dict[bytes, bytes] = {}
    for name, value in scope.get("headers", ()):
        name = name.lower()
        if name in _BYPASS_HEADERS or name in found:  # a repeated header: leave its reading to the app
            return None
        found[name] = value
    raw_path = scope.get("raw_path") or scope.get("path", "/").encode("utf-8")
    return (scope.get("root_path", "") or "/", raw_path, scope.get("query_string", b""), *map(found.get, _KEY_HEADERS))


def _not_modified(kept: _Kept, scope: Scope) -> bool:
    """Whether the request's ``If-None-Match`` names the kept answer's ETag (or is ``*``)."""
    if kept.etag is None:
        return False
    for name, value in scope.get("headers", ()):
        if name.lower() == b"if-none-match":
            tags = [t.strip().removeprefix(b"W/") for t in value.split(b",")]
            return b"*" in tags or kept.etag in tags
    return False


class _Lane:
    """Threads for one kind of request, and the count of requests given to them (touched only from the
    event loop's thread)."""

    def __init__(self, name: str, threads: int, queue: int) -> None:
        self.name = name
        self.threads = max(1, threads)
        self.capacity = self.threads + max(0, queue)
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix=f"clastordf-{name}")
        self.pending = 0

    async def run(self, func: Callable[..., Any], *args: Any) -> Any:
        self.pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.pool, func, *args)
        finally:
            self.pending -= 1


class _Response:
    """What the WSGI app answered: status and headers (from ``start_response``), what it wrote through
    ``write``, and the rest of its body."""

    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.started = False
        self.written: list[bytes] = []

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self.started:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status = int(status.split(" ", 1)[0])
        self.headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        return self.written.append


def environ_of(scope: Scope, body: bytes) -> dict[str, Any]:
    """The WSGI environ for an ASGI HTTP ``scope`` whose whole ``body`` has been read.

    The path is the raw one, percent-decoded to bytes shown as latin-1 (as WSGI wants; the ASGI ``path``
    has undecodable bytes replaced). Header names with an underscore are dropped, as most WSGI servers
    do: ``X_Forwarded_For`` would otherwise pose as ``X-Forwarded-For``.

    >>> scope = {"type": "http", "method": "GET", "path": "/a b", "raw_path": b"/a%20b/%FF", "query_string": b"q=1",
    ...          "headers": [(b"host", b"h"), (b"x_forwarded_for", b"1.2.3.4"), (b"a", b"1"), (b"a", b"2")],
    ...          "client": ("127.0.0.2", 5000), "server": ("127.0.0.1", "8000"), "scheme": "http"}
    >>> env = environ_of(scope, b"")
    >>> env["PATH_INFO"], env["QUERY_STRING"], env["HTTP_HOST"], env["HTTP_A"], env["REMOTE_ADDR"]
    ('/a b/ÿ', 'q=1', 'h', '1,2', '127.0.0.2')
    >>> "HTTP_X_FORWARDED_FOR" in env, env["CONTENT_LENGTH"], env["SERVER_PORT"]
    (False, '0', '8000')
    """
    root = scope.get("root_path", "")
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    path = unquote_to_bytes(raw_path).decode("latin-1")
    script = root.encode("utf-8").decode("latin-1")
    if script and path.startswith(script):
        path = path[len(script) :]
    server = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script,
        "PATH_INFO": path,
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = str(client[0]), str(client[1])
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").lower()
        if "_" in name or name in ("content-length", "transfer-encoding"):  # the body is read: its length is known
            continue
        key = "CONTENT_TYPE" if name == "content-type" else "HTTP_" + name.upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


class Front:
    """The ASGI app: ``load()`` makes the WSGI app (once per process), ``close(app)`` lets it go."""

    def __init__(
        self,
        load: Callable[[], WSGIApp],
        settings: FrontSettings | None = None,
        close: Callable[[WSGIApp], None] | None = None,
    ) -> None:
        self.settings = settings or FrontSettings()
        self._load = load
        self._close = close
        self._app: WSGIApp | None = None
        self._lanes: dict[str, _Lane] | None = None
        self._lock = threading.Lock()
        self.memo = Memo(self.settings.memo_bytes) if self.settings.memo_bytes > 0 else None

    # --- the app, made once per process ----------------------------------------------------------------

    def _ready(self) -> tuple[WSGIApp, dict[str, _Lane]]:
        if self._app is None or self._lanes is None:
            with self._lock:
                if self._app is None or self._lanes is None:
                    settings = self.settings
                    self._app = self._load()
                    self._lanes = {
                        "page": _Lane("page", settings.page_threads, settings.queue),
                        "query": _Lane("query", settings.query_threads, settings.queue),
                    }
        return self._app, self._lanes

    def close(self) -> None:
        """Stop the threads (requests waiting for one are dropped) and let the app go; idempotent."""
        with self._lock:
            app, lanes = self._app, self._lanes
            self._app = self._lanes = None
        for lane in (lanes or {}).values():
            lane.pool.shutdown(wait=False, cancel_futures=True)
        if app is not None and self._close is not None:
            self._close(app)

    def lane_of(self, path: str) -> str:
        """``query`` for the query paths and below them, else ``page``.

        >>> front = Front(lambda: None)  # type: ignore[arg-type,return-value]
        >>> front.lane_of("/sparql"), front.lane_of("/sparql/x"), front.lane_of("/sparqlx"), front.lane_of("/")
        ('query', 'query', 'page', 'page')
        """
        for prefix in self.settings.query_paths:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return "query"
        return "page"

    # --- ASGI --------------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self._ready()
                except Exception as e:  # the worker cannot serve: say why and let the server stop it
                    log.exception("the app could not be made")
                    await send({"type": "lifespan.startup.failed", "message": f"{type(e).__name__}: {e}"})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings = self.settings
        app, lanes = self._ready()
        body = await self._read_body(scope, receive, send)
        if body is None:
            return
        key = memo_key(scope) if self.memo is not None and not body else None
        if key is not None:
            assert self.memo is not None
            kept = self.memo.get(key)
            if kept is not None:
                await self._replay(send, kept, scope)
                return
        lane = lanes[self.lane_of(scope.get("path", "/"))]
        if lane.pending >= lane.capacity:
            log.warning("%s lane full (%d requests): 503", lane.name, lane.pending)
            await _plain(
                send, 503, "the server is busy; try again shortly", {b"retry-after": str(settings.retry_after).encode()}
            )
            return
        response = _Response()
        chunks: Iterator[bytes] | None = None
        # granian drops what is sent to a client that went away without saying so: watch for it, so a
        # long answer stops being made.
        gone = asyncio.create_task(_disconnected(receive))
        environ = environ_of(scope, body)
        try:
            try:
                first, chunks = await lane.run(_start, app, environ, response)
            except Exception:
                log.exception("unexpected error answering %s %s", scope.get("method"), scope.get("path"))
                await _plain(send, 500, "internal server error; the details are in the server log")
                return
            if key is not None and chunks is None and response.status == 200 and environ.get(REUSE) is True:
                assert self.memo is not None
                self.memo.put(key, response.headers, b"".join(response.written + first))
            start = {"type": "http.response.start", "status": response.status, "headers": response.headers}
            await self._send(send, start)
            batch, more = response.written + first, chunks is not None
            while True:
                # The last batch says it is the last: an answer made in memory leaves in one write
                # after its head, not followed by an empty one.
                await self._send(send, {"type": "http.response.body", "body": b"".join(batch), "more_body": more})
                if not more:
                    break
                if gone.done():
                    raise ConnectionResetError("the client went away")
                assert chunks is not None
                batch, more = await lane.run(_pull, chunks)
        except (TimeoutError, OSError, RuntimeError) as e:
            # The client went away or stopped reading: nothing more can reach it.
            log.info("answer to %s %s not delivered: %s", scope.get("method"), scope.get("path"), e or type(e).__name__)
        finally:
            gone.cancel()
            if chunks is not None:
                await lane.run(_close, chunks)

    async def _replay(self, send: Send, kept: _Kept, scope: Scope) -> None:
        """Send a kept answer (or 304 when the client has it already)."""
        try:
            if _not_modified(kept, scope):
                headers = [(n, v) for n, v in kept.headers if n not in (b"content-length", b"content-type")]
                await self._send(send, {"type": "http.response.start", "status": 304, "headers": headers})
                await self._send(send, {"type": "http.response.body", "body": b"", "more_body": False})
                return
            await self._send(send, {"type": "http.response.start", "status": 200, "headers": kept.headers})
            await self._send(send, {"type": "http.response.body", "body": kept.body, "more_body": False})
        except (TimeoutError, OSError, RuntimeError) as e:
            log.info("answer to GET %s not delivered: %s", scope.get("path"), e or type(e).__name__)

    async def _send(self, send: Send, message: Message) -> None:
        async with asyncio.timeout(self.settings.send_timeout):  # no task per send, unlike wait_for
            await send(message)

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole request body, or None once the client was answered (413, 408) or went away."""
        limit = self.settings.max_body
        too_large = f"the request body is larger than the limit of {limit} bytes"
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _plain(send, 413, too_large, close=True)
            return None
        parts: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.settings.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return None
                    part = message.get("body", b"")
                    size += len(part)
                    if size > limit:
                        await _plain(send, 413, too_large, close=True)
                        return None
                    parts.append(part)
                    if not message.get("more_body", False):
                        return b"".join(parts)
        except TimeoutError:
            await _plain(
                send,
                408,
                f"the request body did not arrive within {self.settings.body_timeout:g} s",
                close=True,
            )
            return None


# --- in the lane's threads ------------------------------------------------------------------------------


def _start(app: WSGIApp, environ: dict[str, Any], response: _Response) -> tuple[list[bytes], Iterator[bytes] | None]:
    """Call the app; its first batch of body, and the rest of it (None when the first batch is all)."""
    result = app(environ, response.start_response)
    response.started = True
    if isinstance(result, list | tuple):  # the common case: Flask's answers are made in memory
        parts = list(result)
        _close(result)
        return parts, None
    chunks = _Closing(result)
    batch, more = _pull(chunks)
    if not more:
        _close(chunks)
        return batch, None
    return batch, chunks


class _Closing(Iterator[bytes]):
    """An iterator over a WSGI body that keeps the body's ``close``."""

    def __init__(self, body: Iterable[bytes]) -> None:
        self._body = body
        self._it = iter(body)

    def __next__(self) -> bytes:
        return next(self._it)

    def close(self) -> None:
        _close(self._body)


def _pull(chunks: Iterator[bytes]) -> tuple[list[bytes], bool]:
    """About :data:`BATCH_BYTES` of the body, and whether there is more."""
    batch: list[bytes] = []
    size = 0
    for chunk in chunks:
        batch.append(chunk)
        size += len(chunk)
        if size >= BATCH_BYTES:
            return batch, True
    return batch, False


def _close(body: object) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            log.exception("closing an answer failed")


async def _disconnected(receive: Receive) -> None:
    """Return once the client has gone (the body has been read: nothing else can arrive)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _plain(
    send: Send, status: int, message: str, headers: dict[bytes, bytes] | None = None, close: bool = False
) -> None:
    """A one-line plain-text answer made here, without the app."""
    body = (message + "\n").encode()
    head = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    head += list((headers or {}).items())
    if close:  # the rest of the request was not read: the connection cannot carry another one
        head.append((b"connection", b"close"))
    try:
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": body, "more_body": False})
    except (OSError, RuntimeError):
        pass  # the client is gone
