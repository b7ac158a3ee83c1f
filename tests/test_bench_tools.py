"""The pure parts of the benches (``bench/abuse.py``, ``bench/faults.py``, ``bench/serve_load.py``): the
attack generators make what they claim, the process-tree memory and CPU sums see a child process, the raw
HTTP helpers round-trip, wrk's Lua script makes the requests it says and its report parses. No clastordf
server, no timing."""

from __future__ import annotations

import doctest
import hashlib
import http.server
import random
import shutil
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import abuse  # noqa: E402 -- a script folder, not a package
import faults  # noqa: E402
import serve_load  # noqa: E402


def depth(text: str, opening: str, closing: str) -> int:
    """The deepest nesting of ``opening``/``closing`` in ``text`` (and that they balance)."""
    level = deepest = 0
    for char in text:
        if char == opening:
            level += 1
            deepest = max(deepest, level)
        elif char == closing:
            level -= 1
            assert level >= 0
    assert level == 0
    return deepest


def test_nested_queries_have_the_depth_asked():
    assert depth(abuse.nested_braces(2500), "{", "}") == 2500
    path = abuse.nested_path(200)
    assert depth(path, "(", ")") == 200
    assert path.count(")*") == 200
    assert len(path.encode()) == 621  # the size the review reported


def test_padded_queries_are_unique_and_of_the_size_asked():
    a, b = abuse.padded_query(90_000, "a"), abuse.padded_query(90_000, "b")
    assert a != b and len(a) == len(b) == 90_000 and a.startswith("ASK {}\n#")


def test_process_tree_memory_includes_a_child():
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"], stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        me = abuse.os.getpid()
        tree = abuse.process_tree(me)
        assert tree[0] == me and child.pid in tree
        rss, pss, count = abuse.tree_memory_kb(me)
        assert count >= 2
        # Each part alone, not their exact sum: the two processes' memory moves between the readings.
        assert rss > abuse.rss_kb(me) > 0 and rss > abuse.rss_kb(child.pid) > 0
        assert 0 < pss <= rss
    finally:
        child.kill()
        child.wait()
    assert abuse.process_tree(child.pid) == []


def test_fuzz_cases_are_reproducible_and_complete():
    rng_a, rng_b = random.Random(7), random.Random(7)  # noqa: S311
    cases = [abuse.fuzz_case(rng_a, "127.0.0.1:1") for _ in range(300)]
    assert cases == [abuse.fuzz_case(rng_b, "127.0.0.1:1") for _ in range(300)]
    for raw, _summary in cases:
        head, sep, body = raw.partition(b"\r\n\r\n")
        if not sep or b"Content-Length:" not in head:
            continue
        lengths = [line.split(b":")[1].strip() for line in head.split(b"\r\n") if line.startswith(b"Content-Length:")]
        if len(lengths) == 1 and lengths[0].isdigit() and b"Transfer-Encoding" not in head:
            assert int(lengths[0]) == len(body)  # never a body shorter than announced: no request hangs


def test_raw_responses_parse():
    raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
    assert abuse.parse_response(raw) == (200, [("transfer-encoding", "chunked")], b"hi")
    assert abuse.parse_response(b"garbage")[0] is None


def test_release_sums_and_build_mixes(tmp_path: Path):
    (tmp_path / "a.ttl").write_text("a")
    digest = hashlib.sha256(b"a").hexdigest()
    (tmp_path / "SHA256SUMS").write_text(f"{digest}  a.ttl\n")
    assert faults.check_sums(tmp_path) == []
    (tmp_path / "b.ttl").write_text("b")
    (tmp_path / "a.ttl").write_text("changed")
    assert sorted(faults.check_sums(tmp_path)) == ["a.ttl differs from SHA256SUMS", "b.ttl not listed"]
    old, new = {"x": "1", "y": "2"}, {"x": "1", "y": "3"}
    assert faults.classify({"x": "1", "y": "2"}, old, new) == {"either": 1, "old": 1}
    assert faults.classify({"x": "1", "y": "3"}, old, new) == {"either": 1, "new": 1}
    assert faults.classify({"x": "9"}, old, new) == {"neither": 1, "old missing": 1}


@pytest.mark.parametrize("module", [abuse, faults, serve_load])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:1
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
BENCH_JSON {"duration_us": 2000000, "requests": 1010, "bytes": 505000, "non2xx": 10, \
"errors": {"connect": 0, "read": 1, "write": 0, "status": 10, "timeout": 2}, \
"latency_us": {"min": 200, "mean": 900.5, "max": 9000, "p50": 800, "p90": 1500, "p99": 4250, "p999": 8000}}
"""


def test_wrk_report_parses_into_a_run():
    raw = serve_load.parse_wrk_output(WRK_OUTPUT)
    assert raw["latency_us"]["p99"] == 4250
    run = serve_load.run_from_wrk(raw, 1.0, 0.5, 2048 * 1024, server="s", mix="m", clients=4, repeat=0, load1=1.0,
                                  idle_wait_s=0.5)  # fmt: skip
    assert (run.answers, run.non2xx, run.socket_errors) == (1000, 10, 3)  # non-2xx answers are not answers
    assert run.answers_per_s == 500.0 and run.cpu_ms_per_answer == 1.0
    assert (run.p50_ms, run.p99_ms, run.peak_pss_mb, run.bytes_per_answer) == (0.8, 4.25, 2048.0, 500)
    with pytest.raises(ValueError, match="no BENCH_JSON"):
        serve_load.parse_wrk_output("wrk: connection refused")


def test_stat_lines_with_odd_command_names_parse():
    line = "9 (x) y) (z) R 3 9 9 0 -1 4194560 0 0 0 0 7 5 2 1 20 0 1 0"
    assert serve_load.parse_stat(line) == serve_load.ProcStat(9, 3, 12, 3)


def test_process_tree_cpu_and_memory_include_children():
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    me = serve_load.os.getpid()
    try:
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        assert me in serve_load.process_tree(me) and child.pid in serve_load.process_tree(me)
        pss, count = serve_load.tree_pss_kb(me)
        assert count >= 2 and pss > serve_load.pss_kb(me) > 0
        mine_alone = serve_load.process_table()[me].own_ticks / serve_load.CLK_TCK  # read first: it only grows
        with_child = serve_load.tree_cpu_seconds(me)
        assert with_child >= mine_alone
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
    # An ended, reaped child's CPU moves to its parent's cutime/cstime: the tree's total never goes back.
    assert serve_load.tree_cpu_seconds(me) >= with_child
    assert serve_load.process_tree(child.pid) == []


def test_ratio_summaries_pair_the_repeats():
    def run(server: str, repeat: int, rate: float, cpu: float | None) -> serve_load.Run:
        return serve_load.Run(server, "m", 1, repeat, 0.0, 1.0, 1, 0, 0, rate, 1.0, 2.0, cpu, 0.0, 0, 0.0, 0.0)

    ours = [run("clastordf", 0, 100.0, 2.0), run("clastordf", 1, 300.0, 1.0), run("clastordf", 2, 50.0, None)]
    theirs = [run("oxigraph", 0, 200.0, 1.0), run("oxigraph", 1, 200.0, 1.0), run("oxigraph", 2, 0.0, 1.0)]
    summary = serve_load.ratios(ours, theirs)
    assert summary["throughput"] == {"min": 0.5, "median": 1.0, "max": 1.5}  # Oxigraph without answers: left out
    assert serve_load.ratios([run("clastordf", 0, 0.0, None)], theirs[:1])["throughput"] == {
        "min": 0.0,
        "median": 0.0,
        "max": 0.0,
    }  # clastordf without answers: 0
    assert summary["cpu_per_answer"] == {"min": 1.0, "median": 1.5, "max": 2.0}
    assert serve_load.spread([]) is None
    table = serve_load.cell_table(ours + theirs, "oxigraph", ["m"], [1]).splitlines()
    assert len(table) == 3 and table[2].startswith("| m | 1 | 100.0 |") and "0.5 / **1.0** / 1.5" in table[2]


def test_mixes_ask_each_server_its_own_way():
    clastordf = serve_load.Server("clastordf", 1, None, "/sparql", "/health")  # type: ignore[arg-type]
    oxigraph = serve_load.Server("oxigraph", 2, None, "/query", "/")  # type: ignore[arg-type]
    facts = [f"{serve_load.FACT_BASE}CF{i:04}" for i in range(40)]
    page = serve_load.mix_requests(clastordf, "page-uncached", facts, [])
    assert page.targets[0] == "/fact/CF0000" and page.unique == "param" and page.accept == "text/turtle"
    describe = serve_load.mix_requests(oxigraph, "page", facts, [])
    assert urllib.parse.unquote(describe.targets[1]) == f"/query?query=DESCRIBE <{facts[1]}>" and not describe.unique
    cached = serve_load.mix_requests(oxigraph, "point-cached", facts, [])
    assert len(cached.targets) == serve_load.CACHED_FACTS and not cached.unique
    first = serve_load.mix_requests(clastordf, "examples-first", facts, ["ASK {}"])
    assert first.targets == ["/sparql query=ASK%20%7B%7D"] and (first.unique, first.method) == ("comment", "POST")


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers 404 to paths holding "missing", 200 to the rest, and keeps every path asked."""

    paths: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 -- the http.server API
        length = int(self.headers["Content-Length"])
        assert self.headers["Content-Type"] == "application/x-www-form-urlencoded"
        self.path += " " + self.rfile.read(length).decode()
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        self.paths.append(self.path)
        self.send_response(404 if "missing" in self.path else 200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # wrk drops its connections when its time is up


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
@pytest.mark.parametrize("unique", ["comment", "param", ""])
def test_wrk_script_makes_unique_requests_and_counts_non_2xx(tmp_path: Path, unique: str):
    _Recorder.paths = []
    httpd = _QuietServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    server = serve_load.Server("test", httpd.server_address[1], None, "/q", "/")  # type: ignore[arg-type]
    try:
        requests = serve_load.Requests(["/q?query=ASK%20%7B%7D", "/missing"], "text/plain", unique)
        raw = serve_load.run_wrk(shutil.which("wrk") or "wrk", server, requests, 2, 1, tmp_path)
    finally:
        httpd.shutdown()
        httpd.server_close()
    paths = _Recorder.paths
    assert raw["requests"] > 0 and set(raw) >= {"latency_us", "errors", "bytes"}
    asked_missing = sum("missing" in p for p in paths)
    assert asked_missing and abs(raw["non2xx"] - asked_missing) <= 2  # requests cut off at the end: not counted
    assert raw["statuses"] == {"404": raw["non2xx"]}
    queries = [p for p in paths if p.startswith("/q?")]
    if unique == "comment":
        assert all(p.startswith("/q?query=ASK%20%7B%7D%0A%23+bench+") for p in queries)
        assert len(set(queries)) == len(queries)
    elif unique == "param":
        assert all(p.startswith("/missing?bench=") for p in paths if "missing" in p)
        assert all("&bench=" in p for p in queries) and len(set(paths)) == len(paths)
    else:
        assert set(paths) == {"/q?query=ASK%20%7B%7D", "/missing"}


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_wrk_script_posts_forms_with_unique_comments(tmp_path: Path):
    _Recorder.paths = []
    httpd = _QuietServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = serve_load.Server("test", httpd.server_address[1], None, "/q", "/")  # type: ignore[arg-type]
    try:
        requests = serve_load.Requests([server.query_post("ASK {}")], "text/plain", "comment", "POST")
        raw = serve_load.run_wrk(shutil.which("wrk") or "wrk", server, requests, 1, 1, tmp_path)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert raw["requests"] > 0 and raw["non2xx"] == 0
    assert all(p.startswith("/q query=ASK%20%7B%7D%0A%23+bench+") for p in _Recorder.paths)
    assert len(set(_Recorder.paths)) == len(_Recorder.paths)


def test_runnable_tasks_see_a_busy_process_and_not_a_sleeping_one():
    sleeping = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        # A busy loop is always runnable (running, or waiting for a CPU on a loaded machine), a sleeping
        # process never once started; a few looks allow for the moment each is still starting up.
        assert any(serve_load.runnable_tasks([busy.pid]) >= 1 for _ in range(50))
        assert any(serve_load.runnable_tasks([sleeping.pid]) == 0 for _ in range(50))
        assert serve_load.runnable_tasks([2**22 + 1]) == 0  # no such process
    finally:
        for child in (sleeping, busy):
            child.kill()
            child.wait()
