"""The answer and page caches hold at most their byte budget, the keys the clients choose included."""

from __future__ import annotations

import gc
import tracemalloc

from clastordf.server.cache import Cached, CacheUsage, ResponseCache, entry_bytes, freeze

SRJ = "application/sparql-results+json"


def answer(i: int) -> Cached:
    return freeze(b'{"head":{},"boolean":true}', SRJ, [("X-Result-Limit", "500")], str(i))


def test_distinct_long_queries_cannot_grow_the_cache_past_its_budget():
    """The finding: 5,000 distinct 90 KB queries with small answers kept ~435 MB, as only the answers
    counted. Here 400 of them, in a 2 MB cache: the memory it keeps stays within the budget."""
    cache = ResponseCache(max_bytes=2_000_000)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(400):
            query = f"ASK {{ }} # {i:04d} " + "x" * 90_000
            cache.put((query, SRJ, None, None, None), answer(i))
            del query
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    usage = cache.usage()
    assert usage.bytes <= usage.max_bytes == 2_000_000
    assert 10 <= usage.entries == len(cache) <= 22
    assert held <= 1.05 * usage.max_bytes, held


def test_an_entry_is_counted_with_its_key_headers_and_body():
    key = ("SELECT * { ?s ?p ?o }" + " " * 1000, SRJ, None, ("http://e/g",), None)
    entry = answer(1)
    size = entry_bytes(key, entry)
    assert size > 1000 + len(entry.body) + len(entry.etag)
    cache = ResponseCache(max_bytes=100_000)
    cache.put(key, entry)
    assert cache.usage() == CacheUsage(entries=1, bytes=size, max_bytes=100_000, max_entry_bytes=12_500)
    cache.put(key, entry)  # again: counted once
    assert cache.usage().bytes == size


def test_entries_larger_than_a_part_of_the_budget_are_not_kept():
    cache = ResponseCache(max_bytes=80_000)  # entries of at most 10,000 bytes
    cache.put(("q" * 11_000,), answer(1))  # a large key, a small answer
    cache.put(("q",), freeze(b"x" * 11_000, SRJ, []))  # a large answer
    assert len(cache) == 0 and cache.usage().bytes == 0
    cache.put(("q",), answer(2))
    assert len(cache) == 1


def test_the_least_recently_used_go_first():
    size = entry_bytes(("a",), answer(1))
    cache = ResponseCache(max_bytes=3 * size, max_entry_bytes=size)
    for name in "abc":
        cache.put((name,), answer(1))
    assert cache.get(("a",)) is not None  # "b" is now the oldest
    cache.put(("d",), answer(1))
    assert [cache.get((k,)) is not None for k in "abcd"] == [True, False, True, True]


def test_health_reports_what_the_caches_hold(client):
    client.get("/sparql", query_string={"query": "ASK { } # health reports the answer cache " + "x" * 5000})
    caches = client.get("/health").get_json()["memory"]["caches"]
    assert set(caches) == {"pages", "answers"}
    for usage in caches.values():
        assert set(usage) == {"entries", "bytes", "max_bytes", "max_entry_bytes"}
        assert 0 <= usage["bytes"] <= usage["max_bytes"]
    assert caches["answers"]["entries"] >= 1 and caches["answers"]["bytes"] > 5000


def _through_front(front, path: str, query: bytes = b"", accept: bytes = b"*/*"):
    import asyncio

    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if messages:
            return messages.pop()
        await asyncio.sleep(3600)  # a client that stays connected and sends nothing more

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"host", b"localhost"), (b"accept", accept)],
        "client": ("127.0.0.1", 1),
        "server": ("localhost", 80),
    }
    asyncio.run(front(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_the_front_answers_repeats_of_queries_and_pages_without_the_app(app):
    from urllib.parse import urlencode

    from clastordf.server.front import Front

    calls: list[str] = []

    def counted(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return app(environ, start_response)

    front = Front(lambda: counted)
    try:
        query = urlencode({"query": "SELECT ?s WHERE { ?s a ?t } LIMIT 2 # front memo test"}).encode()
        first = _through_front(front, "/sparql", query, SRJ.encode())
        assert first[0] == 200 and _through_front(front, "/sparql", query, SRJ.encode()) == first
        page = _through_front(front, "/fact/CF0200", accept=b"text/turtle")
        assert page[0] == 200 and _through_front(front, "/fact/CF0200", accept=b"text/turtle") == page
        assert calls == ["/sparql", "/fact/CF0200"]
        for _ in range(2):
            assert _through_front(front, "/health")[0] == 200  # live: never kept
        assert calls.count("/health") == 2
    finally:
        front.close()
