"""In-process response caches. The data is immutable for the life of a server process (one build),
so a query or page answered once can be answered again from memory, with a strong ETag."""

from __future__ import annotations

import hashlib
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


class ResponseCache:
    """A thread-safe LRU of :class:`Cached` responses bounded by their total size in bytes.

    >>> cache = ResponseCache(max_bytes=10, max_entry_bytes=10)
    >>> cache.put("a", Cached(b"12345678", "text/plain", (), "e1"))
    >>> cache.get("a").body
    b'12345678'
    >>> cache.put("b", Cached(b"123", "text/plain", (), "e2"))   # evicts "a": 8 + 3 > 10
    >>> cache.get("a") is None, cache.get("b") is not None
    (True, True)
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, max_entry_bytes: int | None = None):
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes if max_entry_bytes is not None else max_bytes // 8 or max_bytes
        self._entries: OrderedDict[Hashable, Cached] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Cached | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: Cached) -> None:
        size = len(entry.body)
        if size > self.max_entry_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old.body)
            self._entries[key] = entry
            self._size += size
            while self._size > self.max_bytes and self._entries:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted.body)

    def __len__(self) -> int:
        return len(self._entries)


#: Headers a replayed response must not copy from the original.
_NOT_REPLAYED = {"content-length", "date", "set-cookie", "etag"}


def freeze(body: bytes, content_type: str, headers: list[tuple[str, str]], *salt: str) -> Cached:
    """A :class:`Cached` entry for a response about to be sent."""
    kept = tuple((k, v) for k, v in headers if k.lower() not in _NOT_REPLAYED and k.lower() != "content-type")
    return Cached(body, content_type, kept, etag_of(body, content_type, *salt))
