"""Point queries answered in the web worker (server/bounded.py): which texts qualify, that the data
bounds them, and that the endpoint answers them exactly as an executor would, without one."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from clastordf.server import bounded, sparql
from clastordf.server.bounded import Pattern, PointQuery, read_point_query, within

SRJ = "application/sparql-results+json"
FACT = "https://w3id.org/clastordf/fact/CF0200"

POINT = [
    f"ASK {{ <{FACT}> ?p ?o }}",
    f"ASK WHERE {{ <{FACT}> ?p ?o . }}",
    f"SELECT ?p ?o WHERE {{ <{FACT}> ?p ?o }} ORDER BY ?p ?o",
    f"SELECT DISTINCT * {{ <{FACT}> a ?t ; ?p ?o . }} LIMIT 10 OFFSET 1",
    "PREFIX f: <https://w3id.org/clastordf/fact/>\nSELECT ?o WHERE { f:CF0200 a ?o }  # a comment",
    f"SELECT ?o {{ <{FACT}> <http://www.w3.org/2000/01/rdf-schema#label> 'x'@en-GB , ?o }}",
    f"SELECT ?o {{ <{FACT}> ?p 'x'^^<http://www.w3.org/2001/XMLSchema#string> }}",
    f"CONSTRUCT {{ ?s ?p ?o . [] <urn:x> 1 }} WHERE {{ <{FACT}> ?p ?o }}",
    f"DESCRIBE <{FACT}>",
]

NOT_POINT = [
    "ASK { ?s ?p ?o }",  # a variable subject
    "ASK { [] ?p ?o }",  # a blank node subject
    "ASK { _:b ?p ?o }",
    f"ASK {{ <{FACT}> <urn:p>* ?o }}",  # a path
    f"ASK {{ <{FACT}> <urn:p>/<urn:q> ?o }}",
    f"ASK {{ <{FACT}> ?p ?o FILTER(?o != 1) }}",
    f"ASK {{ <{FACT}> ?p ?o OPTIONAL {{ ?o ?q ?r }} }}",
    f"ASK {{ {{ <{FACT}> ?p ?o }} UNION {{ ?s ?p ?o }} }}",
    f"ASK {{ GRAPH ?g {{ <{FACT}> ?p ?o }} }}",
    f"ASK FROM <urn:g> {{ <{FACT}> ?p ?o }}",
    "BASE <https://w3id.org/clastordf/> ASK { <fact/CF0200> ?p ?o }",
    "ASK { <fact/CF0200> ?p ?o }",  # relative
    "ASK { f:CF0200 ?p ?o }",  # undeclared prefix
    f"ASK {{ <{FACT}> ?p ?o }} \\u007D",  # a codepoint escape: the engine's reading may differ
    f"ASK {{ <{FACT}> ?p ?o . ?o ?q ?r }}",  # the second subject is a variable
    f"SELECT (COUNT(*) AS ?n) {{ <{FACT}> ?p ?o }}",
    f"SELECT ?o {{ <{FACT}> ?p ?o }} GROUP BY ?o",
    f"SELECT ?o {{ <{FACT}> ?p ?o }} ORDER BY DESC(?o)",
    f"SELECT ?o {{ <{FACT}> ?p ?o }} LIMIT ?x",
    f"SELECT ?o {{ <{FACT}> ?p ?o {{ SELECT * {{ ?a ?b ?c }} }} }}",
    f"SELECT ?o {{ <{FACT}> ?p ?o }} VALUES ?o {{ 1 }}",
    f"CONSTRUCT WHERE {{ <{FACT}> ?p ?o }}",
    f"DESCRIBE ?s WHERE {{ <{FACT}> ?p ?s }}",
    f"ASK {{ <{FACT}> ?p ?o SERVICE <http://x/> {{ ?a ?b ?c }} }}",
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "",
    "ASK {}",
]


@pytest.mark.parametrize("text", POINT)
def test_point_queries_are_recognised(text):
    point = read_point_query(text)
    assert point is not None
    assert all(p.subject == FACT for p in point.patterns)


@pytest.mark.parametrize("text", NOT_POINT)
def test_anything_else_goes_to_an_executor(text):
    assert read_point_query(text) is None


def test_the_data_bounds_the_rows():
    store = ox.Store()
    s, p, q = ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.NamedNode("urn:q")
    store.extend([ox.Quad(s, p, ox.Literal(str(n))) for n in range(40)])
    store.add(ox.Quad(s, q, ox.Literal("one"), ox.NamedNode("urn:g")))
    one = (Pattern("urn:s", "urn:q"),)
    assert within(store, PointQuery("SELECT", one), cap=1)
    assert within(store, PointQuery("SELECT", (Pattern("urn:s"),)), cap=41)
    assert not within(store, PointQuery("SELECT", (Pattern("urn:s"),)), cap=40)  # counts every graph
    both = (Pattern("urn:s", "urn:p"), Pattern("urn:s", "urn:p"))
    assert within(store, PointQuery("SELECT", both), cap=1600)
    assert not within(store, PointQuery("SELECT", both), cap=1599)  # a join is bounded by the product
    assert within(store, PointQuery("SELECT", (Pattern("urn:none"), Pattern("urn:s"))), cap=1)  # empty
    assert within(store, PointQuery("DESCRIBE", (Pattern("urn:s"),)), cap=41)


def test_a_describe_that_would_follow_a_blank_node_is_not_small():
    store = ox.Store()
    s, b = ox.NamedNode("urn:s"), ox.BlankNode()
    store.add(ox.Quad(s, ox.NamedNode("urn:p"), b))
    store.extend([ox.Quad(b, ox.NamedNode("urn:p"), ox.Literal(str(n))) for n in range(10)])
    assert not within(store, PointQuery("DESCRIBE", (Pattern("urn:s"),)), cap=1000)


@pytest.fixture
def no_executors(monkeypatch):
    """An endpoint whose executors cannot be reached: only the worker itself can answer."""

    def unavailable():
        raise RuntimeError("no executor in this test")

    monkeypatch.setattr(sparql, "executor_pool", unavailable)
    monkeypatch.setattr(sparql, "result_cache", lambda: sparql.ResponseCache(0))


def _ask(client, query, accept=SRJ, **params):
    return client.get("/sparql", query_string={"query": query, **params}, headers={"Accept": accept})


def test_the_worker_answers_point_queries_itself(client, no_executors):
    answer = _ask(client, f"ASK {{ <{FACT}> ?p ?o }}")
    assert answer.status_code == 200 and answer.get_json()["boolean"] is True
    rows = _ask(client, f"SELECT ?p ?o WHERE {{ <{FACT}> ?p ?o }}").get_json()["results"]["bindings"]
    assert len(rows) > 5
    described = _ask(client, f"DESCRIBE <{FACT}>", accept="application/n-triples")
    assert described.status_code == 200 and FACT in described.get_data(as_text=True)
    assert _ask(client, "ASK { ?s ?p ?o }").status_code == 500  # needs the executor this test took away


@pytest.mark.parametrize(
    "query, accept",
    [
        (f"SELECT ?p ?o WHERE {{ <{FACT}> ?p ?o }} ORDER BY ?p ?o", SRJ),
        (f"SELECT ?p ?o WHERE {{ <{FACT}> ?p ?o }} ORDER BY ?p ?o", "application/sparql-results+xml"),
        (f"SELECT ?p ?o WHERE {{ <{FACT}> ?p ?o }} ORDER BY ?p ?o", "text/csv"),
        (f"ASK {{ <{FACT}> ?p ?o }}", SRJ),
        (f"CONSTRUCT {{ <{FACT}> ?p ?o }} WHERE {{ <{FACT}> ?p ?o }}", "application/n-triples"),
    ],
)
def test_the_worker_answers_as_an_executor_would(client, query, accept):
    here = _ask(client, query, accept)
    # FILTER(true) changes nothing in the answer but makes the query one for an executor.
    head, tail = query.rsplit("?o }", 1)
    filtered = f"{head}?o FILTER(true) }}{tail}"
    there = _ask(client, filtered, accept)
    assert read_point_query(query) is not None and read_point_query(filtered) is None
    assert here.status_code == there.status_code == 200
    assert here.headers["Content-Type"] == there.headers["Content-Type"]
    if accept == "application/n-triples":
        assert sorted(here.get_data().splitlines()) == sorted(there.get_data().splitlines())
    else:
        assert here.get_data() == there.get_data()
    assert here.headers["X-Result-Truncated"] == there.headers["X-Result-Truncated"] == "false"


def test_the_worker_keeps_the_dataset_parameters(client, no_executors):
    empty = _ask(client, f"ASK {{ <{FACT}> ?p ?o }}", **{"named-graph-uri": "urn:nothing"})
    assert empty.status_code == 200 and empty.get_json()["boolean"] is False  # the default graph is empty


def test_a_point_query_over_the_cap_goes_to_an_executor(client, no_executors, monkeypatch):
    monkeypatch.setattr(bounded, "IN_WORKER_ROWS", 2)
    monkeypatch.setattr(sparql, "within", lambda store, point: bounded.within(store, point, cap=2))
    assert _ask(client, f"SELECT * WHERE {{ <{FACT}> ?p ?o }}").status_code == 500  # the executor was needed
