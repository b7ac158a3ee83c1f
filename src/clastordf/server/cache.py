"""In-process response caches. The data is immutable for the life of a server process (one build),
so a query or page answered once can be answered again from memory, with a strong ETag.

A cache holds at most its byte budget, counting all that an entry keeps alive: the body, the headers
and the key, which for a query answer holds the query's text (up to ``max_request_bytes``) and for a
page its URL and ``Accept`` header, all chosen by the client. Counting only the bodies, 5,000 distinct
90 KB queries with small answers kept ~435 MB. :meth:`ResponseCache.usage` says how much is held
(``/health`` reports it).
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class Cached:
    """A response body with what is needed to replay it."""

    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...]
    etag: str


def etag_of(body: bytes, *salt: str) -> str:
    """A strong ETag for a body (and what it was negotiated for).

    >>> etag_of(b"x") == etag_of(b"x") != etag_of(b"x", "text/turtle")
    True
    """
    digest = hashlib.blake2b(body, digest_size=16)
    for part in salt:
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()


#: Bytes an entry takes besides its parts: the :class:`Cached` object and its slot in the cache's dict.
ENTRY_OVERHEAD = 200


def held_bytes(value: object) -> int:
    """The bytes ``value`` holds in memory, counting into tuples (a key, an entry's headers).

    >>> held_bytes("x" * 1000) >= 1000, held_bytes(("x" * 1000, ("y" * 1000, None))) >= 2000
    (True, True)
    """
    size = sys.getsizeof(value)
    if isinstance(value, tuple | list | frozenset):
        size += sum(held_bytes(item) for item in value)
    return size


def entry_bytes(key: Hashable, entry: Cached) -> int:
    """The bytes ``entry`` costs the cache under ``key``: the key and every part of the entry."""
    parts = (entry.body, entry.content_type, entry.headers, entry.etag)
    return held_bytes(key) + sum(held_bytes(part) for part in parts) + ENTRY_OVERHEAD


@dataclass(frozen=True)
class CacheUsage:
    """How much a :class:`ResponseCache` holds (for ``/health``)."""

    entries: int
    #: Bytes held: keys, bodies, headers (see :func:`entry_bytes`).
    bytes: int
    #: The budget: the cache never holds more.
    max_bytes: int
    #: An entry larger than this is not kept.
    max_entry_bytes: int


class ResponseCache:
    """A thread-safe LRU of :class:`Cached` responses bounded by the bytes they hold, keys included
    (:func:`entry_bytes`). An entry larger than ``max_entry_bytes`` (by default an eighth of the budget)
    is not kept, so one cannot empty the cache for itself.

    >>> cache = ResponseCache(max_bytes=2000, max_entry_bytes=1500)
    >>> cache.put("a", Cached(b"1" * 800, "text/plain", (), "e1"))
    >>> cache.get("a").body[:3]
    b'111'
    >>> cache.put("b" * 800, Cached(b"123", "text/plain", (), "e2"))   # evicts "a": the keys count
    >>> cache.get("a") is None, cache.get("b" * 800) is not None
    (True, True)
    >>> cache.put("c", Cached(b"1" * 1600, "text/plain", (), "e3"))   # over max_entry_bytes: not kept
    >>> cache.get("c") is None, len(cache), cache.usage().bytes <= cache.usage().max_bytes
    (True, 1, True)
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, max_entry_bytes: int | None = None):
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_bytes, max_entry_bytes if max_entry_bytes is not None else max_bytes // 8)
        #: Each entry with the bytes it costs.
        self._entries: OrderedDict[Hashable, tuple[Cached, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Cached | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, entry: Cached) -> None:
        size = entry_bytes(key, entry)
        if size > self.max_entry_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._entries[key] = (entry, size)
            self._size += size
            while self._size > self.max_bytes and self._entries:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._size -= evicted

    def usage(self) -> CacheUsage:
        """How many entries the cache holds, the bytes they hold, and its limits."""
        with self._lock:
            return CacheUsage(len(self._entries), self._size, self.max_bytes, self.max_entry_bytes)

    def __len__(self) -> int:
        return len(self._entries)


#: Headers a replayed response must not copy from the original.
_NOT_REPLAYED = {"content-length", "date", "set-cookie", "etag"}


def freeze(body: bytes, content_type: str, headers: list[tuple[str, str]], *salt: str) -> Cached:
    """A :class:`Cached` entry for a response about to be sent."""
    kept = tuple((k, v) for k, v in headers if k.lower() not in _NOT_REPLAYED and k.lower() != "content-type")
    return Cached(body, content_type, kept, etag_of(body, content_type, *salt))
