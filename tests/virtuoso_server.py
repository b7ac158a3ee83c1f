"""A throw-away Virtuoso server for tests: its own temporary folder, ini file and free ports.

``running_virtuoso`` starts Debian's ``virtuoso-t`` in the foreground with small buffers, waits until
isql can log in, and always stops the process and removes the folder, whatever the test did.
Without ``virtuoso-t`` the test is skipped, except under CI (``CI=1``), which installs it: there a
missing Virtuoso is a failure, not a silent skip.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from clastordf.release.virtuoso import IsqlSession, VirtuosoConnection, VirtuosoError, ping, sql_string

VIRTUOSO = "virtuoso-t"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
#: What a new Virtuoso database's dba logs in with.
DEFAULT_PASSWORD = "dba"  # noqa: S105 - Virtuoso's documented default, of a throw-away server

INI = """\
[Database]
DatabaseFile = {root}/virtuoso.db
ErrorLogFile = {root}/virtuoso.log
LockFile = {root}/virtuoso.lck
TransactionFile = {root}/virtuoso.trx
xa_persistent_file = {root}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {root}/virtuoso-temp.db
TransactionFile = {root}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = {port}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
DirsAllowed = {dirs_allowed}
; Virtuoso may also read its TempDir (default /tmp): keep it private, so DirsAllowed alone decides.
TempDir = {root}/tmp
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty_buffers}
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = {http_port}
ServerRoot = {root}/vsp
ServerThreads = 5
MaxClientConnections = 5
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


@dataclass(frozen=True)
class VirtuosoServer:
    """A running test server: where it lives and how to reach it."""

    root: Path
    port: int
    http_port: int
    process: subprocess.Popen
    dba_password: str = DEFAULT_PASSWORD

    def connection(self, **changes: object) -> VirtuosoConnection:
        """A connection to this server as dba (with its password unless ``changes`` say otherwise)."""
        values: dict = {
            "host": "localhost",
            "port": self.port,
            "user": "dba",
            "password": self.dba_password,
            "timeout": 120.0,
        }
        values.update(changes)
        return VirtuosoConnection(**values)

    @property
    def sparql_url(self) -> str:
        return f"http://localhost:{self.http_port}/sparql"

    @property
    def log(self) -> Path:
        return self.root / "virtuoso.log"


def virtuoso_or_skip() -> str:
    """The ``virtuoso-t`` program; skips the test when it is missing, fails under ``CI=1``."""
    path = shutil.which(VIRTUOSO)
    if path is None:
        reason = f"{VIRTUOSO} is not installed (Debian: apt-get install virtuoso-opensource)"
        if os.environ.get("CI") == "1":
            pytest.fail(f"{reason}; CI installs it, so it must be there", pytrace=False)
        pytest.skip(reason)
    return path


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """Runs in the child before exec: Linux sends it SIGTERM when the test process dies, so even a
    killed pytest leaves no server behind."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _log_tail(log: Path, lines: int = 15) -> str:
    if not log.exists():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _wait_until_ready(server: VirtuosoServer, timeout: float) -> None:
    """Poll with isql until Virtuoso logs us in; fail with the server's log if it dies or stalls."""
    deadline = time.monotonic() + timeout
    conn = server.connection(timeout=10.0)
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{VIRTUOSO} exited with {server.process.returncode} while starting; "
                f"log {server.log}:\n{_log_tail(server.log)}"
            )
        try:
            ping(conn)
            return
        except VirtuosoError as err:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{VIRTUOSO} did not answer isql within {timeout:.0f}s ({err}); "
                    f"log {server.log}:\n{_log_tail(server.log)}"
                ) from err
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM makes Virtuoso do a quick shutdown (no checkpoint: the database is thrown away)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _set_dba_password(server: VirtuosoServer, password: str) -> VirtuosoServer:
    with IsqlSession(server.connection()) as session:
        session.execute(f"USER_SET_PASSWORD('dba', {sql_string(password)})")
    return replace(server, dba_password=password)


@contextmanager
def running_virtuoso(
    dirs_allowed: Sequence[Path] = (),
    dba_password: str = DEFAULT_PASSWORD,
    parent: Path | None = None,
    buffers: int = 10_000,
) -> Iterator[VirtuosoServer]:
    """Start a throw-away Virtuoso that may read ``dirs_allowed`` (and its own folder).

    A ``dba_password`` other than Virtuoso's default makes isql ask for it, as on a real server.
    The server's folder is made in ``parent`` (default: the system's temporary folder); pytest's
    base temporary folder is a good choice, as pytest clears it even after a killed run. ``buffers``
    is Virtuoso's page cache in 8 KB pages (10,000 suits tests; the benchmark gives it more).
    """
    executable = virtuoso_or_skip()
    with ExitStack() as cleanup:
        root = Path(tempfile.mkdtemp(prefix="clastordf-virtuoso-", dir=parent))
        cleanup.callback(shutil.rmtree, root, ignore_errors=True)
        (root / "vsp").mkdir()
        (root / "tmp").mkdir()
        port, http_port = free_port(), free_port()
        while http_port == port:
            http_port = free_port()
        allowed = ", ".join(str(p.resolve()) for p in (root, *dirs_allowed))
        ini = root / "virtuoso.ini"
        ini.write_text(
            INI.format(
                root=root,
                port=port,
                http_port=http_port,
                dirs_allowed=allowed,
                buffers=buffers,
                dirty_buffers=buffers * 3 // 4,
            ),
            encoding="utf-8",
        )
        with (root / "stdout.log").open("wb") as out:
            process = subprocess.Popen(
                [executable, "+foreground", "+configfile", str(ini)],
                cwd=root,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        cleanup.callback(_stop, process)
        server = VirtuosoServer(root, port, http_port, process)
        _wait_until_ready(server, STARTUP_TIMEOUT)
        if dba_password != server.dba_password:
            server = _set_dba_password(server, dba_password)
        yield server
