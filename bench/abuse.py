"""Abuse bench for the clastordf server (issue 16): can a handful of hostile requests take it down?

Usage:
    python bench/abuse.py [--build-dir build] [--port N] [--duration 20] [--only a,b] [--seed 16]
                          [--budget-mb 2048] [--serve-arg=--workers=2 ...]
    python bench/abuse.py --url http://127.0.0.1:8000 [--server-pid PID] ...

The script starts ``clastordf serve --no-build`` itself on a free port (or attacks the server at
``--url``), then runs one attack after another, each for ``--duration`` seconds, while a *probe*
client, bound to its own loopback address (127.0.0.2: loopback accepts any 127.x source, so a
per-client limit sees it as another client), asks three cheap things every 200 ms, each on a fresh
connection in its own thread: ``/health``, a fact page, and a point SPARQL query (``ASK { <fact> ?p
?o }`` with a unique comment, so no answer cache can serve it and it needs a query executor).
Attacks:

* ``a`` slow headers: 8 clients send ``GET /health HTTP/1.1``, a Host line, then one byte every 2 s,
  never finishing the headers (reconnecting when the server drops them);
* ``b`` runaway queries: 8 clients, each from its own address, keep a query running that can only
  end at the time limit (a three-way cross product counted), resubmitted as soon as it ends;
* ``c`` memory-heavy queries: 2 clients keep ``SELECT * { ?s ?p ?o . ?a ?b ?c } ORDER BY ?o ?c`` running;
* ``d`` nested queries: 2,500 nested ``{}`` and a property path nested 200 deep, sent in a loop;
  any 5xx is a failure (the answer due is 400, quickly);
* ``e`` forged Host: requests with ``Host: evil.example``, ``X-Forwarded-Host`` and an absolute-form
  target, then normal requests that must not mention ``evil.example`` (a poisoned cache); also the
  open redirect of ``/entity?iri=BASE/`` + ``/evil.example/x`` and ``javascript:`` links on
  ``/query?run=1``;
* ``f`` fuzzer: seeded random methods, paths, query strings, headers and bodies (and a few malformed
  request lines), at most ``--fuzz-requests``; counts 5xx and tracebacks in bodies;
* ``g`` cache-key bloat: distinct ~90 KB cheap queries, one after another; the table's RSS after
  recovery, compared with before, is what the answer caches kept.

A baseline (no attack) runs first. For each attack the report gives the probe's p50/p99/max latency
per request kind and its failures (timeouts, errors, 5xx), whether the target is met (p99 within
100 ms for each kind, no probe failure, peak RSS within ``--budget-mb``, no 5xx for malformed input,
no poisoned answer), the peak sum of RSS (and PSS) over the server's whole process tree (workers and
query executors, sampled from /proc every 100 ms, from the attack's start until the server is quiet
again: queries outlive their clients), the 5xx the tool received, how long the server took to answer
the probe again after the attack, and the load average at start and end. ``--guard-mb`` protects a
shared machine: past it the attack ends, and the largest process of a server this script started (an
executor) is killed. Markdown on
standard output, JSON in ``bench/out/abuse.json``; the server's log is ``bench/out/abuse-server.log``.
Every attack thread stops at the end of its phase, every socket is closed, and a server this script
started is stopped, also on Ctrl-C. Stdlib only: an outside client, for any version of the server.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUT = REPO / "bench" / "out"
DEFAULT_BASE = "https://w3id.org/clastordf/"
JSON_RESULTS = "application/sparql-results+json"
FORM = "application/x-www-form-urlencoded"

#: The probe's source address; attack clients use 127.0.0.10 and up (see ``Attack.address``).
PROBE_ADDRESS = "127.0.0.2"
#: The latency a cheap request must keep (p99) while an attack runs, in seconds.
TARGET_S = 0.100
#: A query whose only end is the time limit: 10k³ rows counted, nothing to stream early.
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?a ?b ?c . ?x ?y ?z }"
#: A query that must sort 10k² rows before its first answer row: gigabytes inside the time limit.
MEMORY_QUERY = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } ORDER BY ?o ?c"
EVIL = "evil.example"
#: Attack letters and their names, in the order they run.
ATTACKS = {
    "a": "slow-headers",
    "b": "runaway",
    "c": "memory",
    "d": "nested",
    "e": "forged-host",
    "f": "fuzz",
    "g": "cache-bloat",
}
SLOW_CLIENTS = 8
RUNAWAY_CLIENTS = 8
MEMORY_CLIENTS = 2


# --- query generators (pure) --------------------------------------------------------------------


def nested_braces(depth: int) -> str:
    """An ASK query whose group patterns nest ``depth`` deep: ``ASK {{…}}``.

    >>> nested_braces(3)
    'ASK {{{}}}'
    """
    return "ASK " + "{" * depth + "}" * depth


def nested_path(depth: int, predicate: str = "urn:p") -> str:
    """An ASK query with a property path of ``depth`` nested ``(…)*``; depth 200 is 621 bytes.

    >>> nested_path(2)
    'ASK { ?s ((<urn:p>)*)* ?o }'
    """
    return "ASK { ?s " + "(" * depth + f"<{predicate}>" + ")*" * depth + " ?o }"


def padded_query(size: int, tag: str) -> str:
    """A cheap query (``ASK {}``) made about ``size`` bytes long, and unique, by a trailing comment."""
    head = f"ASK {{}}\n# {tag} "
    return head + "x" * max(0, size - len(head))


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``; NaN when empty.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5), percentile([1.0, 2.0, 3.0, 4.0], 0.99)
    (3.0, 4.0)
    """
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- processes and memory -----------------------------------------------------------------------


def process_table() -> dict[int, int]:
    """Every process's parent: pid → ppid, read from /proc."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:  # ended meanwhile
            continue
        # The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = int(fields[1])
    return table


def process_tree(root: int, table: dict[int, int] | None = None) -> list[int]:
    """``root`` and all its descendants (children, grandchildren …), ``root`` first; empty when ``root``
    is gone. Scans /proc rather than ``/proc/PID/task/TID/children``, which lists only the children
    of one thread (executors are started from request threads)."""
    table = process_table() if table is None else table
    if root not in table:
        return []
    kids: dict[int, list[int]] = {}
    for pid, ppid in table.items():
        kids.setdefault(ppid, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(sorted(kids.get(pid, ())))
    return tree


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(pid: int) -> int:
    """A process's resident set size in KiB (0 when it is gone)."""
    return _status_kb(pid, "VmRSS:")


def pss_kb(pid: int) -> int:
    """A process's proportional set size in KiB: shared pages (the store's mapped files, libraries)
    divided among the processes sharing them, so the PSS of a tree adds up to what it really holds."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory_kb(root: int) -> tuple[int, int, int]:
    """(sum of RSS, sum of PSS, number of processes) over ``root``'s process tree, in KiB."""
    pids = process_tree(root)
    return sum(rss_kb(p) for p in pids), sum(pss_kb(p) for p in pids), len(pids)


def listening_pids(port: int) -> list[int]:
    """The processes holding a TCP socket listening on ``port`` (any address), from /proc/net/tcp{,6}."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                local, state, inode = parts[1], parts[3], parts[9]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    inodes.add(f"socket:[{inode}]")
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            if any(os.readlink(fd.path) in inodes for fd in os.scandir(f"/proc/{entry.name}/fd")):
                pids.append(int(entry.name))
    return pids


def server_root(port: int) -> int | None:
    """The topmost process of the server listening on ``port``: the front's main process and its workers all
    hold the listening socket; the master is the one whose parent does not."""
    pids = set(listening_pids(port))
    table = process_table()
    roots = [p for p in pids if table.get(p) not in pids]
    return min(roots) if roots else None


@dataclass
class MemoryPeak:
    rss_kb: int = 0
    pss_kb: int = 0
    processes: int = 0
    samples: int = 0


class MemorySampler:
    """Samples the memory of a server's process tree every ``interval`` seconds in a thread and keeps
    the peak since the last :meth:`reset`; calls ``over_limit`` once when the RSS sum passes ``limit_kb``."""

    def __init__(
        self, root: int, interval: float = 0.1, limit_kb: int = 0, over_limit: Callable[[], None] | None = None
    ):
        self.root = root
        self.interval = interval
        self.limit_kb = limit_kb
        self.over_limit = over_limit
        self.peak = MemoryPeak()
        self.last = (0, 0, 0)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)

    def start(self) -> MemorySampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def reset(self) -> MemoryPeak:
        """The peak since the last reset; starts a new one."""
        with self._lock:
            peak, self.peak = self.peak, MemoryPeak()
        return peak

    def _run(self) -> None:
        fired = False
        while not self._stop.wait(self.interval):
            rss, pss, n = tree_memory_kb(self.root)
            with self._lock:
                self.last = (rss, pss, n)
                p = self.peak
                p.samples += 1
                if rss > p.rss_kb:
                    p.rss_kb, p.processes = rss, n
                p.pss_kb = max(p.pss_kb, pss)
            if self.limit_kb and rss > self.limit_kb and not fired and self.over_limit is not None:
                fired = True
                self.over_limit()
            elif self.limit_kb and rss < self.limit_kb:
                fired = False


# --- a raw HTTP/1.1 client ------------------------------------------------------------------------
# Raw sockets, not http.client: the attacks need forged Host lines, absolute-form targets, malformed
# request lines, a chosen source address and one deadline per request; every socket is registered so
# that stopping a phase (or Ctrl-C) can shut down the ones blocked in recv.


@dataclass(frozen=True)
class Target:
    host: str
    port: int

    @property
    def authority(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def loopback(self) -> bool:
        return self.host == "localhost" or self.host.startswith("127.")

    def source(self, address: str) -> tuple[str, int] | None:
        """Bind to ``address`` only when the server is on loopback (any 127.x reaches it)."""
        return (address, 0) if self.loopback else None


class Sockets:
    """The open sockets of the attack and probe threads, so a phase's end can unblock them all."""

    def __init__(self) -> None:
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def discard(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        with suppress(OSError):
            sock.close()

    def shutdown_all(self) -> None:
        with self._lock:
            socks = list(self._open)
        for sock in socks:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@dataclass
class Reply:
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes
    elapsed: float
    error: str | None = None

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    @property
    def server_error(self) -> bool:
        return self.status is not None and self.status >= 500


def build_request(
    method: str, target: str, headers: list[tuple[str, str]], body: bytes | None = None, version: str = "HTTP/1.1"
) -> bytes:
    """The bytes of a request; adds ``Content-Length`` for a body and ``Connection: close`` unless given.

    >>> build_request("GET", "/health", [("Host", "x")])
    b'GET /health HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'
    """
    names = {k.lower() for k, _ in headers}
    lines = [f"{method} {target} {version}".encode("latin-1", "replace")]
    extra = list(headers)
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        extra.append(("Content-Length", str(len(body))))
    if "connection" not in names:
        extra.append(("Connection", "close"))
    lines += [f"{k}: {v}".encode("latin-1", "replace") for k, v in extra]
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


def _dechunk(data: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            return bytes(out)
        try:
            size = int(data[pos:end].split(b";")[0], 16)
        except ValueError:
            return bytes(out)
        if size == 0:
            return bytes(out)
        out += data[end + 2 : end + 2 + size]
        pos = end + 2 + size + 2


def parse_response(data: bytes, head: bool = False) -> tuple[int | None, list[tuple[str, str]], bytes]:
    """(status, headers with lower-case names, body) of a raw response; 1xx interim answers skipped.

    >>> parse_response(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nhi")
    (200, [('content-length', '2')], b'hi')
    """
    while True:
        end = data.find(b"\r\n\r\n")
        if end < 0 or not data.startswith(b"HTTP/"):
            return None, [], data
        lines = data[:end].decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split()[1])
        except (IndexError, ValueError):
            return None, [], data
        headers = [(k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:])]
        rest = data[end + 4 :]
        if 100 <= status < 200:
            data = rest
            continue
        if head:
            return status, headers, b""
        if any(k == "transfer-encoding" and "chunked" in v.lower() for k, v in headers):
            rest = _dechunk(rest)
        return status, headers, rest


def _wanted_length(data: bytes, head: bool) -> int | None:
    """The total length of a final response in ``data`` once its headers are in, else None."""
    pos = 0
    while True:
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            return None
        status_line = data[pos : data.find(b"\r\n", pos)]
        parts = status_line.split()
        if len(parts) > 1 and parts[1][:1] == b"1":  # interim: the final answer follows
            pos = end + 4
            continue
        if head:
            return end + 4
        match = re.search(rb"\r\ncontent-length:\s*(\d+)", data[pos:end], re.IGNORECASE)
        return end + 4 + int(match.group(1)) if match else None


#: A response body is read up to this size (the rest is dropped): the client's memory stays bounded.
MAX_READ = 32 * 1024 * 1024


def exchange(
    target: Target,
    raw: bytes,
    *,
    source: tuple[str, int] | None = None,
    timeout: float = 10.0,
    sockets: Sockets | None = None,
    head: bool = False,
) -> Reply:
    """Send ``raw`` over a fresh connection and read the answer, all within ``timeout`` seconds."""
    start = time.perf_counter()
    deadline = start + timeout
    data = bytearray()
    error = None
    sock: socket.socket | None = None
    try:
        sock = socket.create_connection((target.host, target.port), timeout=timeout, source_address=source)
        if sockets is not None:
            sockets.add(sock)
        try:
            sock.sendall(raw)
        except OSError as exc:  # the server may answer (413, 400) and close before reading all of it
            error = f"send: {type(exc).__name__}"
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError("timed out")
            sock.settimeout(remaining)
            chunk = sock.recv(65536)
            if not chunk:
                break
            if len(data) < MAX_READ:
                data += chunk
            wanted = _wanted_length(bytes(data[:65536]) if len(data) > 65536 else bytes(data), head)
            if wanted is not None and len(data) >= wanted:
                break
    except TimeoutError:
        error = "timeout"
    except OSError as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        if sock is not None:
            if sockets is not None:
                sockets.discard(sock)
            else:
                sock.close()
    status, headers, body = parse_response(bytes(data), head)
    if status is None:
        error = error if error and not error.startswith("send:") else ("no answer" if not data else "malformed answer")
    elif error == "timeout":  # the headers came, the whole body did not
        error = "timeout (partial answer)"
    else:  # an answer came; a reset after it, or a send cut short by it, does not matter
        error = None
    return Reply(status, headers, body, time.perf_counter() - start, error)


def request(
    target: Target,
    method: str,
    path: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    *,
    host: str | None = None,
    **kwargs: Any,
) -> Reply:
    """One request with a ``Host`` line (the server's, unless ``host`` is given)."""
    lines = [("Host", host if host is not None else target.authority)] + list(headers or [])
    return exchange(target, build_request(method, path, lines, body), head=method == "HEAD", **kwargs)


def sparql_post(query: str, accept: str = JSON_RESULTS) -> tuple[list[tuple[str, str]], bytes]:
    return [("Content-Type", FORM), ("Accept", accept)], urllib.parse.urlencode({"query": query}).encode()


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``clastordf serve`` in its own session (so its workers and executors can be stopped together)."""

    def __init__(self, args: list[str], log: Path, cwd: Path = REPO, env: dict[str, str] | None = None):
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            args, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_healthy(self, target: Target, timeout: float = 180.0) -> float:
        """Seconds until ``/health`` answers 200; raises when the process ends or time runs out."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with status {self.process.returncode}; see {self.log}")
            if request(target, "GET", "/health", timeout=5).status == 200:
                return time.perf_counter() - start
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer /health within {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        """SIGTERM to the whole session, then SIGKILL to what is left of it."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        # Executors or workers may outlive the main process: none of them may stay behind.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self._log.close()


def start_server(
    build_dir: Path, port: int, log: Path, extra: list[str] | None = None, clastordf: Path | None = None
) -> ServerProcess:
    args = [str(clastordf or BIN / "clastordf"), "serve", "--no-build", "--build-dir", str(build_dir)]
    args += ["--port", str(port), *(extra or [])]
    return ServerProcess(args, log)


# --- the probe ----------------------------------------------------------------------------------

PROBE_KINDS = ("health", "page", "query")


@dataclass
class Sample:
    kind: str
    at: float
    elapsed: float
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


class Probe:
    """Cheap requests from their own address, on a fixed schedule while a phase records (:meth:`begin` …
    :meth:`end`): every ``interval`` s one ``/health``, one fact page and one point query, each on a fresh
    connection in its own thread. Open loop: a request the server holds up does not delay the next one,
    so a stalled server shows as many slow or failed requests, not as a probe that stopped asking."""

    def __init__(
        self, target: Target, base: str, facts: list[str], timeout: float, interval: float = 0.2, max_open: int = 60
    ):
        self.target = target
        self.base = base
        self.facts = facts or ["CF0320"]
        self.timeout = timeout
        self.interval = interval
        self.max_open = max_open
        self.sockets = Sockets()
        self.skipped = 0
        self._samples: list[Sample] = []
        self._open: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._recording = threading.Event()
        self._stop = threading.Event()
        self._numbers = itertools.count()
        self._thread = threading.Thread(target=self._run, name="probe", daemon=True)

    def start(self) -> Probe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._recording.set()  # wake the scheduler so that it sees the stop
        self.sockets.shutdown_all()
        self._thread.join(timeout=5)
        self._drain(5)

    def begin(self) -> None:
        with self._lock:
            self._samples, self.skipped = [], 0
        self._recording.set()

    def end(self) -> list[Sample]:
        """Stop asking; wait for the requests still open (at most their timeout); the phase's samples."""
        self._recording.clear()
        self._drain(self.timeout + 2)
        with self._lock:
            samples, self._samples = self._samples, []
        return samples

    def _drain(self, limit: float) -> None:
        deadline = time.monotonic() + limit
        with self._lock:
            threads = list(self._open)
        for t in threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))

    def ask(self, kind: str) -> Reply:
        n = next(self._numbers)
        fact = self.facts[n % len(self.facts)]
        kwargs: dict[str, Any] = {
            "source": self.target.source(PROBE_ADDRESS),
            "timeout": self.timeout,
            "sockets": self.sockets,
        }
        if kind == "health":
            return request(self.target, "GET", "/health", **kwargs)
        if kind == "page":
            return request(self.target, "GET", f"/fact/{fact}", [("Accept", "text/html")], **kwargs)
        # A comment unique to this request: no answer cache has it, so an executor must run it.
        query = f"ASK {{ <{self.base}fact/{fact}> ?p ?o }}\n# probe {os.getpid()} {n}"
        path = "/sparql?" + urllib.parse.urlencode({"query": query})
        return request(self.target, "GET", path, [("Accept", JSON_RESULTS)], **kwargs)

    def _one(self, kind: str) -> None:
        started = time.monotonic()
        try:
            reply = self.ask(kind)
            with self._lock:
                self._samples.append(Sample(kind, started, reply.elapsed, reply.status, reply.error))
        finally:
            with self._lock:
                self._open.discard(threading.current_thread())

    def _run(self) -> None:
        while not self._stop.is_set():
            self._recording.wait()
            tick = time.monotonic()
            while self._recording.is_set() and not self._stop.is_set():
                for kind in PROBE_KINDS:
                    with self._lock:
                        if len(self._open) >= self.max_open:
                            self.skipped += 1
                            continue
                        t = threading.Thread(target=self._one, args=(kind,), daemon=True)
                        self._open.add(t)
                        t.start()  # under the lock: a drain never joins a thread not yet started
                tick += self.interval
                self._stop.wait(max(0.0, tick - time.monotonic()))


def probe_stats(samples: list[Sample]) -> dict[str, dict[str, Any]]:
    """Per kind: count, p50/p99/max in ms (a failed request counts with the time it took, a timeout
    with the whole timeout), failures by reason."""
    out: dict[str, dict[str, Any]] = {}
    for kind in PROBE_KINDS:
        mine = [s for s in samples if s.kind == kind]
        times = [s.elapsed for s in mine]
        failures = Counter(s.error or f"HTTP {s.status}" for s in mine if not s.ok)
        out[kind] = {
            "n": len(mine),
            "p50_ms": round(percentile(times, 0.50) * 1000, 1),
            "p99_ms": round(percentile(times, 0.99) * 1000, 1),
            "max_ms": round(max(times) * 1000, 1) if times else float("nan"),
            "failures": dict(failures),
        }
    return out


# --- attacks ------------------------------------------------------------------------------------


@dataclass
class Attack:
    """What an attack needs, and what it found: statuses of its own requests, 5xx, notes."""

    target: Target
    base: str
    deadline: float
    stop: threading.Event
    seed: int
    facts: list[str]
    fuzz_requests: int
    sockets: Sockets = field(default_factory=Sockets)
    statuses: Counter = field(default_factory=Counter)
    server_errors: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def address(group: int, index: int) -> str:
        """The source address of attack client ``index`` of ``group`` (1: 127.0.0.10…, 2: 127.0.0.20…)."""
        return f"127.0.0.{group * 10 + index}"

    def running(self) -> bool:
        return not self.stop.is_set() and time.monotonic() < self.deadline

    def count(self, reply: Reply) -> None:
        with self.lock:
            self.statuses[str(reply.status) if reply.status is not None else (reply.error or "?").split(":")[0]] += 1
            if reply.server_error:
                self.server_errors += 1

    def threads(self, n: int, work: Callable[[int], None], grace: float = 0.0) -> None:
        """Run ``work(i)`` in ``n`` threads until they return (each checks :meth:`running`); a request
        still waiting ``grace`` s after the deadline (or once the phase is stopped) is cut off."""
        threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(timeout=0.5)
                if self.stop.is_set() or time.monotonic() > self.deadline + grace:
                    self.sockets.shutdown_all()  # unblock whatever still waits on the server


def attack_slow_headers(a: Attack) -> None:
    """8 clients that never finish their headers: one byte every 2 s, reconnecting when dropped."""
    stats: Counter = Counter()
    held: list[float] = []

    def client(i: int) -> None:
        while a.running():
            try:
                sock = socket.create_connection(
                    (a.target.host, a.target.port), timeout=5, source_address=a.target.source(a.address(1, i))
                )
            except OSError:
                stats["connect failed"] += 1
                a.stop.wait(0.5)
                continue
            a.sockets.add(sock)
            stats["connections"] += 1
            opened = time.monotonic()
            try:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
                filler = b"X-Slow: " + b"a" * 10_000
                n = 0
                while a.running():
                    readable, _, _ = select.select([sock], [], [], 2.0)
                    if not a.running():
                        break
                    if readable:
                        data = sock.recv(4096)
                        if data.startswith(b"HTTP/"):
                            stats[f"answered {data.split()[1].decode(errors='replace')}"] += 1
                        else:
                            stats["closed by server"] += 1
                        break
                    sock.sendall(filler[n : n + 1])
                    n = (n + 1) % len(filler)
            except OSError:
                stats["reset by server"] += 1
            finally:
                held.append(time.monotonic() - opened)
                a.sockets.discard(sock)

    a.threads(SLOW_CLIENTS, client)
    a.details = {**dict(stats), "longest_held_s": round(max(held), 1) if held else 0}


def _keep_running(a: Attack, group: int, clients: int, query: str, timeout: float) -> None:
    """``clients`` threads, each resubmitting ``query`` (made unique) as soon as its answer comes."""
    durations: list[float] = []

    def client(i: int) -> None:
        n = 0
        # Each client's first query is answered even past the phase's end: the attack shows its answers.
        while a.running() or (n == 0 and not a.stop.is_set()):
            n += 1
            headers, body = sparql_post(f"{query}\n# {os.getpid()}-{i}-{n}")
            reply = request(
                a.target,
                "POST",
                "/sparql",
                headers,
                body,
                source=a.target.source(a.address(group, i)),
                timeout=timeout,
                sockets=a.sockets,
            )
            if reply.status is None and (a.stop.is_set() or n > 1 and not a.running()):
                return  # cut by the end of the phase, not answered
            a.count(reply)
            durations.append(reply.elapsed)
            if reply.status is None:
                a.stop.wait(0.2)  # refused or reset: do not spin

    a.threads(clients, client, grace=60)
    a.details = {
        "queries": len(durations),
        "median_s": round(percentile(durations, 0.5), 2) if durations else None,
        "max_s": round(max(durations), 2) if durations else None,
    }


def attack_runaway(a: Attack) -> None:
    _keep_running(a, 2, RUNAWAY_CLIENTS, RUNAWAY_QUERY, timeout=120)


def attack_memory(a: Attack) -> None:
    _keep_running(a, 3, MEMORY_CLIENTS, MEMORY_QUERY, timeout=120)


NESTED = {
    "braces-2500": nested_braces(2500),
    "path-200": nested_path(200),
}


def attack_nested(a: Attack) -> None:
    """Each nested query in a loop from its own client; a 5xx is a failure (400 is due)."""
    per_kind: dict[str, Counter] = {k: Counter() for k in NESTED}
    slowest: dict[str, float] = dict.fromkeys(NESTED, 0.0)
    kinds = list(NESTED)

    def client(i: int) -> None:
        kind = kinds[i]
        sent = 0
        # At least one answer each, even when one takes longer than the phase (the path ran to the time limit).
        while a.running() or (sent == 0 and not a.stop.is_set()):
            sent += 1
            headers, body = sparql_post(NESTED[kind])
            reply = request(
                a.target,
                "POST",
                "/sparql",
                headers,
                body,
                source=a.target.source(a.address(4, i)),
                timeout=60,
                sockets=a.sockets,
            )
            if a.stop.is_set() and reply.status is None:
                return
            a.count(reply)
            per_kind[kind][str(reply.status) if reply.status else (reply.error or "?")] += 1
            slowest[kind] = max(slowest[kind], reply.elapsed)
            if reply.server_error and len(a.problems) < 10:
                a.problems.append(f"{kind}: {reply.status} {reply.body[:120].decode('utf-8', 'replace').strip()}")

    a.threads(len(kinds), client, grace=60)
    a.details = {
        k: {"statuses": dict(per_kind[k]), "bytes": len(NESTED[k]), "slowest_s": round(slowest[k], 2)} for k in kinds
    }


#: Pages whose absolute URLs (or cached copies) could carry a forged host, and their Accept.
FORGE_PATHS = [
    ("/facts.json", "application/json"),
    ("/.well-known/void", "text/turtle"),
    ("/query?format=json", "application/json"),
    ("/", "text/html"),
    ("/facts", "text/html"),
    ("/sparql", "text/turtle"),
    ("/downloads.json", "application/json"),
    ("/fact/CF0320", "application/ld+json"),
]
JS_LINK = re.compile(rb"""href\s*=\s*["']?\s*(?:javascript|vbscript|data)\s*:""", re.IGNORECASE)


def _with_param(path: str, param: str) -> str:
    return path + ("&" if "?" in path else "?") + param


#: Ways to make a server believe it is reached under another name: (name, request maker).
_FORGERIES: list[tuple[str, Callable[[Attack, str, str], bytes]]] = [
    ("Host", lambda a, path, accept: build_request("GET", path, [("Host", EVIL), ("Accept", accept)])),
    (
        "Host with port",
        lambda a, path, accept: build_request("GET", path, [("Host", f"{EVIL}:{a.target.port}"), ("Accept", accept)]),
    ),
    (
        "X-Forwarded-Host",
        lambda a, path, accept: build_request(
            "GET",
            path,
            [
                ("Host", a.target.authority),
                ("X-Forwarded-Host", EVIL),
                ("X-Forwarded-Proto", "https"),
                ("Accept", accept),
            ],
        ),
    ),
    (
        "absolute target",
        lambda a, path, accept: build_request("GET", f"http://{EVIL}{path}", [("Host", EVIL), ("Accept", accept)]),
    ),
]


def attack_forged_host(a: Attack) -> None:
    """Forged hosts, then the same pages asked normally; plus the open redirect and javascript: links."""
    poisoned: dict[str, set[str]] = {}
    reflected: set[str] = set()
    rounds = 0
    src = a.target.source(a.address(5, 0))
    while a.running():
        rounds += 1
        for path, accept in FORGE_PATHS:
            for v, (via, make) in enumerate(_FORGERIES):
                # Each forgery on a key no one asked for yet (an unknown parameter the pages ignore), as on
                # a cold cache; the first round also on the plain path. The normal request asks the same key.
                keyed = path if rounds == 1 and v == 0 else _with_param(path, f"cb={os.getpid()}-{rounds}-{v}")
                reply = exchange(a.target, make(a, keyed, accept), source=src, timeout=15, sockets=a.sockets)
                a.count(reply)
                if EVIL.encode() in reply.body or any(EVIL in value for _, value in reply.headers):
                    reflected.add(f"{path} via {via}")
                normal = request(
                    a.target, "GET", keyed, [("Accept", accept)], source=src, timeout=15, sockets=a.sockets
                )
                a.count(normal)
                if EVIL.encode() in normal.body or any(EVIL in value for _, value in normal.headers):
                    poisoned.setdefault(path, set()).add(via)
                if not a.running():
                    break
            if not a.running():
                break
    for path, vias in sorted(poisoned.items()):
        a.problems.append(f"poisoned: {path} (after {', '.join(sorted(vias))})")

    redirects = {}
    for tail in ("/evil.example/x", "%2Fevil.example/x", "\\evil.example/x", "/%2Fevil.example/x"):
        path = "/entity?" + urllib.parse.urlencode({"iri": a.base + tail}, safe="%")
        reply = request(a.target, "GET", path, source=src, timeout=15, sockets=a.sockets)
        a.count(reply)
        location = reply.header("location") or ""
        redirects[a.base + tail] = f"{reply.status} {location}".strip()
        netloc = urllib.parse.urlsplit(location.replace("\\", "/")).netloc
        if location.replace("\\", "/").startswith("//") or (netloc and netloc != a.target.authority):
            a.problems.append(f"open redirect: /entity?iri={a.base + tail} → Location: {location}")

    xss = {}
    for iri in ("javascript:alert(1)", "JaVaScRiPt:alert(document.domain)", "data:text/html,<script>alert(1)</script>"):
        query = f"SELECT ?x WHERE {{ BIND(<{iri}> AS ?x) }}"
        for path in (
            "/query?" + urllib.parse.urlencode({"run": "1", "query": query}),
            "/entity?" + urllib.parse.urlencode({"iri": iri}),
        ):
            reply = request(a.target, "GET", path, [("Accept", "text/html")], source=src, timeout=15, sockets=a.sockets)
            a.count(reply)
            found = bool(JS_LINK.search(reply.body))
            xss[f"{path.split('?')[0]} {iri}"] = f"{reply.status}{' LINK' if found else ''}"
            if found:
                a.problems.append(f"script link: {path.split('?')[0]} renders href={iri}")
    a.details = {
        "rounds": rounds,
        "poisoned": {p: sorted(v) for p, v in sorted(poisoned.items())},
        "reflected_in_forged_answer": sorted(reflected),
        "redirects": redirects,
        "script_links": xss,
    }


# --- the fuzzer ---------------------------------------------------------------------------------

FUZZ_METHODS = ["GET"] * 6 + ["POST"] * 4 + ["HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "PROPFIND", "get"]
FUZZ_PATHS = [
    "/",
    "/health",
    "/facts",
    "/facts.json",
    "/facts.csv",
    "/facts.xyz",
    "/fact/CF0320",
    "/fact/CF0320.ttl",
    "/fact/CF0320.jsonld",
    "/fact/CF0320.rdf",
    "/fact/CF0320.nt",
    "/fact/CF0320-c1",
    "/fact/CF9999",
    "/evidence/E0100",
    "/complex/LIFR-IL6ST",
    "/dataset",
    "/vocab",
    "/vocab.ttl",
    "/vocab/ClastokineFact",
    "/vocab/Nope",
    "/entity",
    "/term",
    "/query",
    "/sparql",
    "/downloads",
    "/downloads.json",
    "/downloads/clastordf.ttl",
    "/downloads/latest/clastordf.ttl",
    "/downloads/0.1.0/",
    "/releases/0.1.0",
    "/releases/latest/x",
    "/.well-known/void",
    "/static/style.css",
    "/graph/0.1.0",
]
FUZZ_PATH_JUNK = [
    "%00",
    "%ff",
    "%c0%af",
    "..",
    "%2e%2e/%2e%2e/etc/passwd",
    "//",
    ";",
    "%",
    "%zz",
    "\u00e9",
    "\u202e",
    "~",
    ".json",
    ".ttl",
    ".",
    "x" * 3000,
    "a/" * 200,
    "%0d%0aSet-Cookie:x=1",
    "{}",
    "<>",
    "'\"",
]
FUZZ_KEYS = [
    "query",
    "format",
    "iri",
    "run",
    "example",
    "default-graph-uri",
    "named-graph-uri",
    "mechanism",
    "category",
    "level",
    "contested",
    "kind",
    "cell",
    "page",
    "callback",
    "update",
    "q",
    "",
]
FUZZ_QUERIES = [
    "ASK {}",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 1",
    "SELECT * WHERE { ?s ?p ?o } LIMIT -1",
    "SELECT * WHERE { ?s ?p ?o } OFFSET 99999999999999999999999 LIMIT 1",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3",
    "DESCRIBE <https://w3id.org/clastordf/fact/CF0320>",
    "DESCRIBE <javascript:alert(1)>",
    "SELECT ?x WHERE { BIND(1/0 AS ?x) }",
    'SELECT ?x WHERE { BIND(REGEX("a", "(((") AS ?x) }',
    'SELECT ?x WHERE { BIND(xsd:integer("99999999999999999999999999999") AS ?x) }',
    'SELECT ?x WHERE { BIND(STRDT("x", <urn:dt>) AS ?x) }',
    'SELECT ?x WHERE { BIND("\\uD800" AS ?x) }',
    "SELECT ?x WHERE { BIND(<> AS ?x) }",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
    "LOAD <http://example.org/x>",
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DROP ALL",
    "PREFIX : <urn:> SELECT * WHERE { :a :b :c }",
    "SELECT * FROM <urn:nope> WHERE { ?s ?p ?o } LIMIT 1",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?t }",
    "SELECT * WHERE { ?s ?p ?o FILTER(lang(?o) = 'en') } LIMIT 2",
    "SELECT * WHERE { <<( ?s ?p ?o )>> ?q ?r } LIMIT 1",
    "ASK { ?s <urn:p>{2,3} ?o }",
    "SELECT",
    "}",
    "\x00",
    "ASK {" + "{" * 40 + "}" * 40 + "}",
]
FUZZ_ACCEPT = [
    "*/*",
    "text/html",
    "application/json",
    "application/ld+json",
    "text/turtle",
    "application/rdf+xml",
    "application/n-triples",
    JSON_RESULTS,
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "image/png",
    "text/html;q=abc",
    "text/turtle;q=2, */*;q=-1",
    ";;;,,,",
    "a" * 2000,
    "application/*",
    "",
]
FUZZ_CONTENT_TYPES = [
    FORM,
    "application/sparql-query",
    "application/sparql-update",
    "application/json",
    "multipart/form-data; boundary=zzz",
    "multipart/form-data",
    "text/plain; charset=utf-17",
    "application/x-www-form-urlencoded; charset=latin-1",
    "",
    "\x7f",
]


def _fuzz_value(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.4:
        text = rng.choice(FUZZ_QUERIES)
    elif pick < 0.55:
        text = rng.choice(["javascript:alert(1)", "http://evil.example/", DEFAULT_BASE + "fact/CF0320", "urn:x"])
    elif pick < 0.7:
        text = rng.choice(["-1", "0", "1", "99999999999999999999", "true", "json", "csv", "ttl", "nan"])
    else:
        text = "".join(
            chr(rng.choice([rng.randrange(32, 127), rng.randrange(0, 0x2FF)])) for _ in range(rng.randrange(40))
        )
    if rng.random() < 0.2 and text:  # mutate: cut, or insert a character
        cut = rng.randrange(len(text))
        text = text[:cut] if rng.random() < 0.5 else text[:cut] + rng.choice("{}()<>\"'\\%#\x00") + text[cut:]
    return text


def _fuzz_target(rng: random.Random) -> str:
    path = rng.choice(FUZZ_PATHS)
    if rng.random() < 0.35:
        path = (
            path.rstrip("/") + "/" + rng.choice(FUZZ_PATH_JUNK)
            if rng.random() < 0.5
            else path + rng.choice(FUZZ_PATH_JUNK)
        )
    if rng.random() < 0.6:
        pairs = [(rng.choice(FUZZ_KEYS), _fuzz_value(rng)) for _ in range(rng.randrange(1, 4))]
        if rng.random() < 0.85:
            query = urllib.parse.urlencode(pairs)
        else:  # unencoded, but never a line break: that would end the request line and leave the rest hanging
            query = "&".join(f"{k}={v}" for k, v in pairs).replace("\r", "%0D").replace("\n", "%0A")
        path += "?" + query
    # A target that cannot even be latin-1 text (or holds spaces) is still sent as bytes: the server must cope.
    return path


def fuzz_case(rng: random.Random, authority: str) -> tuple[bytes, str]:
    """One random request: (its bytes, a one-line summary). Deterministic for a seeded ``rng``; every
    request it makes is complete (a body has its length or a well-formed chunked encoding), so the
    server never waits for bytes that will not come."""
    roll = rng.random()
    if roll < 0.06:  # a malformed request line or header block, answered by the HTTP layer
        raw = rng.choice(
            [
                b"GET\r\n\r\n",
                b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost x\r\n\r\n",
                b"GET / HTTP/1.1\r\n: empty\r\nHost: x\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost: x\r\n folded: line\r\n\r\n",
                b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"b" * 9000 + b"\r\n\r\n",
                b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(rng.randrange(256) for _ in range(40)),
                b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
                b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
                b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
                b"GET / HTTP/1.0\r\n\r\n",
            ]
        )
        return raw, f"raw {raw[:40]!r}"
    method = rng.choice(FUZZ_METHODS)
    target = _fuzz_target(rng)
    headers: list[tuple[str, str]] = [
        ("Host", authority if rng.random() < 0.9 else rng.choice([EVIL, "", "[::1", "a" * 300]))
    ]
    if rng.random() < 0.8:
        headers.append(("Accept", rng.choice(FUZZ_ACCEPT)))
    for name, values in (
        ("If-None-Match", ['"abc"', "*", "W/", '"' + "x" * 500]),
        ("Range", ["bytes=0-10", "bytes=-5", "bytes=99999999-", "bytes=5-1", "lines=1-2"]),
        ("Accept-Encoding", ["gzip", "br", "*;q=0", "identity;q=0"]),
        ("Accept-Language", ["en", "*", "zz-ZZ;q=5"]),
        ("Origin", ["http://evil.example", "null"]),
        ("Access-Control-Request-Method", ["POST", "DELETE", "X"]),
        ("X-Forwarded-For", ["1.2.3.4", "garbage", "1.1.1.1, 2.2.2.2"]),
        ("If-Modified-Since", ["Thu, 01 Jan 1970 00:00:00 GMT", "yesterday"]),
        ("Cookie", ["a=b", "=" * 100]),
        ("Expect", ["100-continue", "nothing"]),
    ):
        if rng.random() < 0.12:
            headers.append((name, rng.choice(values)))
    body = None
    if method in ("POST", "PUT", "PATCH") or rng.random() < 0.05:
        headers.append(("Content-Type", rng.choice(FUZZ_CONTENT_TYPES)))
        kind = rng.random()
        if kind < 0.45:
            body = urllib.parse.urlencode([(rng.choice(FUZZ_KEYS), _fuzz_value(rng))]).encode()
        elif kind < 0.75:
            body = _fuzz_value(rng).encode("utf-8", "surrogatepass")
        elif kind < 0.9:
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        else:
            body = b"query=" + b"A" * rng.choice([90_000, 150_000])  # around the request size limit
        if rng.random() < 0.15:
            chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
            headers.append(("Transfer-Encoding", "chunked"))
            return build_request(method, target, headers, chunked), f"{method} {target[:80]} (chunked)"
    version = "HTTP/1.1" if rng.random() < 0.95 else "HTTP/1.0"
    return build_request(method, target, headers, body, version), f"{method} {target[:80]}"


TRACEBACK = re.compile(rb'Traceback \(most recent call last\)|File "[^"]+", line \d+')


def attack_fuzz(a: Attack) -> None:
    rng = random.Random(a.seed)  # noqa: S311 -- reproducible fuzzing, not security
    sent, no_answer = 0, Counter()
    src = a.target.source(a.address(6, 0))
    examples: list[str] = []
    unanswered: list[str] = []
    while a.running() and sent < a.fuzz_requests:
        raw, summary = fuzz_case(rng, a.target.authority)
        sent += 1
        reply = exchange(a.target, raw, source=src, timeout=5, sockets=a.sockets, head=raw.startswith(b"HEAD "))
        a.count(reply)
        if reply.status is None:
            no_answer[reply.error or "?"] += 1
            if len(unanswered) < 10:
                unanswered.append(f"{reply.error}: {summary}")
        traceback = bool(TRACEBACK.search(reply.body))
        if (reply.server_error or traceback) and len(examples) < 20:
            first = reply.body[:160].decode("utf-8", "replace").replace("\n", " ").strip()
            examples.append(f"{reply.status}{' traceback' if traceback else ''}: {summary} → {first}")
        if traceback:
            a.problems.append(f"traceback in body: {summary}")
    a.details = {
        "requests": sent,
        "seed": a.seed,
        "no_answer": dict(no_answer),
        "unanswered_examples": unanswered,
        "5xx_examples": examples,
    }


def attack_cache_bloat(a: Attack) -> None:
    """Distinct ~90 KB cheap queries from 2 clients: each answer is small, each key is not."""
    sent = Counter()

    def client(i: int) -> None:
        n = 0
        while a.running():
            n += 1
            headers, body = sparql_post(padded_query(90_000, f"bloat {os.getpid()} {i} {n}"))
            reply = request(
                a.target,
                "POST",
                "/sparql",
                headers,
                body,
                source=a.target.source(a.address(7, i)),
                timeout=30,
                sockets=a.sockets,
            )
            if not a.running() and reply.status is None:
                return
            a.count(reply)
            sent["queries"] += 1
            sent["bytes"] += len(body)

    a.threads(2, client)
    a.details = {"queries": sent["queries"], "query_mb": round(sent["bytes"] / 2**20, 1)}


RUNNERS: dict[str, Callable[[Attack], None]] = {
    "a": attack_slow_headers,
    "b": attack_runaway,
    "c": attack_memory,
    "d": attack_nested,
    "e": attack_forged_host,
    "f": attack_fuzz,
    "g": attack_cache_bloat,
}
#: Attacks made of malformed or hostile input: every 5xx they get is a failure.
MALFORMED = {"d", "e", "f"}


# --- the run ------------------------------------------------------------------------------------


def wait_recovered(target: Target, base: str, fact: str, limit: float = 90.0) -> float | None:
    """Seconds until ``/health`` and a fresh point query both answer 200 within 1 s (None: not in ``limit``)."""
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < limit:
        n += 1
        health = request(target, "GET", "/health", timeout=1, source=target.source(PROBE_ADDRESS))
        query = f"ASK {{ <{base}fact/{fact}> ?p ?o }}\n# recovered? {os.getpid()} {n} {time.time()}"
        point = request(
            target,
            "GET",
            "/sparql?" + urllib.parse.urlencode({"query": query}),
            [("Accept", JSON_RESULTS)],
            timeout=1,
            source=target.source(PROBE_ADDRESS),
        )
        if health.status == 200 and point.status == 200:
            return round(time.monotonic() - start, 1)
        time.sleep(0.25)
    return None


def warm_up(probe: Probe, limit: float = 60.0) -> float:
    """Ask the probe's requests until three rounds in a row answer 200 within the target (the executors
    start on the first queries, in every worker): the baseline then measures a warm server. Returns s."""
    start, good = time.monotonic(), 0
    while good < 3 and time.monotonic() - start < limit:
        replies = [probe.ask(kind) for kind in PROBE_KINDS for _ in range(2)]
        good = good + 1 if all(r.status == 200 and r.elapsed <= TARGET_S for r in replies) else 0
    return round(time.monotonic() - start, 1)


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) the processes of ``root``'s tree have used so far."""
    ticks = 0
    for pid in process_tree(root):
        with suppress(OSError, ValueError, IndexError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_quiet(root: int, limit: float = 120.0, cores: float = 0.3) -> float | None:
    """Seconds until the server's process tree uses less than ``cores`` of a CPU over one second (its
    executors have ended what the attack left running); None: not within ``limit``."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        before = tree_cpu_seconds(root)
        time.sleep(1.0)
        if tree_cpu_seconds(root) - before < cores:
            return round(time.monotonic() - start, 1)
    return None


def fact_ids(target: Target) -> list[str]:
    # Not the plain /facts.json: the forged-Host attack wants that page's cache cold.
    reply = request(target, "GET", "/facts.json?kind=clastokine", [("Accept", "application/json")], timeout=30)
    try:
        return [f["id"] for f in json.loads(reply.body)["facts"]][:20]
    except (ValueError, KeyError, TypeError):
        return []


def run_phase(
    letter: str,
    duration: float,
    target: Target,
    args: argparse.Namespace,
    probe: Probe,
    sampler: MemorySampler | None,
    phase_stop: threading.Event,
    facts: list[str],
) -> dict[str, Any]:
    """One attack (``0``: none) for ``duration`` s under the probe; ``phase_stop`` ends it early."""
    name = ATTACKS.get(letter, "baseline")
    print(f"[{letter}] {name} for {duration:.0f} s …", file=sys.stderr)
    attack = Attack(target, args.base, time.monotonic() + duration, phase_stop, args.seed, facts, args.fuzz_requests)
    rss_before = sampler.last if sampler else (0, 0, 0)
    load_start = os.getloadavg()
    if sampler:
        sampler.reset()
    probe.begin()
    started = time.monotonic()
    try:
        if letter in RUNNERS:
            RUNNERS[letter](attack)
        remaining = attack.deadline - time.monotonic()
        if remaining > 0:  # the baseline, or a one-shot attack that finished early: keep probing
            phase_stop.wait(remaining if letter not in RUNNERS else min(remaining, 2.0))
    finally:  # also on Ctrl-C: the attack's threads see the event, its blocked sockets are shut
        phase_stop.set()
        attack.sockets.shutdown_all()
    elapsed = time.monotonic() - started
    samples = probe.end()
    load_end = os.getloadavg()
    recovery = wait_recovered(target, args.base, facts[0] if facts else "CF0320")
    # Queries an attack left running go on after its clients are gone: the attack's peak memory
    # includes them, and the next attack starts on a quiet server.
    quiet = wait_quiet(sampler.root) if sampler else None
    peak = sampler.reset() if sampler else MemoryPeak()
    rss_after = sampler.last if sampler else (0, 0, 0)
    stats = probe_stats(samples)
    probe_5xx = sum(1 for s in samples if s.status is not None and s.status >= 500)
    reasons = []
    for kind, st in stats.items():
        if not st["n"]:
            reasons.append(f"no {kind} probe answered")
        elif st["p99_ms"] > TARGET_S * 1000:
            reasons.append(f"{kind} p99 {st['p99_ms']:.0f} ms")
        if st["failures"]:
            reasons.append(f"{kind} failed {sum(st['failures'].values())}×")
    if sampler and peak.rss_kb > args.budget_mb * 1024:
        reasons.append(f"RSS {peak.rss_kb / 1024:.0f} MB > {args.budget_mb} MB")
    if letter in MALFORMED and attack.server_errors:
        reasons.append(f"{attack.server_errors} 5xx to malformed input")
    reasons += attack.problems[:5]
    if recovery is None:
        reasons.append("did not recover within 90 s")
    return {
        "attack": letter,
        "name": name,
        "seconds": round(elapsed, 1),
        "probe": stats,
        "probe_5xx": probe_5xx,
        "attack_statuses": dict(attack.statuses),
        "attack_5xx": attack.server_errors,
        "details": attack.details,
        "problems": attack.problems,
        "peak_rss_mb": round(peak.rss_kb / 1024) if sampler else None,
        "peak_pss_mb": round(peak.pss_kb / 1024) if sampler else None,
        "processes_at_peak": peak.processes if sampler else None,
        "rss_before_mb": round(rss_before[0] / 1024) if sampler else None,
        "rss_after_mb": round(rss_after[0] / 1024) if sampler else None,
        "pss_before_mb": round(rss_before[1] / 1024) if sampler else None,
        "pss_after_mb": round(rss_after[1] / 1024) if sampler else None,
        "recovery_s": recovery,
        "quiet_s": quiet,
        "probe_skipped": probe.skipped,
        "load_start": [round(x, 2) for x in load_start],
        "load_end": [round(x, 2) for x in load_end],
        "target_met": not reasons,
        "why_not": reasons,
    }


def _secs(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def _lat(stats: dict[str, Any]) -> str:
    return f"{stats['p50_ms']:.0f} / {stats['p99_ms']:.0f} / {stats['max_ms']:.0f}" if stats["n"] else "–"


def markdown(results: list[dict[str, Any]], budget_mb: int) -> str:
    lines = [
        "| attack | /health p50 / p99 / max ms | page p50 / p99 / max ms | query p50 / p99 / max ms | "
        "probe failures | attack answers | 5xx | peak RSS (PSS) MB | RSS before → after MB | "
        "answers again / quiet after s | load start → end | target |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        p = r["probe"]
        failures = Counter()
        for st in p.values():
            failures.update(st["failures"])
        answers = ", ".join(f"{k}×{v}" for k, v in sorted(r["attack_statuses"].items())) or "–"
        rss = f"{r['peak_rss_mb']} ({r['peak_pss_mb']})" if r["peak_rss_mb"] is not None else "–"
        before_after = f"{r['rss_before_mb']} → {r['rss_after_mb']}" if r["rss_before_mb"] is not None else "–"
        verdict = "met" if r["target_met"] else "**missed**: " + "; ".join(r["why_not"][:4])
        lines.append(
            f"| {r['attack']} {r['name']} | {_lat(p['health'])} | {_lat(p['page'])} | {_lat(p['query'])} | "
            f"{', '.join(f'{k}×{v}' for k, v in sorted(failures.items())) or '0'} | {answers} | "
            f"{r['probe_5xx'] + r['attack_5xx']} | {rss} | {before_after} | "
            f"{_secs(r['recovery_s'])} / {_secs(r.get('quiet_s'))} | "
            f"{r['load_start'][0]:.2f} → {r['load_end'][0]:.2f} | {verdict} |"
        )
    lines.append("")
    lines.append(
        f"Target: each probe kind p99 ≤ {TARGET_S * 1000:.0f} ms with no failure; peak RSS of the server's "
        f"process tree ≤ {budget_mb} MB; no 5xx to malformed input (d, e, f); nothing poisoned (e). "
        "Probe latencies count a failed request with the time it took (a timeout with the whole timeout). "
        "Peak RSS covers the attack and what it left running until the server was quiet again; "
        '"answers again": /health and a point query both within 1 s after the attack ended.'
    )
    for r in results:
        if r["details"]:
            lines.append(f"- **{r['attack']} {r['name']}**: `{json.dumps(r['details'], ensure_ascii=False)}`")
    return "\n".join(lines)


def parse_only(text: str | None) -> list[str]:
    """Attack letters from ``a,b`` or names (``runaway,fuzz``), in run order; all when ``text`` is empty.

    >>> parse_only("fuzz,a"), parse_only(None)[:2]
    (['a', 'f'], ['a', 'b'])
    """
    if not text:
        return list(ATTACKS)
    names = {v: k for k, v in ATTACKS.items()}
    chosen = set()
    for item in (x.strip() for x in text.split(",") if x.strip()):
        letter = item if item in ATTACKS else names.get(item)
        if letter is None:
            raise SystemExit(
                f"unknown attack {item!r}: choose from {', '.join(f'{k} ({v})' for k, v in ATTACKS.items())}"
            )
        chosen.add(letter)
    return [k for k in ATTACKS if k in chosen]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--build-dir", type=Path, default=REPO / "build", help="the build to serve (default: build/)")
    p.add_argument("--port", type=int, help="port for the server this script starts (default: a free one)")
    p.add_argument("--url", help="attack the server already running here (e.g. http://127.0.0.1:8000)")
    p.add_argument("--server-pid", type=int, help="with --url: the server's top process (default: found by port)")
    p.add_argument("--serve-arg", action="append", default=[], help="extra argument for `clastordf serve` (repeat)")
    p.add_argument("--duration", type=float, default=20.0, help="seconds per attack (default 20)")
    p.add_argument("--baseline", type=float, default=5.0, help="seconds of probing without an attack first (0: none)")
    p.add_argument(
        "--only", help="attacks to run, letters or names: " + ", ".join(f"{k}={v}" for k, v in ATTACKS.items())
    )
    p.add_argument("--seed", type=int, default=16, help="the fuzzer's seed")
    p.add_argument("--fuzz-requests", type=int, default=500, help="fuzzer requests at most (default 500)")
    p.add_argument("--budget-mb", type=int, default=2048, help="peak RSS budget of the server's process tree")
    p.add_argument(
        "--guard-mb",
        type=int,
        default=8192,
        help="stop an attack when the server's RSS passes this, and kill the server's largest process if this "
        "script started the server (protects a shared machine; default 8192)",
    )
    p.add_argument("--probe-timeout", type=float, default=5.0, help="seconds before a probe request fails")
    p.add_argument("--base", default=DEFAULT_BASE, help="the IRI base the server serves")
    p.add_argument("--json", type=Path, default=OUT / "abuse.json")
    args = p.parse_args(argv)
    letters = parse_only(args.only)

    server: ServerProcess | None = None
    sampler: MemorySampler | None = None
    probe: Probe | None = None
    phase = {"stop": threading.Event()}  # the running phase's stop event, for the memory guard
    guard_fired: list[str] = []

    def guard() -> None:
        note = f"memory guard: RSS passed {args.guard_mb} MB, attack ended early"
        if server is not None:
            # The queries go on without their clients: on a shared machine the biggest process of a server
            # we started is killed (an executor; the server answers that query 503 and starts another).
            biggest = max(process_tree(server.pid), key=rss_kb, default=None)
            if biggest is not None and biggest != server.pid:
                note += f", its largest process {biggest} ({rss_kb(biggest) // 1024} MB) killed"
                with suppress(ProcessLookupError):
                    os.kill(biggest, signal.SIGKILL)
        print(f"!! {note}", file=sys.stderr)
        guard_fired.append(note)
        phase["stop"].set()

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    results: list[dict[str, Any]] = []
    info: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cpus": os.cpu_count()}
    try:
        if args.url:
            parts = urllib.parse.urlsplit(args.url)
            target = Target(parts.hostname or "127.0.0.1", parts.port or 80)
            root = args.server_pid or (server_root(target.port) if target.loopback else None)
        else:
            target = Target("127.0.0.1", args.port or free_port())
            log = OUT / "abuse-server.log"
            log.unlink(missing_ok=True)
            server = start_server(args.build_dir.resolve(), target.port, log, args.serve_arg)
            info["start_s"] = round(server.wait_healthy(target), 1)
            root = server.pid
        facts = fact_ids(target) or ["CF0320"]
        info.update(target=target.authority, server_pid=root, facts=len(facts), args=sys.argv[1:])
        if root is not None:
            sampler = MemorySampler(root, limit_kb=args.guard_mb * 1024, over_limit=guard).start()
            time.sleep(0.3)
            info["rss_idle_mb"] = round(sampler.last[0] / 1024)
        else:
            print("no server process found: memory is not measured", file=sys.stderr)
        probe = Probe(target, args.base, facts, args.probe_timeout)
        info["warm_up_s"] = warm_up(probe)
        probe.start()
        phases = ([("0", args.baseline)] if args.baseline > 0 else []) + [(x, args.duration) for x in letters]
        for letter, seconds in phases:
            phase["stop"] = threading.Event()
            result = run_phase(letter, seconds, target, args, probe, sampler, phase["stop"], facts)
            if guard_fired:
                result["why_not"].insert(0, guard_fired.pop())
                result["target_met"] = False
            results.append(result)
            if server is not None and server.process.poll() is not None:
                print(f"the server exited (status {server.process.returncode}): stopping", file=sys.stderr)
                info["server_exited"] = server.process.returncode
                break
    except KeyboardInterrupt:
        print("interrupted: stopping the attacks and the server …", file=sys.stderr)
        info["interrupted"] = True
    except Exception as exc:  # report what was measured before the tool itself failed
        traceback.print_exc()
        info["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        if probe is not None:
            probe.stop()
        if sampler is not None:
            sampler.stop()
        if server is not None:
            server.stop()
    info["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    info["load_end"] = [round(x, 2) for x in os.getloadavg()]
    if results:
        print(markdown(results, args.budget_mb))
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"info": info, "results": results}, indent=2, ensure_ascii=False) + "\n")
        print(f"\nJSON: {args.json}", file=sys.stderr)
    if "error" in info:
        return 2
    return 0 if results and all(r["target_met"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
