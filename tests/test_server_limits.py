"""What keeps expensive SPARQL queries from taking the endpoint from others: admission per worker and
per client (:mod:`clastordf.server.admission`), and the executors' limits (niceness, memory cap, long
queries, a spare; :mod:`clastordf.server.executor`). Behaviour, not speed: the timing is bench/'s."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from flask import Flask

from clastordf.server import create_app, sparql
from clastordf.server.config import ServerConfig
from clastordf.server.executor import ExecutorLimits, ExecutorPool, Job

SRJ = "application/sparql-results+json"
THREE = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 3"
#: Runs for seconds, in little memory.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: Sorts a cross product of the data with itself: gigabytes within seconds, unless capped.
GREEDY = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } ORDER BY ?o ?c"


@pytest.fixture
def make_app(server_config: ServerConfig) -> Iterator[Callable[..., Flask]]:
    """Apps over the real build with some settings changed; their executors are stopped afterwards."""
    made: list[Flask] = []

    def make(**changes: object) -> Flask:
        made.append(create_app(replace(server_config, **changes)))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for app in made:
        pool = app.extensions.get(sparql.EXECUTOR_KEY)
        if pool is not None:
            pool.close()


def ask(app: Flask, query: str, client: str = "127.0.0.1"):
    """The endpoint's answer to ``query`` from the client at ``client``."""
    return app.test_client().get(
        "/sparql", query_string={"query": query}, headers={"Accept": SRJ}, environ_base={"REMOTE_ADDR": client}
    )


def in_background(app: Flask, query: str, client: str) -> tuple[threading.Thread, list]:
    answers: list = []
    thread = threading.Thread(target=lambda: answers.append(ask(app, query, client)))
    thread.start()
    return thread, answers


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)


def test_a_client_over_its_limit_gets_429_with_retry_after(make_app):
    app = make_app(client_queries=1, query_timeout=2.0)
    thread, answers = in_background(app, SLOW, "127.0.0.5")
    try:
        wait_for(lambda: sparql.ADMISSION_KEY in app.extensions and app.extensions[sparql.ADMISSION_KEY].in_flight)
        second = ask(app, THREE + " # again", "127.0.0.5")
        assert second.status_code == 429
        assert int(second.headers["Retry-After"]) >= 1
        assert "already has 1 SPARQL query running" in second.get_data(as_text=True)
        assert ask(app, THREE + " # another client", "127.0.0.6").status_code == 200
    finally:
        thread.join()
    assert answers[0].status_code == 503  # the slow one reached the time limit


def test_a_full_worker_answers_503_with_retry_after_at_once(make_app):
    app = make_app(query_slots=1, query_timeout=2.0)
    assert ask(app, THREE, "127.0.0.8").status_code == 200
    thread, _ = in_background(app, SLOW, "127.0.0.7")
    try:
        wait_for(lambda: sparql.ADMISSION_KEY in app.extensions and app.extensions[sparql.ADMISSION_KEY].in_flight)
        started = time.monotonic()
        refused = ask(app, THREE + " # while the slot is taken", "127.0.0.8")
        assert refused.status_code == 503 and refused.headers["Retry-After"].isdigit()
        assert "as many SPARQL queries as it can" in refused.get_data(as_text=True)
        assert time.monotonic() - started < 2.0, "refused without waiting for the slot"
        assert ask(app, THREE, "127.0.0.8").status_code == 200  # a cached answer needs no slot
    finally:
        thread.join()


def test_executors_run_at_a_lower_cpu_priority(make_app):
    app = make_app(executor_nice=7)
    assert ask(app, THREE + " # niceness").status_code == 200
    pool = app.extensions[sparql.EXECUTOR_KEY]
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert {os.getpriority(os.PRIO_PROCESS, pid) for pid in pool.pids()} == {min(19, ours + 7)}


def test_a_query_over_the_memory_cap_is_a_clear_503_and_the_next_query_works(make_app):
    app = make_app(executor_memory=200, query_timeout=5.0)
    assert ask(app, THREE + " # warm up").status_code == 200
    pool = app.extensions[sparql.EXECUTOR_KEY]
    before = set(pool.pids())
    greedy = ask(app, GREEDY, "127.0.0.9")
    assert greedy.status_code == 503
    message = greedy.get_data(as_text=True)
    assert "200 MiB" in message and "memory" in message and "Traceback" not in message
    assert greedy.headers["Retry-After"].isdigit()
    assert set(pool.pids()) != before, "the executor that hit the cap was replaced"
    assert ask(app, THREE + " # after the cap", "127.0.0.10").status_code == 200
    paused = ask(app, THREE + " # the same client again", "127.0.0.9")
    assert paused.status_code == 429 and paused.headers["Retry-After"].isdigit()


def test_an_executor_killed_from_outside_is_not_blamed_on_the_query(make_app):
    """A SIGKILL (an operator, the kernel) is not the memory cap: the query is told its executor was
    killed, and its client is not paused."""
    app = make_app(query_timeout=8.0)
    assert ask(app, THREE + " # warm up").status_code == 200
    pool = app.extensions[sparql.EXECUTOR_KEY]
    # The executor running the query is the one whose CPU time grows (opening the store cost the others
    # some already).
    before = {pid: _cpu_ticks(pid) for pid in pool.pids() if pid is not None}
    thread, answers = in_background(app, SLOW, "127.0.0.21")

    def busy() -> list[int]:
        return [pid for pid, ticks in before.items() if _cpu_ticks(pid) - ticks > 20]

    wait_for(lambda: bool(busy()))
    for pid in busy():
        os.kill(pid, signal.SIGKILL)
    thread.join(20)
    assert answers and answers[0].status_code == 503
    message = answers[0].get_data(as_text=True)
    assert "killed" in message and "memory" not in message
    assert ask(app, THREE + " # the same client again", "127.0.0.21").status_code == 200


def _cpu_ticks(pid: int) -> int:
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return 0
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def test_the_memory_cap_is_the_executors_share_of_the_budget(make_app):
    app = make_app(memory_budget=4096, workers=2, executors=3)
    assert ask(app, THREE + " # budget").status_code == 200
    pool = app.extensions[sparql.EXECUTOR_KEY]
    share = (4096 - 128 - 2 * 320) // 6
    assert pool.limits.memory_mib == share
    for pid in pool.pids():
        with open(f"/proc/{pid}/limits", encoding="ascii") as limits:
            line = next(row for row in limits if row.startswith("Max data size"))
        assert line.split()[3] == str(share * 2**20)


def test_a_second_long_query_is_stopped_so_short_ones_keep_an_executor(make_app):
    app = make_app(executors=2, executor_reserve=1, long_query=0.3, query_timeout=3.0)
    assert ask(app, THREE + " # warm up").status_code == 200
    first, first_answer = in_background(app, SLOW + " # first", "127.0.0.11")
    second, second_answer = in_background(app, SLOW + " # second", "127.0.0.12")
    try:
        wait_for(lambda: len(first_answer) + len(second_answer) == 1)
        stopped = (first_answer or second_answer)[0]
        assert stopped.status_code == 503 and stopped.headers["Retry-After"].isdigit()
        assert "as many long queries as it can" in stopped.get_data(as_text=True)
        assert ask(app, THREE + " # a short one meanwhile", "127.0.0.13").status_code == 200
        client = "127.0.0.11" if first_answer else "127.0.0.12"
        assert ask(app, THREE + " # the stopped client", client).status_code == 429
    finally:
        first.join()
        second.join()


def test_the_pool_reports_its_executors_memory(real_build_dir):
    from clastordf.server.store import prepare_store

    store = prepare_store(real_build_dir, real_build_dir / "oxigraph")
    pool = ExecutorPool(store, 2, limits=ExecutorLimits(memory_mib=300))
    try:
        pool.run(Job(THREE, SRJ, None, 10), 10)
        memory = pool.memory()
        assert memory.processes == 3  # two executors and the spare
        assert memory.rss_bytes > 0 and memory.limit_bytes == 300 * 2**20
    finally:
        pool.close()
    assert not any(pool.alive())


#: What an executor process must never import: the web app, the command line, the pipeline's libraries.
HEAVY = ("flask", "werkzeug", "jinja2", "rdflib", "owlready2", "pyparsing", "granian", "multiprocessing", "logging")


def test_an_executor_imports_only_the_engine_and_pyoxigraph(real_build_dir):
    """The process the pool starts (its very command), asked after it answered a query what it holds."""
    import socket
    import subprocess
    import sys
    from multiprocessing.connection import Connection

    from clastordf.server.executor import CHILD_CODE
    from clastordf.server.store import prepare_store

    store = prepare_store(real_build_dir, real_build_dir / "oxigraph")
    ours, theirs = socket.socketpair()
    # Once main returns (the socket says "no more jobs"), the process prints the modules it imported.
    code = CHILD_CODE + "; print(' '.join(sorted(sys.modules)))"
    args = [str(theirs.fileno()), str(store), "0", str(os.getpid()), "0", "0"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], pass_fds=(theirs.fileno(),), stdout=subprocess.PIPE, env=env, text=True
    )
    theirs.close()
    conn = Connection(ours.detach())
    try:
        assert conn.recv()[0] == "ready"
        conn.send(Job(THREE, "text/csv", None, 10))
        assert conn.recv()[:2] == ("ok", "text/csv")
        assert conn.recv_bytes().startswith(b"s,p,o\r\n")
        conn.send(None)
        out, _ = proc.communicate(timeout=30)
    finally:
        conn.close()
        proc.kill()
        proc.wait()
    modules = set(out.split())
    assert "pyoxigraph" in modules
    ours_ = {m for m in modules if m.split(".")[0] == "clastordf"}
    assert ours_ == {"clastordf", "clastordf.server", "clastordf.server.engine", "clastordf.server.executor_process"}
    assert not {m for m in modules if m.split(".")[0] in HEAVY}


def test_the_pool_waits_until_its_executors_opened_the_store(real_build_dir):
    from clastordf.server.store import prepare_store

    store = prepare_store(real_build_dir, real_build_dir / "oxigraph")
    pool = ExecutorPool(store, 2)
    try:
        assert pool.wait_ready(30)
        assert all(isolated is not None for isolated in pool.isolated())  # each said it was ready
        started = time.perf_counter()
        pool.run(Job(THREE, SRJ, None, 10), 10)
        assert time.perf_counter() - started < 1.0  # no store to open: on a quiet machine a few ms
    finally:
        pool.close()


def test_a_worker_serves_only_once_its_executors_are_ready(server_config):
    from clastordf.server.run import close_app, start_app

    app = start_app(server_config)
    try:
        pool = app.extensions[sparql.EXECUTOR_KEY]
        assert all(isolated is not None for isolated in pool.isolated())
    finally:
        close_app(app)
