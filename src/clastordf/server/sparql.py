"""The SPARQL 1.1 Protocol endpoint at ``/sparql``: read-only, time-limited, size-capped.

* Queries come by GET ``?query=``, POST form (``query=``) or POST ``application/sparql-query``, with
  optional ``default-graph-uri``/``named-graph-uri``; without them the default graph is the union of all
  graphs (unless the query has its own FROM). GET without a query answers the service description.
* Results are negotiated from ``Accept`` (q-values respected) or a ``format`` parameter that wins:
  SELECT/ASK as SPARQL JSON (default), XML, CSV or TSV; CONSTRUCT/DESCRIBE as Turtle (default),
  N-Triples, JSON-LD or RDF/XML. A browser (``Accept: text/html`` without any offered type) gets the
  default format rather than a 406.
* Read-only and safe: SPARQL Update and LOAD are refused before anything runs (and the store is open
  read-only anyway). SERVICE is refused unless its IRI is in ``service_allowlist``: a tokenizer that
  skips strings, comments and IRIs finds every possible SERVICE keyword (case-insensitive, ``\\u``
  escapes, glued forms like ``SERVICE:x``), rdflib's SPARQL parser must agree, and without an
  allow-list the executor processes run without network where the OS allows it.
* Before anything parses a query, its text is measured (:mod:`.query_limits`): nested groups, brackets
  and path closures and its tokens over the configured limits are a 400 that names the limit, so no
  parser (ours, rdflib's, a remote backend's) meets a query nested deep enough to overflow its stack.
* Queries are admitted first (:mod:`.admission`): a bounded number per worker (503 beyond it) and per
  client (429), both with ``Retry-After``; answers from the cache need no slot.
* A query whose answer the data provably bounds to a few rows (constant subjects, no paths or
  filters: :mod:`.bounded`) is answered in the web worker itself, like a page: no slot, no executor.
* Other queries run in executor processes (:mod:`.executor`), killed at ``query_timeout``, at the
  executors' memory limit (503 naming it), or after ``long_query`` seconds when the executors for
  long queries are all taken (503 + ``Retry-After``); with a remote
  backend (:mod:`.backend`) they are sent there instead, after the same checks (and one more: no
  engine-specific ``bif:``/``sql:`` functions, through which Virtuoso reaches SQL), with
  ``query_timeout`` as the deadline for its whole answer, which is read back and written out here, so
  formats, caps and headers stay the endpoint's own whatever the engine.
* An answer holds at most ``result_limit`` rows or triples. Every query answer carries
  ``X-Result-Limit: N`` and ``X-Result-Truncated: true|false``; a capped one also a ``Warning: 199``
  header. The body stays a valid document of its format (the formats have no place for such a note).
* Status codes: 400 bad request (syntax error with the parser's message, missing/duplicate/empty query,
  bad parameter), 403 SPARQL Update/LOAD or a SERVICE that is not allow-listed, 405 other methods,
  406 no acceptable format, 413 request over ``max_request_bytes``, 415 unsupported POST body,
  422 a result too large to send, 429 the client has too many queries running, 502 an allow-listed
  SERVICE failed (or the remote backend gave an error or an unreadable answer), 503 time or memory
  limit reached, server busy or the remote backend unavailable. Error bodies are one line of plain
  text; there is never a stack trace.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request, url_for
from werkzeug.datastructures import CombinedMultiDict, MIMEAccept, MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_accept_header

from .admission import Admission, Refused
from .bounded import answer_here, read_point_query, within
from .cache import Cached, ResponseCache, freeze
from .context import state
from .engine import ServedStore
from .executor import (
    GRAPH_FORMATS,
    RESULTS_FORMATS,
    RETRY_AFTER,
    ExecutorLimits,
    ExecutorPool,
    Job,
    QueryFailed,
    QueryRunner,
)
from .front import REUSE
from .query_limits import QueryTooComplex, check_query, plainly_within
from .query_text import UPDATE_FORMS, QueryInfo, count_tokens, engine_functions, inspect_query
from .service_description import DatasetStats, dataset_stats, describe, serialize
from .sparql_client import BackendError

log = logging.getLogger(__name__)

bp = Blueprint("sparql", __name__)

#: Where the app keeps this worker's :class:`ExecutorPool` (made on first use).
EXECUTOR_KEY = "clastordf_executor"
STATS_KEY = "clastordf_sparql_stats"
CACHE_KEY = "clastordf_sparql_cache"
#: Where the app keeps this worker's :class:`~.admission.Admission` (made on first use).
ADMISSION_KEY = "clastordf_sparql_admission"
ALLOW = "GET, HEAD, POST, OPTIONS"
#: Methods routed here so that they get this blueprint's 405 (with Allow) rather than Flask's HTML one.
_ROUTE_METHODS = ("GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH")
EXPOSED_HEADERS = "X-Result-Limit, X-Result-Truncated, Warning"
UPDATE_REFUSED = "SPARQL Update is not allowed: this endpoint is read-only"
_lock = threading.Lock()


class EndpointError(Exception):
    """An answer other than 200, with a one-line plain-text message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


_rdflib_lock = threading.Lock()
#: Tokens a query that mentions "service" may have: rdflib's parser, which must agree on its SERVICE
#: calls, reads about one token a millisecond in the web worker (2,500 took 2.5 s), one query at a time.
SERVICE_CHECK_TOKENS = 1000


def _rdflib_services(query: str) -> list[str | None] | None:
    """The SERVICE targets rdflib's SPARQL parser finds, or None when it cannot parse the query: a second
    opinion from a real grammar, where the tokenizer's reading of ``<`` (IRI or less-than) may differ."""
    try:
        from pyparsing import ParseResults
        from rdflib import Variable
        from rdflib.plugins.sparql.algebra import translatePrologue
        from rdflib.plugins.sparql.parser import parseQuery
        from rdflib.plugins.sparql.parserutils import CompValue

        with _rdflib_lock:
            tree = parseQuery(query)
        prologue = translatePrologue(tree[0], None)
    except Exception:  # also RecursionError on long queries
        return None
    found: list[str | None] = []
    stack: list[object] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                term = node.get("term")
                try:
                    found.append(None if term is None or isinstance(term, Variable) else str(prologue.absolutize(term)))
                except Exception:
                    found.append(None)
            stack.extend(dict.values(node))
        elif isinstance(node, list | tuple | ParseResults):
            stack.extend(node)
    return found


def check_services(query: str, info: QueryInfo, allowlist: tuple[str, ...]) -> bool:
    """Raise 403 unless every SERVICE the query may call is allow-listed; True if it calls any.

    Both the tokenizer and rdflib's parser must agree; a query that mentions "service" but that rdflib
    cannot parse is refused too, since then nobody has checked it.
    """
    if not info.mentions_service:
        return False
    allowed = set(allowlist)
    listed = ", ".join(allowlist) if allowlist else "none"

    def refuse(target: str | None) -> EndpointError:
        what = f"SERVICE <{target}>" if target else "a SERVICE whose endpoint is not a fixed, absolute IRI"
        return EndpointError(
            403, f"{what} is not allowed: this endpoint calls only allow-listed SPARQL endpoints (allowed: {listed})"
        )

    for target in info.services:
        if target not in allowed:
            raise refuse(target)
    if count_tokens(query) > SERVICE_CHECK_TOKENS:
        raise EndpointError(
            403,
            f"the query mentions 'service' and has more than {SERVICE_CHECK_TOKENS} tokens, more than the "
            "endpoint's SERVICE check reads, so it is refused; SERVICE calls are allowed only to: " + listed,
        )
    second = _rdflib_services(query)
    if second is None:
        raise EndpointError(
            403,
            "the query mentions 'service' and the endpoint's SERVICE check could not parse "
            "it, so it is refused; SERVICE calls are allowed only to: " + listed,
        )
    for target in second:
        if target not in allowed:
            raise refuse(target)
    return bool(info.services or second)


# --- content negotiation ----------------------------------------------------------------------------

SRJ, SRX, CSV, TSV = RESULTS_FORMATS
TTL, NT, JSONLD, RDFXML = GRAPH_FORMATS
RESULTS_ALIASES = {"application/json": SRJ, "application/xml": SRX, "text/xml": SRX}
GRAPH_ALIASES = {
    "application/x-turtle": TTL,
    "text/plain": NT,
    "application/json": JSONLD,
    "application/xml": RDFXML,
    "text/xml": RDFXML,
}
FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": (SRJ, JSONLD),
    "xml": (SRX, RDFXML),
    "csv": (CSV, None),
    "tsv": (TSV, None),
    "turtle": (None, TTL),
    "ttl": (None, TTL),
    "nt": (None, NT),
    "ntriples": (None, NT),
    "n-triples": (None, NT),
    "jsonld": (None, JSONLD),
    "json-ld": (None, JSONLD),
    "rdfxml": (None, RDFXML),
    "rdf-xml": (None, RDFXML),
    "rdf": (None, RDFXML),
}


@dataclass(frozen=True)
class Choice:
    """The media type to answer SELECT/ASK with and the one for RDF graphs (None: nothing acceptable)."""

    results: str | None
    graph: str | None


DEFAULT_CHOICE = Choice(SRJ, TTL)


def _lists_html(accept: MIMEAccept) -> bool:
    return any(
        q > 0 and value.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml") for value, q in accept
    )


def _best(accept: MIMEAccept, canonical: tuple[str, ...], aliases: dict[str, str], default: str) -> str | None:
    """The client's best canonical type; else the best alias (``application/json`` ...); else, for a
    browser, the default (a browser lists text/html, which the endpoint does not serve)."""
    best = accept.best_match(canonical)
    if best is None:
        alias = accept.best_match(tuple(aliases))
        best = aliases[alias] if alias else None
    if best is None and _lists_html(accept):
        best = default
    return best


def negotiate(params: MultiDict[str, str]) -> Choice:
    """The formats to answer with: the ``format`` parameter if given, else the ``Accept`` header."""
    values = params.getlist("format")
    if len(values) > 1:
        raise EndpointError(400, "give at most one format parameter")
    if values:
        key = values[0].strip().lower()
        if key in FORMAT_NAMES:
            return Choice(*FORMAT_NAMES[key])
        media = key.split(";", 1)[0].strip().replace(" ", "+")  # '+' arrives as a space from a URL
        results = media if media in RESULTS_FORMATS else RESULTS_ALIASES.get(media)
        graph = media if media in GRAPH_FORMATS else GRAPH_ALIASES.get(media)
        if results or graph:
            return Choice(results, graph)
        raise EndpointError(400, f"unknown format {values[0]!r}; use one of {', '.join(FORMAT_NAMES)} or a media type")
    return _choice_for(request.headers.get("Accept", ""))


@functools.lru_cache(maxsize=256)
def _choice_for(accept_header: str) -> Choice:
    """The formats an ``Accept`` header asks for; kept, as clients send few distinct headers and
    weighing q-values is most of the cost of negotiating (256 at most: a header is at most a few KB)."""
    if not accept_header.strip():
        return DEFAULT_CHOICE
    accept = parse_accept_header(accept_header, MIMEAccept)
    return Choice(
        _best(accept, tuple(RESULTS_FORMATS), RESULTS_ALIASES, SRJ),
        _best(accept, tuple(GRAPH_FORMATS), GRAPH_ALIASES, TTL),
    )


def _not_acceptable(what: str, offered: Mapping[str, object]) -> EndpointError:
    return EndpointError(406, f"{what} is available as {', '.join(offered)}; none of these is acceptable")


# --- the request -------------------------------------------------------------------------------------


#: The charsets a POST body may declare: the protocol's media types are UTF-8 (US-ASCII is a part of it).
UTF8_CHARSETS = ("utf-8", "us-ascii")


def _utf8_params(raw: bytes, where: str) -> None:
    """400 unless the URL-encoded parameters ``raw`` are UTF-8, as the protocol has them: werkzeug would
    keep the bytes of another encoding as ``%XX`` text, and the query would silently be another."""
    try:
        parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise EndpointError(400, f"the {where} is not UTF-8: the SPARQL protocol's parameters are UTF-8") from None


def _utf8_body() -> None:
    """415 for a POST body that declares a charset other than UTF-8 (the W3C test bad_query_non_utf8)."""
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower() not in UTF8_CHARSETS:
        raise EndpointError(
            415, f"{request.mimetype} must be UTF-8 (charset=utf-8), not {charset}: the SPARQL protocol is UTF-8 only"
        )


def _read_request() -> tuple[MultiDict[str, str], str | None]:
    """The protocol parameters, and the query when it is the POST body itself; all of it UTF-8."""
    _utf8_params(request.query_string, "query string")
    if request.method in ("GET", "HEAD"):
        return request.args, None
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        _utf8_body()
        _utf8_params(request.get_data(cache=True), "form body")  # kept: request.form reads it next
        return CombinedMultiDict([request.form, request.args]), None
    if mimetype == "application/sparql-query":
        _utf8_body()
        try:
            return request.args, request.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError:
            raise EndpointError(400, "the query is not valid UTF-8 text") from None
    if mimetype == "application/sparql-update":
        raise EndpointError(403, UPDATE_REFUSED)
    if not mimetype and not request.get_data(cache=True):
        return request.args, None  # a bare POST with the parameters in the URL
    raise EndpointError(
        415,
        f"a POST body must be application/x-www-form-urlencoded or application/sparql-query, "
        f"not {mimetype or 'untyped'}",
    )


def _graph_params(params: MultiDict[str, str], name: str) -> tuple[str, ...] | None:
    values = params.getlist(name)
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError:
            raise EndpointError(400, f"{name} {value!r} is not an absolute IRI") from None
    return tuple(values) if values else None


def executor_pool() -> ExecutorPool:
    """This worker's executor pool, made on first use (so a forked worker never shares its parent's).
    Only for the embedded store: a remote backend runs queries itself."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    pool = app.extensions.get(EXECUTOR_KEY)
    if pool is None or pool.pid != os.getpid():
        with _lock:
            pool = app.extensions.get(EXECUTOR_KEY)
            if pool is None or pool.pid != os.getpid():
                st = state()
                if st.store_dir is None:
                    raise RuntimeError("there is no embedded store to run queries on: the data is a remote backend")
                config = st.config
                limits = ExecutorLimits(
                    memory_mib=config.executor_memory_mib,
                    nice=config.executor_nice,
                    long_after=config.long_query,
                    reserve=config.executor_reserve,
                )
                pool = ExecutorPool(
                    st.store_dir,
                    config.executors,
                    isolate_network=not config.service_allowlist,
                    limits=limits,
                    spare=bool(config.executor_spare),
                )
                app.extensions[EXECUTOR_KEY] = pool
    return pool


def admission() -> Admission:
    """This worker's query slots (:mod:`.admission`), made on first use."""
    extensions = current_app.extensions
    if ADMISSION_KEY not in extensions:
        config = state().config
        with _lock:
            extensions.setdefault(
                ADMISSION_KEY,
                Admission(config.query_slots, config.client_queries, RETRY_AFTER, config.client_pause),
            )
    return extensions[ADMISSION_KEY]


def _stats() -> DatasetStats:
    extensions = current_app.extensions
    if STATS_KEY not in extensions:
        with _lock:
            if STATS_KEY not in extensions:
                extensions[STATS_KEY] = dataset_stats(state().store)
    return extensions[STATS_KEY]


_FAILURES = {
    "syntax": 400,
    "not-acceptable": 406,
    "too-large": 422,
    "service": 502,
    "timeout": 503,
    "busy": 503,
    "long": 503,
    "memory": 503,
    "crashed": 503,
    "internal": 500,
    "backend-refused": 400,
    "backend-error": 502,
    "backend-down": 503,
}


#: Failures of a query stopped early at one of the server's limits: its client pauses (see
#: :mod:`.admission`). Not the time limit: a query stopped there held a long-query slot, not the
#: executors kept for short queries.
STOPPED = frozenset({"long", "memory"})


def _failure(e: QueryFailed) -> EndpointError:
    status = _FAILURES.get(e.kind, 500)
    if status == 500:
        log.error("query failed in its executor: %s", e.message)
        return EndpointError(500, "internal error while running the query; the details are in the server log")
    if e.kind in ("timeout", "crashed", "memory", "backend-down", "backend-error"):
        log.warning("query %s: %s", e.kind, e.message)
    message = {
        "syntax": f"syntax error in the query: {e.message}",
        "service": f"the SERVICE endpoint could not be queried: {e.message}",
        "timeout": f"{e.message}; make the query more selective or add a LIMIT",
    }.get(e.kind, e.message)
    retry = {"busy": str(RETRY_AFTER), "long": str(RETRY_AFTER), "backend-down": "10"}.get(e.kind)
    return EndpointError(status, message, {"Retry-After": retry} if retry else None)


def _content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def result_cache() -> ResponseCache:
    """This worker's cache of query answers (the store never changes while the process lives)."""
    extensions = current_app.extensions
    if CACHE_KEY not in extensions:
        with _lock:
            extensions.setdefault(CACHE_KEY, ResponseCache())
    return extensions[CACHE_KEY]


def _replay(entry: Cached) -> Response:
    response = Response(entry.body, content_type=entry.content_type, headers=list(entry.headers))
    response.set_etag(entry.etag)
    response.make_conditional(request)  # returns this response, though typed as werkzeug's base class
    return response


def _run_query(query: str, params: MultiDict[str, str]) -> Response:
    config = state().config
    default_graphs = _graph_params(params, "default-graph-uri")
    named_graphs = _graph_params(params, "named-graph-uri")
    choice = negotiate(params)
    # A query answered before was accepted before: same text, same settings, same immutable data.
    key = (query, choice.results, choice.graph, default_graphs, named_graphs)
    cached = result_cache().get(key)
    if cached is not None:
        request.environ[REUSE] = True
        return _replay(cached)
    try:
        if not plainly_within(query, config.query_limits):
            check_query(query, config.query_limits)  # first: every other check, and the parser, comes after
    except QueryTooComplex as e:
        raise EndpointError(400, str(e)) from None
    info = inspect_query(query)
    if info.form == "LOAD":
        raise EndpointError(403, "LOAD is not allowed: this endpoint is read-only and never fetches data from URLs")
    if info.form in UPDATE_FORMS:
        raise EndpointError(403, UPDATE_REFUSED)
    federated = check_services(query, info, config.service_allowlist)
    remote = state().remote
    if remote is not None:
        calls = engine_functions(query)
        if calls:
            raise EndpointError(
                403,
                f"{', '.join(calls[:3])}: engine-specific functions (bif:, sql:) are not "
                f"allowed; this endpoint answers standard SPARQL 1.1 queries only",
            )
    if choice.results is None and (choice.graph is None or info.form in ("SELECT", "ASK")):
        raise _not_acceptable("A SELECT or ASK result", RESULTS_FORMATS)
    if choice.graph is None and info.form in ("CONSTRUCT", "DESCRIBE"):
        raise _not_acceptable("A CONSTRUCT or DESCRIBE result", GRAPH_FORMATS)
    job = Job(
        query,
        choice.results,
        choice.graph,
        config.result_limit,
        default_graphs,
        named_graphs,
        union_default_graph=not info.has_from,
        prefixes=info.prefixes,
        federated=federated,
        form=info.form,
        base_iri=config.base + "sparql",  # this endpoint's IRI (the protocol's tests resolve against it)
    )
    client = request.remote_addr or "unknown"
    try:
        point = read_point_query(query) if remote is None and not federated else None
        store = state().store
        if point is not None and isinstance(store, ServedStore) and within(store.store, point):
            # As cheap as a page: no executor, no query slot (see :mod:`.bounded`).
            answer = answer_here(store, job)
        else:
            with admission().slot(client):
                runner: QueryRunner = remote if remote is not None else executor_pool()
                answer = runner.run(job, config.query_timeout)
    except Refused as e:
        raise EndpointError(e.status, e.message, {"Retry-After": str(e.retry_after)}) from None
    except QueryFailed as e:
        failure = _failure(e)
        if e.kind in STOPPED:
            failure.headers["Retry-After"] = str(admission().stopped(client))
        raise failure from None
    headers = [
        ("X-Result-Limit", str(config.result_limit)),
        ("X-Result-Truncated", "true" if answer.truncated else "false"),
        ("Vary", "Accept"),
    ]
    if answer.truncated:
        unit = "triples" if answer.kind == "graph" else "rows"
        headers.append(
            (
                "Warning",
                f'199 - "result truncated to the first {config.result_limit} {unit}: '
                f'the endpoint answers at most {config.result_limit} per query"',
            )
        )
    entry = freeze(answer.body, _content_type(answer.media_type), headers)
    if not federated:  # a remote endpoint's answer may change; ours does not
        result_cache().put(key, entry)
        request.environ[REUSE] = True
    return _replay(entry)


def _wants_a_page(params: MultiDict[str, str]) -> bool:
    """A browser: ``Accept`` prefers HTML to every RDF format the service description comes in."""
    if params.getlist("format") or not _lists_html(request.accept_mimetypes):
        return False
    best = request.accept_mimetypes.best_match(("text/html", *GRAPH_FORMATS))
    return best == "text/html"


def _service_description(params: MultiDict[str, str]) -> Response:
    config = state().config
    choice = negotiate(params)
    if choice.graph is None:
        raise _not_acceptable("The service description", GRAPH_FORMATS)
    triples = describe(
        request.base_url,
        _stats(),
        media_types=[*RESULTS_FORMATS, *GRAPH_FORMATS],
        federated=bool(config.service_allowlist),
        query_timeout=config.query_timeout,
        result_limit=config.result_limit,
    )
    response = Response(serialize(triples, GRAPH_FORMATS[choice.graph]), content_type=_content_type(choice.graph))
    response.vary.add("Accept")
    return response


def _preflight() -> Response:
    response = Response(status=204)
    del response.headers["Content-Type"]
    response.headers["Allow"] = ALLOW
    response.headers["Access-Control-Allow-Methods"] = ALLOW
    response.headers["Access-Control-Allow-Headers"] = (
        request.headers.get("Access-Control-Request-Headers") or "Accept, Content-Type"
    )
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


@bp.route("/sparql", methods=list(_ROUTE_METHODS))
def endpoint() -> Response:
    """The SPARQL 1.1 Protocol: a query, or (GET without one) the service description."""
    if request.method == "OPTIONS":
        return _preflight()
    if request.method not in ("GET", "HEAD", "POST"):
        raise EndpointError(405, f"{request.method} is not supported here; query with GET or POST", {"Allow": ALLOW})
    limit = state().config.max_request_bytes
    if len(request.query_string) > limit:
        raise EndpointError(413, f"the query string is larger than the limit of {limit} bytes")
    params, body_query = _read_request()
    queries = params.getlist("query")
    if body_query is not None:
        if queries:
            raise EndpointError(400, "the query is the request body; do not also give a query parameter")
        queries = [body_query]
    if params.getlist("update"):
        if queries:
            raise EndpointError(400, "give either a query or an update, not both")
        raise EndpointError(403, UPDATE_REFUSED)
    if not queries:
        if request.method == "POST":
            raise EndpointError(400, "missing query: give a query parameter or an application/sparql-query body")
        if _wants_a_page(params):
            # A person following a link to the endpoint: the query page (which names the endpoint), not
            # the service description's Turtle, which a browser shows as raw text.
            response = Response(status=303, headers={"Location": url_for("query.index")})
            response.vary.add("Accept")
            return response
        return _service_description(params)
    if len(queries) > 1:
        raise EndpointError(400, "give exactly one query")
    if not queries[0].strip():
        raise EndpointError(400, "the query is empty")
    return _run_query(queries[0], params)


# --- every answer -------------------------------------------------------------------------------------


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    # One line, always: a parser's message may span several (pyoxigraph's list of expected tokens does).
    response = Response(" ".join(message.split()) + "\n", status=status, content_type="text/plain; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@bp.errorhandler(EndpointError)
def _endpoint_error(e: EndpointError) -> Response:
    return _text(e.status, e.message, e.headers)


@bp.errorhandler(BackendError)
def _backend_error(e: BackendError) -> Response:
    """The remote backend failed outside a query (the service description's counts)."""
    log.warning("SPARQL backend: %s", e.message)
    return _text(
        502 if e.kind in ("failed", "bad-answer", "refused") else 503,
        e.message,
        {"Retry-After": "10"} if e.kind == "unavailable" else None,
    )


@bp.errorhandler(HTTPException)
def _http_error(e: HTTPException) -> Response:
    if e.code == 413:
        message = f"the request is larger than the limit of {state().config.max_request_bytes} bytes"
    else:
        message = e.description or e.name
    headers = {k: v for k, v in e.get_headers() if k.lower() not in ("content-type", "content-length")}
    return _text(e.code or 500, message, headers)


@bp.errorhandler(Exception)
def _unexpected(e: Exception) -> Response:
    log.exception("unexpected error answering %s %s", request.method, request.path)
    return _text(500, "internal server error; the details are in the server log")


@bp.after_request
def _cors(response: Response) -> Response:
    """Anyone may query from a web page: the endpoint is public and read-only."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response
