"""Running one query on the embedded store and writing its capped answer: what a query executor process
does (:mod:`.executor_process`), and what the web worker may do itself for a query it runs in process.

This module imports only pyoxigraph and a little of the standard library (no dataclasses, no logging,
nothing else of clastordf), because every executor process imports it: each module more costs each
executor its memory (about 1.5 MB for :mod:`dataclasses` alone), and the server runs several executors
per worker. So :class:`Job` and :class:`Answer` are named tuples.

Answers are written by pyoxigraph's own serializers (Rust), not in Python. SELECT results must be cut at
``limit`` rows, and pyoxigraph serializes only a whole result, so the rows are first written as TSV into
an output that stops the writer (and with it the query's evaluation) as soon as a row beyond the limit
begins: TSV writes one row a line, and writes a term's newlines as ``\\n``, so counting lines counts
rows. The TSV is then re-read and written in the format asked for, which pyoxigraph also does natively;
TSV holds every term exactly (IRIs, blank node labels, literals with language, base direction and
datatype, triple terms) and tells an unbound variable from an empty string.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any, NamedTuple

import pyoxigraph as ox

#: Media types of SELECT/ASK results, the endpoint's preferred first (the default when anything goes).
RESULTS_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
#: Media types of CONSTRUCT/DESCRIBE results (and of the service description), preferred first.
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
#: A result body is at most this large even within the row limit (a few huge literals): the pipe
#: and the web worker's memory stay bounded.
MAX_BODY_BYTES = 64 * 1024 * 1024
TOO_LARGE = (
    f"the result is larger than {MAX_BODY_BYTES // 2**20} MiB even within the row limit; select fewer or shorter values"
)
#: The folder of the database inside a store's folder (see :mod:`.store`).
DB_DIR = "db"


class Job(NamedTuple):
    """One query and how to answer it; pickled to the executor process."""

    query: str
    #: Media type for SELECT/ASK results, or None when the client accepts none.
    results_type: str | None
    #: Media type for CONSTRUCT/DESCRIBE results, or None when the client accepts none.
    graph_type: str | None
    #: Rows or triples the answer holds at most.
    limit: int
    #: The protocol's ``default-graph-uri``/``named-graph-uri``; None: not given.
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    #: Without a protocol dataset: query the served data (the store's default graph) as the default
    #: graph (False when the query has FROM: then its own dataset holds).
    union_default_graph: bool = True
    #: Prefixes for Turtle/RDF-XML output (the query's own PREFIX declarations); read, never changed.
    prefixes: Mapping[str, str] = {}
    #: The query calls an allow-listed SERVICE: an I/O error is then the remote endpoint's.
    federated: bool = False
    #: SELECT, ASK, CONSTRUCT or DESCRIBE as the endpoint's tokenizer read it (None: neither); a remote
    #: backend is asked for the matching result format.
    form: str | None = None
    #: The IRI relative IRIs in the query resolve against (the endpoint's own); None: they are an error.
    base_iri: str | None = None


class Answer(NamedTuple):
    """A serialized result."""

    media_type: str
    body: bytes
    #: The result had more rows (triples) than the limit; the body holds the first ``limit``.
    truncated: bool
    #: "solutions", "boolean" or "graph".
    kind: str


class QueryFailed(Exception):
    """A query that was not answered; ``kind`` says why and the endpoint maps it to a status code.

    Kinds: ``syntax``, ``not-acceptable``, ``timeout``, ``busy`` (no executor came free in time),
    ``long`` (stopped at the long-query threshold: the executors for long queries were all taken),
    ``memory`` (the query needed more than an executor's memory limit), ``service`` (an allow-listed
    remote endpoint failed), ``too-large``, ``crashed`` (the executor died), ``internal``; with a remote
    backend (:mod:`.backend`) also ``backend-down``, ``backend-refused`` (it answered 400) and
    ``backend-error`` (another error, or an answer that cannot be read).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def open_store(store_dir: str | os.PathLike[str]) -> ox.Store:
    """Open a prepared store (the folder :func:`.store.prepare_store` made) read-only."""
    return ox.Store.read_only(os.path.join(store_dir, DB_DIR))


def served_graph(store: ox.Store) -> ox.NamedNode | None:
    """The graph that holds the served data: the store's only named graph, when its default graph is
    empty (as :func:`.store.prepare_store` makes it); None for a store laid out otherwise.

    >>> store, g, ex = ox.Store(), ox.NamedNode("http://example.org/g"), ox.NamedNode("http://example.org/x")
    >>> served_graph(store) is None
    True
    >>> store.add(ox.Quad(ex, ex, ex, g))
    >>> served_graph(store) == g
    True
    """
    graphs = list(islice(store.named_graphs(), 2))
    if len(graphs) != 1 or not isinstance(graphs[0], ox.NamedNode):
        return None
    if next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
        return None
    return graphs[0]


class ServedStore:
    """The embedded store as the server reads it, the endpoint and the pages alike: the served graph
    (:func:`served_graph`) is the default graph of every query that names no graph, and of every
    pattern the pages look up.

    The store holds the data once, in the named graph of its version (which ``GRAPH``, ``FROM``,
    ``FROM NAMED`` and the protocol's dataset parameters name); reading that graph as the default graph
    gives the answers the union of all graphs gives (there is no other graph), without the union's cost
    (a third more engine time on ×100 data), and without storing the triples twice. A store laid out
    otherwise (no or several named graphs) is read as the union of its graphs.

    It answers the calls of :class:`.store.ReadOnlyStore`; ``store`` is the pyoxigraph store itself.
    """

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.graph = served_graph(store)

    def default_graph_options(self) -> dict[str, Any]:
        """The options of :meth:`pyoxigraph.Store.query` that make the served graph the default graph."""
        return {"default_graph": [self.graph]} if self.graph is not None else {"use_default_graph_as_union": True}

    def query(
        self, query: str, *, use_default_graph_as_union: bool = False
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run a trusted query (the pages', no FROM: a dataset given here would replace the query's own)
        over the served graph; ``use_default_graph_as_union``, as :class:`pyoxigraph.Store` takes it,
        changes nothing: the served graph is the whole union."""
        return self.store.query(query, **self.default_graph_options())

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        object: ox.NamedNode | ox.BlankNode | ox.Literal | None,
    ) -> Iterable[ox.Quad]:
        """The quads of the served graph that match (None: anything)."""
        return self.store.quads_for_pattern(subject, predicate, object, self.graph)

    def named_graphs(self) -> Iterable[ox.NamedNode | ox.BlankNode]:
        return self.store.named_graphs()


class _Enough(Exception):
    """Raised into pyoxigraph's writer to stop it: the rows wanted are in (or the bytes are too many)."""


class _FirstRows:
    """A binary output for pyoxigraph's TSV results writer that keeps the header line and the first
    ``limit`` rows, and stops the writer once a row beyond them begins (``truncated``) or once more
    than ``max_bytes`` are written (``too_large``).

    >>> out = _FirstRows(2, 100)
    >>> out.write(b"?x\\n1\\n") and out.write(b"2\\n3\\n")
    Traceback (most recent call last):
    ...
    clastordf.server.engine._Enough
    >>> out.value(), out.truncated
    (b'?x\\n1\\n2\\n', True)
    """

    def __init__(self, limit: int, max_bytes: int) -> None:
        self._lines = limit + 1  # the header and the rows kept
        self._max_bytes = max_bytes
        self._parts: list[bytes] = []
        self._seen = 0  # newlines kept so far
        self._size = 0
        self.truncated = False
        self.too_large = False

    @property
    def stopped(self) -> bool:
        return self.truncated or self.too_large

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self.stopped:  # the writer's last flush, after it was stopped
            raise _Enough
        chunk = bytes(data)
        if not chunk:
            return 0
        if self._seen == self._lines:  # every row kept is complete: anything more is a row too many
            self.truncated = True
            raise _Enough
        newlines = chunk.count(b"\n")
        if self._seen + newlines >= self._lines:
            end = -1
            for _ in range(self._lines - self._seen):
                end = chunk.index(b"\n", end + 1)
            self._keep(chunk[: end + 1])
            self._seen = self._lines
            if end + 1 < len(chunk):
                self.truncated = True
                raise _Enough
        else:
            self._keep(chunk)
            self._seen += newlines
        return len(chunk)

    def _keep(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self._max_bytes:
            self.too_large = True
            raise _Enough
        self._parts.append(chunk)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return b"".join(self._parts)


def _solutions(result: ox.QuerySolutions, media_type: str, limit: int) -> tuple[bytes, bool]:
    """The first ``limit`` solutions in ``media_type``, and whether there were more (see the module's
    description: capped as TSV, then converted by pyoxigraph)."""
    out = _FirstRows(limit, MAX_BODY_BYTES)
    try:
        result.serialize(out, format=ox.QueryResultsFormat.TSV)  # type: ignore[arg-type]  # a writable, as typeshed's IO
    except Exception:
        if not out.stopped:  # the query's own failure while it was evaluated (a SERVICE, an error)
            raise
    if out.too_large:
        raise QueryFailed("too-large", TOO_LARGE)
    tsv = out.value()
    fmt = RESULTS_FORMATS[media_type]
    if fmt == ox.QueryResultsFormat.TSV:
        return tsv, out.truncated
    body = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV).serialize(format=fmt)
    assert body is not None  # given no output, pyoxigraph returns the bytes
    return body, out.truncated


def _graph(result: Iterable[ox.Triple], media_type: str, limit: int, prefixes: Mapping[str, str]) -> tuple[bytes, bool]:
    triples = list(islice(result, limit + 1))
    fmt = GRAPH_FORMATS[media_type]
    try:
        body = ox.serialize(triples[:limit], format=fmt, prefixes=dict(prefixes) or None)
    except ValueError:  # a prefix the serializer rejects: plain IRIs are always fine
        body = ox.serialize(triples[:limit], format=fmt)
    assert body is not None  # given no output, pyoxigraph returns the bytes
    return body, len(triples) > limit


def _not_acceptable(what: str, offered: Mapping[str, Any]) -> QueryFailed:
    return QueryFailed(
        "not-acceptable",
        f"the query is a {what} query, and none of its result formats is acceptable; offered: {', '.join(offered)}",
    )


def execute(store: ServedStore | ox.Store, job: Job) -> Answer:
    """Run ``job`` on ``store`` and serialize its capped result (in an executor process, or in the web
    worker for a query it runs itself).

    A query that names no graph reads the served graph as its default graph (see :class:`ServedStore`);
    a protocol dataset (``default-graph-uri``/``named-graph-uri``) replaces it, and a query with
    FROM/FROM NAMED keeps its own (``job.union_default_graph`` is False).
    """
    served = store if isinstance(store, ServedStore) else ServedStore(store)
    kwargs: dict[str, Any] = {"base_iri": job.base_iri}
    if job.default_graphs is not None or job.named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
    elif job.union_default_graph:
        kwargs.update(served.default_graph_options())
    return serialize_result(served.store.query(job.query, **kwargs), job)


def serialize_result(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | Iterable[ox.Triple], job: Job
) -> Answer:
    """A query result capped at ``job.limit`` and serialized as the job asks.

    The one place answers are written, whoever ran the query (an executor over the embedded store, or
    :mod:`.backend` for a remote endpoint, whose parsed answer arrives here as pyoxigraph objects; a
    graph result from there is a plain iterator of triples), so the endpoint answers alike either way.
    Raises a ``too-large`` failure for a body over :data:`MAX_BODY_BYTES`.
    """
    if not isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        if job.graph_type is None:
            raise _not_acceptable("CONSTRUCT/DESCRIBE", GRAPH_FORMATS)
        body, truncated = _graph(result, job.graph_type, job.limit, job.prefixes)
        answer = Answer(job.graph_type, body, truncated, "graph")
    elif job.results_type is None:
        raise _not_acceptable("SELECT/ASK", RESULTS_FORMATS)
    elif isinstance(result, ox.QueryBoolean):
        boolean = result.serialize(format=RESULTS_FORMATS[job.results_type])
        assert boolean is not None  # given no output, pyoxigraph returns the bytes
        answer = Answer(job.results_type, boolean, False, "boolean")
    else:
        body, truncated = _solutions(result, job.results_type, job.limit)
        answer = Answer(job.results_type, body, truncated, "solutions")
    if len(answer.body) > MAX_BODY_BYTES:
        raise QueryFailed("too-large", TOO_LARGE)
    return answer
