"""A small SPARQL 1.1 Protocol client for a remote backend (:mod:`.backend`).

* Requests are form-encoded POSTs with an explicit ``Accept``: the one way every engine understands
  (Virtuoso 7.2 never answers a POST of ``application/sparql-query`` and answers HTML when ``Accept``
  is missing). Reads only: the front-end has refused updates before anything gets here.
* Connections are kept alive and reused (a small pool per process); when one the backend has closed
  while it sat idle fails, the idle ones are dropped and the request is sent again once, on a new
  connection, which is safe because queries do not change anything.
* Every exchange has a deadline for the whole of it (connecting, waiting, reading), not only for each
  socket operation, and answers are read as they arrive: SPARQL JSON results row by row
  (:func:`read_results`), so a capped answer stops reading after the rows it needs.
* Failures are :class:`BackendError` with a ``kind`` the callers map to their status codes; messages
  name the backend by its URL without credentials.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import http.client
import io
import json
import os
import queue
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from .. import __version__

#: What a backend error is: ``unavailable`` (cannot connect, connection lost), ``timeout`` (no full
#: answer before the deadline), ``refused`` (the backend answered 400: a query it would not run),
#: ``failed`` (any other error status), ``bad-answer`` (an answer that cannot be read), ``too-large``.
KINDS = ("unavailable", "timeout", "refused", "failed", "bad-answer", "too-large")
#: Idle connections kept per process; more may be open at once, but only these many wait for reuse.
POOL_SIZE = 8
#: Bytes read at a time from the socket.
CHUNK = 64 * 1024
#: Bytes of an answer's unread rest read to keep its connection (more: the connection is closed).
DRAIN_BYTES = 64 * 1024
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_BNODE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-.]*(?<!\.)")


class BackendError(Exception):
    """The backend did not give a usable answer; ``kind`` is one of :data:`KINDS`."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Endpoint:
    """Where the backend answers: an ``http``/``https`` URL, and HTTP Basic credentials if it has any.

    >>> e = Endpoint.parse("http://reader:s3cret@localhost:8890/sparql?x=1")
    >>> e.url, e.host, e.port, e.target, e.authorization is not None
    ('http://localhost:8890/sparql?x=1', 'localhost', 8890, '/sparql?x=1', True)
    >>> Endpoint.parse("https://example.org").target, Endpoint.parse("https://example.org").port
    ('/', 443)
    """

    #: The URL without credentials: safe to show in messages and in /health.
    url: str
    scheme: str
    host: str
    port: int
    #: The request target: path and query string.
    target: str
    authorization: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        """Check and split ``url``; a :class:`ValueError` says what is wrong with it."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as e:
            raise ValueError(f"{url!r} is not a URL: {e}") from None
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"{url!r} is not an http:// or https:// URL")
        if not parts.hostname:
            raise ValueError(f"{url!r} names no host")
        if parts.fragment:
            raise ValueError(f"{url!r} has a #fragment, which an endpoint URL cannot have")
        authorization = None
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        host = parts.hostname
        netloc = f"[{host}]" if ":" in host else host
        if port is not None:
            netloc += f":{port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(
            f"{parts.scheme}://{netloc}{target}",
            parts.scheme,
            host,
            port or (443 if parts.scheme == "https" else 80),
            target,
            authorization,
        )


# --- connections ----------------------------------------------------------------------------------


def _remaining(deadline: float, endpoint: Endpoint, timeout: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise BackendError(
            "timeout", f"the SPARQL backend {endpoint.url} did not answer within the time limit of {timeout:g} s"
        )
    return left


class Reply:
    """A response being read: status, media type, and the body as a stream (:meth:`stream`).

    Close it when done (it is a context manager): the connection goes back to the pool only if the
    body was read to its end, since a half-read response would be taken for the next one.
    """

    def __init__(
        self,
        pool: ConnectionPool,
        conn: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        deadline: float,
        timeout: float,
    ) -> None:
        self._pool = pool
        self._conn = conn
        self._response = response
        self._deadline = deadline
        self._timeout = timeout
        self._read = 0
        self.status = response.status
        self.media_type = (response.getheader("Content-Type") or "").split(";", 1)[0].strip().lower()
        self.headers = response.headers
        #: The first error the stream raised, kept because a parser reading from it may replace it.
        self.error: BackendError | None = None

    def read(self, size: int = CHUNK, max_bytes: int | None = None) -> bytes:
        """Up to ``size`` bytes of the body (``b""`` at its end), within the deadline and ``max_bytes``."""
        try:
            left = _remaining(self._deadline, self._pool.endpoint, self._timeout)
            if self._conn.sock is not None:
                self._conn.sock.settimeout(left)  # so one read cannot outlast the deadline
            try:
                data = self._response.read1(size)
            except TimeoutError:
                _remaining(self._deadline, self._pool.endpoint, self._timeout)
                raise BackendError(
                    "timeout",
                    f"the SPARQL backend {self._pool.endpoint.url} did not answer within "
                    f"the time limit of {self._timeout:g} s",
                ) from None
            except (OSError, http.client.HTTPException) as e:
                raise BackendError(
                    "unavailable", f"the SPARQL backend {self._pool.endpoint.url} broke off its answer: {_reason(e)}"
                ) from None
            self._read += len(data)
            if max_bytes is not None and self._read > max_bytes:
                raise BackendError(
                    "too-large",
                    f"the answer of the SPARQL backend is larger than "
                    f"{max_bytes // 2**20} MiB; select fewer or shorter values",
                )
        except BackendError as e:
            self.error = self.error or e
            raise
        return data

    def stream(self, max_bytes: int | None = None) -> io.BufferedReader:
        """The body as a binary file, for parsers that read from one (pyoxigraph's)."""
        return io.BufferedReader(_BodyStream(self, max_bytes), CHUNK)

    def text(self, limit: int = 2000) -> str:
        """The start of the body as text (for error messages), read within the deadline."""
        data = b""
        try:
            while len(data) < limit:
                chunk = self.read(limit - len(data))
                if not chunk:
                    break
                data += chunk
        except BackendError:
            pass
        return data.decode("utf-8", "replace")

    def close(self) -> None:
        if self._response is None:
            return
        self._drain()
        response, self._response = self._response, None  # type: ignore[assignment]
        if response.isclosed() and not response.will_close:
            self._pool.give_back(self._conn)
        else:
            response.close()
            self._conn.close()

    def _drain(self, limit: int = DRAIN_BYTES) -> None:
        """Read what is left of a body a parser did not need (trailing white space, or the end of the
        body, which http.client notices only by reading it), so the connection can be reused; a longer
        rest is not worth reading: the connection is closed instead."""
        left = limit
        try:
            while left > 0 and not self._response.isclosed():
                data = self.read(min(CHUNK, left))
                if not data:
                    # At the end: read1 returns b"" without marking a Content-Length body done; read does.
                    self._response.read()
                    return
                left -= len(data)
        except (BackendError, OSError, http.client.HTTPException):
            return

    def __enter__(self) -> Reply:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _BodyStream(io.RawIOBase):
    def __init__(self, reply: Reply, max_bytes: int | None) -> None:
        self._reply = reply
        self._max = max_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._reply.read(len(buffer), self._max)
        buffer[: len(data)] = data
        return len(data)


def _reason(e: BaseException) -> str:
    text = str(e).strip()
    if isinstance(e, http.client.RemoteDisconnected) or not text:
        return text or type(e).__name__
    return text.split("] ", 1)[-1]  # "[Errno 111] Connection refused" -> "Connection refused"


class ConnectionPool:
    """Keep-alive HTTP connections to one endpoint, shared by the threads of one process.

    A forked process (a gunicorn worker made from a parent that had used the pool) starts with an empty
    pool rather than sharing its parent's sockets.
    """

    def __init__(self, endpoint: Endpoint, size: int = POOL_SIZE) -> None:
        self.endpoint = endpoint
        self._size = size
        self._idle: queue.LifoQueue[http.client.HTTPConnection] = queue.LifoQueue()
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def _take(self, fresh: bool = False) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection (``True``: reused), or a new, not yet connected one (always if ``fresh``)."""
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._idle = queue.LifoQueue()
                    self._pid = os.getpid()
        try:
            if fresh:
                raise queue.Empty
            return self._idle.get_nowait(), True
        except queue.Empty:
            cls = http.client.HTTPSConnection if self.endpoint.scheme == "https" else http.client.HTTPConnection
            return cls(self.endpoint.host, self.endpoint.port), False

    def give_back(self, conn: http.client.HTTPConnection) -> None:
        if self._pid == os.getpid() and self._idle.qsize() < self._size:
            self._idle.put(conn)
        else:
            conn.close()

    def close(self) -> None:
        """Close the idle connections (ones in use close when their replies do)."""
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    def post(self, params: Iterable[tuple[str, str]], accept: str, timeout: float) -> Reply:
        """POST ``params`` form-encoded; the reply's status is not checked here. Everything, up to
        reading the end of the body, must happen within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        body = urlencode(list(params)).encode("utf-8")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Accept": accept,
            "User-Agent": f"clastordf/{__version__}",
        }
        if self.endpoint.authorization:
            headers["Authorization"] = self.endpoint.authorization
        url = self.endpoint.url
        for attempt in (1, 2):
            conn, reused = self._take(fresh=attempt == 2)
            try:
                left = _remaining(deadline, self.endpoint, timeout)
                conn.timeout = left
                if conn.sock is not None:
                    conn.sock.settimeout(left)
                conn.request("POST", self.endpoint.target, body, headers)
                response = conn.getresponse()
            except BackendError:
                conn.close()
                raise
            except TimeoutError:
                conn.close()
                raise BackendError(
                    "timeout", f"the SPARQL backend {url} did not answer within the time limit of {timeout:g} s"
                ) from None
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                if reused and attempt == 1:
                    # The backend closed this idle connection, and most likely the others it had idle
                    # as long (Virtuoso closes them in bursts): drop them all, and send on a new one.
                    self.close()
                    continue
                raise BackendError("unavailable", f"the SPARQL backend {url} is unavailable: {_reason(e)}") from None
            return Reply(self, conn, response, deadline, timeout)
        raise AssertionError("unreachable")  # pragma: no cover


# --- reading SPARQL JSON results as they arrive -------------------------------------------------------


@dataclass
class Results:
    """SPARQL JSON results, normalised: ``vars`` and ``rows`` for solutions, ``boolean`` for ASK."""

    vars: list[str] | None = None
    rows: list[dict[str, dict[str, Any]]] = field(default_factory=list)
    boolean: bool | None = None
    #: The whole document was read (False: reading stopped once enough rows were there).
    complete: bool = True

    def document(self) -> bytes:
        """The results as a SPARQL JSON document pyoxigraph reads."""
        if self.boolean is not None:
            return json.dumps({"head": {}, "boolean": self.boolean}).encode()
        return json.dumps(
            {"head": {"vars": self.vars or []}, "results": {"bindings": self.rows}},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()


class _JsonReader:
    """One JSON document read from a :class:`Reply` value by value, so that a long array can be read
    element by element and left half-way."""

    def __init__(self, reply: Reply, max_bytes: int | None) -> None:
        self._reply = reply
        self._max = max_bytes
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._text = ""
        self._pos = 0
        self.eof = False

    def _more(self, size: int) -> bool:
        """Read up to ``size`` more bytes; False at the end of the body."""
        if self.eof:
            return False
        data = self._reply.read(size, self._max)
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as e:
            raise BackendError("bad-answer", f"the SPARQL backend's answer is not UTF-8: {e}") from None
        self._text = self._text[self._pos :] + text
        self._pos = 0
        self.eof = not data
        return bool(data)

    def peek(self) -> str:
        """The next character that is not white space ("" at the end)."""
        while True:
            self._pos = _WHITESPACE.match(self._text, self._pos).end()  # type: ignore[union-attr]
            if self._pos < len(self._text):
                return self._text[self._pos]
            if not self._more(CHUNK):
                return ""

    def take(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise BackendError(
                "bad-answer",
                f"the SPARQL backend's answer is not SPARQL JSON results: expected {char!r}, found {found[:1]!r}",
            )
        self._pos += 1

    def value(self) -> Any:
        """The next JSON value. A value that reaches the end of what has arrived may go on (a number)
        or be cut (anything), so it is read again with more text until it ends before the text does."""
        self.peek()
        size = CHUNK
        while True:
            try:
                value, end = _DECODER.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as e:
                if self.eof:
                    raise BackendError("bad-answer", f"the SPARQL backend's answer is not valid JSON: {e}") from None
            else:
                if end < len(self._text) or self.eof:
                    self._pos = end
                    return value
            self._more(size)
            size = min(size * 2, 16 * 2**20)  # a long value: fewer re-reads of its beginning


def _key(reader: _JsonReader) -> str:
    key = reader.value()
    if not isinstance(key, str):
        raise BackendError(
            "bad-answer", "the SPARQL backend's answer is not SPARQL JSON results (a key is not a string)"
        )
    reader.take(":")
    return key


def _members(reader: _JsonReader) -> Iterable[str]:
    """The keys of the object that starts here, each followed by its value (the caller reads it)."""
    reader.take("{")
    if reader.peek() == "}":
        reader.take("}")
        return
    while True:
        yield _key(reader)
        if reader.peek() == ",":
            reader.take(",")
            continue
        reader.take("}")
        return


def blank_node_id(label: str) -> str:
    """A label usable as an RDF blank node identifier: the label itself if it is one, else a digest
    of it (Virtuoso writes ``nodeID://b10006``), so the same node keeps the same label.

    >>> blank_node_id("b0"), blank_node_id("nodeID://b10006")
    ('b0', 'vd15c2d9a77649f609f39e9bdc1ff08ce')
    """
    if _BNODE_ID.fullmatch(label):
        return label
    return "v" + hashlib.blake2b(label.encode(), digest_size=16).hexdigest()


def normalise_term(term: Any) -> dict[str, Any]:
    """A SPARQL JSON term as SPARQL 1.1 writes it: Virtuoso's SPARQL 1.0 ``typed-literal`` becomes a
    ``literal`` (without a datatype: ``xsd:string``) and blank node labels become valid identifiers.

    >>> normalise_term({"type": "typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "1"})
    {'type': 'literal', 'value': '1', 'datatype': 'http://www.w3.org/2001/XMLSchema#integer'}
    """
    if not isinstance(term, dict) or not isinstance(term.get("type"), str):
        raise BackendError("bad-answer", f"the SPARQL backend's answer has a malformed term: {str(term)[:200]}")
    kind = term["type"]
    if kind == "triple":
        inner = term.get("value")
        if not isinstance(inner, dict):
            raise BackendError("bad-answer", "the SPARQL backend's answer has a malformed triple term")
        parts = ("subject", "predicate", "object")
        return {"type": "triple", "value": {k: normalise_term(inner.get(k)) for k in parts}}
    value = term.get("value")
    if not isinstance(value, str):
        raise BackendError("bad-answer", f"the SPARQL backend's answer has a term without a value: {str(term)[:200]}")
    if kind == "bnode":
        return {"type": "bnode", "value": blank_node_id(value)}
    if kind == "uri":
        return {"type": "uri", "value": value}
    if kind in ("literal", "typed-literal"):
        out: dict[str, Any] = {"type": "literal", "value": value}
        if term.get("xml:lang"):
            out["xml:lang"] = term["xml:lang"]
            if term.get("its:dir"):
                out["its:dir"] = term["its:dir"]
        elif term.get("datatype") and term["datatype"] != XSD_STRING:
            out["datatype"] = term["datatype"]
        return out
    raise BackendError("bad-answer", f"the SPARQL backend's answer has a term of unknown type {kind!r}")


def read_results(reply: Reply, keep: int | None = None, max_bytes: int | None = None) -> Results:
    """Read SPARQL JSON results from ``reply``, keeping the first ``keep`` rows (None: all); reading
    stops as soon as those rows and the variables are known."""
    reader = _JsonReader(reply, max_bytes)
    results = Results()
    rows = results.rows
    for key in _members(reader):
        if key == "head":
            head = reader.value()
            names = head.get("vars") if isinstance(head, dict) else None
            if names is not None:
                if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                    raise BackendError("bad-answer", "the SPARQL backend's answer has malformed variables")
                results.vars = names
        elif key == "boolean":
            value = reader.value()
            if not isinstance(value, bool):
                raise BackendError("bad-answer", "the SPARQL backend's ASK answer is not true or false")
            results.boolean = value
        elif key == "results":
            for inner in _members(reader):
                if inner != "bindings":
                    reader.value()
                    continue
                reader.take("[")
                if reader.peek() == "]":
                    reader.take("]")
                    continue
                while True:
                    if keep is not None and len(rows) >= keep and results.vars is not None:
                        results.complete = False  # enough: the rest is never read
                        return results
                    row = reader.value()
                    if not isinstance(row, dict):
                        raise BackendError("bad-answer", "the SPARQL backend's answer has a row that is not an object")
                    if keep is None or len(rows) < keep:
                        rows.append({name: normalise_term(term) for name, term in row.items()})
                    if reader.peek() == ",":
                        reader.take(",")
                        continue
                    reader.take("]")
                    break
        else:
            reader.value()
    if results.boolean is None and results.vars is None:
        raise BackendError("bad-answer", "the SPARQL backend's answer has neither variables nor a boolean")
    return results
