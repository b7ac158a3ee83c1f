"""Closed-loop load on the SPARQL/linked-data server, side by side with Oxigraph server and rdflib-endpoint.

Usage:
    python bench/serve_load.py [--dataset real|x100] [--clients 1 4 16] [--seconds 10]
                               [--servers clastordf clastordf-virtuoso oxigraph rdflib-endpoint]

Each server serves the same ``clastordf.ttl`` on loopback. ``clastordf-virtuoso`` is the clastordf
front-end with ``--backend`` on a throw-away Virtuoso (``virtuoso-t`` from Debian's
``virtuoso-opensource``) into which ``clastordf.virtuoso.load_release`` loaded the dataset.
For each request mix and each number of concurrent clients, every client sends requests back to
back over its own keep-alive connection for ``--seconds``; the script reports throughput, p50/p99
latency and errors, the ratios to Oxigraph server, and the start-up time and memory of a clastordf
worker. Mixes:

* ``heavy``: the documented example queries (``queries/*.rq``), round robin, SPARQL JSON;
* ``cold``: the same queries, each request made unique by a trailing comment, so no answer comes
  from a cache (the front-end's, or the store's): the cost of a first answer;
* ``point``: ``SELECT ?p ?o WHERE { <fact> ?p ?o }`` on random facts;
* ``describe``: ``DESCRIBE <fact>`` as Turtle;
* ``page``: dereferencing a fact IRI as Turtle (``GET /fact/CF…``); the other servers have no
  linked-data pages, so they answer the equivalent ``DESCRIBE``.

Needs the ``bench`` extra (``pip install -e '.[bench]'``: the ``oxigraph`` server and ``rdflib-endpoint``).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUT = REPO / "bench" / "out"
JSON_RESULTS = "application/sparql-results+json"
UNIQUE = itertools.count()  # numbers the requests of the cold mix (next() is atomic under the GIL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port: int, path: str, process: subprocess.Popen, timeout: float = 300) -> float:
    """Seconds until ``path`` answers; fails at once if the server's process has ended."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with status {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not come up in {timeout}s")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    sparql_path: str = "/sparql"
    has_pages: bool = False
    started_s: float = 0.0
    notes: dict = field(default_factory=dict)

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)


def start_clastordf(build_dir: Path, workers: int) -> Server:
    port = free_port()
    proc = subprocess.Popen(
        [
            str(BIN / "clastordf"),
            "serve",
            "--no-build",
            "--build-dir",
            str(build_dir),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server("clastordf", port, proc, has_pages=True)
    server.started_s = wait_until_up(port, "/health", proc)
    time.sleep(1)
    workers_pids = children(proc.pid)
    server.notes["worker_rss_mb"] = [round(rss_mb(p), 1) for p in workers_pids]
    server.notes["executor_rss_mb"] = [round(rss_mb(c), 1) for p in workers_pids for c in children(p)]
    return server


def start_clastordf_virtuoso(build_dir: Path, workers: int, tmp: Path, cleanup: ExitStack) -> Server:
    """The front-end on Virtuoso: the dataset written as a release dump, bulk-loaded, then served."""
    sys.path.insert(0, str(REPO / "src"))
    sys.path.insert(0, str(REPO / "tests"))
    from clastordf.rdfio.dumps import read_turtle, write_ntriples_gz
    from clastordf.release.layout import sums_text
    from clastordf.release.virtuoso import load_release
    from virtuoso_server import running_virtuoso

    folder = tmp / "release" / "bench"
    folder.mkdir(parents=True)
    write_ntriples_gz(read_turtle(build_dir / "clastordf.ttl"), folder / "clastordf.nt.gz")
    (folder / "SHA256SUMS").write_text(sums_text(folder), encoding="utf-8")
    virtuoso = cleanup.enter_context(running_virtuoso([folder], parent=tmp, buffers=250_000))
    start = time.perf_counter()
    graph = load_release(folder, "bench", virtuoso.connection(timeout=600.0), progress=lambda _: None).graph
    loaded_s = time.perf_counter() - start
    port = free_port()
    proc = subprocess.Popen(
        [
            str(BIN / "clastordf"),
            "serve",
            "--build-dir",
            str(build_dir),
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--backend",
            f"sparql:{virtuoso.sparql_url}",
            "--backend-graph",
            str(graph),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server("clastordf-virtuoso", port, proc, has_pages=True)
    server.started_s = wait_until_up(port, "/health", proc)
    server.notes["virtuoso_load_s"] = round(loaded_s, 2)
    server.notes["virtuoso_rss_mb"] = round(rss_mb(virtuoso.process.pid), 1)
    return server


def start_oxigraph(build_dir: Path, tmp: Path) -> Server:
    location = tmp / "oxigraph-db"
    subprocess.run(
        [str(BIN / "oxigraph"), "load", "--location", str(location), "--file", str(build_dir / "clastordf.ttl")],
        check=True,
        capture_output=True,
    )
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "oxigraph"), "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server("oxigraph", port, proc, sparql_path="/query")
    server.started_s = wait_until_up(port, "/query?query=ASK%7B%7D", proc)
    return server


def start_rdflib_endpoint(build_dir: Path) -> Server:
    port = free_port()
    proc = subprocess.Popen(
        [
            str(BIN / "rdflib-endpoint"),
            "serve",
            str(build_dir / "clastordf.ttl"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server("rdflib-endpoint", port, proc, sparql_path="/")  # rdflib-endpoint answers at its root
    server.started_s = wait_until_up(port, "/?query=ASK%7B%7D", proc)
    return server


Request = tuple[str, str, dict[str, str], bytes | None]  # method, path, headers, body


def sparql_request(server: Server, query: str, accept: str) -> Request:
    body = urllib.parse.urlencode({"query": query}).encode()
    return ("POST", server.sparql_path, {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}, body)


def mix_requests(server: Server, mix: str, facts: list[str], queries: list[str]) -> list[Request]:
    if mix in ("heavy", "cold"):
        return [sparql_request(server, q, JSON_RESULTS) for q in queries]
    if mix == "point":
        return [sparql_request(server, f"SELECT ?p ?o WHERE {{ <{f}> ?p ?o }}", JSON_RESULTS) for f in facts]
    if mix == "describe" or (mix == "page" and not server.has_pages):
        return [sparql_request(server, f"DESCRIBE <{f}>", "text/turtle") for f in facts]
    return [("GET", "/fact/" + f.rsplit("/", 1)[1], {"Accept": "text/turtle"}, None) for f in facts]


@dataclass
class Result:
    server: str
    mix: str
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        """Successful responses per second (errors do not count)."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def row(self) -> dict:
        return {
            "server": self.server,
            "mix": self.mix,
            "clients": self.clients,
            "requests": self.requests,
            "errors": self.errors,
            "throughput": round(self.throughput, 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p99_ms": round(self.percentile(0.99), 2),
        }


def run_load(server: Server, requests: list[Request], clients: int, seconds: float, mix: str) -> Result:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 -- load mix, not security
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < deadline:
            method, path, headers, body = rng.choice(requests)
            if mix == "cold":  # a comment unique to this request: no cache anywhere has its answer
                body = (body or b"") + f"%0A%23+{next(UNIQUE)}".encode()
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = response_of(conn)
                response.read()
                if response.status >= 400:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                continue
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Result(
        server.name, mix, clients, len(latencies) + errors[0], errors[0], time.perf_counter() - start, latencies
    )


def response_of(conn: http.client.HTTPConnection) -> http.client.HTTPResponse:
    return conn.getresponse()


def fact_iris(build_dir: Path) -> list[str]:
    import pyoxigraph

    store = pyoxigraph.Store()
    store.load(path=str(build_dir / "clastordf.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    rows = store.query("SELECT ?f WHERE { ?f a <https://w3id.org/clastordf/vocab#ClastokineFact> }")
    return sorted(row["f"].value for row in rows)


def synthetic_build(copies: int) -> Path:
    """Build (once, cached under bench/out/) the ×N synthetic dataset of bench/build_scaling.py."""
    sys.path.insert(0, str(REPO / "bench"))
    sys.path.insert(0, str(REPO / "src"))
    from build_scaling import make_synthetic

    from clastordf.build import build
    from clastordf.project import Project

    dest = OUT / f"x{copies}-build"
    if (dest / "clastordf.ttl").exists():
        return dest
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        make_synthetic(root, copies)
        print(f"building the ×{copies} synthetic dataset (a few minutes) …", file=sys.stderr)
        build(Project(root), root / "build", lambda _: None)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(root / "build", dest, ignore=shutil.ignore_patterns("oxigraph"))
    return dest


def markdown(rows: list[dict], ratios: list[dict]) -> str:
    lines = ["| server | mix | clients | req/s | p50 ms | p99 ms | errors |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['server']} | {r['mix']} | {r['clients']} | {r['throughput']} | {r['p50_ms']} | "
            f"{r['p99_ms']} | {r['errors']} |"
        )
    if ratios:
        lines += ["", "| mix | clients | clastordf / oxigraph | clastordf / rdflib-endpoint |", "|---|---|---|---|"]
        for r in ratios:
            lines.append(
                f"| {r['mix']} | {r['clients']} | {r.get('vs_oxigraph', '–')} | {r.get('vs_rdflib_endpoint', '–')} |"
            )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", choices=("real", "x100"), default="real")
    p.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--mixes", nargs="+", default=["heavy", "point", "describe", "page"])
    p.add_argument(
        "--servers",
        nargs="+",
        default=["clastordf", "oxigraph", "rdflib-endpoint"],
        choices=["clastordf", "clastordf-virtuoso", "oxigraph", "rdflib-endpoint"],
    )
    p.add_argument("--workers", type=int, default=2, help="clastordf gunicorn workers")
    args = p.parse_args()

    if args.dataset == "real":
        build_dir = REPO / "build"
        subprocess.run([str(BIN / "clastordf"), "build"], check=True, cwd=REPO)  # a few seconds; never stale
    else:
        build_dir = synthetic_build(100)
    facts = fact_iris(build_dir)
    queries = [q.read_text() for q in sorted((REPO / "queries").glob("*.rq"))]
    rows: list[dict] = []
    notes: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.servers:
            print(f"starting {name} …", file=sys.stderr)
            cleanup = ExitStack()
            if name == "clastordf":
                server = start_clastordf(build_dir, args.workers)
            elif name == "clastordf-virtuoso":
                server = start_clastordf_virtuoso(build_dir, args.workers, Path(tmp), cleanup)
            elif name == "oxigraph":
                server = start_oxigraph(build_dir, Path(tmp))
            else:
                server = start_rdflib_endpoint(build_dir)
            notes[name] = {"start_s": round(server.started_s, 2), **server.notes}
            try:
                for mix in args.mixes:
                    requests = mix_requests(server, mix, facts, queries)
                    run_load(server, requests, 1, 1.0, mix)  # warm-up
                    for clients in args.clients:
                        result = run_load(server, requests, clients, args.seconds, mix)
                        rows.append(result.row())
                        print(json.dumps(result.row()), file=sys.stderr)
            finally:
                server.stop()
                cleanup.close()
    ratios = []
    for mix in args.mixes:
        for clients in args.clients:
            ours = next(
                (r for r in rows if r["server"] == "clastordf" and r["mix"] == mix and r["clients"] == clients), None
            )
            if ours is None:
                continue
            entry = {"mix": mix, "clients": clients}
            for other, key in (("oxigraph", "vs_oxigraph"), ("rdflib-endpoint", "vs_rdflib_endpoint")):
                theirs = next(
                    (r for r in rows if r["server"] == other and r["mix"] == mix and r["clients"] == clients), None
                )
                if theirs and theirs["throughput"]:
                    entry[key] = round(ours["throughput"] / theirs["throughput"], 2)
            ratios.append(entry)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"serve_load_{args.dataset}.json").write_text(
        json.dumps(
            {"dataset": args.dataset, "facts": len(facts), "rows": rows, "ratios": ratios, "servers": notes}, indent=2
        )
    )
    print(f"dataset {args.dataset}: {len(facts)} facts; servers: {json.dumps(notes)}")
    print(markdown(rows, ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
