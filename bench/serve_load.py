"""Side-by-side serving benchmark: clastordf against Oxigraph server (and rdflib-endpoint), load from wrk.

Usage:
    python bench/serve_load.py [--datasets real x100] [--clients 1 4 16] [--seconds 10] [--repeats 3]
                               [--mixes point-uncached point-cached page page-uncached examples-first
                                        examples-cached] [--no-rdflib] [--quick]
                               [--clastordf-env CLASTORDF_NAME=VALUE …]

Needs ``wrk`` (Debian/Ubuntu: ``apt-get install wrk``) and the ``bench`` extra
(``pip install -c constraints.txt -e '.[bench]'``: the ``oxigraph`` server and ``rdflib-endpoint``).
The load comes from wrk, never from Python, so the load generator does not cap the faster server;
it still runs on the same cores as the servers, which is why only the ratios of one run compare.

For each dataset both servers are started once (clastordf: ``clastordf serve --no-build``, 2 workers;
Oxigraph: ``oxigraph serve-read-only`` on a store loaded from the same ``clastordf.ttl``) and kept up.
Each cell (mix, clients) runs clastordf, then Oxigraph, then clastordf … ``--repeats`` times; before
each run the script waits for both servers to be idle (no runnable thread) and records the 1-minute
load average. Mixes (wrk's Lua script ``bench/wrk/requests.lua`` makes the requests; GETs, but the
example queries are form POSTs: Oxigraph server refuses request heads over 8 KB):

* ``point-uncached``: ``SELECT ?p ?o WHERE { <fact> ?p ?o }`` over every fact, each request made unique
  by a trailing ``# comment`` (salt, wrk thread, counter), so no cache has its answer;
* ``point-cached``: the same queries for 16 facts, unchanged: after the warm-up, repeats;
* ``page``: clastordf ``GET /fact/ID`` as Turtle, Oxigraph ``DESCRIBE <fact>`` as Turtle, rotating
  over every fact (clastordf's page cache may hold them all after the first round);
* ``page-uncached``: the same, each request unique (clastordf: a ``?bench=`` parameter, which is part
  of its page cache's key; Oxigraph: a trailing comment);
* ``examples-first``: the example queries (``queries/*.rq``), each request unique: a first answer;
* ``examples-cached``: the example queries unchanged (Oxigraph has no answer cache: it answers again).

Figures per run: answers per second (2xx only), p50/p99 latency (wrk's), non-2xx answers and socket
errors (per status), CPU milliseconds per answer (user + system time of the server's whole process tree: granian,
workers and query executors, including ended children that were reaped), and the tree's peak PSS
(sampled every 200 ms). Per server: PSS at rest after start and warm-up. Per repeat, a fresh start of
each server (while the others are down) measures the start-up time (launch to ``/health``, or
Oxigraph's ``/``) and the first point query after it. rdflib-endpoint answers each example query once
first (30 s limit) and must give Oxigraph's row count; load (1 client) runs only on those it passes,
against clastordf on the same queries.

All wrk connections come from 127.0.0.1, which clastordf's admission counts as one client; its
per-client rules are lifted (``CLASTORDF_CLIENT_QUERIES=64``, ``CLASTORDF_CLIENT_PAUSE=0``: see
``PER_CLIENT_LIFTED``) so that it measures many clients, not one greedy one. Every other setting is
clastordf's default (``--clastordf-env`` changes them).

Output: Markdown tables on stdout, everything in ``bench/out/serve_load_<dataset>.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUT = REPO / "bench" / "out"
LUA = REPO / "bench" / "wrk" / "requests.lua"
JSON_RESULTS = "application/sparql-results+json"
TURTLE = "text/turtle"
FACT_BASE = "https://w3id.org/clastordf/fact/"
MIXES = ("point-uncached", "point-cached", "page", "page-uncached", "examples-first", "examples-cached")
#: Facts the ``point-cached`` mix rotates over: few enough that the warm-up puts all in every worker's cache.
CACHED_FACTS = 16
#: Seconds between two samples of a process tree's memory during a run.
SAMPLE_EVERY = 0.2
#: Seconds rdflib-endpoint may take for one example query when it is checked.
RDFLIB_LIMIT = 30.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


# --- processes: CPU and memory of a whole process tree -------------------------------------------


@dataclass(frozen=True)
class ProcStat:
    """The parts of ``/proc/PID/stat`` the benchmark uses; times in clock ticks."""

    pid: int
    ppid: int
    own_ticks: int  # utime + stime
    reaped_ticks: int  # cutime + cstime: children that ended and were waited for


def parse_stat(text: str) -> ProcStat:
    """Parse one ``/proc/PID/stat`` line. The command name (2nd field) may hold spaces and parentheses,
    so the fields are counted from its closing parenthesis, the last one on the line.

    >>> parse_stat("42 (a (b) c) S 7 1 1 0 -1 0 0 0 0 0 30 12 5 3 20 0")
    ProcStat(pid=42, ppid=7, own_ticks=42, reaped_ticks=8)
    """
    head, _, rest = text.rpartition(")")
    fields = rest.split()
    # After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    return ProcStat(int(head.split("(", 1)[0]), int(fields[1]), int(fields[11]) + int(fields[12]),
                    int(fields[13]) + int(fields[14]))  # fmt: skip


def process_table() -> dict[int, ProcStat]:
    """Every process now running (that could be read), by pid."""
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                table[int(entry.name)] = parse_stat(Path(entry.path, "stat").read_text())
            except (OSError, ValueError, IndexError):
                continue  # ended while the table was read
    return table


def process_tree(root: int, table: dict[int, ProcStat] | None = None) -> list[int]:
    """``root`` and all its descendants, found through the ppid links of ``/proc/*/stat`` (a thread's
    ``children`` file lists only what that thread started, and executors start from request threads);
    empty when ``root`` is gone."""
    table = process_table() if table is None else table
    if root not in table:
        return []
    kids: dict[int, list[int]] = {}
    for stat in table.values():
        kids.setdefault(stat.ppid, []).append(stat.pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(kids.get(pid, ()))
    return tree


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) the tree under ``root`` has used: each live process's own time plus
    what its ended, reaped children used (which the kernel adds to the parent's cutime/cstime), so an
    executor that ended during a run still counts, and none counts twice."""
    table = process_table()
    return sum(table[p].own_ticks + table[p].reaped_ticks for p in process_tree(root, table)) / CLK_TCK


def pss_kb(pid: int) -> int:
    """A process's proportional set size (KiB): shared pages (the store's mapped files, libraries) are
    divided among the processes sharing them, so a tree's sum is what it really holds; 0 when gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_kb(root: int) -> tuple[int, int]:
    """(summed PSS in KiB, number of processes) over ``root``'s process tree."""
    pids = process_tree(root)
    return sum(pss_kb(p) for p in pids), len(pids)


class PeakMemory:
    """Samples a process tree's PSS every ``SAMPLE_EVERY`` seconds in a thread; ``peak_kb`` is the most seen.
    The tree is looked up again at every sample: executors may start during the run."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.peak_kb = max(self.peak_kb, tree_pss_kb(self.root)[0])
            if self._stop.wait(SAMPLE_EVERY):
                return

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def runnable_tasks(roots: Sequence[int]) -> int:
    """Threads in state R (running or waiting for a CPU) in the trees under ``roots``. Unlike CPU time,
    this sees a query that is running but starved (clastordf's executors are niced; a loaded machine
    gives them little CPU)."""
    table = process_table()
    count = 0
    for pid in (p for root in roots for p in process_tree(root, table)):
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                state = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rpartition(")")[2].split()[0]
            except (OSError, IndexError):
                continue
            count += state == "R"
    return count


def wait_idle(roots: Sequence[int], timeout: float = 60.0) -> float:
    """Wait until no thread of the trees under ``roots`` is runnable in 3 looks 0.1 s apart (an abandoned
    query of the previous run may still be running); returns the seconds waited."""
    start = time.perf_counter()
    quiet = 0
    while quiet < 3 and time.perf_counter() - start < timeout:
        quiet = quiet + 1 if runnable_tasks(roots) == 0 else 0
        time.sleep(0.1)
    return time.perf_counter() - start


# --- servers --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """A server process started in its own session (so that stopping it stops its whole tree)."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    sparql_path: str
    health_path: str
    launched: float = 0.0  # perf_counter at launch
    started_s: float = 0.0  # launch to the first answer of health_path

    def stop(self) -> None:
        """SIGTERM to the whole session, SIGKILL if it has not ended in 20 s."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def query_target(self, query: str) -> str:
        """The GET target that asks this server ``query``."""
        return f"{self.sparql_path}?query={urllib.parse.quote(query, safe='')}"

    def query_post(self, query: str) -> str:
        """``PATH BODY``: a form POST that asks this server ``query`` (for queries too long for a GET:
        Oxigraph server refuses request heads over 8 KB, and two example queries are longer)."""
        return f"{self.sparql_path} query={urllib.parse.quote(query, safe='')}"


def launch(name: str, argv: list[str], sparql_path: str, health_path: str, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    argv = [a.replace("{port}", str(port)) for a in argv]
    launched = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    server = Server(name, port, proc, sparql_path, health_path, launched)
    try:
        wait_until_up(server)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_up(server: Server, timeout: float = 600) -> None:
    """Poll ``health_path`` every 10 ms until it answers below 500; fails at once if the process ended."""
    while time.perf_counter() - server.launched < timeout:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with status {server.process.returncode}")
        try:
            if http_get(server.port, server.health_path, "*/*", timeout=2)[0] < 500:
                server.started_s = time.perf_counter() - server.launched
                return
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError(f"{server.name} did not come up in {timeout}s")


#: Every wrk connection comes from 127.0.0.1, one client to clastordf's admission. Its per-client
#: rules would treat the many clients the benchmark stands for as one greedy one: at most 2 queries
#: per worker (429 to the others), and after any query stopped at a limit a 10 s pause (429 to every
#: connection). They are lifted; the per-worker limits (query slots, the long-query reserve: 503) stay.
PER_CLIENT_LIFTED = {"CLASTORDF_CLIENT_QUERIES": "64", "CLASTORDF_CLIENT_PAUSE": "0"}


def start_clastordf(build_dir: Path, workers: int = 2, env: dict[str, str] | None = None) -> Server:
    """``clastordf serve --no-build`` on ``build_dir`` (it loads its store there the first time);
    ``env``: ``CLASTORDF_*`` settings to try (the defaults otherwise)."""
    argv = [str(BIN / "clastordf"), "serve", "--no-build", "--build-dir", str(build_dir), "--port", "{port}",
            "--workers", str(workers)]  # fmt: skip
    return launch("clastordf", argv, "/sparql", "/health", env={**PER_CLIENT_LIFTED, **(env or {})})


def load_oxigraph(build_dir: Path, location: Path) -> float:
    """Load ``clastordf.ttl`` into a new Oxigraph store at ``location``; returns the seconds it took."""
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "oxigraph"), "load", "--location", str(location), "--file", str(build_dir / "clastordf.ttl")],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def start_oxigraph(location: Path) -> Server:
    argv = [str(BIN / "oxigraph"), "serve-read-only", "--location", str(location), "--bind", "127.0.0.1:{port}"]
    return launch("oxigraph", argv, "/query", "/")


def start_rdflib_endpoint(build_dir: Path) -> Server:
    argv = [str(BIN / "rdflib-endpoint"), "serve", str(build_dir / "clastordf.ttl"), "--host", "127.0.0.1",
            "--port", "{port}"]  # fmt: skip
    return launch("rdflib-endpoint", argv, "/", "/?query=ASK%7B%7D")  # it answers at its root


def http_get(port: int, target: str, accept: str, timeout: float = 30, method: str = "GET") -> tuple[int, bytes]:
    """(status, body) of one request on a new connection: a GET of ``target``, or with ``method="POST"``
    a form POST of ``target`` as :meth:`Server.query_post` makes it (``PATH BODY``)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if method == "POST":
            path, body = target.split(" ", 1)
            form = {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"}
            conn.request("POST", path, body=body.encode(), headers=form)
        else:
            conn.request("GET", target, headers={"Accept": accept})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def fact_iris(oxigraph: Server) -> list[str]:
    """Every fact IRI (``…/fact/CFnnnn``, not its claims ``…-c1``), asked of the Oxigraph server."""
    query = f'SELECT DISTINCT ?f WHERE {{ ?f a ?type FILTER(REGEX(STR(?f), "^{FACT_BASE}[^/#-]+$")) }} ORDER BY ?f'
    status, body = http_get(oxigraph.port, oxigraph.query_target(query), JSON_RESULTS)
    if status != 200:
        raise RuntimeError(f"oxigraph answered {status} to the fact list query")
    return [row["f"]["value"] for row in json.loads(body)["results"]["bindings"]]


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


# --- request mixes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requests:
    """What wrk sends one server for one mix: targets in rotation, their Accept, how each is made unique."""

    targets: list[str]
    accept: str
    unique: str = ""  # "comment", "param" or "" (see bench/wrk/requests.lua)
    method: str = "GET"  # or "POST": targets are then "PATH BODY"

    def send_one(self, server: Server, index: int = 0, timeout: float = 30) -> tuple[int, bytes]:
        """Send the ``index``-th request once (not made unique)."""
        return http_get(server.port, self.targets[index], self.accept, timeout, self.method)


def point_query(fact: str) -> str:
    return f"SELECT ?p ?o WHERE {{ <{fact}> ?p ?o }}"


def mix_requests(server: Server, mix: str, facts: list[str], queries: list[str]) -> Requests:
    """The requests of ``mix`` for ``server``; the ``page`` mixes ask the others for the DESCRIBE a page is."""
    if mix == "point-uncached":
        return Requests([server.query_target(point_query(f)) for f in facts], JSON_RESULTS, "comment")
    if mix == "point-cached":
        return Requests([server.query_target(point_query(f)) for f in facts[:CACHED_FACTS]], JSON_RESULTS)
    if mix in ("page", "page-uncached"):
        unique = mix == "page-uncached"
        if server.name == "clastordf":
            return Requests(["/fact/" + f.removeprefix(FACT_BASE) for f in facts], TURTLE, "param" if unique else "")
        return Requests([server.query_target(f"DESCRIBE <{f}>") for f in facts], TURTLE, "comment" if unique else "")
    if mix == "examples-first":
        return Requests([server.query_post(q) for q in queries], JSON_RESULTS, "comment", "POST")
    if mix == "examples-cached":
        return Requests([server.query_post(q) for q in queries], JSON_RESULTS, "", "POST")
    raise ValueError(f"unknown mix {mix}")


# --- wrk ------------------------------------------------------------------------------------------

WRK_MISSING = (
    "wrk is needed (the load generator): apt-get install wrk  (Debian/Ubuntu), brew install wrk (macOS), "
    "or build it from https://github.com/wg/wrk; or point $WRK at it"
)


def find_wrk() -> str:
    """The wrk executable ($WRK, else on PATH, else /usr/bin/wrk); exits with how to install it if missing."""
    found = os.environ.get("WRK") or shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
    if not found:
        sys.exit(WRK_MISSING)
    return found


def parse_wrk_output(text: str) -> dict[str, Any]:
    """The JSON that ``bench/wrk/requests.lua``'s done() printed on its ``BENCH_JSON`` line.

    >>> parse_wrk_output('Running 1s test\\nBENCH_JSON {"requests": 3}\\n')
    {'requests': 3}
    """
    for line in text.splitlines():
        if line.startswith("BENCH_JSON "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
            return result
    raise ValueError(f"no BENCH_JSON line in wrk's output: {text[-500:]!r}")


@dataclass
class Run:
    """One wrk run against one server: the figures of one cell's repeat."""

    server: str
    mix: str
    clients: int
    repeat: int
    load1: float
    seconds: float
    answers: int  # 2xx
    non2xx: int
    socket_errors: int
    answers_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_answer: float | None
    peak_pss_mb: float
    bytes_per_answer: float
    wrk_cpu_s: float  # the load generator's own CPU time: it shares the cores with the server
    idle_wait_s: float
    statuses: dict[str, int] = field(default_factory=dict)  # non-2xx status -> answers with it


def run_from_wrk(raw: dict[str, Any], cpu_s: float, wrk_cpu_s: float, peak_kb: int, **cell: Any) -> Run:
    """A :class:`Run` from wrk's figures (``raw``) and the server tree's CPU and memory during it."""
    seconds = raw["duration_us"] / 1e6
    errors = raw["errors"]
    socket_errors = errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]
    answers = raw["requests"] - raw["non2xx"]
    latency = raw["latency_us"]
    return Run(
        seconds=round(seconds, 2),
        answers=answers,
        non2xx=raw["non2xx"],
        socket_errors=socket_errors,
        answers_per_s=round(answers / seconds, 1) if seconds else 0.0,
        p50_ms=round(latency["p50"] / 1000, 2),
        p99_ms=round(latency["p99"] / 1000, 2),
        cpu_ms_per_answer=round(cpu_s * 1000 / answers, 3) if answers else None,
        peak_pss_mb=round(peak_kb / 1024, 1),
        bytes_per_answer=round(raw["bytes"] / raw["requests"]) if raw["requests"] else 0,
        wrk_cpu_s=round(wrk_cpu_s, 2),
        statuses=raw.get("statuses", {}),
        **cell,
    )


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(
    wrk: str, server: Server, requests: Requests, clients: int, seconds: float, workdir: Path
) -> dict[str, Any]:
    """Run wrk for ``seconds`` with ``clients`` connections; returns the parsed ``BENCH_JSON``."""
    targets = workdir / "targets.txt"
    targets.write_text("\n".join(requests.targets) + "\n", encoding="utf-8")
    env = {
        **os.environ,
        "BENCH_TARGETS": str(targets),
        "BENCH_ACCEPT": requests.accept,
        "BENCH_UNIQUE": requests.unique,
        "BENCH_METHOD": requests.method,
        "BENCH_SALT": f"{time.time_ns():x}",  # a repeat never meets an earlier run's requests in a cache
    }
    threads = min(clients, os.cpu_count() or 1)
    argv = [wrk, f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "-s", str(LUA),
            f"http://127.0.0.1:{server.port}"]  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return parse_wrk_output(done.stdout)


def measure(
    wrk: str, server: Server, requests: Requests, clients: int, seconds: float, workdir: Path, idle: Sequence[int],
    **cell: Any,
) -> Run:  # fmt: skip
    """One wrk run with the server tree's CPU (before/after) and peak memory around it."""
    idle_wait = wait_idle(idle)
    load1 = os.getloadavg()[0]
    wrk_before, cpu_before = children_cpu_seconds(), tree_cpu_seconds(server.process.pid)
    with PeakMemory(server.process.pid) as peak:
        raw = run_wrk(wrk, server, requests, clients, seconds, workdir)
    cpu = tree_cpu_seconds(server.process.pid) - cpu_before
    return run_from_wrk(raw, cpu, children_cpu_seconds() - wrk_before, peak.peak_kb, server=server.name,
                        clients=clients, load1=round(load1, 2), idle_wait_s=round(idle_wait, 1), **cell)  # fmt: skip


# --- summaries ------------------------------------------------------------------------------------


def spread(values: Sequence[float]) -> dict[str, float] | None:
    """min / median / max of ``values`` (rounded), or None without values.

    >>> spread([0.5, 2.0, 1.0])
    {'min': 0.5, 'median': 1.0, 'max': 2.0}
    """
    if not values:
        return None
    return {"min": round(min(values), 2), "median": round(statistics.median(values), 2), "max": round(max(values), 2)}


def ratios(ours: Sequence[Run], theirs: Sequence[Run]) -> dict[str, Any]:
    """Per repeat, clastordf ÷ the other server: throughput and CPU per answer (pairs of the same repeat)."""
    pairs = [(a, b) for a in ours for b in theirs if a.repeat == b.repeat]
    # A repeat where clastordf answered nothing counts (0); one where the other server did is left out.
    throughput = [a.answers_per_s / b.answers_per_s for a, b in pairs if b.answers_per_s]
    cpu = [a.cpu_ms_per_answer / b.cpu_ms_per_answer for a, b in pairs if a.cpu_ms_per_answer and b.cpu_ms_per_answer]
    return {"throughput": spread(throughput), "cpu_per_answer": spread(cpu)}


def median_of(runs: Sequence[Run], attribute: str) -> float | None:
    values = [v for v in (getattr(r, attribute) for r in runs) if v is not None]
    return round(statistics.median(values), 2) if values else None


def fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, dict):
        return f"{value['min']} / **{value['median']}** / {value['max']}"
    return str(value)


def error_summary(runs: Sequence[Run]) -> str:
    """Errors of ``runs`` in all, with the non-2xx statuses and socket errors that make them up.

    >>> error_summary([Run("s", "m", 1, 0, 0.0, 1.0, 9, 5, 1, 9.0, 1.0, 2.0, 1.0, 0.0, 0, 0.0, 0.0, {"503": 5})])
    '6 (503: 5, socket: 1)'
    """
    statuses: dict[str, int] = {}
    for run in runs:
        for status, n in run.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    sockets = sum(r.socket_errors for r in runs)
    total = sum(r.non2xx for r in runs) + sockets
    parts = [f"{status}: {n}" for status, n in sorted(statuses.items())] + ([f"socket: {sockets}"] if sockets else [])
    return f"{total} ({', '.join(parts)})" if parts else str(total)


def cell_table(runs: list[Run], other: str, mixes: Sequence[str], clients: Sequence[int]) -> str:
    """Medians over the repeats per cell and server, and the ratios' min / median / max."""
    head = (
        f"| mix | clients | clastordf req/s | p50 ms | p99 ms | errors | CPU ms/answer | {other} req/s | p50 ms "
        f"| p99 ms | errors | CPU ms/answer | req/s ratio min/med/max | CPU ratio min/med/max | load 1m |"
    )
    lines = [head, "|" + "---|" * 15]
    for mix in mixes:
        for n in clients:
            ours = [r for r in runs if r.server == "clastordf" and r.mix == mix and r.clients == n]
            theirs = [r for r in runs if r.server == other and r.mix == mix and r.clients == n]
            if not ours or not theirs:
                continue
            ratio = ratios(ours, theirs)
            loads = [r.load1 for r in ours + theirs]
            row = [mix, n]
            for side in (ours, theirs):
                errors = error_summary(side)
                row += [median_of(side, "answers_per_s"), median_of(side, "p50_ms"), median_of(side, "p99_ms")]
                row += [errors, median_of(side, "cpu_ms_per_answer")]
            row += [fmt(ratio["throughput"]), fmt(ratio["cpu_per_answer"]), f"{min(loads):.1f}–{max(loads):.1f}"]
            lines.append("| " + " | ".join(fmt(v) for v in row) + " |")
    return "\n".join(lines)


# --- the parts of one dataset's run ---------------------------------------------------------------


@dataclass
class Probe:
    """A fresh start of one server: start-up, the first point query after it, and memory at rest."""

    server: str
    start_s: float
    first_query_ms: float
    first_status: int
    rest_pss_mb: float
    processes: int


def warm_up(server: Server, facts: list[str], queries: list[str]) -> None:
    """A few requests of every kind (so that every executor has started), then a second of rest."""
    for mix in MIXES:
        requests = mix_requests(server, mix, facts, queries)
        for index in range(min(8, len(requests.targets))):
            requests.send_one(server, index)
    time.sleep(1.0)


def probe(start: Any, facts: list[str], queries: list[str]) -> Probe:
    """Start a server with ``start()``, time its first point query, warm it up, read its PSS, stop it."""
    server: Server = start()
    try:
        began = time.perf_counter()
        status, _ = http_get(server.port, server.query_target(point_query(facts[len(facts) // 2])), JSON_RESULTS)
        first_ms = (time.perf_counter() - began) * 1000
        warm_up(server, facts, queries)
        pss, count = tree_pss_kb(server.process.pid)
        return Probe(server.name, round(server.started_s, 3), round(first_ms, 1), status, round(pss / 1024, 1), count)
    finally:
        server.stop()


def answer_rows(body: bytes) -> int:
    """Rows of a SPARQL JSON answer (an ASK counts as one).

    >>> answer_rows(b'{"head": {}, "results": {"bindings": [{}, {}]}}'), answer_rows(b'{"boolean": false}')
    (2, 1)
    """
    answer = json.loads(body)
    return 1 if "boolean" in answer else len(answer["results"]["bindings"])


def timed_post(server: Server, query: str, timeout: float = 30) -> tuple[int, bytes, float]:
    """(status, body, seconds) of ``query`` POSTed to ``server``."""
    began = time.perf_counter()
    status, body = http_get(server.port, server.query_post(query), JSON_RESULTS, timeout, "POST")
    return status, body, time.perf_counter() - began


#: Seconds a load run on rdflib-endpoint lasts at least: at ×100 it answers about one query in 2 s.
RDFLIB_SECONDS = 30.0
#: rdflib-endpoint's check stops after this many example queries in a row without an answer in time.
RDFLIB_GIVE_UP = 3


def rdflib_verdict(server: Server, query: str, expected: int) -> tuple[str | None, float | None]:
    """(why rdflib-endpoint's answer to ``query`` is not right, or None; its seconds, None on a timeout)."""
    try:
        status, body, seconds = timed_post(server, query, RDFLIB_LIMIT)
    except TimeoutError:
        return f"no answer within {RDFLIB_LIMIT:.0f} s", None
    if status != 200:
        return f"HTTP {status}: {body[:120].decode(errors='replace')}", seconds
    try:
        rows = answer_rows(body)
    except (ValueError, KeyError) as exc:
        return f"unreadable answer ({exc})", seconds
    return (None if rows == expected else f"{rows} rows, Oxigraph {expected}"), seconds


def check_rdflib(
    build_dir: Path, oxigraph: Server, queries: dict[str, str], stack: ExitStack
) -> tuple[Server | None, dict[str, str], dict[str, str], dict[str, Any]]:
    """Ask rdflib-endpoint every example query once (``RDFLIB_LIMIT`` s each) and compare its row count
    with Oxigraph's, the queries in the order of Oxigraph's time for them. After a query it did not
    finish, rdflib-endpoint gets a minute to finish it (the abandoned query goes on using its CPU), else
    it is restarted; after ``RDFLIB_GIVE_UP`` such queries in a row the slower ones are not tried.
    Returns the server, the queries it answered right, the others with the reason, and the times."""
    reference = {}
    for name, query in queries.items():
        status, body, seconds = timed_post(oxigraph, query)
        reference[name] = (answer_rows(body) if status == 200 else None, seconds, status)
    server: Server | None = start_rdflib_endpoint(build_dir)

    def stop() -> None:  # whichever rdflib-endpoint runs when the stack unwinds
        if server is not None:
            server.stop()

    stack.callback(stop)
    passed: dict[str, str] = {}
    refused: dict[str, str] = {}
    times: dict[str, Any] = {}
    missed = 0
    for name in sorted(queries, key=lambda n: reference[n][1]):
        expected, oxigraph_s, oxigraph_status = reference[name]
        times[name] = {"oxigraph_s": round(oxigraph_s, 3)}
        reason: str | None
        if expected is None:
            reason = f"no reference: Oxigraph answered HTTP {oxigraph_status}"
        elif missed >= RDFLIB_GIVE_UP:
            reason = f"not tried: slower on Oxigraph than {missed} queries rdflib-endpoint did not answer in time"
        else:
            if server is None:
                server = start_rdflib_endpoint(build_dir)
            reason, seconds_or_none = rdflib_verdict(server, queries[name], expected)
            times[name]["rdflib_s"] = None if seconds_or_none is None else round(seconds_or_none, 3)
            missed = missed + 1 if seconds_or_none is None else 0
            if seconds_or_none is None and wait_idle([server.process.pid], timeout=60) >= 60:
                server.stop()
                server = None
        if reason is None:
            passed[name] = queries[name]
        else:
            refused[name] = reason
        print(f"  rdflib-endpoint, {name}: {reason or 'right'} {times[name]}", file=sys.stderr)
    return server, passed, refused, times


@dataclass
class Settings:
    datasets: list[str]
    mixes: list[str]
    clients: list[int]
    seconds: float
    repeats: int
    workers: int
    rdflib: bool
    quick: bool = False
    clastordf_env: dict[str, str] = field(default_factory=dict)
    wrk: str = ""
    notes: dict[str, Any] = field(default_factory=dict)


def dataset_dir(name: str) -> Path:
    if name == "real":
        build_dir = REPO / "build"
        if not (build_dir / "clastordf.ttl").exists():
            subprocess.run([str(BIN / "clastordf"), "build"], check=True, cwd=REPO)
        return build_dir
    return synthetic_build(100)


def example_queries() -> dict[str, str]:
    return {q.stem: q.read_text(encoding="utf-8") for q in sorted((REPO / "queries").glob("*.rq"))}


def load_cells(
    s: Settings, clastordf: Server, oxigraph: Server, facts: list[str], queries: list[str], work: Path
) -> list[Run]:
    """Every (mix, clients) cell: clastordf then Oxigraph, ``repeats`` times, after a warm-up per mix."""
    runs: list[Run] = []
    idle = [clastordf.process.pid, oxigraph.process.pid]
    for mix in s.mixes:
        for server in (clastordf, oxigraph):  # the warm-up: executors started, caches filled for *-cached
            run_wrk(s.wrk, server, mix_requests(server, mix, facts, queries), 2, 2, work)
        for clients in s.clients:
            for repeat in range(s.repeats):
                for server in (clastordf, oxigraph):
                    requests = mix_requests(server, mix, facts, queries)
                    run = measure(s.wrk, server, requests, clients, s.seconds, work, idle, mix=mix, repeat=repeat)
                    runs.append(run)
                    print(json.dumps(asdict(run)), file=sys.stderr)
    return runs


def rdflib_cells(
    s: Settings, clastordf: Server, rdflib: Server, passed: dict[str, str], work: Path
) -> list[Run]:  # fmt: skip
    """examples-first on the queries rdflib-endpoint answers right: clastordf, rdflib-endpoint, …; 1 client,
    at least ``RDFLIB_SECONDS`` (rdflib-endpoint may take seconds per answer)."""
    runs = []
    seconds = max(s.seconds, RDFLIB_SECONDS)
    idle = [clastordf.process.pid, rdflib.process.pid]
    queries = list(passed.values())
    for repeat in range(s.repeats):
        for server in (clastordf, rdflib):
            requests = Requests([server.query_post(q) for q in queries], JSON_RESULTS, "comment", "POST")
            run = measure(s.wrk, server, requests, 1, seconds, work, idle, mix="examples-first", repeat=repeat)
            runs.append(run)
            print(json.dumps(asdict(run)), file=sys.stderr)
    return runs


def save(result: dict[str, Any]) -> Path:
    """Write ``result`` to ``bench/out/serve_load_<dataset>.json``."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"serve_load_{result['dataset']}.json"
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return path


def run_dataset(s: Settings, dataset: str) -> dict[str, Any]:
    """The whole benchmark on one dataset; returns what goes into its JSON file."""
    build_dir = dataset_dir(dataset)
    queries = example_queries()
    result: dict[str, Any] = {"dataset": dataset, "build_dir": str(build_dir), "settings": asdict(s)}
    with tempfile.TemporaryDirectory(prefix="serve_load-") as tmp, ExitStack() as stack:
        work, location = Path(tmp), Path(tmp) / "oxigraph-db"
        result["oxigraph_load_s"] = round(load_oxigraph(build_dir, location), 2)
        print(f"[{dataset}] starting the servers …", file=sys.stderr)
        oxigraph = start_oxigraph(location)
        stack.callback(oxigraph.stop)
        clastordf = start_clastordf(build_dir, s.workers, s.clastordf_env)  # the first start may load its store
        stack.callback(clastordf.stop)
        facts = fact_iris(oxigraph)
        result["facts"] = len(facts)
        result["distinct_pages"] = len(facts)
        result["cached_point_facts"] = min(CACHED_FACTS, len(facts))
        rest = {}
        for server in (clastordf, oxigraph):
            warm_up(server, facts, list(queries.values()))
            pss, count = tree_pss_kb(server.process.pid)
            rest[server.name] = {"rest_pss_mb": round(pss / 1024, 1), "processes": count}
        result["rest"] = rest
        runs = load_cells(s, clastordf, oxigraph, facts, list(queries.values()), work)
        result["runs"] = [asdict(r) for r in runs]
        save(result)  # the load figures survive a failure in the parts that follow
        if s.rdflib:
            print(f"[{dataset}] checking rdflib-endpoint's answers …", file=sys.stderr)
            rdflib, passed, refused, times = check_rdflib(build_dir, oxigraph, queries, stack)
            result["rdflib"] = {"answered": sorted(passed), "not_answered": refused, "check_times": times}
            if rdflib is None and passed:  # stopped after a query it could not finish: a fresh one for the load
                rdflib = start_rdflib_endpoint(build_dir)
                stack.callback(rdflib.stop)
            if rdflib is not None and passed:
                rdflib_runs = rdflib_cells(s, clastordf, rdflib, passed, work)
                result["rdflib"]["runs"] = [asdict(r) for r in rdflib_runs]
                result["rdflib"]["pss_after_load_mb"] = round(tree_pss_kb(rdflib.process.pid)[0] / 1024, 1)
            if rdflib is not None:
                result["rdflib"]["start_s"] = round(rdflib.started_s, 2)
                rdflib.stop()
        clastordf.stop()
        oxigraph.stop()
        print(f"[{dataset}] fresh starts …", file=sys.stderr)
        probes = []
        for _ in range(s.repeats):  # one at a time, the other servers down
            fresh = probe(lambda: start_clastordf(build_dir, s.workers, s.clastordf_env), facts, list(queries.values()))
            probes.append(fresh)
            probes.append(probe(lambda: start_oxigraph(location), facts, list(queries.values())))
        result["probes"] = [asdict(p) for p in probes]
    return result


# --- report ---------------------------------------------------------------------------------------


def runs_of(rows: list[dict[str, Any]]) -> list[Run]:
    return [Run(**row) for row in rows]


def report(result: dict[str, Any], s: Settings) -> str:
    """The Markdown tables of one dataset."""
    runs = runs_of(result["runs"])
    out = [
        f"### Dataset {result['dataset']}: {result['facts']} facts ({result['distinct_pages']} distinct pages; "
        f"point-cached rotates over {result['cached_point_facts']}); {s.repeats} repeat(s) of {s.seconds:g} s per cell",
        "",
        "Medians over the repeats; errors = non-2xx + socket errors, summed; ratios are clastordf ÷ Oxigraph "
        "per repeat (CPU ratio: below 1 is less CPU for clastordf).",
        "",
        cell_table(runs, "oxigraph", s.mixes, s.clients),
        "",
        "| server | PSS at rest MB (processes) | peak PSS in a run MB | start s (min/med/max) "
        "| first point query ms (min/med/max) | PSS at rest after a fresh start MB |",
        "|---|---|---|---|---|---|",
    ]
    for name, rest in result["rest"].items():
        probes = [p for p in result["probes"] if p["server"] == name]
        peak = max((r.peak_pss_mb for r in runs if r.server == name), default=None)
        out.append(
            f"| {name} | {rest['rest_pss_mb']} ({rest['processes']}) | {peak} | "
            f"{fmt(spread([p['start_s'] for p in probes]))} | {fmt(spread([p['first_query_ms'] for p in probes]))} | "
            f"{fmt(spread([p['rest_pss_mb'] for p in probes]))} |"
        )
    if "rdflib" in result:
        out += ["", rdflib_report(result["rdflib"])]
    return "\n".join(out)


def rdflib_report(rdflib: dict[str, Any]) -> str:
    lines = [f"rdflib-endpoint answered right (same rows as Oxigraph, within {RDFLIB_LIMIT:.0f} s): "
             f"{', '.join(rdflib['answered']) or 'none'}."]  # fmt: skip
    for name, reason in rdflib["not_answered"].items():
        lines.append(f"- not answered: `{name}` ({reason})")
    if rdflib.get("runs"):
        runs = runs_of(rdflib["runs"])
        ours = [r for r in runs if r.server == "clastordf"]
        theirs = [r for r in runs if r.server == "rdflib-endpoint"]
        lines += [
            "",
            "| on those queries, examples-first, 1 client | clastordf req/s | rdflib-endpoint req/s "
            "| rdflib p50 ms | req/s ratio min/med/max | CPU ratio min/med/max |",
            "|---|---|---|---|---|---|",
            f"| {len(rdflib['answered'])} queries | {median_of(ours, 'answers_per_s')} | "
            f"{median_of(theirs, 'answers_per_s')} | {median_of(theirs, 'p50_ms')} | "
            f"{fmt(ratios(ours, theirs)['throughput'])} | {fmt(ratios(ours, theirs)['cpu_per_answer'])} |",
        ]
    return "\n".join(lines)


def settings_from(argv: list[str] | None = None) -> Settings:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--datasets", nargs="+", choices=("real", "x100"), default=["real", "x100"])
    p.add_argument("--mixes", nargs="+", choices=MIXES, default=list(MIXES))
    p.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    p.add_argument("--seconds", type=float, default=10.0, help="per run (wrk counts whole seconds)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--workers", type=int, default=2, help="clastordf worker processes")
    p.add_argument("--no-rdflib", action="store_true", help="skip rdflib-endpoint")
    p.add_argument(
        "--clastordf-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a CLASTORDF_* setting for clastordf serve (repeatable; recorded in the JSON), e.g. CLASTORDF_EXECUTORS=2",
    )
    p.add_argument("--quick", action="store_true", help="development: 1 repeat, 3 s runs, 1 and 4 clients")
    args = p.parse_args(argv)
    if args.quick:
        args.repeats, args.seconds, args.clients = 1, 3.0, [1, 4]
    env = dict(item.split("=", 1) for item in args.clastordf_env)
    return Settings(args.datasets, args.mixes, args.clients, args.seconds, args.repeats, args.workers,
                    not args.no_rdflib, args.quick, env)  # fmt: skip


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so that every server started is stopped on the way out."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    s = settings_from(argv)
    s.wrk = find_wrk()
    s.notes["load_average_at_start"] = os.getloadavg()
    with sigterm_as_interrupt():
        for dataset in s.datasets:
            result = run_dataset(s, dataset)
            save(result)
            print(report(result, s) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
