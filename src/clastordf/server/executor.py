"""Query executors: SPARQL queries run in long-lived child processes that can be killed.

pyoxigraph cannot interrupt a running query from Python, so the only reliable time limit is to run the
query in another process and kill that process when the limit passes. Each web worker keeps a small
:class:`ExecutorPool`; every executor process opens the store read-only once (cheap: the OS shares its
pages), receives a :class:`Job` over a pipe, runs it, caps and serializes the result itself and sends
back only bytes, so the web worker never holds pyoxigraph results and a killed query leaves nothing
behind. Processes are fresh interpreters (a ``fork`` would copy the web worker's open store and threads
in an undefined state) started as plain subprocesses that import only :mod:`.executor_process`,
:mod:`.engine` (which runs and writes the answers) and pyoxigraph: not ``multiprocessing``'s ``spawn``,
which would import the server's whole ``__main__`` again (the command line, every pipeline stage), so
that each executor holds little memory (about 10 MB of its own on the real data) and starts, as does
each replacement of a killed executor, in a fraction of a second.

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
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol

# The answering itself is the engine's (imported by the executor processes, which need nothing else);
# its names are this module's too, for the endpoint and the backend.
from .engine import (
    GRAPH_FORMATS,
    MAX_BODY_BYTES,
    RESULTS_FORMATS,
    TOO_LARGE,
    Answer,
    Job,
    QueryFailed,
    execute,
    serialize_result,
)

__all__ = [
    "CHILD_CODE",
    "GRAPH_FORMATS",
    "MAX_BODY_BYTES",
    "RESULTS_FORMATS",
    "RETRY_AFTER",
    "STACK_OVERFLOW",
    "STARTUP_TIMEOUT",
    "TOO_LARGE",
    "Answer",
    "Executor",
    "ExecutorLimits",
    "ExecutorMemory",
    "ExecutorPool",
    "Job",
    "QueryFailed",
    "QueryRunner",
    "execute",
    "memory_message",
    "process_rss",
    "serialize_result",
]

log = logging.getLogger(__name__)

#: Seconds a fresh executor may take to open the store before it counts as broken.
STARTUP_TIMEOUT = 30.0
#: Retry-After (seconds) for a query refused because the server is busy: the slots free up within
#: about the long-query threshold.
RETRY_AFTER = 2
#: An executor killed by SIGSEGV in a query: pyoxigraph's parser recurses once per nesting level, and a
#: query nested deeper than the endpoint's limits (:mod:`.query_limits`) allow overflows its stack.
STACK_OVERFLOW = "the query engine crashed reading the query: it nests too deeply for the parser's stack"


class QueryRunner(Protocol):
    """What the endpoint runs a :class:`Job` with: an :class:`ExecutorPool` over the embedded store, or a
    :class:`~.backend.RemoteStore`. Raises :class:`QueryFailed` for a query it does not answer."""

    def run(self, job: Job, timeout: float) -> Answer: ...


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


# --- in the web worker ----------------------------------------------------------------------------


#: What an executor process runs (``python -c``): :func:`.executor_process.main`, which imports only the
#: engine and pyoxigraph.
CHILD_CODE = "import sys; from clastordf.server.executor_process import main; main(sys.argv[1:])"


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
            [sys.executable, "-c", CHILD_CODE, *args], pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env
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

    def wait_ready(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for the process to have opened the store; whether it has.
        Raises :class:`EOFError` or :class:`OSError` when it died before."""
        if not self._ready:
            if not self._conn.poll(timeout):
                return False
            _, pid, self.isolated = self._conn.recv()
            self._ready = True
            log.debug("query executor %s ready (network isolated: %s)", pid, self.isolated)
        return True

    def _send(self, job: Job) -> None:
        """Hand ``job`` over, first waiting for a fresh process to open the store; one restart if the
        process died while idle."""
        if not self.alive:
            self.restart()
        for attempt in (1, 2):
            try:
                if not self.wait_ready(STARTUP_TIMEOUT):
                    raise QueryFailed("crashed", "the query executor did not start in time")
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

    The executors start at once (in the background; :meth:`wait_ready` waits until they have opened the
    store, as a web worker does before it serves, else the first query waits for its own), are stopped at
    exit (and stop themselves when the web worker is gone), and one that dies or is killed is replaced by
    the spare, which has opened the store already (``spare=False``: by a process started then).
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

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> bool:
        """Wait until every idle executor has opened the store (at most ``timeout`` seconds in all), so
        that the first queries find them ready: a web worker calls this as it starts, before it serves.
        Whether they all are; one that died starting is replaced (and waited for, within the time).
        """
        deadline = time.monotonic() + timeout
        taken: list[Executor] = []
        try:
            while True:  # the idle ones only: a query may hold one already
                try:
                    taken.append(self._idle.get_nowait())
                except queue.Empty:
                    break
            ready = True
            for executor in taken:
                for _ in (1, 2):
                    try:
                        ready = executor.wait_ready(max(0.0, deadline - time.monotonic())) and ready
                        break
                    except (EOFError, OSError):
                        executor.restart()
                else:
                    ready = False
            return ready
        finally:
            for executor in taken:
                self._idle.put(executor)

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
