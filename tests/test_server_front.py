"""The front the server faces clients with (:mod:`clastordf.server.front`, :mod:`clastordf.server.run`):
slow clients hold no thread, the header and body timeouts close them, a full lane says 503, workers
are replaced, the server stops at once when idle and says plainly when its port is taken.

Behaviour, not speed: the timeouts here are generous (the point is answered versus blocked); the
latencies are bench/'s to measure.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from clastordf.server.front import REUSE, Front, FrontSettings, Memo

from .conftest import REPO

CLI = Path(sys.executable).parent / "clastordf"


# --- the front in process: an ASGI harness ---------------------------------------------------------


def hello(environ, start_response):
    body = b"read %d bytes\n" % len(environ["wsgi.input"].read())
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


async def call(front: Front, path: str = "/", parts: list[bytes] | None = None, headers=(), hang: bool = False):
    """Status, headers and body of ``front``'s answer to a request whose body arrives as ``parts`` (then,
    with ``hang``, nothing more: a client that stopped sending)."""
    messages = [{"type": "http.request", "body": part, "more_body": True} for part in parts or []]
    if not hang:
        messages.append({"type": "http.request", "body": b"", "more_body": False})

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # a client that sends nothing more and stays

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST" if parts else "GET", "path": path, "raw_path": path.encode()}
    scope |= {"query_string": b"", "headers": list(headers), "client": ("127.0.0.1", 1), "server": ("h", 80)}
    await front(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


def test_the_front_answers_through_the_wsgi_app():
    front = Front(lambda: hello)
    status, _, body = asyncio.run(call(front, parts=[b"abc", b"de"]))
    assert status == 200 and body == b"read 5 bytes\n"
    front.close()


class Counting:
    """A WSGI app that counts its calls and marks the answers under ``/same`` reusable."""

    def __init__(self, status: str = "200 OK") -> None:
        self.calls = 0
        self.status = status

    def __call__(self, environ, start_response):
        self.calls += 1
        if environ["PATH_INFO"].startswith("/same"):
            environ[REUSE] = True
        body = b"%s for %s\n" % (environ["PATH_INFO"].encode(), environ.get("HTTP_ACCEPT", "").encode())
        start_response(self.status, [("Content-Type", "text/plain"), ("ETag", '"v1"')])
        return [body]


def test_a_repeat_of_a_reusable_answer_is_answered_without_the_app():
    app = Counting()
    front = Front(lambda: app)
    first = asyncio.run(call(front, "/same", headers=[(b"accept", b"text/plain")]))
    again = asyncio.run(call(front, "/same", headers=[(b"accept", b"text/plain"), (b"user-agent", b"x")]))
    assert first == again and app.calls == 1
    # What the answer may depend on is in the key: another Accept, another host, another path.
    asyncio.run(call(front, "/same", headers=[(b"accept", b"text/html")]))
    asyncio.run(call(front, "/same", headers=[(b"accept", b"text/plain"), (b"host", b"other")]))
    asyncio.run(call(front, "/same2", headers=[(b"accept", b"text/plain")]))
    assert app.calls == 4
    status, headers, body = asyncio.run(
        call(front, "/same", headers=[(b"accept", b"text/plain"), (b"if-none-match", b'"v1"')])
    )
    assert status == 304 and body == b"" and headers[b"etag"] == b'"v1"' and app.calls == 4
    front.close()


def test_only_reusable_whole_get_answers_are_kept():
    app = Counting()
    front = Front(lambda: app)
    for _ in range(2):
        asyncio.run(call(front, "/other"))  # not marked by the app
        asyncio.run(call(front, "/same", parts=[b"body"]))  # not a GET
        asyncio.run(call(front, "/same", headers=[(b"range", b"bytes=0-1")]))  # a header the front leaves to the app
    assert app.calls == 6
    failing = Counting("404 NOT FOUND")
    front = Front(lambda: failing)
    asyncio.run(call(front, "/same"))
    asyncio.run(call(front, "/same"))
    assert failing.calls == 2  # only 200 answers are kept
    off = Counting()
    front = Front(lambda: off, FrontSettings(memo_bytes=0))
    asyncio.run(call(front, "/same"))
    asyncio.run(call(front, "/same"))
    assert off.calls == 2 and front.memo is None


def test_the_kept_answers_stay_within_their_budget():
    memo = Memo(100_000)
    for n in range(1000):
        memo.put(("/", b"/q%d" % n), [(b"content-type", b"text/plain")], b"x" * 1000)
    assert memo.size <= 100_000 and 50 <= len(memo) < 100
    assert memo.get(("/", b"/q999")) is not None and memo.get(("/", b"/q0")) is None  # oldest out first
    assert not memo.put(("/", b"/big"), [], b"x" * 20_000)  # over an eighth of the budget


def test_a_body_that_stops_arriving_is_answered_408_and_holds_no_thread():
    front = Front(lambda: hello, FrontSettings(page_threads=1, body_timeout=2.0))

    async def both():
        dribbling = asyncio.create_task(call(front, parts=[b"SELE"], hang=True))
        await asyncio.sleep(0.2)
        # The only thread is free: the dribbled body is read without one.
        other = await asyncio.wait_for(call(front), 1.5)
        assert not dribbling.done()
        return other, await dribbling

    (status, _, _), (late, headers, body) = asyncio.run(both())
    assert status == 200
    assert late == 408 and headers[b"connection"] == b"close" and b"did not arrive within 2 s" in body
    front.close()


def test_a_body_over_the_limit_is_413_read_or_announced():
    front = Front(lambda: hello, FrontSettings(max_body=10))
    status, headers, body = asyncio.run(call(front, parts=[b"x" * 6, b"y" * 6]))
    assert status == 413 and b"limit of 10 bytes" in body and headers[b"connection"] == b"close"
    status, _, _ = asyncio.run(call(front, parts=[b"x"], headers=[(b"content-length", b"1000")], hang=True))
    assert status == 413  # refused on the announced length, before reading
    front.close()


def test_a_full_lane_answers_503_with_retry_after_and_pages_do_not_wait_for_queries():
    release = threading.Event()

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/sparql":
            release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"done\n"]

    front = Front(lambda: app, FrontSettings(page_threads=1, query_threads=1, queue=0))

    async def scenario():
        held = asyncio.create_task(call(front, "/sparql"))
        await asyncio.sleep(0.2)
        refused = await asyncio.wait_for(call(front, "/sparql"), 2)
        page = await asyncio.wait_for(call(front, "/fact/CF0200"), 2)
        release.set()
        return refused, page, await held

    (refused, headers, _), (page, _, _), (held, _, _) = asyncio.run(scenario())
    assert refused == 503 and headers[b"retry-after"] == b"1"
    assert page == 200 and held == 200
    front.close()


# --- the real server ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(build_dir: Path, port: int, **env: str) -> subprocess.Popen:
    """``clastordf serve`` on ``port``, one worker, answering ``/health`` (its output is kept)."""
    proc = subprocess.Popen(
        [str(CLI), "--project", str(REPO), "serve", "--no-build", "--build-dir", str(build_dir)]
        + ["--port", str(port), "--workers", "1"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:  # noqa: S310 - local
                json.load(response)
                return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_server(proc)
            pytest.fail(f"clastordf serve did not come up:\n{proc.communicate()[0].decode()[-3000:]}")
        time.sleep(0.2)


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(20)


@pytest.fixture(scope="module")
def running(real_build_dir: Path) -> Iterator[tuple[int, subprocess.Popen]]:
    """A server with 1 s header and body timeouts: its port and process."""
    port = free_port()
    proc = start_server(real_build_dir, port, CLASTORDF_HEADER_TIMEOUT="1", CLASTORDF_BODY_TIMEOUT="1")
    yield port, proc
    stop_server(proc)


@pytest.fixture
def server(running) -> int:
    return running[0]


@pytest.fixture
def server_main(running) -> int:
    """The server's main process (the command line became granian's supervisor)."""
    return running[1].pid


def get(port: int, path: str, timeout: float = 5.0) -> int:
    with urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:  # noqa: S310 - local
        response.read()
        return response.status


def test_slow_clients_do_not_block_health_pages_or_queries(server):
    slow = []
    try:
        for _ in range(64):
            half_line = socket.create_connection(("127.0.0.1", server))
            half_line.sendall(b"GET /health HT")  # and never the rest
            dribble = socket.create_connection(("127.0.0.1", server))
            dribble.sendall(
                b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                b"Content-Length: 500\r\n\r\nSELECT"  # and never the other 494 bytes
            )
            slow += [half_line, dribble]
        assert get(server, "/health") == 200
        assert get(server, "/fact/CF0200") == 200
        query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o } # slow clients"})
        assert get(server, f"/sparql?{query}") == 200
    finally:
        for sock in slow:
            sock.close()


def test_the_header_timeout_closes_a_connection_that_dribbles_its_headers(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.settimeout(0.2)
        sock.sendall(b"GET /health HTTP/1.1\r\nX-Slow: ")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                sock.sendall(b"x")  # a byte at a time does not restart the clock
                if sock.recv(1024) == b"":
                    return
            except TimeoutError:
                continue
            except OSError:  # reset: closed as well
                return
        pytest.fail("the connection was still open 10 s after a 1 s header timeout")


def test_the_body_timeout_answers_408(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.settimeout(10)
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n")
        sock.sendall(b"Content-Length: 100\r\n\r\nASK")
        assert sock.recv(1024).startswith(b"HTTP/1.1 408")


def workers_of(main: int) -> set[int]:
    """The worker processes of the server whose main process is ``main``."""
    found = subprocess.run(["pgrep", "-P", str(main)], capture_output=True, text=True).stdout.split()
    return {int(pid) for pid in found}


def test_a_killed_worker_is_replaced(server, server_main):
    (worker,) = workers_of(server_main)
    os.kill(worker, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:
        try:
            replaced = workers_of(server_main) - {worker}
            if replaced and get(server, "/health", timeout=2) == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "the server did not answer again after its worker was killed"
        time.sleep(0.2)


def test_a_second_server_on_a_taken_port_says_so_plainly(server):
    done = subprocess.run(
        [str(CLI), "--project", str(REPO), "serve", "--no-build", "--port", str(server)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"port {server} is in use (another clastordf serve?)" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_a_stopping_server_finishes_its_requests_and_frees_the_port_at_once(real_build_dir):
    """On SIGTERM the server stops listening at once (a new one can start on the port: no "Connection
    in use") and answers the requests in progress before it exits; idle, it exits at once."""
    port = free_port()
    proc = start_server(real_build_dir, port, CLASTORDF_QUERY_TIMEOUT="8")  # grace: 8 + 5 = 13 s
    successor = None
    try:
        slow = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"})
        answers: list[str] = []

        def ask_slow() -> None:
            try:
                answers.append(str(get(port, f"/sparql?{slow}", timeout=30)))
            except HTTPError as e:
                answers.append(f"{e.code} {e.read().decode()}")

        thread = threading.Thread(target=ask_slow)
        thread.start()
        time.sleep(1.5)  # the query runs
        os.killpg(proc.pid, signal.SIGTERM)
        successor = start_server(real_build_dir, port)  # while the first one still finishes its request
        thread.join()
        # The request in progress was answered (at the time limit), not cut.
        assert len(answers) == 1 and answers[0].startswith("503 the query was stopped at the time limit")
        proc.wait(20)
        assert proc.returncode == 0
    finally:
        stop_server(proc)
        if successor is not None:
            stop_server(successor)
    # Idle, it stops at once: well within the grace.
    proc = start_server(real_build_dir, port, CLASTORDF_QUERY_TIMEOUT="8")
    try:
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        assert time.monotonic() - started < 5, "an idle server took the grace period to stop"
        assert proc.returncode == 0
    finally:
        stop_server(proc)


def test_a_worker_whose_main_process_is_killed_stops(tmp_path):
    """``kill -9`` of the server's main process reaches no worker: each notices it was orphaned, lets
    its app go (executors included) and exits."""
    marker, ready = tmp_path / "closed", tmp_path / "ready"
    worker = (
        "import time; from clastordf.server.run import watch_parent; "
        f"watch_parent(lambda: open({str(marker)!r}, 'w').write('closed'), interval=0.1); "
        f"open({str(ready)!r}, 'w').close(); time.sleep(60)"
    )
    # The 'main process' starts the worker, waits until it watches, says its pid and dies at once.
    main = (
        "import os, subprocess, sys, time; "
        f"p = subprocess.Popen([sys.executable, '-c', {worker!r}], stdout=subprocess.DEVNULL); "
        f"[time.sleep(0.05) for _ in range(600) if not os.path.exists({str(ready)!r})]; print(p.pid)"
    )
    out = subprocess.run([sys.executable, "-c", main], capture_output=True, text=True, check=True, timeout=60)
    pid = int(out.stdout.strip())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.1)
    alive = Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    if alive:
        os.kill(pid, signal.SIGKILL)
    assert ready.exists()
    assert not alive, "the orphaned worker kept running"
    assert marker.read_text() == "closed"


def test_connections_are_accepted_with_nagle_off():
    """An answer's head and body are separate writes: with Nagle's algorithm the body waited for the
    client's delayed ACK (40 ms on loopback). The listening socket's TCP_NODELAY is inherited."""
    from clastordf.server.run import listen

    server = listen("127.0.0.1", 0)
    try:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        with client, accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        server.close()
