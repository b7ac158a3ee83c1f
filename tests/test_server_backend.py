"""``clastordf serve --backend sparql:URL``: the front-end over a remote SPARQL endpoint answers ``/sparql``
and renders the pages as it does over the embedded store.

Real engines: ``oxigraph serve-read-only`` (PyPI ``oxigraph``) over the build, and Debian's Virtuoso with a
release loaded by ``clastordf.virtuoso.load_release`` and served as a release; each is started once per
module and stopped afterwards. Fake endpoints on loopback do what a real engine cannot be made to do on
demand: show the requests it got, answer slowly, answer badly, or not be there at all.
"""

from __future__ import annotations

import ctypes
import doctest
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode
from urllib.request import Request, urlopen

import pyoxigraph
import pytest
import rdflib
from rdflib.compare import isomorphic

from clastordf.cli import main
from clastordf.release.layout import SUMS_FILE, sums_text
from clastordf.release.virtuoso import DUMP_FILE, load_release
from clastordf.server import BackendStatus, backend, check_backend, create_app, query_text, sparql, sparql_client
from clastordf.server.config import ServerConfig
from clastordf.server.store import dataset_version
from clastordf.vocab import BASE, dataset_graph

from .conftest import REPO
from .sparql_answers import group_concat_separators
from .test_server_sparql import TOO_DEEP
from .virtuoso_server import free_port, running_virtuoso

EXAMPLES = sorted((REPO / "queries").glob("*.rq"))
SRJ = "application/sparql-results+json"
XSD = "http://www.w3.org/2001/XMLSchema#"
CLASTO = "https://w3id.org/clastordf/vocab#"
FACT_LABELS = (
    f"PREFIX clasto: <{CLASTO}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "SELECT ?f ?label WHERE { ?f a clasto:ClastokineFact ; rdfs:label ?label } ORDER BY ?f"
)
ALL_TRIPLES = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
#: Pages whose every byte must be the same whichever store answers.
PAGES = (
    "/",
    "/facts",
    "/facts.json",
    "/facts.csv",
    "/facts.json?contested=true",
    "/facts?category=PutativeClastokines&contested=false",
    "/fact/CF0200",
    "/fact/CF0320",
    "/fact/CF0320-c1",
    "/fact/CF0405",
    "/fact/CF0100",
    "/evidence/E0658",
    "/complex/LIFR-IL6ST",
    "/vocab",
    "/dataset",
    "/query?example=contested-facts&run=1",
    "/entity?iri=https%3A%2F%2Fidentifiers.org%2Funiprot%2FQ9NYA1",
    "/term?iri=http%3A%2F%2Fpurl.obolibrary.org%2Fobo%2FCL_0000092",
    "/.well-known/void",
)
#: RDF documents with blank nodes (OWL axioms, RDF lists): equal up to blank node labels.
RDF_DOCUMENTS = ("/vocab.ttl", "/fact/CF0200.ttl", "/sparql")


# --- comparing answers --------------------------------------------------------------------------------


def term(binding: dict | None, separator: str | None) -> tuple | None:
    """A SPARQL JSON term to compare: blank node labels are local to an answer, a language tag is
    case-insensitive, and GROUP_CONCAT values are multisets."""
    if binding is None:
        return None
    if binding["type"] == "bnode":
        return ("bnode",)
    if binding["type"] == "uri":
        return ("uri", binding["value"])
    value = binding["value"]
    parts = tuple(sorted(value.split(separator))) if separator is not None else value
    return ("literal", parts, binding.get("datatype", XSD + "string"), binding.get("xml:lang", "").lower())


def answer(response, query: str) -> tuple[list[str], Counter] | bool:
    """The JSON answer of ``/sparql`` as (variables, multiset of rows), or the ASK boolean."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == SRJ
    results = json.loads(response.data)
    if "boolean" in results:
        return results["boolean"]
    names = results["head"]["vars"]
    separators = group_concat_separators(query)
    rows = Counter(tuple(term(b.get(n), separators.get(n)) for n in names) for b in results["results"]["bindings"])
    return names, rows


def ask(client, query: str, accept: str = SRJ, **params: str):
    return client.get("/sparql", query_string={"query": query, **params}, headers={"Accept": accept})


def one_line(response) -> str:
    """A plain-text error of the endpoint: one line, never a stack trace."""
    assert response.mimetype == "text/plain"
    message = response.get_data(as_text=True)
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    return message


def rdf_graph(response) -> rdflib.Graph:
    assert response.status_code == 200, response.get_data(as_text=True)
    return rdflib.Graph().parse(data=response.get_data(), format="turtle")


def assert_pages_equal(remote, embedded) -> None:
    for path in PAGES:
        mine, theirs = remote.get(path), embedded.get(path)
        assert mine.status_code == theirs.status_code == 200, path
        assert mine.content_type == theirs.content_type and mine.data == theirs.data, path
    for path in RDF_DOCUMENTS:
        assert isomorphic(rdf_graph(remote.get(path)), rdf_graph(embedded.get(path))), path


# --- engines and fakes ----------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGTERM when the test process dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def oxigraph_cli() -> str:
    """The ``oxigraph`` program of the ``oxigraph`` package (a test dependency)."""
    found = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
    if found is None:
        pytest.fail("the oxigraph server is missing: pip install -c constraints.txt -e '.[test]'", pytrace=False)
    return found


def wait_until(url: str, proc: subprocess.Popen, what: str, timeout: float = 60.0) -> bytes:
    """The body at ``url`` once it answers 200; fails with the server's exit status if it dies first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urlopen(url, timeout=2) as response:  # noqa: S310 - a local test server
                return response.read()
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} did not come up (exit status {proc.poll()})")
        time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def graph(real_build_dir: Path) -> str:
    """The graph a front-end serving the build asks its backend for."""
    return dataset_graph(dataset_version(real_build_dir / "clastordf.ttl"))


@pytest.fixture(scope="module")
def oxigraph_url(real_build_dir: Path, graph: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``oxigraph serve-read-only`` over a store holding the build in its release graph (its default
    graph stays empty: Oxigraph's default graph is not the union of its graphs)."""
    cli = oxigraph_cli()
    location = tmp_path_factory.mktemp("oxigraph-server") / "db"
    subprocess.run(
        [cli, "load", "--location", str(location), "--file", str(real_build_dir / "clastordf.ttl"), "--graph", graph],
        check=True,
        capture_output=True,
    )
    port = free_port()
    proc = subprocess.Popen(
        [cli, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
    )
    try:
        url = f"http://127.0.0.1:{port}/query"
        wait_until(f"{url}?{urlencode({'query': 'ASK {}'})}", proc, "oxigraph serve-read-only")
        yield url
    finally:
        stop(proc)
    assert proc.poll() is not None, f"oxigraph (pid {proc.pid}) still runs"


@pytest.fixture(scope="module")
def oxigraph_app(server_config: ServerConfig, oxigraph_url: str):
    """The front-end over the build, its data from the Oxigraph server (settings as the embedded ``app``)."""
    app = create_app(replace(server_config, backend=f"sparql:{oxigraph_url}"))
    yield app
    app.extensions["clastordf"].store.close()
    assert sparql.EXECUTOR_KEY not in app.extensions, "a remote backend needs no query executors"


@pytest.fixture
def remote(oxigraph_app):
    return oxigraph_app.test_client()


@dataclass
class Recorded:
    """One request a fake backend got."""

    method: str
    content_type: str
    accept: str
    params: dict[str, list[str]]


Reply = tuple[int, str, bytes]


class FakeBackend(ThreadingHTTPServer):
    """A SPARQL endpoint on loopback that records the requests and answers what ``reply`` returns (with
    ``headers``), after ``delay`` seconds, or byte by byte when ``trickle`` is set (keep-alive, like the
    real ones, unless ``hang_up`` is set: then it closes each connection after its answer, unannounced)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _FakeHandler)
        self.requests: list[Recorded] = []
        self.connections = 0
        self.delay = 0.0
        self.trickle = False
        self.headers: dict[str, str] = {}
        self.hang_up = False
        self.reply: Callable[[Recorded], Reply] = results([])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sparql"


class _FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeBackend

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        recorded = Recorded(
            "POST",
            self.headers.get("Content-Type", ""),
            self.headers.get("Accept", ""),
            parse_qs(body, keep_blank_values=True),
        )
        self.server.requests.append(recorded)
        status, media_type, data = self.server.reply(recorded)
        time.sleep(self.server.delay)
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in self.server.headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            if self.server.trickle:
                for i in range(len(data)):
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                    time.sleep(0.2)
            else:
                self.wfile.write(data)
        except OSError:  # the front-end gave up on the answer
            self.close_connection = True
        if self.server.hang_up:
            self.close_connection = True

    def do_GET(self) -> None:
        self.server.requests.append(Recorded("GET", "", self.headers.get("Accept", ""), {}))
        self.send_error(405)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeBackend]:
    server = FakeBackend()
    thread = threading.Thread(target=server.serve_forever, name="fake-sparql-backend", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def fake_app(server_config: ServerConfig, fake_server: FakeBackend):
    app = create_app(replace(server_config, backend=f"sparql:{fake_server.url}", query_timeout=1.0))
    yield app
    app.extensions["clastordf"].store.close()


@pytest.fixture
def fake(fake_server: FakeBackend, fake_app) -> FakeBackend:
    """The fake backend, reset, with the answers of its app forgotten."""
    fake_server.requests.clear()
    fake_server.delay, fake_server.trickle, fake_server.headers, fake_server.hang_up = 0.0, False, {}, False
    fake_app.extensions.pop(sparql.CACHE_KEY, None)
    return fake_server


def results(variables: list[str], *rows: dict) -> Callable[[Recorded], Reply]:
    body = json.dumps({"head": {"link": [], "vars": variables}, "results": {"distinct": False, "bindings": rows}})
    return lambda _: (200, SRJ, body.encode())


# --- through oxigraph serve: the same answers ----------------------------------------------------------


@pytest.mark.parametrize("query_file", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_queries_answer_as_the_embedded_store(remote, client, query_file):
    query = query_file.read_text(encoding="utf-8")
    expected = answer(ask(client, query), query)
    assert expected[1], f"{query_file.name} answers nothing: the comparison would prove nothing"
    assert answer(ask(remote, query), query) == expected
    posted = remote.post(
        "/sparql", data=query.encode(), headers={"Content-Type": "application/sparql-query", "Accept": SRJ}
    )
    assert answer(posted, query) == expected


@pytest.mark.parametrize("accept", [SRJ, "application/sparql-results+xml", "text/csv", "text/tab-separated-values"])
def test_every_results_format_is_written_as_the_embedded_store_writes_it(remote, client, accept):
    mine, theirs = ask(remote, FACT_LABELS, accept), ask(client, FACT_LABELS, accept)
    assert mine.status_code == theirs.status_code == 200
    assert mine.content_type == theirs.content_type and mine.data == theirs.data
    assert mine.headers["X-Result-Truncated"] == "false" and mine.headers["X-Result-Limit"] == "500"


@pytest.mark.parametrize(
    "accept", ["application/n-triples", "text/turtle", "application/ld+json", "application/rdf+xml"]
)
def test_graph_answers_are_the_embedded_stores(remote, client, accept):
    query = (
        f"PREFIX clasto: <{CLASTO}> CONSTRUCT {{ ?f a clasto:ClastokineFact ; ?p ?o }} WHERE {{ ?f a "
        f"clasto:ClastokineFact ; ?p ?o FILTER(isLiteral(?o)) }}"
    )
    mine, theirs = ask(remote, query, accept), ask(client, query, accept)
    assert mine.status_code == theirs.status_code == 200 and mine.content_type == theirs.content_type
    fmt = {
        "application/n-triples": "nt",
        "text/turtle": "turtle",
        "application/ld+json": "json-ld",
        "application/rdf+xml": "xml",
    }[accept]
    graphs = [rdflib.Graph().parse(data=r.get_data(), format=fmt) for r in (mine, theirs)]
    assert len(graphs[0]) > 100 and isomorphic(*graphs)


def test_ask_and_the_protocol_dataset(remote, client, graph):
    assert answer(ask(remote, "ASK { ?s ?p ?o }"), "") is True
    assert answer(ask(remote, "ASK { <urn:nothing> ?p ?o }"), "") is False
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    for params in ({}, {"default-graph-uri": graph}, {"default-graph-uri": "urn:no-such-graph"}):
        assert answer(ask(remote, count, **params), count) == answer(ask(client, count, **params), count), params
    own = f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}"  # noqa: S608 - SPARQL, not SQL
    assert answer(ask(remote, own), own) == answer(ask(client, own), own)
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert answer(ask(remote, graphs), graphs) == (["g"], Counter({(("uri", graph),): 1}))


def test_relative_iris_resolve_against_the_front_ends_endpoint(remote, client):
    """As over the embedded store (the W3C protocol test query_content_type_construct); Oxigraph would
    resolve them against its own address."""
    for c in (remote, client):
        r = c.post("/sparql", data=b"CONSTRUCT { <s> <p> 1 } WHERE {}", content_type="application/sparql-query")
        assert r.status_code == 200 and r.mimetype == "text/turtle"
        assert set(rdf_graph(r)) == {(rdflib.URIRef(BASE + "s"), rdflib.URIRef(BASE + "p"), rdflib.Literal(1))}
    query = "BASE <http://example.org/a/> SELECT (<b> AS ?x) WHERE {}"
    assert ask(remote, query).data == ask(client, query).data


def test_pages_render_as_over_the_embedded_store(remote, client):
    assert_pages_equal(remote, client)


def test_result_cap_and_its_headers(remote):
    r = ask(remote, ALL_TRIPLES)
    assert len(json.loads(r.data)["results"]["bindings"]) == 500
    assert r.headers["X-Result-Truncated"] == "true" and "199" in r.headers["Warning"]
    r = ask(remote, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "application/n-triples")
    assert len(r.get_data(as_text=True).splitlines()) == 500 and r.headers["X-Result-Truncated"] == "true"
    # The capped answers were left half-read: their connections must not serve the next query.
    r = ask(remote, ALL_TRIPLES + " LIMIT 7")
    assert len(json.loads(r.data)["results"]["bindings"]) == 7 and r.headers["X-Result-Truncated"] == "false"


def test_the_front_end_refuses_what_it_always_refuses(remote):
    for query in (
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "LOAD <http://example.org/data.ttl>",
        "SELECT * WHERE { ?s ?p ?o FILTER(bif:contains(?o, 'bone')) }",
        "PREFIX v: <sql:> SELECT (v:procedure() AS ?x) WHERE {}",
    ):
        r = ask(remote, query)
        assert r.status_code == 403, query
        one_line(r)
    assert remote.post("/sparql", data={"update": "CLEAR ALL"}).status_code == 403


def test_a_query_the_backend_rejects_is_a_400_with_its_message(remote):
    r = ask(remote, "SELECT ?x WHERE { ?x ?y }")
    assert r.status_code == 400
    assert one_line(r).startswith("the SPARQL backend refused the query: ")


def test_health_names_the_backend(remote, client, oxigraph_url, graph):
    health = remote.get("/health")
    assert health.status_code == 200
    body = health.get_json()
    assert body["backend"] == {"kind": "sparql", "endpoint": oxigraph_url, "graph": graph, "status": "ok"}
    embedded = client.get("/health").get_json()
    assert (body["triples"], body["facts"], body["version"]) == (
        embedded["triples"],
        embedded["facts"],
        embedded["version"],
    )


# --- what goes over the wire ------------------------------------------------------------------------------


def test_requests_are_form_posts_with_an_explicit_accept(fake, fake_app, graph):
    client = fake_app.test_client()
    fake.reply = results(["x"], {"x": {"type": "uri", "value": "urn:x"}})
    assert client.get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x ?p ?o }"}).status_code == 200
    # The client's POST of application/sparql-query (which Virtuoso 7.2 never answers) goes on as a form.
    posted = client.post(
        "/sparql",
        data=b"SELECT ?x WHERE { ?x ?q ?o }",
        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"},
    )
    assert posted.status_code == 200 and posted.data == b"x\r\nurn:x\r\n"
    fake.reply = lambda _: (200, "application/n-triples", b"<urn:a> <urn:b> <urn:c> .\n")
    assert client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}).status_code == 200
    fake.reply = results(["x"])
    from_graph = f"SELECT ?x FROM <{graph}> WHERE {{ ?x ?p ?o }}"  # noqa: S608 - SPARQL, not SQL
    client.get("/sparql", query_string={"query": from_graph})
    client.get(
        "/sparql",
        query_string={
            "query": "SELECT ?x WHERE { ?x ?r ?o }",
            "default-graph-uri": "urn:g1",
            "named-graph-uri": ["urn:g2", "urn:g3"],
        },
    )
    assert [(r.method, r.content_type.split(";")[0]) for r in fake.requests] == [
        ("POST", "application/x-www-form-urlencoded")
    ] * 5
    assert [r.accept.split(",")[0] for r in fake.requests] == [SRJ, SRJ, "application/n-triples", SRJ, SRJ]
    served = {"default-graph-uri": [graph], "named-graph-uri": [graph]}
    datasets = [{k: v for k, v in r.params.items() if k != "query"} for r in fake.requests]
    assert datasets == [
        served,
        served,
        served,
        {},
        {"default-graph-uri": ["urn:g1"], "named-graph-uri": ["urn:g2", "urn:g3"]},
    ]
    # As the client wrote it, after a BASE: relative IRIs resolve against the front-end's endpoint.
    assert fake.requests[1].params["query"] == [f"BASE <{BASE}sparql> SELECT ?x WHERE {{ ?x ?q ?o }}"]


def test_connections_to_the_backend_are_reused(fake, fake_app):
    client = fake_app.test_client()
    fake.reply = results(["x"], {"x": {"type": "literal", "value": "a"}})
    before = fake.connections
    for i in range(5):
        assert client.get("/sparql", query_string={"query": f"SELECT ?x WHERE {{ ?x ?p {i} }}"}).status_code == 200
    assert len(fake.requests) == 5 and fake.connections - before <= 1
    # A kept-alive connection the backend has closed meanwhile: the query goes again on a new one.
    fake.hang_up = True
    for i in range(5, 8):
        assert client.get("/sparql", query_string={"query": f"SELECT ?x WHERE {{ ?x ?p {i} }}"}).status_code == 200
    assert len(fake.requests) == 8


def test_every_stale_connection_in_the_pool_is_replaced(fake):
    """Several pooled connections the backend closed at once (Virtuoso does, under load): the retry
    goes on a new connection, not on the next stale one from the pool."""
    pool = sparql_client.ConnectionPool(sparql_client.Endpoint.parse(fake.url))
    fake.hang_up = True
    replies = [pool.post([("query", f"ASK {{ ?s ?p {i} }}")], SRJ, 5.0) for i in range(3)]  # 3 at once
    for reply in replies:
        reply.read()
        reply.close()  # back to the pool, each already closed by the backend
    before = fake.connections
    for i in range(3):
        with pool.post([("query", f"ASK {{ ?s ?q {i} }}")], SRJ, 5.0) as reply:
            assert reply.status == 200
    assert fake.connections - before == 3
    pool.close()


def test_virtuosos_answers_are_normalised(fake, fake_app):
    """Virtuoso 7.2 writes SPARQL 1.0 ``typed-literal`` terms, blank nodes as ``nodeID://…`` and answers an
    ASK with a dataset as a SELECT of ``?__ASK_RETVAL``; the front-end answers in SPARQL 1.1 all the same."""
    client = fake_app.test_client()
    fake.reply = results(
        ["n", "s", "b"],
        {
            "n": {"type": "typed-literal", "datatype": XSD + "integer", "value": "7"},
            "s": {"type": "typed-literal", "value": "plain"},
            "b": {"type": "bnode", "value": "nodeID://b10006"},
        },
    )
    row = json.loads(client.get("/sparql", query_string={"query": "SELECT ?n ?s ?b WHERE { ?n ?s ?b }"}).data)
    (binding,) = row["results"]["bindings"]
    assert binding["n"] == {"type": "literal", "datatype": XSD + "integer", "value": "7"}
    assert binding["s"] == {"type": "literal", "value": "plain"}
    assert binding["b"]["type"] == "bnode" and pyoxigraph.BlankNode(binding["b"]["value"])
    fake.reply = results(
        ["__ASK_RETVAL"], {"__ASK_RETVAL": {"type": "typed-literal", "datatype": XSD + "integer", "value": "1"}}
    )
    assert json.loads(client.get("/sparql", query_string={"query": "ASK { ?s ?p 1 }"}).data) == {
        "head": {},
        "boolean": True,
    }
    fake.reply = results(["__ASK_RETVAL"])
    r = client.get(
        "/sparql", query_string={"query": "ASK { ?s ?p 2 }"}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert b"<boolean>false</boolean>" in r.data
    # An engine that will not write N-Triples answers Turtle, its prefixes and all.
    fake.reply = lambda _: (
        200,
        "text/turtle; charset=UTF-8",
        b'@prefix ex: <http://example.org/> .\nex:a ex:b [ ex:c "d"@EN ] .\n',
    )
    r = client.get(
        "/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "application/n-triples"}
    )
    assert r.status_code == 200 and r.mimetype == "application/n-triples"
    assert len(r.get_data(as_text=True).splitlines()) == 2


def test_virtuosos_own_row_cap_marks_the_answer_truncated(fake, fake_app):
    """Virtuoso cuts answers at its ResultSetMaxRows, saying so only in a header: the front-end passes it on."""
    fake.reply = results(["x"], *({"x": {"type": "literal", "value": str(i)}} for i in range(3)))
    fake.headers = {"X-SPARQL-MaxRows": "3"}
    r = fake_app.test_client().get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x ?p 'capped' }"})
    assert len(json.loads(r.data)["results"]["bindings"]) == 3 and r.headers["X-Result-Truncated"] == "true"


def test_the_time_limit_holds_for_a_slow_backend(fake, fake_app):
    client = fake_app.test_client()
    rows = results(["x"], {"x": {"type": "literal", "value": "late"}})
    triples = lambda _: (200, "application/n-triples", b"<urn:a> <urn:b> <urn:c> .\n")  # noqa: E731
    # Silent, then a byte every 0.2 s (a deadline per socket read alone would never fire), for both readers.
    for n, (reply, delay, trickle) in enumerate([(rows, 3.0, False), (rows, 0.0, True), (triples, 0.0, True)]):
        fake.reply, fake.delay, fake.trickle = reply, delay, trickle
        query = f"SELECT ?x WHERE {{ ?x ?p {n} }}" if reply is rows else f"CONSTRUCT WHERE {{ ?x ?p {n} }}"
        start = time.monotonic()
        r = client.get("/sparql", query_string={"query": query})
        took = time.monotonic() - start
        assert r.status_code == 503 and "time limit of 1 s" in one_line(r), query
        assert took < 2.0, f"{query}: answered after {took:.1f}s, with a time limit of 1 s"
    fake.reply, fake.delay, fake.trickle = rows, 0.0, False
    assert client.get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x ?p 9 }"}).status_code == 200


@pytest.mark.parametrize(
    ("status", "media_type", "body", "expected"),
    [
        (
            500,
            "text/plain",
            b"Virtuoso 42000 Error SR186: No permission\n\nSPARQL query: ...",
            "answered 500: Virtuoso",
        ),
        (200, "text/html", b"<html>an HTML page</html>", "answered text/html, not SPARQL JSON results"),
        (200, SRJ, b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": ', "not valid JSON"),
        (
            200,
            SRJ,
            b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "uri", "value": "not an iri"}}]}}',
            "cannot be read",
        ),
    ],
)
def test_a_bad_answer_from_the_backend_is_a_502(fake, fake_app, status, media_type, body, expected):
    fake.reply = lambda _: (status, media_type, body)
    r = fake_app.test_client().get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x ?p ?o }"})
    assert r.status_code == 502 and expected in one_line(r)


def test_refused_queries_never_reach_the_backend(fake, fake_app):
    client = fake_app.test_client()
    for query in (
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "DELETE WHERE { ?s ?p ?o }",
        "SELECT * WHERE { ?s ?p ?o FILTER(<bif:contains>(?o, 'x')) }",
    ):
        assert client.get("/sparql", query_string={"query": query}).status_code == 403
    unacceptable = client.get("/sparql", query_string={"query": "SELECT ?x"}, headers={"Accept": "text/turtle"})
    assert unacceptable.status_code == 406
    assert fake.requests == []


def test_queries_over_the_nesting_limits_never_reach_the_backend(fake, fake_app):
    """One 6 KB nested query forwarded as it was took ``oxigraph serve`` down until restarted."""
    client = fake_app.test_client()
    for query, message in [*TOO_DEEP, ("ASK { FILTER(" + "(" * 3000 + "1" + ")" * 3000 + ") }", "3001 deep")]:
        for response in (
            client.get("/sparql", query_string={"query": query}),
            client.post("/sparql", data=query.encode(), content_type="application/sparql-query"),
        ):
            assert response.status_code == 400 and message in one_line(response)
    assert fake.requests == []


def test_queries_at_the_nesting_limits_leave_the_backend_up(remote):
    """The deepest queries the limits let through are read by ``oxigraph serve``, which stays up."""
    for query in (
        "ASK " + "{" * 64 + "}" * 64,
        "ASK { FILTER(" + "STR(" * 63 + "1" + ")" * 63 + ") }",
        "ASK { FILTER(" + "(" * 63 + "1" + ")" * 63 + ") }",
        "ASK " + "{ " * 64 + "?s <urn:p> " + "[ <urn:p> " * 64 + "?o" + " ]" * 64 + " }" * 64,
        "ASK { ?s " + "(" * 3 + "<urn:p>" + ")*" * 3 + " ?o }",
    ):
        assert ask(remote, query).status_code == 200, query[:40]
    assert len(json.loads(ask(remote, ALL_TRIPLES + " LIMIT 3").data)["results"]["bindings"]) == 3


def test_the_engines_default_graph_is_used_when_asked(server_config, fake):
    app = create_app(replace(server_config, backend=f"sparql:{fake.url}", backend_graph="default"))
    fake.reply = results(["x"])
    assert app.test_client().get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x ?p ?o }"}).status_code == 200
    assert fake.requests[0].params == {"query": [f"BASE <{BASE}sparql> SELECT ?x WHERE {{ ?x ?p ?o }}"]}
    health = app.test_client().get("/health")  # the fake's graph is empty
    assert health.status_code == 503
    assert health.get_json()["backend"] == {
        "kind": "sparql",
        "endpoint": fake.url,
        "status": "empty",
        "graph": "the engine's default graph",
    }
    app.extensions["clastordf"].store.close()


# --- a backend that is not there -------------------------------------------------------------------------


def test_a_backend_that_is_down(server_config, graph):
    url = f"http://127.0.0.1:{free_port()}/sparql"
    client = create_app(replace(server_config, backend=f"sparql:{url}")).test_client()
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert one_line(r).startswith(f"the SPARQL backend {url} is unavailable: ")
    assert client.get("/sparql").status_code == 503  # the service description counts the data
    page = client.get("/fact/CF0200")
    assert page.status_code == 503 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Data service unavailable" in html and url in html and "Traceback" not in html
    rdf = client.get("/fact/CF0200", headers={"Accept": "text/turtle"})
    assert rdf.status_code == 503 and rdf.mimetype == "text/plain"
    health = client.get("/health")
    assert health.status_code == 503
    assert health.get_json()["status"] == "error"
    assert health.get_json()["backend"] == {"kind": "sparql", "endpoint": url, "status": "unavailable", "graph": graph}
    assert client.get("/downloads").status_code == 200  # files need no backend


def test_check_backend_counts_the_served_graph(server_config, oxigraph_url, graph, real_build_dir):
    """What `serve --backend` says before serving: the triples of the graph the pages will query."""
    data = pyoxigraph.Store()
    data.bulk_load(path=str(real_build_dir / "clastordf.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    status = check_backend(replace(server_config, backend=f"sparql:{oxigraph_url}"))
    assert status == BackendStatus(oxigraph_url, graph, triples=len(data))
    empty = check_backend(replace(server_config, backend=f"sparql:{oxigraph_url}", backend_graph="urn:x:nothing"))
    assert empty == BackendStatus(oxigraph_url, "urn:x:nothing", triples=0)


def test_check_backend_says_why_a_backend_does_not_answer(server_config, graph):
    url = f"http://127.0.0.1:{free_port()}/sparql"
    status = check_backend(replace(server_config, backend=f"sparql:{url}"))
    assert (status.endpoint, status.graph, status.triples) == (url, graph, None)
    assert status.error is not None and status.error.startswith(f"the SPARQL backend {url} is unavailable: ")
    with pytest.raises(ValueError, match="is not an http:// or https:// URL"):
        check_backend(replace(server_config, backend="sparql:ftp://localhost/sparql"))


# --- settings and the command line -------------------------------------------------------------------------


def test_doctests():
    for module in (backend, sparql_client, sparql, query_text, sys.modules[__name__]):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_backend_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CLASTORDF_BACKEND", "sparql:http://localhost:8890/sparql")
    monkeypatch.setenv("CLASTORDF_BACKEND_GRAPH", "urn:graph")
    config = ServerConfig.from_env(tmp_path)
    assert (config.backend, config.backend_graph) == ("sparql:http://localhost:8890/sparql", "urn:graph")
    assert ServerConfig.from_env(tmp_path, backend="sparql:http://other/sparql").backend == "sparql:http://other/sparql"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backend", "http://localhost:8890/sparql"], "unknown backend 'http://localhost:8890/sparql': give sparql:"),
        (["--backend", "sparql:ftp://localhost/sparql"], "is not an http:// or https:// URL"),
        (["--backend", "sparql:http://localhost:port/sparql"], "is not a URL"),
        (["--backend", "sparql:http://localhost/sparql", "--backend-graph", "not an iri"], "is not an absolute IRI"),
    ],
)
def test_serve_refuses_a_bad_backend(real_build_dir, args, message, capsys):
    assert main(["serve", "--build-dir", str(real_build_dir), *args]) == 2
    assert message in capsys.readouterr().err


def test_serve_with_a_backend_needs_the_build_folder(tmp_path, capsys):
    code = main(["serve", "--build-dir", str(tmp_path / "none"), "--backend", "sparql:http://localhost/sparql"])
    assert code == 2 and "is missing" in capsys.readouterr().err


def test_serve_backend_under_granian(real_build_dir, oxigraph_url, graph, tmp_path):
    """``clastordf serve --backend``: nothing is built or loaded (no store appears in the build folder),
    and the server answers from the backend."""
    build = tmp_path / "build"
    shutil.copytree(real_build_dir, build, ignore=shutil.ignore_patterns("oxigraph", "release"))
    before = sorted(p.name for p in build.iterdir())
    port = free_port()
    cli = Path(sys.executable).parent / "clastordf"
    proc = subprocess.Popen(
        [
            str(cli),
            "serve",
            "--build-dir",
            str(build),
            "--backend",
            f"sparql:{oxigraph_url}",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            "2",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        health = json.loads(wait_until(f"http://127.0.0.1:{port}/health", proc, "clastordf serve --backend"))
        assert health["status"] == "ok" and health["backend"]["endpoint"] == oxigraph_url
        query = urlencode({"query": FACT_LABELS})
        with urlopen(
            Request(f"http://127.0.0.1:{port}/sparql?{query}", headers={"Accept": "text/csv"}),  # noqa: S310
            timeout=10,
        ) as response:
            assert response.read().decode().startswith("f,label\r\nhttps://w3id.org/clastordf/fact/")
        with urlopen(f"http://127.0.0.1:{port}/fact/CF0200", timeout=10) as response:  # noqa: S310
            assert "Sphingosine-1-phosphate" in response.read().decode()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=20)[0].decode()
    assert f"backend {oxigraph_url}: graph <{graph}> holds " in output and f"from {oxigraph_url}" in output
    assert "building" not in output and "preparing the store" not in output
    assert sorted(p.name for p in build.iterdir()) == before


# --- through Virtuoso: a release loaded and served as published ---------------------------------------------


@pytest.fixture(scope="module")
def release_build(real_build_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A build folder holding one release made from the real build: what `clastordf virtuoso load` reads
    (the gzipped N-Triples and SHA256SUMS) and what the server shows (the Turtle, the ontology page)."""
    version = dataset_version(real_build_dir / "clastordf.ttl")
    build = tmp_path_factory.mktemp("released")
    folder = build / "release" / version
    folder.mkdir(parents=True)
    for name in ("clastordf.ttl", "clastordf-ontology.html"):
        shutil.copyfile(real_build_dir / name, folder / name)
    triples = pyoxigraph.parse(path=str(folder / "clastordf.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    ntriples = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    (folder / DUMP_FILE).write_bytes(gzip.compress(ntriples, mtime=0))
    (folder / SUMS_FILE).write_text(sums_text(folder), encoding="utf-8")
    return build, version


@pytest.fixture(scope="module")
def virtuoso(release_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's Virtuoso with the release loaded into its graph; its SPARQL endpoint's URL."""
    build, version = release_build
    with running_virtuoso([build / "release"], parent=tmp_path_factory.getbasetemp()) as server:
        load_release(build / "release" / version, version, server.connection(), progress=lambda _: None)
        yield server.sparql_url
    assert server.process.poll() is not None, f"virtuoso-t (pid {server.process.pid}) still runs"


@pytest.fixture(scope="module")
def virtuoso_client(release_build, virtuoso: str, server_config: ServerConfig):
    build, version = release_build
    app = create_app(replace(server_config, build_dir=build, release=version, backend=f"sparql:{virtuoso}"))
    yield app.test_client()
    app.extensions["clastordf"].store.close()


@pytest.fixture(scope="module")
def release_client(release_build, server_config: ServerConfig):
    """The same release served from the embedded store."""
    build, version = release_build
    app = create_app(replace(server_config, build_dir=build, release=version))
    yield app.test_client()
    pool = app.extensions.get(sparql.EXECUTOR_KEY)
    if pool is not None:
        pool.close()
        assert not any(pool.alive()), "query executors left running"


@pytest.mark.parametrize("query_file", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_virtuoso_answers_example_queries_as_the_embedded_store(virtuoso_client, release_client, query_file):
    query = query_file.read_text(encoding="utf-8")
    expected = answer(ask(release_client, query), query)
    assert expected[1], f"{query_file.name} answers nothing: the comparison would prove nothing"
    assert answer(ask(virtuoso_client, query), query) == expected


def test_virtuoso_pages_render_as_over_the_embedded_store(virtuoso_client, release_client):
    assert_pages_equal(virtuoso_client, release_client)
    for path in ("/downloads", "/downloads.json"):
        assert virtuoso_client.get(path).data == release_client.get(path).data


def test_virtuoso_ask_cap_and_health(virtuoso_client, release_client, virtuoso, release_build):
    assert answer(ask(virtuoso_client, "ASK { ?s ?p ?o }"), "") is True  # not Virtuoso's ?__ASK_RETVAL
    assert answer(ask(virtuoso_client, "ASK { <urn:nothing> ?p ?o }"), "") is False
    r = ask(virtuoso_client, ALL_TRIPLES)
    assert len(json.loads(r.data)["results"]["bindings"]) == 500 and r.headers["X-Result-Truncated"] == "true"
    for accept in ("text/csv", "application/sparql-results+xml"):
        assert ask(virtuoso_client, FACT_LABELS, accept).data == ask(release_client, FACT_LABELS, accept).data
    health = virtuoso_client.get("/health").get_json()
    assert health["backend"] == {
        "kind": "sparql",
        "endpoint": virtuoso,
        "status": "ok",
        "graph": dataset_graph(release_build[1]),
    }
    assert health["triples"] == release_client.get("/health").get_json()["triples"]
