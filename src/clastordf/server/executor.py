"""Query executors: SPARQL queries run in long-lived child processes that can be killed.

pyoxigraph cannot interrupt a running query from Python, so the only reliable time limit is to run the
query in another process and kill that process when the limit passes. Each web worker keeps a small
:class:`ExecutorPool`; every executor process opens the store read-only once (cheap: the OS shares its
pages), receives a :class:`Job` over a pipe, runs it, caps and serializes the result itself and sends
back only bytes, so the web worker never holds pyoxigraph results and a killed query leaves nothing
behind. Processes are fresh interpreters (a ``fork`` would copy the web worker's open store and threads
in an undefined state) started as plain subprocesses that import only this module, the store and
pyoxigraph (:func:`main`): not ``multiprocessing``'s ``spawn``, which would import the server's whole
``__main__`` again (the command line, every pipeline stage) and make each start, and so each
replacement of a killed executor, take seconds instead of a fraction of one.

Limits, so that queries cannot take the server down (see :class:`ExecutorLimits`):

* Memory: each executor may allocate at most ``memory_mib`` (``setrlimit(RLIMIT_DATA)`` in the process:
  the heap and private memory a query builds up, not the address space the OS reserves for thread
  stacks and the store's mapped files, which ``RLIMIT_AS`` would count). A query over it makes the
  process fail an allocation and die; the failure is reported as ``memory``, naming the limit, and the
  executor is replaced. :meth:`ExecutorPool.memory` tells what the executors hold now.
* CPU: executors run ``nice`` steps below the web worker, so the threads that answer pages and
  ``/health`` get the CPU first even while every executor is busy.
* Long queries: at most ``size - reserve`` executors may hold a query that has run longer than
  ``long_after`` seconds; a query that crosses that line when they are all taken is stopped (``long``),
  so that ``reserve`` executors stay free for the short queries most clients send.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import logging
import os
import queue
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from .store import open_store

log = logging.getLogger(__name__)

#: Media types of SELECT/ASK results, the endpoint's preferred first (the default when anything goes).
RESULTS_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
#: Media types of CONSTRUCT/DESCRIBE results (and of the service description), preferred first.
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
#: A result body is at most this large even within the row limit (a few huge literals): the pipe
#: and the web worker's memory stay bounded.
MAX_BODY_BYTES = 64 * 1024 * 1024
TOO_LARGE = (
    f"the result is larger than {MAX_BODY_BYTES // 2**20} MiB even within the row limit; select fewer or shorter values"
)
#: Seconds a fresh executor may take to open the store before it counts as broken.
STARTUP_TIMEOUT = 30.0
#: Retry-After (seconds) for a query refused because the server is busy: the slots free up within
#: about the long-query threshold.
RETRY_AFTER = 2
#: An executor killed by SIGSEGV in a query: pyoxigraph's parser recurses once per nesting level, and a
#: query nested deeper than the endpoint's limits (:mod:`.query_limits`) allow overflows its stack.
STACK_OVERFLOW = "the query engine crashed reading the query: it nests too deeply for the parser's stack"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True)
class Job:
    """One query and how to answer it; pickled to the executor process."""

    query: str
    #: Media type for SELECT/ASK results, or None when the client accepts none.
    results_type: str | None
    #: Media type for CONSTRUCT/DESCRIBE results, or None when the client accepts none.
    graph_type: str | None
    #: Rows or triples the answer holds at most.
    limit: int
    #: The protocol's ``default-graph-uri``/``named-graph-uri``; None: not given.
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    #: Without a protocol dataset: query the union of all graphs (False when the query has FROM).
    union_default_graph: bool = True
    #: Prefixes for Turtle/RDF-XML output (the query's own PREFIX declarations).
    prefixes: dict[str, str] = field(default_factory=dict)
    #: The query calls an allow-listed SERVICE: an I/O error is then the remote endpoint's.
    federated: bool = False
    #: SELECT, ASK, CONSTRUCT or DESCRIBE as the endpoint's tokenizer read it (None: neither); a remote
    #: backend is asked for the matching result format.
    form: str | None = None
    #: The IRI relative IRIs in the query resolve against (the endpoint's own); None: they are an error.
    base_iri: str | None = None


@dataclass(frozen=True)
class Answer:
    """A serialized result."""

    media_type: str
    body: bytes
    #: The result had more rows (triples) than the limit; the body holds the first ``limit``.
    truncated: bool
    #: "solutions", "boolean" or "graph".
    kind: str


class QueryRunner(Protocol):
    """What the endpoint runs a :class:`Job` with: an :class:`ExecutorPool` over the embedded store, or a
    :class:`~.backend.RemoteStore`. Raises :class:`QueryFailed` for a query it does not answer."""

    def run(self, job: Job, timeout: float) -> Answer: ...


class QueryFailed(Exception):
    """A query that was not answered; ``kind`` says why and the endpoint maps it to a status code.

    Kinds: ``syntax``, ``not-acceptable``, ``timeout``, ``busy`` (no executor came free in time),
    ``long`` (stopped at the long-query threshold: the executors for long queries were all taken),
    ``memory`` (the query needed more than an executor's memory limit), ``service`` (an allow-listed
    remote endpoint failed), ``too-large``, ``crashed`` (the executor died), ``internal``; with a remote
    backend (:mod:`.backend`) also ``backend-down``, ``backend-refused`` (it answered 400) and
    ``backend-error`` (another error, or an answer that cannot be read).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class ExecutorLimits:
    """What one executor process may use, and when a query counts as long.

    >>> ExecutorLimits(memory_mib=300).memory_bytes
    314572800
    >>> ExecutorLimits().memory_bytes is None
    True
    """

    #: Memory (MiB) one executor may allocate (its data segment: heap and private mappings); None: no cap.
    memory_mib: int | None = None
    #: Steps of CPU niceness below the web worker (0: the same priority; the OS caps niceness at 19).
    nice: int = 10
    #: Seconds after which a running query is a long one.
    long_after: float = 0.5
    #: Executors kept free of long queries (the pool keeps at least one executor for long ones).
    reserve: int = 1

    @property
    def memory_bytes(self) -> int | None:
        return self.memory_mib * 2**20 if self.memory_mib else None


@dataclass(frozen=True)
class ExecutorMemory:
    """The memory of one web worker's executor processes, as ``/health`` may report it."""

    #: Executor processes running now.
    processes: int
    #: Their resident memory now (bytes, from ``/proc``; 0 where the OS does not tell).
    rss_bytes: int
    #: What each may allocate at most (bytes), or None without a cap.
    limit_bytes: int | None


def process_rss(pid: int | None) -> int:
    """The resident memory (bytes) of process ``pid`` from ``/proc/PID/statm``; 0 when it is gone (or
    the OS has no ``/proc``).

    >>> process_rss(os.getpid()) > 0
    True
    >>> process_rss(None)
    0
    """
    if pid is None:
        return 0
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def memory_message(limit_mib: int | None) -> str:
    """What a client is told when its query hit the executor's memory limit."""
    limit = f"the {limit_mib} MiB" if limit_mib else "the memory"
    return (
        f"the query was stopped: it needed more than {limit} of memory this server gives one query; "
        "make it more selective (fewer rows to join, sort or group)"
    )


# --- inside the executor process ------------------------------------------------------------------


def _term_json(term: Any) -> dict[str, Any]:
    """A term as SPARQL 1.1 (1.2 for triple terms and base directions) JSON results."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            if term.direction is not None:
                out["its:dir"] = str(term.direction)
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _term_json(term.subject),
                "predicate": _term_json(term.predicate),
                "object": _term_json(term.object),
            },
        }
    raise TypeError(f"unexpected term {term!r}")


def _solutions(result: ox.QuerySolutions, media_type: str, limit: int) -> tuple[bytes, bool]:
    """The first ``limit`` solutions in ``media_type``; pyoxigraph serializes only whole iterators, so
    the capped rows are written as JSON and, for the other formats, re-read and re-serialized."""
    names = [v.value for v in result.variables]
    rows = list(islice(result, limit + 1))
    truncated = len(rows) > limit
    bindings = []
    for row in rows[:limit]:
        bindings.append({n: _term_json(row[n]) for n in names if row[n] is not None})
    data = json.dumps(
        {"head": {"vars": names}, "results": {"bindings": bindings}}, ensure_ascii=False, separators=(",", ":")
    ).encode()
    fmt = RESULTS_FORMATS[media_type]
    if fmt == ox.QueryResultsFormat.JSON:
        return data, truncated
    body = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON).serialize(format=fmt)
    assert body is not None  # given no output, pyoxigraph returns the bytes
    return body, truncated


def _graph(result: Iterable[ox.Triple], media_type: str, limit: int, prefixes: dict[str, str]) -> tuple[bytes, bool]:
    triples = list(islice(result, limit + 1))
    fmt = GRAPH_FORMATS[media_type]
    try:
        body = ox.serialize(triples[:limit], format=fmt, prefixes=prefixes or None)
    except ValueError:  # a prefix the serializer rejects: plain IRIs are always fine
        body = ox.serialize(triples[:limit], format=fmt)
    assert body is not None  # given no output, pyoxigraph returns the bytes
    return body, len(triples) > limit


def _not_acceptable(what: str, offered: dict[str, Any]) -> QueryFailed:
    return QueryFailed(
        "not-acceptable",
        f"the query is a {what} query, and none of its result formats is acceptable; offered: {', '.join(offered)}",
    )


def execute(store: ox.Store, job: Job) -> Answer:
    """Run ``job`` on ``store`` and serialize its capped result (called in the executor process)."""
    kwargs: dict[str, Any] = {"base_iri": job.base_iri}
    if job.default_graphs is not None or job.named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
    elif job.union_default_graph:
        kwargs["use_default_graph_as_union"] = True
    return serialize_result(store.query(job.query, **kwargs), job)


def serialize_result(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | Iterable[ox.Triple], job: Job
) -> Answer:
    """A query result capped at ``job.limit`` and serialized as the job asks.

    The one place answers are written, whoever ran the query (an executor over the embedded store, or
    :mod:`.backend` for a remote endpoint, whose parsed answer arrives here as pyoxigraph objects; a
    graph result from there is a plain iterator of triples), so the endpoint answers alike either way.
    Raises a ``too-large`` failure for a body over :data:`MAX_BODY_BYTES`.
    """
    if not isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        if job.graph_type is None:
            raise _not_acceptable("CONSTRUCT/DESCRIBE", GRAPH_FORMATS)
        body, truncated = _graph(result, job.graph_type, job.limit, job.prefixes)
        answer = Answer(job.graph_type, body, truncated, "graph")
    elif job.results_type is None:
        raise _not_acceptable("SELECT/ASK", RESULTS_FORMATS)
    elif isinstance(result, ox.QueryBoolean):
        boolean = result.serialize(format=RESULTS_FORMATS[job.results_type])
        assert boolean is not None  # given no output, pyoxigraph returns the bytes
        answer = Answer(job.results_type, boolean, False, "boolean")
    else:
        body, truncated = _solutions(result, job.results_type, job.limit)
        answer = Answer(job.results_type, body, truncated, "solutions")
    if len(answer.body) > MAX_BODY_BYTES:
        raise QueryFailed("too-large", TOO_LARGE)
    return answer


def _isolate_network() -> bool:
    """Best effort: move this process into fresh user and network namespaces, which reach nowhere.

    Used when no SERVICE endpoint is allowed: a query that slipped past the endpoint's SERVICE check
    would still find no network. Needs Linux and unprivileged user namespaces (or root).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    clone_newuser, clone_newnet = 0x10000000, 0x40000000
    return any(libc.unshare(flags) == 0 for flags in (clone_newuser | clone_newnet, clone_newnet))


def _exit_with(parent: int) -> None:
    """Exit when the web worker is gone, even in the middle of a query (it was killed, say, and could not
    stop us): an orphaned executor must not run on."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def _lower_priority(niceness: int) -> None:
    """Run at ``niceness`` (the parent sets it too, right after the start; the OS caps it at 19)."""
    try:
        if os.getpriority(os.PRIO_PROCESS, 0) < niceness:
            os.setpriority(os.PRIO_PROCESS, 0, niceness)
    except OSError:  # best effort: a platform without priorities still answers queries
        pass


def main(argv: list[str]) -> None:
    """The executor process's entry point (``python -c``, see :class:`Executor`): the socket to the web
    worker, the store's folder, 1 to cut the network, the web worker's pid, the niceness, the memory cap
    in bytes (0: none)."""
    fd, store_dir, isolate, parent, niceness, memory = argv
    _serve(Connection(int(fd)), store_dir, isolate == "1", int(parent), int(niceness), int(memory) or None)


def _serve(conn: Connection, store_dir: str, isolate: bool, parent: int, niceness: int, memory: int | None) -> None:
    """The executor process: open the store, say ready, then answer jobs until the pipe closes."""
    # Ctrl-C, or a SIGTERM sent to the whole process group (a terminal, systemd), is for the server: it
    # lets the queries in progress finish, then stops us (and if it is gone, _exit_with stops us).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _lower_priority(niceness)
    isolated = _isolate_network() if isolate else False
    threading.Thread(target=_exit_with, args=(parent,), name="orphan-watch", daemon=True).start()
    store = open_store(Path(store_dir))
    if memory is not None:
        # After opening the store, so the cap is the queries' to use up; an allocation over it fails:
        # pyoxigraph (Rust) then aborts the process, Python raises MemoryError.
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    conn.send(("ready", os.getpid(), isolated))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            answer = execute(store, job)
        except QueryFailed as e:
            conn.send(("error", e.kind, e.message))
            continue
        except SyntaxError as e:
            conn.send(("error", "syntax", str(e)))
            continue
        except MemoryError:
            # Report it, then go: the web worker starts a fresh executor (this one may be in a bad state).
            try:
                conn.send(("error", "memory", ""))
            finally:
                os._exit(1)
        except OSError as e:
            conn.send(("error", "service" if job.federated else "internal", f"{type(e).__name__}: {e}"))
            continue
        except Exception as e:  # reported to the web worker, which logs it and answers 500
            conn.send(("error", "internal", f"{type(e).__name__}: {e}"))
            continue
        conn.send(("ok", answer.media_type, answer.truncated, answer.kind))
        conn.send_bytes(answer.body)


# --- in the web worker ----------------------------------------------------------------------------


#: What the executor process runs: imports clastordf.server.executor and calls :func:`main`.
_CHILD = "import sys; from clastordf.server.executor import main; main(sys.argv[1:])"


class _Launcher:
    """Starts executor processes for one pool, one ahead of need (the spare): an executor that is killed
    (time limit, memory limit, long query) is replaced by a process that has already opened the store,
    and the next spare starts in the background."""

    def __init__(self, store_dir: Path, isolate: bool, limits: ExecutorLimits, spare: bool = True) -> None:
        self._store_dir = store_dir
        self._isolate = isolate
        self._limits = limits
        self._keep_spare = spare
        self._lock = threading.Lock()
        self._spare: tuple[subprocess.Popen[bytes], Connection] | None = self._launch() if spare else None

    def _launch(self) -> tuple[subprocess.Popen[bytes], Connection]:
        ours, theirs = socket.socketpair()
        niceness = min(19, os.getpriority(os.PRIO_PROCESS, 0) + max(0, self._limits.nice))
        args = [str(theirs.fileno()), str(self._store_dir), "1" if self._isolate else "0", str(os.getpid())]
        args += [str(niceness), str(self._limits.memory_bytes or 0)]
        # The child finds clastordf where this process did (an editable install, a test's path, ...).
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, *args], pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env
        )
        theirs.close()
        # At once, so that the new process starts (imports, opens the store) at the lower priority and
        # within its memory cap too (it sets both itself as well).
        try:
            os.setpriority(os.PRIO_PROCESS, proc.pid, niceness)
            if self._limits.memory_bytes:
                cap = self._limits.memory_bytes
                resource.prlimit(proc.pid, resource.RLIMIT_DATA, (cap, cap))
        except OSError:
            pass  # the process died already: its first job finds out
        return proc, Connection(ours.detach())

    def take(self) -> tuple[subprocess.Popen[bytes], Connection]:
        """A started process (the spare, if it is alive) and the web worker's end of its socket."""
        with self._lock:
            taken, self._spare = self._spare, None
            if taken is not None and taken[0].poll() is not None:
                taken[1].close()
                taken = None
            if self._keep_spare:
                self._spare = self._launch()
        return taken if taken is not None else self._launch()

    @property
    def spare_pid(self) -> int | None:
        spare = self._spare
        return spare[0].pid if spare is not None else None

    def close(self) -> None:
        """Stop the spare, and start no other."""
        with self._lock:
            self._keep_spare = False
            spare, self._spare = self._spare, None
        if spare is not None:
            spare[0].kill()
            spare[0].wait()
            spare[1].close()


class Executor:
    """One executor process and the web worker's end of its socket; used by one thread at a time."""

    def __init__(self, launcher: _Launcher, limits: ExecutorLimits) -> None:
        self._launcher = launcher
        self._limits = limits
        self._start()

    def _start(self) -> None:
        self._proc, self._conn = self._launcher.take()
        self._ready = False
        #: The process has no network (known once it is ready; see :func:`_isolate_network`).
        self.isolated: bool | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def _wait(self, timeout: float) -> int | None:
        """The process's exit status once it has ended (-N: killed by signal N), or None."""
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        """Kill the process (SIGKILL: a running query cannot be asked to stop) and close the socket."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._wait(5)
        self._conn.close()

    def restart(self) -> None:
        self.stop()
        self._start()

    def _send(self, job: Job) -> None:
        """Hand ``job`` over, first waiting for a fresh process to open the store; one restart if the
        process died while idle."""
        if not self.alive:
            self.restart()
        for attempt in (1, 2):
            try:
                if not self._ready:
                    if not self._conn.poll(STARTUP_TIMEOUT):
                        raise QueryFailed("crashed", "the query executor did not start in time")
                    _, pid, self.isolated = self._conn.recv()
                    self._ready = True
                    log.debug("query executor %s ready (network isolated: %s)", pid, self.isolated)
                self._conn.send(job)
                return
            except (EOFError, OSError):
                self.restart()
                if attempt == 2:
                    raise QueryFailed("crashed", "the query executor could not be started") from None

    def _died(self) -> QueryFailed:
        """The process ended in the middle of a query: why, as well as the exit tells; then a fresh one."""
        code = self._wait(1)
        self.restart()
        if code == -signal.SIGSEGV:  # the query's doing, not the server's: a 400
            return QueryFailed("syntax", STACK_OVERFLOW)
        # Under the cap a failed allocation aborts pyoxigraph (Rust). A SIGKILL comes from outside (an
        # operator, the kernel's OOM killer): not the query's fault, so no client is paused for it.
        if code == -signal.SIGABRT and self._limits.memory_mib:
            log.warning("query executor hit its memory limit of %s MiB (exit %s)", self._limits.memory_mib, code)
            return QueryFailed("memory", memory_message(self._limits.memory_mib))
        if code == -signal.SIGKILL:
            return QueryFailed("crashed", "the query executor was killed while running the query; try again")
        return QueryFailed(
            "crashed", "the query executor stopped while running the query (it may have needed too much memory)"
        )

    def run(self, job: Job, timeout: float, long_slots: threading.Semaphore | None = None) -> Answer:
        """Answer ``job``, or kill the process and raise a ``timeout`` failure after ``timeout`` seconds.

        With ``long_slots``, a query still running after ``limits.long_after`` seconds must take one of
        them for the rest of its time; when none is free it is stopped at once (a ``long`` failure).
        """
        self._send(job)
        first = timeout if long_slots is None else min(timeout, self._limits.long_after)
        if not self._conn.poll(first):
            if first >= timeout:
                self.restart()
                raise QueryFailed("timeout", f"the query was stopped at the time limit of {timeout:g} s")
            assert long_slots is not None
            if not long_slots.acquire(blocking=False):
                self.restart()
                raise QueryFailed(
                    "long",
                    f"the query was stopped after {first:g} s: the server is already running as many long "
                    f"queries as it can; try again shortly, or make the query more selective",
                )
            try:
                answered = self._conn.poll(timeout - first)
            finally:
                long_slots.release()
            if not answered:
                self.restart()
                raise QueryFailed("timeout", f"the query was stopped at the time limit of {timeout:g} s")
        try:
            reply = self._conn.recv()
            if reply[0] == "ok":
                _, media_type, truncated, kind = reply
                return Answer(media_type, self._conn.recv_bytes(), truncated, kind)
        except (EOFError, OSError):
            raise self._died() from None
        _, kind, message = reply
        if kind == "memory":
            raise QueryFailed("memory", memory_message(self._limits.memory_mib))
        raise QueryFailed(kind, message)


class ExecutorPool:
    """A few executors shared by the threads of one web worker (a queue of idle ones).

    The executors start at once (in the background: the first query waits for its executor to open the
    store), are stopped at exit (and stop themselves when the web worker is gone), and one that dies or is
    killed is replaced by the spare, which has opened the store already (``spare=False``: by a process
    started then).
    """

    def __init__(
        self,
        store_dir: Path,
        size: int = 2,
        *,
        isolate_network: bool = False,
        limits: ExecutorLimits | None = None,
        spare: bool = True,
    ) -> None:
        #: The process that made the pool: a forked copy must make its own.
        self.pid = os.getpid()
        self.limits = limits or ExecutorLimits()
        self._launcher = _Launcher(store_dir, isolate_network, self.limits, spare=spare)
        self._executors = [Executor(self._launcher, self.limits) for _ in range(max(1, size))]
        self._idle: queue.Queue[Executor] = queue.Queue()
        for executor in self._executors:
            self._idle.put(executor)
        #: Executors that may hold a long query at once: all but the reserve, and at least one.
        self.long_slots = max(1, self.size - max(0, self.limits.reserve))
        self._long = threading.BoundedSemaphore(self.long_slots)
        self._closed = threading.Event()
        atexit.register(self.close)

    @property
    def size(self) -> int:
        return len(self._executors)

    def pids(self) -> list[int | None]:
        return [e.pid for e in self._executors]

    def alive(self) -> list[bool]:
        return [e.alive for e in self._executors]

    def isolated(self) -> list[bool | None]:
        return [e.isolated for e in self._executors]

    def memory(self) -> ExecutorMemory:
        """The executors' resident memory now (from ``/proc``; the spare's too), and the cap of each:
        for ``/health``."""
        pids = [e.pid for e in self._executors if e.alive]
        if self._launcher.spare_pid is not None:
            pids.append(self._launcher.spare_pid)
        return ExecutorMemory(len(pids), sum(process_rss(pid) for pid in pids), self.limits.memory_bytes)

    def run(self, job: Job, timeout: float, wait: float | None = None) -> Answer:
        """Run ``job`` on an idle executor, waiting at most ``wait`` (default ``timeout``) seconds for one;
        the query itself then has ``timeout`` seconds (see :meth:`Executor.run` for long queries)."""
        if self._closed.is_set():
            raise QueryFailed("crashed", "the query executors have been shut down")
        try:
            executor = self._idle.get(timeout=timeout if wait is None else wait)
        except queue.Empty:
            raise QueryFailed("busy", f"all {self.size} query executors are busy; try again shortly") from None
        try:
            return executor.run(job, timeout, self._long)
        except QueryFailed:
            raise
        except BaseException:  # the pipe may hold half a conversation: start over
            executor.restart()
            raise
        finally:
            self._idle.put(executor)

    def close(self) -> None:
        """Stop every executor (idempotent; also registered with :mod:`atexit`)."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._launcher.close()
        for executor in self._executors:
            try:
                executor.stop()
            except Exception:  # at exit, best effort
                log.debug("stopping a query executor failed", exc_info=True)
