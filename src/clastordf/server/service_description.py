"""The SPARQL 1.1 Service Description of ``/sparql`` (what a GET without a query answers).

It tells clients (and crawlers of VoID) what the endpoint offers: the query language, the result
formats, that the default graph is the union of the named graphs, the dataset's graphs with VoID
statistics, and the endpoint's limits in prose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from ..vocab import DATASET_IRI, NAMESPACES, prefix_map
from .store import ReadOnlyStore

SD = NAMESPACES["sd"]
VOID = NAMESPACES["void"]
FORMATS = NAMESPACES["formats"]
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
DCTERMS_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
SIMPLE_ENTAILMENT = ox.NamedNode("http://www.w3.org/ns/entailment/Simple")

#: The W3C format IRIs (https://www.w3.org/ns/formats/) of the media types the endpoint serves.
FORMAT_IRIS = {
    "application/sparql-results+json": FORMATS + "SPARQL_Results_JSON",
    "application/sparql-results+xml": FORMATS + "SPARQL_Results_XML",
    "text/csv": FORMATS + "SPARQL_Results_CSV",
    "text/tab-separated-values": FORMATS + "SPARQL_Results_TSV",
    "text/turtle": FORMATS + "Turtle",
    "application/n-triples": FORMATS + "N-Triples",
    "application/ld+json": FORMATS + "JSON-LD",
    "application/rdf+xml": FORMATS + "RDF_XML",
}
PREFIXES = prefix_map("sd", "void", "formats", "dcterms", "rdfs", "xsd")


@dataclass(frozen=True)
class DatasetStats:
    """VoID counts of the store, computed once per app (the store is read-only)."""

    #: VoID property (local name) -> count, for the default graph (the union of all graphs).
    default_graph: dict[str, int]
    #: Named graph IRI -> triples.
    named_graphs: dict[str, int]
    #: The dataset's own VoID description is in the store.
    has_dataset_description: bool


def _count(store: ReadOnlyStore, query: str) -> int:
    solutions = store.query(query, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)  # a SELECT
    rows = list(solutions)
    return int(rows[0]["n"].value) if rows and rows[0]["n"] is not None else 0


def dataset_stats(store: ReadOnlyStore) -> DatasetStats:
    """Count what the service description reports (a few aggregate queries over the whole store)."""
    default = {
        "triples": _count(store, "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }"),
        "distinctSubjects": _count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }"),
        "properties": _count(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }"),
        "distinctObjects": _count(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) { ?s ?p ?o }"),
        "classes": _count(store, "SELECT (COUNT(DISTINCT ?c) AS ?n) { ?s a ?c }"),
    }
    graphs = store.query("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
    assert isinstance(graphs, ox.QuerySolutions)  # a SELECT
    named = {row["g"].value: int(row["n"].value) for row in graphs}
    has_description = bool(store.query(f"ASK {{ <{DATASET_IRI}> ?p ?o }}", use_default_graph_as_union=True))
    return DatasetStats(default, named, has_description)


def describe(
    endpoint: str,
    stats: DatasetStats,
    *,
    media_types: Iterable[str],
    federated: bool,
    query_timeout: float,
    result_limit: int,
) -> list[ox.Triple]:
    """The service description of the endpoint at ``endpoint`` (its own URL) as triples."""
    sd = ox.NamedNode(endpoint)
    triples: list[ox.Triple] = []

    def add(
        s: ox.NamedNode | ox.BlankNode,
        p: str | ox.NamedNode,
        o: ox.NamedNode | ox.BlankNode | ox.Literal,
    ) -> None:
        triples.append(ox.Triple(s, ox.NamedNode(p) if isinstance(p, str) else p, o))

    add(sd, RDF_TYPE, ox.NamedNode(SD + "Service"))
    add(sd, SD + "endpoint", sd)
    add(sd, DCTERMS_TITLE, ox.Literal("clastordf SPARQL endpoint", language="en"))
    add(
        sd,
        RDFS_COMMENT,
        ox.Literal(
            f"Read-only SPARQL 1.1 Query endpoint. A query runs for at most {query_timeout:g} s; an answer holds "
            f"at most {result_limit} rows or triples, and a capped answer carries the HTTP headers "
            f"'X-Result-Truncated: true' and 'X-Result-Limit: {result_limit}'. SPARQL Update and LOAD are refused; "
            f"SERVICE is refused unless its endpoint is on the server's allow-list.",
            language="en",
        ),
    )
    add(sd, SD + "supportedLanguage", ox.NamedNode(SD + "SPARQL11Query"))
    for media_type in media_types:
        add(sd, SD + "resultFormat", ox.NamedNode(FORMAT_IRIS[media_type]))
    add(sd, SD + "feature", ox.NamedNode(SD + "UnionDefaultGraph"))
    if federated:
        add(sd, SD + "feature", ox.NamedNode(SD + "BasicFederatedQuery"))
    add(sd, SD + "defaultEntailmentRegime", SIMPLE_ENTAILMENT)

    dataset, default_graph = ox.BlankNode(), ox.BlankNode()
    add(sd, SD + "defaultDataset", dataset)
    add(dataset, RDF_TYPE, ox.NamedNode(SD + "Dataset"))
    add(dataset, SD + "defaultGraph", default_graph)
    add(default_graph, RDF_TYPE, ox.NamedNode(SD + "Graph"))
    add(default_graph, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
    add(default_graph, RDFS_COMMENT, ox.Literal("The union of all named graphs.", language="en"))
    for name, value in stats.default_graph.items():
        add(default_graph, VOID + name, ox.Literal(value))
    add(default_graph, VOID + "sparqlEndpoint", sd)
    for name, count in stats.named_graphs.items():
        named, graph = ox.BlankNode(), ox.BlankNode()
        add(dataset, SD + "namedGraph", named)
        add(named, RDF_TYPE, ox.NamedNode(SD + "NamedGraph"))
        add(named, SD + "name", ox.NamedNode(name))
        add(named, SD + "graph", graph)
        add(graph, RDF_TYPE, ox.NamedNode(SD + "Graph"))
        add(graph, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
        add(graph, VOID + "triples", ox.Literal(count))
    if stats.has_dataset_description:
        add(ox.NamedNode(DATASET_IRI), VOID + "sparqlEndpoint", sd)
    return triples


def serialize(triples: list[ox.Triple], fmt: ox.RdfFormat) -> bytes:
    body = ox.serialize(triples, format=fmt, prefixes=PREFIXES)
    assert body is not None  # given no output, pyoxigraph returns the bytes
    return body
