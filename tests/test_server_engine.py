"""The engine's answers (:mod:`clastordf.server.engine`): pyoxigraph's own serializers, capped at the row
limit, give what the Python writer they replaced gave (its JSON, and each format converted from it),
for every kind of term; the served graph is the default graph."""

from __future__ import annotations

import json
import time
from typing import Any

import pyoxigraph as ox
import pytest

from clastordf.server import engine
from clastordf.server.engine import RESULTS_FORMATS, Job, QueryFailed, ServedStore, execute, serialize_result

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
GRAPH = ox.NamedNode(EX + "graph")
SRJ, SRX, CSV, TSV = RESULTS_FORMATS


def lit(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


#: Every kind of term an answer may hold, odd lexical forms and characters included.
OBJECTS: list[Any] = [
    ox.NamedNode(EX + "o?a=1&b=%3C2%3E#é"),
    ox.BlankNode("b0"),
    ox.Literal(""),
    ox.Literal('line\nbreak\ttab "quote" \\ back\rslash'),
    ox.Literal("Knochen ü 骨 🦴", language="de"),
    ox.Literal("عظم", language="ar", direction=ox.BaseDirection.RTL),
    lit("3", "integer"),
    lit("03", "integer"),
    lit(" 3", "integer"),
    lit("abc", "integer"),
    lit("-0", "integer"),
    lit("1.", "decimal"),
    lit("1.5e0", "double"),
    lit("NaN", "double"),
    lit("true", "boolean"),
    lit("1", "boolean"),
    lit("2024-01-01", "date"),
    ox.Literal("x", datatype=ox.NamedNode(EX + "custom")),
    ox.Triple(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("quoted", language="en")),
    ox.Triple(
        ox.BlankNode("b1"),
        ox.NamedNode(EX + "p"),
        ox.Triple(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "b"), lit("1", "integer")),
    ),
]
#: Every row binds ?s and ?o, none binds ?none; ordered, so a capped answer is the first rows.
QUERY = "SELECT ?s ?o ?none WHERE { ?s <http://example.org/p> ?o } ORDER BY ?s"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    for i, o in enumerate(OBJECTS):
        subject: ox.NamedNode | ox.BlankNode = ox.BlankNode(f"s{i:02}") if i % 3 == 0 else ox.NamedNode(f"{EX}s{i:02}")
        s.add(ox.Quad(subject, ox.NamedNode(EX + "p"), o, GRAPH))
    return s


def old_term_json(term: Any) -> dict[str, Any]:
    """The Python writer the engine had before (SPARQL 1.1/1.2 JSON of one term), the reference."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            if term.direction is not None:
                out["its:dir"] = str(term.direction)
        elif term.datatype.value != XSD + "string":
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {k: old_term_json(getattr(term, k)) for k in ("subject", "predicate", "object")},
    }


def old_answer(result: ox.QuerySolutions, media_type: str, limit: int) -> tuple[bytes, bool]:
    """What the endpoint answered before: the first ``limit`` rows as JSON written in Python, and the
    other formats converted from it by pyoxigraph."""
    names = [v.value for v in result.variables]
    rows = list(result)
    bindings = [{n: old_term_json(row[n]) for n in names if row[n] is not None} for row in rows[:limit]]
    data = json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}}, ensure_ascii=False).encode()
    fmt = RESULTS_FORMATS[media_type]
    if fmt == ox.QueryResultsFormat.JSON:
        return data, len(rows) > limit
    body = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON).serialize(format=fmt)
    assert body is not None
    return body, len(rows) > limit


def rows_of(body: bytes, media_type: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    parsed = ox.parse_query_results(body, format=RESULTS_FORMATS[media_type])
    assert isinstance(parsed, ox.QuerySolutions)
    names = [v.value for v in parsed.variables]
    return names, [tuple(row[n] for n in names) for row in parsed]


def served(store: ox.Store) -> ServedStore:
    served = ServedStore(store)
    assert served.graph == GRAPH
    return served


@pytest.mark.parametrize("limit", [5, 1000], ids=["capped", "whole"])
@pytest.mark.parametrize("media_type", list(RESULTS_FORMATS))
def test_each_format_answers_as_the_python_writer_did(store, media_type, limit):
    answer = execute(served(store), Job(QUERY, media_type, None, limit))
    before, truncated = old_answer(store.query(QUERY, default_graph=[GRAPH]), media_type, limit)
    assert answer.truncated is truncated is (limit < len(OBJECTS))
    assert answer.kind == "solutions" and answer.media_type == media_type
    if media_type == SRJ:
        assert json.loads(answer.body) == json.loads(before)
    else:
        assert answer.body == before
    if media_type != CSV:  # CSV keeps only values: it cannot be read back into terms
        names, rows = rows_of(answer.body, media_type)
        assert names == ["s", "o", "none"]
        assert len(rows) == min(limit, len(OBJECTS))
        stored = {quad.object for quad in store}  # as the store keeps them (it writes 1.5e0 as 1.5)
        assert {row[1] for row in rows} <= stored and all(row[2] is None for row in rows)
        if limit > len(OBJECTS):
            assert {row[1] for row in rows} == stored


@pytest.mark.parametrize("media_type", list(RESULTS_FORMATS))
@pytest.mark.parametrize(
    "query", ["SELECT * WHERE {}", "SELECT * WHERE { FILTER(false) }", "SELECT ?x WHERE {}", "SELECT * { {} UNION {} }"]
)
def test_answers_without_variables_or_rows(store, media_type, query):
    for limit in (0, 1, 5):
        answer = execute(served(store), Job(query, media_type, None, limit))
        before, truncated = old_answer(store.query(query), media_type, limit)
        assert answer.truncated is truncated
        if media_type == SRJ:
            assert json.loads(answer.body) == json.loads(before)
        else:
            assert answer.body == before


def test_a_capped_answer_stops_the_query_early(store):
    """The writer stops after the rows wanted: a cross product of millions of rows is not evaluated."""
    big = ox.Store()
    big.extend(
        ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), lit(str(i), "integer"), GRAPH) for i in range(3000)
    )
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"  # 9 million rows
    started = time.perf_counter()
    answer = execute(ServedStore(big), Job(query, SRJ, None, 10))
    assert time.perf_counter() - started < 2.0  # milliseconds, where the whole answer takes minutes
    assert answer.truncated and len(json.loads(answer.body)["results"]["bindings"]) == 10


def test_an_answer_over_the_byte_cap_is_too_large(store, monkeypatch):
    monkeypatch.setattr(engine, "MAX_BODY_BYTES", 200)
    with pytest.raises(QueryFailed) as failed:
        execute(served(store), Job(QUERY, TSV, None, 1000))
    assert failed.value.kind == "too-large"


def test_ask_and_an_error_while_evaluating(store):
    assert execute(served(store), Job("ASK { ?s ?p ?o }", SRJ, None, 10)).body == b'{"head":{},"boolean":true}'
    with pytest.raises(SyntaxError):
        execute(served(store), Job("SELECT ?s WHERE { ?s", SRJ, None, 10))


def test_a_result_parsed_from_a_remote_answer_is_written_alike(store):
    """What :mod:`.backend` hands over: solutions pyoxigraph parsed, not a store's."""
    remote = store.query(QUERY, default_graph=[GRAPH]).serialize(format=ox.QueryResultsFormat.JSON)
    parsed = ox.parse_query_results(remote, format=ox.QueryResultsFormat.JSON)
    answer = serialize_result(parsed, Job(QUERY, SRX, None, 3))
    assert answer.truncated and len(rows_of(answer.body, SRX)[1]) == 3


def test_the_served_graph_is_the_default_graph_and_graphs_stay_named(store):
    srv = served(store)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    def n(job: Job) -> int:
        return int(json.loads(execute(srv, job).body)["results"]["bindings"][0]["n"]["value"])

    assert n(Job(count, SRJ, None, 10)) == len(OBJECTS)
    graph_query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert n(Job(graph_query, SRJ, None, 10)) == len(OBJECTS)
    from_query = "SELECT (COUNT(*) AS ?n) FROM <http://example.org/graph> WHERE { ?s ?p ?o }"
    assert n(Job(from_query, SRJ, None, 10, union_default_graph=False)) == len(OBJECTS)
    empty = "SELECT (COUNT(*) AS ?n) FROM <http://example.org/none> WHERE { ?s ?p ?o }"
    assert n(Job(empty, SRJ, None, 10, union_default_graph=False)) == 0
    assert n(Job(count, SRJ, None, 10, default_graphs=(EX + "none",))) == 0
    assert n(Job(graph_query, SRJ, None, 10, default_graphs=(), named_graphs=(GRAPH.value,))) == len(OBJECTS)
    # The pages' calls read the served graph too.
    assert len(list(srv.quads_for_pattern(None, ox.NamedNode(EX + "p"), None))) == len(OBJECTS)
    assert bool(srv.query("ASK { ?s ?p ?o }", use_default_graph_as_union=True))
    assert list(srv.named_graphs()) == [GRAPH]


def test_a_store_laid_out_otherwise_is_read_as_the_union_of_its_graphs():
    s = ox.Store()
    for g in ("g1", "g2"):
        s.add(ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal(g), ox.NamedNode(EX + g)))
    srv = ServedStore(s)
    assert srv.graph is None
    answer = execute(srv, Job("SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o", TSV, None, 10))
    assert answer.body == b'?o\n"g1"\n"g2"\n'
    assert len(list(srv.quads_for_pattern(None, None, None))) == 2
