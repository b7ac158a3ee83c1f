"""The query executor process: opens the store read-only, then answers the :class:`~.engine.Job`\\ s its
web worker sends over a socket until the socket closes (started by :class:`.executor.ExecutorPool`).

Its import chain is kept tiny on purpose: this module, :mod:`.engine`, pyoxigraph and a little of the
standard library (no Flask, rdflib, logging or :mod:`multiprocessing`), since every module imported is
memory each executor holds, several times per worker. The messages are those of
:class:`multiprocessing.connection.Connection` (a 4-byte big-endian length, or -1 and an 8-byte one, then
the bytes; objects pickled), which the web worker uses on its end, written here with plain ``os`` calls.

Messages: the process sends ``("ready", pid, isolated)`` once the store is open; for each job either
``("ok", media_type, truncated, kind)`` followed by the body's bytes, or ``("error", kind, message)``.
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import struct
import sys
import threading
import time
from typing import Any

from .engine import QueryFailed, ServedStore, execute, open_store


class Channel:
    """This end of the socket to the web worker, speaking :class:`multiprocessing.connection.Connection`'s
    framing."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]

    def _read(self, size: int) -> bytes:
        parts, left = [], size
        while left:
            chunk = os.read(self._fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError("the web worker closed the socket")
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)

    def send_bytes(self, data: bytes) -> None:
        n = len(data)
        header = struct.pack("!i", n) if n <= 0x7FFFFFFF else struct.pack("!i", -1) + struct.pack("!Q", n)
        if n <= 16384:
            self._write(header + data)
        else:
            self._write(header)
            self._write(data)

    def send(self, obj: object) -> None:
        self.send_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))

    def recv(self) -> Any:
        (size,) = struct.unpack("!i", self._read(4))
        if size == -1:
            (size,) = struct.unpack("!Q", self._read(8))
        return pickle.loads(self._read(size))  # noqa: S301 - from the web worker that started us, none other


def isolate_network() -> bool:
    """Best effort: move this process into fresh user and network namespaces, which reach nowhere.

    Used when no SERVICE endpoint is allowed: a query that slipped past the endpoint's SERVICE check
    would still find no network. Needs Linux and unprivileged user namespaces (or root).
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # here: only an isolated executor needs it

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
    """The executor process's entry point (``python -c``, see :data:`.executor.CHILD_CODE`): the socket
    to the web worker, the store's folder, 1 to cut the network, the web worker's pid, the niceness, the
    memory cap in bytes (0: none)."""
    fd, store_dir, isolate, parent, niceness, memory = argv
    serve(Channel(int(fd)), store_dir, isolate == "1", int(parent), int(niceness), int(memory) or None)


def serve(conn: Channel, store_dir: str, isolate: bool, parent: int, niceness: int, memory: int | None) -> None:
    """Open the store, say ready, then answer jobs until the socket closes (or a ``None`` job comes)."""
    # Ctrl-C, or a SIGTERM sent to the whole process group (a terminal, systemd), is for the server: it
    # lets the queries in progress finish, then stops us (and if it is gone, _exit_with stops us).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _lower_priority(niceness)
    isolated = isolate_network() if isolate else False
    threading.Thread(target=_exit_with, args=(parent,), name="orphan-watch", daemon=True).start()
    store = ServedStore(open_store(store_dir))  # the served graph found once, not for each query
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
