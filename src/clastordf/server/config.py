"""Server settings, from arguments or ``CLASTORDF_*`` environment variables."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..release.layout import find_release, releases_root, unknown_release_message
from ..vocab import BASE
from .query_limits import DEFAULT_LIMITS
from .query_text import Nesting

DEFAULT_BASE = BASE
#: The store of the build, inside the build folder.
STORE_DIR = "oxigraph"
#: Where the stores of served releases go, under the releases folder: hidden, so it is never taken
#: for a release, and outside every release folder, whose files must stay exactly its SHA256SUMS.
RELEASE_STORES_DIR = ".stores"
#: The release name that means "the newest one".

#: Memory (MiB) planned for the server's supervising process (the command line that started it:
#: about 80 MiB measured, every pipeline stage imported).
MAIN_MEMORY_MIB = 128
#: Memory (MiB) planned for one worker process: Python, Flask, the open store (about 85 MiB measured),
#: the answer and page caches (see :mod:`.cache`) and answers on their way out.
WORKER_MEMORY_MIB = 320
#: An executor needs about this much (MiB) to open the store and answer small queries.
MIN_EXECUTOR_MEMORY_MIB = 160


class UnknownRelease(FileNotFoundError):
    """The release asked for is not under the releases folder; the message lists the ones that are.

    A :class:`FileNotFoundError`, so the command line reports it like any other missing input.
    """


@dataclass(frozen=True)
class ServerConfig:
    """Everything the app needs to know; immutable once the app is made.

    By default the server serves the build in ``build_dir``; with ``release`` it serves that release
    (``build_dir/release/VERSION/``) as it was published, and the build's own files are not used.

    >>> config = ServerConfig(Path("build"))
    >>> config.base, config.data_dir, config.releases_root, config.store_location
    ('https://w3id.org/clastordf/', PosixPath('build'), PosixPath('build/release'), PosixPath('build/oxigraph'))
    >>> ServerConfig(Path("build"), release="0.2.0").store_location
    PosixPath('build/release/.stores/0.2.0')
    """

    build_dir: Path
    #: IRIs under this base dereference on this server (a deployment elsewhere sets its own).
    base: str = DEFAULT_BASE
    #: Seconds a SPARQL query may run before it is stopped and answered with an error.
    query_timeout: float = 10.0
    #: Rows (or triples) a response holds at most; a capped response says so.
    result_limit: int = 10_000
    #: Bytes a request body (or query string) may hold.
    max_request_bytes: int = 100_000
    #: Endpoints a query may reach with SERVICE; empty: SERVICE is refused.
    service_allowlist: tuple[str, ...] = field(default_factory=tuple)
    #: Query executor processes per server worker (see ``executor_reserve``). Two: one for a long query,
    #: one kept for short ones; each executor holds about 11 MB (PSS) at rest.
    executors: int = 2
    #: 1: each worker also keeps a spare executor with the store open, which replaces a killed one at
    #: once; 0 (the default): a replacement starts when needed (in about 40 ms), and the spare's memory
    #: (an executor's, per worker) is saved.
    executor_spare: int = 0
    #: Reverse proxies in front of the server whose X-Forwarded-* headers are trusted (0: none),
    #: so absolute URLs (VoID, service description, JSON twins) name the public host.
    proxy_hops: int = 0
    #: Host names the server answers for (``.example.org``: it and its subdomains), besides the
    #: loopback names and the base's host; a request for any other host is refused (see :mod:`.security`).
    trusted_hosts: tuple[str, ...] = field(default_factory=tuple)
    #: Serve this release (a version, or ``latest``) instead of the build; ``None``: the build.
    release: str | None = None
    #: The folder of the releases offered at ``/downloads``; ``None``: ``build_dir/release``.
    releases_dir: Path | None = None
    #: Where the on-disk store lives; ``None``: ``build_dir/oxigraph`` for the build,
    #: ``RELEASES/.stores/VERSION`` for a release.
    store_dir: Path | None = None
    #: Answer from a remote SPARQL 1.1 endpoint (``sparql:http://HOST:PORT/sparql``) instead of the
    #: embedded store; ``None``: the embedded store. See :mod:`.backend`.
    backend: str | None = None
    #: The backend's graph that holds the served data; ``None``: the graph a release is loaded into
    #: (``https://w3id.org/clastordf/graph/VERSION``); ``default``: the engine's own default graph.
    backend_graph: str | None = None
    #: How deeply a query may nest ``{ }`` groups, ``( )``/``[ ]``/``<< >>`` brackets and property path
    #: closures, and how many tokens it may have; over a limit it is refused (400) before it is parsed
    #: (see :mod:`.query_limits`).
    max_group_depth: int = DEFAULT_LIMITS.groups
    max_bracket_depth: int = DEFAULT_LIMITS.brackets
    max_closure_depth: int = DEFAULT_LIMITS.closures
    max_query_tokens: int = DEFAULT_LIMITS.tokens

    @property
    def query_limits(self) -> Nesting:
        """The limits on a query's nesting, for :func:`.query_limits.check_query`."""
        return Nesting(self.max_group_depth, self.max_bracket_depth, self.max_closure_depth, self.max_query_tokens)

    # How the server faces clients and shares itself among them (see :mod:`.run`, :mod:`.front`,
    # :mod:`.admission`, :mod:`.executor`); the defaults suit a 2-core machine.

    #: Worker processes (each with its own app, store handle and executors).
    workers: int = 2
    #: Threads per worker that answer pages, downloads and ``/health``; SPARQL queries have their own
    #: (``query_slots`` + 2), so pages never wait behind queries.
    threads: int = 4
    #: Seconds a client has to send a request's line and headers; then the connection is closed.
    header_timeout: float = 10.0
    #: Seconds a client has to send a request's body once its headers are in; then 408.
    body_timeout: float = 10.0
    #: Requests one worker holds waiting for a thread (pages and queries each); more get 503.
    request_queue: int = 64
    #: SPARQL queries one worker holds at once (running, or waiting for an executor); more get 503.
    query_slots: int = 8
    #: SPARQL queries one client may have in one worker at once; more get 429.
    client_queries: int = 2
    #: Seconds a client whose query was stopped early (memory or long-query limit) waits before its
    #: next query is taken (429 until then; the 503 said so in ``Retry-After``).
    client_pause: float = 10.0
    #: Seconds after which a running query counts as long (see ``executor_reserve``).
    long_query: float = 0.5
    #: Executors per worker kept for short queries: a query that is still running after ``long_query``
    #: seconds when the other executors already hold long ones is stopped (503), so a short query
    #: always finds an executor soon (with the defaults, one long query per worker at a time).
    executor_reserve: int = 1
    #: Steps of CPU niceness the executors run below the workers (the threads that answer pages and
    #: ``/health`` keep the CPU while queries run).
    executor_nice: int = 10
    #: Memory (MiB) the whole server may use: its main process, every worker and every executor.
    memory_budget: int = 2048
    #: Memory (MiB) one executor may allocate; ``None``: its share of ``memory_budget``
    #: (see :attr:`executor_memory_mib`).
    executor_memory: int | None = None

    @property
    def executor_memory_mib(self) -> int:
        """What one executor may allocate (MiB): ``executor_memory``, or else the share of the budget
        left once the main process and the workers have theirs, split among all the executors.

        >>> ServerConfig(Path("build")).executor_memory_mib  # (2048 - 128 - 2 × 320) // (2 workers × 2)
        320
        >>> ServerConfig(Path("build"), memory_budget=4096, workers=1).executor_memory_mib
        1824
        >>> ServerConfig(Path("build"), executor_memory=500).executor_memory_mib
        500
        """
        if self.executor_memory is not None:
            return self.executor_memory
        left = self.memory_budget - MAIN_MEMORY_MIB - self.workers * WORKER_MEMORY_MIB
        return left // max(1, self.workers * self.executors)

    def check_memory(self) -> None:
        """Raise :class:`ValueError` when the budget leaves an executor too little memory to work."""
        if self.executor_memory_mib < MIN_EXECUTOR_MEMORY_MIB:
            raise ValueError(
                f"a memory budget of {self.memory_budget} MiB leaves each of the {self.workers} × {self.executors} "
                f"query executors {self.executor_memory_mib} MiB, and one needs at least {MIN_EXECUTOR_MEMORY_MIB}: "
                f"raise CLASTORDF_MEMORY_BUDGET or lower the workers or CLASTORDF_EXECUTORS (each worker is "
                f"planned {WORKER_MEMORY_MIB} MiB)"
            )

    @property
    def shutdown_grace(self) -> float:
        """Seconds a stopping server gives the requests in progress (a query may run ``query_timeout``)."""
        return self.query_timeout + 5.0

    @property
    def releases_root(self) -> Path:
        """The folder holding the releases (``releases_dir`` or ``build_dir/release``)."""
        return self.releases_dir if self.releases_dir is not None else releases_root(self.build_dir)

    @property
    def data_dir(self) -> Path:
        """The folder of the files served: the release's folder, or the build folder."""
        return self.releases_root / self.release if self.release else self.build_dir

    @property
    def store_location(self) -> Path:
        """The store's folder (``store_dir``, or the default for the build or the release)."""
        if self.store_dir is not None:
            return self.store_dir
        if self.release:
            return self.releases_root / RELEASE_STORES_DIR / self.release
        return self.build_dir / STORE_DIR

    def resolve_release(self) -> ServerConfig:
        """This config with ``release`` naming a finished release: ``latest`` becomes the newest
        version, so every worker of one server serves the same release even if another is published
        while they start. Raises :class:`UnknownRelease` (listing the releases there are) when the
        release is not there; a config without ``release`` is returned as it is."""
        if not self.release:
            return dataclasses.replace(self, release=None)
        found = find_release(self.releases_root, self.release)
        if found is None:
            raise UnknownRelease(unknown_release_message(self.releases_root, self.release))
        return dataclasses.replace(self, release=found.version)

    @classmethod
    def from_env(cls, build_dir: Path | None = None, **overrides: object) -> ServerConfig:
        """Settings from ``CLASTORDF_`` + the field's name in capitals: ``CLASTORDF_BUILD_DIR``,
        ``CLASTORDF_BASE``, ``CLASTORDF_QUERY_TIMEOUT``, ``CLASTORDF_RESULT_LIMIT``,
        ``CLASTORDF_MAX_REQUEST_BYTES``, ``CLASTORDF_SERVICE_ALLOWLIST`` (space-separated),
        ``CLASTORDF_EXECUTORS``, ``CLASTORDF_EXECUTOR_SPARE``, ``CLASTORDF_PROXY_HOPS``,
        ``CLASTORDF_TRUSTED_HOSTS`` (space-separated),
        ``CLASTORDF_RELEASE``, ``CLASTORDF_RELEASES_DIR``,
        ``CLASTORDF_STORE_DIR``, ``CLASTORDF_BACKEND``, ``CLASTORDF_BACKEND_GRAPH``, ``CLASTORDF_WORKERS``,
        ``CLASTORDF_THREADS``, ``CLASTORDF_HEADER_TIMEOUT``, ``CLASTORDF_BODY_TIMEOUT``,
        ``CLASTORDF_REQUEST_QUEUE``, ``CLASTORDF_QUERY_SLOTS``, ``CLASTORDF_CLIENT_QUERIES``,
        ``CLASTORDF_CLIENT_PAUSE``, ``CLASTORDF_LONG_QUERY``, ``CLASTORDF_EXECUTOR_RESERVE``,
        ``CLASTORDF_EXECUTOR_NICE``, ``CLASTORDF_MEMORY_BUDGET``, ``CLASTORDF_EXECUTOR_MEMORY`` (MiB),
        ``CLASTORDF_MAX_GROUP_DEPTH``, ``CLASTORDF_MAX_BRACKET_DEPTH``, ``CLASTORDF_MAX_CLOSURE_DEPTH`` and
        ``CLASTORDF_MAX_QUERY_TOKENS``; explicit ``overrides`` win."""
        values: dict[str, object] = {}
        env = os.environ
        for f in fields(cls):
            raw = env.get(f"CLASTORDF_{f.name.upper()}")
            if not raw:  # unset or set empty: the default (an empty path would mean the working folder)
                continue
            if f.name in ("build_dir", "releases_dir", "store_dir"):
                values[f.name] = Path(raw)
            elif f.name in ("service_allowlist", "trusted_hosts"):
                values[f.name] = tuple(raw.split())
            elif f.name in _FLOATS:
                values[f.name] = float(raw)
            elif f.name in _INTEGERS:
                values[f.name] = int(raw)
            else:
                values[f.name] = raw
        if build_dir is not None:
            values["build_dir"] = build_dir
        values.update({k: v for k, v in overrides.items() if v is not None})
        values.setdefault("build_dir", Path("build"))
        base = str(values.get("base", DEFAULT_BASE))
        values["base"] = base if base.endswith("/") else base + "/"
        return cls(**values)  # type: ignore[arg-type]


_FLOATS = frozenset({"query_timeout", "header_timeout", "body_timeout", "long_query", "client_pause"})
_INTEGERS = frozenset(
    {
        "result_limit",
        "max_request_bytes",
        "executors",
        "executor_spare",
        "proxy_hops",
        "workers",
        "threads",
        "request_queue",
        "query_slots",
        "client_queries",
        "executor_reserve",
        "executor_nice",
        "memory_budget",
        "executor_memory",
        "max_group_depth",
        "max_bracket_depth",
        "max_closure_depth",
        "max_query_tokens",
    }
)
