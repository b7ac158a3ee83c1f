"""Admission of SPARQL queries in one web worker: a bounded number at once, a few per client.

A query that is admitted holds a request thread until it is answered (it waits for an executor, then
for its answer). So that a burst of queries never queues up behind the ones running, and one client
never takes every slot, :class:`Admission` refuses at once, without waiting:

* with 429 Too Many Requests when the client already has ``per_client`` queries in this worker;
* with 503 Service Unavailable when the worker already holds ``slots`` queries (running or waiting
  for an executor);
* with 429 when the client's last query was stopped early (at the memory or long-query limit) less
  than ``pause`` seconds ago: the 503 that stopped it said ``Retry-After``, and a client that
  does not wait holds no executor with its next expensive query (which is what keeps an executor free
  for others' cheap queries when several clients send expensive ones over and over).

All carry ``Retry-After``. The client is the remote address (the address a trusted proxy forwarded,
with ``CLASTORDF_PROXY_HOPS``: :mod:`werkzeug.middleware.proxy_fix` puts it in ``REMOTE_ADDR``). The
counts are per worker process: with W workers a client may hold up to W × ``per_client`` queries.
Answers from the answer cache, and pages, never take a slot.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class Refused(Exception):
    """A query that was not admitted: the status to answer, why, and when to try again (seconds)."""

    def __init__(self, status: int, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class Admission:
    """The query slots of one worker, shared by its request threads.

    >>> admission = Admission(slots=2, per_client=1)
    >>> def refusal(*clients):
    ...     try:
    ...         with admission.slot(clients[0]), admission.slot(clients[1]), admission.slot(clients[2]):
    ...             pass
    ...     except Refused as refused:
    ...         return refused.status, refused.retry_after
    >>> refusal("10.0.0.1", "10.0.0.1", "10.0.0.2")  # a second query of the same client
    (429, 2)
    >>> refusal("10.0.0.1", "10.0.0.2", "10.0.0.3")  # a third query: the two slots are taken
    (503, 2)
    >>> with admission.slot("10.0.0.1"), admission.slot("10.0.0.2"):
    ...     admission.in_flight
    2
    >>> admission.in_flight
    0
    >>> admission.stopped("10.0.0.1")  # its query ran into a limit: it waits before the next one
    5
    >>> refusal("10.0.0.1", "10.0.0.2", "10.0.0.3")
    (429, 5)
    """

    def __init__(self, slots: int, per_client: int, retry_after: int = 2, pause: float = 5.0) -> None:
        self.slots = max(1, slots)
        self.per_client = max(1, per_client)
        self.retry_after = retry_after
        self.pause = pause
        self._lock = threading.Lock()
        self._clients: Counter[str] = Counter()
        self._in_flight = 0
        #: Clients told to wait, and until when (``time.monotonic()``).
        self._paused: dict[str, float] = {}

    @property
    def in_flight(self) -> int:
        """Queries admitted and not yet answered."""
        return self._in_flight

    @contextmanager
    def slot(self, client: str) -> Iterator[None]:
        """Hold one of the slots (and one of ``client``'s) while the block runs; raise :class:`Refused`
        at once when there is none."""
        with self._lock:
            until = self._paused.get(client)
            if until is not None:
                left = until - time.monotonic()
                if left > 0:
                    raise Refused(
                        429,
                        f"a query of this client was stopped at one of the server's limits just now; wait "
                        f"{math.ceil(left)} s before the next one, and make it more selective",
                        math.ceil(left),
                    )
                del self._paused[client]
            if self._clients[client] >= self.per_client:
                queries = "query" if self.per_client == 1 else "queries"
                raise Refused(
                    429,
                    f"this client already has {self.per_client} SPARQL {queries} running here; wait for an "
                    f"answer before sending more",
                    self.retry_after,
                )
            if self._in_flight >= self.slots:
                raise Refused(
                    503,
                    f"the server is answering as many SPARQL queries as it can ({self.slots} at once); "
                    f"try again shortly",
                    self.retry_after,
                )
            self._clients[client] += 1
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._clients[client] -= 1
                if self._clients[client] <= 0:
                    del self._clients[client]

    def stopped(self, client: str) -> int:
        """Note that ``client``'s query was stopped at a limit: its next one waits ``pause`` seconds.
        Returns the seconds to tell it (``Retry-After``)."""
        now = time.monotonic()
        with self._lock:
            if len(self._paused) > 1024:  # forget the pauses that are over (many clients: bounded memory)
                self._paused = {c: t for c, t in self._paused.items() if t > now}
            self._paused[client] = now + self.pause
        return math.ceil(self.pause)
