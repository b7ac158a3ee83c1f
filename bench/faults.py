"""Fault bench for clastordf (issue 16): kill or break one part, and see what the user gets.

Usage:
    python bench/faults.py [--build-dir build] [--only worker,executor,build,release,store,backend,master]
                           [--keep]

Every fault works on copies in a temporary folder (never on the repository's ``build/``) and prints one
row: the fault, what should happen, what did, and a verdict.

* ``worker``: kill -9 a server worker while queries run: which requests in flight fail and how, is the
  worker replaced, do its query executors exit, does the server answer afterwards;
* ``executor``: kill -9 the query executor running a query: that query's answer, the next query's;
* ``build``: kill -9 ``clastordf build`` while it writes its files (and at two moments before): is the
  previous build still whole and unmixed, and does the next build publish and clean up;
* ``release``: kill -9 ``clastordf release --force`` while it builds, while it verifies, and (if the
  polling catches the moment) between moving the old release aside and renaming the new one in: is
  ``release/VERSION`` always one whole release that matches its ``SHA256SUMS``;
* ``store``: overwrite 4 KiB in the middle of one file of the on-disk store (each SST file in turn,
  then the MANIFEST) and start the server: a server that says healthy must not answer pages with 5xx;
* ``backend``: ``serve --backend`` on an ``oxigraph serve-read-only`` (the ``oxigraph`` CLI, skipped if
  absent): stop the backend while serving, then start it again; and a deeply nested query sent through
  the front-end, which must not reach and crash the backend;
* ``master``: kill -9 the server's main process: nothing of the server may keep running.

The "old" build and release are made with another ``SOURCE_DATE_EPOCH`` than the new ones, so their
files differ (the dataset's modification date) and a mix of old and new files shows. Markdown on
standard output, JSON in ``bench/out/faults.json``. Every process started here is stopped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from abuse import (  # noqa: E402 -- the bench folder is no package
    BIN,
    JSON_RESULTS,
    OUT,
    REPO,
    RUNAWAY_QUERY,
    Reply,
    ServerProcess,
    Target,
    free_port,
    nested_braces,
    process_table,
    process_tree,
    request,
    sparql_post,
    start_server,
)

BASE = "https://w3id.org/clastordf/"
#: The date the "old" build and release carry (2023-11-14), so that they differ from the new ones.
OLD_EPOCH = "1700000000"
FAULTS = ("worker", "executor", "build", "release", "store", "backend", "master")


@dataclass
class Row:
    fault: str
    expected: str
    observed: str
    verdict: str  # "ok", "FAIL" or "skipped"
    details: dict[str, Any] = field(default_factory=dict)


# --- processes ----------------------------------------------------------------------------------


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def children(pid: int) -> list[int]:
    return sorted(p for p, parent in process_table().items() if parent == pid)


def executors_of(worker: int) -> list[int]:
    """A worker's query executors: multiprocessing ``spawn`` children (the gunicorn server's; not its
    resource tracker), or ``python -c`` children running the executor module (the granian server's)."""
    return [p for p in children(worker) if "spawn_main" in cmdline(p) or "executor" in cmdline(p)]


def cpu_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def kill9(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> float | None:
    """Seconds until ``condition()`` holds, or None after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return round(time.monotonic() - start, 2)
        time.sleep(step)
    return None


def clastordf(*args: str) -> list[str]:
    return [str(BIN / "clastordf"), *args]


def environment(epoch: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)
    if epoch:
        env["SOURCE_DATE_EPOCH"] = epoch
    return env


# --- files --------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_build(src: Path, dest: Path) -> Path:
    """A copy of a build folder as it is published (links kept), without its store and releases."""
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns("oxigraph", "release"))
    return dest


def build_state(out: Path) -> dict[str, Any]:
    """What a reader of ``out`` finds: each ``clastordf*`` name, the file it resolves to and its hash,
    the folder ``.current`` names, and the folders of ``.outputs``."""
    current = os.readlink(out / ".current") if (out / ".current").is_symlink() else None
    files, dangling, folders = {}, [], set()
    for path in sorted(out.glob("clastordf*")):
        if not path.exists():
            dangling.append(path.name)
            continue
        real = path.resolve()
        folders.add(str(real.parent.relative_to(out.resolve())) if real.is_relative_to(out.resolve()) else "?")
        files[path.name] = sha256(real)
    sets = sorted(p.name for p in (out / ".outputs").iterdir()) if (out / ".outputs").is_dir() else []
    return {"current": current, "files": files, "dangling": dangling, "folders": sorted(folders), "sets": sets}


def classify(files: dict[str, str], old: dict[str, str], new: dict[str, str]) -> Counter:
    """How many of ``files`` are the old build's, the new one's, either (the same in both) or neither."""
    kinds: Counter = Counter()
    for name, digest in files.items():
        is_old, is_new = old.get(name) == digest, new.get(name) == digest
        kinds["either" if is_old and is_new else "old" if is_old else "new" if is_new else "neither"] += 1
    missing = len(set(old) - set(files))
    if missing:
        kinds["old missing"] += missing
    return kinds


def check_sums(folder: Path) -> list[str]:
    """Problems of a release folder against its ``SHA256SUMS``: missing, changed or unlisted files."""
    sums = folder / "SHA256SUMS"
    if not sums.exists():
        return ["no SHA256SUMS"]
    listed = {}
    for line in sums.read_text().splitlines():
        digest, _, name = line.partition("  ")
        listed[name.strip()] = digest.strip()
    problems = []
    for name, digest in listed.items():
        path = folder / name
        if not path.exists():
            problems.append(f"{name} missing")
        elif sha256(path) != digest:
            problems.append(f"{name} differs from SHA256SUMS")
    for path in folder.iterdir():
        if path.name != "SHA256SUMS" and path.name not in listed:
            problems.append(f"{path.name} not listed")
    return problems


# --- server helpers -----------------------------------------------------------------------------


class Stack:
    """Processes and servers to stop when a fault ends, whatever happens."""

    def __init__(self) -> None:
        self.servers: list[ServerProcess] = []
        self.processes: list[subprocess.Popen] = []

    def server(self, build_dir: Path, log: Path, extra: list[str] | None = None) -> tuple[ServerProcess, Target]:
        target = Target("127.0.0.1", free_port())
        server = start_server(build_dir, target.port, log, extra)
        self.servers.append(server)
        return server, target

    def popen(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
        with log.open("ab") as fh:
            proc = subprocess.Popen(
                args, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True, env=env
            )
        self.processes.append(proc)
        return proc

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        for proc in self.processes:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)


def point_query(target: Target, fact: str = "CF0320", timeout: float = 15.0) -> Reply:
    query = f"ASK {{ <{BASE}fact/{fact}> ?p ?o }}\n# faults {time.time()}"
    return request(
        target,
        "GET",
        "/sparql?" + urllib.parse.urlencode({"query": query}),
        [("Accept", JSON_RESULTS)],
        timeout=timeout,
    )


def status(reply: Reply) -> str:
    return str(reply.status) if reply.status is not None else (reply.error or "?").split(":")[0]


def checks(target: Target, pages: tuple[str, ...] = ("/fact/CF0320",)) -> dict[str, str]:
    """/health, the given pages and a fresh point query: status of each."""
    out = {"/health": status(request(target, "GET", "/health", timeout=15))}
    for page in pages:
        out[page] = status(request(target, "GET", page, [("Accept", "text/html")], timeout=15))
    out["point query"] = status(point_query(target))
    return out


def summary(found: dict[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in found.items())


def in_flight(
    target: Target, n: int, results: list[tuple[str, float]], timeout: float = 60.0
) -> list[threading.Thread]:
    """``n`` runaway queries, each from its own address, running until the time limit."""

    def one(i: int) -> None:
        headers, body = sparql_post(f"{RUNAWAY_QUERY}\n# fault {i} {time.time()}")
        reply = request(target, "POST", "/sparql", headers, body, source=(f"127.0.0.{20 + i}", 0), timeout=timeout)
        results.append((status(reply), round(reply.elapsed, 1)))

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    return threads


# --- faults -------------------------------------------------------------------------------------


def fault_worker(tmp: Path, build: Path, stack: Stack) -> list[Row]:
    server, target = stack.server(copy_build(build, tmp / "build"), tmp / "server.log")
    server.wait_healthy(target)
    for _ in range(8):  # start executors in both workers
        point_query(target, timeout=30)
    workers = children(server.pid)
    results: list[tuple[str, float]] = []
    health: list[tuple[float, str]] = []
    stop = threading.Event()

    def probe() -> None:
        while not stop.is_set():
            reply = request(target, "GET", "/health", timeout=3, source=("127.0.0.2", 0))
            health.append((time.monotonic(), status(reply)))
            stop.wait(0.1)

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    threads = in_flight(target, 4, results)
    time.sleep(2.0)
    victim = workers[0]
    victim_executors = executors_of(victim)
    killed_at = time.monotonic()
    kill9(victim)
    replaced = wait_for(lambda: bool(set(children(server.pid)) - set(workers)), 60, step=0.01)
    gone = wait_for(lambda: not any(alive(p) for p in victim_executors), 20, step=0.05)
    executors_gone = round(time.monotonic() - killed_at, 2) if gone is not None else None
    for t in threads:
        t.join(timeout=70)
    time.sleep(1.0)
    stop.set()
    prober.join(timeout=5)
    after = checks(target)
    failed_probes = Counter(s for t, s in health if t >= killed_at and s != "200")
    lost = [r for r in results if not r[0].isdigit()]
    ok = replaced is not None and executors_gone is not None and all(v == "200" for v in after.values())
    observed = (
        f"{len(lost)} of 4 queries in flight got no answer ({', '.join(sorted({r[0] for r in lost})) or '–'}), the "
        f"others {', '.join(sorted({r[0] for r in results if r[0].isdigit()})) or '–'}; "
        f"a new worker after {replaced if replaced is not None else '> 60'} s; the killed worker's "
        f"{len(victim_executors)} executors exited after {executors_gone if executors_gone is not None else '> 20'} s; "
        f"/health probe after the kill: {dict(failed_probes) or 'no failure'}; then {summary(after)}"
    )
    return [
        Row(
            "kill -9 a web worker (4 runaway queries running)",
            "its requests in flight fail (connection closed); a new worker within seconds; its executors exit; "
            "the other worker keeps answering; afterwards everything answers",
            observed,
            "ok" if ok else "FAIL",
            {"results": results, "replaced_s": replaced, "executors_gone_s": executors_gone, "after": after},
        )
    ]


def fault_executor(tmp: Path, build: Path, stack: Stack) -> list[Row]:
    server, target = stack.server(copy_build(build, tmp / "build"), tmp / "server.log")
    server.wait_healthy(target)
    for _ in range(8):
        point_query(target, timeout=30)
    results: list[tuple[str, float]] = []
    answer: dict[str, Any] = {}

    def run() -> None:
        headers, body = sparql_post(f"{RUNAWAY_QUERY}\n# executor fault {time.time()}")
        reply = request(target, "POST", "/sparql", headers, body, timeout=60)
        answer.update(
            status=status(reply), at=time.monotonic(), body=reply.body[:200].decode("utf-8", "replace").strip()
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(1.5)
    executors = [e for w in children(server.pid) for e in executors_of(w)]
    before = {e: cpu_ticks(e) for e in executors}
    time.sleep(0.5)
    busy = max(executors, key=lambda e: cpu_ticks(e) - before[e]) if executors else None
    if busy is None:
        return [Row("kill -9 a query executor", "", "no executor process found", "FAIL")]
    killed_at = time.monotonic()
    kill9(busy)
    thread.join(timeout=60)
    waited = round(answer["at"] - killed_at, 2) if "at" in answer else None
    nxt = point_query(target)
    more = Counter(status(point_query(target)) for _ in range(6))
    page = request(target, "GET", "/fact/CF0100", timeout=15)
    results.append((answer.get("status", "none"), waited or 0))
    ok = (
        waited is not None
        and waited < 3
        and answer["status"].startswith("5")
        and nxt.status == 200
        and set(more) == {"200"}
    )
    observed = (
        f"the query answered {answer.get('status', 'nothing')} {waited if waited is not None else '> 60'} s after "
        f'the kill ("{answer.get("body", "")[:100]}"); the next query {status(nxt)} in {nxt.elapsed * 1000:.0f} ms; '
        f"6 more: {dict(more)}; a page: {status(page)}"
    )
    return [
        Row(
            "kill -9 the executor running a query",
            "that query answers 5xx at once, saying its executor stopped; the next query is answered (a new executor)",
            observed,
            "ok" if ok else "FAIL",
            {"answer": answer, "next_ms": round(nxt.elapsed * 1000), "more": dict(more)},
        )
    ]


def _newest_set(out: Path, known: set[str], min_files: int) -> bool:
    sets = out / ".outputs"
    with suppress(OSError):
        for entry in os.scandir(sets):
            if entry.name not in known and entry.is_dir() and len(os.listdir(entry.path)) >= min_files:
                return True
    return False


def fault_build(tmp: Path, build: Path, stack: Stack) -> list[Row]:
    pristine = tmp / "old"
    started = time.monotonic()
    subprocess.run(
        clastordf("build", "--out", str(pristine)),
        cwd=REPO,
        env=environment(OLD_EPOCH),
        check=True,
        capture_output=True,
    )
    build_s = time.monotonic() - started
    old = build_state(pristine)
    attempts = []
    for n, (moment, when) in enumerate([("while writing its files", None), ("early", 0.25), ("midway", 0.6)]):
        work = tmp / f"attempt-{n}"
        shutil.copytree(pristine, work, symlinks=True)
        known = set(old["sets"])
        proc = stack.popen(clastordf("build", "--out", str(work)), tmp / f"build-{n}.log", environment(None))
        if when is None:
            # The new set's folder with a couple of files in it: the build is writing (well under a second).
            wait_for(lambda w=work, k=known, p=proc: _newest_set(w, k, 2) or p.poll() is not None, 120, step=0.0005)
        else:
            wait_for(lambda p=proc: p.poll() is not None, build_s * when, step=0.01)
        finished_first = proc.poll() is not None
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        attempts.append((moment, work, finished_first, build_state(work)))
    # The next build, to the end, on the last killed folder: it must publish and clean up.
    last = attempts[-1][1]
    done = subprocess.run(clastordf("build", "--out", str(last)), cwd=REPO, env=environment(None), capture_output=True)
    new = build_state(last)
    rows = []
    for moment, _work, finished_first, state in attempts:
        kinds = classify(state["files"], old["files"], new["files"])
        mixed = (kinds["old"] and kinds["new"]) or kinds["neither"] or state["dangling"] or len(state["folders"]) > 1
        which = "the previous build" if state["current"] == old["current"] else "a new build"
        leftovers = [s for s in state["sets"] if f".outputs/{s}" != state["current"] and s not in old["sets"]]
        observed = (
            f"{'the build finished before the kill; ' if finished_first else ''}build/ reads as {which}: "
            f"{len(state['files'])} files ({dict(kinds)}), links into {state['folders']}"
            f"{', dangling ' + ', '.join(state['dangling']) if state['dangling'] else ''}; "
            f"{len(leftovers)} unpublished set(s) left in .outputs"
        )
        rows.append(
            Row(
                f"kill -9 `clastordf build` {moment}",
                "build/ is the previous build, whole (every file as before) or, once switched, the new one whole; "
                "never a mix",
                observed,
                "FAIL" if mixed else "ok",
                {"kinds": dict(kinds), "state": state},
            )
        )
    leftovers = [s for s in new["sets"] if f".outputs/{s}" != new["current"]]
    kinds = classify(new["files"], old["files"], new["files"])
    ok = done.returncode == 0 and len(leftovers) <= 1 and not new["dangling"]
    rows.append(
        Row(
            "the next `clastordf build` after the kills",
            "publishes the new build and removes the folders killed builds left (keeps the previous set)",
            f"exit {done.returncode}; {len(new['files'])} files, {dict(kinds)}; .outputs holds the current set and "
            f"{len(leftovers)} other",
            "ok" if ok else "FAIL",
            {"state": new},
        )
    )
    return rows


def _release_state(root: Path, version: str, old_sums: str) -> tuple[str, list[str], list[str]]:
    target = root / version
    leftovers = sorted(p.name for p in root.glob(".release-*"))
    if not target.is_dir():
        return "absent", [], leftovers
    problems = check_sums(target)
    which = "the old release" if sha256(target / "SHA256SUMS") == old_sums else "a new release"
    return which, problems, leftovers


def fault_release(tmp: Path, build: Path, stack: Stack, version: str) -> list[Row]:
    pristine = copy_build(build, tmp / "old")
    subprocess.run(
        clastordf("release", "--version", version, "--build-dir", str(pristine)),
        cwd=REPO,
        env=environment(OLD_EPOCH),
        check=True,
        capture_output=True,
    )
    root = pristine / "release"
    old_sums = sha256(root / version / "SHA256SUMS")
    rows = []
    moments: list[tuple[str, Callable[[Path], bool]]] = [
        ("while it builds", lambda r: any(any(p.iterdir()) for p in r.glob(f".release-{version}-new-*"))),
        ("while it verifies", lambda r: any((p / "SHA256SUMS").exists() for p in r.glob(f".release-{version}-new-*"))),
        (
            "as it installs (once the old release is moved aside)",
            lambda r: (r / f".release-{version}-old").exists(),
        ),
    ]
    last = None
    for n, (moment, reached) in enumerate(moments):
        work = tmp / f"attempt-{n}"
        shutil.copytree(pristine, work, symlinks=True)
        last = work
        proc = stack.popen(
            clastordf("release", "--version", version, "--build-dir", str(work), "--force"),
            tmp / f"release-{n}.log",
            environment(None),
        )
        r = work / "release"
        step = 0.00005 if n == 2 else 0.002  # the last moment lasts two renames: poll as fast as we can
        wait_for(lambda r=r, reached=reached, p=proc: reached(r) or p.poll() is not None, 180, step=step)
        finished_first = proc.poll() is not None
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        which, problems, leftovers = _release_state(r, version, old_sums)
        shape = ": " + "; ".join(problems[:3]) if problems else ", whole (matches its SHA256SUMS)"
        observed = (
            f"{'not caught: the release finished first; ' if finished_first else ''}release/{version} is {which}"
            f"{shape if which != 'absent' else ''}; left behind: {', '.join(leftovers) or 'nothing'}"
        )
        verdict = "ok" if which != "absent" and not problems else "FAIL"
        if which == "absent" and any(x.endswith("-old") for x in leftovers):
            observed += " (the old release waits aside for the next release to put it back; meanwhile it is not served)"
        rows.append(
            Row(
                f"kill -9 `clastordf release --force` {moment}",
                f"release/{version} stays the old release, whole, until the new one, whole, replaces it",
                observed,
                verdict,
                {"which": which, "problems": problems, "leftovers": leftovers, "finished_first": finished_first},
            )
        )
    assert last is not None
    done = subprocess.run(
        clastordf("release", "--version", version, "--build-dir", str(last), "--force"),
        cwd=REPO,
        env=environment(None),
        capture_output=True,
    )
    which, problems, leftovers = _release_state(last / "release", version, old_sums)
    rows.append(
        Row(
            "the next `clastordf release --force` after a kill",
            "recovers what the killed one left and installs the new release, whole",
            f"exit {done.returncode}; release/{version} is {which}"
            f"{', whole' if not problems else ': ' + '; '.join(problems[:3])}; "
            f"left behind: {', '.join(leftovers) or 'nothing'}",
            "ok" if done.returncode == 0 and which == "a new release" and not problems and not leftovers else "FAIL",
        )
    )
    return rows


STORE_PAGES = (
    "/",
    "/facts",
    "/facts.json",
    "/fact/CF0320",
    "/fact/CF0100.ttl",
    "/evidence/E0100",
    "/vocab",
    "/.well-known/void",
    "/entity?iri=https%3A%2F%2Fidentifiers.org%2Funiprot%2FQ9NYA1",
)


def corrupt(path: Path, seed: int, size: int = 4096) -> None:
    """Overwrite ``size`` bytes in the middle of ``path`` (all of it when smaller) with seeded random bytes."""
    length = path.stat().st_size
    size = min(size, length)
    rng = random.Random(seed)  # noqa: S311 -- reproducible damage, not security
    with path.open("r+b") as fh:
        fh.seek(max(0, length // 2 - size // 2))
        fh.write(bytes(rng.randrange(256) for _ in range(size)))


def fault_store(tmp: Path, build: Path, stack: Stack, seed: int) -> list[Row]:
    base = copy_build(build, tmp / "base")
    server, target = stack.server(base, tmp / "prepare.log")
    server.wait_healthy(target)
    facts = request(target, "GET", "/facts.json", timeout=30)
    ids = [f["id"] for f in json.loads(facts.body)["facts"]]  # asked while the store is whole
    server.stop()
    # The store is keyed on the build's file path (and inode): it is damaged in place, and put back whole
    # from a copy before each variant, so that the server opens it rather than loading a new one.
    pristine = tmp / "pristine-store"
    shutil.copytree(base / "oxigraph", pristine)
    db = base / "oxigraph" / "db"
    files = sorted(p.name for p in db.glob("*.sst") if p.stat().st_size > 4096) + sorted(
        p.name for p in db.glob("MANIFEST-*")
    )
    rows = []
    for n, name in enumerate(files):
        shutil.rmtree(base / "oxigraph")
        shutil.copytree(pristine, base / "oxigraph")
        corrupt(db / name, seed + n)
        log = tmp / f"store-{n}.log"
        server, target = stack.server(base, log)
        fault = f"corrupt store file {name} (4 KiB in its middle), then serve"
        up = wait_for(
            lambda s=server, t=target: (
                s.process.poll() is not None or request(t, "GET", "/health", timeout=5).status is not None
            ),
            60,
            step=0.2,
        )
        if up is None or server.process.poll() is not None:
            lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
            errors = [line for line in lines if "Error" in line or "error" in line] or lines
            last = errors[-1][:200] if errors else ""
            server.stop()
            if up is None:  # still running, yet /health never answered
                observed = f"the server hangs: /health does not answer within 60 s (log: {last})"
                rows.append(Row(fault, _STORE_EXPECTED, observed, "FAIL"))
            else:
                observed = f"serve exits {server.process.returncode} (log: {last})"
                rows.append(Row(fault, _STORE_EXPECTED, observed, "ok"))
            continue
        health = request(target, "GET", "/health", timeout=10)
        found = {
            page: status(request(target, "GET", page, [("Accept", "text/html")], timeout=10)) for page in STORE_PAGES
        }
        found["point query"] = status(point_query(target, timeout=10))
        fact_pages = Counter(status(request(target, "GET", f"/fact/{i}", timeout=10)) for i in ids)
        server.stop()
        failed = sum(1 for v in found.values() if not v.startswith(("2", "3", "4"))) + sum(
            c for s, c in fact_pages.items() if not s.startswith(("2", "3", "4"))
        )
        bad = health.status == 200 and failed > 0
        note = "" if failed or health.status != 200 else " (the damaged bytes were never read: nothing noticed)"
        observed = (
            f"/health {status(health)}; {failed} of {len(found) + sum(fact_pages.values())} pages/queries failed "
            f"({', '.join(f'{k} {v}' for k, v in found.items() if not v.startswith('2')) or 'none'}; "
            f"fact pages {dict(fact_pages)}){note}"
        )
        rows.append(
            Row(
                fault,
                _STORE_EXPECTED,
                observed,
                "FAIL" if bad else "ok",
                {"health": health.body[:300].decode("utf-8", "replace"), "pages": found, "facts": dict(fact_pages)},
            )
        )
    return rows


_STORE_EXPECTED = (
    "the server refuses to start, or rebuilds the store, or /health says 503; never /health 200 while pages "
    "fail (5xx or no answer), never a hang"
)


def oxigraph_cli() -> str | None:
    found = shutil.which("oxigraph")
    return found or (str(BIN / "oxigraph") if (BIN / "oxigraph").exists() else None)


def fault_backend(tmp: Path, build: Path, stack: Stack) -> list[Row]:
    cli = oxigraph_cli()
    if cli is None:
        return [Row("stop the remote backend (serve --backend)", "", "the oxigraph CLI is not installed", "skipped")]
    location = tmp / "oxigraph-db"
    subprocess.run(
        [cli, "load", "--location", str(location), "--file", str((build / "clastordf.ttl").resolve())],
        check=True,
        capture_output=True,
    )
    backend_port = free_port()
    backend_target = Target("127.0.0.1", backend_port)

    def start_backend() -> subprocess.Popen:
        proc = stack.popen(
            [cli, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{backend_port}"],
            tmp / "oxigraph.log",
        )
        wait_for(lambda: request(backend_target, "GET", "/query?query=ASK%7B%7D", timeout=2).status == 200, 60, 0.1)
        return proc

    backend = start_backend()
    url = f"sparql:http://127.0.0.1:{backend_port}/query"
    copy = copy_build(build, tmp / "build")
    server, target = stack.server(copy, tmp / "server.log", ["--backend", url, "--backend-graph", "default"])
    server.wait_healthy(target)
    before = checks(target)
    with suppress(ProcessLookupError):
        os.killpg(backend.pid, signal.SIGTERM)
    backend.wait(timeout=20)
    down: dict[str, str] = {}
    slowest = 0.0
    for name, make in (
        ("/health", lambda: request(target, "GET", "/health", timeout=30)),
        ("cached page /fact/CF0320", lambda: request(target, "GET", "/fact/CF0320", timeout=30)),
        ("new page /fact/CF0100", lambda: request(target, "GET", "/fact/CF0100", timeout=30)),
        ("point query", lambda: point_query(target, timeout=30)),
        ("/downloads/clastordf.ttl", lambda: request(target, "GET", "/downloads/clastordf.ttl", timeout=30)),
    ):
        reply = make()
        down[name] = status(reply)
        slowest = max(slowest, reply.elapsed)
    backend = start_backend()
    recovered = wait_for(lambda: request(target, "GET", "/health", timeout=5).status == 200, 60, 0.2)
    after = checks(target, ("/fact/CF0200",))
    ok_down = (
        down["/health"] == "503"
        and down["new page /fact/CF0100"] in ("502", "503")
        and down["point query"] in ("502", "503")
        and down["/downloads/clastordf.ttl"] == "200"
        and slowest < 15
    )
    ok = ok_down and recovered is not None and all(v == "200" for v in after.values())
    rows = [
        Row(
            "stop the remote backend while serving (serve --backend on oxigraph serve-read-only), then restart it",
            "/health 503 naming the backend; pages and queries 503 (502) quickly, never 500; downloads still 200; "
            "everything answers again once the backend is back, without restarting the server",
            f"before: {summary(before)}; backend down: {summary(down)} (slowest {slowest:.1f} s); backend back: "
            f"/health 200 after {recovered if recovered is not None else '> 60'} s, then {summary(after)}",
            "ok" if ok else "FAIL",
        )
    ]
    # The review crashed `oxigraph serve` with a 6 KB nested query sent through the front-end.
    headers, body = sparql_post(nested_braces(3000))
    reply = request(target, "POST", "/sparql", headers, body, timeout=60)
    time.sleep(1.0)
    backend_alive = backend.poll() is None and (
        request(backend_target, "GET", "/query?query=ASK%7B%7D", timeout=5).status == 200
    )
    rows.append(
        Row(
            "a query of 3,000 nested {} (6 KB) through serve --backend",
            "the front-end answers 400 without passing it on; the backend stays up",
            f"front-end answered {status(reply)} in {reply.elapsed:.1f} s; backend "
            f"{'still answers' if backend_alive else 'is DOWN (exit ' + str(backend.poll()) + ')'}",
            "ok" if reply.status is not None and 400 <= reply.status < 500 and backend_alive else "FAIL",
        )
    )
    return rows


def _role(pid: int, workers: list[int], executors: list[int]) -> str:
    if pid in workers or pid in executors:
        role = "worker" if pid in workers else "executor"
    else:
        role = "resource tracker" if "resource_tracker" in cmdline(pid) else cmdline(pid)[:60]
    try:  # where it waits, for whoever fixes it
        wchan = Path(f"/proc/{pid}/wchan").read_text().strip()
    except OSError:
        wchan = "?"
    return f"({role}, waiting in {wchan or '?'})"


def fault_master(tmp: Path, build: Path, stack: Stack) -> list[Row]:
    server, target = stack.server(copy_build(build, tmp / "build"), tmp / "server.log")
    server.wait_healthy(target)
    for _ in range(8):
        point_query(target, timeout=30)
    tree = process_tree(server.pid)
    workers = children(server.pid)
    executors = [e for w in workers for e in executors_of(w)]
    # The master is `clastordf serve` itself (gunicorn runs in-process).
    kill9(server.pid)
    gone = wait_for(lambda: not any(alive(p) for p in tree if p != server.pid), 30, step=0.2)
    left = [f"{p} {_role(p, workers, executors)}" for p in tree if alive(p) and p != server.pid]
    return [
        Row(
            "kill -9 gunicorn's master (`clastordf serve`)",
            "the workers and their executors exit by themselves: nothing is left running",
            f"{len(workers)} workers, {len(executors)} executors, {len(tree) - 1} processes in all: "
            + (f"all gone after {gone} s" if gone is not None else f"{len(left)} still running after 30 s: {left}"),
            "ok" if gone is not None else "FAIL",
        )
    ]


def curated_version() -> str:
    for line in (REPO / "curation" / "dataset.yaml").read_text(encoding="utf-8").splitlines():
        if line.startswith("version:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    raise SystemExit("curation/dataset.yaml has no version")


def markdown(rows: list[Row]) -> str:
    lines = ["| fault | expected | observed | verdict |", "|---|---|---|---|"]
    for r in rows:
        cells = [r.fault, r.expected, r.observed, "ok" if r.verdict == "ok" else f"**{r.verdict}**"]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", type=Path, default=REPO / "build", help="the build to copy (default: build/)")
    p.add_argument("--only", help="faults to run, comma-separated: " + ", ".join(FAULTS))
    p.add_argument("--seed", type=int, default=16, help="seed of the bytes written into the store")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    p.add_argument("--json", type=Path, default=OUT / "faults.json")
    args = p.parse_args(argv)
    chosen = [f.strip() for f in args.only.split(",")] if args.only else list(FAULTS)
    unknown = set(chosen) - set(FAULTS)
    if unknown:
        raise SystemExit(f"unknown fault(s) {', '.join(sorted(unknown))}: choose from {', '.join(FAULTS)}")
    build = args.build_dir.resolve()
    if not (build / "clastordf.ttl").exists():
        raise SystemExit(f"{build / 'clastordf.ttl'} is missing: run `clastordf build` first")

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    tmp_root = Path(tempfile.mkdtemp(prefix="clastordf-faults-"))
    rows: list[Row] = []
    load_start = os.getloadavg()
    try:
        for name in (f for f in FAULTS if f in chosen):
            print(f"[{name}] …", file=sys.stderr)
            tmp = tmp_root / name
            tmp.mkdir()
            stack = Stack()
            try:
                if name == "worker":
                    found = fault_worker(tmp, build, stack)
                elif name == "executor":
                    found = fault_executor(tmp, build, stack)
                elif name == "build":
                    found = fault_build(tmp, build, stack)
                elif name == "release":
                    found = fault_release(tmp, build, stack, curated_version())
                elif name == "store":
                    found = fault_store(tmp, build, stack, args.seed)
                elif name == "backend":
                    found = fault_backend(tmp, build, stack)
                else:
                    found = fault_master(tmp, build, stack)
            except Exception as exc:  # one fault that cannot be staged must not hide the others' rows
                traceback.print_exc()
                found = [Row(name, "", f"the fault could not be staged: {type(exc).__name__}: {exc}", "FAIL")]
            finally:
                stack.close()
            for row in found:
                print(f"  {row.verdict}: {row.fault}: {row.observed}", file=sys.stderr)
            rows += found
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    finally:
        if args.keep:
            print(f"kept {tmp_root}", file=sys.stderr)
        else:
            shutil.rmtree(tmp_root, ignore_errors=True)
    load_end = os.getloadavg()
    print(markdown(rows))
    print(f"\nload average {load_start[0]:.2f} → {load_end[0]:.2f}", file=sys.stderr)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "started_load": load_start,
                "finished_load": load_end,
                "date": time.strftime("%Y-%m-%d"),
                "rows": [r.__dict__ for r in rows],
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    return 0 if rows and all(r.verdict != "FAIL" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
