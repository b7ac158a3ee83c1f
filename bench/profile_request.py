"""Where a request's time goes in the web worker: the clastordf Flask app in this process, under cProfile.

Usage:
    PYTHONPATH=src python bench/profile_request.py [--build-dir build] [--requests 300] [--top 20]
                                                   [--kinds point-uncached page-turtle …]

The app is made with ``clastordf.server.create_app`` on the build (as ``tests/conftest.py`` does) and
called through Flask's WSGI test client, one request at a time, so there is no HTTP server, no granian
and no ASGI front (:mod:`clastordf.server.front`) in the figures. SPARQL queries still run in the
app's query executor subprocesses: the profile covers the web worker's share (parsing and checking
the query, the cache, admission, the pipe to the executor and the wait for it, writing the answer),
and the executor's own work shows only as that wait (``select``/``poll``/``recv`` in the profile).

Kinds (each made ``--requests`` times after a warm-up):

* ``point-uncached``: ``SELECT ?p ?o WHERE { <fact> ?p ?o }`` over every fact, each with a unique comment;
* ``point-cached``: one such query, repeated (answered from the worker's answer cache);
* ``page-turtle`` / ``page-html``: ``GET /fact/ID`` as Turtle / HTML, each with a unique ``?bench=``
  parameter, which is part of the page cache's key (so every page is made);
* ``example-first``: the example queries (``queries/*.rq``), each with a unique comment.

For each kind it prints µs per request without the profiler (then with it), the top functions by own
time and by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from itertools import count, cycle
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
JSON_RESULTS = "application/sparql-results+json"
FACT_BASE = "https://w3id.org/clastordf/fact/"
KINDS = ("point-uncached", "point-cached", "page-turtle", "page-html", "example-first")

#: One request: (path with query string, Accept).
Request = tuple[str, str]


def sparql(query: str) -> str:
    return "/sparql?query=" + urllib.parse.quote(query, safe="")


def point_query(fact: str) -> str:
    return f"SELECT ?p ?o WHERE {{ <{fact}> ?p ?o }}"


def requests_of(kind: str, facts: list[str], examples: list[str]) -> Iterator[Request]:
    """An endless stream of the requests of ``kind``; the unique ones never repeat within a run."""
    serial = count()
    if kind == "point-cached":
        while True:
            yield sparql(point_query(facts[0])), JSON_RESULTS
    elif kind == "point-uncached":
        for fact in cycle(facts):
            yield sparql(f"{point_query(fact)}\n# profile {next(serial)}"), JSON_RESULTS
    elif kind in ("page-turtle", "page-html"):
        accept = "text/turtle" if kind == "page-turtle" else "text/html"
        for fact in cycle(facts):
            yield f"/fact/{fact.removeprefix(FACT_BASE)}?bench={next(serial)}", accept
    elif kind == "example-first":
        for query in cycle(examples):
            yield sparql(f"{query}\n# profile {next(serial)}"), JSON_RESULTS
    else:
        raise ValueError(f"unknown kind {kind}")


def make_client(build_dir: Path) -> tuple[Any, Any]:
    """(the app, its test client) on ``build_dir``; the store is prepared if it is not there yet."""
    from clastordf.server import create_app
    from clastordf.server.config import ServerConfig

    app = create_app(ServerConfig(build_dir.resolve()))
    return app, app.test_client()


def fact_iris(client: Any) -> list[str]:
    query = f'SELECT DISTINCT ?f WHERE {{ ?f a ?t FILTER(REGEX(STR(?f), "^{FACT_BASE}[^/#-]+$")) }} ORDER BY ?f'
    response = client.get(sparql(query), headers={"Accept": JSON_RESULTS})
    return [row["f"]["value"] for row in response.get_json()["results"]["bindings"]]


def send(client: Any, request: Request) -> None:
    """One request, its whole body read (a streamed answer is made while it is read); fails on non-2xx."""
    path, accept = request
    response = client.get(path, headers={"Accept": accept})
    response.get_data()
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"{path[:120]} answered {response.status_code}")


def timed(client: Any, stream: Iterator[Request], n: int, wrap: Callable[[Callable[[], None]], None]) -> float:
    """µs per request for ``n`` requests of ``stream``, run inside ``wrap`` (the profiler, or nothing)."""

    def loop() -> None:
        for _ in range(n):
            send(client, next(stream))

    start = time.perf_counter()
    wrap(loop)
    return (time.perf_counter() - start) / n * 1e6


def top(profile: cProfile.Profile, key: str, limit: int) -> str:
    text = io.StringIO()
    pstats.Stats(profile, stream=text).strip_dirs().sort_stats(key).print_stats(limit)
    # The lines from the column header on: the preamble (call totals, "Ordered by") is printed above.
    lines = text.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[start:]).rstrip()


def profile_kind(client: Any, kind: str, facts: list[str], examples: list[str], n: int, limit: int) -> None:
    stream = requests_of(kind, facts, examples)
    for _ in range(min(n, 20)):  # warm-up: executors started, imports done, caches primed for the cached kind
        send(client, next(stream))
    plain = timed(client, stream, n, lambda loop: loop())
    profile = cProfile.Profile()
    profiled = timed(client, stream, n, lambda loop: profile.runcall(loop))
    print(f"\n## {kind}: {plain:.0f} µs per request ({profiled:.0f} µs under cProfile), {n} requests\n")
    print(f"### by own time\n{top(profile, 'tottime', limit)}\n")
    print(f"### by cumulative time\n{top(profile, 'cumulative', limit)}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--build-dir", type=Path, default=REPO / "build")
    p.add_argument("--requests", type=int, default=300, help="per kind (the example queries: a fifth of it)")
    p.add_argument("--top", type=int, default=20, help="functions listed per table")
    p.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    args = p.parse_args(argv)
    if not (args.build_dir / "clastordf.ttl").exists():
        sys.exit(f"no build in {args.build_dir}: run `clastordf build` first")
    app, client = make_client(args.build_dir)
    try:
        facts = fact_iris(client)
        examples = [q.read_text(encoding="utf-8") for q in sorted((REPO / "queries").glob("*.rq"))]
        print(f"# {len(facts)} facts, {len(examples)} example queries, build {args.build_dir}")
        for kind in args.kinds:
            n = max(1, args.requests // 5) if kind == "example-first" else args.requests
            profile_kind(client, kind, facts, examples, n, args.top)
    finally:
        from clastordf.server.sparql import EXECUTOR_KEY

        pool = app.extensions.get(EXECUTOR_KEY)
        if pool is not None:
            pool.close()  # the executor subprocesses
    return 0


if __name__ == "__main__":
    sys.exit(main())
