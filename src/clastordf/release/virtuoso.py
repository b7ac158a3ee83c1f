"""Load a release into OpenLink Virtuoso: ``clastordf virtuoso load --release VERSION``.

The release's ``clastordf.nt.gz`` is checked against its ``SHA256SUMS`` and then bulk-loaded with
Virtuoso's own loader (``ld_dir`` + ``rdf_loader_run`` + ``checkpoint``) into the named graph
``https://w3id.org/clastordf/graph/VERSION``, through Virtuoso's ``isql`` (Debian: ``isql-vt``).
Virtuoso reads the file itself, so the release folder must be on the server's machine, at the same
absolute path, and inside one of the ``DirsAllowed`` folders of its ``virtuoso.ini``.

Idempotence: by default (``replace=True``) a load first removes what an earlier load left (the
graph's triples and the ``DB.DBA.load_list`` rows of the file and the graph), so loading twice leaves
exactly one copy. With ``replace=False`` a graph that already holds this release (its file loaded
without error and the same number of triples) is left as it is, and a graph holding anything else
is refused. The graph is emptied only once Virtuoso has accepted the folder, but a load that fails
after that leaves the graph empty or partial until a load succeeds.

The password is never on a command line (``ps`` would show it to every user, and isql does not
hide its arguments): isql is started with only host, port and user, tries its built-in default
password (``dba``) and, when that is refused, asks for one, which is then written to its standard
input. So Virtuoso logs one "Incorrect login" per load when the password is not the default (a
success resets its count; four failures in a row lock the address out for a minute), and a server
that still has the default password is logged in to whatever ``CLASTORDF_VIRTUOSO_PASSWORD`` says.
All statements of a load run in one isql session, one at a time, each checked before the next.
"""

from __future__ import annotations

import functools
import gzip
import os
import pty
import re
import shutil
import subprocess
import threading
import time
import tty
from dataclasses import dataclass, field
from pathlib import Path

from ..progress import Progress, stderr_progress
from ..vocab import dataset_graph
from .layout import NTRIPLES_DUMP, SUMS_FILE, BadSums, check_version, read_sums, sha256_file

#: The release file the loader reads: gzipped N-Triples, which Virtuoso decompresses itself.
DUMP_FILE = NTRIPLES_DUMP
PASSWORD_ENV = "CLASTORDF_VIRTUOSO_PASSWORD"  # noqa: S105 - a variable name, not a password
HOST_ENV = "CLASTORDF_VIRTUOSO_HOST"
PORT_ENV = "CLASTORDF_VIRTUOSO_PORT"
USER_ENV = "CLASTORDF_VIRTUOSO_USER"
#: Debian calls Virtuoso's isql ``isql-vt`` because unixODBC's ``isql`` is another program.
ISQL_NAMES = ("isql-vt", "isql")
#: Seconds to wait for isql to log in (a server that accepts but never answers must not hang us).
CONNECT_TIMEOUT = 30.0
#: The server's version, e.g. ``07.20.3229``.
VERSION_QUERY = "select sys_stat('st_dbms_ver')"

_PASSWORD_PROMPT = b"Enter password for"
#: What isql prints once logged in (a pattern: the driver line that follows belongs to it).
_CONNECTED = rb"Connected to OpenLink Virtuoso\r?\nDriver:[^\n]*\n"
_ERROR_LINE = "*** Error"


class VirtuosoError(Exception):
    """A load failed; the message says what failed and, where it can, what to do."""


class IsqlNotFound(VirtuosoError):
    """Virtuoso's isql is not installed (or the one named is not Virtuoso's)."""


class ConnectError(VirtuosoError):
    """isql could not log in to Virtuoso."""


class ReleaseFileError(VirtuosoError):
    """The release's dump is missing or does not match its ``SHA256SUMS``; Virtuoso was not touched."""


def _default_password() -> str:
    return os.environ.get(PASSWORD_ENV, "dba")


@dataclass
class VirtuosoConnection:
    """Where and as whom isql logs in. ``isql`` is the program to run (``None``: found on PATH)."""

    host: str = "localhost"
    port: int = 1111
    user: str = "dba"
    # repr=False keeps the password out of tracebacks and logs that print the connection.
    password: str = field(default_factory=_default_password, repr=False)
    isql: str | None = None
    #: Seconds one statement may take (the bulk load is one statement).
    timeout: float = 3600.0

    @classmethod
    def from_env(
        cls, host: str | None = None, port: int | None = None, user: str | None = None, isql: str | None = None
    ) -> VirtuosoConnection:
        """Arguments given win; the rest come from ``CLASTORDF_VIRTUOSO_HOST``/``_PORT``/``_USER``
        (the password only ever from ``CLASTORDF_VIRTUOSO_PASSWORD``), then the defaults."""
        if port is None and os.environ.get(PORT_ENV):
            try:
                port = int(os.environ[PORT_ENV])
            except ValueError:
                raise VirtuosoError(f"{PORT_ENV}={os.environ[PORT_ENV]!r} is not a port number") from None
        return cls(
            host=host or os.environ.get(HOST_ENV) or "localhost",
            port=port if port is not None else 1111,
            user=user or os.environ.get(USER_ENV) or "dba",
            isql=isql,
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class LoadResult:
    """What a load did: the graph, the triples now in it and how long it took."""

    version: str
    graph: str
    source: Path
    sha256: str
    triples: int
    seconds: float
    #: True when ``replace=False`` found the release already loaded and left it alone.
    skipped: bool = False

    def __str__(self) -> str:
        verb = "already held" if self.skipped else f"loaded in {self.seconds:.1f}s:"
        return f"release {self.version}: graph <{self.graph}> {verb} {self.triples} triples from {self.source}"


@functools.lru_cache(maxsize=8)
def is_virtuoso_isql(executable: str) -> bool:
    """Whether ``executable`` is Virtuoso's isql: its usage text names Virtuoso (unixODBC's does not)."""
    try:
        done = subprocess.run(
            [executable, "-?"], stdin=subprocess.DEVNULL, capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"OpenLink Virtuoso Interactive SQL" in done.stdout + done.stderr


def find_isql(explicit: str | None = None) -> str:
    """The isql program to run: ``explicit`` when given, else ``isql-vt`` or ``isql`` on PATH,
    whichever is Virtuoso's. Raises :class:`IsqlNotFound` saying how to install it."""
    if explicit:
        path = shutil.which(explicit)
        if path is None:
            raise IsqlNotFound(f"isql program {explicit!r} was not found")
        if not is_virtuoso_isql(path):
            raise IsqlNotFound(f"{path} is not Virtuoso's isql (its `-?` output does not name OpenLink Virtuoso)")
        return path
    for name in ISQL_NAMES:
        path = shutil.which(name)
        if path and is_virtuoso_isql(path):
            return path
    raise IsqlNotFound(
        "Virtuoso's isql was not found on PATH (neither isql-vt nor a Virtuoso isql): install it "
        "(Debian: apt-get install virtuoso-opensource) or name it with --isql"
    )


def isql_arguments(executable: str, conn: VirtuosoConnection) -> list[str]:
    """isql's command line: no password (see the module docstring), no prompt, errors on stdout
    so that they stay in order with the results."""
    return [executable, conn.address, conn.user, "PROMPT=OFF", "ERRORS=STDOUT"]


def sql_string(text: str) -> str:
    """A SQL string literal.

    >>> sql_string("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


def virtuoso_message(output: str) -> str | None:
    """Virtuoso's first error in isql output, without the driver tags, or ``None``.

    >>> virtuoso_message("*** Error 42000: [Virtuoso Server]FA003: denied\\nat line 1 of Top-Level:\\n")
    '42000: FA003: denied'
    """
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(_ERROR_LINE):
            text = [line[len(_ERROR_LINE) :].strip()]
            # SPARQL compiler errors run over several lines, up to isql's "at line N of ..." trailer.
            for more in lines[i + 1 :]:
                if re.match(r"^at line \d+ of ", more):
                    break
                text.append(more.strip())
            message = " ".join(t for t in text if t)
            return re.sub(r"\[Virtuoso (Driver|Server)\]", "", message)
    return None


class IsqlSession:
    """One isql process driven statement by statement.

    After each statement a marker ``select`` is sent; the output up to the marker is that
    statement's, so an error is known before the next statement is sent. Output is read by a
    thread because the password prompt ends without a newline.

    isql's output goes to a pseudo-terminal, not a pipe: into a pipe isql writes in blocks and holds
    back its "Connected" line until it is sent a statement, so a login with the default password
    could not be told from one that is still waiting to ask for a password.
    """

    def __init__(self, conn: VirtuosoConnection):
        self.conn = conn
        self.executable = find_isql(conn.isql)
        self._output = bytearray()
        self._eof = False
        self._changed = threading.Condition()
        self._count = 0
        self._read_from = 0
        self._terminal, child_side = pty.openpty()
        # Raw: no "\r\n" for "\n" and no other rewriting of isql's output.
        tty.setraw(child_side)
        try:
            # A new session has no controlling terminal, so isql's getpass() reads the password from
            # our stdin pipe instead of opening /dev/tty (which would hang under a terminal).
            self._proc = subprocess.Popen(
                isql_arguments(self.executable, conn),
                stdin=subprocess.PIPE,
                stdout=child_side,
                stderr=child_side,
                start_new_session=True,
            )
        except OSError as err:
            os.close(self._terminal)
            raise IsqlNotFound(f"cannot run {self.executable}: {err}") from err
        finally:
            # Only isql holds the terminal's child side now: its exit ends our reads.
            os.close(child_side)
        self._reader = threading.Thread(target=self._pump, name="isql-output", daemon=True)
        self._reader.start()
        try:
            self._log_in()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> IsqlSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pump(self) -> None:
        while True:
            try:
                chunk = os.read(self._terminal, 65536)
            except OSError:
                # Linux reports a pseudo-terminal whose other side closed as EIO, not as end of file.
                chunk = b""
            if not chunk:
                break
            with self._changed:
                self._output += chunk
                self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def _text(self, start: int = 0, end: int | None = None) -> str:
        with self._changed:
            return self._output[start:end].decode("utf-8", errors="replace")

    def _wait(self, found: re.Pattern[bytes], start: int, timeout: float, what: str) -> re.Match[bytes] | None:
        """Wait until ``found`` matches the output from byte ``start`` on; ``None`` when isql ended
        first. Raises :class:`VirtuosoError` naming ``what`` it waited for on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                match = found.search(self._output, start)
                if match or self._eof:
                    return match
                left = deadline - time.monotonic()
                if left <= 0:
                    raise VirtuosoError(
                        f"isql ({self.executable}) got no answer to {what} from Virtuoso at "
                        f"{self.conn.address} within {timeout:.0f}s"
                    )
                self._changed.wait(left)

    def _send(self, text: str) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(text.encode("utf-8"))
            self._proc.stdin.flush()
        except BrokenPipeError:
            self._proc.wait(timeout=10)
            raise VirtuosoError(
                f"isql ({self.executable}) ended unexpectedly: {virtuoso_message(self._text()) or self._text()[-500:]}"
            ) from None

    def _log_in(self) -> None:
        """Answer isql's password prompt if it asks, and wait until it is logged in."""
        either = re.compile(re.escape(_PASSWORD_PROMPT) + b"|" + _CONNECTED)
        match = self._wait(either, 0, CONNECT_TIMEOUT, "the login")
        if match and match.group(0) == _PASSWORD_PROMPT:
            with self._changed:
                mark = len(self._output)
            self._send(self.conn.password + "\n")
            match = self._wait(either, mark, CONNECT_TIMEOUT, "the login")
            if match and match.group(0) == _PASSWORD_PROMPT:
                # isql asks again after a refused password; answering more would only lock us out.
                self._proc.kill()
                raise ConnectError(self._login_refused())
        if match is None:
            raise self._connect_failure()
        self._read_from = match.end()
        # Banner off: a select prints its rows only. Verbose off: no "Done. -- 1 msec." lines.
        self._send("SET BANNER OFF;\nSET VERBOSE OFF;\n")

    def _login_refused(self) -> str:
        return (
            f"Virtuoso at {self.conn.address} refused the login of user {self.conn.user!r}: set {PASSWORD_ENV} "
            "to that user's password (after repeated failures Virtuoso refuses logins from this address "
            "for a minute)"
        )

    def _connect_failure(self) -> ConnectError:
        output = self._text()
        said = virtuoso_message(output) or output.strip()[-500:]
        if "CL034" in output:
            return ConnectError(self._login_refused())
        return ConnectError(
            f"cannot connect to Virtuoso at {self.conn.address}: is Virtuoso running, and is "
            f"{self.conn.port} its ServerPort ([Parameters] in virtuoso.ini)? isql said: {said}"
        )

    def execute(self, statement: str) -> list[str]:
        """Run one statement (no trailing ``;``) and return its non-empty output lines (the rows of a
        select, one value per line when it selects one column). Raises :class:`VirtuosoError` with
        Virtuoso's message when the statement fails."""
        self._count += 1
        marker = f"@@clastordf-{self._count}@@"
        self._send(f"{statement};\nselect '{marker}';\n")
        start = self._read_from
        match = self._wait(
            re.compile(b"^" + re.escape(marker.encode()) + b"$", re.MULTILINE),
            start,
            self.conn.timeout,
            f"`{statement}`",
        )
        if match is None:
            output = self._text(start)
            said = virtuoso_message(output) or output.strip()[-500:] or "no output"
            raise VirtuosoError(f"isql ended while running `{statement}`: {said}")
        self._read_from = match.end()
        block = self._text(start, match.start())
        message = virtuoso_message(block)
        if message is not None:
            raise VirtuosoError(f"Virtuoso failed on `{statement}`: {message}")
        return [line.rstrip() for line in block.splitlines() if line.strip()]

    def value(self, statement: str) -> str:
        """The single value a one-row, one-column select returns."""
        rows = self.execute(statement)
        if len(rows) != 1:
            raise VirtuosoError(f"expected one value from `{statement}`, isql printed: {rows[:5]}")
        return rows[0].strip()

    def close(self) -> None:
        """End isql: ask it to exit, then make sure it has."""
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write(b"exit;\n")
                self._proc.stdin.close()
            except (BrokenPipeError, OSError, ValueError):
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._reader.join(timeout=10)
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            self._proc.stdin.close()
        os.close(self._terminal)


def ping(conn: VirtuosoConnection) -> str:
    """Log in and return Virtuoso's version: whether the server answers, with these credentials."""
    with IsqlSession(conn) as session:
        return session.value(VERSION_QUERY)


def ntriples_count(path: Path) -> int:
    """Triples in a gzipped N-Triples file: its lines that are neither blank nor comments."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip() and not line.lstrip().startswith("#"))


def verified_dump(release_dir: Path) -> tuple[Path, str]:
    """The release's ``clastordf.nt.gz`` and its SHA-256, once it matches ``SHA256SUMS``."""
    dump, sums = release_dir / DUMP_FILE, release_dir / SUMS_FILE
    if not dump.is_file():
        raise ReleaseFileError(f"{dump} is missing: is {release_dir} a release folder?")
    if not sums.is_file():
        raise ReleaseFileError(f"{sums} is missing: the release cannot be verified")
    try:
        expected = read_sums(sums).get(DUMP_FILE)
    except BadSums as err:
        raise ReleaseFileError(str(err)) from err
    if expected is None:
        raise ReleaseFileError(f"{sums} does not list {DUMP_FILE}")
    actual = sha256_file(dump)
    if actual != expected:
        raise ReleaseFileError(
            f"{dump} does not match {sums}: SHA-256 {actual}, expected {expected}; "
            "the file changed after the release was made"
        )
    return dump, actual


def _translate(err: VirtuosoError, folder: Path) -> VirtuosoError:
    """Turn Virtuoso's file-access errors into advice about the release folder."""
    text = str(err)
    if "FA003" in text:
        return VirtuosoError(
            f"Virtuoso may not read {folder}: add it (or a folder above it) to DirsAllowed in the "
            f"[Parameters] section of virtuoso.ini and restart Virtuoso. {text}"
        )
    if "FA020" in text:
        return VirtuosoError(
            f"Virtuoso cannot list {folder}: the release folder must exist on the Virtuoso server's "
            f"machine at the same path. {text}"
        )
    return err


def graph_count(session: IsqlSession, graph: str) -> int:
    """The triples in a named graph."""
    # The graph IRI is made from a checked version (see check_version): nothing to escape.
    return int(session.value(f"SPARQL SELECT COUNT(*) FROM <{graph}> WHERE {{ ?s ?p ?o }}"))  # noqa: S608


def _load_state(session: IsqlSession, dump: Path, graph: str) -> tuple[str | None, str | None]:
    """``ll_state`` and ``ll_error`` of the dump's ``DB.DBA.load_list`` row for ``graph`` (``None``
    when there is none or no error). One column per query: an error message may hold spaces."""
    where = f"FROM DB.DBA.load_list WHERE ll_file = {sql_string(str(dump))} AND ll_graph = {sql_string(graph)}"
    states = session.execute(f"SELECT ll_state {where}")
    if not states:
        return None, None
    errors = session.execute(f"SELECT ll_error {where} AND ll_error IS NOT NULL")
    return states[0].strip(), (" ".join(e.strip() for e in errors) or None)


def _already_loaded(session: IsqlSession, dump: Path, graph: str, expected: int) -> bool:
    """For ``replace=False``: whether the graph holds exactly this release; refuses other contents."""
    state, error = _load_state(session, dump, graph)
    count = graph_count(session, graph)
    if state == "2" and error is None and count == expected:
        return True
    if count:
        raise VirtuosoError(
            f"graph <{graph}> already holds {count} triples that are not exactly those of {dump} "
            f"({expected}); load with replace to clear it first"
        )
    return False


def _register(session: IsqlSession, folder: Path, dump: Path, graph: str) -> None:
    """``ld_dir`` the dump (after removing stale load_list rows, which would make ld_dir skip it)."""
    session.execute(
        f"DELETE FROM DB.DBA.load_list WHERE ll_file = {sql_string(str(dump))} "  # noqa: S608
        f"OR ll_graph = {sql_string(graph)}"
    )
    try:
        session.execute(f"ld_dir({sql_string(str(folder))}, {sql_string(DUMP_FILE)}, {sql_string(graph)})")
    except VirtuosoError as err:
        raise _translate(err, folder) from err
    state, _ = _load_state(session, dump, graph)
    if state != "0":
        raise VirtuosoError(
            f"ld_dir did not register {dump} in DB.DBA.load_list: Virtuoso does not see that file; "
            "the release folder must be on the Virtuoso server's machine at the same path"
        )


def _run_loader(session: IsqlSession, folder: Path, dump: Path, graph: str) -> None:
    """``rdf_loader_run`` and check the file's load_list row for an error."""
    try:
        session.execute("rdf_loader_run()")
    except VirtuosoError as err:
        raise _translate(err, folder) from err
    state, error = _load_state(session, dump, graph)
    if error is not None:
        raise VirtuosoError(f"Virtuoso could not load {dump} (DB.DBA.load_list.ll_error): {error}")
    if state != "2":
        raise VirtuosoError(f"rdf_loader_run left {dump} unfinished (DB.DBA.load_list.ll_state = {state})")


def load_release(
    release_dir: Path,
    version: str,
    conn: VirtuosoConnection,
    progress: Progress = stderr_progress,
    replace: bool = True,
) -> LoadResult:
    """Load a release's ``clastordf.nt.gz`` into the graph of ``version`` and check the count.

    See the module docstring for idempotence and ``replace``. Raises :class:`VirtuosoError` (or a
    subclass) naming what failed; a dump that does not match ``SHA256SUMS`` fails before isql runs.
    """
    start = time.perf_counter()
    try:
        check_version(version)
    except ValueError as err:
        raise VirtuosoError(str(err)) from err
    folder = release_dir.resolve()
    graph = dataset_graph(version)
    progress(f"[virtuoso] checking {DUMP_FILE} against {SUMS_FILE} in {folder}")
    dump, digest = verified_dump(folder)
    expected = ntriples_count(dump)
    progress(f"[virtuoso] connecting to {conn.address} as {conn.user}")
    with IsqlSession(conn) as session:
        progress(f"[virtuoso] connected: Virtuoso {session.value(VERSION_QUERY)}")
        if not replace and _already_loaded(session, dump, graph, expected):
            progress(f"[virtuoso] <{graph}> already holds this release's {expected} triples: left as it is")
            return LoadResult(version, graph, dump, digest, expected, time.perf_counter() - start, skipped=True)
        progress(f"[virtuoso] registering {dump} for <{graph}> (ld_dir)")
        _register(session, folder, dump, graph)
        if replace:
            progress(f"[virtuoso] clearing <{graph}>")
            session.execute(f"SPARQL CLEAR GRAPH <{graph}>")
        progress(f"[virtuoso] loading {expected} triples (rdf_loader_run)")
        _run_loader(session, folder, dump, graph)
        progress("[virtuoso] checkpoint")
        session.execute("checkpoint")
        count = graph_count(session, graph)
    if count != expected:
        raise VirtuosoError(f"graph <{graph}> holds {count} triples after the load, but {dump} has {expected}")
    seconds = time.perf_counter() - start
    progress(f"[virtuoso] <{graph}> holds {count} triples ({seconds:.1f}s)")
    return LoadResult(version, graph, dump, digest, count, seconds)
