"""A remote SPARQL endpoint as the server's data: ``clastordf serve --backend sparql:URL``.

The front-end stays the same: ``/sparql`` keeps every check it makes before a query runs (updates,
LOAD and SERVICE refused, request limits, content negotiation) and writes every answer itself through
:func:`.executor.serialize_result`, the code the embedded executors use, so result caps, truncation
headers and formats do not depend on the engine behind it. Only running the query changes: instead of
an executor process over the embedded store, :class:`RemoteStore` sends it to the backend
(:mod:`.sparql_client`: form POST, explicit ``Accept``, pooled connections, a deadline of
``query_timeout`` for the whole exchange) and reads the answer back into pyoxigraph objects, SELECT/ASK
as SPARQL JSON and CONSTRUCT/DESCRIBE as N-Triples (Turtle or RDF/XML if the engine prefers).

The pages read the data through the same small part of :class:`pyoxigraph.Store`'s API they use on
the embedded store (``query``, ``quads_for_pattern``, ``named_graphs``), which :class:`RemoteStore`
answers with SPARQL, plus two things a remote endpoint needs done differently: :meth:`RemoteStore.cbd`
(blank nodes cannot be looked up one query later, so a description comes in one query) and
:meth:`RemoteStore.contains` (an ASK rather than a fetch).

The served graph. The embedded store holds one release in the named graph
``https://w3id.org/clastordf/graph/VERSION`` and queries see the union of its graphs. Engines differ
here (Virtuoso's default graph is every graph it has, system graphs included; Oxigraph's is its
unnamed graph unless started with ``--union-default-graph``), so the front-end names the graph itself:
every query that brings no dataset of its own (no FROM, no ``default-graph-uri``) is sent with
``default-graph-uri`` and ``named-graph-uri`` set to the served version's graph, the one
``clastordf virtuoso load`` fills. ``--backend-graph IRI`` names another graph; ``--backend-graph
default`` sends no dataset, leaving the engine's own default graph (for data loaded without a graph).

Caching. The front-end serves one release, whose graph does not change once loaded, so pages and
query answers are cached as with the embedded store, and so are the subjects' descriptions the pages
read (:data:`SUBJECT_CACHE`). After reloading the backend's graph, restart the front-end.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from itertools import islice
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..vocab import dataset_graph
from .executor import MAX_BODY_BYTES, Answer, Job, QueryFailed, serialize_result
from .query_text import inspect_query
from .sparql_client import BackendError, ConnectionPool, Endpoint, Reply, Results, read_results
from .store import DATA_FILE, dataset_version

if TYPE_CHECKING:
    from .config import ServerConfig

log = logging.getLogger(__name__)

#: How ``--backend`` names a SPARQL 1.1 endpoint.
SCHEME = "sparql:"
#: ``--backend-graph default``: send no dataset; the engine's own default graph is the data.
ENGINE_DEFAULT_GRAPH = "default"
RESULTS_ACCEPT = "application/sparql-results+json"
#: N-Triples streams and has no prefixes to resolve; Turtle and RDF/XML if an engine will not write it.
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
RESULTS_MEDIA_TYPES = ("application/sparql-results+json", "application/json")
GRAPH_MEDIA_TYPES = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,  # what N-Triples was served as before it had a media type
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
#: Bytes of one backend answer read at most (it is written out again, at most MAX_BODY_BYTES).
MAX_READ_BYTES = 2 * MAX_BODY_BYTES
#: Subjects whose triples are kept in memory for the pages (each page reads a few dozen).
SUBJECT_CACHE = 8192
#: A subject with more triples than this is not cached but asked for pattern by pattern.
SUBJECT_TRIPLES = 10_000
#: Blank-node depth of the first description query (OWL axioms and RDF lists go deeper: then again,
#: deeper, up to :data:`MAX_CBD_DEPTH`).
CBD_DEPTH = 4
MAX_CBD_DEPTH = 64
#: The header in which Virtuoso says it cut an answer at its ``ResultSetMaxRows`` (silently otherwise).
MAX_ROWS_HEADER = "X-SPARQL-MaxRows"
#: What a :class:`BackendError` is for the endpoint (:class:`QueryFailed` kinds).
QUERY_FAILURES = {
    "unavailable": "backend-down",
    "timeout": "timeout",
    "refused": "backend-refused",
    "failed": "backend-error",
    "bad-answer": "backend-error",
    "too-large": "too-large",
}


def parse_backend(spec: str) -> Endpoint:
    """The endpoint of a ``--backend`` value; a :class:`ValueError` says what is wrong with it.

    >>> parse_backend("sparql:http://localhost:8890/sparql").url
    'http://localhost:8890/sparql'
    >>> parse_backend("http://localhost:8890/sparql")
    Traceback (most recent call last):
    ...
    ValueError: unknown backend 'http://localhost:8890/sparql': give sparql:http://HOST:PORT/PATH
    """
    if not spec.startswith(SCHEME):
        raise ValueError(f"unknown backend {spec!r}: give sparql:http://HOST:PORT/PATH")
    try:
        return Endpoint.parse(spec[len(SCHEME) :])
    except ValueError as e:
        raise ValueError(f"backend {spec!r}: {e}") from None


def served_graph(config: ServerConfig) -> str | None:
    """The backend graph holding what ``config`` serves: ``backend_graph`` if set (``None`` for
    ``default``), else the graph of the served release's version, or of the build's version."""
    if config.backend_graph == ENGINE_DEFAULT_GRAPH:
        return None
    if config.backend_graph:
        try:
            ox.NamedNode(config.backend_graph)
        except ValueError:
            raise ValueError(
                f"backend graph {config.backend_graph!r} is not an absolute IRI (or "
                f"'{ENGINE_DEFAULT_GRAPH}' for the engine's default graph)"
            ) from None
        return config.backend_graph
    if config.release:
        return dataset_graph(config.release)
    data = config.data_dir / DATA_FILE
    if not data.exists():
        raise FileNotFoundError(
            f"{data} is missing: the backend's graph is named after the version served, read "
            f"from it; run `clastordf build`, serve a --release, or give --backend-graph"
        )
    return dataset_graph(dataset_version(data))


class RemoteStore:
    """A SPARQL 1.1 endpoint read like the embedded :class:`pyoxigraph.Store` (a :class:`.store.ReadOnlyStore`),
    and the endpoint's runner of queries (a :class:`.executor.QueryRunner`: :meth:`run`, like
    :meth:`.executor.ExecutorPool.run`). Thread-safe.

    Every method raises :class:`.sparql_client.BackendError` when the backend does not answer (in time,
    or at all); :meth:`run` raises :class:`.executor.QueryFailed` like the executors do.
    """

    def __init__(self, endpoint: Endpoint, graph: str | None, timeout: float) -> None:
        self.endpoint = endpoint
        #: The graph the data is in; None: the engine's default graph.
        self.graph = graph
        #: Seconds the pages' own queries may take (the endpoint passes its limit to :meth:`run`).
        self.timeout = timeout
        self._pool = ConnectionPool(endpoint)
        self._graph_name: ox.NamedNode | ox.DefaultGraph = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        self._subjects: OrderedDict[ox.NamedNode, list[ox.Triple] | None] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: ServerConfig) -> RemoteStore:
        if not config.backend:
            raise ValueError("the configuration names no backend")
        return cls(parse_backend(config.backend), served_graph(config), config.query_timeout)

    def describe(self) -> dict[str, str]:
        """What /health says about the backend."""
        return {"kind": "sparql", "endpoint": self.endpoint.url, "graph": self.graph or "the engine's default graph"}

    def close(self) -> None:
        self._pool.close()

    # -- requests ----------------------------------------------------------------------------------
    def _served_dataset(self) -> list[tuple[str, str]]:
        return [("default-graph-uri", self.graph), ("named-graph-uri", self.graph)] if self.graph else []

    def _post(self, query: str, dataset: list[tuple[str, str]], accept: str, timeout: float) -> Reply:
        """Send ``query``; the reply is a 200 (an error status becomes a :class:`BackendError`)."""
        reply = self._pool.post([("query", query), *dataset], accept, timeout)
        if reply.status == 200:
            return reply
        with reply:
            lines = [line.strip() for line in reply.text().splitlines() if line.strip()]
        detail = lines[0][:500] if lines else "(no message)"
        url = self.endpoint.url
        if reply.status == 400:
            raise BackendError("refused", f"the SPARQL backend refused the query: {detail}")
        if reply.status in (502, 503, 504):
            raise BackendError(
                "unavailable", f"the SPARQL backend {url} is unavailable (it answered {reply.status}): {detail}"
            )
        raise BackendError("failed", f"the SPARQL backend {url} answered {reply.status}: {detail}")

    def _solutions(
        self, query: str, dataset: list[tuple[str, str]], *, ask: bool, keep: int | None, timeout: float
    ) -> tuple[ox.QuerySolutions | ox.QueryBoolean, bool]:
        """The answer to a SELECT or ASK, and whether the backend says it cut it short."""
        with self._post(query, dataset, RESULTS_ACCEPT, timeout) as reply:
            if reply.media_type not in RESULTS_MEDIA_TYPES:
                raise BackendError(
                    "bad-answer",
                    f"the SPARQL backend {self.endpoint.url} answered "
                    f"{reply.media_type or 'untyped data'}, not SPARQL JSON results",
                )
            results = read_results(reply, keep, MAX_READ_BYTES)
            capped = MAX_ROWS_HEADER in reply.headers
        if ask and results.boolean is None:
            # Virtuoso 7.2 answers an ASK that comes with a dataset as a SELECT of ?__ASK_RETVAL:
            # one row (1) for true, none for false.
            results = Results(
                boolean=any(
                    not row or any(t["value"] not in ("0", "false") for t in row.values()) for row in results.rows
                )
            )
        document = results.document()
        try:  # pyoxigraph reads rows lazily: read them all once, so a bad term fails here, not in a caller
            parsed = ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON)
            if isinstance(parsed, ox.QueryBoolean):
                return parsed, False
            for _ in parsed:
                pass
        except (SyntaxError, ValueError) as e:
            raise BackendError("bad-answer", f"the SPARQL backend's results cannot be read: {e}") from None
        return ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON), capped

    def _triples(
        self, query: str, dataset: list[tuple[str, str]], *, keep: int | None, timeout: float
    ) -> tuple[list[ox.Triple], bool]:
        """The answer to a CONSTRUCT or DESCRIBE, and whether the backend says it cut it short."""
        with self._post(query, dataset, GRAPH_ACCEPT, timeout) as reply:
            fmt = GRAPH_MEDIA_TYPES.get(reply.media_type)
            if fmt is None:
                raise BackendError(
                    "bad-answer",
                    f"the SPARQL backend {self.endpoint.url} answered "
                    f"{reply.media_type or 'untyped data'}, not an RDF graph",
                )
            try:
                triples = [quad.triple for quad in islice(ox.parse(reply.stream(MAX_READ_BYTES), format=fmt), keep)]
            except BackendError:
                raise
            except Exception as e:  # the parser's error, or the stream's as the parser passed it on
                if reply.error is not None:  # the stream's own failure (deadline, size)
                    raise reply.error from None
                raise BackendError(
                    "bad-answer", f"the SPARQL backend's {reply.media_type} cannot be read: {e}"
                ) from None
            return triples, MAX_ROWS_HEADER in reply.headers

    # -- the endpoint ------------------------------------------------------------------------------
    def run(self, job: Job, timeout: float) -> Answer:
        """Answer ``job`` from the backend within ``timeout`` seconds, serialized as the executors do.

        The dataset is the job's (the client's ``default-graph-uri``/``named-graph-uri``), else none when
        the query has FROM, else the served graph. At most ``job.limit + 1`` rows are read.
        """
        if job.default_graphs is not None or job.named_graphs is not None:
            dataset = [("default-graph-uri", g) for g in job.default_graphs or ()] + [
                ("named-graph-uri", g) for g in job.named_graphs or ()
            ]
        else:
            dataset = self._served_dataset() if job.union_default_graph else []
        # Relative IRIs resolve against the front-end's IRI, not the backend's (its own BASE, if any, after
        # this one, resolves against it). On the query's first line: the backend's line numbers hold.
        query = f"BASE <{job.base_iri}> {job.query}" if job.base_iri else job.query
        result: ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]
        try:
            if job.form in ("CONSTRUCT", "DESCRIBE"):
                result, capped = self._triples(query, dataset, keep=job.limit + 1, timeout=timeout)
            elif job.form in ("SELECT", "ASK"):
                result, capped = self._solutions(
                    query, dataset, ask=job.form == "ASK", keep=job.limit + 1, timeout=timeout
                )
            else:
                raise QueryFailed(
                    "syntax",
                    "the query must be a SELECT, ASK, CONSTRUCT or DESCRIBE query "
                    "(after its BASE and PREFIX declarations)",
                )
        except BackendError as e:
            raise QueryFailed(QUERY_FAILURES[e.kind], e.message) from None
        answer = serialize_result(result, job)
        if capped and not answer.truncated:  # cut by the backend's own cap, lower than ours
            log.warning(
                "the SPARQL backend cut an answer at its own row limit, below the result limit of %d: "
                "raise it (Virtuoso: ResultSetMaxRows)",
                job.limit,
            )
            answer = answer._replace(truncated=True)
        return answer

    # -- what the pages read (pyoxigraph.Store's API) ----------------------------------------------
    def query(
        self,
        query: str,
        *,
        use_default_graph_as_union: bool = False,
    ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        """Run a trusted query over the served graph: the default graph and the only named graph (so
        ``use_default_graph_as_union``, accepted as the embedded store takes it, changes nothing)."""
        form = inspect_query(query).form
        if form in ("CONSTRUCT", "DESCRIBE"):
            return self._triples(query, self._served_dataset(), keep=None, timeout=self.timeout)[0]
        return self._solutions(query, self._served_dataset(), ask=form == "ASK", keep=None, timeout=self.timeout)[0]

    def _select(self, query: str) -> ox.QuerySolutions:
        result = self._solutions(query, self._served_dataset(), ask=False, keep=None, timeout=self.timeout)[0]
        assert isinstance(result, ox.QuerySolutions)
        return result

    def _ask(self, query: str) -> bool:
        return bool(self._solutions(query, self._served_dataset(), ask=True, keep=None, timeout=self.timeout)[0])

    def _outgoing(self, subject: ox.NamedNode) -> list[ox.Triple] | None:
        """Every triple of ``subject`` (cached), or None for a subject with too many to keep."""
        with self._lock:
            if subject in self._subjects:
                self._subjects.move_to_end(subject)
                return self._subjects[subject]
        rows = list(self._select(f"SELECT ?p ?o WHERE {{ {subject} ?p ?o }} LIMIT {SUBJECT_TRIPLES + 1}"))
        triples = None if len(rows) > SUBJECT_TRIPLES else [ox.Triple(subject, r["p"], r["o"]) for r in rows]
        with self._lock:
            self._subjects[subject] = triples
            while len(self._subjects) > SUBJECT_CACHE:
                self._subjects.popitem(last=False)
        return triples

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        object: ox.NamedNode | ox.BlankNode | ox.Literal | None,
        graph_name: None = None,
    ) -> list[ox.Quad]:
        """The served graph's triples matching the pattern (as quads in that graph). Blank nodes cannot
        be looked up in a later query, so none may be in the pattern: :meth:`cbd` follows them."""
        if graph_name is not None:
            raise ValueError("a remote backend is read in its served graph only")
        if any(isinstance(t, ox.BlankNode) for t in (subject, predicate, object)):
            raise ValueError("a remote backend cannot look up a blank node; use cbd()")
        if isinstance(subject, ox.NamedNode):
            triples = self._outgoing(subject)
            if triples is not None:
                return [
                    ox.Quad(t.subject, t.predicate, t.object, self._graph_name)
                    for t in triples
                    if (predicate is None or t.predicate == predicate) and (object is None or t.object == object)
                ]
        terms = {"s": subject, "p": predicate, "o": object}
        pattern = " ".join(str(t) if t is not None else f"?{v}" for v, t in terms.items())
        rows = self._select(f"SELECT * WHERE {{ {pattern} }}")
        return [
            ox.Quad(
                subject if subject is not None else row["s"],
                predicate if predicate is not None else row["p"],
                object if object is not None else row["o"],
                self._graph_name,
            )
            for row in rows
        ]

    def contains(
        self, subject: ox.NamedNode | None, predicate: ox.NamedNode | None, object: ox.NamedNode | ox.Literal | None
    ) -> bool:
        """Whether any triple matches (an ASK, unless the subject's triples are at hand)."""
        if isinstance(subject, ox.NamedNode):
            return bool(self.quads_for_pattern(subject, predicate, object))
        pattern = " ".join(
            str(t) if t is not None else f"?{v}" for v, t in zip("spo", (subject, predicate, object), strict=True)
        )
        return self._ask(f"ASK {{ {pattern} }}")

    def named_graphs(self) -> list[ox.NamedNode]:
        """The served graph if it holds anything; with the engine's default graph, the engine's graphs."""
        if self.graph:
            found = self._ask(f"ASK {{ GRAPH {self._graph_name} {{ ?s ?p ?o }} }}")
            return [ox.NamedNode(self.graph)] if found else []
        rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return [row["g"] for row in rows if isinstance(row["g"], ox.NamedNode)]

    def cbd(self, iri: str) -> list[ox.Triple]:
        """The concise bounded description of ``iri``: its triples and, recursively, those of the blank
        nodes among their objects, read in one query (labels are consistent within one answer only)
        that follows blank nodes ``depth`` deep, and again deeper while the deepest still lead on."""
        node = ox.NamedNode(iri)
        own = self._outgoing(node)
        if own is not None and not any(isinstance(t.object, ox.BlankNode) for t in own):
            return list(own)
        depth = CBD_DEPTH
        while True:
            rows = list(self._select(_cbd_query(node, depth)))
            deeper = any(int(row["d"].value) == depth and isinstance(row["o"], ox.BlankNode) for row in rows)
            if not deeper or depth >= MAX_CBD_DEPTH:
                if deeper:
                    log.warning("the description of %s goes deeper than %d blank nodes; cut there", iri, depth)
                return list({(r["s"], r["p"], r["o"]): ox.Triple(r["s"], r["p"], r["o"]) for r in rows}.values())
            depth *= 2


def _cbd_query(node: ox.NamedNode, depth: int) -> str:
    """One SELECT of ``?s ?p ?o ?d``: the triples of ``node`` (``?d`` 0) and of every blank node
    reached from it through blank nodes only, ``?d`` steps away, up to ``depth``.

    >>> print(_cbd_query(ox.NamedNode("urn:x"), 2))
    SELECT ?s ?p ?o ?d WHERE {
      { VALUES (?s ?d) { (<urn:x> 0) } ?s ?p ?o }
      UNION { VALUES ?d { 1 } <urn:x> ?q1 ?s . FILTER(isBlank(?s)) ?s ?p ?o }
      UNION { VALUES ?d { 2 } <urn:x> ?q1 ?b1 . FILTER(isBlank(?b1)) ?b1 ?q2 ?s . FILTER(isBlank(?s)) ?s ?p ?o }
    }
    """
    branches = [f"{{ VALUES (?s ?d) {{ ({node} 0) }} ?s ?p ?o }}"]
    for d in range(1, depth + 1):
        steps, previous = [], str(node)
        for k in range(1, d + 1):
            var = "?s" if k == d else f"?b{k}"
            steps.append(f"{previous} ?q{k} {var} . FILTER(isBlank({var}))")
            previous = var
        branches.append(f"UNION {{ VALUES ?d {{ {d} }} {' '.join(steps)} ?s ?p ?o }}")
    return "SELECT ?s ?p ?o ?d WHERE {\n" + "".join(f"  {b}\n" for b in branches) + "}"
